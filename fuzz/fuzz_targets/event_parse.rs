//! Event parsing: never panics; what parses serialises and parses back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simology::Event;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = Event::from_json(data) {
        let json = event.to_json().expect("a parsed event serialises");
        let back = Event::from_json(&json).expect("our own JSON parses");
        assert_eq!(back, event);
    }
});
