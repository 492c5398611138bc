//! The event processor: stored webhook events, claimed in batches and judged in the
//! order they arrived. What needs only the store (facts merged into orders, unknown
//! types ignored, events quarantined or put off) is written in one transaction per
//! batch; what needs the upstream (an order no event has linked yet, a paid top-up's
//! data) follows, a few at a time. An event that cannot be applied yet stays stored
//! and is retried with backoff; one that does not parse, or that no order matched
//! within the unmatched-event window (the sender's 48 hours of retries), is
//! quarantined with its reason (see `quarantine.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use simology::events::{Event, EventPayload};

use super::topup::apply_topup;
use crate::clock::{duration_ms, now_ms};
use crate::domain::{scrub_emails, OrderRef, RefTag};
use crate::order::{facts_of, Facts, OrderKind};
use crate::state::{AppState, SharedState};
use crate::store::{Application, Backend, EventRow, OrderRow, Quarantine, Retry, Settlement};

/// Events claimed at once: one transaction settles them.
const BATCH: i64 = 256;

/// How long a replica's claim on an event holds before another may take it.
pub(super) const CLAIM_LEASE: Duration = Duration::from_secs(5);

/// Events that wait on the upstream at once: one does not hold up the others.
const IN_FLIGHT: usize = 8;

/// What became of an event in a pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Its facts are in its order.
    Applied,
    /// Processed without an order change (an unknown type).
    Ignored,
    /// Put aside, with the reason.
    Quarantined(String),
    /// Not applied yet, with why; it is tried again later.
    NotYet(String),
}

impl Outcome {
    /// The metric label: `applied`, `ignored`, `quarantined`, `failed`.
    fn label(&self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Ignored => "ignored",
            Outcome::Quarantined(_) => "quarantined",
            Outcome::NotYet(_) => "failed",
        }
    }
}

/// Processes every due event once.
///
/// # Errors
/// Only when the store cannot be read; single events' failures are recorded on them.
pub async fn process_due(state: &SharedState) -> Result<usize> {
    let mut done = 0;
    loop {
        let due = state.store.claim_due_events(BATCH, CLAIM_LEASE).await;
        let claimed = due.as_ref().map_or(0, Vec::len);
        state
            .ingest
            .set_behind(i64::try_from(claimed).unwrap_or(BATCH) >= BATCH);
        let due = due?;
        if claimed == 0 {
            return Ok(done);
        }
        done += claimed;
        process(state, due).await?;
        if i64::try_from(claimed).unwrap_or(BATCH) < BATCH {
            return Ok(done);
        }
    }
}

/// The wait before an event's next attempt: 0.5 s, 1 s, 2 s ... up to 5 minutes. The
/// common case (an event ahead of the one that links its order) resolves on the first.
fn backoff(attempts: i64) -> Duration {
    Duration::from_millis(500u64 << attempts.clamp(0, 10) as u32).min(Duration::from_secs(300))
}

