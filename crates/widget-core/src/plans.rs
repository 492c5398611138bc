//! Plan lists: sorting and grouping into country plans and regional bundles.

use simology_proxy_api::{DestinationKind, Plan};

/// How plans are sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// Cheapest first (within a currency).
    #[default]
    Price,
    /// Most data first.
    Data,
    /// Longest validity first.
    Validity,
}

impl SortBy {
    /// From a `<select>` value.
    pub fn parse(value: &str) -> SortBy {
        match value {
            "data" => SortBy::Data,
            "validity" => SortBy::Validity,
            _ => SortBy::Price,
        }
    }

    /// The `<select>` value.
    pub fn value(self) -> &'static str {
        match self {
            SortBy::Price => "price",
            SortBy::Data => "data",
            SortBy::Validity => "validity",
        }
    }
}

/// Sorts plans; sold-out plans go last, ties break by price then SKU.
pub fn sort(plans: &mut [Plan], by: SortBy) {
    crate::sorting::sort_small(plans, |a, b| {
        let primary = match by {
            SortBy::Price => {
                (a.price.currency, a.price.minor).cmp(&(b.price.currency, b.price.minor))
            }
            SortBy::Data => b.data_mb.cmp(&a.data_mb),
            SortBy::Validity => b.validity_days.cmp(&a.validity_days),
        };
        (!a.available)
            .cmp(&!b.available)
            .then(primary)
            .then(a.price.minor.cmp(&b.price.minor))
            .then_with(|| a.sku.cmp(&b.sku))
    });
}

/// Country plans and regional bundles, apart, each sorted.
pub fn grouped(plans: &[Plan], by: SortBy) -> (Vec<Plan>, Vec<Plan>) {
    let (mut own, mut bundles): (Vec<Plan>, Vec<Plan>) = plans
        .iter()
        .cloned()
        .partition(|p| p.kind == DestinationKind::Country);
    sort(&mut own, by);
    sort(&mut bundles, by);
    (own, bundles)
}

#[cfg(test)]
mod tests {
    use super::*;
    use simology_proxy_api::{CurrencyCode, Price};

    fn plan(
        sku: &str,
        kind: DestinationKind,
        mb: u64,
        days: u32,
        minor: i64,
        available: bool,
    ) -> Plan {
        Plan {
            sku: sku.into(),
            name: sku.into(),
            kind,
            destination: "FR".into(),
            coverage: vec!["FR".into()],
            data_mb: mb,
            validity_days: days,
            price: Price {
                minor,
                currency: CurrencyCode::parse("EUR").expect("code"),
                decimals: 2,
            },
            available,
            terms_url: String::new(),
        }
    }

    #[test]
    fn sorts_three_ways_with_sold_out_last() {
        let plans = vec![
            plan("A", DestinationKind::Country, 1024, 7, 500, true),
            plan("B", DestinationKind::Country, 10240, 30, 2000, true),
            plan("C", DestinationKind::Country, 5120, 90, 1500, true),
            plan("D", DestinationKind::Country, 51200, 90, 100, false),
            plan("R", DestinationKind::Region, 5120, 15, 1800, true),
        ];
        let skus = |v: &[Plan]| v.iter().map(|p| p.sku.clone()).collect::<Vec<_>>();
        let (own, bundles) = grouped(&plans, SortBy::Price);
        assert_eq!(skus(&own), ["A", "C", "B", "D"]);
        assert_eq!(skus(&bundles), ["R"]);
        let (own, _) = grouped(&plans, SortBy::Data);
        assert_eq!(skus(&own), ["B", "C", "A", "D"]);
        let (own, _) = grouped(&plans, SortBy::Validity);
        assert_eq!(skus(&own), ["C", "B", "A", "D"]);
        assert_eq!(SortBy::parse("validity"), SortBy::Validity);
        assert_eq!(SortBy::parse("bogus"), SortBy::Price);
    }
}
