//! # simology-widget
//!
//! The embeddable eSIM storefront: a Leptos widget that lives in a frame of its own,
//! served by the partner proxy (`GET /embed`), so that no script of the host page can
//! read an order, an activation code or an email. It talks only to the proxy that
//! served it (same origin), through the types of `simology-proxy-api`.
//!
//! The same components render in two places, by the crate's features:
//! - `ssr`: on the proxy, the frame's first screen, so the first plans are in the
//!   frame's HTML ([`ssr::render`]);
//! - `csr`: in the frame, where the wasm renders the same screen from the same data
//!   and takes the proxy's rendering's place ([`mount`]), and in the browser tests.
//!
//! (Taking the rendering over in place, Leptos's hydration, made the picker module
//! 19.9 KB of brotli larger: more than the frame's whole first screen weighs. The
//! first render is identical, so the swap shows nothing.)
//!
//! `picker`, `checkout` (the picker and the checkout) and `status` choose the screens a
//! build holds (see [`loader`]); the default has all. Build with `cargo xtask dist`; see docs/embedding.md.

#[cfg(not(any(feature = "picker", feature = "status")))]
compile_error!("build the widget with the feature picker, checkout, status, or all (the default)");

pub mod attribution;
pub mod backend;
pub mod browser;
pub mod components;
pub mod context;
pub mod frame;
pub mod json;
pub mod load;
pub mod loader;

#[cfg(feature = "status")]
pub mod polling;
pub mod purchase;
#[cfg(feature = "ssr")]
pub mod ssr;

#[cfg(feature = "csr")]
use std::rc::Rc;

use leptos::prelude::*;
use simology_proxy_api::{EmbedConfig, Instance};
use simology_widget_core::i18n::Lang;
#[cfg(feature = "csr")]
use wasm_bindgen::prelude::*;

use crate::components::app::Widget;
use crate::context::{Config, Screen, Services};

/// The widget's configuration from what the proxy's frame document says
/// ([`EmbedConfig`]: the proxy checked every attribute of the element) and the host
/// page's path (for an affiliate's reports).
pub fn config_from(embed: &EmbedConfig, page_path: &str) -> Config {
    Config {
        destination: embed.destination.clone(),
        lang: Lang::negotiate(Some(&embed.lang), std::iter::empty()),
        theme: embed.theme.clone(),
        instance: Instance::clean(&embed.instance).as_str().to_owned(),
        poll_interval_ms: embed.poll_interval_ms.map(|ms| ms.clamp(500, 60_000)),
        attribution: embed
            .attribution
            .as_deref()
            .map(|token| attribution::Attribution::signed(token, page_path)),
        compat_check: embed.compat_check,
    }
}

/// The screen the proxy rendered: an order it found remembered, else the picker on
/// the element's destination, on a plan's checkout after a cancelled payment.
pub fn rendered_screen(embed: &EmbedConfig) -> Screen {
    match &embed.order {
        Some(order_ref) => Screen::Order(order_ref.clone()),
        None => Screen::Picker {
            destination: embed.destination.clone(),
            sku: embed.sku.clone(),
            travellers: embed.travellers,
        },
    }
}

/// The whole widget, as the proxy renders it and the frame renders it again: the same
/// function on both sides, so the two cannot differ. `tapped`: the screen is the
/// checkout of a plan tapped on the proxy's rendering; `email`: what the traveller typed
/// in that checkout as the proxy rendered it, before the wasm was in.
pub fn app(
    config: Config,
    services: Services,
    screen: Screen,
    embed: &EmbedConfig,
    tapped: bool,
    email: Option<String>,
) -> impl IntoView {
    let primed = embed.catalog.clone().zip(embed.destination.clone());
    view! { <Widget config=config services=services screen=screen primed=primed tapped=tapped email=email /> }
}

/// The browser's side of the frame: its document's configuration and the services
/// over the browser (the proxy at the frame's own origin, the top window's navigation,
/// `Intl` for names).
#[cfg(feature = "csr")]
fn in_frame(config_json: &str) -> Result<(EmbedConfig, Config, Services), JsValue> {
    std::panic::set_hook(Box::new(report_panic));
    let embed: EmbedConfig = json::from_str(config_json)
        .map_err(|_| JsValue::from_str("simology-esim: the frame's configuration is unreadable"))?;
    let host = frame::Host::from_location();
    let mut config = config_from(&embed, &host.page_path());
    // The click id goes only with the affiliate the proxy signed for this frame.
    config.attribution = config.attribution.map(|a| a.with_click_id(host.click_id()));
    let services = Services {
        backend: Rc::new(backend::Http::new("")),
        navigate: Rc::new(browser::navigate),
        return_url: host.page_url(),
        country_name: Rc::new(browser::country_name),
        announce: Rc::new(move |event| host.announce(event)),
    };
    Ok((embed, config, services))
}

/// A bug's panic, reported in the console by where it happened (the message itself is
/// not formatted: the formatting machinery costs the frame's every visit a kilobyte).
#[cfg(feature = "csr")]
fn report_panic(info: &std::panic::PanicHookInfo<'_>) {
    let (file, line) = info.location().map_or(("", 0), |l| (l.file(), l.line()));
    web_sys::console::error_3(
        &"simology-esim: the widget stopped on a bug at".into(),
        &file.into(),
        &f64::from(line).into(),
    );
}

/// Renders the widget in `root` (the frame's `#sim`, which holds the proxy's rendering
/// of the first screen until now), given the frame document's configuration (its JSON
/// text): on `screen` when the picker module hands one over (see [`loader`]), else on
/// the screen the proxy rendered, or, in the status module, the order the frame
/// remembers. `tapped` is a plan the traveller chose on the proxy's rendering before
/// the wasm was in (its SKU): its checkout opens at once, with the `email` and the
/// number of `travellers` given in the proxy's rendering of that checkout, which the
/// frame showed meanwhile (see `loader/frame.js`).
///
/// # Errors
/// When the configuration is unreadable.
#[cfg(feature = "csr")]
#[wasm_bindgen]
pub fn mount(
    root: web_sys::HtmlElement,
    config_json: &str,
    screen: JsValue,
    tapped: Option<String>,
    email: Option<String>,
    travellers: Option<u32>,
) -> Result<(), JsValue> {
    let (embed, config, services) = in_frame(config_json)?;
    let (screen, tapped) = match loader::screen_from_js(&screen) {
        Some(handed) => (handed, false),
        None => loader::first_screen(&config, &embed, tapped, travellers),
    };
    // What was typed in the proxy's rendering of a checkout (a plan tapped before any
    // wasm, or chosen in the picker module and shown while the checkout's came).
    let email = email.filter(|e| !e.is_empty());
    // The proxy's rendering goes, and the widget's own takes its place in the same task
    // (the same, unless the traveller tapped a plan meanwhile): nothing is painted in
    // between.
    root.set_inner_html("");
    let handle = leptos::mount::mount_to(root, move || {
        app(config, services, screen, &embed, tapped, email)
    });
    // The widget lives as long as the frame.
    handle.forget();
    Ok(())
}
