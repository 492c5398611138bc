//! HTTP routes, one module per resource, and the whole router: which routes spend which
//! rate-limit budget, body limits, CORS, and the request context around everything.

pub mod admin;
pub mod catalog;
pub mod ops;
pub mod orders;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::from_fn_with_state;
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::ApiError;
use crate::middleware::request_context;
use crate::state::SharedState;

/// The widget-facing API (`/api/...`), behind CORS.
fn api_router(state: &SharedState) -> Router<SharedState> {
    let origins: Vec<HeaderValue> = state
        .settings
        .allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.as_str()).ok())
        .collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::IF_NONE_MATCH])
        .expose_headers([
            header::ETAG,
            header::RETRY_AFTER,
            HeaderName::from_static("request-id"),
        ])
        .max_age(Duration::from_secs(600));
    Router::new()
        .merge(catalog::router(state))
        .merge(orders::router(state))
        .layer(DefaultBodyLimit::max(16 * 1024))
        .layer(cors)
}

/// `/admin` and `/metrics`: on the public router, or on their own listener
/// (`PROXY_ADMIN_LISTEN`).
fn operator_router(state: &SharedState) -> Router<SharedState> {
    Router::new()
        .merge(admin::router(state).layer(DefaultBodyLimit::max(16 * 1024)))
        .merge(ops::metrics_router())
}

/// The whole router (without a socket, so tests can `oneshot` it); without `/admin`
/// and `/metrics` when they have a listener of their own.
pub fn app(state: SharedState) -> Router {
    let mut router = Router::new()
        .merge(api_router(&state))
        .merge(webhooks::router().layer(DefaultBodyLimit::max(256 * 1024)))
        .merge(ops::router());
    if state.settings.admin_listen.is_none() {
        router = router.merge(operator_router(&state));
    }
    router
        .fallback(|| async { ApiError::NotFound })
        .layer(from_fn_with_state(Arc::clone(&state), request_context))
        .with_state(state)
}

/// The router of the admin listener (`PROXY_ADMIN_LISTEN`): `/admin`, `/metrics` and
/// the health checks.
pub fn admin_app(state: SharedState) -> Router {
    Router::new()
        .merge(operator_router(&state))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .fallback(|| async { ApiError::NotFound })
        .layer(from_fn_with_state(Arc::clone(&state), request_context))
        .with_state(state)
}
