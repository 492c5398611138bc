//! The OpenAPI document of the widget-facing API, served at `/api/openapi.json`.
//! It is derived from the handlers' annotations and the shared types, so it cannot
//! drift from the code.

use utoipa::OpenApi;

use crate::routes::{catalog, orders};

#[derive(OpenApi)]
#[openapi(
    info(title = "Simology partner proxy", description = "The API the eSIM storefront widget talks to."),
    paths(
        catalog::destinations,
        catalog::catalog,
        orders::checkout,
        orders::order,
        orders::usage,
        orders::topup_offers,
        orders::buy_topup,
    ),
    tags((name = "catalogue"), (name = "orders"))
)]
struct ApiDoc;

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
