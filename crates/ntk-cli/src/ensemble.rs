//! `ntk ensemble`: trains M finite networks (f32) and their linearizations (with `--quadratic`
//! also their quadratic models) from independent seeds and prints per-checkpoint statistics as
//! JSON. Members are split across all cores
//! (`std::thread::scope`), one ensemble runner per thread, and their checkpoint batches merged
//! in member order (the same code and order as the web page's workers).
//!
//! Sharded: `--member-range A..B` (or `--shard I/S`) with `--partial FILE` runs only those
//! members and writes their per-member records to FILE; `ntk merge` combines the files of
//! disjoint ranges into exactly what the whole run prints.

use std::ops::Range;
use std::path::PathBuf;
use std::time::Instant;

use ntk_core::nets::ensemble::{
    Advance, CheckpointBatch, CheckpointMerger, EnsembleError, EnsemblePartial, EnsembleReport,
    EnsembleRunner, EnsembleSpec, EnsembleStats, DEFAULT_CHECKPOINTS,
};
use ntk_core::Parameterization;

use crate::arch_args::ArchArgs;
use crate::data_args::TrainTestArgs;
use crate::shard::{parse_range, parse_shard, write_partial, Shard};
use crate::train_args::TrainArgs;
use crate::CliError;

/// Flags of `ntk ensemble`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    arch: ArchArgs,
    /// Parameterization: ntk (paper Eq. 1), standard (SM F) or mf (mean-field / μP: readout
    /// σ_w/n, trained at rate η·n; docs/MATH.md).
    #[arg(long, default_value = "ntk", value_name = "ntk|standard|mf")]
    param: Parameterization,
    /// Hidden width n.
    #[arg(long, value_name = "N")]
    width: usize,
    /// Ensemble size M.
    #[arg(long, value_name = "M")]
    members: usize,
    /// Learning rate η (mean loss; time t = η·step).
    #[arg(long = "lr", value_name = "ETA", allow_negative_numbers = true)]
    learning_rate: f64,
    /// Number of gradient-descent steps.
    #[arg(long, value_name = "K")]
    steps: u64,
    #[command(flatten)]
    points: TrainTestArgs,
    /// Job seed (member m uses a seed derived from (seed, m)).
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    train_args: TrainArgs,
    /// Train only the readout layer (NNGP dynamics).
    #[arg(long)]
    readout_only: bool,
    /// Number of log-spaced checkpoints, including step 0 and the final step.
    #[arg(long, value_name = "C", default_value_t = DEFAULT_CHECKPOINTS)]
    checkpoints: usize,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "T")]
    threads: Option<usize>,
    /// Run only members A..B (0-based, B excluded) of the job; needs --partial.
    #[arg(long, value_name = "A..B", value_parser = parse_range, requires = "partial", conflicts_with = "shard")]
    member_range: Option<Range<usize>>,
    /// Run only shard I of S: members ⌊I·M/S⌋..⌊(I+1)·M/S⌋; needs --partial.
    #[arg(long, value_name = "I/S", value_parser = parse_shard, requires = "partial")]
    shard: Option<Shard>,
    /// Write the per-member records of the members run to FILE (a part for `ntk merge`)
    /// instead of printing the statistics; prints a one-line summary of the part.
    #[arg(long, value_name = "FILE")]
    partial: Option<PathBuf>,
    /// Chizat's output scale α in [0.001, 10000]: every network and its linearization are
    /// trained and reported as g = α (f − f₀), on the loss scaled by 1/α² (time t = η·step means
    /// the same for every α). Large α: lazy (the network–linearization gap ~ 1/α); small α:
    /// rich. Without it: f itself (not the same as --alpha 1, which centres f at f₀).
    #[arg(long, value_name = "A", allow_negative_numbers = true)]
    alpha: Option<f64>,
    /// Also train each member's quadratic model f₀ + J₀δ + ½ δᵀH₀δ (δ = θ − θ₀, H₀ the Hessian
    /// of f at θ₀, used through Hessian–vector products) by the same step: each checkpoint gains
    /// `quad` with its outputs' mean and variance across members, its losses and its RMSE to the
    /// network (in time about fifty f32 network steps per step; parts and `ntk merge` carry it).
    #[arg(long)]
    quadratic: bool,
}

/// Runs `ntk ensemble`.
pub fn run(args: &Args) -> Result<serde_json::Value, CliError> {
    let arch = args.arch.architecture(args.param)?;
    let data = args.points.read()?;
    let optimizer = args.train_args.optimizer()?;
    let spec = EnsembleSpec {
        arch,
        width: args.width,
        data,
        learning_rate: args.learning_rate,
        steps: args.steps,
        momentum: optimizer.momentum,
        readout_only: args.readout_only,
        loss: args.train_args.loss,
        batch_size: optimizer.batch_size,
        seed: args.seed,
        members: args.members,
        checkpoints: args.checkpoints,
        alpha: args.alpha,
        quadratic: args.quadratic,
    };
    spec.validate().map_err(CliError::bad_input)?;
    let Some(path) = &args.partial else {
        let stats = run_parallel(&spec, args.threads)?;
        let report = EnsembleReport::new(&spec, &stats).map_err(CliError::failed)?;
        return serde_json::to_value(report).map_err(CliError::failed);
    };
    let members = match (&args.member_range, args.shard) {
        (Some(r), _) => r.clone(),
        (None, Some(s)) => s.members(spec.members),
        (None, None) => 0..spec.members,
    };
    if members.end > spec.members {
        return Err(CliError::bad_input(EnsembleError::MemberRange {
            start: members.start,
            end: members.end,
            members: spec.members,
        }));
    }
    let batches = run_batches(&spec, members.clone(), args.threads)?;
    let part = EnsemblePartial::from_batches(&spec, members.clone(), batches).map_err(CliError::failed)?;
    write_partial(path, &part)?;
    Ok(serde_json::json!({
        "kind": part.header.kind,
        "file": path,
        "members": members,
        "spec_hash": part.header.spec_hash,
    }))
}

