//! The same ensemble job gives the same statistics in the browser's worker pool (1 and 2
//! workers) as natively (`ntk ensemble` runs the same `run_members` code).

use std::ops::ControlFlow;
use std::time::Duration;

use e2e::Page;
use ntk_core::nets::ensemble::{run_members, EnsembleSpec, EnsembleStats};

pub fn browser_pool_matches_the_native_run(page: &Page) {
    let spec = EnsembleSpec::cookbook(4, 400, 64, 6);
    let native = run_members(&spec, 0..spec.members, |_| ControlFlow::Continue(())).unwrap().summary();
    let browser = page.open("?members=1&steps=1&width=8");
    browser.wait_true(
        "return !!(window.wasmBindings && window.wasmBindings.run_pool_job);",
        Duration::from_secs(30),
        "the page's wasm to load",
    );
    let spec_json = serde_json::to_string(&spec).unwrap();
    let mut per_workers = Vec::new();
    for workers in [1, 2] {
        let out = browser.execute_async(
            "const done = arguments[arguments.length - 1];
             window.wasmBindings.run_pool_job(arguments[0], arguments[1]).then(done, e => done('error: ' + e));",
            vec![spec_json.clone().into(), workers.into()],
        );
        let text = out.as_str().unwrap_or_default();
        let stats: EnsembleStats = serde_json::from_str(text).unwrap_or_else(|_| panic!("job failed: {out}"));
        per_workers.push(stats.clone());
        let browser_summary = stats.summary();
        assert_eq!(browser_summary.members, native.members);
        for (b, n) in browser_summary.checkpoints.iter().zip(&native.checkpoints) {
            assert_eq!(b.step, n.step);
            // Training is f32 in both; the only differences are the last bits of libm's erf in
            // wasm vs natively and the order of the per-member merge (1e-16 relative), which
            // stay below 1e-5 of the output scale over 400 steps.
            for (x, y) in b.nn.mean.iter().zip(&n.nn.mean).chain(b.lin.mean.iter().zip(&n.lin.mean)) {
                assert!(
                    (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                    "{workers} worker(s), step {}: {x} vs {y}",
                    n.step
                );
            }
            for (x, y) in b.nn.var.iter().zip(&n.nn.var) {
                assert!(
                    (x - y).abs() <= 1e-5 * (1e-3 + y.abs()),
                    "{workers} worker(s), step {}: var {x} vs {y}",
                    n.step
                );
            }
        }
    }
    assert_eq!(per_workers[0], per_workers[1], "1 and 2 workers give identical statistics");
}
