//! # simology-proxy-api
//!
//! The JSON types of the partner proxy's public API (`/api/...`): what the widget sends
//! and receives. Shared by the proxy and the widget, so a change breaks both builds at
//! once instead of one at run time. Times are RFC 3339 strings; money is integer minor
//! units with the currency's number of decimals.

mod affiliates;
mod protocol;

pub use affiliates::{
    is_valid_affiliate_id, is_valid_click_id, normalise_page_path, normalise_placement,
    AffiliateTotals, Beacon, Conversion, Funnel, FunnelEvent, Report, ReportGroup, ReportRow,
    Revenue, MAX_AFFILIATE_ID_LEN, MAX_BEACON_BYTES, MAX_CLICK_ID_LEN, MAX_PAGE_PATH_LEN,
    MAX_PLACEMENT_LEN, OTHER,
};
mod embed;

pub use embed::{CompatCheck, EmbedConfig, ThemeKind, ThemeVar, MAX_THEME_VALUE_LEN, THEME_VARS};
pub use protocol::{DestinationId, Instance, OrderRef, PaymentReturn};
mod money;

/// Money as a decimal, shared with the SDK: [`Price::decimal`] writes a price as `14.99`.
pub use money::{currency_decimals, Decimal};

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The release the widget and the proxy come from. The proxy renders the widget's
/// first screen and the widget's picker module takes that rendering over, so the two
/// must be of one release: `cargo xtask dist` writes this into `integrity.json`, and
/// the proxy refuses widget files of another.
pub const WIDGET_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Exact money: `minor` units of `currency`, which has `decimals` decimals (JPY 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Price {
    /// Integer minor units: 1499 is 14.99 USD; 1500 is 1500 JPY.
    pub minor: i64,
    /// ISO 4217 code.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: CurrencyCode,
    /// Decimals of the currency's minor unit.
    pub decimals: u8,
}

impl Price {
    /// The amount as a decimal (`14.99`, `1500`; see [`Decimal`]).
    pub fn decimal(&self) -> Decimal {
        Decimal::new(self.minor, self.decimals)
    }
}

/// A three-letter ISO 4217 currency code, stored inline (no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CurrencyCode(pub [u8; 3]);

impl CurrencyCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Parses three ASCII capitals.
    pub fn parse(text: &str) -> Option<Self> {
        match text.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => {
                Some(CurrencyCode([*a, *b, *c]))
            }
            _ => None,
        }
    }
}

impl Serialize for CurrencyCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CurrencyCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        CurrencyCode::parse(&text)
            .ok_or_else(|| serde::de::Error::custom("a currency is three capital letters"))
    }
}

/// A country or a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DestinationKind {
    /// A country, coded ISO 3166-1 alpha-2.
    Country,
    /// A region such as `western-europe`.
    Region,
}

impl DestinationKind {
    /// Both kinds.
    pub const ALL: [DestinationKind; 2] = [DestinationKind::Country, DestinationKind::Region];

    /// The kind's name, as it is written in JSON (`country`).
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationKind::Country => "country",
            DestinationKind::Region => "region",
        }
    }
}

/// A place plans can be bought for (`GET /api/destinations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Destination {
    /// Country or region.
    pub kind: DestinationKind,
    /// `US` or `western-europe`.
    pub code: String,
    /// English name; the widget shows a localised one.
    pub name: String,
    /// Plans usable there (for a country, regional bundles covering it included).
    pub plan_count: u32,
    /// The cheapest available plan there, in the destination's main currency.
    pub lowest_price: Option<Price>,
    /// For a region, the countries it covers.
    pub countries: Vec<String>,
}

/// The answer of `GET /api/destinations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DestinationsResponse {
    /// Countries first, then regions, each by name.
    pub destinations: Vec<Destination>,
    /// When the upstream catalogue last changed.
    pub updated_at: String,
}

/// One plan (`GET /api/catalog`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Plan {
    /// SKU, e.g. `US-5GB-30D`.
    pub sku: String,
    /// Display name from the catalogue.
    pub name: String,
    /// A country plan or a regional bundle.
    pub kind: DestinationKind,
    /// The plan's own destination code (`US`, `europe`).
    pub destination: String,
    /// Countries the plan works in.
    pub coverage: Vec<String>,
    /// Data in MB (1 GB = 1024 MB).
    pub data_mb: u64,
    /// Days of validity.
    pub validity_days: u32,
    /// Price.
    pub price: Price,
    /// Whether it can be bought now.
    pub available: bool,
    /// The plan's details page.
    pub terms_url: String,
}