/// Runs all members of `spec` on `threads` threads (default: all cores), each thread an
/// [`EnsembleRunner`] over a contiguous member range, and merges their checkpoint batches with a
/// [`CheckpointMerger`] (in member order: the same bits for any thread count, and as the web
/// workers' statistics).
///
/// # Errors
/// [`CliError::BadInput`] for an invalid spec or thread count, [`CliError::Failed`] otherwise.
pub fn run_parallel(spec: &EnsembleSpec, threads: Option<usize>) -> Result<EnsembleStats, CliError> {
    run_parallel_timed(spec, threads).map(|(stats, _)| stats)
}

/// [`run_parallel`], also returning the seconds until every thread had returned the first
/// checkpoint (what a page waits for before it can draw anything).
///
/// # Errors
/// As [`run_parallel`].
pub fn run_parallel_timed(
    spec: &EnsembleSpec,
    threads: Option<usize>,
) -> Result<(EnsembleStats, f64), CliError> {
    let mut merger = CheckpointMerger::new(spec, 0).map_err(classify)?;
    let (batches, first) = run_batches_timed(spec, 0..spec.members, threads)?;
    for batch in batches {
        merger.add(&batch).map_err(CliError::failed)?;
    }
    if !merger.is_complete() {
        return Err(CliError::failed(EnsembleError::Mismatch(
            "the runners ended before every checkpoint was merged".into(),
        )));
    }
    Ok((merger.stats(), first))
}

/// Every checkpoint batch of members `members` of `spec`, run on `threads` threads (default:
/// all cores), each an [`EnsembleRunner`] over a contiguous sub-range.
///
/// # Errors
/// [`CliError::BadInput`] for an invalid spec, range or thread count, [`CliError::Failed`]
/// otherwise.
fn run_batches(
    spec: &EnsembleSpec,
    members: Range<usize>,
    threads: Option<usize>,
) -> Result<Vec<CheckpointBatch>, CliError> {
    run_batches_timed(spec, members, threads).map(|(batches, _)| batches)
}

/// [`run_batches`], also returning the seconds until every thread had its first checkpoint.
fn run_batches_timed(
    spec: &EnsembleSpec,
    members: Range<usize>,
    threads: Option<usize>,
) -> Result<(Vec<CheckpointBatch>, f64), CliError> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = match threads {
        Some(0) => return Err(CliError::BadInput("--threads must be at least 1, got 0".into())),
        Some(t) => t,
        None => cores,
    }
    .min(members.len().max(1));
    let (a, m) = (members.start, members.len());
    let ranges: Vec<Range<usize>> =
        (0..threads).map(|t| (a + t * m / threads)..(a + (t + 1) * m / threads)).collect();
    let start = Instant::now();
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            ranges.iter().map(|r| scope.spawn(move || run_range(spec, r.clone(), start))).collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| CliError::BadInput("data: a worker thread panicked".into())))
            .collect()
    });
    let mut all = Vec::new();
    let mut first = 0.0f64;
    for result in results {
        let (batches, first_at) = result?.map_err(classify)?;
        first = first.max(first_at);
        all.extend(batches);
    }
    Ok((all, first))
}

/// Every checkpoint batch of members `members` (the runner advancing a whole checkpoint per
/// call), and the seconds from `start` to the first batch.
fn run_range(
    spec: &EnsembleSpec,
    members: Range<usize>,
    start: Instant,
) -> Result<(Vec<CheckpointBatch>, f64), EnsembleError> {
    let mut runner = EnsembleRunner::new(spec, members)?;
    let mut batches = Vec::new();
    let mut first = 0.0;
    loop {
        match runner.advance(f64::INFINITY)? {
            Advance::Checkpoint(batch) => {
                if batches.is_empty() {
                    first = start.elapsed().as_secs_f64();
                }
                batches.push(batch);
            }
            Advance::Working { .. } => {}
            Advance::Done => return Ok((batches, first)),
        }
    }
}

/// Invalid jobs are bad input (exit code 2), anything else a failed computation.
fn classify(e: EnsembleError) -> CliError {
    match e {
        EnsembleError::Mlp(_)
        | EnsembleError::OutOfRange(_)
        | EnsembleError::Data(_)
        | EnsembleError::MemberRange { .. }
        | EnsembleError::Alpha(_) => CliError::bad_input(e),
        _ => CliError::failed(e),
    }
}
