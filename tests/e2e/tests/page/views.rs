//! The explorer's data views as a person uses them: placing, dragging and removing training
//! points with the mouse and the keyboard; loading a preset; a 2-D data set with its heatmaps
//! and the paper's Figure 2 segment.

use std::time::Duration;

use e2e::{screenshot_dir, Browser, Page};
use serde_json::{json, Value};

const TRAINED: &str =
    "return document.querySelector('[data-testid=run-status]').innerText.includes('networks trained');";

/// The user's points as the URL has them.
fn url_points(browser: &Browser) -> Vec<(f64, f64)> {
    let pts = browser.execute("return new URLSearchParams(location.search).get('pts') || '';", vec![]);
    let pts = pts.as_str().unwrap_or_default();
    if pts.is_empty() {
        return vec![];
    }
    pts.split(',')
        .map(|p| {
            let (x, y) = p.split_once(':').expect("x:y");
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

/// A digest of the canvas's pixels (changes when anything drawn changes).
fn canvas_digest(browser: &Browser, css: &str) -> Value {
    browser.execute(
        "const c = document.querySelector(arguments[0]);
         const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
         let h = 0; for (let i = 0; i < d.length; i += 7) { h = (h * 31 + d[i]) | 0; } return h;",
        vec![json!(css)],
    )
}

pub fn placing_dragging_and_removing_points_edits_the_data_and_the_link(page: &Page) {
    let browser = page.open("?data=user&pts=-2:1,2:-1&width=32&members=4&steps=300");
    let plot = browser.wait_for("[data-testid=function-plot]", Duration::from_secs(30));
    browser.wait_true(TRAINED, Duration::from_secs(120), "the first ensemble");
    assert_eq!(url_points(browser), vec![(-2.0, 1.0), (2.0, -1.0)]);
    let before = canvas_digest(browser, "[data-testid=function-plot]");

    // A click on empty space near the middle adds a point there (x ≈ 0, y ≈ 0).
    browser.mouse_click(&plot, 0, (20, 10));
    let pts = url_points(browser);
    assert_eq!(pts.len(), 3, "{pts:?}");
    let added = pts[2];
    assert!(added.0.abs() < 0.8 && added.1.abs() < 0.8, "added at {added:?}");
    assert!(browser.text("[data-testid=user-hint]").contains("3 of 40 points"));
    assert_ne!(canvas_digest(browser, "[data-testid=function-plot]"), before, "the plot shows the new point");
    // The edit restarts the ensemble: a new run is drawn.
    browser.wait_true(
        "return Number(document.querySelector('[data-testid=function-plot]').dataset.run) > 1;",
        Duration::from_secs(30),
        "a new run for the edited points",
    );

    // Dragging it right and up moves it (and only it).
    browser.mouse_drag(&plot, 0, (20, 10), (90, -60));
    let pts = url_points(browser);
    assert_eq!(pts.len(), 3, "{pts:?}");
    assert!(pts[2].0 > added.0 + 0.5 && pts[2].1 > added.1 + 0.5, "dragged from {added:?} to {:?}", pts[2]);
    assert_eq!(&pts[..2], &[(-2.0, 1.0), (2.0, -1.0)]);
    browser.wait_true(TRAINED, Duration::from_secs(120), "the ensemble on the edited points");
    browser.screenshot(&screenshot_dir().join("views_user_points.png"));

    // A right-click on it removes it.
    browser.mouse_click(&plot, 2, (90, -60));
    assert_eq!(url_points(browser), vec![(-2.0, 1.0), (2.0, -1.0)]);

    // Keyboard: add a point, nudge it with an arrow key, delete it with the Delete key.
    browser.mouse_click(&plot, 0, (-40, 40));
    let pts = url_points(browser);
    assert_eq!(pts.len(), 3, "{pts:?}");
    browser.press_key("\u{E014}"); // ArrowRight
    let nudged = url_points(browser)[2];
    assert!((nudged.0 - pts[2].0 - 0.05).abs() < 1e-9, "{:?} → {nudged:?}", pts[2]);
    browser.press_key("\u{E017}"); // Delete
    assert_eq!(url_points(browser), vec![(-2.0, 1.0), (2.0, -1.0)]);

    // The link reproduces the points.
    let link = browser.execute("return location.href;", vec![]);
    browser.goto(link.as_str().unwrap());
    browser.wait_for("[data-testid=function-plot]", Duration::from_secs(30));
    assert_eq!(url_points(browser), vec![(-2.0, 1.0), (2.0, -1.0)]);
    assert!(browser.text("[data-testid=user-hint]").contains("2 of 40 points"));
}

pub fn a_preset_sets_every_control_and_the_link(page: &Page) {
    let browser = page.open("?width=32&members=4&steps=300");
    browser.wait_true(TRAINED, Duration::from_secs(120), "the small ensemble to finish");
    let before = canvas_digest(browser, "[data-testid=function-plot]");
    let button =
        browser.find_with_text(".presets button", "Paper Figure 2").expect("the Paper Figure 2 button");
    browser.click(&button);
    let url = browser.execute("return location.search;", vec![]);
    let url = url.as_str().unwrap();
    for needle in ["depth=3", "act=tanh", "sw2=1.5", "sb2=0", "lr=0.5", "width=512", "members=10"] {
        assert!(url.contains(needle), "{needle} not in {url}");
    }
    let value = |id: &str| browser.execute(&format!("return document.getElementById('{id}').value;"), vec![]);
    assert_eq!(value("depth-value"), json!("3"));
    assert_eq!(value("act"), json!("tanh"));
    browser.wait_true(
        "return document.querySelector('[data-testid=run-status]').innerText.includes('10 networks');",
        Duration::from_secs(60),
        "the preset's ensemble to start",
    );
    assert_ne!(canvas_digest(browser, "[data-testid=function-plot]"), before, "the plot changed");
    browser.screenshot(&screenshot_dir().join("views_preset_figure_2.png"));
}

pub fn a_two_d_set_shows_heatmaps_and_the_figure_2_segment(page: &Page) {
    let browser = page.open("?data=xor&n=12&noise=0&width=64&members=4&steps=400&lr=0.5&sa=2&sb=5");
    browser.wait_for("[data-testid=heatmaps]", Duration::from_secs(30));
    browser.wait_true(TRAINED, Duration::from_secs(180), "the 2-D ensemble to finish");
    // Both label colours appear in every heatmap panel once the ensemble is in.
    let colours = browser.execute(
        "const c = document.querySelector('[data-testid=heatmaps]');
         const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
         const quarter = c.width / 4, out = [0, 0, 0, 0, 0, 0, 0, 0];
         for (let y = 0; y < c.height; y += 2) for (let x = 0; x < c.width; x += 2) {
           const i = 4 * (y * c.width + x), p = Math.min(3, Math.floor(x / quarter));
           if (d[i + 2] > 150 && d[i] < 120) out[2 * p] += 1;        // blue: negative outputs
           if (d[i] > 200 && d[i + 2] < 120) out[2 * p + 1] += 1;    // orange: positive outputs
         }
         return out;",
        vec![],
    );
    let counts: Vec<u64> = colours.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert!(counts.iter().all(|&n| n > 50), "a panel lacks blue or orange: {counts:?}");
    let axis = browser.execute(
        "return document.querySelector('[data-testid=function-plot]').getAttribute('aria-label');",
        vec![],
    );
    assert!(axis.as_str().unwrap().contains("line"), "{axis}");
    // Moving a segment end redraws the line plot.
    let before = canvas_digest(browser, "[data-testid=function-plot]");
    browser.set_input("#sa-value", "7");
    assert!(browser.execute("return location.search;", vec![]).as_str().unwrap().contains("sa=7"));
    assert_ne!(canvas_digest(browser, "[data-testid=function-plot]"), before);
    browser.wait_true(TRAINED, Duration::from_secs(180), "the ensemble on the new segment");
    browser.screenshot(&screenshot_dir().join("views_xor_segment.png"));
}

/// Whether every visible canvas's backing store has the aspect ratio of its box on the page
/// (within 3%): a plot drawn for another size would be shown stretched.
const STRETCHED_NONE: &str = "return Array.from(document.querySelectorAll('canvas')).filter(c => c.offsetParent)
     .every(c => { const r = c.getBoundingClientRect();
       return r.width < 1 || r.height < 1 || Math.abs((c.width / c.height) / (r.width / r.height) - 1) < 0.03; });";

pub fn the_page_fits_a_phone_screen(page: &Page) {
    let browser = page.open("?data=xor&n=8&width=32&members=2&steps=100");
    browser.set_window_size(390, 844);
    browser.wait_for("[data-testid=heatmaps]", Duration::from_secs(30));
    // Nothing wider than the screen (no sideways scrolling), and the plots span the width.
    let fit = browser.execute(
        "const w = document.documentElement.clientWidth;
         const plot = document.querySelector('[data-testid=function-plot]').getBoundingClientRect();
         return {page: document.documentElement.scrollWidth, screen: w, plot: plot.width};",
        vec![],
    );
    let (page_w, screen, plot) =
        (fit["page"].as_f64().unwrap(), fit["screen"].as_f64().unwrap(), fit["plot"].as_f64().unwrap());
    assert!(page_w <= screen + 1.0, "the page is {page_w} px wide on a {screen} px screen");
    assert!(plot > 0.8 * screen, "the main plot is only {plot} of {screen} px");
    browser.screenshot(&screenshot_dir().join("views_phone.png"));
    // The other views at the same size: no sideways scrolling either (their screenshots are
    // looked at with the others).
    for (view, ready) in [
        ("catapult", "[data-testid=catapult-plot]"),
        ("widths", "[data-testid=run-sweep]"),
        ("single", "[data-testid=single-rmse]"),
        ("phase", "[data-testid=phase-diagram-plot]"),
    ] {
        let browser = page.open(&format!("?view={view}"));
        browser.set_window_size(390, 844);
        browser.wait_for(ready, Duration::from_secs(30));
        let width = browser.execute(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
            vec![],
        );
        let (page_w, screen_w) = (width[0].as_f64().unwrap(), width[1].as_f64().unwrap());
        assert!(page_w <= screen_w + 1.0, "{view}: the page is {page_w} px wide on a {screen_w} px screen");
        // Every plot redrawn at its new size (not a desktop drawing stretched to the phone's).
        browser.wait_true(
            STRETCHED_NONE,
            Duration::from_secs(10),
            &format!("{view}: plots redrawn at phone size"),
        );
        browser.screenshot(&screenshot_dir().join(format!("views_phone_{view}.png")));
    }
}

pub fn quadrature_kernels_are_computed_off_the_main_thread(page: &Page) {
    // tanh kernels of a 2-D set: 20 training and 502 test points by 2-D quadrature take seconds.
    let browser = page.open("?act=tanh&data=xor&n=20&width=32&members=2&steps=100");
    browser.wait_for("[data-testid=function-plot]", Duration::from_secs(30));
    let pending =
        "return document.querySelector('[data-testid=theory-status]').innerText.includes('computing');";
    browser.wait_true(pending, Duration::from_secs(10), "the kernel worker to be asked");
    // While the worker computes, the page answers: a slider moves the time shown.
    browser.set_input("#time", "300");
    assert!(browser.text("[data-testid=time-value]").starts_with("k = "), "the page responds");
    let before = canvas_digest(browser, "[data-testid=function-plot]");
    // A new σ_w² abandons the running request; the bands of the new value arrive.
    browser.set_input("#sw2-value", "1.5");
    browser.wait_true(pending, Duration::from_secs(5), "a new kernel request");
    browser.wait_true(
        "return document.querySelector('[data-testid=theory-status]').innerText === '';",
        Duration::from_secs(120),
        "the kernels of σ_w² = 1.5",
    );
    assert_ne!(canvas_digest(browser, "[data-testid=function-plot]"), before, "the bands are drawn");
    let hint = browser.text(".hint");
    assert!(!hint.contains("unavailable"), "{hint}");
    browser.screenshot(&screenshot_dir().join("views_tanh_kernels.png"));
}
