//! Checkout, order status (with long-polling), and each line's usage and top-ups: the
//! HTTP side. The work is in `services::{purchase, status, usage, lines}`. The
//! order-level usage and top-up routes act on the line of the order's `esim`.

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use simology_proxy_api::{
    CheckoutRequest, CheckoutResponse, Instance, OrderDetail, TopupOffers, TopupRequest, UsageView,
    MAX_WAIT_SECS,
};

use crate::affiliates::{unix_day, Attribution};
use crate::client_ip::ClientIp;
use crate::clock::now_ms;
use crate::domain::{parse_order_ref, Quantity, Sku};
use crate::error::ApiError;
use crate::middleware::limit;
use crate::ratelimit::Budget;
use crate::routes::IfNoneMatch;
use crate::services::embed;
use crate::services::lines::working_line;
use crate::services::purchase::{self, Buyer, Purchase, TopupOf};
use crate::services::status;
use crate::state::SharedState;
use crate::store::OrderRow;

/// The routes, each with the budgets it spends: reads spend the status budget,
/// purchases the checkout budget (first) and, for a top-up, the status budget too.
pub fn router(state: &SharedState) -> Router<SharedState> {
    let status = || limit(state, Budget::Status);
    let purchases = || limit(state, Budget::Checkout);
    Router::new()
        .route("/api/checkout", post(checkout).route_layer(purchases()))
        .route("/api/orders/{order_ref}", get(order).route_layer(status()))
        .route(
            "/api/orders/{order_ref}/usage",
            get(usage).route_layer(status()),
        )
        .route(
            "/api/orders/{order_ref}/topups",
            get(topup_offers).route_layer(status()).merge(
                post(buy_topup)
                    .route_layer(status())
                    .route_layer(purchases()),
            ),
        )
        .route(
            "/api/orders/{order_ref}/lines/{iccid}/usage",
            get(line_usage).route_layer(status()),
        )
        .route(
            "/api/orders/{order_ref}/lines/{iccid}/topups",
            get(line_topup_offers).route_layer(status()).merge(
                post(buy_line_topup)
                    .route_layer(status())
                    .route_layer(purchases()),
            ),
        )
}

