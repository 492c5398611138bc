//! A report as text tables (the command line) and as CSV (spreadsheets).

use std::fmt::Write as _;

use simology_proxy_api::{Conversion, Decimal, Funnel, Price, Report, ReportGroup, Revenue};
use simology_table::{Align, Table};

/// Basis points as a percentage with two decimals (`1250` is `12.50%`); `-` for none.
pub(super) fn percent(bps: Option<u32>) -> String {
    bps.map_or_else(
        || "-".to_owned(),
        |b| format!("{}.{:02}%", b / 100, b % 100),
    )
}

/// Basis points as a fraction with four decimals (`1250` is `0.1250`), for
/// spreadsheets; empty for none.
pub(super) fn fraction(bps: Option<u32>) -> String {
    bps.map_or_else(String::new, |b| format!("{}.{:04}", b / 10_000, b % 10_000))
}

pub(super) fn money_text(r: &Revenue, minor: i64) -> String {
    format!(
        "{} {}",
        Decimal::new(minor, r.decimals),
        r.currency.as_str()
    )
}

pub(super) fn funnel_cells(f: &Funnel) -> [String; 7] {
    [
        f.shown,
        f.destination_chosen,
        f.plan_chosen,
        f.checkout_started,
        f.paid,
        f.ready,
        f.refunded,
    ]
    .map(|n| n.to_string())
}

pub(super) const FUNNEL_HEADINGS: [&str; 7] = [
    "shown",
    "destination",
    "plan",
    "checkout",
    "paid",
    "ready",
    "refunded",
];

/// The report as text tables: the rows (funnel, overall conversion, net revenue), then
/// each affiliate's totals with every step's conversion, revenue and commission.
pub fn table(report: &Report) -> String {
    let by = report.by;
    let grouped = by != ReportGroup::Affiliate;
    let mut out = format!(
        "Affiliate report, {} to {} (UTC), by {}\n\n",
        report.since,
        report.until,
        by.as_str()
    );
    let mut head = vec![("affiliate", Align::Left)];
    if grouped {
        head.push((by.as_str(), Align::Left));
    }
    head.extend(FUNNEL_HEADINGS.map(|h| (h, Align::Right)));
    head.extend([("paid/shown", Align::Right), ("net revenue", Align::Right)]);
    let mut rows = Table::new(&head);
    for row in &report.rows {
        let revenue: Vec<String> = row
            .revenue
            .iter()
            .map(|r| money_text(r, r.net_minor))
            .collect();
        let mut line = vec![row.affiliate.clone()];
        if grouped {
            line.push(row.key.clone().unwrap_or_else(|| "(none)".to_owned()));
        }
        line.extend(funnel_cells(&row.funnel));
        line.push(percent(row.conversion.overall_bps));
        line.push(if revenue.is_empty() {
            "-".to_owned()
        } else {
            revenue.join(", ")
        });
        rows.row(line);
    }
    if rows.is_empty() {
        out.push_str("Nothing was counted in this period.\n");
    } else {
        out.push_str(&rows.text());
    }
    if report.rows_total > report.rows.len() as u64 {
        let _ = writeln!(
            out,
            "The first {} of {} rows (--limit); the totals below are whole.",
            report.rows.len(),
            report.rows_total
        );
    }
    for a in &report.affiliates {
        let _ = writeln!(
            out,
            "\n{} ({}), commission {}",
            a.affiliate,
            a.name,
            percent(Some(a.commission_bps))
        );
        let f = &a.funnel;
        let c = &a.conversion;
        let steps = [
            ("shown", f.shown, None),
            (
                "destination chosen",
                f.destination_chosen,
                c.destination_chosen_bps,
            ),
            ("plan chosen", f.plan_chosen, c.plan_chosen_bps),
            (
                "checkout started",
                f.checkout_started,
                c.checkout_started_bps,
            ),
            ("paid", f.paid, c.paid_bps),
            ("ready", f.ready, c.ready_bps),
        ];
        // The rates to the right, so that "of the step before" lines up.
        let mut funnel = Table::headless(&[Align::Left, Align::Right, Align::Right]).indent(2);
        for (name, n, rate) in steps {
            let rate = if name == "shown" {
                String::new()
            } else {
                format!("{} of the step before", percent(rate))
            };
            funnel.row([name.to_owned(), n.to_string(), rate]);
        }
        funnel.row(["refunded".to_owned(), f.refunded.to_string()]);
        funnel.row(["paid per shown".to_owned(), percent(c.overall_bps)]);
        out.push_str(&funnel.text());
        if a.revenue.is_empty() {
            out.push_str("  no revenue\n");
            continue;
        }
        let mut money = Table::new(&[
            ("currency", Align::Left),
            ("gross", Align::Right),
            ("refunded", Align::Right),
            ("net", Align::Right),
            ("commission owed", Align::Right),
        ])
        .indent(2);
        for (r, owed) in a.revenue.iter().zip(&a.commission) {
            money.row([
                r.currency.as_str().to_owned(),
                Decimal::new(r.gross_minor, r.decimals).to_string(),
                Decimal::new(r.refunded_minor, r.decimals).to_string(),
                Decimal::new(r.net_minor, r.decimals).to_string(),
                owed.decimal().to_string(),
            ]);
        }
        out.push_str(&money.text());
    }
    out
}