/// What an event needs, once judged.
enum Judged {
    /// Its facts go into `order` (held: a paid top-up, marked applied only once its
    /// data has been added upstream).
    Apply {
        order: Box<OrderRow>,
        patch: Box<Facts>,
        held: bool,
        event: Box<Event>,
    },
    /// Processed without an order change.
    Ignore(&'static str),
    /// Put aside.
    Quarantine { reason: String, payload: String },
    /// Tried again after a while.
    Retry(String),
    /// Its order is not linked here yet: the upstream says which it is.
    Upstream(Box<Event>),
}

/// Whether a judged event's part of the batch was written.
enum Fate {
    /// Written (for an application, with its order as written).
    Written(Option<Box<OrderRow>>),
    /// Its transaction failed: it is settled alone.
    Unwritten,
}

/// Lookups of events' orders at once: PostgreSQL answers them on several connections.
const LOOKUPS_IN_FLIGHT: usize = 8;

/// The transactions a batch is settled in on PostgreSQL, side by side, each with the
/// events of its own orders (so they never wait on each other). SQLite has one writer:
/// one transaction.
const POSTGRES_SETTLEMENTS: usize = 4;

/// Processes claimed events (in the order given) and returns each one's outcome.
///
/// # Errors
/// Only when the store cannot be read.
pub async fn process(state: &SharedState, rows: Vec<EventRow>) -> Result<Vec<(String, Outcome)>> {
    let now = now_ms();
    let parsed: Vec<(EventRow, Result<Event, Judged>)> = rows
        .into_iter()
        .map(|row| {
            let event = parse(&row);
            (row, event)
        })
        .collect();
    let found = look_up(state, &parsed).await?;
    // An event's order may be linked by an event ahead of it in this very batch (e.g.
    // `activation.ready` behind its `checkout.completed`): upstream order id → order.
    let mut links: HashMap<String, OrderRow> = HashMap::new();
    let mut judged = Vec::with_capacity(parsed.len());
    for ((row, event), found) in parsed.into_iter().zip(found) {
        let verdict = match event {
            Err(verdict) => verdict,
            Ok(event) => judge(state, &row, event, found, &mut links, now).await?,
        };
        judged.push((row, verdict));
    }
    let fates = settle_all(state, &judged).await;

    let mut outcomes = Vec::with_capacity(judged.len());
    let mut later = tokio::task::JoinSet::new();
    for ((row, verdict), fate) in judged.into_iter().zip(fates) {
        let id = row.event_id.clone();
        let written = matches!(fate, Fate::Written(_));
        let outcome = match verdict {
            Judged::Upstream(event) => {
                while later.len() >= IN_FLIGHT {
                    if let Some(done) = later.join_next().await {
                        outcomes.push(done.context("an event task panicked")?);
                    }
                }
                let state = Arc::clone(state);
                later.spawn(async move {
                    let outcome = via_upstream(&state, &row, *event).await;
                    (row.event_id, outcome)
                });
                continue;
            }
            Judged::Apply {
                order,
                patch,
                held,
                event,
            } => {
                let after = match fate {
                    Fate::Written(Some(after)) => *after,
                    Fate::Written(None) | Fate::Unwritten => {
                        match state
                            .store
                            .apply_facts(&order.order_ref, &patch, (!held).then_some(&id[..]))
                            .await
                        {
                            Ok(after) => after,
                            Err(e) => {
                                outcomes.push((id.clone(), put_off(state, &row, &e).await));
                                continue;
                            }
                        }
                    }
                };
                if held {
                    later.spawn(add_topup(Arc::clone(state), row, after));
                    continue;
                }
                log_applied(&event, &after);
                Outcome::Applied
            }
            Judged::Ignore(note) => {
                if written {
                    Outcome::Ignored
                } else {
                    let alone = Settlement {
                        ignored: vec![(id.clone(), note.to_owned())],
                        ..Settlement::default()
                    };
                    settle_alone(state, &row, alone, Outcome::Ignored).await
                }
            }
            Judged::Quarantine { reason, payload } => {
                tracing::warn!(event_id = %id, event_type = %row.event_type, reason, "event quarantined");
                let outcome = Outcome::Quarantined(reason.clone());
                if written {
                    outcome
                } else {
                    let alone = Settlement {
                        quarantined: vec![Quarantine {
                            event_id: id.clone(),
                            reason,
                            payload: Some(payload),
                        }],
                        ..Settlement::default()
                    };
                    settle_alone(state, &row, alone, outcome).await
                }
            }
            Judged::Retry(error) => {
                tracing::debug!(event_id = %id, attempts = row.attempts, error, "event not applied yet");
                if !written {
                    let _ = state
                        .store
                        .mark_failed(&id, &error, backoff(row.attempts))
                        .await;
                }
                Outcome::NotYet(error)
            }
        };
        outcomes.push((id, outcome));
    }
    while let Some(done) = later.join_next().await {
        outcomes.push(done.context("an event task panicked")?);
    }
    for (_, outcome) in &outcomes {
        state.metrics.event_processed(outcome.label(), now_ms());
    }
    Ok(outcomes)
}

/// Whether a stored event parses as an event of a known type (one that may change an
/// order).
pub(super) fn parses(row: &EventRow) -> bool {
    parse(row).is_ok()
}

/// Reads a stored event; what cannot go further is judged already (quarantined when it
/// does not parse, ignored when it is of an unknown type or has no body).
fn parse(row: &EventRow) -> Result<Event, Judged> {
    let Some(payload) = &row.payload else {
        return Err(Judged::Ignore("no payload"));
    };
    let event = Event::from_json(payload.as_bytes()).map_err(|e| Judged::Quarantine {
        reason: scrub_emails(&format!("does not parse: {e}")),
        payload: scrub_emails(payload),
    })?;
    if let EventPayload::Unknown { event_type, .. } = &event.payload {
        tracing::info!(event_id = %event.id, event_type, "ignoring an unknown event type");
        return Err(Judged::Ignore("unknown event type"));
    }
    Ok(event)
}

/// The stored order of each parsed event (by its upstream order id or session),
/// looked up several at once.
async fn look_up(
    state: &SharedState,
    parsed: &[(EventRow, Result<Event, Judged>)],
) -> Result<Vec<Option<OrderRow>>> {
    let mut found: Vec<Option<OrderRow>> = vec![None; parsed.len()];
    let mut running = tokio::task::JoinSet::new();
    for (i, (_, event)) in parsed.iter().enumerate() {
        let Ok(event) = event else { continue };
        while running.len() >= LOOKUPS_IN_FLIGHT {
            if let Some(done) = running.join_next().await {
                let (j, row) = done.context("a lookup panicked")?;
                found[j] = row?;
            }
        }
        let state = Arc::clone(state);
        let (order_id, session_id) = (
            event.payload.order_id().map(str::to_owned),
            event.payload.session_id().map(str::to_owned),
        );
        running.spawn(async move {
            let row = state
                .store
                .find_order(order_id.as_deref(), session_id.as_deref())
                .await;
            (i, row)
        });
    }
    while let Some(done) = running.join_next().await {
        let (j, row) = done.context("a lookup panicked")?;
        found[j] = row?;
    }
    Ok(found)
}

/// Writes the batch's settlement: one transaction on SQLite; on PostgreSQL, a few side
/// by side, each with the events of its own orders. Says, for each event, whether its
/// part was written.
async fn settle_all(state: &SharedState, judged: &[(EventRow, Judged)]) -> Vec<Fate> {
    let parts = match state.store.backend() {
        Backend::Sqlite => 1,
        Backend::Postgres => POSTGRES_SETTLEMENTS,
    };
    let mut settlements = vec![Settlement::default(); parts];
    // Where each event went: its settlement, and its place among the applications.
    let mut places: Vec<Option<(usize, Option<usize>)>> = Vec::with_capacity(judged.len());
    for (row, verdict) in judged {
        let event_id = row.event_id.clone();
        let place = match verdict {
            Judged::Apply {
                order, patch, held, ..
            } => {
                let part = part_of(&order.order_ref, parts);
                let applies = &mut settlements[part].applies;
                applies.push(Application {
                    order_ref: order.order_ref.clone(),
                    patch: (**patch).clone(),
                    event_id,
                    mark: !held,
                });
                Some((part, Some(applies.len() - 1)))
            }
            Judged::Ignore(note) => {
                settlements[0].ignored.push((event_id, (*note).to_owned()));
                Some((0, None))
            }
            Judged::Quarantine { reason, payload } => {
                settlements[0].quarantined.push(Quarantine {
                    event_id,
                    reason: reason.clone(),
                    payload: Some(payload.clone()),
                });
                Some((0, None))
            }
            Judged::Retry(error) => {
                settlements[0].retries.push(Retry {
                    event_id,
                    error: error.clone(),
                    retry_in: backoff(row.attempts),
                });
                Some((0, None))
            }
            Judged::Upstream(_) => None,
        };
        places.push(place);
    }
    let mut running = tokio::task::JoinSet::new();
    for (part, settlement) in settlements.into_iter().enumerate() {
        if settlement.is_empty() {
            continue;
        }
        let state = Arc::clone(state);
        running.spawn(async move { (part, state.store.settle(&settlement).await) });
    }
    let mut written: Vec<Option<Vec<OrderRow>>> = vec![Some(Vec::new()); parts];
    while let Some(done) = running.join_next().await {
        match done {
            Ok((part, Ok(rows))) => written[part] = Some(rows),
            Ok((part, Err(e))) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "a batch of events could not be written; settling them one by one"
                );
                written[part] = None;
            }
            // A settlement that panicked is settled again, event by event.
            Err(_) => {}
        }
    }
    places
        .into_iter()
        .map(|place| match place {
            Some((part, apply)) => match &written[part] {
                Some(rows) => Fate::Written(apply.and_then(|k| rows.get(k).cloned().map(Box::new))),
                None => Fate::Unwritten,
            },
            None => Fate::Unwritten,
        })
        .collect()
}

