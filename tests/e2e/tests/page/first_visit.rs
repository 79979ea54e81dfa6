//! A student's first visit, as a person makes it: reset, step and play; the learning-rate
//! slider's landmarks where the thumb is at their value; every preset trained to the end; a
//! learning rate past η_max drawn as divergence; a change that pushes η past η_max said so; the
//! status and the plot in one screen; a phone screen where no text covers another; a formula
//! with a pole refused; sliders a screen reader can read; a redeployed site that offers a reload.

use std::path::{Path, PathBuf};
use std::time::Duration;

use e2e::{overlapping, screenshot_dir, serve_dir, Browser, CanvasTexts, Page};
use serde_json::{json, Value};

/// The explorer's run status.
fn status(browser: &Browser) -> String {
    browser.text("[data-testid=run-status]")
}

/// Waits until the explorer's ensemble has finished ("… networks trained for K steps").
fn wait_trained(browser: &Browser, timeout: Duration, what: &str) {
    browser.wait_true(
        "const s = document.querySelector('[data-testid=run-status]').innerText;
         return s.includes('trained for') || s.includes('not run');",
        timeout,
        what,
    );
}

/// The step k of "k = k of K" beside the time slider.
fn k_shown(browser: &Browser) -> u64 {
    let text = browser.text("[data-testid=time-value]");
    text.trim_start_matches("k = ")
        .split_whitespace()
        .next()
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| panic!("time value '{text}'"))
}

/// A number after `label` in `text` ("η_max = 0.377 …" → 0.377).
fn number_after(text: &str, label: &str) -> Option<f64> {
    let rest = &text[text.find(label)? + label.len()..];
    let num: String =
        rest.chars().take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '-')).collect();
    num.parse().ok()
}

