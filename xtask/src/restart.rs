//! `cargo xtask restart`: proxy processes replaced one by another on one listening
//! socket, as systemd's socket activation replaces them, while a client sends 200
//! requests a second and holds 500 long-polls (see `crates/bench/src/restart.rs`). It
//! prints the figures as a table and fails when a request failed or a long-poll went
//! unanswered. The `restart` suite of `cargo xtask test` runs it on the debug build.

use std::path::Path;
use std::process::Stdio;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use simology_table::{Align, Table};

use crate::tools;

/// Runs the restart driver against the proxy binary `proxy` with extra arguments.
///
/// # Errors
/// When the driver cannot run, or something did not hold.
pub fn drive_with(root: &Path, driver: &Path, proxy: &Path, args: &[&str]) -> Result<()> {
    let mut cmd = std::process::Command::new(driver);
    cmd.arg("restart")
        .arg("--proxy-bin")
        .arg(proxy)
        .args(args)
        .current_dir(root)
        .stderr(Stdio::inherit());
    let out = cmd.output().with_context(|| format!("starting {cmd:?}"))?;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        println!("{line}");
        if let Ok(report) = serde_json::from_str::<Value>(line) {
            print!("{}", table(&report));
        }
    }
    if !out.status.success() {
        bail!("{cmd:?} failed ({})", out.status);
    }
    Ok(())
}

/// Builds the proxy and the driver in `profile` and runs the driver.
///
/// # Errors
/// As [`drive_with`], or when the build fails.
pub fn drive(root: &Path, profile: &str, args: &[&str]) -> Result<()> {
    let bin = crate::chaos::build_drivers(root, profile)?;
    drive_with(
        root,
        &bin.join("simology-bench"),
        &bin.join("simology-proxy"),
        args,
    )
}

fn table(r: &Value) -> String {
    let n = |key: &str| {
        r[key]
            .as_u64()
            .map_or_else(|| "?".to_owned(), |v| v.to_string())
    };
    let mut rows = vec![
        (
            "rate / long-polls / restarts".to_owned(),
            format!(
                "{}/s / {} / {}",
                n("rate_per_s"),
                n("long_polls"),
                n("restarts")
            ),
        ),
        (
            "requests sent / ok / failed".to_owned(),
            format!(
                "{} / {} / {}",
                n("requests_sent"),
                n("requests_ok"),
                n("requests_failed")
            ),
        ),
        (
            "long-polls sent / answered / unanswered".to_owned(),
            format!(
                "{} / {} / {}",
                n("long_polls_sent"),
                n("long_polls_answered"),
                n("long_polls_unanswered")
            ),
        ),
        (
            "resent after a kept-alive close / kept-alive found closed".to_owned(),
            format!(
                "{} / {}",
                n("resent_after_keepalive_close"),
                n("kept_alive_found_closed")
            ),
        ),
        (
            "latency p50 / p99 / max".to_owned(),
            format!(
                "{} / {} / {} ms",
                n("latency_ms_p50"),
                n("latency_ms_p99"),
                n("latency_ms_max")
            ),
        ),
    ];
    for (i, h) in r["handovers"].as_array().into_iter().flatten().enumerate() {
        rows.push((
            format!(
                "restart {}: long-polls waiting at SIGTERM, drain, start",
                i + 1
            ),
            format!(
                "{} , {} ms, {} ms",
                h["long_polls_waiting_at_sigterm"], h["drain_ms"], h["start_ms"]
            ),
        ));
    }
    let mut table = Table::new(&[("measure", Align::Left), ("value", Align::Left)]);
    for (measure, value) in rows {
        table.row([measure.to_string(), value]);
    }
    table.markdown()
}

/// `cargo xtask restart [--rate N] [--long-polls N] [--restarts N] [--seconds S]
/// [--database-url URL]`, on the release build.
///
/// # Errors
/// When the build or the run fails, or something did not hold.
pub fn run(args: &[String]) -> Result<()> {
    let root = tools::workspace_root()?;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    drive(&root, "release", &args)
}
