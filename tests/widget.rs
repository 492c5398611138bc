//! The widget in a real (headless) browser, rendered from fixed data through a fake
//! proxy: the picker from a catalogue (its switch, chips, price per GB, best value,
//! headings, French), search, sort, prices, checkout validation and errors (offline,
//! unreachable, provider trouble), top-up errors, the email offered again from memory,
//! status transitions, the ready view for each device (set through `navigator`'s user
//! agent, share sheet and clipboard) with its QR code, and the order-polling loop on its
//! own. Tests wait for what they look for (an element, a change, a request), never for
//! a fixed time.
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use leptos::mount::mount_to;
use leptos::prelude::*;
use simology_proxy_api::*;
use simology_widget::attribution::Attribution;
use simology_widget::backend::{Backend, Failure, Fut};
use simology_widget::browser::Waker;
use simology_widget::components::app::Widget;
use simology_widget::context::{Config, Screen, Services};
use simology_widget::frame::{Detail, HostEvent, Sale};
use simology_widget::polling::{OrderPoll, Watched};
use simology_widget_core::compat::{self, Devices};
use simology_widget_core::i18n::Lang;
use simology_widget_core::saved::SavedOrder;
use simology_widget_core::status::{Pace, LONG_POLL_SECS};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn price(minor: i64, cur: &str) -> Price {
    let decimals = if cur == "JPY" { 0 } else { 2 };
    Price {
        minor,
        currency: CurrencyCode::parse(cur).expect("code"),
        decimals,
    }
}

fn plan(
    sku: &str,
    kind: DestinationKind,
    dest: &str,
    mb: u64,
    days: u32,
    p: Price,
    available: bool,
) -> Plan {
    Plan {
        sku: sku.into(),
        name: format!("{sku} plan"),
        kind,
        destination: dest.into(),
        coverage: if kind == DestinationKind::Country {
            vec![dest.into()]
        } else {
            vec!["FR".into(), "ES".into(), "US".into()]
        },
        data_mb: mb,
        validity_days: days,
        price: p,
        available,
        terms_url: "https://terms.example/plan".into(),
    }
}

fn destination(kind: DestinationKind, code: &str, name: &str) -> Destination {
    Destination {
        kind,
        code: code.into(),
        name: name.into(),
        plan_count: 3,
        lowest_price: Some(price(499, "USD")),
        countries: vec![code.into()],
    }
}

fn catalog(code: &str) -> CatalogResponse {
    let (cur, base) = match code {
        "JP" => ("JPY", 680),
        "ES" => ("EUR", 499),
        _ => ("USD", 450),
    };
    CatalogResponse {
        destination: destination(DestinationKind::Country, code, code),
        plans: vec![
            plan(
                &format!("{code}-5GB-30D"),
                DestinationKind::Country,
                code,
                5120,
                30,
                price(base * 3, cur),
                true,
            ),
            plan(
                &format!("{code}-1GB-7D"),
                DestinationKind::Country,
                code,
                1024,
                7,
                price(base, cur),
                true,
            ),
            plan(
                &format!("{code}-20GB-90D"),
                DestinationKind::Country,
                code,
                20480,
                90,
                price(base * 8, cur),
                true,
            ),
            plan(
                &format!("{code}-50GB-90D"),
                DestinationKind::Country,
                code,
                51200,
                90,
                price(base * 15, cur),
                false,
            ),
            plan(
                "EUR-5GB-15D",
                DestinationKind::Region,
                "europe",
                5120,
                15,
                price(1999, "EUR"),
                true,
            ),
        ],
        updated_at: "2025-01-10T09:12:44Z".into(),
    }
}

/// Answers the test gives out one at a time, like a server that answers when it is
/// ready: a call waits for the next one.
struct Answers<T> {
    queue: RefCell<VecDeque<T>>,
    given: Waker,
}

impl<T> Default for Answers<T> {
    fn default() -> Self {
        Answers {
            queue: RefCell::new(VecDeque::new()),
            given: Waker::default(),
        }
    }
}

impl<T> Answers<T> {
    fn give(&self, answer: T) {
        self.queue.borrow_mut().push_back(answer);
        self.given.wake();
    }

    async fn next(&self) -> T {
        loop {
            if let Some(answer) = self.queue.borrow_mut().pop_front() {
                return answer;
            }
            self.given.sleep(60_000).await;
        }
    }
}

#[derive(Default)]
struct Fake {
    /// How many catalogues were asked for.
    catalog_reads: Cell<u32>,
    /// How many times the list of eSIM-capable phones was asked for.
    devices_reads: Cell<u32>,
    checkouts: RefCell<Vec<CheckoutRequest>>,
    /// The funnel's beacons, in the order sent.
    beacons: RefCell<Vec<Beacon>>,
    checkout_result: RefCell<Option<Result<CheckoutResponse, Failure>>>,
    /// The answers to order reads.
    orders: Answers<Result<OrderDetail, Failure>>,
    /// Each order read's `wait` and `version`.
    order_reads: RefCell<Vec<(u64, Option<i64>)>>,
    topups: RefCell<Vec<TopupRequest>>,
    /// The answers to top-up purchases.
    topup_answers: Answers<Result<CheckoutResponse, Failure>>,
    /// The line of each usage read, offers read and top-up bought (none: the order's).
    usage_lines: RefCell<Vec<Option<String>>>,
    offer_lines: RefCell<Vec<Option<String>>>,
    topup_lines: RefCell<Vec<Option<String>>>,
}

impl Fake {
    /// The next answer to an order read: an order of one eSIM, as the proxy sends it.
    fn publish(&self, answer: Result<OrderView, Failure>) {
        self.orders.give(answer.map(detail));
    }

    /// The next answer to an order read, with its lines as given.
    fn publish_detail(&self, detail: OrderDetail) {
        self.orders.give(Ok(detail));
    }
}

const REF: &str = "o_0123456789abcdef0123456789abcdef";

fn order_ref() -> OrderRef {
    OrderRef::parse(REF).expect("a reference")
}

/// The fake, shared between the widget and the test.
#[derive(Clone)]
struct Shared(Rc<Fake>);

