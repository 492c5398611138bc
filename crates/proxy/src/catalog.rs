//! The catalogue cache: the whole upstream catalogue, fetched once per TTL, turned
//! into the widget's destinations and per-destination plan lists, each pre-serialised
//! with its ETag. Stale data is served while a refresh runs; if the upstream is down,
//! the last good catalogue keeps being served.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Result;
use axum::body::Bytes;
use axum::http::HeaderValue;
use sha2::{Digest, Sha256};
use simology::models::{CatalogItem, CatalogQuery};
use simology_proxy_api::{
    CatalogResponse, CurrencyCode, Destination, DestinationId, DestinationKind,
    DestinationsResponse, OrderPlan, Plan, Price,
};
use tokio::sync::Mutex as AsyncMutex;

use crate::clock::rfc3339;
use crate::countries::{country_name, region_name};

/// A serialised JSON body and its strong ETag.
#[derive(Clone)]
pub struct Cached {
    /// The JSON.
    pub body: Bytes,
    /// `"<hash>"`, ready to send.
    pub etag: HeaderValue,
}

impl Cached {
    /// A body as it is (JSON already), with its ETag.
    pub fn of_json(body: &'static [u8]) -> Result<Cached> {
        let digest = Sha256::digest(body);
        Ok(Cached {
            etag: HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))?,
            body: Bytes::from_static(body),
        })
    }

    fn of<T: serde::Serialize>(value: &T) -> Result<Cached> {
        let body = serde_json::to_vec(value)?;
        let digest = Sha256::digest(&body);
        Ok(Cached {
            etag: HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))?,
            body: Bytes::from(body),
        })
    }
}

/// One fetched catalogue, ready to serve.
pub struct Snapshot {
    fetched_at: Instant,
    /// Upstream items left out because they do not match the SDK's model (upstream
    /// drift: an over-precise price, an unknown currency...).
    pub skipped: usize,
    /// Destinations.
    pub destinations: Cached,
    by_destination: HashMap<DestinationId, Cached>,
    plans: HashMap<String, Plan>,
    /// The SKUs whose eSIMs install from an LPA string (`activation_method` `lpa`): the
    /// lines the proxy can deliver one per traveller.
    lpa_skus: HashSet<String>,
}

impl Snapshot {
    /// The plans of a destination.
    pub fn catalog(&self, destination: &DestinationId) -> Option<&Cached> {
        self.by_destination.get(destination)
    }

    /// A plan by SKU.
    pub fn plan(&self, sku: &str) -> Option<&Plan> {
        self.plans.get(sku)
    }

    /// Whether a plan's eSIMs install from an LPA string, each line its own QR code:
    /// only such plans are sold several at a time.
    pub fn installs_by_lpa(&self, sku: &str) -> bool {
        self.lpa_skus.contains(sku)
    }

    /// Every plan.
    pub fn plans(&self) -> impl Iterator<Item = &Plan> {
        self.plans.values()
    }

    /// The available plans that add data to the line of an order for `bought`, cheapest
    /// first: those of the same destination, or, when the plan is no longer in the
    /// catalogue, the country plans of the same coverage.
    pub fn topups_for(&self, bought: &OrderPlan) -> Vec<Plan> {
        let destination = self
            .plan(&bought.sku)
            .map(|p| (p.kind, p.destination.clone()));
        let mut offers: Vec<Plan> = self
            .plans()
            .filter(|p| p.available)
            .filter(|p| match &destination {
                Some((kind, dest)) => p.kind == *kind && p.destination == *dest,
                None => p.coverage == bought.coverage && p.kind == DestinationKind::Country,
            })
            .cloned()
            .collect();
        offers.sort_by_key(|p| (p.price.minor, p.data_mb));
        offers
    }
}

