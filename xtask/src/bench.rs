//! `cargo xtask bench [--only part,...]`: the real stack on loopback, measured against
//! real anchors in the same run. Prints one table, writes `target/bench/report.json`,
//! and exits 0 when every measured target is met, 2 when one is missed, 1 when the
//! bench itself could not measure (then nothing is judged).
//!
//! The widget draws in a frame of its own: the host page's script (`simology-esim.js`)
//! makes an iframe whose document the proxy serves (`GET /embed?...`, its first plans
//! rendered in the HTML); the frame's script, the picker's glue and its wasm come from
//! the CDN and take over that rendering.
//!
//! Parts (all by default):
//! - `sizes`: what a first visit to a picker page downloads, from `dist/` and a real
//!   frame document fetched from the proxy (exactly as the host page asks for it), raw,
//!   gzip -9 and brotli 11: before the first plan shows (the host script and the frame
//!   document), and before a plan can be chosen (and the frame's script, the picker's
//!   glue and its wasm);
//! - `phone`: cold loads in headless Chromium at 390x844, unthrottled and under
//!   Lighthouse's mobile throttling, of the widget's host page and of its floor (the
//!   same plans in plain HTML, no script): the first priced plan (in the widget's
//!   frame), the first plan chosen (its checkout form shown after a click on its
//!   Choose, in the frame), and the bytes received before each (brotli 11 of every
//!   response after the host page's document), with the list of those responses
//!   (`e2e/bench/phone.mjs` defines them);
//! - `activation`: `activation.ready` sent -> QR code in the widget's frame,
//!   long-polling and polling every 3 s (`e2e/bench/activation.mjs`);
//! - `http`: wrk (2 threads, 32 keep-alive connections, 2 s warm-up, 10 s) on the
//!   proxy's frame document (the host page's `GET /embed?...`), its catalogue (JP) and
//!   a ready order's status, and on nginx (one worker) serving the very same bodies
//!   from files, alternating over two rounds (wrk sends no `Accept-Encoding`: both
//!   serve the identity bytes);
//! - `webhooks`: signed webhooks verified, stored (fsync) and applied per second
//!   (`simology-bench webhooks`);
//! - `longpoll`: 10,000 long-polls held on one proxy, its memory, and the time from
//!   `activation.ready` to the waiting polls' answers (`e2e/bench/longpoll.mjs`);
//! - `outbox`: the webhook ingest rate of a proxy whose every state change goes out
//!   through the outbox to an endpoint, against the same proxy without one (alternated
//!   in the same run), and at 200 state changes a second the time from a change's
//!   commit to its webhook's first attempt (`simology-bench outbox`, SQLite).
//!
//! The host pages and the widget's files are served by the bench's own nginx: the
//! host pages (the demo's page templates, under the demo's CSP, which the bench checks
//! against the running demo's) on `127.0.0.2`, another site than the proxy's, as the
//! demo's blog; the widget's files on `127.0.0.1`, precompressed, as a CDN serves them.
//! The demo stack provides the proxy (its own process, SQLite, `RUST_LOG=warn`, its
//! frame made with `dist/` and pointing at the bench's CDN, its allowed origin and the
//! page's affiliate the bench's host) and the sandbox. `--database-url postgres://...`
//! puts that proxy on PostgreSQL instead (e.g. a fresh database on `cargo xtask
//! postgres`'s server), for the webhooks' figure there. `cargo xtask bench --profile`
//! samples the proxy under load instead (`profile.rs`).

mod load;
mod nginx;
mod pages;
mod profile;
mod report;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::stack::DemoStack;
use crate::{dist, tools};

use self::nginx::{Anchored, Nginx};
use self::report::{Report, SizedFile, Sizes};

const PARTS: [&str; 7] = [
    "sizes",
    "phone",
    "activation",
    "http",
    "webhooks",
    "longpoll",
    "outbox",
];

/// The country whose catalogue is measured (the demo page's country).
const COUNTRY: &str = "JP";

/// Long-polls held at once, over this many orders, of which this many are paid.
const LONG_POLLS: u64 = 10_000;
const LONG_POLL_ORDERS: u64 = 100;
const LONG_POLL_PAID: u64 = 10;

/// Brotli quality 11 (the largest window) of some bytes.
pub fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 24);
        w.write_all(bytes)?;
    }
    Ok(out)
}

