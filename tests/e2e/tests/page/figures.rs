//! Every figure of every view leaves the page as a file through its "Export…" menu: its SVG —
//! the same drawing as the canvas, through plotters' SVG backend — parses in the browser, has
//! its text as text, its curves as polylines (a dashed curve as one polyline with a dash
//! pattern), its cells as rectangles or its points as markers, and carries the page link, the
//! `ntk` command where the view has one, and the version (each file is kept as
//! `target/e2e-screenshots/figure-ID.svg`), and that link, loaded afresh, gives the same state;
//! on a sheet of 12 × 8 cm at the slides' text scale the root element says so. Screenshots of two SVGs as Chromium draws them are saved for a
//! person to look at.

use std::time::Duration;

use e2e::{screenshot_dir, Browser, Page};
use serde_json::{json, Value};

use crate::explorer::{saved_file, screenshot_svg};

/// A view's link and its figures: (export id, canvas test id, whether an `ntk` command
/// computes its numbers).
type ViewFigures = (&'static str, &'static [(&'static str, &'static str, bool)]);

const VIEWS: &[ViewFigures] = &[
    (
        "?width=32&members=4&steps=200",
        &[("main", "function-plot", true), ("loss", "loss-plot", true), ("spectrum", "spectrum-plot", true)],
    ),
    ("?data=xor&noise=0&width=32&members=4&steps=200", &[("heatmaps", "heatmaps", true)]),
    (
        "?view=single&width=32&steps=200&data=circles&n=16&loss=xent&lr=1",
        &[
            ("single-outputs", "single-outputs", true),
            ("single-weights", "single-weights", true),
            ("single-loss", "single-loss", true),
            ("single-accuracy", "single-accuracy", true),
            ("single-rmse", "single-rmse", true),
            ("single-heatmaps", "single-heatmaps", true),
        ],
    ),
    (
        "?view=catapult&el0=3&width=256&members=2&steps=60",
        &[("catapult", "catapult-plot", true), ("catapult-diagram", "phase-diagram", true)],
    ),
    (
        "?view=widths&wmin=32&wmax=64&seeds=1&steps=20",
        &[
            ("widths", "widths-plot", true),
            ("convergence-nngp", "convergence-nngp", true),
            ("convergence-ntk", "convergence-ntk", true),
        ],
    ),
    (
        "?view=phase&act=tanh&grid=8",
        &[
            ("phase-diagram", "phase-diagram-plot", true),
            ("phase-correlation", "phase-correlation", true),
            ("phase-trainability", "phase-trainability", true),
            ("phase-conditioning", "phase-conditioning", true),
        ],
    ),
];

/// What an SVG holds, as the browser's XML parser reads it.
fn inspect(browser: &Browser, text: &str) -> Value {
    browser.execute(
        "const doc = new DOMParser().parseFromString(arguments[0], 'image/svg+xml');
         if (doc.querySelector('parsererror')) return {error: doc.querySelector('parsererror').textContent};
         const all = (tag) => Array.from(doc.getElementsByTagName(tag));
         const m = all('wide-explorer')[0];
         const root = doc.documentElement;
         return {
           texts: all('text').map(t => t.textContent),
           polylines: all('polyline').map(p => p.getAttribute('points').trim().split(/\\s+/).length),
           dashed: all('polyline').filter(p => p.hasAttribute('stroke-dasharray')).length,
           rects: all('rect').length,
           markers: all('circle').length + all('polygon').length,
           meta: m ? {link: m.getAttribute('link'), command: m.getAttribute('command'),
                      version: m.getAttribute('version')} : null,
           root: [root.getAttribute('width'), root.getAttribute('height'), root.getAttribute('viewBox')],
         };",
        vec![json!(text)],
    )
}

/// Waits until every figure's canvas has been drawn (it records how long the drawing took, or
/// where its parts lie).
fn wait_drawn(browser: &Browser, canvases: &[&str]) {
    for canvas in canvases {
        browser.wait_true(
            &format!("const c = document.querySelector('[data-testid={canvas}]'); return !!c && !!(c.dataset.drawMs || c.dataset.geometry);"),
            Duration::from_secs(120),
            &format!("{canvas} drawn"),
        );
    }
}

