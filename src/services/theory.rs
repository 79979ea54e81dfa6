//! The infinite-width theory of the explorer's problem, as a service the views share through
//! Leptos context: NTK-GP and NNGP dynamics (paper Eq. 13–16) and the learning-rate landmarks,
//! computed once per [`TheoryKey`] and kept. Activations with closed-form kernel maps are
//! computed on the spot (about a millisecond for the page's sizes); the others (tanh,
//! softplus, sigmoid: Gaussian quadrature) in a kernel worker, the latest request winning, and
//! until it answers the theory reads as [`THEORY_PENDING`].

use leptos::prelude::*;
use nalgebra::DVector;
use ntk_core::theory::gp::{ExpectedLoss, GpDynamics, GpKernels, MarginalPrediction, TrainingTime};
use ntk_core::theory::landmarks::LearningRateLandmarks;
use ntk_core::Architecture;

use crate::params::explorer::TheoryKey;
use crate::problem::{problem, rows, Problem};
use crate::runtime::protocol::{Output, Work};
use crate::runtime::scheduler::{Event, Scheduler, SchedulerOptions};

/// What the page says while the kernel worker computes.
pub const THEORY_PENDING: &str = "computing the NNGP and NTK kernels by quadrature in a worker…";

/// The analytic side of a view: NTK-GP and NNGP dynamics on the data set, and the learning-rate
/// landmarks of the train NTK.
pub struct Theory {
    /// the GP dynamics (paper Eq. 13–16)
    pub dynamics: GpDynamics,
    /// η_max = 2N/λ_max and η_critical = 2N/(λ_min + λ_max)
    pub landmarks: LearningRateLandmarks,
}

/// Mean and marginal variance of both GPs at one time.
pub struct TheoryAt {
    /// NTK-GP (every layer trained)
    pub ntk: MarginalPrediction,
    /// NNGP (readout only trained)
    pub nngp: MarginalPrediction,
}

/// NTK-GP and NNGP dynamics of `arch` on `data`.
///
/// # Errors
/// The core's message (invalid architecture, kernels that are not finite).
pub fn theory(arch: &Architecture, data: &Problem) -> Result<Theory, String> {
    let y = DVector::from_column_slice(&data.points.y_train);
    let dynamics = GpDynamics::new(arch, &rows(&data.points.x_train), &y, &rows(&data.points.x_test), 0.0)
        .map_err(|e| e.to_string())?;
    let landmarks = dynamics.landmarks();
    Ok(Theory { dynamics, landmarks })
}

/// The theory from kernels computed elsewhere (the kernel worker) for the same problem.
///
/// # Errors
/// The core's message (kernels that do not fit the data, singular kernels).
pub fn theory_from_kernels(arch: &Architecture, data: &Problem, k: &GpKernels) -> Result<Theory, String> {
    let y = DVector::from_column_slice(&data.points.y_train);
    let dynamics = GpDynamics::from_gp_kernels(arch, &rows(&data.points.x_test), k, &y, 0.0)
        .map_err(|e| e.to_string())?;
    let landmarks = dynamics.landmarks();
    Ok(Theory { dynamics, landmarks })
}

impl Theory {
    /// Both GPs after `step` steps of learning rate η (paper Eq. 14–16, discrete-step form).
    /// `centred`: the models of the centred output g = α (f − f₀), which start at 0 and follow
    /// the GP means deterministically (`E f₀ = 0`: the same means, no variance; docs/MATH.md,
    /// "Chizat's output scale α").
    pub fn at_step(&self, step: u64, learning_rate: f64, centred: bool) -> TheoryAt {
        let time = TrainingTime::Steps { steps: step, learning_rate };
        let (mut ntk, mut nngp) = (self.dynamics.ntk_gp_marginal(time), self.dynamics.nngp_marginal(time));
        if centred {
            ntk.var.fill(0.0);
            nngp.var.fill(0.0);
        }
        TheoryAt { ntk, nngp }
    }

    /// Expected train and test losses of both GPs at each step (NTK-GP, NNGP); `centred` as in
    /// [`Theory::at_step`] (the losses of the means alone).
    pub fn losses(
        &self,
        steps: &[u64],
        learning_rate: f64,
        y_test: Option<&[f64]>,
        centred: bool,
    ) -> Vec<(ExpectedLoss, ExpectedLoss)> {
        // `loss_curves` projects the test targets once for all times (bit-identical to
        // calling `ntk_loss` / `nngp_loss` per time).
        let y = y_test.map(DVector::from_column_slice);
        let times: Vec<TrainingTime> =
            steps.iter().map(|&k| TrainingTime::Steps { steps: k, learning_rate }).collect();
        let curves = if centred {
            self.dynamics.loss_curves_from_zero(&times, y.as_ref())
        } else {
            self.dynamics.loss_curves(&times, y.as_ref())
        };
        match curves {
            Ok(c) => c.ntk.into_iter().zip(c.nngp).collect(),
            Err(_) => {
                let nan = ExpectedLoss { train: f64::NAN, test: None };
                vec![(nan, nan); steps.len()]
            }
        }
    }
}

