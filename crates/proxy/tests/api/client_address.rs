//! Who the client is behind load balancers: the hop the trusted proxy appended, never
//! the leftmost entry the client wrote; IPv6 clients by their /64.

use crate::helpers::*;

#[tokio::test]
async fn spoofed_forwarding_headers_are_limited_as_one_client() {
    // The older switch (one load balancer) and the new setting must both take the hop
    // the load balancer appended, never the leftmost.
    for extra in [
        [("PROXY_TRUST_FORWARDED_FOR", "true")],
        [("PROXY_TRUSTED_PROXIES", "1")],
    ] {
        let app = spawn_app_with(
            fast_sandbox(),
            // Bursts of 3, then one a minute: no refill while the test runs.
            &[extra[0], ("PROXY_CHECKOUT_PER_MINUTE", "1")],
        )
        .await;
        let mut body = checkout_body("US-1GB-7D");
        // Refused by validation when let through: no upstream call is made.
        body["email"] = "not valid".into();
        let checkout = |forwarded: String| {
            app.http
                .post(format!("{}/api/checkout", app.url))
                .header("origin", ORIGIN)
                .header("x-forwarded-for", forwarded)
                .json(&body)
                .send()
        };
        let mut through = 0;
        for i in 0..500u32 {
            // One client, 203.0.113.7, writing a new random address before what the
            // load balancer appends.
            let spoofed = format!("198.51.{}.{}, 203.0.113.7", i / 250, i % 250);
            let status = checkout(spoofed).await.expect("answer").status();
            match status.as_u16() {
                400 => through += 1,
                429 => {}
                other => panic!("{extra:?}: unexpected {other}"),
            }
        }
        assert_eq!(
            through, 3,
            "{extra:?}: a burst of 3, then limited as one client"
        );
        // Another client behind the same load balancer is not limited by the first.
        let other = checkout("203.0.113.8".into()).await.expect("answer");
        assert_eq!(other.status(), 400, "{extra:?}");
        // IPv6 clients are one client per /64, whatever their low bits.
        let mut v6_through = 0;
        for i in 0..10u32 {
            let hop = format!("2001:db8:7:7:{i:x}::{:x}", (i * 7919) % 0xffff);
            if checkout(format!("::1, {hop}"))
                .await
                .expect("answer")
                .status()
                == 400
            {
                v6_through += 1;
            }
        }
        assert_eq!(
            v6_through, 3,
            "{extra:?}: a /64 is one client ({v6_through})"
        );
        app.stop().await;
    }
}
