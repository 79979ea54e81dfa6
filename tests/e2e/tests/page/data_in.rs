//! The user's own data, results and embeds as a person uses them: a pasted CSV table drawn
//! (its points read back from the plot), a bad one refused with its line and column while the
//! data stays, a large one kept in the browser with a note where it is missing; `ntk ensemble`
//! and `ntk widths` files opened and drawn, damaged reports refused with the page unchanged; an
//! embed link in a frame of another page, hiding what it says and following the frame's size.

use std::path::PathBuf;
use std::time::Duration;

use e2e::{ntk_binary, screenshot_dir, Browser, Page};
use serde_json::{json, Value};

const TRAINED: &str =
    "return document.querySelector('[data-testid=run-status]').innerText.includes('networks trained');";

/// The training points the main plot last drew.
fn drawn_train(browser: &Browser) -> Value {
    let text = browser.execute(
        "return document.querySelector('[data-testid=function-plot]').dataset.train || '[]';",
        vec![],
    );
    serde_json::from_str(text.as_str().unwrap_or("[]")).unwrap()
}

fn search(browser: &Browser) -> String {
    browser.execute("return location.search;", vec![]).as_str().unwrap_or_default().to_string()
}

/// Pastes `csv` into the table field and presses "Use this table".
fn paste_table(browser: &Browser, csv: &str) {
    browser.set_input("#csv-text", csv);
    let apply = browser.find("[data-testid=csv-apply]").expect("the apply button");
    browser.click(&apply);
}

fn wait_drawn(browser: &Browser, points: &Value, what: &str) {
    browser.wait_true(
        &format!(
            "return document.querySelector('[data-testid=function-plot]').dataset.train === {};",
            json!(serde_json::to_string(points).unwrap())
        ),
        Duration::from_secs(30),
        what,
    );
}

pub fn a_pasted_table_is_drawn_and_a_bad_one_refused(page: &Page) {
    let browser = page.open("?width=32&members=4&steps=300");
    browser.wait_for("[data-testid=function-plot]", Duration::from_secs(30));
    browser.set_input("#data", "table");
    browser.wait_for("#csv-text", Duration::from_secs(10));
    // The table starts from the points on screen (the sine set's, rounded to 3 decimals).
    let start = browser.execute("return document.getElementById('csv-text').value;", vec![]);
    assert_eq!(start.as_str().unwrap().lines().count(), 5, "{start}");
    // A header, a comment, a Unicode minus and a no-break space: what a spreadsheet pastes.
    paste_table(browser, "x,y\n# my measurements\n−2,0.4\n-0.5,\u{a0}-0.1\n1,0.8\n2.5,0.6\n");
    let expected = json!([[-2.0, 0.4], [-0.5, -0.1], [1.0, 0.8], [2.5, 0.6]]);
    wait_drawn(browser, &expected, "the pasted points drawn");
    let url = search(browser);
    assert!(url.contains("data=table") && url.contains("csv=x%2Cy%0A-2%2C0.4%0A"), "{url}");
    assert!(
        browser.text("[data-testid=csv-status]").contains("4 points, 1-D"),
        "{}",
        browser.text("[data-testid=csv-status]")
    );
    browser.wait_true(TRAINED, Duration::from_secs(120), "the ensemble on the table");
    browser.wait_true(
        "return document.querySelector('[data-testid=function-plot]').dataset.ensembleStep === '300';",
        Duration::from_secs(10),
        "the ensemble drawn",
    );
    browser.screenshot(&screenshot_dir().join("data_in_table.png"));

    // A bad table: the message names line and column, the points and the link stay.
    paste_table(browser, "x,y\n1,2\n3,\n");
    let error = browser.wait_for("[data-testid=csv-error]", Duration::from_secs(10));
    let _ = error;
    let message = browser.text("[data-testid=csv-error]");
    assert!(message.contains("line 3, column 2") && message.contains("missing value"), "{message}");
    assert_eq!(drawn_train(browser), expected);
    assert_eq!(search(browser), url, "the link is unchanged");
    browser.screenshot(&screenshot_dir().join("data_in_bad_table.png"));

    // The link alone reproduces the table.
    let link = format!("{}/{url}", page.url());
    browser.goto(&link);
    wait_drawn(browser, &expected, "the table from the link");
}

