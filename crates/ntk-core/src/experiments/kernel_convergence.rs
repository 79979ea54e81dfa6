//! Kernel convergence (paper SM I, Figures S9–S10): the empirical NNGP kernel K̂ and NTK Θ̂ of
//! randomly initialised networks of width n, averaged over M networks, against the analytic
//! K and Θ (paper SM E) on a fixed set of points.
//!
//! For every width n of the grid, `M_max` (the largest sample count) networks are drawn; for
//! each sample count M the networks are split into `G = ⌊M_max/M⌋` disjoint groups of M, and
//! the relative Frobenius error `‖K̄_M − K‖_F/‖K‖_F` of each group's average is recorded (mean
//! and spread over the groups). Each K̂ is the readout's `c_w² x^L·x^L' + c_b²` (the empirical
//! NNGP of the readout layer), each Θ̂ the sum over layers of the Jacobian factors
//! ([`JacobianFactors`]).
//!
//! What to expect: each network's kernel is a mean over n units, so
//! `E‖K̄_M − K‖²_F = ‖bias‖² + tr Var(K̂)/M` with `Var(K̂) = O(1/n)` (CLT) and a bias that is
//! exactly 0 with one hidden layer (the last pre-activations are exactly Gaussian) and O(1/n)
//! otherwise. So the error falls like `(nM)^{−1/2}` — slope −½ in n at fixed M and −½ in M at
//! fixed n — until the bias floor `O(1/n)` is reached at large M (deeper networks only).
//! [`ErrorDecomposition`] estimates both parts from all `M_max` networks:
//! `error(M) ≈ √(bias² + spread²/M)`.
//!
//! Widths are independent jobs ([`run_convergence_width`], e.g. one per web worker), merged
//! by [`ConvergenceResult::assemble`], which fits the log-log slopes with
//! [`fit_slope`]. Everything is serde.

use std::ops::ControlFlow;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::arch::{ArchError, Architecture, Parameterization};
use crate::nets::empirical_ntk::{rows_to_batch, JacobianFactors};
use crate::nets::mlp::{Mlp, MlpError, MAX_WIDTH};
use crate::range::RangeError;
use crate::rng::{member_seed, Normal};
use crate::stats::{fit_slope, PowerLawFit, Spread};
use crate::theory::kernels::{kernels, KernelError};

/// Most networks per width.
pub const MAX_NETWORKS: usize = 4096;

/// Most points (the kernels are N × N).
pub const MAX_POINTS: usize = 512;

/// Most input dimensions of generated points (the paper's Figure S9 uses 1024).
pub const MAX_DIM: usize = 4096;

/// The points the kernels are compared on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ConvergenceData {
    /// `points` inputs with i.i.d. N(0, 1) coordinates in `dim` dimensions (paper SM I uses
    /// N(0, 1) inputs with n₀ = 1024), seeded.
    Gaussian {
        /// number of points N
        points: usize,
        /// input dimension d
        dim: usize,
        /// seed of the inputs
        seed: u64,
    },
    /// Explicit points, one per entry.
    Points {
        /// the inputs
        x: Vec<Vec<f64>>,
    },
}

impl ConvergenceData {
    /// The points as rows of a matrix.
    pub fn matrix(&self) -> DMatrix<f64> {
        match self {
            ConvergenceData::Gaussian { points, dim, seed } => {
                let mut rng = Normal::new(*seed);
                DMatrix::from_row_iterator(*points, *dim, (0..points * dim).map(|_| rng.sample()))
            }
            ConvergenceData::Points { x } => {
                let d = x.first().map_or(0, Vec::len);
                DMatrix::from_row_iterator(x.len(), d, x.iter().flatten().copied())
            }
        }
    }
}

/// A convergence study: one architecture and point set, every width, up to `M_max` networks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvergenceSpec {
    /// architecture (NTK parameterization: the analytic kernels are its limit)
    pub arch: Architecture,
    /// the points
    pub data: ConvergenceData,
    /// hidden widths n, strictly increasing
    pub widths: Vec<usize>,
    /// Monte Carlo sample counts M, strictly increasing; the largest is the number of networks
    /// drawn per width
    pub samples: Vec<usize>,
    /// job seed: network g of width n uses `member_seed(member_seed(seed, n), g)`
    pub seed: u64,
}

