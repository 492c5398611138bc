//! Settings: a TOML file plus environment variables (the environment wins). Secrets
//! come only from the environment or from files named by `*_FILE` variables, never
//! from the config file, and never appear in logs or `Debug` output.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use simology::ClientConfig;

use crate::domain::Origin;
use crate::store::Backend;

pub mod declared;
mod raw;

use declared as d;
use raw::Raw;

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Text,
}

/// Per-client request budgets.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// `POST /api/checkout` and top-ups per client per minute.
    pub checkout_per_minute: u32,
    /// Order status and usage reads per client per minute.
    pub status_per_minute: u32,
    /// Lookups of order references that do not exist, per client per minute (guessing).
    pub misses_per_minute: u32,
    /// Funnel beacons per client per minute.
    pub beacons_per_minute: u32,
}

/// Who may write the client's address into `X-Forwarded-For` (see `client_ip`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedProxies {
    /// Nobody: the socket's peer is the client and the header is ignored.
    None,
    /// This many proxies stand in front, each appending the address it was reached
    /// from: the client is that many entries from the right.
    Count(usize),
    /// Proxies on these networks: when the peer is one of them, the client is the
    /// rightmost entry outside them.
    Networks(Vec<ipnet::IpNet>),
}

impl TrustedProxies {
    /// `PROXY_TRUSTED_PROXIES`: empty or `0` (none), a count, or addresses and CIDRs
    /// separated by commas.
    ///
    /// # Errors
    /// With a message naming the setting.
    pub fn parse(text: &str) -> Result<TrustedProxies> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(TrustedProxies::None);
        }
        if let Ok(count) = text.parse::<usize>() {
            if count > MAX_TRUSTED_HOPS {
                bail!("PROXY_TRUSTED_PROXIES: at most {MAX_TRUSTED_HOPS} proxies in a row");
            }
            return Ok(if count == 0 {
                TrustedProxies::None
            } else {
                TrustedProxies::Count(count)
            });
        }
        let networks = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow!(
                            "PROXY_TRUSTED_PROXIES: {s:?} is neither a count, an address nor a CIDR \
                             such as 10.0.0.0/8"
                        )
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(TrustedProxies::Networks(networks))
    }
}

/// The most proxies in a row `PROXY_TRUSTED_PROXIES` may count.
pub const MAX_TRUSTED_HOPS: usize = 16;

/// Connections, client addresses, long-polls and the order status cache.
#[derive(Debug, Clone)]
pub struct Serving {
    /// Who may write the client's address.
    pub trusted_proxies: TrustedProxies,
    /// Open connections at most (lowered at start to what the open-file limit allows).
    pub max_connections: usize,
    /// Open connections at most on the admin listener, apart from the public ones.
    pub admin_max_connections: usize,
    /// A request's headers must all arrive within this, from its first byte (or from
    /// the connection's opening).
    pub header_read_timeout: Duration,
    /// A keep-alive connection with no request in flight is closed after this.
    pub idle_timeout: Duration,
    /// A request's body must all arrive within this, from the end of its headers.
    pub body_timeout: Duration,
    /// Long-polls one client may hold waiting; beyond, a long-poll answers at once.
    pub long_polls_per_client: u32,
    /// Orders whose serialised status is kept in memory (0: none).
    pub status_cache_orders: usize,
}

impl Serving {
    fn load(raw: &Raw<'_>) -> Result<Serving> {
        let trusted_proxies = match (
            raw.get(&d::TRUSTED_PROXIES)?,
            raw.value(&d::TRUST_FORWARDED_FOR)?,
        ) {
            (Some(proxies), _) => proxies,
            // The older switch: one load balancer, whose entry is the rightmost.
            (None, true) => TrustedProxies::Count(1),
            (None, false) => TrustedProxies::None,
        };
        Ok(Serving {
            trusted_proxies,
            max_connections: raw.value(&d::MAX_CONNECTIONS)?,
            admin_max_connections: raw.value(&d::ADMIN_MAX_CONNECTIONS)?,
            header_read_timeout: Duration::from_secs(raw.value(&d::HEADER_READ_TIMEOUT_SECS)?),
            idle_timeout: Duration::from_secs(raw.value(&d::IDLE_TIMEOUT_SECS)?),
            body_timeout: Duration::from_secs(raw.value(&d::BODY_TIMEOUT_SECS)?),
            long_polls_per_client: raw.value(&d::LONG_POLLS_PER_CLIENT)?,
            status_cache_orders: raw.value(&d::STATUS_CACHE_ORDERS)?,
        })
    }
}

