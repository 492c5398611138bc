//! Affiliates: attribution of checkouts (stored, sent upstream; only the proxy's own
//! signature credits anyone), the funnel's beacons (counted, refused, rate-limited, and
//! nothing about the reader stored anywhere), and the helpers the report and reload
//! tests share.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Digest as _;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::helpers::*;

/// Wander Notes' site.
pub const WANDER: &str = "http://wander.test";
/// The other blog's site.
pub const OTHER: &str = "http://other.test:8080";
/// Wander Notes' report token (in clear in the file).
pub const WANDER_TOKEN: &str = "wander-notes-report-token-0123456789";
/// The other blog's report token (the file holds its SHA-256).
pub const OTHER_TOKEN: &str = "other-blog-report-token-0123456789ab";

/// An affiliates file: Wander Notes (12 %), and with `other` the other blog (1.25 %).
pub fn affiliates_file(other: bool) -> String {
    let mut text = format!(
        "[[affiliate]]\nid = \"wander-notes\"\nname = \"Wander Notes\"\norigins = [\"{WANDER}\"]\n\
         commission_bps = 1200\ntoken = \"{WANDER_TOKEN}\"\n"
    );
    if other {
        let digest = hex::encode(sha2::Sha256::digest(OTHER_TOKEN.as_bytes()));
        text.push_str(&format!(
            "[[affiliate]]\nid = \"other-blog\"\nname = \"Other Blog\"\norigins = [\"{OTHER}\"]\n\
             commission_bps = 125\ntoken_sha256 = \"{digest}\"\n"
        ));
    }
    text
}

/// A proxy with an affiliates file (in `files`, which the caller removes).
pub async fn spawn_with_affiliates(
    text: &str,
    extra: &[(&str, &str)],
) -> (TestApp, std::path::PathBuf) {
    let files = temp_dir("affiliates");
    let path = files.join("affiliates.toml");
    std::fs::write(&path, text).expect("affiliates file");
    let path_text = path.to_str().expect("utf-8").to_owned();
    let mut env = vec![("PROXY_AFFILIATES", path_text.as_str())];
    env.extend_from_slice(extra);
    (spawn_app_with(fast_sandbox(), &env).await, files)
}

/// A checkout body for a page of `site`, from a frame the proxy served for `affiliate`
/// at `placement` (its signed attribution).
pub fn affiliate_checkout(sku: &str, site: &str, affiliate: &str, placement: &str) -> Value {
    let mut body = checkout_body(sku);
    body["return_url"] = format!("{site}/japan/tokyo?ref=newsletter").into();
    body["attribution"] = attribution_for(affiliate, Some(placement)).into();
    body["page_path"] = "/japan/tokyo/?utm_source=x#top".into();
    body
}

/// A beacon's body, from a frame the proxy served for `affiliate` at `placement`.
pub fn beacon_body(affiliate: &str, placement: Option<&str>, rest: Value) -> String {
    let mut body = rest;
    body["attribution"] = attribution_for(affiliate, placement).into();
    body.to_string()
}

/// `POST /api/checkout` with an `Origin` (or none).
pub async fn checkout_from(base: &str, origin: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = http_client()
        .post(format!("{base}/api/checkout"))
        .json(body);
    if let Some(o) = origin {
        request = request.header("origin", o);
    }
    request.send().await.expect("answer")
}

/// `POST /api/beacons` as `navigator.sendBeacon` sends a string: `text/plain`.
pub async fn beacon(base: &str, origin: Option<&str>, body: &str) -> reqwest::Response {
    beacon_as(base, origin, "text/plain;charset=UTF-8", body).await
}

/// `POST /api/beacons` with a content type.
pub async fn beacon_as(
    base: &str,
    origin: Option<&str>,
    content_type: &str,
    body: &str,
) -> reqwest::Response {
    let mut request = http_client()
        .post(format!("{base}/api/beacons"))
        .header("content-type", content_type)
        .body(body.to_owned());
    if let Some(o) = origin {
        request = request.header("origin", o);
    }
    request.send().await.expect("answer")
}

/// The proxy's database, for reading what it stored.
pub async fn database(app: &TestApp) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPool::connect(&app.state.settings.database_url)
        .await
        .expect("database")
}

/// How many rows a table of the proxy's database holds.
async fn rows(app: &TestApp, table: &str) -> i64 {
    sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(&database(app).await)
        .await
        .expect("count")
        .try_get("n")
        .expect("n")
}

