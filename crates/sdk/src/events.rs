//! Webhook events: one [`Event`] envelope, one [`EventPayload`] variant per type.
//!
//! Unknown event types are kept as [`EventPayload::Unknown`] with their raw data, so a
//! new upstream event never makes a webhook endpoint fail.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::models::{ActivatedLine, OrderItem};
use crate::money::Money;

/// A webhook event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Event id, e.g. `evt_123`: the key to deduplicate deliveries.
    pub id: String,
    /// When the event happened.
    pub created: OffsetDateTime,
    /// The event's type and data.
    pub payload: EventPayload,
}

/// `data` of `checkout.completed`: the buyer came back from the payment page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutCompleted {
    /// The session.
    pub session_id: String,
    /// The order it created.
    pub order_id: String,
    /// The partner's metadata from the session.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

/// The buyer as `order.paid` carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaidCustomer {
    /// The buyer's email.
    pub email: String,
}

/// `data` of `order.paid`: funds confirmed; fulfilment can begin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPaid {
    /// The order.
    pub order_id: String,
    /// The session that created it.
    pub session_id: String,
    /// What was paid for.
    pub items: Vec<OrderItem>,
    /// The buyer.
    pub customer: PaidCustomer,
}

/// `data` of `activation.ready`: one eSIM's credentials. An order of several eSIMs
/// sends one event per line, each with its own event id, in no promised order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationReady {
    /// The order.
    pub order_id: String,
    /// The provisioned line.
    pub line: ActivatedLine,
}

/// `data` of `order.failed`: paid, but provisioning failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFailed {
    /// The order.
    pub order_id: String,
    /// The session, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// A reason code, e.g. `provisioning_failed`.
    pub reason: String,
}

/// `data` of `payment.failed`: the payment was declined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentFailed {
    /// The session.
    pub session_id: String,
    /// A reason code, e.g. `card_declined`.
    pub reason: String,
}

/// `data` of `refund.processed`: the money went back; entitlements may change now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundProcessed {
    /// The refund.
    pub refund_id: String,
    /// The order.
    pub order_id: String,
    /// The line refunded, when the refund named one (it alone stops); none when the
    /// whole order was refunded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    /// What was paid back.
    pub amount: Money,
}

/// The type and data of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum EventPayload {
    /// `checkout.completed`
    CheckoutCompleted(CheckoutCompleted),
    /// `order.paid`
    OrderPaid(OrderPaid),
    /// `activation.ready`
    ActivationReady(ActivationReady),
    /// `order.failed`
    OrderFailed(OrderFailed),
    /// `payment.failed`
    PaymentFailed(PaymentFailed),
    /// `refund.processed`
    RefundProcessed(RefundProcessed),
    /// A type this SDK does not know, kept whole.
    Unknown {
        /// The event's `type`.
        event_type: String,
        /// The event's `data`.
        data: Value,
    },
}

impl EventPayload {
    /// The event's `type` string.
    pub fn event_type(&self) -> &str {
        match self {
            EventPayload::CheckoutCompleted(_) => "checkout.completed",
            EventPayload::OrderPaid(_) => "order.paid",
            EventPayload::ActivationReady(_) => "activation.ready",
            EventPayload::OrderFailed(_) => "order.failed",
            EventPayload::PaymentFailed(_) => "payment.failed",
            EventPayload::RefundProcessed(_) => "refund.processed",
            EventPayload::Unknown { event_type, .. } => event_type,
        }
    }

    /// The upstream order id the event is about, when it has one.
    pub fn order_id(&self) -> Option<&str> {
        match self {
            EventPayload::CheckoutCompleted(d) => Some(&d.order_id),
            EventPayload::OrderPaid(d) => Some(&d.order_id),
            EventPayload::ActivationReady(d) => Some(&d.order_id),
            EventPayload::OrderFailed(d) => Some(&d.order_id),
            EventPayload::RefundProcessed(d) => Some(&d.order_id),
            EventPayload::PaymentFailed(_) | EventPayload::Unknown { .. } => None,
        }
    }

