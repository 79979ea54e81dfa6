//! The kernel-convergence study (paper SM I, Figures S9–S10) as a service (Leptos context): one
//! task per width over two workers, run on demand, cancellable; the result assembled (slopes
//! fitted) once every width is in.

use leptos::prelude::*;
use ntk_core::experiments::kernel_convergence::{ConvergencePoint, ConvergenceResult, ConvergenceSpec};

use crate::runtime::protocol::{Output, Work};
use crate::runtime::scheduler::{Event, Scheduler, SchedulerOptions};

/// The study shown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConvergenceState {
    /// the study run
    pub spec: Option<ConvergenceSpec>,
    /// widths finished
    pub points: Vec<ConvergencePoint>,
    /// progress of the widths in flight, by task
    pub in_flight: Vec<f64>,
    /// the assembled result
    pub result: Option<ConvergenceResult>,
    /// running
    pub running: bool,
    /// why it stopped
    pub error: Option<String>,
}

impl ConvergenceState {
    /// Fraction of the widths done.
    pub fn fraction(&self) -> f64 {
        let total = self.spec.as_ref().map_or(0, |s| s.widths.len());
        if total == 0 {
            return 0.0;
        }
        ((self.points.len() as f64 + self.in_flight.iter().sum::<f64>()) / total as f64).min(1.0)
    }
}

/// The kernel-convergence runs of the page.
#[derive(Clone, Copy)]
pub struct ConvergenceService {
    /// the study shown
    pub state: RwSignal<ConvergenceState>,
    scheduler: StoredValue<Option<Scheduler>, LocalStorage>,
}

impl ConvergenceService {
    /// Creates the service and provides it to the component tree below.
    pub fn provide() -> ConvergenceService {
        let s = ConvergenceService {
            state: RwSignal::new(ConvergenceState::default()),
            scheduler: StoredValue::new_local(None),
        };
        provide_context(s);
        s
    }

    /// Runs `spec`, widest first over two workers (refused with the core's message if invalid).
    pub fn start(&self, spec: ConvergenceSpec) {
        if let Err(e) = spec.validate() {
            self.state.set(ConvergenceState {
                spec: Some(spec),
                error: Some(e.to_string()),
                ..ConvergenceState::default()
            });
            return;
        }
        if self.scheduler.with_value(Option::is_none) {
            let service = *self;
            let workers = SchedulerOptions::workers_for(SchedulerOptions::browser_cores(), 2);
            let s = Scheduler::new(SchedulerOptions::with_workers(workers), move |e| service.on_event(e));
            self.scheduler.set_value(Some(s));
        }
        let tasks: Vec<Work> =
            spec.widths.iter().rev().map(|&width| Work::Convergence { spec: spec.clone(), width }).collect();
        let n = tasks.len();
        self.state.set(ConvergenceState {
            spec: Some(spec),
            in_flight: vec![0.0; n],
            running: true,
            ..ConvergenceState::default()
        });
        self.scheduler.with_value(|s| s.as_ref().map(|s| s.run(tasks)));
    }

    /// Stops the study; the widths finished stay.
    pub fn cancel(&self) {
        self.scheduler.with_value(|s| s.as_ref().map(Scheduler::cancel));
        self.state.update(|s| {
            if s.running {
                s.running = false;
                s.error = Some(format!("cancelled: {} widths finished", s.points.len()));
                s.in_flight.iter_mut().for_each(|f| *f = 0.0);
            }
        });
    }

    fn on_event(&self, event: Event) {
        self.state.update(|s| match event {
            Event::Progress { job, progress } => {
                if let Some(f) = s.in_flight.get_mut(job.task) {
                    *f = progress.fraction;
                }
            }
            Event::Done { job, result: Ok(Output::Convergence(point)) } => {
                if let Some(f) = s.in_flight.get_mut(job.task) {
                    *f = 0.0;
                }
                s.points.push(*point);
                if let Some(spec) = &s.spec {
                    if s.points.len() == spec.widths.len() {
                        s.running = false;
                        match ConvergenceResult::assemble(spec, s.points.clone()) {
                            Ok(r) => s.result = Some(r),
                            Err(e) => s.error = Some(e.to_string()),
                        }
                    }
                }
            }
            Event::Done { result: Err(m), .. } | Event::Unavailable { message: m, .. } => {
                s.running = false;
                s.error = Some(m);
            }
            Event::Lost { message, rerun: false, .. } => {
                s.running = false;
                s.error = Some(message);
            }
            _ => {}
        });
    }
}
