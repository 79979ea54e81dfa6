//! Project automation (`cargo xtask …`, the ecosystem's xtask convention).
//!
//! - `cargo xtask serve` — install what is missing (wasm32 target, Trunk, the wasm-bindgen CLI
//!   of the version in Cargo.lock), then `trunk serve` on 127.0.0.1.
//! - `cargo xtask test` — formatting, clippy, native tests (the web app's pure logic too), wasm
//!   tests in headless Chromium and Firefox, the release page checked for test hooks, and the
//!   end-to-end test of the release page built with them (feature `test-hooks`).
//! - `cargo xtask dist` — the release build in `dist/` (no test hooks).
//! - `cargo xtask bench-browser` — the ensemble benchmark in headless Chromium (on the release
//!   page with its test hooks).
//! - `cargo xtask bench-lighthouse` — Lighthouse (pinned in `bench/lighthouse/`) on the release
//!   page, mobile and desktop settings.
//! - `cargo xtask bench-peer <script> [args…]` — a peer benchmark (JAX + neural-tangents) from
//!   `bench/peer/`, in a throwaway virtual environment.
//! - `cargo xtask fuzz [CASES [SEED]]` — the readers' fuzz tests (`crates/ntk-fuzz`) with
//!   CASES damaged copies of each valid file (default 5,000) and seed SEED (default: the
//!   clock's), in release mode; the test command runs 150 per file with seed 2019.
//! - `cargo xtask references [args…]` — regenerate the high-precision reference numbers
//!   (`crates/ntk-core/tests/data/reference_hp.json`) with `tools/references/generate.py`
//!   (mpmath + numpy), in a throwaway virtual environment.

mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("test") => test(),
        Some("dist") => dist().map(|_| ()),
        Some("bench-browser") => bench_browser(),
        Some("bench-lighthouse") => bench_lighthouse(),
        Some("bench-peer") => bench_peer(&args[1..]),
        Some("fuzz") => fuzz(&args[1..]),
        Some("references") => references(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <serve [--port P] | test | dist | bench-browser | bench-lighthouse | bench-peer SCRIPT [ARGS…] | fuzz [CASES [SEED]] | references [ARGS…]>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

/// Cargo's target directory: `CARGO_TARGET_DIR` (relative to the workspace root) or `target/`.
fn target_dir() -> PathBuf {
    root().join(std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from))
}

/// Runs a command in the workspace root, failing with its command line if it fails.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    println!("xtask: $ {shown}");
    let status = cmd.current_dir(root()).status().map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("failed ({status}): {shown}"))
    }
}

/// Seconds a browser test binary may run (the runner's default, 20 s, is too short for the
/// worker-pool tests in a debug build).
const WASM_TEST_TIMEOUT_S: &str = "300";

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn serve(args: &[String]) -> Result<(), String> {
    let port = match args {
        [flag, p] if flag == "--port" => {
            p.parse::<u16>().map_err(|_| format!("--port: '{p}' is not a port"))?
        }
        [] => 8080,
        _ => return Err("usage: cargo xtask serve [--port P]".into()),
    };
    tools::ensure_web_build_tools()?;
    println!("xtask: the explorer will be at http://127.0.0.1:{port}/ (Ctrl-C stops it)");
    run(Command::new(tools::trunk()).args(["serve", "--address", "127.0.0.1", "--port", &port.to_string()]))
}

/// Builds the release page into `dist/` and returns its path.
fn dist() -> Result<PathBuf, String> {
    tools::ensure_web_build_tools()?;
    run(Command::new(tools::trunk()).args(["build", "--release"]))?;
    let dist = root().join("dist");
    println!("xtask: release page in {}", dist.display());
    Ok(dist)
}

/// The feature that compiles the page's test hooks (`src/hooks.rs`).
const TEST_HOOKS: &str = "test-hooks";

/// What the test hooks add to the page's wasm: the names of `src/bench.rs`'s exports and the
/// worker's crash message. None may be in the release page.
const HOOK_NAMES: [&str; 4] =
    ["run_pool_benchmark", "run_pool_job", "page_workers", "worker crash requested"];

/// The page as the tests and the browser benchmark drive it: the release build with the test
/// hooks (feature `test-hooks`), in `target/dist-test-hooks/`.
fn test_dist() -> Result<PathBuf, String> {
    tools::ensure_web_build_tools()?;
    let dist = target_dir().join("dist-test-hooks");
    run(Command::new(tools::trunk())
        .args(["build", "--release", "--features", TEST_HOOKS, "--dist"])
        .arg(&dist))?;
    println!("xtask: the page with its test hooks in {}", dist.display());
    Ok(dist)
}

