//! An eSIM's data used and left, as the proxy last measured it.

use leptos::prelude::*;
use simology_proxy_api::OrderRef;
use simology_widget_core::format;
use simology_widget_core::i18n::fill;

use crate::browser;
use crate::context::ctx;
use crate::load::load;

/// Data used and left (nothing while loading or when it cannot be read).
#[component]
pub fn Usage(
    /// The order whose eSIM it is.
    order_ref: OrderRef,
    /// The eSIM's line, in an order of several (none: the order's one eSIM).
    #[prop(optional_no_strip)]
    line: Option<String>,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let lang = ctx.lang;
    let usage = load(ctx.backend().usage(&order_ref, line.as_deref()));
    move || {
        usage.get().and_then(Result::ok).map(|u| {
            let total = u.used_mb + u.remaining_mb;
            let used = fill(t.usage_used.form(format::data_count(u.used_mb)), &[("used", &format::data(u.used_mb, lang)), ("total", &format::data(total, lang))]);
            let left = fill(t.usage_left.form(format::data_count(u.remaining_mb)), &[("left", &format::data(u.remaining_mb, lang))]);
            let measured = fill(t.usage_measured, &[("time", &browser::ago(&u.measured_at, lang))]);
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
