//! `ntk single`: one network (f32) beside its linearization trained by the same step, and in
//! NTK parameterization the analytic-Θ dynamics from the same f₀ (paper Figure 3, S3, S4, S8):
//! outputs on train and test points, individual weights, losses, accuracies and RMSEs at
//! log-spaced checkpoints, as JSON; with `--quadratic` also the network's second-order Taylor
//! model.

use std::ops::ControlFlow;

use ntk_core::experiments::single::{run_single, SingleReport, SingleSpec, DEFAULT_SINGLE_CHECKPOINTS};
use ntk_core::Parameterization;

use crate::arch_args::ArchArgs;
use crate::data_args::TrainTestArgs;
use crate::train_args::TrainArgs;
use crate::CliError;

/// Flags of `ntk single`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    arch: ArchArgs,
    /// Parameterization: ntk (paper Eq. 1), standard (SM F) or mf (mean-field / μP: readout
    /// σ_w/n, trained at rate η·n; docs/MATH.md). Only ntk has the analytic-Θ series; for the
    /// others the report says why in `analytic_skipped`.
    #[arg(long, default_value = "ntk", value_name = "ntk|standard|mf")]
    param: Parameterization,
    /// Hidden width n.
    #[arg(long, value_name = "N")]
    width: usize,
    /// Learning rate η (mean loss over the batch; time t = η·step).
    #[arg(long = "lr", value_name = "ETA", allow_negative_numbers = true)]
    learning_rate: f64,
    /// Number of steps.
    #[arg(long, value_name = "K")]
    steps: u64,
    #[command(flatten)]
    train_args: TrainArgs,
    #[command(flatten)]
    points: TrainTestArgs,
    /// Seed of the network and of its minibatches.
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    /// Number of log-spaced checkpoints, including step 0 and the final step.
    #[arg(long, value_name = "C", default_value_t = DEFAULT_SINGLE_CHECKPOINTS)]
    checkpoints: usize,
    /// Chizat's output scale α in [0.001, 10000]: network, linearization and analytic series are
    /// trained and reported as g = α (f − f₀), on the loss scaled by 1/α² (so time t = η·step
    /// means the same for every α). Large α: lazy (the network follows its linearization, the
    /// gap ~ 1/α); small α: rich. Without it: f itself (not the same as --alpha 1, which centres
    /// f at f₀).
    #[arg(long, value_name = "A", allow_negative_numbers = true)]
    alpha: Option<f64>,
    /// Also train the quadratic model f₀ + J₀δ + ½ δᵀH₀δ (δ = θ − θ₀, H₀ the Hessian of f at
    /// θ₀, used through Hessian–vector products) by the same step: each checkpoint gains `quad`
    /// with its outputs, losses and its RMSE to the network (about five times the work per step).
    #[arg(long)]
    quadratic: bool,
}

/// Runs `ntk single`.
pub fn run(args: &Args) -> Result<serde_json::Value, CliError> {
    let arch = args.arch.architecture(args.param)?;
    let data = args.points.read()?;
    let optimizer = args.train_args.optimizer()?;
    let spec = SingleSpec {
        arch,
        width: args.width,
        data,
        loss: args.train_args.loss,
        learning_rate: args.learning_rate,
        momentum: optimizer.momentum,
        batch_size: optimizer.batch_size,
        steps: args.steps,
        seed: args.seed,
        checkpoints: args.checkpoints,
        alpha: args.alpha,
        quadratic: args.quadratic,
    };
    spec.validate().map_err(CliError::bad_input)?;
    let run = run_single(&spec, |_| ControlFlow::Continue(())).map_err(CliError::failed)?;
    let report =
        SingleReport::new(&spec, run.start, run.checkpoints, run.diverged).map_err(CliError::failed)?;
    serde_json::to_value(report).map_err(CliError::failed)
}
