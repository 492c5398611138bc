//! Announcements of committed order changes, and what hangs on them: the [`OrderHub`],
//! a registry keyed by order reference where long-polls wait for their own order and
//! readers keep what they made of an order (the status service's serialised view)
//! until it changes. A change wakes only that order's waiters and drops only that
//! order's memo. With PostgreSQL, changes also go to the other replicas with `NOTIFY`
//! in the changing transaction, and theirs arrive here the same way.
//!
//! A memo is never served once a change of its order has committed, and never kept
//! from a read that a change overtook. A change marks its order as changing before it
//! commits ([`Changing`]): from then on the memo is gone and none is kept or served.
//! After the commit, the mark is lifted and the order gets a new generation. A reader
//! takes a ticket (the order's generation) before it reads the store, and
//! [`OrderHub::keep`] takes its memo only when the generation has not moved since: a
//! read that began before the commit carries an old ticket and is turned away, and a
//! read that begins after sees the commit.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::{Any as AnyDb, Executor, Transaction};
use tokio::sync::watch;

use super::Store;
use crate::domain::OrderRef;

/// The PostgreSQL channel order changes are announced on; the payload is the order's
/// reference.
const NOTIFY_CHANNEL: &str = "simology_orders";

/// Shards of the hub (each its own lock).
const SHARDS: usize = 64;

/// What a reader made of one generation of an order, kept until the order changes
/// (the status service keeps its serialised view; it knows the type).
pub type Memo = Arc<dyn Any + Send + Sync>;

/// An order's generation when a reader looked, to be shown back to
/// [`OrderHub::keep`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(Option<u64>);

/// Where long-polls wait for their order and memos of orders are kept.
pub struct OrderHub {
    shards: Box<[Mutex<Shard>]>,
    hasher: std::collections::hash_map::RandomState,
    generations: AtomicU64,
    /// Memos kept per shard at most (0: none).
    memos_per_shard: AtomicUsize,
    /// Whether every change is heard (with replicas: only while listening).
    hearing: AtomicBool,
}

#[derive(Default)]
struct Shard {
    slots: HashMap<OrderRef, Slot>,
    /// The generation of every order without a slot; moves when one of them changes
    /// or a slot is removed.
    vacant: u64,
    memos: usize,
    /// Memos in the order they were kept, for eviction (with stale entries, skipped).
    kept: VecDeque<(OrderRef, u64)>,
}

struct Slot {
    generation: u64,
    /// Changes of this order under way (marked before their commit).
    changing: u32,
    memo: Option<Memo>,
    /// Read since the last eviction pass (a second chance).
    touched: bool,
    waiters: Option<watch::Sender<u64>>,
}

impl Shard {
    /// The order's slot, made at the generation of every order without one if it has
    /// none.
    fn slot(&mut self, order_ref: &OrderRef) -> &mut Slot {
        let vacant = self.vacant;
        self.slot_at(order_ref, vacant)
    }

    /// The order's slot, made at `generation` if it has none.
    fn slot_at(&mut self, order_ref: &OrderRef, generation: u64) -> &mut Slot {
        self.slots.entry(order_ref.clone()).or_insert(Slot {
            generation,
            changing: 0,
            memo: None,
            touched: false,
            waiters: None,
        })
    }

    fn remove_if_unused(&mut self, order_ref: &OrderRef, hub: &OrderHub) {
        if self
            .slots
            .get(order_ref)
            .is_some_and(|s| s.memo.is_none() && s.waiters.is_none() && s.changing == 0)
        {
            self.slots.remove(order_ref);
            // A ticket taken from the removed slot must not match the vacant one.
            self.vacant = hub.next();
        }
    }

    /// Drops memos until fewer than `cap` are kept, the least recently read first.
    fn make_room(&mut self, cap: usize, hub: &OrderHub) {
        let mut looked = 0;
        while self.memos >= cap && looked <= 2 * self.kept.len() {
            looked += 1;
            let Some((order_ref, generation)) = self.kept.pop_front() else {
                break;
            };
            let Some(slot) = self.slots.get_mut(&order_ref) else {
                continue;
            };
            if slot.generation != generation || slot.memo.is_none() {
                continue;
            }
            if slot.touched {
                slot.touched = false;
                self.kept.push_back((order_ref, generation));
                continue;
            }
            slot.memo = None;
            self.memos -= 1;
            self.remove_if_unused(&order_ref, hub);
        }
        if self.kept.len() > 4 * cap + 64 {
            let slots = &self.slots;
            self.kept.retain(|(r, g)| {
                slots
                    .get(r)
                    .is_some_and(|s| s.generation == *g && s.memo.is_some())
            });
        }
    }
}

