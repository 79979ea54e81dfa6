//! The user's own data in the browser: the link-or-storage threshold with this browser's
//! storage, the table editor mounted on a page, result files opened in the explorer and the
//! width view, the fuzz corpus of damaged result files and tables through the page's readers,
//! and the embed code. (Reading tables — good, bad with line and column, huge, Unicode, missing
//! values, the files in `tests/data/csv/` — and the problem a table gives are tested natively,
//! in `src/params/table.rs` and `src/problem.rs`.)

#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use wide_explorer::params::explorer::{DataChoice, ExplorerParams};
use wide_explorer::params::table::{text_hash, UserTable, MAX_LINK_TABLE_CHARS};
use wide_explorer::params::url::{decode, encode, RESERVED};
use wide_explorer::problem::problem;
use wide_explorer::storage::{TableStore, BROWSER_TABLES};

wasm_bindgen_test_configure!(run_in_browser);

fn clear_storage() {
    web_sys::window().unwrap().local_storage().unwrap().unwrap().clear().unwrap();
}

/// A 1-D table of `n` points whose coordinates need `digits` decimals.
fn table_text(n: usize, digits: usize) -> String {
    (0..n).map(|i| format!("{:.digits$},{:.digits$}\n", i as f64 / 7.0, (i as f64).sin())).collect()
}

/// The explorer showing `text` as its table (through the link field, as a link does).
fn with_table(text: &str) -> ExplorerParams {
    let mut p = ExplorerParams::default();
    let notes = (ExplorerParams::TABLE.set)(
        &mut p,
        wide_explorer::params::Value::Text(text.to_string()),
        &BROWSER_TABLES,
    );
    assert!(notes.is_empty(), "{notes:?}");
    p.data.set = DataChoice::Table;
    p
}

#[wasm_bindgen_test]
fn small_tables_live_in_the_link_larger_ones_in_storage() {
    clear_storage();
    // Around the threshold: a table is in the link exactly when its text (without the last
    // line break) has at most MAX_LINK_TABLE_CHARS characters.
    let mut seen = (false, false);
    for n in 60..140 {
        let t = UserTable::from_csv(&table_text(n, 6)).unwrap();
        let chars = t.text().trim_end().chars().count();
        assert_eq!(t.link_text().is_some(), chars <= MAX_LINK_TABLE_CHARS, "{n} rows, {chars} characters");
        if chars <= MAX_LINK_TABLE_CHARS {
            seen.0 = true
        } else {
            seen.1 = true
        }
    }
    assert_eq!(seen, (true, true), "the rows span the threshold");
    // Small: `csv=` in the link, nothing stored.
    let small = with_table("x,y\n1,2\n3,4\n");
    let query = encode(&small);
    assert!(query.contains("csv=") && !query.contains("csvh="), "{query}");
    let (back, notes) = decode::<ExplorerParams>(&query, RESERVED, &BROWSER_TABLES);
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(back, small);
    assert!(BROWSER_TABLES.stored_hashes().is_empty());
    // Large: the hash in the link, the text stored under it.
    let big = UserTable::from_csv(&table_text(200, 6)).unwrap();
    assert!(big.link_text().is_none());
    let mut p = ExplorerParams::default();
    p.data.table = Some(big.clone());
    p.data.set = DataChoice::Table;
    wide_explorer::components::data_input::keep_table(&big).unwrap();
    let query = encode(&p);
    assert!(query.contains(&format!("csvh={}", big.hash())) && !query.contains("csv="), "{query}");
    assert_eq!(big.hash(), text_hash(big.text()));
    let (back, notes) = decode::<ExplorerParams>(&query, RESERVED, &BROWSER_TABLES);
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(back, p);
    // Another browser (storage empty): a clear note, and the sine set instead.
    clear_storage();
    let (back, notes) = decode::<ExplorerParams>(&query, RESERVED, &BROWSER_TABLES);
    assert_eq!(back.data.set, DataChoice::Sin);
    assert!(back.data.table.is_none());
    let text: Vec<String> = notes.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 2, "{text:?}");
    assert!(
        text[0].contains("not stored in this browser") && text[0].contains("paste or upload it again"),
        "{text:?}"
    );
    assert!(text[1].contains("showing the 'sin' set"), "{text:?}");
    // A damaged stored table is refused by its hash.
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.set_item(&format!("wide-explorer/table/{}", big.hash()), "1,2\n").unwrap();
    let (_, notes) = decode::<ExplorerParams>(&query, RESERVED, &BROWSER_TABLES);
    assert!(notes[0].to_string().contains("damaged"), "{notes:?}");
    clear_storage();
}

