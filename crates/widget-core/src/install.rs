//! One-tap install links, by platform, from the LPA string.

/// The traveller's platform, from the user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// An iPhone or iPad on iOS 17.4 or later (universal eSIM install links).
    ModernIos,
    /// An older iPhone or iPad.
    OldIos,
    /// An Android phone.
    Android,
    /// Anything else (a computer): the QR code is the way.
    Other,
}

/// Reads the platform from a user agent string.
pub fn platform(user_agent: &str) -> Platform {
    if user_agent.contains("Android") {
        return Platform::Android;
    }
    if user_agent.contains("iPhone") || user_agent.contains("iPad") {
        // "CPU iPhone OS 17_4 like Mac OS X" or "CPU OS 17_4 like Mac OS X".
        let version = user_agent
            .split(" OS ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .map(|v| {
                v.split('_')
                    .filter_map(|n| n.parse::<u32>().ok())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let (major, minor) = (
            version.first().copied().unwrap_or(0),
            version.get(1).copied().unwrap_or(0),
        );
        return if (major, minor) >= (17, 4) {
            Platform::ModernIos
        } else {
            Platform::OldIos
        };
    }
    Platform::Other
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Apple's universal link that installs an eSIM on iOS 17.4+.
pub fn ios_link(lpa: &str) -> String {
    format!(
        "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata={}",
        encode(lpa)
    )
}

/// Google's equivalent, where Android supports it.
pub fn android_link(lpa: &str) -> String {
    format!(
        "https://esimsetup.android.com/esim_qrcode_provisioning?carddata={}",
        encode(lpa)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms() {
        let ios_174 = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15";
        let ios_16 =
            "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6_1 like Mac OS X) AppleWebKit/605.1.15";
        let ipad_18 = "Mozilla/5.0 (iPad; CPU OS 18_0 like Mac OS X)";
        let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36";
        let desktop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126";
        assert_eq!(platform(ios_174), Platform::ModernIos);
        assert_eq!(platform(ios_16), Platform::OldIos);
        assert_eq!(platform(ipad_18), Platform::ModernIos);
        assert_eq!(platform(android), Platform::Android);
        assert_eq!(platform(desktop), Platform::Other);
    }

    #[test]
    fn links_encode_the_lpa() {
        assert_eq!(
            ios_link("LPA:1$sm-dp.example$ACT-1"),
            "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24sm-dp.example%24ACT-1"
        );
        assert!(android_link("LPA:1$a.b$C").starts_with("https://esimsetup.android.com/"));
    }
}

/// A link target from upstream data, kept only when it is an absolute http(s) URL: a
/// `javascript:` or `data:` URL from a compromised catalogue never becomes a link.
pub fn safe_href(url: &str) -> Option<&str> {
    let lower = url
        .trim_start()
        .get(..8)
        .unwrap_or_default()
        .to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(url.trim())
}

#[cfg(test)]
mod href_tests {
    use super::safe_href;

    #[test]
    fn only_web_links() {
        assert_eq!(
            safe_href("https://simology.io/esim-japan"),
            Some("https://simology.io/esim-japan")
        );
        assert_eq!(safe_href("HTTP://x.example"), Some("HTTP://x.example"));
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,x",
            "//evil.example",
            "/relative",
            "",
        ] {
            assert_eq!(safe_href(bad), None, "{bad}");
        }
    }
}
