//! Group commit: deliveries that arrive together are stored together, and each is
//! answered after the commit that holds it, as new exactly once per event id.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn concurrent_deliveries_and_their_duplicates_are_each_stored_once() {
    let app = spawn_app().await;
    let mut sending = tokio::task::JoinSet::new();
    // Each of 40 events three times, all at once: copies of one id land in one batch
    // as well as in different ones.
    for copy in 0..3 {
        for n in 0..40 {
            let body = json!({"type": "line.suspended", "id": format!("evt_group_{n:02}"),
                              "created": "2025-01-10T09:20:02Z", "data": {"copy": copy}})
            .to_string();
            let (http, url) = (app.http.clone(), app.url.clone());
            sending.spawn(async move {
                let r = http
                    .post(format!("{url}/webhooks/simology"))
                    .header("Simology-Signature", signed(&body, now()))
                    .body(body)
                    .send()
                    .await
                    .expect("answer");
                assert_eq!(r.status(), 200);
                let answer: Value = r.json().await.expect("json");
                (n, answer["duplicate"] == false)
            });
        }
    }
    let mut news: HashMap<u32, u32> = HashMap::new();
    while let Some(done) = sending.join_next().await {
        let (n, new) = done.expect("a delivery");
        *news.entry(n).or_default() += u32::from(new);
    }
    assert_eq!(news.len(), 40);
    assert!(
        news.values().all(|&n| n == 1),
        "one new answer per event: {news:?}"
    );
    // Every answered event is in the store (the answer came after its commit).
    let stored = app.state.store.events().await.expect("events");
    assert_eq!(stored.len(), 40);
    app.stop().await;
}
