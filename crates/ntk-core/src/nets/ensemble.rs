//! Ensembles of finite networks and their linearizations, trained by full-batch gradient descent
//! from independent seeded initialisations (paper Figure 2 / SM Figure S1 experiments).
//!
//! At each checkpoint of a log-spaced schedule the runner records, per member, the network and
//! linearized outputs on the test points, train/test losses of both, the test RMSE between
//! them, the relative change of every weight matrix `‖W_t − W₀‖_F/‖W₀‖_F` and of the empirical
//! NTK `‖Θ̂_t − Θ̂₀‖_F/‖Θ̂₀‖_F` (train × train). Members are independent: [`run_members`] runs
//! any range of them and [`EnsembleStats::merge`] combines partial results exactly (Welford /
//! Chan), so native threads and web workers can split the work.
//!
//! Networks train in f32; kernels, linearizations and statistics are f64.

use std::ops::{ControlFlow, Range};

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::arch::Architecture;
use crate::nets::empirical_ntk::JacobianFactors;
use crate::nets::linearized::{Linearized, LinearizedError};
use crate::nets::mlp::{mse_loss, Mlp, MlpError, TrainOptions, Trainer, MAX_WIDTH};
use crate::rng::member_seed;
use crate::stats::{Running, RunningVec};

/// A network whose training loss exceeds this factor times its initial loss is diverged.
pub const DIVERGENCE_FACTOR: f64 = 1e8;

/// Largest number of gradient-descent steps accepted.
pub const MAX_STEPS: u64 = 10_000_000;

/// Default number of checkpoints (including step 0 and the final step).
pub const DEFAULT_CHECKPOINTS: usize = 30;

fn default_checkpoints() -> usize {
    DEFAULT_CHECKPOINTS
}

/// Everything that defines an ensemble run; serializable so it can be posted to web workers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnsembleSpec {
    /// architecture (depth, activation, σ_w², σ_b², parameterization)
    pub arch: Architecture,
    /// hidden width n
    pub width: usize,
    /// training inputs, one point per entry
    pub x_train: Vec<Vec<f64>>,
    /// training targets
    pub y_train: Vec<f64>,
    /// test inputs
    pub x_test: Vec<Vec<f64>>,
    /// optional test targets (enables test losses)
    #[serde(default)]
    pub y_test: Option<Vec<f64>>,
    /// learning rate η (time t = η k)
    pub learning_rate: f64,
    /// number of gradient-descent steps K
    pub steps: u64,
    /// momentum β ∈ [0, 1) (paper SM B.1), 0 for plain gradient descent
    #[serde(default)]
    pub momentum: f64,
    /// train only the readout layer (NNGP dynamics, paper SM D)
    #[serde(default)]
    pub readout_only: bool,
    /// job seed; member m uses [`member_seed`]`(seed, m)`
    pub seed: u64,
    /// ensemble size M
    pub members: usize,
    /// number of checkpoints, log-spaced, including step 0 and the final step (≥ 2)
    #[serde(default = "default_checkpoints")]
    pub checkpoints: usize,
}

