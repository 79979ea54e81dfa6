//! The width-scaling sweep as a service (Leptos context): a sweep of the width-scaling view
//! (paper Theorem 2.1, Figure 1, Figure S5) planned — refused before any work when the core
//! refuses it or when it is too large for a tab ([`plan_sweep`]: [`WORKER_MEMORY_CAP`] per
//! worker, [`MAX_SWEEP_FLOP`] in all) — and run in one or two workers, one task per (axis
//! value, width, seed range); each finished task is merged into its point
//! ([`WidthPoint::merge`]) and the slopes refitted ([`SweepResult::assemble`]) as results
//! arrive. Cancel ends the run; results stay when another tab is shown.
//!
//! A sweep against Chizat's output scale α (the core's [`LazinessSpec`]) runs the same way, one
//! task per (α, seed range) of its one width, each trained as `g = α (f − f₀)`; its points are
//! assembled by [`LazinessResult::assemble`], slopes against α.

use leptos::prelude::*;
use ntk_core::experiments::laziness::{LazinessPoint, LazinessResult, LazinessSpec};
use ntk_core::experiments::widths::{
    estimate_bytes, estimate_flop, SweepResult, WidthError, WidthPoint, WidthSweepSpec, WidthsReport,
};

use crate::params::notes::Note;
use crate::params::widths::WidthsParams;
use crate::runtime::protocol::{Output, Work};
use crate::runtime::scheduler::{Event, Scheduler, SchedulerOptions};

/// Most training FLOP one sweep may ask for: 3·10¹², the explorer's
/// [`MAX_JOB_FLOP`](crate::services::ensemble::MAX_JOB_FLOP) (about 5 minutes on two cores in a tab).
pub const MAX_SWEEP_FLOP: f64 = 3e12;

/// Memory cap per worker (bytes): 1 GiB, so that two workers fit a 32-bit tab's heap.
pub const WORKER_MEMORY_CAP: u64 = 1 << 30;

/// Most workers a sweep uses.
pub const MAX_SWEEP_WORKERS: usize = 2;

/// One job of a sweep: seeds `seeds.0..seeds.1` of one width at one axis value (or at one
/// output scale α).
#[derive(Clone, Debug, PartialEq)]
pub struct SweepJob {
    /// the second-axis value (`None` without an axis)
    pub axis_value: Option<usize>,
    /// hidden width n
    pub width: usize,
    /// seed range (start, end)
    pub seeds: (usize, usize),
    /// the output scale α of a sweep against α (`None`: the network f itself)
    pub alpha: Option<f64>,
}

impl SweepJob {
    /// Whether a point status is this job's point.
    fn is_point(&self, s: &PointStatus) -> bool {
        s.axis_value == self.axis_value && s.width == self.width && s.alpha == self.alpha
    }

    /// Its point as messages name it: `width 128`, or `α = 3 (width 128)`.
    pub fn point_name(&self) -> String {
        match self.alpha {
            Some(a) => format!("α = {a} (width {})", self.width),
            None => format!("width {}", self.width),
        }
    }
}

/// A sweep accepted for the page: the core's spec, its jobs in run order, and its estimates.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPlan {
    /// the core's sweep (against α: its one width, without an α of its own)
    pub spec: WidthSweepSpec,
    /// the core's laziness sweep of a sweep against α
    pub laziness: Option<LazinessSpec>,
    /// jobs, smallest width first (each width's seeds split over the workers)
    pub jobs: Vec<SweepJob>,
    /// estimated FLOP ([`estimate_flop`], times the number of α values against α)
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
    let laziness = params.to_laziness_spec().map_err(|e| format!("This sweep cannot run: {e}"))?;
    if let Some(l) = &laziness {
        l.validate().map_err(|e| format!("This sweep cannot run: {e}"))?;
    }
    spec.validate_with_cap(WORKER_MEMORY_CAP).map_err(|e| format!("This sweep is refused: {e}"))?;
    let alphas: Vec<Option<f64>> = match &laziness {
        Some(l) => l.alphas.iter().copied().map(Some).collect(),
        None => vec![None],
    };
    let flop = estimate_flop(&spec) * alphas.len() as f64;
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
    for &alpha in &alphas {
        for &width in &spec.widths {
            for axis_value in spec.axis.values() {
                for c in 0..chunks {
                    if bounds[c] < bounds[c + 1] {
                        jobs.push(SweepJob { axis_value, width, seeds: (bounds[c], bounds[c + 1]), alpha });
                    }
                }
            }
        }
    }
    let bytes = estimate_bytes(&spec);
    Ok(SweepPlan { spec, laziness, jobs, flop, bytes })
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
    /// a finished sweep opened from a result file (see [`SweepState::message`])
    Opened,
}

