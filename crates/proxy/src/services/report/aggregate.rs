//! A report's numbers: the funnel's groups and totals as the store adds them up, the
//! orders read one at a time, revenue per currency and the commission owed.

use std::collections::{BTreeMap, HashSet};

use simology_proxy_api::{
    AffiliateTotals, Conversion, CurrencyCode, Funnel, FunnelEvent, OrderState, Price, Report,
    ReportGroup, ReportRow, Revenue,
};

use crate::affiliates::Affiliates;
use crate::clock::utc_day;
use crate::error::ApiError;
use crate::money::commission_minor;
use crate::state::AppState;
use crate::store::{AttributedOrder, FunnelGroup, FunnelKey, Period};

use super::query::ReportQuery;

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
    rows: BTreeMap<(String, Option<String>), Sums>,
    totals: BTreeMap<String, Sums>,
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
        let mut tally = Sums::default();
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
    pub(super) fn groups(&self) -> impl Iterator<Item = &(String, Option<String>)> {
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
pub(super) struct Money {
    decimals: u8,
    gross: i64,
    refunded: i64,
}

/// What a row or an affiliate's totals add up.
#[derive(Debug, Clone, Default)]
pub(super) struct Sums {
    funnel: Funnel,
    money: BTreeMap<CurrencyCode, Money>,
}

impl Sums {
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
    fn merge(&mut self, other: &Sums) {
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
pub(super) fn rate_bps(part: u64, whole: u64) -> Option<u32> {
    if whole == 0 {
        return None;
    }
    let (part, whole) = (u128::from(part), u128::from(whole));
    let bps = (part * 10_000 + whole / 2) / whole;
    Some(u32::try_from(bps).unwrap_or(u32::MAX))
}

pub(super) fn conversion(f: &Funnel) -> Conversion {
    Conversion {
        destination_chosen_bps: rate_bps(f.destination_chosen, f.shown),
        plan_chosen_bps: rate_bps(f.plan_chosen, f.destination_chosen),
        checkout_started_bps: rate_bps(f.checkout_started, f.plan_chosen),
        paid_bps: rate_bps(f.paid, f.checkout_started),
        ready_bps: rate_bps(f.ready, f.paid),
        overall_bps: rate_bps(f.paid, f.shown),
    }
}

pub(super) fn group_key(by: ReportGroup, key: &FunnelKey, day: &str) -> Option<String> {
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
    let mut rows: BTreeMap<(String, Option<String>), Sums> = BTreeMap::new();
    let mut totals: BTreeMap<String, Sums> = affiliates
        .iter()
        .filter(|x| wanted(&x.id))
        .map(|x| (x.id.clone(), Sums::default()))
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
