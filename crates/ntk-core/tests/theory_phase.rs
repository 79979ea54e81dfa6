//! Order and chaos (`theory::phase`) against closed forms and independent computations.
//!
//! The independent reference for any φ: 1-D Gauss–Hermite quadrature of φ and φ' themselves
//! (a 300-node rule, not the kernel maps), Newton's method on `q = σ_w² E[φ(√q z)²] + σ_b²`
//! with the exact derivative `d/dq E[φ(√q z)²] = E[φ(√q z)² (z² − 1)]/(2q)` (differentiating
//! the Gaussian density in its variance), and 2-D product-rule quadrature for the correlation
//! map. The χ's are also checked against finite differences of the kernel maps' own T.

use nalgebra::DMatrix;
use ntk_core::theory::kernel_maps::{ErfMap, KernelMap, QuadratureMap};
use ntk_core::theory::kernels::kernels;
use ntk_core::theory::phase::{
    correlation_map, correlation_trajectories, gram_conditioning, phase_grid, phase_point,
    phase_point_with_map, AxisRange, Phase, PhaseGrid, PhaseGridSpec, DEFAULT_Q0, TRAINABLE_DEPTH_FACTOR,
};
use ntk_core::theory::quadrature::GaussHermite;
use ntk_core::{Activation, Architecture, Parameterization};

/// A 300-node rule integrates E[f(√q z)] for these analytic f to ≲ 1e-14 relative at q ≤ 3
/// (tanh's poles at ±iπ/2 limit the convergence rate; measured against 600 nodes).
fn rule() -> GaussHermite {
    GaussHermite::new(300)
}

/// Independent q*: Newton on `h(q) = σ_w² E[φ(√q z)²] + σ_b² − q` from q₀ = 1.
fn q_star_reference(act: Activation, sw2: f64, sb2: f64) -> f64 {
    let gh = rule();
    let mut q: f64 = 1.0;
    for _ in 0..100 {
        let e2 = gh.expect(q, |u| act.apply(u).powi(2));
        let slope = gh.expect(q, |u| act.apply(u).powi(2) * (u * u / q - 1.0)) / (2.0 * q);
        let step = (sw2 * e2 + sb2 - q) / (sw2 * slope - 1.0);
        q -= step;
        if step.abs() < 1e-15 * q {
            break;
        }
    }
    q
}

/// Independent χ₁ = σ_w² E[φ'(√q z)²] and χ_q = σ_w² E[φ(√q z)²(z² − 1)]/(2q).
fn chis_reference(act: Activation, sw2: f64, q: f64) -> (f64, f64) {
    let gh = rule();
    let chi1 = sw2 * gh.expect(q, |u| act.derivative(u).powi(2));
    let chi_q = sw2 * gh.expect(q, |u| act.apply(u).powi(2) * (u * u / q - 1.0)) / (2.0 * q);
    (chi1, chi_q)
}

#[test]
fn erf_against_its_closed_forms() {
    // T(q,q,q) = (2/π) asin(2q/(1+2q)), Ṫ(q,q,q) = 4/(π√(1+4q)),
    // d/dq T = 4/(π (1+2q) √(1+4q)) (derivative of the asin form).
    use std::f64::consts::PI;
    for &(sw2, sb2) in &[(1.0, 0.1), (2.25, 0.0025), (4.0, 0.5), (0.5, 0.05)] {
        let p = phase_point(Activation::Erf, sw2, sb2, DEFAULT_Q0).unwrap();
        let q = p.q_star.unwrap();
        let fixed = sw2 * (2.0 / PI) * (2.0 * q / (1.0 + 2.0 * q)).asin() + sb2;
        // Brent stops at |Δq| ≤ 2ε q: the residual is a few ulps of q.
        assert!((fixed - q).abs() <= 1e-14 * q.max(1.0), "{sw2},{sb2}: q* {q} maps to {fixed}");
        let chi1 = sw2 * 4.0 / (PI * (1.0 + 4.0 * q).sqrt());
        assert!((p.chi1 - chi1).abs() <= 1e-13, "{sw2},{sb2}: χ₁ {} vs {chi1}", p.chi1);
        let chi_q = sw2 * 4.0 / (PI * (1.0 + 2.0 * q) * (1.0 + 4.0 * q).sqrt());
        // Richardson differences: O(h⁴) truncation ≈ 1e-12, rounding ≈ 1e-13.
        assert!((p.chi_q.unwrap() - chi_q).abs() <= 1e-10, "{sw2},{sb2}: χ_q {:?} vs {chi_q}", p.chi_q);
        // Independent quadrature of erf itself agrees with the closed forms (≲ 1e-13).
        let q_ref = q_star_reference(Activation::Erf, sw2, sb2);
        assert!((q - q_ref).abs() <= 1e-12 * q, "{sw2},{sb2}: q* {q} vs quadrature {q_ref}");
    }
}