/// The `.wasm` files of a built page.
fn page_wasm(dist: &Path) -> Result<Vec<PathBuf>, String> {
    let files: Vec<PathBuf> = std::fs::read_dir(dist)
        .map_err(|e| format!("{}: {e}", dist.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .collect();
    if files.is_empty() {
        return Err(format!("no .wasm in {}", dist.display()));
    }
    Ok(files)
}

/// The hook names ([`HOOK_NAMES`]) found in the bytes of the page's wasm files.
fn hooks_in(dist: &Path) -> Result<Vec<&'static str>, String> {
    let mut found = Vec::new();
    for file in page_wasm(dist)? {
        let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        found.extend(HOOK_NAMES.iter().filter(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes())));
    }
    found.sort_unstable();
    found.dedup();
    Ok(found)
}

/// The ensemble benchmark in headless Chromium, 1 vs 2 workers (prints wall time, GFLOP/s and
/// the speed-up). BENCH_MEMBERS and BENCH_STEPS size it (default 16 members × 1,500 steps).
fn bench_browser() -> Result<(), String> {
    let browsers = tools::ensure_browsers()?;
    let dist = test_dist()?;
    run(cargo()
        .args([
            "test",
            "--release",
            "-p",
            "e2e",
            "--test",
            "browser_bench",
            "--",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("E2E_DIST", &dist)
        .env("CHROMEDRIVER", &browsers.chromedriver)
        .env("CHROMIUM", &browsers.chromium))
}

/// Lighthouse on the release page: `bench/lighthouse/` (its `package.json` pins Lighthouse) is
/// installed with npm into `target/lighthouse/` on first use (again when the pin changes), then
/// `run.mjs` serves `dist/` and audits it with the mobile and desktop settings in headless
/// Chromium. Never run by the tests.
fn bench_lighthouse() -> Result<(), String> {
    let browsers = tools::ensure_browsers()?;
    let dist = dist()?;
    let source = root().join("bench").join("lighthouse");
    let dir = target_dir().join("lighthouse");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let package =
        std::fs::read_to_string(source.join("package.json")).map_err(|e| format!("package.json: {e}"))?;
    let installed = std::fs::read_to_string(dir.join("package.json")).ok();
    if installed.as_deref() != Some(package.as_str()) || !dir.join("node_modules").is_dir() {
        std::fs::write(dir.join("package.json"), &package).map_err(|e| format!("{}: {e}", dir.display()))?;
        run(Command::new("npm").args(["install", "--no-audit", "--no-fund", "--prefix"]).arg(&dir))?;
    }
    std::fs::copy(source.join("run.mjs"), dir.join("run.mjs")).map_err(|e| format!("run.mjs: {e}"))?;
    run(Command::new("node").arg(dir.join("run.mjs")).arg(&dist).env("CHROME_PATH", &browsers.chromium))
}

/// The readers' fuzz tests, longer than in the test command: `cases` damaged copies of each
/// valid file (default 5,000) from `seed` (default: the clock's seconds, printed, so that a
/// failure can be run again with the same seed).
fn fuzz(args: &[String]) -> Result<(), String> {
    let number = |i: usize, default: u64| -> Result<u64, String> {
        args.get(i).map_or(Ok(default), |a| a.parse().map_err(|_| format!("'{a}' is not a number")))
    };
    let clock = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (cases, seed) = (number(0, 5000)?, number(1, clock)?);
    println!("xtask: fuzzing the readers with {cases} cases per file, seed {seed}");
    run(cargo()
        .args(["test", "--release", "-p", "ntk-fuzz", "--test", "readers", "--", "--nocapture"])
        .env("NTK_FUZZ_CASES", cases.to_string())
        .env("NTK_FUZZ_SEED", seed.to_string()))
}

/// Runs `bench/peer/<script>.py` in `target/peer-venv`, created and filled from
/// `bench/peer/requirements.txt` on first use (the peer is never installed by the tests).
fn bench_peer(args: &[String]) -> Result<(), String> {
    let Some((script, rest)) = args.split_first() else {
        return Err("usage: cargo xtask bench-peer SCRIPT [ARGS…] (a script of bench/peer/)".into());
    };
    let dir = root().join("bench").join("peer");
    let path = dir.join(format!("{script}.py"));
    if !path.is_file() {
        return Err(format!("no peer benchmark {}", path.display()));
    }
    let python = python_venv("peer-venv", &dir.join("requirements.txt"))?;
    run(Command::new(&python).arg(&path).args(rest))
}

/// Runs `tools/references/generate.py` (arguments passed on) in `target/references-venv`,
/// created and filled from `tools/references/requirements.txt` on first use. The tests only
/// read the JSON it writes; they never run it.
fn references(args: &[String]) -> Result<(), String> {
    let dir = root().join("tools").join("references");
    let python = python_venv("references-venv", &dir.join("requirements.txt"))?;
    run(Command::new(&python).arg(dir.join("generate.py")).args(args))
}

/// The Python of the virtual environment `target/<name>`, created on first use and (re)filled
/// from `requirements` whenever that file changed since the last install.
fn python_venv(name: &str, requirements: &Path) -> Result<PathBuf, String> {
    let venv = target_dir().join(name);
    let python = venv.join("bin").join("python");
    let stamp = venv.join("installed-requirements.txt");
    let wanted =
        std::fs::read_to_string(requirements).map_err(|e| format!("{}: {e}", requirements.display()))?;
    if !python.is_file() {
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    }
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        run(Command::new(&python).args(["-m", "pip", "install", "--quiet", "-r"]).arg(requirements))?;
        std::fs::write(&stamp, &wanted).map_err(|e| format!("{}: {e}", stamp.display()))?;
    }
    Ok(python)
}

fn test() -> Result<(), String> {
    let start = Instant::now();
    let step = |name: &str| println!("\nxtask: ==== {name} ({:.0} s elapsed)", start.elapsed().as_secs_f64());
    tools::ensure_web_build_tools()?;
    let browsers = tools::ensure_browsers()?;

    step("formatting");
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;

    // The web app is linted once, for wasm32 with its tests (the same code compiles natively).
    step("clippy (native crates, then the web app for wasm32)");
    run(cargo().args([
        "clippy",
        "--workspace",
        "--exclude",
        "wide-explorer",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    // With the test hooks (all targets: the tests use them), and the page as it ships.
    for targets in [&["--all-targets", "--features", TEST_HOOKS][..], &["--lib", "--bins"]] {
        run(cargo()
            .args(["clippy", "-p", "wide-explorer", "--target", "wasm32-unknown-unknown"])
            .args(targets)
            .args(["--", "-D", "warnings"]))?;
    }

    step("docs (a broken or private intra-doc link is an error)");
    let doc_flags = "-D rustdoc::broken_intra_doc_links -D rustdoc::private_intra_doc_links";
    run(cargo()
        .args(["doc", "--workspace", "--exclude", "wide-explorer", "--exclude", "xtask", "--no-deps"])
        .env("RUSTDOCFLAGS", doc_flags))?;
    run(cargo()
        .args([
            "doc",
            "-p",
            "wide-explorer",
            "--features",
            TEST_HOOKS,
            "--no-deps",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .env("RUSTDOCFLAGS", doc_flags))?;

    step("native tests (the web app's: its library's unit tests, its pure logic)");
    run(cargo().args(["test", "--workspace", "--exclude", "wide-explorer", "--exclude", "e2e"]))?;
    run(cargo().args(["test", "-p", "wide-explorer", "--lib"]))?;

    // The browser tests are the web app's integration tests (`tests/*.rs`); its library's unit
    // tests ran natively above. The same tests in each engine: its driver set, the other's removed.
    for (engine, driver, path, other) in [
        ("Chromium", "CHROMEDRIVER", &browsers.chromedriver, "GECKODRIVER"),
        ("Firefox", "GECKODRIVER", &browsers.geckodriver, "CHROMEDRIVER"),
    ] {
        step(&format!("wasm tests in headless {engine}"));
        run(cargo()
            .args([
                "test",
                "-p",
                "wide-explorer",
                "--features",
                TEST_HOOKS,
                "--target",
                "wasm32-unknown-unknown",
            ])
            .args(["--test", "*"])
            .env(driver, path)
            .env("WASM_BINDGEN_TEST_TIMEOUT", WASM_TEST_TIMEOUT_S)
            .env_remove(other))?;
    }

    // The release page ships no test hook; the same build with them is what the tests drive
    // (only the web crate compiles again: its dependencies do not see the feature).
    step("release build of the page, without the test hooks");
    let release = dist()?;
    let shipped = hooks_in(&release)?;
    if !shipped.is_empty() {
        return Err(format!("the release page ships test hooks: {shipped:?} in {}", release.display()));
    }
    step("release build of the page with its test hooks");
    let dist = test_dist()?;
    let built = hooks_in(&dist)?;
    if built.len() != HOOK_NAMES.len() {
        return Err(format!("the test build lacks hooks (found {built:?} of {HOOK_NAMES:?})"));
    }

    step("end-to-end test of the built page in headless Chromium");
    // The native CLI the page's width sweeps are compared with (built by the native tests).
    run(cargo().args(["build", "-p", "ntk-cli"]))?;
    run(cargo()
        .args(["test", "-p", "e2e", "--test", "page"])
        .env("E2E_DIST", &dist)
        .env("NTK_BIN", target_dir().join("debug").join("ntk"))
        .env("CHROMEDRIVER", &browsers.chromedriver)
        .env("CHROMIUM", &browsers.chromium))?;

    println!("\nxtask: all checks passed in {:.0} s", start.elapsed().as_secs_f64());
    Ok(())
}