impl OrderHub {
    /// A hub that keeps `memos` memos at most; `hearing` says whether every change is
    /// heard from the start (a replica hears the others only once it listens).
    pub fn new(memos: usize, hearing: bool) -> Self {
        let hub = OrderHub {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            hasher: std::collections::hash_map::RandomState::new(),
            generations: AtomicU64::new(1),
            memos_per_shard: AtomicUsize::new(0),
            hearing: AtomicBool::new(hearing),
        };
        hub.set_capacity(memos);
        hub
    }

    /// Keeps `memos` memos at most from now on (0: none).
    pub fn set_capacity(&self, memos: usize) {
        self.memos_per_shard
            .store(memos.div_ceil(SHARDS), Ordering::SeqCst);
    }

    fn next(&self) -> u64 {
        self.generations.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn shard(&self, order_ref: &OrderRef) -> MutexGuard<'_, Shard> {
        let i = (self.hasher.hash_one(order_ref) as usize) % SHARDS;
        // A panic while holding a shard leaves nothing half-done that matters more
        // than serving: take the shard back.
        self.shards[i]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The order's memo, if one is kept, and a ticket for keeping one made from a read
    /// of the store that begins now.
    pub fn look(&self, order_ref: &OrderRef) -> (Option<Memo>, Ticket) {
        if !self.hearing.load(Ordering::SeqCst) {
            return (None, Ticket(None));
        }
        let mut shard = self.shard(order_ref);
        match shard.slots.get_mut(order_ref) {
            Some(slot) if slot.changing > 0 => (None, Ticket(None)),
            Some(slot) => {
                slot.touched = true;
                (slot.memo.clone(), Ticket(Some(slot.generation)))
            }
            None => (None, Ticket(Some(shard.vacant))),
        }
    }

    /// Keeps `memo` for the order unless it changed since `ticket` was taken (then the
    /// memo may be stale and is dropped). Returns whether it was kept.
    pub fn keep(&self, order_ref: &OrderRef, ticket: Ticket, memo: Memo) -> bool {
        let cap = self.memos_per_shard.load(Ordering::SeqCst);
        let Ticket(Some(generation)) = ticket else {
            return false;
        };
        if cap == 0 || !self.hearing.load(Ordering::SeqCst) {
            return false;
        }
        let mut shard = self.shard(order_ref);
        let current = match shard.slots.get(order_ref) {
            Some(slot) if slot.changing > 0 => return false,
            Some(slot) => slot.generation,
            None => shard.vacant,
        };
        if current != generation {
            return false;
        }
        let had_memo = shard.slots.get(order_ref).is_some_and(|s| s.memo.is_some());
        if !had_memo {
            shard.make_room(cap, self);
        }
        // At the generation the ticket saw: making room may have moved the vacant one.
        shard.slot_at(order_ref, generation).memo = Some(memo);
        if !had_memo {
            shard.memos += 1;
            shard.kept.push_back((order_ref.clone(), generation));
        }
        true
    }

    /// Waits for changes of the order from now on.
    pub fn wait(self: &Arc<Self>, order_ref: &OrderRef) -> Waiter {
        let mut shard = self.shard(order_ref);
        let slot = shard.slot(order_ref);
        let receiver = match &slot.waiters {
            Some(sender) => sender.subscribe(),
            None => {
                let (sender, receiver) = watch::channel(slot.generation);
                slot.waiters = Some(sender);
                receiver
            }
        };
        Waiter {
            hub: Arc::clone(self),
            order_ref: order_ref.clone(),
            receiver: Some(receiver),
        }
    }

    /// A change of the order is about to commit: its memo goes, and none is kept or
    /// served until [`OrderHub::end_change`].
    fn begin_change(&self, order_ref: &OrderRef) {
        let generation = self.next();
        let mut shard = self.shard(order_ref);
        let slot = shard.slot(order_ref);
        slot.changing += 1;
        slot.generation = generation;
        if slot.memo.take().is_some() {
            shard.memos -= 1;
        }
    }

    /// A change begun with [`OrderHub::begin_change`] committed (or failed): the order
    /// has a new generation and its waiters wake.
    fn end_change(&self, order_ref: &OrderRef) {
        self.changed_here(order_ref, true);
    }

    /// The order changed (committed elsewhere, heard by `NOTIFY`): its memo goes and
    /// its waiters wake.
    pub fn changed(&self, order_ref: &OrderRef) {
        self.changed_here(order_ref, false);
    }

    fn changed_here(&self, order_ref: &OrderRef, ends_a_change: bool) {
        let generation = self.next();
        let mut shard = self.shard(order_ref);
        let Some(slot) = shard.slots.get_mut(order_ref) else {
            shard.vacant = generation;
            return;
        };
        slot.generation = generation;
        if ends_a_change {
            slot.changing = slot.changing.saturating_sub(1);
        }
        let dropped = slot.memo.take().is_some();
        if let Some(waiters) = &slot.waiters {
            waiters.send_replace(generation);
        }
        if dropped {
            shard.memos -= 1;
        }
        shard.remove_if_unused(order_ref, self);
    }

    /// Changes may have been missed: every memo goes and every waiter wakes to read
    /// its order again.
    pub fn resync(&self) {
        for shard in &self.shards[..] {
            let mut shard = shard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let generation = self.next();
            shard.slots.retain(|_, slot| {
                slot.generation = generation;
                slot.memo = None;
                match &slot.waiters {
                    Some(waiters) => {
                        waiters.send_replace(generation);
                        true
                    }
                    None => slot.changing > 0,
                }
            });
            shard.vacant = generation;
            shard.memos = 0;
            shard.kept.clear();
        }
    }

    /// Whether every change is heard from now on; either way, everything is read
    /// again (changes may have been missed before, or are about to be).
    fn set_hearing(&self, hearing: bool) {
        self.hearing.store(hearing, Ordering::SeqCst);
        self.resync();
    }

    /// Memos kept now (for tests and metrics).
    pub fn memos(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map_or(0, |s| s.memos))
            .sum()
    }

