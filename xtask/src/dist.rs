//! `cargo xtask dist`: the widget's files for a CDN, in `dist/`:
//! `simology-esim.js` (the loader, with both modules' wasm-bindgen glue, the
//! pre-render, the stylesheet and the pre-render's words inside: one script for
//! partners to include), the two wasm modules (`simology-esim-picker.wasm`,
//! `simology-esim-status.wasm`; see `src/loader.rs`), and `integrity.json` with the
//! sha384 hashes (partners pin the script's; the script pins the modules'), and the
//! embed builder (`builder.html`, `builder.js`, `builder.css`, from `builder/`: bloggers
//! choose, preview and copy their two lines, with the script's hash).

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
                "shop_unavailable": t.shop_unavailable,
                "plans_for": t.plans_for,
                "change_destination": t.change_destination,
                "sort_label": t.sort_label,
                "sort_price": t.sort_price,
                "sort_data": t.sort_data,
                "sort_validity": t.sort_validity,
                "scope_own": t.scope_own,
                "scope_regional": t.scope_regional,
                "best_value": t.best_value,
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
        bail!("the file must hold {marker} exactly once");
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

/// The wasm features the modules use: what `index.html` enables for wasm-opt.
const WASM_FEATURES: [&str; 5] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-sign-ext",
    "--enable-mutable-globals",
];

/// Whether `c` can be part of a JavaScript identifier (ASCII; the glue's are).
fn ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// The byte offsets of `word` in `text` where it is a whole identifier, after `prefix`.
fn occurrences(text: &str, prefix: &str, word: &str) -> Vec<usize> {
    let needle = format!("{prefix}{word}");
    text.match_indices(&needle)
        .map(|(at, _)| at)
        .filter(|&at| {
            let before = text[..at].chars().next_back();
            let after = text[at + needle.len()..].chars().next();
            !before.is_some_and(ident) && !after.is_some_and(ident)
        })
        .collect()
}

/// `text` with `prefix + old` replaced by `prefix + new` where `old` is a whole
/// identifier; also how many were replaced.
fn rename(text: &str, prefix: &str, old: &str, new: &str) -> (String, usize) {
    let found = occurrences(text, prefix, old);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for at in &found {
        out.push_str(&text[last..at + prefix.len()]);
        out.push_str(new);
        last = at + prefix.len() + old.len();
    }
    out.push_str(&text[last..]);
    (out, found.len())
}

/// The glue with the names binaryen's `--minify-imports-and-exports-and-modules` gave
/// (its printed `mapping`): each import, a key of the glue's import object, and each
/// export the glue calls as `wasm.name`; the one import module becomes `"a"`.
///
/// # Errors
/// When the glue does not hold the names as wasm-bindgen writes them (a changed glue
/// must fail here, not in a browser).
pub fn rename_glue(glue: &str, mapping: &Value) -> Result<String> {
    let pairs = |key: &str| -> Result<Vec<Vec<String>>> {
        serde_json::from_value(mapping[key].clone())
            .with_context(|| format!("wasm-opt's mapping has no {key} list"))
    };
    let mut out = glue.to_owned();
    let mut modules: Vec<String> = Vec::new();
    for import in pairs("imports")? {
        let [module, old, new] = import.as_slice() else {
            bail!("an import mapping of {} names", import.len());
        };
        let (renamed, n) = rename(&out, "", old, new);
        let key = occurrences(&out, "", old)
            .first()
            .is_some_and(|&at| out[at + old.len()..].starts_with(": function"));
        if n != 1 || !key {
            bail!("the glue names the import {old} {n} times, not once as a function key");
        }
        out = renamed;
        if !modules.contains(module) {
            modules.push(module.clone());
        }
    }
    let [module] = modules.as_slice() else {
        bail!("the wasm imports from {} modules, not one", modules.len());
    };
    let key = format!("{}:", json!(module));
    if out.matches(&key).count() != 1 {
        bail!("the glue does not name the import module {module} once");
    }
    out = out.replace(&key, "\"a\":");
    for export in pairs("exports")? {
        let [old, new] = export.as_slice() else {
            bail!("an export mapping of {} names", export.len());
        };
        out = rename(&out, "wasm.", old, new).0;
    }
    Ok(out)
}

