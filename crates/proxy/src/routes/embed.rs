//! The widget's frame over HTTP: its document (`GET /embed`; the work is
//! `services::embed`'s) and, for a proxy without a CDN, the widget's files
//! (`GET /widget/<version>/<file>`).

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::error::ApiError;
use crate::middleware::limit;
use crate::ratelimit::Budget;
use crate::routes::IfNoneMatch;
use crate::services::embed::{self, EmbedQuery};
use crate::state::SharedState;

/// The routes; the document spends the status budget.
pub fn router(state: &SharedState) -> Router<SharedState> {
    Router::new()
        .route(
            "/embed",
            get(document).route_layer(limit(state, Budget::Status)),
        )
        .route("/widget/{version}/{file}", get(file))
}

/// Which encodings the client takes, best first.
fn takes(headers: &HeaderMap, coding: &str) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|c| {
                let mut parts = c.split(';');
                let name = parts.next().unwrap_or_default().trim();
                let refused = parts.any(|p| p.trim().replace(' ', "") == "q=0");
                name.eq_ignore_ascii_case(coding) && !refused
            })
        })
}

/// The widget's frame document: the widget's first screen, on this proxy's origin,
/// framed only by the pages allowed to embed it.
#[utoipa::path(get, path = "/embed", tag = "widget",
    params(
        ("instance" = Option<String>, Query, description = "Which widget of the page (its element's id)"),
        ("country" = Option<String>, Query, description = "ISO code of the country to open on"),
        ("region" = Option<String>, Query, description = "Or the region's slug"),
        ("locale" = Option<String>, Query, description = "en, fr, de, es or it"),
        ("theme" = Option<String>, Query, description = "light, dark or auto"),
        ("affiliate" = Option<String>, Query, description = "An affiliate of the affiliates file"),
        ("placement" = Option<String>, Query, description = "The affiliate's name for the spot"),
        ("compat-check" = Option<String>, Query, description = "required (the default), advisory or off: the checkout's \"Is your phone ready for an eSIM?\" step, and whether Pay waits for its confirmation"),
        ("page" = Option<String>, Query, description = "The host page's address (read by the frame, for the return from payment)"),
        ("click_id" = Option<String>, Query, description = "An affiliate's element: the network's click id from the host page's address (read by the frame, whose checkout sends it with the signed attribution)"),
        ("return" = Option<String>, Query, description = "paid or cancelled: back from the payment page"),
    ),
    responses(
        (status = 200, description = "The frame's HTML document, with its own Content-Security-Policy", content_type = "text/html"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 429, description = "Rate limited", body = simology_proxy_api::ErrorBody),
        (status = 503, description = "No widget files (PROXY_WIDGET_DIR)", body = simology_proxy_api::ErrorBody),
    ))]
pub async fn document(
    State(state): State<SharedState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    if_none_match: IfNoneMatch,
) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let answer = embed::document(&state, &headers, EmbedQuery::from_pairs(pairs)).await?;
    let doc = &answer.document;
    let mut response = if !answer.private && if_none_match.matches(&doc.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let (body, coding) = if takes(&headers, "br") {
            (doc.br.clone(), Some("br"))
        } else if takes(&headers, "gzip") {
            (doc.gzip.clone(), Some("gzip"))
        } else {
            (doc.html.clone(), None)
        };
        let mut r = body.into_response();
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        if let Some(coding) = coding {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        r
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, doc.csp.clone());
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Encoding, Accept-Language, Cookie, Referer"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if answer.private {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else {
        h.insert(header::ETAG, doc.etag.clone());
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    if let Some(cookie) = answer.set_cookie {
        h.append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// One of the widget's files, when the proxy serves them itself (no `PROXY_WIDGET_URL`).
pub async fn file(
    State(state): State<SharedState>,
    Path((version, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let files = state.widget.as_ref().ok_or(ApiError::NotFound)?;
    if version != files.version {
        return Err(ApiError::NotFound);
    }
    let served = files.served.get(&name).ok_or(ApiError::NotFound)?;
    let mut response = served.body.clone().into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(served.content_type),
    );
    // The release is in the path: its files never change.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(response)
}
