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

/// What the payment page's return says, in the page's fragment: `#simology-order=<ref>`
/// after paying (or a decline), `#simology-cancel=<ref>` after cancelling. A fragment
/// never reaches the partner's server logs, and it survives the payment page's redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentReturn {
    /// Back from paying (or from a decline): show this order.
    Paid(OrderRef),
    /// Back from cancelling: show the picker with this order's plan.
    Cancelled(OrderRef),
}

impl PaymentReturn {
    /// The fragment's key after paying.
    pub const PAID_KEY: &'static str = "simology-order";
    /// The fragment's key after cancelling.
    pub const CANCELLED_KEY: &'static str = "simology-cancel";

    /// The fragment, without its `#`: `simology-order=o_...`.
    pub fn fragment(&self) -> String {
        let (key, order_ref) = match self {
            PaymentReturn::Paid(r) => (Self::PAID_KEY, r),
            PaymentReturn::Cancelled(r) => (Self::CANCELLED_KEY, r),
        };
        format!("{key}={order_ref}")
    }

    /// Reads a page's fragment (with or without its `#`); anything else is `None`.
    pub fn parse(hash: &str) -> Option<Self> {
        let (key, value) = hash.trim_start_matches('#').split_once('=')?;
        let order_ref = OrderRef::parse(value)?;
        match key {
            Self::PAID_KEY => Some(PaymentReturn::Paid(order_ref)),
            Self::CANCELLED_KEY => Some(PaymentReturn::Cancelled(order_ref)),
            _ => None,
        }
    }

    /// The order it names.
    pub fn order_ref(&self) -> &OrderRef {
        match self {
            PaymentReturn::Paid(r) | PaymentReturn::Cancelled(r) => r,
        }
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
    fn fragments_round_trip() {
        let r = OrderRef::parse(R1).expect("ref");
        for ret in [
            PaymentReturn::Paid(r.clone()),
            PaymentReturn::Cancelled(r.clone()),
        ] {
            assert_eq!(PaymentReturn::parse(&ret.fragment()), Some(ret.clone()));
            assert_eq!(
                PaymentReturn::parse(&format!("#{}", ret.fragment())),
                Some(ret)
            );
        }
        assert_eq!(
            PaymentReturn::Paid(r).fragment(),
            format!("simology-order={R1}")
        );
        assert_eq!(PaymentReturn::parse("#simology-order=<script>"), None);
        assert_eq!(PaymentReturn::parse("#top"), None);
        assert_eq!(PaymentReturn::parse(&format!("#other={R1}")), None);
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
