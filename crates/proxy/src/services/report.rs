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

use std::collections::{BTreeMap, HashSet};
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
use crate::store::{AttributedOrder, FunnelGroup, FunnelKey, Period};

pub use crate::money::{amount, commission_minor};

/// The longest period of one report, in days.
pub const MAX_DAYS: i64 = 366;

/// The period of a report when no start is given, in days (ending with its last day).
pub const DEFAULT_DAYS: i64 = 30;

/// The rows of a report when no limit is given.
pub const DEFAULT_ROWS: u32 = 1_000;

/// The most rows one report may ask for.
pub const MAX_ROWS: u32 = 10_000;

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
    /// At most this many rows, the first by affiliate and key.
    pub limit: u32,
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
        ReportQuery::parse_with_limit(since, until, affiliate, by, None, today)
    }

    /// [`ReportQuery::parse`], with at most `limit` rows ([`DEFAULT_ROWS`] when not
    /// given).
    ///
    /// # Errors
    /// As [`ReportQuery::parse`], and `BadRequest` for a limit of 0 or above
    /// [`MAX_ROWS`].
    pub fn parse_with_limit(
        since: Option<&str>,
        until: Option<&str>,
        affiliate: Option<&str>,
        by: ReportGroup,
        limit: Option<u32>,
        today: Date,
    ) -> Result<ReportQuery, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_ROWS);
        if !(1..=MAX_ROWS).contains(&limit) {
            return Err(ApiError::BadRequest(format!(
                "limit: must be 1 to {MAX_ROWS} rows"
            )));
        }
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
            limit,
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
/// The funnel is grouped and added up in the database, which answers only the rows
/// asked for; the orders that may have been paid are read one at a time and added up
/// as they come. The beacons this process has counted are written first.
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
    if let Err(e) = state.beacons.flush(state).await {
        // The report still answers, with what the store has.
        tracing::warn!(
            error = format!("{e:#}"),
            "writing the funnel's counts before a report failed"
        );
    }
    let ids: Vec<String> = affiliates
        .iter()
        .filter(|a| query.affiliate.as_deref().is_none_or(|one| one == a.id))
        .map(|a| a.id.clone())
        .collect();
    let (since, until) = (query.since.to_string(), query.until.to_string());
    let period = Period {
        since: &since,
        until: &until,
        affiliates: &ids,
    };
    let store = &state.store;
    let (start, end) = query.window_ms();
    let mut orders = Orders::new(query.by);
    store
        .for_each_paid_order(&period, start, end, |o| orders.add(&o))
        .await?;
    let groups = store.funnel_groups(&period, query.by, query.limit).await?;
    let totals = store.funnel_totals(&period).await?;
    // Groups of orders only (no beacon of theirs in the period) count in the total too.
    let listed: HashSet<(&str, Option<&str>)> = groups
        .iter()
        .map(|g| (g.affiliate.as_str(), g.key.as_deref()))
        .collect();
    let unlisted: Vec<(String, Option<String>)> = orders
        .groups()
        .filter(|(a, k)| !listed.contains(&(a.as_str(), k.as_deref())))
        .cloned()
        .collect();
    let funnel_groups = store.funnel_group_count(&period, query.by).await?;
    let of_the_funnel = store
        .funnel_groups_among(&period, query.by, &unlisted)
        .await?
        .len();
    let rows_total = funnel_groups + (unlisted.len() - of_the_funnel) as u64;
    Ok(build(
        &affiliates,
        query,
        &Aggregates {
            groups: &groups,
            totals: &totals,
            orders: &orders,
            rows_total,
        },
    ))
}

/// The orders of a report, added up by row and by affiliate as they are read.
pub struct Orders {
    by: ReportGroup,
    rows: BTreeMap<(String, Option<String>), Tally>,
    totals: BTreeMap<String, Tally>,
}

impl Orders {
    /// None yet, for rows grouped `by`.
    pub fn new(by: ReportGroup) -> Self {
        Orders {
            by,
            rows: BTreeMap::new(),
            totals: BTreeMap::new(),
        }
    }

    /// Adds an order (one that was not paid adds nothing).
    pub fn add(&mut self, o: &AttributedOrder) {
        let mut tally = Tally::default();
        tally.order(o);
        if tally.funnel == Funnel::default() {
            return;
        }
        let group = group_key(self.by, &o.key, &utc_day(o.created_at));
        self.rows
            .entry((o.key.affiliate.clone(), group))
            .or_default()
            .order(o);
        self.totals
            .entry(o.key.affiliate.clone())
            .or_default()
            .order(o);
    }

