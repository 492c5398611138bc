//! Upgrades: a database at every schema version (0001 to now), with data in every table,
//! migrates forward to the current schema and reads back whole, on whichever backend
//! the tests run (SQLite, or PostgreSQL under `cargo xtask test`).
//!
//! The migrations are found in the backend's folder, not listed here, so a migration
//! added later is covered at once. Each comes with its data: `tests/upgrade/NNNN.sql`
//! (portable SQL, for both backends) holds rows as the proxy stored them at schema NNNN,
//! for every table that migration creates or changes. A migration without its file, or
//! a table left empty, fails the test and names what to add.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use simology_proxy::store::{Backend, Store};
use sqlx::{AnyPool, Row};

use crate::helpers::*;

/// The backend's migrations, by version, in order: (version, file).
fn migrations(backend: &str) -> Vec<(i64, PathBuf)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut found: Vec<(i64, PathBuf)> = std::fs::read_dir(&dir)
        .expect("the migrations folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            let version = name
                .split('_')
                .next()
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or_else(|| panic!("{name}: a migration is named NNNN_what.sql"));
            (version, p)
        })
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no migrations in {}", dir.display());
    found
}

/// The data of schema `version`: `tests/upgrade/NNNN.sql`.
fn fixture(version: i64) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/upgrade")
        .join(format!("{version:04}.sql"));
    std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "migration {version:04} has no data to upgrade from: add {} with rows, as the proxy \
             stores them at that schema, for every table it creates or changes",
            path.display()
        )
    })
}

/// Every table of the database but the migrations' own, with its row count.
async fn row_counts(pool: &AnyPool, backend: Backend) -> BTreeMap<String, i64> {
    let names_sql = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name <> '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name <> '_sqlx_migrations'"
        }
    };
    let names: Vec<String> = sqlx::query(names_sql)
        .fetch_all(pool)
        .await
        .expect("tables")
        .iter()
        .map(|r| r.try_get::<String, _>("name").expect("name"))
        .collect();
    let mut counts = BTreeMap::new();
    for name in names {
        let rows: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM \"{name}\""))
            .fetch_one(pool)
            .await
            .expect("count")
            .try_get("n")
            .expect("n");
        counts.insert(name, rows);
    }
    counts
}

/// A new database at schema `upto` (the migrations up to it and no further), holding
/// the data of each of those versions.
async fn database_at(
    backend: &str,
    all: &[(i64, PathBuf)],
    upto: usize,
    dir: &Path,
) -> (String, AnyPool) {
    let url = database_url(dir).await;
    let some = dir.join(format!("migrations-{upto}"));
    std::fs::create_dir_all(&some).expect("dir");
    for (_, file) in &all[..upto] {
        std::fs::copy(file, some.join(file.file_name().expect("name"))).expect("copy");
    }
    sqlx::any::install_default_drivers();
    let open = match backend {
        "sqlite" => format!("{url}?mode=rwc"),
        _ => url.clone(),
    };
    let pool = AnyPool::connect(&open).await.expect("database");
    sqlx::migrate::Migrator::new(some.as_path())
        .await
        .expect("migrations")
        .run(&pool)
        .await
        .expect("the migrations up to this version apply");
    for (version, _) in &all[..upto] {
        sqlx::raw_sql(&fixture(*version))
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("tests/upgrade/{version:04}.sql: {e}"));
    }
    (url, pool)
}

