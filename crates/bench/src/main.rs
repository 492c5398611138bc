//! `simology-bench`: drivers for the project's measurements.
//!
//! - `simology-bench webhooks ...`: signed webhook throughput of a running proxy
//!   (`cargo xtask bench`).
//! - `simology-bench chaos ...`: orders through the sandbox and proxy processes under
//!   upstream faults, duplicated and reordered webhooks, and SIGKILLs of the proxy
//!   (`cargo xtask chaos`).
//! - `simology-bench attack ...`: the proxy process under connection, header, body,
//!   guessing, spoofing and replay attacks while a client buys (`cargo xtask attack`).
//! - `simology-bench outbox ...`: what the outbox costs the webhook ingest rate, and the
//!   latency from a state change to its webhook's first attempt (`cargo xtask bench`).
//! - `simology-bench restart ...`: proxy processes replaced one by another on one
//!   passed socket under a steady load and waiting long-polls (`cargo xtask restart`).
//! - `simology-bench release ...`: the released binaries on a machine without a Rust
//!   toolchain: start, health, a checkout (the `release` suite).

mod attack;
mod chaos;
mod funnel_attack;
mod outbox;
mod partner;
mod release;
mod restart;
mod webhooks;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// The project's measurement drivers (run by `cargo xtask bench`, `chaos` and `attack`).
#[derive(Debug, Parser)]
#[command(name = "simology-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Driver,
}

#[derive(Debug, Subcommand)]
enum Driver {
    /// Signed webhook throughput of a running proxy.
    Webhooks(webhooks::Args),
    /// Orders under upstream faults and SIGKILLs of the proxy.
    Chaos(chaos::Args),
    /// The proxy under attack while a client buys.
    Attack(attack::Args),
    /// What the outbox costs the webhook ingest rate, and its delivery latency.
    Outbox(outbox::OutboxArgs),
    /// Restarts of a proxy on one passed socket, under load (`cargo xtask restart`).
    Restart(RestartArgs),
    /// The released binaries on a machine without a Rust toolchain.
    Release(ReleaseArgs),
}

/// `simology-bench restart`'s options.
#[derive(Debug, clap::Args)]
struct RestartArgs {
    /// The proxy's binary.
    #[arg(long)]
    proxy_bin: String,
    /// Its database (default: SQLite in a temporary folder).
    #[arg(long)]
    database_url: Option<String>,
    /// Requests a second.
    #[arg(long)]
    rate: Option<u64>,
    /// Long-polls waiting at each restart.
    #[arg(long)]
    long_polls: Option<u64>,
    /// How many restarts.
    #[arg(long)]
    restarts: Option<usize>,
    /// Seconds of load around each restart.
    #[arg(long)]
    seconds: Option<f64>,
}

/// `simology-bench release`'s options.
#[derive(Debug, clap::Args)]
struct ReleaseArgs {
    /// The released proxy's binary.
    #[arg(long)]
    proxy_bin: String,
    /// The released sandbox's binary.
    #[arg(long)]
    sandbox_bin: String,
}

/// The options as the drivers of `restart` and `release` read them.
fn options(pairs: &[(&str, Option<String>)]) -> std::collections::HashMap<String, String> {
    pairs
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| ((*k).to_owned(), v)))
        .collect()
}

/// The environment of a proxy process that sells through the sandbox at `sandbox` with
/// its default key and webhook secret, to pages of `origin`, with `settings` added.
fn proxy_env(sandbox: &str, origin: &str, settings: &[(&str, String)]) -> Vec<(String, String)> {
    [
        (
            "SIMOLOGY_API_KEY",
            simology_sandbox::DEFAULT_API_KEY.to_owned(),
        ),
        ("SIMOLOGY_BASE_URL", sandbox.to_owned()),
        (
            "SIMOLOGY_WEBHOOK_SECRET",
            simology_sandbox::DEFAULT_WEBHOOK_SECRET.to_owned(),
        ),
        ("PROXY_ALLOWED_ORIGINS", origin.to_owned()),
    ]
    .into_iter()
    .chain(settings.iter().cloned())
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

#[tokio::main]
async fn main() -> Result<()> {
    // Unknown flags and missing values are refused by clap, with the usage.
    match Cli::parse().command {
        Driver::Webhooks(args) => webhooks::run(args).await,
        Driver::Chaos(args) => chaos::run(args).await,
        Driver::Attack(args) => attack::run(args).await,
        Driver::Outbox(args) => outbox::run(args).await,
        Driver::Restart(a) => {
            restart::run(&options(&[
                ("proxy-bin", Some(a.proxy_bin)),
                ("database-url", a.database_url),
                ("rate", a.rate.map(|v| v.to_string())),
                ("long-polls", a.long_polls.map(|v| v.to_string())),
                ("restarts", a.restarts.map(|v| v.to_string())),
                ("seconds", a.seconds.map(|v| v.to_string())),
            ]))
            .await
        }
        Driver::Release(a) => {
            release::run(&options(&[
                ("proxy-bin", Some(a.proxy_bin)),
                ("sandbox-bin", Some(a.sandbox_bin)),
            ]))
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("simology-bench").chain(args.iter().copied()))
    }

    #[test]
    fn unknown_flags_and_bad_values_are_refused() {
        for args in [
            &["attack", "--proxy-bin", "p", "--from", "short"][..],
            &["attack", "--proxy-bin", "p", "--form", "shrot"],
            &["attack"],
            &["chaos", "--proxy-bin", "p", "--order", "40"],
            &["chaos", "--proxy-bin", "p", "--orders", "many"],
            &[
                "webhooks",
                "--proxy",
                "x",
                "--sandbox",
                "y",
                "--origin",
                "o",
                "--secret",
                "s",
                "--concurency",
                "4",
            ],
            &["webhook"],
        ] {
            let err = parse(args).expect_err(&args.join(" "));
            assert_ne!(err.kind(), clap::error::ErrorKind::DisplayHelp, "{args:?}");
        }
    }

    #[test]
    fn known_flags_are_read() {
        let cli = parse(&[
            "chaos",
            "--proxy-bin",
            "p",
            "--orders",
            "40",
            "--kills",
            "3",
        ])
        .expect("valid");
        let Driver::Chaos(args) = cli.command else {
            panic!("chaos");
        };
        assert!(format!("{args:?}").contains("orders: 40"), "{args:?}");
        assert!(parse(&["attack", "--proxy-bin", "p", "--form", "short"]).is_ok());
    }
}
