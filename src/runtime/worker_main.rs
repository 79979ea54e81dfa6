//! The worker side of the runtime: the entry point a worker calls once its wasm is loaded. It
//! runs one task per [`ToWorker::Run`] message with the core and posts its progress (at most
//! every [`PROGRESS_INTERVAL_MS`]) and its output.

use std::ops::ControlFlow;

use ntk_core::experiments::catapult_network::{run_network, run_network_ensemble, CatapultNetworkSpec};
use ntk_core::experiments::widths::{run_width_members, WidthSweepSpec};
use ntk_core::nets::ensemble::{run_members, EnsembleSpec};
use ntk_core::theory::gp::GpKernels;
use ntk_core::Architecture;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::protocol::{CatapultJob, CatapultRun, FromWorker, JobId, Output, Progress, ToWorker, Work};
use crate::problem::rows;

/// Progress messages are posted at most this often (ms).
pub const PROGRESS_INTERVAL_MS: f64 = 100.0;

/// Entry point of a worker: installs the message handler and posts [`FromWorker::Ready`].
/// Called by the worker's bootstrap script (see [`super::spawn`]).
#[wasm_bindgen]
pub fn worker_main() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let Some(text) = ev.data().as_string() else { return };
        match serde_json::from_str::<ToWorker>(&text) {
            Ok(ToWorker::Run { job, work }) => {
                let mut reporter = Reporter::new(&reply_to, job);
                let result = run(&work, &mut reporter);
                post(&reply_to, &FromWorker::Done { job, result });
            }
            Ok(ToWorker::Crash) => panic!("worker crash requested by the page"),
            Err(e) => {
                post(&reply_to, &FromWorker::Unreadable { message: format!("unreadable message: {e}") })
            }
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&scope, &FromWorker::Ready);
}

/// Posts a task's progress, at most every [`PROGRESS_INTERVAL_MS`].
struct Reporter<'a> {
    scope: &'a DedicatedWorkerGlobalScope,
    job: JobId,
    last_post: f64,
}

impl<'a> Reporter<'a> {
    fn new(scope: &'a DedicatedWorkerGlobalScope, job: JobId) -> Self {
        Reporter { scope, job, last_post: js_sys::Date::now() }
    }

    /// Reports `progress` if the last report is old enough; never asks to stop (a task is
    /// cancelled by terminating its worker).
    fn report(&mut self, progress: Progress) -> ControlFlow<()> {
        let now = js_sys::Date::now();
        if now - self.last_post >= PROGRESS_INTERVAL_MS {
            self.last_post = now;
            post(self.scope, &FromWorker::Progress { job: self.job, progress });
        }
        ControlFlow::Continue(())
    }
}

/// Runs one task.
fn run(work: &Work, reporter: &mut Reporter) -> Result<Output, String> {
    match work {
        Work::Ensemble { spec, members } => ensemble(spec, members.0..members.1, reporter),
        Work::Kernels { arch, x_train, x_test } => gp_kernels(arch, x_train, x_test).map(Output::Kernels),
        Work::Catapult(job) => catapult(job, reporter).map(Output::Catapult),
        Work::Width { spec, width, axis_value, seeds } => {
            width_point(spec, *width, *axis_value, seeds.0..seeds.1, reporter)
        }
    }
}

/// Trains members `members` of `spec`.
fn ensemble(
    spec: &EnsembleSpec,
    members: std::ops::Range<usize>,
    reporter: &mut Reporter,
) -> Result<Output, String> {
    let total = (spec.steps.max(1) as f64) * members.len().max(1) as f64;
    run_members(spec, members, |p| {
        let done = p.members_done as f64 * spec.steps as f64 + p.step as f64;
        reporter.report(Progress {
            fraction: (done / total).min(1.0),
            unit: Some(p.member),
            step: Some(p.step),
        })
    })
    .map(Output::Ensemble)
    .map_err(|e| e.to_string())
}

/// The GP kernels of `arch` on the points (one point per entry).
fn gp_kernels(arch: &Architecture, x_train: &[Vec<f64>], x_test: &[Vec<f64>]) -> Result<GpKernels, String> {
    let dims = x_train.iter().chain(x_test).map(Vec::len).collect::<std::collections::BTreeSet<_>>();
    if dims.len() > 1 {
        return Err("points of different dimensions".to_string());
    }
    GpKernels::compute(arch, &rows(x_train), &rows(x_test)).map_err(|e| e.to_string())
}

/// Trains the networks of a catapult job.
fn catapult(job: &CatapultJob, reporter: &mut Reporter) -> Result<CatapultRun, String> {
    let per = job.network.steps as f64 + 1.0;
    let total = per * (1 + job.members) as f64;
    let mut report =
        |done: f64| reporter.report(Progress { fraction: (done / total).min(1.0), unit: None, step: None });
    let wide = job.network.clone().with_eta_lambda0(job.eta_lambda0).map_err(|e| e.to_string())?;
    let network = run_network(&wide, |k| report(k as f64)).map_err(|e| e.to_string())?;
    let members = if job.members == 0 {
        Vec::new()
    } else {
        let small = CatapultNetworkSpec { width: job.member_width, ..job.network.clone() }
            .with_eta_lambda0(job.eta_lambda0)
            .map_err(|e| e.to_string())?;
        run_network_ensemble(&small, job.members, |m, k| report(per * (1 + m) as f64 + k as f64))
            .map_err(|e| e.to_string())?
    };
    Ok(CatapultRun { network, members })
}

/// Trains seeds `seeds` of one width of a sweep.
fn width_point(
    spec: &WidthSweepSpec,
    width: usize,
    axis_value: Option<usize>,
    seeds: std::ops::Range<usize>,
    reporter: &mut Reporter,
) -> Result<Output, String> {
    run_width_members(spec, width, axis_value, seeds, |p| {
        reporter.report(Progress { fraction: p.fraction, unit: Some(p.seed), step: Some(p.step) })
    })
    .map(Output::Width)
    .map_err(|e| e.to_string())
}

fn post(scope: &DedicatedWorkerGlobalScope, msg: &FromWorker) {
    // Posting a string cannot fail (it is structured-cloneable).
    let _ = scope.post_message(&JsValue::from_str(&msg.to_json()));
}
