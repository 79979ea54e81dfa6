//! Synthetic regression data sets, seeded so that a link with the same seed shows the same
//! points (on every platform: targets are evaluated with `libm`'s pure-Rust functions, not the
//! platform's, so the page and the `ntk` command train on the same bits): 1-D (the neural-tangents cookbook's noisy sine, and a step) and 2-D (a smooth
//! surface, and ±1 labels in the XOR pattern of TensorFlow Playground), plus the segment
//! x(α) = αx₁ + (1 − α)x₂ between two inputs along which the paper's Figure 2 plots outputs.
//!
//! A user's own data: [`csv`] reads tables (the explorer's pasted or uploaded data, the CLI's
//! files), and [`sample_function`] samples a target given as a function of x.
//!
//! Every run on given points carries them as one [`ExplicitData`] (training and test inputs
//! and targets), checked by its one validation ([`ExplicitData::validate`], [`DataError`]).

pub mod csv;
mod explicit;
pub mod formula;
mod function;

pub use explicit::{check_training, DataError, ExplicitData, PointSet};
pub use function::{sample_function, SampleError, MAX_SAMPLED_POINTS};

use serde::{Deserialize, Serialize};

use crate::rng::Normal;

/// Number of test points on the plotting grid.
pub const TEST_POINTS: usize = 101;
/// Inputs are drawn from, and tested on, [−π, π] (as in the cookbook).
pub const X_RANGE: (f64, f64) = (-std::f64::consts::PI, std::f64::consts::PI);

/// Which target function the training points sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target1d {
    /// y = sin x (the neural-tangents cookbook)
    Sin,
    /// y = sign x (a discontinuity the kernels must smooth over)
    Step,
}

impl Target1d {
    /// Every target name, for selects and the URL.
    pub const NAMES: [&'static str; 2] = ["sin", "step"];

    /// The noiseless target y(x).
    pub fn eval(self, x: f64) -> f64 {
        match self {
            Target1d::Sin => libm::sin(x),
            Target1d::Step => {
                if x < 0.0 {
                    -1.0
                } else {
                    1.0
                }
            }
        }
    }

    /// Its name in the URL and the UI.
    pub fn name(self) -> &'static str {
        match self {
            Target1d::Sin => "sin",
            Target1d::Step => "step",
        }
    }

    /// Parses a name of [`Target1d::NAMES`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sin" => Some(Target1d::Sin),
            "step" => Some(Target1d::Step),
            _ => None,
        }
    }
}

/// A 1-D regression problem: training points with noisy targets, and a test grid with the
/// noiseless targets.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset1d {
    /// training inputs (sorted)
    pub x_train: Vec<f64>,
    /// training targets y = target(x) + noise·z, z ~ N(0, 1)
    pub y_train: Vec<f64>,
    /// test grid: [`TEST_POINTS`] evenly spaced points of [`X_RANGE`]
    pub x_test: Vec<f64>,
    /// noiseless targets on the test grid
    pub y_test: Vec<f64>,
}

impl Dataset1d {
    /// `n_train` inputs uniform on [−π, π] (seeded), targets with Gaussian noise of standard
    /// deviation `noise`.
    pub fn generate(target: Target1d, n_train: usize, noise: f64, seed: u64) -> Self {
        Self::generate_with(|x| target.eval(x), n_train, noise, seed)
    }

    /// As [`Dataset1d::generate`] for any target function `f` (the same draws for the same
    /// seed: a typed formula, [`formula::Formula`]).
    pub fn generate_with(f: impl Fn(f64) -> f64, n_train: usize, noise: f64, seed: u64) -> Self {
        let (lo, hi) = X_RANGE;
        let mut rng = Normal::new(seed);
        let mut x_train: Vec<f64> = (0..n_train).map(|_| lo + (hi - lo) * rng.uniform()).collect();
        x_train.sort_by(f64::total_cmp);
        let y_train = x_train.iter().map(|&x| f(x) + noise * rng.sample()).collect();
        let x_test: Vec<f64> =
            (0..TEST_POINTS).map(|i| lo + (hi - lo) * i as f64 / (TEST_POINTS - 1) as f64).collect();
        let y_test = x_test.iter().map(|&x| f(x)).collect();
        Dataset1d { x_train, y_train, x_test, y_test }
    }
}

