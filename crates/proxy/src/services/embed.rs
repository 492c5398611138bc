//! The widget's frame document (`GET /embed`): the widget, on this proxy's origin,
//! inside the partner's page.
//!
//! The host script makes one frame per `<simology-esim>` element and writes the
//! element's attributes, its theme properties and the page's address in the frame's
//! address. Here every value is checked; the widget's first screen is rendered with
//! the widget's own components (`simology_widget::ssr`), so its first plans are in the
//! HTML; and the document gets a CSP of its own: it may be framed only by the origins
//! allowed to embed the widget (an affiliate's element: by that affiliate's only),
//! scripts and wasm come from the widget's files (`PROXY_WIDGET_URL`, or this proxy),
//! and the widget talks to nobody but this proxy.
//!
//! For an affiliate, the document carries the affiliate and placement signed by this
//! proxy (`affiliates::Signed`): the browser shows the frame only on the affiliate's
//! sites, and checkouts and beacons are credited on that signature alone.
//!
//! The frame remembers its unfinished order across the payment page in two ways, as
//! browsers allow a frame on another site: its own storage (WebKit, Firefox), and a
//! partitioned, `HttpOnly` cookie that this proxy sets on the purchase's answer and
//! reads here (Chromium, Firefox). Neither is the host page's.
//!
//! Documents without an order are kept, rendered and compressed, per distinct request
//! (a bounded number, oldest out first), so serving one costs what serving a file does.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::io::Write as _;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};
use simology_proxy_api::{
    normalise_placement, CatalogResponse, CompatCheck, DestinationId, EmbedConfig, Instance,
    OrderRef, OrderState, ThemeVar,
};
use simology_widget_core::i18n::Lang;

use crate::affiliates::{unix_day, Signed};
use crate::clock::now_ms;
use crate::countries::local_name;
use crate::domain::{Origin, RefTag};
use crate::error::ApiError;
use crate::order::OrderKind;
use crate::state::SharedState;
use crate::widget::{csp_hash, WidgetFiles};

/// How many rendered documents are kept.
pub const KEPT_DOCUMENTS: usize = 512;

/// How long an unfinished order is opened on again: a day, as in the frame's storage
/// (`simology_widget_core::saved::OPEN_FOR_MS`).
const OPEN_FOR_MS: i64 = 24 * 3600 * 1000;

/// The query's parameters, as the host script writes them; each is checked on its own,
/// and anything else is ignored.
#[derive(Debug, Default, Clone)]
pub struct EmbedQuery {
    instance: Option<String>,
    country: Option<String>,
    region: Option<String>,
    locale: Option<String>,
    theme: Option<String>,
    affiliate: Option<String>,
    placement: Option<String>,
    poll_interval: Option<String>,
    compat_check: Option<String>,
    lang: Option<String>,
    ret: Option<String>,
    sku: Option<String>,
    travellers: Option<String>,
    css: Vec<(String, String)>,
}

/// The most query parameters read.
const MAX_PARAMS: usize = 48;

impl EmbedQuery {
    /// From the query's pairs (the first of each name counts).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> EmbedQuery {
        let mut q = EmbedQuery::default();
        for (name, value) in pairs.into_iter().take(MAX_PARAMS) {
            let value = value.trim().to_owned();
            if value.is_empty() || value.len() > 400 {
                continue;
            }
            let slot = match name.as_str() {
                "instance" => &mut q.instance,
                "country" => &mut q.country,
                "region" => &mut q.region,
                "locale" => &mut q.locale,
                "theme" => &mut q.theme,
                "affiliate" => &mut q.affiliate,
                "placement" => &mut q.placement,
                "poll-interval" => &mut q.poll_interval,
                "compat-check" => &mut q.compat_check,
                "lang" => &mut q.lang,
                "return" => &mut q.ret,
                "sku" => &mut q.sku,
                "travellers" => &mut q.travellers,
                other => {
                    if let Some(var) = other.strip_prefix("css-").and_then(ThemeVar::named) {
                        if !q.css.iter().any(|(n, _)| n == var.name) {
                            if let Some(checked) = var.check(&value) {
                                q.css.push((var.name.to_owned(), checked));
                            }
                        }
                    }
                    continue;
                }
            };
            if slot.is_none() {
                *slot = Some(value);
            }
        }
        q.css.sort();
        q
    }
}

