//! The partner's systems for the chaos test and the outbox bench: a receiver on port 0
//! that verifies each webhook's signature, refuses the first attempt of one event in
//! ten (so retries run), records every attempt by `webhook-id`, and takes postbacks.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use simology_proxy::outgoing::signature::{verify, Secret};

/// The endpoint's secret (a fixed one: the bench's own).
pub const SECRET: &str = "whsec_Y2hhb3MtcGFydG5lci1zZWNyZXQtMDAwMDAwMDAwMDAwMDE=";

/// One webhook that arrived.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// `webhook-id`.
    pub id: String,
    /// The event's type.
    pub event_type: String,
    /// The order's public id.
    pub order_id: String,
    /// A conversion's status.
    pub status: Option<String>,
    /// The payload's `timestamp` (the change's commit), Unix ms.
    pub changed_ms: Option<i64>,
    /// When it arrived, Unix ms.
    pub at_ms: i64,
    /// Whether this attempt was answered 2xx.
    pub accepted: bool,
}

#[derive(Default)]
struct Inner {
    arrivals: Vec<Arrival>,
    bad_signatures: usize,
    postbacks: Vec<HashMap<String, String>>,
    /// Ids whose first attempt was refused already.
    refused: HashSet<String>,
}

/// The receiver.
#[derive(Clone)]
pub struct Receiver {
    /// Its base URL.
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    /// Refuse the first attempt of one event in ten.
    flaky: bool,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0))
}

fn rfc3339_ms(text: &str) -> Option<i64> {
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let id = text("webhook-id").to_owned();
    let timestamp: i64 = text("webhook-timestamp").parse().unwrap_or(0);
    let Ok(secret) = Secret::parse(SECRET) else {
        return StatusCode::INTERNAL_SERVER_ERROR;
    };
    let Ok(mut inner) = r.inner.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR;
    };
    if !verify(
        &secret,
        &id,
        timestamp,
        text("webhook-signature"),
        &body,
        now_ms() / 1000,
    ) {
        inner.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let payload: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    // One event in ten is refused at its first attempt (by its id, so the same whatever
    // the order of arrival): the retry schedule runs.
    let first = !inner.refused.contains(&id);
    let refuse = r.flaky && first && id.bytes().map(u32::from).sum::<u32>() % 10 == 0;
    if refuse {
        inner.refused.insert(id.clone());
    }
    inner.arrivals.push(Arrival {
        id,
        event_type: payload["type"].as_str().unwrap_or_default().to_owned(),
        order_id: payload["data"]["order_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        status: payload["data"]["status"].as_str().map(str::to_owned),
        changed_ms: payload["timestamp"].as_str().and_then(rfc3339_ms),
        at_ms: now_ms(),
        accepted: !refuse,
    });
    if refuse {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::NO_CONTENT
    }
}

async fn postback(State(r): State<Receiver>, RawQuery(query): RawQuery) -> StatusCode {
    let query = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    if let Ok(mut inner) = r.inner.lock() {
        inner.postbacks.push(query);
    }
    StatusCode::OK
}

impl Receiver {
    /// Serves on a free port of loopback.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start(flaky: bool) -> Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the receiver")?;
        let receiver = Receiver {
            url: format!("http://{}", listener.local_addr()?),
            inner: Arc::default(),
            flaky,
        };
        let app = axum::Router::new()
            .route("/hooks/crm", axum::routing::post(hook))
            .route("/postbacks/network", axum::routing::get(postback))
            .with_state(receiver.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(receiver)
    }

    /// The endpoints file: `crm`, every event.
    pub fn endpoints_file(&self) -> String {
        format!(
            "[[endpoint]]\nid = \"crm\"\nurl = \"{}/hooks/crm\"\nsecret = \"{SECRET}\"\nevents = [\"*\"]\n",
            self.url
        )
    }

    /// A postback URL with the click id, the order and the status.
    pub fn postback_url(&self) -> String {
        format!(
            "{}/postbacks/network?click_id={{click_id}}&order_id={{order_id}}&status={{status}}&amount_minor={{amount_minor}}",
            self.url
        )
    }

    /// Every attempt that arrived (verified).
    pub fn arrivals(&self) -> Vec<Arrival> {
        self.inner
            .lock()
            .map(|i| i.arrivals.clone())
            .unwrap_or_default()
    }

    /// Attempts whose signature did not verify.
    pub fn bad_signatures(&self) -> usize {
        self.inner.lock().map_or(usize::MAX, |i| i.bad_signatures)
    }

    /// Every postback's query.
    pub fn postbacks(&self) -> Vec<HashMap<String, String>> {
        self.inner
            .lock()
            .map(|i| i.postbacks.clone())
            .unwrap_or_default()
    }
}
