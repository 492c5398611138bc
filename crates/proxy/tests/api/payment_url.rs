//! The upstream's `payment_url` is where the widget sends the traveller's whole window:
//! only an `https:` page (or plain `http:` on loopback, a local sandbox) is stored and
//! answered; anything else is an upstream failure.

use serde_json::Value;
use simology_sandbox::SandboxConfig;

use crate::helpers::*;

/// A sandbox whose payment pages live under `base` (its `public_url`).
fn paying_at(base: &str) -> SandboxConfig {
    SandboxConfig {
        public_url: Some(base.parse().expect("a URL")),
        ..fast_sandbox()
    }
}

#[tokio::test]
async fn unsafe_payment_pages_are_refused_before_they_are_stored() {
    for base in [
        "javascript:alert(document.domain)//",
        "data:text/html,<script>alert(1)</script>",
        "http://pay.example",
    ] {
        let app = spawn_app_with(paying_at(base), &[]).await;
        let body = checkout_body("US-1GB-7D");
        // Twice with the same intent: the retry meets the same check, and nothing
        // unsafe was kept for it to answer from.
        for attempt in 0..2 {
            let r = app.post_checkout(&body).await;
            assert_eq!(r.status(), 502, "{base} (attempt {attempt})");
            let answer: Value = r.json().await.expect("json");
            assert_eq!(answer["error"]["code"], "internal_error", "{answer}");
            assert!(
                !answer
                    .to_string()
                    .contains(base.split(':').next().unwrap_or(base)),
                "the URL is not passed on: {answer}"
            );
        }
        let orders = app.state.store.all_orders().await.expect("orders");
        assert!(
            orders.iter().all(|o| o.payment_url.is_none()),
            "{base}: nothing stored"
        );
        let metrics = app.get("/metrics").await.text().await.expect("text");
        assert!(
            metrics.contains("simology_upstream_errors_total{code=\"unsafe_payment_url\"} 2"),
            "{metrics}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn https_and_loopback_payment_pages_pass() {
    let app = spawn_app_with(paying_at("https://pay.example"), &[]).await;
    let (_, url) = app.checkout("US-1GB-7D").await;
    assert!(url.starts_with("https://pay.example/pay/"), "{url}");
    app.stop().await;
    // The default sandbox pays on its own loopback address over plain http.
    let app = spawn_app().await;
    let (_, url) = app.checkout("US-1GB-7D").await;
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    app.stop().await;
}
