//! # simology-sandbox
//!
//! A stateful simulator of the Simology sandbox API, so that the demo and every test
//! run with no account and no internet. It serves the guide's API at the guide's paths
//! (`/v1/catalog`, `/v1/checkout/sessions`, `/v1/orders/{id}`, `/v1/lines/{iccid}`,
//! `/v1/topups`, `/v1/refunds`) in the guide's error envelope, a hosted test payment
//! page (`/pay/{session_id}`), signed webhooks with retries, and fault injection.
//!
//! Run it as a binary (`simology-sandbox --port 0` prints its address) or in-process:
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! let sandbox = simology_sandbox::spawn(simology_sandbox::SandboxConfig::default()).await?;
//! println!("sandbox at {}", sandbox.url());
//! # Ok(()) }
//! ```
//!
//! `/sandbox/...` endpoints (no auth) let tests look inside and change faults:
//! `GET /sandbox/state`, `GET /sandbox/orders`, `GET /sandbox/sessions`, `GET /sandbox/webhooks`,
//! `PUT /sandbox/faults`, `PUT /sandbox/webhook-endpoint`, `PUT /sandbox/lines/{iccid}/usage`,
//! `PUT /sandbox/catalog/drift`, `POST /sandbox/orders/{id}/release-lines`.

mod api;
pub mod catalog;
pub mod config;
mod controls;
mod delivery;
mod effects;
mod envelope;
mod pay;
mod server;
mod shared;
pub mod state;
pub mod wait;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use url::Url;

pub use config::{Faults, SandboxConfig, DEFAULT_API_KEY, DEFAULT_WEBHOOK_SECRET};
pub use state::{CARD_DECLINED, CARD_PROVISIONING_FAILS, CARD_SUCCESS};

/// A sandbox serving on a socket. Dropping it stops the server.
pub struct RunningSandbox {
    addr: SocketAddr,
    url: String,
    shared: Arc<shared::Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningSandbox {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Points webhooks at another endpoint (or none).
    pub fn set_webhook_url(&self, url: Option<Url>) {
        self.shared.set_webhook_url(url);
    }

    /// Replaces the injected faults.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.lock().faults = faults;
    }

    /// Adds these raw items to every `/v1/catalog` answer from now on, as they are
    /// (upstream drift; [`catalog::drifted_item`] is one); an empty list ends it.
    pub fn set_catalog_drift(&self, items: Vec<serde_json::Value>) {
        self.shared.lock().catalog_drift = items;
    }

    /// Provisions the lines an order's activation held back (`Faults::withhold_lines`),
    /// as `POST /sandbox/orders/{id}/release-lines` does; `send_events: false` sends no
    /// `activation.ready` for them (only `GET /v1/orders/{id}` shows them).
    ///
    /// # Errors
    /// `not_found` for an unknown order.
    pub fn release_lines(
        &self,
        order_id: &str,
        send_events: bool,
    ) -> Result<state::Released, state::Fail> {
        let (released, effects) = self.shared.lock().release_lines(
            order_id,
            send_events,
            time::OffsetDateTime::now_utc(),
        )?;
        effects::apply(&self.shared, effects);
        Ok(released)
    }

    /// Every order, for assertions.
    pub fn orders(&self) -> Vec<simology::models::Order> {
        self.shared
            .lock()
            .orders
            .values()
            .map(|o| o.order.clone())
            .collect()
    }

    /// `/v1` requests received so far (after authentication).
    pub fn v1_requests(&self) -> u64 {
        self.shared.lock().v1_requests
    }

    /// Every webhook attempt so far.
    pub fn deliveries(&self) -> Vec<state::DeliveryRecord> {
        self.shared.lock().deliveries.clone()
    }

    /// Deliveries not yet delivered nor given up.
    pub fn pending_deliveries(&self) -> usize {
        self.shared.pending.load(Ordering::SeqCst)
    }

    /// Stops serving and waits for the server to end.
    pub async fn stop(mut self) {
        self.shutdown_now().await;
    }

    async fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `127.0.0.1:0` and serves.
///
/// # Errors
/// When the socket cannot be bound.
pub async fn spawn(config: SandboxConfig) -> anyhow::Result<RunningSandbox> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding the sandbox")?;
    serve(config, listener).await
}

/// Serves on a bound listener.
///
/// # Errors
/// When the listener has no local address or the HTTP client cannot be built.
pub async fn serve(config: SandboxConfig, listener: TcpListener) -> anyhow::Result<RunningSandbox> {
    let addr = listener
        .local_addr()
        .context("reading the sandbox address")?;
    let url = format!("http://{addr}");
    let public = config.public_url.as_ref().map_or_else(
        || url.clone(),
        |u| u.as_str().trim_end_matches('/').to_owned(),
    );
    let state = state::State::new(
        config.seed,
        catalog::build(),
        config.faults.clone(),
        config.time_scale,
        config.session_ttl,
    );
    let shared = Arc::new(shared::Shared::new(config, state, public)?);
    let app = server::router(Arc::clone(&shared));
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let result = axum::serve(
            listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            }),
            app,
        )
        .with_graceful_shutdown(async {
            let _ = rx.await;
        })
        .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "sandbox server failed");
        }
    });
    Ok(RunningSandbox {
        addr,
        url,
        shared,
        shutdown: Some(tx),
        task: Some(task),
    })
}
