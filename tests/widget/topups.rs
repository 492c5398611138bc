//! Top-ups: buying one, its failures, and the way back to the order it topped up.

use super::*;

/// Mounts the ready view of the order, with its one top-up offer.
pub async fn ready_with_topups() -> Harness {
    let h = mount_widget(Lang::En, None, Some(Screen::Order(order_ref())));
    h.fake.publish(Ok(order_view(OrderState::Ready, None, 4)));
    h.shown(".topups .topup-list button").await;
    h
}

impl Harness {
    /// Clicks the top-up offer, waits until the widget shows the purchase under way,
    /// answers it with `answer`, and waits until the answer is shown (the failure's text)
    /// or the payment page is asked for (no text).
    pub async fn buy_topup(&self, answer: Result<CheckoutResponse, Failure>) -> String {
        let sent = self.fake.topups.borrow().len() + 1;
        self.one(".topups .topup-list button").click();
        until("the top-up to be sent", || {
            self.fake.topups.borrow().len() == sent
        })
        .await;
        let button = self.one(".topups .topup-list button");
        until("the purchase under way", || {
            button.get_attribute("aria-disabled").as_deref() == Some("true")
        })
        .await;
        assert_eq!(
            self.text(".topups .form-error"),
            "",
            "a new try clears the last failure"
        );
        let succeeds = answer.is_ok();
        self.fake.topup_answers.give(answer);
        if succeeds {
            until("the payment page", || !self.navigated.borrow().is_empty()).await;
            return String::new();
        }
        until("the failure", || {
            button.get_attribute("aria-disabled").as_deref() == Some("false")
                && !self.text(".topups .form-error").is_empty()
        })
        .await;
        self.text(".topups .form-error")
    }
}

#[wasm_bindgen_test]
async fn a_failed_topup_keeps_its_intent_and_flags_a_refused_email() {
    let en = Lang::En.strings();
    let h = ready_with_topups().await;
    h.one(".topups .topup-list button").click();
    assert_eq!(
        h.changed(".topups .field-error", "").await,
        en.email_invalid,
        "an empty email is not sent"
    );
    assert!(h.fake.topups.borrow().is_empty());
    h.type_into(".topups input[type=email]", "alex@example.com");

    // A lost answer: the retry is the same purchase, so it cannot make a second order.
    assert_eq!(h.buy_topup(Err(Failure::Network)).await, en.err_network);
    h.buy_topup(Err(Failure::Network)).await;
    // The proxy refuses the address: the field says so, and the purchase is the same.
    let refused = Failure::Api {
        status: 422,
        code: ErrorCode::InvalidEmail,
        retry_after: None,
    };
    assert_eq!(h.buy_topup(Err(refused)).await, en.err_email);
    assert_eq!(
        h.one(".topups input[type=email]")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true"),
        "the refused email is flagged"
    );
    assert_eq!(h.text(".topups .field-error"), en.email_invalid);
    // The details changed under the intent: the next try is a new purchase.
    let conflict = Failure::Api {
        status: 409,
        code: ErrorCode::Conflict,
        retry_after: None,
    };
    assert_eq!(h.buy_topup(Err(conflict)).await, en.err_conflict);
    h.buy_topup(Err(Failure::Network)).await;
    let intents: Vec<String> = h
        .fake
        .topups
        .borrow()
        .iter()
        .map(|r| r.intent_id.clone())
        .collect();
    assert_eq!(intents.len(), 5);
    assert!(intents.iter().all(|i| is_valid_intent_id(i)));
    assert!(
        intents[..4].iter().all(|i| *i == intents[0]),
        "kept through network failures and a refused email: {intents:?}"
    );
    assert_ne!(intents[4], intents[0], "renewed after a conflict");
    assert!(h.navigated.borrow().is_empty());

    // And once it goes through: remembered, and off to the payment page.
    h.buy_topup(Ok(CheckoutResponse {
        order_ref: OrderRef::from_bits(7),
        payment_url: "https://pay.example/cs_topup".into(),
        expires_at: String::new(),
    }))
    .await;
    assert_eq!(
        h.navigated.borrow().as_slice(),
        ["https://pay.example/cs_topup"]
    );
    let saved = simology_widget::browser::saved_orders();
    let topup = saved
        .iter()
        .find(|o| o.order_ref == OrderRef::from_bits(7))
        .expect("the top-up is remembered");
    assert_eq!(topup.sku, "US-1GB-7D");
    assert_eq!(
        topup.destination,
        DestinationId::country("US").expect("country")
    );
    assert_eq!(h.fake.topups.borrow()[5].intent_id, intents[4]);
}

