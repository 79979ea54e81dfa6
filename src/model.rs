//! From the page's parameters to the core's inputs and outputs: the data set (the problem),
//! the ensemble job for the workers, and the analytic predictions (computed on the main
//! thread: for the page's sizes — at most 40 training points, 101 test points in 1-D and
//! 21² + 61 in 2-D — kernels and their eigenbasis take about a millisecond with the closed-form
//! activations, so the theory follows every slider input).

use nalgebra::{DMatrix, DVector};
use ntk_core::datasets::{segment, Dataset1d, Dataset2d, GRID_SIDE, TEST_POINTS, X_RANGE};
use ntk_core::nets::ensemble::{EnsembleSpec, EnsembleSummary};
use ntk_core::theory::gp::{ExpectedLoss, GpDynamics, GpKernels, MarginalPrediction, TrainingTime};
use ntk_core::theory::landmarks::LearningRateLandmarks;
use ntk_core::Architecture;

use crate::state::{DataChoice, ExplorerParams};

/// Values of α along the segment of the paper's Figure 2 (x₂ at α = 0, x₁ at α = 1; a margin
/// on both sides shows the functions beyond the two points).
pub const SEGMENT_ALPHAS: (f64, f64, usize) = (-0.25, 1.25, 61);

/// Most training FLOP one page run may ask for (about 5 minutes on two cores in the browser).
pub const MAX_JOB_FLOP: f64 = 3e12;
/// Checkpoints recorded per member.
pub const CHECKPOINTS: usize = 40;

/// The analytic side of a view: NTK-GP and NNGP dynamics on the data set, and the learning-rate
/// landmarks of the train NTK.
pub struct Theory {
    /// the GP dynamics (paper Eq. 13–16)
    pub dynamics: GpDynamics,
    /// η_max = 2N/λ_max and η_critical = 2N/(λ_min + λ_max)
    pub landmarks: LearningRateLandmarks,
}

/// Mean and marginal variance of both GPs at one time.
pub struct TheoryAt {
    /// NTK-GP (every layer trained)
    pub ntk: MarginalPrediction,
    /// NNGP (readout only trained)
    pub nngp: MarginalPrediction,
}

/// The architecture of the parameters.
///
/// # Errors
/// The core's message for an invalid architecture.
pub fn architecture(p: &ExplorerParams) -> Result<Architecture, String> {
    Architecture::new(p.depth, p.activation, p.sw2, p.sb2, p.param).map_err(|e| e.to_string())
}

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

