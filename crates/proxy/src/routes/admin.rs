//! `/admin`: partner operations behind their own token (disabled when
//! `PROXY_ADMIN_TOKEN` is unset).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use simology::models::RefundRequest;

use crate::domain::parse_order_ref;
use crate::error::ApiError;
use crate::SharedState;

/// The routes.
pub fn router() -> Router<SharedState> {
    Router::new().route("/admin/orders/{order_ref}/refund", post(refund))
}

/// The refund body.
#[derive(Debug, Default, Deserialize)]
pub struct RefundBody {
    /// Why, for the records.
    pub reason: Option<String>,
}

/// What a refund request answers.
#[derive(Debug, Serialize)]
pub struct RefundAccepted {
    /// The upstream refund id.
    pub refund_id: String,
    /// `pending` until `refund.processed` arrives.
    pub status: &'static str,
}

fn authorised(state: &SharedState, headers: &HeaderMap) -> bool {
    let Some(token) = &state.settings.admin_token else {
        return false;
    };
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compare digests so the time taken says nothing about the token.
    sha2::Sha256::digest(given.as_bytes()) == sha2::Sha256::digest(token.as_bytes())
}

/// Asks the upstream to refund an order. Entitlements change only when
/// `refund.processed` arrives.
///
/// # Errors
/// `NotFound` for an unknown order, `NotReady` for an order that was never paid, and
/// upstream errors.
pub async fn request_refund(
    state: &SharedState,
    order_ref: &str,
    reason: Option<String>,
) -> Result<RefundAccepted, ApiError> {
    let r = parse_order_ref(order_ref)?;
    let row = state.store.order(&r).await?.ok_or(ApiError::NotFound)?;
    let Some(order_id) = row.facts.upstream_order_id.clone() else {
        return Err(ApiError::NotReady("the order was never paid"));
    };
    if let Some(refund_id) = row.refund_id.clone() {
        return Ok(RefundAccepted {
            refund_id,
            status: "pending",
        });
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
    tracing::info!(order_ref = %row.order_ref, refund_id = %refund.id, "refund requested");
    Ok(RefundAccepted {
        refund_id: refund.value.id,
        status: "pending",
    })
}

async fn refund(
    State(state): State<SharedState>,
    Path(order_ref): Path<String>,
    headers: HeaderMap,
    body: Result<Json<RefundBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    if !authorised(&state, &headers) {
        return Err(ApiError::Unauthorised);
    }
    let body = match body {
        Ok(Json(b)) => b,
        Err(JsonRejection::MissingJsonContentType(_)) => RefundBody::default(),
        Err(e) => return Err(e.into()),
    };
    let accepted = request_refund(&state, &order_ref, body.reason).await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}
