//! HTTP load with `wrk`, the CPU time a server spends per request, the pairs of runs
//! (ours and the reference), and a minimal HTTP/1.0 GET to copy the proxy's answers.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

/// wrk's settings, the same for every server: 2 threads, 32 keep-alive connections,
/// a 2 s warm-up, then 10 s measured.
pub const THREADS: u32 = 2;
pub const CONNECTIONS: u32 = 32;
pub const WARM_UP_S: u32 = 2;
pub const MEASURED_S: u32 = 10;

/// Requests per second, p99 latency, and how many requests the run made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    pub rps: f64,
    pub p99_ms: f64,
    pub requests: u64,
}

/// Requests per second and p99 latency (ms) from `wrk --latency` output.
pub fn parse_wrk(text: &str) -> Result<Run> {
    no_errors(text)?;
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .context("no Requests/sec in wrk's output")?;
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(str::trim)
        .context("no 99% line in wrk's output")?;
    let (number, unit) = p99.split_at(
        p99.find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(p99.len()),
    );
    let requests = text
        .lines()
        .find_map(|l| l.split_once(" requests in "))
        .and_then(|(n, _)| n.trim().parse().ok())
        .context("no request count in wrk's output")?;
    let value: f64 = number.trim().parse().context("wrk's p99")?;
    let p99_ms = match unit {
        "us" => value / 1000.0,
        "ms" => value,
        "s" => value * 1000.0,
        "m" => value * 60_000.0,
        other => bail!("unknown wrk unit {other:?}"),
    };
    Ok(Run {
        rps,
        p99_ms,
        requests,
    })
}

/// Fails when wrk saw error answers or socket errors.
fn no_errors(text: &str) -> Result<()> {
    if text.contains("Non-2xx or 3xx responses") {
        bail!("wrk saw error answers:\n{text}");
    }
    if text.contains("Socket errors") {
        bail!("wrk saw socket errors:\n{text}");
    }
    Ok(())
}

