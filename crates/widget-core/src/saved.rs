//! Orders remembered in the browser (localStorage), so a reload or a later visit
//! finds them; and which one the widget shows on load.

use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use simology_proxy_api::{DestinationId, OrderRef, PaymentReturn};

/// An order the traveller started here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedOrder {
    /// The order's reference.
    pub order_ref: OrderRef,
    /// Which widget on the page started it (its `id`, or its position).
    pub instance: String,
    /// The plan's SKU.
    pub sku: String,
    /// The destination the plan was chosen for, to reopen the picker on it after a
    /// cancel.
    #[serde(deserialize_with = "destination_or_legacy_code")]
    pub destination: DestinationId,
    /// The plan's name.
    pub name: String,
    /// How many eSIMs (one per traveller), to ask for as many again after a cancel.
    /// Written only when more than one, so an order of one is saved as before
    /// travellers were counted, and such orders read back as one.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub quantity: u32,
    /// When it was started, ms since the epoch.
    pub started_ms: u64,
    /// Whether it reached a final state.
    pub done: bool,
}

fn one() -> u32 {
    1
}

// serde's `skip_serializing_if` passes a reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_one(n: &u32) -> bool {
    *n == 1
}

/// Reads a saved destination: `{kind, code}`, or the bare code that versions before
/// the kind was saved wrote (two capitals were a country; anything else a region).
///
/// A visitor of its own rather than an untagged enum: serde buffers an untagged
/// enum's input to try each variant, and that buffering is kilobytes of the widget's
/// wasm for one field.
fn destination_or_legacy_code<'de, D: Deserializer<'de>>(d: D) -> Result<DestinationId, D::Error> {
    struct Stored;

    impl<'de> Visitor<'de> for Stored {
        type Value = DestinationId;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a destination or a destination's code")
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DestinationId, A::Error> {
            DestinationId::deserialize(MapAccessDeserializer::new(map))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<DestinationId, A::Error> {
            DestinationId::deserialize(SeqAccessDeserializer::new(seq))
        }

        fn visit_str<E: de::Error>(self, code: &str) -> Result<DestinationId, E> {
            let country = code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase());
            let id = if country {
                DestinationId::country(code)
            } else {
                DestinationId::region(code)
            };
            id.ok_or_else(|| E::custom("not a destination"))
        }
    }

    d.deserialize_any(Stored)
}

/// The most recent orders first, at most 10, none older than 30 days.
pub fn prune(mut orders: Vec<SavedOrder>, now_ms: u64) -> Vec<SavedOrder> {
    const MONTH_MS: u64 = 30 * 24 * 3600 * 1000;
    orders.retain(|o| now_ms.saturating_sub(o.started_ms) < MONTH_MS);
    crate::sorting::sort_small(&mut orders, |a, b| b.started_ms.cmp(&a.started_ms));
    orders.dedup_by(|a, b| a.order_ref == b.order_ref);
    orders.truncate(10);
    orders
}

