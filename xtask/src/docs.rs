//! The `docs` suite: the docs cannot rot.
//!
//! Every fenced block marked runnable (an info string such as `sh runnable`) in
//! `README.md` and `docs/*.md` is run with `bash -euo pipefail` from the repository
//! root; a block that fails fails the suite, named by its file and line. A fence's info
//! string holds a language and, at most, the marker `runnable`: any other word is an
//! error, and so is a runnable block in a Markdown file this check does not read, so a
//! typo never turns a check into a silent pass. README.md and ARCHITECTURE.md stay at
//! most [`MAX_LINES`] lines, and the relative links of README.md, ARCHITECTURE.md and
//! docs/*.md lead to a file that exists and, with a `#fragment`, to one of its headings.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The marker of a block that the check runs.
pub const RUNNABLE: &str = "runnable";

/// The languages a runnable block may be written in (bash runs it).
const SHELLS: &[&str] = &["sh", "bash", "shell"];

/// The most lines README.md and ARCHITECTURE.md may have.
pub const MAX_LINES: usize = 250;

/// A runnable block: where it starts (the fence's line, from 1) and its script.
#[derive(Debug, PartialEq, Eq)]
pub struct Block {
    pub line: usize,
    pub script: String,
}

/// The runnable blocks of one Markdown text, or an error naming the line of a fence
/// whose info string carries a word other than its language and `runnable`, of a
/// runnable block in a language bash does not run, or of a fence never closed.
pub fn runnable_blocks(file: &str, text: &str) -> Result<Vec<Block>> {
    let mut blocks = Vec::new();
    // The open fence: its backticks, its line, whether it runs, and its lines so far.
    let mut open: Option<(String, usize, bool, Vec<&str>)> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim_start();
        let ticks: String = trimmed.chars().take_while(|&c| c == '`').collect();
        match &mut open {
            Some((fence, start, runs, lines)) => {
                if ticks.len() >= fence.len() && trimmed[ticks.len()..].trim().is_empty() {
                    if *runs {
                        blocks.push(Block {
                            line: *start,
                            script: lines.join("\n") + "\n",
                        });
                    }
                    open = None;
                } else {
                    lines.push(line);
                }
            }
            None if ticks.len() >= 3 => {
                let mut words = trimmed[ticks.len()..].split_whitespace();
                let language = words.next().unwrap_or("");
                let mut runs = false;
                for word in words {
                    if word != RUNNABLE {
                        bail!("{file}:{number}: unknown block marker {word:?} (the only one is {RUNNABLE:?})");
                    }
                    runs = true;
                }
                if runs && !SHELLS.contains(&language) {
                    bail!("{file}:{number}: a runnable block must be a shell block (```sh {RUNNABLE}), not {language:?}");
                }
                open = Some((ticks, number, runs, Vec::new()));
            }
            None => {}
        }
    }
    if let Some((_, start, _, _)) = open {
        bail!("{file}:{start}: a fenced block that is never closed");
    }
    Ok(blocks)
}

/// Runs each block with `bash -euo pipefail` in `dir`; the error names every block that
/// failed by its file and line.
pub fn run_blocks(file: &str, blocks: &[Block], dir: &Path) -> Result<()> {
    let mut failed = Vec::new();
    for block in blocks {
        println!("docs: running the block at {file}:{}", block.line);
        let status = Command::new("bash")
            .args(["-euo", "pipefail", "-c", &block.script])
            .current_dir(dir)
            .status()
            .with_context(|| format!("starting bash for {file}:{}", block.line))?;
        if !status.success() {
            failed.push(format!(
                "{file}:{}: the runnable block failed ({status})",
                block.line
            ));
        }
    }
    if !failed.is_empty() {
        bail!("{}", failed.join("\n"));
    }
    Ok(())
}

/// The Markdown files the check runs: README.md and docs/*.md, sorted.
fn checked_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .context("reading docs/")?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    docs.retain(|p| p.extension().is_some_and(|e| e == "md"));
    docs.sort();
    files.extend(docs);
    Ok(files)
}

