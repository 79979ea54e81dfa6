//! What defines a one-network run ([`SingleSpec`]), the weights it follows, and its errors.

use serde::{Deserialize, Serialize};

use crate::arch::{Architecture, Parameterization};
use crate::datasets::{DataError, ExplicitData};
use crate::nets::ensemble::spec::{check_checkpoints, checkpoint_steps, MAX_STEPS};
use crate::nets::loss::Loss;
use crate::nets::mlp::{Mlp, MlpError, MAX_WIDTH};
use crate::nets::optimizer::{OptimizerError, OptimizerKind};
use crate::nets::output_scale::{AlphaError, OutputScale};
use crate::nets::train::TrainOptions;
use crate::range::RangeError;
use crate::rng::{member_seed, Normal};
use crate::theory::kernels::KernelError;

/// Default number of checkpoints of a one-network run (log-spaced, step 0 and the last
/// included): enough for smooth curves on a log time axis.
pub const DEFAULT_SINGLE_CHECKPOINTS: usize = 60;

/// Individual weights followed per layer (plus one bias per layer).
pub const WEIGHTS_PER_LAYER: usize = 2;

fn default_checkpoints() -> usize {
    DEFAULT_SINGLE_CHECKPOINTS
}

/// Everything that defines a run of one network beside its linearization; serializable so it
/// can be posted to a web worker and hashed into a result file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SingleSpec {
    /// architecture (depth, activation, σ_w², σ_b², parameterization)
    pub arch: Architecture,
    /// hidden width n
    pub width: usize,
    /// training points and targets (±1 labels for cross-entropy), test points and their
    /// optional targets (which enable test losses and accuracies); flattened: the keys
    /// `x_train`, `y_train`, `x_test`, `y_test` of the spec's JSON
    #[serde(flatten)]
    pub data: ExplicitData,
    /// the loss
    pub loss: Loss,
    /// learning rate η
    pub learning_rate: f64,
    /// momentum β ∈ [0, 1)
    #[serde(default)]
    pub momentum: f64,
    /// minibatch size of SGD (absent: full batch)
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// number of steps K
    pub steps: u64,
    /// seed of the network (and of its minibatches)
    pub seed: u64,
    /// number of log-spaced checkpoints (≥ 2)
    #[serde(default = "default_checkpoints")]
    pub checkpoints: usize,
    /// Chizat's output scale α (docs/MATH.md, "Parameterizations beyond NTK"): every model is
    /// trained and reported as `g = α (f − f₀)` on the loss scaled by `1/α²`. Absent: the
    /// models f themselves (the paper's setting; not the same as α = 1, which centres f at f₀).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// Also train the quadratic model `f₀ + J₀δ + ½ δᵀH₀δ` ([`QuadraticModel`](crate::nets::quadratic::QuadraticModel),
    /// docs/MATH.md, "The quadratic model") by the same step, and report it per checkpoint.
    /// Absent (false) from the spec JSON when unset.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub quadratic: bool,
}

