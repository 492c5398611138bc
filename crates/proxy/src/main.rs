//! `simology-proxy`: the partner proxy.
//!
//! `simology-proxy` serves (see `--help`; SIGHUP re-reads the affiliates file);
//! `simology-proxy refund <order_ref> [--line <iccid>]` asks the upstream for a refund of
//! an order or of one of its lines; `simology-proxy orders [--incomplete]` lists orders
//! (or the paid ones still short of lines); `simology-proxy report` prints the
//! affiliates' report; `simology-proxy events [--quarantined]` counts or lists the
//! stored webhook events, `simology-proxy events replay <event_id>` replays a
//! quarantined one; `simology-proxy tag <order_ref>` prints the tag that logs show
//! for an order; `simology-proxy webhooks [list|replay|test]` shows and acts on the
//! outgoing webhooks and postbacks; `simology-proxy check-config` validates the
//! settings; `simology-proxy backup --to FILE` copies the SQLite database while the
//! proxy serves and `simology-proxy restore --from FILE` puts a copy back with the
//! proxy stopped; `simology-proxy healthcheck` asks a running proxy's `/healthz` (a
//! container's healthcheck, where there is no shell and no curl).
//!
//! Under systemd's socket activation (or any supervisor that passes listening sockets
//! the same way), the proxy serves the sockets it is given: on SIGTERM it stops
//! accepting, answers its waiting long-polls and finishes its requests in flight, while
//! new connections wait in the socket's queue for the next process.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use simology_proxy::affiliates::Affiliates;
use simology_proxy::clock::{now_ms, rfc3339_ms};
use simology_proxy::config::{self, LogFormat, Settings};
use simology_proxy::domain::{log_tag, OrderRef};
use simology_proxy::fulfilment::dispatcher;
use simology_proxy::fulfilment::processor::Outcome;
use simology_proxy::fulfilment::quarantine::{self, Replayed};
use simology_proxy::outgoing::endpoints::Endpoints;
use simology_proxy::services::lines::incomplete_orders;
use simology_proxy::services::refund::request_refund;
use simology_proxy::services::report::{self, ReportQuery};
use simology_proxy::store::backup;
use simology_proxy::store::OrderRow;
use simology_proxy::{AppState, Application, Inherited, SharedState};
use simology_proxy_api::ReportGroup;
use simology_table::{Align, Table};

