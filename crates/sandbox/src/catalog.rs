//! The sandbox's catalogue: 48 countries, seven regional bundles, several sizes and
//! validities each, prices in USD, EUR, GBP and JPY, and a few SKUs that cannot be sold.
//!
//! It is the same for every seed, so tests can name SKUs.

use simology::models::CatalogItem;
use simology::{Currency, Money};

/// A country: ISO code, English name, currency, and a price level (percent of base).
struct Country {
    code: &'static str,
    name: &'static str,
    currency: &'static str,
    level: u32,
}

const fn c(code: &'static str, name: &'static str, currency: &'static str, level: u32) -> Country {
    Country {
        code,
        name,
        currency,
        level,
    }
}

const COUNTRIES: &[Country] = &[
    c("US", "United States", "USD", 100),
    c("CA", "Canada", "USD", 110),
    c("MX", "Mexico", "USD", 90),
    c("GB", "United Kingdom", "GBP", 80),
    c("IE", "Ireland", "EUR", 90),
    c("FR", "France", "EUR", 90),
    c("DE", "Germany", "EUR", 90),
    c("IT", "Italy", "EUR", 90),
    c("ES", "Spain", "EUR", 90),
    c("PT", "Portugal", "EUR", 85),
    c("NL", "Netherlands", "EUR", 90),
    c("BE", "Belgium", "EUR", 90),
    c("LU", "Luxembourg", "EUR", 95),
    c("AT", "Austria", "EUR", 90),
    c("CH", "Switzerland", "EUR", 130),
    c("GR", "Greece", "EUR", 85),
    c("PL", "Poland", "EUR", 80),
    c("CZ", "Czechia", "EUR", 80),
    c("HU", "Hungary", "EUR", 80),
    c("HR", "Croatia", "EUR", 85),
    c("RO", "Romania", "EUR", 80),
    c("SE", "Sweden", "EUR", 95),
    c("NO", "Norway", "EUR", 110),
    c("DK", "Denmark", "EUR", 95),
    c("FI", "Finland", "EUR", 95),
    c("IS", "Iceland", "EUR", 120),
    c("JP", "Japan", "JPY", 100),
    c("KR", "South Korea", "USD", 100),
    c("CN", "China", "USD", 120),
    c("HK", "Hong Kong", "USD", 90),
    c("TW", "Taiwan", "USD", 90),
    c("TH", "Thailand", "USD", 70),
    c("VN", "Vietnam", "USD", 70),
    c("SG", "Singapore", "USD", 90),
    c("MY", "Malaysia", "USD", 70),
    c("ID", "Indonesia", "USD", 75),
    c("PH", "Philippines", "USD", 80),
    c("IN", "India", "USD", 70),
    c("AU", "Australia", "USD", 110),
    c("NZ", "New Zealand", "USD", 115),
    c("AE", "United Arab Emirates", "USD", 140),
    c("TR", "Türkiye", "USD", 90),
    c("IL", "Israel", "USD", 110),
    c("EG", "Egypt", "USD", 100),
    c("MA", "Morocco", "USD", 95),
    c("ZA", "South Africa", "USD", 120),
    c("BR", "Brazil", "USD", 100),
    c("AR", "Argentina", "USD", 105),
    c("CL", "Chile", "USD", 100),
    c("CO", "Colombia", "USD", 95),
    c("PE", "Peru", "USD", 95),
];

/// A regional bundle: slug, SKU prefix, English name, currency, price level, countries.
struct Region {
    slug: &'static str,
    prefix: &'static str,
    name: &'static str,
    currency: &'static str,
    level: u32,
    countries: &'static [&'static str],
}

const WESTERN_EUROPE: &[&str] = &[
    "AT", "BE", "CH", "DE", "ES", "FR", "GB", "IE", "IT", "LU", "NL", "PT",
];

