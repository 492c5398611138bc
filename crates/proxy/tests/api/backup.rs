//! Backup and restore under load: a backup taken while travellers buy and webhooks
//! arrive, restored into a fresh proxy, holds every order, line and quarantined event
//! that existed when the backup began. SQLite goes through `simology-proxy backup` and
//! `restore`; PostgreSQL (under `cargo xtask test`) through the `pg_dump` and
//! `pg_restore` commands of `docs/operations.md`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::json;
use simology_proxy::order::LineFacts;
use simology_proxy::store::Store;
use simology_sandbox::wait::eventually;

use crate::helpers::*;

/// What must survive: each order's lines, and the quarantined events.
#[derive(Debug)]
struct Held {
    orders: BTreeMap<String, BTreeMap<String, LineFacts>>,
    quarantined: Vec<String>,
}

async fn held(store: &Store) -> Held {
    let orders = store
        .all_orders()
        .await
        .expect("orders")
        .into_iter()
        .map(|o| (o.order_ref.as_str().to_owned(), o.facts.lines))
        .collect();
    let mut quarantined: Vec<String> = store
        .quarantined_events()
        .await
        .expect("quarantined")
        .into_iter()
        .map(|e| e.event_id)
        .collect();
    quarantined.sort();
    Held {
        orders,
        quarantined,
    }
}

/// A signed event that cannot parse: it is stored, answered, and quarantined.
async fn deliver_unparseable(app: &TestApp, id: &str) {
    let body = json!({"type": "order.paid", "id": id, "created": "2025-01-10T09:20:02Z",
        "data": {"order_id": "ord_x", "items": [{"sku": "US-1GB-7D", "quantity": 1, "unit_price": 4.99, "currency": "usd"}]}})
    .to_string();
    let r = app
        .http
        .post(format!("{}/webhooks/simology", app.url))
        .header("content-type", "application/json")
        .header("Simology-Signature", signed(&body, now()))
        .body(body)
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 200);
}

/// Buys an order of `quantity` eSIMs and waits until it is ready.
async fn ready_order(app: &TestApp, quantity: u32) -> String {
    let (order_ref, payment_url) = app.checkout_quantity("US-1GB-7D", quantity).await;
    app.pay(&payment_url, simology_sandbox::CARD_SUCCESS).await;
    app.wait_for_state(&order_ref, "ready").await;
    order_ref
}

/// Takes a backup of `app`'s database into `dir` and restores it into a new, empty
/// database; returns the new database's URL.
async fn back_up_and_restore(app: &TestApp, dir: &std::path::Path) -> String {
    let fresh = database_url(dir).await;
    if on_postgres() {
        let dump = dir.join("proxy.dump");
        run(
            "pg_dump",
            &[
                "--format=custom",
                &format!("--file={}", dump.display()),
                &app.database_url,
            ],
        )
        .await;
        run(
            "pg_restore",
            &[
                "--clean",
                "--if-exists",
                "--no-owner",
                &format!("--dbname={fresh}"),
                &dump.display().to_string(),
            ],
        )
        .await;
    } else {
        let file = dir.join("backup.db");
        let said = app
            .cli(&["backup", "--to", &file.display().to_string()])
            .await;
        assert!(said.starts_with("backed up into"), "{said}");
        let again = proxy_command(&["backup", "--to", &file.display().to_string()], &app.env);
        assert!(!again.0, "a backup never overwrites a file: {again:?}");
        let env = proxy_env(app.sandbox.url(), &fresh, &[]);
        let said = run_cli(&env, &["restore", "--from", &file.display().to_string()]).await;
        assert!(said.contains("restored"), "{said}");
    }
    fresh
}