impl From<Dataset1d> for ExplicitData {
    /// The set as explicit points: each input x the point `[x]`, the grid's noiseless targets
    /// as the test targets.
    fn from(d: Dataset1d) -> Self {
        ExplicitData::from_1d(&d.x_train, d.y_train, &d.x_test, Some(d.y_test))
    }
}

/// Points per side of the 2-D test grid (the heatmaps): [`GRID_SIDE`]² points of [`X_RANGE`]².
pub const GRID_SIDE: usize = 21;

/// Which target function a 2-D data set samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target2d {
    /// the smooth surface y = sin x₁ · cos(x₂/2)
    Surface,
    /// ±1 labels, y = sign(x₁ x₂) (TensorFlow Playground's XOR set), fitted by regression
    Xor,
    /// ±1 labels: +1 inside the circle |x| < 2, −1 outside (concentric classes)
    Circles,
    /// ±1 labels of two interleaved spirals r = (θ + πk)/3: y = sign cos(3|x| − atan2(x₂, x₁))
    Spirals,
}

impl Target2d {
    /// Every target name, for selects and the URL.
    pub const NAMES: [&'static str; 4] = ["surface", "xor", "circles", "spirals"];

    /// The noiseless target y(x₁, x₂).
    pub fn eval(self, x: [f64; 2]) -> f64 {
        match self {
            Target2d::Surface => libm::sin(x[0]) * libm::cos(0.5 * x[1]),
            Target2d::Xor => sign(x[0] * x[1]),
            Target2d::Circles => sign(2.0 - libm::hypot(x[0], x[1])),
            Target2d::Spirals => sign(libm::cos(3.0 * libm::hypot(x[0], x[1]) - libm::atan2(x[1], x[0]))),
        }
    }

    /// Whether its targets are ±1 labels (a classification set).
    pub fn is_classification(self) -> bool {
        !matches!(self, Target2d::Surface)
    }

    /// Its name in the URL and the UI.
    pub fn name(self) -> &'static str {
        match self {
            Target2d::Surface => "surface",
            Target2d::Xor => "xor",
            Target2d::Circles => "circles",
            Target2d::Spirals => "spirals",
        }
    }

    /// Parses a name of [`Target2d::NAMES`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "surface" => Some(Target2d::Surface),
            "xor" => Some(Target2d::Xor),
            "circles" => Some(Target2d::Circles),
            "spirals" => Some(Target2d::Spirals),
            _ => None,
        }
    }
}

/// A 2-D regression problem: training points with noisy targets, and the heatmap grid with the
/// noiseless targets.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset2d {
    /// training inputs
    pub x_train: Vec<[f64; 2]>,
    /// training targets y = target(x) + noise·z, z ~ N(0, 1)
    pub y_train: Vec<f64>,
    /// test grid, row by row: point `r·GRID_SIDE + c` is (x₁, x₂) = (`grid[c]`, `grid[r]`), so row 0
    /// is the smallest x₂
    pub x_grid: Vec<[f64; 2]>,
    /// noiseless targets on the grid
    pub y_grid: Vec<f64>,
}

impl Dataset2d {
    /// `n_train` inputs uniform on [−π, π]² (seeded), targets with Gaussian noise of standard
    /// deviation `noise`.
    pub fn generate(target: Target2d, n_train: usize, noise: f64, seed: u64) -> Self {
        let (lo, hi) = X_RANGE;
        let mut rng = Normal::new(seed);
        let x_train: Vec<[f64; 2]> = (0..n_train)
            .map(|_| {
                let a = lo + (hi - lo) * rng.uniform();
                [a, lo + (hi - lo) * rng.uniform()]
            })
            .collect();
        let y_train = x_train.iter().map(|&x| target.eval(x) + noise * rng.sample()).collect();
        let axis: Vec<f64> =
            (0..GRID_SIDE).map(|i| lo + (hi - lo) * i as f64 / (GRID_SIDE - 1) as f64).collect();
        let x_grid: Vec<[f64; 2]> =
            axis.iter().flat_map(|&x2| axis.iter().map(move |&x1| [x1, x2])).collect();
        let y_grid = x_grid.iter().map(|&x| target.eval(x)).collect();
        Dataset2d { x_train, y_train, x_grid, y_grid }
    }
}

