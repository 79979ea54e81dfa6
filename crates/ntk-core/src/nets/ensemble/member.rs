//! One ensemble member inside a runner: its f32 network in training, the linearization of its
//! initial network (in closed form for MSE under full-batch descent, otherwise trained step by
//! step beside it with the same loss, optimizer and minibatches), and the record taken at each
//! checkpoint. With [`EnsembleSpec::quadratic`] also its quadratic model
//! `f_quad = f₀ + J₀δ + ½ δᵀH₀δ` ([`QuadraticModel`], dual f64 from the f32 θ₀), trained by the
//! same step with the same options and minibatch seed. With an output scale α
//! ([`EnsembleSpec::alpha`]) every model is trained and reported as `g = α (f − f₀)`
//! ([`ScaledModel`]).

use nalgebra::{DMatrix, DVector};

use super::record::{
    kernel_target_alignment, DivergedModel, Divergence, MemberAtCheckpoint, MemberRecord, MemberState, NnLin,
    QuadraticRecord,
};
use super::spec::{EnsembleError, EnsembleSpec};
use crate::divergence::loss_diverged;
use crate::nets::empirical_ntk::JacobianFactors;
use crate::nets::linear_model::{LinearModel, Tangents};
use crate::nets::linearized::{LinearOutputs, Linearized};
use crate::nets::mlp::Mlp;
use crate::nets::mlp_model::MlpModel;
use crate::nets::output_scale::{OutputScale, ScaledModel};
use crate::nets::quadratic::QuadraticModel;
use crate::nets::train::Trainer;
use crate::rng::member_seed;

/// The data of a job in the network's batch-major layouts.
pub(super) struct Data {
    d: usize,
    n: usize,
    m: usize,
    x_train: Vec<f64>,
    /// the test points in f64 (the quadratic model's)
    x_test: Vec<f64>,
    x_train32: Vec<f32>,
    x_test32: Vec<f32>,
}

/// The linearization of a member: its outputs at every checkpoint in closed form, or the model
/// trained step by step with J₀ on the test points.
enum Lin {
    Closed(Vec<LinearOutputs>),
    Direct {
        trainer: Box<Trainer<ScaledModel<LinearModel<f32>>>>,
        test: Tangents<f32>,
        /// f_lin at θ₀ on the training points (what an output scale centres at)
        f0_train: Vec<f32>,
    },
}

/// The trainer of a member's network: f, or `g = α (f − f₀)` with an output scale.
type NetTrainer = Trainer<ScaledModel<MlpModel<f32>>>;

/// The trainer of a member's quadratic model: `f_quad`, or `α (f_quad − f₀)` with an output
/// scale.
type QuadTrainer = Trainer<ScaledModel<QuadraticModel>>;

/// The quadratic model's reported outputs on the points `x` (batch-major, checked finite when
/// the spec was validated): `f_quad = f₀ + J₀δ + ½ δᵀH₀δ`, or with an output scale
/// `α (f_quad − f₀) = α (J₀δ + ½ δᵀH₀δ)` (as the one-network run reports it).
fn quad_reported(trainer: &QuadTrainer, x: &[f64], scale: Option<OutputScale>) -> Vec<f64> {
    if x.is_empty() {
        return Vec::new();
    }
    match trainer.model().inner().terms_on(x) {
        Ok(t) => match scale {
            Some(s) => t.first.iter().zip(&t.second).map(|(a, b)| s.alpha() * (a + 0.5 * b)).collect(),
            None => t.quadratic(),
        },
        // points of the validated spec; NaN makes the record count as diverged
        Err(_) => vec![f64::NAN; x.len()],
    }
}

/// `√(mean_j (a_j − b_j)²)` (0 for no points).
fn rmse(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / a.len() as f64).sqrt()
}

/// The network a [`NetTrainer`] trains, at its current parameters.
fn net_of(trainer: &NetTrainer) -> &Mlp<f32> {
    trainer.model().inner().net()
}

