//! Opening the database (SQLite or PostgreSQL by URL), applying the migrations, and the
//! helpers every table's module reads and writes stored values with.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::{de::DeserializeOwned, Serialize};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

use super::ingest::Ingest;
use super::notify::Changes;
use crate::domain::OrderRef;
use crate::outgoing::Routes;

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend a database URL names.
    ///
    /// # Errors
    /// When the URL is of no known database.
    pub fn of_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            bail!("the database URL must start with sqlite: or postgres:")
        }
    }
}

/// The file a `sqlite:` URL names (its query, such as `?mode=rwc`, left out).
pub(super) fn sqlite_path(url: &str) -> String {
    url.trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The store.
#[derive(Clone)]
pub struct Store {
    pub(super) writer: AnyPool,
    pub(super) reader: AnyPool,
    pub(super) backend: Backend,
    pub(super) changes: Changes,
    /// Stores received webhook events, several to a commit.
    pub(super) ingest: Ingest,
    /// Where an order change's events go, and who is told once some are written.
    pub(super) outbox: Outbox,
}

/// The outbox's side of the store: where events go (set once by the state) and the
/// wake-up of the dispatcher.
#[derive(Clone, Default)]
pub(super) struct Outbox {
    pub(super) routes: Arc<OnceLock<Arc<dyn Routes>>>,
    pub(super) written: Arc<tokio::sync::Notify>,
}

impl Outbox {
    /// The routes, when they were set and lead anywhere.
    pub(super) fn routes(&self) -> Option<&dyn Routes> {
        self.routes.get().map(|r| &**r).filter(|r| r.any())
    }
}

pub(super) fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).context("serialising a stored value")
}

pub(super) fn from_json<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).context("reading a stored value")
}

/// A stored reference, checked: the store only ever holds references the proxy made.
pub(super) fn stored_ref(text: &str) -> Result<OrderRef> {
    OrderRef::parse(text)
        .with_context(|| format!("a stored order reference is malformed: {text:?}"))
}

impl Store {
    /// Connects, creating the SQLite file (and its folder) when needed, and applies
    /// the migrations.
    ///
    /// # Errors
    /// When the URL is of no known database, or the database cannot be opened or
    /// migrated.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let (writer, reader) = match backend {
            Backend::Sqlite => {
                let path = sqlite_path(url);
                if let Some(dir) = Path::new(&path).parent() {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(dir)
                            .with_context(|| format!("creating {}", dir.display()))?;
                    }
                }
                let url = if url.contains('?') {
                    url.to_owned()
                } else {
                    format!("{url}?mode=rwc")
                };
                // One writer connection serialises writes (SQLite allows one writer at
                // a time anyway); readers run beside it thanks to WAL.
                let writer = sqlite_pool(&url, 1).await?;
                let reader = sqlite_pool(&url, 8).await?;
                (writer, reader)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await
                    .context("connecting to PostgreSQL")?;
                (pool.clone(), pool)
            }
        };
        let migrator = match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator
            .run(&writer)
            .await
            .context("applying database migrations")?;
        let changes = match backend {
            Backend::Sqlite => Changes::local(),
            Backend::Postgres => Changes::shared_with_replicas(url),
        };
        Ok(Store {
            outbox: Outbox::default(),
            ingest: Ingest::start(writer.clone()),
            writer,
            reader,
            backend,
            changes,
        })
    }

    /// Sets where order changes' events go (once; a second call changes nothing).
    pub fn set_routes(&self, routes: Arc<dyn Routes>) {
        let _ = self.outbox.routes.set(routes);
    }

    /// Completes after an order change that wrote outbox deliveries commits (in this
    /// process).
    pub async fn outbox_written(&self) {
        self.outbox.written.notified().await;
    }

    /// Wakes the dispatcher (a commit wrote deliveries, or an operator replayed some).
    pub fn wake_outbox(&self) {
        self.outbox.written.notify_one();
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers.
    ///
    /// # Errors
    /// When it does not.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .context("database ping")?;
        Ok(())
    }
}

async fn sqlite_pool(url: &str, max: u32) -> Result<AnyPool> {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _| {
            Box::pin(async move {
                // WAL for concurrent readers; FULL synchronous so a 2xx to a webhook
                // means the event is on disk; a busy timeout instead of instant errors.
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = FULL").await?;
                conn.execute("PRAGMA busy_timeout = 5000").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .context("opening the SQLite database")
}
