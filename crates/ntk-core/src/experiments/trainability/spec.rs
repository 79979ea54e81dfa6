//! What a trainability grid runs: the (σ_w², depth) axes, the network, the training and the
//! data ([`TrainabilitySpec`], [`TrainabilityData`]), their validation, and the data resolved
//! to points.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::{TrainabilityError, MAX_AXIS, MAX_DIM};
use crate::activation::Activation;
use crate::arch::{ArchError, Architecture, Parameterization, MAX_DEPTH};
use crate::datasets::ExplicitData;
use crate::experiments::widths::{LearningRate, MAX_SEEDS, MAX_TRAIN_SIZE};
use crate::nets::ensemble::MAX_STEPS;
use crate::nets::mlp::MAX_WIDTH;
use crate::range::RangeError;
use crate::rng::Normal;

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
    /// Explicit points (e.g. the explorer's current data set), at least one test point among
    /// them; the keys `x_train`, `y_train`, `x_test`, `y_test` beside `"kind": "points"`.
    Points(ExplicitData),
}

impl TrainabilityData {
    /// The data resolved to points: the teacher's draws (with their test labels), or the
    /// explicit points themselves.
    pub fn points(&self) -> ExplicitData {
        match self {
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
                ExplicitData { x_train, y_train, x_test, y_test: Some(y_test) }
            }
            TrainabilityData::Points(data) => data.clone(),
        }
    }
}

/// Checks a grid's points: consistent and finite ([`ExplicitData::validate`]), at least one
/// test point, at most [`MAX_TRAIN_SIZE`] training points.
fn check_points(data: &ExplicitData) -> Result<(), TrainabilityError> {
    data.validate()?;
    if data.x_test.is_empty() {
        return Err(TrainabilityError::Data("need at least one test point".into()));
    }
    if data.n_train() > MAX_TRAIN_SIZE {
        return Err(TrainabilityError::Data(format!(
            "at most {MAX_TRAIN_SIZE} training points, got {}",
            data.n_train()
        )));
    }
    Ok(())
}

/// The points (one per entry) as the rows of a matrix.
pub(super) fn matrix(rows: &[Vec<f64>]) -> DMatrix<f64> {
    DMatrix::from_row_iterator(rows.len(), rows[0].len(), rows.iter().flatten().copied())
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
        check_points(&self.data.points())
    }

    /// Estimated floating-point operations of one cell: seeds × steps × `6 N W` (forward,
    /// backward and update of W weights on N points), plus the analytic kernels.
    pub fn estimate_cell_flop(&self, depth: usize) -> f64 {
        let (n, d) = match &self.data {
            TrainabilityData::Teacher { train_size, dim, .. } => (*train_size, *dim),
            TrainabilityData::Points(data) => (data.n_train(), data.input_dim()),
        };
        let (l, w, d, n) = (depth as f64, self.width as f64, d as f64, n as f64);
        let weights = d * w + (l - 1.0) * w * w + w;
        self.seeds as f64 * self.steps as f64 * 6.0 * n * weights + 50.0 * n * n * l
    }
}
