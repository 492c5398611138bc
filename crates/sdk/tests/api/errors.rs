use simology::models::{CatalogQuery, RefundRequest, TopupRequest};
use simology::{ClientConfig, Error};
use simology_sandbox::{Faults, SandboxConfig};

use crate::helpers::*;

#[tokio::test]
async fn validation_errors_carry_code_and_request_id() {
    let app = spawn_app(SandboxConfig::default()).await;
    let mut bad = checkout_request("US-5GB-30D");
    bad.customer.email = "not-an-email".into();
    let err = app
        .client
        .create_checkout_session(&bad, None)
        .await
        .expect_err("bad email");
    let Error::Validation(detail) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(detail.status, 400);
    assert_eq!(detail.code, "validation_error");
    assert!(detail
        .request_id
        .as_deref()
        .is_some_and(|id| id.starts_with("req_")));

    let err = app
        .client
        .create_checkout_session(&checkout_request("XX-1GB-1D"), None)
        .await
        .expect_err("unknown SKU");
    assert!(
        matches!(err, Error::Validation(ref d) if d.code == "validation_error"),
        "{err:?}"
    );

    let err = app
        .client
        .create_checkout_session(&checkout_request("US-50GB-90D"), None)
        .await
        .expect_err("sold out");
    assert!(
        matches!(err, Error::Validation(ref d) if d.code == "sku_unavailable"),
        "{err:?}"
    );
    assert_eq!(err.code(), "sku_unavailable");

    let err = app
        .client
        .catalog(&CatalogQuery::Country("USA".into()))
        .await
        .expect_err("bad country");
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
}

#[tokio::test]
async fn auth_errors_for_missing_wrong_and_production_keys() {
    let app = spawn_app(SandboxConfig::default()).await;
    let wrong = simology::Client::new(
        ClientConfig::new("sk_sandbox_wrong")
            .expect("key")
            .with_base_url(app.sandbox.url())
            .expect("url"),
    )
    .expect("client");
    let err = wrong
        .catalog(&CatalogQuery::All)
        .await
        .expect_err("wrong key");
    assert!(
        matches!(err, Error::Auth(ref d) if d.status == 401 && d.code == "auth_error"),
        "{err:?}"
    );

    // The SDK refuses to send a live key to the sandbox, so the sandbox's own answers
    // to a missing key and to a production key are checked with plain HTTP.
    let http = reqwest::Client::new();
    let url = format!("{}/v1/catalog", app.sandbox.url());
    for (auth, status) in [(None, 401), (Some("Bearer sk_live_abc"), 403)] {
        let mut request = http.get(&url);
        if let Some(a) = auth {
            request = request.header("authorization", a);
        }
        let response = request.send().await.expect("answer");
        assert_eq!(response.status().as_u16(), status);
        let id_header = response
            .headers()
            .get("request-id")
            .cloned()
            .expect("request-id header");
        let body: simology::models::ErrorBody = response.json().await.expect("envelope");
        assert_eq!(body.error.code, "auth_error");
        assert_eq!(body.error.request_id.as_deref(), id_header.to_str().ok());
    }
    let live = ClientConfig::new("sk_live_abc")
        .expect("key")
        .with_base_url(app.sandbox.url())
        .expect("url");
    assert!(matches!(
        simology::Client::new(live),
        Err(Error::EnvironmentMismatch { .. })
    ));
    assert_eq!(
        app.sandbox.v1_requests(),
        0,
        "no request with a bad key gets past authentication"
    );
}

#[tokio::test]
async fn not_found_for_unknown_ids_and_paths() {
    let app = spawn_app(SandboxConfig::default()).await;
    let err = app
        .client
        .order("ord_nope")
        .await
        .expect_err("unknown order");
    assert!(
        matches!(err, Error::NotFound(ref d) if d.code == "not_found" && d.status == 404),
        "{err:?}"
    );
    let err = app
        .client
        .line("8988307000000000000")
        .await
        .expect_err("unknown line");
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    let err = app
        .client
        .create_topup(
            &TopupRequest {
                iccid: "89883070000".into(),
                sku: "US-1GB-7D".into(),
            },
            None,
        )
        .await
        .expect_err("unknown line");
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    let err = app
        .client
        .create_refund(
            &RefundRequest {
                order_id: "ord_nope".into(),
                reason: None,
            },
            None,
        )
        .await
        .expect_err("unknown order");
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn idempotency_replays_and_conflicts() {
    let app = spawn_app(SandboxConfig::default()).await;
    let request = checkout_request("US-5GB-30D");
    let first = app
        .client
        .create_checkout_session(&request, Some("intent-42"))
        .await
        .expect("first");
    assert!(!first.replayed);
    let again = app
        .client
        .create_checkout_session(&request, Some("intent-42"))
        .await
        .expect("replay");
    assert!(again.replayed);
    assert_eq!(again.value, first.value, "the stored first answer");

    let mut other = request.clone();
    other.items[0].quantity = 2;
    let err = app
        .client
        .create_checkout_session(&other, Some("intent-42"))
        .await
        .expect_err("conflict");
    assert!(
        matches!(err, Error::Conflict(ref d) if d.status == 409 && d.code == "conflict"),
        "{err:?}"
    );

    let orders_before = app.sandbox.orders().len();
    assert_eq!(orders_before, 0);
    let fresh = app
        .client
        .create_checkout_session(&request, None)
        .await
        .expect("new key");
    assert_ne!(fresh.id, first.id, "a generated key makes a new session");
}

#[tokio::test]
async fn rate_limits_and_server_errors_surface_after_retries() {
    let app = spawn_app(SandboxConfig {
        faults: Faults {
            rate_limit_rate: 1.0,
            retry_after_secs: 0,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let err = app
        .client
        .catalog(&CatalogQuery::All)
        .await
        .expect_err("always limited");
    let Error::RateLimited {
        retry_after,
        detail,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*retry_after, Some(std::time::Duration::ZERO));
    assert_eq!(detail.code, "rate_limited");
    assert_eq!(app.sandbox.v1_requests(), 4, "four attempts");

    app.sandbox.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    let err = app
        .client
        .catalog(&CatalogQuery::All)
        .await
        .expect_err("always failing");
    assert!(
        matches!(err, Error::Server(ref d) if d.code == "server_error" && d.status == 500),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert_eq!(app.sandbox.v1_requests(), 8, "four more attempts");
}