/// Which of `parts` settlements an order's events go to.
fn part_of(order_ref: &OrderRef, parts: usize) -> usize {
    let sum: usize = order_ref.as_str().bytes().map(usize::from).sum();
    sum % parts.max(1)
}

/// Writes one event's settlement alone (its batch's could not be written).
async fn settle_alone(
    state: &AppState,
    row: &EventRow,
    settlement: Settlement,
    outcome: Outcome,
) -> Outcome {
    match state.store.settle(&settlement).await {
        Ok(_) => outcome,
        Err(e) => put_off(state, row, &e).await,
    }
}

/// Records that an event could not be applied this time; it is tried again later.
async fn put_off(state: &AppState, row: &EventRow, error: &anyhow::Error) -> Outcome {
    let error = format!("{error:#}");
    let retry_in = backoff(row.attempts);
    tracing::warn!(event_id = %row.event_id, attempts = row.attempts, error, retry_in_ms = retry_in.as_millis() as u64, "event not applied yet");
    if let Err(e) = state
        .store
        .mark_failed(&row.event_id, &error, retry_in)
        .await
    {
        // It stays due (or claimed until its lease runs out) and comes back.
        tracing::warn!(event_id = %row.event_id, error = format!("{e:#}"), "cannot record an event's failure");
    }
    Outcome::NotYet(error)
}

