use serde_json::json;
use simology_proxy::store::EventCounts;

use crate::helpers::*;

fn event_body(id: &str) -> String {
    json!({"type": "payment.failed", "id": id, "created": "2025-01-10T09:20:02Z",
           "data": {"session_id": "cs_unknown", "reason": "card_declined"}})
    .to_string()
}

async fn post(app: &TestApp, body: &str, signature: Option<&str>) -> reqwest::Response {
    let mut r = app
        .http
        .post(format!("{}/webhooks/simology", app.url))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(s) = signature {
        r = r.header("Simology-Signature", s);
    }
    r.send().await.expect("answer")
}

#[tokio::test]
async fn forged_stale_and_unsigned_webhooks_store_nothing() {
    let app = spawn_app().await;
    let body = event_body("evt_forged");
    let forged = simology::webhook::signature_header(body.as_bytes(), &["whsec_attacker"], now());
    let cases = [
        (Some(forged.as_str()), 401),
        (Some(signed(&body, now() - 600).leak() as &str), 401),
        (Some(signed(&body, now() + 600).leak() as &str), 401),
        (None, 400),
        (Some("t=abc,v1=zz"), 400),
    ];
    for (signature, status) in cases {
        let r = post(&app, &body, signature).await;
        assert_eq!(r.status().as_u16(), status, "{signature:?}");
    }
    // A valid signature over another body does not cover this one.
    let other = event_body("evt_other");
    let r = post(&app, &body, Some(&signed(&other, now()))).await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        app.state.store.event_counts().await.expect("counts").stored,
        0,
        "nothing stored"
    );
    let metrics = app.get("/metrics").await.text().await.expect("text");
    assert!(
        metrics.contains("simology_webhooks_total{outcome=\"bad_signature\"} 2"),
        "{metrics}"
    );
    assert!(metrics.contains("simology_webhooks_total{outcome=\"bad_timestamp\"} 2"));
    assert!(metrics.contains("simology_webhooks_total{outcome=\"unsigned\"} 1"));
    app.stop().await;
}

#[tokio::test]
async fn a_verified_event_is_stored_once_and_kept_until_it_applies() {
    let app = spawn_app().await;
    let body = event_body("evt_early");
    let r = post(&app, &body, Some(&signed(&body, now()))).await;
    assert_eq!(r.status(), 200);
    let r = post(&app, &body, Some(&signed(&body, now()))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<serde_json::Value>().await.expect("json")["duplicate"],
        true
    );
    // Its order does not exist here: once the processor has tried it, it stays stored,
    // unprocessed, to be tried again.
    eventually("the processor tries the event", async || {
        let events = app.state.store.events().await.expect("events");
        match events.as_slice() {
            [e] if e.attempts >= 1 => Ok(()),
            other => Err(other.to_vec()),
        }
    })
    .await;
    assert_eq!(
        app.state.store.event_counts().await.expect("counts"),
        EventCounts {
            stored: 1,
            processed: 0,
            waiting: 1,
            quarantined: 0
        }
    );
    app.stop().await;
}

#[tokio::test]
async fn unknown_event_types_are_acknowledged_and_ignored() {
    let app = spawn_app().await;
    let body = json!({"type": "line.suspended", "id": "evt_new_kind", "created": "2025-01-10T09:20:02Z", "data": {}}).to_string();
    let r = post(&app, &body, Some(&signed(&body, now()))).await;
    assert_eq!(r.status(), 200);
    let counts = wait_for_events(&app.state.store, "the event is processed", |c| {
        c.processed == 1
    })
    .await;
    assert_eq!(
        counts,
        EventCounts {
            stored: 1,
            processed: 1,
            waiting: 0,
            quarantined: 0
        }
    );
    app.stop().await;
}
