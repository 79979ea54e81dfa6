//! The one-network view's runs as a service (Leptos context): the network of the view's
//! parameters beside its linearization and the analytic-Θ dynamics, trained in a worker of
//! its own and streamed checkpoint by checkpoint ([`SingleService::start`]); and, on demand,
//! the same run at a few widths for the logit gap of paper Figure S4
//! ([`SingleService::compare_widths`]), two workers. A new run abandons the old one.

use leptos::prelude::*;
use ntk_core::experiments::single::{
    SingleCheckpoint, SingleDivergence, SingleReport, SingleSpec, SingleStart,
};

use crate::params::single::{SingleParams, MAX_WIDTH};
use crate::runtime::protocol::{Output, Part, Work};
use crate::runtime::scheduler::{Event, Scheduler, SchedulerOptions};

/// Checkpoints of a run (log-spaced).
pub const CHECKPOINTS: usize = 60;
/// Most training FLOP one run may ask for (about a minute in a worker).
pub const MAX_SINGLE_FLOP: f64 = 6e11;
/// Most training FLOP of the compare-widths runs together.
pub const MAX_COMPARE_FLOP: f64 = 1.2e12;

/// One run: what it is for, what has arrived, how it ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SingleRun {
    /// counts the runs started (the page's tests read it)
    pub id: u64,
    /// the parameters it belongs to ([`SingleParams::run_key`])
    pub key: Option<SingleParams>,
    /// the core's spec of it
    pub spec: Option<SingleSpec>,
    /// the followed weights and Θ̂₀'s landmarks, once the worker has built the network
    pub start: Option<SingleStart>,
    /// checkpoints reached, in order
    pub checkpoints: Vec<SingleCheckpoint>,
    /// fraction of the steps done
    pub fraction: f64,
    /// every checkpoint arrived, or a model diverged
    pub done: bool,
    /// the divergence that ended it
    pub diverged: Option<SingleDivergence>,
    /// why it could not run
    pub error: Option<String>,
}

impl SingleRun {
    /// The run as the file `ntk single` prints (once started).
    pub fn report(&self) -> Option<SingleReport> {
        let (spec, start) = (self.spec.as_ref()?, self.start.clone()?);
        SingleReport::new(spec, start, self.checkpoints.clone(), self.diverged).ok()
    }

    /// The newest checkpoint at or before `step` (the last one when `step` is `None`).
    pub fn at(&self, step: Option<u64>) -> Option<&SingleCheckpoint> {
        match step {
            None => self.checkpoints.last(),
            Some(k) => self.checkpoints.iter().rev().find(|c| c.step <= k).or(self.checkpoints.first()),
        }
    }

    /// Applies one event of the run's task.
    fn apply(&mut self, event: &Event) {
        match event {
            Event::Progress { progress, .. } => self.fraction = progress.fraction.clamp(0.0, 1.0),
            Event::Partial { part: Part::SingleStart(s), .. } => self.start = Some(s.clone()),
            Event::Partial { part: Part::Single(c), .. } => self.checkpoints.push((**c).clone()),
            Event::Partial { .. } => {}
            Event::Done { result: Ok(Output::Single(d)), .. } => {
                self.done = true;
                self.fraction = 1.0;
                self.diverged = *d;
            }
            Event::Done { result: Ok(_), .. } => self.error = Some("unexpected reply from the worker".into()),
            Event::Done { result: Err(m), .. } | Event::Unavailable { message: m, .. } => {
                self.error = Some(m.clone())
            }
            Event::Lost { message, rerun, .. } => {
                if *rerun {
                    // The task runs again from its seed: what it sent is sent again.
                    self.checkpoints.clear();
                    self.start = None;
                } else {
                    self.error = Some(message.clone());
                }
            }
        }
    }
}

/// The widths the compare action runs: n/4, n and 4n within 8 ..= [`MAX_WIDTH`], distinct.
pub fn compare_widths(width: usize) -> Vec<usize> {
    let mut w: Vec<usize> = [width / 4, width, width * 4].iter().map(|&v| v.clamp(8, MAX_WIDTH)).collect();
    w.dedup();
    w
}

/// The compare-widths runs: one [`SingleRun`] per width.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Compare {
    /// the parameters they belong to
    pub key: Option<SingleParams>,
    /// the widths, in task order
    pub widths: Vec<usize>,
    /// one run per width
    pub runs: Vec<SingleRun>,
    /// why they could not run
    pub error: Option<String>,
}

/// Refuses runs too large for a tab, before any work.
///
/// # Errors
/// A message with the work asked and what to lower.
pub fn check_workload(flop: f64, limit: f64) -> Result<(), String> {
    if flop > limit {
        return Err(format!(
            "needs {flop:.1e} FLOP (limit {limit:.0e} for a browser tab): lower the width, the steps, the training points or the depth"
        ));
    }
    Ok(())
}

/// The one-network runs of the page.
#[derive(Clone, Copy)]
pub struct SingleService {
    /// the run shown
    pub state: RwSignal<SingleRun>,
    /// the compare-widths runs
    pub compare: RwSignal<Compare>,
    scheduler: StoredValue<Option<Scheduler>, LocalStorage>,
    compare_scheduler: StoredValue<Option<Scheduler>, LocalStorage>,
}

