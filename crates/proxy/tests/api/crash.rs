//! `kill -9` of the proxy process while webhooks arrive, then a restart: every paid
//! order reaches ready exactly once, because the sandbox retries what was missed.

use std::time::Duration;

use simology_sandbox::{SandboxConfig, CARD_SUCCESS};

use crate::helpers::*;

#[tokio::test]
async fn kill_9_while_webhooks_arrive_then_restart() {
    let sandbox = simology_sandbox::spawn(SandboxConfig {
        // Activations come well after the payments' own events, so the kill (at the
        // first delivery) leaves some of them to arrive while the proxy is down.
        activation_delay: Duration::from_secs(1),
        // Retries come 1 m → 100 ms, 5 m → 500 ms, 30 m → 3 s.
        time_scale: 600.0,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox");
    let dir = temp_dir("crash");
    let db = database_url(&dir).await;
    // Port 0: the proxy binds a free port itself and says which.
    let env = proxy_env(sandbox.url(), &db, &[]);
    let mut proxy = ProxyProcess::start(&env, &dir.join("proxy-first.log"));
    let url = proxy.url.clone();
    sandbox.set_webhook_url(Some(
        format!("{url}/webhooks/simology").parse().expect("url"),
    ));
    let http = http_client();

    let mut refs = Vec::new();
    for _ in 0..8 {
        refs.push(checkout_at(&http, &url, "US-1GB-7D").await);
    }
    // Pay them all; their webhooks start arriving at once, activations a second later.
    for (_, payment_url) in &refs {
        pay(&http, payment_url, CARD_SUCCESS).await;
    }
    eventually("a webhook reaches the proxy", async || {
        let deliveries = sandbox.deliveries();
        if deliveries.iter().any(|d| d.outcome == "delivered") {
            Ok(())
        } else {
            Err(deliveries)
        }
    })
    .await;
    // SIGKILL: no graceful anything.
    proxy.kill();
    eventually(
        "a delivery fails while the proxy is down, so retries are exercised",
        async || {
            let deliveries = sandbox.deliveries();
            if deliveries.iter().any(|d| d.outcome != "delivered") {
                Ok(())
            } else {
                Err(deliveries)
            }
        },
    )
    .await;
    // The restarted proxy gets another port; the sandbox is pointed at it, as a load
    // balancer in front would be, and its retries reach it.
    let mut proxy = ProxyProcess::start(&env, &dir.join("proxy-restarted.log"));
    let url = proxy.url.clone();
    sandbox.set_webhook_url(Some(
        format!("{url}/webhooks/simology").parse().expect("url"),
    ));

    for (order_ref, _) in &refs {
        wait_for_state_at(&http, &url, order_ref, "ready").await;
    }
    // Exactly once: one upstream order per checkout, one stored activation per order.
    assert_eq!(sandbox.orders().len(), refs.len());
    let store = simology_proxy::store::Store::connect(&db)
        .await
        .expect("store");
    // An event the killed proxy had claimed is taken up again by the restarted one once
    // its lease runs out.
    let counts = wait_for_events(&store, "every stored event is applied", |c| c.waiting == 0).await;
    proxy.kill();
    assert_eq!(counts.stored, counts.processed);
    assert_eq!(
        counts.stored,
        3 * refs.len() as i64,
        "each order's three events, each stored once"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
