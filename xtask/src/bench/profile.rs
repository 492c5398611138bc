//! `cargo xtask bench --profile`: where the proxy's CPU time goes under wrk's load, for
//! `GET /api/catalog?country=JP` and a ready order's `GET /api/orders/{ref}`.
//!
//! The proxy (release build, its own process, `RUST_LOG=warn` as in the bench) is
//! sampled by Debian's `perf` (`-e cpu-clock`, which needs no hardware counters, with
//! DWARF call graphs from the binary's unwind tables) for 8 s in the middle of a 12 s
//! wrk run. Each sample is put in one bucket: kernel samples by the system call they are
//! in, user samples by the innermost frame that names a known layer (so a `malloc` made
//! by the CORS layer counts as the CORS layer's). Writes `target/bench/profile.json`
//! and keeps the `perf.data` files for `perf report`.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::load;
use crate::stack::DemoStack;
use crate::tools;

/// User-space layers, innermost first: the first one a sample's stack names (from its
/// leaf up) gets the sample. A frame names a layer when its path (or, for
/// `<Type as Trait>::f`, the type's or the trait's) starts with one of the prefixes.
const LAYERS: &[(&str, &[&str])] = &[
    ("SQLite (libsqlite3)", &["sqlite3"]),
    (
        "sqlx-sqlite worker thread and its channel (flume)",
        &["sqlx_sqlite::", "flume::"],
    ),
    (
        "sqlx core (pool, Any driver, rows)",
        &["sqlx_core::", "sqlx::"],
    ),
    ("serde_json (serialising)", &["serde_json::", "serde::"]),
    ("metrics", &["simology_proxy::metrics"]),
    ("rate limiter", &["simology_proxy::ratelimit"]),
    (
        "request id (rand, format)",
        &[
            "simology_proxy::new_request_id",
            "rand::",
            "rand_core::",
            "rand_chacha::",
        ],
    ),
    (
        "tracing (spans, events)",
        &["tracing_core::", "tracing_subscriber::", "tracing::"],
    ),
    ("CORS layer (tower_http::cors)", &["tower_http::cors"]),
    ("other tower-http layers", &["tower_http::"]),
    (
        "handler: catalogue",
        &["simology_proxy::routes::catalog", "simology_proxy::catalog"],
    ),
    (
        "handler: order status (the status kept in memory, and the store)",
        &[
            "simology_proxy::routes::orders",
            "simology_proxy::services::status",
            "simology_proxy::store",
            "simology_proxy::order",
        ],
    ),
    (
        "connection layer (serve: requests in flight, the watchdog)",
        &["simology_proxy::serve"],
    ),
    (
        "request_context middleware (the rest of the proxy)",
        &["simology_proxy::"],
    ),
    ("axum (routing, extractors, from_fn)", &["axum::"]),
    ("tower (boxed service clones)", &["tower::"]),
    (
        "http crate (HeaderMap, HeaderValue, Extensions)",
        &["http::"],
    ),
    (
        "hyper HTTP/1 (parse, encode, dispatch, buffers)",
        &["hyper::", "hyper_util::", "httparse::"],
    ),
    (
        "tokio runtime (scheduler, IO driver)",
        &["tokio::", "mio::"],
    ),
    ("bytes", &["bytes::"]),
];

/// A path up to its generics, without a leading reference.
fn cut(s: &str) -> &str {
    let s = s.trim_start_matches(['&', '*']).trim_start_matches("mut ");
    &s[..s.find(['<', '>', ' ']).unwrap_or(s.len())]
}

/// The paths a frame (`symbol (dso)`) names: its own, or for `<Type as Trait>::f` the
/// type's and the trait's; and the DSO.
fn heads(frame: &str) -> (Vec<&str>, &str) {
    let (symbol, dso) = frame
        .rsplit_once(" (")
        .map_or((frame, ""), |(s, d)| (s, d.trim_end_matches(')')));
    let heads = match symbol.strip_prefix('<') {
        Some(inner) => match inner.split_once(" as ") {
            Some((ty, tr)) => vec![cut(ty), cut(tr)],
            None => vec![cut(inner)],
        },
        None => vec![cut(symbol)],
    };
    (heads, dso)
}

fn layer_of(frame: &str) -> Option<&'static str> {
    let (heads, dso) = heads(frame);
    if dso.contains("libsqlite3") {
        return Some(LAYERS[0].0);
    }
    LAYERS.iter().find_map(|(name, prefixes)| {
        heads
            .iter()
            .any(|h| prefixes.iter().any(|p| h.starts_with(p)))
            .then_some(*name)
    })
}

/// The bucket of a kernel sample: the system call its stack is in.
fn kernel_bucket(stack: &[&str]) -> &'static str {
    let any = |needles: &[&str]| stack.iter().any(|f| needles.iter().any(|n| f.contains(n)));
    if any(&["writev", "sys_sendto", "sys_write"]) {
        "kernel: socket writes (on loopback, with the receiving side)"
    } else if any(&["sys_recvfrom", "sys_read", "sys_recvmsg"]) {
        "kernel: socket reads"
    } else if any(&["epoll"]) {
        "kernel: epoll"
    } else if any(&["futex"]) {
        "kernel: futex (threads waking and parking)"
    } else if any(&["sys_"]) {
        "kernel: other system calls"
    } else {
        "kernel: interrupts, softirqs, scheduler"
    }
}

