//! The OpenAPI document of the widget-facing API, served at `/api/openapi.json`.
//! It is derived from the handlers' annotations and the shared types, so it cannot
//! drift from the code. Its `webhooks` section describes what the proxy sends the
//! partner's systems (`outgoing::events`): one entry per event type, with its headers
//! and its payload's schema.

use utoipa::OpenApi;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::Modify;

use crate::outgoing::events::{
    ConversionEventData, ConversionStatus, ConversionWebhook, EventType, OrderEventData,
    OrderWebhook, TopupEventData, TopupWebhook,
};
use crate::routes::{affiliates, catalog, embed, orders};

#[derive(OpenApi)]
#[openapi(
    info(title = "Simology partner proxy", description = "The API the eSIM storefront widget talks to."),
    paths(
        catalog::destinations,
        catalog::catalog,
        catalog::esim_devices,
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
    components(schemas(
        OrderWebhook,
        TopupWebhook,
        ConversionWebhook,
        OrderEventData,
        TopupEventData,
        ConversionEventData,
        ConversionStatus
    )),
    tags((name = "catalogue"), (name = "orders"), (name = "affiliates"), (name = "widget"), (name = "webhooks", description = "What the proxy sends the partner's systems: signed (Standard Webhooks) POSTs to the endpoints of PROXY_WEBHOOKS")),
    modifiers(&AffiliateToken, &Webhooks)
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

/// The `webhooks` section (OpenAPI 3.1): a `POST` per event type, to the partner's
/// endpoint.
struct Webhooks;

/// What each event type says, and the schema of its body.
fn described(t: EventType) -> (&'static str, &'static str) {
    match t {
        EventType::OrderPaid => ("An eSIM order is paid (funds confirmed, or a first eSIM delivered).", "OrderWebhook"),
        EventType::OrderReady => ("Every eSIM the order bought is delivered.", "OrderWebhook"),
        EventType::OrderFailed => ("Payment declined or provisioning failed (`data.reason`).", "OrderWebhook"),
        EventType::OrderRefunded => ("The whole order is refunded (at once, or its last line).", "OrderWebhook"),
        EventType::LineRefunded => ("One line (one traveller's eSIM, `data.iccid`) is refunded alone.", "OrderWebhook"),
        EventType::TopupPaid => ("A top-up is paid.", "TopupWebhook"),
        EventType::TopupApplied => ("A top-up's data was added to its line.", "TopupWebhook"),
        EventType::AffiliateConversion => (
            "An affiliate's sale: `pending` when paid, `approved` when ready, `reversed` on a refund (a line refund reverses that line's amount).",
            "ConversionWebhook",
        ),
    }
}

impl Modify for Webhooks {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let header = |name: &str, description: &str| serde_json::json!({"name": name, "in": "header", "required": true, "description": description, "schema": {"type": "string"}});
        let parameters = serde_json::json!([
            header("webhook-id", "The event's id (`msg_...`): the same on every attempt and to every endpoint; deduplicate by it."),
            header("webhook-timestamp", "Unix seconds of this attempt; refuse one more than 5 minutes away."),
            header("webhook-signature", "`v1,<base64 HMAC-SHA256 of \"<webhook-id>.<webhook-timestamp>.<body>\">` under the endpoint's `whsec_` secret; several, separated by spaces, while a secret is rotated."),
        ]);
        let mut hooks = serde_json::Map::new();
        for t in EventType::ALL {
            let (description, schema) = described(t);
            hooks.insert(
                t.as_str().to_owned(),
                serde_json::json!({"post": {
                    "tags": ["webhooks"],
                    "operationId": format!("webhook_{}", t.as_str().replace('.', "_")),
                    "summary": t.as_str(),
                    "description": format!("{description} The body is `{{type, timestamp, version, data}}`; no payload carries an email, an activation code or an order reference."),
                    "parameters": parameters,
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}},
                    "responses": {"2XX": {"description": "Received. Any other answer, a redirect or a timeout (10 s) is retried on the documented schedule for 3 days."}},
                }}),
            );
        }
        openapi
            .extensions
            .get_or_insert_with(Default::default)
            .insert("webhooks".to_owned(), serde_json::Value::Object(hooks));
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

    #[test]
    fn the_webhooks_section_describes_every_event_and_its_payload() {
        let doc = serde_json::to_value(document()).expect("json");
        let hooks = doc["webhooks"].as_object().expect("a webhooks section");
        assert_eq!(hooks.len(), EventType::ALL.len());
        let schemas = &doc["components"]["schemas"];
        for t in EventType::ALL {
            let post = &hooks[t.as_str()]["post"];
            let reference = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .expect("a schema");
            let name = reference.trim_start_matches("#/components/schemas/");
            let schema = &schemas[name];
            for field in ["type", "timestamp", "version", "data"] {
                assert!(
                    schema["properties"][field].is_object(),
                    "{name}.{field}: {schema}"
                );
            }
            let headers: Vec<&str> = post["parameters"]
                .as_array()
                .expect("headers")
                .iter()
                .filter_map(|p| p["name"].as_str())
                .collect();
            assert_eq!(
                headers,
                ["webhook-id", "webhook-timestamp", "webhook-signature"]
            );
        }
        let order = &schemas["OrderEventData"]["properties"];
        assert!(order["order_id"].is_object() && order["order_tag"].is_object());
        for never in ["email", "order_ref", "lpa", "activation_code"] {
            for name in ["OrderEventData", "TopupEventData", "ConversionEventData"] {
                assert!(
                    schemas[name]["properties"][never].is_null(),
                    "{name}.{never}"
                );
            }
        }
        assert!(schemas["ConversionEventData"]["properties"]["click_id"].is_object());
    }
}