/// A rendered document, ready to send in any encoding.
#[derive(Debug)]
pub struct Document {
    /// The HTML.
    pub html: Bytes,
    /// Brotli of it.
    pub br: Bytes,
    /// gzip of it.
    pub gzip: Bytes,
    /// Its `Content-Security-Policy`.
    pub csp: HeaderValue,
    /// Its `ETag`.
    pub etag: HeaderValue,
}

/// A document to send, with what the answer must say beside it.
pub struct Answer {
    /// The document.
    pub document: Arc<Document>,
    /// It shows an order: never stored by a cache.
    pub private: bool,
    /// A cookie to send (the frame's remembered order, forgotten).
    pub set_cookie: Option<HeaderValue>,
}

/// Documents by key, and their keys oldest first.
type Kept = (HashMap<String, Arc<Document>>, VecDeque<String>);

/// Rendered documents by request, oldest out first.
#[derive(Default)]
pub struct Documents {
    kept: Mutex<Kept>,
}

impl Documents {
    fn get(&self, key: &str) -> Option<Arc<Document>> {
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.0.get(key).cloned()
    }

    fn keep(&self, key: String, document: Arc<Document>) {
        let mut kept = self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (map, order) = &mut *kept;
        if map.insert(key.clone(), document).is_none() {
            order.push_back(key);
        }
        while order.len() > KEPT_DOCUMENTS {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.0.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The name of the cookie by which widget `instance`'s frame remembers its order.
fn cookie_name(instance: &Instance) -> String {
    format!("simology_o_{instance}")
}

/// The cookie a purchase's answer sets for the frame of widget `instance`: its order's
/// reference, for `/embed` only, readable by no script (`HttpOnly`), and partitioned
/// under the host page's site (CHIPS), so that only this frame on this site sends it.
/// A day, as the frame's storage keeps an unfinished order.
pub fn order_cookie(instance: &Instance, order_ref: &OrderRef) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{}={order_ref}; Path=/embed; Max-Age=86400; HttpOnly; Secure; SameSite=None; Partitioned",
        cookie_name(instance)
    ))
    .ok()
}

fn forget_cookie(instance: &Instance) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{}=; Path=/embed; Max-Age=0; HttpOnly; Secure; SameSite=None; Partitioned",
        cookie_name(instance)
    ))
    .ok()
}

/// The order a request's cookie names for widget `instance`.
fn remembered(headers: &HeaderMap, instance: &Instance) -> Option<OrderRef> {
    let name = cookie_name(instance);
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .and_then(|(_, v)| OrderRef::parse(v.trim()))
}