    /// The checkout session id the event is about, when it carries one.
    pub fn session_id(&self) -> Option<&str> {
        match self {
            EventPayload::CheckoutCompleted(d) => Some(&d.session_id),
            EventPayload::OrderPaid(d) => Some(&d.session_id),
            EventPayload::OrderFailed(d) => d.session_id.as_deref(),
            EventPayload::PaymentFailed(d) => Some(&d.session_id),
            _ => None,
        }
    }

    fn data(&self) -> Result<Value, serde_json::Error> {
        match self {
            EventPayload::CheckoutCompleted(d) => serde_json::to_value(d),
            EventPayload::OrderPaid(d) => serde_json::to_value(d),
            EventPayload::ActivationReady(d) => serde_json::to_value(d),
            EventPayload::OrderFailed(d) => serde_json::to_value(d),
            EventPayload::PaymentFailed(d) => serde_json::to_value(d),
            EventPayload::RefundProcessed(d) => serde_json::to_value(d),
            EventPayload::Unknown { data, .. } => Ok(data.clone()),
        }
    }
}

/// An event's `id` and `type` and nothing else, read from a body whose data may not
/// match this SDK's schema: enough to store a verified delivery under its id before
/// parsing it with [`Event::from_json`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EventEnvelope {
    /// Event id, e.g. `evt_123`.
    pub id: String,
    /// The event's `type`, e.g. `order.paid`.
    #[serde(rename = "type")]
    pub event_type: String,
}

impl EventEnvelope {
    /// Reads `id` and `type` from a JSON object, ignoring everything else.
    ///
    /// # Errors
    /// When the body is not a JSON object with a non-empty string `id` and a string
    /// `type`.
    pub fn from_json(body: &[u8]) -> Result<EventEnvelope, serde_json::Error> {
        let envelope: EventEnvelope = serde_json::from_slice(body)?;
        if envelope.id.is_empty() {
            return Err(serde::de::Error::custom("the event's id is empty"));
        }
        Ok(envelope)
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    event_type: String,
    id: String,
    #[serde(with = "time::serde::rfc3339")]
    created: OffsetDateTime,
    #[serde(default)]
    data: Value,
}

impl Event {
    /// Parses an event from JSON, checking its `data` against its `type`.
    ///
    /// # Errors
    /// When the envelope is malformed or a known type's data does not match its schema.
    pub fn from_json(body: &[u8]) -> Result<Event, serde_json::Error> {
        let env: Envelope = serde_json::from_slice(body)?;
        let data = env.data;
        let payload = match env.event_type.as_str() {
            "checkout.completed" => EventPayload::CheckoutCompleted(serde_json::from_value(data)?),
            "order.paid" => EventPayload::OrderPaid(serde_json::from_value(data)?),
            "activation.ready" => EventPayload::ActivationReady(serde_json::from_value(data)?),
            "order.failed" => EventPayload::OrderFailed(serde_json::from_value(data)?),
            "payment.failed" => EventPayload::PaymentFailed(serde_json::from_value(data)?),
            "refund.processed" => EventPayload::RefundProcessed(serde_json::from_value(data)?),
            _ => EventPayload::Unknown {
                event_type: env.event_type,
                data,
            },
        };
        Ok(Event {
            id: env.id,
            created: env.created,
            payload,
        })
    }

