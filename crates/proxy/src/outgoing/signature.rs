//! Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "<webhook-id>.<webhook-timestamp>.<body>">` under a secret written `whsec_<base64>`.
//!
//! Written here on `hmac` and `sha2` (already the proxy's) rather than with the
//! `standardwebhooks` crate, which would bring a second `base64` and the old `http` 0.2
//! for a dozen lines; the specification's published test vectors hold it to the
//! algorithm (see the tests).

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The headers of a signed delivery.
pub const ID_HEADER: &str = "webhook-id";
/// Unix seconds of the attempt.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// `v1,<base64>`, several separated by spaces while a secret is rotated.
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// The prefix of a secret's text.
const PREFIX: &str = "whsec_";

/// The shortest and longest key a secret may hold, in bytes (the specification asks
/// for 24 to 64 random bytes).
const KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// A signing secret: the key bytes of a `whsec_<base64>` text. Its `Debug` shows none.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(whsec_****)")
    }
}

/// Why a secret's text is refused. The message never quotes the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadSecret {
    /// It does not start with `whsec_`.
    #[error("must start with whsec_")]
    Prefix,
    /// What follows is not standard base64.
    #[error("must be whsec_ and standard base64")]
    Base64,
    /// The key is too short or too long.
    #[error("must hold 24 to 64 bytes (32 to 88 base64 characters)")]
    Length,
}

impl Secret {
    /// Parses `whsec_<base64>` (surrounding white space ignored).
    ///
    /// # Errors
    /// [`BadSecret`], saying which rule.
    pub fn parse(text: &str) -> Result<Secret, BadSecret> {
        let encoded = text.trim().strip_prefix(PREFIX).ok_or(BadSecret::Prefix)?;
        let key = STANDARD.decode(encoded).map_err(|_| BadSecret::Base64)?;
        if !KEY_BYTES.contains(&key.len()) {
            return Err(BadSecret::Length);
        }
        Ok(Secret(key))
    }

    /// A new random secret's text (`whsec_` and 32 random bytes in base64).
    pub fn generate() -> String {
        let key: [u8; 32] = rand::random();
        format!("{PREFIX}{}", STANDARD.encode(key))
    }

    /// `v1,<base64>` for a delivery of `body` with `id` at `timestamp`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC takes keys of any length, so this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            unreachable!("HMAC accepts any key length")
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header's value: a signature under each secret, separated by
/// spaces (the receiver accepts any one it knows: a secret is rotated by listing the
/// new one beside the old until the receiver has it).
pub fn signature_header(secrets: &[Secret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a `webhook-signature` header holds a `v1` signature of `body` by `id` at
/// `timestamp` under `secret` (compared in constant time), and `timestamp` is within 5
/// minutes of `now` (Unix seconds): what a receiver checks.
pub fn verify(
    secret: &Secret,
    id: &str,
    timestamp: i64,
    header: &str,
    body: &[u8],
    now: i64,
) -> bool {
    if (now - timestamp).abs() > 300 {
        return false;
    }
    header.split(' ').any(|sig| {
        let Some(Ok(given)) = sig.strip_prefix("v1,").map(|b| STANDARD.decode(b)) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&secret.0) else {
            return false;
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&given).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification's published vectors (its reference libraries' tests).
    #[test]
    fn the_specification_s_test_vectors() {
        let cases = [
            (
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                r#"{"test": 2432232314}"#,
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            ),
            (
                "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1_649_367_553,
                r#"{"email":"test@example.com","username":"test_user"}"#,
                "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
            ),
        ];
        for (secret, id, t, body, want) in cases {
            let secret = Secret::parse(secret).expect("a valid secret");
            assert_eq!(secret.sign(id, t, body.as_bytes()), want);
        }
    }

    #[test]
    fn several_secrets_sign_side_by_side() {
        let a = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("a");
        let b = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").expect("b");
        let header = signature_header(&[a.clone(), b.clone()], "msg_1", 5, b"{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(
            parts,
            [a.sign("msg_1", 5, b"{}"), b.sign("msg_1", 5, b"{}")]
        );
    }

    #[test]
    fn secrets_are_checked_and_never_shown() {
        let made = Secret::generate();
        let secret = Secret::parse(&made).expect("a generated secret parses");
        assert!(!format!("{secret:?}").contains(&made[6..]));
        for (bad, why) in [
            ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", BadSecret::Prefix),
            ("whsec_not base64!", BadSecret::Base64),
            ("whsec_c2hvcnQ=", BadSecret::Length),
        ] {
            assert_eq!(Secret::parse(bad), Err(why), "{bad}");
            assert!(!why.to_string().contains(bad));
        }
    }
}
