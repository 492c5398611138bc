//! Affiliate reports, one service for `simology-proxy report`, `GET /admin/report` and
//! `GET /api/affiliates/{id}/report`: the funnel (beacons counted, then orders), its
//! conversion rates, revenue per currency and the commission owed.
//!
//! Money is integer minor units throughout. An order counts in the period of its
//! checkout's day (UTC), as it stands now: paid once its payment is confirmed, ready once
//! its eSIM was delivered, refunded once the refund went through. Gross revenue is the
//! unit price × quantity of paid orders; a whole refund subtracts every unit, a line
//! refund that line's unit. Commission is owed on each affiliate's net revenue per
//! currency, `net × bps / 10,000` rounded half up to the minor unit once per affiliate
//! and currency (never through floats). The report covers the affiliates in the file
//! now; the data of one taken out stays in the database.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use simology_proxy_api::{
    AffiliateTotals, Conversion, CurrencyCode, Funnel, FunnelEvent, OrderState, Price, Report,
    ReportGroup, ReportRow, Revenue,
};
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime};

use crate::affiliates::Affiliates;
use crate::clock::{unix_ms, utc_day};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{AttributedOrder, FunnelCount, FunnelKey};

pub use crate::money::{amount, commission_minor};

/// The longest period of one report, in days.
pub const MAX_DAYS: i64 = 366;

/// The period of a report when no start is given, in days (ending with its last day).
pub const DEFAULT_DAYS: i64 = 30;

/// What a report covers, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    /// First day (UTC).
    pub since: Date,
    /// Last day, included.
    pub until: Date,
    /// One affiliate, or all.
    pub affiliate: Option<String>,
    /// The rows' grouping.
    pub by: ReportGroup,
}

fn day(name: &str, text: &str) -> Result<Date, ApiError> {
    Date::parse(text.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|_| ApiError::BadRequest(format!("{name}: must be a day such as 2026-11-01")))
}

impl ReportQuery {
    /// The period from its texts (`YYYY-MM-DD`): `until` is `today` when not given, and
    /// `since` the 30 days ending with `until`.
    ///
    /// # Errors
    /// `BadRequest` for a malformed day, a period that ends before it starts, or one
    /// longer than 366 days.
    pub fn parse(
        since: Option<&str>,
        until: Option<&str>,
        affiliate: Option<&str>,
        by: ReportGroup,
        today: Date,
    ) -> Result<ReportQuery, ApiError> {
        let until = until.map_or(Ok(today), |u| day("until", u))?;
        let since = match since {
            Some(s) => day("since", s)?,
            None => until
                .checked_sub(Duration::days(DEFAULT_DAYS - 1))
                .unwrap_or(until),
        };
        if until < since {
            return Err(ApiError::BadRequest(
                "until: must not be before since".into(),
            ));
        }
        if (until - since).whole_days() >= MAX_DAYS {
            return Err(ApiError::BadRequest(format!(
                "since, until: a report covers at most {MAX_DAYS} days"
            )));
        }
        Ok(ReportQuery {
            since,
            until,
            affiliate: affiliate
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned),
            by,
        })
    }

    /// Unix ms: the start of `since` and the end of `until` (excluded), UTC.
    fn window_ms(&self) -> (i64, i64) {
        let start = unix_ms(self.since.midnight().assume_utc());
        let end = self
            .until
            .next_day()
            .map_or(i64::MAX, |d| unix_ms(d.midnight().assume_utc()));
        (start, end)
    }
}

/// Today, UTC.
pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// The report of a period, from the store and the affiliates file as they are now.
///
/// # Errors
/// `BadRequest` for an affiliate the file does not list; store errors.
pub async fn report(state: &AppState, query: &ReportQuery) -> Result<Report, ApiError> {
    let affiliates = state.affiliates.affiliates();
    if let Some(id) = &query.affiliate {
        if affiliates.get(id).is_none() {
            return Err(ApiError::BadRequest(format!(
                "affiliate: {id:?} is not in the affiliates file"
            )));
        }
    }
    let one = query.affiliate.as_deref();
    let counts = state
        .store
        .funnel_counts(&query.since.to_string(), &query.until.to_string(), one)
        .await?;
    let (start, end) = query.window_ms();
    let orders = state.store.attributed_orders(start, end, one).await?;
    Ok(build(&affiliates, query, &counts, &orders))
}

