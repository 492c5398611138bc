//! # simology-widget
//!
//! The embeddable eSIM storefront: a Leptos (client-side rendered) widget that the
//! loader script mounts into each `<simology-esim>` element's shadow root. It talks
//! only to the partner proxy, through the types of `simology-proxy-api`.
//!
//! Build it with `cargo xtask dist` (trunk, then the loader bundle); see the README's
//! embedding guide. The crate's features `picker` and `status` make the two wasm
//! modules the loader chooses between (see [`loader`]); the default has both.

#[cfg(not(any(feature = "picker", feature = "status")))]
compile_error!("build the widget with the feature picker, status, or both (the default)");

pub mod attribution;
pub mod backend;
pub mod browser;
pub mod components;
pub mod context;
pub mod json;
pub mod load;
pub mod loader;

#[cfg(feature = "status")]
pub mod polling;
pub mod purchase;

use std::rc::Rc;

use leptos::prelude::*;
use simology_proxy_api::{DestinationId, PaymentReturn};
use simology_widget_core::i18n::Lang;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::app::Widget;
use crate::context::{Config, Screen, Services};

fn option(options: &JsValue, key: &str) -> Option<String> {
    js_sys::Reflect::get(options, &key.into())
        .ok()
        .and_then(|v| v.as_string())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The configuration from the element's attributes.
pub fn config_from(options: &JsValue) -> Config {
    let destination = option(options, "country")
        .and_then(|c| DestinationId::country(&c))
        .or_else(|| option(options, "region").and_then(|r| DestinationId::region(&r)));
    let languages = browser::browser_languages();
    let lang = Lang::negotiate(
        option(options, "locale").as_deref(),
        languages.iter().map(String::as_str),
    );
    let instance: String = option(options, "instance")
        .unwrap_or_else(|| "simology".into())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(40)
        .collect();
    let attribution = attribution::Attribution::from_attributes(
        option(options, "affiliate").as_deref(),
        option(options, "placement").as_deref(),
        &browser::page_path(),
        &mut |warning| leptos::logging::warn!("{warning}"),
    );
    Config {
        destination,
        lang,
        theme: option(options, "theme").unwrap_or_else(|| "auto".into()),
        instance: if instance.is_empty() {
            "simology".into()
        } else {
            instance
        },
        poll_interval_ms: option(options, "poll-interval")
            .and_then(|v| v.parse::<u32>().ok())
            .map(|ms| ms.clamp(500, 60_000)),
        attribution,
    }
}

/// Mounts a widget into `root` (inside a shadow root, normally; the loader gives the
/// shadow root the widget's stylesheet). `options` holds the element's attributes:
/// `proxy` (required), `country` or `region`, `locale`, `theme`, `instance`, `affiliate`
/// and `placement`; and what
/// the loader adds (see [`loader`]): `hash` (the page's fragment as it was when the
/// loader started, before any widget cleared it), `screen` (a screen handed over by
/// the other module), `switch` (to hand one over), `catalog` and `catalogFor` (the
/// first catalogue, already requested).
///
/// # Errors
/// When `proxy` is missing.
#[wasm_bindgen]
pub fn mount(root: web_sys::HtmlElement, options: JsValue) -> Result<(), JsValue> {
    console_error_panic_hook::set_once();
    let proxy = option(&options, "proxy")
        .ok_or_else(|| JsValue::from_str("simology-esim: the proxy attribute is required"))?;
    let config = config_from(&options);
    let hash = js_sys::Reflect::get(&options, &"hash".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(browser::location_hash);
    let screen = js_sys::Reflect::get(&options, &"screen".into())
        .ok()
        .and_then(|v| loader::screen_from_js(&v))
        .unwrap_or_else(|| Screen::initial(&config, &hash, browser::now_ms()));
    // Clean the fragment from the address bar after this turn; the page's other widgets
    // read the one the loader kept (`hash`), or the address bar's this turn.
    if PaymentReturn::parse(&browser::location_hash()).is_some() {
        let clear = Closure::once_into_js(browser::clear_hash);
        if let Some(w) = web_sys::window() {
            let _ =
                w.set_timeout_with_callback_and_timeout_and_arguments_0(clear.unchecked_ref(), 0);
        }
    }
    let backend: Rc<dyn backend::Backend> = Rc::new(backend::Http::new(&proxy));
    #[cfg(feature = "picker")]
    let backend: Rc<dyn backend::Backend> = Rc::new(loader::Primed::new(backend, &options));
    let services = Services {
        backend,
        navigate: Rc::new(browser::navigate),
        return_url: browser::page_url(),
        country_name: Rc::new(browser::country_name),
    };
    // The loader gives a fresh element (out of the page while its drawing of the plans
    // shows) and puts it in place itself; nothing in it stays.
    root.set_inner_html("");
    let handle = leptos::mount::mount_to(root, move || {
        loader::provide_switch(&options);
        view! { <Widget config=config services=services screen=screen /> }
    });
    // The widget lives as long as the page.
    handle.forget();
    Ok(())
}
