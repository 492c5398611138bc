//! What the widget needs from the browser: storage, navigation, randomness, timers,
//! localised names and times (`Intl`), the clipboard and the share sheet. Kept in one
//! place so components stay plain. All of it is the frame's own: its storage is the
//! proxy origin's, partitioned by the browser under the host page's site, and its
//! `fetch` is not the host page's.

use std::cell::RefCell;
use std::rc::Rc;

use simology_proxy_api::OrderRef;
use simology_widget_core::compat::Phone;
use simology_widget_core::format;
use simology_widget_core::i18n::{Category, Count, Lang};
use simology_widget_core::saved::{latest_unfinished, open_until, prune, SavedOrder};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const STORAGE_KEY: &str = "simology-esim.orders";
/// Beside the orders, per widget: until when it opens on an order (ms since the epoch;
/// `saved::open_until`). The frame's script reads only this, to choose the module.
const OPEN_KEY_PREFIX: &str = "simology-esim.open:";

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// A fresh intent id: 128 random bits from the browser's CSPRNG, in hex. (Empty on the
/// proxy, which renders a checkout but never buys.)
pub fn new_intent_id() -> String {
    if cfg!(feature = "ssr") {
        return String::new();
    }
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        // No Web Crypto: fall back to Math.random, still unique enough for an intent.
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(1 + 2 * bytes.len());
    id.push('w');
    for b in bytes {
        id.push(char::from(HEX[usize::from(b >> 4)]));
        id.push(char::from(HEX[usize::from(b & 15)]));
    }
    id
}

/// The frame's localStorage. In a frame on another site, Chromium refuses it (it
/// throws), WebKit and Firefox give one partitioned under the host page's site.
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The orders remembered in this frame.
pub fn saved_orders() -> Vec<SavedOrder> {
    storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|text| crate::json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Remembers an order (or updates it), and until when its widget opens on it.
pub fn save_order(order: SavedOrder) {
    let instance = order.instance.clone();
    let mut all: Vec<SavedOrder> = saved_orders()
        .into_iter()
        .filter(|o| o.order_ref != order.order_ref)
        .collect();
    all.push(order);
    let now = now_ms();
    let all = prune(all, now);
    let Some(s) = storage() else { return };
    // A full or refused storage only loses the convenience of finding the order again
    // on reload; the proxy's cookie, where the browser keeps it, still leads back.
    if let Some(text) = crate::json::to_string(&all) {
        let _ = s.set_item(STORAGE_KEY, &text);
    }
    let key = [OPEN_KEY_PREFIX, &instance].concat();
    let _ = match open_until(&all, &instance, now) {
        // A time in ms is far below 2^53: exact as a JavaScript number.
        Some(until) => match js_sys::Number::from(until as f64).to_string_with_radix(10) {
            Ok(text) => s.set_item(&key, &String::from(text)),
            Err(_) => s.remove_item(&key),
        },
        None => s.remove_item(&key),
    };
}

/// Marks a remembered order as finished.
pub fn mark_done(order_ref: &OrderRef) {
    if let Some(mut o) = saved_orders()
        .into_iter()
        .find(|o| o.order_ref == *order_ref)
    {
        if !o.done {
            o.done = true;
            save_order(o);
        }
    }
}

/// The latest unfinished order the widget `instance` remembers.
pub fn latest_order(instance: &str) -> Option<SavedOrder> {
    latest_unfinished(&saved_orders(), instance, now_ms()).cloned()
}

/// Whether this frame can find an order again after the payment page: its storage
/// works, or the browser keeps a partitioned cookie of the frame's (the proxy sets
/// one with the order's reference, which not even the frame's scripts can read; a
/// probe set here tells whether such cookies are kept at all).
pub fn can_remember() -> bool {
    let stored = storage().is_some_and(|s| {
        s.set_item("simology-esim.probe", "1").is_ok()
            && s.remove_item("simology-esim.probe").is_ok()
    });
    stored || cookies_kept()
}

fn cookies_kept() -> bool {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return false;
    };
    let Ok(html) = document.dyn_into::<web_sys::HtmlDocument>() else {
        return false;
    };
    let probe = "simology_probe=1; Path=/; Max-Age=60; Secure; SameSite=None; Partitioned";
    if html.set_cookie(probe).is_err() {
        return false;
    }
    let kept = html.cookie().is_ok_and(|c| c.contains("simology_probe=1"));
    let _ =
        html.set_cookie("simology_probe=; Path=/; Max-Age=0; Secure; SameSite=None; Partitioned");
    kept
}