/// The languages the browser asks for (`Accept-Language`), in its order.
fn accepted_languages(headers: &HeaderMap) -> Vec<String> {
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .take(16)
                .filter_map(|t| t.split(';').next())
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The origin of the page the request came from (`Referer`), when the browser said.
fn referring_origin(headers: &HeaderMap) -> Option<String> {
    let text = headers.get(axum::http::header::REFERER)?.to_str().ok()?;
    let url = url::Url::parse(text).ok()?;
    Some(url.origin().ascii_serialization())
}

/// What a request resolves to, before rendering.
struct Resolved {
    config: EmbedConfig,
    lang: Lang,
    ancestors: Vec<Origin>,
    css: Vec<(String, String)>,
    catalog_tag: String,
    /// The catalogue's JSON, read into `config.catalog` only when a document is made.
    catalog_json: Option<Bytes>,
    set_cookie: Option<HeaderValue>,
}

/// Resolves the query against the affiliates, the remembered order and the
/// catalogue.
async fn resolve(
    state: &SharedState,
    headers: &HeaderMap,
    q: EmbedQuery,
) -> Result<Resolved, ApiError> {
    let instance = Instance::clean(q.instance.as_deref().unwrap_or_default());
    let destination = q
        .country
        .as_deref()
        .and_then(DestinationId::country)
        .or_else(|| q.region.as_deref().and_then(DestinationId::region));
    let languages = accepted_languages(headers);
    let lang = Lang::negotiate(
        q.locale.as_deref(),
        languages
            .iter()
            .map(String::as_str)
            .chain(q.lang.as_deref()),
    );
    let theme = q
        .theme
        .as_deref()
        .filter(|t| matches!(*t, "light" | "dark"))
        .unwrap_or("auto");
    let poll_interval_ms = q
        .poll_interval
        .as_deref()
        .and_then(|v| v.parse::<u32>().ok())
        .map(|ms| ms.clamp(500, 60_000));
    // Another value is ignored: the step stays required (the frame's checkout reports
    // it in the console, `simology_widget::components::compat`).
    let compat_check = q
        .compat_check
        .as_deref()
        .and_then(CompatCheck::parse)
        .unwrap_or_default();

    // An affiliate's element: framed only on its sites, and its sales signed for.
    let affiliates = state.affiliates.affiliates();
    let affiliate = q.affiliate.as_deref().and_then(|id| affiliates.get(id));
    if q.affiliate.is_some() && affiliate.is_none() {
        tracing::info!("a widget names an affiliate the file does not list: not attributed");
    }
    let ancestors: Vec<Origin> = match affiliate {
        Some(a) => a.origins.clone(),
        None => state.affiliates.allowed_origins().to_vec(),
    };
    let attribution = affiliate.and_then(|a| {
        // A browser names the page the frame is requested for (its origin, at least,
        // unless the page forbids it): it must be one of the affiliate's.
        let from_elsewhere = referring_origin(headers).is_some_and(|o| !a.has_origin(&o));
        if from_elsewhere {
            tracing::info!(affiliate = %a.id, "a frame for an affiliate requested from a page not its own: not attributed");
            return None;
        }
        let signed = Signed {
            affiliate: a.id.clone(),
            placement: q.placement.as_deref().and_then(normalise_placement),
        };
        Some(signed.token(unix_day(now_ms())))
    });

    // The order this frame remembers, from its cookie (where the browser keeps one).
    let back = q.ret.as_deref();
    let cancelled = back == Some("cancelled");
    let mut order = None;
    let mut sku = q.sku.filter(|s| {
        s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    });
    let mut travellers = q
        .travellers
        .and_then(|t| t.parse::<u32>().ok())
        .filter(|n| (1..=10).contains(n));
    let mut set_cookie = None;
    if let Some(order_ref) = remembered(headers, &instance) {
        let row = state.store.order(&order_ref).await?;
        let now = now_ms();
        match row {
            Some(row) if row.kind == OrderKind::Esim || row.kind == OrderKind::Topup => {
                let recent = now - row.created_at < OPEN_FOR_MS;
                let finished = matches!(
                    row.facts.state(),
                    OrderState::Ready
                        | OrderState::Failed
                        | OrderState::Expired
                        | OrderState::Refunded
                );
                if cancelled {
                    // Back from cancelling: its plan's checkout again, and the order
                    // forgotten.
                    if row.kind == OrderKind::Esim {
                        sku = Some(row.sku.as_str().to_owned());
                        travellers = Some(row.quantity).filter(|&n| n > 1);
                    }
                    set_cookie = forget_cookie(&instance);
                } else if recent && (back == Some("paid") || !finished) {
                    tracing::debug!(order_tag = %RefTag(&row.order_ref), "frame opens on its remembered order");
                    order = Some(row.order_ref);
                } else {
                    set_cookie = forget_cookie(&instance);
                }
            }
            _ => set_cookie = forget_cookie(&instance),
        }
    }

    // The destination's plans, as the picker shows them first.
    let mut catalog_json: Option<Bytes> = None;
    let mut catalog_tag = String::new();
    if let (Some(d), None) = (&destination, &order) {
        match state.catalog_snapshot().await {
            Ok(snapshot) => {
                if let Some(cached) = snapshot.catalog(d) {
                    catalog_json = Some(cached.body.clone());
                    catalog_tag = cached.etag.to_str().unwrap_or_default().to_owned();
                }
            }
            // The widget asks again itself, and says whose trouble it is.
            Err(e) => {
                tracing::info!(error = %e, "frame rendered without its plans: the catalogue is unavailable")
            }
        }
    }

    Ok(Resolved {
        config: EmbedConfig {
            instance: instance.as_str().to_owned(),
            lang: lang.tag().to_owned(),
            theme: theme.to_owned(),
            destination,
            sku,
            travellers,
            order,
            catalog: None,
            attribution,
            cancelled,
            poll_interval_ms,
            compat_check,
        },
        lang,
        ancestors,
        css: q.css,
        catalog_tag,
        catalog_json,
        set_cookie,
    })
}

/// The cache key of a resolved request without an order: everything the document is
/// made of.
fn key_of(r: &Resolved) -> String {
    let c = &r.config;
    let mut key = format!(
        "{}|{}|{}|{:?}|{:?}|{:?}|{}|{:?}|{:?}|{}|{}|",
        c.instance,
        c.lang,
        c.theme,
        c.destination.as_ref().map(|d| (d.kind, &d.code)),
        c.sku,
        c.travellers,
        c.cancelled,
        c.poll_interval_ms,
        c.attribution,
        r.catalog_tag,
        c.compat_check.as_str(),
    );
    for o in &r.ancestors {
        key.push_str(o.as_str());
        key.push(' ');
    }
    for (name, value) in &r.css {
        let _ = write!(key, "|{name}={value}");
    }
    key
}

/// `&`, `<`, `>` and quotes escaped, for an attribute or text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JSON for a `<script type="application/json">` block: nothing in it can end the block.
fn script_json(config: &EmbedConfig) -> Result<String, ApiError> {
    let json = serde_json::to_string(config).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026"))
}

fn theme_class(theme: &str) -> &'static str {
    match theme {
        "dark" => "sim-root theme-dark",
        "light" => "sim-root theme-light",
        _ => "sim-root theme-auto",
    }
}

