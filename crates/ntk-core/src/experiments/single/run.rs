//! The one-network run: the network, its linearization, the analytic-Θ kernel model and (if
//! the spec asks) the quadratic model trained side by side by [`Trainer::step`] with one loss, one optimizer and one minibatch
//! sequence, recorded at log-spaced checkpoints. [`SingleRunner::advance`] does a bounded
//! amount of work per call, so a web worker can stream checkpoints and stay cancellable.

use std::ops::ControlFlow;

use nalgebra::DMatrix;

use super::record::{
    first_layer_features, Outputs, QuadraticCheckpoint, SingleCheckpoint, SingleDivergence, SingleModel,
    SingleStart, Trio,
};
use super::spec::{SingleError, SingleSpec, TrackedWeight};
use crate::divergence::loss_diverged;
use crate::nets::empirical_ntk::JacobianFactors;
use crate::nets::kernel_model::KernelModel;
use crate::nets::linear_model::{LinearModel, Tangents};
use crate::nets::loss::accuracy;
use crate::nets::mlp::Mlp;
use crate::nets::mlp_model::MlpModel;
use crate::nets::output_scale::{OutputScale, ScaledModel};
use crate::nets::quadratic::QuadraticModel;
use crate::nets::train::Trainer;
use crate::theory::kernels::kernels;
use crate::theory::landmarks::learning_rate_landmarks;

/// What one call of [`SingleRunner::advance`] produced.
#[derive(Clone, Debug, PartialEq)]
pub enum SingleAdvance {
    /// the record of the next checkpoint
    Checkpoint(Box<SingleCheckpoint>),
    /// steps were taken toward the next checkpoint, or the analytic kernel was computed (steps
    /// done so far)
    Working {
        /// steps done
        step: u64,
    },
    /// a model diverged: the run ends here
    Diverged(SingleDivergence),
    /// every checkpoint has been reported
    Done,
}

/// The analytic-Θ model: not wanted (standard parameterization), not built yet (its kernel
/// is computed after the step-0 record, which needs none: at step 0 every model is f₀), or
/// training.
enum Analytic {
    None,
    Pending,
    Built(Box<Trainer<KernelModel>>),
}

/// A one-network run in progress.
pub struct SingleRunner {
    spec: SingleSpec,
    schedule: Vec<u64>,
    next: usize,
    step: u64,
    nn: Trainer<ScaledModel<MlpModel<f32>>>,
    lin: Trainer<ScaledModel<LinearModel<f32>>>,
    /// the output scale and the initial outputs it centres at (spec with an α)
    centre: Option<Centre>,
    theta: Analytic,
    /// the quadratic model (spec with `quadratic`)
    quad: Option<Quadratic>,
    test_tangents: Tangents<f32>,
    start: SingleStart,
    x_train32: Vec<f32>,
    x_test32: Vec<f32>,
    weights: Vec<TrackedWeight>,
    labels: (bool, bool),
    initial_loss: f64,
    diverged: Option<SingleDivergence>,
}

/// The quadratic model in training, with the points it is evaluated on.
struct Quadratic {
    trainer: Trainer<ScaledModel<QuadraticModel>>,
    x_train: Vec<f64>,
    x_test: Vec<f64>,
}

impl Quadratic {
    /// Its reported outputs on training and test points: `f_quad`, or with an output scale
    /// `α (f_quad − f₀) = α (J₀δ + ½ δᵀH₀δ)`.
    fn outputs(&self, scale: Option<OutputScale>) -> Outputs {
        let model = self.trainer.model().inner();
        let on = |x: &[f64]| match model.terms_on(x) {
            Ok(t) => match scale {
                Some(s) => t.first.iter().zip(&t.second).map(|(a, b)| s.alpha() * (a + 0.5 * b)).collect(),
                None => t.quadratic(),
            },
            // the points were checked when the model was built
            Err(_) => vec![f64::NAN; x.len()],
        };
        Outputs {
            train: on(&self.x_train),
            test: if self.x_test.is_empty() { Vec::new() } else { on(&self.x_test) },
        }
    }
}

/// The initial outputs of network and linearization, on the training and test points, that
/// an output scale α centres their reported outputs at: `g = α (f − f₀)`.
struct Centre {
    scale: OutputScale,
    nn: (Vec<f32>, Vec<f32>),
    lin: (Vec<f32>, Vec<f32>),
}

/// The outputs `f` as reported: `α (f − f₀)` with an output scale, else f.
fn reported(f: &[f32], scale: Option<(OutputScale, &[f32])>) -> Vec<f64> {
    match scale {
        Some((s, f0)) => to64(&s.apply(f, f0)),
        None => to64(f),
    }
}

fn rows(points: &[Vec<f64>]) -> Vec<f64> {
    points.iter().flatten().copied().collect()
}

