//! The checkout's "Is your phone ready for an eSIM?" step (`compat-check`) and what
//! the ready view makes of its answer.

use super::*;

const ANDROID_8: &str = "Mozilla/5.0 (Linux; Android 8.1.0; SM-G950F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";

/// The phone the frame remembers this widget's purchase is for.
fn remembered_phone() -> Option<String> {
    let storage = window().local_storage().ok().flatten()?;
    let length = storage.length().ok()?;
    (0..length)
        .filter_map(|i| storage.key(i).ok().flatten())
        .find(|k| k.starts_with("simology-esim.phone:"))
        .and_then(|k| storage.get_item(&k).ok().flatten())
}

impl Harness {
    /// Ticks or unticks a checkbox (or picks a radio button), as a tap does.
    fn tick(&self, selector: &str) {
        self.one(selector).click();
    }
}

#[wasm_bindgen_test]
async fn pay_is_refused_and_says_why_until_the_phone_is_confirmed() {
    let w = compat::words(Lang::En);
    let device = Device::new().with("userAgent", &IPHONE_IOS17.into());
    let h = mount_checked(Lang::En, CompatCheck::Required);
    h.shown(".country-plans .plan-card").await;
    assert_eq!(
        h.fake.devices_reads.get(),
        0,
        "the picker does not load the list"
    );
    open_checkout(&h).await;
    h.shown(".compat-device").await;
    assert_eq!(
        h.fake.devices_reads.get(),
        1,
        "the checkout loads it when it opens"
    );
    assert_eq!(h.text(".compat legend"), w.title);
    assert_eq!(
        h.text(".compat-device"),
        "This iPhone runs iOS 17.4, which supports eSIM: the iPhone XS, XR and later models have one."
    );
    h.type_into("input[type=email]", "alex@example.com");
    // Pay shows it does not buy yet; the step is under it, after the link that
    // replaces it when the browser refuses the frame the payment page.
    let pay_held = || h.one(".pay").get_attribute("aria-disabled");
    assert_eq!(pay_held().as_deref(), Some("true"));
    let after_pay: Vec<String> = h
        .all("form.checkout > *")
        .iter()
        .map(|e| e.class_name())
        .skip_while(|c| !c.contains("pay"))
        .collect();
    assert_eq!(
        after_pay,
        ["button pay", "button pay-link", "compat"],
        "the step after Pay"
    );
    h.one(".pay").click();
    // Refused, and said in the widget's status region; the focus on the box, flagged,
    // the reason by it (nothing above Pay moves).
    until("the reason spoken", || {
        h.text(".announcer") == w.confirm_first
    })
    .await;
    let confirm = h.one(".compat-confirm");
    let focused = h.root.owner_document().and_then(|d| d.active_element());
    assert!(
        focused.is_some_and(|f| f.class_list().contains("compat-confirm")),
        "the focus on the box"
    );
    assert_eq!(
        confirm.get_attribute("aria-invalid").as_deref(),
        Some("true")
    );
    let reason = confirm
        .get_attribute("aria-describedby")
        .unwrap_or_default();
    assert_eq!(h.text(&format!("#{reason}")), w.confirm_first);
    assert_eq!(h.text(".form-error"), "", "nothing said above Pay");
    assert!(h.fake.checkouts.borrow().is_empty(), "nothing sent");
    // Ticking it answers the reason and lets Pay buy.
    h.tick(".compat-confirm");
    until("the reason gone", || {
        h.text(&format!("#{reason}")).is_empty()
    })
    .await;
    assert_eq!(
        h.one(".compat-confirm")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("false")
    );
    assert_eq!(pay_held().as_deref(), Some("false"));
    h.one(".pay").click();
    until("the checkout sent", || h.fake.checkouts.borrow().len() == 1).await;
    drop(device);
}

