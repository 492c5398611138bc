//! The checkout's "Is your phone ready for an eSIM?" step, under Pay (the element's
//! `compat-check`: `required`, the default, `advisory` or `off`). It says what the
//! browser tells of the device (its platform and system version, never its model: iOS
//! before 12.1 and Android before 9 cannot take an eSIM); on a computer, or for
//! another phone, it asks which phone the eSIM is for, and the frame remembers the
//! answer for the ready view after the payment page; behind "How to check": dialling
//! `*#06#` (a line labelled EID means an eSIM), the carrier unlock, the regional
//! exceptions, and a search of the short list of eSIM-capable models, loaded from the
//! proxy when the checkout opens (never with the picker), with its sources. Required,
//! Pay works once "My phone supports eSIM and is unlocked" is ticked; pressed before,
//! it says why and moves the focus to the box.
//!
//! The step is drawn in the browser only, once it knows the device: the proxy's
//! rendering of each plan's checkout (in the frame's document, before the first plan)
//! has none, and its Pay, `aria-disabled`, buys nothing before the wasm is in anyway.
//! Under Pay, it moves nothing above it when it appears.

use leptos::prelude::*;
use simology_proxy_api::CompatCheck;
use simology_widget_core::compat::{self, Device, Devices, Exception, Phone};
use simology_widget_core::install::safe_href;

use crate::browser;
use crate::context::ctx;
use crate::load::{load, Loaded};
use crate::purchase::Purchase;

/// The step's rules, added to the frame's stylesheet when the step is first drawn
/// ([`add_style`]): that stylesheet is inline in the frame's document, whose every byte
/// comes before the first plan, and the step is drawn in the browser only. Compact
/// (its help behind a disclosure), under Pay.
const STYLE: [&str; 6] = [
    ".compat{min-width:0;margin:8px 0 0;padding:4px 12px;border:1px solid var(--_border);border-radius:var(--_radius)}",
    ".compat fieldset{margin:0;padding:0;border:0}",
    ".compat label{display:flex;align-items:center;gap:8px;min-height:44px}",
    ".compat summary{cursor:pointer;color:var(--_accent);padding:10px 0}",
    ".compat details p,.compat .field{margin-top:6px}",
    ".sim-root .compat-found{padding-inline-start:20px;list-style:disc}",
];

thread_local! {
    /// [`STYLE`] is in this document's stylesheet.
    static STYLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// An unknown `compat-check` was reported in the console.
    static REPORTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Reports in the console, once, a `compat-check` in the frame's address that is none
/// of its values (the host script passes the element's as it is, and the proxy ignores
/// it: the step stays required). Here, with the checkout, not in the host script,
/// whose bytes all come before the first plan.
fn report_unknown_check() {
    if REPORTED.with(|r| r.get()) {
        return;
    }
    let value = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok())
        .and_then(|params| params.get("compat-check"));
    if value.is_some_and(|v| CompatCheck::parse(&v).is_none()) {
        REPORTED.with(|r| r.set(true));
        leptos::logging::error!("simology-esim: compat-check must be required, advisory or off");
    }
}

/// Adds [`STYLE`] at the end of the document's first stylesheet (the frame's inline
/// one: CSP restricts stylesheets, not changes to them through the CSSOM), once per
/// document. A document without a stylesheet of its own (a test's) is left as it is.
fn add_style() {
    use wasm_bindgen::{JsCast, JsValue};
    if STYLED.with(|s| s.replace(true)) {
        return;
    }
    let get = |of: &JsValue, key: JsValue| js_sys::Reflect::get(of, &key).ok();
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(sheet) = get(&document, "styleSheets".into())
        .and_then(|sheets| get(&sheets, 0.into()))
        .and_then(|sheet| sheet.dyn_into::<web_sys::CssStyleSheet>().ok())
    else {
        return;
    };
    let rules = get(&sheet, "cssRules".into())
        .and_then(|rules| get(&rules, "length".into()))
        .and_then(|length| length.as_f64())
        .unwrap_or_default() as u32;
    for (i, rule) in (rules..).zip(STYLE) {
        let _ = sheet.insert_rule_with_index(rule, i);
    }
}

