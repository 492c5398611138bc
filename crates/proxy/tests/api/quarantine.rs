//! Store first, judge later: a signed event is stored and answered 2xx whatever its
//! data; one that does not parse, or that no order matches in time, is quarantined
//! (its email removed), counted, listed, and replayable.

use std::time::Duration;

use serde_json::{json, Value};
use simology_proxy::fulfilment::quarantine;
use simology_proxy::store::EventCounts;

use crate::helpers::*;

async fn deliver(app: &TestApp, body: &str) -> reqwest::Response {
    app.http
        .post(format!("{}/webhooks/simology", app.url))
        .header("content-type", "application/json")
        .header("Simology-Signature", signed(body, now()))
        .body(body.to_owned())
        .send()
        .await
        .expect("answer")
}

#[tokio::test]
async fn signed_events_that_do_not_parse_are_stored_answered_and_quarantined() {
    let app = spawn_app().await;
    // A currency code of an unexpected form, with the buyer's email.
    let odd_currency = json!({"type": "order.paid", "id": "evt_currency", "created": "2025-01-10T09:20:02Z",
        "data": {"order_id": "ord_1", "session_id": "cs_1",
                 "items": [{"sku": "US-1GB-7D", "quantity": 1, "unit_price": 4.99, "currency": "usd"}],
                 "customer": {"email": "traveller.one@mail.example"}}})
    .to_string();
    // An amount more precise than its currency allows.
    let over_precise = json!({"type": "refund.processed", "id": "evt_precise", "created": "2025-01-10T09:20:02Z",
        "data": {"refund_id": "rf_1", "order_id": "ord_1", "amount": {"amount": 4.999, "currency": "USD"}}})
    .to_string();
    // A field the schema needs, missing.
    let missing = json!({"type": "activation.ready", "id": "evt_missing", "created": "2025-01-10T09:21:10Z",
        "data": {"order_id": "ord_1", "line": {"iccid": "8988307000000000001",
                 "smdp_plus": "LPA:1$sm-dp-plus.simology.net$K2-TEST-0001", "valid_from": "2025-01-10T09:21:10Z"}}})
    .to_string();
    // Not even an envelope: no id, no type.
    let shapeless = "signed, but not an event: write to ops@partner.example".to_owned();
    for body in [&odd_currency, &over_precise, &missing, &shapeless] {
        let r = deliver(&app, body).await;
        assert_eq!(r.status(), 200, "{body}");
        assert_eq!(r.json::<Value>().await.expect("json")["duplicate"], false);
    }
    // The sender's retry of one is a duplicate, stored once.
    let r = deliver(&app, &over_precise).await;
    assert_eq!(r.json::<Value>().await.expect("json")["duplicate"], true);
    let counts = wait_for_events(&app.state.store, "four events quarantined", |c| {
        c.quarantined == 4
    })
    .await;
    assert_eq!(
        counts,
        EventCounts {
            stored: 4,
            processed: 0,
            waiting: 0,
            quarantined: 4
        }
    );
    let events = app.state.store.events().await.expect("events");
    for e in &events {
        let reason = e.quarantined.as_deref().expect("quarantined");
        assert!(reason.starts_with("does not parse"), "{reason}");
        let kept = e.payload.as_deref().expect("the body is kept");
        assert!(
            !kept.contains("traveller.one") && !kept.contains("ops@"),
            "{kept}"
        );
    }
    let precise = events
        .iter()
        .find(|e| e.event_id == "evt_precise")
        .expect("stored under its id");
    assert!(
        precise
            .payload
            .as_deref()
            .is_some_and(|p| p.contains("4.999")),
        "the rest of the body is kept as it came"
    );
    assert!(events
        .iter()
        .any(|e| e.event_id.starts_with("unidentified_") && e.event_type == "unknown"));

    let metrics = app.get("/metrics").await.text().await.expect("text");
    assert_eq!(
        sample::<u64>(&metrics, "simology_events_stored{state=\"quarantined\"}"),
        Some(4),
        "{metrics}"
    );
    assert_eq!(
        sample::<u64>(
            &metrics,
            "simology_events_processed_total{outcome=\"quarantined\"}"
        ),
        Some(4)
    );
    assert_eq!(
        sample::<u64>(&metrics, "simology_webhooks_total{outcome=\"accepted\"}"),
        Some(4)
    );

    let (ok, listed, err) = app.command(&["events", "--quarantined"]);
    assert!(ok, "{err}");
    for id in [
        "evt_currency",
        "evt_precise",
        "evt_missing",
        "unidentified_",
    ] {
        assert!(listed.contains(id), "{id} listed:\n{listed}");
    }
    assert!(listed.contains("does not parse"), "{listed}");
    // A replay judges it again: it still does not parse, so it is quarantined again.
    let (ok, _, err) = app.command(&["events", "replay", "evt_missing"]);
    assert!(!ok && err.contains("quarantined again"), "{err}");
    let (ok, _, err) = app.command(&["events", "replay", "evt_nope"]);
    assert!(!ok && err.contains("not a quarantined event"), "{err}");
    app.stop().await;
}