pub fn every_figure_exports_as_svg_with_its_provenance(page: &Page) {
    for (link, figures) in VIEWS {
        let browser = page.open(link);
        wait_drawn(browser, &figures.iter().map(|f| f.1).collect::<Vec<_>>());
        if link.contains("view=widths") {
            // A small sweep and the kernel study, so that their figures have data.
            browser.execute(
                "document.querySelector('[data-testid=run-sweep]').click();
                 document.querySelector('[data-testid=run-convergence]').click();",
                vec![],
            );
            browser.wait_true(
                "return document.querySelector('[data-testid=widths-run-status]').innerText.includes('Sweep done')
                    && document.querySelector('[data-testid=convergence-status]').innerText.includes('done');",
                Duration::from_secs(180),
                "the sweep and the kernel study",
            );
        }
        // Let the runs of the view reach a few checkpoints (nothing below depends on how many).
        std::thread::sleep(Duration::from_secs(2));
        for &(id, canvas, has_command) in *figures {
            let saved = saved_file(browser, &format!("{id}-svg"));
            assert_eq!(saved[0], json!(format!("wide-explorer-{id}.svg")), "{id}: {saved}");
            let text = saved[1].as_str().unwrap_or_default();
            // Kept beside the screenshots, to open in a vector editor.
            std::fs::write(screenshot_dir().join(format!("figure-{id}.svg")), text).unwrap();
            let svg = inspect(browser, text);
            assert!(svg["error"].is_null(), "{id}: the SVG does not parse: {}", svg["error"]);
            let texts = svg["texts"].as_array().map_or(0, Vec::len);
            assert!(texts >= 3, "{id}: {texts} text elements");
            let meta = &svg["meta"];
            let href = browser.execute("return location.href;", vec![]);
            assert_eq!(meta["link"], href, "{id}: the link in the file is the page's");
            assert!(
                meta["version"].as_str().is_some_and(|v| v.starts_with("wide-explorer ")),
                "{id}: {meta}"
            );
            let command = meta["command"].as_str().unwrap_or_default();
            assert_eq!(command.starts_with("ntk "), has_command, "{id}: command '{command}'");
            // What is drawn: curves as polylines (several points each), cells as rectangles,
            // points as markers (beyond the white background rectangle).
            let long_lines =
                svg["polylines"].as_array().map_or(0, |p| p.iter().filter(|n| n.as_u64() >= Some(3)).count());
            let rects = svg["rects"].as_u64().unwrap_or(0) as usize;
            let markers = svg["markers"].as_u64().unwrap_or(0) as usize;
            assert!(
                long_lines + rects + markers >= 2,
                "{id}: {long_lines} polylines, {rects} rectangles, {markers} markers"
            );
            // A canvas that records its series: as many curves of 3 points or more in the file.
            let series: Vec<usize> = browser
                .execute(
                    &format!("return JSON.parse(document.querySelector('[data-testid={canvas}]').dataset.series || '[]').map(s => s.length);"),
                    vec![],
                )
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_u64).map(|n| n as usize).collect())
                .unwrap_or_default();
            let curves = series.iter().filter(|&&n| n >= 3).count();
            assert!(
                long_lines >= curves.min(1),
                "{id}: {long_lines} polylines for series of {series:?} points"
            );
            println!(
                "{id}: {texts} texts, {long_lines} polylines, {} dashed, {rects} rectangles, {markers} markers",
                svg["dashed"]
            );
            if id == "phase-diagram" {
                screenshot_svg(browser, text, "figures_phase_diagram_svg.png");
            }
        }
        // The files' link reproduces the view: loaded afresh, the page decodes it into the
        // state it was taken from, which it writes back as the very same link (the link holds
        // the view's whole state, so equal links are equal states).
        let href = browser.execute("return location.href;", vec![]);
        let href = href.as_str().expect("the page's link").to_string();
        browser.goto("about:blank");
        browser.goto(&href);
        wait_drawn(browser, &figures.iter().map(|f| f.1).take(1).collect::<Vec<_>>());
        std::thread::sleep(Duration::from_millis(300));
        let again = browser.execute("return location.href;", vec![]);
        assert_eq!(again, json!(href), "the link in the files reproduces the view's state");
    }
}

/// The sheet options: 12 × 8 cm at the slides' text scale (1.6) — the file's root is 12 cm by
/// 8 cm and its drawing laid out at (12, 8) cm ÷ 1.6 in CSS pixels (96 per inch), so that text
/// and lines are 1.6 × as large against the figure; nothing on the page or in its link changes.
pub fn the_svg_sheet_options_size_the_file_and_scale_its_text(page: &Page) {
    let browser = page.open("?view=single&width=32&steps=200");
    wait_drawn(browser, &["single-outputs"]);
    let before = browser.execute("return location.search;", vec![]);
    browser.execute(
        "const set = (id, v) => { const e = document.querySelector(`[data-testid=${id}]`);
                                  e.value = v; e.dispatchEvent(new Event('change', {bubbles: true})); };
         document.querySelector('[data-testid=single-outputs-export]').open = true;
         set('single-outputs-svg-unit', 'cm');
         set('single-outputs-svg-width', '12');
         set('single-outputs-svg-height', '8');
         set('single-outputs-svg-scale', '1.6');",
        vec![],
    );
    let saved = saved_file(browser, "single-outputs-svg");
    let text = saved[1].as_str().unwrap_or_default().to_string();
    let svg = inspect(browser, &text);
    let layout = |cm: f64| (cm * 96.0 / 2.54 / 1.6).round();
    assert_eq!(svg["root"], json!(["12cm", "8cm", format!("0 0 {} {}", layout(12.0), layout(8.0))]), "{svg}");
    assert_eq!(browser.execute("return location.search;", vec![]), before, "the link is unchanged");
    screenshot_svg(browser, &text, "figures_single_outputs_slides_svg.png");
}