/// An invalid ensemble job or a run that could not finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EnsembleError {
    /// Invalid network or data.
    #[error(transparent)]
    Mlp(#[from] MlpError),
    /// The linearization could not be built.
    #[error(transparent)]
    Linearized(#[from] LinearizedError),
    /// A hyperparameter out of range.
    #[error("{what} out of range: {value} ({expected})")]
    OutOfRange {
        /// which hyperparameter
        what: &'static str,
        /// its value
        value: f64,
        /// the accepted range
        expected: &'static str,
    },
    /// Point sets of inconsistent shape.
    #[error("data: {0}")]
    Data(String),
    /// A member range outside 0..members.
    #[error("members {start}..{end} requested, but the job has {members} members")]
    MemberRange {
        /// first requested member
        start: usize,
        /// one past the last
        end: usize,
        /// job size
        members: usize,
    },
    /// Partial statistics of different jobs (different checkpoint schedules or test sets).
    #[error("cannot merge statistics of different jobs: {0}")]
    Mismatch(String),
    /// The progress callback asked to stop.
    #[error("cancelled")]
    Cancelled,
}

impl EnsembleSpec {
    /// The neural-tangents cookbook ensemble (the project's benchmark workload): 5 training
    /// points `x ~ U[−π, π]`, `y = sin x + 0.1 ε` (seeded), 50 test points evenly spaced on
    /// [−π, π] with targets sin x, two hidden erf layers, σ_w² = 2.25, σ_b² = 0.0025, η = 0.1.
    /// The cookbook itself uses width 512, 10,000 steps and 100 members.
    pub fn cookbook(members: usize, steps: u64, width: usize, checkpoints: usize) -> EnsembleSpec {
        let arch = Architecture {
            depth: 2,
            activation: crate::Activation::Erf,
            sw2: 2.25,
            sb2: 0.0025,
            param: crate::Parameterization::Ntk,
        };
        let mut rng = crate::rng::Normal::new(2019);
        let pi = std::f64::consts::PI;
        let x_train: Vec<Vec<f64>> = (0..5).map(|_| vec![-pi + 2.0 * pi * rng.uniform()]).collect();
        let y_train = x_train.iter().map(|x| x[0].sin() + 0.1 * rng.sample()).collect();
        let x_test: Vec<Vec<f64>> = (0..50).map(|i| vec![-pi + 2.0 * pi * i as f64 / 49.0]).collect();
        let y_test = Some(x_test.iter().map(|x| x[0].sin()).collect());
        EnsembleSpec {
            arch,
            width,
            x_train,
            y_train,
            x_test,
            y_test,
            learning_rate: 0.1,
            steps,
            momentum: 0.0,
            readout_only: false,
            seed: 0,
            members,
            checkpoints,
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`EnsembleError`] naming the offending value.
    pub fn validate(&self) -> Result<(), EnsembleError> {
        self.arch.validate().map_err(MlpError::from)?;
        if self.width == 0 || self.width > MAX_WIDTH {
            return Err(MlpError::Width(self.width).into());
        }
        let range = |what, value: f64, ok: bool, expected| {
            if ok {
                Ok(())
            } else {
                Err(EnsembleError::OutOfRange { what, value, expected })
            }
        };
        let lr = self.learning_rate;
        range("learning rate", lr, lr.is_finite() && lr > 0.0, "a finite number > 0")?;
        let b = self.momentum;
        range("momentum", b, b.is_finite() && (0.0..1.0).contains(&b), "0 ≤ β < 1")?;
        range("steps", self.steps as f64, self.steps <= MAX_STEPS, "at most 10,000,000")?;
        range("members", self.members as f64, self.members >= 1, "at least 1")?;
        range(
            "checkpoints",
            self.checkpoints as f64,
            self.checkpoints >= 2,
            "at least 2 (step 0 and the final step)",
        )?;
        let n = self.x_train.len();
        if n == 0 {
            return Err(EnsembleError::Data("no training points".into()));
        }
        let d = self.x_train[0].len();
        if d == 0 {
            return Err(MlpError::InputDim(0).into());
        }
        if self.y_train.len() != n {
            return Err(EnsembleError::Data(format!(
                "{n} training points but {} targets",
                self.y_train.len()
            )));
        }
        for (name, set) in [("training", &self.x_train), ("test", &self.x_test)] {
            if let Some((i, p)) = set.iter().enumerate().find(|(_, p)| p.len() != d) {
                return Err(EnsembleError::Data(format!(
                    "{name} point {i} has dimension {}, the first training point {d}",
                    p.len()
                )));
            }
        }
        if let Some(yt) = &self.y_test {
            if yt.len() != self.x_test.len() {
                return Err(EnsembleError::Data(format!(
                    "{} test points but {} test targets",
                    self.x_test.len(),
                    yt.len()
                )));
            }
        }
        let values = self.x_train.iter().chain(&self.x_test).flatten().chain(&self.y_train);
        if let Some(&v) = values.chain(self.y_test.iter().flatten()).find(|v| !v.is_finite()) {
            return Err(MlpError::NotFinite { what: "data", value: v }.into());
        }
        Ok(())
    }

    /// The checkpoint steps: 0, then `checkpoints − 1` log-spaced steps from 1 to K (rounded,
    /// duplicates removed), always ending at K.
    pub fn schedule(&self) -> Vec<u64> {
        checkpoint_steps(self.steps, self.checkpoints)
    }

    /// Approximate FLOP of one training step, `6 N P_w` (forward, backward, update).
    pub fn flops_per_step(&self) -> f64 {
        let d = self.x_train.first().map_or(1, Vec::len);
        let w = self.width;
        let weights = d * w + (self.arch.depth - 1) * w * w + w;
        6.0 * self.x_train.len() as f64 * weights as f64
    }
}

/// Log-spaced checkpoint steps: 0, `round(K^{i/(c−2)})` for i = 0..c−2, and K (deduplicated).
pub fn checkpoint_steps(steps: u64, count: usize) -> Vec<u64> {
    let mut out = vec![0];
    if count > 2 && steps > 0 {
        let c = (count - 2) as f64;
        let ln_k = (steps as f64).ln();
        for i in 0..=count - 2 {
            let k = (ln_k * i as f64 / c).exp().round() as u64;
            out.push(k.clamp(1, steps));
        }
    }
    out.push(steps);
    out.dedup();
    out
}

/// Which model of a member diverged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DivergedModel {
    /// the network (loss non-finite or above [`DIVERGENCE_FACTOR`] × initial loss)
    Network,
    /// its linearization (same loss criterion, checked at checkpoints: η above the linear
    /// stability bound 2N/λ_max(Θ̂₀))
    Linearization,
}

/// A member that diverged and was excluded from the statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divergence {
    /// member index
    pub member: usize,
    /// first step at which it was detected
    pub step: u64,
    /// which model
    pub model: DivergedModel,
}

