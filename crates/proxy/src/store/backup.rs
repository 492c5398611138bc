//! Backups of a SQLite store (`simology-proxy backup` and `restore`). A backup is a
//! consistent copy made while the proxy serves: `VACUUM INTO` reads the database in one
//! read transaction, so the copy holds exactly what was committed when it began, and
//! writers go on meanwhile (WAL). A restore puts a copy back with the proxy stopped,
//! keeping the database it replaces beside it. PostgreSQL is backed up with its own
//! tools (`pg_dump`, `pg_restore`; see `docs/operations.md`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Executor, Row};

use super::connection::{sqlite_path, Backend};

/// What a backup or a restored database holds: its schema version and the rows of
/// each table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// The last migration applied (0: none).
    pub schema_version: i64,
    /// Each table and its row count, by name (the migrations' own table apart).
    pub tables: Vec<(String, i64)>,
}

impl std::fmt::Display for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "schema {:04}", self.schema_version)?;
        for (table, rows) in &self.tables {
            write!(f, ", {table}: {rows}")?;
        }
        Ok(())
    }
}

/// The SQLite file a database URL names, refusing PostgreSQL with the commands to use.
fn sqlite_file(url: &str, verb: &str) -> Result<PathBuf> {
    match Backend::of_url(url)? {
        Backend::Sqlite => Ok(PathBuf::from(sqlite_path(url))),
        Backend::Postgres => bail!(
            "PROXY_DATABASE_URL is PostgreSQL: {verb} it with PostgreSQL's tools, e.g. \
             `pg_dump --format=custom --file=proxy.dump \"$PROXY_DATABASE_URL\"` and \
             `pg_restore --clean --if-exists --no-owner --dbname=\"$PROXY_DATABASE_URL\" proxy.dump` \
             (docs/operations.md)"
        ),
    }
}

async fn open(path: &Path, read_only: bool) -> Result<SqliteConnection> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(read_only)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(10));
    SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("opening {}", path.display()))
}

/// What the database at `conn` holds; `check`: after SQLite's integrity check.
async fn contents(conn: &mut SqliteConnection, check: bool) -> Result<Contents> {
    if check {
        let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut *conn)
            .await
            .context("checking the copy's integrity")?;
        if verdict != "ok" {
            bail!("SQLite's integrity check failed: {verdict}");
        }
    }
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut tables = Vec::new();
    let mut schema_version = 0;
    for name in names {
        if name == "_sqlx_migrations" {
            schema_version =
                sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations")
                    .fetch_one(&mut *conn)
                    .await?;
            continue;
        }
        // The name comes from sqlite_master, quoted as an identifier.
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {quoted}"))
            .fetch_one(&mut *conn)
            .await?;
        tables.push((name, rows));
    }
    Ok(Contents {
        schema_version,
        tables,
    })
}

fn sync_dir(file: &Path) {
    // The rename is durable once the folder is; a folder that cannot be opened for that
    // (some file systems) leaves it to the next sync.
    if let Some(dir) = file.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Copies the SQLite database at `source` into a new file `to` with `VACUUM INTO` (a
/// consistent snapshot), written beside as `to.partial` and renamed once complete,
/// checked and synced.
async fn copy(source: &mut SqliteConnection, to: &Path) -> Result<Contents> {
    let partial = PathBuf::from(format!("{}.partial", to.display()));
    // A copy that an earlier run left unfinished is never a backup.
    let _ = std::fs::remove_file(&partial);
    let target = partial
        .to_str()
        .context("the backup's path is not UTF-8")?
        .to_owned();
    sqlx::query("VACUUM INTO ?")
        .bind(&target)
        .execute(&mut *source)
        .await
        .with_context(|| format!("copying into {}", partial.display()))?;
    let checked = async {
        let mut copy = open(&partial, false).await?;
        let contents = contents(&mut copy, true).await?;
        copy.close().await?;
        std::fs::File::open(&partial)?.sync_all()?;
        anyhow::Ok(contents)
    }
    .await;
    let contents = match checked {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e.context("the copy did not check out"));
        }
    };
    std::fs::rename(&partial, to)
        .with_context(|| format!("renaming {} to {}", partial.display(), to.display()))?;
    sync_dir(to);
    Ok(contents)
}

