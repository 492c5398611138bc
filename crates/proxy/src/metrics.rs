//! Prometheus metrics, kept by hand: a few counters, one latency histogram, and the age
//! of the last processed webhook event. `GET /metrics` renders them in the text format.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// How long the gauges read from the store are served before they are read again.
pub const STORE_GAUGES_FOR: Duration = Duration::from_secs(5);

/// Latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn add(&mut self, secs: f64) {
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += secs;
        self.count += 1;
    }

    fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
        self.sum += other.sum;
        self.count += other.count;
    }
}

/// Request latencies by route, then by status.
type ByRoute = HashMap<String, HashMap<u16, Histogram>>;

/// Request latencies in shards by thread (merged when rendered).
struct RequestShards(Box<[Mutex<ByRoute>]>);

const REQUEST_SHARDS: usize = 8;

impl Default for RequestShards {
    fn default() -> Self {
        RequestShards((0..REQUEST_SHARDS).map(|_| Mutex::default()).collect())
    }
}

/// The shard of the calling thread (threads are numbered as they first record).
fn shard_of_this_thread() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % REQUEST_SHARDS;
    }
    SHARD.with(|s| *s)
}

/// The proxy's metrics.
#[derive(Default)]
pub struct Metrics {
    webhooks: Mutex<BTreeMap<&'static str, u64>>,
    events_processed: Mutex<BTreeMap<&'static str, u64>>,
    upstream_errors: Mutex<BTreeMap<String, u64>>,
    long_polls: Mutex<BTreeMap<&'static str, u64>>,
    requests: RequestShards,
    last_event_processed_ms: AtomicI64,
    orders_created: AtomicU64,
    /// By affiliate and event; affiliates only ever from the affiliates file.
    affiliate_beacons: Mutex<BTreeMap<(String, &'static str), u64>>,
    /// By affiliate, as above.
    affiliate_checkouts: Mutex<BTreeMap<String, u64>>,
    admin_auth_failures: AtomicU64,
    report_auth_failures: AtomicU64,
    net: NetMetrics,
    /// The gauges read from the store, rendered, and when (see [`Metrics::store_gauges`]).
    store_gauges: tokio::sync::Mutex<Option<(std::time::Instant, String)>>,
    store_gauge_reads: AtomicU64,
    outbox: OutboxMetrics,
}

/// Outgoing webhooks and postbacks, per destination (an endpoint of the endpoints file,
/// or `postback:<affiliate>`): attempts' outcomes counted here, and the outbox's counts
/// as the dispatcher last read them from the store (the same on every replica).
#[derive(Default)]
struct OutboxMetrics {
    /// By destination and outcome: `delivered`, `failed` (an attempt), `given_up`.
    attempts: Mutex<BTreeMap<(String, &'static str), u64>>,
    /// By destination: times it was disabled by this process.
    disabled: Mutex<BTreeMap<String, u64>>,
    /// The last counts read, and when (Unix ms).
    stats: Mutex<(BTreeMap<String, crate::store::DestinationStats>, i64)>,
}

/// Connections, long-polls waiting and the order status cache.
#[derive(Default)]
struct NetMetrics {
    connections_open: AtomicI64,
    connections_peak: AtomicI64,
    connections_closed: Mutex<BTreeMap<&'static str, u64>>,
    connections_full: AtomicU64,
    long_polls_waiting: AtomicI64,
    long_poll_wakeups: AtomicU64,
    status_cache: [AtomicU64; 2],
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K) {
    if let Ok(mut m) = map.lock() {
        *m.entry(key).or_default() += 1;
    }
}

impl Metrics {
    /// A webhook delivery's outcome: `accepted`, `duplicate`, `bad_signature`, ...
    pub fn webhook(&self, outcome: &'static str) {
        bump(&self.webhooks, outcome);
    }

