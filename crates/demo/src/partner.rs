//! The partner's own systems, as the demo shows them: a CRM and a support desk that take
//! the proxy's signed webhooks, and two affiliate networks that take its postbacks, on
//! an origin of their own. Each webhook is verified as a partner's receiver would
//! (Standard Webhooks: HMAC-SHA256 of `id.timestamp.body` under the endpoint's secret,
//! the timestamp within 5 minutes), written here by hand to show how little it takes.
//!
//! `/` lists what arrived, newest first; `/received.json` is the same for tests.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// The demo's webhook endpoints: id, the events each takes.
pub const ENDPOINTS: [(&str, &str); 2] = [
    ("crm", "[\"*\"]"),
    (
        "support",
        "[\"order.failed\", \"order.refunded\", \"line.refunded\"]",
    ),
];

/// Seconds a signed timestamp may be away from now.
const TOLERANCE_SECS: i64 = 300;

/// What arrived: webhooks (verified or not) and postbacks, in order.
#[derive(Default)]
struct Received {
    webhooks: Vec<Value>,
    postbacks: Vec<Value>,
}

/// The partner systems: the endpoints' keys and what arrived.
#[derive(Clone)]
pub struct Partner {
    keys: Arc<HashMap<String, Vec<u8>>>,
    received: Arc<Mutex<Received>>,
}

/// Whether `headers` sign `body` under `key` (see the module's header); the id and the
/// timestamp when they do.
fn verify(
    key: &[u8],
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(String, i64), &'static str> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let id = text("webhook-id").ok_or("no webhook-id")?;
    let timestamp: i64 = text("webhook-timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or("no webhook-timestamp")?;
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err("timestamp too far from now");
    }
    let signatures = text("webhook-signature").ok_or("no webhook-signature")?;
    let matches = signatures.split(' ').any(|s| {
        let Some(Ok(given)) = s.strip_prefix("v1,").map(|b| STANDARD.decode(b)) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
            return false;
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        // Compared in constant time.
        mac.verify_slice(&given).is_ok()
    });
    if matches {
        Ok((id.to_owned(), timestamp))
    } else {
        Err("no signature matches")
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

async fn webhook(
    State(partner): State<Partner>,
    Path(endpoint): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Some(key) = partner.keys.get(&endpoint) else {
        return StatusCode::NOT_FOUND;
    };
    let checked = verify(key, &headers, &body, now_secs());
    let payload: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let entry = json!({
        "endpoint": endpoint,
        "webhook_id": headers.get("webhook-id").and_then(|v| v.to_str().ok()),
        "verified": checked.is_ok(),
        "refused_because": checked.as_ref().err(),
        "type": payload["type"],
        "payload": payload,
        "received_at": now_secs(),
    });
    if let Ok(mut r) = partner.received.lock() {
        r.webhooks.push(entry);
    }
    // A receiver refuses what it cannot verify: the proxy retries it.
    if checked.is_ok() {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::UNAUTHORIZED
    }
}

async fn postback(
    State(partner): State<Partner>,
    Path(network): Path<String>,
    RawQuery(query): RawQuery,
) -> StatusCode {
    let query: serde_json::Map<String, Value> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
    if let Ok(mut r) = partner.received.lock() {
        r.postbacks
            .push(json!({"network": network, "query": query, "received_at": now_secs()}));
    }
    StatusCode::OK
}

async fn received(State(partner): State<Partner>) -> Json<Value> {
    let r = partner.received.lock().map_or_else(
        |_| json!({}),
        |r| json!({"webhooks": r.webhooks, "postbacks": r.postbacks}),
    );
    Json(r)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn cell(v: &Value) -> String {
    escape(&match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    })
}

async fn page(State(partner): State<Partner>) -> impl IntoResponse {
    let mut body = String::new();
    let Ok(r) = partner.received.lock() else {
        return Html(String::new()).into_response();
    };
    body.push_str("<h2>Webhooks</h2><p>Signed POSTs from the proxy (Standard Webhooks), each verified with the endpoint's secret.</p>\
        <table class=\"report\"><thead><tr><th scope=\"col\">Endpoint</th><th scope=\"col\">Event</th><th scope=\"col\">Signature</th>\
        <th scope=\"col\">Order</th><th scope=\"col\">State or status</th><th scope=\"col\">Amount</th><th scope=\"col\">webhook-id</th></tr></thead><tbody>");
    for w in r.webhooks.iter().rev() {
        let data = &w["payload"]["data"];
        let amount = format!(
            "{} {}",
            cell(&data["amount"]["minor"]),
            cell(&data["amount"]["currency"])
        );
        let _ = write!(
            body,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            cell(&w["endpoint"]),
            cell(&w["type"]),
            if w["verified"] == true { "verified ✓".to_owned() } else { format!("refused: {}", cell(&w["refused_because"])) },
            cell(&data["order_id"]),
            cell(if data["status"].is_null() { &data["state"] } else { &data["status"] }),
            amount,
            cell(&w["webhook_id"]),
        );
    }
    if r.webhooks.is_empty() {
        body.push_str(
            "<tr><td colspan=\"7\">Nothing yet: buy an eSIM on the blog, then come back.</td></tr>",
        );
    }
    body.push_str("</tbody></table><h2>Affiliate network postbacks</h2><p>The conversions the networks were told of, with the click id from the blog's URL.</p>\
        <table class=\"report\"><thead><tr><th scope=\"col\">Network</th><th scope=\"col\">Status</th><th scope=\"col\">Click id</th>\
        <th scope=\"col\">Amount</th><th scope=\"col\">Commission</th><th scope=\"col\">Order</th></tr></thead><tbody>");
    for p in r.postbacks.iter().rev() {
        let q = &p["query"];
        let _ = write!(
            body,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td><code>{}</code></td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
            cell(&p["network"]),
            cell(&q["status"]),
            cell(&q["click_id"]),
            cell(&q["amount"]),
            cell(&q["currency"]),
            cell(&q["commission"]),
            cell(&q["order_id"]),
        );
    }
    if r.postbacks.is_empty() {
        body.push_str("<tr><td colspan=\"6\">Nothing yet: open the blog with <code>?irclickid=...</code> in its address and buy.</td></tr>");
    }
    body.push_str("</tbody></table>");
    drop(r);
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"icon\" href=\"data:,\"><title>Partner systems · what the proxy told them</title>\
         <link rel=\"stylesheet\" href=\"/blog.css\"></head><body>\
         <header><main><h1>Partner systems</h1><p class=\"byline\">The CRM, the support desk and the affiliate networks</p></main></header>\
         <main>{body}<p>Reload to see new arrivals.</p></main></body></html>\n"
    ))
    .into_response()
}

