//! The bench's targets, its one printed table and `report.json`: each part's results
//! become rows (ours, the reference, the ratio, the target and its verdict) and a
//! section of the report.

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};
use simology_table::{Align, Table};

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
    let mut table = Table::new(&[
        ("measure", Align::Left),
        ("ours", Align::Right),
        ("reference", Align::Right),
        ("ratio", Align::Right),
        ("target", Align::Left),
        ("verdict", Align::Left),
    ]);
    for r in rows {
        table.row([
            r.what.as_str(),
            r.ours.as_str(),
            r.reference.as_str(),
            r.ratio.as_str(),
            r.target.as_str(),
            r.verdict.as_str(),
        ]);
    }
    table.text()
}

/// One file of a first visit, raw, gzip -9 and brotli 11.
pub struct SizedFile {
    pub what: &'static str,
    pub name: String,
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
    /// Fetched before the first plan shows (else only before a plan can be chosen).
    pub before_first_plan: bool,
}

impl SizedFile {
    /// Its row: `label: what (name), brotli 11`, its brotli bytes, raw and gzip beside.
    fn row(&self, label: &str) -> Row {
        Row {
            what: format!("{label}: {} ({}), brotli 11", self.what, self.name),
            ours: format!("{} B", num(self.brotli as f64, 0)),
            reference: format!(
                "raw {} / gzip {}",
                num(self.raw as f64, 0),
                num(self.gzip as f64, 0)
            ),
            ..Row::default()
        }
    }
}

/// What a first visit to a picker page downloads: the host script and the frame's
/// document (the first plans are in it), then the frame's script, the picker's glue
/// and wasm (a plan can be chosen).
pub struct Sizes {
    pub files: Vec<SizedFile>,
    /// The checkout module's glue and wasm: fetched once a plan is chosen (or its
    /// Choose pressed, hovered or focused), not before a plan can be chosen.
    pub checkout: Vec<SizedFile>,
}

impl Sizes {
    /// Brotli bytes before the first plan shows, and before a plan can be chosen.
    pub fn brotli_totals(&self) -> (usize, usize) {
        let first = self
            .files
            .iter()
            .filter(|f| f.before_first_plan)
            .map(|f| f.brotli)
            .sum();
        (first, self.files.iter().map(|f| f.brotli).sum())
    }
}

/// The targets on bytes, brotli 11: before the first priced plan shows, and before a
/// plan can be chosen.
const FIRST_PLAN_BYTES: f64 = 30.0 * 1024.0;
const FIRST_PLAN_BYTES_SHOWN: &str = "<= 30 KiB (30,720 B)";
const CHOSEN_BYTES: f64 = 120.0 * 1024.0;
const CHOSEN_BYTES_SHOWN: &str = "<= 120 KiB (122,880 B)";

/// The phone's targets (throttled): the first priced plan against the floor's, and
/// the first plan chosen.
const FIRST_PLAN_VS_FLOOR: f64 = 1.6;
const CHOSEN_MS: f64 = 1400.0;

/// The HTTP targets: each of ours against nginx serving the same bytes.
const VS_NGINX: f64 = 0.8;

