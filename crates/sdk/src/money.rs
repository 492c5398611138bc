//! Exact money: integer minor units in a currency with its own number of decimals.
//!
//! The API writes prices as JSON numbers (`"amount": 14.99`). Such a number is read as
//! a decimal literal and converted to minor units without any float arithmetic: a JSON
//! number with at most 15 significant digits survives the trip through an `f64` and
//! back through Rust's shortest round-trip formatting unchanged, so the literal the
//! sender wrote is recovered digit for digit. Amounts with more digits, or with more
//! decimals than the currency has, are refused instead of rounded.

use std::fmt;
use std::str::FromStr;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// Why an amount or a currency could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The currency code is not three ASCII capital letters.
    #[error("currency code must be three capital letters, got {0:?}")]
    BadCurrency(String),
    /// The text is not a plain decimal number.
    #[error("not a decimal amount: {0:?}")]
    BadAmount(String),
    /// The amount has more decimals than the currency allows (e.g. `1.5` JPY).
    #[error("{amount} has more decimals than {currency} allows ({allowed})")]
    TooPrecise {
        /// The amount as written.
        amount: String,
        /// The currency.
        currency: Currency,
        /// The currency's number of decimals.
        allowed: u8,
    },
    /// The amount does not fit (more than 15 significant digits).
    #[error("amount out of range: {0:?}")]
    OutOfRange(String),
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: {0} and {1}")]
    Mismatch(Currency, Currency),
}

/// An ISO 4217 currency code such as `USD`, `EUR`, `GBP` or `JPY`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");
    /// Euro.
    pub const EUR: Currency = Currency(*b"EUR");
    /// Pound sterling.
    pub const GBP: Currency = Currency(*b"GBP");
    /// Japanese yen (no minor unit).
    pub const JPY: Currency = Currency(*b"JPY");

    /// Parses a three-letter code.
    ///
    /// # Errors
    /// [`MoneyError::BadCurrency`] unless the code is exactly three ASCII capitals.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        match code.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => {
                Ok(Currency([*a, *b, *c]))
            }
            _ => Err(MoneyError::BadCurrency(code.to_owned())),
        }
    }

    /// The code as text.
    pub fn code(&self) -> &str {
        // The bytes are ASCII capitals by construction.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// The number of decimals of the currency's minor unit (ISO 4217), from
    /// [`simology_proxy_api::currency_decimals`], the proxy's and the widget's too.
    pub fn decimals(&self) -> u8 {
        simology_proxy_api::currency_decimals(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(de::Error::custom)
    }
}

/// The largest number of significant digits read exactly through a JSON number.
const MAX_DIGITS: usize = 15;

/// An exact decimal number as written on the wire: `mantissa × 10^-scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount {
    mantissa: i64,
    scale: u8,
}

impl Amount {
    /// Builds an amount from a mantissa and a number of decimals.
    pub fn new(mantissa: i64, scale: u8) -> Self {
        Amount { mantissa, scale }
    }

