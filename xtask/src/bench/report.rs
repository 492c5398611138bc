//! The bench's targets, its one printed table and `report.json`: each part's results
//! become rows (ours, the reference, the ratio, the target and its verdict) and a
//! section of the report.

use std::fmt::Write as _;

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};

use super::load::Pair;
use super::{median, numbers, LONG_POLLS, LONG_POLL_ORDERS, LONG_POLL_PAID};

/// What a target asks of a figure.
#[derive(Debug, Clone, Copy)]
pub enum Goal {
    AtMost(f64),
    AtLeast(f64),
}

/// One target, and the figure it judges (`None`: not measured in this run).
#[derive(Debug)]
pub struct Target {
    pub key: &'static str,
    pub goal: Goal,
    pub shown: &'static str,
    pub value: Option<f64>,
}

impl Target {
    /// `None` when not measured.
    pub fn met(&self) -> Option<bool> {
        let v = self.value?;
        Some(match self.goal {
            Goal::AtMost(limit) => v <= limit,
            Goal::AtLeast(floor) => v >= floor,
        })
    }

    pub fn verdict(&self) -> &'static str {
        match self.met() {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "not measured",
        }
    }
}

/// A row of the printed table.
#[derive(Default)]
pub struct Row {
    pub what: String,
    pub ours: String,
    pub reference: String,
    pub ratio: String,
    pub target: String,
    pub verdict: String,
}

/// A number with thousands separators and `decimals` decimals.
pub fn num(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let text = format!("{:.*}", decimals, v.abs());
    let (whole, frac) = text.split_at(text.find('.').unwrap_or(text.len()));
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}{out}{frac}", if v < 0.0 { "-" } else { "" })
}

/// The rows as one aligned table, with a header.
pub fn table(rows: &[Row]) -> String {
    let header = Row {
        what: "measure".into(),
        ours: "ours".into(),
        reference: "reference".into(),
        ratio: "ratio".into(),
        target: "target".into(),
        verdict: "verdict".into(),
    };
    let all: Vec<&Row> = std::iter::once(&header).chain(rows).collect();
    let width = |f: fn(&Row) -> &str| all.iter().map(|r| f(r).chars().count()).max().unwrap_or(0);
    let w = [
        width(|r| &r.what),
        width(|r| &r.ours),
        width(|r| &r.reference),
        width(|r| &r.ratio),
        width(|r| &r.target),
    ];
    let pad = |s: &str, n: usize| format!("{s}{}", " ".repeat(n - s.chars().count()));
    let padl = |s: &str, n: usize| format!("{}{s}", " ".repeat(n - s.chars().count()));
    let mut out = String::new();
    for (i, r) in all.iter().enumerate() {
        let line = format!(
            "{}  {}  {}  {}  {}  {}",
            pad(&r.what, w[0]),
            padl(&r.ours, w[1]),
            padl(&r.reference, w[2]),
            padl(&r.ratio, w[3]),
            pad(&r.target, w[4]),
            r.verdict
        );
        let _ = writeln!(out, "{}", line.trim_end());
        if i == 0 {
            let _ = writeln!(out, "{}", "-".repeat(w.iter().sum::<usize>() + 10 + 12));
        }
    }
    out
}

/// The sizes of a first render: raw, gzip -9 and brotli 11 bytes of the picker's wasm
/// module and of the loader script.
pub struct Sizes {
    pub raw: usize,
    pub gzip: usize,
    pub brotli_wasm: usize,
    pub brotli_js: usize,
}

/// Rows, targets and report sections, part by part.
#[derive(Default)]
pub struct Report {
    pub rows: Vec<Row>,
    pub targets: Vec<Target>,
    pub json: Map<String, Value>,
}

impl Report {
    /// Records a target (judged or not) and returns its text and verdict for a row.
    fn target(
        &mut self,
        key: &'static str,
        goal: Goal,
        shown: &'static str,
        value: Option<f64>,
    ) -> (String, String) {
        let t = Target {
            key,
            goal,
            shown,
            value,
        };
        let out = (shown.to_owned(), t.verdict().to_owned());
        self.targets.push(t);
        out
    }

