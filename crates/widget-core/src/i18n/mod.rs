//! The widget's words in English, French, German, Spanish and Italian.
//!
//! Each language is one [`Strings`] value: a missing translation is a compile error,
//! not an English word in a French page. Placeholders are `{name}`, filled by [`fill`].

/// A language the widget speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
    /// German.
    De,
    /// Spanish.
    Es,
    /// Italian.
    It,
}

impl Lang {
    /// Every language.
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Fr, Lang::De, Lang::Es, Lang::It];

    /// The language of a BCP 47 tag (`fr-CA` is French); `None` for others.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            "de" => Some(Lang::De),
            "es" => Some(Lang::Es),
            "it" => Some(Lang::It),
            _ => None,
        }
    }

    /// The first supported language among an attribute and the browser's preferences,
    /// else English.
    pub fn negotiate<'a>(
        attribute: Option<&str>,
        browser: impl IntoIterator<Item = &'a str>,
    ) -> Lang {
        attribute
            .and_then(Lang::from_tag)
            .or_else(|| browser.into_iter().find_map(Lang::from_tag))
            .unwrap_or(Lang::En)
    }

    /// The tag, for `lang` attributes and `Intl`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Es => "es",
            Lang::It => "it",
        }
    }

    /// The words.
    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
            Lang::De => &DE,
            Lang::Es => &ES,
            Lang::It => &IT,
        }
    }
}

/// Fills `{name}` placeholders.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// A number as plural rules read it: its integer digits and the fraction digits it is
/// written with (`1,5 Go` is 1 and 5 in one digit; `2` has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// The integer part (CLDR's `i`).
    pub integer: u64,
    /// The fraction digits as written, as an integer (CLDR's `f`).
    pub fraction: u32,
    /// How many fraction digits are written (CLDR's `v`).
    pub digits: u8,
}

impl Count {
    /// A whole number.
    pub fn whole(n: u64) -> Count {
        Count {
            integer: n,
            fraction: 0,
            digits: 0,
        }
    }

    /// The number as a JavaScript number takes it (`Intl.PluralRules.select`), with its
    /// fraction digits given as `minimumFractionDigits`.
    pub fn value(self) -> f64 {
        // Counts the widget shows are far below 2^53: the casts are exact.
        #[allow(clippy::cast_precision_loss)]
        let value =
            self.integer as f64 + f64::from(self.fraction) / 10f64.powi(i32::from(self.digits));
        value
    }
}

impl From<u64> for Count {
    fn from(n: u64) -> Count {
        Count::whole(n)
    }
}

impl From<u32> for Count {
    fn from(n: u32) -> Count {
        Count::whole(u64::from(n))
    }
}

impl From<usize> for Count {
    fn from(n: usize) -> Count {
        Count::whole(u64::try_from(n).unwrap_or(u64::MAX))
    }
}

/// The CLDR plural categories these five languages use for the widget's counts. French,
/// Spanish and Italian also have `many`, for exact millions ("1 million de pays"); no
/// count the widget shows comes near, and the browser's `many` takes the `other` form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// `one`: English, German and Italian 1; Spanish 1; French 0, 1 and 0.5 or 1.5.
    One,
    /// Everything else.
    Other,
}

/// Where the category of a count comes from: in the browser, `Intl.PluralRules`
/// (installed by the widget with [`use_plural_rules`]); `None` where it has no answer.
type Rules = fn(Lang, Count) -> Option<Category>;

static RULES: std::sync::OnceLock<Rules> = std::sync::OnceLock::new();

/// Takes plural categories from `rules` (the browser's `Intl.PluralRules`) from now on;
/// [`cldr_category`] answers where it does not, and on the proxy, which renders the
/// first screen with the same components.
pub fn use_plural_rules(rules: Rules) {
    let _ = RULES.set(rules);
}

/// The CLDR cardinal rules of the five languages (CLDR 45), for where the browser's are
/// not at hand: English, German and Italian `one` is `i = 1 and v = 0`, Spanish `n = 1`,
/// French `i = 0,1`.
pub fn cldr_category(lang: Lang, n: Count) -> Category {
    let one = match lang {
        Lang::En | Lang::De | Lang::It => n.integer == 1 && n.digits == 0,
        Lang::Es => n.integer == 1 && n.fraction == 0,
        Lang::Fr => n.integer <= 1,
    };
    if one {
        Category::One
    } else {
        Category::Other
    }
}

