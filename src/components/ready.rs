//! The ready eSIM: the QR code (made here, from the LPA string), the SM-DP+ address and
//! activation code with copy buttons, one-tap install links, short instructions,
//! validity, then its usage and top-ups (their own components).

use leptos::prelude::*;
use simology_proxy_api::OrderView;
use simology_widget_core::i18n::fill;
use simology_widget_core::install::{android_link, ios_link, platform, safe_href, Platform};
use simology_widget_core::{format, qr};

use crate::browser;
use crate::components::topups::Topups;
use crate::components::usage::Usage;
use crate::context::{ctx, Screen};

/// A value with a copy button.
#[component]
fn Copyable(
    /// What the value is.
    label: &'static str,
    /// The value, shown and copied.
    value: String,
) -> impl IntoView {
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

/// The ready view of an order (of a top-up: a way back to the order it topped up).
#[component]
pub fn Ready(
    /// The order, in the ready state.
    order: OrderView,
) -> impl IntoView {
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
