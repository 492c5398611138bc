//! `simology-bench restart`: proxy processes replaced one by another on one listening
//! socket, as systemd's socket activation replaces them (`simology-proxy.socket`,
//! `systemctl restart`): the driver holds the socket and passes it to each process
//! (`LISTEN_FDS`, `LISTEN_PID`, descriptor 3), stops the old process with SIGTERM,
//! waits for it to exit, and starts the next. Meanwhile a client sends requests at a
//! steady rate (an order's status, the catalogue, health, checkouts through the sandbox)
//! and holds long-polls waiting on an order that does not change.
//!
//! It counts what must hold: no request failed (a connection error, no answer, or an
//! answer other than the one expected), every long-poll was answered, every old process
//! exited cleanly, and each was stopped with all the long-polls waiting on it. A request
//! on a kept-alive connection that fails before any byte of its answer (the server closed
//! the idle connection as it arrived, so nothing of it was read) is sent again once on a
//! new connection, as browsers and HTTP clients do (RFC 9112, 9.3.1): such requests are
//! counted apart (`resent_after_keepalive_close`), and one that fails again counts as
//! failed; a kept-alive connection found closed before the request is written is
//! skipped, as every client's pool does (`kept_alive_found_closed`).
//!
//! It prints one JSON line of figures (the time each process took to drain and the next
//! to start, latencies); they are reported, never asserted. Exit code 1 when something
//! did not hold.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};
use tokio::process::{Child, Command};

const ORIGIN: &str = "http://restart.test";

/// No request may take longer than this to be answered (long-polls wait 20 s at most):
/// past it, it counts as unanswered.
const ANSWER_WITHIN: Duration = Duration::from_secs(90);

/// Counts shared by the client's tasks.
#[derive(Default)]
struct Counts {
    sent: AtomicU64,
    ok: AtomicU64,
    failed: AtomicU64,
    resent: AtomicU64,
    stale: AtomicU64,
    polls_sent: AtomicU64,
    polls_answered: AtomicU64,
    polls_failed: AtomicU64,
    polls_waiting: AtomicU64,
    latencies_ms: Mutex<Vec<u64>>,
    failures: Mutex<Vec<String>>,
}

impl Counts {
    fn failure(&self, what: String) {
        if let Ok(mut f) = self.failures.lock() {
            if f.len() < 20 {
                f.push(what);
            }
        }
    }
}

type Sender = SendRequest<Full<Bytes>>;

/// An answer, or where the request failed.
enum Failure {
    /// The kept-alive connection was found closed before the request was written.
    Stale,
    /// Written, and no byte of the answer came: nothing of the request was answered.
    BeforeAnswer(String),
    /// The answer started and did not complete.
    DuringAnswer(String),
}

/// HTTP/1.1 to one address, with kept-alive connections reused as a browser does.
struct Http {
    addr: SocketAddr,
    idle: Mutex<Vec<Sender>>,
}

impl Http {
    fn new(addr: SocketAddr) -> Self {
        Http {
            addr,
            idle: Mutex::new(Vec::new()),
        }
    }

