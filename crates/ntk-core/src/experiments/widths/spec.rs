//! The spec of a width sweep: its data, learning rate, grid of widths, seeds and second axis, and its validation.

use super::*;
use crate::datasets::{DataError, ExplicitData};
use crate::nets::output_scale::{AlphaError, OutputScale};
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

/// Most widths per octave of a [`log2_grid`].
pub const MAX_PER_OCTAVE: usize = 16;

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
    /// Explicit points (any input dimension; the RMSE of metric (a) is over the test points):
    /// the keys `x_train`, `y_train`, `x_test`, `y_test` beside `"kind": "points"`.
    Points(ExplicitData),
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

impl LearningRate {
    /// Checks that η, or its fraction of η_critical, is a finite number > 0.
    ///
    /// # Errors
    /// The [`RangeError`] naming which of the two it is otherwise.
    pub fn check(self) -> Result<(), RangeError> {
        match self {
            LearningRate::Absolute(v) => RangeError::positive("learning rate", v),
            LearningRate::CriticalFraction(v) => {
                RangeError::positive("learning rate as a fraction of η_critical", v)
            }
        }
    }
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
    /// architecture (NTK or mean-field parameterization); `depth` is replaced on a depth axis
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
    /// Chizat's output scale α (docs/MATH.md, "Chizat's output scale α"): every network and its
    /// linearization are trained as `g = α (f − f₀)` on the loss scaled by `1/α²`, and (a) is
    /// the RMSE between g and g_lin. Absent (the default, and absent from the spec's JSON, so
    /// its hash is what it always was): the networks f themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
}

/// An invalid sweep, or a run that could not finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WidthError {
    /// Invalid architecture.
    #[error(transparent)]
    Arch(#[from] ArchError),
    /// Standard parameterization (metric (d) compares with the NTK-parameterization limit, which
    /// the standard-parameterization kernel does not have: it grows with n).
    #[error("the width sweep compares with the analytic NTK, the limit of NTK parameterization (and of the rate-weighted kernel of mean-field); got {0} parameterization (use ntk or mf)")]
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
    #[error(transparent)]
    OutOfRange(#[from] RangeError),
    /// A train-size axis with explicit points.
    #[error("a training-size axis needs a generated data set (target, size, noise), not explicit points")]
    TrainSizeNeedsGeneratedData,
    /// Point sets of inconsistent shape or non-finite values.
    #[error("data: {0}")]
    Data(#[from] DataError),
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
    /// An output scale α out of range.
    #[error(transparent)]
    Alpha(#[from] AlphaError),
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
/// [`WidthError::OutOfRange`] for `max < min` or `per_octave` outside 1 ..= [`MAX_PER_OCTAVE`].
pub fn log2_grid(min: usize, max: usize, per_octave: usize) -> Result<Vec<usize>, WidthError> {
    if min == 0 {
        return Err(WidthError::Width(min));
    }
    if max > MAX_WIDTH {
        return Err(WidthError::Width(max));
    }
    if max < min {
        let expected = Expected::Words("at least the smallest width");
        return Err(RangeError { what: "largest width", value: max as f64, expected, note: None }.into());
    }
    RangeError::count("widths per octave", per_octave, MAX_PER_OCTAVE)?;
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

/// The concrete problem at one axis value: architecture and data.
pub(super) struct Problem {
    pub(super) arch: Architecture,
    pub(super) data: ExplicitData,
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
    /// 2 ..= 10,000 checkpoints, η (or its fraction of η_critical) finite and > 0, consistent finite data,
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

    pub(super) fn validate_fields(&self) -> Result<(), WidthError> {
        self.arch.validate()?;
        if self.arch.param == Parameterization::Standard {
            return Err(WidthError::Parameterization(self.arch.param));
        }
        if let Some(alpha) = self.alpha {
            OutputScale::new(alpha)?;
        }
        check_grid("width", &self.widths)?;
        if let Some(&w) = self.widths.iter().find(|&&w| w == 0 || w > MAX_WIDTH) {
            return Err(WidthError::Width(w));
        }
        RangeError::count("seeds", self.seeds, MAX_SEEDS)?;
        RangeError::integers("steps", self.steps, 1, MAX_STEPS)?;
        check_checkpoints(self.checkpoints)?;
        self.learning_rate.check()?;
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
                for &n in v {
                    RangeError::count("training-set size", n, MAX_TRAIN_SIZE)?;
                }
            }
        }
        match &self.data {
            SweepData::Generated { train_size, noise, .. } => {
                RangeError::count("training-set size", *train_size, MAX_TRAIN_SIZE)?;
                RangeError::non_negative("noise", *noise)?;
            }
            SweepData::Points(data) => data.validate()?,
        }
        Ok(())
    }

    /// The largest estimated peak memory over the grid: (bytes, width, depth, train size).
    pub(super) fn peak_bytes(&self) -> (u64, usize, usize, usize) {
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
    pub(super) fn dims(&self) -> (usize, usize) {
        match &self.data {
            SweepData::Generated { .. } => (1, crate::datasets::TEST_POINTS),
            SweepData::Points(data) => (data.input_dim().max(1), data.n_test()),
        }
    }

    /// Depth and training-set size at an axis value.
    pub(super) fn depth_and_size(&self, axis_value: Option<usize>) -> (usize, usize) {
        let base_n = match &self.data {
            SweepData::Generated { train_size, .. } => *train_size,
            SweepData::Points(data) => data.n_train(),
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
    pub(super) fn problem(&self, axis_value: Option<usize>) -> Result<Problem, WidthError> {
        self.check_axis_value(axis_value)?;
        let (depth, n) = self.depth_and_size(axis_value);
        let arch = Architecture { depth, ..self.arch };
        Ok(match &self.data {
            SweepData::Generated { target, noise, seed, .. } => {
                Problem { arch, data: Dataset1d::generate(*target, n, *noise, *seed).into() }
            }
            SweepData::Points(data) => Problem { arch, data: data.clone() },
        })
    }

    pub(super) fn ensemble_spec(&self, p: &Problem, width: usize, learning_rate: f64) -> EnsembleSpec {
        EnsembleSpec {
            arch: p.arch,
            width,
            data: p.data.clone(),
            learning_rate,
            steps: self.steps,
            momentum: 0.0,
            readout_only: false,
            loss: Default::default(),
            batch_size: None,
            seed: self.seed,
            members: self.seeds,
            checkpoints: self.checkpoints,
            alpha: self.alpha,
            quadratic: false,
        }
    }
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
        assert!(matches!(log2_grid(64, 32, 1), Err(WidthError::OutOfRange(_))));
        assert!(matches!(log2_grid(32, 64, 0), Err(WidthError::OutOfRange(_))));
    }
}
