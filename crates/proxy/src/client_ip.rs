//! Who the client is, for every per-client limit (rate limits, long-polls): one
//! function decides it from a request, and the [`ClientIp`] extractor, the rate-limit
//! layer and the long-poll cap all use that function.
//!
//! Behind proxies, `X-Forwarded-For` is read from the right: each trusted proxy appends
//! the address it was reached from, so the entries a trusted proxy wrote are the
//! rightmost ones, and everything to their left is whatever the client sent. The
//! leftmost entry is never believed. IPv6 clients are keyed by their /64 (one
//! subscriber's whole network), so rotating addresses within it buys nothing.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;

use crate::config::{Settings, TrustedProxies, MAX_TRUSTED_HOPS};
use crate::state::SharedState;

/// The client's key: the socket peer, or the address the trusted proxies recorded for
/// it (see [`TrustedProxies`]), as [`key`] makes it (loopback when nothing is known, as
/// in `oneshot` tests without a socket).
pub fn client_ip(settings: &Settings, parts: &Parts) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    let trusted = &settings.serving.trusted_proxies;
    let trusted = if parts.extensions.get::<OnAdminListener>().is_some() {
        admin_trust(trusted)
    } else {
        trusted
    };
    key(client_address(trusted, peer, &parts.headers))
}

/// Marks a request that came to the admin listener (`PROXY_ADMIN_LISTEN`).
#[derive(Debug, Clone, Copy)]
pub struct OnAdminListener;

/// Who may write the client's address on the admin listener: the trusted networks
/// only. A count says how many proxies stand in front of the public listener, not
/// that one stands in front of this one: whoever reaches it directly could write any
/// address and escape the throttle of failed tokens, so the peer is the client.
pub fn admin_trust(trusted: &TrustedProxies) -> &TrustedProxies {
    match trusted {
        TrustedProxies::Count(_) => &TrustedProxies::None,
        other => other,
    }
}

/// The client's address: the peer, or the entry of `X-Forwarded-For` the trusted
/// proxies wrote for it. When the header does not have what the trusted proxies would
/// have written (too few entries, or one that is not an address), the peer is taken.
pub fn client_address(trusted: &TrustedProxies, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    match trusted {
        TrustedProxies::None => peer,
        TrustedProxies::Count(n) => hops_from_right(headers)
            .nth(n.saturating_sub(1))
            .flatten()
            .unwrap_or(peer),
        TrustedProxies::Networks(nets) => {
            let trusted = |ip: &IpAddr| nets.iter().any(|net| net.contains(&ip.to_canonical()));
            if !trusted(&peer) {
                return peer;
            }
            let mut last_trusted = peer;
            for hop in hops_from_right(headers).take(MAX_HOPS_READ) {
                match hop {
                    Some(ip) if trusted(&ip) => last_trusted = ip,
                    Some(ip) => return ip,
                    // A trusted proxy writes addresses; this is not one.
                    None => return peer,
                }
            }
            // Every hop is a trusted proxy: the request began inside.
            last_trusted
        }
    }
}

/// The entries of `X-Forwarded-For` read at most, from the right, when looking for the
/// first untrusted one (a long header costs bounded work).
const MAX_HOPS_READ: usize = 4 * MAX_TRUSTED_HOPS;

/// The entries of every `X-Forwarded-For` line, rightmost first; `None` for an entry
/// that is not an address (with an optional port).
fn hops_from_right(headers: &HeaderMap) -> impl Iterator<Item = Option<IpAddr>> + '_ {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .rev()
        .flat_map(|line| {
            line.to_str()
                .unwrap_or("")
                .rsplit(',')
                .map(|entry| parse_hop(entry.trim()))
        })
}

fn parse_hop(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
}

/// The key of an address for per-client limits: an IPv4 address itself (also when
/// written as IPv4-mapped IPv6), an IPv6 address's /64.
pub fn key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(network))
        }
    }
}

