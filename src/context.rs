//! What every component reaches: the configuration from the element's attributes, the
//! browser services (replaceable in tests), which screen shows, and [`Ctx`], the
//! copyable handle on all of it that the root provides. Nothing here imports a
//! component, so components depend on this module and never on each other's context.

use std::rc::Rc;

use leptos::prelude::*;
use simology_proxy_api::{
    CatalogResponse, CompatCheck, DestinationId, DestinationKind, EmbedConfig, FunnelEvent,
    OrderPlan, OrderRef,
};
use simology_widget_core::i18n::{Lang, Strings};
use simology_widget_core::saved::{order_to_show, SavedOrder};
use simology_widget_core::status::Pace;

use crate::attribution::{Attribution, Funnel};
use crate::backend::Backend;
use crate::browser;
use crate::frame::HostEvent;
use wasm_bindgen::JsCast;

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
    /// The affiliate it sells for, as the proxy signed it, and the page's path.
    pub attribution: Option<Attribution>,
    /// The checkout's "Is your phone ready for an eSIM?" step (`compat-check`).
    pub compat_check: CompatCheck,
}

/// Names a country in a language (`Intl.DisplayNames` in the browser).
pub type CountryNamer = Rc<dyn Fn(Lang, &str) -> Option<String>>;

/// Browser services, replaceable in tests.
pub struct Services {
    /// The proxy.
    pub backend: Rc<dyn Backend>,
    /// Sends the top window to a URL (the payment page); whether the browser let it.
    pub navigate: Rc<dyn Fn(&str) -> bool>,
    /// The page the widget sits on, where payment returns.
    pub return_url: String,
    /// A country's name in a language.
    pub country_name: CountryNamer,
    /// Tells the host page about a public moment of the purchase (see
    /// [`crate::frame`]).
    pub announce: Rc<dyn Fn(&HostEvent)>,
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
        /// How many travellers it was for (none: one).
        travellers: Option<u32>,
    },
    /// An order's status.
    Order(OrderRef),
}

impl Screen {
    /// The first screen of the status module, which renders itself: the order the
    /// proxy found remembered (the frame's cookie), else this widget's latest
    /// unfinished order remembered in the frame's storage, else the picker (on the
    /// plan of a cancelled payment).
    pub fn initial(config: &Config, embed: &EmbedConfig, now_ms: u64) -> Screen {
        if let Some(order_ref) = &embed.order {
            return Screen::Order(order_ref.clone());
        }
        let saved = browser::saved_orders();
        if let Some(order_ref) = order_to_show(embed.cancelled, &saved, &config.instance, now_ms) {
            return Screen::Order(order_ref);
        }
        if embed.cancelled {
            return Screen::again(browser::latest_order(&config.instance).as_ref());
        }
        Screen::Picker {
            destination: config.destination.clone(),
            sku: None,
            travellers: None,
        }
    }

    /// The picker on the plan of a remembered order (a cancelled or failed payment), for
    /// as many travellers, or the destination search when the order is not remembered
    /// here.
    pub fn again(order: Option<&SavedOrder>) -> Screen {
        Screen::Picker {
            destination: order.map(|o| o.destination.clone()),
            sku: order.map(|o| o.sku.clone()),
            travellers: order.map(|o| o.quantity).filter(|&n| n > 1),
        }
    }

    /// The picker on the plan of an order the frame does not remember (its storage is
    /// refused, as Chromium refuses a frame of another site's), read from the order's
    /// view: a plan of one country opens on that country; another, on the search.
    pub fn again_from(plan: &OrderPlan) -> Screen {
        let destination = match plan.coverage.as_slice() {
            [only] => DestinationId::country(only),
            _ => None,
        };
        Screen::Picker {
            destination,
            sku: Some(plan.sku.clone()),
            travellers: Some(plan.quantity).filter(|&n| n > 1),
        }
    }
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
    /// The checkout's eSIM compatibility step (see [`Config::compat_check`]).
    pub compat_check: CompatCheck,
    /// How an order is followed (see [`Config::poll_interval_ms`]).
    pub pace: Pace,
    /// Which screen shows.
    pub screen: RwSignal<Screen>,
    /// The email the traveller last bought with in this widget, offered again to the
    /// next purchase (a top-up, another eSIM). In memory only: never stored, so it lasts
    /// as long as the page.
    pub email: RwSignal<String>,
    /// The affiliate's funnel (nothing without an affiliate).
    funnel: StoredValue<Funnel>,
    /// The catalogue the proxy rendered, and its destination: a picker on that
    /// destination starts from it instead of asking again.
    primed: StoredValue<Option<(CatalogResponse, DestinationId)>>,
    /// What the widget's one polite status region says (see [`Ctx::say`]).
    pub spoken: RwSignal<String>,
    /// The traveller has moved between screens: each new screen's heading takes the
    /// focus (see [`Ctx::focus_heading`]). Never on page load.
    acted: StoredValue<bool>,
}

