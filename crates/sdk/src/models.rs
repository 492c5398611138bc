//! The objects of the Simology partner API, as the integration guide shows them.
//!
//! Every struct tolerates unknown fields, and every status enum has an `Unknown`
//! variant, so that an upstream that adds a field or a state does not break a partner.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::lpa::Lpa;
use crate::money::{Amount, Currency, Money};

/// One plan of the catalogue (`GET /v1/catalog`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogItem {
    /// Stock keeping unit, e.g. `US-5GB-30D`.
    pub sku: String,
    /// Display name, e.g. `United States 5 GB / 30 days`.
    pub name: String,
    /// A country code (`US`) for a country plan, or a region slug (`western-europe`).
    pub region: String,
    /// ISO 3166-1 alpha-2 codes of the countries the plan works in.
    pub coverage: Vec<String>,
    /// Data allowance in MB (1 GB = 1024 MB).
    pub data_allowance_mb: u64,
    /// Days of validity from activation.
    pub validity_days: u32,
    /// Price in the currency the API sets.
    pub price: Money,
    /// How the profile is installed; `lpa` for an LPA string.
    pub activation_method: String,
    /// `data` for data-only eSIMs.
    pub esim_type: String,
    /// The plan's public details page.
    pub terms_url: String,
    /// Whether the plan can be bought now.
    pub available: bool,
}

/// The answer of `GET /v1/catalog`.
///
/// Items are read one by one: an item that does not match [`CatalogItem`] (upstream
/// drift: an over-precise price, an unknown currency code, a missing field) is left out
/// of `items` and listed in `skipped`, so one bad plan does not cost the whole
/// catalogue. The envelope itself (`items` an array, `updated_at` a time) must parse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "CatalogWire")]
pub struct CatalogResponse {
    /// The plans that parsed.
    pub items: Vec<CatalogItem>,
    /// When the catalogue last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The items that did not parse, in answer order. Not part of the wire format.
    #[serde(skip)]
    pub skipped: Vec<SkippedItem>,
}

/// A catalogue item left out because it does not match [`CatalogItem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedItem {
    /// Its `sku`, when it has a string one.
    pub sku: Option<String>,
    /// What did not parse.
    pub reason: String,
}

/// `GET /v1/catalog` as sent, its items not yet read.
#[derive(Deserialize)]
struct CatalogWire {
    items: Vec<serde_json::Value>,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

impl From<CatalogWire> for CatalogResponse {
    fn from(wire: CatalogWire) -> Self {
        let mut items = Vec::with_capacity(wire.items.len());
        let mut skipped = Vec::new();
        for raw in wire.items {
            let sku = raw.get("sku").and_then(|s| s.as_str()).map(str::to_owned);
            match serde_json::from_value::<CatalogItem>(raw) {
                Ok(item) => items.push(item),
                Err(e) => skipped.push(SkippedItem {
                    sku,
                    reason: e.to_string(),
                }),
            }
        }
        CatalogResponse {
            items,
            updated_at: wire.updated_at,
            skipped,
        }
    }
}

/// Filter for `GET /v1/catalog`: one country, one region, or everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CatalogQuery {
    /// Every plan.
    #[default]
    All,
    /// Plans usable in a country (ISO 3166-1 alpha-2), bundles covering it included.
    Country(String),
    /// The plans of a region, e.g. `western-europe`.
    Region(String),
}

/// The buyer of a checkout session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Where receipts go.
    pub email: String,
    /// The buyer's country, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// One line of a checkout session request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    /// The plan.
    pub sku: String,
    /// How many eSIMs.
    pub quantity: u32,
}

/// The body of `POST /v1/checkout/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutSessionRequest {
    /// The buyer.
    pub customer: Customer,
    /// What is bought.
    pub items: Vec<LineItem>,
    /// Where the payment page sends the buyer after paying; `{SESSION_ID}` is filled in.
    pub success_url: String,
    /// Where the payment page sends the buyer who cancels.
    pub cancel_url: String,
    /// Free-form partner data, returned in webhooks and orders.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

