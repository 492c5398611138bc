//! The root: provides the context and shows the current screen (the picker or an
//! order).

use leptos::prelude::*;
use simology_proxy_api::{CatalogResponse, DestinationId, FunnelEvent};

#[cfg(feature = "status")]
use crate::components::order::OrderStatus;
#[cfg(feature = "picker")]
use crate::components::picker::Picker;
use crate::context::{Config, Ctx, Screen, Services};
use crate::frame::{HostEvent, Sale};

/// The whole widget.
#[component]
pub fn Widget(
    /// Attributes of the element.
    config: Config,
    /// Browser services.
    services: Services,
    /// The first screen.
    screen: Screen,
    /// The catalogue the proxy rendered the first screen with, and its destination.
    #[prop(default = None)]
    primed: Option<(CatalogResponse, DestinationId)>,
    /// The first screen is the checkout of a plan the traveller tapped on the proxy's
    /// rendering, before the wasm was in: that choice is counted now.
    #[prop(default = false)]
    tapped: bool,
    /// The email typed in the proxy's rendering of that checkout: the form goes on
    /// with it.
    #[prop(default = None)]
    email: Option<String>,
) -> impl IntoView {
    // Plurals from the browser's own rules (the proxy's rendering uses CLDR's, the same).
    #[cfg(feature = "csr")]
    simology_widget_core::i18n::use_plural_rules(crate::browser::plural_category);
    let opened_on_picker = matches!(screen, Screen::Picker { .. });
    let chosen = match (&screen, tapped) {
        (
            Screen::Picker {
                destination: Some(d),
                sku: Some(sku),
                ..
            },
            true,
        ) => primed
            .as_ref()
            .filter(|(_, on)| on == d)
            .and_then(|(c, _)| c.plans.iter().find(|p| &p.sku == sku).cloned()),
        _ => None,
    };
    let ctx = Ctx::new(&config, services, screen, primed);
    provide_context(ctx);
    #[cfg(feature = "csr")]
    if crate::browser::take_moved_mark() {
        ctx.moved();
    }
    if let Some(email) = email {
        ctx.email.set(email);
    }
    if let Some(plan) = chosen {
        ctx.report(FunnelEvent::PlanChosen, Some(&plan.destination));
        if let Some(sale) = Sale::of_plan(&plan, 1) {
            ctx.announce(HostEvent::PlanChosen(sale));
        }
    }
    // The funnel's first step, when the host page says the element was seen: not on a
    // frame that opens on an order (that is the traveller's own, not a new visit).
    #[cfg(feature = "csr")]
    if opened_on_picker {
        let destination = config.destination.as_ref().map(|d| d.code.clone());
        crate::frame::on_shown(move || {
            ctx.report(FunnelEvent::Shown, destination.as_deref());
            ctx.announce(HostEvent::Shown { destination });
        });
    }
    #[cfg(not(feature = "csr"))]
    let _ = opened_on_picker;
    let theme = match config.theme.as_str() {
        "dark" => "sim-root theme-dark",
        "light" => "sim-root theme-light",
        _ => "sim-root theme-auto",
    };
    view! {
        <section class=theme lang=ctx.lang.tag() aria-label=ctx.t.widget_label>
            {move || match ctx.screen.get() {
                #[cfg(feature = "picker")]
                Screen::Picker { destination, sku, travellers } => view! { <Picker destination=destination sku=sku travellers=travellers /> }.into_any(),
                #[cfg(feature = "status")]
                Screen::Order(order_ref) => view! { <OrderStatus order_ref=order_ref /> }.into_any(),
                // A screen of the other build (`crate::loader`): the frame's script
                // brings the module that holds it.
                #[allow(unreachable_patterns)]
                elsewhere => crate::loader::hand_over(elsewhere).into_any(),
            }}
            // The one polite region: in the page from the start (a region added with
            // its text, or shown from `display: none`, is not always read). Its text is
            // a property: the proxy's rendering of it is empty, like the wasm's.
            <p class="sr-only announcer" role="status" aria-live="polite" aria-atomic="true" prop:textContent=move || ctx.spoken.get()></p>
        </section>
    }
}