    /// An event's processing: `applied`, `ignored`, `failed`.
    pub fn event_processed(&self, outcome: &'static str, now_ms: i64) {
        bump(&self.events_processed, outcome);
        if outcome != "failed" {
            self.last_event_processed_ms
                .store(now_ms, Ordering::Relaxed);
        }
    }

    /// An upstream error, by its code.
    pub fn upstream_error(&self, code: &str) {
        bump(&self.upstream_errors, code.to_owned());
    }

    /// A long-poll's answer: `at_once`, `changed`, `deadline`, `shutting_down`.
    pub fn long_poll(&self, answered: &'static str) {
        bump(&self.long_polls, answered);
    }

    /// A new order.
    pub fn order_created(&self) {
        self.orders_created.fetch_add(1, Ordering::Relaxed);
    }

    /// A funnel beacon counted for an affiliate of the file.
    pub fn affiliate_beacon(&self, affiliate: &str, event: &'static str) {
        bump(&self.affiliate_beacons, (affiliate.to_owned(), event));
    }

    /// A checkout session created for an affiliate of the file.
    pub fn affiliate_checkout(&self, affiliate: &str) {
        bump(&self.affiliate_checkouts, affiliate.to_owned());
    }

    /// A connection accepted.
    pub fn connection_opened(&self) {
        let open = self.net.connections_open.fetch_add(1, Ordering::Relaxed) + 1;
        self.net.connections_peak.fetch_max(open, Ordering::Relaxed);
    }

    /// A connection ended: `closed` (by the client, or after a graceful stop),
    /// `header_timeout`, `idle_timeout`, `evicted` (closed for room at the cap).
    pub fn connection_closed(&self, why: &'static str) {
        self.net.connections_open.fetch_sub(1, Ordering::Relaxed);
        bump(&self.net.connections_closed, why);
    }

    /// The connection cap was reached (idle connections are then closed for room).
    pub fn connections_full(&self) {
        self.net.connections_full.fetch_add(1, Ordering::Relaxed);
    }

    /// A request whose body did not arrive within the body timeout.
    pub fn body_timeout(&self) {
        bump(&self.net.connections_closed, "body_timeout");
    }

    /// A long-poll began (`1`) or stopped (`-1`) waiting.
    pub fn long_polls_waiting(&self, delta: i64) {
        self.net
            .long_polls_waiting
            .fetch_add(delta, Ordering::Relaxed);
    }

    /// A waiting long-poll was woken to look at its order again.
    pub fn long_poll_woken(&self) {
        self.net.long_poll_wakeups.fetch_add(1, Ordering::Relaxed);
    }

    /// An order's status served from memory (`true`) or read from the store.
    pub fn status_cache(&self, hit: bool) {
        self.net.status_cache[usize::from(hit)].fetch_add(1, Ordering::Relaxed);
    }

    /// An attempt's outcome for a destination: `delivered`, `failed`, `given_up`.
    pub fn delivery(&self, destination: &str, outcome: &'static str) {
        bump(&self.outbox.attempts, (destination.to_owned(), outcome));
    }

    /// A destination disabled after a whole retry schedule of failures.
    pub fn destination_disabled(&self, destination: &str) {
        bump(&self.outbox.disabled, destination.to_owned());
    }

    /// A destination enabled again (`webhooks test` succeeded): its gauge drops at the
    /// next reading of the store.
    pub fn destination_enabled(&self, destination: &str) {
        tracing::info!(destination, "destination enabled again");
    }

    /// The outbox's counts per destination, read from the store at `now_ms`.
    pub fn outbox_stats(
        &self,
        stats: BTreeMap<String, crate::store::DestinationStats>,
        now_ms: i64,
    ) {
        if let Ok(mut s) = self.outbox.stats.lock() {
            *s = (stats, now_ms);
        }
    }

