//! The explorer as a person uses it: the default run streams through training time (bands,
//! networks and loss curves advance checkpoint by checkpoint), the time shown can be scrubbed
//! back while training goes on, sliders change the view and the URL and restart the ensemble
//! with nothing of the old run drawn again, and a hand-edited link gives a clamped state with
//! visible notes. No assertion here is about time: speed and latency are measured by
//! `cargo xtask bench-browser`.

use std::time::Duration;

use e2e::{screenshot_dir, Browser, Page};
use serde_json::{json, Value};

const TRAINED: &str =
    "return document.querySelector('[data-testid=run-status]').innerText.includes('networks trained');";

/// The run and ensemble checkpoint the main plot last drew: (run id, step or `None`).
fn drawn(browser: &Browser) -> (u64, Option<u64>) {
    let v = browser.execute(
        "const c = document.querySelector('[data-testid=function-plot]');
         return [c.dataset.run || '0', c.dataset.ensembleStep || ''];",
        vec![],
    );
    let run = v[0].as_str().unwrap_or("0").parse().unwrap_or(0);
    (run, v[1].as_str().and_then(|s| s.parse().ok()))
}

/// Watches the main plot from now until the run shown is trained (or `max_ms` pass): the
/// distinct (run, checkpoint step) pairs drawn, in order, and the time-slider text at the end.
fn watch_until_trained(browser: &Browser, max_ms: u64) -> Value {
    browser.execute_async(
        "const [max, done] = [arguments[0], arguments[arguments.length - 1]];
         const canvas = document.querySelector('[data-testid=function-plot]');
         const status = () => document.querySelector('[data-testid=run-status]').innerText;
         const seen = []; const t0 = performance.now();
         (function tick() {
           const pair = (canvas.dataset.run || '0') + ':' + (canvas.dataset.ensembleStep || '');
           if (seen[seen.length - 1] !== pair) seen.push(pair);
           if (status().includes('networks trained') || performance.now() - t0 > max) {
             done({seen, status: status(), time: document.querySelector('[data-testid=time-value]').innerText});
           } else { setTimeout(tick, 5); }
         })();",
        vec![json!(max_ms)],
    )
}

/// The steps drawn for run `run` in a watch log.
fn steps_of(log: &Value, run: u64) -> Vec<u64> {
    log["seen"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            let (r, k) = p.as_str()?.split_once(':')?;
            (r.parse::<u64>().ok()? == run).then(|| k.parse().ok()).flatten()
        })
        .collect()
}

pub fn the_default_run_streams_through_training_time(page: &Page) {
    let browser = page.open("");
    browser.wait_for("[data-testid=function-plot]", Duration::from_secs(30));
    let follow = browser.execute("return document.getElementById('follow').checked;", vec![]);
    assert_eq!(follow, json!(true), "following training is the default");
    // The first checkpoint arrives while the networks train, and the plot follows: at least
    // three checkpoints of the run are drawn before it is done, in increasing order.
    browser.wait_true(
        "return document.querySelector('[data-testid=function-plot]').dataset.ensembleStep !== undefined
            && document.querySelector('[data-testid=function-plot]').dataset.ensembleStep !== '';",
        Duration::from_secs(60),
        "a first checkpoint drawn",
    );
    let (run, _) = drawn(browser);
    browser.screenshot(&screenshot_dir().join("explorer_streaming.png"));
    let log = watch_until_trained(browser, 600_000);
    let steps = steps_of(&log, run);
    assert!(steps.len() >= 3, "checkpoints drawn while training: {steps:?} ({log})");
    assert!(steps.windows(2).all(|w| w[0] < w[1]), "the shown step advances: {steps:?}");
    // The last checkpoint is drawn on the frame after the run is reported done.
    browser.wait_true(
        "return document.querySelector('[data-testid=function-plot]').dataset.ensembleStep === '3000';",
        Duration::from_secs(5),
        "the last step drawn",
    );
    let status = log["status"].as_str().unwrap();
    assert!(status.contains("20 networks trained for 3000 steps"), "{status}");
    assert_eq!(log["time"], json!("k = 3000 of 3000"));
    // The loss plot shows the ensemble's curves too (black network curve present).
    let loss_dark = browser.execute(
        "const c = document.querySelector('[data-testid=loss-plot]');
         const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
         let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 40 && d[i + 1] < 40 && d[i + 2] < 40) n++;
         return n;",
        vec![],
    );
    assert!(loss_dark.as_u64().unwrap() > 100, "network loss curve drawn: {loss_dark}");
    browser.screenshot(&screenshot_dir().join("explorer_default.png"));
}

