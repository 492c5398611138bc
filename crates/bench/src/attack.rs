//! `simology-bench attack`: the proxy as a process on loopback, against the sandbox,
//! behind a (pretend) load balancer that appends the client's address to
//! `X-Forwarded-For` (`PROXY_TRUSTED_PROXIES=1`), thrown at from this process:
//!
//! - slow sockets: half silent, half sending a header line a second, reconnecting when
//!   the proxy closes them;
//! - a long-poll flood from one client on its own order;
//! - checkouts from one client with a random address written before the load
//!   balancer's;
//! - random and near-miss order references from one client;
//! - oversized bodies and slow bodies;
//! - replays of the well-behaved order's signed webhooks: old ones (stale), and fresh
//!   copies of its events with forged contents (duplicates);
//!
//! while a well-behaved client buys an eSIM and keeps reading its status and the
//! catalogue. Then, on the affiliates' side (`funnel_attack.rs`): forged beacons from
//! thousands of addresses while signed webhooks keep coming, reports over what they
//! left, and a guesser of report tokens. It prints what it threw and what held: the
//! well-behaved client's p99, requests refused per reason, the proxy's open files and
//! memory at the peak, the funnel rows the flood added, the webhooks' p99 before and
//! during the flood, the reports' time; and it fails when the well-behaved client
//! could not buy or read, an order was lost, a guess found an order, a replay changed
//! the eSIM, more long-polls waited or more checkouts or token guesses passed than the
//! proxy's settings allow (read from its own configuration, not copied), the flood
//! added more rows than the caps allow, or the proxy crashed.
//!
//! The open-file limit of this process (and so of the proxy it starts) is raised to
//! the hard limit: nothing else on the machine changes.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use simology::events::{ActivationReady, Event, EventPayload};
use simology::models::ActivatedLine;
use simology::webhook::{signature_header, SIGNATURE_HEADER};
use simology::Lpa;
use simology_sandbox::{SandboxConfig, CARD_SUCCESS, DEFAULT_WEBHOOK_SECRET};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

const ORIGIN: &str = "http://attack.test";
/// The well-behaved client, as the load balancer writes it.
const GOOD: &str = "203.0.113.10";
/// Each attack's own client address (the spoofed checkouts write random ones before
/// theirs).
const FLOODER: &str = "198.51.100.66";
const SPOOFER: &str = "198.51.100.77";
const GUESSER: &str = "198.51.100.88";
const STUFFER: &str = "198.51.100.99";
/// Reads after the attack, to check every order, from an address nobody spent.
const AUDITOR: &str = "203.0.113.200";
/// The proxy's metrics token (`/metrics` is not public without one).
const METRICS_TOKEN: &str = "attack-metrics-token-0123456789abcdef";

/// What the proxy allows, read from its own settings (the environment it is started
/// with), so the attack's verdicts follow the proxy's configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Allowed {
    /// Long-polls one client may hold waiting.
    long_polls_per_client: u32,
    /// Checkouts per client per minute (and its burst).
    checkout_per_minute: u32,
    /// Failed authentications per client per minute.
    failures_per_minute: u32,
}

