//! The checkout: the email, the travellers, the payment page and the failures on the way.

use super::*;
use crate::topups::ready_with_topups;

#[wasm_bindgen_test]
async fn checkout_validates_the_email_and_makes_one_order() {
    let h = mount_widget(Lang::En, Some((DestinationKind::Country, "US")), None);
    open_checkout(&h).await;
    assert!(h.text(".pay").contains("$4.50"));
    h.type_into("input[type=email]", "not-an-email");
    h.one(".pay").click();
    assert_eq!(
        h.changed(".field-error", "").await,
        "Enter an email address like name@example.com."
    );
    assert_eq!(
        h.one("input[type=email]")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );
    assert!(h.fake.checkouts.borrow().is_empty(), "nothing sent");

    h.type_into("input[type=email]", "alex@example.com");
    let form = h.one("form.checkout");
    let submit = || {
        let e = web_sys::Event::new_with_event_init_dict("submit", &{
            let i = web_sys::EventInit::new();
            i.set_cancelable(true);
            i
        })
        .expect("event");
        form.dispatch_event(&e).expect("dispatch");
    };
    let pay = h.text(".pay");
    // A double click; the button changes once the proxy has answered and the payment
    // page loads.
    submit();
    submit();
    let redirecting = h.changed(".pay", &pay).await;
    let sent = h.fake.checkouts.borrow().clone();
    assert_eq!(sent.len(), 1, "one order for a double click");
    assert_eq!(sent[0].quantity, 1, "one traveller unless told");
    assert_eq!(sent[0].email, "alex@example.com");
    assert_eq!(sent[0].return_url, "https://blog.example/japan");
    assert!(simology_proxy_api::is_valid_intent_id(&sent[0].intent_id));
    assert_eq!(
        h.navigated.borrow().as_slice(),
        ["https://pay.example/cs_1"]
    );
    assert!(redirecting.contains("Taking you to secure payment"));
}

#[wasm_bindgen_test]
async fn an_unsafe_payment_page_is_never_opened() {
    let refused = "The payment page we were given is not a secure address, so we did not open it. Please try again later.";
    for (n, url) in [
        "javascript:alert(document.domain)",
        "data:text/html,<script>alert(1)</script>",
        "http://pay.example/cs_1",
    ]
    .into_iter()
    .enumerate()
    {
        let h = mount_widget(Lang::En, Some((DestinationKind::Country, "US")), None);
        let order_ref = OrderRef::from_bits(100 + n as u128);
        *h.fake.checkout_result.borrow_mut() = Some(Ok(CheckoutResponse {
            order_ref: order_ref.clone(),
            payment_url: url.into(),
            expires_at: String::new(),
        }));
        open_checkout(&h).await;
        h.type_into("input[type=email]", "alex@example.com");
        h.one(".pay").click();
        assert_eq!(h.changed(".form-error", "").await, refused, "{url}");
        assert_eq!(h.fake.checkouts.borrow().len(), 1);
        assert!(h.navigated.borrow().is_empty(), "{url}");
        assert!(
            !simology_widget::browser::saved_orders()
                .iter()
                .any(|o| o.order_ref == order_ref),
            "an order with no usable payment page is not remembered: {url}"
        );
        h.shown(".pay:enabled").await;
    }
    // A local sandbox's page, over plain http on loopback, is opened.
    let h = mount_widget(Lang::En, Some((DestinationKind::Country, "US")), None);
    *h.fake.checkout_result.borrow_mut() = Some(Ok(CheckoutResponse {
        order_ref: OrderRef::from_bits(200),
        payment_url: "http://127.0.0.1:8083/pay/cs_1".into(),
        expires_at: String::new(),
    }));
    open_checkout(&h).await;
    h.type_into("input[type=email]", "alex@example.com");
    h.one(".pay").click();
    until("the payment page", || !h.navigated.borrow().is_empty()).await;
    assert_eq!(
        h.navigated.borrow().as_slice(),
        ["http://127.0.0.1:8083/pay/cs_1"]
    );
}

