//! Affiliates: the rules for the attribution a checkout or a funnel beacon carries (the
//! widget checks them before sending, the proxy before storing), the beacon's body, and
//! the report an affiliate or the partner reads.
//!
//! Nothing here identifies a reader: a beacon names the affiliate, the placement, the
//! page's path and a destination, and the proxy keeps only daily counts of them.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::Price;

/// The longest affiliate id.
pub const MAX_AFFILIATE_ID_LEN: usize = 40;
/// The longest placement.
pub const MAX_PLACEMENT_LEN: usize = 64;
/// The longest page path, after normalisation.
pub const MAX_PAGE_PATH_LEN: usize = 200;
/// The largest beacon body the proxy reads, in bytes.
pub const MAX_BEACON_BYTES: usize = 1024;
/// The longest click id.
pub const MAX_CLICK_ID_LEN: usize = 200;

/// Whether an affiliate network's click id is one the widget may send and the proxy
/// keeps: 1 to 200 of `A-Z a-z 0-9 . _ ~ -` (the characters a URL carries unescaped), so
/// that it goes into a postback URL as it came and never carries markup or a second
/// parameter.
pub fn is_valid_click_id(text: &str) -> bool {
    (1..=MAX_CLICK_ID_LEN).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b))
}

/// The key under which the proxy counts what it does not keep apart: a destination
/// that is not in the catalogue, and the placements, page paths and rows of an
/// affiliate's day beyond its caps. No placement, page path or destination can be
/// written so (they have no parentheses), so it never mixes with a real one.
pub const OTHER: &str = "(other)";

/// Whether an affiliate id is well formed: 1 to 40 of `a-z 0-9 -`, starting with a
/// letter or a digit (`wander-notes`). Ids are compared exactly.
pub fn is_valid_affiliate_id(text: &str) -> bool {
    (1..=MAX_AFFILIATE_ID_LEN).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && text.bytes().next().is_some_and(|b| b != b'-')
}

/// A placement as stored: trimmed and lower-cased; 1 to 64 of `a-z 0-9 . _ -`, starting
/// with a letter or a digit (`japan-post-sidebar`). `None` when it breaks a rule.
pub fn normalise_placement(text: &str) -> Option<String> {
    let placement = text.trim().to_ascii_lowercase();
    let ok = (1..=MAX_PLACEMENT_LEN).contains(&placement.len())
        && placement
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && placement
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    ok.then_some(placement)
}

/// Bytes a page path keeps as they are (RFC 3986 `pchar` and `/`); every other byte is
/// percent-encoded.
fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b)
}

/// A page's path as stored: a path only. Whatever follows a `?` or a `#` is dropped;
/// runs of `/` become one; a trailing `/` goes (except the root's); bytes outside a
/// path's characters are percent-encoded and escapes are upper-cased, so `/café`,
/// `/caf%c3%a9` and `/caf%C3%A9/` are one page. `None` when it does not start with `/`,
/// holds a control character or a `.` or `..` segment, or is longer than 200 bytes.
pub fn normalise_page_path(text: &str) -> Option<String> {
    let path = text.trim().split(['?', '#']).next().unwrap_or_default();
    if !path.starts_with('/') {
        return None;
    }
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let escape = (b == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit));
        match b {
            _ if b.is_ascii_control() => return None,
            b'/' if out.ends_with('/') => {}
            _ if escape.is_some() => {
                out.push('%');
                for h in escape.unwrap_or_default() {
                    out.push(char::from(h.to_ascii_uppercase()));
                }
                i += 2;
            }
            _ if is_path_byte(b) => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
        i += 1;
    }
    if out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    let dots = out.split('/').any(|s| s == "." || s == "..");
    (!dots && out.len() <= MAX_PAGE_PATH_LEN).then_some(out)
}

/// What a reader did, as the widget reports it with a beacon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FunnelEvent {
    /// The widget was at least half visible for one second.
    Shown,
    /// The reader chose a destination.
    DestinationChosen,
    /// The reader chose a plan.
    PlanChosen,
    /// The reader started a checkout.
    CheckoutStarted,
}

impl FunnelEvent {
    /// Every event, in funnel order.
    pub const ALL: [FunnelEvent; 4] = [
        FunnelEvent::Shown,
        FunnelEvent::DestinationChosen,
        FunnelEvent::PlanChosen,
        FunnelEvent::CheckoutStarted,
    ];