/// Outputs `f` as a member reports them: `α (f − f₀)` (in f32, then widened) with an output
/// scale, else f widened to f64.
fn reported(scale: Option<OutputScale>, f: &[f32], f0: &[f32]) -> Vec<f64> {
    match scale {
        Some(s) => s.apply(f, f0).iter().map(|&v| v as f64).collect(),
        None => f.iter().map(|&v| v as f64).collect(),
    }
}

impl Data {
    /// The points of a validated spec.
    pub(super) fn new(spec: &EnsembleSpec) -> Self {
        let x_train = spec.data.x_train_flat();
        let x_test = spec.data.x_test_flat();
        Data {
            d: spec.data.x_train[0].len(),
            n: spec.data.x_train.len(),
            m: spec.data.x_test.len(),
            x_train32: x_train.iter().map(|&v| v as f32).collect(),
            x_test32: x_test.iter().map(|&v| v as f32).collect(),
            x_test,
            x_train,
        }
    }
}

/// A member in training: network, trainer state and the fixed references of its records.
struct Training {
    trainer: NetTrainer,
    /// the output scale, if any
    scale: Option<OutputScale>,
    /// the f32 network's outputs f₀ on the test and training points at step 0 (what an output
    /// scale centres at)
    f0: (Vec<f32>, Vec<f32>),
    /// the linearization
    lin: Lin,
    /// the quadratic model (jobs with [`EnsembleSpec::quadratic`])
    quad: Option<Box<QuadTrainer>>,
    w0: Vec<Vec<f32>>,
    w0_norm: Vec<f64>,
    ntk0: DMatrix<f64>,
    ntk0_norm: f64,
    /// the f32 network's outputs on the test points at step 0
    initial_test: Vec<f64>,
    /// training loss at step 0 (the divergence reference)
    initial_loss: f64,
    /// gradient-descent steps applied so far (k)
    step: u64,
    /// loss of the forward pass at `step`, once computed
    loss: Option<f64>,
}

/// A member whose network exists and has done its step-0 forward pass, but whose
/// linearization is not built yet: enough for the step-0 record (at t = 0 the linearization
/// equals the network), so that a run's first checkpoint does not wait for every member's
/// Jacobian factors ([`Member::start`], then [`Member::build`] before the first step).
struct Start {
    /// the trainer, forward pass at step 0 done
    trainer: NetTrainer,
    /// the output scale, if any
    scale: Option<OutputScale>,
    /// the f32 network's outputs f₀ on the test and training points
    f0: (Vec<f32>, Vec<f32>),
    /// the f64 copy of the initial network (the linearization is built from it)
    net64: Mlp<f64>,
    /// the reported outputs on the test points at step 0 (the f32 network; 0 with an output
    /// scale)
    test: Vec<f64>,
    /// the linearization's reported outputs on the training points at step 0: f₀ from the f64
    /// copy of the network (as the linearization has it), 0 with an output scale
    lin_train: Vec<f64>,
    /// the loss of the step-0 forward pass (on the step's batch)
    loss: f64,
    /// the network's training loss at step 0 on every training point
    full_loss: f64,
}

impl Start {
    /// The step-0 record: network, linearization (and quadratic model) outputs all f₀, no
    /// weight or kernel change.
    fn record(&self, spec: &EnsembleSpec) -> MemberRecord {
        let layers = net_of(&self.trainer).layers.len();
        let loss = spec.loss;
        let train_loss = NnLin { nn: self.full_loss, lin: loss.mean(&self.lin_train, &spec.data.y_train) };
        let test_loss = spec
            .data
            .y_test
            .as_ref()
            .map(|yt| NnLin { nn: loss.mean(&self.test, yt), lin: loss.mean(&self.test, yt) });
        // At δ = 0 the quadratic model is f₀, as the linearization is.
        let quad = spec.quadratic.then(|| QuadraticRecord {
            outputs: self.test.clone(),
            train_loss: train_loss.lin,
            test_loss: test_loss.map(|t| t.lin),
            rmse_nn_quad: 0.0,
        });
        MemberRecord {
            nn: self.test.clone(),
            lin: self.test.clone(),
            train_loss,
            test_loss,
            rmse_nn_lin: 0.0,
            weight_change: vec![0.0; layers],
            ntk_change: 0.0,
            ntk_alignment: None,
            quad,
        }
    }
}

