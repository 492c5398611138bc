//! Affiliates in the store: the attribution of orders (columns of `orders`) and the
//! `funnel_counts` table, a count per day and key, added to by each flush of the
//! beacons; and what the reports read of them, grouped and added up in the database.

use std::collections::HashSet;

use anyhow::{Context, Result};
use futures_util::TryStreamExt;
use simology_proxy_api::{FunnelEvent, OrderPlan, ReportGroup};
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Row};

use super::connection::{from_json, Backend, Store};
use crate::domain::OrderRef;
use crate::order::Facts;

/// Where a sale or a funnel event happened. Empty texts in the table are "none".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FunnelKey {
    /// The affiliate's id.
    pub affiliate: String,
    /// The placement.
    pub placement: Option<String>,
    /// The page's path.
    pub page_path: Option<String>,
    /// A country's code or a region's slug.
    pub destination: Option<String>,
}

/// One row of `funnel_counts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelCount {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    /// Where.
    pub key: FunnelKey,
    /// What.
    pub event: FunnelEvent,
    /// How many times.
    pub count: u64,
}

/// A group of the funnel: an affiliate and a key (a placement, page path, destination
/// or day; none given is `None`), with the count of each event in
/// `FunnelEvent::ALL`'s order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelGroup {
    /// The affiliate.
    pub affiliate: String,
    /// The key.
    pub key: Option<String>,
    /// Shown, destination chosen, plan chosen, checkout started.
    pub counts: [u64; 4],
}

/// What a report reads: days `since..=until` (`YYYY-MM-DD`), of these affiliates.
pub struct Period<'a> {
    /// First day.
    pub since: &'a str,
    /// Last day, included.
    pub until: &'a str,
    /// The affiliates (those of the file, or the one asked for).
    pub affiliates: &'a [String],
}

impl Period<'_> {
    /// The `WHERE` of `funnel_counts` for the period ($1, $2, then the affiliates).
    fn funnel_filter(&self) -> String {
        let ids = (0..self.affiliates.len())
            .map(|i| format!("${}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        format!("day >= $1 AND day <= $2 AND affiliate IN ({ids})")
    }

    /// How many parameters [`Period::bind`] binds.
    fn parameters(&self) -> usize {
        2 + self.affiliates.len()
    }

    fn bind<'q>(
        &self,
        query: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        let mut query = query
            .bind(self.since.to_owned())
            .bind(self.until.to_owned());
        for id in self.affiliates {
            query = query.bind(id.clone());
        }
        query
    }
}

/// The column of `funnel_counts` a report's rows are grouped by. Names only: never a
/// request's text.
fn group_column(by: ReportGroup) -> &'static str {
    match by {
        ReportGroup::Affiliate => "affiliate",
        ReportGroup::Placement => "placement",
        ReportGroup::Page => "page_path",
        ReportGroup::Destination => "destination",
        ReportGroup::Day => "day",
    }
}

/// An order made through an affiliate, as the reports read it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributedOrder {
    /// Where the sale was made (the destination is the plan's).
    pub key: FunnelKey,
    /// When the checkout was made, Unix ms.
    pub created_at: i64,
    /// The plan as bought (unit price and quantity).
    pub plan: OrderPlan,
    /// What is known of it: paid, ready, refunded.
    pub facts: Facts,
}

fn stored(text: Option<&str>) -> &str {
    text.unwrap_or_default()
}