pub fn a_large_table_is_kept_in_the_browser_and_missed_elsewhere(page: &Page) {
    let browser = page.open("?width=16&members=2&steps=50");
    browser.wait_for("[data-testid=function-plot]", Duration::from_secs(30));
    browser.set_input("#data", "table");
    browser.wait_for("#csv-text", Duration::from_secs(10));
    let rows: Vec<(f64, f64)> = (0..120).map(|i| (-3.0 + i as f64 * 0.05, (i as f64 * 0.05).cos())).collect();
    let csv: String = rows.iter().map(|(x, y)| format!("{x},{y}\n")).collect();
    paste_table(browser, &csv);
    browser.wait_true(
        "return location.search.includes('csvh=');",
        Duration::from_secs(10),
        "the table's hash in the link",
    );
    let status = browser.text("[data-testid=csv-status]");
    assert!(status.contains("stored in this browser, not in the link"), "{status}");
    let expected: Value = rows.iter().map(|(x, y)| json!([x, y])).collect();
    wait_drawn(browser, &expected, "the large table drawn");
    let url = search(browser);
    assert!(!url.contains("csv="), "{url}");
    // The same browser opens the link; a fresh one (storage cleared) says why it cannot.
    browser.goto(&format!("{}/{url}", page.url()));
    wait_drawn(browser, &expected, "the stored table from the link");
    let browser = page.open(&url);
    browser.wait_for("[data-testid=function-plot]", Duration::from_secs(30));
    let notes = browser.text("[data-testid=notes]");
    assert!(
        notes.contains("not stored in this browser") && notes.contains("showing the 'sin' set"),
        "{notes}"
    );
    browser.screenshot(&screenshot_dir().join("data_in_missing_table.png"));
}

pub fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../crates/ntk-cli/examples").join(name)
}

