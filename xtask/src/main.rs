//! `cargo xtask <command>`: the project's automation, in Rust instead of shell.
//!
//! - `cargo xtask test`: every test suite, installing what is missing first.
//! - `cargo xtask demo`: the widget, the proxy and the sandbox on loopback.
//! - `cargo xtask tools`: only install the tools (idempotent).
//!
//! Installs are idempotent: a tool already present at the pinned version is skipped.

mod dist;
mod tools;

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};

fn usage() -> &'static str {
    "usage: cargo xtask <command>\n\n\
     commands:\n  \
     test            run every test suite (installs what is missing)\n  \
     demo            run the demo stack on loopback\n  \
     dist            build the widget for a CDN into dist/\n  \
     tools           install the pinned tools only\n"
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("tools") => tools::ensure_all(),
        Some("dist") => dist::build().map(|_| ()),
        Some("-h" | "--help" | "help") | None => {
            print!("{}", usage());
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!("unknown command {other:?}\n\n{}", usage())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// One suite's outcome, for the summary table.
struct Outcome {
    name: &'static str,
    passed: bool,
    seconds: f64,
    detail: String,
}

fn run_suite(name: &'static str, f: impl FnOnce() -> Result<()>) -> Outcome {
    println!("\n==> suite {name}");
    let started = Instant::now();
    let result = f();
    let seconds = started.elapsed().as_secs_f64();
    match result {
        Ok(()) => Outcome {
            name,
            passed: true,
            seconds,
            detail: String::new(),
        },
        Err(e) => Outcome {
            name,
            passed: false,
            seconds,
            detail: format!("{e:#}"),
        },
    }
}

fn test(args: &[String]) -> Result<()> {
    if let Some(extra) = args.first() {
        bail!("cargo xtask test takes no arguments, got {extra:?}");
    }
    tools::ensure_native()?;
    let root = tools::workspace_root()?;
    let mut outcomes = Vec::new();
    outcomes.push(run_suite("format", || {
        tools::run(
            tools::cargo()
                .args(["fmt", "--all", "--", "--check"])
                .current_dir(&root),
        )
    }));
    outcomes.push(run_suite("clippy", || {
        tools::run(
            tools::cargo()
                .args([
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ])
                .current_dir(&root),
        )
    }));
    outcomes.push(run_suite("native", || {
        tools::run(
            tools::cargo()
                .args(["test", "--workspace", "--exclude", "simology-widget"])
                .current_dir(&root),
        )
    }));
    println!("\n==> summary");
    let mut failed = 0;
    for o in &outcomes {
        let mark = if o.passed { "PASS" } else { "FAIL" };
        println!("{mark}  {:<14} {:>7.1} s  {}", o.name, o.seconds, o.detail);
        if !o.passed {
            failed += 1;
        }
    }
    if failed > 0 {
        bail!("{failed} of {} suites failed", outcomes.len());
    }
    println!("all {} suites passed", outcomes.len());
    Ok(())
}
