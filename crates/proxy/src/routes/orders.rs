//! Checkout, order status (with long-polling), usage and top-ups.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use simology::models::{CheckoutSessionRequest, Customer, LineItem};
use simology::Lpa;
use simology_proxy_api::{
    CheckoutRequest, CheckoutResponse, DestinationKind, Esim, OrderPlan, OrderState, OrderView,
    PaymentReturn, Plan, TopupOffers, TopupRequest, UsageView, MAX_WAIT_SECS,
};
use tokio::sync::broadcast::error::RecvError;

use crate::domain::{new_order_ref, Email, IntentId, Locale, OrderRef, Quantity, ReturnUrl, Sku};
use crate::error::ApiError;
use crate::store::{now_ms, NewOrder, OrderRow};
use crate::{ClientIp, SharedState};

/// The routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/api/checkout", axum::routing::post(checkout))
        .route("/api/orders/{order_ref}", get(order))
        .route("/api/orders/{order_ref}/usage", get(usage))
        .route(
            "/api/orders/{order_ref}/topups",
            get(topup_offers).post(buy_topup),
        )
}

fn rfc3339_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The widget's view of a stored order.
pub fn view(row: &OrderRow, now: i64) -> OrderView {
    let mut state = row.facts.state();
    let mut reason = row.facts.reason().map(str::to_owned);
    if state == OrderState::Pending && row.session_expires_at.is_some_and(|t| t < now) {
        state = OrderState::Expired;
        reason = Some("payment_expired".into());
    }
    let esim = (state == OrderState::Ready && row.kind == "esim")
        .then(|| {
            let lpa = Lpa::parse(row.facts.lpa.as_deref()?).ok()?;
            Some(Esim {
                iccid: row.facts.iccid.clone()?,
                lpa: lpa.to_string(),
                smdp_address: lpa.smdp_address().to_owned(),
                activation_code: lpa.activation_code().to_owned(),
                valid_from: row.facts.valid_from.clone().unwrap_or_default(),
                valid_until: row.facts.valid_until.clone().unwrap_or_default(),
            })
        })
        .flatten();
    OrderView {
        order_ref: row.order_ref.clone(),
        state,
        reason,
        plan: row.plan.clone(),
        esim,
        topup_of: row.parent_ref.clone(),
        version: row.version,
        updated_at: rfc3339_ms(row.updated_at),
    }
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn check_origin(state: &SharedState, headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => Ok(()),
        Some(origin)
            if state
                .settings
                .allowed_origins
                .iter()
                .any(|o| o.as_str() == origin) =>
        {
            Ok(())
        }
        Some(_) => Err(ApiError::OriginNotAllowed),
    }
}

/// What a purchase needs, validated.
struct Purchase {
    kind: &'static str,
    parent: Option<(OrderRef, String)>,
    plan: Plan,
    quantity: Quantity,
    email: Email,
    locale: Locale,
    intent: IntentId,
    return_url: ReturnUrl,
}

