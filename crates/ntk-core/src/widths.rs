//! The width-scaling lab: how far a finite network of width n is from its linearization and
//! from the infinite-width kernel, as n grows (paper Theorem 2.1, Figure 1, Figure S5).
//!
//! For every width n of a log grid (and optionally every depth L or training-set size N of a
//! second axis, paper Figure S5) a few seeds of the network and its linearization are trained
//! by full-batch gradient descent ([`crate::ensemble`]), and four distances are recorded per
//! seed:
//!
//! | | quantity | theory |
//! | --- | --- | --- |
//! | (a) | `sup_k RMSE_test(f_k, f_k^lin)` over the checkpoints k | `O(n^{−1/2})` (Thm 2.1, Eq. S100) |
//! | (b) | `‖W_K^l − W_0^l‖_F/‖W_0^l‖_F` per layer l | input, readout `n^{−1/2}`; hidden `n^{−1}` (Fig. 1) |
//! | (c) | `‖Θ̂_K − Θ̂_0‖_F/‖Θ̂_0‖_F` on train × train | `≤ O(n^{−1/2})`, closer to `n^{−1}` (Fig. 1, Eq. S50) |
//! | (d) | `‖Θ̂_0 − Θ‖_F/‖Θ‖_F`, Θ the analytic NTK | `n^{−1/2}` (CLT; Fig. 1, SM Fig. S9) |
//!
//! Each width's mean and spread over seeds is a [`WidthPoint`]; [`fit_slope`] fits
//! `log y = a + s log n` per metric, to be compared with the reference slopes −1/2 and −1
//! ([`REFERENCE_SLOPES`]). Widths are independent: [`run_width`] runs one (the page's workers
//! each take one), [`run_width_members`] a subset of its seeds, and [`SweepResult::assemble`]
//! merges any set of points (concatenating the seeds of duplicates) and fits the slopes;
//! [`run_sweep`] does everything in one call (the CLI). Everything is serde, to be posted to web
//! workers as JSON.
//!
//! Only NTK parameterization is accepted: the analytic Θ of (d) is its limit.

use std::ops::{ControlFlow, Range};

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::arch::{ArchError, Architecture, Parameterization, MAX_DEPTH};
use crate::datasets::{Dataset1d, Target1d};
use crate::empirical_ntk::JacobianFactors;
use crate::ensemble::{run_members, Divergence, EnsembleError, EnsembleSpec, MAX_STEPS};
use crate::kernels::{kernels, KernelError};
use crate::landmarks::LearningRateLandmarks;
use crate::mlp::{Mlp, MAX_WIDTH};
use crate::rng::member_seed;
use crate::stats::Running;

/// Reference slopes of the log-log plots: `−1/2` (the CLT scale of Θ̂₀ − Θ and Theorem 2.1's
/// bound) and `−1` (the observed scale of the kernel change and of hidden-weight changes,
/// Figure 1).
pub const REFERENCE_SLOPES: [f64; 2] = [-0.5, -1.0];

/// Default memory cap per worker (bytes): 2 GiB, what a wasm32 tab can reliably allocate.
pub const DEFAULT_MEMORY_CAP: u64 = 2 << 30;

/// Default number of log-spaced checkpoints (sup of metric (a) is taken over them).
pub const DEFAULT_SWEEP_CHECKPOINTS: usize = 20;

/// Most seeds per width.
pub const MAX_SEEDS: usize = 1000;

/// Most generated training points (paper Figure S5 goes up to 4096).
pub const MAX_TRAIN_SIZE: usize = 8192;

fn default_checkpoints() -> usize {
    DEFAULT_SWEEP_CHECKPOINTS
}

/// The data of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SweepData {
    /// A seeded 1-D set ([`Dataset1d::generate`]): `train_size` inputs uniform on [−π, π],
    /// targets `target(x) + noise·z`; the 101-point test grid with noiseless targets. The only
    /// kind a [`SweepAxis::TrainSize`] axis can resize.
    Generated {
        /// target function
        target: Target1d,
        /// number of training points N (replaced by the axis value on a train-size axis)
        train_size: usize,
        /// standard deviation of the target noise
        noise: f64,
        /// seed of the data (independent of the networks' seeds)
        seed: u64,
    },
    /// Explicit points (any input dimension).
    Points {
        /// training inputs, one point per entry
        x_train: Vec<Vec<f64>>,
        /// training targets
        y_train: Vec<f64>,
        /// test inputs (the RMSE of metric (a) is over these)
        x_test: Vec<Vec<f64>>,
        /// optional test targets
        #[serde(default)]
        y_test: Option<Vec<f64>>,
    },
}

/// How the learning rate is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LearningRate {
    /// This η at every width and axis value.
    Absolute(f64),
    /// `η = fraction · η_critical`, `η_critical = 2N/(λ_min + λ_max)` of the analytic train NTK
    /// Θ(X, X) of each axis value (paper Theorem 2.1; stable for `fraction < 2λ_max/(λ_min +
    /// λ_max)` in the limit). Useful when depth or N changes the kernel's scale.
    CriticalFraction(f64),
}

/// The optional second sweep axis (paper Figure S5): one series of widths per value.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepAxis {
    /// A single series.
    #[default]
    None,
    /// Depths L (hidden layers), each replacing `arch.depth`.
    Depth(Vec<usize>),
    /// Training-set sizes N, each replacing the generated set's `train_size`.
    TrainSize(Vec<usize>),
}

