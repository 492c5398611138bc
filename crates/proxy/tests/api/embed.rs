//! The widget's frame document (`GET /embed`): its first screen rendered here, framed
//! only by the pages allowed to embed it, the attribution it signs for an affiliate's
//! sites only, the theme it takes from the host page (checked), its language, the
//! cookie by which it finds its order after the payment page, and the return from
//! payment that names the widget, never the order.

use std::io::Read as _;

use serde_json::{json, Value};
use sqlx::Row;

use crate::affiliates::*;
use crate::helpers::*;

/// The frame document of `query`, with the request's extra headers.
async fn document(app: &TestApp, query: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.http.get(format!("{}/embed?{query}", app.url));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("answer")
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The CSP's sources of one directive.
fn directive(csp: &str, name: &str) -> Vec<String> {
    csp.split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix(name))
        .map(|rest| rest.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_first_plans_are_in_the_frames_html_under_a_csp_of_its_own() {
    let app = spawn_app().await;
    let r = document(
        &app,
        "instance=japan-shop&country=jp&page=http%3A%2F%2Fshop.test%2Fjapan",
        &[],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
    let csp = header(&r, "content-security-policy");
    // Framed only by the allowed origins; scripts and wasm only from the widget's
    // files (here the proxy's own, no CDN being set); requests only to the proxy.
    assert_eq!(directive(&csp, "frame-ancestors"), [ORIGIN]);
    let script_src = directive(&csp, "script-src");
    assert_eq!(script_src.len(), 3, "{csp}");
    assert_eq!(
        (script_src[0].as_str(), script_src[2].as_str()),
        ("'self'", "'wasm-unsafe-eval'")
    );
    assert_eq!(directive(&csp, "connect-src"), ["'self'"]);
    assert_eq!(directive(&csp, "default-src"), ["'none'"]);
    assert_eq!(directive(&csp, "form-action"), ["'none'"]);
    assert_eq!(header(&r, "referrer-policy"), "no-referrer");
    let etag = header(&r, "etag");
    let html = r.text().await.expect("html");
    // The plans, priced and formatted by the widget's own code, in the HTML.
    assert!(html.contains(r#"<html lang="en">"#), "{html:.300}");
    assert!(html.contains(r#"data-sku="JP-1GB-7D""#), "{html}");
    assert!(html.contains(r#"class="plan-price">"#), "{html}");
    assert!(html.contains("Japan eSIM plans"), "{html}");
    // The inline stylesheet is the one the CSP allows, and nothing else is inline but
    // the configuration (data, not script).
    let style_start = html.find("<style>").expect("style") + "<style>".len();
    let style =
        &html[style_start..style_start + html[style_start..].find("</style>").expect("end")];
    assert!(style.starts_with(".sim-root{"), "{style:.80}");
    let hash = simology_proxy::widget::csp_hash(style);
    assert_eq!(directive(&csp, "style-src"), [hash, "'self'".to_owned()]);
    assert!(
        !style.contains(".qr"),
        "the status module's styles stay out of a picker's"
    );
    // The one inline script, the tap recorder, runs by its hash alone: the CSP names
    // the hash of the very text served (a changed script with a stale hash would not
    // run, and would fail here), and nothing else inline may run.
    assert_eq!(html.matches("<script>").count(), 1, "one inline script");
    let tap_start = html.find("<script>").expect("the tap script") + "<script>".len();
    let tap = &html[tap_start..tap_start + html[tap_start..].find("</script>").expect("end")];
    assert!(
        tap_start < html.find("<body>").expect("body"),
        "it listens before the plans are there"
    );
    assert_eq!(tap, simology_proxy::services::embed::tap_script());
    assert!(tap.contains("simologyFrame") && tap.contains("sim-checkout-"));
    assert_eq!(script_src[1], simology_proxy::widget::csp_hash(tap));
    assert!(!script_src.contains(&"'unsafe-inline'".to_owned()));
    // Each plan the first screen offers has its checkout, rendered here, for a tap
    // before the wasm is in: the country's own plans that are available, not the
    // regional bundles (behind a switch only the wasm works) nor a sold-out plan.
    let offered: Vec<String> = config_of(&html)["catalog"]["plans"]
        .as_array()
        .expect("plans")
        .iter()
        .filter(|p| p["kind"] == "country" && p["available"] == true)
        .map(|p| p["sku"].as_str().expect("sku").to_owned())
        .collect();
    assert!(offered.len() >= 5, "{offered:?}");
    assert_eq!(
        html.matches("<template id=\"sim-checkout-").count(),
        offered.len()
    );
    for sku in &offered {
        let start = html
            .find(&format!("<template id=\"sim-checkout-{sku}\">"))
            .unwrap_or_else(|| panic!("{sku}'s checkout: {html}"));
        let template = &html[start..start + html[start..].find("</template>").expect("end")];
        assert!(
            template.contains(r#"class="checkout""#)
                && template.contains(r#"type="email""#)
                && template.contains(r#"name="travellers""#),
            "{template}"
        );
        let name = config_of(&html)["catalog"]["plans"]
            .as_array()
            .expect("plans")
            .iter()
            .find(|p| p["sku"] == sku.as_str())
            .map(|p| p["name"].as_str().expect("name").to_owned())
            .expect("its plan");
        assert!(template.contains(&name), "{name}: {template}");
    }
    let version = simology_proxy_api::WIDGET_VERSION;
    for file in ["simology-esim-frame.js", "simology-esim-picker.js"] {
        assert!(
            html.contains(&format!(
                r#"src="/widget/{version}/{file}" integrity="sha384-test-{file}""#
            )),
            "{file} pinned: {html:.2000}"
        );
    }
    let config = config_of(&html);
    assert_eq!(config["instance"], "japan-shop");
    assert_eq!(
        config["destination"],
        json!({"kind": "country", "code": "JP"})
    );
    assert_eq!(config["catalog"]["plans"][0]["sku"], "JP-1GB-7D");
    assert_eq!(config["order"], Value::Null);
    assert_eq!(config["attribution"], Value::Null);
    // Revalidated cheaply; compressed as the browser asks.
    let again = document(
        &app,
        "instance=japan-shop&country=jp",
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status(), 304);
    let br = document(
        &app,
        "instance=japan-shop&country=jp",
        &[("accept-encoding", "gzip, br")],
    )
    .await;
    assert_eq!(header(&br, "content-encoding"), "br");
    let compressed = br.bytes().await.expect("bytes");
    let mut plain = String::new();
    brotli::Decompressor::new(&compressed[..], 4096)
        .read_to_string(&mut plain)
        .expect("brotli");
    assert_eq!(plain, html);
    assert!(
        compressed.len() * 3 < html.len(),
        "{} of {}",
        compressed.len(),
        html.len()
    );
    // The widget's files, served by the proxy under their release.
    let frame = app
        .get(&format!("/widget/{version}/simology-esim-frame.js"))
        .await;
    assert_eq!(frame.status(), 200);
    assert_eq!(
        header(&frame, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        app.get("/widget/0.0.0/simology-esim-frame.js")
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get(&format!("/widget/{version}/integrity.json"))
            .await
            .status(),
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn a_frame_opening_on_a_checkout_carries_no_other_plans_checkouts() {
    let app = spawn_app().await;
    // Back from a cancelled payment the proxy did not know of: the plan's checkout is
    // the first screen itself, and no plan is there to tap.
    let r = document(&app, "instance=japan-shop&country=JP&sku=JP-3GB-15D", &[]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    let sim = &html[html.find(r#"<div id="sim">"#).expect("sim")..];
    assert!(sim.starts_with(r#"<div id="sim"><section"#), "{sim:.200}");
    assert!(sim.contains(r#"class="checkout""#), "{sim:.2000}");
    assert!(!html.contains(r#"<template id="sim-checkout-"#), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn an_affiliates_frame_is_framed_by_its_sites_only_and_signed_for_them_only() {
    let (app, files) = spawn_with_affiliates(&affiliates_file(true), &[]).await;
    let query = "instance=t&country=JP&affiliate=wander-notes&placement=Japan-Post.Sidebar";
    // From one of its pages, or a page that sends no referrer: the browser shows the
    // frame only on the affiliate's sites either way.
    for referer in [Some("http://wander.test/japan?x=1"), None] {
        let (headers, config) = embed_config(&app.url, query, referer).await;
        let csp = headers["content-security-policy"].to_str().expect("text");
        assert_eq!(directive(csp, "frame-ancestors"), [WANDER], "{referer:?}");
        let token = config["attribution"].as_str().expect("signed");
        assert!(
            token.starts_with("a1:wander-notes:japan-post.sidebar:"),
            "{token}"
        );
        // It credits the sale it is sent with.
        let mut body = affiliate_checkout("US-1GB-7D", WANDER, "wander-notes", "x");
        body["attribution"] = token.into();
        let r = checkout_from(&app.url, Some(WANDER), &body).await;
        assert_eq!(r.status(), 200);
        let order_ref = r.json::<Value>().await.expect("json")["order_ref"]
            .as_str()
            .expect("ref")
            .to_owned();
        let row = sqlx::query("SELECT affiliate, placement FROM orders WHERE order_ref = $1")
            .bind(order_ref)
            .fetch_one(&database(&app).await)
            .await
            .expect("order");
        assert_eq!(
            row.try_get::<Option<String>, _>(0).expect("a"),
            Some("wander-notes".into())
        );
        assert_eq!(
            row.try_get::<Option<String>, _>(1).expect("p"),
            Some("japan-post.sidebar".into())
        );
    }
    // Asked for from another site's page: nothing signed.
    let (_, config) = embed_config(&app.url, query, Some("http://other.test:8080/page")).await;
    assert_eq!(config["attribution"], Value::Null);
    // An affiliate the file does not list: nothing signed, framed like any widget.
    let (headers, config) = embed_config(&app.url, "instance=t&affiliate=nobody", None).await;
    assert_eq!(config["attribution"], Value::Null);
    let csp = headers["content-security-policy"].to_str().expect("text");
    let mut ancestors = directive(csp, "frame-ancestors");
    ancestors.sort();
    assert_eq!(ancestors, [OTHER, ORIGIN, WANDER]);
    app.stop().await;
    let _ = std::fs::remove_dir_all(&files);
}

#[tokio::test]
async fn the_theme_crosses_checked_and_the_language_is_the_travellers() {
    let app = spawn_app().await;
    let query = "instance=t&country=ES&css-accent=%23E4572E&css-font=Georgia,%20serif\
                 &css-bg=red;background:url(https://evil.test/x)&css-position=fixed&css-radius=12px";
    let r = document(
        &app,
        query,
        &[("accept-language", "fr-CA,fr;q=0.9,en;q=0.5")],
    )
    .await;
    let csp = header(&r, "content-security-policy");
    let html = r.text().await.expect("html");
    assert!(html.contains(r#"<html lang="fr">"#));
    assert!(
        html.contains("Espagne\u{a0}: forfaits eSIM"),
        "{html:.3000}"
    );
    let style_start = html.find("<style>").expect("style") + "<style>".len();
    let style =
        &html[style_start..style_start + html[style_start..].find("</style>").expect("end")];
    assert!(
        style.ends_with(":root{--simology-accent:#e4572e;--simology-font:Georgia, serif;--simology-radius:12px;}"),
        "{style}"
    );
    assert!(
        !html.contains("evil.test") && !html.contains("position"),
        "dropped"
    );
    assert_eq!(
        directive(&csp, "style-src"),
        [simology_proxy::widget::csp_hash(style), "'self'".to_owned()]
    );
    // The element's `locale` comes first; then the browser's; then the page's.
    let (_, config) = embed_config(&app.url, "instance=t&locale=de&lang=it", None).await;
    assert_eq!(config["lang"], "de");
    let (_, config) = embed_config(&app.url, "instance=t&lang=it", None).await;
    assert_eq!(config["lang"], "it");
    app.stop().await;
}

/// The checkouts the proxy rendered for a tap before the wasm is in.
fn templates(html: &str) -> Vec<&str> {
    html.split("<template id=\"sim-checkout-")
        .skip(1)
        .map(|t| &t[..t.find("</template>").expect("its end")])
        .collect()
}

#[tokio::test]
async fn compat_check_crosses_checked_and_the_checkouts_rendered_here_hold_pay_without_the_step() {
    let app = spawn_app().await;
    let title = simology_widget_core::compat::EN.title;
    // The Pay of a checkout rendered here.
    let pay = |t: &str| -> String {
        let class = t.find(r#"class="button pay""#).expect("a Pay button");
        let start = t[..class].rfind('<').expect("its start");
        let end = class + t[class..].find('>').expect("its end");
        t[start..end].to_owned()
    };
    // The default: not written in the configuration (a frame without the attribute
    // says what it said before). Each plan's checkout has no step: its bytes would
    // come before the first plan, and the wasm draws it under Pay; Pay says it does
    // not buy yet (nothing is sent before the wasm is in anyway).
    let html = document(&app, "instance=t&country=jp", &[])
        .await
        .text()
        .await
        .expect("html");
    assert!(
        config_of(&html).get("compat_check").is_none(),
        "{html:.300}"
    );
    let checkouts = templates(&html);
    assert!(checkouts.len() >= 5);
    for t in &checkouts {
        assert!(!t.contains("compat") && !t.contains(title), "{t}");
        assert!(pay(t).contains(r#"aria-disabled="true""#), "{t}");
    }
    assert!(!html.contains("Galaxy") && !html.contains("iPhone XS"));
    // Advisory and off: nothing to confirm, Pay as before.
    for (query, value) in [
        ("instance=t&country=jp&compat-check=advisory", "advisory"),
        ("instance=t&country=jp&compat-check=off", "off"),
    ] {
        let html = document(&app, query, &[]).await.text().await.expect("html");
        assert_eq!(config_of(&html)["compat_check"], value);
        for t in templates(&html) {
            assert!(!t.contains("compat"), "{t}");
            assert!(pay(t).contains(r#"aria-disabled="false""#), "{t}");
        }
    }
    // Another value is ignored: the step stays required.
    let (_, config) = embed_config(&app.url, "instance=t&compat-check=maybe", None).await;
    assert!(config.get("compat_check").is_none(), "{config}");
    app.stop().await;
}

#[tokio::test]
async fn the_list_of_esim_phones_is_served_with_an_etag() {
    let app = spawn_app().await;
    let r = app.get("/api/esim-devices").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "application/json");
    assert_eq!(header(&r, "cache-control"), "public, max-age=86400");
    let etag = header(&r, "etag");
    let list: Value = r.json().await.expect("JSON");
    let brands = list["brands"].as_array().expect("brands");
    assert!(brands.iter().any(|b| b["brand"] == "Apple"), "{list}");
    assert!(list["sources"].as_array().is_some_and(|s| !s.is_empty()));
    let again = app
        .http
        .get(format!("{}/api/esim-devices", app.url))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("answer");
    assert_eq!(again.status(), 304);
    app.stop().await;
}

#[tokio::test]
async fn the_frame_finds_its_order_by_its_own_cookie_and_the_return_names_no_order() {
    let app = spawn_app().await;
    let mut body = checkout_body("US-1GB-7D");
    body["instance"] = "japan-shop".into();
    // From the frame (the proxy's own origin): the answer sets the frame's cookie.
    let r = http_client()
        .post(format!("{}/api/checkout", app.url))
        .header("origin", &app.url)
        .header("sec-fetch-site", "same-origin")
        .json(&body)
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 200);
    let cookie = header(&r, "set-cookie");
    let answer: Value = r.json().await.expect("json");
    let order_ref = answer["order_ref"].as_str().expect("ref").to_owned();
    assert_eq!(
        cookie,
        format!(
            "simology_o_japan-shop={order_ref}; Path=/embed; Max-Age=86400; HttpOnly; Secure; SameSite=None; Partitioned"
        )
    );
    // From a page (cross-origin, the shadow-root embed's way): no cookie.
    let mut elsewhere = checkout_body("US-1GB-7D");
    elsewhere["instance"] = "japan-shop".into();
    let r = app.post_checkout(&elsewhere).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("set-cookie").is_none());
    // The payment page returns to the page, naming the widget, never the order.
    let sessions = upstream_sessions(app.sandbox.url()).await;
    let session = sessions
        .iter()
        .find(|s| s["metadata"]["order_ref"] == order_ref.as_str())
        .expect("its session");
    assert_eq!(
        session["success_url"],
        format!("{RETURN_URL}#simology-paid=japan-shop")
    );
    assert_eq!(
        session["cancel_url"],
        format!("{RETURN_URL}#simology-cancelled=japan-shop")
    );
    for s in &sessions {
        for url in [&s["success_url"], &s["cancel_url"]] {
            assert!(!url.as_str().unwrap_or_default().contains("o_"), "{url}");
        }
    }
    let jar = format!("simology_o_japan-shop={order_ref}");
    // Unpaid and recent: the frame opens on it, and no cache keeps that document.
    let r = document(&app, "instance=japan-shop&country=US", &[("cookie", &jar)]).await;
    assert_eq!(header(&r, "cache-control"), "no-store");
    let html = r.text().await.expect("html");
    assert!(
        html.contains(".qr{line-height:0}"),
        "an order's document carries the status styles"
    );
    let config = config_of(&html);
    assert_eq!(config["order"], order_ref.as_str());
    assert_eq!(
        config["catalog"],
        Value::Null,
        "an order's screen, not the plans"
    );
    assert!(
        !html.contains(r#"<template id="sim-checkout-"#),
        "no plan to tap"
    );
    // Another widget of the page does not.
    let (_, other) = embed_config(&app.url, "instance=other&country=US", None).await;
    assert_eq!(other["order"], Value::Null);
    // Back from cancelling: the plan's checkout again, and the order forgotten.
    let r = document(
        &app,
        "instance=japan-shop&country=US&return=cancelled",
        &[("cookie", &jar)],
    )
    .await;
    assert!(header(&r, "set-cookie").starts_with("simology_o_japan-shop=; Path=/embed; Max-Age=0"));
    let config = config_of(&r.text().await.expect("html"));
    assert_eq!(
        (config["order"].clone(), config["sku"].clone()),
        (Value::Null, json!("US-1GB-7D"))
    );
    assert_eq!(config["cancelled"], true);
    // Paid and ready: shown on the return from payment, then no longer.
    let paid = app
        .pay(
            answer["payment_url"].as_str().expect("url"),
            simology_sandbox::CARD_SUCCESS,
        )
        .await;
    assert!(paid.ends_with("#simology-paid=japan-shop"), "{paid}");
    app.wait_for_state(&order_ref, "ready").await;
    let (_, back) = {
        let r = document(
            &app,
            "instance=japan-shop&country=US&return=paid",
            &[("cookie", &jar)],
        )
        .await;
        (
            header(&r, "set-cookie"),
            config_of(&r.text().await.expect("html")),
        )
    };
    assert_eq!(back["order"], order_ref.as_str());
    let r = document(&app, "instance=japan-shop&country=US", &[("cookie", &jar)]).await;
    assert!(
        header(&r, "set-cookie").contains("Max-Age=0"),
        "forgotten once finished"
    );
    assert_eq!(
        config_of(&r.text().await.expect("html"))["order"],
        Value::Null
    );
    app.stop().await;
}

#[tokio::test]
async fn the_documents_kept_are_bounded_whatever_the_queries() {
    let app = spawn_app().await;
    let kept = simology_proxy::services::embed::KEPT_DOCUMENTS;
    for n in 0..kept + 40 {
        let r = document(&app, &format!("instance=i{n}&css-radius={}px", n % 7), &[]).await;
        assert_eq!(r.status(), 200);
    }
    assert_eq!(app.state.documents.len(), kept);
    app.stop().await;
}

#[tokio::test]
async fn without_the_widgets_files_the_frame_is_unavailable_and_files_of_another_release_are_refused(
) {
    let app = spawn_app_with(fast_sandbox(), &[("PROXY_WIDGET_DIR", "")]).await;
    let r = document(&app, "instance=t", &[]).await;
    assert_eq!(r.status(), 503);
    assert_eq!(
        r.json::<Value>().await.expect("json")["error"]["code"],
        "internal_error"
    );
    app.stop().await;
    let other = temp_dir("old-widget");
    for entry in std::fs::read_dir(widget_dir()).expect("dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), other.join(entry.file_name())).expect("copy");
    }
    let text = std::fs::read_to_string(other.join("integrity.json")).expect("read");
    std::fs::write(
        other.join("integrity.json"),
        text.replace(simology_proxy_api::WIDGET_VERSION, "0.0.1-older"),
    )
    .expect("write");
    let dir = temp_dir("app");
    let env = proxy_env(
        "http://127.0.0.1:9",
        &database_url(&dir).await,
        &[("PROXY_WIDGET_DIR", other.to_str().expect("utf-8"))],
    );
    let settings = simology_proxy::config::Settings::load_with(None, &|k| {
        env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    })
    .expect("settings");
    let err = simology_proxy::Application::build(settings)
        .await
        .err()
        .expect("refused");
    let message = format!("{err:#}");
    assert!(
        message.contains("0.0.1-older") && message.contains(simology_proxy_api::WIDGET_VERSION),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(&other);
}