async fn run(program: &str, args: &[&str]) {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args);
    let out = cmd.output().await.expect("PostgreSQL's client tools");
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_backup_under_load_restores_every_order_line_and_quarantined_event() {
    let app = Arc::new(spawn_app().await);
    let mut made = Vec::new();
    for quantity in [1, 2, 3] {
        made.push(ready_order(&app, quantity).await);
    }
    deliver_unparseable(&app, "evt_unparseable_1").await;
    deliver_unparseable(&app, "evt_unparseable_2").await;
    wait_for_events(&app.state.store, "two events quarantined", |c| {
        c.quarantined == 2
    })
    .await;

    // The load: travellers buying and paying (orders, webhooks, lines), and events
    // that go to quarantine, until the backup is done.
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicUsize::new(0));
    let load = {
        let (app, stop, rounds) = (Arc::clone(&app), Arc::clone(&stop), Arc::clone(&rounds));
        tokio::spawn(async move {
            let mut i = 0u32;
            while !stop.load(Ordering::SeqCst) {
                let (_, payment_url) = app.checkout_quantity("US-1GB-7D", 1 + i % 2).await;
                app.pay(&payment_url, simology_sandbox::CARD_SUCCESS).await;
                deliver_unparseable(&app, &format!("evt_under_load_{i}")).await;
                i += 1;
                rounds.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    eventually("the load under way", async || {
        match rounds.load(Ordering::SeqCst) {
            n if n >= 2 => Ok(()),
            n => Err(n),
        }
    })
    .await;
    // Everything that exists now exists when the backup begins.
    let before = held(&app.state.store).await;
    let dir = temp_dir("backup");
    let fresh = back_up_and_restore(&app, &dir).await;
    let during = rounds.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    load.await.expect("load");
    let after = held(&app.state.store).await;
    assert!(
        after.orders.len() > before.orders.len(),
        "the backup was taken under load ({during} rounds)"
    );

    // A fresh proxy on the restored database.
    let env = proxy_env(app.sandbox.url(), &fresh, &[]);
    let restored = serve(&env).await;
    let got = held(&restored.state.store).await;
    for (order_ref, lines) in &before.orders {
        let Some(restored_lines) = got.orders.get(order_ref) else {
            panic!("order {order_ref} is missing from the restored database");
        };
        for (iccid, line) in lines {
            let restored_line = restored_lines.get(iccid);
            assert!(
                restored_line.is_some_and(|l| l.lpa == line.lpa && l.ready_at == line.ready_at),
                "order {order_ref}: line {iccid} {line:?} restored as {restored_line:?}"
            );
        }
    }
    for id in &before.quarantined {
        assert!(
            got.quarantined.contains(id),
            "quarantined event {id} is missing: {:?}",
            got.quarantined
        );
    }
    // And the restored proxy serves them: the ready orders with their lines.
    let http = http_client();
    for order_ref in &made {
        let (status, body) = {
            let r = http
                .get(format!("{}/api/orders/{order_ref}", restored.url))
                .send()
                .await
                .expect("answer");
            (
                r.status(),
                r.json::<serde_json::Value>().await.expect("json"),
            )
        };
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["state"], "ready", "{body}");
        assert_eq!(
            lines_of(&body).len(),
            before.orders[order_ref].len(),
            "{body}"
        );
    }
    let _ = restored.stop.send(());
    let _ = restored.task.await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_restore_refuses_a_database_in_use_and_keeps_the_one_it_replaces() {
    let sandbox = simology_sandbox::spawn(fast_sandbox())
        .await
        .expect("sandbox");
    let dir = temp_dir("restore");
    let db = database_url(&dir).await;
    let env = proxy_env(sandbox.url(), &db, &[]);
    let served = serve(&env).await;
    if on_postgres() {
        // PostgreSQL is restored with pg_restore (the test above); the commands refuse
        // it and name the tools.
        let (ok, _, err) = proxy_command(&["backup", "--to", "/nonexistent/b.db"], &env);
        assert!(!ok && err.contains("pg_dump"), "{err}");
        let (ok, _, err) = proxy_command(&["restore", "--from", "/nonexistent/b.db"], &env);
        assert!(!ok && err.contains("pg_restore"), "{err}");
        return;
    }
    let http = http_client();
    let (order_ref, _) = checkout_at(&http, &served.url, "US-1GB-7D").await;
    let file = dir.join("backup.db").display().to_string();
    run_cli(&env, &["backup", "--to", &file]).await;
    // The proxy still serves this database: a restore would pull it from under it.
    let (ok, _, err) = proxy_command(&["restore", "--from", &file], &env);
    assert!(!ok && err.contains("in use"), "{err}");
    let _ = served.stop.send(());
    served.task.await.expect("task").expect("stopped");
    // The stopped proxy's connections close as its state goes.
    drop(served.state);
    // Not a backup: refused, and nothing moved.
    let junk = dir.join("junk.db").display().to_string();
    std::fs::write(&junk, b"not a database").expect("write");
    let (ok, _, err) = proxy_command(&["restore", "--from", &junk], &env);
    assert!(!ok, "{err}");
    let live = db.trim_start_matches("sqlite://").to_owned();
    assert!(std::path::Path::new(&live).exists());
    let said = eventually(
        "the restore, once the database is closed",
        async || match proxy_command(&["restore", "--from", &file], &env) {
            (true, said, _) => Ok(said),
            (false, _, err) => Err(err),
        },
    )
    .await;
    let kept = said
        .lines()
        .find_map(|l| l.strip_prefix("the database it replaces is kept as "))
        .expect("where the old database went")
        .to_owned();
    assert!(std::path::Path::new(&kept).exists(), "{kept}");
    let store = Store::connect(&db)
        .await
        .expect("the restored database opens");
    assert!(store
        .all_orders()
        .await
        .expect("orders")
        .iter()
        .any(|o| o.order_ref.as_str() == order_ref));
    let _ = std::fs::remove_dir_all(&dir);
}
