//! The built page mounts and shows its shell: title, tagline and the layout regions.

use std::time::Duration;

use e2e::{screenshot_dir, Page};

pub fn page_mounts_and_shows_its_shell(page: &Page) {
    let browser = page.open("");
    browser.wait_for("[data-testid=app]", Duration::from_secs(30));
    assert_eq!(browser.text("h1"), "Wide networks explorer");
    assert!(
        browser.text("[data-testid=tagline]").contains("NTK"),
        "tagline: {}",
        browser.text("[data-testid=tagline]")
    );
    for region in ["controls", "main-plot", "side-panels"] {
        assert!(browser.find(&format!("[data-testid={region}]")).is_some(), "region {region} missing");
    }
    let title = browser.execute("return document.title;", vec![]);
    assert_eq!(title, "Wide networks explorer");
    browser.screenshot(&screenshot_dir().join("page_shell.png"));
}
