//! What runs around handlers: the request context of every request (id, log span,
//! latency metrics, the error envelope), the deadline of request bodies, and the
//! per-client rate limits of the routes that spend a budget.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::Route;
use rand::Rng;
use tower::{Layer, Service};

use crate::client_ip::client_ip;
use crate::error::{envelope, ApiError, Rendered};
use crate::ratelimit::Budget;
use crate::state::SharedState;

/// A request id for logs and error bodies.
fn new_request_id() -> String {
    let bits: u64 = rand::rng().random();
    format!("preq_{bits:016x}")
}

/// Per request: an id (header `request-id`), a log span, latency metrics, and the error
/// envelope written with the id.
pub async fn request_context(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let request_id = new_request_id();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().clone();
    let span = tracing::info_span!("request", request_id = %request_id, %method, route = %route);
    let response = tracing::Instrument::instrument(next.run(request), span.clone()).await;
    let mut response = match response.extensions().get::<Rendered>().cloned() {
        Some(rendered) => with_headers_of(envelope(&rendered, &request_id), &response),
        None => response,
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("request-id", v);
    }
    let status = response.status().as_u16();
    let took = started.elapsed();
    state.metrics.request(&route, status, took);
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, took_ms = took.as_millis() as u64, "request failed");
        } else {
            tracing::debug!(status, took_ms = took.as_millis() as u64, "request");
        }
    });
    response
}

/// The error envelope keeps the headers that layers inside this one set on the
/// handler's answer (CORS above all: without them, a browser hides the error from the
/// widget, which could then only say that the shop cannot be reached).
fn with_headers_of(mut enveloped: Response, original: &Response) -> Response {
    let own: Vec<_> = enveloped.headers().keys().cloned().collect();
    for (name, value) in original.headers() {
        if !own.contains(name) {
            enveloped.headers_mut().append(name.clone(), value.clone());
        }
    }
    enveloped
}

/// Spends one request of a budget for the client (see [`client_ip`]), or answers
/// 429 with the seconds to wait. Used as a `route_layer` on the routes that spend it.
pub async fn rate_limit(
    State((state, budget)): State<(SharedState, Budget)>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let client = client_ip(&state.settings, &parts);
    match state.limits.check(budget, client) {
        Ok(()) => next.run(Request::from_parts(parts, body)).await,
        Err(retry_after) => ApiError::RateLimited(retry_after).into_response(),
    }
}

/// The rate limit of `budget`, as a `route_layer` for the routes that spend it (see
/// [`rate_limit`]).
pub fn limit(
    state: &SharedState,
    budget: Budget,
) -> impl Layer<
    Route,
    Service: Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
                 + Clone
                 + Send
                 + Sync
                 + 'static,
> + Clone
       + Send
       + Sync
       + 'static {
    from_fn_with_state((Arc::clone(state), budget), rate_limit)
}

/// A request's body must arrive within the body timeout, counted from the end of its
/// headers; a body that does not is answered 408 and its connection closed. The body
/// streams through as it comes (the routes' own size limits apply as before); only its
/// end is bounded.
pub async fn body_deadline(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    use http_body::Body as _;
    let body = request.body();
    if body.is_end_stream() || body.size_hint().exact() == Some(0) {
        return next.run(request).await;
    }
    let timeout = state.settings.serving.body_timeout;
    let missed = Arc::new(AtomicBool::new(false));
    let request = request.map(|body| {
        axum::body::Body::new(DeadlineBody {
            body,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            missed: Arc::clone(&missed),
        })
    });
    let response = next.run(request).await;
    if !missed.load(Ordering::SeqCst) {
        return response;
    }
    state.metrics.body_timeout();
    let mut response = ApiError::BodyTimeout.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A request body that fails once its deadline passes.
struct DeadlineBody {
    body: axum::body::Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
    missed: Arc<AtomicBool>,
}

impl http_body::Body for DeadlineBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.missed.store(true, Ordering::SeqCst);
                Poll::Ready(Some(Err(axum::Error::new(
                    "the body did not arrive in time",
                ))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
