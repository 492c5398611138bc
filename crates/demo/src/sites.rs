//! The sites the demo serves itself: the first blog (with its test pages), the second
//! blog, the widget's CDN, the partner systems and, for the benchmarks, a plain static
//! server. Each runs until the stop signal.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, Result};
use axum::http::{header, HeaderValue};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::{affiliates, Args, Setup, Urls};

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

/// The sockets of the sites the demo serves itself.
pub struct Sites {
    pub page: TcpListener,
    pub cdn: TcpListener,
    pub second_blog: TcpListener,
    pub partner: TcpListener,
}

/// The servers' tasks, each of which ends once the stop signal is sent.
pub struct Servers {
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The plain static server (`--static-dir`), if any.
    pub static_url: Option<String>,
}

/// Serves the blog, the CDN, the second blog, the partner systems and (`--static-dir`)
/// a plain static server, each until `stop` turns true.
pub async fn serve_sites(
    sites: Sites,
    args: &Args,
    urls: &Urls,
    proxy_url: &str,
    setup: &Setup,
    script_integrity: &str,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> Result<Servers> {
    let client = reqwest::Client::new();
    // The blog, with the CSP docs/embedding.md tells partners to use: the widget needs only
    // its script and its frame.
    let csp = host_csp(&urls.cdn, proxy_url);
    let csp_header = HeaderValue::from_str(&csp).context("CSP header")?;
    let blog = blog_router(&client, urls, proxy_url, setup, script_integrity).layer(
        SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, csp_header.clone()),
    );
    let second_blog = second_blog_router(&client, urls, proxy_url, setup, script_integrity).layer(
        SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, csp_header),
    );
    let partner = setup
        .partner
        .router(include_str!("../pages/blog.css"))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            ),
        ));
    let serve = |listener: TcpListener, app: Router| {
        let mut rx = stop.clone();
        tokio::spawn(async move {
            let _ = axum::serve(nodelay(listener), app)
                .with_graceful_shutdown(async move {
                    let _ = rx.changed().await;
                })
                .await;
        })
    };
    let mut tasks = vec![
        serve(sites.page, blog),
        serve(sites.cdn, cdn_router(&args.dist)),
        serve(sites.second_blog, second_blog),
        serve(sites.partner, partner),
    ];
    let mut static_url = None;
    if let Some(dir) = &args.static_dir {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        static_url = Some(format!("http://{}", listener.local_addr()?));
        tasks.push(serve(
            listener,
            Router::new().fallback_service(ServeDir::new(dir)),
        ));
    }
    Ok(Servers { tasks, static_url })
}

/// The widget's files, served cross-origin like a CDN.
fn cdn_router(dist: &Path) -> Router {
    Router::new()
        .fallback_service(ServeDir::new(dist))
        .layer(SetResponseHeaderLayer::overriding(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        ))
}

/// The first blog: its pages, its stylesheet, its affiliate's report, and the hostile
/// stylesheet and script of its test pages.
fn blog_router(
    client: &reqwest::Client,
    urls: &Urls,
    proxy_url: &str,
    setup: &Setup,
    script_integrity: &str,
) -> Router {
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
    let mut blog = Router::new()
        .route("/blog.css", get(blog_css))
        .route(
            "/report",
            get(report_route(client, proxy_url, &setup.affiliates[0])),
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
    for (path, template) in templates {
        let html = page(template, &urls.cdn, proxy_url, script_integrity);
        blog = blog.route(path, get(move || async move { Html(html) }));
    }
    blog
}

/// The second affiliate's blog, on its own origin.
fn second_blog_router(
    client: &reqwest::Client,
    urls: &Urls,
    proxy_url: &str,
    setup: &Setup,
    script_integrity: &str,
) -> Router {
    let rail = page(
        include_str!("../pages/rail.html"),
        &urls.cdn,
        proxy_url,
        script_integrity,
    );
    Router::new()
        .route("/", get(move || async move { Html(rail) }))
        .route("/blog.css", get(blog_css))
        .route(
            "/report",
            get(report_route(client, proxy_url, &setup.affiliates[1])),
        )
}