fn is_country(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

fn price(item: &CatalogItem) -> Price {
    let cur = item.price.currency();
    Price {
        minor: item.price.minor(),
        currency: CurrencyCode::parse(cur.code()).unwrap_or(CurrencyCode(*b"XXX")),
        decimals: cur.decimals(),
    }
}

/// The widget's plan from an upstream item.
pub fn plan_of(item: &CatalogItem) -> Plan {
    Plan {
        sku: item.sku.clone(),
        name: item.name.clone(),
        kind: if is_country(&item.region) {
            DestinationKind::Country
        } else {
            DestinationKind::Region
        },
        destination: item.region.clone(),
        coverage: item.coverage.clone(),
        data_mb: item.data_allowance_mb,
        validity_days: item.validity_days,
        price: price(item),
        available: item.available,
        terms_url: item.terms_url.clone(),
    }
}

/// The cheapest available plan, in the currency of the destination's own plans (or,
/// failing those, the currency most of its plans use): prices in different currencies
/// are never compared.
fn lowest_price(own: &[&Plan], all: &[&Plan]) -> Option<Price> {
    let pool: Vec<&&Plan> = if own.iter().any(|p| p.available) {
        own.iter().collect()
    } else {
        all.iter().collect()
    };
    let mut by_currency: BTreeMap<CurrencyCode, Vec<Price>> = BTreeMap::new();
    for p in pool.iter().filter(|p| p.available) {
        by_currency
            .entry(p.price.currency)
            .or_default()
            .push(p.price);
    }
    let (_, prices) = by_currency.into_iter().max_by_key(|(_, v)| v.len())?;
    prices.into_iter().min_by_key(|p| p.minor)
}

fn sort_plans(plans: &mut [Plan]) {
    plans.sort_by(|a, b| {
        (
            a.kind != DestinationKind::Country,
            a.price.currency,
            a.price.minor,
            a.data_mb,
            a.sku.as_str(),
        )
            .cmp(&(
                b.kind != DestinationKind::Country,
                b.price.currency,
                b.price.minor,
                b.data_mb,
                b.sku.as_str(),
            ))
    });
}

/// Builds everything the widget is served from one upstream catalogue.
///
/// # Errors
/// Only if serialisation fails.
pub fn build(items: &[CatalogItem], updated_at: &str) -> Result<Snapshot> {
    let plans: Vec<Plan> = items.iter().map(plan_of).collect();
    let mut countries: BTreeSet<String> = BTreeSet::new();
    let mut regions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in &plans {
        countries.extend(p.coverage.iter().filter(|c| is_country(c)).cloned());
        if p.kind == DestinationKind::Region {
            regions
                .entry(p.destination.clone())
                .or_default()
                .extend(p.coverage.iter().cloned());
        }
    }
    let mut destinations = Vec::new();
    let mut by_destination = HashMap::new();
    // A destination's list, sorted and serialised once.
    let mut add = |destination: Destination, usable: Vec<&Plan>| -> Result<()> {
        let mut list: Vec<Plan> = usable.into_iter().cloned().collect();
        sort_plans(&mut list);
        by_destination.insert(
            DestinationId {
                kind: destination.kind,
                code: destination.code.clone(),
            },
            Cached::of(&CatalogResponse {
                destination: destination.clone(),
                plans: list,
                updated_at: updated_at.to_owned(),
            })?,
        );
        destinations.push(destination);
        Ok(())
    };
    for code in &countries {
        let usable: Vec<&Plan> = plans.iter().filter(|p| p.coverage.contains(code)).collect();
        let own: Vec<&Plan> = usable
            .iter()
            .copied()
            .filter(|p| p.destination == *code)
            .collect();
        let destination = Destination {
            kind: DestinationKind::Country,
            code: code.clone(),
            name: country_name(code).unwrap_or(code).to_owned(),
            plan_count: u32::try_from(usable.iter().filter(|p| p.available).count())
                .unwrap_or(u32::MAX),
            lowest_price: lowest_price(&own, &usable),
            countries: vec![code.clone()],
        };
        add(destination, usable)?;
    }
    for (slug, covered) in &regions {
        let own: Vec<&Plan> = plans.iter().filter(|p| p.destination == *slug).collect();
        let destination = Destination {
            kind: DestinationKind::Region,
            code: slug.clone(),
            name: region_name(slug),
            plan_count: u32::try_from(own.iter().filter(|p| p.available).count())
                .unwrap_or(u32::MAX),
            lowest_price: lowest_price(&own, &own),
            countries: covered.iter().cloned().collect(),
        };
        add(destination, own)?;
    }
    destinations.sort_by(|a, b| {
        (a.kind != DestinationKind::Country, &a.name)
            .cmp(&(b.kind != DestinationKind::Country, &b.name))
    });
    let destinations = Cached::of(&DestinationsResponse {
        destinations,
        updated_at: updated_at.to_owned(),
    })?;
    Ok(Snapshot {
        fetched_at: Instant::now(),
        destinations,
        by_destination,
        plans: plans.into_iter().map(|p| (p.sku.clone(), p)).collect(),
        lpa_skus: items
            .iter()
            .filter(|i| i.activation_method == "lpa")
            .map(|i| i.sku.clone())
            .collect(),
        skipped: 0,
    })
}

/// The cache.
pub struct CatalogCache {
    client: simology::Client,
    ttl: Duration,
    current: RwLock<Option<Arc<Snapshot>>>,
    refresh: AsyncMutex<()>,
    /// Items skipped over every fetch.
    skipped_total: AtomicU64,
}

impl CatalogCache {
    /// An empty cache.
    pub fn new(client: simology::Client, ttl: Duration) -> Self {
        CatalogCache {
            client,
            ttl,
            current: RwLock::new(None),
            refresh: AsyncMutex::new(()),
            skipped_total: AtomicU64::new(0),
        }
    }

    fn current(&self) -> Option<Arc<Snapshot>> {
        self.current.read().ok().and_then(|c| c.clone())
    }

    /// The catalogue: fresh from memory, stale from memory while a refresh runs in the
    /// background, or fetched now when there is none.
    ///
    /// # Errors
    /// The upstream error when there is no catalogue at all yet.
    pub async fn get(self: &Arc<Self>) -> Result<Arc<Snapshot>, simology::Error> {
        if let Some(s) = self.current() {
            if s.fetched_at.elapsed() > self.ttl {
                let me = Arc::clone(self);
                tokio::spawn(async move {
                    let _ = me.refresh().await;
                });
            }
            return Ok(s);
        }
        self.refresh().await
    }

    /// Fetches the catalogue now (one fetch at a time; callers queued behind a fetch
    /// get its result).
    ///
    /// # Errors
    /// The upstream error; the previous catalogue stays.
    pub async fn refresh(&self) -> Result<Arc<Snapshot>, simology::Error> {
        let started = Instant::now();
        let _guard = self.refresh.lock().await;
        if let Some(s) = self.current() {
            // Someone refreshed while we waited.
            if s.fetched_at >= started {
                return Ok(s);
            }
        }
        let reply = self.client.catalog(&CatalogQuery::All).await?;
        let updated_at = rfc3339(reply.updated_at).unwrap_or_default();
        let mut snapshot =
            build(&reply.items, &updated_at).map_err(|e| simology::Error::Decode {
                request_id: reply.request_id.clone(),
                message: e.to_string(),
            })?;
        // One drifted item costs that item, not the catalogue: the SDK left it out (and
        // logged why); it is counted here.
        snapshot.skipped = reply.skipped.len();
        if !reply.skipped.is_empty() {
            self.skipped_total
                .fetch_add(reply.skipped.len() as u64, Ordering::Relaxed);
            tracing::warn!(
                skipped = reply.skipped.len(),
                skus = ?reply.skipped.iter().filter_map(|s| s.sku.as_deref()).collect::<Vec<_>>(),
                "catalogue items skipped: they do not match the model; the others are served"
            );
        }
        let snapshot = Arc::new(snapshot);
        if let Ok(mut c) = self.current.write() {
            *c = Some(Arc::clone(&snapshot));
        }
        tracing::info!(
            plans = reply.items.len(),
            request_id = reply.request_id.as_deref(),
            "catalogue refreshed"
        );
        Ok(snapshot)
    }

    /// Whether a catalogue is loaded.
    pub fn loaded(&self) -> bool {
        self.current().is_some()
    }

    /// Upstream items skipped: in the catalogue served now, and over every fetch.
    pub fn skipped(&self) -> (usize, u64) {
        (
            self.current().map_or(0, |s| s.skipped),
            self.skipped_total.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use simology::{Currency, Money};

    fn item(
        sku: &str,
        region: &str,
        coverage: &[&str],
        minor: i64,
        cur: Currency,
        available: bool,
    ) -> CatalogItem {
        CatalogItem {
            sku: sku.into(),
            name: sku.into(),
            region: region.into(),
            coverage: coverage.iter().map(|c| (*c).to_owned()).collect(),
            data_allowance_mb: 1024,
            validity_days: 7,
            price: Money::from_minor(minor, cur),
            activation_method: "lpa".into(),
            esim_type: "data".into(),
            terms_url: "https://x.example".into(),
            available,
        }
    }

    #[test]
    fn destinations_count_plans_and_never_mix_currencies() {
        let items = vec![
            item("FR-1GB-7D", "FR", &["FR"], 499, Currency::EUR, true),
            item("FR-3GB-15D", "FR", &["FR"], 899, Currency::EUR, true),
            item("FR-50GB-90D", "FR", &["FR"], 6999, Currency::EUR, false),
            item(
                "GLOBAL-1GB-7D",
                "global",
                &["FR", "US"],
                299,
                Currency::USD,
                true,
            ),
            item("US-1GB-7D", "US", &["US"], 450, Currency::USD, true),
        ];
        let snap = build(&items, "2025-01-10T09:12:44Z").expect("builds");
        let all: DestinationsResponse =
            serde_json::from_slice(&snap.destinations.body).expect("json");
        let fr = all
            .destinations
            .iter()
            .find(|d| d.code == "FR")
            .expect("France");
        assert_eq!(fr.name, "France");
        assert_eq!(
            fr.plan_count, 3,
            "two own available plans and the global bundle"
        );
        let low = fr.lowest_price.expect("price");
        assert_eq!(
            (low.minor, low.currency.as_str()),
            (499, "EUR"),
            "the cheaper USD bundle is not compared"
        );
        let global = all
            .destinations
            .iter()
            .find(|d| d.code == "global")
            .expect("region");
        assert_eq!(global.kind, DestinationKind::Region);
        assert_eq!(global.countries, vec!["FR", "US"]);
        assert_eq!(
            all.destinations.last().map(|d| d.kind),
            Some(DestinationKind::Region),
            "countries first"
        );

        let fr_plans: CatalogResponse = serde_json::from_slice(
            &snap
                .catalog(&DestinationId::country("FR").expect("code"))
                .expect("FR")
                .body,
        )
        .expect("json");
        let skus: Vec<_> = fr_plans.plans.iter().map(|p| p.sku.as_str()).collect();
        assert_eq!(
            skus,
            vec!["FR-1GB-7D", "FR-3GB-15D", "FR-50GB-90D", "GLOBAL-1GB-7D"]
        );
        assert!(snap
            .catalog(&DestinationId::country("DE").expect("code"))
            .is_none());
        assert!(snap.plan("US-1GB-7D").is_some());
        // Top-ups: the available plans of the bought plan's destination, cheapest
        // first; for a plan no longer sold, the country plans of its coverage.
        let bought = |sku: &str, coverage: &[&str]| OrderPlan {
            sku: sku.into(),
            name: sku.into(),
            coverage: coverage.iter().map(|c| (*c).to_owned()).collect(),
            data_mb: 1024,
            validity_days: 7,
            quantity: 1,
            price: snap.plan("FR-1GB-7D").expect("plan").price,
            terms_url: String::new(),
        };
        let skus = |plans: Vec<Plan>| plans.into_iter().map(|p| p.sku).collect::<Vec<_>>();
        assert_eq!(
            skus(snap.topups_for(&bought("FR-3GB-15D", &["FR"]))),
            vec!["FR-1GB-7D", "FR-3GB-15D"]
        );
        assert_eq!(
            skus(snap.topups_for(&bought("US-OLD-1D", &["US"]))),
            vec!["US-1GB-7D"]
        );
        // The same data gives the same ETag.
        let again = build(&items, "2025-01-10T09:12:44Z").expect("builds");
        assert_eq!(again.destinations.etag, snap.destinations.etag);
    }

    #[test]
    fn only_plans_installed_by_lpa_string_sell_several_lines() {
        let mut manual = item("DE-1GB-7D", "DE", &["DE"], 499, Currency::EUR, true);
        manual.activation_method = "manual".into();
        let items = vec![
            item("FR-1GB-7D", "FR", &["FR"], 499, Currency::EUR, true),
            manual,
        ];
        let snap = build(&items, "2025-01-10T09:12:44Z").expect("builds");
        assert!(snap.installs_by_lpa("FR-1GB-7D"));
        assert!(!snap.installs_by_lpa("DE-1GB-7D"));
        assert!(!snap.installs_by_lpa("XX-1GB-7D"), "unknown");
    }
}
