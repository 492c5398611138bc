//! The `/v1` API at the guide's paths: authentication, fault injection, idempotency,
//! and one handler per endpoint. Each handler takes the state's lock once, so each call
//! takes effect atomically.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use simology::models::{CheckoutSessionRequest, LineRefundRequest, RefundRequest, TopupRequest};
use time::OffsetDateTime;

use crate::effects::apply;
use crate::shared::Sh;
use crate::state::{Effects, Fail, State, StoredAnswer};

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// `/v1` authentication: 401 for a missing or unknown key, 403 for a production key.
async fn auth(AxState(shared): AxState<Sh>, request: Request, next: Next) -> Response {
    match bearer(request.headers()) {
        None => Fail::new(
            401,
            "auth_error",
            "Missing API key: send Authorization: Bearer <key>.",
        )
        .into_response(),
        Some(key) if key.starts_with("sk_live_") => Fail::new(
            403,
            "auth_error",
            "A production key cannot be used in the sandbox; use an sk_sandbox_ key.",
        )
        .into_response(),
        Some(key) if !shared.config.api_keys.iter().any(|k| k == key) => {
            Fail::new(401, "auth_error", "Invalid API key.").into_response()
        }
        Some(_) => next.run(request).await,
    }
}

/// `/v1` fault injection: latency, 429s, and 5xx before or after the request's effect.
async fn faults(AxState(shared): AxState<Sh>, request: Request, next: Next) -> Response {
    let (faults, draw, before, forced) = {
        let mut st = shared.lock();
        st.v1_requests += 1;
        let forced = if st.faults.next_rate_limits > 0 {
            st.faults.next_rate_limits -= 1;
            Some(429)
        } else if st.faults.next_errors > 0 {
            st.faults.next_errors -= 1;
            Some(500)
        } else {
            None
        };
        let faults = st.faults.clone();
        let draw = st.fault_draw();
        let before = st.fault_draw() < 0.5;
        (faults, draw, before, forced)
    };
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    if forced == Some(500) {
        return Fail::new(500, "server_error", "Injected server error.").into_response();
    }
    if forced == Some(429) || draw < faults.rate_limit_rate {
        let mut fail = Fail::new(429, "rate_limited", "Too many requests. Try again later.");
        fail.retry_after = Some(faults.retry_after_secs);
        return fail.into_response();
    }
    let server_error =
        draw >= faults.rate_limit_rate && draw < faults.rate_limit_rate + faults.error_rate;
    let injected = || Fail::new(500, "server_error", "Injected server error.").into_response();
    if server_error && before {
        return injected();
    }
    let response = next.run(request).await;
    if server_error {
        // The request took effect; its answer is lost.
        return injected();
    }
    response
}

fn parse_body<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Fail> {
    serde_json::from_slice(body).map_err(|e| Fail::validation(format!("invalid request body: {e}")))
}

/// Runs a POST under its `Idempotency-Key`: a repeat with the same body gets the first
/// answer again; a repeat with another body gets 409 `conflict`.
fn idempotent<T: serde::Serialize>(
    shared: &Sh,
    headers: &HeaderMap,
    scope: &str,
    body: &Bytes,
    run: impl FnOnce(&mut State) -> Result<(T, Effects), Fail>,
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let fingerprint: [u8; 32] = Sha256::digest(body).into();
    let api_key = bearer(headers).unwrap_or_default().to_owned();
    let mut st = shared.lock();
    if let Some(key) = &key {
        if key.is_empty() || key.len() > 255 {
            return Fail::validation("Idempotency-Key must be 1 to 255 characters").into_response();
        }
        let slot = (api_key.clone(), scope.to_owned(), key.clone());
        if let Some(stored) = st.idempotency.get(&slot) {
            if stored.fingerprint != fingerprint {
                return Fail::new(
                    409,
                    "conflict",
                    "This Idempotency-Key was used with a different request body.",
                )
                .into_response();
            }
            let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
            let mut response = (status, stored.body.clone()).into_response();
            let h = response.headers_mut();
            h.insert("content-type", HeaderValue::from_static("application/json"));
            h.insert("idempotent-replayed", HeaderValue::from_static("true"));
            return response;
        }
    }
    let (value, effects) = match run(&mut st) {
        Ok(r) => r,
        Err(fail) => return fail.into_response(),
    };
    let bytes = match serde_json::to_vec(&value) {
        Ok(b) => b,
        Err(e) => return Fail::new(500, "server_error", e.to_string()).into_response(),
    };
    if let Some(key) = key {
        st.idempotency.insert(
            (api_key, scope.to_owned(), key),
            StoredAnswer {
                fingerprint,
                status: 200,
                body: bytes.clone(),
            },
        );
    }
    drop(st);
    apply(shared, effects);
    let mut response = (StatusCode::OK, bytes).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

#[derive(Deserialize)]
struct CatalogParams {
    country: Option<String>,
    region: Option<String>,
}

async fn catalog(
    AxState(shared): AxState<Sh>,
    Query(params): Query<CatalogParams>,
) -> Result<Json<serde_json::Value>, Fail> {
    let st = shared.lock();
    let (country, region) = match (params.country, params.region) {
        (Some(_), Some(_)) => return Err(Fail::validation("give country or region, not both")),
        (Some(country), None) => {
            let country = country.to_ascii_uppercase();
            if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(Fail::validation(
                    "country must be an ISO 3166-1 alpha-2 code",
                ));
            }
            (Some(country), None)
        }
        (None, Some(region)) => {
            if region.is_empty()
                || region.len() > 40
                || !region.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
            {
                return Err(Fail::validation(
                    "region must be a slug such as western-europe",
                ));
            }
            if !crate::catalog::is_region(&region) {
                return Err(Fail::not_found("region"));
            }
            (None, Some(region))
        }
        (None, None) => (None, None),
    };
    let (country, region) = (country.as_deref(), region.as_deref());
    let mut items = Vec::new();
    for item in st.catalog.values() {
        let wanted = match (country, region) {
            (Some(country), _) => item.coverage.iter().any(|c| c == country),
            (None, Some(region)) => item.region == region,
            (None, None) => true,
        };
        if wanted {
            items.push(
                serde_json::to_value(item)
                    .map_err(|e| Fail::new(500, "server_error", e.to_string()))?,
            );
        }
    }
    // Drifted items go out exactly as they were put in.
    items.extend(
        st.catalog_drift
            .iter()
            .filter(|item| crate::catalog::drift_matches(item, country, region))
            .cloned(),
    );
    let updated_at = st
        .catalog_updated_at
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| Fail::new(500, "server_error", e.to_string()))?;
    Ok(Json(serde_json::json!({
        "items": items,
        "updated_at": updated_at,
    })))
}

