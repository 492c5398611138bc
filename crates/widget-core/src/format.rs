//! Numbers, prices, data sizes and times ago, written for a language (calendar dates
//! are the browser's `Intl.DateTimeFormat`). Prices are exact: integer minor units are
//! split into whole and fraction digits by `simology_proxy_api::Decimal` (the proxy's
//! and the SDK's decimal too), never through floats; the separators are the language's.

use simology_proxy_api::{Decimal, Price};

use crate::i18n::{Count, Lang};

/// A narrow no-break space, the French thousands separator.
const NNBSP: char = '\u{202f}';
/// A no-break space, between a number and its unit.
const NBSP: char = '\u{a0}';

struct NumberStyle {
    decimal: char,
    group: Option<char>,
    /// Group four-digit numbers too (`1,500` in English, `1500` in Spanish).
    group_four: bool,
}

fn number_style(lang: Lang) -> NumberStyle {
    match lang {
        Lang::En => NumberStyle {
            decimal: '.',
            group: Some(','),
            group_four: true,
        },
        Lang::Fr => NumberStyle {
            decimal: ',',
            group: Some(NNBSP),
            group_four: true,
        },
        Lang::De | Lang::It => NumberStyle {
            decimal: ',',
            group: Some('.'),
            group_four: true,
        },
        Lang::Es => NumberStyle {
            decimal: ',',
            group: Some('.'),
            group_four: false,
        },
    }
}

fn group_digits(digits: &str, style: &NumberStyle) -> String {
    let Some(sep) = style.group else {
        return digits.to_owned();
    };
    if digits.len() <= 3 || (digits.len() == 4 && !style.group_four) {
        return digits.to_owned();
    }
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// An exact decimal: `minor` with `decimals` fraction digits ([`Decimal`]'s digits), in
/// the language's style.
pub fn decimal(minor: i64, decimals: u8, lang: Lang) -> String {
    let style = number_style(lang);
    let mut buffer = String::new();
    let (negative, whole, fraction) = Decimal::new(minor, decimals).digits(&mut buffer);
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&group_digits(whole, &style));
    if !fraction.is_empty() {
        out.push(style.decimal);
        out.push_str(fraction);
    }
    out
}

fn symbol(currency: &str, lang: Lang) -> Option<&'static str> {
    Some(match (currency, lang) {
        ("EUR", _) => "€",
        ("GBP", _) => "£",
        ("JPY", Lang::En) => "¥",
        ("JPY", _) => "JPY",
        ("USD", Lang::En) => "$",
        ("USD", Lang::Fr) => "$US",
        ("USD", Lang::Es) => "US$",
        ("USD", Lang::De | Lang::It) => "$",
        _ => return None,
    })
}

/// A price for a language, in the price's own currency and decimals: `$14.99`,
/// `14,99 €`, `¥1,500`, `1.500 JPY`.
pub fn price(p: &Price, lang: Lang) -> String {
    let amount = decimal(p.minor, p.decimals, lang);
    let code = p.currency.as_str();
    match (lang, symbol(code, lang)) {
        (Lang::En, Some(sym)) => {
            if let Some(rest) = amount.strip_prefix('-') {
                format!("-{sym}{rest}")
            } else {
                format!("{sym}{amount}")
            }
        }
        (Lang::En, None) => format!("{code}{NBSP}{amount}"),
        (_, Some(sym)) => format!("{amount}{NBSP}{sym}"),
        (_, None) => format!("{amount}{NBSP}{code}"),
    }
}

/// The price of `count` items at `unit` each, exact (integer minor units, never
/// floats); `None` if it does not fit.
pub fn times(unit: &Price, count: u32) -> Option<Price> {
    Some(Price {
        minor: unit.minor.checked_mul(i64::from(count))?,
        ..*unit
    })
}

/// The units of data in a language: French writes `Go` and `Mo` (gigaoctet, mégaoctet).
fn units(lang: Lang) -> (&'static str, &'static str) {
    match lang {
        Lang::Fr => ("Go", "Mo"),
        _ => ("GB", "MB"),
    }
}

/// A data amount without its unit, and the unit: whole or tenths of a GB (rounded down,
/// so an allowance is never overstated; 1 GB = 1024 MB), or MB below 1 GB.
fn data_parts(mb: u64, lang: Lang) -> (String, &'static str) {
    let (gb, mb_unit) = units(lang);
    if mb < 1024 {
        return (mb.to_string(), mb_unit);
    }
    let tenths = mb * 10 / 1024;
    let number = if tenths.is_multiple_of(10) {
        group_digits(&(tenths / 10).to_string(), &number_style(lang))
    } else {
        decimal(i64::try_from(tenths).unwrap_or(i64::MAX), 1, lang)
    };
    (number, gb)
}

