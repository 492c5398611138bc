//! `simology-sandbox`: runs the Simology sandbox simulator.
//!
//! `simology-sandbox --port 0` binds a free port on 127.0.0.1 and prints
//! `listening on http://127.0.0.1:<port>` as its first line.

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use simology_sandbox::{Faults, SandboxConfig};
use url::Url;

/// A stateful simulator of the Simology sandbox API.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// Port (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Seed for ids and faults.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Accepted API keys, comma-separated.
    #[arg(long, env = "SIMOLOGY_API_KEY", default_value = simology_sandbox::DEFAULT_API_KEY, value_delimiter = ',')]
    api_key: Vec<String>,
    /// Where to send webhooks.
    #[arg(long)]
    webhook_url: Option<Url>,
    /// Webhook signing secrets, comma-separated (one v1 per secret).
    #[arg(long, env = "SIMOLOGY_WEBHOOK_SECRET", default_value = simology_sandbox::DEFAULT_WEBHOOK_SECRET, value_delimiter = ',')]
    webhook_secret: Vec<String>,
    /// Public base URL for payment links, when not the bound address.
    #[arg(long)]
    public_url: Option<Url>,
    /// Milliseconds from payment to activation.
    #[arg(long, default_value_t = 1500)]
    activation_delay_ms: u64,
    /// Seconds a checkout session accepts payment.
    #[arg(long, default_value_t = 900)]
    session_ttl_secs: u64,
    /// Divides the webhook retry schedule and speeds up usage growth.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Share of /v1 requests answered 500.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Share of /v1 requests answered 429.
    #[arg(long, default_value_t = 0.0)]
    rate_limit_rate: f64,
    /// Retry-After of injected 429s, seconds.
    #[arg(long, default_value_t = 1)]
    retry_after_secs: u64,
    /// Milliseconds added to every /v1 request.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share of webhook attempts dropped.
    #[arg(long, default_value_t = 0.0)]
    drop_webhook_rate: f64,
    /// Deliver every webhook twice.
    #[arg(long)]
    duplicate_webhooks: bool,
    /// Deliver paid-phase webhooks after activation ones, and an order's activation
    /// webhooks in a shuffled order.
    #[arg(long)]
    out_of_order_webhooks: bool,
    /// Keep the last N lines of every order unprovisioned until
    /// POST /sandbox/orders/{id}/release-lines.
    #[arg(long, default_value_t = 0)]
    withhold_lines: u32,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "simology_sandbox=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    for rate in [
        args.error_rate,
        args.rate_limit_rate,
        args.drop_webhook_rate,
    ] {
        anyhow::ensure!(
            (0.0..=1.0).contains(&rate),
            "fault rates are between 0 and 1"
        );
    }
    anyhow::ensure!(args.time_scale > 0.0, "--time-scale must be positive");
    let config = SandboxConfig {
        seed: args.seed,
        api_keys: args.api_key,
        webhook_url: args.webhook_url,
        webhook_secrets: args.webhook_secret,
        public_url: args.public_url,
        activation_delay: Duration::from_millis(args.activation_delay_ms),
        refund_delay: Duration::from_millis(args.activation_delay_ms),
        session_ttl: Duration::from_secs(args.session_ttl_secs),
        time_scale: args.time_scale,
        webhook_timeout: Duration::from_secs(5),
        faults: Faults {
            error_rate: args.error_rate,
            rate_limit_rate: args.rate_limit_rate,
            retry_after_secs: args.retry_after_secs,
            latency_ms: args.latency_ms,
            drop_webhook_rate: args.drop_webhook_rate,
            duplicate_webhooks: args.duplicate_webhooks,
            out_of_order_webhooks: args.out_of_order_webhooks,
            withhold_lines: args.withhold_lines,
            ..Faults::default()
        },
    };
    let listener = tokio::net::TcpListener::bind((args.host, args.port))
        .await
        .with_context(|| format!("binding {}:{}", args.host, args.port))?;
    let sandbox = simology_sandbox::serve(config, listener).await?;
    println!("listening on {}", sandbox.url());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    sandbox.stop().await;
    Ok(())
}