    /// Parses a plain decimal such as `14.99`, `-3`, `1500` or `0.5`.
    ///
    /// # Errors
    /// [`MoneyError::BadAmount`] for anything else (exponents, signs alone, spaces),
    /// [`MoneyError::OutOfRange`] for more than 15 significant digits.
    pub fn parse(text: &str) -> Result<Self, MoneyError> {
        let bad = || MoneyError::BadAmount(text.to_owned());
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if body.contains('.') && (frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit())) {
            return Err(bad());
        }
        // Trailing zeros of the fraction carry no value; drop them so `1.50` has scale 1.
        let frac = frac.trim_end_matches('0');
        let digits: String = format!("{int}{frac}");
        let significant = digits.trim_start_matches('0');
        if significant.len() > MAX_DIGITS || frac.len() > 18 {
            return Err(MoneyError::OutOfRange(text.to_owned()));
        }
        let mut mantissa: i64 = if significant.is_empty() {
            0
        } else {
            significant
                .parse()
                .map_err(|_| MoneyError::OutOfRange(text.to_owned()))?
        };
        if negative {
            mantissa = -mantissa;
        }
        let scale = u8::try_from(frac.len()).map_err(|_| bad())?;
        Ok(Amount { mantissa, scale })
    }

    /// Converts to minor units of a currency.
    ///
    /// # Errors
    /// [`MoneyError::TooPrecise`] when the amount has more decimals than the currency.
    pub fn to_minor(self, currency: Currency) -> Result<i64, MoneyError> {
        let decimals = currency.decimals();
        if self.scale > decimals {
            return Err(MoneyError::TooPrecise {
                amount: self.to_string(),
                currency,
                allowed: decimals,
            });
        }
        10i64
            .checked_pow(u32::from(decimals - self.scale))
            .and_then(|f| self.mantissa.checked_mul(f))
            .ok_or_else(|| MoneyError::OutOfRange(self.to_string()))
    }

    /// The amount as an `f64` for a JSON number. Exact in the sense above: formatting it
    /// back gives the same decimal.
    fn to_f64(self) -> f64 {
        // Parsing our own canonical text is exact to the nearest double, the same double
        // a JSON parser produces for that literal.
        self.to_string().parse().unwrap_or(f64::NAN)
    }
}

impl fmt::Display for Amount {
    /// The decimal as [`simology_proxy_api::Decimal`] writes it (`14.99`, `-0.05`, `1500`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        simology_proxy_api::Decimal::new(self.mantissa, self.scale).fmt(f)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.scale == 0 {
            s.serialize_i64(self.mantissa)
        } else {
            s.serialize_f64(self.to_f64())
        }
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal amount")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Amount, E> {
                Amount::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Amount, E> {
                Amount::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Amount, E> {
                if !v.is_finite() {
                    return Err(E::custom("amount is not finite"));
                }
                // `{}` on f64 prints the shortest text that reads back as the same
                // double: for literals of at most 15 significant digits, that text is
                // the literal itself (with no exponent for the magnitudes of prices).
                let text = format!("{v}");
                Amount::parse(&text).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Amount, E> {
                Amount::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// An exact amount of money: integer minor units (cents, pence; yen for JPY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// Money from minor units.
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    /// Money from a decimal amount.
    ///
    /// # Errors
    /// See [`Amount::to_minor`].
    pub fn from_amount(amount: Amount, currency: Currency) -> Result<Self, MoneyError> {
        Ok(Money {
            minor: amount.to_minor(currency)?,
            currency,
        })
    }

    /// Parses a decimal text in a currency, e.g. `("14.99", USD)`.
    ///
    /// # Errors
    /// See [`Amount::parse`] and [`Amount::to_minor`].
    pub fn parse(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        Money::from_amount(Amount::parse(text)?, currency)
    }

    /// Integer minor units.
    pub fn minor(&self) -> i64 {
        self.minor
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount as a decimal with exactly the currency's number of decimals.
    pub fn amount(&self) -> Amount {
        Amount::new(self.minor, self.currency.decimals())
    }

    /// `self × n`, e.g. a unit price times a quantity.
    ///
    /// # Errors
    /// [`MoneyError::OutOfRange`] on overflow.
    pub fn times(&self, n: u32) -> Result<Money, MoneyError> {
        self.minor
            .checked_mul(i64::from(n))
            .map(|minor| Money { minor, ..*self })
            .ok_or_else(|| MoneyError::OutOfRange(self.to_string()))
    }

    /// `self + other` in the same currency.
    ///
    /// # Errors
    /// [`MoneyError::Mismatch`] for different currencies, [`MoneyError::OutOfRange`] on
    /// overflow.
    pub fn plus(&self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::Mismatch(self.currency, other.currency));
        }
        self.minor
            .checked_add(other.minor)
            .map(|minor| Money { minor, ..*self })
            .ok_or_else(|| MoneyError::OutOfRange(self.to_string()))
    }
}

impl fmt::Display for Money {
    /// `14.99 USD`, `1500 JPY`: the amount with the currency's decimals, then the code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount(), self.currency)
    }
}

