//! `cargo xtask dist`: the widget's files for a CDN, in `dist/`:
//! `simology-esim.js` (the loader with wasm-bindgen's glue inside, one script for
//! partners to include), `simology-esim_bg.wasm`, and `integrity.json` with the
//! sha384 hashes partners pin.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use base64::Engine;
use sha2::{Digest, Sha384};

use crate::tools;

/// `sha384-<base64>` of some bytes, as Subresource Integrity writes it.
pub fn sri(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

/// Wraps the glue and the loader in one function scope, with the wasm's hash filled in.
pub fn bundle(glue: &str, loader: &str, wasm_integrity: &str) -> Result<String> {
    if !loader.contains("/*__GLUE__*/") || !loader.contains("__WASM_INTEGRITY__") {
        bail!("loader/simology-esim.js lost its /*__GLUE__*/ or __WASM_INTEGRITY__ marker");
    }
    if !glue.contains("let wasm_bindgen") {
        bail!(
            "the wasm-bindgen glue is not the no-modules kind (data-bindgen-target in index.html)"
        );
    }
    let body = loader
        .replace("/*__GLUE__*/", glue)
        .replace("__WASM_INTEGRITY__", wasm_integrity);
    Ok(format!(
        "(function () {{\n\"use strict\";\n{body}\n}})();\n"
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

/// Builds `dist/` with trunk, bundles the loader and minifies the bundle.
///
/// # Errors
/// When a tool is missing and cannot be installed, or the build fails.
pub fn build() -> Result<PathBuf> {
    tools::ensure_widget()?;
    let root = tools::workspace_root()?;
    tools::run(
        Command::new("trunk")
            .args(["build", "--release", "--offline"])
            .current_dir(&root),
    )?;
    let dir = root.join("dist");
    let glue_path = dir.join("simology-widget-web.js");
    let wasm_path = dir.join("simology-widget-web_bg.wasm");
    let glue = fs::read_to_string(&glue_path)
        .with_context(|| format!("reading {}", glue_path.display()))?;
    let wasm = fs::read(&wasm_path).with_context(|| format!("reading {}", wasm_path.display()))?;
    let loader =
        fs::read_to_string(root.join("loader/simology-esim.js")).context("reading the loader")?;
    let wasm_integrity = sri(&wasm);
    let script = minify(&root, &bundle(&glue, &loader, &wasm_integrity)?)?;
    let script_integrity = sri(script.as_bytes());
    write(&dir.join("simology-esim.js"), script.as_bytes())?;
    write(&dir.join("simology-esim_bg.wasm"), &wasm)?;
    let integrity = format!(
        "{{\n  \"simology-esim.js\": \"{script_integrity}\",\n  \"simology-esim_bg.wasm\": \"{wasm_integrity}\"\n}}\n"
    );
    write(&dir.join("integrity.json"), integrity.as_bytes())?;
    // Trunk's own page and file names are not what partners use.
    for leftover in [glue_path, wasm_path, dir.join("index.html")] {
        let _ = fs::remove_file(leftover);
    }
    let snippet = format!(
        "<script src=\"https://YOUR-CDN/simology-esim.js\" integrity=\"{script_integrity}\" crossorigin=\"anonymous\" async></script>\n\
         <simology-esim proxy=\"https://YOUR-PROXY\" country=\"US\"></simology-esim>\n"
    );
    write(&dir.join("embed.html"), snippet.as_bytes())?;
    println!(
        "dist/ ready: simology-esim.js ({} bytes), simology-esim_bg.wasm ({} bytes)",
        script.len(),
        wasm.len()
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
    fn bundle_scopes_the_glue_and_fills_the_hash() {
        let out = bundle(
            "let wasm_bindgen = 1;",
            "/*__GLUE__*/\nvar h = \"__WASM_INTEGRITY__\";",
            "sha384-x",
        )
        .expect("bundles");
        assert!(out.starts_with("(function () {"));
        assert!(out.contains("let wasm_bindgen = 1;"));
        assert!(out.contains("var h = \"sha384-x\";"));
        assert!(out.trim_end().ends_with("})();"));
        assert!(bundle("export default 1", "/*__GLUE__*/__WASM_INTEGRITY__", "x").is_err());
    }
}
