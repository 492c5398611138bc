//! What the host page and the affiliate learn: attribution, the funnel's beacons and
//! the public events.

use super::*;

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
