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

/// Which of a destination's plans show: a country's own, or the regional bundles that
/// include it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The destination's own plans (for a region: all of its plans).
    Own,
    /// Regional bundles that include the country.
    Regional,
}

/// A destination's plans, its own apart from the regional bundles that include it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes {
    /// The destination's own plans.
    pub own: Vec<Plan>,
    /// The regional bundles that include it (none for a region).
    pub regional: Vec<Plan>,
}

impl Scopes {
    /// Splits the plans of a destination of `kind`: for a country, its plans from the
    /// bundles; for a region, every plan is its own.
    pub fn of(plans: &[Plan], kind: DestinationKind) -> Scopes {
        let (own, regional) = plans
            .iter()
            .cloned()
            .partition(|p| kind == DestinationKind::Region || p.kind == DestinationKind::Country);
        Scopes { own, regional }
    }

    /// Whether there is a choice to offer (both kinds of plans exist).
    pub fn both(&self) -> bool {
        !self.own.is_empty() && !self.regional.is_empty()
    }

    /// The scope to open on: the destination's own plans, unless it has none.
    pub fn first(&self) -> Scope {
        if self.own.is_empty() && !self.regional.is_empty() {
            Scope::Regional
        } else {
            Scope::Own
        }
    }

    /// The plans of a scope.
    pub fn plans(&self, scope: Scope) -> &[Plan] {
        match scope {
            Scope::Own => &self.own,
            Scope::Regional => &self.regional,
        }
    }
}

/// A filter chip: the plans whose value falls in one band. Its label comes from the
/// lowest and highest value among the plans in the band, so a chip only ever names
/// amounts the catalogue has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chip {
    /// The band (see [`DATA_BANDS_MB`] and [`DAY_BANDS`]).
    pub band: u8,
    /// The lowest value in it.
    pub low: u64,
    /// The highest value in it.
    pub high: u64,
}

/// Upper limits of the data bands, in MB: up to 3 GB (a short or light trip), up to
/// 10 GB, and more.
pub const DATA_BANDS_MB: [u64; 2] = [3 * 1024, 10 * 1024];

/// Upper limits of the validity bands, in days: a week, two weeks, a month, and more.
pub const DAY_BANDS: [u64; 3] = [7, 15, 30];

fn band(value: u64, limits: &[u64]) -> u8 {
    // At most four bands: the cast cannot truncate.
    limits.iter().take_while(|l| value > **l).count() as u8
}

fn chips(values: impl Iterator<Item = u64>, limits: &[u64]) -> Vec<Chip> {
    let mut out: Vec<Chip> = Vec::new();
    for value in values {
        let b = band(value, limits);
        match out.iter_mut().find(|c| c.band == b) {
            Some(chip) => {
                chip.low = chip.low.min(value);
                chip.high = chip.high.max(value);
            }
            None => out.push(Chip {
                band: b,
                low: value,
                high: value,
            }),
        }
    }
    crate::sorting::sort_small(&mut out, |a, b| a.band.cmp(&b.band));
    // One band is no choice.
    if out.len() < 2 {
        out.clear();
    }
    out
}

/// The data chips for some plans (none when they all fall in one band).
pub fn data_chips(plans: &[Plan]) -> Vec<Chip> {
    chips(plans.iter().map(|p| p.data_mb), &DATA_BANDS_MB)
}

/// The validity chips for some plans (none when they all fall in one band).
pub fn day_chips(plans: &[Plan]) -> Vec<Chip> {
    chips(plans.iter().map(|p| u64::from(p.validity_days)), &DAY_BANDS)
}

/// A row of toggles over a destination's plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    /// The switch between scopes: band 0 is [`Scope::Own`], 1 [`Scope::Regional`].
    Scope,
    /// The data chips.
    Data,
    /// The validity chips.
    Days,
}

/// What the traveller chose over a destination's plans: a scope, and at most one band
/// of data and one of validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    /// The plans shown.
    pub scope: Scope,
    /// A data band.
    pub data: Option<u8>,
    /// A validity band.
    pub days: Option<u8>,
}

impl Filter {
    /// A scope, no chip chosen.
    pub fn on(scope: Scope) -> Filter {
        Filter {
            scope,
            data: None,
            days: None,
        }
    }

