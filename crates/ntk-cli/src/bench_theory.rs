//! `ntk bench theory`: wall time of the analytic NNGP + NTK on 1,000 × 1,000 points at depth
//! 10 (σ_w² = 1.8, σ_b² = 0.1, 8-dimensional deterministic points) for every closed form and
//! for tanh, softplus, sigmoid and a custom φ, on all threads and on one, each with its
//! largest error against a reference on a sample of entries; then a full predict (100 train ×
//! 1,000 test points, 50 times); and the page's own case, 1-D sine data at depths 2–10 for the
//! activations without a closed form (`bench_theory_page`).
//!
//! References: for the closed forms, the layered recursion of the same formulas
//! (`kernels_with_map`, scalar `libm`); for the others, the adaptive quadrature at 1e-13
//! (`AdaptiveMap`). Errors are relative to the entry's Cauchy–Schwarz scale
//! `√(K(x,x) K(x',x'))` (resp. Θ). The sample holds the entries whose points are most
//! correlated after the first layer (nearly identical points: correlations at ±1, the hard
//! case) and evenly spread ones.

use std::time::Instant;

use nalgebra::{DMatrix, DVector};
use ntk_core::theory::gp::{GpDynamics, TrainingTime};
use ntk_core::theory::kernel_maps::{ErfMap, GeluMap, IdentityMap, KernelMap, LeakyReluMap, ReluMap, SinMap};
use ntk_core::theory::kernels::{kernels, kernels_with_map, KernelPair};
use ntk_core::theory::smooth::{smooth_kernels, AdaptiveMap, LayerStats};
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
    /// Timed runs per measurement (the minimum and maximum are reported).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Entries compared with the reference per activation (0: no accuracy check).
    #[arg(long, default_value_t = 24)]
    pub sample: usize,
    /// The custom activation benchmarked (an expression in x).
    #[arg(long, default_value = "x*sigmoid(x)")]
    pub custom: String,
    /// Only these activations (comma-separated, e.g. `erf,tanh`; default: all).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Only the page's case (1-D sine data, depths 2–10), not the 1,000 × 1,000 kernels.
    #[arg(long)]
    pub page_only: bool,
    /// Training points of the page's case.
    #[arg(long, default_value_t = 8)]
    pub page_train: usize,
    /// Timed runs per depth in the page's case (the median and maximum are reported).
    #[arg(long, default_value_t = 9)]
    pub page_repeat: usize,
    /// Test × train entries of the page's case compared with the reference per depth.
    #[arg(long, default_value_t = 4)]
    pub page_sample: usize,
}

const SW2: f64 = 1.8;
const SB2: f64 = 0.1;

/// Deterministic points on a low-discrepancy-like pattern (no RNG needed; the peer script
/// `bench/peer/kernels.py` builds the same).
pub fn points(n: usize, d: usize, phase: f64) -> DMatrix<f64> {
    DMatrix::from_fn(n, d, |i, j| ((i as f64 + 1.0) * (0.618_034 + j as f64 * 0.414_214) + phase).sin() * 1.5)
}

/// The entries to check: the `k/2` most correlated pairs after the first layer, then evenly
/// spread ones.
fn sample(x1: &DMatrix<f64>, x2: &DMatrix<f64>, k: usize) -> Vec<(usize, usize)> {
    let d = x1.ncols() as f64;
    let var =
        |x: &DMatrix<f64>| -> Vec<f64> { x.row_iter().map(|r| SW2 * r.norm_squared() / d + SB2).collect() };
    let (v1, v2) = (var(x1), var(x2));
    let cov = (x1 * x2.transpose()) * (SW2 / d);
    let mut by_rho: Vec<(f64, usize, usize)> = Vec::new();
    for j in 0..x2.nrows() {
        for i in 0..x1.nrows() {
            by_rho.push((((cov[(i, j)] + SB2) / (v1[i] * v2[j]).sqrt()).abs(), i, j));
        }
    }
    by_rho.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut picked: Vec<(usize, usize)> = by_rho.iter().take(k / 2).map(|&(_, i, j)| (i, j)).collect();
    let rest = k - picked.len();
    for m in 0..rest {
        let idx = (m * 7919 + 13) % by_rho.len();
        picked.push((by_rho[idx].1, by_rho[idx].2));
    }
    picked
}

