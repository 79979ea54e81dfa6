//! Statistics across members: per checkpoint ([`CheckpointStats`], mergeable running moments),
//! per job ([`EnsembleStats`]), and as plain numbers ([`EnsembleSummary`], the JSON of
//! `ntk ensemble`).

use serde::{Deserialize, Serialize};

use super::record::{Divergence, MemberRecord, NnLin, QuadraticRecord};
use super::spec::{EnsembleError, EnsembleSpec};
use crate::stats::{Running, RunningVec};

/// Statistics across members at one checkpoint: only members that have not diverged at or
/// before its step.
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
    /// kernel–target alignment of Θ̂_t (records that carry it: not the step-0 record taken
    /// before Θ̂₀ is built)
    #[serde(default)]
    pub ntk_alignment: Running,
    /// the quadratic model (jobs with [`EnsembleSpec::quadratic`] only; absent from the JSON
    /// otherwise)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quad: Option<QuadraticStats>,
}

/// Statistics across members of the quadratic model `f_quad = f₀ + J₀δ + ½ δᵀH₀δ` at one
/// checkpoint (docs/MATH.md, "The quadratic model"), running moments as for network and
/// linearization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuadraticStats {
    /// its outputs on the test points
    pub outputs: RunningVec,
    /// its training loss
    pub train_loss: Running,
    /// its test loss (if test targets were given)
    pub test_loss: Running,
    /// `√(mean_j (f_nn(x_j) − f_quad(x_j))²)` over test points
    pub rmse_nn_quad: Running,
}

impl QuadraticStats {
    /// No member yet, for `test_points` test points.
    pub fn empty(test_points: usize) -> Self {
        QuadraticStats {
            outputs: RunningVec::new(test_points),
            train_loss: Running::default(),
            test_loss: Running::default(),
            rmse_nn_quad: Running::default(),
        }
    }

    /// Adds one member's quadratic record as a set of one (as [`CheckpointStats::add_record`]).
    pub fn add_record(&mut self, q: &QuadraticRecord) {
        self.outputs.merge_singletons(&q.outputs);
        self.train_loss.merge(&Running::singleton(q.train_loss));
        if let Some(t) = q.test_loss {
            self.test_loss.merge(&Running::singleton(t));
        }
        self.rmse_nn_quad.merge(&Running::singleton(q.rmse_nn_quad));
    }

    /// Combines with the statistics of a disjoint set of members (Chan's parallel update).
    pub fn merge(&mut self, other: &QuadraticStats) {
        self.outputs.merge(&other.outputs);
        self.train_loss.merge(&other.train_loss);
        self.test_loss.merge(&other.test_loss);
        self.rmse_nn_quad.merge(&other.rmse_nn_quad);
    }

    /// Means (and the outputs' variances) across members.
    pub fn summary(&self, has_test_targets: bool) -> QuadraticSummary {
        QuadraticSummary {
            outputs: MeanVar { mean: self.outputs.mean(), var: self.outputs.variance() },
            train_loss: self.train_loss.mean,
            test_loss: has_test_targets.then_some(self.test_loss.mean),
            rmse_nn_quad: self.rmse_nn_quad.mean,
        }
    }
}

impl CheckpointStats {
    /// No member yet, at step `step`, for `test_points` test points and `layers` Dense layers;
    /// with `quadratic`, also for the members' quadratic models.
    pub fn empty(step: u64, test_points: usize, layers: usize, quadratic: bool) -> Self {
        CheckpointStats {
            step,
            nn: RunningVec::new(test_points),
            lin: RunningVec::new(test_points),
            train_loss_nn: Running::default(),
            train_loss_lin: Running::default(),
            test_loss_nn: Running::default(),
            test_loss_lin: Running::default(),
            rmse_nn_lin: Running::default(),
            weight_change: RunningVec::new(layers),
            ntk_change: Running::default(),
            ntk_alignment: Running::default(),
            quad: quadratic.then(|| QuadraticStats::empty(test_points)),
        }
    }

    /// Number of members these statistics average.
    pub fn members(&self) -> usize {
        self.train_loss_nn.count as usize
    }

    /// Adds one member's record as a set of one ([`Running::singleton`] merged by Chan's
    /// update), so that statistics folded member by member in member order are the same bits
    /// however the members were split into runs (and equal to [`EnsembleStats::merge`] of
    /// one-member statistics in member order).
    pub fn add_record(&mut self, r: &MemberRecord) {
        self.nn.merge_singletons(&r.nn);
        self.lin.merge_singletons(&r.lin);
        self.train_loss_nn.merge(&Running::singleton(r.train_loss.nn));
        self.train_loss_lin.merge(&Running::singleton(r.train_loss.lin));
        if let Some(t) = r.test_loss {
            self.test_loss_nn.merge(&Running::singleton(t.nn));
            self.test_loss_lin.merge(&Running::singleton(t.lin));
        }
        self.rmse_nn_lin.merge(&Running::singleton(r.rmse_nn_lin));
        self.weight_change.merge_singletons(&r.weight_change);
        self.ntk_change.merge(&Running::singleton(r.ntk_change));
        if let Some(a) = r.ntk_alignment {
            self.ntk_alignment.merge(&Running::singleton(a));
        }
        if let Some(q) = &r.quad {
            self.quad.get_or_insert_with(|| QuadraticStats::empty(q.outputs.len())).add_record(q);
        }
    }

