//! The transport: [`Client`] sends each call with authentication and an idempotency key,
//! retries it under the [`RetryPolicy`], and asks the circuit breaker first.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use reqwest::{header, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

use crate::breaker::CircuitBreaker;
use crate::error::{ApiError, Error, Result};
use crate::models::{
    CatalogQuery, CatalogResponse, CheckoutSession, CheckoutSessionRequest, ErrorBody,
    LineRefundRequest, LineStatus, Order, Refund, RefundRequest, Topup, TopupRequest,
};

// The paths these had before the client was split into modules.
pub use crate::breaker::{BreakerConfig, CircuitState};
pub use crate::config::{ApiKey, ClientConfig};
pub use crate::environment::{Environment, PRODUCTION_HOST, SANDBOX_HOST};
pub use crate::retry::RetryPolicy;

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
    breaker: Arc<CircuitBreaker>,
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
    /// [`Error::Config`] for a key of no known environment or a base URL that
    /// [`check_base_url`](crate::config::check_base_url) refuses (plain http to a host
    /// that is not loopback).
    pub fn new(config: ClientConfig) -> Result<Self> {
        // The field is public, so a URL set without `with_base_url` is checked here.
        crate::config::check_base_url(&config.base_url)?;
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
        let breaker = CircuitBreaker::new(config.breaker.clone(), Arc::clone(&config.clock));
        Ok(Client {
            http,
            config: Arc::new(config),
            breaker: Arc::new(breaker),
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
        self.breaker.state()
    }

    /// `GET /v1/catalog`. Items that do not match the model are skipped, each with a
    /// warning in the logs, and listed in [`CatalogResponse::skipped`]; the others are
    /// returned.
    ///
    /// # Errors
    /// See [`Error`]; [`Error::Decode`] only when the answer's envelope is wrong.
    pub async fn catalog(&self, query: &CatalogQuery) -> Result<Reply<CatalogResponse>> {
        let path = match query {
            CatalogQuery::All => "/v1/catalog".to_owned(),
            CatalogQuery::Country(c) => format!("/v1/catalog?country={}", encode(c)),
            CatalogQuery::Region(r) => format!("/v1/catalog?region={}", encode(r)),
        };
        let reply: Reply<CatalogResponse> =
            self.call::<(), _>(Method::GET, &path, None, None).await?;
        for skipped in &reply.skipped {
            tracing::warn!(
                sku = skipped.sku.as_deref(),
                reason = %skipped.reason,
                request_id = reply.request_id.as_deref(),
                "catalogue item skipped: it does not match the SDK's model"
            );
        }
        Ok(reply)
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

    /// `POST /v1/refunds` for a whole order (every line not yet refunded).
    /// Entitlements change only when `refund.processed` arrives.
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

    /// `POST /v1/refunds` for one line of an order (the request's `iccid`). Only that
    /// line stops, once `refund.processed` (which names the line) arrives.
    ///
    /// # Errors
    /// See [`Error`]; a line already refunded (or being refunded) is
    /// [`Error::Validation`], a line of another order too.
    pub async fn create_line_refund(
        &self,
        request: &LineRefundRequest,
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
        let clock = &self.config.clock;
        let started = clock.now();
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
            let out_of_time =
                clock.now().saturating_duration_since(started) + wait > policy.max_elapsed;
            if attempt >= policy.max_attempts || out_of_time {
                return Err(error);
            }
            tracing::debug!(
                %method, path = url.path(), attempt, wait_ms = wait.as_millis() as u64,
                code = error.code(), "retrying Simology request"
            );
            clock.sleep(wait).await;
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        idempotency_key: Option<&str>,
    ) -> Attempt<T> {
        // The permit reports this attempt's outcome to the breaker; if this future is
        // dropped first, dropping the permit ends the attempt without a verdict.
        let permit = match self.breaker.admit() {
            Ok(permit) => permit,
            Err(e) => return Attempt::Done(Err(e)),
        };
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
                permit.record(false);
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
                permit.record(false);
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
            permit.record(true);
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
                permit.record(true);
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
                permit.record(false);
                Attempt::Retry {
                    error: Error::Server(detail),
                    wait: None,
                }
            }
            s => {
                permit.record(true);
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
    fn a_client_refuses_plain_http_to_another_host() {
        let mut config = ClientConfig::new("sk_sandbox_abc").expect("valid");
        config.base_url = Url::parse("http://sandbox-api.simology.io").expect("url");
        match Client::new(config) {
            Err(Error::Config(message)) => assert!(message.contains("loopback"), "{message}"),
            other => panic!("plain http to a remote host: {other:?}"),
        }
    }

    #[test]
    fn the_key_never_shows_in_debug() {
        let config = ClientConfig::new("sk_sandbox_supersecret").expect("valid");
        let text = format!("{config:?}");
        assert!(!text.contains("supersecret"), "{text}");
        let client = Client::new(config).expect("valid");
        assert!(!format!("{client:?}").contains("supersecret"));
    }
}
