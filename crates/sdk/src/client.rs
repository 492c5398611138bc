//! The HTTP client: authentication, idempotency, retries and a circuit breaker.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::{header, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

use crate::error::{ApiError, Error, Result};
use crate::models::{
    CatalogQuery, CatalogResponse, CheckoutSession, CheckoutSessionRequest, ErrorBody, LineStatus,
    Order, Refund, RefundRequest, Topup, TopupRequest,
};

/// The production API's host.
pub const PRODUCTION_HOST: &str = "api.simology.io";
/// The sandbox API's host.
pub const SANDBOX_HOST: &str = "sandbox-api.simology.io";

/// Sandbox or production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Test payments and simulated activation; keys start `sk_sandbox_`.
    Sandbox,
    /// Real money and real eSIMs; keys start `sk_live_`.
    Production,
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Environment::Sandbox => "sandbox",
            Environment::Production => "production",
        })
    }
}

impl Environment {
    /// The environment a key belongs to, from its prefix.
    pub fn of_key(key: &str) -> Option<Environment> {
        if key.starts_with("sk_sandbox_") {
            Some(Environment::Sandbox)
        } else if key.starts_with("sk_live_") {
            Some(Environment::Production)
        } else {
            None
        }
    }

    /// The environment a base URL points at: the production host is production, every
    /// other host (the sandbox host, a local simulator) is treated as a sandbox.
    pub fn of_url(url: &Url) -> Environment {
        if url.host_str() == Some(PRODUCTION_HOST) {
            Environment::Production
        } else {
            Environment::Sandbox
        }
    }

    /// The default base URL.
    pub fn base_url(&self) -> Url {
        let text = match self {
            Environment::Sandbox => "https://sandbox-api.simology.io",
            Environment::Production => "https://api.simology.io",
        };
        // Both literals are valid URLs.
        Url::parse(text).unwrap_or_else(|_| unreachable!("constant URL"))
    }
}

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

/// When and how often a call is retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first backoff's ceiling; each retry doubles it (full jitter picks below it).
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
    /// The whole call, every attempt and wait included, ends by this.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries: one attempt.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Exponential backoff with full jitter: uniform in `[0, min(max, base × 2^retry)]`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.min(20)))
            .min(self.max_delay);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }
}

/// Circuit breaker settings.
#[derive(Debug, Clone)]
pub struct BreakerConfig {
    /// Consecutive failures (5xx, timeouts, connection errors) that open the circuit.
    pub failure_threshold: u32,
    /// How long the circuit stays open before one trial request is let through.
    pub cool_down: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

/// The circuit breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    /// Requests flow.
    Closed,
    /// Requests are refused without being sent.
    Open,
    /// The cool-down is over: one trial request decides.
    HalfOpen,
}

#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
    trial_in_flight: bool,
}

impl Breaker {
    fn state(&self, now: Instant) -> CircuitState {
        match self.open_until {
            None => CircuitState::Closed,
            Some(t) if now < t => CircuitState::Open,
            Some(_) => CircuitState::HalfOpen,
        }
    }

    fn admit(&mut self, now: Instant) -> Result<()> {
        match self.state(now) {
            CircuitState::Closed => Ok(()),
            CircuitState::Open => Err(Error::CircuitOpen {
                retry_in: self.open_until.map_or(Duration::ZERO, |t| t - now),
            }),
            CircuitState::HalfOpen if self.trial_in_flight => Err(Error::CircuitOpen {
                retry_in: Duration::ZERO,
            }),
            CircuitState::HalfOpen => {
                self.trial_in_flight = true;
                Ok(())
            }
        }
    }

    fn success(&mut self) {
        *self = Breaker::default();
    }