/// The state of a checkout session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Waiting for payment.
    Pending,
    /// Paid.
    Completed,
    /// The payment failed.
    Failed,
    /// Past `expires_at` unpaid.
    Expired,
    /// A state this SDK does not know.
    #[serde(other)]
    Unknown,
}

/// The answer of `POST /v1/checkout/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutSession {
    /// Session id, e.g. `cs_abc123`.
    pub id: String,
    /// The hosted payment page to send the buyer to.
    pub payment_url: String,
    /// The session's state.
    pub status: SessionStatus,
    /// When the session stops accepting payment.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The order the session created, once paid. Not in the guide's example; absent
    /// from answers that do not carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

/// The details of an error (`{"error": {...}}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Machine-readable code: `validation_error`, `sku_unavailable`, `auth_error`, ...
    pub code: String,
    /// Human-readable message for the partner's logs, never for travellers.
    pub message: String,
    /// The request's id, for support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Seconds to wait before retrying (with `rate_limited`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// The canonical error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The state of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Created, payment not confirmed.
    Pending,
    /// Funds confirmed; provisioning under way (`lines` may already hold some of the
    /// order's eSIMs).
    Paid,
    /// Every eSIM of the order is provisioned; `lines` holds their credentials. An
    /// order some of whose lines were refunded stays `ready`.
    Ready,
    /// Provisioning failed.
    Failed,
    /// Refunded: every line of the order.
    Refunded,
    /// A state this SDK does not know.
    #[serde(other)]
    Unknown,
}

/// A paid item of an order, as webhooks and orders carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    /// The plan.
    pub sku: String,
    /// How many.
    pub quantity: u32,
    /// Price of one, exact.
    pub unit_price: Amount,
    /// Currency of `unit_price`.
    pub currency: Currency,
}

impl OrderItem {
    /// The unit price as money.
    ///
    /// # Errors
    /// When the amount has more decimals than the currency.
    pub fn unit_money(&self) -> Result<Money, crate::money::MoneyError> {
        Money::from_amount(self.unit_price, self.currency)
    }
}

/// The credentials of a provisioned eSIM line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivatedLine {
    /// The SIM's ICCID.
    pub iccid: String,
    /// The LPA activation string (the guide calls the field `smdp_plus`).
    pub smdp_plus: Lpa,
    /// A hosted PNG of the QR code, when the API offers one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_url: Option<String>,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub valid_from: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// The answer of `GET /v1/orders/{order_id}`.
///
/// An order has one line (one eSIM) per unit bought: `quantity` of each item. `lines`
/// lists those provisioned so far, item by item in the order's natural order; `line` is
/// the first of them, as older answers carried it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "OrderWire")]
pub struct Order {
    /// Order id, e.g. `ord_456`.
    pub id: String,
    /// The checkout session that created it.
    pub session_id: String,
    /// The order's state.
    pub status: OrderStatus,
    /// What was bought.
    pub items: Vec<OrderItem>,
    /// The first eSIM of the order, once provisioned (the same as `lines[0]`). Kept for
    /// answers and readers from before orders of several lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<ActivatedLine>,
    /// Every eSIM of the order provisioned so far, in the order's natural order (item by
    /// item, unit by unit); refunded lines stay listed. An answer without the field
    /// reads as `[line]` when it has a `line`, else as empty.
    pub lines: Vec<ActivatedLine>,
    /// Why it failed, when `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// The partner's metadata from the checkout session.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// `GET /v1/orders/{order_id}` as sent: `lines` may be absent from older answers.
#[derive(Deserialize)]
struct OrderWire {
    id: String,
    session_id: String,
    status: OrderStatus,
    items: Vec<OrderItem>,
    #[serde(default)]
    line: Option<ActivatedLine>,
    #[serde(default)]
    lines: Option<Vec<ActivatedLine>>,
    #[serde(default)]
    failure_reason: Option<String>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
    #[serde(with = "time::serde::rfc3339")]
    created: OffsetDateTime,
}

impl From<OrderWire> for Order {
    fn from(wire: OrderWire) -> Self {
        // An answer from before orders of several lines has one line at most, in `line`.
        let lines = wire
            .lines
            .unwrap_or_else(|| wire.line.iter().cloned().collect());
        Order {
            id: wire.id,
            session_id: wire.session_id,
            status: wire.status,
            items: wire.items,
            line: wire.line,
            lines,
            failure_reason: wire.failure_reason,
            metadata: wire.metadata,
            created: wire.created,
        }
    }
}

/// Data used and left on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataUsage {
    /// MB used.
    pub used_mb: u64,
    /// MB left.
    pub remaining_mb: u64,
}

