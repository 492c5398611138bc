//! The `orders` table: reservations, checkout sessions, facts, claims.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use simology_proxy_api::{OrderPlan, OrderState};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row, Transaction};

use super::connection::{from_json, json, stored_ref, Outbox, Store};
use super::notify::{Changes, Changing};
use super::outbox::{deliveries_of, write_deliveries, NewDelivery};
use crate::clock::{duration_ms, now_ms};
use crate::domain::{Locale, OrderRef, RefTag, ReturnUrl, Sku};
use crate::order::{Facts, OrderKind};
use crate::outgoing::events::Subject;

/// An order as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRow {
    /// The reference.
    pub order_ref: OrderRef,
    /// What it buys.
    pub kind: OrderKind,
    /// For a top-up, the order of the line.
    pub parent_ref: Option<OrderRef>,
    /// For a top-up, the line (its ICCID) it adds data to.
    pub parent_iccid: Option<String>,
    /// The SKU.
    pub sku: Sku,
    /// How many.
    pub quantity: u32,
    /// The plan as bought.
    pub plan: OrderPlan,
    /// The traveller's locale.
    pub locale: Locale,
    /// The page to return to (see [`ReturnUrl::from_stored`]).
    pub return_url: ReturnUrl,
    /// Fingerprint of the checkout request (conflict detection for reused intents).
    pub fingerprint: String,
    /// Upstream checkout session.
    pub session_id: Option<String>,
    /// The payment page.
    pub payment_url: Option<String>,
    /// When the session expires, Unix ms.
    pub session_expires_at: Option<i64>,
    /// What is known.
    pub facts: Facts,
    /// The refund asked for, if any.
    pub refund_id: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
    /// Bumped on every change.
    pub version: i64,
}

/// A new order to reserve before calling upstream.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// A fresh reference.
    pub order_ref: OrderRef,
    /// What it buys.
    pub kind: OrderKind,
    /// For a top-up.
    pub parent_ref: Option<OrderRef>,
    /// For a top-up, the line it adds data to.
    pub parent_iccid: Option<String>,
    /// The upstream idempotency key (unique per intent).
    pub intent_key: String,
    /// Fingerprint of the request.
    pub fingerprint: String,
    /// The plan.
    pub plan: OrderPlan,
    /// Locale.
    pub locale: Locale,
    /// Return page.
    pub return_url: ReturnUrl,
}

const ORDER_COLUMNS: &str = "order_ref, kind, parent_ref, parent_iccid, sku, quantity, plan_json, locale, return_url, \
     fingerprint, session_id, payment_url, session_expires_at, facts_json, refund_id, created_at, updated_at, version";

