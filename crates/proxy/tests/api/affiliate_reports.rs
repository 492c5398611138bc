//! Affiliate reports: over real purchases (two currencies, a refund) they match sums
//! done by hand, the same from the affiliate's route, the admin route and the CLI; and
//! an affiliate's token reads its own report only.

use std::process::Command;

use serde_json::{json, Value};
use simology_sandbox::CARD_SUCCESS;

use crate::affiliates::*;
use crate::helpers::*;

/// Checks out from `site` for `affiliate`, and pays when `paid`; returns the order.
async fn buy(
    app: &TestApp,
    site: &str,
    affiliate: &str,
    placement: &str,
    sku: &str,
    quantity: u32,
    paid: bool,
) -> String {
    let mut body = affiliate_checkout(sku, site, affiliate, placement);
    body["quantity"] = quantity.into();
    let r = checkout_from(&app.url, Some(site), &body).await;
    assert_eq!(r.status(), 200, "{sku}");
    let answer: Value = r.json().await.expect("json");
    if paid {
        app.pay(answer["payment_url"].as_str().expect("url"), CARD_SUCCESS)
            .await;
    }
    answer["order_ref"].as_str().expect("ref").to_owned()
}

async fn get_report(app: &TestApp, path: &str, token: Option<&str>) -> (u16, Value) {
    // Each request as from a client of its own (believed where the test's proxy trusts
    // one load balancer): failed tokens are throttled per client.
    let client = format!(
        "10.{}.{}.{}",
        rand::random::<u8>(),
        rand::random::<u8>(),
        1 + rand::random::<u8>() % 250
    );
    get_report_from(app, path, token, &client).await
}