#[wasm_bindgen_test]
async fn a_topup_sends_no_email_the_proxy_holds_and_asks_for_it_when_the_proxy_has_none() {
    let en = Lang::En.strings();
    // Back from the payment page: the page reloaded, the widget holds no email, and the
    // order says that the proxy holds the checkout's.
    let h = mount_widget(Lang::En, None, Some(Screen::Order(order_ref())));
    let mut ready = order_view(OrderState::Ready, None, 4);
    ready.email_on_file = true;
    h.fake.publish(Ok(ready));
    h.shown(".topups .topup-list button").await;
    let field = h.one(".topups input[type=email]");
    assert!(
        field.offset_parent().is_none() && field.closest("[hidden]").ok().flatten().is_some(),
        "no email field"
    );

    // A top-up goes without one.
    h.one(".topups .topup-list button").click();
    until("the top-up to be sent", || {
        h.fake.topups.borrow().len() == 1
    })
    .await;
    assert_eq!(h.fake.topups.borrow()[0].email, "", "no email sent");

    // This proxy holds none after all (restarted): the field shows, focused, and says
    // what to do; the purchase stays the same.
    h.fake.topup_answers.give(Err(Failure::Api {
        status: 400,
        code: ErrorCode::InvalidEmail,
        retry_after: None,
    }));
    until("the email field", || field.offset_parent().is_some()).await;
    until("the focus on the field", || {
        document().active_element().as_ref() == Some(field.unchecked_ref::<web_sys::Element>())
    })
    .await;
    assert_eq!(h.text(".topups .field-error"), en.email_invalid);
    assert_eq!(field.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(h.text(".topups .form-error"), "", "said once, at the field");
    h.one(".topups .topup-list button").click();
    assert_eq!(
        h.fake.topups.borrow().len(),
        1,
        "not sent again without one"
    );

    h.type_into(".topups input[type=email]", "alex@example.com");
    h.buy_topup(Ok(CheckoutResponse {
        order_ref: OrderRef::from_bits(9),
        payment_url: "https://pay.example/cs_topup".into(),
        expires_at: String::new(),
    }))
    .await;
    let sent = h.fake.topups.borrow();
    assert_eq!(sent[1].email, "alex@example.com");
    assert_eq!(sent[1].intent_id, sent[0].intent_id, "the same purchase");
}

/// The focus follows the traveller from a ready top-up back to the order it topped up
/// ("Data"): that order's heading, never the body; on the frame's load, nothing.
#[wasm_bindgen_test]
async fn the_data_button_of_a_top_up_gives_the_focus_to_the_order() {
    let h = mount_widget(Lang::En, None, Some(Screen::Order(order_ref())));
    let mut topup = order_view(OrderState::Ready, None, 2);
    topup.topup_of =
        Some(OrderRef::parse("o_ffffffffffffffffffffffffffffffff").expect("a reference"));
    h.fake.publish(Ok(topup));
    h.shown(".topup-ready .button").await;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let focused = || document.active_element();
    assert_ne!(
        focused().as_ref(),
        Some(h.one(".order-title").unchecked_ref::<web_sys::Element>()),
        "nothing takes the focus on load"
    );
    h.one(".topup-ready .button").click();
    until("the order's heading to take the focus", || {
        h.all(".order-title").first().is_some_and(|title| {
            focused().as_ref() == Some(title.unchecked_ref::<web_sys::Element>())
        })
    })
    .await;
}