/// The answer of `GET /api/catalog?country=..|region=..`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CatalogResponse {
    /// The destination asked for.
    pub destination: Destination,
    /// Its plans: country plans first, then bundles; each group by price.
    pub plans: Vec<Plan>,
    /// When the upstream catalogue last changed.
    pub updated_at: String,
}

/// The body of `POST /api/checkout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CheckoutRequest {
    /// The plan.
    pub sku: String,
    /// How many eSIMs, 1 to 10: one line (ICCID, QR code) per traveller. A proxy may
    /// sell fewer at a time, or one of a plan not installed by LPA string; it refuses
    /// those with `quantity_unavailable` before any payment.
    pub quantity: u32,
    /// Where the receipt goes.
    pub email: String,
    /// The traveller's language, e.g. `fr` or `pt-BR`.
    pub locale: String,
    /// A random id the widget makes once per purchase intent (16 to 64 of
    /// `A-Z a-z 0-9 _ -`): retries and double clicks with the same id make one order.
    pub intent_id: String,
    /// The page the widget sits on; payment returns there. Its origin must be allowed.
    pub return_url: String,
    /// Which widget of the page this is (see [`Instance`]): the payment page's return
    /// names it (`#simology-paid=<instance>`). Absent: `simology`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The affiliate whose sale this is, as the proxy signed it into the widget's frame
    /// when it served the frame to one of that affiliate's sites
    /// ([`EmbedConfig::attribution`]); a claim in a body is never enough. Absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
    /// The page's path, without query or fragment (see [`normalise_page_path`]); kept
    /// only with an attribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_path: Option<String>,
    /// The affiliate network's click id from the host page's URL (see
    /// [`is_valid_click_id`]: 1 to 200 of `A-Z a-z 0-9 . _ ~ -`, else the checkout is
    /// refused). Kept with the order, only with an affiliate, for its conversion
    /// postbacks; never in a beacon or a report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub click_id: Option<String>,
}

/// The answer of `POST /api/checkout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CheckoutResponse {
    /// The order's reference: the only key to its status and credentials.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "o_0123456789abcdef0123456789abcdef"))]
    pub order_ref: OrderRef,
    /// The payment page to send the top window to.
    pub payment_url: String,
    /// When the payment page stops accepting payment.
    pub expires_at: String,
}

/// Where an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Waiting for payment.
    Pending,
    /// Payment submitted, being confirmed.
    Paid,
    /// Payment confirmed; the eSIM is being prepared.
    Provisioning,
    /// The eSIM is ready (or, for a top-up, the data was added).
    Ready,
    /// Payment declined or provisioning failed; see `reason`.
    Failed,
    /// The payment page expired unpaid.
    Expired,
    /// Refunded; the eSIM no longer works.
    Refunded,
}

impl OrderState {
    /// Every state, in the order an order passes through them.
    pub const ALL: [OrderState; 7] = [
        OrderState::Pending,
        OrderState::Paid,
        OrderState::Provisioning,
        OrderState::Ready,
        OrderState::Failed,
        OrderState::Expired,
        OrderState::Refunded,
    ];

    /// The state's name, as it is written in JSON (`provisioning`).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Pending => "pending",
            OrderState::Paid => "paid",
            OrderState::Provisioning => "provisioning",
            OrderState::Ready => "ready",
            OrderState::Failed => "failed",
            OrderState::Expired => "expired",
            OrderState::Refunded => "refunded",
        }
    }

    /// Whether the order can still change without a refund.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            OrderState::Ready | OrderState::Failed | OrderState::Expired | OrderState::Refunded
        )
    }
}

/// The plan an order is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrderPlan {
    /// SKU.
    pub sku: String,
    /// Display name.
    pub name: String,
    /// Countries covered.
    pub coverage: Vec<String>,
    /// Data in MB.
    pub data_mb: u64,
    /// Days of validity.
    pub validity_days: u32,
    /// How many.
    pub quantity: u32,
    /// Price of one.
    pub price: Price,
    /// The plan's details page.
    pub terms_url: String,
}

