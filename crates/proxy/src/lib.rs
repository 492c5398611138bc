//! # simology-proxy
//!
//! The partner proxy: the widget's only server. It holds the Simology API key, caches
//! the catalogue, creates checkout sessions, receives and verifies webhooks, stores
//! orders (SQLite by default), and serves order status to the widget.
//!
//! Run it with `simology-proxy` (see `--help` and the README's configuration
//! reference). In tests, [`Application::build`] binds port 0 and
//! [`Application::run_until_stopped`] serves until a shutdown future completes.

pub mod catalog;
pub mod config;
pub mod countries;
pub mod domain;
pub mod error;
pub mod fulfilment;
pub mod metrics;
pub mod openapi;
pub mod order;
pub mod ratelimit;
pub mod routes;
pub mod store;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use rand::Rng;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::catalog::CatalogCache;
use crate::config::Settings;
use crate::error::{envelope, Rendered};
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::store::Store;

/// State shared by handlers and background tasks.
pub struct AppState {
    /// Settings.
    pub settings: Settings,
    /// The database.
    pub store: Store,
    /// The upstream client.
    pub client: simology::Client,
    /// The catalogue cache.
    pub catalog: Arc<CatalogCache>,
    /// Metrics.
    pub metrics: Metrics,
    /// Checkout and top-up purchases per client.
    pub checkout_limit: RateLimiter,
    /// Status, usage and catalogue reads per client.
    pub status_limit: RateLimiter,
    /// Lookups of order references that do not exist, per client (guessing).
    pub miss_limit: RateLimiter,
    /// Usage answers by ICCID, cached 45 s.
    pub usage_cache:
        Mutex<std::collections::HashMap<String, (Instant, simology_proxy_api::UsageView)>>,
    /// Wakes the event processor after a webhook is stored.
    pub wake_processor: Notify,
    /// Becomes `true` when the proxy is shutting down.
    pub shutdown: watch::Receiver<bool>,
}

/// Shared state handle.
pub type SharedState = Arc<AppState>;

impl AppState {
    /// Records an upstream error in the metrics and returns it.
    pub fn upstream_error(&self, e: simology::Error) -> simology::Error {
        self.metrics.upstream_error(e.code());
        tracing::warn!(
            code = e.code(),
            request_id = e.request_id(),
            "upstream error"
        );
        e
    }

    /// The cached catalogue (fetched upstream when there is none yet); an upstream error
    /// is recorded as [`AppState::upstream_error`] does.
    pub async fn catalog_snapshot(&self) -> Result<Arc<catalog::Snapshot>, simology::Error> {
        self.catalog.get().await.map_err(|e| self.upstream_error(e))
    }

    /// The client's address: the socket peer, or the first `X-Forwarded-For` hop when
    /// the proxy is configured to trust it.
    pub fn client_ip(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> IpAddr {
        if self.settings.trust_forwarded_for {
            if let Some(ip) = headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse().ok())
            {
                return ip;
            }
        }
        peer.map_or(IpAddr::from([127, 0, 0, 1]), |p| p.ip())
    }
}

/// The client's address, as [`AppState::client_ip`] decides it.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl axum::extract::FromRequestParts<SharedState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Ok(ClientIp(state.client_ip(&parts.headers, peer)))
    }
}

/// A request id for logs and error bodies.
fn new_request_id() -> String {
    let bits: u64 = rand::rng().random();
    format!("preq_{bits:016x}")
}

/// Per request: an id (header `request-id`), a log span, latency metrics, and the error
/// envelope written with the id.
async fn request_context(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let request_id = new_request_id();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().clone();
    let span = tracing::info_span!("request", request_id = %request_id, %method, route = %route);
    let response = tracing::Instrument::instrument(next.run(request), span.clone()).await;
    let mut response = match response.extensions().get::<Rendered>().cloned() {
        Some(rendered) => envelope(&rendered, &request_id),
        None => response,
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("request-id", v);
    }
    let status = response.status().as_u16();
    let took = started.elapsed();
    state.metrics.request(&route, status, took);
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, took_ms = took.as_millis() as u64, "request failed");
        } else {
            tracing::debug!(status, took_ms = took.as_millis() as u64, "request");
        }
    });
    response
}

/// The whole router (without a socket, so tests can `oneshot` it).
pub fn app(state: SharedState) -> Router {
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
            "request-id".parse().unwrap_or(header::ETAG),
        ])
        .max_age(Duration::from_secs(600));
    let widget_api = routes::api_router()
        .layer(DefaultBodyLimit::max(16 * 1024))
        .layer(cors);
    Router::new()
        .merge(widget_api)
        .merge(routes::webhooks::router().layer(DefaultBodyLimit::max(256 * 1024)))
        .merge(routes::admin::router().layer(DefaultBodyLimit::max(16 * 1024)))
        .merge(routes::ops::router())
        .fallback(|| async { error::ApiError::NotFound })
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            request_context,
        ))
        .with_state(state)
}

/// A built proxy, bound and connected, not yet serving.
pub struct Application {
    listener: TcpListener,
    state: SharedState,
    shutdown_tx: watch::Sender<bool>,
}

impl Application {
    /// Connects the database (applying migrations), builds the upstream client, and
    /// binds the listen address (port 0 picks one).
    ///
    /// # Errors
    /// When the database, the client or the socket cannot be set up.
    pub async fn build(settings: Settings) -> Result<Application> {
        let store = Store::connect(&settings.database_url)
            .await
            .with_context(|| format!("database {}", config::redact_url(&settings.database_url)))?;
        let client = simology::Client::new(settings.upstream.clone()).context("upstream client")?;
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("PROXY_LISTEN: cannot bind {}", settings.listen))?;
        let (shutdown_tx, shutdown) = watch::channel(false);
        let limits = settings.rate_limits;
        let state = Arc::new(AppState {
            catalog: Arc::new(CatalogCache::new(client.clone(), settings.catalog_ttl)),
            checkout_limit: RateLimiter::new(limits.checkout_per_minute),
            status_limit: RateLimiter::new(limits.status_per_minute),
            miss_limit: RateLimiter::new(limits.misses_per_minute),
            settings,
            store,
            client,
            metrics: Metrics::default(),
            usage_cache: Mutex::new(Default::default()),
            wake_processor: Notify::new(),
            shutdown,
        });
        Ok(Application {
            listener,
            state,
            shutdown_tx,
        })
    }

    /// The bound address.
    ///
    /// # Errors
    /// When the socket has no local address.
    pub fn addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .context("reading the bound address")
    }

    /// The shared state (for tests).
    pub fn state(&self) -> SharedState {
        Arc::clone(&self.state)
    }

    /// Serves until `shutdown` completes, then stops taking requests, lets in-flight
    /// requests (webhooks among them) finish, and stops the background tasks.
    ///
    /// # Errors
    /// When serving fails.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let Application {
            listener,
            state,
            shutdown_tx,
        } = self;
        let background = fulfilment::spawn_background(Arc::clone(&state));
        let router = app(Arc::clone(&state));
        let tx = shutdown_tx.clone();
        // No Nagle delay: long-poll answers and small JSON bodies leave at once.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let served = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight requests");
            // Long-polls end now rather than at their deadline.
            let _ = tx.send(true);
        })
        .await;
        let _ = shutdown_tx.send(true);
        for task in background {
            let _ = task.await;
        }
        served.context("serving HTTP")
    }
}
