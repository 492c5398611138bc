//! Quarantined events: signed events the processor could not apply (their data does not
//! parse, or no order matched them within the unmatched-event window). They stay stored
//! with their reason, their body kept without the customer's email (the proxy stores
//! no email), listed by `simology-proxy events --quarantined`, and are replayed by
//! `simology-proxy events replay <event_id>` once the proxy understands them.

use anyhow::Result;

use super::processor::{parses, process, Outcome, CLAIM_LEASE};
use crate::state::SharedState;
use crate::store::Backend;

/// What a replay from outside the serving process did.
#[derive(Debug)]
pub enum Replayed {
    /// Processed at once (the order's change reaches every replica by `NOTIFY`).
    Now(Outcome),
    /// Made due again: the serving proxy processes it on its next pass. On SQLite the
    /// proxy process is the only writer of orders, since it serves their status from
    /// memory and would not hear another process's change.
    Queued,
}

/// Takes an event out of quarantine from another process than the proxy's (the
/// command line): on PostgreSQL it is processed at once; on SQLite one that parses now
/// is made due for the proxy's processor, and one that does not is judged at once. `None` when no such event is quarantined.
///
/// # Errors
/// When the store cannot be read or written.
pub async fn replay_from_outside(state: &SharedState, event_id: &str) -> Result<Option<Replayed>> {
    if state.store.backend() == Backend::Postgres {
        return Ok(replay(state, event_id).await?.map(Replayed::Now));
    }
    let Some(row) = state.store.unquarantine(event_id, CLAIM_LEASE).await? else {
        return Ok(None);
    };
    if parses(&row) {
        state.store.make_due(event_id).await?;
        return Ok(Some(Replayed::Queued));
    }
    // Judged here, since it changes no order: quarantined again, or ignored.
    let mut outcomes = process(state, vec![row]).await?;
    Ok(outcomes.pop().map(|(_, outcome)| Replayed::Now(outcome)))
}

/// Takes an event out of quarantine and processes it at once: its attempts and its
/// window start again. `None` when no such event is quarantined.
///
/// # Errors
/// When the store cannot be read or written.
pub async fn replay(state: &SharedState, event_id: &str) -> Result<Option<Outcome>> {
    let Some(row) = state.store.unquarantine(event_id, CLAIM_LEASE).await? else {
        return Ok(None);
    };
    tracing::info!(event_id, "replaying a quarantined event");
    let mut outcomes = process(state, vec![row]).await?;
    Ok(outcomes.pop().map(|(_, outcome)| outcome))
}
