//! The widget's only server: the partner proxy. A trait, so that browser tests can
//! render every screen from fixed data without a server.
//!
//! Each wasm module (see `loader.rs`) holds only the calls its screens make: a call of
//! the other module's screens is not there to be made, so its answer's decoder is not
//! in the module either (a trait object keeps every method it has).

use std::future::Future;
use std::pin::Pin;

use crate::json::{FromJson, ToJson};
use simology_proxy_api::{Beacon, CheckoutRequest, CheckoutResponse, ErrorBody, ErrorCode};
use wasm_bindgen::JsValue;

#[cfg(feature = "picker")]
use simology_proxy_api::{CatalogResponse, DestinationId, DestinationKind, DestinationsResponse};
#[cfg(feature = "status")]
use simology_proxy_api::{OrderDetail, OrderRef, TopupOffers, TopupRequest, UsageView};
#[cfg(feature = "checkout")]
use simology_widget_core::compat::Devices;

/// A boxed future that need not be `Send` (the browser is single-threaded).
pub type Fut<T> = Pin<Box<dyn Future<Output = T>>>;

/// Why a call failed, as the widget needs to know it.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// No answer: offline, DNS, CORS, the proxy down.
    Network,
    /// The proxy answered with an error envelope.
    Api {
        /// HTTP status.
        status: u16,
        /// The code to translate.
        code: ErrorCode,
        /// Seconds to wait, when given.
        retry_after: Option<u64>,
    },
}

impl Failure {
    /// The failure's code, as the host page's `simology:error` event names it.
    pub fn code_name(&self) -> &'static str {
        match self {
            Failure::Network => "network",
            Failure::Api { code, .. } => code.as_str(),
        }
    }

    /// The translated, traveller-facing message. A failure to reach the proxy is the
    /// traveller's network only when the browser says it is offline; otherwise the shop
    /// is unreachable, and an upstream outage is the provider's: never "check your
    /// connection" for someone else's outage.
    pub fn message(&self, t: &'static simology_widget_core::i18n::Strings) -> &'static str {
        match self {
            Failure::Network if !crate::browser::online() => t.err_offline,
            Failure::Network => t.err_network,
            // A gateway in front of the proxy answered for it.
            Failure::Api {
                status: 502..=504,
                code: ErrorCode::Unknown,
                ..
            } => t.err_network,
            Failure::Api { code, .. } => match code {
                ErrorCode::InvalidEmail => t.err_email,
                ErrorCode::SkuUnavailable => t.err_sold_out,
                ErrorCode::RateLimited => t.err_rate_limited,
                ErrorCode::UpstreamUnavailable => t.err_upstream,
                ErrorCode::NotFound => t.err_not_found,
                ErrorCode::Conflict => t.err_conflict,
                ErrorCode::QuantityUnavailable => t.err_quantity,
                _ => t.err_generic,
            },
        }
    }
}

/// Everything the widget asks the proxy.
pub trait Backend {
    /// `GET /api/destinations`.
    #[cfg(feature = "picker")]
    fn destinations(&self) -> Fut<Result<DestinationsResponse, Failure>>;
    /// `GET /api/catalog`.
    #[cfg(feature = "picker")]
    fn catalog(&self, destination: &DestinationId) -> Fut<Result<CatalogResponse, Failure>>;

    /// The phones that take an eSIM (the checkout's list, loaded when it opens).
    #[cfg(feature = "checkout")]
    fn devices(&self) -> Fut<Result<Devices, Failure>>;
    /// `POST /api/checkout`.
    fn checkout(&self, request: CheckoutRequest) -> Fut<Result<CheckoutResponse, Failure>>;
    /// `POST /api/beacons`, by `navigator.sendBeacon`: no answer is read (a lost beacon
    /// is a count less, never a failure the traveller sees).
    fn beacon(&self, beacon: &Beacon);
    /// `GET /api/orders/{ref}` (long-polls when `wait` > 0).
    #[cfg(feature = "status")]
    fn order(
        &self,
        order_ref: &OrderRef,
        wait: u64,
        version: Option<i64>,
    ) -> Fut<Result<OrderDetail, Failure>>;
    /// `GET /api/orders/{ref}/lines/{iccid}/usage`, or `GET /api/orders/{ref}/usage`
    /// (the order's one eSIM) without a line.
    #[cfg(feature = "status")]
    fn usage(&self, order_ref: &OrderRef, line: Option<&str>) -> Fut<Result<UsageView, Failure>>;
    /// `GET /api/orders/{ref}/lines/{iccid}/topups`, or `GET /api/orders/{ref}/topups`
    /// without a line.
    #[cfg(feature = "status")]
    fn topup_offers(
        &self,
        order_ref: &OrderRef,
        line: Option<&str>,
    ) -> Fut<Result<TopupOffers, Failure>>;
    /// `POST /api/orders/{ref}/lines/{iccid}/topups`, or `POST /api/orders/{ref}/topups`
    /// without a line.
    #[cfg(feature = "status")]
    fn buy_topup(
        &self,
        order_ref: &OrderRef,
        line: Option<&str>,
        request: TopupRequest,
    ) -> Fut<Result<CheckoutResponse, Failure>>;
}

/// The proxy over HTTP.
pub struct Http {
    base: String,
}

