//! Announcements of committed order changes: in-process on a broadcast channel and,
//! with PostgreSQL, to the other replicas with `NOTIFY` in the changing transaction.

use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::{Any, Transaction};
use tokio::sync::broadcast;

use crate::domain::OrderRef;

/// The PostgreSQL channel order changes are announced on; the payload is the order's
/// reference.
const NOTIFY_CHANNEL: &str = "simology_orders";

/// Announcements a waiter may miss before it must re-read (it is told it lagged).
const CAPACITY: usize = 4096;

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// This order changed.
    Order(OrderRef),
    /// Announcements may have been missed (a replica's listener reconnected): every
    /// waiter should read its order again.
    Resync,
}

impl Change {
    /// Whether a waiter on `order_ref` should read its order again.
    pub fn concerns(&self, order_ref: &OrderRef) -> bool {
        match self {
            Change::Order(changed) => changed == order_ref,
            Change::Resync => true,
        }
    }

    /// A `NOTIFY` payload from another replica: a reference, or anything else, which
    /// is taken as a reason to re-read.
    fn of_payload(payload: &str) -> Change {
        OrderRef::parse(payload).map_or(Change::Resync, Change::Order)
    }
}

/// Where this process announces committed order changes, and hears them.
#[derive(Clone)]
pub(super) struct Changes {
    sender: broadcast::Sender<Change>,
    /// Whether changes also go to (and come from) other replicas by `NOTIFY`.
    replicated: bool,
}

impl Changes {
    /// For a database only this process uses (SQLite).
    pub(super) fn local() -> Self {
        Changes {
            sender: broadcast::channel(CAPACITY).0,
            replicated: false,
        }
    }

    /// For a database replicas share (PostgreSQL at `url`): the other replicas'
    /// `NOTIFY`s are heard as this replica's own announcements.
    pub(super) fn shared_with_replicas(url: &str) -> Self {
        let changes = Changes {
            replicated: true,
            ..Changes::local()
        };
        listen_to_other_replicas(changes.sender.clone(), url.to_owned());
        changes
    }

    /// Order changes, as each commits.
    pub(super) fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }

    /// Announces a committed change to this process's waiters.
    pub(super) fn announce(&self, order_ref: &OrderRef) {
        let _ = self.sender.send(Change::Order(order_ref.clone()));
    }

    /// With replicas, queues the announcement of a change to the others in the
    /// changing transaction: it is delivered when, and only if, it commits.
    pub(super) async fn tell_replicas(
        &self,
        tx: &mut Transaction<'_, Any>,
        order_ref: &OrderRef,
    ) -> Result<()> {
        if self.replicated {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(NOTIFY_CHANNEL)
                .bind(order_ref.as_str())
                .execute(&mut **tx)
                .await
                .context("announcing an order change")?;
        }
        Ok(())
    }
}

/// Hears the other replicas' `NOTIFY`s. After a (re)connection, every waiter is told
/// to re-read, since notifications may have been missed.
fn listen_to_other_replicas(changes: broadcast::Sender<Change>, url: String) {
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
            let _ = changes.send(Change::Resync);
            // `Ok(None)`: the connection dropped; reconnect, then wake everyone.
            while let Ok(Some(n)) = listener.try_recv().await {
                let _ = changes.send(Change::of_payload(n.payload()));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_and_who_is_concerned() {
        let a = OrderRef::from_bits(1);
        let b = OrderRef::from_bits(2);
        assert_eq!(Change::of_payload(a.as_str()), Change::Order(a.clone()));
        assert_eq!(Change::of_payload("*"), Change::Resync);
        assert!(Change::Order(a.clone()).concerns(&a));
        assert!(!Change::Order(a).concerns(&b));
        assert!(Change::Resync.concerns(&b));
    }
}