/// The learning-rate hint under the slider ("η_crit = …, η_max = … (train NTK, N = …); …").
fn lr_hint(browser: &Browser) -> String {
    browser
        .execute("const c = document.getElementById('lr').closest('.control'); const h = c.querySelector('.hint'); return h ? h.innerText : '';", vec![])
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn button(browser: &Browser, text: &str) -> e2e::Element {
    browser.find_with_text("button", text).unwrap_or_else(|| panic!("no button '{text}'"))
}

pub fn reset_then_step_then_play_moves_the_time_shown(page: &Page) {
    let browser = page.open("?width=64&members=4&steps=2000");
    wait_trained(browser, Duration::from_secs(60), "the run");
    browser.click(&button(browser, "reset"));
    browser.wait_true(
        "return document.querySelector('[data-testid=time-value]').innerText.startsWith('k = 0 ');",
        Duration::from_secs(5),
        "k = 0 after reset",
    );
    browser.click(&button(browser, "step ›"));
    let k1 = k_shown(browser);
    browser.click(&button(browser, "step ›"));
    let k2 = k_shown(browser);
    assert!(0 < k1 && k1 < k2, "step › after reset: k = 0 → {k1} → {k2}");
    browser.click(&button(browser, "play"));
    let moved = e2e::wait_until(Duration::from_secs(5), || k_shown(browser) > k2);
    assert!(moved, "play after reset and two steps: k stays {}", k_shown(browser));
    // Played to the end, it stops there and offers play again.
    let ended = e2e::wait_until(Duration::from_secs(30), || k_shown(browser) == 2000);
    assert!(ended, "play reaches the end: k = {}", k_shown(browser));
    browser.wait_true(
        "return Array.from(document.querySelectorAll('.time button')).some(b => b.innerText === 'play');",
        Duration::from_secs(5),
        "play offered again at the end",
    );
}

pub fn the_eta_max_tick_is_where_the_thumb_is_at_eta_max(page: &Page) {
    // The default data (λ_min ≪ λ_max: one tick) and two training points (η_crit and η_max
    // apart: two ticks, labels on either side).
    for (query, ticks) in [("?width=64&members=2&steps=200", 1), ("?n=2&width=64&members=2&steps=200", 2)] {
        let browser = page.open(query);
        browser.wait_true(
            "return document.getElementById('lr').closest('.control').querySelector('.mark') !== null;",
            Duration::from_secs(60),
            "the η landmarks",
        );
        let hint = lr_hint(browser);
        let eta_max = number_after(&hint, "η_max = ").unwrap_or_else(|| panic!("no η_max in '{hint}'"));
        browser.set_input("#lr-value", &format!("{eta_max}"));
        let at = browser.execute(
            "const r = document.getElementById('lr');
             const mark = Array.from(r.parentElement.querySelectorAll('.mark')).find(m => m.innerText.includes('η_max'));
             const rect = mark.getBoundingClientRect();
             const before = getComputedStyle(mark, '::before');
             const tick = before.content === 'none' ? rect.left : rect.left + parseFloat(before.left);
             const rr = r.getBoundingClientRect();
             const t = parseFloat(getComputedStyle(r).getPropertyValue('--thumb')) || 16;
             const thumb = rr.left + t / 2 + (r.value / r.max) * (rr.width - t);
             const labels = Array.from(r.parentElement.querySelectorAll('.mark')).map(m => m.getBoundingClientRect());
             const apart = labels.length < 2 || labels[0].right <= labels[1].left + 0.5 || labels[1].right <= labels[0].left + 0.5;
             return {tick, thumb, value: r.value, apart, marks: labels.length};",
            vec![],
        );
        let (tick, thumb) = (at["tick"].as_f64().unwrap(), at["thumb"].as_f64().unwrap());
        assert!(
            (tick - thumb).abs() <= 2.0,
            "{query}: η_max = {eta_max}: tick at {tick:.1} px, thumb at {thumb:.1} px ({at})"
        );
        assert_eq!(at["apart"], json!(true), "{query}: the landmark labels overlap ({at})");
        assert_eq!(at["marks"], json!(ticks), "{query}: {at}");
        browser.screenshot(&screenshot_dir().join(format!("first_visit_eta_tick_{}.png", at["marks"])));
    }
}

pub fn every_explorer_preset_trains_to_completion(page: &Page) {
    let browser = page.open("");
    browser.wait_for("[data-testid=controls] .presets button", Duration::from_secs(30));
    let names: Vec<String> = serde_json::from_value(browser.execute(
        "return Array.from(document.querySelectorAll('[data-testid=controls] .presets button')).map(b => b.innerText);",
        vec![],
    ))
    .unwrap();
    assert!(names.len() >= 5, "presets: {names:?}");
    for name in &names {
        let start = std::time::Instant::now();
        browser.click(&button(browser, name));
        std::thread::sleep(Duration::from_millis(300));
        wait_trained(browser, Duration::from_secs(240), &format!("the preset '{name}' to train"));
        let s = status(browser);
        assert!(s.contains("trained for") && !s.contains("diverged"), "preset '{name}': {s}");
        eprintln!("preset '{name}': {s} ({:.1} s)", start.elapsed().as_secs_f64());
    }
}

pub fn past_eta_max_the_plots_say_diverged_and_stay_readable(page: &Page) {
    let texts = CanvasTexts::record(page.browser());
    let browser = page.open("?lr=2&width=64&members=4&steps=1000");
    wait_trained(browser, Duration::from_secs(60), "the diverging run");
    let s = status(browser);
    assert!(s.contains("all 4 diverged (first at step") && s.contains("lower η"), "status: {s}");
    // Redraw with the run in (the plots follow it).
    browser.wait_true(
        "return document.querySelector('[data-testid=time-value]').innerText.startsWith('k = 1000 ');",
        Duration::from_secs(10),
        "the end of the run shown",
    );
    std::thread::sleep(Duration::from_millis(500));
    let main: Vec<String> = texts.of("[data-testid=function-plot]").into_iter().map(|t| t.text).collect();
    assert!(
        main.iter().any(|t| t.contains("NTK-GP") && t.contains("diverged")),
        "the plot says the NTK-GP diverged: {main:?}"
    );
    assert!(
        main.iter().any(|t| t.contains("networks diverged (first at k =")),
        "the plot says the networks diverged: {main:?}"
    );
    for css in ["[data-testid=function-plot]", "[data-testid=loss-plot]"] {
        let pairs = texts.overlaps(css, 1.0);
        assert!(pairs.is_empty(), "{css}: overlapping labels {pairs:?}");
    }
    // The loss axis stays readable: no tick label past 10⁸.
    let huge: Vec<String> = texts
        .of("[data-testid=loss-plot]")
        .into_iter()
        .map(|t| t.text)
        .filter(|t| {
            t.replace('−', "-").parse::<f64>().is_ok_and(|v| v.abs() > 1e8)
                || t.contains("e2")
                || t.contains("e1")
        })
        .collect();
    assert!(huge.is_empty(), "loss axis labels: {huge:?}");
    // The catapult offer says its ηλ₀ is capped at the view's end.
    let offer = browser.text("[data-testid=catapult-offer]");
    assert!(offer.contains("ηλ₀ ≈") && offer.contains("goes up to 6"), "offer: {offer}");
    browser.screenshot(&screenshot_dir().join("first_visit_diverged.png"));
}

pub fn a_change_that_pushes_eta_past_eta_max_is_said_and_undone_in_one_click(page: &Page) {
    let browser = page.open("?width=64&members=4&steps=500");
    wait_trained(browser, Duration::from_secs(60), "the default run");
    assert!(browser.find("[data-testid=eta-warning]").is_none(), "no warning at the defaults");
    browser.set_input("#depth-value", "10");
    browser.wait_for("[data-testid=eta-warning]", Duration::from_secs(60));
    let warning = browser.text("[data-testid=eta-warning]");
    assert!(warning.contains("η_max"), "warning: {warning}");
    let fix = browser.find("[data-testid=eta-warning] button").expect("the warning's ½ η_crit button");
    browser.click(&fix);
    browser.wait_true(
        "return document.querySelector('[data-testid=eta-warning]') === null;",
        Duration::from_secs(10),
        "the warning to go",
    );
    let hint = lr_hint(browser);
    let eta_crit = number_after(&hint, "η_crit = ").unwrap_or_else(|| panic!("hint '{hint}'"));
    let lr: f64 = browser
        .execute("return document.getElementById('lr-value').value;", vec![])
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((lr - eta_crit / 2.0).abs() <= 0.01 * eta_crit, "η = {lr}, η_crit = {eta_crit}");
    wait_trained(browser, Duration::from_secs(60), "the run at ½ η_crit");
    assert!(!status(browser).contains("diverged"), "{}", status(browser));
    // The button under the slider does the same.
    browser.set_input("#lr-value", "3");
    browser.click(&browser.find("[data-testid=half-critical]").expect("½ η_crit under the slider"));
    let lr2: f64 = browser
        .execute("return document.getElementById('lr-value').value;", vec![])
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((lr2 - lr).abs() <= 1e-9 * lr, "the same η: {lr2} vs {lr}");
}

pub fn the_status_and_the_plot_stay_in_one_screen(page: &Page) {
    let browser = page.open("?width=64&members=4&steps=500");
    browser.set_window_size(1400, 800);
    wait_trained(browser, Duration::from_secs(60), "the run");
    let inner = browser.execute("return window.innerHeight;", vec![]).as_f64().unwrap();
    let within = |what: &str| {
        let r = browser.execute(
            "return ['[data-testid=run-status]', '[data-testid=function-plot]'].map(css => { const r = document.querySelector(css).getBoundingClientRect(); return [r.top, r.bottom]; });",
            vec![],
        );
        for (i, name) in ["run status", "main plot"].iter().enumerate() {
            let (top, bottom) = (r[i][0].as_f64().unwrap(), r[i][1].as_f64().unwrap());
            assert!(
                top >= -1.0 && bottom <= inner + 1.0,
                "{what}: the {name} spans {top:.0}–{bottom:.0} px of a {inner} px window"
            );
        }
    };
    within("at load");
    // Scrolled down to the last control (the seed), the plot stays in view.
    browser.execute("document.getElementById('seed').scrollIntoView({block: 'end'});", vec![]);
    std::thread::sleep(Duration::from_millis(200));
    let scrolled = browser.execute("return window.scrollY;", vec![]).as_f64().unwrap();
    assert!(scrolled > 50.0, "the controls scroll (scrollY {scrolled})");
    within("with the controls scrolled");
    browser.screenshot(&screenshot_dir().join("first_visit_desktop_scrolled.png"));
}

/// Text boxes of the shown page (DOM text lines and form fields) that overlap another by more
/// than 2 px both ways.
const DOM_OVERLAPS: &str = "
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const el = n.parentElement;
    // A formula counts as one box (its stacked sub- and superscripts are meant to touch).
    if (!el || el.closest('option, script, style, select, textarea, math')) continue;
    // Shown: not in a closed <details>, not invisible or transparent.
    if (!el.checkVisibility({ contentVisibilityAuto: true, opacityProperty: true, visibilityProperty: true })) continue;
    const range = document.createRange(); range.selectNodeContents(n);
    for (const b of range.getClientRects()) if (b.width > 0.5 && b.height > 0.5)
      boxes.push({el, text: n.textContent.trim().slice(0, 50), x0: b.left, x1: b.right, y0: b.top, y1: b.bottom});
  }
  for (const el of document.querySelectorAll('input[type=text], input:not([type]), select, textarea, math')) {
    if (!el.checkVisibility({ contentVisibilityAuto: true, opacityProperty: true, visibilityProperty: true })) continue;
    for (const b of el.getClientRects()) if (b.width > 0.5)
      boxes.push({el, text: '<' + el.tagName.toLowerCase() + ' ' + (el.id || '') + '>', x0: b.left, x1: b.right, y0: b.top, y1: b.bottom});
  }
  const out = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.el === b.el || a.el.contains(b.el) || b.el.contains(a.el)) continue;
    const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0), h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
    if (w > 2 && h > 2) out.push(`'${a.text}' and '${b.text}' at (${Math.round(a.x0)}, ${Math.round(a.y0)})`);
  }
  return out;";