/// Statistics across members at one checkpoint (only members that did not diverge).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointStats {
    /// step k
    pub step: u64,
    /// network outputs on the test points
    pub nn: RunningVec,
    /// linearized outputs on the test points
    pub lin: RunningVec,
    /// training loss of the network
    pub train_loss_nn: Running,
    /// training loss of the linearization
    pub train_loss_lin: Running,
    /// test loss of the network (if test targets were given)
    pub test_loss_nn: Running,
    /// test loss of the linearization (if test targets were given)
    pub test_loss_lin: Running,
    /// `√(mean_j (f_nn(x_j) − f_lin(x_j))²)` over test points
    pub rmse_nn_lin: Running,
    /// `‖W_t − W₀‖_F/‖W₀‖_F` per layer (input layer first, readout last)
    pub weight_change: RunningVec,
    /// `‖Θ̂_t − Θ̂₀‖_F/‖Θ̂₀‖_F` on train × train (all layers)
    pub ntk_change: Running,
}

/// Mergeable statistics of a range of members of one job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnsembleStats {
    /// learning rate (time = η · step)
    pub learning_rate: f64,
    /// whether test losses are recorded
    pub has_test_targets: bool,
    /// members run (including diverged ones)
    pub members_run: usize,
    /// members excluded because they diverged, sorted by member
    pub diverged: Vec<Divergence>,
    /// one entry per checkpoint
    pub checkpoints: Vec<CheckpointStats>,
}

impl EnsembleStats {
    /// Empty statistics for the schedule of `spec`.
    pub fn empty(spec: &EnsembleSpec) -> Self {
        let layers = spec.arch.depth + 1;
        let m = spec.x_test.len();
        EnsembleStats {
            learning_rate: spec.learning_rate,
            has_test_targets: spec.y_test.is_some(),
            members_run: 0,
            diverged: Vec::new(),
            checkpoints: spec
                .schedule()
                .into_iter()
                .map(|step| CheckpointStats {
                    step,
                    nn: RunningVec::new(m),
                    lin: RunningVec::new(m),
                    train_loss_nn: Running::default(),
                    train_loss_lin: Running::default(),
                    test_loss_nn: Running::default(),
                    test_loss_lin: Running::default(),
                    rmse_nn_lin: Running::default(),
                    weight_change: RunningVec::new(layers),
                    ntk_change: Running::default(),
                })
                .collect(),
        }
    }

    /// Combines with the statistics of a disjoint set of members of the same job (Chan's
    /// parallel update for every mean and variance; exact up to rounding).
    ///
    /// # Errors
    /// [`EnsembleError::Mismatch`] if the checkpoint schedules or test sets differ.
    pub fn merge(&mut self, other: &EnsembleStats) -> Result<(), EnsembleError> {
        let steps = |s: &EnsembleStats| s.checkpoints.iter().map(|c| c.step).collect::<Vec<_>>();
        if steps(self) != steps(other) {
            return Err(EnsembleError::Mismatch("different checkpoint schedules".into()));
        }
        let sizes = |s: &EnsembleStats| {
            s.checkpoints.first().map(|c| (c.nn.items.len(), c.weight_change.items.len()))
        };
        if sizes(self) != sizes(other) || self.has_test_targets != other.has_test_targets {
            return Err(EnsembleError::Mismatch("different test sets or depths".into()));
        }
        for (a, b) in self.checkpoints.iter_mut().zip(&other.checkpoints) {
            a.nn.merge(&b.nn);
            a.lin.merge(&b.lin);
            a.train_loss_nn.merge(&b.train_loss_nn);
            a.train_loss_lin.merge(&b.train_loss_lin);
            a.test_loss_nn.merge(&b.test_loss_nn);
            a.test_loss_lin.merge(&b.test_loss_lin);
            a.rmse_nn_lin.merge(&b.rmse_nn_lin);
            a.weight_change.merge(&b.weight_change);
            a.ntk_change.merge(&b.ntk_change);
        }
        self.members_run += other.members_run;
        self.diverged.extend_from_slice(&other.diverged);
        self.diverged.sort_by_key(|d| d.member);
        Ok(())
    }

