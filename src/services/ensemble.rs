//! The explorer's ensemble run as a service (Leptos context): the finite networks of a
//! [`RunKey`] trained in the workers (each trains its range of members together) and streamed
//! checkpoint by checkpoint; the page merges each checkpoint once every member has reached it,
//! exactly in member order ([`CheckpointMerger`]: the same bits whatever the number of
//! workers), so the bands move through training time as the networks train. A new run cancels
//! the old one; a lost worker's members are rerun from their seeds and nothing half-merged is
//! ever shown.

use leptos::prelude::*;
use std::ops::Range;

use ntk_core::nets::ensemble::{CheckpointMerger, EnsembleSpec, EnsembleSummary};

use crate::params::explorer::{RunKey, MAX_CURVES};
use crate::params::notes::Note;
use crate::problem::{problem, Problem};
use crate::runtime::protocol::{Part, Work};
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
    /// which run this is (counts the runs started; the page's tests read it)
    pub id: u64,
    /// the parameters it belongs to
    pub key: Option<RunKey>,
    /// members in the job
    pub members_total: usize,
    /// fraction of all training steps done
    pub fraction: f64,
    /// statistics of the complete checkpoints (those every member has reached: a prefix of
    /// the schedule, growing as the networks train)
    pub summary: Option<EnsembleSummary>,
    /// the network outputs of each of the first [`MAX_CURVES`] members at the complete
    /// checkpoints (`None` once it has diverged), for drawing individual networks
    pub curves: Vec<Vec<Option<Vec<f64>>>>,
    /// every member reached the last checkpoint
    pub done: bool,
    /// why the run could not start or finish
    pub error: Option<String>,
    /// workers lost (and replaced) during the run, or what the page could not show as given
    /// of an opened run
    pub incidents: Vec<Note>,
    /// the file the run was opened from and what it holds (`None`: trained in the page)
    pub source: Option<String>,
}

impl RunState {
    /// The step of the newest complete checkpoint.
    pub fn latest_step(&self) -> Option<u64> {
        self.summary.as_ref().and_then(|s| s.checkpoints.last()).map(|c| c.step)
    }
}

/// The job in flight: its spec, the member range of each task, and the merger of their batches.
struct Job {
    generation: u64,
    spec: EnsembleSpec,
    ranges: Vec<Range<usize>>,
    fractions: Vec<f64>,
    tasks_done: usize,
    merger: CheckpointMerger,
}

/// The ensemble run of the explorer (see the module doc).
#[derive(Clone, Copy)]
pub struct EnsembleService {
    /// the run shown (read by the view)
    pub state: RwSignal<RunState>,
    scheduler: StoredValue<Option<Scheduler>, LocalStorage>,
    job: StoredValue<Option<Job>, LocalStorage>,
}