pub fn scrubbing_back_while_training_keeps_the_chosen_time(page: &Page) {
    let browser = page.open("?steps=20000&members=8&width=128");
    browser.wait_true(
        "return (document.querySelector('[data-testid=function-plot]').dataset.ensembleStep || '') !== '';",
        Duration::from_secs(60),
        "a first checkpoint drawn",
    );
    // Back to the start (slider position 0 is step 0): following stops, step 0 stays shown
    // while the ensemble trains on, with the ensemble at its step-0 checkpoint.
    browser.set_input("#time", "0");
    assert_eq!(browser.execute("return document.getElementById('follow').checked;", vec![]), json!(false));
    assert!(browser.execute("return location.search;", vec![]).as_str().unwrap().contains("k=0"));
    let status_before = browser.text("[data-testid=run-status]");
    browser.wait_true(
        &format!(
            "return document.querySelector('[data-testid=run-status]').innerText !== {};",
            json!(status_before)
        ),
        Duration::from_secs(60),
        "training to go on",
    );
    assert_eq!(browser.text("[data-testid=time-value]"), "k = 0 of 20000");
    assert_eq!(drawn(browser).1, Some(0), "the ensemble drawn at step 0");
    // Following again jumps to the newest checkpoint.
    browser.execute("document.getElementById('follow').click();", vec![]);
    assert!(!browser.execute("return location.search;", vec![]).as_str().unwrap().contains("k="));
    browser.wait_true(
        "return Number(document.querySelector('[data-testid=function-plot]').dataset.ensembleStep) > 0;",
        Duration::from_secs(60),
        "the newest checkpoint drawn again",
    );
}

pub fn sliders_change_the_view_and_the_url_and_restart_the_ensemble(page: &Page) {
    let browser = page.open("?width=32&members=4&steps=300");
    browser.wait_for("[data-testid=run-status]", Duration::from_secs(30));
    browser.wait_true(TRAINED, Duration::from_secs(120), "the small ensemble to finish");
    let (first, _) = drawn(browser);
    // Width slider (log scale over 8..2048): position 500 is width 128.
    browser.set_input("#width", "500");
    let url = browser.execute("return location.search;", vec![]);
    assert!(url.as_str().unwrap().contains("width=128"), "URL {url}");
    // The new run replaces the old one on the plot, and is the one reported trained.
    browser.wait_true(
        &format!(
            "return Number(document.querySelector('[data-testid=function-plot]').dataset.run) > {first};"
        ),
        Duration::from_secs(30),
        "the restarted run drawn",
    );
    browser.wait_true(TRAINED, Duration::from_secs(120), "the restarted ensemble to finish");
    assert!(browser.text("[data-testid=run-status]").contains("4 networks trained for 300 steps"));
    // Typing a value in the number box, and an invalid one.
    browser.set_input("#sw2-value", "1.5");
    assert!(browser.execute("return location.search;", vec![]).as_str().unwrap().contains("sw2=1.5"));
    browser.set_input("#sw2-value", "abc");
    let invalid =
        browser.execute("return document.getElementById('sw2-value').classList.contains('invalid');", vec![]);
    assert_eq!(invalid, json!(true), "invalid text is flagged");
    // The landmarks of the current kernel are drawn on the learning-rate slider.
    let marks = browser.execute(
        "return Array.from(document.querySelectorAll('.mark')).map(m => m.innerText).join(' ');",
        vec![],
    );
    assert!(marks.as_str().unwrap().contains("η_crit"), "{marks}");
    browser.screenshot(&screenshot_dir().join("explorer_sliders.png"));
    // A change undone at once (both edits in one script, before the page's next turn) leaves
    // the finished run in place: no new run is started for the intermediate value.
    browser.wait_true(TRAINED, Duration::from_secs(120), "the run after the σ_w² change");
    let (run, _) = drawn(browser);
    browser.set_input_values("#width-value", &["64", "128"]);
    // A later, real change starts exactly one new run: the intermediate value never ran.
    browser.set_input("#members-value", "5");
    browser.wait_true(TRAINED, Duration::from_secs(120), "the run with 5 members");
    assert_eq!(drawn(browser).0, run + 1, "one run after the undone change, not two");
}

pub fn a_new_run_never_shows_the_old_one_again(page: &Page) {
    let browser = page.open("?steps=20000&members=8&width=128");
    browser.wait_true(
        "return (document.querySelector('[data-testid=function-plot]').dataset.ensembleStep || '') !== '';",
        Duration::from_secs(60),
        "the first run streaming",
    );
    let (old, _) = drawn(browser);
    // Mid-run (mid-chunk in the workers), a new width: from then on only the new run is drawn
    // and nothing of the old one comes back, even after the new run has finished.
    browser.set_input("#width-value", "32");
    browser.set_input("#steps-value", "300");
    let log = watch_until_trained(browser, 300_000);
    let runs: Vec<u64> = log["seen"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.split_once(':')?.0.parse().ok())
        .collect();
    let first_new = runs.iter().position(|&r| r > old).expect("the new run drawn");
    assert!(runs[first_new..].iter().all(|&r| r > old), "the old run drawn after the new one: {runs:?}");
    assert!(log["status"].as_str().unwrap().contains("networks trained"), "{log}");
    let (latest, _) = drawn(browser);
    assert!(latest > old, "the plot shows the new run");
}

