//! The explorer's data set as the page shows it (the problem): training and test points, the
//! targets, and how the test points are laid out for plotting (a 1-D grid, or a 2-D grid plus
//! the segment of the paper's Figure 2).

use nalgebra::DMatrix;
use ntk_core::datasets::{segment, Dataset1d, Dataset2d, GRID_SIDE, TEST_POINTS, X_RANGE};

use crate::params::explorer::{DataChoice, DataParams};

/// Values of α along the segment of the paper's Figure 2 (x₂ at α = 0, x₁ at α = 1; a margin
/// on both sides shows the functions beyond the two points).
pub const SEGMENT_ALPHAS: (f64, f64, usize) = (-0.25, 1.25, 61);

/// How the test points of a problem are laid out for plotting.
#[derive(Clone, Debug, PartialEq)]
pub enum Layout {
    /// 1-D: the test points are a grid of the x axis
    Line,
    /// 2-D: the first `GRID_SIDE²` test points are the heatmap grid (row-major, see
    /// [`Dataset2d`]); if the segment's ends are two distinct training points, the next ones are
    /// x(α) for each of `alphas`
    Plane {
        /// α of each segment point (empty when there is no segment)
        alphas: Vec<f64>,
        /// training-point indices of x₁ and x₂ (after clamping to the training set)
        ends: (usize, usize),
    },
}

/// A regression problem as the page shows it: training and test points in d = 1 or 2
/// dimensions, the noiseless targets on the test points when there are any (generated sets),
/// and the layout of the test points.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// training inputs (each of length d)
    pub x_train: Vec<Vec<f64>>,
    /// training targets
    pub y_train: Vec<f64>,
    /// test inputs
    pub x_test: Vec<Vec<f64>>,
    /// noiseless targets at the test inputs (`None` for the user's points)
    pub y_test: Option<Vec<f64>>,
    /// how the test points are plotted
    pub layout: Layout,
}

impl Problem {
    /// Input dimension d.
    pub fn dim(&self) -> usize {
        self.x_train.first().or(self.x_test.first()).map_or(1, Vec::len)
    }

    /// Range of the test points that lie on the plotted line: the whole 1-D grid, or the
    /// segment of a 2-D set.
    pub fn line_points(&self) -> std::ops::Range<usize> {
        match &self.layout {
            Layout::Line => 0..self.x_test.len(),
            Layout::Plane { alphas, .. } => GRID_SIDE * GRID_SIDE..GRID_SIDE * GRID_SIDE + alphas.len(),
        }
    }

    /// The abscissa of each line point: x in 1-D, α on the segment in 2-D.
    pub fn line_abscissa(&self) -> Vec<f64> {
        match &self.layout {
            Layout::Line => self.x_test.iter().map(|x| x[0]).collect(),
            Layout::Plane { alphas, .. } => alphas.clone(),
        }
    }

    /// Training points drawn on the line plot as (abscissa, target): all of them in 1-D, the
    /// segment's two ends (α = 1 and α = 0) in 2-D.
    pub fn line_train(&self) -> Vec<(f64, f64)> {
        match &self.layout {
            Layout::Line => self.x_train.iter().zip(&self.y_train).map(|(x, &y)| (x[0], y)).collect(),
            Layout::Plane { alphas, ends } if !alphas.is_empty() => {
                vec![(1.0, self.y_train[ends.0]), (0.0, self.y_train[ends.1])]
            }
            Layout::Plane { .. } => vec![],
        }
    }
}

fn evenly(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n).map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64).collect()
}

/// The seeded (or user-placed) data set.
///
/// # Errors
/// A message when there is nothing to train on (the user set without points).
pub fn problem(p: &DataParams, seed: u64) -> Result<Problem, String> {
    if let Some(target) = p.set.target_2d() {
        let d = Dataset2d::generate(target, p.n_train, p.noise, seed);
        let last = d.x_train.len().saturating_sub(1);
        let ends = (p.seg.0.min(last), p.seg.1.min(last));
        let alphas = if ends.0 == ends.1 {
            vec![]
        } else {
            evenly(SEGMENT_ALPHAS.0, SEGMENT_ALPHAS.1, SEGMENT_ALPHAS.2)
        };
        let x_train: Vec<Vec<f64>> = d.x_train.iter().map(|x| x.to_vec()).collect();
        let seg = segment(&x_train[ends.0], &x_train[ends.1], &alphas);
        let mut y_test = d.y_grid;
        y_test.extend(seg.iter().map(|x| target.eval([x[0], x[1]])));
        let mut x_test: Vec<Vec<f64>> = d.x_grid.iter().map(|x| x.to_vec()).collect();
        x_test.extend(seg);
        return Ok(Problem {
            x_train,
            y_train: d.y_train,
            x_test,
            y_test: Some(y_test),
            layout: Layout::Plane { alphas, ends },
        });
    }
    if p.set == DataChoice::User {
        if p.points.is_empty() {
            return Err("no training points: click on the plot to add some".to_string());
        }
        return Ok(Problem {
            x_train: p.points.iter().map(|&(x, _)| vec![x]).collect(),
            y_train: p.points.iter().map(|&(_, y)| y).collect(),
            x_test: evenly(X_RANGE.0, X_RANGE.1, TEST_POINTS).into_iter().map(|x| vec![x]).collect(),
            y_test: None,
            layout: Layout::Line,
        });
    }
    let target = p.set.target_1d().unwrap_or(ntk_core::datasets::Target1d::Sin);
    let d = Dataset1d::generate(target, p.n_train, p.noise, seed);
    Ok(Problem {
        x_train: d.x_train.iter().map(|&x| vec![x]).collect(),
        y_train: d.y_train,
        x_test: d.x_test.iter().map(|&x| vec![x]).collect(),
        y_test: Some(d.y_test),
        layout: Layout::Line,
    })
}

/// Points (one per entry) as the rows of a matrix.
pub fn rows(x: &[Vec<f64>]) -> DMatrix<f64> {
    let d = x.first().map_or(1, Vec::len);
    DMatrix::from_fn(x.len(), d, |i, j| x[i][j])
}
