//! Quarantined events: signed events the processor could not apply (their data does not
//! parse, or no order matched them within the unmatched-event window). They stay stored
//! with their reason, their body kept without the customer's email (the proxy stores
//! no email), listed by `simology-proxy events --quarantined`, and are replayed by
//! `simology-proxy events replay <event_id>` once the proxy understands them.

use anyhow::Result;

use super::processor::{process, Outcome, CLAIM_LEASE};
use crate::state::SharedState;

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