/// An invalid one-network run, or one that could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SingleError {
    /// Invalid network, data or training options.
    #[error(transparent)]
    Mlp(#[from] MlpError),
    /// The analytic kernel could not be computed.
    #[error(transparent)]
    Kernel(#[from] KernelError),
    /// A setting out of range.
    #[error(transparent)]
    OutOfRange(#[from] RangeError),
    /// Point sets of inconsistent shape, or non-finite data.
    #[error("data: {0}")]
    Data(#[from] DataError),
    /// An output scale α out of range.
    #[error(transparent)]
    Alpha(#[from] AlphaError),
    /// The progress callback asked to stop.
    #[error("cancelled")]
    Cancelled,
}

/// A weight or bias followed through training, as an index into [`Mlp::params`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedWeight {
    /// Dense layer (0 = input layer, depth = readout)
    pub layer: usize,
    /// `"w"` for a weight `W[row, col]`, `"b"` for a bias `b[row]`
    pub kind: WeightKind,
    /// output unit j
    pub row: usize,
    /// input unit i (0 for a bias)
    pub col: usize,
    /// position in the flattened parameters (layer by layer, W row-major then b)
    pub index: usize,
}

/// A weight or a bias.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightKind {
    /// an entry of W
    W,
    /// an entry of b
    B,
}

impl SingleSpec {
    /// The optimizer by name: SGD with a batch size, momentum with β > 0, else GD.
    pub fn optimizer(&self) -> OptimizerKind {
        match (self.batch_size, self.momentum) {
            (Some(_), _) => OptimizerKind::Sgd,
            (None, b) if b > 0.0 => OptimizerKind::Momentum,
            _ => OptimizerKind::Gd,
        }
    }

    /// The training options of network, linearization and kernel model alike (the network's
    /// seed also seeds the minibatches).
    pub fn train_options(&self) -> TrainOptions {
        TrainOptions {
            learning_rate: self.learning_rate,
            momentum: self.momentum,
            readout_only: false,
            loss: self.loss,
            batch_size: self.batch_size,
            batch_seed: member_seed(self.seed, 1),
        }
    }

    /// The output scale, if the spec has one.
    ///
    /// # Errors
    /// [`SingleError::Alpha`] for an α that [`OutputScale::new`] refuses.
    pub fn output_scale(&self) -> Result<Option<OutputScale>, SingleError> {
        Ok(self.alpha.map(OutputScale::new).transpose()?)
    }

    /// Whether the analytic NTK's dynamics are computed beside the network (NTK
    /// parameterization: the analytic Θ is its limit).
    pub fn has_analytic(&self) -> bool {
        self.analytic_skipped().is_none()
    }

    /// Why the analytic-Θ series is not computed for this spec (`None`: it is).
    pub fn analytic_skipped(&self) -> Option<&'static str> {
        analytic_skipped(self.arch.param)
    }

    /// The checkpoint steps: 0, log-spaced steps, K.
    pub fn schedule(&self) -> Vec<u64> {
        checkpoint_steps(self.steps, self.checkpoints)
    }

    /// Input dimension d.
    pub fn input_dim(&self) -> usize {
        self.data.input_dim()
    }

    /// Number of weights `P_w = d n + (L − 1) n² + n`.
    pub fn weights(&self) -> usize {
        let w = self.width;
        self.input_dim() * w + self.arch.depth.saturating_sub(1) * w * w + w
    }

    /// Approximate FLOP of one step of network and linearization: `6 B P_w + 4 B P_w`.
    /// With the quadratic model, five times as much: its step is a forward and a backward pass
    /// and a Dense product per layer in dual f64 numbers.
    pub fn flops_per_step(&self) -> f64 {
        let base = 10.0 * self.batch_size.unwrap_or(self.data.n_train()) as f64 * self.weights() as f64;
        if self.quadratic {
            5.0 * base
        } else {
            base
        }
    }

    /// The weights and biases followed: per layer [`WEIGHTS_PER_LAYER`] weights at seeded
    /// positions (a stream apart from the network's) and the bias of the first of their rows.
    pub fn tracked_weights(&self) -> Vec<TrackedWeight> {
        let mut rng = Normal::new(member_seed(self.seed, 2));
        let d = self.input_dim();
        let mut out = Vec::new();
        let mut offset = 0;
        for l in 0..=self.arch.depth {
            let n_in = if l == 0 { d } else { self.width };
            let n_out = if l == self.arch.depth { 1 } else { self.width };
            let mut pick = |n: usize| ((rng.uniform() * n as f64) as usize).min(n - 1);
            let mut first_row = 0;
            for k in 0..WEIGHTS_PER_LAYER {
                let (row, col) = (pick(n_out), pick(n_in));
                if k == 0 {
                    first_row = row;
                }
                out.push(TrackedWeight {
                    layer: l,
                    kind: WeightKind::W,
                    row,
                    col,
                    index: offset + row * n_in + col,
                });
            }
            let bias = offset + n_in * n_out + first_row;
            out.push(TrackedWeight { layer: l, kind: WeightKind::B, row: first_row, col: 0, index: bias });
            offset += n_in * n_out + n_out;
        }
        out
    }

    /// The initial network (f32, seed [`SingleSpec::seed`]).
    ///
    /// # Errors
    /// [`SingleError::Mlp`] for an invalid architecture or width.
    pub fn network(&self) -> Result<Mlp<f32>, SingleError> {
        Ok(Mlp::new(&self.arch, self.input_dim(), self.width, self.seed)?)
    }

    /// Checks every field (the data by [`ExplicitData::validate`], then a batch size of at most
    /// N and targets the loss can take).
    ///
    /// # Errors
    /// [`SingleError`] naming the offending value ([`SingleError::Data`] for the data).
    pub fn validate(&self) -> Result<(), SingleError> {
        self.arch.validate().map_err(MlpError::from)?;
        if self.width == 0 || self.width > MAX_WIDTH {
            return Err(MlpError::Width(self.width).into());
        }
        RangeError::at_most("steps", self.steps, MAX_STEPS)?;
        check_checkpoints(self.checkpoints)?;
        self.output_scale()?;
        self.data.validate()?;
        let n = self.data.n_train();
        if let Some(b) = self.batch_size {
            if b == 0 || b > n {
                return Err(MlpError::from(OptimizerError::BatchSize { batch: b, points: n }).into());
            }
        }
        self.train_options().validate(&self.data.y_train)?;
        if let (Loss::Xent, Some(yt)) = (self.loss, &self.data.y_test) {
            Loss::Xent.check_targets(yt).map_err(MlpError::from)?;
        }
        Ok(())
    }
}

/// Why the analytic-Θ dynamics do not describe networks of parameterization `param` (`None`:
/// NTK parameterization, whose limit the analytic NTK is).
pub fn analytic_skipped(param: Parameterization) -> Option<&'static str> {
    match param {
        Parameterization::Ntk => None,
        Parameterization::Standard => Some(
            "standard parameterization: its tangent kernel grows with the width, the analytic NTK \
                 is the limit of NTK parameterization only",
        ),
        Parameterization::MeanField => Some(
            "mean-field parameterization: its features and tangent kernel move O(1) at every \
                 width, so the analytic NNGP/NTK Gaussian processes do not describe its training",
        ),
    }
}
