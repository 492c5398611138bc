//! `POST /webhooks/simology`: verify on the raw body, store durably, answer 2xx, then
//! process.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use simology::webhook::{verify, WebhookError, SIGNATURE_HEADER};
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::state::SharedState;

/// The route.
pub fn router() -> Router<SharedState> {
    Router::new().route("/webhooks/simology", post(receive))
}

/// Receives one webhook delivery.
pub async fn receive(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(signature) = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()) else {
        state.metrics.webhook("unsigned");
        return Err(ApiError::BadRequest(
            "missing Simology-Signature header".into(),
        ));
    };
    let event = match verify(
        &body,
        signature,
        &state.settings.webhook_secrets,
        OffsetDateTime::now_utc(),
    ) {
        Ok(event) => event,
        Err(e) => {
            let (outcome, status) = match &e {
                WebhookError::BadHeader(_) => ("bad_header", StatusCode::BAD_REQUEST),
                WebhookError::BadSignature => ("bad_signature", StatusCode::UNAUTHORIZED),
                WebhookError::BadTimestamp { .. } => ("bad_timestamp", StatusCode::UNAUTHORIZED),
                WebhookError::BadParse(_) => ("bad_payload", StatusCode::BAD_REQUEST),
            };
            state.metrics.webhook(outcome);
            tracing::warn!(outcome, error = %e, "webhook refused");
            return Ok((
                status,
                Json(serde_json::json!({"error": {"code": "invalid_request", "message": outcome}})),
            )
                .into_response());
        }
    };
    // Verified JSON is UTF-8.
    let text = String::from_utf8_lossy(&body);
    let event_type = event.payload.event_type().to_owned();
    // Only a stored event gets a 2xx: if storing fails, the sender retries.
    let new = state
        .store
        .insert_event(&event.id, &event_type, &text)
        .await
        .map_err(|e| {
            state.metrics.webhook("store_failed");
            ApiError::Internal(e)
        })?;
    state
        .metrics
        .webhook(if new { "accepted" } else { "duplicate" });
    tracing::info!(event_id = %event.id, event_type, duplicate = !new, order_id = event.payload.order_id(), "webhook stored");
    if new {
        state.wake_processor.notify_one();
    }
    Ok((
        StatusCode::OK,
        Json(serde_json::json!({"received": true, "duplicate": !new})),
    )
        .into_response())
}
