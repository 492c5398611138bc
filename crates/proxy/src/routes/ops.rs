//! Health, readiness, metrics and the OpenAPI document. `/metrics` asks for
//! `Authorization: Bearer $PROXY_METRICS_TOKEN` when that is set, and moves to the
//! admin listener with `/admin` when `PROXY_ADMIN_LISTEN` is set.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::admin::bearer_is;
use crate::clock::now_ms;
use crate::services::lines::incomplete_orders;
use crate::state::SharedState;
use crate::store::EventCounts;

/// The routes but `/metrics`.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/api/openapi.json", get(openapi))
}

/// `/metrics`.
pub fn metrics_router() -> Router<SharedState> {
    Router::new().route("/metrics", get(metrics))
}

/// Ready when the database answers; the catalogue's state is reported beside it.
async fn readyz(State(state): State<SharedState>) -> Response {
    let db = state.store.ping().await;
    let body = serde_json::json!({
        "database": if db.is_ok() { "ok" } else { "down" },
        "catalogue": if state.catalog.loaded() { "loaded" } else { "not_loaded" },
        "upstream_circuit": format!("{:?}", state.client.circuit_state()).to_lowercase(),
    });
    let status = if db.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

async fn metrics(State(state): State<SharedState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.settings.metrics_token {
        if !bearer_is(&headers, token) {
            let mut r = (
                StatusCode::UNAUTHORIZED,
                "a valid metrics token is required\n",
            )
                .into_response();
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return r;
        }
    }
    let mut text = state.metrics.render(now_ms());
    if let Ok(EventCounts {
        stored: total,
        processed,
        waiting,
        quarantined,
    }) = state.store.event_counts().await
    {
        text.push_str(&format!(
            "# HELP simology_events_stored Webhook events in the store: processed, waiting, quarantined.\n# TYPE simology_events_stored gauge\n\
             simology_events_stored{{state=\"processed\"}} {processed}\nsimology_events_stored{{state=\"waiting\"}} {waiting}\n\
             simology_events_stored{{state=\"quarantined\"}} {quarantined}\n\
             # HELP simology_events_stored_total_count All stored events.\n# TYPE simology_events_stored_total_count gauge\n\
             simology_events_stored_total_count {total}\n"
        ));
    }
    text.push_str(&incomplete_gauge(&state).await);
    let (skipped_now, skipped_total) = state.catalog.skipped();
    text.push_str(&format!(
        "# HELP simology_catalog_items_skipped Upstream catalogue items left out of the catalogue served now (they do not match the model).\n\
         # TYPE simology_catalog_items_skipped gauge\nsimology_catalog_items_skipped {skipped_now}\n\
         # HELP simology_catalog_items_skipped_total Upstream catalogue items left out, over every fetch.\n\
         # TYPE simology_catalog_items_skipped_total counter\nsimology_catalog_items_skipped_total {skipped_total}\n"
    ));
    let mut r = text.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

/// `simology_orders_incomplete`: paid orders still short of lines after the
/// reconciler's window, read from the store (the same count on every replica).
async fn incomplete_gauge(state: &SharedState) -> String {
    match incomplete_orders(state, now_ms()).await {
        Ok(rows) => format!(
            "# HELP simology_orders_incomplete Paid orders still short of the lines they are owed after the reconciler's window (simology-proxy orders --incomplete lists them).\n\
             # TYPE simology_orders_incomplete gauge\nsimology_orders_incomplete {}\n",
            rows.len()
        ),
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "counting incomplete orders failed");
            String::new()
        }
    }
}

async fn openapi() -> Response {
    Json(crate::openapi::document()).into_response()
}
