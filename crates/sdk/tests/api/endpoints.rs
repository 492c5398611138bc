use simology::models::{
    CatalogQuery, LineState, OrderStatus, RefundRequest, SessionStatus, TopupRequest,
};
use simology::{EventPayload, Lpa};
use simology_sandbox::{SandboxConfig, CARD_SUCCESS};

use crate::helpers::*;

/// Log lines written while a test runs, to check what was reported.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

#[tokio::test]
async fn catalogue_by_country_region_and_whole() {
    let app = spawn_app(SandboxConfig::default()).await;
    let us = app
        .client
        .catalog(&CatalogQuery::Country("US".into()))
        .await
        .expect("catalogue");
    assert!(us
        .request_id
        .as_deref()
        .is_some_and(|id| id.starts_with("req_")));
    let plan = us
        .items
        .iter()
        .find(|i| i.sku == "US-5GB-30D")
        .expect("the guide's plan");
    assert_eq!(plan.price.minor(), 1499);
    assert_eq!(plan.price.currency().code(), "USD");
    // Bundles that cover the country come with it.
    assert!(us.items.iter().any(|i| i.region == "north-america"));
    assert!(us
        .items
        .iter()
        .all(|i| i.coverage.iter().any(|c| c == "US")));

    let weu = app
        .client
        .catalog(&CatalogQuery::Region("western-europe".into()))
        .await
        .expect("region");
    assert!(!weu.items.is_empty());
    assert!(weu.items.iter().all(|i| i.region == "western-europe"));
    assert!(weu.items.iter().all(|i| i.price.currency().code() == "EUR"));

    let all = app.client.catalog(&CatalogQuery::All).await.expect("all");
    assert!(all.items.len() > us.items.len() + weu.items.len());
    let jp = all
        .items
        .iter()
        .find(|i| i.sku == "JP-5GB-30D")
        .expect("yen plan");
    assert_eq!(jp.price.currency().decimals(), 0);
}

#[tokio::test]
async fn a_drifted_catalogue_item_is_skipped_and_reported() {
    // The test runtime runs on this thread, so this subscriber sees the client's logs.
    let logs = Logs::default();
    let _logging = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .finish(),
    );
    let app = spawn_app(SandboxConfig::default()).await;
    let before = app
        .client
        .catalog(&CatalogQuery::Country("US".into()))
        .await
        .expect("catalogue");
    assert!(before.skipped.is_empty());

    // Upstream drift, through the sandbox's control: a US plan with an over-precise
    // price, and one without a SKU whose currency is not a code.
    let mut no_sku = simology_sandbox::catalog::drifted_item();
    no_sku["sku"] = serde_json::Value::Null;
    no_sku["price"] = serde_json::json!({"amount": 5, "currency": "dollars"});
    let response = reqwest::Client::new()
        .put(format!("{}/sandbox/catalog/drift", app.sandbox.url()))
        .json(&serde_json::json!({"items": [simology_sandbox::catalog::drifted_item(), no_sku]}))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 204);

    let us = app
        .client
        .catalog(&CatalogQuery::Country("US".into()))
        .await
        .expect("one bad item does not fail the catalogue");
    assert_eq!(us.items, before.items, "every good plan, unchanged");
    let skipped: Vec<_> = us.skipped.iter().map(|s| s.sku.as_deref()).collect();
    assert_eq!(skipped, vec![Some("US-DRIFT-1GB-7D"), None]);
    assert!(
        us.skipped[0].reason.contains("more decimals"),
        "{:?}",
        us.skipped[0]
    );
    assert!(
        us.skipped[1].reason.contains("currency"),
        "{:?}",
        us.skipped[1]
    );
    let logs = logs.text();
    let warnings: Vec<_> = logs
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("catalogue item skipped"))
        .collect();
    assert_eq!(warnings.len(), 2, "one warning per skipped item: {logs}");
    assert!(warnings[0].contains("US-DRIFT-1GB-7D"), "{logs}");
    let request_id = us.request_id.as_deref().expect("request id");
    assert!(warnings.iter().all(|w| w.contains(request_id)), "{logs}");

    // A region the drifted items do not cover does not get them.
    let europe = app
        .client
        .catalog(&CatalogQuery::Region("western-europe".into()))
        .await
        .expect("region");
    assert!(europe.skipped.is_empty(), "{:?}", europe.skipped);
    assert!(!europe.items.is_empty());

    // The drift ends with an empty list.
    app.sandbox.set_catalog_drift(Vec::new());
    let after = app
        .client
        .catalog(&CatalogQuery::Country("US".into()))
        .await
        .expect("catalogue");
    assert!(after.skipped.is_empty());
    assert_eq!(after.items, before.items);
}

