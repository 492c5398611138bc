//! The widget's built files (`cargo xtask dist`'s `dist/`, named by `PROXY_WIDGET_DIR`),
//! read once at start: the stylesheet the frame's document carries, and the frame's
//! scripts and wasm modules with the hashes that pin them. They are served from
//! `PROXY_WIDGET_URL` (a CDN), or by the proxy itself under `/widget/<version>/`.
//!
//! The proxy renders the widget's first screen and the picker module takes that
//! rendering over, so the files must be of this proxy's release: files of another
//! are refused at start, with both versions named.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use axum::body::Bytes;
use base64::Engine;
use sha2::{Digest, Sha256};
use simology_proxy_api::WIDGET_VERSION;

/// The frame's script.
pub const FRAME_SCRIPT: &str = "simology-esim-frame.js";
/// The stylesheet of both modules (in every frame document).
pub const STYLESHEET: &str = "simology-esim.css";
/// The status module's own (in an order's frame document; the frame's script adds it
/// when the status module comes into a picker's).
pub const STATUS_STYLESHEET: &str = "simology-esim-status.css";
/// The host script partners include (served too, for a proxy without a CDN).
pub const HOST_SCRIPT: &str = "simology-esim.js";

/// A wasm module's two files.
#[derive(Debug, Clone)]
pub struct ModuleFiles {
    /// Its glue (a script).
    pub glue: String,
    /// The glue's `sha384-...`.
    pub glue_integrity: String,
    /// The wasm.
    pub wasm: String,
    /// The wasm's `sha384-...`.
    pub integrity: String,
}

/// One file the proxy serves under `/widget/<version>/`.
#[derive(Debug, Clone)]
pub struct Served {
    /// Its bytes.
    pub body: Bytes,
    /// Its `Content-Type`.
    pub content_type: &'static str,
}

/// The widget's files, as the frame document needs them.
#[derive(Debug)]
pub struct WidgetFiles {
    /// The release they are of.
    pub version: String,
    /// The stylesheet's text.
    pub css: String,
    /// The status module's own stylesheet's text.
    pub status_css: String,
    /// Where the files are published: a folder's URL (ending in `/`), or
    /// `/widget/<version>/` on the proxy itself.
    pub base: String,
    /// The origin of `base` for the frame's CSP (`'self'` when the proxy serves them).
    pub source: String,
    /// The frame's script's `sha384-...`.
    pub frame_integrity: String,
    /// The picker module (destination search and plans).
    pub picker: ModuleFiles,
    /// The checkout module (the picker and the checkout).
    pub checkout: ModuleFiles,
    /// The status module.
    pub status: ModuleFiles,
    /// The files served by the proxy itself, by name (none with a CDN).
    pub served: HashMap<String, Served>,
}

/// `sha256-<base64>` of a text, as a CSP source hash writes it.
pub fn csp_hash(text: &str) -> String {
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

fn content_type(name: &str) -> &'static str {
    if name.ends_with(".wasm") {
        "application/wasm"
    } else if name.ends_with(".css") {
        "text/css; charset=utf-8"
    } else {
        "text/javascript; charset=utf-8"
    }
}

impl WidgetFiles {
    /// Reads `dir` (a built `dist/`), to be published at `url` (or served by the
    /// proxy when `None`).
    ///
    /// # Errors
    /// When a file is missing or unreadable, or they are of another release.
    pub fn load(dir: &Path, url: Option<&url::Url>) -> Result<WidgetFiles> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).with_context(|| {
                format!(
                    "PROXY_WIDGET_DIR: cannot read {} (build the widget with `cargo xtask dist`)",
                    dir.join(name).display()
                )
            })
        };
        let integrity: serde_json::Value = serde_json::from_slice(&read("integrity.json")?)
            .context("PROXY_WIDGET_DIR: integrity.json is not JSON")?;
        let version = integrity["version"].as_str().unwrap_or("(none)").to_owned();
        if version != WIDGET_VERSION {
            bail!(
                "PROXY_WIDGET_DIR: the widget files in {} are of release {version}, this proxy of {WIDGET_VERSION}: \
                 deploy the files of this proxy's release",
                dir.display()
            );
        }
        let hash = |name: &str| -> Result<String> {
            integrity[name]
                .as_str()
                .filter(|h| h.starts_with("sha384-"))
                .map(str::to_owned)
                .with_context(|| format!("PROXY_WIDGET_DIR: integrity.json has no hash of {name}"))
        };
        let module = |name: &str| -> Result<ModuleFiles> {
            let glue = format!("simology-esim-{name}.js");
            let wasm = format!("simology-esim-{name}.wasm");
            Ok(ModuleFiles {
                glue_integrity: hash(&glue)?,
                integrity: hash(&wasm)?,
                glue,
                wasm,
            })
        };
        let text = |name: &str| {
            String::from_utf8(read(name)?)
                .with_context(|| format!("PROXY_WIDGET_DIR: {name} is not UTF-8"))
        };
        let css = text(STYLESHEET)?;
        let status_css = text(STATUS_STYLESHEET)?;
        let picker = module("picker")?;
        let checkout = module("checkout")?;
        let status = module("status")?;
        let frame_integrity = hash(FRAME_SCRIPT)?;
        let mut served = HashMap::new();
        let (base, source) = match url {
            Some(url) => (url.to_string(), url.origin().ascii_serialization()),
            None => {
                let names = [
                    FRAME_SCRIPT,
                    HOST_SCRIPT,
                    STATUS_STYLESHEET,
                    &picker.glue,
                    &picker.wasm,
                    &checkout.glue,
                    &checkout.wasm,
                    &status.glue,
                    &status.wasm,
                ];
                for name in names {
                    served.insert(
                        name.to_owned(),
                        Served {
                            body: Bytes::from(read(name)?),
                            content_type: content_type(name),
                        },
                    );
                }
                (format!("/widget/{version}/"), "'self'".to_owned())
            }
        };
        Ok(WidgetFiles {
            version,
            css,
            status_css,
            base,
            source,
            frame_integrity,
            picker,
            checkout,
            status,
            served,
        })
    }

    /// A file's address in the frame's document.
    pub fn url(&self, name: &str) -> String {
        format!("{}{name}", self.base)
    }
}
