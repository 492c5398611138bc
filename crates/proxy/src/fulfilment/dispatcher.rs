//! The dispatcher: delivers the outbox. It claims due deliveries (woken at once by a
//! commit of this process that wrote some, else every `poll`), sends each (a signed
//! `POST` to a webhook endpoint, a `GET` of a postback's URL) with a timeout and no
//! redirect followed, and records the outcomes a batch to a commit: delivered on a 2xx,
//! else retried on the schedule (`outgoing::schedule`), or given up after its 3 days,
//! when the destination is disabled if nothing reached it meanwhile.
//!
//! At most [`PER_DESTINATION`] attempts to one destination run at once, of at most
//! [`HELD_PER_DESTINATION`] claimed (the rest wait their turn here), and at most
//! [`HELD`] in all, so a slow or dead endpoint holds up no other. A claim holds its
//! deliveries for as long as the last of them could wait and take (three attempts'
//! timeouts) and a margin: one replica attempts a delivery at a time, and one that dies
//! mid-attempt (SIGKILL) leaves it to be claimed again when the claim runs out. So a
//! delivery is attempted at least once until it succeeds, by one chain of attempts,
//! and receivers deduplicate by the `webhook-id`, which every attempt of an event
//! shares.
//!
//! The attempts themselves (signing, the requests) run on a runtime of their own, one
//! thread at background priority ([`DELIVERY_NICE`], on Linux): when the machine is
//! busy, the webhook ingest (whose answer the upstream waits for, and retries when it
//! is slow) goes first and the deliveries take the time left over; when it is not,
//! they go out at once. The dispatcher's reads and writes stay on the main runtime.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tokio::task::JoinSet;

use crate::clock::{now_ms, rfc3339_ms};
use crate::outgoing::endpoints::{Endpoint, Endpoints};
use crate::outgoing::events::{PAYLOAD_VERSION, TEST_EVENT};
use crate::outgoing::postback_destination;
use crate::outgoing::schedule::Next;
use crate::outgoing::signature::{signature_header, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::state::{IngestLoad, SharedState};
use crate::store::{AttemptOutcome, Claim, Delivery, Settled};

/// Deliveries claimed and not yet settled, at most.
pub const HELD: usize = 192;

/// Attempts to one destination at once, at most.
pub const PER_DESTINATION: usize = 16;

/// Deliveries of one destination claimed and not yet settled (in flight or waiting
/// their turn), at most: three attempts' worth each.
pub const HELD_PER_DESTINATION: i64 = 3 * PER_DESTINATION as i64;

/// The nice value of the thread that sends deliveries (0 is the default; 19 the least).
/// At 10 a busy CPU gives it about a tenth of what a default thread gets.
pub const DELIVERY_NICE: i32 = 10;

/// How much longer than an attempt's timeout a claim holds.
const CLAIM_MARGIN: Duration = Duration::from_secs(5);

/// How often the destinations' counts (the gauges) are read again.
const STATS_EVERY: Duration = Duration::from_secs(5);

/// How often delivered deliveries older than [`KEEP_DELIVERED`] are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// How long a delivered delivery is kept (for `webhooks list` and `replay`).
pub const KEEP_DELIVERED: Duration = Duration::from_secs(7 * 24 * 3600);

/// The client deliveries go out with: no redirect followed (a 3xx is a failure), no
/// proxy from the environment, a timeout on the whole request.
///
/// # Errors
/// When the TLS backend cannot be set up.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("simology-proxy/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("the webhook client")
}

/// The runtime deliveries are sent on: one worker thread (and its blocking threads, for
/// name resolution) at [`DELIVERY_NICE`].
///
/// # Errors
/// When the thread cannot be started.
fn delivery_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("simology-delivery")
        .on_thread_start(background_priority)
        .enable_all()
        .build()
        .context("the delivery thread")
}

/// Lowers the calling thread's priority (on Linux a nice value is a thread's own).
fn background_priority() {
    #[cfg(target_os = "linux")]
    {
        if let Err(e) = rustix::process::setpriority_process(None, DELIVERY_NICE) {
            tracing::debug!(error = %e, "deliveries keep the default priority");
        }
    }
}

/// What one request got: the status, or why there was none.
struct Answer {
    status: Option<u16>,
    error: Option<String>,
}