/// The theory of one key: computed, or waiting for the kernel worker.
enum Entry {
    /// kernels requested (generation of the kernel scheduler's run)
    Pending(u64),
    /// the theory, or why there is none
    Done(Box<Result<Theory, String>>),
}

/// The theory cache and its kernel worker (see the module doc). Cheap to copy; provide it
/// once with [`TheoryService::provide`], get it with `expect_context`.
#[derive(Clone, Copy)]
pub struct TheoryService {
    cache: StoredValue<Option<(TheoryKey, Entry)>, LocalStorage>,
    /// bumped when the kernel worker delivers: readers of the theory redraw
    delivered: RwSignal<u64>,
    kernels: StoredValue<Option<Scheduler>, LocalStorage>,
}

impl TheoryService {
    /// Creates the service and provides it to the component tree below.
    pub fn provide() -> TheoryService {
        let service = TheoryService {
            cache: StoredValue::new_local(None),
            delivered: RwSignal::new(0),
            kernels: StoredValue::new_local(None),
        };
        provide_context(service);
        service
    }

    /// Calls `f` with the theory of `key` (computing or requesting it if it is not the one
    /// cached). Reactive: a reader re-runs when the kernel worker delivers.
    pub fn with<R>(&self, key: &TheoryKey, f: impl FnOnce(&Result<Theory, String>) -> R) -> R {
        self.delivered.track();
        let fresh = self.cache.with_value(|c| c.as_ref().is_some_and(|(k, _)| k == key));
        if !fresh {
            let entry = match problem(&key.data, key.seed) {
                Ok(data) if !key.arch.activation.has_closed_form() => {
                    let work = Work::Kernels {
                        arch: key.arch,
                        x_train: data.points.x_train,
                        x_test: data.points.x_test,
                    };
                    Entry::Pending(self.request_kernels(work))
                }
                problem => {
                    self.kernels.with_value(|k| k.as_ref().map(Scheduler::cancel));
                    Entry::Done(Box::new(problem.and_then(|data| theory(&key.arch, &data))))
                }
            };
            self.cache.set_value(Some((key.clone(), entry)));
        }
        self.cache.with_value(|c| match c.as_ref().map(|(_, e)| e) {
            Some(Entry::Done(theory)) => f(theory),
            _ => f(&Err(THEORY_PENDING.to_string())),
        })
    }

    /// Sends `work` to the kernel worker (started on first use), abandoning any request still
    /// being computed; returns the request's generation.
    fn request_kernels(&self, work: Work) -> u64 {
        if self.kernels.with_value(Option::is_none) {
            let service = *self;
            let scheduler = Scheduler::new(SchedulerOptions::with_workers(1), move |e| service.on_kernels(e));
            self.kernels.set_value(Some(scheduler));
        }
        self.kernels.with_value(|k| k.as_ref().map_or(0, |k| k.run(vec![work])))
    }

    /// Kernels from the worker: the theory of the pending request is assembled (cheap:
    /// eigendecompositions of N×N matrices); replies to older requests are dropped.
    fn on_kernels(&self, event: Event) {
        let (request, result) = match event {
            Event::Done { job, result } => (
                job.generation,
                result.and_then(|out| match out {
                    Output::Kernels(k) => Ok(k),
                    _ => Err("unexpected reply from the kernel worker".to_string()),
                }),
            ),
            Event::Lost { job, message, rerun: false, .. } => (job.generation, Err(message)),
            Event::Unavailable { generation, message } => (generation, Err(message)),
            _ => return,
        };
        let mut done = false;
        self.cache.update_value(|c| {
            let Some((key, entry)) = c.as_mut() else { return };
            if !matches!(entry, Entry::Pending(id) if *id == request) {
                return;
            }
            let theory = result.and_then(|k| {
                problem(&key.data, key.seed).and_then(|data| theory_from_kernels(&key.arch, &data, &k))
            });
            *entry = Entry::Done(Box::new(theory));
            done = true;
        });
        if done {
            self.delivered.update(|t| *t += 1);
        }
    }
}