fn is_allocator(frame: &str) -> bool {
    ["malloc", "free", "realloc", "tcache", "_int_", "calloc"]
        .iter()
        .any(|n| frame.contains(n))
}

/// One sample's bucket, and whether its leaf is the allocator.
fn bucket(stack: &[&str]) -> (&'static str, bool) {
    let Some(leaf) = stack.first() else {
        return ("(empty stack)", false);
    };
    if leaf.contains("[kernel") {
        return (kernel_bucket(stack), false);
    }
    let layer = stack.iter().find_map(|f| layer_of(f));
    (
        layer.unwrap_or("other user space (libc, std, core)"),
        is_allocator(leaf),
    )
}

/// The samples of `perf script -F comm,tid,ip,sym,dso`: each a thread name and its
/// frames, leaf first (`symbol (dso)`).
fn samples(script: &str) -> Vec<(String, Vec<&str>)> {
    let mut out = Vec::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in script.lines() {
        if line.trim().is_empty() {
            out.extend(current.take());
        } else if line.starts_with(char::is_whitespace) {
            if let Some((_, frames)) = current.as_mut() {
                // "    addr symbol (dso)": drop the address.
                let frame = line.trim();
                frames.push(frame.split_once(' ').map_or(frame, |(_, rest)| rest));
            }
        } else {
            out.extend(current.take());
            let comm = line.split_whitespace().next().unwrap_or("?").to_owned();
            current = Some((comm, Vec::new()));
        }
    }
    out.extend(current);
    out
}