/// Hands `body` to the browser to send to `url` as `text/plain` (`navigator.sendBeacon`:
/// it goes even if the page is leaving, and nothing waits for an answer). Whether the
/// browser took it.
pub fn send_beacon(url: &str, body: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.navigator().send_beacon_with_opt_str(url, Some(body)).ok())
        .unwrap_or(false)
}

/// Sends the top window (the host page) to the payment page; whether the browser let
/// it go. From a frame of another site, browsers allow this only in the wake of the
/// traveller's own action (the Pay press); otherwise the widget offers a link.
pub fn navigate(url: &str) -> bool {
    let Some(w) = web_sys::window() else {
        return false;
    };
    match w.top() {
        Ok(Some(top)) => top.location().set_href(url).is_ok(),
        _ => w.location().assign(url).is_ok(),
    }
}

/// Opens `url` in a new tab (the payment page, when the frame cannot remember the
/// order across a navigation: it then follows the order where it is); whether a tab
/// opened.
pub fn open_tab(url: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.open_with_url_and_target(url, "_blank").ok().flatten())
        .is_some()
}

/// Where the frame remembers which phone a widget's purchase is for.
const PHONE_KEY_PREFIX: &str = "simology-esim.phone:";

/// Remembers which phone the eSIM that widget `instance` is selling is for (another
/// phone, or a computer's choice; none: the phone in hand), so that the ready view,
/// after the payment page, shows that phone's steps: in the frame's storage, and where
/// a browser refuses a frame of another site its storage (Chromium), in a partitioned
/// cookie of the frame's (the proxy, which receives it with `/embed`, ignores it).
/// Where neither is kept, the ready view shows both platforms' steps.
pub fn remember_phone(instance: &str, phone: Option<Phone>) {
    let key = [PHONE_KEY_PREFIX, instance].concat();
    if let Some(s) = storage() {
        let _ = match phone {
            Some(p) => s.set_item(&key, p.code()),
            None => s.remove_item(&key),
        };
    }
    if let Some(html) = html_document() {
        let cookie = match phone {
            Some(p) => format!(
                "{PHONE_COOKIE_PREFIX}{instance}={}; Path=/embed; Max-Age=86400; Secure; SameSite=None; Partitioned",
                p.code()
            ),
            None => format!(
                "{PHONE_COOKIE_PREFIX}{instance}=; Path=/embed; Max-Age=0; Secure; SameSite=None; Partitioned"
            ),
        };
        let _ = html.set_cookie(&cookie);
    }
}

/// The phone widget `instance`'s purchase is for, as [`remember_phone`] left it.
pub fn remembered_phone(instance: &str) -> Option<Phone> {
    let key = [PHONE_KEY_PREFIX, instance].concat();
    let stored = storage()
        .and_then(|s| s.get_item(&key).ok().flatten())
        .and_then(|code| Phone::from_code(&code));
    stored.or_else(|| {
        let cookies = html_document()?.cookie().ok()?;
        let name = [PHONE_COOKIE_PREFIX, instance, "="].concat();
        cookies
            .split(';')
            .find_map(|c| c.trim().strip_prefix(name.as_str()))
            .and_then(Phone::from_code)
    })
}

/// The cookie by which a frame without storage remembers the phone (see
/// [`remember_phone`]).
const PHONE_COOKIE_PREFIX: &str = "simology_phone_";

fn html_document() -> Option<web_sys::HtmlDocument> {
    web_sys::window()?.document()?.dyn_into().ok()
}

/// The user agent string (none on the proxy, which renders no device's words).
pub fn user_agent() -> String {
    if cfg!(feature = "ssr") {
        return String::new();
    }
    web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .unwrap_or_default()
}