impl Answer {
    fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Why a request failed, without the URL (its query may hold a network's key).
fn request_error(e: reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_request() {
        "request failed"
    } else {
        "failed"
    };
    format!("{what}: {}", e.without_url())
}

/// A signed `POST` of `body` to an endpoint.
async fn post(http: &reqwest::Client, endpoint: &Endpoint, id: &str, body: &str) -> Answer {
    let timestamp = now_ms() / 1000;
    let signature = signature_header(&endpoint.secrets, id, timestamp, body.as_bytes());
    let sent = http
        .post(endpoint.url.clone())
        .header(ID_HEADER, id)
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await;
    answer(sent)
}

fn answer(sent: Result<reqwest::Response, reqwest::Error>) -> Answer {
    match sent {
        Ok(r) => {
            let status = r.status();
            Answer {
                status: Some(status.as_u16()),
                error: (!status.is_success()).then(|| {
                    if status.is_redirection() {
                        format!("answered {status} (redirects are not followed)")
                    } else {
                        format!("answered {status}")
                    }
                }),
            }
        }
        Err(e) => Answer {
            status: None,
            error: Some(request_error(e)),
        },
    }
}

/// One attempt of a claimed delivery, and what follows it.
async fn attempt(
    state: &SharedState,
    http: &reqwest::Client,
    endpoints: &Endpoints,
    d: &Delivery,
) -> AttemptOutcome {
    let answer = match &d.target_url {
        Some(url) => answer(http.get(url).send().await),
        None => match endpoints.get(&d.destination) {
            Some(endpoint) => post(http, endpoint, &d.message_id, &d.payload).await,
            None => Answer {
                status: None,
                error: Some("the endpoint is no longer in the endpoints file".into()),
            },
        },
    };
    let settled = if answer.delivered() {
        Settled::Delivered
    } else {
        match state.settings.delivery.schedule.after_failure(
            d.attempt,
            d.chain_started_at,
            now_ms(),
        ) {
            Next::RetryAt(at) => Settled::Retry(at),
            Next::GiveUp => Settled::GiveUp,
        }
    };
    AttemptOutcome {
        message_id: d.message_id.clone(),
        destination: d.destination.clone(),
        attempt: d.attempt,
        status: answer.status,
        error: answer.error,
        settled,
    }
}

/// Counts recorded outcomes, logs the failures, and disables the destinations of the
/// deliveries given up that nothing reached meanwhile.
async fn recorded(state: &SharedState, outcomes: Vec<(Delivery, AttemptOutcome)>) {
    for (d, o) in outcomes {
        match &o.settled {
            Settled::Delivered => state.metrics.delivery(&d.destination, "delivered"),
            Settled::Retry(at) => {
                state.metrics.delivery(&d.destination, "failed");
                tracing::info!(destination = %d.destination, message_id = %d.message_id, event_type = %d.event_type,
                    attempt = d.attempt, status = o.status, error = o.error.as_deref(),
                    retry_in_s = (at - now_ms()).max(0) / 1000, "delivery failed; it will be retried");
            }
            Settled::GiveUp => {
                state.metrics.delivery(&d.destination, "failed");
                state.metrics.delivery(&d.destination, "given_up");
                tracing::error!(destination = %d.destination, message_id = %d.message_id, event_type = %d.event_type,
                    attempts = d.attempt, status = o.status, error = o.error.as_deref(),
                    "delivery given up after its retry schedule (`simology-proxy webhooks replay` sends it again)");
                disable_if_dead(state, &d).await;
            }
        }
    }
}

/// Disables `d`'s destination when nothing reached it since `d`'s chain began.
async fn disable_if_dead(state: &SharedState, d: &Delivery) {
    match state
        .store
        .delivered_since(&d.destination, d.chain_started_at)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            let reason = format!(
                "every delivery failed for {} hours",
                state
                    .settings
                    .delivery
                    .schedule
                    .give_up_after
                    .as_secs()
                    .div_ceil(3600)
            );
            match state
                .store
                .disable_destination(&d.destination, &reason)
                .await
            {
                Ok(true) => {
                    state.metrics.destination_disabled(&d.destination);
                    tracing::error!(destination = %d.destination, reason,
                        "destination disabled: nothing is sent to it until `simology-proxy webhooks test` succeeds");
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = format!("{e:#}"), "cannot disable a destination"),
            }
        }
        Err(e) => tracing::warn!(
            error = format!("{e:#}"),
            "cannot read a destination's deliveries"
        ),
    }
}

