//! `/admin`: partner operations behind their own token (disabled when
//! `PROXY_ADMIN_TOKEN` is unset), checked by a layer that throttles failed attempts per
//! client (`ratelimit::AuthThrottle`, shared with the affiliates' report tokens). With `PROXY_ADMIN_LISTEN`, these routes are served on that listener only.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use sha2::Digest;

use crate::client_ip::client_ip;
use crate::domain::parse_order_ref;
use crate::error::ApiError;
use crate::routes::affiliates;
use crate::services::refund::request_refund;
use crate::state::SharedState;

/// The routes, behind the token check.
pub fn router(state: &SharedState) -> Router<SharedState> {
    Router::new()
        .route("/admin/orders/{order_ref}/refund", post(refund))
        .merge(affiliates::admin_router())
        .route_layer(from_fn_with_state(Arc::clone(state), authenticate))
}

/// Whether `headers` carry `Authorization: Bearer <token>`; digests are compared, so
/// the time taken says nothing about the token.
pub fn bearer_is(headers: &HeaderMap, token: &str) -> bool {
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    sha2::Sha256::digest(given.as_bytes()) == sha2::Sha256::digest(token.as_bytes())
}

/// The admin token check, as a layer: a throttled client gets 429 with the seconds to
/// wait; a missing or wrong token 401 (429 once the client is over its budget).
async fn authenticate(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let throttle = &state.auth_failures;
    let (parts, body) = request.into_parts();
    let client = client_ip(&state.settings, &parts);
    let request = Request::from_parts(parts, body);
    if let Err(secs) = throttle.admit(client) {
        return ApiError::RateLimited(secs).into_response();
    }
    let good = state
        .settings
        .admin_token
        .as_deref()
        .is_some_and(|token| bearer_is(request.headers(), token));
    if good {
        return next.run(request).await;
    }
    state.metrics.admin_auth_failed();
    tracing::warn!(client = %client, "admin authentication failed");
    match throttle.failed(client) {
        Ok(()) => ApiError::Unauthorised.into_response(),
        Err(secs) => ApiError::RateLimited(secs).into_response(),
    }
}

/// The refund body (optional: no body refunds the whole order).
#[derive(Debug, Default, Deserialize)]
pub struct RefundBody {
    /// Why, for the records.
    pub reason: Option<String>,
    /// One line of the order to refund, by ICCID; none refunds every line.
    pub iccid: Option<String>,
}

/// Asks for a refund of the order or of one line (`services::refund`); 202 with the
/// refund's id.
async fn refund(
    State(state): State<SharedState>,
    Path(order_ref): Path<String>,
    body: Result<Json<RefundBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = match body {
        Ok(Json(b)) => b,
        Err(JsonRejection::MissingJsonContentType(_)) => RefundBody::default(),
        Err(e) => return Err(e.into()),
    };
    let order_ref = parse_order_ref(&order_ref)?;
    let accepted = request_refund(&state, &order_ref, body.iccid.as_deref(), body.reason).await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_passes() {
        let mut headers = HeaderMap::new();
        assert!(!bearer_is(&headers, "t0ken"));
        headers.insert("authorization", "Bearer t0ken".parse().expect("header"));
        assert!(bearer_is(&headers, "t0ken"));
        assert!(!bearer_is(&headers, "t0ke"));
        headers.insert("authorization", "t0ken".parse().expect("header"));
        assert!(!bearer_is(&headers, "t0ken"));
    }
}