/// Money in one currency.
#[derive(Debug, Clone, Copy, Default)]
struct Money {
    decimals: u8,
    gross: i64,
    refunded: i64,
}

/// What a row or an affiliate's totals add up.
#[derive(Debug, Clone, Default)]
struct Tally {
    funnel: Funnel,
    money: BTreeMap<CurrencyCode, Money>,
}

impl Tally {
    fn count(&mut self, event: FunnelEvent, n: u64) {
        let f = &mut self.funnel;
        let slot = match event {
            FunnelEvent::Shown => &mut f.shown,
            FunnelEvent::DestinationChosen => &mut f.destination_chosen,
            FunnelEvent::PlanChosen => &mut f.plan_chosen,
            FunnelEvent::CheckoutStarted => &mut f.checkout_started,
        };
        *slot = slot.saturating_add(n);
    }

    fn order(&mut self, order: &AttributedOrder) {
        let facts = &order.facts;
        let state = facts.state();
        // Ready and refunded orders were paid, whichever event came first.
        let paid = facts.paid_since().is_some()
            || matches!(state, OrderState::Ready | OrderState::Refunded);
        if !paid {
            return;
        }
        self.funnel.paid += 1;
        self.funnel.ready += u64::from(facts.delivered());
        self.funnel.refunded += u64::from(state == OrderState::Refunded);
        let price = order.plan.price;
        let quantity = i64::from(order.plan.quantity);
        let amount = price.minor.saturating_mul(quantity);
        let money = self.money.entry(price.currency).or_insert(Money {
            decimals: price.decimals,
            ..Money::default()
        });
        money.gross = money.gross.saturating_add(amount);
        // A whole refund pays back every unit; a line refund, that line's unit.
        let refunded_units = if facts.refunded_at.is_some() {
            quantity
        } else {
            i64::try_from(facts.lines_refunded())
                .unwrap_or(i64::MAX)
                .min(quantity)
        };
        money.refunded = money
            .refunded
            .saturating_add(price.minor.saturating_mul(refunded_units));
    }

    fn revenue(&self) -> Vec<Revenue> {
        self.money
            .iter()
            .map(|(currency, m)| Revenue {
                currency: *currency,
                decimals: m.decimals,
                gross_minor: m.gross,
                refunded_minor: m.refunded,
                net_minor: m.gross.saturating_sub(m.refunded),
            })
            .collect()
    }
}

/// `part / whole` in basis points, rounded half up; `None` when `whole` is 0.
fn rate_bps(part: u64, whole: u64) -> Option<u32> {
    if whole == 0 {
        return None;
    }
    let (part, whole) = (u128::from(part), u128::from(whole));
    let bps = (part * 10_000 + whole / 2) / whole;
    Some(u32::try_from(bps).unwrap_or(u32::MAX))
}

fn conversion(f: &Funnel) -> Conversion {
    Conversion {
        destination_chosen_bps: rate_bps(f.destination_chosen, f.shown),
        plan_chosen_bps: rate_bps(f.plan_chosen, f.destination_chosen),
        checkout_started_bps: rate_bps(f.checkout_started, f.plan_chosen),
        paid_bps: rate_bps(f.paid, f.checkout_started),
        ready_bps: rate_bps(f.ready, f.paid),
        overall_bps: rate_bps(f.paid, f.shown),
    }
}

fn group_key(by: ReportGroup, key: &FunnelKey, day: &str) -> Option<String> {
    match by {
        ReportGroup::Affiliate => Some(key.affiliate.clone()),
        ReportGroup::Placement => key.placement.clone(),
        ReportGroup::Page => key.page_path.clone(),
        ReportGroup::Destination => key.destination.clone(),
        ReportGroup::Day => Some(day.to_owned()),
    }
}

