//! The width-scaling view as a person uses it: open a link with a small sweep, run it, read the
//! slopes, switch tabs and come back to the same results, cancel a larger run; an oversized
//! sweep is refused with a message before any work.

use std::time::{Duration, Instant};

use e2e::{open_page, screenshot_dir, Browser};
use serde_json::json;

const SMALL: &str = "?view=widths&wmin=32&wmax=256&seeds=2&steps=100";

fn status(browser: &Browser) -> String {
    browser.text("[data-testid=widths-run-status]")
}

fn search(browser: &Browser) -> String {
    browser.execute("return location.search;", vec![]).as_str().unwrap_or_default().to_string()
}

/// The slope cells of the first row of the slope table, parsed ("−0.52" → −0.52; "—" → NaN).
fn slopes(browser: &Browser) -> Vec<f64> {
    let cells = browser.execute(
        "return Array.from(document.querySelectorAll('[data-testid=widths-slopes] tbody tr:first-child td'))
                .slice(1).map(td => td.innerText.trim());",
        vec![],
    );
    cells
        .as_array()
        .expect("slope cells")
        .iter()
        .map(|c| c.as_str().unwrap().replace('−', "-").parse().unwrap_or(f64::NAN))
        .collect()
}

/// Number of pixels of the plot's first series colour (the canvas is not blank).
fn series_pixels(browser: &Browser) -> u64 {
    browser
        .execute(
            "const c = document.querySelector('[data-testid=widths-plot]');
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
             let n = 0; for (let i = 0; i < d.length; i += 4)
               if (Math.abs(d[i] - 31) < 30 && Math.abs(d[i + 1] - 95) < 30 && Math.abs(d[i + 2] - 191) < 30) n++;
             return n;",
            vec![],
        )
        .as_u64()
        .unwrap_or(0)
}

#[test]
fn a_small_sweep_runs_survives_a_tab_switch_and_can_be_cancelled() {
    let (_server, browser) = open_page(SMALL);
    let run = browser.wait_for("[data-testid=run-sweep]", Duration::from_secs(30));
    let url = search(&browser);
    for needle in ["view=widths", "wmin=32", "wmax=256", "seeds=2", "steps=100", "act=erf"] {
        assert!(url.contains(needle), "{needle} not in {url}");
    }
    assert!(status(&browser).contains("No sweep run yet"), "{}", status(&browser));
    assert!(browser.text("[data-testid=widths-estimate]").contains("4 widths"));

    let start = Instant::now();
    browser.click(&run);
    browser.wait_true(
        "return document.querySelector('[data-testid=widths-status]').innerText.includes('n = 32');",
        Duration::from_secs(10),
        "the per-width status lines",
    );
    browser.wait_true(
        "return document.querySelector('[data-testid=widths-run-status]').innerText.includes('Sweep done');",
        Duration::from_secs(300),
        "the small sweep to finish",
    );
    eprintln!("small sweep: {:.1} s wall ({})", start.elapsed().as_secs_f64(), status(&browser));
    let lines = browser.text("[data-testid=widths-status]");
    assert_eq!(lines.lines().filter(|l| l.contains("done, 2 seed(s)")).count(), 4, "{lines}");

    // Slopes: finite and negative for every metric; (d) is the CLT's −1/2 within the noise of 2
    // seeds × 4 widths.
    let s = slopes(&browser);
    assert_eq!(s.len(), 6, "{s:?}");
    assert!(s.iter().all(|v| v.is_finite() && *v < 0.0), "{s:?}");
    assert!((-1.1..=-0.2).contains(&s[5]), "slope of (d): {s:?}");
    let legend_row = browser.text("[data-testid=widths-slopes]");
    assert!(legend_row.contains("this sweep") && legend_row.contains("theory"), "{legend_row}");
    let draw_ms = browser.execute(
        "return document.querySelector('[data-testid=widths-plot]').getAttribute('data-draw-ms');",
        vec![],
    );
    assert!(draw_ms.as_str().and_then(|v| v.parse::<f64>().ok()).is_some(), "data-draw-ms: {draw_ms}");
    assert!(series_pixels(&browser) > 500, "the plot shows the series");

    // Another tab and back: the results are still there, the URL follows the shown view.
    let explorer = browser.find("button[data-view=explorer]").expect("explorer tab");
    browser.click(&explorer);
    assert!(!search(&browser).contains("view=widths"), "{}", search(&browser));
    let widths = browser.find("button[data-view=widths]").expect("widths tab");
    browser.click(&widths);
    assert!(search(&browser).contains("view=widths"), "{}", search(&browser));
    assert!(status(&browser).contains("Sweep done"), "{}", status(&browser));
    assert_eq!(slopes(&browser), s, "the same results after the tab switch");
    browser.wait_true(
        "const c = document.querySelector('[data-testid=widths-plot]'); return c.width > 0;",
        Duration::from_secs(5),
        "the plot redrawn",
    );
    assert!(series_pixels(&browser) > 500, "the plot is redrawn when shown again");
    browser.screenshot(&screenshot_dir().join("widths_top.png"));
    browser.execute(
        "document.querySelector('[data-testid=widths-plot]').scrollIntoView({block: 'start'});",
        vec![],
    );
    browser.screenshot(&screenshot_dir().join("widths_plot.png"));

    // A larger run, cancelled: the workers stop and the status says so.
    browser.set_input("#w-wmax-value", "1024");
    browser.set_input("#w-seeds-value", "8");
    assert!(search(&browser).contains("wmax=1024"), "{}", search(&browser));
    assert!(browser.find("[data-testid=widths-stale]").is_some(), "the plots say they are of the last sweep");
    browser.click(&run);
    browser.wait_true(
        "return document.querySelector('[data-testid=widths-status]').innerText.includes('training…');",
        Duration::from_secs(30),
        "the larger sweep to start training",
    );
    let cancel = browser.find("[data-testid=cancel-sweep]").expect("cancel button");
    browser.click(&cancel);
    browser.wait_true(
        "return document.querySelector('[data-testid=widths-run-status]').innerText.includes('cancelled');",
        Duration::from_secs(5),
        "the cancellation",
    );
    let lines = browser.text("[data-testid=widths-status]");
    assert!(!lines.contains("training…"), "{lines}");
    assert!(lines.contains("n = 1024: not run"), "{lines}");
    let disabled =
        browser.execute("return document.querySelector('[data-testid=cancel-sweep]').disabled;", vec![]);
    assert_eq!(disabled, json!(true));
    // Nothing keeps running: the status stays cancelled.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(status(&browser).contains("cancelled"), "{}", status(&browser));
    browser.screenshot(&screenshot_dir().join("widths_cancelled.png"));
}

