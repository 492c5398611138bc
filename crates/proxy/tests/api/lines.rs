//! Orders of several eSIMs: one line per traveller, each delivered by its own
//! `activation.ready` (in any order, any number of times), each with its own usage,
//! top-ups and refund; lines that do not arrive are chased by the reconciler and, past
//! its window, flagged; and quantities the proxy cannot deliver are refused before any
//! payment.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use simology_sandbox::{Faults, SandboxConfig, CARD_SUCCESS};

use crate::helpers::*;

/// Buys `quantity` eSIMs of `sku` and waits until the order is ready.
async fn ready_order(app: &TestApp, sku: &str, quantity: u32) -> (String, Value) {
    let (order_ref, payment_url) = app.checkout_quantity(sku, quantity).await;
    app.pay(&payment_url, CARD_SUCCESS).await;
    let ready = app.wait_for_state(&order_ref, "ready").await;
    (order_ref, ready)
}

#[tokio::test]
async fn three_lines_out_of_order_and_twice_each_make_exactly_three_distinct_lines() {
    let app = spawn_app_with(unruly_sandbox(), &[]).await;
    let (order_ref, ready) = ready_order(&app, "JP-1GB-7D", 3).await;

    let upstream = upstream_order(&app.sandbox, &order_ref).expect("the upstream order");
    let lines = lines_of(&ready);
    assert_eq!(lines.len(), 3, "{ready}");
    assert_eq!(
        lines,
        upstream_lines(&upstream),
        "the upstream's very lines"
    );
    let codes: BTreeSet<&String> = lines.values().collect();
    assert_eq!(codes.len(), 3, "three different activation codes");
    assert_eq!(
        (ready["lines_ready"].clone(), ready["lines_total"].clone()),
        (json!(3), json!(3))
    );
    assert!(ready["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .all(|l| l["state"] == "ready" && l["esim"]["iccid"] == l["iccid"]));
    // The one-eSIM view the current widget reads: the first line.
    assert_eq!(ready["esim"], ready["lines"][0]["esim"]);

    // Each activation came twice, and was stored and applied once.
    let deliveries = app.sandbox.deliveries();
    let activations: BTreeSet<&str> = deliveries
        .iter()
        .filter(|d| d.event_type == "activation.ready")
        .map(|d| d.event_id.as_str())
        .collect();
    assert_eq!(activations.len(), 3);
    for id in &activations {
        let delivered = deliveries
            .iter()
            .filter(|d| d.event_id == *id && d.outcome == "delivered")
            .count();
        assert_eq!(delivered, 2, "{id} delivered twice");
    }
    let counts = wait_for_events(&app.state.store, "every delivery stored once", |c| {
        c.waiting == 0 && c.stored == 5
    })
    .await;
    assert_eq!(counts.processed, 5, "completed, paid and three activations");
    app.stop().await;
}

#[tokio::test]
async fn usage_and_a_top_up_for_line_2_leave_lines_1_and_3_untouched() {
    let app = spawn_app().await;
    let (order_ref, ready) = ready_order(&app, "US-5GB-30D", 3).await;
    let iccids: Vec<String> = lines_of(&ready).into_keys().collect();
    assert_eq!(iccids.len(), 3);
    let sandbox = reqwest::Client::new();
    // Each line its own usage upstream.
    for (n, iccid) in iccids.iter().enumerate() {
        let r = sandbox
            .put(format!("{}/sandbox/lines/{iccid}/usage", app.sandbox.url()))
            .json(&json!({"used_mb": 100 * (n + 1)}))
            .send()
            .await
            .expect("usage set");
        assert_eq!(r.status(), 204);
    }
    let usage = async |iccid: &str| {
        app.get_json(&format!("/api/orders/{order_ref}/lines/{iccid}/usage"))
            .await
    };
    for (n, iccid) in iccids.iter().enumerate() {
        let (status, u) = usage(iccid).await;
        assert_eq!(status, 200, "{u}");
        assert_eq!(
            (u["used_mb"].clone(), u["remaining_mb"].clone()),
            (json!(100 * (n + 1)), json!(5120 - 100 * (n + 1)))
        );
    }
    // The order-level route is the line of the order's `esim`: the first.
    let (_, first) = app
        .get_json(&format!("/api/orders/{order_ref}/usage"))
        .await;
    assert_eq!(first["used_mb"], 100);
    let (status, none) = usage("8988307000000000000").await;
    assert_eq!(
        (status.as_u16(), none["error"]["code"].clone()),
        (404, json!("not_found"))
    );

    // A top-up for line 2, bought on its own route.
    let (status, offers) = app
        .get_json(&format!(
            "/api/orders/{order_ref}/lines/{}/topups",
            iccids[1]
        ))
        .await;
    assert_eq!(status, 200);
    assert!(offers["offers"]
        .as_array()
        .is_some_and(|o| o.iter().any(|p| p["sku"] == "US-1GB-7D")));
    let done = app
        .buy_topup(&order_ref, Some(&iccids[1]), "US-1GB-7D")
        .await;
    assert_eq!(
        (done["topup_of"].clone(), done["topup_line"].clone()),
        (json!(order_ref), json!(iccids[1]))
    );
    assert_eq!(done["lines"], json!([]), "a top-up makes no line");

    // Line 2 has the data (its cached usage was dropped); lines 1 and 3 are as they were.
    for (n, iccid) in iccids.iter().enumerate() {
        let (_, u) = usage(iccid).await;
        let total =
            u["used_mb"].as_u64().expect("used") + u["remaining_mb"].as_u64().expect("left");
        let expected = if n == 1 { 5120 + 1024 } else { 5120 };
        assert_eq!(
            (total, u["used_mb"].clone()),
            (expected, json!(100 * (n + 1))),
            "line {}",
            n + 1
        );
    }
    let order = app.order(&order_ref).await;
    assert_eq!(
        lines_of(&order),
        lines_of(&ready),
        "the order's lines are unchanged"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_line_refund_stops_that_line_alone_and_the_order_ends_refunded_with_its_last() {
    let app = spawn_app().await;
    let (order_ref, ready) = ready_order(&app, "FR-1GB-7D", 3).await;
    let iccids: Vec<String> = lines_of(&ready).into_keys().collect();
    let line_state = |order: &Value, iccid: &str| {
        order["lines"]
            .as_array()
            .and_then(|ls| ls.iter().find(|l| l["iccid"] == iccid))
            .map(|l| l["state"].clone())
    };

    // Line 1 by the admin route.
    let (status, body) = app
        .admin_refund(
            &order_ref,
            &json!({"iccid": iccids[0], "reason": "requested_by_customer"}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        (body["status"].clone(), body["iccid"].clone()),
        (json!("pending"), json!(iccids[0]))
    );
    // Asked again: the same refund.
    let (_, again) = app
        .admin_refund(&order_ref, &json!({"iccid": iccids[0]}))
        .await;
    assert_eq!(again["refund_id"], body["refund_id"]);
    let after = app
        .wait_for_order(&order_ref, "line 1 refunded", |o| {
            line_state(o, &iccids[0]) == Some(json!("refunded"))
        })
        .await;
    assert_eq!(
        after["state"], "ready",
        "a partly refunded order stays ready"
    );
    assert!(
        after["lines"][0]["esim"].is_null(),
        "the refunded line's credentials are withdrawn"
    );
    assert_eq!(line_state(&after, &iccids[1]), Some(json!("ready")));
    assert_eq!(
        after["esim"]["iccid"], iccids[1],
        "the one-eSIM view moves to a working line"
    );
    let (status, refused) = app
        .get_json(&format!(
            "/api/orders/{order_ref}/lines/{}/usage",
            iccids[0]
        ))
        .await;
    assert_eq!(
        (status.as_u16(), refused["error"]["code"].clone()),
        (409, json!("not_ready"))
    );
    let upstream = upstream_order(&app.sandbox, &order_ref).expect("upstream");
    assert_eq!(upstream.status, simology::models::OrderStatus::Ready);

    // Line 2 from the command line.
    let out = app.cli(&["refund", &order_ref, "--line", &iccids[1]]).await;
    assert!(
        out.contains(&format!("the line {} changes", iccids[1])),
        "{out}"
    );
    app.wait_for_order(&order_ref, "line 2 refunded", |o| {
        line_state(o, &iccids[1]) == Some(json!("refunded"))
    })
    .await;
    // An ICCID the order does not have.
    let (status, _) = app
        .admin_refund(&order_ref, &json!({"iccid": "8988307000000000000"}))
        .await;
    assert_eq!(status, 404);

    // Line 3, the last: the order is refunded.
    let (status, _) = app
        .admin_refund(&order_ref, &json!({"iccid": iccids[2]}))
        .await;
    assert_eq!(status, 202);
    let refunded = app.wait_for_state(&order_ref, "refunded").await;
    assert!(refunded["esim"].is_null());
    assert!(refunded["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .all(|l| l["state"] == "refunded" && l["esim"].is_null()));
    assert_eq!(refunded["lines_ready"], 3);
    app.stop().await;
}

#[tokio::test]
async fn a_whole_refund_of_an_order_of_several_stops_every_line() {
    let app = spawn_app().await;
    let (order_ref, _) = ready_order(&app, "FR-1GB-7D", 2).await;
    let (status, body) = app.admin_refund(&order_ref, &json!({})).await;
    assert_eq!(status, 202, "{body}");
    assert!(body.get("iccid").is_none(), "{body}");
    let refunded = app.wait_for_state(&order_ref, "refunded").await;
    assert_eq!(lines_of(&refunded).len(), 2);
    assert!(refunded["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .all(|l| l["state"] == "refunded"));
    app.stop().await;
}

#[tokio::test]
async fn a_withheld_line_is_flagged_past_the_window_then_found_by_the_reconciler() {
    // The reconciler's window: twice PROXY_STALE_AFTER_SECS.
    let app = spawn_app_with(
        SandboxConfig {
            faults: Faults {
                withhold_lines: 1,
                ..Faults::default()
            },
            ..fast_sandbox()
        },
        &[("PROXY_STALE_AFTER_SECS", "1")],
    )
    .await;
    let (order_ref, payment_url) = app.checkout_quantity("JP-1GB-7D", 3).await;
    app.pay(&payment_url, CARD_SUCCESS).await;
    let partial = app
        .wait_for_order(&order_ref, "2 of 3 lines", |o| o["lines_ready"] == 2)
        .await;
    assert_eq!(
        (
            partial["state"].clone(),
            partial["lines_total"].clone(),
            partial["esim"].clone()
        ),
        (json!("provisioning"), json!(3), Value::Null),
        "not ready with a line missing"
    );
    assert!(partial["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .all(|l| l["state"] == "ready"));

    // Flagged in /metrics and by the command, once past the window.
    eventually("the order is flagged incomplete", async || {
        match app.metric("simology_orders_incomplete").await {
            Some(1.0) => Ok(()),
            other => Err(other),
        }
    })
    .await;
    let listed = app.cli(&["orders", "--incomplete"]).await;
    let row = listed
        .lines()
        .find(|l| l.starts_with(&order_ref))
        .unwrap_or_else(|| panic!("{order_ref} is listed: {listed}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        &cells[..5],
        [order_ref.as_str(), "esim", "provisioning", "3", "2"],
        "{row}"
    );
    assert!(row.ends_with("since payment"), "{row}");

    // The line is provisioned upstream, but its webhook never comes: the reconciler
    // finds it in the upstream order.
    let upstream = upstream_order(&app.sandbox, &order_ref).expect("upstream");
    let released = app
        .sandbox
        .release_lines(&upstream.id, false)
        .expect("released");
    assert_eq!(released.provisioned.len(), 1);
    let ready = app.wait_for_state(&order_ref, "ready").await;
    let upstream = upstream_order(&app.sandbox, &order_ref).expect("upstream");
    assert_eq!(lines_of(&ready), upstream_lines(&upstream));
    assert_eq!(ready["lines_ready"], 3);
    let activations = app
        .state
        .store
        .events()
        .await
        .expect("events")
        .iter()
        .filter(|e| e.event_type == "activation.ready")
        .count();
    assert_eq!(
        activations, 2,
        "the third line came from the reconciler, not a webhook"
    );
    // The gauge is read from the store at most every few seconds.
    eventually("the order is no longer flagged", async || {
        match app.metric("simology_orders_incomplete").await {
            Some(0.0) => Ok(()),
            other => Err(other),
        }
    })
    .await;
    let listed = app.cli(&["orders", "--incomplete"]).await;
    assert!(
        listed.contains("no paid order is short of lines"),
        "{listed}"
    );
    app.stop().await;
}

#[tokio::test]
async fn quantities_the_proxy_cannot_deliver_are_refused_before_payment() {
    let sandbox = simology_sandbox::spawn(fast_sandbox())
        .await
        .expect("sandbox");
    // A plan whose eSIMs do not install from an LPA string, in the catalogue from the
    // start.
    let mut manual = simology_sandbox::catalog::drifted_item();
    manual["sku"] = "US-MANUAL-1GB-7D".into();
    manual["price"] = json!({"amount": 4.99, "currency": "USD"});
    manual["activation_method"] = "manual".into();
    sandbox.set_catalog_drift(vec![manual]);
    let dir = temp_dir("quantity");
    let db = database_url(&dir).await;
    let served = serve(&proxy_env(
        sandbox.url(),
        &db,
        &[("PROXY_MAX_ESIMS_PER_ORDER", "3")],
    ))
    .await;
    let http = http_client();
    let refused = async |sku: &str, quantity: u32| {
        let r = post_checkout_at(&http, &served.url, &checkout_body_for(sku, quantity)).await;
        let status = r.status().as_u16();
        let body: Value = r.json().await.expect("json");
        (
            status,
            body["error"]["code"].clone(),
            body["error"]["field"].clone(),
            body["error"]["message"].clone(),
        )
    };
    assert_eq!(
        refused("US-1GB-7D", 4).await,
        (
            409,
            json!("quantity_unavailable"),
            json!("quantity"),
            json!("at most 3 eSIMs can be bought in one order")
        )
    );
    assert_eq!(
        refused("US-MANUAL-1GB-7D", 2).await,
        (
            409,
            json!("quantity_unavailable"),
            json!("quantity"),
            json!("this plan is sold one eSIM per order")
        )
    );
    let sessions = upstream_sessions(sandbox.url()).await;
    assert_eq!(json!(sessions), json!([]), "no upstream session was made");
    // Within the limit, a plan installed by LPA string sells several.
    let (order_ref, _) = checkout_quantity_at(&http, &served.url, "US-1GB-7D", 3).await;
    let r = http
        .get(format!("{}/api/orders/{order_ref}", served.url))
        .send()
        .await
        .expect("order");
    let order: Value = r.json().await.expect("json");
    assert_eq!(
        (order["lines_total"].clone(), order["lines_ready"].clone()),
        (json!(3), json!(0))
    );
    let _ = served.stop.send(());
    let _ = served.task.await;
    let _ = std::fs::remove_dir_all(&dir);
}
