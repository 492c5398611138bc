//! `simology-demo`: the whole stack on loopback, as a partner would run it.
//!
//! - a travel-blog page (`/`, plus `/two.html`, `/hostile.html` and `/spy.html` for
//!   tests) that embeds the widget by its script tag, with a strict
//!   Content-Security-Policy; its widget sells for the affiliate Wander Notes, whose
//!   report is at `/report`. `/spy.html` carries a hostile script of the page's own
//!   (`/spy.js`, loaded before the widget's) that records whatever a script of the host
//!   page can reach;
//! - a second blog on its own site, of the affiliate Nomad Bytes, with its own report
//!   (see `affiliates.rs`);
//! - the widget's files from `dist/`, on another origin (port), as from a CDN;
//! - the partner proxy (SQLite), which serves the widget's frame;
//! - the Simology sandbox, with its webhooks pointed at the proxy;
//! - the partner's own systems on their own origin (see `partner.rs`): a CRM and a
//!   support desk that take the proxy's signed webhooks (`PROXY_WEBHOOKS`), and the
//!   affiliate networks that take its postbacks; their page shows what arrived.
//!
//! A blog and its proxy are different sites, as on the web: browsers decide what a
//! frame may keep (storage, cookies) by site, and ports alone do not make one. The
//! blogs listen on loopback addresses of their own (127.0.0.2 and 127.0.0.3; the whole
//! of 127.0.0.0/8 is local), the CDN, the proxy and the sandbox on 127.0.0.1.
//!
//! `cargo xtask demo` builds `dist/` and runs this. `--port 0` binds free ports and
//! prints one JSON line with the URLs and the affiliates (for the end-to-end tests and
//! the benchmarks).

mod affiliates;
mod partner;
mod sites;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use simology_proxy::config::Settings;
use simology_proxy::Application;
use simology_sandbox::{RunningSandbox, SandboxConfig, DEFAULT_API_KEY, DEFAULT_WEBHOOK_SECRET};
use tokio::net::TcpListener;

/// The demo stack.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    /// The page's port; the CDN, proxy, sandbox, second blog and partner systems take
    /// the next five (0: all free ports).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// The built widget (`cargo xtask dist`).
    #[arg(long, default_value = "dist")]
    dist: PathBuf,
    /// Where the proxy keeps its SQLite file.
    #[arg(long, default_value = "target/demo")]
    data_dir: PathBuf,
    /// Milliseconds from payment to the eSIM being ready.
    #[arg(long, default_value_t = 2000)]
    activation_delay_ms: u64,
    /// Print the URLs as one JSON line (for tests).
    #[arg(long)]
    json: bool,
    /// Run the proxy as this separate program instead of in this process (the
    /// benchmarks read its memory).
    #[arg(long)]
    proxy_bin: Option<PathBuf>,
    /// Also serve this folder, on its own port, with a plain static server (the
    /// benchmarks' ceiling).
    #[arg(long)]
    static_dir: Option<PathBuf>,
}

/// The loopback address of the first blog: a site of its own.
pub const BLOG_HOST: &str = "127.0.0.2";
/// The second blog's.
pub const SECOND_BLOG_HOST: &str = "127.0.0.3";

/// The demo proxy's admin token (a fixed value: the demo runs on loopback only).
const DEMO_ADMIN_TOKEN: &str = "demo-admin-token-0123456789abcdef01";

async fn bind_on(host: &str, port: u16, offset: u16) -> Result<TcpListener> {
    let port = if port == 0 { 0 } else { port + offset };
    TcpListener::bind((host, port))
        .await
        .with_context(|| format!("{host}:{port} is taken; pass --port to use others"))
}

async fn bind(port: u16, offset: u16) -> Result<TcpListener> {
    bind_on("127.0.0.1", port, offset).await
}

