//! Connections: slow and idle sockets are closed, slow bodies answered 408, the
//! connection cap makes room by closing idle sockets, and 2,000 held sockets do not
//! keep a client out. Nothing here is timed: the timeouts under test are short
//! settings, and each test waits for the server to act (a closed socket, a metric)
//! under the generous deadline of `eventually`'s `DEADLINE`.

use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::helpers::*;

/// Waits until the server closes `socket` (reads to its end); fails the test if it
/// stays open past `eventually`'s deadline.
async fn closed_by_server(socket: &mut TcpStream, what: &str) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let ended = tokio::time::timeout(simology_sandbox::wait::DEADLINE, async {
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "{what}: the server kept the socket open; read {:?}",
        String::from_utf8_lossy(&seen)
    );
    seen
}

fn host_of(url: &str) -> &str {
    url.trim_start_matches("http://")
}

#[tokio::test]
async fn slow_headers_and_idle_connections_are_closed() {
    let app = spawn_app_with(
        fast_sandbox(),
        &[
            ("PROXY_HEADER_READ_TIMEOUT_SECS", "1"),
            ("PROXY_IDLE_TIMEOUT_SECS", "1"),
        ],
    )
    .await;
    let host = host_of(&app.url).to_owned();
    // A socket that never sends a byte.
    let mut silent = TcpStream::connect(&host).await.expect("connect");
    // Headers that never end.
    let mut slow = TcpStream::connect(&host).await.expect("connect");
    slow.write_all(b"GET /api/catalog?country=JP HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .expect("write");
    // A keep-alive connection left idle after its answer.
    let mut idle = TcpStream::connect(&host).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut reader = BufReader::new(&mut idle);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).await.expect("answer");
    assert!(status_line.starts_with("HTTP/1.1 200"), "{status_line}");

    closed_by_server(&mut silent, "a silent socket").await;
    let answered = closed_by_server(&mut slow, "slow headers").await;
    assert!(answered.is_empty(), "no answer to unfinished headers");
    closed_by_server(&mut idle, "an idle keep-alive connection").await;
    let closed = |why: &'static str| {
        let app = &app;
        async move {
            metric::<f64>(
                &app.http,
                &app.url,
                &format!("simology_connections_closed_total{{reason=\"{why}\"}}"),
            )
            .await
        }
    };
    assert!(closed("header_timeout").await >= 2.0);
    assert!(closed("idle_timeout").await >= 1.0);
    app.stop().await;
}

