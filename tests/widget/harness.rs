//! Mounting the widget (and taking it away again), and reading and driving what it shows.

use super::*;

/// A view mounted in an element of its own at the end of the document's body. Dropping it
/// unmounts the view and disposes of its reactive owner (so the effects, resources and
/// tasks the view owns stop), removes the element from the document, and removes the
/// local-storage keys set for it. A test that needs the view after its body keeps the
/// value alive.
pub struct Mounted {
    pub root: web_sys::HtmlElement,
    handle: Option<UnmountHandle<AnyViewState>>,
    /// The local-storage keys set for this view before it was mounted.
    keys: Vec<String>,
}

impl Mounted {
    /// Mounts what `view` makes, after setting `storage`'s keys to their values.
    pub fn new<N: IntoView + 'static>(
        storage: &[(String, String)],
        view: impl FnOnce() -> N + 'static,
    ) -> Self {
        if let Some(local) = window().local_storage().ok().flatten() {
            for (key, value) in storage {
                local.set_item(key, value).expect("storage");
            }
        }
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
        let handle = mount_to(root.clone(), move || view().into_any());
        Mounted {
            root,
            handle: Some(handle),
            keys: storage.iter().map(|(key, _)| key.clone()).collect(),
        }
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        // The view's nodes first, then its owner (the handle's own drop does both).
        drop(self.handle.take());
        self.root.remove();
        if let Some(local) = window().local_storage().ok().flatten() {
            for key in &self.keys {
                let _ = local.remove_item(key);
            }
        }
    }
}

/// The widget mounted on a fake proxy, with what it did that the test reads.
pub struct Harness {
    pub root: web_sys::HtmlElement,
    pub fake: Rc<Fake>,
    pub navigated: Rc<RefCell<Vec<String>>>,
    /// What the widget told the host page, in order.
    pub announced: Rc<RefCell<Vec<HostEvent>>>,
    /// Whether the browser lets the frame send the top window to the payment page.
    pub may_navigate: Rc<Cell<bool>>,
    /// Unmounted, with its element removed, when the harness is dropped.
    _mounted: Mounted,
}

impl Harness {
    /// The harness of a widget mounted by the test itself, on `fake`.
    pub fn of(mounted: Mounted, fake: Rc<Fake>) -> Self {
        Harness {
            root: mounted.root.clone(),
            fake,
            navigated: Rc::default(),
            announced: Rc::default(),
            may_navigate: Rc::new(Cell::new(true)),
            _mounted: mounted,
        }
    }
}

pub fn mount_widget(
    lang: Lang,
    destination: Option<(DestinationKind, &str)>,
    screen: Option<Screen>,
) -> Harness {
    mount_attributed(lang, destination, screen, None)
}

