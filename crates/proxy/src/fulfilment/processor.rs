//! The event processor: stored webhook events, applied to their orders eight at a
//! time. An event that cannot be applied yet stays stored and is retried with backoff.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use simology::events::{Event, EventPayload};

use super::topup::apply_topup;
use crate::clock::now_ms;
use crate::domain::{OrderRef, RefTag};
use crate::order::{facts_of, Facts, OrderKind};
use crate::state::{AppState, SharedState};
use crate::store::{EventRow, OrderRow};

/// Events read from the store at once.
const BATCH: i64 = 100;

/// How long a replica's claim on an event holds before another may take it.
const CLAIM_LEASE: Duration = Duration::from_secs(5);

/// Processes every due event once.
///
/// # Errors
/// Only when the store cannot be read; single events' failures are recorded on them.
pub async fn process_due(state: &SharedState) -> Result<usize> {
    /// Events applied at once: an event waiting on the upstream (a lookup, a top-up)
    /// does not hold up the others. Their writes are optimistic, so order is free.
    const IN_FLIGHT: usize = 8;
    let mut done = 0;
    loop {
        let due = state.store.due_events(BATCH).await?;
        if due.is_empty() {
            return Ok(done);
        }
        let batch = due.len();
        let mut running = tokio::task::JoinSet::new();
        for row in due {
            // Another replica may be on it already.
            if !state.store.claim_event(&row.event_id, CLAIM_LEASE).await? {
                continue;
            }
            while running.len() >= IN_FLIGHT {
                if let Some(r) = running.join_next().await {
                    r.context("an event task panicked")??;
                }
            }
            let state = Arc::clone(state);
            running.spawn(async move { apply_one(&state, row).await });
            done += 1;
        }
        while let Some(r) = running.join_next().await {
            r.context("an event task panicked")??;
        }
        if i64::try_from(batch).unwrap_or(BATCH) < BATCH {
            return Ok(done);
        }
    }
}

/// Applies one claimed event, recording a failure on it for another attempt.
async fn apply_one(state: &AppState, row: EventRow) -> Result<()> {
    let id = row.event_id.clone();
    let attempts = row.attempts;
    match process_event(state, row).await {
        Ok(outcome) => state.metrics.event_processed(outcome, now_ms()),
        Err(e) => {
            state.metrics.event_processed("failed", now_ms());
            // 0.5 s, 1 s, 2 s ... up to 5 minutes: the common case (an event ahead of
            // the one that links its order) resolves on the first retries.
            let backoff = Duration::from_millis(500u64 << attempts.clamp(0, 10) as u32)
                .min(Duration::from_secs(300));
            tracing::warn!(event_id = %id, attempts, error = format!("{e:#}"), retry_in_ms = backoff.as_millis() as u64, "event not applied yet");
            state
                .store
                .mark_failed(&id, &format!("{e:#}"), backoff)
                .await?;
        }
    }
    Ok(())
}

/// Finds the order an event is about, asking the upstream when the event names only
/// an upstream order this proxy has not linked yet (e.g. `activation.ready` before
/// `checkout.completed`).
async fn order_for(state: &AppState, event: &Event, attempts: i64) -> Result<Option<OrderRow>> {
    let payload = &event.payload;
    if let Some(row) = state
        .store
        .find_order(payload.order_id(), payload.session_id())
        .await?
    {
        return Ok(Some(row));
    }
    if let EventPayload::CheckoutCompleted(d) = payload {
        if let Some(r) = d.metadata.get("order_ref").and_then(|r| OrderRef::parse(r)) {
            if let Some(row) = state.store.order(&r).await? {
                return Ok(Some(row));
            }
        }
    }
    let Some(order_id) = payload.order_id() else {
        return Ok(None);
    };
    // The event that links the order usually arrives within a moment: wait for it
    // twice before asking the upstream.
    if attempts < 2 {
        return Ok(None);
    }
    let upstream = state
        .client
        .order(order_id)
        .await
        .map_err(|e| state.upstream_error(e))?;
    if let Some(row) = state
        .store
        .find_order(None, Some(&upstream.session_id))
        .await?
    {
        return Ok(Some(row));
    }
    match upstream
        .metadata
        .get("order_ref")
        .and_then(|r| OrderRef::parse(r))
    {
        Some(r) => Ok(state.store.order(&r).await?),
        None => Ok(None),
    }
}

/// Applies one stored event. Returns `applied` or `ignored`.
///
/// # Errors
/// When the event cannot be applied yet; it stays stored for another attempt.
pub async fn process_event(state: &AppState, row: EventRow) -> Result<&'static str> {
    let Some(payload) = row.payload else {
        state
            .store
            .mark_processed(&row.event_id, "no payload")
            .await?;
        return Ok("ignored");
    };
    let event = Event::from_json(payload.as_bytes()).context("stored event no longer parses")?;
    if let EventPayload::Unknown { event_type, .. } = &event.payload {
        tracing::info!(event_id = %event.id, event_type, "ignoring an unknown event type");
        state
            .store
            .mark_processed(&event.id, "unknown event type")
            .await?;
        return Ok("ignored");
    }
    let order = order_for(state, &event, row.attempts)
        .await?
        .ok_or_else(|| anyhow!("no order known for this event yet"))?;
    let patch = facts_of(&event);
    if let EventPayload::ActivationReady(d) = &event.payload {
        tracing::info!(event_id = %event.id, order_tag = %RefTag(&order.order_ref), iccid = %d.line.iccid,
            activation_code = %d.line.smdp_plus.redacted(), "eSIM ready");
    }
    if order.kind == OrderKind::Topup && patch.paid_at.is_some() {
        // Record the payment, add the data upstream, and only then mark the event done:
        // a failure in between leaves the event to be tried again.
        let paid = state
            .store
            .apply_facts(&order.order_ref, &patch, None)
            .await?;
        apply_topup(state, &paid).await?;
        state
            .store
            .apply_facts(&order.order_ref, &Facts::default(), Some(&event.id))
            .await?;
    } else {
        let after = state
            .store
            .apply_facts(&order.order_ref, &patch, Some(&event.id))
            .await?;
        tracing::info!(event_id = %event.id, event_type = event.payload.event_type(), order_tag = %RefTag(&after.order_ref),
            order_id = after.facts.upstream_order_id.as_deref(), state = ?after.facts.state(), "event applied");
    }
    Ok("applied")
}
