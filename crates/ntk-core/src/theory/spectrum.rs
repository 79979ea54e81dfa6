//! The train kernels' eigenmodes and how fast gradient descent learns each (spectral bias;
//! paper Eq. 14–15 and docs/MATH.md in the mean-loss convention).
//!
//! With `Θ(X, X) = Σᵢ λᵢ vᵢ vᵢᵀ` and the target's coordinates `ỹᵢ = vᵢᵀ Y`, the NTK-GP mean on
//! the training points is `μ_t(X) = (I − e^{−Θt/N}) Y`, so its residual splits into independent
//! modes,
//!
//! ```text
//! vᵢᵀ (μ_t(X) − Y) = −dᵢ(t) ỹᵢ,   dᵢ(t) = e^{−λᵢ t/N}        (gradient flow, t = η k)
//!                                  dᵢ(k) = (1 − ηλᵢ/N)^k       (k steps of gradient descent)
//! ```
//!
//! — mode i is learned on the time scale `N/λᵢ`, the large-eigenvalue directions first. The
//! NNGP (readout-only training) has the same form with K(X, X) in place of Θ. The mean of
//! the loss is `1/(2N) Σᵢ dᵢ² ỹᵢ²` (the expected loss adds the spread of the initial function).
//!
//! The eigendecomposition, the regularizer, the jitter of a numerically singular kernel and the
//! pseudo-inverse at t = ∞ are those of [`GpDynamics`], so the
//! per-mode residuals reproduce its mean exactly: with a regularizer r and jitter j,
//! `μ = V diag(λᵢ (1 − d(λᵢ + r + j))/(λᵢ + r + j)) Ṽᵀ Y`.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::arch::Architecture;
use crate::theory::gp::{Eigen, GpDynamics, GpError, TrainingTime};
use crate::theory::kernels::{kernels, KernelPair};

/// One symmetric train kernel in its eigenbasis, with the target's coordinates.
/// Modes are sorted by eigenvalue, largest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KernelSpectrum {
    /// eigenvalues `λ₁ ≥ λ₂ ≥ … ≥ λ_N` of the kernel as given (no regularizer)
    pub eigenvalues: Vec<f64>,
    /// unit eigenvectors `vᵢ` (each of length N), in the same order
    pub eigenvectors: Vec<Vec<f64>>,
    /// the target's coordinates `ỹᵢ = vᵢᵀ Y`
    pub target_projection: Vec<f64>,
    /// the diagonal regularizer r added before the dynamics (as in the GP predictions)
    pub diag_reg: f64,
    /// the extra jitter j added because `λ_N + r` was ≤ N ε λ₁ (numerically singular)
    pub jitter: f64,
    /// the modes below that cut-off (left out at t = ∞: pseudo-inverse)
    pub null_modes: Vec<bool>,
    /// `λ₁/λ_N` of the kernel as given, `None` when numerically singular
    pub condition_number: Option<f64>,
    /// `(λ₁ + r + j)/(λ_N + r + j)`, what the dynamics actually use
    pub regularized_condition_number: f64,
}

/// What the modes look like at one training time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModeDynamics {
    /// `dᵢ`: the fraction of mode i not yet learned (1 at t = 0, → 0 as it is learned)
    pub remaining: Vec<f64>,
    /// `vᵢᵀ (μ_t(X) − Y) = −dᵢ ỹᵢ`, the residual of the mean in mode i
    pub residual: Vec<f64>,
    /// the loss of the mean prediction `1/(2N) Σᵢ dᵢ² ỹᵢ²`
    pub mean_loss: f64,
}