#[wasm_bindgen_test]
async fn checkout_failures_are_translated() {
    let h = mount_widget(Lang::Es, Some((DestinationKind::Country, "US")), None);
    *h.fake.checkout_result.borrow_mut() = Some(Err(Failure::Api {
        status: 409,
        code: ErrorCode::SkuUnavailable,
        retry_after: None,
    }));
    open_checkout(&h).await;
    h.type_into("input[type=email]", "alex@example.com");
    h.one(".pay").click();
    let sold_out = h.changed(".form-error", "").await;
    assert_eq!(sold_out, "Este plan se acaba de agotar. Elige otro.");
    assert!(h.navigated.borrow().is_empty());
    *h.fake.checkout_result.borrow_mut() = Some(Err(Failure::Network));
    h.shown(".pay:enabled").await;
    h.one(".pay").click();
    assert_eq!(
        h.changed(".form-error", &sold_out).await,
        "La tienda no está disponible en este momento. Inténtalo de nuevo en un momento."
    );
}

#[wasm_bindgen_test]
async fn checkout_asks_how_many_travellers_and_charges_the_exact_total() {
    let en = Lang::En.strings();
    let h = mount_widget(Lang::En, Some((DestinationKind::Country, "US")), None);
    open_checkout(&h).await;
    let label = h.one("label[for$=-travellers]");
    assert_eq!(label.text_content().as_deref(), Some(en.travellers_label));
    let options: Vec<String> = h
        .all("select.travellers option")
        .iter()
        .filter_map(|o| o.text_content())
        .collect();
    assert_eq!(options, ["1", "2", "3", "4", "5"]);
    assert_eq!(h.text(".total"), "", "no total for one traveller");
    let pay = h.text(".pay");
    assert!(pay.contains("$4.50"), "{pay}");
    h.travellers(3);
    assert_eq!(
        h.changed(".total", "").await,
        "Total for 3 travellers: $13.50"
    );
    assert!(h.text(".pay").contains("$13.50"), "{}", h.text(".pay"));
    h.type_into("input[type=email]", "alex@example.com");
    h.one(".pay").click();
    until("the payment page", || !h.navigated.borrow().is_empty()).await;
    let sent = h.fake.checkouts.borrow().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].quantity, 3);
    let saved = simology_widget::browser::saved_orders();
    assert_eq!(saved.iter().map(|o| o.quantity).collect::<Vec<_>>(), [3]);
}

#[wasm_bindgen_test]
async fn a_quantity_the_shop_cannot_deliver_is_refused_before_payment() {
    let h = mount_widget(Lang::Fr, Some((DestinationKind::Country, "US")), None);
    *h.fake.checkout_result.borrow_mut() = Some(Err(Failure::Api {
        status: 409,
        code: ErrorCode::QuantityUnavailable,
        retry_after: None,
    }));
    open_checkout(&h).await;
    h.travellers(5);
    h.type_into("input[type=email]", "alex@example.com");
    h.one(".pay").click();
    assert_eq!(
        h.changed(".form-error", "").await,
        Lang::Fr.strings().err_quantity
    );
    assert!(h.navigated.borrow().is_empty(), "no payment page");
    assert_eq!(h.fake.checkouts.borrow()[0].quantity, 5);
    // Fewer travellers: the refusal has been answered.
    h.travellers(2);
    until("the refusal to go", || h.text(".form-error").is_empty()).await;
}

#[wasm_bindgen_test]
async fn errors_tell_offline_unreachable_and_provider_trouble_apart() {
    let en = Lang::En.strings();
    let h = mount_widget(Lang::En, Some((DestinationKind::Country, "US")), None);
    open_checkout(&h).await;
    h.type_into("input[type=email]", "alex@example.com");
    let mut shown = String::new();
    let cases = [
        (Failure::Network, true, en.err_network),
        (Failure::Network, false, en.err_offline),
        (
            Failure::Api {
                status: 503,
                code: ErrorCode::UpstreamUnavailable,
                retry_after: None,
            },
            true,
            en.err_upstream,
        ),
        // A gateway in front of the proxy, answering for it.
        (
            Failure::Api {
                status: 502,
                code: ErrorCode::Unknown,
                retry_after: None,
            },
            true,
            en.err_network,
        ),
    ];
    for (failure, online, expected) in cases {
        let _device = Device::new().with("onLine", &online.into());
        *h.fake.checkout_result.borrow_mut() = Some(Err(failure.clone()));
        h.shown(".pay:enabled").await;
        h.one(".pay").click();
        // Each case's message differs from the one before.
        shown = h.changed(".form-error", &shown).await;
        assert_eq!(shown, expected, "{failure:?}, online: {online}");
    }
    for message in [en.err_network, en.err_upstream] {
        assert!(
            !message.contains("connection"),
            "never blames the traveller's network: {message}"
        );
    }
}

