//! `simology-bench release --proxy-bin P --sandbox-bin S`: the released binaries on a
//! machine layout with no Rust toolchain: each runs with an empty environment but for
//! its settings, a `PATH` that holds only the release's binaries and a `HOME` with
//! nothing in it (no cargo, no rustup, no rustc). The sandbox starts, the proxy starts
//! against it and answers `/healthz` and `/readyz`, and a traveller's checkout goes
//! through: paid on the sandbox's page, the webhooks arrive, and the order is ready with
//! its eSIM. Then the released `backup` copies the proxy's database while it serves.
//! Fails on the first thing that does not hold.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const ORIGIN: &str = "http://release.test";

/// The machine: a folder with `bin/` (the release's binaries only), an empty `home/`
/// and `data/`.
struct Machine {
    root: PathBuf,
}

impl Machine {
    fn new(proxy: &Path, sandbox: &Path) -> Result<Machine> {
        let root = std::env::temp_dir().join(format!("simology-release-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for dir in ["bin", "home", "data"] {
            std::fs::create_dir_all(root.join(dir))?;
        }
        for (from, name) in [(proxy, "simology-proxy"), (sandbox, "simology-sandbox")] {
            std::fs::copy(from, root.join("bin").join(name))
                .with_context(|| format!("copying {}", from.display()))?;
        }
        for tool in ["cargo", "rustc", "rustup", "cc", "ld"] {
            if root.join("bin").join(tool).exists() {
                bail!("{tool} is on the machine's PATH");
            }
        }
        Ok(Machine { root })
    }

    /// A command of the machine, with nothing of this environment but `env`.
    fn command(&self, program: &str, env: &[(String, String)]) -> Command {
        let mut cmd = Command::new(self.root.join("bin").join(program));
        cmd.env_clear()
            .env("PATH", self.root.join("bin"))
            .env("HOME", self.root.join("home"))
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(self.root.join("home"))
            .kill_on_drop(true);
        cmd
    }

    /// Starts `program` and returns it with the URL of its `listening on` line.
    async fn start(
        &self,
        program: &str,
        args: &[&str],
        env: &[(String, String)],
    ) -> Result<(Child, String)> {
        let log = std::fs::File::create(self.root.join(format!("{program}.log")))?;
        let mut child = self
            .command(program, env)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("starting the released {program}"))?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .with_context(|| format!("{program} did not start within 60 s"))??
            .unwrap_or_default();
        let Some(url) = first.strip_prefix("listening on ") else {
            bail!(
                "{program} did not start: {first:?} (its log: {})",
                self.root.join(format!("{program}.log")).display()
            );
        };
        let url = url.trim().to_owned();
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok((child, url))
    }
}

async fn json_of(r: reqwest::Response, what: &str) -> Result<Value> {
    let status = r.status();
    let body = r.text().await?;
    if !status.is_success() {
        bail!("{what} answered {status}: {body}");
    }
    serde_json::from_str(&body).with_context(|| format!("{what}: {body}"))
}

