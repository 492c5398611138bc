//! Background work, each task in its own module: the event processor applies stored
//! webhook events to orders (`processor.rs`), the reconciler reads late orders
//! upstream and expires unpaid sessions (`reconciler.rs`), the refresher keeps the
//! catalogue loaded (`refresher.rs`); `topup.rs` adds a paid top-up's data to its line
//! for the first two; `quarantine.rs` keeps and replays the events that could not be
//! applied; the dispatcher delivers the outbox to the partner's systems
//! (`dispatcher.rs`).
//!
//! An event is applied and marked processed in one transaction (a batch of them, in
//! one). One that cannot be applied yet (its order unknown, the upstream down) stays
//! stored and is tried again with backoff; one that does not parse, or that no order
//! matched in 48 hours, is quarantined; nothing is dropped.

pub mod dispatcher;
pub mod processor;
pub mod quarantine;
pub mod reconciler;
pub mod refresher;
mod topup;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::state::SharedState;

/// A processor pass runs this long after the last at the latest, even with no webhook
/// to wake it (events due for a retry).
const PROCESSOR_PAUSE: Duration = Duration::from_millis(500);

/// The catalogue is refreshed at least daily, whatever its TTL.
const MAX_CATALOGUE_AGE: Duration = Duration::from_secs(24 * 3600);

/// Starts the processor, the reconciler, the catalogue refresher, the funnel's flusher
/// and the outbox's dispatcher; they stop when the shutdown begins.
pub fn spawn_background(state: &SharedState) -> Vec<JoinHandle<()>> {
    let reconcile_every = state.settings.reconcile_interval;
    let refresh_every = state.settings.catalog_ttl.min(MAX_CATALOGUE_AGE);
    vec![
        repeat(
            state,
            PROCESSOR_PAUSE,
            Wake::OnStoredEvent,
            |state| async move {
                if let Err(e) = processor::process_due(&state).await {
                    tracing::error!(error = format!("{e:#}"), "event processing pass failed");
                }
            },
        ),
        repeat(state, reconcile_every, Wake::Never, |state| async move {
            if let Err(e) = reconciler::reconcile_once(&state).await {
                tracing::error!(error = format!("{e:#}"), "reconciliation pass failed");
            }
        }),
        // Loaded at start, so the first widget does not wait for it.
        repeat(state, refresh_every, Wake::Never, |state| async move {
            refresher::refresh(&state).await;
        }),
        // The funnel's counts, written once a second and once more at the end.
        crate::services::beacons::spawn_flusher(state),
        tokio::spawn(dispatcher::run(Arc::clone(state))),
    ]
}

/// What, besides its pause, starts a task's next pass early.
#[derive(Clone, Copy)]
enum Wake {
    /// Nothing.
    Never,
    /// A webhook stored by this replica.
    OnStoredEvent,
}

/// Runs `pass` now, then again after each `pause` (or wake-up), until the shutdown.
fn repeat<P, F>(state: &SharedState, pause: Duration, wake: Wake, pass: P) -> JoinHandle<()>
where
    P: Fn(SharedState) -> F + Send + 'static,
    F: Future<Output = ()> + Send,
{
    let state = Arc::clone(state);
    tokio::spawn(async move {
        let stopping = state.shutting_down();
        tokio::pin!(stopping);
        loop {
            pass(Arc::clone(&state)).await;
            let woken = async {
                match wake {
                    Wake::OnStoredEvent => state.wake_processor.notified().await,
                    Wake::Never => std::future::pending().await,
                }
            };
            tokio::select! {
                () = woken => {}
                () = tokio::time::sleep(pause) => {}
                () = &mut stopping => break,
            }
        }
    })
}