    /// Plain means and variances per checkpoint (the JSON of `ntk ensemble`).
    pub fn summary(&self) -> EnsembleSummary {
        let checkpoints = self
            .checkpoints
            .iter()
            .map(|c| CheckpointSummary {
                step: c.step,
                time: self.learning_rate * c.step as f64,
                nn: MeanVar { mean: c.nn.mean(), var: c.nn.variance() },
                lin: MeanVar { mean: c.lin.mean(), var: c.lin.variance() },
                train_loss: NnLin { nn: c.train_loss_nn.mean, lin: c.train_loss_lin.mean },
                test_loss: self
                    .has_test_targets
                    .then_some(NnLin { nn: c.test_loss_nn.mean, lin: c.test_loss_lin.mean }),
                rmse_nn_lin: c.rmse_nn_lin.mean,
                weight_change: c.weight_change.mean(),
                ntk_change: c.ntk_change.mean,
            })
            .collect();
        EnsembleSummary {
            members: self.members_run - self.diverged.len(),
            diverged: self.diverged.len(),
            diverged_steps: self.diverged.iter().map(|d| d.step).collect(),
            diverged_members: self.diverged.clone(),
            checkpoints,
        }
    }
}

/// Mean and unbiased variance across members, per test point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanVar {
    /// mean across members
    pub mean: Vec<f64>,
    /// unbiased variance across members (0 with fewer than 2 members)
    pub var: Vec<f64>,
}

/// A quantity for the network and its linearization.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NnLin {
    /// the network
    pub nn: f64,
    /// the linearized network
    pub lin: f64,
}

/// One checkpoint of [`EnsembleSummary`] (member averages).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointSummary {
    /// step k
    pub step: u64,
    /// time t = η k
    pub time: f64,
    /// network outputs on the test points
    pub nn: MeanVar,
    /// linearized outputs on the test points
    pub lin: MeanVar,
    /// mean training loss `1/(2N) Σ (f − y)²`
    pub train_loss: NnLin,
    /// mean test loss (only with test targets)
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub test_loss: Option<NnLin>,
    /// mean test RMSE between network and linearization
    pub rmse_nn_lin: f64,
    /// mean `‖W_t − W₀‖_F/‖W₀‖_F` per layer
    pub weight_change: Vec<f64>,
    /// mean `‖Θ̂_t − Θ̂₀‖_F/‖Θ̂₀‖_F` (train × train)
    pub ntk_change: f64,
}

/// The statistics of a whole run, as plain numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnsembleSummary {
    /// members included in the statistics
    pub members: usize,
    /// number of diverged members (excluded)
    pub diverged: usize,
    /// their divergence steps
    pub diverged_steps: Vec<u64>,
    /// details of the diverged members
    pub diverged_members: Vec<Divergence>,
    /// per checkpoint
    pub checkpoints: Vec<CheckpointSummary>,
}

/// Where a run is, passed to the progress callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// member being trained
    pub member: usize,
    /// its current step
    pub step: u64,
    /// steps per member
    pub steps: u64,
    /// members of this call finished so far
    pub members_done: usize,
    /// members in this call
    pub members_total: usize,
}