/// Runs the check.
///
/// # Errors
/// When something does not hold.
pub async fn run(map: &HashMap<String, String>) -> Result<()> {
    for key in map.keys() {
        if !["proxy-bin", "sandbox-bin"].contains(&key.as_str()) {
            bail!("unknown option --{key}");
        }
    }
    let proxy = PathBuf::from(map.get("proxy-bin").context("--proxy-bin is required")?);
    let sandbox = PathBuf::from(
        map.get("sandbox-bin")
            .context("--sandbox-bin is required")?,
    );
    let machine = Machine::new(&proxy, &sandbox)?;
    let (_sandbox, sandbox_url) = machine
        .start(
            "simology-sandbox",
            &["--port", "0", "--activation-delay-ms", "200"],
            &[],
        )
        .await?;
    let mut env = crate::proxy_env(&sandbox_url, ORIGIN, &[]);
    env.push(("PROXY_LISTEN".into(), "127.0.0.1:0".into()));
    env.push((
        "PROXY_DATA_DIR".into(),
        machine.root.join("data").display().to_string(),
    ));
    env.push(("PROXY_LOG_FORMAT".into(), "json".into()));
    let (mut proxy_child, proxy_url) = machine.start("simology-proxy", &[], &env).await?;
    println!("the released proxy serves at {proxy_url} with PATH holding only the release");

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()?;
    let health = http.get(format!("{proxy_url}/healthz")).send().await?;
    let status = health.status();
    let text = health.text().await?;
    if !status.is_success() || text != "ok" {
        bail!("/healthz answered {status}: {text:?}");
    }
    json_of(
        http.get(format!("{proxy_url}/readyz")).send().await?,
        "/readyz",
    )
    .await?;
    let done = http
        .put(format!("{sandbox_url}/sandbox/webhook-endpoint"))
        .json(&json!({"url": format!("{proxy_url}/webhooks/simology")}))
        .send()
        .await?;
    if !done.status().is_success() {
        bail!("the sandbox refused the webhook URL: {}", done.status());
    }

    let order = json_of(
        http.post(format!("{proxy_url}/api/checkout"))
            .header("origin", ORIGIN)
            .json(&json!({"sku": "US-1GB-7D", "quantity": 1, "email": "release@example.com",
                "locale": "en", "intent_id": "release-check-0001", "return_url": format!("{ORIGIN}/")}))
            .send()
            .await?,
        "the checkout",
    )
    .await?;
    let order_ref = order["order_ref"].as_str().context("order_ref")?.to_owned();
    let payment_url = order["payment_url"]
        .as_str()
        .context("payment_url")?
        .to_owned();
    let paid = http
        .post(&payment_url)
        .form(&[("card", simology_sandbox::CARD_SUCCESS), ("action", "pay")])
        .send()
        .await?;
    if paid.status() != reqwest::StatusCode::SEE_OTHER {
        bail!("the payment page answered {}", paid.status());
    }
    // Long-polls until the order is ready (each answers when it changes).
    let mut version: Option<i64> = None;
    let view = loop {
        let mut url = format!("{proxy_url}/api/orders/{order_ref}?wait=20");
        if let Some(v) = version {
            url.push_str(&format!("&version={v}"));
        }
        let view = json_of(http.get(url).send().await?, "the order").await?;
        if view["state"] == "ready" {
            break view;
        }
        if ["failed", "expired", "refunded"].contains(&view["state"].as_str().unwrap_or("")) {
            bail!("the order ended {}: {view}", view["state"]);
        }
        if version.is_some() && view["version"].as_i64() == version {
            bail!("the order did not change within a long-poll: {view}");
        }
        version = view["version"].as_i64();
    };
    let lpa = view["lines"][0]["esim"]["lpa"]
        .as_str()
        .or_else(|| view["esim"]["lpa"].as_str())
        .unwrap_or_default();
    if !lpa.starts_with("LPA:1$") {
        bail!("the ready order has no eSIM: {view}");
    }
    println!("a checkout went through: {order_ref} is ready with its eSIM");

    let backup = machine.root.join("data/backup.db");
    let out = machine
        .command("simology-proxy", &env)
        .args(["backup", "--to"])
        .arg(&backup)
        .output()
        .await?;
    if !out.status.success() {
        bail!(
            "the released backup failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    print!("{}", String::from_utf8_lossy(&out.stdout));
    let check = machine
        .command("simology-proxy", &env)
        .args(["healthcheck", "--url", &proxy_url])
        .output()
        .await?;
    if !check.status.success() {
        bail!(
            "the released healthcheck failed: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
    if let Some(pid) = proxy_child.id() {
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await;
    }
    let exit = tokio::time::timeout(Duration::from_secs(60), proxy_child.wait())
        .await
        .context("the proxy did not stop on SIGTERM")??;
    if !exit.success() {
        bail!("the proxy exited with {exit} on SIGTERM");
    }
    let _ = std::fs::remove_dir_all(&machine.root);
    println!("the released binaries hold without a Rust toolchain");
    Ok(())
}
