//! The proxy's request bodies and their validation at the edge: never panics, and what
//! passes keeps its promises (a return URL on an allowed origin, a well-formed SKU,
//! a quantity of 1 to 10).
#![no_main]

use libfuzzer_sys::fuzz_target;
use simology_proxy::domain::{
    new_order_ref, parse_order_ref, Email, IntentId, Locale, Origin, Quantity, ReturnUrl, Sku,
};
use simology_proxy_api::{CheckoutRequest, PaymentReturn, TopupRequest};

fuzz_target!(|data: &[u8]| {
    let allowed = [Origin::parse("https://blog.example").expect("origin")];
    if let Ok(body) = serde_json::from_slice::<CheckoutRequest>(data) {
        if let Ok(sku) = Sku::parse(&body.sku) {
            assert!(sku.as_str().bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'));
        }
        if let Ok(q) = Quantity::parse(body.quantity) {
            assert!((1..=10).contains(&q.get()));
        }
        let _ = Email::parse(&body.email);
        let locale = Locale::parse_or_default(&body.locale);
        assert!(locale.as_str().len() <= 6);
        let _ = IntentId::parse(&body.intent_id);
        if let Ok(url) = ReturnUrl::parse(&body.return_url, &allowed) {
            assert!(url.as_str().starts_with("https://blog.example/"));
            let r = new_order_ref();
            let back = url.with_fragment(&PaymentReturn::Paid(r.clone()));
            assert!(back.ends_with(r.as_str()));
        }
    }
    if let Ok(body) = serde_json::from_slice::<TopupRequest>(data) {
        let _ = Sku::parse(&body.sku);
        let _ = Email::parse(&body.email);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(r) = parse_order_ref(text) {
            assert_eq!(r.as_str(), text);
        }
    }
});
