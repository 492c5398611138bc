//! Outgoing webhooks and affiliate postbacks: the journey of a sale with a click id
//! (checkout over HTTP, payment on the sandbox's page, a line refund, then the rest),
//! told to a receiver that verifies every signature itself; retries, a dead endpoint
//! disabled and tested back, no redirect followed, timeouts, the CLI, and one chain of
//! attempts per event with two replicas.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{json, Value};
use simology_proxy::fulfilment::dispatcher;
use simology_proxy::outgoing::schedule::Schedule;
use simology_sandbox::CARD_SUCCESS;

use crate::affiliates::*;
use crate::helpers::*;
use crate::receiver::*;

/// The network's postback: every macro, at the receiver.
fn postback_line(receiver: &str) -> String {
    format!(
        "postback_url = \"{receiver}/postbacks/impact?irclickid={{click_id}}&oid={{order_id}}&tag={{order_tag}}\
         &amount={{amount}}&minor={{amount_minor}}&cur={{currency}}&c={{commission}}&cm={{commission_minor}}\
         &status={{status}}&p={{placement}}\"\n"
    )
}

/// A proxy with Wander Notes (postbacks to the receiver) and the endpoints given, its
/// delivery settings changed by `tune`; returns it and the folder of its files.
async fn spawn_told(
    receiver: &Receiver,
    endpoints: &[(&str, &str, &str)],
    tune: impl FnOnce(&mut simology_proxy::config::Settings),
) -> (TestApp, std::path::PathBuf) {
    let files = temp_dir("outgoing");
    let affiliates = files.join("affiliates.toml");
    std::fs::write(
        &affiliates,
        affiliates_file(false) + &postback_line(&receiver.url),
    )
    .expect("affiliates file");
    let webhooks = files.join("webhooks.toml");
    std::fs::write(&webhooks, endpoints_file(&receiver.url, endpoints)).expect("endpoints file");
    let app = spawn_app_tuned(
        fast_sandbox(),
        &[
            ("PROXY_AFFILIATES", affiliates.to_str().expect("utf-8")),
            ("PROXY_WEBHOOKS", webhooks.to_str().expect("utf-8")),
        ],
        tune,
    )
    .await;
    (app, files)
}

/// A short schedule: 50 ms, 100 ms, 200 ms ... for 1 s.
fn quick(settings: &mut simology_proxy::config::Settings) {
    settings.delivery.schedule = Schedule {
        first_wait: Duration::from_millis(50),
        factor: 2,
        max_wait: Duration::from_millis(200),
        give_up_after: Duration::from_secs(1),
        jitter: 0.2,
    };
    settings.delivery.poll = Duration::from_millis(50);
}

fn types_of<'a>(hooks: &'a [Hook], endpoint: &str) -> BTreeSet<&'a str> {
    hooks
        .iter()
        .filter(|h| h.endpoint == endpoint)
        .map(Hook::event_type)
        .collect()
}

