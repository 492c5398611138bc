//! `simology-bench webhooks`: how many signed webhook events a running proxy verifies,
//! stores durably (SQLite with fsync) and applies per second.
//!
//! It makes N orders through the proxy's checkout (so the proxy knows their sessions),
//! then sends each order's `checkout.completed`, `order.paid` and `activation.ready`,
//! signed as Simology signs them, with C orders in flight at once, and waits until the
//! proxy reports all 3N applied. Prints one JSON line.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use simology::events::{
    ActivationReady, CheckoutCompleted, Event, EventPayload, OrderPaid, PaidCustomer,
};
use simology::models::{ActivatedLine, OrderItem};
use simology::webhook::{signature_header, SIGNATURE_HEADER};
use simology::{Currency, Lpa};
use time::OffsetDateTime;

/// `simology-bench webhooks`: its options (and what a measurement needs).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The running proxy's URL.
    #[arg(long)]
    pub proxy: String,
    /// The sandbox's URL (the proxy's upstream).
    #[arg(long)]
    pub sandbox: String,
    /// An origin the proxy allows (the checkouts' return URLs).
    #[arg(long)]
    pub origin: String,
    /// The webhook signing secret the proxy accepts.
    #[arg(long)]
    pub secret: String,
    /// Orders to make (three events each).
    #[arg(long, default_value_t = 300)]
    pub orders: usize,
    /// Orders whose events are in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
}

