//! The `webhook_events` table: verified deliveries, stored before they are answered
//! (several concurrent deliveries in one commit: `ingest.rs`), then claimed and settled
//! in batches: applied, ignored, quarantined, or left for another attempt.

use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::connection::{stored_ref, Backend, Store};
use super::orders::merge_facts;
use super::outbox::write_deliveries;
use crate::clock::{duration_ms, now_ms};
use crate::domain::OrderRef;
use crate::order::Facts;
use crate::store::OrderRow;

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
    /// When it was stored, Unix ms.
    pub received_at: i64,
    /// When an operator last replayed it out of quarantine, Unix ms.
    pub replayed_at: Option<i64>,
}

impl EventRow {
    /// Since when its order has been looked for: its arrival, or its last replay.
    pub fn looked_for_since(&self) -> i64 {
        self.replayed_at.unwrap_or(self.received_at)
    }
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
    /// Why it is quarantined, when it is.
    pub quarantined: Option<String>,
    /// The stored body, while it is kept (until applied; in quarantine, without emails).
    pub payload: Option<String>,
}

/// A quarantined event, as `simology-proxy events --quarantined` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedEvent {
    /// Event id.
    pub event_id: String,
    /// Type.
    pub event_type: String,
    /// When it was stored, Unix ms.
    pub received_at: i64,
    /// When it was quarantined, Unix ms.
    pub quarantined_at: i64,
    /// Why.
    pub reason: String,
    /// Processing attempts before.
    pub attempts: i64,
}

/// How many events are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventCounts {
    /// Every stored event.
    pub stored: i64,
    /// Applied or ignored.
    pub processed: i64,
    /// Neither processed nor quarantined: still to be applied.
    pub waiting: i64,
    /// Kept aside until an operator replays them.
    pub quarantined: i64,
}

/// Facts an event brings to an order.
#[derive(Debug, Clone)]
pub struct Application {
    /// The order.
    pub order_ref: OrderRef,
    /// What the event says.
    pub patch: Facts,
    /// The event.
    pub event_id: String,
    /// Whether the event is marked applied with its facts (a paid top-up's event is
    /// held until its data has been added upstream).
    pub mark: bool,
}

/// An event put aside.
#[derive(Debug, Clone)]
pub struct Quarantine {
    /// The event.
    pub event_id: String,
    /// Why.
    pub reason: String,
    /// The body to keep (the customer's email removed).
    pub payload: Option<String>,
}

/// An event to try again later.
#[derive(Debug, Clone)]
pub struct Retry {
    /// The event.
    pub event_id: String,
    /// What went wrong.
    pub error: String,
    /// When to try again.
    pub retry_in: Duration,
}

/// What a processor pass settles about its events: written in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Settlement {
    /// Facts to merge into orders.
    pub applies: Vec<Application>,
    /// Events processed without an order change, with a note (an unknown type).
    pub ignored: Vec<(String, String)>,
    /// Events put aside.
    pub quarantined: Vec<Quarantine>,
    /// Events to try again later.
    pub retries: Vec<Retry>,
}

impl Settlement {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.applies.is_empty()
            && self.ignored.is_empty()
            && self.quarantined.is_empty()
            && self.retries.is_empty()
    }
}

const EVENT_ROW_COLUMNS: &str = "event_id, event_type, payload, attempts, received_at, replayed_at";

fn event_row(r: &AnyRow) -> Result<EventRow> {
    Ok(EventRow {
        event_id: r.try_get("event_id")?,
        event_type: r.try_get("event_type")?,
        payload: r.try_get("payload")?,
        attempts: r.try_get("attempts")?,
        received_at: r.try_get("received_at")?,
        replayed_at: r.try_get("replayed_at")?,
    })
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
        quarantined: r.try_get("quarantine_reason")?,
        payload: r.try_get("payload")?,
    })
}

impl Store {
    /// Stores a verified webhook event durably (the commit that holds it is done when
    /// this returns). Returns `false` for an id already stored.
    ///
    /// # Errors
    /// On database errors: the caller must then answer non-2xx so the event is resent.
    pub async fn insert_event(
        &self,
        event_id: &str,
        event_type: &str,
        payload: &str,
    ) -> Result<bool> {
        self.ingest.store(event_id, event_type, payload).await
    }