/// The Simology partner proxy.
#[derive(Parser, Debug)]
#[command(version, about, after_help = config::declared::help())]
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
    /// Print the settings' reference as Markdown (`docs/settings.md` is this).
    Settings,
    /// Ask the upstream to refund an order, or one of its lines; it changes when
    /// `refund.processed` arrives.
    Refund {
        /// The order's reference (`o_...`).
        #[arg(value_parser = parse_order_ref)]
        order_ref: OrderRef,
        /// Refund only this line of the order (its ICCID, as in the order's `lines`).
        #[arg(long, value_name = "ICCID")]
        line: Option<String>,
        /// Why, for the records.
        #[arg(long)]
        reason: Option<String>,
    },
    /// List orders, newest first: reference, kind, state, quantity, lines delivered, age.
    Orders {
        /// Only paid orders still short of lines after the reconciler's window (as
        /// counted by `simology_orders_incomplete`), oldest first.
        #[arg(long)]
        incomplete: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Print the affiliates' report: the funnel (shown, destination, plan, checkout,
    /// paid, ready), conversion rates, revenue per currency and the commission owed.
    Report {
        /// First day, YYYY-MM-DD (UTC) [default: the 30 days ending with --until]
        #[arg(long)]
        since: Option<String>,
        /// Last day, included [default: today]
        #[arg(long)]
        until: Option<String>,
        /// One affiliate only (its id in the affiliates file)
        #[arg(long)]
        affiliate: Option<String>,
        /// A row per affiliate, placement, page, destination or day
        #[arg(long, default_value = "affiliate", value_parser = parse_group)]
        by: ReportGroup,
        /// How to print it
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// At most this many rows (1 to 10000), the first by affiliate and key; the
        /// totals are always whole
        #[arg(long, default_value_t = report::DEFAULT_ROWS)]
        limit: u32,
    },
    /// Stored webhook events: counts, the quarantined ones, or a replay.
    Events {
        /// List the quarantined events (id, type, when, why).
        #[arg(long)]
        quarantined: bool,
        #[command(subcommand)]
        action: Option<EventsAction>,
    },
    /// Outgoing webhooks and postbacks: the destinations' counts, the latest deliveries,
    /// a replay, or a test delivery.
    Webhooks {
        #[command(subcommand)]
        action: Option<WebhooksAction>,
    },
    /// Print the tag that logs show for an order (needs the proxy's PROXY_LOG_TAG_KEY).
    Tag {
        /// The order's reference (`o_...`).
        #[arg(value_parser = parse_order_ref)]
        order_ref: OrderRef,
    },
    /// Copy the SQLite database into a new file while the proxy serves: a consistent
    /// snapshot of what was committed when the copy began (PostgreSQL: pg_dump).
    Backup {
        /// The new file (never overwritten).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Put a backup in place of the SQLite database, with the proxy stopped; the
    /// database it replaces is kept beside it (`.before-restore-<time>`).
    Restore {
        /// A file written by `backup`.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
    },
    /// Exit 0 when the proxy listening at PROXY_LISTEN (or --url) answers /healthz.
    Healthcheck {
        /// The proxy's base URL [default: from PROXY_LISTEN, on loopback]
        #[arg(long)]
        url: Option<String>,
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

#[derive(Subcommand, Debug)]
enum WebhooksAction {
    /// The destinations (pending, retrying, given up, disabled) and the latest
    /// deliveries, newest first.
    List {
        /// Only this destination (an endpoint's id, or `postback:<affiliate>`).
        #[arg(long)]
        endpoint: Option<String>,
        /// At most this many deliveries.
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Send an event again, from now, with its webhook-id (a new chain of attempts), to
    /// every destination it was for; or, with --failed, every delivery given up to one
    /// destination, which is enabled again if it was disabled.
    Replay {
        /// The event's webhook-id (`msg_...`).
        #[arg(required_unless_present = "failed")]
        id: Option<String>,
        /// Only to this destination.
        #[arg(long)]
        endpoint: Option<String>,
        /// Every delivery given up to this destination.
        #[arg(long, value_name = "ENDPOINT", conflicts_with_all = ["id", "endpoint"])]
        failed: Option<String>,
    },
    /// Send a signed `webhook.test` event to an endpoint now and print its answer; a
    /// disabled endpoint that answers 2xx is enabled again.
    Test {
        /// The endpoint's id in the endpoints file.
        endpoint: String,
    },
}

/// How `report` prints.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// Aligned text tables.
    Table,
    /// CSV, a line per row and currency.
    Csv,
    /// The JSON of `GET /admin/report`.
    Json,
}

fn parse_group(text: &str) -> Result<ReportGroup, String> {
    ReportGroup::parse(text).ok_or_else(|| {
        format!("{text:?} is not one of affiliate, placement, page, destination, day")
    })
}

fn parse_order_ref(text: &str) -> Result<OrderRef, String> {
    OrderRef::parse(text)
        .ok_or_else(|| format!("{text:?} is not an order reference (o_ and 32 hex digits)"))
}

/// Orders as a table: reference, kind, state, quantity, lines delivered, and age
/// (since payment once paid, else since creation).
fn orders_table<'a>(rows: impl Iterator<Item = &'a OrderRow>, now: i64) -> String {
    let mut table = Table::new(&[
        ("order_ref", Align::Left),
        ("kind", Align::Left),
        ("state", Align::Left),
        ("quantity", Align::Right),
        ("lines_ready", Align::Right),
        ("age", Align::Left),
    ]);
    for row in rows {
        let (since, from) = match row.facts.paid_since() {
            Some(t) => (t, "since payment"),
            None => (row.created_at, "since creation"),
        };
        let secs = now.saturating_sub(since).max(0) / 1000;
        table.row([
            row.order_ref.as_str().to_owned(),
            row.kind.as_str().to_owned(),
            row.facts.state().as_str().to_owned(),
            row.quantity.to_string(),
            row.facts.lines_ready().to_string(),
            format!("{}m {:02}s {from}", secs / 60, secs % 60),
        ]);
    }
    table.text()
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "simology_proxy=info,simology=info,warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal, never into a file or a collector.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
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

async fn webhooks(state: &SharedState, action: WebhooksAction) -> Result<()> {
    match action {
        WebhooksAction::List { endpoint, limit } => {
            let stats = state.store.outbox_stats().await?;
            let endpoints = state.webhooks.endpoints();
            let mut destinations = Table::new(&[
                ("destination", Align::Left),
                ("pending", Align::Right),
                ("retrying", Align::Right),
                ("failed", Align::Right),
                ("oldest_pending", Align::Left),
                ("disabled", Align::Left),
            ]);
            let mut names: Vec<String> = stats.keys().cloned().collect();
            for e in endpoints.iter() {
                if !names.contains(&e.id) {
                    names.push(e.id.clone());
                }
            }
            names.sort();
            for name in names {
                let s = stats.get(&name).cloned().unwrap_or_default();
                destinations.row([
                    name,
                    s.pending.to_string(),
                    s.retrying.to_string(),
                    s.failed.to_string(),
                    s.oldest_pending_at
                        .map_or_else(|| "-".to_owned(), rfc3339_ms),
                    s.disabled_at.map_or_else(|| "no".to_owned(), rfc3339_ms),
                ]);
            }
            print!("{destinations}");
            let rows = state
                .store
                .deliveries(endpoint.as_deref(), None, limit.max(1))
                .await?;
            let mut deliveries = Table::new(&[
                ("webhook_id", Align::Left),
                ("destination", Align::Left),
                ("type", Align::Left),
                ("order_id", Align::Left),
                ("state", Align::Left),
                ("attempts", Align::Right),
                ("last_status", Align::Right),
                ("created_at", Align::Left),
                ("note", Align::Left),
            ]);
            for r in rows {
                let note = match r.state() {
                    "pending"
                        if !r
                            .destination
                            .starts_with(simology_proxy::outgoing::POSTBACK_PREFIX)
                            && endpoints.get(&r.destination).is_none() =>
                    {
                        "waits: the endpoint is not in the endpoints file".to_owned()
                    }
                    "pending" => format!("next attempt {}", rfc3339_ms(r.next_attempt_at)),
                    _ => r.last_error.clone().unwrap_or_default(),
                };
                deliveries.row([
                    r.message_id.to_string(),
                    r.destination.to_string(),
                    r.event_type.to_string(),
                    r.order_id.to_string(),
                    r.state().to_owned(),
                    r.attempts.to_string(),
                    r.last_status
                        .map_or_else(|| "-".to_owned(), |s| s.to_string()),
                    rfc3339_ms(r.created_at),
                    note,
                ]);
            }
            print!("\n{deliveries}");
            Ok(())
        }
        WebhooksAction::Replay {
            id,
            endpoint,
            failed,
        } => {
            let n = match (failed, id) {
                (Some(destination), _) => state.store.replay_failed(&destination).await?,
                (None, Some(id)) => {
                    let n = state.store.replay_message(&id, endpoint.as_deref()).await?;
                    if n == 0 && state.store.deliveries(None, Some(&id), 1).await?.is_empty() {
                        bail!("{id:?} is no event of the outbox (`simology-proxy webhooks list` shows them)");
                    }
                    n
                }
                (None, None) => bail!("give an event's webhook-id, or --failed <endpoint>"),
            };
            println!(
                "{n} deliver{} set going again; the running proxy sends {} on its next pass",
                if n == 1 { "y" } else { "ies" },
                if n == 1 { "it" } else { "them" }
            );
            Ok(())
        }
        WebhooksAction::Test { endpoint } => {
            let tested = dispatcher::test_endpoint(state, &endpoint).await?;
            let took = tested.took.as_millis();
            match (tested.status, &tested.error) {
                (Some(status), None) => {
                    println!("{endpoint} answered {status} in {took} ms: the signed test event was delivered");
                    if tested.enabled_again {
                        println!("{endpoint} was disabled and is enabled again; its waiting deliveries go out now");
                    }
                    Ok(())
                }
                (_, Some(error)) => bail!("{endpoint}: {error} (after {took} ms)"),
                (None, None) => bail!("{endpoint}: no answer (after {took} ms)"),
            }
        }
    }
}

async fn replay(state: &SharedState, event_id: &str) -> Result<()> {
    match quarantine::replay_from_outside(state, event_id).await? {
        None => bail!("{event_id:?} is not a quarantined event"),
        Some(Replayed::Queued) => println!(
            "{event_id} is out of quarantine: the running proxy processes it on its next pass \
             (`simology-proxy events --quarantined` shows it again if it still cannot apply)"
        ),
        Some(Replayed::Now(Outcome::Applied)) => println!("{event_id} applied"),
        Some(Replayed::Now(Outcome::Ignored)) => {
            println!("{event_id} processed (nothing to apply)")
        }
        Some(Replayed::Now(Outcome::Quarantined(reason))) => {
            bail!("{event_id} is quarantined again: {reason}")
        }
        Some(Replayed::Now(Outcome::NotYet(why))) => println!(
            "{event_id} is out of quarantine, not applied yet ({why}); the proxy keeps trying"
        ),
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    // Before any thread starts: taking the passed sockets clears their variables.
    let result = Inherited::from_env().and_then(|inherited| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the runtime")?
            .block_on(run(args, inherited))
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("simology-proxy: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Asks `GET /healthz` of the proxy at `base` over plain HTTP/1.1 (no TLS: the check
/// runs beside the proxy); fails unless it answers 200 within five seconds.
async fn healthcheck(base: &str) -> Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = url::Url::parse(base).with_context(|| format!("{base:?} is not a URL"))?;
    if url.scheme() != "http" {
        bail!("healthcheck speaks plain http to a proxy beside it, not {base:?}");
    }
    let host = url.host_str().context("the URL has no host")?.to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    let ask = async {
        let mut tcp = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
            .await
            .with_context(|| format!("connecting to {host}:{port}"))?;
        tcp.write_all(
            format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await?;
        let mut answer = Vec::new();
        tcp.read_to_end(&mut answer).await?;
        anyhow::Ok(answer)
    };
    let answer = tokio::time::timeout(std::time::Duration::from_secs(5), ask)
        .await
        .context("no answer within 5 s")??;
    let status = String::from_utf8_lossy(&answer);
    let status = status.lines().next().unwrap_or_default();
    if !status.starts_with("HTTP/1.1 200") {
        bail!("/healthz answered {status:?}");
    }
    println!("ok");
    Ok(())
}

/// The base URL at which the proxy listening on `listen` is reached from beside it.
fn local_url(listen: std::net::SocketAddr) -> String {
    let ip = match listen.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!("http://{}", std::net::SocketAddr::new(ip, listen.port()))
}

async fn run(args: Args, inherited: Inherited) -> Result<()> {
    let command = args.command.unwrap_or(Command::Serve);
    if let Command::Settings = &command {
        print!("{}", config::declared::markdown());
        return Ok(());
    }
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
        Command::Tag { .. } | Command::Settings => unreachable!("answered above"),
        Command::Healthcheck { url } => {
            healthcheck(&url.unwrap_or_else(|| local_url(settings.listen))).await
        }
        Command::Backup { to } => {
            let contents = backup::backup(&settings.database_url, &to).await?;
            println!("backed up into {}: {contents}", to.display());
            Ok(())
        }
        Command::Restore { from } => {
            let restored = backup::restore(&settings.database_url, &from).await?;
            if let Some(previous) = &restored.previous {
                println!("the database it replaces is kept as {}", previous.display());
            }
            println!(
                "restored {}: {} (the proxy migrates it forward when it starts)",
                from.display(),
                restored.contents
            );
            Ok(())
        }
        Command::CheckConfig => {
            if let Some(path) = &settings.affiliates_file {
                let affiliates = Affiliates::load(path)?;
                println!("affiliates file ok: {} affiliate(s)", affiliates.len());
            }
            if let Some(path) = &settings.webhooks_file {
                let endpoints = Endpoints::load(path)?;
                println!("endpoints file ok: {} endpoint(s)", endpoints.len());
            }
            println!("configuration ok: {settings:?}");
            Ok(())
        }
        Command::Report {
            since,
            until,
            affiliate,
            by,
            format,
            limit,
        } => {
            init_logs(LogFormat::Text);
            let query = ReportQuery::parse_with_limit(
                since.as_deref(),
                until.as_deref(),
                affiliate.as_deref(),
                by,
                Some(limit),
                report::today(),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let state = AppState::connect(settings).await?;
            let report = report::report(&state, &query)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            match format {
                Format::Table => print!("{}", report::table(&report)),
                Format::Csv => print!("{}", report::csv(&report)),
                Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            }
            Ok(())
        }
        Command::Refund {
            order_ref,
            line,
            reason,
        } => {
            init_logs(LogFormat::Text);
            let state = AppState::connect(settings).await?;
            let accepted = request_refund(&state, &order_ref, line.as_deref(), reason)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let what = match &accepted.iccid {
                Some(iccid) => format!("the line {iccid}"),
                None => "the order".to_owned(),
            };
            println!(
                "refund {} requested; {what} changes when refund.processed arrives",
                accepted.refund_id
            );
            Ok(())
        }
        Command::Orders { incomplete, limit } => {
            let state = AppState::connect(settings).await?;
            let now = now_ms();
            let rows = if incomplete {
                incomplete_orders(&state, now).await?
            } else {
                state.store.all_orders().await?
            };
            print!("{}", orders_table(rows.iter().take(limit), now));
            if incomplete && rows.is_empty() {
                println!("no paid order is short of lines");
            }
            Ok(())
        }
        Command::Webhooks { action } => {
            init_logs(LogFormat::Text);
            let state = AppState::connect(settings).await?;
            let action = action.unwrap_or(WebhooksAction::List {
                endpoint: None,
                limit: 20,
            });
            webhooks(&state, action).await
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
            let app = Application::build_on(settings, inherited).await?;
            // Listening before the banner: a SIGHUP from then on re-reads the files
            // rather than ending the process.
            #[cfg(unix)]
            reload_files_on_hangup(app.state())?;
            // Type=notify: systemd counts the proxy as started once it serves.
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
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
            app.run_until_stopped(async {
                shutdown_signal().await;
                let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
            })
            .await
        }
    }
}

/// Re-reads the affiliates file and the endpoints file on every SIGHUP, for as long as
/// the proxy serves; a refused file keeps what was read before (the log says why).
#[cfg(unix)]
fn reload_files_on_hangup(state: SharedState) -> Result<()> {
    use anyhow::Context;
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangups = signal(SignalKind::hangup()).context("listening for SIGHUP")?;
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            state.affiliates.reload_and_log();
            state.webhooks.reload_and_log();
        }
    });
    Ok(())
}
