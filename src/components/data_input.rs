//! The user's data table in the explorer: paste CSV text or upload a file (1-D `x,y` or 2-D
//! `x₁,x₂,y`, header optional, the format of `ntk_core::datasets::csv`). A table that cannot
//! be read gets a message under the field naming its line and column, and the data shown
//! stays as it was. A table is kept in the link when it is small
//! ([`crate::params::table::MAX_LINK_TABLE_CHARS`]), else in this browser's storage, and the
//! field says which.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::notes::NoteLine;
use crate::params::explorer::{DataChoice, DataParams, ExplorerParams};
use crate::params::notes::Note;
use crate::params::table::{UserTable, MAX_LINK_TABLE_CHARS, MAX_TABLE_BYTES, MAX_TABLE_POINTS};
use crate::params::Described;
use crate::storage::{TableStore, BROWSER_TABLES};

/// A table to start the `table` set from: the training points on screen (the sine set's when
/// there are none), rounded to 3 decimals as the user's points are (so that it fits the link).
pub fn table_from_screen(p: &ExplorerParams) -> Option<UserTable> {
    let sine = DataParams { set: DataChoice::Sin, ..p.data.clone() };
    let data =
        crate::problem::problem(&p.data, p.seed).or_else(|_| crate::problem::problem(&sine, p.seed)).ok()?;
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    let points = ntk_core::datasets::csv::Points {
        x: data.points.x_train.iter().map(|x| x.iter().map(|&v| round(v)).collect()).collect(),
        y: data.points.y_train.iter().map(|&v| round(v)).collect(),
        header: None,
    };
    UserTable::with_test(points, None).ok()
}

/// Where a table lives: in the link, or stored in this browser (with the storage's refusal,
/// if it refused).
pub fn table_home(table: &UserTable, stored: Result<(), String>) -> String {
    match (table.link_text(), stored) {
        (Some(_), _) => "in the link".to_string(),
        (None, Ok(())) => format!(
            "stored in this browser, not in the link (over {MAX_LINK_TABLE_CHARS} characters): the link opens \
             it only here; the embed code carries it"
        ),
        (None, Err(e)) => format!("not stored ({e}): the link will not open it; the embed code carries it"),
    }
}

/// Keeps a table that is too large for the link in this browser's storage.
///
/// # Errors
/// The storage's refusal, as text.
pub fn keep_table(table: &UserTable) -> Result<(), String> {
    if table.link_text().is_some() {
        return Ok(());
    }
    BROWSER_TABLES.store(table).map_err(|e| e.to_string())
}

/// Reads `text` as the explorer's table and shows it (the `table` set); on an error the state
/// is left untouched and the error (with line and column) returned as a note.
///
/// # Errors
/// The table's problem as a note; `source` (e.g. a file name) is named in it.
pub fn apply_table(params: RwSignal<ExplorerParams>, text: &str, source: &str) -> Result<String, Note> {
    let table = UserTable::from_csv(text).map_err(|e| e.note().prefixed(format!("{source}: ")))?;
    let home = table_home(&table, keep_table(&table));
    params.update(|p| {
        p.data.table = Some(table);
        p.data.set = DataChoice::Table;
        p.normalize();
    });
    Ok(home)
}

/// The table editor of the explorer's `table` set.
#[component]
pub fn TableInput(
    /// the explorer's state
    params: RwSignal<ExplorerParams>,
) -> impl IntoView {
    let train_text = move || {
        params.with_untracked(|p| p.data.table.as_ref().map(|t| t.train.to_csv()).unwrap_or_default())
    };
    let text = RwSignal::new(train_text());
    let error = RwSignal::new(None::<Note>);
    let home = RwSignal::new(None::<String>);
    // A table set from elsewhere (a link, an opened result file) is shown in the field.
    let shown_hash =
        StoredValue::new(params.with_untracked(|p| p.data.table.as_ref().map(|t| t.hash().to_string())));
    Effect::new(move |_| {
        let hash = params.with(|p| p.data.table.as_ref().map(|t| t.hash().to_string()));
        if hash != shown_hash.get_value() {
            shown_hash.set_value(hash);
            text.set(train_text());
            error.set(None);
        }
    });
    let apply = move |source: &str, content: &str| match apply_table(params, content, source) {
        Ok(h) => {
            error.set(None);
            home.set(Some(h));
            shown_hash
                .set_value(params.with_untracked(|p| p.data.table.as_ref().map(|t| t.hash().to_string())));
        }
        Err(note) => error.set(Some(note)),
    };
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        let name = file.name();
        input.set_value("");
        if file.size() > MAX_TABLE_BYTES as f64 {
            error.set(Some(
                Note::text("").quote(&name).then(format!(
                    ": {} bytes, more than the page's limit of {MAX_TABLE_BYTES} bytes (the `ntk` command reads larger files)",
                    file.size()
                )),
            ));
            return;
        }
        let promise = file.text();
        wasm_bindgen_futures::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(promise).await.ok().and_then(|v| v.as_string()) {
                Some(content) => {
                    text.set(content.clone());
                    apply(&name, &content);
                }
                None => {
                    error.set(Some(Note::text("").quote(&name).then(": the file could not be read as text")))
                }
            }
        });
    };
    let status = move || {
        params.with(|p| match &p.data.table {
            Some(t) => {
                let place = home.get().unwrap_or_else(|| table_home(t, Ok(())));
                format!("{} — {place}", t.describe())
            }
            None => "No table yet.".to_string(),
        })
    };
    view! {
        <div class="control table-input" data-testid="table-input">
            <label for="csv-text">{format!("Your data: CSV with columns x,y (1-D) or x₁,x₂,y (2-D), header optional, up to {MAX_TABLE_POINTS} points")}</label>
            <textarea id="csv-text" data-testid="csv-text" rows="6" spellcheck="false"
                placeholder="x,y\n-2,0.4\n-0.5,-0.1\n1,0.8"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                        ev.prevent_default();
                        apply("the pasted table", &text.get_untracked());
                    }
                }></textarea>
            <div class="run-row">
                <button data-testid="csv-apply" on:click=move |_| apply("the pasted table", &text.get_untracked())>"Use this table"</button>
                <input type="file" id="csv-file" data-testid="csv-file" class="file-input" accept=".csv,.tsv,.txt,text/csv,text/plain"
                    on:change=on_file />
                <label class="file-button" for="csv-file">"Upload CSV…"</label>
            </div>
            {move || error.get().map(|n| view! {
                <div class="table-error" role="alert" data-testid="csv-error"><NoteLine note=n /></div>
            })}
            <p class="hint" data-testid="csv-status">{status}</p>
        </div>
    }
}
