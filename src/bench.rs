//! Entry points for the browser benchmark and the end-to-end tests, called from the page's JS
//! (`window.wasmBindings.…`): an ensemble job trained by a [`Scheduler`] of `workers` workers,
//! timed, or its merged statistics returned; and the census of the page's workers.

use std::cell::RefCell;
use std::rc::Rc;

use ntk_core::nets::ensemble::{CheckpointMerger, EnsembleSpec, EnsembleStats};
use serde_json::json;
use wasm_bindgen::prelude::*;

use crate::runtime::protocol::{Part, Work};
use crate::runtime::scheduler::{worker_census, Event, Scheduler, SchedulerOptions};
use crate::services::ensemble::split_members;

/// Runs `f` once, after the current event (outside any scheduler callback).
fn later(f: impl FnOnce() + 'static) {
    let f = Closure::once_into_js(f);
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback(f.unchecked_ref());
    }
}

/// Runs `spec` in `workers` workers as the page does (one range of members per worker,
/// streamed checkpoint by checkpoint and merged in member order) and calls `done` with its
/// statistics (or the error), then drops the scheduler.
fn run_job(spec: EnsembleSpec, workers: usize, done: impl FnOnce(Result<EnsembleStats, String>) + 'static) {
    let merger = match CheckpointMerger::new(&spec, 0) {
        Ok(m) => Rc::new(RefCell::new(m)),
        Err(e) => return done(Err(e.to_string())),
    };
    let slot: Rc<RefCell<Option<Scheduler>>> = Rc::default();
    let done = Rc::new(RefCell::new(Some(done)));
    let s = Rc::clone(&slot);
    let finish = move |result: Result<EnsembleStats, String>| {
        if let Some(done) = done.borrow_mut().take() {
            done(result);
        }
        let s = Rc::clone(&s);
        later(move || drop(s.borrow_mut().take()));
    };
    let on_event = move |event: Event| match event {
        Event::Partial { part: Part::Ensemble(batch), .. } => {
            let mut m = merger.borrow_mut();
            match m.add(&batch) {
                Err(e) => finish(Err(e.to_string())),
                Ok(()) if m.is_complete() => finish(Ok(m.stats())),
                Ok(()) => {}
            }
        }
        Event::Done { result: Err(message), .. } | Event::Unavailable { message, .. } => finish(Err(message)),
        Event::Lost { message, rerun: false, .. } => finish(Err(message)),
        _ => {}
    };
    let scheduler = Scheduler::new(SchedulerOptions { workers, stall_timeout_ms: 120_000.0 }, on_event);
    let ranges = split_members(spec.members, workers);
    scheduler.run(
        ranges.iter().map(|r| Work::Ensemble { spec: spec.clone(), members: (r.start, r.end) }).collect(),
    );
    *slot.borrow_mut() = Some(scheduler);
}

/// Trains `members` cookbook networks of width `width` for `steps` steps in `workers` workers
/// and resolves to a JSON string `{workers, members, steps, width, wall_seconds, gflop,
/// gflop_per_second}` (FLOP counted as 6·N·weights per step and member), after a warm-up job
/// (one short member per worker); rejects with the error.
#[wasm_bindgen]
pub fn run_pool_benchmark(workers: usize, members: usize, steps: u32, width: usize) -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, reject| {
        let spec = EnsembleSpec::cookbook(members, u64::from(steps), width, 2);
        let flop = spec.flops_per_step() * spec.steps as f64 * spec.members as f64;
        let warm_up = EnsembleSpec::cookbook(workers.max(1), 1, width, 2);
        run_job(warm_up, workers, move |warmed| {
            if let Err(e) = warmed {
                let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(&e));
                return;
            }
            let start = js_sys::Date::now();
            run_job(spec, workers, move |result| match result {
                Ok(_) => {
                    let secs = (js_sys::Date::now() - start) / 1000.0;
                    let report = json!({
                        "workers": workers, "members": members, "steps": steps, "width": width,
                        "wall_seconds": secs, "gflop": flop / 1e9, "gflop_per_second": flop / secs / 1e9,
                    });
                    let _ = resolve.call1(&JsValue::NULL, &JsValue::from_str(&report.to_string()));
                }
                Err(e) => {
                    let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(&e));
                }
            });
        });
    })
}

/// Runs the ensemble job `spec_json` (an [`EnsembleSpec`] as JSON) in `workers` workers and
/// resolves to its merged statistics as JSON (for comparing the browser with the native
/// `ntk ensemble` on the same spec); rejects with the error.
#[wasm_bindgen]
pub fn run_pool_job(spec_json: String, workers: usize) -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, reject| {
        let spec: EnsembleSpec = match serde_json::from_str(&spec_json) {
            Ok(spec) => spec,
            Err(e) => {
                let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(&format!("bad spec: {e}")));
                return;
            }
        };
        run_job(spec, workers, move |result| {
            let (f, v) = match result {
                Ok(stats) => (&resolve, serde_json::to_string(&stats).unwrap_or_default()),
                Err(e) => (&reject, e),
            };
            let _ = f.call1(&JsValue::NULL, &JsValue::from_str(&v));
        });
    })
}

/// The page's workers as JSON `{current, stale, memory, heap}`: workers running a task of a
/// current run, workers still busy with a task of a replaced or cancelled run (see
/// [`worker_census`]), the bytes of the page's wasm memory (its high-water mark) and the bytes
/// its Rust code holds now ([`crate::heap::heap_in_use`]).
#[wasm_bindgen]
pub fn page_workers() -> String {
    let (current, stale) = worker_census();
    let memory = wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map_or(0.0, |m| f64::from(m.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length()));
    json!({ "current": current, "stale": stale, "memory": memory, "heap": crate::heap::heap_in_use() })
        .to_string()
}
