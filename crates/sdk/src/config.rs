//! How a client is set up: the API key and the [`ClientConfig`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

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
    /// [`Error::Config`] when the URL is not an absolute http(s) URL.
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self> {
        let url = Url::parse(base_url)
            .map_err(|e| Error::Config(format!("SIMOLOGY_BASE_URL is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Error::Config(
                "SIMOLOGY_BASE_URL must be an http or https URL".into(),
            ));
        }
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
