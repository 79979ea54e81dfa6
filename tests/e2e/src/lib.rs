//! End-to-end testing of the built page: [`serve_dir`] serves `dist/` on 127.0.0.1 (an
//! ephemeral port), and [`Browser`] drives headless Chromium through chromedriver's WebDriver
//! HTTP API. `cargo xtask test` builds the page and sets `E2E_DIST`, `CHROMEDRIVER` and
//! `CHROMIUM`.

mod canvas_text;
mod server;
pub mod trace;
mod webdriver;

pub use canvas_text::{overlapping, CanvasTexts, TextBox};
pub use server::{serve_dir, StaticServer};
pub use webdriver::{wait_until, Browser, Element};

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Where a test saves its screenshots: `target/e2e-screenshots/` in the workspace.
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("can create target/e2e-screenshots");
    dir
}

/// The built page served locally and one headless Chromium session that every test of a run
/// shares ([`run_tests`]).
pub struct Page {
    server: StaticServer,
    browser: Browser,
}

/// The desktop window size every test starts from (CSS pixels).
pub const WINDOW: (u32, u32) = (1400, 1000);

impl Page {
    /// Serves `E2E_DIST` and launches the browser.
    ///
    /// # Panics
    /// As [`open_page`].
    pub fn start() -> Page {
        let dist = dist_dir();
        Page { server: serve_dir(&dist), browser: Browser::launch() }
    }

    /// The address the built page is served at (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The browser session (for a test that builds its own document, e.g. a frame around
    /// the page).
    pub fn browser(&self) -> &Browser {
        &self.browser
    }

    /// Opens the page at `query` (e.g. `?view=widths&…`) in a desktop-sized window, leaving
    /// nothing of the previous test behind (storage cleared, the previous document unloaded).
    pub fn open(&self, query: &str) -> &Browser {
        let b = &self.browser;
        b.goto(&format!("{}/", self.server.url()));
        b.execute("localStorage.clear(); sessionStorage.clear();", vec![]);
        b.goto("about:blank");
        b.set_window_size(WINDOW.0, WINDOW.1);
        b.goto(&format!("{}/{}", self.server.url(), query));
        b
    }
}

/// One end-to-end test: its name and its body.
pub type Test = (&'static str, fn(&Page));

/// Runs `tests` one after the other in one shared [`Page`] and prints a libtest-like report;
/// the command-line arguments that are not flags filter tests by name (a test runs when its
/// name contains one of them). A failing test
/// does not stop the others; the exit code says whether all passed.
pub fn run_tests(tests: &[Test]) -> ExitCode {
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let chosen: Vec<&Test> = tests
        .iter()
        .filter(|(n, _)| filters.is_empty() || filters.iter().any(|f| n.contains(f.as_str())))
        .collect();
    println!("\nrunning {} end-to-end tests in one browser session", chosen.len());
    let page = Page::start();
    let mut failed = Vec::new();
    for (name, body) in chosen {
        let start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| body(&page)));
        let secs = start.elapsed().as_secs_f64();
        match outcome {
            Ok(()) => println!("test {name} ... ok ({secs:.1} s)"),
            Err(_) => {
                println!("test {name} ... FAILED ({secs:.1} s)");
                failed.push(*name);
            }
        }
    }
    drop(page);
    if failed.is_empty() {
        println!("\ntest result: ok");
        ExitCode::SUCCESS
    } else {
        println!("\nfailures:\n    {}\n\ntest result: FAILED", failed.join("\n    "));
        ExitCode::FAILURE
    }
}

fn dist_dir() -> PathBuf {
    let dist = std::env::var_os("E2E_DIST")
        .map(PathBuf::from)
        .expect("E2E_DIST is not set: run the end-to-end tests through `cargo xtask test`");
    assert!(
        dist.join("index.html").is_file(),
        "{} has no index.html: build it with `cargo xtask dist`",
        dist.display()
    );
    dist
}

/// Serves the built page and opens it in a fresh headless Chromium.
///
/// # Panics
/// With a message saying how to run the tests when the environment is not set up (run them
/// through `cargo xtask test`).
pub fn open_page(query: &str) -> (StaticServer, Browser) {
    let server = serve_dir(&dist_dir());
    let browser = Browser::launch();
    browser.goto(&format!("{}/{}", server.url(), query));
    (server, browser)
}

/// The native `ntk` binary the end-to-end tests compare the page with: `NTK_BIN` (set by
/// `cargo xtask test`), else `target/debug/ntk` in the workspace.
///
/// # Panics
/// With a message saying how to build it when it is missing.
pub fn ntk_binary() -> PathBuf {
    let path = std::env::var_os("NTK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/ntk"));
    assert!(
        path.is_file(),
        "{} is missing: build it with `cargo build -p ntk-cli` (or run the tests through `cargo xtask test`)",
        path.display()
    );
    path
}
