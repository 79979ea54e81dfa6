//! The fast kernels of activations without closed forms (Mehler series with error bounds, the
//! adaptive fallback) against the reference quadrature ([`AdaptiveMap`]: adaptive
//! Gauss–Kronrod in the variable itself at 1e-13, itself checked against the erf closed form
//! over the same range in `theory::adaptive`'s unit tests), on a grid of variances
//! 10⁻⁶ … 10⁴ and correlations up to ±(1 − 10⁻¹²), map by map and through whole networks.

use nalgebra::DMatrix;
use ntk_core::theory::kernel_maps::{KernelMap, QuadratureMap, TPair};
use ntk_core::theory::kernels::{kernels, kernels_with_map};
use ntk_core::theory::smooth::{smooth_kernels, AdaptiveMap, SmoothMap};
use ntk_core::{Activation, Architecture, Parameterization};

/// The accuracy the fast paths promise, relative to the Cauchy–Schwarz scale
/// `√(T(s₁,s₁) T(s₂,s₂))` (resp. Ṫ): the series' bound is 1e-12 and the fallback's tolerance
/// 1e-12, so 1e-10 leaves a factor 100 for the bound's looseness and rounding, while any
/// formula or bookkeeping error shows at 1e-3 or worse. (The issue asks for 1e-8.)
const MAP_TOL: f64 = 1e-10;

const VARIANCES: [f64; 8] = [1e-6, 1e-2, 0.5, 2.0, 8.0, 40.0, 1e3, 1e4];
const MIXED: [(f64, f64); 5] = [(1e-6, 1.0), (0.5, 40.0), (2.0, 1e4), (1e-2, 8.0), (40.0, 1e3)];
const CORRELATIONS: [f64; 9] = [-1.0 + 1e-12, -0.999, -0.7, 0.0, 0.3, 0.9, 0.999, 0.99999, 1.0 - 1e-12];

fn compare(act: Activation) -> Vec<String> {
    let fast = SmoothMap::new(act);
    let reference = AdaptiveMap::new(act);
    let mut pairs: Vec<(f64, f64)> = VARIANCES.iter().map(|&s| (s, s)).collect();
    pairs.extend_from_slice(&MIXED);
    let mut failures = Vec::new();
    for (s1, s2) in pairs {
        let (p, q) = (fast.prepare(s1), fast.prepare(s2));
        let (pr, qr) = (reference.prepare(s1), reference.prepare(s2));
        let (dp, dq) = (reference.diag(&pr), reference.diag(&qr));
        // The diagonal (norms) first.
        for (ours, theirs) in [(fast.diag(&p), dp), (fast.diag(&q), dq)] {
            if (ours.t - theirs.t).abs() > MAP_TOL * theirs.t
                || (ours.t_dot - theirs.t_dot).abs() > MAP_TOL * theirs.t_dot
            {
                failures.push(format!("{act} diag at {s1}/{s2}: {ours:?} vs {theirs:?}"));
            }
        }
        let scale = TPair { t: (dp.t * dq.t).sqrt(), t_dot: (dp.t_dot * dq.t_dot).sqrt() };
        for rho in CORRELATIONS {
            let c = rho * (s1 * s2).sqrt();
            let ours = fast.pair(&p, &q, c);
            let theirs = reference.pair(&pr, &qr, c);
            let err = ((ours.t - theirs.t).abs() / scale.t, (ours.t_dot - theirs.t_dot).abs() / scale.t_dot);
            if !(err.0 <= MAP_TOL && err.1 <= MAP_TOL) {
                failures.push(format!(
                    "{act} s = {s1}, {s2}, ρ = {rho}: {ours:?} vs {theirs:?} (errors {:.1e}, {:.1e})",
                    err.0, err.1
                ));
            }
        }
    }
    failures
}

#[test]
fn maps_match_the_reference_on_the_grid() {
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = [Activation::Tanh, Activation::Softplus, Activation::Sigmoid]
            .into_iter()
            .map(|act| scope.spawn(move || compare(act)))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// Points whose input variances |x|²/d span 10⁻⁵ … 10³, with a repeated and a negated
/// nearly repeated point (correlations at and near ±1).
fn points(n: usize, phase: f64, spread: f64) -> DMatrix<f64> {
    let mut x = DMatrix::from_fn(n, 2, |i, j| {
        let scale = 10f64.powf(-2.5 + spread * ((i * 7) % n) as f64 / n as f64);
        scale * ((i as f64 + 1.0) * (0.618_034 + j as f64 * 0.414_214) + phase).sin()
    });
    let r1 = x.row(1).into_owned();
    x.set_row(3, &(-r1 * (1.0 + 1e-7)));
    let r0 = x.row(0).into_owned();
    x.set_row(2, &r0);
    x
}

fn assert_close(a: &DMatrix<f64>, b: &DMatrix<f64>, diag_a: &[f64], diag_b: &[f64], tol: f64, what: &str) {
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            let scale = (diag_a[i] * diag_b[j]).sqrt();
            let err = (a[(i, j)] - b[(i, j)]).abs() / scale;
            assert!(
                err <= tol,
                "{what} ({i}, {j}): {} vs {} ({err:.1e} of {scale:.3e})",
                a[(i, j)],
                b[(i, j)]
            );
        }
    }
}