/// The exceptions said whatever the search: the two that most often make a refund.
const ALWAYS_SAID: [Exception; 2] = [Exception::IphoneChina, Exception::SamsungRegional];

/// The step, for the checkout whose purchase it gates (nothing with `compat-check="off"`).
#[component]
pub fn Compat(
    /// The checkout's purchase: with `required`, it refuses to buy until confirmed.
    purchase: Purchase,
) -> impl IntoView {
    let ctx = ctx();
    let check = ctx.compat_check;
    if check == CompatCheck::Off {
        return ().into_any();
    }
    let lang = ctx.lang;
    let w = compat::words(lang);
    let required = check == CompatCheck::Required;
    if required {
        purchase.unconfirmed.set(Some(w.confirm_first));
    }
    // The device is known in the browser only: the proxy's rendering (and the wasm's
    // first render, which must be the same) names none.
    let device: RwSignal<Option<Device>> = RwSignal::new(None);
    let for_other = RwSignal::new(false);
    let phone: RwSignal<Option<Phone>> = RwSignal::new(None);
    let confirmed = RwSignal::new(false);
    let instance = StoredValue::new(ctx.instance.get_value());
    Effect::new(move |_| {
        add_style();
        report_unknown_check();
        device.set(Some(compat::device(&browser::user_agent())));
        // A new checkout: no choice yet (the phone in hand, or both platforms' steps).
        instance.with_value(|i| browser::remember_phone(i, None));
    });
    let devices: Loaded<Devices> = load(ctx.backend().devices());
    let query = RwSignal::new(String::new());
    // Which phone the eSIM is for is asked on a computer, or for another phone.
    let asks_phone =
        move || device.with(|d| matches!(d, Some(Device::Computer))) || for_other.get();
    let choose = move |p: Option<Phone>| {
        phone.set(p);
        instance.with_value(|i| browser::remember_phone(i, p));
    };
    let search_id = StoredValue::new(ctx.id("compat-search"));
    let phone_name = StoredValue::new(ctx.id("compat-phone"));
    let confirm_error_id = StoredValue::new(ctx.id("compat-confirm-error"));

    let device_line = move || {
        device
            .get()
            .map(|d| view! { <p class="compat-device">{d.said(lang)}</p> })
    };
    let other_box = move || {
        device.get().and_then(|d| d.phone()).map(|_| {
            view! {
                <label>
                    <input
                        type="checkbox"
                        class="compat-other"
                        prop:checked=move || for_other.get()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            for_other.set(on);
                            if !on {
                                choose(None);
                            }
                        }
                    />
                    " " {w.other_phone}
                </label>
            }
        })
    };
    let phone_choice = move || {
        asks_phone().then(|| {
            let radio = move |p: Phone, label: &'static str| {
                view! {
                    <label>
                        <input
                            type="radio"
                            name=phone_name.get_value()
                            value=p.code()
                            prop:checked=move || phone.get() == Some(p)
                            on:change=move |_| choose(Some(p))
                        />
                        " " {label}
                    </label>
                }
            };
            view! {
                <fieldset class="compat-phone">
                    <legend>{w.which_phone}</legend>
                    {radio(Phone::Iphone, w.iphone)}
                    {radio(Phone::Android, w.android)}
                </fieldset>
            }
        })
    };
    // Flagged once Pay was pressed without it, until ticked; said by it then.
    let refused = move || purchase.refused.get() && !confirmed.get();
    // Pay pressed before the step was drawn (the frame's script presses it again when
    // the wasm takes over a checkout the proxy drew): the box takes the focus once it
    // is there.
    Effect::new(move |_| {
        if let Some(input) = purchase.confirm_box.get() {
            if untrack(refused) {
                let _ = input.focus();
            }
        }
    });
    let confirm_box = move || {
        required.then(|| {
            view! {
                <label class="compat-confirm-label">
                    <input
                        type="checkbox"
                        class="compat-confirm"
                        node_ref=purchase.confirm_box
                        aria-invalid=move || refused().to_string()
                        aria-describedby=confirm_error_id.get_value()
                        prop:checked=move || confirmed.get()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            confirmed.set(on);
                            purchase.unconfirmed.set((!on).then_some(w.confirm_first));
                            if on {
                                purchase.refused.set(false);
                            }
                        }
                    />
                    " " {w.confirm}
                </label>
                <p id=confirm_error_id.get_value() class="field-error">
                    {move || refused().then_some(w.confirm_first)}
                </p>
            }
        })
    };
    let found = move || {
        let q = query.get();
        devices.with(|loaded| match loaded {
            None => view! { <p class="hint" role="status">{w.list_loading}</p> }.into_any(),
            Some(Err(_)) => view! { <p class="hint" role="status">{w.list_failed}</p> }.into_any(),
            Some(Ok(list)) => {
                if q.trim().is_empty() {
                    return view! { <p class="hint" role="status"></p> }.into_any();
                }
                let hits = list.search(&q);
                if hits.is_empty() {
                    return view! { <p class="hint" role="status">{w.search_none}</p> }.into_any();
                }
                let mut exceptions: Vec<Exception> = Vec::new();
                for hit in &hits {
                    for e in hit.brand.exceptions() {
                        if !ALWAYS_SAID.contains(&e) && !exceptions.contains(&e) {
                            exceptions.push(e);
                        }
                    }
                }
                let names: Vec<String> = hits.iter().map(|h| h.name()).collect();
                view! {
                    <p class="hint" role="status">{w.matches}</p>
                    <ul class="compat-found">
                        {names.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                    </ul>
                    {exceptions.into_iter().map(|e| view! { <p class="hint">{e.said(lang)}</p> }).collect_view()}
                }
                .into_any()
            }
        })
    };
    let sources = move || {
        devices.with(|loaded| {
            let Some(Ok(list)) = loaded else {
                return None;
            };
            let links: Vec<(String, String)> = list
                .sources
                .iter()
                .filter_map(|s| safe_href(&s.url).map(|u| (s.name.clone(), u.to_owned())))
                .collect();
            Some(view! {
                <p class="hint compat-sources">
                    {w.sources} " "
                    {links.into_iter().enumerate().map(|(i, (name, url))| view! {
                        {(i > 0).then_some(" · ")}
                        <a href=url target="_blank" rel="noopener noreferrer">{name}</a>
                    }).collect_view()}
                </p>
            })
        })
    };

    // Drawn once opened.
    let help_open = RwSignal::new(false);
    let help = move || {
        help_open.get().then(|| {
            let search_id = search_id.get_value();
            view! {
                <p>{w.eid}</p>
                <p>{w.unlocked}</p>
                {ALWAYS_SAID.into_iter().map(|e| view! { <p class="hint">{e.said(lang)}</p> }).collect_view()}
                <label for=search_id.clone() class="field-label">{w.search_label}</label>
                <input
                    id=search_id
                    class="field compat-search"
                    type="search"
                    autocomplete="off"
                    prop:value=move || query.get_untracked()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
                {found}
                {sources}
            }
        })
    };

    // Nothing until the device is known: the proxy's rendering has no step (its
    // bytes come before the first plan), nor has the wasm's first render, the same.
    let step = move || {
        device.with(Option::is_some).then(|| {
            view! {
                <fieldset class="compat">
                    <legend class="compat-title">{w.title}</legend>
                    {device_line}
                    {other_box}
                    {phone_choice}
                    {confirm_box}
                    <details class="compat-help">
                        <summary on:click=move |_| help_open.update(|open| *open = !*open)>{w.how_title}</summary>
                        {help}
                    </details>
                </fieldset>
            }
        })
    };
    step.into_any()
}
