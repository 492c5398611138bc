//! The store: orders and webhook events, in SQLite (default) or PostgreSQL, chosen by
//! the database URL. All SQL of the proxy lives here.
//!
//! Writes that change an order use optimistic concurrency (`WHERE version = ?`) and
//! are retried, so concurrent webhooks, reconcilers and replicas never lose an update.
//! Every committed change of an order is announced on [`Store::subscribe`], which the
//! long-poll waits on.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::{de::DeserializeOwned, Serialize};
use simology_proxy_api::OrderPlan;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use tokio::sync::broadcast;

use crate::domain::OrderRef;
use crate::order::Facts;

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// An order as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRow {
    /// The reference.
    pub order_ref: OrderRef,
    /// `esim` or `topup`.
    pub kind: String,
    /// For a top-up, the order of the line.
    pub parent_ref: Option<OrderRef>,
    /// The SKU.
    pub sku: String,
    /// How many.
    pub quantity: u32,
    /// The plan as bought.
    pub plan: OrderPlan,
    /// The traveller's locale.
    pub locale: String,
    /// The page to return to.
    pub return_url: String,
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
    /// `esim` or `topup`.
    pub kind: &'static str,
    /// For a top-up.
    pub parent_ref: Option<OrderRef>,
    /// The upstream idempotency key (unique per intent).
    pub intent_key: String,
    /// Fingerprint of the request.
    pub fingerprint: String,
    /// The plan.
    pub plan: OrderPlan,
    /// Locale.
    pub locale: String,
    /// Return page.
    pub return_url: String,
}

/// A stored webhook event.
#[derive(Debug, Clone)]
pub struct EventRow {
    /// Event id.
    pub event_id: String,
    /// Type.
    pub event_type: String,
    /// The raw body (until processed).
    pub payload: Option<String>,
    /// Attempts so far.
    pub attempts: i64,
}

/// The store.
#[derive(Clone)]
pub struct Store {
    writer: AnyPool,
    reader: AnyPool,
    backend: Backend,
    changes: broadcast::Sender<String>,
}

/// The PostgreSQL channel order changes are announced on.
const NOTIFY_CHANNEL: &str = "simology_orders";

const ORDER_COLUMNS: &str = "order_ref, kind, parent_ref, sku, quantity, plan_json, locale, return_url, \
     fingerprint, session_id, payment_url, session_expires_at, facts_json, refund_id, created_at, updated_at, version";

fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).context("serialising a stored value")
}

fn from_json<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).context("reading a stored value")
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

/// A stored reference, checked: the store only ever holds references the proxy made.
fn stored_ref(text: &str) -> Result<OrderRef> {
    OrderRef::parse(text)
        .with_context(|| format!("a stored order reference is malformed: {text:?}"))
}

