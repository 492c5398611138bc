//! `cargo xtask <command>`: the project's automation, in Rust instead of shell.
//!
//! - `cargo xtask test`: every test suite, installing what is missing first.
//! - `cargo xtask demo`: the widget, the proxy and the sandbox on loopback.
//! - `cargo xtask tools`: only install the tools (idempotent).
//!
//! Installs are idempotent: a tool already present at the pinned version is skipped.

mod attack;
mod bench;
mod browser_tests;
mod chaos;
mod dist;
mod docs;
mod fuzz;
mod lines;
mod release;
mod restart;
mod schema;
mod stack;
mod tools;

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};

fn usage() -> &'static str {
    "usage: cargo xtask <command>\n\n\
     commands:\n  \
     test            run every test suite (installs what is missing)\n  \
     demo [ARGS]     build the widget and run the demo stack on loopback (ARGS go to simology-demo)\n  \
     dist            build the widget for a CDN into dist/\n  \
     bench [--only parts] [--database-url URL]  measure against anchors (target/bench/report.json; exit 2: a target missed)\n  \
     fuzz [--seconds N] [--target T]   run the fuzz targets\n  \
     chaos [--orders N] [--kills K] [--replicas R] [--database-url URL]   orders under faults and SIGKILLs\n  \
     attack [--short]  the proxy under attack while a client buys; what held\n  \
     restart [--rate N] [--long-polls N] [--restarts N]   proxies replaced on one socket under load\n  \
     release         the release into target/release-artifacts/ (static binaries, dist/, checksums, SBOM)\n  \
     country-names   write the proxy's country names in the widget's languages (Node's Intl)\n  \
     tools           install the pinned tools only\n"
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("tools") => tools::ensure_all(),
        Some("dist") => dist::build().map(|_| ()),
        Some("demo") => demo(&args[1..]),
        // Its own exit codes: 2 when a target is missed, 1 when it could not measure.
        Some("bench") => return bench::main(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("chaos") => chaos::run(&args[1..]),
        Some("attack") => attack::run(&args[1..]),
        Some("restart") => restart::run(&args[1..]),
        Some("release") => release::run(&args[1..]),
        Some("country-names") => country_names(),
        Some("postgres") => tools::ensure_postgres().map(|url| println!("PostgreSQL ready: {url}")),
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

/// Every suite of `cargo xtask test`, in the order they run (`--only` names some).
const SUITES: &[&str] = &[
    "format",
    "docs",
    "clippy",
    "native",
    "widget-clippy",
    "widget-browser",
    "widget-dist",
    "e2e",
    "e2e-webkit",
    "e2e-firefox",
    "postgres",
    "schemathesis",
    "chaos-short",
    "chaos-replicas",
    "attack",
    "restart",
    "release",
];

/// One suite's outcome, for the summary table.
struct Outcome {
    name: &'static str,
    passed: bool,
    seconds: f64,
    detail: String,
}

fn run_suite(name: &'static str, f: impl FnOnce() -> Result<()>) -> Outcome {
    debug_assert!(SUITES.contains(&name), "{name} is listed in SUITES");
    if let Ok(only) = std::env::var("XTASK_ONLY") {
        if !only.split(',').any(|n| n == name) {
            return Outcome {
                name,
                passed: true,
                seconds: 0.0,
                detail: "skipped (--only)".into(),
            };
        }
    }
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

/// Writes `crates/proxy/src/country_names.rs` (countries' names in the widget's
/// languages, for the frame's first screen the proxy renders) from Node.js's `Intl`.
fn country_names() -> Result<()> {
    tools::ensure_node()?;
    let root = tools::workspace_root()?;
    tools::run(
        std::process::Command::new("node")
            .arg(root.join("xtask/js/country-names.js"))
            .arg(root.join("crates/proxy/src/countries.rs"))
            .arg(root.join("crates/proxy/src/country_names.rs")),
    )
}

/// Builds the widget and runs the demo stack until Ctrl-C; extra arguments go to
/// `simology-demo` (e.g. `--port 9000`).
fn demo(args: &[String]) -> Result<()> {
    dist::build()?;
    let root = tools::workspace_root()?;
    tools::run(
        tools::cargo()
            .args(["run", "--quiet", "-p", "simology-demo", "--"])
            .args(args)
            .current_dir(&root),
    )
}

/// Node's test runner on a folder of `e2e/` against the demo stack (needs `dist/`), with
/// extra environment.
fn node_tests(root: &std::path::Path, folder: &str, env: &[(&str, &str)]) -> Result<()> {
    tools::run(
        tools::cargo()
            .args(["build", "-p", "simology-demo"])
            .current_dir(root),
    )?;
    let dir = root.join("e2e");
    tools::ensure_npm(&dir)?;
    tools::run(
        std::process::Command::new("node")
            .args(["--test", "--test-concurrency=1", folder])
            .env("SIMOLOGY_DEMO_BIN", root.join("target/debug/simology-demo"))
            .envs(env.iter().copied())
            .current_dir(&dir),
    )
}

/// The end-to-end suite: journeys and the device/theme matrix in headless Chromium.
fn e2e(root: &std::path::Path) -> Result<()> {
    node_tests(root, "tests/", &[])
}

/// The purchase journey in another engine (`webkit` or `firefox`), over W3C WebDriver.
fn e2e_engine(root: &std::path::Path, engine: &str) -> Result<()> {
    tools::ensure_engines()?;
    node_tests(root, "engines/", &[("E2E_ENGINE", engine)])
}

/// The suites `cargo xtask test` was asked for: every one, or those of `--only a,b`.
/// A name that is no suite is an error naming the suites, never a run that skips
/// everything and passes.
fn suites_asked(args: &[String]) -> Result<Option<Vec<String>>> {
    let names = match args {
        [] => return Ok(None),
        [flag, names] if flag == "--only" => names,
        other => bail!("cargo xtask test takes only `--only suite,...`, got {other:?}"),
    };
    let names: Vec<String> = names
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    let unknown: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| !SUITES.contains(n))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "--only: no suite named {}; the suites are {}",
            unknown.join(", "),
            SUITES.join(", ")
        );
    }
    if names.is_empty() {
        bail!("--only: name at least one suite of {}", SUITES.join(", "));
    }
    Ok(Some(names))
}

