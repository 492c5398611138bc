use simology_proxy::store::EventCounts;
use simology_sandbox::{SandboxConfig, CARD_DECLINED, CARD_PROVISIONING_FAILS, CARD_SUCCESS};

use crate::helpers::*;

#[tokio::test]
async fn the_whole_purchase_over_http() {
    let app = spawn_app().await;
    let (status, destinations) = app.get_json("/api/destinations").await;
    assert_eq!(status, 200);
    let list = destinations["destinations"].as_array().expect("list");
    let us = list.iter().find(|d| d["code"] == "US").expect("US");
    assert_eq!(us["kind"], "country");
    assert!(us["plan_count"].as_u64().expect("count") >= 5);
    assert!(list
        .iter()
        .any(|d| d["code"] == "western-europe" && d["kind"] == "region"));

    let (status, catalog) = app.get_json("/api/catalog?country=US").await;
    assert_eq!(status, 200);
    let plan = catalog["plans"]
        .as_array()
        .expect("plans")
        .iter()
        .find(|p| p["sku"] == "US-5GB-30D")
        .expect("plan");
    assert_eq!(
        plan["price"],
        serde_json::json!({"minor": 1499, "currency": "USD", "decimals": 2})
    );

    let (order_ref, payment_url) = app.checkout("US-5GB-30D").await;
    assert!(order_ref.starts_with("o_") && order_ref.len() == 34);
    assert!(payment_url.starts_with(app.sandbox.url()));
    assert_eq!(app.order(&order_ref).await["state"], "pending");

    let back = app.pay(&payment_url, CARD_SUCCESS).await;
    // The return names the widget (here the default one), never the order.
    assert_eq!(back, format!("{RETURN_URL}#simology-paid=simology"));

    let ready = app.wait_for_state(&order_ref, "ready").await;
    let esim = &ready["esim"];
    let upstream = app.sandbox.orders();
    assert_eq!(upstream.len(), 1);
    let line = upstream[0].line.clone().expect("provisioned");
    assert_eq!(esim["iccid"], line.iccid);
    assert_eq!(esim["lpa"], line.smdp_plus.to_string());
    assert_eq!(esim["smdp_address"], line.smdp_plus.smdp_address());
    assert_eq!(esim["activation_code"], line.smdp_plus.activation_code());
    assert!(esim["valid_until"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert_eq!(ready["plan"]["sku"], "US-5GB-30D");
    assert!(ready["reason"].is_null());
    // The order reference is never an upstream id.
    assert_ne!(order_ref, upstream[0].id);
    app.stop().await;
}

#[tokio::test]
async fn a_declined_card_fails_the_order() {
    let app = spawn_app().await;
    let (order_ref, payment_url) = app.checkout("FR-3GB-15D").await;
    app.pay(&payment_url, CARD_DECLINED).await;
    let failed = app.wait_for_state(&order_ref, "failed").await;
    assert_eq!(failed["reason"], "payment_declined");
    assert!(failed["esim"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn a_provisioning_failure_fails_the_order() {
    let app = spawn_app().await;
    let (order_ref, payment_url) = app.checkout("FR-3GB-15D").await;
    app.pay(&payment_url, CARD_PROVISIONING_FAILS).await;
    let failed = app.wait_for_state(&order_ref, "failed").await;
    assert_eq!(failed["reason"], "provisioning_failed");
    app.stop().await;
}

#[tokio::test]
async fn long_poll_wakes_on_activation() {
    let app = spawn_app_with(
        SandboxConfig {
            activation_delay: std::time::Duration::from_millis(1500),
            ..fast_sandbox()
        },
        &[],
    )
    .await;
    let (order_ref, payment_url) = app.checkout("JP-1GB-7D").await;
    app.pay(&payment_url, CARD_SUCCESS).await;
    let paid = app.wait_for_state(&order_ref, "provisioning").await;
    let version = paid["version"].as_i64().expect("version");
    let (changed, deadline) = (
        app.long_polls("changed").await,
        app.long_polls("deadline").await,
    );
    let (status, ready) = app
        .get_json(&format!(
            "/api/orders/{order_ref}?wait=20&version={version}"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(ready["state"], "ready");
    assert_eq!(
        (
            app.long_polls("changed").await,
            app.long_polls("deadline").await
        ),
        (changed + 1, deadline),
        "woke on the activation, not at the 20 s deadline"
    );
    // A version the widget already has is answered at once.
    let at_once = app.long_polls("at_once").await;
    let (_, same) = app
        .get_json(&format!("/api/orders/{order_ref}?wait=20&version=0"))
        .await;
    assert_eq!(same["state"], "ready");
    assert_eq!(
        app.long_polls("at_once").await,
        at_once + 1,
        "answered at once"
    );
    app.stop().await;
}

#[tokio::test]
async fn duplicate_and_out_of_order_webhooks_end_ready_once() {
    let app = spawn_app_with(unruly_sandbox(), &[]).await;
    let (order_ref, payment_url) = app.checkout("US-1GB-7D").await;
    app.pay(&payment_url, CARD_SUCCESS).await;
    app.wait_for_state(&order_ref, "ready").await;
    // Let the held and duplicated deliveries land, and the proxy process what it stored.
    eventually("every delivery lands", async || {
        match app.sandbox.pending_deliveries() {
            0 => Ok(()),
            pending => Err(pending),
        }
    })
    .await;
    wait_for_events(&app.state.store, "every stored event is processed", |c| {
        c.waiting == 0
    })
    .await;
    let order = app.order(&order_ref).await;
    assert_eq!(
        order["state"], "ready",
        "later paid-phase events do not move it back"
    );
    let deliveries = app.sandbox.deliveries();
    let types: Vec<_> = deliveries
        .iter()
        .filter(|d| d.outcome == "delivered")
        .map(|d| d.event_type.as_str())
        .collect();
    let ready_at = types
        .iter()
        .position(|t| *t == "activation.ready")
        .expect("ready delivered");
    let paid_at = types
        .iter()
        .position(|t| *t == "order.paid")
        .expect("paid delivered");
    assert!(ready_at < paid_at, "out of order: {types:?}");
    assert_eq!(
        types.iter().filter(|t| **t == "activation.ready").count(),
        2,
        "delivered twice"
    );
    assert_eq!(
        app.state.store.event_counts().await.expect("counts"),
        EventCounts {
            stored: 3,
            processed: 3,
            waiting: 0,
            quarantined: 0
        },
        "three distinct events, each stored once"
    );
    app.stop().await;
}
