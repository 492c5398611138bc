//! Webhook verification on arbitrary headers and bodies: never panics, accepts only
//! what carries a true signature, and accepts a truly signed, well-formed event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simology::webhook::{sign, signature_header, verify, SignatureHeader, WebhookError};
use time::OffsetDateTime;

const SECRET: &str = "whsec_fuzz";
const NOW: i64 = 1_736_500_000;

fuzz_target!(|data: &[u8]| {
    let now = OffsetDateTime::from_unix_timestamp(NOW).expect("valid time");
    // First line: a header; the rest: the body.
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (head, body) = data.split_at(split);
    let body = body.get(1..).unwrap_or_default();
    if let Ok(header) = std::str::from_utf8(head) {
        if verify(body, header, &[SECRET], now).is_ok() {
            let parsed = SignatureHeader::parse(header).expect("accepted headers parse");
            let expected = sign(body, SECRET.as_bytes(), parsed.timestamp);
            let hexes: Vec<String> = parsed.signatures.iter().map(|s| s.iter().map(|b| format!("{b:02x}")).collect()).collect();
            assert!(hexes.contains(&expected), "accepted without a true signature");
            assert!((parsed.timestamp - NOW).abs() <= 300);
        }
    }
    // The same body, truly signed: accepted exactly when it is a valid event.
    let good = signature_header(body, &[SECRET], NOW);
    match verify(body, &good, &[SECRET], now) {
        Ok(_) => assert!(simology::Event::from_json(body).is_ok()),
        Err(WebhookError::BadParse(_)) => assert!(simology::Event::from_json(body).is_err()),
        Err(other) => panic!("a true signature was refused: {other:?}"),
    }
});