pub fn a_hand_edited_link_is_clamped_with_a_note_and_huge_jobs_are_refused(page: &Page) {
    let browser =
        page.open("?depth=0&lr=abc&act=%3Cb%3E&bogus=1&width=2048&members=200&steps=100000&depth=4");
    browser.wait_for("[data-testid=function-plot]", Duration::from_secs(30));
    let notes = browser.text("[data-testid=notes]");
    for needle in [
        "depth L (hidden layers) '0' clamped to 1", /* then depth=4 wins */
        "learning rate η 'abc' is not valid",
        "nonlinearity φ '<b>' is not valid",
        "bogus",
    ] {
        assert!(notes.contains(needle), "notes lack '{needle}': {notes}");
    }
    browser.screenshot(&screenshot_dir().join("explorer_bad_link.png"));
    browser.wait_true(
        "return document.querySelector('[data-testid=run-status]').innerText.includes('too large');",
        Duration::from_secs(10),
        "the oversized job refused",
    );
}

pub fn hostile_links_give_few_isolated_notes(page: &Page) {
    // A right-to-left override in a value must not reverse the note around it: the value is
    // quoted in a direction-isolated <bdi>.
    let browser = page.open("?seed=%E2%80%AE321abc&lr=%E2%80%AEx");
    browser.wait_for("[data-testid=notes] .note", Duration::from_secs(30));
    let notes = browser.execute(
        "return Array.from(document.querySelectorAll('[data-testid=notes] .note')).map(n =>
           ({text: n.innerText, bdi: Array.from(n.querySelectorAll('bdi')).map(b => b.innerText),
             isolate: n.querySelector('bdi') ? getComputedStyle(n.querySelector('bdi')).unicodeBidi : ''}));",
        vec![],
    );
    let notes = notes.as_array().unwrap();
    assert_eq!(notes.len(), 2, "{notes:?}");
    for n in notes {
        assert!(n["text"].as_str().unwrap().starts_with("Link: "), "{n}");
        assert_eq!(n["bdi"].as_array().unwrap().len(), 1, "the value is isolated: {n}");
        assert_eq!(n["isolate"], json!("isolate"), "{n}");
    }
    browser.screenshot(&screenshot_dir().join("explorer_rtl_link.png"));
    // About 100 KB of junk keys: the notes are capped and the view stays where it is.
    let junk: String = (0..3000).map(|i| format!("k{i}x{}=v&", "z".repeat(20))).collect();
    let browser = page.open(&format!("?{junk}"));
    browser.wait_for("[data-testid=notes] .note", Duration::from_secs(30));
    let shown = browser.execute(
        "return {notes: document.querySelectorAll('[data-testid=notes] .note').length,
                 more: (document.querySelector('[data-testid=notes] .more') || {}).innerText || '',
                 plotTop: document.querySelector('[data-testid=function-plot]').getBoundingClientRect().top};",
        vec![],
    );
    assert!(shown["notes"].as_u64().unwrap() <= 6, "{shown}");
    assert!(shown["more"].as_str().unwrap().contains("and 2995 more"), "{shown}");
    assert!(shown["plotTop"].as_f64().unwrap() < 600.0, "the plot pushed down: {shown}");
    browser.screenshot(&screenshot_dir().join("explorer_long_link.png"));
}

