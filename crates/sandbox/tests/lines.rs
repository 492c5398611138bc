//! Orders of several eSIMs: one line and one `activation.ready` per unit, usage and
//! top-ups per line, per-line refunds, and lines held back until released. Each test
//! runs a sandbox on loopback with a webhook receiver that verifies every delivery.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use simology::events::{ActivationReady, Event, EventPayload};
use simology::models::{
    CheckoutSessionRequest, Customer, LineItem, LineRefundRequest, LineState, Order, OrderStatus,
    RefundRequest, TopupRequest,
};
use simology::{Client, ClientConfig, Error};
use simology_sandbox::wait::eventually;
use simology_sandbox::{
    Faults, RunningSandbox, SandboxConfig, CARD_PROVISIONING_FAILS, CARD_SUCCESS, DEFAULT_API_KEY,
    DEFAULT_WEBHOOK_SECRET,
};
use time::OffsetDateTime;

/// A webhook endpoint that verifies each delivery with the SDK and keeps the events.
struct Receiver {
    url: url::Url,
    events: Arc<Mutex<Vec<Event>>>,
    rejected: Arc<Mutex<u32>>,
}

async fn receiver() -> Receiver {
    let events = Arc::new(Mutex::new(Vec::new()));
    let rejected = Arc::new(Mutex::new(0));
    let (e, r) = (Arc::clone(&events), Arc::clone(&rejected));
    let app = Router::new().route(
        "/webhooks",
        post(move |headers: HeaderMap, body: Bytes| {
            let (e, r) = (Arc::clone(&e), Arc::clone(&r));
            async move {
                let header = headers
                    .get("simology-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let secrets = [DEFAULT_WEBHOOK_SECRET.to_owned()];
                match simology::webhook::verify(&body, header, &secrets, OffsetDateTime::now_utc())
                {
                    Ok(event) => {
                        e.lock().expect("lock").push(event);
                        StatusCode::OK
                    }
                    Err(_) => {
                        *r.lock().expect("lock") += 1;
                        StatusCode::BAD_REQUEST
                    }
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver {
        url: url::Url::parse(&format!("http://{addr}/webhooks")).expect("url"),
        events,
        rejected,
    }
}

impl Receiver {
    fn of_type(&self, event_type: &str) -> Vec<Event> {
        self.events
            .lock()
            .expect("lock")
            .iter()
            .filter(|e| e.payload.event_type() == event_type)
            .cloned()
            .collect()
    }

    /// Waits until `n` events of this type about `order_id` arrived, and returns them.
    async fn wait_for(&self, event_type: &str, order_id: &str, n: usize) -> Vec<Event> {
        eventually(format!("{n} {event_type} for {order_id}"), || async {
            let found: Vec<Event> = self
                .of_type(event_type)
                .into_iter()
                .filter(|e| e.payload.order_id() == Some(order_id))
                .collect();
            if found.len() >= n {
                Ok(found)
            } else {
                Err(format!("{} of them", found.len()))
            }
        })
        .await
    }

    fn rejected(&self) -> u32 {
        *self.rejected.lock().expect("lock")
    }
}

struct TestApp {
    sandbox: RunningSandbox,
    client: Client,
    receiver: Receiver,
}

async fn spawn_app(faults: Faults) -> TestApp {
    let receiver = receiver().await;
    let sandbox = simology_sandbox::spawn(SandboxConfig {
        webhook_url: Some(receiver.url.clone()),
        activation_delay: Duration::from_millis(50),
        refund_delay: Duration::from_millis(50),
        faults,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox");
    let config = ClientConfig::new(DEFAULT_API_KEY)
        .expect("sandbox key")
        .with_base_url(sandbox.url())
        .expect("loopback URL");
    let client = Client::new(config).expect("client");
    TestApp {
        sandbox,
        client,
        receiver,
    }
}

impl TestApp {
    /// Buys `quantity` eSIMs of `sku` with `card` and returns the order id.
    async fn buy(&self, sku: &str, quantity: u32, card: &str) -> String {
        let session = self
            .client
            .create_checkout_session(
                &CheckoutSessionRequest {
                    customer: Customer {
                        email: "alex@example.com".into(),
                        country: None,
                    },
                    items: vec![LineItem {
                        sku: sku.into(),
                        quantity,
                    }],
                    success_url: "https://shop.example/ok?s={SESSION_ID}".into(),
                    cancel_url: "https://shop.example/cancel".into(),
                    metadata: Default::default(),
                },
                None,
            )
            .await
            .expect("session");
        let paid = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .post(&session.payment_url)
            .form(&[("card", card), ("action", "pay")])
            .send()
            .await
            .expect("pay");
        assert_eq!(paid.status(), StatusCode::SEE_OTHER);
        let session = self
            .client
            .checkout_session(&session.id)
            .await
            .expect("session");
        session.value.order_id.clone().expect("paid: an order")
    }

    async fn order(&self, order_id: &str) -> Order {
        self.client.order(order_id).await.expect("order").value
    }

    async fn control(&self, path: &str, body: Option<serde_json::Value>) -> reqwest::Response {
        let request = reqwest::Client::new().post(format!("{}{path}", self.sandbox.url()));
        let request = match body {
            Some(b) => request.json(&b),
            None => request,
        };
        request.send().await.expect("answer")
    }
}

fn ready_data(events: &[Event]) -> Vec<ActivationReady> {
    events
        .iter()
        .map(|e| match &e.payload {
            EventPayload::ActivationReady(d) => d.clone(),
            other => panic!("not activation.ready: {other:?}"),
        })
        .collect()
}

fn luhn_valid(number: &str) -> bool {
    let sum: u32 = number
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| match (i % 2, d * 2) {
            (1, x) if x > 9 => x - 9,
            (1, x) => x,
            _ => d,
        })
        .sum();
    sum.is_multiple_of(10)
}

#[tokio::test]
async fn three_esims_are_three_lines_each_with_its_own_activation() {
    let app = spawn_app(Faults::default()).await;
    let order_id = app.buy("US-5GB-30D", 3, CARD_SUCCESS).await;
    let events = app
        .receiver
        .wait_for("activation.ready", &order_id, 3)
        .await;
    let ready = ready_data(&events);

    let event_ids: HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(event_ids.len(), 3, "an event id each");
    let iccids: HashSet<&str> = ready.iter().map(|r| r.line.iccid.as_str()).collect();
    assert_eq!(iccids.len(), 3, "three ICCIDs: {iccids:?}");
    for iccid in &iccids {
        assert_eq!(iccid.len(), 19, "{iccid}");
        assert!(iccid.starts_with("8988307"), "{iccid}");
        assert!(luhn_valid(iccid), "{iccid} has a valid Luhn digit");
    }
    let codes: HashSet<String> = ready.iter().map(|r| r.line.smdp_plus.to_string()).collect();
    assert_eq!(codes.len(), 3, "three LPA strings");

    let order = app.order(&order_id).await;
    assert_eq!(order.status, OrderStatus::Ready);
    assert_eq!(order.items[0].quantity, 3);
    assert_eq!(order.lines.len(), 3);
    let mut from_events: Vec<_> = ready.iter().map(|r| r.line.clone()).collect();
    let mut listed = order.lines.clone();
    from_events.sort_by(|a, b| a.iccid.cmp(&b.iccid));
    listed.sort_by(|a, b| a.iccid.cmp(&b.iccid));
    assert_eq!(
        listed, from_events,
        "the order lists the lines the events carried"
    );
    assert_eq!(
        order.line.as_ref(),
        order.lines.first(),
        "line is the first"
    );
    for line in &order.lines {
        let status = app.client.line(&line.iccid).await.expect("line");
        assert_eq!(status.data.used_mb + status.data.remaining_mb, 5120);
    }
    assert_eq!(app.receiver.of_type("order.paid").len(), 1);
    assert_eq!(app.receiver.rejected(), 0, "every delivery verified");
}

#[tokio::test]
async fn usage_and_top_ups_belong_to_one_line() {
    let app = spawn_app(Faults::default()).await;
    let order_id = app.buy("US-5GB-30D", 3, CARD_SUCCESS).await;
    app.receiver
        .wait_for("activation.ready", &order_id, 3)
        .await;
    let order = app.order(&order_id).await;
    let [one, two, three] = [0, 1, 2].map(|i| order.lines[i].iccid.clone());

    let usage = reqwest::Client::new()
        .put(format!("{}/sandbox/lines/{two}/usage", app.sandbox.url()))
        .json(&serde_json::json!({"used_mb": 700}))
        .send()
        .await
        .expect("answer");
    assert_eq!(usage.status(), StatusCode::NO_CONTENT);
    let topup = app
        .client
        .create_topup(
            &TopupRequest {
                iccid: two.clone(),
                sku: "US-1GB-7D".into(),
            },
            None,
        )
        .await
        .expect("top-up");
    assert_eq!(topup.iccid, two);

    let line = app.client.line(&two).await.expect("line 2");
    assert_eq!(line.data.used_mb, 700);
    assert_eq!(line.data.remaining_mb, 5120 + 1024 - 700);
    for other in [&one, &three] {
        let line = app.client.line(other).await.expect("another line");
        assert_eq!(
            line.data.used_mb + line.data.remaining_mb,
            5120,
            "{other}: no top-up"
        );
        assert!(line.data.used_mb < 700, "{other}: its own usage");
    }
}

#[tokio::test]
async fn a_line_refund_stops_that_line_alone() {
    let app = spawn_app(Faults::default()).await;
    let order_id = app.buy("US-5GB-30D", 3, CARD_SUCCESS).await;
    app.receiver
        .wait_for("activation.ready", &order_id, 3)
        .await;
    let order = app.order(&order_id).await;
    let [one, two, three] = [0, 1, 2].map(|i| order.lines[i].iccid.clone());

    let line_refund = LineRefundRequest {
        order_id: order_id.clone(),
        iccid: two.clone(),
        reason: Some("requested_by_customer".into()),
    };
    let refund = app
        .client
        .create_line_refund(&line_refund, Some("refund-line-2"))
        .await
        .expect("refund of line 2");
    assert_eq!(refund.iccid.as_deref(), Some(two.as_str()));
    assert_eq!(refund.amount.minor(), 1499, "one unit's price");
    // The same key and body replay the first answer.
    let again = app
        .client
        .create_line_refund(&line_refund, Some("refund-line-2"))
        .await
        .expect("replayed");
    assert_eq!(again.value, refund.value);

    let processed = app
        .receiver
        .wait_for("refund.processed", &order_id, 1)
        .await;
    let EventPayload::RefundProcessed(p) = &processed[0].payload else {
        unreachable!()
    };
    assert_eq!(p.refund_id, refund.id);
    assert_eq!(p.iccid.as_deref(), Some(two.as_str()));
    assert_eq!(p.amount.minor(), 1499);

    assert_eq!(
        app.client.line(&two).await.expect("line 2").status,
        LineState::Expired
    );
    for other in [&one, &three] {
        assert_ne!(
            app.client.line(other).await.expect("line").status,
            LineState::Expired,
            "{other} still works"
        );
    }
    let order = app.order(&order_id).await;
    assert_eq!(
        order.status,
        OrderStatus::Ready,
        "partly refunded stays ready"
    );
    assert_eq!(order.lines.len(), 3, "a refunded line stays listed");

    // Refunding it again, under a new key, is refused; so is a top-up on it.
    let twice = app
        .client
        .create_line_refund(&line_refund, Some("refund-line-2-again"))
        .await
        .expect_err("already refunded");
    assert!(matches!(twice, Error::Validation(_)), "{twice:?}");
    let topup = app
        .client
        .create_topup(
            &TopupRequest {
                iccid: two.clone(),
                sku: "US-1GB-7D".into(),
            },
            None,
        )
        .await
        .expect_err("a refunded line takes no top-up");
    assert!(matches!(topup, Error::Validation(_)), "{topup:?}");

    // The whole order now means the two lines left.
    let rest = app
        .client
        .create_refund(
            &RefundRequest {
                order_id: order_id.clone(),
                reason: None,
            },
            None,
        )
        .await
        .expect("refund of the rest");
    assert_eq!(rest.iccid, None);
    assert_eq!(rest.amount.minor(), 2 * 1499);
    let processed = app
        .receiver
        .wait_for("refund.processed", &order_id, 2)
        .await;
    let last = processed
        .iter()
        .find_map(|e| match &e.payload {
            EventPayload::RefundProcessed(p) if p.refund_id == rest.id => Some(p.clone()),
            _ => None,
        })
        .expect("the second refund's event");
    assert_eq!(last.iccid, None);
    assert_eq!(app.order(&order_id).await.status, OrderStatus::Refunded);
    for line in [&one, &three] {
        assert_eq!(
            app.client.line(line).await.expect("line").status,
            LineState::Expired
        );
    }
    let nothing_left = app
        .client
        .create_refund(
            &RefundRequest {
                order_id: order_id.clone(),
                reason: None,
            },
            None,
        )
        .await
        .expect_err("nothing left to refund");
    assert!(
        matches!(nothing_left, Error::Conflict(_)),
        "{nothing_left:?}"
    );
}

#[tokio::test]
async fn a_line_refund_must_name_a_line_of_the_order() {
    let app = spawn_app(Faults::default()).await;
    let first = app.buy("US-1GB-7D", 2, CARD_SUCCESS).await;
    let second = app.buy("US-1GB-7D", 1, CARD_SUCCESS).await;
    app.receiver.wait_for("activation.ready", &first, 2).await;
    app.receiver.wait_for("activation.ready", &second, 1).await;
    let other_line = app.order(&second).await.lines[0].iccid.clone();
    let refund = |iccid: String| {
        let client = app.client.clone();
        let order_id = first.clone();
        async move {
            client
                .create_line_refund(
                    &LineRefundRequest {
                        order_id,
                        iccid,
                        reason: None,
                    },
                    None,
                )
                .await
        }
    };
    let foreign = refund(other_line).await.expect_err("another order's line");
    assert!(matches!(foreign, Error::Validation(_)), "{foreign:?}");
    let unknown = refund("8988307000000000000".into())
        .await
        .expect_err("no such line");
    assert!(matches!(unknown, Error::NotFound(_)), "{unknown:?}");
    assert!(app
        .sandbox
        .orders()
        .iter()
        .all(|o| o.status == OrderStatus::Ready));
}

#[tokio::test]
async fn a_failed_provisioning_is_one_order_failed() {
    let app = spawn_app(Faults::default()).await;
    let order_id = app.buy("US-5GB-30D", 3, CARD_PROVISIONING_FAILS).await;
    app.receiver.wait_for("order.failed", &order_id, 1).await;
    eventually("every delivery done", || async {
        match app.sandbox.pending_deliveries() {
            0 => Ok(()),
            n => Err(format!("{n} pending")),
        }
    })
    .await;
    assert_eq!(app.receiver.of_type("order.failed").len(), 1);
    assert!(app.receiver.of_type("activation.ready").is_empty());
    let order = app.order(&order_id).await;
    assert_eq!(order.status, OrderStatus::Failed);
    assert!(order.lines.is_empty() && order.line.is_none());
}

#[tokio::test]
async fn held_back_lines_arrive_when_released() {
    let app = spawn_app(Faults {
        withhold_lines: 1,
        ..Faults::default()
    })
    .await;
    let order_id = app.buy("US-5GB-30D", 3, CARD_SUCCESS).await;
    let first = ready_data(
        &app.receiver
            .wait_for("activation.ready", &order_id, 2)
            .await,
    );
    // The activation has run: two lines, and the order waits for the third.
    let order = app.order(&order_id).await;
    assert_eq!(order.status, OrderStatus::Paid);
    let listed: BTreeSet<&str> = order.lines.iter().map(|l| l.iccid.as_str()).collect();
    let sent: BTreeSet<&str> = first.iter().map(|r| r.line.iccid.as_str()).collect();
    assert_eq!(listed, sent);
    assert_eq!(order.line.as_ref(), order.lines.first());
    let state: serde_json::Value = reqwest::get(format!("{}/sandbox/state", app.sandbox.url()))
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(state["withheld_lines"], 1);

    let released = app
        .control(&format!("/sandbox/orders/{order_id}/release-lines"), None)
        .await;
    assert_eq!(released.status(), StatusCode::OK);
    let released: serde_json::Value = released.json().await.expect("json");
    assert_eq!(released["released"], 1);
    let third = released["provisioned"][0]
        .as_str()
        .expect("the third line")
        .to_owned();
    assert!(!sent.contains(third.as_str()));

    let all = ready_data(
        &app.receiver
            .wait_for("activation.ready", &order_id, 3)
            .await,
    );
    assert!(all.iter().any(|r| r.line.iccid == third));
    let order = app.order(&order_id).await;
    assert_eq!(order.status, OrderStatus::Ready);
    assert_eq!(order.lines.len(), 3);
    assert_eq!(
        order.lines[2].iccid, third,
        "the last line was the one held back"
    );

    let again: serde_json::Value = app
        .control(&format!("/sandbox/orders/{order_id}/release-lines"), None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["released"], 0, "nothing left to release");
    let unknown = app
        .control("/sandbox/orders/ord_nothing/release-lines", None)
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn lines_released_without_webhooks_show_only_in_the_order() {
    let app = spawn_app(Faults {
        withhold_lines: 1,
        ..Faults::default()
    })
    .await;
    let order_id = app.buy("FR-3GB-15D", 2, CARD_SUCCESS).await;
    let first = ready_data(
        &app.receiver
            .wait_for("activation.ready", &order_id, 1)
            .await,
    );
    let released = app
        .sandbox
        .release_lines(&order_id, false)
        .expect("released");
    assert_eq!(released.released, 1);
    assert_eq!(released.provisioned.len(), 1);
    let order = app.order(&order_id).await;
    assert_eq!(order.status, OrderStatus::Ready);
    let listed: Vec<&str> = order.lines.iter().map(|l| l.iccid.as_str()).collect();
    assert_eq!(
        listed,
        [
            first[0].line.iccid.as_str(),
            released.provisioned[0].as_str()
        ]
    );
    eventually("every delivery done", || async {
        match app.sandbox.pending_deliveries() {
            0 => Ok(()),
            n => Err(format!("{n} pending")),
        }
    })
    .await;
    assert_eq!(
        app.receiver.of_type("activation.ready").len(),
        1,
        "the released line went without its event"
    );
}
