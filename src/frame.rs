//! The frame's side of its boundary with the host page.
//!
//! The widget runs in a document of the proxy's origin inside the partner's page, so
//! the page's scripts can read none of it: not its storage, its requests, its DOM or
//! its keystrokes. What crosses, crosses here, and carries no secret:
//! - in: the host page's address (the `page` parameter of the frame's own address,
//!   which the host script wrote), where payment returns and whose path an
//!   affiliate's report counts;
//! - out: the public events a partner's analytics listens to ([`HostEvent`]), posted
//!   to the parent window only, for the host script to dispatch on the element. Never
//!   an order's reference, an activation code or an email.
//!
//! The frame's height goes out from the frame's script (`loader/frame.js`), which runs
//! before the wasm.

use simology_proxy_api::{Plan, Price};
use wasm_bindgen::JsValue;

/// A moment the host page's analytics may want, with a detail that opens nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum HostEvent {
    /// The widget was seen: at least half of it in view for a second (the host script
    /// watches; the picker, not an order's screen, reports it).
    Shown {
        /// The destination it opened on, if any.
        destination: Option<String>,
    },
    /// The traveller chose a destination (a country's code or a region's slug).
    DestinationChosen {
        /// `JP`, `western-europe`.
        destination: String,
    },
    /// The traveller chose a plan.
    PlanChosen(Sale),
    /// The traveller pressed Pay (once per purchase).
    CheckoutStarted(Sale),
    /// The payment went through.
    Paid {
        /// What was bought.
        sale: Sale,
        /// An id of the order that opens nothing (the proxy's analytics id).
        analytics_id: String,
    },
    /// The eSIM (every eSIM of the order) is ready.
    Ready {
        /// What was bought.
        sale: Sale,
        /// As for [`HostEvent::Paid`].
        analytics_id: String,
    },
    /// Something went wrong that the traveller was told about: the error's code
    /// (`upstream_unavailable`, `network`...).
    Error {
        /// The code.
        code: &'static str,
    },
}

/// What a sale is, as analytics counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sale {
    /// The plan's SKU.
    pub sku: String,
    /// Its destination, when known.
    pub destination: Option<String>,
    /// How many eSIMs.
    pub quantity: u32,
    /// The total in minor units.
    pub amount_minor: i64,
    /// Its currency.
    pub currency: String,
}

impl Sale {
    /// A plan bought `quantity` times; `None` when the total does not fit.
    pub fn of(sku: &str, destination: Option<&str>, price: &Price, quantity: u32) -> Option<Sale> {
        Some(Sale {
            sku: sku.to_owned(),
            destination: destination.map(str::to_owned),
            quantity,
            amount_minor: price.minor.checked_mul(i64::from(quantity))?,
            currency: price.currency.as_str().to_owned(),
        })
    }

    /// A catalogue plan, `quantity` times.
    pub fn of_plan(plan: &Plan, quantity: u32) -> Option<Sale> {
        Sale::of(&plan.sku, Some(&plan.destination), &plan.price, quantity)
    }
}

impl HostEvent {
    /// The event's name on the element: `simology:<name>`.
    pub fn name(&self) -> &'static str {
        match self {
            HostEvent::Shown { .. } => "shown",
            HostEvent::DestinationChosen { .. } => "destination-chosen",
            HostEvent::PlanChosen(_) => "plan-chosen",
            HostEvent::CheckoutStarted(_) => "checkout-started",
            HostEvent::Paid { .. } => "paid",
            HostEvent::Ready { .. } => "ready",
            HostEvent::Error { .. } => "error",
        }
    }

    /// Its `detail`, member by member, as `f` is given them.
    pub fn detail(&self, f: &mut dyn FnMut(&'static str, Detail<'_>)) {
        let sale = |s: &Sale, f: &mut dyn FnMut(&'static str, Detail<'_>)| {
            f("sku", Detail::Text(&s.sku));
            f("quantity", Detail::Number(f64::from(s.quantity)));
            // Minor units of a plan's price: far below 2^53.
            f("amount_minor", Detail::Number(s.amount_minor as f64));
            f("currency", Detail::Text(&s.currency));
            if let Some(dest) = &s.destination {
                f("destination", Detail::Text(dest));
            }
        };
        match self {
            HostEvent::Shown { destination } => {
                if let Some(d) = destination {
                    f("destination", Detail::Text(d));
                }
            }
            HostEvent::DestinationChosen { destination } => {
                f("destination", Detail::Text(destination));
            }
            HostEvent::PlanChosen(s) | HostEvent::CheckoutStarted(s) => sale(s, f),
            HostEvent::Paid {
                sale: s,
                analytics_id,
            }
            | HostEvent::Ready {
                sale: s,
                analytics_id,
            } => {
                sale(s, f);
                f("analytics_id", Detail::Text(analytics_id));
            }
            HostEvent::Error { code } => f("code", Detail::Text(code)),
        }
    }
}

