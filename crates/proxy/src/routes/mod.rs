//! HTTP routes, one module per resource, and the whole router: which routes spend which
//! rate-limit budget, body limits, CORS, and the request context around everything.

pub mod admin;
pub mod affiliates;
pub mod catalog;
pub mod embed;
pub mod ops;
pub mod orders;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::from_fn_with_state;
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::ApiError;
use crate::middleware::request_context;
use crate::state::SharedState;

/// The request's `If-None-Match`, if any (read without copying the other headers).
pub struct IfNoneMatch(Option<HeaderValue>);

impl IfNoneMatch {
    /// Whether the client has the version tagged `etag` already (`*` matches any).
    pub fn matches(&self, etag: &HeaderValue) -> bool {
        self.0.as_ref().is_some_and(|v| {
            v.as_bytes()
                .split(|b| *b == b',')
                .map(<[u8]>::trim_ascii)
                .any(|tag| tag == etag.as_bytes() || tag == b"*")
        })
    }
}

impl<S: Sync> FromRequestParts<S> for IfNoneMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(IfNoneMatch(
            parts.headers.get(header::IF_NONE_MATCH).cloned(),
        ))
    }
}

/// The page a request comes from (its `Origin` header), when it names one.
fn origin(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
}

/// Whether a request comes from a page of this proxy's own origin: the widget's frame.
/// A browser says so in `Sec-Fetch-Site`; one too old to send it sends an `Origin`
/// whose host is the request's `Host`.
fn from_own_origin(headers: &axum::http::HeaderMap) -> bool {
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"same-origin")
    {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match (origin(headers), host) {
        (Some(o), Some(host)) => o
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
        _ => false,
    }
}

/// The widget-facing API (`/api/...`), behind CORS.
fn api_router(state: &SharedState) -> Router<SharedState> {
    let cors = CorsLayer::new()
        .allow_origin(allowed_origins(state))
        .allow_methods([Method::GET, Method::POST])
        // Authorization: an affiliate's page may read its report with its token.
        .allow_headers([
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
            header::AUTHORIZATION,
        ])
        .expose_headers([
            header::ETAG,
            header::RETRY_AFTER,
            HeaderName::from_static("request-id"),
        ])
        .max_age(Duration::from_secs(600));
    Router::new()
        .merge(catalog::router(state))
        .merge(orders::router(state))
        .merge(affiliates::router(state))
        .layer(DefaultBodyLimit::max(16 * 1024))
        .layer(cors)
}

/// CORS's allowed origins, read at each request: `PROXY_ALLOWED_ORIGINS` and the
/// affiliates' as the affiliates file was last read (it is re-read on SIGHUP).
fn allowed_origins(state: &SharedState) -> AllowOrigin {
    let state = Arc::clone(state);
    AllowOrigin::predicate(move |origin: &HeaderValue, _| {
        origin
            .to_str()
            .is_ok_and(|o| state.affiliates.origin_allowed(o))
    })
}

/// `/admin` and `/metrics`: on the public router, or on their own listener
/// (`PROXY_ADMIN_LISTEN`).
fn operator_router(state: &SharedState) -> Router<SharedState> {
    Router::new()
        .merge(admin::router(state).layer(DefaultBodyLimit::max(16 * 1024)))
        .merge(ops::metrics_router())
}

/// Whether the public listener serves `/metrics`: with no admin listener, only when a
/// metrics token guards it or the operator asked for it (`PROXY_METRICS_PUBLIC`); with
/// one, only when asked.
pub fn public_metrics(settings: &crate::config::Settings) -> bool {
    settings.metrics_public || (settings.admin_listen.is_none() && settings.metrics_token.is_some())
}

/// The whole router (without a socket, so tests can `oneshot` it); without `/admin`
/// and `/metrics` when they have a listener of their own, and without `/metrics`
/// unless [`public_metrics`].
pub fn app(state: SharedState) -> Router {
    let mut router = Router::new()
        .merge(api_router(&state))
        .merge(embed::router(&state))
        .merge(webhooks::router().layer(DefaultBodyLimit::max(256 * 1024)))
        .merge(ops::router());
    if state.settings.admin_listen.is_none() {
        router = router.merge(admin::router(&state).layer(DefaultBodyLimit::max(16 * 1024)));
    }
    if public_metrics(&state.settings) {
        router = router.merge(ops::metrics_router());
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
        // Outermost: `client_ip` knows the request came to the admin listener.
        .layer(axum::Extension(crate::client_ip::OnAdminListener))
        .with_state(state)
}
