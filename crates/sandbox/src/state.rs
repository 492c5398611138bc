//! The sandbox's state: sessions, orders, lines, refunds, top-ups, idempotency records.
//!
//! Everything here is synchronous and runs under one lock, so each API call takes
//! effect atomically; timers and deliveries live in `server.rs` and `delivery.rs`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use simology::events::{
    ActivationReady, CheckoutCompleted, Event, EventPayload, OrderFailed, OrderPaid, PaidCustomer,
    PaymentFailed, RefundProcessed,
};
use simology::models::{
    ActivatedLine, CatalogItem, CheckoutSession, CheckoutSessionRequest, DataUsage, LineState,
    LineStatus, OperationStatus, Order, OrderItem, OrderStatus, Refund, RefundRequest,
    SessionStatus, Topup, TopupRequest,
};
use simology::{Lpa, Money};
use time::OffsetDateTime;

use crate::config::Faults;

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

/// A checkout session.
#[derive(Debug, Clone)]
pub struct SessionRec {
    /// The request it was made from.
    pub request: CheckoutSessionRequest,
    /// Its public form.
    pub session: CheckoutSession,
    /// The order, once paid.
    pub order_id: Option<String>,
}

/// An order.
#[derive(Debug, Clone)]
pub struct OrderRec {
    /// Its public form.
    pub order: Order,
    /// Whether provisioning is set to fail.
    pub fails: bool,
}

/// A provisioned line.
#[derive(Debug, Clone)]
pub struct LineRec {
    /// Its order.
    pub order_id: String,
    /// The plan's destination (country code or region slug).
    pub destination: String,
    /// Credentials.
    pub line: ActivatedLine,
    /// Data in all (plan plus top-ups), MB.
    pub total_mb: u64,
    /// Usage growth, MB per (scaled) hour.
    pub mb_per_hour: u64,
    /// Usage set by a test, overriding growth.
    pub used_override: Option<u64>,
    /// Refunded lines stop working.
    pub disabled: bool,
}

/// A stored success answer to an idempotent POST. Refused requests are not stored:
/// the same key may be used again once the cause is fixed.
#[derive(Debug, Clone)]
pub struct StoredAnswer {
    /// SHA-256 of the request body.
    pub fingerprint: [u8; 32],
    /// The status sent.
    pub status: u16,
    /// The body sent.
    pub body: Vec<u8>,
}

/// One webhook delivery attempt, for `GET /sandbox/webhooks`.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRecord {
    /// The event.
    pub event_id: String,
    /// Its type.
    pub event_type: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// `delivered`, `failed`, `timeout`, `dropped`, or `error`.
    pub outcome: &'static str,
    /// The endpoint's status, when it answered.
    pub status: Option<u16>,
    /// The order the event is about, when it is about one.
    pub order_id: Option<String>,
    /// When the attempt started, Unix milliseconds.
    pub sent_at_ms: i64,
    /// When it ended, RFC 3339.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The wait before the next attempt (the guide's schedule divided by the time
    /// scale), in milliseconds; none when delivered or given up.
    pub retry_in_ms: Option<u64>,
}

/// An event waiting to be sent, and how long to hold it first.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The event.
    pub event: Event,
    /// Extra hold before the first attempt.
    pub hold: Duration,
}

/// A timer to set after a state change.
#[derive(Debug, Clone)]
pub enum Timer {
    /// Provision (or fail) an order.
    Provision {
        /// The order.
        order_id: String,
    },
    /// Process a refund.
    Refund {
        /// The refund.
        refund_id: String,
    },
}