enum Phase {
    /// not started yet ([`Member::start`])
    Unbuilt,
    /// network and its step-0 outputs, linearization not built yet ([`Member::build`])
    Started(Box<Start>),
    Training(Box<Training>),
    Diverged(Divergence),
}

/// One member of a runner's range.
pub(super) struct Member {
    index: usize,
    phase: Phase,
}

/// `‖a − b‖_F` in f64 (b = 0 for the norm of a), summed in 8 interleaved partial sums so that
/// the loop compiles to SIMD.
fn frobenius_distance(a: &[f32], b: Option<&[f32]>) -> f64 {
    let zeros = vec![0.0f32; if b.is_none() { a.len() } else { 0 }];
    let b = b.unwrap_or(&zeros);
    let mut acc = [0.0f64; 8];
    let (a8, a_tail) = a.as_chunks::<8>();
    let (b8, b_tail) = b.as_chunks::<8>();
    for (x, y) in a8.iter().zip(b8) {
        for q in 0..8 {
            let d = x[q] as f64 - y[q] as f64;
            acc[q] += d * d;
        }
    }
    let tail: f64 = a_tail.iter().zip(b_tail).map(|(&x, &y)| (x as f64 - y as f64).powi(2)).sum();
    (acc.iter().sum::<f64>() + tail).sqrt()
}

/// Which model a record shows diverged, given the network's initial loss: the network if its
/// test outputs (or any other number) are not finite, the linearization (then the quadratic
/// model) if its outputs or any of its numbers are not finite or its training loss exceeds
/// [`LOSS_FACTOR`](crate::divergence::LOSS_FACTOR) × the initial loss.
fn divergence_of(rec: &MemberRecord, initial_loss: f64) -> Option<DivergedModel> {
    let lin_ok = rec.lin.iter().all(|v| v.is_finite()) && !loss_diverged(rec.train_loss.lin, initial_loss);
    let quad_ok =
        rec.quad.as_ref().is_none_or(|q| q.is_finite() && !loss_diverged(q.train_loss, initial_loss));
    if !rec.nn.iter().all(|v| v.is_finite()) {
        Some(DivergedModel::Network)
    } else if !lin_ok {
        Some(DivergedModel::Linearization)
    } else if !quad_ok {
        Some(DivergedModel::Quadratic)
    } else if !rec.is_finite() {
        Some(DivergedModel::Network)
    } else {
        None
    }
}

impl Member {
    /// Member `index` of the job, not started yet.
    pub(super) fn new(index: usize) -> Self {
        Member { index, phase: Phase::Unbuilt }
    }

    /// Whether [`Member::start`] is still to be called.
    pub(super) fn is_unbuilt(&self) -> bool {
        matches!(self.phase, Phase::Unbuilt)
    }

    /// Whether [`Member::build`] is still to be called before the first step.
    pub(super) fn is_started(&self) -> bool {
        matches!(self.phase, Phase::Started(_))
    }

    /// Its divergence, if it diverged.
    pub(super) fn divergence(&self) -> Option<Divergence> {
        match self.phase {
            Phase::Diverged(d) => Some(d),
            _ => None,
        }
    }

    /// Steps applied so far (0 before building; the divergence step once diverged).
    pub(super) fn step(&self) -> u64 {
        match &self.phase {
            Phase::Unbuilt | Phase::Started(_) => 0,
            Phase::Training(t) => t.step,
            Phase::Diverged(d) => d.step,
        }
    }

