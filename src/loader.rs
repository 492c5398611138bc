//! What the loader (`loader/simology-esim.js`) hands the widget, and what the widget
//! hands back.
//!
//! The widget ships as two wasm modules, built from this crate with its cargo features:
//! `picker` (destination search, plans, checkout) and `status` (an order's progress,
//! the ready eSIM with its QR code, usage, top-ups). The loader loads the one the page
//! opens on. When the traveller moves to a screen the running module does not hold (a
//! new purchase from the status view), [`hand_over`] gives that screen to the loader,
//! which loads the other module and mounts it there. A build with both features (the
//! default: tests, clippy) never hands over.
//!
//! The loader also starts the first catalogue request at the same moment as the wasm
//! download and draws the plans from it before the wasm is in; [`Primed`] answers the
//! picker's first request for that catalogue with the loader's answer, so the wasm
//! renders the very plans drawn, at once, instead of asking again (the loader mounts it
//! out of the page and puts its elements in the drawing's place at the first action).

#[cfg(feature = "picker")]
use std::cell::RefCell;
#[cfg(feature = "picker")]
use std::rc::Rc;

#[cfg(feature = "picker")]
use js_sys::Promise;
use js_sys::{Function, Object, Reflect};
use leptos::prelude::*;
#[cfg(feature = "picker")]
use simology_proxy_api::{
    Beacon, CatalogResponse, CheckoutRequest, CheckoutResponse, DestinationsResponse,
};
use simology_proxy_api::{DestinationId, DestinationKind, OrderRef};
#[cfg(all(feature = "picker", feature = "status"))]
use simology_proxy_api::{OrderDetail, TopupOffers, TopupRequest, UsageView};
use wasm_bindgen::{JsCast, JsValue};

#[cfg(feature = "picker")]
use crate::backend::{Backend, Failure, Fut};
use crate::context::Screen;

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn text(object: &JsValue, key: &str) -> Option<String> {
    get(object, key).as_string()
}

fn kind_name(kind: DestinationKind) -> &'static str {
    match kind {
        DestinationKind::Country => "country",
        DestinationKind::Region => "region",
    }
}

/// A screen as the loader carries it from one module to the other:
/// `{screen: "order", order}` or `{screen: "picker", kind, code, sku, travellers}` (the
/// last four optional). The loader reads only `screen`, to choose the module.
pub fn screen_to_js(screen: &Screen) -> JsValue {
    let object = Object::new();
    let set = |key: &str, value: &str| {
        let _ = Reflect::set(&object, &key.into(), &value.into());
    };
    match screen {
        Screen::Order(order_ref) => {
            set("screen", "order");
            set("order", order_ref.as_str());
        }
        Screen::Picker {
            destination,
            sku,
            travellers,
        } => {
            set("screen", "picker");
            if let Some(d) = destination {
                set("kind", kind_name(d.kind));
                set("code", &d.code);
            }
            if let Some(sku) = sku {
                set("sku", sku);
            }
            if let Some(n) = travellers {
                let _ = Reflect::set(&object, &"travellers".into(), &f64::from(*n).into());
            }
        }
    }
    object.into()
}

/// The screen [`screen_to_js`] wrote; `None` for anything else.
pub fn screen_from_js(value: &JsValue) -> Option<Screen> {
    match text(value, "screen")?.as_str() {
        "order" => OrderRef::parse(&text(value, "order")?).map(Screen::Order),
        "picker" => {
            let code = text(value, "code");
            let destination = match (text(value, "kind").as_deref(), code) {
                (Some("country"), Some(code)) => Some(DestinationId::country(&code)?),
                (Some("region"), Some(code)) => Some(DestinationId::region(&code)?),
                (None, None) => None,
                _ => return None,
            };
            Some(Screen::Picker {
                destination,
                sku: text(value, "sku"),
                travellers: get(value, "travellers")
                    .as_f64()
                    .filter(|n| (1.0..=10.0).contains(n) && n.fract() == 0.0)
                    // In 1 to 10 and whole: exact.
                    .map(|n| n as u32),
            })
        }
        _ => None,
    }
}

/// The loader's `switch(screen)`, for a screen the other module holds.
#[derive(Clone, Copy)]
struct Switch(StoredValue<Function, LocalStorage>);

