use serde_json::Value;
use simology_sandbox::Faults;

use crate::helpers::*;

#[tokio::test]
async fn one_intent_makes_one_order_even_when_clicked_twice_at_once() {
    let app = spawn_app().await;
    let body = checkout_body("US-1GB-7D");
    let (a, b) = tokio::join!(app.post_checkout(&body), app.post_checkout(&body));
    assert_eq!(
        (a.status(), b.status()),
        (reqwest::StatusCode::OK, reqwest::StatusCode::OK)
    );
    let a: Value = a.json().await.expect("json");
    let b: Value = b.json().await.expect("json");
    assert_eq!(a["order_ref"], b["order_ref"]);
    assert_eq!(a["payment_url"], b["payment_url"]);
    // A retry later is answered from the store.
    let c: Value = app.post_checkout(&body).await.json().await.expect("json");
    assert_eq!(c["order_ref"], a["order_ref"]);
    assert_eq!(
        app.sandbox_state().await["sessions"],
        1,
        "one upstream session"
    );
    // The same intent with other details is refused.
    let mut other = body.clone();
    other["email"] = "someone.else@example.com".into();
    let r = app.post_checkout(&other).await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        r.json::<Value>().await.expect("json")["error"]["code"],
        "conflict"
    );
    app.stop().await;
}

#[tokio::test]
async fn validation_errors_have_translatable_codes() {
    let app = spawn_app().await;
    let cases = [
        ("email", Value::from("nope"), 400, "invalid_email"),
        ("quantity", Value::from(11), 400, "invalid_quantity"),
        ("quantity", Value::from(0), 400, "invalid_quantity"),
        ("sku", Value::from("us-5gb"), 400, "invalid_sku"),
        ("sku", Value::from("ZZ-1GB-7D"), 400, "invalid_sku"),
        ("sku", Value::from("US-50GB-90D"), 409, "sku_unavailable"),
        (
            "return_url",
            Value::from("https://evil.example/steal"),
            400,
            "invalid_return_url",
        ),
        ("intent_id", Value::from("short"), 400, "invalid_request"),
    ];
    for (field, value, status, code) in cases {
        let mut body = checkout_body("US-1GB-7D");
        body[field] = value.clone();
        let r = app.post_checkout(&body).await;
        assert_eq!(r.status().as_u16(), status, "{field}={value}");
        let err: Value = r.json().await.expect("envelope");
        assert_eq!(err["error"]["code"], code, "{field}={value}: {err}");
        assert!(err["error"]["request_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("preq_")));
    }
    let r = app
        .http
        .post(format!("{}/api/checkout", app.url))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.expect("json")["error"]["code"],
        "invalid_request"
    );
    assert_eq!(
        app.sandbox_state().await["sessions"],
        0,
        "nothing reached the upstream"
    );
    app.stop().await;
}

#[tokio::test]
async fn upstream_429_and_5xx_are_retried_then_mapped() {
    let app = spawn_app().await;
    // Load the catalogue first so that the faults hit the checkout itself.
    assert_eq!(app.get("/api/catalog?country=US").await.status(), 200);
    app.sandbox.set_faults(Faults {
        next_rate_limits: 1,
        next_errors: 1,
        retry_after_secs: 0,
        ..Faults::default()
    });
    let (order_ref, _) = app.checkout("US-1GB-7D").await;
    assert!(
        order_ref.starts_with("o_"),
        "retried through a 429 and a 500"
    );

    app.sandbox.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    let r = app.post_checkout(&checkout_body("US-1GB-7D")).await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("retry-after").is_some());
    let err: Value = r.json().await.expect("json");
    assert_eq!(err["error"]["code"], "upstream_unavailable");
    assert!(
        !err["error"]["message"]
            .as_str()
            .expect("message")
            .contains("Injected"),
        "no upstream text"
    );

    app.sandbox.set_faults(Faults {
        rate_limit_rate: 1.0,
        retry_after_secs: 0,
        ..Faults::default()
    });
    let r = app.post_checkout(&checkout_body("US-1GB-7D")).await;
    assert_eq!(r.status(), 503);
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains("simology_upstream_errors_total{code=\"server_error\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("simology_upstream_errors_total{code=\"rate_limited\"}"));
    app.stop().await;
}

#[tokio::test]
async fn catalogue_is_cached_with_etags() {
    let app = spawn_app().await;
    let first = app.get("/api/catalog?region=western-europe").await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
    let body: Value = first.json().await.expect("json");
    assert_eq!(body["destination"]["kind"], "region");
    assert!(body["destination"]["countries"]
        .as_array()
        .expect("countries")
        .iter()
        .any(|c| c == "FR"));
    let requests_before = app.sandbox.v1_requests();
    let again = app
        .http
        .get(format!("{}/api/catalog?region=western-europe", app.url))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("answer");
    assert_eq!(again.status(), 304);
    assert_eq!(
        app.sandbox.v1_requests(),
        requests_before,
        "served from the cache"
    );
    assert_eq!(app.get("/api/catalog?country=ZZ").await.status(), 404);
    assert_eq!(app.get("/api/catalog").await.status(), 400);
    assert_eq!(
        app.get("/api/catalog?country=US&region=asia")
            .await
            .status(),
        400
    );
    app.stop().await;
}
