//! Health, readiness, metrics and the OpenAPI document. `/metrics` asks for
//! `Authorization: Bearer $PROXY_METRICS_TOKEN` when that is set; it is served on the
//! admin listener when there is one (`PROXY_ADMIN_LISTEN`), and on the public one only
//! with a metrics token or `PROXY_METRICS_PUBLIC=true` (see `routes::app`). A scrape
//! reads the store at most every few seconds (`Metrics::store_gauges`). The OpenAPI
//! document is serialised once.

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sha2::{Digest, Sha256};

use super::admin::bearer_is;
use super::IfNoneMatch;
use crate::catalog::Cached;
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
    // The store's gauges first (they may be read now), then the counters.
    let gauges = state
        .metrics
        .store_gauges(|| store_gauges(Arc::clone(&state)))
        .await;
    let mut text = state.metrics.render(now_ms());
    text.push_str(&gauges);
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

/// The gauges read from the store (the same on every replica): events stored by state,
/// and `simology_orders_incomplete`, paid orders still short of lines after the
/// reconciler's window. `Metrics::store_gauges` reads them at most every few seconds.
async fn store_gauges(state: SharedState) -> String {
    let mut text = String::new();
    match state.store.event_counts().await {
        Ok(EventCounts {
            stored: total,
            processed,
            waiting,
            quarantined,
        }) => text.push_str(&format!(
            "# HELP simology_events_stored Webhook events in the store: processed, waiting, quarantined.\n# TYPE simology_events_stored gauge\n\
             simology_events_stored{{state=\"processed\"}} {processed}\nsimology_events_stored{{state=\"waiting\"}} {waiting}\n\
             simology_events_stored{{state=\"quarantined\"}} {quarantined}\n\
             # HELP simology_events_stored_total_count All stored events.\n# TYPE simology_events_stored_total_count gauge\n\
             simology_events_stored_total_count {total}\n"
        )),
        Err(e) => tracing::warn!(error = format!("{e:#}"), "counting stored events failed"),
    }
    match incomplete_orders(&state, now_ms()).await {
        Ok(rows) => text.push_str(&format!(
            "# HELP simology_orders_incomplete Paid orders still short of the lines they are owed after the reconciler's window (simology-proxy orders --incomplete lists them).\n\
             # TYPE simology_orders_incomplete gauge\nsimology_orders_incomplete {}\n",
            rows.len()
        )),
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "counting incomplete orders failed");
        }
    }
    text
}

/// The OpenAPI document, serialised once with its ETag (it is the code's, so it does
/// not change while the process runs).
pub fn openapi_document() -> &'static Cached {
    static DOCUMENT: OnceLock<Cached> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let body = serde_json::to_vec(&crate::openapi::document()).unwrap_or_default();
        let digest = Sha256::digest(&body);
        Cached {
            etag: HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
                .unwrap_or(HeaderValue::from_static("\"openapi\"")),
            body: Bytes::from(body),
        }
    })
}

async fn openapi(if_none_match: IfNoneMatch) -> Response {
    let doc = openapi_document();
    let mut r = if if_none_match.matches(&doc.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            doc.body.clone(),
        )
            .into_response()
    };
    r.headers_mut().insert(header::ETAG, doc.etag.clone());
    r
}