/// Makes the loader's `options.switch` reachable by [`hand_over`]: called by `mount`
/// under the widget's root, before the widget renders.
pub fn provide_switch(options: &JsValue) {
    if let Ok(f) = get(options, "switch").dyn_into::<Function>() {
        provide_context(Switch(StoredValue::new_local(f)));
    }
}

/// Shows a screen this module does not hold by asking the loader for the module that
/// does; renders nothing meanwhile (the loader shows its placeholder).
pub fn hand_over(screen: Screen) -> impl IntoView {
    match use_context::<Switch>() {
        Some(Switch(f)) => {
            // The loader only starts a download here; it mounts the other module later,
            // from its own task, never back into this render.
            let _ = f.with_value(|f| f.call1(&JsValue::NULL, &screen_to_js(&screen)));
        }
        None => leptos::logging::error!("simology-esim: this build cannot show that screen"),
    }
}

/// The backend, with the first answer for one catalogue already on its way: the
/// loader's own request (`options.catalog`, a promise of the answer's text, or of
/// `null` when it failed), for the destination `options.catalogFor` names
/// (`country:JP`, `region:europe`). The first catalogue request takes it if it is
/// for that destination; any other request, or a failed answer, goes to the proxy.
#[cfg(feature = "picker")]
pub struct Primed {
    inner: Rc<dyn Backend>,
    catalog: RefCell<Option<(DestinationId, Promise)>>,
}

#[cfg(feature = "picker")]
impl Primed {
    /// `inner` with the loader's catalogue from `options`, if it gave one.
    pub fn new(inner: Rc<dyn Backend>, options: &JsValue) -> Self {
        let destination = text(options, "catalogFor").and_then(|key| {
            let (kind, code) = key.split_once(':')?;
            match kind {
                "country" => DestinationId::country(code),
                "region" => DestinationId::region(code),
                _ => None,
            }
        });
        let promise = get(options, "catalog").dyn_into::<Promise>().ok();
        Primed {
            inner,
            catalog: RefCell::new(destination.zip(promise)),
        }
    }
}

#[cfg(feature = "picker")]
impl Backend for Primed {
    fn destinations(&self) -> Fut<Result<DestinationsResponse, Failure>> {
        self.inner.destinations()
    }

    fn catalog(&self, destination: &DestinationId) -> Fut<Result<CatalogResponse, Failure>> {
        // Only the first request may take it: a later one wants a fresh answer.
        let primed = self
            .catalog
            .borrow_mut()
            .take()
            .filter(|(d, _)| d == destination);
        let Some((_, promise)) = primed else {
            return self.inner.catalog(destination);
        };
        let inner = Rc::clone(&self.inner);
        let destination = destination.clone();
        Box::pin(async move {
            let answer = wasm_bindgen_futures::JsFuture::from(promise).await;
            if let Some(text) = answer.ok().and_then(|v| v.as_string()) {
                if let Ok(response) = crate::json::from_str::<CatalogResponse>(&text) {
                    return Ok(response);
                }
            }
            inner.catalog(&destination).await
        })
    }

    fn checkout(&self, request: CheckoutRequest) -> Fut<Result<CheckoutResponse, Failure>> {
        self.inner.checkout(request)
    }

    fn beacon(&self, beacon: &Beacon) {
        self.inner.beacon(beacon);
    }

    #[cfg(feature = "status")]
    fn order(
        &self,
        order_ref: &OrderRef,
        wait: u64,
        version: Option<i64>,
    ) -> Fut<Result<OrderDetail, Failure>> {
        self.inner.order(order_ref, wait, version)
    }

    #[cfg(feature = "status")]
    fn usage(&self, order_ref: &OrderRef, line: Option<&str>) -> Fut<Result<UsageView, Failure>> {
        self.inner.usage(order_ref, line)
    }

    #[cfg(feature = "status")]
    fn topup_offers(
        &self,
        order_ref: &OrderRef,
        line: Option<&str>,
    ) -> Fut<Result<TopupOffers, Failure>> {
        self.inner.topup_offers(order_ref, line)
    }

    #[cfg(feature = "status")]
    fn buy_topup(
        &self,
        order_ref: &OrderRef,
        line: Option<&str>,
        request: TopupRequest,
    ) -> Fut<Result<CheckoutResponse, Failure>> {
        self.inner.buy_topup(order_ref, line, request)
    }
}
