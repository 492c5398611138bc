//! Orders remembered in the browser (the widget's frame's localStorage, which the
//! browser partitions under the host page's site), so the return from payment, a
//! reload or a later visit finds them; and which one the widget shows on load. The widget writes and reads
//! them as JSON with the browser's `JSON` (`simology_widget::json`; the format, and
//! the older formats it still reads, are held by the browser tests there).

use simology_proxy_api::{DestinationId, OrderRef};

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

/// How long an unfinished order is opened on again: a day.
pub const OPEN_FOR_MS: u64 = 24 * 3600 * 1000;

/// The order this widget shows on load: its latest unfinished order from the last
/// day, unless the traveller is back from cancelling its payment. (The payment page's
/// return names the widget, never the order: the order is the one it remembers.)
pub fn order_to_show(
    cancelled: bool,
    saved: &[SavedOrder],
    instance: &str,
    now_ms: u64,
) -> Option<OrderRef> {
    if cancelled {
        return None;
    }
    latest_unfinished(saved, instance, now_ms).map(|o| o.order_ref.clone())
}

/// This widget's latest unfinished order from the last day.
pub fn latest_unfinished<'a>(
    saved: &'a [SavedOrder],
    instance: &str,
    now_ms: u64,
) -> Option<&'a SavedOrder> {
    saved
        .iter()
        .filter(|o| {
            o.instance == instance && !o.done && now_ms.saturating_sub(o.started_ms) < OPEN_FOR_MS
        })
        .max_by_key(|o| o.started_ms)
}

/// Until when (ms since the epoch) the widget `instance` opens on an order: the
/// frame's script reads this alone, written beside the orders, to load the status
/// module rather than the picker (so the rule lives here, not in JavaScript). `None`:
/// it does not.
pub fn open_until(saved: &[SavedOrder], instance: &str, now_ms: u64) -> Option<u64> {
    latest_unfinished(saved, instance, now_ms).map(|o| o.started_ms + OPEN_FOR_MS)
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
        assert_eq!(order_to_show(false, &list, "w-japan", 2000), Some(r(R1)));
        assert_eq!(
            order_to_show(false, &list, "w-usa", 2000),
            None,
            "another widget's order"
        );
        let finished = vec![saved(R1, "w-japan", 1000, true)];
        assert_eq!(order_to_show(false, &finished, "w-japan", 2000), None);
        let old = vec![saved(R1, "w-japan", 0, false)];
        assert_eq!(order_to_show(false, &old, "w-japan", 2 * 86_400_000), None);
        assert_eq!(
            order_to_show(true, &list, "w-japan", 2000),
            None,
            "cancelled"
        );
        // The latest of the widget's unfinished orders.
        let two = vec![
            saved(R1, "w-japan", 1000, false),
            saved(R2, "w-japan", 1500, false),
        ];
        assert_eq!(order_to_show(false, &two, "w-japan", 2000), Some(r(R2)));
    }

    #[test]
    fn the_frame_opens_on_an_order_until_a_day_after_it_started() {
        let list = vec![saved(R1, "w", 1000, false)];
        assert_eq!(open_until(&list, "w", 2000), Some(1000 + OPEN_FOR_MS));
        assert_eq!(open_until(&list, "x", 2000), None);
        assert_eq!(open_until(&list, "w", 1000 + OPEN_FOR_MS), None);
        assert_eq!(open_until(&[saved(R1, "w", 1000, true)], "w", 2000), None);
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