/// The effects of a state change beyond the state itself.
#[derive(Debug, Default)]
pub struct Effects {
    /// Events to deliver.
    pub events: Vec<Outgoing>,
    /// Timers to set.
    pub timers: Vec<Timer>,
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
        let items: Vec<OrderItem> = request
            .items
            .iter()
            .filter_map(|i| {
                let plan = self.catalog.get(&i.sku)?;
                Some(OrderItem {
                    sku: i.sku.clone(),
                    quantity: i.quantity,
                    unit_price: plan.price.amount(),
                    currency: plan.price.currency(),
                })
            })
            .collect();
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
        // A partner's top-up purchase (metadata `purpose=topup`) provisions no line: the
        // partner adds the data with `POST /v1/topups` once paid.
        if request.metadata.get("purpose").map(String::as_str) == Some("topup") {
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

    /// The activation timer: the line is provisioned, or the order fails.
    pub fn provision(&mut self, order_id: &str, now: OffsetDateTime) -> Effects {
        let mut effects = Effects::default();
        let Some(rec) = self.orders.get(order_id) else {
            return effects;
        };
        if rec.order.status != OrderStatus::Paid {
            return effects;
        }
        let fails = rec.fails;
        let session_id = rec.order.session_id.clone();
        let first_sku = rec
            .order
            .items
            .first()
            .map(|i| i.sku.clone())
            .unwrap_or_default();
        let plan = self.catalog.get(&first_sku).cloned();
        let event = if fails {
            if let Some(rec) = self.orders.get_mut(order_id) {
                rec.order.status = OrderStatus::Failed;
                rec.order.failure_reason = Some("provisioning_failed".into());
            }
            self.event(EventPayload::OrderFailed(OrderFailed {
                order_id: order_id.to_owned(),
                session_id: Some(session_id),
                reason: "provisioning_failed".into(),
            }))
        } else {
            let body: String = (0..11)
                .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
                .collect();
            let partial = format!("8988307{body}");
            let iccid = format!("{partial}{}", luhn_digit(&partial));
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
            if let Some(rec) = self.orders.get_mut(order_id) {
                rec.order.status = OrderStatus::Ready;
                rec.order.line = Some(line.clone());
                rec.order.lines = vec![line.clone()];
            }
            self.event(EventPayload::ActivationReady(ActivationReady {
                order_id: order_id.to_owned(),
                line,
            }))
        };
        effects.events.push(Outgoing {
            event,
            hold: Duration::ZERO,
        });
        // Out-of-order mode: the paid-phase events go out after this one.
        for (i, held) in self
            .held
            .remove(order_id)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            effects.events.push(Outgoing {
                event: held,
                hold: Duration::from_millis(150 * (i as u64 + 1)),
            });
        }
        effects
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

    /// `POST /v1/refunds`: a pending refund, processed by a timer.
    pub fn refund(
        &mut self,
        request: RefundRequest,
        now: OffsetDateTime,
    ) -> Result<(Refund, Effects), Fail> {
        let rec = self
            .orders
            .get(&request.order_id)
            .ok_or_else(|| Fail::not_found("order"))?;
        if matches!(rec.order.status, OrderStatus::Refunded)
            || self
                .refunds
                .values()
                .any(|r| r.order_id == request.order_id)
        {
            return Err(Fail::new(409, "conflict", "the order is already refunded"));
        }
        let mut total: Option<Money> = None;
        for item in &rec.order.items {
            let line = item
                .unit_money()
                .and_then(|m| m.times(item.quantity))
                .map_err(|e| Fail::new(500, "server_error", e.to_string()))?;
            total = Some(match total {
                None => line,
                Some(t) => t
                    .plus(line)
                    .map_err(|e| Fail::new(500, "server_error", e.to_string()))?,
            });
        }
        let amount = total.ok_or_else(|| Fail::validation("the order has no items"))?;
        let refund = Refund {
            id: self.id("re"),
            order_id: request.order_id,
            iccid: None,
            amount,
            status: OperationStatus::Pending,
            created: now,
        };
        self.refunds.insert(refund.id.clone(), refund.clone());
        let effects = Effects {
            events: Vec::new(),
            timers: vec![Timer::Refund {
                refund_id: refund.id.clone(),
            }],
        };
        Ok((refund, effects))
    }

    /// The refund timer: money back, order refunded, line disabled.
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
        if let Some(rec) = self.orders.get_mut(&refund.order_id) {
            rec.order.status = OrderStatus::Refunded;
            if let Some(line) = &rec.order.line {
                if let Some(l) = self.lines.get_mut(&line.iccid) {
                    l.disabled = true;
                }
            }
        }
        let event = self.event(EventPayload::RefundProcessed(RefundProcessed {
            refund_id: refund.id.clone(),
            order_id: refund.order_id.clone(),
            iccid: None,
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
mod tests {
    use super::*;

    #[test]
    fn iccids_carry_a_luhn_digit() {
        // A known valid ICCID-like number: 8988307000001234567 has check digit 7 when
        // the Luhn sum of the first 18 digits is computed.
        let partial = "898830700000123456";
        let full = format!("{partial}{}", luhn_digit(partial));
        let sum: u32 = full
            .chars()
            .rev()
            .filter_map(|c| c.to_digit(10))
            .enumerate()
            .map(|(i, d)| {
                if i % 2 == 1 {
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
        assert_eq!(sum % 10, 0);
    }

    #[test]
    fn test_cards() {
        assert_eq!(
            card_outcome("4242 4242 4242 4242"),
            Some(CardOutcome::Success)
        );
        assert_eq!(
            card_outcome("4000-0000-0000-0002"),
            Some(CardOutcome::Declined)
        );
        assert_eq!(
            card_outcome("4000000000000341"),
            Some(CardOutcome::ProvisioningFails)
        );
        assert_eq!(card_outcome("4111111111111111"), None);
        assert_eq!(card_outcome("4242x4242424242424242"), None);
    }

    #[test]
    fn emails() {
        assert!(valid_email("alex@example.com"));
        for bad in [
            "",
            "alex",
            "@example.com",
            "alex@",
            "alex@example",
            "a b@example.com",
            "a@b@c.com",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
