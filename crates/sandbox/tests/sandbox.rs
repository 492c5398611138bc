//! The sandbox as a program and as a simulator: its binary, session expiry, the
//! payment page's behaviour, and determinism for a seed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use simology_sandbox::wait::eventually;
use simology_sandbox::{SandboxConfig, DEFAULT_API_KEY};

fn session_body(sku: &str) -> serde_json::Value {
    serde_json::json!({
        "customer": {"email": "alex@example.com"},
        "items": [{"sku": sku, "quantity": 1}],
        "success_url": "https://shop.example/ok?s={SESSION_ID}",
        "cancel_url": "https://shop.example/cancel",
    })
}

async fn create_session(base: &str, sku: &str) -> serde_json::Value {
    let response = reqwest::Client::new()
        .post(format!("{base}/v1/checkout/sessions"))
        .bearer_auth(DEFAULT_API_KEY)
        .json(&session_body(sku))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[test]
fn binary_prints_its_address_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_simology-sandbox"))
        .args(["--port", "0", "--seed", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("address line")
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let status = rt.block_on(async {
        reqwest::get(format!("{url}/v1/catalog?country=FR"))
            .await
            .expect("answer")
            .status()
    });
    assert_eq!(status, 401, "the API wants a key");
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test]
async fn sessions_expire_and_the_page_says_so() {
    let sandbox = simology_sandbox::spawn(SandboxConfig {
        session_ttl: Duration::from_millis(1200),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox");
    let session = create_session(sandbox.url(), "US-1GB-7D").await;
    let payment_url = session["payment_url"].as_str().expect("url").to_owned();
    let id = session["id"].as_str().expect("id").to_owned();
    // The page answers 200 until the session's time is up, then 410 for good.
    let page = eventually("the payment page to answer 410", || async {
        let page = reqwest::get(&payment_url).await.expect("page");
        match page.status().as_u16() {
            410 => Ok(page),
            200 => Err("200".to_owned()),
            other => panic!("the payment page answered {other}"),
        }
    })
    .await;
    assert!(page.text().await.expect("html").contains("expired"));
    let paid = no_redirects()
        .post(&payment_url)
        .form(&[("card", simology_sandbox::CARD_SUCCESS), ("action", "pay")])
        .send()
        .await
        .expect("answer");
    assert_eq!(paid.status(), 410, "an expired session takes no payment");
    let fetched: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v1/checkout/sessions/{id}", sandbox.url()))
        .bearer_auth(DEFAULT_API_KEY)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(fetched["status"], "expired");
    assert!(sandbox.orders().is_empty());
}

#[tokio::test]
async fn cancel_returns_and_unknown_cards_are_refused() {
    let sandbox = simology_sandbox::spawn(SandboxConfig::default())
        .await
        .expect("sandbox");
    let session = create_session(sandbox.url(), "US-1GB-7D").await;
    let payment_url = session["payment_url"].as_str().expect("url");
    let http = no_redirects();
    let wrong = http
        .post(payment_url)
        .form(&[("card", "4111 1111 1111 1111"), ("action", "pay")])
        .send()
        .await
        .expect("answer");
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().await.expect("html").contains("role=alert"));
    let cancel = http
        .post(payment_url)
        .form(&[("card", ""), ("action", "cancel")])
        .send()
        .await
        .expect("answer");
    assert_eq!(cancel.status(), 303);
    assert_eq!(cancel.headers()["location"], "https://shop.example/cancel");
    assert!(sandbox.orders().is_empty(), "neither made an order");
}

#[tokio::test]
async fn the_payment_page_escapes_what_it_shows() {
    let sandbox = simology_sandbox::spawn(SandboxConfig::default())
        .await
        .expect("sandbox");
    let mut body = session_body("US-1GB-7D");
    body["customer"]["email"] = "a<script>@example.com".into();
    let session: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/v1/checkout/sessions", sandbox.url()))
        .bearer_auth(DEFAULT_API_KEY)
        .json(&body)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    let html = reqwest::get(session["payment_url"].as_str().expect("url"))
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(!html.contains("a<script>"));
    assert!(html.contains("a&lt;script&gt;@example.com"));
}

#[tokio::test]
async fn the_same_seed_gives_the_same_ids() {
    let mut ids = Vec::new();
    for _ in 0..2 {
        let sandbox = simology_sandbox::spawn(SandboxConfig {
            seed: 99,
            ..SandboxConfig::default()
        })
        .await
        .expect("sandbox");
        let a = create_session(sandbox.url(), "US-1GB-7D").await;
        let b = create_session(sandbox.url(), "FR-1GB-7D").await;
        ids.push((a["id"].clone(), b["id"].clone()));
    }
    assert_eq!(ids[0], ids[1]);
    let other = simology_sandbox::spawn(SandboxConfig {
        seed: 100,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox");
    let c = create_session(other.url(), "US-1GB-7D").await;
    assert_ne!(c["id"], ids[0].0);
}

#[tokio::test]
async fn errors_use_the_envelope_everywhere() {
    let sandbox = simology_sandbox::spawn(SandboxConfig::default())
        .await
        .expect("sandbox");
    let http = reqwest::Client::new();
    for (method, path, body) in [
        ("GET", "/v1/nothing-here", None),
        ("POST", "/v1/checkout/sessions", Some("{not json")),
        ("GET", "/v1/catalog?country=US&region=europe", None),
        ("GET", "/v1/catalog?region=atlantis", None),
    ] {
        let mut request = http
            .request(
                method.parse().expect("method"),
                format!("{}{path}", sandbox.url()),
            )
            .bearer_auth(DEFAULT_API_KEY);
        if let Some(b) = body {
            request = request.header("content-type", "application/json").body(b);
        }
        let response = request.send().await.expect("answer");
        assert!(response.status().is_client_error(), "{path}");
        let body: simology::models::ErrorBody = response.json().await.expect("envelope");
        assert!(body.error.request_id.is_some(), "{path}");
        assert!(
            ["not_found", "validation_error"].contains(&body.error.code.as_str()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn catalogue_drift_goes_out_as_it_was_put_in() {
    let sandbox = simology_sandbox::spawn(SandboxConfig::default())
        .await
        .expect("sandbox");
    let http = reqwest::Client::new();
    let drift = |items: serde_json::Value| {
        http.put(format!("{}/sandbox/catalog/drift", sandbox.url()))
            .json(&serde_json::json!({ "items": items }))
            .send()
    };
    let catalog = |query: &'static str| {
        let http = http.clone();
        let url = format!("{}/v1/catalog{query}", sandbox.url());
        async move {
            let body: serde_json::Value = http
                .get(url)
                .bearer_auth(DEFAULT_API_KEY)
                .send()
                .await
                .expect("answer")
                .json()
                .await
                .expect("json");
            body["items"].as_array().cloned().expect("items")
        }
    };
    let before = catalog("?country=US").await;
    let all_before = catalog("").await;
    let response = drift(serde_json::json!([
        simology_sandbox::catalog::drifted_item()
    ]))
    .await
    .expect("answer");
    assert_eq!(response.status(), 204);

    let us = catalog("?country=US").await;
    assert_eq!(us.len(), before.len() + 1);
    let drifted = us.last().expect("the drifted item last");
    assert_eq!(drifted["sku"], "US-DRIFT-1GB-7D");
    // Exactly as put in: the over-precise amount is not rounded.
    assert_eq!(drifted["price"]["amount"].as_f64(), Some(4.999));
    assert_eq!(catalog("").await.len(), all_before.len() + 1);
    assert_eq!(catalog("?country=FR").await.len(), {
        let fr: Vec<_> = all_before
            .iter()
            .filter(|i| {
                i["coverage"]
                    .as_array()
                    .is_some_and(|c| c.iter().any(|c| c == "FR"))
            })
            .collect();
        fr.len()
    });
    let state: serde_json::Value = reqwest::get(format!("{}/sandbox/state", sandbox.url()))
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(state["catalog_drift"], 1);

    let refused = drift(serde_json::json!([1, "two"])).await.expect("answer");
    assert_eq!(refused.status(), 400);
    let body: simology::models::ErrorBody = refused.json().await.expect("envelope");
    assert_eq!(body.error.code, "validation_error");
    assert_eq!(
        catalog("?country=US").await.len(),
        before.len() + 1,
        "a refused drift changes nothing"
    );

    drift(serde_json::json!([])).await.expect("answer");
    assert_eq!(catalog("?country=US").await, before);
}
