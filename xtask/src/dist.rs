//! `cargo xtask dist`: the widget's files for a CDN, in `dist/`:
//! - `simology-esim.js`: the host script partners include with one tag (the element,
//!   its frame, the frame's size and public events; the words of its one message);
//! - `simology-esim-frame.js`: the few lines the frame runs before its wasm;
//! - the three wasm modules (`simology-esim-picker.wasm`, `simology-esim-checkout.wasm`,
//!   `simology-esim-status.wasm`; see `src/loader.rs`), each with its wasm-bindgen glue
//!   (`simology-esim-picker.js`, ...);
//! - `simology-esim.css` and `simology-esim-status.css`: the widget's stylesheet,
//!   minified, in two: both modules' and the status module's only; the proxy puts them
//!   in the frame's document (the second only in an order's);
//! - `integrity.json`: the widget's version and every file's sha384 (partners pin the
//!   host script's; the proxy pins the frame's scripts and modules with theirs);
//! - the embed builder (`builder.html`, `builder.js`, `builder.css`, from `builder/`:
//!   bloggers choose, preview and copy their two lines, with the script's hash).
//!
//! The proxy reads this folder (`PROXY_WIDGET_DIR`) and points the frame at the
//! address it is published under (`PROXY_WIDGET_URL`).

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
/// that name: the frame opens on one and switches when the traveller moves to a
/// screen of another.
pub const MODULES: [&str; 3] = ["picker", "checkout", "status"];

/// The file of a module in `dist/`.
pub fn wasm_file(module: &str) -> String {
    format!("simology-esim-{module}.wasm")
}

/// The file of a module's glue in `dist/`.
pub fn glue_file(module: &str) -> String {
    format!("simology-esim-{module}.js")
}

/// The host script.
pub const HOST_SCRIPT: &str = "simology-esim.js";
/// The frame's script.
pub const FRAME_SCRIPT: &str = "simology-esim-frame.js";
/// The stylesheet of both modules.
pub const STYLESHEET: &str = "simology-esim.css";
/// The status module's own stylesheet.
pub const STATUS_STYLESHEET: &str = "simology-esim-status.css";

/// The line of `style/widget.css` after which its rules are the status module's only.
const STATUS_MARKER: &str = "/* --- status ---";

/// `style/widget.css` as its two stylesheets, minified: both modules', and the status
/// module's only (after [`STATUS_MARKER`]).
///
/// # Errors
/// When the marker is not there exactly once.
pub fn stylesheets(css: &str) -> Result<(String, String)> {
    let [shared, status] = css.split(STATUS_MARKER).collect::<Vec<_>>()[..] else {
        bail!("style/widget.css must hold the line {STATUS_MARKER:?} exactly once");
    };
    Ok((minify_css(shared), minify_css(&format!("/*{status}"))))
}

