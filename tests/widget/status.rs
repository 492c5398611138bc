//! An order's status as it moves, the polling loop on its own, and what the status
//! module is given.

use super::*;

#[wasm_bindgen_test]
async fn status_moves_through_payment_preparation_and_ready() {
    let h = mount_widget(Lang::En, None, Some(Screen::Order(order_ref())));
    h.shown(".status-message").await;
    let pending = h.text(".status-message");
    assert_eq!(pending, "Waiting for your payment…");
    h.fake.publish(Ok(order_view(OrderState::Paid, None, 2)));
    let paid = h.changed(".status-message", &pending).await;
    assert_eq!(paid, "Confirming your payment…");
    assert_eq!(h.changed(".step.current", "").await, "Payment");
    h.fake
        .publish(Ok(order_view(OrderState::Provisioning, None, 3)));
    assert_eq!(
        h.changed(".status-message", &paid).await,
        "Payment confirmed. Preparing your eSIM…"
    );
    assert_eq!(
        h.changed(".step.current", "Payment").await,
        "Preparing your eSIM"
    );
    assert_eq!(
        h.one("[role=status]").get_attribute("aria-live").as_deref(),
        Some("polite")
    );
    let preparing = h.text(".status-message");
    h.fake.publish(Ok(order_view(OrderState::Ready, None, 4)));
    assert_eq!(
        h.changed(".status-message", &preparing).await,
        "Your eSIM is ready."
    );
    // Usage and offers load on their own.
    h.shown(".qr svg").await;
    h.shown(".usage").await;
    h.shown(".topups").await;
    until("no step under way", || h.all(".step.current").is_empty()).await;
    // The ready view: a QR code made here, the codes for manual entry, validity, usage.
    let svg = h.one(".qr svg");
    assert!(svg.outer_html().contains("<path") || svg.outer_html().contains("<rect"));
    assert_eq!(h.one(".qr").get_attribute("role").as_deref(), Some("img"));
    let codes: Vec<String> = h
        .all(".copy-value")
        .iter()
        .filter_map(|e| e.text_content())
        .collect();
    assert_eq!(codes, vec!["sm-dp-plus.simology.net", "ACT-CODE-1234"]);
    assert_eq!(h.all(".copyable button").len(), 2);
    assert_eq!(
        h.text(".validity"),
        "Valid from Jan 10, 2025 to Feb 9, 2025"
    );
    assert!(
        h.text(".usage").contains("1.1\u{a0}GB used of 5\u{a0}GB"),
        "{}",
        h.text(".usage")
    );
    assert!(
        h.text(".usage").contains("3.8\u{a0}GB left"),
        "{}",
        h.text(".usage")
    );
    assert!(h.text(".topups").contains("$4.50"));
    assert_eq!(h.all(".steps .done").len(), 3);
    // An order of one eSIM is shown as one, asked of as one.
    assert!(h.all(".traveller, .traveller-title").is_empty());
    assert_eq!(h.fake.usage_lines.borrow().as_slice(), [None]);
    assert_eq!(h.fake.offer_lines.borrow().as_slice(), [None]);
}

#[wasm_bindgen_test]
async fn a_declined_payment_offers_to_choose_again_with_the_plan_kept() {
    let h = mount_widget(Lang::It, None, Some(Screen::Order(order_ref())));
    simology_widget::browser::save_order(simology_widget_core::saved::SavedOrder {
        order_ref: order_ref(),
        instance: "any".into(),
        sku: "US-5GB-30D".into(),
        destination: DestinationId::country("US").expect("country"),
        name: "United States 5 GB".into(),
        quantity: 3,
        started_ms: simology_widget::browser::now_ms(),
        done: false,
    });
    h.shown(".status-message").await;
    let pending = h.text(".status-message");
    h.fake.publish(Ok(order_view(
        OrderState::Failed,
        Some("payment_declined"),
        2,
    )));
    assert_eq!(
        h.changed(".status-message", &pending).await,
        "Il pagamento è stato rifiutato. Non è stato addebitato nulla."
    );
    h.shown(".order > .button").await;
    assert!(h.all(".steps").is_empty());
    h.all(".order > .button")[0].click();
    h.shown(".summary-plan").await;
    assert!(
        h.text(".summary-plan").contains("5\u{a0}GB"),
        "back to the chosen plan: {}",
        h.root.inner_html()
    );
    // For as many travellers.
    let select: web_sys::HtmlSelectElement = h.one("select.travellers").unchecked_into();
    assert_eq!(select.value(), "3");
    assert_eq!(h.text(".total"), "Totale per 3 viaggiatori: 40,50\u{a0}$");
    h.one(".back").click();
    h.shown(".country-plans .plan-card").await;
    assert_eq!(
        h.skus()[0],
        "US-1GB-7D",
        "and from there to the destination's plans"
    );
}

/// A poll of the order against a fresh fake, with the order remembered as unfinished.
fn poll_with(
    pace: Pace,
    answers: Vec<Result<OrderView, Failure>>,
) -> (
    Rc<Fake>,
    Watched,
    OrderPoll,
    simology_widget::polling::PollGuard,
) {
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.clear();
    }
    simology_widget::browser::save_order(SavedOrder {
        order_ref: order_ref(),
        instance: "poll".into(),
        sku: "US-5GB-30D".into(),
        destination: DestinationId::country("US").expect("country"),
        name: "United States 5 GB".into(),
        quantity: 1,
        started_ms: simology_widget::browser::now_ms(),
        done: false,
    });
    let fake = Rc::new(Fake::default());
    for answer in answers {
        fake.publish(answer);
    }
    let watched = Watched::new();
    let (poll, guard) = OrderPoll::new(
        Rc::new(Shared(Rc::clone(&fake))),
        order_ref(),
        pace,
        watched,
    );
    (fake, watched, poll, guard)
}