/// The seeded (or user-placed) data set of the parameters.
///
/// # Errors
/// A message when there is nothing to train on (the user set without points).
pub fn problem(p: &ExplorerParams) -> Result<Problem, String> {
    if let Some(target) = p.data.target_2d() {
        let d = Dataset2d::generate(target, p.n_train, p.noise, p.seed);
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
    if p.data == DataChoice::User {
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
    let target = p.data.target_1d().unwrap_or(ntk_core::datasets::Target1d::Sin);
    let d = Dataset1d::generate(target, p.n_train, p.noise, p.seed);
    Ok(Problem {
        x_train: d.x_train.iter().map(|&x| vec![x]).collect(),
        y_train: d.y_train,
        x_test: d.x_test.iter().map(|&x| vec![x]).collect(),
        y_test: Some(d.y_test),
        layout: Layout::Line,
    })
}

fn rows(x: &[Vec<f64>]) -> DMatrix<f64> {
    let d = x.first().map_or(1, Vec::len);
    DMatrix::from_fn(x.len(), d, |i, j| x[i][j])
}

/// NTK-GP and NNGP dynamics for the parameters and data.
///
/// # Errors
/// The core's message (invalid architecture, kernels that are not finite).
pub fn theory(p: &ExplorerParams, data: &Problem) -> Result<Theory, String> {
    let arch = architecture(p)?;
    let y = DVector::from_column_slice(&data.y_train);
    let dynamics = GpDynamics::new(&arch, &rows(&data.x_train), &y, &rows(&data.x_test), 0.0)
        .map_err(|e| e.to_string())?;
    let landmarks = dynamics.landmarks();
    Ok(Theory { dynamics, landmarks })
}

/// The theory from kernels computed elsewhere (the kernel worker) for the same parameters.
///
/// # Errors
/// The core's message (kernels that do not fit the data, singular kernels).
pub fn theory_from_kernels(p: &ExplorerParams, data: &Problem, k: &GpKernels) -> Result<Theory, String> {
    let arch = architecture(p)?;
    let y = DVector::from_column_slice(&data.y_train);
    let dynamics =
        GpDynamics::from_gp_kernels(&arch, &rows(&data.x_test), k, &y, 0.0).map_err(|e| e.to_string())?;
    let landmarks = dynamics.landmarks();
    Ok(Theory { dynamics, landmarks })
}

impl Theory {
    /// Both GPs after `step` steps of learning rate η (paper Eq. 14–16, discrete-step form).
    pub fn at_step(&self, step: u64, learning_rate: f64) -> TheoryAt {
        let time = TrainingTime::Steps { steps: step, learning_rate };
        TheoryAt { ntk: self.dynamics.ntk_gp_marginal(time), nngp: self.dynamics.nngp_marginal(time) }
    }

    /// Expected train and test losses of both GPs at each step (NTK-GP, NNGP).
    pub fn losses(
        &self,
        steps: &[u64],
        learning_rate: f64,
        y_test: Option<&[f64]>,
    ) -> Vec<(ExpectedLoss, ExpectedLoss)> {
        // `loss_curves` projects the test targets once for all times (bit-identical to
        // calling `ntk_loss` / `nngp_loss` per time).
        let y = y_test.map(DVector::from_column_slice);
        let times: Vec<TrainingTime> =
            steps.iter().map(|&k| TrainingTime::Steps { steps: k, learning_rate }).collect();
        match self.dynamics.loss_curves(&times, y.as_ref()) {
            Ok(c) => c.ntk.into_iter().zip(c.nngp).collect(),
            Err(_) => {
                let nan = ExpectedLoss { train: f64::NAN, test: None };
                vec![(nan, nan); steps.len()]
            }
        }
    }
}

/// The ensemble job of the parameters (network outputs on the problem's test points).
pub fn ensemble_spec(p: &ExplorerParams, data: &Problem) -> Result<EnsembleSpec, String> {
    let spec = EnsembleSpec {
        arch: architecture(p)?,
        width: p.width,
        x_train: data.x_train.clone(),
        y_train: data.y_train.clone(),
        x_test: data.x_test.clone(),
        y_test: data.y_test.clone(),
        learning_rate: p.lr,
        steps: p.steps,
        momentum: 0.0,
        readout_only: false,
        seed: p.seed,
        members: p.members,
        checkpoints: CHECKPOINTS,
    };
    spec.validate().map_err(|e| e.to_string())?;
    Ok(spec)
}

/// Refuses jobs that would not finish in a browser tab in reasonable time, before any work.
///
/// # Errors
/// A message with the size of the job and what to reduce.
pub fn check_workload(spec: &EnsembleSpec) -> Result<(), String> {
    let flop = spec.flops_per_step() * spec.steps as f64 * spec.members as f64;
    if flop > MAX_JOB_FLOP {
        return Err(format!(
            "this ensemble needs {:.1e} FLOP (width × members × steps too large for a browser tab; \
             the limit is {:.0e}): reduce width, members or steps",
            flop, MAX_JOB_FLOP
        ));
    }
    Ok(())
}

/// The checkpoint of `summary` nearest to `step` (by step).
pub fn nearest_checkpoint(summary: &EnsembleSummary, step: u64) -> Option<usize> {
    summary.checkpoints.iter().enumerate().min_by_key(|(_, c)| c.step.abs_diff(step)).map(|(i, _)| i)
}