/// `sha384-<base64>` of some bytes, as Subresource Integrity writes it.
pub fn sri(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

/// One module as the frame loads it.
pub struct Module {
    pub name: &'static str,
    /// Its wasm's `sha384-...`.
    pub integrity: String,
    /// Its glue's (see [`wrap_glue`]).
    pub glue_integrity: String,
    /// Its own stylesheet and that's hash, when it has one.
    pub css: Option<(String, String)>,
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

/// The host script's words in every language, from the widget's own translations: the
/// frame's title and the message it shows when the frame cannot load.
pub fn words() -> Value {
    let mut all = Map::new();
    for lang in Lang::ALL {
        let t = lang.strings();
        all.insert(
            lang.tag().to_owned(),
            json!({
                "widget_label": t.widget_label,
                "shop_unavailable": t.shop_unavailable,
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

/// The host script with its words and the names of the theme properties that cross
/// the frame (`simology_proxy_api::THEME_VARS`).
pub fn host_script(source: &str, words: &Value) -> Result<String> {
    let theme: Vec<&str> = simology_proxy_api::THEME_VARS
        .iter()
        .map(|v| v.name)
        .collect();
    let script = fill_once(source, "/*__WORDS__*/", &words.to_string())?;
    fill_once(&script, "/*__THEME__*/", &json!(theme).to_string())
}

/// The frame's script with each module's files and hashes.
pub fn frame_script(source: &str, modules: &[Module]) -> Result<String> {
    let mut table = Map::new();
    for m in modules {
        let mut entry = json!({
            "glue": glue_file(m.name),
            "glue_integrity": m.glue_integrity,
            "wasm": wasm_file(m.name),
            "integrity": m.integrity,
        });
        if let Some((css, css_integrity)) = &m.css {
            entry["css"] = json!(css);
            entry["css_integrity"] = json!(css_integrity);
        }
        table.insert(m.name.to_owned(), entry);
    }
    fill_once(source, "/*__MODULES__*/", &Value::Object(table).to_string())
}

/// A module's no-modules glue in a function scope of its own that registers it in
/// the frame's `simologyModules` under its name: wasm-bindgen's glue declares a global
/// `wasm_bindgen`, and the frame may load both modules.
pub fn wrap_glue(name: &str, glue: &str) -> Result<String> {
    if !glue.contains("let wasm_bindgen") {
        bail!(
            "the wasm-bindgen glue is not the no-modules kind (data-bindgen-target in index.html)"
        );
    }
    Ok(format!(
        "(function () {{\n\"use strict\";\n{glue}\n(self.simologyModules = self.simologyModules || {{}})[{}] = wasm_bindgen;\n}})();\n",
        json!(name)
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
/// nothing creates ([`drop_dead_classes`]) go first, with the code only they reach,
/// and the module is optimised again (-Oz) without them.
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
    // -Oz once more, now that the dead exports went: what only they kept alive, and
    // the inlining and folding it stood in the way of (about 0.5 KB of brotli in the
    // picker module, over trunk's -Oz before them).
    let out = opt
        .args(["--low-memory-unused", "-Oz"])
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

/// Builds `dist/`: both modules with trunk, their glues, the frame's and the host's
/// scripts (minified), the stylesheet and `integrity.json`.
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
    hashes.insert("version".into(), json!(simology_proxy_api::WIDGET_VERSION));
    let mut publish = |name: &str, bytes: &[u8]| -> Result<String> {
        let integrity = sri(bytes);
        write(&dir.join(name), bytes)?;
        hashes.insert(name.to_owned(), json!(integrity));
        Ok(integrity)
    };
    let read =
        |path: &str| fs::read_to_string(root.join(path)).with_context(|| format!("reading {path}"));
    let (shared_css, status_css) = stylesheets(&read("style/widget.css")?)?;
    publish(STYLESHEET, shared_css.as_bytes())?;
    let status_css_integrity = publish(STATUS_STYLESHEET, status_css.as_bytes())?;
    for name in MODULES {
        let (glue, wasm) = build_module(&root, name)?;
        let (glue, wasm) = minify_names(&root, name, &glue, &wasm)?;
        let integrity = publish(&wasm_file(name), &wasm)?;
        let glue = minify(&root, &wrap_glue(name, &glue)?)?;
        let glue_integrity = publish(&glue_file(name), glue.as_bytes())?;
        println!(
            "{}: {} bytes, glue {} bytes",
            wasm_file(name),
            wasm.len(),
            glue.len()
        );
        modules.push(Module {
            name,
            integrity,
            glue_integrity,
            css: (name == "status")
                .then(|| (STATUS_STYLESHEET.to_owned(), status_css_integrity.clone())),
        });
    }
    let frame = minify(&root, &frame_script(&read("loader/frame.js")?, &modules)?)?;
    publish(FRAME_SCRIPT, frame.as_bytes())?;
    let script = minify(
        &root,
        &host_script(&read("loader/simology-esim.js")?, &words())?,
    )?;
    let script_integrity = publish(HOST_SCRIPT, script.as_bytes())?;
    let integrity = serde_json::to_string_pretty(&Value::Object(hashes))? + "\n";
    write(&dir.join("integrity.json"), integrity.as_bytes())?;
    let snippet = format!(
        "<script src=\"https://YOUR-CDN/simology-esim.js\" integrity=\"{script_integrity}\" crossorigin=\"anonymous\" async></script>\n\
         <simology-esim proxy=\"https://YOUR-PROXY\" country=\"US\"></simology-esim>\n\
         <!-- Optional, in <head>, for a faster first visit (see docs/embedding.md): -->\n\
         <link rel=\"preconnect\" href=\"https://YOUR-PROXY\">\n"
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
        "dist/ ready: {HOST_SCRIPT} ({} bytes), {FRAME_SCRIPT} ({} bytes) and {}",
        script.len(),
        frame.len(),
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
    fn each_glue_is_scoped_and_registered_under_its_name() {
        let out = wrap_glue("picker", "let wasm_bindgen = 1;").expect("wraps");
        assert!(out.starts_with("(function () {"), "{out}");
        assert!(out.trim_end().ends_with("})();"), "{out}");
        assert!(
            out.contains(
                "(self.simologyModules = self.simologyModules || {})[\"picker\"] = wasm_bindgen;"
            ),
            "{out}"
        );
        // A glue of the wrong kind is refused.
        assert!(wrap_glue("picker", "export default 1").is_err());
    }

    #[test]
    fn the_frame_script_names_each_modules_files_and_hashes() {
        let modules = [
            Module {
                name: "picker",
                integrity: "sha384-p".into(),
                glue_integrity: "sha384-pg".into(),
                css: None,
            },
            Module {
                name: "status",
                integrity: "sha384-s".into(),
                glue_integrity: "sha384-sg".into(),
                css: Some(("s.css".into(), "sha384-sc".into())),
            },
        ];
        let out = frame_script("var M = /*__MODULES__*/;", &modules).expect("fills");
        let table: Value =
            serde_json::from_str(out.trim_start_matches("var M = ").trim_end_matches(';'))
                .expect("json");
        assert_eq!(table["picker"]["wasm"], "simology-esim-picker.wasm");
        assert_eq!(table["picker"]["glue"], "simology-esim-picker.js");
        assert_eq!(table["status"]["integrity"], "sha384-s");
        assert_eq!(table["status"]["glue_integrity"], "sha384-sg");
        assert_eq!(table["status"]["css"], "s.css");
        assert_eq!(table["picker"].get("css"), None);
        assert!(frame_script("no marker", &modules).is_err());
    }

    #[test]
    fn the_host_script_gets_its_words_and_the_theme_properties() {
        let out = host_script(
            "var W = /*__WORDS__*/; var T = /*__THEME__*/;",
            &json!({"en": {}}),
        )
        .expect("fills");
        assert!(out.contains("var W = {\"en\":{}};"), "{out}");
        assert!(
            out.contains("\"accent\"") && out.contains("\"font-size\""),
            "{out}"
        );
        assert!(host_script("/*__WORDS__*/", &json!({})).is_err());
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
    fn the_stylesheet_splits_at_its_marker() {
        let (shared, status) =
            stylesheets(".a { x: 1; }\n/* --- status --- only the order's */\n.b { y: 2; }\n")
                .expect("splits");
        assert_eq!((shared.as_str(), status.as_str()), (".a{x:1}", ".b{y:2}"));
        assert!(stylesheets(".a{}").is_err());
        let widget =
            fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../style/widget.css"))
                .expect("the widget's stylesheet");
        let (shared, status) = stylesheets(&widget).expect("marked once");
        assert!(
            shared.contains(".plan-card") && shared.contains(".pay{"),
            "{shared:.200}"
        );
        assert!(
            status.contains(".qr") && !status.contains(".plan-card"),
            "{status:.200}"
        );
    }

    #[test]
    fn css_loses_comments_and_whitespace() {
        assert_eq!(
            minify_css("/* x */\n.a > .b ,\n.c {\n  color : red;\n  margin: 0 auto;\n}\n"),
            ".a>.b,.c{color :red;margin:0 auto}"
        );
    }

    /// The names of the words the host script reads: `WORDS[...].name`.
    fn words_read_by_the_host_script() -> Vec<String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../loader/simology-esim.js");
        let script = fs::read_to_string(path).expect("the host script's source");
        let mut names = Vec::new();
        for (at, _) in script.match_indices("WORDS[") {
            let rest = &script[at..];
            if let Some(dot) = rest
                .find(']')
                .and_then(|end| rest[end + 1..].strip_prefix('.'))
            {
                names.push(
                    dot.chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect(),
                );
            }
        }
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn the_host_script_reads_only_words_it_is_given() {
        let names = words_read_by_the_host_script();
        assert_eq!(names, ["shop_unavailable", "widget_label"]);
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
        assert_eq!(words["en"]["widget_label"], Lang::En.strings().widget_label);
        assert_eq!(
            words["fr"]["shop_unavailable"],
            Lang::Fr.strings().shop_unavailable
        );
        assert_eq!(words.as_object().map(Map::len), Some(Lang::ALL.len()));
    }
}
