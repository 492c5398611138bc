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

mod attack;
mod chaos;
mod outbox;
mod partner;
mod webhooks;

use std::collections::HashMap;

use anyhow::{bail, Context, Result};

fn options(args: impl Iterator<Item = String>) -> Result<HashMap<String, String>> {
    let mut map = HashMap::new();
    let mut it = args;
    while let Some(k) = it.next() {
        let v = it.next().with_context(|| format!("{k} needs a value"))?;
        map.insert(k.trim_start_matches("--").to_owned(), v);
    }
    Ok(map)
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
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("webhooks") => webhooks::run(&options(args)?).await,
        Some("chaos") => chaos::run(&options(args)?).await,
        Some("attack") => attack::run(&options(args)?).await,
        Some("outbox") => outbox::run(&options(args)?).await,
        _ => bail!("usage: simology-bench webhooks|chaos|attack|outbox --key value ..."),
    }
}