/// The demo in phases: read the arguments and the widget's integrity, bind every socket,
/// start the sandbox, write the proxy's files and start it, point the sandbox's webhooks
/// at it, serve the sites, say where they are, and stop everything on Ctrl-C.
#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    init_logging();
    let script_integrity = script_integrity(&args.dist)?;
    let sockets = Sockets::bind(args.port).await?;
    let urls = sockets.urls()?;
    let sandbox = start_sandbox(&args, sockets.sandbox).await?;
    let setup = Setup::write(&args.data_dir, &urls)?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let env = proxy_env(&args, &sandbox, &urls, &setup, sockets.proxy);
    let proxy = start_proxy(args.proxy_bin.as_deref(), &env, stop_rx.clone()).await?;
    sandbox.set_webhook_url(Some(url::Url::parse(&format!(
        "{}/webhooks/simology",
        proxy.url
    ))?));
    let servers = sites::serve_sites(
        sites::Sites {
            page: sockets.page,
            cdn: sockets.cdn,
            second_blog: sockets.second_blog,
            partner: sockets.partner,
        },
        &args,
        &urls,
        &proxy.url,
        &setup,
        &script_integrity,
        &stop_rx,
    )
    .await?;
    if args.json {
        print_json(
            &urls,
            &proxy,
            &sandbox,
            &setup,
            servers.static_url.as_deref(),
        );
    } else {
        print_welcome(&urls, &proxy.url, &sandbox, &setup);
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    stop(stop_tx, servers, proxy, sandbox).await;
    Ok(())
}