async fn error_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (
        status,
        r.json::<Value>().await.unwrap_or(Value::Null)["error"].clone(),
    )
}

#[tokio::test]
async fn attribution_is_stored_with_the_order_and_sent_upstream() {
    let (app, files) = spawn_with_affiliates(&affiliates_file(false), &[]).await;
    let body = affiliate_checkout("US-1GB-7D", WANDER, "wander-notes", "japan-post-sidebar");
    let r = checkout_from(&app.url, Some(WANDER), &body).await;
    assert_eq!(r.status(), 200);
    let order_ref = r.json::<Value>().await.expect("json")["order_ref"]
        .as_str()
        .expect("ref")
        .to_owned();
    // The same purchase again (a retry) is the same order; with another placement it
    // is another purchase.
    let again = checkout_from(&app.url, Some(WANDER), &body).await;
    assert_eq!(
        again.json::<Value>().await.expect("json")["order_ref"],
        order_ref.as_str()
    );
    let mut moved = body.clone();
    moved["attribution"] = attribution_for("wander-notes", Some("footer")).into();
    assert_eq!(
        checkout_from(&app.url, Some(WANDER), &moved).await.status(),
        409
    );
    // A checkout naming no affiliate is not attributed.
    let (plain_ref, _) = app.checkout("US-1GB-7D").await;

    let db = database(&app).await;
    let stored = |r: String| {
        let db = db.clone();
        async move {
            let row = sqlx::query(
                "SELECT affiliate, placement, page_path, destination FROM orders WHERE order_ref = $1",
            )
            .bind(r)
            .fetch_one(&db)
            .await
            .expect("order");
            (0..4)
                .map(|i| row.try_get::<Option<String>, _>(i).expect("text"))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        stored(order_ref.clone()).await,
        [
            Some("wander-notes".to_owned()),
            Some("japan-post-sidebar".to_owned()),
            Some("/japan/tokyo".to_owned()),
            Some("US".to_owned()),
        ],
        "as signed, the page a path only"
    );
    assert_eq!(stored(plain_ref.clone()).await, [None, None, None, None]);

    let sessions = upstream_sessions(app.sandbox.url()).await;
    let metadata_of = |r: &str| {
        sessions
            .iter()
            .find(|s| s["metadata"]["order_ref"] == r)
            .map(|s| s["metadata"].clone())
            .expect("its session")
    };
    let attributed = metadata_of(&order_ref);
    assert_eq!(attributed["affiliate"], "wander-notes");
    assert_eq!(attributed["placement"], "japan-post-sidebar");
    assert_eq!(attributed["page_path"], "/japan/tokyo");
    let plain = metadata_of(&plain_ref);
    for key in ["affiliate", "placement", "page_path"] {
        assert!(plain.get(key).is_none(), "{key}: {plain}");
    }
    assert_eq!(
        metric::<u64>(
            &app.http,
            &app.url,
            "simology_affiliate_checkouts_total{affiliate=\"wander-notes\"}"
        )
        .await,
        1,
        "one session created for the affiliate (the retry reused it)"
    );
    app.stop().await;
    let _ = std::fs::remove_dir_all(&files);
}

#[tokio::test]
async fn only_the_proxys_own_signature_credits_a_sale() {
    let (app, files) = spawn_with_affiliates(&affiliates_file(true), &[]).await;
    let wander = |sku: &str| affiliate_checkout(sku, WANDER, "wander-notes", "sidebar");
    let token = attribution_for("wander-notes", Some("sidebar"));
    let mut forged_placement = wander("US-1GB-7D");
    forged_placement["attribution"] = token.replace(":sidebar:", ":header:").into();
    let mut named = wander("US-1GB-7D");
    named["attribution"] = Value::Null;
    named["affiliate"] = "wander-notes".into();
    let mut unknown = wander("US-1GB-7D");
    unknown["attribution"] = attribution_for("nobody", None).into();
    let mut stale = wander("US-1GB-7D");
    let today = simology_proxy::affiliates::unix_day(simology_proxy::clock::now_ms());
    stale["attribution"] = simology_proxy::affiliates::Signed {
        affiliate: "wander-notes".into(),
        placement: None,
    }
    .token(today - simology_proxy::affiliates::SIGNED_FOR_DAYS - 1)
    .into();
    // A claim in the body credits nobody, and costs the traveller nothing: the sale
    // goes through, unattributed.
    for body in [forged_placement, named, unknown, stale] {
        let r = checkout_from(&app.url, Some(WANDER), &body).await;
        assert_eq!(r.status(), 200, "{body}");
        let order_ref = r.json::<Value>().await.expect("json")["order_ref"]
            .as_str()
            .expect("ref")
            .to_owned();
        let affiliate: Option<String> =
            sqlx::query("SELECT affiliate FROM orders WHERE order_ref = $1")
                .bind(order_ref)
                .fetch_one(&database(&app).await)
                .await
                .expect("order")
                .try_get(0)
                .expect("affiliate");
        assert_eq!(affiliate, None, "{body}");
    }
    assert_eq!(
        metric::<u64>(
            &app.http,
            &app.url,
            "simology_affiliate_checkouts_total{affiliate=\"wander-notes\"}"
        )
        .await,
        0
    );
    // A page path that is no path is left out; the signed attribution stays.
    let mut bad_page = wander("US-1GB-7D");
    bad_page["page_path"] = "https://wander.test/japan".into();
    assert_eq!(
        checkout_from(&app.url, Some(WANDER), &bad_page)
            .await
            .status(),
        200
    );
    // Purchases from pages no one lists are refused outright; the widget's frame, on
    // the proxy's own origin, is not one of them.
    for (origin, allowed) in [
        (Some("http://evil.test"), false),
        (Some(OTHER), true),
        (Some(WANDER), true),
        (None, true),
    ] {
        let r = checkout_from(&app.url, origin, &wander("US-1GB-7D")).await;
        assert_eq!(r.status() == 200, allowed, "{origin:?}");
    }
    let own = http_client()
        .post(format!("{}/api/checkout", app.url))
        .header("origin", &app.url)
        .json(&wander("US-1GB-7D"))
        .send()
        .await
        .expect("answer");
    assert_eq!(own.status(), 200, "the frame's own origin");
    let claimed = http_client()
        .post(format!("{}/api/checkout", app.url))
        .header("origin", "http://evil.test")
        .header("sec-fetch-site", "cross-site")
        .json(&wander("US-1GB-7D"))
        .send()
        .await
        .expect("answer");
    assert_eq!(claimed.status(), 403);
    for (origin, allowed) in [
        (WANDER, true),
        (OTHER, true),
        (ORIGIN, true),
        ("http://evil.test", false),
    ] {
        let echoed = preflight(&app.url, "/api/checkout", origin).await;
        assert_eq!(echoed.as_deref() == Some(origin), allowed, "{origin}");
    }
    app.stop().await;
    let _ = std::fs::remove_dir_all(&files);
}

/// Every value of every column of every table, as text.
pub async fn everything_stored(db: &AnyPool) -> Vec<(String, String, String)> {
    let tables: Vec<String> = if on_postgres() {
        sqlx::query("SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public'")
    } else {
        sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    .fetch_all(db)
    .await
    .expect("tables")
    .iter()
    .map(|r| r.try_get::<String, _>("name").expect("name"))
    .collect();
    assert!(tables.iter().any(|t| t == "funnel_counts"), "{tables:?}");
    let mut values = Vec::new();
    // sqlx's own bookkeeping (the migrations' text) is not the proxy's data.
    for table in tables.into_iter().filter(|t| !t.starts_with("_sqlx")) {
        let rows: Vec<AnyRow> = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(db)
            .await
            .expect("rows");
        for row in &rows {
            for (i, column) in row.columns().iter().enumerate() {
                use sqlx::Column;
                let text = row
                    .try_get::<Option<String>, _>(i)
                    .map(Option::unwrap_or_default)
                    .or_else(|_| {
                        row.try_get::<Option<i64>, _>(i)
                            .map(|v| v.map(|n| n.to_string()).unwrap_or_default())
                    })
                    .or_else(|_| {
                        row.try_get::<Option<f64>, _>(i)
                            .map(|v| v.map(|n| n.to_string()).unwrap_or_default())
                    })
                    .or_else(|_| {
                        row.try_get::<Option<bool>, _>(i)
                            .map(|v| v.map(|b| b.to_string()).unwrap_or_default())
                    })
                    .or_else(|_| {
                        row.try_get::<Option<Vec<u8>>, _>(i)
                            .map(|v| String::from_utf8_lossy(&v.unwrap_or_default()).into_owned())
                    })
                    .unwrap_or_else(|e| panic!("{table}.{}: {e}", column.name()));
                values.push((table.clone(), column.name().to_owned(), text));
            }
        }
    }
    values
}

#[tokio::test]
async fn beacons_are_counted_and_nothing_about_the_reader_is_stored() {
    let (app, files) = spawn_with_affiliates(&affiliates_file(true), &[]).await;
    let reader = |body: Value| {
        let url = app.url.clone();
        async move {
            http_client()
                .post(format!("{url}/api/beacons"))
                .header("origin", WANDER)
                .header("content-type", "text/plain;charset=UTF-8")
                .header("user-agent", "Mozilla/5.0 (Reader-UA-7f3e)")
                .header("cookie", "reader=cookie-9d1c")
                .header("x-forwarded-for", "203.0.113.77")
                .header(
                    "referer",
                    "http://wander.test/japan/tokyo?email=reader@example.com",
                )
                .body(body.to_string())
                .send()
                .await
                .expect("answer")
        }
    };
    let side = |event: &str, destination: Option<&str>| {
        let mut b = json!({"attribution": attribution_for("wander-notes", Some("sidebar")), "event": event,
            "page_path": "/japan/tokyo?email=reader@example.com"});
        if let Some(d) = destination {
            b["destination"] = d.into();
        }
        b
    };
    for body in [
        side("shown", Some("jp")),
        side("shown", Some("JP")),
        side("destination_chosen", Some("JP")),
        side("plan_chosen", Some("JP")),
        side("checkout_started", Some("JP")),
        json!({"attribution": attribution_for("wander-notes", None), "event": "shown"}),
        json!({"attribution": attribution_for("wander-notes", None), "event": "destination_chosen", "destination": "Western-Europe", "page_path": ""}),
    ] {
        let r = reader(body.clone()).await;
        assert_eq!(r.status(), 204, "{body}");
    }
    // JSON is read too.
    let r = beacon_as(
        &app.url,
        Some(OTHER),
        "application/json",
        &beacon_body("other-blog", None, json!({"event": "shown"})),
    )
    .await;
    assert_eq!(r.status(), 204);

    app.flush_beacons().await;
    let db = database(&app).await;
    let rows = sqlx::query(
        "SELECT day, affiliate, placement, page_path, destination, event, count FROM funnel_counts \
         ORDER BY affiliate, placement, destination, event",
    )
    .fetch_all(&db)
    .await
    .expect("counts");
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let counted: Vec<(String, String, String, String, String, i64)> = rows
        .iter()
        .map(|r| {
            let day: String = r.try_get("day").expect("day");
            // The day is the only time kept; the test may cross midnight UTC.
            assert!(day <= today, "{day}");
            (
                r.try_get("affiliate").expect("affiliate"),
                r.try_get("placement").expect("placement"),
                r.try_get("page_path").expect("page_path"),
                r.try_get("destination").expect("destination"),
                r.try_get("event").expect("event"),
                r.try_get("count").expect("count"),
            )
        })
        .collect();
    let row = |a: &str, p: &str, page: &str, d: &str, e: &str, n: i64| {
        (
            a.to_owned(),
            p.to_owned(),
            page.to_owned(),
            d.to_owned(),
            e.to_owned(),
            n,
        )
    };
    assert_eq!(
        counted,
        [
            row("other-blog", "", "", "", "shown", 1),
            row("wander-notes", "", "", "", "shown", 1),
            row(
                "wander-notes",
                "",
                "",
                "western-europe",
                "destination_chosen",
                1
            ),
            row(
                "wander-notes",
                "sidebar",
                "/japan/tokyo",
                "JP",
                "checkout_started",
                1
            ),
            row(
                "wander-notes",
                "sidebar",
                "/japan/tokyo",
                "JP",
                "destination_chosen",
                1
            ),
            row(
                "wander-notes",
                "sidebar",
                "/japan/tokyo",
                "JP",
                "plan_chosen",
                1
            ),
            row("wander-notes", "sidebar", "/japan/tokyo", "JP", "shown", 2),
        ],
        "a count per day and key, and nothing else"
    );
    let stored = everything_stored(&db).await;
    let columns: Vec<&str> = stored
        .iter()
        .filter(|(t, _, _)| t == "funnel_counts")
        .map(|(_, c, _)| c.as_str())
        .take(7)
        .collect();
    assert_eq!(
        columns,
        [
            "day",
            "affiliate",
            "placement",
            "page_path",
            "destination",
            "event",
            "count"
        ]
    );
    for marker in [
        "Reader-UA",
        "cookie-9d1c",
        "203.0.113.77",
        "127.0.0.1",
        "reader@example.com",
        "email=",
    ] {
        let found: Vec<_> = stored
            .iter()
            .filter(|(_, _, v)| v.contains(marker))
            .collect();
        assert!(found.is_empty(), "{marker} is stored: {found:?}");
    }
    assert_eq!(
        metric::<u64>(
            &app.http,
            &app.url,
            "simology_affiliate_beacons_total{affiliate=\"wander-notes\",event=\"shown\"}"
        )
        .await,
        3
    );
    app.stop().await;
    let _ = std::fs::remove_dir_all(&files);
}

#[tokio::test]
async fn bad_beacons_are_refused_and_count_nothing() {
    let (app, files) = spawn_with_affiliates(&affiliates_file(true), &[]).await;
    let good = beacon_body("wander-notes", None, json!({"event": "shown"}));
    let with = |rest: Value| beacon_body("wander-notes", None, rest);
    let oversized = with(json!({"event": "shown", "padding": "x".repeat(1100)}));
    let forged = good.replace("wander-notes", "other-blog");
    let named = r#"{"affiliate":"wander-notes","event":"shown"}"#.to_owned();
    let unknown = beacon_body("nobody", None, json!({"event": "shown"}));
    let cases = [
        // An attribution the proxy did not sign, whatever page it comes from.
        (
            Some(WANDER),
            "text/plain",
            forged.clone(),
            400,
            "invalid_request",
            Some("affiliate"),
        ),
        (
            Some(OTHER),
            "text/plain",
            forged,
            400,
            "invalid_request",
            Some("affiliate"),
        ),
        (
            Some(WANDER),
            "text/plain",
            named,
            400,
            "invalid_request",
            None,
        ),
        (
            Some(WANDER),
            "text/plain",
            unknown,
            400,
            "invalid_request",
            Some("affiliate"),
        ),
        (
            Some(WANDER),
            "text/plain",
            oversized,
            413,
            "payload_too_large",
            None,
        ),
        (
            Some(WANDER),
            "text/plain",
            "{not json".to_owned(),
            400,
            "invalid_request",
            None,
        ),
        (
            Some(WANDER),
            "text/plain",
            with(json!({"event": "clicked"})),
            400,
            "invalid_request",
            None,
        ),
        (
            Some(WANDER),
            "application/x-www-form-urlencoded",
            good.clone(),
            400,
            "invalid_request",
            None,
        ),
        (
            Some(WANDER),
            "text/plain",
            with(json!({"event": "shown", "destination": "ZZ"})),
            400,
            "invalid_request",
            Some("destination"),
        ),
        (
            Some(WANDER),
            "text/plain",
            with(json!({"event": "shown", "page_path": "/a/../b"})),
            400,
            "invalid_request",
            Some("page_path"),
        ),
    ];
    for (origin, content_type, body, status, code, field) in cases {
        let (got, error) = error_of(beacon_as(&app.url, origin, content_type, &body).await).await;
        assert_eq!(
            (got, error["code"].as_str()),
            (status, Some(code)),
            "{origin:?} {content_type} {body:.80}"
        );
        assert_eq!(error["field"].as_str(), field, "{error}");
    }
    app.flush_beacons().await;
    assert_eq!(rows(&app, "funnel_counts").await, 0, "nothing counted");
    app.stop().await;
    let _ = std::fs::remove_dir_all(&files);
}

#[tokio::test]
async fn beacons_are_rate_limited_per_client() {
    // One a minute, in bursts of three.
    let (app, files) = spawn_with_affiliates(
        &affiliates_file(false),
        &[("PROXY_BEACONS_PER_MINUTE", "1")],
    )
    .await;
    let good = beacon_body("wander-notes", None, json!({"event": "shown"}));
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = beacon(&app.url, Some(WANDER), &good).await;
        statuses.push(r.status());
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.headers().contains_key("retry-after"));
            assert_eq!(
                r.json::<Value>().await.expect("json")["error"]["code"],
                "rate_limited"
            );
        }
    }
    assert_eq!(
        statuses,
        [204, 204, 204, 429, 429].map(|s| StatusCode::from_u16(s).expect("status"))
    );
    // The other budgets are apart: a checkout still goes through.
    assert_eq!(
        app.post_checkout(&checkout_body("US-1GB-7D"))
            .await
            .status(),
        200
    );
    app.flush_beacons().await;
    let db = database(&app).await;
    let n: i64 = sqlx::query("SELECT count FROM funnel_counts")
        .fetch_one(&db)
        .await
        .expect("count")
        .try_get("count")
        .expect("count");
    assert_eq!(n, 3);
    app.stop().await;
    let _ = std::fs::remove_dir_all(&files);
}
