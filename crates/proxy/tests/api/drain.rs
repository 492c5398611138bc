//! A stopping proxy drops nobody it has taken in: its waiting long-polls and the
//! requests it is reading are answered, each with `Connection: close` so that the
//! client's next request goes to the next process (see `cargo xtask restart` for the
//! same across real process restarts under load). Nothing here is timed: each step
//! waits for what the server does.

use simology_sandbox::wait::eventually;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

/// Everything the server sends on `socket` until it closes it.
async fn until_closed(socket: &mut TcpStream, what: &str) -> String {
    let mut seen = Vec::new();
    let read = tokio::time::timeout(simology_sandbox::wait::DEADLINE, async {
        let mut buf = [0u8; 4096];
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&seen).into_owned();
    assert!(
        read.is_ok(),
        "{what}: the socket stayed open; read {text:?}"
    );
    text
}

fn says_close(answer: &str) -> bool {
    answer
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .lines()
        .any(|l| l.eq_ignore_ascii_case("connection: close"))
}

#[tokio::test]
async fn a_stopping_proxy_answers_its_long_polls_and_the_requests_arriving() {
    let sandbox = simology_sandbox::spawn(fast_sandbox())
        .await
        .expect("sandbox");
    let dir = temp_dir("drain");
    let db = database_url(&dir).await;
    let served = serve(&proxy_env(sandbox.url(), &db, &[])).await;
    let http = http_client();
    let (order_ref, _) = checkout_at(&http, &served.url, "JP-1GB-7D").await;
    let host = served.url.trim_start_matches("http://").to_owned();

    // A long-poll on an order that does not change.
    let mut poll = TcpStream::connect(&host).await.expect("connect");
    poll.write_all(
        format!("GET /api/orders/{order_ref}?wait=25 HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
    )
    .await
    .expect("write");
    eventually("the long-poll waiting", async || {
        match metric::<f64>(&http, &served.url, "simology_long_polls_waiting").await {
            1.0 => Ok(()),
            n => Err(n),
        }
    })
    .await;
    // A request whose headers have begun to arrive, on a connection the server took.
    let open = metric::<f64>(&http, &served.url, "simology_connections_open").await;
    let mut arriving = TcpStream::connect(&host).await.expect("connect");
    arriving
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    eventually(
        "the arriving request's connection taken",
        async || match metric::<f64>(&http, &served.url, "simology_connections_open").await {
            n if n > open => Ok(()),
            n => Err(n),
        },
    )
    .await;
    // A kept-alive connection idle after its answer.
    let mut idle = TcpStream::connect(&host).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).await.expect("answer");
    assert_eq!(&first, b"HTTP/1.1 200");

    let _ = served.stop.send(());
    let answer = until_closed(&mut poll, "the long-poll").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(&format!("\"order_ref\":\"{order_ref}\"")),
        "the order's view: {answer}"
    );
    assert!(
        says_close(&answer),
        "the answer tells the client to go elsewhere next: {answer}"
    );
    // The long-poll's answer means the shutdown has begun; the request's end arrives
    // only now, and is answered all the same.
    arriving.write_all(b"\r\n").await.expect("write");
    let answer = until_closed(&mut arriving, "the arriving request").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(says_close(&answer), "{answer}");
    let rest = until_closed(&mut idle, "the idle connection").await;
    // Its first answer's remainder, and nothing more.
    assert_eq!(rest.matches("HTTP/1.1").count(), 0, "{rest}");
    tokio::time::timeout(simology_sandbox::wait::DEADLINE, served.task)
        .await
        .expect("the proxy stops once all is answered")
        .expect("task")
        .expect("clean stop");
    let _ = std::fs::remove_dir_all(&dir);
}
