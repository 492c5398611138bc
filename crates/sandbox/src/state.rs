//! The sandbox's state: sessions, orders, lines, refunds, top-ups, idempotency records.
//!
//! Everything here is synchronous and runs under one lock, so each API call takes
//! effect atomically; timers and deliveries live in `effects.rs` and `delivery.rs`.
//!
//! An order has one unit per eSIM bought (`quantity` of each item). The activation timer
//! provisions a line (ICCID, LPA string, validity) for each unit, except the last ones a
//! test holds back (`Faults::withhold_lines`) until [`State::release_lines`]; each line
//! gets its own `activation.ready`. Refunds cover one line or every line not yet
//! refunded; the order is `refunded` once all its units are.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use simology::events::{
    ActivationReady, CheckoutCompleted, Event, EventPayload, OrderFailed, OrderPaid, PaidCustomer,
    PaymentFailed, RefundProcessed,
};
use simology::models::{
    ActivatedLine, CatalogItem, CheckoutSession, CheckoutSessionRequest, DataUsage, LineState,
    LineStatus, OperationStatus, Order, OrderItem, OrderStatus, Refund, SessionStatus, Topup,
    TopupRequest,
};
use simology::{Lpa, Money};
use time::OffsetDateTime;

use crate::config::Faults;

mod records;

pub use records::*;

/// An API failure: HTTP status, the guide's error code, and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    /// HTTP status.
    pub status: u16,
    /// Error code, e.g. `validation_error`.
    pub code: &'static str,
    /// Message for the partner's logs.
    pub message: String,
    /// `Retry-After` seconds (429 only).
    pub retry_after: Option<u64>,
}

impl Fail {
    pub(crate) fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Fail {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Fail::new(400, "validation_error", message)
    }
    pub(crate) fn not_found(what: &str) -> Self {
        Fail::new(404, "not_found", format!("{what} not recognised"))
    }
}

/// What the test payment page did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardOutcome {
    /// Paid; the eSIM is provisioned after the activation delay.
    Success,
    /// Declined; the session fails with `payment.failed`.
    Declined,
    /// Paid, but provisioning fails with `order.failed`.
    ProvisioningFails,
}

/// The test cards (digits only).
pub const CARD_SUCCESS: &str = "4242424242424242";
/// Declined.
pub const CARD_DECLINED: &str = "4000000000000002";
/// Pays, then provisioning fails.
pub const CARD_PROVISIONING_FAILS: &str = "4000000000000341";

/// The outcome of a test card number (spaces and dashes ignored); `None` for a number
/// that is not a test card.
pub fn card_outcome(number: &str) -> Option<CardOutcome> {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if number
        .chars()
        .any(|c| !(c.is_ascii_digit() || c == ' ' || c == '-'))
    {
        return None;
    }
    match digits.as_str() {
        CARD_SUCCESS => Some(CardOutcome::Success),
        CARD_DECLINED => Some(CardOutcome::Declined),
        CARD_PROVISIONING_FAILS => Some(CardOutcome::ProvisioningFails),
        _ => None,
    }
}

/// The whole sandbox state.
pub struct State {
    rng: ChaCha8Rng,
    fault_rng: ChaCha8Rng,
    /// The catalogue, by SKU.
    pub catalog: BTreeMap<String, CatalogItem>,
    /// When the catalogue was built.
    pub catalog_updated_at: OffsetDateTime,
    /// Raw items added to every `/v1/catalog` answer as they are, to simulate upstream
    /// drift (`PUT /sandbox/catalog/drift`).
    pub catalog_drift: Vec<serde_json::Value>,
    /// Sessions by id.
    pub sessions: HashMap<String, SessionRec>,
    /// Orders by id.
    pub orders: HashMap<String, OrderRec>,
    /// Lines by ICCID.
    pub lines: HashMap<String, LineRec>,
    /// Refunds by id.
    pub refunds: HashMap<String, Refund>,
    /// Top-ups in order.
    pub topups: Vec<Topup>,
    /// Idempotent answers by (key, method and path, idempotency key).
    pub idempotency: HashMap<(String, String, String), StoredAnswer>,
    /// Webhook attempts.
    pub deliveries: Vec<DeliveryRecord>,
    /// Current faults.
    pub faults: Faults,
    /// `/v1` requests received (after authentication).
    pub v1_requests: u64,
    /// Out-of-order mode: held paid-phase events, by order.
    held: HashMap<String, Vec<Event>>,
    time_scale: f64,
    session_ttl: Duration,
}

