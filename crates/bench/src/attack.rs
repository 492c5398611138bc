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
use simology_sandbox::SandboxConfig;
use simology_table::{Align, Table};
use tokio::sync::watch;

mod throws;

use throws::*;

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

pub(crate) fn p99(samples: &[f64]) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let i = ((s.len() as f64) * 0.99).ceil() as usize;
    Some(s[i.clamp(1, s.len()) - 1])
}

/// The stage: the sandbox, the proxy started against it with one affiliate, and what
/// every attacker shares.
struct Stage {
    intensity: Intensity,
    dir: std::path::PathBuf,
    sandbox: simology_sandbox::RunningSandbox,
    report_token: String,
    database_url: String,
    allowed: Allowed,
    log: std::path::PathBuf,
    proxy: Proxy,
    target: Arc<Target>,
    /// Tells the attackers that the attack is over.
    over: watch::Sender<bool>,
}

impl Stage {
    async fn set_up(args: Args) -> Result<Stage> {
        let intensity = match args.form {
            FormName::Full => FULL,
            FormName::Short => SHORT,
        };
        let files =
            rlimit::increase_nofile_limit(u64::MAX).context("raising the open-file limit")?;
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
        let proxy = Proxy::start(&args.proxy_bin, &env, &log)?;
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
            intensity.name, proxy.url, proxy.pid
        );
        Ok(Stage {
            intensity,
            dir,
            sandbox,
            report_token,
            database_url,
            allowed,
            log,
            proxy,
            target,
            over: over_tx,
        })
    }
}