/// Judges one parsed event, given its stored order (if one was found): what it needs.
async fn judge(
    state: &AppState,
    row: &EventRow,
    event: Event,
    found: Option<OrderRow>,
    links: &mut HashMap<String, OrderRow>,
    now: i64,
) -> Result<Judged> {
    let order = match found {
        Some(order) => Some(order),
        None => linked_order(state, &event, links).await?,
    };
    if let Some(order) = order {
        if let Some(order_id) = event.payload.order_id() {
            links.insert(order_id.to_owned(), order.clone());
        }
        let patch = facts_of(&event);
        let held = order.kind == OrderKind::Topup && patch.paid_at.is_some();
        return Ok(Judged::Apply {
            order: Box::new(order),
            patch: Box::new(patch),
            held,
            event: Box::new(event),
        });
    }
    let window = state.settings.unmatched_event_window;
    if now >= row.looked_for_since().saturating_add(duration_ms(window)) {
        return Ok(Judged::Quarantine {
            reason: format!(
                "no order matched it within {} hours",
                window.as_secs().div_ceil(3600)
            ),
            payload: scrub_emails(row.payload.as_deref().unwrap_or_default()),
        });
    }
    // The event that links the order usually arrives within a moment: wait for it
    // twice before asking the upstream.
    if row.attempts >= 2 && event.payload.order_id().is_some() {
        return Ok(Judged::Upstream(Box::new(event)));
    }
    Ok(Judged::Retry("no order known for this event yet".into()))
}

