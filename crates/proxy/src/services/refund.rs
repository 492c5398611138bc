//! Refunds, asked for by the partner (the admin route or `simology-proxy refund`). The
//! order changes only when `refund.processed` arrives.

use serde::Serialize;
use simology::models::RefundRequest;

use crate::domain::{OrderRef, RefTag};
use crate::error::ApiError;
use crate::state::AppState;

/// What a refund request answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundAccepted {
    /// The upstream refund id.
    pub refund_id: String,
    /// `pending` until `refund.processed` arrives.
    pub status: &'static str,
}

impl RefundAccepted {
    fn pending(refund_id: String) -> Self {
        RefundAccepted {
            refund_id,
            status: "pending",
        }
    }
}

/// Asks the upstream to refund an order, once: a second request answers with the
/// refund already asked for.
///
/// # Errors
/// `NotFound` for an unknown order, `NotReady` for an order that was never paid, and
/// upstream errors.
pub async fn request_refund(
    state: &AppState,
    order_ref: &OrderRef,
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
        return Ok(RefundAccepted::pending(refund_id));
    }
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
    Ok(RefundAccepted::pending(refund.value.id))
}
