//! An order's status as the widget sees it: the view of a stored order with its lines,
//! the view served from memory, and the long-poll that answers as soon as the order
//! changes.
//!
//! Every waiting traveller's widget reads its order's status, so the status is served
//! from memory: the view, serialised once with its ETag, is kept in the store's
//! [`OrderHub`](crate::store::OrderHub) until the order changes (a change made here,
//! or on another replica, heard by `NOTIFY`), and read from the store again after.
//! Long-polls wait in the same hub on their own order: a change wakes only its
//! waiters. A client holds at most `PROXY_LONG_POLLS_PER_CLIENT` long-polls waiting;
//! beyond, a long-poll answers at once with the current state.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderValue;
use sha2::{Digest, Sha256};
use simology::Lpa;
use simology_proxy_api::{Esim, Line, LineState, OrderDetail, OrderState, OrderView};

use crate::clock::{now_ms, rfc3339_ms};
use crate::domain::OrderRef;
use crate::error::ApiError;
use crate::order::LineFacts;
use crate::state::AppState;
use crate::store::OrderRow;

/// The widget's view of a stored order at `now` (Unix ms), with its lines: a pending
/// order whose payment page has expired shows as expired before the reconciler
/// records it. `email_on_file`: whether this process holds the order's email (the view
/// says so, never which).
pub fn view(row: &OrderRow, now: i64, email_on_file: bool) -> OrderDetail {
    let mut state = row.facts.state();
    let mut reason = row.facts.reason().map(str::to_owned);
    if state == OrderState::Pending && row.session_expires_at.is_some_and(|t| t < now) {
        state = OrderState::Expired;
        reason = Some("payment_expired".into());
    }
    let esim = row
        .facts
        .primary_line(row.kind)
        .and_then(|(iccid, line)| esim_of(iccid, line));
    let lines = lines_view(row);
    OrderDetail {
        order: OrderView {
            order_ref: row.order_ref.clone(),
            state,
            reason,
            plan: row.plan.clone(),
            esim,
            topup_of: row.parent_ref.clone(),
            email_on_file,
            analytics_id: crate::domain::analytics_id(&row.order_ref),
            version: row.version,
            updated_at: rfc3339_ms(row.updated_at),
        },
        lines_ready: u32::try_from(lines.len()).unwrap_or(u32::MAX),
        lines_total: row.facts.lines_due.unwrap_or(0),
        lines,
        topup_line: row.parent_iccid.clone(),
    }
}

/// Until when [`view`] of `row` stays what it is at `now` if the order does not change
/// (Unix ms): a pending order's view turns expired when its payment page expires. Keep
/// in step with [`view`].
pub fn view_holds_until(row: &OrderRow, now: i64) -> Option<i64> {
    match row.session_expires_at {
        Some(t) if t >= now && row.facts.state() == OrderState::Pending => {
            Some(t.saturating_add(1))
        }
        _ => None,
    }
}

/// The lines an order has delivered, by ICCID: each ready with its credentials, or
/// refunded (alone or with its order) without them.
fn lines_view(row: &OrderRow) -> Vec<Line> {
    row.facts
        .delivered_lines()
        .map(|(iccid, line)| {
            let refunded = row.facts.line_refunded(iccid);
            Line {
                iccid: iccid.to_owned(),
                state: if refunded {
                    LineState::Refunded
                } else {
                    LineState::Ready
                },
                esim: if refunded { None } else { esim_of(iccid, line) },
            }
        })
        .collect()
}

/// A delivered line's credentials, as the widget shows them.
fn esim_of(iccid: &str, line: &LineFacts) -> Option<Esim> {
    let lpa = Lpa::parse(line.lpa.as_deref()?).ok()?;
    Some(Esim {
        iccid: iccid.to_owned(),
        lpa: lpa.to_string(),
        smdp_address: lpa.smdp_address().to_owned(),
        activation_code: lpa.activation_code().to_owned(),
        valid_from: line.valid_from.clone().unwrap_or_default(),
        valid_until: line.valid_until.clone().unwrap_or_default(),
    })
}

/// How a long-poll was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// The widget's version was already out of date.
    AtOnce,
    /// The order changed while the poll waited.
    Changed,
    /// Nothing changed before the deadline.
    Deadline,
    /// The proxy is shutting down.
    ShuttingDown,
    /// The client holds as many long-polls as it may: answered at once, unchanged.
    Capped,
}

impl Answered {
    /// The metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Answered::AtOnce => "at_once",
            Answered::Changed => "changed",
            Answered::Deadline => "deadline",
            Answered::ShuttingDown => "shutting_down",
            Answered::Capped => "capped",
        }
    }
}

