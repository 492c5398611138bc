//! The event catalogue: what the partner's systems are told, and when. An order's
//! events follow from its facts alone: a change of the facts (`before` → `after`, in
//! the transaction that writes it) makes the events of the states it enters, so each is
//! made once, by the one writer whose change moved the order there, on any replica.
//!
//! | event | when |
//! |---|---|
//! | `order.paid` | an eSIM order is known paid (`order.paid`, or a first line) |
//! | `order.ready` | every eSIM the order bought is delivered |
//! | `order.failed` | payment declined, or provisioning failed |
//! | `order.refunded` | the whole order is refunded (at once, or its last line) |
//! | `line.refunded` | one line (one traveller's eSIM) is refunded alone |
//! | `topup.paid` | a top-up is paid |
//! | `topup.applied` | a top-up's data was added to its line |
//! | `affiliate.conversion` | an affiliate's sale: `pending` when paid, `approved` when ready, `reversed` on a refund (a line refund reverses that line's amount) |
//!
//! No payload carries an email, an activation code or an order reference: an order is
//! named by its public id (`order_...`, see `domain::public_order_id`) and its log tag.
//! Every payload has a `version`; fields are only ever added within a version.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use simology_proxy_api::{OrderPlan, OrderState, Price};
use utoipa::ToSchema;

use crate::clock::rfc3339_ms;
use crate::domain::{public_order_id, OrderRef, RefTag};
use crate::money::commission_minor;
use crate::order::{Facts, OrderKind};

/// The payloads' version: a new one would mean a change that breaks readers.
pub const PAYLOAD_VERSION: u32 = 1;

/// The event `simology-proxy webhooks test <endpoint>` sends (whatever the endpoint
/// subscribed to).
pub const TEST_EVENT: &str = "webhook.test";

/// A type of event an endpoint may subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// An eSIM order is paid.
    OrderPaid,
    /// Every eSIM of the order is delivered.
    OrderReady,
    /// Payment declined or provisioning failed.
    OrderFailed,
    /// The whole order is refunded.
    OrderRefunded,
    /// One line of an order is refunded.
    LineRefunded,
    /// A top-up is paid.
    TopupPaid,
    /// A top-up's data was added to its line.
    TopupApplied,
    /// An affiliate's sale changed status.
    AffiliateConversion,
}

impl EventType {
    /// Every type, in the catalogue's order.
    pub const ALL: [EventType; 8] = [
        EventType::OrderPaid,
        EventType::OrderReady,
        EventType::OrderFailed,
        EventType::OrderRefunded,
        EventType::LineRefunded,
        EventType::TopupPaid,
        EventType::TopupApplied,
        EventType::AffiliateConversion,
    ];

    /// The type's name (`order.paid`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::OrderPaid => "order.paid",
            EventType::OrderReady => "order.ready",
            EventType::OrderFailed => "order.failed",
            EventType::OrderRefunded => "order.refunded",
            EventType::LineRefunded => "line.refunded",
            EventType::TopupPaid => "topup.paid",
            EventType::TopupApplied => "topup.applied",
            EventType::AffiliateConversion => "affiliate.conversion",
        }
    }

    /// The type of a name.
    pub fn parse(text: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// An affiliate sale's status, as `affiliate.conversion` and the postbacks say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversionStatus {
    /// Paid, not delivered yet.
    Pending,
    /// Delivered: the sale stands.
    Approved,
    /// Refunded: `amount` is taken back (a line's, or what was left of the order).
    Reversed,
}

impl ConversionStatus {
    /// The status as written (`pending`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConversionStatus::Pending => "pending",
            ConversionStatus::Approved => "approved",
            ConversionStatus::Reversed => "reversed",
        }
    }
}

