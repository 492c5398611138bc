//! The LPA activation string of an eSIM profile (GSMA SGP.22, section 4.1):
//! `LPA:1$<SM-DP+ address>$<matching id>[$<SM-DP+ OID>[$<confirmation code required>]]`.
//!
//! The guide's `smdp_plus` field carries this string. The SM-DP+ address and the
//! matching id (the "activation code" a traveller types in by hand) come out of it.

use std::fmt;
use std::str::FromStr;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// Why an LPA string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LpaError {
    /// The string does not start with `LPA:1$`.
    #[error("an LPA string starts with \"LPA:1$\"")]
    MissingPrefix,
    /// The SM-DP+ address is empty or not a host name.
    #[error("the SM-DP+ address is not a valid host name")]
    BadAddress,
    /// The matching id (activation code) is empty or has characters outside `A-Z a-z 0-9 -`.
    #[error("the activation code is empty or has invalid characters")]
    BadMatchingId,
    /// The optional SM-DP+ OID is not a dotted number.
    #[error("the SM-DP+ OID is not a dotted number")]
    BadOid,
    /// The optional confirmation-code flag is not `1`.
    #[error("the confirmation code flag must be 1")]
    BadConfirmationFlag,
    /// More fields than the format has.
    #[error("too many fields in the LPA string")]
    TooManyFields,
}

/// A parsed LPA activation string. Its `Debug` masks the activation code (as
/// [`Lpa::redacted`] does), so a model that holds one can be logged with `{:?}`;
/// `Display` writes the whole string, for the traveller only.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Lpa {
    smdp_address: String,
    matching_id: String,
    oid: Option<String>,
    confirmation_code_required: bool,
}

fn valid_host(host: &str) -> bool {
    // A DNS name of labels, or an IPv4 literal, optionally with a port.
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    if let Some(p) = port {
        if p.parse::<u16>().is_err() {
            return false;
        }
    }
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn valid_matching_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn valid_oid(oid: &str) -> bool {
    !oid.is_empty()
        && oid
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

impl Lpa {
    /// Builds an LPA string from its parts.
    ///
    /// # Errors
    /// [`LpaError::BadAddress`] or [`LpaError::BadMatchingId`] for invalid parts.
    pub fn new(smdp_address: &str, matching_id: &str) -> Result<Self, LpaError> {
        if !valid_host(smdp_address) {
            return Err(LpaError::BadAddress);
        }
        if !valid_matching_id(matching_id) {
            return Err(LpaError::BadMatchingId);
        }
        Ok(Lpa {
            smdp_address: smdp_address.to_owned(),
            matching_id: matching_id.to_owned(),
            oid: None,
            confirmation_code_required: false,
        })
    }

    /// Parses `LPA:1$address$matching-id[$oid[$1]]`.
    ///
    /// # Errors
    /// One [`LpaError`] variant per malformed part.
    pub fn parse(text: &str) -> Result<Self, LpaError> {
        let rest = text
            .strip_prefix("LPA:1$")
            .or_else(|| text.strip_prefix("lpa:1$"))
            .ok_or(LpaError::MissingPrefix)?;
        let mut fields = rest.split('$');
        let address = fields.next().unwrap_or_default();
        let matching_id = fields.next().unwrap_or_default();
        let mut lpa = Lpa::new(address, matching_id)?;
        if let Some(oid) = fields.next() {
            // An empty OID is allowed when only the confirmation flag follows.
            if !oid.is_empty() {
                if !valid_oid(oid) {
                    return Err(LpaError::BadOid);
                }
                lpa.oid = Some(oid.to_owned());
            }
        }
        if let Some(flag) = fields.next() {
            if flag != "1" {
                return Err(LpaError::BadConfirmationFlag);
            }
            lpa.confirmation_code_required = true;
        }
        if fields.next().is_some() {
            return Err(LpaError::TooManyFields);
        }
        Ok(lpa)
    }

    /// The SM-DP+ server address, e.g. `sm-dp-plus.simology.net`.
    pub fn smdp_address(&self) -> &str {
        &self.smdp_address
    }

    /// The matching id: the activation code a traveller enters by hand.
    pub fn activation_code(&self) -> &str {
        &self.matching_id
    }

    /// The SM-DP+ OID, when the profile carries one.
    pub fn oid(&self) -> Option<&str> {
        self.oid.as_deref()
    }

    /// Whether the profile asks for a confirmation code at install.
    pub fn confirmation_code_required(&self) -> bool {
        self.confirmation_code_required
    }

    /// The activation code with all but its last four characters masked, for logs.
    pub fn redacted(&self) -> String {
        redact(&self.matching_id)
    }
}

/// Masks all but the last four characters of a secret, for logs.
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    let tail: String = secret.chars().skip(n.saturating_sub(4)).collect();
    if n <= 4 {
        "****".to_owned()
    } else {
        format!("****{tail}")
    }
}

impl fmt::Debug for Lpa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lpa")
            .field("smdp_address", &self.smdp_address)
            .field("activation_code", &self.redacted())
            .field("oid", &self.oid)
            .field(
                "confirmation_code_required",
                &self.confirmation_code_required,
            )
            .finish()
    }
}