/// A value of an event's detail.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Detail<'a> {
    /// A string.
    Text(&'a str),
    /// A number.
    Number(f64),
}

/// The host page as the frame knows it.
pub struct Host {
    /// The page's address, without its fragment (empty when the frame was opened
    /// without one, as in tests).
    page: String,
    /// Its origin, which messages to the parent are addressed to.
    origin: String,
    /// The affiliate network's click id the host script read from the page's address
    /// (`?click_id=...`, for an element with a `click-param`).
    click_id: Option<String>,
}

impl Host {
    /// From the frame's own address (`?page=...`, written by the host script). Only an
    /// http(s) address is taken.
    pub fn from_location() -> Host {
        let search = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
        let click_id = params.as_ref().and_then(|p| p.get("click_id"));
        let page = params
            .and_then(|p| p.get("page"))
            .and_then(|p| web_sys::Url::new(&p).ok())
            .filter(|u| matches!(u.protocol().as_str(), "https:" | "http:"));
        match page {
            Some(url) => {
                url.set_hash("");
                Host {
                    page: url.href(),
                    origin: url.origin(),
                    click_id,
                }
            }
            None => Host {
                page: String::new(),
                origin: String::new(),
                click_id,
            },
        }
    }

    /// The click id the host script passed, unchecked (see
    /// `Attribution::with_click_id`).
    pub fn click_id(&self) -> Option<&str> {
        self.click_id.as_deref()
    }

    /// Where payment returns.
    pub fn page_url(&self) -> String {
        self.page.clone()
    }

    /// The page's path (no query, no fragment), for an affiliate's reports.
    pub fn page_path(&self) -> String {
        web_sys::Url::new(&self.page)
            .map(|u| u.pathname())
            .unwrap_or_default()
    }

    /// Posts `event` to the parent window, addressed to the host page's origin (a
    /// parent that navigated elsewhere gets nothing).
    pub fn announce(&self, event: &HostEvent) {
        if self.origin.is_empty() {
            return;
        }
        let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
            return;
        };
        let detail = js_sys::Object::new();
        event.detail(&mut |name, value| {
            let value = match value {
                Detail::Text(t) => JsValue::from_str(t),
                Detail::Number(n) => JsValue::from_f64(n),
            };
            let _ = js_sys::Reflect::set(&detail, &name.into(), &value);
        });
        let message = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&message, &"type".into(), &"simology:event".into());
        let _ = js_sys::Reflect::set(&message, &"name".into(), &event.name().into());
        let _ = js_sys::Reflect::set(&message, &"detail".into(), &detail);
        let _ = parent.post_message(&message, &self.origin);
    }
}

/// Calls `f` once, when the host page says the element has been seen (its message
/// `simology:shown`, taken only from the parent window and the host page's origin).
pub fn on_shown(f: impl FnOnce() + 'static) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    let host = Host::from_location();
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(parent) = window.parent().ok().flatten() else {
        return;
    };
    let mut f = Some(f);
    let listener =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let from_parent = e
                .source()
                .is_some_and(|s| JsValue::from(s) == JsValue::from(parent.clone()));
            let kind = js_sys::Reflect::get(&e.data(), &"type".into())
                .ok()
                .and_then(|t| t.as_string());
            if from_parent
                && !host.origin.is_empty()
                && e.origin() == host.origin
                && kind.as_deref() == Some("simology:shown")
            {
                if let Some(f) = f.take() {
                    f();
                }
            }
        });
    let _ = window.add_event_listener_with_callback("message", listener.as_ref().unchecked_ref());
    // The frame lives as long as its document.
    listener.forget();
}
