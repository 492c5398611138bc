//! `cargo xtask release`: what a partner runs, without a Rust toolchain, in
//! `target/release-artifacts/simology-<version>/` (the version is the proxy's, from its
//! Cargo.toml), and the same folder as `simology-<version>.tar.gz` beside it:
//!
//! - `bin/<target>/simology-proxy` and `simology-sandbox`: static Linux binaries (musl)
//!   for `x86_64-unknown-linux-musl` (built with Debian's musl-gcc for the C inside
//!   SQLite and ring) and `aarch64-unknown-linux-musl` (linked by cargo-zigbuild with
//!   zig from PyPI: Debian has no aarch64 musl C toolchain);
//! - `widget/`: the widget's files as `cargo xtask dist` builds them, `integrity.json`
//!   among them;
//! - `deploy/`: the `Containerfile` (FROM scratch), the compose file of replicas on
//!   PostgreSQL, the systemd units; `docs/operations.md`; `RELEASE-NOTES.md` (this
//!   version's section of `docs/release-notes.md`, which must have one);
//! - `sbom/`: CycloneDX SBOMs of both binaries (cargo-cyclonedx);
//! - `SHA256SUMS` of every file (`sha256sum -c SHA256SUMS`).
//!
//! `check` is the `release` suite: it builds the release, verifies the checksums, the
//! SBOM and the binaries (static, of their machine), runs the released binaries on a
//! machine layout without a Rust toolchain (`simology-bench release`), runs the aarch64
//! ones under qemu, builds the image with podman and checks it, verifies the systemd
//! units, and replaces released proxies on one socket under load (`cargo xtask
//! restart`'s driver).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::tools;

/// The targets of the release, and the ELF machine of each.
pub const TARGETS: [(&str, u16); 2] = [
    ("x86_64-unknown-linux-musl", 62),
    ("aarch64-unknown-linux-musl", 183),
];

/// The binaries of the release.
pub const BINARIES: [&str; 2] = ["simology-proxy", "simology-sandbox"];

/// The proxy's version, from its Cargo.toml.
///
/// # Errors
/// When `cargo metadata` cannot say.
pub fn version(root: &Path) -> Result<String> {
    let out = tools::output_of(
        tools::cargo()
            .args(["metadata", "--format-version", "1", "--no-deps", "--locked"])
            .current_dir(root),
    )
    .context("cargo metadata failed")?;
    let meta: Value = serde_json::from_str(&out)?;
    meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "simology-proxy")
        .and_then(|p| p["version"].as_str())
        .map(str::to_owned)
        .context("no simology-proxy package in cargo metadata")
}

/// Where the release of `version` goes.
pub fn folder(root: &Path, version: &str) -> PathBuf {
    root.join("target/release-artifacts")
        .join(format!("simology-{version}"))
}

/// What an ELF file says of itself: its machine, and whether it asks for a dynamic
/// loader (a `PT_INTERP` header: not a static binary).
pub fn elf(bytes: &[u8]) -> Result<(u16, bool)> {
    let u16_at = |at: usize| -> Result<u16> {
        Ok(u16::from_le_bytes(
            bytes.get(at..at + 2).context("truncated ELF")?.try_into()?,
        ))
    };
    let u32_at = |at: usize| -> Result<u32> {
        Ok(u32::from_le_bytes(
            bytes.get(at..at + 4).context("truncated ELF")?.try_into()?,
        ))
    };
    let u64_at = |at: usize| -> Result<u64> {
        Ok(u64::from_le_bytes(
            bytes.get(at..at + 8).context("truncated ELF")?.try_into()?,
        ))
    };
    if bytes.get(..4) != Some(b"\x7fELF".as_slice()) || bytes.get(4) != Some(&2) {
        bail!("not a 64-bit ELF file");
    }
    if bytes.get(5) != Some(&1) {
        bail!("not a little-endian ELF file");
    }
    let machine = u16_at(0x12)?;
    let phoff = usize::try_from(u64_at(0x20)?)?;
    let phentsize = usize::from(u16_at(0x36)?);
    let phnum = usize::from(u16_at(0x38)?);
    let mut interp = false;
    for i in 0..phnum {
        // PT_INTERP: the path of a dynamic loader.
        if u32_at(phoff + i * phentsize)? == 3 {
            interp = true;
        }
    }
    Ok((machine, interp))
}

