//! What handlers, services and background tasks share: settings, the store, the
//! upstream client, caches, metrics, rate limits, the affiliates and endpoints files,
//! and the shutdown signal.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::sync::{watch, Notify};

use crate::affiliates::Registry;
use crate::catalog::{CatalogCache, Snapshot};
use crate::config::{self, Settings};
use crate::metrics::Metrics;
use crate::outgoing::endpoints::Webhooks;
use crate::outgoing::events::EventType;
use crate::outgoing::postback::PostbackTemplate;
use crate::outgoing::Routes;
use crate::ratelimit::{AuthThrottle, Holds, Limits, FAILURES_PER_MINUTE};
use crate::services::beacons::Beacons;
use crate::services::emails::EmailsOnFile;
use crate::services::embed::Documents;
use crate::services::usage::UsageCache;
use crate::store::Store;
use crate::widget::WidgetFiles;

/// State shared by handlers and background tasks.
pub struct AppState {
    /// Settings.
    pub settings: Settings,
    /// The affiliates, and the origins allowed with theirs (re-read on SIGHUP).
    pub affiliates: Arc<Registry>,
    /// The endpoints of outgoing webhooks (re-read on SIGHUP).
    pub webhooks: Arc<Webhooks>,
    /// The database.
    pub store: Store,
    /// The upstream client.
    pub client: simology::Client,
    /// The catalogue cache.
    pub catalog: Arc<CatalogCache>,
    /// Metrics.
    pub metrics: Metrics,
    /// Per-client request budgets.
    pub limits: Limits,
    /// Long-polls waiting, per client.
    pub long_polls: Holds,
    /// Failed authentications per client (`/admin`, affiliates' reports).
    pub auth_failures: AuthThrottle,
    /// The funnel's beacons, counted in memory until they are written.
    pub beacons: Beacons,
    /// Usage answers by ICCID.
    pub usage: UsageCache,
    /// The email given for each recent order, in memory only, for its top-ups.
    pub emails: EmailsOnFile,
    /// Wakes the event processor after a webhook is stored.
    pub wake_processor: Notify,
    /// How hard the webhook ingest is working (the dispatcher makes way for it).
    pub ingest: IngestLoad,
    /// The widget's files, for the frame's document (`PROXY_WIDGET_DIR`).
    pub widget: Option<WidgetFiles>,
    /// The frame's documents, rendered.
    pub documents: Documents,
    /// Becomes `true` when the proxy is shutting down.
    shutdown: watch::Sender<bool>,
}

/// How hard the webhook ingest is working: the upstream's signed webhooks received so far, and
/// whether the event processor's last claim was a full batch (more events wait behind
/// it). The dispatcher reads them to make way for a burst (`dispatcher::Pressure`).
#[derive(Debug, Default)]
pub struct IngestLoad {
    received: AtomicU64,
    behind: AtomicBool,
}

impl IngestLoad {
    /// Counts a webhook received.
    pub fn received_one(&self) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    /// The webhooks received since the start.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Records whether the processor's last claim was a full batch.
    pub fn set_behind(&self, behind: bool) {
        self.behind.store(behind, Ordering::Relaxed);
    }

    /// Whether the processor's last claim was a full batch.
    pub fn behind(&self) -> bool {
        self.behind.load(Ordering::Relaxed)
    }
}

/// Shared state handle.
pub type SharedState = Arc<AppState>;

impl AppState {
    /// Connects the database (applying migrations) and builds the upstream client; no
    /// socket is bound and no task started (the CLI's commands use this alone).
    ///
    /// # Errors
    /// When the affiliates file, the database or the client cannot be set up.
    pub async fn connect(settings: Settings) -> Result<SharedState> {
        if let Some(key) = &settings.log_tag_key {
            if !crate::domain::set_log_tag_key(key.as_bytes()) {
                tracing::warn!("PROXY_LOG_TAG_KEY: this process already tags with another key");
            }
        }
        let affiliates = Arc::new(Registry::load(
            settings.allowed_origins.clone(),
            settings.affiliates_file.clone(),
        )?);
        let webhooks = Arc::new(Webhooks::load(settings.webhooks_file.clone())?);
        let store = Store::connect(&settings.database_url)
            .await
            .with_context(|| format!("database {}", config::redact_url(&settings.database_url)))?;
        let client = simology::Client::new(settings.upstream.clone()).context("upstream client")?;
        store
            .hub()
            .set_capacity(settings.serving.status_cache_orders);
        store.set_routes(Arc::new(FileRoutes {
            webhooks: Arc::clone(&webhooks),
            affiliates: Arc::clone(&affiliates),
        }));
        let widget = match &settings.widget_dir {
            Some(dir) => Some(WidgetFiles::load(dir, settings.widget_url.as_ref())?),
            None => {
                tracing::warn!(
                    "PROXY_WIDGET_DIR is not set: /embed, the widget's frame, answers 503"
                );
                None
            }
        };
        Ok(Arc::new(AppState {
            widget,
            documents: Documents::default(),
            catalog: Arc::new(CatalogCache::new(client.clone(), settings.catalog_ttl)),
            limits: Limits::new(&settings.rate_limits),
            long_polls: Holds::new(settings.serving.long_polls_per_client),
            auth_failures: AuthThrottle::new(FAILURES_PER_MINUTE),
            beacons: Beacons::default(),
            usage: UsageCache::default(),
            emails: EmailsOnFile::default(),
            affiliates,
            webhooks,
            settings,
            store,
            client,
            metrics: Metrics::default(),
            wake_processor: Notify::new(),
            ingest: IngestLoad::default(),
            shutdown: watch::channel(false).0,
        }))
    }

    /// Records an upstream error in the metrics and the log, and returns it.
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
    ///
    /// # Errors
    /// The upstream error when there is no catalogue at all yet.
    pub async fn catalog_snapshot(&self) -> Result<Arc<Snapshot>, simology::Error> {
        self.catalog.get().await.map_err(|e| self.upstream_error(e))
    }

    /// Starts the shutdown: long-polls answer now and background tasks stop.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Completes once the shutdown has begun (at once if it already has).
    pub fn shutting_down(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.shutdown.subscribe();
        async move {
            // The sender lives as long as the state, which outlives every waiter.
            let _ = rx.wait_for(|stopping| *stopping).await;
        }
    }
}

/// Where events go: the endpoints file and the affiliates file, each as last read.
struct FileRoutes {
    webhooks: Arc<Webhooks>,
    affiliates: Arc<Registry>,
}

impl Routes for FileRoutes {
    fn endpoints_for(&self, event_type: EventType) -> Vec<String> {
        self.webhooks
            .endpoints()
            .iter()
            .filter(|e| e.takes(event_type))
            .map(|e| e.id.clone())
            .collect()
    }

    fn postback(&self, affiliate: &str) -> Option<PostbackTemplate> {
        self.affiliates
            .affiliates()
            .get(affiliate)
            .and_then(|a| a.postback_url.clone())
    }

    fn commission_bps(&self, affiliate: &str) -> Option<u32> {
        self.affiliates
            .affiliates()
            .get(affiliate)
            .map(|a| a.commission_bps)
    }

    fn any(&self) -> bool {
        !self.webhooks.endpoints().is_empty()
            || self
                .affiliates
                .affiliates()
                .iter()
                .any(|a| a.postback_url.is_some())
    }
}