#[tokio::test]
async fn every_schema_version_migrates_forward_with_its_data() {
    let backend_name = if on_postgres() { "postgres" } else { "sqlite" };
    let all = migrations(backend_name);
    let current = all.last().expect("one migration").0;
    for upto in 1..=all.len() {
        let version = all[upto - 1].0;
        let dir = temp_dir(&format!("upgrade-{version:04}"));
        let (url, pool) = database_at(backend_name, &all, upto, &dir).await;
        let backend = Backend::of_url(&url).expect("backend");
        let before = row_counts(&pool, backend).await;
        for (table, rows) in &before {
            assert!(
                *rows > 0,
                "schema {version:04}: table {table} has no rows; add rows for it to the \
                 tests/upgrade/NNNN.sql of the migration that made or changed it"
            );
        }
        pool.close().await;

        let store = Store::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("from schema {version:04} to {current:04}: {e:#}"));
        let pool = AnyPool::connect(&match backend_name {
            "sqlite" => format!("{url}?mode=rw"),
            _ => url.clone(),
        })
        .await
        .expect("database");
        let applied: i64 = sqlx::query("SELECT MAX(version) AS v FROM _sqlx_migrations")
            .fetch_one(&pool)
            .await
            .expect("version")
            .try_get("v")
            .expect("v");
        assert_eq!(applied, current, "from schema {version:04}");
        let after = row_counts(&pool, backend).await;
        let affiliates: Vec<String> = if before.contains_key("funnel_counts") {
            sqlx::query("SELECT DISTINCT affiliate FROM funnel_counts")
                .fetch_all(&pool)
                .await
                .expect("affiliates")
                .iter()
                .map(|r| r.try_get::<String, _>(0).expect("affiliate"))
                .collect()
        } else {
            Vec::new()
        };
        for (table, rows) in &before {
            assert_eq!(
                after.get(table),
                Some(rows),
                "from schema {version:04}: table {table} kept its rows"
            );
        }
        pool.close().await;

        // Everything reads back through the proxy's own store: every order (its kind,
        // plan, return URL and facts), every event, the quarantine, the funnel.
        let orders = store
            .all_orders()
            .await
            .unwrap_or_else(|e| panic!("from schema {version:04}, orders: {e:#}"));
        assert_eq!(Some(&(orders.len() as i64)), before.get("orders"));
        for order in &orders {
            let again = store
                .order(&order.order_ref)
                .await
                .expect("read")
                .expect("there");
            assert_eq!(again.version, order.version);
        }
        let events = store
            .events()
            .await
            .unwrap_or_else(|e| panic!("from schema {version:04}, events: {e:#}"));
        assert_eq!(Some(&(events.len() as i64)), before.get("webhook_events"));
        let counts = store.event_counts().await.expect("event counts");
        assert_eq!(counts.stored as usize, events.len());
        let quarantined = store.quarantined_events().await.expect("quarantine");
        assert_eq!(counts.quarantined as usize, quarantined.len());
        if before.contains_key("funnel_counts") {
            let rows = store
                .funnel_row_count()
                .await
                .unwrap_or_else(|e| panic!("from schema {version:04}, funnel: {e:#}"));
            assert_eq!(Some(&(rows as i64)), before.get("funnel_counts"));
            let period = simology_proxy::store::Period {
                since: "2000-01-01",
                until: "2100-01-01",
                affiliates: &affiliates,
            };
            let mut orders = 0;
            store
                .for_each_paid_order(&period, 0, i64::MAX, |_| orders += 1)
                .await
                .unwrap_or_else(|e| panic!("from schema {version:04}, attribution: {e:#}"));
            assert!(
                orders > 0,
                "from schema {version:04}: the attributed order reads back"
            );
        }
        if before.contains_key("outbox") {
            // The outbox: every delivery, and each destination's counts (the disabled
            // one among them).
            let deliveries = store
                .deliveries(None, None, i64::MAX)
                .await
                .unwrap_or_else(|e| panic!("from schema {version:04}, outbox: {e:#}"));
            assert_eq!(Some(&(deliveries.len() as i64)), before.get("outbox"));
            let stats = store
                .outbox_stats()
                .await
                .unwrap_or_else(|e| panic!("from schema {version:04}, outbox stats: {e:#}"));
            assert!(
                stats.values().any(|s| s.disabled_at.is_some()),
                "from schema {version:04}: the disabled destination reads back: {stats:?}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