/// Builds the binaries of `target` (release profile, locked, debug info stripped).
fn build_target(root: &Path, target: &str, zig_bin: &Path) -> Result<PathBuf> {
    let mut cmd = if target.starts_with("aarch64") {
        // cargo-zigbuild finds zig through the Python of its virtual environment.
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![zig_bin.to_path_buf()];
        paths.extend(std::env::split_paths(&path));
        let mut c = Command::new(zig_bin.join("cargo-zigbuild"));
        c.arg("build").env("PATH", std::env::join_paths(paths)?);
        c
    } else {
        let mut c = tools::cargo();
        // The C of SQLite and ring against musl's headers, not glibc's.
        c.arg("build")
            .env("CC_x86_64_unknown_linux_musl", "musl-gcc");
        c
    };
    cmd.args(["--release", "--locked", "--target", target])
        .args(BINARIES.iter().flat_map(|b| ["-p", *b]))
        .env("CARGO_PROFILE_RELEASE_STRIP", "debuginfo")
        .current_dir(root);
    tools::run(&mut cmd)?;
    Ok(root.join("target").join(target).join("release"))
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Every file under `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path.strip_prefix(dir)?.to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// This version's section of `docs/release-notes.md` (from its `## <version>` heading
/// to the next `## `).
///
/// # Errors
/// When the notes have no section for the version.
pub fn notes_of(notes: &str, version: &str) -> Result<String> {
    let heading = format!("## {version}");
    let start = notes
        .lines()
        .position(|l| l == heading || l.starts_with(&format!("{heading} ")))
        .with_context(|| {
            format!("docs/release-notes.md has no `{heading}` section: write this release's notes")
        })?;
    let section: Vec<&str> = notes
        .lines()
        .skip(start)
        .enumerate()
        .take_while(|(i, l)| *i == 0 || !l.starts_with("## "))
        .map(|(_, l)| l)
        .collect();
    Ok(format!(
        "# Simology {version}\n\n{}\n",
        section[1..].join("\n").trim()
    ))
}

/// The SBOMs of the binaries for `target`, with cargo-cyclonedx, into `to`. It writes
/// one beside each workspace member's Cargo.toml: the binaries' are moved, the rest
/// removed.
fn sboms(root: &Path, target: &str, to: &Path) -> Result<()> {
    tools::ensure_cyclonedx()?;
    tools::run(
        tools::cargo()
            .args([
                "cyclonedx",
                "--quiet",
                "--format",
                "json",
                "--spec-version",
                "1.5",
            ])
            .args(["--target", target, "--target-in-filename"])
            .current_dir(root),
    )?;
    let out = tools::output_of(
        tools::cargo()
            .args(["metadata", "--format-version", "1", "--no-deps", "--locked"])
            .current_dir(root),
    )
    .context("cargo metadata failed")?;
    let meta: Value = serde_json::from_str(&out)?;
    for package in meta["packages"].as_array().into_iter().flatten() {
        let (Some(name), Some(manifest)) =
            (package["name"].as_str(), package["manifest_path"].as_str())
        else {
            continue;
        };
        let written = Path::new(manifest)
            .parent()
            .context("a manifest's folder")?
            .join(format!("{name}_{target}.cdx.json"));
        if BINARIES.contains(&name) {
            fs::rename(&written, to.join(format!("{name}.{target}.cdx.json")))
                .with_context(|| format!("moving {}", written.display()))?;
        } else {
            let _ = fs::remove_file(&written);
        }
    }
    Ok(())
}

/// Builds the release; returns its folder.
///
/// # Errors
/// When a tool is missing and cannot be installed, a build fails, or a binary is not
/// what it should be.
pub fn build() -> Result<PathBuf> {
    let root = tools::workspace_root()?;
    let zig_bin = tools::ensure_release()?;
    let version = version(&root)?;
    let notes = notes_of(
        &fs::read_to_string(root.join("docs/release-notes.md"))
            .context("reading docs/release-notes.md")?,
        &version,
    )?;
    let out = folder(&root, &version);
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&out)?;

    for (target, machine) in TARGETS {
        let built = build_target(&root, target, &zig_bin)?;
        let bin = out.join("bin").join(target);
        fs::create_dir_all(&bin)?;
        for name in BINARIES {
            let bytes = fs::read(built.join(name))
                .with_context(|| format!("reading the {target} {name}"))?;
            let (found, interp) = elf(&bytes).with_context(|| format!("{target} {name}"))?;
            if found != machine {
                bail!("{target} {name} is for ELF machine {found}, not {machine}");
            }
            if interp {
                bail!("{target} {name} asks for a dynamic loader: it is not static");
            }
            fs::copy(built.join(name), bin.join(name))?;
            println!("{target} {name}: {} bytes, static", bytes.len());
        }
    }

    let dist = crate::dist::build()?;
    if !dist.join("integrity.json").exists() {
        bail!("dist/ has no integrity.json");
    }
    copy_dir(&dist, &out.join("widget"))?;
    copy_dir(&root.join("deploy"), &out.join("deploy"))?;
    fs::create_dir_all(out.join("docs"))?;
    fs::copy(
        root.join("docs/operations.md"),
        out.join("docs/operations.md"),
    )?;
    fs::write(out.join("RELEASE-NOTES.md"), notes)?;
    fs::write(out.join("VERSION"), format!("{version}\n"))?;
    let sboms = out.join("sbom");
    fs::create_dir_all(&sboms)?;
    for (target, _) in TARGETS {
        self::sboms(&root, target, &sboms)?;
    }

    let mut sums = String::new();
    for file in files_under(&out)? {
        let bytes = fs::read(out.join(&file))?;
        sums.push_str(&format!("{}  {}\n", sha256_hex(&bytes), file.display()));
    }
    fs::write(out.join("SHA256SUMS"), sums)?;
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .context("the release folder's name")?;
    // Not `with_extension`: the version's dots are no extension.
    let tarball = out.with_file_name(format!("{name}.tar.gz"));
    tools::run(
        Command::new("tar")
            .args([
                "--sort=name",
                "--owner=0",
                "--group=0",
                "--numeric-owner",
                "-czf",
            ])
            .arg(&tarball)
            .arg(name)
            .current_dir(out.parent().context("the release folder's parent")?),
    )?;
    let tar_sum = sha256_hex(&fs::read(&tarball)?);
    fs::write(
        PathBuf::from(format!("{}.sha256", tarball.display())),
        format!("{tar_sum}  {name}.tar.gz\n"),
    )?;
    println!(
        "release {version} ready in {} (and {})",
        out.display(),
        tarball.display()
    );
    Ok(out)
}