    async fn connect(&self) -> Result<Sender, String> {
        let tcp = TcpStream::connect(self.addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    async fn once(
        sender: &mut Sender,
        request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes, bool), Failure> {
        sender.ready().await.map_err(|_| Failure::Stale)?;
        let response = sender.send_request(request).await.map_err(|e| {
            if e.is_canceled() {
                // Never written: the connection closed as it was handed the request.
                Failure::Stale
            } else {
                Failure::BeforeAnswer(format!("{e}"))
            }
        })?;
        let status = response.status();
        let close = response
            .headers()
            .get(hyper::header::CONNECTION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| Failure::DuringAnswer(format!("body: {e}")))?
            .to_bytes();
        Ok((status, body, !close))
    }

    /// An idle kept-alive connection, skipping those already closed (as every client's
    /// pool does).
    fn pooled(&self, counts: &Counts) -> Option<Sender> {
        let mut idle = self.idle.lock().ok()?;
        while let Some(sender) = idle.pop() {
            if !sender.is_closed() {
                return Some(sender);
            }
            counts.stale.fetch_add(1, Ordering::Relaxed);
        }
        None
    }

    /// One request: on an idle kept-alive connection when there is one, else on a new
    /// one; sent again once on a new connection when a kept-alive one turns out closed,
    /// or fails before any byte of the answer.
    async fn send(
        &self,
        request: impl Fn() -> Request<Full<Bytes>>,
        counts: &Counts,
    ) -> Result<(StatusCode, Bytes), String> {
        if let Some(mut sender) = self.pooled(counts) {
            match Self::once(&mut sender, request()).await {
                Ok((status, body, keep)) => {
                    self.keep(sender, keep);
                    return Ok((status, body));
                }
                Err(Failure::DuringAnswer(e)) => return Err(e),
                Err(Failure::Stale) => {
                    counts.stale.fetch_add(1, Ordering::Relaxed);
                }
                Err(Failure::BeforeAnswer(_)) => {
                    counts.resent.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        let mut sender = self.connect().await?;
        match Self::once(&mut sender, request()).await {
            Ok((status, body, keep)) => {
                self.keep(sender, keep);
                Ok((status, body))
            }
            Err(Failure::Stale) => Err("a new connection closed at once".into()),
            Err(Failure::BeforeAnswer(e) | Failure::DuringAnswer(e)) => Err(e),
        }
    }

    fn keep(&self, sender: Sender, keep: bool) {
        if keep && !sender.is_closed() {
            if let Ok(mut idle) = self.idle.lock() {
                idle.push(sender);
            }
        }
    }
}

fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .header("host", "restart.test")
        .header("origin", ORIGIN)
        .body(Full::new(Bytes::new()))
        .unwrap_or_default()
}

fn post_json(path: &str, body: &Value) -> Request<Full<Bytes>> {
    Request::post(path)
        .header("host", "restart.test")
        .header("origin", ORIGIN)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}

fn checkout_body(intent: &str) -> Value {
    json!({
        "sku": "US-1GB-7D", "quantity": 1, "email": "restart@example.com", "locale": "en",
        "intent_id": intent, "return_url": format!("{ORIGIN}/"),
    })
}

/// The processes on the one socket, started and stopped as systemd does.
struct Supervisor {
    bin: String,
    env: Vec<(String, String)>,
    socket: std::net::TcpListener,
    dir: std::path::PathBuf,
    started: usize,
}

impl Supervisor {
    /// Starts a process on the socket and waits for its `listening on` line.
    async fn start(&mut self) -> Result<Child> {
        self.started += 1;
        let log = std::fs::File::create(self.dir.join(format!("proxy-{}.log", self.started)))?;
        let socket = OwnedFd::from(self.socket.try_clone()?);
        // The socket arrives as standard input and the shell moves it to descriptor 3,
        // with LISTEN_PID its own pid, which `exec` keeps: the layout systemd makes.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"export LISTEN_PID=$$ LISTEN_FDS=1; exec "$0" 3<&0 </dev/null"#)
            .arg(&self.bin)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::from(socket))
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", self.bin))?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
            .await
            .context("the proxy did not start within 120 s")??
            .unwrap_or_default();
        if !first.starts_with("listening on") {
            bail!(
                "proxy {} did not start: {first:?} (see {})",
                self.started,
                self.dir.display()
            );
        }
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(child)
    }
}

/// SIGTERM, as `systemctl stop` sends it; waits for the exit.
async fn stop(child: &mut Child) -> Result<std::process::ExitStatus> {
    let pid = child.id().context("the proxy has already exited")?;
    let sent = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await?;
    if !sent.success() {
        bail!("kill -TERM {pid} failed");
    }
    tokio::time::timeout(ANSWER_WITHIN, child.wait())
        .await
        .context("the proxy did not drain and exit in time")?
        .context("waiting for the proxy")
}

/// The proxy's `simology_long_polls_waiting` gauge.
async fn polls_waiting(http: &Http, counts: &Counts) -> Result<u64> {
    let (status, body) = http
        .send(|| get("/metrics"), counts)
        .await
        .map_err(|e| anyhow::anyhow!("reading /metrics: {e}"))?;
    if status != StatusCode::OK {
        bail!("/metrics answered {status}");
    }
    let text = String::from_utf8_lossy(&body);
    text.lines()
        .find_map(|l| l.strip_prefix("simology_long_polls_waiting "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as u64)
        .context("no simology_long_polls_waiting in /metrics")
}

/// Waits until `n` long-polls wait on the running proxy.
async fn until_polls_wait(http: &Http, counts: &Counts, n: u64) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let waiting = polls_waiting(http, counts).await?;
        if waiting >= n {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("only {waiting} of {n} long-polls wait on the proxy after 60 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One long-poll after another on an order that does not change, each on its own
/// connection as a browser tab holds it, until `stop`.
async fn long_polls(addr: SocketAddr, path: String, counts: Arc<Counts>, stop: Arc<AtomicBool>) {
    let http = Http::new(addr);
    while !stop.load(Ordering::SeqCst) {
        counts.polls_sent.fetch_add(1, Ordering::Relaxed);
        counts.polls_waiting.fetch_add(1, Ordering::SeqCst);
        let answer = tokio::time::timeout(ANSWER_WITHIN, http.send(|| get(&path), &counts)).await;
        counts.polls_waiting.fetch_sub(1, Ordering::SeqCst);
        match answer {
            Ok(Ok((StatusCode::OK, body))) if body.starts_with(b"{") => {
                counts.polls_answered.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Ok((status, _))) => {
                counts.polls_failed.fetch_add(1, Ordering::Relaxed);
                counts.failure(format!("long-poll answered {status}"));
            }
            Ok(Err(e)) => {
                counts.polls_failed.fetch_add(1, Ordering::Relaxed);
                counts.failure(format!("long-poll: {e}"));
                // A refused connection would loop at once; nothing refuses here, but a
                // failure must not spin.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(_) => {
                counts.polls_failed.fetch_add(1, Ordering::Relaxed);
                counts.failure("long-poll unanswered".into());
            }
        }
    }
}

/// One paced request, chosen by its number: mostly reads, one in ten a checkout.
async fn paced(i: u64, http: Arc<Http>, order: Arc<String>, counts: Arc<Counts>) {
    let started = Instant::now();
    counts.sent.fetch_add(1, Ordering::Relaxed);
    let intent = format!("restart-{}-{i:08}", std::process::id());
    let (what, answer) = match i % 10 {
        0 => (
            "checkout",
            tokio::time::timeout(
                ANSWER_WITHIN,
                http.send(
                    || post_json("/api/checkout", &checkout_body(&intent)),
                    &counts,
                ),
            )
            .await,
        ),
        1 | 2 => (
            "catalog",
            tokio::time::timeout(
                ANSWER_WITHIN,
                http.send(|| get("/api/catalog?country=US"), &counts),
            )
            .await,
        ),
        3 => (
            "healthz",
            tokio::time::timeout(ANSWER_WITHIN, http.send(|| get("/healthz"), &counts)).await,
        ),
        _ => {
            let path = format!("/api/orders/{order}");
            (
                "status",
                tokio::time::timeout(ANSWER_WITHIN, http.send(|| get(&path), &counts)).await,
            )
        }
    };
    match answer {
        Ok(Ok((StatusCode::OK, _))) => {
            counts.ok.fetch_add(1, Ordering::Relaxed);
            let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            if let Ok(mut l) = counts.latencies_ms.lock() {
                l.push(ms);
            }
        }
        Ok(Ok((status, body))) => {
            counts.failed.fetch_add(1, Ordering::Relaxed);
            counts.failure(format!(
                "{what} answered {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ));
        }
        Ok(Err(e)) => {
            counts.failed.fetch_add(1, Ordering::Relaxed);
            counts.failure(format!("{what}: {e}"));
        }
        Err(_) => {
            counts.failed.fetch_add(1, Ordering::Relaxed);
            counts.failure(format!("{what}: no answer"));
        }
    }
}

fn get_arg<T: std::str::FromStr>(
    map: &HashMap<String, String>,
    key: &str,
    default: T,
) -> Result<T> {
    match map.get(key) {
        Some(v) => v
            .parse()
            .map_err(|_| anyhow::anyhow!("--{key}: {v:?} is not valid")),
        None => Ok(default),
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs the restart test.
///
/// # Errors
/// When something did not hold, or the run cannot be set up.
pub async fn run(map: &HashMap<String, String>) -> Result<()> {
    for key in map.keys() {
        if ![
            "proxy-bin",
            "rate",
            "long-polls",
            "restarts",
            "seconds",
            "database-url",
        ]
        .contains(&key.as_str())
        {
            bail!("unknown option --{key}");
        }
    }
    let rate: u64 = get_arg(map, "rate", 200)?;
    let polls: u64 = get_arg(map, "long-polls", 500)?;
    let restarts: usize = get_arg(map, "restarts", 2)?;
    let seconds: f64 = get_arg(map, "seconds", 3.0)?;
    if rate == 0 || polls == 0 || restarts == 0 {
        bail!("--rate, --long-polls and --restarts must be at least 1");
    }
    let bin = map
        .get("proxy-bin")
        .context("--proxy-bin is required")?
        .clone();
    // The driver holds a long-poll connection each, the proxy as many, and more.
    let want = 4 * polls + 1024;
    if let Ok((soft, hard)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
        if soft < want {
            rlimit::setrlimit(rlimit::Resource::NOFILE, want.min(hard), hard)?;
        }
    }
    let dir = std::env::temp_dir().join(format!("simology-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let database_url = map
        .get("database-url")
        .cloned()
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("proxy.db").display()));

    let sandbox = simology_sandbox::spawn(simology_sandbox::SandboxConfig {
        activation_delay: Duration::from_millis(300),
        time_scale: 600.0,
        ..simology_sandbox::SandboxConfig::default()
    })
    .await?;
    // The socket systemd would hold: its queue keeps the connections that arrive
    // while no process accepts.
    let socket = TcpSocket::new_v4()?;
    socket.bind("127.0.0.1:0".parse()?)?;
    let socket = socket.listen(4096)?.into_std()?;
    let addr = socket.local_addr()?;
    let env = crate::proxy_env(
        sandbox.url(),
        ORIGIN,
        &[
            ("PROXY_DATABASE_URL", database_url),
            ("PROXY_CHECKOUT_PER_MINUTE", "1000000000".to_owned()),
            ("PROXY_STATUS_PER_MINUTE", "1000000000".to_owned()),
            ("PROXY_MISSES_PER_MINUTE", "1000000000".to_owned()),
            ("PROXY_LONG_POLLS_PER_CLIENT", (polls + 100).to_string()),
            ("PROXY_MAX_CONNECTIONS", (2 * polls + 1024).to_string()),
            ("PROXY_LOG_FORMAT", "text".to_owned()),
            // The driver reads the long-polls waiting on the proxy's own listener.
            ("PROXY_METRICS_PUBLIC", "true".to_owned()),
        ],
    );
    let mut supervisor = Supervisor {
        bin,
        env,
        socket,
        dir: dir.clone(),
        started: 0,
    };
    let mut proxy = supervisor.start().await?;
    sandbox.set_webhook_url(Some(url::Url::parse(&format!(
        "http://{addr}/webhooks/simology"
    ))?));

    let counts = Arc::new(Counts::default());
    let control = Http::new(addr);
    // The order the long-polls wait on: unpaid, it does not change.
    let (status, body) = control
        .send(
            || post_json("/api/checkout", &checkout_body("restart-long-polls")),
            &counts,
        )
        .await
        .map_err(|e| anyhow::anyhow!("the first checkout: {e}"))?;
    if status != StatusCode::OK {
        bail!("the first checkout answered {status}");
    }
    let order: Value = serde_json::from_slice(&body)?;
    let order_ref = order["order_ref"]
        .as_str()
        .context("no order_ref")?
        .to_owned();

    let stop_polls = Arc::new(AtomicBool::new(false));
    let mut poll_tasks = Vec::new();
    for _ in 0..polls {
        poll_tasks.push(tokio::spawn(long_polls(
            addr,
            format!("/api/orders/{order_ref}?wait=20"),
            Arc::clone(&counts),
            Arc::clone(&stop_polls),
        )));
    }
    until_polls_wait(&control, &counts, polls).await?;

    // The steady load, one request every 1/rate s, each on its own task so that a
    // slow answer never slows the rate.
    let stop_pacing = Arc::new(AtomicBool::new(false));
    let pacer = {
        let http = Arc::new(Http::new(addr));
        let order = Arc::new(order_ref.clone());
        let counts = Arc::clone(&counts);
        let stop = Arc::clone(&stop_pacing);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
            let mut tasks = Vec::new();
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                tick.tick().await;
                tasks.push(tokio::spawn(paced(
                    i,
                    Arc::clone(&http),
                    Arc::clone(&order),
                    Arc::clone(&counts),
                )));
                i += 1;
            }
            for t in tasks {
                let _ = t.await;
            }
        })
    };

    let mut problems = Vec::new();
    let mut handovers = Vec::new();
    let pause = Duration::from_secs_f64(seconds);
    for r in 0..restarts {
        tokio::time::sleep(pause).await;
        let waiting_at_stop = polls_waiting(&control, &counts).await?;
        if waiting_at_stop < polls {
            problems.push(format!(
                "restart {r}: only {waiting_at_stop} of {polls} long-polls waited on the old process"
            ));
        }
        let in_flight = counts.polls_waiting.load(Ordering::SeqCst);
        let t0 = Instant::now();
        let exit = stop(&mut proxy).await?;
        let drained = t0.elapsed();
        if !exit.success() {
            problems.push(format!("restart {r}: the old process exited with {exit}"));
        }
        let t1 = Instant::now();
        proxy = supervisor.start().await?;
        let started = t1.elapsed();
        until_polls_wait(&control, &counts, polls).await?;
        handovers.push(json!({
            "long_polls_waiting_at_sigterm": waiting_at_stop,
            "long_polls_in_flight_at_sigterm": in_flight,
            "drain_ms": drained.as_millis(),
            "start_ms": started.as_millis(),
        }));
    }
    tokio::time::sleep(pause).await;
    stop_pacing.store(true, Ordering::SeqCst);
    pacer.await?;
    // The last process's stop answers the long-polls still waiting; they ask no more.
    stop_polls.store(true, Ordering::SeqCst);
    let exit = stop(&mut proxy).await?;
    if !exit.success() {
        problems.push(format!("the last process exited with {exit}"));
    }
    for t in poll_tasks {
        t.await?;
    }

    let load = |c: &AtomicU64| c.load(Ordering::SeqCst);
    let mut latencies = counts
        .latencies_ms
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default();
    latencies.sort_unstable();
    let failures = counts
        .failures
        .lock()
        .map(|f| f.clone())
        .unwrap_or_default();
    let report = json!({
        "rate_per_s": rate,
        "long_polls": polls,
        "restarts": restarts,
        "requests_sent": load(&counts.sent),
        "requests_ok": load(&counts.ok),
        "requests_failed": load(&counts.failed),
        "resent_after_keepalive_close": load(&counts.resent),
        "kept_alive_found_closed": load(&counts.stale),
        "long_polls_sent": load(&counts.polls_sent),
        "long_polls_answered": load(&counts.polls_answered),
        "long_polls_unanswered": load(&counts.polls_failed),
        "latency_ms_p50": percentile(&latencies, 0.50),
        "latency_ms_p99": percentile(&latencies, 0.99),
        "latency_ms_max": latencies.last().copied().unwrap_or(0),
        "handovers": handovers,
        "failures": failures,
    });
    println!("{report}");
    if load(&counts.failed) > 0 {
        problems.push(format!("{} requests failed", load(&counts.failed)));
    }
    if load(&counts.polls_failed) > 0 || load(&counts.polls_answered) != load(&counts.polls_sent) {
        problems.push(format!(
            "{} of {} long-polls went unanswered",
            load(&counts.polls_sent) - load(&counts.polls_answered),
            load(&counts.polls_sent)
        ));
    }
    if !problems.is_empty() {
        bail!("across the restarts: {}", problems.join("; "));
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