impl Allowed {
    fn of(env: &[(String, String)]) -> Result<Allowed> {
        let settings = simology_proxy::config::Settings::load_with(None, &|name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
        .context("the proxy's settings")?;
        Ok(Allowed {
            long_polls_per_client: settings.serving.long_polls_per_client,
            checkout_per_minute: settings.rate_limits.checkout_per_minute,
            failures_per_minute: simology_proxy::ratelimit::FAILURES_PER_MINUTE,
        })
    }

    /// Checkouts one client may make in `seconds`: the burst, then the rate.
    fn checkouts_in(&self, seconds: f64) -> u64 {
        u64::from(simology_proxy::ratelimit::burst(self.checkout_per_minute))
            + (seconds * f64::from(self.checkout_per_minute) / 60.0).ceil() as u64
    }
}

/// How much is thrown.
#[derive(Debug, Clone, Copy)]
struct Intensity {
    name: &'static str,
    slow_sockets: usize,
    long_polls: usize,
    checkouts: usize,
    guesses: usize,
    oversized: usize,
    slow_bodies: usize,
    replays: usize,
    /// The attack lasts at least this long (the slow sockets and the flood go on).
    at_least: Duration,
    /// Forged beacons after the first phase, and from how many addresses.
    beacons: usize,
    beacon_clients: usize,
    /// Wrong report tokens from one address.
    token_guesses: usize,
}

const FULL: Intensity = Intensity {
    name: "full",
    slow_sockets: 2000,
    long_polls: 200,
    checkouts: 1000,
    guesses: 10_000,
    oversized: 50,
    slow_bodies: 20,
    replays: 1000,
    at_least: Duration::from_secs(45),
    beacons: 100_000,
    beacon_clients: 10_000,
    token_guesses: 2_000,
};

const SHORT: Intensity = Intensity {
    name: "short",
    slow_sockets: 2000,
    long_polls: 100,
    checkouts: 300,
    guesses: 2000,
    oversized: 10,
    slow_bodies: 5,
    replays: 200,
    at_least: Duration::from_secs(15),
    beacons: 10_000,
    beacon_clients: 1_000,
    token_guesses: 300,
};

/// `simology-bench attack`: its options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The `simology-proxy` binary to attack.
    #[arg(long)]
    proxy_bin: String,
    /// How much is thrown.
    #[arg(long, value_enum, default_value_t = FormName::Full)]
    form: FormName,
}

/// The forms of the attack.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormName {
    /// Everything, at full size (`cargo xtask attack`).
    Full,
    /// Smaller counts, for the `attack` suite of `cargo xtask test`.
    Short,
}

/// Answers counted by what they were (`"429 rate_limited"`, ...).
#[derive(Default)]
pub(crate) struct AnswerCounts(Mutex<BTreeMap<String, u64>>);

impl AnswerCounts {
    pub(crate) fn add(&self, what: impl Into<String>) {
        if let Ok(mut m) = self.0.lock() {
            *m.entry(what.into()).or_default() += 1;
        }
    }

    pub(crate) fn get(&self, what: &str) -> u64 {
        self.0
            .lock()
            .map_or(0, |m| m.get(what).copied().unwrap_or(0))
    }

    pub(crate) fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// An answer's status and error code, as a tally key.
pub(crate) async fn outcome(r: reqwest::Result<reqwest::Response>) -> String {
    match r {
        Err(e) if e.is_timeout() => "no answer (timeout)".into(),
        Err(_) => "connection error".into(),
        Ok(r) => {
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            match body["error"]["code"].as_str() {
                Some(code) => format!("{status} {code}"),
                None => status.to_string(),
            }
        }
    }
}

/// A proxy process started from its binary (its URL read from its first line),
/// killed when dropped; the outbox driver's too.
pub(crate) struct Proxy {
    child: Child,
    pub(crate) url: String,
    pid: u32,
}

impl Proxy {
    pub(crate) fn start(
        bin: &str,
        env: &[(String, String)],
        log: &std::path::Path,
    ) -> Result<Proxy> {
        let mut child = Command::new(bin)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).context("the proxy's log")?)
            .spawn()
            .with_context(|| format!("starting {bin}"))?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .with_context(|| format!("the proxy did not start: {line:?}"))?
            .to_owned();
        std::thread::spawn(move || for _ in reader.lines() {});
        let pid = child.id();
        Ok(Proxy { child, url, pid })
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The proxy's open files and resident memory, at their peak.
#[derive(Default)]
struct Peaks {
    files: AtomicU64,
    rss_kb: AtomicU64,
    waiting_long_polls: AtomicU64,
}

fn open_files(pid: u32) -> Option<u64> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64)
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A value of the proxy's `/metrics` (name with labels as printed); 0 when absent.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn metrics_text(http: &reqwest::Client, proxy: &str) -> String {
    let scrape = http
        .get(format!("{proxy}/metrics"))
        .bearer_auth(METRICS_TOKEN);
    match scrape.send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// What every attack shares.
