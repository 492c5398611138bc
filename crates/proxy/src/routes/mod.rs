//! HTTP routes, one module per resource.

pub mod admin;
pub mod catalog;
pub mod ops;
pub mod orders;
pub mod webhooks;

use axum::Router;

use crate::SharedState;

/// The widget-facing API (`/api/...`), behind CORS.
pub fn api_router() -> Router<SharedState> {
    Router::new()
        .merge(catalog::router())
        .merge(orders::router())
}
