//! The state every handler, timer and delivery shares: the simulator's state under its
//! lock, the settings, the HTTP client for webhooks, and the webhook endpoint.

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use url::Url;

use crate::config::SandboxConfig;
use crate::state::State;

/// State shared by handlers, timers and deliveries.
pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    state: Mutex<State>,
    pub(crate) http: reqwest::Client,
    pub(crate) public_url: String,
    webhook_url: RwLock<Option<Url>>,
    pub(crate) pending: AtomicUsize,
}

impl Shared {
    pub(crate) fn new(
        config: SandboxConfig,
        state: State,
        public_url: String,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent("Simology-Webhooks/1.0 (sandbox)")
            .build()?;
        Ok(Shared {
            webhook_url: RwLock::new(config.webhook_url.clone()),
            config,
            state: Mutex::new(state),
            http,
            public_url,
            pending: AtomicUsize::new(0),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn webhook_url(&self) -> Option<Url> {
        self.webhook_url
            .read()
            .map(|u| u.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    pub(crate) fn set_webhook_url(&self, url: Option<Url>) {
        match self.webhook_url.write() {
            Ok(mut w) => *w = url,
            Err(e) => *e.into_inner() = url,
        }
    }
}

/// The shared state as handlers hold it.
pub(crate) type Sh = Arc<Shared>;
