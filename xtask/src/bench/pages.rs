//! The host pages the bench serves: the demo's page templates filled in as the demo
//! fills them, and the floor: the same page with the widget's element replaced by the
//! same plans (the catalogue JSON the widget shows) written into plain HTML, and no
//! script. The floor's plans are in a plain `<form>` whose native buttons choose a plan.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// Where the site's pages point.
pub struct Origins<'a> {
    pub cdn: &'a str,
    pub proxy: &'a str,
}

/// Writes the site under `dir`: `host/` holds the demo's blog page (`index.html`) and
/// its 3 s polling variant filled in for `origins`, the floor (`floor.html`) from
/// `catalog`, and `blog.css`; `cdn/` holds `cdn_files` (the widget's files, each with
/// its `.br` and `.gz`).
///
/// # Errors
/// When a file cannot be read or written, or the floor cannot be made.
pub fn write_site(
    dir: &Path,
    demo_pages: &Path,
    origins: &Origins<'_>,
    script_integrity: &str,
    catalog: &Value,
    cdn_files: &[(&str, &[u8])],
) -> Result<()> {
    let _ = fs::remove_dir_all(dir);
    let (host, cdn) = (dir.join("host"), dir.join("cdn"));
    fs::create_dir_all(&host)?;
    fs::create_dir_all(&cdn)?;
    for (name, bytes) in cdn_files {
        fs::write(cdn.join(name), bytes)?;
    }
    let read = |name: &str| {
        fs::read_to_string(demo_pages.join(name))
            .with_context(|| format!("reading the demo's {name}"))
    };
    let index = fill(
        &read("index.html")?,
        origins.cdn,
        origins.proxy,
        script_integrity,
    );
    fs::write(host.join("floor.html"), floor(&index, catalog)?)?;
    fs::write(host.join("index.html"), index)?;
    fs::write(
        host.join("bench-interval.html"),
        fill(
            &read("bench-interval.html")?,
            origins.cdn,
            origins.proxy,
            script_integrity,
        ),
    )?;
    fs::write(host.join("blog.css"), read("blog.css")?)?;
    Ok(())
}

/// A demo page template with its placeholders filled, as `simology-demo` does.
pub fn fill(template: &str, cdn: &str, proxy: &str, integrity: &str) -> String {
    template
        .replace("{{CDN}}", cdn)
        .replace("{{PROXY}}", proxy)
        .replace("{{INTEGRITY}}", integrity)
}

