//! `cargo xtask attack [--short]`: the proxy as a process on loopback under attack
//! (slow sockets, a long-poll flood, spoofed forwarding headers, guessed references,
//! oversized and slow bodies, replayed webhooks) while a well-behaved client buys an
//! eSIM and reads its status, then a flood of forged beacons while webhooks come and a
//! guesser of report tokens; prints what was thrown and what held, and fails when
//! something did not hold (see `crates/bench/src/attack.rs`). The short form is the
//! `attack` suite of `cargo xtask test`.

use std::path::Path;

use anyhow::{bail, Result};

use crate::tools;

/// Builds the proxy and the driver in `profile` (`debug` or `release`) and runs the
/// attack in `form` (`full` or `short`).
///
/// # Errors
/// When the build fails or something did not hold.
pub fn drive(root: &Path, profile: &str, form: &str) -> Result<()> {
    let bin_dir = crate::chaos::build_drivers(root, profile)?;
    // The driver raises its own open-file limit (and so its proxy's) with setrlimit;
    // nothing else on the machine changes.
    tools::run(
        std::process::Command::new(bin_dir.join("simology-bench"))
            .arg("attack")
            .arg("--proxy-bin")
            .arg(bin_dir.join("simology-proxy"))
            .args(["--form", form])
            .current_dir(root),
    )
}

/// `cargo xtask attack [--short]`: the full form in release, or the short one.
///
/// # Errors
/// When the build fails or something did not hold.
pub fn run(args: &[String]) -> Result<()> {
    let root = tools::workspace_root()?;
    match args {
        [] => drive(&root, "release", "full"),
        [flag] if flag == "--short" => drive(&root, "release", "short"),
        other => bail!("usage: cargo xtask attack [--short], got {other:?}"),
    }
}
