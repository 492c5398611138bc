//! Sorting the widget's short lists (a destination's plans, search hits, remembered
//! orders: tens of items at most).
//!
//! A stable insertion sort: for such lists it is as quick as the standard library's
//! sorts, and each use costs the wasm a few hundred bytes instead of the several
//! kilobytes of a driftsort instance.

use std::cmp::Ordering;

/// Sorts `items` stably by `compare`.
pub fn sort_small<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && compare(&items[j - 1], &items[j]) == Ordering::Greater {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sorts_like_the_standard_stable_sort(items in proptest::collection::vec((0u8..6, any::<u16>()), 0..80)) {
            // Compared by the first field only, so that stability shows in the second.
            let mut ours = items.clone();
            sort_small(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = items;
            std.sort_by_key(|a| a.0);
            prop_assert_eq!(ours, std);
        }
    }

    #[test]
    fn descending_input_ends_ascending() {
        let mut items: Vec<u32> = (0..50).rev().collect();
        sort_small(&mut items, u32::cmp);
        assert_eq!(items, (0..50).collect::<Vec<_>>());
    }
}