/// Whether the browser says it is online.
pub fn online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Folds text for search like `simology_widget_core::search::fold`, but with the
/// browser's Unicode normalisation and case mapping, so the wasm carries no Unicode
/// tables: decompose, drop combining marks, lowercase, expand the letters that do not
/// decompose, and turn punctuation into spaces.
pub fn fold(text: &str) -> String {
    // On the proxy (the frame's first screen), the widget's own tables.
    if cfg!(feature = "ssr") {
        return simology_widget_core::search::fold(text);
    }
    let marks = js_sys::RegExp::new("[\\u0300-\\u036f]", "g");
    let plain: String = js_sys::JsString::from(text)
        .normalize("NFD")
        .to_lower_case()
        .replace_by_pattern(&marks, "")
        .into();
    let mut out = String::with_capacity(plain.len());
    for c in plain.chars() {
        match c {
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'ø' => out.push('o'),
            'ł' => out.push('l'),
            'đ' | 'ð' => out.push('d'),
            'þ' => out.push_str("th"),
            'ı' => out.push('i'),
            '\'' | '’' => {}
            c if c.is_ascii_alphanumeric() || (!c.is_ascii() && !c.is_whitespace()) => out.push(c),
            _ => out.push(' '),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `new Intl[ctor](lang, options)[method](...args)` as text; `None` where the browser
/// lacks it. The browser's `Intl` speaks every language, so the wasm carries no tables.
fn intl(
    ctor: &str,
    lang: Lang,
    options: &[(&str, &str)],
    method: &str,
    args: &js_sys::Array,
) -> Option<String> {
    let intl = js_sys::Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    let ctor: js_sys::Function = js_sys::Reflect::get(&intl, &ctor.into())
        .ok()?
        .dyn_into()
        .ok()?;
    let opts = js_sys::Object::new();
    for (key, value) in options {
        js_sys::Reflect::set(&opts, &(*key).into(), &(*value).into()).ok()?;
    }
    let formatter =
        js_sys::Reflect::construct(&ctor, &js_sys::Array::of2(&lang.tag().into(), &opts)).ok()?;
    let f: js_sys::Function = js_sys::Reflect::get(&formatter, &method.into())
        .ok()?
        .dyn_into()
        .ok()?;
    js_sys::Reflect::apply(&f, &formatter, args)
        .ok()?
        .as_string()
}

/// The fragment of a frame's address that says the traveller moved to its screen from
/// another document of the frame (the status module's "Choose a plan" reloads the frame
/// on the picker): the screen's heading then takes the focus, as without the reload.
pub const MOVED_MARK: &str = "moved";

/// Whether this document's address carries [`MOVED_MARK`]; the mark is taken off the
/// address, so a reload of the frame is a page load again.
pub fn take_moved_mark() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let location = window.location();
    if location.hash().ok().as_deref() != Some(&format!("#{MOVED_MARK}")) {
        return false;
    }
    if let (Ok(href), Ok(history)) = (location.href(), window.history()) {
        let bare = href.split('#').next().unwrap_or_default().to_owned();
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&bare));
    }
    true
}

/// The plural category of a count in a language, from `Intl.PluralRules` (given the
/// fraction digits it is written with: `1,5 Go` is `one` in French, `1.5 GB` `other` in
/// English); `many` takes the `other` form. `None` where the browser lacks it.
pub fn plural_category(lang: Lang, n: Count) -> Option<Category> {
    let digits = n.digits.to_string();
    let category = intl(
        "PluralRules",
        lang,
        &[("minimumFractionDigits", &digits)],
        "select",
        &js_sys::Array::of1(&n.value().into()),
    )?;
    Some(match category.as_str() {
        "one" => Category::One,
        _ => Category::Other,
    })
}

/// A country's name in a language, from `Intl.DisplayNames`.
pub fn country_name(lang: Lang, code: &str) -> Option<String> {
    let name = intl(
        "DisplayNames",
        lang,
        &[("type", "region")],
        "of",
        &js_sys::Array::of1(&code.into()),
    )?;
    (name != code).then_some(name)
}

/// The calendar date (in UTC, as the proxy gives validity) of an RFC 3339 time, in the
/// language's style (`9 févr. 2025`, `Feb 9, 2025`), from `Intl.DateTimeFormat`; `None`
/// for a malformed time or where the browser lacks it.
pub fn date(rfc3339: &str, lang: Lang) -> Option<String> {
    let time = js_sys::Date::parse(rfc3339);
    if time.is_nan() {
        return None;
    }
    intl(
        "DateTimeFormat",
        lang,
        &[
            ("day", "numeric"),
            ("month", "short"),
            ("year", "numeric"),
            ("timeZone", "UTC"),
        ],
        "format",
        &js_sys::Array::of1(&time.into()),
    )
}

/// How long ago an RFC 3339 time was, in the language (`il y a 3 minutes`, `vor 2
/// Stunden`, `yesterday`), from `Intl.RelativeTimeFormat`; the time of day where the
/// browser lacks it.
pub fn ago(rfc3339: &str, lang: Lang) -> String {
    let then = js_sys::Date::parse(rfc3339);
    let (n, unit) = format::ago((js_sys::Date::now() - then) as i64);
    intl(
        "RelativeTimeFormat",
        lang,
        &[("numeric", "auto")],
        "format",
        &js_sys::Array::of2(&(n as f64).into(), &unit.into()),
    )
    .unwrap_or_else(|| {
        js_sys::Date::new(&rfc3339.into())
            .to_locale_time_string(lang.tag())
            .as_string()
            .unwrap_or_default()
    })
}

