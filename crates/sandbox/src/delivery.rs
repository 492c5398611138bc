//! Webhook delivery: signed POSTs to the configured endpoint, retried on the guide's
//! schedule (compressed by the time scale) until a 2xx answer or 48 hours.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use simology::events::Event;
use simology::webhook::{signature_header, SIGNATURE_HEADER};
use time::OffsetDateTime;

use crate::config::retry_schedule;
use crate::shared::Shared;
use crate::state::DeliveryRecord;

/// Queues an event: delivered after `hold`, and a second time shortly after when
/// duplicate delivery is on.
pub(crate) fn enqueue(shared: &Arc<Shared>, event: Event, hold: Duration) {
    let duplicate = shared.lock().faults.duplicate_webhooks;
    let copies = if duplicate { 2 } else { 1 };
    for copy in 0..copies {
        let shared = Arc::clone(shared);
        let event = event.clone();
        let hold = hold + Duration::from_millis(120 * copy);
        shared.pending.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            deliver(&shared, &event, hold).await;
            shared.pending.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

async fn deliver(shared: &Arc<Shared>, event: &Event, hold: Duration) {
    tokio::time::sleep(hold).await;
    let Ok(body) = event.to_json() else {
        tracing::error!(event_id = %event.id, "event cannot be serialised");
        return;
    };
    let scale = shared.config.time_scale.max(1e-6);
    let waits: Vec<Duration> = retry_schedule()
        .into_iter()
        .map(|w| Duration::from_secs_f64(w.as_secs_f64() / scale))
        .collect();
    let mut attempt: u32 = 0;
    let mut waits = waits.into_iter();
    loop {
        attempt += 1;
        let sent = OffsetDateTime::now_utc();
        let (outcome, status) = attempt_once(shared, &body).await;
        tracing::info!(event_id = %event.id, event_type = event.payload.event_type(), attempt, outcome, status, "webhook attempt");
        let next = if outcome == "delivered" {
            None
        } else {
            waits.next()
        };
        shared.lock().deliveries.push(DeliveryRecord {
            event_id: event.id.clone(),
            event_type: event.payload.event_type().to_owned(),
            attempt,
            outcome,
            status,
            order_id: event.payload.order_id().map(str::to_owned),
            sent_at_ms: i64::try_from(sent.unix_timestamp_nanos() / 1_000_000).unwrap_or_default(),
            at: OffsetDateTime::now_utc(),
            retry_in_ms: next.map(|w| u64::try_from(w.as_millis()).unwrap_or(u64::MAX)),
        });
        if outcome == "delivered" {
            return;
        }
        match next {
            Some(wait) => tokio::time::sleep(wait).await,
            None => {
                tracing::warn!(event_id = %event.id, "webhook given up after 48 hours of retries");
                return;
            }
        }
    }
}

async fn attempt_once(shared: &Arc<Shared>, body: &[u8]) -> (&'static str, Option<u16>) {
    let url = shared.webhook_url();
    let Some(url) = url else {
        return ("no_endpoint", None);
    };
    let drop_rate = shared.lock().faults.drop_webhook_rate;
    if drop_rate > 0.0 && shared.lock().fault_draw() < drop_rate {
        return ("dropped", None);
    }
    let t = OffsetDateTime::now_utc().unix_timestamp();
    let header = signature_header(body, &shared.config.webhook_secrets, t);
    let result = shared
        .http
        .post(url)
        .header("Content-Type", "application/json")
        .header(SIGNATURE_HEADER, header)
        .timeout(shared.config.webhook_timeout)
        .body(body.to_vec())
        .send()
        .await;
    match result {
        Ok(r) if r.status().is_success() => ("delivered", Some(r.status().as_u16())),
        Ok(r) => ("failed", Some(r.status().as_u16())),
        Err(e) if e.is_timeout() => ("timeout", None),
        Err(_) => ("error", None),
    }
}