fn matrix(points: &[Vec<f64>], d: usize) -> DMatrix<f64> {
    DMatrix::from_row_iterator(points.len(), d, points.iter().flatten().copied())
}

fn to64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// Whether every value is a ±1 label (accuracies are recorded only then).
pub(super) fn is_labels(y: &[f64]) -> bool {
    !y.is_empty() && y.iter().all(|&v| v == 1.0 || v == -1.0)
}

/// `√(mean (a − b)²)`.
fn rmse(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / a.len() as f64).sqrt()
}

impl SingleRunner {
    /// Builds the network (seed `spec.seed`) and its linearization, and reads the learning-rate
    /// landmarks of its Θ̂₀; the analytic-Θ model (NTK parameterization) is built by the first
    /// [`SingleRunner::advance`] after the step-0 record.
    ///
    /// # Errors
    /// [`SingleError`] for an invalid spec.
    pub fn new(spec: &SingleSpec) -> Result<Self, SingleError> {
        spec.validate()?;
        let opts = spec.train_options();
        let net: Mlp<f32> = spec.network()?;
        let x_train = rows(&spec.data.x_train);
        let x_train32: Vec<f32> = x_train.iter().map(|&v| v as f32).collect();
        let x_test32: Vec<f32> = rows(&spec.data.x_test).iter().map(|&v| v as f32).collect();
        let lin_model = LinearModel::new(net.clone(), &x_train, false)?;
        let test_tangents = lin_model.tangents(&x_test32)?;
        let fac = JacobianFactors::new(&net, &x_train32, spec.data.x_train.len());
        let landmarks = learning_rate_landmarks(&fac.ntk(&fac)).ok();
        let start = SingleStart {
            weights: spec.tracked_weights(),
            eta_max: landmarks.map(|l| l.eta_max),
            eta_critical: landmarks.map(|l| l.eta_critical),
        };
        let theta = if spec.has_analytic() { Analytic::Pending } else { Analytic::None };
        let scale = spec.output_scale()?;
        let centre = scale.map(|scale| Centre {
            scale,
            nn: (
                net.forward(&x_train32, spec.data.x_train.len()),
                net.forward(&x_test32, spec.data.x_test.len()),
            ),
            lin: (lin_model.train_outputs(), test_tangents.f0.clone()),
        });
        let lin = Trainer::new(ScaledModel::new(lin_model, scale), &spec.data.y_train, opts)?;
        let quad = if spec.quadratic {
            let model = ScaledModel::new(QuadraticModel::new(&net, &x_train, false)?, scale);
            // Finite: the spec's data are validated.
            let x_test = rows(&spec.data.x_test);
            Some(Quadratic {
                trainer: Trainer::new(model, &spec.data.y_train, opts)?,
                x_train: x_train.clone(),
                x_test,
            })
        } else {
            None
        };
        let nn_model = ScaledModel::new(MlpModel::new(net, &x_train, opts.readout_only)?, scale);
        let nn = Trainer::new(nn_model, &spec.data.y_train, opts)?;
        let labels = (is_labels(&spec.data.y_train), spec.data.y_test.as_deref().is_some_and(is_labels));
        let mut runner = SingleRunner {
            schedule: spec.schedule(),
            weights: start.weights.clone(),
            start,
            spec: spec.clone(),
            next: 0,
            step: 0,
            nn,
            lin,
            centre,
            theta,
            quad,
            test_tangents,
            x_train32,
            x_test32,
            labels,
            initial_loss: 0.0,
            diverged: None,
        };
        runner.initial_loss = runner.spec.loss.mean(&runner.nn_train(), &runner.spec.data.y_train);
        Ok(runner)
    }

    /// The spec it runs.
    pub fn spec(&self) -> &SingleSpec {
        &self.spec
    }

    /// The weights its checkpoints list.
    pub fn weights(&self) -> &[TrackedWeight] {
        &self.weights
    }

    /// What is known before training: the followed weights and the landmarks of Θ̂₀.
    pub fn start_info(&self) -> &SingleStart {
        &self.start
    }

    /// The analytic-Θ kernel model from the network's f₀ (paper Eq. 8–9 with Θ for Θ̂₀); with an
    /// output scale α, the same recursion for g from `g₀ = 0` (in function space the α's cancel:
    /// `g_{k+1} = g_k − η Θ ℓ'(g_k, y)/N`).
    fn build_analytic(&self) -> Result<Trainer<KernelModel>, SingleError> {
        let spec = &self.spec;
        let d = spec.input_dim();
        let xt = matrix(&spec.data.x_train, d);
        let k_train = kernels(&spec.arch, &xt, &xt)?.ntk;
        let k_test = if spec.data.x_test.is_empty() {
            DMatrix::zeros(0, xt.nrows())
        } else {
            kernels(&spec.arch, &matrix(&spec.data.x_test, d), &xt)?.ntk
        };
        let f0 = match self.centre {
            Some(_) => (vec![0.0; xt.nrows()], vec![0.0; spec.data.x_test.len()]),
            None => (to64(&self.lin.model().inner().train_outputs()), to64(&self.test_tangents.f0)),
        };
        let model = KernelModel::new(k_train, k_test, f0.0, f0.1)?;
        Ok(Trainer::new(model, &spec.data.y_train, spec.train_options())?)
    }