impl SweepAxis {
    /// The axis values, `[None]` for no axis.
    pub fn values(&self) -> Vec<Option<usize>> {
        match self {
            SweepAxis::None => vec![None],
            SweepAxis::Depth(v) | SweepAxis::TrainSize(v) => v.iter().map(|&x| Some(x)).collect(),
        }
    }
}

/// A width sweep: one architecture and data set, trained at every width of `widths` (and every
/// value of `axis`) from `seeds` seeded initialisations, `steps` steps of plain full-batch
/// gradient descent on `L = 1/(2N) Σ (f(xᵢ) − yᵢ)²`, every layer trained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WidthSweepSpec {
    /// architecture (NTK parameterization); `depth` is replaced on a depth axis
    pub arch: Architecture,
    /// data set
    pub data: SweepData,
    /// learning rate η (time t = η k)
    pub learning_rate: LearningRate,
    /// gradient-descent steps K
    pub steps: u64,
    /// job seed; seed m of every width uses [`member_seed`]`(seed, m)`
    pub seed: u64,
    /// hidden widths n, strictly increasing (see [`log2_grid`])
    pub widths: Vec<usize>,
    /// seeds per width
    pub seeds: usize,
    /// optional second axis
    #[serde(default)]
    pub axis: SweepAxis,
    /// log-spaced checkpoints including step 0 and K (the sup of (a) is over these)
    #[serde(default = "default_checkpoints")]
    pub checkpoints: usize,
}

/// An invalid sweep, or a run that could not finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WidthError {
    /// Invalid architecture.
    #[error(transparent)]
    Arch(#[from] ArchError),
    /// Standard parameterization (metric (d) compares with the NTK-parameterization limit).
    #[error("the width sweep compares with the analytic NTK, the limit of NTK parameterization; got {0} parameterization (use ntk)")]
    Parameterization(Parameterization),
    /// A grid (widths, depths or train sizes) with no values.
    #[error("the {0} grid is empty: give at least one value (two or more for a slope)")]
    EmptyGrid(&'static str),
    /// A grid that is not strictly increasing.
    #[error("the {what} grid must be strictly increasing: entry {index} is {value}, after {previous}")]
    NotIncreasing {
        /// which grid
        what: &'static str,
        /// 0-based index of the offending entry
        index: usize,
        /// the entry before it
        previous: usize,
        /// the entry
        value: usize,
    },
    /// A width of 0 or above [`MAX_WIDTH`].
    #[error("widths must be between 1 and {MAX_WIDTH}, got {0}")]
    Width(usize),
    /// A hyperparameter out of range.
    #[error("{what} out of range: {value} ({expected})")]
    OutOfRange {
        /// which hyperparameter
        what: &'static str,
        /// its value
        value: f64,
        /// the accepted range
        expected: &'static str,
    },
    /// A train-size axis with explicit points.
    #[error("a training-size axis needs a generated data set (target, size, noise), not explicit points")]
    TrainSizeNeedsGeneratedData,
    /// Point sets of inconsistent shape or non-finite values.
    #[error("data: {0}")]
    Data(String),
    /// The estimated peak memory of one worker is above the cap.
    #[error(
        "the sweep would need about {} MiB per worker (width {width}, depth {depth}, {train_size} training points), above the cap of {} MiB: lower the largest width, depth or training-set size",
        .needed.div_ceil(1 << 20), .cap >> 20
    )]
    Memory {
        /// estimated bytes ([`estimate_bytes`])
        needed: u64,
        /// the cap in bytes
        cap: u64,
        /// the width that needs it
        width: usize,
        /// at this depth
        depth: usize,
        /// and this many training points
        train_size: usize,
    },
    /// [`run_width`] asked for a width not on the spec's grid.
    #[error("width {0} is not on the sweep's width grid")]
    NotOnGrid(usize),
    /// [`run_width`] asked for an axis value not on the spec's second axis.
    #[error("axis value {0:?} is not on the sweep's second axis (None when there is no axis)")]
    NotOnAxis(Option<usize>),
    /// A seed range outside `0..seeds`.
    #[error("seeds {start}..{end} requested, but the sweep has {seeds} seeds")]
    SeedRange {
        /// first requested seed
        start: usize,
        /// one past the last
        end: usize,
        /// seeds per width
        seeds: usize,
    },
    /// Points of different jobs.
    #[error("cannot merge width points: {0}")]
    Mismatch(String),
    /// The analytic kernel could not be computed.
    #[error(transparent)]
    Kernel(#[from] KernelError),
    /// The ensemble runner failed.
    #[error(transparent)]
    Ensemble(EnsembleError),
    /// The progress callback asked to stop.
    #[error("cancelled")]
    Cancelled,
}

impl From<EnsembleError> for WidthError {
    fn from(e: EnsembleError) -> Self {
        match e {
            EnsembleError::Cancelled => WidthError::Cancelled,
            e => WidthError::Ensemble(e),
        }
    }
}

