//! `ntk widths`: the width-scaling lab (paper Theorem 2.1, Figure 1, Figure S5). Trains a few
//! seeds of the network and its linearization at every width of a log grid (and every depth or
//! training-set size of an optional second axis) and prints, per width, the mean and spread of
//! (a) the sup over training of the network–linearization test RMSE, (b) the relative weight
//! change per layer, (c) the relative kernel change ‖Θ̂_T − Θ̂₀‖_F/‖Θ̂₀‖_F and (d)
//! ‖Θ̂₀ − Θ‖_F/‖Θ‖_F against the analytic NTK, with the fitted log-log slopes.
//!
//! Every (axis value, width, seed) is an independent job; the jobs run on all cores, largest
//! first, and are merged by `SweepResult::assemble` (the result does not depend on the number of
//! threads).
//!
//! Sharded: `--partial FILE` writes the runs of this process (all of them, or those of
//! `--shard I/S`, narrowed by `--only-widths` and `--seed-range`) to FILE; `ntk merge`
//! combines the files into exactly what the whole sweep prints.

use std::ops::{ControlFlow, Range};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use ntk_core::datasets::Target1d;
use ntk_core::experiments::laziness::{run_laziness, LazinessError, LazinessSpec};
use ntk_core::experiments::widths::{
    estimate_bytes, estimate_point_flop, log2_grid, run_width_members, shard_jobs, width_jobs, LearningRate,
    SweepAxis, SweepData, SweepResult, WidthError, WidthJob, WidthPoint, WidthSweepSpec, WidthsPartial,
    WidthsReport, DEFAULT_SWEEP_CHECKPOINTS,
};
use ntk_core::{Activation, Architecture, Parameterization};

use crate::input::read_train_test;
use crate::shard::{parse_range, parse_shard, write_partial, Shard};
use crate::CliError;