impl Backend for Shared {
    fn destinations(&self) -> Fut<Result<DestinationsResponse, Failure>> {
        Box::pin(async {
            Ok(DestinationsResponse {
                destinations: vec![
                    destination(DestinationKind::Country, "ES", "Spain"),
                    destination(DestinationKind::Country, "US", "United States"),
                    destination(DestinationKind::Country, "JP", "Japan"),
                    destination(DestinationKind::Region, "europe", "Europe"),
                ],
                updated_at: "2025-01-10T09:12:44Z".into(),
            })
        })
    }
    fn catalog(&self, destination: &DestinationId) -> Fut<Result<CatalogResponse, Failure>> {
        self.0.catalog_reads.set(self.0.catalog_reads.get() + 1);
        let code = destination.code.as_str();
        let mut c = catalog(code);
        if destination.kind == DestinationKind::Region {
            // A region's catalogue: its own bundles only.
            c.destination = crate::destination(DestinationKind::Region, code, "Europe");
            for p in &mut c.plans {
                p.kind = DestinationKind::Region;
                p.destination = code.into();
                p.coverage = vec!["FR".into(), "ES".into()];
            }
        }
        Box::pin(async move { Ok(c) })
    }
    fn devices(&self) -> Fut<Result<Devices, Failure>> {
        self.0.devices_reads.set(self.0.devices_reads.get() + 1);
        // The very file the proxy serves, read by the widget's own reader.
        let read = simology_widget::json::from_str::<Devices>(compat::DEVICES_JSON)
            .map_err(|_| Failure::Network);
        Box::pin(async move { read })
    }
    fn checkout(&self, request: CheckoutRequest) -> Fut<Result<CheckoutResponse, Failure>> {
        self.0.checkouts.borrow_mut().push(request);
        let result = self.0.checkout_result.borrow().clone().unwrap_or_else(|| {
            Ok(CheckoutResponse {
                order_ref: order_ref(),
                payment_url: "https://pay.example/cs_1".into(),
                expires_at: String::new(),
            })
        });
        Box::pin(async move {
            // A slow network: the second click lands while the first is in flight.
            Waker::default().sleep(50).await;
            result
        })
    }
    fn beacon(&self, beacon: &Beacon) {
        self.0.beacons.borrow_mut().push(beacon.clone());
    }
    fn order(
        &self,
        _order_ref: &OrderRef,
        wait: u64,
        version: Option<i64>,
    ) -> Fut<Result<OrderDetail, Failure>> {
        self.0.order_reads.borrow_mut().push((wait, version));
        let me = Rc::clone(&self.0);
        // Like a long-poll: answers when the test publishes the next state.
        Box::pin(async move { me.orders.next().await })
    }
    fn usage(&self, _order_ref: &OrderRef, line: Option<&str>) -> Fut<Result<UsageView, Failure>> {
        self.0
            .usage_lines
            .borrow_mut()
            .push(line.map(str::to_owned));
        Box::pin(async {
            Ok(UsageView {
                used_mb: 1200,
                remaining_mb: 3920,
                status: "active".into(),
                // Three minutes ago.
                measured_at: js_sys::Date::new(&(js_sys::Date::now() - 180_000.0).into())
                    .to_iso_string()
                    .into(),
                valid_until: String::new(),
            })
        })
    }
    fn topup_offers(
        &self,
        _order_ref: &OrderRef,
        line: Option<&str>,
    ) -> Fut<Result<TopupOffers, Failure>> {
        self.0
            .offer_lines
            .borrow_mut()
            .push(line.map(str::to_owned));
        Box::pin(async {
            Ok(TopupOffers {
                offers: vec![plan(
                    "US-1GB-7D",
                    DestinationKind::Country,
                    "US",
                    1024,
                    7,
                    price(450, "USD"),
                    true,
                )],
            })
        })
    }
    fn buy_topup(
        &self,
        order_ref: &OrderRef,
        line: Option<&str>,
        request: TopupRequest,
    ) -> Fut<Result<CheckoutResponse, Failure>> {
        assert_eq!(*order_ref, self::order_ref(), "tops up the order shown");
        self.0.topups.borrow_mut().push(request);
        self.0
            .topup_lines
            .borrow_mut()
            .push(line.map(str::to_owned));
        let me = Rc::clone(&self.0);
        Box::pin(async move { me.topup_answers.next().await })
    }
}

struct Harness {
    root: web_sys::HtmlElement,
    fake: Rc<Fake>,
    navigated: Rc<RefCell<Vec<String>>>,
    /// What the widget told the host page, in order.
    announced: Rc<RefCell<Vec<HostEvent>>>,
    /// Whether the browser lets the frame send the top window to the payment page.
    may_navigate: Rc<Cell<bool>>,
}

fn mount_widget(
    lang: Lang,
    destination: Option<(DestinationKind, &str)>,
    screen: Option<Screen>,
) -> Harness {
    mount_attributed(lang, destination, screen, None)
}

/// A widget selling for an affiliate (its `affiliate` and `placement` attributes).
/// The tests of other things than the checkout's eSIM step leave it out
/// (`compat-check="off"`); that step's own tests mount with [`mount_checked`].
fn mount_attributed(
    lang: Lang,
    destination: Option<(DestinationKind, &str)>,
    screen: Option<Screen>,
    attribution: Option<Attribution>,
) -> Harness {
    mount_with(
        lang,
        destination,
        screen,
        attribution,
        CompatCheck::Off,
        None,
    )
}

/// A widget whose element says `compat-check`, on a country's plans.
fn mount_checked(lang: Lang, check: CompatCheck) -> Harness {
    mount_with(
        lang,
        Some((DestinationKind::Country, "US")),
        None,
        None,
        check,
        None,
    )
}

/// The widget on `screen` (the picker: none), with `compat-check`, and (`phone`) the
/// phone its last checkout was told the eSIM is for, as the frame remembers it.
fn mount_with(
    lang: Lang,
    destination: Option<(DestinationKind, &str)>,
    screen: Option<Screen>,
    attribution: Option<Attribution>,
    compat_check: CompatCheck,
    phone: Option<&str>,
) -> Harness {
    let document = document();
    let instance = format!("t{}", js_sys::Math::random().to_bits());
    // Each test starts with no remembered orders.
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.clear();
        if let Some(phone) = phone {
            let _ = storage.set_item(&format!("simology-esim.phone:{instance}"), phone);
        }
    }
    let root: web_sys::HtmlElement = document
        .create_element("div")
        .expect("div")
        .unchecked_into();
    document
        .body()
        .expect("body")
        .append_child(&root)
        .expect("append");
    let fake = Rc::new(Fake::default());
    let navigated = Rc::new(RefCell::new(Vec::new()));
    let announced = Rc::new(RefCell::new(Vec::new()));
    let may_navigate = Rc::new(Cell::new(true));
    let config = Config {
        destination: destination.map(|(kind, code)| DestinationId {
            kind,
            code: code.to_owned(),
        }),
        lang,
        theme: "light".into(),
        instance,
        poll_interval_ms: None,
        attribution,
        compat_check,
    };
    let nav = Rc::clone(&navigated);
    let told = Rc::clone(&announced);
    let allowed = Rc::clone(&may_navigate);
    let services = Services {
        backend: Rc::new(Shared(Rc::clone(&fake))),
        navigate: Rc::new(move |url: &str| {
            if allowed.get() {
                nav.borrow_mut().push(url.to_owned());
            }
            allowed.get()
        }),
        announce: Rc::new(move |event: &HostEvent| told.borrow_mut().push(event.clone())),
        return_url: "https://blog.example/japan".into(),
        country_name: Rc::new(|lang, code| {
            let name = match (lang, code) {
                (Lang::Es, "ES") => "España",
                (Lang::Fr, "ES") => "Espagne",
                (_, "ES") => "Spain",
                (_, "US") => "United States",
                (_, "JP") => "Japan",
                (_, "FR") => "France",
                _ => return None,
            };
            Some(name.to_owned())
        }),
    };
    let screen = screen.unwrap_or(Screen::Picker {
        destination: config.destination.clone(),
        sku: None,
        travellers: None,
    });
    let handle = mount_to(
        root.clone(),
        move || view! { <Widget config=config services=services screen=screen /> },
    );
    handle.forget();
    Harness {
        root,
        fake,
        navigated,
        announced,
        may_navigate,
    }
}

