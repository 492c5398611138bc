//! Group commit of received webhooks: one writer task stores every delivery waiting
//! when it is free in one statement, and answers each after the commit that holds it.

use std::collections::HashSet;

use anyhow::{anyhow, Context, Result};
use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use super::connection::values_rows;
use crate::clock::now_ms;

/// A verified delivery to store.
struct Received {
    event_id: String,
    event_type: String,
    payload: String,
    /// Told, once the commit that holds the event is done, whether it was new.
    stored: oneshot::Sender<Result<bool, String>>,
}

/// Deliveries stored at once, at most.
const GROUP_COMMIT_MAX: usize = 256;

/// Group commit of received events: one writer task stores every delivery waiting when
/// it is free in one transaction, and tells each delivery's handler after the commit
/// that holds it (so no 2xx precedes the fsync). When idle, a delivery is stored at
/// once, alone: nothing waits to fill a batch; under load, the deliveries that arrive
/// during one commit share the next.
#[derive(Clone)]
pub(super) struct Ingest {
    queue: mpsc::Sender<Received>,
}

impl Ingest {
    /// Starts the writer task on `pool`; it ends when the last handle is dropped.
    pub(super) fn start(pool: AnyPool) -> Ingest {
        let (queue, mut received) = mpsc::channel::<Received>(4 * GROUP_COMMIT_MAX);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(GROUP_COMMIT_MAX);
            while received.recv_many(&mut batch, GROUP_COMMIT_MAX).await > 0 {
                let outcomes = match store_all(&pool, &batch).await {
                    Ok(news) => news.into_iter().map(Ok).collect(),
                    // One bad delivery must not fail the others: each alone, then.
                    Err(_) => {
                        let mut alone = Vec::with_capacity(batch.len());
                        for one in &batch {
                            alone.push(
                                store_all(&pool, std::slice::from_ref(one))
                                    .await
                                    .map(|news| news.first().copied().unwrap_or(false))
                                    .map_err(|e| format!("{e:#}")),
                            );
                        }
                        alone
                    }
                };
                for (one, outcome) in batch.drain(..).zip(outcomes) {
                    // A handler that went away (its client hung up) needs no answer.
                    let _ = one.stored.send(outcome);
                }
            }
        });
        Ingest { queue }
    }
}

/// Stores deliveries in one statement (one commit); says for each whether it was new:
/// stored now, and not an earlier one of the same batch.
async fn store_all(pool: &AnyPool, batch: &[Received]) -> Result<Vec<bool>> {
    let now = now_ms();
    let sql = format!(
        "INSERT INTO webhook_events (event_id, event_type, payload, received_at, next_attempt_at) \
         VALUES {} ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
        values_rows(batch.len(), 3, ", $1, $1")
    );
    let mut query = sqlx::query(&sql).bind(now);
    for one in batch {
        query = query
            .bind(&one.event_id)
            .bind(&one.event_type)
            .bind(&one.payload);
    }
    let stored = query
        .fetch_all(pool)
        .await
        .context("storing webhook events")?
        .iter()
        .map(|r| r.try_get::<String, _>("event_id"))
        .collect::<Result<HashSet<String>, _>>()?;
    let mut seen = HashSet::new();
    Ok(batch
        .iter()
        .map(|one| seen.insert(one.event_id.as_str()) && stored.contains(&one.event_id))
        .collect())
}

impl Ingest {
    /// Stores one delivery with whatever else is waiting; returns once the commit that
    /// holds it is done: `false` for an id already stored.
    ///
    /// # Errors
    /// When the writer has stopped or the store failed.
    pub(super) async fn store(
        &self,
        event_id: &str,
        event_type: &str,
        payload: &str,
    ) -> Result<bool> {
        let (stored, outcome) = oneshot::channel();
        self.queue
            .send(Received {
                event_id: event_id.to_owned(),
                event_type: event_type.to_owned(),
                payload: payload.to_owned(),
                stored,
            })
            .await
            .map_err(|_| anyhow!("the event writer has stopped"))?;
        outcome
            .await
            .context("the event writer has stopped")?
            .map_err(|e| anyhow!("storing a webhook event: {e}"))
    }
}