/// The eSIM's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Esim {
    /// The SIM's ICCID.
    pub iccid: String,
    /// The LPA activation string for the QR code: `LPA:1$<SM-DP+>$<code>`.
    pub lpa: String,
    /// The SM-DP+ address, for manual entry.
    pub smdp_address: String,
    /// The activation code, for manual entry.
    pub activation_code: String,
    /// Start of validity.
    pub valid_from: String,
    /// End of validity.
    pub valid_until: String,
}

/// An order as one eSIM: the fields of `GET /api/orders/{order_ref}` before its lines
/// (see `OrderDetail`, the whole answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrderView {
    /// The reference.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "o_0123456789abcdef0123456789abcdef"))]
    pub order_ref: OrderRef,
    /// Where it is.
    pub state: OrderState,
    /// Why it failed: `payment_declined`, `provisioning_failed`, `payment_expired`.
    pub reason: Option<String>,
    /// What was bought.
    pub plan: OrderPlan,
    /// The credentials of the order's first working line (by ICCID), once the order is
    /// `ready` (never for top-ups). An order of several eSIMs lists them all in
    /// `OrderDetail::lines`.
    pub esim: Option<Esim>,
    /// For a top-up, the order of the line it adds data to.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub topup_of: Option<OrderRef>,
    /// Whether this proxy holds, in memory, the email given for this order (at its
    /// checkout or a top-up of it): a top-up of the order may then omit its email.
    /// Never the address itself; false from an older proxy.
    #[serde(default)]
    pub email_on_file: bool,
    /// An id of the order for the partner's analytics (the widget's `simology:paid` and
    /// `simology:ready` events carry it): derived from the reference under the proxy's
    /// key, it opens nothing and leads back to nothing. Empty from an older proxy.
    #[serde(default)]
    pub analytics_id: String,
    /// Changes with every change of the order: pass it back as `version` to long-poll.
    pub version: i64,
    /// When the order last changed.
    pub updated_at: String,
}

/// Whether a line of an order still works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    /// Delivered and working: its credentials are in `esim`.
    Ready,
    /// Refunded (alone or with its order): it no longer works, and its credentials are
    /// withdrawn.
    Refunded,
}

impl LineState {
    /// Both states.
    pub const ALL: [LineState; 2] = [LineState::Ready, LineState::Refunded];

    /// The state's name, as it is written in JSON (`ready`).
    pub fn as_str(self) -> &'static str {
        match self {
            LineState::Ready => "ready",
            LineState::Refunded => "refunded",
        }
    }
}

/// One eSIM of an order: an order of quantity N has N lines, one per traveller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Line {
    /// The line's ICCID: its key in the order, and in
    /// `/api/orders/{order_ref}/lines/{iccid}/...`.
    pub iccid: String,
    /// Whether it works.
    pub state: LineState,
    /// Its credentials while it is `ready`; none once refunded.
    pub esim: Option<Esim>,
}

/// The answer of `GET /api/orders/{order_ref}`: the fields of `OrderView`, flattened
/// (a reader of `OrderView` alone reads this answer as before), and the order's lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrderDetail {
    /// The order as one eSIM: `esim` is its first working line once it is `ready`.
    #[serde(flatten)]
    pub order: OrderView,
    /// The lines delivered so far, by ICCID (a line that arrives later may sort before
    /// earlier ones: key cards by ICCID). Empty for a top-up.
    pub lines: Vec<Line>,
    /// How many lines have been delivered (refunded ones included): `lines.len()`.
    pub lines_ready: u32,
    /// How many lines the order was paid for (its quantity); 0 for a top-up. The order
    /// is `ready` once `lines_ready` reaches it.
    pub lines_total: u32,
    /// For a top-up, the ICCID of the line it adds data to.
    pub topup_line: Option<String>,
}

/// The answer of `GET /api/orders/{order_ref}/lines/{iccid}/usage` (and of
/// `GET /api/orders/{order_ref}/usage`, for the line in the order's `esim`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UsageView {
    /// MB used.
    pub used_mb: u64,
    /// MB left.
    pub remaining_mb: u64,
    /// `not_active`, `active`, `depleted` or `expired`.
    pub status: String,
    /// When the network reported these figures (roaming networks report late).
    pub measured_at: String,
    /// End of validity.
    pub valid_until: String,
}

