//! `/admin`: partner operations behind their own token (disabled when
//! `PROXY_ADMIN_TOKEN` is unset).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use sha2::Digest;

use crate::domain::parse_order_ref;
use crate::error::ApiError;
use crate::services::refund::request_refund;
use crate::state::SharedState;

/// The routes.
pub fn router() -> Router<SharedState> {
    Router::new().route("/admin/orders/{order_ref}/refund", post(refund))
}

/// The refund body (optional: no body refunds the whole order).
#[derive(Debug, Default, Deserialize)]
pub struct RefundBody {
    /// Why, for the records.
    pub reason: Option<String>,
    /// One line of the order to refund, by ICCID; none refunds every line.
    pub iccid: Option<String>,
}

/// Whether the request carries the admin token (also used by `/admin/report`).
pub(crate) fn authorised(state: &SharedState, headers: &HeaderMap) -> bool {
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

/// Asks for a refund of the order or of one line (`services::refund`); 202 with the
/// refund's id.
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
    let order_ref = parse_order_ref(&order_ref)?;
    let accepted = request_refund(&state, &order_ref, body.iccid.as_deref(), body.reason).await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}