/// The report of these counts and orders (which the store read for the query's
/// period), for the affiliates of the file. Affiliates the file no longer lists are left
/// out; every affiliate it lists (or the one asked for) has totals, zeros included.
pub fn build(
    affiliates: &Affiliates,
    query: &ReportQuery,
    counts: &[FunnelCount],
    orders: &[AttributedOrder],
) -> Report {
    let wanted = |id: &str| {
        affiliates.get(id).is_some() && query.affiliate.as_deref().is_none_or(|a| a == id)
    };
    let mut rows: BTreeMap<(String, Option<String>), Tally> = BTreeMap::new();
    let mut totals: BTreeMap<String, Tally> = affiliates
        .iter()
        .filter(|a| wanted(&a.id))
        .map(|a| (a.id.clone(), Tally::default()))
        .collect();
    for c in counts.iter().filter(|c| wanted(&c.key.affiliate)) {
        let group = group_key(query.by, &c.key, &c.day);
        rows.entry((c.key.affiliate.clone(), group))
            .or_default()
            .count(c.event, c.count);
        totals
            .entry(c.key.affiliate.clone())
            .or_default()
            .count(c.event, c.count);
    }
    for o in orders.iter().filter(|o| wanted(&o.key.affiliate)) {
        let group = group_key(query.by, &o.key, &utc_day(o.created_at));
        rows.entry((o.key.affiliate.clone(), group))
            .or_default()
            .order(o);
        totals.entry(o.key.affiliate.clone()).or_default().order(o);
    }
    let rows = rows
        .into_iter()
        .filter(|(_, t)| t.funnel != Funnel::default())
        .map(|((affiliate, key), t)| ReportRow {
            affiliate,
            key,
            funnel: t.funnel,
            conversion: conversion(&t.funnel),
            revenue: t.revenue(),
        })
        .collect();
    let affiliates = totals
        .into_iter()
        .filter_map(|(id, t)| {
            let a = affiliates.get(&id)?;
            let revenue = t.revenue();
            let commission = revenue
                .iter()
                .map(|r| Price {
                    minor: commission_minor(r.net_minor, a.commission_bps),
                    currency: r.currency,
                    decimals: r.decimals,
                })
                .collect();
            Some(AffiliateTotals {
                affiliate: id,
                name: a.name.clone(),
                commission_bps: a.commission_bps,
                funnel: t.funnel,
                conversion: conversion(&t.funnel),
                revenue,
                commission,
            })
        })
        .collect();
    Report {
        since: query.since.to_string(),
        until: query.until.to_string(),
        by: query.by,
        rows,
        affiliates,
    }
}

/// Basis points as a percentage with two decimals (`1250` is `12.50%`); `-` for none.
fn percent(bps: Option<u32>) -> String {
    bps.map_or_else(
        || "-".to_owned(),
        |b| format!("{}.{:02}%", b / 100, b % 100),
    )
}

/// Basis points as a fraction with four decimals (`1250` is `0.1250`), for
/// spreadsheets; empty for none.
fn fraction(bps: Option<u32>) -> String {
    bps.map_or_else(String::new, |b| format!("{}.{:04}", b / 10_000, b % 10_000))
}

fn money_text(r: &Revenue, minor: i64) -> String {
    format!("{} {}", amount(minor, r.decimals), r.currency.as_str())
}