/// Largest error of `fast` against the reference map on the sampled entries, relative to the
/// Cauchy–Schwarz scales.
fn max_errors<M: KernelMap>(
    reference: &M,
    depth: usize,
    x1: &DMatrix<f64>,
    x2: &DMatrix<f64>,
    fast: &KernelPair,
    entries: &[(usize, usize)],
) -> Result<(f64, f64), CliError> {
    let (mut ek, mut et) = (0.0f64, 0.0f64);
    for &(i, j) in entries {
        let (a, b) = (x1.rows(i, 1).into_owned(), x2.rows(j, 1).into_owned());
        let pair = kernels_with_map(reference, depth, SW2, SB2, &a, &b).map_err(CliError::failed)?;
        let da = kernels_with_map(reference, depth, SW2, SB2, &a, &a).map_err(CliError::failed)?;
        let db = kernels_with_map(reference, depth, SW2, SB2, &b, &b).map_err(CliError::failed)?;
        let scale_k = (da.nngp[(0, 0)] * db.nngp[(0, 0)]).sqrt();
        let scale_t = (da.ntk[(0, 0)] * db.ntk[(0, 0)]).sqrt();
        ek = ek.max((fast.nngp[(i, j)] - pair.nngp[(0, 0)]).abs() / scale_k);
        et = et.max((fast.ntk[(i, j)] - pair.ntk[(0, 0)]).abs() / scale_t);
    }
    Ok((ek, et))
}

/// Minimum and maximum wall time of `repeat` runs of `f`, and its last result.
fn time<T>(repeat: usize, mut f: impl FnMut() -> Result<T, CliError>) -> Result<((f64, f64), T), CliError> {
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        last = Some(f()?);
        let s = start.elapsed().as_secs_f64();
        lo = lo.min(s);
        hi = hi.max(s);
    }
    Ok(((lo, hi), last.expect("at least one run")))
}

fn single_thread<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T, CliError> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().map_err(CliError::failed)?;
    Ok(pool.install(f))
}

fn reference_map_errors(
    act: Activation,
    depth: usize,
    x1: &DMatrix<f64>,
    x2: &DMatrix<f64>,
    k: &KernelPair,
    entries: &[(usize, usize)],
) -> Result<(f64, f64, &'static str), CliError> {
    Ok(match act {
        Activation::Relu => {
            let (a, b) = max_errors(&ReluMap, depth, x1, x2, k, entries)?;
            (a, b, "layered closed form")
        }
        Activation::LeakyRelu { slope } => {
            let (a, b) = max_errors(&LeakyReluMap { slope }, depth, x1, x2, k, entries)?;
            (a, b, "layered closed form")
        }
        Activation::Erf => {
            let (a, b) = max_errors(&ErfMap, depth, x1, x2, k, entries)?;
            (a, b, "layered closed form")
        }
        Activation::Identity => {
            let (a, b) = max_errors(&IdentityMap, depth, x1, x2, k, entries)?;
            (a, b, "layered closed form")
        }
        Activation::Sin => {
            let (a, b) = max_errors(&SinMap, depth, x1, x2, k, entries)?;
            (a, b, "layered closed form")
        }
        Activation::Gelu => {
            let (a, b) = max_errors(&GeluMap, depth, x1, x2, k, entries)?;
            (a, b, "layered closed form")
        }
        act => {
            let (a, b) = max_errors(&AdaptiveMap::new(act), depth, x1, x2, k, entries)?;
            (a, b, "adaptive quadrature (1e-13)")
        }
    })
}

fn stats_json(stats: &[LayerStats]) -> serde_json::Value {
    let sum = |f: fn(&LayerStats) -> usize| stats.iter().map(f).sum::<usize>();
    json!({
        "series_pairs": sum(|s| s.series),
        "complementary_pairs": sum(|s| s.complementary),
        "near_diagonal_pairs": sum(|s| s.near_diagonal),
        "near_diagonal_estimated_pairs": sum(|s| s.near_diagonal_estimated),
        "fallback_pairs": sum(|s| s.fallback),
        "fallback_per_layer": stats.iter().map(|s| s.fallback).collect::<Vec<_>>(),
        "max_terms": stats.iter().map(|s| s.max_terms).max(),
    })
}

