//! The `outbox` table: a delivery per event and destination, written in the transaction
//! of the order change that made the event; claimed by one replica at a time (the
//! claim numbers the attempt and moves `next_attempt_at` past its timeout, in one
//! statement); settled delivered, to be retried, or given up. `outbox_destinations`
//! holds the destinations disabled after a whole schedule of failures.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::connection::{values_rows, Backend, Store};
use crate::clock::{duration_ms, now_ms};
use crate::outgoing::events::{events_of, Subject};
use crate::outgoing::{postback_destination, Routes, POSTBACK_PREFIX};

/// A delivery claimed for an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The event's id (`webhook-id`).
    pub message_id: String,
    /// An endpoint's id, or `postback:<affiliate>`.
    pub destination: String,
    /// The event's type.
    pub event_type: String,
    /// The body (the JSON payload).
    pub payload: String,
    /// For a postback, the URL to request.
    pub target_url: Option<String>,
    /// This attempt's number (1 for the first).
    pub attempt: u32,
    /// When this chain of attempts began (its first attempt's schedule), Unix ms.
    pub chain_started_at: i64,
    /// When the event was made, Unix ms.
    pub created_at: i64,
}

/// What became of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The destination answered 2xx.
    Delivered,
    /// It did not; try again at this time (Unix ms).
    Retry(i64),
    /// It did not, and the schedule is over.
    GiveUp,
}

/// An attempt's outcome, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    /// Which delivery.
    pub message_id: String,
    /// Where.
    pub destination: String,
    /// The attempt's number (from its claim): a later claim's attempt wins.
    pub attempt: u32,
    /// The HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// What went wrong, when something did.
    pub error: Option<String>,
    /// What follows.
    pub settled: Settled,
}

/// A delivery as `simology-proxy webhooks list` and the tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    /// The event's id.
    pub message_id: String,
    /// Where.
    pub destination: String,
    /// The event's type.
    pub event_type: String,
    /// The order's public id.
    pub order_id: String,
    /// The body.
    pub payload: String,
    /// For a postback, its URL.
    pub target_url: Option<String>,
    /// Attempts so far.
    pub attempts: i64,
    /// Made, Unix ms.
    pub created_at: i64,
    /// The next attempt, Unix ms (while pending).
    pub next_attempt_at: i64,
    /// The last answer's status.
    pub last_status: Option<i64>,
    /// The last error.
    pub last_error: Option<String>,
    /// Delivered, Unix ms.
    pub delivered_at: Option<i64>,
    /// Given up, Unix ms.
    pub failed_at: Option<i64>,
}

impl DeliveryRow {
    /// `delivered`, `failed` (given up) or `pending`.
    pub fn state(&self) -> &'static str {
        if self.delivered_at.is_some() {
            "delivered"
        } else if self.failed_at.is_some() {
            "failed"
        } else {
            "pending"
        }
    }
}

/// A destination's deliveries, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DestinationStats {
    /// Neither delivered nor given up.
    pub pending: i64,
    /// Pending after at least one failed attempt.
    pub retrying: i64,
    /// Given up.
    pub failed: i64,
    /// The oldest pending delivery's creation, Unix ms.
    pub oldest_pending_at: Option<i64>,
    /// Disabled since, Unix ms.
    pub disabled_at: Option<i64>,
}

const DELIVERY_COLUMNS: &str =
    "message_id, destination, event_type, payload, target_url, attempts, chain_started_at, created_at";

fn delivery(row: &AnyRow) -> Result<Delivery> {
    Ok(Delivery {
        message_id: row.try_get("message_id")?,
        destination: row.try_get("destination")?,
        event_type: row.try_get("event_type")?,
        payload: row.try_get("payload")?,
        target_url: row.try_get("target_url")?,
        attempt: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        chain_started_at: row.try_get("chain_started_at")?,
        created_at: row.try_get("created_at")?,
    })
}

const ROW_COLUMNS: &str =
    "message_id, destination, event_type, order_id, payload, target_url, attempts, created_at, \
     next_attempt_at, last_status, last_error, delivered_at, failed_at";

fn delivery_row(row: &AnyRow) -> Result<DeliveryRow> {
    Ok(DeliveryRow {
        message_id: row.try_get("message_id")?,
        destination: row.try_get("destination")?,
        event_type: row.try_get("event_type")?,
        order_id: row.try_get("order_id")?,
        payload: row.try_get("payload")?,
        target_url: row.try_get("target_url")?,
        attempts: row.try_get("attempts")?,
        created_at: row.try_get("created_at")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        delivered_at: row.try_get("delivered_at")?,
        failed_at: row.try_get("failed_at")?,
    })
}

