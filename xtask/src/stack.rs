//! The demo stack (`simology-demo --port 0 --json`) as the bench and the schemathesis
//! suite run it: started on free ports, its URLs read from its first line, stopped
//! with SIGINT (so it stops what it started) when dropped.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context, Result};

/// A running demo stack.
pub struct DemoStack {
    child: Child,
    /// `{"page": .., "proxy": .., "sandbox": .., ...}` as the demo printed them.
    pub urls: serde_json::Value,
}

impl DemoStack {
    /// Starts the demo binary built in `profile` with fresh data under `data_dir`. The
    /// requests of tools come fast and from one address, so the per-client limits are
    /// lifted: the logic behind them is what is exercised.
    ///
    /// # Errors
    /// When the demo does not start or does not print its URLs.
    pub fn start(
        root: &Path,
        profile: &str,
        data_dir: &Path,
        activation_delay_ms: u32,
        extra: &[OsString],
        log: &str,
    ) -> Result<Self> {
        Self::start_with_env(
            root,
            profile,
            data_dir,
            activation_delay_ms,
            extra,
            log,
            &[],
        )
    }

    /// [`DemoStack::start`] with more environment for the demo and its proxy process
    /// (which takes its settings from the environment first), e.g. the bench's
    /// `PROXY_ALLOWED_ORIGINS`.
    ///
    /// # Errors
    /// When the demo does not start or does not print its URLs.
    pub fn start_with_env(
        root: &Path,
        profile: &str,
        data_dir: &Path,
        activation_delay_ms: u32,
        extra: &[OsString],
        log: &str,
        env: &[(&str, &str)],
    ) -> Result<Self> {
        let _ = std::fs::remove_dir_all(data_dir);
        let mut child = Command::new(root.join("target").join(profile).join("simology-demo"))
            .args(["--port", "0", "--json", "--activation-delay-ms"])
            .arg(activation_delay_ms.to_string())
            .arg("--dist")
            .arg(root.join("dist"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra)
            .env("PROXY_STATUS_PER_MINUTE", "1000000000")
            .env("PROXY_CHECKOUT_PER_MINUTE", "1000000000")
            .env("PROXY_MISSES_PER_MINUTE", "1000000000")
            // One address holds every long-poll of the bench (10,000); the default
            // connection cap (16,384) holds them.
            .env("PROXY_LONG_POLLS_PER_CLIENT", "1000000000")
            .env("RUST_LOG", log)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the demo stack")?;
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().context("demo stdout")?).read_line(&mut line)?;
        let urls: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        // Built before the check, so that a failed start still stops the child.
        let stack = DemoStack { child, urls };
        if stack.urls.get("proxy").is_none() {
            bail!("the demo stack did not start: {line:?}");
        }
        Ok(stack)
    }

    /// One of its URLs (`proxy`, `sandbox`, `page`, `static`, ...).
    ///
    /// # Errors
    /// When the demo did not print that one.
    pub fn url(&self, key: &str) -> Result<String> {
        self.urls[key]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("the demo printed no {key} URL"))
    }
}

impl Drop for DemoStack {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}