#[test]
fn odd_activations_at_zero_bias_are_critical_where_sw2_phi_prime_0_squared_is_1() {
    // σ_b = 0, φ(0) = 0: below the critical point q* = 0 and χ₁ = σ_w² φ'(0)²; erf's
    // φ'(0)² = 4/π puts it at σ_w² = π/4, tanh's and sin's at σ_w² = 1.
    for (act, critical) in
        [(Activation::Erf, std::f64::consts::FRAC_PI_4), (Activation::Tanh, 1.0), (Activation::Sin, 1.0)]
    {
        let below = phase_point(act, 0.9 * critical, 0.0, DEFAULT_Q0).unwrap();
        assert_eq!(below.phase, Phase::Ordered, "{act}");
        assert_eq!(below.q_star, Some(0.0), "{act}");
        assert!((below.chi1 - 0.9).abs() < 1e-12, "{act}: χ₁ {}", below.chi1);
        assert_eq!(below.c_star, None);
        assert!((below.xi_c.unwrap() + 1.0 / 0.9f64.ln()).abs() < 1e-9);
        // χ_q = 𝒱'(0) = σ_w² φ'(0)² too (forward Richardson differences, O(h²) = 1e-8).
        assert!((below.chi_q.unwrap() - 0.9).abs() < 1e-6, "{act}: χ_q {:?}", below.chi_q);
        let above = phase_point(act, 1.2 * critical, 0.0, DEFAULT_Q0).unwrap();
        assert_eq!(above.phase, Phase::Chaotic, "{act}");
        assert!(above.q_star.unwrap() > 0.0 && above.chi1 > 1.0);
        // Odd φ, σ_b = 0: F is odd, so c* = 0.
        assert!(above.c_star.unwrap().abs() < 1e-12, "{act}: c* {:?}", above.c_star);
        // The critical line at σ_b = 0 from a grid straddling the critical point.
        let spec = PhaseGridSpec {
            activation: act,
            sw2: AxisRange { min: 0.5 * critical, max: 1.5 * critical, points: 6 },
            sb2: AxisRange { min: 0.0, max: 0.0, points: 1 },
            q0: DEFAULT_Q0,
        };
        let grid = phase_grid(&spec).unwrap();
        assert_eq!(grid.critical_line.len(), 1, "{act}: {:?}", grid.critical_line);
        // Below the critical point χ₁ = σ_w²/σ_c² exactly; just above it q* ∝ δ = σ_w² − σ_c²
        // and the leading terms of χ₁ − 1 cancel, leaving χ₁ − 1 = O(δ²): a flat root,
        // located only to √(rounding of χ₁ ≈ 1e-15) ≈ 3e-8.
        let found = grid.critical_line[0][0];
        assert!((found - critical).abs() < 1e-7, "{act}: critical σ_w² {found} vs {critical}");
    }
}

#[test]
fn relu_chi1_is_half_sw2_at_zero_bias() {
    // relu: T(q,q,q) = q/2, Ṫ = 1/2 for any q, so χ₁ = σ_w²/2; critical at He's σ_w² = 2.
    for &sw2 in &[0.5, 1.0, 1.9, 2.0, 2.5, 4.0] {
        let p = phase_point(Activation::Relu, sw2, 0.0, DEFAULT_Q0).unwrap();
        assert!((p.chi1 - sw2 / 2.0).abs() < 1e-15, "σ_w² {sw2}: χ₁ {}", p.chi1);
        let want = if sw2 < 2.0 {
            Phase::Ordered
        } else if sw2 == 2.0 {
            Phase::Critical
        } else {
            Phase::Unbounded
        };
        assert_eq!(p.phase, want, "σ_w² {sw2}");
    }
    // At exactly σ_w² = 2, σ_b = 0 every q is fixed: q* = q₀, ξ_c = ∞.
    let p = phase_point(Activation::Relu, 2.0, 0.0, 3.0).unwrap();
    assert_eq!((p.q_star, p.xi_c, p.trainable_depth), (Some(3.0), None, None));
}

