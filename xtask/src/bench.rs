//! `cargo xtask bench`: the real stack on loopback, measured. Prints a table and writes
//! `target/bench/report.json`.
//!
//! - sizes of what the first render needs (wasm + the loader script with the glue; the
//!   CSS is inside the wasm), raw, gzip -9 and brotli quality 11;
//! - headless Chromium timings (`e2e/bench/timings.mjs`): first plan card after a cold
//!   load, and activation latency with long-polling and with 3 s interval polling;
//! - HTTP load with `wrk` (2 threads, 32 connections, keep-alive, 2 s warm-up then 10 s):
//!   the catalogue and order-status endpoints, and a static file of the catalogue's size
//!   from a plain static server in the same run, as the ceiling;
//! - signed webhook throughput (`simology-bench webhooks`);
//! - the proxy's peak memory (its `VmHWM`), the proxy running as its own process.

use std::fs;
use std::io::{Read, Write};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::stack::DemoStack;
use crate::{dist, tools};

/// Brotli quality 11 (the largest window) of some bytes: the compressed length.
pub fn brotli_len(bytes: &[u8]) -> Result<usize> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 24);
        w.write_all(bytes)?;
    }
    Ok(out.len())
}

/// gzip -9 of some bytes: the compressed length.
pub fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes)?;
    Ok(e.finish()?.len())
}

/// The median of some samples (mean of the middle two for an even count).
pub fn median(samples: &[f64]) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// Requests per second and p99 latency (ms) from `wrk --latency` output.
pub fn parse_wrk(text: &str) -> Result<(f64, f64)> {
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .context("no Requests/sec in wrk's output")?;
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(str::trim)
        .context("no 99% line in wrk's output")?;
    let (number, unit) = p99.split_at(
        p99.find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(p99.len()),
    );
    let value: f64 = number.trim().parse().context("wrk's p99")?;
    let ms = match unit {
        "us" => value / 1000.0,
        "ms" => value,
        "s" => value * 1000.0,
        "m" => value * 60_000.0,
        other => bail!("unknown wrk unit {other:?}"),
    };
    if text.contains("Non-2xx or 3xx responses") {
        bail!("wrk saw error answers:\n{text}");
    }
    Ok((rps, ms))
}

fn wrk(url: &str) -> Result<(f64, f64)> {
    // Warm-up, then the measured run.
    tools::output_of(Command::new("wrk").args(["-t2", "-c32", "-d2s", url]))
        .context("wrk warm-up")?;
    let text =
        tools::output_of(Command::new("wrk").args(["-t2", "-c32", "-d10s", "--latency", url]))
            .context("wrk")?;
    parse_wrk(&text)
}

fn peak_rss_mb(pid: u64) -> Result<f64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))
        .context("reading the proxy's /proc status")?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no VmHWM")?;
    Ok(kb / 1024.0)
}

fn numbers(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
        .unwrap_or_default()
}