    /// Creates the network with seed [`member_seed`]`(spec.seed, index)` and does its step-0
    /// forward pass on the training and test points (a network whose initial loss is not
    /// finite is diverged at step 0).
    ///
    /// # Errors
    /// [`EnsembleError`] if the network cannot be built.
    pub(super) fn start(&mut self, spec: &EnsembleSpec, data: &Data) -> Result<(), EnsembleError> {
        let seed = member_seed(spec.seed, self.index as u64);
        let scale = spec.output_scale()?;
        let net = Mlp::<f32>::new(&spec.arch, data.d, spec.width, seed)?;
        let net64 = net.cast::<f64>();
        let lin_train = match scale {
            Some(_) => vec![0.0; data.n],
            None => net64.forward(&data.x_train, data.n),
        };
        let f0_test = net.forward(&data.x_test32, data.m);
        let f0_train = if scale.is_some() { net.forward(&data.x_train32, data.n) } else { Vec::new() };
        let test = reported(scale, &f0_test, &f0_test);
        let opts = spec.train_options(seed);
        let model = ScaledModel::new(MlpModel::new(net, &data.x_train, opts.readout_only)?, scale);
        let mut trainer = Trainer::new(model, &spec.data.y_train, opts)?;
        let loss = trainer.forward();
        let f0 = (f0_test, f0_train);
        let full_loss = if spec.batch_size.is_none() {
            loss
        } else {
            full_train_loss(&trainer, scale, &f0.1, spec, data)
        };
        self.phase = if loss_diverged(loss, loss) {
            Phase::Diverged(Divergence { member: self.index, step: 0, model: DivergedModel::Network })
        } else {
            Phase::Started(Box::new(Start { trainer, scale, f0, net64, test, lin_train, loss, full_loss }))
        };
        Ok(())
    }

    /// Builds the linearization of a started member (Θ̂₀ and f₀ from the f64 copy of the
    /// initial f32 network, trajectory over `schedule`) and, if the job has it, its quadratic
    /// model; nothing for a member in any other phase.
    ///
    /// # Errors
    /// [`EnsembleError`] if the linearization cannot be built.
    pub(super) fn build(
        &mut self,
        spec: &EnsembleSpec,
        data: &Data,
        schedule: &[u64],
    ) -> Result<(), EnsembleError> {
        let start = match std::mem::replace(&mut self.phase, Phase::Unbuilt) {
            Phase::Started(start) => start,
            other => {
                self.phase = other;
                return Ok(());
            }
        };
        let Start { trainer, scale, f0, net64, loss, test: initial_test, .. } = *start;
        let net = net_of(&trainer);
        // Θ̂₀ for the kernel-change measure, from the f32 network like the later Θ̂_k.
        let fac32 = JacobianFactors::new(net, &data.x_train32, data.n);
        let ntk0 = fac32.ntk(&fac32);
        let w0: Vec<Vec<f32>> = net.layers.iter().map(|l| l.w.clone()).collect();
        let w0_norm = w0.iter().map(|w| frobenius_distance(w, None)).collect();
        let lin = if spec.closed_form_linearization() {
            Lin::Closed(closed_form(spec, data, schedule, net, &net64, scale.is_some())?)
        } else {
            // Trained by the same step: the f32 network's own J₀, the same options and seed.
            let model = LinearModel::new(net.clone(), &data.x_train, spec.readout_only)?;
            let test = model.tangents(&data.x_test32)?;
            let f0_train = if scale.is_some() { model.train_outputs() } else { Vec::new() };
            let trainer =
                Trainer::new(ScaledModel::new(model, scale), &spec.data.y_train, *trainer.options())?;
            Lin::Direct { trainer: Box::new(trainer), test, f0_train }
        };
        // The quadratic model of the f32 θ₀ (cast exactly to f64), trained by the same options
        // (and minibatch seed) as the network.
        let quad = if spec.quadratic {
            let model = QuadraticModel::new(net, &data.x_train, spec.readout_only)?;
            Some(Box::new(Trainer::new(
                ScaledModel::new(model, scale),
                &spec.data.y_train,
                *trainer.options(),
            )?))
        } else {
            None
        };
        self.phase = Phase::Training(Box::new(Training {
            trainer,
            scale,
            f0,
            lin,
            quad,
            w0,
            w0_norm,
            ntk0_norm: ntk0.norm(),
            ntk0,
            initial_test,
            initial_loss: loss,
            step: 0,
            loss: Some(loss),
        }));
        Ok(())
    }

