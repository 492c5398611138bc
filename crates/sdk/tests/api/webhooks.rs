use std::time::Duration;

use simology::webhook::{signature_header, verify, WebhookError};
use simology_sandbox::{Faults, SandboxConfig, CARD_SUCCESS};
use time::OffsetDateTime;

use crate::helpers::*;

#[tokio::test]
async fn sandbox_signs_with_every_secret_and_receiver_accepts_either() {
    // The sandbox signs with two secrets (mid-rotation); a receiver that knows only the
    // new one accepts every delivery.
    let receiver = receiver(vec!["whsec_new".into()]).await;
    let app = spawn_app(SandboxConfig {
        webhook_url: Some(receiver.url.clone()),
        webhook_secrets: vec!["whsec_old".into(), "whsec_new".into()],
        activation_delay: Duration::from_millis(50),
        ..SandboxConfig::default()
    })
    .await;
    let s = app
        .client
        .create_checkout_session(&checkout_request("JP-5GB-30D"), None)
        .await
        .expect("session");
    pay(&s.payment_url, CARD_SUCCESS).await;
    receiver.wait_for("activation.ready").await;
    assert_eq!(*receiver.rejected.lock().expect("lock"), 0);
}

#[tokio::test]
async fn receiver_with_a_wrong_secret_rejects_and_the_sandbox_retries() {
    let receiver = receiver(vec!["whsec_wrong".into()]).await;
    let app = spawn_app(SandboxConfig {
        webhook_url: Some(receiver.url.clone()),
        activation_delay: Duration::from_millis(50),
        time_scale: 600.0, // 1 minute becomes 100 ms
        ..SandboxConfig::default()
    })
    .await;
    let s = app
        .client
        .create_checkout_session(&checkout_request("US-1GB-7D"), None)
        .await
        .expect("session");
    pay(&s.payment_url, simology_sandbox::CARD_DECLINED).await;
    let attempts = eventually("a second delivery attempt of payment.failed", || async {
        let attempts: Vec<_> = app
            .sandbox
            .deliveries()
            .into_iter()
            .filter(|d| d.event_type == "payment.failed")
            .collect();
        if attempts.len() >= 2 {
            Ok(attempts)
        } else {
            Err(format!("{attempts:?}"))
        }
    })
    .await;
    assert!(attempts
        .iter()
        .all(|d| d.outcome == "failed" && d.status == Some(400)));
    assert!(receiver.events.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn failed_deliveries_are_retried_until_accepted() {
    let receiver = receiver(default_secret()).await;
    *receiver.fail_first.lock().expect("lock") = 2;
    let app = spawn_app(SandboxConfig {
        webhook_url: Some(receiver.url.clone()),
        time_scale: 600.0,
        ..SandboxConfig::default()
    })
    .await;
    let s = app
        .client
        .create_checkout_session(&checkout_request("US-1GB-7D"), None)
        .await
        .expect("session");
    pay(&s.payment_url, simology_sandbox::CARD_DECLINED).await;
    let event = receiver.wait_for("payment.failed").await;
    let attempts: Vec<_> = app
        .sandbox
        .deliveries()
        .into_iter()
        .filter(|d| d.event_id == event.id)
        .collect();
    let outcomes: Vec<_> = attempts.iter().map(|d| (d.attempt, d.outcome)).collect();
    assert_eq!(
        outcomes,
        vec![(1, "failed"), (2, "failed"), (3, "delivered")]
    );
    // The waits follow the schedule: 1 m then 5 m, compressed 600 times.
    let waits: Vec<_> = attempts.iter().map(|d| d.retry_in_ms).collect();
    assert_eq!(waits, vec![Some(100), Some(500), None]);
    assert!(
        attempts.windows(2).all(|w| w[0].at <= w[1].at),
        "attempts in order: {attempts:?}"
    );
}

#[tokio::test]
async fn duplicate_and_out_of_order_delivery() {
    let receiver = receiver(default_secret()).await;
    let app = spawn_app(SandboxConfig {
        webhook_url: Some(receiver.url.clone()),
        activation_delay: Duration::from_millis(100),
        faults: Faults {
            duplicate_webhooks: true,
            out_of_order_webhooks: true,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let s = app
        .client
        .create_checkout_session(&checkout_request("US-1GB-7D"), None)
        .await
        .expect("session");
    pay(&s.payment_url, CARD_SUCCESS).await;
    // Every delivery is over once both copies of the last event arrived and the
    // sandbox has nothing left to send: only then are the counts final.
    let types = eventually(
        "both copies of every event, and nothing pending",
        || async {
            let types = receiver.types();
            let ready = types.iter().filter(|t| *t == "activation.ready").count();
            if ready >= 2 && app.sandbox.pending_deliveries() == 0 {
                Ok(types)
            } else {
                Err(format!(
                    "{types:?}, {} pending",
                    app.sandbox.pending_deliveries()
                ))
            }
        },
    )
    .await;
    let first_ready = types
        .iter()
        .position(|t| t == "activation.ready")
        .expect("ready");
    let first_paid = types.iter().position(|t| t == "order.paid").expect("paid");
    assert!(first_ready < first_paid, "out of order: {types:?}");
    for t in ["checkout.completed", "order.paid", "activation.ready"] {
        assert_eq!(
            types.iter().filter(|x| *x == t).count(),
            2,
            "{t} twice: {types:?}"
        );
    }
    let events = receiver.events.lock().expect("lock").clone();
    let ready: Vec<_> = events
        .iter()
        .filter(|e| e.payload.event_type() == "activation.ready")
        .collect();
    assert_eq!(
        ready[0].id, ready[1].id,
        "a duplicate has the same event id"
    );
}

#[tokio::test]
async fn dropped_deliveries_are_retried() {
    let receiver = receiver(default_secret()).await;
    let app = spawn_app(SandboxConfig {
        webhook_url: Some(receiver.url.clone()),
        time_scale: 36_000.0, // the hourly retries come every 100 ms
        faults: Faults {
            drop_webhook_rate: 0.5,
            ..Faults::default()
        },
        seed: 7,
        ..SandboxConfig::default()
    })
    .await;
    for _ in 0..4 {
        let s = app
            .client
            .create_checkout_session(&checkout_request("US-1GB-7D"), None)
            .await
            .expect("session");
        pay(&s.payment_url, simology_sandbox::CARD_DECLINED).await;
    }
    // Done when the four events arrived and no delivery is still being retried: then
    // the count is final.
    let types = eventually("four events delivered, nothing pending", || async {
        let types = receiver.types();
        if types.len() >= 4 && app.sandbox.pending_deliveries() == 0 {
            Ok(types)
        } else {
            Err(format!(
                "{types:?}, {} pending",
                app.sandbox.pending_deliveries()
            ))
        }
    })
    .await;
    assert_eq!(types.len(), 4, "every event arrives once despite drops");
    let dropped = app
        .sandbox
        .deliveries()
        .iter()
        .filter(|d| d.outcome == "dropped")
        .count();
    assert!(dropped > 0, "the seed drops some attempts");
}

#[test]
fn verify_covers_every_rejection() {
    let body = br#"{"type":"order.failed","id":"evt_5","created":"2025-01-10T09:20:02Z","data":{"order_id":"ord_1","reason":"provisioning_failed"}}"#;
    let now = OffsetDateTime::now_utc();
    let t = now.unix_timestamp();
    let header = signature_header(body, &["whsec_a"], t);
    assert!(verify(body, &header, &["whsec_a"], now).is_ok(), "valid");
    let mut tampered = body.to_vec();
    tampered[20] = b'X';
    assert_eq!(
        verify(&tampered, &header, &["whsec_a"], now),
        Err(WebhookError::BadSignature),
        "tampered body"
    );
    assert_eq!(
        verify(body, &header, &["whsec_b"], now),
        Err(WebhookError::BadSignature),
        "wrong secret"
    );
    assert!(
        verify(body, &header, &["whsec_b", "whsec_a"], now).is_ok(),
        "rotated secret"
    );
    let two = signature_header(body, &["whsec_z", "whsec_a"], t);
    assert!(verify(body, &two, &["whsec_a"], now).is_ok(), "several v1");
    let stale = signature_header(body, &["whsec_a"], t - 301);
    assert!(
        matches!(
            verify(body, &stale, &["whsec_a"], now),
            Err(WebhookError::BadTimestamp { .. })
        ),
        "stale"
    );
    let future = signature_header(body, &["whsec_a"], t + 301);
    assert!(
        matches!(
            verify(body, &future, &["whsec_a"], now),
            Err(WebhookError::BadTimestamp { .. })
        ),
        "future"
    );
    assert!(
        matches!(
            verify(body, "t=1,v1=", &["whsec_a"], now),
            Err(WebhookError::BadHeader(_))
        ),
        "malformed"
    );
}