/// The overlapping texts of the page as shown: DOM text and fields, and every canvas's labels.
fn overlapping_texts(browser: &Browser, texts: &CanvasTexts) -> Vec<String> {
    let mut found: Vec<String> = serde_json::from_value(browser.execute(DOM_OVERLAPS, vec![])).unwrap();
    for (name, boxes) in texts.shown() {
        for (a, b) in overlapping(boxes, 1.0) {
            found.push(format!("{name}: '{}' and '{}' at ({:.0}, {:.0})", a.text, b.text, a.x0, a.y0));
        }
    }
    found
}

pub fn no_text_covers_another_in_any_view_on_a_desktop_or_a_phone(page: &Page) {
    let texts = CanvasTexts::record(page.browser());
    for (view, ready) in [
        ("explorer", "[data-testid=function-plot]"),
        ("single", "[data-testid=single-rmse]"),
        ("catapult", "[data-testid=catapult-plot]"),
        ("widths", "[data-testid=run-sweep]"),
        ("phase", "[data-testid=phase-diagram-plot]"),
    ] {
        let browser = page.open(&format!("?view={view}"));
        browser.wait_for(ready, Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(1500));
        let desktop = overlapping_texts(browser, &texts);
        assert!(desktop.is_empty(), "{view} at {:?}: overlapping text\n{}", e2e::WINDOW, desktop.join("\n"));
        browser.set_window_size(390, 844);
        std::thread::sleep(Duration::from_millis(1500));
        let phone = overlapping_texts(browser, &texts);
        browser.screenshot(&screenshot_dir().join(format!("first_visit_phone_{view}.png")));
        assert!(phone.is_empty(), "{view} at 390 × 844: overlapping text\n{}", phone.join("\n"));
        // The embed menu opens within the screen.
        browser.click(&browser.find("[data-testid=embed-menu] summary").expect("the embed menu"));
        let panel = browser.execute(
            "const r = document.querySelector('.embed-panel').getBoundingClientRect();
             return [r.left, r.right, document.documentElement.clientWidth];",
            vec![],
        );
        let (left, right, screen) =
            (panel[0].as_f64().unwrap(), panel[1].as_f64().unwrap(), panel[2].as_f64().unwrap());
        assert!(
            left >= 0.0 && right <= screen,
            "{view}: the embed panel spans {left:.0}–{right:.0} px of {screen} px"
        );
        browser.click(&browser.find("[data-testid=embed-menu] summary").expect("the embed menu"));
        // Touch targets: buttons and fields at least 32 px tall.
        let small: Vec<String> = serde_json::from_value(browser.execute(
            "return Array.from(document.querySelectorAll('button, select, input[type=text]'))
               .filter(e => e.getClientRects().length > 0 && e.getBoundingClientRect().height < 31.5)
               .map(e => (e.innerText || e.id || e.tagName) + ' ' + e.getBoundingClientRect().height);",
            vec![],
        ))
        .unwrap();
        assert!(small.is_empty(), "{view}: touch targets under 32 px: {small:?}");
    }
}

