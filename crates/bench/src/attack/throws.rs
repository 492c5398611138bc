//! What is thrown at the proxy, an attacker a function: slow sockets, a long-poll flood,
//! spoofed checkouts, guessed references, oversized and slow bodies, webhook replays,
//! and the well-behaved client who buys an eSIM and keeps reading meanwhile.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use simology::events::{ActivationReady, Event, EventPayload};
use simology::models::ActivatedLine;
use simology::webhook::{signature_header, SIGNATURE_HEADER};
use simology::Lpa;
use simology_sandbox::{CARD_SUCCESS, DEFAULT_WEBHOOK_SECRET};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::*;

/// What every attack shares.
pub(super) struct Target {
    pub(super) proxy: String,
    pub(super) host: String,
    pub(super) http: reqwest::Client,
    /// Set when the attack is over.
    pub(super) over: watch::Receiver<bool>,
}

impl Target {
    pub(super) fn over(&self) -> bool {
        *self.over.borrow()
    }

    pub(super) fn get(&self, path: &str, client: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.proxy))
            .header("x-forwarded-for", client)
    }

    pub(super) fn checkout(&self, client: &str, intent: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/api/checkout", self.proxy))
            .header("origin", ORIGIN)
            .header("x-forwarded-for", client)
            .json(&json!({
                "sku": "JP-1GB-7D", "quantity": 1, "email": "traveller@example.com",
                "locale": "en", "intent_id": intent, "return_url": format!("{ORIGIN}/"),
            }))
    }
}

/// Completes once the attack is over.
pub(super) async fn ended(over: &mut watch::Receiver<bool>) {
    loop {
        let done = *over.borrow_and_update();
        if done || over.changed().await.is_err() {
            return;
        }
    }
}

