//! The worker side of the runtime: the entry point a worker calls once its wasm is loaded. It
//! runs one task per [`ToWorker::Run`] message with the core and posts its progress (at most
//! every [`PROGRESS_INTERVAL_MS`]) and its output.
//!
//! Ensemble and one-network tasks are cooperative: they train in chunks of about [`CHUNK_MS`]
//! and yield to the worker's event loop between chunks (through a `MessageChannel`, which has
//! no timer clamping), posting each checkpoint as soon as it is reached (for an ensemble, once
//! all the task's members reach it); a [`ToWorker::Cancel`] read between chunks stops it, so a
//! new run starts without restarting the worker. The other tasks run to the end in one go
//! (they are cancelled by terminating the worker).

use std::cell::RefCell;
use std::ops::ControlFlow;

use ntk_core::experiments::catapult_network::{
    run_network_ensemble, run_network_with, CatapultNetworkSpec, TaylorModels,
};
use ntk_core::experiments::kernel_convergence::run_convergence_width;
use ntk_core::experiments::single::{SingleAdvance, SingleRunner, SingleSpec};
use ntk_core::experiments::trainability::run_cell;
use ntk_core::experiments::widths::{run_width_members, WidthSweepSpec};
use ntk_core::nets::ensemble::{Advance, EnsembleRunner, EnsembleSpec};
use ntk_core::theory::gp::GpKernels;
use ntk_core::theory::phase::{gram_conditioning, phase_rows, point_report, DEFAULT_Q0};
use ntk_core::Architecture;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageChannel, MessageEvent};

use super::protocol::{
    CatapultJob, CatapultRun, FromWorker, JobId, Output, Part, PhasePointJob, PhasePointResult, Progress,
    ToWorker, Work,
};
use crate::problem::rows;

/// Progress messages are posted at most this often (ms).
pub const PROGRESS_INTERVAL_MS: f64 = 100.0;
/// Target duration of one chunk of a cooperative task (ms): short enough that a cancel is read
/// within a frame, long enough that yielding costs nothing measurable.
pub const CHUNK_MS: f64 = 12.0;
/// Work of the first chunk (FLOP), before the worker has measured its speed.
const FIRST_CHUNK_FLOP: f64 = 2e7;

/// The runner of a cooperative task.
enum Runner {
    Ensemble(Box<EnsembleRunner>),
    Single(Box<SingleRunner>),
}

/// What one chunk of a cooperative task produced.
enum Chunk {
    /// a part to post, then go on
    Part(Part),
    /// nothing to post yet
    Working,
    /// the task ended with this output
    Done(Output),
}

impl Runner {
    /// About `budget` FLOP of work.
    fn advance(&mut self, budget: f64) -> Result<Chunk, String> {
        match self {
            Runner::Ensemble(r) => Ok(match r.advance(budget).map_err(|e| e.to_string())? {
                Advance::Checkpoint(batch) => Chunk::Part(Part::Ensemble(batch)),
                Advance::Working { .. } => Chunk::Working,
                Advance::Done => Chunk::Done(Output::Ensemble),
            }),
            Runner::Single(r) => Ok(match r.advance(budget).map_err(|e| e.to_string())? {
                SingleAdvance::Checkpoint(c) => Chunk::Part(Part::Single(c)),
                SingleAdvance::Working { .. } => Chunk::Working,
                SingleAdvance::Diverged(d) => Chunk::Done(Output::Single(Some(d))),
                SingleAdvance::Done => Chunk::Done(Output::Single(None)),
            }),
        }
    }

    /// Where the task is.
    fn progress(&self) -> Progress {
        match self {
            Runner::Ensemble(r) => Progress {
                fraction: r.steps_done() as f64 / r.steps_total().max(1) as f64,
                unit: r.first_unfinished(),
                step: Some(r.min_step()),
            },
            Runner::Single(r) => Progress {
                fraction: r.step() as f64 / r.spec().steps.max(1) as f64,
                unit: None,
                step: Some(r.step()),
            },
        }
    }
}

/// A cooperative task in progress.
struct Stream {
    job: JobId,
    runner: Runner,
    /// FLOP per chunk, adapted to take about [`CHUNK_MS`]
    budget: f64,
    last_progress: f64,
}

/// A channel whose port 1 runs the next chunk when port 2 posts to it, and that handler.
type ChunkChannel = (MessageChannel, Closure<dyn FnMut(MessageEvent)>);

