//! What a runner reports at a checkpoint: per member, its record ([`MemberRecord`]) or its
//! divergence, gathered in a [`CheckpointBatch`] (posted from web workers as JSON).

use serde::{Deserialize, Serialize};

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

/// One member at one checkpoint (step k): network and linearization on the test points, their
/// losses, their distance, and how far the weights and the empirical NTK have moved.
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
}

impl MemberRecord {
    /// Whether every number of the record is finite.
    pub fn is_finite(&self) -> bool {
        let scalars = [self.train_loss.nn, self.train_loss.lin, self.rmse_nn_lin, self.ntk_change];
        let tests = self.test_loss.iter().flat_map(|t| [t.nn, t.lin]);
        self.nn.iter().chain(&self.lin).chain(&self.weight_change).chain(&scalars).all(|v| v.is_finite())
            && tests.into_iter().all(f64::is_finite)
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
