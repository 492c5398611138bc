//! Who the client is, for the rate limits: one function decides it from a request, and
//! the [`ClientIp`] extractor and the rate-limit layer both use that function.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::config::Settings;
use crate::state::SharedState;

/// The client's address: the socket peer, or the first `X-Forwarded-For` hop when the
/// proxy is configured to trust it (loopback when neither is known, as in `oneshot`
/// tests without a socket). Every per-client limit is keyed by this.
pub fn client_ip(settings: &Settings, parts: &Parts) -> IpAddr {
    if settings.trust_forwarded_for {
        if let Some(ip) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
        {
            return ip;
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip())
}

/// The client's address, as [`client_ip`] decides it.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<SharedState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(&state.settings, parts)))
    }
}