/// Reserves the order for the intent, then creates (or finds again) the upstream
/// session under an idempotency key derived from the intent: a double click or a
/// retried request makes one order.
async fn start_purchase(state: &SharedState, p: Purchase) -> Result<CheckoutResponse, ApiError> {
    let intent_key = p.intent.idempotency_key(p.kind);
    let fingerprint = {
        let text = format!(
            "{}\n{}\n{}\n{}\n{}",
            p.plan.sku,
            p.quantity.get(),
            p.email.expose().to_lowercase(),
            p.return_url.as_str(),
            p.parent.as_ref().map_or("", |(r, _)| r.as_str())
        );
        hex::encode(Sha256::digest(text.as_bytes()))
    };
    let order_plan = OrderPlan {
        sku: p.plan.sku.clone(),
        name: p.plan.name.clone(),
        coverage: p.plan.coverage.clone(),
        data_mb: p.plan.data_mb,
        validity_days: p.plan.validity_days,
        quantity: p.quantity.get(),
        price: p.plan.price,
        terms_url: p.plan.terms_url.clone(),
    };
    let row = state
        .store
        .reserve(&NewOrder {
            order_ref: new_order_ref(),
            kind: p.kind,
            parent_ref: p.parent.as_ref().map(|(r, _)| r.clone()),
            intent_key: intent_key.clone(),
            fingerprint: fingerprint.clone(),
            plan: order_plan,
            locale: p.locale.as_str().to_owned(),
            return_url: p.return_url.as_str().to_owned(),
        })
        .await?;
    if row.fingerprint != fingerprint {
        return Err(ApiError::Conflict(
            "this purchase was already started with other details",
        ));
    }
    if let (Some(url), Some(expires)) = (&row.payment_url, row.session_expires_at) {
        return Ok(CheckoutResponse {
            order_ref: row.order_ref.clone(),
            payment_url: url.clone(),
            expires_at: rfc3339_ms(expires),
        });
    }
    let order_ref = row.order_ref.clone();
    let return_url = ReturnUrl::parse(&row.return_url, &state.settings.allowed_origins)?;
    let mut metadata = BTreeMap::from([
        ("order_ref".to_owned(), row.order_ref.to_string()),
        ("purpose".to_owned(), p.kind.to_owned()),
        ("locale".to_owned(), row.locale.clone()),
    ]);
    if let Some((_, iccid)) = &p.parent {
        metadata.insert("topup_iccid".into(), iccid.clone());
    }
    let request = CheckoutSessionRequest {
        customer: Customer {
            email: p.email.expose().to_owned(),
            country: None,
        },
        items: vec![LineItem {
            sku: p.plan.sku.clone(),
            quantity: p.quantity.get(),
        }],
        success_url: return_url.with_fragment(&PaymentReturn::Paid(order_ref.clone())),
        cancel_url: return_url.with_fragment(&PaymentReturn::Cancelled(order_ref)),
        metadata,
    };
    match state
        .client
        .create_checkout_session(&request, Some(&intent_key))
        .await
    {
        Ok(session) => {
            let expires = i64::try_from(session.expires_at.unix_timestamp_nanos() / 1_000_000)
                .unwrap_or(i64::MAX);
            state
                .store
                .attach_session(&row.order_ref, &session.id, &session.payment_url, expires)
                .await?;
            state.metrics.order_created();
            tracing::info!(order_ref = %row.order_ref, session_id = %session.id, sku = %p.plan.sku,
                email = %p.email.redacted(), request_id = session.request_id.as_deref(), "checkout session created");
            Ok(CheckoutResponse {
                order_ref: row.order_ref,
                payment_url: session.value.payment_url,
                expires_at: rfc3339_ms(expires),
            })
        }
        Err(e) => {
            // A definite refusal frees the intent; a transient failure keeps the
            // reservation, so a retry reuses the same reference and key.
            if !e.is_transient() {
                state.store.release(&row.order_ref).await?;
            }
            Err(state.upstream_error(e).into())
        }
    }
}

async fn plan_for(state: &SharedState, sku: &Sku) -> Result<Plan, ApiError> {
    let snapshot = state.catalog_snapshot().await?;
    let plan = snapshot
        .plan(sku.as_str())
        .cloned()
        .ok_or(ApiError::Invalid(crate::domain::Invalid {
            field: "sku",
            rule: "is not in the catalogue",
        }))?;
    if !plan.available {
        return Err(ApiError::SkuUnavailable);
    }
    Ok(plan)
}

