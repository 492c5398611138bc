//! Upstream drift: one catalogue item the model does not accept is skipped, logged and
//! counted; the rest of the catalogue is served.

use crate::helpers::*;

/// Refreshes the catalogue until `/metrics` counts `skipped` items in the one served
/// (a refresh already under way when the drift changed answers with what it got).
async fn refreshed_with_skipped(app: &TestApp, skipped: u64) -> String {
    eventually(&format!("{skipped} item(s) skipped"), async || {
        app.state
            .catalog
            .refresh()
            .await
            .expect("the catalogue loads");
        let metrics = app.get("/metrics").await.text().await.expect("text");
        if sample(&metrics, "simology_catalog_items_skipped") == Some(skipped) {
            Ok(metrics)
        } else {
            Err(metrics)
        }
    })
    .await
}

#[tokio::test]
async fn a_drifted_catalogue_item_is_skipped_and_counted() {
    let app = spawn_app().await;
    app.sandbox
        .set_catalog_drift(vec![simology_sandbox::catalog::drifted_item()]);
    let metrics = refreshed_with_skipped(&app, 1).await;
    assert!(sample(&metrics, "simology_catalog_items_skipped_total").is_some_and(|n: u64| n >= 1));
    let (status, catalog) = app.get_json("/api/catalog?country=US").await;
    assert_eq!(status, 200, "{catalog}");
    let skus: Vec<&str> = catalog["plans"]
        .as_array()
        .expect("plans")
        .iter()
        .filter_map(|p| p["sku"].as_str())
        .collect();
    assert!(skus.contains(&"US-1GB-7D"), "the rest is served: {skus:?}");
    assert!(!skus.contains(&"US-DRIFT-1GB-7D"), "{skus:?}");
    // The drift ends: nothing skipped in the catalogue served now.
    app.sandbox.set_catalog_drift(Vec::new());
    refreshed_with_skipped(&app, 0).await;
    app.stop().await;
}
