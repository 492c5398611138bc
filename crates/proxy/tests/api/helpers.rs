use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use simology_proxy::config::Settings;
use simology_proxy::store::{EventCounts, Store};
use simology_proxy::{Application, SharedState};
use simology_sandbox::{
    Faults, RunningSandbox, SandboxConfig, DEFAULT_API_KEY, DEFAULT_WEBHOOK_SECRET,
};
use tokio::sync::oneshot;

/// The one poll-until-deadline helper, shared with the SDK's and the sandbox's tests.
pub use simology_sandbox::wait::eventually;

pub const ORIGIN: &str = "http://shop.test";
/// The admin token of the tests' proxies.
pub const ADMIN_TOKEN: &str = "admin-token-0123456789abcdef0123456789";
pub const RETURN_URL: &str = "http://shop.test/travel/japan";

pub struct TestApp {
    pub url: String,
    /// The admin listener's (`PROXY_ADMIN_LISTEN`), when there is one.
    pub admin_url: Option<String>,
    /// The database URL (for a `simology-proxy` command on the same store).
    pub database_url: String,
    pub sandbox: RunningSandbox,
    pub http: reqwest::Client,
    pub state: SharedState,
    pub dir: std::path::PathBuf,
    /// The environment the proxy runs with.
    pub env: Vec<(String, String)>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let bits: u64 = rand::random();
    let dir = std::env::temp_dir().join(format!("proxy-test-{name}-{bits:x}"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A fresh database for one test: a new PostgreSQL database when
/// `PROXY_TEST_DATABASE_URL` names a server (`cargo xtask test` sets it), else a SQLite
/// file in `dir`.
pub async fn database_url(dir: &std::path::Path) -> String {
    use sqlx::{Connection, Executor};
    match std::env::var("PROXY_TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let name = format!("proxy_test_{:016x}", rand::random::<u64>());
            let mut conn = sqlx::postgres::PgConnection::connect(&admin)
                .await
                .expect("PostgreSQL for tests");
            conn.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("CREATE DATABASE");
            let mut url = url::Url::parse(&admin).expect("PROXY_TEST_DATABASE_URL is a URL");
            url.set_path(&format!("/{name}"));
            url.to_string()
        }
        _ => format!("sqlite://{}", dir.join("proxy.db").display()),
    }
}

/// Whether the tests run against PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("PROXY_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

/// The widget's files as `cargo xtask dist` lays them out, made up for the tests (one
/// folder for the whole test binary): the proxy reads the stylesheet and the hashes,
/// and serves the rest when it has no CDN.
pub fn widget_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = temp_dir("widget");
        let files = [
            ("simology-esim-frame.js", "/* the frame's script */"),
            ("simology-esim.js", "/* the host script */"),
            ("simology-esim-picker.js", "/* the picker's glue */"),
            ("simology-esim-picker.wasm", "picker wasm"),
            ("simology-esim-checkout.js", "/* the checkout's glue */"),
            ("simology-esim-checkout.wasm", "checkout wasm"),
            ("simology-esim-status.js", "/* the status module's glue */"),
            ("simology-esim-status.wasm", "status wasm"),
            ("simology-esim.css", ".sim-root{color:#14171f}"),
            ("simology-esim-status.css", ".qr{line-height:0}"),
        ];
        let mut hashes = serde_json::Map::new();
        hashes.insert("version".into(), simology_proxy_api::WIDGET_VERSION.into());
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("widget file");
            hashes.insert(name.into(), format!("sha384-test-{name}").into());
        }
        std::fs::write(
            dir.join("integrity.json"),
            serde_json::to_string(&hashes).expect("json"),
        )
        .expect("integrity.json");
        dir
    })
}

/// The attribution the proxy signs into an affiliate's frame (`GET /embed`), for
/// `affiliate` and `placement`, signed today (this process's key: the tests' proxies
/// run in it).
pub fn attribution_for(affiliate: &str, placement: Option<&str>) -> String {
    use simology_proxy::affiliates::{unix_day, Signed};
    Signed {
        affiliate: affiliate.into(),
        placement: placement.map(str::to_owned),
    }
    .token(unix_day(simology_proxy::clock::now_ms()))
}

