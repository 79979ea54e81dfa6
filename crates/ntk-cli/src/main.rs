//! `ntk`: the explorer's numerical core from the command line, for reproducible runs and
//! scripting. Results are JSON on stdout; errors are one line on stderr, with exit code 2 for
//! bad input and 1 for a computation that failed.

mod arch_args;
mod bench;
mod bench_ensemble;
mod bench_phase;
mod bench_theory;
mod bench_theory_page;
mod catapult;
mod convergence;
mod data_args;
mod ensemble;
mod error;
mod input;
mod kernel;
mod merge;
mod parallel;
mod phase;
mod predict;
mod shard;
mod single;
mod spectrum;
mod train_args;
mod trainability;
mod widths;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::CliError;

/// Wide neural networks and their infinite-width limits (NNGP, NTK), from the shell.
///
/// Conventions: NTK parameterization, depth = number of hidden layers, σ_w²/σ_b² are variances,
/// loss = 1/(2N) Σ (f(xᵢ) − yᵢ)², time = learning rate × steps.
#[derive(Parser)]
#[command(name = "ntk", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analytic NNGP kernel K and NTK Θ between two point sets.
    Kernel(kernel::Args),
    /// NNGP and NTK-GP predictions (mean, variance) on test points at training times.
    Predict(predict::Args),
    /// Train an ensemble of finite networks and their linearizations; statistics at checkpoints.
    Ensemble(ensemble::Args),
    /// One network beside its linearization (and the analytic-Θ dynamics): outputs, individual
    /// weights, losses, accuracies and RMSEs at checkpoints, for MSE or cross-entropy and
    /// gradient descent, momentum or minibatch SGD.
    Single(single::Args),
    /// Large learning rates: the two-scalar catapult map, a real network, or the phase diagram.
    Catapult(catapult::Args),
    /// Width-scaling lab: network–linearization distance, weight and kernel changes, and the
    /// initial kernel's distance to the analytic NTK, against width, with log-log slopes.
    Widths(widths::Args),
    /// Order and chaos: q*, χ₁, ξ_c over a (σ_w², σ_b²) grid with the critical line, or at one
    /// point with the correlation map iterated over depth.
    Phase(phase::Args),
    /// Eigenvalues of the train NTK and NNGP kernel, the targets' projections, condition
    /// numbers, and per-mode residuals through training (optionally against depth).
    Spectrum(spectrum::Args),
    /// Empirical kernels of M networks of width n against the analytic ones (Figures S9–S10):
    /// errors and fitted slopes in n and M.
    Convergence(convergence::Args),
    /// Final training loss of real networks over a (σ_w², depth) grid, with ξ_c and the
    /// infinite-width prediction (Schoenholz et al.'s trainability, small scale).
    Trainability(trainability::Args),
    /// Merge the part files of a sharded `ensemble` or `widths` run (--partial) into exactly
    /// what the whole run prints.
    Merge(merge::Args),
    /// Benchmarks: wall time and FLOP/s of the kernels, predictions and ensemble training.
    Bench(bench::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Kernel(args) => kernel::run(&args),
        Command::Predict(args) => predict::run(&args),
        Command::Ensemble(args) => ensemble::run(&args),
        Command::Single(args) => single::run(&args),
        Command::Catapult(args) => catapult::run(&args),
        Command::Widths(args) => widths::run(&args),
        Command::Phase(args) => phase::run(&args),
        Command::Spectrum(args) => spectrum::run(&args),
        Command::Convergence(args) => convergence::run(&args),
        Command::Trainability(args) => trainability::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Bench(args) => bench::run(&args),
    };
    match result {
        Ok(json) => {
            // A reader that stops early (`ntk … | head`) is not an error of ours.
            use std::io::Write;
            match writeln!(std::io::stdout().lock(), "{json}") {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("ntk: cannot write the result: {e}");
                    ExitCode::from(1)
                }
                _ => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            eprintln!("ntk: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
