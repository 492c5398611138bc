//! Affiliates over HTTP: the funnel's beacons (`POST /api/beacons`), an affiliate's own
//! report (`GET /api/affiliates/{id}/report`, with that affiliate's token) and the
//! partner's (`GET /admin/report`, with the admin token). The work is in
//! `affiliates` and `services::report`.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use simology_proxy_api::{Beacon, Report, ReportGroup, MAX_BEACON_BYTES};

use crate::affiliates::Counted;
use crate::clock::{now_ms, utc_day};
use crate::error::ApiError;
use crate::middleware::limit;
use crate::ratelimit::Budget;
use crate::services::report::{self, ReportQuery};
use crate::state::SharedState;
use crate::store::FunnelKey;

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
            get(affiliate_report).route_layer(limit(state, Budget::Status)),
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
/// placement, page and destination. Nothing about the reader is read or kept.
#[utoipa::path(post, path = "/api/beacons", tag = "affiliates",
    request_body(description = "A funnel event, as `navigator.sendBeacon` sends it (a JSON string as `text/plain`) or as JSON; at most 1,024 bytes",
        content((Beacon = "text/plain"), (Beacon = "application/json"))),
    responses(
        (status = 204, description = "Counted"),
        (status = 400, description = "Malformed body, unreadable content type, unknown affiliate or invalid field", body = simology_proxy_api::ErrorBody),
        (status = 403, description = "The Origin is not one of the affiliate's sites", body = simology_proxy_api::ErrorBody),
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
    let counted = Counted::of_beacon(
        &state.affiliates.affiliates(),
        super::origin(&headers),
        &beacon,
    )?;
    let key = FunnelKey {
        affiliate: counted.attribution.affiliate,
        placement: counted.attribution.placement,
        page_path: counted.attribution.page_path,
        destination: counted.destination,
    };
    state
        .store
        .count_event(&utc_day(now_ms()), &key, counted.event)
        .await?;
    state
        .metrics
        .affiliate_beacon(&key.affiliate, counted.event.as_str());
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
    ReportQuery::parse(
        p.since.as_deref(),
        p.until.as_deref(),
        affiliate,
        p.by.unwrap_or_default(),
        report::today(),
    )
}

/// One affiliate's report, for that affiliate: `Authorization: Bearer <its report
/// token>`. Any other token, and an affiliate that does not exist, get the same 401.
#[utoipa::path(get, path = "/api/affiliates/{affiliate}/report", tag = "affiliates",
    params(("affiliate" = String, Path, description = "The affiliate's id"), ReportParams),
    security(("affiliate_token" = [])),
    responses(
        (status = 200, description = "The report", body = Report),
        (status = 400, description = "Malformed parameters", body = simology_proxy_api::ErrorBody),
        (status = 401, description = "No valid token for this affiliate", body = simology_proxy_api::ErrorBody),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn affiliate_report(
    State(state): State<SharedState>,
    Path(affiliate): Path<String>,
    headers: HeaderMap,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let affiliates = state.affiliates.affiliates();
    let Some(me) = affiliates.authenticate(&affiliate, bearer(&headers)) else {
        return Err(ApiError::AffiliateUnauthorised);
    };
    let query = query_of(params, Some(&me.id))?;
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
    };
    let query = query_of(Ok(Query(period)), p.affiliate.as_deref())?;
    Ok(no_store(report::report(&state, &query).await?))
}
