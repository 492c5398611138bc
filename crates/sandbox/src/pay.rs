//! The hosted test payment page, `/pay/{session_id}`: the test cards, cancel, and the
//! redirect back to the partner.

use axum::extract::{Form, Path, State as AxState};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use simology::models::SessionStatus;
use time::OffsetDateTime;

use crate::effects::apply;
use crate::shared::Sh;
use crate::state::{card_outcome, Fail};

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
    let body = if status != SessionStatus::Pending {
        format!(
            "<h1>Simology test payment <span class=badge>SANDBOX</span></h1><p class=err role=alert>This checkout session is {}.</p>",
            match status {
                SessionStatus::Expired => "expired",
                SessionStatus::Completed => "already paid",
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
        Some(SessionStatus::Pending) => StatusCode::OK,
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
    if status != SessionStatus::Pending {
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
    // partner, whose status page shows the decline (see docs/sandbox.md).
    Ok(Redirect::to(&success_url).into_response())
}

/// The payment page's route.
pub(crate) fn router() -> Router<Sh> {
    Router::new().route("/pay/{id}", get(pay_page).post(pay_submit))
}
