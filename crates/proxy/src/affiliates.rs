//! Affiliates: the file that lists them (`PROXY_AFFILIATES`), re-read on SIGHUP; the
//! origins they add to `PROXY_ALLOWED_ORIGINS`; and the attribution a checkout or a
//! beacon carries: one the proxy signed itself ([`Signed`]) when it served the
//! widget's frame for that affiliate, a frame the browser shows only on the
//! affiliate's own sites (its `frame-ancestors`). A name in a body credits nobody.
//!
//! ```toml
//! [[affiliate]]
//! id = "wander-notes"
//! name = "Wander Notes"
//! origins = ["https://wandernotes.example"]
//! commission_bps = 1200
//! token_sha256 = "<64 hex digits>"   # or token = "<at least 32 characters>"
//! # optional: the network's conversion postback (see `outgoing::postback`)
//! postback_url = "https://network.example/pb?cid={click_id}&amount={amount}&status={status}"
//! ```
//!
//! A `token_sha256` is an unsalted SHA-256, so the token behind it must be one nobody
//! could guess or search for from the digest: at least 128 bits of entropy (32 random
//! hex digits; `openssl rand -hex 32` gives 256). The proxy cannot check that from the
//! digest; a `token` given in clear is refused under 32 characters. Online guessing is
//! throttled per client (`ratelimit::AuthThrottle`).

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use simology_proxy_api::{
    is_valid_affiliate_id, is_valid_click_id, normalise_page_path, Beacon, CheckoutRequest,
    DestinationId, FunnelEvent,
};
use subtle::ConstantTimeEq;

use crate::countries::country_name;
use crate::domain::{invalid, Field, Invalid, Origin};
use crate::error::ApiError;
use crate::outgoing::postback::PostbackTemplate;

/// The shortest report token a file may give in clear.
pub const MIN_TOKEN_LEN: usize = 32;

/// The highest commission rate: 100 %.
const MAX_COMMISSION_BPS: u32 = 10_000;

/// One affiliate, as the file gives it.
#[derive(Clone)]
pub struct Affiliate {
    /// Its id (see `simology_proxy_api::is_valid_affiliate_id`).
    pub id: String,
    /// Its display name.
    pub name: String,
    /// The exact origins of its sites.
    pub origins: Vec<Origin>,
    /// Its commission rate, in basis points of net revenue.
    pub commission_bps: u32,
    /// Its network's conversion postback, if it has one.
    pub postback_url: Option<PostbackTemplate>,
    /// SHA-256 of its report token; the token itself is not kept.
    token_sha256: [u8; 32],
}

impl Affiliate {
    /// Whether `origin` (an `Origin` header's text) is one of its sites.
    pub fn has_origin(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o.as_str() == origin)
    }

    /// Whether `token` is its report token, compared in constant time.
    pub fn token_matches(&self, token: &str) -> bool {
        digest_matches(token, &self.token_sha256)
    }
}

/// Whether `token` hashes to `expected`: digests compared in constant time, and an
/// empty token never matches.
fn digest_matches(token: &str, expected: &[u8; 32]) -> bool {
    let given = token_digest(token);
    let same: bool = given.ct_eq(expected).into();
    same && !token.is_empty()
}

/// SHA-256 of a token: the one place tokens are hashed (tests count the calls).
fn token_digest(token: &str) -> [u8; 32] {
    #[cfg(test)]
    tests::DIGESTS.with(|n| n.set(n.get() + 1));
    Sha256::digest(token.as_bytes()).into()
}

/// What an unknown affiliate's token is compared with: no token hashes to it that
/// anyone knows, and the comparison costs what a known affiliate's does.
const NO_TOKEN_DIGEST: [u8; 32] = [0; 32];

impl fmt::Debug for Affiliate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Affiliate")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("origins", &self.origins)
            .field("commission_bps", &self.commission_bps)
            .finish_non_exhaustive()
    }
}

/// The file's shape. Other keys are allowed (and ignored).
#[derive(Deserialize)]
struct File {
    #[serde(default)]
    affiliate: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    id: String,
    name: String,
    origins: Vec<String>,
    commission_bps: u32,
    // Read as any value and checked by hand: serde's message for a wrong type would
    // quote the value, a token.
    token: Option<toml::Value>,
    token_sha256: Option<toml::Value>,
    postback_url: Option<String>,
}