    pub fn sizes(&mut self, sizes: Option<&Sizes>) {
        let brotli = sizes.map(|s| (s.brotli_wasm + s.brotli_js) as f64);
        let (target, verdict) = self.target(
            "first_render_brotli_bytes",
            Goal::AtMost(120.0 * 1024.0),
            "<= 120 KiB (122,880 B)",
            brotli,
        );
        let Some(s) = sizes else { return };
        self.json.insert(
            "first_render".into(),
            json!({"raw_bytes": s.raw, "gzip_bytes": s.gzip, "brotli_bytes": s.brotli_wasm + s.brotli_js,
                   "brotli_wasm_bytes": s.brotli_wasm, "brotli_js_bytes": s.brotli_js}),
        );
        self.rows.push(Row {
            what: "first render, brotli 11 (picker wasm + loader script)".into(),
            ours: format!(
                "{} B ({} + {})",
                num((s.brotli_wasm + s.brotli_js) as f64, 0),
                num(s.brotli_wasm as f64, 0),
                num(s.brotli_js as f64, 0)
            ),
            reference: format!(
                "raw {} / gzip {}",
                num(s.raw as f64, 0),
                num(s.gzip as f64, 0)
            ),
            target,
            verdict,
            ..Row::default()
        });
    }

    /// The phone part's output (`e2e/bench/phone.mjs`).
    ///
    /// # Errors
    /// When it holds fewer than 7 loads of a kind, or the widget's files were not
    /// served with brotli (then the figures are not what they claim).
    pub fn phone(&mut self, phone: Option<&Value>) -> Result<()> {
        let mut medians = [None, None];
        let mut modes = Map::new();
        if let Some(p) = phone {
            if p["widget_files_encodings"] != json!(["br"]) {
                bail!(
                    "the widget's files were not served with brotli: {}",
                    p["widget_files_encodings"]
                );
            }
            for mode in ["throttled", "unthrottled"] {
                let mut m = Map::new();
                for (i, measure) in ["first_card_ms", "interactive_ms"].into_iter().enumerate() {
                    let ours = numbers(&p[mode]["widget"][measure]);
                    let floor = numbers(&p[mode]["floor"][measure]);
                    if ours.len() < 7 || floor.len() < 7 {
                        bail!("fewer than 7 {mode} loads measured");
                    }
                    let (o, f) = (median(&ours), median(&floor));
                    m.insert(
                        measure.into(),
                        json!({"ours_median": o, "floor_median": f, "ratio": o / f,
                               "ours_samples": ours, "floor_samples": floor}),
                    );
                    if mode == "throttled" {
                        medians[i] = Some(o);
                    }
                }
                modes.insert(mode.into(), Value::Object(m));
            }
        }
        let card = self.target(
            "throttled_first_plan_card_ms",
            Goal::AtMost(1000.0),
            "<= 1,000 ms",
            medians[0],
        );
        let interactive = self.target(
            "throttled_interactive_ms",
            Goal::AtMost(1600.0),
            "<= 1,600 ms",
            medians[1],
        );
        let Some(p) = phone else { return Ok(()) };
        for mode in ["throttled", "unthrottled"] {
            for (measure, label) in [
                ("first_card_ms", "first priced plan card"),
                ("interactive_ms", "first plan choosable"),
            ] {
                let m = &modes[mode][measure];
                let ours = numbers(&m["ours_samples"]);
                let floor = numbers(&m["floor_samples"]);
                let range = |s: &[f64]| {
                    let lo = s.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    format!("{}-{}", num(lo, 0), num(hi, 0))
                };
                let (target, verdict) = match (mode, measure) {
                    ("throttled", "first_card_ms") => card.clone(),
                    ("throttled", _) => interactive.clone(),
                    _ => Default::default(),
                };
                self.rows.push(Row {
                    what: format!("{mode} phone: {label} (median of {})", ours.len()),
                    ours: format!("{} ms ({})", num(median(&ours), 0), range(&ours)),
                    reference: format!("floor {} ms ({})", num(median(&floor), 0), range(&floor)),
                    ratio: format!("{:.1}x", median(&ours) / median(&floor)),
                    target,
                    verdict,
                });
            }
        }
        self.json.insert(
            "phone".into(),
            json!({
                "throttling": p["throttling"],
                "screen": p["screen"],
                "loads": p["loads"],
                "widget_files_encoding": "br (nginx brotli_static, brotli 11)",
                "modes": modes,
                "definitions": {
                    "first_card_ms": "navigation start -> the first animation frame with a plan card and its price in the document",
                    "interactive_ms": "widget: navigation start -> the first frame showing the first plan's checkout form, its Choose button clicked in the first frame it was present and enabled; floor: the first frame with the first plan's native button",
                },
            }),
        );
        Ok(())
    }