/// `path?…` of a URL (its origin and query left out), or the URL.
fn short_path(url: &str) -> String {
    let rest = url
        .split_once("://")
        .map(|(_, r)| r)
        .and_then(|r| r.find('/').map(|i| &r[i..]))
        .unwrap_or(url);
    match rest.split_once('?') {
        Some((path, _)) => format!("{path}?…"),
        None => rest.to_owned(),
    }
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
        let totals = sizes.map(Sizes::brotli_totals);
        let first = self.target(
            "sizes_before_first_plan_brotli_bytes",
            Goal::AtMost(FIRST_PLAN_BYTES),
            FIRST_PLAN_BYTES_SHOWN,
            totals.map(|t| t.0 as f64),
        );
        let chosen = self.target(
            "sizes_before_plan_chosen_brotli_bytes",
            Goal::AtMost(CHOSEN_BYTES),
            CHOSEN_BYTES_SHOWN,
            totals.map(|t| t.1 as f64),
        );
        let (Some(s), Some((first_total, chosen_total))) = (sizes, totals) else {
            return;
        };
        let mut files = Vec::new();
        for f in &s.files {
            self.rows.push(f.row("size"));
            files.push(
                json!({"what": f.what, "name": f.name, "raw_bytes": f.raw, "gzip_bytes": f.gzip,
                              "brotli_bytes": f.brotli, "before_first_plan": f.before_first_plan}),
            );
        }
        let mut checkout = Vec::new();
        for f in &s.checkout {
            self.rows.push(f.row("size after a choice"));
            checkout.push(json!({"what": f.what, "name": f.name, "raw_bytes": f.raw,
                                 "gzip_bytes": f.gzip, "brotli_bytes": f.brotli}));
        }
        for (label, total, (target, verdict)) in [
            (
                "size before the first plan shows (host script + frame document)",
                first_total,
                first,
            ),
            (
                "size before a plan can be chosen (+ frame script, picker glue and wasm)",
                chosen_total,
                chosen,
            ),
        ] {
            self.rows.push(Row {
                what: label.into(),
                ours: format!("{} B", num(total as f64, 0)),
                target,
                verdict,
                ..Row::default()
            });
        }
        self.json.insert(
            "sizes".into(),
            json!({"files": files, "brotli_before_first_plan_bytes": first_total,
                   "brotli_before_plan_chosen_bytes": chosen_total,
                   "after_a_choice": checkout}),
        );
    }

    /// The phone part's output (`e2e/bench/phone.mjs`); `origins` name the origins of
    /// the responses listed (host, CDN, proxy).
    ///
    /// # Errors
    /// When it holds fewer than 7 loads of a kind, or the widget's files were not
    /// served with brotli (then the figures are not what they claim).
    pub fn phone(&mut self, phone: Option<&Value>, origins: &[(&str, String)]) -> Result<()> {
        const MEASURES: [(&str, &str); 4] = [
            ("first_card_ms", "first priced plan"),
            (
                "interactive_ms",
                "first plan chosen (its checkout form shown)",
            ),
            (
                "bytes_first_card",
                "bytes received before the first priced plan",
            ),
            (
                "bytes_interactive",
                "bytes received before the first plan is chosen",
            ),
        ];
        let mut medians: [Option<f64>; 4] = [None; 4];
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
                for (i, (measure, _)) in MEASURES.into_iter().enumerate() {
                    let ours = numbers(&p[mode]["widget"][measure]);
                    let floor = numbers(&p[mode]["floor"][measure]);
                    if ours.len() < 7 || floor.len() < 7 {
                        bail!("fewer than 7 {mode} loads measured ({measure})");
                    }
                    let (o, f) = (median(&ours), median(&floor));
                    m.insert(
                        measure.into(),
                        json!({"ours_median": o, "floor_median": f, "ratio": o / f,
                               "ours_samples": ours, "floor_samples": floor}),
                    );
                    if mode == "throttled" {
                        medians[i] = Some(if i == 0 { o / f } else { o });
                    }
                }
                modes.insert(mode.into(), Value::Object(m));
            }
        }
        let verdicts = [
            self.target(
                "throttled_first_plan_vs_floor",
                Goal::AtMost(FIRST_PLAN_VS_FLOOR),
                "<= 1.6x the floor",
                medians[0],
            ),
            self.target(
                "throttled_plan_chosen_ms",
                Goal::AtMost(CHOSEN_MS),
                "<= 1,400 ms",
                medians[1],
            ),
            self.target(
                "throttled_bytes_before_first_plan",
                Goal::AtMost(FIRST_PLAN_BYTES),
                FIRST_PLAN_BYTES_SHOWN,
                medians[2],
            ),
            self.target(
                "throttled_bytes_before_plan_chosen",
                Goal::AtMost(CHOSEN_BYTES),
                CHOSEN_BYTES_SHOWN,
                medians[3],
            ),
        ];
        let Some(p) = phone else { return Ok(()) };
        let range = |s: &[f64]| {
            let lo = s.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            format!("{}-{}", num(lo, 0), num(hi, 0))
        };
        for mode in ["throttled", "unthrottled"] {
            for (i, (measure, label)) in MEASURES.into_iter().enumerate() {
                let m = &modes[mode][measure];
                let ours = numbers(&m["ours_samples"]);
                let floor = numbers(&m["floor_samples"]);
                let unit = if measure.starts_with("bytes") {
                    "B"
                } else {
                    "ms"
                };
                let (target, verdict) = if mode == "throttled" {
                    verdicts[i].clone()
                } else {
                    Default::default()
                };
                self.rows.push(Row {
                    what: format!("{mode} phone: {label} (median of {})", ours.len()),
                    ours: format!("{} {unit} ({})", num(median(&ours), 0), range(&ours)),
                    reference: format!(
                        "floor {} {unit} ({})",
                        num(median(&floor), 0),
                        range(&floor)
                    ),
                    ratio: if unit == "ms" {
                        format!("{:.2}x", median(&ours) / median(&floor))
                    } else {
                        String::new()
                    },
                    target,
                    verdict,
                });
            }
            // Not a target: the time a tap on a shown plan does nothing.
            let lost = numbers(&p[mode]["widget"]["taps_lost_ms"]);
            if !lost.is_empty() {
                self.rows.push(Row {
                    what: format!(
                        "{mode} phone: first plan shown, a tap on it lost (the frame's script not in yet)"
                    ),
                    ours: format!("{} ms ({})", num(median(&lost), 0), range(&lost)),
                    reference: "floor 0 ms".into(),
                    ..Row::default()
                });
                if let Some(Value::Object(m)) = modes.get_mut(mode) {
                    m.insert(
                        "taps_lost_ms".into(),
                        json!({"ours_median": median(&lost), "ours_samples": lost}),
                    );
                }
            }
        }
        // Where the bytes go: the responses of the last throttled load of the widget.
        let last = &p["throttled"]["last_load"]["widget"];
        let (card, chosen) = (
            last["first_card_ms"].as_f64().unwrap_or(f64::NAN),
            last["interactive_ms"].as_f64().unwrap_or(f64::NAN),
        );
        self.rows.push(Row {
            what: format!(
                "throttled phone, last widget load: responses after the page (first plan at {} ms, chosen at {} ms)",
                num(card, 0),
                num(chosen, 0)
            ),
            ours: "brotli 11".into(),
            reference: "received (ms)".into(),
            ratio: "counted before".into(),
            ..Row::default()
        });
        for r in last["resources"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            let url = r["url"].as_str().unwrap_or_default();
            let origin = origins
                .iter()
                .find(|(_, o)| {
                    url.strip_prefix(o.as_str())
                        .is_some_and(|r| r.starts_with('/'))
                })
                .map_or("", |(name, _)| name);
            let (start, end) = (
                r["start_ms"].as_f64().unwrap_or(f64::NAN),
                r["end_ms"].as_f64().unwrap_or(f64::NAN),
            );
            let first_byte = r["first_byte_ms"].as_f64().unwrap_or(f64::NAN);
            let is_document = r["type"].as_str() == Some("document");
            let before = |moment: f64| end <= moment || (is_document && first_byte <= moment);
            self.rows.push(Row {
                what: format!(
                    "  {origin} {} ({}, {}, {})",
                    short_path(url),
                    r["type"].as_str().unwrap_or_default(),
                    if r["in_frame"].as_bool() == Some(true) {
                        "frame"
                    } else {
                        "page"
                    },
                    r["encoding"].as_str().unwrap_or_default()
                ),
                ours: format!(
                    "{} B",
                    num(r["brotli_bytes"].as_f64().unwrap_or(f64::NAN), 0)
                ),
                reference: format!("{}-{}", num(start, 0), num(end, 0)),
                ratio: match (before(card), before(chosen)) {
                    (true, _) => "plan shown".into(),
                    (false, true) => "plan chosen".into(),
                    _ => "-".into(),
                },
                ..Row::default()
            });
        }
        self.json.insert(
            "phone".into(),
            json!({
                "throttling": p["throttling"],
                "screen": p["screen"],
                "loads": p["loads"],
                "frame_urls": p["frame_urls"],
                "widget_files_encoding": "br (nginx brotli_static, brotli 11)",
                "browser": "Debian's Chromium, headless, cross-site frames in the page's process (as Chrome on Android; DevTools' CPU throttling slows one process)",
                "modes": modes,
                "last_loads": {"throttled": p["throttled"]["last_load"], "unthrottled": p["unthrottled"]["last_load"]},
                "definitions": {
                    "first_card_ms": "host page's navigation start -> the first animation frame with a plan card and its price in the document that draws it (widget: its frame's; floor: the page's), on the wall clock of each frame",
                    "interactive_ms": "widget: navigation start -> the first animation frame in which the frame shows the first plan's checkout form, its Choose button clicked in the frame in the first animation frame it was there and enabled; floor: the first frame with the first plan's native button",
                    "taps_lost_ms": "widget: the first animation frame in which the frame's script listens for taps (window.simologyFrame) minus first_card_ms, or 0: a tap on Choose before it does nothing",
                    "bytes": "brotli 11 of the decoded body of every response after the host page's document that the browser received before the moment (its last byte before it; a document: its first byte)",
                },
            }),
        );
        Ok(())
    }

    /// The HTTP pairs of the frame's document, the catalogue and a ready order's
    /// status, in that order.
    ///
    /// # Errors
    /// When there are not three lists of pairs.
    pub fn http(&mut self, http: Option<&[Vec<Pair>]>, country: &str) -> Result<()> {
        if let Some(h) = http {
            if h.len() != 3 || h.iter().any(Vec::is_empty) {
                bail!("the HTTP part measured {} endpoints, not 3", h.len());
            }
        }
        let endpoints = [
            (
                "frame_document_vs_nginx",
                "frame_document",
                "GET /embed?... (the host page's frame document)".to_owned(),
            ),
            (
                "catalog_vs_nginx",
                "catalog",
                format!("GET /api/catalog?country={country}"),
            ),
            (
                "status_vs_nginx",
                "status",
                "GET /api/orders/{ref} (ready)".to_owned(),
            ),
        ];
        let mut section = Map::new();
        for (i, (key, name, what)) in endpoints.into_iter().enumerate() {
            let pairs = http.map(|h| h[i].as_slice());
            let ratio = pairs.map(Pair::mean_ratio);
            let (target, verdict) = self.target(
                key,
                Goal::AtLeast(VS_NGINX),
                ">= 0.8x nginx (mean of rounds)",
                ratio,
            );
            let Some(pairs) = pairs else { continue };
            for (round, p) in pairs.iter().enumerate() {
                self.rows.push(Row {
                    what: format!("{what}, round {}", round + 1),
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
            section.insert(
                name.into(),
                json!({"rounds": pairs.iter().map(Pair::json).collect::<Vec<_>>(), "ratio": ratio}),
            );
        }
        if http.is_some() {
            section.insert(
                "wrk".into(),
                json!({"threads": super::load::THREADS, "connections": super::load::CONNECTIONS,
                       "warm_up_s": super::load::WARM_UP_S, "measured_s": super::load::MEASURED_S, "keep_alive": true,
                       "accept_encoding": "none (identity bytes from both)"}),
            );
            section.insert(
                "reference".into(),
                json!("Debian's nginx, worker_processes 1, sendfile on, tcp_nopush on, keep-alive, access_log off, serving the proxy's answers (same bodies, same Content-Type) from files"),
            );
            self.json.insert("http".into(), Value::Object(section));
        }
        Ok(())
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
                "activation.ready -> QR code in the widget's frame (median of {})",
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

    fn sized(what: &'static str, brotli: usize, before_first_plan: bool) -> SizedFile {
        SizedFile {
            what,
            name: what.into(),
            raw: brotli * 3,
            gzip: brotli * 2,
            brotli,
            before_first_plan,
        }
    }

    #[test]
    fn a_part_not_run_leaves_its_targets_unmeasured_and_a_missed_one_is_named() {
        let mut r = Report::default();
        r.sizes(Some(&Sizes {
            checkout: Vec::new(),
            files: vec![
                sized("host script", 2_500, true),
                sized("frame document", 9_000, true),
                sized("picker wasm", 115_000, false),
            ],
        }));
        r.webhooks(None, "SQLite");
        r.activation(Some((&[20.0, 30.0, 25.0], &[1500.0])));
        let (missed, unmeasured) = r.verdicts();
        assert_eq!(missed, vec!["sizes_before_plan_chosen_brotli_bytes"]);
        assert_eq!(unmeasured, vec!["webhook_events_per_s"]);
        // Three files, the two totals, the activation.
        assert_eq!(r.rows.len(), 6);
        assert_eq!(r.rows[3].ours, "11,500 B");
        assert_eq!(r.rows[3].verdict, "met");
        assert_eq!(r.rows[4].ours, "126,500 B");
        assert_eq!(r.rows[4].verdict, "MISSED");
        assert_eq!(r.rows[5].verdict, "met");
        r.close();
        assert_eq!(
            r.json["missed"],
            json!(["sizes_before_plan_chosen_brotli_bytes"])
        );
    }

    fn phone_output(widget_card: f64, floor_card: f64, chosen: f64, bytes: [f64; 2]) -> Value {
        let samples = |card: f64, chosen: f64, bytes: [f64; 2]| {
            json!({"first_card_ms": vec![card; 7], "interactive_ms": vec![chosen; 7],
                   "bytes_first_card": vec![bytes[0]; 7], "bytes_interactive": vec![bytes[1]; 7]})
        };
        let mode = json!({
            "widget": samples(widget_card, chosen, bytes),
            "floor": samples(floor_card, floor_card, [900.0, 900.0]),
            "last_load": {"widget": {"first_card_ms": widget_card, "interactive_ms": chosen, "resources": [
                {"url": "http://127.0.0.1:2/embed?instance=x", "type": "document", "in_frame": true,
                 "encoding": "br", "brotli_bytes": 9000, "start_ms": 100, "first_byte_ms": 300, "end_ms": 700},
                {"url": "http://127.0.0.1:3/simology-esim-picker.wasm", "type": "fetch", "in_frame": true,
                 "encoding": "br", "brotli_bytes": 111_000, "start_ms": 350, "first_byte_ms": 600, "end_ms": 1100},
            ]}},
        });
        json!({"widget_files_encodings": ["br"], "throttled": mode, "unthrottled": mode})
    }

    #[test]
    fn the_phone_is_judged_against_its_floor_and_its_bytes() {
        let origins = [
            ("proxy", "http://127.0.0.1:2".to_owned()),
            ("cdn", "http://127.0.0.1:3".to_owned()),
        ];
        let mut r = Report::default();
        r.phone(
            Some(&phone_output(780.0, 500.0, 1300.0, [12_000.0, 121_000.0])),
            &origins,
        )
        .expect("read");
        let (missed, _) = r.verdicts();
        assert!(missed.is_empty(), "{missed:?}");
        let mut r = Report::default();
        r.phone(
            Some(&phone_output(810.0, 500.0, 1401.0, [31_000.0, 123_000.0])),
            &origins,
        )
        .expect("read");
        let (missed, _) = r.verdicts();
        assert_eq!(
            missed,
            vec![
                "throttled_first_plan_vs_floor",
                "throttled_plan_chosen_ms",
                "throttled_bytes_before_first_plan",
                "throttled_bytes_before_plan_chosen"
            ]
        );
        // The responses are listed, each with the moment it was received before: the
        // frame's document (streamed, its first byte before the plan) and the wasm.
        let listed: Vec<(&str, &str)> = r
            .rows
            .iter()
            .filter(|row| row.what.starts_with("  "))
            .map(|row| (row.what.as_str(), row.ratio.as_str()))
            .collect();
        assert_eq!(
            listed,
            vec![
                ("  proxy /embed?… (document, frame, br)", "plan shown"),
                (
                    "  cdn /simology-esim-picker.wasm (fetch, frame, br)",
                    "plan chosen"
                ),
            ]
        );
        // Files not served with brotli, or too few loads, are not figures.
        let mut gzip = phone_output(780.0, 500.0, 1300.0, [0.0, 0.0]);
        gzip["widget_files_encodings"] = json!(["gzip"]);
        assert!(Report::default().phone(Some(&gzip), &origins).is_err());
        let mut few = phone_output(780.0, 500.0, 1300.0, [0.0, 0.0]);
        few["throttled"]["widget"]["first_card_ms"] = json!([1.0, 2.0]);
        assert!(Report::default().phone(Some(&few), &origins).is_err());
    }

    #[test]
    fn every_endpoint_is_held_to_nginx() {
        let run = |rps| super::super::load::Run {
            rps,
            p99_ms: 1.0,
            requests: 10,
        };
        let pair = |ours, reference| Pair {
            ours: run(ours),
            reference: run(reference),
            ours_cpu_us: 1.0,
            reference_cpu_us: 1.0,
        };
        let mut r = Report::default();
        r.http(
            Some(&[
                vec![pair(7_000.0, 10_000.0), pair(8_000.0, 10_000.0)],
                vec![pair(9_000.0, 10_000.0)],
                vec![pair(8_000.0, 10_000.0)],
            ]),
            "JP",
        )
        .expect("three endpoints");
        let (missed, unmeasured) = r.verdicts();
        assert_eq!(missed, vec!["frame_document_vs_nginx"]);
        assert!(unmeasured.is_empty());
        assert!(Report::default()
            .http(Some(&[vec![pair(1.0, 1.0)]]), "JP")
            .is_err());
        let mut none = Report::default();
        none.http(None, "JP").expect("not measured");
        assert_eq!(none.verdicts().1.len(), 3);
    }
}