/// Everything the proxy runs with.
#[derive(Clone)]
pub struct Settings {
    /// Listen address.
    pub listen: SocketAddr,
    /// Database URL.
    pub database_url: String,
    /// Origins the widget may be embedded on (CORS and return URLs); the affiliates'
    /// join them (see `affiliates::Registry`).
    pub allowed_origins: Vec<Origin>,
    /// The affiliates file (`PROXY_AFFILIATES`), re-read on SIGHUP.
    pub affiliates_file: Option<PathBuf>,
    /// The endpoints file of outgoing webhooks (`PROXY_WEBHOOKS`), re-read on SIGHUP.
    pub webhooks_file: Option<PathBuf>,
    /// The upstream client (base URL and key).
    pub upstream: ClientConfig,
    /// Accepted webhook secrets (several while rotating).
    pub webhook_secrets: Vec<String>,
    /// Token for `/admin` (disabled when unset).
    pub admin_token: Option<String>,
    /// A second listen address for `/admin` and `/metrics`, which then leave the public
    /// one (`PROXY_ADMIN_LISTEN`).
    pub admin_listen: Option<SocketAddr>,
    /// A bearer token `/metrics` requires (`PROXY_METRICS_TOKEN`); open when unset.
    pub metrics_token: Option<String>,
    /// `/metrics` on the public listener even without a metrics token
    /// (`PROXY_METRICS_PUBLIC`); see `routes::public_metrics`.
    pub metrics_public: bool,
    /// How long catalogue data is fresh.
    pub catalog_ttl: Duration,
    /// How often the reconciler runs.
    pub reconcile_interval: Duration,
    /// Paid orders not ready after this long are checked upstream.
    pub stale_after: Duration,
    /// The most eSIMs (lines, one per traveller) one checkout may buy: 1 to 10.
    pub max_esims_per_order: u32,
    /// Rate limits.
    pub rate_limits: RateLimits,
    /// Connections, client addresses and long-polls.
    pub serving: Serving,
    /// Log format.
    pub log_format: LogFormat,
    /// This proxy's public URL, shown in the startup banner (the webhook URL to
    /// register upstream is `<public_url>/webhooks/simology`).
    pub public_url: Option<String>,
    /// The key of the order references' log tags (`domain::RefTag`); a random one per
    /// process when unset. Also the key (under its own label) of the widget frames'
    /// signed attributions and of orders' analytics ids.
    pub log_tag_key: Option<String>,
    /// The widget's built files (`cargo xtask dist`'s `dist/`), which the frame
    /// document (`GET /embed`) is made with (`PROXY_WIDGET_DIR`); without them
    /// `/embed` answers 503.
    pub widget_dir: Option<PathBuf>,
    /// Where those files are published (a CDN, `PROXY_WIDGET_URL`, ending in `/`); by
    /// default the proxy serves them itself under `/widget/<version>/`.
    pub widget_url: Option<url::Url>,
    /// A signed event that no order matches is retried this long after it arrives
    /// (the sender's own retries last 48 hours), then quarantined. Not a setting of its
    /// own: tests shorten it.
    pub unmatched_event_window: Duration,
    /// How often the funnel's beacons counted in memory are written
    /// ([`BEACON_FLUSH_EVERY`]). Not a setting of its own: tests lengthen it.
    pub beacon_flush_every: Duration,
    /// How outgoing webhooks and postbacks are delivered. Not settings of their own:
    /// the documented schedule and timeout are the product; tests shorten them.
    pub delivery: Delivery,
}

