//! `ntk bench`: benchmarks that print wall time and FLOP/s (never timed tests).

use crate::CliError;

/// Which benchmark to run.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    which: Which,
}

#[derive(clap::Subcommand, Debug)]
enum Which {
    /// Analytic kernels on 1,000 × 1,000 points at depth 10 (every closed form, tanh, softplus,
    /// sigmoid and a custom φ; threaded and single-threaded; errors against references) and
    /// a full predict.
    Theory(crate::bench_theory::Args),
    /// The neural-tangents cookbook ensemble (f32 training of finite networks).
    Ensemble(crate::bench_ensemble::Args),
    /// The order/chaos phase diagram on an N × N grid (closed-form and quadrature activations).
    Phase(crate::bench_phase::Args),
}

/// Runs the chosen benchmark.
pub fn run(args: &Args) -> Result<serde_json::Value, CliError> {
    match &args.which {
        Which::Theory(a) => crate::bench_theory::run(a),
        Which::Ensemble(a) => crate::bench_ensemble::run(a),
        Which::Phase(a) => crate::bench_phase::run(a),
    }
}