pub fn a_formula_with_a_pole_is_refused_with_where(page: &Page) {
    let browser = page.open("?data=formula&fx=sin(x)&width=32&members=2&steps=100");
    browser.wait_for("#fx", Duration::from_secs(30));
    for (formula, at) in [("1/(x-1)", "x = 1.0000"), ("1/(x-0.5)", "x = 0.5000")] {
        browser.set_input("#fx", formula);
        browser.wait_true(
            "return document.getElementById('fx-problems').innerText.includes('pole');",
            Duration::from_secs(10),
            &format!("'{formula}' refused"),
        );
        let why = browser.text("#fx-problems");
        assert!(why.contains(at), "'{formula}': {why}");
        let search =
            browser.execute("return location.search;", vec![]).as_str().unwrap_or_default().to_string();
        assert!(search.contains("fx=sin"), "the link keeps the last good formula: {search}");
    }
}

/// Every range input of the shown view: its `aria-valuetext` and the value shown beside it
/// (the number box of a control, or the text after a time slider).
const SLIDER_TEXTS: &str = "
  return Array.from(document.querySelectorAll('input[type=range]'))
    .filter(r => r.getClientRects().length > 0)
    .map(r => {
      const row = r.closest('.control, .time');
      const box = row && row.querySelector('input.number');
      const span = r.nextElementSibling && r.nextElementSibling.tagName === 'SPAN' ? r.nextElementSibling : null;
      return [r.id, r.getAttribute('aria-valuetext'), box ? box.value : (span ? span.innerText : null)];
    });";