/// Flags of `ntk widths` (defaults: the explorer's network, two erf layers with σ_w² = 2.25,
/// σ_b² = 0.0025, on 8 noisy samples of sin x, widths 32…1024, 4 seeds, 300 steps at
/// ½ η_critical).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Nonlinearity: relu, leaky_relu (or leaky_relu:SLOPE), erf, identity, sin, gelu, tanh, softplus, sigmoid,
    /// or custom:EXPR with EXPR an expression in x (quote it in the shell), e.g.
    /// 'custom:x*sigmoid(x)' or 'custom:sin(3*x)+0.1*x'; functions: sin cos tan exp log sqrt
    /// abs tanh sinh cosh atan erf sigmoid softplus relu gelu sign step sech2 normcdf normpdf.
    #[arg(long = "act", value_name = "ACT", default_value = "erf")]
    activation: Activation,
    /// Number of hidden layers L (≥ 1).
    #[arg(long, value_name = "L", default_value_t = 2)]
    depth: usize,
    /// Weight variance σ_w² (> 0).
    #[arg(long, value_name = "S", default_value_t = 2.25, allow_negative_numbers = true)]
    sw2: f64,
    /// Bias variance σ_b² (≥ 0).
    #[arg(long, value_name = "S", default_value_t = 0.0025, allow_negative_numbers = true)]
    sb2: f64,
    /// Parameterization: ntk (paper Eq. 1) or mf (mean-field / μP: readout σ_w/n, trained at rate
    /// η·n; its kernel change does not fall with width). Metric (d) and --lr-critical use the
    /// analytic NTK, the limit of both initial (rate-weighted) kernels; standard is refused.
    #[arg(long, default_value = "ntk", value_name = "ntk|mf")]
    param: Parameterization,
    /// Comma-separated hidden widths, strictly increasing (instead of --min-width/--max-width).
    #[arg(long, value_name = "N1,N2,…", value_delimiter = ',', num_args = 1..,
          conflicts_with_all = ["min_width", "max_width", "per_octave"])]
    widths: Option<Vec<usize>>,
    /// Smallest width of the log2 grid.
    #[arg(long, value_name = "N", default_value_t = 32)]
    min_width: usize,
    /// Largest width of the log2 grid.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_width: usize,
    /// Widths per doubling of the log2 grid.
    #[arg(long, value_name = "K", default_value_t = 1)]
    per_octave: usize,
    /// Seeds (independent initialisations) per width.
    #[arg(long, value_name = "S", default_value_t = 4)]
    seeds: usize,
    /// Learning rate η (mean loss; time t = η·step). Default: --lr-critical 0.5.
    #[arg(long = "lr", value_name = "ETA", allow_negative_numbers = true, conflicts_with = "lr_critical")]
    learning_rate: Option<f64>,
    /// Learning rate as a fraction of η_critical = 2N/(λ_min + λ_max) of the analytic train NTK
    /// at each depth / training-set size (paper Theorem 2.1).
    #[arg(long, value_name = "F", allow_negative_numbers = true)]
    lr_critical: Option<f64>,
    /// Number of gradient-descent steps.
    #[arg(long, value_name = "K", default_value_t = 300)]
    steps: u64,
    /// Job seed (seed m of every width uses a seed derived from (seed, m)).
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    /// Number of log-spaced checkpoints (the sup of the network–linearization RMSE is over these).
    #[arg(long, value_name = "C", default_value_t = DEFAULT_SWEEP_CHECKPOINTS)]
    checkpoints: usize,
    /// Training CSV: inputs, then the target y in the last column (instead of the generated set).
    #[arg(long, value_name = "FILE", requires = "test",
          conflicts_with_all = ["target", "train_size", "noise", "data_seed", "train_sizes"])]
    train: Option<PathBuf>,
    /// Test CSV: inputs only (or inputs then y with --test-has-y).
    #[arg(long, value_name = "FILE", requires = "train")]
    test: Option<PathBuf>,
    /// The last column of the test file is the target.
    #[arg(long, requires = "test")]
    test_has_y: bool,
    /// Target of the generated 1-D set (x uniform on [−π, π]): sin or step.
    #[arg(long, value_name = "sin|step", default_value = "sin", value_parser = parse_target)]
    target: Target1d,
    /// Training points of the generated set.
    #[arg(long, value_name = "N", default_value_t = 8)]
    train_size: usize,
    /// Standard deviation of the generated targets' noise.
    #[arg(long, value_name = "SD", default_value_t = 0.1, allow_negative_numbers = true)]
    noise: f64,
    /// Seed of the generated data.
    #[arg(long, value_name = "S", default_value_t = 1)]
    data_seed: u64,
    /// Second axis: comma-separated depths, one width series each (paper Figure S5).
    #[arg(long, value_name = "L1,L2,…", value_delimiter = ',', num_args = 1.., conflicts_with_all = ["train_sizes", "depth"])]
    depths: Option<Vec<usize>>,
    /// Second axis: comma-separated training-set sizes of the generated set (paper Figure S5).
    #[arg(long, value_name = "N1,N2,…", value_delimiter = ',', num_args = 1.., conflicts_with = "train_size")]
    train_sizes: Option<Vec<usize>>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "T")]
    threads: Option<usize>,
    /// Memory cap (MiB): refuse a sweep whose worker (one width, one seed) would need more, and
    /// run fewer threads if all of them together would.
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    memory_cap_mib: u64,
    /// Print a line per finished (width, seed) to stderr.
    #[arg(long)]
    progress: bool,
    /// Write the runs of this process to FILE (a part for `ntk merge`) instead of printing the
    /// result; prints a one-line summary of the part.
    #[arg(long, value_name = "FILE")]
    partial: Option<PathBuf>,
    /// Run only shard I of S: the sweep's (width, axis value, seed) runs dealt, most expensive
    /// first, to the least loaded shard; needs --partial.
    #[arg(long, value_name = "I/S", value_parser = parse_shard, requires = "partial")]
    shard: Option<Shard>,
    /// Run only these widths of the grid; needs --partial.
    #[arg(long, value_name = "N1,N2,…", value_delimiter = ',', num_args = 1.., requires = "partial")]
    only_widths: Option<Vec<usize>>,
    /// Run only seeds A..B of every width; needs --partial.
    #[arg(long, value_name = "A..B", value_parser = parse_range, requires = "partial")]
    seed_range: Option<Range<usize>>,
    /// Chizat's output scale α in [0.001, 10000]: every network and its linearization are
    /// trained and metric (a) compares g = α (f − f₀), on the loss scaled by 1/α² (time t = η·step means
    /// the same for every α). Large α: lazy (the network–linearization gap ~ 1/α); small α:
    /// rich. Without it: f itself (not the same as --alpha 1, which centres f at f₀).
    #[arg(long, value_name = "A", allow_negative_numbers = true)]
    alpha: Option<f64>,
    /// Lazy ↔ rich: train the one width of --widths at every output scale α of this list
    /// (increasing, each in [0.001, 10000]) instead of sweeping widths, and print metrics
    /// (a)–(d) per α with the slopes of (a)–(c) against α (lazy theory: −1; flatter where
    /// training is rich).
    #[arg(long, value_name = "A1,A2,…", value_delimiter = ',', num_args = 1.., allow_negative_numbers = true,
          conflicts_with_all = ["alpha", "partial", "depths", "train_sizes"])]
    alphas: Option<Vec<f64>>,
}

