//! Webhook signatures: the `Simology-Signature` header, signing and verification.
//!
//! The header is `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, the convention of Stripe's
//! webhook signatures that the guide's format follows. Each `v1` is the lowercase hex
//! HMAC-SHA256, keyed with a webhook secret, of the *signed payload*:
//!
//! ```text
//! {t}.{raw request body}
//! ```
//!
//! that is, the decimal timestamp, a full stop, and the body bytes exactly as received.
//! Binding the timestamp into the MAC is what makes the 5-minute tolerance a defence
//! against replay. Verification must run on the raw body, never on JSON re-serialised
//! after parsing. Several `v1` values may appear (the sender signs with more than one
//! secret while a secret is rotated); any one matching any configured secret is enough.
//!
//! A receiver that must never lose a signed event verifies first and parses later:
//! [`verify_envelope`] checks the signature and reads only the event's `id` and `type`,
//! so the raw body can be stored under its id and answered 2xx even when its data does
//! not match this SDK's schema; [`Event::from_json`] parses it afterwards. [`verify`]
//! does both at once, for receivers that can refuse what they cannot parse.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::events::Event;
pub use crate::events::EventEnvelope;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "Simology-Signature";

/// The largest accepted distance between `t` and now, either way: 5 minutes.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

/// Why a webhook was refused. Each cause has its own variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The header is missing a part or is not `t=...,v1=...`.
    #[error("malformed signature header: {0}")]
    BadHeader(&'static str),
    /// The timestamp is further than the tolerance from now.
    #[error("timestamp is {skew_secs} s away from now, over the tolerance")]
    BadTimestamp {
        /// `t - now`, in seconds.
        skew_secs: i64,
    },
    /// No `v1` matches any secret.
    #[error("no signature matches")]
    BadSignature,
    /// The signature is good but the body is not a valid event.
    #[error("the body is not a valid event: {0}")]
    BadParse(String),
}

/// A parsed signature header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    /// The signing time, Unix seconds.
    pub timestamp: i64,
    /// The `v1` signatures, decoded.
    pub signatures: Vec<Vec<u8>>,
}

impl SignatureHeader {
    /// Parses `t=<int>,v1=<hex>[,v1=<hex>...]`; other schemes (e.g. `v0`) are ignored.
    ///
    /// # Errors
    /// [`WebhookError::BadHeader`] naming what is wrong.
    pub fn parse(header: &str) -> Result<Self, WebhookError> {
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for part in header.split(',') {
            let (key, value) = part
                .trim()
                .split_once('=')
                .ok_or(WebhookError::BadHeader("a part is not key=value"))?;
            match key {
                "t" => {
                    if timestamp.is_some() {
                        return Err(WebhookError::BadHeader("t appears twice"));
                    }
                    let t = value
                        .parse::<i64>()
                        .map_err(|_| WebhookError::BadHeader("t is not an integer"))?;
                    timestamp = Some(t);
                }
                "v1" => {
                    let sig =
                        hex::decode(value).map_err(|_| WebhookError::BadHeader("v1 is not hex"))?;
                    if sig.len() != 32 {
                        return Err(WebhookError::BadHeader("v1 is not 32 bytes"));
                    }
                    signatures.push(sig);
                }
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(WebhookError::BadHeader("no t"))?;
        if signatures.is_empty() {
            return Err(WebhookError::BadHeader("no v1"));
        }
        Ok(SignatureHeader {
            timestamp,
            signatures,
        })
    }
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts any key length"),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The hex `v1` signature of `body` at `timestamp` with `secret`.
pub fn sign(body: &[u8], secret: &[u8], timestamp: i64) -> String {
    hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
}

/// A full header value, `t=<timestamp>,v1=<sig>` with one `v1` per secret.
pub fn signature_header<S: AsRef<[u8]>>(body: &[u8], secrets: &[S], timestamp: i64) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&sign(body, secret.as_ref(), timestamp));
    }
    header
}

/// A header signed now with one secret: for tests and the sandbox.
pub fn generate_test_header(body: &[u8], secret: &[u8]) -> String {
    signature_header(body, &[secret], OffsetDateTime::now_utc().unix_timestamp())
}

/// Checks the signature and the timestamp on the raw body, without parsing it, with
/// the default tolerance of 300 s either way.
///
/// # Errors
/// [`WebhookError::BadHeader`], [`WebhookError::BadSignature`] or
/// [`WebhookError::BadTimestamp`].
pub fn verify_signature<S: AsRef<[u8]>>(
    raw_body: &[u8],
    header: &str,
    secrets: &[S],
    now: OffsetDateTime,
) -> Result<(), WebhookError> {
    verify_signature_with_tolerance(raw_body, header, secrets, now, DEFAULT_TOLERANCE_SECS)
}