pub fn every_slider_tells_a_screen_reader_its_value(page: &Page) {
    for (view, ready) in [
        ("explorer", "[data-testid=function-plot]"),
        ("single", "[data-testid=single-rmse]"),
        ("catapult", "[data-testid=catapult-plot]"),
        ("widths", "[data-testid=run-sweep]"),
        ("phase", "[data-testid=phase-diagram-plot]"),
    ] {
        let browser = page.open(&format!("?view={view}"));
        browser.wait_for(ready, Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(500));
        let sliders: Vec<(String, Option<String>, Option<String>)> =
            serde_json::from_value(browser.execute(SLIDER_TEXTS, vec![])).unwrap();
        assert!(!sliders.is_empty(), "{view}: no sliders");
        for (id, aria, shown) in &sliders {
            assert!(
                aria.as_deref().is_some_and(|a| !a.is_empty()) && aria == shown,
                "{view}: slider #{id}: aria-valuetext {aria:?}, shown {shown:?}"
            );
        }
        assert!(
            browser.find("input[type=range]#seed, input[type=range]#s-seed").is_none(),
            "{view}: the seed is a slider"
        );
    }
    // The keyboard: one arrow press moves the width by a visible step, not 256 → 257.
    let browser = page.open("?width=256&members=2&steps=100");
    browser.wait_for("#width", Duration::from_secs(30));
    browser.execute("document.getElementById('width').focus();", vec![]);
    browser.press_key("\u{E014}"); // ArrowRight
    let after: f64 = browser
        .execute("return document.getElementById('width-value').value;", vec![])
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((256.0 * 1.01..=256.0 * 1.2).contains(&after), "one arrow press: width 256 → {after}");
    assert_eq!(
        browser.execute("return document.getElementById('width').getAttribute('aria-valuetext');", vec![]),
        json!(format!("{after}"))
    );
}

/// Copies the built page to a fresh directory (a deployment the test can replace).
fn copy_dist(to: &Path) {
    let from = PathBuf::from(std::env::var_os("E2E_DIST").expect("E2E_DIST"));
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Redeploys `dir`: the script and wasm get new names (as a new build's hashes) and the index
/// refers to them; the old names are gone.
fn redeploy(dir: &Path) {
    let mut index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".js") || name.ends_with(".wasm") {
            let renamed = format!("new-{name}");
            std::fs::rename(dir.join(&name), dir.join(&renamed)).unwrap();
            index = index.replace(&name, &renamed);
        }
    }
    std::fs::write(dir.join("index.html"), index).unwrap();
}

pub fn a_redeployed_site_offers_a_reload(page: &Page) {
    let dir = std::env::temp_dir().join(format!("e2e-redeploy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dist(&dir);
    let server = serve_dir(&dir);
    let browser = page.browser();
    browser.set_window_size(e2e::WINDOW.0, e2e::WINDOW.1);
    let query = "?view=widths&wmin=32&wmax=64&seeds=1&steps=50";
    browser.goto(&format!("{}/{query}", server.url()));
    let run = browser.wait_for("[data-testid=run-sweep]", Duration::from_secs(30));
    redeploy(&dir);
    // The width view's workers start on its first run: they ask for the old script.
    browser.click(&run);
    let offer = browser.wait_for("[data-testid=update-offer]", Duration::from_secs(40));
    let text = browser.text("[data-testid=update-offer]");
    assert!(text.contains("updated") && text.contains("Reload"), "offer: {text}");
    browser.screenshot(&screenshot_dir().join("first_visit_update_offer.png"));
    let _ = offer;
    browser.click(&browser.find("[data-testid=reload]").expect("the reload button"));
    // The new version loads at the same link, and its sweep runs.
    let run = browser.wait_for("[data-testid=run-sweep]", Duration::from_secs(30));
    let search: Value = browser.execute("return location.search;", vec![]);
    for needle in query.trim_start_matches('?').split('&') {
        assert!(
            search.as_str().unwrap_or_default().contains(needle),
            "the link survives the reload: {search}"
        );
    }
    assert!(browser.find("[data-testid=update-offer]").is_none(), "no offer after the reload");
    browser.click(&run);
    browser.wait_true(
        "return document.querySelector('[data-testid=widths-run-status]').innerText.includes('Sweep done');",
        Duration::from_secs(120),
        "the sweep on the new version",
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