    /// The HTTP pairs of the catalogue and of a ready order's status.
    pub fn http(&mut self, http: Option<(&[Pair], &[Pair])>, country: &str) {
        let catalog_ratio = http.map(|(c, _)| Pair::mean_ratio(c));
        let status_ratio = http.map(|(_, s)| Pair::mean_ratio(s));
        let catalog = self.target(
            "catalog_vs_nginx",
            Goal::AtLeast(0.8),
            ">= 0.8x nginx (mean of rounds)",
            catalog_ratio,
        );
        let status = self.target(
            "status_vs_nginx",
            Goal::AtLeast(0.5),
            ">= 0.5x nginx (mean of rounds)",
            status_ratio,
        );
        let Some((catalog_pairs, status_pairs)) = http else {
            return;
        };
        for (what, pairs, (target, verdict), ratio) in [
            (
                format!("GET /api/catalog?country={country}"),
                catalog_pairs,
                catalog,
                catalog_ratio,
            ),
            (
                "GET /api/orders/{ref} (ready)".to_owned(),
                status_pairs,
                status,
                status_ratio,
            ),
        ] {
            for (i, p) in pairs.iter().enumerate() {
                self.rows.push(Row {
                    what: format!("{what}, round {}", i + 1),
                    ours: format!(
                        "{} req/s, p99 {:.2} ms, {:.0} us CPU/req",
                        num(p.ours.rps, 0),
                        p.ours.p99_ms,
                        p.ours_cpu_us
                    ),
                    reference: format!(
                        "nginx {} req/s, p99 {:.2} ms, {:.0} us CPU/req",
                        num(p.reference.rps, 0),
                        p.reference.p99_ms,
                        p.reference_cpu_us
                    ),
                    ratio: format!("{:.2}x", p.ratio()),
                    ..Row::default()
                });
            }
            self.rows.push(Row {
                what: format!("{what}: ours / nginx, mean of the rounds"),
                ratio: ratio.map(|r| format!("{r:.2}x")).unwrap_or_default(),
                target,
                verdict,
                ..Row::default()
            });
        }
        self.json.insert(
            "http".into(),
            json!({
                "wrk": {"threads": super::load::THREADS, "connections": super::load::CONNECTIONS,
                        "warm_up_s": super::load::WARM_UP_S, "measured_s": super::load::MEASURED_S, "keep_alive": true},
                "reference": "Debian's nginx, worker_processes 1, sendfile on, tcp_nopush on, keep-alive, access_log off, serving the proxy's answers (same bodies, same Content-Type) from files",
                "catalog": {"rounds": catalog_pairs.iter().map(Pair::json).collect::<Vec<_>>(), "ratio": catalog_ratio},
                "status": {"rounds": status_pairs.iter().map(Pair::json).collect::<Vec<_>>(), "ratio": status_ratio},
            }),
        );
    }

    /// The webhooks' figure. The target is SQLite's (the default, with fsync); on
    /// PostgreSQL (`--database-url`) the figure is reported, not judged.
    pub fn webhooks(&mut self, events_per_s: Option<f64>, database: &str) {
        let (target, verdict) = if database == "SQLite" {
            self.target(
                "webhook_events_per_s",
                Goal::AtLeast(2000.0),
                ">= 2,000 events/s",
                events_per_s,
            )
        } else {
            ("(SQLite's target)".to_owned(), String::new())
        };
        let Some(e) = events_per_s else { return };
        self.rows.push(Row {
            what: format!("signed webhooks verified, stored (fsync), applied ({database})"),
            ours: format!("{} events/s", num(e, 0)),
            reference: "300 orders, 16 in flight".into(),
            target,
            verdict,
            ..Row::default()
        });
        self.json.insert(
            "webhooks".into(),
            json!({"events_per_s": e, "orders": 300, "concurrency": 16, "database": database}),
        );
    }