/// The blocked, parallel engine equals the same rules applied pair by pair through the
/// layered recursion: differences are the order of summation (even/odd Horner, blocks using
/// a few more terms than a single pair), 1e-12 of the scale at most.
#[test]
fn engine_matches_the_pairwise_rules() {
    for act in [Activation::Tanh, Activation::Softplus, Activation::Sigmoid] {
        let (x1, x2) = (points(13, 0.0, 4.0), points(11, 0.4, 4.0));
        for (a, b) in [(&x1, &x2), (&x1, &x1)] {
            let (fast, stats) = smooth_kernels(&act, 3, 1.7, 0.05, a, b).unwrap();
            let layered = kernels_with_map(&SmoothMap::new(act), 3, 1.7, 0.05, a, b).unwrap();
            let da = smooth_kernels(&act, 3, 1.7, 0.05, a, a).unwrap().0;
            let db = smooth_kernels(&act, 3, 1.7, 0.05, b, b).unwrap().0;
            let (dak, dbk): (Vec<f64>, Vec<f64>) =
                (da.nngp.diagonal().iter().copied().collect(), db.nngp.diagonal().iter().copied().collect());
            let (dat, dbt): (Vec<f64>, Vec<f64>) =
                (da.ntk.diagonal().iter().copied().collect(), db.ntk.diagonal().iter().copied().collect());
            assert_close(&fast.nngp, &layered.nngp, &dak, &dbk, 1e-12, &format!("{act} nngp"));
            assert_close(&fast.ntk, &layered.ntk, &dat, &dbt, 1e-12, &format!("{act} ntk"));
            assert!(stats.iter().map(|s| s.series).sum::<usize>() > 0);
        }
    }
}

/// Whole networks (depth 3) against the reference maps in the same recursion, with input
/// variances 10⁻⁵ … 10³ (σ_w² = 2 raises them further): every entry within 1e-9 of its
/// Cauchy–Schwarz scale (map errors of 1e-10 grow by at most ≈ σ_w² Ṫ per layer).
#[test]
fn network_kernels_match_the_reference() {
    for act in [Activation::Tanh, Activation::Softplus, Activation::Sigmoid] {
        let (x1, x2) = (points(6, 0.1, 5.0), points(5, 0.7, 5.0));
        let (fast, _) = smooth_kernels(&act, 3, 2.0, 0.01, &x1, &x2).unwrap();
        let reference = kernels_with_map(&AdaptiveMap::new(act), 3, 2.0, 0.01, &x1, &x2).unwrap();
        let d1 = kernels_with_map(&AdaptiveMap::new(act), 3, 2.0, 0.01, &x1, &x1).unwrap();
        let d2 = kernels_with_map(&AdaptiveMap::new(act), 3, 2.0, 0.01, &x2, &x2).unwrap();
        let diag = |m: &DMatrix<f64>| -> Vec<f64> { m.diagonal().iter().copied().collect() };
        assert_close(
            &fast.nngp,
            &reference.nngp,
            &diag(&d1.nngp),
            &diag(&d2.nngp),
            1e-9,
            &format!("{act} nngp"),
        );
        assert_close(&fast.ntk, &reference.ntk, &diag(&d1.ntk), &diag(&d2.ntk), 1e-9, &format!("{act} ntk"));
    }
}

/// Where the previous quadrature is accurate (variances ≲ 2, its documented range), the new
/// path agrees with it to its accuracy (1e-11 of the scale; 2e-11 after three layers).
#[test]
fn agrees_with_the_previous_quadrature_where_that_is_accurate() {
    let x1 = DMatrix::from_fn(7, 3, |i, j| 0.4 * ((i * 3 + j) as f64 * 0.77).sin());
    let x2 = DMatrix::from_fn(6, 3, |i, j| 0.5 * ((i * 5 + j) as f64 * 0.31).cos());
    for act in [Activation::Tanh, Activation::Softplus, Activation::Sigmoid] {
        let arch = Architecture::new(3, act, 1.5, 0.1, Parameterization::Ntk).unwrap();
        let ours = kernels(&arch, &x1, &x2).unwrap();
        let old = kernels_with_map(&QuadratureMap::new(act), 3, 1.5, 0.1, &x1, &x2).unwrap();
        let scale = old.nngp.amax().max(old.ntk.amax());
        assert!((&ours.nngp - &old.nngp).amax() <= 2e-11 * scale, "{act}");
        assert!((&ours.ntk - &old.ntk).amax() <= 2e-11 * scale, "{act}");
    }
}
