//! Minifies `style/widget.css` into `OUT_DIR` for the widget to embed: comments and
//! needless whitespace cost bytes in every page load.

use std::path::Path;

fn minify(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    // Comments.
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start + 2..]
            .split_once("*/")
            .map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    // Whitespace runs become one space, then none around punctuation that does not need it.
    let collapsed = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut min = collapsed;
    for p in ["{", "}", ";", ",", ">"] {
        min = min
            .replace(&format!(" {p}"), p)
            .replace(&format!("{p} "), p);
    }
    // A space after a colon is never needed (before one, it is a descendant selector).
    min.replace(": ", ":").replace(";}", "}")
}

fn main() {
    let src = Path::new("style/widget.css");
    println!("cargo:rerun-if-changed={}", src.display());
    let css =
        std::fs::read_to_string(src).unwrap_or_else(|e| panic!("reading {}: {e}", src.display()));
    let out =
        Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("widget.min.css");
    std::fs::write(&out, minify(&css)).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}
