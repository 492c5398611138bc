//! The email given for an order (at its checkout, or with a paid top-up of it), held in
//! this process's memory so that a top-up of the order need not ask the traveller again:
//! the payment page reloads the widget's page, and the widget keeps no email.
//!
//! Never stored, never logged, never answered: the order's view says only whether one is
//! held (`email_on_file`). Held for [`KEEP_FOR`], at most [`CAPACITY`] orders (the
//! oldest dropped first). Another replica, a restarted process or an expired entry does
//! not hold it, and the top-up then asks for the email again (`invalid_email`): memory
//! is a convenience, never the only way to buy.
//!
//! Only a paid purchase changes where an order's next receipt goes. Anyone who holds an
//! order's reference may start a top-up of it, with any email, and never pay: that email
//! is held apart, as the top-up's ([`EmailsOnFile::remember_topup`]), and becomes the
//! order's only when that top-up is paid ([`EmailsOnFile::topup_paid`], called by the
//! fulfilment when the payment is confirmed). A checkout's own email is its new order's
//! at once: nobody else knows the order's reference yet, and an order is topped up only
//! once it is paid.
//!
//! Maps and insertion queues under a lock, rather than a caching crate: the entries
//! expire in insertion order, so the oldest-first queue is both the eviction order and
//! the expiry order, and tests give it their own instants instead of waiting hours.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::{Email, OrderRef};

/// How long an order's email is held: a traveller who tops up goes back to the order's
/// page within hours of buying, or comes back days later and is asked again.
pub const KEEP_FOR: Duration = Duration::from_secs(6 * 60 * 60);

/// How many orders' emails are held at most (about 1 MB), and as many top-ups' awaiting
/// their payment.
pub const CAPACITY: usize = 10_000;

/// Orders' emails, in memory (see the module's documentation).
pub struct EmailsOnFile {
    /// By order: where its next top-up's receipt goes.
    held: Slots<Email>,
    /// By unpaid top-up: the order it is for, and the email it was started with.
    awaiting_payment: Slots<(OrderRef, Email)>,
}

impl Default for EmailsOnFile {
    fn default() -> Self {
        EmailsOnFile::new(CAPACITY, KEEP_FOR)
    }
}

impl EmailsOnFile {
    /// Holds at most `capacity` emails (and as many top-ups' awaiting payment), each for
    /// `keep_for`.
    pub fn new(capacity: usize, keep_for: Duration) -> Self {
        EmailsOnFile {
            held: Slots::new(capacity, keep_for),
            awaiting_payment: Slots::new(capacity, keep_for),
        }
    }

    /// Holds a checkout's `email` as its new order's.
    pub fn remember(&self, order_ref: &OrderRef, email: &Email) {
        self.held.insert(order_ref, email.clone(), Instant::now());
    }

    /// Notes the email a top-up of `order_ref` (itself the order `topup_ref`) was
    /// started with; it becomes the order's once the top-up is paid.
    pub fn remember_topup(&self, topup_ref: &OrderRef, order_ref: &OrderRef, email: &Email) {
        self.awaiting_payment.insert(
            topup_ref,
            (order_ref.clone(), email.clone()),
            Instant::now(),
        );
    }

    /// The top-up `topup_ref` is paid: the email it was started with (if this process
    /// saw it start) is its order's from now on.
    pub fn topup_paid(&self, topup_ref: &OrderRef) {
        self.topup_paid_at(topup_ref, Instant::now());
    }

    /// The email held for the order, if any.
    pub fn email(&self, order_ref: &OrderRef) -> Option<Email> {
        self.held.get(order_ref, Instant::now())
    }

    /// Whether an email is held for the order.
    pub fn holds(&self, order_ref: &OrderRef) -> bool {
        self.held.contains(order_ref, Instant::now())
    }