/// How the outbox is delivered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delivery {
    /// The retry schedule.
    pub schedule: crate::outgoing::schedule::Schedule,
    /// A request's timeout, from connecting to the end of the answer's headers.
    pub timeout: Duration,
    /// How often due deliveries are looked for without a wake-up (retries, other
    /// replicas' events).
    pub poll: Duration,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            schedule: crate::outgoing::schedule::Schedule::default(),
            timeout: Duration::from_secs(10),
            poll: Duration::from_millis(500),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("allowed_origins", &self.allowed_origins)
            .field("affiliates_file", &self.affiliates_file)
            .field("webhooks_file", &self.webhooks_file)
            .field("upstream", &self.upstream)
            .field(
                "webhook_secrets",
                &format!("{} secret(s)", self.webhook_secrets.len()),
            )
            .field("admin_token", &self.admin_token.as_ref().map(|_| "set"))
            .field("admin_listen", &self.admin_listen)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "set"))
            .field("metrics_public", &self.metrics_public)
            .field("catalog_ttl", &self.catalog_ttl)
            .field("reconcile_interval", &self.reconcile_interval)
            .field("stale_after", &self.stale_after)
            .field("max_esims_per_order", &self.max_esims_per_order)
            .field("rate_limits", &self.rate_limits)
            .field("serving", &self.serving)
            .field("widget_dir", &self.widget_dir)
            .field(
                "widget_url",
                &self.widget_url.as_ref().map(url::Url::as_str),
            )
            .field(
                "log_tag_key",
                &if self.log_tag_key.is_some() {
                    "set"
                } else {
                    "random"
                },
            )
            .finish_non_exhaustive()
    }
}

/// A database URL with any password masked.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

impl Settings {
    /// Loads settings from an optional TOML file and the process environment. A
    /// `PROXY_*` or `SIMOLOGY_*` variable that is no setting is an error naming the
    /// nearest one (a typo must not start the proxy on a default).
    ///
    /// # Errors
    /// With a message naming the setting that is missing, invalid or unknown.
    pub fn load(file: Option<&Path>) -> Result<Settings> {
        check_environment(std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()))?;
        Settings::load_with(file, &|name| std::env::var(name).ok())
    }

    /// Loads settings with an explicit environment (for tests).
    ///
    /// # Errors
    /// With a message naming the setting that is missing or invalid.
    pub fn load_with(
        file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings> {
        let raw = Raw::new(file, env)?;
        let serving = Serving::load(&raw)?;
        let listen = raw.value(&d::LISTEN)?;
        let data_dir = raw.value(&d::DATA_DIR)?;
        // `DATABASE_URL`, the name other tools use, after the proxy's own.
        let database_url = match raw.get(&d::DATABASE_URL)? {
            Some(url) => url,
            None => env("DATABASE_URL")
                .filter(|v| !v.trim().is_empty())
                .map_or_else(
                    || format!("sqlite://{}", data_dir.join("proxy.db").display()),
                    |v| v.trim().to_owned(),
                ),
        };
        Backend::of_url(&database_url)
            .map_err(|_| anyhow!("PROXY_DATABASE_URL: must start with sqlite:// or postgres://"))?;

        let origins_text = raw.get(&d::ALLOWED_ORIGINS)?.unwrap_or_default();
        let affiliates_file = raw.get(&d::AFFILIATES)?;
        let webhooks_file = raw.get(&d::WEBHOOKS)?;
        // With an affiliates file, the affiliates' origins may be the only ones.
        if origins_text.is_empty() && affiliates_file.is_none() {
            bail!("PROXY_ALLOWED_ORIGINS: list the origins the widget is embedded on, e.g. https://blog.example");
        }
        let allowed_origins = origins_text
            .iter()
            .map(|o| {
                Origin::parse(o).map_err(|_| {
                    anyhow!("PROXY_ALLOWED_ORIGINS: {o:?} is not an origin (scheme://host[:port])")
                })
            })
            .collect::<Result<Vec<_>>>()?;

        let key = raw
            .get(&d::API_KEY)?
            .context("SIMOLOGY_API_KEY: not set (in the environment or SIMOLOGY_API_KEY_FILE)")?;
        let mut upstream = ClientConfig::new(key).map_err(|e| anyhow!("SIMOLOGY_API_KEY: {e}"))?;
        if let Some(url) = raw.get(&d::BASE_URL)? {
            upstream = upstream
                .with_base_url(&url)
                .map_err(|e| anyhow!("SIMOLOGY_BASE_URL: {e}"))?;
        }
        // Refuse a key of the wrong environment now rather than at the first request.
        simology::Client::new(upstream.clone())
            .map_err(|e| anyhow!("SIMOLOGY_API_KEY / SIMOLOGY_BASE_URL: {e}"))?;

        let webhook_secrets = raw.get(&d::WEBHOOK_SECRET)?.context(
            "SIMOLOGY_WEBHOOK_SECRET: not set (in the environment or SIMOLOGY_WEBHOOK_SECRET_FILE)",
        )?;
        if webhook_secrets.is_empty()
            || webhook_secrets
                .iter()
                .any(|s| s.chars().count() < MIN_SECRET_CHARS)
        {
            bail!(
                "SIMOLOGY_WEBHOOK_SECRET: each secret must be at least {MIN_SECRET_CHARS} characters"
            );
        }

        let admin_listen = raw.get(&d::ADMIN_LISTEN)?;
        if admin_listen.is_some_and(|a| a == listen && a.port() != 0) {
            bail!("PROXY_ADMIN_LISTEN: must differ from PROXY_LISTEN");
        }
        let widget_url = match raw.get(&d::WIDGET_URL)? {
            Some(text) => {
                let mut url = url::Url::parse(&text)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "https" | "http") && u.query().is_none())
                    .ok_or_else(|| {
                        anyhow!("PROXY_WIDGET_URL: {text:?} is not the http(s) address of a folder, such as https://cdn.example/esim/1.4.0/")
                    })?;
                if !url.path().ends_with('/') {
                    let path = format!("{}/", url.path());
                    url.set_path(&path);
                }
                Some(url)
            }
            None => None,
        };
        Ok(Settings {
            listen,
            database_url,
            allowed_origins,
            affiliates_file,
            webhooks_file,
            upstream,
            webhook_secrets,
            admin_token: raw.get(&d::ADMIN_TOKEN)?,
            admin_listen,
            metrics_token: raw.get(&d::METRICS_TOKEN)?,
            metrics_public: raw.value(&d::METRICS_PUBLIC)?,
            catalog_ttl: Duration::from_secs(raw.value(&d::CATALOG_TTL_SECS)?),
            reconcile_interval: Duration::from_secs(raw.value(&d::RECONCILE_INTERVAL_SECS)?),
            stale_after: Duration::from_secs(raw.value(&d::STALE_AFTER_SECS)?),
            max_esims_per_order: raw.value(&d::MAX_ESIMS_PER_ORDER)?,
            rate_limits: RateLimits {
                checkout_per_minute: raw.value(&d::CHECKOUT_PER_MINUTE)?,
                status_per_minute: raw.value(&d::STATUS_PER_MINUTE)?,
                misses_per_minute: raw.value(&d::MISSES_PER_MINUTE)?,
                beacons_per_minute: raw.value(&d::BEACONS_PER_MINUTE)?,
            },
            serving,
            log_format: raw.value(&d::LOG_FORMAT)?,
            public_url: raw.get(&d::PUBLIC_URL)?,
            log_tag_key: raw.get(&d::LOG_TAG_KEY)?,
            widget_dir: raw.get(&d::WIDGET_DIR)?,
            widget_url,
            unmatched_event_window: UNMATCHED_EVENT_WINDOW,
            beacon_flush_every: BEACON_FLUSH_EVERY,
            delivery: Delivery::default(),
        })
    }
}