    /// Trains toward step `target`, at most `max_steps` gradient-descent steps, checking the
    /// network's loss (and the quadratic model's batch loss) at every step; stops at `target`
    /// with the network's forward pass done. Returns the number of steps applied.
    pub(super) fn run_toward(&mut self, target: u64, max_steps: u64) -> u64 {
        let Phase::Training(t) = &mut self.phase else { return 0 };
        let mut taken = 0;
        loop {
            if t.loss.is_none() {
                let loss = t.trainer.forward();
                if t.step == 0 {
                    t.initial_loss = loss;
                }
                if loss_diverged(loss, t.initial_loss) {
                    let d = Divergence { member: self.index, step: t.step, model: DivergedModel::Network };
                    self.phase = Phase::Diverged(d);
                    return taken;
                }
                t.loss = Some(loss);
            }
            if t.step >= target || taken >= max_steps {
                return taken;
            }
            t.trainer.backward_update();
            if let Lin::Direct { trainer, .. } = &mut t.lin {
                trainer.step();
            }
            // The quadratic model's loss at this step (before its update), against the
            // network's initial loss as for the other models.
            let quad_loss = t.quad.as_mut().map(|q| q.step());
            if quad_loss.is_some_and(|l| loss_diverged(l, t.initial_loss)) {
                let d = Divergence { member: self.index, step: t.step, model: DivergedModel::Quadratic };
                self.phase = Phase::Diverged(d);
                return taken + 1;
            }
            t.step += 1;
            t.loss = None;
            taken += 1;
        }
    }

    /// The member's entry for checkpoint `checkpoint` at step `target`, once it is there with
    /// its forward pass done: its record, or a divergence if the record is not finite (network)
    /// or the linearization's training loss exceeds the divergence bound (linearization). A
    /// diverged member reports its divergence. `None` while the member is not there yet.
    pub(super) fn report(
        &mut self,
        spec: &EnsembleSpec,
        data: &Data,
        checkpoint: usize,
        target: u64,
    ) -> Option<MemberAtCheckpoint> {
        let member = self.index;
        let state = match &self.phase {
            Phase::Started(start) if target == 0 => {
                let rec = start.record(spec);
                match divergence_of(&rec, start.loss) {
                    None => MemberState::Record(rec),
                    Some(model) => {
                        let d = Divergence { member, step: 0, model };
                        self.phase = Phase::Diverged(d);
                        MemberState::Diverged { step: d.step, model }
                    }
                }
            }
            Phase::Training(t) if t.step == target && t.loss.is_some() => {
                let rec = t.record(spec, data, checkpoint);
                match t.record_divergence(&rec) {
                    None => MemberState::Record(rec),
                    Some(model) => {
                        let d = Divergence { member, step: t.step, model };
                        self.phase = Phase::Diverged(d);
                        MemberState::Diverged { step: d.step, model }
                    }
                }
            }
            Phase::Diverged(d) => MemberState::Diverged { step: d.step, model: d.model },
            _ => return None,
        };
        Some(MemberAtCheckpoint { member, state })
    }
}

/// The network's loss on every training point (for minibatch training, whose steps see a
/// batch only), of g = α (f − f₀) with an output scale (`f0_train` the f32 network's f₀).
fn full_train_loss(
    trainer: &NetTrainer,
    scale: Option<OutputScale>,
    f0_train: &[f32],
    spec: &EnsembleSpec,
    data: &Data,
) -> f64 {
    let f = net_of(trainer).forward(&data.x_train32, data.n);
    spec.loss.mean(&reported(scale, &f, f0_train), &spec.data.y_train)
}

