//! Top-up offers for a ready eSIM, each bought like a plan, with one email for all of
//! them.

use leptos::prelude::*;
use simology_proxy_api::{is_valid_email, DestinationId, OrderRef, Plan, TopupRequest};
use simology_widget_core::format;
use simology_widget_core::i18n::fill;
use simology_widget_core::saved::SavedOrder;

use crate::browser;
use crate::context::ctx;
use crate::load::load;

/// Up to three top-up offers (nothing when there are none).
#[component]
pub fn Topups(
    /// The order they would top up.
    order_ref: OrderRef,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let lang = ctx.lang;
    let offers = load(ctx.backend().topup_offers(&order_ref));
    let order_ref = StoredValue::new(order_ref);
    let email = RwSignal::new(String::new());
    let email_error = RwSignal::new(false);
    let error: RwSignal<Option<&'static str>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let intent = StoredValue::new(browser::new_intent_id());
    let buy = move |plan: Plan| {
        let address = email.get_untracked().trim().to_owned();
        if !is_valid_email(&address) {
            email_error.set(true);
            return;
        }
        if busy.get_untracked() {
            return;
        }
        email_error.set(false);
        busy.set(true);
        let backend = ctx.backend();
        let request = TopupRequest {
            sku: plan.sku.clone(),
            email: address,
            locale: lang.tag().to_owned(),
            intent_id: intent.get_value(),
            return_url: ctx.return_url(),
        };
        leptos::task::spawn_local(async move {
            match backend.buy_topup(&order_ref.get_value(), request).await {
                Ok(response) => {
                    browser::save_order(SavedOrder {
                        order_ref: response.order_ref.clone(),
                        instance: ctx.instance.get_value(),
                        sku: plan.sku.clone(),
                        destination: DestinationId {
                            kind: plan.kind,
                            code: plan.destination.clone(),
                        },
                        name: plan.name.clone(),
                        started_ms: browser::now_ms(),
                        done: false,
                    });
                    ctx.navigate(&response.payment_url);
                }
                Err(f) => {
                    busy.set(false);
                    intent.set_value(browser::new_intent_id());
                    error.set(Some(f.message(t)));
                }
            }
        });
    };
    let email_id = ctx.id("topup-email");
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
                        aria-invalid=move || email_error.get().to_string()
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev)) />
                    <p class="field-error" role="alert">{move || email_error.get().then_some(t.email_invalid)}</p>
                    <p class="form-error" role="alert">{move || error.get()}</p>
                    <ul class="topup-list">
                        {list.into_iter().take(3).map(|plan| {
                            let label = fill(t.topup_add, &[("data", &format::data(plan.data_mb, lang)), ("price", &format::price(&plan.price, lang))]);
                            view! {
                                <li><button type="button" class="button secondary" disabled=move || busy.get()
                                    on:click=move |_| buy(plan.clone())>{label}</button></li>
                            }
                        }).collect_view()}
                    </ul>
                </section>
            }
        })
    }
}