impl Http {
    /// A client of the proxy at `base` (no trailing slash needed).
    pub fn new(base: &str) -> Self {
        Http {
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    fn get<T: FromJson + 'static>(&self, path: String) -> Fut<Result<T, Failure>> {
        let url = format!("{}{path}", self.base);
        Box::pin(async move { decode(exchange(url, None).await?) })
    }

    fn post<B: ToJson, T: FromJson + 'static>(
        &self,
        path: String,
        body: &B,
    ) -> Fut<Result<T, Failure>> {
        let url = format!("{}{path}", self.base);
        let body = crate::json::to_string(body);
        Box::pin(async move { decode(exchange(url, Some(body.ok_or(Failure::Network)?)).await?) })
    }
}

/// One request, with the browser's `fetch` (a plain request: the browser's default mode
/// and credentials): a success's status and parsed JSON, or the error envelope as a
/// [`Failure`]. Not generic, so its async state machine and the reading of error
/// envelopes exist once in the wasm rather than once per answer type.
async fn exchange(url: String, body: Option<String>) -> Result<(u16, JsValue), Failure> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let init = web_sys::RequestInit::new();
    if let Some(json) = body {
        let headers = js_sys::Object::new();
        js_sys::Reflect::set(&headers, &"content-type".into(), &"application/json".into())
            .map_err(|_| Failure::Network)?;
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&json.into());
    }
    let window = web_sys::window().ok_or(Failure::Network)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(|_| Failure::Network)?
        .dyn_into()
        .map_err(|_| Failure::Network)?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok());
    let text = JsFuture::from(response.text().map_err(|_| Failure::Network)?)
        .await
        .map_err(|_| Failure::Network)?
        .as_string()
        .ok_or(Failure::Network)?;
    if (200..300).contains(&status) {
        return crate::json::parse(&text)
            .map(|value| (status, value))
            .map_err(|_| Failure::Api {
                status,
                code: ErrorCode::Unknown,
                retry_after: None,
            });
    }
    Err(match crate::json::from_str::<ErrorBody>(&text) {
        Ok(body) => Failure::Api {
            status,
            code: body.error.code,
            retry_after: body.error.retry_after.or(retry_after),
        },
        Err(_) => Failure::Api {
            status,
            code: ErrorCode::Unknown,
            retry_after,
        },
    })
}

/// A success's JSON as `T`.
fn decode<T: FromJson>((status, value): (u16, JsValue)) -> Result<T, Failure> {
    T::from_json(value).map_err(|_| Failure::Api {
        status,
        code: ErrorCode::Unknown,
        retry_after: None,
    })
}

fn encode(text: &str) -> String {
    js_sys::encode_uri_component(text)
        .as_string()
        .unwrap_or_default()
}

impl Backend for Http {
    #[cfg(feature = "picker")]
    fn destinations(&self) -> Fut<Result<DestinationsResponse, Failure>> {
        self.get("/api/destinations".into())
    }

    #[cfg(feature = "picker")]
    fn catalog(&self, destination: &DestinationId) -> Fut<Result<CatalogResponse, Failure>> {
        let key = match destination.kind {
            DestinationKind::Country => "country",
            DestinationKind::Region => "region",
        };
        self.get(format!("/api/catalog?{key}={}", encode(&destination.code)))
    }

    #[cfg(feature = "checkout")]
    fn devices(&self) -> Fut<Result<Devices, Failure>> {
        self.get("/api/esim-devices".into())
    }

    fn checkout(&self, request: CheckoutRequest) -> Fut<Result<CheckoutResponse, Failure>> {
        self.post("/api/checkout".into(), &request)
    }

    fn beacon(&self, beacon: &Beacon) {
        if let Some(body) = crate::json::to_string(beacon) {
            crate::browser::send_beacon(&format!("{}/api/beacons", self.base), &body);
        }
    }

    #[cfg(feature = "status")]
    fn order(
        &self,
        order_ref: &OrderRef,
        wait: u64,
        version: Option<i64>,
    ) -> Fut<Result<OrderDetail, Failure>> {
        let mut path = format!("/api/orders/{}?wait={wait}", encode(order_ref.as_str()));
        if let Some(v) = version {
            path.push_str(&format!("&version={v}"));
        }
        self.get(path)
    }

    #[cfg(feature = "status")]
    fn usage(&self, order_ref: &OrderRef, line: Option<&str>) -> Fut<Result<UsageView, Failure>> {
        self.get(format!("{}/usage", of_line(order_ref, line)))
    }

    #[cfg(feature = "status")]
    fn topup_offers(
        &self,
        order_ref: &OrderRef,
        line: Option<&str>,
    ) -> Fut<Result<TopupOffers, Failure>> {
        self.get(format!("{}/topups", of_line(order_ref, line)))
    }

    #[cfg(feature = "status")]
    fn buy_topup(
        &self,
        order_ref: &OrderRef,
        line: Option<&str>,
        request: TopupRequest,
    ) -> Fut<Result<CheckoutResponse, Failure>> {
        self.post(format!("{}/topups", of_line(order_ref, line)), &request)
    }
}

/// The path of an order's line (`/api/orders/{ref}/lines/{iccid}`), or of the order
/// itself when no line is named.
#[cfg(feature = "status")]
fn of_line(order_ref: &OrderRef, line: Option<&str>) -> String {
    let order = format!("/api/orders/{}", encode(order_ref.as_str()));
    match line {
        Some(iccid) => format!("{order}/lines/{}", encode(iccid)),
        None => order,
    }
}
