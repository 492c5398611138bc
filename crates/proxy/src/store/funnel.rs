//! Affiliates in the store: the attribution of orders (columns of `orders`) and the
//! `funnel_counts` table, a count per day and key, upserted by each beacon.

use anyhow::{Context, Result};
use simology_proxy_api::{FunnelEvent, OrderPlan};
use sqlx::Row;

use super::connection::{from_json, Store};
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

    /// Counts one event: a single upsert, so concurrent beacons and replicas add up.
    ///
    /// # Errors
    /// On database errors.
    pub async fn count_event(&self, day: &str, key: &FunnelKey, event: FunnelEvent) -> Result<()> {
        sqlx::query(
            "INSERT INTO funnel_counts (day, affiliate, placement, page_path, destination, event, count) \
             VALUES ($1, $2, $3, $4, $5, $6, 1) \
             ON CONFLICT (day, affiliate, placement, page_path, destination, event) \
             DO UPDATE SET count = funnel_counts.count + 1",
        )
        .bind(day)
        .bind(&key.affiliate)
        .bind(stored(key.placement.as_deref()))
        .bind(stored(key.page_path.as_deref()))
        .bind(stored(key.destination.as_deref()))
        .bind(event.as_str())
        .execute(&self.writer)
        .await
        .context("counting a funnel event")?;
        Ok(())
    }

    /// The counts of the days `since..=until` (`YYYY-MM-DD`), of one affiliate or all.
    ///
    /// # Errors
    /// On database errors, or a stored event of no known name.
    pub async fn funnel_counts(
        &self,
        since: &str,
        until: &str,
        affiliate: Option<&str>,
    ) -> Result<Vec<FunnelCount>> {
        let rows = sqlx::query(
            "SELECT day, affiliate, placement, page_path, destination, event, count FROM funnel_counts \
             WHERE day >= $1 AND day <= $2 AND ($3 = '' OR affiliate = $3)",
        )
        .bind(since)
        .bind(until)
        .bind(stored(affiliate))
        .fetch_all(&self.reader)
        .await
        .context("reading funnel counts")?;
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

    /// Orders made through an affiliate (one or all) whose checkout was made in
    /// `since_ms..until_ms`, with a session (a reservation the upstream never saw is
    /// no sale).
    ///
    /// # Errors
    /// On database errors, or stored values that do not read back.
    pub async fn attributed_orders(
        &self,
        since_ms: i64,
        until_ms: i64,
        affiliate: Option<&str>,
    ) -> Result<Vec<AttributedOrder>> {
        let rows = sqlx::query(
            "SELECT affiliate, placement, page_path, destination, created_at, plan_json, facts_json \
             FROM orders WHERE affiliate IS NOT NULL AND session_id IS NOT NULL \
             AND created_at >= $1 AND created_at < $2 AND ($3 = '' OR affiliate = $3)",
        )
        .bind(since_ms)
        .bind(until_ms)
        .bind(stored(affiliate))
        .fetch_all(&self.reader)
        .await
        .context("reading attributed orders")?;
        rows.iter()
            .map(|row| {
                Ok(AttributedOrder {
                    key: FunnelKey {
                        affiliate: row.try_get("affiliate")?,
                        placement: row.try_get("placement")?,
                        page_path: row.try_get("page_path")?,
                        destination: row.try_get("destination")?,
                    },
                    created_at: row.try_get("created_at")?,
                    plan: from_json(&row.try_get::<String, _>("plan_json")?)?,
                    facts: from_json(&row.try_get::<String, _>("facts_json")?)?,
                })
            })
            .collect()
    }
}