/// Resolves after the browser's event loop has turned (effects and futures ran).
async fn tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 20)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
async fn the_table_editor_shows_errors_under_the_field_and_keeps_the_data() {
    use wide_explorer::components::data_input::TableInput;
    clear_storage();
    let doc = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = doc.create_element("div").unwrap().dyn_into().unwrap();
    doc.body().unwrap().append_child(&host).unwrap();
    let params = RwSignal::new(with_table("x,y\n1,2\n3,4\n"));
    let handle = leptos::mount::mount_to(host.clone(), move || view! { <TableInput params=params /> });
    tick().await;
    let q = |sel: &str| host.query_selector(sel).unwrap();
    let area: web_sys::HtmlTextAreaElement = q("[data-testid=csv-text]").unwrap().dyn_into().unwrap();
    assert_eq!(area.value(), "x,y\n1,2\n3,4\n", "the table shown in the field");
    let apply: web_sys::HtmlElement = q("[data-testid=csv-apply]").unwrap().dyn_into().unwrap();
    let type_text = |text: &str| {
        area.set_value(text);
        area.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
    };
    type_text("x,y\n0,1\n2,oops\n");
    apply.click();
    tick().await;
    let error = q("[data-testid=csv-error]").expect("an error under the field").text_content().unwrap();
    assert!(error.contains("line 3, column 2") && error.contains("oops"), "{error}");
    assert_eq!(params.get_untracked().data.table.unwrap().train.x, vec![vec![1.0], vec![3.0]], "kept");
    // A good table replaces it, the error goes, the status says where it lives.
    type_text("−1;0.5\n2;\u{a0}1.5\n");
    apply.click();
    tick().await;
    assert!(q("[data-testid=csv-error]").is_none());
    let p = params.get_untracked();
    assert_eq!(p.data.set, DataChoice::Table);
    assert_eq!(p.data.table.unwrap().train.x, vec![vec![-1.0], vec![2.0]]);
    let status = q("[data-testid=csv-status]").unwrap().text_content().unwrap();
    assert!(status.starts_with("2 points, 1-D") && status.contains("in the link"), "{status}");
    // A large table goes to storage, and the status says the link alone will not carry it.
    type_text(&table_text(150, 6));
    apply.click();
    tick().await;
    let status = q("[data-testid=csv-status]").unwrap().text_content().unwrap();
    assert!(status.contains("stored in this browser, not in the link"), "{status}");
    assert_eq!(BROWSER_TABLES.stored_hashes().len(), 1);
    drop(handle);
    host.remove();
    clear_storage();
}

mod opened {
    use super::*;
    use ntk_core::experiments::widths::{LearningRate, SweepAxis, SweepData, WidthsReport};
    use ntk_core::nets::ensemble::{run_members, EnsembleReport, EnsembleSpec};
    use ntk_core::results::{read_result, Header, Kind, ResultFile};
    use wide_explorer::components::open_results::refusal;
    use wide_explorer::params::widths::{AxisChoice, WidthsParams};
    use wide_explorer::views::explorer::opened::open_ensemble;

    fn tiny_spec() -> EnsembleSpec {
        let mut spec = EnsembleSpec::cookbook(3, 20, 8, 4);
        // Test points out of order: the page sorts them and the statistics with them.
        spec.data.x_test = vec![vec![1.0], vec![-2.0], vec![0.0]];
        spec.data.y_test = Some(vec![1.0f64.sin(), (-2.0f64).sin(), 0.0]);
        spec
    }

    fn report_json(spec: &EnsembleSpec) -> String {
        let stats = run_members(spec, 0..spec.members, |_| std::ops::ControlFlow::Continue(())).unwrap();
        serde_json::to_string(&EnsembleReport::new(spec, &stats).unwrap()).unwrap()
    }

    #[wasm_bindgen_test]
    fn an_ensemble_report_becomes_the_explorers_run() {
        let spec = tiny_spec();
        let json = report_json(&spec);
        let ResultFile::Ensemble(report) = read_result(&json).unwrap() else { panic!("an ensemble report") };
        let run = open_ensemble(&report, "run.json").unwrap();
        let p = &run.params;
        assert_eq!(p.arch, spec.arch);
        assert_eq!(
            (p.training.width, p.training.lr, p.training.steps, p.training.members, p.seed),
            (8, 0.1, 20, 3, spec.seed)
        );
        assert!(run.notes.is_empty(), "{:?}", run.notes);
        let t = p.data.table.as_ref().unwrap();
        assert_eq!(p.data.set, DataChoice::Table);
        assert_eq!(t.train.x, spec.data.x_train);
        let d = problem(&p.data, p.seed).unwrap();
        assert_eq!(d.points.x_test, vec![vec![-2.0], vec![0.0], vec![1.0]]);
        assert_eq!(d.points.y_test, Some(vec![(-2.0f64).sin(), 0.0, 1.0f64.sin()]));
        // Statistics reordered with the test points, every value the file's.
        for (c, f) in run.summary.checkpoints.iter().zip(&report.checkpoints) {
            assert_eq!(c.nn.mean, vec![f.nn.mean[1], f.nn.mean[2], f.nn.mean[0]]);
            assert_eq!(c.lin.var, vec![f.lin.var[1], f.lin.var[2], f.lin.var[0]]);
            assert_eq!((c.step, c.train_loss, c.test_loss), (f.step, f.train_loss, f.test_loss));
        }
        assert!(
            run.source.starts_with("run.json (3 members of width 8, 20 steps, ntk-core"),
            "{}",
            run.source
        );
        // The run key the page computes for these parameters is the one the run is shown as.
        let (again, _) = decode::<ExplorerParams>(&encode(p), RESERVED, &BROWSER_TABLES);
        assert_eq!(again.run_key(), p.run_key());
    }

