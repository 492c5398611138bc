//! The report's sums, done by hand, and its renderings.

use std::collections::BTreeMap;

use simology_proxy_api::{
    Conversion, CurrencyCode, Funnel, FunnelEvent, Price, Report, ReportGroup, Revenue,
};

use crate::affiliates::Affiliates;
use crate::store::{AttributedOrder, FunnelGroup, FunnelKey};

use super::aggregate::*;
use super::query::*;
use super::render::*;
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
    let group = |((affiliate, key), counts): ((String, Option<String>), [u64; 4])| FunnelGroup {
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

fn order(key: FunnelKey, price: (i64, &str, u8), quantity: u32, state: &str) -> AttributedOrder {
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
    let q = ReportQuery::parse(None, None, Some(" "), ReportGroup::Day, today).expect("defaults");
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
        let err = ReportQuery::parse(since, until, None, ReportGroup::Day, today).expect_err(says);
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
    let r = seeded_report(ReportGroup::Placement, None);
    let text = table(&r);
    // One printer for every table: a header, its rule, the amounts to the right.
    let lines: Vec<&str> = text.lines().collect();
    let head = lines
        .iter()
        .position(|l| l.starts_with("affiliate ") && l.ends_with("net revenue"))
        .expect("the rows' header");
    assert_eq!(lines[head + 1], "-".repeat(lines[head].len()), "{text}");
    assert!(
        lines.contains(&"  currency  gross  refunded    net  commission owed"),
        "{text}"
    );
    assert!(
        lines.contains(&"  EUR       21.99      0.00  21.99             2.64"),
        "{text}"
    );
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