/// Starts a purchase: returns the payment page and the order's reference.
#[utoipa::path(post, path = "/api/checkout", tag = "orders", request_body = CheckoutRequest,
    responses(
        (status = 200, description = "Session created (or found again for this intent)", body = CheckoutResponse),
        (status = 400, description = "Invalid field", body = simology_proxy_api::ErrorBody),
        (status = 403, description = "Origin not allowed", body = simology_proxy_api::ErrorBody),
        (status = 409, description = "Sold out, or intent reused with other details", body = simology_proxy_api::ErrorBody),
        (status = 413, description = "Body too large"),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
        (status = 503, description = "Upstream unavailable", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn checkout(
    State(state): State<SharedState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Result<Json<CheckoutRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    state
        .checkout_limit
        .check(ip)
        .map_err(ApiError::RateLimited)?;
    check_origin(&state, &headers)?;
    let Json(body) = body?;
    let sku = Sku::parse(body.sku.trim())?;
    let purchase = Purchase {
        kind: "esim",
        parent: None,
        quantity: Quantity::parse(body.quantity)?,
        email: Email::parse(&body.email)?,
        locale: Locale::parse_or_default(&body.locale),
        intent: IntentId::parse(&body.intent_id)?,
        return_url: ReturnUrl::parse(&body.return_url, &state.settings.allowed_origins)?,
        plan: plan_for(&state, &sku).await?,
    };
    let response = start_purchase(&state, purchase).await?;
    Ok(no_store(Json(response).into_response()))
}

/// Long-poll parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WaitParams {
    /// Seconds to wait for a change (0 to 25).
    pub wait: Option<u64>,
    /// The version the widget has; the answer comes as soon as the order's differs.
    pub version: Option<i64>,
}

async fn load(
    state: &SharedState,
    order_ref: &str,
    ip: std::net::IpAddr,
) -> Result<OrderRow, ApiError> {
    state
        .status_limit
        .check(ip)
        .map_err(ApiError::RateLimited)?;
    let found = match OrderRef::parse(order_ref) {
        Some(r) => state.store.order(&r).await?,
        None => None,
    };
    match found {
        Some(row) => Ok(row),
        None => {
            // Misses are budgeted apart: guessing references is slow, and a guess
            // looks exactly like any other missing order.
            state.miss_limit.check(ip).map_err(ApiError::RateLimited)?;
            Err(ApiError::NotFound)
        }
    }
}

/// An order's state; with `wait`, answers as soon as it changes.
#[utoipa::path(get, path = "/api/orders/{order_ref}", tag = "orders",
    params(("order_ref" = String, Path, description = "The order's reference"), WaitParams),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 400, description = "Malformed parameters", body = simology_proxy_api::ErrorBody),
        (status = 404, description = "No such order", body = simology_proxy_api::ErrorBody),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn order(
    State(state): State<SharedState>,
    ClientIp(ip): ClientIp,
    Path(order_ref): Path<String>,
    params: Result<Query<WaitParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    // Subscribe before reading, so a change between the read and the wait is seen.
    let mut changes = state.store.subscribe();
    let row = load(&state, &order_ref, ip).await?;
    let wait = Duration::from_secs(params.wait.unwrap_or(0).min(MAX_WAIT_SECS));
    let baseline = params.version.unwrap_or(row.version);
    if wait.is_zero() || row.version != baseline {
        return Ok(no_store(Json(view(&row, now_ms())).into_response()));
    }
    let deadline = tokio::time::Instant::now() + wait;
    let mut shutdown = state.shutdown.clone();
    let mut row = row;
    loop {
        let woke = tokio::select! {
            msg = changes.recv() => match msg {
                Ok(changed) => changed == row.order_ref.as_str() || changed == "*",
                // Missed announcements: read again to be sure.
                Err(RecvError::Lagged(_)) => true,
                Err(RecvError::Closed) => break,
            },
            _ = tokio::time::sleep_until(deadline) => break,
            _ = shutdown.changed() => break,
        };
        if woke {
            // A wake-up is a hint (another order's, a replica's reconnection); the
            // answer goes out only when this order's version moved.
            row = state
                .store
                .order(&row.order_ref)
                .await?
                .ok_or(ApiError::NotFound)?;
            if row.version != baseline {
                return Ok(no_store(Json(view(&row, now_ms())).into_response()));
            }
        }
    }
    let row = state
        .store
        .order(&row.order_ref)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(no_store(Json(view(&row, now_ms())).into_response()))
}

fn ready_line(row: &OrderRow) -> Result<String, ApiError> {
    if row.kind != "esim" || row.facts.state() != OrderState::Ready {
        return Err(ApiError::NotReady("the eSIM is not ready"));
    }
    row.facts
        .iccid
        .clone()
        .ok_or(ApiError::NotReady("the eSIM is not ready"))
}

