//! `ntk phase`: order and chaos at initialisation (Poole et al. 2016, Schoenholz et al. 2016).
//! Two modes:
//! - grid (`--sw2-range a:b --sb2-range c:d --grid N×M`): q*, χ₁, ξ_c, … over the
//!   (σ_w², σ_b²) plane and the critical line χ₁ = 1;
//! - point (`--sw2 S --sb2 S`): the quantities at one point and the correlation map iterated
//!   over depth from a few input correlations (`--c0`, `--layers`).

use ntk_core::theory::phase::{
    phase_grid, point_report, AxisRange, PhaseError, PhaseGridSpec, DEFAULT_Q0, TRAINABLE_DEPTH_FACTOR,
};
use ntk_core::Activation;
use serde_json::json;

use crate::CliError;

/// Flags of `ntk phase`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Nonlinearity: relu, leaky_relu (or leaky_relu:SLOPE), erf, identity, sin, gelu, tanh, softplus, sigmoid.
    #[arg(long = "act", value_name = "ACT")]
    activation: Activation,
    /// Grid: σ_w² range MIN:MAX (MIN > 0).
    #[arg(long, value_name = "A:B", value_parser = parse_range, requires_all = ["sb2_range"], conflicts_with_all = ["sw2", "sb2"])]
    sw2_range: Option<(f64, f64)>,
    /// Grid: σ_b² range MIN:MAX (MIN ≥ 0).
    #[arg(long, value_name = "C:D", value_parser = parse_range, requires_all = ["sw2_range"])]
    sb2_range: Option<(f64, f64)>,
    /// Grid: points along σ_w² × σ_b², e.g. 40x40 (or one number for both).
    #[arg(long, value_name = "N×M", value_parser = parse_grid, default_value = "40x40")]
    grid: (usize, usize),
    /// Point: weight variance σ_w² (> 0).
    #[arg(long, value_name = "S", allow_negative_numbers = true, requires = "sb2")]
    sw2: Option<f64>,
    /// Point: bias variance σ_b² (≥ 0).
    #[arg(long, value_name = "S", allow_negative_numbers = true, requires = "sw2")]
    sb2: Option<f64>,
    /// Point: starting correlations of the iterated correlation map.
    #[arg(long, value_name = "C1,C2,…", value_delimiter = ',', num_args = 1.., allow_negative_numbers = true,
          default_value = "0,0.5,0.9,0.99")]
    c0: Vec<f64>,
    /// Point: layers to iterate the correlation map over.
    #[arg(long, value_name = "L", default_value_t = 50)]
    layers: usize,
    /// Starting variance of the fixed-point search (and of the trajectories when q* is unbounded).
    #[arg(long, value_name = "Q", default_value_t = DEFAULT_Q0, allow_negative_numbers = true)]
    q0: f64,
}

/// Parses `A:B` into (A, B).
fn parse_range(s: &str) -> Result<(f64, f64), String> {
    let (a, b) = s.split_once(':').ok_or_else(|| format!("'{s}' is not a range MIN:MAX"))?;
    let num = |t: &str| t.trim().parse::<f64>().map_err(|_| format!("'{t}' in '{s}' is not a number"));
    Ok((num(a)?, num(b)?))
}

/// Parses `40x40`, `40×40` or `40` into (σ_w² points, σ_b² points).
fn parse_grid(s: &str) -> Result<(usize, usize), String> {
    let lower = s.trim().to_ascii_lowercase().replace('×', "x");
    let num = |t: &str| t.trim().parse::<usize>().map_err(|_| format!("'{s}' is not a grid size N×M"));
    match lower.split_once('x') {
        Some((a, b)) => Ok((num(a)?, num(b)?)),
        None => num(&lower).map(|n| (n, n)),
    }
}

fn phase_error(e: PhaseError) -> CliError {
    CliError::bad_input(e)
}

/// Runs `ntk phase`.
///
/// # Errors
/// [`CliError::BadInput`] for invalid ranges, grid sizes, σ², correlations or layer counts.
pub fn run(args: &Args) -> Result<serde_json::Value, CliError> {
    match (args.sw2_range, args.sb2_range, args.sw2, args.sb2) {
        (Some((a, b)), Some((c, d)), _, _) => {
            let spec = PhaseGridSpec {
                activation: args.activation,
                sw2: AxisRange { min: a, max: b, points: args.grid.0 },
                sb2: AxisRange { min: c, max: d, points: args.grid.1 },
                q0: args.q0,
            };
            let grid = phase_grid(&spec).map_err(phase_error)?;
            let mut v = serde_json::to_value(grid).map_err(CliError::failed)?;
            v["trainable_depth_factor"] = json!(TRAINABLE_DEPTH_FACTOR);
            Ok(v)
        }
        (_, _, Some(sw2), Some(sb2)) => {
            let r = point_report(args.activation, sw2, sb2, args.q0, &args.c0, args.layers)
                .map_err(phase_error)?;
            Ok(json!({
                "activation": args.activation.to_string(),
                "point": r.point,
                "trajectories": r.trajectories,
                "trainable_depth_factor": TRAINABLE_DEPTH_FACTOR,
            }))
        }
        _ => Err(CliError::BadInput(
            "give either a grid (--sw2-range A:B --sb2-range C:D [--grid N×M]) or a point (--sw2 S --sb2 S)"
                .into(),
        )),
    }
}