fn order_from_row(row: &AnyRow) -> Result<OrderRow> {
    let quantity: i64 = row.try_get("quantity")?;
    Ok(OrderRow {
        order_ref: stored_ref(&row.try_get::<String, _>("order_ref")?)?,
        kind: row.try_get("kind")?,
        parent_ref: row
            .try_get::<Option<String>, _>("parent_ref")?
            .as_deref()
            .map(stored_ref)
            .transpose()?,
        sku: row.try_get("sku")?,
        quantity: u32::try_from(quantity).unwrap_or(1),
        plan: from_json(&row.try_get::<String, _>("plan_json")?)?,
        locale: row.try_get("locale")?,
        return_url: row.try_get("return_url")?,
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

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(i64::MAX)
}

fn state_name(facts: &Facts) -> &'static str {
    use simology_proxy_api::OrderState::*;
    match facts.state() {
        Pending => "pending",
        Paid => "paid",
        Provisioning => "provisioning",
        Ready => "ready",
        Failed => "failed",
        Expired => "expired",
        Refunded => "refunded",
    }
}

impl Store {
    /// Connects, creating the SQLite file (and its folder) when needed, and applies
    /// the migrations.
    ///
    /// # Errors
    /// When the URL is of no known database, or the database cannot be opened or
    /// migrated.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            bail!("the database URL must start with sqlite: or postgres:");
        };
        let (writer, reader) = match backend {
            Backend::Sqlite => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:")
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if let Some(dir) = Path::new(&path).parent() {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(dir)
                            .with_context(|| format!("creating {}", dir.display()))?;
                    }
                }
                let url = if url.contains('?') {
                    url.to_owned()
                } else {
                    format!("{url}?mode=rwc")
                };
                // One writer connection serialises writes (SQLite allows one writer at
                // a time anyway); readers run beside it thanks to WAL.
                let writer = sqlite_pool(&url, 1).await?;
                let reader = sqlite_pool(&url, 8).await?;
                (writer, reader)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await
                    .context("connecting to PostgreSQL")?;
                (pool.clone(), pool)
            }
        };
        let migrator = match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator
            .run(&writer)
            .await
            .context("applying database migrations")?;
        let (changes, _) = broadcast::channel(4096);
        let store = Store {
            writer,
            reader,
            backend,
            changes,
        };
        if backend == Backend::Postgres {
            store.listen_to_other_replicas(url.to_owned());
        }
        Ok(store)
    }

    /// With PostgreSQL, replicas announce their order changes with `NOTIFY`; this
    /// replica's long-polls wake on them as on its own. After a reconnection, every
    /// waiter is woken (`*`) to re-read, since notifications may have been missed.
    fn listen_to_other_replicas(&self, url: String) {
        let changes = self.changes.clone();
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            loop {
                let mut listener = match sqlx::postgres::PgListener::connect(&url).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for other replicas' changes; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        continue;
                    }
                };
                if let Err(e) = listener.listen(NOTIFY_CHANNEL).await {
                    tracing::warn!(error = %e, "LISTEN failed; retrying");
                    tokio::time::sleep(backoff).await;
                    continue;
                }
                backoff = Duration::from_millis(100);
                let _ = changes.send("*".to_owned());
                // `Ok(None)`: the connection dropped; reconnect, then wake everyone.
                while let Ok(Some(n)) = listener.try_recv().await {
                    let _ = changes.send(n.payload().to_owned());
                }
            }
        });
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Order references, as each change commits.
    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.changes.subscribe()
    }

    /// Announces a change (also used for changes made by other replicas).
    pub fn announce(&self, order_ref: &OrderRef) {
        let _ = self.changes.send(order_ref.as_str().to_owned());
    }

    /// Whether the database answers.
    ///
    /// # Errors
    /// When it does not.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .context("database ping")?;
        Ok(())
    }

    /// Reserves an order for an intent, or returns the order already reserved for it.
    ///
    /// # Errors
    /// On database errors.
    pub async fn reserve(&self, new: &NewOrder) -> Result<OrderRow> {
        let now = now_ms();
        let facts = Facts::default();
        sqlx::query(
            "INSERT INTO orders (order_ref, kind, parent_ref, intent_key, fingerprint, sku, quantity, plan_json, \
             locale, return_url, facts_json, state, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) \
             ON CONFLICT (intent_key) DO NOTHING",
        )
        .bind(new.order_ref.as_str())
        .bind(new.kind)
        .bind(new.parent_ref.as_ref().map(OrderRef::as_str))
        .bind(&new.intent_key)
        .bind(&new.fingerprint)
        .bind(&new.plan.sku)
        .bind(i64::from(new.plan.quantity))
        .bind(json(&new.plan)?)
        .bind(&new.locale)
        .bind(&new.return_url)
        .bind(json(&facts)?)
        .bind(state_name(&facts))
        .bind(now)
        .execute(&self.writer)
        .await
        .context("reserving an order")?;
        let row = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE intent_key = $1"
        ))
        .bind(&new.intent_key)
        .fetch_one(&self.writer)
        .await
        .context("reading a reserved order")?;
        order_from_row(&row)
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
        Ok(())
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

    /// The top-ups of an order.
    ///
    /// # Errors
    /// On database errors.
    pub async fn topups_of(&self, parent_ref: &OrderRef) -> Result<Vec<OrderRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE parent_ref = $1 ORDER BY created_at"
        ))
        .bind(parent_ref.as_str())
        .fetch_all(&self.reader)
        .await
        .context("reading top-ups")?;
        rows.iter().map(order_from_row).collect()
    }

    /// Merges facts into an order and, in the same transaction, marks an event
    /// processed. Returns the order after the change. A concurrent change is retried
    /// on the fresh row; nothing is lost.
    ///
    /// # Errors
    /// On database errors, or when the order does not exist.
    pub async fn apply_facts(
        &self,
        order_ref: &OrderRef,
        patch: &Facts,
        event_id: Option<&str>,
    ) -> Result<OrderRow> {
        for _ in 0..20 {
            let mut tx = self
                .writer
                .begin()
                .await
                .context("starting a transaction")?;
            let row = sqlx::query(&format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE order_ref = $1"
            ))
            .bind(order_ref.as_str())
            .fetch_optional(&mut *tx)
            .await
            .context("reading an order")?
            .with_context(|| format!("order {order_ref} does not exist"))?;
            let current = order_from_row(&row)?;
            let merged = current.facts.merged(patch);
            let changed = merged != current.facts;
            if changed {
                let now = now_ms();
                let done = sqlx::query(
                    "UPDATE orders SET facts_json = $2, state = $3, upstream_order_id = COALESCE(upstream_order_id, $4), \
                     updated_at = $5, version = version + 1 WHERE order_ref = $1 AND version = $6",
                )
                .bind(order_ref.as_str())
                .bind(json(&merged)?)
                .bind(state_name(&merged))
                .bind(merged.upstream_order_id.clone())
                .bind(now)
                .bind(current.version)
                .execute(&mut *tx)
                .await
                .context("updating an order")?;
                if done.rows_affected() == 0 {
                    // Another writer got there first; read again and merge again.
                    tx.rollback().await.ok();
                    continue;
                }
                if self.backend == Backend::Postgres {
                    // Delivered to every replica when this transaction commits.
                    sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(NOTIFY_CHANNEL)
                        .bind(order_ref.as_str())
                        .execute(&mut *tx)
                        .await
                        .context("announcing an order change")?;
                }
            }
            if let Some(event_id) = event_id {
                sqlx::query(
                    "UPDATE webhook_events SET processed_at = $2, payload = NULL, last_error = NULL, \
                     order_ref = $3, attempts = attempts + 1 WHERE event_id = $1",
                )
                .bind(event_id)
                .bind(now_ms())
                .bind(order_ref.as_str())
                .execute(&mut *tx)
                .await
                .context("marking an event processed")?;
            }
            tx.commit().await.context("committing an order change")?;
            if changed {
                self.announce(order_ref);
            }
            return self
                .order(order_ref)
                .await?
                .with_context(|| format!("order {order_ref} vanished"));
        }
        bail!("order {order_ref} kept changing under 20 attempts")
    }

    /// Records a refund request (entitlements change only on `refund.processed`).
    ///
    /// # Errors
    /// On database errors.
    pub async fn set_refund(&self, order_ref: &OrderRef, refund_id: &str) -> Result<()> {
        sqlx::query("UPDATE orders SET refund_id = $2, updated_at = $3 WHERE order_ref = $1")
            .bind(order_ref.as_str())
            .bind(refund_id)
            .bind(now_ms())
            .execute(&self.writer)
            .await
            .context("recording a refund")?;
        Ok(())
    }

    /// Stores a verified webhook event. Returns `false` for an id already stored.
    ///
    /// # Errors
    /// On database errors: the caller must then answer non-2xx so the event is resent.
    pub async fn insert_event(
        &self,
        event_id: &str,
        event_type: &str,
        payload: &str,
    ) -> Result<bool> {
        let now = now_ms();
        let done = sqlx::query(
            "INSERT INTO webhook_events (event_id, event_type, payload, received_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(event_id)
        .bind(event_type)
        .bind(payload)
        .bind(now)
        .execute(&self.writer)
        .await
        .context("storing a webhook event")?;
        Ok(done.rows_affected() == 1)
    }

    /// Events not yet processed whose next attempt is due.
    ///
    /// # Errors
    /// On database errors.
    pub async fn due_events(&self, limit: i64) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(
            "SELECT event_id, event_type, payload, attempts FROM webhook_events \
             WHERE processed_at IS NULL AND next_attempt_at <= $1 ORDER BY received_at LIMIT $2",
        )
        .bind(now_ms())
        .bind(limit)
        .fetch_all(&self.writer)
        .await
        .context("reading due events")?;
        rows.iter()
            .map(|r| {
                Ok(EventRow {
                    event_id: r.try_get("event_id")?,
                    event_type: r.try_get("event_type")?,
                    payload: r.try_get("payload")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    /// Claims a due event for `lease` (PostgreSQL): only the replica whose update moves
    /// its next attempt forward processes it; if that replica dies, the lease runs out
    /// and the event is due again.
    ///
    /// # Errors
    /// On database errors.
    pub async fn claim_event(&self, event_id: &str, lease: Duration) -> Result<bool> {
        if self.backend == Backend::Sqlite {
            // One process owns a SQLite file, and its processor takes each due event
            // once: a claim would only cost a write (an fsync) per event.
            return Ok(true);
        }
        let now = now_ms();
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let done = sqlx::query(
            "UPDATE webhook_events SET next_attempt_at = $2 WHERE event_id = $1 AND processed_at IS NULL AND next_attempt_at <= $3",
        )
        .bind(event_id)
        .bind(until)
        .bind(now)
        .execute(&self.writer)
        .await
        .context("claiming an event")?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks an event processed without an order change (an unknown type).
    ///
    /// # Errors
    /// On database errors.
    pub async fn mark_processed(&self, event_id: &str, note: &str) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_events SET processed_at = $2, payload = NULL, last_error = $3, attempts = attempts + 1 \
             WHERE event_id = $1",
        )
        .bind(event_id)
        .bind(now_ms())
        .bind(note)
        .execute(&self.writer)
        .await
        .context("marking an event processed")?;
        Ok(())
    }

    /// Records a failed processing attempt; the event stays stored and is tried again
    /// after `retry_in`.
    ///
    /// # Errors
    /// On database errors.
    pub async fn mark_failed(&self, event_id: &str, error: &str, retry_in: Duration) -> Result<()> {
        let retry_ms = i64::try_from(retry_in.as_millis()).unwrap_or(i64::MAX);
        sqlx::query(
            "UPDATE webhook_events SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 \
             WHERE event_id = $1 AND processed_at IS NULL",
        )
        .bind(event_id)
        .bind(error.chars().take(500).collect::<String>())
        .bind(now_ms().saturating_add(retry_ms))
        .execute(&self.writer)
        .await
        .context("recording an event failure")?;
        Ok(())
    }

    /// Counts of events: (stored, processed, waiting).
    ///
    /// # Errors
    /// On database errors.
    pub async fn event_counts(&self) -> Result<(i64, i64, i64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS total, COUNT(processed_at) AS processed FROM webhook_events",
        )
        .fetch_one(&self.reader)
        .await
        .context("counting events")?;
        let total: i64 = row.try_get("total")?;
        let processed: i64 = row.try_get("processed")?;
        Ok((total, processed, total - processed))
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
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE state IN ('pending', 'paid', 'provisioning') \
             AND session_id IS NOT NULL AND updated_at < $1 AND reconcile_after <= $2 ORDER BY updated_at LIMIT $3"
        ))
        .bind(stale_before)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.writer)
        .await
        .context("finding stale orders")?;
        let next = now.saturating_add(i64::try_from(backoff.as_millis()).unwrap_or(i64::MAX));
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
            "SELECT order_ref FROM orders WHERE state = 'pending' AND session_expires_at IS NOT NULL \
             AND session_expires_at < $1 LIMIT $2",
        )
        .bind(now)
        .bind(limit)
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

    /// Every stored event: `(event_id, event_type, order_ref, processed)`, for the chaos
    /// test's accounting.
    ///
    /// # Errors
    /// On database errors.
    pub async fn events(&self) -> Result<Vec<(String, String, Option<String>, bool)>> {
        let rows =
            sqlx::query("SELECT event_id, event_type, order_ref, processed_at FROM webhook_events")
                .fetch_all(&self.reader)
                .await
                .context("listing events")?;
        rows.iter()
            .map(|r| {
                let processed: Option<i64> = r.try_get("processed_at")?;
                Ok((
                    r.try_get("event_id")?,
                    r.try_get("event_type")?,
                    r.try_get("order_ref")?,
                    processed.is_some(),
                ))
            })
            .collect()
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

async fn sqlite_pool(url: &str, max: u32) -> Result<AnyPool> {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _| {
            Box::pin(async move {
                // WAL for concurrent readers; FULL synchronous so a 2xx to a webhook
                // means the event is on disk; a busy timeout instead of instant errors.
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = FULL").await?;
                conn.execute("PRAGMA busy_timeout = 5000").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .context("opening the SQLite database")
}
