//! Top-up offers for a ready eSIM, each bought like a plan (the flow is
//! [`Purchase`]'s), with one email for all of them (the one last given in this widget,
//! if any).

use leptos::prelude::*;
use simology_proxy_api::OrderRef;
use simology_widget_core::format;
use simology_widget_core::i18n::fill;

use crate::context::ctx;
use crate::load::load;
use crate::purchase::{Item, Purchase};

/// Up to three top-up offers (nothing when there are none).
#[component]
pub fn Topups(
    /// The order they would top up.
    order_ref: OrderRef,
    /// The line they would top up, in an order of several (none: the order's one eSIM).
    #[prop(optional_no_strip)]
    line: Option<String>,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let lang = ctx.lang;
    let offers = load(ctx.backend().topup_offers(&order_ref, line.as_deref()));
    let of = StoredValue::new(order_ref);
    let purchase = Purchase::new(ctx);
    let invalid = purchase.email_invalid;
    // One form per line on the page: each its own field id.
    let email_id = ctx.id(&line
        .as_ref()
        .map_or_else(|| "topup-email".to_owned(), |l| format!("topup-email-{l}")));
    let line = StoredValue::new(line);
    move || {
        let list = offers
            .get()
            .and_then(Result::ok)
            .map(|o| o.offers)
            .unwrap_or_default();
        (!list.is_empty()).then(|| {
            let email_id = email_id.clone();
            view! {
                <section class="topups">
                    <h3 class="section-title">{t.topup_title}</h3>
                    <label for=email_id.clone() class="field-label">{t.email_label}</label>
                    <input id=email_id class="field" type="email" autocomplete="email"
                        aria-invalid=move || invalid.get().to_string()
                        prop:value=move || purchase.email.get()
                        on:input=move |ev| purchase.edit_email(event_target_value(&ev)) />
                    <p class="field-error" role="alert">{move || invalid.get().then_some(t.email_invalid)}</p>
                    <p class="form-error" role="alert">{move || purchase.error.get()}</p>
                    <ul class="topup-list">
                        {list.into_iter().take(3).map(|plan| {
                            let label = fill(t.topup_add, &[("data", &format::data(plan.data_mb, lang)), ("price", &format::price(&plan.price, lang))]);
                            view! {
                                <li><button type="button" class="button secondary" disabled=move || purchase.blocked()
                                    on:click=move |_| purchase.buy(Item::Topup { plan: plan.clone(), of: of.get_value(), line: line.get_value() })>{label}</button></li>
                            }
                        }).collect_view()}
                    </ul>
                </section>
            }
        })
    }
}