/// Copies text to the clipboard; whether it was copied (there is no clipboard outside
/// a secure context, or when the page denies it).
pub async fn copy(text: &str) -> bool {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return false;
    };
    let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into()).unwrap_or_default();
    if clipboard.is_undefined() || clipboard.is_null() {
        return false;
    }
    let promise = clipboard
        .unchecked_into::<web_sys::Clipboard>()
        .write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

fn share_function() -> Option<(web_sys::Navigator, js_sys::Function)> {
    let navigator = web_sys::window()?.navigator();
    let share = js_sys::Reflect::get(&navigator, &"share".into())
        .ok()?
        .dyn_into()
        .ok()?;
    Some((navigator, share))
}

/// Whether the browser can share (the Web Share API: phones, some computers).
pub fn can_share() -> bool {
    share_function().is_some()
}

/// Opens the device's share sheet with a title and text; whether it was shared.
pub async fn share(title: &str, text: &str) -> bool {
    let Some((navigator, share)) = share_function() else {
        return false;
    };
    let data = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&data, &"title".into(), &title.into());
    let _ = js_sys::Reflect::set(&data, &"text".into(), &text.into());
    let Ok(promise) = share.call1(&navigator, &data) else {
        return false;
    };
    match promise.dyn_into::<js_sys::Promise>() {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(p).await.is_ok(),
        Err(_) => false,
    }
}

/// A `data:` URL of an SVG document, for a download link.
pub fn svg_data_url(svg: &str) -> String {
    let encoded: String = js_sys::encode_uri_component(svg).into();
    format!("data:image/svg+xml;charset=utf-8,{encoded}")
}

/// A sleep that can be cut short: `wake()` ends the current sleep at once (when the
/// browser comes back online or the tab becomes visible again).
#[derive(Clone, Default)]
pub struct Waker {
    resolve: Rc<RefCell<Option<js_sys::Function>>>,
}

impl Waker {
    /// Sleeps `ms` milliseconds or until woken.
    pub async fn sleep(&self, ms: u32) {
        let resolve = Rc::clone(&self.resolve);
        let promise = js_sys::Promise::new(&mut |res, _rej| {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                    &res,
                    i32::try_from(ms).unwrap_or(i32::MAX),
                );
            }
            *resolve.borrow_mut() = Some(res);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        self.resolve.borrow_mut().take();
    }

    /// Ends the current sleep, if any.
    pub fn wake(&self) {
        if let Some(f) = self.resolve.borrow_mut().take() {
            let _ = f.call0(&JsValue::NULL);
        }
    }
}

/// Calls `f` whenever the browser comes back online or the page becomes visible.
/// Returns the listeners, which stop when dropped.
pub fn on_resume(f: impl Fn() + 'static) -> Option<Resume> {
    let window = web_sys::window()?;
    let document = window.document()?;
    let f = Rc::new(f);
    let online = {
        let f = Rc::clone(&f);
        Closure::<dyn Fn()>::new(move || f())
    };
    let visible = {
        let f = Rc::clone(&f);
        let doc = document.clone();
        Closure::<dyn Fn()>::new(move || {
            if doc.visibility_state() == web_sys::VisibilityState::Visible {
                f();
            }
        })
    };
    window
        .add_event_listener_with_callback("online", online.as_ref().unchecked_ref())
        .ok()?;
    document
        .add_event_listener_with_callback("visibilitychange", visible.as_ref().unchecked_ref())
        .ok()?;
    Some(Resume {
        window,
        document,
        online,
        visible,
    })
}

/// Listeners installed by [`on_resume`].
pub struct Resume {
    window: web_sys::Window,
    document: web_sys::Document,
    online: Closure<dyn Fn()>,
    visible: Closure<dyn Fn()>,
}

impl Drop for Resume {
    fn drop(&mut self) {
        let _ = self
            .window
            .remove_event_listener_with_callback("online", self.online.as_ref().unchecked_ref());
        let _ = self.document.remove_event_listener_with_callback(
            "visibilitychange",
            self.visible.as_ref().unchecked_ref(),
        );
    }
}
