//! `cargo xtask dist`: the widget's files for a CDN, in `dist/`:
//! `simology-esim.js` (the loader, with both modules' wasm-bindgen glue, the
//! pre-render, the stylesheet and the pre-render's words inside: one script for
//! partners to include), the two wasm modules (`simology-esim-picker.wasm`,
//! `simology-esim-status.wasm`; see `src/loader.rs`), and `integrity.json` with the
//! sha384 hashes (partners pin the script's; the script pins the modules').

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use base64::Engine;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha384};
use simology_widget_core::i18n::Lang;

use crate::tools;

/// The widget's wasm modules, each the widget crate built with the cargo feature of
/// that name: the loader opens a page on one and switches when the traveller moves
/// to a screen of the other.
pub const MODULES: [&str; 2] = ["picker", "status"];

/// The file of a module in `dist/`.
pub fn wasm_file(module: &str) -> String {
    format!("simology-esim-{module}.wasm")
}

/// `sha384-<base64>` of some bytes, as Subresource Integrity writes it.
pub fn sri(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

/// One module as trunk built it.
pub struct Module {
    pub name: &'static str,
    /// wasm-bindgen's no-modules glue.
    pub glue: String,
    /// Its `sha384-...`.
    pub integrity: String,
}

/// Minifies CSS: comments and needless whitespace cost bytes in every page load.
pub fn minify_css(css: &str) -> String {
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

/// The region slugs the widget names in its own words (`Strings::region`).
const REGIONS: [&str; 7] = [
    "western-europe",
    "europe",
    "north-america",
    "asia",
    "latin-america",
    "middle-east",
    "global",
];

/// The words of the picker's first screen in every language, from the widget's own
/// translations, for the loader's pre-render: `{"en": {"choose": "Choose", ...}}`.
pub fn words() -> Value {
    let mut all = Map::new();
    for lang in Lang::ALL {
        let t = lang.strings();
        let regions: Map<String, Value> = REGIONS
            .iter()
            .filter_map(|slug| Some(((*slug).to_owned(), json!(t.region(slug)?))))
            .collect();
        all.insert(
            lang.tag().to_owned(),
            json!({
                "widget_label": t.widget_label,
                "plans_for": t.plans_for,
                "change_destination": t.change_destination,
                "sort_label": t.sort_label,
                "sort_price": t.sort_price,
                "sort_data": t.sort_data,
                "sort_validity": t.sort_validity,
                "country_plans": t.country_plans,
                "regional_plans": t.regional_plans,
                "covers_countries": t.covers_countries,
                "days_one": t.days_one,
                "days_many": t.days_many,
                "choose": t.choose,
                "sold_out": t.sold_out,
                "regions": regions,
            }),
        );
    }
    Value::Object(all)
}

/// Fills `marker` in `text`, which must hold it exactly once.
fn fill_once(text: &str, marker: &str, value: &str) -> Result<String> {
    if text.matches(marker).count() != 1 {
        bail!("the loader must hold {marker} exactly once");
    }
    Ok(text.replace(marker, value))
}

/// The loader with everything it needs, in one function scope: each module's glue in
/// a function of its own (each declares `wasm_bindgen`; the loader runs it when it
/// loads that module, so a page pays for compiling only the glue it uses), the
/// pre-render, the stylesheet and the words.
pub fn bundle(
    loader: &str,
    prerender: &str,
    modules: &[Module],
    css: &str,
    words: &Value,
) -> Result<String> {
    let mut table = String::from("{\n");
    for m in modules {
        if !m.glue.contains("let wasm_bindgen") {
            bail!(
                "the wasm-bindgen glue is not the no-modules kind (data-bindgen-target in index.html)"
            );
        }
        table.push_str(&format!(
            "{}: {{\nglue: function () {{\n{}\nreturn wasm_bindgen;\n}},\nwasm: {},\nintegrity: {}\n}},\n",
            m.name,
            m.glue,
            json!(wasm_file(m.name)),
            json!(m.integrity)
        ));
    }
    table.push('}');
    let body = fill_once(loader, "/*__MODULES__*/", &table)?;
    let body = fill_once(&body, "/*__CSS__*/", &json!(css).to_string())?;
    let body = fill_once(&body, "/*__WORDS__*/", &words.to_string())?;
    Ok(format!(
        "(function () {{\n\"use strict\";\n{prerender}\n{body}\n}})();\n"
    ))
}

/// The bundle minified by terser (from npm, pinned in `xtask/js`): a third of the
/// script's brotli size, the glue's long names being most of it. Property names stay,
/// since the glue's import object is read by name by the wasm.
fn minify(root: &Path, script: &str) -> Result<String> {
    let tools = root.join("xtask/js");
    tools::ensure_npm(&tools)?;
    let dir = root.join("target/dist-tmp");
    fs::create_dir_all(&dir)?;
    let input = dir.join("bundle.js");
    let output = dir.join("bundle.min.js");
    fs::write(&input, script)?;
    tools::run(
        Command::new("node")
            .arg(tools.join("node_modules/terser/bin/terser"))
            .arg(&input)
            .args([
                "--compress",
                "passes=2",
                "--mangle",
                "--comments",
                "false",
                "--output",
            ])
            .arg(&output),
    )?;
    let minified = fs::read_to_string(&output).context("reading terser's output")?;
    if minified.is_empty() || minified.len() >= script.len() {
        bail!(
            "terser gave {} bytes for {} bytes of script",
            minified.len(),
            script.len()
        );
    }
    Ok(minified)
}

/// Builds one module with trunk (the widget crate with only that module's feature)
/// into `target/trunk/<name>/`; returns its glue and wasm.
fn build_module(root: &Path, name: &str) -> Result<(String, Vec<u8>)> {
    let out = root.join("target/trunk").join(name);
    tools::run(
        Command::new("trunk")
            .args(["build", "--release", "--offline", "--no-default-features"])
            .args(["--features", name, "--dist"])
            .arg(&out)
            .current_dir(root),
    )?;
    let glue_path = out.join("simology-widget-web.js");
    let wasm_path = out.join("simology-widget-web_bg.wasm");
    let glue = fs::read_to_string(&glue_path)
        .with_context(|| format!("reading {}", glue_path.display()))?;
    let wasm = fs::read(&wasm_path).with_context(|| format!("reading {}", wasm_path.display()))?;
    Ok((glue, wasm))
}

/// Builds `dist/`: both modules with trunk, then the loader bundle, minified.
///
/// # Errors
/// When a tool is missing and cannot be installed, or the build fails.
pub fn build() -> Result<PathBuf> {
    tools::ensure_widget()?;
    let root = tools::workspace_root()?;
    let dir = root.join("dist");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    let mut modules = Vec::new();
    let mut hashes = Map::new();
    for name in MODULES {
        let (glue, wasm) = build_module(&root, name)?;
        let integrity = sri(&wasm);
        write(&dir.join(wasm_file(name)), &wasm)?;
        hashes.insert(wasm_file(name), json!(integrity));
        println!("{}: {} bytes", wasm_file(name), wasm.len());
        modules.push(Module {
            name,
            glue,
            integrity,
        });
    }
    let read =
        |path: &str| fs::read_to_string(root.join(path)).with_context(|| format!("reading {path}"));
    let script = minify(
        &root,
        &bundle(
            &read("loader/simology-esim.js")?,
            &read("loader/prerender.js")?,
            &modules,
            &minify_css(&read("style/widget.css")?),
            &words(),
        )?,
    )?;
    let script_integrity = sri(script.as_bytes());
    write(&dir.join("simology-esim.js"), script.as_bytes())?;
    hashes.insert("simology-esim.js".into(), json!(script_integrity));
    let integrity = serde_json::to_string_pretty(&Value::Object(hashes))? + "\n";
    write(&dir.join("integrity.json"), integrity.as_bytes())?;
    let snippet = format!(
        "<script src=\"https://YOUR-CDN/simology-esim.js\" integrity=\"{script_integrity}\" crossorigin=\"anonymous\" async></script>\n\
         <simology-esim proxy=\"https://YOUR-PROXY\" country=\"US\"></simology-esim>\n"
    );
    write(&dir.join("embed.html"), snippet.as_bytes())?;
    println!(
        "dist/ ready: simology-esim.js ({} bytes) and {}",
        script.len(),
        MODULES.map(wasm_file).join(", ")
    );
    println!("embed with:\n{snippet}");
    Ok(dir)
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sri_matches_a_known_value() {
        // `printf abc | openssl dgst -sha384 -binary | base64`
        assert_eq!(
            sri(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }

    #[test]
    fn bundle_scopes_each_glue_and_fills_the_markers() {
        let modules = [
            Module {
                name: "picker",
                glue: "let wasm_bindgen = 1;".into(),
                integrity: "sha384-p".into(),
            },
            Module {
                name: "status",
                glue: "let wasm_bindgen = 2;".into(),
                integrity: "sha384-s".into(),
            },
        ];
        let loader = "var M = /*__MODULES__*/; var C = /*__CSS__*/; var W = /*__WORDS__*/;";
        let out = bundle(
            loader,
            "function prerender() {}",
            &modules,
            "a{b:\"c\"}",
            &json!({"en": {}}),
        )
        .expect("bundles");
        assert!(out.starts_with("(function () {"), "{out}");
        assert!(out.trim_end().ends_with("})();"), "{out}");
        assert!(out.contains("function prerender() {}"), "{out}");
        for expected in [
            "picker: {\nglue: function () {\nlet wasm_bindgen = 1;\nreturn wasm_bindgen;\n},\nwasm: \"simology-esim-picker.wasm\",\nintegrity: \"sha384-p\"",
            "let wasm_bindgen = 2;",
            "\"sha384-s\"",
            "var C = \"a{b:\\\"c\\\"}\";",
            "var W = {\"en\":{}};",
        ] {
            assert!(out.contains(expected), "{expected} missing from {out}");
        }
        // A loader without a marker, or a glue of the wrong kind, is refused.
        assert!(bundle("/*__MODULES__*/", "", &modules, "", &json!({})).is_err());
        let es = [Module {
            name: "picker",
            glue: "export default 1".into(),
            integrity: String::new(),
        }];
        assert!(bundle(loader, "", &es, "", &json!({})).is_err());
    }

    #[test]
    fn css_loses_comments_and_whitespace() {
        assert_eq!(
            minify_css("/* x */\n.a > .b ,\n.c {\n  color : red;\n  margin: 0 auto;\n}\n"),
            ".a>.b,.c{color :red;margin:0 auto}"
        );
    }

    #[test]
    fn the_words_are_the_widgets_own_in_every_language() {
        let words = words();
        assert_eq!(words["en"]["choose"], "Choose");
        assert_eq!(words["fr"]["choose"], Lang::Fr.strings().choose);
        assert_eq!(
            words["de"]["regions"]["asia"],
            Lang::De.strings().region_asia
        );
        for lang in Lang::ALL {
            let w = &words[lang.tag()];
            assert_eq!(w["regions"].as_object().map(Map::len), Some(REGIONS.len()));
            assert!(w
                .as_object()
                .is_some_and(|o| o.values().all(|v| !v.is_null())));
        }
    }
}