/// An invalid study or a run that could not finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConvergenceError {
    /// Invalid architecture.
    #[error(transparent)]
    Arch(#[from] ArchError),
    /// Standard parameterization.
    #[error(
        "kernel convergence compares with the analytic kernels of NTK parameterization; got {0} (use ntk)"
    )]
    Parameterization(Parameterization),
    /// A grid with no values, or not strictly increasing.
    #[error("the {what} grid must be non-empty and strictly increasing, got {values:?}")]
    Grid {
        /// which grid
        what: &'static str,
        /// its values
        values: Vec<usize>,
    },
    /// A value out of range.
    #[error(transparent)]
    OutOfRange(#[from] RangeError),
    /// Points of different dimensions or non-finite coordinates.
    #[error("data: {0}")]
    Data(String),
    /// A width not on the grid.
    #[error("width {0} is not on the study's width grid")]
    NotOnGrid(usize),
    /// Points of a different study.
    #[error("cannot assemble the convergence result: {0}")]
    Mismatch(String),
    /// The analytic kernels failed.
    #[error(transparent)]
    Kernel(#[from] KernelError),
    /// A network could not be built.
    #[error(transparent)]
    Mlp(#[from] MlpError),
    /// The progress callback asked to stop.
    #[error("cancelled")]
    Cancelled,
}

fn check_increasing(what: &'static str, v: &[usize]) -> Result<(), ConvergenceError> {
    if v.is_empty() || v.windows(2).any(|w| w[1] <= w[0]) {
        return Err(ConvergenceError::Grid { what, values: v.to_vec() });
    }
    Ok(())
}

impl ConvergenceSpec {
    /// Checks every field: NTK parameterization, grids strictly increasing, widths in
    /// 1 ..= [`MAX_WIDTH`], sample counts in 1 ..= [`MAX_NETWORKS`], 1 ..= [`MAX_POINTS`] points of
    /// one finite dimension (1 ..= [`MAX_DIM`] for generated ones).
    ///
    /// # Errors
    /// The [`ConvergenceError`] naming the first offending value.
    pub fn validate(&self) -> Result<(), ConvergenceError> {
        self.arch.validate()?;
        if self.arch.param != Parameterization::Ntk {
            return Err(ConvergenceError::Parameterization(self.arch.param));
        }
        check_increasing("width", &self.widths)?;
        check_increasing("sample count", &self.samples)?;
        RangeError::count("width", self.widths[0], MAX_WIDTH)?;
        RangeError::count("width", *self.widths.last().unwrap_or(&0), MAX_WIDTH)?;
        RangeError::count("sample count", self.samples[0], MAX_NETWORKS)?;
        RangeError::count("sample count", self.max_samples(), MAX_NETWORKS)?;
        match &self.data {
            ConvergenceData::Gaussian { points, dim, .. } => {
                RangeError::count("number of points", *points, MAX_POINTS)?;
                RangeError::count("input dimension", *dim, MAX_DIM)?;
            }
            ConvergenceData::Points { x } => {
                RangeError::count("number of points", x.len(), MAX_POINTS)?;
                let d = x[0].len();
                if d == 0 {
                    return Err(ConvergenceError::Data("points need at least one coordinate".into()));
                }
                if let Some(i) = x.iter().position(|p| p.len() != d) {
                    return Err(ConvergenceError::Data(format!(
                        "point {i} has {} coordinates, point 0 has {d}",
                        x[i].len()
                    )));
                }
                if let Some((i, v)) =
                    x.iter().enumerate().find_map(|(i, p)| p.iter().find(|v| !v.is_finite()).map(|&v| (i, v)))
                {
                    return Err(ConvergenceError::Data(format!(
                        "point {i} has a non-finite coordinate ({v})"
                    )));
                }
            }
        }
        Ok(())
    }

    /// `M_max`, the number of networks drawn per width.
    pub fn max_samples(&self) -> usize {
        self.samples.last().copied().unwrap_or(0)
    }

    /// Estimated floating-point operations of one width: per network `20 P` for drawing
    /// and scaling the P parameters, `4 N W` for the forward and backward passes (W weights)
    /// and `2 N² (L + 1) n` for Θ̂ and K̂ from the Jacobian factors.
    pub fn estimate_width_flop(&self, width: usize) -> f64 {
        let (n_pts, d) = match &self.data {
            ConvergenceData::Gaussian { points, dim, .. } => (*points, *dim),
            ConvergenceData::Points { x } => (x.len(), x.first().map_or(1, Vec::len)),
        };
        let (l, w, d, n) = (self.arch.depth as f64, width as f64, d as f64, n_pts as f64);
        let weights = d * w + (l - 1.0) * w * w + w;
        let per_net = 20.0 * (weights + l * w + 1.0) + 4.0 * n * weights + 2.0 * n * n * (l + 1.0) * w;
        per_net * self.max_samples() as f64
    }
}

/// The error of M-sample averages at one width: over the `groups` disjoint groups of M networks.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleError {
    /// M, networks per average
    pub samples: usize,
    /// number of disjoint groups of M networks, ⌊M_max/M⌋
    pub groups: usize,
    /// `‖K̄_M − K‖_F/‖K‖_F` over the groups (NNGP)
    pub nngp: Spread,
    /// `‖Θ̄_M − Θ‖_F/‖Θ‖_F` over the groups (NTK)
    pub ntk: Spread,
}

/// The error of an M-average split into its two parts, estimated from all `M_max` networks:
/// `error(M)² ≈ bias² + spread²/M`, both relative to ‖K‖_F.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorDecomposition {
    /// `√(Σᵢⱼ s²ᵢⱼ)/‖K‖_F`, sᵢⱼ the standard deviation of K̂ᵢⱼ over networks (O(n^{−1/2}))
    pub spread: f64,
    /// `√(max(0, ‖K̄ − K‖² − Σ s²/M_max))/‖K‖_F`, the debiased estimate of the finite-width
    /// bias (0 in expectation with one hidden layer; O(1/n) otherwise)
    pub bias: f64,
}