/// An order, as the order events describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderEventData {
    /// The order's public id: stable, unique, and no key to anything.
    #[schema(example = "order_5f0c6d3e9a8b7c6d5e4f3a2b1c0d9e8f")]
    pub order_id: String,
    /// The tag the proxy's log lines name the order by (stable across processes only
    /// with `PROXY_LOG_TAG_KEY`).
    #[schema(example = "3fa2c1d0")]
    pub order_tag: String,
    /// `esim` or `topup` (a top-up's failure or refund).
    #[schema(example = "esim")]
    pub kind: String,
    /// The order's state after the change.
    pub state: OrderState,
    /// The plan.
    pub sku: String,
    /// The plan's name.
    pub plan_name: String,
    /// How many eSIMs.
    pub quantity: u32,
    /// What was paid: the plan's price times the quantity.
    pub amount: Price,
    /// A country's code or a region's slug, for an order made through an affiliate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// The affiliate that made the sale, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affiliate: Option<String>,
    /// Where on the affiliate's page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<String>,
    /// Lines (eSIMs) delivered so far.
    pub lines_ready: u32,
    /// Lines refunded one by one so far.
    pub lines_refunded: u32,
    /// Why it failed (`order.failed`): `payment_declined`, `provisioning_failed`,
    /// `order_failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The line (`line.refunded`): its ICCID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    /// The line's price (`line.refunded`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_amount: Option<Price>,
}

/// A top-up, as `topup.paid` and `topup.applied` describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TopupEventData {
    /// The top-up's own public id.
    pub order_id: String,
    /// Its log tag.
    pub order_tag: String,
    /// The public id of the order whose line it adds data to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_order_id: Option<String>,
    /// The line it adds data to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    /// The top-up plan.
    pub sku: String,
    /// Its name.
    pub plan_name: String,
    /// Data it adds, in MB.
    pub data_mb: u64,
    /// What was paid.
    pub amount: Price,
    /// The top-up's state after the change.
    pub state: OrderState,
}

/// An affiliate's sale, as `affiliate.conversion` (and the postback) says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConversionEventData {
    /// The order's public id.
    pub order_id: String,
    /// Its log tag.
    pub order_tag: String,
    /// The affiliate.
    pub affiliate: String,
    /// Where on its page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<String>,
    /// The affiliate network's click id the checkout carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub click_id: Option<String>,
    /// `pending`, `approved` or `reversed`.
    pub status: ConversionStatus,
    /// The sale's amount (for `reversed`: what is taken back).
    pub amount: Price,
    /// The affiliate's commission on `amount`, at its rate in the affiliates file when
    /// the event was made (half up to the minor unit).
    pub commission: Price,
    /// That rate, in basis points.
    pub commission_bps: u32,
    /// The line a `reversed` of one line's refund is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
}

/// The body of every delivery: Standard Webhooks' `type`, `timestamp` and `data`, and
/// this catalogue's `version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope<D> {
    /// The event's type (`order.paid`).
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the change was committed, RFC 3339 (UTC, milliseconds).
    pub timestamp: String,
    /// The payload's version.
    pub version: u32,
    /// What happened.
    pub data: D,
}

/// The body of an order event, for the OpenAPI description.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OrderWebhook {
    /// `order.paid`, `order.ready`, `order.failed`, `order.refunded` or `line.refunded`.
    #[schema(rename = "type", example = "order.paid")]
    event_type: String,
    /// When the change was committed, RFC 3339.
    timestamp: String,
    /// The payload's version (1).
    version: u32,
    data: OrderEventData,
}

/// The body of a top-up event, for the OpenAPI description.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TopupWebhook {
    /// `topup.paid` or `topup.applied`.
    #[schema(rename = "type", example = "topup.applied")]
    event_type: String,
    /// When the change was committed, RFC 3339.
    timestamp: String,
    /// The payload's version (1).
    version: u32,
    data: TopupEventData,
}

/// The body of `affiliate.conversion`, for the OpenAPI description.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ConversionWebhook {
    /// `affiliate.conversion`.
    #[schema(rename = "type", example = "affiliate.conversion")]
    event_type: String,
    /// When the change was committed, RFC 3339.
    timestamp: String,
    /// The payload's version (1).
    version: u32,
    data: ConversionEventData,
}