impl SingleService {
    /// Creates the service and provides it to the component tree below.
    pub fn provide() -> SingleService {
        let service = SingleService {
            state: RwSignal::new(SingleRun::default()),
            compare: RwSignal::new(Compare::default()),
            scheduler: StoredValue::new_local(None),
            compare_scheduler: StoredValue::new_local(None),
        };
        provide_context(service);
        service
    }

    /// Whether the run shown belongs to `key` (and did not fail).
    pub fn is_current(&self, key: &SingleParams) -> bool {
        self.state.with_untracked(|r| r.key.as_ref() == Some(key) && r.error.is_none())
    }

    /// Abandons any run and starts the one of `key`.
    pub fn start(&self, key: SingleParams) {
        let id = self.state.with_untracked(|r| r.id) + 1;
        let spec = key
            .spec(key.width, CHECKPOINTS)
            .and_then(|s| check_workload(s.flops_per_step() * s.steps as f64, MAX_SINGLE_FLOP).map(|()| s));
        let spec = match spec {
            Ok(s) => s,
            Err(e) => {
                self.scheduler.with_value(|s| s.as_ref().map(Scheduler::cancel));
                self.state.set(SingleRun { id, key: Some(key), error: Some(e), ..SingleRun::default() });
                return;
            }
        };
        if self.scheduler.with_value(Option::is_none) {
            let service = *self;
            let scheduler = Scheduler::new(SchedulerOptions::with_workers(1), move |e| service.on_event(e));
            self.scheduler.set_value(Some(scheduler));
        }
        self.state.set(SingleRun { id, key: Some(key), spec: Some(spec.clone()), ..SingleRun::default() });
        self.scheduler.with_value(|s| s.as_ref().map(|s| s.run(vec![Work::Single(spec)])));
    }

    fn on_event(&self, event: Event) {
        let current = self.scheduler.with_value(|s| s.as_ref().map_or(0, Scheduler::generation));
        let generation = match &event {
            Event::Progress { job, .. } | Event::Partial { job, .. } | Event::Done { job, .. } => {
                job.generation
            }
            Event::Lost { job, .. } => job.generation,
            Event::Unavailable { generation, .. } => *generation,
        };
        if generation == current {
            self.state.update(|r| r.apply(&event));
        }
    }

    /// Runs the parameters of `key` at the widths of [`compare_widths`] (two workers), for
    /// the logit gap against time at each width.
    pub fn compare_widths(&self, key: SingleParams) {
        let widths = compare_widths(key.width);
        let specs: Result<Vec<SingleSpec>, String> =
            // The logit gap is network against linearization: the quadratic model (five times
            // a network step) is left out of these runs.
            widths.iter().map(|&w| key.spec(w, CHECKPOINTS).map(|s| SingleSpec { quadratic: false, ..s })).collect();
        let specs = specs.and_then(|specs| {
            let flop: f64 = specs.iter().map(|s| s.flops_per_step() * s.steps as f64).sum();
            check_workload(flop, MAX_COMPARE_FLOP).map(|()| specs)
        });
        let specs = match specs {
            Ok(s) => s,
            Err(e) => {
                self.compare.set(Compare { key: Some(key), widths, error: Some(e), ..Compare::default() });
                return;
            }
        };
        if self.compare_scheduler.with_value(Option::is_none) {
            let service = *self;
            let workers = SchedulerOptions::workers_for(SchedulerOptions::browser_cores(), 2);
            let scheduler =
                Scheduler::new(SchedulerOptions::with_workers(workers), move |e| service.on_compare_event(e));
            self.compare_scheduler.set_value(Some(scheduler));
        }
        let runs = specs
            .iter()
            .map(|s| SingleRun { key: Some(key.clone()), spec: Some(s.clone()), ..SingleRun::default() })
            .collect();
        self.compare.set(Compare { key: Some(key), widths, runs, error: None });
        let tasks = specs.into_iter().map(Work::Single).collect();
        self.compare_scheduler.with_value(|s| s.as_ref().map(|s| s.run(tasks)));
    }

    fn on_compare_event(&self, event: Event) {
        let current = self.compare_scheduler.with_value(|s| s.as_ref().map_or(0, Scheduler::generation));
        let task = match &event {
            Event::Progress { job, .. } | Event::Partial { job, .. } | Event::Done { job, .. } => {
                (job.generation == current).then_some(job.task)
            }
            Event::Lost { job, .. } => (job.generation == current).then_some(job.task),
            Event::Unavailable { message, .. } => {
                let message = message.clone();
                self.compare.update(|c| c.error = Some(message));
                None
            }
        };
        if let Some(t) = task {
            self.compare.update(|c| {
                if let Some(run) = c.runs.get_mut(t) {
                    run.apply(&event);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_widths_are_a_quarter_the_width_and_four_times_within_range() {
        assert_eq!(compare_widths(256), vec![64, 256, 1024]);
        assert_eq!(compare_widths(16), vec![8, 16, 64]);
        assert_eq!(compare_widths(2048), vec![512, 2048]);
        assert!(check_workload(1e13, MAX_SINGLE_FLOP).unwrap_err().contains("lower the width"));
    }
}