thread_local! {
    static STREAM: RefCell<Option<Stream>> = const { RefCell::new(None) };
    /// A chunk is already scheduled (one chain of chunks at a time, across cancels).
    static SCHEDULED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static SCOPE: RefCell<Option<DedicatedWorkerGlobalScope>> = const { RefCell::new(None) };
    /// The channel through which a chunk schedules the next one, and its handler.
    static CHANNEL: RefCell<Option<ChunkChannel>> = const { RefCell::new(None) };
}

/// Entry point of a worker: installs the message handler and posts [`FromWorker::Ready`].
/// Called by the worker's bootstrap script (see [`super::spawn`]).
#[wasm_bindgen]
pub fn worker_main() {
    // A panic is a bug: it is logged, and its message goes to the page, which reports it with
    // the worker's loss (the worker stops right after).
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        if let Some(scope) = SCOPE.with(|s| s.borrow().clone()) {
            post(&scope, &FromWorker::Panicked { message: info.to_string() });
        }
    }));
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let Some(text) = ev.data().as_string() else { return };
        match serde_json::from_str::<ToWorker>(&text) {
            Ok(ToWorker::Run { job, work: Work::Ensemble { spec, members } }) => {
                start_ensemble(&reply_to, job, &spec, members.0..members.1)
            }
            Ok(ToWorker::Run { job, work: Work::Single(spec) }) => start_single(&reply_to, job, &spec),
            Ok(ToWorker::Run { job, work }) => {
                let mut reporter = Reporter::new(&reply_to, job);
                let result = run(&work, &mut reporter);
                post(&reply_to, &FromWorker::Done { job, result });
            }
            Ok(ToWorker::Cancel { generation }) => {
                let stopped = STREAM.with(|s| {
                    let mut s = s.borrow_mut();
                    s.as_ref().filter(|st| st.job.generation <= generation)?;
                    s.take().map(|st| st.job)
                });
                if let Some(job) = stopped {
                    post(&reply_to, &FromWorker::Cancelled { job });
                }
            }
            #[cfg(feature = "test-hooks")]
            Ok(ToWorker::Crash) => panic!("worker crash requested by the page"),
            Err(e) => {
                post(&reply_to, &FromWorker::Unreadable { message: format!("unreadable message: {e}") })
            }
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    SCOPE.with(|s| *s.borrow_mut() = Some(scope.clone()));
    post(&scope, &FromWorker::Ready);
}

/// Starts a cooperative ensemble task (replacing any still running, which the page has
/// abandoned).
fn start_ensemble(
    scope: &DedicatedWorkerGlobalScope,
    job: JobId,
    spec: &EnsembleSpec,
    members: std::ops::Range<usize>,
) {
    match EnsembleRunner::new(spec, members) {
        Ok(runner) => start_stream(job, Runner::Ensemble(Box::new(runner))),
        Err(e) => post(scope, &FromWorker::Done { job, result: Err(e.to_string()) }),
    }
}

/// Starts a cooperative one-network task: posts what is known at the start (the followed
/// weights, Θ̂₀'s landmarks), then trains in chunks.
fn start_single(scope: &DedicatedWorkerGlobalScope, job: JobId, spec: &SingleSpec) {
    match SingleRunner::new(spec) {
        Ok(runner) => {
            post(scope, &FromWorker::Partial { job, part: Part::SingleStart(runner.start_info().clone()) });
            start_stream(job, Runner::Single(Box::new(runner)));
        }
        Err(e) => post(scope, &FromWorker::Done { job, result: Err(e.to_string()) }),
    }
}

/// Makes `runner` the cooperative task (replacing any still running, which the page has
/// abandoned) and schedules its first chunk.
fn start_stream(job: JobId, runner: Runner) {
    let stream = Stream { job, runner, budget: FIRST_CHUNK_FLOP, last_progress: js_sys::Date::now() };
    STREAM.with(|s| *s.borrow_mut() = Some(stream));
    schedule_chunk();
}

/// Runs the next chunk after the event loop has had a turn (messages first), unless one is
/// scheduled already.
fn schedule_chunk() {
    if SCHEDULED.replace(true) {
        return;
    }
    CHANNEL.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            let Ok(channel) = MessageChannel::new() else { return };
            let handler = Closure::<dyn FnMut(MessageEvent)>::new(|_: MessageEvent| run_chunk());
            channel.port1().set_onmessage(Some(handler.as_ref().unchecked_ref()));
            *c = Some((channel, handler));
        }
        if let Some((channel, _)) = c.as_ref() {
            let _ = channel.port2().post_message(&JsValue::NULL);
        }
    });
}

