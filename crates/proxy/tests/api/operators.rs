//! What faces operators: `/admin` behind a throttled token, on its own listener if
//! asked, and `/metrics` behind a bearer token if asked.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

/// A well-formed reference of no order: past the token check, the refund answers 404.
const NO_ORDER: &str = "o_0123456789abcdef0123456789abcdef";

async fn refund(http: &reqwest::Client, base: &str, token: &str) -> reqwest::Response {
    http.post(format!("{base}/admin/orders/{NO_ORDER}/refund"))
        .bearer_auth(token)
        .send()
        .await
        .expect("answer")
}

#[tokio::test]
async fn failed_admin_authentications_are_throttled() {
    let app = spawn_app().await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            refund(&app.http, &app.url, "wrong-token-0123456789abcdef012345")
                .await
                .status(),
        );
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 429],
        "three failures, then the client is throttled"
    );
    // Throttled: even the right token is not compared, so a guess says nothing.
    let r = refund(&app.http, &app.url, ADMIN_TOKEN).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!(wait >= 1);
    assert_eq!(
        r.json::<Value>().await.expect("json")["error"]["code"],
        "rate_limited"
    );
    let metrics = app.get("/metrics").await.text().await.expect("text");
    assert!(
        metrics.contains("simology_admin_auth_failures_total 4"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn admin_and_metrics_move_to_their_own_listener() {
    let app = spawn_app_with(fast_sandbox(), &[("PROXY_ADMIN_LISTEN", "127.0.0.1:0")]).await;
    let admin = app.admin_url.clone().expect("an admin listener");
    assert_ne!(admin, app.url);
    // Gone from the public listener...
    assert_eq!(refund(&app.http, &app.url, ADMIN_TOKEN).await.status(), 404);
    assert_eq!(app.get("/metrics").await.status(), 404);
    assert_eq!(app.get("/healthz").await.status(), 200, "the rest stays");
    // ... and served on the admin one, with its token check.
    let r = refund(&app.http, &admin, ADMIN_TOKEN).await;
    assert_eq!(r.status(), 404, "past the token: no such order");
    assert_eq!(
        r.json::<Value>().await.expect("json")["error"]["code"],
        "not_found"
    );
    assert_eq!(
        refund(&app.http, &admin, "wrong-token-0123456789abcdef012345")
            .await
            .status(),
        401
    );
    let metrics = app
        .http
        .get(format!("{admin}/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(metrics.status(), 200);
    assert!(metrics
        .text()
        .await
        .expect("text")
        .contains("simology_webhooks_total"));
    let api = app
        .http
        .get(format!("{admin}/api/destinations"))
        .send()
        .await
        .expect("answer");
    assert_eq!(
        api.status(),
        404,
        "the widget's API is not on the admin listener"
    );
    app.stop().await;
}

#[tokio::test]
async fn metrics_can_require_a_bearer_token() {
    let token = "metrics-token-0123456789abcdef0123";
    let app = spawn_app_with(fast_sandbox(), &[("PROXY_METRICS_TOKEN", token)]).await;
    let metrics = |bearer: Option<&'static str>| {
        let mut r = app.http.get(format!("{}/metrics", app.url));
        if let Some(b) = bearer {
            r = r.bearer_auth(b);
        }
        r.send()
    };
    assert_eq!(metrics(None).await.expect("answer").status(), 401);
    assert_eq!(
        metrics(Some("metrics-token-0123456789abcdef0124"))
            .await
            .expect("answer")
            .status(),
        401
    );
    let r = metrics(Some(token)).await.expect("answer");
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .expect("text")
        .contains("simology_webhooks_total"));
    app.stop().await;
}
