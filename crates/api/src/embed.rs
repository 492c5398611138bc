//! The widget's frame: what the proxy's frame document (`GET /embed`) tells the widget
//! inside it, and the theme a host page may pass across the frame.
//!
//! The frame document is served from the proxy's origin, so nothing in it reaches the
//! host page's scripts. The host script passes only what the partner wrote on the
//! element (its attributes and its `--simology-*` custom properties) in the frame's
//! address; the proxy checks each value before any of it reaches the document.

use serde::{Deserialize, Serialize};

use crate::{CatalogResponse, DestinationId, OrderRef};

/// What the proxy's frame document tells the widget (a JSON block in the document,
/// read by the frame's script): what the proxy rendered, so the widget takes it over
/// as it is, and what the widget needs from there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbedConfig {
    /// Which widget of the host page this is (see [`crate::Instance`]).
    pub instance: String,
    /// The language the proxy settled on (`fr`): the element's `locale`, else the
    /// browser's languages, else the host page's `<html lang>`.
    pub lang: String,
    /// `light`, `dark` or `auto`.
    pub theme: String,
    /// The destination the element opens on, if it names one.
    #[serde(default)]
    pub destination: Option<DestinationId>,
    /// The plan whose checkout the proxy rendered (a cancelled payment's), if any.
    #[serde(default)]
    pub sku: Option<String>,
    /// How many travellers that checkout is for (none: one).
    #[serde(default)]
    pub travellers: Option<u32>,
    /// The unfinished order this widget's frame remembered (its partitioned cookie,
    /// read by the proxy): the widget opens on it.
    #[serde(default)]
    pub order: Option<OrderRef>,
    /// The destination's catalogue as the proxy rendered it, so the widget takes over
    /// the very plans shown.
    #[serde(default)]
    pub catalog: Option<CatalogResponse>,
    /// For an element with an `affiliate`: the affiliate and placement, signed by the
    /// proxy when it served this frame to one of the affiliate's sites. Checkouts and
    /// beacons carry it; nothing else attributes a sale.
    #[serde(default)]
    pub attribution: Option<String>,
    /// The traveller is back from cancelling a payment of this widget's.
    #[serde(default)]
    pub cancelled: bool,
    /// Poll the order every this many milliseconds instead of long-polling.
    #[serde(default)]
    pub poll_interval_ms: Option<u32>,
    /// The checkout's "Is your phone ready for an eSIM?" step (the element's
    /// `compat-check`). Left out of the document when it is the default, so that a
    /// frame without the attribute is byte for byte what it was.
    #[serde(default, skip_serializing_if = "CompatCheck::is_default")]
    pub compat_check: CompatCheck,
}

/// The element's `compat-check`: how the checkout asks whether the traveller's phone
/// takes an eSIM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompatCheck {
    /// The step is there, and Pay works only once the traveller confirms "My phone
    /// supports eSIM and is unlocked" (the default).
    #[default]
    Required,
    /// The step is there, without the confirmation: Pay works as it is.
    Advisory,
    /// No step (a partner that sells only to its own app's users, on known phones).
    Off,
}

impl CompatCheck {
    /// The value of the attribute `text` (`required`, `advisory` or `off`); `None` for
    /// anything else, which the host script reports and the proxy ignores (the default
    /// stands).
    pub fn parse(text: &str) -> Option<CompatCheck> {
        match text {
            "required" => Some(CompatCheck::Required),
            "advisory" => Some(CompatCheck::Advisory),
            "off" => Some(CompatCheck::Off),
            _ => None,
        }
    }

    /// Its attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            CompatCheck::Required => "required",
            CompatCheck::Advisory => "advisory",
            CompatCheck::Off => "off",
        }
    }

    /// Whether it is the default ([`CompatCheck::Required`]).
    pub fn is_default(&self) -> bool {
        *self == CompatCheck::Required
    }
}

/// What kind of value a theme property takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeKind {
    /// A CSS colour: `#rgb`, `#rrggbb` (with alpha too), `rgb()`, `hsl()` and the other
    /// colour functions with plain numbers, or a named colour.
    Colour,
    /// A length: a number of `px`, `em`, `rem`, `%` or `pt`.
    Length,
    /// A `font-family` list: names, quoted or not, separated by commas.
    FontFamily,
}

/// A theme property the widget documents, without its `--simology-` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThemeVar {
    /// `accent` for `--simology-accent`.
    pub name: &'static str,
    /// What it takes.
    pub kind: ThemeKind,
}

/// Every theme property that crosses the frame; any other is dropped.
pub const THEME_VARS: [ThemeVar; 12] = [
    ThemeVar::colour("accent"),
    ThemeVar::colour("accent-text"),
    ThemeVar::colour("bg"),
    ThemeVar::colour("surface"),
    ThemeVar::colour("border"),
    ThemeVar::colour("text"),
    ThemeVar::colour("muted"),
    ThemeVar::colour("error"),
    ThemeVar::colour("success"),
    ThemeVar {
        name: "radius",
        kind: ThemeKind::Length,
    },
    ThemeVar {
        name: "font-size",
        kind: ThemeKind::Length,
    },
    ThemeVar {
        name: "font",
        kind: ThemeKind::FontFamily,
    },
];