fn conversions(hooks: &[Hook]) -> Vec<(String, i64)> {
    let mut seen = BTreeSet::new();
    hooks
        .iter()
        .filter(|h| h.endpoint == "crm" && h.event_type() == "affiliate.conversion")
        .filter(|h| seen.insert(h.id.clone()))
        .map(|h| {
            (
                h.body["data"]["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                h.body["data"]["amount"]["minor"]
                    .as_i64()
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_sale_with_a_click_id_is_told_to_the_partner_and_to_its_network() {
    let receiver = Receiver::start().await;
    let (app, files) = spawn_told(
        &receiver,
        &[
            ("crm", CRM_SECRET, "[\"*\"]"),
            (
                "support",
                SUPPORT_SECRET,
                "[\"order.failed\", \"line.refunded\", \"order.refunded\"]",
            ),
        ],
        |_| {},
    )
    .await;
    let click_id = "IR_4d.a1~b2-c3";
    let mut body = affiliate_checkout("US-1GB-7D", WANDER, "wander-notes", "sidebar");
    body["quantity"] = 2.into();
    body["click_id"] = click_id.into();

    // A malformed click id is refused with the error envelope, and nothing is made.
    for bad in ["has space", "a&status=approved", &"x".repeat(201)] {
        let mut refused = body.clone();
        refused["click_id"] = bad.into();
        let r = checkout_from(&app.url, Some(WANDER), &refused).await;
        assert_eq!(r.status(), 400, "{bad}");
        let answer: Value = r.json().await.expect("json");
        assert_eq!(answer["error"]["code"], "invalid_request", "{answer}");
        assert_eq!(answer["error"]["field"], "click_id", "{answer}");
    }

    let r = checkout_from(&app.url, Some(WANDER), &body).await;
    assert_eq!(r.status(), 200);
    let answer: Value = r.json().await.expect("json");
    let order_ref = answer["order_ref"].as_str().expect("ref").to_owned();
    app.pay(answer["payment_url"].as_str().expect("url"), CARD_SUCCESS)
        .await;
    let ready = app.wait_for_state(&order_ref, "ready").await;
    let iccids: Vec<String> = lines_of(&ready).into_keys().collect();
    assert_eq!(iccids.len(), 2);

    receiver
        .wait_for_hooks("order.paid and order.ready at the CRM", |h| {
            let t = types_of(h, "crm");
            t.contains("order.paid") && t.contains("order.ready") && conversions(h).len() == 2
        })
        .await;
    receiver
        .wait_for_postbacks("pending then approved", |p| p.len() >= 2)
        .await;

    // One line refunded, then the rest of the order.
    let (status, _) = app
        .admin_refund(&order_ref, &json!({"iccid": iccids[0]}))
        .await;
    assert_eq!(status, 202);
    app.wait_for_order(&order_ref, "its first line refunded", |o| {
        o["lines"][0]["state"] == "refunded" || o["lines"][1]["state"] == "refunded"
    })
    .await;
    let (status, _) = app.admin_refund(&order_ref, &json!({})).await;
    assert_eq!(status, 202);
    app.wait_for_state(&order_ref, "refunded").await;

    let hooks = receiver
        .wait_for_hooks("the refunds at the CRM and at support", |h| {
            let crm = types_of(h, "crm");
            let support = types_of(h, "support");
            crm.contains("line.refunded")
                && crm.contains("order.refunded")
                && support.contains("line.refunded")
                && support.contains("order.refunded")
                && conversions(h).len() == 4
        })
        .await;
    let postbacks = receiver
        .wait_for_postbacks("four postbacks", |p| p.len() >= 4)
        .await;

    // Every delivery verified (its timestamp within 5 minutes of now); support got
    // only what it subscribed to.
    assert!(
        hooks.iter().all(|h| h.verified && h.timestamp > 0),
        "{hooks:?}"
    );
    assert_eq!(
        types_of(&hooks, "support"),
        BTreeSet::from(["line.refunded", "order.refunded"])
    );
    let crm = types_of(&hooks, "crm");
    for t in [
        "order.paid",
        "order.ready",
        "line.refunded",
        "order.refunded",
        "affiliate.conversion",
    ] {
        assert!(crm.contains(t), "{t}: {crm:?}");
    }
    // 2 × 4.99: pending, approved, one line reversed, then the other.
    let unit = ready["plan"]["price"]["minor"].as_i64().expect("price");
    assert_eq!(
        conversions(&hooks),
        [
            ("pending".to_owned(), 2 * unit),
            ("approved".to_owned(), 2 * unit),
            ("reversed".to_owned(), unit),
            ("reversed".to_owned(), unit),
        ]
    );
    // Payloads carry a version, the order's public id, and nothing that opens an eSIM.
    let secrets: Vec<String> = ready["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["esim"]["lpa"].as_str().map(str::to_owned))
        .chain([order_ref.clone(), "alex@example.com".to_owned()])
        .collect();
    assert!(!secrets.is_empty());
    let order_id = hooks[0].body["data"]["order_id"]
        .as_str()
        .expect("order_id")
        .to_owned();
    for h in &hooks {
        assert_eq!(h.body["version"], 1, "{}", h.raw);
        assert_eq!(h.body["data"]["order_id"], order_id.as_str());
        for secret in &secrets {
            assert!(!h.raw.contains(secret.as_str()), "{secret} in {}", h.raw);
        }
    }
    let paid = hooks
        .iter()
        .find(|h| h.event_type() == "order.paid")
        .expect("paid");
    assert_eq!(paid.body["data"]["quantity"], 2);
    assert_eq!(paid.body["data"]["affiliate"], "wander-notes");
    let refunded_line = hooks
        .iter()
        .find(|h| h.event_type() == "line.refunded")
        .expect("line");
    assert_eq!(refunded_line.body["data"]["iccid"], iccids[0].as_str());

    // The network was told with its click id, every value encoded.
    let statuses: Vec<&str> = postbacks
        .iter()
        .map(|p| p.query["status"].as_str())
        .collect();
    assert_eq!(statuses, ["pending", "approved", "reversed", "reversed"]);
    for p in &postbacks {
        assert_eq!(p.network, "impact");
        assert_eq!(p.query["irclickid"], click_id);
        assert_eq!(p.query["oid"], order_id);
        assert_eq!(p.query["cur"], "USD");
        assert_eq!(p.query["p"], "sidebar");
    }
    assert_eq!(postbacks[0].query["minor"], (2 * unit).to_string());
    assert_eq!(postbacks[2].query["minor"], unit.to_string());
    // 12 % of 2 × 4.99 = 1.1976, half up.
    assert_eq!(
        postbacks[0].query["cm"],
        ((2 * unit * 1200 + 5_000) / 10_000).to_string()
    );

    // The click id stays with the order: in no funnel count and no report.
    let (status, report) = {
        let r = app
            .http
            .get(format!(
                "{}/api/affiliates/wander-notes/report?by=placement",
                app.url
            ))
            .bearer_auth(WANDER_TOKEN)
            .send()
            .await
            .expect("report");
        (r.status(), r.text().await.expect("text"))
    };
    assert_eq!(status, 200, "{report}");
    assert!(
        report.contains("sidebar") && !report.contains(click_id),
        "{report}"
    );
    let stored = everything_stored(&database(&app).await).await;
    let holders: BTreeSet<(String, String)> = stored
        .iter()
        .filter(|(_, _, v)| v.contains(click_id))
        .map(|(t, c, _)| (t.clone(), c.clone()))
        .collect();
    assert_eq!(
        holders,
        BTreeSet::from([
            ("orders".to_owned(), "click_id".to_owned()),
            ("outbox".to_owned(), "payload".to_owned()),
            ("outbox".to_owned(), "target_url".to_owned()),
        ]),
        "the click id is with the order and what tells the partner and the network"
    );

    // The CLI lists the deliveries, and a replay sends an event again with its id.
    let listed = app.cli(&["webhooks", "list", "--limit", "100"]).await;
    assert!(
        listed.contains("crm") && listed.contains("postback:wander-notes"),
        "{listed}"
    );
    assert!(
        listed.contains(&paid.id) && listed.contains("delivered"),
        "{listed}"
    );
    let before = receiver.hooks().iter().filter(|h| h.id == paid.id).count();
    let replayed = app
        .cli(&["webhooks", "replay", &paid.id, "--endpoint", "crm"])
        .await;
    assert!(replayed.contains("1 delivery"), "{replayed}");
    app.state.store.wake_outbox();
    receiver
        .wait_for_hooks("the replay, with the same webhook-id", |h| {
            h.iter()
                .filter(|x| x.id == paid.id && x.endpoint == "crm")
                .count()
                > before
        })
        .await;
    let tested = app.cli(&["webhooks", "test", "support"]).await;
    assert!(tested.contains("answered 204"), "{tested}");
    assert!(receiver
        .hooks()
        .iter()
        .any(|h| h.endpoint == "support" && h.event_type() == "webhook.test" && h.verified));

    assert_eq!(receiver.overlaps(), 0);
    app.stop().await;
    let _ = std::fs::remove_dir_all(&files);
}

#[tokio::test]
async fn failures_are_retried_and_a_dead_endpoint_is_disabled_until_tested_back() {
    let receiver = Receiver::start().await;
    receiver.behave("crm", Behaviour::FailFirst(2));
    receiver.behave("support", Behaviour::Always(503));
    let (app, files) = spawn_told(
        &receiver,
        &[
            ("crm", CRM_SECRET, "[\"order.paid\"]"),
            ("support", SUPPORT_SECRET, "[\"order.paid\"]"),
        ],
        quick,
    )
    .await;
    let (order_ref, payment_url) = app.checkout("US-1GB-7D").await;
    app.pay(&payment_url, CARD_SUCCESS).await;
    app.wait_for_state(&order_ref, "ready").await;

    // crm: two 500s, then delivered on the third attempt, with the same id throughout.
    let hooks = receiver
        .wait_for_hooks("crm's third attempt", |h| {
            h.iter().filter(|x| x.endpoint == "crm").count() >= 3
        })
        .await;
    let crm: Vec<&Hook> = hooks.iter().filter(|h| h.endpoint == "crm").collect();
    assert!(crm.iter().all(|h| h.id == crm[0].id && h.verified));
    // support: given up after its (short) schedule, and disabled.
    eventually("support disabled", async || {
        let disabled = app
            .metric("simology_webhook_endpoint_disabled{endpoint=\"support\"}")
            .await;
        if disabled == Some(1.0) {
            Ok(())
        } else {
            Err(disabled)
        }
    })
    .await;
    assert_eq!(
        app.metric("simology_webhook_deliveries_total{endpoint=\"crm\",outcome=\"delivered\"}")
            .await,
        Some(1.0)
    );
    assert_eq!(
        app.metric("simology_webhook_deliveries_total{endpoint=\"support\",outcome=\"given_up\"}")
            .await,
        Some(1.0)
    );
    assert!(
        app.metric("simology_webhook_endpoint_disablings_total{endpoint=\"support\"}")
            .await
            == Some(1.0)
    );
    let attempts_while_live = receiver
        .hooks()
        .iter()
        .filter(|h| h.endpoint == "support")
        .count();
    assert!(attempts_while_live >= 3, "{attempts_while_live}");

    // While disabled, a new sale's event waits for support (and reaches crm).
    let (second, payment_url) = app.checkout("US-1GB-7D").await;
    app.pay(&payment_url, CARD_SUCCESS).await;
    app.wait_for_state(&second, "ready").await;
    receiver
        .wait_for_hooks("the second sale at crm", |h| {
            h.iter()
                .filter(|x| x.endpoint == "crm")
                .map(|x| &x.id)
                .collect::<BTreeSet<_>>()
                .len()
                == 2
        })
        .await;
    let waiting = app
        .state
        .store
        .deliveries(Some("support"), None, 10)
        .await
        .expect("rows");
    assert_eq!(
        waiting.iter().map(|d| d.state()).collect::<Vec<_>>(),
        ["pending", "failed"],
        "newest first"
    );
    assert_eq!(
        receiver
            .hooks()
            .iter()
            .filter(|h| h.endpoint == "support")
            .count(),
        attempts_while_live,
        "nothing is sent to a disabled endpoint"
    );

    // A failed test keeps it disabled; a passing one enables it and its events go.
    let failed = dispatcher::test_endpoint(&app.state, "support")
        .await
        .expect("tested");
    assert_eq!((failed.status, failed.enabled_again), (Some(503), false));
    receiver.behave("support", Behaviour::Accept);
    let passed = dispatcher::test_endpoint(&app.state, "support")
        .await
        .expect("tested");
    assert_eq!((passed.status, passed.enabled_again), (Some(204), true));
    let pending_id = waiting[0].message_id.clone();
    receiver
        .wait_for_hooks("the waiting event delivered once enabled", |h| {
            h.iter().any(|x| {
                x.endpoint == "support" && x.id == pending_id && x.event_type() == "order.paid"
            })
        })
        .await;
    // The given-up one goes out on a replay.
    let given_up = waiting[1].message_id.clone();
    assert_eq!(
        app.state
            .store
            .replay_failed("support")
            .await
            .expect("replay"),
        1
    );
    app.state.store.wake_outbox();
    receiver
        .wait_for_hooks("the given-up event replayed", |h| {
            h.iter()
                .filter(|x| x.endpoint == "support" && x.id == given_up)
                .count()
                > 3
        })
        .await;
    assert!(dispatcher::test_endpoint(&app.state, "nobody")
        .await
        .is_err());
    app.stop().await;
    let _ = std::fs::remove_dir_all(&files);
}

#[tokio::test]
async fn redirects_are_not_followed_and_a_slow_endpoint_times_out() {
    let receiver = Receiver::start().await;
    receiver.behave("crm", Behaviour::Redirect);
    receiver.behave("support", Behaviour::Slow(Duration::from_secs(3)));
    let (app, files) = spawn_told(
        &receiver,
        &[
            ("crm", CRM_SECRET, "[\"order.paid\"]"),
            ("support", SUPPORT_SECRET, "[\"order.paid\"]"),
        ],
        |s| {
            quick(s);
            s.delivery.schedule.give_up_after = Duration::from_secs(30);
            s.delivery.schedule.first_wait = Duration::from_secs(20);
            s.delivery.schedule.max_wait = Duration::from_secs(20);
            s.delivery.timeout = Duration::from_millis(300);
        },
    )
    .await;
    let (order_ref, payment_url) = app.checkout("US-1GB-7D").await;
    app.pay(&payment_url, CARD_SUCCESS).await;
    app.wait_for_state(&order_ref, "ready").await;
    let rows = eventually("both attempts recorded", async || {
        let rows = app
            .state
            .store
            .deliveries(None, None, 10)
            .await
            .expect("rows");
        if rows.len() == 2 && rows.iter().all(|r| r.last_error.is_some()) {
            Ok(rows)
        } else {
            Err(rows)
        }
    })
    .await;
    let by: BTreeMap<&str, &simology_proxy::store::DeliveryRow> =
        rows.iter().map(|r| (r.destination.as_str(), r)).collect();
    assert_eq!(by["crm"].last_status, Some(302));
    assert!(by["crm"]
        .last_error
        .as_deref()
        .unwrap_or_default()
        .contains("not followed"));
    assert_eq!(by["support"].last_status, None);
    assert!(
        by["support"]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("timed out"),
        "{:?}",
        by["support"]
    );
    assert!(rows
        .iter()
        .all(|r| r.state() == "pending" && r.attempts == 1));
    assert!(
        !receiver.hooks().iter().any(|h| h.endpoint == "elsewhere"),
        "the redirect's target was not asked"
    );
    app.stop().await;
    let _ = std::fs::remove_dir_all(&files);
}

/// Two replicas on one PostgreSQL database, both delivering: with an endpoint that
/// always answers, every event arrives exactly once (one chain of attempts), and never
/// two attempts of one event at once.
#[tokio::test]
#[ignore = "needs PostgreSQL: set PROXY_TEST_DATABASE_URL (cargo xtask test does)"]
async fn replicas_make_one_chain_of_attempts_per_event() {
    assert!(on_postgres(), "this test runs against PostgreSQL only");
    let receiver = Receiver::start().await;
    let (app, files) = spawn_told(&receiver, &[("crm", CRM_SECRET, "[\"*\"]")], quick).await;
    let second = serve_tuned(&app.env, quick).await;
    let mut refs = Vec::new();
    for i in 0..12 {
        let base = if i % 2 == 0 { &app.url } else { &second.url };
        let (order_ref, payment_url) = checkout_at(&app.http, base, "US-1GB-7D").await;
        app.pay(&payment_url, CARD_SUCCESS).await;
        refs.push(order_ref);
    }
    for r in &refs {
        app.wait_for_state(r, "ready").await;
    }
    let hooks = receiver
        .wait_for_hooks("24 events", |h| {
            h.iter().map(|x| &x.id).collect::<BTreeSet<_>>().len() == 24
        })
        .await;
    assert_eq!(hooks.len(), 24, "each event once: {hooks:?}");
    assert_eq!(receiver.overlaps(), 0);
    let _ = second.stop.send(());
    let _ = second.task.await;
    app.stop().await;
    let _ = std::fs::remove_dir_all(&files);
}

/// A proxy process with an endpoints file: SIGHUP adds an endpoint and a broken file
/// keeps the last good one; `kill -9` while deliveries wait loses none of them, and
/// the restarted process delivers them with the ids they had.
#[tokio::test]
async fn the_outbox_survives_kill_9_and_sighup_rereads_the_endpoints_file() {
    use crate::affiliate_reload::Proxy;
    let receiver = Receiver::start().await;
    receiver.behave("crm", Behaviour::Always(503));
    let sandbox = simology_sandbox::spawn(fast_sandbox())
        .await
        .expect("sandbox");
    let dir = temp_dir("outbox-process");
    let file = dir.join("webhooks.toml");
    std::fs::write(
        &file,
        endpoints_file(&receiver.url, &[("crm", CRM_SECRET, "[\"*\"]")]),
    )
    .expect("write");
    let db = database_url(&dir).await;
    let env = proxy_env(
        sandbox.url(),
        &db,
        &[("PROXY_WEBHOOKS", file.to_str().expect("utf-8"))],
    );
    let proxy = Proxy::start(&env);
    let point = |url: &str| {
        sandbox.set_webhook_url(Some(
            format!("{url}/webhooks/simology").parse().expect("url"),
        ));
    };
    point(&proxy.url);
    let http = http_client();
    let (order_ref, payment_url) = checkout_at(&http, &proxy.url, "US-1GB-7D").await;
    pay(&http, &payment_url, CARD_SUCCESS).await;
    wait_for_state_at(&http, &proxy.url, &order_ref, "ready").await;
    let refused = receiver
        .wait_for_hooks("order.paid and order.ready refused once", |h| {
            types_of(h, "crm") == BTreeSet::from(["order.paid", "order.ready"])
        })
        .await;
    let ids: BTreeSet<String> = refused.iter().map(|h| h.id.clone()).collect();
    let store = simology_proxy::store::Store::connect(&db)
        .await
        .expect("store");
    eventually("both refusals recorded", async || {
        let rows = store.deliveries(None, None, 10).await.expect("rows");
        if rows.len() == 2 && rows.iter().all(|r| r.last_status == Some(503)) {
            Ok(())
        } else {
            Err(rows)
        }
    })
    .await;

    // SIGKILL while both wait for their second attempt (10 s later); the receiver
    // recovers meanwhile.
    drop(proxy);
    receiver.behave("crm", Behaviour::Accept);
    let mut proxy = Proxy::start(&env);
    point(&proxy.url);
    receiver
        .wait_for_hooks("both delivered after the restart, with their ids", |h| {
            ids.iter()
                .all(|id| h.iter().filter(|x| &x.id == id).count() >= 2)
        })
        .await;

    // SIGHUP: a second endpoint takes the next sale's events.
    std::fs::write(
        &file,
        endpoints_file(
            &receiver.url,
            &[
                ("crm", CRM_SECRET, "[\"*\"]"),
                ("support", SUPPORT_SECRET, "[\"order.ready\"]"),
            ],
        ),
    )
    .expect("write");
    proxy.hang_up();
    proxy.wait_for_log("endpoints file read again").await;
    let (second, payment_url) = checkout_at(&http, &proxy.url, "US-1GB-7D").await;
    pay(&http, &payment_url, CARD_SUCCESS).await;
    wait_for_state_at(&http, &proxy.url, &second, "ready").await;
    receiver
        .wait_for_hooks("order.ready at support", |h| {
            types_of(h, "support").contains("order.ready")
        })
        .await;

    // A broken file changes nothing: both endpoints still take the third sale.
    std::fs::write(&file, "[[endpoint]]\nid = \"half-written\"\n").expect("write");
    proxy.hang_up();
    let line = proxy.wait_for_log("endpoints file refused").await;
    assert!(line.contains("missing field"), "says why: {line}");
    let before = receiver.hooks().len();
    let (third, payment_url) = checkout_at(&http, &proxy.url, "US-1GB-7D").await;
    pay(&http, &payment_url, CARD_SUCCESS).await;
    wait_for_state_at(&http, &proxy.url, &third, "ready").await;
    receiver
        .wait_for_hooks("the third sale at both", |h| {
            let new = &h[before.min(h.len())..];
            new.iter().any(|x| x.endpoint == "support")
                && new.iter().filter(|x| x.endpoint == "crm").count() >= 2
        })
        .await;
    assert!(receiver.hooks().iter().all(|h| h.verified));
    drop(proxy);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_click_id_goes_only_with_an_attribution_the_proxy_signed() {
    let receiver = Receiver::start().await;
    let (app, _files) = spawn_told(&receiver, &[("crm", CRM_SECRET, "[\"*\"]")], |_| {}).await;
    // A click id beside an attribution this proxy did not sign (another key's MAC), and
    // one beside none: each sale goes through, credited to nobody, and no network hears
    // of it.
    let forged = "a1:wander-notes:sidebar:20000:0123456789abcdef0123456789abcdef";
    let mut refs = Vec::new();
    for (attribution, click_id) in [(Some(forged), "IR_forged"), (None, "IR_unsigned")] {
        let mut body = checkout_body("US-1GB-7D");
        body["click_id"] = click_id.into();
        if let Some(a) = attribution {
            body["attribution"] = a.into();
        }
        let r = checkout_from(&app.url, Some(WANDER), &body).await;
        assert_eq!(r.status(), 200, "{click_id}");
        let answer: Value = r.json().await.expect("json");
        app.pay(answer["payment_url"].as_str().expect("url"), CARD_SUCCESS)
            .await;
        let order_ref = answer["order_ref"].as_str().expect("ref").to_owned();
        app.wait_for_state(&order_ref, "ready").await;
        refs.push(order_ref);
    }
    let hooks = receiver
        .wait_for_hooks("both orders ready at the CRM", |h| {
            h.iter().filter(|h| h.event_type() == "order.ready").count() >= 2
        })
        .await;
    assert!(
        hooks
            .iter()
            .all(|h| h.event_type() != "affiliate.conversion"
                && h.body["data"]["affiliate"].is_null()),
        "{hooks:?}"
    );
    let stored = everything_stored(&database(&app).await).await;
    let holders: Vec<&(String, String, String)> = stored
        .iter()
        .filter(|(_, _, v)| v.contains("IR_forged") || v.contains("IR_unsigned"))
        .collect();
    assert!(holders.is_empty(), "kept: {holders:?}");
    assert!(
        receiver.postbacks().is_empty(),
        "{:?}",
        receiver.postbacks()
    );
}

/// A backlog larger than a destination's cap of held deliveries goes out as fast as
/// the endpoint takes it: each pass that records attempts also claims, so the next
/// deliveries do not wait for the next `poll` (here an hour: before, the dispatcher
/// stopped at one cap's worth and sent the rest only at the next poll).
#[tokio::test]
async fn a_backlog_goes_out_without_waiting_for_the_poll() {
    let receiver = Receiver::start().await;
    let (app, files) = spawn_told(&receiver, &[("crm", CRM_SECRET, "[\"*\"]")], |s| {
        quick(s);
        s.delivery.poll = Duration::from_secs(3600);
    })
    .await;
    let store = &app.state.store;
    // The endpoint held off while the backlog builds up.
    assert!(store
        .disable_destination("crm", "a backlog builds up")
        .await
        .expect("disable"));
    let orders = 30;
    for _ in 0..orders {
        let (order_ref, payment_url) = checkout_at(&app.http, &app.url, "US-1GB-7D").await;
        app.pay(&payment_url, CARD_SUCCESS).await;
        app.wait_for_state(&order_ref, "ready").await;
    }
    let waiting = store
        .deliveries(Some("crm"), None, i64::MAX)
        .await
        .expect("deliveries")
        .len();
    assert!(
        waiting >= 2 * orders && waiting > dispatcher::HELD_PER_DESTINATION as usize,
        "a backlog larger than the cap: {waiting}"
    );
    assert!(receiver.hooks().is_empty(), "nothing sent while disabled");
    assert!(store.enable_destination("crm").await.expect("enable"));
    store.wake_outbox();
    let hooks = receiver
        .wait_for_hooks(&format!("{waiting} events"), |h| {
            h.iter().map(|x| &x.id).collect::<BTreeSet<_>>().len() == waiting
        })
        .await;
    assert!(hooks.iter().all(|h| h.verified));
    app.stop().await;
    let _ = std::fs::remove_dir_all(&files);
}
