//! Trainability against depth and σ_w² (Schoenholz et al. 2016's trainability figure, small
//! scale): real networks of one width trained by full-batch gradient descent at every cell of a
//! (σ_w², depth) grid, for a few seeds, next to the order/chaos depth scale ξ_c of each σ_w²
//! ([`crate::theory::phase`]) and the infinite-width prediction of the same training run.
//!
//! Per cell the record holds each seed's initial and final training loss
//! `L = 1/(2N) Σ (f(xᵢ) − yᵢ)²` and final test loss, their spreads, the number of seeds that
//! diverged, the learning rate used, the condition number of the analytic Θ(X, X), and the
//! NTK-GP expected train and test loss after the same k steps at the same η (paper Eq. 14–15
//! with `(I − ηΘ/N)^k`; docs/MATH.md): where the measured loss stays high and the predicted one
//! too, the kernel's spectrum explains the failure (ordered phase: Θ's small eigenvalues
//! shrink like e^{−L/ξ_c}); where only the measured one does, finite width does.
//!
//! The default data ([`TrainabilityData::Teacher`]) are points with N(0, 1) coordinates and ±1
//! labels of a random linear teacher: nearly uncorrelated inputs, so that only depth makes the
//! kernel ill-conditioned. (Low-dimensional inputs are a poor choice: a smooth kernel's Gram
//! matrix on 1-D points is ill-conditioned at any depth.)
//!
//! The learning rate is [`LearningRate::Absolute`] (one η for the whole grid, as in
//! Schoenholz et al.) or [`LearningRate::CriticalFraction`] of each cell's analytic
//! `η_critical = 2N/(λ_min + λ_max)` (which removes the kernel's overall scale, so that only its
//! conditioning matters). Cells are independent jobs ([`run_cell`], e.g. one per web worker),
//! merged by [`TrainabilityResult::assemble`]. Everything is serde.

use std::ops::{ControlFlow, Range};

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::activation::Activation;
use crate::arch::{ArchError, Architecture, Parameterization, MAX_DEPTH};
use crate::divergence::TRAINABILITY_LOSS_FACTOR;
use crate::experiments::widths::{LearningRate, MAX_SEEDS, MAX_TRAIN_SIZE};
use crate::nets::ensemble::MAX_STEPS;
use crate::nets::loss::mse_loss;
use crate::nets::mlp::{Mlp, MlpError, MAX_WIDTH};
use crate::nets::train::{TrainOptions, Trainer};
use crate::range::RangeError;
use crate::rng::{member_seed, Normal};
use crate::stats::Spread;
use crate::theory::gp::{GpDynamics, TrainingTime};
use crate::theory::landmarks::LearningRateLandmarks;
use crate::theory::phase::{phase_point, Conditioning, PhaseError, PhasePoint, DEFAULT_Q0};

/// Most cells on either axis.
pub const MAX_AXIS: usize = 64;

/// A (σ_w², depth) trainability grid: one activation, σ_b², width and data set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainabilitySpec {
    /// the nonlinearity φ
    pub activation: Activation,
    /// bias variance σ_b² (fixed over the grid)
    pub sb2: f64,
    /// weight variances σ_w², strictly increasing
    pub sw2: Vec<f64>,
    /// depths L (hidden layers), strictly increasing
    pub depths: Vec<usize>,
    /// hidden width n of the networks
    pub width: usize,
    /// data set
    pub data: TrainabilityData,
    /// learning rate η, absolute or a fraction of each cell's η_critical
    pub learning_rate: LearningRate,
    /// full-batch gradient-descent steps k
    pub steps: u64,
    /// seeds per cell
    pub seeds: usize,
    /// job seed: seed m of cell (i, j) uses `member_seed(member_seed(seed, cell), m)`
    pub seed: u64,
}