/// Shares of the samples by bucket (largest first), with the allocator's part of each.
fn shares(script: &str) -> (usize, Vec<(String, f64, f64)>) {
    let samples = samples(script);
    let n = samples.len();
    let mut counts: Vec<(&'static str, usize, usize)> = Vec::new();
    for (_, stack) in &samples {
        let (b, alloc) = bucket(stack);
        match counts.iter_mut().find(|(k, _, _)| *k == b) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 += usize::from(alloc);
            }
            None => counts.push((b, 1, usize::from(alloc))),
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    let pct = |c: usize| 100.0 * c as f64 / n.max(1) as f64;
    (
        n,
        counts
            .into_iter()
            .map(|(k, c, a)| (k.to_owned(), pct(c), pct(a)))
            .collect(),
    )
}

fn perf_works() -> bool {
    Command::new("perf")
        .args(["stat", "-e", "cpu-clock", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Profiles both endpoints and prints where the time goes.
///
/// # Errors
/// When perf cannot sample here, or the stack or wrk fails.
pub fn run(root: &Path) -> Result<()> {
    tools::ensure_apt(&[("/usr/bin/perf", "linux-perf")])?;
    if !perf_works() {
        bail!(
            "perf cannot sample here (`perf stat -e cpu-clock true` fails); \
             /proc/sys/kernel/perf_event_paranoid is {:?}",
            fs::read_to_string("/proc/sys/kernel/perf_event_paranoid").unwrap_or_default()
        );
    }
    let out_dir = root.join("target/bench");
    fs::create_dir_all(&out_dir)?;
    let stack = DemoStack::start(
        root,
        "release",
        &out_dir.join("profile-data"),
        200,
        &[
            "--proxy-bin".into(),
            root.join("target/release/simology-proxy").into(),
        ],
        "warn",
    )?;
    let proxy = stack.url("proxy")?;
    let pid = stack.urls["proxy_pid"].as_u64().context("proxy pid")?;
    let ready_ref = super::ready_order(root, &stack.urls)?;
    let mut report = serde_json::Map::new();
    for (name, path) in [
        ("catalog", "/api/catalog?country=JP".to_owned()),
        ("status", format!("/api/orders/{ready_ref}")),
    ] {
        let url = format!("{proxy}{path}");
        println!("profiling GET {path} under wrk...");
        load::wrk_warm_up(&url)?;
        let wrk = Command::new("wrk")
            .args(["-t2", "-c32", "-d12s", "--latency", &url])
            .stdout(Stdio::piped())
            .spawn()
            .context("starting wrk")?;
        std::thread::sleep(Duration::from_secs(1));
        let data = out_dir.join(format!("profile-{name}.data"));
        tools::run(
            Command::new("perf")
                .args(["record", "-q", "-e", "cpu-clock", "-F", "499"])
                .args(["--call-graph", "dwarf,32768", "-p", &pid.to_string(), "-o"])
                .arg(&data)
                .args(["--", "sleep", "8"]),
        )?;
        let wrk_out = wrk.wait_with_output().context("waiting for wrk")?;
        let run = load::parse_wrk(&String::from_utf8_lossy(&wrk_out.stdout))?;
        let script = Command::new("perf")
            .args(["script", "-F", "comm,tid,ip,sym,dso", "-i"])
            .arg(&data)
            .stderr(Stdio::null())
            .output()
            .context("perf script")?;
        let (n, rows) = shares(&String::from_utf8_lossy(&script.stdout));
        println!(
            "\nGET {path}: {:.0} req/s while sampled; {n} samples of the proxy's threads",
            run.rps
        );
        for (bucket, pct, alloc) in &rows {
            if *alloc >= 0.05 {
                println!("  {pct:5.1} %  {bucket} (of which malloc/free {alloc:.1} %)");
            } else {
                println!("  {pct:5.1} %  {bucket}");
            }
        }
        println!(
            "  (perf report -i {} --no-children --sort dso,sym)",
            data.display()
        );
        report.insert(
            name.into(),
            json!({"path": path, "rps_while_sampled": run.rps, "samples": n,
                   "shares_percent": rows.iter().map(|(b, p, a)| json!({"bucket": b, "percent": p, "malloc_free_percent": a})).collect::<Vec<_>>()}),
        );
    }
    drop(stack);
    let path = out_dir.join("profile.json");
    fs::write(&path, serde_json::to_string_pretty(&Value::Object(report))?)?;
    println!("\nwrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = "tokio-rt-worker 11 \n\
        \tffff81 tcp_sendmsg ([kernel.kallsyms])\n\
        \tffff82 do_writev ([kernel.kallsyms])\n\
        \t fde9d __GI___writev (/usr/lib/x86_64-linux-gnu/libc.so.6)\n\
        \t 40e6a0 hyper::proto::h1::io::Buffered<T,B>::poll_flush (/p)\n\
        \n\
        tokio-rt-worker 12 \n\
        \t 1 _int_malloc (/usr/lib/x86_64-linux-gnu/libc.so.6)\n\
        \t 2 http::header::map::HeaderMap<T>::insert (/p)\n\
        \t 3 <tower_http::cors::ResponseFuture<F> as core::future::future::Future>::poll (/p)\n\
        \t 4 hyper::proto::h1::dispatch::Dispatcher<D,Bs,I,T>::poll_catch (/p)\n\
        \n\
        sqlx-sqlite-wor 13 \n\
        \t 1 sqlite3VdbeExec (/usr/lib/x86_64-linux-gnu/libsqlite3.so.0)\n\
        \t 2 <sqlx_sqlite::connection::execute::ExecuteIter as Iterator>::next (/p)\n\
        \n\
        tokio-rt-worker 11 \n\
        \t 1 <tower_http::cors::ResponseFuture<F> as core::future::future::Future>::poll (/p)\n";

    #[test]
    fn frames_name_their_layers() {
        assert_eq!(
            layer_of(
                "<tower_http::cors::ResponseFuture<F> as core::future::future::Future>::poll (/p)"
            ),
            Some("CORS layer (tower_http::cors)")
        );
        assert_eq!(
            layer_of("<F as axum::handler::Handler<(M,T1),S>>::call::{{closure}} (/p)"),
            Some("axum (routing, extractors, from_fn)")
        );
        // A hyper frame with http types in its generics is hyper's.
        assert_eq!(
            layer_of("hyper::proto::h1::role::encode_headers<http::header::map::HeaderMap> (/p)"),
            Some("hyper HTTP/1 (parse, encode, dispatch, buffers)")
        );
        assert_eq!(
            layer_of("<&mio::net::tcp::stream::TcpStream as std::io::Write>::write_vectored (/p)"),
            Some("tokio runtime (scheduler, IO driver)")
        );
        assert_eq!(
            layer_of("simology_proxy::new_request_id (/p)"),
            Some("request id (rand, format)")
        );
        assert_eq!(
            layer_of("sqlite3_step (/usr/lib/x86_64-linux-gnu/libsqlite3.so.0)"),
            Some("SQLite (libsqlite3)")
        );
        assert_eq!(layer_of("core::ptr::drop_in_place<x> (/p)"), None);
    }

    #[test]
    fn samples_are_bucketed_by_the_innermost_known_layer() {
        let parsed = samples(SCRIPT);
        assert_eq!(parsed.len(), 4);
        assert_eq!(parsed[2].0, "sqlx-sqlite-wor");
        assert_eq!(
            parsed[1].1[1],
            "http::header::map::HeaderMap<T>::insert (/p)"
        );
        let (n, rows) = shares(SCRIPT);
        assert_eq!(n, 4);
        let share = |b: &str| {
            rows.iter()
                .find(|(k, _, _)| k == b)
                .map(|(_, p, a)| (*p, *a))
        };
        assert_eq!(
            share("kernel: socket writes (on loopback, with the receiving side)"),
            Some((25.0, 0.0))
        );
        // The header insert's malloc is the http crate's, not the CORS layer's above it.
        assert_eq!(
            share("http crate (HeaderMap, HeaderValue, Extensions)"),
            Some((25.0, 25.0))
        );
        assert_eq!(share("CORS layer (tower_http::cors)"), Some((25.0, 0.0)));
        assert_eq!(share("SQLite (libsqlite3)"), Some((25.0, 0.0)));
    }
}
