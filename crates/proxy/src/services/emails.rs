//! The email given for an order (at its checkout, or with a top-up of it), held in this
//! process's memory so that a top-up of the order need not ask the traveller again: the
//! payment page reloads the widget's page, and the widget keeps no email.
//!
//! Never stored, never logged, never answered: the order's view says only whether one is
//! held (`email_on_file`). Held for [`KEEP_FOR`], at most [`CAPACITY`] orders (the
//! oldest dropped first). Another replica, a restarted process or an expired entry does
//! not hold it, and the top-up then asks for the email again (`invalid_email`): memory
//! is a convenience, never the only way to buy.
//!
//! A map and an insertion queue under one lock, rather than a caching crate: the entries
//! expire in insertion order, so the oldest-first queue is both the eviction order and
//! the expiry order, and tests give it their own instants instead of waiting hours.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::{Email, OrderRef};

/// How long an order's email is held: a traveller who tops up goes back to the order's
/// page within hours of buying, or comes back days later and is asked again.
pub const KEEP_FOR: Duration = Duration::from_secs(6 * 60 * 60);

/// How many orders' emails are held at most (about 1 MB).
pub const CAPACITY: usize = 10_000;

/// Orders' emails, in memory (see the module's documentation).
pub struct EmailsOnFile {
    capacity: usize,
    keep_for: Duration,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    by_order: HashMap<OrderRef, Kept>,
    /// Oldest first; an entry whose `seq` is no longer its order's was replaced later
    /// and is skipped.
    queue: VecDeque<(u64, OrderRef)>,
    next_seq: u64,
}

struct Kept {
    email: Email,
    at: Instant,
    seq: u64,
}

impl Default for EmailsOnFile {
    fn default() -> Self {
        EmailsOnFile::new(CAPACITY, KEEP_FOR)
    }
}

impl EmailsOnFile {
    /// Holds at most `capacity` emails, each for `keep_for`.
    pub fn new(capacity: usize, keep_for: Duration) -> Self {
        EmailsOnFile {
            capacity,
            keep_for,
            held: Mutex::new(Held::default()),
        }
    }

    /// Holds `email` as the order's (replacing the one held, and its age).
    pub fn remember(&self, order_ref: &OrderRef, email: &Email) {
        self.remember_at(order_ref, email, Instant::now());
    }

    /// The email held for the order, if any.
    pub fn email(&self, order_ref: &OrderRef) -> Option<Email> {
        self.email_at(order_ref, Instant::now())
    }

    /// Whether an email is held for the order.
    pub fn holds(&self, order_ref: &OrderRef) -> bool {
        self.lookup(order_ref, Instant::now(), |_| ()).is_some()
    }

    fn remember_at(&self, order_ref: &OrderRef, email: &Email, now: Instant) {
        // A poisoned lock only means another thread panicked while holding it; the map
        // is still consistent (every change is one insert or remove).
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let seq = held.next_seq;
        held.next_seq += 1;
        held.by_order.insert(
            order_ref.clone(),
            Kept {
                email: email.clone(),
                at: now,
                seq,
            },
        );
        held.queue.push_back((seq, order_ref.clone()));
        self.prune(&mut held, now);
    }

    fn email_at(&self, order_ref: &OrderRef, now: Instant) -> Option<Email> {
        self.lookup(order_ref, now, |kept| kept.email.clone())
    }

    fn lookup<T>(
        &self,
        order_ref: &OrderRef,
        now: Instant,
        read: impl Fn(&Kept) -> T,
    ) -> Option<T> {
        let held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.by_order
            .get(order_ref)
            .filter(|kept| !self.expired(kept, now))
            .map(read)
    }

    fn expired(&self, kept: &Kept, now: Instant) -> bool {
        now.saturating_duration_since(kept.at) >= self.keep_for
    }

    /// Drops, oldest first, the entries that expired or are beyond the capacity, and
    /// the queue's entries that a later `remember` replaced.
    fn prune(&self, held: &mut Held, now: Instant) {
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

    /// How many emails are held (expired ones not yet dropped included).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .by_order
            .len()
    }

    /// How long the queue is.
    #[cfg(test)]
    fn queued(&self) -> usize {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .queue
            .len()
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
        let emails = EmailsOnFile::new(10, Duration::from_secs(60));
        let t0 = Instant::now();
        emails.remember_at(&order(1), &email("alex"), t0);
        assert_eq!(
            address(emails.email_at(&order(1), t0 + Duration::from_secs(59))),
            Some("alex@example.com".into())
        );
        assert_eq!(
            emails.email_at(&order(2), t0),
            None,
            "another order's is not"
        );
        assert_eq!(
            emails.email_at(&order(1), t0 + Duration::from_secs(60)),
            None
        );
        // Expired entries go when the next one comes.
        emails.remember_at(&order(2), &email("sam"), t0 + Duration::from_secs(61));
        assert_eq!(emails.len(), 1);
    }

    #[test]
    fn the_oldest_go_first_beyond_the_capacity() {
        let emails = EmailsOnFile::new(3, Duration::from_secs(3600));
        let t0 = Instant::now();
        for n in 1..=3 {
            emails.remember_at(&order(n), &email(&format!("t{n}")), t0);
        }
        // Order 1 remembered again is the newest now.
        emails.remember_at(&order(1), &email("again"), t0 + Duration::from_secs(1));
        emails.remember_at(&order(4), &email("t4"), t0 + Duration::from_secs(2));
        let now = t0 + Duration::from_secs(3);
        let held: Vec<Option<String>> = (1..=4)
            .map(|n| address(emails.email_at(&order(n), now)))
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
        let emails = EmailsOnFile::new(100, Duration::from_secs(3600));
        let t0 = Instant::now();
        emails.remember_at(&order(7), &email("first"), t0);
        for _ in 0..1000 {
            emails.remember_at(&order(8), &email("again"), t0);
        }
        assert_eq!(emails.len(), 2);
        assert!(emails.queued() <= 2 * 2 + 16, "{}", emails.queued());
        assert!(emails.email_at(&order(7), t0).is_some());
    }
}
