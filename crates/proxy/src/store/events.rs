//! The `webhook_events` table: verified deliveries, stored before they are answered,
//! then claimed, applied or retried.

use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::connection::{stored_ref, Backend, Store};
use crate::clock::{duration_ms, now_ms};
use crate::domain::OrderRef;

/// A stored webhook event, as the processor takes it.
#[derive(Debug, Clone)]
pub struct EventRow {
    /// Event id.
    pub event_id: String,
    /// Type.
    pub event_type: String,
    /// The raw body (until processed).
    pub payload: Option<String>,
    /// Attempts so far.
    pub attempts: i64,
}

/// A stored event as the accounting of tests and the chaos driver sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Event id.
    pub event_id: String,
    /// Type.
    pub event_type: String,
    /// The order it was applied to.
    pub order_ref: Option<OrderRef>,
    /// Whether it was processed (applied or ignored).
    pub processed: bool,
    /// Processing attempts so far.
    pub attempts: i64,
}

/// How many events are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventCounts {
    /// Every stored event.
    pub stored: i64,
    /// Applied or ignored.
    pub processed: i64,
    /// Not processed yet.
    pub waiting: i64,
}

/// Marks an event applied to `order_ref`, in the transaction that changed the order.
pub(super) async fn mark_applied(
    tx: &mut Transaction<'_, Any>,
    event_id: &str,
    order_ref: &OrderRef,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_events SET processed_at = $2, payload = NULL, last_error = NULL, \
         order_ref = $3, attempts = attempts + 1 WHERE event_id = $1",
    )
    .bind(event_id)
    .bind(now)
    .bind(order_ref.as_str())
    .execute(&mut **tx)
    .await
    .context("marking an event processed")?;
    Ok(())
}

fn stored_event(r: &AnyRow) -> Result<StoredEvent> {
    let processed: Option<i64> = r.try_get("processed_at")?;
    Ok(StoredEvent {
        event_id: r.try_get("event_id")?,
        event_type: r.try_get("event_type")?,
        order_ref: r
            .try_get::<Option<String>, _>("order_ref")?
            .as_deref()
            .map(stored_ref)
            .transpose()?,
        processed: processed.is_some(),
        attempts: r.try_get("attempts")?,
    })
}

impl Store {
    /// Stores a verified webhook event. Returns `false` for an id already stored.
    ///
    /// # Errors
    /// On database errors: the caller must then answer non-2xx so the event is resent.
    pub async fn insert_event(
        &self,
        event_id: &str,
        event_type: &str,
        payload: &str,
    ) -> Result<bool> {
        let now = now_ms();
        let done = sqlx::query(
            "INSERT INTO webhook_events (event_id, event_type, payload, received_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(event_id)
        .bind(event_type)
        .bind(payload)
        .bind(now)
        .execute(&self.writer)
        .await
        .context("storing a webhook event")?;
        Ok(done.rows_affected() == 1)
    }

    /// Events not yet processed whose next attempt is due.
    ///
    /// # Errors
    /// On database errors.
    pub async fn due_events(&self, limit: i64) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(
            "SELECT event_id, event_type, payload, attempts FROM webhook_events \
             WHERE processed_at IS NULL AND next_attempt_at <= $1 ORDER BY received_at LIMIT $2",
        )
        .bind(now_ms())
        .bind(limit)
        .fetch_all(&self.writer)
        .await
        .context("reading due events")?;
        rows.iter()
            .map(|r| {
                Ok(EventRow {
                    event_id: r.try_get("event_id")?,
                    event_type: r.try_get("event_type")?,
                    payload: r.try_get("payload")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    /// Claims a due event for `lease` (PostgreSQL): only the replica whose update moves
    /// its next attempt forward processes it; if that replica dies, the lease runs out
    /// and the event is due again.
    ///
    /// # Errors
    /// On database errors.
    pub async fn claim_event(&self, event_id: &str, lease: Duration) -> Result<bool> {
        if self.backend == Backend::Sqlite {
            // One process owns a SQLite file, and its processor takes each due event
            // once: a claim would only cost a write (an fsync) per event.
            return Ok(true);
        }
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE webhook_events SET next_attempt_at = $2 WHERE event_id = $1 AND processed_at IS NULL AND next_attempt_at <= $3",
        )
        .bind(event_id)
        .bind(now.saturating_add(duration_ms(lease)))
        .bind(now)
        .execute(&self.writer)
        .await
        .context("claiming an event")?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks an event processed without an order change (an unknown type).
    ///
    /// # Errors
    /// On database errors.
    pub async fn mark_processed(&self, event_id: &str, note: &str) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_events SET processed_at = $2, payload = NULL, last_error = $3, attempts = attempts + 1 \
             WHERE event_id = $1",
        )
        .bind(event_id)
        .bind(now_ms())
        .bind(note)
        .execute(&self.writer)
        .await
        .context("marking an event processed")?;
        Ok(())
    }

    /// Records a failed processing attempt; the event stays stored and is tried again
    /// after `retry_in`.
    ///
    /// # Errors
    /// On database errors.
    pub async fn mark_failed(&self, event_id: &str, error: &str, retry_in: Duration) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_events SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 \
             WHERE event_id = $1 AND processed_at IS NULL",
        )
        .bind(event_id)
        .bind(error.chars().take(500).collect::<String>())
        .bind(now_ms().saturating_add(duration_ms(retry_in)))
        .execute(&self.writer)
        .await
        .context("recording an event failure")?;
        Ok(())
    }

    /// How many events are stored, processed and waiting.
    ///
    /// # Errors
    /// On database errors.
    pub async fn event_counts(&self) -> Result<EventCounts> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS total, COUNT(processed_at) AS processed FROM webhook_events",
        )
        .fetch_one(&self.reader)
        .await
        .context("counting events")?;
        let stored: i64 = row.try_get("total")?;
        let processed: i64 = row.try_get("processed")?;
        Ok(EventCounts {
            stored,
            processed,
            waiting: stored - processed,
        })
    }

    /// Every stored event, for the accounting of tests and the chaos driver.
    ///
    /// # Errors
    /// On database errors.
    pub async fn events(&self) -> Result<Vec<StoredEvent>> {
        let rows = sqlx::query(
            "SELECT event_id, event_type, order_ref, processed_at, attempts FROM webhook_events",
        )
        .fetch_all(&self.reader)
        .await
        .context("listing events")?;
        rows.iter().map(stored_event).collect()
    }
}
