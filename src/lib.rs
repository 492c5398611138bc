//! # simology-widget
//!
//! The embeddable eSIM storefront: a Leptos (client-side rendered) widget that the
//! loader script mounts into each `<simology-esim>` element's shadow root. It talks
//! only to the partner proxy, through the types of `simology-proxy-api`.
//!
//! Build it with `cargo xtask dist` (trunk, then the loader bundle); see the README's
//! embedding guide.

pub mod backend;
pub mod browser;
pub mod components;
pub mod context;
pub mod json;
pub mod load;
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

/// The widget's stylesheet, applied to each shadow root.
pub const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.min.css"));

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
    }
}

fn adopt_styles(root: &web_sys::HtmlElement) {
    let Ok(shadow) = root.get_root_node().dyn_into::<web_sys::ShadowRoot>() else {
        return;
    };
    // A constructed stylesheet is not inline CSS, so a host's strict CSP allows it.
    if let Ok(sheet) = web_sys::CssStyleSheet::new() {
        if sheet.replace_sync(CSS).is_ok() {
            let sheets = shadow.adopted_style_sheets();
            sheets.push(&sheet);
            shadow.set_adopted_style_sheets(&sheets);
        }
    }
}

/// Mounts a widget into `root` (inside a shadow root, normally). `options` holds the
/// element's attributes: `proxy` (required), `country` or `region`, `locale`, `theme`,
/// `instance`.
///
/// # Errors
/// When `proxy` is missing.
#[wasm_bindgen]
pub fn mount(root: web_sys::HtmlElement, options: JsValue) -> Result<(), JsValue> {
    console_error_panic_hook::set_once();
    let proxy = option(&options, "proxy")
        .ok_or_else(|| JsValue::from_str("simology-esim: the proxy attribute is required"))?;
    let config = config_from(&options);
    let screen = Screen::initial(&config, &browser::location_hash(), browser::now_ms());
    // Leave the fragment for the page's other widgets this turn, then clean the address bar.
    if PaymentReturn::parse(&browser::location_hash()).is_some() {
        let clear = Closure::once_into_js(browser::clear_hash);
        if let Some(w) = web_sys::window() {
            let _ =
                w.set_timeout_with_callback_and_timeout_and_arguments_0(clear.unchecked_ref(), 0);
        }
    }
    let services = Services {
        backend: Rc::new(backend::Http::new(&proxy)),
        navigate: Rc::new(browser::navigate),
        return_url: browser::page_url(),
        country_name: Rc::new(browser::country_name),
    };
    adopt_styles(&root);
    root.set_inner_html("");
    let handle = leptos::mount::mount_to(
        root,
        move || view! { <Widget config=config services=services screen=screen /> },
    );
    // The widget lives as long as the page.
    handle.forget();
    Ok(())
}