/// Slow sockets: half never send a byte, half send a header line a second; each is
/// opened again when the proxy closes it, until the attack is over.
pub(super) async fn slow_sockets(
    target: Arc<Target>,
    n: usize,
    opened: Arc<AnswerCounts>,
    all_open: watch::Sender<bool>,
) {
    let mut tasks = Vec::new();
    let (first_wave, mut first_wave_rx) = watch::channel(0usize);
    let first_wave = Arc::new(first_wave);
    for i in 0..n {
        let target = Arc::clone(&target);
        let opened = Arc::clone(&opened);
        let first_wave = Arc::clone(&first_wave);
        tasks.push(tokio::spawn(async move {
            let mut first = true;
            while !target.over() {
                let Ok(mut s) = TcpStream::connect(&target.host).await else {
                    opened.add("connect failed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                };
                opened.add("opened");
                if first {
                    first = false;
                    first_wave.send_modify(|n| *n += 1);
                }
                let mut over = target.over.clone();
                let mut buf = [0u8; 512];
                if i % 2 == 0 {
                    // Silent: wait for the proxy to close it (or the end).
                    tokio::select! {
                        _ = s.read(&mut buf) => opened.add("closed by the proxy"),
                        () = ended(&mut over) => return,
                    }
                } else {
                    let _ = s
                        .write_all(b"GET /api/catalog?country=JP HTTP/1.1\r\nHost: x\r\n")
                        .await;
                    loop {
                        tokio::select! {
                            read = s.read(&mut buf) => {
                                if matches!(read, Ok(0) | Err(_)) {
                                    opened.add("closed by the proxy");
                                    break;
                                }
                            }
                            () = tokio::time::sleep(Duration::from_secs(1)) => {
                                if s.write_all(b"X-Slow: 1\r\n").await.is_err() {
                                    opened.add("closed by the proxy");
                                    break;
                                }
                            }
                            () = ended(&mut over) => return,
                        }
                    }
                }
            }
        }));
    }
    let _ = first_wave_rx.wait_for(|k| *k >= n).await;
    let _ = all_open.send(true);
    for t in tasks {
        let _ = t.await;
    }
}

/// Long-polls from one client on its own order, each asked again 50 ms after its
/// answer, until the attack is over.
pub(super) async fn long_poll_flood(
    target: Arc<Target>,
    slots: usize,
    tally: Arc<AnswerCounts>,
) -> Result<()> {
    let r: Value = target
        .checkout(FLOODER, "flood-intent-0001")
        .send()
        .await?
        .json()
        .await?;
    let order_ref = r["order_ref"]
        .as_str()
        .context("the flooder's order")?
        .to_owned();
    let first: Value = target
        .get(&format!("/api/orders/{order_ref}"), FLOODER)
        .send()
        .await?
        .json()
        .await?;
    let version = first["version"].as_i64().context("version")?;
    let mut tasks = Vec::new();
    for _ in 0..slots {
        let target = Arc::clone(&target);
        let tally = Arc::clone(&tally);
        let path = format!("/api/orders/{order_ref}?wait=25&version={version}");
        tasks.push(tokio::spawn(async move {
            while !target.over() {
                let answer = target.get(&path, FLOODER).send().await;
                tally.add(outcome(answer).await);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    Ok(())
}

/// Checkouts from one client, each writing a random address before the one the load
/// balancer appends.
pub(super) async fn spoofed_checkouts(
    target: Arc<Target>,
    n: usize,
    tally: Arc<AnswerCounts>,
    made: Arc<Mutex<Vec<String>>>,
) {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (target, tally, made, next) = (
            Arc::clone(&target),
            Arc::clone(&tally),
            Arc::clone(&made),
            Arc::clone(&next),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n as u64 {
                    break;
                }
                let spoofed = format!(
                    "{}.{}.{}.{}, {SPOOFER}",
                    1 + i % 223,
                    (i / 7) % 256,
                    (i / 11) % 256,
                    i % 251
                );
                let answer = target
                    .checkout(&spoofed, &format!("spoof-intent-{i:08}"))
                    .header("x-forwarded-for", spoofed.clone())
                    .send()
                    .await;
                match answer {
                    Ok(r) if r.status() == 200 => {
                        tally.add("200");
                        if let Ok(v) = r.json::<Value>().await {
                            if let (Some(r), Ok(mut m)) = (v["order_ref"].as_str(), made.lock()) {
                                m.push(r.to_owned());
                            }
                        }
                    }
                    other => tally.add(outcome(other).await),
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// One hex digit of a reference changed.
pub(super) fn near_miss(real: &str, i: u64) -> String {
    let mut chars: Vec<char> = real.chars().collect();
    let at = 2 + (i as usize % 32);
    let digit = chars[at].to_digit(16).unwrap_or(0);
    chars[at] = std::char::from_digit((digit + 1 + (i as u32 / 32) % 15) % 16, 16).unwrap_or('0');
    chars.into_iter().collect()
}

/// Random, near-miss and malformed references from one client.
pub(super) async fn guesses(
    target: Arc<Target>,
    n: usize,
    tally: Arc<AnswerCounts>,
    real: watch::Receiver<Option<String>>,
) {
    let mut real = real;
    let real_ref = match real.wait_for(Option::is_some).await {
        Ok(r) => r.clone().unwrap_or_default(),
        Err(_) => return,
    };
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (target, tally, next, real_ref) = (
            Arc::clone(&target),
            Arc::clone(&tally),
            Arc::clone(&next),
            real_ref.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n as u64 {
                    break;
                }
                let guess = match i % 10 {
                    0..=4 => format!("o_{:032x}", rand::random::<u128>()),
                    5..=8 => near_miss(&real_ref, i),
                    _ => format!("o_{:x}..%2F", i),
                };
                if guess == real_ref {
                    continue;
                }
                let answer = target
                    .get(&format!("/api/orders/{guess}"), GUESSER)
                    .send()
                    .await;
                tally.add(outcome(answer).await);
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// Oversized bodies (1 MB) and slow bodies (a tenth sent, then nothing).
pub(super) async fn bodies(
    target: Arc<Target>,
    oversized: usize,
    slow: usize,
    tally: Arc<AnswerCounts>,
) {
    let big = format!(
        "{{\"sku\":\"JP-1GB-7D\",\"email\":\"{}\"}}",
        "a".repeat(1 << 20)
    );
    let mut tasks = Vec::new();
    for i in 0..oversized {
        let (target, tally, big) = (Arc::clone(&target), Arc::clone(&tally), big.clone());
        tasks.push(tokio::spawn(async move {
            let path = if i % 2 == 0 {
                "/api/checkout"
            } else {
                "/webhooks/simology"
            };
            let answer = target
                .http
                .post(format!("{}{path}", target.proxy))
                .header("origin", ORIGIN)
                .header("content-type", "application/json")
                .header("x-forwarded-for", STUFFER)
                .body(big)
                .send()
                .await;
            tally.add(format!("oversized: {}", outcome(answer).await));
        }));
    }
    for i in 0..slow {
        let (target, tally) = (Arc::clone(&target), Arc::clone(&tally));
        tasks.push(tokio::spawn(async move {
            let Ok(mut s) = TcpStream::connect(&target.host).await else {
                tally.add("slow body: connect failed");
                return;
            };
            let path = if i % 2 == 0 { "/api/checkout" } else { "/webhooks/simology" };
            // Each from its own address (a botnet's), so no rate limit answers first.
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nOrigin: {ORIGIN}\r\nX-Forwarded-For: 192.0.2.{}\r\n\
                 Content-Type: application/json\r\nSimology-Signature: t=1,v1=00\r\nContent-Length: 1000\r\n\r\n{{\"sku\": \"JP",
                1 + i % 250
            );
            let _ = s.write_all(head.as_bytes()).await;
            let mut answer = Vec::new();
            let mut buf = [0u8; 1024];
            let ended = tokio::time::timeout(Duration::from_secs(60), async {
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => answer.extend_from_slice(&buf[..n]),
                    }
                }
            })
            .await;
            let text = String::from_utf8_lossy(&answer);
            let status = text.split_whitespace().nth(1).unwrap_or("none");
            tally.add(match ended {
                Ok(()) => format!("slow body: {status}, closed"),
                Err(_) => "slow body: still open after 60 s".to_owned(),
            });
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// Replays of the well-behaved order's signed events: old ones (stale), and fresh
/// signatures over copies with the same event ids and forged contents (duplicates).
pub(super) async fn replays(
    target: Arc<Target>,
    n: usize,
    tally: Arc<AnswerCounts>,
    events: watch::Receiver<Option<(String, Vec<String>)>>,
) {
    let mut events = events;
    let (order_id, ids) = match events.wait_for(Option::is_some).await {
        Ok(e) => e.clone().unwrap_or_default(),
        Err(_) => return,
    };
    if ids.is_empty() {
        return;
    }
    for i in 0..n {
        let id = &ids[i % ids.len()];
        let now = OffsetDateTime::now_utc();
        let Ok(lpa) = Lpa::new("sm-dp-plus.forged.example", &format!("FORGED-{i:06}")) else {
            continue;
        };
        let event = Event {
            id: id.clone(),
            created: now,
            payload: EventPayload::ActivationReady(ActivationReady {
                order_id: order_id.clone(),
                line: ActivatedLine {
                    iccid: "8988307000000000000".into(),
                    smdp_plus: lpa,
                    qr_url: None,
                    valid_from: now,
                    expires_at: now + time::Duration::days(30),
                },
            }),
        };
        let Ok(body) = event.to_json() else {
            continue;
        };
        let (t, label) = if i % 2 == 0 {
            (now.unix_timestamp() - 3600, "old (an hour)")
        } else {
            (now.unix_timestamp(), "fresh, same event id")
        };
        let header = signature_header(&body, &[DEFAULT_WEBHOOK_SECRET], t);
        let answer = target
            .http
            .post(format!("{}/webhooks/simology", target.proxy))
            .header(SIGNATURE_HEADER, header)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        tally.add(format!("{label}: {}", outcome(answer).await));
    }
}

/// What the well-behaved client saw.
#[derive(Default)]
pub(super) struct Good {
    pub(super) order_ref: Option<String>,
    pub(super) lpa: Option<String>,
    pub(super) purchase_s: Option<f64>,
    pub(super) latencies_ms: Vec<f64>,
    pub(super) failures: Vec<String>,
}

/// Buys an eSIM once the slow sockets are open, then reads its status and the
/// catalogue until the attack is over.
pub(super) async fn well_behaved(
    target: Arc<Target>,
    sandbox: &simology_sandbox::RunningSandbox,
    all_open: watch::Receiver<bool>,
    real: watch::Sender<Option<String>>,
    events: watch::Sender<Option<(String, Vec<String>)>>,
) -> Good {
    let mut good = Good::default();
    let mut all_open = all_open;
    let _ = all_open.wait_for(|o| *o).await;
    if let Err(e) = buy(&target, sandbox, &mut good, &real, &events).await {
        good.failures.push(format!("buying: {e:#}"));
        let _ = real.send(Some(String::new()));
        let _ = events.send(Some((String::new(), Vec::new())));
        return good;
    }
    let Some(order_ref) = good.order_ref.clone() else {
        return good;
    };
    let mut i = 0u64;
    while !target.over() {
        let path = if i % 5 == 4 {
            "/api/catalog?country=JP".to_owned()
        } else {
            format!("/api/orders/{order_ref}")
        };
        let started = Instant::now();
        let answer = target
            .get(&path, GOOD)
            .timeout(Duration::from_secs(30))
            .send()
            .await;
        let took = started.elapsed().as_secs_f64() * 1000.0;
        match answer {
            Ok(r) if r.status() == 200 => {
                if r.bytes().await.is_ok() {
                    good.latencies_ms
                        .push(started.elapsed().as_secs_f64() * 1000.0);
                } else {
                    good.failures
                        .push(format!("{path}: body cut after {took:.0} ms"));
                }
            }
            other => good.failures.push(format!(
                "{path}: {} after {took:.0} ms",
                outcome(other).await
            )),
        }
        i += 1;
        // Five reads a second: well within the status budget of 600 a minute.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    good
}

pub(super) async fn buy(
    target: &Target,
    sandbox: &simology_sandbox::RunningSandbox,
    good: &mut Good,
    real: &watch::Sender<Option<String>>,
    events: &watch::Sender<Option<(String, Vec<String>)>>,
) -> Result<()> {
    let started = Instant::now();
    let catalog = target.get("/api/catalog?country=JP", GOOD).send().await?;
    if catalog.status() != 200 {
        bail!("the catalogue answered {}", catalog.status());
    }
    let r = target.checkout(GOOD, "good-intent-0001").send().await?;
    if r.status() != 200 {
        bail!("checkout answered {}", r.status());
    }
    let r: Value = r.json().await?;
    let order_ref = r["order_ref"].as_str().context("order_ref")?.to_owned();
    let payment_url = r["payment_url"].as_str().context("payment_url")?.to_owned();
    good.order_ref = Some(order_ref.clone());
    let _ = real.send(Some(order_ref.clone()));
    let paid = target
        .http
        .post(&payment_url)
        .form(&[("card", CARD_SUCCESS), ("action", "pay")])
        .send()
        .await?;
    if paid.status() != 303 {
        bail!("payment answered {}", paid.status());
    }
    // Long-polls until ready, as the widget does.
    let mut version: Option<i64> = None;
    let view = loop {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("not ready within 60 s");
        }
        let query = version.map_or_else(String::new, |v| format!("?wait=25&version={v}"));
        let r = target
            .get(&format!("/api/orders/{order_ref}{query}"), GOOD)
            .send()
            .await?;
        if r.status() != 200 {
            bail!("status answered {}", r.status());
        }
        let view: Value = r.json().await?;
        if view["state"] == "ready" {
            break view;
        }
        version = view["version"].as_i64();
    };
    good.purchase_s = Some(started.elapsed().as_secs_f64());
    good.lpa = view["esim"]["lpa"].as_str().map(str::to_owned);
    // The order's events, for the replays.
    let order = sandbox
        .orders()
        .into_iter()
        .find(|o| o.metadata.get("order_ref") == Some(&order_ref))
        .context("the order upstream")?;
    let ids: Vec<String> = sandbox
        .deliveries()
        .into_iter()
        .filter(|d| d.order_id.as_deref() == Some(order.id.as_str()))
        .map(|d| d.event_id)
        .collect();
    let _ = events.send(Some((order.id, ids)));
    Ok(())
}