/// `per_octave` widths per doubling from `min` up to at most `max`:
/// `n_i = round(min · 2^{i/per_octave})`, duplicates removed (`log2_grid(32, 4096, 1)` is
/// 32, 64, …, 4096).
///
/// # Errors
/// [`WidthError::Width`] for `min = 0` or `max` above [`MAX_WIDTH`],
/// [`WidthError::OutOfRange`] for `max < min` or `per_octave` outside 1..=16.
pub fn log2_grid(min: usize, max: usize, per_octave: usize) -> Result<Vec<usize>, WidthError> {
    if min == 0 {
        return Err(WidthError::Width(min));
    }
    if max > MAX_WIDTH {
        return Err(WidthError::Width(max));
    }
    if max < min {
        return Err(WidthError::OutOfRange {
            what: "largest width",
            value: max as f64,
            expected: "at least the smallest width",
        });
    }
    if !(1..=16).contains(&per_octave) {
        return Err(WidthError::OutOfRange {
            what: "widths per octave",
            value: per_octave as f64,
            expected: "1 ..= 16",
        });
    }
    let mut out: Vec<usize> = Vec::new();
    for i in 0.. {
        let n = (min as f64 * (i as f64 / per_octave as f64).exp2()).round() as usize;
        if n > max {
            break;
        }
        if out.last() != Some(&n) {
            out.push(n);
        }
    }
    Ok(out)
}

fn check_grid(what: &'static str, v: &[usize]) -> Result<(), WidthError> {
    if v.is_empty() {
        return Err(WidthError::EmptyGrid(what));
    }
    if let Some(i) = (1..v.len()).find(|&i| v[i] <= v[i - 1]) {
        return Err(WidthError::NotIncreasing { what, index: i, previous: v[i - 1], value: v[i] });
    }
    Ok(())
}

fn out_of_range(what: &'static str, value: f64, ok: bool, expected: &'static str) -> Result<(), WidthError> {
    if ok {
        Ok(())
    } else {
        Err(WidthError::OutOfRange { what, value, expected })
    }
}

/// The concrete problem at one axis value: architecture and data.
struct Problem {
    arch: Architecture,
    x_train: Vec<Vec<f64>>,
    y_train: Vec<f64>,
    x_test: Vec<Vec<f64>>,
    y_test: Option<Vec<f64>>,
}

impl WidthSweepSpec {
    /// Checks every field and refuses a sweep whose worker would need more than
    /// [`DEFAULT_MEMORY_CAP`] bytes ([`estimate_bytes`]).
    ///
    /// # Errors
    /// As [`WidthSweepSpec::validate_with_cap`].
    pub fn validate(&self) -> Result<(), WidthError> {
        self.validate_with_cap(DEFAULT_MEMORY_CAP)
    }

    /// Checks every field: NTK parameterization, valid architecture, non-empty strictly
    /// increasing grids, widths in 1..=[`MAX_WIDTH`], 1..=[`MAX_SEEDS`] seeds, 1..=10⁷ steps,
    /// ≥ 2 checkpoints, η (or its fraction of η_critical) finite and > 0, consistent finite data,
    /// a train-size axis only with generated data; then refuses a sweep whose estimated peak
    /// memory per worker ([`estimate_bytes`]) is above `cap` bytes.
    ///
    /// # Errors
    /// The [`WidthError`] naming the first offending value.
    pub fn validate_with_cap(&self, cap: u64) -> Result<(), WidthError> {
        self.validate_fields()?;
        let (needed, width, depth, train_size) = self.peak_bytes();
        if needed > cap {
            return Err(WidthError::Memory { needed, cap, width, depth, train_size });
        }
        Ok(())
    }

    fn validate_fields(&self) -> Result<(), WidthError> {
        self.arch.validate()?;
        if self.arch.param != Parameterization::Ntk {
            return Err(WidthError::Parameterization(self.arch.param));
        }
        check_grid("width", &self.widths)?;
        if let Some(&w) = self.widths.iter().find(|&&w| w == 0 || w > MAX_WIDTH) {
            return Err(WidthError::Width(w));
        }
        let s = self.seeds;
        out_of_range("seeds", s as f64, (1..=MAX_SEEDS).contains(&s), "1 ..= 1000")?;
        let k = self.steps;
        out_of_range("steps", k as f64, (1..=MAX_STEPS).contains(&k), "1 ..= 10,000,000")?;
        let c = self.checkpoints;
        out_of_range("checkpoints", c as f64, c >= 2, "at least 2 (step 0 and the final step)")?;
        match self.learning_rate {
            LearningRate::Absolute(v) => {
                out_of_range("learning rate", v, v.is_finite() && v > 0.0, "a finite number > 0")?
            }
            LearningRate::CriticalFraction(v) => out_of_range(
                "learning rate as a fraction of η_critical",
                v,
                v.is_finite() && v > 0.0,
                "a finite number > 0",
            )?,
        }
        match &self.axis {
            SweepAxis::None => {}
            SweepAxis::Depth(v) => {
                check_grid("depth", v)?;
                if let Some(&l) = v.iter().find(|&&l| l == 0 || l > MAX_DEPTH) {
                    return Err(ArchError::Depth(l).into());
                }
            }
            SweepAxis::TrainSize(v) => {
                check_grid("training-set size", v)?;
                if !matches!(self.data, SweepData::Generated { .. }) {
                    return Err(WidthError::TrainSizeNeedsGeneratedData);
                }
                if let Some(&n) = v.iter().find(|&&n| n == 0 || n > MAX_TRAIN_SIZE) {
                    return Err(WidthError::OutOfRange {
                        what: "training-set size",
                        value: n as f64,
                        expected: "1 ..= 8192",
                    });
                }
            }
        }
        match &self.data {
            SweepData::Generated { train_size, noise, .. } => {
                let n = *train_size;
                out_of_range("training-set size", n as f64, (1..=MAX_TRAIN_SIZE).contains(&n), "1 ..= 8192")?;
                out_of_range("noise", *noise, noise.is_finite() && *noise >= 0.0, "a finite number ≥ 0")?;
            }
            SweepData::Points { .. } => {
                // Shapes and finiteness through the ensemble's checks, at the smallest width.
                let p = self.problem(self.axis.values()[0])?;
                self.ensemble_spec(&p, self.widths[0], 1.0).validate().map_err(|e| match e {
                    EnsembleError::Data(s) => WidthError::Data(s),
                    e => WidthError::Data(e.to_string()),
                })?;
            }
        }
        Ok(())
    }