    /// Steps done so far.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Index of the next checkpoint to report (`schedule().len()` when done).
    pub fn next_checkpoint(&self) -> usize {
        self.next
    }

    /// The checkpoint steps.
    pub fn schedule(&self) -> &[u64] {
        &self.schedule
    }

    /// The network's reported outputs on the training points.
    fn nn_train(&self) -> Vec<f64> {
        let f = self.nn.model().inner().net().forward(&self.x_train32, self.spec.data.x_train.len());
        reported(&f, self.centre.as_ref().map(|c| (c.scale, c.nn.0.as_slice())))
    }

    /// The reported outputs of network and linearization on training and test points.
    fn nn_lin_outputs(&self) -> (Outputs, Outputs) {
        let m = self.spec.data.x_test.len();
        let net = self.nn.model().inner().net();
        let lin = self.lin.model().inner();
        let c = self.centre.as_ref();
        let at = |f0: fn(&Centre) -> &[f32]| c.map(|c| (c.scale, f0(c)));
        let nn = Outputs {
            train: self.nn_train(),
            test: reported(&net.forward(&self.x_test32, m), at(|c| &c.nn.1)),
        };
        let lin = Outputs {
            train: reported(&lin.train_outputs(), at(|c| &c.lin.0)),
            test: reported(&lin.outputs_on(&self.test_tangents), at(|c| &c.lin.1)),
        };
        (nn, lin)
    }

    /// Whether a loss counts as diverged.
    fn loss_diverged(&self, loss: f64) -> bool {
        loss_diverged(loss, self.initial_loss)
    }

    /// One step of every model; the first model whose batch loss diverged, if any.
    fn train_step(&mut self) -> Option<SingleModel> {
        let nn = self.nn.step();
        let lin = self.lin.step();
        let theta = match &mut self.theta {
            Analytic::Built(t) => Some(t.step()),
            _ => None,
        };
        let quad = self.quad.as_mut().map(|q| q.trainer.step());
        self.step += 1;
        if self.loss_diverged(nn) {
            Some(SingleModel::Network)
        } else if self.loss_diverged(lin) {
            Some(SingleModel::Linearization)
        } else if theta.is_some_and(|l| self.loss_diverged(l)) {
            Some(SingleModel::Analytic)
        } else if quad.is_some_and(|l| self.loss_diverged(l)) {
            Some(SingleModel::Quadratic)
        } else {
            None
        }
    }

    /// Trains toward the next checkpoint with at most `max_flop` of work (at least one step),
    /// or reports it once there.
    ///
    /// # Errors
    /// [`SingleError::Kernel`] if the analytic kernel cannot be computed.
    pub fn advance(&mut self, max_flop: f64) -> Result<SingleAdvance, SingleError> {
        if let Some(d) = self.diverged {
            return Ok(SingleAdvance::Diverged(d));
        }
        let Some(&target) = self.schedule.get(self.next) else { return Ok(SingleAdvance::Done) };
        if self.step == target {
            return Ok(match self.record() {
                Ok(record) => {
                    self.next += 1;
                    SingleAdvance::Checkpoint(Box::new(record))
                }
                Err(model) => {
                    let d = SingleDivergence { model, step: self.step };
                    self.diverged = Some(d);
                    SingleAdvance::Diverged(d)
                }
            });
        }
        if matches!(self.theta, Analytic::Pending) {
            self.theta = Analytic::Built(Box::new(self.build_analytic()?));
            return Ok(SingleAdvance::Working { step: self.step });
        }
        let budget = (max_flop / self.spec.flops_per_step()).max(1.0);
        let steps = ((target - self.step) as f64).min(budget) as u64;
        for _ in 0..steps.max(1) {
            if let Some(model) = self.train_step() {
                let d = SingleDivergence { model, step: self.step };
                self.diverged = Some(d);
                return Ok(SingleAdvance::Diverged(d));
            }
        }
        Ok(SingleAdvance::Working { step: self.step })
    }

