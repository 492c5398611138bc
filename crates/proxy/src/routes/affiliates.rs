//! Affiliates over HTTP: the funnel's beacons (`POST /api/beacons`), an affiliate's own
//! report (`GET /api/affiliates/{id}/report`, with that affiliate's token) and the
//! partner's (`GET /admin/report`, with the admin token). The work is in
//! `affiliates` and `services::report`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use simology_proxy_api::{Beacon, Report, ReportGroup, MAX_BEACON_BYTES};

use crate::client_ip::client_ip;
use crate::error::ApiError;
use crate::middleware::limit;
use crate::ratelimit::Budget;
use crate::services::beacons;
use crate::services::report::{self, ReportQuery};
use crate::state::SharedState;

/// The widget-facing routes (under CORS): beacons spend the beacon budget, reports the
/// status budget.
pub fn router(state: &SharedState) -> Router<SharedState> {
    Router::new()
        .route(
            "/api/beacons",
            post(beacon)
                .layer(DefaultBodyLimit::max(MAX_BEACON_BYTES))
                .route_layer(limit(state, Budget::Beacons)),
        )
        .route(
            "/api/affiliates/{affiliate}/report",
            get(affiliate_report)
                .route_layer(from_fn_with_state(Arc::clone(state), report_token))
                .route_layer(limit(state, Budget::Status)),
        )
}

/// The partner's report; `routes::admin` puts it behind the admin token's layer.
pub fn admin_router() -> Router<SharedState> {
    Router::new().route("/admin/report", get(admin_report))
}

/// Whether a beacon's content type is one the proxy reads: `text/plain` (what
/// `navigator.sendBeacon` sends for a string, with no CORS preflight) or
/// `application/json`, parameters aside.
fn readable(headers: &HeaderMap) -> bool {
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    matches!(mime.as_deref(), Some("text/plain" | "application/json"))
}

/// Counts a funnel event for an affiliate: one more in today's count for its
/// placement, page and destination (see `services::beacons` for what is kept of an
/// affiliate's day). Nothing about the reader is read or kept.
#[utoipa::path(post, path = "/api/beacons", tag = "affiliates",
    request_body(description = "A funnel event, as `navigator.sendBeacon` sends it (a JSON string as `text/plain`) or as JSON; at most 1,024 bytes",
        content((Beacon = "text/plain"), (Beacon = "application/json"))),
    responses(
        (status = 204, description = "Counted"),
        (status = 400, description = "Malformed body, unreadable content type, an attribution this proxy did not sign (or signed too long ago), or an invalid field", body = simology_proxy_api::ErrorBody),
        (status = 413, description = "Body too large", body = simology_proxy_api::ErrorBody),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn beacon(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(r.body_text())
        }
    })?;
    if !readable(&headers) {
        return Err(ApiError::BadRequest(
            "send Content-Type: text/plain or application/json".into(),
        ));
    }
    let beacon: Beacon = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid beacon: {e}")))?;
    beacons::accept(&state, &beacon)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A report's period and grouping.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportParams {
    /// First day, `YYYY-MM-DD` (UTC); by default the 30 days ending with `until`.
    #[param(format = Date)]
    pub since: Option<String>,
    /// Last day, included; by default today.
    #[param(format = Date)]
    pub until: Option<String>,
    /// What the rows are grouped by; by default the affiliate.
    pub by: Option<ReportGroup>,
    /// At most this many rows (1 to 10,000; by default 1,000), the first by affiliate
    /// and key; the answer's `rows_total` says how many there are.
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<u32>,
}

/// The partner's report: [`ReportParams`], and one affiliate or all.
#[derive(Debug, Deserialize)]
pub struct AdminReportParams {
    /// As in [`ReportParams`].
    pub since: Option<String>,
    /// As in [`ReportParams`].
    pub until: Option<String>,
    /// As in [`ReportParams`].
    pub by: Option<ReportGroup>,
    /// As in [`ReportParams`].
    pub limit: Option<u32>,
    /// One affiliate only.
    pub affiliate: Option<String>,
}

fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
}

fn no_store(report: Report) -> Response {
    let mut response = Json(report).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn query_of(
    params: Result<Query<ReportParams>, QueryRejection>,
    affiliate: Option<&str>,
) -> Result<ReportQuery, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    ReportQuery::parse_with_limit(
        p.since.as_deref(),
        p.until.as_deref(),
        affiliate,
        p.by.unwrap_or_default(),
        p.limit,
        report::today(),
    )
}

/// The affiliate whose report token a request carries, as `report_token` found it.
#[derive(Debug, Clone)]
pub struct ReportOf(pub String);

/// The report token check, as a layer (as `/admin`'s): a client throttled for failed
/// tokens (`ratelimit::AuthThrottle`, shared with `/admin`) gets 429 before its token is
/// even compared; a wrong token, or an affiliate that does not exist, 401 (429 once the
/// client is over its budget). The token is hashed and compared whether or not the
/// affiliate exists (`Affiliates::authenticate`).
async fn report_token(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let client = client_ip(&state.settings, &parts);
    if let Err(secs) = state.auth_failures.admit(client) {
        return ApiError::RateLimited(secs).into_response();
    }
    let affiliate = match Path::<String>::from_request_parts(&mut parts, &state).await {
        Ok(Path(id)) => id,
        Err(rejection) => return rejection.into_response(),
    };
    let me = state
        .affiliates
        .affiliates()
        .authenticate(&affiliate, bearer(&parts.headers))
        .map(|a| a.id.clone());
    if let Some(me) = me {
        parts.extensions.insert(ReportOf(me));
        return next.run(Request::from_parts(parts, body)).await;
    }
    state.metrics.report_auth_failed();
    tracing::warn!(client = %client, "affiliate report authentication failed");
    match state.auth_failures.failed(client) {
        Ok(()) => ApiError::AffiliateUnauthorised.into_response(),
        Err(secs) => ApiError::RateLimited(secs).into_response(),
    }
}

/// One affiliate's report, for that affiliate: `Authorization: Bearer <its report
/// token>`. Any other token, and an affiliate that does not exist, get the same 401;
/// a client's failed tokens are throttled (429).
#[utoipa::path(get, path = "/api/affiliates/{affiliate}/report", tag = "affiliates",
    params(("affiliate" = String, Path, description = "The affiliate's id"), ReportParams),
    security(("affiliate_token" = [])),
    responses(
        (status = 200, description = "The report", body = Report),
        (status = 400, description = "Malformed parameters", body = simology_proxy_api::ErrorBody),
        (status = 401, description = "No valid token for this affiliate", body = simology_proxy_api::ErrorBody),
        (status = 429, description = "Rate limited, or too many failed tokens from this client", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn affiliate_report(
    State(state): State<SharedState>,
    Extension(ReportOf(me)): Extension<ReportOf>,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let query = query_of(params, Some(&me))?;
    Ok(no_store(report::report(&state, &query).await?))
}

/// The partner's report, behind the admin token's layer (`routes::admin`);
/// `affiliate=` for one affiliate.
async fn admin_report(
    State(state): State<SharedState>,
    params: Result<Query<AdminReportParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let period = ReportParams {
        since: p.since,
        until: p.until,
        by: p.by,
        limit: p.limit,
    };
    let query = query_of(Ok(Query(period)), p.affiliate.as_deref())?;
    Ok(no_store(report::report(&state, &query).await?))
}
