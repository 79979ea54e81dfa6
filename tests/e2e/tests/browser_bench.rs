//! The ensemble benchmark in headless Chromium (`cargo xtask bench-browser`; ignored in the
//! test suite, it is a measurement, not a test): the cookbook workload's per-step shape (5
//! training points, two erf layers of width 512) with 1 and with 2 workers.

use std::time::Duration;

use e2e::open_page;
use serde_json::Value;

fn run(browser: &e2e::Browser, workers: usize, members: usize, steps: u32) -> Value {
    let out = browser.execute_async(
        "const done = arguments[arguments.length - 1];
         window.wasmBindings.run_pool_benchmark(arguments[0], arguments[1], arguments[2], 512)
           .then(done, e => done('error: ' + e));",
        vec![workers.into(), members.into(), steps.into()],
    );
    let text = out.as_str().unwrap_or_default();
    serde_json::from_str(text).unwrap_or_else(|_| panic!("benchmark failed: {out}"))
}

#[test]
#[ignore = "benchmark: run with `cargo xtask bench-browser`"]
fn cookbook_ensemble_in_the_browser() {
    let members: usize = std::env::var("BENCH_MEMBERS").ok().and_then(|v| v.parse().ok()).unwrap_or(16);
    let steps: u32 = std::env::var("BENCH_STEPS").ok().and_then(|v| v.parse().ok()).unwrap_or(1500);
    // `?members=1` keeps the page's own ensemble tiny so it does not compete for the cores.
    let (_server, browser) = open_page("?members=1&steps=1&width=8");
    browser.wait_true(
        "return !!(window.wasmBindings && window.wasmBindings.run_pool_benchmark);",
        Duration::from_secs(30),
        "the page's wasm to load",
    );
    std::thread::sleep(Duration::from_secs(2));
    // A first run warms the browser up (wasm tier-up); then 1 and 2 workers.
    let _ = run(&browser, 2, members.min(4), steps.min(500));
    let one = run(&browser, 1, members, steps);
    let two = run(&browser, 2, members, steps);
    let (t1, t2) = (one["wall_seconds"].as_f64().unwrap(), two["wall_seconds"].as_f64().unwrap());
    println!("browser benchmark, 1 worker:  {one}");
    println!("browser benchmark, 2 workers: {two}");
    println!("speed-up 2 vs 1 workers: {:.2}x", t1 / t2);
}
