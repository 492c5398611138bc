use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn wrong_references_are_404_and_leak_nothing() {
    let app = spawn_app().await;
    let (real, _) = app.checkout("US-1GB-7D").await;
    let mut guessed = real.clone();
    guessed.replace_range(33..34, if real.ends_with('0') { "1" } else { "0" });
    let (s1, b1) = app.get_json(&format!("/api/orders/{guessed}")).await;
    let (s2, b2) = app.get_json("/api/orders/ord_1").await;
    let (s3, b3) = app.get_json("/api/orders/..%2F..%2Fetc").await;
    assert_eq!((s1.as_u16(), s2.as_u16(), s3.as_u16()), (404, 404, 404));
    for b in [&b1, &b2, &b3] {
        assert_eq!(b["error"]["code"], "not_found");
        assert_eq!(
            b["error"]["message"], b1["error"]["message"],
            "indistinguishable"
        );
    }
    assert_eq!(
        app.get(&format!("/api/orders/{guessed}/usage"))
            .await
            .status(),
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn cors_allows_only_the_listed_origins() {
    let app = spawn_app().await;
    assert_eq!(
        preflight(&app.url, "/api/checkout", ORIGIN)
            .await
            .as_deref(),
        Some(ORIGIN)
    );
    assert!(preflight(&app.url, "/api/checkout", "https://evil.example")
        .await
        .is_none());
    // A POST that names a foreign origin is refused outright.
    let r = app
        .http
        .post(format!("{}/api/checkout", app.url))
        .header("origin", "https://evil.example")
        .json(&checkout_body("US-1GB-7D"))
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.expect("json")["error"]["code"],
        "origin_not_allowed"
    );
    // Error answers to an allowed origin carry CORS headers, or the browser would hide
    // the error's code from the widget.
    for r in [
        app.http
            .get(format!(
                "{}/api/orders/o_0123456789abcdef0123456789abcdef",
                app.url
            ))
            .header("origin", ORIGIN)
            .send()
            .await
            .expect("answer"),
        app.http
            .post(format!("{}/api/checkout", app.url))
            .header("origin", ORIGIN)
            .json(&json!({"sku": "nope"}))
            .send()
            .await
            .expect("answer"),
    ] {
        let status = r.status();
        assert!(status.is_client_error(), "{status}");
        assert_eq!(
            r.headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some(ORIGIN),
            "an error answer ({status}) to an allowed origin"
        );
        assert!(r.json::<Value>().await.expect("json")["error"]["code"].is_string());
    }
    app.stop().await;
}

#[tokio::test]
async fn checkout_is_rate_limited_per_client() {
    let app = spawn_app_with(fast_sandbox(), &[("PROXY_CHECKOUT_PER_MINUTE", "12")]).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let mut body = checkout_body("US-1GB-7D");
        body["email"] = "not valid".into();
        let r = app.post_checkout(&body).await;
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert!(
                r.headers()["retry-after"]
                    .to_str()
                    .expect("header")
                    .parse::<u64>()
                    .expect("secs")
                    >= 1
            );
            assert_eq!(
                r.json::<Value>().await.expect("json")["error"]["code"],
                "rate_limited"
            );
        }
    }
    assert_eq!(
        statuses,
        vec![400, 400, 400, 429, 429, 429],
        "a burst of 3 at 12 a minute"
    );
    app.stop().await;
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = spawn_app().await;
    let mut body = checkout_body("US-1GB-7D");
    body["email"] = "a".repeat(40_000).into();
    let r = app.post_checkout(&body).await;
    assert_eq!(r.status(), 413);
    let big = "x".repeat(300_000);
    let r = app
        .http
        .post(format!("{}/webhooks/simology", app.url))
        .header("Simology-Signature", signed(&big, now()))
        .body(big)
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 413);
    app.stop().await;
}

#[tokio::test]
async fn operations_endpoints() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let (status, ready) = app.get_json("/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(ready["database"], "ok");
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    for path in [
        "/api/destinations",
        "/api/catalog",
        "/api/checkout",
        "/api/orders/{order_ref}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    assert!(doc["components"]["schemas"]["OrderView"].is_object());
    // Built once: the same bytes every time, with an ETag a client may send back.
    let first = app.get("/api/openapi.json").await;
    let etag = first.headers()["etag"].clone();
    let body = first.bytes().await.expect("body");
    let again = app
        .get("/api/openapi.json")
        .await
        .bytes()
        .await
        .expect("body");
    assert_eq!(body, again);
    let not_modified = app
        .http
        .get(format!("{}/api/openapi.json", app.url))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .expect("answer");
    assert_eq!(not_modified.status(), 304);
    assert_eq!(not_modified.headers()["etag"], etag);
    // A top-up may leave its email out (the proxy may hold the order's), and the view
    // says whether it does; an older proxy's view, without it, reads as false.
    let schemas = &doc["components"]["schemas"];
    let required = |schema: &str| -> Vec<String> {
        serde_json::from_value(schemas[schema]["required"].clone()).expect("required")
    };
    assert!(schemas["TopupRequest"]["properties"]["email"].is_object());
    assert!(!required("TopupRequest").contains(&"email".to_owned()));
    assert!(required("TopupRequest").contains(&"sku".to_owned()));
    assert_eq!(
        schemas["OrderView"]["properties"]["email_on_file"]["type"],
        "boolean"
    );
    let order = app
        .get("/api/orders/o_00000000000000000000000000000000")
        .await;
    assert!(order.headers().get("request-id").is_some());
    let metrics = app.get("/metrics").await.text().await.expect("text");
    assert!(metrics.contains("simology_http_request_duration_seconds_count{route=\"/api/orders/{order_ref}\",status=\"404\"} 1"), "{metrics}");
    assert!(metrics.contains("simology_last_event_processed_age_seconds"));
    app.stop().await;
}

#[tokio::test]
async fn guessing_references_is_rate_limited_and_reveals_nothing() {
    let app = spawn_app().await;
    let (real, _) = app.checkout("US-1GB-7D").await;
    let mut statuses = Vec::new();
    let mut bodies = std::collections::HashSet::new();
    for i in 0..12 {
        let guess = format!("o_{:032x}", 0xdead_beef_u128 + i);
        let (status, body) = app.get_json(&format!("/api/orders/{guess}")).await;
        statuses.push(status.as_u16());
        if status == 404 {
            let mut e = body["error"].clone();
            e["request_id"] = Value::Null;
            bodies.insert(e.to_string());
        }
    }
    assert_eq!(
        &statuses[..7],
        &[404; 7],
        "a burst of misses answers like any missing order"
    );
    assert!(
        statuses[7..].iter().all(|s| *s == 429),
        "then guessing is slowed down: {statuses:?}"
    );
    assert_eq!(bodies.len(), 1, "every miss looks the same");
    // The guesser's own real order still answers: only misses are budgeted.
    assert_eq!(app.get(&format!("/api/orders/{real}")).await.status(), 200);
    app.stop().await;
}
