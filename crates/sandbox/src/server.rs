//! The HTTP side in one router: the `/v1` API (`api.rs`), the payment page (`pay.rs`)
//! and the `/sandbox` controls (`controls.rs`), every answer with a request id and every
//! error in the guide's envelope (`envelope.rs`).

use std::sync::Arc;

use axum::middleware;
use axum::routing::get;
use axum::Router;

use crate::envelope::request_ids;
use crate::shared::Sh;
use crate::{api, controls, pay};

/// The whole router.
pub(crate) fn router(shared: Sh) -> Router {
    Router::new()
        .nest("/v1", api::router(&shared))
        .nest("/sandbox", controls::router())
        .merge(pay::router())
        .route("/healthz", get(|| async { "ok" }))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            request_ids,
        ))
        .with_state(shared)
}
