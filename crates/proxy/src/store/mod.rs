//! The store: orders and webhook events, in SQLite (default) or PostgreSQL, chosen by
//! the database URL. All SQL of the proxy lives below this module: a file per table
//! (`orders.rs`, `events.rs`, and `funnel.rs` for affiliates: attribution of orders and
//! the funnel's daily counts); `ingest.rs` stores received webhooks by group commit;
//! `connection.rs` opens the database and applies the migrations; `notify.rs`
//! announces order changes; `backup.rs` copies a SQLite database while it serves and
//! restores a copy; `outbox.rs` holds the deliveries to the partner's systems, written
//! in the transaction of the order change that made them.
//!
//! Writes that change an order use optimistic concurrency (`WHERE version = ?`) and
//! are retried, so concurrent webhooks, reconcilers and replicas never lose an update.
//! Every committed change of an order is announced to [`Store::hub`], where long-polls
//! wait for their order and the status service keeps its views of orders.

pub mod backup;
mod connection;
mod events;
mod funnel;
mod ingest;
mod notify;
mod orders;
mod outbox;

pub use connection::{Backend, Store};
pub use events::{
    Application, EventCounts, EventRow, Quarantine, QuarantinedEvent, Retry, Settlement,
    StoredEvent,
};
pub use funnel::{AttributedOrder, FunnelCount, FunnelGroup, FunnelKey, Period};
pub use notify::{Memo, OrderHub, Ticket, Waiter};
pub use orders::{NewOrder, OrderRow};
pub use outbox::{AttemptOutcome, Claim, Delivery, DeliveryRow, DestinationStats, Settled};