/// One outbox row to insert.
pub(super) struct NewDelivery {
    message_id: String,
    destination: String,
    event_type: &'static str,
    order_id: String,
    payload: String,
    target_url: Option<String>,
}

/// An order change's deliveries, for every destination that takes its events now;
/// written with the transaction's others by [`write_deliveries`].
pub(super) fn deliveries_of(
    routes: &dyn Routes,
    subject: &Subject<'_>,
    before: &crate::order::Facts,
    after: &crate::order::Facts,
    now: i64,
    rows: &mut Vec<NewDelivery>,
) {
    for e in events_of(subject, before, after, now) {
        for endpoint in routes.endpoints_for(e.event_type) {
            rows.push(NewDelivery {
                message_id: e.message_id.clone(),
                destination: endpoint,
                event_type: e.event_type.as_str(),
                order_id: e.order_id.clone(),
                payload: e.body.clone(),
                target_url: None,
            });
        }
        // A postback needs the network's click id: without one it could credit no one.
        if let Some(c) = &e.conversion {
            if let (Some(template), Some(_)) = (routes.postback(&c.affiliate), &c.data.click_id) {
                rows.push(NewDelivery {
                    message_id: e.message_id.clone(),
                    destination: postback_destination(&c.affiliate),
                    event_type: e.event_type.as_str(),
                    order_id: e.order_id.clone(),
                    payload: e.body.clone(),
                    target_url: Some(template.render(&c.data)),
                });
            }
        }
    }
}

/// Rows of one `INSERT` into the outbox, at most (six parameters each).
const ROWS_PER_INSERT: usize = 128;

/// Writes a transaction's deliveries into the outbox, a statement per
/// [`ROWS_PER_INSERT`] rows (a statement per order change cost the webhook ingest a
/// round trip to SQLite's thread each, in the batch's transaction, which holds the one
/// writer). Returns whether anything was written.
pub(super) async fn write_deliveries(
    tx: &mut Transaction<'_, Any>,
    rows: &[NewDelivery],
    now: i64,
) -> Result<bool> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO outbox (message_id, destination, event_type, order_id, payload, target_url, \
             created_at, chain_started_at, next_attempt_at) VALUES {} \
             ON CONFLICT (message_id, destination) DO NOTHING",
            values_rows(chunk.len(), 6, ", $1, $1, $1")
        );
        let mut query = sqlx::query(&sql).bind(now);
        for r in chunk {
            query = query
                .bind(&r.message_id)
                .bind(&r.destination)
                .bind(r.event_type)
                .bind(&r.order_id)
                .bind(&r.payload)
                .bind(r.target_url.as_deref());
        }
        query
            .execute(&mut **tx)
            .await
            .context("writing the outbox")?;
    }
    Ok(!rows.is_empty())
}

/// Stored error texts are kept short.
fn clip(text: &str) -> String {
    text.chars().take(300).collect()
}

/// What a dispatcher pass claims: at most `limit` due deliveries, oldest due first, and
/// at most `caps[destination]` (else `default_cap`) of one destination; only of the
/// destinations among `endpoints` (those this replica can send to) and postbacks, and
/// none disabled.
#[derive(Debug, Clone)]
pub struct Claim<'a> {
    /// The endpoints of this replica's endpoints file.
    pub endpoints: &'a [String],
    /// Room left per destination that has attempts in flight.
    pub caps: &'a BTreeMap<String, i64>,
    /// Room of a destination with none in flight.
    pub default_cap: i64,
    /// Deliveries at most.
    pub limit: i64,
    /// How long a claim holds.
    pub lease: Duration,
}

