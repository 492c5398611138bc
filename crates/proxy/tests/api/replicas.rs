//! Two proxy replicas on one PostgreSQL: webhooks reach one, a traveller's long-poll is
//! held by the other, and it wakes on the change (LISTEN/NOTIFY), not at its deadline.
//! How fast it wakes is a figure for `cargo xtask bench`, not for this test.

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