    /// The largest estimated peak memory over the grid: (bytes, width, depth, train size).
    fn peak_bytes(&self) -> (u64, usize, usize, usize) {
        let (d, n_test) = self.dims();
        let width = self.widths.iter().copied().max().unwrap_or(0);
        self.axis
            .values()
            .into_iter()
            .map(|v| {
                let (depth, n) = self.depth_and_size(v);
                (point_bytes(depth, d, n, n_test, width), width, depth, n)
            })
            .max_by_key(|t| t.0)
            .unwrap_or((0, width, self.arch.depth, 0))
    }

    /// Input dimension and number of test points.
    fn dims(&self) -> (usize, usize) {
        match &self.data {
            SweepData::Generated { .. } => (1, crate::datasets::TEST_POINTS),
            SweepData::Points { x_train, x_test, .. } => {
                (x_train.first().map_or(1, Vec::len).max(1), x_test.len())
            }
        }
    }

    /// Depth and training-set size at an axis value.
    fn depth_and_size(&self, axis_value: Option<usize>) -> (usize, usize) {
        let base_n = match &self.data {
            SweepData::Generated { train_size, .. } => *train_size,
            SweepData::Points { x_train, .. } => x_train.len(),
        };
        match (&self.axis, axis_value) {
            (SweepAxis::Depth(_), Some(l)) => (l, base_n),
            (SweepAxis::TrainSize(_), Some(n)) => (self.arch.depth, n),
            _ => (self.arch.depth, base_n),
        }
    }

    fn check_axis_value(&self, axis_value: Option<usize>) -> Result<(), WidthError> {
        if self.axis.values().contains(&axis_value) {
            Ok(())
        } else {
            Err(WidthError::NotOnAxis(axis_value))
        }
    }

    /// Architecture and data at an axis value.
    fn problem(&self, axis_value: Option<usize>) -> Result<Problem, WidthError> {
        self.check_axis_value(axis_value)?;
        let (depth, n) = self.depth_and_size(axis_value);
        let arch = Architecture { depth, ..self.arch };
        Ok(match &self.data {
            SweepData::Generated { target, noise, seed, .. } => {
                let ds = Dataset1d::generate(*target, n, *noise, *seed);
                let rows = |v: Vec<f64>| v.into_iter().map(|x| vec![x]).collect::<Vec<_>>();
                Problem {
                    arch,
                    x_train: rows(ds.x_train),
                    y_train: ds.y_train,
                    x_test: rows(ds.x_test),
                    y_test: Some(ds.y_test),
                }
            }
            SweepData::Points { x_train, y_train, x_test, y_test } => Problem {
                arch,
                x_train: x_train.clone(),
                y_train: y_train.clone(),
                x_test: x_test.clone(),
                y_test: y_test.clone(),
            },
        })
    }

    fn ensemble_spec(&self, p: &Problem, width: usize, learning_rate: f64) -> EnsembleSpec {
        EnsembleSpec {
            arch: p.arch,
            width,
            x_train: p.x_train.clone(),
            y_train: p.y_train.clone(),
            x_test: p.x_test.clone(),
            y_test: p.y_test.clone(),
            learning_rate,
            steps: self.steps,
            momentum: 0.0,
            readout_only: false,
            seed: self.seed,
            members: self.seeds,
            checkpoints: self.checkpoints,
        }
    }
}

/// Estimated peak bytes of one worker running one seed at width n, depth L, N training and M
/// test points, input dimension d: `16 P` for the f32 network, its f64 copy (linearization) and
/// the f32 initial weights (`P = d n + (L−1) n² + n` weights plus biases), and
/// `48 (N + M) n L` for the forward traces and Jacobian factors, plus 1 MiB.
fn point_bytes(depth: usize, d: usize, n_train: usize, n_test: usize, width: usize) -> u64 {
    let (l, n) = (depth as u64, width as u64);
    let params = d as u64 * n + (l - 1) * (n * n + n) + 2 * n + 1;
    16 * params + 48 * (n_train + n_test) as u64 * n * l + (1 << 20)
}

/// Estimated peak memory (bytes) of one worker running [`run_width`] at the sweep's largest
/// width, over the axis values: about `16 P + 48 (N + M) n L` bytes (P parameters of the network
/// at that width, N training and M test points, L hidden layers). The memory guard of
/// [`WidthSweepSpec::validate_with_cap`]; workers running in parallel each need this much.
pub fn estimate_bytes(spec: &WidthSweepSpec) -> u64 {
    spec.peak_bytes().0
}