/// A typed nonlinearity: the link's expression gives theory bands and a trained ensemble; an
/// expression that does not parse is explained under its box, the box keeps what was typed, and
/// the previous φ stays (in the state and the link).
pub fn a_typed_phi_gives_bands_and_an_ensemble_and_a_bad_one_is_explained(page: &Page) {
    // x·tanh(x) has a larger NTK than erf: η = 0.01 is below its η_max ≈ 0.024.
    let browser = page.open("?act=custom&phi=x*tanh(x)&width=32&members=4&steps=200&lr=0.01");
    browser.wait_for("[data-testid=run-status]", Duration::from_secs(30));
    browser.wait_true(TRAINED, Duration::from_secs(120), "the ensemble of the typed φ");
    let status = browser.text("[data-testid=run-status]");
    assert!(!status.contains("diverged"), "{status}");
    browser.wait_true(
        "return document.querySelector('[data-testid=theory-status]').innerText.trim() === '';",
        Duration::from_secs(60),
        "the theory of the typed φ",
    );
    assert_eq!(browser.execute("return document.getElementById('act').value;", vec![]), json!("custom"));
    assert_eq!(browser.execute("return document.getElementById('phi').value;", vec![]), json!("x*tanh(x)"));
    browser.screenshot(&screenshot_dir().join("explorer_custom_phi.png"));
    let (run, _) = drawn(browser);
    browser.set_input("#phi", "x*(");
    browser.wait_true(
        "return document.getElementById('phi-problems').innerText.includes('cannot parse');",
        Duration::from_secs(10),
        "the reason under the box",
    );
    let after = browser.execute(
        "return [document.getElementById('phi').value, decodeURIComponent(location.search)];",
        vec![],
    );
    assert_eq!(after[0], json!("x*("), "the box keeps what was typed");
    assert!(after[1].as_str().unwrap().contains("phi=x*tanh(x)"), "the link keeps the previous φ: {after}");
    assert_eq!(drawn(browser).0, run, "no new run for an expression that does not parse");
    // A valid expression clears the message and starts a run.
    browser.set_input("#phi", "sin(3*x) + 0.1*x");
    browser.wait_true(
        "return document.getElementById('phi-problems').innerText.trim() === '';",
        Duration::from_secs(10),
        "the message cleared",
    );
    browser.wait_true(
        &format!("return Number(document.querySelector('[data-testid=function-plot]').dataset.run) > {run};"),
        Duration::from_secs(30),
        "the run of the new φ drawn",
    );
}

/// Counts, per canvas (by its `data-testid`), the drawings made from now until the run after
/// setting σ_w² to `sw2` is trained: every drawing sets the canvas's `data-draw-ms`, which a
/// mutation observer installed by the test counts (the page ships no counter).
fn draws_during_run(browser: &Browser, sw2: &str) -> Value {
    browser.execute_async(
        "const [value, done] = [arguments[0], arguments[arguments.length - 1]];
         const canvas = document.querySelector('[data-testid=function-plot]');
         const status = document.querySelector('[data-testid=run-status]');
         const before = Number(canvas.dataset.run);
         const draws = {};
         const observer = new MutationObserver((records) => {
           for (const r of records) {
             if (r.attributeName === 'data-draw-ms') {
               const k = r.target.dataset.testid || r.target.id;
               draws[k] = (draws[k] || 0) + 1;
             }
           }
           if (Number(canvas.dataset.run) > before && status.textContent.includes('networks trained')) {
             observer.disconnect();
             done(draws);
           }
         });
         observer.observe(document.body,
                          {subtree: true, attributes: true, childList: true, characterData: true});
         const box = document.getElementById('sw2-value');
         box.value = value; box.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![json!(sw2)],
    )
}

pub fn a_canvas_whose_picture_did_not_change_is_not_redrawn(page: &Page) {
    let browser = page.open("");
    browser.wait_true(TRAINED, Duration::from_secs(300), "the default run trained");
    // Following the run, every checkpoint changes every figure: all three are drawn again.
    let following = draws_during_run(browser, "2.2");
    let count = |v: &Value, k: &str| v[k].as_u64().unwrap_or(0);
    assert!(count(&following, "loss-plot") >= 8, "the loss curves follow the run: {following}");
    assert!(count(&following, "function-plot") >= 8, "the main plot follows the run: {following}");
    // The time shown pinned at k = 0: the theory and the spectrum at k = 0 change once with
    // σ_w² and the ensemble's k = 0 checkpoint while its members arrive; the checkpoints after
    // it change nothing drawn there, so neither canvas is drawn again while the loss curves
    // (whose data do change) are drawn at every checkpoint.
    browser.execute(
        "Array.from(document.querySelectorAll('button')).find(b => b.textContent.trim() === 'reset').click();",
        vec![],
    );
    browser.wait_true(
        "return document.querySelector('[data-testid=time-value]').innerText.startsWith('k = 0 ');",
        Duration::from_secs(10),
        "the time shown reset to k = 0",
    );
    let pinned = draws_during_run(browser, "2.25");
    assert!(count(&pinned, "loss-plot") >= 8, "the loss curves follow the run: {pinned}");
    assert!(count(&pinned, "function-plot") <= 4, "the main plot at k = 0 drawn again and again: {pinned}");
    assert!(count(&pinned, "spectrum-plot") <= 2, "the spectrum at k = 0 drawn again and again: {pinned}");
}