    /// A failed authentication on `/admin`.
    pub fn admin_auth_failed(&self) {
        self.admin_auth_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// A wrong or missing report token on an affiliate's report.
    pub fn report_auth_failed(&self) {
        self.report_auth_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The gauges read from the store (events stored, orders incomplete), rendered by
    /// `read`: at most once every [`STORE_GAUGES_FOR`], so a scrape costs no query
    /// meanwhile, and one read at a time (scrapes that come during it wait for it).
    pub async fn store_gauges<F>(&self, read: impl FnOnce() -> F) -> String
    where
        F: std::future::Future<Output = String>,
    {
        let mut cached = self.store_gauges.lock().await;
        if let Some((at, text)) = cached.as_ref() {
            if at.elapsed() < STORE_GAUGES_FOR {
                return text.clone();
            }
        }
        let text = read().await;
        self.store_gauge_reads.fetch_add(1, Ordering::Relaxed);
        *cached = Some((std::time::Instant::now(), text.clone()));
        text
    }

    /// A served request.
    pub fn request(&self, route: &str, status: u16, took: Duration) {
        let secs = took.as_secs_f64();
        // This thread's shard: served requests do not wait for each other's lock.
        if let Ok(mut m) = self.requests.0[shard_of_this_thread()].lock() {
            let h = match m.get_mut(route) {
                Some(by_status) => by_status.entry(status).or_default(),
                None => m
                    .entry(route.to_owned())
                    .or_default()
                    .entry(status)
                    .or_default(),
            };
            h.add(secs);
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self, now_ms: i64) -> String {
        let mut out = String::new();
        labelled_counter(
            &mut out,
            "simology_webhooks_total",
            "Webhook deliveries received, by outcome.",
            "outcome",
            &self.webhooks,
        );
        labelled_counter(
            &mut out,
            "simology_events_processed_total",
            "Stored events processed, by outcome.",
            "outcome",
            &self.events_processed,
        );
        let last = self.last_event_processed_ms.load(Ordering::Relaxed);
        header(
            &mut out,
            "simology_last_event_processed_age_seconds",
            "Seconds since the last event was processed (-1 before the first).",
            "gauge",
        );
        let age = if last == 0 {
            -1.0
        } else {
            (now_ms - last) as f64 / 1000.0
        };
        let _ = writeln!(out, "simology_last_event_processed_age_seconds {age}");
        labelled_counter(
            &mut out,
            "simology_upstream_errors_total",
            "Errors from the Simology API, by code.",
            "code",
            &self.upstream_errors,
        );
        labelled_counter(
            &mut out,
            "simology_long_polls_total",
            "Order long-polls answered, by why: at_once, changed, deadline, shutting_down.",
            "answered",
            &self.long_polls,
        );
        header(
            &mut out,
            "simology_orders_created_total",
            "Orders created by checkout.",
            "counter",
        );
        let _ = writeln!(
            out,
            "simology_orders_created_total {}",
            self.orders_created.load(Ordering::Relaxed)
        );
        self.render_affiliates(&mut out);
        self.render_outbox(&mut out);
        self.render_net(&mut out);
        header(
            &mut out,
            "simology_admin_auth_failures_total",
            "Failed authentications on /admin (wrong or missing token).",
            "counter",
        );
        let _ = writeln!(
            out,
            "simology_admin_auth_failures_total {}",
            self.admin_auth_failures.load(Ordering::Relaxed)
        );
        header(
            &mut out,
            "simology_report_auth_failures_total",
            "Failed authentications on affiliates' reports (wrong or missing token, or no such affiliate).",
            "counter",
        );
        let _ = writeln!(
            out,
            "simology_report_auth_failures_total {}",
            self.report_auth_failures.load(Ordering::Relaxed)
        );
        header(
            &mut out,
            "simology_metrics_store_reads_total",
            "Times a scrape read the store's gauges (at most once every 5 s; the others are served from memory).",
            "counter",
        );
        let _ = writeln!(
            out,
            "simology_metrics_store_reads_total {}",
            self.store_gauge_reads.load(Ordering::Relaxed)
        );
        header(
            &mut out,
            "simology_http_request_duration_seconds",
            "Request latency, by route and status.",
            "histogram",
        );
        let mut merged: BTreeMap<(String, u16), Histogram> = BTreeMap::new();
        for shard in &self.requests.0[..] {
            if let Ok(m) = shard.lock() {
                for (route, by_status) in m.iter() {
                    for (status, h) in by_status {
                        merged.entry((route.clone(), *status)).or_default().merge(h);
                    }
                }
            }
        }
        for ((route, status), h) in &merged {
            let labels = format!("route=\"{}\",status=\"{status}\"", escape(route));
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "simology_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "simology_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "simology_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "simology_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        out
    }
}

impl Metrics {
    fn render_affiliates(&self, out: &mut String) {
        header(
            out,
            "simology_affiliate_beacons_total",
            "Funnel beacons counted, by affiliate and event.",
            "counter",
        );
        if let Ok(m) = self.affiliate_beacons.lock() {
            for ((affiliate, event), v) in m.iter() {
                let _ = writeln!(
                    out,
                    "simology_affiliate_beacons_total{{affiliate=\"{}\",event=\"{event}\"}} {v}",
                    escape(affiliate)
                );
            }
        }
        labelled_counter(
            out,
            "simology_affiliate_checkouts_total",
            "Checkout sessions created for an affiliate, by affiliate.",
            "affiliate",
            &self.affiliate_checkouts,
        );
    }

    fn render_outbox(&self, out: &mut String) {
        header(
            out,
            "simology_webhook_deliveries_total",
            "Outgoing webhook and postback attempts, by destination and outcome: delivered, failed (an attempt), given_up (after the whole retry schedule).",
            "counter",
        );
        if let Ok(m) = self.outbox.attempts.lock() {
            for ((destination, outcome), v) in m.iter() {
                let _ = writeln!(
                    out,
                    "simology_webhook_deliveries_total{{endpoint=\"{}\",outcome=\"{outcome}\"}} {v}",
                    escape(destination)
                );
            }
        }
        labelled_counter(
            out,
            "simology_webhook_endpoint_disablings_total",
            "Destinations disabled by this process after a whole retry schedule of failures.",
            "endpoint",
            &self.outbox.disabled,
        );
        let Ok(guard) = self.outbox.stats.lock() else {
            return;
        };
        let (stats, at) = &*guard;
        let gauges: [(&str, &str, Gauge); 5] = [
            (
                "simology_webhook_pending",
                "Deliveries neither delivered nor given up, by destination.",
                |s, _| s.pending as f64,
            ),
            (
                "simology_webhook_retrying",
                "Pending deliveries that failed at least once, by destination.",
                |s, _| s.retrying as f64,
            ),
            (
                "simology_webhook_failed",
                "Deliveries given up (kept for `webhooks replay`), by destination.",
                |s, _| s.failed as f64,
            ),
            (
                "simology_webhook_oldest_pending_age_seconds",
                "Age of the oldest pending delivery, by destination (0 when none).",
                |s, now| {
                    s.oldest_pending_at
                        .map_or(0.0, |t| (now - t).max(0) as f64 / 1000.0)
                },
            ),
            (
                "simology_webhook_endpoint_disabled",
                "1 while a destination is disabled (nothing is sent to it).",
                |s, _| if s.disabled_at.is_some() { 1.0 } else { 0.0 },
            ),
        ];
        for (name, help, value) in gauges {
            header(out, name, help, "gauge");
            for (destination, s) in stats {
                let _ = writeln!(
                    out,
                    "{name}{{endpoint=\"{}\"}} {}",
                    escape(destination),
                    value(s, *at)
                );
            }
        }
    }

    fn render_net(&self, out: &mut String) {
        let net = &self.net;
        let gauges = [
            (
                "simology_connections_open",
                "Open HTTP connections.",
                net.connections_open.load(Ordering::Relaxed),
            ),
            (
                "simology_connections_open_peak",
                "The most HTTP connections open at once since the start.",
                net.connections_peak.load(Ordering::Relaxed),
            ),
            (
                "simology_long_polls_waiting",
                "Order long-polls waiting for a change now.",
                net.long_polls_waiting.load(Ordering::Relaxed),
            ),
        ];
        for (name, help, value) in gauges {
            header(out, name, help, "gauge");
            let _ = writeln!(out, "{name} {value}");
        }
        labelled_counter(
            out,
            "simology_connections_closed_total",
            "Connections ended, by why: closed, header_timeout, idle_timeout, evicted (for room at the cap), body_timeout.",
            "reason",
            &net.connections_closed,
        );
        let counters = [
            (
                "simology_connections_full_total",
                "Times the connection cap was reached.",
                net.connections_full.load(Ordering::Relaxed),
            ),
            (
                "simology_long_poll_wakeups_total",
                "Waiting long-polls woken to look at their order again.",
                net.long_poll_wakeups.load(Ordering::Relaxed),
            ),
        ];
        for (name, help, value) in counters {
            header(out, name, help, "counter");
            let _ = writeln!(out, "{name} {value}");
        }
        header(
            out,
            "simology_status_cache_total",
            "Order status reads, served from memory (hit) or from the store (miss).",
            "counter",
        );
        for (label, i) in [("miss", 0), ("hit", 1)] {
            let _ = writeln!(
                out,
                "simology_status_cache_total{{outcome=\"{label}\"}} {}",
                net.status_cache[i].load(Ordering::Relaxed)
            );
        }
    }
}

/// A destination's gauge: its value from its counts at a time (Unix ms).
type Gauge = fn(&crate::store::DestinationStats, i64) -> f64;

/// A metric's `# HELP` and `# TYPE` lines.
fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A counter with one label, a line per label value.
fn labelled_counter<K: AsRef<str>>(
    out: &mut String,
    name: &str,
    help: &str,
    label: &str,
    values: &Mutex<BTreeMap<K, u64>>,
) {
    header(out, name, help, "counter");
    if let Ok(m) = values.lock() {
        for (k, v) in m.iter() {
            let _ = writeln!(out, "{name}{{{label}=\"{}\"}} {v}", escape(k.as_ref()));
        }
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.webhook("accepted");
        m.webhook("accepted");
        m.webhook("bad_signature");
        m.upstream_error("rate_limited");
        m.request("/api/catalog", 200, Duration::from_millis(3));
        m.event_processed("applied", 10_000);
        m.long_poll("changed");
        m.affiliate_beacon("wander-notes", "shown");
        m.affiliate_beacon("wander-notes", "shown");
        m.affiliate_checkout("wander-notes");
        let text = m.render(12_500);
        assert!(text.contains(
            "simology_affiliate_beacons_total{affiliate=\"wander-notes\",event=\"shown\"} 2"
        ));
        assert!(text.contains("simology_affiliate_checkouts_total{affiliate=\"wander-notes\"} 1"));
        assert!(
            text.contains("simology_webhooks_total{outcome=\"accepted\"} 2"),
            "{text}"
        );
        assert!(text.contains("simology_webhooks_total{outcome=\"bad_signature\"} 1"));
        assert!(text.contains("simology_upstream_errors_total{code=\"rate_limited\"} 1"));
        assert!(text.contains("simology_long_polls_total{answered=\"changed\"} 1"));
        assert!(text.contains("simology_last_event_processed_age_seconds 2.5"));
        assert!(text.contains("route=\"/api/catalog\",status=\"200\",le=\"0.005\"} 1"));
        assert!(text.contains("route=\"/api/catalog\",status=\"200\",le=\"0.0025\"} 0"));
    }
}