    /// Claims up to `limit` due events, oldest first: those neither processed nor
    /// quarantined whose next attempt is due. With PostgreSQL, each is claimed for
    /// `lease` in one statement (rows another replica is claiming are skipped); if this
    /// replica dies, the lease runs out and they are due again. A SQLite file has one
    /// process, whose processor takes each due event once: no claim is written.
    ///
    /// # Errors
    /// On database errors.
    pub async fn claim_due_events(&self, limit: i64, lease: Duration) -> Result<Vec<EventRow>> {
        let now = now_ms();
        let rows = match self.backend {
            Backend::Sqlite => {
                sqlx::query(&format!(
                    "SELECT {EVENT_ROW_COLUMNS} FROM webhook_events WHERE processed_at IS NULL \
                     AND quarantined_at IS NULL AND next_attempt_at <= $1 ORDER BY received_at LIMIT $2"
                ))
                .bind(now)
                .bind(limit)
                .fetch_all(&self.writer)
                .await
            }
            Backend::Postgres => {
                sqlx::query(&format!(
                    "UPDATE webhook_events SET next_attempt_at = $3 WHERE event_id IN \
                     (SELECT event_id FROM webhook_events WHERE processed_at IS NULL \
                      AND quarantined_at IS NULL AND next_attempt_at <= $1 \
                      ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
                     RETURNING {EVENT_ROW_COLUMNS}"
                ))
                .bind(now)
                .bind(limit)
                .bind(now.saturating_add(duration_ms(lease)))
                .fetch_all(&self.writer)
                .await
            }
        }
        .context("claiming due events")?;
        let mut due = rows.iter().map(event_row).collect::<Result<Vec<_>>>()?;
        // RETURNING keeps no order.
        due.sort_by(|a, b| (a.received_at, &a.event_id).cmp(&(b.received_at, &b.event_id)));
        Ok(due)
    }

    /// Writes a processor pass's settlement in one transaction (one commit for the
    /// whole batch), then announces the orders it changed. Orders are changed in the
    /// order of their references, so two replicas' batches never wait on each other
    /// in a cycle. Returns the orders of `applies`, as written, in their order.
    ///
    /// # Errors
    /// On database errors; nothing of the settlement is written then.
    pub async fn settle(&self, settlement: &Settlement) -> Result<Vec<OrderRow>> {
        let now = now_ms();
        let mut tx = self
            .writer
            .begin()
            .await
            .context("starting a transaction")?;
        if self.backend == Backend::Postgres {
            // What a settlement writes follows from events already stored durably (the
            // 2xx promised that); a crash that loses its last moments loses nothing the
            // processor does not do again from the store. So its commit need not wait
            // for the WAL flush (PostgreSQL's asynchronous commit: never inconsistent,
            // only the last moments may be lost).
            sqlx::query("SET LOCAL synchronous_commit TO OFF")
                .execute(&mut *tx)
                .await
                .context("settling without waiting for the WAL flush")?;
        }
        let mut order: Vec<usize> = (0..settlement.applies.len()).collect();
        order.sort_by(|&a, &b| {
            settlement.applies[a]
                .order_ref
                .as_str()
                .cmp(settlement.applies[b].order_ref.as_str())
        });
        let mut written: Vec<Option<OrderRow>> = vec![None; settlement.applies.len()];
        let mut changing = Vec::new();
        let mut deliveries = Vec::new();
        for i in order {
            let a = &settlement.applies[i];
            let event = a.mark.then_some(a.event_id.as_str());
            let merged = merge_facts(
                &mut tx,
                &self.changes,
                &self.outbox,
                &a.order_ref,
                &a.patch,
                event,
                &mut deliveries,
            )
            .await?;
            changing.extend(merged.changing);
            written[i] = Some(merged.row);
        }
        let outbox = write_deliveries(&mut tx, &deliveries, now).await?;
        for (event_id, note) in &settlement.ignored {
            sqlx::query(
                "UPDATE webhook_events SET processed_at = $2, payload = NULL, last_error = $3, \
                 attempts = attempts + 1 WHERE event_id = $1",
            )
            .bind(event_id)
            .bind(now)
            .bind(note)
            .execute(&mut *tx)
            .await
            .context("marking an event processed")?;
        }
        for q in &settlement.quarantined {
            sqlx::query(
                "UPDATE webhook_events SET quarantined_at = $2, quarantine_reason = $3, payload = $4, \
                 last_error = $3, attempts = attempts + 1 WHERE event_id = $1 AND processed_at IS NULL",
            )
            .bind(&q.event_id)
            .bind(now)
            .bind(clip(&q.reason))
            .bind(q.payload.as_deref())
            .execute(&mut *tx)
            .await
            .context("quarantining an event")?;
        }
        for r in &settlement.retries {
            sqlx::query(
                "UPDATE webhook_events SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 \
                 WHERE event_id = $1 AND processed_at IS NULL",
            )
            .bind(&r.event_id)
            .bind(clip(&r.error))
            .bind(now.saturating_add(duration_ms(r.retry_in)))
            .execute(&mut *tx)
            .await
            .context("recording an event failure")?;
        }
        tx.commit().await.context("committing a batch of events")?;
        // Announced here, once committed.
        drop(changing);
        if outbox {
            self.wake_outbox();
        }
        Ok(written.into_iter().flatten().collect())
    }

