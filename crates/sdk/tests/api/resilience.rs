use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use simology::clock::ManualClock;
use simology::models::CatalogQuery;
use simology::{BreakerConfig, CircuitState, RetryPolicy};
use simology::{ClientConfig, Error};
use simology_sandbox::{Faults, SandboxConfig};

use crate::helpers::*;

#[tokio::test]
async fn retries_a_429_after_retry_after() {
    let app = spawn_app(SandboxConfig {
        faults: Faults {
            next_rate_limits: 1,
            retry_after_secs: 1,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let catalog = app
        .client
        .catalog(&CatalogQuery::All)
        .await
        .expect("second attempt succeeds");
    assert!(!catalog.items.is_empty());
    assert_eq!(
        app.clock.sleeps(),
        vec![Duration::from_secs(1)],
        "waited for Retry-After, and only for it"
    );
    assert_eq!(app.sandbox.v1_requests(), 2);
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_is_not_waited_for() {
    let app = spawn_app(SandboxConfig {
        faults: Faults {
            next_rate_limits: 1,
            retry_after_secs: 60,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let err = app
        .client
        .catalog(&CatalogQuery::All)
        .await
        .expect_err("60 s is over the 10 s budget");
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(60))
    );
    assert_eq!(app.clock.sleeps(), Vec::<Duration>::new(), "no wait at all");
    assert_eq!(app.sandbox.v1_requests(), 1, "no second attempt");
}

#[tokio::test]
async fn retries_5xx_with_backoff_and_creates_one_session() {
    let app = spawn_app(SandboxConfig {
        faults: Faults {
            next_errors: 2,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let session = app
        .client
        .create_checkout_session(&checkout_request("US-5GB-30D"), Some("k1"))
        .await
        .expect("third attempt succeeds");
    assert!(session.id.starts_with("cs_"));
    assert_eq!(app.sandbox.v1_requests(), 3);
}

#[tokio::test]
async fn every_retry_of_a_post_carries_the_same_idempotency_key() {
    // A fake API that fails twice, recording the key of each attempt.
    let keys: Arc<Mutex<Vec<String>>> = Arc::default();
    let k = keys.clone();
    let app = Router::new().route(
        "/v1/refunds",
        post(move |headers: HeaderMap| {
            let k = k.clone();
            async move {
                let key = headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let mut keys = k.lock().expect("lock");
                keys.push(key);
                if keys.len() < 3 {
                    (StatusCode::BAD_GATEWAY, String::new())
                } else {
                    (
                        StatusCode::OK,
                        r#"{"id":"re_1","order_id":"ord_1","amount":{"amount":14.99,"currency":"USD"},"status":"pending","created":"2025-01-10T09:20:02Z"}"#.to_owned(),
                    )
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
    let mut config = ClientConfig::new("sk_sandbox_x")
        .expect("key")
        .with_base_url(&format!("http://{addr}"))
        .expect("url");
    config.retry = quick_retries();
    let client = simology::Client::new(config).expect("client");
    let refund = client
        .create_refund(
            &simology::models::RefundRequest {
                order_id: "ord_1".into(),
                reason: None,
            },
            None,
        )
        .await
        .expect("third attempt");
    assert_eq!(refund.amount.minor(), 1499);
    let keys = keys.lock().expect("lock").clone();
    assert_eq!(keys.len(), 3);
    assert!(
        keys[0].starts_with("idem_") && keys[0].len() > 20,
        "{keys:?}"
    );
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
}

#[tokio::test]
async fn times_out_slow_answers() {
    let app = spawn_app(SandboxConfig {
        faults: Faults {
            latency_ms: 800,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let mut config = ClientConfig::new(simology_sandbox::DEFAULT_API_KEY)
        .expect("key")
        .with_base_url(app.sandbox.url())
        .expect("url");
    config.timeout = Duration::from_millis(200);
    config.retry = RetryPolicy {
        max_attempts: 2,
        ..quick_retries()
    };
    let client = simology::Client::new(config).expect("client");
    let err = client
        .catalog(&CatalogQuery::All)
        .await
        .expect_err("too slow");
    assert!(matches!(err, Error::Timeout), "{err:?}");
}

#[tokio::test]
async fn circuit_opens_after_consecutive_5xx_then_half_opens() {
    let app = spawn_app(SandboxConfig {
        faults: Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let cool_down = Duration::from_secs(30);
    let breaker = BreakerConfig {
        failure_threshold: 3,
        cool_down,
    };
    let clock = Arc::new(ManualClock::new());
    let client = client_for(
        &app.sandbox,
        RetryPolicy::none(),
        breaker,
        Arc::clone(&clock),
    );
    for _ in 0..3 {
        let err = client.catalog(&CatalogQuery::All).await.expect_err("500");
        assert!(matches!(err, Error::Server(_)), "{err:?}");
    }
    assert_eq!(client.circuit_state(), CircuitState::Open);
    let err = client.catalog(&CatalogQuery::All).await.expect_err("open");
    assert!(matches!(err, Error::CircuitOpen { .. }), "{err:?}");
    assert_eq!(
        app.sandbox.v1_requests(),
        3,
        "an open circuit sends nothing"
    );

    // Just before the end of the cool-down, still open.
    clock.advance(cool_down - Duration::from_millis(1));
    assert_eq!(client.circuit_state(), CircuitState::Open);
    assert!(matches!(
        client.catalog(&CatalogQuery::All).await,
        Err(Error::CircuitOpen { .. })
    ));
    assert_eq!(app.sandbox.v1_requests(), 3);

    // After the cool-down one trial goes through; it fails, so the circuit reopens.
    clock.advance(Duration::from_millis(1));
    assert_eq!(client.circuit_state(), CircuitState::HalfOpen);
    assert!(matches!(
        client.catalog(&CatalogQuery::All).await,
        Err(Error::Server(_))
    ));
    assert_eq!(client.circuit_state(), CircuitState::Open);
    assert_eq!(app.sandbox.v1_requests(), 4);

    // The upstream recovers: the next trial closes the circuit.
    app.sandbox.set_faults(Faults::default());
    assert!(matches!(
        client.catalog(&CatalogQuery::All).await,
        Err(Error::CircuitOpen { .. })
    ));
    clock.advance(cool_down);
    client
        .catalog(&CatalogQuery::All)
        .await
        .expect("trial succeeds");
    assert_eq!(client.circuit_state(), CircuitState::Closed);
    client
        .catalog(&CatalogQuery::All)
        .await
        .expect("closed again");
}

#[tokio::test]
async fn a_cancelled_trial_does_not_keep_the_circuit_open() {
    // Issue 13.1: the half-open trial's future is dropped mid-flight (its caller went
    // away); the circuit must not stay open for good.
    let app = spawn_app(SandboxConfig {
        faults: Faults {
            next_errors: 1,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let cool_down = Duration::from_secs(30);
    let clock = Arc::new(ManualClock::new());
    let mut config = ClientConfig::new(simology_sandbox::DEFAULT_API_KEY)
        .expect("key")
        .with_base_url(app.sandbox.url())
        .expect("url");
    config.retry = RetryPolicy::none();
    config.breaker = BreakerConfig {
        failure_threshold: 1,
        cool_down,
    };
    config.clock = Arc::clone(&clock) as Arc<dyn simology::clock::Clock>;
    // Long enough that the trial is still waiting when it is cancelled.
    config.timeout = Duration::from_secs(300);
    let client = simology::Client::new(config).expect("client");

    let err = client.catalog(&CatalogQuery::All).await.expect_err("500");
    assert!(matches!(err, Error::Server(_)), "{err:?}");
    assert_eq!(client.circuit_state(), CircuitState::Open);
    clock.advance(cool_down);
    assert_eq!(client.circuit_state(), CircuitState::HalfOpen);

    // The trial reaches a sandbox that holds its answer; it is cancelled there.
    app.sandbox.set_faults(Faults {
        latency_ms: 600_000,
        ..Faults::default()
    });
    let trial = tokio::spawn({
        let client = client.clone();
        async move { client.catalog(&CatalogQuery::All).await }
    });
    eventually("the trial request to reach the sandbox", || async {
        match app.sandbox.v1_requests() {
            2 => Ok(()),
            n => Err(format!("{n} requests")),
        }
    })
    .await;
    trial.abort();
    assert!(
        trial.await.expect_err("cancelled").is_cancelled(),
        "the trial was cancelled, not finished"
    );

    // The cancelled trial said nothing about the upstream: the next call is the trial.
    app.sandbox.set_faults(Faults::default());
    let catalog = client
        .catalog(&CatalogQuery::All)
        .await
        .expect("the next call is admitted");
    assert!(!catalog.items.is_empty());
    assert_eq!(client.circuit_state(), CircuitState::Closed);
    assert_eq!(app.sandbox.v1_requests(), 3);
}