/// The answer of `GET /api/orders/{order_ref}/lines/{iccid}/topups` (and of
/// `GET /api/orders/{order_ref}/topups`, for the line in the order's `esim`): plans that
/// add data to the line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TopupOffers {
    /// Available plans of the line's destination, cheapest first.
    pub offers: Vec<Plan>,
}

/// The body of `POST /api/orders/{order_ref}/lines/{iccid}/topups` (or
/// `POST /api/orders/{order_ref}/topups`, for the line in the order's `esim`): buy a
/// top-up for that line (paid like a plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TopupRequest {
    /// One of the offers.
    pub sku: String,
    /// Where the receipt goes. Absent or empty: the email of the order's checkout (or
    /// of its last top-up), when this proxy process still holds it in memory (see
    /// `OrderView::email_on_file`); when it does not, the answer is `invalid_email`
    /// (field `email`) and the widget asks for it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// The traveller's language.
    pub locale: String,
    /// As for checkout: one id per intent.
    pub intent_id: String,
    /// The page the widget sits on.
    pub return_url: String,
    /// Which widget of the page this is, as for checkout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// The machine-readable error codes the widget translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body or a parameter is malformed.
    InvalidRequest,
    /// The email address is not valid.
    InvalidEmail,
    /// The SKU is malformed or unknown.
    InvalidSku,
    /// The quantity is not 1 to 10.
    InvalidQuantity,
    /// This proxy cannot deliver that many eSIMs of this plan as separate lines (more
    /// than its limit per order, or several of a plan not installed by LPA string);
    /// refused before any payment. See `field` (`quantity`) and `message`.
    QuantityUnavailable,
    /// The return URL is not on an allowed origin.
    InvalidReturnUrl,
    /// The request's origin is not allowed.
    OriginNotAllowed,
    /// The plan is sold out.
    SkuUnavailable,
    /// No such order (or destination).
    NotFound,
    /// The order is not in a state that allows this (e.g. usage before it is ready).
    NotReady,
    /// The intent id was used with other details.
    Conflict,
    /// Too many requests; wait `retry_after` seconds.
    RateLimited,
    /// The body is too large.
    PayloadTooLarge,
    /// The eSIM provider cannot be reached now; try again shortly.
    UpstreamUnavailable,
    /// Something went wrong on our side.
    InternalError,
    /// A code this version does not know.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// Every code this version knows (all but `Unknown`).
    pub const KNOWN: [ErrorCode; 15] = [
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidEmail,
        ErrorCode::InvalidSku,
        ErrorCode::InvalidQuantity,
        ErrorCode::QuantityUnavailable,
        ErrorCode::InvalidReturnUrl,
        ErrorCode::OriginNotAllowed,
        ErrorCode::SkuUnavailable,
        ErrorCode::NotFound,
        ErrorCode::NotReady,
        ErrorCode::Conflict,
        ErrorCode::RateLimited,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UpstreamUnavailable,
        ErrorCode::InternalError,
    ];

    /// The code as it is written in JSON (`rate_limited`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidEmail => "invalid_email",
            ErrorCode::InvalidSku => "invalid_sku",
            ErrorCode::InvalidQuantity => "invalid_quantity",
            ErrorCode::QuantityUnavailable => "quantity_unavailable",
            ErrorCode::InvalidReturnUrl => "invalid_return_url",
            ErrorCode::OriginNotAllowed => "origin_not_allowed",
            ErrorCode::SkuUnavailable => "sku_unavailable",
            ErrorCode::NotFound => "not_found",
            ErrorCode::NotReady => "not_ready",
            ErrorCode::Conflict => "conflict",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UpstreamUnavailable => "upstream_unavailable",
            ErrorCode::InternalError => "internal_error",
            ErrorCode::Unknown => "unknown",
        }
    }
}

/// The error body: `{"error": {"code": ..., "message": ...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorDetail {
    /// What went wrong, for the widget to translate.
    pub code: ErrorCode,
    /// An English explanation for developers; never shown to travellers as is.
    pub message: String,
    /// The field at fault, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds to wait, with `rate_limited`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// The proxy's request id, for support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// The error envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Whether an email address is plausible, by the rules both the widget (before it
