//! The `schemathesis` suite: property-based tests of the proxy's API generated from its
//! own OpenAPI document (`/api/openapi.json`), against the demo stack. It checks that no
//! answer is a 5xx and that every answer (status, content type, headers, body) matches
//! the document.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::stack::DemoStack;
use crate::tools;

/// The schemathesis release used, from PyPI.
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";

fn ensure_schemathesis(root: &Path) -> Result<std::path::PathBuf> {
    let venv = root.join("target/tools/schemathesis");
    let bin = venv.join("bin/schemathesis");
    let have = tools::output_of(Command::new(&bin).arg("--version")).unwrap_or_default();
    if have.contains(SCHEMATHESIS_VERSION) {
        return Ok(bin);
    }
    println!(
        "installing schemathesis {SCHEMATHESIS_VERSION} from PyPI into {}",
        venv.display()
    );
    tools::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    tools::run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("schemathesis=={SCHEMATHESIS_VERSION}")),
    )?;
    Ok(bin)
}

/// Runs the suite.
///
/// # Errors
/// When schemathesis finds a failure or cannot run.
pub fn run(root: &Path) -> Result<()> {
    let bin = ensure_schemathesis(root)?;
    tools::run(
        tools::cargo()
            .args(["build", "-p", "simology-demo"])
            .current_dir(root),
    )?;
    let demo = DemoStack::start(
        root,
        "debug",
        &root.join("target/schemathesis-data"),
        200,
        &[],
        "error",
    )?;
    let proxy = demo.url("proxy")?;
    // A real order, so the order operations are exercised beyond 404s.
    let made = Command::new("node")
        .arg("bench/ready-order.mjs")
        .arg(demo.urls.to_string())
        .current_dir(root.join("e2e"))
        .output()
        .context("making a ready order")?;
    if !made.status.success() {
        bail!(
            "could not make a ready order: {}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
    let order_ref = String::from_utf8_lossy(&made.stdout).trim().to_owned();
    let config = root.join("target/schemathesis.toml");
    std::fs::write(
        &config,
        format!(
            "[[operations]]\ninclude-path-regex = \"^/api/orders/\"\nparameters = {{ order_ref = \"{order_ref}\" }}\n"
        ),
    )?;
    let status = Command::new(&bin)
        // Its cache (`.schemathesis/`) goes under target/, not into the tree.
        .current_dir(root.join("target"))
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("{proxy}/api/openapi.json"))
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance",
            "--max-time",
            "60",
            // One worker: with two, schemathesis's threads parse Python sources at
            // once (hypothesis describes its filters' lambdas with `ast.parse`), and
            // CPython 3.11's AST constructor is not safe across threads ("SystemError:
            // AST constructor recursion depth mismatch", python/cpython#106905). It
            // struck as soon as the document listed `/api/affiliates/{affiliate}/report`
            // first, whose parameters start that parsing beside `/api/catalog`'s.
            "--workers",
            "1",
            "--max-response-time",
            "30",
        ])
        .status()
        .context("running schemathesis")?;
    if !status.success() {
        bail!("schemathesis found failures");
    }
    Ok(())
}