    fn failure(&mut self, config: &BreakerConfig, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        if self.trial_in_flight || self.failures >= config.failure_threshold {
            self.open_until = Some(now + config.cool_down);
            self.trial_in_flight = false;
        }
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

/// A success answer and the request id it came with.
#[derive(Debug, Clone)]
pub struct Reply<T> {
    /// The body.
    pub value: T,
    /// The `request-id` response header, for support and logs.
    pub request_id: Option<String>,
    /// True when the API replayed a stored answer for a repeated idempotency key.
    pub replayed: bool,
}

impl<T> Reply<T> {
    /// The body.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> std::ops::Deref for Reply<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// The Simology API client. Cheap to clone; clones share the connection pool and the
/// circuit breaker.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    breaker: Arc<Mutex<Breaker>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.config.base_url.as_str())
            .field("api_key", &self.config.api_key)
            .finish()
    }
}

/// Generates an idempotency key: 128 random bits in hex.
pub fn new_idempotency_key() -> String {
    let bits: u128 = rand::rng().random();
    format!("idem_{bits:032x}")
}

fn request_id(headers: &header::HeaderMap) -> Option<String> {
    ["request-id", "request_id", "x-request-id"]
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn retry_after(headers: &header::HeaderMap, body: Option<u64>) -> Option<Duration> {
    headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .or(body)
        .map(Duration::from_secs)
}

enum Attempt<T> {
    Done(Result<Reply<T>>),
    Retry {
        error: Error,
        wait: Option<Duration>,
    },
}

impl Client {
    /// Builds a client.
    ///
    /// # Errors
    /// [`Error::EnvironmentMismatch`] when the key's environment is not the base URL's
    /// (a sandbox key against production or a live key against the sandbox), and
    /// [`Error::Config`] for a key of no known environment.
    pub fn new(config: ClientConfig) -> Result<Self> {
        let key_env = Environment::of_key(config.api_key.expose()).ok_or_else(|| {
            Error::Config("SIMOLOGY_API_KEY must start with sk_sandbox_ or sk_live_".into())
        })?;
        let url_env = Environment::of_url(&config.base_url);
        if key_env != url_env {
            return Err(Error::EnvironmentMismatch {
                key: key_env,
                url: url_env,
            });
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("simology-rust/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Client {
            http,
            config: Arc::new(config),
            breaker: Arc::new(Mutex::new(Breaker::default())),
        })
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.config.base_url
    }

    /// The environment this client talks to.
    pub fn environment(&self) -> Environment {
        Environment::of_url(&self.config.base_url)
    }

    /// The circuit breaker's state now.
    pub fn circuit_state(&self) -> CircuitState {
        self.breaker
            .lock()
            .map(|b| b.state(Instant::now()))
            .unwrap_or(CircuitState::Closed)
    }

    /// `GET /v1/catalog`.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn catalog(&self, query: &CatalogQuery) -> Result<Reply<CatalogResponse>> {
        let path = match query {
            CatalogQuery::All => "/v1/catalog".to_owned(),
            CatalogQuery::Country(c) => format!("/v1/catalog?country={}", encode(c)),
            CatalogQuery::Region(r) => format!("/v1/catalog?region={}", encode(r)),
        };
        self.call::<(), _>(Method::GET, &path, None, None).await
    }

    /// `POST /v1/checkout/sessions`. The idempotency key is the caller's (derive it from
    /// the buyer's intent) or, when `None`, a new random one; every retry reuses it.
    ///
    /// # Errors
    /// See [`Error`]; `sku_unavailable` comes as [`Error::Validation`].
    pub async fn create_checkout_session(
        &self,
        request: &CheckoutSessionRequest,
        idempotency_key: Option<&str>,
    ) -> Result<Reply<CheckoutSession>> {
        self.call(
            Method::POST,
            "/v1/checkout/sessions",
            Some(request),
            idempotency_key,
        )
        .await
    }

    /// `GET /v1/checkout/sessions/{session_id}`: a session's state (and its order once
    /// paid), for reconciling when webhooks are late.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn checkout_session(&self, session_id: &str) -> Result<Reply<CheckoutSession>> {
        let path = format!("/v1/checkout/sessions/{}", encode(session_id));
        self.call::<(), _>(Method::GET, &path, None, None).await
    }

