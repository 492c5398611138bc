//! The settings' texts, before they are read: the environment's (which wins), then the
//! config file's. A secret comes from its variable or from the file named by
//! `<NAME>_FILE`, never from the config file, which refuses it by name, as it refuses
//! a key that is no setting (naming the nearest).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};

use super::declared::{self, Meta, Setting, ALL};

/// Where the settings' texts come from.
pub struct Raw<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    file: BTreeMap<String, String>,
}

/// A config file's value as a setting's text: lists are joined by commas, as the
/// environment writes them.
fn file_text(key: &str, value: &toml::Value) -> Result<String> {
    Ok(match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Array(items) => items
            .iter()
            .map(|i| match i {
                toml::Value::String(s) => Ok(s.clone()),
                _ => Err(anyhow!("{key}: a list of strings is expected")),
            })
            .collect::<Result<Vec<_>>>()?
            .join(","),
        _ => bail!("{key}: a string, a number, a boolean or a list of strings is expected"),
    })
}

/// The names a secret could be given in a config file: `simology_api_key`, `api_key`.
fn secret_keys(m: &Meta) -> [String; 2] {
    let full = m.env.to_ascii_lowercase();
    let short = declared::PREFIXES
        .iter()
        .find_map(|p| full.strip_prefix(&p.to_ascii_lowercase()))
        .unwrap_or(&full)
        .to_owned();
    [full, short]
}

impl<'a> Raw<'a> {
    /// Reads the config file, when there is one.
    ///
    /// # Errors
    /// When the file cannot be read or parsed, holds a secret, or a key that is no
    /// setting.
    pub fn new(file: Option<&Path>, env: &'a dyn Fn(&str) -> Option<String>) -> Result<Raw<'a>> {
        let mut values = BTreeMap::new();
        if let Some(path) = file {
            let shown = path.display();
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("config file {shown}: cannot read"))?;
            let table: toml::Table = toml::from_str(&text)
                .map_err(|e| anyhow!("config file {shown}: {}", e.message()))?;
            for (key, value) in table {
                if let Some(secret) = ALL
                    .iter()
                    .find(|m| m.secret() && secret_keys(m).contains(&key))
                {
                    bail!(
                        "config file {shown}: {key} must not be in the config file; \
                         set {} in the environment or in a file named by {}_FILE",
                        secret.env,
                        secret.env
                    );
                }
                if !ALL.iter().any(|m| m.file == Some(key.as_str())) {
                    let near = declared::nearest(&key, ALL.iter().filter_map(|m| m.file));
                    bail!(
                        "config file {shown}: unknown key {key:?}{}",
                        near.map(|n| format!(" (did you mean {n:?}?)"))
                            .unwrap_or_default()
                    );
                }
                let text =
                    file_text(&key, &value).with_context(|| format!("config file {shown}"))?;
                values.insert(key, text);
            }
        }
        Ok(Raw { env, file: values })
    }

    /// A setting's text: its variable, its `_FILE` variable's file, then the config
    /// file's key. Empty is unset.
    fn text(&self, m: &Meta) -> Result<Option<String>> {
        let present = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        if let Some(v) = present((self.env)(m.env)) {
            return Ok(Some(v));
        }
        if m.file_variable() {
            let file_var = format!("{}_FILE", m.env);
            if let Some(path) = present((self.env)(&file_var)) {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("{file_var}: cannot read {path}"))?;
                return match present(Some(text)) {
                    Some(v) => Ok(Some(v)),
                    None => bail!("{file_var}: {path} is empty"),
                };
            }
        }
        Ok(m.file
            .and_then(|k| self.file.get(k).cloned())
            .and_then(|v| present(Some(v))))
    }

    /// A setting's value when it is set, else its default's (none without one).
    ///
    /// # Errors
    /// When its text is not valid, naming the setting.
    pub fn get<T>(&self, s: &Setting<T>) -> Result<Option<T>> {
        let m = &s.meta;
        match self.text(m)? {
            Some(text) => (s.parse)(&text).map(Some).map_err(|e| {
                if m.secret() {
                    // A secret's text is never repeated.
                    anyhow!("{}: {}", m.env, e.replace(&text, "(the value)"))
                } else {
                    anyhow!("{}: {e}", m.env)
                }
            }),
            None => m
                .default
                .map(|d| (s.parse)(d).map_err(|e| anyhow!("{}: the default {d:?}: {e}", m.env)))
                .transpose(),
        }
    }

    /// A setting that has a default: its value.
    ///
    /// # Errors
    /// When its text is not valid, naming the setting.
    pub fn value<T>(&self, s: &Setting<T>) -> Result<T> {
        self.get(s)?
            .ok_or_else(|| anyhow!("{}: not set, and it has no default", s.meta.env))
    }
}
