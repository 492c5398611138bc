//! `kill -9` of the proxy process while webhooks arrive, then a restart: every paid
//! order reaches ready exactly once, because the sandbox retries what was missed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use simology_sandbox::{SandboxConfig, CARD_SUCCESS};

use crate::helpers::*;

/// A proxy process, killed (SIGKILL) when dropped, so a failing test leaves none behind.
struct Proxy(Child);

impl Proxy {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.kill();
    }
}

fn start_proxy(env: &[(String, String)]) -> (Proxy, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_simology-proxy"))
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("PROXY_LOG_FORMAT", "text")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("proxy starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("banner");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("banner line")
        .to_owned();
    (Proxy(child), url)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

#[tokio::test]
async fn kill_9_while_webhooks_arrive_then_restart() {
    let sandbox = simology_sandbox::spawn(SandboxConfig {
        activation_delay: Duration::from_millis(400),
        // Retries come 1 m → 100 ms, 5 m → 500 ms, 30 m → 3 s.
        time_scale: 600.0,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox");
    let dir = temp_dir("crash");
    let port = free_port();
    let db = database_url(&dir).await;
    let env = proxy_env(
        sandbox.url(),
        &db,
        &[("PROXY_LISTEN", &format!("127.0.0.1:{port}"))],
    );
    let (mut child, url) = start_proxy(&env);
    sandbox.set_webhook_url(Some(
        format!("{url}/webhooks/simology").parse().expect("url"),
    ));
    let http = http_client();

    let mut refs = Vec::new();
    for _ in 0..8 {
        refs.push(checkout_at(&http, &url, "US-1GB-7D").await);
    }
    // Pay them all; their webhooks start arriving at once, activations 400 ms later.
    for (_, payment_url) in &refs {
        pay(&http, payment_url, CARD_SUCCESS).await;
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    // SIGKILL: no graceful anything.
    child.kill();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (mut child, url2) = start_proxy(&env);
    assert_eq!(url2, url, "same address, so the sandbox's retries reach it");

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    for (order_ref, _) in &refs {
        loop {
            let body: serde_json::Value = http
                .get(format!("{url}/api/orders/{order_ref}?wait=5"))
                .send()
                .await
                .expect("status")
                .json()
                .await
                .expect("json");
            if body["state"] == "ready" {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{order_ref} stuck: {body}"
            );
        }
    }
    // Exactly once: one upstream order per checkout, one stored activation per order.
    assert_eq!(sandbox.orders().len(), refs.len());
    let store = simology_proxy::store::Store::connect(&db)
        .await
        .expect("store");
    // An event the killed proxy had claimed is taken up again by the restarted one once
    // its lease runs out.
    let mut counts = store.event_counts().await.expect("counts");
    for _ in 0..150 {
        if counts.waiting == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        counts = store.event_counts().await.expect("counts");
    }
    child.kill();
    let simology_proxy::store::EventCounts {
        stored,
        processed,
        waiting,
    } = counts;
    assert_eq!(waiting, 0);
    assert_eq!(stored, processed);
    assert_eq!(
        stored,
        3 * refs.len() as i64,
        "each order's three events, each stored once"
    );
    let killed_in_flight = sandbox
        .deliveries()
        .iter()
        .any(|d| d.outcome != "delivered");
    assert!(
        killed_in_flight,
        "the kill made some deliveries fail, so retries were exercised"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
