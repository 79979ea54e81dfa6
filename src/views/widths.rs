//! The width-scaling lab (paper Theorem 2.1, Figure 1, Figure S5): how far networks of growing
//! width n are from their linearization and from the infinite-width kernel.
//!
//! A sweep is minutes of compute, so it runs when the user presses "Run sweep" (not on every
//! change). It is refused before any work when the core refuses it or when it is too large for
//! a tab ([`plan_sweep`]: [`WORKER_MEMORY_CAP`] per worker, [`MAX_SWEEP_FLOP`] in all). Its
//! jobs — one per (axis value, width, seed range) — run in one or two [`JobWorker`]s
//! (`navigator.hardwareConcurrency − 1`, at least 1); the page merges each finished job into its
//! points ([`WidthPoint::merge`]) and refits the slopes ([`SweepResult::assemble`]) as results
//! arrive. Cancel terminates the workers; results stay when another tab is shown (the view
//! stays mounted).

use std::cell::RefCell;
use std::collections::VecDeque;

use leptos::prelude::*;
use ntk_core::datasets::Target1d;
use ntk_core::experiments::widths::{
    estimate_bytes, estimate_flop, SweepResult, WidthPoint, WidthSweepSpec, REFERENCE_SLOPES,
};
use ntk_core::Activation;

use crate::app::{write_url, View};
use crate::components::controls::{Scale, SelectControl, SliderControl};
use crate::plot::widths_plot::{draw_widths_plot, legend_text, WidthsPlot};
use crate::runtime::job_worker::{JobEvent, JobWorker};
use crate::runtime::protocol::{FromWorker, ToWorker};
use crate::runtime::PoolOptions;
use crate::state::{activation_name, ACTIVATIONS};
use crate::widths_state::{
    parse_axis_values, AxisChoice, WidthsParams, MAX_BROWSER_DEPTH, MAX_BROWSER_SEEDS, MAX_BROWSER_STEPS,
    MAX_BROWSER_TRAIN, MAX_BROWSER_WIDTH, MIN_BROWSER_WIDTH,
};

/// Most training FLOP one sweep may ask for: 3·10¹², the explorer's
/// [`crate::model::MAX_JOB_FLOP`] (about 5 minutes on two cores in a tab).
pub const MAX_SWEEP_FLOP: f64 = 3e12;

/// Memory cap per worker (bytes): 1 GiB, so that two workers fit a 32-bit tab's heap.
pub const WORKER_MEMORY_CAP: u64 = 1 << 30;

/// Most workers a sweep uses.
pub const MAX_SWEEP_WORKERS: usize = 2;

/// One job of a sweep: seeds `seeds.0..seeds.1` of one width at one axis value.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepJob {
    /// the second-axis value (`None` without an axis)
    pub axis_value: Option<usize>,
    /// hidden width n
    pub width: usize,
    /// seed range (start, end)
    pub seeds: (usize, usize),
}

/// A sweep accepted for the page: the core's spec, its jobs in run order, and its estimates.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPlan {
    /// the core's sweep
    pub spec: WidthSweepSpec,
    /// jobs, smallest width first (each width's seeds split over the workers)
    pub jobs: Vec<SweepJob>,
    /// estimated FLOP ([`estimate_flop`])
    pub flop: f64,
    /// estimated peak bytes per worker ([`estimate_bytes`])
    pub bytes: u64,
}

/// Plans the sweep of `params` for `workers` workers, or refuses it before any work: a spec the
/// core rejects ([`WidthSweepSpec::validate_with_cap`] with [`WORKER_MEMORY_CAP`]), or more
/// than [`MAX_SWEEP_FLOP`] ([`estimate_flop`]).
///
/// # Errors
/// A one-line message saying what is too large and what to lower.
pub fn plan_sweep(params: &WidthsParams, workers: usize) -> Result<SweepPlan, String> {
    let spec = params.to_spec().map_err(|e| format!("This sweep cannot run: {e}"))?;
    spec.validate_with_cap(WORKER_MEMORY_CAP).map_err(|e| format!("This sweep is refused: {e}"))?;
    let flop = estimate_flop(&spec);
    if flop > MAX_SWEEP_FLOP {
        return Err(format!(
            "This sweep is refused: it needs about {flop:.1e} FLOP, above the page's limit of \
             {MAX_SWEEP_FLOP:.0e} (about 5 minutes on two cores): lower the largest width, the \
             seeds, the steps or the axis values, or run it natively with `ntk widths`"
        ));
    }
    let chunks = workers.clamp(1, spec.seeds);
    let bounds: Vec<usize> = (0..=chunks).map(|c| c * spec.seeds / chunks).collect();
    let mut jobs = Vec::new();
    for &width in &spec.widths {
        for axis_value in spec.axis.values() {
            for c in 0..chunks {
                if bounds[c] < bounds[c + 1] {
                    jobs.push(SweepJob { axis_value, width, seeds: (bounds[c], bounds[c + 1]) });
                }
            }
        }
    }
    let bytes = estimate_bytes(&spec);
    Ok(SweepPlan { spec, jobs, flop, bytes })
}