/// Refuses a `PROXY_*` or `SIMOLOGY_*` name that is no setting, naming the nearest.
///
/// # Errors
/// The first unknown name, and the setting it is nearest to.
pub fn check_environment(names: impl IntoIterator<Item = String>) -> Result<()> {
    let known = d::known_names();
    for name in names {
        if !d::PREFIXES.iter().any(|p| name.starts_with(p)) || known.contains(&name) {
            continue;
        }
        let hint = match d::nearest(&name, known.iter().map(String::as_str)) {
            Some(near) => format!("did you mean {near}?"),
            None => "unset it".to_owned(),
        };
        bail!("{name}: not a setting of the proxy ({hint} The settings: `simology-proxy --help`)");
    }
    Ok(())
}

/// How long the sender retries an event (the guide: 48 hours), and so how long an
/// event is retried here while no order matches it.
pub const UNMATCHED_EVENT_WINDOW: Duration = Duration::from_secs(48 * 3600);

/// How often the funnel's beacons counted in memory are written (see
/// `services::beacons`).
pub const BEACON_FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Secrets are at least this long: a token or a secret any shorter could be guessed.
pub const MIN_SECRET_CHARS: usize = 32;

/// `PROXY_LOG_TAG_KEY` (or `PROXY_LOG_TAG_KEY_FILE`) from the process environment, alone:
/// `simology-proxy tag` needs nothing else.
///
/// # Errors
/// When the file cannot be read or the key is too short.
pub fn log_tag_key() -> Result<Option<String>> {
    log_tag_key_with(&|name| std::env::var(name).ok())
}

