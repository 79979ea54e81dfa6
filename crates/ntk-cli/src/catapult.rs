//! `ntk catapult`: large-learning-rate dynamics (docs/MATH.md "Learning-rate thresholds and the
//! catapult"). Three modes:
//! - default: the two-scalar map of `f = vᵀu x/√n` on one sample from (f₀, λ₀);
//! - `--network`: a real one-hidden-layer network trained by gradient descent, with
//!   λ = λ_max(Θ̂)/N (optionally an ensemble of seeds with `--members`); with `--quadratic`
//!   its linearization `f₀ + J₀δ` and its quadratic model `f₀ + J₀δ + ½ δᵀH₀δ` (δ = θ − θ₀,
//!   docs/MATH.md "The quadratic model") train beside it at the same η;
//! - `--sweep`: the map's phase diagram over a grid of ηλ₀.

use std::ops::ControlFlow;

use ntk_core::experiments::catapult::{
    linear_grid, log_grid, phase_diagram, two_scalar_map, CatapultError, PhaseDiagramSpec, TwoScalarSpec,
};
use ntk_core::experiments::catapult_network::{
    default_data, run_network_ensemble_with, run_network_with, CatapultNetworkSpec, TaylorModels,
};
use ntk_core::Activation;
use serde_json::{json, Value};

use crate::CliError;

/// Flags of `ntk catapult`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Train a real one-hidden-layer network (NTK parameterization) instead of iterating the
    /// two-scalar map; λ is then λ_max(Θ̂)/N and f the output on the first training point.
    #[arg(long)]
    network: bool,
    /// Phase diagram of the two-scalar map over a grid of ηλ₀ (--grid-min/--grid-max/--grid-count).
    #[arg(long)]
    sweep: bool,
    /// Learning rate η (> 0).
    #[arg(long, value_name = "E", allow_negative_numbers = true)]
    eta: Option<f64>,
    /// Set η = R/λ₀ instead of giving --eta (for --network, λ₀ of the network at --seed).
    #[arg(long = "eta-lambda0", value_name = "R", allow_negative_numbers = true)]
    eta_lambda0: Option<f64>,
    /// Width n (≥ 1; an integer for --network).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    width: f64,
    /// Map: initial kernel λ₀ = (|u|²+|v|²)/n (> 0).
    #[arg(long, value_name = "L", allow_negative_numbers = true)]
    lambda0: Option<f64>,
    /// Map: initial output f₀ = vᵀu/√n, |f₀| ≤ λ₀√n/2.
    #[arg(long, value_name = "F", allow_negative_numbers = true)]
    f0: Option<f64>,
    /// Gradient-descent steps (1 … 10⁶).
    #[arg(long, value_name = "S")]
    steps: u64,
    /// Network: nonlinearity (linear, relu, tanh, or any of `ntk kernel --act`).
    #[arg(long, value_name = "ACT", default_value = "linear")]
    activation: Activation,
    /// Network: 1 = the one-sample problem x = 1, y = 0; K ≥ 2 = K points of sin x on (−π, π).
    #[arg(long, value_name = "K", default_value_t = 1)]
    points: usize,
    /// Network: initialisation seed (members use seed, seed+1, …).
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    /// Network: weight variance σ_w².
    #[arg(long, value_name = "S", default_value_t = 1.0, allow_negative_numbers = true)]
    sw2: f64,
    /// Network: bias variance σ_b².
    #[arg(long, value_name = "S", default_value_t = 0.0, allow_negative_numbers = true)]
    sb2: f64,
    /// Network: train M networks (seeds seed … seed+M−1) at the same η; prints {"members": […]}.
    #[arg(long, value_name = "M")]
    members: Option<usize>,
    /// Network: also train its linearization f₀ + J₀δ and its quadratic model
    /// f₀ + J₀δ + ½ δᵀH₀δ (δ = θ − θ₀) at the same η; adds "linearized" and "quadratic"
    /// (f, lambda, loss, phase, diverged_at) to each network.
    #[arg(long)]
    quadratic: bool,
    /// Sweep: smallest ηλ₀.
    #[arg(long, value_name = "R", default_value_t = 0.5, allow_negative_numbers = true)]
    grid_min: f64,
    /// Sweep: largest ηλ₀.
    #[arg(long, value_name = "R", default_value_t = 4.5, allow_negative_numbers = true)]
    grid_max: f64,
    /// Sweep: number of grid points.
    #[arg(long, value_name = "K", default_value_t = 41)]
    grid_count: usize,
    /// Sweep: log-spaced grid instead of evenly spaced.
    #[arg(long)]
    log_grid: bool,
}

/// Input errors exit with 2; a failed eigen-solver (or a cancellation) with 1.
fn cli_error(e: CatapultError) -> CliError {
    match e {
        CatapultError::Eigen(_) | CatapultError::Cancelled => CliError::failed(e),
        _ => CliError::bad_input(e),
    }
}

