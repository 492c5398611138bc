//! A whole journey's logs, at debug level, carry no order reference and no activation
//! code: orders appear by their tag, which `simology-proxy tag` reproduces.

use serde_json::{json, Value};
use simology_sandbox::CARD_SUCCESS;

use crate::helpers::*;

const LOG_TAG_KEY: &str = "log-tag-key-for-tests-0123456789abcdef";

#[tokio::test]
async fn a_journeys_logs_hold_no_reference_and_no_activation_code() {
    let sandbox = simology_sandbox::spawn(fast_sandbox())
        .await
        .expect("sandbox");
    let dir = temp_dir("logs");
    let db = database_url(&dir).await;
    let env = proxy_env(
        sandbox.url(),
        &db,
        &[
            ("PROXY_LOG_TAG_KEY", LOG_TAG_KEY),
            ("PROXY_LOG_FORMAT", "json"),
            ("RUST_LOG", "simology_proxy=debug,simology=debug,info"),
        ],
    );
    let logs = dir.join("proxy.log");
    let proxy = ProxyProcess::start(&env, &logs);
    sandbox.set_webhook_url(Some(
        format!("{}/webhooks/simology", proxy.url)
            .parse()
            .expect("url"),
    ));
    let http = http_client();
    let url = proxy.url.clone();

    // Checkout, payment, the ready eSIM (read, long-polled), its usage, a top-up bought
    // and paid, a refund, and a declined card.
    let (order_ref, payment_url) = checkout_at(&http, &url, "US-5GB-30D").await;
    pay(&http, &payment_url, CARD_SUCCESS).await;
    let ready = wait_for_state_at(&http, &url, &order_ref, "ready").await;
    let esim = &ready["esim"];
    let activation_code = esim["activation_code"].as_str().expect("code").to_owned();
    let lpa = esim["lpa"].as_str().expect("lpa").to_owned();
    let usage = http
        .get(format!("{url}/api/orders/{order_ref}/usage"))
        .send()
        .await
        .expect("usage");
    assert_eq!(usage.status(), 200);
    let topup: Value = http
        .post(format!("{url}/api/orders/{order_ref}/topups"))
        .header("origin", ORIGIN)
        .json(&topup_body("US-1GB-7D"))
        .send()
        .await
        .expect("top-up")
        .json()
        .await
        .expect("json");
    let topup_ref = topup["order_ref"].as_str().expect("ref").to_owned();
    pay(
        &http,
        topup["payment_url"].as_str().expect("url"),
        CARD_SUCCESS,
    )
    .await;
    wait_for_state_at(&http, &url, &topup_ref, "ready").await;
    let refund = http
        .post(format!("{url}/admin/orders/{order_ref}/refund"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"reason": "requested_by_customer"}))
        .send()
        .await
        .expect("refund");
    assert_eq!(refund.status(), 202);
    wait_for_state_at(&http, &url, &order_ref, "refunded").await;
    let (declined_ref, declined_url) = checkout_at(&http, &url, "US-1GB-7D").await;
    pay(&http, &declined_url, simology_sandbox::CARD_DECLINED).await;
    wait_for_state_at(&http, &url, &declined_ref, "failed").await;
    drop(proxy);

    let text = std::fs::read_to_string(&logs).expect("logs");
    for (what, secret) in [
        ("the order's reference", order_ref.trim_start_matches("o_")),
        ("the top-up's reference", topup_ref.trim_start_matches("o_")),
        (
            "the declined order's reference",
            declined_ref.trim_start_matches("o_"),
        ),
        ("the activation code", activation_code.as_str()),
        ("the LPA string", lpa.as_str()),
    ] {
        assert!(!text.contains(secret), "{what} is in the logs:\n{text}");
    }
    // The tag an operator gets from the reference, with the proxy's key.
    let (ok, tag, err) = proxy_command(
        &["tag", &order_ref],
        &[("PROXY_LOG_TAG_KEY".into(), LOG_TAG_KEY.into())],
    );
    assert!(ok, "{err}");
    let tag = tag.trim();
    assert_eq!(tag.len(), 8, "{tag}");
    assert!(
        text.contains(&format!("\"order_tag\":\"{tag}\"")),
        "the order is followed by its tag {tag}:\n{text}"
    );
    // Without the key, the command says why it cannot answer.
    let (ok, _, err) = proxy_command(&["tag", &order_ref], &[]);
    assert!(!ok && err.contains("PROXY_LOG_TAG_KEY"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Text logs written to a file (not a terminal) carry no colour codes: a log collector
/// or `grep` reads them as they are.
#[tokio::test]
async fn text_logs_into_a_file_carry_no_colour_codes() {
    let sandbox = simology_sandbox::spawn(fast_sandbox())
        .await
        .expect("sandbox");
    let dir = temp_dir("text-logs");
    let db = database_url(&dir).await;
    let env = proxy_env(
        sandbox.url(),
        &db,
        &[
            ("PROXY_LOG_FORMAT", "text"),
            ("RUST_LOG", "simology_proxy=info,info"),
        ],
    );
    let logs = dir.join("proxy.log");
    let proxy = ProxyProcess::start(&env, &logs);
    let (order_ref, _) = checkout_at(&http_client(), &proxy.url, "US-1GB-7D").await;
    assert!(!order_ref.is_empty());
    drop(proxy);
    let text = std::fs::read_to_string(&logs).expect("logs");
    assert!(
        text.lines().count() >= 2,
        "the proxy logged its start and the checkout:\n{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "text logs into a file carry colour codes:\n{text}"
    );
}