/// Every other Markdown file of the repository (not under `target/`, `node_modules/`,
/// `.git/` or `dist/`), where a runnable block would never run.
fn other_markdown(root: &Path, checked: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name();
            if entry.file_type()?.is_dir() {
                if !matches!(
                    name.to_str(),
                    Some("target" | "node_modules" | ".git" | "dist")
                ) {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "md") && !checked.contains(&path) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A text of at most [`MAX_LINES`] lines, or an error naming the file.
fn check_length(name: &str, text: &str) -> Result<()> {
    let lines = text.lines().count();
    if lines > MAX_LINES {
        bail!("{name} has {lines} lines; keep it to {MAX_LINES} (move details into docs/)");
    }
    Ok(())
}

/// A heading's anchor as GitHub makes it: lower case, spaces to hyphens, and only
/// letters, digits, `-` and `_` kept.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown text's headings (outside fenced blocks).
fn anchors(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            found.push(anchor(line.trim_start_matches('#')));
        }
    }
    found
}

/// The relative links of a Markdown text (outside fenced blocks), with their lines:
/// the target of each `](target)` that is not a URL.
fn relative_links(text: &str) -> Vec<(usize, String)> {
    let mut fenced = false;
    let mut links = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        for (at, _) in line.match_indices("](") {
            let rest = &line[at + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = &rest[..end];
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            links.push((index + 1, target.to_owned()));
        }
    }
    links
}

/// Every relative link of `file` (a path from `root`) leads to a file, and its fragment,
/// if any, to a heading of it; the error names each broken link by file and line.
fn check_links(root: &Path, file: &str, text: &str) -> Result<()> {
    let dir = Path::new(file).parent().unwrap_or(Path::new(""));
    let mut broken = Vec::new();
    for (line, target) in relative_links(text) {
        let (path, fragment) = target.split_once('#').unwrap_or((&target, ""));
        let target_text = if path.is_empty() {
            Some(text.to_owned())
        } else {
            let full = root.join(dir).join(path);
            if !full.exists() {
                broken.push(format!("{file}:{line}: {target}: no such file"));
                continue;
            }
            std::fs::read_to_string(&full).ok()
        };
        if !fragment.is_empty() {
            let known = target_text.map(|t| anchors(&t)).unwrap_or_default();
            if !known.iter().any(|a| a == fragment) {
                broken.push(format!("{file}:{line}: {target}: no such heading"));
            }
        }
    }
    if !broken.is_empty() {
        bail!("{}", broken.join("\n"));
    }
    Ok(())
}

