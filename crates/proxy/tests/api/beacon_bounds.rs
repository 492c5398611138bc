//! What a flood of beacons can grow (an attribution is signed for whatever placement a
//! request for the frame's document names, and that request can come from curl): destinations outside the catalogue count
//! as "other", an affiliate's day keeps at most its caps of placements and page paths
//! (the rest counted as "other"), nothing is written on a beacon's request (the counts
//! are flushed in batches), and a report is cut to its row limit and says how many rows
//! there are.

use std::time::Duration;

use serde_json::{json, Value};
use simology_proxy::services::beacons::{PAGE_PATHS_PER_DAY, PLACEMENTS_PER_DAY};
use simology_proxy_api::OTHER;
use sqlx::Row;

use crate::affiliates::*;
use crate::helpers::*;

/// Beacons `bodies` from Wander Notes' origin, `in_flight` at a time; each must be
/// counted (204).
async fn send(app: &TestApp, bodies: Vec<Value>) {
    let mut pending = Vec::new();
    for chunk in bodies.chunks(32) {
        for body in chunk {
            let url = app.url.clone();
            let body = body.to_string();
            pending.push(tokio::spawn(async move {
                beacon(&url, Some(WANDER), &body).await.status().as_u16()
            }));
        }
        for p in pending.drain(..) {
            assert_eq!(p.await.expect("sent"), 204);
        }
    }
}

/// The stored rows of today's funnel: (placement, page path, destination, event) →
/// count.
async fn stored(app: &TestApp) -> Vec<(String, String, String, String, i64)> {
    let db = database(app).await;
    sqlx::query(
        "SELECT placement, page_path, destination, event, count FROM funnel_counts \
         ORDER BY placement, page_path, destination, event",
    )
    .fetch_all(&db)
    .await
    .expect("rows")
    .iter()
    .map(|r| {
        (
            r.try_get("placement").expect("placement"),
            r.try_get("page_path").expect("page_path"),
            r.try_get("destination").expect("destination"),
            r.try_get("event").expect("event"),
            r.try_get("count").expect("count"),
        )
    })
    .collect()
}

#[tokio::test]
async fn forged_beacons_cannot_grow_the_funnel_without_bound() {
    let files = temp_dir("affiliates");
    let path = files.join("affiliates.toml");
    std::fs::write(&path, affiliates_file(false)).expect("affiliates file");
    let path_text = path.to_str().expect("utf-8").to_owned();
    // The flusher waits an hour here: only a report (or the test) writes the counts.
    let app = spawn_app_tuned(
        fast_sandbox(),
        &[
            ("PROXY_AFFILIATES", path_text.as_str()),
            ("PROXY_BEACONS_PER_MINUTE", "1000000"),
        ],
        |s| s.beacon_flush_every = Duration::from_secs(3600),
    )
    .await;

    // Destinations: the catalogue's, an ISO country the catalogue does not sell, a
    // made-up region.
    let shown = |destination: &str| json!({"attribution": attribution_for("wander-notes", None), "event": "shown", "destination": destination});
    send(
        &app,
        vec![
            shown("JP"),
            shown("jp"),
            shown("AQ"),
            shown("made-up-region"),
            shown("western-europe"),
        ],
    )
    .await;
    assert_eq!(
        stored(&app).await.len(),
        0,
        "nothing is written on a beacon's request"
    );
    app.flush_beacons().await;
    let destinations: Vec<(String, i64)> = stored(&app)
        .await
        .into_iter()
        .map(|(_, _, d, _, n)| (d, n))
        .collect();
    assert_eq!(
        destinations,
        [
            (OTHER.to_owned(), 2),
            ("JP".to_owned(), 2),
            ("western-europe".to_owned(), 1)
        ]
    );

    // Placements and page paths: each beyond its cap counted as "other".
    let extra = 10;
    let placements: Vec<Value> = (0..PLACEMENTS_PER_DAY + extra)
        .map(|i| json!({"attribution": attribution_for("wander-notes", Some(&format!("spot-{i}"))), "event": "plan_chosen"}))
        .collect();
    let pages: Vec<Value> = (0..PAGE_PATHS_PER_DAY + extra)
        .map(|i| json!({"attribution": attribution_for("wander-notes", None), "event": "checkout_started", "page_path": format!("/forged/{i}")}))
        .collect();
    send(&app, placements).await;
    send(&app, pages).await;
    app.flush_beacons().await;
    let rows = stored(&app).await;
    let kept = |event: &str, pick: fn(&(String, String, String, String, i64)) -> &String| {
        let of_event: Vec<_> = rows.iter().filter(|r| r.3 == event).collect();
        let other: i64 = of_event
            .iter()
            .filter(|r| pick(r) == OTHER)
            .map(|r| r.4)
            .sum();
        (of_event.len(), other)
    };
    assert_eq!(
        kept("plan_chosen", |r| &r.0),
        (PLACEMENTS_PER_DAY + 1, extra as i64),
        "{} placements and one row of the rest",
        PLACEMENTS_PER_DAY
    );
    assert_eq!(
        kept("checkout_started", |r| &r.1),
        (PAGE_PATHS_PER_DAY + 1, extra as i64)
    );

    // A report by page: its first rows only, with the number there are, and whole totals.
    let since = time::OffsetDateTime::now_utc().date().to_string();
    let r = app
        .http
        .get(format!(
            "{}/api/affiliates/wander-notes/report?by=page&limit=10&since={since}&until={since}",
            app.url
        ))
        .bearer_auth(WANDER_TOKEN)
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.expect("json");
    assert_eq!(
        report["rows"].as_array().map(Vec::len),
        Some(10),
        "{report}"
    );
    // The pages kept, the "other" page, and the beacons with no page.
    assert_eq!(report["rows_total"], PAGE_PATHS_PER_DAY + 2);
    assert_eq!(report["rows_limit"], 10);
    let totals = &report["affiliates"][0]["funnel"];
    assert_eq!(totals["shown"], 5);
    assert_eq!(totals["plan_chosen"], PLACEMENTS_PER_DAY + extra);
    assert_eq!(totals["checkout_started"], PAGE_PATHS_PER_DAY + extra);
    for (limit, status) in [("0", 400), ("10001", 400), ("many", 400), ("10000", 200)] {
        let r = app
            .http
            .get(format!(
                "{}/api/affiliates/wander-notes/report?limit={limit}",
                app.url
            ))
            .bearer_auth(WANDER_TOKEN)
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status().as_u16(), status, "limit={limit}");
    }

    // A restarted proxy reads the day's tally back: its caps do not start again.
    let mut app = app;
    app.restart().await;
    send(
        &app,
        vec![json!({"attribution": attribution_for("wander-notes", Some("after-restart")), "event": "plan_chosen"})],
    )
    .await;
    app.flush_beacons().await;
    let after = stored(&app).await;
    assert!(
        !after.iter().any(|r| r.0 == "after-restart"),
        "beyond the cap after a restart too"
    );
    app.stop().await;
    let _ = std::fs::remove_dir_all(&files);
}