/// The order this widget shows on load: the one the fragment names, if this widget
/// started it (or no widget here did); else this widget's latest unfinished order
/// from the last day.
pub fn order_to_show(
    ret: Option<&PaymentReturn>,
    saved: &[SavedOrder],
    instance: &str,
    now_ms: u64,
) -> Option<OrderRef> {
    if let Some(PaymentReturn::Paid(r)) = ret {
        match saved.iter().find(|o| o.order_ref == *r) {
            Some(o) if o.instance != instance => return None,
            _ => return Some(r.clone()),
        }
    }
    if let Some(PaymentReturn::Cancelled(_)) = ret {
        return None;
    }
    const DAY_MS: u64 = 24 * 3600 * 1000;
    saved
        .iter()
        .filter(|o| {
            o.instance == instance && !o.done && now_ms.saturating_sub(o.started_ms) < DAY_MS
        })
        .max_by_key(|o| o.started_ms)
        .map(|o| o.order_ref.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const R1: &str = "o_0123456789abcdef0123456789abcdef";
    const R2: &str = "o_fedcba9876543210fedcba9876543210";

    fn r(text: &str) -> OrderRef {
        OrderRef::parse(text).expect("a reference")
    }

    fn saved(text: &str, instance: &str, started: u64, done: bool) -> SavedOrder {
        SavedOrder {
            order_ref: r(text),
            instance: instance.into(),
            sku: "US-1GB-7D".into(),
            destination: DestinationId::country("US").expect("country"),
            name: "US".into(),
            quantity: 1,
            started_ms: started,
            done,
        }
    }

    #[test]
    fn the_number_of_travellers_is_saved_only_when_several() {
        let one = saved(R1, "a", 1, false);
        let json = serde_json::to_string(&one).expect("json");
        assert!(!json.contains("quantity"), "saved as before: {json}");
        assert_eq!(
            serde_json::from_str::<SavedOrder>(&json).expect("back"),
            one
        );
        let three = SavedOrder { quantity: 3, ..one };
        let json = serde_json::to_string(&three).expect("json");
        assert!(json.contains(r#""quantity":3"#), "{json}");
        assert_eq!(
            serde_json::from_str::<SavedOrder>(&json).expect("back"),
            three
        );
    }

    #[test]
    fn legacy_destinations_read_back_with_a_kind() {
        let typed = saved(R1, "a", 1, false);
        let json = serde_json::to_string(&typed).expect("json");
        assert!(
            json.contains(r#""destination":{"kind":"country","code":"US"}"#),
            "{json}"
        );
        assert_eq!(
            serde_json::from_str::<SavedOrder>(&json).expect("back"),
            typed
        );
        let legacy = json.replace(r#"{"kind":"country","code":"US"}"#, r#""US""#);
        assert_eq!(
            serde_json::from_str::<SavedOrder>(&legacy).expect("legacy"),
            typed
        );
        let region = json.replace(r#"{"kind":"country","code":"US"}"#, r#""western-europe""#);
        assert_eq!(
            serde_json::from_str::<SavedOrder>(&region)
                .expect("legacy region")
                .destination,
            DestinationId::region("western-europe").expect("region")
        );
        let bad = json.replace(r#"{"kind":"country","code":"US"}"#, r#""<b>""#);
        assert!(serde_json::from_str::<SavedOrder>(&bad).is_err());
    }

    #[test]
    fn the_widget_that_started_it_shows_it() {
        let list = vec![saved(R1, "w-japan", 1000, false)];
        let ret = PaymentReturn::Paid(r(R1));
        assert_eq!(
            order_to_show(Some(&ret), &list, "w-japan", 2000),
            Some(r(R1))
        );
        assert_eq!(
            order_to_show(Some(&ret), &list, "w-usa", 2000),
            None,
            "another widget's order"
        );
        assert_eq!(
            order_to_show(Some(&ret), &[], "w-usa", 2000),
            Some(r(R1)),
            "started elsewhere"
        );
        // A reload without the fragment: the unfinished order of this widget.
        assert_eq!(order_to_show(None, &list, "w-japan", 2000), Some(r(R1)));
        let finished = vec![saved(R1, "w-japan", 1000, true)];
        assert_eq!(order_to_show(None, &finished, "w-japan", 2000), None);
        let old = vec![saved(R1, "w-japan", 0, false)];
        assert_eq!(order_to_show(None, &old, "w-japan", 2 * 86_400_000), None);
        assert_eq!(
            order_to_show(
                Some(&PaymentReturn::Cancelled(r(R1))),
                &list,
                "w-japan",
                2000
            ),
            None
        );
    }

    #[test]
    fn pruning_keeps_recent_unique_orders() {
        let list = vec![
            saved(R1, "a", 1, true),
            saved(R2, "a", 5, false),
            saved(R1, "a", 1, true),
        ];
        let kept = prune(list, 10);
        assert_eq!(
            kept.iter()
                .map(|o| o.order_ref.as_str())
                .collect::<Vec<_>>(),
            vec![R2, R1]
        );
    }
}
