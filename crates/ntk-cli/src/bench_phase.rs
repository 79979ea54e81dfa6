//! `ntk bench phase`: wall time of the phase diagram (`theory::phase::phase_grid`, every cell's
//! q*, χ₁, χ_q, c*, ξ's plus the critical line) on an N × N grid of σ_w² ∈ [0.1, 4],
//! σ_b² ∈ [0, 1], for closed-form activations (relu, erf, gelu) and quadrature ones (tanh),
//! repeated to give the minimum and median. Single-threaded. Reported per grid and per cell;
//! the cost is dominated by kernel-map evaluations, so no FLOP rate is given.

use std::time::Instant;

use ntk_core::theory::phase::{phase_grid, AxisRange, PhaseGridSpec, DEFAULT_Q0};
use ntk_core::Activation;
use serde_json::json;

use crate::CliError;

/// Flags of `ntk bench phase`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Points per axis (the page's heatmap is 40 × 40).
    #[arg(long, default_value_t = 40)]
    pub side: usize,
    /// Repetitions of each closed-form grid (the quadrature grid runs max(1, R/10) times).
    #[arg(long, default_value_t = 20)]
    pub repeats: usize,
}

fn time_grid(act: Activation, side: usize, repeats: usize) -> Result<serde_json::Value, CliError> {
    let spec = PhaseGridSpec {
        activation: act,
        sw2: AxisRange { min: 0.1, max: 4.0, points: side },
        sb2: AxisRange { min: 0.0, max: 1.0, points: side },
        q0: DEFAULT_Q0,
    };
    let mut secs = Vec::with_capacity(repeats);
    let mut checksum = 0.0;
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        let grid = phase_grid(&spec).map_err(CliError::failed)?;
        secs.push(start.elapsed().as_secs_f64());
        checksum += grid.rows.iter().flat_map(|r| &r.cells).map(|c| c.chi1).sum::<f64>();
    }
    secs.sort_by(f64::total_cmp);
    let cells = (side * side) as f64;
    Ok(json!({
        "activation": act.to_string(),
        "grid": [side, side],
        "repeats": secs.len(),
        "min_ms": secs[0] * 1e3,
        "median_ms": secs[secs.len() / 2] * 1e3,
        "max_ms": secs[secs.len() - 1] * 1e3,
        "median_us_per_cell": secs[secs.len() / 2] * 1e6 / cells,
        "checksum": checksum,
    }))
}

/// Runs the benchmark.
///
/// # Errors
/// Only if the fixed benchmark grid were somehow rejected.
pub fn run(args: &Args) -> Result<serde_json::Value, CliError> {
    let mut out = Vec::new();
    for act in [Activation::Relu, Activation::Erf, Activation::Gelu] {
        out.push(time_grid(act, args.side, args.repeats)?);
    }
    out.push(time_grid(Activation::Tanh, args.side, (args.repeats / 10).max(1))?);
    Ok(json!({ "phase_grid": out }))
}
