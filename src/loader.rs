//! What passes between the frame's script (`loader/frame.js`) and the widget.
//!
//! The widget ships as three wasm modules, built from this crate with its cargo
//! features: `picker` (destination search and plans: what a plan can be chosen with),
//! `checkout` (the same and the checkout, with the phone's compatibility step) and
//! `status` (an order's progress, the ready eSIM with its QR code, usage, top-ups). The
//! frame's script loads the one the frame opens on, which takes the place of the
//! proxy's rendering of its first screen. A screen the running module does not hold
//! goes through [`hand_over`] or [`to_checkout`]:
//! - a chosen plan, from the picker: the frame's script shows the proxy's rendering of
//!   that plan's checkout when the document has it (the destination it rendered) and
//!   loads the checkout module, which takes over on that plan, with what was typed
//!   (the same path as a plan tapped before any wasm was in);
//! - an order, from the picker (the traveller pays in another tab where the frame
//!   cannot remember the order across the payment page): the frame's script loads the
//!   status module into the same document, handing it the screen in memory;
//! - the picker, from the status module ("New purchase", "Choose a plan"): the frame
//!   reloads itself on the proxy's rendering of that picker, which the picker module
//!   takes over. Its address carries only what the element's attributes already say, a
//!   plan's SKU and a number of travellers: never an order; and a fragment that says
//!   the traveller moved there, so that the focus follows.
//!
//! A build with both features (the default: tests, clippy) never hands over.

use js_sys::{Object, Reflect};
use leptos::prelude::*;
use simology_proxy_api::EmbedConfig;
use simology_proxy_api::{DestinationId, DestinationKind, OrderRef};
use wasm_bindgen::{JsCast, JsValue};

use crate::context::{Config, Screen};

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn text(object: &JsValue, key: &str) -> Option<String> {
    get(object, key).as_string()
}

/// A screen as the frame's script carries it into another module: `{screen: "order",
/// order}` (the status module) or `{screen: "checkout", kind, code, sku, travellers}`
/// (the checkout module: the picker on that plan). Anything else is `None`.
pub fn screen_from_js(value: &JsValue) -> Option<Screen> {
    match text(value, "screen")?.as_str() {
        "order" => OrderRef::parse(&text(value, "order")?).map(Screen::Order),
        "checkout" => {
            let kind = match text(value, "kind")?.as_str() {
                "country" => DestinationKind::Country,
                "region" => DestinationKind::Region,
                _ => return None,
            };
            let code = text(value, "code")?;
            let travellers = get(value, "travellers")
                .as_f64()
                .filter(|n| (1.0..=10.0).contains(n) && n.fract() == 0.0)
                .map(|n| n as u32);
            Some(Screen::Picker {
                destination: Some(DestinationId { kind, code }),
                sku: Some(text(value, "sku")?),
                travellers,
            })
        }
        _ => None,
    }
}

/// Asks the frame's script for the checkout module, on `sku`'s checkout for
/// `destination` (see the module's header); `rendered`: the frame's document holds the
/// proxy's rendering of that checkout (the destination it rendered), which it shows
/// meanwhile.
#[cfg(not(feature = "checkout"))]
pub fn to_checkout(
    destination: &DestinationId,
    sku: &str,
    travellers: Option<u32>,
    rendered: bool,
) {
    let object = Object::new();
    let kind = match destination.kind {
        DestinationKind::Country => "country",
        DestinationKind::Region => "region",
    };
    let _ = Reflect::set(&object, &"screen".into(), &"checkout".into());
    let _ = Reflect::set(&object, &"kind".into(), &kind.into());
    let _ = Reflect::set(&object, &"code".into(), &destination.code.as_str().into());
    let _ = Reflect::set(&object, &"sku".into(), &sku.into());
    if let Some(n) = travellers {
        let _ = Reflect::set(&object, &"travellers".into(), &f64::from(n).into());
    }
    let _ = Reflect::set(&object, &"rendered".into(), &rendered.into());
    ask_frame(&object.into());
}

