//! Refunds, asked for by the partner (the admin route or `simology-proxy refund`), of a
//! whole order or of one of its lines. The order changes only when `refund.processed`
//! arrives: a line's refund stops that line; the order is `refunded` when all are.

use std::collections::BTreeMap;

use serde::Serialize;
use simology::models::{LineRefundRequest, RefundRequest};

use crate::domain::{OrderRef, RefTag};
use crate::error::ApiError;
use crate::order::{Facts, LineFacts, OrderKind};
use crate::state::AppState;

/// What a refund request answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundAccepted {
    /// The upstream refund id.
    pub refund_id: String,
    /// `pending` until `refund.processed` arrives.
    pub status: &'static str,
    /// The line refunded, when the request named one (none: the whole order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
}

impl RefundAccepted {
    fn pending(refund_id: String, iccid: Option<&str>) -> Self {
        RefundAccepted {
            refund_id,
            status: "pending",
            iccid: iccid.map(str::to_owned),
        }
    }
}

/// Asks the upstream to refund an order, or with `iccid` one of its lines, once: a
/// second request answers with the refund already asked for (a line whose order's
/// refund was asked for answers with that one, which covers it).
///
/// # Errors
/// `NotFound` for an unknown order or a line it does not have, `NotReady` for an order
/// that was never paid, `Conflict` for a line already refunded, and upstream errors.
pub async fn request_refund(
    state: &AppState,
    order_ref: &OrderRef,
    iccid: Option<&str>,
    reason: Option<String>,
) -> Result<RefundAccepted, ApiError> {
    let row = state
        .store
        .order(order_ref)
        .await?
        .ok_or(ApiError::NotFound)?;
    let Some(order_id) = row.facts.upstream_order_id.clone() else {
        return Err(ApiError::NotReady("the order was never paid"));
    };
    if let Some(refund_id) = row.refund_id {
        return Ok(RefundAccepted::pending(refund_id, None));
    }
    let Some(iccid) = iccid else {
        let refund = state
            .client
            .create_refund(
                &RefundRequest { order_id, reason },
                Some(&format!("refund-{}", row.order_ref)),
            )
            .await
            .map_err(|e| state.upstream_error(e))?;
        state.store.set_refund(&row.order_ref, &refund.id).await?;
        tracing::info!(order_tag = %RefTag(&row.order_ref), refund_id = %refund.id, "refund requested");
        return Ok(RefundAccepted::pending(refund.value.id, None));
    };
    let line = row
        .facts
        .lines
        .get(iccid)
        .filter(|l| row.kind == OrderKind::Esim && l.delivered())
        .ok_or(ApiError::NotFound)?;
    if let Some(refund_id) = &line.refund_id {
        return Ok(RefundAccepted::pending(refund_id.clone(), Some(iccid)));
    }
    if row.facts.line_refunded(iccid) {
        return Err(ApiError::Conflict("this eSIM is already refunded"));
    }
    let refund = state
        .client
        .create_line_refund(
            &LineRefundRequest {
                order_id,
                iccid: iccid.to_owned(),
                reason,
            },
            Some(&format!("refund-{}-{iccid}", row.order_ref)),
        )
        .await
        .map_err(|e| state.upstream_error(e))?;
    let asked = Facts {
        lines: BTreeMap::from([(
            iccid.to_owned(),
            LineFacts {
                refund_id: Some(refund.id.clone()),
                ..LineFacts::default()
            },
        )]),
        ..Facts::default()
    };
    state
        .store
        .apply_facts(&row.order_ref, &asked, None)
        .await?;
    tracing::info!(order_tag = %RefTag(&row.order_ref), iccid, refund_id = %refund.id, "line refund requested");
    Ok(RefundAccepted::pending(refund.value.id, Some(iccid)))
}