/// Waits until `ready()` holds, letting the widget's tasks and timers run in between.
/// The deadline only turns a hang into a failure; nothing the widget does comes near it.
async fn until(what: &str, ready: impl Fn() -> bool) {
    let deadline = js_sys::Date::now() + 10_000.0;
    while !ready() {
        assert!(js_sys::Date::now() < deadline, "gave up waiting for {what}");
        leptos::task::tick().await;
        Waker::default().sleep(1).await;
    }
}

/// Waits until `selector` matches something under `root`.
async fn shown(root: &web_sys::HtmlElement, selector: &str) {
    until(selector, || {
        root.query_selector(selector).ok().flatten().is_some()
    })
    .await;
}

impl Harness {
    /// Waits until `selector` matches something in the widget.
    async fn shown(&self, selector: &str) {
        shown(&self.root, selector).await;
    }
    /// Waits until `selector`'s text is there and no longer `before`, and returns it.
    async fn changed(&self, selector: &str, before: &str) -> String {
        let now = || {
            self.root
                .query_selector(selector)
                .ok()
                .flatten()
                .and_then(|e| e.text_content())
                .filter(|t| !t.is_empty() && t != before)
        };
        until(&format!("{selector} to change from {before:?}"), || {
            now().is_some()
        })
        .await;
        now().unwrap_or_default()
    }
    /// Sorts the plans by `value` and waits until their order changes.
    async fn sort_by(&self, value: &str) {
        let before = self.skus();
        let select: web_sys::HtmlSelectElement = self.one(".sort-select").unchecked_into();
        select.set_value(value);
        select
            .dispatch_event(&web_sys::Event::new("change").expect("event"))
            .expect("dispatch");
        until(&format!("the plans sorted by {value}"), || {
            self.skus() != before
        })
        .await;
    }
    fn all(&self, selector: &str) -> Vec<web_sys::HtmlElement> {
        let list = self.root.query_selector_all(selector).expect("selector");
        (0..list.length())
            .filter_map(|i| list.item(i))
            .map(|n| n.unchecked_into())
            .collect()
    }
    fn one(&self, selector: &str) -> web_sys::HtmlElement {
        self.root
            .query_selector(selector)
            .expect("selector")
            .unwrap_or_else(|| panic!("no {selector} in {}", self.root.inner_html()))
            .unchecked_into()
    }
    fn text(&self, selector: &str) -> String {
        self.one(selector).text_content().unwrap_or_default()
    }
    fn skus(&self) -> Vec<String> {
        self.all(".country-plans .plan-card")
            .iter()
            .filter_map(|e| e.get_attribute("data-sku"))
            .collect()
    }
    fn type_into(&self, selector: &str, value: &str) {
        let input: web_sys::HtmlInputElement = self.one(selector).unchecked_into();
        input.set_value(value);
        let event = web_sys::Event::new("input").expect("event");
        input.dispatch_event(&event).expect("dispatch");
    }
    fn key(&self, selector: &str, key: &str) {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(key);
        init.set_bubbles(true);
        let event = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)
            .expect("event");
        self.one(selector).dispatch_event(&event).expect("dispatch");
    }
}

#[wasm_bindgen_test]
async fn picker_renders_the_catalogue_in_usd() {
    let h = mount_widget(Lang::En, Some((DestinationKind::Country, "US")), None);
    h.shown(".country-plans .plan-card").await;
    assert_eq!(h.text(".plans-title"), "United States eSIM plans");
    assert_eq!(
        h.skus(),
        vec!["US-1GB-7D", "US-5GB-30D", "US-20GB-90D", "US-50GB-90D"],
        "by price, sold out last"
    );
    let prices: Vec<String> = h
        .all(".country-plans .plan-price")
        .iter()
        .filter_map(|e| e.text_content())
        .collect();
    assert_eq!(prices[0], "$4.50");
    // $4.50 for 1 GB, $13.50 for 5 GB, $36.00 for 20 GB: the price of a GB, and the 20 GB
    // plan marked as the best value (the 50 GB plan is cheaper a GB, but sold out).
    let per_gb: Vec<String> = h
        .all(".country-plans .plan-unit")
        .iter()
        .filter_map(|e| e.text_content())
        .collect();
    assert_eq!(per_gb[..3], ["$4.50/GB", "$2.70/GB", "$1.80/GB"]);
    let best = h.all(".plan-card.best");
    assert_eq!(best.len(), 1);
    assert_eq!(
        best[0].get_attribute("data-sku").as_deref(),
        Some("US-20GB-90D")
    );
    assert_eq!(h.text(".plan-card.best .best-value"), "Best price per GB");
    assert_eq!(h.all(".country-plans .plan-card.sold-out").len(), 1);
    assert!(h.text(".country-plans .sold-out").contains("Sold out"));
    // The regional bundle is behind the switch, with its coverage.
    assert!(h.all(".regional-plans").is_empty());
    let scopes = h.all(".scope-button");
    assert_eq!(scopes.len(), 2);
    assert_eq!(
        scopes[0].text_content().as_deref(),
        Some("United States only")
    );
    // A named radio group: one checked, one stop in the tab order.
    let group = h.one(".scope");
    assert_eq!(group.get_attribute("role").as_deref(), Some("radiogroup"));
    assert_eq!(
        group.get_attribute("aria-label").as_deref(),
        Some("Coverage")
    );
    let checked = |i: usize| scopes[i].get_attribute("aria-checked");
    assert_eq!(scopes[0].get_attribute("role").as_deref(), Some("radio"));
    assert_eq!(
        (checked(0).as_deref(), checked(1).as_deref()),
        (Some("true"), Some("false"))
    );
    assert_eq!(scopes[1].get_attribute("tabindex").as_deref(), Some("-1"));
    scopes[1].click();
    h.shown(".regional-plans .plan-card").await;
    assert!(h.all(".country-plans").is_empty());
    assert_eq!(checked(1).as_deref(), Some("true"));
    // The arrow keys move the choice and the focus.
    scopes[1].focus().expect("focus");
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("ArrowLeft");
    init.set_bubbles(true);
    let key =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("event");
    scopes[1].dispatch_event(&key).expect("dispatch");
    h.shown(".country-plans .plan-card").await;
    assert_eq!(checked(0).as_deref(), Some("true"));
    let focused = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    assert_eq!(
        focused.as_ref(),
        Some(scopes[0].unchecked_ref::<web_sys::Element>())
    );
    scopes[1].click();
    h.shown(".regional-plans .plan-card").await;
    assert_eq!(h.all(".regional-plans .plan-card").len(), 1);
    assert!(h.text(".regional-plans").contains("Covers 3 countries"));
    assert!(h.text(".regional-plans .plan-price").contains("€19.99"));
    assert!(
        h.all(".plan-card.best").is_empty(),
        "one plan in its currency is no best value"
    );
}

