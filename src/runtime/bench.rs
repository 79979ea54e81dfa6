//! The ensemble benchmark in the browser: the neural-tangents cookbook workload
//! ([`EnsembleSpec::cookbook`]) trained by a pool of `workers` web workers, timed from the
//! start of the job to its last member (workers are started and warmed up first). Called from
//! the page's JS (`window.wasmBindings.run_pool_benchmark(…)`) by `cargo xtask bench-browser`.

use std::cell::RefCell;
use std::rc::Rc;

use ntk_core::nets::ensemble::EnsembleSpec;
use serde_json::json;
use wasm_bindgen::prelude::*;

use super::{PoolEvent, PoolOptions, WorkerPool};

/// Runs `f` once, after the current event (outside any pool callback).
fn later(f: impl FnOnce() + 'static) {
    let f = Closure::once_into_js(f);
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback(f.unchecked_ref());
    }
}

/// Creates a pool of `workers` workers reporting to `on_event` and starts `first` in it; the
/// pool lives in the returned slot (empty, and `reject` called, if it cannot start).
fn start_pool(
    workers: usize,
    slot: &Rc<RefCell<Option<WorkerPool>>>,
    on_event: impl Fn(PoolEvent) + 'static,
    first: EnsembleSpec,
    reject: &js_sys::Function,
) {
    match WorkerPool::new(PoolOptions { workers, stall_timeout_ms: 120_000.0 }, on_event) {
        Ok(pool) => {
            pool.start(first);
            *slot.borrow_mut() = Some(pool);
        }
        Err(e) => {
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(&e));
        }
    }
}

/// Trains `members` cookbook networks of width `width` for `steps` steps in `workers` workers
/// and resolves to a JSON string `{workers, members, steps, width, wall_seconds, gflop,
/// gflop_per_second}` (FLOP counted as 6·N·weights per step and member), or rejects with the
/// pool's error.
#[wasm_bindgen]
pub fn run_pool_benchmark(workers: usize, members: usize, steps: u32, width: usize) -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, reject| {
        let spec = EnsembleSpec::cookbook(members, u64::from(steps), width, 2);
        let flop = spec.flops_per_step() * spec.steps as f64 * spec.members as f64;
        // Phase 0: warm-up job (one short member per worker); phase 1: the timed job.
        let phase = Rc::new(RefCell::new((0u32, 0.0f64)));
        let pool_slot: Rc<RefCell<Option<WorkerPool>>> = Rc::default();
        let (slot, timed_spec, reject_failed) = (Rc::clone(&pool_slot), spec.clone(), reject.clone());
        let on_event = move |event: PoolEvent| match event {
            PoolEvent::Done { .. } => {
                let mut ph = phase.borrow_mut();
                if ph.0 == 0 {
                    *ph = (1, js_sys::Date::now());
                    let (slot, spec) = (Rc::clone(&slot), timed_spec.clone());
                    later(move || {
                        if let Some(pool) = slot.borrow().as_ref() {
                            pool.start(spec);
                        }
                    });
                } else {
                    let secs = (js_sys::Date::now() - ph.1) / 1000.0;
                    let report = json!({
                        "workers": workers, "members": members, "steps": steps, "width": width,
                        "wall_seconds": secs, "gflop": flop / 1e9, "gflop_per_second": flop / secs / 1e9,
                    });
                    let _ = resolve.call1(&JsValue::NULL, &JsValue::from_str(&report.to_string()));
                    let slot = Rc::clone(&slot);
                    later(move || drop(slot.borrow_mut().take()));
                }
            }
            PoolEvent::Failed { message, .. } => {
                let _ = reject_failed.call1(&JsValue::NULL, &JsValue::from_str(&message));
            }
            _ => {}
        };
        let warm_up = EnsembleSpec::cookbook(workers.max(1), 1, width, 2);
        start_pool(workers, &pool_slot, on_event, warm_up, &reject);
    })
}

/// Runs the ensemble job `spec_json` (an [`EnsembleSpec`] as JSON) in a pool of `workers`
/// workers and resolves to its merged statistics as JSON (for comparing the browser with the
/// native `ntk ensemble` on the same spec); rejects with the error.
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
        let pool_slot: Rc<RefCell<Option<WorkerPool>>> = Rc::default();
        let (slot, reject_failed) = (Rc::clone(&pool_slot), reject.clone());
        let on_event = move |event: PoolEvent| match event {
            PoolEvent::Done { stats, .. } => {
                let json = serde_json::to_string(&stats).unwrap_or_default();
                let _ = resolve.call1(&JsValue::NULL, &JsValue::from_str(&json));
                let slot = Rc::clone(&slot);
                later(move || drop(slot.borrow_mut().take()));
            }
            PoolEvent::Failed { message, .. } => {
                let _ = reject_failed.call1(&JsValue::NULL, &JsValue::from_str(&message));
            }
            _ => {}
        };
        start_pool(workers, &pool_slot, on_event, spec, &reject);
    })
}