impl From<Dataset2d> for ExplicitData {
    /// The set as explicit points: the grid as the test points, with its noiseless targets.
    fn from(d: Dataset2d) -> Self {
        let points = |v: &[[f64; 2]]| v.iter().map(|p| p.to_vec()).collect();
        ExplicitData {
            x_train: points(&d.x_train),
            y_train: d.y_train,
            x_test: points(&d.x_grid),
            y_test: Some(d.y_grid),
        }
    }
}

/// A name that is no generated set.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown data set '{0}' (expected one of {names})", names = NAMED_SETS.join(", "))]
pub struct UnknownSet(pub String);

/// The names [`named_set`] knows: 1-D regression (sin, step), 2-D regression (surface), 2-D
/// classification with ±1 labels (xor, circles, spirals).
pub const NAMED_SETS: [&str; 6] = ["sin", "step", "surface", "xor", "circles", "spirals"];

/// The generated set `name` with `n_train` training points drawn with `seed`, with its test
/// points (the 1-D grid of [`TEST_POINTS`], or the [`GRID_SIDE`]² grid) and their noiseless
/// targets: what the one-network view shows and `ntk single --data NAME` trains on, point for
/// point ([`Dataset1d::generate`] or [`Dataset2d::generate`]). The classification sets (xor,
/// circles, spirals) keep exact ±1 labels (`noise` applies to the regression sets only), so
/// cross-entropy can train on them.
///
/// # Errors
/// [`UnknownSet`] for a name not in [`NAMED_SETS`].
pub fn named_set(name: &str, n_train: usize, noise: f64, seed: u64) -> Result<ExplicitData, UnknownSet> {
    if let Some(t) = Target1d::from_name(name) {
        return Ok(Dataset1d::generate(t, n_train, noise, seed).into());
    }
    let t = Target2d::from_name(name).ok_or_else(|| UnknownSet(name.to_string()))?;
    let noise = if t.is_classification() { 0.0 } else { noise };
    Ok(Dataset2d::generate(t, n_train, noise, seed).into())
}

/// `+1` for v ≥ 0, `−1` below (a label).
fn sign(v: f64) -> f64 {
    if v < 0.0 {
        -1.0
    } else {
        1.0
    }
}