/// Estimated floating-point operations of one seed at one width and axis value: K steps of
/// `6 N W` (forward, backward, update; W weights), `(2M + 4N) W + 4 N² L n` per checkpoint (test
/// outputs, Θ̂_t), `12 (N + M) W` for the initial Jacobians (linearization and metric (d)) and
/// `40 P` for drawing the initial weights twice.
pub fn estimate_point_flop(spec: &WidthSweepSpec, width: usize, axis_value: Option<usize>) -> f64 {
    let (d, m) = spec.dims();
    let (depth, n) = spec.depth_and_size(axis_value);
    let (l, w, d, n, m) = (depth as f64, width as f64, d as f64, n as f64, m as f64);
    let weights = d * w + (l - 1.0) * w * w + w;
    let params = weights + l * w + 1.0;
    let checkpoints = spec.checkpoints as f64;
    spec.steps as f64 * 6.0 * n * weights
        + checkpoints * ((2.0 * m + 4.0 * n) * weights + 4.0 * n * n * l * w)
        + 12.0 * (n + m) * weights
        + 40.0 * params
}

/// Estimated floating-point operations of the whole sweep: [`estimate_point_flop`] summed over
/// widths, axis values and seeds (for refusing a workload too large for the page).
pub fn estimate_flop(spec: &WidthSweepSpec) -> f64 {
    let per_seed: f64 = spec
        .axis
        .values()
        .into_iter()
        .flat_map(|v| spec.widths.iter().map(move |&w| (w, v)))
        .map(|(w, v)| estimate_point_flop(spec, w, v))
        .sum();
    per_seed * spec.seeds as f64
}

/// Mean and spread over seeds of one metric.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// number of seeds
    pub count: usize,
    /// mean
    pub mean: f64,
    /// unbiased standard deviation (0 for one seed)
    pub sd: f64,
    /// smallest value
    pub min: f64,
    /// largest value
    pub max: f64,
}

impl Spread {
    /// The spread of `values`, `None` if there are none.
    pub fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        let mut r = Running::default();
        values.iter().for_each(|&v| r.push(v));
        Some(Spread {
            count: values.len(),
            mean: r.mean,
            sd: r.variance().sqrt(),
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }
}

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
}

/// The metrics of one seed at one width.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedRecord {
    /// seed index m (network seed [`member_seed`]`(spec.seed, m)`)
    pub seed: usize,
    /// (d) `‖Θ̂_0 − Θ‖_F/‖Θ‖_F` on train × train, Θ̂_0 the empirical NTK at initialisation (f64)
    /// and Θ the analytic NTK ([`crate::kernels`]); defined even if training diverged
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
    /// per seed, sorted by seed index
    pub seeds: Vec<SeedRecord>,
}

