//! The OpenAPI document of the widget-facing API, served at `/api/openapi.json`.
//! It is derived from the handlers' annotations and the shared types, so it cannot
//! drift from the code.

use utoipa::OpenApi;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::Modify;

use crate::routes::{affiliates, catalog, orders};

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
        affiliates::beacon,
        affiliates::affiliate_report,
    ),
    tags((name = "catalogue"), (name = "orders"), (name = "affiliates")),
    modifiers(&AffiliateToken)
)]
struct ApiDoc;

/// The bearer token an affiliate reads its report with.
struct AffiliateToken;

impl Modify for AffiliateToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "affiliate_token",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(
                            "The affiliate's report token, from the affiliates file",
                        ))
                        .build(),
                ),
            );
        }
    }
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
