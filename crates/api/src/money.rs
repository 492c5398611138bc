//! Money as a decimal, the one place that writes it: integer minor units and the number of
//! decimals of the currency's minor unit (ISO 4217: `JPY` 0, `USD` 2, `KWD` 3) give the
//! decimal text (`1500`, `14.99`, `-0.05`). The SDK writes its amounts with it, the
//! proxy its reports, CSV and postbacks, and the widget its prices, with the language's
//! separators on top (`simology_widget_core::format::price`). Integer arithmetic only,
//! never a float. It lives here, in the crate the widget already builds with, so that
//! sharing it adds no crate to the widget's wasm.

use std::fmt;

/// The number of decimals of a currency's minor unit (ISO 4217): 0 for the yen, the won
/// and the other currencies without one, 3 for the dinars that have three, 2 for every
/// other code (the dollar, the euro, the pound).
pub fn currency_decimals(code: &str) -> u8 {
    match code {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// An exact decimal: `minor` units with `decimals` fraction digits (`1499` with 2 is
/// `14.99`). Its `Display` is the plain decimal text, `-` before a negative one (a
/// refund), `.` before the fraction, no grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    minor: i64,
    decimals: u8,
}

impl Decimal {
    /// `minor` units with `decimals` fraction digits.
    pub const fn new(minor: i64, decimals: u8) -> Self {
        Decimal { minor, decimals }
    }

    /// `minor` units of the currency `code`, with its ISO 4217 decimals ([`currency_decimals`]).
    pub fn of_currency(minor: i64, code: &str) -> Self {
        Decimal::new(minor, currency_decimals(code))
    }

    /// The minor units.
    pub const fn minor(self) -> i64 {
        self.minor
    }

    /// The number of fraction digits.
    pub const fn decimals(self) -> u8 {
        self.decimals
    }

    /// The sign and the digits, split at the decimal point: whether it is below zero,
    /// the whole part's digits (at least one, `0` for `0.05`, no separators) and exactly
    /// as many fraction digits as the decimals (none for 0 decimals). The digits are
    /// written into `buffer`, which the two parts borrow.
    #[inline]
    pub fn digits(self, buffer: &mut String) -> (bool, &str, &str) {
        let magnitude = self.minor.unsigned_abs().to_string();
        let scale = usize::from(self.decimals);
        *buffer = format!("{magnitude:0>width$}", width = scale + 1);
        let (whole, fraction) = buffer.split_at(buffer.len() - scale);
        (self.minor < 0, whole, fraction)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buffer = String::new();
        let (negative, whole, fraction) = self.digits(&mut buffer);
        let sign = if negative { "-" } else { "" };
        if fraction.is_empty() {
            write!(f, "{sign}{whole}")
        } else {
            write!(f, "{sign}{whole}.{fraction}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_currency_has_its_iso_decimals() {
        assert_eq!(currency_decimals("JPY"), 0);
        assert_eq!(currency_decimals("KRW"), 0);
        assert_eq!(currency_decimals("USD"), 2);
        assert_eq!(currency_decimals("EUR"), 2);
        assert_eq!(currency_decimals("GBP"), 2);
        assert_eq!(currency_decimals("KWD"), 3);
    }

    #[test]
    fn minor_units_as_decimal_text() {
        assert_eq!(Decimal::of_currency(1500, "JPY").to_string(), "1500");
        assert_eq!(Decimal::of_currency(1499, "USD").to_string(), "14.99");
        assert_eq!(Decimal::of_currency(1400, "EUR").to_string(), "14.00");
        assert_eq!(Decimal::of_currency(5, "GBP").to_string(), "0.05");
        assert_eq!(Decimal::of_currency(0, "USD").to_string(), "0.00");
        assert_eq!(Decimal::of_currency(1, "KWD").to_string(), "0.001");
        assert_eq!(Decimal::new(15, 1).to_string(), "1.5");
    }

    #[test]
    fn refunds_are_negative() {
        assert_eq!(Decimal::of_currency(-120, "USD").to_string(), "-1.20");
        assert_eq!(Decimal::of_currency(-5, "EUR").to_string(), "-0.05");
        assert_eq!(Decimal::of_currency(-1500, "JPY").to_string(), "-1500");
    }

    #[test]
    fn the_extremes_do_not_overflow() {
        // `i64::MIN` has no positive counterpart: its digits come from the unsigned
        // magnitude, never from negating it.
        assert_eq!(
            Decimal::new(i64::MIN, 2).to_string(),
            "-92233720368547758.08"
        );
        assert_eq!(Decimal::new(i64::MAX, 0).to_string(), "9223372036854775807");
        // More decimals than digits: zeros are written, not lost.
        assert_eq!(
            Decimal::new(7, 25).to_string(),
            format!("0.{}7", "0".repeat(24))
        );
    }

    #[test]
    fn digits_split_at_the_point() {
        let mut buffer = String::new();
        assert_eq!(
            Decimal::new(-123_456, 2).digits(&mut buffer),
            (true, "1234", "56")
        );
        assert_eq!(
            Decimal::new(1500, 0).digits(&mut buffer),
            (false, "1500", "")
        );
        assert_eq!(Decimal::new(5, 3).digits(&mut buffer), (false, "0", "005"));
    }
}
