//! Affiliate network postbacks: an affiliate's `postback_url` (in the affiliates file)
//! is a URL template whose macros are filled in for each conversion, every value
//! URL-encoded (all but `A-Z a-z 0-9 - . _ ~` as `%XX`), and requested with `GET`.
//!
//! | macro | value |
//! |---|---|
//! | `{click_id}` | the network's click id the checkout carried |
//! | `{order_id}` | the order's public id (`order_...`): stable and unique, the transaction id a network should keep |
//! | `{order_tag}` | the order's log tag (the proxy's logs' `order_tag`) |
//! | `{amount_minor}` | the amount in minor units (`1499`) |
//! | `{amount}` | the amount as a decimal (`14.99`) |
//! | `{currency}` | ISO 4217 (`USD`) |
//! | `{commission_minor}` | the affiliate's commission in minor units |
//! | `{commission}` | the commission as a decimal |
//! | `{status}` | `pending`, `approved` or `reversed` |
//! | `{placement}` | the placement (empty when none) |

use std::fmt::Write as _;

use url::Url;

use super::events::ConversionEventData;
use super::is_allowed_url;

/// The macros a template may use.
pub const MACROS: [&str; 10] = [
    "click_id",
    "order_id",
    "order_tag",
    "amount_minor",
    "amount",
    "currency",
    "commission_minor",
    "commission",
    "status",
    "placement",
];

/// A checked postback template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostbackTemplate(String);

/// A piece of a template: text as written, or a macro.
enum Piece<'a> {
    Text(&'a str),
    Macro(&'a str),
}

/// The template's pieces; an error for a brace that opens no macro of [`MACROS`].
fn pieces(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("has a } that closes no macro".into());
        }
        out.push(Piece::Text(&rest[..open]));
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| "has a { that is never closed".to_owned())?;
        let name = &after[..close];
        if !MACROS.contains(&name) {
            return Err(format!(
                "has an unknown macro {{{name}}}; the macros are {}",
                MACROS.map(|m| format!("{{{m}}}")).join(" ")
            ));
        }
        out.push(Piece::Macro(name));
        rest = &after[close + 1..];
    }
    out.push(Piece::Text(rest));
    Ok(out)
}

/// `text` URL-encoded: every byte but `A-Z a-z 0-9 - . _ ~` as `%XX`.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

impl PostbackTemplate {
    /// Checks a template: known macros only, none before the path (the host is the
    /// network's, whatever a value holds), and an https URL (http only to loopback)
    /// once filled in.
    ///
    /// # Errors
    /// Saying what is wrong, without quoting the template (its query may hold a key).
    pub fn parse(text: &str) -> Result<PostbackTemplate, String> {
        let text = text.trim();
        let pieces = pieces(text)?;
        let filled: String = pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => *t,
                Piece::Macro(_) => "x",
            })
            .collect();
        let url = Url::parse(&filled).map_err(|_| "is not a URL".to_owned())?;
        if !is_allowed_url(&url) {
            return Err("must be https (http only to a loopback address)".into());
        }
        let authority_end = text
            .find("://")
            .map(|i| i + 3)
            .and_then(|start| text[start..].find(['/', '?', '#']).map(|i| start + i))
            .unwrap_or(text.len());
        if text[..authority_end].contains('{') {
            return Err("may use macros only after the host (in the path or query)".into());
        }
        Ok(PostbackTemplate(text.to_owned()))
    }

    /// The URL for a conversion.
    pub fn render(&self, c: &ConversionEventData) -> String {
        let value = |name: &str| -> String {
            match name {
                "click_id" => c.click_id.clone().unwrap_or_default(),
                "order_id" => c.order_id.clone(),
                "order_tag" => c.order_tag.clone(),
                "amount_minor" => c.amount.minor.to_string(),
                "amount" => c.amount.decimal().to_string(),
                "currency" => c.amount.currency.as_str().to_owned(),
                "commission_minor" => c.commission.minor.to_string(),
                "commission" => c.commission.decimal().to_string(),
                "status" => c.status.as_str().to_owned(),
                "placement" => c.placement.clone().unwrap_or_default(),
                _ => String::new(),
            }
        };
        // Parsed when the file was read: the pieces are known good.
        let Ok(pieces) = pieces(&self.0) else {
            return self.0.clone();
        };
        pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => (*t).to_owned(),
                Piece::Macro(m) => encode(&value(m)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outgoing::events::ConversionStatus;
    use simology_proxy_api::{CurrencyCode, Price};

    fn conversion() -> ConversionEventData {
        let usd = |minor| Price {
            minor,
            currency: CurrencyCode(*b"USD"),
            decimals: 2,
        };
        ConversionEventData {
            order_id: "order_00ff".into(),
            order_tag: "3fa2c1d0".into(),
            affiliate: "wander-notes".into(),
            placement: Some("side bar&x=1".into()),
            click_id: Some("IR_a.b~c-d".into()),
            status: ConversionStatus::Reversed,
            amount: usd(1499),
            commission: usd(180),
            commission_bps: 1200,
            iccid: None,
        }
    }

    #[test]
    fn every_macro_is_filled_in_and_encoded() {
        let t = PostbackTemplate::parse(
            "https://net.example/pb/{status}?cid={click_id}&oid={order_id}&tag={order_tag}&a={amount}&am={amount_minor}\
             &cur={currency}&c={commission}&cm={commission_minor}&p={placement}&k=v%20w",
        )
        .expect("valid");
        assert_eq!(
            t.render(&conversion()),
            "https://net.example/pb/reversed?cid=IR_a.b~c-d&oid=order_00ff&tag=3fa2c1d0&a=14.99&am=1499\
             &cur=USD&c=1.80&cm=180&p=side%20bar%26x%3D1&k=v%20w"
        );
        assert_eq!(encode("a/b?c=d é"), "a%2Fb%3Fc%3Dd%20%C3%A9");
    }

    #[test]
    fn bad_templates_are_refused() {
        for (bad, says) in [
            (
                "https://net.example/?x={clickid}",
                "unknown macro {clickid}",
            ),
            ("https://net.example/?x={click_id", "never closed"),
            ("https://net.example/?x=}", "closes no macro"),
            ("https://{placement}.example/", "after the host"),
            ("http://net.example/?c={click_id}", "https"),
            ("ftp://net.example/", "https"),
            ("not a url {status}", "not a URL"),
        ] {
            let err = PostbackTemplate::parse(bad).expect_err(bad);
            assert!(err.contains(says), "{bad}: {err}");
        }
        assert!(PostbackTemplate::parse("http://127.0.0.1:9/pb?c={click_id}").is_ok());
        assert!(PostbackTemplate::parse("http://localhost:9/pb").is_ok());
    }
}