    /// The name, as written in JSON (`destination_chosen`).
    pub fn as_str(self) -> &'static str {
        match self {
            FunnelEvent::Shown => "shown",
            FunnelEvent::DestinationChosen => "destination_chosen",
            FunnelEvent::PlanChosen => "plan_chosen",
            FunnelEvent::CheckoutStarted => "checkout_started",
        }
    }

    /// The event of a name.
    pub fn parse(text: &str) -> Option<Self> {
        FunnelEvent::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

/// The body of `POST /api/beacons` (sent as `text/plain` by `navigator.sendBeacon`, or as
/// `application/json`). Unknown fields are ignored; an absent or empty optional field
/// is counted as none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Beacon {
    /// Whose funnel this is: the attribution the proxy signed into the widget's frame
    /// when it served the frame to one of the affiliate's sites (the affiliate and the
    /// placement; `EmbedConfig::attribution`). A name in the body is never believed.
    pub attribution: String,
    /// What happened.
    pub event: FunnelEvent,
    /// The page's path (see [`normalise_page_path`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_path: Option<String>,
    /// The destination shown or chosen: a country's ISO code (`JP`) or a region's slug
    /// (`western-europe`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
}

/// What a report's rows are grouped by (each row is also of one affiliate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportGroup {
    /// One row per affiliate.
    #[default]
    Affiliate,
    /// Per placement.
    Placement,
    /// Per page path.
    Page,
    /// Per destination (an order counts under its plan's destination).
    Destination,
    /// Per day (UTC; an order counts on the day of its checkout).
    Day,
}

impl ReportGroup {
    /// Every grouping.
    pub const ALL: [ReportGroup; 5] = [
        ReportGroup::Affiliate,
        ReportGroup::Placement,
        ReportGroup::Page,
        ReportGroup::Destination,
        ReportGroup::Day,
    ];

    /// The name, as written in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportGroup::Affiliate => "affiliate",
            ReportGroup::Placement => "placement",
            ReportGroup::Page => "page",
            ReportGroup::Destination => "destination",
            ReportGroup::Day => "day",
        }
    }

    /// The grouping of a name.
    pub fn parse(text: &str) -> Option<Self> {
        ReportGroup::ALL.into_iter().find(|g| g.as_str() == text)
    }
}

/// The funnel: beacons counted (the first four) and orders (the last three).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Funnel {
    /// Widgets seen (half visible for a second).
    pub shown: u64,
    /// Destinations chosen.
    pub destination_chosen: u64,
    /// Plans chosen.
    pub plan_chosen: u64,
    /// Checkouts started.
    pub checkout_started: u64,
    /// Orders paid (whatever happened to them after).
    pub paid: u64,
    /// Orders whose eSIM was delivered.
    pub ready: u64,
    /// Orders refunded.
    pub refunded: u64,
}

/// Conversion from each step of the funnel to the next, in basis points (10,000 is
/// 100 %), rounded half up; `null` when the step before counted nothing. A rate can
/// pass 10,000 where a step can be skipped (a widget that opens on a country).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Conversion {
    /// Destinations chosen per widget shown.
    pub destination_chosen_bps: Option<u32>,
    /// Plans chosen per destination chosen.
    pub plan_chosen_bps: Option<u32>,
    /// Checkouts started per plan chosen.
    pub checkout_started_bps: Option<u32>,
    /// Orders paid per checkout started.
    pub paid_bps: Option<u32>,
    /// Orders ready per order paid.
    pub ready_bps: Option<u32>,
    /// Orders paid per widget shown.
    pub overall_bps: Option<u32>,
}

/// Revenue in one currency, in its minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Revenue {
    /// ISO 4217 code.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: crate::CurrencyCode,
    /// Decimals of the currency's minor unit.
    pub decimals: u8,
    /// What paid orders cost (unit price × quantity).
    pub gross_minor: i64,
    /// What was refunded of them.
    pub refunded_minor: i64,
    /// Gross less refunds.
    pub net_minor: i64,
}

/// One row of a report: an affiliate's figures for one value of the grouping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReportRow {
    /// The affiliate.
    pub affiliate: String,
    /// The placement, page path, destination or day (`YYYY-MM-DD`); the affiliate's id
    /// when grouped by affiliate; `null` for "none given"; [`OTHER`] for what the proxy
    /// counts together (a destination not in the catalogue, what is beyond a day's caps).
    pub key: Option<String>,
    /// The funnel.
    pub funnel: Funnel,
    /// Its conversion rates.
    pub conversion: Conversion,
    /// Revenue per currency, by currency code.
    pub revenue: Vec<Revenue>,
}