/// Where a sweep is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    /// nothing run yet
    #[default]
    Idle,
    /// refused before any work (see [`SweepState::message`])
    Refused,
    /// jobs running
    Running,
    /// every job finished
    Done,
    /// cancelled by the user (finished points kept)
    Cancelled,
    /// stopped by an error (see [`SweepState::message`])
    Failed,
}

/// The progress of one (axis value, width) point.
#[derive(Clone, Debug, PartialEq)]
pub struct PointStatus {
    /// the second-axis value
    pub axis_value: Option<usize>,
    /// hidden width n
    pub width: usize,
    /// seeds of the point
    pub seeds_total: usize,
    /// seeds finished
    pub seeds_done: usize,
    /// seeds' worth of work in progress (Σ fraction × seeds over running jobs)
    pub in_flight: f64,
    /// the (seed, step) a worker last reported
    pub current: Option<(usize, u64)>,
    /// seeds that diverged
    pub diverged: usize,
    /// the first step at which one diverged
    pub first_divergence: Option<u64>,
    /// why it failed
    pub error: Option<String>,
}

/// The sweep shown on the page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepState {
    /// run id (0: none yet)
    pub run: u64,
    /// the parameters it was run with
    pub params: Option<WidthsParams>,
    /// its spec
    pub spec: Option<WidthSweepSpec>,
    /// where it is
    pub phase: Phase,
    /// refusal or failure message
    pub message: Option<String>,
    /// merged points so far
    pub points: Vec<WidthPoint>,
    /// the points assembled into series with slopes
    pub result: Option<SweepResult>,
    /// per point, in run order
    pub statuses: Vec<PointStatus>,
    /// worker deaths and merge problems
    pub incidents: Vec<String>,
    /// jobs finished / in all
    pub jobs_done: usize,
    /// jobs in all
    pub jobs_total: usize,
    /// workers used
    pub workers: usize,
    /// estimated FLOP
    pub flop: f64,
    /// `Date.now()` at the start (ms)
    pub started_ms: f64,
    /// milliseconds from start to done, cancel or failure
    pub elapsed_ms: Option<f64>,
}

impl SweepState {
    /// The fraction of the sweep's seeds done (in-flight work counted).
    pub fn fraction(&self) -> f64 {
        let total: usize = self.statuses.iter().map(|s| s.seeds_total).sum();
        let done: f64 = self.statuses.iter().map(|s| s.seeds_done as f64 + s.in_flight).sum();
        if total == 0 {
            0.0
        } else {
            (done / total as f64).clamp(0.0, 1.0)
        }
    }

    fn status_mut(&mut self, axis_value: Option<usize>, width: usize) -> Option<&mut PointStatus> {
        self.statuses.iter_mut().find(|s| s.axis_value == axis_value && s.width == width)
    }

    /// Adds a finished job's point: merges it into the point of its width and axis value and
    /// reassembles the series (slopes refitted).
    fn add_point(&mut self, point: WidthPoint, seeds: usize) {
        let (axis_value, width) = (point.axis_value, point.width);
        let merged = match self.points.iter_mut().find(|q| q.axis_value == axis_value && q.width == width) {
            Some(q) => q.merge(&point).map(|()| q.clone()),
            None => {
                self.points.push(point.clone());
                Ok(point)
            }
        };
        match merged {
            Ok(p) => {
                if let Some(s) = self.status_mut(axis_value, width) {
                    s.seeds_done += seeds;
                    s.diverged = p.diverged;
                    s.first_divergence = p.seeds.iter().filter_map(|r| r.divergence.map(|d| d.step)).min();
                }
            }
            Err(e) => self.incidents.push(e.to_string()),
        }
        if let Some(spec) = &self.spec {
            match SweepResult::assemble(spec, self.points.clone()) {
                Ok(r) => self.result = Some(r),
                Err(e) => self.incidents.push(e.to_string()),
            }
        }
    }

    fn finish(&mut self, phase: Phase) {
        self.phase = phase;
        self.elapsed_ms = Some(js_sys::Date::now() - self.started_ms);
        for s in &mut self.statuses {
            s.in_flight = 0.0;
            s.current = None;
        }
    }
}

/// The sweep's workers and job queue (the page has one width-scaling view).
#[derive(Default)]
struct Runner {
    workers: Vec<JobWorker>,
    jobs: Vec<SweepJob>,
    queue: VecDeque<usize>,
    /// per worker: (request id, job index) being computed
    busy: Vec<Option<(u64, usize)>>,
    /// per job: already rerun once after a worker died
    retried: Vec<bool>,
    /// per job: fraction reported
    fractions: Vec<f64>,
    spec: Option<WidthSweepSpec>,
    next_request: u64,
    state: Option<RwSignal<SweepState>>,
}

thread_local! {
    static RUNNER: RefCell<Runner> = RefCell::new(Runner { next_request: 1, ..Runner::default() });
}

/// Workers for this browser: cores − 1, within 1 ..= [`MAX_SWEEP_WORKERS`].
pub fn sweep_workers() -> usize {
    let cores = web_sys::window().map_or(1.0, |w| w.navigator().hardware_concurrency());
    PoolOptions::workers_for(cores).min(MAX_SWEEP_WORKERS)
}

