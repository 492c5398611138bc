//! The endpoints file (`PROXY_WEBHOOKS`): where the partner's systems take webhooks,
//! re-read on SIGHUP (a refused file keeps the last good one).
//!
//! ```toml
//! [[endpoint]]
//! id = "crm"                                  # a-z 0-9 -, for metrics, logs and the CLI
//! url = "https://crm.example/hooks/simology"  # https (http only to loopback)
//! secret = "whsec_..."                        # or secret_file = "/run/secrets/crm"
//! events = ["order.paid", "order.ready"]      # or ["*"]
//! ```
//!
//! `secret` may be a list while a secret is rotated: every one signs each delivery.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use url::Url;

use super::events::EventType;
use super::is_allowed_url;
use super::signature::Secret;
use simology_proxy_api::is_valid_affiliate_id;

/// One endpoint, as the file gives it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Its id.
    pub id: String,
    /// Where deliveries go.
    pub url: Url,
    /// The secrets that sign each delivery (one, or more while rotating).
    pub secrets: Vec<Secret>,
    /// The types it takes; `None` for every type (`["*"]`).
    pub events: Option<BTreeSet<EventType>>,
}

impl Endpoint {
    /// Whether it takes events of `event_type`.
    pub fn takes(&self, event_type: EventType) -> bool {
        self.events.as_ref().is_none_or(|e| e.contains(&event_type))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    endpoint: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    url: String,
    // Read as any value and checked by hand: serde's message for a wrong type would
    // quote the value, a secret.
    secret: Option<toml::Value>,
    secret_file: Option<PathBuf>,
    events: Vec<String>,
}

/// The endpoints of one reading of the file.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    list: Vec<Endpoint>,
}

fn secrets_of(id: &str, value: toml::Value) -> Result<Vec<String>> {
    match value {
        toml::Value::String(s) => Ok(vec![s]),
        toml::Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                toml::Value::String(s) => Ok(s),
                _ => bail!("endpoint {id}: secret must be a string or a list of strings"),
            })
            .collect(),
        _ => bail!("endpoint {id}: secret must be a string or a list of strings"),
    }
}

