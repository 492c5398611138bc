//! Checkout: the chosen plan, an email, the terms, and the button that sends the page
//! to the payment page. One purchase intent per visit to this screen, so a double
//! click or a retry makes one order.

use leptos::prelude::*;
use simology_proxy_api::{is_valid_email, CheckoutRequest, DestinationId, ErrorCode, Plan};
use simology_widget_core::format;
use simology_widget_core::i18n::fill;
use simology_widget_core::install::safe_href;
use simology_widget_core::saved::SavedOrder;

use crate::backend::Failure;
use crate::browser;
use crate::context::ctx;

/// The checkout of one plan.
#[component]
pub fn Checkout(
    /// The plan.
    plan: Plan,
    /// The destination it was chosen for.
    destination: DestinationId,
    /// Back to the plans.
    on_back: Callback<()>,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let lang = ctx.lang;
    let email = RwSignal::new(String::new());
    let email_error = RwSignal::new(false);
    let error: RwSignal<Option<&'static str>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let redirecting = RwSignal::new(false);
    let intent = StoredValue::new(browser::new_intent_id());
    let price = format::price(&plan.price, lang);
    let plan_store = StoredValue::new(plan.clone());
    let destination = StoredValue::new(destination);
    let instance = ctx.instance.get_value();
    let email_id = format!("{instance}-email");
    let email_error_id = format!("{instance}-email-error");
    let hint_id = format!("{instance}-email-hint");
    let email_ref: NodeRef<leptos::html::Input> = NodeRef::new();
    email_ref.on_load(|input| {
        let _ = input.focus();
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() || redirecting.get_untracked() {
            return;
        }
        let address = email.get_untracked().trim().to_owned();
        if !is_valid_email(&address) {
            email_error.set(true);
            return;
        }
        email_error.set(false);
        error.set(None);
        busy.set(true);
        let plan = plan_store.get_value();
        let request = CheckoutRequest {
            sku: plan.sku.clone(),
            quantity: 1,
            email: address,
            locale: lang.tag().to_owned(),
            intent_id: intent.get_value(),
            return_url: ctx.return_url(),
        };
        let backend = ctx.backend();
        leptos::task::spawn_local(async move {
            match backend.checkout(request).await {
                Ok(response) => {
                    browser::save_order(SavedOrder {
                        order_ref: response.order_ref.clone(),
                        instance: ctx.instance.get_value(),
                        sku: plan.sku.clone(),
                        destination: destination.get_value(),
                        name: plan.name.clone(),
                        started_ms: browser::now_ms(),
                        done: false,
                    });
                    redirecting.set(true);
                    busy.set(false);
                    ctx.navigate(&response.payment_url);
                }
                Err(failure) => {
                    busy.set(false);
                    if let Failure::Api {
                        code: ErrorCode::InvalidEmail,
                        ..
                    } = failure
                    {
                        email_error.set(true);
                    }
                    if let Failure::Api {
                        code: ErrorCode::Conflict,
                        ..
                    } = failure
                    {
                        // The details changed under the same intent: the next try is a new one.
                        intent.set_value(browser::new_intent_id());
                    }
                    error.set(Some(failure.message(t)));
                }
            }
        });
    };

    view! {
        <form class="checkout" novalidate=true on:submit=submit>
            <button type="button" class="link-button back" on:click=move |_| on_back.run(())>"‹ " {t.back}</button>
            <h2 class="checkout-title">{t.checkout_title}</h2>
            <div class="summary">
                <p class="summary-plan">
                    <strong>{format::data(plan.data_mb, lang)}</strong>
                    " · " {t.days(plan.validity_days)}
                </p>
                <p class="summary-name">{plan.name.clone()}</p>
                <p class="summary-price">{price.clone()}</p>
            </div>
            <label for=email_id.clone() class="field-label">{t.email_label}</label>
            <input
                node_ref=email_ref
                id=email_id
                class="field"
                type="email"
                name="email"
                autocomplete="email"
                inputmode="email"
                required=true
                aria-invalid=move || if email_error.get() { "true" } else { "false" }
                aria-describedby=format!("{hint_id} {email_error_id}")
                prop:value=move || email.get()
                on:input=move |ev| {
                    email.set(event_target_value(&ev));
                    if email_error.get_untracked() && is_valid_email(&email.get_untracked()) {
                        email_error.set(false);
                    }
                }
                on:blur=move |_| {
                    let v = email.get_untracked();
                    if !v.trim().is_empty() {
                        email_error.set(!is_valid_email(&v));
                    }
                }
            />
            <p id=hint_id class="hint">{t.email_hint}</p>
            <p id=email_error_id class="field-error" role="alert">
                {move || email_error.get().then_some(t.email_invalid)}
            </p>
            <p class="terms">
                {t.terms_before} " "
                <a href=safe_href(&plan.terms_url).map(str::to_owned) target="_blank" rel="noopener noreferrer">{t.terms_link}</a>
                "."
            </p>
            <p class="form-error" role="alert">{move || error.get()}</p>
            <button type="submit" class="button pay" disabled=move || busy.get() || redirecting.get() aria-busy=move || busy.get().to_string()>
                {move || if redirecting.get() { t.redirecting.to_owned() } else { fill(t.pay, &[("price", &price)]) }}
            </button>
        </form>
    }
}