impl WidthPoint {
    fn from_seeds(
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

/// Where a run is, passed to the progress callback.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepProgress {
    /// the width being trained
    pub width: usize,
    /// its axis value
    pub axis_value: Option<usize>,
    /// the seed being trained
    pub seed: usize,
    /// its current step
    pub step: u64,
    /// steps per seed
    pub steps: u64,
    /// (width, axis value) points finished in this call
    pub points_done: usize,
    /// points in this call
    pub points_total: usize,
    /// estimated fraction of this call's work done, in [0, 1] (FLOP-weighted)
    pub fraction: f64,
}

/// Trains every seed of one width at one axis value and records the four metrics (see the
/// module table): (a) `sup_k RMSE(f_k, f_k^lin)` (Thm 2.1), (b) final
/// `‖W_K^l − W_0^l‖_F/‖W_0^l‖_F` per layer and (c) final `‖Θ̂_K − Θ̂_0‖_F/‖Θ̂_0‖_F` (Figure 1),
/// (d) `‖Θ̂_0 − Θ‖_F/‖Θ‖_F` with the analytic NTK Θ on train × train. `progress` is called
/// every few tens of ms; `ControlFlow::Break(())` cancels.
///
/// The memory guard is the caller's, when planning the sweep ([`WidthSweepSpec::validate`] or
/// [`WidthSweepSpec::validate_with_cap`], [`estimate_bytes`]); every other field is checked here.
///
/// # Errors
/// [`WidthError`] for an invalid spec, a width not on the grid, an axis value not on the axis,
/// or [`WidthError::Cancelled`].
pub fn run_width<F>(
    spec: &WidthSweepSpec,
    width: usize,
    axis_value: Option<usize>,
    progress: F,
) -> Result<WidthPoint, WidthError>
where
    F: FnMut(&SweepProgress) -> ControlFlow<()>,
{
    run_width_members(spec, width, axis_value, 0..spec.seeds, progress)
}

/// As [`run_width`] for the seeds `seeds` only (a sub-range of `0..spec.seeds`); combine the
/// points of disjoint ranges with [`WidthPoint::merge`] or [`SweepResult::assemble`].
///
/// # Errors
/// As [`run_width`], plus [`WidthError::SeedRange`].
pub fn run_width_members<F>(
    spec: &WidthSweepSpec,
    width: usize,
    axis_value: Option<usize>,
    seeds: Range<usize>,
    mut progress: F,
) -> Result<WidthPoint, WidthError>
where
    F: FnMut(&SweepProgress) -> ControlFlow<()>,
{
    spec.validate_fields()?;
    if !spec.widths.contains(&width) {
        return Err(WidthError::NotOnGrid(width));
    }
    if seeds.start > seeds.end || seeds.end > spec.seeds {
        return Err(WidthError::SeedRange { start: seeds.start, end: seeds.end, seeds: spec.seeds });
    }
    let problem = spec.problem(axis_value)?;
    let x_train = DMatrix::from_row_iterator(
        problem.x_train.len(),
        problem.x_train[0].len(),
        problem.x_train.iter().flatten().copied(),
    );
    let theta = kernels(&problem.arch, &x_train, &x_train)?.ntk;
    let learning_rate = match spec.learning_rate {
        LearningRate::Absolute(eta) => eta,
        LearningRate::CriticalFraction(f) => {
            let eig = theta.clone().symmetric_eigenvalues();
            f * LearningRateLandmarks::from_eigenvalues(eig.as_slice(), problem.x_train.len()).eta_critical
        }
    };
    let ens = spec.ensemble_spec(&problem, width, learning_rate);
    ens.validate()?;
    let x_flat: Vec<f64> = problem.x_train.iter().flatten().copied().collect();
    let total = seeds.len();
    let mut records = Vec::with_capacity(total);
    for (done, m) in seeds.enumerate() {
        let ntk_init_error = init_error(&ens, &x_flat, &theta, m)?;
        let stats = run_members(&ens, m..m + 1, |p| {
            progress(&SweepProgress {
                width,
                axis_value,
                seed: m,
                step: p.step,
                steps: p.steps,
                points_done: 0,
                points_total: 1,
                fraction: (done as f64 + p.step as f64 / p.steps.max(1) as f64) / total as f64,
            })
        })?;
        let record = match (stats.diverged.first(), stats.checkpoints.last()) {
            (None, Some(last)) => SeedRecord {
                seed: m,
                ntk_init_error,
                training: Some(SeedTraining {
                    rmse_nn_lin_sup: stats.checkpoints.iter().map(|c| c.rmse_nn_lin.mean).fold(0.0, f64::max),
                    weight_change: last.weight_change.mean(),
                    ntk_change: last.ntk_change.mean,
                }),
                divergence: None,
            },
            (d, _) => SeedRecord { seed: m, ntk_init_error, training: None, divergence: d.copied() },
        };
        records.push(record);
    }
    let (depth, train_size) = (problem.arch.depth, problem.x_train.len());
    Ok(WidthPoint::from_seeds(width, axis_value, depth, train_size, learning_rate, records))
}

/// (d) for seed m: `‖Θ̂_0 − Θ‖_F/‖Θ‖_F`, Θ̂_0 from the f64 copy of the very network that
/// [`run_members`] trains (same seed, same f32 rounding of the initial weights).
fn init_error(ens: &EnsembleSpec, x_flat: &[f64], theta: &DMatrix<f64>, m: usize) -> Result<f64, WidthError> {
    let d = ens.x_train[0].len();
    let net = Mlp::<f32>::new(&ens.arch, d, ens.width, member_seed(ens.seed, m as u64))
        .map_err(EnsembleError::from)?
        .cast::<f64>();
    let fac = JacobianFactors::new(&net, x_flat, ens.x_train.len());
    drop(net);
    let ntk0 = fac.ntk(&fac);
    Ok((ntk0 - theta).norm() / theta.norm())
}

/// A least-squares power law `y ≈ e^a x^s`: the fit of `log y = a + s log x`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PowerLawFit {
    /// slope s of log y against log x (compare with [`REFERENCE_SLOPES`])
    pub slope: f64,
    /// intercept a (natural logarithms): `log y = a + s log x`
    pub intercept: f64,
    /// number of points used (finite and positive)
    pub points: usize,
    /// standard error of the slope, `√(Σ r²/(p − 2) / Σ (log x − mean)²)`; `None` for 2 points
    pub slope_stderr: Option<f64>,
}

impl PowerLawFit {
    /// The fitted `e^a x^s`.
    pub fn at(&self, x: f64) -> f64 {
        (self.intercept + self.slope * x.ln()).exp()
    }
}

/// Why a slope could not be fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    /// `xs` and `ys` differ in length.
    #[error("{xs} x values but {ys} y values")]
    LengthMismatch {
        /// number of x values
        xs: usize,
        /// number of y values
        ys: usize,
    },
    /// Fewer than 2 points with finite positive x and y.
    #[error("a slope needs at least 2 points with finite positive x and y, got {usable}")]
    TooFewPoints {
        /// usable points
        usable: usize,
    },
    /// Every usable point has the same x.
    #[error("all usable points have the same x: the slope is undefined")]
    SameX,
}