impl fmt::Display for Lpa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LPA:1${}${}", self.smdp_address, self.matching_id)?;
        match (&self.oid, self.confirmation_code_required) {
            (Some(oid), true) => write!(f, "${oid}$1"),
            (Some(oid), false) => write!(f, "${oid}"),
            (None, true) => f.write_str("$$1"),
            (None, false) => Ok(()),
        }
    }
}

impl FromStr for Lpa {
    type Err = LpaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lpa::parse(s)
    }
}

impl Serialize for Lpa {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Lpa {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Lpa::parse(&s).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_guides_example() {
        let lpa = Lpa::parse("LPA:1$sm-dp-plus.simology.net$ACT-CODE-1234").expect("valid");
        assert_eq!(lpa.smdp_address(), "sm-dp-plus.simology.net");
        assert_eq!(lpa.activation_code(), "ACT-CODE-1234");
        assert_eq!(lpa.oid(), None);
        assert_eq!(lpa.redacted(), "****1234");
    }

    #[test]
    fn parses_optional_fields() {
        let lpa = Lpa::parse("LPA:1$smdp.example.com$K2-1X$1.3.6.1.4.1.31746$1").expect("valid");
        assert_eq!(lpa.oid(), Some("1.3.6.1.4.1.31746"));
        assert!(lpa.confirmation_code_required());
        let lpa = Lpa::parse("LPA:1$smdp.example.com$K2$$1").expect("valid");
        assert_eq!(lpa.oid(), None);
        assert!(lpa.confirmation_code_required());
        assert_eq!(lpa.to_string(), "LPA:1$smdp.example.com$K2$$1");
    }

    #[test]
    fn debug_masks_the_activation_code() {
        let lpa = Lpa::parse("LPA:1$sm-dp-plus.simology.net$K2-4YJH8-SECRET-1234").expect("valid");
        let shown = format!("{lpa:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("****1234") && shown.contains("sm-dp-plus.simology.net"));
        // Through a model that derives Debug, as logs see it.
        let shown = format!("{:?}", Some(&lpa));
        assert!(!shown.contains("K2-4YJH8"), "{shown}");
    }

    #[test]
    fn refuses_malformed_strings() {
        assert_eq!(Lpa::parse("LPA:2$a.b$c"), Err(LpaError::MissingPrefix));
        assert_eq!(Lpa::parse("sm-dp.example$X"), Err(LpaError::MissingPrefix));
        assert_eq!(Lpa::parse("LPA:1$$X"), Err(LpaError::BadAddress));
        assert_eq!(Lpa::parse("LPA:1$bad host$X"), Err(LpaError::BadAddress));
        assert_eq!(Lpa::parse("LPA:1$a.example"), Err(LpaError::BadMatchingId));
        assert_eq!(
            Lpa::parse("LPA:1$a.example$<script>"),
            Err(LpaError::BadMatchingId)
        );
        assert_eq!(Lpa::parse("LPA:1$a.example$X$1.x"), Err(LpaError::BadOid));
        assert_eq!(
            Lpa::parse("LPA:1$a.example$X$1.2$0"),
            Err(LpaError::BadConfirmationFlag)
        );
        assert_eq!(
            Lpa::parse("LPA:1$a.example$X$1.2$1$z"),
            Err(LpaError::TooManyFields)
        );
    }

    fn host() -> impl Strategy<Value = String> {
        prop::collection::vec("[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", 1..4).prop_map(|l| l.join("."))
    }

    proptest! {
        #[test]
        fn round_trip(address in host(), id in "[A-Za-z0-9-]{1,40}",
                      oid in prop::option::of("[0-9]{1,4}(\\.[0-9]{1,4}){0,5}"),
                      ccr in any::<bool>()) {
            let mut text = format!("LPA:1${address}${id}");
            match (&oid, ccr) {
                (Some(o), true) => text.push_str(&format!("${o}$1")),
                (Some(o), false) => text.push_str(&format!("${o}")),
                (None, true) => text.push_str("$$1"),
                (None, false) => {}
            }
            let lpa = Lpa::parse(&text).expect("generated strings are valid");
            prop_assert_eq!(lpa.smdp_address(), address.as_str());
            prop_assert_eq!(lpa.activation_code(), id.as_str());
            prop_assert_eq!(lpa.to_string(), text);
        }

        #[test]
        fn whatever_parses_prints_back_to_itself(text in "(LPA:1\\$)?[a-z.$0-9A-Z-]{0,40}") {
            if let Ok(lpa) = Lpa::parse(&text) {
                prop_assert_eq!(Lpa::parse(&lpa.to_string()), Ok(lpa));
            }
        }
    }
}
