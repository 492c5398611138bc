//! Finding and installing the tools the suites need, idempotently: each is skipped
//! when already present at the pinned version.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The trunk version that builds with this toolchain (0.22 needs a newer rustc).
pub const TRUNK_VERSION: &str = "0.21.14";

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(PathBuf::from)
        .context("xtask has no parent directory")
}

/// `cargo`, the one that runs us.
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Runs a command, failing with its name when it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().with_context(|| format!("starting {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

/// A command's standard output, or `None` when it cannot run or fails.
pub fn output_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What the native suites need: the toolchain's rustfmt and clippy, and cargo-machete.
pub fn ensure_native() -> Result<()> {
    if output_of(cargo().args(["fmt", "--version"])).is_none() {
        println!("installing rustup component rustfmt");
        run(Command::new("rustup").args(["component", "add", "rustfmt"]))?;
    }
    if output_of(cargo().args(["clippy", "--version"])).is_none() {
        println!("installing rustup component clippy");
        run(Command::new("rustup").args(["component", "add", "clippy"]))?;
    }
    ensure_machete()
}

/// The cargo-machete release that finds unused dependencies (the `clippy` suite). It
/// works on stable, unlike cargo-udeps (nightly), and reads the sources, not a build.
pub const MACHETE_VERSION: &str = "0.9.2";

/// cargo-machete at [`MACHETE_VERSION`], built by `cargo install`.
pub fn ensure_machete() -> Result<()> {
    // It answers `cargo-machete --version` with the bare version, "0.9.2".
    cargo_install(
        "cargo-machete",
        MACHETE_VERSION,
        "cargo-machete",
        &["--locked", "--version", MACHETE_VERSION],
    )
}

/// The wasm32 target.
pub fn ensure_wasm_target() -> Result<()> {
    ensure_target("wasm32-unknown-unknown")
}

/// A target's standard library, from rustup (the toolchain's own distribution).
pub fn ensure_target(triple: &str) -> Result<()> {
    let installed = output_of(Command::new("rustup").args(["target", "list", "--installed"]))
        .unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == triple) {
        println!("installing the {triple} target");
        run(Command::new("rustup").args(["target", "add", triple]))?;
    }
    Ok(())
}

/// The version of a package in Cargo.lock.
pub fn locked_version(package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(workspace_root()?.join("Cargo.lock"))
        .context("reading Cargo.lock")?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .with_context(|| format!("{package} is not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..]
        .find('"')
        .context("unterminated version in Cargo.lock")?;
    Ok(lock[start..start + end].to_owned())
}

fn cargo_install(binary: &str, version_line: &str, crate_name: &str, args: &[&str]) -> Result<()> {
    // The name and version, the first two words: geckodriver adds a build note and more lines.
    let have = output_of(Command::new(binary).arg("--version")).unwrap_or_default();
    let have = have
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    if have == version_line {
        return Ok(());
    }
    println!("installing {crate_name} ({version_line}); this takes a few minutes once");
    run(cargo().arg("install").arg(crate_name).args(args))
}

/// trunk at the pinned version.
pub fn ensure_trunk() -> Result<()> {
    cargo_install(
        "trunk",
        &format!("trunk {TRUNK_VERSION}"),
        "trunk",
        &["--version", TRUNK_VERSION, "--locked"],
    )
}

/// wasm-bindgen-cli at exactly the wasm-bindgen version of Cargo.lock, so trunk uses
/// it instead of downloading one, and `wasm-bindgen-test-runner` comes with it.
pub fn ensure_wasm_bindgen() -> Result<()> {
    let version = locked_version("wasm-bindgen")?;
    // `--locked` fails on a yanked webpki-roots in its lock file; without it, it builds.
    cargo_install(
        "wasm-bindgen",
        &format!("wasm-bindgen {version}"),
        "wasm-bindgen-cli",
        &["--version", &format!("={version}")],
    )
}

fn is_root() -> bool {
    output_of(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0")
}

/// Debian packages, installed when any of their files is missing.
pub fn ensure_apt(wanted: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(path, _)| !Path::new(path).exists())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("installing Debian packages: {}", missing.join(" "));
    let sudo = !is_root();
    let apt = |args: &[&str]| -> Result<()> {
        let mut cmd = if sudo {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        } else {
            Command::new("apt-get")
        };
        cmd.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        run(&mut cmd)
    };
    apt(&["update", "-q"])?;
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend(&missing);
    apt(&args)
}

/// Node.js and npm, for wasm-opt (npm's binaryen), terser and the browser journeys.
/// Present on this project's machines; Debian's packages when missing.
pub fn ensure_node() -> Result<()> {
    ensure_apt(&[("/usr/bin/node", "nodejs"), ("/usr/bin/npm", "npm")])
}

/// Chromium and ChromeDriver for the browser suites.
pub fn ensure_browser() -> Result<()> {
    ensure_apt(&[
        ("/usr/bin/chromium", "chromium"),
        ("/usr/bin/chromedriver", "chromium-driver"),
    ])
}

/// The geckodriver release, from crates.io like every other tool: the newest, built with
/// this toolchain (it is edition 2024), and drives Debian 12's Firefox ESR (140 and the
/// security updates' 153; geckodriver since 0.36 needs Firefox 128 ESR or later).
pub const GECKODRIVER_VERSION: &str = "0.37.1";

/// The WebKit and Firefox journeys' browsers and drivers, all from Debian except
/// geckodriver (crates.io): WebKitGTK's `WebKitWebDriver` (`webkit2gtk-driver`, which
/// brings WebKitGTK itself), `xvfb-run` for the display WebKitGTK needs, Firefox ESR,
/// and geckodriver at its pinned version.
pub fn ensure_engines() -> Result<()> {
    ensure_apt(&[
        ("/usr/bin/WebKitWebDriver", "webkit2gtk-driver"),
        ("/usr/bin/xvfb-run", "xvfb"),
        // xvfb-run needs xauth (only a recommendation of xvfb, which apt skips here).
        ("/usr/bin/xauth", "xauth"),
        ("/usr/bin/firefox-esr", "firefox-esr"),
    ])?;
    ensure_geckodriver()
}

/// geckodriver at [`GECKODRIVER_VERSION`], built by `cargo install` into `~/.cargo/bin`.
pub fn ensure_geckodriver() -> Result<()> {
    cargo_install(
        "geckodriver",
        &format!("geckodriver {GECKODRIVER_VERSION}"),
        "geckodriver",
        &["--locked", "--version", GECKODRIVER_VERSION],
    )
}

/// The reference server and load generator of `cargo xtask bench`, from Debian: nginx
/// (with its brotli_static module, to serve the widget's files precompressed as a CDN
/// does) and wrk. The bench runs its own nginx (own config and prefix, loopback port,
/// the current user); the system's service is never used.
pub fn ensure_bench_tools() -> Result<()> {
    ensure_apt(&[
        ("/usr/sbin/nginx", "nginx"),
        (
            "/usr/lib/nginx/modules/ngx_http_brotli_static_module.so",
            "libnginx-mod-http-brotli-static",
        ),
        ("/usr/bin/wrk", "wrk"),
    ])
}

/// The binaryen release whose wasm-opt the release build uses. Debian's (108) breaks
/// the externref table that rustc and wasm-bindgen now emit; npm's build of binaryen is
/// current and needs no compiler.
pub const BINARYEN_VERSION: &str = "132";

fn home() -> Result<PathBuf> {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .context("HOME is not set")
}

/// wasm-opt from npm's binaryen, installed under `~/.cargo` so that its `bin/` (already
/// on PATH for cargo) holds it and a bare `trunk build` finds it too.
pub fn ensure_wasm_opt() -> Result<()> {
    let have = output_of(Command::new("wasm-opt").arg("--version")).unwrap_or_default();
    if have.contains(&format!("version_{BINARYEN_VERSION}")) {
        return Ok(());
    }
    ensure_node()?;
    println!("installing wasm-opt (binaryen {BINARYEN_VERSION}) from npm into ~/.cargo");
    let prefix = home()?.join(".cargo");
    run(Command::new("npm")
        .args([
            "install",
            "--global",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(format!("binaryen@{BINARYEN_VERSION}.0.0")))?;
    let now = output_of(Command::new("wasm-opt").arg("--version")).unwrap_or_default();
    if !now.contains(&format!("version_{BINARYEN_VERSION}")) {
        bail!("wasm-opt on PATH is {now:?} after installing binaryen {BINARYEN_VERSION} into {}: put {}/bin first on PATH", prefix.display(), prefix.display());
    }
    Ok(())
}

/// The cargo-zigbuild release that links the aarch64 binaries, with its zig: both from
/// PyPI (`cargo-zigbuild` ships its binary in its wheel, `ziglang` the zig toolchain
/// with musl's headers and libc for every target).
pub const ZIGBUILD_VERSION: &str = "0.24.0";
/// The zig release (PyPI's `ziglang`).
pub const ZIG_VERSION: &str = "0.17.0";

/// cargo-zigbuild and zig in a virtual environment under `target/tools/zig`; returns
/// its `bin/` (put it first on PATH: cargo-zigbuild finds zig through its Python).
pub fn ensure_zigbuild() -> Result<PathBuf> {
    let venv = workspace_root()?.join("target/tools/zig");
    let bin = venv.join("bin");
    let have =
        output_of(Command::new(bin.join("cargo-zigbuild")).arg("--version")).unwrap_or_default();
    let zig = output_of(Command::new(bin.join("python")).args(["-m", "ziglang", "version"]))
        .unwrap_or_default();
    if have.trim() == format!("cargo-zigbuild {ZIGBUILD_VERSION}") && zig.trim() == ZIG_VERSION {
        return Ok(bin);
    }
    println!(
        "installing cargo-zigbuild {ZIGBUILD_VERSION} and zig {ZIG_VERSION} from PyPI into {}",
        venv.display()
    );
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(bin.join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(format!("cargo-zigbuild=={ZIGBUILD_VERSION}"))
        .arg(format!("ziglang=={ZIG_VERSION}")))?;
    Ok(bin)
}

/// The cargo-cyclonedx release that writes the release's SBOM.
pub const CYCLONEDX_VERSION: &str = "0.5.9";

/// cargo-cyclonedx at [`CYCLONEDX_VERSION`], built by `cargo install`.
pub fn ensure_cyclonedx() -> Result<()> {
    // It answers `cargo cyclonedx --version` only, as "cargo-cyclonedx-cyclonedx 0.5.9".
    let have = output_of(cargo().args(["cyclonedx", "--version"])).unwrap_or_default();
    if have.split_whitespace().last() == Some(CYCLONEDX_VERSION) {
        return Ok(());
    }
    println!("installing cargo-cyclonedx {CYCLONEDX_VERSION}; this takes a few minutes once");
    run(cargo().args([
        "install",
        "cargo-cyclonedx",
        "--locked",
        "--force",
        "--version",
        CYCLONEDX_VERSION,
    ]))
}

/// What `cargo xtask release` and its suite need: the musl targets (x86_64 built with
/// Debian's musl-gcc for the C of SQLite and ring; aarch64 linked by cargo-zigbuild),
/// cargo-cyclonedx; and for the checks, podman (the image), qemu-user (the aarch64
/// binaries run) and systemd-analyze (the units).
pub fn ensure_release() -> Result<PathBuf> {
    ensure_target("x86_64-unknown-linux-musl")?;
    ensure_target("aarch64-unknown-linux-musl")?;
    ensure_apt(&[
        ("/usr/bin/musl-gcc", "musl-tools"),
        ("/usr/bin/podman", "podman"),
        ("/usr/bin/qemu-aarch64-static", "qemu-user-static"),
        ("/usr/bin/systemd-analyze", "systemd"),
        ("/usr/bin/sha256sum", "coreutils"),
    ])?;
    ensure_cyclonedx()?;
    ensure_zigbuild()
}

/// Everything the widget's build and browser tests need.
pub fn ensure_widget() -> Result<()> {
    ensure_wasm_target()?;
    ensure_wasm_opt()?;
    ensure_trunk()?;
    ensure_wasm_bindgen()
}

/// npm packages of a folder with a package-lock.json (`npm ci`), skipped when
/// node_modules is newer than the lock file.
pub fn ensure_npm(dir: &Path) -> Result<()> {
    let lock = dir.join("package-lock.json");
    let marker = dir.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&marker)) {
        (Ok(l), Ok(m)) => match (l.modified(), m.modified()) {
            (Ok(l), Ok(m)) => m >= l,
            _ => false,
        },
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    ensure_node()?;
    println!("installing npm packages in {}", dir.display());
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        // The tests drive Debian's Chromium; no tool may download a browser.
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .current_dir(dir))
}

/// The test role and the admin URL the PostgreSQL suites use (loopback only).
pub const POSTGRES_URL: &str = "postgres://simology:simology@127.0.0.1:5432/postgres";

/// `psql` connected as the test role over loopback (the connection of [`POSTGRES_URL`]).
fn psql_as_test_role() -> Command {
    let mut cmd = Command::new("psql");
    cmd.args(["-h", "127.0.0.1", "-U", "simology", "-d", "postgres"])
        .env("PGPASSWORD", "simology");
    cmd
}

fn psql_ok() -> bool {
    output_of(
        psql_as_test_role()
            .args(["-tAc", "SELECT 1"])
            .env("PGCONNECT_TIMEOUT", "3"),
    )
    .is_some_and(|o| o.trim() == "1")
}

fn as_postgres(sql: &str) -> Result<()> {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]);
        c
    } else {
        let mut c = Command::new("sudo");
        c.args(["-u", "postgres"]);
        c
    };
    run(cmd.args(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql]))
}