/// Least-squares slope and intercept of `log y` against `log x` over the points with finite
/// positive x and y: `s = Σ (u − ū)(v − v̄) / Σ (u − ū)²`, `a = v̄ − s ū`, u = ln x, v = ln y
/// (the slopes of the log-log plots of Figure 1 and Figure S5).
///
/// # Errors
/// [`FitError`] for different lengths, fewer than 2 usable points, or all x equal.
pub fn fit_slope(xs: &[f64], ys: &[f64]) -> Result<PowerLawFit, FitError> {
    if xs.len() != ys.len() {
        return Err(FitError::LengthMismatch { xs: xs.len(), ys: ys.len() });
    }
    let ok = |v: f64| v.is_finite() && v > 0.0;
    let pts: Vec<(f64, f64)> =
        xs.iter().zip(ys).filter(|(&x, &y)| ok(x) && ok(y)).map(|(x, y)| (x.ln(), y.ln())).collect();
    let p = pts.len();
    if p < 2 {
        return Err(FitError::TooFewPoints { usable: p });
    }
    let (u_bar, v_bar) = {
        let (su, sv) = pts.iter().fold((0.0, 0.0), |(a, b), (u, v)| (a + u, b + v));
        (su / p as f64, sv / p as f64)
    };
    let suu: f64 = pts.iter().map(|(u, _)| (u - u_bar).powi(2)).sum();
    let suv: f64 = pts.iter().map(|(u, v)| (u - u_bar) * (v - v_bar)).sum();
    if suu <= 0.0 {
        return Err(FitError::SameX);
    }
    let slope = suv / suu;
    let intercept = v_bar - slope * u_bar;
    let slope_stderr = (p > 2).then(|| {
        let ssr: f64 = pts.iter().map(|(u, v)| (v - intercept - slope * u).powi(2)).sum();
        (ssr / (p - 2) as f64 / suu).sqrt()
    });
    Ok(PowerLawFit { slope, intercept, points: p, slope_stderr })
}

/// The fitted slopes of one series (each `None` when [`fit_slope`] has fewer than 2 usable
/// points), fitted to the seed means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slopes {
    /// (a) network–linearization distance (theory: −1/2 bound, Thm 2.1)
    pub rmse_nn_lin_sup: Option<PowerLawFit>,
    /// (b) per layer, input first (theory: −1/2 input and readout, −1 hidden; Figure 1)
    pub weight_change: Vec<Option<PowerLawFit>>,
    /// (c) kernel change during training (between −1 and −1/2; Figure 1)
    pub ntk_change: Option<PowerLawFit>,
    /// (d) initial kernel against the analytic NTK (−1/2; Figure 1)
    pub ntk_init_error: Option<PowerLawFit>,
}

/// One series of widths at one axis value, sorted by width, with its slopes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// the axis value (`None` without an axis)
    pub axis_value: Option<usize>,
    /// depth L
    pub depth: usize,
    /// training points N
    pub train_size: usize,
    /// points, increasing width
    pub points: Vec<WidthPoint>,
    /// fitted log-log slopes
    pub slopes: Slopes,
}

/// The sweep: one [`Series`] per axis value (in axis order), and the reference slopes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    /// per axis value
    pub series: Vec<Series>,
    /// the theory's slopes for the reference lines, [`REFERENCE_SLOPES`]
    pub reference_slopes: Vec<f64>,
}

impl SweepResult {
    /// Groups points by axis value (in the spec's axis order), merges points of the same width
    /// and axis value ([`WidthPoint::merge`]), sorts by width and fits the slopes. Points may
    /// come from any number of workers in any order; missing widths are simply absent.
    ///
    /// # Errors
    /// [`WidthError::NotOnAxis`] / [`WidthError::NotOnGrid`] for a point of another sweep,
    /// [`WidthError::Mismatch`] for points that cannot be merged.
    pub fn assemble(spec: &WidthSweepSpec, points: Vec<WidthPoint>) -> Result<SweepResult, WidthError> {
        let values = spec.axis.values();
        let mut groups: Vec<Vec<WidthPoint>> = vec![Vec::new(); values.len()];
        for p in points {
            let g =
                values.iter().position(|v| *v == p.axis_value).ok_or(WidthError::NotOnAxis(p.axis_value))?;
            if !spec.widths.contains(&p.width) {
                return Err(WidthError::NotOnGrid(p.width));
            }
            match groups[g].iter_mut().find(|q| q.width == p.width) {
                Some(q) => q.merge(&p)?,
                None => groups[g].push(p),
            }
        }
        let series = values
            .into_iter()
            .zip(groups)
            .map(|(axis_value, mut points)| {
                points.sort_by_key(|p| p.width);
                let (depth, train_size) = spec.depth_and_size(axis_value);
                let slopes = slopes(&points);
                Series { axis_value, depth, train_size, points, slopes }
            })
            .collect();
        Ok(SweepResult { series, reference_slopes: REFERENCE_SLOPES.to_vec() })
    }
}

fn slopes(points: &[WidthPoint]) -> Slopes {
    let xs: Vec<f64> = points.iter().map(|p| p.width as f64).collect();
    let fit = |f: &dyn Fn(&WidthPoint) -> Option<f64>| {
        let ys: Vec<f64> = points.iter().map(|p| f(p).unwrap_or(f64::NAN)).collect();
        fit_slope(&xs, &ys).ok()
    };
    let layers = points.iter().map(|p| p.weight_change.len()).max().unwrap_or(0);
    Slopes {
        rmse_nn_lin_sup: fit(&|p| p.rmse_nn_lin_sup.map(|s| s.mean)),
        weight_change: (0..layers).map(|l| fit(&|p| p.weight_change.get(l).map(|s| s.mean))).collect(),
        ntk_change: fit(&|p| p.ntk_change.map(|s| s.mean)),
        ntk_init_error: fit(&|p| (p.ntk_init_error.count > 0).then_some(p.ntk_init_error.mean)),
    }
}

