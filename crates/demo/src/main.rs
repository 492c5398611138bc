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

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::http::{header, HeaderValue};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use clap::Parser;
use simology_proxy::config::Settings;
use simology_proxy::Application;
use simology_sandbox::{SandboxConfig, DEFAULT_API_KEY, DEFAULT_WEBHOOK_SECRET};
use tokio::net::TcpListener;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

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

/// A listener whose connections send small writes at once (no Nagle delay): a file
/// served in two writes otherwise waits for the client's delayed ACK.
fn nodelay(listener: TcpListener) -> impl axum::serve::Listener<Addr = SocketAddr> {
    use axum::serve::ListenerExt;
    listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    })
}

/// The host pages' Content-Security-Policy, as docs/embedding.md gives it: the widget's script
/// from the CDN and its frame from the proxy; no `connect-src` and no
/// `'wasm-unsafe-eval'` for the widget (its requests and its wasm are the frame's).
pub fn host_csp(cdn: &str, proxy: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' {cdn}; frame-src {proxy}; style-src 'self'; \
         img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

fn page(template: &str, cdn: &str, proxy: &str, integrity: &str) -> String {
    template
        .replace("{{CDN}}", cdn)
        .replace("{{PROXY}}", proxy)
        .replace("{{INTEGRITY}}", integrity)
}

async fn blog_css() -> impl axum::response::IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css")],
        include_str!("../pages/blog.css"),
    )
}

