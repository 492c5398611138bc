//! `simology-bench chaos`: N orders through the sandbox and one or two proxy processes,
//! with 10 % upstream 5xx, 5 % 429, 200 ms added latency, every webhook delivered twice
//! and out of order, and the proxies killed with SIGKILL and restarted while it runs.
//! One order in four buys for several travellers (2 to 4 eSIMs, a line each).
//!
//! It counts what must hold: no duplicate upstream order, no lost event, every order
//! ready exactly once with the upstream's credentials (each line's activation applied
//! once, the proxy's lines the upstream's lines), never ready with fewer lines than it
//! was paid for, no order left short of lines; and how long the system takes to drain.
//!
//! Every order is an affiliate's sale with a click id, and the proxies tell a partner
//! receiver (`partner.rs`: signatures verified, the first attempt of one event in ten
//! refused) and the affiliate's network: every event of the outbox must arrive at
//! least once (a kill mid-attempt may send one twice: it is deduplicated by its
//! `webhook-id`), each order's `order.paid` and `order.ready` among them, none lost,
//! and each order's `pending` and `approved` postbacks with its click id.
//! Prints one JSON line; fails when an invariant breaks.

use std::collections::BTreeMap;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use simology_sandbox::{Faults, SandboxConfig, CARD_SUCCESS};

const ORIGIN: &str = "http://chaos.test";

/// The affiliate every chaos order is sold through, on the chaos origin.
const AFFILIATE: &str = "chaos-blog";

/// The replicas' shared key (`PROXY_LOG_TAG_KEY`): each accepts the attribution the
/// others signed, and this driver signs the one its checkouts carry, as a frame served
/// by any replica would.
const CHAOS_KEY: &str = "chaos-log-tag-key-0123456789abcdef";

/// The attribution a frame served for [`AFFILIATE`] carries, signed under [`CHAOS_KEY`].
fn chaos_attribution() -> Result<String> {
    use simology_proxy::affiliates::{unix_day, Signed};
    if !simology_proxy::domain::set_log_tag_key(CHAOS_KEY.as_bytes()) {
        bail!("this process already signs with another key");
    }
    Ok(Signed {
        affiliate: AFFILIATE.to_owned(),
        placement: None,
    }
    .token(unix_day(simology_proxy::clock::now_ms())))
}

struct Replica {
    port: u16,
    child: Option<Child>,
}

struct Fleet {
    bin: String,
    env: Vec<(String, String)>,
    replicas: Vec<Replica>,
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Fleet {
    fn start(&mut self, i: usize) -> Result<()> {
        let port = self.replicas[i].port;
        for attempt in 0..50 {
            let mut child = Command::new(&self.bin)
                .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .env("PROXY_LISTEN", format!("127.0.0.1:{port}"))
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {}", self.bin))?;
            let stdout = child.stdout.take().context("stdout")?;
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            reader.read_line(&mut line)?;
            if line.starts_with("listening on") {
                std::thread::spawn(move || for _ in reader.lines() {});
                self.replicas[i].child = Some(child);
                return Ok(());
            }
            // The port may still be held by the killed process for a moment.
            let _ = child.wait();
            std::thread::sleep(Duration::from_millis(100 * (attempt + 1)));
        }
        bail!("replica {i} did not restart on port {port}")
    }

    fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.replicas[i].child.take() {
            let _ = c.kill(); // SIGKILL
            let _ = c.wait();
        }
    }

    fn stop_all(&mut self) {
        for r in &mut self.replicas {
            if let Some(mut c) = r.child.take() {
                let _ = Command::new("kill").arg(c.id().to_string()).status();
                let _ = c.wait();
            }
        }
    }