    /// The event as JSON, in the guide's shape.
    ///
    /// # Errors
    /// Only if a value cannot be represented in JSON.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&Envelope {
            event_type: self.payload.event_type().to_owned(),
            id: self.id.clone(),
            created: self.created,
            data: self.payload.data()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_guides_examples() {
        let paid = br#"{"type": "order.paid", "id": "evt_123", "created": "2025-01-10T09:20:02Z",
          "data": {"order_id": "ord_456", "session_id": "cs_abc123",
                   "items": [{"sku": "US-5GB-30D", "quantity": 1, "unit_price": 14.99, "currency": "USD"}],
                   "customer": {"email": "alex@example.com"}}}"#;
        let e = Event::from_json(paid).expect("guide example");
        match &e.payload {
            EventPayload::OrderPaid(d) => {
                assert_eq!(d.items[0].unit_money().expect("exact").minor(), 1499);
            }
            other => panic!("wrong variant {other:?}"),
        }
        let ready =
            br#"{"type": "activation.ready", "id": "evt_789", "created": "2025-01-10T09:21:10Z",
          "data": {"order_id": "ord_456", "line": {"iccid": "8988307000001234567",
            "smdp_plus": "LPA:1$sm-dp-plus.simology.net$ACT-CODE-1234",
            "qr_url": "https://sandbox-api.simology.io/v1/qr/ord_456.png",
            "valid_from": "2025-01-10T09:21:10Z", "expires_at": "2025-02-09T23:59:59Z"}}}"#;
        let e = Event::from_json(ready).expect("guide example");
        assert_eq!(e.payload.order_id(), Some("ord_456"));
        let EventPayload::ActivationReady(d) = &e.payload else {
            panic!("wrong variant")
        };
        assert_eq!(d.line.smdp_plus.activation_code(), "ACT-CODE-1234");
        // Round trip through our own serialisation.
        let back = Event::from_json(&e.to_json().expect("json")).expect("parses");
        assert_eq!(back, e);
    }

    #[test]
    fn refund_processed_names_a_line_only_when_the_refund_did() {
        let whole = br#"{"type": "refund.processed", "id": "evt_5", "created": "2025-01-10T09:31:00Z",
          "data": {"refund_id": "re_1", "order_id": "ord_456", "amount": {"amount": 29.98, "currency": "USD"}}}"#;
        let e = Event::from_json(whole).expect("a refund of the whole order");
        let EventPayload::RefundProcessed(d) = &e.payload else {
            panic!("wrong variant")
        };
        assert_eq!(d.iccid, None);
        let out: Value = serde_json::from_slice(&e.to_json().expect("json")).expect("json");
        assert!(out["data"].get("iccid").is_none(), "{out}");

        let line =
            br#"{"type": "refund.processed", "id": "evt_6", "created": "2025-01-10T09:31:00Z",
          "data": {"refund_id": "re_2", "order_id": "ord_456", "iccid": "8988307000001234575",
                   "amount": {"amount": 14.99, "currency": "USD"}}}"#;
        let e = Event::from_json(line).expect("a refund of one line");
        let EventPayload::RefundProcessed(d) = &e.payload else {
            panic!("wrong variant")
        };
        assert_eq!(d.iccid.as_deref(), Some("8988307000001234575"));
        assert_eq!(
            Event::from_json(&e.to_json().expect("json")).expect("parses"),
            e
        );
    }

    #[test]
    fn keeps_unknown_types() {
        let body = br#"{"type": "line.suspended", "id": "evt_9", "created": "2025-01-10T09:21:10Z",
                        "data": {"iccid": "89"}}"#;
        let e = Event::from_json(body).expect("tolerated");
        assert_eq!(e.payload.event_type(), "line.suspended");
        assert!(matches!(e.payload, EventPayload::Unknown { .. }));
    }

    #[test]
    fn unknown_events_with_long_numbers_round_trip() {
        // A fuzzing find: a 107-digit number once read back one ulp off.
        let body = format!(
            r#"{{"type": "x.y", "id": "evt_1", "created": "2025-01-10T09:20:02Z", "data": {{"n": {}1}}}}"#,
            "4".repeat(106)
        );
        let e = Event::from_json(body.as_bytes()).expect("parses");
        let back = Event::from_json(&e.to_json().expect("json")).expect("parses");
        assert_eq!(back, e);
    }

    #[test]
    fn known_type_with_wrong_data_is_an_error() {
        let body = br#"{"type": "activation.ready", "id": "evt_9", "created": "2025-01-10T09:21:10Z",
                        "data": {"order_id": "ord_1", "line": {"iccid": "89", "smdp_plus": "not an lpa"}}}"#;
        assert!(Event::from_json(body).is_err());
    }
}