#[test]
fn smooth_activations_against_independent_quadrature() {
    // Ordered and chaotic points with bias, closed form (erf) and quadrature (tanh, softplus,
    // sigmoid) maps, against Newton + 1-D quadrature of φ itself.
    let cases = [
        (Activation::Tanh, 0.8, 0.1),
        (Activation::Tanh, 1.5, 0.05),
        (Activation::Tanh, 3.0, 0.3),
        (Activation::Erf, 2.0, 0.2),
        (Activation::Softplus, 0.8, 0.1),
        (Activation::Sigmoid, 3.0, 0.0),
        (Activation::Gelu, 1.2, 0.1),
    ];
    for (act, sw2, sb2) in cases {
        let p = phase_point(act, sw2, sb2, DEFAULT_Q0).unwrap();
        let q = p.q_star.unwrap();
        let q_ref = q_star_reference(act, sw2, sb2);
        // Quadrature maps are accurate to ≈ 1e-11 relative at these variances (≤ 3); the
        // fixed point inherits that over (1 − χ_q) ≥ 0.1.
        assert!((q - q_ref).abs() <= 1e-9 * q_ref, "{act} {sw2},{sb2}: q* {q} vs {q_ref}");
        let (chi1, chi_q) = chis_reference(act, sw2, q_ref);
        assert!((p.chi1 - chi1).abs() <= 1e-9, "{act} {sw2},{sb2}: χ₁ {} vs {chi1}", p.chi1);
        // χ_q by differences of a quadrature map: ≈ 1e-8 (the module's stated accuracy).
        assert!((p.chi_q.unwrap() - chi_q).abs() <= 1e-6, "{act} {sw2},{sb2}: χ_q {:?} vs {chi_q}", p.chi_q);
        let want = if chi1 < 1.0 { Phase::Ordered } else { Phase::Chaotic };
        assert_eq!(p.phase, want, "{act} {sw2},{sb2}: χ₁ = {chi1}");
    }
}

/// `χ₁ = F'(1)` by one-sided Richardson differences of the correlation map (T only, no Ṫ):
/// `D(h) = (1 − F(1 − h))/h`, `2 D(h/2) − D(h)`; h = 1e-4 leaves O(h²) ≈ 1e-8 for smooth φ
/// and O(h^{1/2})·h ≈ 1e-6 for relu's (1 − c)^{3/2} term.
fn chi1_by_differences<M: KernelMap>(map: &M, sw2: f64, sb2: f64, q: f64) -> f64 {
    let d = |h: f64| (1.0 - correlation_map(map, sw2, sb2, q, 1.0 - h)) / h;
    let h = 1e-4;
    2.0 * d(h / 2.0) - d(h)
}