    fn topup_paid_at(&self, topup_ref: &OrderRef, now: Instant) {
        if let Some((order_ref, email)) = self.awaiting_payment.take(topup_ref, now) {
            self.held.insert(&order_ref, email, now);
        }
    }
}

/// Values by order reference, at most `capacity` of them, each for `keep_for`, the
/// oldest dropped first.
struct Slots<V> {
    capacity: usize,
    keep_for: Duration,
    inner: Mutex<Held<V>>,
}

struct Held<V> {
    by_order: HashMap<OrderRef, Kept<V>>,
    /// Oldest first; an entry whose `seq` is no longer its order's was replaced later
    /// (or taken) and is skipped.
    queue: VecDeque<(u64, OrderRef)>,
    next_seq: u64,
}

struct Kept<V> {
    value: V,
    at: Instant,
    seq: u64,
}

impl<V: Clone> Slots<V> {
    fn new(capacity: usize, keep_for: Duration) -> Self {
        Slots {
            capacity,
            keep_for,
            inner: Mutex::new(Held {
                by_order: HashMap::new(),
                queue: VecDeque::new(),
                next_seq: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held<V>> {
        // A poisoned lock only means another thread panicked while holding it; the map
        // is still consistent (every change is one insert or remove).
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Holds `value` for the order (replacing the one held, and its age).
    fn insert(&self, order_ref: &OrderRef, value: V, now: Instant) {
        let mut held = self.lock();
        let seq = held.next_seq;
        held.next_seq += 1;
        held.by_order.insert(
            order_ref.clone(),
            Kept {
                value,
                at: now,
                seq,
            },
        );
        held.queue.push_back((seq, order_ref.clone()));
        self.prune(&mut held, now);
    }

    fn get(&self, order_ref: &OrderRef, now: Instant) -> Option<V> {
        self.lock()
            .by_order
            .get(order_ref)
            .filter(|kept| !self.expired(kept, now))
            .map(|kept| kept.value.clone())
    }

    fn contains(&self, order_ref: &OrderRef, now: Instant) -> bool {
        self.lock()
            .by_order
            .get(order_ref)
            .is_some_and(|kept| !self.expired(kept, now))
    }

    /// Removes the order's value and returns it, unless it expired.
    fn take(&self, order_ref: &OrderRef, now: Instant) -> Option<V> {
        let kept = self.lock().by_order.remove(order_ref)?;
        (!self.expired(&kept, now)).then_some(kept.value)
    }

    fn expired(&self, kept: &Kept<V>, now: Instant) -> bool {
        now.saturating_duration_since(kept.at) >= self.keep_for
    }

    /// Drops, oldest first, the entries that expired or are beyond the capacity, and
    /// the queue's entries that a later `insert` (or a `take`) replaced.
    fn prune(&self, held: &mut Held<V>, now: Instant) {
        while let Some((seq, order_ref)) = held.queue.front() {
            let Some(kept) = held.by_order.get(order_ref) else {
                held.queue.pop_front();
                continue;
            };
            if kept.seq != *seq {
                held.queue.pop_front();
            } else if self.expired(kept, now) || held.by_order.len() > self.capacity {
                let order_ref = order_ref.clone();
                held.by_order.remove(&order_ref);
                held.queue.pop_front();
            } else {
                break;
            }
        }
        // The same orders remembered again and again leave replaced entries behind the
        // front: keep the queue within twice the map.
        if held.queue.len() > 2 * held.by_order.len() + 16 {
            let Held {
                by_order, queue, ..
            } = held;
            queue.retain(|(seq, order_ref)| by_order.get(order_ref).is_some_and(|k| k.seq == *seq));
        }
    }

    /// How many values are held (expired ones not yet dropped included).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().by_order.len()
    }

    /// How long the queue is.
    #[cfg(test)]
    fn queued(&self) -> usize {
        self.lock().queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(n: u128) -> OrderRef {
        OrderRef::from_bits(n)
    }

    fn email(name: &str) -> Email {
        Email::parse(&format!("{name}@example.com")).expect("valid")
    }

    fn address(e: Option<Email>) -> Option<String> {
        e.map(|e| e.expose().to_owned())
    }

    #[test]
    fn an_email_is_held_until_it_expires() {
        let emails = Slots::new(10, Duration::from_secs(60));
        let t0 = Instant::now();
        emails.insert(&order(1), email("alex"), t0);
        assert_eq!(
            address(emails.get(&order(1), t0 + Duration::from_secs(59))),
            Some("alex@example.com".into())
        );
        assert_eq!(emails.get(&order(2), t0), None, "another order's is not");
        assert_eq!(emails.get(&order(1), t0 + Duration::from_secs(60)), None);
        // Expired entries go when the next one comes.
        emails.insert(&order(2), email("sam"), t0 + Duration::from_secs(61));
        assert_eq!(emails.len(), 1);
    }

    #[test]
    fn the_oldest_go_first_beyond_the_capacity() {
        let emails = Slots::new(3, Duration::from_secs(3600));
        let t0 = Instant::now();
        for n in 1..=3 {
            emails.insert(&order(n), email(&format!("t{n}")), t0);
        }
        // Order 1 remembered again is the newest now.
        emails.insert(&order(1), email("again"), t0 + Duration::from_secs(1));
        emails.insert(&order(4), email("t4"), t0 + Duration::from_secs(2));
        let now = t0 + Duration::from_secs(3);
        let held: Vec<Option<String>> = (1..=4)
            .map(|n| address(emails.get(&order(n), now)))
            .collect();
        assert_eq!(
            held,
            [
                Some("again@example.com".into()),
                None,
                Some("t3@example.com".into()),
                Some("t4@example.com".into())
            ]
        );
        assert_eq!(emails.len(), 3);
    }

    #[test]
    fn remembering_one_order_again_and_again_keeps_the_queue_short() {
        let emails = Slots::new(100, Duration::from_secs(3600));
        let t0 = Instant::now();
        emails.insert(&order(7), email("first"), t0);
        for _ in 0..1000 {
            emails.insert(&order(8), email("again"), t0);
        }
        assert_eq!(emails.len(), 2);
        assert!(emails.queued() <= 2 * 2 + 16, "{}", emails.queued());
        assert!(emails.get(&order(7), t0).is_some());
    }

    #[test]
    fn a_top_ups_email_becomes_the_orders_only_once_it_is_paid() {
        let emails = EmailsOnFile::new(10, Duration::from_secs(3600));
        let t0 = Instant::now();
        let (bought, stranger_topup, own_topup) = (order(1), order(2), order(3));
        emails.held.insert(&bought, email("traveller"), t0);
        // A stranger with the reference starts a top-up with their address, unpaid.
        emails
            .awaiting_payment
            .insert(&stranger_topup, (bought.clone(), email("stranger")), t0);
        assert_eq!(
            address(emails.held.get(&bought, t0)),
            Some("traveller@example.com".into()),
            "an unpaid top-up changes nothing"
        );
        // The traveller's own top-up with a new address, paid: that one holds now.
        emails
            .awaiting_payment
            .insert(&own_topup, (bought.clone(), email("new")), t0);
        emails.topup_paid_at(&own_topup, t0);
        assert_eq!(
            address(emails.held.get(&bought, t0)),
            Some("new@example.com".into())
        );
        // Paid twice (a replayed event) or unknown here: nothing more.
        emails.topup_paid_at(&own_topup, t0);
        emails.topup_paid_at(&order(9), t0);
        assert_eq!(
            address(emails.held.get(&bought, t0)),
            Some("new@example.com".into())
        );
        // A top-up paid after its note expired is not believed either.
        emails.topup_paid_at(&stranger_topup, t0 + Duration::from_secs(3600));
        assert_eq!(
            address(emails.held.get(&bought, t0)),
            Some("new@example.com".into())
        );
    }
}
