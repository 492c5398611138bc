//! Destination search: accent-insensitive, over names in every language the widget
//! speaks ("Espana", "Spanien" and "Spain" all find España), ranked so that names that
//! start with the query come first.

use simology_proxy_api::{Destination, DestinationKind};

/// Folds text for matching: lowercase, Latin diacritics removed, ligatures expanded,
/// punctuation turned into spaces.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let mapped: &str = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => "c",
            'ď' | 'đ' | 'ð' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
            'ğ' | 'ģ' | 'ĝ' | 'ġ' => "g",
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
            'ķ' => "k",
            'ł' | 'ľ' | 'ĺ' | 'ļ' => "l",
            'ñ' | 'ń' | 'ň' | 'ņ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
            'œ' => "oe",
            'ř' | 'ŕ' => "r",
            'ś' | 'š' | 'ş' | 'ș' => "s",
            'ß' => "ss",
            'ť' | 'ţ' | 'ț' => "t",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
            'ý' | 'ÿ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            'þ' => "th",
            c if c.is_alphanumeric() => {
                out.push(c);
                continue;
            }
            // Apostrophes join ("Côte d'Ivoire" matches "dIvoire" and "d ivoire").
            '\'' | '’' => continue,
            _ => " ",
        };
        out.push_str(mapped);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A destination with every name it may be searched by.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The destination.
    pub destination: Destination,
    /// The name shown (in the widget's language).
    pub display: String,
    /// Folded names in every language, the code included.
    pub keys: Vec<String>,
}

/// A folding function: [`fold`], or the browser's (which needs no Unicode tables in
/// the wasm).
pub type Fold<'a> = &'a dyn Fn(&str) -> String;

impl Entry {
    /// An entry from a destination, its display name and its other names.
    pub fn new(
        destination: Destination,
        display: String,
        other_names: &[String],
        fold: Fold<'_>,
    ) -> Self {
        let mut keys: Vec<String> = std::iter::once(&display)
            .chain(other_names.iter())
            .chain(std::iter::once(&destination.name))
            .map(|n| fold(n))
            .filter(|k| !k.is_empty())
            .collect();
        keys.push(fold(&destination.code));
        keys.dedup();
        Entry {
            destination,
            display,
            keys,
        }
    }
}

fn score(entry: &Entry, query: &str, fold: Fold<'_>) -> Option<u32> {
    let code = fold(&entry.destination.code);
    let mut best: Option<u32> = None;
    let mut take = |s: u32| best = Some(best.map_or(s, |b| b.min(s)));
    if code == query {
        take(0);
    }
    for (i, key) in entry.keys.iter().enumerate() {
        // The display name outranks the other languages' names.
        let penalty = if i == 0 { 0 } else { 1 };
        if *key == query {
            take(1 + penalty);
        } else if key.starts_with(query) {
            take(3 + penalty);
        } else if key.split(' ').any(|w| w.starts_with(query)) {
            take(5 + penalty);
        } else if query.len() >= 3 && key.contains(query) {
            take(7 + penalty);
        }
    }
    best
}

/// The entries matching a query, best first (ties: countries before regions, then by
/// display name). An empty query matches nothing.
pub fn search<'a>(entries: &'a [Entry], query: &str, fold: Fold<'_>) -> Vec<&'a Entry> {
    let q = fold(query);
    if q.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<(u32, &Entry)> = entries
        .iter()
        .filter_map(|e| score(e, &q, fold).map(|s| (s, e)))
        .collect();
    crate::sorting::sort_small(&mut hits, |(sa, a), (sb, b)| {
        sa.cmp(sb)
            .then(
                (a.destination.kind == DestinationKind::Region)
                    .cmp(&(b.destination.kind == DestinationKind::Region)),
            )
            .then_with(|| a.keys.first().cmp(&b.keys.first()))
    });
    hits.into_iter().map(|(_, e)| e).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(code: &str, name: &str, kind: DestinationKind) -> Destination {
        Destination {
            kind,
            code: code.into(),
            name: name.into(),
            plan_count: 1,
            lowest_price: None,
            countries: vec![],
        }
    }

    fn entries() -> Vec<Entry> {
        vec![
            Entry::new(
                dest("ES", "Spain", DestinationKind::Country),
                "Spain".into(),
                &["España".into(), "Espagne".into(), "Spanien".into()],
                &fold,
            ),
            Entry::new(
                dest("US", "United States", DestinationKind::Country),
                "United States".into(),
                &["États-Unis".into()],
                &fold,
            ),
            Entry::new(
                dest("AE", "United Arab Emirates", DestinationKind::Country),
                "United Arab Emirates".into(),
                &[],
                &fold,
            ),
            Entry::new(
                dest("GB", "United Kingdom", DestinationKind::Country),
                "United Kingdom".into(),
                &[],
                &fold,
            ),
            Entry::new(
                dest("europe", "Europe", DestinationKind::Region),
                "Europe".into(),
                &[],
                &fold,
            ),
            Entry::new(
                dest("western-europe", "Western Europe", DestinationKind::Region),
                "Western Europe".into(),
                &[],
                &fold,
            ),
            Entry::new(
                dest("TR", "Türkiye", DestinationKind::Country),
                "Türkiye".into(),
                &["Turkey".into()],
                &fold,
            ),
            Entry::new(
                dest("CI", "Côte d'Ivoire", DestinationKind::Country),
                "Côte d'Ivoire".into(),
                &[],
                &fold,
            ),
        ]
    }

    fn codes(q: &str) -> Vec<String> {
        let e = entries();
        search(&e, q, &fold)
            .iter()
            .map(|x| x.destination.code.clone())
            .collect()
    }

    #[test]
    fn accent_insensitive_in_every_language() {
        assert_eq!(codes("Espana"), vec!["ES"]);
        assert_eq!(codes("españa"), vec!["ES"]);
        assert_eq!(codes("spanien"), vec!["ES"]);
        assert_eq!(codes("etats"), vec!["US"]);
        assert_eq!(codes("turk"), vec!["TR"]);
        assert_eq!(codes("cote d'iv"), vec!["CI"]);
    }

    #[test]
    fn ranking_and_codes() {
        assert_eq!(codes("united"), vec!["AE", "GB", "US"]);
        assert_eq!(codes("us"), vec!["US"]);
        assert_eq!(codes("europe"), vec!["europe", "western-europe"]);
        assert_eq!(codes("kingdom"), vec!["GB"]);
        assert!(codes("").is_empty());
        assert!(codes("zzz").is_empty());
        assert_eq!(fold("  Œuvre  Straße "), "oeuvre strasse");
    }
}
