//! The store: orders and webhook events, in SQLite (default) or PostgreSQL, chosen by
//! the database URL. All SQL of the proxy lives below this module: a file per table
//! (`orders.rs`, `events.rs`); `connection.rs` opens the database and applies the
//! migrations; `notify.rs` announces order changes.
//!
//! Writes that change an order use optimistic concurrency (`WHERE version = ?`) and
//! are retried, so concurrent webhooks, reconcilers and replicas never lose an update.
//! Every committed change of an order is announced on [`Store::subscribe`], which the
//! long-poll waits on.

mod connection;
mod events;
mod notify;
mod orders;

pub use connection::{Backend, Store};
pub use events::{
    Application, EventCounts, EventRow, Quarantine, QuarantinedEvent, Retry, Settlement,
    StoredEvent,
};
pub use notify::Change;
pub use orders::{NewOrder, OrderRow};
