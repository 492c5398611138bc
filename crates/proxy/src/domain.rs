//! Validated values, parsed once at the edge and passed inward typed.

use std::fmt;
use std::sync::OnceLock;

use anyhow::Context;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};
use simology_proxy_api::{ErrorCode, Instance, PaymentReturn};
use url::Url;

/// A field a request can get wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `sku`.
    Sku,
    /// `email`.
    Email,
    /// `quantity`.
    Quantity,
    /// `intent_id`.
    IntentId,
    /// `return_url`.
    ReturnUrl,
    /// An allowed origin (settings only).
    Origin,
    /// `affiliate` (of a checkout or a beacon).
    Affiliate,
    /// `placement`.
    Placement,
    /// `page_path`.
    PagePath,
    /// `destination` (of a beacon).
    Destination,
    /// `click_id` (of a checkout).
    ClickId,
}

impl Field {
    /// The field's name in the request.
    pub fn name(self) -> &'static str {
        match self {
            Field::Sku => "sku",
            Field::Email => "email",
            Field::Quantity => "quantity",
            Field::IntentId => "intent_id",
            Field::ReturnUrl => "return_url",
            Field::Origin => "origin",
            Field::Affiliate => "affiliate",
            Field::Placement => "placement",
            Field::PagePath => "page_path",
            Field::Destination => "destination",
            Field::ClickId => "click_id",
        }
    }

    /// The code the widget translates when this field is refused.
    pub fn code(self) -> ErrorCode {
        match self {
            Field::Sku => ErrorCode::InvalidSku,
            Field::Email => ErrorCode::InvalidEmail,
            Field::Quantity => ErrorCode::InvalidQuantity,
            Field::ReturnUrl => ErrorCode::InvalidReturnUrl,
            Field::IntentId
            | Field::Origin
            | Field::Affiliate
            | Field::Placement
            | Field::PagePath
            | Field::Destination
            | Field::ClickId => ErrorCode::InvalidRequest,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a value was refused; the message names the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct Invalid {
    /// The field.
    pub field: Field,
    /// The rule it breaks.
    pub rule: &'static str,
}

/// A refusal of `field` for breaking `rule`.
pub fn invalid(field: Field, rule: &'static str) -> Invalid {
    Invalid { field, rule }
}

/// A SKU: 2 to 5 dash-separated groups of capitals and digits, at most 48 characters,
/// e.g. `US-5GB-30D`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sku(String);

impl Sku {
    /// Parses a SKU.
    ///
    /// # Errors
    /// When it is not of the form above.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let groups: Vec<&str> = text.split('-').collect();
        let ok = text.len() <= 48
            && (2..=5).contains(&groups.len())
            && groups.iter().all(|g| {
                !g.is_empty()
                    && g.len() <= 16
                    && g.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            });
        if ok {
            Ok(Sku(text.to_owned()))
        } else {
            Err(invalid(Field::Sku, "must look like US-5GB-30D"))
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, checked the way checkout forms do: one `@`, a dotted domain, no
/// spaces, at most 254 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses an email address (trimmed).
    ///
    /// # Errors
    /// When it is not a plausible address.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if simology_proxy_api::is_valid_email(text) {
            Ok(Email(text.trim().to_owned()))
        } else {
            Err(invalid(
                Field::Email,
                "must be an email address such as alex@example.com",
            ))
        }
    }

    /// The address, for the upstream request only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `a***@example.com`, for logs.
    pub fn redacted(&self) -> String {
        redact_email(&self.0)
    }
}

/// `a***@example.com`: the first character and the domain.
pub fn redact_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// What an email address becomes in a quarantined body.
const REMOVED: &str = "removed";

/// `text` with every email address replaced by `removed`, and nothing else changed (a
/// quarantined event's body: its numbers keep their exact digits, so that it still
/// parses as it did, and better once the proxy understands it, when it is replayed). Works on any text, JSON
/// or not: an address is a run of characters that may stand in one, with an `@`
/// between a local part and a dotted domain.
pub fn scrub_emails(text: &str) -> String {
    let local = |c: char| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    let domain = |c: char| c.is_alphanumeric() || c == '-' || c == '.';
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' {
            let mut start = i;
            while start > 0 && local(chars[start - 1]) {
                start -= 1;
            }
            let mut end = i + 1;
            while end < chars.len() && domain(chars[end]) {
                end += 1;
            }
            let host: String = chars[i + 1..end].iter().collect();
            let host = host.trim_end_matches('.');
            if start < i && host.contains('.') {
                // Drop the local part already written, then the address.
                for _ in start..i {
                    out.pop();
                }
                out.push_str(REMOVED);
                i = i + 1 + host.chars().count();
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.redacted())
    }
}