/// The longest value a theme property may have.
pub const MAX_THEME_VALUE_LEN: usize = 200;

/// CSS's named colours (CSS Color 4), `transparent` and `currentcolor`.
const NAMED_COLOURS: &[&str] = &[
    "aliceblue",
    "antiquewhite",
    "aqua",
    "aquamarine",
    "azure",
    "beige",
    "bisque",
    "black",
    "blanchedalmond",
    "blue",
    "blueviolet",
    "brown",
    "burlywood",
    "cadetblue",
    "chartreuse",
    "chocolate",
    "coral",
    "cornflowerblue",
    "cornsilk",
    "crimson",
    "currentcolor",
    "cyan",
    "darkblue",
    "darkcyan",
    "darkgoldenrod",
    "darkgray",
    "darkgreen",
    "darkgrey",
    "darkkhaki",
    "darkmagenta",
    "darkolivegreen",
    "darkorange",
    "darkorchid",
    "darkred",
    "darksalmon",
    "darkseagreen",
    "darkslateblue",
    "darkslategray",
    "darkslategrey",
    "darkturquoise",
    "darkviolet",
    "deeppink",
    "deepskyblue",
    "dimgray",
    "dimgrey",
    "dodgerblue",
    "firebrick",
    "floralwhite",
    "forestgreen",
    "fuchsia",
    "gainsboro",
    "ghostwhite",
    "gold",
    "goldenrod",
    "gray",
    "green",
    "greenyellow",
    "grey",
    "honeydew",
    "hotpink",
    "indianred",
    "indigo",
    "ivory",
    "khaki",
    "lavender",
    "lavenderblush",
    "lawngreen",
    "lemonchiffon",
    "lightblue",
    "lightcoral",
    "lightcyan",
    "lightgoldenrodyellow",
    "lightgray",
    "lightgreen",
    "lightgrey",
    "lightpink",
    "lightsalmon",
    "lightseagreen",
    "lightskyblue",
    "lightslategray",
    "lightslategrey",
    "lightsteelblue",
    "lightyellow",
    "lime",
    "limegreen",
    "linen",
    "magenta",
    "maroon",
    "mediumaquamarine",
    "mediumblue",
    "mediumorchid",
    "mediumpurple",
    "mediumseagreen",
    "mediumslateblue",
    "mediumspringgreen",
    "mediumturquoise",
    "mediumvioletred",
    "midnightblue",
    "mintcream",
    "mistyrose",
    "moccasin",
    "navajowhite",
    "navy",
    "oldlace",
    "olive",
    "olivedrab",
    "orange",
    "orangered",
    "orchid",
    "palegoldenrod",
    "palegreen",
    "paleturquoise",
    "palevioletred",
    "papayawhip",
    "peachpuff",
    "peru",
    "pink",
    "plum",
    "powderblue",
    "purple",
    "rebeccapurple",
    "red",
    "rosybrown",
    "royalblue",
    "saddlebrown",
    "salmon",
    "sandybrown",
    "seagreen",
    "seashell",
    "sienna",
    "silver",
    "skyblue",
    "slateblue",
    "slategray",
    "slategrey",
    "snow",
    "springgreen",
    "steelblue",
    "tan",
    "teal",
    "thistle",
    "tomato",
    "transparent",
    "turquoise",
    "violet",
    "wheat",
    "white",
    "whitesmoke",
    "yellow",
    "yellowgreen",
];

/// The colour functions whose arguments may be plain numbers.
const COLOUR_FUNCTIONS: [&str; 9] = [
    "rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch",
];

impl ThemeVar {
    const fn colour(name: &'static str) -> ThemeVar {
        ThemeVar {
            name,
            kind: ThemeKind::Colour,
        }
    }

    /// The property of a name (`accent`, or `--simology-accent`).
    pub fn named(name: &str) -> Option<ThemeVar> {
        let name = name.strip_prefix("--simology-").unwrap_or(name);
        THEME_VARS.into_iter().find(|v| v.name == name)
    }

    /// `value` if this property may take it, trimmed, inner whitespace runs as one
    /// space and lower-cased except inside a font's quoted names; `None` otherwise.
    /// Nothing outside plain values passes: no `url()`, `var()`, `attr()`,
    /// `expression()`, no `;`, braces, backslashes or comments, so a value written into
    /// a stylesheet can neither load anything nor end its declaration.
    pub fn check(self, value: &str) -> Option<String> {
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        if value.is_empty() || value.len() > MAX_THEME_VALUE_LEN {
            return None;
        }
        match self.kind {
            ThemeKind::Colour => colour(&value.to_ascii_lowercase()),
            ThemeKind::Length => length(&value.to_ascii_lowercase()),
            ThemeKind::FontFamily => font_family(&value),
        }
    }
}

