//! `GET /api/destinations` and `GET /api/catalog`: cached, with ETags; and
//! `GET /api/esim-devices`, the phones that take an eSIM (the widget's data file,
//! built in), which the checkout loads when it opens.

use std::sync::OnceLock;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use simology_proxy_api::DestinationId;

use crate::catalog::Cached;
use crate::error::ApiError;
use crate::middleware::limit;
use crate::ratelimit::Budget;
use crate::routes::IfNoneMatch;
use crate::state::SharedState;

/// The routes; both spend the status budget.
pub fn router(state: &SharedState) -> Router<SharedState> {
    Router::new()
        .route("/api/destinations", get(destinations))
        .route("/api/catalog", get(catalog))
        .route("/api/esim-devices", get(esim_devices))
        .route_layer(limit(state, Budget::Status))
}

/// A cached body, or 304 when the widget already has it.
pub fn cached_response(cached: &Cached, if_none_match: &IfNoneMatch) -> Response {
    let mut response = if if_none_match.matches(&cached.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = cached.body.clone().into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, cached.etag.clone());
    // Fresh for a minute; after that the widget revalidates with If-None-Match.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    response
}

/// Countries and regions with plan counts and lowest prices.
#[utoipa::path(get, path = "/api/destinations", tag = "catalogue",
    responses(
        (status = 200, description = "Destinations", body = simology_proxy_api::DestinationsResponse),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
        (status = 503, description = "Upstream unavailable and nothing cached", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn destinations(
    State(state): State<SharedState>,
    if_none_match: IfNoneMatch,
) -> Result<Response, ApiError> {
    let snapshot = state.catalog_snapshot().await?;
    Ok(cached_response(&snapshot.destinations, &if_none_match))
}

/// Which destination: exactly one of the two.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CatalogParams {
    /// ISO 3166-1 alpha-2 country code, e.g. `US`.
    pub country: Option<String>,
    /// Region slug, e.g. `western-europe`.
    pub region: Option<String>,
}

/// The plans of one destination.
#[utoipa::path(get, path = "/api/catalog", tag = "catalogue", params(CatalogParams),
    responses(
        (status = 200, description = "Plans", body = simology_proxy_api::CatalogResponse),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "Neither or both of country and region, or malformed", body = simology_proxy_api::ErrorBody),
        (status = 404, description = "No plans for this destination", body = simology_proxy_api::ErrorBody),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
        (status = 503, description = "Upstream unavailable and nothing cached", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn catalog(
    State(state): State<SharedState>,
    if_none_match: IfNoneMatch,
    params: Result<Query<CatalogParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let destination = match (params.country, params.region) {
        (Some(c), None) => DestinationId::country(&c).ok_or_else(|| {
            ApiError::BadRequest("country must be a two-letter code such as US".into())
        })?,
        (None, Some(r)) => DestinationId::region(&r).ok_or_else(|| {
            ApiError::BadRequest("region must be a slug such as western-europe".into())
        })?,
        _ => {
            return Err(ApiError::BadRequest(
                "give exactly one of country and region".into(),
            ))
        }
    };
    let snapshot = state.catalog_snapshot().await?;
    let cached = snapshot.catalog(&destination).ok_or(ApiError::NotFound)?;
    Ok(cached_response(cached, &if_none_match))
}

/// The eSIM-capable phones, their sources and how to update them
/// (`simology_widget_core::compat::DEVICES_JSON`), as they are; a day fresh, then
/// revalidated with `If-None-Match`.
#[utoipa::path(get, path = "/api/esim-devices", tag = "catalogue",
    responses(
        (status = 200, description = "The phones that take an eSIM: `sources` (id, name, url), `brands` (brand, source, exceptions, models), `updated`", content_type = "application/json"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn esim_devices(if_none_match: IfNoneMatch) -> Result<Response, ApiError> {
    static DEVICES: OnceLock<Cached> = OnceLock::new();
    let cached = match DEVICES.get() {
        Some(c) => c,
        None => {
            let c = Cached::of_json(simology_widget_core::compat::DEVICES_JSON.as_bytes())
                .map_err(ApiError::Internal)?;
            DEVICES.get_or_init(|| c)
        }
    };
    let mut response = cached_response(cached, &if_none_match);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(response)
}