/// The wire form of a price: `{ "amount": 14.99, "currency": "USD" }`.
#[derive(Serialize, Deserialize)]
struct PriceWire {
    amount: Amount,
    currency: Currency,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PriceWire {
            amount: self.amount(),
            currency: self.currency,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = PriceWire::deserialize(d)?;
        Money::from_amount(wire.amount, wire.currency).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_prices_exactly() {
        let m: Money =
            serde_json::from_str(r#"{"amount": 14.99, "currency": "USD"}"#).expect("valid price");
        assert_eq!(m.minor(), 1499);
        let m: Money =
            serde_json::from_str(r#"{"amount": 0.07, "currency": "EUR"}"#).expect("valid");
        assert_eq!(m.minor(), 7);
        let m: Money =
            serde_json::from_str(r#"{"amount": 1500, "currency": "JPY"}"#).expect("valid");
        assert_eq!(m.minor(), 1500);
        assert_eq!(m.to_string(), "1500 JPY");
        let m: Money =
            serde_json::from_str(r#"{"amount": 1.234, "currency": "KWD"}"#).expect("valid");
        assert_eq!(m.minor(), 1234);
    }

    #[test]
    fn refuses_sub_minor_amounts() {
        let err = serde_json::from_str::<Money>(r#"{"amount": 1.5, "currency": "JPY"}"#)
            .expect_err("JPY has no decimals");
        assert!(err.to_string().contains("more decimals"), "{err}");
        assert!(Money::parse("14.999", Currency::USD).is_err());
        assert!(Money::parse("1e3", Currency::USD).is_err());
        assert!(Money::parse("", Currency::USD).is_err());
        assert!(Money::parse("1.", Currency::USD).is_err());
        assert!(Currency::parse("usd").is_err());
    }

    #[test]
    fn writes_prices_as_numbers() {
        let m = Money::from_minor(1499, Currency::USD);
        assert_eq!(
            serde_json::to_string(&m).expect("serialises"),
            r#"{"amount":14.99,"currency":"USD"}"#
        );
        let m = Money::from_minor(1500, Currency::JPY);
        assert_eq!(
            serde_json::to_string(&m).expect("serialises"),
            r#"{"amount":1500,"currency":"JPY"}"#
        );
        assert_eq!(Money::from_minor(5, Currency::GBP).to_string(), "0.05 GBP");
        assert_eq!(
            Money::from_minor(-5, Currency::GBP).to_string(),
            "-0.05 GBP"
        );
    }

    #[test]
    fn arithmetic_keeps_currency() {
        let a = Money::from_minor(1499, Currency::USD);
        assert_eq!(a.times(3).expect("fits").minor(), 4497);
        assert!(a.plus(Money::from_minor(1, Currency::EUR)).is_err());
    }

    proptest! {
        #[test]
        fn json_round_trip_is_exact(minor in -999_999_999_999i64..999_999_999_999i64,
                                    cur in prop::sample::select(vec!["USD", "EUR", "GBP", "JPY", "KWD"])) {
            let m = Money::from_minor(minor, Currency::parse(cur).expect("valid code"));
            let text = serde_json::to_string(&m).expect("serialises");
            let back: Money = serde_json::from_str(&text).expect("parses");
            prop_assert_eq!(back, m);
            // And through an untyped Value, as webhook handlers do.
            let value: serde_json::Value = serde_json::from_str(&text).expect("json");
            let back: Money = serde_json::from_value(value).expect("parses");
            prop_assert_eq!(back, m);
        }

        #[test]
        fn decimal_text_round_trip(minor in any::<i32>(), scale in 0u8..4) {
            let a = Amount::new(i64::from(minor), scale);
            let back = Amount::parse(&a.to_string()).expect("parses");
            prop_assert_eq!(back.to_minor(Currency::parse("KWD").expect("code")).ok(),
                            a.to_minor(Currency::parse("KWD").expect("code")).ok());
        }
    }
}