fn bad(msg: &str) -> CliError {
    CliError::BadInput(msg.into())
}

/// Runs `ntk catapult`.
pub fn run(args: &Args) -> Result<Value, CliError> {
    if args.network && args.sweep {
        return Err(bad("--network and --sweep cannot be combined (the sweep runs the two-scalar map)"));
    }
    if args.quadratic && !args.network {
        return Err(bad("--quadratic trains the Taylor models of a real network: add --network"));
    }
    if args.network {
        run_network_mode(args)
    } else if args.sweep {
        run_sweep(args)
    } else {
        run_map(args)
    }
}

/// (λ₀, f₀) of the map modes.
fn map_start(args: &Args) -> Result<(f64, f64), CliError> {
    match (args.lambda0, args.f0) {
        (Some(l), Some(f)) => Ok((l, f)),
        _ => Err(bad("--lambda0 and --f0 are required for the two-scalar map (or use --network)")),
    }
}

fn run_map(args: &Args) -> Result<Value, CliError> {
    let (lambda0, f0) = map_start(args)?;
    let mut spec =
        TwoScalarSpec { eta: args.eta.unwrap_or(1.0), width: args.width, lambda0, f0, steps: args.steps };
    match (args.eta, args.eta_lambda0) {
        (Some(_), None) => {}
        (None, Some(r)) => spec = spec.with_eta_lambda0(r).map_err(cli_error)?,
        _ => return Err(bad("give exactly one of --eta and --eta-lambda0")),
    }
    let traj = two_scalar_map(&spec).map_err(cli_error)?;
    let mut v = serde_json::to_value(&traj).map_err(CliError::failed)?;
    v["eta"] = json!(spec.eta);
    v["eta_lambda0"] = json!(spec.eta_lambda0());
    Ok(v)
}

fn run_sweep(args: &Args) -> Result<Value, CliError> {
    let (lambda0, f0) = map_start(args)?;
    if args.eta.is_some() || args.eta_lambda0.is_some() {
        return Err(bad("--sweep sets η from its grid of ηλ₀; drop --eta / --eta-lambda0"));
    }
    let grid = if args.log_grid {
        log_grid(args.grid_min, args.grid_max, args.grid_count)
    } else {
        linear_grid(args.grid_min, args.grid_max, args.grid_count)
    }
    .map_err(cli_error)?;
    let spec = PhaseDiagramSpec { width: args.width, lambda0, f0, steps: args.steps, eta_lambda0: grid };
    let points = phase_diagram(&spec).map_err(cli_error)?;
    Ok(json!({
        "width": spec.width,
        "lambda0": spec.lambda0,
        "f0": spec.f0,
        "steps": spec.steps,
        "points": points,
    }))
}

fn run_network_mode(args: &Args) -> Result<Value, CliError> {
    if args.lambda0.is_some() || args.f0.is_some() {
        return Err(bad(
            "--lambda0 and --f0 belong to the two-scalar map; --network starts from its own initialisation",
        ));
    }
    let w = args.width;
    if !(w.is_finite() && w >= 1.0 && w.fract() == 0.0 && w <= ntk_core::nets::mlp::MAX_WIDTH as f64) {
        return Err(bad(&format!(
            "--width must be an integer between 1 and {} for --network, got {w}",
            ntk_core::nets::mlp::MAX_WIDTH
        )));
    }
    let (x_train, y_train) = default_data(args.points).map_err(cli_error)?;
    let mut spec = CatapultNetworkSpec {
        activation: args.activation,
        width: w as usize,
        sigma_w2: args.sw2,
        sigma_b2: args.sb2,
        x_train,
        y_train,
        eta: args.eta.unwrap_or(1.0),
        steps: args.steps,
        seed: args.seed,
    };
    match (args.eta, args.eta_lambda0) {
        (Some(_), None) => {}
        (None, Some(r)) => spec = spec.with_eta_lambda0(r).map_err(cli_error)?,
        _ => return Err(bad("give exactly one of --eta and --eta-lambda0")),
    }
    let data = json!({ "x_train": spec.x_train, "y_train": spec.y_train });
    let models = if args.quadratic { TaylorModels::Both } else { TaylorModels::None };
    match args.members {
        None => {
            let traj = run_network_with(&spec, models, |_| ControlFlow::Continue(())).map_err(cli_error)?;
            let mut v = serde_json::to_value(&traj).map_err(CliError::failed)?;
            v["x_train"] = data["x_train"].clone();
            v["y_train"] = data["y_train"].clone();
            Ok(v)
        }
        Some(m) => {
            let runs = run_network_ensemble_with(&spec, m, models, |_, _| ControlFlow::Continue(()))
                .map_err(cli_error)?;
            Ok(json!({
                "eta": spec.eta,
                "members": runs,
                "x_train": data["x_train"],
                "y_train": data["y_train"],
            }))
        }
    }
}
