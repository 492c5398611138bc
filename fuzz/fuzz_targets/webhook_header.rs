//! The `Simology-Signature` header parser: never panics; what it accepts has a
//! timestamp and 32-byte signatures, and prints back to a header it accepts the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simology::webhook::SignatureHeader;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(parsed) = SignatureHeader::parse(text) {
        assert!(!parsed.signatures.is_empty());
        assert!(parsed.signatures.iter().all(|s| s.len() == 32));
        let mut again = format!("t={}", parsed.timestamp);
        for s in &parsed.signatures {
            again.push_str(",v1=");
            for b in s {
                again.push_str(&format!("{b:02x}"));
            }
        }
        assert_eq!(SignatureHeader::parse(&again), Ok(parsed));
    }
});
