//! What a runner reports at a checkpoint: per member, its record ([`MemberRecord`]) or its
//! divergence, gathered in a [`CheckpointBatch`] (posted from web workers as JSON).

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// Kernel–target alignment `A(K, y) = yᵀ K y / (‖K‖_F ‖y‖²)` (Cristianini et al. 2002; the
/// unnormalised-target form used for the empirical NTK by Baratin et al. 2021): 1 when K is a
/// multiple of `y yᵀ`, `1/√N` for the identity, in [0, 1] for a positive semi-definite K (since
/// `yᵀ K y ≤ λ_max ‖y‖² ≤ ‖K‖_F ‖y‖²`). 0 when `y = 0` or `K = 0`.
pub fn kernel_target_alignment(kernel: &DMatrix<f64>, y: &[f64]) -> f64 {
    let yy: f64 = y.iter().map(|v| v * v).sum();
    let norm = kernel.norm();
    if yy == 0.0 || norm == 0.0 {
        return 0.0;
    }
    let mut quad = 0.0;
    for (j, &yj) in y.iter().enumerate() {
        for (i, &yi) in y.iter().enumerate() {
            quad += yi * kernel[(i, j)] * yj;
        }
    }
    quad / (norm * yy)
}

/// Which model of a member diverged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DivergedModel {
    /// the network: loss non-finite or above [`LOSS_FACTOR`](crate::divergence::LOSS_FACTOR) × initial loss (checked at
    /// every step), or a non-finite record at a checkpoint
    Network,
    /// its linearization: same loss criterion, checked at checkpoints (η above the linear
    /// stability bound 2N/λ_max(Θ̂₀))
    Linearization,
    /// its quadratic model ([`EnsembleSpec::quadratic`](super::EnsembleSpec::quadratic)): same
    /// loss criterion, checked at every step (its batch loss) and at checkpoints (its
    /// outputs)
    Quadratic,
}

/// A member that diverged: it counts in the statistics of the checkpoints before `step` and is
/// left out of every checkpoint from `step` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divergence {
    /// member index
    pub member: usize,
    /// first step at which it was detected (for the linearization: the checkpoint's step)
    pub step: u64,
    /// which model
    pub model: DivergedModel,
}

/// A quantity for the network and its linearization.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NnLin {
    /// the network
    pub nn: f64,
    /// the linearized network
    pub lin: f64,
}

/// One member at one checkpoint (step k): network and linearization (and the quadratic model if
/// the job has it) on the test points, their losses, their distances, and how far the weights
/// and the empirical NTK have moved.
/// Every number is finite (a member with a non-finite record counts as diverged).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberRecord {
    /// network outputs f_k(x_j) on the test points
    pub nn: Vec<f64>,
    /// linearized outputs f^lin_k(x_j) on the test points (paper Eq. 11, discrete steps)
    pub lin: Vec<f64>,
    /// training losses `1/(2N) Σ (f − y)²` of both
    pub train_loss: NnLin,
    /// test losses of both (only with test targets)
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub test_loss: Option<NnLin>,
    /// `√(mean_j (f_k(x_j) − f^lin_k(x_j))²)` over the test points
    pub rmse_nn_lin: f64,
    /// `‖W_k − W₀‖_F/‖W₀‖_F` per layer (input layer first, readout last)
    pub weight_change: Vec<f64>,
    /// `‖Θ̂_k − Θ̂₀‖_F/‖Θ̂₀‖_F` on train × train (all layers)
    pub ntk_change: f64,
    /// kernel–target alignment of Θ̂_k on train × train with the training targets
    /// ([`kernel_target_alignment`]); `None` in the step-0 record taken before Θ̂₀ is built
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ntk_alignment: Option<f64>,
    /// the quadratic model (only in jobs with
    /// [`EnsembleSpec::quadratic`](super::EnsembleSpec::quadratic); absent from the JSON
    /// otherwise)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quad: Option<QuadraticRecord>,
}

/// One member's quadratic model `f_quad = f₀ + J₀δ + ½ δᵀH₀δ` (δ = θ − θ₀; docs/MATH.md, "The
/// quadratic model") at a checkpoint: reported as the network is (`α (f_quad − f₀)` with an
/// output scale α).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuadraticRecord {
    /// its outputs `f^quad_k(x_j)` on the test points
    pub outputs: Vec<f64>,
    /// its training loss on every training point
    pub train_loss: f64,
    /// its test loss (only with test targets)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_loss: Option<f64>,
    /// `√(mean_j (f_k(x_j) − f^quad_k(x_j))²)` over the test points
    pub rmse_nn_quad: f64,
}

