//! `ntk bench theory`: wall time of the analytic kernels on 1,000 × 1,000 points at depth 10
//! (erf closed form, tanh by quadrature) and of a full predict (100 train × 1,000 test points,
//! 50 times). Single-threaded, deterministic inputs.

use std::time::Instant;

use nalgebra::{DMatrix, DVector};
use ntk_core::theory::gp::{GpDynamics, TrainingTime};
use ntk_core::theory::kernels::kernels;
use ntk_core::{Activation, Architecture, Parameterization};
use serde_json::json;

use crate::CliError;

/// Flags of `ntk bench theory`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of points per set for the kernel benchmarks.
    #[arg(long, default_value_t = 1000)]
    pub points: usize,
    /// Depth (hidden layers) for the kernel benchmarks.
    #[arg(long, default_value_t = 10)]
    pub depth: usize,
}

/// Deterministic points on a low-discrepancy-like pattern (no RNG needed).
fn points(n: usize, d: usize, phase: f64) -> DMatrix<f64> {
    DMatrix::from_fn(n, d, |i, j| ((i as f64 + 1.0) * (0.618_034 + j as f64 * 0.414_214) + phase).sin() * 1.5)
}

fn time_kernel(act: Activation, depth: usize, n: usize) -> Result<serde_json::Value, CliError> {
    let arch = Architecture::new(depth, act, 1.8, 0.1, Parameterization::Ntk)?;
    let (x1, x2) = (points(n, 8, 0.0), points(n, 8, 0.3));
    let start = Instant::now();
    let k = kernels(&arch, &x1, &x2).map_err(CliError::failed)?;
    let secs = start.elapsed().as_secs_f64();
    let entries = (n * n) as f64;
    // Per entry and layer: the kernel map (T, Ṫ) plus ≈ 6 flops of the Dense/Θ update.
    Ok(json!({
        "activation": act.to_string(),
        "points": [n, n],
        "depth": depth,
        "seconds": secs,
        "entries_per_second": entries / secs,
        "layer_updates_per_second": entries * depth as f64 / secs,
        "checksum": k.ntk.sum(),
    }))
}

/// Runs the benchmark.
///
/// # Errors
/// Only if the fixed benchmark inputs were somehow rejected.
pub fn run(args: &Args) -> Result<serde_json::Value, CliError> {
    let erf = time_kernel(Activation::Erf, args.depth, args.points)?;
    let tanh = time_kernel(Activation::Tanh, args.depth, args.points)?;

    let arch = Architecture::new(args.depth, Activation::Erf, 1.8, 0.1, Parameterization::Ntk)?;
    let (n, m, n_times) = (100, 1000, 50);
    let x_train = points(n, 8, 0.7);
    let y = DVector::from_fn(n, |i, _| (i as f64 * 0.37).sin());
    let x_test = points(m, 8, 1.1);
    let times: Vec<TrainingTime> =
        (0..n_times).map(|i| TrainingTime::Continuous(10f64.powf(-2.0 + 6.0 * i as f64 / 49.0))).collect();
    let start = Instant::now();
    let dynamics = GpDynamics::new(&arch, &x_train, &y, &x_test, 0.0).map_err(CliError::failed)?;
    let setup = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut checksum = 0.0;
    for &t in &times {
        checksum += dynamics.ntk_gp_marginal(t).var.sum() + dynamics.nngp_marginal(t).var.sum();
    }
    let per_times = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let curves = dynamics.loss_curves(&times, None).map_err(CliError::failed)?;
    let loss_secs = start.elapsed().as_secs_f64();
    // Marginal NTK-GP variance per time: E·K̃ (2MN²) + row dots (4MN); NNGP: 3MN.
    let flops = n_times as f64 * (2.0 * (m * n * n) as f64 + 7.0 * (m * n) as f64);
    Ok(json!({
        "kernel_erf": erf,
        "kernel_tanh_quadrature": tanh,
        "predict": {
            "train": n, "test": m, "times": n_times, "depth": args.depth, "activation": "erf",
            "setup_seconds (kernels + eigendecompositions)": setup,
            "all_times_seconds (mean + variance, both GPs)": per_times,
            "per_time_seconds": per_times / n_times as f64,
            "gflops_per_second (time loop)": flops / per_times / 1e9,
            "loss_curves_seconds (50 times, train loss, both GPs)": loss_secs,
            "total_seconds": setup + per_times,
            "checksum": checksum + curves.ntk.iter().map(|l| l.train).sum::<f64>(),
        },
    }))
}