/// Reads the destinations' counts into the gauges, and prunes when it is time.
async fn refresh(state: &SharedState, last_prune: &mut Instant) {
    match state.store.outbox_stats().await {
        Ok(mut stats) => {
            // Every destination of the files shows, with zeros when nothing waits.
            for e in state.webhooks.endpoints().iter() {
                stats.entry(e.id.clone()).or_default();
            }
            for a in state.affiliates.affiliates().iter() {
                if a.postback_url.is_some() {
                    stats.entry(postback_destination(&a.id)).or_default();
                }
            }
            state.metrics.outbox_stats(stats, now_ms());
        }
        Err(e) => tracing::warn!(error = format!("{e:#}"), "cannot count the outbox"),
    }
    if last_prune.elapsed() >= PRUNE_EVERY {
        *last_prune = Instant::now();
        let before = now_ms().saturating_sub(crate::clock::duration_ms(KEEP_DELIVERED));
        match state.store.prune_delivered(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "old delivered deliveries pruned"),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "cannot prune the outbox"),
        }
    }
}

/// While work keeps coming, passes are at least this far apart: the outcomes and the
/// claims of that time share one commit (the SQLite writer is the webhook ingest's too),
/// and a first attempt waits this long at most behind a pass.
const PASS_GAP: Duration = Duration::from_millis(100);

/// While the webhook ingest is at full stretch ([`Pressure`]), passes are this far
/// apart instead: the upstream waits for each webhook's answer (and resends a slow
/// one), a delivery has a second. Each pass still claims and records its full share, so
/// deliveries go on, slower, and catch up when the burst ends.
const BUSY_PASS_GAP: Duration = Duration::from_millis(500);

/// Webhooks received a second from which the ingest is at full stretch: a steady 200
/// state changes a second comes with about 300.
const BUSY_RATE: u64 = 1000;

/// How long the ingest's rate is measured over.
const RATE_WINDOW: Duration = Duration::from_millis(100);

/// Whether the webhook ingest is at full stretch: webhooks arrive at [`BUSY_RATE`] or
/// more (over the last [`RATE_WINDOW`]), or the processor's last claim was a full batch.
struct Pressure {
    count: u64,
    at: Instant,
    busy: bool,
}

impl Pressure {
    fn new(ingest: &IngestLoad) -> Self {
        Pressure {
            count: ingest.received(),
            at: Instant::now(),
            busy: false,
        }
    }

    fn busy(&mut self, ingest: &IngestLoad) -> bool {
        let elapsed = self.at.elapsed();
        if elapsed >= RATE_WINDOW {
            let count = ingest.received();
            let per_s = count.saturating_sub(self.count) as f64 / elapsed.as_secs_f64();
            self.busy = per_s >= BUSY_RATE as f64;
            self.count = count;
            self.at = Instant::now();
        }
        self.busy || ingest.behind()
    }
}

/// Delivers the outbox until the shutdown begins, then lets the attempts in flight end
/// and records them.
pub async fn run(state: SharedState) {
    let sending = match delivery_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(
                error = format!("{e:#}"),
                "no delivery thread: nothing is delivered"
            );
            return;
        }
    };
    dispatch(state, sending.handle()).await;
    // Every attempt has ended and been recorded: nothing of it is left to wait for.
    sending.shutdown_background();
}

