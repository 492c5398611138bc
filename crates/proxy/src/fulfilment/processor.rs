//! Background work: applying stored webhook events to orders, applying paid top-ups,
//! reconciling orders whose webhooks are late, and expiring unpaid sessions.
//!
//! An event is applied and marked processed in one transaction. One that cannot be
//! applied yet (its order unknown, the upstream down) stays stored and is tried again
//! with backoff; nothing is dropped.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use simology::events::{Event, EventPayload};
use simology::models::TopupRequest;
use simology_proxy_api::OrderState;
use tokio::task::JoinHandle;

use crate::domain::OrderRef;
use crate::order::{facts_of, facts_of_order, Facts};
use crate::store::{now_ms, EventRow, OrderRow};
use crate::SharedState;

/// Starts the processor, the reconciler and the catalogue refresher.
pub fn spawn_background(state: SharedState) -> Vec<JoinHandle<()>> {
    let processor = {
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let mut shutdown = state.shutdown.clone();
            loop {
                if let Err(e) = process_due(&state).await {
                    tracing::error!(error = format!("{e:#}"), "event processing pass failed");
                }
                tokio::select! {
                    _ = state.wake_processor.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    _ = shutdown.changed() => break,
                }
            }
        })
    };
    let reconciler = {
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let mut shutdown = state.shutdown.clone();
            loop {
                if let Err(e) = reconcile_once(&state).await {
                    tracing::error!(error = format!("{e:#}"), "reconciliation pass failed");
                }
                tokio::select! {
                    _ = tokio::time::sleep(state.settings.reconcile_interval) => {}
                    _ = shutdown.changed() => break,
                }
            }
        })
    };
    let refresher = {
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let mut shutdown = state.shutdown.clone();
            loop {
                // The catalogue is refreshed every TTL (and so at least daily), and
                // loaded at start so the first widget does not wait for it.
                if let Err(e) = state.catalog.refresh().await {
                    state.upstream_error(e);
                }
                let wait = state
                    .settings
                    .catalog_ttl
                    .min(Duration::from_secs(24 * 3600));
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.changed() => break,
                }
            }
        })
    };
    vec![processor, reconciler, refresher]
}

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
        let due = state.store.due_events(100).await?;
        if due.is_empty() {
            return Ok(done);
        }
        let batch = due.len();
        let mut running = tokio::task::JoinSet::new();
        for row in due {
            // Another replica may be on it already.
            if !state
                .store
                .claim_event(&row.event_id, Duration::from_secs(5))
                .await?
            {
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
        if batch < 100 {
            return Ok(done);
        }
    }
}

/// Applies one claimed event, recording a failure on it for another attempt.
async fn apply_one(state: &SharedState, row: EventRow) -> Result<()> {
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
async fn order_for(state: &SharedState, event: &Event, attempts: i64) -> Result<Option<OrderRow>> {
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
pub async fn process_event(state: &SharedState, row: EventRow) -> Result<&'static str> {
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
        tracing::info!(event_id = %event.id, order_ref = %order.order_ref, iccid = %d.line.iccid,
            activation_code = %d.line.smdp_plus.redacted(), "eSIM ready");
    }
    if order.kind == "topup" && patch.paid_at.is_some() {
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
        tracing::info!(event_id = %event.id, event_type = event.payload.event_type(), order_ref = %after.order_ref,
            order_id = after.facts.upstream_order_id.as_deref(), state = ?after.facts.state(), "event applied");
    }
    Ok("applied")
}

/// Adds a paid top-up's data to its line (idempotent per top-up order).
async fn apply_topup(state: &SharedState, order: &OrderRow) -> Result<()> {
    if order.facts.ready_at.is_some() {
        return Ok(());
    }
    let parent_ref = order
        .parent_ref
        .as_ref()
        .context("a top-up without its order")?;
    let parent = state
        .store
        .order(parent_ref)
        .await?
        .context("the top-up's order is gone")?;
    let iccid = parent
        .facts
        .iccid
        .clone()
        .context("the top-up's order has no line")?;
    let topup = state
        .client
        .create_topup(
            &TopupRequest {
                iccid: iccid.clone(),
                sku: order.sku.clone(),
            },
            Some(&format!("topup-{}", order.order_ref)),
        )
        .await
        .map_err(|e| state.upstream_error(e))?;
    state
        .store
        .apply_facts(
            &order.order_ref,
            &Facts {
                ready_at: Some(now_ms()),
                ..Facts::default()
            },
            None,
        )
        .await?;
    tracing::info!(order_ref = %order.order_ref, %parent_ref, iccid, topup_id = %topup.id, mb = topup.data_added_mb, "top-up applied");
    Ok(())
}

/// One reconciliation pass: paid orders that are not final after `stale_after` are
/// read upstream; unpaid sessions past their expiry are expired.
///
/// # Errors
/// When the store cannot be read.
pub async fn reconcile_once(state: &SharedState) -> Result<()> {
    let now = now_ms();
    let stale_before =
        now - i64::try_from(state.settings.stale_after.as_millis()).unwrap_or(i64::MAX);
    let stale = state
        .store
        .claim_stale(stale_before, state.settings.stale_after, 50)
        .await?;
    for order in stale {
        let order_id = match (&order.facts.upstream_order_id, &order.session_id) {
            (Some(id), _) => id.clone(),
            (None, Some(session_id)) => match state.client.checkout_session(session_id).await {
                Ok(s) if s.status == simology::models::SessionStatus::Expired => {
                    state
                        .store
                        .apply_facts(
                            &order.order_ref,
                            &Facts {
                                expired_at: Some(now_ms()),
                                ..Facts::default()
                            },
                            None,
                        )
                        .await?;
                    continue;
                }
                Ok(s) => match s.value.order_id {
                    Some(id) => id,
                    None => continue,
                },
                Err(e) => {
                    state.upstream_error(e);
                    continue;
                }
            },
            (None, None) => continue,
        };
        match state.client.order(&order_id).await {
            Ok(upstream) => {
                let after = state
                    .store
                    .apply_facts(&order.order_ref, &facts_of_order(&upstream, now_ms()), None)
                    .await?;
                if after.kind == "topup" && after.facts.state() == OrderState::Provisioning {
                    if let Err(e) = apply_topup(state, &after).await {
                        tracing::warn!(order_ref = %after.order_ref, error = format!("{e:#}"), "top-up still not applied");
                    }
                }
                tracing::info!(order_ref = %order.order_ref, order_id, state = ?after.facts.state(), "reconciled");
            }
            Err(e) => {
                state.upstream_error(e);
            }
        }
    }
    for order_ref in state.store.expired_sessions(now, 200).await? {
        state
            .store
            .apply_facts(
                &order_ref,
                &Facts {
                    expired_at: Some(now),
                    ..Facts::default()
                },
                None,
            )
            .await?;
        tracing::info!(%order_ref, "checkout session expired unpaid");
    }
    // Reservations whose upstream call never succeeded are dropped after a day.
    state
        .store
        .drop_stale_reservations(now - 24 * 3600 * 1000)
        .await?;
    Ok(())
}
