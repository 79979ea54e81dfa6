//! The explorer's ensemble run as a service (Leptos context): the finite networks of a
//! [`RunKey`] trained in the workers, their statistics merged exactly in member order (so the
//! result is the same whatever the number of workers), cancelled when a new run starts.

use leptos::prelude::*;
use ntk_core::nets::ensemble::{EnsembleSpec, EnsembleStats, EnsembleSummary};

use crate::params::explorer::{RunKey, MAX_CURVES};
use crate::params::notes::Note;
use crate::problem::{problem, Problem};
use crate::runtime::protocol::{Output, Work};
use crate::runtime::scheduler::{Event, Scheduler, SchedulerOptions};

/// Most training FLOP one page run may ask for (about 5 minutes on two cores in the browser).
pub const MAX_JOB_FLOP: f64 = 3e12;
/// Checkpoints recorded per member.
pub const CHECKPOINTS: usize = 40;
/// Most workers the ensemble uses.
pub const MAX_ENSEMBLE_WORKERS: usize = 4;

/// The ensemble run shown on the page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunState {
    /// the parameters it belongs to
    pub key: Option<RunKey>,
    /// members finished
    pub members_done: usize,
    /// members in the job
    pub members_total: usize,
    /// fraction of all training steps done
    pub fraction: f64,
    /// statistics of the members finished so far
    pub summary: Option<EnsembleSummary>,
    /// each of the first [`MAX_CURVES`] members alone (for drawing individual functions), by
    /// member index
    pub members: Vec<(usize, EnsembleSummary)>,
    /// every member finished
    pub done: bool,
    /// why the run could not start or finish
    pub error: Option<String>,
    /// workers lost (and replaced) during the run
    pub incidents: Vec<Note>,
}

/// The job in flight: its spec and the members' statistics received so far.
struct Job {
    generation: u64,
    spec: EnsembleSpec,
    results: Vec<Option<EnsembleStats>>,
    steps_of: Vec<u64>,
}

/// The ensemble run of the explorer (see the module doc).
#[derive(Clone, Copy)]
pub struct EnsembleService {
    /// the run shown (read by the view)
    pub state: RwSignal<RunState>,
    scheduler: StoredValue<Option<Scheduler>, LocalStorage>,
    job: StoredValue<Option<Job>, LocalStorage>,
}

/// The ensemble job of a run key (network outputs on the problem's test points).
///
/// # Errors
/// The core's message for an invalid job, or [`check_workload`]'s refusal.
pub fn ensemble_spec(key: &RunKey, data: &Problem) -> Result<EnsembleSpec, String> {
    let t = &key.training;
    let spec = EnsembleSpec {
        arch: key.theory.arch,
        width: t.width,
        x_train: data.x_train.clone(),
        y_train: data.y_train.clone(),
        x_test: data.x_test.clone(),
        y_test: data.y_test.clone(),
        learning_rate: t.lr,
        steps: t.steps,
        momentum: 0.0,
        readout_only: false,
        seed: key.theory.seed,
        members: t.members,
        checkpoints: CHECKPOINTS,
    };
    spec.validate().map_err(|e| e.to_string())?;
    check_workload(&spec)?;
    Ok(spec)
}

/// Refuses jobs that would not finish in a browser tab in reasonable time, before any work.
///
/// # Errors
/// A message with the size of the job and what to reduce.
pub fn check_workload(spec: &EnsembleSpec) -> Result<(), String> {
    let flop = spec.flops_per_step() * spec.steps as f64 * spec.members as f64;
    if flop > MAX_JOB_FLOP {
        return Err(format!(
            "this ensemble needs {:.1e} FLOP (width × members × steps too large for a browser tab; \
             the limit is {:.0e}): reduce width, members or steps",
            flop, MAX_JOB_FLOP
        ));
    }
    Ok(())
}

/// The checkpoint of `summary` nearest to `step` (by step).
pub fn nearest_checkpoint(summary: &EnsembleSummary, step: u64) -> Option<usize> {
    summary.checkpoints.iter().enumerate().min_by_key(|(_, c)| c.step.abs_diff(step)).map(|(i, _)| i)
}

/// Merges per-member statistics in member order (skipping members not finished), so that the
/// result does not depend on which worker finished first.
///
/// # Errors
/// The core's message if the statistics belong to different jobs.
pub fn merge_in_member_order(
    spec: &EnsembleSpec,
    members: &[Option<EnsembleStats>],
) -> Result<EnsembleStats, String> {
    let mut total = EnsembleStats::empty(spec);
    for stats in members.iter().flatten() {
        total.merge(stats).map_err(|e| e.to_string())?;
    }
    Ok(total)
}

