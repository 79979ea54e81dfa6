//! One cell of the grid as a job: its seeds trained by full-batch gradient descent next to the
//! NTK-GP prediction of the same run ([`run_cell`]), and what it records ([`TrainabilityCell`]).

use std::ops::{ControlFlow, Range};

use nalgebra::DVector;
use serde::{Deserialize, Serialize};

use super::spec::{matrix, TrainabilitySpec};
use super::{TrainabilityError, MAX_AXIS};
use crate::arch::{Architecture, Parameterization};
use crate::divergence::TRAINABILITY_LOSS_FACTOR;
use crate::experiments::widths::LearningRate;
use crate::nets::loss::mse_loss;
use crate::nets::mlp::Mlp;
use crate::nets::train::{TrainOptions, Trainer};
use crate::rng::member_seed;
use crate::stats::Spread;
use crate::theory::gp::{GpDynamics, TrainingTime};
use crate::theory::landmarks::LearningRateLandmarks;
use crate::theory::phase::Conditioning;

/// One seed's training run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedOutcome {
    /// seed index m within the cell
    pub seed: usize,
    /// training loss at initialisation
    pub initial_loss: f64,
    /// training loss after the last step (`None` if diverged)
    pub final_loss: Option<f64>,
    /// test loss after the last step (`None` if diverged or without test targets)
    pub final_test_loss: Option<f64>,
    /// the step at which the loss exceeded [`TRAINABILITY_LOSS_FACTOR`] × the initial loss or became
    /// non-finite
    pub diverged_at: Option<u64>,
}

/// The infinite-width prediction of a cell: NTK-GP expected losses after the same k steps.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PredictedLoss {
    /// expected training loss
    pub train: f64,
    /// expected test loss (with test targets)
    pub test: Option<f64>,
}

/// Everything measured and predicted at one (σ_w², depth).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainabilityCell {
    /// index into the σ_w² grid
    pub sw2_index: usize,
    /// index into the depth grid
    pub depth_index: usize,
    /// σ_w²
    pub sw2: f64,
    /// depth L
    pub depth: usize,
    /// the learning rate η used
    pub learning_rate: f64,
    /// per seed, in seed order
    pub seeds: Vec<SeedOutcome>,
    /// spread of the initial training loss
    pub initial_loss: Option<Spread>,
    /// spread of the final training loss over the seeds that did not diverge
    pub final_loss: Option<Spread>,
    /// spread of the final test loss over the seeds that did not diverge
    pub final_test_loss: Option<Spread>,
    /// number of seeds that diverged
    pub diverged: usize,
    /// condition number of the analytic Θ(X, X) (`None` if numerically singular or not finite)
    pub ntk_condition: Option<f64>,
    /// the NTK-GP prediction (`None` where the analytic kernels overflow)
    pub predicted: Option<PredictedLoss>,
}

impl TrainabilityCell {
    fn with_seeds(mut self, seeds: Vec<SeedOutcome>) -> Self {
        let collect =
            |f: &dyn Fn(&SeedOutcome) -> Option<f64>| seeds.iter().filter_map(f).collect::<Vec<f64>>();
        self.initial_loss = Spread::of(&collect(&|s| Some(s.initial_loss)));
        self.final_loss = Spread::of(&collect(&|s| s.final_loss));
        self.final_test_loss = Spread::of(&collect(&|s| s.final_test_loss));
        self.diverged = seeds.iter().filter(|s| s.diverged_at.is_some()).count();
        self.seeds = seeds;
        self
    }

    /// Adds the seeds of another run of the same cell (disjoint seed ranges).
    ///
    /// # Errors
    /// [`TrainabilityError::Mismatch`] for another cell or a seed present in both.
    pub fn merge(&mut self, other: &TrainabilityCell) -> Result<(), TrainabilityError> {
        if (self.sw2_index, self.depth_index) != (other.sw2_index, other.depth_index)
            || self.learning_rate != other.learning_rate
        {
            return Err(TrainabilityError::Mismatch("merging different cells".into()));
        }
        if other.seeds.iter().any(|s| self.seeds.iter().any(|t| t.seed == s.seed)) {
            return Err(TrainabilityError::Mismatch(format!(
                "a seed of cell ({}, {}) was run twice",
                self.sw2_index, self.depth_index
            )));
        }
        let mut seeds = std::mem::take(&mut self.seeds);
        seeds.extend(other.seeds.iter().copied());
        seeds.sort_by_key(|s| s.seed);
        *self = self.clone().with_seeds(seeds);
        Ok(())
    }
}

/// Where a run is, passed to the progress callback.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainabilityProgress {
    /// the cell's σ_w² index
    pub sw2_index: usize,
    /// the cell's depth index
    pub depth_index: usize,
    /// the seed being trained
    pub seed: usize,
    /// its current step
    pub step: u64,
    /// steps per seed
    pub steps: u64,
}

/// Steps between progress calls.
const PROGRESS_EVERY: u64 = 64;