#[test]
fn chi_is_the_slope_of_the_correlation_map() {
    let tanh = QuadratureMap::new(Activation::Tanh);
    for &(sw2, sb2) in &[(0.9, 0.2), (1.3, 0.05), (2.5, 0.1), (4.0, 0.01)] {
        let p = phase_point_with_map(&tanh, sw2, sb2, DEFAULT_Q0);
        let q = p.q_star.unwrap();
        let fd = chi1_by_differences(&tanh, sw2, sb2, q);
        assert!((p.chi1 - fd).abs() < 1e-6 * p.chi1, "tanh {sw2},{sb2}: χ₁ {} vs F'(1) ≈ {fd}", p.chi1);
        let c = p.c_star.unwrap();
        // c* is a fixed point of F to rounding (Brent: |Δc| ≤ 4ε).
        assert!((correlation_map(&tanh, sw2, sb2, q, c) - c).abs() < 1e-13, "tanh {sw2},{sb2}: c* {c}");
        if p.phase == Phase::Chaotic {
            assert!(c < 1.0 && c > 0.0);
            // Central Richardson differences at c*: O(h⁴) with h = 1e-3.
            let cd = |h: f64| {
                (correlation_map(&tanh, sw2, sb2, q, c + h) - correlation_map(&tanh, sw2, sb2, q, c - h))
                    / (2.0 * h)
            };
            let slope = (4.0 * cd(5e-4) - cd(1e-3)) / 3.0;
            let chi_c = p.chi_c.unwrap();
            assert!((chi_c - slope).abs() < 1e-8, "tanh {sw2},{sb2}: χ_c {chi_c} vs F'(c*) ≈ {slope}");
            assert!(chi_c < 1.0, "c* must be stable");
            assert!((p.xi_c.unwrap() + 1.0 / chi_c.ln()).abs() < 1e-12);
        } else {
            assert_eq!(c, 1.0);
            assert_eq!(p.chi_c, Some(p.chi1));
        }
        assert_eq!(p.trainable_depth, p.xi_c.map(|x| TRAINABLE_DEPTH_FACTOR * x));
    }
    // The same for erf's closed form and relu (whose map has a (1 − c)^{3/2} term at c = 1).
    let p = phase_point_with_map(&ErfMap, 1.8, 0.3, DEFAULT_Q0);
    let fd = chi1_by_differences(&ErfMap, 1.8, 0.3, p.q_star.unwrap());
    assert!((p.chi1 - fd).abs() < 1e-6 * p.chi1, "erf: {} vs {fd}", p.chi1);
    // relu: 1 − F(1 − h) = χ₁ h − a h^{3/2} + O(h²), so D(h) = χ₁ − a√h + O(h) and the
    // extrapolation that removes √h is (√2 D(h/2) − D(h))/(√2 − 1), leaving O(h) = 1e-6.
    let relu = ntk_core::theory::kernel_maps::ReluMap;
    let p = phase_point_with_map(&relu, 1.5, 0.3, DEFAULT_Q0);
    let q = p.q_star.unwrap();
    let d = |h: f64| (1.0 - correlation_map(&relu, 1.5, 0.3, q, 1.0 - h)) / h;
    let h = 1e-6;
    let fd = (2f64.sqrt() * d(h / 2.0) - d(h)) / (2f64.sqrt() - 1.0);
    assert!((p.chi1 - fd).abs() < 1e-5, "relu: {} vs {fd}", p.chi1);
}

#[test]
fn chaotic_fixed_point_against_plain_iteration_of_independent_quadrature() {
    // c* by iterating c ← (σ_w² E[φ(u)φ(v)] + σ_b²)/q* with (u, v) ~ N(0, q*[[1, c], [c, 1]])
    // by the 2-D product rule on φ itself (not the Mehler series of the map).
    let (act, sw2, sb2) = (Activation::Tanh, 2.5, 0.1);
    let p = phase_point(act, sw2, sb2, DEFAULT_Q0).unwrap();
    let q = q_star_reference(act, sw2, sb2);
    let mut c = 0.5;
    for _ in 0..400 {
        c = (sw2 * GaussHermite::expect_2d(q, q, c * q, |u| u.tanh(), |v| v.tanh()) + sb2) / q;
    }
    // The iteration contracts by χ_c ≈ 0.5 per step: 400 steps reach rounding (≈ 1e-15);
    // the product rule is accurate to ≈ 1e-11 at q* ≈ 1.6.
    assert!((p.c_star.unwrap() - c).abs() < 1e-9, "c* {:?} vs iterated {c}", p.c_star);
}

/// Least-squares slope of `ln |c^l − c*|` against l over `range`.
fn log_distance_slope(c: &[f64], c_star: f64, range: std::ops::Range<usize>) -> f64 {
    let pts: Vec<(f64, f64)> = range.map(|l| (l as f64, (c[l] - c_star).abs().ln())).collect();
    let n = pts.len() as f64;
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n);
    let sxy: f64 = pts.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = pts.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    sxy / sxx
}