fn read(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

impl Store {
    /// Records who made the sale on a reserved order, with the network's click id, until
    /// its session exists: a retried checkout writes the same values again, and none can
    /// change them after. The click id stays on the order: no funnel count or report
    /// reads it.
    ///
    /// # Errors
    /// On database errors.
    pub async fn attribute(
        &self,
        order_ref: &OrderRef,
        key: &FunnelKey,
        click_id: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE orders SET affiliate = $2, placement = $3, page_path = $4, destination = $5, click_id = $6 \
             WHERE order_ref = $1 AND session_id IS NULL",
        )
        .bind(order_ref.as_str())
        .bind(&key.affiliate)
        .bind(key.placement.as_deref())
        .bind(key.page_path.as_deref())
        .bind(key.destination.as_deref())
        .bind(click_id)
        .execute(&self.writer)
        .await
        .context("recording an order's affiliate")?;
        Ok(())
    }

    /// Adds counts (each key once), in one transaction: a flush of the funnel's
    /// beacons (`services::beacons`). Upserts, so replicas flushing the same keys add up.
    ///
    /// # Errors
    /// On database errors; then nothing is added.
    pub async fn add_funnel_counts(&self, counts: &[FunnelCount]) -> Result<()> {
        /// Rows per statement: 7 parameters each, well within SQLite's 32,766.
        const ROWS_PER_STATEMENT: usize = 500;
        if counts.is_empty() {
            return Ok(());
        }
        let mut tx = self
            .writer
            .begin()
            .await
            .context("beginning the funnel's flush")?;
        for chunk in counts.chunks(ROWS_PER_STATEMENT) {
            let values = (0..chunk.len())
                .map(|i| {
                    let b = i * 7;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO funnel_counts (day, affiliate, placement, page_path, destination, event, count) \
                 VALUES {values} \
                 ON CONFLICT (day, affiliate, placement, page_path, destination, event) \
                 DO UPDATE SET count = funnel_counts.count + excluded.count"
            );
            let mut query = sqlx::query(&sql);
            for c in chunk {
                query = query
                    .bind(c.day.as_str())
                    .bind(c.key.affiliate.as_str())
                    .bind(stored(c.key.placement.as_deref()))
                    .bind(stored(c.key.page_path.as_deref()))
                    .bind(stored(c.key.destination.as_deref()))
                    .bind(c.event.as_str())
                    .bind(i64::try_from(c.count).unwrap_or(i64::MAX));
            }
            query
                .execute(&mut *tx)
                .await
                .context("adding funnel counts")?;
        }
        tx.commit().await.context("committing the funnel's flush")?;
        Ok(())
    }

    /// How many rows `funnel_counts` holds (for the attack's accounting).
    ///
    /// # Errors
    /// On database errors.
    pub async fn funnel_row_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM funnel_counts")
            .fetch_one(&self.reader)
            .await
            .context("counting funnel rows")?
            .try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The rows of one affiliate's day (at most its caps: see `services::beacons`).
    ///
    /// # Errors
    /// On database errors, or a stored event of no known name.
    pub async fn funnel_day(&self, day: &str, affiliate: &str) -> Result<Vec<FunnelCount>> {
        let rows = sqlx::query(
            "SELECT day, affiliate, placement, page_path, destination, event, count FROM funnel_counts \
             WHERE day = $1 AND affiliate = $2",
        )
        .bind(day)
        .bind(affiliate)
        .fetch_all(&self.reader)
        .await
        .context("reading a day's funnel counts")?;
        rows.iter()
            .map(|row| {
                let event: String = row.try_get("event")?;
                Ok(FunnelCount {
                    day: row.try_get("day")?,
                    key: FunnelKey {
                        affiliate: row.try_get("affiliate")?,
                        placement: read(row.try_get("placement")?),
                        page_path: read(row.try_get("page_path")?),
                        destination: read(row.try_get("destination")?),
                    },
                    event: FunnelEvent::parse(&event)
                        .with_context(|| format!("a stored funnel event is unknown: {event:?}"))?,
                    count: u64::try_from(row.try_get::<i64, _>("count")?).unwrap_or(0),
                })
            })
            .collect()
    }

    /// `ORDER BY` of text by its bytes, as Rust orders strings, on either backend.
    fn bytewise(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "COLLATE BINARY",
            Backend::Postgres => "COLLATE \"C\"",
        }
    }

    /// The funnel of the period, grouped in the database by affiliate and `by`: the
    /// first `limit` groups by affiliate then key (bytewise), each with its count of
    /// every event. Only the groups are read, never the rows.
    ///
    /// # Errors
    /// On database errors.
    pub async fn funnel_groups(
        &self,
        period: &Period<'_>,
        by: ReportGroup,
        limit: u32,
    ) -> Result<Vec<FunnelGroup>> {
        if period.affiliates.is_empty() {
            return Ok(Vec::new());
        }
        let col = group_column(by);
        let c = self.bytewise();
        let sums = FunnelEvent::ALL
            .iter()
            .map(|e| {
                format!(
                    "CAST(SUM(CASE WHEN event = '{0}' THEN count ELSE 0 END) AS BIGINT) AS {0}",
                    e.as_str()
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT affiliate, {col} AS k, {sums} FROM funnel_counts WHERE {where_} \
             GROUP BY affiliate, {col} ORDER BY affiliate {c}, {col} {c} LIMIT {limit}",
            where_ = period.funnel_filter(),
        );
        let rows = period
            .bind(sqlx::query(&sql))
            .fetch_all(&self.reader)
            .await
            .context("grouping funnel counts")?;
        rows.iter()
            .map(|row| {
                let mut counts = [0u64; 4];
                for (slot, e) in counts.iter_mut().zip(FunnelEvent::ALL) {
                    *slot = u64::try_from(row.try_get::<i64, _>(e.as_str())?).unwrap_or(0);
                }
                Ok(FunnelGroup {
                    affiliate: row.try_get("affiliate")?,
                    key: read(row.try_get("k")?),
                    counts,
                })
            })
            .collect()
    }

    /// How many groups [`Store::funnel_groups`] has without its limit.
    ///
    /// # Errors
    /// On database errors.
    pub async fn funnel_group_count(&self, period: &Period<'_>, by: ReportGroup) -> Result<u64> {
        if period.affiliates.is_empty() {
            return Ok(0);
        }
        let col = group_column(by);
        let sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT affiliate, {col} FROM funnel_counts WHERE {} \
             GROUP BY affiliate, {col}) g",
            period.funnel_filter()
        );
        let n: i64 = period
            .bind(sqlx::query(&sql))
            .fetch_one(&self.reader)
            .await
            .context("counting funnel groups")?
            .try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Each affiliate's count of each event over the period (key none).
    ///
    /// # Errors
    /// On database errors, or a stored event of no known name.
    pub async fn funnel_totals(&self, period: &Period<'_>) -> Result<Vec<FunnelGroup>> {
        if period.affiliates.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT affiliate, event, CAST(SUM(count) AS BIGINT) AS n FROM funnel_counts \
             WHERE {} GROUP BY affiliate, event",
            period.funnel_filter()
        );
        let rows = period
            .bind(sqlx::query(&sql))
            .fetch_all(&self.reader)
            .await
            .context("adding up funnel counts")?;
        let mut totals: Vec<FunnelGroup> = Vec::new();
        for row in &rows {
            let affiliate: String = row.try_get("affiliate")?;
            let event: String = row.try_get("event")?;
            let event = FunnelEvent::parse(&event)
                .with_context(|| format!("a stored funnel event is unknown: {event:?}"))?;
            let n = u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0);
            let at = match totals.iter().position(|t| t.affiliate == affiliate) {
                Some(at) => at,
                None => {
                    totals.push(FunnelGroup {
                        affiliate,
                        key: None,
                        counts: [0; 4],
                    });
                    totals.len() - 1
                }
            };
            let slot = FunnelEvent::ALL
                .iter()
                .position(|e| *e == event)
                .unwrap_or(0);
            totals[at].counts[slot] += n;
        }
        Ok(totals)
    }

    /// Which of `groups` (affiliate and key) the period's funnel has, grouped by `by`.
    ///
    /// # Errors
    /// On database errors.
    pub async fn funnel_groups_among(
        &self,
        period: &Period<'_>,
        by: ReportGroup,
        groups: &[(String, Option<String>)],
    ) -> Result<HashSet<(String, Option<String>)>> {
        /// Groups asked about per statement.
        const PER_STATEMENT: usize = 500;
        let mut found = HashSet::new();
        if period.affiliates.is_empty() {
            return Ok(found);
        }
        let col = group_column(by);
        for chunk in groups.chunks(PER_STATEMENT) {
            let first = period.parameters() + 1;
            let list = (first..first + chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            // An affiliate id has no `/`: `affiliate/key` names one group.
            let sql = format!(
                "SELECT affiliate, {col} AS k FROM funnel_counts WHERE {} \
                 AND affiliate || '/' || {col} IN ({list}) GROUP BY affiliate, {col}",
                period.funnel_filter()
            );
            let mut query = period.bind(sqlx::query(&sql));
            for (affiliate, key) in chunk {
                query = query.bind(format!("{affiliate}/{}", stored(key.as_deref())));
            }
            for row in query
                .fetch_all(&self.reader)
                .await
                .context("looking for funnel groups")?
            {
                found.insert((row.try_get("affiliate")?, read(row.try_get("k")?)));
            }
        }
        Ok(found)
    }

    /// Each order made through one of the period's affiliates whose checkout was made
    /// in `since_ms..until_ms`, with a session, and that may have been paid (pending
    /// and expired ones, anyone's unpaid checkouts, are never read), given to `each` one
    /// at a time as the database answers: no list of them is kept.
    ///
    /// # Errors
    /// On database errors, or stored values that do not read back.
    pub async fn for_each_paid_order(
        &self,
        period: &Period<'_>,
        since_ms: i64,
        until_ms: i64,
        mut each: impl FnMut(AttributedOrder),
    ) -> Result<()> {
        if period.affiliates.is_empty() {
            return Ok(());
        }
        let ids = (0..period.affiliates.len())
            .map(|i| format!("${}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT affiliate, placement, page_path, destination, created_at, plan_json, facts_json \
             FROM orders WHERE affiliate IN ({ids}) AND session_id IS NOT NULL \
             AND created_at >= $1 AND created_at < $2 AND state NOT IN ('pending', 'expired')"
        );
        let mut query = sqlx::query(&sql).bind(since_ms).bind(until_ms);
        for id in period.affiliates {
            query = query.bind(id.as_str());
        }
        let mut rows = query.fetch(&self.reader);
        while let Some(row) = rows.try_next().await.context("reading attributed orders")? {
            each(AttributedOrder {
                key: FunnelKey {
                    affiliate: row.try_get("affiliate")?,
                    placement: row.try_get("placement")?,
                    page_path: row.try_get("page_path")?,
                    destination: row.try_get("destination")?,
                },
                created_at: row.try_get("created_at")?,
                plan: from_json(&row.try_get::<String, _>("plan_json")?)?,
                facts: from_json(&row.try_get::<String, _>("facts_json")?)?,
            });
        }
        Ok(())
    }
}