/// The state of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    /// Provisioned, not yet attached to a network.
    NotActive,
    /// In use.
    Active,
    /// All data used.
    Depleted,
    /// Past its validity.
    Expired,
    /// A state this SDK does not know.
    #[serde(other)]
    Unknown,
}

/// The answer of `GET /v1/lines/{iccid}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineStatus {
    /// The SIM's ICCID.
    pub iccid: String,
    /// The line's state.
    pub status: LineState,
    /// Usage.
    pub data: DataUsage,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
}

/// The body of `POST /v1/topups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopupRequest {
    /// The line to add data to.
    pub iccid: String,
    /// A catalogue plan of the line's destination.
    pub sku: String,
}

/// The state of a top-up or a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationStatus {
    /// Accepted, not done yet.
    Pending,
    /// Done (top-up applied).
    Completed,
    /// Done (refund paid out).
    Processed,
    /// Refused or failed.
    Failed,
    /// A state this SDK does not know.
    #[serde(other)]
    Unknown,
}

/// The answer of `POST /v1/topups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topup {
    /// Top-up id.
    pub id: String,
    /// The line.
    pub iccid: String,
    /// The plan added.
    pub sku: String,
    /// MB added.
    pub data_added_mb: u64,
    /// What it costs.
    pub price: Money,
    /// Its state.
    pub status: OperationStatus,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// The body of `POST /v1/refunds` for a whole order: every line of it not yet
/// refunded. [`LineRefundRequest`] refunds one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// The order to refund.
    pub order_id: String,
    /// Why, for the records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The body of `POST /v1/refunds` for one line of an order: [`RefundRequest`] with an
