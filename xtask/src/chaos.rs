//! `cargo xtask chaos --orders N`: orders through the sandbox and the proxy under
//! upstream faults, duplicated and reordered webhooks, and SIGKILLs of the proxy (see
//! `crates/bench/src/chaos.rs` for what is counted). A short run is a suite of
//! `cargo xtask test`.

use std::path::Path;

use anyhow::Result;

use crate::tools;

/// Builds the proxy and the chaos driver in `profile` (`debug` or `release`) and runs
/// the driver with extra arguments.
///
/// # Errors
/// When the build or the driver fails, or an invariant breaks.
pub fn drive(root: &Path, profile: &str, args: &[&str]) -> Result<()> {
    let mut build = tools::cargo();
    build.args(["build", "-p", "simology-proxy", "-p", "simology-bench"]);
    if profile == "release" {
        build.arg("--release");
    }
    tools::run(build.current_dir(root))?;
    let bin_dir = root.join("target").join(profile);
    tools::run(
        std::process::Command::new(bin_dir.join("simology-bench"))
            .arg("chaos")
            .arg("--proxy-bin")
            .arg(bin_dir.join("simology-proxy"))
            .args(args)
            .current_dir(root),
    )
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
