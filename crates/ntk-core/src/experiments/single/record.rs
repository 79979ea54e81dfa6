//! What a one-network run reports at each checkpoint, and the self-describing file of a whole run.

use serde::{Deserialize, Serialize};

use super::spec::{SingleSpec, TrackedWeight};
use crate::results::envelope::{Header, Kind, ResultsError};

/// First-layer units whose decision lines a checkpoint records ([`first_layer_features`]).
pub const FEATURE_UNITS: usize = 6;

/// The first `min(n, FEATURE_UNITS)` units of a first layer on 2-D inputs as the lines they
/// cut the plane along (paper Eq. 1, `h = c_w W x + c_b b`): `[c_w W_j1, c_w W_j2, c_b b_j]`
/// per unit j, so that the unit's pre-activation is negative on one side of
/// `a₁x₁ + a₂x₂ + c = 0` and positive on the other. `None` unless the layer has 2 inputs. In
/// the lazy regime these lines stay where they started; learning features moves them.
pub fn first_layer_features<T: Copy + Into<f64>>(
    n_in: usize,
    w: &[T],
    b: &[T],
    cw: T,
    cb: T,
) -> Option<Vec<[f64; 3]>> {
    if n_in != 2 {
        return None;
    }
    let (cw, cb): (f64, f64) = (cw.into(), cb.into());
    b.iter()
        .take(FEATURE_UNITS)
        .enumerate()
        .map(|(j, &bj)| [cw * w[2 * j].into(), cw * w[2 * j + 1].into(), cb * bj.into()])
        .collect::<Vec<_>>()
        .into()
}

/// A quantity of the three models: the network, its linearization (Θ̂₀) and the kernel model
/// with the analytic Θ (NTK parameterization only).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trio {
    /// the network
    pub nn: f64,
    /// its linearization
    pub lin: f64,
    /// the analytic-Θ dynamics from the same f₀
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theta: Option<f64>,
}

/// Outputs (logits, for cross-entropy) of one model on the training and test points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outputs {
    /// on the training points
    pub train: Vec<f64>,
    /// on the test points
    pub test: Vec<f64>,
}

/// One checkpoint (step k) of a one-network run. With an output scale α
/// ([`SingleSpec::alpha`]) every output, loss, accuracy and RMSE is that of the scaled model
/// `g = α (f − f₀)` ([`ScaledModel`](crate::nets::output_scale::ScaledModel)), the weights those of θ.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SingleCheckpoint {
    /// step k (time t = η k)
    pub step: u64,
    /// the network's outputs f_k
    pub nn: Outputs,
    /// the linearization's outputs `f₀ + J₀(θ_k^lin − θ₀)` (paper Eq. 8, trained by the same step)
    pub lin: Outputs,
    /// the analytic-Θ dynamics from the network's f₀ (NTK parameterization)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theta: Option<Outputs>,
    /// the followed weights of the network (in the order of [`SingleStart::weights`])
    pub weights_nn: Vec<f64>,
    /// the same weights of the linearization, `θ₀ + Δ`
    pub weights_lin: Vec<f64>,
    /// the network's first-layer features on 2-D inputs ([`first_layer_features`]): per unit
    /// of the first [`FEATURE_UNITS`], the coefficients `[a₁, a₂, c]` of its pre-activation
    /// `h = a₁x₁ + a₂x₂ + c`, whose zero line is the unit's decision line; `None` for other
    /// input dimensions (and in files written before they were recorded)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<[f64; 3]>>,
    /// training loss of each model (on every training point)
    pub train_loss: Trio,
    /// test loss of each model (with test targets)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_loss: Option<Trio>,
    /// training accuracy (targets ±1 only): the fraction with `f·y > 0`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_accuracy: Option<Trio>,
    /// test accuracy (test targets ±1 only)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_accuracy: Option<Trio>,
    /// `√(mean_j (f_k(x_j) − f_k^lin(x_j))²)` over the test points (the training points if
    /// there are none)
    pub rmse_nn_lin: f64,
    /// the same against the analytic-Θ dynamics
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rmse_nn_theta: Option<f64>,
    /// the quadratic model (spec with [`SingleSpec::quadratic`])
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quad: Option<QuadraticCheckpoint>,
}

/// The quadratic model `f₀ + J₀δ + ½ δᵀH₀δ` at a checkpoint (scaled as the other models with an
/// output scale α).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuadraticCheckpoint {
    /// its outputs on the training and test points
    pub outputs: Outputs,
    /// its training loss
    pub train_loss: f64,
    /// its test loss (with test targets)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_loss: Option<f64>,
    /// `√(mean_j (f_k(x_j) − f_k^quad(x_j))²)` over the test points (the training points if
    /// there are none)
    pub rmse_nn_quad: f64,
}

/// Which model of a one-network run diverged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SingleModel {
    /// the network
    Network,
    /// its linearization
    Linearization,
    /// the analytic-Θ dynamics
    Analytic,
    /// the quadratic model
    Quadratic,
}

impl std::fmt::Display for SingleModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SingleModel::Network => "the network",
            SingleModel::Linearization => "its linearization",
            SingleModel::Analytic => "the analytic-Θ dynamics",
            SingleModel::Quadratic => "the quadratic model",
        })
    }
}

/// A run that stopped because a model's loss became non-finite or exceeded
/// [`LOSS_FACTOR`](crate::divergence::LOSS_FACTOR) × its initial loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SingleDivergence {
    /// the first model found diverged
    pub model: SingleModel,
    /// the step it was found at
    pub step: u64,
}

/// What a run knows before it trains: the weights its checkpoints list and the learning-rate
/// landmarks of the network's own Θ̂₀ (mean loss): `η_max = 2N/λ_max`,
/// `η_critical = 2N/(λ_min + λ_max)` (`None` if Θ̂₀ could not be decomposed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SingleStart {
    /// the followed weights
    pub weights: Vec<TrackedWeight>,
    /// `2N/λ_max(Θ̂₀)`: above it the linearization diverges under MSE gradient descent
    pub eta_max: Option<f64>,
    /// `2N/(λ_min + λ_max)` of Θ̂₀
    pub eta_critical: Option<f64>,
}

/// The file `ntk single` prints: header, spec, the followed weights and every checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SingleReport {
    /// kind `single`, format, producer, spec hash
    #[serde(flatten)]
    pub header: Header,
    /// the run
    pub spec: SingleSpec,
    /// `"gd"`, `"momentum"` or `"sgd"` (from the spec)
    pub optimizer: String,
    /// the weights whose values the checkpoints list, and the landmarks of Θ̂₀
    #[serde(flatten)]
    pub start: SingleStart,
    /// every checkpoint reached
    pub checkpoints: Vec<SingleCheckpoint>,
    /// the divergence that ended the run early, if any
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diverged: Option<SingleDivergence>,
    /// why the analytic-Θ series is absent (standard and mean-field parameterization;
    /// [`SingleSpec::analytic_skipped`])
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytic_skipped: Option<String>,
}

impl SingleReport {
    /// The report of a run of `spec`.
    ///
    /// # Errors
    /// As [`Header::new`].
    pub fn new(
        spec: &SingleSpec,
        start: SingleStart,
        checkpoints: Vec<SingleCheckpoint>,
        diverged: Option<SingleDivergence>,
    ) -> Result<Self, ResultsError> {
        Ok(SingleReport {
            header: Header::new(Kind::Single, spec)?,
            optimizer: spec.optimizer().to_string(),
            start,
            spec: spec.clone(),
            checkpoints,
            diverged,
            analytic_skipped: spec.analytic_skipped().map(str::to_string),
        })
    }
}