/// A data amount as [`data`] writes it, for its plural category: whole or tenths of a
/// GB (`1,5 Go` is 1 and 5 in one fraction digit), or whole MB.
pub fn data_count(mb: u64) -> Count {
    if mb < 1024 {
        return Count::whole(mb);
    }
    let tenths = mb * 10 / 1024;
    let fraction = tenths % 10;
    Count {
        integer: tenths / 10,
        // Below ten: the cast cannot truncate.
        fraction: fraction as u32,
        digits: u8::from(fraction != 0),
    }
}

/// A data allowance: `500 MB`, `1 GB`, `1,5 Go`.
pub fn data(mb: u64, lang: Lang) -> String {
    let (number, unit) = data_parts(mb, lang);
    format!("{number}{NBSP}{unit}")
}

/// A range of data amounts, the unit written once when both ends share it: `1–3 GB`,
/// `500 MB–3 GB`; one amount when both ends are equal.
pub fn data_range(low_mb: u64, high_mb: u64, lang: Lang) -> String {
    let (low, low_unit) = data_parts(low_mb, lang);
    let (high, high_unit) = data_parts(high_mb, lang);
    if low == high && low_unit == high_unit {
        data(low_mb, lang)
    } else if low_unit == high_unit {
        format!("{low}–{high}{NBSP}{high_unit}")
    } else {
        format!("{low}{NBSP}{low_unit}–{high}{NBSP}{high_unit}")
    }
}

/// The price of one GB of a plan, exact to the currency's minor unit (rounded half up),
/// in the plan's own currency: `¥340/GB`, `3,00 €/Go`. `None` for a plan without data.
pub fn per_gb(p: &Price, mb: u64, lang: Lang) -> Option<String> {
    if mb == 0 {
        return None;
    }
    let minor = (i128::from(p.minor) * 1024 * 2 + i128::from(mb)) / (i128::from(mb) * 2);
    let per = Price {
        minor: i64::try_from(minor).ok()?,
        ..*p
    };
    Some(format!("{}/{}", price(&per, lang), units(lang).0))
}

