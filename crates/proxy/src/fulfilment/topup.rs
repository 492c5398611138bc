//! Adding a paid top-up's data to its line, once per top-up order (the event processor
//! does it when `order.paid` arrives, the reconciler when that event is late).

use anyhow::{Context, Result};
use simology::models::TopupRequest;

use crate::clock::now_ms;
use crate::domain::RefTag;
use crate::order::Facts;
use crate::state::AppState;
use crate::store::OrderRow;

/// Adds a paid top-up's data to the line it was bought for (idempotent per top-up
/// order); the other lines of the order are untouched.
pub(super) async fn apply_topup(state: &AppState, order: &OrderRow) -> Result<()> {
    // Paid: the email it was bought with is its order's from now on (the only way an
    // order's held email changes; an unpaid top-up changes nothing).
    state.emails.topup_paid(&order.order_ref);
    if order.facts.ready_at.is_some() {
        return Ok(());
    }
    let parent_ref = order
        .parent_ref
        .as_ref()
        .context("a top-up without its order")?;
    let iccid = match &order.parent_iccid {
        Some(iccid) => iccid.clone(),
        // A top-up from before orders of several lines: its order's one line.
        None => {
            let parent = state
                .store
                .order(parent_ref)
                .await?
                .context("the top-up's order is gone")?;
            let first = parent
                .facts
                .delivered_lines()
                .next()
                .map(|(iccid, _)| iccid.to_owned());
            first.context("the top-up's order has no line")?
        }
    };
    let topup = state
        .client
        .create_topup(
            &TopupRequest {
                iccid: iccid.clone(),
                sku: order.sku.as_str().to_owned(),
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
    // The line's usage changed: the next read goes upstream.
    state.usage.forget(&iccid);
    tracing::info!(order_tag = %RefTag(&order.order_ref), parent_tag = %RefTag(parent_ref), iccid, topup_id = %topup.id, mb = topup.data_added_mb, "top-up applied");
    Ok(())
}