fn order_from_row(row: &AnyRow) -> Result<OrderRow> {
    let quantity: i64 = row.try_get("quantity")?;
    let kind: String = row.try_get("kind")?;
    let sku: String = row.try_get("sku")?;
    Ok(OrderRow {
        order_ref: stored_ref(&row.try_get::<String, _>("order_ref")?)?,
        kind: OrderKind::parse(&kind)
            .with_context(|| format!("a stored order kind is unknown: {kind:?}"))?,
        parent_ref: row
            .try_get::<Option<String>, _>("parent_ref")?
            .as_deref()
            .map(stored_ref)
            .transpose()?,
        parent_iccid: row.try_get("parent_iccid")?,
        sku: Sku::parse(&sku).with_context(|| format!("a stored SKU is malformed: {sku:?}"))?,
        quantity: u32::try_from(quantity).unwrap_or(1),
        plan: from_json(&row.try_get::<String, _>("plan_json")?)?,
        locale: Locale::parse_or_default(&row.try_get::<String, _>("locale")?),
        return_url: ReturnUrl::from_stored(&row.try_get::<String, _>("return_url")?)?,
        fingerprint: row.try_get("fingerprint")?,
        session_id: row.try_get("session_id")?,
        payment_url: row.try_get("payment_url")?,
        session_expires_at: row.try_get("session_expires_at")?,
        facts: from_json(&row.try_get::<String, _>("facts_json")?)?,
        refund_id: row.try_get("refund_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

/// The order whose `column` (a unique one) is `value`.
async fn order_where(
    pool: &AnyPool,
    column: &'static str,
    value: &str,
) -> Result<Option<OrderRow>> {
    let row = sqlx::query(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE {column} = $1"
    ))
    .bind(value)
    .fetch_optional(pool)
    .await
    .with_context(|| format!("reading an order by {column}"))?;
    row.as_ref().map(order_from_row).transpose()
}

/// Marks an event applied to `order_ref`, in the transaction that changed the order.
async fn mark_applied(
    tx: &mut Transaction<'_, Any>,
    event_id: &str,
    order_ref: &OrderRef,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_events SET processed_at = $2, payload = NULL, last_error = NULL, \
         order_ref = $3, attempts = attempts + 1 WHERE event_id = $1",
    )
    .bind(event_id)
    .bind(now)
    .bind(order_ref.as_str())
    .execute(&mut **tx)
    .await
    .context("marking an event processed")?;
    Ok(())
}

/// How many times a change of an order is tried again on a fresh read when another
/// writer changed the order first.
const OPTIMISTIC_ATTEMPTS: usize = 20;

/// Who made an order's sale, as the outbox's events say it (columns beside the order's).
struct SaleColumns {
    affiliate: Option<String>,
    placement: Option<String>,
    destination: Option<String>,
    click_id: Option<String>,
}

fn sale_columns(row: &AnyRow) -> Result<SaleColumns> {
    Ok(SaleColumns {
        affiliate: row.try_get("affiliate")?,
        placement: row.try_get("placement")?,
        destination: row.try_get("destination")?,
        click_id: row.try_get("click_id")?,
    })
}

/// What [`merge_facts`] did: the order as written, and the mark of its change (when
/// it changed).
pub(super) struct Merged {
    pub(super) row: OrderRow,
    pub(super) changing: Option<Changing>,
}

/// Merges facts into an order within `tx` and, there too, marks an event applied to
/// it; adds the deliveries of the change's events to `deliveries` (see
/// `outgoing::events`), which the caller writes in the same transaction
/// (`outbox::write_deliveries`), then commits, then drops the [`Changing`] mark (when
/// the order changed), which announces the change. A concurrent change (another replica's, committed first) is
/// merged again on a fresh read in the same transaction: each statement reads the
/// latest committed row, and only the writer whose update lands makes the events.
///
/// # Errors
/// On database errors, or when the order does not exist.
pub(super) async fn merge_facts(
    tx: &mut Transaction<'_, Any>,
    changes: &Changes,
    outbox: &Outbox,
    order_ref: &OrderRef,
    patch: &Facts,
    event_id: Option<&str>,
    deliveries: &mut Vec<NewDelivery>,
) -> Result<Merged> {
    for _ in 0..OPTIMISTIC_ATTEMPTS {
        let row = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS}, affiliate, placement, destination, click_id FROM orders WHERE order_ref = $1"
        ))
        .bind(order_ref.as_str())
        .fetch_optional(&mut **tx)
        .await
        .context("reading an order")?
        .with_context(|| format!("order {} does not exist", RefTag(order_ref)))?;
        let current = order_from_row(&row)?;
        let merged = current.facts.merged(patch);
        let now = now_ms();
        let changed = merged != current.facts;
        let mut changing = None;
        let written = if !changed {
            current
        } else {
            let done = sqlx::query(
                "UPDATE orders SET facts_json = $2, state = $3, upstream_order_id = COALESCE(upstream_order_id, $4), \
                 updated_at = $5, version = version + 1 WHERE order_ref = $1 AND version = $6",
            )
            .bind(order_ref.as_str())
            .bind(json(&merged)?)
            .bind(merged.state().as_str())
            .bind(merged.upstream_order_id.clone())
            .bind(now)
            .bind(current.version)
            .execute(&mut **tx)
            .await
            .context("updating an order")?;
            if done.rows_affected() == 0 {
                // Another writer got there first; read again and merge again.
                continue;
            }
            changing = Some(changes.tell_replicas(tx, order_ref).await?);
            if let Some(routes) = outbox.routes() {
                let sale = sale_columns(&row)?;
                let subject = Subject {
                    order_ref,
                    kind: current.kind,
                    plan: &current.plan,
                    parent_ref: current.parent_ref.as_ref(),
                    parent_iccid: current.parent_iccid.as_deref(),
                    affiliate: sale.affiliate.as_deref(),
                    placement: sale.placement.as_deref(),
                    destination: sale.destination.as_deref(),
                    click_id: sale.click_id.as_deref(),
                    commission_bps: sale
                        .affiliate
                        .as_deref()
                        .and_then(|a| routes.commission_bps(a)),
                };
                deliveries_of(routes, &subject, &current.facts, &merged, now, deliveries);
            }
            OrderRow {
                facts: merged,
                updated_at: now,
                version: current.version + 1,
                ..current
            }
        };
        if let Some(event_id) = event_id {
            mark_applied(tx, event_id, order_ref, now).await?;
        }
        return Ok(Merged {
            row: written,
            changing,
        });
    }
    bail!(
        "order {} kept changing under {OPTIMISTIC_ATTEMPTS} attempts",
        RefTag(order_ref)
    )
}