    /// The outbox part's output (`simology-bench outbox`): the ingest rate with the
    /// outbox against without (same run, alternated), and the latency from a state
    /// change to its webhook's first attempt at 200 changes a second.
    ///
    /// # Errors
    /// When the output lacks its figures.
    pub fn outbox(&mut self, outbox: Option<&Value>) -> Result<()> {
        let ratio = outbox
            .map(|o| o["ingest"]["ratio"].as_f64().context("the ingest ratio"))
            .transpose()?;
        let p99 = outbox
            .map(|o| o["latency"]["p99_ms"].as_f64().context("the p99 latency"))
            .transpose()?;
        let (ratio_target, ratio_verdict) = self.target(
            "outbox_ingest_ratio",
            Goal::AtLeast(0.9),
            ">= 0.90 of the rate without (costs <= 10 %)",
            ratio,
        );
        let (latency_target, latency_verdict) = self.target(
            "outbox_first_attempt_p99_ms",
            // Whole milliseconds: under 1 s is at most 999.
            Goal::AtMost(999.0),
            "p99 < 1 s",
            p99,
        );
        let Some(o) = outbox else { return Ok(()) };
        let rates = |key: &str| -> Vec<f64> {
            o["ingest"][key]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default()
        };
        let (with, without) = (
            rates("with_outbox_events_per_s"),
            rates("without_outbox_events_per_s"),
        );
        let shown = |v: &[f64]| v.iter().map(|x| num(*x, 0)).collect::<Vec<_>>().join(", ");
        self.rows.push(Row {
            what: "webhook ingest with every change through the outbox to an endpoint (SQLite)"
                .into(),
            ours: format!("{} events/s", shown(&with)),
            reference: format!("{} events/s without", shown(&without)),
            ratio: num(ratio.unwrap_or(f64::NAN), 2),
            target: ratio_target,
            verdict: ratio_verdict,
        });
        let l = &o["latency"];
        self.rows.push(Row {
            what: format!(
                "state change -> first delivery attempt, at {} changes/s (p50 / p99 / max)",
                num(l["changes_per_s"].as_f64().unwrap_or(f64::NAN), 0)
            ),
            ours: format!(
                "{} / {} / {} ms",
                num(l["p50_ms"].as_f64().unwrap_or(f64::NAN), 0),
                num(p99.unwrap_or(f64::NAN), 0),
                num(l["max_ms"].as_f64().unwrap_or(f64::NAN), 0)
            ),
            reference: format!("{} events", l["events"]),
            target: latency_target,
            verdict: latency_verdict,
            ..Row::default()
        });
        self.json.insert("outbox".into(), o.clone());
        Ok(())
    }

    /// The long-poll part's output (`e2e/bench/longpoll.mjs`).
    ///
    /// # Errors
    /// When the output lacks its figures.
    pub fn long_polls(&mut self, long_polls: Option<&Value>) -> Result<()> {
        // Only polls held and answered correctly count; any error is a miss.
        let held = match long_polls {
            Some(l) => {
                let h = l["held"].as_f64().context("long-polls held")?;
                Some(if l["error_count"].as_u64() == Some(0) {
                    h
                } else {
                    h.min(LONG_POLLS as f64 - 1.0)
                })
            }
            None => None,
        };
        let (target, verdict) = self.target(
            "long_polls_held",
            Goal::AtLeast(LONG_POLLS as f64),
            "10,000 held, no error",
            held,
        );
        let Some(l) = long_polls else { return Ok(()) };
        self.rows.push(Row {
            what: format!("long-polls held on one proxy ({LONG_POLL_ORDERS} orders)"),
            ours: format!(
                "{} of {}",
                num(held.unwrap_or(0.0), 0),
                num(LONG_POLLS as f64, 0)
            ),
            reference: format!(
                "{} errors, {} answered early",
                l["error_count"], l["early_answers"]
            ),
            target,
            verdict,
            ..Row::default()
        });
        let lat = &l["ready_latency_ms"];
        let ms = |v: &Value| num(v.as_f64().unwrap_or(f64::NAN), 1);
        self.rows.push(Row {
            what: format!(
                "long-polls: activation.ready -> answer, {} polls of {LONG_POLL_PAID} orders",
                lat["count"]
            ),
            ours: format!("p99 {} ms (median {})", ms(&lat["p99"]), ms(&lat["median"])),
            reference: format!("{} others waiting", l["others_waiting_at_last_ready"]),
            ..Row::default()
        });
        let rss = &l["rss_mb"];
        self.rows.push(Row {
            what: "long-polls: the proxy's memory holding them (VmRSS)".into(),
            ours: format!("{} MB", ms(&rss["held_max"])),
            reference: format!("before {} MB", ms(&rss["before"])),
            ..Row::default()
        });
        self.json.insert("long_polls".into(), l.clone());
        Ok(())
    }