#[tokio::test]
async fn an_event_no_order_matches_is_quarantined_at_the_end_of_its_window_then_replayed() {
    // The window is the sender's 48 hours; here it is over at once.
    let app = spawn_app_tuned(fast_sandbox(), &[], |s| {
        s.unmatched_event_window = Duration::ZERO;
    })
    .await;
    let (order_ref, _) = app.checkout("US-1GB-7D").await;
    let session_id = app
        .state
        .store
        .order(&simology_proxy::domain::parse_order_ref(&order_ref).expect("ref"))
        .await
        .expect("read")
        .expect("the order")
        .session_id
        .expect("its session");
    // The eSIM of an upstream order nothing here names yet.
    let ready = json!({"type": "activation.ready", "id": "evt_early_ready", "created": "2025-01-10T09:21:10Z",
        "data": {"order_id": "ord_not_linked", "line": {"iccid": "8988307000000000002",
                 "smdp_plus": "LPA:1$sm-dp-plus.simology.net$K2-TEST-0002",
                 "valid_from": "2025-01-10T09:21:10Z", "expires_at": "2025-02-09T09:21:10Z"}}})
    .to_string();
    assert_eq!(deliver(&app, &ready).await.status(), 200);
    wait_for_events(&app.state.store, "the unmatched event quarantined", |c| {
        c.quarantined == 1
    })
    .await;
    let events = app.state.store.events().await.expect("events");
    assert!(
        events[0]
            .quarantined
            .as_deref()
            .is_some_and(|r| r.starts_with("no order matched")),
        "{events:?}"
    );
    // It is no longer due: the processor leaves it alone.
    assert!(app
        .state
        .store
        .claim_due_events(10, Duration::from_secs(5))
        .await
        .expect("claim")
        .is_empty());

    // Then the event that links the upstream order arrives...
    let completed = json!({"type": "checkout.completed", "id": "evt_completed", "created": "2025-01-10T09:20:02Z",
        "data": {"session_id": session_id, "order_id": "ord_not_linked", "metadata": {"order_ref": order_ref}}})
    .to_string();
    assert_eq!(deliver(&app, &completed).await.status(), 200);
    app.wait_for_state(&order_ref, "paid").await;
    // ... and the operator replays the quarantined one from the command line; the
    // status the proxy serves from memory shows it applied.
    let (ok, out, err) = app.command(&["events", "replay", "evt_early_ready"]);
    assert!(ok, "{err}");
    // On SQLite the serving proxy applies it (the only writer of orders); on
    // PostgreSQL the command does, and NOTIFY tells the proxy.
    let said = if app.state.store.backend() == simology_proxy::store::Backend::Postgres {
        "evt_early_ready applied"
    } else {
        "evt_early_ready is out of quarantine"
    };
    assert!(out.contains(said), "{out}");
    let order = app.wait_for_state(&order_ref, "ready").await;
    assert_eq!(order["esim"]["iccid"], "8988307000000000002");
    assert_eq!(
        quarantine::replay(&app.state, "evt_early_ready")
            .await
            .expect("replay"),
        None,
        "no longer quarantined"
    );
    app.stop().await;
}
