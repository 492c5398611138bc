//! What runs around handlers: the request context of every request (id, log span,
//! the deadline of its body, latency metrics, the error envelope), and the per-client
//! rate limits of the routes that spend a budget (a plain tower layer: no boxing or
//! cloning of the route per request).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use tower::{Layer, Service};

use crate::client_ip::client_ip;
use crate::error::{envelope, ApiError, Rendered};
use crate::ratelimit::Budget;
use crate::state::SharedState;

/// A request id for logs and error bodies: `preq_` and 16 hex digits, made without
/// allocating.
struct RequestId([u8; 21]);

impl RequestId {
    fn new() -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bits: u64 = rand::rng().random();
        let mut id = *b"preq_0000000000000000";
        for (i, b) in id[5..].iter_mut().enumerate() {
            *b = HEX[((bits >> (60 - 4 * i)) & 0xf) as usize];
        }
        RequestId(id)
    }

    fn as_str(&self) -> &str {
        // ASCII by construction.
        std::str::from_utf8(&self.0).unwrap_or("preq_")
    }
}

/// Per request: an id (header `request-id`), a log span, the body's deadline (see
/// `DeadlineBody`), latency metrics, and the error envelope written with the id.
pub async fn request_context(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let request_id = RequestId::new();
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("unmatched", MatchedPath::as_str);
    let span = tracing::info_span!(
        "request",
        request_id = request_id.as_str(),
        method = %request.method(),
        route
    );
    let (request, missed) = with_body_deadline(&state, request);
    let response = tracing::Instrument::instrument(next.run(request), span.clone()).await;
    let response = match missed {
        Some(missed) if missed.load(Ordering::SeqCst) => body_timed_out(&state),
        _ => response,
    };
    let mut response = match response.extensions().get::<Rendered>().cloned() {
        Some(rendered) => with_headers_of(envelope(&rendered, request_id.as_str()), &response),
        None => response,
    };
    if let Ok(v) = HeaderValue::from_bytes(&request_id.0) {
        response.headers_mut().insert("request-id", v);
    }
    let status = response.status().as_u16();
    let took = started.elapsed();
    state.metrics.request(route, status, took);
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

/// The rate limit of `budget`, as a `route_layer` for the routes that spend it: each
/// request spends one of the client's budget (see [`client_ip`]), or is answered 429
/// with the seconds to wait, without reaching the route.
pub fn limit(state: &SharedState, budget: Budget) -> RateLimit {
    RateLimit {
        state: Arc::clone(state),
        budget,
    }
}

/// See [`limit`].
#[derive(Clone)]
pub struct RateLimit {
    state: SharedState,
    budget: Budget,
}

impl<S> Layer<S> for RateLimit {
    type Service = RateLimited<S>;

    fn layer(&self, inner: S) -> RateLimited<S> {
        RateLimited {
            inner,
            limit: self.clone(),
        }
    }
}

/// A route behind a [`RateLimit`].
#[derive(Clone)]
pub struct RateLimited<S> {
    inner: S,
    limit: RateLimit,
}

impl<S> Service<Request> for RateLimited<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Unpin,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Limited<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let (parts, body) = request.into_parts();
        let RateLimit { state, budget } = &self.limit;
        match state
            .limits
            .check(*budget, client_ip(&state.settings, &parts))
        {
            Ok(()) => Limited::Through(self.inner.call(Request::from_parts(parts, body))),
            Err(retry_after) => {
                Limited::Refused(Some(ApiError::RateLimited(retry_after).into_response()))
            }
        }
    }
}

/// The answer of a [`RateLimited`] route: the route's, or 429.
pub enum Limited<F> {
    /// Within the budget.
    Through(F),
    /// Over it.
    Refused(Option<Response>),
}

impl<F> Future for Limited<F>
where
    F: Future<Output = Result<Response, Infallible>> + Unpin,
{
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut *self {
            Limited::Through(inner) => Pin::new(inner).poll(cx),
            Limited::Refused(answer) => Poll::Ready(Ok(answer.take().unwrap_or_else(|| {
                ApiError::Internal(anyhow::anyhow!("a refusal polled twice")).into_response()
            }))),
        }
    }
}

/// A request's body must arrive within the body timeout, counted from the end of its
/// headers; a body that does not is answered 408 and its connection closed. The body
/// streams through as it comes (the routes' own size limits apply as before); only its
/// end is bounded. Returns the request and, when it has a body, the flag its deadline
/// sets.
fn with_body_deadline(state: &SharedState, request: Request) -> (Request, Option<Arc<AtomicBool>>) {
    use http_body::Body as _;
    let body = request.body();
    if body.is_end_stream() || body.size_hint().exact() == Some(0) {
        return (request, None);
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
    (request, Some(missed))
}

fn body_timed_out(state: &SharedState) -> Response {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_preq_and_sixteen_hex_digits() {
        let id = RequestId::new();
        let text = id.as_str();
        assert_eq!(text.len(), 21, "{text}");
        assert!(text.starts_with("preq_"), "{text}");
        assert!(
            text[5..]
                .chars()
                .all(|c| matches!(c, '0'..='9' | 'a'..='f')),
            "{text}"
        );
        assert_ne!(RequestId::new().as_str(), text);
    }
}
