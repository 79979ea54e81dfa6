//! The worker side of the runtime: the entry point a worker calls once its wasm is loaded. It
//! trains one member per [`ToWorker::RunMember`] message with the core's ensemble runner and
//! posts progress (at most every [`PROGRESS_INTERVAL_MS`]) and the member's statistics; it
//! computes GP kernels per [`ToWorker::Kernels`] message (the page's kernel worker), and one
//! width of a width sweep per [`ToWorker::Width`] message.

use std::ops::ControlFlow;

use nalgebra::DMatrix;
use ntk_core::experiments::catapult_network::{run_network, run_network_ensemble, CatapultNetworkSpec};
use ntk_core::experiments::widths::{run_width_members, WidthPoint, WidthSweepSpec};
use ntk_core::nets::ensemble::{run_members, EnsembleSpec};
use ntk_core::theory::gp::GpKernels;
use ntk_core::Architecture;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::protocol::{CatapultJob, CatapultRun, FromWorker, ToWorker};

/// Progress messages are posted at most this often (ms).
pub const PROGRESS_INTERVAL_MS: f64 = 100.0;

/// Entry point of an ensemble worker: installs the message handler and posts
/// [`FromWorker::Ready`]. Called by the worker's bootstrap script (see [`super::spawn`]).
#[wasm_bindgen]
pub fn ensemble_worker_main() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let Some(text) = ev.data().as_string() else { return };
        match serde_json::from_str::<ToWorker>(&text) {
            Ok(ToWorker::RunMember { generation, member, spec }) => {
                train_member(&reply_to, generation, member, &spec)
            }
            Ok(ToWorker::Kernels { request, arch, x_train, x_test }) => {
                let result = gp_kernels(&arch, &x_train, &x_test);
                post(&reply_to, &FromWorker::Kernels { request, result });
            }
            Ok(ToWorker::Catapult { request, job }) => {
                let result = run_catapult(&reply_to, request, &job);
                post(&reply_to, &FromWorker::Catapult { request, result });
            }
            Ok(ToWorker::Width { request, spec, width, axis_value, seeds_start, seeds_end }) => {
                let result =
                    run_width_job(&reply_to, request, &spec, width, axis_value, seeds_start..seeds_end);
                post(&reply_to, &FromWorker::WidthDone { request, result });
            }
            Ok(ToWorker::Crash) => panic!("worker crash requested by the page"),
            Err(e) => post(
                &reply_to,
                &FromWorker::Failed { generation: 0, message: format!("unreadable message: {e}") },
            ),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&scope, &FromWorker::Ready);
}

/// The GP kernels of `arch` on the points (one point per entry).
fn gp_kernels(arch: &Architecture, x_train: &[Vec<f64>], x_test: &[Vec<f64>]) -> Result<GpKernels, String> {
    let rows = |x: &[Vec<f64>]| {
        let d = x.first().map_or(1, Vec::len);
        if x.iter().any(|p| p.len() != d) {
            return Err("points of different dimensions".to_string());
        }
        Ok(DMatrix::from_fn(x.len(), d, |i, j| x[i][j]))
    };
    GpKernels::compute(arch, &rows(x_train)?, &rows(x_test)?).map_err(|e| e.to_string())
}

/// Trains the networks of a catapult job, posting progress at most every
/// [`PROGRESS_INTERVAL_MS`].
fn run_catapult(
    scope: &DedicatedWorkerGlobalScope,
    request: u64,
    job: &CatapultJob,
) -> Result<CatapultRun, String> {
    let total = (job.network.steps as f64 + 1.0) * (1 + job.members) as f64;
    let mut last_post = js_sys::Date::now();
    let mut report = |done: f64| {
        let now = js_sys::Date::now();
        if now - last_post >= PROGRESS_INTERVAL_MS {
            last_post = now;
            post(scope, &FromWorker::CatapultProgress { request, fraction: (done / total).min(1.0) });
        }
        ControlFlow::Continue(())
    };
    let wide = job.network.clone().with_eta_lambda0(job.eta_lambda0).map_err(|e| e.to_string())?;
    let network = run_network(&wide, |k| report(k as f64)).map_err(|e| e.to_string())?;
    let members = if job.members == 0 {
        Vec::new()
    } else {
        let small = CatapultNetworkSpec { width: job.member_width, ..job.network.clone() }
            .with_eta_lambda0(job.eta_lambda0)
            .map_err(|e| e.to_string())?;
        let per = job.network.steps as f64 + 1.0;
        run_network_ensemble(&small, job.members, |m, k| report(per * (1 + m) as f64 + k as f64))
            .map_err(|e| e.to_string())?
    };
    Ok(CatapultRun { network, members })
}

/// Trains seeds `seeds` of one width of a sweep, posting progress at most every
/// [`PROGRESS_INTERVAL_MS`].
fn run_width_job(
    scope: &DedicatedWorkerGlobalScope,
    request: u64,
    spec: &WidthSweepSpec,
    width: usize,
    axis_value: Option<usize>,
    seeds: std::ops::Range<usize>,
) -> Result<WidthPoint, String> {
    let mut last_post = js_sys::Date::now();
    run_width_members(spec, width, axis_value, seeds, |p| {
        let now = js_sys::Date::now();
        if now - last_post >= PROGRESS_INTERVAL_MS {
            last_post = now;
            let msg = FromWorker::WidthProgress { request, seed: p.seed, step: p.step, fraction: p.fraction };
            post(scope, &msg);
        }
        ControlFlow::Continue(())
    })
    .map_err(|e| e.to_string())
}

fn post(scope: &DedicatedWorkerGlobalScope, msg: &FromWorker) {
    // Posting a string cannot fail (it is structured-cloneable).
    let _ = scope.post_message(&JsValue::from_str(&msg.to_json()));
}

fn train_member(scope: &DedicatedWorkerGlobalScope, generation: u64, member: usize, spec: &EnsembleSpec) {
    let mut last_post = js_sys::Date::now();
    let result = run_members(spec, member..member + 1, |p| {
        let now = js_sys::Date::now();
        if now - last_post >= PROGRESS_INTERVAL_MS {
            last_post = now;
            post(scope, &FromWorker::Progress { generation, member, step: p.step });
        }
        ControlFlow::Continue(())
    });
    let reply = match result {
        Ok(stats) => FromWorker::MemberDone { generation, member, stats },
        Err(e) => FromWorker::Failed { generation, message: e.to_string() },
    };
    post(scope, &reply);
}
