//! The catapult view as a person uses it: the phase is named as the learning-rate slider
//! moves, the real networks train in a worker and land in the same phase, the state is in the
//! link, and the explorer's learning-rate slider offers the view past η_max.

use std::time::Duration;

use e2e::{screenshot_dir, Page};

const NETWORKS_DONE: &str =
    "return document.querySelector('[data-testid=catapult-status]').innerText.startsWith('Network (');";

pub fn the_phase_follows_the_learning_rate_and_networks_agree(page: &Page) {
    let browser = page.open("?view=catapult&el0=3&width=512&members=3&steps=80");
    browser.wait_for("[data-testid=catapult-plot]", Duration::from_secs(30));
    let phase = browser.text("[data-testid=phase]");
    assert!(phase.starts_with("Two-scalar model: catapult"), "{phase}");
    browser.wait_true(NETWORKS_DONE, Duration::from_secs(120), "the networks at ηλ₀ = 3");
    let status = browser.text("[data-testid=catapult-status]");
    assert!(status.contains("catapult (predicted from ηλ₀: catapult)"), "{status}");
    assert!(status.contains("3 small networks"), "{status}");
    browser.screenshot(&screenshot_dir().join("catapult_3.png"));

    // Lazy and divergent settings, by slider position (0.05 … 6 over 0 … 1000).
    browser.set_input("#c-el0-value", "1.5");
    assert!(browser.text("[data-testid=phase]").starts_with("Two-scalar model: lazy"));
    browser.set_input("#c-el0-value", "4.4");
    let phase = browser.text("[data-testid=phase]");
    assert!(
        phase.starts_with("Two-scalar model: divergent") && phase.contains("diverged at step"),
        "{phase}"
    );
    let url = browser.execute("return location.search;", vec![]);
    assert!(
        url.as_str().unwrap().contains("view=catapult") && url.as_str().unwrap().contains("el0=4.4"),
        "{url}"
    );
    browser.wait_true(NETWORKS_DONE, Duration::from_secs(120), "the networks at ηλ₀ = 4.4");
    let status = browser.text("[data-testid=catapult-status]");
    assert!(status.contains("divergent") && status.contains("diverged at step"), "{status}");
    browser.screenshot(&screenshot_dir().join("catapult_divergent.png"));
}

pub fn the_explorer_offers_the_catapult_view_past_eta_max(page: &Page) {
    let browser = page.open("?width=32&members=2&steps=100&lr=3");
    let offer = browser.wait_for("[data-testid=catapult-offer] button", Duration::from_secs(30));
    let text = browser.text("[data-testid=catapult-offer] button");
    assert!(text.contains("ηλ₀ ="), "{text}");
    browser.click(&offer);
    browser.wait_true(
        "return location.search.includes('view=catapult');",
        Duration::from_secs(10),
        "the catapult view to open",
    );
    let shown = browser.execute(
        "return getComputedStyle(document.querySelector('[data-testid=catapult]').parentElement).display !== 'none';",
        vec![],
    );
    assert_eq!(shown, serde_json::json!(true));
    browser.wait_true(NETWORKS_DONE, Duration::from_secs(120), "the networks at the explorer's setting");
    // Back to the explorer: its state is still there.
    let tab = browser.find_with_text(".tabs button", "Explorer: Figure 2, live").expect("explorer tab");
    browser.click(&tab);
    let url = browser.execute("return location.search;", vec![]);
    assert!(url.as_str().unwrap().contains("lr=3"), "{url}");
}

/// The wide network's Taylor models as a person turns them on at ηλ₀ = 3: the status names the
/// linearization divergent (with its step) and the quadratic model catapulting with the
/// network; the curves drawn are those of `ntk catapult --network --quadratic` with the command
/// shown; the link carries `quad=1` and restores it.
pub fn the_quadratic_model_catapults_beside_the_network(page: &Page) {
    let browser = page.open("?view=catapult&el0=3&width=512&members=0&steps=100");
    browser.wait_true(NETWORKS_DONE, Duration::from_secs(120), "the network at ηλ₀ = 3");
    browser.execute(
        "document.querySelector('[data-testid=catapult-quad-on]').scrollIntoView({block: 'center'});",
        vec![],
    );
    let tick = browser.wait_for("[data-testid=catapult-quad-on]", Duration::from_secs(5));
    browser.click(&tick);
    browser.wait_true(
        "return location.search.includes('quad=1');",
        Duration::from_secs(10),
        "quad=1 in the link",
    );
    browser.wait_true(
        "return document.querySelector('[data-testid=catapult-status]').innerText.includes('quadratic model:');",
        Duration::from_secs(120),
        "the network with its Taylor models",
    );
    let status = browser.text("[data-testid=catapult-status]");
    assert!(status.contains("linearization: divergent, diverged at step"), "{status}");
    assert!(status.contains("quadratic model: catapult"), "{status}");
    browser.screenshot(&screenshot_dir().join("catapult_quadratic.png"));

    let drawn = browser.execute(
        "return JSON.parse(document.querySelector('[data-testid=catapult-plot]').getAttribute('data-trajectories') || '[]');",
        vec![],
    );
    let by_label = |label: &str| drawn.as_array().unwrap().iter().find(|t| t["label"] == label).cloned();
    let quad = by_label("its quadratic model").expect("the quadratic model drawn");
    let lin = by_label("its linearization").expect("the linearization drawn");

    let command = browser.text("[data-testid=catapult-network-cli]");
    assert!(command.starts_with("ntk catapult --network") && command.ends_with("--quadratic"), "{command}");
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let out = std::process::Command::new(e2e::ntk_binary()).args(&args).output().expect("ntk runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let native: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let floats = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
    };
    // Loss relative to its start, page against CLI: the same f64 network and models on both
    // sides; the catapult amplifies rounding by |1 − ηλ₀|ᵗ = 2ᵗ while the loss grows (≈ 10
    // steps, 10³) and λ_max comes from an iterative eigen-solver: measured 7.8e-15, asserted
    // 1e-8 relative.
    let (nq, page_q) = (floats(&native["quadratic"]["loss"]), floats(&quad["loss_ratio"]));
    assert_eq!(nq.len(), page_q.len(), "the quadratic model ran to the end on both");
    let mut worst = 0.0f64;
    for (a, b) in nq.iter().map(|l| l / nq[0]).zip(&page_q) {
        worst = worst.max((a - b).abs() / a.abs().max(b.abs()).max(1e-300));
    }
    eprintln!("catapult page vs ntk catapult --quadratic: largest relative loss difference {worst:.2e}");
    assert!(worst < 1e-8, "page and CLI differ by {worst}");
    let peak = page_q.iter().copied().fold(0.0, f64::max);
    assert!(peak > 10.0 && *page_q.last().unwrap() < 0.1, "no catapult drawn: peak {peak}");
    let k = native["linearized"]["diverged_at"].as_u64().expect("the linearization diverges natively");
    assert_eq!(floats(&lin["loss_ratio"]).len() as u64, k, "the linearization drawn to its divergence");
    assert!(status.contains(&format!("linearization: divergent, diverged at step {k}")), "{status}");

    // The link restores the box and the curves.
    let query = browser.execute("return location.search;", vec![]).as_str().unwrap_or_default().to_string();
    let browser = page.open(&query);
    browser.wait_true(
        "return document.querySelector('[data-testid=catapult-quad-on]').checked;",
        Duration::from_secs(10),
        "the box ticked from the link",
    );
    browser.wait_true(
        "return document.querySelector('[data-testid=catapult-status]').innerText.includes('quadratic model: catapult');",
        Duration::from_secs(120),
        "the Taylor models from the link",
    );
}
