//! The ready eSIM on each device: the install button, the QR code, the details, the
//! usage, and one card per traveller.

use super::*;

/// The ready view of the order, rendered on the device `_device` describes.
async fn ready_on(_device: &Device) -> Harness {
    let h = mount_widget(Lang::En, None, Some(Screen::Order(order_ref())));
    h.fake.publish(Ok(order_view(OrderState::Ready, None, 4)));
    h.shown(".ready .copyable").await;
    h
}

impl Harness {
    /// The classes of the ready view's first element: what it leads with.
    pub fn lead(&self) -> String {
        self.one(".ready")
            .first_element_child()
            .map(|e| e.class_name())
            .unwrap_or_default()
    }
}

#[wasm_bindgen_test]
async fn on_a_phone_that_installs_by_link_the_button_leads_and_the_qr_waits() {
    let en = Lang::En.strings();
    let device = Device::new()
        .with("userAgent", &IPHONE_IOS17.into())
        .recording("share", "__shared");
    let h = ready_on(&device).await;
    assert_eq!(h.lead(), "button install");
    assert_eq!(h.text(".install"), "Install on this iPhone");
    assert!(h
        .one(".install")
        .get_attribute("href")
        .unwrap_or_default()
        .starts_with("https://esimsetup.apple.com/"));
    // The QR code is for another device, behind a closed disclosure.
    let other = h.one("details.other-device");
    assert!(!other.has_attribute("open"));
    assert_eq!(h.text("details.other-device > summary"), en.other_device);
    assert_eq!(h.all("details.other-device .qr svg").len(), 1);
    assert_eq!(h.text(".qr-figure figcaption"), en.scan_other);
    let text = h.root.text_content().unwrap_or_default();
    assert!(
        !text.contains(en.ready_scan),
        "never 'scan with the phone you travel with' on that phone"
    );
    // This phone's way only.
    assert!(text.contains(en.how_iphone) && !text.contains(en.how_android));
    // Sharing sends the details, as text, to another device.
    h.one(".share").click();
    until("the share sheet", || recorded("__shared").is_object()).await;
    let shared = recorded("__shared");
    let field = |name: &str| {
        js_sys::Reflect::get(&shared, &name.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    assert_eq!(field("text").as_deref(), Some(DETAILS));
    assert_eq!(field("title").as_deref(), Some(en.checkout_title));
    assert_eq!(field("files"), None, "no image of the QR code");
    drop(device);
}

#[wasm_bindgen_test]
async fn on_an_iphone_that_cannot_install_by_link_the_details_lead() {
    let en = Lang::En.strings();
    let device = Device::new().with("userAgent", &IPHONE_IOS16.into());
    let h = ready_on(&device).await;
    assert_eq!(h.lead(), "manual-lead");
    assert_eq!(h.text(".manual-lead"), en.how_iphone_manual);
    assert!(h.all(".install").is_empty());
    assert!(!h.one("details.other-device").has_attribute("open"));
    assert_eq!(h.all("details.other-device .qr svg").len(), 1);
    assert!(!h
        .root
        .text_content()
        .unwrap_or_default()
        .contains(en.ready_scan));
    drop(device);
}

#[wasm_bindgen_test]
async fn on_a_computer_the_qr_leads_with_save_and_copy() {
    let en = Lang::En.strings();
    let device = Device::computer_copying_into("__copied");
    let h = ready_on(&device).await;
    assert_eq!(h.lead(), "qr-figure");
    assert_eq!(h.text(".qr-figure figcaption"), en.ready_scan);
    assert!(h.all("details.other-device, .install").is_empty());
    assert!(
        h.all(".share").is_empty(),
        "no share button without the API"
    );
    // Both ways on a computer: the traveller's phone may be either.
    let text = h.root.text_content().unwrap_or_default();
    assert!(text.contains(en.how_iphone) && text.contains(en.how_android));
    // "Save QR code" downloads the very QR code on screen, as SVG.
    let save = h.one("a.save-qr");
    assert_eq!(
        save.get_attribute("download").as_deref(),
        Some("esim-qr-code.svg")
    );
    let href = save.get_attribute("href").unwrap_or_default();
    let (kind, data) = href.split_once(',').expect("a data URL");
    assert_eq!(kind, "data:image/svg+xml;charset=utf-8");
    let svg: String = js_sys::decode_uri_component(data).expect("decodes").into();
    let path = h
        .one(".qr svg path")
        .get_attribute("d")
        .expect("the QR code's path");
    assert!(svg.contains("<svg") && svg.contains(&path));
    // "Copy all details": address, code, LPA string and ICCID, labelled.
    h.one(".copy-all").click();
    // Said through the status region; the button keeps its text and name, with a tick.
    until("the copy to be confirmed", || {
        h.text(".announcer") == en.details_copied
    })
    .await;
    assert_eq!(h.text(".copy-all"), en.copy_all);
    assert!(h.one(".copy-all").class_list().contains("copied"));
    assert_eq!(recorded("__copied").as_string().as_deref(), Some(DETAILS));
    drop(device);
}

#[wasm_bindgen_test]
async fn usage_was_measured_minutes_ago_in_words() {
    let h = ready_on(&Device::new()).await;
    h.shown(".usage .hint").await;
    assert!(
        h.text(".usage .hint")
            .starts_with("Measured 3 minutes ago."),
        "{}",
        h.text(".usage .hint")
    );
    let h = mount_widget(Lang::Fr, None, Some(Screen::Order(order_ref())));
    h.fake.publish(Ok(order_view(OrderState::Ready, None, 4)));
    h.shown(".usage .hint").await;
    let usage = h.text(".usage");
    assert!(usage.contains("Relevé il y a 3 minutes."), "{usage}");
    assert!(
        // 1,1 is `one` in French (i = 0,1): "1,1 Go utilisé", and 3,8 Go left is `other`.
        usage.contains("1,1\u{a0}Go utilisé sur 5\u{a0}Go")
            && usage.contains("3,8\u{a0}Go restants"),
        "{usage}"
    );
    assert_eq!(
        h.text(".reference"),
        format!("Référence de commande\u{a0}: {REF}")
    );
}

/// An order of `total` eSIMs with `lines` delivered, each `(last digit of its ICCID,
/// whether it still works)`.
fn several(state: OrderState, lines: &[(char, bool)], total: u32, version: i64) -> OrderDetail {
    let mut order = order_view(state, None, version);
    order.plan.quantity = total;
    let lines: Vec<Line> = lines
        .iter()
        .map(|&(digit, working)| {
            let iccid = format!("898830700000123456{digit}");
            Line {
                state: if working {
                    LineState::Ready
                } else {
                    LineState::Refunded
                },
                esim: working.then(|| Esim {
                    iccid: iccid.clone(),
                    lpa: format!("LPA:1$sm-dp-plus.simology.net$ACT-{digit}"),
                    smdp_address: "sm-dp-plus.simology.net".into(),
                    activation_code: format!("ACT-{digit}"),
                    valid_from: "2025-01-10T09:21:10Z".into(),
                    valid_until: "2025-02-09T23:59:59Z".into(),
                }),
                iccid,
            }
        })
        .collect();
    order.esim = lines
        .iter()
        .find_map(|l| l.esim.clone())
        .filter(|_| state == OrderState::Ready);
    OrderDetail {
        lines_ready: u32::try_from(lines.len()).expect("few"),
        lines_total: total,
        lines,
        topup_line: None,
        order,
    }
}

#[wasm_bindgen_test]
async fn each_traveller_has_a_card_of_their_own_the_first_open() {
    let en = Lang::En.strings();
    let device = Device::new()
        .with("userAgent", &DESKTOP.into())
        .recording("share", "__shared_traveller");
    let h = mount_widget(Lang::En, None, Some(Screen::Order(order_ref())));
    h.shown(".status-message").await;
    let pending = h.text(".status-message");
    h.fake.publish_detail(several(
        OrderState::Provisioning,
        &[('1', true), ('3', true)],
        3,
        2,
    ));
    let arriving = h.changed(".status-message", &pending).await;
    assert_eq!(arriving, "Payment confirmed. 2 of 3 eSIMs ready…");
    // Traveller 2's line was refunded: its card stays, with no credentials.
    h.fake.publish_detail(several(
        OrderState::Ready,
        &[('1', true), ('2', false), ('3', true)],
        3,
        3,
    ));
    assert_eq!(
        h.changed(".status-message", &arriving).await,
        "Your 2 eSIMs are ready."
    );
    h.shown(".traveller").await;
    let cards = h.all(".traveller");
    let titles: Vec<String> = cards
        .iter()
        .map(|c| {
            c.query_selector(".traveller-title")
                .ok()
                .flatten()
                .and_then(|t| t.text_content())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(titles, ["Traveller 1", "Traveller 2", "Traveller 3"]);
    let open: Vec<bool> = cards
        .iter()
        .map(|c| c.class_list().contains("open"))
        .collect();
    assert_eq!(
        open,
        [true, false, false],
        "the first open, the others one tap away"
    );
    let within = |card: &web_sys::HtmlElement, selector: &str| -> Vec<String> {
        let list = card.query_selector_all(selector).expect("selector");
        (0..list.length())
            .filter_map(|i| list.item(i))
            .filter_map(|n| n.text_content())
            .collect()
    };
    // Each card its own codes and QR code; the refunded one none.
    assert_eq!(
        within(&cards[0], ".copy-value"),
        ["sm-dp-plus.simology.net", "ACT-1"]
    );
    assert_eq!(
        within(&cards[2], ".copy-value"),
        ["sm-dp-plus.simology.net", "ACT-3"]
    );
    assert_eq!(within(&cards[1], ".line-refunded"), [en.line_refunded]);
    assert!(within(&cards[1], ".copy-value, .qr, .usage, .topups").is_empty());
    let qr = |card: &web_sys::HtmlElement| {
        card.query_selector(".qr svg path")
            .ok()
            .flatten()
            .and_then(|p| p.get_attribute("d"))
    };
    assert!(qr(&cards[0]).is_some() && qr(&cards[2]).is_some());
    assert_ne!(qr(&cards[0]), qr(&cards[2]), "two QR codes, one per line");
    assert_eq!(h.all(".qr").len(), 2);
    // Each working line's own usage and top-ups, asked of its line.
    until("each line's usage and offers", || {
        h.fake.usage_lines.borrow().len() == 2 && h.fake.offer_lines.borrow().len() == 2
    })
    .await;
    let mut asked = h.fake.usage_lines.borrow().clone();
    asked.sort();
    let line = |d: char| Some(format!("898830700000123456{d}"));
    assert_eq!(asked, [line('1'), line('3')]);
    let mut offers = h.fake.offer_lines.borrow().clone();
    offers.sort();
    assert_eq!(offers, [line('1'), line('3')]);
    // One tap opens another traveller's card.
    cards[2]
        .query_selector("h3 > button.traveller-summary[aria-expanded=false]")
        .ok()
        .flatten()
        .expect("a disclosure button in the heading")
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
    until("the third card to open", || {
        cards[2].class_list().contains("open")
    })
    .await;
    // Sharing a card sends that traveller's details only.
    let share: web_sys::HtmlElement = cards[2]
        .query_selector(".share")
        .ok()
        .flatten()
        .expect("a share button")
        .unchecked_into();
    assert_eq!(share.text_content().as_deref(), Some(en.share_traveller));
    share.click();
    until("the share sheet", || {
        recorded("__shared_traveller").is_object()
    })
    .await;
    let shared = recorded("__shared_traveller");
    let field = |name: &str| {
        js_sys::Reflect::get(&shared, &name.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    assert_eq!(field("title").as_deref(), Some("Traveller 3"));
    assert_eq!(
        field("text").as_deref(),
        Some(
            "SM-DP+ address: sm-dp-plus.simology.net\nActivation code: ACT-3\n\
            LPA: LPA:1$sm-dp-plus.simology.net$ACT-3\nICCID: 8988307000001234563"
        )
    );
    // A top-up from a card is for that card's line.
    let email: web_sys::HtmlInputElement = cards[2]
        .query_selector(".topups input[type=email]")
        .ok()
        .flatten()
        .expect("an email field")
        .unchecked_into();
    email.set_value("alex@example.com");
    email
        .dispatch_event(&web_sys::Event::new("input").expect("event"))
        .expect("dispatch");
    cards[2]
        .query_selector(".topups .topup-list button")
        .ok()
        .flatten()
        .expect("an offer")
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
    until("the top-up to be sent", || {
        !h.fake.topup_lines.borrow().is_empty()
    })
    .await;
    assert_eq!(h.fake.topup_lines.borrow().as_slice(), [line('3')]);
    // Every element id on the page is its own.
    let mut ids: Vec<String> = h.all("[id]").iter().map(|e| e.id()).collect();
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate ids");
    drop(device);
}

#[wasm_bindgen_test]
async fn without_share_a_travellers_card_copies_their_details() {
    let en = Lang::En.strings();
    let device = Device::computer_copying_into("__copied_traveller");
    let h = mount_widget(Lang::En, None, Some(Screen::Order(order_ref())));
    h.fake.publish_detail(several(
        OrderState::Ready,
        &[('1', true), ('2', true)],
        2,
        3,
    ));
    h.shown(".traveller .copy-all").await;
    assert!(h.all(".share").is_empty());
    let cards = h.all(".traveller");
    let copy: Vec<web_sys::HtmlElement> = {
        let list = cards[1].query_selector_all(".copy-all").expect("selector");
        (0..list.length())
            .filter_map(|i| list.item(i))
            .map(|n| n.unchecked_into())
            .collect()
    };
    assert_eq!(copy.len(), 1, "one copy button per card");
    assert_eq!(copy[0].text_content().as_deref(), Some(en.copy_traveller));
    copy[0].click();
    until("the copy", || recorded("__copied_traveller").is_string()).await;
    let copied = recorded("__copied_traveller")
        .as_string()
        .unwrap_or_default();
    assert!(
        copied.contains("ACT-2") && !copied.contains("ACT-1"),
        "{copied}"
    );
    drop(device);
}