fn ensure_workers(count: usize) {
    RUNNER.with(|r| {
        let mut r = r.borrow_mut();
        while r.workers.len() < count {
            let i = r.workers.len();
            r.workers.push(JobWorker::new(move |event| on_worker_event(i, event)));
            r.busy.push(None);
        }
    });
}

/// Stops the running sweep, if any: its workers are terminated and their replies ignored.
fn stop_workers() {
    let busy: Vec<JobWorker> = RUNNER.with(|r| {
        let mut r = r.borrow_mut();
        r.queue.clear();
        let busy: Vec<usize> = (0..r.busy.len()).filter(|&i| r.busy[i].is_some()).collect();
        r.busy.iter_mut().for_each(|b| *b = None);
        busy.into_iter().map(|i| r.workers[i].clone()).collect()
    });
    busy.iter().for_each(JobWorker::cancel);
}

/// Plans and starts the sweep of `params` (stopping any running one), or shows why it is
/// refused.
fn start_sweep(params: &WidthsParams, state: RwSignal<SweepState>) {
    stop_workers();
    let workers = sweep_workers();
    let run = state.with_untracked(|s| s.run) + 1;
    let plan = match plan_sweep(params, workers) {
        Ok(plan) => plan,
        Err(message) => {
            state.set(SweepState {
                run,
                params: Some(params.clone()),
                phase: Phase::Refused,
                message: Some(message),
                ..SweepState::default()
            });
            return;
        }
    };
    let mut statuses: Vec<PointStatus> = Vec::new();
    for job in &plan.jobs {
        if !statuses.iter().any(|s| s.axis_value == job.axis_value && s.width == job.width) {
            statuses.push(PointStatus {
                axis_value: job.axis_value,
                width: job.width,
                seeds_total: plan.spec.seeds,
                seeds_done: 0,
                in_flight: 0.0,
                current: None,
                diverged: 0,
                first_divergence: None,
                error: None,
            });
        }
    }
    state.set(SweepState {
        run,
        params: Some(params.clone()),
        spec: Some(plan.spec.clone()),
        phase: Phase::Running,
        statuses,
        jobs_total: plan.jobs.len(),
        workers,
        flop: plan.flop,
        started_ms: js_sys::Date::now(),
        ..SweepState::default()
    });
    ensure_workers(workers);
    RUNNER.with(|r| {
        let mut r = r.borrow_mut();
        r.queue = (0..plan.jobs.len()).collect();
        r.retried = vec![false; plan.jobs.len()];
        r.fractions = vec![0.0; plan.jobs.len()];
        r.jobs = plan.jobs;
        r.spec = Some(plan.spec);
        r.state = Some(state);
    });
    for i in 0..workers {
        dispatch(i);
    }
}

/// Cancels the running sweep (finished points are kept).
fn cancel_sweep(state: RwSignal<SweepState>) {
    stop_workers();
    state.update(|s| {
        if s.phase == Phase::Running {
            s.finish(Phase::Cancelled);
        }
    });
}

/// Sends the next queued job to worker `i` if it is idle.
fn dispatch(i: usize) {
    let next = RUNNER.with(|r| {
        let mut r = r.borrow_mut();
        if i >= r.workers.len() || r.busy[i].is_some() {
            return None;
        }
        let job = r.queue.pop_front()?;
        let request = r.next_request;
        r.next_request += 1;
        r.busy[i] = Some((request, job));
        let j = &r.jobs[job];
        let message = ToWorker::Width {
            request,
            spec: r.spec.clone()?,
            width: j.width,
            axis_value: j.axis_value,
            seeds_start: j.seeds.0,
            seeds_end: j.seeds.1,
        };
        Some((r.workers[i].clone(), request, message))
    });
    if let Some((worker, request, message)) = next {
        worker.request(request, &message);
    }
}

/// The job worker `i` is computing, if `request` is its current request.
fn current_job(i: usize, request: u64) -> Option<(usize, SweepJob, RwSignal<SweepState>)> {
    RUNNER.with(|r| {
        let r = r.borrow();
        match r.busy.get(i).copied().flatten() {
            Some((req, job)) if req == request => Some((job, r.jobs[job].clone(), r.state?)),
            _ => None,
        }
    })
}

