//! The widget's JSON (`src/json.rs`: the browser's `JSON`, each field read or written
//! by name) in a real browser: every answer type of the proxy reads back exactly what
//! `serde_json` wrote, unknown fields are skipped, and wrong, missing, inexact or
//! malformed values are refused; every request is written as `serde_json` writes it;
//! the orders saved in localStorage keep their format, and those of older versions
//! still read.
#![cfg(target_arch = "wasm32")]

use std::fmt::Debug;

use serde::Serialize;
use simology_proxy_api::*;
use simology_widget::json::{from_str, to_string, FromJson, Invalid, ToJson};
use simology_widget_core::saved::SavedOrder;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn round_trip<T: Serialize + FromJson + PartialEq + Debug>(value: &T) {
    let text = serde_json::to_string(value).expect("serializable");
    let back: T = from_str(&text).unwrap_or_else(|_| panic!("could not read back {text}"));
    assert_eq!(&back, value, "{text}");
}

fn price(minor: i64, currency: &str, decimals: u8) -> Price {
    Price {
        minor,
        currency: CurrencyCode::parse(currency).expect("code"),
        decimals,
    }
}

fn plan(sku: &str) -> Plan {
    Plan {
        sku: sku.into(),
        name: "Japan 5 GB \u{2013} 30 days <b>\"quoted\"</b> \\ \u{1F1EF}\u{1F1F5}".into(),
        kind: DestinationKind::Country,
        destination: "JP".into(),
        coverage: vec!["JP".into()],
        data_mb: 5 * 1024,
        validity_days: 30,
        price: price(1500, "JPY", 0),
        available: false,
        terms_url: "https://example.test/terms?a=1&b=2".into(),
    }
}

fn order(state: OrderState, esim: bool) -> OrderView {
    OrderView {
        order_ref: OrderRef::from_bits(26),
        state,
        reason: (state == OrderState::Failed).then(|| "provisioning_failed".into()),
        plan: OrderPlan {
            sku: "EU-10GB-30D".into(),
            name: "Europe 10 GB".into(),
            coverage: vec!["FR".into(), "DE".into(), "IT".into()],
            data_mb: 10_240,
            validity_days: 30,
            quantity: 2,
            price: price(-1999, "EUR", 2),
            terms_url: "https://example.test/t".into(),
        },
        esim: esim.then(|| Esim {
            iccid: "8944500000000000001".into(),
            lpa: "LPA:1$smdp.example.test$K2-ABC-123".into(),
            smdp_address: "smdp.example.test".into(),
            activation_code: "K2-ABC-123".into(),
            valid_from: "2026-11-26T10:00:00Z".into(),
            valid_until: "2026-12-26T10:00:00Z".into(),
        }),
        topup_of: None,
        email_on_file: false,
        analytics_id: "a_0123456789abcdef0123".into(),
        version: 9_007_199_254_740_991,
        updated_at: "2026-11-26T10:00:00Z".into(),
    }
}

