//! `/admin`: partner operations behind their own token (disabled when
//! `PROXY_ADMIN_TOKEN` is unset), checked by a layer that throttles failed attempts per
//! client. With `PROXY_ADMIN_LISTEN`, these routes are served on that listener only.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use sha2::Digest;

use crate::client_ip::client_ip;
use crate::domain::parse_order_ref;
use crate::error::ApiError;
use crate::ratelimit::RateLimiter;
use crate::routes::affiliates;
use crate::services::refund::request_refund;
use crate::state::SharedState;

/// Failed authentications a client may make per minute, in bursts of 3: a few typos
/// pass, guessing does not.
const FAILURES_PER_MINUTE: u32 = 6;

/// Clients remembered as throttled before those whose wait is over are forgotten.
const REMEMBERED_CLIENTS: usize = 10_000;

/// The routes, behind the token check.
pub fn router(state: &SharedState) -> Router<SharedState> {
    let throttle = Arc::new(AuthThrottle::new(FAILURES_PER_MINUTE));
    Router::new()
        .route("/admin/orders/{order_ref}/refund", post(refund))
        .merge(affiliates::admin_router())
        .route_layer(from_fn_with_state(
            (Arc::clone(state), throttle),
            authenticate,
        ))
}

/// Failed authentications per client: each one spends the client's budget, and a
/// client over it is refused before its token is even compared, until its budget has
/// room again (so a guess made while throttled says nothing, right or wrong).
pub struct AuthThrottle {
    failures: RateLimiter,
    throttled: Mutex<HashMap<IpAddr, Instant>>,
}

impl AuthThrottle {
    /// A throttle of `per_minute` failures a minute per client.
    pub fn new(per_minute: u32) -> Self {
        AuthThrottle {
            failures: RateLimiter::new(per_minute),
            throttled: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds)` while `client` is throttled.
    pub fn admit(&self, client: IpAddr) -> Result<(), u64> {
        let Ok(mut throttled) = self.throttled.lock() else {
            return Ok(());
        };
        match throttled.get(&client) {
            Some(until) => match until.checked_duration_since(Instant::now()) {
                Some(left) => Err(left.as_secs().max(1)),
                None => {
                    throttled.remove(&client);
                    Ok(())
                }
            },
            None => Ok(()),
        }
    }

    /// Records a failed authentication of `client`; `Err(seconds)` when it is over its
    /// budget, and throttled from now on for that long.
    pub fn failed(&self, client: IpAddr) -> Result<(), u64> {
        self.failures.check(client).inspect_err(|&secs| {
            if let Ok(mut throttled) = self.throttled.lock() {
                if throttled.len() >= REMEMBERED_CLIENTS {
                    let now = Instant::now();
                    throttled.retain(|_, until| *until > now);
                }
                throttled.insert(client, Instant::now() + Duration::from_secs(secs));
            }
        })
    }
}

/// Whether `headers` carry `Authorization: Bearer <token>`; digests are compared, so
/// the time taken says nothing about the token.
pub fn bearer_is(headers: &HeaderMap, token: &str) -> bool {
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    sha2::Sha256::digest(given.as_bytes()) == sha2::Sha256::digest(token.as_bytes())
}

/// The admin token check, as a layer: a throttled client gets 429 with the seconds to
/// wait; a missing or wrong token 401 (429 once the client is over its budget).
async fn authenticate(
    State((state, throttle)): State<(SharedState, Arc<AuthThrottle>)>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let client = client_ip(&state.settings, &parts);
    let request = Request::from_parts(parts, body);
    if let Err(secs) = throttle.admit(client) {
        return ApiError::RateLimited(secs).into_response();
    }
    let good = state
        .settings
        .admin_token
        .as_deref()
        .is_some_and(|token| bearer_is(request.headers(), token));
    if good {
        return next.run(request).await;
    }
    state.metrics.admin_auth_failed();
    tracing::warn!(client = %client, "admin authentication failed");
    match throttle.failed(client) {
        Ok(()) => ApiError::Unauthorised.into_response(),
        Err(secs) => ApiError::RateLimited(secs).into_response(),
    }
}

/// The refund body (optional: no body refunds the whole order).
#[derive(Debug, Default, Deserialize)]
pub struct RefundBody {
    /// Why, for the records.
    pub reason: Option<String>,
    /// One line of the order to refund, by ICCID; none refunds every line.
    pub iccid: Option<String>,
}

/// Asks for a refund of the order or of one line (`services::refund`); 202 with the
/// refund's id.
async fn refund(
    State(state): State<SharedState>,
    Path(order_ref): Path<String>,
    body: Result<Json<RefundBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = match body {
        Ok(Json(b)) => b,
        Err(JsonRejection::MissingJsonContentType(_)) => RefundBody::default(),
        Err(e) => return Err(e.into()),
    };
    let order_ref = parse_order_ref(&order_ref)?;
    let accepted = request_refund(&state, &order_ref, body.iccid.as_deref(), body.reason).await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_throttled_per_client_before_the_token_is_compared() {
        let throttle = AuthThrottle::new(6); // bursts of 3
        let (guesser, other): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        for _ in 0..3 {
            assert_eq!(throttle.admit(guesser), Ok(()));
            assert_eq!(throttle.failed(guesser), Ok(()));
        }
        let wait = throttle.failed(guesser).expect_err("over budget");
        assert!((1..=10).contains(&wait), "{wait}");
        assert!(
            throttle.admit(guesser).is_err(),
            "throttled, whatever it sends now"
        );
        assert_eq!(throttle.admit(other), Ok(()), "clients are apart");
        assert_eq!(throttle.failed(other), Ok(()));
    }

    #[test]
    fn only_the_exact_bearer_token_passes() {
        let mut headers = HeaderMap::new();
        assert!(!bearer_is(&headers, "t0ken"));
        headers.insert("authorization", "Bearer t0ken".parse().expect("header"));
        assert!(bearer_is(&headers, "t0ken"));
        assert!(!bearer_is(&headers, "t0ke"));
        headers.insert("authorization", "t0ken".parse().expect("header"));
        assert!(!bearer_is(&headers, "t0ken"));
    }
}