struct Target {
    proxy: String,
    host: String,
    http: reqwest::Client,
    /// Set when the attack is over.
    over: watch::Receiver<bool>,
}

impl Target {
    fn over(&self) -> bool {
        *self.over.borrow()
    }

    fn get(&self, path: &str, client: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.proxy))
            .header("x-forwarded-for", client)
    }

    fn checkout(&self, client: &str, intent: &str) -> reqwest::RequestBuilder {
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
async fn ended(over: &mut watch::Receiver<bool>) {
    loop {
        let done = *over.borrow_and_update();
        if done || over.changed().await.is_err() {
            return;
        }
    }
}

/// Slow sockets: half never send a byte, half send a header line a second; each is
/// opened again when the proxy closes it, until the attack is over.
async fn slow_sockets(
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
async fn long_poll_flood(
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
async fn spoofed_checkouts(
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
fn near_miss(real: &str, i: u64) -> String {
    let mut chars: Vec<char> = real.chars().collect();
    let at = 2 + (i as usize % 32);
    let digit = chars[at].to_digit(16).unwrap_or(0);
    chars[at] = std::char::from_digit((digit + 1 + (i as u32 / 32) % 15) % 16, 16).unwrap_or('0');
    chars.into_iter().collect()
}

/// Random, near-miss and malformed references from one client.
async fn guesses(
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
async fn bodies(target: Arc<Target>, oversized: usize, slow: usize, tally: Arc<AnswerCounts>) {
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
async fn replays(
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
struct Good {
    order_ref: Option<String>,
    lpa: Option<String>,
    purchase_s: Option<f64>,
    latencies_ms: Vec<f64>,
    failures: Vec<String>,
}

/// Buys an eSIM once the slow sockets are open, then reads its status and the
/// catalogue until the attack is over.
async fn well_behaved(
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

async fn buy(
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

pub(crate) fn p99(samples: &[f64]) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let i = ((s.len() as f64) * 0.99).ceil() as usize;
    Some(s[i.clamp(1, s.len()) - 1])
}

/// Runs the attack.
///
/// # Errors
/// When something did not hold, or the run cannot be set up.
pub async fn run(args: Args) -> Result<()> {
    let form = match args.form {
        FormName::Full => FULL,
        FormName::Short => SHORT,
    };
    let bin = args.proxy_bin;
    let files = rlimit::increase_nofile_limit(u64::MAX).context("raising the open-file limit")?;
    let dir = std::env::temp_dir().join(format!("simology-attack-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let sandbox = simology_sandbox::spawn(SandboxConfig {
        activation_delay: Duration::from_millis(1000),
        refund_delay: Duration::from_millis(300),
        time_scale: 600.0,
        ..SandboxConfig::default()
    })
    .await?;
    // One affiliate, whose site the beacon flood claims to be.
    let report_token = format!(
        "{:032x}{:032x}",
        rand::random::<u128>(),
        rand::random::<u128>()
    );
    let affiliates = dir.join("affiliates.toml");
    std::fs::write(
        &affiliates,
        format!(
            "[[affiliate]]\nid = \"{}\"\nname = \"Flood target\"\norigins = [\"{ORIGIN}\"]\n\
             commission_bps = 1000\ntoken = \"{report_token}\"\n",
            crate::funnel_attack::AFFILIATE
        ),
    )?;
    let database_url = format!("sqlite://{}", dir.join("proxy.db").display());
    let env = crate::proxy_env(
        sandbox.url(),
        ORIGIN,
        &[
            ("PROXY_LISTEN", "127.0.0.1:0".to_owned()),
            ("PROXY_DATABASE_URL", database_url.clone()),
            ("PROXY_TRUSTED_PROXIES", "1".to_owned()),
            ("PROXY_AFFILIATES", affiliates.display().to_string()),
            ("PROXY_METRICS_TOKEN", METRICS_TOKEN.to_owned()),
            ("PROXY_LOG_FORMAT", "text".to_owned()),
            (
                "PROXY_LOG_TAG_KEY",
                crate::funnel_attack::ATTACK_KEY.to_owned(),
            ),
            ("RUST_LOG", "warn".to_owned()),
        ],
    );
    let allowed = Allowed::of(&env)?;
    let log = dir.join("proxy.log");
    let mut proxy = Proxy::start(&bin, &env, &log)?;
    sandbox.set_webhook_url(Some(url::Url::parse(&format!(
        "{}/webhooks/simology",
        proxy.url
    ))?));
    let (over_tx, over) = watch::channel(false);
    let target = Arc::new(Target {
        proxy: proxy.url.clone(),
        host: proxy.url.trim_start_matches("http://").to_owned(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(64)
            .build()?,
        over,
    });
    println!(
        "attack ({}): the proxy at {} (pid {}), open-file limit {files}",
        form.name, proxy.url, proxy.pid
    );

    // What the proxy holds, sampled.
    let peaks = Arc::new(Peaks::default());
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peaks, sampling, target, pid) = (
            Arc::clone(&peaks),
            Arc::clone(&sampling),
            Arc::clone(&target),
            proxy.pid,
        );
        tokio::spawn(async move {
            let mut tick = 0u64;
            while sampling.load(Ordering::SeqCst) {
                if let Some(f) = open_files(pid) {
                    peaks.files.fetch_max(f, Ordering::SeqCst);
                }
                if let Some(r) = rss_kb(pid) {
                    peaks.rss_kb.fetch_max(r, Ordering::SeqCst);
                }
                if tick.is_multiple_of(5) {
                    let text = metrics_text(&target.http, &target.proxy).await;
                    let waiting = metric(&text, "simology_long_polls_waiting");
                    peaks
                        .waiting_long_polls
                        .fetch_max(waiting as u64, Ordering::SeqCst);
                }
                tick += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let started = Instant::now();
    let sockets = Arc::new(AnswerCounts::default());
    let flood = Arc::new(AnswerCounts::default());
    let spoof = Arc::new(AnswerCounts::default());
    let guess = Arc::new(AnswerCounts::default());
    let body = Arc::new(AnswerCounts::default());
    let replay = Arc::new(AnswerCounts::default());
    let spoof_orders = Arc::new(Mutex::new(Vec::new()));
    let (all_open_tx, all_open) = watch::channel(false);
    let (real_tx, real) = watch::channel(None);
    let (events_tx, events) = watch::channel(None);

    let slow = tokio::spawn(slow_sockets(
        Arc::clone(&target),
        form.slow_sockets,
        Arc::clone(&sockets),
        all_open_tx,
    ));
    let flooding = tokio::spawn(long_poll_flood(
        Arc::clone(&target),
        form.long_polls,
        Arc::clone(&flood),
    ));
    let finite = {
        let target = Arc::clone(&target);
        let (spoof, guess, body, replay, spoof_orders) = (
            Arc::clone(&spoof),
            Arc::clone(&guess),
            Arc::clone(&body),
            Arc::clone(&replay),
            Arc::clone(&spoof_orders),
        );
        tokio::spawn(async move {
            tokio::join!(
                spoofed_checkouts(Arc::clone(&target), form.checkouts, spoof, spoof_orders),
                guesses(Arc::clone(&target), form.guesses, guess, real),
                bodies(Arc::clone(&target), form.oversized, form.slow_bodies, body),
                replays(Arc::clone(&target), form.replays, replay, events),
            );
        })
    };
    let good_task = well_behaved(Arc::clone(&target), &sandbox, all_open, real_tx, events_tx);
    let ender = async {
        let _ = finite.await;
        let left = form.at_least.saturating_sub(started.elapsed());
        tokio::time::sleep(left).await;
        let _ = over_tx.send(true);
    };
    let (good, ()) = tokio::join!(good_task, ender);
    let _ = slow.await;
    let flood_result = flooding.await;
    let attack_s = started.elapsed().as_secs_f64();

    // The affiliates' side: forged beacons while webhooks come, reports, token guesses.
    println!(
        "attack ({}): {} forged beacons from {} addresses while webhooks come...",
        form.name, form.beacons, form.beacon_clients
    );
    let funnel = crate::funnel_attack::run(
        &target.http,
        &crate::funnel_attack::Plan {
            proxy: &target.proxy,
            origin: ORIGIN,
            token: &report_token,
            database_url: &database_url,
            beacons: form.beacons,
            clients: form.beacon_clients,
            token_guesses: form.token_guesses,
            failures_per_minute: allowed.failures_per_minute,
        },
    )
    .await;
    sampling.store(false, Ordering::SeqCst);
    let _ = sampler.await;

    // What held.
    let mut broken: Vec<String> = good.failures.iter().take(5).cloned().collect();
    if good.failures.len() > 5 {
        broken.push(format!("... {} failed reads in all", good.failures.len()));
    }
    if let Ok(Err(e)) = &flood_result {
        broken.push(format!("the long-poll flood could not start: {e:#}"));
    }
    let alive = proxy.child.try_wait()?.is_none();
    if !alive {
        broken.push(format!("the proxy exited (its log: {})", log.display()));
    }
    let text = metrics_text(&target.http, &target.proxy).await;
    // Every order made, by anyone, is still there; the good one with its own eSIM.
    let mut orders: Vec<String> = spoof_orders.lock().map(|m| m.clone()).unwrap_or_default();
    match upstream_refs(&target.http, sandbox.url()).await {
        Ok(refs) => orders.extend(refs),
        Err(e) => broken.push(format!("cannot list the upstream's sessions: {e:#}")),
    }
    orders.sort();
    orders.dedup();
    let mut lost = 0;
    for r in &orders {
        let answer = target
            .get(&format!("/api/orders/{r}"), AUDITOR)
            .send()
            .await;
        if !matches!(&answer, Ok(a) if a.status() == 200) {
            lost += 1;
            broken.push(format!("order {r} is lost: {}", outcome(answer).await));
        }
    }
    if let Some(r) = &good.order_ref {
        let view: Value = target
            .get(&format!("/api/orders/{r}"), AUDITOR)
            .send()
            .await?
            .json()
            .await
            .unwrap_or(Value::Null);
        let upstream_lpa = upstream_lpa(&sandbox, r);
        if view["esim"]["lpa"].as_str() != upstream_lpa.as_deref() || upstream_lpa.is_none() {
            broken.push(format!(
                "the good order's eSIM is not the upstream's: {} vs {upstream_lpa:?}",
                view["esim"]["lpa"]
            ));
        }
        if good.lpa.as_deref() != upstream_lpa.as_deref() {
            broken.push("the good client saw another eSIM than the upstream's".into());
        }
    } else {
        broken.push("the well-behaved client has no order".into());
    }
    if guess.get("200") > 0 {
        broken.push(format!(
            "{} guessed references found an order",
            guess.get("200")
        ));
    }
    let waiting_peak = peaks.waiting_long_polls.load(Ordering::SeqCst);
    // The flooder's cap, and the good client's own long-poll.
    let cap = u64::from(allowed.long_polls_per_client);
    if waiting_peak > cap + 1 {
        broken.push(format!(
            "{waiting_peak} long-polls waited at once (cap {cap} per client)"
        ));
    }
    let through = spoof.get("200");
    // The checkout budget's burst, then its rate.
    let most = allowed.checkouts_in(attack_s);
    if through > most {
        broken.push(format!(
            "{through} spoofed checkouts went through (at most {most})"
        ));
    }
    let funnel = match funnel {
        Ok(m) => {
            broken.extend(m.broken);
            m.report
        }
        Err(e) => {
            broken.push(format!("the beacon flood could not run: {e:#}"));
            Value::Null
        }
    };
    // A clean stop.
    let stopped_cleanly = alive && stop(&mut proxy.child).unwrap_or(false);
    if alive && !stopped_cleanly {
        broken.push("the proxy did not stop cleanly on SIGTERM".into());
    }

    let p99_ms = p99(&good.latencies_ms);
    let report = json!({
        "form": form.name,
        "attack_seconds": attack_s,
        "thrown": {
            "slow_sockets": form.slow_sockets, "long_polls": form.long_polls,
            "spoofed_checkouts": form.checkouts, "guessed_references": form.guesses,
            "oversized_bodies": form.oversized, "slow_bodies": form.slow_bodies,
            "webhook_replays": form.replays,
        },
        "allowed": {
            "long_polls_per_client": allowed.long_polls_per_client,
            "checkout_per_minute": allowed.checkout_per_minute,
            "failures_per_minute": allowed.failures_per_minute,
        },
        "funnel": funnel,
        "sockets": sockets.snapshot(),
        "long_poll_flood": flood.snapshot(),
        "spoofed_checkouts": spoof.snapshot(),
        "guesses": guess.snapshot(),
        "bodies": body.snapshot(),
        "replays": replay.snapshot(),
        "proxy": {
            "connections_closed": closed_by_reason(&text),
            "long_polls_capped": metric(&text, "simology_long_polls_total{answered=\"capped\"}"),
            "long_polls_waiting_peak": waiting_peak,
            "connections_open_peak": metric(&text, "simology_connections_open_peak"),
            "open_files_peak": peaks.files.load(Ordering::SeqCst),
            "rss_peak_mb": peaks.rss_kb.load(Ordering::SeqCst) as f64 / 1024.0,
            "webhooks": labelled(&text, "simology_webhooks_total{outcome=\""),
            "alive": alive, "stopped_cleanly": stopped_cleanly,
        },
        "good_client": {
            "reads": good.latencies_ms.len(), "failed_reads": good.failures.len(),
            "p99_ms": p99_ms, "purchase_seconds": good.purchase_s,
        },
        "orders_checked": orders.len(), "orders_lost": lost,
        "broken": broken,
    });
    print_table(&report);
    println!("{report}");
    let _ = std::fs::remove_dir_all(&dir);
    if !broken.is_empty() {
        bail!("the attack broke something:\n  {}", broken.join("\n  "));
    }
    Ok(())
}

/// SIGTERM, then whether the proxy exited successfully within 30 s.
fn stop(child: &mut Child) -> Result<bool> {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            return Ok(status.success());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(false)
}

fn labelled(text: &str, prefix: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(prefix)?;
            let (label, value) = rest.split_once("\"} ")?;
            Some((label.to_owned(), value.trim().parse().ok()?))
        })
        .collect()
}

fn closed_by_reason(text: &str) -> BTreeMap<String, f64> {
    labelled(text, "simology_connections_closed_total{reason=\"")
}

/// The references of every checkout session upstream (paid or not).
async fn upstream_refs(http: &reqwest::Client, sandbox: &str) -> Result<Vec<String>> {
    let sessions: Value = http
        .get(format!("{sandbox}/sandbox/sessions"))
        .send()
        .await?
        .json()
        .await?;
    Ok(sessions
        .as_array()
        .context("sessions")?
        .iter()
        .filter_map(|s| s["metadata"]["order_ref"].as_str().map(str::to_owned))
        .collect())
}

/// The LPA of the order's line upstream.
fn upstream_lpa(sandbox: &simology_sandbox::RunningSandbox, order_ref: &str) -> Option<String> {
    sandbox
        .orders()
        .into_iter()
        .find(|o| o.metadata.get("order_ref").map(String::as_str) == Some(order_ref))?
        .line
        .map(|l| l.smdp_plus.to_string())
}

fn print_table(report: &Value) {
    let mut rows: Vec<(String, String)> = Vec::new();
    let thrown = &report["thrown"];
    rows.push((
        "thrown".into(),
        format!(
            "{} slow sockets (half silent, half a header line a second, reopened when closed), \
             {} long-polls from one client, {} checkouts with spoofed X-Forwarded-For, \
             {} random and near-miss references, {} oversized and {} slow bodies, \
             {} signed webhook replays, over {:.0} s",
            thrown["slow_sockets"],
            thrown["long_polls"],
            thrown["spoofed_checkouts"],
            thrown["guessed_references"],
            thrown["oversized_bodies"],
            thrown["slow_bodies"],
            thrown["webhook_replays"],
            report["attack_seconds"].as_f64().unwrap_or(0.0)
        ),
    ));
    let good = &report["good_client"];
    rows.push((
        "well-behaved client".into(),
        format!(
            "bought in {:.1} s; {} reads of its status and the catalogue, {} failed; p99 {:.1} ms",
            good["purchase_seconds"].as_f64().unwrap_or(f64::NAN),
            good["reads"],
            good["failed_reads"],
            good["p99_ms"].as_f64().unwrap_or(f64::NAN)
        ),
    ));
    for (key, what) in [
        ("sockets", "slow sockets"),
        ("long_poll_flood", "long-poll flood"),
        ("spoofed_checkouts", "spoofed checkouts"),
        ("guesses", "guessed references"),
        ("bodies", "oversized and slow bodies"),
        ("replays", "webhook replays"),
    ] {
        let counts = report[key]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        rows.push((what.into(), counts));
    }
    let p = &report["proxy"];
    rows.push((
        "proxy".into(),
        format!(
            "connections closed {}; long-polls answered at once at the cap {}; waiting at once at most {}; \
             connections open at most {}; open files at most {}; RSS at most {:.1} MB; webhooks {}; \
             alive {}; stopped cleanly {}",
            p["connections_closed"], p["long_polls_capped"], p["long_polls_waiting_peak"],
            p["connections_open_peak"], p["open_files_peak"],
            p["rss_peak_mb"].as_f64().unwrap_or(f64::NAN), p["webhooks"], p["alive"], p["stopped_cleanly"]
        ),
    ));
    let f = &report["funnel"];
    rows.push((
        "beacon flood".into(),
        format!(
            "{} forged beacons from {} addresses in {:.1} s (answers {}); {} funnel rows added \
             (the caps allow {}); webhooks p99 {:.1} ms before ({} sent), {:.1} ms during ({} sent, {} failed)",
            f["beacons"], f["clients"], f["flood_seconds"].as_f64().unwrap_or(f64::NAN),
            f["beacons_answered"], f["funnel_rows_added"], f["funnel_rows_bound"],
            f["webhooks_before"]["p99_ms"].as_f64().unwrap_or(f64::NAN), f["webhooks_before"]["sent"],
            f["webhooks_during"]["p99_ms"].as_f64().unwrap_or(f64::NAN), f["webhooks_during"]["sent"],
            f["webhooks_during"]["failed"]
        ),
    ));
    rows.push((
        "reports after it".into(),
        format!(
            "built in {} ms (by page, placement, destination, day); {} rows by page in all",
            f["report_ms"], f["report_rows_total_by_page"]
        ),
    ));
    rows.push((
        "report token guesser".into(),
        format!(
            "{} (at most {} compared by the throttle); the right token from it then: {}",
            f["token_guesses"],
            f["token_guesses_compared_allowed"],
            f["right_token_while_throttled"]
        ),
    ));
    rows.push((
        "orders".into(),
        format!(
            "{} checked after the attack, {} lost",
            report["orders_checked"], report["orders_lost"]
        ),
    ));
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    println!();
    for (k, v) in rows {
        println!("{k:<width$}  {v}");
    }
    println!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let settings: Vec<(&str, String)> =
            extra.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        crate::proxy_env("http://127.0.0.1:9", ORIGIN, &settings)
    }

    #[test]
    fn the_verdicts_follow_the_proxys_settings() {
        let defaults = Allowed::of(&env(&[])).expect("settings");
        assert_eq!(defaults.long_polls_per_client, 20);
        assert_eq!(defaults.checkout_per_minute, 20);
        // A burst of 5, then 20 a minute.
        assert_eq!(defaults.checkouts_in(30.0), 5 + 10);
        let tuned = Allowed::of(&env(&[
            ("PROXY_LONG_POLLS_PER_CLIENT", "7"),
            ("PROXY_CHECKOUT_PER_MINUTE", "120"),
        ]))
        .expect("settings");
        assert_eq!(tuned.long_polls_per_client, 7);
        assert_eq!(tuned.checkouts_in(30.0), 30 + 60);
        assert!(Allowed::of(&env(&[("PROXY_LONG_POLLS_PER_CLIENT", "lots")])).is_err());
    }
}
