//! Embedding a figure in another page (a course page, a notebook): the "Embed…" menu writes
//! an `<iframe>` snippet for the view as it is now, with the parts of the page it hides
//! (`hide=header,tabs,controls,explain`, see [`Hidden`]) and the user's data table inline, and
//! copies it to the clipboard (the snippet stays visible, selectable, when the browser does
//! not allow copying).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::params::table::{is_hash, UserTable};
use crate::route::{location_query, Hidden, HIDE_KEY};

/// The frame size the snippet starts with (CSS pixels).
pub const EMBED_SIZE: (u32, u32) = (820, 560);
/// Snippets longer than this (characters) get a note: they carry a data table.
pub const LONG_SNIPPET: usize = 8000;

/// `s` for a double-quoted HTML attribute (`&`, `<`, `>`, `"` and `'` as entities).
pub fn attr_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The query of an embed of the page at `query` (with or without `?`): its keys but `hide`,
/// a stored table (`csvh=…`) replaced by its text (`csv=…`, from `stored`) so the frame needs
/// nothing of this browser's storage, then `hide` with the parts `hidden`.
pub fn embed_query(query: &str, hidden: Hidden, stored: impl Fn(&str) -> Option<String>) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
        match key.as_ref() {
            k if k == HIDE_KEY => {}
            "csvh" => match stored(&value) {
                Some(text) => {
                    out.append_pair("csv", &text);
                }
                None => {
                    out.append_pair(&key, &value);
                }
            },
            _ => {
                out.append_pair(&key, &value);
            }
        }
    }
    if hidden.any() {
        out.append_pair(HIDE_KEY, &hidden.value());
    }
    format!("?{}", out.finish())
}

/// The `<iframe>` snippet showing `page` (the page's address without query) at `query`.
pub fn embed_snippet(page: &str, query: &str, (width, height): (u32, u32)) -> String {
    format!(
        "<iframe src=\"{}\" width=\"{width}\" height=\"{height}\" style=\"border: 0; max-width: 100%;\" \
         title=\"Wide networks explorer\" loading=\"lazy\"></iframe>",
        attr_escape(&format!("{page}{query}"))
    )
}

/// The text of a stored table for a link, if this browser has it.
fn stored_link_text(hash: &str) -> Option<String> {
    if !is_hash(hash) {
        return None;
    }
    let text = crate::storage::TableStore::stored_text(&crate::storage::BROWSER_TABLES, hash)?;
    UserTable::from_stored(hash, &text).ok().map(|t| t.text().trim_end().to_string())
}

/// The snippet of the page as it is now.
fn current_snippet(hidden: Hidden, size: (u32, u32)) -> String {
    let page = web_sys::window()
        .and_then(|w| {
            let l = w.location();
            Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?))
        })
        .unwrap_or_default();
    embed_snippet(&page, &embed_query(&location_query(), hidden, stored_link_text), size)
}

/// The "Embed…" menu (see the module doc).
#[component]
pub fn EmbedMenu() -> impl IntoView {
    let hidden = RwSignal::new(Hidden::ALL);
    let size = RwSignal::new(EMBED_SIZE);
    let code = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let area = NodeRef::<leptos::html::Textarea>::new();
    let refresh = move || code.set(current_snippet(hidden.get_untracked(), size.get_untracked()));
    let select_code = move || {
        if let Some(t) = area.get_untracked() {
            let _ = t.focus();
            t.select();
        }
    };
    let copy = move |_| {
        refresh();
        let text = code.get_untracked();
        let clipboard = web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w.navigator(), &"clipboard".into()).ok())
            .filter(|c| !c.is_undefined() && !c.is_null())
            .and_then(|c| c.dyn_into::<web_sys::Clipboard>().ok());
        let Some(clipboard) = clipboard else {
            status.set("This browser does not offer the clipboard here: the code above is selected, copy it with Ctrl+C (⌘C).".to_string());
            select_code();
            return;
        };
        let promise = clipboard.write_text(&text);
        status.set("Copying…".to_string());
        wasm_bindgen_futures::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(promise).await {
                Ok(_) => status.set("Copied to the clipboard.".to_string()),
                Err(_) => {
                    status.set("The browser did not allow copying: the code above is selected, copy it with Ctrl+C (⌘C).".to_string());
                    select_code();
                }
            }
        });
    };
    let part_label = |part: &str| match part {
        "header" => "title",
        "tabs" => "tabs",
        "controls" => "controls",
        _ => "explanations",
    };
    view! {
        <details class="embed-menu" data-testid="embed-menu" on:toggle=move |_| refresh()>
            <summary>"Embed…"</summary>
            <div class="embed-panel" on:pointerenter=move |_| refresh()>
                <p class="hint">"An <iframe> of this view as it is now, for a course page or a notebook. It resizes its plots to the frame."</p>
                <fieldset class="embed-parts">
                    <legend>"Hide"</legend>
                    {Hidden::PARTS.iter().map(|&part| view! {
                        <label>
                            <input type="checkbox" data-part=part prop:checked=move || hidden.with(|h| h.hides(part))
                                on:change=move |ev| { hidden.update(|h| *h = h.with(part, event_target_checked(&ev))); refresh(); } />
                            {part_label(part)}
                        </label>
                    }).collect_view()}
                </fieldset>
                <div class="embed-size">
                    <label>"width "<input type="number" min="200" max="4000" class="number" prop:value=move || size.get().0.to_string()
                        on:change=move |ev| { if let Ok(w) = event_target_value(&ev).parse::<u32>() { size.update(|s| s.0 = w.clamp(200, 4000)); refresh(); } } /></label>
                    <label>" height "<input type="number" min="150" max="4000" class="number" prop:value=move || size.get().1.to_string()
                        on:change=move |ev| { if let Ok(h) = event_target_value(&ev).parse::<u32>() { size.update(|s| s.1 = h.clamp(150, 4000)); refresh(); } } /></label>
                </div>
                <textarea node_ref=area readonly rows="4" class="embed-code" data-testid="embed-code" prop:value=move || code.get()
                    aria-label="embed code"></textarea>
                <div class="run-row">
                    <button data-testid="copy-embed" on:click=copy>"Copy embed code"</button>
                    <span class="hint" data-testid="embed-status" role="status">{move || status.get()}</span>
                </div>
                <Show when=move || code.with(|c| c.len() > LONG_SNIPPET)>
                    <p class="hint" data-testid="embed-long">{move || format!("The code is {} characters long: it carries your data table, so that the frame shows it in any browser.", code.with(String::len))}</p>
                </Show>
            </div>
        </details>
    }
}