    /// Whether a plan passes the chips.
    pub fn keeps(&self, plan: &Plan) -> bool {
        self.data
            .is_none_or(|b| band(plan.data_mb, &DATA_BANDS_MB) == b)
            && self
                .days
                .is_none_or(|b| band(u64::from(plan.validity_days), &DAY_BANDS) == b)
    }

    /// Whether the toggle of `band` in `facet` is pressed.
    pub fn pressed(&self, facet: Facet, band: u8) -> bool {
        match facet {
            Facet::Scope => (self.scope == Scope::Regional) == (band == 1),
            Facet::Data => self.data == Some(band),
            Facet::Days => self.days == Some(band),
        }
    }

    /// Presses the toggle of `band` in `facet`: another scope lets go of the chips (its
    /// plans have bands of their own); a chip is chosen, or let go of when it was.
    pub fn press(&mut self, facet: Facet, band: u8) {
        let toggled = |current: Option<u8>| (current != Some(band)).then_some(band);
        match facet {
            Facet::Scope => {
                let scope = if band == 1 {
                    Scope::Regional
                } else {
                    Scope::Own
                };
                if scope != self.scope {
                    *self = Filter::on(scope);
                }
            }
            Facet::Data => self.data = toggled(self.data),
            Facet::Days => self.days = toggled(self.days),
        }
    }
}

/// The plans that pass a filter, sorted.
pub fn shown(plans: &[Plan], filter: Filter, by: SortBy) -> Vec<Plan> {
    let mut out: Vec<Plan> = plans.iter().filter(|p| filter.keeps(p)).cloned().collect();
    sort(&mut out, by);
    out
}