/// How long ago something happened, as `Intl.RelativeTimeFormat` takes it: a negative
/// count and its unit, in the largest unit that fits (`-3, "minute"`), never below one
/// second (a clock a little ahead of the proxy's reads as a second ago).
pub fn ago(elapsed_ms: i64) -> (i64, &'static str) {
    let secs = (elapsed_ms / 1000).max(1);
    let (n, unit) = match secs {
        0..60 => (secs, "second"),
        60..3600 => (secs / 60, "minute"),
        3600..86_400 => (secs / 3600, "hour"),
        _ => (secs / 86_400, "day"),
    };
    (-n, unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{cldr_category, Category};

    #[test]
    fn data_counts_as_written() {
        assert_eq!(data_count(500), Count::whole(500));
        assert_eq!(data_count(1024), Count::whole(1));
        let one_and_a_half = data_count(1536);
        assert_eq!(
            (
                one_and_a_half.integer,
                one_and_a_half.fraction,
                one_and_a_half.digits
            ),
            (1, 5, 1)
        );
        assert_eq!(data(1536, Lang::Fr), "1,5\u{a0}Go");
        // "1,5 Go utilisé" in French, "1.5 GB" is plural in English.
        assert_eq!(cldr_category(Lang::Fr, one_and_a_half), Category::One);
        assert_eq!(cldr_category(Lang::En, one_and_a_half), Category::Other);
    }
    use proptest::prelude::*;
    use simology_proxy_api::CurrencyCode;

    fn p(minor: i64, cur: &str, decimals: u8) -> Price {
        Price {
            minor,
            currency: CurrencyCode::parse(cur).expect("code"),
            decimals,
        }
    }

    #[test]
    fn prices_in_usd_eur_and_jpy() {
        assert_eq!(price(&p(1499, "USD", 2), Lang::En), "$14.99");
        assert_eq!(price(&p(1499, "EUR", 2), Lang::En), "€14.99");
        assert_eq!(price(&p(1499, "EUR", 2), Lang::Fr), "14,99\u{a0}€");
        assert_eq!(price(&p(1499, "USD", 2), Lang::Fr), "14,99\u{a0}$US");
        assert_eq!(price(&p(150_000, "EUR", 2), Lang::De), "1.500,00\u{a0}€");
        assert_eq!(price(&p(1500, "JPY", 0), Lang::En), "¥1,500");
        assert_eq!(price(&p(1500, "JPY", 0), Lang::It), "1.500\u{a0}JPY");
        assert_eq!(price(&p(1500, "JPY", 0), Lang::Es), "1500\u{a0}JPY");
        assert_eq!(
            price(&p(1_234_567, "JPY", 0), Lang::Fr),
            "1\u{202f}234\u{202f}567\u{a0}JPY"
        );
        assert_eq!(price(&p(5, "GBP", 2), Lang::En), "£0.05");
        assert_eq!(price(&p(1234, "KWD", 3), Lang::En), "KWD\u{a0}1.234");
        assert_eq!(price(&p(-250, "USD", 2), Lang::En), "-$2.50");
    }

    #[test]
    fn totals_are_exact_in_the_units_currency() {
        let total = |unit: Price, n: u32, lang: Lang| times(&unit, n).map(|t| price(&t, lang));
        assert_eq!(
            total(p(450, "USD", 2), 3, Lang::En).as_deref(),
            Some("$13.50")
        );
        assert_eq!(
            total(p(1499, "EUR", 2), 5, Lang::Fr).as_deref(),
            Some("74,95\u{a0}€")
        );
        assert_eq!(
            total(p(680, "JPY", 0), 4, Lang::De).as_deref(),
            Some("2.720\u{a0}JPY")
        );
        // 0.1 + 0.2 is not 0.3 in floats; 3 × 0.10 € is exactly 0.30 €.
        assert_eq!(
            total(p(10, "EUR", 2), 3, Lang::It).as_deref(),
            Some("0,30\u{a0}€")
        );
        assert_eq!(times(&p(i64::MAX / 2, "USD", 2), 3), None);
    }

    #[test]
    fn data_sizes() {
        assert_eq!(data(500, Lang::En), "500\u{a0}MB");
        assert_eq!(data(1024, Lang::En), "1\u{a0}GB");
        assert_eq!(data(1536, Lang::Fr), "1,5\u{a0}Go");
        assert_eq!(data(0, Lang::Fr), "0\u{a0}Mo");
        assert_eq!(data(1536, Lang::It), "1,5\u{a0}GB");
        assert_eq!(data(51_200, Lang::De), "50\u{a0}GB");
        assert_eq!(
            data(1100, Lang::En),
            "1\u{a0}GB",
            "rounded down, never overstated"
        );
    }

    #[test]
    fn data_ranges() {
        assert_eq!(data_range(1024, 3072, Lang::En), "1–3\u{a0}GB");
        assert_eq!(data_range(1024, 3072, Lang::Fr), "1–3\u{a0}Go");
        assert_eq!(data_range(512, 3072, Lang::Fr), "512\u{a0}Mo–3\u{a0}Go");
        assert_eq!(data_range(20_480, 20_480, Lang::De), "20\u{a0}GB");
    }

    #[test]
    fn prices_per_gb_are_exact_and_in_the_plans_currency() {
        // ¥1,700 for 5 GB: ¥340 a GB.
        assert_eq!(
            per_gb(&p(1700, "JPY", 0), 5120, Lang::En).as_deref(),
            Some("¥340/GB")
        );
        // $14.99 for 5 GB: $2.998 a GB, rounded half up to $3.00.
        assert_eq!(
            per_gb(&p(1499, "USD", 2), 5120, Lang::En).as_deref(),
            Some("$3.00/GB")
        );
        assert_eq!(
            per_gb(&p(1499, "EUR", 2), 5120, Lang::Fr).as_deref(),
            Some("3,00\u{a0}€/Go")
        );
        // 500 MB for €2.00: €4.00 a GB.
        assert_eq!(
            per_gb(&p(200, "EUR", 2), 512, Lang::De).as_deref(),
            Some("4,00\u{a0}€/GB")
        );
        assert_eq!(per_gb(&p(200, "EUR", 2), 0, Lang::En), None);
    }

    #[test]
    fn times_ago_in_the_largest_unit() {
        assert_eq!(ago(0), (-1, "second"));
        assert_eq!(ago(-5_000), (-1, "second"), "a clock ahead of the proxy's");
        assert_eq!(ago(31_000), (-31, "second"));
        assert_eq!(ago(3 * 60_000 + 59_000), (-3, "minute"));
        assert_eq!(ago(2 * 3_600_000), (-2, "hour"));
        assert_eq!(ago(3 * 86_400_000), (-3, "day"));
    }

    proptest! {
        /// The formatted amount reads back to the same minor units, for every
        /// language and number of decimals.
        #[test]
        fn decimals_read_back(minor in -10_000_000_000i64..10_000_000_000, decimals in 0u8..4,
                              lang in prop::sample::select(Lang::ALL.to_vec())) {
            let text = decimal(minor, decimals, lang);
            let style = number_style(lang);
            let plain: String = text
                .chars()
                .filter(|c| Some(*c) != style.group)
                .map(|c| if c == style.decimal { '.' } else { c })
                .collect();
            let (int, frac) = plain.split_once('.').unwrap_or((&plain, ""));
            prop_assert_eq!(frac.len(), usize::from(decimals));
            let negative = int.starts_with('-');
            let back: i64 = format!("{}{}", int.trim_start_matches('-'), frac).parse().expect("digits");
            prop_assert_eq!(if negative { -back } else { back }, minor);
        }
    }
}
