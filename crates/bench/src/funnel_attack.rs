//! The attack's second phase, on the affiliates' side: a flood of forged beacons (signed
//! attributions for random placements, as anyone gets them from the frame's document
//! with a forged `Referer`, each client address sending a few, with random page paths, destinations and events) while signed webhooks keep coming,
//! then reports read over what the flood left, then a guesser of report tokens. What it
//! measures: the rows the flood added to the funnel (against the bound the proxy's caps
//! allow), the webhooks' p99 before and during the flood, the time a report takes, and
//! how many guesses were compared before the guesser was throttled.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{json, Value};
use simology::events::{Event, EventPayload};
use simology::webhook::{signature_header, SIGNATURE_HEADER};
use simology_proxy::ratelimit::burst;
use simology_proxy::services::beacons::ROWS_PER_DAY;
use simology_sandbox::DEFAULT_WEBHOOK_SECRET;
use time::OffsetDateTime;

use crate::attack::{outcome, p99, AnswerCounts};

/// The affiliate the flood names.
pub const AFFILIATE: &str = "flood-target";

/// The client address the token guesser writes (as the load balancer would).
const TOKEN_GUESSER: &str = "198.51.100.111";

/// Webhooks in flight at once, before and during the flood.
const WEBHOOKS_IN_FLIGHT: usize = 4;

/// Beacons in flight at once.
const BEACONS_IN_FLIGHT: usize = 64;

/// What the phase is told.
pub struct Plan<'a> {
    /// The proxy's URL.
    pub proxy: &'a str,
    /// The page origin the affiliate's beacons claim (forged: curl sends any).
    pub origin: &'a str,
    /// The affiliate's report token.
    pub token: &'a str,
    /// The proxy's database, to count the funnel's rows.
    pub database_url: &'a str,
    /// Beacons to send, from how many addresses.
    pub beacons: usize,
    /// How many addresses send them.
    pub clients: usize,
    /// Wrong report tokens to try from one address.
    pub token_guesses: usize,
    /// Failed authentications a client may make per minute (the proxy's).
    pub failures_per_minute: u32,
}

/// What the phase measured.
pub struct Measured {
    /// The report (JSON) of the phase.
    pub report: Value,
    /// What did not hold.
    pub broken: Vec<String>,
}

/// A signed probe webhook (a type the proxy stores and ignores); its latency in ms.
async fn webhook(http: &reqwest::Client, proxy: &str, n: u64) -> Result<f64, String> {
    let now = OffsetDateTime::now_utc();
    let event = Event {
        id: format!("evt_probe_{}_{n:08}", std::process::id()),
        created: now,
        payload: EventPayload::Unknown {
            event_type: "attack.probe".into(),
            data: json!({}),
        },
    };
    let body = event.to_json().map_err(|e| e.to_string())?;
    let header = signature_header(&body, &[DEFAULT_WEBHOOK_SECRET], now.unix_timestamp());
    let started = Instant::now();
    let answer = http
        .post(format!("{proxy}/webhooks/simology"))
        .header(SIGNATURE_HEADER, header)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    match answer {
        Ok(r) if r.status().is_success() => Ok(took),
        other => Err(outcome(other).await),
    }
}

/// Sends probe webhooks, `WEBHOOKS_IN_FLIGHT` at a time, until `stop` (or `count` of
/// them when given); returns their latencies and failures.
async fn webhooks(
    http: &reqwest::Client,
    proxy: &str,
    next: &AtomicU64,
    stop: &AtomicBool,
    count: Option<u64>,
) -> (Vec<f64>, Vec<String>) {
    let latencies = Mutex::new(Vec::new());
    let failures = Mutex::new(Vec::new());
    let worker = || async {
        loop {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let n = next.fetch_add(1, Ordering::SeqCst);
            if count.is_some_and(|c| n >= c) {
                return;
            }
            match webhook(http, proxy, n).await {
                Ok(ms) => latencies.lock().map(|mut l| l.push(ms)).unwrap_or(()),
                Err(e) => failures.lock().map(|mut f| f.push(e)).unwrap_or(()),
            }
        }
    };
    futures_join_all((0..WEBHOOKS_IN_FLIGHT).map(|_| worker())).await;
    (
        latencies.into_inner().unwrap_or_default(),
        failures.into_inner().unwrap_or_default(),
    )
}

