use e2e::open_page;
use std::time::Duration;

#[test]
#[ignore]
fn probe() {
    let (_s, browser) = open_page("?view=widths");
    browser.set_window_size(390, 844);
    browser.wait_for("[data-testid=run-sweep]", Duration::from_secs(30));
    let out = browser.execute("const w = document.documentElement.clientWidth; return Array.from(document.querySelectorAll('*')).filter(e => e.getBoundingClientRect().right > w + 1).slice(0, 12).map(e => e.tagName + '.' + e.className + '#' + (e.dataset.testid||'') + ' ' + Math.round(e.getBoundingClientRect().right));", vec![]);
    println!("{out}");
    browser.screenshot(std::path::Path::new("/tmp/widths_phone.png"));
}
