//! An order's lines (one eSIM each), for what acts on one: which line a request names
//! (or, on the order-level routes, the line of the order's one-eSIM view), and the
//! paid orders still short of lines after the reconciler's window.

use std::time::Duration;

use anyhow::Result;

use crate::clock::duration_ms;
use crate::config::Settings;
use crate::error::ApiError;
use crate::order::OrderKind;
use crate::state::AppState;
use crate::store::OrderRow;

/// The working line a request acts on, by ICCID: `Some(iccid)` names one of the order's
/// lines (usable as soon as it is delivered, before its order is complete); `None` is
/// the line of the order's `esim`, once the order is ready.
///
/// # Errors
/// `NotFound` for a line the order does not have (a top-up has none); `NotReady` for a
/// refunded line, or (with `None`) an order that is not ready.
pub fn working_line(row: &OrderRow, iccid: Option<&str>) -> Result<String, ApiError> {
    let Some(iccid) = iccid else {
        return row
            .facts
            .primary_line(row.kind)
            .map(|(iccid, _)| iccid.to_owned())
            .ok_or(ApiError::NotReady("the eSIM is not ready"));
    };
    let delivered =
        row.kind == OrderKind::Esim && row.facts.lines.get(iccid).is_some_and(|l| l.delivered());
    if !delivered {
        return Err(ApiError::NotFound);
    }
    if row.facts.line_refunded(iccid) {
        return Err(ApiError::NotReady("the eSIM was refunded"));
    }
    Ok(iccid.to_owned())
}

/// How long after its payment an order short of lines is flagged: twice
/// `PROXY_STALE_AFTER_SECS`, one stale window for the webhooks to come and one for the
/// reconciler, whose claims come that often, to have read the order upstream.
pub fn incomplete_after(settings: &Settings) -> Duration {
    settings.stale_after.saturating_mul(2)
}

/// Paid orders still short of lines after [`incomplete_after`], oldest first (the
/// `simology_orders_incomplete` gauge and `simology-proxy orders --incomplete`).
///
/// # Errors
/// On database errors.
pub async fn incomplete_orders(state: &AppState, now_ms: i64) -> Result<Vec<OrderRow>> {
    let window = duration_ms(incomplete_after(&state.settings));
    state
        .store
        .incomplete_orders(now_ms.saturating_sub(window))
        .await
}