fn colour(value: &str) -> Option<String> {
    if let Some(hex) = value.strip_prefix('#') {
        let ok = matches!(hex.len(), 3 | 4 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit());
        return ok.then(|| value.to_owned());
    }
    if NAMED_COLOURS.contains(&value) {
        return Some(value.to_owned());
    }
    let (function, rest) = value.split_once('(')?;
    let arguments = rest.strip_suffix(')')?;
    if !COLOUR_FUNCTIONS.contains(&function.trim_end()) {
        return None;
    }
    // Plain numbers only: the units and keywords a colour's arguments take, then
    // nothing but digits and separators.
    let mut plain = arguments.to_owned();
    for word in ["deg", "grad", "rad", "turn", "none"] {
        plain = plain.replace(word, " ");
    }
    let ok = plain
        .bytes()
        .all(|b| b.is_ascii_digit() || b" .,%/+-e".contains(&b))
        && plain.bytes().any(|b| b.is_ascii_digit());
    ok.then(|| value.to_owned())
}

fn length(value: &str) -> Option<String> {
    let unit_at = value.find(|c: char| c.is_ascii_alphabetic() || c == '%')?;
    let (number, unit) = value.split_at(unit_at);
    let number: f64 = number.trim().parse().ok()?;
    let ok = ["px", "em", "rem", "%", "pt"].contains(&unit)
        && number.is_finite()
        && (0.0..=1000.0).contains(&number);
    ok.then(|| format!("{}{unit}", number_text(number)))
}

/// A number as CSS reads it: no exponent, at most 3 decimals.
fn number_text(n: f64) -> String {
    let text = format!("{n:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn font_family(value: &str) -> Option<String> {
    let mut names = Vec::new();
    for name in value.split(',') {
        let name = name.trim();
        let quoted = ['"', '\'']
            .iter()
            .find_map(|q| name.strip_prefix(*q).and_then(|n| n.strip_suffix(*q)));
        let inner = quoted.unwrap_or(name);
        let ok = !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-' || c == '_');
        if !ok {
            return None;
        }
        names.push(match quoted {
            Some(n) => format!("\"{n}\""),
            None => name.to_owned(),
        });
    }
    Some(names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, value: &str) -> Option<String> {
        ThemeVar::named(name)?.check(value)
    }

    #[test]
    fn colours_pass_and_anything_else_does_not() {
        for (given, kept) in [
            ("#E4572E", "#e4572e"),
            ("#fff", "#fff"),
            ("#11223344", "#11223344"),
            ("  RebeccaPurple ", "rebeccapurple"),
            ("rgb(228, 87, 46)", "rgb(228, 87, 46)"),
            ("rgb(228 87 46 / 50%)", "rgb(228 87 46 / 50%)"),
            ("hsl(120deg 40% 30%)", "hsl(120deg 40% 30%)"),
            ("oklch(0.7 0.1 200)", "oklch(0.7 0.1 200)"),
        ] {
            assert_eq!(check("accent", given).as_deref(), Some(kept), "{given}");
        }
        for bad in [
            "#ggg",
            "#12345",
            "url(https://evil.example/x.png)",
            "var(--x)",
            "red;background:url(x)",
            "red}body{display:none",
            "expression(alert(1))",
            "rgb(1,2,3);x:y",
            "rgb(calc(1+2),0,0)",
            "rgb()",
            "attr(data-x)",
            "image-set(\"x.png\" 1x)",
            "notacolour",
            "red /* x */",
            "\\72 ed",
        ] {
            assert_eq!(check("accent", bad), None, "{bad}");
        }
    }

    #[test]
    fn lengths_and_fonts() {
        assert_eq!(check("radius", "12px").as_deref(), Some("12px"));
        assert_eq!(check("radius", "0.75em").as_deref(), Some("0.75em"));
        assert_eq!(check("font-size", "1.125REM").as_deref(), Some("1.125rem"));
        for bad in [
            "12",
            "12vw",
            "-1px",
            "1e9px",
            "calc(1px + 2px)",
            "12px;x:y",
            "px",
        ] {
            assert_eq!(check("radius", bad), None, "{bad}");
        }
        assert_eq!(
            check("font", "Georgia, 'Times New Roman',serif").as_deref(),
            Some("Georgia, \"Times New Roman\", serif")
        );
        for bad in [
            "Georgia; color:red",
            "url(x)",
            "\"a\\\"b\"",
            "a,,b",
            "Comic Sans\"",
            "x{}",
        ] {
            assert_eq!(check("font", bad), None, "{bad}");
        }
        assert_eq!(check("--simology-accent", "red").as_deref(), Some("red"));
        assert_eq!(check("position", "absolute"), None);
        assert_eq!(check("accent", &"1".repeat(201)), None);
    }
}