    /// The groups (affiliate and key) that have a paid order.
    fn groups(&self) -> impl Iterator<Item = &(String, Option<String>)> {
        self.rows.keys()
    }
}

/// What a report is built from: the funnel's first groups and each affiliate's totals
/// (as the store adds them up), the orders, and how many rows there are in all.
pub struct Aggregates<'a> {
    /// The first groups of the funnel, by affiliate then key, at most the query's limit.
    pub groups: &'a [FunnelGroup],
    /// Each affiliate's funnel over the period.
    pub totals: &'a [FunnelGroup],
    /// The orders.
    pub orders: &'a Orders,
    /// The rows of the report without its limit.
    pub rows_total: u64,
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

    /// Adds a group's counts, in `FunnelEvent::ALL`'s order.
    fn add_counts(&mut self, counts: &[u64; 4]) {
        for (event, n) in FunnelEvent::ALL.into_iter().zip(counts) {
            self.count(event, *n);
        }
    }

    /// Adds another tally of orders (whose funnel has only orders' steps).
    fn merge(&mut self, other: &Tally) {
        let (f, o) = (&mut self.funnel, &other.funnel);
        f.paid = f.paid.saturating_add(o.paid);
        f.ready = f.ready.saturating_add(o.ready);
        f.refunded = f.refunded.saturating_add(o.refunded);
        for (currency, m) in &other.money {
            let mine = self.money.entry(*currency).or_insert(Money {
                decimals: m.decimals,
                ..Money::default()
            });
            mine.gross = mine.gross.saturating_add(m.gross);
            mine.refunded = mine.refunded.saturating_add(m.refunded);
        }
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

/// The report of these aggregates (which the store read for the query's period), for
/// the affiliates of the file. Affiliates the file no longer lists are left out; every
/// affiliate it lists (or the one asked for) has totals, zeros included. The rows are
/// the first `limit` by affiliate then key: those of the funnel's first groups and of
/// the orders together (a row among the first `limit` of both is among the first
/// `limit` of either).
pub fn build(affiliates: &Affiliates, query: &ReportQuery, a: &Aggregates<'_>) -> Report {
    let wanted = |id: &str| {
        affiliates.get(id).is_some() && query.affiliate.as_deref().is_none_or(|one| one == id)
    };
    let mut rows: BTreeMap<(String, Option<String>), Tally> = BTreeMap::new();
    let mut totals: BTreeMap<String, Tally> = affiliates
        .iter()
        .filter(|x| wanted(&x.id))
        .map(|x| (x.id.clone(), Tally::default()))
        .collect();
    for g in a.groups.iter().filter(|g| wanted(&g.affiliate)) {
        rows.entry((g.affiliate.clone(), g.key.clone()))
            .or_default()
            .add_counts(&g.counts);
    }
    for g in a.totals.iter().filter(|g| wanted(&g.affiliate)) {
        totals
            .entry(g.affiliate.clone())
            .or_default()
            .add_counts(&g.counts);
    }
    for ((affiliate, key), t) in a.orders.rows.iter().filter(|((id, _), _)| wanted(id)) {
        rows.entry((affiliate.clone(), key.clone()))
            .or_default()
            .merge(t);
    }
    for (affiliate, t) in a.orders.totals.iter().filter(|(id, _)| wanted(id)) {
        totals.entry(affiliate.clone()).or_default().merge(t);
    }
    let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
    let rows = rows
        .into_iter()
        .filter(|(_, t)| t.funnel != Funnel::default())
        .take(limit)
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
        rows_total: a.rows_total,
        rows_limit: query.limit,
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

/// A CSV text field: quoted when it must be (RFC 4180), and neutralised when a
/// spreadsheet would read it as a formula (OWASP's guidance on CSV injection): a cell
/// that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`
/// and is quoted, so it shows as the text it is. Only text goes through here: the
/// numbers the proxy writes itself (counts, rates, amounts, which may be negative) are
/// written as numbers.
fn csv_field(text: &str) -> String {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula {
        format!("\"'{}\"", text.replace('"', "\"\""))
    } else if text.contains([',', '"', '\n', '\r']) {
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
    use crate::store::FunnelCount;
    use simology_proxy_api::OrderPlan;
    use time::macros::date;

    /// The report of these counts and orders as the store would aggregate them (the
    /// integration tests hold the SQL to the same sums): groups by affiliate and key,
    /// the first `limit` of them, every affiliate's totals, and the rows in all.
    fn build_from(
        affiliates: &Affiliates,
        query: &ReportQuery,
        counts: &[FunnelCount],
        orders: &[AttributedOrder],
    ) -> Report {
        let slot = |e: FunnelEvent| FunnelEvent::ALL.iter().position(|x| *x == e).unwrap_or(0);
        let listed = |id: &str| {
            affiliates.get(id).is_some() && query.affiliate.as_deref().is_none_or(|a| a == id)
        };
        let mut groups: BTreeMap<(String, Option<String>), [u64; 4]> = BTreeMap::new();
        let mut totals: BTreeMap<String, [u64; 4]> = BTreeMap::new();
        for c in counts.iter().filter(|c| listed(&c.key.affiliate)) {
            let key = group_key(query.by, &c.key, &c.day);
            groups.entry((c.key.affiliate.clone(), key)).or_default()[slot(c.event)] += c.count;
            totals.entry(c.key.affiliate.clone()).or_default()[slot(c.event)] += c.count;
        }
        let mut tallied = Orders::new(query.by);
        for o in orders.iter().filter(|o| listed(&o.key.affiliate)) {
            tallied.add(o);
        }
        let mut all: std::collections::BTreeSet<_> = groups.keys().cloned().collect();
        all.extend(tallied.groups().cloned());
        let group =
            |((affiliate, key), counts): ((String, Option<String>), [u64; 4])| FunnelGroup {
                affiliate,
                key,
                counts,
            };
        let first: Vec<FunnelGroup> = groups
            .into_iter()
            .take(query.limit as usize)
            .map(group)
            .collect();
        let totals: Vec<FunnelGroup> = totals
            .into_iter()
            .map(|(a, c)| group(((a, None), c)))
            .collect();
        build(
            affiliates,
            query,
            &Aggregates {
                groups: &first,
                totals: &totals,
                orders: &tallied,
                rows_total: all.len() as u64,
            },
        )
    }

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
        build_from(&affiliates, &query(by, affiliate), &counts, &orders)
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
        let r = build_from(
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
    fn rows_are_limited_and_the_total_says_how_many_there_are() {
        let affiliates = Affiliates::parse(FILE).expect("file");
        let (counts, orders) = seeded();
        let full = build_from(
            &affiliates,
            &query(ReportGroup::Destination, None),
            &counts,
            &orders,
        );
        assert_eq!((full.rows.len(), full.rows_total), (3, 3));
        let mut two = query(ReportGroup::Destination, None);
        two.limit = 2;
        let cut = build_from(&affiliates, &two, &counts, &orders);
        assert_eq!(cut.rows_total, 3);
        assert_eq!(cut.rows_limit, 2);
        assert_eq!(cut.rows, full.rows[..2]);
        assert_eq!(cut.affiliates, full.affiliates, "the totals are whole");
        for (limit, ok) in [
            (Some(0), false),
            (Some(1), true),
            (Some(MAX_ROWS), true),
            (Some(MAX_ROWS + 1), false),
            (None, true),
        ] {
            let q = ReportQuery::parse_with_limit(
                None,
                None,
                None,
                ReportGroup::Day,
                limit,
                date!(2026 - 11 - 30),
            );
            assert_eq!(q.is_ok(), ok, "{limit:?}");
        }
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

    #[test]
    fn csv_cells_that_would_start_a_formula_are_neutralised() {
        for (given, want) in [
            (
                "=HYPERLINK(\"https://evil.example\")",
                "\"'=HYPERLINK(\"\"https://evil.example\"\")\"",
            ),
            ("+1+2", "\"'+1+2\""),
            ("-2+3", "\"'-2+3\""),
            ("@SUM(A1:A9)", "\"'@SUM(A1:A9)\""),
            ("\t=1", "\"'\t=1\""),
            ("\r=1", "\"'\r=1\""),
            ("=1,2", "\"'=1,2\""),
            ("/japan=1", "/japan=1"),
            ("sidebar", "sidebar"),
        ] {
            assert_eq!(csv_field(given), want, "{given:?}");
        }
        // A stored key that would start a formula (from a database written by hand or by
        // an older version) leaves the export as text.
        let affiliates = Affiliates::parse(FILE).expect("file");
        let hostile = key("wander-notes", Some("=cmd|'/c calc'!A0"), "JP");
        let r = build_from(
            &affiliates,
            &query(ReportGroup::Placement, Some("wander-notes")),
            &[count("2026-11-02", hostile, FunnelEvent::Shown, 1)],
            &[],
        );
        let text = csv(&r);
        let row = text.lines().find(|l| l.starts_with("row,")).expect("a row");
        assert!(
            row.starts_with("row,wander-notes,\"'=cmd|'/c calc'!A0\","),
            "{row}"
        );
        for line in text.lines() {
            for cell in line.split(',') {
                assert!(!cell.starts_with(['=', '+', '@']), "{line}");
            }
        }
    }
}