/// The glue without the classes that nothing can create, and the wasm exports that
/// only those classes call.
///
/// wasm-bindgen exports every `#[wasm_bindgen]` struct of every dependency, used or
/// not: leptos depends on server_fn, whose `browser` feature brings wasm-streams and
/// its three stream adapters (13 exports and their code, kept alive by the exports
/// alone, and three classes in each glue). The glue makes a Rust object reachable from
/// JavaScript only through a class's `constructor` or its `__wrap` (an import that
/// returns one): a class with neither is never instantiated, so it, its
/// `FinalizationRegistry` and the exports it calls can go. About 1 KB of brotli in the
/// picker module.
///
/// # Errors
/// When the glue's classes are not written as this wasm-bindgen writes them (a changed
/// glue must fail here, not in a browser).
pub fn drop_dead_classes(glue: &str) -> Result<(String, Vec<String>)> {
    let mut out = glue.to_owned();
    let mut exports = Vec::new();
    let names: Vec<String> = glue
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("class "))
        .filter_map(|rest| rest.strip_suffix(" {"))
        .map(str::to_owned)
        .collect();
    for name in names {
        let start = out
            .find(&format!("    class {name} {{\n"))
            .with_context(|| format!("the glue's class {name} is not indented as expected"))?;
        let export_line = format!("    exports.{name} = {name};\n");
        let end = out[start..]
            .find(&export_line)
            .map(|at| start + at + export_line.len())
            .with_context(|| format!("the glue does not export its class {name}"))?;
        let block = &out[start..end];
        let rest = format!("{}{}", &out[..start], &out[end..]);
        if block.contains("constructor(")
            || rest.contains(&format!("{name}.__wrap("))
            || rest.contains(&format!("new {name}("))
        {
            continue;
        }
        let registry = format!("    const {name}Finalization = ");
        let (reg_start, reg_end) = match rest.find(&registry) {
            Some(at) => {
                let len = rest[at..]
                    .find(");\n")
                    .with_context(|| format!("{name}Finalization has no end"))?;
                (at, at + len + 3)
            }
            None => (0, 0),
        };
        let dead = format!("{block}{}", &rest[reg_start..reg_end]);
        let remaining = format!("{}{}", &rest[..reg_start], &rest[reg_end..]);
        if remaining.contains(&name) {
            bail!("the glue names its class {name} outside the class");
        }
        for (at, _) in dead.match_indices("wasm.") {
            let called: String = dead[at + 5..].chars().take_while(|&c| ident(c)).collect();
            if remaining.contains(&format!("wasm.{called}(")) {
                bail!("the export {called} is called by the class {name} and elsewhere");
            }
            if !exports.contains(&called) {
                exports.push(called);
            }
        }
        out = remaining;
    }
    Ok((out, exports))
}