#[wasm_bindgen_test]
async fn an_email_given_once_is_offered_to_the_next_purchase_in_memory_only() {
    let h = ready_with_topups().await;
    let email = |h: &Harness| {
        h.one("input[type=email]")
            .unchecked_into::<web_sys::HtmlInputElement>()
            .value()
    };
    assert_eq!(email(&h), "", "nothing given yet");
    h.type_into(".topups input[type=email]", "alex@example.com");
    h.buy_topup(Err(Failure::Network)).await;
    // Another eSIM: the checkout offers the same address.
    h.one(".new-purchase").click();
    h.shown(".search-input").await;
    h.type_into(".search-input", "united st");
    h.shown(".search-option").await;
    h.key(".search-input", "Enter");
    open_checkout(&h).await;
    assert_eq!(email(&h), "alex@example.com");
    // Changed there, then back to the plans and another plan: the last one given.
    h.type_into("input[type=email]", "sam@example.com");
    h.one(".back").click();
    h.shown(".country-plans .choose").await;
    h.all(".country-plans .choose")[1].click();
    h.shown("form.checkout").await;
    assert_eq!(email(&h), "sam@example.com");
    // Held in memory only: nothing of it in the browser's storage.
    for storage in [
        window().local_storage().ok().flatten(),
        window().session_storage().ok().flatten(),
    ]
    .into_iter()
    .flatten()
    {
        for i in 0..storage.length().unwrap_or(0) {
            let key = storage.key(i).ok().flatten().unwrap_or_default();
            let value = storage.get_item(&key).ok().flatten().unwrap_or_default();
            assert!(
                !value.contains("@example.com") && !key.contains("@example.com"),
                "{key}: {value}"
            );
        }
    }
}

#[wasm_bindgen_test]
async fn a_payment_page_the_browser_keeps_the_frame_from_opening_becomes_a_link() {
    let h = mount_widget(Lang::En, Some((DestinationKind::Country, "US")), None);
    h.may_navigate.set(false);
    open_checkout(&h).await;
    assert!(
        h.one(".pay-link").has_attribute("hidden"),
        "no link before it is needed"
    );
    h.type_into("input[type=email]", "alex@example.com");
    submit(&h);
    h.shown(".pay-link:not([hidden])").await;
    let link = h.one(".pay-link");
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("https://pay.example/cs_1")
    );
    assert_eq!(link.get_attribute("target").as_deref(), Some("_top"));
    assert_eq!(
        link.text_content().as_deref(),
        Some(Lang::En.strings().pay_link)
    );
    // Not stuck as if it were on its way: the button can be pressed again.
    assert!(h.all(".pay[aria-disabled=true]").is_empty());
}

#[wasm_bindgen_test]
async fn a_checkout_shown_before_the_wasm_goes_on_with_what_was_typed_in_it() {
    let fake = Rc::new(Fake::default());
    let (us, config, services) = on_the_proxys_rendering(&fake, "typed");
    let primed = catalog("US");
    // The frame's script mounts on the plan tapped, with the travellers and the email
    // given in the proxy's rendering of its checkout (`loader::first_screen`).
    let screen = Screen::Picker {
        destination: Some(us.clone()),
        sku: Some(primed.plans[0].sku.clone()),
        travellers: Some(2),
    };
    let mounted = Mounted::new(&[], move || {
        view! {
            <Widget config=config services=services screen=screen primed=Some((primed, us))
                tapped=true email=Some("ana@example.com".to_owned()) />
        }
    });
    let h = Harness::of(mounted, Rc::clone(&fake));
    assert_eq!(h.all("form.checkout").len(), 1);
    let email: web_sys::HtmlInputElement = h.one("input[type=email]").unchecked_into();
    until("the email typed before the wasm", || {
        email.value() == "ana@example.com"
    })
    .await;
    let select: web_sys::HtmlSelectElement = h.one("select.travellers").unchecked_into();
    assert_eq!(select.value(), "2");
    // Sent as typed, for as many.
    submit(&h);
    until("the checkout sent", || {
        !h.fake.checkouts.borrow().is_empty()
    })
    .await;
    let sent = h.fake.checkouts.borrow().clone();
    assert_eq!(sent[0].email, "ana@example.com");
    assert_eq!(sent[0].quantity, 2);
}