    /// Combines with the statistics of a disjoint set of members at the same checkpoint
    /// (Chan's parallel update for every mean and variance).
    pub fn merge(&mut self, other: &CheckpointStats) {
        self.nn.merge(&other.nn);
        self.lin.merge(&other.lin);
        self.train_loss_nn.merge(&other.train_loss_nn);
        self.train_loss_lin.merge(&other.train_loss_lin);
        self.test_loss_nn.merge(&other.test_loss_nn);
        self.test_loss_lin.merge(&other.test_loss_lin);
        self.rmse_nn_lin.merge(&other.rmse_nn_lin);
        self.weight_change.merge(&other.weight_change);
        self.ntk_change.merge(&other.ntk_change);
        self.ntk_alignment.merge(&other.ntk_alignment);
        match (&mut self.quad, &other.quad) {
            (Some(a), Some(b)) => a.merge(b),
            (None, Some(b)) => self.quad = Some(b.clone()),
            _ => {}
        }
    }

    /// Plain means and variances at time `t = η k` (test losses only if the job has test
    /// targets).
    pub fn summary(&self, learning_rate: f64, has_test_targets: bool) -> CheckpointSummary {
        CheckpointSummary {
            step: self.step,
            time: learning_rate * self.step as f64,
            members: self.members(),
            nn: MeanVar { mean: self.nn.mean(), var: self.nn.variance() },
            lin: MeanVar { mean: self.lin.mean(), var: self.lin.variance() },
            train_loss: NnLin { nn: self.train_loss_nn.mean, lin: self.train_loss_lin.mean },
            test_loss: has_test_targets
                .then_some(NnLin { nn: self.test_loss_nn.mean, lin: self.test_loss_lin.mean }),
            rmse_nn_lin: self.rmse_nn_lin.mean,
            weight_change: self.weight_change.mean(),
            ntk_change: self.ntk_change.mean,
            quad: self.quad.as_ref().map(|q| q.summary(has_test_targets)),
        }
    }
}

/// Mergeable statistics of a range of members of one job, over a prefix of its checkpoint
/// schedule (all of it for a finished run).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnsembleStats {
    /// learning rate (time = η · step)
    pub learning_rate: f64,
    /// whether test losses are recorded
    pub has_test_targets: bool,
    /// members run (including diverged ones)
    pub members_run: usize,
    /// members that diverged at or before the step of the last entry of `checkpoints`, sorted
    /// by member; each is left out of the checkpoints at or after its divergence step
    pub diverged: Vec<Divergence>,
    /// one entry per checkpoint
    pub checkpoints: Vec<CheckpointStats>,
}

impl EnsembleStats {
    /// Empty statistics for the schedule of `spec`.
    pub fn empty(spec: &EnsembleSpec) -> Self {
        let (m, layers) = (spec.data.x_test.len(), spec.arch.depth + 1);
        EnsembleStats {
            learning_rate: spec.learning_rate,
            has_test_targets: spec.data.y_test.is_some(),
            members_run: 0,
            diverged: Vec::new(),
            checkpoints: spec
                .schedule()
                .into_iter()
                .map(|k| CheckpointStats::empty(k, m, layers, spec.quadratic))
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
        let quad = |s: &EnsembleStats| s.checkpoints.first().map(|c| c.quad.is_some());
        if quad(self) != quad(other) {
            return Err(EnsembleError::Mismatch("statistics with and without the quadratic model".into()));
        }
        if sizes(self) != sizes(other) || self.has_test_targets != other.has_test_targets {
            return Err(EnsembleError::Mismatch("different test sets or depths".into()));
        }
        for (a, b) in self.checkpoints.iter_mut().zip(&other.checkpoints) {
            a.merge(b);
        }
        self.members_run += other.members_run;
        self.diverged.extend_from_slice(&other.diverged);
        self.diverged.sort_by_key(|d| d.member);
        Ok(())
    }

    /// Plain means and variances per checkpoint (the JSON of `ntk ensemble`).
    pub fn summary(&self) -> EnsembleSummary {
        let checkpoints =
            self.checkpoints.iter().map(|c| c.summary(self.learning_rate, self.has_test_targets)).collect();
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

/// One checkpoint of [`EnsembleSummary`] (member averages).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointSummary {
    /// step k
    pub step: u64,
    /// time t = η k
    pub time: f64,
    /// number of members averaged (those not diverged at or before this step)
    #[serde(default)]
    pub members: usize,
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
    /// the quadratic model (jobs with [`EnsembleSpec::quadratic`] only; absent from the JSON
    /// otherwise, so files written before it existed read unchanged)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quad: Option<QuadraticSummary>,
}

/// The quadratic model `f_quad = f₀ + J₀δ + ½ δᵀH₀δ` at one checkpoint of
/// [`EnsembleSummary`]: member averages, as for network and linearization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuadraticSummary {
    /// its outputs on the test points: mean and unbiased variance across members
    pub outputs: MeanVar,
    /// mean training loss
    pub train_loss: f64,
    /// mean test loss (only with test targets)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_loss: Option<f64>,
    /// mean test RMSE between network and quadratic model
    pub rmse_nn_quad: f64,
}

/// The statistics of a whole run, as plain numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnsembleSummary {
    /// members included in the statistics of the last checkpoint
    pub members: usize,
    /// number of diverged members (each left out from its divergence step on)
    pub diverged: usize,
    /// their divergence steps
    pub diverged_steps: Vec<u64>,
    /// details of the diverged members
    pub diverged_members: Vec<Divergence>,
    /// per checkpoint
    pub checkpoints: Vec<CheckpointSummary>,
}
