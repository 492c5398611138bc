//! Opening the database (SQLite or PostgreSQL by URL), applying the migrations, and the
//! helpers every table's module reads and writes stored values with.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::{de::DeserializeOwned, Serialize};
use sqlx::any::AnyPoolOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor};

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

/// The `VALUES` rows of a multi-row statement whose `$1` is shared: `rows` tuples of
/// `width` parameters each, numbered from `$2`, each followed by `tail` (for example
/// `", $1, $1"`): `($2, $3, $1), ($4, $5, $1)` for 2 rows of width 2 and tail `", $1"`.
pub(super) fn values_rows(rows: usize, width: usize, tail: &str) -> String {
    (0..rows)
        .map(|i| {
            let params: Vec<String> = (0..width)
                .map(|j| format!("${}", 2 + width * i + j))
                .collect();
            format!("({}{tail})", params.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
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

/// The writer connection, its commits not waiting for the disk: for writes whose loss
/// in a power cut (or an operating system crash) costs nothing but doing them again.
/// A process that is killed loses nothing either way (SQLite's WAL is in the operating
/// system's hands at each commit), and a later commit that waits for the disk (the
/// webhook ingest's) makes the earlier ones durable too, since the WAL is written in
/// order. On SQLite the connection's `synchronous` is `NORMAL` until [`release`]
/// puts it back to `FULL`; a connection that could not be put back, or that was
/// dropped before, is closed rather than returned to the pool (the pool opens a new
/// one, `FULL`). On PostgreSQL it is an ordinary connection: the transaction turns
/// `synchronous_commit` off itself (`SET LOCAL`), so that the setting ends with it.
///
/// [`release`]: Unsynced::release
pub(super) struct Unsynced {
    conn: PoolConnection<Any>,
    /// `synchronous` still needs putting back (SQLite).
    relaxed: bool,
}

impl From<PoolConnection<Any>> for Unsynced {
    fn from(conn: PoolConnection<Any>) -> Unsynced {
        Unsynced {
            conn,
            relaxed: false,
        }
    }
}

impl std::ops::Deref for Unsynced {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Unsynced {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

impl Unsynced {
    /// Puts the connection back as the pool hands it out (`synchronous = FULL`).
    pub(super) async fn release(mut self) {
        if self.relaxed {
            match sqlx::query("PRAGMA synchronous = FULL")
                .execute(&mut *self.conn)
                .await
            {
                Ok(_) => self.relaxed = false,
                Err(e) => tracing::warn!(
                    error = format!("{e:#}"),
                    "a writer connection could not be made to wait for the disk again: it is closed"
                ),
            }
        }
    }
}

impl Drop for Unsynced {
    fn drop(&mut self) {
        if self.relaxed {
            self.conn.close_on_drop();
        }
    }
}

impl Store {
    /// The writer, for a transaction whose commit need not wait for the disk (see
    /// [`Unsynced`]).
    ///
    /// # Errors
    /// When no connection can be had or set.
    pub(super) async fn unsynced_writer(&self) -> Result<Unsynced> {
        let mut conn = self
            .writer
            .acquire()
            .await
            .context("acquiring the writer")?;
        if self.backend == Backend::Postgres {
            // Set by the transaction itself (`SET LOCAL`), so that it ends with it.
            return Ok(Unsynced::from(conn));
        }
        // Outside a transaction: SQLite refuses to change it within one.
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&mut *conn)
            .await
            .context("letting the writer's commits not wait for the disk")?;
        Ok(Unsynced {
            conn,
            relaxed: true,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_rows_number_each_row_after_the_shared_first() {
        assert_eq!(values_rows(2, 2, ", $1"), "($2, $3, $1), ($4, $5, $1)");
        assert_eq!(values_rows(1, 3, ""), "($2, $3, $4)");
    }

    async fn synchronous(conn: &mut AnyConnection) -> i64 {
        sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(conn)
            .await
            .expect("PRAGMA synchronous")
    }

    /// An unsynced writer commits without waiting for the disk (`NORMAL`, 1), and the
    /// pool's writer waits for it again afterwards (`FULL`, 2), whether the unsynced
    /// one was released or dropped (then closed, and the pool opens a new one).
    #[tokio::test]
    async fn the_writer_waits_for_the_disk_again_after_an_unsynced_transaction() {
        let dir = std::env::temp_dir().join(format!(
            "simology-unsynced-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        let store = Store::connect(&format!("sqlite://{}", dir.join("p.db").display()))
            .await
            .expect("the store");
        let mut plain = store.writer.acquire().await.expect("the writer");
        assert_eq!(synchronous(&mut plain).await, 2, "FULL");
        drop(plain);

        let mut unsynced = store.unsynced_writer().await.expect("unsynced");
        assert_eq!(synchronous(&mut unsynced).await, 1, "NORMAL");
        unsynced.release().await;
        let mut plain = store.writer.acquire().await.expect("the writer");
        assert_eq!(synchronous(&mut plain).await, 2, "FULL after a release");
        drop(plain);

        let mut unsynced = store.unsynced_writer().await.expect("unsynced");
        assert_eq!(synchronous(&mut unsynced).await, 1, "NORMAL");
        drop(unsynced);
        let mut plain = store.writer.acquire().await.expect("the writer");
        assert_eq!(synchronous(&mut plain).await, 2, "FULL after a drop");
        drop(plain);

        // A dispatcher pass leaves it as it found it.
        store
            .dispatch_pass(
                &[],
                Some(&crate::store::Claim {
                    endpoints: &["crm".to_owned()],
                    caps: &std::collections::BTreeMap::new(),
                    default_cap: 48,
                    limit: 10,
                    lease: Duration::from_secs(30),
                }),
            )
            .await
            .expect("a pass");
        let mut plain = store.writer.acquire().await.expect("the writer");
        assert_eq!(synchronous(&mut plain).await, 2, "FULL after a pass");
        drop(plain);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
