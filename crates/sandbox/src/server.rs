//! The HTTP side: the `/v1` API, the hosted test payment page, and `/sandbox` controls.

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Form, Path, Query, Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use simology::models::{
    CatalogResponse, CheckoutSessionRequest, ErrorBody, ErrorDetail, RefundRequest, TopupRequest,
};
use time::OffsetDateTime;
use url::Url;

use crate::config::{Faults, SandboxConfig};
use crate::delivery;
use crate::state::{card_outcome, Effects, Fail, State, StoredAnswer, Timer};

/// State shared by handlers, timers and deliveries.
pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    state: Mutex<State>,
    pub(crate) http: reqwest::Client,
    pub(crate) public_url: String,
    webhook_url: RwLock<Option<Url>>,
    pub(crate) pending: AtomicUsize,
}

impl Shared {
    pub(crate) fn new(
        config: SandboxConfig,
        state: State,
        public_url: String,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent("Simology-Webhooks/1.0 (sandbox)")
            .build()?;
        Ok(Shared {
            webhook_url: RwLock::new(config.webhook_url.clone()),
            config,
            state: Mutex::new(state),
            http,
            public_url,
            pending: AtomicUsize::new(0),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn webhook_url(&self) -> Option<Url> {
        self.webhook_url
            .read()
            .map(|u| u.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    pub(crate) fn set_webhook_url(&self, url: Option<Url>) {
        match self.webhook_url.write() {
            Ok(mut w) => *w = url,
            Err(e) => *e.into_inner() = url,
        }
    }
}

type Sh = Arc<Shared>;

/// Runs the effects of a state change: queue events, set timers.
pub(crate) fn apply(shared: &Sh, effects: Effects) {
    for out in effects.events {
        delivery::enqueue(shared, out.event, out.hold);
    }
    for timer in effects.timers {
        let shared = Arc::clone(shared);
        tokio::spawn(async move {
            let effects = match timer {
                Timer::Provision { order_id } => {
                    tokio::time::sleep(shared.config.activation_delay).await;
                    shared
                        .lock()
                        .provision(&order_id, OffsetDateTime::now_utc())
                }
                Timer::Refund { refund_id } => {
                    tokio::time::sleep(shared.config.refund_delay).await;
                    shared.lock().process_refund(&refund_id)
                }
            };
            apply(&shared, effects);
        });
    }
}

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
async fn request_ids(AxState(shared): AxState<Sh>, request: Request, next: Next) -> Response {
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

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// `/v1` authentication: 401 for a missing or unknown key, 403 for a production key.
async fn auth(AxState(shared): AxState<Sh>, request: Request, next: Next) -> Response {
    match bearer(request.headers()) {
        None => Fail::new(
            401,
            "auth_error",
            "Missing API key: send Authorization: Bearer <key>.",
        )
        .into_response(),
        Some(key) if key.starts_with("sk_live_") => Fail::new(
            403,
            "auth_error",
            "A production key cannot be used in the sandbox; use an sk_sandbox_ key.",
        )
        .into_response(),
        Some(key) if !shared.config.api_keys.iter().any(|k| k == key) => {
            Fail::new(401, "auth_error", "Invalid API key.").into_response()
        }
        Some(_) => next.run(request).await,
    }
}

/// `/v1` fault injection: latency, 429s, and 5xx before or after the request's effect.
async fn faults(AxState(shared): AxState<Sh>, request: Request, next: Next) -> Response {
    let (faults, draw, before, forced) = {
        let mut st = shared.lock();
        st.v1_requests += 1;
        let forced = if st.faults.next_rate_limits > 0 {
            st.faults.next_rate_limits -= 1;
            Some(429)
        } else if st.faults.next_errors > 0 {
            st.faults.next_errors -= 1;
            Some(500)
        } else {
            None
        };
        let faults = st.faults.clone();
        let draw = st.fault_draw();
        let before = st.fault_draw() < 0.5;
        (faults, draw, before, forced)
    };
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    if forced == Some(500) {
        return Fail::new(500, "server_error", "Injected server error.").into_response();
    }
    if forced == Some(429) || draw < faults.rate_limit_rate {
        let mut fail = Fail::new(429, "rate_limited", "Too many requests. Try again later.");
        fail.retry_after = Some(faults.retry_after_secs);
        return fail.into_response();
    }
    let server_error =
        draw >= faults.rate_limit_rate && draw < faults.rate_limit_rate + faults.error_rate;
    let injected = || Fail::new(500, "server_error", "Injected server error.").into_response();
    if server_error && before {
        return injected();
    }
    let response = next.run(request).await;
    if server_error {
        // The request took effect; its answer is lost.
        return injected();
    }
    response
}

fn parse_body<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Fail> {
    serde_json::from_slice(body).map_err(|e| Fail::validation(format!("invalid request body: {e}")))
}

/// Runs a POST under its `Idempotency-Key`: a repeat with the same body gets the first
/// answer again; a repeat with another body gets 409 `conflict`.
fn idempotent<T: serde::Serialize>(
    shared: &Sh,
    headers: &HeaderMap,
    scope: &str,
    body: &Bytes,
    run: impl FnOnce(&mut State) -> Result<(T, Effects), Fail>,
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let fingerprint: [u8; 32] = Sha256::digest(body).into();
    let api_key = bearer(headers).unwrap_or_default().to_owned();
    let mut st = shared.lock();
    if let Some(key) = &key {
        if key.is_empty() || key.len() > 255 {
            return Fail::validation("Idempotency-Key must be 1 to 255 characters").into_response();
        }
        let slot = (api_key.clone(), scope.to_owned(), key.clone());
        if let Some(stored) = st.idempotency.get(&slot) {
            if stored.fingerprint != fingerprint {
                return Fail::new(
                    409,
                    "conflict",
                    "This Idempotency-Key was used with a different request body.",
                )
                .into_response();
            }
            let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
            let mut response = (status, stored.body.clone()).into_response();
            let h = response.headers_mut();
            h.insert("content-type", HeaderValue::from_static("application/json"));
            h.insert("idempotent-replayed", HeaderValue::from_static("true"));
            return response;
        }
    }
    let (value, effects) = match run(&mut st) {
        Ok(r) => r,
        Err(fail) => return fail.into_response(),
    };
    let bytes = match serde_json::to_vec(&value) {
        Ok(b) => b,
        Err(e) => return Fail::new(500, "server_error", e.to_string()).into_response(),
    };
    if let Some(key) = key {
        st.idempotency.insert(
            (api_key, scope.to_owned(), key),
            StoredAnswer {
                fingerprint,
                status: 200,
                body: bytes.clone(),
            },
        );
    }
    drop(st);
    apply(shared, effects);
    let mut response = (StatusCode::OK, bytes).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

#[derive(Deserialize)]
struct CatalogParams {
    country: Option<String>,
    region: Option<String>,
}

async fn catalog(
    AxState(shared): AxState<Sh>,
    Query(params): Query<CatalogParams>,
) -> Result<Json<CatalogResponse>, Fail> {
    let st = shared.lock();
    let items = match (params.country, params.region) {
        (Some(_), Some(_)) => return Err(Fail::validation("give country or region, not both")),
        (Some(country), None) => {
            let country = country.to_ascii_uppercase();
            if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(Fail::validation(
                    "country must be an ISO 3166-1 alpha-2 code",
                ));
            }
            st.catalog
                .values()
                .filter(|i| i.coverage.contains(&country))
                .cloned()
                .collect()
        }
        (None, Some(region)) => {
            if region.is_empty()
                || region.len() > 40
                || !region.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
            {
                return Err(Fail::validation(
                    "region must be a slug such as western-europe",
                ));
            }
            if !crate::catalog::is_region(&region) {
                return Err(Fail::not_found("region"));
            }
            st.catalog
                .values()
                .filter(|i| i.region == region)
                .cloned()
                .collect()
        }
        (None, None) => st.catalog.values().cloned().collect(),
    };
    Ok(Json(CatalogResponse {
        items,
        updated_at: st.catalog_updated_at,
        skipped: Vec::new(),
    }))
}

async fn create_session(AxState(shared): AxState<Sh>, headers: HeaderMap, body: Bytes) -> Response {
    let base = shared.public_url.clone();
    idempotent(
        &shared,
        &headers,
        "POST /v1/checkout/sessions",
        &body,
        |st| {
            let request: CheckoutSessionRequest = parse_body(&body)?;
            let session = st.create_session(request, &base, OffsetDateTime::now_utc())?;
            Ok((session, Effects::default()))
        },
    )
}

async fn get_session(
    AxState(shared): AxState<Sh>,
    Path(id): Path<String>,
) -> Result<Response, Fail> {
    let mut st = shared.lock();
    let rec = st
        .session(&id, OffsetDateTime::now_utc())
        .ok_or_else(|| Fail::not_found("checkout session"))?;
    Ok(Json(rec.session.clone()).into_response())
}

async fn get_order(AxState(shared): AxState<Sh>, Path(id): Path<String>) -> Result<Response, Fail> {
    let st = shared.lock();
    let rec = st.orders.get(&id).ok_or_else(|| Fail::not_found("order"))?;
    Ok(Json(rec.order.clone()).into_response())
}

async fn get_line(
    AxState(shared): AxState<Sh>,
    Path(iccid): Path<String>,
) -> Result<Response, Fail> {
    let st = shared.lock();
    Ok(Json(st.line_status(&iccid, OffsetDateTime::now_utc())?).into_response())
}

async fn create_topup(AxState(shared): AxState<Sh>, headers: HeaderMap, body: Bytes) -> Response {
    idempotent(&shared, &headers, "POST /v1/topups", &body, |st| {
        let request: TopupRequest = parse_body(&body)?;
        Ok((
            st.topup(request, OffsetDateTime::now_utc())?,
            Effects::default(),
        ))
    })
}

async fn create_refund(AxState(shared): AxState<Sh>, headers: HeaderMap, body: Bytes) -> Response {
    idempotent(&shared, &headers, "POST /v1/refunds", &body, |st| {
        let request: RefundRequest = parse_body(&body)?;
        st.refund(request, OffsetDateTime::now_utc())
    })
}

async fn v1_not_found() -> Fail {
    Fail::not_found("endpoint")
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title><link rel="icon" href="data:,"><style>
body{{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2230}}
main{{max-width:28rem;margin:2rem auto;background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 1px 4px #0002}}
h1{{font-size:1.25rem;margin:0 0 1rem}} .badge{{background:#fff3cd;color:#5c4400;padding:.15rem .5rem;border-radius:6px;font-size:.8rem}}
label{{display:block;font-weight:600;margin:.75rem 0 .25rem}} input{{width:100%;box-sizing:border-box;font:inherit;padding:.6rem;border:1px solid #8a8f9c;border-radius:8px}}
button{{font:inherit;padding:.7rem 1rem;border-radius:8px;border:0;margin-top:1rem;cursor:pointer}}
.pay{{background:#1a56db;color:#fff;width:100%}} .cancel{{background:none;color:#1a56db;text-decoration:underline;width:100%}}
.err{{color:#a40e26;font-weight:600}} table{{width:100%;border-collapse:collapse}} td{{padding:.25rem 0}} td+td{{text-align:right}}
code{{background:#eef;padding:0 .25rem;border-radius:4px}} :focus-visible{{outline:3px solid #1a56db;outline-offset:2px}}
</style></head><body><main>{body}</main></body></html>"#
    )
}

fn pay_form(shared: &Sh, id: &str, error: Option<&str>) -> Result<Html<String>, Fail> {
    let mut st = shared.lock();
    let now = OffsetDateTime::now_utc();
    let rec = st
        .session(id, now)
        .cloned()
        .ok_or_else(|| Fail::not_found("checkout session"))?;
    let mut rows = String::new();
    let mut total: Option<simology::Money> = None;
    for item in &rec.request.items {
        if let Some(plan) = st.catalog.get(&item.sku) {
            let line = plan.price.times(item.quantity).unwrap_or(plan.price);
            total = Some(total.map_or(line, |t| t.plus(line).unwrap_or(t)));
            rows.push_str(&format!(
                "<tr><td>{} × {}</td><td>{}</td></tr>",
                item.quantity,
                escape(&plan.name),
                escape(&line.to_string())
            ));
        }
    }
    let total = total.map(|t| t.to_string()).unwrap_or_default();
    let status = rec.session.status;
    let body = if status != simology::models::SessionStatus::Pending {
        format!(
            "<h1>Simology test payment <span class=badge>SANDBOX</span></h1><p class=err role=alert>This checkout session is {}.</p>",
            match status {
                simology::models::SessionStatus::Expired => "expired",
                simology::models::SessionStatus::Completed => "already paid",
                _ => "closed",
            }
        )
    } else {
        let error = error
            .map(|e| format!("<p class=err role=alert id=card-error>{}</p>", escape(e)))
            .unwrap_or_default();
        format!(
            r#"<h1>Simology test payment <span class=badge>SANDBOX</span></h1>
<table>{rows}<tr><td><strong>Total</strong></td><td><strong>{total}</strong></td></tr></table>
<p>Paying as {email}. No real money moves in the sandbox.</p>
<form method=post>{error}
<label for=card>Card number</label>
<input id=card name=card inputmode=numeric autocomplete=cc-number required placeholder="4242 4242 4242 4242" aria-describedby=cards>
<p id=cards><small>Test cards: <code>4242 4242 4242 4242</code> pays; <code>4000 0000 0000 0002</code> is declined; <code>4000 0000 0000 0341</code> pays but provisioning fails.</small></p>
<button class=pay name=action value=pay type=submit>Pay {total}</button>
<button class=cancel name=action value=cancel type=submit formnovalidate>Cancel and return</button>
</form>"#,
            email = escape(&rec.request.customer.email),
        )
    };
    Ok(Html(page("Simology test payment", &body)))
}

async fn pay_page(AxState(shared): AxState<Sh>, Path(id): Path<String>) -> Result<Response, Fail> {
    let html = pay_form(&shared, &id, None)?;
    let status = match shared
        .lock()
        .session(&id, OffsetDateTime::now_utc())
        .map(|s| s.session.status)
    {
        Some(simology::models::SessionStatus::Pending) => StatusCode::OK,
        _ => StatusCode::GONE,
    };
    Ok((status, html).into_response())
}

#[derive(Deserialize)]
struct PayForm {
    #[serde(default)]
    card: String,
    #[serde(default)]
    action: String,
}

async fn pay_submit(
    AxState(shared): AxState<Sh>,
    Path(id): Path<String>,
    Form(form): Form<PayForm>,
) -> Result<Response, Fail> {
    let now = OffsetDateTime::now_utc();
    let (success_url, cancel_url, status) = {
        let mut st = shared.lock();
        let rec = st
            .session(&id, now)
            .ok_or_else(|| Fail::not_found("checkout session"))?;
        (
            rec.request.success_url.replace("{SESSION_ID}", &id),
            rec.request.cancel_url.replace("{SESSION_ID}", &id),
            rec.session.status,
        )
    };
    if status != simology::models::SessionStatus::Pending {
        return Ok((StatusCode::GONE, pay_form(&shared, &id, None)?).into_response());
    }
    if form.action == "cancel" {
        return Ok(Redirect::to(&cancel_url).into_response());
    }
    let Some(outcome) = card_outcome(&form.card) else {
        let html = pay_form(
            &shared,
            &id,
            Some("Use one of the test cards listed below."),
        )?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    };
    let effects = shared.lock().pay(&id, outcome, now)?;
    apply(&shared, effects);
    tracing::info!(session_id = %id, ?outcome, "test payment");
    // A declined card ends the session in the sandbox; the buyer goes back to the
    // partner, whose status page shows the decline (see the README).
    Ok(Redirect::to(&success_url).into_response())
}

async fn control_state(AxState(shared): AxState<Sh>) -> Json<serde_json::Value> {
    let st = shared.lock();
    Json(serde_json::json!({
        "sessions": st.sessions.len(),
        "orders": st.orders.len(),
        "lines": st.lines.len(),
        "refunds": st.refunds.len(),
        "topups": st.topups.len(),
        "deliveries": st.deliveries.len(),
        "v1_requests": st.v1_requests,
        "pending_deliveries": shared.pending.load(std::sync::atomic::Ordering::SeqCst),
        "webhook_url": shared.webhook_url().map(|u| u.to_string()),
        "faults": st.faults,
    }))
}

async fn control_orders(AxState(shared): AxState<Sh>) -> Json<Vec<simology::models::Order>> {
    let st = shared.lock();
    let mut orders: Vec<_> = st.orders.values().map(|o| o.order.clone()).collect();
    orders.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
    Json(orders)
}

async fn control_sessions(AxState(shared): AxState<Sh>) -> Json<serde_json::Value> {
    let st = shared.lock();
    let sessions: Vec<serde_json::Value> = st
        .sessions
        .values()
        .map(|s| serde_json::json!({"id": s.session.id, "status": s.session.status, "order_id": s.order_id, "metadata": s.request.metadata}))
        .collect();
    Json(serde_json::Value::Array(sessions))
}

async fn control_webhooks(AxState(shared): AxState<Sh>) -> Json<Vec<crate::state::DeliveryRecord>> {
    Json(shared.lock().deliveries.clone())
}

async fn control_faults(AxState(shared): AxState<Sh>, Json(faults): Json<Faults>) -> Json<Faults> {
    shared.lock().faults = faults.clone();
    Json(faults)
}

#[derive(Deserialize)]
struct Endpoint {
    url: Option<String>,
}

async fn control_endpoint(
    AxState(shared): AxState<Sh>,
    Json(e): Json<Endpoint>,
) -> Result<StatusCode, Fail> {
    let url = match e.url {
        Some(u) => Some(Url::parse(&u).map_err(|_| Fail::validation("url is not a URL"))?),
        None => None,
    };
    shared.set_webhook_url(url);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Usage {
    used_mb: u64,
}

async fn control_usage(
    AxState(shared): AxState<Sh>,
    Path(iccid): Path<String>,
    Json(u): Json<Usage>,
) -> Result<StatusCode, Fail> {
    let mut st = shared.lock();
    let line = st
        .lines
        .get_mut(&iccid)
        .ok_or_else(|| Fail::not_found("line"))?;
    line.used_override = Some(u.used_mb);
    Ok(StatusCode::NO_CONTENT)
}

/// The whole router.
pub(crate) fn router(shared: Sh) -> Router {
    let v1 = Router::new()
        .route("/catalog", get(catalog))
        .route("/checkout/sessions", post(create_session))
        .route("/checkout/sessions/{id}", get(get_session))
        .route("/orders/{id}", get(get_order))
        .route("/lines/{iccid}", get(get_line))
        .route("/topups", post(create_topup))
        .route("/refunds", post(create_refund))
        .fallback(v1_not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), faults))
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), auth));
    let control = Router::new()
        .route("/state", get(control_state))
        .route("/orders", get(control_orders))
        .route("/sessions", get(control_sessions))
        .route("/webhooks", get(control_webhooks))
        .route("/faults", put(control_faults))
        .route("/webhook-endpoint", put(control_endpoint))
        .route("/lines/{iccid}/usage", put(control_usage));
    Router::new()
        .nest("/v1", v1)
        .nest("/sandbox", control)
        .route("/pay/{id}", get(pay_page).post(pay_submit))
        .route("/healthz", get(|| async { "ok" }))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            request_ids,
        ))
        .with_state(shared)
}
