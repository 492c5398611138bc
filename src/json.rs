//! Reading the proxy's JSON with the browser's own parser.
//!
//! `JSON.parse` turns the text into JavaScript values, and [`from_str`] walks them
//! with serde, so the widget's types keep their `Deserialize` derives. The wasm then
//! carries no JSON parser, no float-parsing tables and no error-message formatting:
//! about a tenth of the widget's download (see the README's Performance section).
//! Writing JSON (requests, saved orders) stays with `serde_json`, which is small
//! when it only serializes.
//!
//! Numbers are JavaScript numbers: an integer beyond 2^53 is not exact there, so it
//! is refused rather than read wrongly (no field of the proxy's API comes near it).

use std::fmt;

use js_sys::{Array, Object};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
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

impl de::Error for Invalid {
    // Every serde error (wrong type, missing field, unknown variant) arrives here with
    // its message still unformatted; dropping it keeps `core::fmt` out of this path.
    fn custom<T: fmt::Display>(_message: T) -> Self {
        Invalid
    }
}

/// `T` from JSON text.
///
/// # Errors
/// [`Invalid`] when the text is not JSON or does not describe a `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Invalid> {
    from_value(parse(text)?)
}

/// JSON text as a JavaScript value.
///
/// # Errors
/// [`Invalid`] when the text is not JSON.
pub fn parse(text: &str) -> Result<JsValue, Invalid> {
    js_sys::JSON::parse(text).map_err(|_| Invalid)
}

/// `T` from a value [`parse`] gave.
///
/// # Errors
/// [`Invalid`] when the value does not describe a `T`.
pub fn from_value<T: DeserializeOwned>(value: JsValue) -> Result<T, Invalid> {
    T::deserialize(Value(value))
}

/// The largest integer that a JavaScript number holds exactly, plus one.
const EXACT: f64 = 9_007_199_254_740_992.0;

/// What a JavaScript value is, as serde's data model sees it.
enum Kind {
    Unit,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    String(String),
    Seq(Array),
    /// An object's `[key, value]` pairs.
    Map(Array),
    Other,
}

impl Kind {
    /// Not generic and never inlined: each type's `deserialize_any` (one per visitor)
    /// calls it rather than carrying its own copy of these calls into JavaScript.
    #[inline(never)]
    fn of(value: JsValue) -> Kind {
        if value.is_null() || value.is_undefined() {
            return Kind::Unit;
        }
        if let Some(b) = value.as_bool() {
            return Kind::Bool(b);
        }
        if let Some(n) = value.as_f64() {
            if n.fract() == 0.0 && n.abs() < EXACT {
                // Exact in both: the range check above keeps the casts lossless.
                return if n >= 0.0 {
                    Kind::U64(n as u64)
                } else {
                    Kind::I64(n as i64)
                };
            }
            return Kind::F64(n);
        }
        if let Some(s) = value.as_string() {
            return Kind::String(s);
        }
        if Array::is_array(&value) {
            return Kind::Seq(value.unchecked_into());
        }
        if value.is_object() {
            return Kind::Map(Object::entries(value.unchecked_ref()));
        }
        Kind::Other
    }
}

/// A parsed JavaScript value, as a serde deserializer.
struct Value(JsValue);

impl<'de> de::Deserializer<'de> for Value {
    type Error = Invalid;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        match Kind::of(self.0) {
            Kind::Unit => visitor.visit_unit(),
            Kind::Bool(b) => visitor.visit_bool(b),
            Kind::U64(n) => visitor.visit_u64(n),
            Kind::I64(n) => visitor.visit_i64(n),
            Kind::F64(n) => visitor.visit_f64(n),
            Kind::String(s) => visitor.visit_string(s),
            Kind::Seq(items) => visitor.visit_seq(Items { items, next: 0 }),
            Kind::Map(entries) => visitor.visit_map(Entries {
                entries,
                next: 0,
                value: None,
            }),
            Kind::Other => Err(Invalid),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        if self.0.is_null() || self.0.is_undefined() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Invalid> {
        // The API's enums are all unit variants, written as strings.
        let name = self.0.as_string().ok_or(Invalid)?;
        visitor.visit_enum(name.into_deserializer())
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        // An unknown field: nothing to walk.
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier
    }
}

/// An array's items.
struct Items {
    items: Array,
    next: u32,
}

impl<'de> de::SeqAccess<'de> for Items {
    type Error = Invalid;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Invalid> {
        if self.next >= self.items.length() {
            return Ok(None);
        }
        let item = self.items.get(self.next);
        self.next += 1;
        seed.deserialize(Value(item)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.length().saturating_sub(self.next) as usize)
    }
}

/// An object's `[key, value]` pairs.
struct Entries {
    entries: Array,
    next: u32,
    value: Option<JsValue>,
}

impl<'de> de::MapAccess<'de> for Entries {
    type Error = Invalid;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Invalid> {
        if self.next >= self.entries.length() {
            return Ok(None);
        }
        let pair: Array = self.entries.get(self.next).unchecked_into();
        self.next += 1;
        self.value = Some(pair.get(1));
        seed.deserialize(Value(pair.get(0))).map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Invalid> {
        seed.deserialize(Value(self.value.take().ok_or(Invalid)?))
    }
}