/// sends) and the proxy (before it accepts) apply: one `@`, a dotted domain of
/// letters, digits and hyphens, no spaces, at most 254 characters.
pub fn is_valid_email(text: &str) -> bool {
    let text = text.trim();
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    // Letters beyond ASCII (internationalised addresses) are accepted as letters; the
    // check stays free of Unicode tables, which matters in the widget's wasm.
    let letter = |c: char| c.is_ascii_alphanumeric() || !c.is_ascii();
    let labels_ok = domain.split('.').all(|l| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| letter(c) || c == '-')
    });
    text.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && labels_ok
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        && local
            .chars()
            .all(|c| letter(c) || "!#$%&'*+-/=?^_`{|}~.".contains(c))
}

/// Whether an intent id is well formed: 16 to 64 of `A-Z a-z 0-9 _ -`.
pub fn is_valid_intent_id(text: &str) -> bool {
    (16..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The longest long-poll the proxy holds, in seconds.
pub const MAX_WAIT_SECS: u64 = 25;

#[cfg(test)]
mod tests {
    use super::*;

    /// `name` is what serde writes for `value`, and what serde reads back as it.
    fn json_name<T>(value: T, name: &str)
    where
        T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let json = serde_json::to_string(&value).expect("json");
        assert_eq!(json, format!("\"{name}\""));
        assert_eq!(serde_json::from_str::<T>(&json).expect("back"), value);
    }

    /// The names of `T`'s variants as serde's derive knows them: it hands them to
    /// `deserialize_enum`, where this deserializer keeps them (and then gives up).
    fn serde_variants<T: serde::de::DeserializeOwned>() -> Vec<&'static str> {
        use serde::de::{Error, Visitor};

        struct Probe<'a>(&'a mut Vec<&'static str>);

        impl<'de> serde::Deserializer<'de> for Probe<'_> {
            type Error = serde::de::value::Error;

            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
                Err(Self::Error::custom("not an enum"))
            }

            fn deserialize_enum<V: Visitor<'de>>(
                self,
                _name: &'static str,
                variants: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Self::Error> {
                self.0.extend_from_slice(variants);
                Err(Self::Error::custom("probed"))
            }

            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
                bytes byte_buf option unit unit_struct newtype_struct seq tuple
                tuple_struct map struct identifier ignored_any
            }
        }

        let mut names = Vec::new();
        assert!(T::deserialize(Probe(&mut names)).is_err());
        assert!(!names.is_empty(), "serde did not read it as an enum");
        names
    }

    /// Each list names every variant serde knows, once, by its JSON name.
    fn every_variant<T>(list: &[T], name: fn(T) -> &'static str)
    where
        T: Copy + Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        for &value in list {
            json_name(value, name(value));
        }
        let mut ours: Vec<&str> = list.iter().map(|&v| name(v)).collect();
        let mut serdes = serde_variants::<T>();
        ours.sort_unstable();
        serdes.sort_unstable();
        assert_eq!(ours, serdes);
    }

    #[test]
    fn state_kind_and_code_names_are_the_json_names() {
        every_variant(&OrderState::ALL, OrderState::as_str);
        every_variant(&DestinationKind::ALL, DestinationKind::as_str);
        every_variant(&LineState::ALL, LineState::as_str);
        let mut codes = ErrorCode::KNOWN.to_vec();
        assert!(!codes.contains(&ErrorCode::Unknown));
        codes.push(ErrorCode::Unknown);
        every_variant(&codes, ErrorCode::as_str);
    }

    #[test]
    fn unknown_error_codes_are_tolerated() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"error":{"code":"brand_new","message":"x"}}"#)
                .expect("parses");
        assert_eq!(body.error.code, ErrorCode::Unknown);
        let body: ErrorBody =
            serde_json::from_str(r#"{"error":{"code":"sku_unavailable","message":"x"}}"#)
                .expect("parses");
        assert_eq!(body.error.code, ErrorCode::SkuUnavailable);
    }

    #[test]
    fn emails() {
        for good in [
            "alex@example.com",
            "a.b+tag@sub.example.co.uk",
            "élise@exemple.fr",
            " alex@example.com ",
        ] {
            assert!(is_valid_email(good), "{good}");
        }
        for bad in [
            "",
            "alex",
            "alex@",
            "@example.com",
            "alex@example",
            "a b@example.com",
            "alex@@example.com",
            "alex@exa mple.com",
            ".alex@example.com",
            "a..b@example.com",
            "alex@-example.com",
            "<script>@x.com",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    fn detail() -> OrderDetail {
        let esim = |n: u8| Esim {
            iccid: format!("898830700000000000{n}"),
            lpa: format!("LPA:1$smdp.example.test$CODE-{n}"),
            smdp_address: "smdp.example.test".into(),
            activation_code: format!("CODE-{n}"),
            valid_from: "2026-11-26T10:00:00Z".into(),
            valid_until: "2026-12-26T10:00:00Z".into(),
        };
        OrderDetail {
            order: OrderView {
                order_ref: OrderRef::from_bits(7),
                state: OrderState::Ready,
                reason: None,
                plan: OrderPlan {
                    sku: "JP-1GB-7D".into(),
                    name: "Japan 1 GB".into(),
                    coverage: vec!["JP".into()],
                    data_mb: 1024,
                    validity_days: 7,
                    quantity: 2,
                    price: Price {
                        minor: 450,
                        currency: CurrencyCode(*b"USD"),
                        decimals: 2,
                    },
                    terms_url: String::new(),
                },
                esim: Some(esim(2)),
                topup_of: None,
                email_on_file: true,
                analytics_id: "a_01".into(),
                version: 4,
                updated_at: "2026-11-26T10:00:00.000Z".into(),
            },
            lines: vec![
                Line {
                    iccid: esim(1).iccid,
                    state: LineState::Refunded,
                    esim: None,
                },
                Line {
                    iccid: esim(2).iccid,
                    state: LineState::Ready,
                    esim: Some(esim(2)),
                },
            ],
            lines_ready: 2,
            lines_total: 2,
            topup_line: None,
        }
    }

    #[test]
    fn an_order_detail_is_an_order_view_with_its_lines_beside() {
        let detail = detail();
        let json = serde_json::to_value(&detail).expect("json");
        // Flat: a reader of the one-eSIM view finds its fields at the top level.
        assert_eq!(json["state"], "ready");
        assert_eq!(json["esim"]["activation_code"], "CODE-2");
        assert_eq!(json["lines"][0]["state"], "refunded");
        assert!(json["lines"][0]["esim"].is_null());
        assert_eq!(
            (json["lines_ready"].clone(), json["lines_total"].clone()),
            (2.into(), 2.into())
        );
        let view: OrderView = serde_json::from_value(json.clone()).expect("an OrderView reads it");
        assert_eq!(view, detail.order);
        let back: OrderDetail = serde_json::from_value(json).expect("round trip");
        assert_eq!(back, detail);
    }

    #[test]
    fn a_top_up_may_omit_its_email_and_an_old_view_has_none_on_file() {
        let request: TopupRequest = serde_json::from_str(
            r#"{"sku":"JP-1GB-7D","locale":"en","intent_id":"i","return_url":"https://x.example/"}"#,
        )
        .expect("no email is fine");
        assert_eq!(request.email, "");
        let sent = serde_json::to_value(&request).expect("json");
        assert!(
            sent.get("email").is_none(),
            "an empty email is not sent: {sent}"
        );
        let mut old = serde_json::to_value(detail()).expect("json");
        old.as_object_mut().expect("object").remove("email_on_file");
        let view: OrderView = serde_json::from_value(old).expect("an older proxy's view");
        assert!(!view.email_on_file);
    }

    #[test]
    fn currency_codes_round_trip() {
        let price: Price = serde_json::from_str(r#"{"minor":1500,"currency":"JPY","decimals":0}"#)
            .expect("parses");
        assert_eq!(price.currency.as_str(), "JPY");
        assert_eq!(
            serde_json::to_string(&price).expect("json"),
            r#"{"minor":1500,"currency":"JPY","decimals":0}"#
        );
        assert!(
            serde_json::from_str::<Price>(r#"{"minor":1,"currency":"jpy","decimals":0}"#).is_err()
        );
    }
}