/// Everything measured at one width.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvergencePoint {
    /// hidden width n
    pub width: usize,
    /// networks drawn (M_max)
    pub networks: usize,
    /// one entry per sample count M of the spec
    pub errors: Vec<SampleError>,
    /// NNGP bias and spread
    pub nngp_parts: ErrorDecomposition,
    /// NTK bias and spread
    pub ntk_parts: ErrorDecomposition,
}

/// Where a run is, passed to the progress callback.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvergenceProgress {
    /// the width being sampled
    pub width: usize,
    /// networks done at this width
    pub networks_done: usize,
    /// networks per width
    pub networks: usize,
}

/// `‖A − B‖_F / ‖B‖_F`.
fn relative_error(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (a - b).norm() / b.norm()
}

fn mean_of(kernels: &[DMatrix<f64>]) -> DMatrix<f64> {
    let mut sum = DMatrix::zeros(kernels[0].nrows(), kernels[0].ncols());
    for k in kernels {
        sum += k;
    }
    sum / kernels.len() as f64
}

fn errors_for(samples: usize, draws: &[DMatrix<f64>], exact: &DMatrix<f64>) -> (usize, Spread) {
    let groups = draws.len() / samples;
    let errs: Vec<f64> = (0..groups)
        .map(|g| relative_error(&mean_of(&draws[g * samples..(g + 1) * samples]), exact))
        .collect();
    // groups ≥ 1 because samples ≤ M_max = draws.len().
    (groups, Spread::of(&errs).unwrap_or(Spread { count: 0, mean: 0.0, sd: 0.0, min: 0.0, max: 0.0 }))
}

fn decompose(draws: &[DMatrix<f64>], exact: &DMatrix<f64>) -> ErrorDecomposition {
    let m = draws.len() as f64;
    let mean = mean_of(draws);
    let scale2 = exact.norm_squared();
    let var_sum: f64 = if draws.len() < 2 {
        0.0
    } else {
        draws.iter().map(|k| (k - &mean).norm_squared()).sum::<f64>() / (m - 1.0)
    };
    let bias2 = ((&mean - exact).norm_squared() - var_sum / m).max(0.0);
    ErrorDecomposition { spread: (var_sum / scale2).sqrt(), bias: (bias2 / scale2).sqrt() }
}

