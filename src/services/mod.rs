//! Services the views share through Leptos context: the theory cache ([`theory`]), the
//! explorer's ensemble run ([`ensemble`]), the width sweep ([`sweep`]) and the catapult
//! networks ([`catapult`]), each over a [`crate::runtime::scheduler::Scheduler`] of its own;
//! and the small reactive helpers every view uses (URL sync, settle-then-restart, timed draws).

pub mod bridge;
pub mod catapult;
pub mod convergence;
pub mod ensemble;
pub mod phase;
pub mod single;
pub mod sweep;
pub mod theory;

use leptos::prelude::*;

use crate::components::controls::Gestures;
use crate::params::{url, Described};
use crate::route::{write_url, View};

/// Milliseconds a run's parameters must stay unchanged before the run restarts while a slider
/// is being dragged (dragging does not start and cancel a run per pixel).
pub const SETTLE_MS: u64 = 150;

/// Keeps the URL equal to `view` and its `state` while the view is shown.
pub fn sync_url<S: Described + Send + Sync>(view: View, active: Signal<bool>, state: RwSignal<S>) {
    Effect::new(move |_| {
        if active.get() {
            state.with(|s| write_url(view, &url::encode(s)));
        }
    });
}

/// Starts a run of `key` whenever it changes, while the view is `active` and unless
/// `is_current` says the run shown already belongs to it: at once (on the next turn of the
/// event loop) when no slider is being dragged, else when the slider is released or the value
/// has stayed unchanged for [`SETTLE_MS`]. A change cancels a start still pending, also when it
/// returns to the key of the run shown.
pub fn restart_when_settled<K: Clone + PartialEq + Send + Sync + 'static>(
    key: Memo<K>,
    active: Signal<bool>,
    is_current: impl Fn(&K) -> bool + Send + Sync + 'static,
    start: impl Fn(K) + Clone + Send + Sync + 'static,
) {
    // The start waiting for its moment: (ticket, key).
    let pending = StoredValue::new((0u64, None::<K>));
    let fire = move |ticket: u64| {
        let due = pending.try_update_value(|(t, k)| if *t == ticket { k.take() } else { None }).flatten();
        if let Some(k) = due {
            start(k);
        }
    };
    let fire_later = fire.clone();
    Effect::new(move |_| {
        let k = key.get();
        let ticket = pending.with_value(|(t, _)| t + 1);
        let wanted = active.get() && !is_current(&k);
        pending.set_value((ticket, wanted.then_some(k)));
        if !wanted {
            return;
        }
        let delay = if Gestures::is_dragging() { SETTLE_MS } else { 0 };
        let fire = fire_later.clone();
        set_timeout(move || fire(ticket), std::time::Duration::from_millis(delay));
    });
    if let Some(g) = use_context::<Gestures>() {
        Effect::new(move |previous: Option<()>| {
            g.released.track();
            if previous.is_some() {
                let ticket = pending.with_value(|(t, _)| *t);
                fire(ticket);
            }
        });
    }
}

/// The window's size, for the plots: every canvas is redrawn at its new size when the window
/// is resized or a phone turned (a canvas drawn at one size and shown at another would be
/// stretched). Provide it once ([`Viewport::provide`]); draw effects call [`track_viewport`].
#[derive(Clone, Copy)]
pub struct Viewport(RwSignal<(f64, f64)>);

impl Viewport {
    /// Creates the signal, follows the window's `resize` events, and provides it.
    pub fn provide() {
        let size = || {
            web_sys::window().map_or((0.0, 0.0), |w| {
                let get =
                    |v: Result<wasm_bindgen::JsValue, _>| v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
                (get(w.inner_width()), get(w.inner_height()))
            })
        };
        let viewport = Viewport(RwSignal::new(size()));
        let handle = window_event_listener(leptos::ev::resize, move |_| {
            let now = size();
            if viewport.0.get_untracked() != now {
                viewport.0.set(now);
            }
        });
        on_cleanup(move || handle.remove());
        provide_context(viewport);
    }
}

/// Makes the calling effect re-run when the window is resized (nothing without a
/// [`Viewport`] in context, as in unit tests).
pub fn track_viewport() {
    if let Some(v) = use_context::<Viewport>() {
        v.0.track();
    }
}

/// A drawing deferred to the next animation frame, replaced by any later one asked before
/// that frame: however many results arrive between two frames (a burst of checkpoints from the
/// workers), a canvas is drawn at most once per frame.
#[derive(Clone, Copy)]
pub struct FrameSlot {
    pending: StoredValue<Option<Box<dyn FnOnce()>>, LocalStorage>,
}

impl Default for FrameSlot {
    fn default() -> Self {
        FrameSlot { pending: StoredValue::new_local(None) }
    }
}

impl FrameSlot {
    /// Draws with `f` at the next animation frame (instead of any drawing still waiting).
    pub fn draw(&self, f: impl FnOnce() + 'static) {
        let waiting = self.pending.with_value(Option::is_some);
        self.pending.set_value(Some(Box::new(f)));
        if !waiting {
            let pending = self.pending;
            request_animation_frame(move || {
                if let Some(f) = pending.try_update_value(Option::take).flatten() {
                    f();
                }
            });
        }
    }
}

/// Runs `draw` and records its duration (ms) on `canvas` as `data-draw-ms`, which the
/// end-to-end tests and benchmarks read (a [test hook](crate::hooks::record): the release page
/// only draws).
pub fn timed_draw<R>(canvas: &web_sys::HtmlCanvasElement, draw: impl FnOnce() -> R) -> R {
    let start = js_sys::Date::now();
    let out = draw();
    crate::hooks::record(canvas, "data-draw-ms", || format!("{:.1}", js_sys::Date::now() - start));
    out
}
