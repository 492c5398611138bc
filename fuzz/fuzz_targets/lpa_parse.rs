//! The LPA string parser: never panics; what parses prints back to the same value, and
//! its parts have only the characters the format allows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simology::Lpa;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(lpa) = Lpa::parse(text) {
        assert_eq!(Lpa::parse(&lpa.to_string()), Ok(lpa.clone()));
        assert!(lpa.activation_code().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        assert!(!lpa.smdp_address().contains(['<', '>', '"', '\'', ' ', '$']));
    }
});
