//! `ntk convergence`: the empirical NNGP kernel and NTK of M randomly initialised networks of
//! width n, averaged, against the analytic kernels (paper SM I, Figures S9–S10): relative
//! Frobenius errors per width and sample count, the bias/spread decomposition, and the fitted
//! slopes in n (per M) and in M (per n). Widths run in parallel.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use ntk_core::experiments::kernel_convergence::{
    run_convergence_width, ConvergenceData, ConvergenceError, ConvergenceResult, ConvergenceSpec,
};
use ntk_core::experiments::widths::log2_grid;
use ntk_core::Parameterization;

use crate::arch_args::ArchArgs;
use crate::input::read_rows;
use crate::parallel::{first_error, run_jobs, thread_count};
use crate::CliError;

/// Flags of `ntk convergence`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub arch: ArchArgs,
    /// Comma-separated hidden widths, strictly increasing (instead of --min-width/--max-width).
    #[arg(long, value_name = "N1,N2,…", value_delimiter = ',', num_args = 1..,
          conflicts_with_all = ["min_width", "max_width"])]
    pub widths: Option<Vec<usize>>,
    /// Smallest width of the doubling grid.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub min_width: usize,
    /// Largest width of the doubling grid.
    #[arg(long, value_name = "N", default_value_t = 512)]
    pub max_width: usize,
    /// Comma-separated Monte Carlo sample counts M, strictly increasing; the largest is the
    /// number of networks drawn per width.
    #[arg(long, value_name = "M1,M2,…", value_delimiter = ',', num_args = 1.., default_value = "1,4,16,64")]
    pub samples: Vec<usize>,
    /// Number of N(0, 1) input points (paper SM I).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub points: usize,
    /// Input dimension of the generated points.
    #[arg(long, value_name = "D", default_value_t = 16)]
    pub dim: usize,
    /// Seed of the generated points.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub data_seed: u64,
    /// CSV of points (one per row) instead of generated ones.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["points", "dim", "data_seed"])]
    pub x: Option<PathBuf>,
    /// Seed of the networks.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
}

fn convergence_error(e: ConvergenceError) -> CliError {
    match e {
        ConvergenceError::Kernel(_) | ConvergenceError::Cancelled | ConvergenceError::Mismatch(_) => {
            CliError::failed(e)
        }
        _ => CliError::bad_input(e),
    }
}

/// Runs `ntk convergence`.
///
/// # Errors
/// [`CliError::BadInput`] for bad flags or files, [`CliError::Failed`] if a run fails.
pub fn run(args: &Args) -> Result<serde_json::Value, CliError> {
    let arch = args.arch.architecture(Parameterization::Ntk)?;
    let widths = match &args.widths {
        Some(w) => w.clone(),
        None => log2_grid(args.min_width, args.max_width, 1).map_err(CliError::bad_input)?,
    };
    let data = match &args.x {
        Some(p) => ConvergenceData::Points { x: read_rows(p)? },
        None => ConvergenceData::Gaussian { points: args.points, dim: args.dim, seed: args.data_seed },
    };
    let spec = ConvergenceSpec { arch, data, widths, samples: args.samples.clone(), seed: args.seed };
    spec.validate().map_err(convergence_error)?;
    // Largest widths first, so that the slowest job does not start last.
    let order: Vec<usize> = spec.widths.iter().rev().copied().collect();
    let threads = thread_count(args.threads, order.len())?;
    let results = run_jobs(order.len(), threads, |i, stop| {
        run_convergence_width(&spec, order[i], |_| {
            if stop.load(Ordering::Relaxed) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
    });
    let points = first_error(results).map_err(convergence_error)?;
    let result = ConvergenceResult::assemble(&spec, points).map_err(convergence_error)?;
    serde_json::to_value(result).map_err(CliError::failed)
}