    /// Orders with a slot now (waiters or a memo; for tests).
    pub fn slots(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map_or(0, |s| s.slots.len()))
            .sum()
    }
}

/// A long-poll's interest in one order's changes; taken before the order is read, so
/// that a change between the read and the wait is not missed.
pub struct Waiter {
    hub: Arc<OrderHub>,
    order_ref: OrderRef,
    receiver: Option<watch::Receiver<u64>>,
}

impl Waiter {
    /// Completes at the order's next change (or a resync) after the last one seen.
    pub async fn changed(&mut self) {
        let changed = match self.receiver.as_mut() {
            Some(r) => r.changed().await.is_ok(),
            None => false,
        };
        if !changed {
            // The sender lives in the slot while any waiter does: not reached.
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let mut shard = self.hub.shard(&self.order_ref);
        drop(self.receiver.take());
        if let Some(slot) = shard.slots.get_mut(&self.order_ref) {
            if slot
                .waiters
                .as_ref()
                .is_some_and(|w| w.receiver_count() == 0)
            {
                slot.waiters = None;
            }
        }
        shard.remove_if_unused(&self.order_ref, &self.hub);
    }
}

/// Where this process announces committed order changes, and hears them.
#[derive(Clone)]
pub(super) struct Changes {
    hub: Arc<OrderHub>,
    /// Whether changes also go to (and come from) other replicas by `NOTIFY`.
    replicated: bool,
}

impl Changes {
    /// For a database only this process uses (SQLite): every change is made here.
    pub(super) fn local() -> Self {
        Changes {
            hub: Arc::new(OrderHub::new(0, true)),
            replicated: false,
        }
    }

    /// For a database replicas share (PostgreSQL at `url`): the other replicas'
    /// `NOTIFY`s are heard as this replica's own announcements, and nothing is kept in
    /// memory while they cannot be heard.
    pub(super) fn shared_with_replicas(url: &str) -> Self {
        let changes = Changes {
            hub: Arc::new(OrderHub::new(0, false)),
            replicated: true,
        };
        listen_to_other_replicas(Arc::clone(&changes.hub), url.to_owned());
        changes
    }

    /// Marks a change of the order that is about to be written outside a
    /// transaction; [`Changing::committed`] announces it once written.
    pub(super) fn changing(&self, order_ref: &OrderRef) -> Changing {
        self.hub.begin_change(order_ref);
        Changing {
            hub: Arc::clone(&self.hub),
            order_ref: order_ref.clone(),
            replicated: self.replicated,
        }
    }