/// The frame document's one inline script, allowed by its hash in the CSP: from the
/// document's start, before the frame's deferred script (`simology-esim-frame.js`)
/// and the wasm are in, it keeps the plan the traveller taps (`window.simologyFrame`,
/// which the frame's script then reads) and shows that plan's checkout as this proxy
/// rendered it (`template#sim-checkout-<sku>`, see [`simology_widget::ssr::checkouts`]),
/// its heading focused (as the wasm's checkout after a choice); "Back" there shows the plans again, and nothing is
/// submitted until the wasm takes the form over with what was typed in it. No
/// formatting, no rules: those are the widget's (Rust).
pub fn tap_script() -> &'static str {
    include_str!("tap.js").trim_end()
}

/// Renders the document of `r` with the widget's files.
fn render(files: &WidgetFiles, r: &Resolved) -> Result<Document, ApiError> {
    let mut config = r.config.clone();
    config.catalog = r
        .catalog_json
        .as_ref()
        .and_then(|json| serde_json::from_slice::<CatalogResponse>(json).ok());
    let config = &config;
    let t = r.lang.strings();
    let body = simology_widget::ssr::render(config, Rc::new(local_name));
    let mut checkouts = String::new();
    for (sku, html) in simology_widget::ssr::checkouts(config, Rc::new(local_name)) {
        let _ = write!(
            checkouts,
            "<template id=\"sim-checkout-{}\">{html}</template>",
            escape(&sku)
        );
    }
    let mut style = files.css.clone();
    if config.order.is_some() {
        style.push_str(&files.status_css);
    }
    if !r.css.is_empty() {
        style.push_str(":root{");
        for (name, value) in &r.css {
            let _ = write!(style, "--simology-{name}:{value};");
        }
        style.push('}');
    }
    // The module the frame's script loads first (`loader/frame.js` decides the same):
    // its wasm preloaded, its glue in the document.
    let module = if config.order.is_some() {
        &files.status
    } else if config.sku.is_some() || config.cancelled {
        &files.checkout
    } else {
        &files.picker
    };
    let mut html = String::with_capacity(body.len() + checkouts.len() + style.len() + 4096);
    let _ = write!(
        html,
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><script>{tap}</script><style>{style}</style>\
         <link rel=\"preload\" href=\"{wasm}\" as=\"fetch\" crossorigin>\
         <script src=\"{glue}\" integrity=\"{glue_integrity}\" crossorigin=\"anonymous\" defer></script>\
         <script src=\"{frame}\" integrity=\"{frame_integrity}\" crossorigin=\"anonymous\" defer></script>\
         </head><body><div id=\"sim\">{body}</div>{checkouts}\
         <template id=\"sim-failed\"><section class=\"{class}\" lang=\"{lang}\" aria-label=\"{title}\">\
         <div class=\"state error-state\" role=\"alert\"><p>{failed}</p></div></section></template>\
         <script type=\"application/json\" id=\"sim-config\">{json}</script></body></html>",
        lang = config.lang,
        title = escape(t.widget_label),
        tap = tap_script(),
        wasm = escape(&files.url(&module.wasm)),
        glue = escape(&files.url(&module.glue)),
        glue_integrity = escape(&module.glue_integrity),
        frame = escape(&files.url(crate::widget::FRAME_SCRIPT)),
        frame_integrity = escape(&files.frame_integrity),
        class = theme_class(&config.theme),
        failed = escape(t.shop_unavailable),
        json = script_json(config)?,
    );
    let connect = if files.source == "'self'" {
        "'self'".to_owned()
    } else {
        format!("'self' {}", files.source)
    };
    let mut ancestors = r
        .ancestors
        .iter()
        .map(Origin::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    if ancestors.is_empty() {
        ancestors = "'none'".into();
    }
    // The status module's stylesheet may come from the widget's files too (the frame's
    // script adds it when that module comes into a picker's frame).
    let csp = format!(
        "default-src 'none'; script-src {src} {tap} 'wasm-unsafe-eval'; style-src {style} {src}; \
         connect-src {connect}; img-src 'self' data: blob:; frame-ancestors {ancestors}; \
         base-uri 'none'; form-action 'none'",
        src = files.source,
        style = csp_hash(&style),
        tap = csp_hash(tap_script()),
    );
    let html = Bytes::from(html);
    let digest = Sha256::digest(&html);
    Ok(Document {
        br: compress_br(&html),
        gzip: compress_gzip(&html),
        etag: HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
            .map_err(|e| ApiError::Internal(e.into()))?,
        csp: HeaderValue::from_str(&csp).map_err(|e| ApiError::Internal(e.into()))?,
        html,
    })
}

/// Brotli at its best (11): a document is compressed once per rendering kept, and on a
/// phone's network every byte before the first plan counts.
fn compress_br(bytes: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(bytes.len() / 4);
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        let _ = w.write_all(bytes);
    }
    Bytes::from(out)
}

fn compress_gzip(bytes: &[u8]) -> Bytes {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = w.write_all(bytes);
    Bytes::from(w.finish().unwrap_or_default())
}

/// The frame document for `query`.
///
/// # Errors
/// `ServiceUnavailable`-like `Internal` when the proxy has no widget files; a store
/// failure reading the remembered order.
pub async fn document(
    state: &SharedState,
    headers: &HeaderMap,
    query: EmbedQuery,
) -> Result<Answer, ApiError> {
    let files = state.widget.as_ref().ok_or(ApiError::WidgetUnavailable)?;
    let resolved = resolve(state, headers, query).await?;
    let set_cookie = resolved.set_cookie.clone();
    if resolved.config.order.is_some() {
        return Ok(Answer {
            document: Arc::new(render(files, &resolved)?),
            private: true,
            set_cookie,
        });
    }
    let key = key_of(&resolved);
    let document = match state.documents.get(&key) {
        Some(d) => d,
        None => {
            let d = Arc::new(render(files, &resolved)?);
            state.documents.keep(key, Arc::clone(&d));
            d
        }
    };
    Ok(Answer {
        document,
        private: false,
        set_cookie,
    })
}