impl EnsembleService {
    /// Creates the service and provides it to the component tree below.
    pub fn provide() -> EnsembleService {
        let service = EnsembleService {
            state: RwSignal::new(RunState::default()),
            scheduler: StoredValue::new_local(None),
            job: StoredValue::new_local(None),
        };
        provide_context(service);
        service
    }

    /// Whether the run shown belongs to `key` (and did not fail).
    pub fn is_current(&self, key: &RunKey) -> bool {
        self.state.with_untracked(|r| r.key.as_ref() == Some(key) && r.error.is_none())
    }

    /// Cancels any run and starts the ensemble of `key`.
    pub fn start(&self, key: RunKey) {
        let spec = problem(&key.theory.data, key.theory.seed).and_then(|data| ensemble_spec(&key, &data));
        let spec = match spec {
            Ok(spec) => spec,
            Err(message) => {
                self.cancel();
                self.state.set(RunState { key: Some(key), error: Some(message), ..RunState::default() });
                return;
            }
        };
        let members = spec.members;
        self.state.set(RunState { key: Some(key), members_total: members, ..RunState::default() });
        let tasks: Vec<Work> =
            (0..members).map(|m| Work::Ensemble { spec: spec.clone(), members: (m, m + 1) }).collect();
        let service = *self;
        let generation = self.with_scheduler(move |event| service.on_event(event), |s| s.run(tasks));
        self.job.set_value(Some(Job {
            generation,
            spec,
            results: vec![None; members],
            steps_of: vec![0; members],
        }));
    }

    /// Cancels the run (nothing of it is reported after this).
    pub fn cancel(&self) {
        self.job.set_value(None);
        self.scheduler.with_value(|s| s.as_ref().map(Scheduler::cancel));
    }

    /// Calls `f` with the scheduler, created (one worker per core) on first use.
    fn with_scheduler<R>(&self, on_event: impl Fn(Event) + 'static, f: impl FnOnce(&Scheduler) -> R) -> R {
        if self.scheduler.with_value(Option::is_none) {
            let workers =
                SchedulerOptions::workers_for(SchedulerOptions::browser_cores(), MAX_ENSEMBLE_WORKERS);
            self.scheduler.set_value(Some(Scheduler::new(SchedulerOptions::with_workers(workers), on_event)));
        }
        self.scheduler.with_value(|s| f(s.as_ref().expect("just created")))
    }

    fn on_event(&self, event: Event) {
        match event {
            Event::Progress { job, progress } => {
                let fraction = self.job.try_update_value(|j| {
                    let j = j.as_mut().filter(|j| j.generation == job.generation)?;
                    j.steps_of[job.task] = progress.step.unwrap_or(0);
                    let total = j.spec.steps.max(1) as f64 * j.results.len() as f64;
                    Some(j.steps_of.iter().map(|&s| s as f64).sum::<f64>() / total)
                });
                if let Some(Some(f)) = fraction {
                    self.state.update(|r| r.fraction = f.clamp(0.0, 1.0));
                }
            }
            Event::Done { job, result: Ok(Output::Ensemble(stats)) } => {
                self.member_done(job.generation, job.task, stats)
            }
            Event::Done { result: Err(message), .. } | Event::Unavailable { message, .. } => {
                self.cancel();
                self.state.update(|r| r.error = Some(message));
            }
            Event::Done { .. } => {}
            Event::Lost { job, worker, message, rerun } => {
                let note = if rerun {
                    format!(
                        "worker {worker} stopped ({message}); it was replaced and member {} rerun",
                        job.task
                    )
                } else {
                    format!("member {} stopped a worker twice ({message})", job.task)
                };
                self.state.update(|r| {
                    r.incidents.push(Note::text(note));
                    if !rerun {
                        r.error = Some(format!("member {} stopped a worker twice", job.task));
                    }
                });
                if !rerun {
                    self.cancel();
                }
            }
        }
    }

    fn member_done(&self, generation: u64, member: usize, stats: EnsembleStats) {
        let merged = self.job.try_update_value(|j| {
            let j = j.as_mut().filter(|j| j.generation == generation)?;
            if member >= j.results.len() || j.results[member].is_some() {
                return None;
            }
            j.results[member] = Some(stats.clone());
            j.steps_of[member] = j.spec.steps;
            let done = j.results.iter().filter(|r| r.is_some()).count();
            Some((merge_in_member_order(&j.spec, &j.results), done, j.results.len()))
        });
        let Some(Some((merged, done, total))) = merged else { return };
        self.state.update(|r| {
            match merged {
                Ok(stats) => r.summary = Some(stats.summary()),
                Err(e) => r.error = Some(e),
            }
            if member < MAX_CURVES {
                let at = r.members.partition_point(|(m, _)| *m < member);
                r.members.insert(at, (member, stats.summary()));
            }
            r.members_done = done;
            r.done = done == total;
            if r.done {
                r.fraction = 1.0;
            }
        });
    }
}