    /// Activation latencies in the browser: long-polling, and polling every 3 s.
    pub fn activation(&mut self, activation: Option<(&[f64], &[f64])>) {
        let (target, verdict) = self.target(
            "activation_latency_ms",
            Goal::AtMost(300.0),
            "<= 300 ms",
            activation.map(|(l, _)| median(l)),
        );
        let Some((long_poll, interval)) = activation else {
            return;
        };
        let (m, i) = (median(long_poll), median(interval));
        self.rows.push(Row {
            what: format!(
                "activation.ready -> QR code in the page (median of {})",
                long_poll.len()
            ),
            ours: format!("{m:.1} ms"),
            reference: format!("3 s polling {} ms", num(i, 0)),
            ratio: format!("{:.3}x", m / i),
            target,
            verdict,
        });
        self.json.insert(
            "activation".into(),
            json!({"long_poll_ms": {"median": m, "samples": long_poll},
                   "interval_poll_ms": {"median": i, "samples": interval}}),
        );
    }

    /// The keys of the missed targets, and of those not measured.
    pub fn verdicts(&self) -> (Vec<&'static str>, Vec<&'static str>) {
        let keys = |want: Option<bool>| {
            self.targets
                .iter()
                .filter(|t| t.met() == want)
                .map(|t| t.key)
                .collect()
        };
        (keys(Some(false)), keys(None))
    }

    /// The report's `targets`, `missed` and `not_measured`.
    pub fn close(&mut self) {
        let (missed, unmeasured) = self.verdicts();
        let targets: Vec<Value> = self
            .targets
            .iter()
            .map(|t| json!({"key": t.key, "target": t.shown, "value": t.value, "met": t.met()}))
            .collect();
        self.json.insert("targets".into(), Value::Array(targets));
        self.json.insert("missed".into(), json!(missed));
        self.json.insert("not_measured".into(), json!(unmeasured));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_judged_both_ways_and_unmeasured_is_not_met() {
        let t = |goal, value| Target {
            key: "k",
            goal,
            shown: "",
            value,
        };
        assert_eq!(t(Goal::AtMost(1000.0), Some(1000.0)).met(), Some(true));
        assert_eq!(t(Goal::AtMost(1000.0), Some(1000.1)).met(), Some(false));
        assert_eq!(t(Goal::AtLeast(0.8), Some(0.79)).met(), Some(false));
        assert_eq!(t(Goal::AtLeast(0.8), Some(0.8)).met(), Some(true));
        assert_eq!(t(Goal::AtLeast(0.8), None).met(), None);
        assert_eq!(t(Goal::AtLeast(0.8), None).verdict(), "not measured");
        assert_eq!(t(Goal::AtMost(1.0), Some(2.0)).verdict(), "MISSED");
    }

    #[test]
    fn numbers_get_separators() {
        assert_eq!(num(1_234_567.0, 0), "1,234,567");
        assert_eq!(num(999.0, 0), "999");
        assert_eq!(num(1234.5, 1), "1,234.5");
        assert_eq!(num(-1234.0, 0), "-1,234");
        assert_eq!(num(f64::NAN, 0), "-");
    }

    #[test]
    fn the_table_is_aligned() {
        let rows = [Row {
            what: "a".into(),
            ours: "12 ms".into(),
            reference: "floor 3 ms".into(),
            ratio: "4.0x".into(),
            target: "<= 10 ms".into(),
            verdict: "MISSED".into(),
        }];
        let t = table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[2].ends_with("MISSED"));
        assert_eq!(
            lines[0].find("ours").map(|i| i + 4),
            lines[2].find("12 ms").map(|i| i + 5)
        );
    }

    #[test]
    fn a_part_not_run_leaves_its_targets_unmeasured_and_a_missed_one_is_named() {
        let mut r = Report::default();
        r.sizes(Some(&Sizes {
            raw: 400_000,
            gzip: 180_000,
            brotli_wasm: 140_000,
            brotli_js: 6_000,
        }));
        r.webhooks(None, "SQLite");
        r.activation(Some((&[20.0, 30.0, 25.0], &[1500.0])));
        let (missed, unmeasured) = r.verdicts();
        assert_eq!(missed, vec!["first_render_brotli_bytes"]);
        assert_eq!(unmeasured, vec!["webhook_events_per_s"]);
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0].verdict, "MISSED");
        assert_eq!(r.rows[1].verdict, "met");
        r.close();
        assert_eq!(r.json["missed"], json!(["first_render_brotli_bytes"]));
    }
}