/// The claim statement: $1 now, $2 the lease's end, $3 the limit, $4 the default cap,
/// $5 the postback prefix, then the endpoints, then each capped destination and its cap.
fn claim_sql(backend: Backend, endpoints: usize, caps: usize) -> String {
    let mut next = 6;
    let mut placeholders = |n: usize| -> Vec<String> {
        (0..n)
            .map(|_| {
                let p = format!("${next}");
                next += 1;
                p
            })
            .collect()
    };
    let endpoint_params = placeholders(endpoints);
    let cap_params = placeholders(2 * caps);
    let served = if endpoint_params.is_empty() {
        "destination LIKE $5".to_owned()
    } else {
        format!(
            "(destination LIKE $5 OR destination IN ({}))",
            endpoint_params.join(", ")
        )
    };
    let cap = if cap_params.is_empty() {
        "$4".to_owned()
    } else {
        let arms: Vec<String> = cap_params
            .chunks(2)
            .map(|p| format!("WHEN {} THEN {}", p[0], p[1]))
            .collect();
        format!("CASE destination {} ELSE $4 END", arms.join(" "))
    };
    let cast = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => "::BIGINT",
    };
    // The outer condition is checked again on the row itself: on PostgreSQL, a row
    // another replica claimed meanwhile no longer qualifies once its claim commits.
    format!(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2, last_attempt_at = $1 \
         WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
         AND (message_id, destination) IN (\
           SELECT message_id, destination FROM (\
             SELECT message_id, destination, next_attempt_at, \
             ROW_NUMBER() OVER (PARTITION BY destination ORDER BY next_attempt_at, created_at) AS n \
             FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
             AND {served} \
             AND destination NOT IN (SELECT destination FROM outbox_destinations WHERE disabled_at IS NOT NULL)\
           ) AS due WHERE n <= {cap}{cast} ORDER BY next_attempt_at LIMIT $3) \
         RETURNING {DELIVERY_COLUMNS}"
    )
}