fn no_store(body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Purchases name the page's origin; a foreign one is refused outright (allowed: the
/// widget's frame, on this proxy's own origin; the listed origins and the
/// affiliates').
fn check_origin(state: &SharedState, headers: &HeaderMap) -> Result<(), ApiError> {
    match super::origin(headers) {
        None => Ok(()),
        Some(_) if super::from_own_origin(headers) => Ok(()),
        Some(origin) if state.affiliates.origin_allowed(origin) => Ok(()),
        Some(_) => Err(ApiError::OriginNotAllowed),
    }
}

/// A purchase's answer; to the widget's frame, with the cookie by which the frame's
/// document finds the order again after the payment page (see `services::embed`).
fn purchase_answer(
    headers: &HeaderMap,
    instance: Option<&str>,
    answer: CheckoutResponse,
) -> Response {
    let cookie = super::from_own_origin(headers)
        .then(|| {
            embed::order_cookie(
                &Instance::clean(instance.unwrap_or_default()),
                &answer.order_ref,
            )
        })
        .flatten();
    let mut response = no_store(Json(answer));
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The order a path names. A miss spends the client's budget of misses, apart from the
/// status budget: guessing references is slow, and a malformed reference looks exactly
/// like a missing order.
async fn known_order(state: &SharedState, client: IpAddr, raw: &str) -> Result<OrderRow, ApiError> {
    let found = match parse_order_ref(raw) {
        Ok(order_ref) => state.store.order(&order_ref).await?,
        Err(_) => None,
    };
    found.ok_or_else(|| missed(state, client))
}

/// A path named no order: the client spends one of its misses, and the answer is
/// `NotFound`, or `RateLimited` once the misses are spent.
fn missed(state: &SharedState, client: IpAddr) -> ApiError {
    match state.limits.check(Budget::Misses, client) {
        Ok(()) => ApiError::NotFound,
        Err(retry_after) => ApiError::RateLimited(retry_after),
    }
}

/// Starts a purchase: returns the payment page and the order's reference.
#[utoipa::path(post, path = "/api/checkout", tag = "orders", request_body = CheckoutRequest,
    responses(
        (status = 200, description = "Session created (or found again for this intent)", body = CheckoutResponse),
        (status = 400, description = "Invalid field (an affiliate not in the affiliates file among them)", body = simology_proxy_api::ErrorBody),
        (status = 403, description = "Origin not allowed (for an affiliate: not one of its sites)", body = simology_proxy_api::ErrorBody),
        (status = 409, description = "Sold out (`sku_unavailable`), a quantity this proxy cannot deliver as separate lines (`quantity_unavailable`), or intent reused with other details (`conflict`)", body = simology_proxy_api::ErrorBody),
        (status = 413, description = "Body too large"),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
        (status = 503, description = "Upstream unavailable", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn checkout(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Result<Json<CheckoutRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    check_origin(&state, &headers)?;
    let Json(body) = body?;
    let sku = Sku::parse(body.sku.trim())?;
    let quantity = Quantity::parse(body.quantity)?;
    let buyer = Buyer::of(&body, &state.affiliates.allowed_origins())?;
    let attribution =
        Attribution::of_checkout(&state.affiliates.affiliates(), &body, unix_day(now_ms()))?;
    let purchase = Purchase {
        topup_of: None,
        plan: purchase::plan_for(&state, &sku, quantity).await?,
        quantity,
        buyer,
    };
    let answer = purchase::start_attributed(&state, purchase, attribution).await?;
    Ok(purchase_answer(&headers, body.instance.as_deref(), answer))
}

/// Long-poll parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WaitParams {
    /// Seconds to wait for a change (0 to 25).
    pub wait: Option<u64>,
    /// The version the widget has; the answer comes as soon as the order's differs.
    pub version: Option<i64>,
}

/// An order's state and its lines; with `wait`, answers as soon as it changes. Served
/// from memory with an ETag (`If-None-Match` answers 304).
#[utoipa::path(get, path = "/api/orders/{order_ref}", tag = "orders",
    params(("order_ref" = String, Path, description = "The order's reference"), WaitParams),
    responses(
        (status = 200, description = "The order", body = OrderDetail),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "Malformed parameters", body = simology_proxy_api::ErrorBody),
        (status = 404, description = "No such order", body = simology_proxy_api::ErrorBody),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn order(
    State(state): State<SharedState>,
    ClientIp(client): ClientIp,
    Path(order_ref): Path<String>,
    params: Result<Query<WaitParams>, QueryRejection>,
    if_none_match: IfNoneMatch,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let wait = Duration::from_secs(params.wait.unwrap_or(0).min(MAX_WAIT_SECS));
    let found = match parse_order_ref(&order_ref) {
        Ok(order_ref) => {
            status::order_status(&state, client, &order_ref, params.version, wait).await?
        }
        Err(_) => None,
    };
    match found {
        Some(status) => Ok(status_response(&status, &if_none_match)),
        None => Err(missed(&state, client)),
    }
}

/// An order's status, or 304 when the client has it already. Never stored by caches:
/// a ready order's view holds its activation code.
fn status_response(status: &status::Status, if_none_match: &IfNoneMatch) -> Response {
    let mut response = if if_none_match.matches(&status.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = status.body.clone().into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, status.etag.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Data used and left on the line of the order's `esim` (cached 45 s).
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
    ClientIp(client): ClientIp,
    Path(order_ref): Path<String>,
) -> Result<Response, ApiError> {
    usage_of(&state, client, &order_ref, None).await
}

/// Data used and left on one line of the order (cached 45 s).
#[utoipa::path(get, path = "/api/orders/{order_ref}/lines/{iccid}/usage", tag = "orders",
    params(("order_ref" = String, Path, description = "The order's reference"),
        ("iccid" = String, Path, description = "The line's ICCID, as in the order's `lines`")),
    responses(
        (status = 200, description = "Usage", body = UsageView),
        (status = 404, description = "No such order, or no such line in it", body = simology_proxy_api::ErrorBody),
        (status = 409, description = "The line was refunded", body = simology_proxy_api::ErrorBody),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
        (status = 503, description = "Upstream unavailable", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn line_usage(
    State(state): State<SharedState>,
    ClientIp(client): ClientIp,
    Path((order_ref, iccid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    usage_of(&state, client, &order_ref, Some(&iccid)).await
}

async fn usage_of(
    state: &SharedState,
    client: IpAddr,
    order_ref: &str,
    iccid: Option<&str>,
) -> Result<Response, ApiError> {
    let row = known_order(state, client, order_ref).await?;
    let iccid = working_line(&row, iccid)?;
    let view = state
        .usage
        .usage(&state.client, &iccid)
        .await
        .map_err(|e| state.upstream_error(e))?;
    Ok(no_store(Json(view)))
}

/// Plans that add data to the line of the order's `esim`.
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
    ClientIp(client): ClientIp,
    Path(order_ref): Path<String>,
) -> Result<Response, ApiError> {
    topup_offers_of(&state, client, &order_ref, None).await
}

/// Plans that add data to one line of the order.
#[utoipa::path(get, path = "/api/orders/{order_ref}/lines/{iccid}/topups", tag = "orders",
    params(("order_ref" = String, Path, description = "The order's reference"),
        ("iccid" = String, Path, description = "The line's ICCID, as in the order's `lines`")),
    responses(
        (status = 200, description = "Offers", body = TopupOffers),
        (status = 404, description = "No such order, or no such line in it", body = simology_proxy_api::ErrorBody),
        (status = 409, description = "The line was refunded", body = simology_proxy_api::ErrorBody),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
        (status = 503, description = "Upstream unavailable", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn line_topup_offers(
    State(state): State<SharedState>,
    ClientIp(client): ClientIp,
    Path((order_ref, iccid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    topup_offers_of(&state, client, &order_ref, Some(&iccid)).await
}

async fn topup_offers_of(
    state: &SharedState,
    client: IpAddr,
    order_ref: &str,
    iccid: Option<&str>,
) -> Result<Response, ApiError> {
    let row = known_order(state, client, order_ref).await?;
    working_line(&row, iccid)?;
    let offers = purchase::topup_offers(state, &row).await?;
    Ok(no_store(Json(TopupOffers { offers })))
}

/// Buys a top-up for the line of the order's `esim`: a checkout like a plan's, whose
/// payment adds data to that line.
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
    ClientIp(client): ClientIp,
    Path(order_ref): Path<String>,
    headers: HeaderMap,
    body: Result<Json<TopupRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    buy_topup_for(&state, client, &order_ref, None, &headers, body).await
}

/// Buys a top-up for one line of the order: a checkout like a plan's, whose payment
/// adds data to that line alone.
#[utoipa::path(post, path = "/api/orders/{order_ref}/lines/{iccid}/topups", tag = "orders", request_body = TopupRequest,
    params(("order_ref" = String, Path, description = "The order's reference"),
        ("iccid" = String, Path, description = "The line's ICCID, as in the order's `lines`")),
    responses(
        (status = 200, description = "Session created", body = CheckoutResponse),
        (status = 400, description = "Invalid field", body = simology_proxy_api::ErrorBody),
        (status = 403, description = "Origin not allowed", body = simology_proxy_api::ErrorBody),
        (status = 404, description = "No such order, or no such line in it", body = simology_proxy_api::ErrorBody),
        (status = 409, description = "Line refunded, sold out, or intent reused", body = simology_proxy_api::ErrorBody),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
        (status = 503, description = "Upstream unavailable", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn buy_line_topup(
    State(state): State<SharedState>,
    ClientIp(client): ClientIp,
    Path((order_ref, iccid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Json<TopupRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    buy_topup_for(&state, client, &order_ref, Some(&iccid), &headers, body).await
}

async fn buy_topup_for(
    state: &SharedState,
    client: IpAddr,
    order_ref: &str,
    iccid: Option<&str>,
    headers: &HeaderMap,
    body: Result<Json<TopupRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    check_origin(state, headers)?;
    let row = known_order(state, client, order_ref).await?;
    let Json(body) = body?;
    let iccid = working_line(&row, iccid)?;
    let sku = Sku::parse(body.sku.trim())?;
    let plan = purchase::topup_plan(state, &row, &sku).await?;
    let quantity = Quantity::parse(1)?;
    let buyer = Buyer::of_topup(&body, &state.affiliates.allowed_origins(), || {
        state.emails.email(&row.order_ref)
    })?;
    let purchase = Purchase {
        topup_of: Some(TopupOf {
            order_ref: row.order_ref,
            iccid,
        }),
        plan,
        quantity,
        buyer,
    };
    let answer = purchase::start(state, purchase).await?;
    Ok(purchase_answer(headers, body.instance.as_deref(), answer))
}