#[wasm_bindgen_test]
async fn both_the_email_and_the_confirmation_are_asked_for_at_once() {
    let w = compat::words(Lang::En);
    let h = mount_checked(Lang::En, CompatCheck::Required);
    open_checkout(&h).await;
    h.type_into("input[type=email]", "not-an-email");
    h.one(".pay").click();
    until("the reason spoken", || {
        h.text(".announcer") == w.confirm_first
    })
    .await;
    assert_eq!(
        h.one("input[type=email]")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );
    assert!(h.fake.checkouts.borrow().is_empty());
}

#[wasm_bindgen_test]
async fn advisory_shows_the_step_and_pay_works_without_it() {
    let h = mount_checked(Lang::En, CompatCheck::Advisory);
    open_checkout(&h).await;
    h.shown(".compat .compat-device").await;
    assert!(h.all(".compat-confirm").is_empty(), "nothing to confirm");
    assert_eq!(
        h.one(".pay").get_attribute("aria-disabled").as_deref(),
        Some("false")
    );
    h.type_into("input[type=email]", "alex@example.com");
    h.one(".pay").click();
    until("the checkout sent", || h.fake.checkouts.borrow().len() == 1).await;
}

#[wasm_bindgen_test]
async fn off_leaves_the_step_out() {
    let h = mount_checked(Lang::En, CompatCheck::Off);
    open_checkout(&h).await;
    assert!(h.all(".compat").is_empty());
    h.type_into("input[type=email]", "alex@example.com");
    h.one(".pay").click();
    until("the checkout sent", || h.fake.checkouts.borrow().len() == 1).await;
    assert_eq!(h.fake.devices_reads.get(), 0, "nor its list loaded");
}

#[wasm_bindgen_test]
async fn for_another_phone_the_step_asks_its_platform_and_remembers_it() {
    let w = compat::words(Lang::En);
    let device = Device::new().with("userAgent", &IPHONE_IOS17.into());
    let h = mount_checked(Lang::En, CompatCheck::Required);
    open_checkout(&h).await;
    h.shown(".compat-other").await;
    assert!(
        h.all(".compat-phone").is_empty(),
        "this phone: nothing to ask"
    );
    h.tick(".compat-other");
    h.shown(".compat-phone").await;
    assert_eq!(h.text(".compat-phone legend"), w.which_phone);
    let labels: Vec<String> = h
        .all(".compat-phone label")
        .iter()
        .filter_map(|l| l.text_content())
        .map(|t| t.trim().to_owned())
        .collect();
    assert_eq!(labels, [w.iphone, w.android]);
    h.tick(".compat-phone input[value=android]");
    until("the choice remembered", || {
        remembered_phone().as_deref() == Some("android")
    })
    .await;
    // Not for another phone after all: forgotten, and not asked.
    h.tick(".compat-other");
    until("the choice forgotten", || remembered_phone().is_none()).await;
    until("the question gone", || h.all(".compat-phone").is_empty()).await;
    drop(device);
}

#[wasm_bindgen_test]
async fn on_a_computer_the_step_asks_which_phone_at_once() {
    let w = compat::words(Lang::Fr);
    let device = Device::new().with("userAgent", &DESKTOP.into());
    let h = mount_checked(Lang::Fr, CompatCheck::Required);
    open_checkout(&h).await;
    h.shown(".compat-phone").await;
    assert_eq!(h.text(".compat-device"), w.on_computer);
    assert!(h.all(".compat-other").is_empty(), "no phone in hand");
    h.tick(".compat-phone input[value=iphone]");
    until("the choice remembered", || {
        remembered_phone().as_deref() == Some("iphone")
    })
    .await;
    drop(device);
}

#[wasm_bindgen_test]
async fn a_system_too_old_for_an_esim_is_said() {
    let device = Device::new().with("userAgent", &ANDROID_8.into());
    let h = mount_checked(Lang::De, CompatCheck::Required);
    open_checkout(&h).await;
    h.shown(".compat-device").await;
    assert_eq!(
        h.text(".compat-device"),
        "Dieses Telefon hat Android 8: Eine eSIM braucht Android 9 oder neuer. Kaufen Sie für ein anderes Telefon."
    );
    drop(device);
}

