//! Carrying out what a state change asks for: webhook events to queue, timers to set.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::delivery;
use crate::shared::Sh;
use crate::state::{Effects, Timer};

/// Runs the effects of a state change: queue events, set timers.
pub(crate) fn apply(shared: &Sh, effects: Effects) {
    for out in effects.events {
        delivery::enqueue(shared, out.event, out.hold);
    }
    for timer in effects.timers {
        let shared = Arc::clone(shared);
        tokio::spawn(async move {
            let effects = match timer {
                Timer::Provision { order_id } => {
                    tokio::time::sleep(shared.config.activation_delay).await;
                    shared
                        .lock()
                        .provision(&order_id, OffsetDateTime::now_utc())
                }
                Timer::Refund { refund_id } => {
                    tokio::time::sleep(shared.config.refund_delay).await;
                    shared.lock().process_refund(&refund_id)
                }
            };
            apply(&shared, effects);
        });
    }
}