impl QuadraticRecord {
    /// Whether every number is finite.
    pub fn is_finite(&self) -> bool {
        self.outputs
            .iter()
            .chain([&self.train_loss, &self.rmse_nn_quad])
            .chain(&self.test_loss)
            .all(|v| v.is_finite())
    }
}

impl MemberRecord {
    /// Whether every number of the record is finite.
    pub fn is_finite(&self) -> bool {
        let scalars = [
            self.train_loss.nn,
            self.train_loss.lin,
            self.rmse_nn_lin,
            self.ntk_change,
            self.ntk_alignment.unwrap_or(0.0),
        ];
        let tests = self.test_loss.iter().flat_map(|t| [t.nn, t.lin]);
        self.nn.iter().chain(&self.lin).chain(&self.weight_change).chain(&scalars).all(|v| v.is_finite())
            && tests.into_iter().all(f64::is_finite)
            && self.quad.as_ref().is_none_or(QuadraticRecord::is_finite)
    }
}

/// What one member reports at a checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberState {
    /// trained to the checkpoint's step: its record
    Record(MemberRecord),
    /// diverged at `step` ≤ the checkpoint's step (repeated at every later checkpoint)
    Diverged {
        /// first step at which the divergence was detected
        step: u64,
        /// which model diverged
        model: DivergedModel,
    },
}

/// One member of a [`CheckpointBatch`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberAtCheckpoint {
    /// member index in the job (`0..spec.members`)
    pub member: usize,
    /// its record or its divergence
    pub state: MemberState,
}

impl MemberAtCheckpoint {
    /// The record, if the member has not diverged.
    pub fn record(&self) -> Option<&MemberRecord> {
        match &self.state {
            MemberState::Record(r) => Some(r),
            MemberState::Diverged { .. } => None,
        }
    }

    /// The divergence, if the member diverged at or before this checkpoint.
    pub fn divergence(&self) -> Option<Divergence> {
        match self.state {
            MemberState::Record(_) => None,
            MemberState::Diverged { step, model } => Some(Divergence { member: self.member, step, model }),
        }
    }
}

/// Every member of a runner's range at one checkpoint of the schedule, in member order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointBatch {
    /// index in the schedule ([`super::EnsembleSpec::schedule`])
    pub checkpoint: usize,
    /// its step k
    pub step: u64,
    /// one entry per member of the range, in member order
    pub members: Vec<MemberAtCheckpoint>,
}

#[cfg(test)]
mod tests {
    use super::kernel_target_alignment;
    use nalgebra::DMatrix;

    /// A(y yᵀ, y) = 1, A(I, y) = 1/√N, scale-free in K and y, 0 for y = 0; and on a random
    /// positive semi-definite K (B Bᵀ) the spectral form Σ λᵢ (vᵢᵀy)² / (‖λ‖ ‖y‖²), in [0, 1].
    #[test]
    fn alignment_is_one_for_the_targets_own_kernel_and_agrees_with_the_spectrum() {
        let y = [1.0, -2.0, 0.5, 3.0];
        let yy = DMatrix::from_fn(4, 4, |i, j| y[i] * y[j]);
        assert!((kernel_target_alignment(&yy, &y) - 1.0).abs() < 1e-15);
        let id = DMatrix::<f64>::identity(4, 4);
        assert!((kernel_target_alignment(&id, &y) - 0.5).abs() < 1e-15, "1/√4");
        let scaled: Vec<f64> = y.iter().map(|v| -3.0 * v).collect();
        assert!((kernel_target_alignment(&(&yy * 7.0), &scaled) - 1.0).abs() < 1e-14);
        assert_eq!(kernel_target_alignment(&yy, &[0.0; 4]), 0.0);
        let mut rng = crate::rng::Normal::new(3);
        let b = DMatrix::from_fn(4, 6, |_, _| rng.sample());
        let k = &b * b.transpose();
        let eig = k.clone().symmetric_eigen();
        let yv = nalgebra::DVector::from_column_slice(&y);
        let spectral: f64 =
            (0..4).map(|i| eig.eigenvalues[i] * eig.eigenvectors.column(i).dot(&yv).powi(2)).sum::<f64>()
                / (eig.eigenvalues.norm() * yv.norm_squared());
        let a = kernel_target_alignment(&k, &y);
        assert!((a - spectral).abs() < 1e-13, "{a} vs {spectral}");
        assert!((0.0..=1.0).contains(&a));
    }
}
