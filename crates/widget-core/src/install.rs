//! The device in the traveller's hand (from the user agent), what the ready view puts
//! first on it, one-tap install links from the LPA string, and the eSIM's details as
//! text.

#[cfg(feature = "status")]
use simology_proxy_api::Esim;

#[cfg(feature = "status")]
use crate::i18n::Strings;

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

/// What the ready view puts first for the device in hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lead {
    /// The one-tap install button (this phone installs it by a link); the QR code waits
    /// behind "Install on another device".
    OneTap,
    /// The details to enter by hand (an iPhone that cannot install by link nor scan its
    /// own screen); the QR code waits behind "Install on another device".
    Manual,
    /// The QR code, for the phone the traveller travels with (on a computer).
    Qr,
}

impl Platform {
    /// What the ready view leads with on this platform.
    pub fn lead(self) -> Lead {
        match self {
            Platform::ModernIos | Platform::Android => Lead::OneTap,
            Platform::OldIos => Lead::Manual,
            Platform::Other => Lead::Qr,
        }
    }
}

/// The eSIM's details, one a line, labelled in the language (for the clipboard and the
/// share sheet): SM-DP+ address, activation code, LPA string and ICCID.
#[cfg(feature = "status")]
pub fn details(esim: &Esim, t: &Strings) -> String {
    let c = t.colon;
    format!(
        "{}{c} {}\n{}{c} {}\nLPA{c} {}\nICCID{c} {}",
        t.smdp_label, esim.smdp_address, t.code_label, esim.activation_code, esim.lpa, esim.iccid
    )
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
    fn the_view_leads_with_what_the_device_can_use() {
        assert_eq!(Platform::ModernIos.lead(), Lead::OneTap);
        assert_eq!(Platform::Android.lead(), Lead::OneTap);
        assert_eq!(Platform::OldIos.lead(), Lead::Manual);
        assert_eq!(Platform::Other.lead(), Lead::Qr);
    }

    #[test]
    #[cfg(feature = "status")]
    fn details_are_labelled_in_the_language() {
        let esim = Esim {
            iccid: "8988307000001234567".into(),
            lpa: "LPA:1$smdp.example$ACT-1".into(),
            smdp_address: "smdp.example".into(),
            activation_code: "ACT-1".into(),
            valid_from: String::new(),
            valid_until: String::new(),
        };
        assert_eq!(
            details(&esim, &crate::i18n::EN),
            "SM-DP+ address: smdp.example\nActivation code: ACT-1\n\
             LPA: LPA:1$smdp.example$ACT-1\nICCID: 8988307000001234567"
        );
        assert_eq!(
            details(&esim, &crate::i18n::FR),
            "Adresse SM-DP+\u{a0}: smdp.example\nCode d'activation\u{a0}: ACT-1\n\
             LPA\u{a0}: LPA:1$smdp.example$ACT-1\nICCID\u{a0}: 8988307000001234567"
        );
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