fn bench_kernel(act: Activation, args: &Args) -> Result<serde_json::Value, CliError> {
    let (n, depth) = (args.points, args.depth);
    let arch = Architecture::new(depth, act, SW2, SB2, Parameterization::Ntk)?;
    let (x1, x2) = (points(n, 8, 0.0), points(n, 8, 0.3));
    // The first call also builds the process-wide Gauss–Hermite rules and tables.
    let ((first, _), _) = time(1, || kernels(&arch, &x1, &x2).map_err(CliError::failed))?;
    let ((t_lo, t_hi), k) = time(args.repeat, || kernels(&arch, &x1, &x2).map_err(CliError::failed))?;
    let ((s_lo, s_hi), k1) = time(args.repeat, || {
        single_thread(|| kernels(&arch, &x1, &x2)).and_then(|r| r.map_err(CliError::failed))
    })?;
    let identical = k1 == k;
    let mut out = json!({
        "activation": act.to_string(),
        "points": [n, n],
        "depth": depth,
        "seconds": [t_lo, t_hi],
        "first_call_seconds (includes building quadrature rules)": first,
        "seconds_single_thread": [s_lo, s_hi],
        "threads": rayon::current_num_threads(),
        "threaded_equals_single_thread_bitwise": identical,
        "entries_per_second": (n * n) as f64 / t_lo,
        "checksum": k.ntk.sum(),
    });
    if !act.has_closed_form() {
        let (_, stats) = smooth_kernels(&act, depth, SW2, SB2, &x1, &x2).map_err(CliError::failed)?;
        out["paths"] = stats_json(&stats);
    }
    if args.sample > 0 {
        let entries = sample(&x1, &x2, args.sample);
        let start = Instant::now();
        let (ek, et, reference) = reference_map_errors(act, depth, &x1, &x2, &k, &entries)?;
        out["accuracy"] = json!({
            "reference": reference,
            "entries": entries.len(),
            "max_error_nngp": ek,
            "max_error_ntk": et,
            "relative_to": "sqrt(K(x,x) K(x',x')), resp. Θ",
            "reference_seconds": start.elapsed().as_secs_f64(),
        });
    }
    Ok(out)
}

fn bench_predict(depth: usize) -> Result<serde_json::Value, CliError> {
    let arch = Architecture::new(depth, Activation::Erf, SW2, SB2, Parameterization::Ntk)?;
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
        "train": n, "test": m, "times": n_times, "depth": depth, "activation": "erf",
        "setup_seconds (kernels + eigendecompositions)": setup,
        "all_times_seconds (mean + variance, both GPs)": per_times,
        "per_time_seconds": per_times / n_times as f64,
        "gflops_per_second (time loop)": flops / per_times / 1e9,
        "loss_curves_seconds (50 times, train loss, both GPs)": loss_secs,
        "total_seconds": setup + per_times,
        "checksum": checksum + curves.ntk.iter().map(|l| l.train).sum::<f64>(),
    }))
}

/// Runs the benchmark.
///
/// # Errors
/// A bad `--custom` expression or `--only` name; otherwise only if the fixed inputs were
/// somehow rejected.
pub fn run(args: &Args) -> Result<serde_json::Value, CliError> {
    let custom = Activation::custom(&args.custom).map_err(CliError::bad_input)?;
    let all = [
        ("erf", Activation::Erf),
        ("relu", Activation::Relu),
        ("leaky_relu", Activation::LeakyRelu { slope: 0.1 }),
        ("gelu", Activation::Gelu),
        ("sin", Activation::Sin),
        ("identity", Activation::Identity),
        ("tanh", Activation::Tanh),
        ("softplus", Activation::Softplus),
        ("sigmoid", Activation::Sigmoid),
        ("custom", custom),
    ];
    for name in &args.only {
        if !all.iter().any(|(n, _)| n == name) {
            return Err(CliError::BadInput(format!("--only: unknown activation '{name}'").into()));
        }
    }
    let chosen: Vec<(&str, Activation)> = all
        .into_iter()
        .filter(|(name, _)| args.only.is_empty() || args.only.iter().any(|o| o == name))
        .collect();
    if args.page_train == 0 {
        return Err(CliError::BadInput("--page-train must be at least 1".into()));
    }
    let smooth: Vec<(&str, Activation)> =
        chosen.iter().copied().filter(|(_, act)| !act.has_closed_form()).collect();
    let page =
        crate::bench_theory_page::run(&smooth, 2..=10, args.page_train, args.page_repeat, args.page_sample)?;
    if args.page_only {
        return Ok(json!({ "page": page }));
    }
    let mut kernels_out = Vec::new();
    for (_, act) in chosen {
        kernels_out.push(bench_kernel(act, args)?);
    }
    let predict = if args.only.is_empty() { Some(bench_predict(args.depth)?) } else { None };
    Ok(json!({ "kernels": kernels_out, "predict": predict, "page": page }))
}