async fn applied(http: &reqwest::Client, proxy: &str) -> Result<u64> {
    // A proxy that does not serve its metrics here is an error, not zero events (which
    // would wait out the timeout and blame the proxy's speed).
    let text = http
        .get(format!("{proxy}/metrics"))
        .send()
        .await?
        .error_for_status()
        .context("the proxy's /metrics (PROXY_METRICS_PUBLIC or a token)")?
        .text()
        .await?;
    Ok(text
        .lines()
        .find(|l| l.starts_with("simology_events_processed_total{outcome=\"applied\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Ids of this run's events and upstream orders: unique, so that a database used by an
/// earlier run (`--database-url`) takes them as new.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}{:x}", std::process::id(), nanos)
}

fn events_for(run: &str, i: usize, session_id: &str, order_ref: &str) -> Result<Vec<Event>> {
    let order_id = format!("ord_bench{run}_{i:06}");
    let now = OffsetDateTime::now_utc();
    let mk = |n: u32, payload| Event {
        id: format!("evt_bench{run}_{i:06}_{n}"),
        created: now,
        payload,
    };
    let line = ActivatedLine {
        iccid: format!("89883070{i:011}"),
        smdp_plus: Lpa::new("sm-dp-plus.bench.example", &format!("BENCH-{i:06}"))?,
        qr_url: None,
        valid_from: now,
        expires_at: now + time::Duration::days(30),
    };
    Ok(vec![
        mk(
            1,
            EventPayload::CheckoutCompleted(CheckoutCompleted {
                session_id: session_id.to_owned(),
                order_id: order_id.clone(),
                metadata: [("order_ref".to_owned(), order_ref.to_owned())]
                    .into_iter()
                    .collect(),
            }),
        ),
        mk(
            2,
            EventPayload::OrderPaid(OrderPaid {
                order_id: order_id.clone(),
                session_id: session_id.to_owned(),
                items: vec![OrderItem {
                    sku: "JP-1GB-7D".into(),
                    quantity: 1,
                    unit_price: simology::money::Amount::new(680, 0),
                    currency: Currency::JPY,
                }],
                customer: PaidCustomer {
                    email: "bench@example.com".into(),
                },
            }),
        ),
        mk(
            3,
            EventPayload::ActivationReady(ActivationReady { order_id, line }),
        ),
    ])
}

/// Runs the webhook benchmark.
///
/// # Errors
/// When the proxy misbehaves.
pub async fn run(args: Args) -> Result<()> {
    println!("{}", measure(&args).await?);
    Ok(())
}

/// Makes the orders through the proxy's checkout; returns each one's reference and
/// session.
///
/// # Errors
/// When the proxy or the sandbox misbehaves.
pub async fn orders(http: &reqwest::Client, args: &Args) -> Result<Vec<(String, String)>> {
    let run = run_id();
    let mut refs = Vec::new();
    for i in 0..args.orders {
        let body = json!({"sku": "JP-1GB-7D", "quantity": 1, "email": "bench@example.com", "locale": "en",
            "intent_id": format!("bench-intent-{i:08}-{run}"), "return_url": format!("{}/", args.origin)});
        let r: Value = http
            .post(format!("{}/api/checkout", args.proxy))
            .header("origin", &args.origin)
            .json(&body)
            .send()
            .await?
            .error_for_status()
            .context("checkout")?
            .json()
            .await?;
        refs.push(r["order_ref"].as_str().context("order_ref")?.to_owned());
    }
    let sessions: Value = http
        .get(format!("{}/sandbox/sessions", args.sandbox))
        .send()
        .await?
        .json()
        .await?;
    let by_ref: HashMap<String, String> = sessions
        .as_array()
        .context("sessions")?
        .iter()
        .filter_map(|s| {
            Some((
                s["metadata"]["order_ref"].as_str()?.to_owned(),
                s["id"].as_str()?.to_owned(),
            ))
        })
        .collect();
    refs.into_iter()
        .map(|r| {
            let session = by_ref
                .get(&r)
                .with_context(|| format!("no session for {r}"))?
                .clone();
            Ok((r, session))
        })
        .collect()
}

/// An order's three events (`checkout.completed`, `order.paid`, `activation.ready`),
/// unique to this run.
///
/// # Errors
/// When an event cannot be made.
pub fn order_events(run: &str, i: usize, session: &str, order_ref: &str) -> Result<Vec<Event>> {
    events_for(run, i, session, order_ref)
}

/// Sends one event, signed as Simology signs it.
///
/// # Errors
/// When the proxy does not answer 2xx.
pub async fn send(http: &reqwest::Client, proxy: &str, secret: &str, event: &Event) -> Result<()> {
    let body = event.to_json()?;
    let header = signature_header(
        &body,
        &[secret.as_bytes()],
        OffsetDateTime::now_utc().unix_timestamp(),
    );
    let status = http
        .post(format!("{proxy}/webhooks/simology"))
        .header(SIGNATURE_HEADER, header)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?
        .status();
    if !status.is_success() {
        bail!("webhook answered {status}");
    }
    Ok(())
}

/// A fresh id for a run's events.
pub fn new_run_id() -> String {
    run_id()
}

/// Measures: orders, then their events sent `concurrency` orders at once, until the
/// proxy reports them all applied. Returns the JSON line `run` prints.
///
/// # Errors
/// When the proxy misbehaves.
pub async fn measure(args: &Args) -> Result<Value> {
    let http = reqwest::Client::new();
    let made = orders(&http, args).await?;
    let run = run_id();
    let mut work = Vec::new();
    for (i, (r, session)) in made.iter().enumerate() {
        work.push(events_for(&run, i, session, r)?);
    }
    let refs = made;
    let baseline = applied(&http, &args.proxy).await?;
    let total = (work.len() * 3) as u64;
    let secret = Arc::new(args.secret.clone());
    let queue = Arc::new(tokio::sync::Mutex::new(work));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (queue, http, secret, proxy) = (
            Arc::clone(&queue),
            http.clone(),
            Arc::clone(&secret),
            args.proxy.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(events) = queue.lock().await.pop() else {
                    return Ok::<(), anyhow::Error>(());
                };
                for event in events {
                    send(&http, &proxy, &secret, &event).await?;
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let stored = started.elapsed();
    loop {
        if applied(&http, &args.proxy).await? >= baseline + total {
            break;
        }
        if started.elapsed().as_secs() > 300 {
            bail!("events not applied within 300 s");
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(
        json!({"events": total, "orders": refs.len(), "concurrency": args.concurrency,
               "stored_seconds": stored.as_secs_f64(), "applied_seconds": elapsed,
               "events_per_s": total as f64 / elapsed}),
    )
}
