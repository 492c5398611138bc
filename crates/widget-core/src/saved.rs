//! Orders remembered in the browser (localStorage), so a reload or a later visit
//! finds them; and which one the widget shows on load. The widget writes and reads
//! them as JSON with the browser's `JSON` (`simology_widget::json`; the format, and
//! the older formats it still reads, are held by the browser tests there).

use simology_proxy_api::{DestinationId, OrderRef, PaymentReturn};

/// An order the traveller started here.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedOrder {
    /// The order's reference.
    pub order_ref: OrderRef,
    /// Which widget on the page started it (its `id`, or its position).
    pub instance: String,
    /// The plan's SKU.
    pub sku: String,
    /// The destination the plan was chosen for, to reopen the picker on it after a
    /// cancel. Versions before the kind was saved wrote the bare code: see
    /// [`SavedOrder::legacy_destination`].
    pub destination: DestinationId,
    /// The plan's name.
    pub name: String,
    /// How many eSIMs (one per traveller), to ask for as many again after a cancel.
    /// Written only when more than one, so an order of one is saved as before
    /// travellers were counted, and such orders read back as one.
    pub quantity: u32,
    /// When it was started, ms since the epoch.
    pub started_ms: u64,
    /// Whether it reached a final state.
    pub done: bool,
}

impl SavedOrder {
    /// The destination of a saved order written before the kind was saved, from its
    /// bare code: two capitals were a country; anything else a region.
    pub fn legacy_destination(code: &str) -> Option<DestinationId> {
        let country = code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase());
        if country {
            DestinationId::country(code)
        } else {
            DestinationId::region(code)
        }
    }
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
    fn legacy_codes_read_as_destinations() {
        assert_eq!(
            SavedOrder::legacy_destination("US"),
            DestinationId::country("US")
        );
        assert_eq!(
            SavedOrder::legacy_destination("western-europe"),
            DestinationId::region("western-europe")
        );
        // Lower-case letters were never a country's code.
        assert_eq!(
            SavedOrder::legacy_destination("us"),
            DestinationId::region("us")
        );
        assert_eq!(SavedOrder::legacy_destination("<b>"), None);
        assert_eq!(SavedOrder::legacy_destination(""), None);
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