#[wasm_bindgen_test]
async fn the_list_of_phones_is_searched_with_its_exceptions_and_sources() {
    let w = compat::words(Lang::En);
    let h = mount_checked(Lang::En, CompatCheck::Required);
    open_checkout(&h).await;
    h.one(".compat-help > summary").click();
    h.shown(".compat-search").await;
    let help = h.text(".compat-help");
    assert!(help.contains(w.eid) && help.contains(w.unlocked), "{help}");
    assert!(
        help.contains(w.iphone_china) && help.contains(w.samsung_regional),
        "{help}"
    );
    h.shown(".compat-sources a").await;
    let sources = h.all(".compat-sources a");
    let file = simology_widget::json::from_str::<Devices>(compat::DEVICES_JSON)
        .expect("the widget reads data/esim-devices.json");
    assert_eq!(
        sources.len(),
        file.sources.len(),
        "every page the list names"
    );
    assert!(sources.iter().all(|a| a
        .get_attribute("href")
        .unwrap_or_default()
        .starts_with("https://")));
    h.type_into(".compat-search", "pixel 3a");
    h.shown(".compat-found li").await;
    let found: Vec<String> = h
        .all(".compat-found li")
        .iter()
        .filter_map(|l| l.text_content())
        .collect();
    assert_eq!(found, ["Google Pixel 3a", "Google Pixel 3a XL"]);
    // A brand's own exception is said with its models (the two said always aside).
    h.type_into(".compat-search", "xiaomi");
    until("the Xiaomi found", || {
        h.all(".compat-found li")
            .iter()
            .filter_map(|l| l.text_content())
            .eq(["Xiaomi 12T Pro".to_owned()])
    })
    .await;
    assert!(h.text(".compat-help").contains(w.china_models));
    h.type_into(".compat-search", "nokia 3310");
    assert_eq!(
        h.changed(".compat-help [role=status]", w.matches).await,
        w.search_none
    );
    assert!(h.all(".compat-found li").is_empty());
}

#[wasm_bindgen_test]
async fn on_a_computer_the_ready_view_shows_the_chosen_phones_steps() {
    let en = Lang::En.strings();
    let device = Device::new().with("userAgent", &DESKTOP.into());
    let h = mount_with(
        Lang::En,
        None,
        Some(Screen::Order(order_ref())),
        None,
        CompatCheck::Required,
        Some("android"),
    );
    h.fake.publish(Ok(order_view(OrderState::Ready, None, 4)));
    h.shown(".ready .copyable").await;
    let text = h.root.text_content().unwrap_or_default();
    assert!(
        text.contains(en.how_android) && !text.contains(en.how_iphone),
        "{text}"
    );
    assert!(text.contains(compat::ready_words(Lang::En).own_screen));
    assert!(text.contains(en.install_before), "the code installs once");
    drop(device);
}

#[wasm_bindgen_test]
async fn bought_on_a_phone_for_another_one_the_qr_code_leads() {
    let en = Lang::En.strings();
    let device = Device::new().with("userAgent", &IPHONE_IOS17.into());
    let h = mount_with(
        Lang::En,
        None,
        Some(Screen::Order(order_ref())),
        None,
        CompatCheck::Required,
        Some("android"),
    );
    h.fake.publish(Ok(order_view(OrderState::Ready, None, 4)));
    h.shown(".ready .copyable").await;
    assert_eq!(h.lead(), "qr-figure", "not this iPhone's one-tap install");
    assert!(h.all(".install").is_empty());
    let text = h.root.text_content().unwrap_or_default();
    assert!(
        text.contains(en.how_android) && !text.contains(en.how_iphone),
        "{text}"
    );
    drop(device);
}
