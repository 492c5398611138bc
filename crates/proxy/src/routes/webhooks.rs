//! `POST /webhooks/simology`: verify the signature on the raw body, store the event
//! durably, answer 2xx, and only then judge it: the processor parses it, applies it,
//! or quarantines it. A signed event is never refused for its content.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use sha2::{Digest, Sha256};
use simology::events::EventEnvelope;
use simology::webhook::{verify_signature, WebhookError, SIGNATURE_HEADER};
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::state::SharedState;

/// The route.
pub fn router() -> Router<SharedState> {
    Router::new().route("/webhooks/simology", post(receive))
}

/// The id and type to store a signed body under: its envelope's, or, for a body with
/// no readable `id` and `type`, an id drawn from its hash (so the sender's retries of
/// it are duplicates) and the type `unknown`; the processor quarantines such a body.
fn envelope_of(body: &[u8]) -> EventEnvelope {
    EventEnvelope::from_json(body).unwrap_or_else(|_| EventEnvelope {
        id: format!("unidentified_{}", hex::encode(&Sha256::digest(body)[..16])),
        event_type: "unknown".into(),
    })
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
    if let Err(e) = verify_signature(
        &body,
        signature,
        &state.settings.webhook_secrets,
        OffsetDateTime::now_utc(),
    ) {
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
    // Counted once signed: a forged flood (anyone can post here) cannot make the
    // dispatcher yield to a burst that is not the upstream's.
    state.ingest.received_one();
    let envelope = envelope_of(&body);
    // A signed body that is not UTF-8 is no event; it is kept (readably) for an operator.
    let text = String::from_utf8_lossy(&body);
    // Only a stored event gets a 2xx: if storing fails, the sender retries.
    let new = state
        .store
        .insert_event(&envelope.id, &envelope.event_type, &text)
        .await
        .map_err(|e| {
            state.metrics.webhook("store_failed");
            ApiError::Internal(e)
        })?;
    state
        .metrics
        .webhook(if new { "accepted" } else { "duplicate" });
    tracing::info!(event_id = %envelope.id, event_type = %envelope.event_type, duplicate = !new, "webhook stored");
    if new {
        state.wake_processor.notify_one();
    }
    Ok((
        StatusCode::OK,
        Json(serde_json::json!({"received": true, "duplicate": !new})),
    )
        .into_response())
}