impl Store {
    /// Reserves an order for an intent, or returns the order already reserved for it.
    ///
    /// # Errors
    /// On database errors.
    pub async fn reserve(&self, new: &NewOrder) -> Result<OrderRow> {
        let now = now_ms();
        let facts = Facts::reserved(new.kind, new.plan.quantity);
        sqlx::query(
            "INSERT INTO orders (order_ref, kind, parent_ref, intent_key, fingerprint, sku, quantity, plan_json, \
             locale, return_url, facts_json, state, created_at, updated_at, parent_iccid) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14) \
             ON CONFLICT (intent_key) DO NOTHING",
        )
        .bind(new.order_ref.as_str())
        .bind(new.kind.as_str())
        .bind(new.parent_ref.as_ref().map(OrderRef::as_str))
        .bind(&new.intent_key)
        .bind(&new.fingerprint)
        .bind(&new.plan.sku)
        .bind(i64::from(new.plan.quantity))
        .bind(json(&new.plan)?)
        .bind(new.locale.as_str())
        .bind(new.return_url.as_str())
        .bind(json(&facts)?)
        .bind(facts.state().as_str())
        .bind(now)
        .bind(new.parent_iccid.as_deref())
        .execute(&self.writer)
        .await
        .context("reserving an order")?;
        order_where(&self.writer, "intent_key", &new.intent_key)
            .await?
            .context("a reserved order is not there")
    }

    /// Records the upstream session of a reserved order.
    ///
    /// # Errors
    /// On database errors.
    pub async fn attach_session(
        &self,
        order_ref: &OrderRef,
        session_id: &str,
        payment_url: &str,
        expires_at_ms: i64,
    ) -> Result<()> {
        let changing = self.changes.changing(order_ref);
        sqlx::query(
            "UPDATE orders SET session_id = $2, payment_url = $3, session_expires_at = $4, \
             updated_at = $5, version = version + 1 WHERE order_ref = $1 AND session_id IS NULL",
        )
        .bind(order_ref.as_str())
        .bind(session_id)
        .bind(payment_url)
        .bind(expires_at_ms)
        .bind(now_ms())
        .execute(&self.writer)
        .await
        .context("recording a checkout session")?;
        changing.committed(&self.writer).await
    }

    /// Drops a reservation the upstream refused (no session was made), so that the
    /// intent can be tried again.
    ///
    /// # Errors
    /// On database errors.
    pub async fn release(&self, order_ref: &OrderRef) -> Result<()> {
        sqlx::query("DELETE FROM orders WHERE order_ref = $1 AND session_id IS NULL")
            .bind(order_ref.as_str())
            .execute(&self.writer)
            .await
            .context("releasing a reservation")?;
        Ok(())
    }

    /// An order by reference.
    ///
    /// # Errors
    /// On database errors.
    pub async fn order(&self, order_ref: &OrderRef) -> Result<Option<OrderRow>> {
        order_where(&self.reader, "order_ref", order_ref.as_str()).await
    }

    /// The order an event is about: by upstream order id, else by session id.
    ///
    /// # Errors
    /// On database errors.
    pub async fn find_order(
        &self,
        upstream_order_id: Option<&str>,
        session_id: Option<&str>,
    ) -> Result<Option<OrderRow>> {
        for (column, id) in [
            ("upstream_order_id", upstream_order_id),
            ("session_id", session_id),
        ] {
            if let Some(id) = id {
                if let Some(row) = order_where(&self.writer, column, id).await? {
                    return Ok(Some(row));
                }
            }
        }
        Ok(None)
    }

    /// Merges facts into an order and, in the same transaction, marks an event
    /// processed. Returns the order as written. A concurrent change is retried on the
    /// fresh row; nothing is lost.
    ///
    /// # Errors
    /// On database errors, or when the order does not exist.
    pub async fn apply_facts(
        &self,
        order_ref: &OrderRef,
        patch: &Facts,
        event_id: Option<&str>,
    ) -> Result<OrderRow> {
        let mut tx = self
            .writer
            .begin()
            .await
            .context("starting a transaction")?;
        let mut deliveries = Vec::new();
        let merged = merge_facts(
            &mut tx,
            &self.changes,
            &self.outbox,
            order_ref,
            patch,
            event_id,
            &mut deliveries,
        )
        .await?;
        let outbox = write_deliveries(&mut tx, &deliveries, now_ms()).await?;
        tx.commit().await.context("committing an order change")?;
        // Announced here, once committed.
        drop(merged.changing);
        if outbox {
            self.wake_outbox();
        }
        Ok(merged.row)
    }

    /// Records a refund request (entitlements change only on `refund.processed`).
    ///
    /// # Errors
    /// On database errors.
    pub async fn set_refund(&self, order_ref: &OrderRef, refund_id: &str) -> Result<()> {
        let changing = self.changes.changing(order_ref);
        sqlx::query("UPDATE orders SET refund_id = $2, updated_at = $3 WHERE order_ref = $1")
            .bind(order_ref.as_str())
            .bind(refund_id)
            .bind(now_ms())
            .execute(&self.writer)
            .await
            .context("recording a refund")?;
        // `updated_at` is in the order's view.
        changing.committed(&self.writer).await
    }