/// Data used and left on the order's line (cached 45 s).
#[utoipa::path(get, path = "/api/orders/{order_ref}/usage", tag = "orders",
    params(("order_ref" = String, Path, description = "The order's reference")),
    responses(
        (status = 200, description = "Usage", body = UsageView),
        (status = 404, description = "No such order", body = simology_proxy_api::ErrorBody),
        (status = 409, description = "The eSIM is not ready", body = simology_proxy_api::ErrorBody),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
        (status = 503, description = "Upstream unavailable", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn usage(
    State(state): State<SharedState>,
    ClientIp(ip): ClientIp,
    Path(order_ref): Path<String>,
) -> Result<Response, ApiError> {
    let row = load(&state, &order_ref, ip).await?;
    let iccid = ready_line(&row)?;
    let cached = state.usage_cache.lock().ok().and_then(|c| {
        c.get(&iccid)
            .filter(|(at, _)| at.elapsed() < Duration::from_secs(45))
            .map(|(_, v)| v.clone())
    });
    let view = match cached {
        Some(v) => v,
        None => {
            let line = state
                .client
                .line(&iccid)
                .await
                .map_err(|e| state.upstream_error(e))?;
            let status = serde_json::to_value(line.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "unknown".into());
            let v = UsageView {
                used_mb: line.data.used_mb,
                remaining_mb: line.data.remaining_mb,
                status,
                measured_at: rfc3339_ms(now_ms()),
                valid_until: line
                    .valid_until
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            };
            if let Ok(mut c) = state.usage_cache.lock() {
                if c.len() > 10_000 {
                    c.retain(|_, (at, _)| at.elapsed() < Duration::from_secs(45));
                }
                c.insert(iccid, (Instant::now(), v.clone()));
            }
            v
        }
    };
    Ok(no_store(Json(view).into_response()))
}

async fn offers_for(state: &SharedState, row: &OrderRow) -> Result<Vec<Plan>, ApiError> {
    let snapshot = state.catalog_snapshot().await?;
    let destination = snapshot
        .plan(&row.sku)
        .map(|p| (p.kind, p.destination.clone()));
    let mut offers: Vec<Plan> = snapshot
        .plans()
        .filter(|p| p.available)
        .filter(|p| match &destination {
            Some((kind, dest)) => p.kind == *kind && p.destination == *dest,
            None => p.coverage == row.plan.coverage && p.kind == DestinationKind::Country,
        })
        .cloned()
        .collect();
    offers.sort_by_key(|p| (p.price.minor, p.data_mb));
    Ok(offers)
}

/// Plans that add data to the order's line.
#[utoipa::path(get, path = "/api/orders/{order_ref}/topups", tag = "orders",
    params(("order_ref" = String, Path, description = "The order's reference")),
    responses(
        (status = 200, description = "Offers", body = TopupOffers),
        (status = 404, description = "No such order", body = simology_proxy_api::ErrorBody),
        (status = 409, description = "The eSIM is not ready", body = simology_proxy_api::ErrorBody),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
        (status = 503, description = "Upstream unavailable", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn topup_offers(
    State(state): State<SharedState>,
    ClientIp(ip): ClientIp,
    Path(order_ref): Path<String>,
) -> Result<Response, ApiError> {
    let row = load(&state, &order_ref, ip).await?;
    ready_line(&row)?;
    let offers = offers_for(&state, &row).await?;
    Ok(no_store(Json(TopupOffers { offers }).into_response()))
}

/// Buys a top-up: a checkout like a plan's, whose payment adds data to the line.
#[utoipa::path(post, path = "/api/orders/{order_ref}/topups", tag = "orders", request_body = TopupRequest,
    params(("order_ref" = String, Path, description = "The order's reference")),
    responses(
        (status = 200, description = "Session created", body = CheckoutResponse),
        (status = 400, description = "Invalid field", body = simology_proxy_api::ErrorBody),
        (status = 403, description = "Origin not allowed", body = simology_proxy_api::ErrorBody),
        (status = 404, description = "No such order", body = simology_proxy_api::ErrorBody),
        (status = 409, description = "Not ready, sold out, or intent reused", body = simology_proxy_api::ErrorBody),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
        (status = 503, description = "Upstream unavailable", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn buy_topup(
    State(state): State<SharedState>,
    ClientIp(ip): ClientIp,
    Path(order_ref): Path<String>,
    headers: HeaderMap,
    body: Result<Json<TopupRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    state
        .checkout_limit
        .check(ip)
        .map_err(ApiError::RateLimited)?;
    check_origin(&state, &headers)?;
    let row = load(&state, &order_ref, ip).await?;
    let Json(body) = body?;
    let iccid = ready_line(&row)?;
    let sku = Sku::parse(body.sku.trim())?;
    let offers = offers_for(&state, &row).await?;
    let plan = offers
        .into_iter()
        .find(|p| p.sku == sku.as_str())
        .ok_or(ApiError::Invalid(crate::domain::Invalid {
            field: "sku",
            rule: "is not a top-up for this eSIM",
        }))?;
    let purchase = Purchase {
        kind: "topup",
        parent: Some((row.order_ref.clone(), iccid)),
        plan,
        quantity: Quantity::parse(1)?,
        email: Email::parse(&body.email)?,
        locale: Locale::parse_or_default(&body.locale),
        intent: IntentId::parse(&body.intent_id)?,
        return_url: ReturnUrl::parse(&body.return_url, &state.settings.allowed_origins)?,
    };
    let response = start_purchase(&state, purchase).await?;
    Ok(no_store(Json(response).into_response()))
}
