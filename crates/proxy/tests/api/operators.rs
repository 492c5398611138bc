//! What faces operators: `/admin` behind a throttled token, on its own listener if
//! asked (which believes `X-Forwarded-For` only from trusted networks and has its own
//! connection cap), and `/metrics`: not on the public listener unless a token guards it
//! or the operator asks, behind a bearer token if asked, and cheap to scrape.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

/// A well-formed reference of no order: past the token check, the refund answers 404.
const NO_ORDER: &str = "o_0123456789abcdef0123456789abcdef";

async fn refund(http: &reqwest::Client, base: &str, token: &str) -> reqwest::Response {
    http.post(format!("{base}/admin/orders/{NO_ORDER}/refund"))
        .bearer_auth(token)
        .send()
        .await
        .expect("answer")
}

#[tokio::test]
async fn failed_admin_authentications_are_throttled() {
    let app = spawn_app().await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            refund(&app.http, &app.url, "wrong-token-0123456789abcdef012345")
                .await
                .status(),
        );
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 429],
        "three failures, then the client is throttled"
    );
    // Throttled: even the right token is not compared, so a guess says nothing.
    let r = refund(&app.http, &app.url, ADMIN_TOKEN).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!(wait >= 1);
    assert_eq!(
        r.json::<Value>().await.expect("json")["error"]["code"],
        "rate_limited"
    );
    let metrics = app.get("/metrics").await.text().await.expect("text");
    assert!(
        metrics.contains("simology_admin_auth_failures_total 4"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn admin_and_metrics_move_to_their_own_listener() {
    let app = spawn_app_with(
        fast_sandbox(),
        &[
            ("PROXY_ADMIN_LISTEN", "127.0.0.1:0"),
            ("PROXY_METRICS_PUBLIC", "false"),
        ],
    )
    .await;
    let admin = app.admin_url.clone().expect("an admin listener");
    assert_ne!(admin, app.url);
    // Gone from the public listener...
    assert_eq!(refund(&app.http, &app.url, ADMIN_TOKEN).await.status(), 404);
    assert_eq!(app.get("/metrics").await.status(), 404);
    assert_eq!(app.get("/healthz").await.status(), 200, "the rest stays");
    // ... and served on the admin one, with its token check.
    let r = refund(&app.http, &admin, ADMIN_TOKEN).await;
    assert_eq!(r.status(), 404, "past the token: no such order");
    assert_eq!(
        r.json::<Value>().await.expect("json")["error"]["code"],
        "not_found"
    );
    assert_eq!(
        refund(&app.http, &admin, "wrong-token-0123456789abcdef012345")
            .await
            .status(),
        401
    );
    let metrics = app
        .http
        .get(format!("{admin}/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(metrics.status(), 200);
    assert!(metrics
        .text()
        .await
        .expect("text")
        .contains("simology_webhooks_total"));
    let api = app
        .http
        .get(format!("{admin}/api/destinations"))
        .send()
        .await
        .expect("answer");
    assert_eq!(
        api.status(),
        404,
        "the widget's API is not on the admin listener"
    );
    app.stop().await;
}

#[tokio::test]
async fn metrics_can_require_a_bearer_token() {
    let token = "metrics-token-0123456789abcdef0123";
    let app = spawn_app_with(fast_sandbox(), &[("PROXY_METRICS_TOKEN", token)]).await;
    let metrics = |bearer: Option<&'static str>| {
        let mut r = app.http.get(format!("{}/metrics", app.url));
        if let Some(b) = bearer {
            r = r.bearer_auth(b);
        }
        r.send()
    };
    assert_eq!(metrics(None).await.expect("answer").status(), 401);
    assert_eq!(
        metrics(Some("metrics-token-0123456789abcdef0124"))
            .await
            .expect("answer")
            .status(),
        401
    );
    let r = metrics(Some(token)).await.expect("answer");
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .expect("text")
        .contains("simology_webhooks_total"));
    app.stop().await;
}

#[tokio::test]
async fn metrics_are_not_public_unless_asked_or_guarded() {
    // The default: no admin listener, no metrics token, nothing asked.
    let app = spawn_app_with(fast_sandbox(), &[("PROXY_METRICS_PUBLIC", "false")]).await;
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), 404, "not served on the public listener");
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.stop().await;

    // Asked for explicitly: served.
    let app = spawn_app_with(fast_sandbox(), &[("PROXY_METRICS_PUBLIC", "true")]).await;
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), 200);
    app.stop().await;

    // Guarded by a token: served, to the token only.
    let token = "metrics-token-0123456789abcdef0123";
    let app = spawn_app_with(
        fast_sandbox(),
        &[
            ("PROXY_METRICS_PUBLIC", "false"),
            ("PROXY_METRICS_TOKEN", token),
        ],
    )
    .await;
    assert_eq!(app.get("/metrics").await.status(), 401);
    let r = app
        .http
        .get(format!("{}/metrics", app.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_scrape_reads_the_store_at_most_every_few_seconds() {
    let app = spawn_app().await;
    let mut reads = Vec::new();
    for _ in 0..10 {
        let text = app.get("/metrics").await.text().await.expect("text");
        assert!(
            text.contains("simology_events_stored{state=\"processed\"}"),
            "{text}"
        );
        reads.push(sample::<u64>(&text, "simology_metrics_store_reads_total"));
    }
    // Ten scrapes in a moment: the store is read once (twice if the window turned).
    let last = reads.last().copied().flatten().expect("counted");
    assert!((1..=2).contains(&last), "{reads:?}");
    app.stop().await;
}

/// An admin refund with a wrong token from the address `forwarded` claims.
async fn wrong_token_from(http: &reqwest::Client, base: &str, forwarded: &str) -> u16 {
    http.post(format!("{base}/admin/orders/{NO_ORDER}/refund"))
        .bearer_auth("wrong-token-0123456789abcdef012345")
        .header("x-forwarded-for", forwarded)
        .send()
        .await
        .expect("answer")
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_admin_listener_believes_no_count_of_proxies() {
    // One load balancer in front of the public listener; the admin listener is reached
    // directly, so whatever a client writes in X-Forwarded-For is its own claim.
    let app = spawn_app_with(
        fast_sandbox(),
        &[
            ("PROXY_ADMIN_LISTEN", "127.0.0.1:0"),
            ("PROXY_TRUSTED_PROXIES", "1"),
        ],
    )
    .await;
    let admin = app.admin_url.clone().expect("an admin listener");
    let mut statuses = Vec::new();
    for i in 0..5 {
        statuses.push(wrong_token_from(&app.http, &admin, &format!("192.0.2.{}", i + 1)).await);
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 429, 429],
        "one client, whatever addresses it writes"
    );
    app.stop().await;

    // Trusted networks are still believed there (the peer is one of them).
    let app = spawn_app_with(
        fast_sandbox(),
        &[
            ("PROXY_ADMIN_LISTEN", "127.0.0.1:0"),
            ("PROXY_TRUSTED_PROXIES", "127.0.0.0/8"),
        ],
    )
    .await;
    let admin = app.admin_url.clone().expect("an admin listener");
    let mut statuses = Vec::new();
    for i in 0..5 {
        statuses.push(wrong_token_from(&app.http, &admin, &format!("192.0.2.{}", i + 1)).await);
    }
    assert_eq!(statuses, [401; 5], "five clients behind a trusted proxy");
    app.stop().await;
}

/// Sockets of `open` the proxy has closed since the last look (each looked at once,
/// without waiting); how many are closed in all.
fn closed_now(open: &mut [Option<tokio::net::TcpStream>]) -> usize {
    for slot in open.iter_mut() {
        let mut buf = [0u8; 16];
        let ended = match slot {
            Some(s) => match s.try_read(&mut buf) {
                Ok(0) => true,
                Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
                Ok(_) => false,
            },
            None => false,
        };
        if ended {
            *slot = None;
        }
    }
    open.iter().filter(|s| s.is_none()).count()
}

/// `n` silent connections to `base`.
async fn silent(base: &str, n: usize) -> Vec<Option<tokio::net::TcpStream>> {
    let host = base.trim_start_matches("http://").to_owned();
    let mut open = Vec::new();
    for _ in 0..n {
        open.push(Some(
            tokio::net::TcpStream::connect(&host)
                .await
                .expect("connects"),
        ));
    }
    open
}

#[tokio::test]
async fn the_admin_listener_has_a_connection_cap_of_its_own() {
    // Silent connections are not closed by the header timeout within the test: only
    // the admin listener's own cap of 4 makes room, closing the idle ones.
    let app = spawn_app_with(
        fast_sandbox(),
        &[
            ("PROXY_ADMIN_LISTEN", "127.0.0.1:0"),
            ("PROXY_ADMIN_MAX_CONNECTIONS", "4"),
            ("PROXY_HEADER_READ_TIMEOUT_SECS", "300"),
        ],
    )
    .await;
    let admin = app.admin_url.clone().expect("an admin listener");
    let mut admin_silent = silent(&admin, 10).await;
    // At most four connections at once: six of the ten are closed for room.
    eventually(
        "silent admin connections closed for room",
        async || match closed_now(&mut admin_silent) {
            n if n >= 6 => Ok(n),
            n => Err(n),
        },
    )
    .await;
    // An operator still gets in: the longest idle make room for it.
    let r = app
        .http
        .get(format!("{admin}/healthz"))
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 200);
    // The public listener's cap is not the admin one's: ten silent connections there
    // stay open.
    let mut public_silent = silent(&app.url, 10).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(closed_now(&mut public_silent), 0, "none closed for room");
    // A stopping proxy waits, up to the header-read limit (here 300 s), for the first
    // request of a connection it has accepted: the silent ones go first.
    drop(admin_silent);
    drop(public_silent);
    app.stop().await;
}
