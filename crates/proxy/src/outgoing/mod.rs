//! What the proxy tells the partner's systems: signed webhooks (Standard Webhooks) to
//! the endpoints of `PROXY_WEBHOOKS`, and affiliate networks' postbacks. The pieces are
//! plain: the event catalogue and its payloads (`events.rs`), the signatures
//! (`signature.rs`), the endpoints file (`endpoints.rs`), the postback templates
//! (`postback.rs`) and the retry schedule (`schedule.rs`). The store writes an order
//! change's events into the outbox in the change's own transaction (asking [`Routes`]
//! where each goes); `fulfilment::dispatcher` delivers them.

pub mod endpoints;
pub mod events;
pub mod postback;
pub mod schedule;
pub mod signature;

use url::{Host, Url};

use self::events::EventType;
use self::postback::PostbackTemplate;

/// The destination name of an affiliate's postbacks in the outbox, the metrics and the
/// CLI: `postback:<affiliate>`.
pub fn postback_destination(affiliate: &str) -> String {
    format!("{POSTBACK_PREFIX}{affiliate}")
}

/// The prefix of postback destinations (endpoint ids cannot hold a colon).
pub const POSTBACK_PREFIX: &str = "postback:";

/// Whether a webhook or postback URL may be used: https, or plain http to a loopback
/// address (tests, and a receiver beside the proxy).
pub fn is_allowed_url(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        },
        _ => false,
    }
}

/// Where events go now: the endpoints file and the affiliates file as last read. The
/// store asks, in the transaction of an order's change, so a delivery is stored for
/// each destination that wanted the event when it happened.
pub trait Routes: Send + Sync {
    /// The ids of the endpoints that take events of `event_type`.
    fn endpoints_for(&self, event_type: EventType) -> Vec<String>;
    /// An affiliate's postback template, if it has one.
    fn postback(&self, affiliate: &str) -> Option<PostbackTemplate>;
    /// An affiliate's commission rate, in basis points.
    fn commission_bps(&self, affiliate: &str) -> Option<u32>;
    /// Whether any event can go anywhere (else the store does not even make them).
    fn any(&self) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_to_loopback() {
        for (url, ok) in [
            ("https://crm.example/h", true),
            ("http://127.0.0.1:8080/h", true),
            ("http://[::1]:8080/h", true),
            ("http://localhost/h", true),
            ("http://crm.example/h", false),
            ("http://10.0.0.1/h", false),
            ("ftp://crm.example/h", false),
        ] {
            assert_eq!(is_allowed_url(&Url::parse(url).expect("url")), ok, "{url}");
        }
        assert_eq!(
            postback_destination("wander-notes"),
            "postback:wander-notes"
        );
    }
}
