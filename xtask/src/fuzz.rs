//! `cargo xtask fuzz --seconds N [--target T]`: runs every cargo-fuzz target for N
//! seconds on its corpus (`fuzz/corpus/<target>`, kept in the repository), and reports
//! executions and crashes. A crash fails the command and leaves its input in
//! `fuzz/artifacts/<target>/`.

use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use simology_table::{Align, Table};

use crate::tools;

/// The targets, as `fuzz/Cargo.toml` names them.
pub const TARGETS: [&str; 5] = [
    "webhook_header",
    "webhook_verify",
    "event_parse",
    "lpa_parse",
    "proxy_bodies",
];

const CARGO_FUZZ_VERSION: &str = "0.13.2";

fn ensure_cargo_fuzz() -> Result<()> {
    let have = tools::output_of(tools::cargo().args(["fuzz", "--version"])).unwrap_or_default();
    if have.contains(CARGO_FUZZ_VERSION) {
        return Ok(());
    }
    println!("installing cargo-fuzz {CARGO_FUZZ_VERSION}");
    tools::run(tools::cargo().args([
        "install",
        "cargo-fuzz",
        "--locked",
        "--version",
        CARGO_FUZZ_VERSION,
    ]))
}

/// The number of executions libFuzzer reports at the end of a run.
pub fn executions(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("stat::number_of_executed_units:"))
        .and_then(|v| v.trim().parse().ok())
        .or_else(|| {
            stderr
                .lines()
                .filter_map(|l| l.strip_prefix("Done "))
                .find_map(|rest| rest.split_whitespace().next()?.parse().ok())
        })
}

/// Runs the targets.
///
/// # Errors
/// When cargo-fuzz cannot be installed, a target does not build, or a target crashes.
pub fn run(args: &[String]) -> Result<()> {
    let mut seconds: u64 = 60;
    let mut only: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                seconds = it
                    .next()
                    .context("--seconds needs a number")?
                    .parse()
                    .context("--seconds")?
            }
            "--target" => only = Some(it.next().context("--target needs a name")?.clone()),
            other => bail!("unknown argument {other:?}; use --seconds N [--target T]"),
        }
    }
    ensure_cargo_fuzz()?;
    let root = tools::workspace_root()?;
    let mut rows = Vec::new();
    let mut crashed = Vec::new();
    for target in TARGETS
        .iter()
        .filter(|t| only.as_deref().is_none_or(|o| o == **t))
    {
        println!("\n==> fuzzing {target} for {seconds} s");
        let started = Instant::now();
        // cargo-fuzz passes -Z flags (sanitizers); RUSTC_BOOTSTRAP lets this stable
        // toolchain take them, as the only toolchain here is stable.
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "fuzz",
                "run",
                target,
                "--",
                &format!("-max_total_time={seconds}"),
                "-print_final_stats=1",
            ])
            .env("RUSTC_BOOTSTRAP", "1")
            .current_dir(&root)
            .output()
            .with_context(|| format!("running cargo fuzz for {target}"))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let execs = executions(&stderr);
        let ok = out.status.success();
        if !ok {
            eprintln!(
                "{}",
                stderr
                    .lines()
                    .rev()
                    .take(40)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            crashed.push(*target);
        }
        rows.push((*target, execs, started.elapsed().as_secs(), ok));
    }
    let mut table = Table::new(&[
        ("target", Align::Left),
        ("executions", Align::Right),
        ("seconds", Align::Right),
        ("result", Align::Left),
    ]);
    for (t, e, s, ok) in &rows {
        table.row([
            (*t).to_owned(),
            e.map_or_else(|| "?".to_owned(), |e| e.to_string()),
            s.to_string(),
            if *ok {
                "no crash"
            } else {
                "CRASH (see fuzz/artifacts)"
            }
            .to_owned(),
        ]);
    }
    println!("\n{table}");
    if !crashed.is_empty() {
        bail!("crashes in {}", crashed.join(", "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libfuzzer_stats() {
        assert_eq!(
            executions(
                "#123 DONE\nstat::number_of_executed_units: 4567\nstat::average_exec_per_sec: 9"
            ),
            Some(4567)
        );
        assert_eq!(executions("Done 890 runs in 2 second(s)\n"), Some(890));
        assert_eq!(executions("nothing"), None);
    }
}
