//! Two proxy replicas on one PostgreSQL: webhooks reach one, a traveller's long-poll is
//! held by the other, and it wakes on the change (LISTEN/NOTIFY), not at its deadline;
//! and an order of three eSIMs whose webhooks reach both replicas at once, out of order
//! and twice each, ends with exactly its three lines on both. How fast a poll wakes is
//! a figure for `cargo xtask bench`, not for these tests.

use std::time::Duration;

use simology_sandbox::CARD_SUCCESS;

use crate::helpers::*;

#[tokio::test]
#[ignore = "needs PostgreSQL: set PROXY_TEST_DATABASE_URL (cargo xtask test does)"]
async fn a_long_poll_on_one_replica_wakes_when_the_other_applies_the_webhook() {
    assert!(on_postgres(), "this test runs against PostgreSQL only");
    let sandbox = simology_sandbox::spawn(simology_sandbox::SandboxConfig {
        activation_delay: Duration::from_millis(1500),
        ..fast_sandbox()
    })
    .await
    .expect("sandbox");
    let dir = temp_dir("replicas");
    let db = database_url(&dir).await;
    let env = proxy_env(sandbox.url(), &db, &[]);
    let a = serve(&env).await;
    let b = serve(&env).await;
    // Webhooks go to A only.
    sandbox.set_webhook_url(Some(
        format!("{}/webhooks/simology", a.url).parse().expect("url"),
    ));
    let http = http_client();

    // Checkout on B, so both replicas serve the same order from the shared store.
    let (order_ref, payment_url) = checkout_at(&http, &b.url, "JP-1GB-7D").await;
    pay(&http, &payment_url, CARD_SUCCESS).await;

    // Wait on B until provisioning, then hold a long-poll on B for the activation.
    let paid = wait_for_state_at(&http, &b.url, &order_ref, "provisioning").await;
    let version = paid["version"].as_i64().expect("version");
    let changed = long_polls_at(&http, &b.url, "changed").await;
    let deadline = long_polls_at(&http, &b.url, "deadline").await;
    let woke: serde_json::Value = http
        .get(format!(
            "{}/api/orders/{order_ref}?wait=20&version={version}",
            b.url
        ))
        .send()
        .await
        .expect("long-poll")
        .json()
        .await
        .expect("json");
    assert_eq!(woke["state"], "ready", "{woke}");
    // B applied nothing itself: only A's announcement (NOTIFY) can have woken it.
    assert_eq!(
        (
            long_polls_at(&http, &b.url, "changed").await,
            long_polls_at(&http, &b.url, "deadline").await
        ),
        (changed + 1, deadline),
        "woke by the change, not the deadline"
    );
    let delivered_to_a = sandbox
        .deliveries()
        .into_iter()
        .any(|d| d.event_type == "activation.ready" && d.outcome == "delivered");
    assert!(delivered_to_a, "the activation went to A");

    for r in [a, b] {
        let _ = r.stop.send(());
        let _ = r.task.await;
    }
}

/// A relay that forwards each webhook delivery to every replica at once, so that they
/// race to store and apply it; it answers 200 only when every replica took the copy
/// (else the sandbox delivers it again).
async fn fan_out(replicas: Vec<String>) -> (String, tokio::task::JoinHandle<()>) {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("relay binds");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let http = http_client();
    let relay = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (http, replicas) = (http.clone(), replicas.clone());
            async move {
                let mut sends = tokio::task::JoinSet::new();
                for base in &replicas {
                    let mut request = http
                        .post(format!("{base}/webhooks/simology"))
                        .header("content-type", "application/json")
                        .body(body.clone());
                    if let Some(sig) = headers.get("simology-signature") {
                        request = request.header("simology-signature", sig.as_bytes());
                    }
                    sends.spawn(request.send());
                }
                let mut all_took_it = true;
                while let Some(answer) = sends.join_next().await {
                    all_took_it &= answer.is_ok_and(|a| a.is_ok_and(|r| r.status().is_success()));
                }
                if all_took_it {
                    StatusCode::OK
                } else {
                    StatusCode::BAD_GATEWAY
                }
            }
        }),
    );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, relay).await;
    });
    (url, task)
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set PROXY_TEST_DATABASE_URL (cargo xtask test does)"]
async fn three_lines_twice_each_to_both_replicas_make_exactly_three_distinct_lines() {
    assert!(on_postgres(), "this test runs against PostgreSQL only");
    let sandbox = simology_sandbox::spawn(unruly_sandbox())
        .await
        .expect("sandbox");
    let dir = temp_dir("replicas-lines");
    let db = database_url(&dir).await;
    let env = proxy_env(sandbox.url(), &db, &[]);
    let a = serve(&env).await;
    let b = serve(&env).await;
    // Every delivery (each event is sent twice) goes to both replicas at once: four
    // copies of each event race to be stored and applied.
    let (relay, relay_task) = fan_out(vec![a.url.clone(), b.url.clone()]).await;
    sandbox.set_webhook_url(Some(relay.parse().expect("url")));
    let http = http_client();

    let (order_ref, payment_url) = checkout_quantity_at(&http, &a.url, "JP-1GB-7D", 3).await;
    pay(&http, &payment_url, CARD_SUCCESS).await;
    let ready = wait_for_state_at(&http, &b.url, &order_ref, "ready").await;
    let upstream = upstream_order(&sandbox, &order_ref).expect("the upstream order");
    assert_eq!(lines_of(&ready).len(), 3, "{ready}");
    assert_eq!(lines_of(&ready), upstream_lines(&upstream));
    let from_a = wait_for_state_at(&http, &a.url, &order_ref, "ready").await;
    assert_eq!(
        from_a["lines"], ready["lines"],
        "both replicas show the same lines"
    );

    // Completed, paid and three activations: each stored once, the other three copies
    // refused as duplicates, across the two replicas.
    eventually("every copy answered", async || {
        let mut accepted = 0.0;
        let mut duplicate = 0.0;
        for base in [&a.url, &b.url] {
            accepted +=
                metric::<f64>(&http, base, "simology_webhooks_total{outcome=\"accepted\"}").await;
            duplicate += metric::<f64>(
                &http,
                base,
                "simology_webhooks_total{outcome=\"duplicate\"}",
            )
            .await;
        }
        if (accepted, duplicate) == (5.0, 15.0) {
            Ok(())
        } else {
            Err((accepted, duplicate))
        }
    })
    .await;
    let store = &a.state.store;
    let counts = wait_for_events(store, "every event applied", |c| c.waiting == 0).await;
    assert_eq!((counts.stored, counts.processed), (5, 5));

    relay_task.abort();
    for r in [a, b] {
        let _ = r.stop.send(());
        let _ = r.task.await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
