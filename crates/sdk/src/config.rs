//! How a client is set up: the API key and the [`ClientConfig`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

use crate::breaker::BreakerConfig;
use crate::clock::{Clock, SystemClock};
use crate::environment::Environment;
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;

/// An API key. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env = Environment::of_key(&self.0).map_or("unknown", |e| match e {
            Environment::Sandbox => "sk_sandbox_",
            Environment::Production => "sk_live_",
        });
        write!(f, "ApiKey({env}****)")
    }
}

/// How a client is set up.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The API's base URL.
    pub base_url: Url,
    /// The partner's key.
    pub api_key: ApiKey,
    /// One attempt's time limit.
    pub timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
    /// Circuit breaker.
    pub breaker: BreakerConfig,
    /// The time the breaker and the retries go by: [`SystemClock`] unless a test puts a
    /// [`ManualClock`](crate::clock::ManualClock) here.
    pub clock: Arc<dyn Clock>,
}

impl ClientConfig {
    /// A configuration for a key, at its environment's default URL.
    ///
    /// # Errors
    /// [`Error::Config`] when the key has neither the `sk_sandbox_` nor the `sk_live_`
    /// prefix.
    pub fn new(api_key: impl Into<String>) -> Result<Self> {
        let api_key = ApiKey::new(api_key);
        let env = Environment::of_key(api_key.expose()).ok_or_else(|| {
            Error::Config("SIMOLOGY_API_KEY must start with sk_sandbox_ or sk_live_".into())
        })?;
        Ok(ClientConfig {
            base_url: env.base_url(),
            api_key,
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            breaker: BreakerConfig::default(),
            clock: Arc::new(SystemClock),
        })
    }

    /// Another base URL (a local sandbox, say).
    ///
    /// # Errors
    /// [`Error::Config`] when the URL is not an absolute https URL, or an http URL of a
    /// loopback host (see [`check_base_url`]).
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self> {
        let url = Url::parse(base_url)
            .map_err(|e| Error::Config(format!("SIMOLOGY_BASE_URL is not a URL: {e}")))?;
        check_base_url(&url)?;
        self.base_url = url;
        Ok(self)
    }

    /// From the environment variables `SIMOLOGY_API_KEY` and, optionally,
    /// `SIMOLOGY_BASE_URL`.
    ///
    /// # Errors
    /// [`Error::Config`] naming the variable that is missing or invalid.
    pub fn from_env() -> Result<Self> {
        let key = std::env::var("SIMOLOGY_API_KEY")
            .map_err(|_| Error::Config("SIMOLOGY_API_KEY is not set".into()))?;
        let config = ClientConfig::new(key)?;
        match std::env::var("SIMOLOGY_BASE_URL") {
            Ok(url) if !url.is_empty() => config.with_base_url(&url),
            _ => Ok(config),
        }
    }
}

/// Checks a base URL: https to any host, or plain http to a loopback host only
/// (`127.0.0.0/8`, `::1`, `localhost`: a sandbox on this machine). Anywhere else, http
/// would send the API key and every buyer's data in clear text.
///
/// # Errors
/// [`Error::Config`] naming what is wrong.
pub fn check_base_url(url: &Url) -> Result<()> {
    let host = url.host().ok_or_else(|| {
        Error::Config("SIMOLOGY_BASE_URL must be an http or https URL with a host".into())
    })?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&host) => Ok(()),
        "http" => Err(Error::Config(format!(
            "SIMOLOGY_BASE_URL: plain http is only allowed to a loopback host \
             (127.0.0.0/8, ::1, localhost), not {host}; use https"
        ))),
        _ => Err(Error::Config(
            "SIMOLOGY_BASE_URL must be an http or https URL".into(),
        )),
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
        // The URL parser lowercases domains.
        Host::Domain(name) => *name == "localhost",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(url: &str) -> Result<ClientConfig> {
        ClientConfig::new("sk_sandbox_x")
            .expect("key")
            .with_base_url(url)
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for url in [
            "http://127.0.0.1:8083",
            "http://127.1.2.3/",
            "http://[::1]:8080",
            "http://localhost:3000",
            "http://LocalHost",
            "https://sandbox-api.simology.io",
            "https://10.0.0.5:8443",
        ] {
            assert!(with(url).is_ok(), "{url} is allowed");
        }
        for url in [
            "http://sandbox-api.simology.io",
            "http://10.0.0.5",
            "http://128.0.0.1",
            "http://[::ffff:127.0.0.1]",
            "http://[::2]",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
        ] {
            match with(url) {
                Err(Error::Config(message)) => {
                    assert!(message.contains("loopback"), "{url}: {message}");
                }
                other => panic!("{url} must be refused, got {other:?}"),
            }
        }
        for url in ["ftp://127.0.0.1", "file:///tmp/x", "not a url"] {
            assert!(matches!(with(url), Err(Error::Config(_))), "{url}");
        }
    }
}
