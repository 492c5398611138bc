use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use simology::clock::ManualClock;
use simology::models::{CheckoutSessionRequest, Customer, LineItem};
use simology::{BreakerConfig, Client, ClientConfig, Event, RetryPolicy};
pub use simology_sandbox::wait::eventually;
use simology_sandbox::{RunningSandbox, SandboxConfig, DEFAULT_API_KEY, DEFAULT_WEBHOOK_SECRET};
use time::OffsetDateTime;

pub struct TestApp {
    pub sandbox: RunningSandbox,
    pub client: Client,
    /// The client's clock: retry waits pass at once and are recorded here.
    pub clock: Arc<ManualClock>,
}

pub fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_elapsed: Duration::from_secs(10),
    }
}

pub fn client_for(
    sandbox: &RunningSandbox,
    retry: RetryPolicy,
    breaker: BreakerConfig,
    clock: Arc<ManualClock>,
) -> Client {
    let mut config = ClientConfig::new(DEFAULT_API_KEY)
        .expect("sandbox key")
        .with_base_url(sandbox.url())
        .expect("loopback URL");
    config.retry = retry;
    config.breaker = breaker;
    config.timeout = Duration::from_secs(2);
    config.clock = clock;
    Client::new(config).expect("client")
}

pub async fn spawn_app(config: SandboxConfig) -> TestApp {
    let sandbox = simology_sandbox::spawn(config)
        .await
        .expect("sandbox starts");
    let clock = Arc::new(ManualClock::new());
    let client = client_for(
        &sandbox,
        quick_retries(),
        BreakerConfig::default(),
        Arc::clone(&clock),
    );
    TestApp {
        sandbox,
        client,
        clock,
    }
}

pub fn checkout_request(sku: &str) -> CheckoutSessionRequest {
    CheckoutSessionRequest {
        customer: Customer {
            email: "alex@example.com".into(),
            country: Some("GB".into()),
        },
        items: vec![LineItem {
            sku: sku.into(),
            quantity: 1,
        }],
        success_url: "https://shop.example/success?session_id={SESSION_ID}".into(),
        cancel_url: "https://shop.example/cancel".into(),
        metadata: [("order_ref".to_owned(), "r_1".to_owned())]
            .into_iter()
            .collect(),
    }
}

/// Pays a session on the hosted test page, as a browser's form post would, and
/// returns where the page redirects.
pub async fn pay(payment_url: &str, card: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = http.get(payment_url).send().await.expect("payment page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("name=card"), "the page has a card field");
    let response = http
        .post(payment_url)
        .form(&[("card", card), ("action", "pay")])
        .send()
        .await
        .expect("pay");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a redirect")
        .to_owned()
}

/// A webhook endpoint that verifies every delivery with the SDK and records it.
pub struct Receiver {
    pub url: url::Url,
    pub events: Arc<Mutex<Vec<Event>>>,
    pub rejected: Arc<Mutex<u32>>,
    /// Answer 500 to this many deliveries first.
    pub fail_first: Arc<Mutex<u32>>,
}

pub async fn receiver(secrets: Vec<String>) -> Receiver {
    let events = Arc::new(Mutex::new(Vec::new()));
    let rejected = Arc::new(Mutex::new(0));
    let fail_first = Arc::new(Mutex::new(0));
    let (e, r, f) = (events.clone(), rejected.clone(), fail_first.clone());
    let app = Router::new().route(
        "/webhooks",
        post(move |headers: HeaderMap, body: Bytes| {
            let (e, r, f, secrets) = (e.clone(), r.clone(), f.clone(), secrets.clone());
            async move {
                {
                    let mut fail = f.lock().expect("lock");
                    if *fail > 0 {
                        *fail -= 1;
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                }
                let header = headers
                    .get("simology-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                match simology::webhook::verify(&body, header, &secrets, OffsetDateTime::now_utc())
                {
                    Ok(event) => {
                        e.lock().expect("lock").push(event);
                        StatusCode::OK
                    }
                    Err(_) => {
                        *r.lock().expect("lock") += 1;
                        StatusCode::BAD_REQUEST
                    }
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver {
        url: url::Url::parse(&format!("http://{addr}/webhooks")).expect("url"),
        events,
        rejected,
        fail_first,
    }
}

impl Receiver {
    pub fn types(&self) -> Vec<String> {
        self.events
            .lock()
            .expect("lock")
            .iter()
            .map(|e| e.payload.event_type().to_owned())
            .collect()
    }

    /// Waits until an event of this type arrived, and returns it.
    pub async fn wait_for(&self, event_type: &str) -> Event {
        eventually(format!("a {event_type} event"), || async {
            let found = self
                .events
                .lock()
                .expect("lock")
                .iter()
                .find(|e| e.payload.event_type() == event_type)
                .cloned();
            found.ok_or_else(|| format!("events {:?}", self.types()))
        })
        .await
    }
}

pub fn default_secret() -> Vec<String> {
    vec![DEFAULT_WEBHOOK_SECRET.to_owned()]
}