impl Ctx {
    /// The context of a widget configured by `config`, opening on `screen`.
    pub fn new(
        config: &Config,
        services: Services,
        screen: Screen,
        primed: Option<(CatalogResponse, DestinationId)>,
    ) -> Ctx {
        Ctx {
            services: StoredValue::new_local(services),
            lang: config.lang,
            t: config.lang.strings(),
            instance: StoredValue::new(config.instance.clone()),
            compat_check: config.compat_check,
            pace: Pace::from_interval(config.poll_interval_ms),
            screen: RwSignal::new(screen),
            email: RwSignal::new(String::new()),
            funnel: StoredValue::new(Funnel::new(config.attribution.clone())),
            primed: StoredValue::new(primed),
            spoken: RwSignal::new(String::new()),
            acted: StoredValue::new(false),
        }
    }

    /// Says `text` through the widget's polite status region, rendered from the start
    /// so that screen readers hear its changes: a copy, a filter's count, a busy button.
    /// The same text twice is spoken twice (a no-break space tells them apart).
    pub fn say(&self, text: impl Into<String>) {
        let text = text.into();
        self.spoken.update(|now| {
            *now = if now.trim_end_matches('\u{a0}') == text && !now.ends_with('\u{a0}') {
                format!("{text}\u{a0}")
            } else {
                text
            };
        });
    }

    /// The traveller started a move to another screen (or another state of this one):
    /// the next screen's heading takes the focus.
    pub fn moved(&self) {
        self.acted.set_value(true);
    }

    /// Whether the traveller has moved since the page loaded.
    pub fn has_moved(&self) -> bool {
        self.acted.get_value()
    }

    /// Gives the focus to a screen's heading (`tabindex="-1"`) once it is in the page,
    /// after a move the traveller made; never on page load.
    pub fn focus_heading<E>(&self, heading: NodeRef<E>)
    where
        E: leptos::html::ElementType + 'static,
        E::Output: JsCast + Clone + 'static,
    {
        if self.has_moved() {
            heading.on_load(|h| {
                if let Some(el) = h.dyn_ref::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            });
        }
    }

    /// The catalogue the proxy rendered, if it is `destination`'s.
    pub fn primed(&self, destination: &DestinationId) -> Option<CatalogResponse> {
        self.primed.with_value(|p| {
            p.as_ref()
                .filter(|(_, d)| d == destination)
                .map(|(c, _)| c.clone())
        })
    }

    /// Tells the host page (see [`crate::frame`]).
    pub fn announce(&self, event: HostEvent) {
        let f = self.services.with_value(|s| Rc::clone(&s.announce));
        f(&event);
    }

    /// The widget's attribution, for its checkouts.
    pub fn attribution(&self) -> Option<Attribution> {
        self.funnel.with_value(|f| f.attribution().cloned())
    }

    /// Reports a step of the funnel (with an affiliate only), about a destination.
    pub fn report(&self, event: FunnelEvent, destination: Option<&str>) {
        if let Some(beacon) = self.funnel.with_value(|f| f.event(event, destination)) {
            self.backend().beacon(&beacon);
        }
    }

    /// Reports the checkout of the purchase `intent_id` (once per purchase).
    pub fn report_checkout(&self, intent_id: &str, destination: &str) {
        let beacon = self
            .funnel
            .try_update_value(|f| f.checkout(intent_id, destination))
            .flatten();
        if let Some(beacon) = beacon {
            self.backend().beacon(&beacon);
        }
    }

    /// An element id unique to this widget on the page (`{instance}-{name}`), so two
    /// widgets' labels and fields never point at each other.
    pub fn id(&self, name: &str) -> String {
        self.instance.with_value(|i| format!("{i}-{name}"))
    }

    /// The proxy.
    pub fn backend(&self) -> Rc<dyn Backend> {
        self.services.with_value(|s| Rc::clone(&s.backend))
    }

    /// Goes to the payment page; whether the browser let the frame send the window.
    pub fn navigate(&self, url: &str) -> bool {
        let f = self.services.with_value(|s| Rc::clone(&s.navigate));
        f(url)
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

/// The context, from any component under the root (`components::app::Widget`), which
/// provides it before rendering anything.
///
/// Not `expect_context`: its panic message formats the type's name with `Debug`, which
/// alone brings `str`'s escaping and Unicode's printable tables into the wasm (about
/// 1 KB of brotli); a plain message does not.
pub fn ctx() -> Ctx {
    use_context::<Ctx>().expect("simology-esim: a component rendered outside the widget's root")
}
