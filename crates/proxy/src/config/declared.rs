//! Every setting of the proxy, declared once: its environment name, its key in the
//! config file, its default, how its text is read and checked, and one line of doc.
//! The loading (`Settings::load_with`), `simology-proxy --help` and the settings table
//! of `docs/settings.md` (`simology-proxy settings --markdown`, checked up to date by a
//! test) all come from this list, and a `PROXY_*` or `SIMOLOGY_*` variable that is not
//! on it stops the proxy at start, naming the nearest one that is.

use std::net::SocketAddr;
use std::path::PathBuf;

use simology_table::{Align, Table};

use super::TrustedProxies;

/// What a setting is, whatever its type: for the docs, `--help`, and the checks of the
/// environment's and the file's names.
#[derive(Debug)]
pub struct Meta {
    /// The environment variable.
    pub env: &'static str,
    /// The config file's key; none for secrets, which come only from the environment
    /// or from a file named by `<env>_FILE`.
    pub file: Option<&'static str>,
    /// The default as text, read like a value; none: unset (or required, as `doc` says).
    pub default: Option<&'static str>,
    /// What an unset setting means, for the docs (the default's text when empty).
    pub unset: &'static str,
    /// One line of doc.
    pub doc: &'static str,
}

impl Meta {
    /// A secret: from the environment or `<env>_FILE`, never the config file.
    pub fn secret(&self) -> bool {
        self.file.is_none()
    }

    /// Whether `<env>_FILE` may name a file holding the value: the secrets', and the
    /// database URL's (a PostgreSQL URL holds a password: a container's secret).
    pub fn file_variable(&self) -> bool {
        self.secret() || self.env == DATABASE_URL.meta.env
    }
}

/// A setting of type `T`.
pub struct Setting<T: 'static> {
    /// Its names, default and doc.
    pub meta: Meta,
    /// Reads a value's text (trimmed, not empty); the error says what is wrong, without
    /// the name (the loader adds it).
    pub parse: fn(&str) -> Result<T, String>,
}

macro_rules! settings {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident: $ty:ty = env $env:literal, file $file:expr, default $default:expr, unset $unset:literal, parse $parse:expr;
    )+) => {
        $(
            #[doc = concat!("`", $env, "`: ", $($doc),+)]
            pub const $name: Setting<$ty> = Setting {
                meta: Meta {
                    env: $env,
                    file: $file,
                    default: $default,
                    unset: $unset,
                    doc: concat!($($doc),+),
                },
                parse: $parse,
            };
        )+
        /// Every setting, in the order the docs list them.
        pub const ALL: &[&Meta] = &[$(&$name.meta),+];
    };
}

fn text(v: &str) -> Result<String, String> {
    Ok(v.to_owned())
}

fn path(v: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(v))
}

fn address(v: &str) -> Result<SocketAddr, String> {
    v.parse()
        .map_err(|_| format!("{v:?} is not an address such as 127.0.0.1:8787"))
}

fn list(v: &str) -> Result<Vec<String>, String> {
    Ok(v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

fn boolean(v: &str) -> Result<bool, String> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("{v:?} is neither true nor false")),
    }
}

fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
    v: &str,
    min: T,
    max: T,
) -> Result<T, String> {
    let n: T = v.parse().map_err(|_| format!("{v:?} is not valid"))?;
    if n < min {
        return Err(format!("must be at least {min}"));
    }
    if n > max {
        return Err(format!("must be at most {max}"));
    }
    Ok(n)
}

fn at_least_1(v: &str) -> Result<u32, String> {
    number(v, 1, u32::MAX)
}

fn seconds(v: &str) -> Result<u64, String> {
    number(v, 1, u64::MAX)
}

fn connections(v: &str) -> Result<usize, String> {
    number(v, 2, usize::MAX)
}

fn log_format(v: &str) -> Result<super::LogFormat, String> {
    match v {
        "json" => Ok(super::LogFormat::Json),
        "text" => Ok(super::LogFormat::Text),
        other => Err(format!("{other:?} is neither json nor text")),
    }
}