fn parse_target(s: &str) -> Result<Target1d, String> {
    Target1d::from_name(s.trim()).ok_or_else(|| format!("unknown target '{s}' (expected sin or step)"))
}

/// The sweep described by the flags.
///
/// # Errors
/// [`CliError::BadInput`] for unreadable files, an invalid grid or architecture.
pub fn spec(args: &Args) -> Result<WidthSweepSpec, CliError> {
    let arch = Architecture::new(args.depth, args.activation, args.sw2, args.sb2, args.param)?;
    let widths = match &args.widths {
        Some(w) => w.clone(),
        None => log2_grid(args.min_width, args.max_width, args.per_octave).map_err(CliError::bad_input)?,
    };
    let data = match (&args.train, &args.test) {
        (Some(train), Some(test)) => SweepData::Points(read_train_test(train, test, args.test_has_y)?),
        _ => SweepData::Generated {
            target: args.target,
            train_size: args.train_size,
            noise: args.noise,
            seed: args.data_seed,
        },
    };
    let axis = match (&args.depths, &args.train_sizes) {
        (Some(d), _) => SweepAxis::Depth(d.clone()),
        (None, Some(n)) => SweepAxis::TrainSize(n.clone()),
        (None, None) => SweepAxis::None,
    };
    let learning_rate = match (args.learning_rate, args.lr_critical) {
        (Some(eta), _) => LearningRate::Absolute(eta),
        (None, f) => LearningRate::CriticalFraction(f.unwrap_or(0.5)),
    };
    Ok(WidthSweepSpec {
        arch,
        data,
        learning_rate,
        steps: args.steps,
        seed: args.seed,
        widths,
        seeds: args.seeds,
        axis,
        checkpoints: args.checkpoints,
        alpha: args.alpha,
    })
}

fn width_error(e: WidthError) -> CliError {
    match e {
        WidthError::Kernel(_) | WidthError::Ensemble(_) | WidthError::Mismatch(_) | WidthError::Cancelled => {
            CliError::failed(e)
        }
        _ => CliError::bad_input(e),
    }
}

/// Runs `ntk widths`.
///
/// # Errors
/// [`CliError::BadInput`] for bad flags, files or a sweep above the memory cap;
/// [`CliError::Failed`] if a run fails.
pub fn run(args: &Args) -> Result<serde_json::Value, CliError> {
    let spec = spec(args)?;
    if let Some(alphas) = &args.alphas {
        return run_laziness_sweep(spec, alphas.clone(), args.progress);
    }
    let cap = args.memory_cap_mib.saturating_mul(1 << 20);
    spec.validate_with_cap(cap).map_err(width_error)?;
    let Some(path) = &args.partial else {
        let result = run_parallel(&spec, args.threads, cap, args.progress)?;
        let report = WidthsReport::new(&spec, result).map_err(CliError::failed)?;
        return serde_json::to_value(report).map_err(CliError::failed);
    };
    let mut jobs = match args.shard {
        Some(s) => shard_jobs(&spec, s.index, s.count).map_err(width_error)?,
        None => width_jobs(&spec),
    };
    if let Some(only) = &args.only_widths {
        if let Some(w) = only.iter().find(|w| !spec.widths.contains(w)) {
            return Err(width_error(WidthError::NotOnGrid(*w)));
        }
        jobs.retain(|j| only.contains(&j.width));
    }
    if let Some(r) = &args.seed_range {
        if r.end > spec.seeds {
            return Err(width_error(WidthError::SeedRange { start: r.start, end: r.end, seeds: spec.seeds }));
        }
        jobs.retain(|j| r.contains(&j.seed));
    }
    let points = run_jobs(&spec, &jobs, args.threads, cap, args.progress)?;
    let part = WidthsPartial::new(&spec, points).map_err(CliError::failed)?;
    write_partial(path, &part)?;
    Ok(serde_json::json!({
        "kind": part.header.kind,
        "file": path,
        "runs": part.jobs.len(),
        "spec_hash": part.header.spec_hash,
    }))
}

