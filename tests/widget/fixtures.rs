//! The fake proxy the widget is mounted on, and the data it answers with.

use super::*;

pub fn price(minor: i64, cur: &str) -> Price {
    let decimals = if cur == "JPY" { 0 } else { 2 };
    Price {
        minor,
        currency: CurrencyCode::parse(cur).expect("code"),
        decimals,
    }
}

pub fn plan(
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

pub fn destination(kind: DestinationKind, code: &str, name: &str) -> Destination {
    Destination {
        kind,
        code: code.into(),
        name: name.into(),
        plan_count: 3,
        lowest_price: Some(price(499, "USD")),
        countries: vec![code.into()],
    }
}

pub fn catalog(code: &str) -> CatalogResponse {
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
pub struct Answers<T> {
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
    pub fn give(&self, answer: T) {
        self.queue.borrow_mut().push_back(answer);
        self.given.wake();
    }

    pub async fn next(&self) -> T {
        loop {
            if let Some(answer) = self.queue.borrow_mut().pop_front() {
                return answer;
            }
            self.given.sleep(60_000).await;
        }
    }
}

#[derive(Default)]
pub struct Fake {
    /// How many catalogues were asked for.
    pub catalog_reads: Cell<u32>,
    /// How many times the list of eSIM-capable phones was asked for.
    pub devices_reads: Cell<u32>,
    pub checkouts: RefCell<Vec<CheckoutRequest>>,
    /// The funnel's beacons, in the order sent.
    pub beacons: RefCell<Vec<Beacon>>,
    pub checkout_result: RefCell<Option<Result<CheckoutResponse, Failure>>>,
    /// The answers to order reads.
    pub orders: Answers<Result<OrderDetail, Failure>>,
    /// Each order read's `wait` and `version`.
    pub order_reads: RefCell<Vec<(u64, Option<i64>)>>,
    pub topups: RefCell<Vec<TopupRequest>>,
    /// The answers to top-up purchases.
    pub topup_answers: Answers<Result<CheckoutResponse, Failure>>,
    /// The line of each usage read, offers read and top-up bought (none: the order's).
    pub usage_lines: RefCell<Vec<Option<String>>>,
    pub offer_lines: RefCell<Vec<Option<String>>>,
    pub topup_lines: RefCell<Vec<Option<String>>>,
}

impl Fake {
    /// The next answer to an order read: an order of one eSIM, as the proxy sends it.
    pub fn publish(&self, answer: Result<OrderView, Failure>) {
        self.orders.give(answer.map(detail));
    }

    /// The next answer to an order read, with its lines as given.
    pub fn publish_detail(&self, detail: OrderDetail) {
        self.orders.give(Ok(detail));
    }
}

pub const REF: &str = "o_0123456789abcdef0123456789abcdef";

pub fn order_ref() -> OrderRef {
    OrderRef::parse(REF).expect("a reference")
}

/// The fake, shared between the widget and the test.
#[derive(Clone)]
pub struct Shared(pub Rc<Fake>);

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

pub fn order_view(state: OrderState, reason: Option<&str>, version: i64) -> OrderView {
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
pub fn detail(order: OrderView) -> OrderDetail {
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

/// A widget on the proxy's rendering of the US (English, light, no step), named
/// `instance`, its calls answered by `fake`: the destination, the configuration and
/// the services to mount it with.
pub fn on_the_proxys_rendering(
    fake: &Rc<Fake>,
    instance: &str,
) -> (DestinationId, Config, Services) {
    let us = DestinationId::country("US").expect("us");
    let config = Config {
        destination: Some(us.clone()),
        lang: Lang::En,
        theme: "light".into(),
        instance: instance.into(),
        poll_interval_ms: None,
        attribution: None,
        compat_check: CompatCheck::Off,
    };
    let services = Services {
        backend: Rc::new(Shared(Rc::clone(fake))),
        navigate: Rc::new(|_| true),
        return_url: String::new(),
        country_name: Rc::new(|_, _| Some("United States".into())),
        announce: Rc::new(|_| {}),
    };
    (us, config, services)
}
