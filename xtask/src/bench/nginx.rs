//! The bench's own nginx: Debian's binary with a config file and prefix of its own
//! under `target/bench/nginx/<name>/` (never the system's), one worker, the current
//! user, loopback ports. Two are run, one at a time:
//!
//! - `site`: the host pages (the demo's blog page embedding the widget, and its floor)
//!   on a site of their own (`127.0.0.2`, another site than the proxy's, as the demo's
//!   blog), under the demo's Content-Security-Policy, and the widget's files on another
//!   origin (`127.0.0.1`), precompressed (brotli 11, gzip -9) and served with CORS as a
//!   CDN serves them;
//! - `anchor`: the proxy's very answers (the bodies and Content-Type it sent), from
//!   files, the reference for the HTTP load.

use std::fmt::Write as _;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::tools;

/// The brotli_static module of Debian's `libnginx-mod-http-brotli-static`.
const BROTLI_STATIC: &str = "/usr/lib/nginx/modules/ngx_http_brotli_static_module.so";

/// A running nginx, stopped (SIGQUIT: finish and leave) when dropped.
pub struct Nginx {
    child: Child,
    dir: PathBuf,
}

/// The loopback address of the host pages: a site of its own (the demo's blog's).
pub const HOST_IP: &str = "127.0.0.2";

/// `n` free loopback ports on `127.0.0.1` (bound together, so they differ, then
/// released).
pub fn free_ports(n: usize) -> Result<Vec<u16>> {
    free_ports_on("127.0.0.1", n)
}

/// `n` free ports on the loopback address `ip`.
pub fn free_ports_on(ip: &str, n: usize) -> Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind((ip, 0)))
        .collect::<std::io::Result<Vec<_>>>()
        .context("finding free ports")?;
    listeners
        .iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect()
}

/// The `http {}` settings every bench nginx shares: one worker, `sendfile on` with
/// `tcp_nopush on` (Debian's default pair), keep-alive connections that no request
/// count closes (the proxy closes none either), no access log. Nothing else is tuned
/// (no `open_file_cache`): the file is opened for each request.
fn config(dir: &Path, modules: &str, servers: &str) -> Result<String> {
    let mut c = String::new();
    // As root, workers would otherwise switch to `nobody`; as anyone else nginx keeps
    // the current user (and warns on a `user` line).
    let uid = tools::output_of(Command::new("id").arg("-u")).unwrap_or_default();
    if uid.trim() == "0" {
        c.push_str("user root root;\n");
    }
    write!(
        c,
        "{modules}daemon off;\nmaster_process on;\nworker_processes 1;\npid {dir}/nginx.pid;\n\
         error_log {dir}/error.log warn;\nevents {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_timeout 75s;\n  keepalive_requests 1000000;\n\
         \x20 client_body_temp_path {dir}/tmp/body;\n  proxy_temp_path {dir}/tmp/proxy;\n\
         \x20 fastcgi_temp_path {dir}/tmp/fastcgi;\n  uwsgi_temp_path {dir}/tmp/uwsgi;\n\
         \x20 scgi_temp_path {dir}/tmp/scgi;\n{servers}}}\n",
        dir = dir.display()
    )?;
    Ok(c)
}

/// Quotes a value for nginx's configuration.
fn quoted(v: &str) -> Result<String> {
    if v.contains(['"', '\\', '\n', '$']) {
        bail!("cannot put {v:?} in an nginx configuration");
    }
    Ok(format!("\"{v}\""))
}

/// The site: [`HOST_IP`]`:host_port` serves `dir/host` (the host pages, `blog.css`)
/// with `csp`; `127.0.0.1:cdn_port` serves `dir/cdn` (the widget's files and their
/// `.br`/`.gz`).
pub fn site_config(dir: &Path, host_port: u16, cdn_port: u16, csp: &str) -> Result<String> {
    let servers = format!(
        "  server {{\n    listen {HOST_IP}:{host_port};\n    root {root}/host;\n    index index.html;\n\
         \x20   types {{ text/html html; text/css css; }}\n    gzip on;\n    gzip_types text/css;\n\
         \x20   add_header Content-Security-Policy {csp} always;\n  }}\n\
         \x20 server {{\n    listen 127.0.0.1:{cdn_port};\n    root {root}/cdn;\n\
         \x20   types {{ text/javascript js; application/wasm wasm; }}\n\
         \x20   brotli_static on;\n    gzip_static on;\n\
         \x20   add_header Access-Control-Allow-Origin * always;\n\
         \x20   add_header Cache-Control \"public, max-age=300\" always;\n  }}\n",
        root = dir.display(),
        csp = quoted(csp)?,
    );
    config(dir, &format!("load_module {BROTLI_STATIC};\n"), &servers)
}