fn log_tag_key_with(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<String>> {
    Raw::new(None, env)?.get(&d::LOG_TAG_KEY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const BASE: &[(&str, &str)] = &[
        ("SIMOLOGY_API_KEY", "sk_sandbox_abc"),
        (
            "SIMOLOGY_WEBHOOK_SECRET",
            "whsec_one_0123456789abcdef0123456789,whsec_two_0123456789abcdef0123456789",
        ),
        (
            "PROXY_ALLOWED_ORIGINS",
            "https://blog.example, http://127.0.0.1:8080",
        ),
    ];

    #[test]
    fn defaults_and_rotation() {
        let s = Settings::load_with(None, &env_of(BASE)).expect("valid");
        assert_eq!(s.webhook_secrets.len(), 2);
        assert_eq!(s.allowed_origins.len(), 2);
        assert!(s.database_url.starts_with("sqlite://"));
        assert_eq!(s.listen.port(), 8787);
        assert_eq!(s.max_esims_per_order, 10);
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("whsec_one") && !shown.contains("sk_sandbox_abc"),
            "{shown}"
        );
    }

    #[test]
    fn admin_listener_and_tokens_of_32_characters() {
        let token = "metrics-token-0123456789abcdef0123";
        let env = env_of(
            &[
                BASE,
                &[
                    ("PROXY_ADMIN_LISTEN", "127.0.0.1:8788"),
                    ("PROXY_METRICS_TOKEN", token),
                    ("PROXY_ADMIN_TOKEN", "admin-token-0123456789abcdef012345"),
                ],
            ]
            .concat(),
        );
        let s = Settings::load_with(None, &env).expect("valid");
        assert_eq!(s.admin_listen.map(|a| a.port()), Some(8788));
        assert_eq!(s.metrics_token.as_deref(), Some(token));
        let shown = format!("{s:?}");
        assert!(
            !shown.contains(token) && !shown.contains("admin-token"),
            "{shown}"
        );
        let s = Settings::load_with(None, &env_of(BASE)).expect("valid");
        assert_eq!((s.admin_listen, s.metrics_token), (None, None));
        assert!(!s.metrics_public, "/metrics is not public unless asked");
        assert_eq!(s.serving.admin_max_connections, 64);
        let public = env_of(&[BASE, &[("PROXY_METRICS_PUBLIC", "true")]].concat());
        assert!(
            Settings::load_with(None, &public)
                .expect("valid")
                .metrics_public
        );
        let typo = env_of(&[BASE, &[("PROXY_METRICS_PUBLIC", "yes please")]].concat());
        let err = Settings::load_with(None, &typo).expect_err("not a bool");
        assert!(err.to_string().contains("PROXY_METRICS_PUBLIC"), "{err}");
    }

    #[test]
    fn errors_name_the_setting() {
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (
                vec![
                    (
                        "SIMOLOGY_WEBHOOK_SECRET",
                        "whsec_one_0123456789abcdef0123456789",
                    ),
                    ("PROXY_ALLOWED_ORIGINS", "https://a.example"),
                ],
                "SIMOLOGY_API_KEY",
            ),
            (
                vec![
                    ("SIMOLOGY_API_KEY", "sk_sandbox_a"),
                    ("PROXY_ALLOWED_ORIGINS", "https://a.example"),
                ],
                "SIMOLOGY_WEBHOOK_SECRET",
            ),
            (
                vec![
                    ("SIMOLOGY_API_KEY", "sk_sandbox_a"),
                    (
                        "SIMOLOGY_WEBHOOK_SECRET",
                        "whsec_one_0123456789abcdef0123456789",
                    ),
                ],
                "PROXY_ALLOWED_ORIGINS",
            ),
            (
                [BASE, &[("PROXY_ALLOWED_ORIGINS", "blog.example")]].concat(),
                "PROXY_ALLOWED_ORIGINS",
            ),
            ([BASE, &[("PROXY_LISTEN", "nope")]].concat(), "PROXY_LISTEN"),
            (
                [
                    BASE,
                    &[
                        ("SIMOLOGY_API_KEY", "sk_live_abc"),
                        ("SIMOLOGY_BASE_URL", "https://sandbox-api.simology.io"),
                    ],
                ]
                .concat(),
                "SIMOLOGY_API_KEY",
            ),
            (
                [BASE, &[("SIMOLOGY_BASE_URL", "ftp://x")]].concat(),
                "SIMOLOGY_BASE_URL",
            ),
            (
                [BASE, &[("PROXY_DATABASE_URL", "mysql://x")]].concat(),
                "PROXY_DATABASE_URL",
            ),
            (
                [BASE, &[("PROXY_CATALOG_TTL_SECS", "soon")]].concat(),
                "PROXY_CATALOG_TTL_SECS",
            ),
            (
                [
                    BASE,
                    &[("PROXY_ADMIN_TOKEN", "admin-token-0123456789abcdef01")],
                ]
                .concat(),
                "PROXY_ADMIN_TOKEN",
            ),
            (
                [BASE, &[("PROXY_BEACONS_PER_MINUTE", "0")]].concat(),
                "PROXY_BEACONS_PER_MINUTE",
            ),
            (
                [BASE, &[("PROXY_MAX_ESIMS_PER_ORDER", "11")]].concat(),
                "PROXY_MAX_ESIMS_PER_ORDER",
            ),
            (
                [BASE, &[("PROXY_MAX_ESIMS_PER_ORDER", "0")]].concat(),
                "PROXY_MAX_ESIMS_PER_ORDER",
            ),
            (
                [BASE, &[("PROXY_METRICS_TOKEN", "short")]].concat(),
                "PROXY_METRICS_TOKEN",
            ),
            (
                [BASE, &[("SIMOLOGY_WEBHOOK_SECRET", "whsec_sandbox_test")]].concat(),
                "SIMOLOGY_WEBHOOK_SECRET",
            ),
            (
                [
                    BASE,
                    &[(
                        "SIMOLOGY_WEBHOOK_SECRET",
                        "whsec_one_0123456789abcdef0123456789,whsec_short",
                    )],
                ]
                .concat(),
                "SIMOLOGY_WEBHOOK_SECRET",
            ),
            (
                [BASE, &[("PROXY_ADMIN_LISTEN", "nope")]].concat(),
                "PROXY_ADMIN_LISTEN",
            ),
            (
                [
                    BASE,
                    &[
                        ("PROXY_LISTEN", "127.0.0.1:9000"),
                        ("PROXY_ADMIN_LISTEN", "127.0.0.1:9000"),
                    ],
                ]
                .concat(),
                "PROXY_ADMIN_LISTEN",
            ),
            (
                [
                    BASE,
                    &[("PROXY_LOG_TAG_KEY", "0123456789abcdef0123456789abcde")],
                ]
                .concat(),
                "PROXY_LOG_TAG_KEY",
            ),
        ];
        for (pairs, name) in cases {
            // Later pairs override earlier ones.
            let env = env_of(&pairs);
            let err = Settings::load_with(None, &env).expect_err(name);
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn an_affiliates_file_may_bring_the_only_origins() {
        let env = env_of(&[
            ("SIMOLOGY_API_KEY", "sk_sandbox_abc"),
            (
                "SIMOLOGY_WEBHOOK_SECRET",
                "whsec_one_0123456789abcdef0123456789",
            ),
            ("PROXY_AFFILIATES", "/etc/proxy/affiliates.toml"),
        ]);
        let s = Settings::load_with(None, &env).expect("valid");
        assert!(s.allowed_origins.is_empty());
        assert_eq!(
            s.affiliates_file.as_deref(),
            Some(Path::new("/etc/proxy/affiliates.toml"))
        );
        assert_eq!(s.rate_limits.beacons_per_minute, 60);
        assert_eq!(s.webhooks_file, None);
        let with = env_of(&[
            ("SIMOLOGY_API_KEY", "sk_sandbox_abc"),
            (
                "SIMOLOGY_WEBHOOK_SECRET",
                "whsec_one_0123456789abcdef0123456789",
            ),
            ("PROXY_AFFILIATES", "/etc/proxy/affiliates.toml"),
            ("PROXY_WEBHOOKS", " /etc/proxy/webhooks.toml "),
        ]);
        let s = Settings::load_with(None, &with).expect("valid");
        assert_eq!(
            s.webhooks_file.as_deref(),
            Some(Path::new("/etc/proxy/webhooks.toml"))
        );
    }

    #[test]
    fn serving_settings_and_their_errors() {
        let s = Settings::load_with(None, &env_of(BASE)).expect("valid");
        assert_eq!(s.serving.trusted_proxies, TrustedProxies::None);
        assert_eq!(s.serving.header_read_timeout, Duration::from_secs(10));
        assert_eq!(s.serving.long_polls_per_client, 20);
        let with = |pairs: &[(&str, &str)]| {
            Settings::load_with(None, &env_of(&[BASE, pairs].concat())).map(|s| s.serving)
        };
        assert_eq!(
            with(&[("PROXY_TRUSTED_PROXIES", "2")])
                .expect("count")
                .trusted_proxies,
            TrustedProxies::Count(2)
        );
        assert_eq!(
            with(&[("PROXY_TRUSTED_PROXIES", "0")])
                .expect("none")
                .trusted_proxies,
            TrustedProxies::None
        );
        let networks = with(&[(
            "PROXY_TRUSTED_PROXIES",
            "10.0.0.0/8, 192.0.2.7,2001:db8::/32",
        )])
        .expect("networks")
        .trusted_proxies;
        let TrustedProxies::Networks(nets) = networks else {
            panic!("networks expected: {networks:?}");
        };
        assert_eq!(nets.len(), 3);
        assert!(nets[1].contains(&"192.0.2.7".parse::<std::net::IpAddr>().expect("ip")));
        // The older switch means one load balancer; the new setting wins over it.
        assert_eq!(
            with(&[("PROXY_TRUST_FORWARDED_FOR", "true")])
                .expect("old")
                .trusted_proxies,
            TrustedProxies::Count(1)
        );
        assert_eq!(
            with(&[
                ("PROXY_TRUST_FORWARDED_FOR", "true"),
                ("PROXY_TRUSTED_PROXIES", "3")
            ])
            .expect("both")
            .trusted_proxies,
            TrustedProxies::Count(3)
        );
        for (name, value) in [
            ("PROXY_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("PROXY_TRUSTED_PROXIES", "the load balancer"),
            ("PROXY_TRUSTED_PROXIES", "17"),
            ("PROXY_MAX_CONNECTIONS", "1"),
            ("PROXY_MAX_CONNECTIONS", "many"),
            ("PROXY_HEADER_READ_TIMEOUT_SECS", "0"),
            ("PROXY_IDLE_TIMEOUT_SECS", "-1"),
            ("PROXY_BODY_TIMEOUT_SECS", "0"),
            ("PROXY_LONG_POLLS_PER_CLIENT", "lots"),
            ("PROXY_STATUS_CACHE_ORDERS", "-5"),
            ("PROXY_ADMIN_MAX_CONNECTIONS", "1"),
        ] {
            let err = with(&[(name, value)]).expect_err(name);
            assert!(err.to_string().contains(name), "{name}={value}: {err}");
        }
    }

    #[test]
    fn file_settings_and_secret_files() {
        let dir = std::env::temp_dir().join(format!("proxy-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("proxy.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nallowed_origins = [\"https://f.example\"]\ncatalog_ttl_secs = 60\n").expect("write");
        let key_file = dir.join("key");
        std::fs::write(&key_file, "sk_sandbox_fromfile\n").expect("write");
        let env = env_of(&[
            ("SIMOLOGY_API_KEY_FILE", key_file.to_str().expect("utf-8")),
            (
                "SIMOLOGY_WEBHOOK_SECRET",
                "whsec_0123456789abcdef0123456789ab",
            ),
        ]);
        let s = Settings::load_with(Some(&file), &env).expect("valid");
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.catalog_ttl, Duration::from_secs(60));
        assert_eq!(s.upstream.api_key.expose(), "sk_sandbox_fromfile");
        let url_file = dir.join("database_url");
        std::fs::write(&url_file, "postgres://proxy:pw@db:5432/proxy\n").expect("write");
        let with_url = |k: &str| {
            if k == "PROXY_DATABASE_URL_FILE" {
                url_file.to_str().map(str::to_owned)
            } else {
                env(k)
            }
        };
        let s = Settings::load_with(Some(&file), &with_url).expect("valid");
        assert_eq!(s.database_url, "postgres://proxy:pw@db:5432/proxy");

        std::fs::write(&file, "simology_api_key = \"sk_sandbox_x\"\n").expect("write");
        let err = Settings::load_with(Some(&file), &env).expect_err("secret in file");
        assert!(
            err.to_string().contains("must not be in the config file"),
            "{err}"
        );
        std::fs::write(&file, "lisen = \"x\"\n").expect("write");
        let err = Settings::load_with(Some(&file), &env).expect_err("typo");
        assert!(err.to_string().contains("lisen"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_variable_that_is_no_setting_is_refused_with_the_nearest() {
        let names = |list: &[&str]| list.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        for (typo, meant) in [
            ("PROXY_TRUSTED_PROXY", "PROXY_TRUSTED_PROXIES"),
            ("SIMOLOGY_APIKEY", "SIMOLOGY_API_KEY"),
            ("PROXY_CHECKOUTS_PER_MINUTE", "PROXY_CHECKOUT_PER_MINUTE"),
            ("PROXY_ADMIN_TOKEN_FIEL", "PROXY_ADMIN_TOKEN_FILE"),
        ] {
            let err = check_environment(names(&["HOME", typo])).expect_err(typo);
            let err = err.to_string();
            assert!(err.starts_with(typo), "{err}");
            assert!(err.contains(&format!("did you mean {meant}?")), "{err}");
        }
        let err = check_environment(names(&["PROXY_SOMETHING_ELSE_ENTIRELY"]))
            .expect_err("unknown")
            .to_string();
        assert!(err.contains("not a setting"), "{err}");
        // Every setting, the secrets' files, and the tools' own names pass; other
        // prefixes are not the proxy's.
        let mut all: Vec<String> = declared::ALL.iter().map(|m| m.env.to_owned()).collect();
        all.extend(names(&[
            "SIMOLOGY_API_KEY_FILE",
            "PROXY_DATABASE_URL_FILE",
            "PROXY_CONFIG",
            "PROXY_TEST_DATABASE_URL",
            "DATABASE_URL",
            "RUST_LOG",
            "HTTP_PROXY",
        ]));
        check_environment(all).expect("known names");
    }

    #[test]
    fn a_config_file_key_that_is_no_setting_names_the_nearest() {
        let dir = std::env::temp_dir().join(format!("simology-config-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("proxy.toml");
        std::fs::write(&file, "checkout_per_minutes = 5\n").expect("write");
        let err = Settings::load_with(Some(&file), &env_of(BASE))
            .expect_err("unknown key")
            .to_string();
        assert!(
            err.contains("\"checkout_per_minutes\"")
                && err.contains("did you mean \"checkout_per_minute\""),
            "{err}"
        );
        // A list in the file reads as the environment's comma-separated text.
        std::fs::write(
            &file,
            "allowed_origins = [\"https://a.example\", \"https://b.example\"]\ncheckout_per_minute = 5\n",
        )
        .expect("write");
        let env = env_of(&BASE[..2]);
        let s = Settings::load_with(Some(&file), &env).expect("valid");
        assert_eq!(s.allowed_origins.len(), 2);
        assert_eq!(s.rate_limits.checkout_per_minute, 5);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn help_and_the_docs_table_list_every_setting_once() {
        let help = declared::help();
        let table = declared::markdown();
        for m in declared::ALL {
            assert_eq!(
                help.matches(&format!("  {} ", m.env)).count(),
                1,
                "{} in --help",
                m.env
            );
            assert_eq!(
                table.matches(&format!("| `{}`", m.env)).count(),
                1,
                "{} in the table",
                m.env
            );
        }
        let mut envs: Vec<&str> = declared::ALL.iter().map(|m| m.env).collect();
        envs.sort_unstable();
        envs.dedup();
        assert_eq!(envs.len(), declared::ALL.len(), "a variable declared twice");
    }

    #[test]
    fn the_docs_settings_reference_is_the_generated_one() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/settings.md");
        let docs = std::fs::read_to_string(&path).expect("docs/settings.md");
        assert!(
            docs.contains(&declared::markdown()),
            "docs/settings.md is out of date: write its table again with `cargo run -p simology-proxy -- settings`"
        );
    }
}