/// The dispatcher's loop; attempts are spawned on `sending`.
async fn dispatch(state: SharedState, sending: &tokio::runtime::Handle) {
    let delivery = state.settings.delivery;
    let http = match http_client(delivery.timeout) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(
                error = format!("{e:#}"),
                "no webhook client: nothing is delivered"
            );
            return;
        }
    };
    // The last of a destination's held deliveries waits for two attempts' timeouts
    // at most, then takes one.
    let lease = delivery.timeout * 3 + CLAIM_MARGIN;
    let mut turns: BTreeMap<String, Arc<tokio::sync::Semaphore>> = BTreeMap::new();
    let stopping = state.shutting_down();
    tokio::pin!(stopping);
    let mut running: JoinSet<(Delivery, AttemptOutcome)> = JoinSet::new();
    let mut per_destination: BTreeMap<String, i64> = BTreeMap::new();
    let mut finished: Vec<(Delivery, AttemptOutcome)> = Vec::new();
    let mut claim = true;
    let mut last_pass: Option<Instant> = None;
    let mut last_stats: Option<Instant> = None;
    let mut last_prune = Instant::now();
    let mut pressure = Pressure::new(&state.ingest);
    // Retries fall due and other replicas write events without waking this one: look
    // every `poll` whatever else happens.
    let mut poll = tokio::time::interval(delivery.poll);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if last_stats.is_none_or(|t| t.elapsed() >= STATS_EVERY) {
            last_stats = Some(Instant::now());
            refresh(&state, &mut last_prune).await;
        }
        let room = HELD.saturating_sub(running.len());
        let wants_claim = claim && room > 0;
        let work = wants_claim || !finished.is_empty();
        let busy = pressure.busy(&state.ingest);
        let next_pass = last_pass.map_or_else(Instant::now, |t| {
            t + if busy { BUSY_PASS_GAP } else { PASS_GAP }
        });
        // A busy ingest is looked at again every `PASS_GAP`: its burst may have ended.
        let wake_at = if busy {
            next_pass.min(Instant::now() + PASS_GAP)
        } else {
            next_pass
        };
        if work && Instant::now() >= next_pass {
            last_pass = Some(Instant::now());
            if finished.is_empty() && !state.store.any_delivery_due().await.unwrap_or(true) {
                // Nothing to record and nothing due: no write lock taken.
                claim = false;
                continue;
            }
            let endpoints = state.webhooks.endpoints();
            let ids: Vec<String> = endpoints.iter().map(|e| e.id.clone()).collect();
            let caps: BTreeMap<String, i64> = per_destination
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(d, n)| (d.clone(), (HELD_PER_DESTINATION - n).max(0)))
                .collect();
            let limit = i64::try_from(room).unwrap_or(1);
            let request = Claim {
                endpoints: &ids,
                caps: &caps,
                default_cap: HELD_PER_DESTINATION,
                limit,
                lease,
            };
            let done = std::mem::take(&mut finished);
            let outcomes: Vec<AttemptOutcome> = done.iter().map(|(_, o)| o.clone()).collect();
            match state
                .store
                .dispatch_pass(&outcomes, wants_claim.then_some(&request))
                .await
            {
                Ok(claimed) => {
                    recorded(&state, done).await;
                    // A full claim may have left more due: claim again once there is
                    // room. A claim wanted but not made (no room) stays wanted. (A
                    // claim held back by a destination's cap claims again when that
                    // destination's attempts end, below.)
                    if wants_claim {
                        claim = i64::try_from(claimed.len()).unwrap_or(0) >= limit;
                    }
                    for d in claimed {
                        *per_destination.entry(d.destination.clone()).or_default() += 1;
                        let turn =
                            Arc::clone(turns.entry(d.destination.clone()).or_insert_with(|| {
                                Arc::new(tokio::sync::Semaphore::new(PER_DESTINATION))
                            }));
                        let (state, http, endpoints) =
                            (Arc::clone(&state), http.clone(), Arc::clone(&endpoints));
                        running.spawn_on(
                            async move {
                                // Never closed: a permit is always granted in turn.
                                let _turn = turn.acquire_owned().await;
                                let outcome = attempt(&state, &http, &endpoints, &d).await;
                                (d, outcome)
                            },
                            sending,
                        );
                    }
                }
                Err(e) => {
                    // Their claims run out and they are attempted again: at least once,
                    // never lost.
                    tracing::warn!(
                        error = format!("{e:#}"),
                        outcomes = outcomes.len(),
                        "a dispatcher pass could not be written"
                    );
                }
            }
            continue;
        }
        let gap = async {
            if work {
                tokio::time::sleep_until(wake_at.into()).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            Some(done) = running.join_next(), if !running.is_empty() => {
                let mut take = |done: Result<(Delivery, AttemptOutcome), tokio::task::JoinError>| {
                    if let Ok((d, o)) = done {
                        if let Some(n) = per_destination.get_mut(&d.destination) {
                            *n -= 1;
                        }
                        finished.push((d, o));
                    }
                };
                take(done);
                while let Some(more) = running.try_join_next() {
                    take(more);
                }
                per_destination.retain(|_, n| *n > 0);
                // The pass that records them claims too: a destination's cap may have
                // held back deliveries that were due, and its attempts that ended made
                // room for them. Without this a backlog left the store at one cap's
                // worth (48) per `poll`: 96 a second.
                claim = true;
            }
            () = gap => {}
            () = state.store.outbox_written() => claim = true,
            _ = poll.tick() => claim = true,
            () = &mut stopping => break,
        }
    }
    while let Some(done) = running.join_next().await {
        if let Ok(pair) = done {
            finished.push(pair);
        }
    }
    let outcomes: Vec<AttemptOutcome> = finished.iter().map(|(_, o)| o.clone()).collect();
    match state.store.dispatch_pass(&outcomes, None).await {
        Ok(_) => recorded(&state, finished).await,
        Err(e) => tracing::warn!(
            error = format!("{e:#}"),
            "the last delivery attempts could not be written"
        ),
    }
}