/// A quantity of eSIMs, 1 to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(u32);

impl Quantity {
    /// Checks the range.
    ///
    /// # Errors
    /// Outside 1 to 10.
    pub fn parse(n: u32) -> Result<Self, Invalid> {
        if (1..=10).contains(&n) {
            Ok(Quantity(n))
        } else {
            Err(invalid(Field::Quantity, "must be between 1 and 10"))
        }
    }

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// A language tag the widget speaks (`fr`, `pt-BR`); anything else becomes `en`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale(String);

impl Locale {
    /// Normalises a tag: `fr-fr` becomes `fr-FR`; malformed tags become `en`.
    pub fn parse_or_default(text: &str) -> Self {
        let mut parts = text.trim().split(['-', '_']);
        let lang = parts.next().unwrap_or_default().to_ascii_lowercase();
        let region = parts.next().map(str::to_ascii_uppercase);
        let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
        if !lang_ok {
            return Locale("en".into());
        }
        match region {
            Some(r) if r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()) => {
                Locale(format!("{lang}-{r}"))
            }
            _ => Locale(lang),
        }
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The widget's per-intent id: 16 to 64 of `A-Z a-z 0-9 _ -`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentId(String);

impl IntentId {
    /// Parses an intent id.
    ///
    /// # Errors
    /// When its length or characters are wrong.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if simology_proxy_api::is_valid_intent_id(text) {
            Ok(IntentId(text.to_owned()))
        } else {
            Err(invalid(
                Field::IntentId,
                "must be 16 to 64 letters, digits, _ or -",
            ))
        }
    }

    /// The upstream `Idempotency-Key` for this intent and purpose: a hash, so that
    /// the key is fixed for the intent and reveals nothing of it upstream.
    pub fn idempotency_key(&self, purpose: &str) -> String {
        let digest = Sha256::digest(format!("{purpose}\n{}", self.0).as_bytes());
        format!("widget-{purpose}-{}", hex::encode(&digest[..16]))
    }
}

/// An order reference (`simology_proxy_api::OrderRef`): the format is the protocol's,
/// shared with the widget; only the proxy draws new ones.
pub use simology_proxy_api::OrderRef;

/// A new random reference from the OS-seeded generator: 128 bits.
pub fn new_order_ref() -> OrderRef {
    OrderRef::from_bits(rand::rng().random())
}

/// A reference that is not of the generated form. The API answers it exactly as it
/// answers a well-formed reference of no order, so the two cannot be told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("order_ref: is not an order reference")]
pub struct MalformedRef;

/// Parses a reference from a request.
///
/// # Errors
/// When it is not of the generated form.
pub fn parse_order_ref(text: &str) -> Result<OrderRef, MalformedRef> {
    OrderRef::parse(text).ok_or(MalformedRef)
}

/// An order reference as logs show it: 8 hex digits, the start of an HMAC-SHA256 of
/// the reference under the process's log-tag key. A reference is the only key to an
/// eSIM's credentials, so logs never carry one; the tag follows one order through them
/// (the same reference, the same tag, within a process), and nothing in the logs leads
/// back to the reference or to the key. Log an order as `order_tag = %RefTag(&r)`.
/// `simology-proxy tag <order_ref>` prints a reference's tag under the configured key.
pub struct RefTag<'a>(pub &'a OrderRef);

impl fmt::Display for RefTag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&log_tag(log_tag_key(), self.0))
    }
}

impl fmt::Debug for RefTag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RefTag({self})")
    }
}