    /// Records a failed processing attempt; the event stays stored and is tried again
    /// after `retry_in`.
    ///
    /// # Errors
    /// On database errors.
    pub async fn mark_failed(&self, event_id: &str, error: &str, retry_in: Duration) -> Result<()> {
        self.settle(&Settlement {
            retries: vec![Retry {
                event_id: event_id.to_owned(),
                error: error.to_owned(),
                retry_in,
            }],
            ..Settlement::default()
        })
        .await
        .map(drop)
    }

    /// Takes a quarantined event out of quarantine and claims it for `lease`, for the
    /// caller to process now: its attempts start again from zero, and its 48 hours from
    /// now. `None` when no such event is quarantined.
    ///
    /// # Errors
    /// On database errors.
    pub async fn unquarantine(&self, event_id: &str, lease: Duration) -> Result<Option<EventRow>> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE webhook_events SET quarantined_at = NULL, quarantine_reason = NULL, replayed_at = $2, \
             attempts = 0, next_attempt_at = $3 WHERE event_id = $1 AND quarantined_at IS NOT NULL",
        )
        .bind(event_id)
        .bind(now)
        .bind(now.saturating_add(duration_ms(lease)))
        .execute(&self.writer)
        .await
        .context("taking an event out of quarantine")?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "SELECT {EVENT_ROW_COLUMNS} FROM webhook_events WHERE event_id = $1"
        ))
        .bind(event_id)
        .fetch_one(&self.writer)
        .await
        .context("reading a replayed event")?;
        event_row(&row).map(Some)
    }

    /// Makes a stored, unprocessed event due at once (for the processor's next pass).
    ///
    /// # Errors
    /// On database errors.
    pub async fn make_due(&self, event_id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_events SET next_attempt_at = $2 WHERE event_id = $1 AND processed_at IS NULL",
        )
        .bind(event_id)
        .bind(now_ms())
        .execute(&self.writer)
        .await
        .context("making an event due")?;
        Ok(())
    }

    /// The quarantined events, oldest first.
    ///
    /// # Errors
    /// On database errors.
    pub async fn quarantined_events(&self) -> Result<Vec<QuarantinedEvent>> {
        let rows = sqlx::query(
            "SELECT event_id, event_type, received_at, quarantined_at, quarantine_reason, attempts \
             FROM webhook_events WHERE quarantined_at IS NOT NULL ORDER BY quarantined_at, event_id",
        )
        .fetch_all(&self.reader)
        .await
        .context("listing quarantined events")?;
        rows.iter()
            .map(|r| {
                Ok(QuarantinedEvent {
                    event_id: r.try_get("event_id")?,
                    event_type: r.try_get("event_type")?,
                    received_at: r.try_get("received_at")?,
                    quarantined_at: r.try_get("quarantined_at")?,
                    reason: r
                        .try_get::<Option<String>, _>("quarantine_reason")?
                        .unwrap_or_default(),
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    /// How many events are stored, processed, waiting and quarantined.
    ///
    /// # Errors
    /// On database errors.
    pub async fn event_counts(&self) -> Result<EventCounts> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS total, COUNT(processed_at) AS processed, \
             COUNT(quarantined_at) AS quarantined FROM webhook_events",
        )
        .fetch_one(&self.reader)
        .await
        .context("counting events")?;
        let stored: i64 = row.try_get("total")?;
        let processed: i64 = row.try_get("processed")?;
        let quarantined: i64 = row.try_get("quarantined")?;
        Ok(EventCounts {
            stored,
            processed,
            waiting: stored - processed - quarantined,
            quarantined,
        })
    }

    /// Every stored event, for the accounting of tests and the chaos driver.
    ///
    /// # Errors
    /// On database errors.
    pub async fn events(&self) -> Result<Vec<StoredEvent>> {
        let rows = sqlx::query(
            "SELECT event_id, event_type, order_ref, processed_at, attempts, quarantine_reason, payload \
             FROM webhook_events ORDER BY received_at, event_id",
        )
        .fetch_all(&self.reader)
        .await
        .context("listing events")?;
        rows.iter().map(stored_event).collect()
    }
}

/// Stored error texts are kept short.
fn clip(text: &str) -> String {
    text.chars().take(500).collect()
}
