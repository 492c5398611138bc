//! Checkout: the chosen plan, how many travellers (one eSIM each) and the total, an
//! email, the terms, the button that sends the page to the payment page, and under it
//! whether the phone takes an eSIM ([`Compat`]). One
//! purchase intent per visit to this screen, so a double click or a retry makes one
//! order (the flow is [`Purchase`]'s).

use leptos::prelude::*;
use simology_proxy_api::{DestinationId, Plan};
use simology_widget_core::format;
use simology_widget_core::i18n::fill;
use simology_widget_core::install::safe_href;

use crate::components::compat::Compat;
use crate::context::ctx;
use crate::purchase::{Item, Purchase};

/// The most travellers one checkout asks about (the proxy sells up to 10 lines an order,
/// or fewer as its partner set it; it refuses what it cannot deliver).
pub const MAX_TRAVELLERS: u32 = 5;

/// The language of the names the upstream catalogue gives plans (the proxy passes them
/// on as they are).
const CATALOGUE_LANG: &str = "en";

/// The checkout of one plan.
#[component]
pub fn Checkout(
    /// The plan.
    plan: Plan,
    /// The destination it was chosen for.
    destination: DestinationId,
    /// How many travellers to start with (as many again after a cancelled payment;
    /// none: one).
    travellers: Option<u32>,
    /// Back to the plans.
    on_back: Callback<()>,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let lang = ctx.lang;
    let purchase = Purchase::new(ctx);
    let price = format::price(&plan.price, lang);
    let first = travellers.unwrap_or(1).clamp(1, MAX_TRAVELLERS);
    let travellers = RwSignal::new(first);
    let unit = plan.price;
    // The total, exact; a total too large to hold is never shown (nor sold: the proxy
    // charges its own computation).
    let total = move || format::times(&unit, travellers.get()).map(|p| format::price(&p, lang));
    let chosen = StoredValue::new((plan.clone(), destination));
    let email_id = ctx.id("email");
    let email_error_id = ctx.id("email-error");
    let hint_id = ctx.id("email-hint");
    let travellers_id = ctx.id("travellers");
    let travellers_hint_id = ctx.id("travellers-hint");
    // The heading takes the focus after the traveller chose the plan (never on page
    // load, as after a cancelled payment): the plan, the travellers and the email
    // follow it in reading order.
    let title_ref: NodeRef<leptos::html::H2> = NodeRef::new();
    ctx.focus_heading(title_ref);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (plan, destination) = chosen.get_value();
        purchase.buy(Item::Plan {
            plan,
            destination,
            quantity: travellers.get_untracked(),
        });
    };
    let invalid = purchase.email_invalid;

    view! {
        <form class="checkout" novalidate=true on:submit=submit>
            <button type="button" class="link-button back" on:click=move |_| on_back.run(())>{t.back}</button>
            <h2 class="checkout-title" tabindex="-1" node_ref=title_ref>{t.checkout_title}</h2>
            <div class="summary">
                <p class="summary-plan">
                    <strong>{format::data(plan.data_mb, lang)}</strong>
                    " · " {t.days(plan.validity_days)}
                </p>
                // The catalogue's own name, in the catalogue's language (English): read
                // with an English voice, not the page's.
                <p class="summary-name" lang=CATALOGUE_LANG>{plan.name.clone()}</p>
                <p class="summary-price">{price.clone()}</p>
            </div>
            <label for=travellers_id.clone() class="field-label">{t.travellers_label}</label>
            <select
                id=travellers_id
                class="field travellers"
                name="travellers"
                aria-describedby=travellers_hint_id.clone()
                on:change=move |ev| {
                    travellers.set(event_target_value(&ev).parse().unwrap_or(1));
                    // "Choose fewer travellers" is answered by choosing.
                    purchase.error.set(None);
                }
            >
                // Only the select changes the count: the first choice is enough.
                {(1..=MAX_TRAVELLERS).map(|n| view! {
                    <option value=n.to_string() selected=n == first>{n.to_string()}</option>
                }).collect_view()}
            </select>
            <p id=travellers_hint_id class="hint">{t.travellers_hint}</p>
            <p class="total" aria-live="polite">
                {move || (travellers.get() > 1).then(|| total().map(|p| fill(t.total.form(travellers.get()), &[("n", &travellers.get().to_string()), ("price", &p)])))}
            </p>
            <label for=email_id.clone() class="field-label">{t.email_label}</label>
            <input
                id=email_id
                class="field"
                type="email"
                name="email"
                autocomplete="email"
                inputmode="email"
                required=true
                aria-invalid=move || if invalid.get() { "true" } else { "false" }
                aria-describedby=format!("{hint_id} {email_error_id}")
                prop:value=move || purchase.email.get()
                on:input=move |ev| purchase.edit_email(event_target_value(&ev))
                on:blur=move |_| purchase.check_email()
            />
            <p id=hint_id class="hint">{t.email_hint}</p>
            <p id=email_error_id class="field-error" role="alert">
                {move || invalid.get().then_some(t.email_invalid)}
            </p>
            <p class="terms">
                {t.terms_before} " "
                <a href=safe_href(&plan.terms_url).map(str::to_owned) target="_blank" rel="noopener noreferrer">{t.terms_link}</a>
                "."
            </p>
            <p class="form-error" role="alert">{move || purchase.error.get()}</p>
            // Never `disabled`: a disabled button loses the focus. Its progress is spoken
            // by the widget's status region, and so is what is still to confirm below it.
            <button type="submit" class="button pay" aria-disabled=move || purchase.held().to_string() aria-busy=move || purchase.busy.get().to_string()>
                {move || if purchase.redirecting.get() { t.redirecting.to_owned() } else { fill(t.pay, &[("price", &total().unwrap_or_else(|| price.clone()))]) }}
            </button>
            // The browser did not let the frame send the window to the payment page:
            // the traveller's own tap on a link does.
            <a class="button pay-link" target="_top" rel="noopener"
                hidden=move || purchase.payment_link.with(Option::is_none)
                href=move || purchase.payment_link.get()>
                {t.pay_link}
            </a>
            // After Pay: the travellers, the total and Pay stay where they are with the
            // step as without it.
            <Compat purchase=purchase />
        </form>
    }
}