/// The category of a count in a language: the browser's, else CLDR's.
pub fn category(lang: Lang, n: Count) -> Category {
    RULES
        .get()
        .and_then(|rules| rules(lang, n))
        .unwrap_or_else(|| cldr_category(lang, n))
}

/// Italian elides "dal" and "al" before a number said with a vowel: the days 1
/// ("uno"), 8 ("otto") and 11 ("undici") of a date: "dall'8 mar", "all'11 apr".
#[cfg(feature = "status")]
fn elide_italian(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let word_start = out.is_empty() || out.ends_with(' ');
        let prep = ["dal ", "al "]
            .into_iter()
            .find(|p| word_start && rest.starts_with(p));
        if let Some(prep) = prep {
            let after = &rest[prep.len()..];
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            if matches!(digits.as_str(), "1" | "8" | "11") {
                out.push_str(prep.trim_end());
                out.push_str("l'");
                rest = after;
                continue;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

/// A count-bearing text: one form per plural category, each with its placeholders.
#[derive(Debug)]
pub struct Plural {
    /// The language, whose rules pick the form.
    pub lang: Lang,
    /// The `one` form.
    pub one: &'static str,
    /// The `other` form.
    pub other: &'static str,
}

impl Plural {
    /// The form for a count.
    pub fn form(&self, n: impl Into<Count>) -> &'static str {
        match category(self.lang, n.into()) {
            Category::One => self.one,
            Category::Other => self.other,
        }
    }

    /// The form for a whole count, with `{n}` filled.
    pub fn n(&self, n: impl Into<u64>) -> String {
        let n = n.into();
        fill(self.form(n), &[("n", &n.to_string())])
    }
}

/// Defines [`Strings`] with one `&'static str` field per text and one [`Plural`] per
/// count-bearing text, and (for the tests) lists of every field, so that checks over all
/// texts cannot miss a new one. The texts in brackets are the order status screens' only
/// (the `status` feature): the widget's picker module does not carry them.
macro_rules! strings {
    (
        $($name:ident,)* [$($status:ident,)*] $($more:ident,)*
        ; plurals: $($plural:ident,)* [$($status_plural:ident,)*]
    ) => {
        /// Every text the widget shows.
        #[derive(Debug)]
        pub struct Strings {
            $(pub $name: &'static str,)*
            $(#[cfg(feature = "status")] pub $status: &'static str,)*
            $(pub $more: &'static str,)*
            $(pub $plural: Plural,)*
            $(#[cfg(feature = "status")] pub $status_plural: Plural,)*
        }

        impl Strings {
            /// Every text, with its field's name.
            #[cfg(test)]
            fn all(&self) -> Vec<(&'static str, &'static str)> {
                let mut all = vec![$((stringify!($name), self.$name)),*];
                #[cfg(feature = "status")]
                all.extend([$((stringify!($status), self.$status)),*]);
                all.extend([$((stringify!($more), self.$more)),*]);
                all
            }

            /// Every count-bearing text, with its field's name.
            #[cfg(test)]
            fn all_plurals(&self) -> Vec<(&'static str, &Plural)> {
                #[allow(unused_mut)]
                let mut all = vec![$((stringify!($plural), &self.$plural)),*];
                #[cfg(feature = "status")]
                all.extend([$((stringify!($status_plural), &self.$status_plural)),*]);
                all
            }
        }
    };
}

/// One language's [`Strings`], written as [`strings!`] lists the texts: the bracketed
/// ones only with the `status` feature; each plural as its `[one, other]` forms.
macro_rules! language {
    (
        $lang:expr;
        $($name:ident: $text:expr,)* [$($status:ident: $status_text:expr,)*] $($more:ident: $more_text:expr,)*
        ; plurals: $($plural:ident: [$one:expr, $other:expr],)*
        [$($status_plural:ident: [$status_one:expr, $status_other:expr],)*]
    ) => {
        Strings {
            $($name: $text,)*
            $(#[cfg(feature = "status")] $status: $status_text,)*
            $($more: $more_text,)*
            $($plural: Plural { lang: $lang, one: $one, other: $other },)*
            $(#[cfg(feature = "status")] $status_plural: Plural { lang: $lang, one: $status_one, other: $status_other },)*
        }
    };
}

strings! {
    search_label, search_placeholder, search_no_match, kind_country,
    kind_region, from_price, plans_for, scope_label, scope_own, scope_regional, best_value,
    no_match, clear_filters, sort_label, sort_price, sort_data, sort_validity, sold_out,
    choose, choose_plan, loading, load_failed, retry, no_plans,
    change_destination, back, checkout_title, email_label, email_hint, email_invalid,
    terms_before, terms_link, pay, redirecting, pay_link,
    [
        order_title, order_reference, step_payment,
        step_preparing, step_ready, status_pending, status_paid, status_provisioning,
        status_ready, status_declined, status_provisioning_failed, status_failed,
        status_expired, status_refunded, status_topup_ready, choose_again, offline, ready_scan,
        scan_other, other_device, save_qr, copy_all, share, how_iphone_manual, qr_label,
        manual_title, smdp_label, code_label, copy, copy_smdp, copy_code,
        smdp_copied, code_copied, details_copied, copy_failed, of_traveller, install_iphone,
        install_android, how_title, how_iphone, how_android, how_samsung, keep_primary,
        install_before, valid_between, plan_details, usage_title, usage_measured,
        topup_title, topup_add, new_purchase, traveller, line_refunded, share_traveller,
        copy_traveller,
    ]
    err_email, err_sold_out, err_rate_limited, err_offline,
    err_upstream, err_network, err_not_found, err_conflict, err_generic, err_payment_page,
    region_western_europe, region_europe, region_north_america, region_asia,
    region_latin_america, region_middle_east, region_global, widget_label, colon,
    shop_unavailable,
    travellers_label, travellers_hint, err_quantity,
    ; plurals: days, covers_countries, search_results, plans_shown, total,
    [usage_used, usage_left, status_lines, status_ready_many,]
}

impl Strings {
    /// "1 day" or "30 days".
    pub fn days(&self, n: u32) -> String {
        self.days.n(n)
    }

    /// "Valid from 8 Mar 2026 to 7 Apr 2026", with Italian's elision before a day
    /// said with a vowel ("dall'8", "all'11", never "dal 8").
    #[cfg(feature = "status")]
    pub fn valid_between(&self, from: &str, until: &str) -> String {
        let text = fill(self.valid_between, &[("from", from), ("until", until)]);
        if self.days.lang == Lang::It {
            elide_italian(&text)
        } else {
            text
        }
    }

    /// A range of days, "3–7 days": `other` in the five languages (CLDR's plural ranges
    /// give a range its end's category, and an end above 1 is `other`).
    pub fn days_range(&self, low: u32, high: u32) -> String {
        fill(self.days.other, &[("n", &format!("{low}–{high}"))])
    }

    /// A region's name, when the widget knows it.
    pub fn region(&self, slug: &str) -> Option<&'static str> {
        Some(match slug {
            "western-europe" => self.region_western_europe,
            "europe" => self.region_europe,
            "north-america" => self.region_north_america,
            "asia" => self.region_asia,
            "latin-america" => self.region_latin_america,
            "middle-east" => self.region_middle_east,
            "global" => self.region_global,
            _ => return None,
        })
    }
}

// One file per language, each a `language!` of every text (the macros above).
mod de;
mod en;
mod es;
mod fr;
mod it;

pub use de::DE;
pub use en::EN;
pub use es::ES;
pub use fr::FR;
pub use it::IT;

/// The `{name}` placeholders of a text, sorted (the tests of every language's texts).
#[cfg(test)]
pub(crate) fn placeholders(t: &str) -> Vec<String> {
    let mut v: Vec<String> = t
        .split('{')
        .skip(1)
        .filter_map(|p| p.split('}').next())
        .map(str::to_owned)
        .collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests;