#[tokio::test]
async fn slow_bodies_are_answered_408_and_closed() {
    let app = spawn_app_with(fast_sandbox(), &[("PROXY_BODY_TIMEOUT_SECS", "1")]).await;
    let host = host_of(&app.url).to_owned();
    for path in ["/api/checkout", "/webhooks/simology"] {
        let mut socket = TcpStream::connect(&host).await.expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nOrigin: {ORIGIN}\r\nContent-Type: application/json\r\n\
             Simology-Signature: t=1,v1=00\r\nContent-Length: 400\r\n\r\n{{\"sku\": "
        );
        socket.write_all(head.as_bytes()).await.expect("write");
        let answer = closed_by_server(&mut socket, path).await;
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 408"), "{path}: {text}");
        assert!(text.contains("invalid_request"), "{path}: {text}");
    }
    assert_eq!(
        metric::<f64>(
            &app.http,
            &app.url,
            "simology_connections_closed_total{reason=\"body_timeout\"}"
        )
        .await,
        2.0
    );
    // A body that arrives in time is untouched.
    let r = app.post_checkout(&checkout_body("US-1GB-7D")).await;
    assert_eq!(r.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn at_the_cap_idle_sockets_make_room_for_a_client() {
    let app = spawn_app_with(
        fast_sandbox(),
        &[
            ("PROXY_MAX_CONNECTIONS", "20"),
            // Only making room can close them here.
            ("PROXY_HEADER_READ_TIMEOUT_SECS", "3600"),
        ],
    )
    .await;
    let (order_ref, _) = app.checkout("US-1GB-7D").await;
    let host = host_of(&app.url).to_owned();
    let mut sockets = Vec::new();
    for _ in 0..40 {
        sockets.push(TcpStream::connect(&host).await.expect("connect"));
    }
    // A new client, on a new connection, gets its answers.
    let fresh = http_client();
    let catalog = fresh
        .get(format!("{}/api/catalog?country=JP", app.url))
        .send()
        .await
        .expect("catalogue");
    assert_eq!(catalog.status(), 200);
    let order = fresh
        .get(format!("{}/api/orders/{order_ref}", app.url))
        .send()
        .await
        .expect("order");
    assert_eq!(order.status(), 200);
    let peak = metric::<f64>(&fresh, &app.url, "simology_connections_open_peak").await;
    assert!(
        (1.0..=20.0).contains(&peak),
        "never more than the cap open: {peak}"
    );
    assert!(
        metric::<f64>(
            &fresh,
            &app.url,
            "simology_connections_closed_total{reason=\"evicted\"}"
        )
        .await
            >= 1.0
    );
    drop(sockets);
    app.stop().await;
}

/// The proxy binary as users commonly run it, with 1,024 open files at most, against
/// the sandbox; returns its URL and the child.
async fn proxy_process(
    sandbox_url: &str,
    db: &str,
    extra: &[(&str, &str)],
) -> (String, tokio::process::Child) {
    let env = proxy_env(sandbox_url, db, extra);
    let mut child = tokio::process::Command::new("sh")
        .args([
            "-c",
            "ulimit -n 1024 && exec \"$0\"",
            env!("CARGO_BIN_EXE_simology-proxy"),
        ])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("PROXY_LOG_FORMAT", "text")
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the proxy starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next_line().await.expect("a line").unwrap_or_default();
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("the proxy said {first:?}"))
        .to_owned();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (url, child)
}

#[tokio::test]
async fn two_thousand_idle_and_slow_sockets_do_not_keep_a_client_out() {
    let sandbox = simology_sandbox::spawn(fast_sandbox())
        .await
        .expect("sandbox");
    let dir = temp_dir("sockets");
    let db = database_url(&dir).await;
    let (url, mut child) = proxy_process(sandbox.url(), &db, &[]).await;
    let http = http_client();
    let (order_ref, _) = checkout_at(&http, &url, "JP-1GB-7D").await;
    // This test's own 2,000 sockets need more than 1,024 files.
    rlimit::increase_nofile_limit(8192).expect("raising this test's open-file limit");
    let host = host_of(&url).to_owned();
    let mut held = Vec::new();
    for i in 0..2000 {
        let mut s = TcpStream::connect(&host).await.expect("connect");
        if i % 2 == 1 {
            // Slow headers: a start, then nothing.
            let _ = s
                .write_all(b"GET /api/catalog HTTP/1.1\r\nHost: x\r\n")
                .await;
        }
        held.push(s);
    }
    let client = http_client();
    let catalog = client
        .get(format!("{url}/api/catalog?country=JP"))
        .timeout(simology_sandbox::wait::DEADLINE)
        .send()
        .await
        .expect("the catalogue answers while 2,000 sockets are held");
    assert_eq!(catalog.status(), 200);
    let order: Value = client
        .get(format!("{url}/api/orders/{order_ref}"))
        .timeout(simology_sandbox::wait::DEADLINE)
        .send()
        .await
        .expect("the order answers while 2,000 sockets are held")
        .json()
        .await
        .expect("json");
    assert_eq!(order["order_ref"], order_ref.as_str());
    assert!(
        child.try_wait().expect("status").is_none(),
        "the proxy runs"
    );
    drop(held);
    let _ = child.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_stop_lets_requests_in_flight_finish_and_ends_long_polls() {
    let sandbox = simology_sandbox::spawn(fast_sandbox())
        .await
        .expect("sandbox");
    let dir = temp_dir("stop");
    let db = database_url(&dir).await;
    let served = serve(&proxy_env(sandbox.url(), &db, &[])).await;
    let http = http_client();
    let (order_ref, _) = checkout_at(&http, &served.url, "JP-1GB-7D").await;
    // A webhook whose body is half sent when the stop comes.
    let body = serde_json::json!({"type": "payment.failed", "id": "evt_in_flight",
        "created": "2025-01-10T09:20:02Z",
        "data": {"session_id": "cs_unknown", "reason": "card_declined"}})
    .to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut webhook = TcpStream::connect(host_of(&served.url))
        .await
        .expect("connect");
    let head = format!(
        "POST /webhooks/simology HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Simology-Signature: {}\r\nContent-Length: {}\r\n\r\n{first}",
        signed(&body, now()),
        body.len()
    );
    webhook.write_all(head.as_bytes()).await.expect("write");
    // And a long-poll waiting.
    let poll = {
        let (http, url) = (http.clone(), served.url.clone());
        let version = http
            .get(format!("{url}/api/orders/{order_ref}"))
            .send()
            .await
            .expect("order")
            .json::<Value>()
            .await
            .expect("json")["version"]
            .as_i64()
            .expect("version");
        tokio::spawn(async move {
            http.get(format!(
                "{url}/api/orders/{order_ref}?wait=25&version={version}"
            ))
            .send()
            .await
            .expect("answer")
            .status()
        })
    };
    eventually("the long-poll waits", async || {
        let w = metric::<f64>(&http, &served.url, "simology_long_polls_waiting").await;
        if w == 1.0 {
            Ok(())
        } else {
            Err(w)
        }
    })
    .await;
    let _ = served.stop.send(());
    assert_eq!(
        poll.await.expect("poll"),
        200,
        "the long-poll ends at the stop"
    );
    // No new connection is taken once the stop began.
    eventually(
        "new connections are refused",
        async || match TcpStream::connect(host_of(&served.url)).await {
            Err(_) => Ok(()),
            Ok(_) => Err("accepted"),
        },
    )
    .await;
    // The webhook in flight finishes, and is stored.
    webhook.write_all(rest.as_bytes()).await.expect("write");
    let answer = closed_by_server(&mut webhook, "the webhook's connection").await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 2"), "{text}");
    served
        .task
        .await
        .expect("the server task")
        .expect("the server stopped cleanly");
    let store = simology_proxy::store::Store::connect(&db)
        .await
        .expect("store");
    assert_eq!(store.event_counts().await.expect("counts").stored, 1);
    let _ = std::fs::remove_dir_all(&dir);
}