impl Endpoints {
    /// Parses the file's text; `secret_file` paths are relative to `dir`. Messages name
    /// the endpoint and the key at fault and never quote a secret.
    ///
    /// # Errors
    /// When the text is not TOML of the shape above (unknown keys are refused), or an
    /// endpoint breaks a rule: a unique id of `a-z 0-9 -`, an https URL (http only to a
    /// loopback address) without user or password, exactly one of `secret` and
    /// `secret_file` holding `whsec_` secrets, and a non-empty `events` of known types
    /// or `"*"`.
    pub fn parse(text: &str, dir: &Path) -> Result<Endpoints> {
        let file: File = toml::from_str(text).map_err(|e| {
            // The parser's message may quote a value; keys and the line are enough.
            let line = e
                .span()
                .and_then(|s| text.get(..s.start))
                .map_or(0, |b| b.matches('\n').count() + 1);
            let message = e.message();
            let safe = if message.contains("unknown field") || message.contains("missing field") {
                message.to_owned()
            } else {
                "not TOML of [[endpoint]] tables".to_owned()
            };
            anyhow!("line {line}: {}", safe.trim())
        })?;
        let mut list = Vec::with_capacity(file.endpoint.len());
        let mut ids = BTreeSet::new();
        for (n, e) in file.endpoint.into_iter().enumerate() {
            let id = e.id.trim().to_owned();
            if !is_valid_affiliate_id(&id) {
                bail!("endpoint #{}: id {id:?} must be 1 to 40 of a-z, 0-9 and -, not starting with -", n + 1);
            }
            if !ids.insert(id.clone()) {
                bail!("endpoint {id}: the id is listed twice");
            }
            let url =
                Url::parse(e.url.trim()).map_err(|_| anyhow!("endpoint {id}: url is not a URL"))?;
            if !is_allowed_url(&url) {
                bail!("endpoint {id}: url must be https (http only to a loopback address)");
            }
            if !url.username().is_empty() || url.password().is_some() {
                bail!("endpoint {id}: url must not hold a user or password (the signature authenticates)");
            }
            let texts = match (e.secret, e.secret_file) {
                (Some(v), None) => secrets_of(&id, v)?,
                (None, Some(path)) => {
                    let path = dir.join(path);
                    std::fs::read_to_string(&path)
                        .with_context(|| {
                            format!("endpoint {id}: cannot read secret_file {}", path.display())
                        })?
                        .split_whitespace()
                        .map(str::to_owned)
                        .collect()
                }
                _ => bail!("endpoint {id}: give exactly one of secret and secret_file"),
            };
            if texts.is_empty() {
                bail!("endpoint {id}: no secret given");
            }
            let secrets = texts
                .iter()
                .map(|t| {
                    Secret::parse(t).map_err(|why| anyhow!("endpoint {id}: each secret {why}"))
                })
                .collect::<Result<Vec<_>>>()?;
            if e.events.is_empty() {
                bail!("endpoint {id}: events must list event types, or \"*\" for all");
            }
            let events = if e.events.iter().any(|t| t.trim() == "*") {
                if e.events.len() > 1 {
                    bail!("endpoint {id}: events is either [\"*\"] or a list of types");
                }
                None
            } else {
                Some(
                    e.events
                        .iter()
                        .map(|t| {
                            EventType::parse(t.trim()).ok_or_else(|| {
                                anyhow!(
                                    "endpoint {id}: {t:?} is not an event type; the types are {}",
                                    EventType::ALL.map(EventType::as_str).join(", ")
                                )
                            })
                        })
                        .collect::<Result<BTreeSet<_>>>()?,
                )
            };
            list.push(Endpoint {
                id,
                url,
                secrets,
                events,
            });
        }
        list.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Endpoints { list })
    }

    /// Reads and parses a file.
    ///
    /// # Errors
    /// When it cannot be read or is refused (see [`Endpoints::parse`]).
    pub fn load(path: &Path) -> Result<Endpoints> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("PROXY_WEBHOOKS: cannot read {}", path.display()))?;
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        Endpoints::parse(&text, dir)
            .with_context(|| format!("PROXY_WEBHOOKS: {} is refused", path.display()))
    }

    /// The endpoint of an id.
    pub fn get(&self, id: &str) -> Option<&Endpoint> {
        self.list.iter().find(|e| e.id == id)
    }

    /// Every endpoint, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Endpoint> {
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

/// The endpoints now (the file as last read successfully); [`Webhooks::reload`] reads
/// it again.
pub struct Webhooks {
    file: Option<PathBuf>,
    current: RwLock<Arc<Endpoints>>,
}

impl Webhooks {
    /// Reads the file, if there is one.
    ///
    /// # Errors
    /// When the file cannot be read or is refused.
    pub fn load(file: Option<PathBuf>) -> Result<Webhooks> {
        let endpoints = match &file {
            Some(path) => Endpoints::load(path)?,
            None => Endpoints::default(),
        };
        Ok(Webhooks {
            file,
            current: RwLock::new(Arc::new(endpoints)),
        })
    }