/// A blog's `/report`: its affiliate's report, asked of the proxy with the token by the
/// blog's server, so the token never reaches a page.
fn report_route(
    client: &reqwest::Client,
    proxy: &str,
    affiliate: &affiliates::DemoAffiliate,
) -> impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Html<String>> + Send>>
       + Clone
       + Send
       + Sync
       + 'static {
    let (client, proxy, affiliate) = (client.clone(), proxy.to_owned(), affiliate.clone());
    move || {
        let (client, proxy, affiliate) = (client.clone(), proxy.clone(), affiliate.clone());
        Box::pin(async move {
            let report = affiliates::fetch_report(&client, &proxy, &affiliate).await;
            Html(affiliates::report_page(&affiliate, report))
        })
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,simology_proxy=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let integrity_json =
        std::fs::read_to_string(args.dist.join("integrity.json")).with_context(|| {
            format!(
                "{} has no integrity.json: run `cargo xtask dist` first",
                args.dist.display()
            )
        })?;
    let integrity: serde_json::Value =
        serde_json::from_str(&integrity_json).context("reading integrity.json")?;
    let script_integrity = integrity["simology-esim.js"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // Every socket is held from its bind to its serve, so no other process can take a
    // port in between. The proxy binds its own (port 0 when `--port 0`) and says where;
    // the sandbox learns the proxy's webhook URL once the proxy is up.
    let page_listener = bind_on(BLOG_HOST, args.port, 0).await?;
    let cdn_listener = bind(args.port, 1).await?;
    let proxy_listen = SocketAddr::from((
        [127, 0, 0, 1],
        if args.port == 0 { 0 } else { args.port + 2 },
    ));
    let sandbox_listener = bind(args.port, 3).await?;
    let second_listener = bind_on(SECOND_BLOG_HOST, args.port, 4).await?;
    let partner_listener = bind(args.port, 5).await?;
    let partner_url = format!("http://{}", partner_listener.local_addr()?);
    let page_url = format!("http://{}", page_listener.local_addr()?);
    let second_url = format!("http://{}", second_listener.local_addr()?);
    let cdn_url = format!("http://{}", cdn_listener.local_addr()?);

    let sandbox = simology_sandbox::serve(
        SandboxConfig {
            seed: 42,
            activation_delay: Duration::from_millis(args.activation_delay_ms),
            refund_delay: Duration::from_millis(args.activation_delay_ms),
            time_scale: 60.0,
            webhook_url: None,
            ..SandboxConfig::default()
        },
        sandbox_listener,
    )
    .await?;

    let db = args.data_dir.join("proxy.db");
    // The affiliates: their origins join the allowed ones.
    let affiliates = affiliates::demo_affiliates(
        std::slice::from_ref(&page_url),
        &second_url,
        Some(&partner_url),
    );
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    let affiliates_path = args.data_dir.join("affiliates.toml");
    std::fs::write(&affiliates_path, affiliates::affiliates_file(&affiliates))
        .with_context(|| format!("writing {}", affiliates_path.display()))?;
    // The partner systems' endpoints, with a fresh secret each per run.
    let partner = partner::Partner::new();
    let webhooks_path = args.data_dir.join("webhooks.toml");
    std::fs::write(&webhooks_path, partner.endpoints_file(&partner_url))
        .with_context(|| format!("writing {}", webhooks_path.display()))?;
    let env = [
        ("SIMOLOGY_API_KEY", DEFAULT_API_KEY.to_owned()),
        ("SIMOLOGY_BASE_URL", sandbox.url().to_owned()),
        ("SIMOLOGY_WEBHOOK_SECRET", DEFAULT_WEBHOOK_SECRET.to_owned()),
        (
            "PROXY_ALLOWED_ORIGINS",
            // The CDN's too: the embed builder there previews the widget live.
            format!("{page_url},{cdn_url}"),
        ),
        // The frame's document is made with the widget's files, published on the CDN.
        ("PROXY_WIDGET_DIR", args.dist.display().to_string()),
        ("PROXY_WIDGET_URL", format!("{cdn_url}/")),
        ("PROXY_LISTEN", proxy_listen.to_string()),
        ("PROXY_DATABASE_URL", format!("sqlite://{}", db.display())),
        ("PROXY_LOG_FORMAT", "text".to_owned()),
        ("PROXY_STALE_AFTER_SECS", "20".to_owned()),
        ("PROXY_RECONCILE_INTERVAL_SECS", "5".to_owned()),
        ("PROXY_CHECKOUT_PER_MINUTE", "120".to_owned()),
        ("PROXY_AFFILIATES", affiliates_path.display().to_string()),
        ("PROXY_WEBHOOKS", webhooks_path.display().to_string()),
        // Demo only: refunds from the command line or a test (`/admin/orders/.../refund`).
        ("PROXY_ADMIN_TOKEN", DEMO_ADMIN_TOKEN.to_owned()),
        ("PROXY_BEACONS_PER_MINUTE", "100000".to_owned()),
        ("PROXY_STATUS_PER_MINUTE", "100000".to_owned()),
        // Every browser of the demo and its tests comes from 127.0.0.1.
        ("PROXY_LONG_POLLS_PER_CLIENT", "1000".to_owned()),
        // On loopback only: the bench reads the demo proxy's /metrics.
        ("PROXY_METRICS_PUBLIC", "true".to_owned()),
    ];
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut proxy_child = None;
    let proxy_url: String;
    let proxy_task = match &args.proxy_bin {
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
            proxy_url = url::Url::parse(url)
                .with_context(|| format!("the proxy's address {url:?}"))?
                .as_str()
                .trim_end_matches('/')
                .to_owned();
            // Keep reading, so the proxy never writes into a closed pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            proxy_child = Some(child);
            None
        }
        None => {
            let settings = Settings::load_with(None, &|k| {
                std::env::var(k)
                    .ok()
                    .or_else(|| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
            })?;
            let proxy = Application::build(settings).await?;
            proxy_url = format!("http://{}", proxy.addr()?);
            let mut rx = stop_rx.clone();
            Some(tokio::spawn(proxy.run_until_stopped(async move {
                let _ = rx.changed().await;
            })))
        }
    };
    sandbox.set_webhook_url(Some(url::Url::parse(&format!(
        "{proxy_url}/webhooks/simology"
    ))?));
    let proxy_pid = proxy_child
        .as_ref()
        .and_then(|c| c.id())
        .unwrap_or_else(std::process::id);

    // The widget's files, served cross-origin like a CDN.
    let cdn = Router::new()
        .fallback_service(ServeDir::new(&args.dist))
        .layer(SetResponseHeaderLayer::overriding(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        ));

    // The blog, with the CSP docs/embedding.md tells partners to use: the widget needs only
    // its script and its frame.
    let csp = host_csp(&cdn_url, &proxy_url);
    let templates = [
        ("/", include_str!("../pages/index.html")),
        ("/two.html", include_str!("../pages/two.html")),
        ("/hostile.html", include_str!("../pages/hostile.html")),
        ("/spy.html", include_str!("../pages/spy.html")),
        (
            "/bench-interval.html",
            include_str!("../pages/bench-interval.html"),
        ),
    ];
    let pages: Vec<(&str, String)> = templates
        .iter()
        .map(|(path, t)| (*path, page(t, &cdn_url, &proxy_url, &script_integrity)))
        .collect();
    let client = reqwest::Client::new();
    let mut blog = Router::new()
        .route("/blog.css", get(blog_css))
        .route(
            "/report",
            get(report_route(&client, &proxy_url, &affiliates[0])),
        )
        .route(
            "/hostile.css",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/css")],
                    include_str!("../pages/hostile.css"),
                )
            }),
        )
        .route(
            "/spy.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript")],
                    include_str!("../pages/spy.js"),
                )
            }),
        );
    for (path, html) in pages {
        blog = blog.route(path, get(move || async move { Html(html) }));
    }
    let csp_header = HeaderValue::from_str(&csp).context("CSP header")?;
    let blog = blog.layer(SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        csp_header.clone(),
    ));
    // The second affiliate's blog, on its own origin.
    let rail = page(
        include_str!("../pages/rail.html"),
        &cdn_url,
        &proxy_url,
        &script_integrity,
    );
    let second_blog = Router::new()
        .route("/", get(move || async move { Html(rail) }))
        .route("/blog.css", get(blog_css))
        .route(
            "/report",
            get(report_route(&client, &proxy_url, &affiliates[1])),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            csp_header,
        ));

    let serve = |listener: TcpListener, app: Router, mut rx: tokio::sync::watch::Receiver<bool>| {
        tokio::spawn(async move {
            let _ = axum::serve(nodelay(listener), app)
                .with_graceful_shutdown(async move {
                    let _ = rx.changed().await;
                })
                .await;
        })
    };
    let page_task = serve(page_listener, blog, stop_rx.clone());
    let cdn_task = serve(cdn_listener, cdn, stop_rx.clone());
    let second_task = serve(second_listener, second_blog, stop_rx.clone());
    let partner_task = serve(
        partner_listener,
        partner
            .router(include_str!("../pages/blog.css"))
            .layer(SetResponseHeaderLayer::overriding(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'self'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
                ),
            )),
        stop_rx.clone(),
    );
    let mut static_url = None;
    let static_task = match &args.static_dir {
        Some(dir) => {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            static_url = Some(format!("http://{}", listener.local_addr()?));
            Some(serve(
                listener,
                Router::new().fallback_service(ServeDir::new(dir)),
                stop_rx.clone(),
            ))
        }
        None => None,
    };

    if args.json {
        println!(
            "{}",
            serde_json::json!({"page": page_url, "cdn": cdn_url, "proxy": proxy_url, "sandbox": sandbox.url(),
                               "static": static_url, "proxy_pid": proxy_pid, "second_blog": second_url,
                               "partner": partner_url, "admin_token": DEMO_ADMIN_TOKEN,
                               "affiliates": affiliates.iter().map(|a| serde_json::json!({
                                   "id": a.id, "token": a.token, "origins": a.origins,
                               })).collect::<Vec<_>>()})
        );
    } else {
        println!("Simology eSIM widget demo\n");
        println!("  open the travel blog:  {page_url}/");
        println!("  two widgets:           {page_url}/two.html");
        println!("  hostile host CSS:      {page_url}/hostile.html");
        println!(
            "  a hostile host script: {page_url}/spy.html  (what it saw: window.__spy.final())"
        );
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
            db.display()
        );
        println!("  Simology sandbox:      {}\n", sandbox.url());
        let wander = &affiliates[0];
        println!(
            "  or with curl:          curl -H 'Authorization: Bearer {}' '{proxy_url}/api/affiliates/{}/report?by=placement'\n",
            wander.token, wander.id
        );
        println!("Test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined;");
        println!("            4000 0000 0000 0341 pays but provisioning fails.");
        println!("Ctrl-C stops everything.");
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    let _ = stop_tx.send(true);
    let _ = tokio::join!(page_task, cdn_task, second_task, partner_task);
    if let Some(t) = static_task {
        let _ = t.await;
    }
    if let Some(t) = proxy_task {
        let _ = t.await;
    }
    if let Some(mut child) = proxy_child {
        // SIGTERM: the proxy finishes in-flight requests and stops.
        if let Some(pid) = child.id() {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
        let _ = child.wait().await;
    }
    sandbox.stop().await;
    Ok(())
}