/// Trains seeds `seeds` (a sub-range of `0..spec.seeds`) of the cell (`sw2_index`,
/// `depth_index`) and records losses and the NTK-GP prediction (module documentation).
/// `progress` is called every 64 steps; `ControlFlow::Break(())` cancels.
///
/// # Errors
/// [`TrainabilityError`] for an invalid spec, a cell or seed range outside the grid, or
/// cancellation.
pub fn run_cell<F>(
    spec: &TrainabilitySpec,
    sw2_index: usize,
    depth_index: usize,
    seeds: Range<usize>,
    mut progress: F,
) -> Result<TrainabilityCell, TrainabilityError>
where
    F: FnMut(&TrainabilityProgress) -> ControlFlow<()>,
{
    spec.validate()?;
    let (rows, cols) = (spec.sw2.len(), spec.depths.len());
    if sw2_index >= rows || depth_index >= cols {
        return Err(TrainabilityError::NotOnGrid { sw2_index, depth_index, rows, cols });
    }
    if seeds.start > seeds.end || seeds.end > spec.seeds {
        return Err(TrainabilityError::SeedRange { start: seeds.start, end: seeds.end, seeds: spec.seeds });
    }
    let (sw2, depth) = (spec.sw2[sw2_index], spec.depths[depth_index]);
    let arch = Architecture::new(depth, spec.activation, sw2, spec.sb2, Parameterization::Ntk)?;
    let data = spec.data.points();
    let (x_train, x_test) = (matrix(&data.x_train), matrix(&data.x_test));
    let y_train = DVector::from_column_slice(&data.y_train);
    let n = data.y_train.len();
    // The analytic side: Θ(X, X)'s spectrum (learning rate, conditioning) and the NTK-GP.
    let gp = GpDynamics::new(&arch, &x_train, &y_train, &x_test, 0.0).ok();
    let theta = crate::theory::kernels::kernels(&arch, &x_train, &x_train).ok().map(|k| k.ntk);
    let conditioning = theta.as_ref().filter(|t| t.iter().all(|v| v.is_finite())).and_then(Conditioning::of);
    let learning_rate = match spec.learning_rate {
        LearningRate::Absolute(eta) => eta,
        LearningRate::CriticalFraction(f) => {
            let c = conditioning.ok_or_else(|| {
                TrainabilityError::Data(format!(
                    "the analytic NTK at σ_w² = {sw2}, depth {depth} is not finite: no η_critical (use an absolute learning rate)"
                ))
            })?;
            f * LearningRateLandmarks::from_eigenvalues(&[c.lambda_min, c.lambda_max], n).eta_critical
        }
    };
    let time = TrainingTime::Steps { steps: spec.steps, learning_rate };
    let y_test_vec = data.y_test.as_ref().map(|y| DVector::from_column_slice(y));
    let predicted = gp.and_then(|gp| gp.ntk_loss(time, y_test_vec.as_ref()).ok()).and_then(|l| {
        l.train
            .is_finite()
            .then_some(PredictedLoss { train: l.train, test: l.test.filter(|t| t.is_finite()) })
    });
    let x_flat = data.x_train_flat();
    let x_test_f32: Vec<f32> = data.x_test.iter().flatten().map(|&v| v as f32).collect();
    let cell_seed = member_seed(spec.seed, (sw2_index * MAX_AXIS + depth_index) as u64);
    let d = data.x_train[0].len();
    let mut outcomes = Vec::with_capacity(seeds.len());
    for m in seeds {
        let net = Mlp::<f32>::new(&arch, d, spec.width, member_seed(cell_seed, m as u64))?;
        let mut trainer = Trainer::network(net, &x_flat, &data.y_train, TrainOptions::gd(learning_rate))?;
        let initial_loss = trainer.forward();
        let limit = TRAINABILITY_LOSS_FACTOR * initial_loss.max(f64::MIN_POSITIVE);
        let mut diverged_at = None;
        for k in 0..spec.steps {
            let loss = trainer.step();
            if !(loss.is_finite() && loss <= limit) {
                diverged_at = Some(k);
                break;
            }
            if k % PROGRESS_EVERY == 0 {
                let p = TrainabilityProgress { sw2_index, depth_index, seed: m, step: k, steps: spec.steps };
                if progress(&p).is_break() {
                    return Err(TrainabilityError::Cancelled);
                }
            }
        }
        let final_loss = if diverged_at.is_none() { Some(trainer.forward()) } else { None };
        let final_loss = final_loss.filter(|l| l.is_finite() && *l <= limit);
        let diverged_at = if final_loss.is_none() { diverged_at.or(Some(spec.steps)) } else { None };
        let final_test_loss = match (&data.y_test, final_loss) {
            (Some(y), Some(_)) => {
                let out = trainer.net().forward(&x_test_f32, data.x_test.len());
                Some(mse_loss(&out, y)).filter(|v| v.is_finite())
            }
            _ => None,
        };
        outcomes.push(SeedOutcome { seed: m, initial_loss, final_loss, final_test_loss, diverged_at });
    }
    let cell = TrainabilityCell {
        sw2_index,
        depth_index,
        sw2,
        depth,
        learning_rate,
        seeds: vec![],
        initial_loss: None,
        final_loss: None,
        final_test_loss: None,
        diverged: 0,
        ntk_condition: conditioning.and_then(|c| c.condition),
        predicted,
    };
    Ok(cell.with_seeds(outcomes))
}