/// Runs the whole sweep, axis value by axis value, width by width (increasing), all seeds, and
/// assembles the result ([`SweepResult::assemble`]). `progress` sees the current point and the
/// FLOP-weighted fraction of the sweep done; `ControlFlow::Break(())` cancels.
///
/// # Errors
/// As [`run_width`], and [`WidthError::Memory`] above [`DEFAULT_MEMORY_CAP`].
pub fn run_sweep<F>(spec: &WidthSweepSpec, mut progress: F) -> Result<SweepResult, WidthError>
where
    F: FnMut(&SweepProgress) -> ControlFlow<()>,
{
    spec.validate()?;
    let jobs: Vec<(Option<usize>, usize)> =
        spec.axis.values().into_iter().flat_map(|v| spec.widths.iter().map(move |&w| (v, w))).collect();
    let cost: Vec<f64> = jobs.iter().map(|&(v, w)| estimate_point_flop(spec, w, v)).collect();
    let total: f64 = cost.iter().sum();
    let mut done_flop = 0.0;
    let mut points = Vec::with_capacity(jobs.len());
    for (i, &(v, w)) in jobs.iter().enumerate() {
        let point = run_width(spec, w, v, |p| {
            progress(&SweepProgress {
                points_done: i,
                points_total: jobs.len(),
                fraction: (done_flop + p.fraction * cost[i]) / total,
                ..*p
            })
        })?;
        done_flop += cost[i];
        points.push(point);
    }
    SweepResult::assemble(spec, points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_grid_doubles_and_checks_its_bounds() {
        assert_eq!(log2_grid(32, 4096, 1).unwrap(), vec![32, 64, 128, 256, 512, 1024, 2048, 4096]);
        assert_eq!(log2_grid(32, 4000, 1).unwrap().last(), Some(&2048));
        // 2^{1/2} steps: 8, 11.3 → 11, 16, 22.6 → 23, 32.
        assert_eq!(log2_grid(8, 32, 2).unwrap(), vec![8, 11, 16, 23, 32]);
        assert_eq!(log2_grid(5, 5, 1).unwrap(), vec![5]);
        assert_eq!(log2_grid(0, 64, 1), Err(WidthError::Width(0)));
        assert_eq!(log2_grid(1, MAX_WIDTH + 1, 1), Err(WidthError::Width(MAX_WIDTH + 1)));
        assert!(matches!(log2_grid(64, 32, 1), Err(WidthError::OutOfRange { .. })));
        assert!(matches!(log2_grid(32, 64, 0), Err(WidthError::OutOfRange { .. })));
    }

    #[test]
    fn fit_slope_recovers_an_exact_power_law() {
        // y = 3 x^{−0.5}: exact up to rounding of ln and exp (a few ulps of values ≈ 10).
        let xs: Vec<f64> = (5..12).map(|k| f64::from(1u32 << k)).collect();
        let ys: Vec<f64> = xs.iter().map(|x| 3.0 * x.powf(-0.5)).collect();
        let f = fit_slope(&xs, &ys).unwrap();
        assert!((f.slope + 0.5).abs() < 1e-13, "{f:?}");
        assert!((f.intercept - 3f64.ln()).abs() < 1e-12, "{f:?}");
        assert!(f.slope_stderr.unwrap() < 1e-12);
        assert!((f.at(100.0) - 0.3).abs() < 1e-13);
        assert_eq!(f.points, 7);
        // Non-finite and non-positive points are skipped, not propagated.
        let mut ys2 = ys.clone();
        ys2[1] = f64::NAN;
        ys2[2] = 0.0;
        ys2[3] = -1.0;
        let g = fit_slope(&xs, &ys2).unwrap();
        assert_eq!(g.points, 4);
        assert!((g.slope + 0.5).abs() < 1e-13);
        // Exactly two points: no standard error.
        assert_eq!(fit_slope(&[2.0, 8.0], &[1.0, 4.0]).unwrap().slope_stderr, None);
        assert!((fit_slope(&[2.0, 8.0], &[1.0, 4.0]).unwrap().slope - 1.0).abs() < 1e-15);
    }

    #[test]
    fn fit_slope_errors_are_typed() {
        assert_eq!(fit_slope(&[1.0], &[1.0, 2.0]), Err(FitError::LengthMismatch { xs: 1, ys: 2 }));
        assert_eq!(fit_slope(&[1.0, 2.0], &[1.0, f64::NAN]), Err(FitError::TooFewPoints { usable: 1 }));
        assert_eq!(fit_slope(&[], &[]), Err(FitError::TooFewPoints { usable: 0 }));
        assert_eq!(fit_slope(&[4.0, 4.0], &[1.0, 2.0]), Err(FitError::SameX));
    }

    #[test]
    fn spread_by_hand() {
        let s = Spread::of(&[1.0, 2.0, 6.0]).unwrap();
        assert_eq!((s.count, s.min, s.max), (3, 1.0, 6.0));
        assert!((s.mean - 3.0).abs() < 1e-15);
        // Σ (x − 3)² = 4 + 1 + 9 = 14, /2 → 7.
        assert!((s.sd - 7f64.sqrt()).abs() < 1e-15);
        assert_eq!(Spread::of(&[]), None);
    }
}