/// The client's key, as [`client_ip`] decides it.
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    fn forwarded(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append("x-forwarded-for", HeaderValue::from_str(l).expect("header"));
        }
        h
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let h = forwarded(&["203.0.113.9"]);
        assert_eq!(
            client_address(&TrustedProxies::None, ip("10.0.0.2"), &h),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn a_count_takes_that_many_entries_from_the_right() {
        let one = TrustedProxies::Count(1);
        let two = TrustedProxies::Count(2);
        let lb = ip("10.0.0.2");
        // The client wrote "6.6.6.6"; the load balancer appended what it saw.
        let h = forwarded(&["6.6.6.6, 203.0.113.9"]);
        assert_eq!(client_address(&one, lb, &h), ip("203.0.113.9"));
        // Two proxies: a CDN appended the client, the load balancer the CDN.
        let h = forwarded(&["6.6.6.6, 203.0.113.9", "198.51.100.1"]);
        assert_eq!(client_address(&two, lb, &h), ip("203.0.113.9"));
        assert_eq!(client_address(&one, lb, &h), ip("198.51.100.1"));
        // Ports and brackets as some proxies write them.
        let h = forwarded(&["[2001:db8::7]:4711"]);
        assert_eq!(client_address(&one, lb, &h), ip("2001:db8::7"));
        let h = forwarded(&["203.0.113.9:80"]);
        assert_eq!(client_address(&one, lb, &h), ip("203.0.113.9"));
        // Missing or unreadable: the peer, never a client-written entry.
        assert_eq!(client_address(&two, lb, &forwarded(&["1.2.3.4"])), lb);
        assert_eq!(client_address(&one, lb, &HeaderMap::new()), lb);
        assert_eq!(client_address(&one, lb, &forwarded(&["1.2.3.4, junk"])), lb);
    }

    #[test]
    fn networks_skip_trusted_hops_from_the_right() {
        let nets = TrustedProxies::parse("10.0.0.0/8, 192.0.2.1").expect("valid");
        let h = forwarded(&["6.6.6.6, 203.0.113.9, 10.1.1.1, 192.0.2.1"]);
        assert_eq!(client_address(&nets, ip("10.0.0.2"), &h), ip("203.0.113.9"));
        // A peer outside the trusted networks is the client, whatever it wrote.
        assert_eq!(
            client_address(&nets, ip("198.51.100.4"), &h),
            ip("198.51.100.4")
        );
        // The peer as IPv4-mapped IPv6 (a dual-stack socket) is still trusted.
        assert_eq!(
            client_address(&nets, ip("::ffff:10.0.0.2"), &h),
            ip("203.0.113.9")
        );
        // All trusted: the request began inside, at the leftmost.
        let inside = forwarded(&["10.9.9.9, 10.1.1.1"]);
        assert_eq!(
            client_address(&nets, ip("10.0.0.2"), &inside),
            ip("10.9.9.9")
        );
        // An entry a trusted proxy would never write: the peer.
        let junk = forwarded(&["6.6.6.6, unknown, 10.1.1.1"]);
        assert_eq!(client_address(&nets, ip("10.0.0.2"), &junk), ip("10.0.0.2"));
    }

    #[test]
    fn the_admin_listener_believes_only_trusted_networks() {
        let h = forwarded(&["6.6.6.6"]);
        let lb = ip("10.0.0.2");
        let count = TrustedProxies::Count(1);
        assert_eq!(client_address(&count, lb, &h), ip("6.6.6.6"), "public");
        assert_eq!(client_address(admin_trust(&count), lb, &h), lb, "admin");
        let nets = TrustedProxies::parse("10.0.0.0/8").expect("valid");
        assert_eq!(client_address(admin_trust(&nets), lb, &h), ip("6.6.6.6"));
        assert_eq!(
            client_address(admin_trust(&nets), ip("198.51.100.4"), &h),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            key(ip("2001:db8:1:2::9"))
        );
        assert_ne!(key(ip("2001:db8:1:3::1")), key(ip("2001:db8:1:2::1")));
        assert_eq!(key(ip("203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(key(ip("::ffff:203.0.113.9")), ip("203.0.113.9"));
    }
}