fn on_worker_event(i: usize, event: JobEvent) {
    match event {
        JobEvent::Message(FromWorker::WidthProgress { request, seed, step, fraction }) => {
            let Some((job, j, state)) = current_job(i, request) else { return };
            let in_flight = RUNNER.with(|r| {
                let mut r = r.borrow_mut();
                r.fractions[job] = fraction.clamp(0.0, 1.0);
                let busy: Vec<usize> = r.busy.iter().flatten().map(|b| b.1).collect();
                busy.iter()
                    .filter(|&&b| r.jobs[b].width == j.width && r.jobs[b].axis_value == j.axis_value)
                    .map(|&b| r.fractions[b] * (r.jobs[b].seeds.1 - r.jobs[b].seeds.0) as f64)
                    .sum::<f64>()
            });
            state.update(|s| {
                if let Some(p) = s.status_mut(j.axis_value, j.width) {
                    p.in_flight = in_flight;
                    p.current = Some((seed, step));
                }
            });
        }
        JobEvent::Message(FromWorker::WidthDone { request, result }) => {
            let Some((job, j, state)) = current_job(i, request) else { return };
            RUNNER.with(|r| {
                let mut r = r.borrow_mut();
                r.busy[i] = None;
                r.fractions[job] = 0.0;
            });
            match result {
                Ok(point) => state.update(|s| {
                    s.jobs_done += 1;
                    s.add_point(point, j.seeds.1 - j.seeds.0);
                    if let Some(p) = s.status_mut(j.axis_value, j.width) {
                        p.in_flight = 0.0;
                        p.current = None;
                    }
                }),
                Err(message) => {
                    stop_workers();
                    state.update(|s| {
                        if let Some(p) = s.status_mut(j.axis_value, j.width) {
                            p.error = Some(message.clone());
                        }
                        s.message = Some(format!("width {} failed: {message}", j.width));
                        s.finish(Phase::Failed);
                    });
                    return;
                }
            }
            dispatch(i);
            finish_if_done(state);
        }
        JobEvent::Lost { request, message } => {
            let Some((job, j, state)) = current_job(i, request) else { return };
            let retry = RUNNER.with(|r| {
                let mut r = r.borrow_mut();
                r.busy[i] = None;
                r.fractions[job] = 0.0;
                let retry = !r.retried[job];
                if retry {
                    r.retried[job] = true;
                    r.queue.push_front(job);
                }
                retry
            });
            state.update(|s| {
                s.incidents.push(format!(
                    "worker {} stopped while training width {} ({message}){}",
                    i + 1,
                    j.width,
                    if retry { "; its seeds are rerun in a new worker" } else { "" }
                ));
                if let Some(p) = s.status_mut(j.axis_value, j.width) {
                    p.in_flight = 0.0;
                    p.current = None;
                }
            });
            if retry {
                dispatch(i);
            } else {
                stop_workers();
                state.update(|s| {
                    s.message = Some(format!("width {} failed twice: {message}", j.width));
                    if let Some(p) = s.status_mut(j.axis_value, j.width) {
                        p.error = Some(message);
                    }
                    s.finish(Phase::Failed);
                });
            }
        }
        JobEvent::Message(_) => {}
    }
}

fn finish_if_done(state: RwSignal<SweepState>) {
    let idle = RUNNER.with(|r| {
        let r = r.borrow();
        r.queue.is_empty() && r.busy.iter().all(Option::is_none)
    });
    if idle {
        state.update(|s| {
            if s.phase == Phase::Running {
                s.finish(Phase::Done);
            }
        });
    }
}

/// The name of a point's axis value: `L = 2, ` / `N = 16, ` (empty without an axis).
fn axis_prefix(axis: AxisChoice, value: Option<usize>) -> String {
    let name = axis.series_name(value);
    if name.is_empty() {
        name
    } else {
        format!("{name}, ")
    }
}

/// One status line of a point.
pub fn point_line(s: &PointStatus, axis: AxisChoice, steps: u64, phase: Phase) -> String {
    let head = format!("{}n = {}: ", axis_prefix(axis, s.axis_value), s.width);
    let diverged = match (s.diverged, s.first_divergence) {
        (0, _) => String::new(),
        (d, Some(step)) => format!(" — {d} seed(s) diverged (first at step {step}), left out of (a)–(c)"),
        (d, None) => format!(" — {d} seed(s) diverged, left out of (a)–(c)"),
    };
    if let Some(e) = &s.error {
        return format!("{head}failed: {e}");
    }
    if s.seeds_done >= s.seeds_total {
        return format!("{head}done, {} seed(s){diverged}", s.seeds_total);
    }
    let partial = if s.seeds_done > 0 {
        format!("{} of {} seeds done", s.seeds_done, s.seeds_total)
    } else {
        String::new()
    };
    match (phase, s.current) {
        (Phase::Running, Some((seed, step))) => format!(
            "{head}training… seed {}, step {step} of {steps} ({:.0}% of this width){}{diverged}",
            seed + 1,
            100.0 * (s.seeds_done as f64 + s.in_flight) / s.seeds_total as f64,
            if partial.is_empty() { String::new() } else { format!("; {partial}") }
        ),
        (Phase::Running, None) if s.seeds_done > 0 => format!("{head}{partial}{diverged}"),
        (Phase::Running, None) => format!("{head}waiting"),
        (_, _) if s.seeds_done > 0 => format!("{head}stopped, {partial}{diverged}"),
        _ => format!("{head}not run"),
    }
}