/// Runs the poll in the background; the flag says when it has ended.
fn spawn_run(poll: OrderPoll) -> Rc<Cell<bool>> {
    let done = Rc::new(Cell::new(false));
    let ended = Rc::clone(&done);
    leptos::task::spawn_local(async move {
        poll.run().await;
        ended.set(true);
    });
    done
}

fn remembered_as_done() -> bool {
    simology_widget::browser::saved_orders()
        .iter()
        .any(|o| o.order_ref == order_ref() && o.done)
}

#[wasm_bindgen_test]
async fn polling_long_polls_from_the_version_held_and_stops_when_final() {
    let (fake, watched, poll, _guard) = poll_with(
        Pace::LongPoll,
        vec![
            Ok(order_view(OrderState::Paid, None, 2)),
            Ok(order_view(OrderState::Provisioning, None, 3)),
            Ok(order_view(OrderState::Ready, None, 4)),
        ],
    );
    poll.run().await;
    assert_eq!(
        fake.order_reads.borrow().as_slice(),
        [
            (0, None),
            (LONG_POLL_SECS, Some(2)),
            (LONG_POLL_SECS, Some(3))
        ],
        "the first read at once, then long-polls; none after the final state"
    );
    assert_eq!(
        watched.order.get_untracked().map(|o| o.order),
        Some(order_view(OrderState::Ready, None, 4))
    );
    assert!(!watched.not_found.get_untracked());
    assert!(!watched.offline.get_untracked());
    assert!(remembered_as_done());
}

#[wasm_bindgen_test]
async fn polling_at_an_interval_reads_without_waiting() {
    let (fake, watched, poll, _guard) = poll_with(
        Pace::Every(1),
        vec![
            Ok(order_view(OrderState::Pending, None, 1)),
            Ok(order_view(OrderState::Pending, None, 1)),
            Ok(order_view(OrderState::Failed, Some("payment_declined"), 2)),
        ],
    );
    poll.run().await;
    assert_eq!(
        fake.order_reads.borrow().as_slice(),
        [(0, None), (0, None), (0, None)]
    );
    assert_eq!(
        watched.order.get_untracked().map(|o| o.order.state),
        Some(OrderState::Failed)
    );
    assert!(remembered_as_done());
}

#[wasm_bindgen_test]
async fn polling_goes_on_through_failures_and_stops_on_an_unknown_order() {
    let rate_limited = Failure::Api {
        status: 429,
        code: ErrorCode::RateLimited,
        retry_after: Some(1),
    };
    let not_found = Failure::Api {
        status: 404,
        code: ErrorCode::NotFound,
        retry_after: None,
    };
    let (fake, watched, poll, _guard) = poll_with(
        Pace::LongPoll,
        vec![
            Err(Failure::Network),
            Ok(order_view(OrderState::Paid, None, 2)),
            Err(rate_limited),
            Err(not_found),
        ],
    );
    let done = spawn_run(poll);
    // The browser coming back online cuts the backoff and the rate-limit wait short.
    until("the poll to end", || {
        let online = web_sys::Event::new("online").expect("event");
        window().dispatch_event(&online).expect("dispatch");
        done.get()
    })
    .await;
    assert_eq!(
        fake.order_reads.borrow().as_slice(),
        [
            (0, None),
            (0, None),
            (LONG_POLL_SECS, Some(2)),
            (LONG_POLL_SECS, Some(2))
        ],
        "a failure asks again for the same thing"
    );
    assert!(watched.not_found.get_untracked());
    assert!(!watched.offline.get_untracked(), "the browser is online");
    assert_eq!(
        watched.order.get_untracked().map(|o| o.order.state),
        Some(OrderState::Paid),
        "what was read stays"
    );
    assert!(remembered_as_done());
}

#[wasm_bindgen_test]
async fn polling_stops_when_its_guard_is_dropped() {
    let (fake, watched, poll, guard) = poll_with(Pace::LongPoll, vec![]);
    let done = spawn_run(poll);
    until("the first read", || fake.order_reads.borrow().len() == 1).await;
    // The component goes away while the read is under way; then the answer arrives.
    drop(guard);
    fake.publish(Ok(order_view(OrderState::Paid, None, 2)));
    until("the poll to end", || done.get()).await;
    assert_eq!(
        watched.order.get_untracked(),
        None,
        "the late answer is dropped"
    );
    assert_eq!(fake.order_reads.borrow().len(), 1, "nothing more is asked");
    assert!(!remembered_as_done());
}

#[wasm_bindgen_test]
fn only_an_order_passes_to_the_status_module() {
    use simology_widget::loader::screen_from_js;
    let order = js_sys::Object::new();
    js_sys::Reflect::set(&order, &"screen".into(), &"order".into()).expect("set");
    js_sys::Reflect::set(&order, &"order".into(), &REF.into()).expect("set");
    assert_eq!(screen_from_js(&order), Some(Screen::Order(order_ref())));
    js_sys::Reflect::set(&order, &"order".into(), &"o_1".into()).expect("set");
    assert_eq!(screen_from_js(&order), None, "not a reference");
    let picker = js_sys::Object::new();
    js_sys::Reflect::set(&picker, &"screen".into(), &"picker".into()).expect("set");
    assert_eq!(
        screen_from_js(&picker),
        None,
        "the picker comes by the frame's address"
    );
    assert_eq!(screen_from_js(&wasm_bindgen::JsValue::NULL), None);
}