/// Runs `ntk` with `args` and writes its standard output to `file` in the temporary directory.
pub fn ntk_to_file(args: &[&str], file: &str) -> PathBuf {
    let out = std::process::Command::new(ntk_binary()).args(args).output().expect("ntk runs");
    assert!(out.status.success(), "ntk {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let path = std::env::temp_dir().join(format!("e2e-{}-{file}", std::process::id()));
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

pub fn result_files_open_in_their_views(page: &Page) {
    let train = example("cookbook_train.csv");
    let test = example("cookbook_test.csv");
    let (train, test) = (train.to_str().unwrap(), test.to_str().unwrap());
    // A sharded run, merged as on a cluster (docs/cluster.md): two parts, then `ntk merge`.
    let job = [
        "ensemble",
        "--act",
        "erf",
        "--depth",
        "2",
        "--sw2",
        "2.25",
        "--sb2",
        "0.0025",
        "--width",
        "48",
        "--members",
        "6",
        "--lr",
        "0.1",
        "--steps",
        "400",
        "--train",
        train,
        "--test",
        test,
        "--test-has-y",
        "--seed",
        "3",
    ];
    let parts: Vec<PathBuf> = (0..2)
        .map(|i| {
            let part =
                std::env::temp_dir().join(format!("e2e-{}-ensemble-part-{i}.json", std::process::id()));
            let shard = format!("{i}/2");
            let mut args = job.to_vec();
            args.extend(["--shard", shard.as_str(), "--partial", part.to_str().unwrap()]);
            let out = std::process::Command::new(ntk_binary()).args(&args).output().expect("ntk runs");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            part
        })
        .collect();
    let ensemble =
        ntk_to_file(&["merge", parts[0].to_str().unwrap(), parts[1].to_str().unwrap()], "ensemble.json");
    let report: Value = serde_json::from_slice(&std::fs::read(&ensemble).unwrap()).unwrap();
    // Opened from the width view: the page shows it in the explorer.
    let browser = page.open("?view=widths");
    browser.wait_for("[data-testid=w-open-results]", Duration::from_secs(30));
    browser.choose_file("[data-testid=w-open-results]", &ensemble);
    browser.wait_true(
        "return document.querySelector('[data-testid=run-status]').innerText.includes('opened from');",
        Duration::from_secs(30),
        "the opened run's status",
    );
    let status = browser.text("[data-testid=run-status]");
    assert!(status.contains("6 members of width 48, 400 steps"), "{status}");
    let url = search(browser);
    for needle in ["width=48", "members=6", "steps=400", "seed=3", "data=table", "act=erf"] {
        assert!(url.contains(needle), "{needle} not in {url}");
    }
    assert!(!url.contains("view="), "the explorer is shown: {url}");
    // Drawn: the file's last checkpoint, its ensemble mean to the last bit.
    browser.wait_true(
        "return document.querySelector('[data-testid=function-plot]').dataset.ensembleStep === '400';",
        Duration::from_secs(30),
        "the file's last checkpoint drawn",
    );
    let drawn = browser.execute(
        "return JSON.parse(document.querySelector('[data-testid=function-plot]').dataset.netMean);",
        vec![],
    );
    let last = report["checkpoints"].as_array().unwrap().last().unwrap();
    assert_eq!(drawn, last["nn"]["mean"], "the drawn ensemble mean is the file's");
    let train_drawn = drawn_train(browser);
    let x_train = &report["spec"]["x_train"];
    assert_eq!(train_drawn.as_array().unwrap().len(), x_train.as_array().unwrap().len());
    // Nothing trains: the run stays the file's.
    std::thread::sleep(Duration::from_millis(500));
    assert!(browser.text("[data-testid=run-status]").contains("opened from"));
    browser.screenshot(&screenshot_dir().join("data_in_opened_ensemble.png"));

    // A width sweep opened in the explorer goes to the width view, with its slopes.
    let widths = ntk_to_file(
        &[
            "widths",
            "--act",
            "erf",
            "--min-width",
            "32",
            "--max-width",
            "128",
            "--seeds",
            "2",
            "--steps",
            "30",
        ],
        "widths.json",
    );
    let sweep: Value = serde_json::from_slice(&std::fs::read(&widths).unwrap()).unwrap();
    browser.choose_file("[data-testid=open-results]", &widths);
    browser.wait_true(
        "return document.querySelector('[data-testid=widths-run-status]').innerText.includes('Opened from');",
        Duration::from_secs(30),
        "the opened sweep's status",
    );
    assert!(search(browser).contains("view=widths"));
    let slope = sweep["series"][0]["slopes"]["ntk_init_error"]["slope"].as_f64().unwrap();
    let table = browser.text("[data-testid=widths-slopes]");
    let shown = if slope < 0.0 { format!("−{:.2}", -slope) } else { format!("{slope:.2}") };
    assert!(table.contains(&shown), "slope {shown} in {table}");
    // The page's download is the same self-describing report: it reopens.
    let text = browser.execute_async(
        "const done = arguments[arguments.length - 1];
         fetch(document.querySelector('[data-testid=widths-json]').href)
           .then(r => r.text()).then(done, e => done('error: ' + e));",
        vec![],
    );
    let downloaded: Value = serde_json::from_str(text.as_str().unwrap()).unwrap();
    assert_eq!(downloaded["kind"], json!("widths"));
    assert_eq!(downloaded["spec_hash"], sweep["spec_hash"]);
    assert_eq!(downloaded["series"], sweep["series"]);
    browser.screenshot(&screenshot_dir().join("data_in_opened_widths.png"));

    // A part of a sharded run is refused with what to do.
    let part_path = std::env::temp_dir().join(format!("e2e-{}-part.json", std::process::id()));
    let out = std::process::Command::new(ntk_binary())
        .args([
            "widths",
            "--act",
            "erf",
            "--min-width",
            "32",
            "--max-width",
            "64",
            "--seeds",
            "1",
            "--steps",
            "5",
        ])
        .args(["--shard", "0/2", "--partial"])
        .arg(&part_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    browser.choose_file("[data-testid=w-open-results]", &part_path);
    let refusal = browser.wait_for("[data-testid=w-open-results-error]", Duration::from_secs(10));
    let _ = refusal;
    let message = browser.text("[data-testid=w-open-results-error]");
    assert!(message.contains("one part of a sharded run") && message.contains("ntk merge"), "{message}");
}

/// The damaged reports, opened over a run opened from a good one: a report cut short
/// (half its bytes, as a full disk leaves it) and a report with halved arrays (half the
/// checkpoints, half of each mean and variance, spec and hash untouched). Each is refused with
/// a message naming the file and what is wrong, and the page keeps what it showed: the run's
/// status, the link, the time and the drawn ensemble mean.
pub fn damaged_reports_are_refused_and_the_page_keeps_what_it_showed(page: &Page) {
    let train = example("cookbook_train.csv");
    let test = example("cookbook_test.csv");
    let good = ntk_to_file(
        &[
            "ensemble",
            "--act",
            "erf",
            "--depth",
            "2",
            "--sw2",
            "2.25",
            "--sb2",
            "0.0025",
            "--width",
            "16",
            "--members",
            "4",
            "--lr",
            "0.1",
            "--steps",
            "100",
            "--train",
            train.to_str().unwrap(),
            "--test",
            test.to_str().unwrap(),
            "--test-has-y",
            "--seed",
            "5",
        ],
        "good-report.json",
    );
    let text = std::fs::read_to_string(&good).unwrap();
    let report: Value = serde_json::from_str(&text).unwrap();
    let n = report["checkpoints"].as_array().unwrap().len();
    let mut cut = text.len() / 2;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let pid = std::process::id();
    let truncated = std::env::temp_dir().join(format!("e2e-{pid}-truncated-report.json"));
    std::fs::write(&truncated, &text[..cut]).unwrap();
    let mut halved = report.clone();
    let checkpoints = halved["checkpoints"].as_array_mut().unwrap();
    checkpoints.truncate(n / 2);
    for c in checkpoints.iter_mut() {
        for model in ["nn", "lin"] {
            for field in ["mean", "var"] {
                let a = c[model][field].as_array_mut().unwrap();
                a.truncate(a.len() / 2);
            }
        }
    }
    let halved_path = std::env::temp_dir().join(format!("e2e-{pid}-halved-report.json"));
    std::fs::write(&halved_path, serde_json::to_string(&halved).unwrap()).unwrap();

    let browser = page.open("");
    browser.wait_for("[data-testid=open-results]", Duration::from_secs(30));
    browser.choose_file("[data-testid=open-results]", &good);
    browser.wait_true(
        "return document.querySelector('[data-testid=function-plot]').dataset.ensembleStep === '100'
            && document.querySelector('[data-testid=run-status]').innerText.includes('opened from');",
        Duration::from_secs(30),
        "the good report opened and drawn",
    );
    let shown = || {
        browser.execute(
            "const plot = document.querySelector('[data-testid=function-plot]');
             return {status: document.querySelector('[data-testid=run-status]').innerText,
                     url: location.search, step: plot.dataset.ensembleStep, mean: plot.dataset.netMean,
                     time: (document.querySelector('[data-testid=time-value]') || {}).innerText || null};",
            vec![],
        )
    };
    let before = shown();
    let expected = [
        (&truncated, "not a result file of this program".to_string()),
        (
            &halved_path,
            format!(
                "checkpoints: {} entries, but the spec's 100 steps in {} log-spaced checkpoints imply {n}",
                n / 2,
                report["spec"]["checkpoints"]
            ),
        ),
    ];
    for (path, says) in expected {
        let name = path.file_name().unwrap().to_str().unwrap();
        browser.choose_file("[data-testid=open-results]", path);
        browser.wait_true(
            &format!(
                "const e = document.querySelector('[data-testid=open-results-error]');
                 return !!e && e.innerText.includes('{name}');"
            ),
            Duration::from_secs(10),
            "the refusal",
        );
        let message = browser.text("[data-testid=open-results-error]");
        assert!(message.starts_with(&format!("{name}: ")) && message.contains(&says), "{name}: {message}");
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(shown(), before, "{name} was refused, and the page kept what it showed");
    }
    browser.screenshot(&screenshot_dir().join("data_in_damaged_report_refused.png"));
}

pub fn an_embed_in_a_frame_shows_the_figure_alone(page: &Page) {
    let browser = page.open("?width=32&members=4&steps=200");
    browser.wait_for("[data-testid=embed-menu]", Duration::from_secs(30));
    let summary = browser.find("[data-testid=embed-menu] summary").unwrap();
    browser.click(&summary);
    let copy = browser.wait_for("[data-testid=copy-embed]", Duration::from_secs(10));
    browser.click(&copy);
    browser.wait_true(
        "return document.querySelector('[data-testid=embed-status]').innerText.length > 0
            && !document.querySelector('[data-testid=embed-status]').innerText.includes('Copying');",
        Duration::from_secs(10),
        "the copy to finish or fall back",
    );
    let code = browser.execute("return document.querySelector('[data-testid=embed-code]').value;", vec![]);
    let code = code.as_str().unwrap().to_string();
    assert!(code.starts_with(&format!("<iframe src=\"{}/?", page.url())), "{code}");
    for key in ["width=32&amp;", "members=4&amp;", "steps=200&amp;"] {
        assert!(code.contains(key), "{key} in {code}");
    }
    assert!(code.contains("hide=header%2Ctabs%2Ccontrols%2Cexplain"), "{code}");
    assert!(code.contains("width=\"820\" height=\"560\""), "{code}");
    // A course page around the snippet, the frame narrower than the snippet says. The host is
    // a page of the same server (a blank page counts as public, and Chromium blocks its frames
    // from loading 127.0.0.1).
    browser.goto(&format!("{}/course-page", page.url()));
    browser.execute(
        "document.body.innerHTML = '<h1>Lecture 7</h1><div id=host style=\"width: 620px\">' + arguments[0] + '</div>';",
        vec![json!(code)],
    );
    let frame = browser.wait_for("iframe", Duration::from_secs(10));
    browser.switch_to_frame(&frame);
    browser.wait_for("[data-testid=function-plot]", Duration::from_secs(30));
    let hidden = browser.execute(
        "const shown = s => { const e = document.querySelector(s); return !!e && getComputedStyle(e).display !== 'none'; };
         return [shown('[data-testid=header]'), shown('.tabs'), shown('[data-testid=controls]'),
                 shown('[data-testid=explain]'), shown('[data-testid=function-plot]'), shown('[data-testid=loss-plot]')];",
        vec![],
    );
    assert_eq!(
        hidden,
        json!([false, false, false, false, true, true]),
        "header, tabs, controls, explain hidden"
    );
    browser.wait_true(
        "return document.querySelector('[data-testid=function-plot]').dataset.ensembleStep === '200';",
        Duration::from_secs(120),
        "the ensemble drawn in the frame",
    );
    let fit = |b: &Browser| {
        b.execute(
            "const c = document.querySelector('[data-testid=function-plot]');
             return [document.documentElement.clientWidth, document.documentElement.scrollWidth,
                     c.clientWidth, Math.round(c.width / devicePixelRatio), location.search];",
            vec![],
        )
    };
    let f = fit(browser);
    assert!(f[0].as_u64().unwrap() <= 620, "the frame is the host's width: {f}");
    assert_eq!(f[0], f[1], "nothing wider than the frame: {f}");
    assert_eq!(f[2], f[3], "the plot's pixels are its size in the frame: {f}");
    assert!(
        f[4].as_str().unwrap().contains("hide=header%2Ctabs%2Ccontrols%2Cexplain"),
        "the frame's URL keeps hide: {f}"
    );
    browser.switch_to_parent_frame();
    browser.screenshot(&screenshot_dir().join("data_in_embed.png"));
    // The course page narrows the frame: the plot follows.
    browser.execute("document.getElementById('host').style.width = '420px';", vec![]);
    browser.switch_to_frame(&frame);
    browser.wait_true(
        "const c = document.querySelector('[data-testid=function-plot]');
         return c.clientWidth < 420 && Math.round(c.width / devicePixelRatio) === c.clientWidth;",
        Duration::from_secs(10),
        "the plot redrawn at the frame's new width",
    );
    browser.switch_to_parent_frame();
    browser.screenshot(&screenshot_dir().join("data_in_embed_narrow.png"));
}

/// A target typed as a formula: the link's formula is the data set (training points on its
/// curve without noise), a bad one is explained under its box and the previous one stays.
pub fn a_typed_formula_is_the_target(page: &Page) {
    let browser = page.open("?data=formula&fx=x%5E2%2F4-1&noise=0&width=32&members=2&steps=100");
    browser.wait_for("#fx", Duration::from_secs(30));
    assert_eq!(browser.execute("return document.getElementById('fx').value;", vec![]), json!("x^2/4-1"));
    browser.wait_true(
        "return document.querySelector('[data-testid=run-status]').innerText.includes('networks trained');",
        Duration::from_secs(60),
        "the run on the formula's data",
    );
    browser.set_input("#fx", "x^");
    browser.wait_true(
        "return document.getElementById('fx-problems').innerText.includes('cannot parse');",
        Duration::from_secs(10),
        "the reason under the box",
    );
    assert!(
        search(browser).contains("fx=x%5E2%2F4-1"),
        "the link keeps the previous formula: {}",
        search(browser)
    );
    browser.screenshot(&screenshot_dir().join("data_in_formula.png"));
}
