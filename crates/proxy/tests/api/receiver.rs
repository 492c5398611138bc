//! The partner's systems in the tests: an HTTP server on port 0 that takes signed
//! webhooks at `/hooks/{endpoint}` (verifying each with its own implementation of the
//! Standard Webhooks algorithm: none of the proxy's code) and postbacks at
//! `/postbacks/{network}`, answers as each test tells it, and records everything.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::helpers::eventually;

/// The tests' endpoint secrets (`whsec_` and 32 bytes in base64).
pub const CRM_SECRET: &str = "whsec_Y3JtLXNlY3JldC1mb3ItdGhlLXRlc3RzLTAwMDAwMDAwMDE=";
pub const SUPPORT_SECRET: &str = "whsec_c3VwcG9ydC1zZWNyZXQtZm9yLXRoZS10ZXN0cy0wMDAwMDA=";

/// How an endpoint answers.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// 204.
    Accept,
    /// 500 this many times, then 204.
    FailFirst(usize),
    /// Always this status.
    Always(u16),
    /// 302 to elsewhere.
    Redirect,
    /// Answers 204 after this long.
    Slow(Duration),
}

/// One webhook attempt received.
#[derive(Debug, Clone)]
pub struct Hook {
    pub endpoint: String,
    pub id: String,
    pub timestamp: i64,
    pub body: Value,
    pub raw: String,
    /// Whether the signature verified under the endpoint's secret, within 5 minutes.
    pub verified: bool,
}

impl Hook {
    pub fn event_type(&self) -> &str {
        self.body["type"].as_str().unwrap_or_default()
    }
}

/// One postback received: the network and its query, decoded.
#[derive(Debug, Clone)]
pub struct Postback {
    pub network: String,
    pub raw_query: String,
    pub query: HashMap<String, String>,
}