/// Runs members `members` (a sub-range of `0..spec.members`) and returns their statistics.
/// `progress` is called before each member, every few steps (about every 5·10⁷ FLOP of
/// training, i.e. a few tens of ms) and after the last member; returning
/// `ControlFlow::Break(())` cancels the run.
///
/// # Errors
/// [`EnsembleError`] for an invalid spec or member range, or [`EnsembleError::Cancelled`].
pub fn run_members<F>(
    spec: &EnsembleSpec,
    members: Range<usize>,
    mut progress: F,
) -> Result<EnsembleStats, EnsembleError>
where
    F: FnMut(&Progress) -> ControlFlow<()>,
{
    spec.validate()?;
    if members.start > members.end || members.end > spec.members {
        return Err(EnsembleError::MemberRange {
            start: members.start,
            end: members.end,
            members: spec.members,
        });
    }
    let data = Data::new(spec);
    let mut stats = EnsembleStats::empty(spec);
    let total = members.len();
    for (done, m) in members.enumerate() {
        let outcome = run_member(spec, &data, m, &mut |step| {
            progress(&Progress {
                member: m,
                step,
                steps: spec.steps,
                members_done: done,
                members_total: total,
            })
        })?;
        stats.members_run += 1;
        match outcome {
            MemberOutcome::Diverged(d) => stats.diverged.push(d),
            MemberOutcome::Done(records) => {
                for (c, r) in stats.checkpoints.iter_mut().zip(&records) {
                    c.nn.push(&r.nn_test);
                    c.lin.push(&r.lin_test);
                    c.train_loss_nn.push(r.train_loss_nn);
                    c.train_loss_lin.push(r.train_loss_lin);
                    if let Some((a, b)) = r.test_loss {
                        c.test_loss_nn.push(a);
                        c.test_loss_lin.push(b);
                    }
                    c.rmse_nn_lin.push(r.rmse);
                    c.weight_change.push(&r.weight_change);
                    c.ntk_change.push(r.ntk_change);
                }
            }
        }
    }
    let last = Progress {
        member: spec.members,
        step: spec.steps,
        steps: spec.steps,
        members_done: total,
        members_total: total,
    };
    if progress(&last).is_break() {
        return Err(EnsembleError::Cancelled);
    }
    Ok(stats)
}

/// The data of a job in the network's batch-major layouts.
struct Data {
    d: usize,
    n: usize,
    m: usize,
    x_train: Vec<f64>,
    x_test: Vec<f64>,
    x_train32: Vec<f32>,
    x_test32: Vec<f32>,
}

impl Data {
    fn new(spec: &EnsembleSpec) -> Self {
        let x_train: Vec<f64> = spec.x_train.iter().flatten().copied().collect();
        let x_test: Vec<f64> = spec.x_test.iter().flatten().copied().collect();
        Data {
            d: spec.x_train[0].len(),
            n: spec.x_train.len(),
            m: spec.x_test.len(),
            x_train32: x_train.iter().map(|&v| v as f32).collect(),
            x_test32: x_test.iter().map(|&v| v as f32).collect(),
            x_train,
            x_test,
        }
    }
}

struct Record {
    nn_test: Vec<f64>,
    lin_test: Vec<f64>,
    train_loss_nn: f64,
    train_loss_lin: f64,
    test_loss: Option<(f64, f64)>,
    rmse: f64,
    weight_change: Vec<f64>,
    ntk_change: f64,
}

enum MemberOutcome {
    Done(Vec<Record>),
    Diverged(Divergence),
}

fn frobenius(v: impl Iterator<Item = f64>) -> f64 {
    v.map(|x| x * x).sum::<f64>().sqrt()
}

