//! The parts of the widget–proxy protocol that are not JSON bodies: the order
//! reference's format, the fragment the payment page returns with, and a destination's
//! identity. Both sides use these, so they cannot disagree.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DestinationKind;

/// An order reference: `o_` and 32 lowercase hex digits (128 random bits). It is the
/// only key to an order's status and credentials, and never an upstream id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderRef(String);

impl OrderRef {
    /// The reference made of these 128 bits (the proxy draws them at random).
    pub fn from_bits(bits: u128) -> Self {
        OrderRef(format!("o_{bits:032x}"))
    }

    /// Parses a reference; anything not of the generated form is refused (upper-case
    /// hex included: the proxy never makes it).
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix("o_")?;
        let ok = hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| OrderRef(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for OrderRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OrderRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        OrderRef::parse(&text).ok_or_else(|| serde::de::Error::custom("not an order reference"))
    }
}

/// Which widget of a page this is: its element's `id` (or its place on the page), 1 to
/// 40 of `A-Z a-z 0-9 _ -`. It keys what the widget remembers on that page and tells
/// the payment page's return which widget it is for. Not a secret: the host page
/// chose it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Instance(String);

impl Instance {
    /// The instance of an element with no usable `id`.
    pub const DEFAULT: &'static str = "simology";

    /// Parses an instance; `None` unless 1 to 40 of `A-Z a-z 0-9 _ -`.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = (1..=40).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Instance(text.to_owned()))
    }

    /// An element's `id` made into an instance, as the host script does: the
    /// characters of an instance kept, at most 40; the default when none is left.
    pub fn clean(text: &str) -> Self {
        let kept: String = text
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(40)
            .collect();
        Instance::parse(&kept).unwrap_or_else(|| Instance(Self::DEFAULT.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the payment page's return says, in the host page's fragment:
/// `#simology-paid=<instance>` after paying (or a decline), `#simology-cancelled=<instance>`
/// after cancelling. It names the widget, never the order: the host page's scripts read
/// its address, and the order's reference is a key to an eSIM. The widget's frame finds
/// the order in its own storage. A fragment never reaches the partner's server logs, and
/// it survives the payment page's redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentReturn {
    /// Back from paying (or from a decline): show this widget's order.
    Paid(Instance),
    /// Back from cancelling: show the picker with this widget's last order's plan.
    Cancelled(Instance),
}

impl PaymentReturn {
    /// The fragment's key after paying.
    pub const PAID_KEY: &'static str = "simology-paid";
    /// The fragment's key after cancelling.
    pub const CANCELLED_KEY: &'static str = "simology-cancelled";

    /// The fragment, without its `#`: `simology-paid=blog-sidebar`.
    pub fn fragment(&self) -> String {
        let (key, instance) = match self {
            PaymentReturn::Paid(i) => (Self::PAID_KEY, i),
            PaymentReturn::Cancelled(i) => (Self::CANCELLED_KEY, i),
        };
        format!("{key}={instance}")
    }

    /// Reads a page's fragment (with or without its `#`); anything else is `None`.
    pub fn parse(hash: &str) -> Option<Self> {
        let (key, value) = hash.trim_start_matches('#').split_once('=')?;
        let instance = Instance::parse(value)?;
        match key {
            Self::PAID_KEY => Some(PaymentReturn::Paid(instance)),
            Self::CANCELLED_KEY => Some(PaymentReturn::Cancelled(instance)),
            _ => None,
        }
    }

    /// The widget it is for.
    pub fn instance(&self) -> &Instance {
        match self {
            PaymentReturn::Paid(i) | PaymentReturn::Cancelled(i) => i,
        }
    }

    /// Whether the traveller cancelled.
    pub fn cancelled(&self) -> bool {
        matches!(self, PaymentReturn::Cancelled(_))
    }
}

/// A destination's identity: a country (`JP`) or a region (`western-europe`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DestinationId {
    /// Country or region.
    pub kind: DestinationKind,
    /// `JP` or `western-europe`.
    pub code: String,
}

impl DestinationId {
    /// A country by its ISO code, upper-cased; `None` unless two ASCII letters.
    pub fn country(code: &str) -> Option<Self> {
        let code = code.trim();
        (code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic())).then(|| DestinationId {
            kind: DestinationKind::Country,
            code: code.to_ascii_uppercase(),
        })
    }

    /// A region by its slug, lower-cased; `None` unless 1 to 40 letters and hyphens.
    pub fn region(slug: &str) -> Option<Self> {
        let slug = slug.trim();
        let ok = (1..=40).contains(&slug.len())
            && slug.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-');
        ok.then(|| DestinationId {
            kind: DestinationKind::Region,
            code: slug.to_ascii_lowercase(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R1: &str = "o_0123456789abcdef0123456789abcdef";

    #[test]
    fn order_refs() {
        let r = OrderRef::from_bits(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        assert_eq!(r.as_str(), R1);
        assert_eq!(OrderRef::parse(R1), Some(r.clone()));
        assert_eq!(OrderRef::from_bits(1).as_str().len(), 34);
        for bad in [
            "",
            "o_123",
            "ord_456",
            "o_0123456789ABCDEF0123456789ABCDEF",
            "o_0123456789abcdef0123456789abcdeg",
            "x_0123456789abcdef0123456789abcdef",
            "o_0123456789abcdef0123456789abcdef0",
        ] {
            assert_eq!(OrderRef::parse(bad), None, "{bad}");
        }
        let json = serde_json::to_string(&r).expect("json");
        assert_eq!(json, format!("\"{R1}\""));
        assert_eq!(serde_json::from_str::<OrderRef>(&json).expect("back"), r);
        assert!(serde_json::from_str::<OrderRef>("\"o_1\"").is_err());
    }

    #[test]
    fn fragments_round_trip_and_name_no_order() {
        let i = Instance::parse("blog-sidebar_2").expect("instance");
        for ret in [
            PaymentReturn::Paid(i.clone()),
            PaymentReturn::Cancelled(i.clone()),
        ] {
            assert_eq!(PaymentReturn::parse(&ret.fragment()), Some(ret.clone()));
            assert_eq!(
                PaymentReturn::parse(&format!("#{}", ret.fragment())),
                Some(ret)
            );
        }
        assert_eq!(
            PaymentReturn::Paid(i).fragment(),
            "simology-paid=blog-sidebar_2"
        );
        assert_eq!(PaymentReturn::parse("#simology-paid=<script>"), None);
        assert_eq!(PaymentReturn::parse("#top"), None);
        assert_eq!(PaymentReturn::parse("#other=simology"), None);
        // The fragment of the shadow-root embed, which named the order, is not read.
        assert_eq!(PaymentReturn::parse(&format!("#simology-order={R1}")), None);
    }

    #[test]
    fn instances() {
        assert_eq!(Instance::parse("a").map(|i| i.0), Some("a".into()));
        for bad in ["", "a b", "<x>", &"x".repeat(41), "é"] {
            assert_eq!(Instance::parse(bad), None, "{bad}");
        }
        assert_eq!(Instance::clean(" side bar! ").as_str(), "sidebar");
        assert_eq!(Instance::clean("!!").as_str(), Instance::DEFAULT);
        assert_eq!(Instance::clean(&"y".repeat(50)).as_str().len(), 40);
    }

    #[test]
    fn destinations() {
        assert_eq!(
            DestinationId::country("jp"),
            Some(DestinationId {
                kind: DestinationKind::Country,
                code: "JP".into()
            })
        );
        assert_eq!(DestinationId::country("JPN"), None);
        assert_eq!(
            DestinationId::region("Western-Europe").map(|d| d.code),
            Some("western-europe".into())
        );
        assert_eq!(DestinationId::region("<b>"), None);
        assert_eq!(DestinationId::region(""), None);
    }
}