    /// The record at the current step, or the model whose numbers are not finite.
    fn record(&self) -> Result<SingleCheckpoint, SingleModel> {
        let spec = &self.spec;
        let loss = spec.loss;
        let (n, m) = (spec.data.x_train.len(), spec.data.x_test.len());
        let (nn, lin) = self.nn_lin_outputs();
        let theta = match &self.theta {
            Analytic::None => None,
            Analytic::Pending => Some(nn.clone()),
            Analytic::Built(t) => Some(Outputs {
                train: t.model().train_outputs().to_vec(),
                test: t.model().test_outputs().to_vec(),
            }),
        };
        let finite = |o: &Outputs| o.train.iter().chain(&o.test).all(|v| v.is_finite());
        if !finite(&nn) {
            return Err(SingleModel::Network);
        }
        if !finite(&lin) {
            return Err(SingleModel::Linearization);
        }
        if theta.as_ref().is_some_and(|t| !finite(t)) {
            return Err(SingleModel::Analytic);
        }
        let quad_outputs = self.quad.as_ref().map(|q| q.outputs(self.centre.as_ref().map(|c| c.scale)));
        if quad_outputs.as_ref().is_some_and(|q| !finite(q)) {
            return Err(SingleModel::Quadratic);
        }
        let trio =
            |f: &dyn Fn(&Outputs) -> f64| Trio { nn: f(&nn), lin: f(&lin), theta: theta.as_ref().map(f) };
        let train_loss = trio(&|o| loss.mean(&o.train, &spec.data.y_train));
        let test_loss = spec.data.y_test.as_ref().map(|yt| trio(&|o| loss.mean(&o.test, yt)));
        let train_accuracy = self.labels.0.then(|| trio(&|o| accuracy(&o.train, &spec.data.y_train)));
        let test_accuracy =
            spec.data.y_test.as_ref().filter(|_| self.labels.1).map(|yt| trio(&|o| accuracy(&o.test, yt)));
        let (a, b) = if m > 0 { (&nn.test, &lin.test) } else { (&nn.train, &lin.train) };
        let rmse_nn_lin = rmse(a, b);
        let rmse_nn_theta = theta.as_ref().map(|t| rmse(a, if m > 0 { &t.test } else { &t.train }));
        let quad = quad_outputs.map(|q| QuadraticCheckpoint {
            train_loss: loss.mean(&q.train, &spec.data.y_train),
            test_loss: spec.data.y_test.as_ref().map(|yt| loss.mean(&q.test, yt)),
            rmse_nn_quad: rmse(a, if m > 0 { &q.test } else { &q.train }),
            outputs: q,
        });
        let nn_params = self.nn.model().inner().net().params();
        let lin_params = self.lin.model().inner().params();
        let weights_nn = self.weights.iter().map(|w| nn_params[w.index] as f64).collect();
        let weights_lin = self.weights.iter().map(|w| lin_params[w.index] as f64).collect();
        let first = &self.nn.model().inner().net().layers[0];
        let features = first_layer_features(first.n_in, &first.w, &first.b, first.cw, first.cb);
        debug_assert_eq!(nn.train.len(), n);
        Ok(SingleCheckpoint {
            step: self.step,
            nn,
            lin,
            theta,
            weights_nn,
            weights_lin,
            features,
            train_loss,
            test_loss,
            train_accuracy,
            test_accuracy,
            rmse_nn_lin,
            rmse_nn_theta,
            quad,
        })
    }
}

/// A whole run: what was known at the start, every checkpoint reached, and the divergence that
/// ended it early, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct SingleRun {
    /// the followed weights and Θ̂₀'s landmarks
    pub start: SingleStart,
    /// every checkpoint reached
    pub checkpoints: Vec<SingleCheckpoint>,
    /// the divergence that ended the run early
    pub diverged: Option<SingleDivergence>,
}

/// Runs `spec` to the end. `progress(step)` is called between chunks of work; breaking cancels
/// the run.
///
/// # Errors
/// [`SingleError`] for an invalid spec or an analytic kernel that cannot be computed;
/// [`SingleError::Cancelled`] if `progress` broke.
pub fn run_single<F>(spec: &SingleSpec, mut progress: F) -> Result<SingleRun, SingleError>
where
    F: FnMut(u64) -> ControlFlow<()>,
{
    let mut runner = SingleRunner::new(spec)?;
    let start = runner.start_info().clone();
    let mut checkpoints = Vec::with_capacity(runner.schedule().len());
    loop {
        match runner.advance(5e8)? {
            SingleAdvance::Checkpoint(c) => checkpoints.push(*c),
            SingleAdvance::Working { step } => {
                if progress(step).is_break() {
                    return Err(SingleError::Cancelled);
                }
            }
            SingleAdvance::Diverged(d) => return Ok(SingleRun { start, checkpoints, diverged: Some(d) }),
            SingleAdvance::Done => return Ok(SingleRun { start, checkpoints, diverged: None }),
        }
    }
}
