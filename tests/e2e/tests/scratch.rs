use e2e::open_page;
use std::time::Duration;

#[test]
#[ignore]
fn follow_toggle() {
    let (_s, browser) = open_page("?width=32&members=4&steps=200");
    browser.wait_for("[data-testid=function-plot]", Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(3));
    let _ = browser.console_errors();
    for seq in [vec!["data"], vec!["follow"]] {
        let r = browser.execute("Error.stackTraceLimit = 60; const seq = arguments[0]; const out = [];
            for (const a of seq) {
              if (a === 'follow') document.getElementById('follow').click();
              if (a === 'play') document.querySelector('.time button').click();
              if (a === 'preset') document.querySelectorAll('.presets button')[1].click();
              if (a === 'data') { const s = document.getElementById('data'); s.value = 'xor'; s.dispatchEvent(new Event('change', {bubbles: true})); }
              if (a === 'tab') document.querySelectorAll('.tabs button')[1].click();
            } return 1;", vec![serde_json::json!(seq)]);
        std::thread::sleep(Duration::from_millis(500));
        let e = browser.console_errors();
        println!("{seq:?} -> {r} errors {}", e.len());
        if !e.is_empty() {
            println!("{}", &e[0][..e[0].len().min(300)]);
            break;
        }
    }
}