/// gzip -9 of some bytes.
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes)?;
    Ok(e.finish()?)
}

/// The median of some samples (mean of the middle two for an even count).
pub fn median(samples: &[f64]) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// `/proc/loadavg`'s 1, 5 and 15 minute averages.
fn load_average() -> Result<[f64; 3]> {
    let text = fs::read_to_string("/proc/loadavg").context("reading /proc/loadavg")?;
    let mut it = text.split_whitespace().map(str::parse::<f64>);
    let mut next = || -> Result<f64> { Ok(it.next().context("short /proc/loadavg")??) };
    Ok([next()?, next()?, next()?])
}

/// The first line a command prints (on stdout, else stderr), or nothing.
fn first_line(cmd: &mut Command) -> String {
    cmd.output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned()
        })
        .unwrap_or_default()
}

/// What the figures were measured on.
fn machine() -> Value {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_owned());
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .map(|kb| kb / 1024.0 / 1024.0);
    let os = fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_owned());
    json!({
        "cpus": std::thread::available_parallelism().map(usize::from).ok(),
        "cpu_model": model,
        "memory_gib": mem_gib,
        "os": os,
        "kernel": fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_owned()),
        "chromium": first_line(Command::new("chromium").arg("--version")),
        "nginx": first_line(Command::new("/usr/sbin/nginx").arg("-v")),
        "wrk": first_line(Command::new("wrk").arg("-v")),
    })
}

/// Runs a bench script of `e2e/` with one JSON argument; its stdout is one JSON value.
fn node_json(root: &Path, script: &str, arg: &Value) -> Result<Value> {
    let out = Command::new("node")
        .arg(script)
        .arg(arg.to_string())
        .current_dir(root.join("e2e"))
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {script}"))?;
    if !out.status.success() {
        bail!("{script} failed ({})", out.status);
    }
    serde_json::from_slice(&out.stdout).with_context(|| format!("reading {script}'s output"))
}

/// A ready order on a running stack (`e2e/bench/ready-order.mjs`): its reference.
fn ready_order(root: &Path, urls: &Value) -> Result<String> {
    let out = Command::new("node")
        .arg("bench/ready-order.mjs")
        .arg(urls.to_string())
        .current_dir(root.join("e2e"))
        .stderr(Stdio::inherit())
        .output()
        .context("making a ready order")?;
    if !out.status.success() {
        bail!("making a ready order failed ({})", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn proc_status_mb(pid: u64, field: &str) -> Result<f64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))
        .context("reading the proxy's /proc status")?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no {field}"))?;
    Ok(kb / 1024.0)
}

/// Which parts run (`--only a,b`).
/// What `cargo xtask bench` was asked for.
#[derive(Debug, PartialEq)]
struct Options {
    parts: Vec<&'static str>,
    /// The database of the stack's proxy (`--database-url`): SQLite under
    /// `target/bench/` when none is given.
    database_url: Option<String>,
}

fn options(args: &[String]) -> Result<Options> {
    let usage = || {
        anyhow::anyhow!(
            "usage: cargo xtask bench [--only {}] [--database-url postgres://...] | --profile",
            PARTS.join(",")
        )
    };
    let mut options = Options {
        parts: PARTS.to_vec(),
        database_url: None,
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(usage)?;
        match flag.as_str() {
            "--only" => {
                options.parts = value
                    .split(',')
                    .map(|p| {
                        PARTS.iter().find(|k| **k == p).copied().with_context(|| {
                            format!("unknown part {p:?}; parts: {}", PARTS.join(","))
                        })
                    })
                    .collect::<Result<_>>()?;
            }
            "--database-url" => {
                if !value.starts_with("postgres://") && !value.starts_with("postgresql://") {
                    bail!("--database-url: a postgres:// URL (SQLite is the default)");
                }
                options.database_url = Some(value.clone());
            }
            _ => return Err(usage()),
        }
    }
    Ok(options)
}