/// A CSV text field: quoted when it must be (RFC 4180), and neutralised when a
/// spreadsheet would read it as a formula (OWASP's guidance on CSV injection): a cell
/// that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`
/// and is quoted, so it shows as the text it is. Only text goes through here: the
/// numbers the proxy writes itself (counts, rates, amounts, which may be negative) are
/// written as numbers.
pub(super) fn csv_field(text: &str) -> String {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula {
        format!("\"'{}\"", text.replace('"', "\"\""))
    } else if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// One line of the CSV: a row's or an affiliate's funnel, in one currency (or none).
struct CsvLine<'a> {
    section: &'static str,
    affiliate: &'a str,
    key: Option<&'a str>,
    funnel: &'a Funnel,
    conversion: &'a Conversion,
    revenue: Option<&'a Revenue>,
    /// An affiliate's commission rate, and what it owes in this currency.
    commission: Option<(u32, Option<&'a Price>)>,
}

impl CsvLine<'_> {
    fn cells(&self, grouped: bool) -> Vec<String> {
        let mut cells = vec![self.section.to_owned(), csv_field(self.affiliate)];
        if grouped {
            cells.push(csv_field(self.key.unwrap_or_default()));
        }
        cells.extend(funnel_cells(self.funnel));
        let c = self.conversion;
        cells.extend(
            [
                c.destination_chosen_bps,
                c.plan_chosen_bps,
                c.checkout_started_bps,
                c.paid_bps,
                c.ready_bps,
                c.overall_bps,
            ]
            .map(fraction),
        );
        match self.revenue {
            Some(r) => cells.extend([
                r.currency.as_str().to_owned(),
                Decimal::new(r.gross_minor, r.decimals).to_string(),
                Decimal::new(r.refunded_minor, r.decimals).to_string(),
                Decimal::new(r.net_minor, r.decimals).to_string(),
            ]),
            None => cells.extend([String::new(), String::new(), String::new(), String::new()]),
        }
        let (bps, owed) = self.commission.unzip();
        cells.push(bps.map(|b| b.to_string()).unwrap_or_default());
        cells.push(
            owed.flatten()
                .map_or_else(String::new, |p| p.decimal().to_string()),
        );
        cells
    }
}

/// The report as CSV: a line per row and currency (`section` = `row`), then a line per
/// affiliate and currency (`total`, with the commission). Amounts are decimal (`14.99`),
/// rates fractions (`0.1250`); a row without revenue has one line with no currency.
pub fn csv(report: &Report) -> String {
    let grouped = report.by != ReportGroup::Affiliate;
    let mut head = vec!["section", "affiliate"];
    if grouped {
        head.push(report.by.as_str());
    }
    head.extend([
        "shown",
        "destination_chosen",
        "plan_chosen",
        "checkout_started",
        "paid",
        "ready",
        "refunded",
        "destination_chosen_rate",
        "plan_chosen_rate",
        "checkout_started_rate",
        "paid_rate",
        "ready_rate",
        "overall_rate",
        "currency",
        "gross",
        "refunded_amount",
        "net",
        "commission_bps",
        "commission",
    ]);
    let mut out = head.join(",");
    out.push('\n');
    let mut push = |line: CsvLine<'_>| {
        out.push_str(&line.cells(grouped).join(","));
        out.push('\n');
    };
    for row in &report.rows {
        let line = |revenue| CsvLine {
            section: "row",
            affiliate: &row.affiliate,
            key: row.key.as_deref(),
            funnel: &row.funnel,
            conversion: &row.conversion,
            revenue,
            commission: None,
        };
        if row.revenue.is_empty() {
            push(line(None));
        }
        for r in &row.revenue {
            push(line(Some(r)));
        }
    }
    for a in &report.affiliates {
        let line = |revenue, owed| CsvLine {
            section: "total",
            affiliate: &a.affiliate,
            key: None,
            funnel: &a.funnel,
            conversion: &a.conversion,
            revenue,
            commission: Some((a.commission_bps, owed)),
        };
        if a.revenue.is_empty() {
            push(line(None, None));
        }
        for (r, owed) in a.revenue.iter().zip(&a.commission) {
            push(line(Some(r), Some(owed)));
        }
    }
    out
}