fn trusted(v: &str) -> Result<TrustedProxies, String> {
    TrustedProxies::parse(v).map_err(|e| {
        let e = e.to_string();
        e.strip_prefix("PROXY_TRUSTED_PROXIES: ")
            .map_or(e.clone(), str::to_owned)
    })
}

fn long_secret(v: &str) -> Result<String, String> {
    if v.chars().count() < super::MIN_SECRET_CHARS {
        return Err(format!(
            "must be at least {} characters",
            super::MIN_SECRET_CHARS
        ));
    }
    Ok(v.to_owned())
}

settings! {
    /// The Partner Hub's API key, `sk_sandbox_...` or `sk_live_...`; a key of the wrong environment for the URL is refused at start.
    API_KEY: String = env "SIMOLOGY_API_KEY", file None, default None, unset "required", parse text;
    /// The upstream's URL; plain `http://` only to a loopback host (a local sandbox).
    BASE_URL: String = env "SIMOLOGY_BASE_URL", file Some("simology_base_url"), default None, unset "the key's environment's URL", parse text;
    /// The upstream's webhook secrets, comma-separated, each of at least 32 characters; every one is accepted (rotation).
    WEBHOOK_SECRET: Vec<String> = env "SIMOLOGY_WEBHOOK_SECRET", file None, default None, unset "required", parse list;
    /// Origins of the pages that embed the widget, comma-separated: the frame's `frame-ancestors`, return URLs and CORS.
    ALLOWED_ORIGINS: Vec<String> = env "PROXY_ALLOWED_ORIGINS", file Some("allowed_origins"), default None, unset "required unless `PROXY_AFFILIATES` is set", parse list;
    /// The widget's built files (`cargo xtask dist`'s `dist/`) that the frame document is made with.
    WIDGET_DIR: PathBuf = env "PROXY_WIDGET_DIR", file Some("widget_dir"), default None, unset "`/embed` answers 503", parse path;
    /// Where those files are published (a CDN folder); the frame loads its scripts and wasm from there.
    WIDGET_URL: String = env "PROXY_WIDGET_URL", file Some("widget_url"), default None, unset "served by the proxy under `/widget/<version>/`", parse text;
    /// The affiliates file; re-read on SIGHUP.
    AFFILIATES: PathBuf = env "PROXY_AFFILIATES", file Some("affiliates"), default None, unset "no affiliates", parse path;
    /// The endpoints file of outgoing webhooks; re-read on SIGHUP.
    WEBHOOKS: PathBuf = env "PROXY_WEBHOOKS", file Some("webhooks"), default None, unset "no webhooks", parse path;
    /// The listen address.
    LISTEN: SocketAddr = env "PROXY_LISTEN", file Some("listen"), default Some("127.0.0.1:8787"), unset "", parse address;
    /// Where the default SQLite file goes.
    DATA_DIR: PathBuf = env "PROXY_DATA_DIR", file Some("data_dir"), default Some(".data"), unset "", parse path;
    /// `sqlite://...` or `postgres://...` (also from `DATABASE_URL`); created and migrated at start.
    DATABASE_URL: String = env "PROXY_DATABASE_URL", file Some("database_url"), default None, unset "`sqlite://$PROXY_DATA_DIR/proxy.db`", parse text;
    /// At least 32 characters: the bearer token of `/admin`.
    ADMIN_TOKEN: String = env "PROXY_ADMIN_TOKEN", file None, default None, unset "`/admin` disabled", parse long_secret;
    /// A second listen address that serves `/admin` and `/metrics`, which then leave the public one.
    ADMIN_LISTEN: SocketAddr = env "PROXY_ADMIN_LISTEN", file Some("admin_listen"), default None, unset "`/admin` on `PROXY_LISTEN`", parse address;
    /// Open connections at most on the admin listener, apart from the public ones.
    ADMIN_MAX_CONNECTIONS: usize = env "PROXY_ADMIN_MAX_CONNECTIONS", file Some("admin_max_connections"), default Some("64"), unset "", parse connections;
    /// At least 32 characters: `/metrics` then asks for `Authorization: Bearer <token>`.
    METRICS_TOKEN: String = env "PROXY_METRICS_TOKEN", file None, default None, unset "`/metrics` unguarded", parse long_secret;
    /// `true` serves `/metrics` on `PROXY_LISTEN` even without a metrics token.
    METRICS_PUBLIC: bool = env "PROXY_METRICS_PUBLIC", file Some("metrics_public"), default Some("false"), unset "", parse boolean;
    /// At least 32 characters: the key of orders' log tags, affiliates' signed attributions and analytics ids (replicas share it).
    LOG_TAG_KEY: String = env "PROXY_LOG_TAG_KEY", file None, default None, unset "a random key per process", parse long_secret;
    /// Seconds the catalogue is fresh; refreshed in the background.
    CATALOG_TTL_SECS: u64 = env "PROXY_CATALOG_TTL_SECS", file Some("catalog_ttl_secs"), default Some("300"), unset "", parse seconds;
    /// Seconds between the reconciler's passes.
    RECONCILE_INTERVAL_SECS: u64 = env "PROXY_RECONCILE_INTERVAL_SECS", file Some("reconcile_interval_secs"), default Some("30"), unset "", parse seconds;
    /// Seconds after which orders not final are checked upstream.
    STALE_AFTER_SECS: u64 = env "PROXY_STALE_AFTER_SECS", file Some("stale_after_secs"), default Some("120"), unset "", parse seconds;
    /// The most eSIMs (travellers) one checkout may buy, 1 to 10.
    MAX_ESIMS_PER_ORDER: u32 = env "PROXY_MAX_ESIMS_PER_ORDER", file Some("max_esims_per_order"), default Some("10"), unset "", parse |v| number(v, 1, 10);
    /// Checkouts per client address per minute.
    CHECKOUT_PER_MINUTE: u32 = env "PROXY_CHECKOUT_PER_MINUTE", file Some("checkout_per_minute"), default Some("20"), unset "", parse at_least_1;
    /// Status, usage and catalogue reads per client per minute.
    STATUS_PER_MINUTE: u32 = env "PROXY_STATUS_PER_MINUTE", file Some("status_per_minute"), default Some("600"), unset "", parse at_least_1;
    /// Funnel beacons per client address per minute.
    BEACONS_PER_MINUTE: u32 = env "PROXY_BEACONS_PER_MINUTE", file Some("beacons_per_minute"), default Some("60"), unset "", parse at_least_1;
    /// Lookups of unknown order references per client per minute.
    MISSES_PER_MINUTE: u32 = env "PROXY_MISSES_PER_MINUTE", file Some("misses_per_minute"), default Some("30"), unset "", parse at_least_1;
    /// The proxies in front that append to `X-Forwarded-For`: their number, or their addresses and CIDRs.
    TRUSTED_PROXIES: TrustedProxies = env "PROXY_TRUSTED_PROXIES", file Some("trusted_proxies"), default None, unset "none: the socket's peer is the client", parse trusted;
    /// The older switch: `true` means `PROXY_TRUSTED_PROXIES=1` (which wins when both are set).
    TRUST_FORWARDED_FOR: bool = env "PROXY_TRUST_FORWARDED_FOR", file Some("trust_forwarded_for"), default Some("false"), unset "", parse boolean;
    /// Open connections at most, lowered at start to what the open-file limit allows.
    MAX_CONNECTIONS: usize = env "PROXY_MAX_CONNECTIONS", file Some("max_connections"), default Some("16384"), unset "", parse connections;
    /// Seconds a request's headers may take to arrive.
    HEADER_READ_TIMEOUT_SECS: u64 = env "PROXY_HEADER_READ_TIMEOUT_SECS", file Some("header_read_timeout_secs"), default Some("10"), unset "", parse seconds;
    /// Seconds a keep-alive connection with no request in flight stays open.
    IDLE_TIMEOUT_SECS: u64 = env "PROXY_IDLE_TIMEOUT_SECS", file Some("idle_timeout_secs"), default Some("30"), unset "", parse seconds;
    /// Seconds a request's body may take to arrive, from the end of its headers.
    BODY_TIMEOUT_SECS: u64 = env "PROXY_BODY_TIMEOUT_SECS", file Some("body_timeout_secs"), default Some("10"), unset "", parse seconds;
    /// Long-polls one client may hold waiting; beyond, a long-poll answers at once.
    LONG_POLLS_PER_CLIENT: u32 = env "PROXY_LONG_POLLS_PER_CLIENT", file Some("long_polls_per_client"), default Some("20"), unset "", parse |v| number(v, 0, u32::MAX);
    /// Orders whose serialised status is kept in memory (0: none).
    STATUS_CACHE_ORDERS: usize = env "PROXY_STATUS_CACHE_ORDERS", file Some("status_cache_orders"), default Some("10000"), unset "", parse |v| number(v, 0, usize::MAX);
    /// `json` or `text`; logs go to stderr, `RUST_LOG` filters.
    LOG_FORMAT: super::LogFormat = env "PROXY_LOG_FORMAT", file Some("log_format"), default Some("json"), unset "", parse log_format;
    /// This proxy's public URL, printed at start with the webhook URL to register.
    PUBLIC_URL: String = env "PROXY_PUBLIC_URL", file Some("public_url"), default None, unset "not printed", parse text;
}