#[wasm_bindgen_test]
async fn chips_filter_the_plans_by_data_and_validity() {
    let h = mount_widget(Lang::En, Some((DestinationKind::Country, "US")), None);
    h.shown(".country-plans .plan-card").await;
    let chips = |group: usize| -> Vec<web_sys::HtmlElement> {
        h.all(".chips:not([hidden])")
            .get(group)
            .map_or_else(Vec::new, |row| {
                let list = row.query_selector_all(".chip").expect("selector");
                (0..list.length())
                    .filter_map(|i| list.item(i))
                    .map(|n| n.unchecked_into())
                    .collect()
            })
    };
    let text = |e: &web_sys::HtmlElement| e.text_content().unwrap_or_default();
    // Bands named by the amounts the catalogue has: 1 GB; 5 GB; 20–50 GB; and 7, 30, 90 days.
    assert_eq!(
        chips(0).iter().map(text).collect::<Vec<_>>(),
        ["1\u{a0}GB", "5\u{a0}GB", "20–50\u{a0}GB"]
    );
    assert_eq!(
        chips(1).iter().map(text).collect::<Vec<_>>(),
        ["7 days", "30 days", "90 days"]
    );
    assert_eq!(h.text(".chips .chips-label"), "Data");
    // A press filters the plans and leaves the chip where it was, focused.
    let chip = chips(0)[2].clone();
    chip.focus().expect("focus");
    chip.click();
    until("the plans filtered to 20–50 GB", || {
        h.skus() == ["US-20GB-90D", "US-50GB-90D"]
    })
    .await;
    assert_eq!(chip.get_attribute("aria-pressed").as_deref(), Some("true"));
    assert!(chip.is_connected(), "the same chip, not a new one");
    assert_eq!(
        document().active_element().as_ref(),
        Some(chip.unchecked_ref::<web_sys::Element>())
    );
    // And 7 days on top: nothing is left, and one press shows everything again.
    chips(1)[0].click();
    h.shown(".empty-state").await;
    assert_eq!(h.text(".empty-state p"), "No plan matches these filters.");
    h.one(".empty-state .link-button").click();
    until("every plan again", || h.skus().len() == 4).await;
    assert!(chips(0)
        .iter()
        .chain(chips(1).iter())
        .all(|c| c.get_attribute("aria-pressed").as_deref() == Some("false")));
    // A second press on a chip lets go of it.
    chips(1)[2].click();
    until("the 90-day plans", || h.skus().len() == 2).await;
    chips(1)[2].click();
    until("every plan again", || h.skus().len() == 4).await;
    // The regional plans have their own chips (one plan here: none); back on the
    // country's, the chips are let go.
    chips(0)[0].click();
    until("the 1 GB plan", || h.skus().len() == 1).await;
    h.all(".scope-button")[1].click();
    h.shown(".regional-plans").await;
    assert!(chips(0).is_empty());
    h.all(".scope-button")[0].click();
    h.shown(".country-plans").await;
    assert_eq!(h.skus().len(), 4);
    assert!(chips(0)
        .iter()
        .all(|c| c.get_attribute("aria-pressed").as_deref() == Some("false")));
}

#[wasm_bindgen_test]
async fn a_regions_plans_come_under_no_empty_heading() {
    let h = mount_widget(Lang::En, Some((DestinationKind::Region, "europe")), None);
    h.shown(".regional-plans .plan-card").await;
    assert!(h.all(".scope").is_empty(), "a region has no switch");
    let headings = h.all("h2, h3, h4");
    assert!(
        headings
            .iter()
            .all(|e| !e.text_content().unwrap_or_default().trim().is_empty()),
        "no empty heading: {}",
        h.root.inner_html()
    );
    // The plans' titles come right under the destination's title.
    assert!(h.all("h4").is_empty());
    assert_eq!(h.all(".regional-plans h3.plan-data").len(), 5);
}

#[wasm_bindgen_test]
async fn french_reads_as_french() {
    let h = mount_widget(Lang::Fr, Some((DestinationKind::Country, "ES")), None);
    h.shown(".country-plans .plan-card").await;
    // No article needed, and a no-break space before the colon.
    assert_eq!(h.text(".plans-title"), "Espagne\u{a0}: forfaits eSIM");
    assert_eq!(h.text(".scope-button"), "Espagne uniquement");
    let first = h.one(".country-plans .plan-card");
    assert_eq!(
        first
            .query_selector(".plan-data")
            .expect("selector")
            .and_then(|e| e.text_content())
            .as_deref(),
        Some("1\u{a0}Go · 7 jours")
    );
    assert_eq!(
        first
            .query_selector(".plan-unit")
            .expect("selector")
            .and_then(|e| e.text_content())
            .as_deref(),
        Some("4,99\u{a0}€/Go")
    );
    assert!(!h.root.text_content().unwrap_or_default().contains("GB"));
}

#[wasm_bindgen_test]
async fn prices_in_euros_and_yen_follow_the_language() {
    let h = mount_widget(Lang::Fr, Some((DestinationKind::Country, "ES")), None);
    h.shown(".country-plans .plan-price").await;
    assert_eq!(h.text(".country-plans .plan-price"), "4,99\u{a0}€");
    let h = mount_widget(Lang::En, Some((DestinationKind::Country, "JP")), None);
    h.shown(".country-plans .plan-price").await;
    assert_eq!(h.text(".country-plans .plan-price"), "¥680");
    let h = mount_widget(Lang::De, Some((DestinationKind::Country, "JP")), None);
    h.shown(".country-plans .plan-price").await;
    let prices: Vec<String> = h
        .all(".country-plans .plan-price")
        .iter()
        .filter_map(|e| e.text_content())
        .collect();
    assert_eq!(prices[1], "2.040\u{a0}JPY");
}

