//! `ntk bench ensemble`: the neural-tangents cookbook ensemble — 5 training points
//! `x ~ U[−π, π]`, `y = sin x + 0.1 ε`, 50 test points evenly spaced on [−π, π], two hidden erf
//! layers of width 512, σ_w² = 2.25, σ_b² = 0.0025, η = 0.1, 10,000 steps, 100 members — in
//! f32, timed, with GFLOP/s counted as `6 · N · (weights)` per step and member.

use std::time::Instant;

use ntk_core::nets::ensemble::EnsembleSpec;
use serde_json::json;

use crate::CliError;

/// Flags (defaults: the full cookbook workload).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Ensemble size.
    #[arg(long, default_value_t = 100)]
    members: usize,
    /// Gradient-descent steps per member.
    #[arg(long, default_value_t = 10_000)]
    steps: u64,
    /// Hidden width.
    #[arg(long, default_value_t = 512)]
    width: usize,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Checkpoints (statistics, linearization, Θ̂ change) per run.
    #[arg(long, default_value_t = 30)]
    checkpoints: usize,
    /// Test points, evenly spaced on [−π, π] (the cookbook has 50; the page's 1-D data 101).
    #[arg(long, default_value_t = 50)]
    test_points: usize,
}

/// The cookbook workload as an ensemble job ([`EnsembleSpec::cookbook`]).
pub fn cookbook_spec(
    members: usize,
    steps: u64,
    width: usize,
    checkpoints: usize,
) -> Result<EnsembleSpec, CliError> {
    Ok(EnsembleSpec::cookbook(members, steps, width, checkpoints))
}

/// Runs the benchmark.
pub fn run(args: &Args) -> Result<serde_json::Value, CliError> {
    let mut spec = cookbook_spec(args.members, args.steps, args.width, args.checkpoints)?;
    let pi = std::f64::consts::PI;
    let m = args.test_points;
    spec.data.x_test = (0..m).map(|i| vec![-pi + 2.0 * pi * i as f64 / (m.max(2) - 1) as f64]).collect();
    spec.data.y_test = Some(spec.data.x_test.iter().map(|x| x[0].sin()).collect());
    spec.validate().map_err(CliError::bad_input)?;
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let start = Instant::now();
    let (stats, first) = crate::ensemble::run_parallel_timed(&spec, Some(threads))?;
    let secs = start.elapsed().as_secs_f64();
    let flop = spec.flops_per_step() * spec.steps as f64 * spec.members as f64;
    let summary = stats.summary();
    let last = summary.checkpoints.last();
    Ok(json!({
        "benchmark": "ensemble (neural-tangents cookbook)",
        "members": spec.members,
        "steps": spec.steps,
        "width": spec.width,
        "threads": threads.min(spec.members),
        "precision": "f32",
        "test_points": m,
        "checkpoints": spec.schedule().len(),
        "wall_seconds": secs,
        "first_checkpoint_seconds": first,
        "gflop": flop / 1e9,
        "gflop_per_second": flop / secs / 1e9,
        "flop_count": "6 x N x weights per step and member, N = 5",
        "diverged": summary.diverged,
        "final_train_loss_nn": last.map(|c| c.train_loss.nn),
        "final_rmse_nn_lin": last.map(|c| c.rmse_nn_lin),
    }))
}
