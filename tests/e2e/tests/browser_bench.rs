//! The ensemble benchmark in headless Chromium (`cargo xtask bench-browser`; ignored in the
//! test suite, it is a measurement, not a test): the cookbook workload's per-step shape (5
//! training points, two erf layers of width 512) with 1 and with 2 workers.

use std::time::Duration;

use e2e::open_page;
use serde_json::{json, Value};

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

/// The page as a user meets it (`cargo xtask bench-browser`): the default explorer run (20
/// networks × 3,000 steps at width 256, in the page's workers) timed from page load to its
/// last checkpoint; then a slider released at the defaults, timed to the first checkpoint of
/// the new run drawn on the main plot and to the run's end, with the longest main-thread stall
/// meanwhile (gaps between 10 ms timer ticks) and the number of checkpoints drawn on the way.
#[test]
#[ignore = "benchmark: run with `cargo xtask bench-browser`"]
fn explorer_default_run_latency() {
    let (_server, browser) = open_page("");
    let done =
        "return document.querySelector('[data-testid=run-status]').innerText.includes('networks trained');";
    let loaded = std::time::Instant::now();
    browser.wait_true(done, Duration::from_secs(300), "the default run to finish");
    let first_run = loaded.elapsed().as_secs_f64();
    let mut releases = Vec::new();
    for (i, sw2) in ["2.2", "2.25", "2.3", "2.25", "2.2"].iter().enumerate() {
        let out = browser.execute_async(
            "const [value, done] = [arguments[0], arguments[arguments.length - 1]];
             const canvas = document.querySelector('[data-testid=function-plot]');
             const status = () => document.querySelector('[data-testid=run-status]').innerText;
             const before = Number(canvas.dataset.run);
             const box = document.getElementById('sw2-value');
             const t0 = performance.now();
             box.value = value; box.dispatchEvent(new Event('change', {bubbles: true}));
             let first = null, last = t0, worst = 0; const steps = new Set();
             function tick() {
               const now = performance.now(); worst = Math.max(worst, now - last); last = now;
               const run = Number(canvas.dataset.run), step = canvas.dataset.ensembleStep;
               if (run > before && step !== '') { steps.add(step); if (first === null) first = now - t0; }
               if (run > before && status().includes('networks trained')) {
                 done({first_ms: first, total_ms: now - t0, worst_stall_ms: worst, checkpoints_drawn: steps.size});
               } else if (now - t0 > 120000) { done({error: status()}); } else { setTimeout(tick, 10); }
             }
             setTimeout(tick, 0);",
            vec![json!(sw2)],
        );
        println!("release {i} (σ_w² = {sw2}): {out}");
        releases.push(out);
    }
    let median = |key: &str| {
        let mut v: Vec<f64> = releases.iter().filter_map(|r| r[key].as_f64()).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    println!(
        "explorer default run: first run done {first_run:.1} s after load; after a release: first checkpoint \
         drawn in {:.0} ms (median of {}), run complete in {:.2} s, longest main-thread stall {:.0} ms",
        median("first_ms"),
        releases.len(),
        median("total_ms") / 1000.0,
        releases.iter().filter_map(|r| r["worst_stall_ms"].as_f64()).fold(0.0, f64::max)
    );
}

/// The theory bands following a dragged slider (`cargo xtask bench-browser`): tanh (no closed
/// form: Mehler series and adaptive quadrature) at the default data sizes; σ_w² is moved through
/// 20 values, one input event at a time as a drag sends them, each timed from the event to the
/// main plot drawn with the bands of that σ_w² (`data-theory-sw2`).
#[test]
#[ignore = "benchmark: run with `cargo xtask bench-browser`"]
fn tanh_theory_follows_a_drag() {
    let (_server, browser) = open_page("?act=tanh&members=1&steps=1&width=8");
    browser.wait_true(
        "return document.querySelector('[data-testid=function-plot]').dataset.theorySw2 !== undefined
            && document.querySelector('[data-testid=function-plot]').dataset.theorySw2 !== '';",
        Duration::from_secs(60),
        "the first tanh theory",
    );
    let out = browser.execute_async(
        "const done = arguments[arguments.length - 1];
         const canvas = document.querySelector('[data-testid=function-plot]');
         const slider = document.getElementById('sw2');
         const times = [];
         let i = 0;
         function next() {
           if (i >= 20) { done(times); return; }
           const pos = 600 + 10 * i; i += 1;
           slider.value = String(pos);
           const t0 = performance.now();
           slider.dispatchEvent(new Event('input', {bubbles: true}));
           const want = () => document.getElementById('sw2-value').value;
           (function wait() {
             if (canvas.dataset.theorySw2 !== '' && Number(canvas.dataset.theorySw2) === Number(want())) {
               times.push(performance.now() - t0); setTimeout(next, 0);
             } else if (performance.now() - t0 > 10000) { times.push(null); setTimeout(next, 0); }
             else { setTimeout(wait, 1); }
           })();
         }
         next();",
        vec![],
    );
    let mut ms: Vec<f64> = out.as_array().unwrap().iter().filter_map(Value::as_f64).collect();
    ms.sort_by(f64::total_cmp);
    println!("tanh σ_w² drag: per input event, bands redrawn after (ms, sorted): {ms:.1?}");
    if !ms.is_empty() {
        println!(
            "tanh σ_w² drag: median {:.1} ms, worst {:.1} ms over {} events",
            ms[ms.len() / 2],
            ms[ms.len() - 1],
            ms.len()
        );
    }
}

/// The main thread while the default run trains (`cargo xtask bench-browser`): five slider
/// releases at the defaults, each traced by Chromium from the release to the run's end (marked
/// with `performance.mark`; the end seen by a MutationObserver on the status, so the
/// measurement adds no polling), with the main thread's busy fraction (its top-level tasks over
/// the run's wall time), its longest task, and where the time went.
#[test]
#[ignore = "benchmark: run with `cargo xtask bench-browser`"]
fn explorer_main_thread_while_training() {
    let dist =
        std::path::PathBuf::from(std::env::var_os("E2E_DIST").expect("E2E_DIST (cargo xtask bench-browser)"));
    let server = e2e::serve_dir(&dist);
    let browser = e2e::Browser::launch_traced(e2e::trace::CATEGORIES);
    browser.goto(&format!("{}/", server.url()));
    browser.wait_true(
        "return document.querySelector('[data-testid=run-status]').innerText.includes('networks trained');",
        Duration::from_secs(300),
        "the default run to finish",
    );
    let mut fractions = Vec::new();
    for (i, sw2) in ["2.2", "2.25", "2.3", "2.25", "2.2"].iter().enumerate() {
        let _ = browser.trace_events();
        let out = browser.execute_async(
            "const [value, i, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
             const canvas = document.querySelector('[data-testid=function-plot]');
             const status = document.querySelector('[data-testid=run-status]');
             const before = Number(canvas.dataset.run);
             const box = document.getElementById('sw2-value');
             performance.mark('bench-start-' + i);
             const t0 = performance.now();
             const observer = new MutationObserver(() => {
               if (Number(canvas.dataset.run) > before && status.textContent.includes('networks trained')) {
                 observer.disconnect();
                 performance.mark('bench-end-' + i);
                 done({total_ms: performance.now() - t0});
               }
             });
             observer.observe(document.querySelector('[data-testid=main-plot]'), {subtree: true, childList: true, characterData: true, attributes: true});
             box.value = value; box.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![json!(sw2), json!(i)],
        );
        let (start, end) = (format!("bench-start-{i}"), format!("bench-end-{i}"));
        // ChromeDriver hands over a trace when it is next asked for its log (a call may
        // return the trace that was still being collected at the call before): ask until the
        // run's marks are in.
        let mut events = Vec::new();
        for _ in 0..4 {
            std::thread::sleep(Duration::from_millis(500));
            events.extend(browser.trace_events());
            if e2e::trace::busy_between(&events, &start, &end).is_some() {
                break;
            }
        }
        let Some(busy) = e2e::trace::busy_between(&events, &start, &end) else {
            println!("release {i}: no marks in {} trace events ({out})", events.len());
            continue;
        };
        let top: Vec<String> = busy.by_name.iter().take(14).map(|(n, t)| format!("{n} {t:.0} ms")).collect();
        println!(
            "release {i} (σ_w² = {sw2}): run {:.2} s, main thread busy {:.0} ms = {:.0} %, {} long tasks, longest {:.0} ms; {}",
            busy.window_ms / 1000.0,
            busy.busy_ms,
            100.0 * busy.fraction(),
            busy.long_tasks,
            busy.longest_ms,
            top.join(", ")
        );
        fractions.push((busy.fraction(), busy.window_ms, busy.longest_ms));
    }
    fractions.sort_by(|a, b| a.0.total_cmp(&b.0));
    if let Some(&(f, w, _)) = fractions.get(fractions.len() / 2) {
        let longest = fractions.iter().map(|x| x.2).fold(0.0, f64::max);
        println!(
            "explorer default run after a release: main thread busy {:.0} % of the run (median of {}; that run {:.2} s), longest task {longest:.0} ms",
            100.0 * f,
            fractions.len(),
            w / 1000.0
        );
    }
}