/// [`verify_signature`] with another tolerance, in seconds either way.
///
/// # Errors
/// [`WebhookError::BadHeader`], [`WebhookError::BadSignature`] or
/// [`WebhookError::BadTimestamp`].
pub fn verify_signature_with_tolerance<S: AsRef<[u8]>>(
    raw_body: &[u8],
    header: &str,
    secrets: &[S],
    now: OffsetDateTime,
    tolerance_secs: i64,
) -> Result<(), WebhookError> {
    let parsed = SignatureHeader::parse(header)?;
    let matched = secrets.iter().any(|secret| {
        let expected = mac(secret.as_ref(), parsed.timestamp, raw_body);
        parsed
            .signatures
            // `verify_slice` compares in constant time.
            .iter()
            .any(|sig| expected.clone().verify_slice(sig).is_ok())
    });
    if !matched {
        return Err(WebhookError::BadSignature);
    }
    let skew = parsed.timestamp.saturating_sub(now.unix_timestamp());
    if skew.abs() > tolerance_secs {
        return Err(WebhookError::BadTimestamp { skew_secs: skew });
    }
    Ok(())
}

/// Verifies a webhook delivery and reads only its event's `id` and `type`: for storing
/// the raw body before parsing it, so that a signed event whose data this SDK cannot
/// parse (a changed schema, a new field value) is kept rather than refused.
///
/// # Errors
/// [`WebhookError::BadHeader`], [`WebhookError::BadSignature`] or
/// [`WebhookError::BadTimestamp`] as [`verify_signature`]; [`WebhookError::BadParse`]
/// when the body has no string `id` (non-empty) and `type`.
pub fn verify_envelope<S: AsRef<[u8]>>(
    raw_body: &[u8],
    header: &str,
    secrets: &[S],
    now: OffsetDateTime,
) -> Result<EventEnvelope, WebhookError> {
    verify_signature(raw_body, header, secrets, now)?;
    EventEnvelope::from_json(raw_body).map_err(|e| WebhookError::BadParse(e.to_string()))
}