/// The order an event is about, as the store read it in the changing transaction.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// Its reference (never sent: it names the message ids and the public id).
    pub order_ref: &'a OrderRef,
    /// What it buys.
    pub kind: OrderKind,
    /// The plan as bought.
    pub plan: &'a OrderPlan,
    /// For a top-up, the order of its line.
    pub parent_ref: Option<&'a OrderRef>,
    /// For a top-up, its line.
    pub parent_iccid: Option<&'a str>,
    /// The affiliate that made the sale.
    pub affiliate: Option<&'a str>,
    /// Where on its page.
    pub placement: Option<&'a str>,
    /// The plan's destination, for an attributed order.
    pub destination: Option<&'a str>,
    /// The affiliate network's click id.
    pub click_id: Option<&'a str>,
    /// The affiliate's commission rate now (from the affiliates file).
    pub commission_bps: Option<u32>,
}

/// An affiliate sale's change, for its postback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    /// The affiliate.
    pub affiliate: String,
    /// What `affiliate.conversion` says.
    pub data: ConversionEventData,
}

/// An event made by an order's change: what the outbox stores for each destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emitted {
    /// `msg_` and 32 hex digits: derived from the order, the type and what the event is
    /// about, so the same change always makes the same id (`webhook-id`), and a
    /// receiver deduplicates by it.
    pub message_id: String,
    /// The type.
    pub event_type: EventType,
    /// The order's public id.
    pub order_id: String,
    /// The JSON body.
    pub body: String,
    /// For `affiliate.conversion`, what its postback fills in.
    pub conversion: Option<Conversion>,
}

/// The message id of an order's event about `about` (a line's ICCID, a status).
fn message_id(order_ref: &OrderRef, event_type: EventType, about: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"simology-proxy outgoing message\0")
        .chain_update(order_ref.as_str().as_bytes())
        .chain_update(b"\0")
        .chain_update(event_type.as_str().as_bytes())
        .chain_update(b"\0")
        .chain_update(about.as_bytes())
        .finalize();
    format!("msg_{}", hex::encode(&digest[..16]))
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn times(price: Price, n: u32) -> Price {
    Price {
        minor: price.minor.saturating_mul(i64::from(n)),
        ..price
    }
}

impl Subject<'_> {
    fn total(&self) -> Price {
        times(self.plan.price, self.plan.quantity)
    }

    fn order_data(&self, after: &Facts) -> OrderEventData {
        OrderEventData {
            order_id: public_order_id(self.order_ref),
            order_tag: RefTag(self.order_ref).to_string(),
            kind: self.kind.as_str().to_owned(),
            state: after.state(),
            sku: self.plan.sku.clone(),
            plan_name: self.plan.name.clone(),
            quantity: self.plan.quantity,
            amount: self.total(),
            destination: self.destination.map(str::to_owned),
            affiliate: self.affiliate.map(str::to_owned),
            placement: self.placement.map(str::to_owned),
            lines_ready: count(after.lines_ready()),
            lines_refunded: count(after.lines_refunded()),
            reason: None,
            iccid: None,
            line_amount: None,
        }
    }

    fn topup_data(&self, after: &Facts) -> TopupEventData {
        TopupEventData {
            order_id: public_order_id(self.order_ref),
            order_tag: RefTag(self.order_ref).to_string(),
            parent_order_id: self.parent_ref.map(public_order_id),
            iccid: self.parent_iccid.map(str::to_owned),
            sku: self.plan.sku.clone(),
            plan_name: self.plan.name.clone(),
            data_mb: self.plan.data_mb,
            amount: self.total(),
            state: after.state(),
        }
    }

    fn conversion(
        &self,
        status: ConversionStatus,
        amount: Price,
        iccid: Option<&str>,
    ) -> Option<Conversion> {
        let affiliate = self.affiliate?;
        let bps = self.commission_bps.unwrap_or(0);
        Some(Conversion {
            affiliate: affiliate.to_owned(),
            data: ConversionEventData {
                order_id: public_order_id(self.order_ref),
                order_tag: RefTag(self.order_ref).to_string(),
                affiliate: affiliate.to_owned(),
                placement: self.placement.map(str::to_owned),
                click_id: self.click_id.map(str::to_owned),
                status,
                amount,
                commission: Price {
                    minor: commission_minor(amount.minor, bps),
                    ..amount
                },
                commission_bps: bps,
                iccid: iccid.map(str::to_owned),
            },
        })
    }
}