/// The progress of one (axis value, width) point.
#[derive(Clone, Debug, PartialEq)]
pub struct PointStatus {
    /// the second-axis value
    pub axis_value: Option<usize>,
    /// hidden width n
    pub width: usize,
    /// the output scale α of a sweep against α
    pub alpha: Option<f64>,
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

impl PointStatus {
    /// A point not started yet.
    pub fn new(axis_value: Option<usize>, width: usize, seeds_total: usize) -> Self {
        PointStatus {
            axis_value,
            width,
            alpha: None,
            seeds_total,
            seeds_done: 0,
            in_flight: 0.0,
            current: None,
            diverged: 0,
            first_divergence: None,
            error: None,
        }
    }
}

/// A task of the sweep being run, and how far it is.
#[derive(Clone, Debug, PartialEq)]
pub struct RunningTask {
    /// task index
    pub task: usize,
    /// its job
    pub job: SweepJob,
    /// fraction reported, in [0, 1]
    pub fraction: f64,
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
    /// a sweep against α: the laziness sweep run
    pub laziness: Option<LazinessSpec>,
    /// a sweep against α: its points merged so far, per α
    pub lazy_points: Vec<LazinessPoint>,
    /// a sweep against α: its points with slopes against α
    pub lazy: Option<LazinessResult>,
    /// per point, in run order
    pub statuses: Vec<PointStatus>,
    /// worker deaths and merge problems
    pub incidents: Vec<Note>,
    /// the running tasks and the fraction each reported
    pub running: Vec<RunningTask>,
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
    /// the file an opened sweep came from and its producer (`None`: run in the page)
    pub source: Option<String>,
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

    pub(crate) fn status_mut(&mut self, job: &SweepJob) -> Option<&mut PointStatus> {
        self.statuses.iter_mut().find(|s| job.is_point(s))
    }

    /// Adds a finished job's point: merges it into the point of its width and axis value (or
    /// its α) and reassembles the series (slopes refitted).
    fn add_point(&mut self, point: WidthPoint, job: &SweepJob) {
        let seeds = job.seeds.1 - job.seeds.0;
        let merged = match job.alpha {
            Some(alpha) => self.add_lazy_point(alpha, point),
            None => {
                let (axis_value, width) = (point.axis_value, point.width);
                match self.points.iter_mut().find(|q| q.axis_value == axis_value && q.width == width) {
                    Some(q) => q.merge(&point).map(|()| q.clone()),
                    None => {
                        self.points.push(point.clone());
                        Ok(point)
                    }
                }
            }
        };
        match merged {
            Ok(p) => {
                if let Some(s) = self.status_mut(job) {
                    s.seeds_done += seeds;
                    s.diverged = p.diverged;
                    s.first_divergence = p.seeds.iter().filter_map(|r| r.divergence.map(|d| d.step)).min();
                }
            }
            Err(e) => self.incidents.push(Note::text(e.to_string())),
        }
        if job.alpha.is_some() {
            self.lazy = Some(LazinessResult::assemble(self.lazy_points.clone()));
        } else if let Some(spec) = &self.spec {
            match SweepResult::assemble(spec, self.points.clone()) {
                Ok(r) => self.result = Some(r),
                Err(e) => self.incidents.push(Note::text(e.to_string())),
            }
        }
    }

    /// Merges a finished job's point into the point of its α; the merged point.
    fn add_lazy_point(&mut self, alpha: f64, point: WidthPoint) -> Result<WidthPoint, WidthError> {
        match self.lazy_points.iter_mut().find(|q| q.alpha == alpha) {
            Some(q) => q.point.merge(&point).map(|()| q.point.clone()),
            None => {
                self.lazy_points.push(LazinessPoint { alpha, point: point.clone() });
                Ok(point)
            }
        }
    }

    /// Records the progress of a running task (its point's in-flight seeds are refigured).
    fn task_progress(&mut self, task: usize, job: &SweepJob, fraction: f64, current: Option<(usize, u64)>) {
        let fraction = fraction.clamp(0.0, 1.0);
        match self.running.iter_mut().find(|r| r.task == task) {
            Some(r) => r.fraction = fraction,
            None => self.running.push(RunningTask { task, job: job.clone(), fraction }),
        }
        self.refresh_in_flight(job, current);
    }

    /// A task ended (finished or lost): it no longer counts as in flight.
    fn task_ended(&mut self, task: usize, job: &SweepJob) {
        self.running.retain(|r| r.task != task);
        self.refresh_in_flight(job, None);
    }