/// Verifies a webhook delivery and parses its event.
///
/// `raw_body` must be the request body exactly as received; `secrets` holds every
/// secret currently accepted (more than one while rotating); `now` is the current time
/// (a parameter, so tests are deterministic). The tolerance is 300 s either way.
///
/// # Errors
/// One [`WebhookError`] variant per cause: malformed header, bad signature, timestamp
/// out of tolerance, body not a valid event.
pub fn verify<S: AsRef<[u8]>>(
    raw_body: &[u8],
    header: &str,
    secrets: &[S],
    now: OffsetDateTime,
) -> Result<Event, WebhookError> {
    verify_signature(raw_body, header, secrets, now)?;
    Event::from_json(raw_body).map_err(|e| WebhookError::BadParse(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"type":"payment.failed","id":"evt_1","created":"2025-01-10T09:20:02Z","data":{"session_id":"cs_1","reason":"card_declined"}}"#;
    const T: i64 = 1_736_500_000;

    fn at(t: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(t).expect("valid time")
    }

    #[test]
    fn accepts_a_valid_signature() {
        let header = signature_header(BODY, &["whsec_a"], T);
        let event = verify(BODY, &header, &["whsec_a"], at(T + 10)).expect("valid");
        assert_eq!(event.id, "evt_1");
    }

    #[test]
    fn signature_binds_timestamp_and_body() {
        // A known answer, computed independently (Python's hmac module) over "1.x":
        // the signed payload is `{t}.{body}`.
        assert_eq!(
            sign(b"x", b"k", 1),
            "976cb87e4f568d1c0f03f32859e90af8597cf00b978ba37c229c97d3a15b8449"
        );
        assert_ne!(sign(b"x", b"k", 1), sign(b"x", b"k", 2));
    }

    #[test]
    fn rejects_a_tampered_body() {
        let header = signature_header(BODY, &["whsec_a"], T);
        let mut tampered = BODY.to_vec();
        tampered[10] ^= 1;
        assert_eq!(
            verify(&tampered, &header, &["whsec_a"], at(T)),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn rejects_a_wrong_secret_and_accepts_a_rotated_one() {
        let header = signature_header(BODY, &["whsec_old"], T);
        assert_eq!(
            verify(BODY, &header, &["whsec_new"], at(T)),
            Err(WebhookError::BadSignature)
        );
        assert!(verify(BODY, &header, &["whsec_new", "whsec_old"], at(T)).is_ok());
    }

    #[test]
    fn accepts_any_of_several_v1() {
        let header = signature_header(BODY, &["whsec_x", "whsec_a"], T);
        assert_eq!(header.matches("v1=").count(), 2);
        assert!(verify(BODY, &header, &["whsec_a"], at(T)).is_ok());
        assert!(verify(BODY, &header, &["whsec_x"], at(T)).is_ok());
    }

    #[test]
    fn rejects_stale_and_future_timestamps() {
        let header = signature_header(BODY, &["s"], T);
        assert_eq!(
            verify(BODY, &header, &["s"], at(T + 301)),
            Err(WebhookError::BadTimestamp { skew_secs: -301 })
        );
        assert_eq!(
            verify(BODY, &header, &["s"], at(T - 301)),
            Err(WebhookError::BadTimestamp { skew_secs: 301 })
        );
        assert!(verify(BODY, &header, &["s"], at(T + 300)).is_ok());
        assert!(verify(BODY, &header, &["s"], at(T - 300)).is_ok());
    }

    #[test]
    fn rejects_malformed_headers() {
        let good = sign(BODY, b"s", T);
        for header in [
            String::new(),
            "garbage".to_owned(),
            format!("v1={good}"),
            format!("t={T}"),
            format!("t=abc,v1={good}"),
            format!("t={T},t={T},v1={good}"),
            format!("t={T},v1=zz"),
            format!("t={T},v1=abcd"),
        ] {
            assert!(
                matches!(
                    verify(BODY, &header, &["s"], at(T)),
                    Err(WebhookError::BadHeader(_))
                ),
                "{header:?} should be a bad header"
            );
        }
        // Unknown schemes are ignored beside a good v1.
        let header = format!("t={T},v0=ignored,v1={good}");
        assert!(verify(BODY, &header, &["s"], at(T)).is_ok());
    }

    #[test]
    fn verify_signature_does_not_parse_the_body() {
        for body in [&b"not json at all"[..], br#"{"hello": "world"}"#, b""] {
            let header = signature_header(body, &["s"], T);
            assert_eq!(verify_signature(body, &header, &["s"], at(T)), Ok(()));
            assert!(matches!(
                verify(body, &header, &["s"], at(T)),
                Err(WebhookError::BadParse(_))
            ));
        }
    }

    #[test]
    fn verify_signature_refuses_what_verify_refuses() {
        let header = signature_header(BODY, &["whsec_a"], T);
        let mut tampered = BODY.to_vec();
        tampered[10] ^= 1;
        assert_eq!(
            verify_signature(&tampered, &header, &["whsec_a"], at(T)),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify_signature(BODY, &header, &["whsec_b"], at(T)),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify_signature(BODY, &header, &["whsec_a"], at(T + 301)),
            Err(WebhookError::BadTimestamp { skew_secs: -301 })
        );
        assert_eq!(
            verify_signature_with_tolerance(BODY, &header, &["whsec_a"], at(T + 301), 600),
            Ok(())
        );
        assert!(matches!(
            verify_signature(BODY, "t=1", &["whsec_a"], at(T)),
            Err(WebhookError::BadHeader(_))
        ));
    }

    #[test]
    fn verify_envelope_keeps_a_signed_event_that_does_not_parse() {
        // A known type whose data no longer matches the schema: `verify` refuses it,
        // `verify_envelope` gives its id and type so it can be stored.
        let body = br#"{"type": "activation.ready", "id": "evt_drift", "created": "2025-01-10T09:21:10Z",
                        "data": {"order_id": "ord_1", "line": {"iccid": "89", "smdp_plus": "not an lpa"}}}"#;
        let header = signature_header(body, &["s"], T);
        assert!(matches!(
            verify(body, &header, &["s"], at(T)),
            Err(WebhookError::BadParse(_))
        ));
        assert_eq!(
            verify_envelope(body, &header, &["s"], at(T)),
            Ok(EventEnvelope {
                id: "evt_drift".into(),
                event_type: "activation.ready".into(),
            })
        );
        // Not even a created time: still an envelope.
        let bare = br#"{"id": "evt_2", "type": "x.y", "extra": [1, 2]}"#;
        let header = signature_header(bare, &["s"], T);
        let envelope = verify_envelope(bare, &header, &["s"], at(T)).expect("lenient");
        assert_eq!(
            (envelope.id.as_str(), envelope.event_type.as_str()),
            ("evt_2", "x.y")
        );
    }

    #[test]
    fn verify_envelope_needs_a_signature_and_an_id() {
        let header = signature_header(BODY, &["s"], T);
        assert_eq!(
            verify_envelope(BODY, &header, &["other"], at(T)),
            Err(WebhookError::BadSignature)
        );
        for body in [
            &br#"{"type": "order.paid"}"#[..],
            br#"{"id": "", "type": "order.paid"}"#,
            br#"{"id": 7, "type": "order.paid"}"#,
            br#"{"id": "evt_1"}"#,
            b"[]",
            b"not json",
        ] {
            let header = signature_header(body, &["s"], T);
            assert!(
                matches!(
                    verify_envelope(body, &header, &["s"], at(T)),
                    Err(WebhookError::BadParse(_))
                ),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn rejects_a_signed_body_that_is_not_an_event() {
        let body = br#"{"hello": "world"}"#;
        let header = signature_header(body, &["s"], T);
        assert!(matches!(
            verify(body, &header, &["s"], at(T)),
            Err(WebhookError::BadParse(_))
        ));
    }
}