/// Runs every (axis value, width, seed) job on `threads` threads (default: all cores, fewer if
/// that many workers would not fit in `cap` bytes), largest estimated workload first, and
/// assembles the result.
///
/// # Errors
/// [`CliError::BadInput`] for an invalid spec or thread count, [`CliError::Failed`] otherwise.
pub fn run_parallel(
    spec: &WidthSweepSpec,
    threads: Option<usize>,
    cap: u64,
    progress: bool,
) -> Result<SweepResult, CliError> {
    let points = run_jobs(spec, &width_jobs(spec), threads, cap, progress)?;
    SweepResult::assemble(spec, points).map_err(width_error)
}

/// Runs the given (axis value, width, seed) runs of `spec` on `threads` threads (default: all
/// cores, fewer if that many workers would not fit in `cap` bytes), largest estimated workload
/// first; one point per run.
///
/// # Errors
/// [`CliError::BadInput`] for an invalid spec or thread count, [`CliError::Failed`] otherwise.
fn run_jobs(
    spec: &WidthSweepSpec,
    runs: &[WidthJob],
    threads: Option<usize>,
    cap: u64,
    progress: bool,
) -> Result<Vec<WidthPoint>, CliError> {
    spec.validate_with_cap(cap).map_err(width_error)?;
    let mut jobs: Vec<(Option<usize>, usize, usize, f64)> = runs
        .iter()
        .map(|j| (j.axis_value, j.width, j.seed, estimate_point_flop(spec, j.width, j.axis_value)))
        .collect();
    jobs.sort_by(|a, b| b.3.total_cmp(&a.3));
    let total_flop: f64 = jobs.iter().map(|j| j.3).sum();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let requested = match threads {
        Some(0) => return Err(CliError::BadInput("--threads must be at least 1, got 0".into())),
        Some(t) => t,
        None => cores,
    };
    let fit = (cap / estimate_bytes(spec).max(1)).max(1) as usize;
    let threads = requested.min(jobs.len()).min(fit).max(1);
    let total_flop = total_flop.max(f64::MIN_POSITIVE);
    if threads < requested.min(jobs.len()) {
        eprintln!("ntk widths: {threads} thread(s) instead of {requested}, to stay under the memory cap");
    }
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let done = Mutex::new((0.0f64, 0usize));
    let start = Instant::now();
    let results: Vec<Result<Vec<WidthPoint>, WidthError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut points = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(v, w, m, flop)) = jobs.get(i) else { break };
                        let stop = || {
                            if failed.load(Ordering::Relaxed) {
                                ControlFlow::Break(())
                            } else {
                                ControlFlow::Continue(())
                            }
                        };
                        match run_width_members(spec, w, v, m..m + 1, |_| stop()) {
                            Ok(p) => points.push(p),
                            Err(e) => {
                                failed.store(true, Ordering::Relaxed);
                                return Err(e);
                            }
                        }
                        if progress {
                            let mut d = done.lock().unwrap_or_else(|e| e.into_inner());
                            d.0 += flop;
                            d.1 += 1;
                            let axis = v.map_or(String::new(), |x| format!(", axis value {x}"));
                            eprintln!(
                                "ntk widths: width {w}{axis}, seed {m} done ({}/{} jobs, {:.0}% of the work, {:.1} s)",
                                d.1,
                                jobs.len(),
                                100.0 * d.0 / total_flop,
                                start.elapsed().as_secs_f64()
                            );
                        }
                    }
                    Ok(points)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| Err(WidthError::Mismatch("a worker thread panicked".into())))
            })
            .collect()
    });
    let mut points = Vec::with_capacity(jobs.len());
    let mut first_error = None;
    for r in results {
        match r {
            Ok(p) => points.extend(p),
            // A worker stopped because another failed: report the original error.
            Err(WidthError::Cancelled) => {}
            Err(e) => first_error = first_error.or(Some(e)),
        }
    }
    if let Some(e) = first_error {
        return Err(width_error(e));
    }
    Ok(points)
}

/// `ntk widths --alphas …`: the laziness sweep ([`run_laziness`]) of the one width, printed as
/// its `LazinessResult`.
fn run_laziness_sweep(
    sweep: WidthSweepSpec,
    alphas: Vec<f64>,
    progress: bool,
) -> Result<serde_json::Value, CliError> {
    let spec = LazinessSpec { sweep, alphas };
    let result = run_laziness(&spec, |i, p| {
        if progress && p.step == p.steps {
            eprintln!("α = {}: seed {} trained", spec.alphas[i], p.seed);
        }
        ControlFlow::Continue(())
    })
    .map_err(|e| match e {
        LazinessError::Sweep(w) => width_error(w),
        other => CliError::bad_input(other),
    })?;
    serde_json::to_value(result).map_err(CliError::failed)
}
