use std::time::Duration;
use e2e::open_page;

#[test]
#[ignore]
fn catapult_link() {
    let (_s, browser) = open_page("?view=catapult&el0=1.5&n=1000&l0=2&f0=3.4&steps=100&act=tanh&width=21&sw2=2&sb2=1.36&points=13&members=4&mwidth=32&seed=4422534834077827");
    browser.wait_for("[data-testid=catapult-status]", Duration::from_secs(30));
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(500));
        println!("{} | {}", browser.text("[data-testid=catapult-status]"), browser.text("[data-testid=catapult-notes]"));
    }
    println!("{:?}", browser.console_errors());
}
