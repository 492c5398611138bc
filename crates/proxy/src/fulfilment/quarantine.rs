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

/// What an email address becomes in a quarantined body.
const REMOVED: &str = "removed";

/// `text` with every email address replaced by `removed`, and nothing else changed:
/// numbers keep their exact digits, so that the body still parses as it did (and
/// better, once the proxy understands it) when it is replayed. Works on any text, JSON
/// or not: an address is a run of characters that may stand in one, with an `@`
/// between a local part and a dotted domain.
pub fn scrub_emails(text: &str) -> String {
    let local = |c: char| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    let domain = |c: char| c.is_alphanumeric() || c == '-' || c == '.';
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' {
            let mut start = i;
            while start > 0 && local(chars[start - 1]) {
                start -= 1;
            }
            let mut end = i + 1;
            while end < chars.len() && domain(chars[end]) {
                end += 1;
            }
            let host: String = chars[i + 1..end].iter().collect();
            let host = host.trim_end_matches('.');
            if start < i && host.contains('.') {
                // Drop the local part already written, then the address.
                for _ in start..i {
                    out.pop();
                }
                out.push_str(REMOVED);
                i = i + 1 + host.chars().count();
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_removed_and_nothing_else_changes() {
        let body = r#"{"type":"order.paid","id":"evt_1","data":{"customer":{"email":"alex.b+trip@mail.example.com"},"items":[{"unit_price":4.999}]},"note":"write to ops@partner.example."}"#;
        let scrubbed = scrub_emails(body);
        assert_eq!(
            scrubbed,
            r#"{"type":"order.paid","id":"evt_1","data":{"customer":{"email":"removed"},"items":[{"unit_price":4.999}]},"note":"write to removed."}"#
        );
        assert_eq!(
            scrub_emails("no address @ all, a@b, x@localhost"),
            "no address @ all, a@b, x@localhost"
        );
        assert_eq!(
            scrub_emails("not json: ana@example.org"),
            "not json: removed"
        );
        assert_eq!(scrub_emails("é@ü.example"), "removed");
    }
}