#[derive(Default)]
struct Inner {
    keys: HashMap<String, Vec<u8>>,
    behaviour: HashMap<String, Behaviour>,
    hooks: Vec<Hook>,
    postbacks: Vec<Postback>,
    /// Attempts of each webhook-id being answered now, and how often two overlapped.
    in_flight: HashMap<String, usize>,
    overlaps: usize,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

/// The key of a `whsec_` secret.
fn key_of(secret: &str) -> Vec<u8> {
    STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_"))
        .expect("base64")
}

/// The specification's verification: HMAC-SHA256 of `id.timestamp.body` under the key,
/// one of the space-separated `v1,<base64>` matching, the timestamp within 5 minutes.
pub fn verify(key: &[u8], headers: &HeaderMap, body: &[u8]) -> Option<(String, i64)> {
    let text = |name: &str| headers.get(name)?.to_str().ok().map(str::to_owned);
    let id = text("webhook-id")?;
    let timestamp: i64 = text("webhook-timestamp")?.parse().ok()?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if (now - timestamp).abs() > 300 {
        return None;
    }
    let signatures = text("webhook-signature")?;
    let ok = signatures.split(' ').any(|sig| {
        let Some(encoded) = sig.strip_prefix("v1,") else {
            return false;
        };
        let Ok(given) = STANDARD.decode(encoded) else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("hmac");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        mac.verify_slice(&given).is_ok()
    });
    ok.then_some((id, timestamp))
}

async fn hook(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(endpoint): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (behaviour, verified, id) = {
        let mut g = inner.lock().expect("lock");
        let key = g.keys.get(&endpoint).cloned().unwrap_or_default();
        let checked = verify(&key, &headers, &body);
        let id = headers
            .get("webhook-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let timestamp = checked.as_ref().map_or(0, |(_, t)| *t);
        let running = g.in_flight.entry(id.clone()).or_default();
        *running += 1;
        if *running > 1 {
            g.overlaps += 1;
        }
        g.hooks.push(Hook {
            endpoint: endpoint.clone(),
            id: id.clone(),
            timestamp,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            raw: String::from_utf8_lossy(&body).into_owned(),
            verified: checked.is_some(),
        });
        let behaviour = g
            .behaviour
            .get(&endpoint)
            .cloned()
            .unwrap_or(Behaviour::Accept);
        if let Behaviour::FailFirst(n) = behaviour {
            g.behaviour.insert(
                endpoint.clone(),
                if n > 1 {
                    Behaviour::FailFirst(n - 1)
                } else {
                    Behaviour::Accept
                },
            );
        }
        (behaviour, checked.is_some(), id)
    };
    let answer = match behaviour {
        _ if !verified => StatusCode::UNAUTHORIZED.into_response(),
        Behaviour::Accept => StatusCode::NO_CONTENT.into_response(),
        Behaviour::FailFirst(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Behaviour::Always(s) => StatusCode::from_u16(s).expect("status").into_response(),
        Behaviour::Redirect => {
            (StatusCode::FOUND, [("location", "/hooks/elsewhere")]).into_response()
        }
        Behaviour::Slow(d) => {
            tokio::time::sleep(d).await;
            StatusCode::NO_CONTENT.into_response()
        }
    };
    if let Some(n) = inner.lock().expect("lock").in_flight.get_mut(&id) {
        *n -= 1;
    }
    answer
}

async fn postback(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(network): Path<String>,
    RawQuery(query): RawQuery,
) -> StatusCode {
    let raw_query = query.unwrap_or_default();
    let query = url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    inner.lock().expect("lock").postbacks.push(Postback {
        network,
        raw_query,
        query,
    });
    StatusCode::OK
}

impl Receiver {
    /// Serves on a free port with endpoints `crm` and `support` (their secrets above).
    pub async fn start() -> Receiver {
        let inner = Arc::new(Mutex::new(Inner::default()));
        {
            let mut g = inner.lock().expect("lock");
            for (id, secret) in [("crm", CRM_SECRET), ("support", SUPPORT_SECRET)] {
                g.keys.insert(id.to_owned(), key_of(secret));
            }
        }
        let app = axum::Router::new()
            .route("/hooks/{endpoint}", axum::routing::post(hook))
            .route("/postbacks/{network}", axum::routing::get(postback))
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, inner }
    }

    pub fn behave(&self, endpoint: &str, behaviour: Behaviour) {
        self.inner
            .lock()
            .expect("lock")
            .behaviour
            .insert(endpoint.to_owned(), behaviour);
    }

    pub fn hooks(&self) -> Vec<Hook> {
        self.inner.lock().expect("lock").hooks.clone()
    }

    pub fn postbacks(&self) -> Vec<Postback> {
        self.inner.lock().expect("lock").postbacks.clone()
    }

    /// How often two attempts of one webhook-id were being answered at once.
    pub fn overlaps(&self) -> usize {
        self.inner.lock().expect("lock").overlaps
    }

    /// Waits until `done` holds for the webhooks received (see [`eventually`]).
    pub async fn wait_for_hooks(&self, what: &str, done: impl Fn(&[Hook]) -> bool) -> Vec<Hook> {
        eventually(what, async || {
            let hooks = self.hooks();
            if done(&hooks) {
                Ok(hooks)
            } else {
                Err(hooks
                    .iter()
                    .map(|h| format!("{} {} {} {}", h.endpoint, h.id, h.event_type(), h.verified))
                    .collect::<Vec<_>>())
            }
        })
        .await
    }

    /// Waits until `done` holds for the postbacks received.
    pub async fn wait_for_postbacks(
        &self,
        what: &str,
        done: impl Fn(&[Postback]) -> bool,
    ) -> Vec<Postback> {
        eventually(what, async || {
            let postbacks = self.postbacks();
            if done(&postbacks) {
                Ok(postbacks)
            } else {
                Err(postbacks
                    .iter()
                    .map(|p| p.raw_query.clone())
                    .collect::<Vec<_>>())
            }
        })
        .await
    }
}

/// An endpoints file: each `(id, secret, events)` at the receiver's `/hooks/{id}`.
pub fn endpoints_file(receiver: &str, endpoints: &[(&str, &str, &str)]) -> String {
    endpoints
        .iter()
        .map(|(id, secret, events)| {
            format!(
                "[[endpoint]]\nid = \"{id}\"\nurl = \"{receiver}/hooks/{id}\"\nsecret = \"{secret}\"\nevents = {events}\n"
            )
        })
        .collect()
}
