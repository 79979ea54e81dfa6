//! Text widths for laying out the plots, as the canvas measures them.
//!
//! plotters measures text for the web by appending a `<span>` to the page and reading its
//! `offsetWidth`, which forces a layout of the whole page on every call: with a few hundred
//! tick labels, legend entries and captions per redraw this was most of the main thread's time
//! while a run streamed. Here a width comes from `measureText` on one detached canvas (the same
//! measure `fillText` draws with, fractional rather than rounded to whole pixels) and is kept:
//! a label measured once is not measured again.

use std::cell::RefCell;
use std::collections::HashMap;

use plotters::style::TextStyle;
use wasm_bindgen::JsCast;

/// Most widths kept (a redraw measures a few hundred; the cache is emptied when full).
const CACHE_LIMIT: usize = 8192;

thread_local! {
    static CONTEXT: RefCell<Option<web_sys::CanvasRenderingContext2d>> = const { RefCell::new(None) };
    static WIDTHS: RefCell<HashMap<(String, String), f64>> = RefCell::new(HashMap::new());
    static MEASURED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The CSS font of `style`, as plotters-canvas sets it before `fillText`.
fn css_font(style: &TextStyle) -> String {
    format!("{} {}px {}", style.font.get_style().as_str(), style.font.get_size(), style.font.get_name())
}

fn measuring_context() -> Option<web_sys::CanvasRenderingContext2d> {
    CONTEXT.with(|c| {
        if c.borrow().is_none() {
            let canvas = web_sys::window()?.document()?.create_element("canvas").ok()?;
            let ctx = canvas.dyn_into::<web_sys::HtmlCanvasElement>().ok()?.get_context("2d").ok()??;
            *c.borrow_mut() = ctx.dyn_into().ok();
        }
        c.borrow().clone()
    })
}

/// Width of `text` in `style` (pixels at the style's size), or `None` without a document.
pub fn width(text: &str, style: &TextStyle) -> Option<f64> {
    let font = css_font(style);
    let key = (font, text.to_string());
    if let Some(w) = WIDTHS.with(|m| m.borrow().get(&key).copied()) {
        return Some(w);
    }
    let ctx = measuring_context()?;
    ctx.set_font(&key.0);
    let w = ctx.measure_text(text).ok()?.width();
    MEASURED.with(|n| n.set(n.get() + 1));
    WIDTHS.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= CACHE_LIMIT {
            m.clear();
        }
        m.insert(key, w);
    });
    Some(w)
}

/// How many widths were measured (not found in the cache) so far in this thread.
pub fn measured() -> u64 {
    MEASURED.with(std::cell::Cell::get)
}
