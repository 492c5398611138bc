//! The ready eSIM: the QR code (made here, from the LPA string), the SM-DP+ address and
//! activation code with copy buttons, one-tap install links, short instructions,
//! validity, usage, and top-ups.

use leptos::prelude::*;
use simology_proxy_api::{is_valid_email, DestinationId, OrderRef, OrderView, Plan, TopupRequest};
use simology_widget_core::i18n::fill;
use simology_widget_core::install::{android_link, ios_link, platform, safe_href, Platform};
use simology_widget_core::saved::SavedOrder;
use simology_widget_core::{format, qr};

use crate::browser;
use crate::components::app::{ctx, Screen};
use crate::load::load;

/// A value with a copy button.
#[component]
fn Copyable(label: &'static str, value: String) -> impl IntoView {
    let t = ctx().t;
    let copied = RwSignal::new(false);
    let text = StoredValue::new(value.clone());
    let copy = move |_| {
        let text = text.get_value();
        leptos::task::spawn_local(async move {
            copied.set(browser::copy(&text).await);
        });
    };
    view! {
        <div class="copyable">
            <span class="copy-label">{label}</span>
            <code class="copy-value">{value}</code>
            <button type="button" class="button small" on:click=copy>
                {move || if copied.get() { t.copied } else { t.copy }}
            </button>
        </div>
    }
}

/// The ready view of an order.
#[component]
pub fn Ready(order: OrderView) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let lang = ctx.lang;
    if let Some(parent) = order.topup_of.clone() {
        return view! {
            <div class="ready topup-ready">
                <button type="button" class="button" on:click=move |_| ctx.screen.set(Screen::Order(parent.clone()))>
                    {t.usage_title}
                </button>
            </div>
        }
        .into_any();
    }
    let Some(esim) = order.esim.clone() else {
        return ().into_any();
    };
    let svg = qr::svg(&esim.lpa).unwrap_or_default();
    let platform = platform(&browser::user_agent());
    let install = match platform {
        Platform::ModernIos => Some((t.install_iphone, ios_link(&esim.lpa))),
        Platform::Android => Some((t.install_android, android_link(&esim.lpa))),
        Platform::OldIos | Platform::Other => None,
    };
    let validity = match (
        format::date(&esim.valid_from, lang),
        format::date(&esim.valid_until, lang),
    ) {
        (Some(from), Some(until)) => {
            Some(fill(t.valid_between, &[("from", &from), ("until", &until)]))
        }
        _ => None,
    };
    let order_ref = order.order_ref.clone();
    view! {
        <div class="ready">
            {install.map(|(label, href)| view! { <a class="button install" href=href>{label}</a> })}
            <figure class="qr-figure">
                <div class="qr" role="img" aria-label=t.qr_label inner_html=svg></div>
                <figcaption>{t.ready_scan}</figcaption>
            </figure>
            <h3 class="section-title">{t.manual_title}</h3>
            <Copyable label=t.smdp_label value=esim.smdp_address.clone() />
            <Copyable label=t.code_label value=esim.activation_code.clone() />
            <h3 class="section-title">{t.how_title}</h3>
            <ul class="instructions">
                <li>{t.how_iphone}</li>
                <li>{t.how_android}</li>
                <li>{t.keep_primary}</li>
                <li>{t.install_before}</li>
            </ul>
            {validity.map(|v| view! { <p class="validity">{v}</p> })}
            {safe_href(&order.plan.terms_url).map(|href| view! {
                <p><a href=href.to_owned() target="_blank" rel="noopener noreferrer">{t.plan_details}</a></p>
            })}
            <Usage order_ref=order_ref.clone() />
            <Topups order_ref=order_ref />
            <button type="button" class="link-button" on:click=move |_| ctx.screen.set(Screen::Picker { destination: None, sku: None })>
                {t.new_purchase}
            </button>
        </div>
    }
    .into_any()
}

/// Data used and left.
#[component]
fn Usage(order_ref: OrderRef) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let lang = ctx.lang;
    let usage = load(ctx.backend().usage(&order_ref));
    move || {
        usage.get().and_then(Result::ok).map(|u| {
            let total = u.used_mb + u.remaining_mb;
            let used = fill(t.usage_used, &[("used", &format::data(u.used_mb, lang)), ("total", &format::data(total, lang))]);
            let left = fill(t.usage_left, &[("left", &format::data(u.remaining_mb, lang))]);
            let measured = fill(t.usage_measured, &[("time", &browser::local_time(&u.measured_at, lang))]);
            view! {
                <section class="usage">
                    <h3 class="section-title">{t.usage_title}</h3>
                    <progress class="usage-bar" max=total.max(1).to_string() value=u.used_mb.to_string() aria-label=used.clone()></progress>
                    <p class="usage-figures"><span>{used}</span> " · " <strong>{left}</strong></p>
                    <p class="hint">{measured}</p>
                </section>
            }
        })
    }
}

/// Top-up offers, bought like a plan.
#[component]
fn Topups(order_ref: OrderRef) -> impl IntoView {
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
    let email_id = format!("{}-topup-email", ctx.instance.get_value());
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