#[test]
fn iterated_correlation_converges_at_the_predicted_rate() {
    // |c^l − c*| ∝ e^{−l/ξ_c} once the map is linear around c*: the fitted log slope over
    // layers where the distance is small (but ≫ rounding) is −1/ξ_c. The residual nonlinearity
    // shrinks the distance's relative correction like χ_c^l; 2 % covers it at these layers.
    let cases = [
        (Activation::Tanh, 0.9, 0.1, 15..30),
        // c* ≈ 0.66 is far from c⁰ and χ_c ≈ 0.93: the linear regime needs more layers.
        (Activation::Tanh, 2.5, 0.1, 80..120),
        (Activation::Erf, 1.5, 0.5, 20..40),
        (Activation::Relu, 1.6, 0.2, 30..60),
    ];
    for (act, sw2, sb2, layers) in cases {
        let p = phase_point(act, sw2, sb2, DEFAULT_Q0).unwrap();
        let (q, c_star, xi) = (p.q_star.unwrap(), p.c_star.unwrap(), p.xi_c.unwrap());
        let traj = correlation_trajectories(act, sw2, sb2, q, &[0.1, 0.6, 0.95], layers.end).unwrap();
        for t in &traj {
            let d_end = (t.c[layers.end] - c_star).abs();
            assert!(d_end > 1e-9, "{act} {sw2},{sb2}: distance {d_end} reached rounding");
            let slope = log_distance_slope(&t.c, c_star, layers.clone());
            assert!(
                (slope + 1.0 / xi).abs() < 0.02 / xi,
                "{act} {sw2},{sb2} c₀ = {}: slope {slope} vs −1/ξ_c = {} ({:?})",
                t.c0,
                -1.0 / xi,
                p.phase
            );
            // q stays at q* (started there).
            assert!(t.q.iter().all(|&v| (v - q).abs() < 1e-12 * q.max(1.0)));
        }
    }
}

#[test]
fn conditioning_sweep_matches_the_kernels_and_grows_like_exp_depth_over_xi() {
    let x = DMatrix::from_fn(6, 3, |i, j| ((i * 3 + j) as f64 * 0.71).sin() + 0.2 * j as f64);
    for act in [Activation::Erf, Activation::Relu, Activation::Tanh] {
        let (sw2, sb2) = (1.2, 0.3);
        let cond = gram_conditioning(act, sw2, sb2, &x, 12).unwrap();
        assert_eq!(cond.depths, (1..=12).collect::<Vec<_>>());
        for (i, &depth) in cond.depths.iter().enumerate() {
            let arch = Architecture::new(depth, act, sw2, sb2, Parameterization::Ntk).unwrap();
            let k = kernels(&arch, &x, &x).unwrap();
            let direct_k = k.nngp.symmetric_eigenvalues();
            let direct_t = k.ntk.symmetric_eigenvalues();
            // Same recursion, same arithmetic: rounding of the eigensolver only.
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
            assert!(close(cond.nngp[i].lambda_max, direct_k.max()), "{act} L={depth}");
            assert!(close(cond.nngp[i].lambda_min, direct_k.min()), "{act} L={depth}");
            assert!(close(cond.ntk[i].lambda_max, direct_t.max()), "{act} L={depth}");
            assert!(close(cond.ntk[i].lambda_min, direct_t.min()), "{act} L={depth}");
        }
    }
    // Ordered erf: K^L → q* 11ᵀ, λ_min ∝ e^{−L/ξ_c}, so ln κ(L) grows with slope 1/ξ_c.
    let (sw2, sb2) = (1.0, 0.5);
    let p = phase_point(Activation::Erf, sw2, sb2, DEFAULT_Q0).unwrap();
    assert_eq!(p.phase, Phase::Ordered);
    let xi = p.xi_c.unwrap();
    let cond = gram_conditioning(Activation::Erf, sw2, sb2, &x, 30).unwrap();
    let logk: Vec<f64> = cond.nngp.iter().map(|c| c.condition.unwrap().ln()).collect();
    let slope = (logk[29] - logk[19]) / 10.0;
    // The smallest eigenvalue's decay reaches its asymptotic rate χ₁ once the faster
    // components (χ_q, and the next order of the correlation map) have died out; by L = 20
    // they are below 1 %.
    assert!((slope - 1.0 / xi).abs() < 0.02 / xi, "ln κ slope {slope} vs 1/ξ_c = {}", 1.0 / xi);
}