/// `cargo xtask release`.
///
/// # Errors
/// As [`build`]; it takes no arguments.
pub fn run(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        bail!("cargo xtask release takes no arguments, got {args:?}");
    }
    build().map(|_| ())
}

/// The output of a command that must succeed.
fn output(cmd: &mut Command) -> Result<String> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().with_context(|| format!("starting {shown}"))?;
    if !out.status.success() {
        bail!(
            "{shown} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The SBOM of `package` is CycloneDX, names the package and lists crates with their
/// package URLs.
fn check_sbom(path: &Path, package: &str, expected: &[&str]) -> Result<()> {
    let bom: Value = serde_json::from_str(&fs::read_to_string(path)?)
        .with_context(|| format!("{} is not JSON", path.display()))?;
    if bom["bomFormat"] != "CycloneDX" {
        bail!("{}: not a CycloneDX document", path.display());
    }
    if bom["metadata"]["component"]["name"] != package {
        bail!("{}: the SBOM is not {package}'s", path.display());
    }
    let components = bom["components"].as_array().context("no components")?;
    for name in expected {
        let found = components.iter().any(|c| {
            c["name"] == *name
                && c["purl"]
                    .as_str()
                    .is_some_and(|p| p.starts_with(&format!("pkg:cargo/{name}@")))
        });
        if !found {
            bail!("{}: {name} is missing", path.display());
        }
    }
    println!(
        "{}: CycloneDX {}, {} components",
        path.display(),
        bom["specVersion"],
        components.len()
    );
    Ok(())
}

/// The image: built from the release folder with podman; its configuration (user,
/// entrypoint, volume, healthcheck) and its files checked; started when this machine
/// lets a container start.
fn check_image(out: &Path, version: &str) -> Result<()> {
    let tag = format!("localhost/simology-proxy:{version}");
    tools::run(
        Command::new("podman")
            .args([
                "build",
                "--quiet",
                "--format",
                "docker",
                "-f",
                "deploy/Containerfile",
            ])
            .args([
                "--build-arg",
                &format!("VERSION={version}"),
                "-t",
                &tag,
                ".",
            ])
            .current_dir(out),
    )?;
    let inspect: Value = serde_json::from_str(&output(
        Command::new("podman").args(["image", "inspect", &tag]),
    )?)?;
    let config = &inspect[0]["Config"];
    let want = [
        ("User", serde_json::json!("10001:10001")),
        ("Entrypoint", serde_json::json!(["/simology-proxy"])),
        ("Cmd", serde_json::json!(["serve"])),
        ("WorkingDir", serde_json::json!("/data")),
    ];
    for (key, value) in want {
        if config[key] != value {
            bail!("the image's {key} is {}, not {value}", config[key]);
        }
    }
    if config["Volumes"].get("/data").is_none() {
        bail!("the image has no /data volume: {}", config["Volumes"]);
    }
    // podman puts it beside the configuration, docker inside it.
    let health = ["Healthcheck", "HealthCheck"]
        .iter()
        .map(|k| &inspect[0][*k])
        .chain([&config["Healthcheck"]])
        .find(|h| !h.is_null())
        .unwrap_or(&Value::Null);
    if health["Test"] != serde_json::json!(["CMD", "/simology-proxy", "healthcheck"]) {
        bail!("the image's healthcheck is {health}");
    }
    // Its files: exactly the binary, the user's names and the volume's folder.
    let container = output(Command::new("podman").args(["create", &tag]))?
        .trim()
        .to_owned();
    let listed = output(Command::new("sh").arg("-c").arg(format!(
        "podman export {container} | tar --numeric-owner -tvf -"
    )));
    let binary = output(Command::new("sh").arg("-c").arg(format!(
        "podman export {container} | tar -xOf - simology-proxy | sha256sum"
    )));
    let _ = Command::new("podman").args(["rm", &container]).output();
    let listed = listed?;
    let mut names: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|n| !n.ends_with('/') || *n == "data/")
        .collect();
    names.sort_unstable();
    // The engine adds its own mount points (etc/hosts, etc/resolv.conf, ...) to a
    // container's files; only the image's own are asked for.
    for name in [
        "data/",
        "data/.keep",
        "etc/group",
        "etc/passwd",
        "simology-proxy",
    ] {
        if !names.contains(&name) {
            bail!("the image lacks {name}: {names:?}");
        }
    }
    for name in &names {
        if name.starts_with("bin/") || name.starts_with("usr/") || name.starts_with("lib") {
            bail!("the image holds {name}: FROM scratch holds the binary alone");
        }
    }
    let data_line = listed
        .lines()
        .find(|l| l.ends_with(" data/"))
        .context("no data/ line")?;
    if !data_line.contains("10001/10001") {
        bail!("the image's /data is not the proxy user's: {data_line}");
    }
    let released = sha256_hex(&fs::read(
        out.join("bin").join(TARGETS[0].0).join("simology-proxy"),
    )?);
    if !binary?.starts_with(&released) {
        bail!("the image's /simology-proxy is not the released binary");
    }
    println!("image {tag}: user 10001, entrypoint /simology-proxy, volume /data, healthcheck `simology-proxy healthcheck`, the released binary alone");
    // Started, where a container can start here.
    let started = Command::new("podman")
        .args(["run", "--rm", &tag, "--version"])
        .output()?;
    if started.status.success() {
        let said = String::from_utf8_lossy(&started.stdout);
        if !said.contains(version) {
            bail!("the container said {said:?}");
        }
        println!("the container starts: {}", said.trim());
    } else {
        println!(
            "SKIPPED: starting the container: this machine does not let one start ({}); its contents were checked instead",
            String::from_utf8_lossy(&started.stderr).trim()
        );
    }
    Ok(())
}

/// The systemd units pass `systemd-analyze verify` without a word, and their exposure
/// (`systemd-analyze security`) is "OK" (2.0 or less); returns the exposure.
fn check_units(root: &Path, out: &Path) -> Result<f64> {
    let dir = root.join("target/release-check/units");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    let binary = out.join("bin").join(TARGETS[0].0).join("simology-proxy");
    for unit in ["simology-proxy.socket", "simology-proxy.service"] {
        let text = fs::read_to_string(out.join("deploy/systemd").join(unit))?;
        // verify checks that ExecStart's program exists: the released binary's path.
        let text = text.replace(
            "/usr/local/bin/simology-proxy",
            &binary.display().to_string(),
        );
        fs::write(dir.join(unit), text)?;
    }
    let verified = Command::new("systemd-analyze")
        .args([
            "verify",
            "--man=no",
            "simology-proxy.socket",
            "simology-proxy.service",
        ])
        .current_dir(&dir)
        .output()?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
    // It warns of unknown keys and exits 0: any word is a failure.
    if !verified.status.success() || !said.trim().is_empty() {
        bail!("systemd-analyze verify: {said}");
    }
    let security = output(
        Command::new("systemd-analyze")
            .args([
                "security",
                "--offline=true",
                "--no-pager",
                "./simology-proxy.service",
            ])
            .current_dir(&dir),
    )?;
    let exposure: f64 = security
        .lines()
        .find_map(|l| l.split("simology-proxy.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no exposure level in: {security}"))?;
    println!("systemd units verified; exposure of simology-proxy.service: {exposure} (systemd-analyze security)");
    if exposure > 2.0 {
        bail!("the unit's exposure is {exposure}, above 2.0 (OK)");
    }
    Ok(exposure)
}

/// The `release` suite (see the module's documentation).
///
/// # Errors
/// When the release cannot be built or a check fails.
pub fn check() -> Result<()> {
    let root = tools::workspace_root()?;
    let out = build()?;
    let version = version(&root)?;
    tools::run(
        Command::new("sha256sum")
            .args(["--check", "--quiet", "--strict", "SHA256SUMS"])
            .current_dir(&out),
    )?;
    tools::run(
        Command::new("sha256sum")
            .args(["--check", "--quiet", "--strict"])
            .arg(format!("simology-{version}.tar.gz.sha256"))
            .current_dir(out.parent().context("parent")?),
    )?;
    let sbom_of = |package: &str| {
        out.join("sbom")
            .join(format!("{package}.{}.cdx.json", TARGETS[0].0))
    };
    check_sbom(
        &sbom_of("simology-proxy"),
        "simology-proxy",
        &["axum", "hyper", "sqlx", "rustls", "libsqlite3-sys"],
    )?;
    check_sbom(&sbom_of("simology-sandbox"), "simology-sandbox", &["axum"])?;

    // On a machine without a Rust toolchain.
    let drivers = crate::chaos::build_drivers(&root, "debug")?;
    let x86 = out.join("bin").join(TARGETS[0].0);
    tools::run(
        Command::new(drivers.join("simology-bench"))
            .arg("release")
            .arg("--proxy-bin")
            .arg(x86.join("simology-proxy"))
            .arg("--sandbox-bin")
            .arg(x86.join("simology-sandbox"))
            .current_dir(&root),
    )?;
    // The aarch64 binaries, under qemu's user-mode emulation.
    let arm = out.join("bin").join(TARGETS[1].0);
    for name in BINARIES {
        let said = output(
            Command::new("qemu-aarch64-static")
                .arg(arm.join(name))
                .arg("--version"),
        )?;
        if said.trim() != format!("{name} {version}") {
            bail!("the aarch64 {name} said {said:?}");
        }
        println!("aarch64 {name} runs (qemu): {}", said.trim());
    }
    check_image(&out, &version)?;
    check_units(&root, &out)?;
    // The released proxy replaced on one socket under load.
    crate::restart::drive_with(
        &root,
        &drivers.join("simology-bench"),
        &x86.join("simology-proxy"),
        &[],
    )
}
