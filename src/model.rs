//! From the page's parameters to the core's inputs and outputs: the data set, the ensemble
//! job for the workers, and the analytic predictions (computed on the main thread: for the
//! page's sizes — at most 40 training and 101 test points — a kernel and its eigenbasis take
//! well under a millisecond, so the theory follows every slider input).

use nalgebra::{DMatrix, DVector};
use ntk_core::datasets::Dataset1d;
use ntk_core::ensemble::{EnsembleSpec, EnsembleSummary};
use ntk_core::gp::{ExpectedLoss, GpDynamics, MarginalPrediction, TrainingTime};
use ntk_core::landmarks::LearningRateLandmarks;
use ntk_core::Architecture;

use crate::state::ExplorerParams;

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

/// The seeded data set of the parameters.
pub fn dataset(p: &ExplorerParams) -> Dataset1d {
    Dataset1d::generate(p.target, p.n_train, p.noise, p.seed)
}

fn column(x: &[f64]) -> DMatrix<f64> {
    DMatrix::from_column_slice(x.len(), 1, x)
}

/// NTK-GP and NNGP dynamics for the parameters and data.
///
/// # Errors
/// The core's message (invalid architecture, kernels that are not finite).
pub fn theory(p: &ExplorerParams, data: &Dataset1d) -> Result<Theory, String> {
    let arch = architecture(p)?;
    let y = DVector::from_column_slice(&data.y_train);
    let dynamics = GpDynamics::new(&arch, &column(&data.x_train), &y, &column(&data.x_test), 0.0)
        .map_err(|e| e.to_string())?;
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
        y_test: &[f64],
    ) -> Vec<(ExpectedLoss, ExpectedLoss)> {
        // `loss_curves` projects the test targets once for all times (bit-identical to
        // calling `ntk_loss` / `nngp_loss` per time).
        let y = DVector::from_column_slice(y_test);
        let times: Vec<TrainingTime> =
            steps.iter().map(|&k| TrainingTime::Steps { steps: k, learning_rate }).collect();
        match self.dynamics.loss_curves(&times, Some(&y)) {
            Ok(c) => c.ntk.into_iter().zip(c.nngp).collect(),
            Err(_) => {
                let nan = ExpectedLoss { train: f64::NAN, test: None };
                vec![(nan, nan); steps.len()]
            }
        }
    }
}

/// The ensemble job of the parameters (network outputs on the data set's test grid).
pub fn ensemble_spec(p: &ExplorerParams, data: &Dataset1d) -> Result<EnsembleSpec, String> {
    let spec = EnsembleSpec {
        arch: architecture(p)?,
        width: p.width,
        x_train: data.x_train.iter().map(|&x| vec![x]).collect(),
        y_train: data.y_train.clone(),
        x_test: data.x_test.iter().map(|&x| vec![x]).collect(),
        y_test: Some(data.y_test.clone()),
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
