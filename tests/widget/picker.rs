//! The plan picker: the catalogue, its chips, sorting, search, prices and languages,
//! and the proxy's first rendering taken over.

use super::*;

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

#[wasm_bindgen_test]
async fn the_proxys_rendering_is_taken_over_from_its_own_catalogue() {
    let fake = Rc::new(Fake::default());
    let (us, config, services) = on_the_proxys_rendering(&fake, "primed");
    let mut primed = catalog("US");
    primed.plans.truncate(2);
    let screen = Screen::Picker {
        destination: Some(us.clone()),
        // Back from a cancelled payment: its plan's checkout at once, for as many.
        sku: Some(primed.plans[1].sku.clone()),
        travellers: Some(3),
    };
    let mounted = Mounted::new(&[], move || {
        view! { <Widget config=config services=services screen=screen primed=Some((primed, us)) /> }
    });
    let h = Harness::of(mounted, Rc::clone(&fake));
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