/// Logs to stderr (stdout carries `--json`'s line), in colour only on a terminal.
fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,simology_proxy=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// The widget script's Subresource Integrity, from the `integrity.json` that
/// `cargo xtask dist` writes into `dist`.
fn script_integrity(dist: &Path) -> Result<String> {
    let integrity_json =
        std::fs::read_to_string(dist.join("integrity.json")).with_context(|| {
            format!(
                "{} has no integrity.json: run `cargo xtask dist` first",
                dist.display()
            )
        })?;
    let integrity: serde_json::Value =
        serde_json::from_str(&integrity_json).context("reading integrity.json")?;
    Ok(integrity["simology-esim.js"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// Every socket of the stack. Each is held from its bind to its serve, so no other
/// process can take a port in between. The proxy binds its own (port 0 when `--port 0`)
/// and says where; the sandbox learns the proxy's webhook URL once the proxy is up.
struct Sockets {
    page: TcpListener,
    cdn: TcpListener,
    /// Where the proxy is to listen.
    proxy: SocketAddr,
    sandbox: TcpListener,
    second_blog: TcpListener,
    partner: TcpListener,
}

/// Where the sites the demo serves itself are (the proxy's comes once it is up).
struct Urls {
    page: String,
    second_blog: String,
    cdn: String,
    partner: String,
}

impl Sockets {
    /// Binds the page on `port`, and the others on the next five (all free ports: 0).
    async fn bind(port: u16) -> Result<Sockets> {
        let page = bind_on(BLOG_HOST, port, 0).await?;
        let cdn = bind(port, 1).await?;
        let proxy = SocketAddr::from(([127, 0, 0, 1], if port == 0 { 0 } else { port + 2 }));
        let sandbox = bind(port, 3).await?;
        let second_blog = bind_on(SECOND_BLOG_HOST, port, 4).await?;
        let partner = bind(port, 5).await?;
        Ok(Sockets {
            page,
            cdn,
            proxy,
            sandbox,
            second_blog,
            partner,
        })
    }

    fn urls(&self) -> Result<Urls> {
        let url = |l: &TcpListener| -> Result<String> { Ok(format!("http://{}", l.local_addr()?)) };
        Ok(Urls {
            partner: url(&self.partner)?,
            page: url(&self.page)?,
            second_blog: url(&self.second_blog)?,
            cdn: url(&self.cdn)?,
        })
    }
}

/// Starts the Simology sandbox on `listener`, its webhooks not yet pointed anywhere.
async fn start_sandbox(args: &Args, listener: TcpListener) -> Result<RunningSandbox> {
    simology_sandbox::serve(
        SandboxConfig {
            seed: 42,
            activation_delay: Duration::from_millis(args.activation_delay_ms),
            refund_delay: Duration::from_millis(args.activation_delay_ms),
            time_scale: 60.0,
            webhook_url: None,
            ..SandboxConfig::default()
        },
        listener,
    )
    .await
}

/// What the proxy is configured with beyond its environment: the affiliates and the
/// partner systems' endpoints (in files under `--data-dir`), and its database's path.
struct Setup {
    db: PathBuf,
    affiliates: Vec<affiliates::DemoAffiliate>,
    affiliates_path: PathBuf,
    partner: partner::Partner,
    webhooks_path: PathBuf,
}

impl Setup {
    /// Writes the affiliates' file and the partner endpoints' file into `data_dir`.
    fn write(data_dir: &Path, urls: &Urls) -> Result<Setup> {
        let db = data_dir.join("proxy.db");
        // The affiliates: their origins join the allowed ones.
        let affiliates = affiliates::demo_affiliates(
            std::slice::from_ref(&urls.page),
            &urls.second_blog,
            Some(&urls.partner),
        );
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let affiliates_path = data_dir.join("affiliates.toml");
        std::fs::write(&affiliates_path, affiliates::affiliates_file(&affiliates))
            .with_context(|| format!("writing {}", affiliates_path.display()))?;
        // The partner systems' endpoints, with a fresh secret each per run.
        let partner = partner::Partner::new();
        let webhooks_path = data_dir.join("webhooks.toml");
        std::fs::write(&webhooks_path, partner.endpoints_file(&urls.partner))
            .with_context(|| format!("writing {}", webhooks_path.display()))?;
        Ok(Setup {
            db,
            affiliates,
            affiliates_path,
            partner,
            webhooks_path,
        })
    }
}

/// The demo proxy's settings, as the environment variables it reads.
fn proxy_env(
    args: &Args,
    sandbox: &RunningSandbox,
    urls: &Urls,
    setup: &Setup,
    listen: SocketAddr,
) -> Vec<(&'static str, String)> {
    let Urls { page, cdn, .. } = urls;
    vec![
        ("SIMOLOGY_API_KEY", DEFAULT_API_KEY.to_owned()),
        ("SIMOLOGY_BASE_URL", sandbox.url().to_owned()),
        ("SIMOLOGY_WEBHOOK_SECRET", DEFAULT_WEBHOOK_SECRET.to_owned()),
        (
            "PROXY_ALLOWED_ORIGINS",
            // The CDN's too: the embed builder there previews the widget live.
            format!("{page},{cdn}"),
        ),
        // The frame's document is made with the widget's files, published on the CDN.
        ("PROXY_WIDGET_DIR", args.dist.display().to_string()),
        ("PROXY_WIDGET_URL", format!("{cdn}/")),
        ("PROXY_LISTEN", listen.to_string()),
        (
            "PROXY_DATABASE_URL",
            format!("sqlite://{}", setup.db.display()),
        ),
        ("PROXY_LOG_FORMAT", "text".to_owned()),
        ("PROXY_STALE_AFTER_SECS", "20".to_owned()),
        ("PROXY_RECONCILE_INTERVAL_SECS", "5".to_owned()),
        ("PROXY_CHECKOUT_PER_MINUTE", "120".to_owned()),
        (
            "PROXY_AFFILIATES",
            setup.affiliates_path.display().to_string(),
        ),
        ("PROXY_WEBHOOKS", setup.webhooks_path.display().to_string()),
        // Demo only: refunds from the command line or a test (`/admin/orders/.../refund`).
        ("PROXY_ADMIN_TOKEN", DEMO_ADMIN_TOKEN.to_owned()),
        ("PROXY_BEACONS_PER_MINUTE", "100000".to_owned()),
        ("PROXY_STATUS_PER_MINUTE", "100000".to_owned()),
        // Every browser of the demo and its tests comes from 127.0.0.1.
        ("PROXY_LONG_POLLS_PER_CLIENT", "1000".to_owned()),
        // On loopback only: the bench reads the demo proxy's /metrics.
        ("PROXY_METRICS_PUBLIC", "true".to_owned()),
    ]
}

/// The partner proxy, running in this process or as a child process.
struct RunningProxy {
    /// Its address, without a trailing slash.
    url: String,
    /// The process it runs in (this one's when in-process).
    pid: u32,
    /// The child process (`--proxy-bin`).
    child: Option<tokio::process::Child>,
    /// The in-process proxy's task.
    task: Option<tokio::task::JoinHandle<Result<()>>>,
}

/// Starts the proxy with `env`: as the program `bin` (whose environment overrides
/// `env`), or in this process until `stop` turns true. Returns once it listens.
async fn start_proxy(
    bin: Option<&Path>,
    env: &[(&'static str, String)],
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<RunningProxy> {
    match bin {
        Some(bin) => {
            // The process environment overrides the demo's settings (the benchmarks
            // lift the rate limits this way).
            let effective: Vec<(&str, String)> = env
                .iter()
                .map(|(k, v)| (*k, std::env::var(k).unwrap_or_else(|_| v.clone())))
                .collect();
            let mut child = tokio::process::Command::new(bin)
                .envs(effective.iter().map(|(k, v)| (*k, v.as_str())))
                .stdout(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .with_context(|| format!("starting {}", bin.display()))?;
            let stdout = child.stdout.take().context("proxy stdout")?;
            let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
            let first = lines.next_line().await?.unwrap_or_default();
            let url = first
                .strip_prefix("listening on ")
                .with_context(|| format!("the proxy did not start: {first:?}"))?;
            let url = url::Url::parse(url)
                .with_context(|| format!("the proxy's address {url:?}"))?
                .as_str()
                .trim_end_matches('/')
                .to_owned();
            // Keep reading, so the proxy never writes into a closed pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            Ok(RunningProxy {
                url,
                pid: child.id().unwrap_or_else(std::process::id),
                child: Some(child),
                task: None,
            })
        }
        None => {
            let settings = Settings::load_with(None, &|k| {
                std::env::var(k)
                    .ok()
                    .or_else(|| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
            })?;
            let proxy = Application::build(settings).await?;
            let url = format!("http://{}", proxy.addr()?);
            let mut rx = stop;
            let task = tokio::spawn(proxy.run_until_stopped(async move {
                let _ = rx.changed().await;
            }));
            Ok(RunningProxy {
                url,
                pid: std::process::id(),
                child: None,
                task: Some(task),
            })
        }
    }
}

/// `--json`: the URLs and the affiliates, as one line (for the end-to-end tests and the
/// benchmarks).
fn print_json(
    urls: &Urls,
    proxy: &RunningProxy,
    sandbox: &RunningSandbox,
    setup: &Setup,
    static_url: Option<&str>,
) {
    println!(
        "{}",
        serde_json::json!({"page": urls.page, "cdn": urls.cdn, "proxy": proxy.url, "sandbox": sandbox.url(),
                           "static": static_url, "proxy_pid": proxy.pid, "second_blog": urls.second_blog,
                           "partner": urls.partner, "admin_token": DEMO_ADMIN_TOKEN,
                           "affiliates": setup.affiliates.iter().map(|a| serde_json::json!({
                               "id": a.id, "token": a.token, "origins": a.origins,
                           })).collect::<Vec<_>>()})
    );
}

/// What to open, for a person at a terminal.
fn print_welcome(urls: &Urls, proxy_url: &str, sandbox: &RunningSandbox, setup: &Setup) {
    let Urls {
        page: page_url,
        second_blog: second_url,
        cdn: cdn_url,
        partner: partner_url,
    } = urls;
    println!("Simology eSIM widget demo\n");
    println!("  open the travel blog:  {page_url}/");
    println!("  two widgets:           {page_url}/two.html");
    println!("  hostile host CSS:      {page_url}/hostile.html");
    println!("  a hostile host script: {page_url}/spy.html  (what it saw: window.__spy.final())");
    println!("  a second blog:         {second_url}/  (another affiliate, another origin)");
    println!("  embed builder:         {cdn_url}/builder.html?proxy={proxy_url}");
    println!("  affiliate reports:     {page_url}/report  and  {second_url}/report");
    println!("  partner systems:       {partner_url}/  (webhooks and postbacks received, signatures verified)");
    println!(
        "  refund an order:       curl -X POST -H 'Authorization: Bearer {DEMO_ADMIN_TOKEN}' {proxy_url}/admin/orders/<order_ref>/refund"
    );
    println!("  widget files (CDN):    {cdn_url}/simology-esim.js");
    println!(
        "  partner proxy:         {proxy_url}  (SQLite at {})",
        setup.db.display()
    );
    println!("  Simology sandbox:      {}\n", sandbox.url());
    let wander = &setup.affiliates[0];
    println!(
        "  or with curl:          curl -H 'Authorization: Bearer {}' '{proxy_url}/api/affiliates/{}/report?by=placement'\n",
        wander.token, wander.id
    );
    println!("Test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined;");
    println!("            4000 0000 0000 0341 pays but provisioning fails.");
    println!("Ctrl-C stops everything.");
}

/// Stops everything: the servers and an in-process proxy finish what is in flight, a
/// child proxy is sent SIGTERM and waited for, then the sandbox stops.
async fn stop(
    stop_tx: tokio::sync::watch::Sender<bool>,
    servers: sites::Servers,
    proxy: RunningProxy,
    sandbox: RunningSandbox,
) {
    let _ = stop_tx.send(true);
    for task in servers.tasks {
        let _ = task.await;
    }
    if let Some(task) = proxy.task {
        let _ = task.await;
    }
    if let Some(mut child) = proxy.child {
        // SIGTERM: the proxy finishes in-flight requests and stops.
        if let Some(pid) = child.id() {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
        let _ = child.wait().await;
    }
    sandbox.stop().await;
}