/// Columns padded to their widest cell; text to the left, numbers to the right.
fn columns(lines: &[Vec<String>], numeric_from: usize) -> String {
    let widths: Vec<usize> = (0..lines.first().map_or(0, Vec::len))
        .map(|i| {
            lines
                .iter()
                .map(|l| l.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in lines {
        let cells: Vec<String> = line
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i >= numeric_from {
                    format!("{c:>w$}", w = widths[i])
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

fn funnel_cells(f: &Funnel) -> [String; 7] {
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

const FUNNEL_HEADINGS: [&str; 7] = [
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
    let mut head = vec!["affiliate".to_owned()];
    if grouped {
        head.push(by.as_str().to_owned());
    }
    head.extend(FUNNEL_HEADINGS.map(str::to_owned));
    head.extend(["paid/shown".to_owned(), "net revenue".to_owned()]);
    let numeric_from = if grouped { 2 } else { 1 };
    let mut lines = vec![head];
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
        lines.push(line);
    }
    if report.rows.is_empty() {
        out.push_str("Nothing was counted in this period.\n");
    } else {
        out.push_str(&columns(&lines, numeric_from));
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
        let mut lines: Vec<Vec<String>> = steps
            .iter()
            .map(|(name, n, rate)| {
                let rate = if *name == "shown" {
                    String::new()
                } else {
                    format!("{} of the step before", percent(*rate))
                };
                vec![format!("  {name}"), n.to_string(), rate]
            })
            .collect();
        lines.push(vec![
            "  refunded".to_owned(),
            f.refunded.to_string(),
            String::new(),
        ]);
        lines.push(vec![
            "  paid per shown".to_owned(),
            percent(c.overall_bps),
            String::new(),
        ]);
        out.push_str(&columns(&lines, 1));
        if a.revenue.is_empty() {
            out.push_str("  no revenue\n");
        }
        let mut money = vec![vec![
            "  currency".to_owned(),
            "gross".to_owned(),
            "refunded".to_owned(),
            "net".to_owned(),
            "commission owed".to_owned(),
        ]];
        for (r, owed) in a.revenue.iter().zip(&a.commission) {
            money.push(vec![
                format!("  {}", r.currency.as_str()),
                amount(r.gross_minor, r.decimals),
                amount(r.refunded_minor, r.decimals),
                amount(r.net_minor, r.decimals),
                amount(owed.minor, owed.decimals),
            ]);
        }
        if !a.revenue.is_empty() {
            out.push_str(&columns(&money, 1));
        }
    }
    out
}

/// A CSV field, quoted when it must be (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
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
    let mut line = |section: &str,
                    affiliate: &str,
                    key: Option<&str>,
                    f: &Funnel,
                    c: &Conversion,
                    revenue: Option<&Revenue>,
                    bps: Option<u32>,
                    owed: Option<&Price>| {
        let mut cells = vec![section.to_owned(), csv_field(affiliate)];
        if grouped {
            cells.push(csv_field(key.unwrap_or_default()));
        }
        cells.extend(funnel_cells(f));
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
        match revenue {
            Some(r) => cells.extend([
                r.currency.as_str().to_owned(),
                amount(r.gross_minor, r.decimals),
                amount(r.refunded_minor, r.decimals),
                amount(r.net_minor, r.decimals),
            ]),
            None => cells.extend([String::new(), String::new(), String::new(), String::new()]),
        }
        cells.push(bps.map(|b| b.to_string()).unwrap_or_default());
        cells.push(owed.map_or_else(String::new, |p| amount(p.minor, p.decimals)));
        out.push_str(&cells.join(","));
        out.push('\n');
    };
    for row in &report.rows {
        let key = row.key.as_deref();
        if row.revenue.is_empty() {
            line(
                "row",
                &row.affiliate,
                key,
                &row.funnel,
                &row.conversion,
                None,
                None,
                None,
            );
        }
        for r in &row.revenue {
            line(
                "row",
                &row.affiliate,
                key,
                &row.funnel,
                &row.conversion,
                Some(r),
                None,
                None,
            );
        }
    }
    for a in &report.affiliates {
        let bps = Some(a.commission_bps);
        if a.revenue.is_empty() {
            line(
                "total",
                &a.affiliate,
                None,
                &a.funnel,
                &a.conversion,
                None,
                bps,
                None,
            );
        }
        for (r, owed) in a.revenue.iter().zip(&a.commission) {
            line(
                "total",
                &a.affiliate,
                None,
                &a.funnel,
                &a.conversion,
                Some(r),
                bps,
                Some(owed),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::{Facts, LineFacts, OrderKind};
    use simology_proxy_api::OrderPlan;
    use time::macros::date;

    const FILE: &str = r#"
        [[affiliate]]
        id = "wander-notes"
        name = "Wander Notes"
        origins = ["https://wandernotes.example"]
        commission_bps = 1200
        token = "a-report-token-of-32-characters!"
        [[affiliate]]
        id = "other-blog"
        name = "Other, Blog"
        origins = ["https://other.example"]
        commission_bps = 125
        token = "another-report-token-of-32-chars"
    "#;

    fn key(affiliate: &str, placement: Option<&str>, destination: &str) -> FunnelKey {
        FunnelKey {
            affiliate: affiliate.into(),
            placement: placement.map(str::to_owned),
            page_path: Some("/japan".into()),
            destination: Some(destination.into()),
        }
    }

    fn order(
        key: FunnelKey,
        price: (i64, &str, u8),
        quantity: u32,
        state: &str,
    ) -> AttributedOrder {
        let at = Some(1);
        // Every line of the order delivered, as `activation.ready` leaves them.
        let lines = || {
            (0..quantity)
                .map(|i| {
                    let line = LineFacts {
                        ready_at: at,
                        lpa: Some(format!("LPA:1$smdp.example$CODE-{i}")),
                        ..LineFacts::default()
                    };
                    (format!("89883070000000000{i:02}"), line)
                })
                .collect()
        };
        let reserved = Facts::reserved(OrderKind::Esim, quantity);
        let facts = match state {
            "pending" => reserved,
            "failed" => Facts {
                paid_at: at,
                failed_reason: Some("provisioning_failed".into()),
                ..reserved
            },
            "ready" => Facts {
                paid_at: at,
                lines: lines(),
                ..reserved
            },
            "refunded" => Facts {
                paid_at: at,
                lines: lines(),
                refunded_at: at,
                ..reserved
            },
            "line_refunded" => {
                let mut lines: BTreeMap<String, LineFacts> = lines();
                if let Some(first) = lines.values_mut().next() {
                    first.refunded_at = at;
                }
                Facts {
                    paid_at: at,
                    lines,
                    ..reserved
                }
            }
            other => panic!("{other}"),
        };
        AttributedOrder {
            key,
            // 2026-11-02 10:00 UTC.
            created_at: 1_793_613_600_000,
            plan: OrderPlan {
                sku: "X-1GB-7D".into(),
                name: "x".into(),
                coverage: vec![],
                data_mb: 1024,
                validity_days: 7,
                quantity,
                price: Price {
                    minor: price.0,
                    currency: CurrencyCode::parse(price.1).expect("code"),
                    decimals: price.2,
                },
                terms_url: String::new(),
            },
            facts,
        }
    }

    fn count(day: &str, key: FunnelKey, event: FunnelEvent, n: u64) -> FunnelCount {
        FunnelCount {
            day: day.into(),
            key,
            event,
            count: n,
        }
    }

    fn query(by: ReportGroup, affiliate: Option<&str>) -> ReportQuery {
        ReportQuery::parse(
            Some("2026-11-01"),
            Some("2026-11-30"),
            affiliate,
            by,
            date!(2026 - 12 - 01),
        )
        .expect("valid")
    }

    /// The report of [`seeded`]'s counts and orders for the affiliates of `FILE`.
    fn seeded_report(by: ReportGroup, affiliate: Option<&str>) -> Report {
        let affiliates = Affiliates::parse(FILE).expect("file");
        let (counts, orders) = seeded();
        build(&affiliates, &query(by, affiliate), &counts, &orders)
    }

    fn seeded() -> (Vec<FunnelCount>, Vec<AttributedOrder>) {
        let side = || key("wander-notes", Some("sidebar"), "JP");
        let foot = || key("wander-notes", None, "FR");
        let other = || key("other-blog", Some("top"), "JP");
        let gone = || key("removed-blog", None, "JP");
        let counts = vec![
            count("2026-11-02", side(), FunnelEvent::Shown, 7),
            count("2026-11-03", side(), FunnelEvent::Shown, 5),
            count("2026-11-02", side(), FunnelEvent::DestinationChosen, 4),
            count("2026-11-02", side(), FunnelEvent::PlanChosen, 3),
            count("2026-11-02", side(), FunnelEvent::CheckoutStarted, 3),
            count("2026-11-02", foot(), FunnelEvent::Shown, 8),
            count("2026-11-02", other(), FunnelEvent::Shown, 2),
            count("2026-11-02", gone(), FunnelEvent::Shown, 100),
        ];
        let orders = vec![
            // 2 × 4.99 USD, ready.
            order(side(), (499, "USD", 2), 2, "ready"),
            // 14.99 USD, refunded.
            order(side(), (1499, "USD", 2), 1, "refunded"),
            // 11.99 EUR, ready, and an unpaid one that counts for nothing.
            order(foot(), (1199, "EUR", 2), 1, "ready"),
            order(foot(), (399, "EUR", 2), 1, "pending"),
            // Paid, then provisioning failed: paid and gross, never ready.
            order(foot(), (1000, "EUR", 2), 1, "failed"),
            // 680 JPY at 1.25 %: 8.5 yen, rounded half up to 9.
            order(other(), (680, "JPY", 0), 1, "ready"),
            order(gone(), (99_999, "USD", 2), 1, "ready"),
        ];
        (counts, orders)
    }

    #[test]
    fn a_line_refund_subtracts_that_lines_unit_price() {
        let affiliates = Affiliates::parse(FILE).expect("file");
        let side = || key("wander-notes", Some("sidebar"), "JP");
        // Three travellers at 5.00 GBP, one of them refunded; and one whole refund of two.
        let orders = vec![
            order(side(), (500, "GBP", 2), 3, "line_refunded"),
            order(side(), (500, "GBP", 2), 2, "refunded"),
        ];
        let r = build(
            &affiliates,
            &query(ReportGroup::Affiliate, Some("wander-notes")),
            &[],
            &orders,
        );
        let wander = &r.affiliates[0];
        assert_eq!(
            (
                wander.funnel.paid,
                wander.funnel.ready,
                wander.funnel.refunded
            ),
            (2, 2, 1),
            "a partly refunded order is still ready, not refunded"
        );
        assert_eq!(
            wander.revenue,
            vec![Revenue {
                currency: CurrencyCode::parse("GBP").expect("code"),
                decimals: 2,
                gross_minor: 2500,
                refunded_minor: 500 + 1000,
                net_minor: 1000
            }]
        );
        // 10.00 × 12 % = 1.20.
        assert_eq!(wander.commission[0].minor, 120);
    }

    #[test]
    fn totals_and_commission_match_the_sums_done_by_hand() {
        let r = seeded_report(ReportGroup::Affiliate, None);
        assert_eq!(r.affiliates.len(), 2, "the removed affiliate is left out");
        let other = &r.affiliates[0];
        let wander = &r.affiliates[1];
        assert_eq!(
            (other.affiliate.as_str(), wander.affiliate.as_str()),
            ("other-blog", "wander-notes")
        );
        assert_eq!(
            wander.funnel,
            Funnel {
                shown: 20,
                destination_chosen: 4,
                plan_chosen: 3,
                checkout_started: 3,
                paid: 4,
                ready: 3,
                refunded: 1,
            }
        );
        let cur = |c: &str| CurrencyCode::parse(c).expect("code");
        assert_eq!(
            wander.revenue,
            vec![
                // EUR: 11.99 + 10.00 paid, nothing refunded.
                Revenue {
                    currency: cur("EUR"),
                    decimals: 2,
                    gross_minor: 2199,
                    refunded_minor: 0,
                    net_minor: 2199
                },
                // USD: 9.98 + 14.99 paid, 14.99 refunded.
                Revenue {
                    currency: cur("USD"),
                    decimals: 2,
                    gross_minor: 2497,
                    refunded_minor: 1499,
                    net_minor: 998
                },
            ]
        );
        // 21.99 × 12 % = 2.6388 → 2.64; 9.98 × 12 % = 1.1976 → 1.20.
        assert_eq!(
            wander
                .commission
                .iter()
                .map(|p| (p.currency.as_str(), p.minor))
                .collect::<Vec<_>>(),
            [("EUR", 264), ("USD", 120)]
        );
        assert_eq!(
            other
                .commission
                .iter()
                .map(|p| (p.currency.as_str(), p.minor))
                .collect::<Vec<_>>(),
            [("JPY", 9)]
        );
        assert_eq!(
            wander.conversion,
            Conversion {
                destination_chosen_bps: Some(2000),
                plan_chosen_bps: Some(7500),
                checkout_started_bps: Some(10_000),
                paid_bps: Some(13_333),
                ready_bps: Some(7500),
                overall_bps: Some(2000),
            }
        );
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[1].key.as_deref(), Some("wander-notes"));
    }

    #[test]
    fn rows_by_placement_and_by_day_and_one_affiliate() {
        let r = seeded_report(ReportGroup::Placement, Some("wander-notes"));
        assert_eq!(r.affiliates.len(), 1);
        let keys: Vec<_> = r
            .rows
            .iter()
            .map(|x| (x.affiliate.as_str(), x.key.as_deref()))
            .collect();
        assert_eq!(
            keys,
            [("wander-notes", None), ("wander-notes", Some("sidebar"))]
        );
        assert_eq!(r.rows[0].funnel.shown, 8);
        assert_eq!(r.rows[0].funnel.paid, 2);
        assert_eq!(r.rows[1].funnel.shown, 12);
        assert_eq!(r.rows[1].revenue.len(), 1);

        let r = seeded_report(ReportGroup::Day, Some("wander-notes"));
        let days: Vec<_> = r
            .rows
            .iter()
            .map(|x| (x.key.as_deref(), x.funnel.shown, x.funnel.paid))
            .collect();
        assert_eq!(
            days,
            [(Some("2026-11-02"), 15, 4), (Some("2026-11-03"), 5, 0)]
        );

        let r = seeded_report(ReportGroup::Destination, None);
        let dest: Vec<_> = r
            .rows
            .iter()
            .map(|x| (x.affiliate.as_str(), x.key.as_deref()))
            .collect();
        assert_eq!(
            dest,
            [
                ("other-blog", Some("JP")),
                ("wander-notes", Some("FR")),
                ("wander-notes", Some("JP"))
            ]
        );
    }

    #[test]
    fn commission_rounds_half_up_without_floats() {
        assert_eq!(commission_minor(680, 125), 9, "8.5");
        assert_eq!(commission_minor(679, 125), 8, "8.4875");
        assert_eq!(commission_minor(1, 5000), 1, "0.5");
        assert_eq!(commission_minor(1, 4999), 0);
        assert_eq!(commission_minor(0, 1200), 0);
        assert_eq!(commission_minor(-680, 125), -9);
        assert_eq!(commission_minor(i64::MAX, 10_000), i64::MAX);
        assert_eq!(rate_bps(1, 3), Some(3333));
        assert_eq!(rate_bps(2, 3), Some(6667));
        assert_eq!(rate_bps(1, 0), None);
    }

    #[test]
    fn periods() {
        let today = date!(2026 - 11 - 30);
        let q =
            ReportQuery::parse(None, None, Some(" "), ReportGroup::Day, today).expect("defaults");
        assert_eq!(
            (q.since, q.until, q.affiliate.as_deref()),
            (date!(2026 - 11 - 01), today, None)
        );
        assert_eq!(q.window_ms(), (1_793_491_200_000, 1_796_083_200_000));
        for (since, until, says) in [
            (Some("2026-11-31"), None, "since"),
            (Some("1 Nov"), None, "since"),
            (None, Some("2026-13-01"), "until"),
            (Some("2026-11-02"), Some("2026-11-01"), "before"),
            (Some("2025-01-01"), Some("2026-01-02"), "at most 366"),
        ] {
            let err =
                ReportQuery::parse(since, until, None, ReportGroup::Day, today).expect_err(says);
            assert!(err.to_string().contains(says), "{says}: {err}");
        }
        assert!(
            ReportQuery::parse(
                Some("2025-01-01"),
                Some("2026-01-01"),
                None,
                ReportGroup::Day,
                today
            )
            .is_ok(),
            "366 days"
        );
    }

    #[test]
    fn amounts_tables_and_csv() {
        assert_eq!(amount(1499, 2), "14.99");
        assert_eq!(amount(5, 2), "0.05");
        assert_eq!(amount(-120, 2), "-1.20");
        assert_eq!(amount(680, 0), "680");
        assert_eq!(amount(1, 3), "0.001");
        let r = seeded_report(ReportGroup::Placement, None);
        let text = table(&r);
        assert!(text.contains("by placement"), "{text}");
        assert!(text.contains("commission 12.00%"), "{text}");
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with("USD") && l.ends_with("1.20")),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with("JPY") && l.ends_with('9')),
            "{text}"
        );
        let csv = csv(&r);
        let lines: Vec<&str> = csv.lines().collect();
        assert!(
            lines[0].starts_with("section,affiliate,placement,shown,"),
            "{csv}"
        );
        let columns = lines[0].split(',').count();
        assert!(
            lines.iter().all(|l| l.split(',').count() == columns),
            "{csv}"
        );
        assert!(csv.contains("total,wander-notes,,20,4,3,3,4,3,1,0.2000,0.7500,1.0000,1.3333,0.7500,0.2000,USD,24.97,14.99,9.98,1200,1.20"), "{csv}");
        assert_eq!(csv_field("Other, Blog"), "\"Other, Blog\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