/// Draws `M_max` networks of width `width`, computes each one's K̂ and Θ̂ on the spec's points
/// and the errors of the M-averages (see the module documentation). `progress` is called after
/// every network; `ControlFlow::Break(())` cancels.
///
/// # Errors
/// [`ConvergenceError`] for an invalid spec, a width not on the grid, or cancellation.
pub fn run_convergence_width<F>(
    spec: &ConvergenceSpec,
    width: usize,
    mut progress: F,
) -> Result<ConvergencePoint, ConvergenceError>
where
    F: FnMut(&ConvergenceProgress) -> ControlFlow<()>,
{
    spec.validate()?;
    if !spec.widths.contains(&width) {
        return Err(ConvergenceError::NotOnGrid(width));
    }
    let x = spec.data.matrix();
    let exact = kernels(&spec.arch, &x, &x)?;
    let batch = rows_to_batch(&x);
    let (n_pts, d) = (x.nrows(), x.ncols());
    let networks = spec.max_samples();
    let width_seed = member_seed(spec.seed, width as u64);
    let mut nngp_draws = Vec::with_capacity(networks);
    let mut ntk_draws = Vec::with_capacity(networks);
    for g in 0..networks {
        let net = Mlp::<f64>::new(&spec.arch, d, width, member_seed(width_seed, g as u64))?;
        let fac = JacobianFactors::new(&net, &batch, n_pts);
        nngp_draws.push(fac.readout_ntk(&fac));
        ntk_draws.push(fac.ntk(&fac));
        if progress(&ConvergenceProgress { width, networks_done: g + 1, networks }).is_break() {
            return Err(ConvergenceError::Cancelled);
        }
    }
    let errors = spec
        .samples
        .iter()
        .map(|&m| {
            let (groups, nngp) = errors_for(m, &nngp_draws, &exact.nngp);
            let (_, ntk) = errors_for(m, &ntk_draws, &exact.ntk);
            SampleError { samples: m, groups, nngp, ntk }
        })
        .collect();
    Ok(ConvergencePoint {
        width,
        networks,
        errors,
        nngp_parts: decompose(&nngp_draws, &exact.nngp),
        ntk_parts: decompose(&ntk_draws, &exact.ntk),
    })
}

/// Fitted log-log slopes of the mean errors of both kernels (`None` where fewer than two
/// points can be fitted).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct KernelSlopes {
    /// slope of the NNGP error
    pub nngp: Option<PowerLawFit>,
    /// slope of the NTK error
    pub ntk: Option<PowerLawFit>,
}

/// The whole study: every width's point, and the slopes in n (per M) and in M (per n).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvergenceResult {
    /// the spec it ran
    pub spec: ConvergenceSpec,
    /// one point per width, increasing
    pub points: Vec<ConvergencePoint>,
    /// per sample count M (in the spec's order): slope of error against width (CLT: −½)
    pub width_slopes: Vec<KernelSlopes>,
    /// per width (in the spec's order): slope of error against M (−½ until the bias floor)
    pub sample_slopes: Vec<KernelSlopes>,
}

impl ConvergenceResult {
    /// Orders the points by width, checks that they are exactly the spec's widths and sample
    /// counts, and fits the slopes.
    ///
    /// # Errors
    /// [`ConvergenceError::Mismatch`] for missing, duplicated or foreign points.
    pub fn assemble(
        spec: &ConvergenceSpec,
        mut points: Vec<ConvergencePoint>,
    ) -> Result<Self, ConvergenceError> {
        points.sort_by_key(|p| p.width);
        let widths: Vec<usize> = points.iter().map(|p| p.width).collect();
        if widths != spec.widths {
            return Err(ConvergenceError::Mismatch(format!("widths {widths:?}, expected {:?}", spec.widths)));
        }
        if let Some(p) =
            points.iter().find(|p| p.errors.iter().map(|e| e.samples).ne(spec.samples.iter().copied()))
        {
            return Err(ConvergenceError::Mismatch(format!("width {} has other sample counts", p.width)));
        }
        let fit = |xs: &[f64], ys: Vec<f64>| fit_slope(xs, &ys).ok();
        let ws: Vec<f64> = spec.widths.iter().map(|&w| w as f64).collect();
        let ms: Vec<f64> = spec.samples.iter().map(|&m| m as f64).collect();
        let width_slopes = (0..spec.samples.len())
            .map(|k| KernelSlopes {
                nngp: fit(&ws, points.iter().map(|p| p.errors[k].nngp.mean).collect()),
                ntk: fit(&ws, points.iter().map(|p| p.errors[k].ntk.mean).collect()),
            })
            .collect();
        let sample_slopes = points
            .iter()
            .map(|p| KernelSlopes {
                nngp: fit(&ms, p.errors.iter().map(|e| e.nngp.mean).collect()),
                ntk: fit(&ms, p.errors.iter().map(|e| e.ntk.mean).collect()),
            })
            .collect();
        Ok(ConvergenceResult { spec: spec.clone(), points, width_slopes, sample_slopes })
    }
}

/// Runs every width and assembles the result; `progress` as in [`run_convergence_width`].
///
/// # Errors
/// As [`run_convergence_width`].
pub fn run_convergence<F>(
    spec: &ConvergenceSpec,
    mut progress: F,
) -> Result<ConvergenceResult, ConvergenceError>
where
    F: FnMut(&ConvergenceProgress) -> ControlFlow<()>,
{
    spec.validate()?;
    let points = spec
        .widths
        .iter()
        .map(|&w| run_convergence_width(spec, w, &mut progress))
        .collect::<Result<Vec<_>, _>>()?;
    ConvergenceResult::assemble(spec, points)
}