#[wasm_bindgen_test]
fn every_answer_reads_back_what_was_written() {
    let destination = Destination {
        kind: DestinationKind::Region,
        code: "western-europe".into(),
        name: "Western Europe".into(),
        plan_count: 12,
        lowest_price: Some(price(450, "GBP", 2)),
        countries: vec!["FR".into(), "BE".into()],
    };
    round_trip(&DestinationsResponse {
        destinations: vec![
            destination.clone(),
            Destination {
                lowest_price: None,
                countries: vec![],
                ..destination.clone()
            },
        ],
        updated_at: "2026-11-26T00:00:00Z".into(),
    });
    round_trip(&CatalogResponse {
        destination,
        plans: vec![plan("JP-5GB-30D"), plan("JP-1GB-7D")],
        updated_at: "2026-11-26T00:00:00Z".into(),
    });
    // The frame's configuration, as the proxy writes it into the frame's document.
    let embed = EmbedConfig {
        instance: "japan-shop".into(),
        lang: "fr".into(),
        theme: "dark".into(),
        destination: Some(DestinationId {
            kind: DestinationKind::Country,
            code: "JP".into(),
        }),
        sku: Some("JP-5GB-30D".into()),
        travellers: Some(3),
        order: Some(OrderRef::from_bits(0xdef)),
        catalog: Some(CatalogResponse {
            destination: Destination {
                kind: DestinationKind::Country,
                code: "JP".into(),
                name: "Japan".into(),
                plan_count: 1,
                lowest_price: None,
                countries: vec!["JP".into()],
            },
            plans: vec![plan("JP-5GB-30D")],
            updated_at: "2026-11-26T00:00:00Z".into(),
        }),
        attribution: Some("a1:wander-notes:sidebar:20794:0123456789abcdef0123456789abcdef".into()),
        cancelled: true,
        poll_interval_ms: Some(3000),
        compat_check: CompatCheck::Advisory,
    };
    round_trip(&embed);
    round_trip(&EmbedConfig {
        destination: None,
        sku: None,
        travellers: None,
        order: None,
        catalog: None,
        attribution: None,
        cancelled: false,
        poll_interval_ms: None,
        // The default is not written: a frame without the attribute says nothing.
        compat_check: CompatCheck::Required,
        ..embed
    });
    round_trip(&CheckoutResponse {
        order_ref: OrderRef::from_bits(0xabc),
        payment_url: "http://127.0.0.1:1/pay?s=1".into(),
        expires_at: "2026-11-26T01:00:00Z".into(),
    });
    for state in OrderState::ALL {
        round_trip(&order(state, state == OrderState::Ready));
    }
    // The whole answer of an order read: the view's fields flattened beside its lines.
    let ready = order(OrderState::Ready, true);
    let esim = ready.esim.clone().expect("ready");
    round_trip(&OrderDetail {
        lines: vec![
            Line {
                iccid: "8944500000000000000".into(),
                state: LineState::Refunded,
                esim: None,
            },
            Line {
                iccid: esim.iccid.clone(),
                state: LineState::Ready,
                esim: Some(esim),
            },
        ],
        lines_ready: 2,
        lines_total: 2,
        topup_line: None,
        order: ready,
    });
    round_trip(&OrderDetail {
        lines: vec![],
        lines_ready: 0,
        lines_total: 0,
        topup_line: Some("8944500000000000001".into()),
        order: OrderView {
            topup_of: Some(OrderRef::from_bits(7)),
            ..order(OrderState::Paid, false)
        },
    });
    round_trip(&UsageView {
        used_mb: 0,
        remaining_mb: u64::from(u32::MAX) * 4,
        status: "active".into(),
        measured_at: "2026-11-26T00:00:00Z".into(),
        valid_until: "2026-12-26T00:00:00Z".into(),
    });
    round_trip(&TopupOffers {
        offers: vec![plan("JP-1GB-7D")],
    });
    round_trip(&TopupOffers { offers: vec![] });
    round_trip(&ErrorBody {
        error: ErrorDetail {
            code: ErrorCode::RateLimited,
            message: "slow down".into(),
            field: Some("email".into()),
            retry_after: Some(7),
            request_id: Some("req_1".into()),
        },
    });
}