    /// Marks a change of the order written in `tx` and, with replicas, queues its
    /// announcement to the others in the transaction (delivered when, and only if, it
    /// commits). Drop the mark after the commit: that announces the change here.
    pub(super) async fn tell_replicas(
        &self,
        tx: &mut Transaction<'_, AnyDb>,
        order_ref: &OrderRef,
    ) -> Result<Changing> {
        let changing = self.changing(order_ref);
        notify(self.replicated, &mut **tx, order_ref).await?;
        Ok(changing)
    }
}

/// A change of an order under way: until it is dropped, no memo of the order is kept or
/// served; when it is dropped (after the commit, or after a failure), the order's
/// waiters wake and its next read comes from the store.
#[must_use = "the change is announced when this is dropped, which must be after the commit"]
pub(super) struct Changing {
    hub: Arc<OrderHub>,
    order_ref: OrderRef,
    replicated: bool,
}

impl Changing {
    /// The change was written outside a transaction: tells the other replicas, then
    /// announces it here.
    pub(super) async fn committed<'e>(self, db: impl Executor<'e, Database = AnyDb>) -> Result<()> {
        notify(self.replicated, db, &self.order_ref).await
    }
}

impl Drop for Changing {
    fn drop(&mut self) {
        self.hub.end_change(&self.order_ref);
    }
}

async fn notify<'e>(
    replicated: bool,
    db: impl Executor<'e, Database = AnyDb>,
    order_ref: &OrderRef,
) -> Result<()> {
    if replicated {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(NOTIFY_CHANNEL)
            .bind(order_ref.as_str())
            .execute(db)
            .await
            .context("announcing an order change")?;
    }
    Ok(())
}

impl Store {
    /// Where long-polls wait for their order and memos of orders are kept; every
    /// committed change of an order (this replica's and, with PostgreSQL, the others')
    /// reaches it.
    pub fn hub(&self) -> &Arc<OrderHub> {
        &self.changes.hub
    }
}

/// A `NOTIFY` payload from another replica: the order it names, or `None` for anything
/// else (taken as a reason to read everything again).
fn of_payload(payload: &str) -> Option<OrderRef> {
    OrderRef::parse(payload)
}