impl Partner {
    /// The partner systems with a fresh secret per endpoint.
    pub fn new() -> Partner {
        let keys = ENDPOINTS
            .iter()
            .map(|(id, _)| ((*id).to_owned(), rand::random::<[u8; 32]>().to_vec()))
            .collect();
        Partner {
            keys: Arc::new(keys),
            received: Arc::default(),
        }
    }

    /// The endpoints file (`PROXY_WEBHOOKS`) pointing the proxy at these systems.
    pub fn endpoints_file(&self, base: &str) -> String {
        let mut out = String::from(
            "# Written by simology-demo for this run: the partner systems' endpoints.\n",
        );
        for (id, events) in ENDPOINTS {
            let key = self
                .keys
                .get(id)
                .map(|k| STANDARD.encode(k))
                .unwrap_or_default();
            let _ = write!(
                out,
                "\n[[endpoint]]\nid = \"{id}\"\nurl = \"{base}/hooks/{id}\"\nsecret = \"whsec_{key}\"\nevents = {events}\n"
            );
        }
        out
    }

    /// The router: the page, `/received.json`, the webhook and postback receivers.
    pub fn router(&self, css: &'static str) -> Router {
        Router::new()
            .route("/", get(page))
            .route("/received.json", get(received))
            .route("/hooks/{endpoint}", post(webhook))
            .route("/postbacks/{network}", get(postback))
            .route(
                "/blog.css",
                get(move || async move { ([(header::CONTENT_TYPE, "text/css")], css) }),
            )
            .with_state(self.clone())
    }
}

/// An affiliate network's postback URL to these systems, with every macro.
pub fn postback_url(base: &str, network: &str) -> String {
    format!(
        "{base}/postbacks/{network}?click_id={{click_id}}&order_id={{order_id}}&order_tag={{order_tag}}\
         &amount={{amount}}&amount_minor={{amount_minor}}&currency={{currency}}&commission={{commission}}\
         &commission_minor={{commission_minor}}&status={{status}}&placement={{placement}}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoints_file_is_what_the_proxy_reads_and_its_signatures_verify() {
        let partner = Partner::new();
        let text = partner.endpoints_file("http://127.0.0.1:9");
        let endpoints =
            simology_proxy::outgoing::endpoints::Endpoints::parse(&text, std::path::Path::new("."))
                .expect("the proxy reads the demo's file");
        let crm = endpoints.get("crm").expect("crm");
        let now = now_secs();
        let body = br#"{"type":"order.paid"}"#;
        let mut headers = HeaderMap::new();
        headers.insert("webhook-id", "msg_1".parse().expect("id"));
        headers.insert("webhook-timestamp", now.to_string().parse().expect("t"));
        let signature =
            simology_proxy::outgoing::signature::signature_header(&crm.secrets, "msg_1", now, body);
        headers.insert("webhook-signature", signature.parse().expect("sig"));
        let key = partner.keys.get("crm").expect("key");
        assert_eq!(
            verify(key, &headers, body, now),
            Ok(("msg_1".to_owned(), now))
        );
        assert!(verify(key, &headers, b"{}", now).is_err(), "another body");
        assert!(verify(key, &headers, body, now + 301).is_err(), "too late");
        let other = partner.keys.get("support").expect("key");
        assert!(
            verify(other, &headers, body, now).is_err(),
            "another secret"
        );
        assert!(
            simology_proxy::outgoing::postback::PostbackTemplate::parse(&postback_url(
                "http://127.0.0.1:9",
                "impact"
            ))
            .is_ok()
        );
    }
}