/// The process's log-tag key: set once from `PROXY_LOG_TAG_KEY`, else drawn at random
/// at the first tag (tags then differ from one process to the next).
static LOG_TAG_KEY: OnceLock<Vec<u8>> = OnceLock::new();

fn log_tag_key() -> &'static [u8] {
    LOG_TAG_KEY.get_or_init(|| rand::rng().random::<[u8; 32]>().to_vec())
}

/// Makes `key` the process's log-tag key; call it before anything is logged. Returns
/// `false` when the process already tags with another key, which stays: a process's
/// tags never change.
pub fn set_log_tag_key(key: &[u8]) -> bool {
    LOG_TAG_KEY.get_or_init(|| key.to_vec()) == key
}

/// HMAC-SHA256 of `data` under the process's key (`PROXY_LOG_TAG_KEY`, else a random
/// one per process), for one `purpose`: each purpose's MACs are unrelated to the
/// others' and to the log tags. Replicas that must agree (signed attributions,
/// analytics ids) need the key set.
pub fn keyed_mac(purpose: &str, data: &[u8]) -> [u8; 32] {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(log_tag_key()) else {
        unreachable!("HMAC accepts any key length")
    };
    mac.update(purpose.as_bytes());
    mac.update(&[0]);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// An order's id for the partner's analytics (`OrderView::analytics_id`): 80 bits of a
/// MAC of its reference, which open nothing and lead back to nothing.
pub fn analytics_id(order_ref: &OrderRef) -> String {
    let mac = keyed_mac("analytics", order_ref.as_str().as_bytes());
    format!("a_{}", hex::encode(&mac[..10]))
}

/// The id outgoing webhooks and postbacks name an order by: `order_` and 32 hex digits,
/// the first 128 bits of a SHA-256 of the reference (under a label of its own). The
/// same on every replica and after every restart, with no key to configure; and since a
/// reference is 128 random bits, nothing leads back from the id to the reference, so an
/// endpoint's logs open no eSIM.
pub fn public_order_id(order_ref: &OrderRef) -> String {
    let digest = Sha256::new()
        .chain_update(b"simology-proxy outgoing order id\0")
        .chain_update(order_ref.as_str().as_bytes())
        .finalize();
    format!("order_{}", hex::encode(&digest[..16]))
}

/// The tag of `order_ref` under `key` (see [`RefTag`]).
pub fn log_tag(key: &[u8], order_ref: &OrderRef) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        unreachable!("HMAC accepts any key length")
    };
    mac.update(order_ref.as_str().as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..4])
}

/// An origin (`scheme://host[:port]`) widgets may be embedded on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    /// Parses an origin; a trailing slash is tolerated.
    ///
    /// # Errors
    /// When it is not an http(s) origin with nothing after the host and port.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let err = || invalid(Field::Origin, "must be scheme://host[:port]");
        let url = Url::parse(text.trim()).map_err(|_| err())?;
        if !matches!(url.scheme(), "http" | "https")
            || url.host_str().is_none()
            || url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
        {
            return Err(err());
        }
        Ok(Origin(url.origin().ascii_serialization()))
    }

    /// `https://host[:port]`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The stored return URL's fragment key for the widget it was made in.
const INSTANCE_KEY: &str = "simology-esim";

/// A page URL on an allowed origin, where payment returns to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnUrl(Url);