/// A TOML error without the parser's snippet of the line, and with the values its
/// message quotes masked (a value there could be a token), on the line it is on. Keys
/// stay: "missing field `name`" is what tells the partner what to fix.
fn toml_error(text: &str, e: &toml::de::Error) -> anyhow::Error {
    let message = without_values(e.message());
    let line = e
        .span()
        .and_then(|span| text.get(..span.start))
        .map(|before| before.matches('\n').count() + 1);
    match line {
        Some(n) => anyhow!("line {n}: {}", message.trim()),
        None => anyhow!("{}", message.trim()),
    }
}

/// `message` with the values serde and toml quote masked: `integer `5``, `floating point
/// `1.5``, `boolean `true``, `character `c`` and `string "..."` (escaped as Rust's
/// `Debug` does) become `integer `…``, `string "…"`.
fn without_values(message: &str) -> String {
    const QUOTED: [(&str, char); 5] = [
        ("integer `", '`'),
        ("floating point `", '`'),
        ("boolean `", '`'),
        ("character `", '`'),
        ("string \"", '"'),
    ];
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some((at, opening, close)) = QUOTED
        .iter()
        .filter_map(|(opening, close)| rest.find(opening).map(|at| (at, *opening, *close)))
        .min_by_key(|(at, _, _)| *at)
    {
        out.push_str(&rest[..at + opening.len()]);
        out.push('…');
        let value = &rest[at + opening.len()..];
        let mut escaped = false;
        let end = value.char_indices().find_map(|(i, c)| {
            let closes = c == close && !escaped;
            escaped = c == '\\' && !escaped;
            closes.then_some(i)
        });
        match end {
            Some(i) => {
                out.push(close);
                rest = &value[i + close.len_utf8()..];
            }
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

/// A token's text, or an error that names the key and not the value.
fn secret_text(id: &str, key: &str, value: Option<toml::Value>) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(toml::Value::String(text)) => Ok(Some(text)),
        Some(_) => bail!("affiliate {id}: {key} must be a string"),
    }
}

/// The affiliates of one reading of the file, by id.
#[derive(Debug, Clone, Default)]
pub struct Affiliates {
    list: Vec<Affiliate>,
}

impl Affiliates {
    /// Parses the file's text. Messages name the affiliate and the key at fault and
    /// never quote a token.
    ///
    /// # Errors
    /// When the text is not TOML of the shape above, or an affiliate breaks a rule: an
    /// id of `a-z 0-9 -` (unique), a name, at least one origin, a rate of 0 to 10,000
    /// basis points, and exactly one of `token` (32 characters or more) and
    /// `token_sha256` (64 hex digits), no two affiliates with the same token; a
    /// `postback_url`, when given, of known macros on an https URL (see
    /// `outgoing::postback`).
    pub fn parse(text: &str) -> Result<Affiliates> {
        let file: File = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        let mut list = Vec::with_capacity(file.affiliate.len());
        let mut ids = BTreeSet::new();
        let mut tokens = BTreeSet::new();
        for (n, e) in file.affiliate.into_iter().enumerate() {
            let id = e.id.trim().to_owned();
            if !is_valid_affiliate_id(&id) {
                bail!("affiliate #{}: id {id:?} must be 1 to 40 of a-z, 0-9 and -, not starting with -", n + 1);
            }
            if !ids.insert(id.clone()) {
                bail!("affiliate {id}: the id is listed twice");
            }
            let name = e.name.trim().to_owned();
            if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
                bail!("affiliate {id}: name must be 1 to 100 printable characters");
            }
            if e.origins.is_empty() {
                bail!("affiliate {id}: origins must list at least one origin");
            }
            let origins = e
                .origins
                .iter()
                .map(|o| {
                    Origin::parse(o).map_err(|_| {
                        anyhow!("affiliate {id}: origin {o:?} is not scheme://host[:port]")
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            if e.commission_bps > MAX_COMMISSION_BPS {
                bail!("affiliate {id}: commission_bps must be 0 to 10000 (basis points)");
            }
            let token = secret_text(&id, "token", e.token)?;
            let given_digest = secret_text(&id, "token_sha256", e.token_sha256)?;
            let token_sha256 = match (token, given_digest) {
                (Some(token), None) if token.len() >= MIN_TOKEN_LEN => token_digest(&token),
                (Some(_), None) => {
                    bail!("affiliate {id}: token must be at least {MIN_TOKEN_LEN} characters")
                }
                (None, Some(hex_digest)) => {
                    let mut digest = [0u8; 32];
                    hex::decode_to_slice(hex_digest.trim(), &mut digest).map_err(|_| {
                        anyhow!("affiliate {id}: token_sha256 must be 64 hex digits")
                    })?;
                    digest
                }
                _ => bail!("affiliate {id}: give exactly one of token and token_sha256"),
            };
            if !tokens.insert(token_sha256) {
                bail!("affiliate {id}: its token is another affiliate's");
            }
            let postback_url = e
                .postback_url
                .as_deref()
                .map(|t| {
                    PostbackTemplate::parse(t)
                        .map_err(|why| anyhow!("affiliate {id}: postback_url {why}"))
                })
                .transpose()?;
            list.push(Affiliate {
                id,
                name,
                origins,
                commission_bps: e.commission_bps,
                postback_url,
                token_sha256,
            });
        }
        list.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Affiliates { list })
    }

    /// Reads and parses a file.
    ///
    /// # Errors
    /// When it cannot be read or is refused (see [`Affiliates::parse`]).
    pub fn load(path: &Path) -> Result<Affiliates> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("PROXY_AFFILIATES: cannot read {}", path.display()))?;
        Affiliates::parse(&text)
            .with_context(|| format!("PROXY_AFFILIATES: {} is refused", path.display()))
    }

    /// The affiliate of an id.
    pub fn get(&self, id: &str) -> Option<&Affiliate> {
        self.list
            .binary_search_by(|a| a.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.list[i])
    }

    /// The affiliate of `id` if `token` is its report token. The work is the same
    /// whether the affiliate exists or not (the token is hashed and its digest compared,
    /// in constant time, with the affiliate's or with a digest no token has), so the time
    /// taken does not say which ids exist.
    pub fn authenticate(&self, id: &str, token: &str) -> Option<&Affiliate> {
        let found = self.get(id);
        let expected = found.map_or(NO_TOKEN_DIGEST, |a| a.token_sha256);
        let matches = digest_matches(token, &expected);
        found.filter(|_| matches)
    }

    /// Every affiliate, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Affiliate> {
        self.list.iter()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// One reading of the file, with the origins it allows.
struct Reading {
    affiliates: Arc<Affiliates>,
    /// `PROXY_ALLOWED_ORIGINS` and every affiliate's, each once.
    origins: Arc<[Origin]>,
}

impl Reading {
    fn new(listed: &[Origin], affiliates: Affiliates) -> Reading {
        let mut origins: Vec<Origin> = listed.to_vec();
        for o in affiliates.iter().flat_map(|a| &a.origins) {
            if !origins.contains(o) {
                origins.push(o.clone());
            }
        }
        Reading {
            affiliates: Arc::new(affiliates),
            origins: origins.into(),
        }
    }
}

/// The affiliates now (the file as last read successfully) and the origins allowed
/// with them; [`Registry::reload`] reads the file again.
pub struct Registry {
    file: Option<PathBuf>,
    listed: Vec<Origin>,
    current: RwLock<Arc<Reading>>,
}

impl Registry {
    /// Reads the file, if there is one; `listed` are `PROXY_ALLOWED_ORIGINS`.
    ///
    /// # Errors
    /// When the file cannot be read or is refused.
    pub fn load(listed: Vec<Origin>, file: Option<PathBuf>) -> Result<Registry> {
        let affiliates = match &file {
            Some(path) => Affiliates::load(path)?,
            None => Affiliates::default(),
        };
        let current = RwLock::new(Arc::new(Reading::new(&listed, affiliates)));
        Ok(Registry {
            file,
            listed,
            current,
        })
    }

    fn current(&self) -> Arc<Reading> {
        match self.current.read() {
            Ok(c) => Arc::clone(&c),
            // A writer only ever swaps one Arc for another: what is there is whole.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The affiliates now; a request uses one reading throughout.
    pub fn affiliates(&self) -> Arc<Affiliates> {
        Arc::clone(&self.current().affiliates)
    }

    /// The origins pages may use the proxy from: `PROXY_ALLOWED_ORIGINS` and every
    /// affiliate's (CORS, the `Origin` of purchases, and return URLs).
    pub fn allowed_origins(&self) -> Arc<[Origin]> {
        Arc::clone(&self.current().origins)
    }

    /// Whether `origin` (an `Origin` header's text) is allowed.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.current().origins.iter().any(|o| o.as_str() == origin)
    }

    /// Reads the file again. A file that cannot be read or is refused changes nothing:
    /// the affiliates read before stay, and the error says why.
    ///
    /// # Errors
    /// When there is no file to read, or it is refused.
    pub fn reload(&self) -> Result<usize> {
        let path = self
            .file
            .as_deref()
            .context("PROXY_AFFILIATES is not set: there is no affiliates file to read")?;
        let affiliates = Affiliates::load(path)?;
        let count = affiliates.len();
        let next = Arc::new(Reading::new(&self.listed, affiliates));
        match self.current.write() {
            Ok(mut c) => *c = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
        Ok(count)
    }

    /// [`Registry::reload`], logged: how many affiliates there are now, or why the file
    /// was refused and the previous affiliates kept; nothing without a file.
    pub fn reload_and_log(&self) {
        if self.file.is_none() {
            // SIGHUP re-reads the endpoints file too: no affiliates file is no error.
            return;
        }
        match self.reload() {
            Ok(count) => tracing::info!(affiliates = count, "affiliates file read again"),
            Err(e) => tracing::error!(
                error = format!("{e:#}"),
                kept = self.affiliates().len(),
                "affiliates file refused; the previous affiliates stay"
            ),
        }
    }
}

/// An optional text field: absent, empty and blank are all none.
fn given(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

fn page_path(text: Option<&str>) -> Result<Option<String>, Invalid> {
    given(text)
        .map(|t| {
            normalise_page_path(t).ok_or(invalid(
                Field::PagePath,
                "must be a path such as /japan/tokyo, at most 200 characters",
            ))
        })
        .transpose()
}

/// How many days a signed attribution stays good after the day it was signed: a page
/// left open over a weekend still credits its affiliate.
pub const SIGNED_FOR_DAYS: i64 = 2;

/// An affiliate and a placement, as the proxy signed them into a widget's frame
/// (`EmbedConfig::attribution`) when it served the frame for that affiliate:
/// `a1:<affiliate>:<placement>:<day>:<mac>`, the MAC (128 bits of HMAC-SHA256 under the
/// proxy's key, `domain::keyed_mac`) over the rest. Replicas need the same
/// `PROXY_LOG_TAG_KEY` to accept each other's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The affiliate's id.
    pub affiliate: String,
    /// The placement, normalised.
    pub placement: Option<String>,
}

impl Signed {
    const VERSION: &'static str = "a1";

    fn mac(&self, day: i64) -> String {
        let text = format!(
            "{}:{}:{}:{day}",
            Self::VERSION,
            self.affiliate,
            self.placement.as_deref().unwrap_or_default()
        );
        hex::encode(&crate::domain::keyed_mac("attribution", text.as_bytes())[..16])
    }

    /// The token of this attribution, signed on `day` (days since the Unix epoch).
    pub fn token(&self, day: i64) -> String {
        format!(
            "{}:{}:{}:{day}:{}",
            Self::VERSION,
            self.affiliate,
            self.placement.as_deref().unwrap_or_default(),
            self.mac(day)
        )
    }

    /// The attribution a token carries, if the proxy signed it on `today` or in the
    /// [`SIGNED_FOR_DAYS`] before, and its affiliate is still in the file.
    pub fn verify(affiliates: &Affiliates, token: &str, today: i64) -> Option<Signed> {
        let mut parts = token.trim().split(':');
        let (version, affiliate, placement, day, mac) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        if version != Self::VERSION || parts.next().is_some() {
            return None;
        }
        let day: i64 = day.parse().ok()?;
        let signed = Signed {
            affiliate: affiliate.to_owned(),
            placement: (!placement.is_empty()).then(|| placement.to_owned()),
        };
        let expected = signed.mac(day);
        let same: bool = expected.as_bytes().ct_eq(mac.as_bytes()).into();
        let fresh = (today - SIGNED_FOR_DAYS..=today).contains(&day);
        (same && fresh && affiliates.get(affiliate).is_some()).then_some(signed)
    }
}

/// Days since the Unix epoch, in UTC.
pub fn unix_day(now_ms: i64) -> i64 {
    now_ms.div_euclid(86_400_000)
}

/// Who made a sale: the affiliate (from the file), and where on its site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The affiliate's id.
    pub affiliate: String,
    /// The placement, normalised.
    pub placement: Option<String>,
    /// The page's path, normalised.
    pub page_path: Option<String>,
    /// The affiliate network's click id (checkouts only; never counted in the funnel).
    pub click_id: Option<String>,
}

/// A checkout's click id, checked (see `simology_proxy_api::is_valid_click_id`).
///
/// # Errors
/// `Invalid` (click_id) when it breaks the rule.
pub fn click_id(text: Option<&str>) -> Result<Option<String>, Invalid> {
    given(text)
        .map(|t| {
            is_valid_click_id(t).then(|| t.to_owned()).ok_or(invalid(
                Field::ClickId,
                "must be 1 to 200 of A-Z, a-z, 0-9, ., _, ~ and -",
            ))
        })
        .transpose()
}

impl Attribution {
    /// The attribution of a checkout: its signed attribution's, if the proxy signed it
    /// (recently, for an affiliate still in the file), with the page's path and the
    /// network's click id. Any other attribution costs the affiliate its credit, never
    /// the traveller the sale: the checkout goes on without one, and the log says why.
    /// A click id goes only with the affiliate the proxy signed: without one it is
    /// dropped, so a postback goes to no network a body merely names.
    ///
    /// # Errors
    /// `Invalid` (click_id) for a malformed click id, checked even without an
    /// attribution (the widget sends only well-formed ones).
    pub fn of_checkout(
        affiliates: &Affiliates,
        request: &CheckoutRequest,
        today: i64,
    ) -> Result<Option<Attribution>, Invalid> {
        let click_id = click_id(request.click_id.as_deref())?;
        let Some(token) = given(request.attribution.as_deref()) else {
            return Ok(None);
        };
        let Some(signed) = Signed::verify(affiliates, token, today) else {
            tracing::info!("checkout with an attribution this proxy did not sign (or signed too long ago): none kept");
            return Ok(None);
        };
        Ok(Some(Attribution {
            affiliate: signed.affiliate,
            placement: signed.placement,
            page_path: given(request.page_path.as_deref()).and_then(normalise_page_path),
            click_id,
        }))
    }

    /// A text for the purchase's fingerprint: an intent reused with another
    /// attribution is another purchase.
    pub fn fingerprint_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}",
            self.affiliate,
            self.placement.as_deref().unwrap_or_default(),
            self.page_path.as_deref().unwrap_or_default()
        );
        // Only when there is one: an intent started before click ids keeps its print.
        if let Some(c) = &self.click_id {
            text.push_str("\nclick_id=");
            text.push_str(c);
        }
        text
    }
}