/// The order of an event its upstream ids did not find: linked by an event ahead of
/// it in the batch, or named by its checkout's metadata.
async fn linked_order(
    state: &AppState,
    event: &Event,
    links: &HashMap<String, OrderRow>,
) -> Result<Option<OrderRow>> {
    let payload = &event.payload;
    if let Some(linked) = payload.order_id().and_then(|id| links.get(id)) {
        return Ok(Some(linked.clone()));
    }
    if let EventPayload::CheckoutCompleted(d) = payload {
        if let Some(r) = d.metadata.get("order_ref").and_then(|r| OrderRef::parse(r)) {
            return state.store.order(&r).await;
        }
    }
    Ok(None)
}

/// The order of an event that names only an upstream order this proxy has not linked
/// (e.g. `activation.ready` whose `checkout.completed` was lost): the upstream's order
/// names its session, or carries the reference in its metadata.
async fn upstream_order(state: &AppState, event: &Event) -> Result<Option<OrderRow>> {
    let Some(order_id) = event.payload.order_id() else {
        return Ok(None);
    };
    let upstream = state
        .client
        .order(order_id)
        .await
        .map_err(|e| state.upstream_error(e))?;
    if let Some(row) = state
        .store
        .find_order(None, Some(&upstream.session_id))
        .await?
    {
        return Ok(Some(row));
    }
    match upstream
        .metadata
        .get("order_ref")
        .and_then(|r| OrderRef::parse(r))
    {
        Some(r) => Ok(state.store.order(&r).await?),
        None => Ok(None),
    }
}

/// An event whose order only the upstream can name: found, applied alone.
async fn via_upstream(state: &SharedState, row: &EventRow, event: Event) -> Outcome {
    let order = match upstream_order(state, &event).await {
        Ok(Some(order)) => order,
        Ok(None) => {
            return put_off(
                state,
                row,
                &anyhow::anyhow!("no order known for this event yet"),
            )
            .await
        }
        Err(e) => return put_off(state, row, &e).await,
    };
    let patch = facts_of(&event);
    let held = order.kind == OrderKind::Topup && patch.paid_at.is_some();
    let mark = (!held).then_some(row.event_id.as_str());
    match state
        .store
        .apply_facts(&order.order_ref, &patch, mark)
        .await
    {
        Ok(after) if held => add_topup(Arc::clone(state), row.clone(), after).await.1,
        Ok(after) => {
            log_applied(&event, &after);
            Outcome::Applied
        }
        Err(e) => put_off(state, row, &e).await,
    }
}

/// A paid top-up: its data is added upstream, and only then is its event marked
/// applied; a failure in between leaves the event to be tried again.
async fn add_topup(state: SharedState, row: EventRow, paid: OrderRow) -> (String, Outcome) {
    let added = async {
        apply_topup(&state, &paid).await?;
        state
            .store
            .apply_facts(&paid.order_ref, &Facts::default(), Some(&row.event_id))
            .await
    };
    let outcome = match added.await {
        Ok(_) => Outcome::Applied,
        Err(e) => put_off(&state, &row, &e).await,
    };
    (row.event_id, outcome)
}

fn log_applied(event: &Event, after: &OrderRow) {
    if let EventPayload::ActivationReady(d) = &event.payload {
        tracing::info!(event_id = %event.id, order_tag = %RefTag(&after.order_ref), iccid = %d.line.iccid,
            activation_code = %d.line.smdp_plus.redacted(), "eSIM ready");
    }
    tracing::info!(event_id = %event.id, event_type = event.payload.event_type(), order_tag = %RefTag(&after.order_ref),
        order_id = after.facts.upstream_order_id.as_deref(), state = ?after.facts.state(), "event applied");
}