const REGIONS: &[Region] = &[
    Region {
        slug: "western-europe",
        prefix: "WEU",
        name: "Western Europe",
        currency: "EUR",
        level: 110,
        countries: WESTERN_EUROPE,
    },
    Region {
        slug: "europe",
        prefix: "EUR",
        name: "Europe",
        currency: "EUR",
        level: 125,
        countries: &[
            "AT", "BE", "CH", "CZ", "DE", "DK", "ES", "FI", "FR", "GB", "GR", "HR", "HU", "IE",
            "IS", "IT", "LU", "NL", "NO", "PL", "PT", "RO", "SE", "TR",
        ],
    },
    Region {
        slug: "north-america",
        prefix: "NAM",
        name: "North America",
        currency: "USD",
        level: 120,
        countries: &["CA", "MX", "US"],
    },
    Region {
        slug: "asia",
        prefix: "ASIA",
        name: "Asia",
        currency: "USD",
        level: 130,
        countries: &[
            "CN", "HK", "ID", "IN", "JP", "KR", "MY", "PH", "SG", "TH", "TW", "VN",
        ],
    },
    Region {
        slug: "latin-america",
        prefix: "LATAM",
        name: "Latin America",
        currency: "USD",
        level: 130,
        countries: &["AR", "BR", "CL", "CO", "MX", "PE"],
    },
    Region {
        slug: "middle-east",
        prefix: "MEA",
        name: "Middle East and North Africa",
        currency: "USD",
        level: 140,
        countries: &["AE", "EG", "IL", "MA", "TR"],
    },
    Region {
        slug: "global",
        prefix: "GLOBAL",
        name: "Global",
        currency: "USD",
        level: 180,
        countries: &[
            "AE", "AR", "AU", "AT", "BE", "BR", "CA", "CH", "CL", "CN", "CO", "CZ", "DE", "DK",
            "EG", "ES", "FI", "FR", "GB", "GR", "HK", "HR", "HU", "ID", "IE", "IL", "IN", "IS",
            "IT", "JP", "KR", "LU", "MA", "MX", "MY", "NL", "NO", "NZ", "PE", "PH", "PL", "PT",
            "RO", "SE", "SG", "TH", "TR", "TW", "US", "VN", "ZA",
        ],
    },
];

/// Sizes (MB) and validities (days) of country plans, with a base price in US cents.
const COUNTRY_PLANS: &[(u64, u32, i64)] = &[
    (1024, 7, 450),
    (3072, 15, 900),
    (5120, 30, 1499),
    (10240, 30, 2400),
    (20480, 30, 3800),
    (51200, 90, 7500),
];

/// Sizes and validities of regional bundles, with a base price in US cents.
const REGION_PLANS: &[(u64, u32, i64)] = &[
    (1024, 7, 600),
    (5120, 15, 1800),
    (10240, 30, 2900),
    (20480, 30, 4500),
];

fn size_label(mb: u64) -> String {
    if mb.is_multiple_of(1024) {
        format!("{}GB", mb / 1024)
    } else {
        format!("{mb}MB")
    }
}

fn display_size(mb: u64) -> String {
    if mb.is_multiple_of(1024) {
        format!("{} GB", mb / 1024)
    } else {
        format!("{mb} MB")
    }
}

/// A price from a base in US cents, a level in percent, in a currency: rounded to end
/// in .99 (or to tens of yen for JPY).
fn price(base_cents: i64, level: u32, currency: Currency) -> Money {
    let cents = base_cents * i64::from(level) / 100;
    match currency.code() {
        "JPY" => {
            // About 150 yen to the dollar, to the nearest ten yen.
            let yen = cents * 150 / 100;
            Money::from_minor((yen + 5) / 10 * 10, currency)
        }
        code => {
            let scaled = match code {
                "GBP" => cents * 80 / 100,
                "EUR" => cents * 92 / 100,
                _ => cents,
            };
            // Whole units minus one cent: 14.99, 8.99.
            let units = (scaled + 50) / 100;
            Money::from_minor((units.max(1) * 100) - 1, currency)
        }
    }
}

fn currency(code: &str) -> Currency {
    // Every code in the tables above is a valid three-letter code.
    Currency::parse(code).unwrap_or(Currency::USD)
}