fn test(args: &[String]) -> Result<()> {
    // `--only a,b` runs some suites (for developers); CI runs them all.
    let only = suites_asked(args)?;
    if let Some(names) = &only {
        // Read by `run_suite`; the summary says which suites were skipped.
        std::env::set_var("XTASK_ONLY", names.join(","));
    }
    // Every tool first, so a missing one fails here, named, rather than inside a suite.
    tools::ensure_all()?;
    let root = tools::workspace_root()?;
    let mut outcomes = Vec::new();
    let cargo_in_root = |args: &[&str]| {
        let mut cmd = tools::cargo();
        cmd.args(args).current_dir(&root);
        cmd
    };
    // The widget and its wasm artefact are built for wasm32 only; the rest natively.
    let native = [
        "--workspace",
        "--exclude",
        "simology-widget",
        "--exclude",
        "simology-widget-web",
    ];
    outcomes.push(run_suite("format", || {
        tools::run(&mut cargo_in_root(&["fmt", "--all", "--", "--check"]))?;
        lines::check(&root)
    }));
    // Early and cheap: the line counts and the docs' runnable blocks.
    outcomes.push(run_suite("docs", || docs::check(&root)));
    outcomes.push(run_suite("clippy", || {
        let mut cmd = cargo_in_root(&["clippy"]);
        cmd.args(native)
            .args(["--all-targets", "--", "-D", "warnings"]);
        tools::run(&mut cmd)?;
        // Dependencies no code uses, in every manifest under the root (the widget's and
        // the fuzz targets' too); `--with-metadata` reads the crates' library names
        // (the SDK's is `simology`). An exception is ignored in its manifest, with why.
        // The binary itself: run as `cargo machete` by the toolchain's cargo (not
        // rustup's), it takes the word `machete` for a path.
        tools::run(
            std::process::Command::new("cargo-machete")
                .arg("--with-metadata")
                .current_dir(&root),
        )
    }));
    outcomes.push(run_suite("native", || {
        let mut cmd = cargo_in_root(&["test"]);
        cmd.args(native);
        tools::run(&mut cmd)
    }));
    outcomes.push(run_suite("widget-clippy", || {
        let clippy = |features: &[&str]| {
            let mut cmd = cargo_in_root(&[
                "clippy",
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "simology-widget",
                "-p",
                "simology-widget-web",
            ]);
            cmd.args(features).args(["--", "-D", "warnings"]);
            tools::run(&mut cmd)
        };
        // Both modules together with the tests, then each wasm module as `dist` builds it.
        clippy(&["--all-targets"])?;
        for module in dist::MODULES {
            clippy(&["--no-default-features", "--features", module])?;
        }
        Ok(())
    }));
    outcomes.push(run_suite("widget-browser", || {
        // Every test target of the package runs; this makes a test file cargo would
        // not build an error rather than tests quietly missing.
        browser_tests::check(&root)?;
        let mut cmd = cargo_in_root(&[
            "test",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "simology-widget",
        ]);
        cmd.env("CHROMEDRIVER", "/usr/bin/chromedriver");
        tools::run(&mut cmd)
    }));
    outcomes.push(run_suite("widget-dist", || dist::build().map(|_| ())));
    outcomes.push(run_suite("e2e", || e2e(&root)));
    outcomes.push(run_suite("e2e-webkit", || e2e_engine(&root, "webkit")));
    outcomes.push(run_suite("e2e-firefox", || e2e_engine(&root, "firefox")));
    outcomes.push(run_suite("postgres", || {
        // The proxy's integration tests again, each on a fresh PostgreSQL database, with
        // the two-replica tests that only run there.
        let admin = tools::ensure_postgres()?;
        let mut cmd = cargo_in_root(&[
            "test",
            "-p",
            "simology-proxy",
            "--test",
            "api",
            "--",
            "--include-ignored",
        ]);
        cmd.env("PROXY_TEST_DATABASE_URL", admin);
        tools::run(&mut cmd)
    }));
    outcomes.push(run_suite("schemathesis", || schema::run(&root)));
    outcomes.push(run_suite("chaos-short", || {
        chaos::drive(&root, "debug", &["--orders", "40", "--kills", "3"])
    }));
    outcomes.push(run_suite("chaos-replicas", || {
        // Two replicas on one PostgreSQL, both killed in turn.
        tools::ensure_postgres()?;
        let db = tools::fresh_postgres_database("chaos")?;
        chaos::drive(
            &root,
            "debug",
            &[
                "--orders",
                "40",
                "--kills",
                "4",
                "--replicas",
                "2",
                "--database-url",
                &db,
            ],
        )
    }));
    outcomes.push(run_suite("attack", || {
        attack::drive(&root, "debug", "short")
    }));
    outcomes.push(run_suite("restart", || {
        // 200 requests a second and 500 long-polls across two restarts on one socket.
        restart::drive(&root, "debug", &[])
    }));
    outcomes.push(run_suite("release", release::check));
    println!("\n==> summary");
    let mut failed = 0;
    let mut skipped = 0;
    for o in &outcomes {
        let mark = match (o.passed, o.detail.starts_with("skipped")) {
            (true, true) => {
                skipped += 1;
                "SKIP"
            }
            (true, false) => "PASS",
            (false, _) => {
                failed += 1;
                "FAIL"
            }
        };
        println!("{mark}  {:<14} {:>7.1} s  {}", o.name, o.seconds, o.detail);
    }
    if failed > 0 {
        bail!("{failed} of {} suites failed", outcomes.len());
    }
    if skipped > 0 {
        println!(
            "{} suites passed, {skipped} skipped",
            outcomes.len() - skipped
        );
    } else {
        println!("all {} suites passed", outcomes.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn an_unknown_suite_is_an_error_naming_the_suites() {
        let err =
            suites_asked(&args(&["--only", "native,postgress"])).expect_err("a typo is refused");
        let text = err.to_string();
        assert!(text.contains("postgress"), "{text}");
        for suite in SUITES {
            assert!(text.contains(suite), "{suite}: {text}");
        }
        assert!(suites_asked(&args(&["--only", ""])).is_err());
        assert!(suites_asked(&args(&["--olny", "native"])).is_err());
    }

    #[test]
    fn known_suites_are_run_and_none_means_all() {
        assert_eq!(
            suites_asked(&args(&["--only", "format,attack"])).expect("known"),
            Some(vec!["format".to_owned(), "attack".to_owned()])
        );
        assert_eq!(suites_asked(&[]).expect("all"), None);
    }
}