#[test]
fn grid_cells_are_phase_points_and_rows_assemble() {
    let spec = PhaseGridSpec {
        activation: Activation::Erf,
        sw2: AxisRange { min: 0.5, max: 4.0, points: 8 },
        sb2: AxisRange { min: 0.0, max: 0.5, points: 5 },
        q0: DEFAULT_Q0,
    };
    let grid = phase_grid(&spec).unwrap();
    assert_eq!(grid.sw2.len(), 8);
    assert_eq!(grid.sb2, vec![0.0, 0.125, 0.25, 0.375, 0.5]);
    for (j, &sb2) in grid.sb2.iter().enumerate() {
        for (i, &sw2) in grid.sw2.iter().enumerate() {
            assert_eq!(
                *grid.cell(i, j).unwrap(),
                phase_point(Activation::Erf, sw2, sb2, DEFAULT_Q0).unwrap()
            );
        }
    }
    // One crossing per row here, each with χ₁ = 1 to the root finder's accuracy.
    assert_eq!(grid.critical_line.len(), 5);
    for &[sw2, sb2] in &grid.critical_line {
        let p = phase_point(Activation::Erf, sw2, sb2, DEFAULT_Q0).unwrap();
        assert!((p.chi1 - 1.0).abs() < 1e-12, "({sw2}, {sb2}): χ₁ = {}", p.chi1);
    }
    // The critical σ_w² grows with σ_b² (more bias needs more weight variance to reach chaos).
    assert!(grid.critical_line.windows(2).all(|w| w[1][0] > w[0][0]));
    // Rows computed separately, in any order, assemble to the same grid.
    let mut rows = ntk_core::theory::phase::phase_rows(&spec, 3..5).unwrap();
    rows.extend(ntk_core::theory::phase::phase_rows(&spec, 0..3).unwrap());
    assert_eq!(PhaseGrid::assemble(&spec, rows).unwrap(), grid);
    let partial = ntk_core::theory::phase::phase_rows(&spec, 0..3).unwrap();
    assert!(PhaseGrid::assemble(&spec, partial).is_err());
    // Serde round trip (the worker protocol).
    let json = serde_json::to_string(&grid).unwrap();
    assert_eq!(serde_json::from_str::<PhaseGrid>(&json).unwrap(), grid);
}

#[test]
fn trajectories_are_the_kernel_recursion_on_two_points() {
    // Two inputs of equal norm: K¹ has equal variances q⁰ = σ_w²|x|²/d + σ_b² and correlation
    // c⁰; the depth-L readout kernel K^{L+1} (theory::kernels, the full 2×2 recursion) then has
    // variance q^L and correlation c^L of the trajectory. The same maps on the same numbers
    // (up to the rounding of |x₂|²): agreement to rounding, from starts far from q*. 1e-12
    // allows for 8 layers of ≈ 1e-14 (quadrature: the diagonal by the 1-D rule in both).
    let x = DMatrix::from_row_slice(2, 2, &[1.3, 0.4, -0.2, (1.3f64 * 1.3 + 0.4 * 0.4 - 0.2 * 0.2).sqrt()]);
    for (act, sw2, sb2) in
        [(Activation::Tanh, 2.0, 0.3), (Activation::Erf, 0.7, 0.05), (Activation::Relu, 1.7, 0.4)]
    {
        let k1 = |i: usize, j: usize| sw2 * x.row(i).dot(&x.row(j)) / 2.0 + sb2;
        let (q0, c0) = (k1(0, 0), k1(0, 1) / k1(0, 0));
        assert!((k1(1, 1) - q0).abs() < 1e-15 * q0, "equal norms");
        let t = &correlation_trajectories(act, sw2, sb2, q0, &[c0], 8).unwrap()[0];
        for depth in 1..=8 {
            let arch = Architecture::new(depth, act, sw2, sb2, Parameterization::Ntk).unwrap();
            let k = kernels(&arch, &x, &x).unwrap().nngp;
            let (q, c) = (k[(0, 0)], k[(0, 1)] / k[(0, 0)]);
            assert!((t.q[depth] - q).abs() < 1e-12 * q, "{act} L={depth}: q {} vs {q}", t.q[depth]);
            assert!((t.c[depth] - c).abs() < 1e-12, "{act} L={depth}: c {} vs {c}", t.c[depth]);
        }
    }
}