/// The closed-form linearization's outputs at every checkpoint of `schedule` (MSE, full batch;
/// paper Eq. 8–11): Θ̂₀(X, X) and f₀(X) from the f64 copy of the initial network (its eigenbasis
/// carries the dynamics); Θ̂₀(*, X) and f₀(*) from the Jacobian factors of the f32 network itself
/// on the test points (f32 SIMD, several times faster than f64 in wasm, relative error ~1e-7,
/// far below the f32 training's own; f₀(*) is then exactly the network's step-0 output).
/// With `centred` (an output scale α) the same trajectory from f₀ = 0: `g_lin = α J₀ (θ − θ₀)`
/// trained on the loss scaled by 1/α² obeys `g_{k+1} = g_k − (η/N) Θ̂₀ (g_k − y)` (the α's
/// cancel), the linearization's recursion started at 0.
fn closed_form(
    spec: &EnsembleSpec,
    data: &Data,
    schedule: &[u64],
    net: &Mlp<f32>,
    net64: &Mlp<f64>,
    centred: bool,
) -> Result<Vec<LinearOutputs>, EnsembleError> {
    let fac_train = JacobianFactors::new(net64, &data.x_train, data.n);
    let fac_test = JacobianFactors::new(net, &data.x_test32, data.m);
    let (k_train, k_test) = if spec.readout_only {
        (fac_train.readout_ntk(&fac_train), fac_test.readout_ntk(&fac_train))
    } else {
        (fac_train.ntk(&fac_train), fac_test.ntk(&fac_train))
    };
    let (f0_train, f0_test) = if centred {
        (DVector::zeros(data.n), DVector::zeros(data.m))
    } else {
        (DVector::from_column_slice(&fac_train.outputs), DVector::from_column_slice(&fac_test.outputs))
    };
    let lin = Linearized::new(
        &k_train,
        &k_test,
        &f0_train,
        &f0_test,
        &DVector::from_column_slice(&spec.data.y_train),
        spec.learning_rate,
        spec.momentum,
    )?;
    Ok(lin.trajectory(schedule))
}

impl Training {
    /// Which model a record shows diverged: the network if its test outputs (or any other
    /// number) are not finite, the linearization if its outputs are not finite or its training
    /// loss exceeds [`LOSS_FACTOR`](crate::divergence::LOSS_FACTOR) × the network's initial loss.
    fn record_divergence(&self, rec: &MemberRecord) -> Option<DivergedModel> {
        divergence_of(rec, self.initial_loss)
    }

    /// The record at the current step (forward pass done), for checkpoint `checkpoint`.
    fn record(&self, spec: &EnsembleSpec, data: &Data, checkpoint: usize) -> MemberRecord {
        self.record_with(spec, data, checkpoint, self.step == 0)
    }

