//! Part of the `format` suite: no Rust file of the repository, tests included, is over
//! [`MAX_LINES`] lines. A file that grows past it is split by job (a folder with a
//! `mod.rs`), and generated data is written compactly.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The most lines a tracked `*.rs` file may have.
pub const MAX_LINES: usize = 1_000;

/// Files still over [`MAX_LINES`], each waiting for a split under way elsewhere (none
/// today). A file listed here that is no longer over the limit is an error too, so the
/// list only shrinks.
const KNOWN_LONG: &[&str] = &[];

/// The files over the limit that are not known exceptions (`path: N lines`), and the
/// known exceptions that are no longer over it; `files` are `(path, text)`.
pub fn offences<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
    known: &[&str],
) -> Vec<String> {
    let mut offences = Vec::new();
    let mut long_known = Vec::new();
    for (path, text) in files {
        let lines = text.lines().count();
        if lines <= MAX_LINES {
            continue;
        }
        if known.contains(&path) {
            long_known.push(path);
        } else {
            offences.push(format!(
                "{path}: {lines} lines (at most {MAX_LINES}; split it by job)"
            ));
        }
    }
    for path in known {
        if !long_known.contains(path) {
            offences.push(format!(
                "{path} is listed in xtask/src/lines.rs's KNOWN_LONG but is not over \
                 {MAX_LINES} lines (or is gone): remove it from the list"
            ));
        }
    }
    offences
}

/// Checks every `*.rs` file git tracks in `root`, naming each offence.
pub fn check(root: &Path) -> Result<()> {
    let output = Command::new("git")
        .args(["ls-files", "-z", "--", "*.rs"])
        .current_dir(root)
        .output()
        .context("running git ls-files")?;
    if !output.status.success() {
        bail!(
            "git ls-files failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let listing = String::from_utf8(output.stdout).context("git ls-files: a path is not UTF-8")?;
    let mut files = Vec::new();
    for path in listing.split('\0').filter(|p| !p.is_empty()) {
        // A tracked file deleted in the work tree is not a file to check.
        let Ok(text) = std::fs::read_to_string(root.join(path)) else {
            continue;
        };
        files.push((path.to_owned(), text));
    }
    if files.is_empty() {
        bail!("git lists no Rust file: the check would check nothing");
    }
    let offences = offences(
        files.iter().map(|(p, t)| (p.as_str(), t.as_str())),
        KNOWN_LONG,
    );
    if !offences.is_empty() {
        bail!("Rust files too long:\n  {}", offences.join("\n  "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: usize) -> String {
        "x\n".repeat(lines)
    }

    #[test]
    fn a_file_over_the_limit_is_named_with_its_count() {
        let (ok, long) = (text(MAX_LINES), text(MAX_LINES + 1));
        let found = offences(
            [("src/a.rs", ok.as_str()), ("src/b.rs", long.as_str())],
            &[],
        );
        assert_eq!(
            found,
            ["src/b.rs: 1001 lines (at most 1000; split it by job)"]
        );
    }

    #[test]
    fn a_known_exception_passes_while_long_and_fails_once_short() {
        let long = text(MAX_LINES + 500);
        let known = ["tests/widget.rs"];
        assert!(offences([("tests/widget.rs", long.as_str())], &known).is_empty());
        let short = text(10);
        let found = offences([("tests/widget.rs", short.as_str())], &known);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("remove it from the list"), "{found:?}");
        // Gone altogether (split into a folder): the same.
        assert_eq!(offences([], &known).len(), 1);
    }
}