impl KernelSpectrum {
    /// Eigendecomposes the symmetric train kernel `kernel` (N × N) and projects the targets
    /// `y`; `diag_reg ≥ 0` and the jitter rule are those of the GP predictions.
    ///
    /// # Errors
    /// [`GpError`] for a non-square or non-finite kernel, wrong or non-finite targets, a
    /// negative regularizer, or an eigensolver failure.
    pub fn new(kernel: &DMatrix<f64>, y: &DVector<f64>, diag_reg: f64) -> Result<Self, GpError> {
        let n = kernel.nrows();
        if kernel.ncols() != n || n == 0 {
            return Err(GpError::Shape(format!(
                "the train kernel must be square and non-empty, got {:?}",
                kernel.shape()
            )));
        }
        if y.len() != n {
            return Err(GpError::TargetLength { expected: n, got: y.len() });
        }
        if let Some((index, &value)) = y.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(GpError::NonFiniteTarget { index, value });
        }
        if !(diag_reg.is_finite() && diag_reg >= 0.0) {
            return Err(GpError::BadRegularization(diag_reg));
        }
        Ok(Self::from_eigen(&Eigen::new(kernel, diag_reg, "train")?, y, diag_reg))
    }

    pub(crate) fn from_eigen(e: &Eigen, y: &DVector<f64>, diag_reg: f64) -> Self {
        let mut order: Vec<usize> = (0..e.base.len()).collect();
        order.sort_by(|&a, &b| e.base[b].total_cmp(&e.base[a]));
        let proj = e.vecs.tr_mul(y);
        let (first, last) = (order[0], order[order.len() - 1]);
        KernelSpectrum {
            eigenvalues: order.iter().map(|&i| e.base[i]).collect(),
            eigenvectors: order.iter().map(|&i| e.vecs.column(i).iter().copied().collect()).collect(),
            target_projection: order.iter().map(|&i| proj[i]).collect(),
            diag_reg,
            jitter: e.jitter,
            null_modes: order.iter().map(|&i| e.cut[i]).collect(),
            condition_number: (!e.cut[last] && e.base[last] > 0.0).then(|| e.base[first] / e.base[last]),
            regularized_condition_number: e.vals[first] / e.vals[last],
        }
    }

    /// Number of training points N.
    pub fn len(&self) -> usize {
        self.eigenvalues.len()
    }

    /// Whether there are no modes (never: a spectrum has N ≥ 1).
    pub fn is_empty(&self) -> bool {
        self.eigenvalues.is_empty()
    }

    /// The learned fraction `aᵢ = λᵢ (1 − d(λᵢ + r + j))/(λᵢ + r + j)` of every mode at `time`
    /// (the GP mean is `Σᵢ aᵢ ỹᵢ vᵢ` on the training points; `aᵢ = 1 − dᵢ(λᵢ)` without
    /// regularizer or jitter; at t = ∞ a numerically null mode has aᵢ = 0).
    pub fn learned(&self, time: TrainingTime) -> Vec<f64> {
        let n = self.len() as f64;
        let shift = self.diag_reg + self.jitter;
        let infinite = time.time().is_none();
        self.eigenvalues
            .iter()
            .zip(&self.null_modes)
            .map(|(&l, &null)| if infinite && null { 0.0 } else { l * time.filter(l + shift, n, 1) })
            .collect()
    }

    /// Per-mode residuals and the mean's loss at `time` (module documentation), O(N).
    pub fn at(&self, time: TrainingTime) -> ModeDynamics {
        let learned = self.learned(time);
        let remaining: Vec<f64> = learned.iter().map(|a| 1.0 - a).collect();
        let residual: Vec<f64> = remaining.iter().zip(&self.target_projection).map(|(d, y)| -d * y).collect();
        let mean_loss = residual.iter().map(|r| r * r).sum::<f64>() / (2.0 * self.len() as f64);
        ModeDynamics { remaining, residual, mean_loss }
    }

    /// The mean's residual on the training points, `μ_t(X) − Y = Σᵢ rᵢ vᵢ`, O(N²).
    pub fn residual(&self, time: TrainingTime) -> DVector<f64> {
        let r = self.at(time).residual;
        let mut out = DVector::zeros(self.len());
        for (ri, v) in r.iter().zip(&self.eigenvectors) {
            for (o, vj) in out.iter_mut().zip(v) {
                *o += ri * vj;
            }
        }
        out
    }

    /// The time `N/λᵢ` over which mode i's residual falls by e under gradient flow (`None` for
    /// a non-positive eigenvalue: never learned).
    pub fn timescales(&self) -> Vec<Option<f64>> {
        let n = self.len() as f64;
        self.eigenvalues.iter().map(|&l| (l > 0.0).then(|| n / l)).collect()
    }
}

/// The eigenmodes of both train kernels: Θ(X, X) (NTK-GP, every layer trained) and K(X, X)
/// (NNGP, readout trained), with the targets' projections.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSpectra {
    /// modes of the NTK Θ(X, X)
    pub ntk: KernelSpectrum,
    /// modes of the NNGP kernel K(X, X)
    pub nngp: KernelSpectrum,
}

impl TrainSpectra {
    /// Computes K and Θ of `arch` on the training points `x_train` (rows) and decomposes both.
    ///
    /// # Errors
    /// [`GpError`] for an invalid architecture or points, wrong targets, a negative
    /// regularizer, or non-finite kernels.
    pub fn compute(
        arch: &Architecture,
        x_train: &DMatrix<f64>,
        y_train: &DVector<f64>,
        diag_reg: f64,
    ) -> Result<Self, GpError> {
        Self::from_kernels(&kernels(arch, x_train, x_train)?, y_train, diag_reg)
    }

    /// As [`TrainSpectra::compute`] from train kernels already computed (e.g. in a worker).
    ///
    /// # Errors
    /// As [`KernelSpectrum::new`].
    pub fn from_kernels(train: &KernelPair, y_train: &DVector<f64>, diag_reg: f64) -> Result<Self, GpError> {
        Ok(TrainSpectra {
            ntk: KernelSpectrum::new(&train.ntk, y_train, diag_reg)?,
            nngp: KernelSpectrum::new(&train.nngp, y_train, diag_reg)?,
        })
    }
}
/// The spectra of the dynamics, here so that the GP predictions ([`crate::theory::gp`]) do not
/// depend on this module.
impl GpDynamics {
    /// The train kernels' eigenmodes and the targets' projections, from the very
    /// eigendecompositions these dynamics use: the per-mode residuals
    /// ([`KernelSpectrum::at`]) are those of the
    /// means this predicts (paper Eq. 14–15 mode by mode, docs/MATH.md).
    pub fn spectra(&self) -> TrainSpectra {
        TrainSpectra {
            ntk: KernelSpectrum::from_eigen(&self.ntk, &self.y, self.reg.diag_reg),
            nngp: KernelSpectrum::from_eigen(&self.nngp, &self.y, self.reg.diag_reg),
        }
    }
}
