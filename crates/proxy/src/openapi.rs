//! The OpenAPI document of the widget-facing API, served at `/api/openapi.json`.
//! It is derived from the handlers' annotations and the shared types, so it cannot
//! drift from the code.

use utoipa::OpenApi;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::Modify;

use crate::routes::{affiliates, catalog, embed, orders};

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
        orders::line_usage,
        orders::line_topup_offers,
        orders::buy_line_topup,
        embed::document,
    ),
    tags((name = "catalogue"), (name = "orders"), (name = "affiliates"), (name = "widget")),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_has_the_line_routes_and_the_order_s_lines() {
        let doc = serde_json::to_value(document()).expect("json");
        for path in [
            "/api/orders/{order_ref}/lines/{iccid}/usage",
            "/api/orders/{order_ref}/lines/{iccid}/topups",
            "/api/orders/{order_ref}/usage",
            "/api/orders/{order_ref}/topups",
        ] {
            assert!(doc["paths"][path].is_object(), "{path}");
        }
        assert!(doc["paths"]["/api/orders/{order_ref}/lines/{iccid}/topups"]["post"].is_object());
        let schemas = &doc["components"]["schemas"];
        for name in ["OrderDetail", "OrderView", "Line", "LineState", "Esim"] {
            assert!(schemas[name].is_object(), "{name}: {schemas}");
        }
        let answer = &doc["paths"]["/api/orders/{order_ref}"]["get"]["responses"]["200"];
        assert_eq!(
            answer["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/OrderDetail"
        );
        assert!(schemas["ErrorCode"]
            .to_string()
            .contains("quantity_unavailable"));
    }
}