/// The overall status line.
pub fn run_line(s: &SweepState) -> String {
    let secs = s.elapsed_ms.map_or(0.0, |ms| ms / 1000.0);
    let widths = s.statuses.iter().filter(|p| p.seeds_done >= p.seeds_total).count();
    match s.phase {
        Phase::Idle => "No sweep run yet: set the grid, then press “Run sweep”.".to_string(),
        Phase::Refused => s.message.clone().unwrap_or_default(),
        Phase::Running => format!(
            "Sweep running in {} worker(s): {} of {} jobs done ({:.0}%)",
            s.workers,
            s.jobs_done,
            s.jobs_total,
            100.0 * s.fraction()
        ),
        Phase::Done => format!(
            "Sweep done in {secs:.1} s: {} points × {} seeds ({:.1e} FLOP estimated)",
            s.statuses.len(),
            s.spec.as_ref().map_or(0, |p| p.seeds),
            s.flop
        ),
        Phase::Cancelled => {
            format!(
                "Sweep cancelled after {secs:.1} s: {widths} of {} points complete, kept",
                s.statuses.len()
            )
        }
        Phase::Failed => format!("Sweep stopped: {}", s.message.clone().unwrap_or_default()),
    }
}

/// Human-readable bytes.
fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / f64::from(1 << 20))
}

/// The plot of a state (empty panels before any result).
fn plot_of(result: Option<&SweepResult>, axis: AxisChoice) -> WidthsPlot {
    let empty = SweepResult { series: vec![], reference_slopes: REFERENCE_SLOPES.to_vec() };
    WidthsPlot::from_result(result.unwrap_or(&empty), |v| axis.series_name(v))
}

