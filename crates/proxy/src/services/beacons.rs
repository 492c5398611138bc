//! The funnel's beacons: checked at the edge, counted in memory, and written in
//! batches, with what one affiliate's day may keep bounded.
//!
//! Anyone can send a beacon (a browser keeps the rules; curl keeps none): a signed
//! attribution can be replayed for two days, and a placement, a page path or a destination is made up. So:
//!
//! - [`accept`] is the one way in: the route hands it the beacon, it checks the
//!   attribution, a token the proxy signed (`Counted::of_beacon`), and counts it in memory.
//!   Nothing is written to the database on the request's path.
//! - [`Beacons::flush`] writes what was counted, every [`FLUSH_EVERY`] (or sooner when
//!   much is waiting), in one transaction, so a flood of beacons costs the writer that
//!   webhooks and checkouts wait on one short commit a second, not a commit each.
//!   Reports flush first, so they always show what this process has received.
//! - A destination must be one of the catalogue's; any other is counted as
//!   [`OTHER`]. Per affiliate and UTC day, at most [`PLACEMENTS_PER_DAY`] distinct
//!   placements, [`PAGE_PATHS_PER_DAY`] distinct page paths and [`ROWS_PER_DAY`] rows
//!   (placement, page path, destination and event together) are kept; what comes
//!   beyond is counted under [`OTHER`] (the placement, the page path, or both), so the
//!   totals stay right and only the detail is lost. The rows an affiliate's day can
//!   hold are then at most [`ROWS_PER_DAY`] plus, for the folded ones, four per
//!   destination and event.
//! - What waits in memory is bounded too: at most [`PENDING_KEYS`] distinct keys
//!   between two flushes; a new key beyond them is counted at once with its placement,
//!   page path and destination as [`OTHER`].
//!
//! Each process keeps its own tally of the keys an affiliate's day has, read from the
//! database the first time it flushes that day (so a restart does not start the caps
//! again); with several replicas, each admits up to the caps, so the worst case is the
//! caps times the replicas.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use simology_proxy_api::{Beacon, DestinationId, FunnelEvent, OTHER};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::affiliates::{unix_day, Counted};
use crate::catalog::Snapshot;
use crate::clock::{now_ms, utc_day};
use crate::error::ApiError;
use crate::state::{AppState, SharedState};
use crate::store::{FunnelCount, FunnelKey};

/// Distinct placements kept per affiliate and UTC day; more are counted as [`OTHER`].
pub const PLACEMENTS_PER_DAY: usize = 100;

/// Distinct page paths kept per affiliate and UTC day; more are counted as [`OTHER`].
pub const PAGE_PATHS_PER_DAY: usize = 1_000;

/// Rows (placement, page path, destination, event) kept per affiliate and UTC day;
/// beyond, a new one is counted with its placement and page path as [`OTHER`].
pub const ROWS_PER_DAY: usize = 5_000;

/// Distinct keys waiting in memory for the next flush, at most; a new key beyond is
/// folded at once.
pub const PENDING_KEYS: usize = 20_000;

/// How often what was counted is written.
pub use crate::config::BEACON_FLUSH_EVERY as FLUSH_EVERY;

/// Distinct keys waiting that wake the flusher before its time.
const FLUSH_AT: usize = 5_000;

/// How long a flush waits for a catalogue when none is loaded yet.
const CATALOGUE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Checks a beacon and counts it for today. Its attribution is the proxy's own
/// signature, given to the frame of an affiliate's element when its document was
/// served to a page of that affiliate's origins (see `affiliates::Signed`); an
/// `Origin` header proves nothing and is not read. Nothing is written here: see
/// [`Beacons::flush`].
///
/// # Errors
/// As `Counted::of_beacon`: an attribution this proxy did not sign (or signed too long
/// ago), a malformed placement, page path or destination.
pub fn accept(state: &AppState, beacon: &Beacon) -> Result<(), ApiError> {
    let now = now_ms();
    let counted = Counted::of_beacon(&state.affiliates.affiliates(), beacon, unix_day(now))?;
    let key = FunnelKey {
        affiliate: counted.attribution.affiliate,
        placement: counted.attribution.placement,
        page_path: counted.attribution.page_path,
        destination: counted.destination,
    };
    state
        .metrics
        .affiliate_beacon(&key.affiliate, counted.event.as_str());
    state.beacons.record(utc_day(now), key, counted.event);
    Ok(())
}