/// [`get_report`] from one client, as a load balancer names it in `X-Forwarded-For`.
async fn get_report_from(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    client: &str,
) -> (u16, Value) {
    let mut request = app
        .http
        .get(format!("{}{path}", app.url))
        .header("x-forwarded-for", client);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let r = request.send().await.expect("answer");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Yesterday and tomorrow (UTC): the period holds today's orders even across midnight.
fn period() -> (String, String) {
    let today = time::OffsetDateTime::now_utc().date();
    let day = |d: Option<time::Date>| d.expect("a day").to_string();
    (day(today.previous_day()), day(today.next_day()))
}

#[tokio::test]
async fn a_report_over_seeded_orders_matches_the_sums_done_by_hand() {
    let (app, files) = spawn_with_affiliates(&affiliates_file(true), &[]).await;
    // The catalogue's prices the sums below use.
    for (country, sku, price) in [
        (
            "US",
            "US-1GB-7D",
            json!({"minor": 499, "currency": "USD", "decimals": 2}),
        ),
        (
            "US",
            "US-5GB-30D",
            json!({"minor": 1499, "currency": "USD", "decimals": 2}),
        ),
        (
            "FR",
            "FR-5GB-30D",
            json!({"minor": 1199, "currency": "EUR", "decimals": 2}),
        ),
        (
            "JP",
            "JP-1GB-7D",
            json!({"minor": 680, "currency": "JPY", "decimals": 0}),
        ),
    ] {
        let (_, catalog) = app
            .get_json(&format!("/api/catalog?country={country}"))
            .await;
        let plan = catalog["plans"]
            .as_array()
            .expect("plans")
            .iter()
            .find(|p| p["sku"] == sku)
            .expect("plan");
        assert_eq!(plan["price"], price, "{sku}");
    }
    // Wander Notes: 2 × 4.99 USD and 14.99 USD (refunded) from the sidebar, 11.99 EUR
    // from the footer, and a footer checkout never paid. The other blog: 680 JPY.
    let two_small = buy(
        &app,
        WANDER,
        "wander-notes",
        "sidebar",
        "US-1GB-7D",
        2,
        true,
    )
    .await;
    let refunded = buy(
        &app,
        WANDER,
        "wander-notes",
        "sidebar",
        "US-5GB-30D",
        1,
        true,
    )
    .await;
    let euro = buy(
        &app,
        WANDER,
        "wander-notes",
        "footer",
        "FR-5GB-30D",
        1,
        true,
    )
    .await;
    let _unpaid = buy(
        &app,
        WANDER,
        "wander-notes",
        "footer",
        "FR-1GB-7D",
        1,
        false,
    )
    .await;
    let yen = buy(&app, OTHER, "other-blog", "top", "JP-1GB-7D", 1, true).await;
    for order_ref in [&two_small, &refunded, &euro, &yen] {
        app.wait_for_state(order_ref, "ready").await;
    }
    let r = app
        .http
        .post(format!("{}/admin/orders/{refunded}/refund", app.url))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("refund");
    assert_eq!(r.status(), 202);
    app.wait_for_state(&refunded, "refunded").await;
    for (site, body, times) in [
        (
            WANDER,
            beacon_body(
                "wander-notes",
                Some("sidebar"),
                json!({"event": "shown", "destination": "JP"}),
            ),
            3,
        ),
        (
            WANDER,
            beacon_body("wander-notes", Some("footer"), json!({"event": "shown"})),
            1,
        ),
        (
            OTHER,
            beacon_body("other-blog", Some("top"), json!({"event": "shown"})),
            2,
        ),
    ] {
        for _ in 0..times {
            assert_eq!(beacon(&app.url, Some(site), &body).await.status(), 204);
        }
    }

    let (since, until) = period();
    let (status, mine) = get_report(
        &app,
        &format!("/api/affiliates/wander-notes/report?since={since}&until={until}&by=placement"),
        Some(WANDER_TOKEN),
    )
    .await;
    assert_eq!(status, 200, "{mine}");
    let funnel = |shown: u64, paid: u64, ready: u64, refunded: u64| {
        json!({"shown": shown, "destination_chosen": 0, "plan_chosen": 0, "checkout_started": 0,
               "paid": paid, "ready": ready, "refunded": refunded})
    };
    let conversion = |overall: u32| {
        json!({"destination_chosen_bps": 0, "plan_chosen_bps": null, "checkout_started_bps": null,
               "paid_bps": null, "ready_bps": 10000, "overall_bps": overall})
    };
    let usd = json!({"currency": "USD", "decimals": 2, "gross_minor": 998 + 1499, "refunded_minor": 1499, "net_minor": 998});
    let eur = json!({"currency": "EUR", "decimals": 2, "gross_minor": 1199, "refunded_minor": 0, "net_minor": 1199});
    assert_eq!(
        mine,
        json!({
            "since": since, "until": until, "by": "placement", "rows_total": 2, "rows_limit": 1000,
            "rows": [
                {"affiliate": "wander-notes", "key": "footer", "funnel": funnel(1, 1, 1, 0),
                 "conversion": conversion(10000), "revenue": [eur]},
                {"affiliate": "wander-notes", "key": "sidebar", "funnel": funnel(3, 2, 2, 1),
                 "conversion": conversion(6667), "revenue": [usd]},
            ],
            "affiliates": [{
                "affiliate": "wander-notes", "name": "Wander Notes", "commission_bps": 1200,
                "funnel": funnel(4, 3, 3, 1), "conversion": conversion(7500),
                "revenue": [eur, usd],
                // 11.99 × 12 % = 1.4388 → 1.44; 9.98 × 12 % = 1.1976 → 1.20.
                "commission": [
                    {"minor": 144, "currency": "EUR", "decimals": 2},
                    {"minor": 120, "currency": "USD", "decimals": 2},
                ],
            }],
        }),
        "only Wander Notes' figures, and exactly these"
    );

    // The partner's report holds both; 680 JPY × 1.25 % = 8.5 → 9.
    let (status, all) = get_report(
        &app,
        &format!("/admin/report?since={since}&until={until}"),
        Some(ADMIN_TOKEN),
    )
    .await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["by"], "affiliate");
    let other = &all["affiliates"][0];
    assert_eq!(other["affiliate"], "other-blog");
    assert_eq!(other["funnel"], funnel(2, 1, 1, 0));
    assert_eq!(
        other["revenue"],
        json!([{"currency": "JPY", "decimals": 0, "gross_minor": 680, "refunded_minor": 0, "net_minor": 680}])
    );
    assert_eq!(
        other["commission"],
        json!([{"minor": 9, "currency": "JPY", "decimals": 0}])
    );
    assert_eq!(all["affiliates"][1], mine["affiliates"][0]);
    let keys: Vec<&Value> = all["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| &r["key"])
        .collect();
    assert_eq!(keys, [&json!("other-blog"), &json!("wander-notes")]);

    // The command line prints the same report.
    let cli = |args: &[&str]| {
        let affiliates = files.join("affiliates.toml");
        let env = proxy_env(
            app.sandbox.url(),
            &app.state.settings.database_url,
            &[("PROXY_AFFILIATES", affiliates.to_str().expect("utf-8"))],
        );
        let out = Command::new(env!("CARGO_BIN_EXE_simology-proxy"))
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .arg("report")
            .args(["--since", &since, "--until", &until])
            .args(args)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let printed: Value = serde_json::from_str(&cli(&["--format", "json"])).expect("json");
    assert_eq!(printed, all);
    let csv = cli(&["--format", "csv", "--affiliate", "other-blog"]);
    assert_eq!(
        csv.lines().last(),
        Some("total,other-blog,2,0,0,0,1,1,0,0.0000,,,,1.0000,0.5000,JPY,680,0,680,125,9"),
        "{csv}"
    );
    let table = cli(&["--by", "placement"]);
    assert!(
        table
            .lines()
            .any(|l| l.trim_start().starts_with("EUR") && l.ends_with("1.44")),
        "{table}"
    );
    app.stop().await;
    let _ = std::fs::remove_dir_all(&files);
}

#[tokio::test]
async fn an_affiliates_token_reads_its_own_report_and_no_other() {
    let (app, files) =
        spawn_with_affiliates(&affiliates_file(true), &[("PROXY_TRUSTED_PROXIES", "1")]).await;
    let (since, until) = period();
    let report =
        |affiliate: &str| format!("/api/affiliates/{affiliate}/report?since={since}&until={until}");
    assert_eq!(
        get_report(&app, &report("wander-notes"), Some(WANDER_TOKEN))
            .await
            .0,
        200
    );
    // The other blog's file entry holds only its token's SHA-256.
    let (status, theirs) = get_report(&app, &report("other-blog"), Some(OTHER_TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(theirs["affiliates"][0]["affiliate"], "other-blog");

    let mut refusals = std::collections::HashSet::new();
    for (affiliate, token) in [
        ("other-blog", Some(WANDER_TOKEN)),
        ("wander-notes", Some(OTHER_TOKEN)),
        ("wander-notes", Some(ADMIN_TOKEN)),
        ("wander-notes", None),
        ("wander-notes", Some("")),
        ("nobody", Some(WANDER_TOKEN)),
    ] {
        let (status, mut body) = get_report(&app, &report(affiliate), token).await;
        assert_eq!(status, 401, "{affiliate} {token:?}");
        body["error"]["request_id"] = Value::Null;
        refusals.insert(body.to_string());
    }
    assert_eq!(refusals.len(), 1, "every refusal is the same: {refusals:?}");
    // The token is checked before anything else is read.
    let (status, _) = get_report(
        &app,
        "/api/affiliates/wander-notes/report?since=someday",
        Some(OTHER_TOKEN),
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = get_report(
        &app,
        "/api/affiliates/wander-notes/report?since=someday",
        Some(WANDER_TOKEN),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("invalid_request"))
    );
    // The partner's report is the admin's alone.
    for token in [None, Some(WANDER_TOKEN)] {
        assert_eq!(get_report(&app, "/admin/report", token).await.0, 401);
    }
    let (status, all) = get_report(&app, "/admin/report?affiliate=nobody", Some(ADMIN_TOKEN)).await;
    assert_eq!(
        (status, &all["error"]["code"]),
        (400, &json!("invalid_request"))
    );
    let (status, all) = get_report(&app, "/admin/report", Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(all["affiliates"].as_array().map(Vec::len), Some(2));
    app.stop().await;
    let _ = std::fs::remove_dir_all(&files);
}

#[tokio::test]
async fn failed_report_tokens_are_throttled_per_client() {
    let (app, files) =
        spawn_with_affiliates(&affiliates_file(true), &[("PROXY_TRUSTED_PROXIES", "1")]).await;
    let path = "/api/affiliates/wander-notes/report";
    let guesser = "198.51.100.23";
    let mut statuses = Vec::new();
    for i in 0..60 {
        // Known and unknown affiliates alike spend the client's budget.
        let path = if i % 2 == 0 {
            path
        } else {
            "/api/affiliates/nobody/report"
        };
        let token = format!("guess-{i:04}-0123456789abcdef0123456789");
        statuses.push(get_report_from(&app, path, Some(&token), guesser).await.0);
    }
    assert_eq!(
        &statuses[..4],
        [401, 401, 401, 429],
        "three failures, then throttled"
    );
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");
    // Throttled: even the right token is not compared, so a guess says nothing.
    let (status, body) = get_report_from(&app, path, Some(WANDER_TOKEN), guesser).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (429, &json!("rate_limited"))
    );
    // Another client is not throttled.
    assert_eq!(
        get_report_from(&app, path, Some(WANDER_TOKEN), "203.0.113.5")
            .await
            .0,
        200
    );
    assert_eq!(
        app.metric("simology_report_auth_failures_total").await,
        Some(4.0),
        "the failures compared (the throttled ones are not)"
    );
    app.stop().await;
    let _ = std::fs::remove_dir_all(&files);
}