async fn create_session(AxState(shared): AxState<Sh>, headers: HeaderMap, body: Bytes) -> Response {
    let base = shared.public_url.clone();
    idempotent(
        &shared,
        &headers,
        "POST /v1/checkout/sessions",
        &body,
        |st| {
            let request: CheckoutSessionRequest = parse_body(&body)?;
            let session = st.create_session(request, &base, OffsetDateTime::now_utc())?;
            Ok((session, Effects::default()))
        },
    )
}

async fn get_session(
    AxState(shared): AxState<Sh>,
    Path(id): Path<String>,
) -> Result<Response, Fail> {
    let mut st = shared.lock();
    let rec = st
        .session(&id, OffsetDateTime::now_utc())
        .ok_or_else(|| Fail::not_found("checkout session"))?;
    Ok(Json(rec.session.clone()).into_response())
}

async fn get_order(AxState(shared): AxState<Sh>, Path(id): Path<String>) -> Result<Response, Fail> {
    let st = shared.lock();
    let rec = st.orders.get(&id).ok_or_else(|| Fail::not_found("order"))?;
    Ok(Json(rec.order.clone()).into_response())
}

async fn get_line(
    AxState(shared): AxState<Sh>,
    Path(iccid): Path<String>,
) -> Result<Response, Fail> {
    let st = shared.lock();
    Ok(Json(st.line_status(&iccid, OffsetDateTime::now_utc())?).into_response())
}

async fn create_topup(AxState(shared): AxState<Sh>, headers: HeaderMap, body: Bytes) -> Response {
    idempotent(&shared, &headers, "POST /v1/topups", &body, |st| {
        let request: TopupRequest = parse_body(&body)?;
        Ok((
            st.topup(request, OffsetDateTime::now_utc())?,
            Effects::default(),
        ))
    })
}

/// `POST /v1/refunds`: the SDK's `RefundRequest` for a whole order, or its
/// `LineRefundRequest` when the body names an `iccid`.
async fn create_refund(AxState(shared): AxState<Sh>, headers: HeaderMap, body: Bytes) -> Response {
    idempotent(&shared, &headers, "POST /v1/refunds", &body, |st| {
        let request: RefundRequest = parse_body(&body)?;
        let names_a_line = serde_json::from_slice::<serde_json::Value>(&body)
            .is_ok_and(|v| v.get("iccid").is_some_and(|i| !i.is_null()));
        let iccid = if names_a_line {
            Some(parse_body::<LineRefundRequest>(&body)?.iccid)
        } else {
            None
        };
        st.refund(request.order_id, iccid, OffsetDateTime::now_utc())
    })
}

async fn v1_not_found() -> Fail {
    Fail::not_found("endpoint")
}

/// The `/v1` routes, behind authentication and fault injection.
pub(crate) fn router(shared: &Sh) -> Router<Sh> {
    Router::new()
        .route("/catalog", get(catalog))
        .route("/checkout/sessions", post(create_session))
        .route("/checkout/sessions/{id}", get(get_session))
        .route("/orders/{id}", get(get_order))
        .route("/lines/{iccid}", get(get_line))
        .route("/topups", post(create_topup))
        .route("/refunds", post(create_refund))
        .fallback(v1_not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(shared), faults))
        .layer(middleware::from_fn_with_state(Arc::clone(shared), auth))
}