    #[wasm_bindgen_test]
    fn what_the_page_cannot_show_is_said_or_refused() {
        let spec = tiny_spec();
        let mut report: EnsembleReport = serde_json::from_str(&report_json(&spec)).unwrap();
        // A width and momentum the page's controls cannot show: clamped and noted.
        report.spec.width = 4096;
        report.spec.momentum = 0.9;
        report.header = Header::new(Kind::Ensemble, &report.spec).unwrap();
        let run = open_ensemble(&report, "big.json").unwrap();
        assert_eq!(run.params.training.width, 2048);
        let notes: Vec<String> = run.notes.iter().map(ToString::to_string).collect();
        assert!(notes.iter().any(|n| n.contains("width n '4096' clamped to 2048")), "{notes:?}");
        assert!(notes.iter().any(|n| n.contains("momentum β = 0.9")), "{notes:?}");
        // Refused: 3-D inputs, a nonlinearity the page does not offer, statistics of other
        // test points.
        let mut three = report.clone();
        three.spec.data.x_train.iter_mut().for_each(|x| x.extend([0.0, 0.0]));
        assert!(open_ensemble(&three, "x.json").unwrap_err().contains("1-D or 2-D"));
        let mut leaky = report.clone();
        leaky.spec.arch.activation = ntk_core::Activation::LeakyRelu { slope: 0.1 };
        assert!(open_ensemble(&leaky, "x.json").unwrap_err().contains("leaky_relu"));
        let mut short = report.clone();
        short.spec.data.x_test.pop();
        assert!(open_ensemble(&short, "x.json").unwrap_err().contains("do not match"));
        // A file of no known kind is not read.
        let text = serde_json::to_string(&report).unwrap().replacen(
            "\"kind\":\"ensemble\"",
            "\"kind\":\"nothing\"",
            1,
        );
        assert!(read_result(&text).is_err());
    }

    #[wasm_bindgen_test]
    fn a_widths_report_sets_the_width_views_controls() {
        let mut params = WidthsParams::default().with_axis(AxisChoice::Depth);
        params.max_width = 128;
        params.seeds = 2;
        let spec = params.to_spec().unwrap();
        let (back, notes) = WidthsParams::from_spec(&spec);
        assert_eq!(back, params);
        assert!(notes.is_empty(), "{notes:?}");
        // What the page cannot show: explicit data, an absolute η, widths that do not double,
        // a width beyond the page's.
        let mut other = spec.clone();
        other.data = SweepData::Points(ntk_core::datasets::ExplicitData {
            x_train: vec![vec![0.0]],
            y_train: vec![1.0],
            x_test: vec![vec![0.0]],
            y_test: None,
        });
        other.learning_rate = LearningRate::Absolute(0.5);
        other.widths = vec![32, 96, 8192];
        other.axis = SweepAxis::None;
        let (p, notes) = WidthsParams::from_spec(&other);
        let notes: Vec<String> = notes.iter().map(ToString::to_string).collect();
        assert_eq!(p.max_width, 4096);
        assert_eq!(notes.len(), 4, "{notes:?}");
        for expected in ["clamped to 4096", "given points", "η = 0.5", "do not double"] {
            assert!(notes.iter().any(|n| n.contains(expected)), "{expected}: {notes:?}");
        }
        // A report of the sweep reads back as a widths file; its parts would be refused.
        let report = WidthsReport::new(
            &spec,
            ntk_core::experiments::widths::SweepResult::assemble(&spec, vec![]).unwrap(),
        )
        .unwrap();
        let file = read_result(&serde_json::to_string(&report).unwrap()).unwrap();
        assert!(matches!(file, ResultFile::Widths(_)));
        assert!(refusal("w.json", &file).is_none());
    }
}

