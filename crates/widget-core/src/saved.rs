//! Orders remembered in the browser (localStorage), so a reload or a later visit
//! finds them; and which one the widget shows on load.

use serde::{Deserialize, Serialize};

/// An order the traveller started here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedOrder {
    /// The order's reference.
    pub order_ref: String,
    /// Which widget on the page started it (its `id`, or its position).
    pub instance: String,
    /// The plan's SKU.
    pub sku: String,
    /// The destination code, to reopen the picker on it after a cancel.
    pub destination: String,
    /// The plan's name.
    pub name: String,
    /// When it was started, ms since the epoch.
    pub started_ms: u64,
    /// Whether it reached a final state.
    pub done: bool,
}

/// What the page's fragment says about a return from payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Return {
    /// Back from paying (or from a decline): show this order.
    Paid(String),
    /// Back from cancelling: show the picker with this order's plan.
    Cancelled(String),
}

/// Reads `#simology-order=<ref>` or `#simology-cancel=<ref>`.
pub fn parse_fragment(hash: &str) -> Option<Return> {
    let hash = hash.trim_start_matches('#');
    let valid = |r: &str| {
        r.len() == 34 && r.starts_with("o_") && r[2..].bytes().all(|b| b.is_ascii_hexdigit())
    };
    if let Some(r) = hash.strip_prefix("simology-order=") {
        return valid(r).then(|| Return::Paid(r.to_owned()));
    }
    if let Some(r) = hash.strip_prefix("simology-cancel=") {
        return valid(r).then(|| Return::Cancelled(r.to_owned()));
    }
    None
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
    ret: Option<&Return>,
    saved: &[SavedOrder],
    instance: &str,
    now_ms: u64,
) -> Option<String> {
    if let Some(Return::Paid(r)) = ret {
        match saved.iter().find(|o| o.order_ref == *r) {
            Some(o) if o.instance != instance => return None,
            _ => return Some(r.clone()),
        }
    }
    if let Some(Return::Cancelled(_)) = ret {
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

    fn saved(r: &str, instance: &str, started: u64, done: bool) -> SavedOrder {
        SavedOrder {
            order_ref: r.into(),
            instance: instance.into(),
            sku: "US-1GB-7D".into(),
            destination: "US".into(),
            name: "US".into(),
            started_ms: started,
            done,
        }
    }

    #[test]
    fn fragments() {
        assert_eq!(
            parse_fragment(&format!("#simology-order={R1}")),
            Some(Return::Paid(R1.into()))
        );
        assert_eq!(
            parse_fragment(&format!("simology-cancel={R1}")),
            Some(Return::Cancelled(R1.into()))
        );
        assert_eq!(parse_fragment("#simology-order=<script>"), None);
        assert_eq!(parse_fragment("#top"), None);
    }

    #[test]
    fn the_widget_that_started_it_shows_it() {
        let list = vec![saved(R1, "w-japan", 1000, false)];
        let ret = Return::Paid(R1.into());
        assert_eq!(
            order_to_show(Some(&ret), &list, "w-japan", 2000),
            Some(R1.into())
        );
        assert_eq!(
            order_to_show(Some(&ret), &list, "w-usa", 2000),
            None,
            "another widget's order"
        );
        assert_eq!(
            order_to_show(Some(&ret), &[], "w-usa", 2000),
            Some(R1.into()),
            "started elsewhere"
        );
        // A reload without the fragment: the unfinished order of this widget.
        assert_eq!(order_to_show(None, &list, "w-japan", 2000), Some(R1.into()));
        let finished = vec![saved(R1, "w-japan", 1000, true)];
        assert_eq!(order_to_show(None, &finished, "w-japan", 2000), None);
        let old = vec![saved(R1, "w-japan", 0, false)];
        assert_eq!(order_to_show(None, &old, "w-japan", 2 * 86_400_000), None);
        assert_eq!(
            order_to_show(Some(&Return::Cancelled(R1.into())), &list, "w-japan", 2000),
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