impl ReturnUrl {
    /// Parses a URL and checks its origin against the allow-list (no open redirect).
    ///
    /// # Errors
    /// When it is not an absolute http(s) URL on an allowed origin.
    pub fn parse(text: &str, allowed: &[Origin]) -> Result<Self, Invalid> {
        let err = || invalid(Field::ReturnUrl, "must be a page on an allowed origin");
        if text.len() > 2048 {
            return Err(err());
        }
        let mut url = Url::parse(text).map_err(|_| err())?;
        if !matches!(url.scheme(), "http" | "https")
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(err());
        }
        let origin = url.origin().ascii_serialization();
        if !allowed.iter().any(|o| o.0 == origin) {
            return Err(err());
        }
        url.set_fragment(None);
        Ok(ReturnUrl(url))
    }

    /// A return URL read back from the store. It was on an allowed origin when its
    /// order was made, and it stays that order's return page even if the allow-list
    /// changes later: the upstream session already carries it. It is not checked
    /// against today's list here; a request naming it again is, by
    /// [`ReturnUrl::parse`] at the edge, and a reservation is only ever reused for a
    /// request with the same return URL (the fingerprint covers it).
    ///
    /// # Errors
    /// When the stored text is not a URL (the store was written by something else).
    pub fn from_stored(text: &str) -> anyhow::Result<Self> {
        let url = Url::parse(text)
            .with_context(|| format!("a stored return URL is malformed: {text:?}"))?;
        Ok(ReturnUrl(url))
    }

    /// The same page, for the widget `instance` of it: the payment page's return
    /// names that widget (see [`ReturnUrl::with_return`]). Kept in the stored URL's
    /// fragment, which no request's return URL has.
    pub fn for_instance(mut self, instance: &Instance) -> Self {
        self.0
            .set_fragment(Some(&format!("{INSTANCE_KEY}={instance}")));
        self
    }

    /// The widget this page's order was made in ([`ReturnUrl::for_instance`]); the
    /// default one for an order made before widgets were named here.
    pub fn instance(&self) -> Instance {
        self.0
            .fragment()
            .and_then(|f| f.strip_prefix(INSTANCE_KEY))
            .and_then(|f| f.strip_prefix('='))
            .and_then(Instance::parse)
            .unwrap_or_else(|| Instance::clean(""))
    }

    /// The page with the widget's return fragment (see `PaymentReturn`): after paying,
    /// or after cancelling. It names the widget, never the order.
    pub fn with_return(&self, cancelled: bool) -> String {
        let instance = self.instance();
        let ret = if cancelled {
            PaymentReturn::Cancelled(instance)
        } else {
            PaymentReturn::Paid(instance)
        };
        let mut url = self.0.clone();
        url.set_fragment(Some(&ret.fragment()));
        url.to_string()
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// The upstream's payment page for a checkout session. The widget sends the
/// traveller's whole window there, so only `https:` is taken, and plain `http:` only on
/// a loopback host (a local sandbox); `javascript:`, `data:`, a foreign `http:` page,
/// or a URL with credentials is refused before it is stored or answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentUrl(Url);

/// Why the upstream's payment URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the upstream's payment_url is not an https page (plain http only on loopback)")]
pub struct UnsafePaymentUrl;

impl PaymentUrl {
    /// Checks a payment URL as the upstream sent it.
    ///
    /// # Errors
    /// [`UnsafePaymentUrl`] for anything but `https:` (or `http:` on loopback).
    pub fn parse(text: &str) -> Result<Self, UnsafePaymentUrl> {
        let url = Url::parse(text.trim()).map_err(|_| UnsafePaymentUrl)?;
        let loopback = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            None => false,
        };
        let safe = match url.scheme() {
            "https" => url.host().is_some(),
            "http" => loopback,
            _ => false,
        };
        if !safe || !url.username().is_empty() || url.password().is_some() {
            return Err(UnsafePaymentUrl);
        }
        Ok(PaymentUrl(url))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_their_field_and_its_code() {
        let e = Email::parse("nope").expect_err("invalid");
        assert_eq!(
            (e.field, e.field.code()),
            (Field::Email, ErrorCode::InvalidEmail)
        );
        assert!(e.to_string().starts_with("email: "), "{e}");
        let cases = [
            (
                Sku::parse("us").expect_err("sku").field,
                "sku",
                ErrorCode::InvalidSku,
            ),
            (
                Quantity::parse(0).expect_err("q").field,
                "quantity",
                ErrorCode::InvalidQuantity,
            ),
            (
                IntentId::parse("x").expect_err("i").field,
                "intent_id",
                ErrorCode::InvalidRequest,
            ),
            (
                ReturnUrl::parse("/x", &[]).expect_err("r").field,
                "return_url",
                ErrorCode::InvalidReturnUrl,
            ),
            (
                Origin::parse("x").expect_err("o").field,
                "origin",
                ErrorCode::InvalidRequest,
            ),
        ];
        for (field, name, code) in cases {
            assert_eq!((field.name(), field.code()), (name, code));
        }
    }

    #[test]
    fn skus() {
        for good in ["US-5GB-30D", "WEU-10GB-30D", "GLOBAL-1GB-7D", "A-B"] {
            assert!(Sku::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "US",
            "us-5gb-30d",
            "US--5GB",
            "US-5GB-30D-",
            "US 5GB",
            "<script>-X",
            &"A-".repeat(30),
        ] {
            assert!(Sku::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_redacted_in_logs() {
        // The rules themselves are tested with `simology_proxy_api::is_valid_email`.
        assert!(Email::parse("nope").is_err());
        let email = Email::parse(" alex@example.com ").expect("valid");
        assert_eq!(email.expose(), "alex@example.com");
        assert_eq!(email.redacted(), "a***@example.com");
        assert!(!format!("{email:?}").contains("alex"));
    }

    #[test]
    fn emails_are_removed_and_nothing_else_changes() {
        let body = r#"{"type":"order.paid","id":"evt_1","data":{"customer":{"email":"alex.b+trip@mail.example.com"},"items":[{"unit_price":4.999}]},"note":"write to ops@partner.example."}"#;
        let scrubbed = scrub_emails(body);
        assert_eq!(
            scrubbed,
            r#"{"type":"order.paid","id":"evt_1","data":{"customer":{"email":"removed"},"items":[{"unit_price":4.999}]},"note":"write to removed."}"#
        );
        assert_eq!(
            scrub_emails("no address @ all, a@b, x@localhost"),
            "no address @ all, a@b, x@localhost"
        );
        assert_eq!(
            scrub_emails("not json: ana@example.org"),
            "not json: removed"
        );
        assert_eq!(scrub_emails("é@ü.example"), "removed");
    }

    #[test]
    fn quantities_and_locales() {
        assert!(Quantity::parse(0).is_err());
        assert!(Quantity::parse(11).is_err());
        assert_eq!(Quantity::parse(10).expect("ok").get(), 10);
        assert_eq!(Locale::parse_or_default("fr-fr").as_str(), "fr-FR");
        assert_eq!(Locale::parse_or_default("de").as_str(), "de");
        assert_eq!(Locale::parse_or_default("<b>").as_str(), "en");
        assert_eq!(Locale::parse_or_default("pt_br").as_str(), "pt-BR");
    }

    #[test]
    fn intents_and_refs() {
        assert!(IntentId::parse("short").is_err());
        assert!(IntentId::parse("abcdefghijklmnop$").is_err());
        let a = IntentId::parse("abcdefghijklmnop").expect("valid");
        let b = IntentId::parse("abcdefghijklmnoq").expect("valid");
        assert_eq!(a.idempotency_key("checkout"), a.idempotency_key("checkout"));
        assert_ne!(a.idempotency_key("checkout"), b.idempotency_key("checkout"));
        assert_ne!(a.idempotency_key("checkout"), a.idempotency_key("topup"));
        let r = new_order_ref();
        assert_eq!(parse_order_ref(r.as_str()), Ok(r.clone()));
        assert_ne!(new_order_ref(), r);
        assert!(parse_order_ref("o_123").is_err());
        assert!(parse_order_ref("ord_456").is_err());
    }

    #[test]
    fn payment_urls_are_https_or_loopback_http() {
        for good in [
            "https://pay.simology.io/cs_1",
            "http://127.0.0.1:8083/pay/cs_1",
            "http://localhost:8083/pay/cs_1",
            "http://[::1]:8083/pay/cs_1",
        ] {
            assert!(PaymentUrl::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "javascript:alert(document.domain)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "http://pay.example/cs_1",
            "http://127.0.0.1.evil.example/cs_1",
            "https://user:pass@pay.simology.io/cs_1",
            "//pay.simology.io/cs_1",
            "/pay/cs_1",
            "",
        ] {
            assert_eq!(PaymentUrl::parse(bad), Err(UnsafePaymentUrl), "{bad}");
        }
    }

    #[test]
    fn public_order_ids_are_stable_and_are_not_the_reference() {
        let a = parse_order_ref("o_0123456789abcdef0123456789abcdef").expect("ref");
        let b = parse_order_ref("o_0123456789abcdef0123456789abcdee").expect("ref");
        let id = public_order_id(&a);
        assert_eq!(id, public_order_id(&a));
        assert_ne!(id, public_order_id(&b));
        assert_eq!(id.len(), "order_".len() + 32);
        assert!(id.starts_with("order_") && !id.contains("0123456789abcdef"));
    }

    #[test]
    fn log_tags_are_keyed_short_and_stable() {
        let a = parse_order_ref("o_0123456789abcdef0123456789abcdef").expect("ref");
        let b = parse_order_ref("o_0123456789abcdef0123456789abcdee").expect("ref");
        let tag = log_tag(b"key one", &a);
        assert_eq!(tag.len(), 8);
        assert!(tag.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            tag,
            log_tag(b"key one", &a),
            "the same reference, the same tag"
        );
        assert_ne!(tag, log_tag(b"key one", &b));
        assert_ne!(tag, log_tag(b"key two", &a), "another key, another tag");
        // The process's tags are stable and never the reference.
        let shown = RefTag(&a).to_string();
        assert_eq!(shown, RefTag(&a).to_string());
        assert!(!shown.contains("0123456789abcdef") && !format!("{:?}", RefTag(&a)).contains("o_"));
    }

    #[test]
    fn return_urls_stay_on_allowed_origins() {
        let allowed = vec![Origin::parse("https://blog.example").expect("origin")];
        let ok = ReturnUrl::parse("https://blog.example/japan?x=1#old", &allowed).expect("allowed");
        // The return names the widget, never the order.
        assert_eq!(
            ok.with_return(false),
            "https://blog.example/japan?x=1#simology-paid=simology"
        );
        let sidebar = ok
            .clone()
            .for_instance(&Instance::parse("sidebar").expect("instance"));
        assert_eq!(sidebar.instance().as_str(), "sidebar");
        assert_eq!(
            sidebar.with_return(true),
            "https://blog.example/japan?x=1#simology-cancelled=sidebar"
        );
        let read_back = ReturnUrl::from_stored(sidebar.as_str()).expect("stored");
        assert_eq!(
            read_back.with_return(false),
            "https://blog.example/japan?x=1#simology-paid=sidebar"
        );
        for bad in [
            "https://evil.example/",
            "https://blog.example.evil.example/",
            "http://blog.example/",
            "javascript:alert(1)",
            "//evil.example",
            "https://user@blog.example/",
            "/relative",
        ] {
            assert!(ReturnUrl::parse(bad, &allowed).is_err(), "{bad}");
        }
        let stored = ReturnUrl::from_stored(ok.as_str()).expect("stored");
        assert_eq!(stored, ok, "read back as it was written");
        assert!(
            ReturnUrl::from_stored("https://since-removed.example/page").is_ok(),
            "a stored page stays its order's, whatever the list says now"
        );
        assert!(ReturnUrl::from_stored("not a url").is_err());
        assert!(Origin::parse("https://blog.example/path").is_err());
        assert_eq!(
            Origin::parse("https://Blog.Example:443/")
                .expect("ok")
                .as_str(),
            "https://blog.example"
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// An intent's key is stable, differs between intents and between purposes, and
        /// is a fixed-length hex string that reveals nothing of the intent.
        #[test]
        fn idempotency_keys(a in "[A-Za-z0-9_-]{16,64}", b in "[A-Za-z0-9_-]{16,64}") {
            let ia = IntentId::parse(&a).expect("valid");
            let ib = IntentId::parse(&b).expect("valid");
            let ka = ia.idempotency_key("checkout");
            prop_assert_eq!(&ka, &IntentId::parse(&a).expect("valid").idempotency_key("checkout"));
            prop_assert_ne!(&ka, &ia.idempotency_key("topup"));
            if a != b {
                prop_assert_ne!(&ka, &ib.idempotency_key("checkout"));
            }
            let hex = ka.strip_prefix("widget-checkout-").expect("prefix");
            prop_assert_eq!(hex.len(), 32);
            prop_assert!(hex.bytes().all(|c| c.is_ascii_hexdigit()));
            prop_assert!(!ka.contains(&a));
        }
    }
}
