//! Prometheus metrics, kept by hand: a few counters, one latency histogram, and the age
//! of the last processed webhook event. `GET /metrics` renders them in the text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

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

/// The proxy's metrics.
#[derive(Default)]
pub struct Metrics {
    webhooks: Mutex<BTreeMap<&'static str, u64>>,
    events_processed: Mutex<BTreeMap<&'static str, u64>>,
    upstream_errors: Mutex<BTreeMap<String, u64>>,
    long_polls: Mutex<BTreeMap<&'static str, u64>>,
    requests: Mutex<BTreeMap<(String, u16), Histogram>>,
    last_event_processed_ms: AtomicI64,
    orders_created: AtomicU64,
    admin_auth_failures: AtomicU64,
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

    /// A failed authentication on `/admin`.
    pub fn admin_auth_failed(&self) {
        self.admin_auth_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// A served request.
    pub fn request(&self, route: &str, status: u16, took: Duration) {
        let secs = took.as_secs_f64();
        if let Ok(mut m) = self.requests.lock() {
            let h = m.entry((route.to_owned(), status)).or_default();
            for (i, b) in BUCKETS.iter().enumerate() {
                if secs <= *b {
                    h.counts[i] += 1;
                }
            }
            h.sum += secs;
            h.count += 1;
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
            "simology_http_request_duration_seconds",
            "Request latency, by route and status.",
            "histogram",
        );
        if let Ok(m) = self.requests.lock() {
            for ((route, status), h) in m.iter() {
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
        }
        out
    }
}

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
        let text = m.render(12_500);
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
