//! Numbers, prices, data sizes and dates, written for a language. Prices are exact:
//! integer minor units are split into whole and fraction digits, never through floats.

use simology_proxy_api::Price;

use crate::i18n::Lang;

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

/// An exact decimal: `minor` with `decimals` fraction digits, in the language's style.
pub fn decimal(minor: i64, decimals: u8, lang: Lang) -> String {
    let style = number_style(lang);
    let negative = minor < 0;
    let digits = minor.unsigned_abs().to_string();
    let scale = usize::from(decimals);
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&group_digits(int, &style));
    if scale > 0 {
        out.push(style.decimal);
        out.push_str(frac);
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

/// A data allowance: `500 MB`, `1 GB`, `1,5 GB` (1 GB = 1024 MB).
pub fn data(mb: u64, lang: Lang) -> String {
    if mb >= 1024 {
        // Tenths of a GB, rounded down so an allowance is never overstated.
        let tenths = mb * 10 / 1024;
        let whole = tenths / 10;
        let frac = tenths % 10;
        if frac == 0 {
            format!(
                "{}{NBSP}GB",
                group_digits(&whole.to_string(), &number_style(lang))
            )
        } else {
            format!(
                "{}{NBSP}GB",
                decimal(i64::try_from(tenths).unwrap_or(i64::MAX), 1, lang)
            )
        }
    } else {
        format!("{mb}{NBSP}MB")
    }
}

const MONTHS: [[&str; 12]; 5] = [
    [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ],
    [
        "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
        "Dez.",
    ],
    [
        "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
    ],
    [
        "gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic",
    ],
];

/// A calendar date from an RFC 3339 timestamp (`2025-02-09T23:59:59Z`): `9 Feb 2025`,
/// `9 févr. 2025`, `9. Feb. 2025`. The date is the UTC date; `None` when malformed.
pub fn date(rfc3339: &str, lang: Lang) -> Option<String> {
    let day_part = rfc3339.get(..10)?;
    let mut parts = day_part.split('-');
    let year: u32 = parts.next()?.parse().ok()?;
    let month: usize = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let index = Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0);
    let m = MONTHS[index][month - 1];
    Some(match lang {
        Lang::De => format!("{day}. {m} {year}"),
        _ => format!("{day} {m} {year}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn data_sizes() {
        assert_eq!(data(500, Lang::En), "500\u{a0}MB");
        assert_eq!(data(1024, Lang::En), "1\u{a0}GB");
        assert_eq!(data(1536, Lang::Fr), "1,5\u{a0}GB");
        assert_eq!(data(51_200, Lang::De), "50\u{a0}GB");
        assert_eq!(
            data(1100, Lang::En),
            "1\u{a0}GB",
            "rounded down, never overstated"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(
            date("2025-02-09T23:59:59Z", Lang::En).as_deref(),
            Some("9 Feb 2025")
        );
        assert_eq!(
            date("2025-02-09T23:59:59Z", Lang::Fr).as_deref(),
            Some("9 févr. 2025")
        );
        assert_eq!(
            date("2025-03-01T00:00:00Z", Lang::De).as_deref(),
            Some("1. März 2025")
        );
        assert_eq!(date("nonsense", Lang::En), None);
        assert_eq!(date("2025-13-01T00:00:00Z", Lang::En), None);
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