fn luhn_digit(digits: &str) -> u32 {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// The SM-DP+ address the sandbox's profiles point at.
pub const SMDP_ADDRESS: &str = "sm-dp-plus.sandbox.simology.net";

/// The gap between the deliveries of an order's `activation.ready` events, so that they
/// arrive in the order they were queued in.
const LINE_STAGGER: Duration = Duration::from_millis(20);

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}

fn valid_return_url(text: &str) -> bool {
    url::Url::parse(text)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

impl State {
    /// A fresh state.
    pub fn new(
        seed: u64,
        catalog: Vec<CatalogItem>,
        faults: Faults,
        time_scale: f64,
        session_ttl: Duration,
    ) -> Self {
        State {
            rng: ChaCha8Rng::seed_from_u64(seed),
            fault_rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_fa17),
            catalog: catalog.into_iter().map(|i| (i.sku.clone(), i)).collect(),
            catalog_updated_at: OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or_else(|_| OffsetDateTime::now_utc()),
            catalog_drift: Vec::new(),
            sessions: HashMap::new(),
            orders: HashMap::new(),
            lines: HashMap::new(),
            refunds: HashMap::new(),
            topups: Vec::new(),
            idempotency: HashMap::new(),
            deliveries: Vec::new(),
            faults,
            v1_requests: 0,
            held: HashMap::new(),
            time_scale,
            session_ttl,
        }
    }

    /// A new id: a prefix and 12 characters from the seeded generator.
    pub fn id(&mut self, prefix: &str) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let tail: String = (0..12)
            .map(|_| char::from(ALPHABET[self.rng.random_range(0..ALPHABET.len())]))
            .collect();
        format!("{prefix}_{tail}")
    }

    /// A draw in `[0, 1)` for fault injection.
    pub fn fault_draw(&mut self) -> f64 {
        self.fault_rng.random()
    }

    fn event(&mut self, payload: EventPayload) -> Event {
        Event {
            id: self.id("evt"),
            created: OffsetDateTime::now_utc(),
            payload,
        }
    }

    /// `POST /v1/checkout/sessions`.
    pub fn create_session(
        &mut self,
        request: CheckoutSessionRequest,
        payment_base: &str,
        now: OffsetDateTime,
    ) -> Result<CheckoutSession, Fail> {
        if !valid_email(&request.customer.email) {
            return Err(Fail::validation(
                "customer.email is not a valid email address",
            ));
        }
        if let Some(country) = &request.customer.country {
            if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(Fail::validation(
                    "customer.country must be an ISO 3166-1 alpha-2 code",
                ));
            }
        }
        if request.items.is_empty() || request.items.len() > 10 {
            return Err(Fail::validation("items must hold 1 to 10 entries"));
        }
        for item in &request.items {
            if !(1..=10).contains(&item.quantity) {
                return Err(Fail::validation(
                    "items[].quantity must be between 1 and 10",
                ));
            }
            match self.catalog.get(&item.sku) {
                None => return Err(Fail::validation(format!("unknown SKU {:?}", item.sku))),
                Some(plan) if !plan.available => {
                    return Err(Fail::new(
                        400,
                        "sku_unavailable",
                        "Requested SKU is not available in the selected region.",
                    ))
                }
                Some(_) => {}
            }
        }
        if !valid_return_url(&request.success_url) {
            return Err(Fail::validation(
                "success_url must be an absolute http(s) URL",
            ));
        }
        if !valid_return_url(&request.cancel_url) {
            return Err(Fail::validation(
                "cancel_url must be an absolute http(s) URL",
            ));
        }
        if request.metadata.len() > 20
            || request
                .metadata
                .iter()
                .any(|(k, v)| k.len() > 40 || v.len() > 500)
        {
            return Err(Fail::validation(
                "metadata holds at most 20 keys of 40 characters with values of 500",
            ));
        }
        let id = self.id("cs");
        let ttl = time::Duration::try_from(self.session_ttl).unwrap_or(time::Duration::minutes(15));
        let session = CheckoutSession {
            payment_url: format!("{}/pay/{id}", payment_base.trim_end_matches('/')),
            id: id.clone(),
            status: SessionStatus::Pending,
            expires_at: (now + ttl).replace_nanosecond(0).unwrap_or(now + ttl),
            order_id: None,
        };
        self.sessions.insert(
            id,
            SessionRec {
                request,
                session: session.clone(),
                order_id: None,
            },
        );
        Ok(session)
    }

    /// A session with its status brought up to date (pending sessions past
    /// `expires_at` are expired).
    pub fn session(&mut self, id: &str, now: OffsetDateTime) -> Option<&SessionRec> {
        let rec = self.sessions.get_mut(id)?;
        if rec.session.status == SessionStatus::Pending && now >= rec.session.expires_at {
            rec.session.status = SessionStatus::Expired;
        }
        Some(rec)
    }

    /// The test payment page's "Pay" with a card outcome.
    pub fn pay(
        &mut self,
        session_id: &str,
        outcome: CardOutcome,
        now: OffsetDateTime,
    ) -> Result<Effects, Fail> {
        let status = self
            .session(session_id, now)
            .map(|s| s.session.status)
            .ok_or_else(|| Fail::not_found("checkout session"))?;
        if status != SessionStatus::Pending {
            return Err(Fail::new(
                409,
                "conflict",
                format!("the session is {status:?}"),
            ));
        }
        let mut effects = Effects::default();
        if outcome == CardOutcome::Declined {
            if let Some(rec) = self.sessions.get_mut(session_id) {
                rec.session.status = SessionStatus::Failed;
            }
            let event = self.event(EventPayload::PaymentFailed(PaymentFailed {
                session_id: session_id.to_owned(),
                reason: "card_declined".into(),
            }));
            effects.events.push(Outgoing {
                event,
                hold: Duration::ZERO,
            });
            return Ok(effects);
        }
        let order_id = self.id("ord");
        let Some(rec) = self.sessions.get_mut(session_id) else {
            return Err(Fail::not_found("checkout session"));
        };
        rec.session.status = SessionStatus::Completed;
        rec.session.order_id = Some(order_id.clone());
        rec.order_id = Some(order_id.clone());
        let request = rec.request.clone();
        let mut units = Vec::new();
        let items: Vec<OrderItem> = request
            .items
            .iter()
            .filter_map(|i| {
                let plan = self.catalog.get(&i.sku)?;
                units.extend((0..i.quantity).map(|_| Unit {
                    sku: i.sku.clone(),
                    unit_price: plan.price,
                    iccid: None,
                    refund_id: None,
                }));
                Some(OrderItem {
                    sku: i.sku.clone(),
                    quantity: i.quantity,
                    unit_price: plan.price.amount(),
                    currency: plan.price.currency(),
                })
            })
            .collect();
        // A partner's top-up purchase (metadata `purpose=topup`) provisions no line: the
        // partner adds the data with `POST /v1/topups` once paid.
        let provisions = request.metadata.get("purpose").map(String::as_str) != Some("topup");
        let withheld = if provisions {
            usize::try_from(self.faults.withhold_lines)
                .unwrap_or(usize::MAX)
                .min(units.len())
        } else {
            0
        };
        self.orders.insert(
            order_id.clone(),
            OrderRec {
                order: Order {
                    id: order_id.clone(),
                    session_id: session_id.to_owned(),
                    status: OrderStatus::Paid,
                    items: items.clone(),
                    line: None,
                    lines: Vec::new(),
                    failure_reason: None,
                    metadata: request.metadata.clone(),
                    created: now,
                },
                fails: outcome == CardOutcome::ProvisioningFails,
                units,
                withheld,
                activated: false,
            },
        );
        let completed = self.event(EventPayload::CheckoutCompleted(CheckoutCompleted {
            session_id: session_id.to_owned(),
            order_id: order_id.clone(),
            metadata: request.metadata.clone(),
        }));
        let paid = self.event(EventPayload::OrderPaid(OrderPaid {
            order_id: order_id.clone(),
            session_id: session_id.to_owned(),
            items,
            customer: PaidCustomer {
                email: request.customer.email.clone(),
            },
        }));
        if self.faults.out_of_order_webhooks {
            self.held.insert(order_id.clone(), vec![completed, paid]);
        } else {
            for event in [completed, paid] {
                effects.events.push(Outgoing {
                    event,
                    hold: Duration::ZERO,
                });
            }
        }
        if !provisions {
            for held in self.held.remove(&order_id).unwrap_or_default() {
                effects.events.push(Outgoing {
                    event: held,
                    hold: Duration::ZERO,
                });
            }
        } else {
            effects.timers.push(Timer::Provision { order_id });
        }
        Ok(effects)
    }

    /// The activation timer: the order's lines are provisioned (all but the ones held
    /// back), or the order fails.
    pub fn provision(&mut self, order_id: &str, now: OffsetDateTime) -> Effects {
        let mut effects = Effects::default();
        let Some(rec) = self.orders.get_mut(order_id) else {
            return effects;
        };
        if rec.order.status != OrderStatus::Paid {
            return effects;
        }
        rec.activated = true;
        let fails = rec.fails;
        let session_id = rec.order.session_id.clone();
        let to_provision = rec.units.len() - rec.withheld;
        let mut events = Vec::new();
        if fails {
            rec.order.status = OrderStatus::Failed;
            rec.order.failure_reason = Some("provisioning_failed".into());
            events.push(self.event(EventPayload::OrderFailed(OrderFailed {
                order_id: order_id.to_owned(),
                session_id: Some(session_id),
                reason: "provisioning_failed".into(),
            })));
        } else {
            events = self.provision_units(order_id, to_provision, now);
        }
        let after = self.queue_in_turn(&mut effects, events);
        // Out-of-order mode: the paid-phase events go out after these.
        for (i, held) in self
            .held
            .remove(order_id)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            effects.events.push(Outgoing {
                event: held,
                hold: after + Duration::from_millis(150 * (i as u64 + 1)),
            });
        }
        effects
    }

    /// `POST /sandbox/orders/{id}/release-lines`: the lines the activation held back are
    /// provisioned now (or by the activation, when it has not run yet), each with its
    /// `activation.ready` unless `send_events` is false (then only `GET /v1/orders/{id}`
    /// shows them, as when their webhooks are lost).
    ///
    /// # Errors
    /// `not_found` for an unknown order.
    pub fn release_lines(
        &mut self,
        order_id: &str,
        send_events: bool,
        now: OffsetDateTime,
    ) -> Result<(Released, Effects), Fail> {
        let rec = self
            .orders
            .get_mut(order_id)
            .ok_or_else(|| Fail::not_found("order"))?;
        let released = std::mem::take(&mut rec.withheld);
        let mut effects = Effects::default();
        if !rec.activated || rec.order.status != OrderStatus::Paid {
            return Ok((
                Released {
                    released,
                    provisioned: Vec::new(),
                },
                effects,
            ));
        }
        let all = rec.units.len();
        let events = self.provision_units(order_id, all, now);
        let provisioned = events
            .iter()
            .filter_map(|e| match &e.payload {
                EventPayload::ActivationReady(a) => Some(a.line.iccid.clone()),
                _ => None,
            })
            .collect();
        if send_events {
            self.queue_in_turn(&mut effects, events);
        }
        Ok((
            Released {
                released,
                provisioned,
            },
            effects,
        ))
    }

    /// Provisions a line for each unit among the order's first `count` that has none,
    /// and returns their `activation.ready` events in natural order.
    fn provision_units(&mut self, order_id: &str, count: usize, now: OffsetDateTime) -> Vec<Event> {
        let pending: Vec<(usize, String)> = self
            .orders
            .get(order_id)
            .map(|rec| {
                rec.units
                    .iter()
                    .enumerate()
                    .take(count)
                    .filter(|(_, u)| u.iccid.is_none())
                    .map(|(i, u)| (i, u.sku.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let mut events = Vec::with_capacity(pending.len());
        for (index, sku) in pending {
            let line = self.new_line(order_id, &sku, now);
            if let Some(unit) = self
                .orders
                .get_mut(order_id)
                .and_then(|rec| rec.units.get_mut(index))
            {
                unit.iccid = Some(line.iccid.clone());
            }
            events.push(self.event(EventPayload::ActivationReady(ActivationReady {
                order_id: order_id.to_owned(),
                line,
            })));
        }
        self.refresh_order(order_id);
        events
    }

    /// A new line for a unit of `sku`: a fresh ICCID with its Luhn digit, its own
    /// activation code, and the plan's data and validity.
    fn new_line(&mut self, order_id: &str, sku: &str, now: OffsetDateTime) -> ActivatedLine {
        let plan = self.catalog.get(sku).cloned();
        let iccid = loop {
            let body: String = (0..11)
                .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
                .collect();
            let partial = format!("8988307{body}");
            let iccid = format!("{partial}{}", luhn_digit(&partial));
            if !self.lines.contains_key(&iccid) {
                break iccid;
            }
        };
        const CODE: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let groups: Vec<String> = (0..3)
            .map(|_| {
                (0..5)
                    .map(|_| char::from(CODE[self.rng.random_range(0..CODE.len())]))
                    .collect()
            })
            .collect();
        let matching_id = format!("SIMO-{}", groups.join("-"));
        let lpa = Lpa::new(SMDP_ADDRESS, &matching_id)
            .unwrap_or_else(|_| unreachable!("generated LPA parts are valid"));
        let days = plan.as_ref().map_or(30, |p| p.validity_days);
        let valid_from = now.replace_nanosecond(0).unwrap_or(now);
        let line = ActivatedLine {
            iccid: iccid.clone(),
            smdp_plus: lpa,
            qr_url: None,
            valid_from,
            expires_at: valid_from + time::Duration::days(i64::from(days)),
        };
        let mb_per_hour = self.rng.random_range(20..200);
        self.lines.insert(
            iccid,
            LineRec {
                order_id: order_id.to_owned(),
                destination: plan.as_ref().map_or_else(String::new, |p| p.region.clone()),
                line: line.clone(),
                total_mb: plan.as_ref().map_or(0, |p| p.data_allowance_mb),
                mb_per_hour,
                used_override: None,
                disabled: false,
            },
        );
        line
    }

    /// Brings an order's public form up to date with its units: `lines` (natural order),
    /// `line` (the first), and the status. `refunded` once every unit is refunded;
    /// otherwise a failed order stays failed, and a paid one is `ready` once the
    /// activation ran and every unit has its line.
    fn refresh_order(&mut self, order_id: &str) {
        let State {
            orders,
            lines,
            refunds,
            ..
        } = self;
        let Some(rec) = orders.get_mut(order_id) else {
            return;
        };
        rec.order.lines = rec
            .units
            .iter()
            .filter_map(|u| lines.get(u.iccid.as_deref()?))
            .map(|l| l.line.clone())
            .collect();
        rec.order.line = rec.order.lines.first().cloned();
        let refunded = |u: &Unit| {
            u.refund_id
                .as_ref()
                .and_then(|id| refunds.get(id))
                .is_some_and(|r| r.status == OperationStatus::Processed)
        };
        if !rec.units.is_empty() && rec.units.iter().all(refunded) {
            rec.order.status = OrderStatus::Refunded;
        } else if rec.order.status == OrderStatus::Paid
            && rec.activated
            && rec.units.iter().all(|u| u.iccid.is_some())
        {
            rec.order.status = OrderStatus::Ready;
        }
    }

    /// Queues an order's `activation.ready` events one after the other, in natural order
    /// or, in out-of-order mode, shuffled; returns the hold of the last one.
    fn queue_in_turn(&mut self, effects: &mut Effects, mut events: Vec<Event>) -> Duration {
        if self.faults.out_of_order_webhooks && events.len() > 1 {
            events.shuffle(&mut self.fault_rng);
        }
        let mut hold = Duration::ZERO;
        for (i, event) in events.into_iter().enumerate() {
            hold = LINE_STAGGER * u32::try_from(i).unwrap_or(u32::MAX);
            effects.events.push(Outgoing { event, hold });
        }
        hold
    }

    /// `GET /v1/lines/{iccid}`.
    pub fn line_status(&self, iccid: &str, now: OffsetDateTime) -> Result<LineStatus, Fail> {
        let rec = self
            .lines
            .get(iccid)
            .ok_or_else(|| Fail::not_found("line"))?;
        let hours = (now - rec.line.valid_from).as_seconds_f64().max(0.0) / 3600.0;
        let grown = (hours * self.time_scale * rec.mb_per_hour as f64) as u64;
        let used = rec.used_override.unwrap_or(grown).min(rec.total_mb);
        let status = if rec.disabled || now >= rec.line.expires_at {
            LineState::Expired
        } else if used >= rec.total_mb {
            LineState::Depleted
        } else if used == 0 {
            LineState::NotActive
        } else {
            LineState::Active
        };
        Ok(LineStatus {
            iccid: iccid.to_owned(),
            status,
            data: DataUsage {
                used_mb: used,
                remaining_mb: rec.total_mb - used,
            },
            valid_until: rec.line.expires_at,
        })
    }

    /// `POST /v1/topups`: adds a plan of the line's destination to the line.
    pub fn topup(&mut self, request: TopupRequest, now: OffsetDateTime) -> Result<Topup, Fail> {
        let plan = self
            .catalog
            .get(&request.sku)
            .cloned()
            .ok_or_else(|| Fail::validation(format!("unknown SKU {:?}", request.sku)))?;
        let line = self
            .lines
            .get(&request.iccid)
            .ok_or_else(|| Fail::not_found("line"))?;
        if line.disabled || now >= line.line.expires_at {
            return Err(Fail::validation("the line is no longer active"));
        }
        if plan.region != line.destination {
            return Err(Fail::validation(
                "the top-up SKU is not for this line's destination",
            ));
        }
        if !plan.available {
            return Err(Fail::new(
                400,
                "sku_unavailable",
                "Requested SKU is not available in the selected region.",
            ));
        }
        let id = self.id("top");
        if let Some(line) = self.lines.get_mut(&request.iccid) {
            line.total_mb += plan.data_allowance_mb;
        }
        let topup = Topup {
            id,
            iccid: request.iccid,
            sku: request.sku,
            data_added_mb: plan.data_allowance_mb,
            price: plan.price,
            status: OperationStatus::Completed,
            created: now,
        };
        self.topups.push(topup.clone());
        Ok(topup)
    }

    /// `POST /v1/refunds`: a pending refund, processed by a timer. With an `iccid`, that
    /// line alone for its unit price; without, every unit of the order not yet refunded.
    ///
    /// # Errors
    /// `not_found` for an unknown order or line; `validation_error` for a line of another
    /// order or one already refunded (or being refunded); `conflict` when no unit of the
    /// order is left to refund.
    pub fn refund(
        &mut self,
        order_id: String,
        iccid: Option<String>,
        now: OffsetDateTime,
    ) -> Result<(Refund, Effects), Fail> {
        let rec = self
            .orders
            .get(&order_id)
            .ok_or_else(|| Fail::not_found("order"))?;
        if rec.units.is_empty() {
            return Err(Fail::validation("the order has no items"));
        }
        let covered: Vec<usize> = match &iccid {
            None => {
                let left: Vec<usize> = (0..rec.units.len())
                    .filter(|&i| rec.units[i].refund_id.is_none())
                    .collect();
                if left.is_empty() || rec.order.status == OrderStatus::Refunded {
                    return Err(Fail::new(409, "conflict", "the order is already refunded"));
                }
                left
            }
            Some(iccid) => {
                let line = self
                    .lines
                    .get(iccid)
                    .ok_or_else(|| Fail::not_found("line"))?;
                let index = rec
                    .units
                    .iter()
                    .position(|u| u.iccid.as_ref() == Some(iccid))
                    .filter(|_| line.order_id == order_id)
                    .ok_or_else(|| Fail::validation("the line is not part of this order"))?;
                if rec.units[index].refund_id.is_some() {
                    return Err(Fail::validation(
                        "the line is already refunded or being refunded",
                    ));
                }
                vec![index]
            }
        };
        let mut amount: Option<Money> = None;
        for &i in &covered {
            let price = rec.units[i].unit_price;
            amount = Some(match amount {
                None => price,
                Some(sum) => sum
                    .plus(price)
                    .map_err(|e| Fail::new(500, "server_error", e.to_string()))?,
            });
        }
        let amount = amount.ok_or_else(|| Fail::validation("the order has no items"))?;
        let refund = Refund {
            id: self.id("re"),
            order_id,
            iccid,
            amount,
            status: OperationStatus::Pending,
            created: now,
        };
        if let Some(rec) = self.orders.get_mut(&refund.order_id) {
            for i in covered {
                rec.units[i].refund_id = Some(refund.id.clone());
            }
        }
        self.refunds.insert(refund.id.clone(), refund.clone());
        let effects = Effects {
            events: Vec::new(),
            timers: vec![Timer::Refund {
                refund_id: refund.id.clone(),
            }],
        };
        Ok((refund, effects))
    }

    /// The refund timer: money back, the refunded lines disabled, and the order
    /// `refunded` once all its units are.
    pub fn process_refund(&mut self, refund_id: &str) -> Effects {
        let mut effects = Effects::default();
        let Some(refund) = self.refunds.get_mut(refund_id) else {
            return effects;
        };
        if refund.status != OperationStatus::Pending {
            return effects;
        }
        refund.status = OperationStatus::Processed;
        let refund = refund.clone();
        if let Some(rec) = self.orders.get(&refund.order_id) {
            for unit in &rec.units {
                if unit.refund_id.as_deref() != Some(refund_id) {
                    continue;
                }
                if let Some(line) = unit.iccid.as_ref().and_then(|i| self.lines.get_mut(i)) {
                    line.disabled = true;
                }
            }
        }
        self.refresh_order(&refund.order_id);
        let event = self.event(EventPayload::RefundProcessed(RefundProcessed {
            refund_id: refund.id.clone(),
            order_id: refund.order_id.clone(),
            iccid: refund.iccid.clone(),
            amount: refund.amount,
        }));
        effects.events.push(Outgoing {
            event,
            hold: Duration::ZERO,
        });
        effects
    }
}

#[cfg(test)]
mod tests;