/// `cargo xtask bench`: runs, prints, and turns the outcome into the exit code.
pub fn main(args: &[String]) -> ExitCode {
    if args.first().map(String::as_str) == Some("--profile") {
        let result = if args.len() == 1 {
            build().and_then(|root| profile::run(&root))
        } else {
            Err(anyhow::anyhow!("usage: cargo xtask bench --profile"))
        };
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench --profile failed: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    match run(args) {
        Ok(missed) if missed.is_empty() => {
            println!("bench: every measured target met");
            ExitCode::SUCCESS
        }
        Ok(missed) => {
            eprintln!(
                "bench: measured; {} target(s) missed: {} (exit code 2)",
                missed.len(),
                missed.join(", ")
            );
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("bench BROKEN, nothing judged (exit code 1): {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Installs what the bench needs, builds the widget (`dist/`) and the release binaries;
/// returns the workspace root.
fn build() -> Result<PathBuf> {
    tools::ensure_all()?;
    tools::ensure_bench_tools()?;
    let root = tools::workspace_root()?;
    dist::build()?;
    tools::run(
        tools::cargo()
            .args([
                "build",
                "--release",
                "-p",
                "simology-demo",
                "-p",
                "simology-proxy",
                "-p",
                "simology-bench",
            ])
            .current_dir(&root),
    )?;
    tools::ensure_npm(&root.join("e2e"))?;
    Ok(root)
}

/// The widget's files as the CDN serves them: name and bytes of each file of a frame
/// (the host script, the frame's script, each module's glue and wasm) and of its `.br`
/// and `.gz`.
fn cdn_files(dist_dir: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut names = vec![dist::HOST_SCRIPT.to_owned(), dist::FRAME_SCRIPT.to_owned()];
    for module in dist::MODULES {
        names.push(dist::glue_file(module));
        names.push(dist::wasm_file(module));
    }
    let mut files = Vec::new();
    for name in names {
        let bytes = fs::read(dist_dir.join(&name)).with_context(|| format!("reading {name}"))?;
        files.push((format!("{name}.br"), brotli(&bytes)?));
        files.push((format!("{name}.gz"), gzip(&bytes)?));
        files.push((name, bytes));
    }
    Ok(files)
}

/// The sizes of a first visit to a picker page: the host script and the frame's
/// document (`document`, as the proxy answered the frame's address), then the
/// frame's script, the picker's glue and its wasm, from `dist_dir`.
fn sizes(dist_dir: &Path, document: &[u8]) -> Result<Sizes> {
    let sized = |what: &'static str, name: String, bytes: &[u8], before_first_plan: bool| {
        Ok::<_, anyhow::Error>(SizedFile {
            what,
            name,
            raw: bytes.len(),
            gzip: gzip(bytes)?.len(),
            brotli: brotli(bytes)?.len(),
            before_first_plan,
        })
    };
    let read =
        |name: &str| fs::read(dist_dir.join(name)).with_context(|| format!("reading {name}"));
    Ok(Sizes {
        files: vec![
            sized(
                "host script",
                dist::HOST_SCRIPT.into(),
                &read(dist::HOST_SCRIPT)?,
                true,
            )?,
            sized("frame document", "GET /embed?...".into(), document, true)?,
            sized(
                "frame script",
                dist::FRAME_SCRIPT.into(),
                &read(dist::FRAME_SCRIPT)?,
                false,
            )?,
            sized(
                "picker glue",
                dist::glue_file("picker"),
                &read(&dist::glue_file("picker"))?,
                false,
            )?,
            sized(
                "picker wasm",
                dist::wasm_file("picker"),
                &read(&dist::wasm_file("picker"))?,
                false,
            )?,
        ],
        checkout: vec![
            sized(
                "checkout glue",
                dist::glue_file("checkout"),
                &read(&dist::glue_file("checkout"))?,
                false,
            )?,
            sized(
                "checkout wasm",
                dist::wasm_file("checkout"),
                &read(&dist::wasm_file("checkout"))?,
                false,
            )?,
        ],
    })
}

/// The affiliates file of the bench's proxy: the demo's page names the affiliate
/// `wander-notes`, whose site is here the bench's host (no report token is usable).
fn affiliates_file(host: &str) -> String {
    format!(
        "# Written by cargo xtask bench for this run.\n\n[[affiliate]]\nid = \"wander-notes\"\n\
         name = \"Wander Notes\"\norigins = [{host:?}]\ncommission_bps = 1200\ntoken_sha256 = \"{}\"\n",
        "0".repeat(64)
    )
}

/// What the parts that share the main demo stack measured.
#[derive(Default)]
struct StackResults {
    sizes: Option<Sizes>,
    /// The frame document's address, as the host page asks for it.
    frame_url: Option<String>,
    /// The host pages', the CDN's and the proxy's origins, by name.
    origins: Vec<(&'static str, String)>,
    phone: Option<Value>,
    activation: Option<(Vec<f64>, Vec<f64>)>,
    http: Option<Vec<Vec<load::Pair>>>,
    events_per_s: Option<f64>,
    proxy_peak_rss_mb: Option<f64>,
    load_before_http: Option<[f64; 3]>,
}

/// The sizes, phone, activation, http and webhooks parts, on one demo stack whose
/// proxy makes its frame for the bench's host pages.
fn on_stack(
    root: &Path,
    out_dir: &Path,
    has: &dyn Fn(&str) -> bool,
    database_url: Option<&str>,
) -> Result<StackResults> {
    let mut results = StackResults::default();
    let host_port = nginx::free_ports_on(nginx::HOST_IP, 1)?[0];
    let cdn_port = nginx::free_ports(1)?[0];
    let host = format!("http://{}:{host_port}", nginx::HOST_IP);
    let cdn = format!("http://127.0.0.1:{cdn_port}");
    fs::create_dir_all(out_dir)?;
    let affiliates = out_dir.join("affiliates.toml");
    fs::write(&affiliates, affiliates_file(&host))?;
    let dist_dir = root.join("dist");
    let widget_url = format!("{cdn}/");
    let stack = DemoStack::start_with_env(
        root,
        "release",
        &out_dir.join("data"),
        1000,
        &[
            "--proxy-bin".into(),
            root.join("target/release/simology-proxy").into(),
        ],
        "warn",
        // The host pages come from the bench's nginx: the proxy allows that origin,
        // the page's affiliate is on it, and the frame's files are on the bench's CDN.
        &[
            ("PROXY_ALLOWED_ORIGINS", host.as_str()),
            ("PROXY_AFFILIATES", &affiliates.to_string_lossy()),
            ("PROXY_WIDGET_DIR", &dist_dir.to_string_lossy()),
            ("PROXY_WIDGET_URL", widget_url.as_str()),
        ]
        .into_iter()
        .chain(database_url.map(|url| ("PROXY_DATABASE_URL", url)))
        .collect::<Vec<_>>(),
    )?;
    let proxy = stack.url("proxy")?;
    let proxy_pid = stack.urls["proxy_pid"].as_u64().context("proxy pid")?;
    let mut urls = stack.urls.clone();
    urls["page"] = json!(host);
    results.origins = vec![
        ("host", host.clone()),
        ("cdn", cdn.clone()),
        ("proxy", proxy.clone()),
    ];
    let catalog_path = format!("/api/catalog?country={COUNTRY}");

    if ["sizes", "phone", "activation", "http"]
        .iter()
        .any(|p| has(p))
    {
        // The bench's pages have the demo's CSP: the demo's blog says what it is.
        let demo_page = load::get(&format!("{}/", stack.url("page")?))?;
        let demo_csp = demo_page
            .header("content-security-policy")
            .context("the demo's blog has no Content-Security-Policy")?;
        if !pages::same_csp(demo_csp, &stack.url("cdn")?, &cdn, &proxy) {
            bail!(
                "the bench's host pages' CSP ({}) is not the demo's ({demo_csp})",
                pages::csp(&cdn, &proxy)
            );
        }
        let answer = load::get(&format!("{proxy}{catalog_path}"))?;
        if answer.status != 200 {
            bail!("the catalogue answered {}", answer.status);
        }
        let catalog: Value =
            serde_json::from_slice(&answer.body).context("reading the catalogue")?;
        let integrity: Value = serde_json::from_slice(&fs::read(dist_dir.join("integrity.json"))?)
            .context("reading dist/integrity.json")?;
        let site_dir = out_dir.join("nginx/site");
        let widget_files = cdn_files(&dist_dir)?;
        let files: Vec<(&str, &[u8])> = widget_files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        pages::write_site(
            &site_dir,
            &root.join("crates/demo/pages"),
            &pages::Origins {
                cdn: &cdn,
                proxy: &proxy,
            },
            integrity[dist::HOST_SCRIPT]
                .as_str()
                .context("no script hash in integrity.json")?,
            &catalog,
            &files,
        )?;
        let site = Nginx::start(
            &site_dir,
            &nginx::site_config(&site_dir, host_port, cdn_port, &pages::csp(&cdn, &proxy))?,
            &[(nginx::HOST_IP, host_port), ("127.0.0.1", cdn_port)],
        )?;
        if has("sizes") || has("http") {
            let frame = node_json(
                root,
                "bench/frame-url.mjs",
                &json!({"page": format!("{host}/")}),
            )?;
            let frame_url = frame["frame_url"]
                .as_str()
                .context("frame-url.mjs printed no frame_url")?;
            if !frame_url.starts_with(&format!("{proxy}/embed?")) {
                bail!("the host page's frame is {frame_url}, not the proxy's /embed");
            }
            results.frame_url = Some(frame_url.to_owned());
        }
        if has("sizes") {
            let frame_url = results.frame_url.as_deref().unwrap_or_default();
            let document = load::get(frame_url)?;
            if document.status != 200 || document.header("content-encoding").is_some() {
                bail!(
                    "the proxy answered {frame_url} with {} ({:?})",
                    document.status,
                    document.header("content-encoding")
                );
            }
            results.sizes = Some(sizes(&dist_dir, &document.body)?);
        }
        if has("phone") {
            println!(
                "measuring cold loads on a phone (widget and floor, unthrottled and throttled)..."
            );
            let loads: u64 = std::env::var("BENCH_LOADS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(9)
                .max(7);
            results.phone = Some(node_json(
                root,
                "bench/phone.mjs",
                &json!({"widget": format!("{host}/"), "floor": format!("{host}/floor.html"), "loads": loads}),
            )?);
        }
        if has("activation") {
            println!("measuring activation latency in the browser...");
            let t = node_json(root, "bench/activation.mjs", &urls)?;
            results.activation = Some((
                numbers(&t["activation_latency_ms"]),
                numbers(&t["activation_latency_interval_poll_ms"]),
            ));
        }
        drop(site);
    }

    if has("http") {
        println!("measuring HTTP load: the proxy, and nginx serving its answers...");
        let frame_url = results.frame_url.as_deref().unwrap_or_default();
        let frame_path = frame_url
            .strip_prefix(&proxy)
            .with_context(|| format!("{frame_url} is not on the proxy"))?;
        let status_path = format!("/api/orders/{}", ready_order(root, &urls)?);
        let paths = [frame_path, catalog_path.as_str(), status_path.as_str()];
        let mut answers = Vec::new();
        for path in paths {
            let a = load::get(&format!("{proxy}{path}"))?;
            if a.status != 200 || a.body.is_empty() || a.header("content-encoding").is_some() {
                bail!(
                    "the proxy answered {path} with {} ({} bytes, {:?})",
                    a.status,
                    a.body.len(),
                    a.header("content-encoding")
                );
            }
            answers.push(a);
        }
        let anchor_dir = out_dir.join("nginx/anchor");
        let _ = fs::remove_dir_all(&anchor_dir);
        fs::create_dir_all(anchor_dir.join("anchor"))?;
        let files = ["embed.html", "catalog.json", "order.json"];
        for (file, a) in files.iter().zip(&answers) {
            fs::write(anchor_dir.join("anchor").join(file), &a.body)?;
        }
        let anchored: Vec<Anchored<'_>> = paths
            .iter()
            .zip(files)
            .zip(&answers)
            .map(|((path, file), a)| Anchored {
                path: path.split('?').next().unwrap_or(path),
                file,
                content_type: &a.content_type,
            })
            .collect();
        let port = nginx::free_ports(1)?[0];
        let anchor = Nginx::start(
            &anchor_dir,
            &nginx::anchor_config(&anchor_dir, port, &anchored)?,
            &[("127.0.0.1", port)],
        )?;
        let reference = format!("http://127.0.0.1:{port}");
        // The anchor serves exactly what the proxy answered, and the proxy answers
        // the same again.
        for (path, answer) in paths.iter().zip(&answers) {
            for (server, theirs) in [
                ("nginx", load::get(&format!("{reference}{path}"))?),
                ("the proxy", load::get(&format!("{proxy}{path}"))?),
            ] {
                if theirs.status != 200
                    || theirs.body != answer.body
                    || theirs.content_type != answer.content_type
                {
                    bail!(
                        "{server} does not serve the proxy's answer at {path}: {} {:?}, {} bytes",
                        theirs.status,
                        theirs.content_type,
                        theirs.body.len()
                    );
                }
            }
        }
        results.load_before_http = Some(load_average()?);
        let proxy_pids = [u32::try_from(proxy_pid)?];
        let nginx_pids = anchor.pids()?;
        let pairs = load::pairs(
            &load::Server {
                base: &proxy,
                pids: &proxy_pids,
            },
            &load::Server {
                base: &reference,
                pids: &nginx_pids,
            },
            &paths,
            2,
        )?;
        drop(anchor);
        results.http = Some(pairs);
    }

    if has("webhooks") {
        println!("measuring webhook throughput...");
        let hooks = Command::new(root.join("target/release/simology-bench"))
            .args([
                "webhooks",
                "--orders",
                "300",
                "--concurrency",
                "16",
                "--secret",
                // The demo's sandbox's (`simology_sandbox::DEFAULT_WEBHOOK_SECRET`).
                "whsec_sandbox_test_not_a_real_secret",
            ])
            .args([
                "--proxy",
                &proxy,
                "--sandbox",
                &stack.url("sandbox")?,
                "--origin",
                &host,
            ])
            .output()
            .context("running the webhook driver")?;
        if !hooks.status.success() {
            bail!(
                "webhook driver failed: {}",
                String::from_utf8_lossy(&hooks.stderr)
            );
        }
        let h: Value =
            serde_json::from_slice(&hooks.stdout).context("reading the webhook driver")?;
        results.events_per_s = Some(h["events_per_s"].as_f64().context("events_per_s")?);
    }
    results.proxy_peak_rss_mb = Some(proc_status_mb(proxy_pid, "VmHWM")?);
    Ok(results)
}

/// The long-poll part, on a stack of its own: the memory is the long-polls', and the
/// eSIM is ready 3 s after payment, time enough for the paid orders' polls to wait again.
fn long_polls(root: &Path, out_dir: &Path, nofile: u64) -> Result<Value> {
    println!("holding {LONG_POLLS} long-polls on one proxy...");
    if nofile < LONG_POLLS + 1024 {
        bail!(
            "the open-file limit is {nofile} (the hard limit); {LONG_POLLS} long-polls need {}: raise the hard limit of this shell",
            LONG_POLLS + 1024
        );
    }
    let stack = DemoStack::start(
        root,
        "release",
        &out_dir.join("longpoll-data"),
        3000,
        &[
            "--proxy-bin".into(),
            root.join("target/release/simology-proxy").into(),
        ],
        "warn",
    )?;
    node_json(
        root,
        "bench/longpoll.mjs",
        &json!({"urls": stack.urls, "polls": LONG_POLLS, "orders": LONG_POLL_ORDERS, "paid": LONG_POLL_PAID}),
    )
}

/// The outbox part (`simology-bench outbox`): its JSON line.
fn outbox(root: &Path) -> Result<Value> {
    println!("measuring the outbox: ingest with and without an endpoint, then latency at 200 changes/s...");
    let out = Command::new(root.join("target/release/simology-bench"))
        .args(["outbox", "--rate", "200", "--seconds", "10", "--proxy-bin"])
        .arg(root.join("target/release/simology-proxy"))
        .stderr(Stdio::inherit())
        .output()
        .context("running the outbox driver")?;
    if !out.status.success() {
        bail!("the outbox driver failed ({})", out.status);
    }
    serde_json::from_slice(&out.stdout).context("reading the outbox driver")
}

/// Measures the chosen parts, prints the table, writes the report; returns the keys of
/// the missed targets.
///
/// # Errors
/// When a tool is missing or a measurement cannot be made.
pub fn run(args: &[String]) -> Result<Vec<&'static str>> {
    let Options {
        parts,
        database_url,
    } = options(args)?;
    let has = |p: &str| parts.contains(&p);
    let root = build()?;
    // Many connections at once (the long-polls): the soft limit of open files up to the
    // hard one, for this process and what it starts (demo, proxy, node), not the system.
    let nofile = rlimit::increase_nofile_limit(1 << 20).context("raising the open-file limit")?;
    let out_dir = root.join("target/bench");
    fs::create_dir_all(&out_dir)?;
    let date = first_line(Command::new("date").args(["-u", "+%Y-%m-%dT%H:%M:%SZ"]));
    let load_start = load_average()?;
    println!(
        "bench: load average at start {load_start:?} (other work on this machine slows every figure)"
    );

    let on_stack = if ["sizes", "phone", "activation", "http", "webhooks"]
        .iter()
        .any(|p| has(p))
    {
        on_stack(&root, &out_dir, &has, database_url.as_deref())?
    } else {
        StackResults::default()
    };
    let long_polls = if has("longpoll") {
        Some(long_polls(&root, &out_dir, nofile)?)
    } else {
        None
    };
    let outbox = if has("outbox") {
        Some(outbox(&root)?)
    } else {
        None
    };
    let load_end = load_average()?;

    let mut report = Report::default();
    report.sizes(on_stack.sizes.as_ref());
    report.phone(on_stack.phone.as_ref(), &on_stack.origins)?;
    report.http(on_stack.http.as_deref(), COUNTRY)?;
    report.webhooks(
        on_stack.events_per_s,
        if database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
    );
    report.long_polls(long_polls.as_ref())?;
    report.outbox(outbox.as_ref())?;
    report.activation(
        on_stack
            .activation
            .as_ref()
            .map(|(l, i)| (l.as_slice(), i.as_slice())),
    );
    if let Some(rss) = on_stack.proxy_peak_rss_mb {
        report.rows.push(report::Row {
            what: "the proxy's peak memory (VmHWM) over the run".into(),
            ours: format!("{rss:.1} MB"),
            ..report::Row::default()
        });
    }
    report.rows.push(report::Row {
        what: "load average (1/5/15 min) at start and end".into(),
        ours: format!(
            "{:.2} {:.2} {:.2}",
            load_start[0], load_start[1], load_start[2]
        ),
        reference: format!("{:.2} {:.2} {:.2}", load_end[0], load_end[1], load_end[2]),
        ..report::Row::default()
    });
    report.close();
    let (missed, unmeasured) = report.verdicts();
    let mut json = std::mem::take(&mut report.json);
    json.insert("date".into(), json!(date));
    json.insert("machine".into(), machine());
    json.insert("parts".into(), json!(parts));
    json.insert("open_file_limit".into(), json!(nofile));
    json.insert("frame_url".into(), json!(on_stack.frame_url));
    json.insert(
        "load_average".into(),
        json!({"start": load_start, "before_http": on_stack.load_before_http, "end": load_end}),
    );
    json.insert(
        "proxy_peak_rss_mb".into(),
        json!(on_stack.proxy_peak_rss_mb),
    );
    let path = out_dir.join("report.json");
    fs::write(&path, serde_json::to_string_pretty(&Value::Object(json))?)?;

    println!("\n{}", report::table(&report.rows));
    if !unmeasured.is_empty() {
        println!("not measured in this run: {}", unmeasured.join(", "));
    }
    println!("wrote {}", path.display());
    Ok(missed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn compression_shrinks_repetition() {
        let text = b"abcabcabcabcabcabcabcabcabcabcabcabcabcabcabc".repeat(20);
        assert!(brotli(&text).expect("br").len() < text.len() / 10);
        assert!(gzip(&text).expect("gz").len() < text.len() / 5);
    }

    #[test]
    fn parts_are_chosen() {
        let parts =
            |args: &[&str]| options(&args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>());
        assert_eq!(parts(&[]).expect("all").parts, PARTS.to_vec());
        assert_eq!(
            parts(&["--only", "http,sizes"]).expect("some").parts,
            vec!["http", "sizes"]
        );
        assert!(parts(&["--only", "nope"]).is_err());
        assert!(parts(&["--fast"]).is_err());
        assert!(parts(&["--only"]).is_err());
        let pg = parts(&[
            "--only",
            "webhooks",
            "--database-url",
            "postgres://u@127.0.0.1/b",
        ])
        .expect("a database");
        assert_eq!(
            pg,
            Options {
                parts: vec!["webhooks"],
                database_url: Some("postgres://u@127.0.0.1/b".into()),
            }
        );
        assert!(parts(&["--database-url", "sqlite://x.db"]).is_err());
    }
}