/// An order's status as served: its view's JSON and ETag, for one version of the order.
#[derive(Debug)]
pub struct Status {
    /// The order's version.
    pub version: i64,
    /// The view, serialised.
    pub body: Bytes,
    /// Its strong ETag.
    pub etag: HeaderValue,
    /// Until when it holds if the order does not change (Unix ms; see
    /// [`view_holds_until`]).
    holds_until: Option<i64>,
    /// Whether it says that the order's email is on file: it holds while this process
    /// holds the email or not, as it did then.
    email_on_file: bool,
}

impl Status {
    /// The status of `row` at `now` (see [`view`] for `email_on_file`).
    ///
    /// # Errors
    /// When the view cannot be serialised (a bug).
    pub fn of(row: &OrderRow, now: i64, email_on_file: bool) -> Result<Status, ApiError> {
        let body = serde_json::to_vec(&view(row, now, email_on_file))
            .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("serialising a view")))?;
        let digest = Sha256::digest(&body);
        let etag = HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
            .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("an ETag")))?;
        Ok(Status {
            version: row.version,
            body: Bytes::from(body),
            etag,
            holds_until: view_holds_until(row, now),
            email_on_file,
        })
    }

    fn holds_at(&self, now: i64, email_on_file: bool) -> bool {
        self.holds_until.is_none_or(|t| now < t) && self.email_on_file == email_on_file
    }
}

/// The order's status now: from memory when kept, else read from the store (and kept
/// unless the order changed during the read). `None`: no such order.
///
/// # Errors
/// Store errors.
pub async fn current(
    state: &AppState,
    order_ref: &OrderRef,
) -> Result<Option<Arc<Status>>, ApiError> {
    let hub = state.store.hub();
    let (memo, ticket) = hub.look(order_ref);
    let now = now_ms();
    // Remembered or forgotten since the view was made: the view is made again.
    let email_on_file = state.emails.holds(order_ref);
    if let Some(kept) = memo.and_then(|m| m.downcast::<Status>().ok()) {
        if kept.holds_at(now, email_on_file) {
            state.metrics.status_cache(true);
            return Ok(Some(kept));
        }
    }
    state.metrics.status_cache(false);
    let Some(row) = state.store.order(order_ref).await? else {
        return Ok(None);
    };
    let status = Arc::new(Status::of(&row, now, email_on_file)?);
    hub.keep(order_ref, ticket, Arc::clone(&status) as crate::store::Memo);
    Ok(Some(status))
}

/// The order's status once its version differs from `baseline` (the order's own when
/// `None`), or as it is after `wait`, or when the proxy shuts down; at once without a
/// wait, and at once when `client` already holds as many long-polls as it may.
/// `None`: no such order.
///
/// # Errors
/// Store errors.
pub async fn order_status(
    state: &AppState,
    client: IpAddr,
    order_ref: &OrderRef,
    baseline: Option<i64>,
    wait: Duration,
) -> Result<Option<Arc<Status>>, ApiError> {
    if wait.is_zero() {
        return current(state, order_ref).await;
    }
    // Taken before the read, so that a change between the read and the wait is seen.
    let held = state.long_polls.try_hold(client);
    let waiter = held.as_ref().map(|_| state.store.hub().wait(order_ref));
    let Some(first) = current(state, order_ref).await? else {
        return Ok(None);
    };
    let baseline = baseline.unwrap_or(first.version);
    if first.version != baseline {
        state.metrics.long_poll(Answered::AtOnce.as_str());
        return Ok(Some(first));
    }
    let Some(mut waiter) = waiter else {
        state.metrics.long_poll(Answered::Capped.as_str());
        return Ok(Some(first));
    };
    let _waiting = Waiting::start(state);
    let deadline = tokio::time::Instant::now() + wait;
    let stopping = state.shutting_down();
    tokio::pin!(stopping);
    let answered = loop {
        tokio::select! {
            () = waiter.changed() => {}
            () = tokio::time::sleep_until(deadline) => break Answered::Deadline,
            () = &mut stopping => break Answered::ShuttingDown,
        }
        state.metrics.long_poll_woken();
        // A wake-up is this order's change, or a resync (a replica's listener came
        // back): the answer goes out only when the version moved.
        let now = current(state, order_ref).await?.ok_or(ApiError::NotFound)?;
        if now.version != baseline {
            state.metrics.long_poll(Answered::Changed.as_str());
            return Ok(Some(now));
        }
    };
    state.metrics.long_poll(answered.as_str());
    current(state, order_ref).await
}

/// A long-poll counted as waiting while it lives.
struct Waiting<'a>(&'a AppState);

impl<'a> Waiting<'a> {
    fn start(state: &'a AppState) -> Self {
        state.metrics.long_polls_waiting(1);
        Waiting(state)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.metrics.long_polls_waiting(-1);
    }
}
