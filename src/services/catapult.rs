//! The catapult view's numerics: the two-scalar model and its phase diagram, computed on the
//! main thread at every slider input (microseconds: [`two_scalar_model`], [`phase_points`]),
//! and the real networks as a service (Leptos context) — a wide network and a few small ones at
//! the view's ηλ₀ (λ = λ_max(Θ̂)/N), trained in a worker of their own; a new run abandons the
//! old one.

use leptos::prelude::*;
use ntk_core::experiments::catapult::{
    linear_grid, phase_diagram, two_scalar_map, PhaseDiagramSpec, PhasePoint, TwoScalarSpec,
    TwoScalarTrajectory,
};
use ntk_core::experiments::catapult_network::{default_data, CatapultNetworkSpec};

use crate::params::catapult::CatapultParams;
use crate::runtime::protocol::{CatapultJob, CatapultRun, Output, Work};
use crate::runtime::scheduler::{Event, Scheduler, SchedulerOptions};

/// Points of the phase diagram's ηλ₀ grid.
pub const DIAGRAM_POINTS: usize = 50;

/// The ηλ₀ range of the phase diagram.
pub const DIAGRAM_RANGE: (f64, f64) = (0.1, 5.0);

/// The two-scalar model of `p` at its ηλ₀ (lecture 002: `f_{t+1} = (1 − ηλ_t + η²f_t²/n) f_t`,
/// `λ_{t+1} = λ_t + (η f_t²/n)(ηλ_t − 4)`).
///
/// # Errors
/// The core's message for an invalid setting.
pub fn two_scalar_model(p: &CatapultParams) -> Result<TwoScalarTrajectory, String> {
    let spec = TwoScalarSpec { eta: 1.0, width: p.n as f64, lambda0: p.lambda0, f0: p.f0, steps: p.steps };
    spec.with_eta_lambda0(p.eta_lambda0).and_then(|s| two_scalar_map(&s)).map_err(|e| e.to_string())
}

/// The two-scalar model of `p` over the ηλ₀ grid ([`DIAGRAM_POINTS`] values on
/// [`DIAGRAM_RANGE`]): its final ηλ and loss, or where it diverged.
///
/// # Errors
/// The core's message for an invalid setting.
pub fn phase_points(p: &CatapultParams) -> Result<Vec<PhasePoint>, String> {
    let grid = linear_grid(DIAGRAM_RANGE.0, DIAGRAM_RANGE.1, DIAGRAM_POINTS).map_err(|e| e.to_string())?;
    let spec = PhaseDiagramSpec {
        width: p.n as f64,
        lambda0: p.lambda0,
        f0: p.f0,
        steps: p.steps,
        eta_lambda0: grid,
    };
    phase_diagram(&spec).map_err(|e| e.to_string())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The model's phases over the diagram's grid at the default setting (lecture 002): below
    /// ηλ₀ = 2 the kernel barely moves (lazy), between 2 and 4 it catapults down below 2 and
    /// the loss converges, well above 4 it diverges.
    #[test]
    fn the_phase_points_show_lazy_catapult_and_divergent_phases() {
        let p = CatapultParams::default();
        let m = two_scalar_model(&p).unwrap();
        assert_eq!(m.loss.len(), m.lambda.len());
        let points = phase_points(&p).unwrap();
        assert_eq!(points.len(), DIAGRAM_POINTS);
        for q in &points {
            let final_eta_lambda = q.eta * q.final_lambda;
            match q.eta_lambda0 {
                x if x < 1.8 => {
                    assert!(q.diverged_at.is_none(), "ηλ₀ = {x}");
                    assert!(
                        (final_eta_lambda - x).abs() < 0.1 * x,
                        "lazy at ηλ₀ = {x}: ηλ = {final_eta_lambda}"
                    );
                }
                x if (2.2..3.8).contains(&x) => {
                    assert!(q.diverged_at.is_none(), "ηλ₀ = {x} catapults");
                    assert!(final_eta_lambda < 2.0, "catapult at ηλ₀ = {x}: ηλ = {final_eta_lambda}");
                }
                x if x > 4.5 => assert!(q.diverged_at.is_some(), "ηλ₀ = {x} diverges"),
                _ => {}
            }
        }
    }
}
