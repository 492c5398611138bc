//! `cargo xtask chaos --orders N`: orders through the sandbox and the proxy under
//! upstream faults, duplicated and reordered webhooks, and SIGKILLs of the proxy; one
//! order in four is for several travellers, and every order's outgoing webhooks and
//! postbacks are counted at a partner receiver (see `crates/bench/src/chaos.rs` for
//! what is counted). It prints the driver's JSON report and the same as a table. A short run
//! is a suite of `cargo xtask test`.

use std::path::Path;
use std::process::Stdio;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use simology_table::{Align, Table};

use crate::tools;

/// Builds the proxy and the bench drivers (`simology-bench`) in `profile` (`debug` or
/// `release`); returns the folder of the binaries.
///
/// # Errors
/// When the build fails.
pub fn build_drivers(root: &Path, profile: &str) -> Result<std::path::PathBuf> {
    let mut build = tools::cargo();
    build.args(["build", "-p", "simology-proxy", "-p", "simology-bench"]);
    if profile == "release" {
        build.arg("--release");
    }
    tools::run(build.current_dir(root))?;
    Ok(root.join("target").join(profile))
}

/// Builds the proxy and the chaos driver in `profile` (`debug` or `release`) and runs
/// the driver with extra arguments.
///
/// # Errors
/// When the build or the driver fails, or an invariant breaks.
pub fn drive(root: &Path, profile: &str, args: &[&str]) -> Result<()> {
    let bin_dir = build_drivers(root, profile)?;
    let mut driver = std::process::Command::new(bin_dir.join("simology-bench"));
    driver
        .arg("chaos")
        .arg("--proxy-bin")
        .arg(bin_dir.join("simology-proxy"))
        .args(args)
        .current_dir(root)
        .stderr(Stdio::inherit());
    let out = driver
        .output()
        .with_context(|| format!("starting {driver:?}"))?;
    // The report is the driver's one line of output, printed even when an invariant broke.
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        println!("{line}");
        if let Ok(report) = serde_json::from_str::<Value>(line) {
            print!("{}", table(&report));
        }
    }
    if !out.status.success() {
        bail!("{driver:?} failed ({})", out.status);
    }
    Ok(())
}

/// The chaos report as a Markdown table (docs/reliability.md's).
fn table(r: &Value) -> String {
    let n = |key: &str| {
        r[key]
            .as_u64()
            .map_or_else(|| "?".to_owned(), |v| v.to_string())
    };
    let secs = |key: &str| {
        r[key]
            .as_f64()
            .map_or_else(|| "?".to_owned(), |v| format!("{v:.0} s"))
    };
    let rows = [
        (
            "orders (for several travellers)",
            format!("{} ({})", n("orders"), n("multi_line_orders")),
        ),
        (
            "replicas / proxy kills",
            format!("{} / {}", n("replicas"), n("proxy_kills")),
        ),
        (
            "orders created / upstream sessions",
            format!("{} / {}", n("orders_created"), n("upstream_sessions")),
        ),
        ("duplicate upstream orders", n("duplicate_upstream_orders")),
        (
            "events sent / received / lost",
            format!(
                "{} / {} / {}",
                n("events_sent"),
                n("events_received"),
                n("events_lost")
            ),
        ),
        ("webhook deliveries", n("deliveries")),
        ("orders ready exactly once", n("orders_final_exactly_once")),
        (
            "lines ready exactly once / expected",
            format!(
                "{} / {}",
                n("lines_ready_exactly_once"),
                n("lines_expected")
            ),
        ),
        (
            "orders seen ready short of lines",
            n("orders_ready_short_of_lines"),
        ),
        ("orders short of lines at the end", n("orders_incomplete")),
        (
            "outgoing webhook events / received / lost",
            format!(
                "{} / {} / {}",
                n("webhook_events"),
                n("webhook_events_received"),
                n("webhook_events_lost")
            ),
        ),
        (
            "webhook duplicates (deduplicated by webhook-id) / first attempts refused",
            format!(
                "{} / {}",
                n("webhook_duplicates_deduplicated"),
                n("webhook_first_attempts_refused")
            ),
        ),
        (
            "orders told paid and ready / with both postbacks",
            format!(
                "{} / {}",
                n("orders_told_paid_and_ready"),
                n("orders_with_both_postbacks")
            ),
        ),
        (
            "bad signatures / deliveries given up",
            format!(
                "{} / {}",
                n("webhook_bad_signatures"),
                n("webhook_deliveries_given_up")
            ),
        ),
        (
            "time to drain / the outbox drained / total",
            format!(
                "{} / {} / {}",
                secs("time_to_drain_s"),
                secs("time_to_drain_outbox_s"),
                secs("total_s")
            ),
        ),
    ];
    let mut table = Table::new(&[("measure", Align::Left), ("value", Align::Left)]);
    for (measure, value) in rows {
        table.row([measure.to_string(), value]);
    }
    table.markdown()
}

/// `cargo xtask chaos [--orders N] [--kills K] [--replicas R] [--database-url URL]`.
///
/// # Errors
/// When the build or the run fails.
pub fn run(args: &[String]) -> Result<()> {
    let root = tools::workspace_root()?;
    let mut extra: Vec<&str> = args.iter().map(String::as_str).collect();
    if !extra.contains(&"--orders") {
        extra.extend(["--orders", "1000"]);
    }
    if !extra.contains(&"--kills") {
        extra.extend(["--kills", "8"]);
    }
    drive(&root, "release", &extra)
}
