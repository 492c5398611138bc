//! The demo's two affiliates, each with its own blog (origin): the affiliates file the
//! proxy reads, and each blog's report page.
//!
//! A blogger reads their report with a bearer token that must stay off public pages, so
//! the demo shows it the way a blog would: its server asks the proxy with the token
//! (`GET /api/affiliates/{id}/report`) and renders the answer as a page (`/report` on
//! each blog). The token lives in the demo process only; the page never sees it.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use simology_proxy_api::{Decimal, Report, ReportGroup};

/// One demo affiliate.
#[derive(Debug, Clone)]
pub struct DemoAffiliate {
    /// Its id, as its widgets' `affiliate` attribute names it.
    pub id: &'static str,
    /// Its display name.
    pub name: &'static str,
    /// Its sites' origins.
    pub origins: Vec<String>,
    /// Its commission in basis points.
    pub commission_bps: u32,
    /// Its report token (demo only: a fixed value, printed for `curl`).
    pub token: &'static str,
    /// Its network's conversion postback (to the demo's partner systems).
    pub postback_url: Option<String>,
}

/// The demo's affiliates: Wander Notes on the main blog (both of its addresses), Nomad
/// Bytes on the second blog; with `partner`, each with its network's postback there
/// (Wander Notes through "impact", Nomad Bytes through "awin").
pub fn demo_affiliates(
    blog: &[String],
    second_blog: &str,
    partner: Option<&str>,
) -> Vec<DemoAffiliate> {
    let postback = |network: &str| partner.map(|p| crate::partner::postback_url(p, network));
    vec![
        DemoAffiliate {
            id: "wander-notes",
            name: "Wander Notes",
            origins: blog.to_vec(),
            commission_bps: 1200,
            token: "demo-report-token-wander-notes-0001",
            postback_url: postback("impact"),
        },
        DemoAffiliate {
            id: "nomad-bytes",
            name: "Nomad Bytes",
            origins: vec![second_blog.to_owned()],
            commission_bps: 1000,
            token: "demo-report-token-nomad-bytes-00002",
            postback_url: postback("awin"),
        },
    ]
}

/// The affiliates file (`PROXY_AFFILIATES`) listing them.
pub fn affiliates_file(affiliates: &[DemoAffiliate]) -> String {
    let mut out = String::from("# Written by simology-demo for this run.\n");
    for a in affiliates {
        let origins: Vec<String> = a.origins.iter().map(|o| format!("{o:?}")).collect();
        let _ = write!(
            out,
            "\n[[affiliate]]\nid = {:?}\nname = {:?}\norigins = [{}]\ncommission_bps = {}\ntoken = {:?}\n",
            a.id,
            a.name,
            origins.join(", "),
            a.commission_bps,
            a.token
        );
        if let Some(url) = &a.postback_url {
            let _ = writeln!(out, "postback_url = {url:?}");
        }
    }
    out
}

/// The affiliate's report, by placement, as its blog's server reads it from the proxy.
///
/// # Errors
/// When the proxy cannot be reached or refuses.
pub async fn fetch_report(
    client: &reqwest::Client,
    proxy: &str,
    affiliate: &DemoAffiliate,
) -> Result<Report> {
    let url = format!(
        "{proxy}/api/affiliates/{}/report?by={}",
        affiliate.id,
        ReportGroup::Placement.as_str()
    );
    let response = client
        .get(&url)
        .bearer_auth(affiliate.token)
        .send()
        .await
        .context("asking the proxy for the report")?
        .error_for_status()
        .context("the proxy refused the report")?;
    response.json().await.context("reading the report")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report as a page of the affiliate's blog (no inline style or script: the blog's
/// CSP holds).
pub fn report_page(affiliate: &DemoAffiliate, report: Result<Report>) -> String {
    let mut body = String::new();
    match report {
        Err(e) => {
            let _ = write!(
                body,
                "<p>The report could not be read: {}</p>",
                escape(&format!("{e:#}"))
            );
        }
        Ok(report) => {
            let _ = write!(
                body,
                "<p>From {} to {} (UTC), read from the partner's proxy with your report token.</p>",
                escape(&report.since),
                escape(&report.until)
            );
            body.push_str(
                "<table class=\"report\"><thead><tr><th scope=\"col\">Placement</th><th scope=\"col\">Shown</th>\
                 <th scope=\"col\">Destination chosen</th><th scope=\"col\">Plan chosen</th>\
                 <th scope=\"col\">Checkout started</th><th scope=\"col\">Paid</th><th scope=\"col\">Ready</th>\
                 <th scope=\"col\">Net revenue</th></tr></thead><tbody>",
            );
            for row in &report.rows {
                let f = &row.funnel;
                let revenue: Vec<String> = row
                    .revenue
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {}",
                            Decimal::new(r.net_minor, r.decimals),
                            r.currency.as_str()
                        )
                    })
                    .collect();
                let _ = write!(
                    body,
                    "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(row.key.as_deref().unwrap_or("(none)")),
                    f.shown,
                    f.destination_chosen,
                    f.plan_chosen,
                    f.checkout_started,
                    f.paid,
                    f.ready,
                    escape(&if revenue.is_empty() {
                        "—".to_owned()
                    } else {
                        revenue.join(", ")
                    })
                );
            }
            if report.rows.is_empty() {
                body.push_str("<tr><td colspan=\"8\">Nothing yet: open the blog, buy an eSIM, come back.</td></tr>");
            }
            body.push_str("</tbody></table>");
            for total in &report.affiliates {
                let commission: Vec<String> = total
                    .commission
                    .iter()
                    .map(|p| format!("{} {}", p.decimal(), p.currency.as_str()))
                    .collect();
                let owed = if commission.is_empty() {
                    "nothing yet".to_owned()
                } else {
                    commission.join(", ")
                };
                let _ = write!(
                    body,
                    "<p class=\"tip\">Commission owed at {}.{:02} %: <strong>{}</strong></p>",
                    total.commission_bps / 100,
                    total.commission_bps % 100,
                    escape(&owed)
                );
            }
        }
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"icon\" href=\"data:,\"><title>Affiliate report · {name}</title>\
         <link rel=\"stylesheet\" href=\"/blog.css\"></head><body>\
         <header><main><h1>Your affiliate report</h1><p class=\"byline\">{name} · <code>{id}</code></p></main></header>\
         <main>{body}<p><a href=\"/\">Back to the blog</a></p></main></body></html>\n",
        name = escape(affiliate.name),
        id = escape(affiliate.id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_what_the_proxy_reads() {
        let affiliates = demo_affiliates(
            &["http://127.0.0.1:1".into(), "http://localhost:1".into()],
            "http://127.0.0.1:2",
            Some("http://127.0.0.1:3"),
        );
        let parsed = simology_proxy::affiliates::Affiliates::parse(&affiliates_file(&affiliates))
            .expect("the proxy reads the demo's file");
        let wander = parsed.get("wander-notes").expect("listed");
        assert!(wander.has_origin("http://localhost:1"));
        assert!(wander.postback_url.is_some());
        assert!(!wander.has_origin("http://127.0.0.1:2"));
        assert!(parsed
            .authenticate("nomad-bytes", "demo-report-token-nomad-bytes-00002")
            .is_some());
    }
}
