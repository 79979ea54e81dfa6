//! The order-and-chaos view as a person uses it: the diagram's depth scales and critical line
//! are `ntk phase`'s numbers for the same grid; clicking just inside the ordered and the chaotic
//! phase (found by the plot's own coordinate transform, not fixed pixels) moves the point, the
//! link and the explorer's σ's, and the readout names the phase.

use std::time::Duration;

use e2e::{ntk_binary, screenshot_dir, Browser, Page};
use serde_json::Value;

const LINK: &str = "?view=phase&act=tanh&sw2=1.5&sb2=0.05&wlo=0.5&whi=3&blo=0&bhi=0.3&grid=12";

fn attribute(browser: &Browser, id: &str, name: &str) -> String {
    browser
        .execute(
            &format!("const c = document.querySelector('[data-testid={id}]'); return c ? (c.getAttribute('{name}') || '') : '';"),
            vec![],
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Clicks the diagram at (σ_w², σ_b²) through the frame the plot reports (CSS pixels of its
/// plotting area and the values at its edges).
fn click_at(browser: &Browser, sw2: f64, sb2: f64) {
    let frame: Value =
        serde_json::from_str(&attribute(browser, "phase-diagram-plot", "data-frame")).expect("data-frame");
    let f = |k: &str, i: usize| frame[k][i].as_f64().unwrap();
    let x = f("px_x", 0) + (sw2 - f("x", 0)) / (f("x", 1) - f("x", 0)) * (f("px_x", 1) - f("px_x", 0));
    let y = f("px_y", 1) - (sb2 - f("y", 0)) / (f("y", 1) - f("y", 0)) * (f("px_y", 1) - f("px_y", 0));
    let size = browser.execute(
        "const c = document.querySelector('[data-testid=phase-diagram-plot]'); return [c.clientWidth, c.clientHeight];",
        vec![],
    );
    let (w, h) = (size[0].as_f64().unwrap(), size[1].as_f64().unwrap());
    let canvas = browser.wait_for("[data-testid=phase-diagram-plot]", Duration::from_secs(5));
    browser.mouse_click(&canvas, 0, ((x - w / 2.0).round() as i64, (y - h / 2.0).round() as i64));
}

fn search(browser: &Browser) -> String {
    browser.execute("return location.search;", vec![]).as_str().unwrap_or_default().to_string()
}

fn value_of(query: &str, key: &str) -> f64 {
    query
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

pub fn the_diagram_is_ntk_phase_and_a_click_moves_the_explorer(page: &Page) {
    let browser = page.open(LINK);
    browser.wait_true(
        "const c = document.querySelector('[data-testid=phase-diagram-plot]'); return !!c && (c.getAttribute('data-grid') || '').length > 10;",
        Duration::from_secs(120),
        "the diagram's grid",
    );
    let page_grid: Value =
        serde_json::from_str(&attribute(browser, "phase-diagram-plot", "data-grid")).unwrap();
    let out = std::process::Command::new(ntk_binary())
        .args(["phase", "--act", "tanh", "--sw2-range", "0.5:3", "--sb2-range", "0:0.3", "--grid", "12x12"])
        .output()
        .expect("ntk runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let native: Value = serde_json::from_slice(&out.stdout).unwrap();
    // ξ_c per cell: the page's worker and the native command run the same code; quadrature and
    // fixed-point iterations in wasm and x86-64 agree to rounding, amplified near the critical
    // line where ξ_c = −1/ln χ diverges: relative 1e-6 (measured below 1e-9 away from it).
    let rows = native["rows"].as_array().unwrap();
    let mut checked = 0;
    for (j, row) in rows.iter().enumerate() {
        for (i, cell) in row["cells"].as_array().unwrap().iter().enumerate() {
            let (a, b) = (cell["xi_c"].as_f64(), page_grid["xi_c"][j][i].as_f64());
            match (a, b) {
                (Some(a), Some(b)) => {
                    assert!(
                        (a - b).abs() <= 1e-6 * a.abs().max(1.0),
                        "cell ({i}, {j}): native {a}, page {b}"
                    );
                    checked += 1;
                }
                (None, None) => {}
                other => panic!("cell ({i}, {j}): {other:?}"),
            }
        }
    }
    assert!(checked > 100, "{checked} finite cells compared");
    let line = |v: &Value| -> Vec<(f64, f64)> {
        v.as_array().unwrap().iter().map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap())).collect()
    };
    let (a, b) = (line(&native["critical_line"]), line(&page_grid["critical_line"]));
    assert_eq!(a.len(), b.len());
    assert!(!a.is_empty(), "tanh has a critical line in this region");
    // The line's σ_w² are Brent roots of χ₁ − 1 (to ~1e-8 where χ₁ is flat: at σ_b² = 0, q* → 0
    // and the root σ_w² = 1 is reached slowly); both sides agree to 1e-6.
    for (p, q) in a.iter().zip(&b) {
        assert!((p.0 - q.0).abs() < 1e-6 && p.1 == q.1, "{p:?} vs {q:?}");
    }

    // Just inside each phase, either side of the critical line at σ_b² = 0.15.
    let critical = a.iter().min_by(|p, q| (p.1 - 0.15).abs().total_cmp(&(q.1 - 0.15).abs())).unwrap();
    for (sw2, phase) in [(critical.0 - 0.25, "ordered"), (critical.0 + 0.25, "chaotic")] {
        click_at(browser, sw2, critical.1);
        browser.wait_true(
            &format!(
                "return document.querySelector('[data-testid=phase-point]').innerText.startsWith('{phase}');"
            ),
            Duration::from_secs(60),
            &format!("the {phase} phase's readout"),
        );
        let q = search(browser);
        let (got_w, got_b) = (value_of(&q, "sw2"), value_of(&q, "sb2"));
        // A click lands within a pixel of the target: a pixel is (3 − 0.5)/~500 ≈ 0.005 in σ_w².
        assert!(
            (got_w - sw2).abs() < 0.03 && (got_b - critical.1).abs() < 0.01,
            "{q} for ({sw2}, {})",
            critical.1
        );
        browser.screenshot(&screenshot_dir().join(format!("phase-{phase}.png")));
        // The explorer took the same σ's and φ.
        let tab = browser.wait_for("[data-view=explorer]", Duration::from_secs(5));
        browser.click(&tab);
        browser.wait_true(
            "return location.search.includes('act=tanh');",
            Duration::from_secs(10),
            "the explorer's link",
        );
        let e = search(browser);
        assert_eq!((value_of(&e, "sw2"), value_of(&e, "sb2")), (got_w, got_b), "explorer {e} vs phase {q}");
        let tab = browser.wait_for("[data-view=phase]", Duration::from_secs(5));
        browser.click(&tab);
    }
    // The point panels drew: correlations converge (ordered: to 1) and the conditioning is finite.
    let series: Vec<Vec<(f64, f64)>> =
        serde_json::from_str(&attribute(browser, "phase-conditioning", "data-series")).unwrap();
    assert!(series.iter().any(|s| s.len() > 5), "conditioning against depth drawn");
}

/// The trainability grid runs on demand in the workers, can be cancelled, and prints the numbers
/// of the `ntk trainability` command the page shows (f32 training in wasm and natively: final
/// losses agree to 2 % or 1e-4, as the widths test's reasoning allows for relaxed-SIMD fused
/// multiply-adds over 400 steps); deep networks train only near the critical line.
pub fn the_trainability_grid_runs_cancels_and_matches_ntk_trainability(page: &Page) {
    let browser = page.open("?view=phase&act=tanh&sw2=1&sb2=0.05&wlo=0.5&whi=3&blo=0&bhi=0.3&grid=12");
    let run = browser.wait_for("[data-testid=phase-run-trainability]", Duration::from_secs(30));
    browser.click(&run);
    browser.wait_true(
        "return document.querySelector('[data-testid=phase-trainability-status]').innerText.includes('training');",
        Duration::from_secs(20),
        "the grid to start",
    );
    let cancel = browser.wait_for("[data-testid=phase-cancel-trainability]", Duration::from_secs(5));
    browser.click(&cancel);
    browser.wait_true(
        "return document.querySelector('[data-testid=phase-trainability-status]').innerText.includes('cancelled');",
        Duration::from_secs(20),
        "the cancel",
    );
    browser.click(&run);
    browser.wait_true(
        "return document.querySelector('[data-testid=phase-trainability]').getAttribute('data-done') === 'true';",
        Duration::from_secs(240),
        "the trainability grid",
    );
    let result: Value =
        serde_json::from_str(&attribute(browser, "phase-trainability", "data-result")).unwrap();
    browser.screenshot(&screenshot_dir().join("phase-trainability.png"));
    let command = browser
        .execute(
            "return Array.from(document.querySelectorAll('[data-testid=phase-commands] code')).map(c => c.innerText).find(t => t.startsWith('ntk trainability'));",
            vec![],
        )
        .as_str()
        .unwrap_or_default()
        .to_string();
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let out = std::process::Command::new(ntk_binary()).args(&args).output().expect("ntk runs");
    assert!(out.status.success(), "{command}: {}", String::from_utf8_lossy(&out.stderr));
    let native: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cols = native["spec"]["depths"].as_array().unwrap().len();
    let mut compared = 0;
    for (k, cell) in native["cells"].as_array().unwrap().iter().enumerate() {
        let (i, j) = (k / cols, k % cols);
        let a = cell["final_loss"]["mean"].as_f64();
        let b = result["final_loss"][i][j].as_f64();
        let depth = cell["depth"].as_f64().unwrap();
        let trainable = native["phase"][i]["trainable_depth"].as_f64().unwrap_or(f64::INFINITY);
        match (a, b) {
            // Within the trainable depth the dynamics are well conditioned: f32 rounding stays
            // small. Beyond it (deep and chaotic) it is amplified — chaos is sensitivity to the
            // smallest difference — so there both must only agree that the network did not train.
            (Some(a), Some(b)) if depth <= trainable => {
                assert!((a - b).abs() <= 2e-2 * a.abs() + 1e-4, "cell ({i}, {j}): native {a}, page {b}");
                compared += 1;
            }
            (Some(a), Some(b)) => {
                let initial = cell["initial_loss"]["mean"].as_f64().unwrap();
                assert_eq!(
                    a / initial > 1e-3,
                    b / initial > 1e-3,
                    "cell ({i}, {j}) beyond 6 ξ_c: native {a}, page {b}"
                );
            }
            (None, None) => {}
            other => panic!("cell ({i}, {j}): {other:?}"),
        }
    }
    assert!(compared >= 15, "{compared} cells compared");
    // Why deep networks stop training: at depth 64 the ordered network (σ_w² = 0.71, 6 ξ_c ≈ 9)
    // keeps most of its loss, the one near the critical line (σ_w² = 1.96, 6 ξ_c ≫ 64) learns.
    let ratio = |i: usize, j: usize| {
        result["final_loss"][i][j].as_f64().unwrap_or(f64::INFINITY)
            / result["initial_loss"][i][j].as_f64().unwrap()
    };
    assert!(ratio(0, 4) > 0.1, "ordered, depth 64: {}", ratio(0, 4));
    assert!(ratio(3, 4) < 1e-3, "near critical, depth 64: {}", ratio(3, 4));
}

/// The explorer's spectrum panel: eigenvalues of the train NTK and the residual left in each
/// mode at the time shown are the numbers of the `ntk spectrum` command it shows (the same
/// eigendecomposition code; 1e-9 relative between wasm and native), and move with the time.
pub fn the_explorer_spectrum_is_ntk_spectrum_at_the_time_shown(page: &Page) {
    let browser = page.open("?k=100");
    browser.wait_true(
        "const c = document.querySelector('[data-testid=spectrum-plot]'); return !!c && c.getAttribute('data-step') === '100';",
        Duration::from_secs(30),
        "the spectrum at k = 100",
    );
    let series: Vec<Vec<(f64, f64)>> =
        serde_json::from_str(&attribute(browser, "spectrum-plot", "data-series")).unwrap();
    let command = browser.text("[data-testid=spectrum-cli]");
    assert!(command.starts_with("ntk spectrum ") && command.ends_with("--steps 100"), "{command}");
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let out = std::process::Command::new(ntk_binary()).args(&args).output().expect("ntk runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let native: Value = serde_json::from_slice(&out.stdout).unwrap();
    let eig: Vec<f64> =
        native["ntk"]["eigenvalues"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let residual: Vec<f64> = native["times"][0]["ntk"]["residual"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) + 1e-300;
    for (i, (&(x, y), &e)) in series[0].iter().zip(&eig).enumerate() {
        assert_eq!(x, (i + 1) as f64);
        assert!(close(y, e.abs()), "λ_{i}: page {y}, ntk {e}");
    }
    assert_eq!(series[3].len(), residual.len());
    for (i, (&(_, y), &r)) in series[3].iter().zip(&residual).enumerate() {
        assert!(close(y, r.abs()) || r.abs() < 1e-12 * eig[0], "residual {i}: page {y}, ntk {r}");
    }
    let badge = browser.text("[data-testid=spectrum-badge]");
    assert!(badge.contains("cond Θ(X, X)"), "{badge}");
    browser.execute("document.querySelector('[data-testid=spectrum-plot]').scrollIntoView();", vec![]);
    browser.screenshot(&screenshot_dir().join("explorer-spectrum.png"));
}