/// `simology-proxy backup --to FILE`: a consistent copy of the SQLite database of
/// `url` while the proxy serves. The database is neither created nor migrated.
///
/// # Errors
/// On PostgreSQL (with the commands to use instead), when `to` exists, or when the
/// database cannot be read or the copy written.
pub async fn backup(url: &str, to: &Path) -> Result<Contents> {
    let live = sqlite_file(url, "back up")?;
    if !live.exists() {
        bail!("there is no database at {}", live.display());
    }
    if to.exists() {
        bail!(
            "{} exists: a backup never overwrites a file (choose a new name)",
            to.display()
        );
    }
    let mut source = open(&live, true).await?;
    let contents = copy(&mut source, to).await?;
    source.close().await?;
    Ok(contents)
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// What the backup held.
    pub contents: Contents,
    /// Where the database it replaced was moved, if there was one.
    pub previous: Option<PathBuf>,
}

/// The migrations this binary knows, by version, with their checksums.
fn known_migrations(backend: Backend) -> Vec<(i64, Vec<u8>)> {
    let migrator = match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    migrator
        .iter()
        .map(|m| (m.version, m.checksum.to_vec()))
        .collect()
}

/// Refuses a backup whose schema this binary cannot serve: one made by a newer proxy,
/// one whose migrations differ from this binary's, or one left half-migrated.
async fn check_schema(conn: &mut SqliteConnection) -> Result<()> {
    let has_table: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if has_table == 0 {
        bail!("this file is no proxy database (it has no migrations table)");
    }
    let applied = sqlx::query("SELECT version, checksum, success FROM _sqlx_migrations")
        .fetch_all(&mut *conn)
        .await?;
    let known = known_migrations(Backend::Sqlite);
    for row in applied {
        let version: i64 = row.try_get("version")?;
        let checksum: Vec<u8> = row.try_get("checksum")?;
        let success: bool = row.try_get("success")?;
        if !success {
            bail!("the backup holds migration {version:04} half-applied");
        }
        match known.iter().find(|(v, _)| *v == version) {
            None => bail!(
                "the backup has schema {version:04}, which this proxy does not know: it was made by \
                 a newer version; restore it with that version"
            ),
            Some((_, sum)) if *sum != checksum => {
                bail!("the backup's migration {version:04} differs from this proxy's")
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Fails when a process has the database at `live` open (a proxy serving it): in WAL
/// mode every open connection holds a lock that an exclusive transaction must wait for.
async fn ensure_unused(live: &Path) -> Result<()> {
    let options = SqliteConnectOptions::new()
        .filename(live)
        .create_if_missing(false)
        .busy_timeout(Duration::ZERO)
        .pragma("locking_mode", "EXCLUSIVE");
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("opening {}", live.display()))?;
    let free = conn.execute("BEGIN EXCLUSIVE").await.is_ok();
    if free {
        conn.execute("COMMIT").await?;
    }
    // Closing the last connection checkpoints the WAL into the file.
    conn.close().await?;
    if !free {
        bail!(
            "{} is in use: stop the proxy (every process using this database) before restoring",
            live.display()
        );
    }
    Ok(())
}

/// `simology-proxy restore --from FILE`, with the proxy stopped: checks the backup
/// (integrity, and a schema this binary can serve), moves the current database aside
/// (`<file>.before-restore-<unix seconds>`, with its WAL), and puts a fresh copy of the
/// backup in its place. The proxy migrates it forward when it starts.
///
/// # Errors
/// On PostgreSQL, when the backup is refused, or when the database is in use.
pub async fn restore(url: &str, from: &Path) -> Result<Restored> {
    let live = sqlite_file(url, "restore")?;
    let mut backup = open(from, true).await?;
    check_schema(&mut backup).await?;
    let contents = contents(&mut backup, true).await?;
    let previous = if live.exists() {
        ensure_unused(&live).await?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let aside = PathBuf::from(format!("{}.before-restore-{stamp}", live.display()));
        for suffix in ["-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", live.display()));
            if from.exists() {
                std::fs::rename(&from, format!("{}{suffix}", aside.display()))
                    .with_context(|| format!("moving {} aside", from.display()))?;
            }
        }
        std::fs::rename(&live, &aside)
            .with_context(|| format!("moving {} aside", live.display()))?;
        Some(aside)
    } else {
        if let Some(dir) = live.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        None
    };
    copy(&mut backup, &live).await?;
    backup.close().await?;
    Ok(Restored { contents, previous })
}