impl Store {
    /// One pass of the dispatcher, in one transaction (one commit): records attempts'
    /// outcomes, then claims due deliveries (see [`Claim`]). An outcome whose delivery
    /// another claim has taken since (a later attempt) changes nothing. The claim
    /// numbers each attempt and moves its next attempt `lease` ahead in one statement:
    /// another replica takes a delivery only once its lease has run out (this replica
    /// died mid-attempt).
    ///
    /// # Errors
    /// On database errors; nothing is recorded or claimed then (the deliveries come
    /// back when their lease runs out: at least once, never lost).
    pub async fn dispatch_pass(
        &self,
        outcomes: &[AttemptOutcome],
        claim: Option<&Claim<'_>>,
    ) -> Result<Vec<Delivery>> {
        if outcomes.is_empty() && claim.is_none() {
            return Ok(Vec::new());
        }
        let now = now_ms();
        // A lost outcome or claim only sends its delivery again (receivers deduplicate
        // by webhook-id): the commit need not wait for the disk.
        let mut writer = self.unsynced_writer().await?;
        let mut tx = sqlx::Connection::begin(&mut *writer)
            .await
            .context("starting a transaction")?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET LOCAL synchronous_commit TO OFF")
                .execute(&mut *tx)
                .await
                .context("recording without waiting for the WAL flush")?;
        }
        // The common case, delivered, in one statement per 200; failures one by one.
        let delivered: Vec<&AttemptOutcome> = outcomes
            .iter()
            .filter(|o| o.settled == Settled::Delivered)
            .collect();
        for chunk in delivered.chunks(200) {
            let sql = format!(
                "UPDATE outbox SET delivered_at = $1, next_attempt_at = $1, last_status = v.column4, last_error = NULL \
                 FROM (VALUES {}) AS v WHERE outbox.message_id = v.column1 AND outbox.destination = v.column2 \
                 AND outbox.attempts = v.column3 AND outbox.delivered_at IS NULL AND outbox.failed_at IS NULL",
                values_rows(chunk.len(), 4, "")
            );
            let mut query = sqlx::query(&sql).bind(now);
            for o in chunk {
                query = query
                    .bind(&o.message_id)
                    .bind(&o.destination)
                    .bind(i64::from(o.attempt))
                    .bind(o.status.map_or(0, i64::from));
            }
            query
                .execute(&mut *tx)
                .await
                .context("recording delivered attempts")?;
        }
        for o in outcomes.iter().filter(|o| o.settled != Settled::Delivered) {
            let (set, at) = match o.settled {
                Settled::Retry(at) => ("next_attempt_at = $6", at),
                _ => ("failed_at = $6, next_attempt_at = $6", now),
            };
            sqlx::query(&format!(
                "UPDATE outbox SET {set}, last_status = $4, last_error = $5 \
                 WHERE message_id = $1 AND destination = $2 AND attempts = $3 \
                 AND delivered_at IS NULL AND failed_at IS NULL"
            ))
            .bind(&o.message_id)
            .bind(&o.destination)
            .bind(i64::from(o.attempt))
            .bind(o.status.map(i64::from))
            .bind(o.error.as_deref().map(clip))
            .bind(at)
            .execute(&mut *tx)
            .await
            .context("recording a delivery attempt")?;
        }
        let mut claimed = Vec::new();
        if let Some(c) = claim {
            let sql = claim_sql(self.backend, c.endpoints.len(), c.caps.len());
            let mut query = sqlx::query(&sql)
                .bind(now)
                .bind(now.saturating_add(duration_ms(c.lease)))
                .bind(c.limit)
                .bind(c.default_cap)
                .bind(format!("{POSTBACK_PREFIX}%"));
            for e in c.endpoints {
                query = query.bind(e);
            }
            for (destination, cap) in c.caps {
                query = query.bind(destination).bind(*cap);
            }
            let rows = query
                .fetch_all(&mut *tx)
                .await
                .context("claiming deliveries")?;
            claimed = rows.iter().map(delivery).collect::<Result<Vec<_>>>()?;
            claimed.sort_by_key(|d| d.created_at);
        }
        tx.commit().await.context("committing a dispatcher pass")?;
        writer.release().await;
        Ok(claimed)
    }

    /// Whether any delivery is due now (a read: a pass with nothing to record and
    /// nothing due takes no write lock).
    ///
    /// # Errors
    /// On database errors.
    pub async fn any_delivery_due(&self) -> Result<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM outbox WHERE delivered_at IS NULL \
             AND failed_at IS NULL AND next_attempt_at <= $1 LIMIT 1) AS due",
        )
        .bind(now_ms())
        .fetch_one(&self.reader)
        .await
        .context("looking for due deliveries")?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// Whether anything reached `destination` at or after `since` (Unix ms).
    ///
    /// # Errors
    /// On database errors.
    pub async fn delivered_since(&self, destination: &str, since: i64) -> Result<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM outbox WHERE destination = $1 AND delivered_at >= $2",
        )
        .bind(destination)
        .bind(since)
        .fetch_one(&self.writer)
        .await
        .context("reading a destination's deliveries")?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// Disables a destination; `false` when it already was.
    ///
    /// # Errors
    /// On database errors.
    pub async fn disable_destination(&self, destination: &str, reason: &str) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO outbox_destinations (destination, disabled_at, reason) VALUES ($1, $2, $3) \
             ON CONFLICT (destination) DO UPDATE SET disabled_at = excluded.disabled_at, reason = excluded.reason \
             WHERE outbox_destinations.disabled_at IS NULL",
        )
        .bind(destination)
        .bind(now_ms())
        .bind(clip(reason))
        .execute(&self.writer)
        .await
        .context("disabling a destination")?;
        Ok(done.rows_affected() > 0)
    }

    /// Enables a destination again and makes its waiting deliveries due now; `false`
    /// when it was not disabled.
    ///
    /// # Errors
    /// On database errors.
    pub async fn enable_destination(&self, destination: &str) -> Result<bool> {
        let now = now_ms();
        let mut tx = self
            .writer
            .begin()
            .await
            .context("starting a transaction")?;
        let done = sqlx::query(
            "UPDATE outbox_destinations SET disabled_at = NULL, reason = NULL \
             WHERE destination = $1 AND disabled_at IS NOT NULL",
        )
        .bind(destination)
        .execute(&mut *tx)
        .await
        .context("enabling a destination")?;
        sqlx::query(
            "UPDATE outbox SET next_attempt_at = $2 WHERE destination = $1 \
             AND delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at > $2",
        )
        .bind(destination)
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("making a destination's deliveries due")?;
        tx.commit()
            .await
            .context("committing an enabled destination")?;
        Ok(done.rows_affected() > 0)
    }

    /// Sends an event again, from now, to every destination it was for (or only to
    /// `destination`): a new chain of attempts, with the same `webhook-id`. Returns how
    /// many deliveries were set going (none while one is already pending).
    ///
    /// # Errors
    /// On database errors.
    pub async fn replay_message(&self, message_id: &str, destination: Option<&str>) -> Result<u64> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE outbox SET delivered_at = NULL, failed_at = NULL, attempts = 0, \
             next_attempt_at = $2, chain_started_at = $2, last_error = NULL, last_status = NULL \
             WHERE message_id = $1 AND ($3 = '' OR destination = $3) \
             AND (delivered_at IS NOT NULL OR failed_at IS NOT NULL)",
        )
        .bind(message_id)
        .bind(now)
        .bind(destination.unwrap_or_default())
        .execute(&self.writer)
        .await
        .context("replaying an event")?;
        Ok(done.rows_affected())
    }

    /// Sends every delivery given up to `destination` again, from now, and enables the
    /// destination if it was disabled (an operator who replays it says it is back; the
    /// only way for a postback destination, which `webhooks test` cannot reach). Returns
    /// how many deliveries.
    ///
    /// # Errors
    /// On database errors.
    pub async fn replay_failed(&self, destination: &str) -> Result<u64> {
        let now = now_ms();
        let mut tx = self
            .writer
            .begin()
            .await
            .context("starting a transaction")?;
        let done = sqlx::query(
            "UPDATE outbox SET failed_at = NULL, attempts = 0, next_attempt_at = $2, chain_started_at = $2 \
             WHERE destination = $1 AND failed_at IS NOT NULL",
        )
        .bind(destination)
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("replaying failed deliveries")?;
        sqlx::query(
            "UPDATE outbox_destinations SET disabled_at = NULL, reason = NULL WHERE destination = $1",
        )
        .bind(destination)
        .execute(&mut *tx)
        .await
        .context("enabling a destination")?;
        sqlx::query(
            "UPDATE outbox SET next_attempt_at = $2 WHERE destination = $1 \
             AND delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at > $2",
        )
        .bind(destination)
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("making a destination's deliveries due")?;
        tx.commit().await.context("committing a replay")?;
        Ok(done.rows_affected())
    }

    /// Each destination's deliveries counted (pending, retrying, given up, the oldest
    /// pending) and whether it is disabled.
    ///
    /// # Errors
    /// On database errors.
    pub async fn outbox_stats(&self) -> Result<BTreeMap<String, DestinationStats>> {
        let mut stats: BTreeMap<String, DestinationStats> = BTreeMap::new();
        let rows = sqlx::query(
            "SELECT destination, COUNT(*) AS pending, \
             SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) AS retrying, MIN(created_at) AS oldest \
             FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL GROUP BY destination",
        )
        .fetch_all(&self.reader)
        .await
        .context("counting pending deliveries")?;
        for r in &rows {
            let s = stats.entry(r.try_get("destination")?).or_default();
            s.pending = r.try_get("pending")?;
            s.retrying = r.try_get::<Option<i64>, _>("retrying")?.unwrap_or(0);
            s.oldest_pending_at = r.try_get("oldest")?;
        }
        let rows = sqlx::query(
            "SELECT destination, COUNT(*) AS failed FROM outbox WHERE failed_at IS NOT NULL GROUP BY destination",
        )
        .fetch_all(&self.reader)
        .await
        .context("counting failed deliveries")?;
        for r in &rows {
            stats.entry(r.try_get("destination")?).or_default().failed = r.try_get("failed")?;
        }
        let rows = sqlx::query(
            "SELECT destination, disabled_at FROM outbox_destinations WHERE disabled_at IS NOT NULL",
        )
        .fetch_all(&self.reader)
        .await
        .context("reading disabled destinations")?;
        for r in &rows {
            stats
                .entry(r.try_get("destination")?)
                .or_default()
                .disabled_at = r.try_get("disabled_at")?;
        }
        Ok(stats)
    }

    /// The newest deliveries (of one destination, of one event, or all), newest first.
    ///
    /// # Errors
    /// On database errors.
    pub async fn deliveries(
        &self,
        destination: Option<&str>,
        message_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {ROW_COLUMNS} FROM outbox WHERE ($1 = '' OR destination = $1) \
             AND ($2 = '' OR message_id = $2) ORDER BY created_at DESC, message_id, destination LIMIT $3"
        ))
        .bind(destination.unwrap_or_default())
        .bind(message_id.unwrap_or_default())
        .bind(limit)
        .fetch_all(&self.reader)
        .await
        .context("listing deliveries")?;
        rows.iter().map(delivery_row).collect()
    }

    /// Deletes deliveries delivered before `before` (Unix ms); returns how many.
    ///
    /// # Errors
    /// On database errors.
    pub async fn prune_delivered(&self, before: i64) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < $1")
                .bind(before)
                .execute(&self.writer)
                .await
                .context("pruning delivered deliveries")?;
        Ok(done.rows_affected())
    }
}
