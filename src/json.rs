//! The proxy's JSON (and the orders saved in localStorage), read and written with the
//! browser's own `JSON`.
//!
//! `JSON.parse` turns the text into JavaScript values, and [`FromJson`] reads each
//! field the widget needs from them by name; [`ToJson`] builds the JavaScript object
//! of a request and `JSON.stringify` writes it. The wasm then carries no JSON parser or
//! writer, no float-parsing tables, no error-message formatting, and none of serde's
//! generated visitors (one per type, each matching every field name): a few calls per
//! field instead. The types keep their serde derives for the proxy; the browser tests
//! (`tests/json.rs`) hold both directions to what `serde_json` reads and writes.
//!
//! The readers follow serde's rules for these types: unknown fields are skipped, a
//! missing or `null` `Option` is `None`, a missing field with a serde default takes
//! that default, and anything else missing or of the wrong type is [`Invalid`].
//! Numbers are JavaScript numbers: an integer beyond 2^53 is not exact there, so it
//! is refused rather than read wrongly (no field of the proxy's API comes near it).

use std::fmt;

use js_sys::{Array, Object, Reflect};
use simology_proxy_api::{
    Beacon, CatalogResponse, CheckoutRequest, CheckoutResponse, CompatCheck, CurrencyCode,
    Destination, DestinationId, DestinationKind, DestinationsResponse, EmbedConfig, ErrorBody,
    ErrorCode, ErrorDetail, FunnelEvent, OrderRef, Plan, Price,
};
#[cfg(feature = "status")]
use simology_proxy_api::{
    Esim, Line, LineState, OrderDetail, OrderPlan, OrderState, OrderView, TopupOffers,
    TopupRequest, UsageView,
};
#[cfg(feature = "picker")]
use simology_widget_core::compat::{Brand, Devices, Source};
use simology_widget_core::saved::SavedOrder;
use wasm_bindgen::{JsCast, JsValue};

/// The text was not JSON, or not the JSON of the type asked for. It carries no
/// message: the widget shows travellers its own words, never a parser's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unexpected JSON")
    }
}

impl std::error::Error for Invalid {}

/// A type the widget reads from a parsed JSON value.
pub trait FromJson: Sized {
    /// `Self` from `value`.
    ///
    /// # Errors
    /// [`Invalid`] when the value does not describe a `Self`.
    fn from_json(value: JsValue) -> Result<Self, Invalid>;
}

/// `T` from JSON text.
///
/// # Errors
/// [`Invalid`] when the text is not JSON or does not describe a `T`.
pub fn from_str<T: FromJson>(text: &str) -> Result<T, Invalid> {
    T::from_json(parse(text)?)
}

/// JSON text as a JavaScript value.
///
/// # Errors
/// [`Invalid`] when the text is not JSON.
pub fn parse(text: &str) -> Result<JsValue, Invalid> {
    js_sys::JSON::parse(text).map_err(|_| Invalid)
}

/// An object's own member `name`: `undefined` when it has none. Only own members: the
/// widget runs on pages it does not control, and a page's script may have added a
/// `retry_after` or a `quantity` to `Object.prototype`. A JSON array, which serde
/// would read as a struct's fields in order, is refused: neither the proxy nor the
/// widget writes one. Not generic and never inlined: every field of every type reads
/// through this one copy.
#[inline(never)]
fn member(object: &JsValue, name: &str) -> Result<JsValue, Invalid> {
    if !object.is_object() || Array::is_array(object) {
        return Err(Invalid);
    }
    let key = JsValue::from_str(name);
    // `Reflect.getOwnPropertyDescriptor` (every browser since 2016, unlike
    // `Object.hasOwn`; and no method that the page could have replaced).
    let own = Reflect::get_own_property_descriptor(object.unchecked_ref::<Object>(), &key)
        .map_err(|_| Invalid)?;
    if own.is_undefined() {
        return Ok(JsValue::UNDEFINED);
    }
    Reflect::get(object, &key).map_err(|_| Invalid)
}

/// A required member.
fn field<T: FromJson>(object: &JsValue, name: &str) -> Result<T, Invalid> {
    T::from_json(member(object, name)?)
}

/// A member that serde would take as `default` when it is missing.
fn field_or<T: FromJson>(object: &JsValue, name: &str, default: T) -> Result<T, Invalid> {
    let value = member(object, name)?;
    if value.is_undefined() {
        Ok(default)
    } else {
        T::from_json(value)
    }
}

/// The largest integer that a JavaScript number holds exactly, plus one.
const EXACT: f64 = 9_007_199_254_740_992.0;

