//! Every answer's `request-id` header, and every error in the guide's envelope.

use axum::extract::{Request, State as AxState};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use simology::models::{ErrorBody, ErrorDetail};

use crate::shared::Sh;
use crate::state::Fail;

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        // The envelope is written by `request_ids`, which knows the request id.
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

fn envelope(fail: &Fail, request_id: &str) -> Response {
    let status = StatusCode::from_u16(fail.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = ErrorBody {
        error: ErrorDetail {
            code: fail.code.to_owned(),
            message: fail.message.clone(),
            request_id: Some(request_id.to_owned()),
            retry_after: fail.retry_after,
        },
    };
    let mut response = (status, Json(body)).into_response();
    if let Some(secs) = fail.retry_after {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert("retry-after", v);
        }
    }
    response
}

/// Gives every response a `request-id` header, and every error its envelope.
pub(crate) async fn request_ids(
    AxState(shared): AxState<Sh>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = shared.lock().id("req");
    let response = next.run(request).await;
    let mut response = match response.extensions().get::<Fail>().cloned() {
        Some(fail) => envelope(&fail, &request_id),
        None => response,
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("request-id", v);
    }
    response
}
