//! `ntk trainability`: real networks trained at every (σ_w², depth) of a grid (Schoenholz et
//! al. 2016's trainability figure, small scale), with the final losses, the NTK-GP prediction
//! of the same run, and ξ_c and the trainable depth 6 ξ_c of every σ_w². Cells run in parallel.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

use ntk_core::experiments::trainability::{
    run_cell, TrainabilityData, TrainabilityError, TrainabilityResult, TrainabilitySpec,
};
use ntk_core::experiments::widths::LearningRate;
use ntk_core::Activation;

use crate::input::read_train_test;
use crate::parallel::{first_error, run_jobs, thread_count};
use crate::CliError;

/// Flags of `ntk trainability` (defaults: erf, σ_b² = 0.05, 16 points in 16 dimensions with ±1
/// teacher labels, width 64, 400 steps at ½ η_critical, one seed per cell).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Nonlinearity: relu, leaky_relu (or leaky_relu:SLOPE), erf, identity, sin, gelu, tanh, softplus, sigmoid.
    #[arg(long = "act", value_name = "ACT", default_value = "erf")]
    pub activation: Activation,
    /// Bias variance σ_b² (≥ 0).
    #[arg(long, value_name = "S", default_value_t = 0.05, allow_negative_numbers = true)]
    pub sb2: f64,
    /// Comma-separated weight variances σ_w², strictly increasing.
    #[arg(long, value_name = "S1,S2,…", value_delimiter = ',', num_args = 1.., allow_negative_numbers = true,
          default_value = "0.5,1,1.5,2,3")]
    pub sw2: Vec<f64>,
    /// Comma-separated depths (hidden layers), strictly increasing.
    #[arg(long, value_name = "L1,L2,…", value_delimiter = ',', num_args = 1.., default_value = "2,5,10,20,40")]
    pub depths: Vec<usize>,
    /// Hidden width n.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub width: usize,
    /// Gradient-descent steps.
    #[arg(long, value_name = "K", default_value_t = 400)]
    pub steps: u64,
    /// Seeds per cell.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seeds: usize,
    /// Job seed.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Learning rate η for every cell (as in Schoenholz et al.). Default: --lr-critical 0.5.
    #[arg(long = "lr", value_name = "ETA", allow_negative_numbers = true, conflicts_with = "lr_critical")]
    pub learning_rate: Option<f64>,
    /// Learning rate as a fraction of each cell's η_critical = 2N/(λ_min + λ_max) of the
    /// analytic train NTK.
    #[arg(long, value_name = "F", allow_negative_numbers = true)]
    pub lr_critical: Option<f64>,
    /// Training points of the teacher data (N(0, 1) inputs, labels sign(w·x)).
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub train_size: usize,
    /// Test points of the teacher data.
    #[arg(long, value_name = "M", default_value_t = 64)]
    pub test_size: usize,
    /// Input dimension of the teacher data.
    #[arg(long, value_name = "D", default_value_t = 16)]
    pub dim: usize,
    /// Seed of the teacher data.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub data_seed: u64,
    /// Training CSV: inputs, then the target y in the last column (instead of teacher data).
    #[arg(long, value_name = "FILE", requires = "test", conflicts_with_all = ["train_size", "test_size", "dim", "data_seed"])]
    pub train: Option<PathBuf>,
    /// Test CSV: inputs only (or inputs then y with --test-has-y).
    #[arg(long, value_name = "FILE", requires = "train")]
    pub test: Option<PathBuf>,
    /// The last column of the test file is the target.
    #[arg(long, requires = "test")]
    pub test_has_y: bool,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Print a line per finished cell to stderr.
    #[arg(long)]
    pub progress: bool,
}

fn trainability_error(e: TrainabilityError) -> CliError {
    match e {
        TrainabilityError::Cancelled | TrainabilityError::Mismatch(_) => CliError::failed(e),
        _ => CliError::bad_input(e),
    }
}

/// The grid described by the flags.
///
/// # Errors
/// [`CliError::BadInput`] for unreadable or inconsistent files.
pub fn spec(args: &Args) -> Result<TrainabilitySpec, CliError> {
    let data = match (&args.train, &args.test) {
        (Some(train), Some(test)) => TrainabilityData::Points(read_train_test(train, test, args.test_has_y)?),
        _ => TrainabilityData::Teacher {
            train_size: args.train_size,
            test_size: args.test_size,
            dim: args.dim,
            seed: args.data_seed,
        },
    };
    let learning_rate = match (args.learning_rate, args.lr_critical) {
        (Some(eta), _) => LearningRate::Absolute(eta),
        (None, f) => LearningRate::CriticalFraction(f.unwrap_or(0.5)),
    };
    Ok(TrainabilitySpec {
        activation: args.activation,
        sb2: args.sb2,
        sw2: args.sw2.clone(),
        depths: args.depths.clone(),
        width: args.width,
        data,
        learning_rate,
        steps: args.steps,
        seeds: args.seeds,
        seed: args.seed,
    })
}

/// Runs `ntk trainability`.
///
/// # Errors
/// [`CliError::BadInput`] for bad flags or files; [`CliError::Failed`] if a run fails.
pub fn run(args: &Args) -> Result<serde_json::Value, CliError> {
    let spec = spec(args)?;
    spec.validate().map_err(trainability_error)?;
    let cols = spec.depths.len();
    // Deepest cells first: they take longest.
    let mut cells: Vec<(usize, usize)> =
        (0..spec.sw2.len()).flat_map(|i| (0..cols).map(move |j| (i, j))).collect();
    cells.sort_by_key(|&(_, j)| std::cmp::Reverse(spec.depths[j]));
    let threads = thread_count(args.threads, cells.len())?;
    let start = Instant::now();
    let results = run_jobs(cells.len(), threads, |k, stop| {
        let (i, j) = cells[k];
        let cell = run_cell(&spec, i, j, 0..spec.seeds, |_| {
            if stop.load(Ordering::Relaxed) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        if args.progress {
            eprintln!(
                "ntk trainability: σ_w² = {}, depth {} done ({:.1} s)",
                spec.sw2[i],
                spec.depths[j],
                start.elapsed().as_secs_f64()
            );
        }
        cell
    });
    let cells = first_error(results).map_err(trainability_error)?;
    let result = TrainabilityResult::assemble(&spec, cells).map_err(trainability_error)?;
    serde_json::to_value(result).map_err(CliError::failed)
}
