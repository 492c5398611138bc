//! The sandbox's settings.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

/// Faults the sandbox injects into `/v1` answers and webhook deliveries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Share of `/v1` requests answered 500 `server_error` (0.0 to 1.0). Half of them
    /// fail before the request takes effect and half after, as a lost answer would.
    pub error_rate: f64,
    /// Share of `/v1` requests answered 429 `rate_limited`.
    pub rate_limit_rate: f64,
    /// The `Retry-After` of injected 429s, in seconds.
    pub retry_after_secs: u64,
    /// Latency added to every `/v1` request, in milliseconds.
    pub latency_ms: u64,
    /// Share of webhook delivery attempts silently dropped (retried on schedule).
    pub drop_webhook_rate: f64,
    /// Deliver every webhook event twice.
    pub duplicate_webhooks: bool,
    /// Deliver an order's `checkout.completed` and `order.paid` after its
    /// `activation.ready` events (or `order.failed`), and those (one per line) in a
    /// shuffled order instead of the natural one.
    pub out_of_order_webhooks: bool,
    /// The next N `/v1` requests are answered 500 before taking effect (for tests
    /// that need an exact sequence).
    pub next_errors: u32,
    /// The next N `/v1` requests are answered 429.
    pub next_rate_limits: u32,
    /// Every order paid while this is set keeps its last N lines unprovisioned (late or
    /// never arriving): the order stays `paid` upstream with fewer lines until
    /// `POST /sandbox/orders/{id}/release-lines`. Fixed per order when it is paid.
    pub withhold_lines: u32,
}

/// How a sandbox runs. `Default` gives a quiet, fault-free sandbox for tests.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Seed of every id and every injected fault.
    pub seed: u64,
    /// Accepted API keys (each must start `sk_sandbox_`).
    pub api_keys: Vec<String>,
    /// Where webhooks go; none means events are recorded but not sent.
    pub webhook_url: Option<Url>,
    /// Secrets webhooks are signed with: one `v1` per secret.
    pub webhook_secrets: Vec<String>,
    /// The public base URL of the sandbox (for `payment_url`); the bound address when
    /// unset.
    pub public_url: Option<Url>,
    /// Time from payment to `activation.ready` (or `order.failed`).
    pub activation_delay: Duration,
    /// Time from a refund request to `refund.processed`.
    pub refund_delay: Duration,
    /// How long a checkout session accepts payment.
    pub session_ttl: Duration,
    /// Divides the webhook retry schedule (1 m, 5 m, 30 m, then hourly up to 48 h) and
    /// multiplies the growth of data usage: 60 turns minutes into seconds.
    pub time_scale: f64,
    /// How long a webhook endpoint has to answer an attempt.
    pub webhook_timeout: Duration,
    /// Injected faults.
    pub faults: Faults,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            seed: 1,
            api_keys: vec![DEFAULT_API_KEY.to_owned()],
            webhook_url: None,
            webhook_secrets: vec![DEFAULT_WEBHOOK_SECRET.to_owned()],
            public_url: None,
            activation_delay: Duration::from_millis(1500),
            refund_delay: Duration::from_millis(1000),
            session_ttl: Duration::from_secs(15 * 60),
            time_scale: 1.0,
            webhook_timeout: Duration::from_secs(5),
            faults: Faults::default(),
        }
    }
}

/// The API key a default sandbox accepts.
pub const DEFAULT_API_KEY: &str = "sk_sandbox_test";
/// The webhook secret a default sandbox signs with (32 characters or more, as the proxy
/// requires of a webhook secret).
pub const DEFAULT_WEBHOOK_SECRET: &str = "whsec_sandbox_test_not_a_real_secret";

/// The guide's webhook retry schedule, unscaled: 1 m, 5 m, 30 m, then hourly until
/// 48 h after the first attempt. Each entry is the wait before that retry.
pub fn retry_schedule() -> Vec<Duration> {
    let mut waits = vec![
        Duration::from_secs(60),
        Duration::from_secs(300),
        Duration::from_secs(1800),
    ];
    let mut elapsed: u64 = waits.iter().map(Duration::as_secs).sum();
    while elapsed + 3600 <= 48 * 3600 {
        waits.push(Duration::from_secs(3600));
        elapsed += 3600;
    }
    waits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_spans_48_hours() {
        let s = retry_schedule();
        assert_eq!(
            &s[..4],
            &[
                Duration::from_secs(60),
                Duration::from_secs(300),
                Duration::from_secs(1800),
                Duration::from_secs(3600)
            ]
        );
        let total: u64 = s.iter().map(Duration::as_secs).sum();
        assert!(total <= 48 * 3600 && total > 47 * 3600, "{total}");
    }
}