#[test]
fn an_oversized_sweep_is_refused_with_a_message() {
    let (_server, browser) = open_page("?view=widths&wmin=32&wmax=4096&seeds=32&steps=100000");
    let run = browser.wait_for("[data-testid=run-sweep]", Duration::from_secs(30));
    let estimate = browser.text("[data-testid=widths-estimate]");
    assert!(estimate.contains("refused") && estimate.contains("FLOP"), "{estimate}");
    browser.click(&run);
    let s = status(&browser);
    assert!(s.contains("refused") && s.contains("FLOP") && s.contains("ntk widths"), "{s}");
    assert_eq!(browser.text("[data-testid=widths-status]").trim(), "", "no point was started");
    // Too much memory per worker: depth 8 at width 4096.
    browser.set_input("#w-depth-value", "8");
    browser.set_input("#w-wmin-value", "4096");
    browser.set_input("#w-seeds-value", "1");
    browser.set_input("#w-steps-value", "1");
    browser.click(&run);
    let s = status(&browser);
    assert!(s.contains("refused") && s.contains("MiB"), "{s}");
    browser.screenshot(&screenshot_dir().join("widths_refused.png"));
}

/// The default sweep (widths 32…1024, 4 seeds, 300 steps, 8 points), timed in the browser
/// (ignored by default: about a minute; run with `--ignored`).
#[test]
#[ignore]
fn the_default_sweep_timed() {
    let (_server, browser) = open_page("?view=widths");
    let run = browser.wait_for("[data-testid=run-sweep]", Duration::from_secs(30));
    browser.click(&run);
    browser.wait_true(
        "return document.querySelector('[data-testid=widths-run-status]').innerText.includes('Sweep done');",
        Duration::from_secs(900),
        "the default sweep to finish",
    );
    eprintln!("default sweep: {} | slopes {:?}", status(&browser), slopes(&browser));
    browser.execute(
        "document.querySelector('[data-testid=widths-plot]').scrollIntoView({block: 'start'});",
        vec![],
    );
    browser.screenshot(&screenshot_dir().join("widths_default.png"));
}