/// A beacon, checked: what the funnel counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    /// Who, where, and on which page.
    pub attribution: Attribution,
    /// The destination: a country's code (`JP`) or a region's slug.
    pub destination: Option<String>,
    /// What happened.
    pub event: FunnelEvent,
}

/// A destination as stored: a known country's code, upper-cased, or a region's slug,
/// lower-cased.
fn destination(text: Option<&str>) -> Result<Option<String>, Invalid> {
    let Some(text) = given(text) else {
        return Ok(None);
    };
    let country = DestinationId::country(text).filter(|d| country_name(&d.code).is_some());
    let found = match country {
        Some(d) => Some(d),
        None if text.len() > 2 => DestinationId::region(text),
        None => None,
    };
    found.map(|d| Some(d.code)).ok_or(invalid(
        Field::Destination,
        "must be a country's ISO code (JP) or a region's slug (western-europe)",
    ))
}

impl Counted {
    /// A beacon, on `today`.
    ///
    /// # Errors
    /// `Invalid` (affiliate) for an attribution the proxy did not sign, or signed too
    /// long ago, or for an affiliate no longer in the file; `Invalid` for a malformed
    /// page path, or a destination that is neither a country's code nor a region's slug.
    pub fn of_beacon(
        affiliates: &Affiliates,
        beacon: &Beacon,
        today: i64,
    ) -> Result<Counted, ApiError> {
        let signed = Signed::verify(affiliates, &beacon.attribution, today).ok_or(invalid(
            Field::Affiliate,
            "is not an attribution this shop signed for a widget's frame",
        ))?;
        Ok(Counted {
            attribution: Attribution {
                affiliate: signed.affiliate,
                placement: signed.placement,
                page_path: page_path(beacon.page_path.as_deref())?,
                click_id: None,
            },
            destination: destination(beacon.destination.as_deref())?,
            event: beacon.event,
        })
    }
}

#[cfg(test)]
mod tests;
