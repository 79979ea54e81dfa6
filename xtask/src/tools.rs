//! Finding and installing the tools the web build and the browser tests need, reusing what
//! is already installed at the right version.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{root, run};

/// The Trunk release the project is built with (Trunk 0.22 needs a newer rustc).
pub const TRUNK_VERSION: &str = "0.21.14";
/// geckodriver for wasm tests in Firefox (from crates.io; the npm package downloads a binary).
pub const GECKODRIVER_VERSION: &str = "0.37.1";

/// Paths of the browsers and WebDriver servers the tests drive.
pub struct Browsers {
    /// headless Chromium
    pub chromium: PathBuf,
    /// its WebDriver server
    pub chromedriver: PathBuf,
    /// Firefox's WebDriver server
    pub geckodriver: PathBuf,
}

fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    home.join("bin").join(name)
}

/// The Trunk binary (in cargo's bin directory).
pub fn trunk() -> PathBuf {
    cargo_bin("trunk")
}

/// `<binary> --version` output, if the binary runs.
fn version_of(bin: &Path) -> Option<String> {
    let out = Command::new(bin).arg("--version").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The wasm-bindgen version pinned in Cargo.lock.
pub fn locked_wasm_bindgen_version() -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.trim().strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

/// Checks that Trunk.toml pins the same wasm-bindgen version as Cargo.lock.
fn check_trunk_toml(version: &str) -> Result<(), String> {
    let trunk_toml =
        std::fs::read_to_string(root().join("Trunk.toml")).map_err(|e| format!("Trunk.toml: {e}"))?;
    if trunk_toml.contains(&format!("wasm_bindgen = \"{version}\"")) {
        Ok(())
    } else {
        Err(format!(
            "Trunk.toml must pin `wasm_bindgen = \"{version}\"` under [tools] (the version in Cargo.lock)"
        ))
    }
}

fn cargo_install(krate: &str, version: &str, locked: bool) -> Result<(), String> {
    let mut cmd = Command::new("cargo");
    cmd.args(["install", krate, "--version", version]);
    if locked {
        cmd.arg("--locked");
    }
    run(&mut cmd)
}

/// Installs (or reuses) the wasm32 target, Trunk and the wasm-bindgen CLI, and fetches every
/// crate so that offline builds work.
///
/// # Errors
/// The failing install step.
pub fn ensure_web_build_tools() -> Result<(), String> {
    let targets = Command::new("rustup").args(["target", "list", "--installed"]).output();
    let has_wasm = targets.map(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-unknown-unknown"));
    if !has_wasm.unwrap_or(false) {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    if !version_of(&trunk()).is_some_and(|v| v.contains(TRUNK_VERSION)) {
        println!("xtask: installing Trunk {TRUNK_VERSION} (about 10 minutes on 2 cores)");
        cargo_install("trunk", TRUNK_VERSION, true)?;
    }
    let wbg = locked_wasm_bindgen_version()?;
    check_trunk_toml(&wbg)?;
    let installed = version_of(&cargo_bin("wasm-bindgen"));
    if installed.as_deref().and_then(|v| v.split_whitespace().nth(1)) != Some(wbg.as_str()) {
        // Not --locked: the registry lacks one of its locked dependencies; unlocked resolves.
        println!("xtask: installing wasm-bindgen-cli {wbg} (about 4 minutes)");
        cargo_install("wasm-bindgen-cli", &wbg, false)?;
    }
    run(Command::new("cargo").args(["fetch"]))
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn is_root_on_debian() -> bool {
    let uid = Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    uid.unwrap_or(false) && Path::new("/etc/debian_version").exists()
}

/// Finds Chromium, chromedriver, Firefox and geckodriver; installs them when running as root on
/// Debian, otherwise says in one line what to install.
///
/// # Errors
/// What is missing and cannot be installed here.
pub fn ensure_browsers() -> Result<Browsers, String> {
    let apt_missing: Vec<&str> =
        [("chromium", "chromium"), ("chromedriver", "chromium-driver"), ("firefox-esr", "firefox-esr")]
            .into_iter()
            .filter(|(bin, _)| which(bin).is_none())
            .map(|(_, pkg)| pkg)
            .collect();
    let gecko_ok = version_of(&cargo_bin("geckodriver")).is_some_and(|v| v.contains(GECKODRIVER_VERSION));
    if !apt_missing.is_empty() || !gecko_ok {
        if !is_root_on_debian() {
            return Err(format!(
                "missing browser tools: install {} and `cargo install geckodriver --version {GECKODRIVER_VERSION}`",
                if apt_missing.is_empty() { "nothing else".to_string() } else { apt_missing.join(", ") }
            ));
        }
        if !apt_missing.is_empty() {
            run(Command::new("apt-get").args(["update", "-qq"]))?;
            let mut install = Command::new("apt-get");
            install.args(["install", "-y", "-qq", "--no-install-recommends"]).args(&apt_missing);
            install.env("DEBIAN_FRONTEND", "noninteractive");
            run(&mut install)?;
        }
        if !gecko_ok {
            cargo_install("geckodriver", GECKODRIVER_VERSION, false)?;
        }
    }
    let find = |name: &str| which(name).ok_or_else(|| format!("{name} not found on PATH"));
    Ok(Browsers {
        chromium: find("chromium")?,
        chromedriver: find("chromedriver")?,
        geckodriver: cargo_bin("geckodriver"),
    })
}
