//! `0002_lines.sql`: orders stored before orders had lines are carried over, on
//! whichever backend the tests run (SQLite, or PostgreSQL under `cargo xtask test`).

use simology_proxy::order::OrderKind;
use simology_proxy::store::{Backend, Store};
use simology_proxy_api::{OrderRef, OrderState};
use sqlx::{AnyPool, Executor};

use crate::helpers::*;

/// A database migrated as the proxy was before lines: `0001_init.sql` alone.
async fn database_before_lines(url: &str, dir: &std::path::Path) -> AnyPool {
    let backend = match Backend::of_url(url).expect("a known backend") {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let only_first = dir.join("migrations-0001");
    std::fs::create_dir_all(&only_first).expect("dir");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend)
            .join("0001_init.sql"),
        only_first.join("0001_init.sql"),
    )
    .expect("copy");
    sqlx::any::install_default_drivers();
    let url = match backend {
        "sqlite" => format!("{url}?mode=rwc"),
        _ => url.to_owned(),
    };
    let pool = AnyPool::connect(&url).await.expect("database");
    sqlx::migrate::Migrator::new(only_first.as_path())
        .await
        .expect("migrations")
        .run(&pool)
        .await
        .expect("0001 applied");
    pool
}

const LEGACY_PLAN: &str = r#"{"sku":"JP-1GB-7D","name":"Japan 1 GB","coverage":["JP"],"data_mb":1024,"validity_days":7,"quantity":1,"price":{"minor":450,"currency":"USD","decimals":2},"terms_url":""}"#;

/// The facts of a ready one-line order as the proxy stored them before lines.
fn legacy_ready_facts(order_id: &str, iccid: &str, code: &str) -> String {
    format!(
        r#"{{"upstream_order_id":"{order_id}","completed_at":1000,"paid_at":1001,"ready_at":1060,"iccid":"{iccid}","lpa":"LPA:1$sm-dp-plus.simology.net${code}","valid_from":"2025-01-10T09:21:10Z","valid_until":"2025-02-09T23:59:59Z","failed_reason":null,"refunded_at":null,"expired_at":null}}"#
    )
}

async fn insert(
    pool: &AnyPool,
    (order_ref, kind, parent, quantity, facts, state): (
        &OrderRef,
        &str,
        Option<&OrderRef>,
        i64,
        &str,
        &str,
    ),
) {
    let sql = format!(
        "INSERT INTO orders (order_ref, kind, parent_ref, intent_key, fingerprint, sku, quantity, plan_json, \
         locale, return_url, session_id, facts_json, upstream_order_id, state, created_at, updated_at) \
         VALUES ('{r}', '{kind}', {parent}, 'key-{r}', 'fp', 'JP-1GB-7D', {quantity}, '{LEGACY_PLAN}', 'en', \
         '{RETURN_URL}', 'cs-{r}', '{facts}', NULL, '{state}', 1000, 2000)",
        r = order_ref.as_str(),
        parent = parent.map_or("NULL".to_owned(), |p| format!("'{}'", p.as_str())),
    );
    pool.execute(sql.as_str()).await.expect("a legacy order");
}

#[tokio::test]
async fn orders_stored_before_lines_are_carried_over() {
    let dir = temp_dir("migration");
    let url = database_url(&dir).await;
    let pool = database_before_lines(&url, &dir).await;
    let one = OrderRef::from_bits(1);
    let topup = OrderRef::from_bits(2);
    let three = OrderRef::from_bits(3);
    let pending = OrderRef::from_bits(4);
    let one_facts = legacy_ready_facts("ord_1", "8988307000001234567", "ACT-1");
    let three_facts = legacy_ready_facts("ord_3", "8988307000001234575", "ACT-3");
    let topup_facts = r#"{"upstream_order_id":"ord_2","completed_at":3000,"paid_at":3001,"ready_at":3100,"iccid":null,"lpa":null,"valid_from":null,"valid_until":null,"failed_reason":null,"refunded_at":null,"expired_at":null}"#;
    let pending_facts = r#"{"upstream_order_id":null,"completed_at":null,"paid_at":null,"ready_at":null,"iccid":null,"lpa":null,"valid_from":null,"valid_until":null,"failed_reason":null,"refunded_at":null,"expired_at":null}"#;
    insert(&pool, (&one, "esim", None, 1, &one_facts, "ready")).await;
    insert(
        &pool,
        (&topup, "topup", Some(&one), 1, topup_facts, "ready"),
    )
    .await;
    // Bought for three, taken for ready with the one line the proxy kept (issue 18).
    insert(&pool, (&three, "esim", None, 3, &three_facts, "ready")).await;
    insert(&pool, (&pending, "esim", None, 2, pending_facts, "pending")).await;
    pool.close().await;

    let store = Store::connect(&url).await.expect("migrated to lines");
    let row = store.order(&one).await.expect("read").expect("there");
    assert_eq!(row.facts.state(), OrderState::Ready);
    assert_eq!(row.facts.lines_due, Some(1));
    let (iccid, line) = row
        .facts
        .primary_line(OrderKind::Esim)
        .expect("its one line");
    assert_eq!(iccid, "8988307000001234567");
    assert_eq!(
        (
            line.lpa.as_deref(),
            line.ready_at,
            line.valid_until.as_deref()
        ),
        (
            Some("LPA:1$sm-dp-plus.simology.net$ACT-1"),
            Some(1060),
            Some("2025-02-09T23:59:59Z")
        )
    );
    assert_eq!(
        row.facts.ready_at, None,
        "the ready time moved into the line"
    );

    let row = store.order(&topup).await.expect("read").expect("there");
    assert_eq!(row.parent_iccid.as_deref(), Some("8988307000001234567"));
    assert_eq!(
        (row.facts.state(), row.facts.lines_due),
        (OrderState::Ready, None)
    );

    // The order of three is owed two more lines: provisioning again, for the reconciler.
    let row = store.order(&three).await.expect("read").expect("there");
    assert_eq!(
        (
            row.facts.state(),
            row.facts.lines_ready(),
            row.facts.lines_due
        ),
        (OrderState::Provisioning, 1, Some(3))
    );
    let due = store
        .claim_stale(i64::MAX, std::time::Duration::from_secs(60), 10)
        .await
        .expect("claims");
    let claimed: Vec<&OrderRef> = due.iter().map(|o| &o.order_ref).collect();
    assert!(
        claimed.contains(&&three),
        "the reconciler takes it: {claimed:?}"
    );

    let row = store.order(&pending).await.expect("read").expect("there");
    assert_eq!(
        (
            row.facts.state(),
            row.facts.lines_ready(),
            row.facts.lines_due
        ),
        (OrderState::Pending, 0, Some(2))
    );
    let _ = std::fs::remove_dir_all(&dir);
}
