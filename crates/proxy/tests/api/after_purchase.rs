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
    let done = app.buy_topup(&order_ref, None, "US-1GB-7D").await;
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

/// The address the traveller typed at checkout, distinct enough to be searched for.
const TYPED: &str = "traveller.7c41@example.com";

/// `POST /api/orders/{order_ref}/topups`, or the same for one line, with `email` (none
/// when `None`); returns the status and the answer.
async fn buy_topup(
    app: &TestApp,
    order_ref: &str,
    iccid: Option<&str>,
    email: Option<&str>,
) -> (u16, Value) {
    let mut body = topup_body("US-1GB-7D");
    match email {
        Some(email) => body["email"] = email.into(),
        None => {
            body.as_object_mut().expect("an object").remove("email");
        }
    }
    app.post_topup(order_ref, iccid, &body).await
}

/// The email of the upstream session an order of the proxy made.
async fn session_email(app: &TestApp, order_ref: &str) -> Option<String> {
    upstream_sessions(app.sandbox.url())
        .await
        .iter()
        .find(|s| s["metadata"]["order_ref"] == order_ref)
        .and_then(|s| s["customer_email"].as_str().map(str::to_owned))
}

/// Pays a top-up the proxy started (its answer) and waits until it is applied.
async fn pay_topup(app: &TestApp, started: &Value) {
    app.pay(started["payment_url"].as_str().expect("url"), CARD_SUCCESS)
        .await;
    app.wait_for_state(started["order_ref"].as_str().expect("ref"), "ready")
        .await;
}

#[tokio::test]
async fn a_strangers_unpaid_top_up_leaves_the_travellers_email() {
    let app = spawn_app().await;
    let mut body = checkout_body("US-5GB-30D");
    body["email"] = TYPED.into();
    let r = app.post_checkout(&body).await;
    assert_eq!(r.status(), 200);
    let checkout: Value = r.json().await.expect("json");
    let order_ref = checkout["order_ref"].as_str().expect("ref").to_owned();
    app.pay(checkout["payment_url"].as_str().expect("url"), CARD_SUCCESS)
        .await;
    app.wait_for_state(&order_ref, "ready").await;

    // A stranger who holds the reference starts a top-up with their own address, and
    // never pays (with curl: no widget, no browser).
    let (status, _) = buy_topup(&app, &order_ref, None, Some("stranger.0b7e@example.com")).await;
    assert_eq!(status, 200);

    // The traveller's next top-up, without an email as the widget sends it when one is
    // on file, goes upstream under the traveller's address.
    let (status, topup) = buy_topup(&app, &order_ref, None, None).await;
    assert_eq!(status, 200, "{topup}");
    assert_eq!(
        session_email(&app, topup["order_ref"].as_str().expect("ref"))
            .await
            .as_deref(),
        Some(TYPED),
        "the receipt goes to the traveller"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_top_up_reuses_the_checkouts_email_held_in_memory_only() {
    let mut app = spawn_app().await;
    let mut body = checkout_body("US-5GB-30D");
    body["email"] = TYPED.into();
    let r = app.post_checkout(&body).await;
    assert_eq!(r.status(), 200);
    let checkout: Value = r.json().await.expect("json");
    let order_ref = checkout["order_ref"].as_str().expect("ref").to_owned();
    app.pay(checkout["payment_url"].as_str().expect("url"), CARD_SUCCESS)
        .await;
    let ready = app.wait_for_state(&order_ref, "ready").await;
    let iccid = ready["esim"]["iccid"].as_str().expect("iccid").to_owned();

    // Back from the payment page, the widget knows no email; the order says one is on
    // file, and never which.
    assert_eq!(ready["email_on_file"], true, "{ready}");
    let (_, view) = app.get_json(&format!("/api/orders/{order_ref}")).await;
    let text = view.to_string().to_lowercase();
    assert!(!text.contains("traveller.7c41"), "{text}");

    // A top-up without an email, of the order and of its line: the checkout's email
    // goes upstream.
    for line in [None, Some(iccid.as_str())] {
        let (status, topup) = buy_topup(&app, &order_ref, line, None).await;
        assert_eq!(status, 200, "{line:?}: {topup}");
        let topup_ref = topup["order_ref"].as_str().expect("ref");
        assert_eq!(
            session_email(&app, topup_ref).await.as_deref(),
            Some(TYPED),
            "{line:?}"
        );
    }
    // An empty one is none too.
    let (status, topup) = buy_topup(&app, &order_ref, None, Some("  ")).await;
    assert_eq!(status, 200, "{topup}");

    // A top-up's own email is checked as before, and held for the order's next ones
    // once that top-up is paid.
    let (status, refused) = buy_topup(&app, &order_ref, None, Some("not-an-email")).await;
    assert_eq!(
        (status, refused["error"]["code"].clone()),
        (400, json!("invalid_email"))
    );
    let (status, sams) = buy_topup(&app, &order_ref, None, Some("sam.91d0@example.com")).await;
    assert_eq!(status, 200);
    pay_topup(&app, &sams).await;
    let (status, topup) = buy_topup(&app, &order_ref, Some(&iccid), None).await;
    assert_eq!(status, 200, "{topup}");
    assert_eq!(
        session_email(&app, topup["order_ref"].as_str().expect("ref"))
            .await
            .as_deref(),
        Some("sam.91d0@example.com")
    );

    // A fresh process (a restart, another replica) holds no email: the order says so,
    // and a top-up without one is refused with the email's code, before any session.
    app.restart().await;
    let view = app.order(&order_ref).await;
    assert_eq!(view["email_on_file"], false, "{view}");
    let sessions = app.sandbox_state().await["sessions"].clone();
    for line in [None, Some(iccid.as_str())] {
        let (status, refused) = buy_topup(&app, &order_ref, line, None).await;
        assert_eq!(
            (
                status,
                refused["error"]["code"].clone(),
                refused["error"]["field"].clone()
            ),
            (400, json!("invalid_email"), json!("email")),
            "{line:?}: {refused}"
        );
    }
    assert_eq!(
        app.sandbox_state().await["sessions"],
        sessions,
        "nothing went upstream"
    );
    // Given again, it is held again once that top-up is paid.
    let (status, again) = buy_topup(&app, &order_ref, None, Some(TYPED)).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.order(&order_ref).await["email_on_file"],
        false,
        "not before its payment"
    );
    pay_topup(&app, &again).await;
    assert_eq!(app.order(&order_ref).await["email_on_file"], true);

    // The database holds neither address, anywhere.
    let db = crate::affiliates::database(&app).await;
    for (table, column, value) in crate::affiliates::everything_stored(&db).await {
        let value = value.to_lowercase();
        assert!(
            !value.contains("traveller.7c41") && !value.contains("sam.91d0"),
            "{table}.{column}: {value}"
        );
    }
    app.stop().await;
}