/// The PNG the export menu of figure `id` would save at `scale`, as (file name, width,
/// height, the canvas's backing width and height on screen): the saving link's click is
/// caught and its image decoded.
fn exported_png(browser: &Browser, id: &str, canvas: &str, scale: &str) -> Value {
    browser.execute_async(
        "const [id, canvasId, scale, done] = [arguments[0], arguments[1], arguments[2], arguments[arguments.length - 1]];
         const canvas = document.querySelector(`[data-testid=${canvasId}]`);
         const click = HTMLAnchorElement.prototype.click;
         let saved = null;
         HTMLAnchorElement.prototype.click = function () { saved = [this.download, this.href]; };
         document.querySelector(`[data-testid=${id}-png-${scale}]`).click();
         HTMLAnchorElement.prototype.click = click;
         if (!saved) { done(null); return; }
         const img = new Image();
         img.onload = () => done([saved[0], img.naturalWidth, img.naturalHeight, canvas.width, canvas.height]);
         img.onerror = () => done([saved[0], 0, 0, canvas.width, canvas.height]);
         img.src = saved[1];",
        vec![json!(id), json!(canvas), json!(scale)],
    )
}

pub fn the_png_export_has_the_chosen_resolution(page: &Page) {
    let browser = page.open("");
    browser.wait_true(TRAINED, Duration::from_secs(300), "the default run trained");
    for (id, canvas) in [("main", "function-plot"), ("loss", "loss-plot")] {
        for (scale, factor) in [("1", 1), ("2", 2), ("3", 3)] {
            let v = exported_png(browser, id, canvas, scale);
            let n = |i: usize| v[i].as_u64().unwrap_or(0);
            assert_eq!(v[0], json!(format!("wide-explorer-{id}-{scale}x.png")), "{v}");
            // The canvas is drawn back at the screen's resolution; the file has `factor` × its
            // pixels in each direction (±1 for rounding).
            assert!(
                n(1).abs_diff(factor * n(3)) <= 1 && n(2).abs_diff(factor * n(4)) <= 1,
                "{id} {scale}×: {v}"
            );
            assert!(n(3) > 0, "{v}");
        }
    }
    // The screen shows the figure as before the export: same size, still the run's last checkpoint.
    let step = browser.execute(
        "return document.querySelector('[data-testid=function-plot]').dataset.ensembleStep;",
        vec![],
    );
    assert_eq!(step, json!("3000"));
}

/// The file the button `button` (a test id) saves, as [name, text]: the saving link's click
/// is caught and the file read from its link before the page releases it.
pub fn saved_file(browser: &Browser, button: &str) -> Value {
    browser.execute(
        "const click = HTMLAnchorElement.prototype.click;
         let saved = null;
         HTMLAnchorElement.prototype.click = function () {
           const r = new XMLHttpRequest(); r.open('GET', this.href, false); r.send();
           saved = [this.download, r.responseText];
         };
         document.querySelector(`[data-testid=${arguments[0]}]`).click();
         HTMLAnchorElement.prototype.click = click;
         return saved;",
        vec![json!(button)],
    )
}

/// Shows the SVG `text` over the page as Chromium draws it and saves a screenshot `name`.
pub fn screenshot_svg(browser: &Browser, text: &str, name: &str) {
    browser.execute(
        "const old = document.getElementById('svg-preview'); if (old) old.remove();
         const img = document.createElement('img');
         img.id = 'svg-preview';
         img.style = 'position:fixed;left:0;top:0;z-index:9999;background:white;max-width:100vw';
         img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(arguments[0]);
         document.body.appendChild(img);",
        vec![json!(text)],
    );
    browser.wait_true(
        "const i = document.getElementById('svg-preview'); return i.complete && i.naturalWidth > 0;",
        Duration::from_secs(10),
        "the SVG drawn by the browser",
    );
    browser.screenshot(&screenshot_dir().join(name));
    browser.execute("document.getElementById('svg-preview').remove();", vec![]);
}

