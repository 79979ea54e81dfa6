//! The metrics of one width: per seed, and their mean and spread over seeds.

use super::*;
/// The training metrics of one seed that did not diverge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedTraining {
    /// (a) `sup_k √(mean_j (f_k(x_j) − f_k^lin(x_j))²)` over the checkpoints k, test points
    /// x_j (paper Thm 2.1, Eq. S100: `O(n^{−1/2})`)
    pub rmse_nn_lin_sup: f64,
    /// (b) `‖W_K^l − W_0^l‖_F/‖W_0^l‖_F` after the K steps, per layer (input first, readout
    /// last; Figure 1)
    pub weight_change: Vec<f64>,
    /// (c) `‖Θ̂_K − Θ̂_0‖_F/‖Θ̂_0‖_F` on train × train after the K steps (Figure 1, Eq. S50)
    pub ntk_change: f64,
    /// (e) kernel–target alignment `yᵀΘ̂y/(‖Θ̂‖_F ‖y‖²)` of Θ̂_0 and Θ̂_K on the training set
    /// ([`kernel_target_alignment`]; absent in files written before it was recorded)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ntk_alignment: Option<Alignment>,
}

/// A kernel–target alignment at the start and the end of training.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alignment {
    /// of Θ̂_0
    pub start: f64,
    /// of Θ̂_K
    pub end: f64,
}

/// The metrics of one seed at one width.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedRecord {
    /// seed index m (network seed [`member_seed`]`(spec.seed, m)`)
    pub seed: usize,
    /// (d) `‖Θ̂_0 − Θ‖_F/‖Θ‖_F` on train × train, Θ̂_0 the empirical NTK at initialisation (f64)
    /// and Θ the analytic NTK ([`crate::theory::kernels`]); defined even if training diverged
    pub ntk_init_error: f64,
    /// (a)–(c), `None` if the network or its linearization diverged
    pub training: Option<SeedTraining>,
    /// the divergence, if any
    pub divergence: Option<Divergence>,
}

/// One width (at one axis value): the four metrics' mean and spread over seeds, and the
/// per-seed values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WidthPoint {
    /// hidden width n
    pub width: usize,
    /// the second-axis value (depth or training-set size), `None` without an axis
    pub axis_value: Option<usize>,
    /// depth L used
    pub depth: usize,
    /// training points N used
    pub train_size: usize,
    /// learning rate η used
    pub learning_rate: f64,
    /// seeds that diverged (excluded from (a)–(c))
    pub diverged: usize,
    /// (a) sup over checkpoints of the network–linearization test RMSE (`O(n^{−1/2})`, Thm 2.1)
    pub rmse_nn_lin_sup: Option<Spread>,
    /// (b) final relative weight change per layer, input first, readout last (Figure 1:
    /// input and readout `n^{−1/2}`, hidden `n^{−1}`); empty if every seed diverged
    pub weight_change: Vec<Spread>,
    /// (c) final relative kernel change `‖Θ̂_K − Θ̂_0‖_F/‖Θ̂_0‖_F` (Figure 1)
    pub ntk_change: Option<Spread>,
    /// (d) `‖Θ̂_0 − Θ‖_F/‖Θ‖_F` against the analytic NTK (`n^{−1/2}`, Figure 1)
    pub ntk_init_error: Spread,
    /// (e) kernel–target alignment of Θ̂_0 over the seeds that record it
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ntk_alignment_start: Option<Spread>,
    /// (e) kernel–target alignment of Θ̂_K over the seeds that record it
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ntk_alignment_end: Option<Spread>,
    /// per seed, sorted by seed index
    pub seeds: Vec<SeedRecord>,
}

impl WidthPoint {
    pub(super) fn from_seeds(
        width: usize,
        axis_value: Option<usize>,
        depth: usize,
        train_size: usize,
        learning_rate: f64,
        mut seeds: Vec<SeedRecord>,
    ) -> Self {
        seeds.sort_by_key(|s| s.seed);
        let trained: Vec<&SeedTraining> = seeds.iter().filter_map(|s| s.training.as_ref()).collect();
        let col =
            |f: &dyn Fn(&SeedTraining) -> f64| Spread::of(&trained.iter().map(|t| f(t)).collect::<Vec<_>>());
        let layers = trained.first().map_or(0, |t| t.weight_change.len());
        let weight_change = (0..layers).filter_map(|l| col(&|t| t.weight_change[l])).collect();
        let init: Vec<f64> = seeds.iter().map(|s| s.ntk_init_error).collect();
        let aligned: Vec<Alignment> = trained.iter().filter_map(|t| t.ntk_alignment).collect();
        let alignment = |f: fn(&Alignment) -> f64| Spread::of(&aligned.iter().map(f).collect::<Vec<_>>());
        WidthPoint {
            width,
            axis_value,
            depth,
            train_size,
            learning_rate,
            diverged: seeds.len() - trained.len(),
            rmse_nn_lin_sup: col(&|t| t.rmse_nn_lin_sup),
            weight_change,
            ntk_change: col(&|t| t.ntk_change),
            ntk_init_error: Spread::of(&init).unwrap_or(Spread {
                count: 0,
                mean: 0.0,
                sd: 0.0,
                min: 0.0,
                max: 0.0,
            }),
            ntk_alignment_start: alignment(|a| a.start),
            ntk_alignment_end: alignment(|a| a.end),
            seeds,
        }
    }

    /// Adds the seeds of `other`, a run of other seeds of the same width and axis value, and
    /// recomputes the means and spreads.
    ///
    /// # Errors
    /// [`WidthError::Mismatch`] for a different width, axis value or learning rate, or a seed
    /// present in both.
    pub fn merge(&mut self, other: &WidthPoint) -> Result<(), WidthError> {
        let key = |p: &WidthPoint| (p.width, p.axis_value, p.depth, p.train_size);
        if key(self) != key(other) || self.learning_rate != other.learning_rate {
            return Err(WidthError::Mismatch(format!(
                "width {} at axis value {:?} and width {} at axis value {:?} (or different learning rates)",
                self.width, self.axis_value, other.width, other.axis_value
            )));
        }
        if let Some(s) = other.seeds.iter().find(|s| self.seeds.iter().any(|t| t.seed == s.seed)) {
            return Err(WidthError::Mismatch(format!("seed {} of width {} run twice", s.seed, self.width)));
        }
        let mut seeds = std::mem::take(&mut self.seeds);
        seeds.extend(other.seeds.iter().cloned());
        *self = WidthPoint::from_seeds(
            self.width,
            self.axis_value,
            self.depth,
            self.train_size,
            self.learning_rate,
            seeds,
        );
        Ok(())
    }
}