/// The frame document's configuration (its `#sim-config` JSON) of `GET /embed?{query}`
/// at `base`, asked for from a page of `referer` (none: a page that sends no
/// `Referer`), with the answer's headers.
pub async fn embed_config(
    base: &str,
    query: &str,
    referer: Option<&str>,
) -> (reqwest::header::HeaderMap, Value) {
    let mut request = http_client().get(format!("{base}/embed?{query}"));
    if let Some(r) = referer {
        request = request.header("referer", r);
    }
    let r = request.send().await.expect("answer");
    assert_eq!(r.status(), 200, "{query}");
    let headers = r.headers().clone();
    let html = r.text().await.expect("html");
    (headers, config_of(&html))
}

/// The configuration block of a frame document.
pub fn config_of(html: &str) -> Value {
    let start = html
        .find(r#"<script type="application/json" id="sim-config">"#)
        .expect("a configuration")
        + r#"<script type="application/json" id="sim-config">"#.len();
    let end = start + html[start..].find("</script>").expect("its end");
    serde_json::from_str(&html[start..end]).expect("JSON")
}

/// The environment a proxy runs with against a sandbox.
pub fn proxy_env(
    sandbox_url: &str,
    database_url: &str,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = vec![
        ("SIMOLOGY_API_KEY".into(), DEFAULT_API_KEY.into()),
        ("SIMOLOGY_BASE_URL".into(), sandbox_url.into()),
        (
            "SIMOLOGY_WEBHOOK_SECRET".into(),
            DEFAULT_WEBHOOK_SECRET.into(),
        ),
        ("PROXY_ALLOWED_ORIGINS".into(), ORIGIN.into()),
        ("PROXY_LISTEN".into(), "127.0.0.1:0".into()),
        ("PROXY_DATABASE_URL".into(), database_url.into()),
        ("PROXY_ADMIN_TOKEN".into(), ADMIN_TOKEN.into()),
        ("PROXY_RECONCILE_INTERVAL_SECS".into(), "1".into()),
        ("PROXY_STALE_AFTER_SECS".into(), "60".into()),
        // Tests make many requests from one address; the rate limit test sets its own.
        ("PROXY_CHECKOUT_PER_MINUTE".into(), "100000".into()),
        ("PROXY_STATUS_PER_MINUTE".into(), "100000".into()),
        // Tests read /metrics on the public listener (`operators.rs` tests the default).
        ("PROXY_METRICS_PUBLIC".into(), "true".into()),
        (
            "PROXY_WIDGET_DIR".into(),
            widget_dir().display().to_string(),
        ),
    ];
    for (k, v) in extra {
        env.retain(|(key, _)| key != k);
        env.push(((*k).into(), (*v).into()));
    }
    env
}

pub fn fast_sandbox() -> SandboxConfig {
    SandboxConfig {
        activation_delay: Duration::from_millis(300),
        refund_delay: Duration::from_millis(200),
        time_scale: 600.0,
        ..SandboxConfig::default()
    }
}

/// The `Access-Control-Allow-Origin` that the CORS preflight of a JSON `POST` to `path`
/// from `origin` gets from the proxy at `base`; none when the origin is refused.
pub async fn preflight(base: &str, path: &str, origin: &str) -> Option<String> {
    let r = http_client()
        .request(reqwest::Method::OPTIONS, format!("{base}{path}"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("answer");
    r.headers()
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The checkout sessions the sandbox at `sandbox` has made, as its test route lists
/// them (each with the `metadata` the proxy sent, e.g. `order_ref`).
pub async fn upstream_sessions(sandbox: &str) -> Vec<Value> {
    reqwest::get(format!("{sandbox}/sandbox/sessions"))
        .await
        .expect("sessions")
        .json()
        .await
        .expect("json")
}

/// [`fast_sandbox`] delivering every webhook twice and out of order.
pub fn unruly_sandbox() -> SandboxConfig {
    SandboxConfig {
        faults: Faults {
            duplicate_webhooks: true,
            out_of_order_webhooks: true,
            ..Faults::default()
        },
        ..fast_sandbox()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(fast_sandbox(), &[]).await
}

/// A proxy served in this process.
pub struct Served {
    pub url: String,
    /// The admin listener's (`PROXY_ADMIN_LISTEN`), when there is one.
    pub admin_url: Option<String>,
    pub state: SharedState,
    pub stop: oneshot::Sender<()>,
    pub task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Builds a proxy from `env` (as [`proxy_env`] makes it) and serves it on a free port.
pub async fn serve(env: &[(String, String)]) -> Served {
    serve_tuned(env, |_| {}).await
}

/// [`serve`], with settings that are no environment variable changed by `tune`.
pub async fn serve_tuned(env: &[(String, String)], tune: impl FnOnce(&mut Settings)) -> Served {
    let mut settings = Settings::load_with(None, &|k| {
        env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    })
    .expect("settings");
    tune(&mut settings);
    let app = Application::build(settings).await.expect("proxy builds");
    let url = format!("http://{}", app.addr().expect("addr"));
    let admin_url = app
        .admin_addr()
        .expect("admin addr")
        .map(|a| format!("http://{a}"));
    let state = app.state();
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    Served {
        url,
        admin_url,
        state,
        stop,
        task,
    }
}

/// A client that shows redirects instead of following them (the payment page answers 303).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub async fn spawn_app_with(sandbox_config: SandboxConfig, extra: &[(&str, &str)]) -> TestApp {
    spawn_app_tuned(sandbox_config, extra, |_| {}).await
}

/// [`spawn_app_with`], with settings changed by `tune` (see [`serve_tuned`]).
pub async fn spawn_app_tuned(
    sandbox_config: SandboxConfig,
    extra: &[(&str, &str)],
    tune: impl FnOnce(&mut Settings),
) -> TestApp {
    let sandbox = simology_sandbox::spawn(sandbox_config)
        .await
        .expect("sandbox");
    let dir = temp_dir("app");
    let db = database_url(&dir).await;
    let env = proxy_env(sandbox.url(), &db, extra);
    let served = serve_tuned(&env, tune).await;
    sandbox.set_webhook_url(Some(
        format!("{}/webhooks/simology", served.url)
            .parse()
            .expect("url"),
    ));
    TestApp {
        database_url: db,
        admin_url: served.admin_url,
        url: served.url,
        sandbox,
        http: http_client(),
        state: served.state,
        dir,
        env,
        stop: Some(served.stop),
        task: Some(served.task),
    }
}

pub fn intent() -> String {
    let bits: u128 = rand::random();
    format!("intent-{bits:032x}")
}

pub fn checkout_body(sku: &str) -> Value {
    json!({
        "sku": sku, "quantity": 1, "email": "alex@example.com", "locale": "fr",
        "intent_id": intent(), "return_url": RETURN_URL,
    })
}

/// A top-up body for `sku` (a checkout's, without a quantity).
pub fn topup_body(sku: &str) -> Value {
    json!({
        "sku": sku, "email": "alex@example.com", "locale": "en",
        "intent_id": intent(), "return_url": RETURN_URL,
    })
}

impl TestApp {
    /// `POST`s a top-up of the order (or, with `iccid`, of one of its lines) from the
    /// allowed origin; returns the status and the answer.
    pub async fn post_topup(
        &self,
        order_ref: &str,
        iccid: Option<&str>,
        body: &Value,
    ) -> (u16, Value) {
        let path = match iccid {
            Some(iccid) => format!("/api/orders/{order_ref}/lines/{iccid}/topups"),
            None => format!("/api/orders/{order_ref}/topups"),
        };
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .header("origin", ORIGIN)
            .json(body)
            .send()
            .await
            .expect("answer");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Buys a top-up as [`TestApp::post_topup`] posts it, pays it with a good card, and
    /// returns the top-up order once it is ready.
    pub async fn buy_topup(&self, order_ref: &str, iccid: Option<&str>, sku: &str) -> Value {
        let (status, topup) = self.post_topup(order_ref, iccid, &topup_body(sku)).await;
        assert_eq!(status, 200, "{topup}");
        let topup_ref = topup["order_ref"].as_str().expect("ref").to_owned();
        self.pay(
            topup["payment_url"].as_str().expect("url"),
            simology_sandbox::CARD_SUCCESS,
        )
        .await;
        self.wait_for_state(&topup_ref, "ready").await
    }

    /// Runs a `simology-proxy` command with this proxy's settings (its store).
    pub fn command(&self, args: &[&str]) -> (bool, String, String) {
        proxy_command(
            args,
            &proxy_env(self.sandbox.url(), &self.database_url, &[]),
        )
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("answer")
    }

    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let r = self.get(path).await;
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_checkout(&self, body: &Value) -> reqwest::Response {
        post_checkout_at(&self.http, &self.url, body).await
    }

    /// Checks out and returns (order_ref, payment_url).
    pub async fn checkout(&self, sku: &str) -> (String, String) {
        checkout_at(&self.http, &self.url, sku).await
    }

    /// Pays on the sandbox's page; returns where it sends the browser.
    pub async fn pay(&self, payment_url: &str, card: &str) -> String {
        pay(&self.http, payment_url, card).await
    }

    pub async fn order(&self, order_ref: &str) -> Value {
        let (status, body) = self.get_json(&format!("/api/orders/{order_ref}")).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Long-polls until the order reaches `state` (see [`wait_for_state_at`]).
    pub async fn wait_for_state(&self, order_ref: &str, state: &str) -> Value {
        wait_for_state_at(&self.http, &self.url, order_ref, state).await
    }

    /// How many long-polls this proxy answered for this reason (see [`long_polls_at`]).
    pub async fn long_polls(&self, answered: &str) -> u64 {
        long_polls_at(&self.http, &self.url, answered).await
    }

    /// Writes the beacons this proxy has counted in memory (as its flusher does every
    /// second), so that the test reads them in the store.
    pub async fn flush_beacons(&self) {
        self.state
            .beacons
            .flush(&self.state)
            .await
            .expect("the funnel's counts are written");
    }

    pub async fn sandbox_state(&self) -> Value {
        reqwest::get(format!("{}/sandbox/state", self.sandbox.url()))
            .await
            .expect("state")
            .json()
            .await
            .expect("json")
    }

    /// Stops this proxy and serves a fresh one (a new process's memory) on the same
    /// database and sandbox, as a restart or another replica would.
    pub async fn restart(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        let served = serve(&self.env).await;
        self.sandbox.set_webhook_url(Some(
            format!("{}/webhooks/simology", served.url)
                .parse()
                .expect("url"),
        ));
        self.url = served.url;
        self.admin_url = served.admin_url;
        self.state = served.state;
        self.stop = Some(served.stop);
        self.task = Some(served.task);
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `POST /api/checkout` from the allowed origin to the proxy at `base`.
pub async fn post_checkout_at(
    http: &reqwest::Client,
    base: &str,
    body: &Value,
) -> reqwest::Response {
    http.post(format!("{base}/api/checkout"))
        .header("origin", ORIGIN)
        .json(body)
        .send()
        .await
        .expect("answer")
}

/// Checks out at the proxy at `base`; returns (order_ref, payment_url).
pub async fn checkout_at(http: &reqwest::Client, base: &str, sku: &str) -> (String, String) {
    let r = post_checkout_at(http, base, &checkout_body(sku)).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    (
        body["order_ref"].as_str().expect("ref").to_owned(),
        body["payment_url"].as_str().expect("url").to_owned(),
    )
}

/// Pays on the sandbox's page; returns where it sends the browser.
pub async fn pay(http: &reqwest::Client, payment_url: &str, card: &str) -> String {
    let r = http
        .post(payment_url)
        .form(&[("card", card), ("action", "pay")])
        .send()
        .await
        .expect("pay");
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned()
}

/// Waits until the store's event counts satisfy `done` (see [`eventually`]); returns
/// them.
pub async fn wait_for_events(
    store: &Store,
    what: &str,
    done: impl Fn(&EventCounts) -> bool,
) -> EventCounts {
    eventually(what, async || {
        let counts = store.event_counts().await.expect("counts");
        if done(&counts) {
            Ok(counts)
        } else {
            Err(counts)
        }
    })
    .await
}

/// Long-polls the proxy at `base` until the order reaches `state`; fails the test
/// with the last answer when it does not (see [`eventually`]).
pub async fn wait_for_state_at(
    http: &reqwest::Client,
    base: &str,
    order_ref: &str,
    state: &str,
) -> Value {
    wait_for_order_at(http, base, order_ref, &format!("reaches {state}"), |body| {
        body["state"] == state
    })
    .await
}

/// The proxy's count of long-polls answered for a reason (`at_once`, `changed`,
/// `deadline`), from `/metrics`: how a test tells a wake-up from a deadline without
/// timing it.
pub async fn long_polls_at(http: &reqwest::Client, base: &str, answered: &str) -> u64 {
    let name = format!("simology_long_polls_total{{answered=\"{answered}\"}}");
    metric(http, base, &name).await
}

/// Signs a body as the sandbox does.
pub fn signed(body: &str, t: i64) -> String {
    simology::webhook::signature_header(body.as_bytes(), &[DEFAULT_WEBHOOK_SECRET], t)
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A checkout body for `quantity` eSIMs of `sku`.
pub fn checkout_body_for(sku: &str, quantity: u32) -> Value {
    let mut body = checkout_body(sku);
    body["quantity"] = quantity.into();
    body
}

/// Checks out `quantity` eSIMs at the proxy at `base`; returns (order_ref, payment_url).
pub async fn checkout_quantity_at(
    http: &reqwest::Client,
    base: &str,
    sku: &str,
    quantity: u32,
) -> (String, String) {
    let r = post_checkout_at(http, base, &checkout_body_for(sku, quantity)).await;
    let status = r.status();
    let body: Value = r.json().await.expect("json");
    assert_eq!(status, 200, "{body}");
    (
        body["order_ref"].as_str().expect("ref").to_owned(),
        body["payment_url"].as_str().expect("url").to_owned(),
    )
}

/// A sample's value in the text of `/metrics`: the first line that is `name` (e.g.
/// `simology_orders_incomplete`, or a name with its labels, as printed) and a space;
/// none when there is no such line.
pub fn sample<T: std::str::FromStr>(text: &str, name: &str) -> Option<T> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .map(|n| match n.trim().parse() {
            Ok(value) => value,
            Err(_) => panic!("{name} is not a number: {n}"),
        })
}

/// A metric's value on the proxy at `base` (see [`sample`]); none when it is not there.
pub async fn metric_at<T: std::str::FromStr>(
    http: &reqwest::Client,
    base: &str,
    name: &str,
) -> Option<T> {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    sample(&text, name)
}

/// An order's lines as the proxy shows them: ICCID → LPA string (refunded lines, which
/// show none, map to an empty string).
pub fn lines_of(order: &Value) -> std::collections::BTreeMap<String, String> {
    order["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["iccid"].as_str().expect("iccid").to_owned(),
                l["esim"]["lpa"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The upstream order a proxy order made, by the `order_ref` in its metadata.
pub fn upstream_order(
    sandbox: &RunningSandbox,
    order_ref: &str,
) -> Option<simology::models::Order> {
    sandbox
        .orders()
        .into_iter()
        .find(|o| o.metadata.get("order_ref").map(String::as_str) == Some(order_ref))
}

/// An upstream order's lines: ICCID → LPA string.
pub fn upstream_lines(
    order: &simology::models::Order,
) -> std::collections::BTreeMap<String, String> {
    order
        .lines
        .iter()
        .map(|l| (l.iccid.clone(), l.smdp_plus.to_string()))
        .collect()
}

/// Long-polls the proxy at `base` until `done` holds for the order; fails the test with
/// the last answer when it does not (see [`eventually`]).
pub async fn wait_for_order_at(
    http: &reqwest::Client,
    base: &str,
    order_ref: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut version: Option<i64> = None;
    eventually(&format!("{order_ref}: {what}"), async || {
        let query = version.map_or_else(String::new, |v| format!("?wait=5&version={v}"));
        let r = http
            .get(format!("{base}/api/orders/{order_ref}{query}"))
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.expect("json");
        if done(&body) {
            Ok(body)
        } else {
            version = body["version"].as_i64();
            Err(body)
        }
    })
    .await
}

impl TestApp {
    /// Checks out `quantity` eSIMs; returns (order_ref, payment_url).
    pub async fn checkout_quantity(&self, sku: &str, quantity: u32) -> (String, String) {
        checkout_quantity_at(&self.http, &self.url, sku, quantity).await
    }

    /// A metric's value (see [`metric_at`]).
    pub async fn metric(&self, sample: &str) -> Option<f64> {
        metric_at(&self.http, &self.url, sample).await
    }

    /// Long-polls until `done` holds for the order (see [`wait_for_order_at`]).
    pub async fn wait_for_order(
        &self,
        order_ref: &str,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        wait_for_order_at(&self.http, &self.url, order_ref, what, done).await
    }

    /// `POST /admin/orders/{order_ref}/refund` with `body`; returns the status and answer.
    pub async fn admin_refund(&self, order_ref: &str, body: &Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}/admin/orders/{order_ref}/refund", self.url))
            .bearer_auth(ADMIN_TOKEN)
            .json(body)
            .send()
            .await
            .expect("answer");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Runs `simology-proxy <args>` with this app's settings and database (see
    /// [`run_cli`]).
    pub async fn cli(&self, args: &[&str]) -> String {
        run_cli(&self.env, args).await
    }
}

/// Runs `simology-proxy <args>` with `env`, off the test's runtime (which serves the
/// sandbox meanwhile); returns its stdout, failing the test with its stderr when it
/// fails.
pub async fn run_cli(env: &[(String, String)], args: &[&str]) -> String {
    let mut env = env.to_vec();
    env.push(("PROXY_LOG_FORMAT".into(), "text".into()));
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, stdout, stderr) = proxy_command(&argv, &env);
        assert!(ok, "simology-proxy {args:?}: {stderr}");
        stdout
    })
    .await
    .expect("the command's thread")
}

/// A value of the proxy's `/metrics` (a name with its labels, as printed); 0 when the
/// line is not there.
pub async fn metric<T: std::str::FromStr + Default>(
    http: &reqwest::Client,
    base: &str,
    name: &str,
) -> T {
    metric_at(http, base, name).await.unwrap_or_default()
}
/// A proxy process (`simology-proxy`), killed (SIGKILL) when dropped so that a failing
/// test leaves none behind; its logs (stderr) go to `logs`.
pub struct ProxyProcess {
    child: std::process::Child,
    pub url: String,
}

impl ProxyProcess {
    /// Starts the binary with `env` and waits for its `listening on` line.
    pub fn start(env: &[(String, String)], logs: &std::path::Path) -> ProxyProcess {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        let mut child = Command::new(env!("CARGO_BIN_EXE_simology-proxy"))
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(logs).expect("log file"))
            .spawn()
            .expect("proxy starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("banner");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("a banner line, got {line:?}"))
            .to_owned();
        ProxyProcess { child, url }
    }

    /// SIGKILL, and reaped: no graceful anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `simology-proxy` with `args` and `env` to its end; returns (success, stdout,
/// stderr).
pub fn proxy_command(args: &[&str], env: &[(String, String)]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_simology-proxy"))
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("simology-proxy runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
