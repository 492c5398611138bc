//! What the `widget-browser` suite checks before it runs the widget's browser tests.
//!
//! Cargo builds `tests/*.rs` and `tests/*/main.rs` as test targets, and the suite runs
//! them all. A test file in a folder is only built if its `main.rs` declares it
//! (`mod name;`), and a folder whose `main.rs` is gone or renamed is not built at all:
//! both would drop tests without a word. This check makes either an error, naming the
//! file.

use std::path::Path;

use anyhow::{bail, Context, Result};

/// Fails, naming the file, when a Rust file in a folder under `root/tests` is not a
/// module of that folder's `main.rs`, or when such a folder has no `main.rs`.
pub fn check(root: &Path) -> Result<()> {
    let tests = root.join("tests");
    let mut problems = Vec::new();
    for entry in
        std::fs::read_dir(&tests).with_context(|| format!("reading {}", tests.display()))?
    {
        let folder = entry?.path();
        if !folder.is_dir() {
            continue;
        }
        let mut modules = Vec::new();
        for file in
            std::fs::read_dir(&folder).with_context(|| format!("reading {}", folder.display()))?
        {
            let path = file?.path();
            if path.extension().is_some_and(|e| e == "rs") {
                if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                    modules.push(stem.to_owned());
                }
            }
        }
        if modules.is_empty() {
            continue;
        }
        modules.sort();
        let name = folder
            .strip_prefix(root)
            .unwrap_or(&folder)
            .display()
            .to_string();
        let main = folder.join("main.rs");
        if !main.is_file() {
            problems.push(format!(
                "{name}/ has Rust files ({}) but no main.rs: cargo builds none of them",
                modules.join(", ")
            ));
            continue;
        }
        let text = std::fs::read_to_string(&main)
            .with_context(|| format!("reading {}", main.display()))?;
        for module in undeclared(&text, &modules) {
            problems.push(format!(
                "{name}/{module}.rs is not declared in {name}/main.rs (`mod {module};`): its tests would never run"
            ));
        }
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(())
}

/// The modules (file stems other than `main`) that `main_rs` does not declare with a
/// `mod name;` line of its own.
pub fn undeclared<'a>(main_rs: &str, modules: &'a [String]) -> Vec<&'a str> {
    let declared: Vec<&str> = main_rs
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = line.strip_prefix("pub ").unwrap_or(line);
            line.strip_prefix("mod ")?.strip_suffix(';').map(str::trim)
        })
        .collect();
    modules
        .iter()
        .map(String::as_str)
        .filter(|m| *m != "main" && !declared.contains(m))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_module_left_out_of_main_is_named() {
        let main = "//! Tests.\n\nmod harness;\npub mod picker;\n// mod status;\n";
        let modules = names(&["harness", "main", "picker", "status", "topups"]);
        assert_eq!(undeclared(main, &modules), ["status", "topups"]);
        let all = "mod harness;\nmod picker;\nmod status;\nmod topups;\n";
        assert!(undeclared(all, &modules).is_empty());
    }

    #[test]
    fn a_folder_without_its_main_or_with_a_stray_file_fails() {
        let root = std::env::temp_dir().join(format!("xtask-browser-tests-{}", std::process::id()));
        let folder = root.join("tests").join("widget");
        std::fs::create_dir_all(&folder).expect("temp dir");
        std::fs::write(root.join("tests").join("json.rs"), "").expect("write");
        std::fs::write(folder.join("picker.rs"), "").expect("write");
        let missing_main = check(&root).expect_err("no main.rs");
        assert!(
            missing_main.to_string().contains("no main.rs"),
            "{missing_main}"
        );
        std::fs::write(folder.join("main.rs"), "mod picker;\n").expect("write");
        check(&root).expect("every file declared");
        std::fs::write(folder.join("status.rs"), "").expect("write");
        let stray = check(&root).expect_err("status.rs not declared");
        assert!(
            stray.to_string().contains("status.rs is not declared"),
            "{stray}"
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