/// A PostgreSQL server on 127.0.0.1:5432 with the test role: Debian's package is
/// installed and its cluster started when none answers. Returns the admin URL.
pub fn ensure_postgres() -> Result<&'static str> {
    if psql_ok() {
        return Ok(POSTGRES_URL);
    }
    ensure_apt(&[
        ("/usr/bin/pg_lsclusters", "postgresql"),
        ("/usr/bin/psql", "postgresql-client"),
    ])?;
    let clusters = output_of(Command::new("pg_lsclusters").arg("--no-header")).unwrap_or_default();
    let first = clusters
        .lines()
        .next()
        .context("Debian's postgresql package made no cluster")?;
    let fields: Vec<&str> = first.split_whitespace().collect();
    let (version, name, status) = (
        fields.first().copied(),
        fields.get(1).copied(),
        fields.get(3).copied(),
    );
    let (Some(version), Some(name)) = (version, name) else {
        bail!("cannot read pg_lsclusters: {first:?}");
    };
    if status != Some("online") {
        println!("starting PostgreSQL {version} cluster {name}");
        let mut start = if is_root() {
            Command::new("pg_ctlcluster")
        } else {
            let mut c = Command::new("sudo");
            c.arg("pg_ctlcluster");
            c
        };
        run(start.args([version, name, "start"]))?;
    }
    // The role, once (idempotent).
    as_postgres(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'simology') THEN \
         CREATE ROLE simology LOGIN PASSWORD 'simology' CREATEDB; END IF; END $$;",
    )?;
    for _ in 0..50 {
        if psql_ok() {
            return Ok(POSTGRES_URL);
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    bail!("PostgreSQL does not answer on 127.0.0.1:5432 as the test role")
}

/// A fresh, empty database on the test server; returns its URL.
pub fn fresh_postgres_database(prefix: &str) -> Result<String> {
    let name = format!("{prefix}_{}", std::process::id());
    // Two commands: CREATE DATABASE cannot run in the transaction of a multi-statement -c.
    for statement in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        run(psql_as_test_role().args(["-q", "-c", &statement]))?;
    }
    let server = POSTGRES_URL
        .strip_suffix("/postgres")
        .context("POSTGRES_URL names the postgres database")?;
    Ok(format!("{server}/{name}"))
}

/// Every tool of every suite.
pub fn ensure_all() -> Result<()> {
    ensure_native()?;
    ensure_widget()?;
    ensure_browser()?;
    ensure_engines()?;
    ensure_postgres()?;
    ensure_release()?;
    println!("all tools present");
    Ok(())
}