/// Builds the whole catalogue.
pub fn build() -> Vec<CatalogItem> {
    let mut items = Vec::new();
    for (index, country) in COUNTRIES.iter().enumerate() {
        let cur = currency(country.currency);
        for (plan_index, &(mb, days, base)) in COUNTRY_PLANS.iter().enumerate() {
            let sku = format!("{}-{}-{}D", country.code, size_label(mb), days);
            // Every fifth country has its largest plan sold out, and the United
            // States' 50 GB plan is always unavailable, so tests have one to name.
            let sold_out = (plan_index == COUNTRY_PLANS.len() - 1) && (index % 5 == 0);
            items.push(CatalogItem {
                name: format!("{} {} / {} days", country.name, display_size(mb), days),
                region: country.code.to_owned(),
                coverage: vec![country.code.to_owned()],
                data_allowance_mb: mb,
                validity_days: days,
                price: price(base, country.level, cur),
                activation_method: "lpa".into(),
                esim_type: "data".into(),
                terms_url: format!("https://simology.io/esim-{}", slug(country.name)),
                available: !sold_out,
                sku,
            });
        }
    }
    for region in REGIONS {
        let cur = currency(region.currency);
        for &(mb, days, base) in REGION_PLANS {
            let sku = format!("{}-{}-{}D", region.prefix, size_label(mb), days);
            let sold_out = region.slug == "global" && mb == 20480;
            items.push(CatalogItem {
                name: format!("{} {} / {} days", region.name, display_size(mb), days),
                region: region.slug.to_owned(),
                coverage: region.countries.iter().map(|c| (*c).to_owned()).collect(),
                data_allowance_mb: mb,
                validity_days: days,
                price: price(base, region.level, cur),
                activation_method: "lpa".into(),
                esim_type: "data".into(),
                terms_url: format!("https://simology.io/esim-{}", region.slug),
                available: !sold_out,
                sku,
            });
        }
    }
    items
}

fn slug(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| match c {
            'ü' => 'u',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        })
        .collect()
}

/// A plan as upstream drift might send it: `US-1GB-7D` under the SKU `US-DRIFT-1GB-7D`
/// with an over-precise price (`4.999` USD), which the SDK's model refuses. For
/// `PUT /sandbox/catalog/drift`.
pub fn drifted_item() -> serde_json::Value {
    let plan = build().into_iter().find(|i| i.sku == "US-1GB-7D");
    let mut item = plan
        .and_then(|p| serde_json::to_value(p).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    item["sku"] = "US-DRIFT-1GB-7D".into();
    item["price"] = serde_json::json!({"amount": 4.999, "currency": "USD"});
    item
}

/// Whether a drift item belongs in an answer filtered by country or region, judged by
/// its own `coverage` and `region` fields (an item without them is in every answer).
pub(crate) fn drift_matches(
    item: &serde_json::Value,
    country: Option<&str>,
    region: Option<&str>,
) -> bool {
    match (country, region) {
        (Some(country), _) => item["coverage"]
            .as_array()
            .is_none_or(|codes| codes.iter().any(|c| c.as_str() == Some(country))),
        (None, Some(region)) => item["region"].as_str().is_none_or(|r| r == region),
        (None, None) => true,
    }
}

/// Whether a slug names a region of the catalogue.
pub fn is_region(slug: &str) -> bool {
    REGIONS.iter().any(|r| r.slug == slug)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalogue_meets_its_promises() {
        let items = build();
        let countries: HashSet<_> = items
            .iter()
            .filter(|i| i.region.len() == 2)
            .map(|i| i.region.as_str())
            .collect();
        assert!(countries.len() >= 40, "{} countries", countries.len());
        for region in [
            "western-europe",
            "europe",
            "north-america",
            "asia",
            "global",
        ] {
            assert!(items.iter().any(|i| i.region == region), "{region}");
        }
        let currencies: HashSet<_> = items
            .iter()
            .map(|i| i.price.currency().code().to_owned())
            .collect();
        for cur in ["USD", "EUR", "GBP", "JPY"] {
            assert!(currencies.contains(cur), "{cur}");
        }
        assert!(items.iter().any(|i| !i.available));
        let skus: HashSet<_> = items.iter().map(|i| i.sku.as_str()).collect();
        assert_eq!(skus.len(), items.len(), "SKUs are unique");
        let us = items
            .iter()
            .find(|i| i.sku == "US-5GB-30D")
            .expect("the guide's SKU");
        assert_eq!(us.price.minor(), 1499);
        let jp = items
            .iter()
            .find(|i| i.sku == "JP-5GB-30D")
            .expect("a yen plan");
        assert_eq!(jp.price.minor() % 10, 0);
    }

    #[test]
    fn the_drifted_item_is_a_real_plan_but_for_its_price() {
        let item = drifted_item();
        assert_eq!(item["sku"], "US-DRIFT-1GB-7D");
        assert_eq!(item["coverage"], serde_json::json!(["US"]));
        assert!(serde_json::from_value::<CatalogItem>(item.clone()).is_err());
        let mut fixed = item;
        fixed["price"]["amount"] = 4.99.into();
        assert!(serde_json::from_value::<CatalogItem>(fixed).is_ok());
    }
}
