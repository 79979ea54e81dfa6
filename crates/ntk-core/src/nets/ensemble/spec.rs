//! What defines an ensemble job ([`EnsembleSpec`]), its checkpoint schedule, and the errors of
//! every part of the ensemble machinery ([`EnsembleError`]).

use serde::{Deserialize, Serialize};
use std::ops::Range;

use crate::arch::Architecture;
use crate::datasets::{DataError, ExplicitData};
use crate::nets::linearized::LinearizedError;
use crate::nets::loss::Loss;
use crate::nets::mlp::{MlpError, MAX_WIDTH};
use crate::nets::optimizer::OptimizerError;
use crate::nets::output_scale::{AlphaError, OutputScale};
use crate::nets::train::TrainOptions;
use crate::range::{Expected, RangeError};

/// Largest number of gradient-descent steps accepted.
pub const MAX_STEPS: u64 = 10_000_000;

/// Default number of checkpoints (including step 0 and the final step).
pub const DEFAULT_CHECKPOINTS: usize = 30;

/// Most checkpoints a run may ask for (ensembles, width sweeps, one-network runs): far more
/// than any plot needs, and a bound on the schedule a file's spec makes a reader build.
pub const MAX_CHECKPOINTS: usize = 10_000;

/// Checks a number of checkpoints: 2 ..= [`MAX_CHECKPOINTS`], step 0 and the final step
/// included (ensembles, width sweeps, one-network runs).
///
/// # Errors
/// The [`RangeError`] of `checkpoints` otherwise.
pub(crate) fn check_checkpoints(checkpoints: usize) -> Result<(), RangeError> {
    RangeError::integers("checkpoints", checkpoints as u64, 2, MAX_CHECKPOINTS as u64)
        .map_err(|e| e.with_note("step 0 and the final step included"))
}

/// FLOP-equivalent cost of one step of a member's quadratic model per point and weight, in the
/// units of [`EnsembleSpec::flops_per_step`] (where the f32 network's step is `6 B P_w`), so that
/// work budgets and workload limits count its time. Its step is a forward pass, a backward pass
/// for `δ^l = ∂f/∂h^l`, a Jacobian–vector product and a backpropagation of the loss, each a
/// Dense product per layer (`10 B P_w` in all), in dual f64 numbers (a dual multiply–add is
/// about 2.5 real ones): `≈ 25 B P_w` real FLOP, about four times the network's. In time it
/// is far more: the generic dual arithmetic does not vectorise, while the f32 network runs at
/// 20–30 GFLOP/s. Measured (release build, 2-core AMD EPYC, cookbook data N = 5, two erf
/// layers): 42–68 times an f32 network step at widths 128–1024; counted as 50 × 6 = 300.
pub const QUADRATIC_STEP_FLOP: f64 = 300.0;

/// Most members of an ensemble job: a bound on what a file's spec makes a reader allocate.
pub const MAX_MEMBERS: usize = 1_000_000;