/// Trains one member and its linearization, recording every checkpoint.
fn run_member(
    spec: &EnsembleSpec,
    data: &Data,
    member: usize,
    tick: &mut dyn FnMut(u64) -> ControlFlow<()>,
) -> Result<MemberOutcome, EnsembleError> {
    let net = Mlp::<f32>::new(&spec.arch, data.d, spec.width, member_seed(spec.seed, member as u64))?;
    // Linearization from the f64 copy of the initial network (Θ̂₀, f₀).
    let net64 = net.cast::<f64>();
    let fac_train = JacobianFactors::new(&net64, &data.x_train, data.n);
    let fac_test = JacobianFactors::new(&net64, &data.x_test, data.m);
    let (k_train, k_test) = if spec.readout_only {
        (fac_train.readout_ntk(&fac_train), fac_test.readout_ntk(&fac_train))
    } else {
        (fac_train.ntk(&fac_train), fac_test.ntk(&fac_train))
    };
    // Θ̂₀ for the kernel-change measure, from the f32 network like the later Θ̂_t.
    let fac32 = JacobianFactors::new(&net, &data.x_train32, data.n);
    let ntk0 = fac32.ntk(&fac32);
    drop(net64);
    let y = DVector::from_column_slice(&spec.y_train);
    let lin = Linearized::new(
        &k_train,
        &k_test,
        &DVector::from_column_slice(&fac_train.outputs),
        &DVector::from_column_slice(&fac_test.outputs),
        &y,
        spec.learning_rate,
        spec.momentum,
    )?;
    let schedule = spec.schedule();
    let lin_traj = lin.trajectory(&schedule);
    let ntk0_norm = ntk0.norm();
    let w0: Vec<Vec<f32>> = net.layers.iter().map(|l| l.w.clone()).collect();
    let w0_norm: Vec<f64> = w0.iter().map(|w| frobenius(w.iter().map(|&v| v as f64))).collect();

    let opts = TrainOptions {
        learning_rate: spec.learning_rate,
        momentum: spec.momentum,
        readout_only: spec.readout_only,
    };
    let mut trainer = Trainer::new(net, &data.x_train, &spec.y_train, opts)?;
    let tick_every = ((5e7 / spec.flops_per_step()).ceil() as u64).clamp(1, 1000);
    let mut records = Vec::with_capacity(schedule.len());
    let mut next = 0;
    let mut initial_loss = f64::NAN;
    let mut k = 0u64;
    loop {
        if k.is_multiple_of(tick_every) && tick(k).is_break() {
            return Err(EnsembleError::Cancelled);
        }
        let loss = trainer.forward();
        if k == 0 {
            initial_loss = loss;
        }
        if !loss.is_finite() || loss > DIVERGENCE_FACTOR * initial_loss.max(1e-30) {
            return Ok(MemberOutcome::Diverged(Divergence {
                member,
                step: k,
                model: DivergedModel::Network,
            }));
        }
        if next < schedule.len() && schedule[next] == k {
            let lin_k = &lin_traj[next];
            let rec = record(spec, data, &trainer, loss, lin_k, &w0, &w0_norm, &ntk0, ntk0_norm);
            if !rec.nn_test.iter().all(|v| v.is_finite()) {
                return Ok(MemberOutcome::Diverged(Divergence {
                    member,
                    step: k,
                    model: DivergedModel::Network,
                }));
            }
            let lin_ok = rec.train_loss_lin.is_finite()
                && rec.train_loss_lin <= DIVERGENCE_FACTOR * initial_loss.max(1e-30)
                && rec.lin_test.iter().all(|v| v.is_finite());
            if !lin_ok {
                return Ok(MemberOutcome::Diverged(Divergence {
                    member,
                    step: k,
                    model: DivergedModel::Linearization,
                }));
            }
            records.push(rec);
            next += 1;
        }
        if k >= spec.steps {
            break;
        }
        trainer.backward_update();
        k += 1;
    }
    Ok(MemberOutcome::Done(records))
}

#[allow(clippy::too_many_arguments)]
fn record(
    spec: &EnsembleSpec,
    data: &Data,
    trainer: &Trainer<f32>,
    train_loss_nn: f64,
    lin: &crate::nets::linearized::LinearOutputs,
    w0: &[Vec<f32>],
    w0_norm: &[f64],
    ntk0: &DMatrix<f64>,
    ntk0_norm: f64,
) -> Record {
    let net = trainer.net();
    let nn_test: Vec<f64> = net.forward(&data.x_test32, data.m).iter().map(|&v| v as f64).collect();
    let lin_test: Vec<f64> = lin.test.iter().copied().collect();
    let train_loss_lin = mse_loss(lin.train.as_slice(), &spec.y_train);
    let test_loss =
        spec.y_test.as_ref().map(|yt| (mse_loss(&nn_test, yt), mse_loss(lin_test.as_slice(), yt)));
    let rmse = if data.m == 0 {
        0.0
    } else {
        (nn_test.iter().zip(&lin_test).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / data.m as f64).sqrt()
    };
    let weight_change = net
        .layers
        .iter()
        .zip(w0)
        .zip(w0_norm)
        .map(|((l, w0), &n0)| frobenius(l.w.iter().zip(w0).map(|(&a, &b)| a as f64 - b as f64)) / n0)
        .collect();
    let fac = JacobianFactors::new(net, &data.x_train32, data.n);
    let ntk = fac.ntk(&fac);
    let ntk_change = (ntk - ntk0).norm() / ntk0_norm;
    Record { nn_test, lin_test, train_loss_nn, train_loss_lin, test_loss, rmse, weight_change, ntk_change }
}
