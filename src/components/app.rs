//! The root: which screen shows (the picker or an order), and the services every
//! component reaches through [`Ctx`].

use std::rc::Rc;

use leptos::prelude::*;
use simology_proxy_api::{DestinationId, DestinationKind, OrderRef, PaymentReturn};
use simology_widget_core::i18n::{Lang, Strings};
use simology_widget_core::saved::order_to_show;

use crate::backend::Backend;
use crate::browser;
use crate::components::order::OrderStatus;
use crate::components::picker::Picker;

/// How the widget was configured by its element's attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// A destination to open on.
    pub destination: Option<DestinationId>,
    /// The language.
    pub lang: Lang,
    /// `light`, `dark` or `auto`.
    pub theme: String,
    /// Which widget of the page this is (its `id`, or its position).
    pub instance: String,
    /// Poll the order every this many milliseconds instead of long-polling (for
    /// measuring what long-polling buys; not for production pages).
    pub poll_interval_ms: Option<u32>,
}

/// Names a country in a language (`Intl.DisplayNames` in the browser).
pub type CountryNamer = Rc<dyn Fn(Lang, &str) -> Option<String>>;

/// Browser services, replaceable in tests.
pub struct Services {
    /// The proxy.
    pub backend: Rc<dyn Backend>,
    /// Sends the page to a URL (the payment page).
    pub navigate: Rc<dyn Fn(&str)>,
    /// The page the widget sits on, where payment returns.
    pub return_url: String,
    /// A country's name in a language.
    pub country_name: CountryNamer,
}

/// What every component can reach: copyable handles only.
#[derive(Clone, Copy)]
pub struct Ctx {
    services: StoredValue<Services, LocalStorage>,
    /// The language.
    pub lang: Lang,
    /// Its words.
    pub t: &'static Strings,
    /// This widget's instance key.
    pub instance: StoredValue<String>,
    /// See [`Config::poll_interval_ms`].
    pub poll_interval_ms: Option<u32>,
    /// Which screen shows.
    pub screen: RwSignal<Screen>,
}

impl Ctx {
    /// The proxy.
    pub fn backend(&self) -> Rc<dyn Backend> {
        self.services.with_value(|s| Rc::clone(&s.backend))
    }

    /// Goes to the payment page.
    pub fn navigate(&self, url: &str) {
        let f = self.services.with_value(|s| Rc::clone(&s.navigate));
        f(url);
    }

    /// The page to return to after payment.
    pub fn return_url(&self) -> String {
        self.services.with_value(|s| s.return_url.clone())
    }

    /// A country's name in a language.
    pub fn country_name(&self, lang: Lang, code: &str) -> Option<String> {
        let f = self.services.with_value(|s| Rc::clone(&s.country_name));
        f(lang, code)
    }

    /// A destination's name in the widget's language.
    pub fn destination_name(&self, kind: DestinationKind, code: &str, fallback: &str) -> String {
        match kind {
            DestinationKind::Country => self
                .country_name(self.lang, code)
                .unwrap_or_else(|| fallback.to_owned()),
            DestinationKind::Region => self
                .t
                .region(code)
                .map_or_else(|| fallback.to_owned(), str::to_owned),
        }
    }
}

/// The screen shown.
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    /// Choosing a plan, maybe with a destination and a plan preselected.
    Picker {
        /// The destination.
        destination: Option<DestinationId>,
        /// A plan to reselect (after a cancelled payment).
        sku: Option<String>,
    },
    /// An order's status.
    Order(OrderRef),
}

/// The first screen: a returning payment, an unfinished order, or the picker.
pub fn initial_screen(config: &Config, hash: &str, now_ms: u64) -> Screen {
    let ret = PaymentReturn::parse(hash);
    let saved = browser::saved_orders();
    if let Some(order_ref) = order_to_show(ret.as_ref(), &saved, &config.instance, now_ms) {
        return Screen::Order(order_ref);
    }
    if let Some(PaymentReturn::Cancelled(r)) = &ret {
        if let Some(o) = saved
            .iter()
            .find(|o| o.order_ref == *r && o.instance == config.instance)
        {
            return Screen::Picker {
                destination: Some(o.destination.clone()),
                sku: Some(o.sku.clone()),
            };
        }
    }
    Screen::Picker {
        destination: config.destination.clone(),
        sku: None,
    }
}

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
    let lang = config.lang;
    let ctx = Ctx {
        services: StoredValue::new_local(services),
        lang,
        t: lang.strings(),
        instance: StoredValue::new(config.instance.clone()),
        poll_interval_ms: config.poll_interval_ms,
        screen: RwSignal::new(screen),
    };
    provide_context(ctx);
    let theme = match config.theme.as_str() {
        "dark" => "sim-root theme-dark",
        "light" => "sim-root theme-light",
        _ => "sim-root theme-auto",
    };
    view! {
        <section class=theme lang=lang.tag() aria-label=ctx.t.widget_label>
            {move || match ctx.screen.get() {
                Screen::Picker { destination, sku } => view! { <Picker destination=destination sku=sku /> }.into_any(),
                Screen::Order(order_ref) => view! { <OrderStatus order_ref=order_ref /> }.into_any(),
            }}
        </section>
    }
}

/// The context, from any component under [`Widget`].
pub fn ctx() -> Ctx {
    expect_context::<Ctx>()
}