fn default_checkpoints() -> usize {
    DEFAULT_CHECKPOINTS
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// Everything that defines an ensemble run; serializable so it can be posted to web workers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnsembleSpec {
    /// architecture (depth, activation, σ_w², σ_b², parameterization)
    pub arch: Architecture,
    /// hidden width n
    pub width: usize,
    /// training points and targets, test points and their optional targets (which enable test
    /// losses); flattened: the keys `x_train`, `y_train`, `x_test`, `y_test` of the spec's JSON
    #[serde(flatten)]
    pub data: ExplicitData,
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
    /// the loss (MSE, or binary cross-entropy on ±1 labels); absent from files of MSE jobs, so
    /// their spec hash is what it always was
    #[serde(default, skip_serializing_if = "is_default")]
    pub loss: Loss,
    /// minibatch size B of SGD (absent: full batch); member m's batches are seeded by its own
    /// seed, and its linearization sees the same batches
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// job seed; member m uses [`member_seed`](crate::rng::member_seed)`(seed, m)`
    pub seed: u64,
    /// ensemble size M
    pub members: usize,
    /// number of checkpoints, log-spaced, including step 0 and the final step (≥ 2)
    #[serde(default = "default_checkpoints")]
    pub checkpoints: usize,
    /// Chizat's output scale α (docs/MATH.md, "Chizat's output scale α"): every member and its
    /// linearization are trained and reported as `g = α (f − f₀)` on the loss scaled by `1/α²`.
    /// Absent (the default, and absent from the spec's JSON, so its hash is what it always
    /// was): the networks f themselves, bit for bit as before α existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// Also train each member's quadratic model `f_quad = f₀ + J₀δ + ½ δᵀH₀δ` (δ = θ − θ₀;
    /// [`QuadraticModel`](crate::nets::quadratic::QuadraticModel), docs/MATH.md, "The quadratic
    /// model") by the same step, loss, minibatches and output scale as the network, and record
    /// it at every checkpoint ([`QuadraticRecord`](super::QuadraticRecord)). Absent (false) from
    /// the spec's JSON when unset, so the spec hashes of jobs without it are what they were.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub quadratic: bool,
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
    #[error(transparent)]
    OutOfRange(#[from] RangeError),
    /// Point sets of inconsistent shape, or non-finite data.
    #[error("data: {0}")]
    Data(#[from] DataError),
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
    /// An output scale α out of range.
    #[error(transparent)]
    Alpha(#[from] AlphaError),
    /// The progress callback asked to stop.
    #[error("cancelled")]
    Cancelled,
    /// A checkpoint batch that does not belong to this job's schedule.
    #[error(
        "checkpoint {checkpoint} at step {step} is not in the job's schedule ({checkpoints} checkpoints)"
    )]
    NotInSchedule {
        /// checkpoint index in the batch
        checkpoint: usize,
        /// step in the batch
        step: u64,
        /// number of checkpoints of the job
        checkpoints: usize,
    },
    /// A member reported two different results for one checkpoint (overlapping ranges not
    /// discarded before a rerun).
    #[error("member {member} reported two different results for checkpoint {checkpoint}")]
    ConflictingReport {
        /// member index
        member: usize,
        /// checkpoint index
        checkpoint: usize,
    },
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
            data: ExplicitData { x_train, y_train, x_test, y_test },
            learning_rate: 0.1,
            steps,
            momentum: 0.0,
            readout_only: false,
            loss: Loss::Mse,
            batch_size: None,
            seed: 0,
            members,
            checkpoints,
            alpha: None,
            quadratic: false,
        }
    }

    /// The output scale, if the spec has one.
    ///
    /// # Errors
    /// [`EnsembleError::Alpha`] for an α that [`OutputScale::new`] refuses.
    pub fn output_scale(&self) -> Result<Option<OutputScale>, EnsembleError> {
        Ok(self.alpha.map(OutputScale::new).transpose()?)
    }

    /// Whether the linearization has the closed form of MSE under full-batch descent (paper
    /// Eq. 8–11, [`Linearized`](crate::nets::linearized::Linearized)); otherwise it is trained
    /// step by step beside the network ([`LinearModel`](crate::nets::linear_model::LinearModel)).
    pub fn closed_form_linearization(&self) -> bool {
        self.loss == Loss::Mse && self.batch_size.is_none()
    }

    /// The training options of member `member_seed` (the member's network seed also seeds its
    /// minibatches).
    pub fn train_options(&self, member_seed: u64) -> TrainOptions {
        TrainOptions {
            learning_rate: self.learning_rate,
            momentum: self.momentum,
            readout_only: self.readout_only,
            loss: self.loss,
            batch_size: self.batch_size,
            batch_seed: member_seed,
        }
    }

    /// [`EnsembleSpec::validate`], and that `members` is a range of this job's members.
    ///
    /// # Errors
    /// [`EnsembleError`] naming the offending value, [`EnsembleError::MemberRange`] for the
    /// range.
    pub fn validate_members(&self, members: &Range<usize>) -> Result<(), EnsembleError> {
        self.validate()?;
        if members.start > members.end || members.end > self.members {
            return Err(EnsembleError::MemberRange {
                start: members.start,
                end: members.end,
                members: self.members,
            });
        }
        Ok(())
    }

    /// Checks every field (the data by [`ExplicitData::validate`], then a batch size of at most
    /// N and targets the loss can take).
    ///
    /// # Errors
    /// [`EnsembleError`] naming the offending value ([`EnsembleError::Data`] for the data).
    pub fn validate(&self) -> Result<(), EnsembleError> {
        self.arch.validate().map_err(MlpError::from)?;
        if self.width == 0 || self.width > MAX_WIDTH {
            return Err(MlpError::Width(self.width).into());
        }
        self.output_scale()?;
        RangeError::positive("learning rate", self.learning_rate)?;
        let b = self.momentum;
        RangeError::check(
            "momentum",
            b,
            b.is_finite() && (0.0..1.0).contains(&b),
            Expected::Words("0 ≤ β < 1"),
        )?;
        RangeError::at_most("steps", self.steps, MAX_STEPS)?;
        RangeError::count("members", self.members, MAX_MEMBERS)?;
        check_checkpoints(self.checkpoints)?;
        self.data.validate()?;
        let n = self.data.n_train();
        if let Some(b) = self.batch_size {
            if b == 0 || b > n {
                return Err(MlpError::from(OptimizerError::BatchSize { batch: b, points: n }).into());
            }
        }
        self.loss.check_targets(&self.data.y_train).map_err(MlpError::from)?;
        Ok(())
    }

    /// The checkpoint steps: 0, then `checkpoints − 1` log-spaced steps from 1 to K (rounded,
    /// duplicates removed), always ending at K.
    pub fn schedule(&self) -> Vec<u64> {
        checkpoint_steps(self.steps, self.checkpoints)
    }

    /// Number of weights of one network, `P_w = d n + (L − 1) n² + n` (biases not counted).
    pub fn weights(&self) -> usize {
        let d = self.data.input_dim();
        let w = self.width;
        d * w + self.arch.depth.saturating_sub(1) * w * w + w
    }

    /// Approximate FLOP of one training step of one member, `6 B P_w` (B = N for full
    /// batches): 2 B P_w each for the forward product, the backward product `Wᵀδ` and the
    /// update `W += g aᵀ` (the count every GFLOP/s figure of the project uses); plus `4 B P_w`
    /// for a linearization trained step by step (its forward product and update); plus
    /// [`QUADRATIC_STEP_FLOP`]` · B P_w` for the quadratic model ([`EnsembleSpec::quadratic`]).
    pub fn flops_per_step(&self) -> f64 {
        let b = self.batch_size.unwrap_or(self.data.n_train()) as f64;
        let mut per_model = if self.closed_form_linearization() { 6.0 } else { 10.0 };
        if self.quadratic {
            per_model += QUADRATIC_STEP_FLOP;
        }
        per_model * b * self.weights() as f64
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