    /// [`Training::record`]; with `start` (step 0 only) the test outputs are those computed when
    /// building the member, and W₀ − W₀ and Θ̂₀ − Θ̂₀ are exactly zero: the same bits as
    /// computing them again (tested), without the work.
    fn record_with(&self, spec: &EnsembleSpec, data: &Data, checkpoint: usize, start: bool) -> MemberRecord {
        let net = net_of(&self.trainer);
        let loss = spec.loss;
        let nn: Vec<f64> = if start {
            self.initial_test.clone()
        } else {
            reported(self.scale, &net.forward(&data.x_test32, data.m), &self.f0.0)
        };
        let (lin_test, lin_train_loss): (Vec<f64>, f64) = match &self.lin {
            Lin::Closed(lin) => {
                let lin = &lin[checkpoint];
                (lin.test.iter().copied().collect(), loss.mean(lin.train.as_slice(), &spec.data.y_train))
            }
            Lin::Direct { trainer, test, f0_train } => {
                let model = trainer.model().inner();
                let out = reported(self.scale, &model.outputs_on(test), &test.f0);
                let train = reported(self.scale, &model.train_outputs(), f0_train);
                (out, loss.mean(&train, &spec.data.y_train))
            }
        };
        let nn_train_loss = match (spec.batch_size, self.loss) {
            (None, Some(l)) => l,
            (None, None) => f64::NAN,
            (Some(_), _) => full_train_loss(&self.trainer, self.scale, &self.f0.1, spec, data),
        };
        let train_loss = NnLin { nn: nn_train_loss, lin: lin_train_loss };
        let test_loss = spec
            .data
            .y_test
            .as_ref()
            .map(|yt| NnLin { nn: loss.mean(&nn, yt), lin: loss.mean(&lin_test, yt) });
        let rmse_nn_lin = rmse(&nn, &lin_test);
        let quad = self.quad.as_ref().map(|q| {
            let outputs = quad_reported(q, &data.x_test, self.scale);
            let train = quad_reported(q, &data.x_train, self.scale);
            QuadraticRecord {
                train_loss: loss.mean(&train, &spec.data.y_train),
                test_loss: spec.data.y_test.as_ref().map(|yt| loss.mean(&outputs, yt)),
                rmse_nn_quad: rmse(&nn, &outputs),
                outputs,
            }
        });
        let weight_change = if start {
            vec![0.0; net.layers.len()]
        } else {
            net.layers
                .iter()
                .zip(&self.w0)
                .zip(&self.w0_norm)
                .map(|((l, w0), &n0)| frobenius_distance(&l.w, Some(w0)) / n0)
                .collect()
        };
        let (ntk_change, ntk_alignment) = if start {
            (0.0, kernel_target_alignment(&self.ntk0, &spec.data.y_train))
        } else {
            let fac = JacobianFactors::new(net, &data.x_train32, data.n);
            let ntk = fac.ntk(&fac);
            ((&ntk - &self.ntk0).norm() / self.ntk0_norm, kernel_target_alignment(&ntk, &spec.data.y_train))
        };
        MemberRecord {
            nn,
            lin: lin_test,
            train_loss,
            test_loss,
            rmse_nn_lin,
            weight_change,
            ntk_change,
            ntk_alignment: Some(ntk_alignment),
            quad,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The step-0 shortcut of the record gives the same bits as the full computation.
    #[test]
    fn step_zero_record_shortcut_is_exact() {
        let mut spec = EnsembleSpec::cookbook(2, 10, 24, 4);
        spec.readout_only = false;
        let data = Data::new(&spec);
        let schedule = spec.schedule();
        for index in 0..2 {
            let mut member = Member::new(index);
            member.start(&spec, &data).unwrap();
            let Phase::Started(start) = &member.phase else { panic!("member {index} not started") };
            let started = start.record(&spec);
            member.build(&spec, &data, &schedule).unwrap();
            member.run_toward(0, 1);
            let Phase::Training(t) = &member.phase else { panic!("member {index} not training") };
            let full = t.record_with(&spec, &data, 0, false);
            let short = t.record_with(&spec, &data, 0, true);
            assert_eq!(full, short);
            assert!(full.nn.iter().zip(&short.nn).all(|(a, b)| a.to_bits() == b.to_bits()));
            // The record taken before the linearization is built: the same network outputs
            // (one f32 forward pass either way) and the linearization equal to the network.
            assert!(full.nn.iter().zip(&started.nn).all(|(a, b)| a.to_bits() == b.to_bits()));
            assert_eq!(started.lin, started.nn);
            assert_eq!(started.rmse_nn_lin, 0.0);
            assert_eq!(started.train_loss.nn.to_bits(), full.train_loss.nn.to_bits());
            assert_eq!(started.weight_change, full.weight_change);
            assert_eq!(started.ntk_change, full.ntk_change);
            // The linearization's outputs at t = 0 are f₀ from its own computation: equal to
            // the network's to f32 rounding (the f64 copy on the training points).
            for (a, b) in started.lin.iter().zip(&full.lin) {
                assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "lin at t = 0: {a} vs {b}");
            }
            let (ls, lf) = (started.train_loss.lin, full.train_loss.lin);
            assert!((ls - lf).abs() <= 1e-12 * (1.0 + lf.abs()), "linear train loss {ls} vs {lf}");
        }
    }
}