/// Splits members `0..members` into at most `parts` contiguous ranges of sizes differing by at
/// most one (each worker trains one range together).
pub fn split_members(members: usize, parts: usize) -> Vec<Range<usize>> {
    let parts = parts.clamp(1, members.max(1));
    (0..parts).map(|i| i * members / parts..(i + 1) * members / parts).filter(|r| !r.is_empty()).collect()
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
        data: data.points.clone(),
        learning_rate: t.lr,
        steps: t.steps,
        momentum: 0.0,
        readout_only: false,
        loss: Default::default(),
        batch_size: None,
        seed: key.theory.seed,
        members: t.members,
        checkpoints: CHECKPOINTS,
        alpha: t.alpha,
        quadratic: t.quadratic,
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

    /// Cancels any run and starts the ensemble of `key`: the members split into one range per
    /// worker, each range trained together and streamed checkpoint by checkpoint.
    pub fn start(&self, key: RunKey) {
        let id = self.state.with_untracked(|r| r.id) + 1;
        let prepared =
            problem(&key.theory.data, key.theory.seed).and_then(|data| ensemble_spec(&key, &data)).and_then(
                |spec| CheckpointMerger::new(&spec, MAX_CURVES).map(|m| (spec, m)).map_err(|e| e.to_string()),
            );
        let (spec, merger) = match prepared {
            Ok(p) => p,
            Err(message) => {
                self.cancel();
                self.state.set(RunState { id, key: Some(key), error: Some(message), ..RunState::default() });
                return;
            }
        };
        self.state.set(RunState { id, key: Some(key), members_total: spec.members, ..RunState::default() });
        let service = *self;
        self.ensure_scheduler(move |event| service.on_event(event));
        let workers = self.scheduler.with_value(|s| s.as_ref().map_or(1, Scheduler::size));
        let ranges = split_members(spec.members, workers);
        let tasks: Vec<Work> =
            ranges.iter().map(|r| Work::Ensemble { spec: spec.clone(), members: (r.start, r.end) }).collect();
        let next = self.scheduler.with_value(|s| s.as_ref().map_or(0, Scheduler::generation)) + 1;
        let n = ranges.len();
        self.job.set_value(Some(Job {
            generation: next,
            spec,
            ranges,
            fractions: vec![0.0; n],
            tasks_done: 0,
            merger,
        }));
        self.scheduler.with_value(|s| s.as_ref().map(|s| s.run(tasks)));
    }

    /// Cancels any run and shows a finished run opened from a file instead of training one:
    /// `key` is the page's parameters showing it, `summary` its statistics, `source` the file
    /// (for the status line), `notes` what the page could not show as given.
    pub fn show_opened(
        &self,
        key: RunKey,
        summary: EnsembleSummary,
        members: usize,
        source: String,
        notes: Vec<Note>,
    ) {
        self.cancel();
        let id = self.state.with_untracked(|r| r.id) + 1;
        self.state.set(RunState {
            id,
            key: Some(key),
            members_total: members,
            fraction: 1.0,
            summary: Some(summary),
            curves: Vec::new(),
            done: true,
            error: None,
            incidents: notes,
            source: Some(source),
        });
    }

    /// Cancels the run (nothing of it is reported after this).
    pub fn cancel(&self) {
        self.job.set_value(None);
        self.scheduler.with_value(|s| s.as_ref().map(Scheduler::cancel));
    }

    /// Creates the scheduler (one worker per core) on first use.
    fn ensure_scheduler(&self, on_event: impl Fn(Event) + 'static) {
        if self.scheduler.with_value(Option::is_none) {
            let workers =
                SchedulerOptions::workers_for(SchedulerOptions::browser_cores(), MAX_ENSEMBLE_WORKERS);
            self.scheduler.set_value(Some(Scheduler::new(SchedulerOptions::with_workers(workers), on_event)));
        }
    }

    fn on_event(&self, event: Event) {
        match event {
            Event::Progress { job, progress } => {
                let fraction = self.with_job(job.generation, |j| {
                    j.fractions[job.task] = progress.fraction;
                    let weighted: f64 =
                        j.ranges.iter().zip(&j.fractions).map(|(r, f)| r.len() as f64 * f).sum();
                    weighted / j.spec.members as f64
                });
                if let Some(f) = fraction {
                    self.state.update(|r| r.fraction = f.clamp(0.0, 1.0));
                }
            }
            Event::Partial { job, part: Part::Ensemble(batch) } => {
                let update = self.with_job(job.generation, |j| {
                    let before = j.merger.complete_through();
                    j.merger.add(&batch).map_err(|e| e.to_string())?;
                    Ok::<_, String>((j.merger.complete_through() != before).then(|| snapshot(&j.merger)))
                });
                match update {
                    Some(Ok(Some((summary, curves)))) => self.state.update(|r| {
                        r.summary = Some(summary);
                        r.curves = curves;
                    }),
                    Some(Err(message)) => self.fail(message),
                    _ => {}
                }
            }
            Event::Partial { .. } => {}
            Event::Done { job, result: Ok(_) } => {
                let finished = self.with_job(job.generation, |j| {
                    j.tasks_done += 1;
                    j.fractions[job.task] = 1.0;
                    j.tasks_done == j.ranges.len()
                });
                if finished == Some(true) {
                    self.state.update(|r| {
                        r.done = true;
                        r.fraction = 1.0;
                    });
                }
            }
            Event::Done { result: Err(message), .. } | Event::Unavailable { message, .. } => {
                self.fail(message)
            }
            Event::Lost { job, worker, message, rerun } => {
                let range = self.with_job(job.generation, |j| {
                    j.fractions[job.task] = 0.0;
                    let range = j.ranges[job.task].clone();
                    if rerun {
                        // Its batches of incomplete checkpoints are forgotten; the rerun sends
                        // the same records again.
                        let _ = j.merger.discard(range.clone());
                    }
                    range
                });
                let Some(range) = range else { return };
                let members = format!("members {}–{}", range.start, range.end.saturating_sub(1));
                let note = if rerun {
                    format!("worker {worker} stopped ({message}); it was replaced and {members} are rerun from their seeds")
                } else {
                    format!("{members} stopped a worker twice ({message})")
                };
                self.state.update(|r| r.incidents.push(Note::text(note.clone())));
                if !rerun {
                    self.fail(note);
                }
            }
        }
    }

    /// Runs `f` on the job of `generation`, if it is the current one.
    fn with_job<R>(&self, generation: u64, f: impl FnOnce(&mut Job) -> R) -> Option<R> {
        self.job.try_update_value(|j| j.as_mut().filter(|j| j.generation == generation).map(f)).flatten()
    }

    fn fail(&self, message: String) {
        self.cancel();
        self.state.update(|r| r.error = Some(message));
    }
}

/// The statistics of the complete checkpoints and the first members' outputs there.
fn snapshot(merger: &CheckpointMerger) -> (EnsembleSummary, Vec<Vec<Option<Vec<f64>>>>) {
    let curves = (0..MAX_CURVES)
        .map_while(|m| merger.member_entries(m))
        .map(|entries| entries.iter().map(|e| e.record().map(|r| r.nn.clone())).collect())
        .collect();
    (merger.stats().summary(), curves)
}
