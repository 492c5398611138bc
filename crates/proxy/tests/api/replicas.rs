//! Two proxy replicas on one PostgreSQL: webhooks reach one, a traveller's long-poll is
//! held by the other, and it wakes within a fraction of a second (LISTEN/NOTIFY).

use std::time::{Duration, Instant};

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
    let mut version = 0;
    for _ in 0..50 {
        let o: serde_json::Value = http
            .get(format!("{}/api/orders/{order_ref}", b.url))
            .send()
            .await
            .expect("status")
            .json()
            .await
            .expect("json");
        version = o["version"].as_i64().expect("version");
        if o["state"] == "provisioning" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let started = Instant::now();
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
    let returned_at = time::OffsetDateTime::now_utc();
    assert_eq!(woke["state"], "ready", "{woke}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "woke by the change, not the deadline"
    );
    // From A receiving activation.ready to B answering: a fraction of a second.
    let sent = sandbox
        .deliveries()
        .into_iter()
        .find(|d| d.event_type == "activation.ready" && d.outcome == "delivered")
        .expect("delivered to A");
    let lag_ms = (returned_at.unix_timestamp_nanos() / 1_000_000) as i64 - sent.sent_at_ms;
    assert!(
        lag_ms < 500,
        "B answered {lag_ms} ms after A got the webhook"
    );

    for r in [a, b] {
        let _ = r.stop.send(());
        let _ = r.task.await;
    }
}