/// Hears the other replicas' `NOTIFY`s. Until the first `LISTEN` and while the
/// connection is down, changes may be missed: the hub keeps no memo, and every waiter
/// reads its order again when listening resumes.
fn listen_to_other_replicas(hub: Arc<OrderHub>, url: String) {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect(&url).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for other replicas' changes; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            if let Err(e) = listener.listen(NOTIFY_CHANNEL).await {
                tracing::warn!(error = %e, "LISTEN failed; retrying");
                tokio::time::sleep(backoff).await;
                continue;
            }
            backoff = Duration::from_millis(100);
            hub.set_hearing(true);
            // `Ok(None)`: the connection dropped; reconnect, then read everything again.
            while let Ok(Some(n)) = listener.try_recv().await {
                match of_payload(n.payload()) {
                    Some(order_ref) => hub.changed(&order_ref),
                    None => hub.resync(),
                }
            }
            hub.set_hearing(false);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memo(text: &'static str) -> Memo {
        Arc::new(text)
    }

    fn text(m: Option<Memo>) -> Option<&'static str> {
        m.and_then(|m| m.downcast_ref::<&'static str>().copied())
    }

    #[test]
    fn payloads() {
        let a = OrderRef::from_bits(1);
        assert_eq!(of_payload(a.as_str()), Some(a));
        assert_eq!(of_payload("*"), None);
    }

    #[test]
    fn a_memo_stays_until_its_order_changes() {
        let hub = OrderHub::new(100, true);
        let (a, b) = (OrderRef::from_bits(1), OrderRef::from_bits(2));
        let (none, ticket) = hub.look(&a);
        assert!(none.is_none());
        assert!(hub.keep(&a, ticket, memo("a1")));
        let (_, tb) = hub.look(&b);
        assert!(hub.keep(&b, tb, memo("b1")));
        assert_eq!(text(hub.look(&a).0), Some("a1"));
        hub.changed(&a);
        assert_eq!(text(hub.look(&a).0), None, "a's memo went with the change");
        assert_eq!(text(hub.look(&b).0), Some("b1"), "b's stayed");
        assert_eq!(hub.memos(), 1);
    }

    #[test]
    fn a_read_overtaken_by_a_change_is_not_kept() {
        let hub = OrderHub::new(100, true);
        let a = OrderRef::from_bits(1);
        // Without a slot: the read began, the change committed, then the read ended.
        let (_, before) = hub.look(&a);
        hub.changed(&a);
        assert!(!hub.keep(&a, before, memo("stale")));
        let (_, after) = hub.look(&a);
        assert!(hub.keep(&a, after, memo("fresh")));
        // With a slot (a memo kept): the same.
        let (_, before) = hub.look(&a);
        hub.changed(&a);
        assert!(!hub.keep(&a, before, memo("stale")));
        assert_eq!(text(hub.look(&a).0), None);
        // With a waiter holding the slot.
        let hub = Arc::new(OrderHub::new(100, true));
        let waiter = hub.wait(&a);
        let (_, before) = hub.look(&a);
        hub.changed(&a);
        assert!(!hub.keep(&a, before, memo("stale")));
        drop(waiter);
        // A slot removed and made again does not bring an old ticket back to life.
        let (_, before) = hub.look(&a);
        let w = hub.wait(&a);
        hub.changed(&a);
        drop(w);
        let w = hub.wait(&a);
        assert!(!hub.keep(&a, before, memo("stale")));
        drop(w);
        assert_eq!(
            hub.slots(),
            0,
            "nothing is left for an order nobody waits on"
        );
    }

    #[test]
    fn nothing_is_served_or_kept_while_a_change_commits() {
        let hub = OrderHub::new(100, true);
        let a = OrderRef::from_bits(1);
        let (_, t) = hub.look(&a);
        assert!(hub.keep(&a, t, memo("old")));
        let (_, before) = hub.look(&a);
        hub.begin_change(&a);
        // Between the commit and the announcement, a read goes to the store.
        let (seen, during) = hub.look(&a);
        assert!(seen.is_none());
        assert!(!hub.keep(&a, during, memo("read during")));
        assert!(!hub.keep(&a, before, memo("read before")));
        hub.end_change(&a);
        assert!(hub.look(&a).0.is_none());
        let (_, after) = hub.look(&a);
        assert!(hub.keep(&a, after, memo("new")));
        // Another replica's change meanwhile does not end this one.
        hub.begin_change(&a);
        hub.changed(&a);
        assert!(hub.look(&a).0.is_none());
        hub.resync();
        assert!(hub.look(&a).0.is_none(), "a resync does not end it either");
        hub.end_change(&a);
        let (_, t) = hub.look(&a);
        assert!(hub.keep(&a, t, memo("x")));
        hub.changed(&a);
        assert_eq!(hub.slots(), 0);
    }

    #[test]
    fn a_change_wakes_only_its_orders_waiters() {
        let hub = Arc::new(OrderHub::new(100, true));
        let (a, b) = (OrderRef::from_bits(1), OrderRef::from_bits(2));
        let mut on_a: Vec<Waiter> = (0..3).map(|_| hub.wait(&a)).collect();
        let mut on_b = hub.wait(&b);
        hub.changed(&b);
        let woke = |w: &mut Waiter| {
            w.receiver
                .as_mut()
                .is_some_and(|r| r.has_changed().unwrap_or(false))
        };
        assert!(woke(&mut on_b));
        assert!(on_a.iter_mut().all(|w| !woke(w)));
        hub.changed(&a);
        assert!(on_a.iter_mut().all(woke));
        // A resync wakes everyone.
        let mut on_c = hub.wait(&OrderRef::from_bits(3));
        hub.resync();
        assert!(woke(&mut on_c));
        drop(on_a);
        drop(on_b);
        drop(on_c);
        assert_eq!(hub.slots(), 0);
    }

    #[test]
    fn memos_are_bounded_and_the_unread_go_first() {
        let hub = OrderHub::new(SHARDS * 2, true); // two per shard
        let refs: Vec<OrderRef> = (0..2000).map(OrderRef::from_bits).collect();
        for r in &refs {
            let (_, t) = hub.look(r);
            assert!(hub.keep(r, t, memo("x")));
            // The first one is read again and again.
            let _ = hub.look(&refs[0]);
        }
        assert!(hub.memos() <= SHARDS * 2, "{} kept", hub.memos());
        assert!(hub.look(&refs[0]).0.is_some(), "the one read often stays");
        assert!(hub.slots() <= SHARDS * 2);
    }

    #[test]
    fn nothing_is_kept_while_changes_cannot_be_heard() {
        let hub = OrderHub::new(100, false);
        let a = OrderRef::from_bits(1);
        let (_, t) = hub.look(&a);
        assert!(!hub.keep(&a, t, memo("x")));
        hub.set_hearing(true);
        let (_, t) = hub.look(&a);
        assert!(hub.keep(&a, t, memo("x")));
        hub.set_hearing(false);
        assert!(hub.look(&a).0.is_none(), "dropped when hearing stops");
        let none = OrderHub::new(0, true);
        let (_, t) = none.look(&a);
        assert!(
            !none.keep(&a, t, memo("x")),
            "a capacity of 0 keeps nothing"
        );
    }
}