/// What `simology-proxy webhooks test` got.
#[derive(Debug)]
pub struct Tested {
    /// The endpoint's status, when it answered.
    pub status: Option<u16>,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// How long the request took.
    pub took: Duration,
    /// Whether the endpoint was disabled and is enabled again now.
    pub enabled_again: bool,
}

/// Sends a signed `webhook.test` event to an endpoint of the file now, whatever it
/// subscribed to; when it answers 2xx and was disabled, enables it again (its waiting
/// deliveries become due).
///
/// # Errors
/// When `id` is no endpoint of the file, or the store fails.
pub async fn test_endpoint(state: &SharedState, id: &str) -> Result<Tested> {
    let endpoints = state.webhooks.endpoints();
    let Some(endpoint) = endpoints.get(id) else {
        let known: Vec<&str> = endpoints.iter().map(|e| e.id.as_str()).collect();
        bail!(
            "{id:?} is not an endpoint of the endpoints file (PROXY_WEBHOOKS); the endpoints are: {}",
            if known.is_empty() { "none".to_owned() } else { known.join(", ") }
        );
    };
    let http = http_client(state.settings.delivery.timeout)?;
    let message_id = format!("msg_test_{:032x}", rand::random::<u128>());
    let body = serde_json::json!({
        "type": TEST_EVENT,
        "timestamp": rfc3339_ms(now_ms()),
        "version": PAYLOAD_VERSION,
        "data": {"endpoint": id},
    })
    .to_string();
    let started = Instant::now();
    let answer = post(&http, endpoint, &message_id, &body).await;
    let took = started.elapsed();
    let enabled_again = if answer.delivered() {
        let enabled = state.store.enable_destination(id).await?;
        if enabled {
            state.metrics.destination_enabled(id);
        }
        enabled
    } else {
        false
    };
    Ok(Tested {
        status: answer.status,
        error: answer.error,
        took,
        enabled_again,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst of webhooks (the rate over the last window) or a processor behind makes
    /// the ingest busy; a steady trickle does not, and a burst that ended stops
    /// counting at the next window.
    #[test]
    fn the_ingest_is_busy_in_a_burst_or_while_the_processor_is_behind() {
        let ingest = IngestLoad::default();
        let window_ago = || Instant::now() - RATE_WINDOW;
        let mut pressure = Pressure::new(&ingest);
        // 20 webhooks in a window: 200 a second.
        pressure.at = window_ago();
        for _ in 0..20 {
            ingest.received_one();
        }
        assert!(!pressure.busy(&ingest), "200 a second is no burst");
        // 300 in a window: 3,000 a second.
        pressure.at = window_ago();
        for _ in 0..300 {
            ingest.received_one();
        }
        assert!(pressure.busy(&ingest), "3,000 a second is a burst");
        // Within the window the verdict stands; after it, nothing more arrived.
        assert!(pressure.busy(&ingest));
        pressure.at = window_ago();
        assert!(!pressure.busy(&ingest), "the burst ended");
        ingest.set_behind(true);
        assert!(pressure.busy(&ingest), "the processor is behind");
        ingest.set_behind(false);
        assert!(!pressure.busy(&ingest));
    }

    /// Attempts run on the delivery thread, at background priority, and a thread of the
    /// caller's runtime keeps its own.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn deliveries_are_sent_at_background_priority() {
        let before = rustix::process::getpriority_process(None).expect("this thread's nice");
        let sending = delivery_runtime().expect("the delivery runtime");
        let (name, nice) = sending
            .handle()
            .spawn(async {
                (
                    std::thread::current().name().map(str::to_owned),
                    rustix::process::getpriority_process(None).expect("its nice"),
                )
            })
            .await
            .expect("the task ran");
        assert_eq!(name.as_deref(), Some("simology-delivery"));
        assert_eq!(nice, DELIVERY_NICE.max(before));
        assert_eq!(
            rustix::process::getpriority_process(None).expect("this thread's nice"),
            before,
            "only the delivery thread is lowered"
        );
        sending.shutdown_background();
    }
}