/// An integer that a JavaScript number holds exactly, as `i64`. Not generic.
#[inline(never)]
fn integer(value: &JsValue) -> Result<i64, Invalid> {
    match value.as_f64() {
        // The range check keeps the cast lossless.
        Some(n) if n.fract() == 0.0 && n.abs() < EXACT => Ok(n as i64),
        _ => Err(Invalid),
    }
}

/// The string value of one of `all`, by its JSON name.
fn named<T: Copy>(value: &JsValue, all: &[T], name: fn(T) -> &'static str) -> Option<T> {
    let text = value.as_string()?;
    all.iter().copied().find(|&v| name(v) == text)
}

impl FromJson for String {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        value.as_string().ok_or(Invalid)
    }
}

impl FromJson for bool {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        value.as_bool().ok_or(Invalid)
    }
}

impl FromJson for i64 {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        integer(&value)
    }
}

impl FromJson for u64 {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        u64::try_from(integer(&value)?).map_err(|_| Invalid)
    }
}

impl FromJson for u32 {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        u32::try_from(integer(&value)?).map_err(|_| Invalid)
    }
}

impl FromJson for u8 {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        u8::try_from(integer(&value)?).map_err(|_| Invalid)
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        if value.is_null() || value.is_undefined() {
            Ok(None)
        } else {
            T::from_json(value).map(Some)
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        if !Array::is_array(&value) {
            return Err(Invalid);
        }
        let items: Array = value.unchecked_into();
        (0..items.length())
            .map(|i| T::from_json(items.get(i)))
            .collect()
    }
}

impl FromJson for CurrencyCode {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        value
            .as_string()
            .and_then(|code| CurrencyCode::parse(&code))
            .ok_or(Invalid)
    }
}

impl FromJson for OrderRef {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        value
            .as_string()
            .and_then(|text| OrderRef::parse(&text))
            .ok_or(Invalid)
    }
}

impl FromJson for DestinationKind {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        named(&value, &DestinationKind::ALL, DestinationKind::as_str).ok_or(Invalid)
    }
}

impl FromJson for CompatCheck {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        // A value this version does not know keeps the step, as the proxy does.
        Ok(value
            .as_string()
            .and_then(|text| CompatCheck::parse(&text))
            .unwrap_or_default())
    }
}

impl FromJson for ErrorCode {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        // A code this version does not know is `Unknown`, as serde's `other` reads it;
        // a value that is not a string is no code at all.
        if value.as_string().is_none() {
            return Err(Invalid);
        }
        Ok(named(&value, &ErrorCode::KNOWN, ErrorCode::as_str).unwrap_or(ErrorCode::Unknown))
    }
}

/// `FromJson` for a struct whose fields are its JSON members of the same names, each
/// required unless given as `name = default` (serde's `#[serde(default)]`).
macro_rules! from_json_struct {
    ($ty:ident { $($field:ident $(= $default:expr)?),* $(,)? }) => {
        impl FromJson for $ty {
            fn from_json(value: JsValue) -> Result<Self, Invalid> {
                Ok($ty {
                    $($field: from_json_struct!(@read value, $field $(, $default)?),)*
                })
            }
        }
    };
    (@read $value:ident, $field:ident) => {
        field(&$value, stringify!($field))?
    };
    (@read $value:ident, $field:ident, $default:expr) => {
        field_or(&$value, stringify!($field), $default)?
    };
}

