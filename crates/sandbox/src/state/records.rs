//! The sandbox's records: sessions, orders, units and lines, stored answers and
//! deliveries, and what a state change sets off (events to send, timers to set).

use std::time::Duration;

use serde::Serialize;
use simology::events::Event;
use simology::models::{ActivatedLine, CheckoutSession, CheckoutSessionRequest, Order};
use simology::Money;
use time::OffsetDateTime;

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
    /// One per eSIM bought, in the order's natural order (item by item, unit by unit).
    pub units: Vec<Unit>,
    /// How many of the last units the activation keeps unprovisioned, until released
    /// (`Faults::withhold_lines` when the order was paid).
    pub withheld: usize,
    /// Whether the activation timer has run.
    pub activated: bool,
}

/// One eSIM of an order: provisioned as a line or not yet, refunded or not.
#[derive(Debug, Clone)]
pub struct Unit {
    /// The plan.
    pub sku: String,
    /// What it cost, and what refunding it alone pays back.
    pub unit_price: Money,
    /// Its line, once provisioned.
    pub iccid: Option<String>,
    /// The refund that covers it, pending or processed.
    pub refund_id: Option<String>,
}

/// What releasing an order's held-back lines did (`POST /sandbox/orders/{id}/release-lines`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Released {
    /// How many lines were held back and are not any more.
    pub released: usize,
    /// The lines provisioned now, in natural order. Empty when the activation has not run
    /// yet (it will provision them all) or the order is no longer `paid`.
    pub provisioned: Vec<String>,
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
