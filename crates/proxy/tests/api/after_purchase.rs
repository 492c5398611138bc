use serde_json::{json, Value};
use simology_sandbox::CARD_SUCCESS;

use crate::helpers::*;

async fn ready_order(app: &TestApp, sku: &str) -> String {
    let (order_ref, payment_url) = app.checkout(sku).await;
    app.pay(&payment_url, CARD_SUCCESS).await;
    app.wait_for_state(&order_ref, "ready").await;
    order_ref
}

#[tokio::test]
async fn usage_and_a_paid_top_up() {
    let app = spawn_app().await;
    let early = app.checkout("US-5GB-30D").await.0;
    let (s, b) = app.get_json(&format!("/api/orders/{early}/usage")).await;
    assert_eq!(
        (s.as_u16(), b["error"]["code"].clone()),
        (409, Value::from("not_ready"))
    );

    let order_ref = ready_order(&app, "US-5GB-30D").await;
    let (status, usage) = app
        .get_json(&format!("/api/orders/{order_ref}/usage"))
        .await;
    assert_eq!(status, 200, "{usage}");
    let total =
        usage["used_mb"].as_u64().expect("used") + usage["remaining_mb"].as_u64().expect("left");
    assert_eq!(total, 5120);
    assert!(usage["measured_at"].as_str().is_some());

    let (status, offers) = app
        .get_json(&format!("/api/orders/{order_ref}/topups"))
        .await;
    assert_eq!(status, 200);
    let offers = offers["offers"].as_array().expect("offers");
    assert!(offers
        .iter()
        .all(|o| o["destination"] == "US" && o["available"] == true));
    let r = app
        .http
        .post(format!("{}/api/orders/{order_ref}/topups", app.url))
        .header("origin", ORIGIN)
        .json(
            &json!({"sku": "US-1GB-7D", "email": "alex@example.com", "locale": "en",
                      "intent_id": intent(), "return_url": RETURN_URL}),
        )
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 200);
    let topup: Value = r.json().await.expect("json");
    let topup_ref = topup["order_ref"].as_str().expect("ref").to_owned();
    app.pay(topup["payment_url"].as_str().expect("url"), CARD_SUCCESS)
        .await;
    let done = app.wait_for_state(&topup_ref, "ready").await;
    assert_eq!(done["topup_of"], order_ref.as_str());
    assert!(done["esim"].is_null(), "a top-up carries no new eSIM");
    assert_eq!(
        app.sandbox
            .orders()
            .iter()
            .filter(|o| o.line.is_some())
            .count(),
        1,
        "no second line"
    );

    // The usage cache holds for 45 s; the upstream line shows the added data now.
    let iccid = app.order(&order_ref).await["esim"]["iccid"]
        .as_str()
        .expect("iccid")
        .to_owned();
    let line: Value = reqwest::Client::new()
        .get(format!("{}/v1/lines/{iccid}", app.sandbox.url()))
        .bearer_auth(simology_sandbox::DEFAULT_API_KEY)
        .send()
        .await
        .expect("line")
        .json()
        .await
        .expect("json");
    let total = line["data"]["used_mb"].as_u64().expect("used")
        + line["data"]["remaining_mb"].as_u64().expect("left");
    assert_eq!(total, 5120 + 1024);
    app.stop().await;
}

#[tokio::test]
async fn refunds_change_the_order_only_when_processed() {
    let app = spawn_app().await;
    let order_ref = ready_order(&app, "FR-1GB-7D").await;
    let refund = |token: &'static str| {
        app.http
            .post(format!("{}/admin/orders/{order_ref}/refund", app.url))
            .bearer_auth(token)
            .json(&json!({"reason": "requested_by_customer"}))
            .send()
    };
    assert_eq!(
        refund("wrong-token-0123456789")
            .await
            .expect("answer")
            .status(),
        401
    );
    let r = refund(ADMIN_TOKEN).await.expect("answer");
    assert_eq!(r.status(), 202);
    let accepted: Value = r.json().await.expect("json");
    assert_eq!(accepted["status"], "pending");
    let refunded = app.wait_for_state(&order_ref, "refunded").await;
    assert!(refunded["esim"].is_null(), "credentials withdrawn");
    app.stop().await;
}

#[tokio::test]
async fn the_reconciler_finishes_orders_whose_webhooks_never_come() {
    let app = spawn_app_with(fast_sandbox(), &[("PROXY_STALE_AFTER_SECS", "1")]).await;
    app.sandbox.set_webhook_url(None);
    let (order_ref, payment_url) = app.checkout("US-1GB-7D").await;
    app.pay(&payment_url, CARD_SUCCESS).await;
    let ready = app.wait_for_state(&order_ref, "ready").await;
    assert!(ready["esim"]["lpa"]
        .as_str()
        .is_some_and(|l| l.starts_with("LPA:1$")));
    assert_eq!(
        app.state.store.event_counts().await.expect("counts").stored,
        0,
        "no webhook arrived"
    );
    app.stop().await;
}

#[tokio::test]
async fn unpaid_sessions_expire() {
    let app = spawn_app_with(
        simology_sandbox::SandboxConfig {
            session_ttl: std::time::Duration::from_secs(1),
            ..fast_sandbox()
        },
        &[],
    )
    .await;
    let (order_ref, _) = app.checkout("US-1GB-7D").await;
    // The sandbox's payment page lasts a second; then the order shows as expired.
    let order = app.wait_for_state(&order_ref, "expired").await;
    assert_eq!(order["reason"], "payment_expired");
    app.stop().await;
}