#[tokio::test]
async fn purchase_order_line_topup_and_refund() {
    let receiver = receiver(default_secret()).await;
    let app = spawn_app(SandboxConfig {
        webhook_url: Some(receiver.url.clone()),
        activation_delay: std::time::Duration::from_millis(100),
        refund_delay: std::time::Duration::from_millis(100),
        ..SandboxConfig::default()
    })
    .await;
    let session = app
        .client
        .create_checkout_session(&checkout_request("US-5GB-30D"), Some("intent-1"))
        .await
        .expect("session");
    assert_eq!(session.status, SessionStatus::Pending);
    assert!(session.id.starts_with("cs_"));
    assert!(session
        .payment_url
        .ends_with(&format!("/pay/{}", session.id)));
    assert!(session.expires_at > time::OffsetDateTime::now_utc());

    let back = pay(&session.payment_url, CARD_SUCCESS).await;
    assert_eq!(
        back,
        format!("https://shop.example/success?session_id={}", session.id)
    );

    let completed = receiver.wait_for("checkout.completed").await;
    let EventPayload::CheckoutCompleted(c) = completed.payload else {
        unreachable!()
    };
    assert_eq!(c.session_id, session.id);
    assert_eq!(c.metadata.get("order_ref").map(String::as_str), Some("r_1"));
    let paid = receiver.wait_for("order.paid").await;
    let EventPayload::OrderPaid(p) = paid.payload else {
        unreachable!()
    };
    assert_eq!(p.items[0].unit_money().expect("exact").minor(), 1499);
    let ready = receiver.wait_for("activation.ready").await;
    let EventPayload::ActivationReady(r) = ready.payload else {
        unreachable!()
    };
    assert_eq!(r.order_id, c.order_id);
    assert_eq!(r.line.iccid.len(), 19);
    assert_eq!(
        Lpa::parse(&r.line.smdp_plus.to_string()).expect("valid LPA"),
        r.line.smdp_plus
    );

    let order = app.client.order(&c.order_id).await.expect("order");
    assert_eq!(order.status, OrderStatus::Ready);
    assert_eq!(order.session_id, session.id);
    assert_eq!(
        order.line.as_ref().map(|l| l.iccid.clone()),
        Some(r.line.iccid.clone())
    );
    assert_eq!(order.lines, vec![r.line.clone()], "one eSIM, one line");

    let line = app.client.line(&r.line.iccid).await.expect("line");
    assert_eq!(line.data.used_mb + line.data.remaining_mb, 5120);
    assert_ne!(line.status, LineState::Expired);

    let topup = app
        .client
        .create_topup(
            &TopupRequest {
                iccid: r.line.iccid.clone(),
                sku: "US-1GB-7D".into(),
            },
            None,
        )
        .await
        .expect("top-up");
    assert_eq!(topup.data_added_mb, 1024);
    let line = app.client.line(&r.line.iccid).await.expect("line");
    assert_eq!(line.data.used_mb + line.data.remaining_mb, 5120 + 1024);

    let refund = app
        .client
        .create_refund(
            &RefundRequest {
                order_id: c.order_id.clone(),
                reason: Some("requested_by_customer".into()),
            },
            None,
        )
        .await
        .expect("refund");
    assert_eq!(refund.amount.minor(), 1499);
    assert_eq!(refund.status, simology::models::OperationStatus::Pending);
    let processed = receiver.wait_for("refund.processed").await;
    let EventPayload::RefundProcessed(rp) = processed.payload else {
        unreachable!()
    };
    assert_eq!(rp.refund_id, refund.id);
    assert_eq!(rp.iccid, None, "a refund of the whole order names no line");
    let order = app.client.order(&c.order_id).await.expect("order");
    assert_eq!(order.status, OrderStatus::Refunded);
    assert_eq!(
        *receiver.rejected.lock().expect("lock"),
        0,
        "every delivery verified"
    );
}

#[tokio::test]
async fn declined_and_failed_provisioning_send_their_events() {
    let receiver = receiver(default_secret()).await;
    let app = spawn_app(SandboxConfig {
        webhook_url: Some(receiver.url.clone()),
        activation_delay: std::time::Duration::from_millis(50),
        ..SandboxConfig::default()
    })
    .await;
    let s1 = app
        .client
        .create_checkout_session(&checkout_request("FR-3GB-15D"), None)
        .await
        .expect("session");
    pay(&s1.payment_url, simology_sandbox::CARD_DECLINED).await;
    let failed = receiver.wait_for("payment.failed").await;
    let EventPayload::PaymentFailed(pf) = failed.payload else {
        unreachable!()
    };
    assert_eq!(pf.session_id, s1.id);
    assert_eq!(pf.reason, "card_declined");

    let s2 = app
        .client
        .create_checkout_session(&checkout_request("FR-3GB-15D"), None)
        .await
        .expect("session");
    pay(&s2.payment_url, simology_sandbox::CARD_PROVISIONING_FAILS).await;
    let failed = receiver.wait_for("order.failed").await;
    let EventPayload::OrderFailed(of) = failed.payload else {
        unreachable!()
    };
    assert_eq!(of.reason, "provisioning_failed");
    let order = app.client.order(&of.order_id).await.expect("order");
    assert_eq!(order.status, OrderStatus::Failed);
    assert!(order.line.is_none());
}