    /// Recomputes the seeds' worth of work in flight at `job`'s point (Σ fraction × seeds over
    /// its running tasks).
    fn refresh_in_flight(&mut self, job: &SweepJob, current: Option<(usize, u64)>) {
        let in_flight = self
            .running
            .iter()
            .filter(|r| {
                r.job.width == job.width && r.job.axis_value == job.axis_value && r.job.alpha == job.alpha
            })
            .map(|r| r.fraction * (r.job.seeds.1 - r.job.seeds.0) as f64)
            .sum();
        if let Some(p) = self.status_mut(job) {
            p.in_flight = in_flight;
            p.current = current;
        }
    }

    fn finish(&mut self, phase: Phase) {
        self.phase = phase;
        self.elapsed_ms = Some(js_sys::Date::now() - self.started_ms);
        self.running.clear();
        for s in &mut self.statuses {
            s.in_flight = 0.0;
            s.current = None;
        }
    }
}

/// Workers for this browser: one per core, within 1 ..= [`MAX_SWEEP_WORKERS`].
pub fn sweep_workers() -> usize {
    SchedulerOptions::workers_for(SchedulerOptions::browser_cores(), MAX_SWEEP_WORKERS)
}

/// The width sweep of the page (see the module doc).
#[derive(Clone, Copy)]
pub struct SweepService {
    /// the sweep shown (read by the view)
    pub state: RwSignal<SweepState>,
    scheduler: StoredValue<Option<Scheduler>, LocalStorage>,
    /// the running sweep's generation and jobs
    jobs: StoredValue<Option<(u64, Vec<SweepJob>)>, LocalStorage>,
}

impl SweepService {
    /// Creates the service and provides it to the component tree below.
    pub fn provide() -> SweepService {
        let service = SweepService {
            state: RwSignal::new(SweepState::default()),
            scheduler: StoredValue::new_local(None),
            jobs: StoredValue::new_local(None),
        };
        provide_context(service);
        service
    }

