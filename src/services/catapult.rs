//! The catapult view's real networks as a service (Leptos context): a wide network and a few
//! small ones at the view's ηλ₀ (λ = λ_max(Θ̂)/N), trained in a worker of their own; a new run
//! abandons the old one.

use leptos::prelude::*;
use ntk_core::experiments::catapult_network::{default_data, CatapultNetworkSpec};

use crate::params::catapult::CatapultParams;
use crate::runtime::protocol::{CatapultJob, CatapultRun, Output, Work};
use crate::runtime::scheduler::{Event, Scheduler, SchedulerOptions};

/// The state of the real networks' run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetRun {
    /// the parameters it belongs to (those of [`net_key`])
    pub key: Option<CatapultParams>,
    /// scheduler generation of the run shown
    pub generation: u64,
    /// fraction done
    pub fraction: f64,
    /// the trajectories, or why there are none
    pub result: Option<Result<CatapultRun, String>>,
}

/// The parameters the real networks depend on (not the two-scalar model's n, λ₀, f₀).
pub fn net_key(p: &CatapultParams) -> CatapultParams {
    let d = CatapultParams::default();
    CatapultParams { n: d.n, lambda0: d.lambda0, f0: d.f0, ..p.clone() }
}

/// The networks' job for `p`.
///
/// # Errors
/// The core's message for an invalid network or data set.
pub fn job(p: &CatapultParams) -> Result<CatapultJob, String> {
    let (x_train, y_train) = default_data(p.points).map_err(|e| e.to_string())?;
    let network = CatapultNetworkSpec {
        activation: p.arch.activation,
        width: p.width,
        sigma_w2: p.arch.sw2,
        sigma_b2: p.arch.sb2,
        x_train,
        y_train,
        eta: 1.0,
        steps: p.steps,
        seed: p.seed,
    };
    network.validate().map_err(|e| e.to_string())?;
    Ok(CatapultJob {
        network,
        eta_lambda0: p.eta_lambda0,
        member_width: p.member_width,
        members: p.members,
        quadratic: p.quadratic,
    })
}

/// The catapult networks of the page (see the module doc).
#[derive(Clone, Copy)]
pub struct CatapultService {
    /// the run shown (read by the view)
    pub state: RwSignal<NetRun>,
    scheduler: StoredValue<Option<Scheduler>, LocalStorage>,
}

impl CatapultService {
    /// Creates the service and provides it to the component tree below.
    pub fn provide() -> CatapultService {
        let service = CatapultService {
            state: RwSignal::new(NetRun::default()),
            scheduler: StoredValue::new_local(None),
        };
        provide_context(service);
        service
    }

    /// Whether the run shown belongs to `key` (and did not fail).
    pub fn is_current(&self, key: &CatapultParams) -> bool {
        self.state.with_untracked(|r| r.key.as_ref() == Some(key) && !matches!(r.result, Some(Err(_))))
    }

    /// Abandons any run and trains the networks of `key` (those of [`net_key`]).
    pub fn start(&self, key: CatapultParams) {
        let job = match job(&key) {
            Ok(job) => job,
            Err(e) => {
                self.scheduler.with_value(|s| s.as_ref().map(Scheduler::cancel));
                self.state.set(NetRun { key: Some(key), result: Some(Err(e)), ..NetRun::default() });
                return;
            }
        };
        if self.scheduler.with_value(Option::is_none) {
            let service = *self;
            let scheduler = Scheduler::new(SchedulerOptions::with_workers(1), move |e| service.on_event(e));
            self.scheduler.set_value(Some(scheduler));
        }
        self.state.set(NetRun { key: Some(key), ..NetRun::default() });
        let generation =
            self.scheduler.with_value(|s| s.as_ref().map_or(0, |s| s.run(vec![Work::Catapult(job)])));
        self.state.update(|r| r.generation = generation);
    }

    fn on_event(&self, event: Event) {
        self.state.update(|r| match event {
            Event::Progress { job, progress } if job.generation == r.generation => {
                r.fraction = progress.fraction
            }
            Event::Done { job, result } if job.generation == r.generation => {
                r.fraction = 1.0;
                r.result = Some(result.and_then(|out| match out {
                    Output::Catapult(run) => Ok(run),
                    _ => Err("unexpected reply from the worker".to_string()),
                }));
            }
            Event::Lost { job, message, rerun: false, .. } if job.generation == r.generation => {
                r.result = Some(Err(message));
            }
            Event::Unavailable { message, .. } => r.result = Some(Err(message)),
            _ => {}
        });
    }
}