/// The best value among some plans: in each currency with at least two plans available,
/// the available plan with the lowest price per GB; a tie goes to the plan with more
/// data, then to the longer validity. Prices in different currencies are never compared.
pub fn best_value(plans: &[Plan]) -> Vec<&str> {
    let candidates: Vec<&Plan> = plans
        .iter()
        .filter(|p| p.available && p.data_mb > 0)
        .collect();
    let mut best: Vec<&Plan> = Vec::new();
    for plan in &candidates {
        let same = |o: &Plan| {
            o.price.currency == plan.price.currency && o.price.decimals == plan.price.decimals
        };
        match best.iter_mut().find(|b| same(b)) {
            Some(b) => {
                // minor/mb against minor/mb, cross-multiplied: exact.
                let ours = i128::from(plan.price.minor) * i128::from(b.data_mb);
                let theirs = i128::from(b.price.minor) * i128::from(plan.data_mb);
                let better = ours
                    .cmp(&theirs)
                    .then(b.data_mb.cmp(&plan.data_mb))
                    .then(b.validity_days.cmp(&plan.validity_days))
                    .is_lt();
                if better {
                    *b = plan;
                }
            }
            None if candidates.iter().filter(|o| same(o)).count() >= 2 => best.push(plan),
            None => {}
        }
    }
    best.into_iter().map(|p| p.sku.as_str()).collect()
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

    fn skus(v: &[Plan]) -> Vec<String> {
        v.iter().map(|p| p.sku.clone()).collect()
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
        let scopes = Scopes::of(&plans, DestinationKind::Country);
        let own = |by| skus(&shown(&scopes.own, Filter::on(Scope::Own), by));
        assert_eq!(own(SortBy::Price), ["A", "C", "B", "D"]);
        assert_eq!(skus(&scopes.regional), ["R"]);
        assert_eq!(own(SortBy::Data), ["B", "C", "A", "D"]);
        assert_eq!(own(SortBy::Validity), ["C", "B", "A", "D"]);
        assert_eq!(SortBy::parse("validity"), SortBy::Validity);
        assert_eq!(SortBy::parse("bogus"), SortBy::Price);
    }

    #[test]
    fn a_country_opens_on_its_own_plans_and_a_region_has_only_its_own() {
        let plans = vec![
            plan("JP", DestinationKind::Country, 1024, 7, 500, true),
            plan("ASIA", DestinationKind::Region, 1024, 7, 600, true),
        ];
        let country = Scopes::of(&plans, DestinationKind::Country);
        assert!(country.both());
        assert_eq!(country.first(), Scope::Own);
        assert_eq!(skus(country.plans(Scope::Regional)), ["ASIA"]);
        let region = Scopes::of(&plans[1..], DestinationKind::Region);
        assert!(!region.both());
        assert_eq!(skus(region.plans(Scope::Own)), ["ASIA"]);
        // A country with bundles only opens on them.
        let bundles_only = Scopes::of(&plans[1..], DestinationKind::Country);
        assert!(!bundles_only.both());
        assert_eq!(bundles_only.first(), Scope::Regional);
    }

    /// Japan's country plans as the sandbox sells them.
    fn japan() -> Vec<Plan> {
        [(1, 7), (3, 15), (5, 30), (10, 30), (20, 30), (50, 90)]
            .iter()
            .map(|&(gb, days)| {
                let sku = format!("JP-{gb}GB-{days}D");
                plan(&sku, DestinationKind::Country, gb * 1024, days, 0, true)
            })
            .collect()
    }

    #[test]
    fn chips_name_the_amounts_of_each_band_and_filter_by_it() {
        let plans = japan();
        let chip = |band, low, high| Chip { band, low, high };
        assert_eq!(
            data_chips(&plans),
            [
                chip(0, 1024, 3072),
                chip(1, 5120, 10240),
                chip(2, 20480, 51200)
            ]
        );
        assert_eq!(
            day_chips(&plans),
            [
                chip(0, 7, 7),
                chip(1, 15, 15),
                chip(2, 30, 30),
                chip(3, 90, 90)
            ]
        );
        let mut filter = Filter::on(Scope::Own);
        filter.press(Facet::Data, 2);
        assert!(filter.pressed(Facet::Data, 2) && !filter.pressed(Facet::Data, 1));
        assert_eq!(
            skus(&shown(&plans, filter, SortBy::Data)),
            ["JP-50GB-90D", "JP-20GB-30D"]
        );
        filter.press(Facet::Data, 1);
        filter.press(Facet::Days, 2);
        assert_eq!(
            skus(&shown(&plans, filter, SortBy::Data)),
            ["JP-10GB-30D", "JP-5GB-30D"]
        );
        // A second press lets go.
        filter.press(Facet::Days, 2);
        assert_eq!(shown(&plans, filter, SortBy::Data).len(), 2);
        filter.press(Facet::Days, 3);
        assert!(shown(&plans, filter, SortBy::Price).is_empty());
        // Another scope lets go of the chips; the same scope keeps them.
        filter.press(Facet::Scope, 0);
        assert_eq!(filter.days, Some(3));
        assert!(filter.pressed(Facet::Scope, 0) && !filter.pressed(Facet::Scope, 1));
        filter.press(Facet::Scope, 1);
        assert_eq!(filter, Filter::on(Scope::Regional));
        assert!(filter.pressed(Facet::Scope, 1));
        // All in one band: no chips to offer.
        assert!(data_chips(&plans[..2]).is_empty());
        assert!(day_chips(&plans[2..5]).is_empty());
    }

    fn priced(sku: &str, gb: u64, days: u32, minor: i64, currency: &str, available: bool) -> Plan {
        let mut p = plan(
            sku,
            DestinationKind::Country,
            gb * 1024,
            days,
            minor,
            available,
        );
        p.price.currency = CurrencyCode::parse(currency).expect("code");
        p.price.decimals = if currency == "JPY" { 0 } else { 2 };
        p
    }

    #[test]
    fn best_value_is_the_lowest_price_per_gb_in_each_currency() {
        let plans = vec![
            // ¥680 a GB, ¥540, ¥455: the 20 GB plan.
            priced("JP-1", 1, 7, 680, "JPY", true),
            priced("JP-5", 5, 30, 2700, "JPY", true),
            priced("JP-20", 20, 30, 9100, "JPY", true),
            // Cheaper a GB, but sold out.
            priced("JP-50", 50, 90, 100, "JPY", false),
            // Dollars are never compared with yen; $2.00 a GB either way: the larger wins.
            priced("ASIA-5", 5, 15, 1000, "USD", true),
            priced("ASIA-10", 10, 15, 2000, "USD", true),
            // The only plan in its currency: nothing to be better than.
            priced("EU-1", 1, 7, 100, "EUR", true),
        ];
        assert_eq!(best_value(&plans), ["JP-20", "ASIA-10"]);
        // Whatever the order they come in.
        let mut reversed = plans.clone();
        reversed.reverse();
        assert_eq!(best_value(&reversed), ["ASIA-10", "JP-20"]);
        // Equal price and data: the longer validity.
        let tie = vec![
            priced("A", 5, 7, 1000, "USD", true),
            priced("B", 5, 30, 1000, "USD", true),
        ];
        assert_eq!(best_value(&tie), ["B"]);
    }
}