#[wasm_bindgen_test]
fn unknown_fields_and_codes_are_tolerated() {
    let body: ErrorBody = from_str(
        r#"{"error":{"code":"teapot","message":"m","extra":{"deep":[1,2.5,{"x":null}]}},"more":[true]}"#,
    )
    .expect("tolerated");
    assert_eq!(body.error.code, ErrorCode::Unknown);
    assert_eq!(body.error.retry_after, None);
    let body: ErrorBody =
        from_str(r#"{"error":{"code":"not_found","message":"m","retry_after":null}}"#)
            .expect("null option");
    assert_eq!(body.error.code, ErrorCode::NotFound);
    assert_eq!(body.error.retry_after, None);
}

#[wasm_bindgen_test]
fn wrong_missing_and_inexact_values_are_refused() {
    let good = serde_json::to_string(&order(OrderState::Ready, true)).expect("json");
    let cases = [
        // Not JSON at all, or cut short.
        "".to_owned(),
        "<html>502 Bad Gateway</html>".to_owned(),
        good[..good.len() - 1].to_owned(),
        // A required field missing.
        good.replace("\"state\":\"ready\",", ""),
        // Wrong types.
        good.replace("\"state\":\"ready\"", "\"state\":3"),
        good.replace("\"state\":\"ready\"", "\"state\":\"shipped\""),
        good.replace("\"quantity\":2", "\"quantity\":\"2\""),
        good.replace("\"quantity\":2", "\"quantity\":2.5"),
        good.replace("\"quantity\":2", "\"quantity\":-2"),
        good.replace("\"quantity\":2", "\"quantity\":4294967296"),
        good.replace("\"coverage\":[\"FR\"", "\"coverage\":[7"),
        good.replace("\"currency\":\"EUR\"", "\"currency\":\"euro\""),
        // Beyond what a JavaScript number holds exactly.
        good.replace(
            "\"version\":9007199254740991",
            "\"version\":9007199254740993",
        ),
        // An array where an object belongs.
        "[]".to_owned(),
        "null".to_owned(),
    ];
    for case in cases {
        assert_ne!(case, good);
        assert_eq!(from_str::<OrderView>(&case), Err(Invalid), "{case}");
    }
    let back: OrderView = from_str(&good).expect("the unchanged text reads");
    assert_eq!(back, order(OrderState::Ready, true));
}

fn saved_order(quantity: u32) -> SavedOrder {
    SavedOrder {
        order_ref: OrderRef::from_bits(0xabc),
        instance: "w-japan".into(),
        sku: "US-1GB-7D".into(),
        destination: DestinationId::country("US").expect("country"),
        name: "Japan \"5\" GB \u{2013} \u{1F1EF}\u{1F1F5}".into(),
        quantity,
        started_ms: 1_795_000_000_123,
        done: false,
    }
}

/// A saved order as the widget has written it since travellers were counted: the
/// stored format, which later versions must keep reading.
const SAVED: &str = r#"{"order_ref":"o_00000000000000000000000000000abc","instance":"w-japan","sku":"US-1GB-7D","destination":{"kind":"country","code":"US"},"name":"Japan \"5\" GB \u2013 \ud83c\uddef\ud83c\uddf5","started_ms":1795000000123,"done":false}"#;

/// `value` as JSON text, parsed by serde for comparison.
fn written<T: ToJson + ?Sized>(value: &T) -> serde_json::Value {
    let text = to_string(value).expect("written");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[wasm_bindgen_test]
fn saved_orders_keep_their_format_and_older_ones_still_read() {
    let one = saved_order(1);
    let stored: serde_json::Value = serde_json::from_str(SAVED).expect("json");
    // An order of one is saved without its quantity (as before travellers were
    // counted), and reads back as one.
    assert_eq!(written(&vec![one.clone()]), serde_json::json!([stored]));
    assert_eq!(from_str::<SavedOrder>(SAVED), Ok(one.clone()));
    let three = saved_order(3);
    let text = to_string(&vec![three.clone(), one.clone()]).expect("written");
    assert!(text.contains(r#""quantity":3"#), "{text}");
    assert_eq!(
        from_str::<Vec<SavedOrder>>(&text),
        Ok(vec![three, one.clone()])
    );
    // Versions before the kind was saved wrote the bare code.
    let kind = r#"{"kind":"country","code":"US"}"#;
    let legacy = SAVED.replace(kind, r#""US""#);
    assert_eq!(from_str::<SavedOrder>(&legacy), Ok(one));
    let region = SAVED.replace(kind, r#""western-europe""#);
    assert_eq!(
        from_str::<SavedOrder>(&region).map(|o| o.destination),
        Ok(DestinationId::region("western-europe").expect("region"))
    );
    for bad in [
        SAVED.replace(kind, r#""<b>""#),
        SAVED.replace(kind, r#"{"kind":"planet","code":"US"}"#),
        SAVED.replace(kind, "7"),
        SAVED.replace(r#""done":false"#, r#""done":"no""#),
        SAVED.replace(r#""order_ref":"o_"#, r#""order_ref":"x_"#),
        SAVED.replace(r#","started_ms":1795000000123"#, ""),
    ] {
        assert_ne!(bad, SAVED);
        assert_eq!(from_str::<SavedOrder>(&bad), Err(Invalid), "{bad}");
    }
}

#[wasm_bindgen_test]
fn requests_are_written_as_serde_writes_them() {
    let checkout = CheckoutRequest {
        sku: "JP-5GB-30D".into(),
        quantity: 3,
        email: "élise@exemple.fr".into(),
        locale: "fr".into(),
        intent_id: "w0123456789abcdef".into(),
        return_url: "https://blog.example/japan?x=1&y=\"2\"#top".into(),
        instance: Some("japan-shop".into()),
        attribution: Some("a1:wander-notes:sidebar:20794:0123456789abcdef0123456789abcdef".into()),
        page_path: Some("/japan".into()),
        click_id: Some("IR_a1.b2~c3-d".into()),
    };
    assert_eq!(
        written(&checkout),
        serde_json::to_value(&checkout).expect("serde")
    );
    let plain = CheckoutRequest {
        instance: None,
        attribution: None,
        page_path: None,
        click_id: None,
        ..checkout
    };
    assert_eq!(
        written(&plain),
        serde_json::to_value(&plain).expect("serde")
    );
    for event in FunnelEvent::ALL {
        let beacon = Beacon {
            attribution: "a1:wander-notes:sidebar:20794:0123456789abcdef0123456789abcdef".into(),
            event,
            page_path: None,
            destination: Some("western-europe".into()),
        };
        assert_eq!(
            written(&beacon),
            serde_json::to_value(&beacon).expect("serde")
        );
    }
    for email in ["", "alex@example.com"] {
        let topup = TopupRequest {
            sku: "JP-1GB-7D".into(),
            email: email.into(),
            locale: "ja".into(),
            intent_id: "w0123456789abcdef".into(),
            return_url: "https://blog.example/".into(),
            instance: (!email.is_empty()).then(|| "japan-shop".into()),
        };
        assert_eq!(
            written(&topup),
            serde_json::to_value(&topup).expect("serde")
        );
    }
}

#[wasm_bindgen_test]
fn defaults_apply_only_to_missing_members() {
    // `email_on_file` came after the first proxies: missing, it is false; present but
    // not a boolean, the answer is refused like any other wrong value.
    let good = serde_json::to_string(&order(OrderState::Ready, true)).expect("json");
    let older = good.replace(r#""email_on_file":false,"#, "");
    assert_ne!(older, good);
    assert_eq!(
        from_str::<OrderView>(&older),
        Ok(order(OrderState::Ready, true))
    );
    let wrong = good.replace(r#""email_on_file":false"#, r#""email_on_file":null"#);
    assert_eq!(from_str::<OrderView>(&wrong), Err(Invalid));
    // A missing optional member is none, as a null one is.
    let failed = serde_json::to_string(&order(OrderState::Failed, false)).expect("json");
    let sparse = failed
        .replace(r#""esim":null,"#, "")
        .replace(r#""topup_of":null,"#, "");
    assert_ne!(sparse, failed);
    assert_eq!(
        from_str::<OrderView>(&sparse),
        Ok(order(OrderState::Failed, false))
    );
    let detail = OrderDetail {
        order: order(OrderState::Paid, false),
        lines: vec![],
        lines_ready: 0,
        lines_total: 2,
        topup_line: None,
    };
    let text = serde_json::to_string(&detail).expect("json");
    assert_eq!(
        from_str::<OrderDetail>(&text.replace(r#","topup_line":null"#, "")),
        Ok(detail)
    );
    for bad in [
        text.replace(r#""lines":[],"#, ""),
        text.replace(r#""lines_total":2"#, r#""lines_total":"2""#),
        text.replace(r#""lines":[]"#, r#""lines":[{"iccid":"1","state":"lost"}]"#),
        text.replace(r#""state":"paid""#, r#""state":null"#),
    ] {
        assert_ne!(bad, text);
        assert_eq!(from_str::<OrderDetail>(&bad), Err(Invalid), "{bad}");
    }
    // A code that is not a string is no code, known or not.
    let body = r#"{"error":{"code":7,"message":"m"}}"#;
    assert_eq!(from_str::<ErrorBody>(body), Err(Invalid));
}

/// Members a host page's script put on `Object.prototype` and `Array.prototype`, for
/// the length of one test (removed when dropped, the test failing or not).
struct Polluted(Vec<(js_sys::Object, &'static str)>);

impl Polluted {
    fn new() -> Polluted {
        use wasm_bindgen::JsValue;
        let object = js_sys::Object::get_prototype_of(&js_sys::Object::new());
        let array = js_sys::Object::get_prototype_of(&js_sys::Array::new());
        let to_json = js_sys::Function::new_no_args("return 'polluted'");
        let mut added = Vec::new();
        for (target, name, value) in [
            (&object, "retry_after", JsValue::from_f64(5.0)),
            (&object, "quantity", JsValue::from_f64(7.0)),
            (&object, "email_on_file", JsValue::TRUE),
            (&object, "toJSON", to_json.clone().into()),
            (&array, "toJSON", to_json.into()),
        ] {
            js_sys::Reflect::set(target, &name.into(), &value).expect("set");
            added.push((target.clone(), name));
        }
        Polluted(added)
    }
}

impl Drop for Polluted {
    fn drop(&mut self) {
        for (target, name) in &self.0 {
            let _ = js_sys::Reflect::delete_property(target, &(*name).into());
        }
    }
}

#[wasm_bindgen_test]
fn what_the_host_page_adds_to_the_prototypes_is_neither_read_nor_written() {
    let older = serde_json::to_string(&order(OrderState::Ready, true))
        .expect("json")
        .replace(r#""email_on_file":false,"#, "");
    let beacon = Beacon {
        attribution: "a1:wander-notes::20794:0123456789abcdef0123456789abcdef".into(),
        event: FunnelEvent::Shown,
        page_path: Some("/japan".into()),
        destination: None,
    };
    // Read and written while polluted; compared once the prototypes are clean again
    // (the test harness itself writes JSON to report a failure).
    let (error, view, saved, saved_written, beacon_written) = {
        let _polluted = Polluted::new();
        (
            from_str::<ErrorBody>(r#"{"error":{"code":"rate_limited","message":"m"}}"#),
            from_str::<OrderView>(&older),
            from_str::<SavedOrder>(SAVED),
            to_string(&vec![saved_order(1)]),
            to_string(&beacon),
        )
    };
    assert_eq!(error.map(|b| b.error.retry_after), Ok(None));
    assert_eq!(view.map(|o| o.email_on_file), Ok(false));
    assert_eq!(saved, Ok(saved_order(1)));
    let stored: serde_json::Value = serde_json::from_str(SAVED).expect("json");
    let parse = |text: Option<String>| -> serde_json::Value {
        let text = text.expect("written");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    };
    assert_eq!(parse(saved_written), serde_json::json!([stored]));
    assert_eq!(
        parse(beacon_written),
        serde_json::to_value(&beacon).expect("serde")
    );
}
