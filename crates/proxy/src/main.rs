//! `simology-proxy`: the partner proxy.
//!
//! `simology-proxy` serves (see `--help`); `simology-proxy refund <order_ref>` asks the
//! upstream for a refund; `simology-proxy events [--quarantined]` counts or lists the
//! stored webhook events, `simology-proxy events replay <event_id>` replays a
//! quarantined one; `simology-proxy tag <order_ref>` prints the tag that logs show
//! for an order; `simology-proxy check-config` validates the settings.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use simology_proxy::clock::rfc3339_ms;
use simology_proxy::config::{self, LogFormat, Settings};
use simology_proxy::domain::{log_tag, OrderRef};
use simology_proxy::fulfilment::processor::Outcome;
use simology_proxy::fulfilment::quarantine;
use simology_proxy::services::refund::request_refund;
use simology_proxy::{AppState, Application, SharedState};

/// The Simology partner proxy.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// A TOML config file (secrets come from the environment only).
    #[arg(long, env = "PROXY_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve (the default).
    Serve,
    /// Validate the configuration and exit.
    CheckConfig,
    /// Ask the upstream to refund an order; it changes state when `refund.processed` arrives.
    Refund {
        /// The order's reference (`o_...`).
        #[arg(value_parser = parse_order_ref)]
        order_ref: OrderRef,
        /// Why, for the records.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Stored webhook events: counts, the quarantined ones, or a replay.
    Events {
        /// List the quarantined events (id, type, when, why).
        #[arg(long)]
        quarantined: bool,
        #[command(subcommand)]
        action: Option<EventsAction>,
    },
    /// Print the tag that logs show for an order (needs the proxy's PROXY_LOG_TAG_KEY).
    Tag {
        /// The order's reference (`o_...`).
        #[arg(value_parser = parse_order_ref)]
        order_ref: OrderRef,
    },
}

#[derive(Subcommand, Debug)]
enum EventsAction {
    /// Take a quarantined event out of quarantine and process it now (its 48 hours
    /// start again if it still matches no order).
    Replay {
        /// The event's id (`evt_...`).
        event_id: String,
    },
}

fn parse_order_ref(text: &str) -> Result<OrderRef, String> {
    OrderRef::parse(text)
        .ok_or_else(|| format!("{text:?} is not an order reference (o_ and 32 hex digits)"))
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "simology_proxy=info,simology=info,warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
        LogFormat::Text => builder.init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

async fn list_quarantined(state: &AppState) -> Result<()> {
    let events = state.store.quarantined_events().await?;
    if events.is_empty() {
        println!("no quarantined events");
        return Ok(());
    }
    println!("event_id\ttype\treceived_at\tquarantined_at\tattempts\treason");
    for e in events {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            e.event_id,
            e.event_type,
            rfc3339_ms(e.received_at),
            rfc3339_ms(e.quarantined_at),
            e.attempts,
            e.reason
        );
    }
    Ok(())
}

async fn replay(state: &SharedState, event_id: &str) -> Result<()> {
    match quarantine::replay(state, event_id).await? {
        None => bail!("{event_id:?} is not a quarantined event"),
        Some(Outcome::Applied) => println!("{event_id} applied"),
        Some(Outcome::Ignored) => println!("{event_id} processed (nothing to apply)"),
        Some(Outcome::Quarantined(reason)) => {
            bail!("{event_id} is quarantined again: {reason}")
        }
        Some(Outcome::NotYet(why)) => println!(
            "{event_id} is out of quarantine, not applied yet ({why}); the proxy keeps trying"
        ),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("simology-proxy: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    let command = args.command.unwrap_or(Command::Serve);
    if let Command::Tag { order_ref } = &command {
        // The key alone: an operator maps a reference without the proxy's other secrets.
        let key = config::log_tag_key()?.context(
            "PROXY_LOG_TAG_KEY is not set: without it each proxy process tags with a random \
             key, and its tags cannot be reproduced; give the proxy and this command the same \
             PROXY_LOG_TAG_KEY (or PROXY_LOG_TAG_KEY_FILE)",
        )?;
        println!("{}", log_tag(key.as_bytes(), order_ref));
        return Ok(());
    }
    let settings = Settings::load(args.config.as_deref())?;
    match command {
        Command::Tag { .. } => unreachable!("answered above"),
        Command::CheckConfig => {
            println!("configuration ok: {settings:?}");
            Ok(())
        }
        Command::Refund { order_ref, reason } => {
            init_logs(LogFormat::Text);
            let state = AppState::connect(settings).await?;
            let accepted = request_refund(&state, &order_ref, reason)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "refund {} requested; the order changes when refund.processed arrives",
                accepted.refund_id
            );
            Ok(())
        }
        Command::Events {
            quarantined,
            action,
        } => {
            init_logs(LogFormat::Text);
            let state = AppState::connect(settings).await?;
            match action {
                Some(EventsAction::Replay { event_id }) => replay(&state, &event_id).await,
                None if quarantined => list_quarantined(&state).await,
                None => {
                    let c = state.store.event_counts().await?;
                    println!(
                        "{} stored: {} processed, {} waiting, {} quarantined",
                        c.stored, c.processed, c.waiting, c.quarantined
                    );
                    Ok(())
                }
            }
        }
        Command::Serve => {
            init_logs(settings.log_format);
            let public = settings.public_url.clone();
            let app = Application::build(settings).await?;
            let addr = app.addr()?;
            println!("listening on http://{addr}");
            if let Some(admin) = app.admin_addr()? {
                println!("admin and metrics listening on http://{admin}");
            }
            if let Some(p) = public {
                println!(
                    "register this webhook URL upstream: {}/webhooks/simology",
                    p.trim_end_matches('/')
                );
            }
            app.run_until_stopped(shutdown_signal()).await
        }
    }
}