from_json_struct!(Price {
    minor,
    currency,
    decimals
});
from_json_struct!(DestinationId { kind, code });
from_json_struct!(Destination {
    kind,
    code,
    name,
    plan_count,
    lowest_price,
    countries
});
from_json_struct!(DestinationsResponse {
    destinations,
    updated_at
});
from_json_struct!(Plan {
    sku,
    name,
    kind,
    destination,
    coverage,
    data_mb,
    validity_days,
    price,
    available,
    terms_url,
});
from_json_struct!(CatalogResponse {
    destination,
    plans,
    updated_at
});
from_json_struct!(CheckoutResponse {
    order_ref,
    payment_url,
    expires_at
});
from_json_struct!(ErrorDetail {
    code,
    message,
    field,
    retry_after,
    request_id
});
from_json_struct!(ErrorBody { error });
// The eSIM-capable phones (`GET /api/esim-devices`), which the checkout loads.
#[cfg(feature = "picker")]
from_json_struct!(Source { id, name, url });
#[cfg(feature = "picker")]
from_json_struct!(Brand {
    brand,
    source,
    exceptions = Vec::new(),
    models
});
#[cfg(feature = "picker")]
from_json_struct!(Devices {
    updated = String::new(),
    sources,
    brands
});
/// The frame's configuration. The status module never shows the catalogue the proxy
/// rendered the picker with, so it carries no reader of catalogues.
impl FromJson for EmbedConfig {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        Ok(EmbedConfig {
            instance: field(&value, "instance")?,
            lang: field(&value, "lang")?,
            theme: field(&value, "theme")?,
            destination: field_or(&value, "destination", None)?,
            sku: field_or(&value, "sku", None)?,
            travellers: field_or(&value, "travellers", None)?,
            order: field_or(&value, "order", None)?,
            #[cfg(feature = "picker")]
            catalog: field_or(&value, "catalog", None)?,
            #[cfg(not(feature = "picker"))]
            catalog: None,
            attribution: field_or(&value, "attribution", None)?,
            cancelled: field_or(&value, "cancelled", false)?,
            poll_interval_ms: field_or(&value, "poll_interval_ms", None)?,
            compat_check: field_or(&value, "compat_check", CompatCheck::Required)?,
        })
    }
}

/// A saved order's destination: `{kind, code}`, or the bare code that versions before
/// the kind was saved wrote (see `SavedOrder::legacy_destination`).
struct SavedDestination(DestinationId);

impl FromJson for SavedDestination {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        match value.as_string() {
            Some(code) => SavedOrder::legacy_destination(&code).ok_or(Invalid),
            None => DestinationId::from_json(value),
        }
        .map(SavedDestination)
    }
}

impl FromJson for SavedOrder {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        Ok(SavedOrder {
            order_ref: field(&value, "order_ref")?,
            instance: field(&value, "instance")?,
            sku: field(&value, "sku")?,
            destination: field::<SavedDestination>(&value, "destination")?.0,
            name: field(&value, "name")?,
            quantity: field_or(&value, "quantity", 1)?,
            started_ms: field(&value, "started_ms")?,
            done: field(&value, "done")?,
        })
    }
}

#[cfg(feature = "status")]
impl FromJson for OrderState {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        named(&value, &OrderState::ALL, OrderState::as_str).ok_or(Invalid)
    }
}

#[cfg(feature = "status")]
impl FromJson for LineState {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        named(&value, &LineState::ALL, LineState::as_str).ok_or(Invalid)
    }
}

#[cfg(feature = "status")]
from_json_struct!(OrderPlan {
    sku,
    name,
    coverage,
    data_mb,
    validity_days,
    quantity,
    price,
    terms_url,
});
#[cfg(feature = "status")]
from_json_struct!(Esim {
    iccid,
    lpa,
    smdp_address,
    activation_code,
    valid_from,
    valid_until,
});
#[cfg(feature = "status")]
from_json_struct!(OrderView {
    order_ref,
    state,
    reason,
    plan,
    esim,
    topup_of,
    email_on_file = false,
    analytics_id = String::new(),
    version,
    updated_at,
});
#[cfg(feature = "status")]
from_json_struct!(Line { iccid, state, esim });

/// The order's fields beside its lines, in one object (serde's `flatten`).
#[cfg(feature = "status")]
impl FromJson for OrderDetail {
    fn from_json(value: JsValue) -> Result<Self, Invalid> {
        Ok(OrderDetail {
            lines: field(&value, "lines")?,
            lines_ready: field(&value, "lines_ready")?,
            lines_total: field(&value, "lines_total")?,
            topup_line: field(&value, "topup_line")?,
            order: OrderView::from_json(value)?,
        })
    }
}

#[cfg(feature = "status")]
from_json_struct!(UsageView {
    used_mb,
    remaining_mb,
    status,
    measured_at,
    valid_until,
});
#[cfg(feature = "status")]
from_json_struct!(TopupOffers { offers });

/// A type the widget writes as JSON.
pub trait ToJson {
    /// The JavaScript value `JSON.stringify` writes.
    fn to_json(&self) -> JsValue;

    /// As an object's member: `None` leaves the member out. That is serde's
    /// `skip_serializing_if = "Option::is_none"`, which every optional field the widget
    /// writes has (the browser tests compare each request with `serde_json`'s).
    fn to_member(&self) -> Option<JsValue> {
        Some(self.to_json())
    }
}

/// `value` as JSON text; `None` only if the browser's `JSON.stringify` fails.
pub fn to_string<T: ToJson + ?Sized>(value: &T) -> Option<String> {
    js_sys::JSON::stringify(&value.to_json())
        .ok()
        .map(String::from)
}