/// The width-scaling view. `query` is the link it was opened with (`None` when the link is for
/// another view); while `active`, the URL follows its state.
#[component]
pub fn WidthsView(
    /// whether this view is the one shown
    #[prop(into)]
    active: Signal<bool>,
    /// the link's query string, if the link is for this view
    query: Option<String>,
) -> impl IntoView {
    let (initial, notes) = WidthsParams::from_query(query.as_deref().unwrap_or(""));
    let params = RwSignal::new(initial);
    let url_notes = RwSignal::new(notes);
    let state = RwSignal::new(SweepState::default());
    let workers = sweep_workers();

    Effect::new(move |_| {
        if active.get() {
            params.with(|p| write_url(View::Widths, &p.to_query()));
        }
    });

    let plan = Memo::new(move |_| {
        params.with(|p| plan_sweep(p, workers).map(|pl| (pl.flop, pl.bytes, pl.jobs.len())))
    });
    let estimate = move || match plan.get() {
        Ok((flop, bytes, jobs)) => {
            let p = params.get();
            let widths = p.widths().map_or(0, |w| w.len());
            let axis = if p.axis == AxisChoice::None {
                String::new()
            } else {
                format!(" × {} {} values", p.axis_values.len(), p.axis.name())
            };
            format!(
                "{widths} widths{axis} × {} seeds: about {flop:.1e} FLOP (limit {MAX_SWEEP_FLOP:.0e}), {} per worker, {jobs} jobs on {workers} worker(s)",
                p.seeds,
                mib(bytes)
            )
        }
        Err(e) => e,
    };
    let too_large = move || plan.with(Result::is_err);

    let result = Memo::new(move |_| {
        state.with(|s| (s.result.clone(), s.params.as_ref().map_or(AxisChoice::None, |p| p.axis)))
    });
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let plot_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let (result, axis) = result.get();
        if !active.get() {
            return;
        }
        let Some(c) = canvas.get() else { return };
        let plot = plot_of(result.as_ref(), axis);
        let start = js_sys::Date::now();
        match draw_widths_plot(&c, &plot) {
            Ok(()) => plot_error.set(None),
            Err(e) => plot_error.set(Some(e.to_string())),
        }
        let _ = c.set_attribute("data-draw-ms", &format!("{:.1}", js_sys::Date::now() - start));
    });

    let running = move || state.with(|s| s.phase == Phase::Running);
    let stale = move || state.with(|s| s.result.is_some() && s.params.as_ref() != Some(&params.get()));
    let slopes = move || {
        let (result, axis) = result.get();
        let plot = plot_of(result.as_ref(), axis);
        slope_rows(&plot)
    };

    let set = move |f: fn(&mut WidthsParams, f64)| Callback::new(move |v: f64| params.update(|p| f(p, v)));
    let get = move |f: fn(&WidthsParams) -> f64| Signal::derive(move || params.with(f));
    let axis_text = RwSignal::new(params.with_untracked(|p| join(&p.axis_values)));

    // The last result as a JSON file (an object URL, released when replaced).
    let json_url = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let url = result.with(|(r, _)| r.as_ref().and_then(|r| json_object_url(r).ok()));
        if let Some(old) = json_url.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&old);
        }
        json_url.set(url);
    });
    let axis_note = RwSignal::new(Vec::<String>::new());

    view! {
        <div class="view widths" data-testid="widths">
            <div class="notes" role="status">
                {move || url_notes.get().into_iter().map(|n| view! { <p class="note">"Link: " {n}</p> }).collect_view()}
                {move || axis_note.get().into_iter().map(|n| view! { <p class="note">{n}</p> }).collect_view()}
                {move || state.get().incidents.into_iter().map(|n| view! { <p class="note">{n}</p> }).collect_view()}
                {move || plot_error.get().map(|e| view! { <p class="note">{e}</p> })}
            </div>
            <div class="layout widths-layout">
                <aside class="panel controls" aria-label="Sweep controls">
                    <h2>"Network"</h2>
                    <SliderControl id="w-depth" label="depth L (hidden layers)" scale=Scale { min: 1.0, max: MAX_BROWSER_DEPTH as f64, log: false, integer: true }
                        value=get(|p| p.depth as f64) on_change=set(|p, v| p.depth = v as usize) />
                    <SelectControl id="w-act" label="nonlinearity φ" options=&ACTIVATIONS
                        value=Signal::derive(move || params.with(|p| activation_name(p.activation)))
                        on_change=Callback::new(move |v: String| params.update(|p| p.activation = v.parse::<Activation>().unwrap_or(Activation::Erf))) />
                    <SliderControl id="w-sw2" label="σ_w² (weight variance)" scale=Scale { min: 0.01, max: 10.0, log: true, integer: false }
                        value=get(|p| p.sw2) on_change=set(|p, v| p.sw2 = v) />
                    <SliderControl id="w-sb2" label="σ_b² (bias variance)" scale=Scale { min: 0.0, max: 4.0, log: false, integer: false }
                        value=get(|p| p.sb2) on_change=set(|p, v| p.sb2 = v) />
                    <h2>"Data and training"</h2>
                    <SelectControl id="w-data" label="target" options=&Target1d::NAMES
                        value=Signal::derive(move || params.with(|p| p.target.name()))
                        on_change=Callback::new(move |v: String| params.update(|p| p.target = Target1d::from_name(&v).unwrap_or(Target1d::Sin))) />
                    <SliderControl id="w-n" label="training points N" scale=Scale { min: 1.0, max: MAX_BROWSER_TRAIN as f64, log: true, integer: true }
                        value=get(|p| p.n_train as f64) on_change=set(|p, v| p.n_train = v as usize) />
                    <SliderControl id="w-noise" label="target noise (std)" scale=Scale { min: 0.0, max: 1.0, log: false, integer: false }
                        value=get(|p| p.noise) on_change=set(|p, v| p.noise = v) />
                    <SliderControl id="w-dseed" label="data seed" scale=Scale { min: 0.0, max: 1000.0, log: false, integer: true }
                        value=get(|p| p.data_seed as f64) on_change=set(|p, v| p.data_seed = v as u64) />
                    <SliderControl id="w-lrf" label="learning rate η / η_critical" scale=Scale { min: 0.01, max: 4.0, log: true, integer: false }
                        value=get(|p| p.lr_fraction) on_change=set(|p, v| p.lr_fraction = v)
                        hint=Signal::derive(move || params.with(|p| if p.lr_fraction < 1.0 {
                            "below η_critical = 2N/(λ_min + λ_max) of the analytic NTK: Theorem 2.1 applies".to_string()
                        } else {
                            "at or above η_critical: outside Theorem 2.1; narrow networks may diverge".to_string()
                        })) />
                    <SliderControl id="w-steps" label="training steps K" scale=Scale { min: 1.0, max: MAX_BROWSER_STEPS as f64, log: true, integer: true }
                        value=get(|p| p.steps as f64) on_change=set(|p, v| p.steps = v as u64) />
                    <h2>"Sweep"</h2>
                    <SliderControl id="w-wmin" label="smallest width" scale=Scale { min: MIN_BROWSER_WIDTH as f64, max: MAX_BROWSER_WIDTH as f64, log: true, integer: true }
                        value=get(|p| p.min_width as f64) on_change=set(|p, v| { p.min_width = v as usize; p.max_width = p.max_width.max(p.min_width); }) />
                    <SliderControl id="w-wmax" label="largest width (widths double from the smallest)" scale=Scale { min: MIN_BROWSER_WIDTH as f64, max: MAX_BROWSER_WIDTH as f64, log: true, integer: true }
                        value=get(|p| p.max_width as f64) on_change=set(|p, v| { p.max_width = v as usize; p.min_width = p.min_width.min(p.max_width); }) />
                    <SliderControl id="w-seeds" label="seeds per width" scale=Scale { min: 1.0, max: MAX_BROWSER_SEEDS as f64, log: false, integer: true }
                        value=get(|p| p.seeds as f64) on_change=set(|p, v| p.seeds = v as usize) />
                    <SliderControl id="w-seed" label="network seed" scale=Scale { min: 0.0, max: 1000.0, log: false, integer: true }
                        value=get(|p| p.seed as f64) on_change=set(|p, v| p.seed = v as u64) />
                    <SelectControl id="w-axis" label="second axis (Figure S5)" options=&AxisChoice::NAMES
                        value=Signal::derive(move || params.with(|p| p.axis.name()))
                        on_change=Callback::new(move |v: String| {
                            let axis = AxisChoice::from_name(&v).unwrap_or(AxisChoice::None);
                            params.update(|p| *p = p.with_axis(axis));
                            axis_text.set(params.with_untracked(|p| join(&p.axis_values)));
                            axis_note.set(Vec::new());
                        }) />
                    <Show when=move || params.with(|p| p.axis != AxisChoice::None)>
                        <div class="control">
                            <label for="w-axv">{move || params.with(|p| if p.axis == AxisChoice::Depth { "depths L (comma-separated, up to 5)" } else { "training-set sizes N (comma-separated, up to 5)" })}</label>
                            <input type="text" id="w-axv" class="axis-values" prop:value=move || axis_text.get()
                                on:change=move |ev| {
                                    let axis = params.with_untracked(|p| p.axis);
                                    let (values, notes) = parse_axis_values(&event_target_value(&ev), axis);
                                    let values = if values.is_empty() { axis.default_values() } else { values };
                                    axis_text.set(join(&values));
                                    axis_note.set(notes);
                                    params.update(|p| p.axis_values = values);
                                } />
                        </div>
                    </Show>
                </aside>
                <main class="panel main-plot" aria-label="Width-scaling plots">
                    <h2>"How fast does a network become linear as it widens?"</h2>
                    <p class="hint">
                        "A sweep trains seeds × widths networks and their linearizations: seconds to minutes of compute, so it runs when you press "
                        <b>"Run sweep"</b>", not on every change."
                    </p>
                    <div class="run-row">
                        <button data-testid="run-sweep" class="primary" on:click=move |_| start_sweep(&params.get_untracked(), state)>"Run sweep"</button>
                        <button data-testid="cancel-sweep" prop:disabled=move || !running() on:click=move |_| cancel_sweep(state)>"Cancel"</button>
                        <span class="hint" class:refused=too_large data-testid="widths-estimate">{estimate}</span>
                    </div>
                    <div class="progress">
                        <progress max="1" prop:value=move || state.with(SweepState::fraction)></progress>
                        <span data-testid="widths-run-status" class:refused=move || state.with(|s| matches!(s.phase, Phase::Refused | Phase::Failed))>
                            {move || state.with(run_line)}
                        </span>
                    </div>
                    <ul class="point-status" data-testid="widths-status">
                        {move || state.with(|s| {
                            let axis = s.params.as_ref().map_or(AxisChoice::None, |p| p.axis);
                            let steps = s.spec.as_ref().map_or(0, |p| p.steps);
                            s.statuses.iter().map(|p| view! { <li>{point_line(p, axis, steps, s.phase)}</li> }).collect_view()
                        })}
                    </ul>
                    <Show when=stale>
                        <p class="note" data-testid="widths-stale">"The plots show the last sweep; the settings have changed since — press “Run sweep” to update."</p>
                    </Show>
                    <canvas node_ref=canvas class="plot widths-plot" data-testid="widths-plot" role="img"
                        aria-label="four log-log panels against the width: network–linearization distance, relative weight change per layer, kernel change, initial kernel error"></canvas>
                    <p class="hint">"Dots: mean over seeds; bars: smallest to largest seed; solid lines: least-squares fit of log(mean) against log n (slope in the legend); dashed grey: slopes −1/2 and −1 through the first point."</p>
                    <table class="slopes" data-testid="widths-slopes">
                        <thead><tr><th>"fitted slope"</th><th>"(a) f − f_lin"</th><th>"(b) input"</th><th>"(b) hidden"</th><th>"(b) readout"</th><th>"(c) Θ̂_T − Θ̂_0"</th><th>"(d) Θ̂_0 − Θ"</th></tr></thead>
                        <tbody>
                            {slopes}
                            <tr class="theory"><td>"theory"</td><td>"≤ −1/2 (ReLU: −1/2; smooth φ: → −1)"</td><td>"−1/2"</td><td>"−1"</td><td>"−1/2"</td><td>"−1/2 … −1"</td><td>"−1/2"</td></tr>
                        </tbody>
                    </table>
                    <div class="reproduce" data-testid="widths-reproduce">
                        <p class="hint">"The same sweep natively (same core code, the same JSON on standard output):"</p>
                        <code class="cli" data-testid="widths-cli">{move || params.with(WidthsParams::cli_command)}</code>
                        <p class="hint">
                            {move || json_url.get().map(|url| view! {
                                <a href=url download="widths-sweep.json" data-testid="widths-json">"Download the last sweep's results (JSON)"</a>
                            })}
                        </p>
                    </div>
                    <div class="run-row presets" data-testid="widths-presets">
                        <span class="hint">"Try:"</span>
                        <button data-testid="preset-smooth" on:click=move |_| params.set(preset(Activation::Erf, 1.0, 0.1))>
                            "erf (smooth), one layer: (a) steeper than −1/2, toward −1"
                        </button>
                        <button data-testid="preset-relu" on:click=move |_| params.set(preset(Activation::Relu, 2.0, 4.0))>
                            "ReLU, one layer, σ_b² = 4: slope of (a) ≈ −1/2"
                        </button>
                    </div>
                    <WidthsExplain />
                </main>
            </div>
        </div>
    }
}

