//! End-to-end testing of the built page: [`serve_dir`] serves `dist/` on 127.0.0.1 (an
//! ephemeral port), and [`Browser`] drives headless Chromium through chromedriver's WebDriver
//! HTTP API. `cargo xtask test` builds the page and sets `E2E_DIST`, `CHROMEDRIVER` and
//! `CHROMIUM`.

mod server;
mod webdriver;

pub use server::{serve_dir, StaticServer};
pub use webdriver::{wait_until, Browser, Element};

use std::path::PathBuf;

/// Where a test saves its screenshots: `target/e2e-screenshots/` in the workspace.
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("can create target/e2e-screenshots");
    dir
}

/// Serves the built page and opens it in a fresh headless Chromium.
///
/// # Panics
/// With a message saying how to run the tests when the environment is not set up (run them
/// through `cargo xtask test`).
pub fn open_page(query: &str) -> (StaticServer, Browser) {
    let dist = std::env::var_os("E2E_DIST")
        .map(PathBuf::from)
        .expect("E2E_DIST is not set: run the end-to-end tests through `cargo xtask test`");
    assert!(
        dist.join("index.html").is_file(),
        "{} has no index.html: build it with `cargo xtask dist`",
        dist.display()
    );
    let server = serve_dir(&dist);
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