/// Shortens the names by which a module and its glue call each other (145 imports
/// like `__wbg_createElement_de4a31ed2fb252be`, each in the wasm's import section
/// and again in the glue, their hashes incompressible) to one or two letters:
/// binaryen's pass renames them in the wasm and prints the mapping, [`rename_glue`]
/// applies it to the glue. About 3 KB of brotli per page. The exports of the classes
/// nothing creates ([`drop_dead_classes`]) go first, with the code only they reach.
fn minify_names(root: &Path, name: &str, glue: &str, wasm: &[u8]) -> Result<(String, Vec<u8>)> {
    let dir = root.join("target/dist-tmp");
    fs::create_dir_all(&dir)?;
    let input = dir.join(format!("{name}.wasm"));
    let output = dir.join(format!("{name}.min.wasm"));
    fs::write(&input, wasm)?;
    let (glue, dead) = drop_dead_classes(glue)?;
    let mut opt = Command::new("wasm-opt");
    opt.arg(&input).args(WASM_FEATURES);
    if !dead.is_empty() {
        opt.arg("--remove-exports")
            .arg(format!("--pass-arg=remove-exports@{}", dead.join(",")))
            .arg("--remove-unused-module-elements");
    }
    let out = opt
        .arg("--minify-imports-and-exports-and-modules")
        .arg("-o")
        .arg(&output)
        .output()
        .context("running wasm-opt")?;
    if !out.status.success() {
        bail!(
            "wasm-opt --minify-imports-and-exports-and-modules failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mapping: Value =
        serde_json::from_slice(&out.stdout).context("reading wasm-opt's name mapping")?;
    let glue = rename_glue(&glue, &mapping)?;
    let wasm = fs::read(&output).with_context(|| format!("reading {}", output.display()))?;
    Ok((glue, wasm))
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
        let (glue, wasm) = minify_names(&root, name, &glue, &wasm)?;
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
         <simology-esim proxy=\"https://YOUR-PROXY\" country=\"US\"></simology-esim>\n\
         <!-- Optional, in <head>, for a faster first visit (see the README): -->\n\
         <link rel=\"preconnect\" href=\"https://YOUR-CDN\" crossorigin>\n\
         <link rel=\"preconnect\" href=\"https://YOUR-PROXY\" crossorigin>\n"
    );
    write(&dir.join("embed.html"), snippet.as_bytes())?;
    // The embed builder: a static page beside the script, which it loads with its hash.
    let builder = read("builder/builder.html")?;
    write(
        &dir.join("builder.html"),
        fill_once(&builder, "{{INTEGRITY}}", &script_integrity)?.as_bytes(),
    )?;
    for file in ["builder.js", "builder.css"] {
        write(
            &dir.join(file),
            read(&format!("builder/{file}"))?.as_bytes(),
        )?;
    }
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
    fn classes_nothing_creates_go_with_their_exports() {
        let glue = "let wasm_bindgen = (function(exports) {
    class Dead {
        free() {
            const ptr = this.__destroy_into_raw();
            wasm.__wbg_dead_free(ptr, 0);
        }
        pull(c) {
            return wasm.dead_pull(this.__wbg_ptr, c);
        }
    }
    if (Symbol.dispose) Dead.prototype[Symbol.dispose] = Dead.prototype.free;
    exports.Dead = Dead;

    class Made {
        static __wrap(ptr) {
            return wasm.made_get(ptr);
        }
    }
    exports.Made = Made;

    function mount() {
        wasm.mount();
        return Made.__wrap(1);
    }
    const DeadFinalization = (typeof FinalizationRegistry === 'undefined')
        ? { register: () => {}, unregister: () => {} }
        : new FinalizationRegistry(ptr => wasm.__wbg_dead_free(ptr, 1));
    const MadeFinalization = (typeof FinalizationRegistry === 'undefined')
        ? { register: () => {}, unregister: () => {} }
        : new FinalizationRegistry(ptr => wasm.__wbg_made_free(ptr, 1));
})";
        let (out, exports) = drop_dead_classes(glue).expect("drops");
        assert_eq!(exports, ["__wbg_dead_free", "dead_pull"]);
        assert!(!out.contains("Dead"), "{out}");
        assert!(out.contains("class Made {") && out.contains("MadeFinalization = "));
        assert!(out.contains("wasm.mount();") && out.contains("wasm.made_get(ptr)"));
        // An export that a dead class shares with living code is a changed glue.
        let shared = glue.replace("wasm.mount();", "wasm.dead_pull(0, 0);");
        assert!(drop_dead_classes(&shared).is_err());
        // A class the glue constructs stays.
        let built = glue.replace("wasm.mount();", "new Dead();");
        let (out, exports) = drop_dead_classes(&built).expect("keeps");
        assert!(out.contains("class Dead {") && exports.is_empty());
    }

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
    fn the_glue_takes_the_short_names() {
        let glue = "const import0 = {\n  __wbg_fetch_0123: function(a) { return wasm.__wbindgen_malloc(a); },\n  \
                    __wbg_fetch_01234: function() {},\n};\nreturn { \"./m_bg.js\": import0 };\n\
                    function mount() { wasm.mount(); wasm.mountain(); } exports.mount = mount;";
        let mapping = json!({
            "imports": [["./m_bg.js", "__wbg_fetch_0123", "a"], ["./m_bg.js", "__wbg_fetch_01234", "b"]],
            "exports": [["mount", "c"], ["__wbindgen_malloc", "d"]],
        });
        let out = rename_glue(glue, &mapping).expect("renames");
        assert!(
            out.contains("  a: function(a) { return wasm.d(a); },"),
            "{out}"
        );
        assert!(out.contains("  b: function() {},"), "{out}");
        assert!(out.contains("return { \"a\": import0 };"), "{out}");
        // Only `wasm.` calls are the wasm's exports; the glue's own names stay.
        assert!(
            out.contains("function mount() { wasm.c(); wasm.mountain(); } exports.mount = mount;"),
            "{out}"
        );
        // A name the glue does not hold as a key, or a second module, is refused.
        let missing = json!({"imports": [["./m_bg.js", "__wbg_gone_1", "a"]], "exports": []});
        assert!(rename_glue(glue, &missing).is_err());
        let two = json!({
            "imports": [["./m_bg.js", "__wbg_fetch_0123", "a"], ["other", "__wbg_fetch_01234", "b"]],
            "exports": [],
        });
        assert!(rename_glue(glue, &two).is_err());
    }

    #[test]
    fn css_loses_comments_and_whitespace() {
        assert_eq!(
            minify_css("/* x */\n.a > .b ,\n.c {\n  color : red;\n  margin: 0 auto;\n}\n"),
            ".a>.b,.c{color :red;margin:0 auto}"
        );
    }

    /// The names of the words `loader/` reads: `t.name` in the pre-render, and
    /// `WORDS[...].name` in the loader.
    fn words_read_by_the_loader() -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../loader");
        let read = |file: &str| fs::read_to_string(root.join(file)).expect("the loader's source");
        let name = |rest: &str| -> String {
            rest.chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect()
        };
        let mut names = Vec::new();
        let prerender = read("prerender.js");
        for (at, _) in prerender.match_indices("t.") {
            let before = prerender[..at].chars().next_back();
            if before.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')) {
                names.push(name(&prerender[at + 2..]));
            }
        }
        let loader = read("simology-esim.js");
        for (at, _) in loader.match_indices("WORDS[") {
            let rest = &loader[at..];
            if let Some(dot) = rest
                .find(']')
                .and_then(|end| rest[end + 1..].strip_prefix('.'))
            {
                names.push(name(dot));
            }
        }
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn the_loader_reads_only_words_it_is_given() {
        let names = words_read_by_the_loader();
        assert!(
            names.len() > 10 && names.iter().any(|n| n == "shop_unavailable"),
            "{names:?}"
        );
        let words = words();
        for lang in Lang::ALL {
            for name in &names {
                assert!(
                    words[lang.tag()].get(name).is_some_and(|v| !v.is_null()),
                    "{} has no word {name:?}",
                    lang.tag()
                );
            }
        }
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
