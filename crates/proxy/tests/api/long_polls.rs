//! Long-polls and the order status: a client holds at most its cap of long-polls
//! waiting, a change wakes only its order's waiters, and the status is served from
//! memory without ever being stale.

use serde_json::Value;
use simology_sandbox::CARD_SUCCESS;

use crate::helpers::*;

#[tokio::test]
async fn a_client_holds_at_most_its_cap_of_long_polls() {
    let app = spawn_app_with(fast_sandbox(), &[("PROXY_LONG_POLLS_PER_CLIENT", "20")]).await;
    let (order_ref, payment_url) = app.checkout("JP-1GB-7D").await;
    let version = app.order(&order_ref).await["version"]
        .as_i64()
        .expect("version");
    let polls: Vec<_> = (0..100)
        .map(|_| {
            let http = app.http.clone();
            let url = format!(
                "{}/api/orders/{order_ref}?wait=25&version={version}",
                app.url
            );
            tokio::spawn(async move {
                let r = http.get(url).send().await.expect("answer");
                assert_eq!(r.status(), 200);
                r.json::<Value>().await.expect("json")
            })
        })
        .collect();
    eventually("80 long-polls answered at once, 20 waiting", async || {
        let capped = app.long_polls("capped").await;
        let waiting = metric::<f64>(&app.http, &app.url, "simology_long_polls_waiting").await;
        if capped == 80 && waiting == 20.0 {
            Ok(())
        } else {
            Err((capped, waiting))
        }
    })
    .await;
    // The 20 that wait answer on the change.
    app.pay(&payment_url, CARD_SUCCESS).await;
    let mut changed = 0;
    for p in polls {
        let body = p.await.expect("poll");
        if body["version"].as_i64() != Some(version) {
            changed += 1;
        }
    }
    assert_eq!(changed, 20, "the waiting ones saw the payment");
    assert_eq!(app.long_polls("changed").await, 20);
    app.stop().await;
}

#[tokio::test]
async fn a_change_wakes_only_its_orders_waiters() {
    let app = spawn_app().await;
    let (a, _) = app.checkout("JP-1GB-7D").await;
    let (b, b_payment) = app.checkout("JP-1GB-7D").await;
    let version = |r: &str| {
        let app = &app;
        let r = r.to_owned();
        async move { app.order(&r).await["version"].as_i64().expect("version") }
    };
    let (va, vb) = (version(&a).await, version(&b).await);
    let poll = |r: &str, v: i64| {
        let http = app.http.clone();
        let url = format!("{}/api/orders/{r}?wait=25&version={v}", app.url);
        tokio::spawn(async move { http.get(url).send().await.expect("answer").status() })
    };
    let on_a: Vec<_> = (0..10).map(|_| poll(&a, va)).collect();
    let on_b = poll(&b, vb);
    let waiting =
        || async { metric::<f64>(&app.http, &app.url, "simology_long_polls_waiting").await };
    eventually("11 long-polls waiting", async || {
        let w = waiting().await;
        if w == 11.0 {
            Ok(())
        } else {
            Err(w)
        }
    })
    .await;
    let woken_before = metric::<f64>(&app.http, &app.url, "simology_long_poll_wakeups_total").await;
    app.pay(&b_payment, CARD_SUCCESS).await;
    assert_eq!(on_b.await.expect("b's poll"), 200);
    // B's change woke B's poll once; A's ten slept through it.
    let woken = metric::<f64>(&app.http, &app.url, "simology_long_poll_wakeups_total").await;
    assert_eq!(woken - woken_before, 1.0, "only B's waiter woke");
    assert_eq!(waiting().await, 10.0, "A's polls still wait");
    assert!(on_a.iter().all(|p| !p.is_finished()));
    app.stop().await;
    for p in on_a {
        assert_eq!(p.await.expect("a's poll"), 200, "answered at shutdown");
    }
}

#[tokio::test]
async fn the_status_is_served_from_memory_and_never_stale() {
    let app = spawn_app().await;
    let (order_ref, payment_url) = app.checkout("JP-1GB-7D").await;
    let path = format!("/api/orders/{order_ref}");
    let first = app.get(&path).await;
    let etag = first.headers()["etag"].clone();
    assert_eq!(first.headers()["cache-control"], "no-store");
    let first: Value = first.json().await.expect("json");
    let hits = || async {
        metric::<f64>(
            &app.http,
            &app.url,
            "simology_status_cache_total{outcome=\"hit\"}",
        )
        .await
    };
    // Later reads come from memory, the same view with the same ETag (on PostgreSQL
    // once this replica has heard its own change announced back by NOTIFY: until then,
    // a read goes to the store).
    eventually("a read served from memory", async || {
        let before = hits().await;
        let again = app.get(&path).await;
        assert_eq!(again.headers()["etag"], etag);
        assert_eq!(again.json::<Value>().await.expect("json"), first);
        let after = hits().await;
        if after == before + 1.0 {
            Ok(())
        } else {
            Err(format!("hits went from {before} to {after}"))
        }
    })
    .await;
    // The client that has it gets 304.
    let not_modified = app
        .http
        .get(format!("{}{path}", app.url))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .expect("answer");
    assert_eq!(not_modified.status(), 304);
    // Every change shows at once: once each event is applied, the next read has it.
    app.pay(&payment_url, CARD_SUCCESS).await;
    let ready = app.wait_for_state(&order_ref, "ready").await;
    let store = app.state.store.clone();
    let row = store
        .order(&simology_proxy::domain::parse_order_ref(&order_ref).expect("ref"))
        .await
        .expect("store")
        .expect("row");
    let now: Value = app.get(&path).await.json().await.expect("json");
    assert_eq!(now["version"].as_i64(), Some(row.version));
    assert_eq!(now, ready);
    let changed = app
        .http
        .get(format!("{}{path}", app.url))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("answer");
    assert_eq!(changed.status(), 200, "an old ETag gets the new state");
    app.stop().await;
}