/// `simologyFrame.show(screen)`: the frame's script only starts a download there; it
/// mounts the other module later, from its own task, never back into this render.
fn ask_frame(screen: &JsValue) {
    let show = web_sys::window()
        .map(|w| get(&w, "simologyFrame"))
        .map(|frame| (get(&frame, "show"), frame))
        .and_then(|(f, frame)| f.dyn_into::<js_sys::Function>().ok().map(|f| (f, frame)));
    match show {
        Some((f, frame)) => {
            let _ = f.call1(&frame, screen);
        }
        None => leptos::logging::error!("simology-esim: this build cannot show that screen"),
    }
}

fn order_to_js(order_ref: &OrderRef) -> JsValue {
    let object = Object::new();
    let _ = Reflect::set(&object, &"screen".into(), &"order".into());
    let _ = Reflect::set(&object, &"order".into(), &order_ref.as_str().into());
    object.into()
}

/// The frame's own address for the proxy's rendering of `screen`'s picker: this
/// frame's address without its return from payment, on the destination, the plan and
/// the number of travellers given.
fn picker_address(
    destination: Option<&DestinationId>,
    sku: Option<&str>,
    travellers: Option<u32>,
) -> Option<String> {
    let location = web_sys::window()?.location();
    let url = web_sys::Url::new(&location.href().ok()?).ok()?;
    let params = url.search_params();
    for key in ["return", "country", "region", "sku", "travellers"] {
        params.delete(key);
    }
    if let Some(d) = destination {
        let key = match d.kind {
            DestinationKind::Country => "country",
            DestinationKind::Region => "region",
        };
        params.set(key, &d.code);
    }
    if let Some(sku) = sku {
        params.set("sku", sku);
    }
    if let Some(n) = travellers {
        params.set("travellers", &n.to_string());
    }
    url.set_search(&String::from(params.to_string()));
    // The traveller moved here (see `browser::take_moved_mark`): the new document's
    // screen takes the focus, as it would have without the reload.
    url.set_hash(crate::browser::MOVED_MARK);
    Some(url.href())
}

/// Shows a screen this module does not hold (see the module's header); renders
/// nothing meanwhile.
pub fn hand_over(screen: Screen) -> impl IntoView {
    match &screen {
        Screen::Order(order_ref) => ask_frame(&order_to_js(order_ref)),
        Screen::Picker {
            destination,
            sku,
            travellers,
        } => {
            let address = picker_address(destination.as_ref(), sku.as_deref(), *travellers);
            if let (Some(w), Some(address)) = (web_sys::window(), address) {
                let _ = w.location().replace(&address);
            }
        }
    }
}

/// The screen a frame opens on, and whether it is the checkout of a plan the traveller
/// tapped on the proxy's rendering before the wasm was in (the funnel then counts the
/// choice):
/// - in the status module, when the proxy found an order (or the picker is not in this
///   build): the order the proxy or the frame's storage remembers;
/// - a tapped plan's checkout, for the number of `travellers` chosen in the proxy's
///   rendering of it (none: one);
/// - back from a cancelled payment the proxy did not know of (its cookie is not kept
///   in this browser): the checkout of the plan this frame remembers, for as many;
/// - else the screen the proxy rendered.
pub fn first_screen(
    config: &Config,
    embed: &EmbedConfig,
    tapped: Option<String>,
    travellers: Option<u32>,
) -> (Screen, bool) {
    #[cfg(feature = "status")]
    if embed.order.is_some() || !cfg!(feature = "picker") {
        return (
            Screen::initial(config, embed, crate::browser::now_ms()),
            false,
        );
    }
    if let Some(sku) = tapped.filter(|_| embed.sku.is_none()) {
        let screen = Screen::Picker {
            destination: config.destination.clone(),
            sku: Some(sku),
            travellers: travellers.filter(|n| (1..=10).contains(n)),
        };
        return (screen, true);
    }
    if embed.cancelled && embed.sku.is_none() {
        if let Some(order) = crate::browser::latest_order(&config.instance) {
            crate::browser::mark_done(&order.order_ref);
            return (Screen::again(Some(&order)), false);
        }
    }
    (crate::rendered_screen(embed), false)
}