fn wrk_once(url: &str, seconds: u32, latency: bool) -> Result<String> {
    let mut cmd = Command::new("wrk");
    cmd.arg(format!("-t{THREADS}"))
        .arg(format!("-c{CONNECTIONS}"))
        .arg(format!("-d{seconds}s"));
    if latency {
        cmd.arg("--latency");
    }
    let out = cmd.arg(url).output().context("starting wrk")?;
    if !out.status.success() {
        bail!(
            "wrk {url} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The warm-up run (not measured).
///
/// # Errors
/// When wrk fails, or any answer was an error.
pub fn wrk_warm_up(url: &str) -> Result<()> {
    no_errors(&wrk_once(url, WARM_UP_S, false)?).with_context(|| format!("warming up {url}"))
}

/// The measured run (after [`wrk_warm_up`]).
///
/// # Errors
/// When wrk fails, or any answer was an error.
pub fn wrk_measured(url: &str) -> Result<Run> {
    parse_wrk(&wrk_once(url, MEASURED_S, true)?).with_context(|| format!("loading {url}"))
}

/// User + system CPU time (clock ticks) from a `/proc/<pid>/stat` line.
pub fn stat_ticks(stat: &str) -> Result<u64> {
    // The fields after the command name (in parentheses, which may hold spaces and
    // parentheses): utime and stime are fields 14 and 15, the 12th and 13th after it.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("a malformed /proc stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let mut total = 0;
    for i in [11, 12] {
        total += fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .context("no utime/stime in /proc stat")?;
    }
    Ok(total)
}

/// CPU time (user + system, in clock ticks) the processes have used so far.
fn cpu_ticks(pids: &[u32]) -> Result<u64> {
    let mut total = 0;
    for pid in pids {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat"))
            .with_context(|| format!("reading /proc/{pid}/stat"))?;
        total += stat_ticks(&stat)?;
    }
    Ok(total)
}

/// A server under load: where to send requests, and its processes.
pub struct Server<'a> {
    pub base: &'a str,
    pub pids: &'a [u32],
}

/// One warmed-up, measured run, with the CPU time the server's processes spent per
/// request (microseconds).
fn measured(server: &Server<'_>, path: &str, ticks_per_s: f64) -> Result<(Run, f64)> {
    let url = format!("{}{path}", server.base);
    wrk_warm_up(&url)?;
    let before = cpu_ticks(server.pids)?;
    let run = wrk_measured(&url)?;
    let after = cpu_ticks(server.pids)?;
    let cpu_us =
        after.saturating_sub(before) as f64 / ticks_per_s * 1e6 / run.requests.max(1) as f64;
    Ok((run, cpu_us))
}

/// A pair of load runs on the same endpoint: ours and the reference's, each with the
/// CPU time its server spent per request (microseconds; less sensitive than req/s to
/// other work on the machine).
pub struct Pair {
    pub ours: Run,
    pub reference: Run,
    pub ours_cpu_us: f64,
    pub reference_cpu_us: f64,
}

impl Pair {
    pub fn ratio(&self) -> f64 {
        self.ours.rps / self.reference.rps
    }

    pub fn mean_ratio(pairs: &[Pair]) -> f64 {
        pairs.iter().map(Pair::ratio).sum::<f64>() / pairs.len().max(1) as f64
    }

    pub fn json(&self) -> Value {
        json!({
            "ours": {"rps": self.ours.rps, "p99_ms": self.ours.p99_ms, "requests": self.ours.requests,
                     "cpu_us_per_request": self.ours_cpu_us},
            "reference": {"rps": self.reference.rps, "p99_ms": self.reference.p99_ms,
                          "requests": self.reference.requests, "cpu_us_per_request": self.reference_cpu_us},
            "ratio": self.ratio(),
        })
    }
}

/// Each path loaded on both servers, `rounds` times, alternating which goes first
/// (round 1: ours first). Returns the pairs of each path, in order.
///
/// # Errors
/// When wrk fails or an answer is an error.
pub fn pairs(
    ours: &Server<'_>,
    reference: &Server<'_>,
    paths: &[&str],
    rounds: usize,
) -> Result<Vec<Vec<Pair>>> {
    let ticks_per_s: f64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .context("getconf CLK_TCK")?;
    let mut out: Vec<Vec<Pair>> = paths.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        for (i, path) in paths.iter().enumerate() {
            let ((o, o_cpu), (r, r_cpu)) = if round % 2 == 0 {
                let o = measured(ours, path, ticks_per_s)?;
                (o, measured(reference, path, ticks_per_s)?)
            } else {
                let r = measured(reference, path, ticks_per_s)?;
                (measured(ours, path, ticks_per_s)?, r)
            };
            let pair = Pair {
                ours: o,
                reference: r,
                ours_cpu_us: o_cpu,
                reference_cpu_us: r_cpu,
            };
            println!(
                "  round {} {path}: ours {:.0} req/s ({:.1} us CPU/req), reference {:.0} req/s ({:.1} us CPU/req): {:.2}x",
                round + 1,
                pair.ours.rps,
                pair.ours_cpu_us,
                pair.reference.rps,
                pair.reference_cpu_us,
                pair.ratio()
            );
            out[i].push(pair);
        }
    }
    Ok(out)
}

/// An answer: status, Content-Type, headers (names in lower case) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads an HTTP/1.0 answer (the whole stream).
pub fn parse_answer(raw: &[u8]) -> Result<Answer> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("an answer without a header end")?;
    let head = std::str::from_utf8(&raw[..split]).context("a header that is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .context("no status line")?;
    let mut content_type = None;
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').context("a malformed header")?;
        let name = name.trim().to_ascii_lowercase();
        if name == "content-type" {
            content_type = Some(value.trim().to_owned());
        }
        if name == "transfer-encoding" {
            bail!("a chunked answer to HTTP/1.0");
        }
        headers.push((name, value.trim().to_owned()));
    }
    Ok(Answer {
        status,
        content_type: content_type.unwrap_or_default(),
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

/// `GET url` (http://host:port/path) over HTTP/1.0.
///
/// # Errors
/// When the server cannot be reached or answers something unreadable.
pub fn get(url: &str) -> Result<Answer> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("{url} is not http://"))?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(host).with_context(|| format!("connecting to {host}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .with_context(|| format!("reading {url}"))?;
    parse_answer(&raw).with_context(|| format!("GET {url}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_read() {
        let text = "Running 10s test @ http://x\n  Latency Distribution\n     50%  200.00us\n     99%    3.21ms\n  123457 requests in 10.00s, 600.00MB read\nRequests/sec:  12345.67\nTransfer/sec: 1MB\n";
        let run = parse_wrk(text).expect("parses");
        assert!((run.rps - 12345.67).abs() < 1e-9);
        assert!((run.p99_ms - 3.21).abs() < 1e-9);
        assert_eq!(run.requests, 123_457);
        let slow = text.replace("3.21ms", "1.50s");
        assert!((parse_wrk(&slow).expect("parses").p99_ms - 1500.0).abs() < 1e-9);
        let fast = text.replace("3.21ms", "800.00us");
        assert!((parse_wrk(&fast).expect("parses").p99_ms - 0.8).abs() < 1e-9);
        assert!(parse_wrk(&format!("{text}Non-2xx or 3xx responses: 5\n")).is_err());
        assert!(parse_wrk(&format!(
            "{text}  Socket errors: connect 0, read 3, write 0, timeout 0\n"
        ))
        .is_err());
        assert!(parse_wrk("Requests/sec: 5\n").is_err());
    }

    #[test]
    fn cpu_time_is_read_after_the_command_name() {
        let stat = "4242 (tokio (rt) 1) S 1 2 3 4 5 6 7 8 9 10 250 75 0 0 20 0 4";
        assert_eq!(stat_ticks(stat).expect("parses"), 325);
        assert!(stat_ticks("4242 (x) S 1 2").is_err());
    }

    #[test]
    fn answers_are_read() {
        let a = parse_answer(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 2\r\n\r\n{}",
        )
        .expect("parses");
        assert_eq!(a.status, 200);
        assert_eq!(a.content_type, "application/json");
        assert_eq!(a.body, b"{}");
        assert_eq!(a.header("content-length"), Some("2"));
        assert_eq!(a.header("etag"), None);
        assert!(
            parse_answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}").is_err()
        );
        assert!(parse_answer(b"HTTP/1.1 200 OK\r\n").is_err());
    }
}