    fn url(&self, i: usize) -> String {
        format!(
            "http://127.0.0.1:{}",
            self.replicas[i % self.replicas.len()].port
        )
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        // A failed run leaves no proxy behind.
        for r in &mut self.replicas {
            if let Some(mut c) = r.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// `simology-bench chaos`: its options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The `simology-proxy` binary to run and kill.
    #[arg(long)]
    proxy_bin: String,
    /// Orders to make.
    #[arg(long, default_value_t = 100)]
    orders: usize,
    /// Proxy processes side by side (more than one needs `--database-url` on PostgreSQL).
    #[arg(long, default_value_t = 1)]
    replicas: usize,
    /// SIGKILLs of a proxy while the orders go through.
    #[arg(long, default_value_t = 5)]
    kills: usize,
    /// The sandbox's seed (its ids and faults).
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// The proxies' database; a SQLite file of the run's own by default.
    #[arg(long)]
    database_url: Option<String>,
}

/// How many eSIMs order `i` buys: one in four orders is for 2 to 4 travellers.
fn quantity_of(i: usize) -> u32 {
    if i % 4 == 3 {
        2 + (i / 4 % 3) as u32
    } else {
        1
    }
}

/// The sandbox with its faults, the partner's receiver, the files, and the replicas
/// started against them.
struct Setup {
    dir: std::path::PathBuf,
    database_url: String,
    sandbox: simology_sandbox::RunningSandbox,
    receiver: crate::partner::Receiver,
    fleet: Arc<Mutex<Fleet>>,
    /// Each replica's URL.
    urls: Vec<String>,
}

async fn set_up(
    bin: String,
    replicas: usize,
    seed: u64,
    database_url: Option<String>,
) -> Result<Setup> {
    let dir = std::env::temp_dir().join(format!("simology-chaos-{}-{seed}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let database_url =
        database_url.unwrap_or_else(|| format!("sqlite://{}", dir.join("proxy.db").display()));
    let sandbox = simology_sandbox::spawn(SandboxConfig {
        seed,
        activation_delay: Duration::from_millis(300),
        refund_delay: Duration::from_millis(300),
        // Retries come after 100 ms, 500 ms, 3 s, then every 6 s.
        time_scale: 600.0,
        faults: Faults {
            error_rate: 0.10,
            rate_limit_rate: 0.05,
            retry_after_secs: 1,
            latency_ms: 200,
            duplicate_webhooks: true,
            out_of_order_webhooks: true,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await?;
    let receiver = crate::partner::Receiver::start(true).await?;
    let webhooks_file = dir.join("webhooks.toml");
    std::fs::write(&webhooks_file, receiver.endpoints_file())?;
    let affiliates_file = dir.join("affiliates.toml");
    std::fs::write(
        &affiliates_file,
        format!(
            "[[affiliate]]\nid = \"{AFFILIATE}\"\nname = \"Chaos Blog\"\norigins = [\"{ORIGIN}\"]\ncommission_bps = 1000\n\
             token = \"chaos-report-token-0123456789abcdef\"\npostback_url = \"{}\"\n",
            receiver.postback_url()
        ),
    )?;
    let env = crate::proxy_env(
        sandbox.url(),
        ORIGIN,
        &[
            ("PROXY_WEBHOOKS", webhooks_file.display().to_string()),
            ("PROXY_AFFILIATES", affiliates_file.display().to_string()),
            ("PROXY_LOG_TAG_KEY", CHAOS_KEY.to_owned()),
            ("PROXY_DATABASE_URL", database_url.clone()),
            ("PROXY_STALE_AFTER_SECS", "3".to_owned()),
            ("PROXY_RECONCILE_INTERVAL_SECS", "1".to_owned()),
            ("PROXY_CHECKOUT_PER_MINUTE", "1000000000".to_owned()),
            ("PROXY_STATUS_PER_MINUTE", "1000000000".to_owned()),
            ("PROXY_LOG_FORMAT", "text".to_owned()),
        ],
    );
    let mut fleet = Fleet {
        bin,
        env,
        replicas: (0..replicas.max(1))
            .map(|_| {
                Ok(Replica {
                    port: free_port()?,
                    child: None,
                })
            })
            .collect::<Result<_>>()?,
    };
    for i in 0..fleet.replicas.len() {
        fleet.start(i)?;
    }
    // Webhooks go to the first replica; clients use every replica.
    sandbox.set_webhook_url(Some(url::Url::parse(&format!(
        "{}/webhooks/simology",
        fleet.url(0)
    ))?));
    let urls: Vec<String> = (0..fleet.replicas.len()).map(|i| fleet.url(i)).collect();
    Ok(Setup {
        dir,
        database_url,
        sandbox,
        receiver,
        fleet: Arc::new(Mutex::new(fleet)),
        urls,
    })
}

/// SIGKILLs a replica, restarts it 400 ms later, `kills` times, 1.5 s apart, until
/// stopped.
struct Killer {
    stop: Arc<AtomicBool>,
    killed: Arc<AtomicUsize>,
    thread: std::thread::JoinHandle<Result<()>>,
}

impl Killer {
    fn start(fleet: &Arc<Mutex<Fleet>>, kills: usize) -> Killer {
        let stop = Arc::new(AtomicBool::new(false));
        let killed = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (fleet, stop, killed) = (Arc::clone(fleet), Arc::clone(&stop), Arc::clone(&killed));
            std::thread::spawn(move || -> Result<()> {
                let mut n = 0;
                while n < kills && !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(1500));
                    let mut f = fleet.lock().map_err(|_| anyhow::anyhow!("fleet lock"))?;
                    let i = n % f.replicas.len();
                    f.kill(i);
                    drop(f);
                    killed.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(400));
                    fleet
                        .lock()
                        .map_err(|_| anyhow::anyhow!("fleet lock"))?
                        .start(i)?;
                    n += 1;
                }
                Ok(())
            })
        };
        Killer {
            stop,
            killed,
            thread,
        }
    }

    /// Stops it; how many kills it made.
    fn stop(self) -> Result<usize> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("killer panicked"))??;
        Ok(self.killed.load(Ordering::SeqCst))
    }
}

/// One order made: its number, reference and payment URL.
type Made = (usize, String, String);

/// The checkouts, eight at a time: each order's one intent is retried until it
/// answers, through crashes and upstream faults; idempotency must make each exactly
/// one upstream session.
async fn checkouts(
    http: &reqwest::Client,
    urls: &[String],
    orders: usize,
    seed: u64,
) -> Result<Vec<Made>> {
    let next = Arc::new(AtomicUsize::new(0));
    let made: Arc<Mutex<Vec<Made>>> = Arc::default();
    let attribution = Arc::new(chaos_attribution()?);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (http, urls, next, made, attribution) = (
            http.clone(),
            urls.to_vec(),
            Arc::clone(&next),
            Arc::clone(&made),
            Arc::clone(&attribution),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= orders {
                    return Ok::<(), anyhow::Error>(());
                }
                let body = json!({"sku": "US-1GB-7D", "quantity": quantity_of(i), "email": "chaos@example.com", "locale": "en",
                    "intent_id": format!("chaos-{seed:04}-intent-{i:06}"), "return_url": format!("{ORIGIN}/"),
                    "attribution": attribution.as_str(), "click_id": format!("chaos-click-{i:06}")});
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    let url = &urls[(i + attempt) % urls.len()];
                    let answer = http.post(format!("{url}/api/checkout")).header("origin", ORIGIN).json(&body).send().await;
                    if let Ok(r) = answer {
                        if r.status().is_success() {
                            let v: Value = r.json().await?;
                            let r_ = v["order_ref"].as_str().context("order_ref")?.to_owned();
                            let p = v["payment_url"].as_str().context("payment_url")?.to_owned();
                            made.lock().map_err(|_| anyhow::anyhow!("lock"))?.push((i, r_, p));
                            break;
                        }
                        if r.status().is_client_error() {
                            bail!("checkout {i} refused: {}", r.status());
                        }
                    }
                    if attempt > 200 {
                        bail!("checkout {i} never succeeded");
                    }
                    tokio::time::sleep(Duration::from_millis(150)).await;
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let made = made.lock().map_err(|_| anyhow::anyhow!("lock"))?.clone();
    Ok(made)
}

/// Every order paid on the sandbox's page.
async fn pay_all(http: &reqwest::Client, made: &[Made]) -> Result<()> {
    for (i, _, payment_url) in made {
        let r = http
            .post(payment_url)
            .form(&[("card", CARD_SUCCESS), ("action", "pay")])
            .send()
            .await
            .with_context(|| format!("paying order {i}"))?;
        if r.status() != 303 {
            bail!("payment of order {i} answered {}", r.status());
        }
    }
    Ok(())
}

/// Waits for every order to be ready, and counts those first seen ready short of the
/// lines they were paid for (the first answer that says `ready` must list them all).
async fn wait_ready(http: &reqwest::Client, urls: &[String], made: &[Made]) -> Result<usize> {
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut pending: Vec<(usize, &String)> = made.iter().map(|(i, r, _)| (*i, r)).collect();
    let mut ready_short = 0usize;
    let mut round = 0usize;
    while !pending.is_empty() {
        if Instant::now() > deadline {
            bail!("{} orders not ready after 600 s", pending.len());
        }
        round += 1;
        let mut still = Vec::new();
        for (i, r) in pending {
            let url = &urls[round % urls.len()];
            let view = match http.get(format!("{url}/api/orders/{r}")).send().await {
                Ok(resp) if resp.status().is_success() => resp.json::<Value>().await.ok(),
                _ => None,
            };
            let state = view.as_ref().map(|v| v["state"].clone());
            match state.as_ref().and_then(Value::as_str) {
                Some("ready") => {
                    let quantity = u64::from(quantity_of(i));
                    let v = view.as_ref().unwrap_or(&Value::Null);
                    let listed = v["lines"].as_array().map_or(0, Vec::len) as u64;
                    if (listed, v["lines_ready"].as_u64(), v["lines_total"].as_u64())
                        != (quantity, Some(quantity), Some(quantity))
                    {
                        ready_short += 1;
                    }
                }
                Some("failed" | "expired" | "refunded") => bail!("order {r} ended {state:?}"),
                _ => still.push((i, r)),
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(ready_short)
}

/// Polls `pending` every 200 ms until it is 0, or fails with `what` after `limit`.
async fn until_none<F, Fut>(limit: Duration, what: &str, mut pending: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<u64>>,
{
    let deadline = Instant::now() + limit;
    loop {
        let n = pending().await?;
        if n == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{n} {what} after {} s", limit.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Lets every webhook delivery land (the sandbox retries what the kills cut off),
/// every stored event be applied, and every delivery of the outbox be made.
async fn settle(
    sandbox: &simology_sandbox::RunningSandbox,
    store: &simology_proxy::store::Store,
) -> Result<()> {
    until_none(
        Duration::from_secs(300),
        "webhook deliveries still pending",
        || async { Ok(sandbox.pending_deliveries() as u64) },
    )
    .await?;
    until_none(
        Duration::from_secs(120),
        "stored events never applied",
        || async {
            let waiting = store.event_counts().await?.waiting;
            Ok(u64::try_from(waiting).unwrap_or(u64::MAX))
        },
    )
    .await?;
    until_none(
        Duration::from_secs(300),
        "outbox deliveries still pending",
        || async {
            let pending: i64 = store
                .outbox_stats()
                .await?
                .values()
                .map(|s| s.pending)
                .sum();
            Ok(u64::try_from(pending).unwrap_or(u64::MAX))
        },
    )
    .await
}

/// The upstream's account against the proxy's: sessions, events sent and stored,
/// each order ready once with the upstream's lines.
struct Upstream {
    sessions: usize,
    orders: usize,
    events_sent: usize,
    deliveries: usize,
    events_received: usize,
    events_lost: usize,
    exactly_once: usize,
    lines_exactly_once: usize,
    incomplete: usize,
}

async fn upstream_accounting(
    http: &reqwest::Client,
    sandbox: &simology_sandbox::RunningSandbox,
    store: &simology_proxy::store::Store,
    made: &[Made],
) -> Result<Upstream> {
    let sessions: Value = http
        .get(format!("{}/sandbox/sessions", sandbox.url()))
        .send()
        .await?
        .json()
        .await?;
    let upstream_orders = sandbox.orders();
    let deliveries = sandbox.deliveries();
    let sent: HashSet<String> = deliveries.iter().map(|d| d.event_id.clone()).collect();
    let events = store.events().await?;
    let stored: HashSet<String> = events.iter().map(|e| e.event_id.clone()).collect();
    // Each order's lines upstream: ICCID → LPA string.
    let upstream_lines: HashMap<String, BTreeMap<String, String>> = upstream_orders
        .iter()
        .filter_map(|o| {
            let lines = o
                .lines
                .iter()
                .map(|l| (l.iccid.clone(), l.smdp_plus.to_string()))
                .collect();
            Some((o.metadata.get("order_ref")?.clone(), lines))
        })
        .collect();
    let mut exactly_once = 0;
    let mut lines_exactly_once = 0;
    for (i, r, _) in made {
        let Some(order_ref) = simology_proxy_api::OrderRef::parse(r) else {
            continue;
        };
        let Some(row) = store.order(&order_ref).await? else {
            continue;
        };
        let quantity = quantity_of(*i) as usize;
        let activations = events
            .iter()
            .filter(|e| {
                e.event_type == "activation.ready"
                    && e.order_ref.as_ref() == Some(&order_ref)
                    && e.processed
            })
            .count();
        let ready = row.facts.state() == simology_proxy_api::OrderState::Ready;
        let proxy_lines: BTreeMap<String, String> = row
            .facts
            .delivered_lines()
            .filter_map(|(iccid, l)| Some((iccid.to_owned(), l.lpa.clone()?)))
            .collect();
        let upstream = upstream_lines.get(r);
        // Each line applied once: one activation event per line, no more, and the
        // proxy's lines exactly the upstream's.
        let right_lines = upstream == Some(&proxy_lines) && proxy_lines.len() == quantity;
        if ready && right_lines && activations == quantity {
            exactly_once += 1;
            lines_exactly_once += quantity;
        }
    }
    Ok(Upstream {
        sessions: sessions.as_array().map_or(0, Vec::len),
        orders: upstream_orders.len(),
        events_sent: sent.len(),
        deliveries: deliveries
            .iter()
            .filter(|d| d.outcome == "delivered")
            .count(),
        events_received: stored.len(),
        events_lost: sent.difference(&stored).count(),
        exactly_once,
        lines_exactly_once,
        incomplete: store.incomplete_orders(i64::MAX).await?.len(),
    })
}

/// The partner's systems: every event of the outbox arrived (deduplicated by its
/// webhook-id), each order's paid and ready among them, and its network's postbacks.
struct Partner {
    events: usize,
    received: usize,
    lost: usize,
    duplicates: usize,
    refused_first: usize,
    bad_signatures: usize,
    given_up: usize,
    orders_told: usize,
    orders_postbacks: usize,
}

async fn partner_accounting(
    store: &simology_proxy::store::Store,
    receiver: &crate::partner::Receiver,
    made: &[Made],
) -> Result<Partner> {
    let outbox = store.deliveries(None, None, i64::MAX).await?;
    let sent_ids: HashSet<&str> = outbox
        .iter()
        .filter(|d| d.destination == "crm")
        .map(|d| d.message_id.as_str())
        .collect();
    let arrivals = receiver.arrivals();
    let accepted: Vec<&crate::partner::Arrival> = arrivals.iter().filter(|a| a.accepted).collect();
    let received_ids: HashSet<&str> = accepted.iter().map(|a| a.id.as_str()).collect();
    let mut told: HashMap<&str, HashSet<String>> = HashMap::new();
    for a in &accepted {
        let what = match &a.status {
            Some(s) => format!("{}:{s}", a.event_type),
            None => a.event_type.clone(),
        };
        told.entry(a.order_id.as_str()).or_default().insert(what);
    }
    let mut postbacks_by: HashMap<(String, String), String> = HashMap::new();
    for p in receiver.postbacks() {
        let key = (
            p.get("order_id").cloned().unwrap_or_default(),
            p.get("status").cloned().unwrap_or_default(),
        );
        postbacks_by.insert(key, p.get("click_id").cloned().unwrap_or_default());
    }
    let mut orders_told = 0;
    let mut orders_postbacks = 0;
    for (i, r, _) in made {
        let Some(order_ref) = simology_proxy_api::OrderRef::parse(r) else {
            continue;
        };
        let order_id = simology_proxy::domain::public_order_id(&order_ref);
        let seen = told.get(order_id.as_str());
        let wanted = [
            "order.paid",
            "order.ready",
            "affiliate.conversion:pending",
            "affiliate.conversion:approved",
        ];
        if seen.is_some_and(|s| wanted.iter().all(|w| s.contains(*w))) {
            orders_told += 1;
        }
        let click = format!("chaos-click-{i:06}");
        let postback =
            |status: &str| postbacks_by.get(&(order_id.clone(), status.to_owned())) == Some(&click);
        if postback("pending") && postback("approved") {
            orders_postbacks += 1;
        }
    }
    Ok(Partner {
        events: sent_ids.len(),
        received: received_ids.len(),
        lost: sent_ids.difference(&received_ids).count(),
        duplicates: accepted.len() - received_ids.len(),
        refused_first: arrivals.len() - accepted.len(),
        bad_signatures: receiver.bad_signatures(),
        given_up: outbox.iter().filter(|d| d.failed_at.is_some()).count(),
        orders_told,
        orders_postbacks,
    })
}

/// Runs the chaos: set up, the killer started, the checkouts, the payments, every order
/// ready, the killer stopped, everything settled, then the upstream's and the
/// partner's accounts, printed as one JSON line and judged.
///
/// # Errors
/// When an invariant breaks or the run cannot be set up.
pub async fn run(args: Args) -> Result<()> {
    let Args {
        proxy_bin: bin,
        orders,
        replicas,
        kills,
        seed,
        database_url,
    } = args;
    let setup = set_up(bin, replicas, seed, database_url).await?;
    let killer = Killer::start(&setup.fleet, kills);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let started = Instant::now();
    let made = checkouts(&http, &setup.urls, orders, seed).await?;
    pay_all(&http, &made).await?;
    let paid_at = Instant::now();
    let ready_short = wait_ready(&http, &setup.urls, &made).await?;
    let drain = paid_at.elapsed();
    let kills_made = killer.stop()?;
    let store = simology_proxy::store::Store::connect(&setup.database_url).await?;
    settle(&setup.sandbox, &store).await?;
    let outbox_drain = paid_at.elapsed();
    setup
        .fleet
        .lock()
        .map_err(|_| anyhow::anyhow!("lock"))?
        .stop_all();

    let upstream = upstream_accounting(&http, &setup.sandbox, &store, &made).await?;
    let partner = partner_accounting(&store, &setup.receiver, &made).await?;
    let created = made.len();
    let multi_line_orders = (0..orders).filter(|i| quantity_of(*i) > 1).count();
    let lines_expected: usize = (0..orders).map(|i| quantity_of(i) as usize).sum();
    let duplicate_upstream_orders =
        upstream.orders.saturating_sub(created) + upstream.sessions.saturating_sub(created);
    let report = json!({
        "orders": orders,
        "replicas": setup.urls.len(),
        "proxy_kills": kills_made,
        "orders_created": created,
        "upstream_sessions": upstream.sessions,
        "duplicate_upstream_orders": duplicate_upstream_orders,
        "events_sent": upstream.events_sent,
        "deliveries": upstream.deliveries,
        "events_received": upstream.events_received,
        "events_lost": upstream.events_lost,
        "orders_final_exactly_once": upstream.exactly_once,
        "multi_line_orders": multi_line_orders,
        "lines_expected": lines_expected,
        "lines_ready_exactly_once": upstream.lines_exactly_once,
        "orders_incomplete": upstream.incomplete,
        "orders_ready_short_of_lines": ready_short,
        "webhook_events": partner.events,
        "webhook_events_received": partner.received,
        "webhook_events_lost": partner.lost,
        "webhook_duplicates_deduplicated": partner.duplicates,
        "webhook_first_attempts_refused": partner.refused_first,
        "webhook_bad_signatures": partner.bad_signatures,
        "webhook_deliveries_given_up": partner.given_up,
        "orders_told_paid_and_ready": partner.orders_told,
        "orders_with_both_postbacks": partner.orders_postbacks,
        "time_to_drain_outbox_s": outbox_drain.as_secs_f64(),
        "time_to_drain_s": drain.as_secs_f64(),
        "total_s": started.elapsed().as_secs_f64(),
    });
    println!("{report}");
    let _ = std::fs::remove_dir_all(&setup.dir);
    if duplicate_upstream_orders != 0
        || upstream.events_lost != 0
        || upstream.exactly_once != orders
        || upstream.lines_exactly_once != lines_expected
        || upstream.incomplete != 0
        || ready_short != 0
        || created != orders
        || partner.events == 0
        || partner.lost != 0
        || partner.given_up != 0
        || partner.bad_signatures != 0
        || partner.orders_told != orders
        || partner.orders_postbacks != orders
    {
        bail!("chaos invariants broken: {report}");
    }
    Ok(())
}