/// A widget selling for an affiliate (its `affiliate` and `placement` attributes).
/// The tests of other things than the checkout's eSIM step leave it out
/// (`compat-check="off"`); that step's own tests mount with [`mount_checked`].
pub fn mount_attributed(
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
pub fn mount_checked(lang: Lang, check: CompatCheck) -> Harness {
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
pub fn mount_with(
    lang: Lang,
    destination: Option<(DestinationKind, &str)>,
    screen: Option<Screen>,
    attribution: Option<Attribution>,
    compat_check: CompatCheck,
    phone: Option<&str>,
) -> Harness {
    let instance = format!("t{}", js_sys::Math::random().to_bits());
    // Each test starts with no remembered orders.
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.clear();
    }
    let storage: Vec<(String, String)> = phone
        .map(|phone| (format!("simology-esim.phone:{instance}"), phone.to_owned()))
        .into_iter()
        .collect();
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
    let mounted = Mounted::new(
        &storage,
        move || view! { <Widget config=config services=services screen=screen /> },
    );
    Harness {
        root: mounted.root.clone(),
        fake,
        navigated,
        announced,
        may_navigate,
        _mounted: mounted,
    }
}

/// Waits until `ready()` holds, letting the widget's tasks and timers run in between.
/// The deadline only turns a hang into a failure; nothing the widget does comes near it.
pub async fn until(what: &str, ready: impl Fn() -> bool) {
    let deadline = js_sys::Date::now() + 10_000.0;
    while !ready() {
        assert!(js_sys::Date::now() < deadline, "gave up waiting for {what}");
        leptos::task::tick().await;
        Waker::default().sleep(1).await;
    }
}

/// Waits until `selector` matches something under `root`.
pub async fn shown(root: &web_sys::HtmlElement, selector: &str) {
    until(selector, || {
        root.query_selector(selector).ok().flatten().is_some()
    })
    .await;
}

impl Harness {
    /// Waits until `selector` matches something in the widget.
    pub async fn shown(&self, selector: &str) {
        shown(&self.root, selector).await;
    }
    /// Waits until `selector`'s text is there and no longer `before`, and returns it.
    pub async fn changed(&self, selector: &str, before: &str) -> String {
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
    pub async fn sort_by(&self, value: &str) {
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
    pub fn all(&self, selector: &str) -> Vec<web_sys::HtmlElement> {
        let list = self.root.query_selector_all(selector).expect("selector");
        (0..list.length())
            .filter_map(|i| list.item(i))
            .map(|n| n.unchecked_into())
            .collect()
    }
    pub fn one(&self, selector: &str) -> web_sys::HtmlElement {
        self.root
            .query_selector(selector)
            .expect("selector")
            .unwrap_or_else(|| panic!("no {selector} in {}", self.root.inner_html()))
            .unchecked_into()
    }
    pub fn text(&self, selector: &str) -> String {
        self.one(selector).text_content().unwrap_or_default()
    }
    pub fn skus(&self) -> Vec<String> {
        self.all(".country-plans .plan-card")
            .iter()
            .filter_map(|e| e.get_attribute("data-sku"))
            .collect()
    }
    pub fn type_into(&self, selector: &str, value: &str) {
        let input: web_sys::HtmlInputElement = self.one(selector).unchecked_into();
        input.set_value(value);
        let event = web_sys::Event::new("input").expect("event");
        input.dispatch_event(&event).expect("dispatch");
    }
    pub fn key(&self, selector: &str, key: &str) {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(key);
        init.set_bubbles(true);
        let event = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)
            .expect("event");
        self.one(selector).dispatch_event(&event).expect("dispatch");
    }
}

pub async fn open_checkout(h: &Harness) {
    h.shown(".country-plans .choose").await;
    h.all(".country-plans .choose")[0].click();
    h.shown("form.checkout").await;
}

pub fn submit(h: &Harness) {
    let e = web_sys::Event::new_with_event_init_dict("submit", &{
        let i = web_sys::EventInit::new();
        i.set_cancelable(true);
        i
    })
    .expect("event");
    h.one("form.checkout").dispatch_event(&e).expect("dispatch");
}

impl Harness {
    /// Chooses `n` travellers in the checkout.
    pub fn travellers(&self, n: u32) {
        let select: web_sys::HtmlSelectElement = self.one("select.travellers").unchecked_into();
        select.set_value(&n.to_string());
        select
            .dispatch_event(&web_sys::Event::new("change").expect("event"))
            .expect("dispatch");
    }
}

#[wasm_bindgen_test]
async fn a_dropped_mount_leaves_nothing_behind_and_no_longer_reacts() {
    let count = RwSignal::new(0);
    let shown_in = |mounted: &Mounted| {
        mounted
            .root
            .query_selector("p")
            .ok()
            .flatten()
            .and_then(|p| p.text_content())
    };
    // Another view of the same signal, kept mounted, says when the change has been drawn.
    let kept = Mounted::new(&[], move || view! { <p>{move || count.get()}</p> });
    let key = format!("simology-esim.test:{}", js_sys::Math::random());
    let dropped = Mounted::new(&[(key.clone(), "set".to_owned())], move || {
        view! { <p>{move || count.get()}</p> }
    });
    let root = dropped.root.clone();
    let paragraph = root.query_selector("p").ok().flatten().expect("mounted");
    count.set(1);
    until("both views to show 1", || {
        shown_in(&kept).as_deref() == Some("1") && shown_in(&dropped).as_deref() == Some("1")
    })
    .await;
    let stored = || {
        window()
            .local_storage()
            .ok()
            .flatten()
            .and_then(|s| s.get_item(&key).ok().flatten())
    };
    assert_eq!(stored().as_deref(), Some("set"));

    drop(dropped);
    assert!(
        !root.is_connected(),
        "the element is gone from the document"
    );
    assert!(!paragraph.is_connected(), "and the view is unmounted");
    assert_eq!(stored(), None, "the key it was given is removed");
    count.set(2);
    until("the kept view to show 2", || {
        shown_in(&kept).as_deref() == Some("2")
    })
    .await;
    assert_eq!(
        paragraph.text_content().as_deref(),
        Some("1"),
        "the dropped view's effect no longer runs"
    );

    // A harness disposes of its widget the same way.
    let h = mount_widget(Lang::En, Some((DestinationKind::Country, "US")), None);
    h.shown(".sim-root .plan-card").await;
    let widget = h.root.clone();
    drop(h);
    assert!(!widget.is_connected());
    assert_eq!(widget.child_element_count(), 0, "{}", widget.inner_html());
}
