//! `simology-bench`: drivers for the project's measurements.
//!
//! - `simology-bench webhooks ...`: signed webhook throughput of a running proxy
//!   (`cargo xtask bench`).
//! - `simology-bench chaos ...`: orders through the sandbox and proxy processes under
//!   upstream faults, duplicated and reordered webhooks, and SIGKILLs of the proxy
//!   (`cargo xtask chaos`).
//! - `simology-bench attack ...`: the proxy process under connection, header, body,
//!   guessing, spoofing and replay attacks while a client buys (`cargo xtask attack`).

mod attack;
mod chaos;
mod funnel_attack;
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
