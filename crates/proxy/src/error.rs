//! The proxy's one error type. Every error leaves as the widget's envelope with a code
//! it can translate; causes of 5xx are logged and never sent; upstream messages are
//! never passed through.

use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use simology_proxy_api::{ErrorBody, ErrorCode, ErrorDetail};

use crate::domain::{Invalid, MalformedRef};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field broke a rule.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The body or a parameter is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// No such order or destination (the same answer whether it never existed or not).
    #[error("not found")]
    NotFound,
    /// The order is not ready for this.
    #[error("{0}")]
    NotReady(&'static str),
    /// The intent was reused with other details.
    #[error("{0}")]
    Conflict(&'static str),
    /// The plan is sold out.
    #[error("the plan is not available")]
    SkuUnavailable,
    /// The quantity cannot be delivered as separate lines; the reason says why.
    #[error("{0}")]
    QuantityUnavailable(String),
    /// Too many requests.
    #[error("too many requests")]
    RateLimited(u64),
    /// The Origin header is not allowed.
    #[error("origin not allowed")]
    OriginNotAllowed,
    /// The body is over the route's limit.
    #[error("body too large")]
    PayloadTooLarge,
    /// The body did not arrive within the body timeout.
    #[error("the body did not arrive in time")]
    BodyTimeout,
    /// Missing or wrong admin token.
    #[error("unauthorised")]
    Unauthorised,
    /// Missing or wrong token for an affiliate's report (or no such affiliate: the
    /// answer is the same).
    #[error("unauthorised")]
    AffiliateUnauthorised,
    /// The proxy has no widget files to make the widget's frame with
    /// (`PROXY_WIDGET_DIR`).
    #[error("the widget's files are not configured")]
    WidgetUnavailable,
    /// The upstream answered something the proxy must not pass on (an unsafe payment
    /// page): logged, answered as an upstream failure.
    #[error("upstream answered badly: {0}")]
    UpstreamAnswer(&'static str),
    /// The upstream failed.
    #[error("upstream: {0}")]
    Upstream(#[from] simology::Error),
    /// A bug or an infrastructure failure.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<MalformedRef> for ApiError {
    /// A malformed reference is answered like a missing order.
    fn from(_: MalformedRef) -> Self {
        ApiError::NotFound
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::PayloadTooLarge;
        }
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::BadRequest("send Content-Type: application/json".into())
            }
            other => ApiError::BadRequest(format!("invalid JSON body: {}", other.body_text())),
        }
    }
}

/// The envelope parts of an error, before the request id is known.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// HTTP status.
    pub status: StatusCode,
    /// The body.
    pub detail: ErrorDetail,
}

impl ApiError {
    fn render(&self) -> Rendered {
        let (status, code, message, field, retry_after) = match self {
            ApiError::Invalid(inv) => (
                StatusCode::BAD_REQUEST,
                inv.field.code(),
                inv.to_string(),
                Some(inv.field.name().to_owned()),
                None,
            ),
            ApiError::BadRequest(m) => (
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidRequest,
                m.clone(),
                None,
                None,
            ),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "no such order or destination".into(),
                None,
                None,
            ),
            ApiError::NotReady(m) => (
                StatusCode::CONFLICT,
                ErrorCode::NotReady,
                (*m).into(),
                None,
                None,
            ),
            ApiError::Conflict(m) => (
                StatusCode::CONFLICT,
                ErrorCode::Conflict,
                (*m).into(),
                None,
                None,
            ),
            ApiError::SkuUnavailable => (
                StatusCode::CONFLICT,
                ErrorCode::SkuUnavailable,
                "this plan is sold out".into(),
                Some("sku".into()),
                None,
            ),
            ApiError::QuantityUnavailable(m) => (
                StatusCode::CONFLICT,
                ErrorCode::QuantityUnavailable,
                m.clone(),
                Some("quantity".into()),
                None,
            ),
            ApiError::RateLimited(secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                "too many requests".into(),
                None,
                Some(*secs),
            ),
            ApiError::OriginNotAllowed => (
                StatusCode::FORBIDDEN,
                ErrorCode::OriginNotAllowed,
                "this origin may not use this proxy".into(),
                None,
                None,
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                "the body is too large".into(),
                None,
                None,
            ),
            ApiError::BodyTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::InvalidRequest,
                "the request body did not arrive in time".into(),
                None,
                None,
            ),
            ApiError::Unauthorised => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidRequest,
                "a valid admin token is required".into(),
                None,
                None,
            ),
            ApiError::AffiliateUnauthorised => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidRequest,
                "this affiliate's report token is required".into(),
                None,
                None,
            ),
            ApiError::WidgetUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::InternalError,
                "this proxy serves no widget: set PROXY_WIDGET_DIR to the widget's built files"
                    .into(),
                None,
                None,
            ),
            ApiError::UpstreamAnswer(what) => {
                tracing::error!(what, "the upstream's answer was refused");
                (
                    StatusCode::BAD_GATEWAY,
                    ErrorCode::InternalError,
                    "the eSIM provider answered with an unusable payment page".into(),
                    None,
                    None,
                )
            }
            ApiError::Upstream(e) => return upstream(e),
            ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::InternalError,
                    "internal error".into(),
                    None,
                    None,
                )
            }
        };
        Rendered {
            status,
            detail: ErrorDetail {
                code,
                message,
                field,
                retry_after,
                request_id: None,
            },
        }
    }
}

