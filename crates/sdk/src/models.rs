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
    /// Funds confirmed; provisioning under way.
    Paid,
    /// The eSIM is provisioned; `line` holds its credentials.
    Ready,
    /// Provisioning failed.
    Failed,
    /// Refunded.
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Order id, e.g. `ord_456`.
    pub id: String,
    /// The checkout session that created it.
    pub session_id: String,
    /// The order's state.
    pub status: OrderStatus,
    /// What was bought.
    pub items: Vec<OrderItem>,
    /// The eSIM, once `ready`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<ActivatedLine>,
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

/// The body of `POST /v1/refunds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// The order to refund.
    pub order_id: String,
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

    #[test]
    fn reads_the_guides_error_body() {
        let body = r#"{"error": {"code": "rate_limited", "message": "Too many requests. Try again later.",
                       "request_id": "req_123", "retry_after": 30}}"#;
        let e: ErrorBody = serde_json::from_str(body).expect("guide example");
        assert_eq!(e.error.retry_after, Some(30));
        assert_eq!(e.error.request_id.as_deref(), Some("req_123"));
    }
}
