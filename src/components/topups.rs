//! Top-up offers for a ready eSIM, each bought like a plan (the flow is
//! [`Purchase`]'s), with one email for all of them (the one last given in this widget,
//! if any). When the proxy holds the order's email (`email_on_file`, e.g. back from the
//! payment page, whose reload took the widget's memory), the field is hidden and none
//! need be sent; if the proxy asks for it after all, the field comes back, focused.

use leptos::prelude::*;
use simology_proxy_api::OrderRef;
use simology_widget_core::format;
use simology_widget_core::i18n::fill;

use crate::browser::Waker;
use crate::components::ready::of_traveller;
use crate::context::ctx;
use crate::load::load;
use crate::purchase::{Item, Purchase};

/// Up to three top-up offers (nothing when there are none).
#[component]
pub fn Topups(
    /// The order they would top up.
    order_ref: OrderRef,
    /// Whether the proxy holds the order's email (the order's `email_on_file`).
    #[prop(optional)]
    email_on_file: bool,
    /// The line they would top up, in an order of several (none: the order's one eSIM).
    #[prop(optional_no_strip)]
    line: Option<String>,
    /// Its traveller, in an order of several: each control's name says whose it is.
    #[prop(optional_no_strip)]
    traveller: Option<u32>,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let lang = ctx.lang;
    let offers = load(ctx.backend().topup_offers(&order_ref, line.as_deref()));
    let of = StoredValue::new(order_ref);
    let purchase = Purchase::new(ctx);
    purchase.email_on_file.set(email_on_file);
    let on_file = purchase.email_on_file;
    let invalid = purchase.email_invalid;
    // One form per line on the page: each its own field id.
    let email_id = ctx.id(&line
        .as_ref()
        .map_or_else(|| "topup-email".to_owned(), |l| format!("topup-email-{l}")));
    let line = StoredValue::new(line);
    let email_ref: NodeRef<leptos::html::Input> = NodeRef::new();
    // The proxy asked for the email after all: the field shows, and takes the focus once
    // it is shown (after this turn's effects: a hidden field takes none).
    Effect::new(move |was_on_file: Option<bool>| {
        let now = on_file.get();
        if was_on_file == Some(true) && !now {
            leptos::task::spawn_local(async move {
                Waker::default().sleep(0).await;
                if let Some(input) = email_ref.try_get_untracked().flatten() {
                    let _ = input.focus();
                }
            });
        }
        now
    });
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
                    <div hidden=move || on_file.get()>
                        <label for=email_id.clone() class="field-label">{of_traveller(t, t.email_label, traveller)}</label>
                        <input node_ref=email_ref id=email_id class="field" type="email" autocomplete="email"
                            aria-invalid=move || invalid.get().to_string()
                            prop:value=move || purchase.email.get()
                            on:input=move |ev| purchase.edit_email(event_target_value(&ev)) />
                        <p class="field-error" role="alert">{move || invalid.get().then_some(t.email_invalid)}</p>
                    </div>
                    <p class="form-error" role="alert">{move || purchase.error.get()}</p>
                    <ul class="topup-list">
                        {list.into_iter().take(3).map(|plan| {
                            let label = fill(t.topup_add, &[("data", &format::data(plan.data_mb, lang)), ("price", &format::price(&plan.price, lang))]);
                            let named = of_traveller(t, &label, traveller);
                            view! {
                                <li><button type="button" class="button secondary" aria-disabled=move || purchase.blocked().to_string() aria-label=named.clone()
                                    on:click=move |_| purchase.buy(Item::Topup { plan: plan.clone(), of: of.get_value(), line: line.get_value() })>{label}</button></li>
                            }
                        }).collect_view()}
                    </ul>
                    <a class="button pay-link" target="_top" rel="noopener"
                        hidden=move || purchase.payment_link.with(Option::is_none)
                        href=move || purchase.payment_link.get()>
                        {t.pay_link}
                    </a>
                </section>
            }
        })
    }
}