    /// The endpoints now.
    pub fn endpoints(&self) -> Arc<Endpoints> {
        match self.current.read() {
            Ok(c) => Arc::clone(&c),
            // A writer only ever swaps one Arc for another: what is there is whole.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Reads the file again. A file that cannot be read or is refused changes nothing.
    ///
    /// # Errors
    /// When there is no file to read, or it is refused.
    pub fn reload(&self) -> Result<usize> {
        let path = self
            .file
            .as_deref()
            .context("PROXY_WEBHOOKS is not set: there is no endpoints file to read")?;
        let next = Arc::new(Endpoints::load(path)?);
        let count = next.len();
        match self.current.write() {
            Ok(mut c) => *c = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
        Ok(count)
    }

    /// [`Webhooks::reload`], logged; nothing when there is no file.
    pub fn reload_and_log(&self) {
        if self.file.is_none() {
            return;
        }
        match self.reload() {
            Ok(count) => tracing::info!(endpoints = count, "endpoints file read again"),
            Err(e) => tracing::error!(
                error = format!("{e:#}"),
                kept = self.endpoints().len(),
                "endpoints file refused; the previous endpoints stay"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn a_file_of_two_endpoints() {
        let dir = std::env::temp_dir().join(format!("endpoints-{:x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("support.secret"), format!("{SECRET}\n")).expect("write");
        let text = format!(
            "[[endpoint]]\nid = \"crm\"\nurl = \"https://crm.example/hooks\"\nsecret = \"{SECRET}\"\nevents = [\"order.paid\", \"order.ready\"]\n\
             [[endpoint]]\nid = \"support\"\nurl = \"http://127.0.0.1:9/h\"\nsecret_file = \"support.secret\"\nevents = [\"*\"]\n"
        );
        let e = Endpoints::parse(&text, &dir).expect("valid");
        assert_eq!(e.len(), 2);
        let crm = e.get("crm").expect("crm");
        assert!(crm.takes(EventType::OrderPaid) && !crm.takes(EventType::OrderFailed));
        let support = e.get("support").expect("support");
        assert!(EventType::ALL.iter().all(|t| support.takes(*t)));
        assert_eq!(support.secrets.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn refusals_name_the_endpoint_and_key_and_never_a_secret() {
        let entry = |rest: &str| format!("[[endpoint]]\nid = \"x\"\n{rest}\n");
        let url = "url = \"https://x.example/h\"";
        let cases = [
            (entry(&format!("{url}\nsecret = \"{SECRET}\"\nevents = [\"order.shipped\"]")), "order.shipped"),
            (entry(&format!("{url}\nsecret = \"{SECRET}\"\nevents = []")), "events"),
            (entry(&format!("{url}\nsecret = \"{SECRET}\"\nevents = [\"*\", \"order.paid\"]")), "events"),
            (entry(&format!("url = \"http://x.example/h\"\nsecret = \"{SECRET}\"\nevents = [\"*\"]")), "https"),
            (entry(&format!("url = \"https://u:p@x.example/h\"\nsecret = \"{SECRET}\"\nevents = [\"*\"]")), "user"),
            (entry(&format!("{url}\nsecret = \"whsec_short\"\nevents = [\"*\"]")), "secret"),
            (entry(&format!("{url}\nsecret = \"{}\"\nevents = [\"*\"]", &SECRET[6..])), "whsec_"),
            (entry(&format!("{url}\nevents = [\"*\"]")), "exactly one"),
            (entry(&format!("{url}\nsecret = 12345678901234567890\nevents = [\"*\"]")), "line"),
            (entry(&format!("{url}\nsecret = \"{SECRET}\"\nevent = [\"*\"]")), "unknown field"),
            (entry(&format!("{url}\nsecret = \"{SECRET}\"\nevents = [\"*\"]\n[[endpoint]]\nid = \"x\"\n{url}\nsecret = \"{SECRET}\"\nevents = [\"*\"]")), "twice"),
            (format!("[[endpoint]]\nid = \"Bad Id\"\n{url}\nsecret = \"{SECRET}\"\nevents = [\"*\"]\n"), "id"),
        ];
        for (text, says) in cases {
            let err = Endpoints::parse(&text, Path::new(".")).expect_err(says);
            let msg = format!("{err:#}");
            assert!(msg.contains(says), "{says}: {msg}");
            for secret in [&SECRET[6..], "whsec_short", "12345678901234567890"] {
                assert!(!msg.contains(secret), "{msg}");
            }
        }
    }

    #[test]
    fn a_refused_reload_keeps_the_last_good_file() {
        let dir = std::env::temp_dir().join(format!("endpoints-{:x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("webhooks.toml");
        let good = format!("[[endpoint]]\nid = \"crm\"\nurl = \"https://crm.example/h\"\nsecret = \"{SECRET}\"\nevents = [\"*\"]\n");
        std::fs::write(&path, &good).expect("write");
        let w = Webhooks::load(Some(path.clone())).expect("loads");
        assert_eq!(w.endpoints().len(), 1);
        std::fs::write(&path, "[[endpoint]]\nid = \"crm\"\n").expect("write");
        assert!(w.reload().is_err());
        assert!(w.endpoints().get("crm").is_some(), "kept");
        std::fs::write(&path, "").expect("write");
        assert_eq!(w.reload().expect("an empty file is no endpoint"), 0);
        assert!(Webhooks::load(None).expect("none").reload().is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