pub fn the_svg_export_carries_a_link_that_reproduces_the_figure(page: &Page) {
    let browser = page.open("?sw2=2.1&sb2=0.05&depth=3&steps=800&members=6&width=128");
    browser.wait_true(TRAINED, Duration::from_secs(300), "the run trained");
    let before = browser.execute("return location.search;", vec![]);
    let svg = saved_file(browser, "main-svg");
    assert_eq!(svg[0], json!("wide-explorer-main.svg"), "{svg}");
    let text = svg[1].as_str().unwrap_or_default().to_string();
    assert!(text.contains("<svg") && text.contains("output f(x)"), "{}", &text[..text.len().min(400)]);
    // The provenance, as the browser's own XML parser reads it.
    let meta = browser.execute(
        "const doc = new DOMParser().parseFromString(arguments[0], 'image/svg+xml');
         if (doc.querySelector('parsererror')) return 'parse error';
         const m = doc.getElementsByTagName('wide-explorer')[0];
         return m ? [m.getAttribute('link'), m.getAttribute('step'), m.getAttribute('version'),
                     m.getAttribute('command')] : null;",
        vec![json!(text)],
    );
    let link = meta[0].as_str().expect("a link in the SVG's metadata").to_string();
    assert_eq!(meta[1], json!("800"), "{meta}");
    assert!(meta[2].as_str().is_some_and(|v| v.starts_with("wide-explorer ")), "{meta}");
    let command = meta[3].as_str().unwrap_or_default().to_string();
    assert!(command.starts_with("ntk ensemble "), "{meta}");
    assert_eq!(browser.text("[data-testid=ensemble-cli]"), command, "the page shows the file's command");

    // The command prints the page's numbers: the CSV at the last step (which carries the same
    // command) against the command's last checkpoint. The page's f32 training fuses
    // multiply-adds (relaxed SIMD) and the native one does not; the ensemble means differ by
    // f32 rounding amplified over the steps, asserted below 5e-3 as the one-network test does.
    let (comments, rows) = csv_rows(browser);
    assert!(comments.contains(&format!("# {command}")), "the CSV carries the command");
    let net_mean: Vec<f64> = rows.iter().map(|r| r[6]).collect();
    assert!(net_mean.iter().all(|v| v.is_finite()), "every test point has the ensemble's mean");
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let out = std::process::Command::new(e2e::ntk_binary()).args(&args).output().expect("ntk runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let native: Value = serde_json::from_slice(&out.stdout).expect("ntk ensemble prints JSON");
    let last = native["checkpoints"].as_array().and_then(|c| c.last()).expect("checkpoints").clone();
    assert_eq!(last["step"], json!(800));
    let native_mean: Vec<f64> =
        last["nn"]["mean"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(native_mean.len(), net_mean.len(), "the same test points");
    let worst = native_mean.iter().zip(&net_mean).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    eprintln!("explorer page vs its ntk ensemble command: largest mean difference {worst:.2e}");
    assert!(worst < 5e-3, "page and CLI differ by {worst}");
    // The SVG as Chromium draws it, for a person to look at.
    screenshot_svg(browser, &text, "explorer_export_svg.png");
    // The link reproduces the state: loaded, the page holds the same parameters.
    browser.goto(&link);
    browser.wait_for("[data-testid=function-plot]", Duration::from_secs(30));
    let after = browser.execute("return location.search;", vec![]);
    assert_eq!(after, before, "the SVG's link is the page's link");
    let sw2 = browser.execute("return document.getElementById('sw2-value').value;", vec![]);
    assert_eq!(sw2, json!("2.1"));
}

/// A long visit types many nonlinearities: 2,000 different expressions typed into the φ box one
/// after another (each one a change the page takes: a new run, the link — which the browser
/// ignores writes beyond 200 in 10 s, so the page writes it at most 10 times a second, the
/// last change always), then one more, which trains and gets its theory
/// bands like the first did — no "restart to use more", no console error — and the page's own
/// heap grows by less than 2 MB from the 200th expression to the 2,000th (a compiled program
/// is a few KiB: 1,800 programs kept would be several MB; their 1,800 texts, about 50 kB, are
/// kept).
pub fn two_thousand_typed_phis_one_after_another_keep_working(page: &Page) {
    let browser = page.open("?act=custom&phi=x*tanh(x)&width=16&members=2&steps=50&lr=0.01");
    browser.wait_for("[data-testid=run-status]", Duration::from_secs(30));
    browser.wait_true(TRAINED, Duration::from_secs(120), "the first typed φ trained");
    let _ = browser.console_errors();
    let typed = browser.execute_async(
        "const done = arguments[arguments.length - 1];
         const box = document.getElementById('phi');
         const heap = () => { if (window.gc) { window.gc(); } return JSON.parse(window.wasmBindings.page_workers()).heap; };
         const problems = [];
         let at200 = 0;
         (async () => {
           for (let i = 1; i <= 2000; i++) {
             box.value = `x*tanh(x) + ${i}*x/100003`;
             box.dispatchEvent(new Event('change', {bubbles: true}));
             const said = document.getElementById('phi-problems').innerText.trim();
             if (said) { problems.push(i + ': ' + said); }
             if (i % 10 === 0) { await new Promise(r => setTimeout(r, 0)); }
             if (i === 200) { at200 = heap(); }
           }
           done({at200, at2000: heap(), problems: problems.slice(0, 5)});
         })();",
        vec![],
    );
    assert_eq!(typed["problems"], json!([]), "every expression taken: {typed}");
    browser.wait_true(
        "return new URLSearchParams(location.search).get('phi') === 'x*tanh(x)+2000*x/100003';",
        Duration::from_secs(10),
        "the last expression in the link",
    );
    let (at200, at2000) = (typed["at200"].as_f64().unwrap(), typed["at2000"].as_f64().unwrap());
    println!(
        "typed φ: the page's heap {:.2} MB at the 200th expression, {:.2} MB at the 2,000th",
        at200 / 1e6,
        at2000 / 1e6
    );
    assert!(at2000 - at200 < 2e6, "the heap grew from {at200} to {at2000} bytes over 1,800 expressions");
    // One more, after the 2,000: trained, with its theory bands.
    let (run, _) = drawn(browser);
    browser.set_input("#phi", "sin(2*x) + x/3");
    browser.wait_true(
        &format!(
            "return Number(document.querySelector('[data-testid=function-plot]').dataset.run) > {run}
                 && document.querySelector('[data-testid=run-status]').innerText.includes('networks trained');"
        ),
        Duration::from_secs(120),
        "the φ typed after 2,000 others trained",
    );
    browser.wait_true(
        "return document.querySelector('[data-testid=theory-status]').innerText.trim() === '';",
        Duration::from_secs(120),
        "its theory",
    );
    let status = browser.text("[data-testid=run-status]");
    assert!(!status.contains("diverged") && !status.contains("restart"), "{status}");
    assert_eq!(browser.text("#phi-problems").trim(), "");
    let errors = browser.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.screenshot(&screenshot_dir().join("explorer_phi_after_2000.png"));
}

/// The explorer's CSV export at the step shown: its comment lines, and one row of numbers per
/// 1-D test point (x, target, ntk_mean, ntk_sd, nngp_mean, nngp_sd, net_mean, net_sd,
/// lin_mean, lin_sd; an empty cell is NaN).
fn csv_rows(browser: &Browser) -> (Vec<String>, Vec<Vec<f64>>) {
    let csv = saved_file(browser, "export-csv");
    let csv = csv[1].as_str().unwrap_or_default().to_string();
    let header = csv.lines().position(|l| l.starts_with("x,target,")).expect("a CSV header");
    let comments = csv.lines().take(header).map(str::to_string).collect();
    let rows = csv
        .lines()
        .skip(header + 1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap_or(f64::NAN)).collect())
        .collect();
    (comments, rows)
}

/// Per test point of the CSV: (net_mean − lin_mean, net_mean − ntk_mean, ntk_sd).
fn csv_columns(browser: &Browser) -> Vec<(f64, f64, f64)> {
    csv_rows(browser).1.iter().map(|c| (c[6] - c[8], c[6] - c[2], c[3])).collect()
}

/// Waits for the run after a change to be drawn and trained.
fn wait_new_run(browser: &Browser, after: u64) {
    browser.wait_true(
        &format!(
            "return Number(document.querySelector('[data-testid=function-plot]').dataset.run) > {after};"
        ),
        Duration::from_secs(30),
        "the new run drawn",
    );
    browser.wait_true(TRAINED, Duration::from_secs(180), "the new run trained");
}

/// The laziness control (Chizat's output scale): ticked as a person does, α typed in its box,
/// the ensemble is trained and shown as g = α (f − f₀). Large α keeps every network on its
/// linearization (the gap falls like 1/α: the native slope is −0.94, README); small α lets
/// them leave it. The theory's g starts at 0, so its NTK-GP has no band (sd 0 in the CSV), and
/// the link and the command carry α.
pub fn the_output_scale_takes_the_ensemble_from_lazy_to_rich(page: &Page) {
    let browser = page.open("?width=64&members=4&steps=400");
    browser.wait_true(TRAINED, Duration::from_secs(180), "the first run");
    let (run, _) = drawn(browser);
    let tick = browser.find("[data-testid=alpha-on]").expect("the laziness checkbox");
    browser.click(&tick);
    wait_new_run(browser, run);
    assert!(browser.execute("return location.search;", vec![]).as_str().unwrap().contains("alpha=1"));
    let mut gaps = Vec::new();
    for alpha in ["100", "0.1"] {
        let (run, _) = drawn(browser);
        browser.set_input("#alpha-value", alpha);
        wait_new_run(browser, run);
        let search = browser.execute("return location.search;", vec![]);
        assert!(search.as_str().unwrap().contains(&format!("alpha={alpha}")), "{search}");
        assert!(browser.text("[data-testid=ensemble-cli]").ends_with(&format!("--alpha {alpha}")));
        assert!(browser.text("[data-testid=run-status]").contains("4 networks trained"), "none diverged");
        let cols = csv_columns(browser);
        assert!(cols.iter().all(|c| c.2 == 0.0), "α = {alpha}: the centred NTK-GP has no variance");
        let gap = cols.iter().map(|c| c.0.abs()).fold(0.0, f64::max);
        let to_theory = cols.iter().map(|c| c.1.abs()).fold(0.0, f64::max);
        eprintln!("α = {alpha}: network − linearization {gap:.2e}, network − NTK-GP mean {to_theory:.2e}");
        gaps.push((gap, to_theory));
        if alpha == "0.1" {
            browser.screenshot(&screenshot_dir().join("explorer_alpha_rich.png"));
        }
    }
    let ((lazy, lazy_theory), (rich, _)) = (gaps[0], gaps[1]);
    // 1/α predicts a ratio of 1000 between α = 100 and α = 0.1 while α = 0.1 is still lazy;
    // past the lazy regime the gap saturates at the size of the outputs. Asserted: 20.
    assert!(rich > 20.0 * lazy, "gap {rich} at α = 0.1 against {lazy} at α = 100");
    // At α = 100 the ensemble follows the NTK-GP mean up to its finite-width spread (width 64,
    // four networks: the kernel's O(n^-1/2) fluctuations, a few 1e-2 on these O(1) targets).
    assert!(lazy_theory < 0.15, "ensemble mean − NTK-GP mean {lazy_theory} at α = 100");
}

/// The mean-field parameterization, chosen in the select: the ensemble trains (its readout
/// scaled 1/n, docs/MATH.md) and the theory says why no Gaussian process is drawn.
pub fn a_mean_field_ensemble_trains_and_says_why_it_has_no_theory(page: &Page) {
    let browser = page.open("?width=64&members=4&steps=300");
    browser.wait_true(TRAINED, Duration::from_secs(180), "the first run");
    let (run, _) = drawn(browser);
    browser.execute(
        "const s = document.getElementById('param'); s.value = 'mf'; s.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![],
    );
    wait_new_run(browser, run);
    assert!(browser.execute("return location.search;", vec![]).as_str().unwrap().contains("param=mf"));
    let status = browser.text("[data-testid=theory-status]");
    assert!(status.contains("mean-field"), "{status}");
    assert!(browser.text("[data-testid=ensemble-cli]").contains("--param mf"));
    let cols = csv_columns(browser);
    assert!(cols.iter().all(|c| c.0.is_finite()), "the networks and their linearizations have numbers");
    assert!(browser.console_errors().is_empty(), "{:?}", browser.console_errors());
}

/// The quadratic-model overlay, ticked as a person does: the run restarts with every member's
/// quadratic model (`quad=1` in the link, `--quadratic` in the command under the figure), the
/// main plot draws their mean ± 2σ with a legend entry and the loss plot their losses, and the
/// CSV's `quad_mean` column is the command's last checkpoint. The quadratic models are f64 from
/// the same f32 θ₀ on both sides (the f32 network's fused multiply-adds in the page do not touch
/// them); what differs is the last bits of libm's erf and exp in wasm and natively, amplified
/// over 300 steps: asserted below 1e-6 of the output scale.
pub fn the_quadratic_overlay_is_the_commands_quadratic_ensemble(page: &Page) {
    let browser = page.open("?width=32&members=4&steps=300");
    browser.wait_true(TRAINED, Duration::from_secs(180), "the first run");
    let (run, _) = drawn(browser);
    let tick = browser.find("[data-testid=explorer-quad-on]").expect("the quadratic-model checkbox");
    browser.click(&tick);
    wait_new_run(browser, run);
    let search = browser.execute("return location.search;", vec![]);
    assert!(search.as_str().unwrap().contains("quad=1"), "{search}");
    let command = browser.text("[data-testid=ensemble-cli]");
    assert!(command.ends_with(" --quadratic"), "{command}");
    assert!(browser.text("[data-testid=run-status]").contains("4 networks trained"), "none diverged");
    let (comments, rows) = csv_rows(browser);
    assert!(comments.contains(&format!("# {command}")), "the CSV carries the command");
    let quad_mean: Vec<f64> = rows.iter().map(|r| r[10]).collect();
    assert!(quad_mean.iter().all(|v| v.is_finite()), "every test point has the quadratic models' mean");
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let out = std::process::Command::new(e2e::ntk_binary()).args(&args).output().expect("ntk runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let native: Value = serde_json::from_slice(&out.stdout).expect("ntk ensemble prints JSON");
    let last = native["checkpoints"].as_array().and_then(|c| c.last()).expect("checkpoints").clone();
    assert_eq!(last["step"], json!(300));
    let native_mean: Vec<f64> = last["quad"]["outputs"]["mean"]
        .as_array()
        .expect("the command's quadratic models")
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(native_mean.len(), quad_mean.len(), "the same test points");
    let worst =
        native_mean.iter().zip(&quad_mean).map(|(a, b)| (a - b).abs() / (1.0 + a.abs())).fold(0.0, f64::max);
    eprintln!(
        "explorer quadratic overlay vs its ntk ensemble --quadratic command: largest difference {worst:.2e}"
    );
    assert!(worst < 1e-6, "page and CLI quadratic means differ by {worst}");
    browser.screenshot(&screenshot_dir().join("explorer_quadratic.png"));
    assert!(browser.console_errors().is_empty(), "{:?}", browser.console_errors());
}