/// An affiliate's totals over the period, and the commission owed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AffiliateTotals {
    /// The affiliate's id.
    pub affiliate: String,
    /// Its display name.
    pub name: String,
    /// Its commission rate in basis points (1,200 is 12 %).
    pub commission_bps: u32,
    /// The funnel.
    pub funnel: Funnel,
    /// Its conversion rates.
    pub conversion: Conversion,
    /// Revenue per currency, by currency code.
    pub revenue: Vec<Revenue>,
    /// Commission owed per currency: net revenue × rate / 10,000, rounded half up to
    /// the minor unit, once per currency.
    pub commission: Vec<Price>,
}

/// The answer of `GET /api/affiliates/{id}/report` (and of `GET /admin/report`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Report {
    /// First day, `YYYY-MM-DD` (UTC).
    pub since: String,
    /// Last day, included.
    pub until: String,
    /// What the rows are grouped by.
    pub by: ReportGroup,
    /// The rows that counted anything, by affiliate then key (bytewise): the first
    /// `rows_limit` of them.
    pub rows: Vec<ReportRow>,
    /// How many rows the period has in all (more than `rows` holds when the limit cut
    /// them: narrow the period or the affiliate, or ask for a higher `limit`).
    #[serde(default)]
    pub rows_total: u64,
    /// The most rows asked for (`limit`).
    #[serde(default)]
    pub rows_limit: u32,
    /// Each affiliate's totals, by id.
    pub affiliates: Vec<AffiliateTotals>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cases both sides read (`attribution-cases.json`; the loader's test in
    /// `e2e/tests/attribution-rules.test.mjs` reads the same file).
    fn cases() -> serde_json::Value {
        serde_json::from_str(include_str!("../attribution-cases.json")).expect("the case file")
    }

    fn each<'a>(cases: &'a serde_json::Value, list: &str) -> &'a Vec<serde_json::Value> {
        let found = cases[list].as_array().expect(list);
        assert!(!found.is_empty(), "{list} has cases");
        found
    }

    #[test]
    fn affiliate_ids() {
        let cases = cases();
        for case in each(&cases, "affiliate_ids") {
            let given = case["given"].as_str().expect("given");
            let valid = case["valid"].as_bool().expect("valid");
            assert_eq!(is_valid_affiliate_id(given), valid, "{given:?}");
        }
    }

    #[test]
    fn click_ids() {
        for good in ["IR_a1.b2~c3-d_4", "0", &"x".repeat(200)] {
            assert!(is_valid_click_id(good), "{good}");
        }
        for bad in [
            "",
            "a b",
            "a&b=c",
            "a%20",
            "é",
            "<b>",
            "a/b",
            &"x".repeat(201),
        ] {
            assert!(!is_valid_click_id(bad), "{bad}");
        }
    }

    #[test]
    fn placements_are_lower_cased_and_bounded() {
        let cases = cases();
        for case in each(&cases, "placements") {
            let given = case["given"].as_str().expect("given");
            assert_eq!(
                normalise_placement(given).as_deref(),
                case["want"].as_str(),
                "{given:?}"
            );
        }
    }

    #[test]
    fn page_paths_are_paths_only_and_normalised() {
        let cases = cases();
        for case in each(&cases, "page_paths") {
            let given = case["given"].as_str().expect("given");
            let got = normalise_page_path(given);
            assert_eq!(got.as_deref(), case["want"].as_str(), "{given:?}");
            // Normalising twice changes nothing.
            if let Some(once) = got {
                assert_eq!(normalise_page_path(&once), Some(once.clone()));
            }
        }
    }

    #[test]
    fn names_are_the_json_names() {
        for e in FunnelEvent::ALL {
            let json = serde_json::to_string(&e).expect("json");
            assert_eq!(json, format!("\"{}\"", e.as_str()));
            assert_eq!(FunnelEvent::parse(e.as_str()), Some(e));
        }
        for g in ReportGroup::ALL {
            let json = serde_json::to_string(&g).expect("json");
            assert_eq!(json, format!("\"{}\"", g.as_str()));
            assert_eq!(ReportGroup::parse(g.as_str()), Some(g));
        }
    }

    #[test]
    fn a_beacon_needs_only_its_attribution_and_event() {
        let b: Beacon = serde_json::from_str(r#"{"attribution":"a1.x","event":"shown","extra":1}"#)
            .expect("parses");
        assert_eq!(
            (b.event, b.page_path, b.destination),
            (FunnelEvent::Shown, None, None)
        );
        assert!(
            serde_json::from_str::<Beacon>(r#"{"attribution":"a","event":"clicked"}"#).is_err()
        );
        // A bare affiliate's name is no attribution.
        assert!(serde_json::from_str::<Beacon>(r#"{"affiliate":"a","event":"shown"}"#).is_err());
    }
}