/// The corpus of the core's fuzz tests (`crates/ntk-fuzz`, the same seed and cases) through the
/// page's readers: "Open results…" ([`OpenedResults::open_text`]) and the table field
/// ([`UserTable::from_csv`]). Each damaged file is refused with a message and the page keeps
/// what it showed (no report replaced, the view unchanged), or read whole; never a panic.
mod fuzz {
    use super::*;
    use ntk_core::results::ResultFile;
    use ntk_fuzz::damage::corpus;
    use ntk_fuzz::files::{csv_tables, result_files};
    use ntk_fuzz::tables::table_corpus;
    use ntk_fuzz::verdict::{judge, judge_table, ReadTable};
    use ntk_fuzz::{DEFAULT_CASES, DEFAULT_SEED};
    use wide_explorer::components::open_results::OpenedResults;
    use wide_explorer::route::View;

    #[wasm_bindgen_test]
    fn damaged_result_files_are_refused_and_the_page_keeps_what_it_showed() {
        let owner = Owner::new();
        owner.with(|| {
            let view = RwSignal::new(View::Single);
            let inbox = OpenedResults::provide(view);
            let shown = || {
                (
                    inbox.ensemble.with_untracked(|o| o.as_ref().map(|o| o.serial)),
                    inbox.widths.with_untracked(|o| o.as_ref().map(|o| o.serial)),
                    view.get_untracked(),
                )
            };
            let files = result_files();
            let cases = corpus(&files, DEFAULT_CASES, DEFAULT_SEED);
            let (mut refused, mut read, mut failures) = (0, 0, Vec::new());
            for case in &cases {
                let before = shown();
                let outcome = match inbox.open_text("damaged.json", &case.text) {
                    Err(message) => {
                        refused += 1;
                        if shown() != before {
                            failures.push(format!("{}: refused, but the page changed", case.describe()));
                        }
                        Err(message)
                    }
                    Ok(()) => {
                        read += 1;
                        let json = match ntk_core::results::read_result(&case.text) {
                            Ok(ResultFile::Ensemble(_)) => inbox.ensemble.with_untracked(|o| {
                                serde_json::to_value(&o.as_ref().unwrap().report).unwrap()
                            }),
                            Ok(ResultFile::Widths(_)) => inbox.widths.with_untracked(|o| {
                                serde_json::to_value(&o.as_ref().unwrap().report).unwrap()
                            }),
                            other => panic!("{}: the page opened {other:?}", case.describe()),
                        };
                        Ok(json)
                    }
                };
                failures.extend(judge(case, &outcome).err());
            }
            assert!(
                failures.is_empty(),
                "{} of {} cases failed:\n{}",
                failures.len(),
                cases.len(),
                failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
            );
            // Reports and sweeps were opened, parts and one-network runs never are.
            assert!(refused > cases.len() / 2 && read > 0, "{refused} refused, {read} read");
        });
    }

    #[wasm_bindgen_test]
    fn damaged_tables_are_refused_or_read_whole_by_the_table_field() {
        let cases = table_corpus(&csv_tables(), DEFAULT_CASES, DEFAULT_SEED);
        let mut failures = Vec::new();
        for case in &cases {
            let table = UserTable::from_csv(&case.text);
            let points = table.as_ref().ok().map(|t| t.train.clone());
            let outcome = table.map(|t| ReadTable::of_points(&t.train)).map_err(|e| e.to_string());
            failures.extend(judge_table(case, &outcome, points.as_ref()).err());
        }
        assert!(
            failures.is_empty(),
            "{} of {} cases failed:\n{}",
            failures.len(),
            cases.len(),
            failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
        );
    }
}

mod embed {
    use super::*;
    use wide_explorer::components::embed::{attr_escape, embed_query, embed_snippet};
    use wide_explorer::route::Hidden;

    #[wasm_bindgen_test]
    fn the_embed_code_is_the_current_view_with_its_data_inline() {
        let hash = "0123456789abcdef0123456789abcdef";
        let q = embed_query(
            &format!("?view=widths&wmax=512&hide=tabs&csvh={hash}&csvh=ffffffffffffffffffffffffffffffff"),
            Hidden::ALL,
            |h| (h == hash).then(|| "1,2\n3,4".to_string()),
        );
        assert_eq!(
            q,
            "?view=widths&wmax=512&csv=1%2C2%0A3%2C4&csvh=ffffffffffffffffffffffffffffffff&hide=header%2Ctabs%2Ccontrols%2Cexplain"
        );
        let snippet = embed_snippet("https://example.org/explorer/", "?a=1&b=\"<x>'", (640, 480));
        assert_eq!(
            snippet,
            "<iframe src=\"https://example.org/explorer/?a=1&amp;b=&quot;&lt;x&gt;&#39;\" width=\"640\" height=\"480\" \
             style=\"border: 0; max-width: 100%;\" title=\"Wide networks explorer\" loading=\"lazy\"></iframe>"
        );
        assert_eq!(attr_escape("a&b"), "a&amp;b");
        // No part hidden: no hide key.
        assert_eq!(embed_query("?width=64&hide=tabs", Hidden::default(), |_| None), "?width=64");
    }
}
