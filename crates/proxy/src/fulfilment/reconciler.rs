//! The reconciler: orders whose webhooks are late are read upstream (an order of
//! several eSIMs still short of lines included: the upstream order lists every line
//! provisioned), unpaid sessions past their expiry are expired, and reservations that
//! never got a session are dropped. An order still short of lines after the window of
//! `services::lines::incomplete_after` is logged here, and flagged in `/metrics` and by
//! `simology-proxy orders --incomplete`.

use anyhow::Result;
use simology::models::SessionStatus;
use simology_proxy_api::OrderState;

use super::topup::apply_topup;
use crate::clock::{duration_ms, now_ms};
use crate::domain::{OrderRef, RefTag};
use crate::order::{facts_of_order, Facts, OrderKind};
use crate::services::lines::incomplete_after;
use crate::state::AppState;
use crate::store::OrderRow;

/// Stale orders looked at in one pass.
const STALE_BATCH: i64 = 50;

/// Expired sessions recorded in one pass.
const EXPIRED_BATCH: i64 = 200;

/// Reservations whose upstream call never succeeded are dropped after this long.
const RESERVATION_KEPT_MS: i64 = 24 * 3600 * 1000;

/// One reconciliation pass: orders not final after `stale_after` are read upstream;
/// unpaid sessions past their expiry are expired; reservations that never got a
/// session are dropped after a day.
///
/// # Errors
/// When the store cannot be read or written.
pub async fn reconcile_once(state: &AppState) -> Result<()> {
    let now = now_ms();
    let stale_after = state.settings.stale_after;
    let stale = state
        .store
        .claim_stale(now - duration_ms(stale_after), stale_after, STALE_BATCH)
        .await?;
    for order in stale {
        reconcile(state, &order).await?;
    }
    for order_ref in state.store.expired_sessions(now, EXPIRED_BATCH).await? {
        expire(state, &order_ref, now).await?;
        tracing::info!(order_tag = %RefTag(&order_ref), "checkout session expired unpaid");
    }
    state
        .store
        .drop_stale_reservations(now - RESERVATION_KEPT_MS)
        .await?;
    Ok(())
}

/// Reads one stale order upstream (through its session while no event has named the
/// upstream order) and merges what it says; upstream errors wait for the next pass.
async fn reconcile(state: &AppState, order: &OrderRow) -> Result<()> {
    let order_id = match (&order.facts.upstream_order_id, &order.session_id) {
        (Some(id), _) => id.clone(),
        (None, Some(session_id)) => match state.client.checkout_session(session_id).await {
            Ok(s) if s.status == SessionStatus::Expired => {
                return expire(state, &order.order_ref, now_ms()).await;
            }
            Ok(s) => match s.value.order_id {
                Some(id) => id,
                None => return Ok(()),
            },
            Err(e) => {
                state.upstream_error(e);
                return Ok(());
            }
        },
        (None, None) => return Ok(()),
    };
    let upstream = match state.client.order(&order_id).await {
        Ok(upstream) => upstream,
        Err(e) => {
            state.upstream_error(e);
            return Ok(());
        }
    };
    let after = state
        .store
        .apply_facts(&order.order_ref, &facts_of_order(&upstream, now_ms()), None)
        .await?;
    if after.kind == OrderKind::Topup && after.facts.state() == OrderState::Provisioning {
        if let Err(e) = apply_topup(state, &after).await {
            tracing::warn!(order_tag = %RefTag(&after.order_ref), error = format!("{e:#}"), "top-up still not applied");
        }
    }
    let window = duration_ms(incomplete_after(&state.settings));
    if after.facts.short_of_lines()
        && after
            .facts
            .paid_since()
            .is_some_and(|t| t < now_ms().saturating_sub(window))
    {
        tracing::warn!(order_tag = %RefTag(&order.order_ref), order_id, quantity = after.quantity,
            lines_ready = after.facts.lines_ready(), "paid order still short of lines");
    }
    tracing::info!(order_tag = %RefTag(&order.order_ref), order_id, state = ?after.facts.state(),
        lines_ready = after.facts.lines_ready(), "reconciled");
    Ok(())
}

/// Records that an order's checkout session expired unpaid.
async fn expire(state: &AppState, order_ref: &OrderRef, at: i64) -> Result<()> {
    let expired = Facts {
        expired_at: Some(at),
        ..Facts::default()
    };
    state.store.apply_facts(order_ref, &expired, None).await?;
    Ok(())
}