/// Runs everything and writes the report.
///
/// # Errors
/// When a tool is missing or a measurement cannot be made.
pub fn run() -> Result<()> {
    tools::ensure_all()?;
    tools::ensure_apt(&[("/usr/bin/wrk", "wrk")])?;
    let root = tools::workspace_root()?;
    let dist_dir = dist::build()?;
    tools::run(
        tools::cargo()
            .args([
                "build",
                "--release",
                "-p",
                "simology-demo",
                "-p",
                "simology-proxy",
                "-p",
                "simology-bench",
            ])
            .current_dir(&root),
    )?;
    tools::ensure_npm(&root.join("e2e"))?;
    let out_dir = root.join("target/bench");
    let static_dir = out_dir.join("static");
    fs::create_dir_all(&static_dir)?;

    // Sizes.
    let wasm = fs::read(dist_dir.join("simology-esim_bg.wasm"))?;
    let js = fs::read(dist_dir.join("simology-esim.js"))?;
    let raw = wasm.len() + js.len();
    let gzip = gzip_len(&wasm)? + gzip_len(&js)?;
    let br_wasm = brotli_len(&wasm)?;
    let br_js = brotli_len(&js)?;
    let br = br_wasm + br_js;

    let stack = DemoStack::start(
        &root,
        "release",
        &out_dir.join("data"),
        1000,
        &[
            "--proxy-bin".into(),
            root.join("target/release/simology-proxy").into(),
            "--static-dir".into(),
            static_dir.clone().into(),
        ],
        "warn",
    )?;
    let proxy = stack.url("proxy")?;
    let urls_json = stack.urls.to_string();

    println!("measuring browser timings (cold loads and activations)...");
    let timings = Command::new("node")
        .arg("bench/timings.mjs")
        .arg(&urls_json)
        .current_dir(root.join("e2e"))
        .stderr(Stdio::inherit())
        .output()
        .context("running the browser timings")?;
    if !timings.status.success() {
        bail!("browser timings failed");
    }
    let t: serde_json::Value =
        serde_json::from_slice(&timings.stdout).context("reading the browser timings")?;
    let plans = numbers(&t["plans_visible_ms"]);
    let activation = numbers(&t["activation_latency_ms"]);
    let interval = numbers(&t["activation_latency_interval_poll_ms"]);
    let ready_ref = t["ready_order_ref"]
        .as_str()
        .context("no ready order from the timings")?
        .to_owned();

    // A static file the size of the catalogue's answer, for the ceiling.
    let catalog_url = format!("{proxy}/api/catalog?country=JP");
    let mut body = Vec::new();
    {
        let mut stream = std::net::TcpStream::connect(proxy.trim_start_matches("http://"))?;
        write!(
            stream,
            "GET /api/catalog?country=JP HTTP/1.0\r\nHost: bench\r\n\r\n"
        )?;
        stream.read_to_end(&mut body)?;
    }
    let split = body
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no HTTP body")?
        + 4;
    fs::write(static_dir.join("catalog.json"), &body[split..])?;

    println!("measuring HTTP load with wrk...");
    let (catalog_rps, catalog_p99) = wrk(&catalog_url)?;
    let (status_rps, status_p99) = wrk(&format!("{proxy}/api/orders/{ready_ref}"))?;
    let (static_rps, static_p99) = wrk(&format!("{}/catalog.json", stack.url("static")?))?;

    println!("measuring webhook throughput...");
    let hooks = Command::new(root.join("target/release/simology-bench"))
        .args([
            "webhooks",
            "--orders",
            "300",
            "--concurrency",
            "16",
            "--secret",
            "whsec_sandbox_test",
        ])
        .args([
            "--proxy",
            &proxy,
            "--sandbox",
            &stack.url("sandbox")?,
            "--origin",
            &stack.url("page")?,
        ])
        .output()
        .context("running the webhook driver")?;
    if !hooks.status.success() {
        bail!(
            "webhook driver failed: {}",
            String::from_utf8_lossy(&hooks.stderr)
        );
    }
    let h: serde_json::Value =
        serde_json::from_slice(&hooks.stdout).context("reading the webhook driver")?;
    let events_per_s = h["events_per_s"].as_f64().context("events_per_s")?;

    let pid = stack.urls["proxy_pid"].as_u64().context("proxy pid")?;
    let rss = peak_rss_mb(pid)?;
    drop(stack);

    let budget_br = 150 * 1024;
    let rows: Vec<(&str, f64, String)> = vec![
        ("widget_raw_bytes", raw as f64, String::new()),
        ("widget_gzip_bytes", gzip as f64, String::new()),
        (
            "widget_brotli_bytes",
            br as f64,
            format!(
                "budget {budget_br} (150 KiB): {}",
                if br <= budget_br { "met" } else { "MISSED" }
            ),
        ),
        ("widget_brotli_wasm_bytes", br_wasm as f64, String::new()),
        ("widget_brotli_js_bytes", br_js as f64, String::new()),
        (
            "plans_visible_ms",
            median(&plans),
            format!(
                "median of {}; budget 250 ms: {}",
                plans.len(),
                if median(&plans) <= 250.0 {
                    "met"
                } else {
                    "MISSED"
                }
            ),
        ),
        (
            "activation_latency_ms",
            median(&activation),
            format!(
                "median of {}; budget 300 ms: {}",
                activation.len(),
                if median(&activation) <= 300.0 {
                    "met"
                } else {
                    "MISSED"
                }
            ),
        ),
        (
            "activation_latency_interval_poll_ms",
            median(&interval),
            format!("median of {}", interval.len()),
        ),
        ("catalog_rps", catalog_rps, String::new()),
        ("catalog_p99_ms", catalog_p99, String::new()),
        ("status_rps", status_rps, String::new()),
        ("status_p99_ms", status_p99, String::new()),
        ("static_rps", static_rps, format!("p99 {static_p99:.2} ms")),
        (
            "webhook_events_per_s",
            events_per_s,
            "300 orders, 16 in flight, fsync on".into(),
        ),
        ("proxy_peak_rss_mb", rss, String::new()),
    ];
    println!("\n{:<38} {:>12}  notes", "measure", "value");
    for (k, v, note) in &rows {
        println!("{k:<38} {v:>12.1}  {note}");
    }
    let mut report = serde_json::Map::new();
    for (k, v, _) in &rows {
        report.insert((*k).to_owned(), serde_json::json!(v));
    }
    report.insert(
        "samples".into(),
        serde_json::json!({"plans_visible_ms": plans, "activation_latency_ms": activation,
                           "activation_latency_interval_poll_ms": interval}),
    );
    report.insert(
        "budgets".into(),
        serde_json::json!({"widget_brotli_bytes": budget_br, "plans_visible_ms": 250, "activation_latency_ms": 300}),
    );
    let missed: Vec<&str> = [
        ("widget_brotli_bytes", br > budget_br),
        ("plans_visible_ms", median(&plans) > 250.0),
        ("activation_latency_ms", median(&activation) > 300.0),
    ]
    .iter()
    .filter(|(_, m)| *m)
    .map(|(k, _)| *k)
    .collect();
    report.insert("missed".into(), serde_json::json!(missed));
    let json = serde_json::to_string_pretty(&serde_json::Value::Object(report))?;
    fs::write(out_dir.join("report.json"), json)?;
    println!("\nwrote {}", out_dir.join("report.json").display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_read() {
        let text = "Running 10s test @ http://x\n  Latency Distribution\n     50%  200.00us\n     99%    3.21ms\n  100 requests\nRequests/sec:  12345.67\nTransfer/sec: 1MB\n";
        let (rps, p99) = parse_wrk(text).expect("parses");
        assert!((rps - 12345.67).abs() < 1e-9);
        assert!((p99 - 3.21).abs() < 1e-9);
        let slow = text.replace("3.21ms", "1.50s");
        assert!((parse_wrk(&slow).expect("parses").1 - 1500.0).abs() < 1e-9);
        assert!(parse_wrk(&format!("{text}Non-2xx or 3xx responses: 5\n")).is_err());
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn compression_shrinks_repetition() {
        let text = b"abcabcabcabcabcabcabcabcabcabcabcabcabcabcabc".repeat(20);
        assert!(brotli_len(&text).expect("br") < text.len() / 10);
        assert!(gzip_len(&text).expect("gz") < text.len() / 5);
    }
}
