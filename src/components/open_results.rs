//! "Open results…": a result file of the `ntk` command (`ntk ensemble`, `ntk widths`,
//! `ntk merge`), read by the core's one reader [`read_result`] — kind, format version, spec
//! hash, and every array and number against what the spec implies — and shown in the view its
//! kind belongs to: an ensemble report in the explorer, a width sweep in the width view. A
//! file cut short or edited, a part of a sharded run and other files are refused with a
//! message naming what is wrong, and the page keeps what it showed.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use ntk_core::experiments::widths::WidthsReport;
use ntk_core::nets::ensemble::EnsembleReport;
use ntk_core::results::{read_result, ResultFile};

use crate::route::View;

/// Largest result file the page reads (bytes).
pub const MAX_RESULT_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// A report opened from a file, with the file's name and a number that tells two openings
/// apart (the same file opened twice is shown twice).
#[derive(Clone, Debug, PartialEq)]
pub struct Opened<R> {
    /// the file's name
    pub name: String,
    /// counts the files opened
    pub serial: u64,
    /// the report
    pub report: R,
}

/// Where opened result files go (Leptos context, provided by the app): the explorer and the
/// width view read the reports of their kind and the app shows the view.
#[derive(Clone, Copy)]
pub struct OpenedResults {
    /// the last ensemble report opened (shown by the explorer)
    pub ensemble: RwSignal<Option<Opened<Box<EnsembleReport>>>>,
    /// the last width-sweep report opened (shown by the width view)
    pub widths: RwSignal<Option<Opened<Box<WidthsReport>>>>,
    view: RwSignal<View>,
    serial: StoredValue<u64>,
}

/// What the page says about a file that is not a whole report (`None` for a report): a
/// message naming the file and what to do.
pub fn refusal(name: &str, file: &ResultFile) -> Option<String> {
    match file {
        ResultFile::EnsemblePartial(_) | ResultFile::WidthsPartial(_) => Some(format!(
            "{name} is one part of a sharded run ({}), not a result: merge the parts first \
             (`ntk merge part-*.json > result.json`) and open the merged file",
            file.header().kind.name()
        )),
        ResultFile::Single(_) => Some(format!(
            "{name} is a one-network run (`ntk single`): \"Open results…\" shows ensembles and width sweeps \
             (`ntk ensemble`, `ntk widths`, `ntk merge`)"
        )),
        ResultFile::Ensemble(_) | ResultFile::Widths(_) => None,
    }
}

impl OpenedResults {
    /// Creates the inbox (showing opened files in `view`) and provides it.
    pub fn provide(view: RwSignal<View>) -> OpenedResults {
        let o = OpenedResults {
            ensemble: RwSignal::new(None),
            widths: RwSignal::new(None),
            view,
            serial: StoredValue::new(0),
        };
        provide_context(o);
        o
    }

    /// Reads the text of a file called `name` and shows it in its view; nothing changes when
    /// it is refused.
    ///
    /// # Errors
    /// Why it is not shown: not a result file of this program, or one that does not agree
    /// with its own spec (the core's message, naming the field), a part of a sharded run, a
    /// one-network run.
    pub fn open_text(&self, name: &str, text: &str) -> Result<(), String> {
        let file = read_result(text).map_err(|e| format!("{name}: {e}"))?;
        if let Some(message) = refusal(name, &file) {
            return Err(message);
        }
        let serial = self.serial.get_value() + 1;
        self.serial.set_value(serial);
        let name = name.to_string();
        match file {
            ResultFile::Ensemble(report) => {
                self.ensemble.set(Some(Opened { name, serial, report }));
                self.view.set(View::Explorer);
            }
            ResultFile::Widths(report) => {
                self.widths.set(Some(Opened { name, serial, report }));
                self.view.set(View::Widths);
            }
            ResultFile::EnsemblePartial(_) | ResultFile::WidthsPartial(_) | ResultFile::Single(_) => {}
        }
        Ok(())
    }
}

/// The "Open results…" button and the message about the last file refused.
#[component]
pub fn OpenResults(
    /// the view's id prefix (the file input's id is `prefix` + `open-results`)
    #[prop(default = "")]
    prefix: &'static str,
) -> impl IntoView {
    let inbox = use_context::<OpenedResults>();
    let error = RwSignal::new(None::<String>);
    let id = format!("{prefix}open-results");
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        input.set_value("");
        let name = file.name();
        if file.size() > MAX_RESULT_BYTES {
            error.set(Some(format!(
                "{name}: {} bytes, more than the page reads ({MAX_RESULT_BYTES} bytes)",
                file.size()
            )));
            return;
        }
        let Some(inbox) = inbox else {
            error.set(Some("results cannot be opened here".to_string()));
            return;
        };
        let promise = file.text();
        wasm_bindgen_futures::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(promise).await.ok().and_then(|v| v.as_string());
            match text {
                Some(t) => error.set(inbox.open_text(&name, &t).err()),
                None => error.set(Some(format!("{name}: the file could not be read as text"))),
            }
        });
    };
    view! {
        <span class="open-results">
            <input type="file" id=id.clone() class="file-input" data-testid=format!("{prefix}open-results") accept=".json,application/json"
                on:change=on_file />
            <label class="file-button" for=id title="a JSON file written by `ntk ensemble`, `ntk widths` or `ntk merge`">"Open results…"</label>
        </span>
        {move || error.get().map(|e| view! { <p class="note" role="alert" data-testid=format!("{prefix}open-results-error")>{e}</p> })}
    }
}
