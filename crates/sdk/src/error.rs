//! The SDK's errors: one variant per error code of the guide, plus local causes.

use std::time::Duration;

use crate::environment::Environment;

/// An error answer from the API, in its canonical envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The envelope's `code`, e.g. `validation_error` or `sku_unavailable`.
    pub code: String,
    /// The envelope's message: for logs, never for travellers.
    pub message: String,
    /// The request's id, from the envelope or the `request-id` header.
    pub request_id: Option<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request_id {id})")?;
        }
        Ok(())
    }
}

/// Everything a call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400 `validation_error` (or a more specific 400 code such as `sku_unavailable`):
    /// the request is malformed.
    #[error("validation error: {0}")]
    Validation(ApiError),
    /// 401/403 `auth_error`: bad or expired credentials, or a key of the wrong environment.
    #[error("authentication error: {0}")]
    Auth(ApiError),
    /// 404 `not_found`: the order or line id is not recognised.
    #[error("not found: {0}")]
    NotFound(ApiError),
    /// 409 `conflict`: the idempotency key was used with another body.
    #[error("conflict: {0}")]
    Conflict(ApiError),
    /// 429 `rate_limited`, after the retries the policy allows.
    #[error("rate limited (retry after {retry_after:?}): {detail}")]
    RateLimited {
        /// How long the API asked to wait.
        retry_after: Option<Duration>,
        /// The error answer.
        detail: ApiError,
    },
    /// 5xx `server_error`, after the retries the policy allows.
    #[error("server error: {0}")]
    Server(ApiError),
    /// Another error status the guide does not name.
    #[error("unexpected error answer: {0}")]
    Other(ApiError),
    /// The circuit breaker is open after consecutive server errors; no request was sent.
    #[error("circuit open after repeated server errors; retry in {retry_in:?}")]
    CircuitOpen {
        /// Time left before a trial request is let through.
        retry_in: Duration,
    },
    /// The key belongs to another environment than the base URL; no request was sent.
    #[error("a {key} key cannot be used against the {url} API")]
    EnvironmentMismatch {
        /// The key's environment.
        key: Environment,
        /// The base URL's environment.
        url: Environment,
    },
    /// The configuration is invalid; no request was sent.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The request timed out, after the retries the policy allows.
    #[error("request timed out")]
    Timeout,
    /// The connection failed, after the retries the policy allows.
    #[error("connection failed: {0}")]
    Transport(String),
    /// A success answer whose body is not what the API documents.
    #[error("unexpected response body (request_id {request_id:?}): {message}")]
    Decode {
        /// The request's id.
        request_id: Option<String>,
        /// What did not parse.
        message: String,
    },
}

impl Error {
    /// The error code for logs and metrics: the envelope's code for API errors, a local
    /// name otherwise.
    pub fn code(&self) -> &str {
        match self {
            Error::Validation(e)
            | Error::Auth(e)
            | Error::NotFound(e)
            | Error::Conflict(e)
            | Error::Server(e)
            | Error::Other(e)
            | Error::RateLimited { detail: e, .. } => &e.code,
            Error::CircuitOpen { .. } => "circuit_open",
            Error::EnvironmentMismatch { .. } => "environment_mismatch",
            Error::Config(_) => "config_error",
            Error::Timeout => "timeout",
            Error::Transport(_) => "transport_error",
            Error::Decode { .. } => "decode_error",
        }
    }

    /// The API's request id, when the API answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Validation(e)
            | Error::Auth(e)
            | Error::NotFound(e)
            | Error::Conflict(e)
            | Error::Server(e)
            | Error::Other(e)
            | Error::RateLimited { detail: e, .. } => e.request_id.as_deref(),
            Error::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// Whether trying the same call later may succeed (server errors, rate limits,
    /// timeouts, connection failures, an open circuit).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. }
                | Error::Server(_)
                | Error::CircuitOpen { .. }
                | Error::Timeout
                | Error::Transport(_)
        )
    }
}

/// The SDK's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