/// An invalid grid or a run that could not finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainabilityError {
    /// Invalid activation, σ² or depth.
    #[error(transparent)]
    Arch(#[from] ArchError),
    /// A grid that is empty, too long or not strictly increasing.
    #[error("the {what} grid must hold 1 ..= {MAX_AXIS} strictly increasing values, got {values}")]
    Grid {
        /// which grid
        what: &'static str,
        /// its values, as text
        values: String,
    },
    /// A hyperparameter out of range.
    #[error(transparent)]
    OutOfRange(#[from] RangeError),
    /// Inconsistent or non-finite data.
    #[error("data: {0}")]
    Data(String),
    /// A cell index outside the grid.
    #[error("cell (σ_w² index {sw2_index}, depth index {depth_index}) is outside the {rows}×{cols} grid")]
    NotOnGrid {
        /// requested σ_w² index
        sw2_index: usize,
        /// requested depth index
        depth_index: usize,
        /// σ_w² values
        rows: usize,
        /// depth values
        cols: usize,
    },
    /// A seed range outside `0..seeds`.
    #[error("seeds {start}..{end} requested, but the grid has {seeds} seeds per cell")]
    SeedRange {
        /// first requested seed
        start: usize,
        /// one past the last
        end: usize,
        /// seeds per cell
        seeds: usize,
    },
    /// Cells of another grid, missing or duplicated cells.
    #[error("cannot assemble the trainability grid: {0}")]
    Mismatch(String),
    /// The network could not be built.
    #[error(transparent)]
    Mlp(#[from] MlpError),
    /// The phase quantities could not be computed.
    #[error(transparent)]
    Phase(#[from] PhaseError),
    /// The progress callback asked to stop.
    #[error("cancelled")]
    Cancelled,
}

/// Most input dimensions of the teacher data.
pub const MAX_DIM: usize = 4096;

/// The data of a trainability grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TrainabilityData {
    /// Inputs with i.i.d. N(0, 1) coordinates in `dim` dimensions and ±1 labels of a random
    /// linear teacher, `y = sign(w·x)` with `w ~ N(0, I)` (a memorisation task whose inputs are
    /// nearly uncorrelated, so that only depth makes the kernel ill-conditioned); the test set
    /// is drawn the same way. Seeded.
    Teacher {
        /// training points N
        train_size: usize,
        /// test points
        test_size: usize,
        /// input dimension d
        dim: usize,
        /// seed of the points, the teacher and the labels
        seed: u64,
    },
    /// Explicit points (e.g. the explorer's current data set).
    Points {
        /// training inputs, one point per entry
        x_train: Vec<Vec<f64>>,
        /// training targets
        y_train: Vec<f64>,
        /// test inputs
        x_test: Vec<Vec<f64>>,
        /// optional test targets
        #[serde(default)]
        y_test: Option<Vec<f64>>,
    },
}

/// The data of a grid, resolved to points.
struct Data {
    x_train: Vec<Vec<f64>>,
    y_train: Vec<f64>,
    x_test: Vec<Vec<f64>>,
    y_test: Option<Vec<f64>>,
}

impl Data {
    fn of(data: &TrainabilityData) -> Data {
        match data {
            TrainabilityData::Teacher { train_size, test_size, dim, seed } => {
                let mut rng = Normal::new(*seed);
                let teacher: Vec<f64> = (0..*dim).map(|_| rng.sample()).collect();
                let mut draw = |count: usize| {
                    let x: Vec<Vec<f64>> =
                        (0..count).map(|_| (0..*dim).map(|_| rng.sample()).collect()).collect();
                    let y = x
                        .iter()
                        .map(|p: &Vec<f64>| {
                            if p.iter().zip(&teacher).map(|(a, b)| a * b).sum::<f64>() >= 0.0 {
                                1.0
                            } else {
                                -1.0
                            }
                        })
                        .collect();
                    (x, y)
                };
                let (x_train, y_train) = draw(*train_size);
                let (x_test, y_test) = draw(*test_size);
                Data { x_train, y_train, x_test, y_test: Some(y_test) }
            }
            TrainabilityData::Points { x_train, y_train, x_test, y_test } => Data {
                x_train: x_train.clone(),
                y_train: y_train.clone(),
                x_test: x_test.clone(),
                y_test: y_test.clone(),
            },
        }
    }

    fn check(&self) -> Result<(), TrainabilityError> {
        let bad = |s: String| Err(TrainabilityError::Data(s));
        if self.x_train.is_empty() || self.x_test.is_empty() {
            return bad("need at least one training and one test point".into());
        }
        if self.x_train.len() > MAX_TRAIN_SIZE {
            return bad(format!("at most {MAX_TRAIN_SIZE} training points, got {}", self.x_train.len()));
        }
        let d = self.x_train[0].len();
        if d == 0 {
            return bad("points need at least one coordinate".into());
        }
        if let Some(p) = self.x_train.iter().chain(&self.x_test).find(|p| p.len() != d) {
            return bad(format!("a point has {} coordinates, the first training point {d}", p.len()));
        }
        if self.y_train.len() != self.x_train.len() {
            return bad(format!("{} training targets for {} points", self.y_train.len(), self.x_train.len()));
        }
        if let Some(y) = &self.y_test {
            if y.len() != self.x_test.len() {
                return bad(format!("{} test targets for {} points", y.len(), self.x_test.len()));
            }
        }
        let all = self
            .x_train
            .iter()
            .chain(&self.x_test)
            .flatten()
            .chain(&self.y_train)
            .chain(self.y_test.iter().flatten());
        if let Some(v) = all.copied().find(|v| !v.is_finite()) {
            return bad(format!("non-finite value {v}"));
        }
        Ok(())
    }

    fn matrix(rows: &[Vec<f64>]) -> DMatrix<f64> {
        DMatrix::from_row_iterator(rows.len(), rows[0].len(), rows.iter().flatten().copied())
    }
}

fn grid_error<T: std::fmt::Debug>(what: &'static str, v: &[T]) -> TrainabilityError {
    TrainabilityError::Grid { what, values: format!("{v:?}") }
}

impl TrainabilitySpec {
    /// Checks every field: σ² values (finite, σ_w² > 0, σ_b² ≥ 0), grids of 1 ..= [`MAX_AXIS`]
    /// strictly increasing values, depths in 1 ..= [`MAX_DEPTH`], width in 1 ..= [`MAX_WIDTH`],
    /// 1 ..= [`MAX_SEEDS`] seeds, 1 ..= 10⁷ steps, η (or its fraction) finite and > 0, and
    /// consistent finite data.
    ///
    /// # Errors
    /// The [`TrainabilityError`] naming the first offending value.
    pub fn validate(&self) -> Result<(), TrainabilityError> {
        let increasing_f = |v: &[f64]| v.windows(2).all(|w| w[1] > w[0]);
        if self.sw2.is_empty() || self.sw2.len() > MAX_AXIS || !increasing_f(&self.sw2) {
            return Err(grid_error("σ_w²", &self.sw2));
        }
        let increasing_u = |v: &[usize]| v.windows(2).all(|w| w[1] > w[0]);
        if self.depths.is_empty() || self.depths.len() > MAX_AXIS || !increasing_u(&self.depths) {
            return Err(grid_error("depth", &self.depths));
        }
        for &w in &self.sw2 {
            Architecture::new(1, self.activation, w, self.sb2, Parameterization::Ntk)?;
        }
        if let Some(&l) = self.depths.iter().find(|&&l| l == 0 || l > MAX_DEPTH) {
            return Err(ArchError::Depth(l).into());
        }
        let n = self.width;
        RangeError::count("width", n, MAX_WIDTH)?;
        RangeError::count("seeds", self.seeds, MAX_SEEDS)?;
        RangeError::integers("steps", self.steps, 1, MAX_STEPS)?;
        self.learning_rate.check()?;
        if let TrainabilityData::Teacher { train_size, test_size, dim, .. } = &self.data {
            RangeError::count("training-set size", *train_size, MAX_TRAIN_SIZE)?;
            RangeError::count("test-set size", *test_size, MAX_TRAIN_SIZE)?;
            RangeError::count("input dimension", *dim, MAX_DIM)?;
        }
        Data::of(&self.data).check()
    }

    /// Estimated floating-point operations of one cell: seeds × steps × `6 N W` (forward,
    /// backward and update of W weights on N points), plus the analytic kernels.
    pub fn estimate_cell_flop(&self, depth: usize) -> f64 {
        let (n, d) = match &self.data {
            TrainabilityData::Teacher { train_size, dim, .. } => (*train_size, *dim),
            TrainabilityData::Points { x_train, .. } => (x_train.len(), x_train.first().map_or(1, Vec::len)),
        };
        let (l, w, d, n) = (depth as f64, self.width as f64, d as f64, n as f64);
        let weights = d * w + (l - 1.0) * w * w + w;
        self.seeds as f64 * self.steps as f64 * 6.0 * n * weights + 50.0 * n * n * l
    }
}

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
    let data = Data::of(&spec.data);
    let (x_train, x_test) = (Data::matrix(&data.x_train), Data::matrix(&data.x_test));
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
    let x_flat: Vec<f64> = data.x_train.iter().flatten().copied().collect();
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

/// The whole grid: every cell, and the phase quantities of every σ_w² (for the ξ_c and
/// trainable-depth overlays).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainabilityResult {
    /// the spec it ran
    pub spec: TrainabilitySpec,
    /// order/chaos quantities per σ_w² (same order as `spec.sw2`)
    pub phase: Vec<PhasePoint>,
    /// cells, σ_w²-major: `cells[i · depths + j]` is (`sw2[i]`, `depths[j]`)
    pub cells: Vec<TrainabilityCell>,
}

impl TrainabilityResult {
    /// Orders cells (merging the seed ranges of repeated cells), checks that every cell of the
    /// grid is present with all its seeds, and adds the phase quantities of each σ_w².
    ///
    /// # Errors
    /// [`TrainabilityError::Mismatch`] for missing, foreign or doubly-run cells or seeds.
    pub fn assemble(
        spec: &TrainabilitySpec,
        cells: Vec<TrainabilityCell>,
    ) -> Result<Self, TrainabilityError> {
        spec.validate()?;
        let (rows, cols) = (spec.sw2.len(), spec.depths.len());
        let mut slots: Vec<Option<TrainabilityCell>> = vec![None; rows * cols];
        for c in cells {
            if c.sw2_index >= rows || c.depth_index >= cols {
                return Err(TrainabilityError::Mismatch(format!(
                    "cell ({}, {}) is off the grid",
                    c.sw2_index, c.depth_index
                )));
            }
            match &mut slots[c.sw2_index * cols + c.depth_index] {
                Some(existing) => existing.merge(&c)?,
                slot => *slot = Some(c),
            }
        }
        let cells = slots
            .into_iter()
            .enumerate()
            .map(|(i, c)| match c {
                Some(c) if c.seeds.len() == spec.seeds => Ok(c),
                _ => Err(TrainabilityError::Mismatch(format!(
                    "cell ({}, {}) is missing or incomplete",
                    i / cols,
                    i % cols
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let phase = spec
            .sw2
            .iter()
            .map(|&w| phase_point(spec.activation, w, spec.sb2, DEFAULT_Q0))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrainabilityResult { spec: spec.clone(), phase, cells })
    }
}

/// Runs every cell (all seeds) and assembles the result; `progress` as in [`run_cell`].
///
/// # Errors
/// As [`run_cell`].
pub fn run_trainability<F>(
    spec: &TrainabilitySpec,
    mut progress: F,
) -> Result<TrainabilityResult, TrainabilityError>
where
    F: FnMut(&TrainabilityProgress) -> ControlFlow<()>,
{
    spec.validate()?;
    let mut cells = Vec::with_capacity(spec.sw2.len() * spec.depths.len());
    for i in 0..spec.sw2.len() {
        for j in 0..spec.depths.len() {
            cells.push(run_cell(spec, i, j, 0..spec.seeds, &mut progress)?);
        }
    }
    TrainabilityResult::assemble(spec, cells)
}