/// Variables with these prefixes are the proxy's: one not declared stops it.
pub const PREFIXES: [&str; 2] = ["PROXY_", "SIMOLOGY_"];

/// Variables with those prefixes that are not settings of the proxy's, and who reads
/// them.
pub const NOT_SETTINGS: &[(&str, &str)] = &[
    ("PROXY_CONFIG", "the config file's path (`--config`)"),
    (
        "PROXY_TEST_DATABASE_URL",
        "the proxy's integration tests (a PostgreSQL server)",
    ),
    ("SIMOLOGY_DEMO_BIN", "the e2e tests (the demo's binary)"),
    (
        "SIMOLOGY_VERSION",
        "`deploy/compose.yaml` (the image's tag)",
    ),
];

/// Every environment name the proxy knows: the settings, the secrets' `_FILE`
/// variants, and [`NOT_SETTINGS`].
pub fn known_names() -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for m in ALL {
        names.push(m.env.to_owned());
        if m.file_variable() {
            names.push(format!("{}_FILE", m.env));
        }
    }
    names.extend(NOT_SETTINGS.iter().map(|(n, _)| (*n).to_owned()));
    names
}

/// The known name nearest to `name` (by edit distance), when one is near enough to be
/// a typo of it.
pub fn nearest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// The settings as a Markdown table (the docs' settings reference).
pub fn markdown() -> String {
    let mut table = Table::new(&[
        ("variable", Align::Left),
        ("config file key", Align::Left),
        ("default", Align::Left),
        ("", Align::Left),
    ]);
    for m in ALL {
        let env = if m.secret() {
            format!("`{}` (secret; or `{}_FILE`)", m.env, m.env)
        } else {
            format!("`{}`", m.env)
        };
        let key = m
            .file
            .map_or_else(|| "none (secret)".to_owned(), |k| format!("`{k}`"));
        let default = match (m.default, m.unset) {
            (Some(d), "") => format!("`{d}`"),
            (_, unset) => unset.to_owned(),
        };
        table.row([env, key, default, m.doc.trim().to_owned()]);
    }
    table.markdown()
}

/// The settings for `--help`: a line each.
pub fn help() -> String {
    let mut out = String::from(
        "Settings (environment, or the config file's key; the environment wins; secrets only \
         from the environment or <NAME>_FILE):\n",
    );
    let mut table = Table::headless(&[Align::Left, Align::Left]).indent(2);
    for m in ALL {
        let default = match (m.default, m.unset) {
            (Some(d), "") => d.to_owned(),
            (_, unset) => unset.replace('`', ""),
        };
        table.row([
            m.env.to_owned(),
            format!("{} [{default}]", m.doc.trim().replace('`', "")),
        ]);
    }
    out.push_str(&table.text());
    out
}