#[wasm_bindgen_test]
async fn sorting_by_data_and_validity() {
    let h = mount_widget(Lang::En, Some((DestinationKind::Country, "US")), None);
    h.shown(".country-plans .plan-card").await;
    h.sort_by("data").await;
    assert_eq!(
        h.skus(),
        vec!["US-20GB-90D", "US-5GB-30D", "US-1GB-7D", "US-50GB-90D"]
    );
    // By validity the order is the same as by data, so go through the price first: each
    // step then shows as a change.
    h.sort_by("price").await;
    h.sort_by("validity").await;
    assert_eq!(h.skus()[0], "US-20GB-90D");
    assert_eq!(h.skus()[2], "US-1GB-7D");
}

#[wasm_bindgen_test]
async fn search_is_accent_insensitive_and_keyboard_driven() {
    let h = mount_widget(Lang::En, None, None);
    h.shown(".search-input").await;
    h.type_into(".search-input", "Espana");
    // Options show once the destinations are in.
    h.shown(".search-option").await;
    let found = h.text(".search [role=status]");
    let options = h.all(".search-option");
    assert_eq!(options.len(), 1);
    assert_eq!(options[0].get_attribute("data-code").as_deref(), Some("ES"));
    assert_eq!(
        h.one(".search-input")
            .get_attribute("aria-expanded")
            .as_deref(),
        Some("true")
    );
    assert_eq!(found, "1 destination found");
    h.type_into(".search-input", "e");
    let found = h.changed(".search [role=status]", &found).await;
    assert!(h.all(".search-option").len() >= 2, "{found}");
    h.type_into(".search-input", "united st");
    h.changed(".search [role=status]", &found).await;
    h.key(".search-input", "ArrowDown");
    h.key(".search-input", "Enter");
    h.shown(".plans-title").await;
    assert_eq!(h.text(".plans-title"), "United States eSIM plans");
    h.one(".change").click();
    h.shown(".search-input").await;
    h.type_into(".search-input", "zzzz");
    assert_eq!(
        h.changed(".search [role=status]", "").await,
        "No destination matches “zzzz”."
    );
}

async fn open_checkout(h: &Harness) {
    h.shown(".country-plans .choose").await;
    h.all(".country-plans .choose")[0].click();
    h.shown("form.checkout").await;
}

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
fn the_proxys_signed_attribution_reaches_the_config_with_the_pages_path() {
    let token = "a1:wander-notes:japan-post-sidebar:20794:0123456789abcdef0123456789abcdef";
    let embed = EmbedConfig {
        instance: "japan shop!".into(),
        lang: "fr".into(),
        theme: "dark".into(),
        destination: DestinationId::country("JP"),
        sku: None,
        travellers: None,
        order: None,
        catalog: None,
        attribution: Some(token.into()),
        cancelled: false,
        poll_interval_ms: Some(10),
        compat_check: CompatCheck::Advisory,
    };
    let config = simology_widget::config_from(&embed, "/japan//tokyo/");
    assert_eq!(config.compat_check, CompatCheck::Advisory);
    assert_eq!(
        config.attribution,
        Some(Attribution {
            token: token.into(),
            page_path: Some("/japan/tokyo".into()),
            click_id: None,
        })
    );
    assert_eq!(config.lang, Lang::Fr);
    assert_eq!(
        config.instance, "japanshop",
        "cleaned as the host script cleans it"
    );
    assert_eq!(config.poll_interval_ms, Some(500), "clamped");
    // A path the proxy would refuse is left out; the attribution stays.
    let long = format!("/{}", "a".repeat(200));
    assert_eq!(
        simology_widget::config_from(&embed, &long)
            .attribution
            .map(|a| a.page_path),
        Some(None)
    );
    // A click id the proxy would refuse is left out; the attribution stays.
    let signed = simology_widget::config_from(&embed, "/").attribution;
    for bad in ["has space", "a&status=approved", &"x".repeat(201), ""] {
        assert_eq!(
            signed.clone().map(|a| a.with_click_id(Some(bad)).click_id),
            Some(None),
            "{bad}"
        );
    }
    let none = EmbedConfig {
        attribution: None,
        ..embed
    };
    assert_eq!(simology_widget::config_from(&none, "/").attribution, None);
}

fn submit(h: &Harness) {
    let e = web_sys::Event::new_with_event_init_dict("submit", &{
        let i = web_sys::EventInit::new();
        i.set_cancelable(true);
        i
    })
    .expect("event");
    h.one("form.checkout").dispatch_event(&e).expect("dispatch");
}

fn events(h: &Harness) -> Vec<(FunnelEvent, Option<String>)> {
    h.fake
        .beacons
        .borrow()
        .iter()
        .map(|b| (b.event, b.destination.clone()))
        .collect()
}

#[wasm_bindgen_test]
async fn an_affiliates_widget_reports_its_funnel_and_credits_its_checkout() {
    let attribution = Attribution {
        token: "a1:wander-notes:japan-post-sidebar:20794:0123456789abcdef0123456789abcdef".into(),
        page_path: Some("/japan/tokyo".into()),
        click_id: None,
    }
    .with_click_id(Some("IR_a1.b2~c3-d"));
    let h = mount_attributed(Lang::En, None, None, Some(attribution.clone()));
    h.shown(".search-input").await;
    h.type_into(".search-input", "united st");
    h.shown(".search-option").await;
    h.key(".search-input", "ArrowDown");
    h.key(".search-input", "Enter");
    open_checkout(&h).await;
    assert_eq!(
        events(&h),
        [
            (FunnelEvent::DestinationChosen, Some("US".into())),
            (FunnelEvent::PlanChosen, Some("US".into())),
        ]
    );
    // A retry of the same purchase (the first answer lost) is one checkout started.
    *h.fake.checkout_result.borrow_mut() = Some(Err(Failure::Network));
    h.type_into("input[type=email]", "alex@example.com");
    submit(&h);
    h.changed(".form-error", "").await;
    h.shown(".pay:enabled").await;
    *h.fake.checkout_result.borrow_mut() = None;
    submit(&h);
    until("the payment page", || !h.navigated.borrow().is_empty()).await;
    let sent = h.fake.checkouts.borrow().clone();
    assert_eq!(sent.len(), 2);
    for request in &sent {
        assert_eq!(
            request.attribution.as_deref(),
            Some(attribution.token.as_str())
        );
        assert_eq!(request.page_path.as_deref(), Some("/japan/tokyo"));
        assert_eq!(request.click_id.as_deref(), Some("IR_a1.b2~c3-d"));
    }
    assert_eq!(
        events(&h)[2..],
        [(FunnelEvent::CheckoutStarted, Some("US".into()))]
    );
    // Every beacon carries the proxy's signature and the page, and nothing else but
    // its event and destination (the type has no other field: nothing about the
    // reader).
    for beacon in h.fake.beacons.borrow().iter() {
        assert_eq!(
            (&beacon.attribution, &beacon.page_path),
            (&attribution.token, &attribution.page_path)
        );
    }
}

