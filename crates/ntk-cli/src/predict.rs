//! `ntk predict`: NNGP and NTK-GP predictions (mean, variance) on test points at training
//! times (paper Eq. 13–16, mean-loss convention), plus the learning-rate landmarks.

use std::path::PathBuf;

use nalgebra::DVector;
use ntk_core::theory::gp::{GpDynamics, GpError, MarginalPrediction, TrainingTime};
use ntk_core::Parameterization;
use serde_json::json;

use crate::arch_args::ArchArgs;
use crate::input::{read_rows, read_train, same_dimension};
use crate::kernel::to_matrix;
use crate::CliError;

/// Flags of `ntk predict`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub arch: ArchArgs,
    /// Training CSV: one point per row, no header; the last column is the target y.
    #[arg(long, value_name = "FILE")]
    pub train: PathBuf,
    /// Test CSV: one point per row (same dimension as the training inputs).
    #[arg(long, value_name = "FILE")]
    pub test: PathBuf,
    /// Comma-separated training times t = learning rate × steps (gradient flow), ≥ 0;
    /// `inf` for the end of training (the NNGP posterior).
    #[arg(long, value_name = "T1,T2,…", allow_negative_numbers = true, value_delimiter = ',', num_args = 1.., value_parser = parse_time, default_value = "inf")]
    pub time: Vec<TrainingTime>,
    /// Diagonal regularizer added to the train kernels before inverting (≥ 0).
    #[arg(long, value_name = "R", default_value_t = 0.0, allow_negative_numbers = true)]
    pub diag_reg: f64,
}

/// Parses `1.5`, `0`, `inf` into a training time.
pub(crate) fn parse_time(s: &str) -> Result<TrainingTime, String> {
    let s = s.trim();
    if matches!(s.to_ascii_lowercase().as_str(), "inf" | "infinity" | "∞") {
        return Ok(TrainingTime::Infinite);
    }
    let t: f64 = s.parse().map_err(|_| format!("'{s}' is not a time (a number ≥ 0 or inf)"))?;
    let time = if t == f64::INFINITY { TrainingTime::Infinite } else { TrainingTime::Continuous(t) };
    time.validate().map_err(|e| e.to_string())?;
    Ok(time)
}

fn marginal_json(p: &MarginalPrediction) -> serde_json::Value {
    json!({ "mean": p.mean.as_slice(), "var": p.var.as_slice() })
}

fn gp_error(e: GpError) -> CliError {
    match e {
        GpError::NonFiniteKernel(_) | GpError::Decomposition(_) => CliError::failed(e),
        _ => CliError::bad_input(e),
    }
}

/// Runs `ntk predict`.
///
/// # Errors
/// [`CliError::BadInput`] for bad files, hyperparameters or times; [`CliError::Failed`] if
/// the train kernel cannot be decomposed.
pub fn run(args: &Args) -> Result<serde_json::Value, CliError> {
    let arch = args.arch.architecture(Parameterization::Ntk)?;
    let train = read_train(&args.train)?;
    let test = read_rows(&args.test)?;
    same_dimension(&train.x, &args.train, &test, &args.test)?;
    let dynamics = GpDynamics::new(
        &arch,
        &to_matrix(&train.x),
        &DVector::from_vec(train.y.clone()),
        &to_matrix(&test),
        args.diag_reg,
    )
    .map_err(gp_error)?;
    let times: Vec<serde_json::Value> = args
        .time
        .iter()
        .map(|&t| {
            json!({
                "time": t.time(),
                "nngp": marginal_json(&dynamics.nngp_marginal(t)),
                "ntk": marginal_json(&dynamics.ntk_gp_marginal(t)),
            })
        })
        .collect();
    let landmarks = dynamics.landmarks();
    let reg = dynamics.regularization();
    Ok(json!({
        "times": times,
        "eta_max": landmarks.eta_max,
        "eta_critical": landmarks.eta_critical,
        "regularization": {
            "applied": reg.is_applied(),
            "diag_reg": reg.diag_reg,
            "ntk_jitter": reg.ntk_jitter,
            "nngp_jitter": reg.nngp_jitter,
        },
    }))
}