/// A one-layer preset of the "Try" row: `activation` with the given σ_w², σ_b², widths 32…4096,
/// everything else at its default (the slopes its button names were measured so). With ReLU a
/// large σ_b² spreads the units' kinks (x = −σ_b b/(σ_w w)) over the data, where the −1/2 of
/// Theorem 2.1 shows within these widths.
fn preset(activation: Activation, sw2: f64, sb2: f64) -> WidthsParams {
    WidthsParams {
        depth: 1,
        activation,
        sw2,
        sb2,
        min_width: MIN_BROWSER_WIDTH,
        max_width: MAX_BROWSER_WIDTH,
        ..WidthsParams::default()
    }
}

/// An object URL of `result` as JSON (the schema `ntk widths` prints).
fn json_object_url(result: &SweepResult) -> Result<String, wasm_bindgen::JsValue> {
    let text = serde_json::to_string(result).map_err(|e| wasm_bindgen::JsValue::from_str(&e.to_string()))?;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(&text));
    let props = web_sys::BlobPropertyBag::new();
    props.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &props)?;
    web_sys::Url::create_object_url_with_blob(&blob)
}

fn join(values: &[usize]) -> String {
    values.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

/// The rows of the slope table: one per series, the slopes of the plot's legends.
fn slope_rows(plot: &WidthsPlot) -> impl IntoView {
    let slope = |s: Option<&crate::plot::widths_plot::MetricSeries>| {
        s.and_then(|s| s.fit).map_or("—".to_string(), |f| crate::plot::widths_plot::signed(f.slope))
    };
    let series = plot.panels.first().map_or(0, |p| p.series.len());
    (0..series)
        .map(|i| {
            let a = &plot.panels[0].series[i];
            let name = if a.name.is_empty() { "this sweep".to_string() } else { a.name.clone() };
            // Panel (b) holds up to three layer series per sweep series, named "kind[, series]".
            let layer = |kind: &str| {
                plot.panels[1].series.iter().find(|s| {
                    s.name == kind || (!a.name.is_empty() && s.name == format!("{kind}, {}", a.name))
                })
            };
            let title = legend_text(a);
            view! {
                <tr>
                    <td title=title>{name}</td>
                    <td>{slope(Some(a))}</td>
                    <td>{slope(layer("input"))}</td>
                    <td>{slope(layer("hidden"))}</td>
                    <td>{slope(layer("readout"))}</td>
                    <td>{slope(plot.panels[2].series.get(i))}</td>
                    <td>{slope(plot.panels[3].series.get(i))}</td>
                </tr>
            }
        })
        .collect_view()
}

/// What slopes to expect, and why.
#[component]
fn WidthsExplain() -> impl IntoView {
    view! {
        <section class="explain widths-explain" data-testid="widths-explain">
            <h2>"What slopes to expect, and why"</h2>
            <p>
                <b>"(a) Network vs linearization. "</b>
                "Theorem 2.1 of the paper bounds the distance between a network trained by gradient descent (η below η_critical) and its linearization around initialisation by O(n" <sup>"−1/2"</sup> ") for the whole of training: the slope should be −1/2 or steeper. "
                "For smooth nonlinearities (erf, tanh, gelu, …) it is steeper, tending to −1 as n grows: f − f_lin is the second-order Taylor remainder, quadratic in the weight change, and the weights move less and less as n grows (b), so the gap shrinks faster than the bound (slopes of −0.7 to −0.9 over widths 32…4096 on this data). "
                "ReLU breaks the smoothness this argument needs: its derivative jumps at 0, so the units that switch on or off during training (a fraction of order n" <sup>"−1/2"</sup> ") add up to a gap of order n" <sup>"−1/2"</sup> ", the slope of the bound. "
                "Where the units switch matters: a first-layer unit's kink sits at x = −σ_b b/(σ_w w), spread over a width of about σ_b/σ_w around 0. With a small σ_b² the kinks crowd near x = 0, few units shape the outer data, and the widths a tab can train are not yet in the asymptotic regime (slopes near 0); with σ_b² = 4 the −1/2 shows by n = 4096."
            </p>
            <p>
                <b>"(b) Weights (Figure 1). "</b>
                "In NTK parameterization every trained weight matrix moves by O(1) in Frobenius norm during training. The hidden n×n matrices start with norm of order n, so their relative change falls as 1/n; the input (n×d) and readout (1×n) matrices start with norm of order √n, so theirs falls as 1/√n. "
                "Each weight barely moves: the lazy regime in which the linearization is exact in the limit."
            </p>
            <p>
                <b>"(c) Kernel change. "</b>
                "The empirical NTK Θ̂ depends on the weights through the hidden activations and their derivatives; it changes during training by at most O(n" <sup>"−1/2"</sup> ") (paper Eq. S50), in practice closer to 1/n as in Figure 1: Θ̂ is constant in the limit, which is why the network follows its linearization."
            </p>
            <p>
                <b>"(d) Initial kernel. "</b>
                "At initialisation Θ̂₀ is an average over n random hidden units: it fluctuates around the analytic NTK Θ by the central limit theorem, relative error ∝ 1/√n (slope −1/2)."
            </p>
            <p>
                "Seeds whose training diverges (possible for narrow networks above η_critical) are left out of (a)–(c) and reported with the step at which they diverged. Second axis: depth or training-set size, one series each (Figure S5); deeper networks and more data move the curves up but keep their slopes."
            </p>
        </section>
    }
}