/// A count waiting to be written: the day, the key and the event.
type Pending = HashMap<(String, FunnelKey, FunnelEvent), u64>;

/// Beacons counted in memory, and what each affiliate's day holds already.
pub struct Beacons {
    pending: Mutex<Pending>,
    /// Held while a flush runs: one at a time.
    days: tokio::sync::Mutex<Days>,
    wake: Notify,
}

impl Default for Beacons {
    fn default() -> Self {
        Beacons {
            pending: Mutex::new(HashMap::new()),
            days: tokio::sync::Mutex::new(Days::default()),
            wake: Notify::new(),
        }
    }
}

impl Beacons {
    /// Counts one event in memory. Beyond [`PENDING_KEYS`] distinct keys waiting, a new
    /// key's placement, page path and destination are counted as [`OTHER`] (the
    /// destination too: it is checked against the catalogue only when written).
    pub fn record(&self, day: String, key: FunnelKey, event: FunnelEvent) {
        let mut pending = self.lock();
        let mut entry = (day, key, event);
        if pending.len() >= PENDING_KEYS && !pending.contains_key(&entry) {
            let key = folded(entry.1);
            entry.1 = FunnelKey {
                destination: key.destination.map(|_| OTHER.to_owned()),
                ..key
            };
        }
        *pending.entry(entry).or_default() += 1;
        if pending.len() >= FLUSH_AT {
            self.wake.notify_one();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        // Every change under the lock is one insert or one swap: a panic elsewhere
        // leaves the map whole.
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many distinct keys wait for the next flush.
    pub fn waiting(&self) -> usize {
        self.lock().len()
    }

    /// Writes what was counted since the last flush, in one transaction: destinations
    /// checked against the catalogue and each affiliate's day held to its caps. Returns
    /// the rows written (added or counted up). On a failure, the counts wait for the
    /// next flush.
    ///
    /// # Errors
    /// When the store cannot be read or written.
    pub async fn flush(&self, state: &AppState) -> Result<usize> {
        let mut days = self.days.lock().await;
        let batch = std::mem::take(&mut *self.lock());
        if batch.is_empty() {
            return Ok(0);
        }
        // Without a catalogue (the upstream down since the start), countries are kept
        // (they are checked against the ISO list already) and regions are not; a
        // catalogue not loaded yet is waited for a moment, never for the upstream's
        // retries.
        let catalogue = tokio::time::timeout(CATALOGUE_WAIT, state.catalog_snapshot())
            .await
            .ok()
            .and_then(Result::ok);
        let mut keys: Vec<((String, FunnelKey, FunnelEvent), u64)> = batch.into_iter().collect();
        // The most counted first: they keep their detail when a cap is reached.
        keys.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let result = async {
            days.forget_before(keys.iter().map(|((day, _, _), _)| day.as_str()).min());
            let mut rows: HashMap<(String, FunnelKey, FunnelEvent), u64> = HashMap::new();
            for ((day, key, event), n) in &keys {
                let key = FunnelKey {
                    destination: key
                        .destination
                        .as_deref()
                        .map(|d| destination_kept(catalogue.as_deref(), d)),
                    ..key.clone()
                };
                let day_tally = days.of(state, day, &key.affiliate).await?;
                let key = day_tally.admit(key, *event);
                *rows.entry((day.clone(), key, *event)).or_default() += n;
            }
            let rows: Vec<FunnelCount> = rows
                .into_iter()
                .map(|((day, key, event), count)| FunnelCount {
                    day,
                    key,
                    event,
                    count,
                })
                .collect();
            state.store.add_funnel_counts(&rows).await?;
            Ok(rows.len())
        }
        .await;
        if result.is_err() {
            let mut pending = self.lock();
            for (k, n) in keys {
                *pending.entry(k).or_default() += n;
            }
        }
        result
    }
}

/// A destination as counted: the catalogue's own, or [`OTHER`].
fn destination_kept(catalogue: Option<&Snapshot>, destination: &str) -> String {
    let id = if destination.len() == 2 {
        DestinationId::country(destination)
    } else {
        DestinationId::region(destination)
    };
    let known = match (catalogue, &id) {
        (Some(snapshot), Some(id)) => snapshot.catalog(id).is_some(),
        // Countries are checked against the ISO list on the way in.
        (None, Some(id)) => destination.len() == 2 && id.code == destination,
        (_, None) => false,
    };
    if known {
        destination.to_owned()
    } else {
        OTHER.to_owned()
    }
}

/// A key with its placement and page path (those given) counted as [`OTHER`].
fn folded(key: FunnelKey) -> FunnelKey {
    FunnelKey {
        placement: key.placement.map(|_| OTHER.to_owned()),
        page_path: key.page_path.map(|_| OTHER.to_owned()),
        ..key
    }
}

/// What the affiliates' days hold, by day then affiliate.
#[derive(Default)]
struct Days {
    by_day: HashMap<String, HashMap<String, DayTally>>,
    hasher: RandomState,
}

impl Days {
    /// Drops the days before `day` (a day is written to only while it is today; a
    /// flush around midnight may still carry yesterday's counts).
    fn forget_before(&mut self, day: Option<&str>) {
        if let Some(day) = day {
            self.by_day.retain(|d, _| d.as_str() >= day);
        }
    }

    /// The tally of an affiliate's day, read from the store the first time.
    async fn of(&mut self, state: &AppState, day: &str, affiliate: &str) -> Result<&mut DayTally> {
        let known = self
            .by_day
            .get(day)
            .is_some_and(|d| d.contains_key(affiliate));
        if !known {
            let mut tally = DayTally::new(self.hasher.clone());
            for row in state.store.funnel_day(day, affiliate).await? {
                tally.seed(&row.key, row.event);
            }
            self.by_day
                .entry(day.to_owned())
                .or_default()
                .insert(affiliate.to_owned(), tally);
        }
        self.by_day
            .get_mut(day)
            .and_then(|d| d.get_mut(affiliate))
            .ok_or_else(|| anyhow::anyhow!("the day's tally was just made"))
    }
}

/// One affiliate's day: its placements, page paths and rows (as keyed hashes: the hash
/// keys are random per process, so a sender cannot make two keys collide on purpose).
struct DayTally {
    placements: HashSet<String>,
    page_paths: HashSet<String>,
    rows: HashSet<u64>,
    /// Rows admitted within [`ROWS_PER_DAY`] (folded ones are not counted).
    admitted: usize,
    hasher: RandomState,
}

impl DayTally {
    fn new(hasher: RandomState) -> Self {
        DayTally {
            placements: HashSet::new(),
            page_paths: HashSet::new(),
            rows: HashSet::new(),
            admitted: 0,
            hasher,
        }
    }

    fn hash(&self, key: &FunnelKey, event: FunnelEvent) -> u64 {
        self.hasher.hash_one((
            &key.placement,
            &key.page_path,
            &key.destination,
            event.as_str(),
        ))
    }

    /// A row the store has already.
    fn seed(&mut self, key: &FunnelKey, event: FunnelEvent) {
        for (value, set) in [
            (&key.placement, &mut self.placements),
            (&key.page_path, &mut self.page_paths),
        ] {
            if let Some(v) = value.as_deref().filter(|v| *v != OTHER) {
                set.insert(v.to_owned());
            }
        }
        if self.rows.insert(self.hash(key, event)) {
            self.admitted += 1;
        }
    }

    /// The key an event is counted under: its own, or with its placement or page path
    /// (or both) as [`OTHER`] when they are beyond the day's caps.
    fn admit(&mut self, key: FunnelKey, event: FunnelEvent) -> FunnelKey {
        if self.rows.contains(&self.hash(&key, event)) {
            return key;
        }
        let fits = |value: &Option<String>, set: &HashSet<String>, cap: usize| match value {
            Some(v) if v != OTHER && !set.contains(v) && set.len() >= cap => Some(OTHER.to_owned()),
            other => other.clone(),
        };
        let key = FunnelKey {
            placement: fits(&key.placement, &self.placements, PLACEMENTS_PER_DAY),
            page_path: fits(&key.page_path, &self.page_paths, PAGE_PATHS_PER_DAY),
            ..key
        };
        let hash = self.hash(&key, event);
        if self.rows.contains(&hash) {
            return key;
        }
        if self.admitted < ROWS_PER_DAY {
            self.seed(&key, event);
            return key;
        }
        let key = folded(key);
        self.rows.insert(self.hash(&key, event));
        key
    }
}

/// Flushes every [`FLUSH_EVERY`] (`Settings::beacon_flush_every`; sooner when much
/// waits) until the shutdown, then once more, after the last request.
pub fn spawn_flusher(state: &SharedState) -> JoinHandle<()> {
    let state = Arc::clone(state);
    tokio::spawn(async move {
        let stopping = state.shutting_down();
        tokio::pin!(stopping);
        let every = state.settings.beacon_flush_every;
        loop {
            tokio::select! {
                () = state.beacons.wake.notified() => {}
                () = tokio::time::sleep(every) => {}
                () = &mut stopping => break,
            }
            flush_and_log(&state).await;
        }
        flush_and_log(&state).await;
    })
}

async fn flush_and_log(state: &AppState) {
    if let Err(e) = state.beacons.flush(state).await {
        tracing::warn!(
            error = format!("{e:#}"),
            waiting = state.beacons.waiting(),
            "writing the funnel's counts failed; they wait for the next flush"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(placement: Option<&str>, page: Option<&str>, destination: Option<&str>) -> FunnelKey {
        FunnelKey {
            affiliate: "wander-notes".into(),
            placement: placement.map(str::to_owned),
            page_path: page.map(str::to_owned),
            destination: destination.map(str::to_owned),
        }
    }

    #[test]
    fn a_day_keeps_its_caps_and_folds_the_rest_into_other() {
        let mut day = DayTally::new(RandomState::new());
        let shown = FunnelEvent::Shown;
        // Distinct placements beyond the cap become "other"; known ones stay.
        for i in 0..PLACEMENTS_PER_DAY {
            let k = key(Some(&format!("p{i}")), None, None);
            assert_eq!(day.admit(k.clone(), shown), k);
        }
        let beyond = day.admit(key(Some("one-too-many"), None, Some("JP")), shown);
        assert_eq!(beyond, key(Some(OTHER), None, Some("JP")));
        let known = key(Some("p7"), None, Some("FR"));
        assert_eq!(day.admit(known.clone(), shown), known);
        // The same for page paths.
        for i in 0..PAGE_PATHS_PER_DAY {
            let k = key(None, Some(&format!("/page/{i}")), None);
            assert_eq!(day.admit(k.clone(), shown), k);
        }
        assert_eq!(
            day.admit(key(None, Some("/new"), None), shown),
            key(None, Some(OTHER), None)
        );
        // Rows beyond the cap: new combinations of known values fold too.
        let mut folded_rows = 0;
        for i in 0..PAGE_PATHS_PER_DAY {
            for event in FunnelEvent::ALL {
                let k = key(Some("p1"), Some(&format!("/page/{i}")), Some("JP"));
                let got = day.admit(k.clone(), event);
                if got != k {
                    assert_eq!(got, key(Some(OTHER), Some(OTHER), Some("JP")));
                    folded_rows += 1;
                }
            }
        }
        assert!(folded_rows > 0);
        assert_eq!(day.admitted, ROWS_PER_DAY);
        assert!(day.placements.len() <= PLACEMENTS_PER_DAY);
        assert!(day.page_paths.len() <= PAGE_PATHS_PER_DAY);
        // What was admitted stays admitted.
        let first = key(Some("p0"), None, None);
        assert_eq!(day.admit(first.clone(), shown), first);
    }

    #[test]
    fn waiting_keys_are_bounded() {
        let beacons = Beacons::default();
        for i in 0..PENDING_KEYS + 500 {
            beacons.record(
                "2026-11-02".into(),
                key(Some("side"), Some(&format!("/p/{i}")), Some("JP")),
                FunnelEvent::Shown,
            );
        }
        assert_eq!(beacons.waiting(), PENDING_KEYS + 1);
        // Made-up destinations do not grow it either.
        for i in 0..500 {
            let letters: String = format!("{i:03}")
                .bytes()
                .map(|b| char::from(b'a' + b - b'0'))
                .collect();
            beacons.record(
                "2026-11-02".into(),
                key(None, None, Some(&format!("made-up-{letters}"))),
                FunnelEvent::Shown,
            );
        }
        assert_eq!(beacons.waiting(), PENDING_KEYS + 2);
        let pending = beacons.lock();
        let other = (
            "2026-11-02".to_owned(),
            key(Some(OTHER), Some(OTHER), Some(OTHER)),
            FunnelEvent::Shown,
        );
        assert_eq!(pending.get(&other), Some(&500));
    }

    #[test]
    fn destinations_without_a_catalogue_are_countries_only() {
        assert_eq!(destination_kept(None, "JP"), "JP");
        assert_eq!(destination_kept(None, "western-europe"), OTHER);
        assert_eq!(destination_kept(None, "made-up"), OTHER);
    }
}
