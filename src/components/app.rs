//! The root: provides the context and shows the current screen (the picker or an
//! order).

use leptos::prelude::*;

#[cfg(feature = "status")]
use crate::components::order::OrderStatus;
#[cfg(feature = "picker")]
use crate::components::picker::Picker;
use crate::context::{Config, Ctx, Screen, Services};

/// The whole widget.
#[component]
pub fn Widget(
    /// Attributes of the element.
    config: Config,
    /// Browser services.
    services: Services,
    /// The first screen.
    screen: Screen,
) -> impl IntoView {
    let ctx = Ctx::new(&config, services, screen);
    provide_context(ctx);
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
                // A screen of the other build (`crate::loader`): the loader swaps it in.
                #[allow(unreachable_patterns)]
                elsewhere => crate::loader::hand_over(elsewhere).into_any(),
            }}
        </section>
    }
}
