//! Settings: a TOML file plus environment variables (the environment wins). Secrets
//! come only from the environment or from files named by `*_FILE` variables, never
//! from the config file, and never appear in logs or `Debug` output.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use simology::ClientConfig;

use crate::domain::Origin;
use crate::store::Backend;

/// The config file's keys (all optional). Unknown keys are refused, so a typo does not
/// silently fall back to a default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    allowed_origins: Option<Vec<String>>,
    simology_base_url: Option<String>,
    catalog_ttl_secs: Option<u64>,
    reconcile_interval_secs: Option<u64>,
    stale_after_secs: Option<u64>,
    max_esims_per_order: Option<u32>,
    checkout_per_minute: Option<u32>,
    status_per_minute: Option<u32>,
    misses_per_minute: Option<u32>,
    beacons_per_minute: Option<u32>,
    affiliates: Option<PathBuf>,
    webhooks: Option<PathBuf>,
    trust_forwarded_for: Option<bool>,
    trusted_proxies: Option<String>,
    max_connections: Option<usize>,
    header_read_timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
    body_timeout_secs: Option<u64>,
    long_polls_per_client: Option<u32>,
    status_cache_orders: Option<usize>,
    log_format: Option<String>,
    public_url: Option<String>,
    admin_listen: Option<String>,
    admin_max_connections: Option<usize>,
    metrics_public: Option<bool>,
    widget_dir: Option<PathBuf>,
    widget_url: Option<String>,
}

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
    fn load(env: &dyn Fn(&str) -> Option<String>, fs: &FileSettings) -> Result<Serving> {
        let trusted_proxies = match (
            env("PROXY_TRUSTED_PROXIES").or(fs.trusted_proxies.clone()),
            parse_env::<bool>(env, "PROXY_TRUST_FORWARDED_FOR")?.or(fs.trust_forwarded_for),
        ) {
            (Some(text), _) => TrustedProxies::parse(&text)?,
            // The older switch: one load balancer, whose entry is the rightmost.
            (None, Some(true)) => TrustedProxies::Count(1),
            (None, _) => TrustedProxies::None,
        };
        let max_connections = parse_env(env, "PROXY_MAX_CONNECTIONS")?
            .or(fs.max_connections)
            .unwrap_or(16_384);
        if max_connections < 2 {
            bail!("PROXY_MAX_CONNECTIONS: must be at least 2");
        }
        let admin_max_connections = parse_env(env, "PROXY_ADMIN_MAX_CONNECTIONS")?
            .or(fs.admin_max_connections)
            .unwrap_or(64);
        if admin_max_connections < 2 {
            bail!("PROXY_ADMIN_MAX_CONNECTIONS: must be at least 2");
        }
        let header_read_timeout = secs(
            "PROXY_HEADER_READ_TIMEOUT_SECS",
            parse_env(env, "PROXY_HEADER_READ_TIMEOUT_SECS")?.or(fs.header_read_timeout_secs),
            10,
            1,
        )?;
        let idle_timeout = secs(
            "PROXY_IDLE_TIMEOUT_SECS",
            parse_env(env, "PROXY_IDLE_TIMEOUT_SECS")?.or(fs.idle_timeout_secs),
            30,
            1,
        )?;
        let body_timeout = secs(
            "PROXY_BODY_TIMEOUT_SECS",
            parse_env(env, "PROXY_BODY_TIMEOUT_SECS")?.or(fs.body_timeout_secs),
            10,
            1,
        )?;
        let long_polls_per_client = parse_env(env, "PROXY_LONG_POLLS_PER_CLIENT")?
            .or(fs.long_polls_per_client)
            .unwrap_or(20);
        let status_cache_orders = parse_env(env, "PROXY_STATUS_CACHE_ORDERS")?
            .or(fs.status_cache_orders)
            .unwrap_or(10_000);
        Ok(Serving {
            trusted_proxies,
            max_connections,
            admin_max_connections,
            header_read_timeout,
            idle_timeout,
            body_timeout,
            long_polls_per_client,
            status_cache_orders,
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

/// Reads a secret from `NAME` or from the file named by `NAME_FILE`.
fn secret(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Result<Option<String>> {
    if let Some(v) = env(name).filter(|v| !v.trim().is_empty()) {
        return Ok(Some(v.trim().to_owned()));
    }
    let file_var = format!("{name}_FILE");
    match env(&file_var).filter(|v| !v.is_empty()) {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("{file_var}: cannot read {path}"))?;
            let text = text.trim().to_owned();
            if text.is_empty() {
                bail!("{file_var}: {path} is empty");
            }
            Ok(Some(text))
        }
        None => Ok(None),
    }
}

fn secs(name: &str, value: Option<u64>, default: u64, min: u64) -> Result<Duration> {
    let v = value.unwrap_or(default);
    if v < min {
        bail!("{name}: must be at least {min}");
    }
    Ok(Duration::from_secs(v))
}

fn parse_env<T: std::str::FromStr>(
    env: &dyn Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Option<T>> {
    env(name)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.trim()
                .parse::<T>()
                .map_err(|_| anyhow!("{name}: {v:?} is not valid"))
        })
        .transpose()
}

impl Settings {
    /// Loads settings from an optional TOML file and the process environment.
    ///
    /// # Errors
    /// With a message naming the setting that is missing or invalid.
    pub fn load(file: Option<&Path>) -> Result<Settings> {
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
        let fs: FileSettings = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("config file {}: cannot read", path.display()))?;
                for secret_key in [
                    "simology_api_key",
                    "simology_webhook_secret",
                    "admin_token",
                    "api_key",
                    "webhook_secret",
                    "log_tag_key",
                    "metrics_token",
                ] {
                    if text.lines().any(|l| l.trim_start().starts_with(secret_key)) {
                        bail!(
                            "config file {}: {secret_key} must not be in the config file; \
                             set it in the environment or in a file named by {}_FILE",
                            path.display(),
                            secret_key.to_ascii_uppercase()
                        );
                    }
                }
                toml::from_str(&text)
                    .map_err(|e| anyhow!("config file {}: {}", path.display(), e.message()))?
            }
            None => FileSettings::default(),
        };
        let serving = Serving::load(env, &fs)?;

        let listen_text = env("PROXY_LISTEN")
            .or(fs.listen)
            .unwrap_or_else(|| "127.0.0.1:8787".into());
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            anyhow!("PROXY_LISTEN: {listen_text:?} is not an address such as 127.0.0.1:8787")
        })?;

        let data_dir = env("PROXY_DATA_DIR")
            .map(PathBuf::from)
            .or(fs.data_dir)
            .unwrap_or_else(|| PathBuf::from(".data"));
        // A PostgreSQL URL holds a password: it may come from a file (a container's secret).
        let database_url = secret(env, "PROXY_DATABASE_URL")?
            .or_else(|| env("DATABASE_URL"))
            .or(fs.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("proxy.db").display()));
        Backend::of_url(&database_url)
            .map_err(|_| anyhow!("PROXY_DATABASE_URL: must start with sqlite:// or postgres://"))?;

        let origins_text: Vec<String> = match env("PROXY_ALLOWED_ORIGINS") {
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            None => fs.allowed_origins.unwrap_or_default(),
        };
        let affiliates_file = env("PROXY_AFFILIATES")
            .filter(|v| !v.trim().is_empty())
            .map(|v| PathBuf::from(v.trim()))
            .or(fs.affiliates);
        let webhooks_file = env("PROXY_WEBHOOKS")
            .filter(|v| !v.trim().is_empty())
            .map(|v| PathBuf::from(v.trim()))
            .or(fs.webhooks);
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

        let key = secret(env, "SIMOLOGY_API_KEY")?
            .context("SIMOLOGY_API_KEY: not set (in the environment or SIMOLOGY_API_KEY_FILE)")?;
        let mut upstream = ClientConfig::new(key).map_err(|e| anyhow!("SIMOLOGY_API_KEY: {e}"))?;
        if let Some(url) = env("SIMOLOGY_BASE_URL").or(fs.simology_base_url) {
            upstream = upstream
                .with_base_url(&url)
                .map_err(|e| anyhow!("SIMOLOGY_BASE_URL: {e}"))?;
        }
        // Refuse a key of the wrong environment now rather than at the first request.
        simology::Client::new(upstream.clone())
            .map_err(|e| anyhow!("SIMOLOGY_API_KEY / SIMOLOGY_BASE_URL: {e}"))?;

        let secrets_text = secret(env, "SIMOLOGY_WEBHOOK_SECRET")?.context(
            "SIMOLOGY_WEBHOOK_SECRET: not set (in the environment or SIMOLOGY_WEBHOOK_SECRET_FILE)",
        )?;
        let webhook_secrets: Vec<String> = secrets_text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if webhook_secrets
            .iter()
            .any(|s| s.chars().count() < MIN_SECRET_CHARS)
        {
            bail!(
                "SIMOLOGY_WEBHOOK_SECRET: each secret must be at least {MIN_SECRET_CHARS} characters"
            );
        }

        let admin_token = long_secret(env, "PROXY_ADMIN_TOKEN")?;
        let metrics_token = long_secret(env, "PROXY_METRICS_TOKEN")?;
        let metrics_public = parse_env::<bool>(env, "PROXY_METRICS_PUBLIC")?
            .or(fs.metrics_public)
            .unwrap_or(false);
        let admin_listen = match env("PROXY_ADMIN_LISTEN").or(fs.admin_listen) {
            None => None,
            Some(text) if text.trim().is_empty() => None,
            Some(text) => Some(text.trim().parse::<SocketAddr>().map_err(|_| {
                anyhow!("PROXY_ADMIN_LISTEN: {text:?} is not an address such as 127.0.0.1:8788")
            })?),
        };
        if admin_listen.is_some_and(|a| a == listen && a.port() != 0) {
            bail!("PROXY_ADMIN_LISTEN: must differ from PROXY_LISTEN");
        }

        let catalog_ttl = secs(
            "PROXY_CATALOG_TTL_SECS",
            parse_env(env, "PROXY_CATALOG_TTL_SECS")?.or(fs.catalog_ttl_secs),
            300,
            1,
        )?;
        let reconcile_interval = secs(
            "PROXY_RECONCILE_INTERVAL_SECS",
            parse_env(env, "PROXY_RECONCILE_INTERVAL_SECS")?.or(fs.reconcile_interval_secs),
            30,
            1,
        )?;
        let stale_after = secs(
            "PROXY_STALE_AFTER_SECS",
            parse_env(env, "PROXY_STALE_AFTER_SECS")?.or(fs.stale_after_secs),
            120,
            1,
        )?;
        let max_esims_per_order = parse_env(env, "PROXY_MAX_ESIMS_PER_ORDER")?
            .or(fs.max_esims_per_order)
            .unwrap_or(10);
        if !(1..=10).contains(&max_esims_per_order) {
            bail!("PROXY_MAX_ESIMS_PER_ORDER: must be 1 to 10 (the checkout's own range)");
        }
        let checkout_per_minute = parse_env(env, "PROXY_CHECKOUT_PER_MINUTE")?
            .or(fs.checkout_per_minute)
            .unwrap_or(20);
        let status_per_minute = parse_env(env, "PROXY_STATUS_PER_MINUTE")?
            .or(fs.status_per_minute)
            .unwrap_or(600);
        let misses_per_minute = parse_env(env, "PROXY_MISSES_PER_MINUTE")?
            .or(fs.misses_per_minute)
            .unwrap_or(30);
        if checkout_per_minute == 0 || status_per_minute == 0 || misses_per_minute == 0 {
            bail!("PROXY_CHECKOUT_PER_MINUTE / PROXY_STATUS_PER_MINUTE / PROXY_MISSES_PER_MINUTE: must be at least 1");
        }
        let beacons_per_minute = parse_env(env, "PROXY_BEACONS_PER_MINUTE")?
            .or(fs.beacons_per_minute)
            .unwrap_or(60);
        if beacons_per_minute == 0 {
            bail!("PROXY_BEACONS_PER_MINUTE: must be at least 1");
        }
        let log_format = match env("PROXY_LOG_FORMAT").or(fs.log_format).as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("text") => LogFormat::Text,
            Some(other) => bail!("PROXY_LOG_FORMAT: {other:?} is neither json nor text"),
        };
        let public_url = env("PROXY_PUBLIC_URL").or(fs.public_url);
        let log_tag_key = log_tag_key_with(env)?;
        let widget_dir = env("PROXY_WIDGET_DIR")
            .filter(|v| !v.trim().is_empty())
            .map(|v| PathBuf::from(v.trim()))
            .or(fs.widget_dir);
        let widget_url = match env("PROXY_WIDGET_URL").or(fs.widget_url) {
            Some(text) if !text.trim().is_empty() => {
                let mut url = url::Url::parse(text.trim())
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
            _ => None,
        };
        Ok(Settings {
            listen,
            database_url,
            allowed_origins,
            affiliates_file,
            webhooks_file,
            upstream,
            webhook_secrets,
            admin_token,
            admin_listen,
            metrics_token,
            metrics_public,
            catalog_ttl,
            reconcile_interval,
            stale_after,
            max_esims_per_order,
            rate_limits: RateLimits {
                checkout_per_minute,
                status_per_minute,
                misses_per_minute,
                beacons_per_minute,
            },
            serving,
            log_format,
            public_url,
            log_tag_key,
            widget_dir,
            widget_url,
            unmatched_event_window: UNMATCHED_EVENT_WINDOW,
            beacon_flush_every: BEACON_FLUSH_EVERY,
            delivery: Delivery::default(),
        })
    }
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
    long_secret(env, "PROXY_LOG_TAG_KEY")
}

/// An optional secret of at least [`MIN_SECRET_CHARS`].
fn long_secret(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Result<Option<String>> {
    let value = secret(env, name)?;
    if value
        .as_ref()
        .is_some_and(|v| v.chars().count() < MIN_SECRET_CHARS)
    {
        bail!("{name}: must be at least {MIN_SECRET_CHARS} characters");
    }
    Ok(value)
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
}
