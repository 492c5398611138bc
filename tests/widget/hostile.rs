//! Markup from upstream, shown as text.

use super::*;

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

fn mount_hostile(screen: Screen) -> Mounted {
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
    Mounted::new(
        &[],
        move || view! { <Widget config=config services=services screen=screen /> },
    )
}

#[wasm_bindgen_test]
async fn markup_from_upstream_is_rendered_as_text() {
    let picker_widget = mount_hostile(Screen::Picker {
        destination: DestinationId::country("US"),
        sku: None,
        travellers: None,
    });
    let picker = &picker_widget.root;
    shown(picker, ".choose").await;
    // The checkout too, where the terms link is.
    picker
        .query_selector(".choose")
        .expect("selector")
        .expect("a plan")
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
    shown(picker, "form.checkout").await;
    let ready_widget = mount_hostile(Screen::Order(order_ref()));
    let ready = &ready_widget.root;
    shown(ready, ".qr svg").await;
    for root in [picker, ready] {
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
    for root in [picker, ready] {
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