fn envelope<D: Serialize>(event_type: &str, now_ms: i64, data: D) -> String {
    let body = Envelope {
        event_type: event_type.to_owned(),
        timestamp: rfc3339_ms(now_ms),
        version: PAYLOAD_VERSION,
        data,
    };
    // Plain structs of strings and numbers: serialising cannot fail.
    serde_json::to_string(&body).unwrap_or_default()
}

/// The events of an order's change from `before` to `after`, committed at `now_ms`: the
/// states it enters, the lines refunded alone, and an attributed order's conversions.
pub fn events_of(
    subject: &Subject<'_>,
    before: &Facts,
    after: &Facts,
    now_ms: i64,
) -> Vec<Emitted> {
    let mut out = Vec::new();
    let order_ref = subject.order_ref;
    let order_id = public_order_id(order_ref);
    let entered = |s: OrderState| before.state() != s && after.state() == s;
    let mut emit =
        |event_type: EventType, about: &str, body: String, conversion: Option<Conversion>| {
            out.push(Emitted {
                message_id: message_id(order_ref, event_type, about),
                event_type,
                order_id: order_id.clone(),
                body,
                conversion,
            });
        };
    let mut conversions: Vec<(String, Conversion)> = Vec::new();
    let paid = before.paid_since().is_none() && after.paid_since().is_some();
    match subject.kind {
        OrderKind::Esim => {
            if paid {
                emit(
                    EventType::OrderPaid,
                    "",
                    envelope("order.paid", now_ms, subject.order_data(after)),
                    None,
                );
                conversions.extend(
                    subject
                        .conversion(ConversionStatus::Pending, subject.total(), None)
                        .map(|c| ("pending".to_owned(), c)),
                );
            }
            if entered(OrderState::Ready) {
                emit(
                    EventType::OrderReady,
                    "",
                    envelope("order.ready", now_ms, subject.order_data(after)),
                    None,
                );
                conversions.extend(
                    subject
                        .conversion(ConversionStatus::Approved, subject.total(), None)
                        .map(|c| ("approved".to_owned(), c)),
                );
            }
            // Lines refunded alone (a whole refund says so once, as the order's).
            for (iccid, line) in &after.lines {
                if line.refunded_at.is_none() || before.line_refunded(iccid) {
                    continue;
                }
                let line_amount = subject.plan.price;
                let data = OrderEventData {
                    iccid: Some(iccid.clone()),
                    line_amount: Some(line_amount),
                    ..subject.order_data(after)
                };
                emit(
                    EventType::LineRefunded,
                    iccid,
                    envelope("line.refunded", now_ms, data),
                    None,
                );
                if after.paid_since().is_some() {
                    conversions.extend(
                        subject
                            .conversion(ConversionStatus::Reversed, line_amount, Some(iccid))
                            .map(|c| (format!("reversed:{iccid}"), c)),
                    );
                }
            }
            // A whole refund reverses what the lines refunded alone before it did not.
            if before.refunded_at.is_none()
                && after.refunded_at.is_some()
                && after.paid_since().is_some()
            {
                let reversed = count(before.lines_refunded());
                let left = times(
                    subject.plan.price,
                    subject.plan.quantity.saturating_sub(reversed),
                );
                if left.minor > 0 {
                    conversions.extend(
                        subject
                            .conversion(ConversionStatus::Reversed, left, None)
                            .map(|c| ("reversed".to_owned(), c)),
                    );
                }
            }
        }
        OrderKind::Topup => {
            if paid {
                emit(
                    EventType::TopupPaid,
                    "",
                    envelope("topup.paid", now_ms, subject.topup_data(after)),
                    None,
                );
            }
            if before.ready_at.is_none() && after.ready_at.is_some() {
                emit(
                    EventType::TopupApplied,
                    "",
                    envelope("topup.applied", now_ms, subject.topup_data(after)),
                    None,
                );
            }
        }
    }
    if entered(OrderState::Failed) {
        let data = OrderEventData {
            reason: after.failed_reason.clone(),
            ..subject.order_data(after)
        };
        emit(
            EventType::OrderFailed,
            "",
            envelope("order.failed", now_ms, data),
            None,
        );
    }
    if entered(OrderState::Refunded) {
        emit(
            EventType::OrderRefunded,
            "",
            envelope("order.refunded", now_ms, subject.order_data(after)),
            None,
        );
    }
    for (about, conversion) in conversions {
        let body = envelope("affiliate.conversion", now_ms, conversion.data.clone());
        emit(
            EventType::AffiliateConversion,
            &about,
            body,
            Some(conversion),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::order::LineFacts;
    use simology_proxy_api::CurrencyCode;

    fn plan(quantity: u32) -> OrderPlan {
        OrderPlan {
            sku: "JP-1GB-7D".into(),
            name: "Japan 1 GB".into(),
            coverage: vec!["JP".into()],
            data_mb: 1024,
            validity_days: 7,
            quantity,
            price: Price {
                minor: 499,
                currency: CurrencyCode(*b"USD"),
                decimals: 2,
            },
            terms_url: "https://example.com/terms".into(),
        }
    }

    fn order_ref() -> OrderRef {
        OrderRef::parse("o_0123456789abcdef0123456789abcdef").expect("ref")
    }

    fn line(ready: bool, refunded: bool) -> LineFacts {
        LineFacts {
            ready_at: ready.then_some(10),
            lpa: ready.then(|| "LPA:1$x$SECRET-CODE".to_owned()),
            refunded_at: refunded.then_some(20),
            ..LineFacts::default()
        }
    }

    fn facts(paid: bool, lines: &[(&str, bool, bool)], quantity: u32) -> Facts {
        Facts {
            lines_due: Some(quantity),
            paid_at: paid.then_some(5),
            lines: lines
                .iter()
                .map(|(i, ready, refunded)| ((*i).to_owned(), line(*ready, *refunded)))
                .collect::<BTreeMap<_, _>>(),
            ..Facts::default()
        }
    }

    fn types(events: &[Emitted]) -> Vec<&'static str> {
        events.iter().map(|e| e.event_type.as_str()).collect()
    }

    fn statuses(events: &[Emitted]) -> Vec<(ConversionStatus, i64)> {
        events
            .iter()
            .filter_map(|e| e.conversion.as_ref())
            .map(|c| (c.data.status, c.data.amount.minor))
            .collect()
    }

    #[test]
    fn an_attributed_order_of_two_paid_ready_then_refunded_line_by_line() {
        let r = order_ref();
        let p = plan(2);
        let subject = Subject {
            order_ref: &r,
            kind: OrderKind::Esim,
            plan: &p,
            parent_ref: None,
            parent_iccid: None,
            affiliate: Some("wander-notes"),
            placement: Some("sidebar"),
            destination: Some("JP"),
            click_id: Some("IR_abc.123"),
            commission_bps: Some(1200),
        };
        let reserved = Facts::reserved(OrderKind::Esim, 2);
        let paid = facts(true, &[], 2);
        let e = events_of(&subject, &reserved, &paid, 1_000);
        assert_eq!(types(&e), ["order.paid", "affiliate.conversion"]);
        assert_eq!(statuses(&e), [(ConversionStatus::Pending, 998)]);
        let pending = e[1].conversion.as_ref().expect("conversion");
        assert_eq!(
            pending.data.commission.minor, 120,
            "998 × 12 % = 119.76, half up"
        );
        assert_eq!(pending.data.click_id.as_deref(), Some("IR_abc.123"));
        // One line: still provisioning, nothing new.
        let one = facts(true, &[("8901", true, false)], 2);
        assert!(events_of(&subject, &paid, &one, 1_001).is_empty());
        let both = facts(true, &[("8901", true, false), ("8902", true, false)], 2);
        let e = events_of(&subject, &one, &both, 1_002);
        assert_eq!(types(&e), ["order.ready", "affiliate.conversion"]);
        assert_eq!(statuses(&e), [(ConversionStatus::Approved, 998)]);
        let first_refund = facts(true, &[("8901", true, true), ("8902", true, false)], 2);
        let e = events_of(&subject, &both, &first_refund, 1_003);
        assert_eq!(types(&e), ["line.refunded", "affiliate.conversion"]);
        assert_eq!(statuses(&e), [(ConversionStatus::Reversed, 499)]);
        let all = facts(true, &[("8901", true, true), ("8902", true, true)], 2);
        let e = events_of(&subject, &first_refund, &all, 1_004);
        assert_eq!(
            types(&e),
            ["line.refunded", "order.refunded", "affiliate.conversion"]
        );
        assert_eq!(statuses(&e), [(ConversionStatus::Reversed, 499)]);
        // No body carries an activation code or the reference; the same change makes
        // the same ids.
        for ev in events_of(&subject, &reserved, &all, 1_005) {
            assert!(
                !ev.body.contains("SECRET-CODE") && !ev.body.contains("0123456789abcdef"),
                "{}",
                ev.body
            );
            assert!(ev.message_id.starts_with("msg_") && ev.message_id.len() == 36);
        }
        let again = events_of(&subject, &both, &first_refund, 9_999);
        let first = events_of(&subject, &both, &first_refund, 1_003);
        let ids = |e: &[Emitted]| e.iter().map(|x| x.message_id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&again), ids(&first));
    }

    #[test]
    fn a_whole_refund_reverses_what_is_left_and_a_payload_reads_back() {
        let r = order_ref();
        let p = plan(3);
        let subject = Subject {
            order_ref: &r,
            kind: OrderKind::Esim,
            plan: &p,
            parent_ref: None,
            parent_iccid: None,
            affiliate: Some("wander-notes"),
            placement: None,
            destination: None,
            click_id: None,
            commission_bps: Some(1000),
        };
        let ready = facts(
            true,
            &[("1", true, true), ("2", true, false), ("3", true, false)],
            3,
        );
        let whole = Facts {
            refunded_at: Some(50),
            ..ready.clone()
        };
        let e = events_of(&subject, &ready, &whole, 2_000);
        assert_eq!(types(&e), ["order.refunded", "affiliate.conversion"]);
        assert_eq!(statuses(&e), [(ConversionStatus::Reversed, 998)]);
        let read: Envelope<OrderEventData> = serde_json::from_str(&e[0].body).expect("json");
        assert_eq!(
            (read.event_type.as_str(), read.version),
            ("order.refunded", 1)
        );
        assert_eq!(read.data.state, OrderState::Refunded);
        assert_eq!(read.data.amount.minor, 1497);
        assert_eq!(read.data.order_id, public_order_id(&r));
        assert_eq!(read.timestamp, "1970-01-01T00:00:02Z");
        // Without an affiliate there is no conversion; a failure says why.
        let plain = Subject {
            affiliate: None,
            ..subject
        };
        let failed = Facts {
            failed_reason: Some("payment_declined".into()),
            ..Facts::reserved(OrderKind::Esim, 3)
        };
        let e = events_of(&plain, &Facts::reserved(OrderKind::Esim, 3), &failed, 3_000);
        assert_eq!(types(&e), ["order.failed"]);
        assert!(e[0].body.contains("\"reason\":\"payment_declined\""));
    }

    #[test]
    fn a_top_up_is_paid_then_applied() {
        let r = order_ref();
        let parent = OrderRef::parse("o_00000000000000000000000000000001").expect("ref");
        let p = plan(1);
        let subject = Subject {
            order_ref: &r,
            kind: OrderKind::Topup,
            plan: &p,
            parent_ref: Some(&parent),
            parent_iccid: Some("8901"),
            affiliate: None,
            placement: None,
            destination: None,
            click_id: None,
            commission_bps: None,
        };
        let reserved = Facts::reserved(OrderKind::Topup, 1);
        let paid = Facts {
            paid_at: Some(1),
            ..reserved.clone()
        };
        let applied = Facts {
            ready_at: Some(2),
            ..paid.clone()
        };
        assert_eq!(
            types(&events_of(&subject, &reserved, &paid, 1)),
            ["topup.paid"]
        );
        let e = events_of(&subject, &paid, &applied, 2);
        assert_eq!(types(&e), ["topup.applied"]);
        let read: Envelope<TopupEventData> = serde_json::from_str(&e[0].body).expect("json");
        assert_eq!(read.data.parent_order_id, Some(public_order_id(&parent)));
        assert_eq!(read.data.iccid.as_deref(), Some("8901"));
    }

    #[test]
    fn types_round_trip() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse("order.shipped"), None);
    }
}