/// The points x(α) = α x₁ + (1 − α) x₂ of the segment through `x1` (α = 1) and `x2` (α = 0),
/// one per α (the inputs of the paper's Figure 2).
pub fn segment(x1: &[f64], x2: &[f64], alphas: &[f64]) -> Vec<Vec<f64>> {
    alphas.iter().map(|&a| x1.iter().zip(x2).map(|(p, q)| a * p + (1.0 - a) * q).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_points_in_range_with_noise_of_the_right_size() {
        let a = Dataset1d::generate(Target1d::Sin, 400, 0.1, 3);
        assert_eq!(a, Dataset1d::generate(Target1d::Sin, 400, 0.1, 3));
        assert_ne!(a, Dataset1d::generate(Target1d::Sin, 400, 0.1, 4));
        assert!(a.x_train.iter().all(|x| (-std::f64::consts::PI..std::f64::consts::PI).contains(x)));
        assert!(a.x_train.windows(2).all(|w| w[0] <= w[1]));
        let resid: Vec<f64> = a.x_train.iter().zip(&a.y_train).map(|(x, y)| y - x.sin()).collect();
        let sd = (resid.iter().map(|r| r * r).sum::<f64>() / resid.len() as f64).sqrt();
        // 400 draws: the sample sd of N(0, 0.1²) is within 0.1·(1 ± 4/√800) w.p. > 0.9999.
        assert!((sd - 0.1).abs() < 0.1 * 4.0 / 800f64.sqrt(), "noise sd {sd}");
        assert_eq!(a.x_test.len(), TEST_POINTS);
        assert_eq!(a.x_test[0], -std::f64::consts::PI);
        assert!((a.x_test[TEST_POINTS - 1] - std::f64::consts::PI).abs() < 1e-15);
        let step = Dataset1d::generate(Target1d::Step, 5, 0.0, 1);
        assert!(step.x_train.iter().zip(&step.y_train).all(|(x, y)| *y == if *x < 0.0 { -1.0 } else { 1.0 }));
    }
    #[test]
    fn two_d_sets_are_seeded_with_their_targets_on_a_row_major_grid() {
        let a = Dataset2d::generate(Target2d::Xor, 300, 0.0, 5);
        assert_eq!(a, Dataset2d::generate(Target2d::Xor, 300, 0.0, 5));
        assert_ne!(a.x_train, Dataset2d::generate(Target2d::Xor, 300, 0.0, 6).x_train);
        // Classification sets: noiseless labels ±1, both classes well represented.
        for target in [Target2d::Xor, Target2d::Circles, Target2d::Spirals] {
            let d = Dataset2d::generate(target, 400, 0.0, 1);
            assert!(d.y_train.iter().all(|&y| y == 1.0 || y == -1.0));
            let positive = d.y_train.iter().filter(|&&y| y > 0.0).count();
            assert!((60..340).contains(&positive), "{}: {positive} of 400 positive", target.name());
            assert_eq!(Target2d::from_name(target.name()), Some(target));
        }
        // The spirals' arms: points on r = θ/3 are +1, on r = (θ + π)/3 are −1.
        for t in [0.5f64, 2.0, 4.0] {
            let (r1, r2) = (t / 3.0, (t + std::f64::consts::PI) / 3.0);
            assert_eq!(Target2d::Spirals.eval([r1 * t.cos(), r1 * t.sin()]), 1.0);
            assert_eq!(Target2d::Spirals.eval([r2 * t.cos(), r2 * t.sin()]), -1.0);
        }
        let inside = |v: f64| (-std::f64::consts::PI..std::f64::consts::PI).contains(&v);
        assert!(a.x_train.iter().all(|x| inside(x[0]) && inside(x[1])));
        assert!(a.x_train.iter().zip(&a.y_train).all(|(x, y)| *y == (x[0] * x[1]).signum()));
        // Both labels occur about equally often (300 draws: |fraction − ½| < 0.15 w.p. > 0.9999).
        let pos = a.y_train.iter().filter(|y| **y > 0.0).count() as f64 / 300.0;
        assert!((pos - 0.5).abs() < 0.15, "{pos}");
        assert_eq!(a.x_grid.len(), GRID_SIDE * GRID_SIDE);
        assert_eq!(a.x_grid[0], [-std::f64::consts::PI, -std::f64::consts::PI]);
        assert_eq!(a.x_grid[1][1], -std::f64::consts::PI, "x₁ varies fastest along a row");
        assert_eq!(a.x_grid[GRID_SIDE][0], -std::f64::consts::PI, "row 1 starts at x₁ = −π");
        let s = Dataset2d::generate(Target2d::Surface, 3, 0.0, 1);
        assert!(s.x_grid.iter().zip(&s.y_grid).all(|(x, y)| *y == libm::sin(x[0]) * libm::cos(0.5 * x[1])));
        assert!(s.x_train.iter().zip(&s.y_train).all(|(x, y)| *y == Target2d::Surface.eval(*x)));
    }

    #[test]
    fn segment_runs_from_x2_at_alpha_0_to_x1_at_alpha_1() {
        let pts = segment(&[1.0, 2.0], &[-3.0, 0.5], &[0.0, 0.25, 1.0, 1.5]);
        assert_eq!(pts[0], vec![-3.0, 0.5]);
        assert_eq!(pts[1], vec![-2.0, 0.875]);
        assert_eq!(pts[2], vec![1.0, 2.0]);
        assert_eq!(pts[3], vec![3.0, 2.75]);
    }
}