/// Samples what the proxy holds (open files, memory, waiting long-polls) until stopped.
struct Sampler {
    peaks: Arc<Peaks>,
    sampling: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    fn start(target: &Arc<Target>, pid: u32) -> Sampler {
        let peaks = Arc::new(Peaks::default());
        let sampling = Arc::new(AtomicBool::new(true));
        let task = {
            let (peaks, sampling, target) = (
                Arc::clone(&peaks),
                Arc::clone(&sampling),
                Arc::clone(target),
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
        Sampler {
            peaks,
            sampling,
            task,
        }
    }

    async fn stop(self) -> Arc<Peaks> {
        self.sampling.store(false, Ordering::SeqCst);
        let _ = self.task.await;
        self.peaks
    }
}

/// The answers each attacker got.
#[derive(Default)]
struct Answers {
    sockets: Arc<AnswerCounts>,
    flood: Arc<AnswerCounts>,
    spoof: Arc<AnswerCounts>,
    guess: Arc<AnswerCounts>,
    body: Arc<AnswerCounts>,
    replay: Arc<AnswerCounts>,
}

/// What the attack left: the answers, the orders the spoofer made, the good client's
/// experience, and how long it lasted.
struct Thrown {
    answers: Answers,
    spoof_orders: Vec<String>,
    good: Good,
    flood_failed: Option<String>,
    seconds: f64,
}

/// Every attacker at once, and the well-behaved client, for at least the intensity's
/// time.
async fn throw(stage: &Stage) -> Thrown {
    let (target, intensity) = (&stage.target, stage.intensity);
    let started = Instant::now();
    let answers = Answers::default();
    let spoof_orders = Arc::new(Mutex::new(Vec::new()));
    let (all_open_tx, all_open) = watch::channel(false);
    let (real_tx, real) = watch::channel(None);
    let (events_tx, events) = watch::channel(None);

    let slow = tokio::spawn(slow_sockets(
        Arc::clone(target),
        intensity.slow_sockets,
        Arc::clone(&answers.sockets),
        all_open_tx,
    ));
    let flooding = tokio::spawn(long_poll_flood(
        Arc::clone(target),
        intensity.long_polls,
        Arc::clone(&answers.flood),
    ));
    let finite = {
        let target = Arc::clone(target);
        let (spoof, guess, body, replay, spoof_orders) = (
            Arc::clone(&answers.spoof),
            Arc::clone(&answers.guess),
            Arc::clone(&answers.body),
            Arc::clone(&answers.replay),
            Arc::clone(&spoof_orders),
        );
        tokio::spawn(async move {
            tokio::join!(
                spoofed_checkouts(
                    Arc::clone(&target),
                    intensity.checkouts,
                    spoof,
                    spoof_orders
                ),
                guesses(Arc::clone(&target), intensity.guesses, guess, real),
                bodies(
                    Arc::clone(&target),
                    intensity.oversized,
                    intensity.slow_bodies,
                    body
                ),
                replays(Arc::clone(&target), intensity.replays, replay, events),
            );
        })
    };
    let good_task = well_behaved(
        Arc::clone(target),
        &stage.sandbox,
        all_open,
        real_tx,
        events_tx,
    );
    let ender = async {
        let _ = finite.await;
        let left = intensity.at_least.saturating_sub(started.elapsed());
        tokio::time::sleep(left).await;
        let _ = stage.over.send(true);
    };
    let (good, ()) = tokio::join!(good_task, ender);
    let _ = slow.await;
    let flood_failed = match flooding.await {
        Ok(Err(e)) => Some(format!("the long-poll flood could not start: {e:#}")),
        _ => None,
    };
    let spoof_orders = spoof_orders.lock().map(|m| m.clone()).unwrap_or_default();
    Thrown {
        answers,
        spoof_orders,
        good,
        flood_failed,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// What held, judged after the attack: the proxy alive and stopping cleanly, no order
/// lost, the good order's eSIM the upstream's, no guess found an order, the caps kept.
struct Verdict {
    broken: Vec<String>,
    alive: bool,
    stopped_cleanly: bool,
    orders_checked: usize,
    orders_lost: usize,
    /// The proxy's `/metrics` after the attack.
    metrics: String,
    funnel: Value,
}

async fn judge(
    stage: &mut Stage,
    thrown: &Thrown,
    peaks: &Peaks,
    funnel: Result<crate::funnel_attack::Measured>,
) -> Result<Verdict> {
    let (target, good) = (Arc::clone(&stage.target), &thrown.good);
    let mut broken: Vec<String> = good.failures.iter().take(5).cloned().collect();
    if good.failures.len() > 5 {
        broken.push(format!("... {} failed reads in all", good.failures.len()));
    }
    broken.extend(thrown.flood_failed.clone());
    let alive = stage.proxy.child.try_wait()?.is_none();
    if !alive {
        broken.push(format!(
            "the proxy exited (its log: {})",
            stage.log.display()
        ));
    }
    let metrics = metrics_text(&target.http, &target.proxy).await;
    // Every order made, by anyone, is still there; the good one with its own eSIM.
    let mut orders = thrown.spoof_orders.clone();
    match upstream_refs(&target.http, stage.sandbox.url()).await {
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
        let upstream_lpa = upstream_lpa(&stage.sandbox, r);
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
    let guessed = thrown.answers.guess.get("200");
    if guessed > 0 {
        broken.push(format!("{guessed} guessed references found an order"));
    }
    let waiting_peak = peaks.waiting_long_polls.load(Ordering::SeqCst);
    // The flooder's cap, and the good client's own long-poll.
    let cap = u64::from(stage.allowed.long_polls_per_client);
    if waiting_peak > cap + 1 {
        broken.push(format!(
            "{waiting_peak} long-polls waited at once (cap {cap} per client)"
        ));
    }
    let through = thrown.answers.spoof.get("200");
    // The checkout budget's burst, then its rate.
    let most = stage.allowed.checkouts_in(thrown.seconds);
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
    let stopped_cleanly = alive && stop(&mut stage.proxy.child).unwrap_or(false);
    if alive && !stopped_cleanly {
        broken.push("the proxy did not stop cleanly on SIGTERM".into());
    }
    Ok(Verdict {
        broken,
        alive,
        stopped_cleanly,
        orders_checked: orders.len(),
        orders_lost: lost,
        metrics,
        funnel,
    })
}

/// The run as one JSON object: what was thrown and allowed, the answers, the proxy's
/// peaks and counts, the good client's experience, and what broke.
fn report(stage: &Stage, thrown: &Thrown, peaks: &Peaks, verdict: &Verdict) -> Value {
    let (form, allowed, answers, good) = (
        &stage.intensity,
        &stage.allowed,
        &thrown.answers,
        &thrown.good,
    );
    let text = &verdict.metrics;
    json!({
        "form": form.name,
        "attack_seconds": thrown.seconds,
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
        "funnel": verdict.funnel,
        "sockets": answers.sockets.snapshot(),
        "long_poll_flood": answers.flood.snapshot(),
        "spoofed_checkouts": answers.spoof.snapshot(),
        "guesses": answers.guess.snapshot(),
        "bodies": answers.body.snapshot(),
        "replays": answers.replay.snapshot(),
        "proxy": {
            "connections_closed": closed_by_reason(text),
            "long_polls_capped": metric(text, "simology_long_polls_total{answered=\"capped\"}"),
            "long_polls_waiting_peak": peaks.waiting_long_polls.load(Ordering::SeqCst),
            "connections_open_peak": metric(text, "simology_connections_open_peak"),
            "open_files_peak": peaks.files.load(Ordering::SeqCst),
            "rss_peak_mb": peaks.rss_kb.load(Ordering::SeqCst) as f64 / 1024.0,
            "webhooks": labelled(text, "simology_webhooks_total{outcome=\""),
            "alive": verdict.alive, "stopped_cleanly": verdict.stopped_cleanly,
        },
        "good_client": {
            "reads": good.latencies_ms.len(), "failed_reads": good.failures.len(),
            "p99_ms": p99(&good.latencies_ms), "purchase_seconds": good.purchase_s,
        },
        "orders_checked": verdict.orders_checked, "orders_lost": verdict.orders_lost,
        "broken": verdict.broken,
    })
}

/// Runs the attack: the stage set up, the attackers thrown with the good client among
/// them, then the affiliates' side (forged beacons while webhooks come, reports, token
/// guesses), the verdict and the report.
///
/// # Errors
/// When something did not hold, or the run cannot be set up.
pub async fn run(args: Args) -> Result<()> {
    let mut stage = Stage::set_up(args).await?;
    let sampler = Sampler::start(&stage.target, stage.proxy.pid);
    let thrown = throw(&stage).await;
    let form = stage.intensity;
    println!(
        "attack ({}): {} forged beacons from {} addresses while webhooks come...",
        form.name, form.beacons, form.beacon_clients
    );
    let funnel = crate::funnel_attack::run(
        &stage.target.http,
        &crate::funnel_attack::Plan {
            proxy: &stage.target.proxy,
            origin: ORIGIN,
            token: &stage.report_token,
            database_url: &stage.database_url,
            beacons: form.beacons,
            clients: form.beacon_clients,
            token_guesses: form.token_guesses,
            failures_per_minute: stage.allowed.failures_per_minute,
        },
    )
    .await;
    let peaks = sampler.stop().await;
    let verdict = judge(&mut stage, &thrown, &peaks, funnel).await?;
    let report = report(&stage, &thrown, &peaks, &verdict);
    print_table(&report);
    println!("{report}");
    let _ = std::fs::remove_dir_all(&stage.dir);
    if !verdict.broken.is_empty() {
        bail!(
            "the attack broke something:\n  {}",
            verdict.broken.join("\n  ")
        );
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
    let mut table = Table::headless(&[Align::Left, Align::Left]);
    for (k, v) in rows {
        table.row([k, v]);
    }
    println!("\n{table}");
}

#[cfg(test)]
mod tests;
