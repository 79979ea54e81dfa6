//! The page's own theory workload in `ntk bench theory`: the explorer's default 1-D sine data
//! (training points uniform on [−π, π], the 101-point test grid on [−π, π]) and the
//! cookbook's σ's (σ_w² = 2.25, σ_b² = 0.0025), at depths 2 to 10, for the activations without
//! a closed form. With one input dimension and a small σ_b², the first layer's correlation
//! `ρ = (σ_w² x x' + σ_b²)/√((σ_w² x² + σ_b²)(σ_w² x'² + σ_b²))` is within ~10⁻² of ±1 for
//! almost every pair: the hard case of the smooth kernels.
//!
//! What the page computes per σ's change is [`GpKernels::compute`]: K and Θ on train × train
//! and test × train and the test points' prior variances. It is timed here on one thread (the
//! page's kernel worker has one), with the routing of the pairs (series, complementary form,
//! near-diagonal rule, adaptive fallback) summed over both kernel calls and all layers, and the
//! largest error of a sample of entries against the adaptive reference at 1e-13.

use std::time::Instant;

use nalgebra::DMatrix;
use ntk_core::datasets::{Dataset1d, Target1d};
use ntk_core::theory::gp::GpKernels;
use ntk_core::theory::kernels::kernels_with_map;
use ntk_core::theory::smooth::{smooth_kernels, AdaptiveMap, LayerStats};
use ntk_core::{Activation, Architecture, Parameterization};
use serde_json::json;

use crate::CliError;

/// The cookbook's weight variance (the explorer's default).
pub const PAGE_SW2: f64 = 2.25;
/// The cookbook's bias variance (the explorer's default).
pub const PAGE_SB2: f64 = 0.0025;
/// The explorer's default noise level and seed of the sine data.
const NOISE: f64 = 0.1;
const SEED: u64 = 1;

/// The page's data: `n_train` sine points (seeded as the explorer's default) and the test grid,
/// one point per row.
pub fn page_points(n_train: usize) -> (DMatrix<f64>, DMatrix<f64>) {
    let data = Dataset1d::generate(Target1d::Sin, n_train, NOISE, SEED);
    let column = |v: &[f64]| DMatrix::from_column_slice(v.len(), 1, v);
    (column(&data.x_train), column(&data.x_test))
}

/// Pair routing summed over layers and calls.
fn add_stats(total: &mut LayerStats, stats: &[LayerStats]) {
    for s in stats {
        total.series += s.series;
        total.complementary += s.complementary;
        total.near_diagonal += s.near_diagonal;
        total.near_diagonal_estimated += s.near_diagonal_estimated;
        total.series_points += s.series_points;
        total.fallback += s.fallback;
        total.max_terms = total.max_terms.max(s.max_terms);
    }
}

/// Median and maximum of timings (seconds).
fn median_max(mut t: Vec<f64>) -> (f64, f64) {
    t.sort_by(f64::total_cmp);
    (t[t.len() / 2], t[t.len() - 1])
}

/// The entries of test × train compared with the reference: `k` spread over the test grid and
/// the training points.
fn sample_entries(n_test: usize, n_train: usize, k: usize) -> Vec<(usize, usize)> {
    (0..k).map(|m| ((m * 37 + 5) % n_test, (m * 5 + 1) % n_train)).collect()
}