    /// Plans and starts the sweep of `params` (ending any running one), or shows why it is
    /// refused.
    pub fn start(&self, params: &WidthsParams) {
        self.cancel_run();
        let workers = sweep_workers();
        let run = self.state.with_untracked(|s| s.run) + 1;
        let plan = match plan_sweep(params, workers) {
            Ok(plan) => plan,
            Err(message) => {
                self.state.set(SweepState {
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
            if !statuses.iter().any(|s| job.is_point(s)) {
                statuses.push(PointStatus {
                    alpha: job.alpha,
                    ..PointStatus::new(job.axis_value, job.width, plan.spec.seeds)
                });
            }
        }
        self.state.set(SweepState {
            run,
            params: Some(params.clone()),
            spec: Some(plan.spec.clone()),
            laziness: plan.laziness.clone(),
            phase: Phase::Running,
            statuses,
            jobs_total: plan.jobs.len(),
            workers,
            flop: plan.flop,
            started_ms: js_sys::Date::now(),
            ..SweepState::default()
        });
        let tasks: Vec<Work> = plan
            .jobs
            .iter()
            .map(|j| Work::Width {
                spec: WidthSweepSpec { alpha: j.alpha, ..plan.spec.clone() },
                width: j.width,
                axis_value: j.axis_value,
                seeds: j.seeds,
            })
            .collect();
        if self.scheduler.with_value(Option::is_none) {
            let service = *self;
            let scheduler =
                Scheduler::new(SchedulerOptions::with_workers(workers), move |e| service.on_event(e));
            self.scheduler.set_value(Some(scheduler));
        }
        let generation = self.scheduler.with_value(|s| s.as_ref().map_or(0, |s| s.run(tasks)));
        self.jobs.set_value(Some((generation, plan.jobs)));
    }

    /// Cancels any running sweep and shows a finished sweep opened from the file `name`
    /// instead: its points, series and slopes as the file holds them, with `params` (the
    /// page's state closest to its spec) and `notes` (what the page cannot show as given).
    pub fn show_opened(&self, name: &str, report: &WidthsReport, params: WidthsParams, notes: Vec<Note>) {
        self.cancel_run();
        let run = self.state.with_untracked(|s| s.run) + 1;
        let result = report.result();
        let points: Vec<WidthPoint> = result.series.iter().flat_map(|s| s.points.iter().cloned()).collect();
        let statuses = points
            .iter()
            .map(|p| PointStatus {
                seeds_done: p.seeds.len(),
                diverged: p.diverged,
                first_divergence: p.seeds.iter().filter_map(|r| r.divergence.map(|d| d.step)).min(),
                ..PointStatus::new(p.axis_value, p.width, p.seeds.len())
            })
            .collect();
        self.state.set(SweepState {
            run,
            params: Some(params),
            spec: Some(report.spec.clone()),
            phase: Phase::Opened,
            message: None,
            points,
            result: Some(result),
            statuses,
            incidents: notes,
            jobs_total: 0,
            source: Some(format!("{name} ({})", report.header.producer)),
            ..SweepState::default()
        });
    }

    /// Cancels the running sweep (finished points are kept).
    pub fn cancel(&self) {
        self.cancel_run();
        self.state.update(|s| {
            if s.phase == Phase::Running {
                s.finish(Phase::Cancelled);
            }
        });
    }

    fn cancel_run(&self) {
        self.jobs.set_value(None);
        self.scheduler.with_value(|s| s.as_ref().map(Scheduler::cancel));
    }

    /// The job of a task of the running sweep.
    fn job(&self, generation: u64, task: usize) -> Option<SweepJob> {
        self.jobs.with_value(|j| {
            j.as_ref().filter(|(g, _)| *g == generation).and_then(|(_, jobs)| jobs.get(task).cloned())
        })
    }

    fn on_event(&self, event: Event) {
        match event {
            Event::Progress { job, progress } => {
                let Some(j) = self.job(job.generation, job.task) else { return };
                self.state.update(|s| {
                    s.task_progress(job.task, &j, progress.fraction, progress.unit.zip(progress.step))
                });
            }
            Event::Done { job, result } => {
                let Some(j) = self.job(job.generation, job.task) else { return };
                match result {
                    Ok(Output::Width(point)) => self.state.update(|s| {
                        s.jobs_done += 1;
                        s.task_ended(job.task, &j);
                        s.add_point(*point, &j);
                        if s.jobs_done == s.jobs_total && s.phase == Phase::Running {
                            s.finish(Phase::Done);
                        }
                    }),
                    Ok(_) => {}
                    Err(message) => {
                        self.cancel_run();
                        self.state.update(|s| {
                            if let Some(p) = s.status_mut(&j) {
                                p.error = Some(message.clone());
                            }
                            s.message = Some(format!("{} failed: {message}", j.point_name()));
                            s.finish(Phase::Failed);
                        });
                    }
                }
            }
            Event::Lost { job, worker, message, rerun } => {
                let Some(j) = self.job(job.generation, job.task) else { return };
                self.state.update(|s| {
                    s.task_ended(job.task, &j);
                    s.incidents.push(Note::text(format!(
                        "worker {} stopped while training {} ({message}){}",
                        worker + 1,
                        j.point_name(),
                        if rerun { "; its seeds are rerun in a new worker" } else { "" }
                    )));
                });
                if !rerun {
                    self.cancel_run();
                    self.state.update(|s| {
                        s.message = Some(format!("{} failed twice: {message}", j.point_name()));
                        if let Some(p) = s.status_mut(&j) {
                            p.error = Some(message);
                        }
                        s.finish(Phase::Failed);
                    });
                }
            }
            Event::Partial { .. } => {}
            Event::Unavailable { message, .. } => {
                self.cancel_run();
                self.state.update(|s| {
                    s.message = Some(message);
                    s.finish(Phase::Failed);
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{plan_sweep, MAX_SWEEP_FLOP};
    use crate::params::widths::WidthsParams;
    use ntk_core::Architecture;

    #[test]
    fn oversized_sweeps_are_refused_before_any_work() {
        let small =
            WidthsParams { min_width: 32, max_width: 256, seeds: 3, steps: 100, ..Default::default() };
        let plan = plan_sweep(&small, 2).unwrap();
        // 4 widths, seeds split 0..1 and 1..3 over two workers.
        assert_eq!(plan.jobs.len(), 8);
        assert_eq!((plan.jobs[0].seeds, plan.jobs[1].seeds), ((0, 1), (1, 3)));
        assert!(plan.flop < MAX_SWEEP_FLOP);
        let flop = WidthsParams { max_width: 4096, seeds: 32, steps: 100_000, ..Default::default() };
        let e = plan_sweep(&flop, 1).unwrap_err();
        assert!(e.contains("FLOP") && e.contains("refused"), "{e}");
        let d = WidthsParams::default();
        let memory = WidthsParams {
            arch: Architecture { depth: 8, ..d.arch },
            min_width: 4096,
            max_width: 4096,
            seeds: 1,
            steps: 1,
            ..Default::default()
        };
        let e = plan_sweep(&memory, 1).unwrap_err();
        assert!(e.contains("MiB"), "{e}");
    }
}