    /// `GET /v1/orders/{order_id}`.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn order(&self, order_id: &str) -> Result<Reply<Order>> {
        let path = format!("/v1/orders/{}", encode(order_id));
        self.call::<(), _>(Method::GET, &path, None, None).await
    }

    /// `GET /v1/lines/{iccid}`.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn line(&self, iccid: &str) -> Result<Reply<LineStatus>> {
        let path = format!("/v1/lines/{}", encode(iccid));
        self.call::<(), _>(Method::GET, &path, None, None).await
    }

    /// `POST /v1/topups`.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn create_topup(
        &self,
        request: &TopupRequest,
        idempotency_key: Option<&str>,
    ) -> Result<Reply<Topup>> {
        self.call(Method::POST, "/v1/topups", Some(request), idempotency_key)
            .await
    }

    /// `POST /v1/refunds`. Entitlements change only when `refund.processed` arrives.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn create_refund(
        &self,
        request: &RefundRequest,
        idempotency_key: Option<&str>,
    ) -> Result<Reply<Refund>> {
        self.call(Method::POST, "/v1/refunds", Some(request), idempotency_key)
            .await
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&B>,
        idempotency_key: Option<&str>,
    ) -> Result<Reply<T>> {
        let url = self
            .config
            .base_url
            .join(path_and_query)
            .map_err(|e| Error::Config(format!("bad path {path_and_query}: {e}")))?;
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| Error::Config(format!("request body: {e}")))?;
        // One key for the whole call: every retry of this POST carries the same one.
        let idem = (method == Method::POST)
            .then(|| idempotency_key.map_or_else(new_idempotency_key, str::to_owned));
        let policy = &self.config.retry;
        let started = Instant::now();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let outcome = self
                .attempt(&method, &url, body.as_deref(), idem.as_deref())
                .await;
            let (error, wait) = match outcome {
                Attempt::Done(result) => return result,
                Attempt::Retry { error, wait } => (error, wait),
            };
            let wait = wait.unwrap_or_else(|| policy.backoff(attempt - 1));
            let out_of_time = started.elapsed() + wait > policy.max_elapsed;
            if attempt >= policy.max_attempts || out_of_time {
                return Err(error);
            }
            tracing::debug!(
                %method, path = url.path(), attempt, wait_ms = wait.as_millis() as u64,
                code = error.code(), "retrying Simology request"
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        idempotency_key: Option<&str>,
    ) -> Attempt<T> {
        let admitted = match self.breaker.lock() {
            Ok(mut b) => b.admit(Instant::now()),
            Err(_) => Ok(()),
        };
        if let Err(e) = admitted {
            return Attempt::Done(Err(e));
        }
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(self.config.api_key.expose())
            .header(header::ACCEPT, "application/json");
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                self.record(false);
                let error = if e.is_timeout() {
                    Error::Timeout
                } else {
                    Error::Transport(e.without_url().to_string())
                };
                return Attempt::Retry { error, wait: None };
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let request_id = request_id(&headers);
        let replayed = headers
            .get("idempotent-replayed")
            .is_some_and(|v| v.as_bytes() == b"true");
        let bytes = match response.bytes().await {
            Ok(b) => b,
            Err(e) => {
                self.record(false);
                let error = if e.is_timeout() {
                    Error::Timeout
                } else {
                    Error::Transport(e.without_url().to_string())
                };
                return Attempt::Retry { error, wait: None };
            }
        };
        tracing::debug!(%method, path = url.path(), status = status.as_u16(), request_id = request_id.as_deref(), "Simology response");
        if status.is_success() {
            self.record(true);
            return Attempt::Done(
                serde_json::from_slice(&bytes)
                    .map(|value| Reply {
                        value,
                        request_id: request_id.clone(),
                        replayed,
                    })
                    .map_err(|e| Error::Decode {
                        request_id,
                        message: e.to_string(),
                    }),
            );
        }
        let envelope = serde_json::from_slice::<ErrorBody>(&bytes).ok();
        let body_retry_after = envelope.as_ref().and_then(|e| e.error.retry_after);
        let detail = match envelope {
            Some(ErrorBody { error }) => ApiError {
                status: status.as_u16(),
                code: error.code,
                message: error.message,
                request_id: error.request_id.or(request_id),
            },
            None => ApiError {
                status: status.as_u16(),
                code: if status.is_server_error() {
                    "server_error".into()
                } else {
                    "unexpected_status".into()
                },
                message: format!("HTTP {status} without an error envelope"),
                request_id,
            },
        };
        match status {
            StatusCode::TOO_MANY_REQUESTS => {
                // A rate limit says nothing about the server's health.
                self.record(true);
                let retry_after = retry_after(&headers, body_retry_after);
                Attempt::Retry {
                    error: Error::RateLimited {
                        retry_after,
                        detail,
                    },
                    wait: Some(retry_after.unwrap_or(Duration::from_secs(1))),
                }
            }
            s if s.is_server_error() => {
                self.record(false);
                Attempt::Retry {
                    error: Error::Server(detail),
                    wait: None,
                }
            }
            s => {
                self.record(true);
                Attempt::Done(Err(match s {
                    StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
                        Error::Validation(detail)
                    }
                    StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Auth(detail),
                    StatusCode::NOT_FOUND => Error::NotFound(detail),
                    StatusCode::CONFLICT => Error::Conflict(detail),
                    _ => Error::Other(detail),
                }))
            }
        }
    }

    fn record(&self, healthy: bool) {
        if let Ok(mut b) = self.breaker.lock() {
            if healthy {
                b.success();
            } else {
                b.failure(&self.config.breaker, Instant::now());
            }
        }
    }
}

fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_urls_must_agree() {
        let live = ClientConfig::new("sk_live_abc").expect("valid key");
        assert_eq!(live.base_url.as_str(), "https://api.simology.io/");
        let err = Client::new(
            live.clone()
                .with_base_url("https://sandbox-api.simology.io")
                .expect("url"),
        )
        .expect_err("live key against the sandbox");
        assert!(matches!(err, Error::EnvironmentMismatch { .. }));
        let sandbox = ClientConfig::new("sk_sandbox_abc")
            .expect("valid key")
            .with_base_url("https://api.simology.io")
            .expect("url");
        assert!(matches!(
            Client::new(sandbox),
            Err(Error::EnvironmentMismatch { .. })
        ));
        assert!(matches!(
            ClientConfig::new("pk_test"),
            Err(Error::Config(_))
        ));
        assert!(Client::new(ClientConfig::new("sk_sandbox_abc").expect("valid")).is_ok());
    }

    #[test]
    fn the_key_never_shows_in_debug() {
        let config = ClientConfig::new("sk_sandbox_supersecret").expect("valid");
        let text = format!("{config:?}");
        assert!(!text.contains("supersecret"), "{text}");
        let client = Client::new(config).expect("valid");
        assert!(!format!("{client:?}").contains("supersecret"));
    }

    #[test]
    fn backoff_is_bounded_full_jitter() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for retry in 0..10 {
            let ceiling = (100u64 << retry).min(1000);
            for _ in 0..50 {
                assert!(p.backoff(retry) <= Duration::from_millis(ceiling));
            }
        }
        // Full jitter spreads the waits: 200 draws are not all the same.
        let draws: std::collections::HashSet<_> = (0..200).map(|_| p.backoff(5)).collect();
        assert!(draws.len() > 10);
    }

    #[test]
    fn breaker_opens_then_half_opens() {
        let config = BreakerConfig {
            failure_threshold: 3,
            cool_down: Duration::from_secs(10),
        };
        let mut b = Breaker::default();
        let t0 = Instant::now();
        for _ in 0..2 {
            b.failure(&config, t0);
        }
        assert_eq!(b.state(t0), CircuitState::Closed);
        b.failure(&config, t0);
        assert_eq!(b.state(t0), CircuitState::Open);
        assert!(matches!(b.admit(t0), Err(Error::CircuitOpen { .. })));
        let later = t0 + Duration::from_secs(11);
        assert_eq!(b.state(later), CircuitState::HalfOpen);
        assert!(b.admit(later).is_ok(), "one trial goes through");
        assert!(b.admit(later).is_err(), "only one trial at a time");
        b.failure(&config, later);
        assert_eq!(b.state(later), CircuitState::Open, "a failed trial reopens");
        let much_later = later + Duration::from_secs(11);
        assert!(b.admit(much_later).is_ok());
        b.success();
        assert_eq!(b.state(much_later), CircuitState::Closed);
    }
}