/// Largest error of the test × train kernels against the adaptive reference on `entries`,
/// relative to the Cauchy–Schwarz scales `√(K(x,x) K(x',x'))` (resp. Θ).
fn page_errors(
    act: Activation,
    depth: usize,
    x_test: &DMatrix<f64>,
    x_train: &DMatrix<f64>,
    k: &GpKernels,
    entries: &[(usize, usize)],
) -> Result<(f64, f64), CliError> {
    let reference = AdaptiveMap::new(act);
    let (mut ek, mut et) = (0.0f64, 0.0f64);
    for &(i, j) in entries {
        let (a, b) = (x_test.rows(i, 1).into_owned(), x_train.rows(j, 1).into_owned());
        let run = |p: &DMatrix<f64>, q: &DMatrix<f64>| {
            kernels_with_map(&reference, depth, PAGE_SW2, PAGE_SB2, p, q).map_err(CliError::failed)
        };
        let (pair, da, db) = (run(&a, &b)?, run(&a, &a)?, run(&b, &b)?);
        let scale_k = (da.nngp[(0, 0)] * db.nngp[(0, 0)]).sqrt();
        let scale_t = (da.ntk[(0, 0)] * db.ntk[(0, 0)]).sqrt();
        ek = ek.max((k.cross.nngp[(i, j)] - pair.nngp[(0, 0)]).abs() / scale_k);
        et = et.max((k.cross.ntk[(i, j)] - pair.ntk[(0, 0)]).abs() / scale_t);
    }
    Ok((ek, et))
}

/// One activation at one depth: timings of [`GpKernels::compute`] on one thread, routing, and
/// the sampled errors.
fn one(
    act: Activation,
    depth: usize,
    (x_train, x_test): (&DMatrix<f64>, &DMatrix<f64>),
    repeat: usize,
    sample: usize,
) -> Result<serde_json::Value, CliError> {
    let arch = Architecture::new(depth, act, PAGE_SW2, PAGE_SB2, Parameterization::Ntk)?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().map_err(CliError::failed)?;
    let compute = || pool.install(|| GpKernels::compute(&arch, x_train, x_test)).map_err(CliError::failed);
    let k = compute()?; // warm-up: builds the process-wide rules on the first call
    let mut times = Vec::with_capacity(repeat);
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        compute()?;
        times.push(start.elapsed().as_secs_f64());
    }
    let (median, max) = median_max(times);
    let mut routes = LayerStats::default();
    for (p, q) in [(x_train, x_train), (x_test, x_train)] {
        let (_, stats) = smooth_kernels(&act, depth, PAGE_SW2, PAGE_SB2, p, q).map_err(CliError::failed)?;
        add_stats(&mut routes, &stats);
    }
    let mut out = json!({
        "depth": depth,
        "median_ms": 1e3 * median,
        "max_ms": 1e3 * max,
        "pairs": {
            "series": routes.series,
            "complementary": routes.complementary,
            "near_diagonal": routes.near_diagonal,
            "near_diagonal_estimated": routes.near_diagonal_estimated,
            "fallback": routes.fallback,
            "max_terms": routes.max_terms,
        },
        "points_with_series": routes.series_points,
    });
    if sample > 0 {
        let entries = sample_entries(x_test.nrows(), x_train.nrows(), sample);
        let (ek, et) = page_errors(act, depth, x_test, x_train, &k, &entries)?;
        out["max_error_nngp"] = json!(ek);
        out["max_error_ntk"] = json!(et);
    }
    Ok(out)
}

/// The page case for each activation and depth (module docs).
///
/// # Errors
/// Only if the fixed inputs were somehow rejected.
pub fn run(
    acts: &[(&str, Activation)],
    depths: std::ops::RangeInclusive<usize>,
    n_train: usize,
    repeat: usize,
    sample: usize,
) -> Result<serde_json::Value, CliError> {
    let (x_train, x_test) = page_points(n_train);
    let mut per_act = Vec::new();
    for &(name, act) in acts {
        let mut rows = Vec::new();
        for depth in depths.clone() {
            rows.push(one(act, depth, (&x_train, &x_test), repeat, sample)?);
        }
        per_act.push(json!({ "activation": name, "expression": act.to_string(), "depths": rows }));
    }
    Ok(json!({
        "case": "the page's 1-D sine data: GpKernels::compute (train × train, test × train, test variances), one thread",
        "train_points": n_train,
        "test_points": x_test.nrows(),
        "sw2": PAGE_SW2,
        "sb2": PAGE_SB2,
        "timed_runs": repeat,
        "sampled_entries": sample,
        "errors_relative_to": "sqrt(K(x,x) K(x',x')), resp. Θ, against adaptive quadrature at 1e-13",
        "activations": per_act,
    }))
}