/// `iccid`. The refund is that line's unit price, and only that line stops once
/// `refund.processed` arrives; the order is `refunded` when all its lines are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineRefundRequest {
    /// The order the line belongs to.
    pub order_id: String,
    /// The line to refund.
    pub iccid: String,
    /// Why, for the records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The answer of `POST /v1/refunds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// Refund id.
    pub id: String,
    /// The order.
    pub order_id: String,
    /// The line refunded, when the request named one; none for a whole order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    /// What is paid back.
    pub amount: Money,
    /// `pending` until `refund.processed` arrives.
    pub status: OperationStatus,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_guides_catalogue_with_unknown_fields() {
        let body = r#"{
          "items": [{
            "sku": "US-5GB-30D", "name": "United States 5 GB / 30 days", "region": "US",
            "coverage": ["US"], "data_allowance_mb": 5120, "validity_days": 30,
            "price": { "amount": 14.99, "currency": "USD" }, "activation_method": "lpa",
            "esim_type": "data", "terms_url": "https://simology.io/esim-united-states",
            "available": true, "a_field_added_later": {"x": 1}
          }],
          "updated_at": "2025-01-10T09:12:44Z"
        }"#;
        let catalog: CatalogResponse = serde_json::from_str(body).expect("guide example");
        assert_eq!(catalog.items[0].price.minor(), 1499);
        assert_eq!(catalog.items[0].data_allowance_mb, 5120);
        assert_eq!(catalog.updated_at.unix_timestamp(), 1_736_500_364);
    }

    #[test]
    fn a_drifted_item_is_skipped_not_fatal() {
        let good = r#"{"sku": "US-5GB-30D", "name": "United States 5 GB / 30 days", "region": "US",
            "coverage": ["US"], "data_allowance_mb": 5120, "validity_days": 30,
            "price": { "amount": 14.99, "currency": "USD" }, "activation_method": "lpa",
            "esim_type": "data", "terms_url": "https://simology.io/esim-united-states",
            "available": true}"#;
        let over_precise = good
            .replace("US-5GB-30D", "US-DRIFT-1")
            .replace("14.99", "14.999");
        let bad_currency = good
            .replace("US-5GB-30D", "US-DRIFT-2")
            .replace(r#""USD""#, r#""dollars""#);
        let no_sku = r#"{"name": "nameless"}"#;
        let body = format!(
            r#"{{"items": [{good}, {over_precise}, {no_sku}, {bad_currency}, {good}],
                 "updated_at": "2025-01-10T09:12:44Z"}}"#
        );
        let catalog: CatalogResponse = serde_json::from_str(&body).expect("the good items");
        assert_eq!(catalog.items.len(), 2);
        assert!(catalog.items.iter().all(|i| i.sku == "US-5GB-30D"));
        let skus: Vec<_> = catalog.skipped.iter().map(|s| s.sku.as_deref()).collect();
        assert_eq!(skus, vec![Some("US-DRIFT-1"), None, Some("US-DRIFT-2")]);
        assert!(
            catalog.skipped[0].reason.contains("more decimals"),
            "{:?}",
            catalog.skipped[0]
        );
        assert!(
            catalog.skipped[2].reason.contains("currency"),
            "{:?}",
            catalog.skipped[2]
        );
        // The envelope still has to be right.
        assert!(serde_json::from_str::<CatalogResponse>(
            r#"{"items": {}, "updated_at": "2025-01-10T09:12:44Z"}"#
        )
        .is_err());
        assert!(serde_json::from_str::<CatalogResponse>(r#"{"items": []}"#).is_err());
        // What goes back out is the wire format, without `skipped`.
        let out = serde_json::to_value(&catalog).expect("json");
        assert!(out.get("skipped").is_none());
        assert_eq!(out["items"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn unknown_states_do_not_fail() {
        let s: SessionStatus = serde_json::from_str(r#""on_hold""#).expect("tolerated");
        assert_eq!(s, SessionStatus::Unknown);
        let s: OrderStatus = serde_json::from_str(r#""ready""#).expect("known");
        assert_eq!(s, OrderStatus::Ready);
    }

    const LINE_1: &str = r#"{"iccid": "8988307000001234567",
        "smdp_plus": "LPA:1$sm-dp-plus.simology.net$ACT-CODE-1234",
        "valid_from": "2025-01-10T09:21:10Z", "expires_at": "2025-02-09T23:59:59Z"}"#;
    const LINE_2: &str = r#"{"iccid": "8988307000001234575",
        "smdp_plus": "LPA:1$sm-dp-plus.simology.net$ACT-CODE-5678",
        "valid_from": "2025-01-10T09:21:10Z", "expires_at": "2025-02-09T23:59:59Z"}"#;

    fn order_json(status: &str, rest: &str) -> String {
        format!(
            r#"{{"id": "ord_456", "session_id": "cs_abc123", "status": "{status}",
                "items": [{{"sku": "US-5GB-30D", "quantity": 2, "unit_price": 14.99, "currency": "USD"}}],
                "created": "2025-01-10T09:20:02Z"{rest}}}"#
        )
    }

    #[test]
    fn an_order_from_before_lines_still_parses() {
        // Without `lines`, and without a line yet: no lines.
        let paid: Order = serde_json::from_str(&order_json("paid", "")).expect("older paid order");
        assert_eq!(paid.status, OrderStatus::Paid);
        assert_eq!(paid.line, None);
        assert!(paid.lines.is_empty());
        // Without `lines`, with its one line: that line is the order's only one.
        let ready: Order =
            serde_json::from_str(&order_json("ready", &format!(r#", "line": {LINE_1}"#)))
                .expect("older ready order");
        let line = ready.line.clone().expect("the line");
        assert_eq!(line.iccid, "8988307000001234567");
        assert_eq!(ready.lines, vec![line]);
    }

    #[test]
    fn an_order_lists_its_lines_and_keeps_the_first_as_line() {
        let body = order_json(
            "ready",
            &format!(r#", "line": {LINE_1}, "lines": [{LINE_1}, {LINE_2}], "later": true"#),
        );
        let order: Order = serde_json::from_str(&body).expect("order of two lines");
        let iccids: Vec<_> = order.lines.iter().map(|l| l.iccid.as_str()).collect();
        assert_eq!(iccids, ["8988307000001234567", "8988307000001234575"]);
        assert_eq!(order.line.as_ref(), order.lines.first());
        assert_eq!(order.lines[1].smdp_plus.activation_code(), "ACT-CODE-5678");
        // An explicit empty list stays empty, whatever `line` says.
        let none: Order =
            serde_json::from_str(&order_json("paid", r#", "lines": []"#)).expect("empty");
        assert!(none.lines.is_empty());
        // What goes out reads back the same, `lines` always written.
        let out = serde_json::to_value(&order).expect("json");
        assert_eq!(out["lines"].as_array().map(Vec::len), Some(2));
        let back: Order = serde_json::from_value(out).expect("round trip");
        assert_eq!(back, order);
        let empty = serde_json::to_value(&none).expect("json");
        assert_eq!(empty["lines"], serde_json::json!([]));
        assert!(empty.get("line").is_none());
    }

    #[test]
    fn a_refund_request_without_a_line_is_sent_as_before() {
        let whole = RefundRequest {
            order_id: "ord_456".into(),
            reason: None,
        };
        assert_eq!(
            serde_json::to_string(&whole).expect("json"),
            r#"{"order_id":"ord_456"}"#
        );
        let with_reason = RefundRequest {
            order_id: "ord_456".into(),
            reason: Some("requested_by_customer".into()),
        };
        assert_eq!(
            serde_json::to_string(&with_reason).expect("json"),
            r#"{"order_id":"ord_456","reason":"requested_by_customer"}"#
        );
        let line = LineRefundRequest {
            order_id: "ord_456".into(),
            iccid: "8988307000001234575".into(),
            reason: None,
        };
        assert_eq!(
            serde_json::to_string(&line).expect("json"),
            r#"{"order_id":"ord_456","iccid":"8988307000001234575"}"#
        );
    }

    #[test]
    fn a_refund_names_its_line_only_when_it_has_one() {
        let body = r#"{"id": "re_1", "order_id": "ord_456", "amount": {"amount": 14.99, "currency": "USD"},
                       "status": "pending", "created": "2025-01-10T09:30:00Z"}"#;
        let whole: Refund = serde_json::from_str(body).expect("a refund without iccid");
        assert_eq!(whole.iccid, None);
        assert!(serde_json::to_value(&whole)
            .expect("json")
            .get("iccid")
            .is_none());
        let body = body.replace(
            r#""order_id""#,
            r#""iccid": "8988307000001234575", "order_id""#,
        );
        let line: Refund = serde_json::from_str(&body).expect("a refund of a line");
        assert_eq!(line.iccid.as_deref(), Some("8988307000001234575"));
    }

    #[test]
    fn reads_the_guides_error_body() {
        let body = r#"{"error": {"code": "rate_limited", "message": "Too many requests. Try again later.",
                       "request_id": "req_123", "retry_after": 30}}"#;
        let e: ErrorBody = serde_json::from_str(body).expect("guide example");
        assert_eq!(e.error.retry_after, Some(30));
        assert_eq!(e.error.request_id.as_deref(), Some("req_123"));
    }
}