    /// Orders the reconciler should look at: with a session, not final, untouched since
    /// `stale_before`, and due; each is pushed back by `backoff` so that a replica's
    /// claim holds.
    ///
    /// # Errors
    /// On database errors.
    pub async fn claim_stale(
        &self,
        stale_before: i64,
        backoff: Duration,
        limit: i64,
    ) -> Result<Vec<OrderRow>> {
        let now = now_ms();
        let [a, b, c] = NOT_FINAL;
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE state IN ($4, $5, $6) \
             AND session_id IS NOT NULL AND updated_at < $1 AND reconcile_after <= $2 ORDER BY updated_at LIMIT $3"
        ))
        .bind(stale_before)
        .bind(now)
        .bind(limit)
        .bind(a.as_str())
        .bind(b.as_str())
        .bind(c.as_str())
        .fetch_all(&self.writer)
        .await
        .context("finding stale orders")?;
        let next = now.saturating_add(duration_ms(backoff));
        let mut claimed = Vec::new();
        for row in &rows {
            let order = order_from_row(row)?;
            // Claim: only the writer that moves reconcile_after forward gets the order.
            let done = sqlx::query("UPDATE orders SET reconcile_after = $2 WHERE order_ref = $1 AND reconcile_after <= $3")
                .bind(order.order_ref.as_str())
                .bind(next)
                .bind(now)
                .execute(&self.writer)
                .await
                .context("claiming a stale order")?;
            if done.rows_affected() == 1 {
                claimed.push(order);
            }
        }
        Ok(claimed)
    }

    /// Pending orders whose checkout session has expired.
    ///
    /// # Errors
    /// On database errors.
    pub async fn expired_sessions(&self, now: i64, limit: i64) -> Result<Vec<OrderRef>> {
        let rows = sqlx::query(
            "SELECT order_ref FROM orders WHERE state = $3 AND session_expires_at IS NOT NULL \
             AND session_expires_at < $1 LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .bind(OrderState::Pending.as_str())
        .fetch_all(&self.writer)
        .await
        .context("finding expired sessions")?;
        rows.iter()
            .map(|r| stored_ref(&r.try_get::<String, _>("order_ref")?))
            .collect()
    }

    /// Drops reservations that never got a session (the upstream call failed and the
    /// widget gave up), older than `before`.
    ///
    /// # Errors
    /// On database errors.
    pub async fn drop_stale_reservations(&self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM orders WHERE session_id IS NULL AND created_at < $1")
            .bind(before)
            .execute(&self.writer)
            .await
            .context("dropping stale reservations")?;
        Ok(done.rows_affected())
    }

    /// Paid `Esim` orders that still lack lines they are owed (see
    /// [`Facts::short_of_lines`]) and were paid before `paid_before` (Unix ms), oldest
    /// first: what the reconciler could not complete in its window. Only orders not
    /// final are read, which are few.
    ///
    /// # Errors
    /// On database errors.
    pub async fn incomplete_orders(&self, paid_before: i64) -> Result<Vec<OrderRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE kind = $1 AND state IN ($2, $3) ORDER BY created_at"
        ))
        .bind(OrderKind::Esim.as_str())
        .bind(OrderState::Paid.as_str())
        .bind(OrderState::Provisioning.as_str())
        .fetch_all(&self.reader)
        .await
        .context("finding incomplete orders")?;
        let mut incomplete = Vec::new();
        for row in &rows {
            let order = order_from_row(row)?;
            if order.facts.short_of_lines()
                && order.facts.paid_since().is_some_and(|t| t < paid_before)
            {
                incomplete.push(order);
            }
        }
        Ok(incomplete)
    }

    /// Every order (for tests and the admin CLI), newest first.
    ///
    /// # Errors
    /// On database errors.
    pub async fn all_orders(&self) -> Result<Vec<OrderRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders ORDER BY created_at DESC"
        ))
        .fetch_all(&self.reader)
        .await
        .context("listing orders")?;
        rows.iter().map(order_from_row).collect()
    }
}

/// The states the reconciler looks after: every state that is not final.
const NOT_FINAL: [OrderState; 3] = [
    OrderState::Pending,
    OrderState::Paid,
    OrderState::Provisioning,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reconciler_looks_after_exactly_the_states_that_are_not_final() {
        let not_final: Vec<OrderState> = OrderState::ALL
            .into_iter()
            .filter(|s| !s.is_final())
            .collect();
        assert_eq!(not_final, NOT_FINAL);
    }
}