/// Runs futures side by side on this task.
async fn futures_join_all<F: std::future::Future<Output = ()>>(futures: impl Iterator<Item = F>) {
    futures_util::future::join_all(futures).await;
}

/// Answers of a status, whatever their code.
fn of_status(tally: &AnswerCounts, status: &str) -> u64 {
    tally
        .snapshot()
        .iter()
        .filter(|(what, _)| what.split(' ').next() == Some(status))
        .map(|(_, n)| n)
        .sum()
}

/// Placements the flood has signed attributions for.
const SIGNED_PLACEMENTS: usize = 64;

/// The key the attacked proxy signs attributions with (`PROXY_LOG_TAG_KEY`, which
/// `attack` gives it): the flood signs with it too. A real attacker gets the same
/// tokens without the key, one per placement, from the frame's document (`GET /embed`
/// with the affiliate's page in a forged `Referer`); the flood's load is the same.
pub const ATTACK_KEY: &str = "attack-log-tag-key-0123456789abcdef";

/// Signed attributions for the flooded affiliate, one per random placement.
fn signed_attributions() -> Result<Vec<String>> {
    use simology_proxy::affiliates::{unix_day, Signed};
    if !simology_proxy::domain::set_log_tag_key(ATTACK_KEY.as_bytes()) {
        anyhow::bail!("this process already signs with another key");
    }
    let today = unix_day(simology_proxy::clock::now_ms());
    Ok((0..SIGNED_PLACEMENTS)
        .map(|_| {
            let r: u64 = rand::random();
            Signed {
                affiliate: AFFILIATE.to_owned(),
                placement: Some(format!("p-{:x}", r % 1_000_000_007)),
            }
            .token(today)
        })
        .collect())
}

/// A forged beacon: a signed attribution (so a random placement), random page path,
/// destination and event.
fn forged_beacon(i: usize, signed: &[String]) -> Value {
    let events = [
        "shown",
        "destination_chosen",
        "plan_chosen",
        "checkout_started",
    ];
    let r: u64 = rand::random();
    // Destinations the proxy reads (so nothing is refused for its form): made-up region
    // slugs no catalogue has, and ISO countries at random (a few sold, most not).
    let destination = if r.is_multiple_of(2) {
        let letters: String = (0..8)
            .map(|k| char::from(b'a' + ((r >> (5 * k)) % 26) as u8))
            .collect();
        format!("nowhere-{letters}")
    } else {
        let countries = simology_proxy::countries::COUNTRIES;
        countries[(r / 2) as usize % countries.len()].0.to_owned()
    };
    json!({
        "attribution": signed.get(i % signed.len().max(1)),
        "event": events[i % events.len()],
        "page_path": format!("/forged/{:x}/{}", r, i),
        "destination": destination,
    })
}

/// The bound on the rows one affiliate's day may hold: its rows, plus those folded as
/// "other" (placement and page path each none or other, each destination of the
/// catalogue or other or none, each event).
fn rows_bound(destinations: usize, days: u64) -> u64 {
    let folded = 2 * 2 * (destinations as u64 + 2) * 4;
    days * (ROWS_PER_DAY as u64 + folded)
}

