//! SIGHUP re-reads the affiliates file of a running proxy process: a new affiliate's
//! beacons and its site's CORS are accepted without a restart, and a broken file keeps
//! the affiliates read before (the log says why).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::affiliates::*;
use crate::helpers::*;

/// A proxy process, killed when dropped; its log lines arrive on `log`.
pub struct Proxy {
    child: Child,
    pub url: String,
    log: mpsc::UnboundedReceiver<String>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    pub fn start(env: &[(String, String)]) -> Proxy {
        let mut child = Command::new(env!("CARGO_BIN_EXE_simology-proxy"))
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("PROXY_LOG_FORMAT", "text")
            .env("RUST_LOG", "simology_proxy=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("proxy starts");
        let mut banner = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut banner)
            .expect("banner");
        let url = banner
            .trim()
            .strip_prefix("listening on ")
            .expect("banner line")
            .to_owned();
        let (tx, log) = mpsc::unbounded_channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Proxy { child, url, log }
    }

    /// `kill -HUP`, through the shell's own `kill` (no other tool needed).
    pub fn hang_up(&self) {
        let status = Command::new("sh")
            .args(["-c", "kill -HUP \"$0\"", &self.child.id().to_string()])
            .status()
            .expect("sh");
        assert!(status.success());
    }

    /// Waits for a log line holding `text` (see [`eventually`]); fails with the lines
    /// seen instead.
    pub async fn wait_for_log(&mut self, text: &str) -> String {
        let mut seen = Vec::new();
        eventually(format!("a log line with {text:?}"), async || {
            while let Ok(line) = self.log.try_recv() {
                if line.contains(text) {
                    return Ok(line);
                }
                seen.push(line);
            }
            Err(seen.clone())
        })
        .await
    }
}

async fn cors_allows(url: &str, origin: &str) -> bool {
    preflight(url, "/api/beacons", origin).await.as_deref() == Some(origin)
}

#[tokio::test]
async fn sighup_picks_up_a_new_affiliate_and_a_broken_file_changes_nothing() {
    let sandbox = simology_sandbox::spawn(fast_sandbox())
        .await
        .expect("sandbox");
    let dir = temp_dir("reload");
    let file = dir.join("affiliates.toml");
    std::fs::write(&file, affiliates_file(false)).expect("write");
    let db = database_url(&dir).await;
    let env = proxy_env(
        sandbox.url(),
        &db,
        &[("PROXY_AFFILIATES", file.to_str().expect("utf-8"))],
    );
    let mut proxy = Proxy::start(&env);
    // The attribution the proxy signs into each affiliate's frame, asked for from one of
    // the affiliate's pages.
    let proxy_url = proxy.url.clone();
    let attribution = |affiliate: &str, site: &str| {
        let (url, affiliate, site) = (proxy_url.clone(), affiliate.to_owned(), site.to_owned());
        async move {
            let query = format!("instance=t&affiliate={affiliate}");
            embed_config(&url, &query, Some(&format!("{site}/page")))
                .await
                .1["attribution"]
                .clone()
        }
    };
    assert_eq!(
        attribution("other-blog", OTHER).await,
        Value::Null,
        "not in the file yet"
    );
    let wander =
        json!({"attribution": attribution("wander-notes", WANDER).await, "event": "shown"})
            .to_string();
    assert!(!cors_allows(&proxy.url, OTHER).await);

    std::fs::write(&file, affiliates_file(true)).expect("write");
    proxy.hang_up();
    proxy.wait_for_log("affiliates file read again").await;
    let other = json!({"attribution": attribution("other-blog", OTHER).await, "event": "shown"})
        .to_string();
    let other = other.as_str();
    let wander = wander.as_str();
    assert_eq!(beacon(&proxy.url, Some(OTHER), other).await.status(), 204);
    assert!(
        cors_allows(&proxy.url, OTHER).await,
        "CORS follows the file"
    );
    assert_eq!(beacon(&proxy.url, Some(WANDER), wander).await.status(), 204);

    std::fs::write(&file, "[[affiliate]]\nid = \"half-written\"\n").expect("write");
    proxy.hang_up();
    let refused = proxy.wait_for_log("affiliates file refused").await;
    assert!(refused.contains("name"), "says why: {refused}");
    assert_eq!(
        beacon(&proxy.url, Some(OTHER), other).await.status(),
        204,
        "kept"
    );
    assert!(cors_allows(&proxy.url, OTHER).await);
    drop(proxy);
    let _ = std::fs::remove_dir_all(&dir);
}