/// An object of the members given, in that order, those without a value left out.
/// It has no prototype, so a `toJSON` that a page's script put on `Object.prototype`
/// (as old libraries did) cannot change what `JSON.stringify` writes. Not generic and
/// never inlined: every type writes through this one copy.
#[inline(never)]
fn object(members: &[(&str, Option<JsValue>)]) -> JsValue {
    let object: Object = Object::create(JsValue::NULL.unchecked_ref());
    for (name, value) in members {
        if let Some(value) = value {
            // Setting a plain object's own member cannot fail.
            let _ = Reflect::set(&object, &JsValue::from_str(name), value);
        }
    }
    object.into()
}

impl ToJson for String {
    fn to_json(&self) -> JsValue {
        JsValue::from_str(self)
    }
}

impl ToJson for bool {
    fn to_json(&self) -> JsValue {
        JsValue::from_bool(*self)
    }
}

impl ToJson for u32 {
    fn to_json(&self) -> JsValue {
        JsValue::from_f64(f64::from(*self))
    }
}

/// Exact up to 2^53 (a time in milliseconds is far below it).
impl ToJson for u64 {
    fn to_json(&self) -> JsValue {
        JsValue::from_f64(*self as f64)
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> JsValue {
        self.as_ref().map_or(JsValue::NULL, T::to_json)
    }

    fn to_member(&self) -> Option<JsValue> {
        self.as_ref().map(T::to_json)
    }
}

impl<T: ToJson> ToJson for [T] {
    fn to_json(&self) -> JsValue {
        let array: Array = self.iter().map(T::to_json).collect();
        // An own `toJSON` that is no function hides one a page's script put on
        // `Array.prototype` (as Prototype.js did); `JSON.stringify` writes only an
        // array's items.
        let _ = Reflect::set(&array, &JsValue::from_str("toJSON"), &JsValue::UNDEFINED);
        array.into()
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> JsValue {
        self.as_slice().to_json()
    }
}

impl ToJson for OrderRef {
    fn to_json(&self) -> JsValue {
        JsValue::from_str(self.as_str())
    }
}

impl ToJson for DestinationKind {
    fn to_json(&self) -> JsValue {
        JsValue::from_str(self.as_str())
    }
}

impl ToJson for FunnelEvent {
    fn to_json(&self) -> JsValue {
        JsValue::from_str(self.as_str())
    }
}

/// `ToJson` for a struct written as an object of its fields, under their names. The
/// struct is taken apart whole, so a field added to it fails to compile here until it
/// is written.
macro_rules! to_json_struct {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl ToJson for $ty {
            fn to_json(&self) -> JsValue {
                let $ty { $($field),* } = self;
                object(&[$((stringify!($field), $field.to_member()),)*])
            }
        }
    };
}

to_json_struct!(DestinationId { kind, code });
to_json_struct!(CheckoutRequest {
    sku,
    quantity,
    email,
    locale,
    intent_id,
    return_url,
    instance,
    attribution,
    page_path,
    click_id,
});
to_json_struct!(Beacon {
    attribution,
    event,
    page_path,
    destination,
});

impl ToJson for SavedOrder {
    fn to_json(&self) -> JsValue {
        let SavedOrder {
            order_ref,
            instance,
            sku,
            destination,
            name,
            quantity,
            started_ms,
            done,
        } = self;
        object(&[
            ("order_ref", order_ref.to_member()),
            ("instance", instance.to_member()),
            ("sku", sku.to_member()),
            ("destination", destination.to_member()),
            ("name", name.to_member()),
            // Written only when more than one, so an order of one is saved as before
            // travellers were counted (and reads back as one).
            ("quantity", (*quantity != 1).then(|| quantity.to_json())),
            ("started_ms", started_ms.to_member()),
            ("done", done.to_member()),
        ])
    }
}

#[cfg(feature = "status")]
impl ToJson for TopupRequest {
    fn to_json(&self) -> JsValue {
        let TopupRequest {
            sku,
            email,
            locale,
            intent_id,
            return_url,
            instance,
        } = self;
        object(&[
            ("sku", sku.to_member()),
            // Empty: the email the proxy holds for the order (`email_on_file`).
            ("email", (!email.is_empty()).then(|| email.to_json())),
            ("locale", locale.to_member()),
            ("intent_id", intent_id.to_member()),
            ("return_url", return_url.to_member()),
            ("instance", instance.to_member()),
        ])
    }
}
