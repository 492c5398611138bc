//! `/sandbox/...`: test controls without auth, to look inside the simulator and to
//! change its faults, its webhook endpoint, a line's usage, and release held-back lines.

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use time::OffsetDateTime;
use url::Url;

use crate::config::Faults;
use crate::effects::apply;
use crate::shared::Sh;
use crate::state::{DeliveryRecord, Fail, Released};

async fn control_state(AxState(shared): AxState<Sh>) -> Json<serde_json::Value> {
    let st = shared.lock();
    Json(serde_json::json!({
        "sessions": st.sessions.len(),
        "orders": st.orders.len(),
        "lines": st.lines.len(),
        "refunds": st.refunds.len(),
        "topups": st.topups.len(),
        "deliveries": st.deliveries.len(),
        "v1_requests": st.v1_requests,
        "catalog_drift": st.catalog_drift.len(),
        "withheld_lines": st.orders.values().map(|o| o.withheld).sum::<usize>(),
        "pending_deliveries": shared.pending.load(std::sync::atomic::Ordering::SeqCst),
        "webhook_url": shared.webhook_url().map(|u| u.to_string()),
        "faults": st.faults,
    }))
}

async fn control_orders(AxState(shared): AxState<Sh>) -> Json<Vec<simology::models::Order>> {
    let st = shared.lock();
    let mut orders: Vec<_> = st.orders.values().map(|o| o.order.clone()).collect();
    orders.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
    Json(orders)
}

async fn control_sessions(AxState(shared): AxState<Sh>) -> Json<serde_json::Value> {
    let st = shared.lock();
    let sessions: Vec<serde_json::Value> = st
        .sessions
        .values()
        .map(|s| serde_json::json!({"id": s.session.id, "status": s.session.status, "order_id": s.order_id, "metadata": s.request.metadata, "customer_email": s.request.customer.email, "success_url": s.request.success_url, "cancel_url": s.request.cancel_url}))
        .collect();
    Json(serde_json::Value::Array(sessions))
}

async fn control_webhooks(AxState(shared): AxState<Sh>) -> Json<Vec<DeliveryRecord>> {
    Json(shared.lock().deliveries.clone())
}

async fn control_faults(AxState(shared): AxState<Sh>, Json(faults): Json<Faults>) -> Json<Faults> {
    shared.lock().faults = faults.clone();
    Json(faults)
}

#[derive(Deserialize)]
struct Endpoint {
    url: Option<String>,
}

async fn control_endpoint(
    AxState(shared): AxState<Sh>,
    Json(e): Json<Endpoint>,
) -> Result<StatusCode, Fail> {
    let url = match e.url {
        Some(u) => Some(Url::parse(&u).map_err(|_| Fail::validation("url is not a URL"))?),
        None => None,
    };
    shared.set_webhook_url(url);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Usage {
    used_mb: u64,
}

async fn control_usage(
    AxState(shared): AxState<Sh>,
    Path(iccid): Path<String>,
    Json(u): Json<Usage>,
) -> Result<StatusCode, Fail> {
    let mut st = shared.lock();
    let line = st
        .lines
        .get_mut(&iccid)
        .ok_or_else(|| Fail::not_found("line"))?;
    line.used_override = Some(u.used_mb);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Drift {
    items: Vec<serde_json::Value>,
}

/// Raw items every `/v1/catalog` answer carries from now on, as they are (an empty list
/// ends the drift).
async fn control_catalog_drift(
    AxState(shared): AxState<Sh>,
    Json(drift): Json<Drift>,
) -> Result<StatusCode, Fail> {
    if !drift.items.iter().all(serde_json::Value::is_object) {
        return Err(Fail::validation("every drift item must be a JSON object"));
    }
    shared.lock().catalog_drift = drift.items;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Release {
    /// Send each released line's `activation.ready` (the default); without, only
    /// `GET /v1/orders/{id}` shows the lines, as when their webhooks are lost.
    #[serde(default = "yes")]
    webhooks: bool,
}

fn yes() -> bool {
    true
}

/// Provisions the lines an order's activation held back (`Faults::withhold_lines`).
/// The body is optional: `{"webhooks": false}` releases them without their events.
async fn control_release_lines(
    AxState(shared): AxState<Sh>,
    Path(order_id): Path<String>,
    body: Bytes,
) -> Result<Json<Released>, Fail> {
    let release = if body.iter().all(u8::is_ascii_whitespace) {
        Release { webhooks: true }
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| Fail::validation(format!("invalid request body: {e}")))?
    };
    let (released, effects) =
        shared
            .lock()
            .release_lines(&order_id, release.webhooks, OffsetDateTime::now_utc())?;
    apply(&shared, effects);
    Ok(Json(released))
}

/// The `/sandbox` routes.
pub(crate) fn router() -> Router<Sh> {
    Router::new()
        .route("/state", get(control_state))
        .route("/orders", get(control_orders))
        .route("/sessions", get(control_sessions))
        .route("/webhooks", get(control_webhooks))
        .route("/faults", put(control_faults))
        .route("/webhook-endpoint", put(control_endpoint))
        .route("/lines/{iccid}/usage", put(control_usage))
        .route("/catalog/drift", put(control_catalog_drift))
        .route("/orders/{id}/release-lines", post(control_release_lines))
}