/// The suite: line counts, links, then every runnable block.
pub fn check(root: &Path) -> Result<()> {
    for name in ["README.md", "ARCHITECTURE.md"] {
        let text =
            std::fs::read_to_string(root.join(name)).with_context(|| format!("reading {name}"))?;
        check_length(name, &text)?;
    }
    let files = checked_files(root)?;
    for path in other_markdown(root, &files)? {
        let file = relative(root, &path);
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {file}"))?;
        if let Some(block) = runnable_blocks(&file, &text)?.first() {
            bail!(
                "{file}:{}: a runnable block in a file the docs check does not read \
                 (only README.md and docs/*.md are run)",
                block.line
            );
        }
    }
    let mut all = Vec::new();
    let architecture = root.join("ARCHITECTURE.md");
    check_links(
        root,
        "ARCHITECTURE.md",
        &std::fs::read_to_string(&architecture).context("reading ARCHITECTURE.md")?,
    )?;
    for path in &files {
        let file = relative(root, path);
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {file}"))?;
        check_links(root, &file, &text)?;
        let blocks = runnable_blocks(&file, &text)?;
        all.push((file, blocks));
    }
    let count: usize = all.iter().map(|(_, b)| b.len()).sum();
    if count == 0 {
        bail!("no runnable block in README.md or docs/*.md: the check would check nothing");
    }
    let mut failed = Vec::new();
    for (file, blocks) in &all {
        if let Err(e) = run_blocks(file, blocks, root) {
            failed.push(format!("{e:#}"));
        }
    }
    if !failed.is_empty() {
        bail!("{}", failed.join("\n"));
    }
    println!("docs: {count} runnable blocks passed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# Title\n\
        \n\
        ```sh runnable\n\
        echo one\n\
        echo two\n\
        ```\n\
        \n\
        ```sh\n\
        not run\n\
        ```\n\
        \n\
        ````md\n\
        ```sh runnable\n\
        inside a longer fence: text, not a block\n\
        ```\n\
        ````\n\
        \n\
        ```bash runnable\n\
        false\n\
        ```\n";

    #[test]
    fn finds_the_runnable_blocks_and_their_lines() {
        let blocks = runnable_blocks("doc.md", DOC).expect("as the test wrote it");
        assert_eq!(
            blocks,
            vec![
                Block {
                    line: 3,
                    script: "echo one\necho two\n".into()
                },
                Block {
                    line: 18,
                    script: "false\n".into()
                },
            ]
        );
    }

    #[test]
    fn a_failing_block_fails_with_its_file_and_line() {
        let blocks = runnable_blocks("doc.md", DOC).expect("as the test wrote it");
        let dir = std::env::temp_dir();
        run_blocks("doc.md", &blocks[..1], &dir).expect("as the test wrote it");
        let error = run_blocks("doc.md", &blocks, &dir)
            .expect_err("an error")
            .to_string();
        assert!(error.contains("doc.md:18:"), "{error}");
        assert!(!error.contains("doc.md:3:"), "{error}");
    }

    #[test]
    fn a_block_fails_on_a_failing_command_within_a_pipeline_or_an_unset_variable() {
        let dir = std::env::temp_dir();
        for script in [
            "false | cat\n",
            "echo \"$NO_SUCH_VARIABLE_HERE\"\n",
            "false\necho after\n",
        ] {
            let block = Block {
                line: 1,
                script: script.into(),
            };
            assert!(
                run_blocks("x.md", &[block], &dir).is_err(),
                "{script:?} passed"
            );
        }
    }

    #[test]
    fn an_unknown_marker_is_an_error() {
        let error = runnable_blocks("doc.md", "text\n```sh runable\necho\n```\n")
            .expect_err("an error")
            .to_string();
        assert!(
            error.starts_with("doc.md:2: unknown block marker \"runable\""),
            "{error}"
        );
    }

    #[test]
    fn a_runnable_block_in_another_language_or_unclosed_is_an_error() {
        assert!(runnable_blocks("doc.md", "```toml runnable\na = 1\n```\n").is_err());
        assert!(runnable_blocks("doc.md", "```sh runnable\necho\n").is_err());
    }

    #[test]
    fn broken_links_are_named_and_good_ones_pass() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace root");
        let text = "# Top\n\n## Scaling out: several replicas on `PostgreSQL`\n\n\
            [a](#scaling-out-several-replicas-on-postgresql) [b](../README.md#two-commands) \
            [c](https://example.com/x) [d](operating.md)\n\n\
            ```md\n[inside](nowhere.md)\n```\n";
        check_links(root, "docs/x.md", text).expect("every link leads somewhere");
        let error = check_links(root, "docs/x.md", "\n[a](nowhere.md) [b](#no-heading)\n")
            .expect_err("two broken links")
            .to_string();
        assert!(
            error.contains("docs/x.md:2: nowhere.md: no such file"),
            "{error}"
        );
        assert!(
            error.contains("docs/x.md:2: #no-heading: no such heading"),
            "{error}"
        );
    }

    #[test]
    fn a_long_readme_fails() {
        check_length("README.md", &"line\n".repeat(MAX_LINES)).expect("at the limit");
        let error = check_length("README.md", &"line\n".repeat(MAX_LINES + 1))
            .expect_err("over the limit")
            .to_string();
        assert!(error.starts_with("README.md has 251 lines"), "{error}");
    }

    #[test]
    fn the_repository_docs_parse() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("as the test wrote it");
        let files = checked_files(root).expect("as the test wrote it");
        let mut count = 0;
        for path in &files {
            let text = std::fs::read_to_string(path).expect("as the test wrote it");
            count += runnable_blocks(&relative(root, path), &text)
                .expect("as the test wrote it")
                .len();
        }
        assert!(count > 0, "no runnable block in {files:?}");
    }
}