/// Maps an upstream error to what the widget may see: a code and a generic message.
fn upstream(e: &simology::Error) -> Rendered {
    use simology::Error as E;
    let (status, code, message, retry_after) = match e {
        E::Validation(d) if d.code == "sku_unavailable" => (
            StatusCode::CONFLICT,
            ErrorCode::SkuUnavailable,
            "this plan is sold out",
            None,
        ),
        E::NotFound(_) => (
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no such order or destination",
            None,
        ),
        E::Conflict(_) => (
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            "this purchase was already started with other details",
            None,
        ),
        E::RateLimited { retry_after, .. } => (
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::UpstreamUnavailable,
            "the eSIM provider is busy; try again shortly",
            Some(retry_after.map_or(5, |d| d.as_secs().max(1))),
        ),
        E::Server(_) | E::Timeout | E::Transport(_) | E::CircuitOpen { .. } => (
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::UpstreamUnavailable,
            "the eSIM provider cannot be reached; try again shortly",
            Some(5),
        ),
        // Our request was wrong, or our key is: the partner must fix it, the traveller
        // cannot. Logged in full, answered generically.
        E::Validation(_)
        | E::Auth(_)
        | E::Other(_)
        | E::Decode { .. }
        | E::Config(_)
        | E::EnvironmentMismatch { .. } => {
            tracing::error!(code = e.code(), request_id = e.request_id(), error = %e, "upstream refused a request");
            (
                StatusCode::BAD_GATEWAY,
                ErrorCode::InternalError,
                "the eSIM provider refused the request",
                None,
            )
        }
    };
    Rendered {
        status,
        detail: ErrorDetail {
            code,
            message: message.into(),
            field: None,
            retry_after,
            request_id: None,
        },
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let rendered = self.render();
        let mut response = rendered.status.into_response();
        // `request_context` in lib.rs writes the body with the request id.
        response.extensions_mut().insert(rendered);
        response
    }
}

/// The final error response, with the request id.
pub fn envelope(rendered: &Rendered, request_id: &str) -> Response {
    let mut detail = rendered.detail.clone();
    detail.request_id = Some(request_id.to_owned());
    let retry = detail.retry_after;
    let mut response = (rendered.status, Json(ErrorBody { error: detail })).into_response();
    if let Some(secs) = retry {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert("retry-after", v);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_messages_never_pass_through() {
        let e = simology::Error::Validation(simology::ApiError {
            status: 400,
            code: "validation_error".into(),
            message: "secret upstream detail".into(),
            request_id: Some("req_1".into()),
        });
        let r = ApiError::Upstream(e).render();
        assert_eq!(r.status, StatusCode::BAD_GATEWAY);
        assert!(!r.detail.message.contains("secret"));
        let e = simology::Error::RateLimited {
            retry_after: Some(std::time::Duration::from_secs(30)),
            detail: simology::ApiError {
                status: 429,
                code: "rate_limited".into(),
                message: "x".into(),
                request_id: None,
            },
        };
        let r = ApiError::Upstream(e).render();
        assert_eq!(
            (r.status, r.detail.code, r.detail.retry_after),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::UpstreamUnavailable,
                Some(30)
            )
        );
    }

    #[test]
    fn malformed_refs_look_like_missing_orders() {
        let malformed = crate::domain::parse_order_ref("o_1").expect_err("malformed");
        let bad = ApiError::from(malformed).render();
        let missing = ApiError::NotFound.render();
        assert_eq!(bad.status, missing.status);
        assert_eq!(bad.detail.message, missing.detail.message);
    }

    #[test]
    fn a_refused_field_answers_with_its_own_code() {
        let r = ApiError::from(crate::domain::Email::parse("nope").expect_err("invalid")).render();
        assert_eq!(
            (r.status, r.detail.code, r.detail.field.as_deref()),
            (
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidEmail,
                Some("email")
            )
        );
    }
}