impl Harness {
    /// Chooses `n` travellers in the checkout.
    fn travellers(&self, n: u32) {
        let select: web_sys::HtmlSelectElement = self.one("select.travellers").unchecked_into();
        select.set_value(&n.to_string());
        select
            .dispatch_event(&web_sys::Event::new("change").expect("event"))
            .expect("dispatch");
    }
}

#[wasm_bindgen_test]
async fn a_widget_without_an_affiliate_reports_nothing_and_credits_nobody() {
    let h = mount_widget(Lang::En, Some((DestinationKind::Country, "US")), None);
    open_checkout(&h).await;
    h.type_into("input[type=email]", "alex@example.com");
    submit(&h);
    until("the payment page", || !h.navigated.borrow().is_empty()).await;
    let sent = h.fake.checkouts.borrow().clone();
    assert_eq!((&sent[0].attribution, &sent[0].page_path), (&None, &None));
    assert!(h.fake.beacons.borrow().is_empty());
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

/// Gives `navigator` a property of this test's device (a user agent, being offline, a
/// share sheet, a clipboard); dropping it gives the browser's own back.
struct Device(Vec<&'static str>);

impl Device {
    fn new() -> Self {
        Device(Vec::new())
    }

    fn with(mut self, name: &'static str, value: &wasm_bindgen::JsValue) -> Self {
        let descriptor = js_sys::Object::new();
        js_sys::Reflect::set(&descriptor, &"value".into(), value).expect("set");
        js_sys::Reflect::set(&descriptor, &"configurable".into(), &true.into()).expect("set");
        js_sys::Object::define_property(&window().navigator(), &name.into(), &descriptor);
        self.0.push(name);
        self
    }

    /// A function that keeps its argument in `window[key]` and resolves.
    fn recorder(key: &str) -> js_sys::Function {
        js_sys::Function::new_with_args(
            "value",
            &format!("window.{key} = value; return Promise.resolve();"),
        )
    }

    /// A computer without a share sheet, whose clipboard keeps what is copied in
    /// `window[key]`.
    fn computer_copying_into(key: &str) -> Self {
        let clipboard = js_sys::Object::new();
        js_sys::Reflect::set(&clipboard, &"writeText".into(), &Device::recorder(key)).expect("set");
        Device::new()
            .with("userAgent", &DESKTOP.into())
            .with("share", &wasm_bindgen::JsValue::UNDEFINED)
            .with("clipboard", &clipboard)
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        let navigator = window().navigator();
        for name in &self.0 {
            let _ = js_sys::Reflect::delete_property(&navigator, &(*name).into());
        }
    }
}

fn recorded(key: &str) -> wasm_bindgen::JsValue {
    js_sys::Reflect::get(&window(), &key.into()).expect("get")
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

fn order_view(state: OrderState, reason: Option<&str>, version: i64) -> OrderView {
    let esim = (state == OrderState::Ready).then(|| Esim {
        iccid: "8988307000001234567".into(),
        lpa: "LPA:1$sm-dp-plus.simology.net$ACT-CODE-1234".into(),
        smdp_address: "sm-dp-plus.simology.net".into(),
        activation_code: "ACT-CODE-1234".into(),
        valid_from: "2025-01-10T09:21:10Z".into(),
        valid_until: "2025-02-09T23:59:59Z".into(),
    });
    OrderView {
        order_ref: order_ref(),
        state,
        reason: reason.map(str::to_owned),
        plan: OrderPlan {
            sku: "US-5GB-30D".into(),
            name: "United States 5 GB / 30 days".into(),
            coverage: vec!["US".into()],
            data_mb: 5120,
            validity_days: 30,
            quantity: 1,
            price: price(1499, "USD"),
            terms_url: "https://terms.example/us".into(),
        },
        esim,
        topup_of: None,
        email_on_file: false,
        analytics_id: "a_00112233445566778899".into(),
        version,
        updated_at: String::new(),
    }
}

/// An order of one eSIM as `GET /api/orders/{ref}` answers it: its one line, once ready.
fn detail(order: OrderView) -> OrderDetail {
    let topup = order.topup_of.is_some();
    let lines: Vec<Line> = order
        .esim
        .iter()
        .map(|e| Line {
            iccid: e.iccid.clone(),
            state: LineState::Ready,
            esim: Some(e.clone()),
        })
        .collect();
    OrderDetail {
        lines_ready: u32::try_from(lines.len()).expect("one"),
        lines_total: if topup { 0 } else { order.plan.quantity },
        lines,
        topup_line: None,
        order,
    }
}

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

/// A fake whose catalogue and order carry markup, as a compromised or buggy upstream might.
struct Hostile;

const EVIL: &str = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>";

impl Backend for Hostile {
    fn destinations(&self) -> Fut<Result<DestinationsResponse, Failure>> {
        Box::pin(async {
            Ok(DestinationsResponse {
                destinations: vec![destination(DestinationKind::Country, "US", EVIL)],
                updated_at: String::new(),
            })
        })
    }
    fn catalog(&self, destination: &DestinationId) -> Fut<Result<CatalogResponse, Failure>> {
        let code = destination.code.as_str();
        let mut c = catalog(code);
        c.destination.name = EVIL.into();
        for p in &mut c.plans {
            p.name = EVIL.into();
            p.coverage = vec![EVIL.into(), "FR".into()];
            p.terms_url = "javascript:window.__pwned=3".into();
        }
        Box::pin(async move { Ok(c) })
    }
    fn devices(&self) -> Fut<Result<Devices, Failure>> {
        Box::pin(async { Err(Failure::Network) })
    }
    fn checkout(&self, _request: CheckoutRequest) -> Fut<Result<CheckoutResponse, Failure>> {
        Box::pin(async { Err(Failure::Network) })
    }
    fn beacon(&self, _beacon: &Beacon) {}
    fn order(
        &self,
        _order_ref: &OrderRef,
        _wait: u64,
        _version: Option<i64>,
    ) -> Fut<Result<OrderDetail, Failure>> {
        let mut o = order_view(OrderState::Ready, None, 9);
        if let Some(e) = o.esim.as_mut() {
            e.lpa = format!("LPA:1${EVIL}$x");
            e.smdp_address = EVIL.into();
            e.activation_code = EVIL.into();
        }
        o.plan.name = EVIL.into();
        Box::pin(async move { Ok(detail(o)) })
    }
    fn usage(&self, _order_ref: &OrderRef, _line: Option<&str>) -> Fut<Result<UsageView, Failure>> {
        Box::pin(async { Err(Failure::Network) })
    }
    fn topup_offers(
        &self,
        _order_ref: &OrderRef,
        _line: Option<&str>,
    ) -> Fut<Result<TopupOffers, Failure>> {
        Box::pin(async { Ok(TopupOffers { offers: vec![] }) })
    }
    fn buy_topup(
        &self,
        _order_ref: &OrderRef,
        _line: Option<&str>,
        _request: TopupRequest,
    ) -> Fut<Result<CheckoutResponse, Failure>> {
        Box::pin(async { Err(Failure::Network) })
    }
}

fn mount_hostile(screen: Screen) -> web_sys::HtmlElement {
    let root: web_sys::HtmlElement = document()
        .create_element("div")
        .expect("div")
        .unchecked_into();
    document()
        .body()
        .expect("body")
        .append_child(&root)
        .expect("append");
    let config = Config {
        destination: DestinationId::country("US"),
        lang: Lang::En,
        theme: "light".into(),
        instance: "hostile".into(),
        poll_interval_ms: None,
        attribution: None,
        compat_check: CompatCheck::Off,
    };
    let services = Services {
        backend: Rc::new(Hostile),
        navigate: Rc::new(|_: &str| true),
        return_url: "https://blog.example/".into(),
        country_name: Rc::new(|_, _| None),
        announce: Rc::new(|_| {}),
    };
    mount_to(
        root.clone(),
        move || view! { <Widget config=config services=services screen=screen /> },
    )
    .forget();
    root
}

#[wasm_bindgen_test]
async fn markup_from_upstream_is_rendered_as_text() {
    let picker = mount_hostile(Screen::Picker {
        destination: DestinationId::country("US"),
        sku: None,
        travellers: None,
    });
    shown(&picker, ".choose").await;
    // The checkout too, where the terms link is.
    picker
        .query_selector(".choose")
        .expect("selector")
        .expect("a plan")
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
    shown(&picker, "form.checkout").await;
    let ready = mount_hostile(Screen::Order(order_ref()));
    shown(&ready, ".qr svg").await;
    for root in [&picker, &ready] {
        assert_eq!(
            root.query_selector_all("img, script")
                .expect("selector")
                .length(),
            0,
            "{}",
            root.inner_html()
        );
        assert!(
            root.text_content()
                .unwrap_or_default()
                .contains("<img src=x"),
            "shown literally"
        );
    }
    for root in [&picker, &ready] {
        assert_eq!(
            root.query_selector_all("a[href^='javascript'], a[href^='JAVASCRIPT']")
                .expect("selector")
                .length(),
            0
        );
    }
    let pwned = js_sys::Reflect::get(&window(), &"__pwned".into()).expect("get");
    assert!(pwned.is_undefined(), "no script ran");
    // The QR code is drawn from the text, not parsed as markup.
    assert_eq!(
        ready
            .query_selector_all(".qr svg")
            .expect("selector")
            .length(),
        1
    );
    assert_eq!(
        ready
            .query_selector_all(".qr svg *[onerror], .qr svg script")
            .expect("selector")
            .length(),
        0
    );
}

/// Mounts the ready view of the order, with its one top-up offer.
async fn ready_with_topups() -> Harness {
    let h = mount_widget(Lang::En, None, Some(Screen::Order(order_ref())));
    h.fake.publish(Ok(order_view(OrderState::Ready, None, 4)));
    h.shown(".topups .topup-list button").await;
    h
}

impl Harness {
    /// Clicks the top-up offer, waits until the widget shows the purchase under way,
    /// answers it with `answer`, and waits until the answer is shown (the failure's text)
    /// or the payment page is asked for (no text).
    async fn buy_topup(&self, answer: Result<CheckoutResponse, Failure>) -> String {
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

const IPHONE_IOS17: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
const IPHONE_IOS16: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1";
const DESKTOP: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const DETAILS: &str = "SM-DP+ address: sm-dp-plus.simology.net\nActivation code: ACT-CODE-1234\n\
    LPA: LPA:1$sm-dp-plus.simology.net$ACT-CODE-1234\nICCID: 8988307000001234567";

/// The ready view of the order, rendered on the device `_device` describes.
async fn ready_on(_device: &Device) -> Harness {
    let h = mount_widget(Lang::En, None, Some(Screen::Order(order_ref())));
    h.fake.publish(Ok(order_view(OrderState::Ready, None, 4)));
    h.shown(".ready .copyable").await;
    h
}

impl Harness {
    /// The classes of the ready view's first element: what it leads with.
    fn lead(&self) -> String {
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
        .with("share", &Device::recorder("__shared").into());
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
        .with("share", &Device::recorder("__shared_traveller").into());
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

/// Every text an event told the host page.
fn told_texts(events: &[HostEvent]) -> Vec<String> {
    let mut texts = Vec::new();
    for e in events {
        e.detail(&mut |name, value| {
            texts.push(match value {
                Detail::Text(t) => format!("{name}={t}"),
                Detail::Number(n) => format!("{name}={n}"),
            })
        });
    }
    texts
}

#[wasm_bindgen_test]
async fn the_host_page_hears_each_public_moment_and_no_secret() {
    let h = mount_widget(Lang::En, Some((DestinationKind::Country, "US")), None);
    open_checkout(&h).await;
    h.travellers(2);
    h.type_into("input[type=email]", "alex@example.com");
    *h.fake.checkout_result.borrow_mut() = Some(Err(Failure::Api {
        status: 503,
        code: ErrorCode::UpstreamUnavailable,
        retry_after: None,
    }));
    submit(&h);
    h.changed(".form-error", "").await;
    h.shown(".pay:enabled").await;
    *h.fake.checkout_result.borrow_mut() = None;
    submit(&h);
    until("the payment page", || !h.navigated.borrow().is_empty()).await;
    let told = h.announced.borrow().clone();
    let names: Vec<&str> = told.iter().map(HostEvent::name).collect();
    // The retry is the same purchase: its start is told once.
    assert_eq!(names, ["plan-chosen", "checkout-started", "error"]);
    let sale = |quantity: u32| {
        Sale::of("US-1GB-7D", Some("US"), &price(450, "USD"), quantity).expect("fits")
    };
    assert_eq!(told[0], HostEvent::PlanChosen(sale(1)));
    assert_eq!(told[1], HostEvent::CheckoutStarted(sale(2)));
    assert_eq!(
        told[2],
        HostEvent::Error {
            code: "upstream_unavailable"
        }
    );
    assert_eq!(sale(2).amount_minor, 900, "the total, in minor units");

    // The order, once paid and ready: an id for analytics, never the reference.
    let o = mount_widget(Lang::En, None, Some(Screen::Order(order_ref())));
    o.shown(".status-message").await;
    o.fake.publish(Ok(order_view(OrderState::Paid, None, 2)));
    o.fake
        .publish(Ok(order_view(OrderState::Provisioning, None, 3)));
    until("paid told", || o.announced.borrow().len() == 1).await;
    o.fake.publish(Ok(order_view(OrderState::Ready, None, 4)));
    until("ready told", || o.announced.borrow().len() == 2).await;
    let told = o.announced.borrow().clone();
    let order_sale = Sale::of("US-5GB-30D", None, &price(1499, "USD"), 1).expect("fits");
    assert_eq!(
        told,
        [
            HostEvent::Paid {
                sale: order_sale.clone(),
                analytics_id: "a_00112233445566778899".into()
            },
            HostEvent::Ready {
                sale: order_sale,
                analytics_id: "a_00112233445566778899".into()
            },
        ]
    );
    let mut all = h.announced.borrow().clone();
    all.extend(told);
    for text in told_texts(&all) {
        for secret in [REF, "ACT-CODE-1234", "alex@example.com", "sm-dp-plus"] {
            assert!(!text.contains(secret), "{text} tells {secret}");
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
    let document = document();
    let root: web_sys::HtmlElement = document
        .create_element("div")
        .expect("div")
        .unchecked_into();
    document
        .body()
        .expect("body")
        .append_child(&root)
        .expect("append");
    let fake = Rc::new(Fake::default());
    let us = DestinationId::country("US").expect("us");
    let config = Config {
        destination: Some(us.clone()),
        lang: Lang::En,
        theme: "light".into(),
        instance: "typed".into(),
        poll_interval_ms: None,
        attribution: None,
        compat_check: CompatCheck::Off,
    };
    let services = Services {
        backend: Rc::new(Shared(Rc::clone(&fake))),
        navigate: Rc::new(|_| true),
        return_url: String::new(),
        country_name: Rc::new(|_, _| Some("United States".into())),
        announce: Rc::new(|_| {}),
    };
    let primed = catalog("US");
    // The frame's script mounts on the plan tapped, with the travellers and the email
    // given in the proxy's rendering of its checkout (`loader::first_screen`).
    let screen = Screen::Picker {
        destination: Some(us.clone()),
        sku: Some(primed.plans[0].sku.clone()),
        travellers: Some(2),
    };
    let handle = mount_to(root.clone(), move || {
        view! {
            <Widget config=config services=services screen=screen primed=Some((primed, us))
                tapped=true email=Some("ana@example.com".to_owned()) />
        }
    });
    handle.forget();
    let h = Harness {
        root,
        fake: Rc::clone(&fake),
        navigated: Rc::default(),
        announced: Rc::default(),
        may_navigate: Rc::new(Cell::new(true)),
    };
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

#[wasm_bindgen_test]
async fn the_proxys_rendering_is_taken_over_from_its_own_catalogue() {
    let document = document();
    let root: web_sys::HtmlElement = document
        .create_element("div")
        .expect("div")
        .unchecked_into();
    document
        .body()
        .expect("body")
        .append_child(&root)
        .expect("append");
    let fake = Rc::new(Fake::default());
    let us = DestinationId::country("US").expect("us");
    let config = Config {
        destination: Some(us.clone()),
        lang: Lang::En,
        theme: "light".into(),
        instance: "primed".into(),
        poll_interval_ms: None,
        attribution: None,
        compat_check: CompatCheck::Off,
    };
    let services = Services {
        backend: Rc::new(Shared(Rc::clone(&fake))),
        navigate: Rc::new(|_| true),
        return_url: String::new(),
        country_name: Rc::new(|_, _| Some("United States".into())),
        announce: Rc::new(|_| {}),
    };
    let mut primed = catalog("US");
    primed.plans.truncate(2);
    let screen = Screen::Picker {
        destination: Some(us.clone()),
        // Back from a cancelled payment: its plan's checkout at once, for as many.
        sku: Some(primed.plans[1].sku.clone()),
        travellers: Some(3),
    };
    let handle = mount_to(root.clone(), move || {
        view! { <Widget config=config services=services screen=screen primed=Some((primed, us)) /> }
    });
    handle.forget();
    let h = Harness {
        root,
        fake: Rc::clone(&fake),
        navigated: Rc::default(),
        announced: Rc::default(),
        may_navigate: Rc::new(Cell::new(true)),
    };
    // In the first render itself: no placeholder, no request.
    assert!(h.all(".skeleton").is_empty());
    assert_eq!(h.all("form.checkout").len(), 1);
    let select: web_sys::HtmlSelectElement = h.one("select.travellers").unchecked_into();
    assert_eq!(select.value(), "3");
    h.one(".back").click();
    h.shown(".plan-card").await;
    assert_eq!(
        h.all(".plan-card").len(),
        2,
        "the proxy's plans, not another answer"
    );
    assert_eq!(fake.catalog_reads.get(), 0, "nothing asked again");
}

/// The browser's plural rules and the CLDR ones the proxy renders the first screen with
/// agree, for whole counts and for data amounts in tenths: the two renderings match.
#[wasm_bindgen_test]
fn plural_rules_of_the_browser_and_of_the_proxy_agree() {
    use simology_widget_core::i18n::{cldr_category, Category, Count};
    let mut counts: Vec<Count> = (0..=120).map(Count::whole).collect();
    for integer in 0..=3 {
        for fraction in 1..=9 {
            counts.push(Count {
                integer,
                fraction,
                digits: 1,
            });
        }
    }
    for lang in Lang::ALL {
        for &n in &counts {
            assert_eq!(
                simology_widget::browser::plural_category(lang, n),
                Some(cldr_category(lang, n)),
                "{lang:?} {n:?}"
            );
        }
    }
    assert_eq!(
        simology_widget::browser::plural_category(
            Lang::Fr,
            Count {
                integer: 1,
                fraction: 5,
                digits: 1
            }
        ),
        Some(Category::One)
    );
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

// The checkout's "Is your phone ready for an eSIM?" step (`compat-check`).

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