/// The Content-Security-Policy the demo serves its pages with (`host_csp` in
/// `crates/demo/src/main.rs`, which docs/embedding.md gives partners): the widget's script
/// from the CDN and its frame from the proxy, nothing else of ours. The bench checks,
/// on the running demo, that its blog's header is this one ([`same_csp`]).
pub fn csp(cdn: &str, proxy: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' {cdn}; frame-src {proxy}; style-src 'self'; \
         img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

/// Whether `demo`, the CSP header of the demo's blog (whose widget files come from
/// `demo_cdn`), is [`csp`] for the same proxy once its CDN is the bench's.
pub fn same_csp(demo: &str, demo_cdn: &str, cdn: &str, proxy: &str) -> bool {
    let moved: Vec<String> = demo
        .split(' ')
        .map(|word| {
            if word.trim_end_matches(';') == demo_cdn {
                word.replacen(demo_cdn, cdn, 1)
            } else {
                word.to_owned()
            }
        })
        .collect();
    moved.join(" ") == csp(cdn, proxy)
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An exact price in English: `¥680`, `$7.99`, `€1,234.50`.
fn price(p: &Value) -> Result<String> {
    let minor = p["minor"].as_u64().context("price without minor units")?;
    let decimals = u32::try_from(p["decimals"].as_u64().context("price without decimals")?)?;
    let currency = p["currency"].as_str().context("price without currency")?;
    let scale = 10u64.checked_pow(decimals).context("too many decimals")?;
    let whole = (minor / scale).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if decimals > 0 {
        write!(
            grouped,
            ".{:0width$}",
            minor % scale,
            width = decimals as usize
        )?;
    }
    Ok(match currency {
        "USD" => format!("${grouped}"),
        "EUR" => format!("€{grouped}"),
        "GBP" => format!("£{grouped}"),
        "JPY" => format!("¥{grouped}"),
        other => format!("{} {grouped}", escape(other)),
    })
}

fn data(mb: u64) -> String {
    if mb >= 1024 && mb.is_multiple_of(1024) {
        format!("{} GB", mb / 1024)
    } else {
        format!("{mb} MB")
    }
}

fn card(plan: &Value) -> Result<String> {
    let text = |k: &str| {
        plan[k]
            .as_str()
            .with_context(|| format!("a plan without {k}"))
    };
    let sku = escape(text("sku")?);
    let days = plan["validity_days"].as_u64().context("validity_days")?;
    let mb = plan["data_mb"].as_u64().context("data_mb")?;
    let mut html = format!(
        "<li class=\"plan-card\"><div class=\"plan-main\"><h4 class=\"plan-data\">{} <span class=\"plan-days\">· {days} days</span></h4>",
        data(mb)
    );
    if text("kind")? == "region" {
        let coverage: Vec<&str> = plan["coverage"]
            .as_array()
            .context("coverage")?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        write!(
            html,
            "<p class=\"plan-region\">{}</p><details class=\"coverage\"><summary>Covers {} countries</summary><p class=\"coverage-list\">{}</p></details>",
            escape(text("destination")?),
            coverage.len(),
            escape(&coverage.join(", "))
        )?;
    }
    write!(
        html,
        "</div><div class=\"plan-buy\"><p class=\"plan-price\">{}</p>",
        price(&plan["price"])?
    )?;
    if plan["available"].as_bool().context("available")? {
        write!(
            html,
            "<button type=\"submit\" class=\"button choose\" name=\"sku\" value=\"{sku}\">Choose</button>"
        )?;
    } else {
        html.push_str("<span class=\"badge\">Sold out</span>");
    }
    html.push_str("</div></li>\n");
    Ok(html)
}

/// The floor page: `template` (a demo page) without its script, its `<simology-esim>`
/// element replaced by the catalogue's plans in plain HTML, country plans first, then
/// regional ones, as the widget groups them.
///
/// # Errors
/// When the template has not exactly one script and one widget element, or the
/// catalogue is not the proxy's catalogue answer.
pub fn floor(template: &str, catalog: &Value) -> Result<String> {
    let one = |open: &str, close: &str| -> Result<(usize, usize)> {
        let start = template
            .find(open)
            .with_context(|| format!("the page has no {open}"))?;
        if template[start + 1..].contains(open) {
            bail!("the page has more than one {open}");
        }
        let end = template[start..]
            .find(close)
            .with_context(|| format!("{open} is not closed"))?
            + start
            + close.len();
        Ok((start, end))
    };
    let script = one("<script", "</script>")?;
    let widget = one("<simology-esim", "</simology-esim>")?;
    if script.1 > widget.0 {
        bail!("the page's script comes after its widget");
    }
    let name = catalog["destination"]["name"]
        .as_str()
        .context("a catalogue without a destination name")?;
    let plans = catalog["plans"]
        .as_array()
        .context("a catalogue without plans")?;
    let mut own = String::new();
    let mut regional = String::new();
    for plan in plans {
        let html = card(plan)?;
        if plan["kind"].as_str() == Some("region") {
            regional.push_str(&html);
        } else {
            own.push_str(&html);
        }
    }
    let name = escape(name);
    let mut plans_html =
        String::from("<form class=\"plans\" method=\"get\" action=\"/checkout\">\n");
    for (title, cards, class) in [
        (format!("{name} plans"), own, "country-plans"),
        (
            format!("Regional plans that include {name}"),
            regional,
            "regional-plans",
        ),
    ] {
        if !cards.is_empty() {
            write!(
                plans_html,
                "<section class=\"plan-group {class}\"><h3 class=\"group-title\">{title}</h3><ul class=\"plans\">\n{cards}</ul></section>\n"
            )?;
        }
    }
    plans_html.push_str("</form>");
    let mut page = String::with_capacity(template.len() + plans_html.len());
    page.push_str(&template[..script.0]);
    page.push_str(&template[script.1..widget.0]);
    page.push_str(&plans_html);
    page.push_str(&template[widget.1..]);
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str =
        "<head><script src=\"{{CDN}}/x.js\" async></script></head>\n<body><p>before</p>\
        <simology-esim proxy=\"{{PROXY}}\" country=\"JP\"></simology-esim><p>after</p></body>";

    fn catalog() -> Value {
        serde_json::json!({
            "destination": {"name": "Japan <b>"},
            "plans": [
                {"sku": "JP-1GB-7D", "kind": "country", "destination": "JP", "coverage": ["JP"],
                 "data_mb": 1024, "validity_days": 7, "available": true,
                 "price": {"minor": 680, "currency": "JPY", "decimals": 0}},
                {"sku": "JP-50GB-90D", "kind": "country", "destination": "JP", "coverage": ["JP"],
                 "data_mb": 51200, "validity_days": 90, "available": false,
                 "price": {"minor": 1_125_050, "currency": "EUR", "decimals": 2}},
                {"sku": "ASIA-1GB-7D", "kind": "region", "destination": "asia", "coverage": ["CN", "JP"],
                 "data_mb": 500, "validity_days": 7, "available": true,
                 "price": {"minor": 799, "currency": "USD", "decimals": 2}},
            ]
        })
    }

    #[test]
    fn the_floor_has_every_plan_in_plain_html_and_no_script() {
        let page = floor(TEMPLATE, &catalog()).expect("floor");
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("simology-esim"), "{page}");
        assert!(
            page.contains("<p>before</p><form class=\"plans\""),
            "{page}"
        );
        assert!(page.ends_with("</form><p>after</p></body>"), "{page}");
        for text in [
            "¥680",
            "€11,250.50",
            "$7.99",
            "1 GB <span class=\"plan-days\">· 7 days",
            "500 MB",
            "value=\"JP-1GB-7D\">Choose</button>",
            "value=\"ASIA-1GB-7D\">Choose</button>",
            "<span class=\"badge\">Sold out</span>",
            "Covers 2 countries",
            "Japan &lt;b&gt; plans",
        ] {
            assert!(page.contains(text), "{text} missing from {page}");
        }
        // The country's plans come before the regional ones, as in the widget.
        let own = page.find("JP-1GB-7D").expect("own plan");
        let regional = page.find("ASIA-1GB-7D").expect("regional plan");
        assert!(own < regional);
        assert!(!page.contains("value=\"JP-50GB-90D\""));
    }

    #[test]
    fn a_changed_template_or_catalogue_is_refused() {
        assert!(floor("<p>no widget</p>", &catalog()).is_err());
        let two = format!("{TEMPLATE}<simology-esim></simology-esim>");
        assert!(floor(&two, &catalog()).is_err());
        assert!(floor(TEMPLATE, &serde_json::json!({"plans": []})).is_err());
    }

    #[test]
    fn the_csp_is_the_demos() {
        let demo = "default-src 'self'; script-src 'self' http://127.0.0.1:1; frame-src http://127.0.0.1:3; \
                    style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        let ours = csp("http://127.0.0.1:9", "http://127.0.0.1:3");
        assert!(ours.contains("frame-src http://127.0.0.1:3;"));
        assert!(!ours.contains("wasm-unsafe-eval") && !ours.contains("connect-src"));
        assert!(same_csp(
            demo,
            "http://127.0.0.1:1",
            "http://127.0.0.1:9",
            "http://127.0.0.1:3"
        ));
        // The old embed's policy, or another proxy, is not the demo's.
        let old = demo.replace(
            "script-src 'self' http://127.0.0.1:1;",
            "script-src 'self' http://127.0.0.1:1 'wasm-unsafe-eval';",
        );
        assert!(!same_csp(
            &old,
            "http://127.0.0.1:1",
            "http://127.0.0.1:9",
            "http://127.0.0.1:3"
        ));
        assert!(!same_csp(
            demo,
            "http://127.0.0.1:1",
            "http://127.0.0.1:9",
            "http://127.0.0.1:4"
        ));
        // Only the CDN's own address moves, not one it is the start of.
        let near = demo.replace(
            "frame-src http://127.0.0.1:3;",
            "frame-src http://127.0.0.1:13;",
        );
        assert!(same_csp(
            &near,
            "http://127.0.0.1:1",
            "http://127.0.0.1:9",
            "http://127.0.0.1:13"
        ));
    }

    #[test]
    fn templates_are_filled_as_the_demo_fills_them() {
        let page = fill(TEMPLATE, "http://cdn", "http://proxy", "sha384-x");
        assert!(page.contains("src=\"http://cdn/x.js\""));
        assert!(page.contains("proxy=\"http://proxy\""));
    }
}
