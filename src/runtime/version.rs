//! Is this tab running files the site no longer serves? After a redeploy the page's script and
//! wasm are replaced by new hashed names; an open tab keeps running but every worker it starts
//! imports the old script (404) and never becomes ready. When a worker fails to start, the
//! scheduler calls [`suspect_stale`]: it asks the server for this module's script again,
//! uncached, and if the server no longer has it, every listener registered with
//! [`on_stale`] is told (the page offers a reload; its state is in the link and survives).

use std::cell::{Cell, RefCell};

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCache, RequestInit, Response};

use super::spawn::module_url;

thread_local! {
    static CHECKING: Cell<bool> = const { Cell::new(false) };
    static STALE: Cell<bool> = const { Cell::new(false) };
    static LISTENERS: RefCell<Vec<Box<dyn Fn()>>> = const { RefCell::new(Vec::new()) };
}

/// Registers `listener`, called once when the page's files turn out to be replaced (at once if
/// that is already known).
pub fn on_stale(listener: impl Fn() + 'static) {
    if STALE.with(Cell::get) {
        listener();
    }
    LISTENERS.with(|l| l.borrow_mut().push(Box::new(listener)));
}

/// Whether the page's files were found replaced.
#[must_use]
pub fn is_stale() -> bool {
    STALE.with(Cell::get)
}

/// A worker failed to start: check (once at a time, in the background) whether the server
/// still serves this page's script.
pub fn suspect_stale() {
    if STALE.with(Cell::get) || CHECKING.with(|c| c.replace(true)) {
        return;
    }
    wasm_bindgen_futures::spawn_local(async {
        let gone = script_gone(&module_url()).await;
        CHECKING.with(|c| c.set(false));
        if gone {
            mark_stale();
        }
    });
}

/// Records that the files were replaced and tells the listeners.
pub fn mark_stale() {
    if STALE.with(|s| s.replace(true)) {
        return;
    }
    LISTENERS.with(|l| {
        for listener in l.borrow().iter() {
            listener();
        }
    });
}

/// Whether the server no longer has the script at `url`: "not found", or a page in its place (a
/// single-page-app server answers unknown paths with the index page). An unreachable server is
/// not a redeploy: `false`.
async fn script_gone(url: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let init = RequestInit::new();
    init.set_method("HEAD");
    init.set_cache(RequestCache::NoStore);
    let Ok(response) = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await else {
        return false;
    };
    let Ok(response) = response.dyn_into::<Response>() else { return false };
    let content_type = response.headers().get("content-type").ok().flatten().unwrap_or_default();
    matches!(response.status(), 404 | 410) || (response.ok() && content_type.contains("html"))
}
