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
