//! The frame's first screen, rendered on the proxy (the `ssr` feature): the same
//! components as in the browser, so the first plans are in the frame document's HTML,
//! shown before any wasm, and the wasm's first render, made from the same data, is the
//! same; and the checkout of each plan offered there ([`checkouts`]), which the frame
//! shows at once when that plan is tapped before the wasm is in. No JavaScript formats
//! anything.
//!
//! Effects do not run on the server, so nothing here reaches for the browser or the
//! proxy: the catalogue comes in the configuration, the services are inert, and an
//! order's screen (which the status module renders itself, as it follows the order)
//! is only the widget's frame, busy, until the module is in.

use std::rc::Rc;

use leptos::prelude::*;
use simology_proxy_api::{
    Beacon, CatalogResponse, CheckoutRequest, CheckoutResponse, DestinationId,
    DestinationsResponse, EmbedConfig, OrderDetail, OrderRef, TopupOffers, TopupRequest, UsageView,
};
use simology_widget_core::plans::Scopes;

use crate::backend::{Backend, Failure, Fut};
use crate::context::{CountryNamer, Screen, Services};

/// A backend nothing calls on the server (effects and handlers do not run there).
struct Inert;

fn never<T: 'static>() -> Fut<Result<T, Failure>> {
    Box::pin(std::future::pending())
}

impl Backend for Inert {
    #[cfg(feature = "picker")]
    fn destinations(&self) -> Fut<Result<DestinationsResponse, Failure>> {
        never()
    }

    #[cfg(feature = "picker")]
    fn catalog(&self, _: &DestinationId) -> Fut<Result<CatalogResponse, Failure>> {
        never()
    }

    #[cfg(feature = "picker")]
    fn devices(&self) -> Fut<Result<simology_widget_core::compat::Devices, Failure>> {
        never()
    }

    fn checkout(&self, _: CheckoutRequest) -> Fut<Result<CheckoutResponse, Failure>> {
        never()
    }

    fn beacon(&self, _: &Beacon) {}

    #[cfg(feature = "status")]
    fn order(&self, _: &OrderRef, _: u64, _: Option<i64>) -> Fut<Result<OrderDetail, Failure>> {
        never()
    }

    #[cfg(feature = "status")]
    fn usage(&self, _: &OrderRef, _: Option<&str>) -> Fut<Result<UsageView, Failure>> {
        never()
    }

    #[cfg(feature = "status")]
    fn topup_offers(&self, _: &OrderRef, _: Option<&str>) -> Fut<Result<TopupOffers, Failure>> {
        never()
    }

    #[cfg(feature = "status")]
    fn buy_topup(
        &self,
        _: &OrderRef,
        _: Option<&str>,
        _: TopupRequest,
    ) -> Fut<Result<CheckoutResponse, Failure>> {
        never()
    }
}

/// The HTML of the frame's `#sim` element for `embed`: the picker as the browser's
/// first render draws it (with `country_name` naming countries in the widget's
/// language, as `Intl.DisplayNames` does there), or, for an order, the widget's
/// frame, busy, which the status module replaces.
pub fn render(embed: &EmbedConfig, country_name: CountryNamer) -> String {
    if embed.order.is_some() {
        let lang = crate::config_from(embed, "").lang;
        let t = lang.strings();
        return Owner::new().with(|| {
            view! {
                <section class="sim-root theme-auto" lang=lang.tag() aria-label=t.widget_label aria-busy="true">
                    <div class="wait"></div>
                </section>
            }
            .to_html()
        });
    }
    render_screen(embed, country_name, crate::rendered_screen(embed))
}

/// The widget on `screen`, as the browser's first render draws it.
fn render_screen(embed: &EmbedConfig, country_name: CountryNamer, screen: Screen) -> String {
    let config = crate::config_from(embed, "");
    let services = Services {
        backend: Rc::new(Inert),
        navigate: Rc::new(|_| false),
        return_url: String::new(),
        country_name,
        announce: Rc::new(|_| {}),
    };
    Owner::new().with(|| crate::app(config, services, screen, embed, false, None).to_html())
}

/// The checkout of each plan that the first screen of `embed` offers to choose (the
/// available plans of the scope it opens on), as the widget draws it once that plan is
/// chosen: its SKU and the HTML of the frame's `#sim` then. The frame shows one at
/// once when its plan is tapped before the wasm is in, and the wasm, mounting on the
/// same checkout, takes over what was typed in it (see `loader/frame.js`). None when
/// the first screen is not a destination's plans.
pub fn checkouts(embed: &EmbedConfig, country_name: CountryNamer) -> Vec<(String, String)> {
    let (Some(catalog), Some(destination), None, None) =
        (&embed.catalog, &embed.destination, &embed.order, &embed.sku)
    else {
        return Vec::new();
    };
    let scopes = Scopes::of(&catalog.plans, destination.kind);
    scopes
        .plans(scopes.first())
        .iter()
        .filter(|p| p.available)
        .map(|plan| {
            let screen = Screen::Picker {
                destination: Some(destination.clone()),
                sku: Some(plan.sku.clone()),
                travellers: None,
            };
            let html = render_screen(embed, Rc::clone(&country_name), screen);
            (plan.sku.clone(), html)
        })
        .collect()
}
