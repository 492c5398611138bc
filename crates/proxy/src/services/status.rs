//! An order's status as the widget sees it: the view of a stored order with its lines,
//! and the long-poll that answers as soon as the order changes.

use std::time::Duration;

use simology::Lpa;
use simology_proxy_api::{Esim, Line, LineState, OrderDetail, OrderState, OrderView};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::clock::rfc3339_ms;
use crate::error::ApiError;
use crate::order::LineFacts;
use crate::state::AppState;
use crate::store::{Change, OrderRow, Store};

/// The widget's view of a stored order at `now` (Unix ms), with its lines: a pending
/// order whose payment page has expired shows as expired before the reconciler
/// records it.
pub fn view(row: &OrderRow, now: i64) -> OrderDetail {
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
            version: row.version,
            updated_at: rfc3339_ms(row.updated_at),
        },
        lines_ready: u32::try_from(lines.len()).unwrap_or(u32::MAX),
        lines_total: row.facts.lines_due.unwrap_or(0),
        lines,
        topup_line: row.parent_iccid.clone(),
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
}

impl Answered {
    /// The metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Answered::AtOnce => "at_once",
            Answered::Changed => "changed",
            Answered::Deadline => "deadline",
            Answered::ShuttingDown => "shutting_down",
        }
    }
}

/// A long-poll's subscription to order changes. It is taken before the order is read,
/// so that a change between the read and the wait is not missed.
pub struct Watch {
    changes: broadcast::Receiver<Change>,
}

impl Watch {
    /// Subscribes.
    pub fn new(store: &Store) -> Self {
        Watch {
            changes: store.subscribe(),
        }
    }

    /// The order once its version differs from `baseline`, or as it is after `wait`
    /// (or when the proxy shuts down). Without a wait, `row` as it is.
    ///
    /// # Errors
    /// Store errors, and `NotFound` should the order vanish.
    pub async fn until_changed(
        mut self,
        state: &AppState,
        row: OrderRow,
        baseline: i64,
        wait: Duration,
    ) -> Result<OrderRow, ApiError> {
        if wait.is_zero() {
            return Ok(row);
        }
        if row.version != baseline {
            state.metrics.long_poll(Answered::AtOnce.as_str());
            return Ok(row);
        }
        let deadline = tokio::time::Instant::now() + wait;
        let stopping = state.shutting_down();
        tokio::pin!(stopping);
        let order_ref = row.order_ref.clone();
        let answered = loop {
            let woke = tokio::select! {
                msg = self.changes.recv() => match msg {
                    Ok(change) => change.concerns(&order_ref),
                    // Missed announcements: read again to be sure.
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => break Answered::ShuttingDown,
                },
                () = tokio::time::sleep_until(deadline) => break Answered::Deadline,
                () = &mut stopping => break Answered::ShuttingDown,
            };
            if woke {
                // A wake-up is a hint (a replica's reconnection, a lag); the answer
                // goes out only when this order's version moved.
                let row = read(state, &order_ref).await?;
                if row.version != baseline {
                    state.metrics.long_poll(Answered::Changed.as_str());
                    return Ok(row);
                }
            }
        };
        state.metrics.long_poll(answered.as_str());
        read(state, &order_ref).await
    }
}

async fn read(state: &AppState, order_ref: &crate::domain::OrderRef) -> Result<OrderRow, ApiError> {
    state
        .store
        .order(order_ref)
        .await?
        .ok_or(ApiError::NotFound)
}