/// One chunk of the cooperative task: about [`CHUNK_MS`] of training; posts the batch of a
/// checkpoint reached, progress now and then, and the end.
fn run_chunk() {
    SCHEDULED.set(false);
    let Some(scope) = SCOPE.with(|s| s.borrow().clone()) else { return };
    let Some(mut stream) = STREAM.with(|s| s.borrow_mut().take()) else { return };
    let start = js_sys::Date::now();
    let job = stream.job;
    let outcome = stream.runner.advance(stream.budget);
    let now = js_sys::Date::now();
    match outcome {
        Ok(Chunk::Done(output)) => return post(&scope, &FromWorker::Done { job, result: Ok(output) }),
        Err(e) => return post(&scope, &FromWorker::Done { job, result: Err(e) }),
        Ok(Chunk::Part(part)) => post(&scope, &FromWorker::Partial { job, part }),
        Ok(Chunk::Working) => {}
    }
    if now - stream.last_progress >= PROGRESS_INTERVAL_MS {
        stream.last_progress = now;
        post(&scope, &FromWorker::Progress { job, progress: stream.runner.progress() });
    }
    // Aim the next chunk at CHUNK_MS (by at most a factor 2 per chunk, against timer noise).
    let elapsed = (now - start).max(0.5);
    stream.budget = (stream.budget * (CHUNK_MS / elapsed).clamp(0.5, 2.0)).clamp(1e5, 1e10);
    STREAM.with(|s| *s.borrow_mut() = Some(stream));
    schedule_chunk();
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
        Work::Ensemble { .. } | Work::Single(_) => Err("this task runs cooperatively".to_string()),
        Work::Kernels { arch, x_train, x_test } => gp_kernels(arch, x_train, x_test).map(Output::Kernels),
        Work::Catapult(job) => catapult(job, reporter).map(Output::Catapult),
        Work::Width { spec, width, axis_value, seeds } => {
            width_point(spec, *width, *axis_value, seeds.0..seeds.1, reporter)
        }
        Work::PhaseRows { spec, rows } => {
            phase_rows(spec, rows.0..rows.1).map(Output::PhaseRows).map_err(|e| e.to_string())
        }
        Work::PhasePoint(job) => phase_point_panels(job).map(|r| Output::PhasePoint(Box::new(r))),
        Work::Convergence { spec, width } => run_convergence_width(spec, *width, |p| {
            let fraction = p.networks_done as f64 / p.networks.max(1) as f64;
            reporter.report(Progress { fraction, unit: None, step: None })
        })
        .map(|point| Output::Convergence(Box::new(point)))
        .map_err(|e| e.to_string()),
        Work::Trainability { spec, cell } => {
            let steps = spec.steps as f64 * spec.seeds as f64;
            run_cell(spec, cell.0, cell.1, 0..spec.seeds, |p| {
                let done = p.seed as f64 * spec.steps as f64 + p.step as f64;
                reporter.report(Progress {
                    fraction: (done / steps).min(1.0),
                    unit: Some(p.seed),
                    step: Some(p.step),
                })
            })
            .map(|c| Output::Trainability(Box::new(c)))
            .map_err(|e| e.to_string())
        }
    }
}

/// The correlation map and the Gram conditioning of a point.
fn phase_point_panels(job: &PhasePointJob) -> Result<PhasePointResult, String> {
    let report = point_report(job.activation, job.sw2, job.sb2, DEFAULT_Q0, &job.c0s, job.layers)
        .map_err(|e| e.to_string())?;
    let x = nalgebra::DMatrix::from_row_iterator(
        job.x_train.len(),
        job.x_train.first().map_or(0, Vec::len),
        job.x_train.iter().flatten().copied(),
    );
    let conditioning =
        gram_conditioning(job.activation, job.sw2, job.sb2, &x, job.max_depth).map_err(|e| e.to_string());
    Ok(PhasePointResult { report, conditioning })
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
    let models = if job.quadratic { TaylorModels::Both } else { TaylorModels::None };
    let network = run_network_with(&wide, models, |k| report(k as f64)).map_err(|e| e.to_string())?;
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
    .map(|p| Output::Width(Box::new(p)))
    .map_err(|e| e.to_string())
}

fn post(scope: &DedicatedWorkerGlobalScope, msg: &FromWorker) {
    // Posting a string cannot fail (it is structured-cloneable).
    let _ = scope.post_message(&JsValue::from_str(&msg.to_json()));
}