/// Runs the phase.
///
/// # Errors
/// When it cannot be set up (the store, the catalogue); what did not hold is in
/// [`Measured::broken`].
pub async fn run(http: &reqwest::Client, plan: &Plan<'_>) -> Result<Measured> {
    let mut broken = Vec::new();
    let store = simology_proxy::store::Store::connect(plan.database_url)
        .await
        .context("the proxy's database")?;
    let destinations: Value = http
        .get(format!("{}/api/destinations", plan.proxy))
        .send()
        .await?
        .json()
        .await?;
    let destinations = destinations["destinations"].as_array().map_or(0, Vec::len);

    // Webhooks before the flood: the baseline.
    let next = AtomicU64::new(0);
    let never = AtomicBool::new(false);
    let (baseline, failed) = webhooks(http, plan.proxy, &next, &never, Some(200)).await;
    broken.extend(
        failed
            .into_iter()
            .take(3)
            .map(|e| format!("a webhook before the flood: {e}")),
    );

    let signed = signed_attributions()?;
    let rows_before = store.funnel_row_count().await?;
    let day_before = OffsetDateTime::now_utc().date();
    let tally = Arc::new(AnswerCounts::default());
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let flood = async {
        let next_beacon = AtomicU64::new(0);
        let worker = || async {
            loop {
                let i = next_beacon.fetch_add(1, Ordering::SeqCst) as usize;
                if i >= plan.beacons {
                    return;
                }
                // Client i % clients: each address sends beacons / clients of them.
                let client = i % plan.clients.max(1);
                let address = format!(
                    "10.{}.{}.{}",
                    client / 65_536 % 256,
                    client / 256 % 256,
                    client % 256
                );
                let answer = http
                    .post(format!("{}/api/beacons", plan.proxy))
                    .header("origin", plan.origin)
                    .header("content-type", "text/plain;charset=UTF-8")
                    .header("x-forwarded-for", address)
                    .body(forged_beacon(i, &signed).to_string())
                    .send()
                    .await;
                tally.add(outcome(answer).await);
            }
        };
        futures_join_all((0..BEACONS_IN_FLIGHT).map(|_| worker())).await;
        stop.store(true, Ordering::SeqCst);
    };
    let ((), (during, failed)) =
        tokio::join!(flood, webhooks(http, plan.proxy, &next, &stop, None));
    let flood_s = started.elapsed().as_secs_f64();
    broken.extend(
        failed
            .iter()
            .take(3)
            .map(|e| format!("a webhook during the flood: {e}")),
    );

    // Reports over what the flood left (each writes what is still counted in memory
    // first).
    let mut report_ms = serde_json::Map::new();
    let mut rows_total = Value::Null;
    for by in ["page", "placement", "destination", "day"] {
        let started = Instant::now();
        let answer = http
            .get(format!(
                "{}/api/affiliates/{AFFILIATE}/report?by={by}",
                plan.proxy
            ))
            .bearer_auth(plan.token)
            .header("x-forwarded-for", "203.0.113.201")
            .send()
            .await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match answer {
            Ok(r) if r.status() == 200 => {
                let body: Value = r.json().await.unwrap_or(Value::Null);
                if by == "page" {
                    rows_total = body["rows_total"].clone();
                }
                let shown = body["rows"].as_array().map_or(0, Vec::len);
                if shown as u64 > body["rows_limit"].as_u64().unwrap_or(0) {
                    broken.push(format!(
                        "the report by {by} has {shown} rows, past its limit"
                    ));
                }
                report_ms.insert(by.to_owned(), json!(ms));
            }
            other => broken.push(format!("the report by {by}: {}", outcome(other).await)),
        }
    }
    let rows_after = store.funnel_row_count().await?;
    let rows_added = rows_after.saturating_sub(rows_before);
    let days = if OffsetDateTime::now_utc().date() == day_before {
        1
    } else {
        2
    };
    let bound = rows_bound(destinations, days);
    if rows_added > bound {
        broken.push(format!(
            "the flood added {rows_added} funnel rows (the caps allow {bound})"
        ));
    }
    let accepted = of_status(&tally, "204");
    if accepted + of_status(&tally, "429") != plan.beacons as u64 {
        broken.push(format!(
            "beacons answered otherwise: {:?}",
            tally.snapshot()
        ));
    }

    // The token guesser, from one address: a few compared, then throttled.
    let guesses = Arc::new(AnswerCounts::default());
    let started = Instant::now();
    for i in 0..plan.token_guesses {
        let affiliate = if i % 2 == 0 {
            AFFILIATE
        } else {
            "no-such-affiliate"
        };
        let answer = http
            .get(format!("{}/api/affiliates/{affiliate}/report", plan.proxy))
            .bearer_auth(format!("{:064x}", rand::random::<u128>()))
            .header("x-forwarded-for", TOKEN_GUESSER)
            .send()
            .await;
        guesses.add(outcome(answer).await);
    }
    let guessing_s = started.elapsed().as_secs_f64();
    let right_while_throttled = outcome(
        http.get(format!("{}/api/affiliates/{AFFILIATE}/report", plan.proxy))
            .bearer_auth(plan.token)
            .header("x-forwarded-for", TOKEN_GUESSER)
            .send()
            .await,
    )
    .await;
    let compared = of_status(&guesses, "401");
    let allowed = u64::from(burst(plan.failures_per_minute))
        + (guessing_s * f64::from(plan.failures_per_minute) / 60.0).ceil() as u64;
    if compared > allowed {
        broken.push(format!(
            "{compared} report tokens were compared (the throttle allows {allowed})"
        ));
    }
    if of_status(&guesses, "200") > 0 {
        broken.push("a guessed report token was accepted".into());
    }
    if plan.token_guesses > allowed as usize && right_while_throttled != "429 rate_limited" {
        broken.push(format!(
            "the right token from the throttled guesser answered {right_while_throttled}"
        ));
    }

    let report = json!({
        "beacons": plan.beacons, "clients": plan.clients, "flood_seconds": flood_s,
        "beacons_answered": tally.snapshot(),
        "funnel_rows_added": rows_added, "funnel_rows_bound": bound,
        "destinations_in_catalogue": destinations,
        "report_rows_total_by_page": rows_total,
        "report_ms": report_ms,
        "webhooks_before": {"sent": baseline.len(), "p99_ms": p99(&baseline)},
        "webhooks_during": {"sent": during.len(), "failed": failed.len(), "p99_ms": p99(&during)},
        "token_guesses": guesses.snapshot(),
        "token_guesses_compared_allowed": allowed,
        "right_token_while_throttled": right_while_throttled,
    });
    Ok(Measured { report, broken })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_is_the_days_rows_and_the_folded_ones() {
        assert_eq!(rows_bound(0, 1), ROWS_PER_DAY as u64 + 2 * 2 * 2 * 4);
        assert_eq!(
            rows_bound(10, 2),
            2 * (ROWS_PER_DAY as u64 + 2 * 2 * 12 * 4)
        );
    }

    #[test]
    fn forged_beacons_are_of_the_flooded_affiliate_and_vary() {
        let signed = [
            "a1:flood-target:p-1:20000:00".to_owned(),
            "a1:flood-target:p-2:20000:00".to_owned(),
        ];
        let a = forged_beacon(0, &signed);
        let b = forged_beacon(1, &signed);
        assert_ne!(a["attribution"], b["attribution"]);
        assert_ne!(a["page_path"], b["page_path"]);
        assert_ne!(a["event"], b["event"]);
        assert!(a.to_string().len() < simology_proxy_api::MAX_BEACON_BYTES);
        for i in 0..50 {
            let d = forged_beacon(i, &signed)["destination"]
                .as_str()
                .expect("a destination")
                .to_owned();
            let readable = if d.len() == 2 {
                simology_proxy::countries::country_name(&d).is_some()
            } else {
                simology_proxy_api::DestinationId::region(&d).is_some()
            };
            assert!(readable, "{d}");
        }
    }
}