/// One answer of the proxy, to serve again: its path (the query is not part of it),
/// the file (under `dir/anchor`) and the Content-Type.
pub struct Anchored<'a> {
    pub path: &'a str,
    pub file: &'a str,
    pub content_type: &'a str,
}

/// The anchor: `port` serves each answer's file at its path (an exact-match location
/// aliased to the file), with its type.
pub fn anchor_config(dir: &Path, port: u16, answers: &[Anchored<'_>]) -> Result<String> {
    let mut servers = format!("  server {{\n    listen 127.0.0.1:{port};\n");
    for a in answers {
        if !a.path.starts_with('/') || a.path.contains(['?', ' ', ';', '{', '}']) {
            bail!("cannot serve {:?} from nginx", a.path);
        }
        writeln!(
            servers,
            "    location = {} {{ types {{}} default_type {}; alias {}; }}",
            a.path,
            quoted(a.content_type)?,
            quoted(&format!("{}/anchor/{}", dir.display(), a.file))?
        )?;
    }
    servers.push_str("  }\n");
    config(dir, "", &servers)
}

impl Nginx {
    /// Writes `conf` to `dir/nginx.conf` and starts nginx on it, waiting until every
    /// address in `listens` (loopback address, port) accepts connections.
    ///
    /// # Errors
    /// When the configuration is refused or nginx does not listen within 10 s.
    pub fn start(dir: &Path, conf: &str, listens: &[(&str, u16)]) -> Result<Self> {
        fs::create_dir_all(dir.join("tmp"))?;
        let conf_path = dir.join("nginx.conf");
        fs::write(&conf_path, conf)?;
        let log = dir.join("error.log");
        let _ = fs::remove_file(&log);
        let mut prefix = dir.as_os_str().to_owned();
        prefix.push("/");
        let child = Command::new("/usr/sbin/nginx")
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&conf_path)
            .arg("-e")
            .arg(&log)
            .stdin(Stdio::null())
            .spawn()
            .context("starting nginx")?;
        let mut nginx = Nginx {
            child,
            dir: dir.to_owned(),
        };
        let started = Instant::now();
        for &(ip, port) in listens {
            while TcpStream::connect((ip, port)).is_err() {
                if let Some(status) = nginx.child.try_wait()? {
                    bail!("nginx stopped ({status}): {}", nginx.log());
                }
                if started.elapsed() > Duration::from_secs(10) {
                    bail!("nginx does not listen on {ip}:{port}: {}", nginx.log());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(nginx)
    }

    /// The master's process id and its workers'.
    ///
    /// # Errors
    /// When `/proc` does not list the children.
    pub fn pids(&self) -> Result<Vec<u32>> {
        let master = self.child.id();
        let children = fs::read_to_string(format!("/proc/{master}/task/{master}/children"))
            .context("reading nginx's worker processes")?;
        let mut pids = vec![master];
        for pid in children.split_whitespace() {
            pids.push(pid.parse().context("a process id")?);
        }
        Ok(pids)
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-QUIT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_pages_are_on_a_site_of_their_own() {
        let conf = site_config(Path::new("/s"), 8001, 8002, "default-src 'self'").expect("config");
        assert!(conf.contains("listen 127.0.0.2:8001;"), "{conf}");
        assert!(conf.contains("listen 127.0.0.1:8002;"), "{conf}");
        assert!(conf.contains("add_header Content-Security-Policy \"default-src 'self'\" always;"));
        assert!(conf.contains("brotli_static on;"));
    }

    #[test]
    fn anchor_config_serves_each_answer_with_its_type() {
        let conf = anchor_config(
            Path::new("/b"),
            8123,
            &[Anchored {
                path: "/api/catalog",
                file: "catalog.json",
                content_type: "application/json",
            }],
        )
        .expect("config");
        assert!(conf.contains("listen 127.0.0.1:8123;"));
        assert!(conf.contains(
            "location = /api/catalog { types {} default_type \"application/json\"; alias \"/b/anchor/catalog.json\"; }"
        ));
        for setting in [
            "worker_processes 1;",
            "access_log off;",
            "sendfile on;",
            "keepalive_timeout 75s;",
        ] {
            assert!(conf.contains(setting), "{setting} missing");
        }
        let refused = |path, content_type| {
            anchor_config(
                Path::new("/b"),
                1,
                &[Anchored {
                    path,
                    file: "x",
                    content_type,
                }],
            )
            .is_err()
        };
        assert!(refused("/", "a\"b"));
        assert!(refused("/api/catalog?country=JP", "application/json"));
        assert!(refused("api", "application/json"));
    }
}
