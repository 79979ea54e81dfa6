//! Monte Carlo check of the analytic NNGP kernel: the outputs of randomly initialised finite
//! networks (width 1024, NTK parameterization) have, over initialisations, the covariance
//! `kernels(arch, X, X).nngp` (paper Eq. 13's prior; docs/MATH.md's recursion for K).
//! (Θ has its own seed-average test in `nets_linearization.rs`.)
//!
//! # Sampling design
//!
//! A network of width 1024 and depth 2 costs ≈ 10⁶ normal draws to initialise and ≈ 10⁶
//! multiply-adds per point to evaluate, while its readout layer costs 10³ of each. Given the
//! hidden layers, the output is exactly Gaussian with the finite-width kernel K̂, which differs
//! from K by only O(1/√n); so most of the sampling noise of `f(x_i) f(x_j)` is readout noise,
//! and fresh readouts buy samples ~1000× more cheaply than fresh networks. With G = 16
//! networks × R = 256 readouts the standard error on K_ii is 2–4 % (measured), against ≈ 7 %
//! (`√(2/M)`) for M = 400 independent networks at ~20× the cost — and that is what lets a 20 %
//! error in σ_w² be rejected for erf and tanh, whose K responds to it only about linearly.
//! The samples are therefore drawn in two levels:
//!
//! * G independent networks `Mlp::new(arch, 2, 1024, member_seed(JOB, g))`, evaluated with
//!   `forward_trace` (the trace of `forward`; its output is checked to be `forward`'s);
//! * for each, R readout layers: the network's own, then R − 1 fresh N(0, 1) draws in the same
//!   layout, applied to the network's last hidden activations with the library's
//!   `dense_forward` — the very function `forward` uses for the readout. Each sample is thus
//!   the output of a randomly initialised network of the architecture; networks sharing hidden
//!   layers are correlated, which the standard error below accounts for.
//!
//! # Tolerance
//!
//! The readout weights are symmetric, so E f = 0 exactly at any width, and the estimator of
//! `C_ij = E[f(x_i) f(x_j)]` is the uncentred mean `Ĉ_ij` over all G·R samples. Per network g
//! the R products average to a group mean `m_g,ij`; the groups are i.i.d., so
//! `SE_ij = s_ij/√G` with `s_ij` the sample standard deviation of `m_g,ij` over g. Given the
//! hidden layers, f is exactly Gaussian with covariance K̂_g (the finite-width kernel), so
//! `Var(m_g) = Var_g(K̂_g) + E[K̂_ii K̂_jj + K̂_ij²]/R`: the second term is the i.i.d. formula
//! `(K_ii K_jj + K_ij²)/M` with M = G·R, the first the O(K²/n) spread of the finite-width kernel.
//! We use `SE_ij = max(s_ij/√G, √((K_ii K_jj + K_ij²)/(G R)))` (the i.i.d. formula as a floor
//! against an unluckily small sample spread of only G groups).
//!
//! Finite-width bias: with one hidden layer E[K̂] = K exactly (the last hidden pre-activations
//! are exactly Gaussian). Each further hidden layer feeds a kernel K̂ = K + O(1/√n) — a mean
//! over n i.i.d. units with `Var(K̂) ≲ 5 K²/n` (5 = Var(relu(u)²)/E[relu(u)²]², the
//! largest kurtosis factor among our activations) — through the nonlinear map T, whose
//! second-order term gives `E[T(K̂)] − T(K) ≈ ½ T''·Var(K̂) = O(K/n)`. We allow
//! `10 (L − 1) √(K_ii K_jj)/n` (≈ 1 % of the scale per layer at n = 1024; ≪ 5 SE).
//!
//! Tolerance per entry: `5 SE_ij + bias_ij`. Seeded, hence deterministic; with 5 standard
//! errors a correct kernel fails an entry with probability ≈ 2·10⁻⁴ for a random seed (t
//! distribution with G − 1 = 15 degrees of freedom; the i.i.d. floor only lowers it).
//!
//! The nearly identical points x₂ ≈ x₃ are also checked through the increment
//! `D = E[(f(x₂) − f(x₃))²] = K₂₂ + K₃₃ − 2K₂₃`, which the entrywise tolerance (≈ 10–20 % of K)
//! cannot resolve but whose estimate has a relative standard error of its own size (same
//! two-level SE, floor `D √(2/(G R))`, bias `10 (L − 1) D/n`): this exercises the analytic
//! kernel at correlation ≈ 1, where arc-cosine / arcsine forms cancel catastrophically if
//! written carelessly.

use nalgebra::DMatrix;
use ntk_core::nets::mlp::{dense_forward, Mlp};
use ntk_core::rng::{member_seed, Normal};
use ntk_core::theory::kernels::kernels;
use ntk_core::{Activation, Architecture, Parameterization};

const WIDTH: usize = 1024;
/// independent networks per architecture
const GROUPS: usize = 16;
/// readout layers per network (the network's own + R − 1 fresh)
const READOUTS: usize = 256;
const JOB_SEED: u64 = 20_190_602;
/// number of standard errors allowed
const Z: f64 = 5.0;
/// finite-width bias allowance per hidden layer above the first, in units of K/n
const BIAS_PER_LAYER: f64 = 10.0;
/// indices of the two nearly identical points
const NEAR: (usize, usize) = (2, 3);

/// Five points in d = 2: a generic one, one of tiny norm (K ≈ the bias-only kernel), two
/// nearly identical ones (|x₂ − x₃| ≈ 0.014, correlation ≈ 1), and one roughly opposite to
/// them (negative correlation for the odd activations).
fn points() -> DMatrix<f64> {
    DMatrix::from_row_slice(5, 2, &[1.2, -0.4, 0.03, -0.02, -0.6, 0.9, -0.59, 0.91, 0.7, -1.3])
}

/// The Monte Carlo estimates for one architecture.
struct Estimate {
    /// `Ĉ_ij`, mean of `f(x_i) f(x_j)` over all G·R samples
    second_moment: DMatrix<f64>,
    /// sample standard deviation over the G networks of the per-network means of `f_i f_j`
    group_sd: DMatrix<f64>,
    /// mean of `(f(x₂) − f(x₃))²`
    increment: f64,
    /// sample standard deviation over the G networks of its per-network means
    increment_sd: f64,
}

fn monte_carlo(arch: &Architecture, x: &DMatrix<f64>) -> Estimate {
    let n = x.nrows();
    let flat: Vec<f64> = x.row_iter().flat_map(|r| r.iter().copied().collect::<Vec<_>>()).collect();
    let mut group_means = Vec::with_capacity(GROUPS);
    let mut increment_means = Vec::with_capacity(GROUPS);
    for g in 0..GROUPS {
        let seed = member_seed(JOB_SEED, g as u64);
        let net = Mlp::<f64>::new(arch, x.ncols(), WIDTH, seed).unwrap();
        let trace = net.forward_trace(&flat, n);
        if g == 0 {
            assert_eq!(trace.out, net.forward(&flat, n), "forward_trace is forward");
        }
        let hidden = &trace.acts[arch.depth];
        let mut readout = net.layers[arch.depth].clone();
        let mut draws = Normal::new(member_seed(seed, u64::MAX));
        let mut out = vec![0.0; n];
        let mut sum = DMatrix::<f64>::zeros(n, n);
        let mut inc = 0.0;
        for r in 0..READOUTS {
            if r > 0 {
                // Same layout and distribution as `Mlp::new`'s readout: W (1 × n) then b.
                readout.w.iter_mut().for_each(|w| *w = draws.sample());
                readout.b[0] = draws.sample();
            }
            dense_forward(&readout, hidden, n, &mut out);
            if r == 0 {
                assert_eq!(out, trace.out, "the readout path reproduces the network's output");
            }
            for i in 0..n {
                for j in 0..n {
                    sum[(i, j)] += out[i] * out[j];
                }
            }
            inc += (out[NEAR.0] - out[NEAR.1]).powi(2);
        }
        group_means.push(sum / READOUTS as f64);
        increment_means.push(inc / READOUTS as f64);
    }
    let g = GROUPS as f64;
    let second_moment = group_means.iter().fold(DMatrix::zeros(n, n), |a, b| a + b) / g;
    let group_sd = DMatrix::from_fn(n, n, |i, j| {
        let ss: f64 = group_means.iter().map(|m| (m[(i, j)] - second_moment[(i, j)]).powi(2)).sum();
        (ss / (g - 1.0)).sqrt()
    });
    let increment = increment_means.iter().sum::<f64>() / g;
    let increment_sd =
        (increment_means.iter().map(|m| (m - increment).powi(2)).sum::<f64>() / (g - 1.0)).sqrt();
    Estimate { second_moment, group_sd, increment, increment_sd }
}

/// `5 SE_ij + bias_ij` (module docs), from the correct kernel `k`.
fn tolerance(est: &Estimate, k: &DMatrix<f64>, depth: usize) -> DMatrix<f64> {
    let (g, m) = (GROUPS as f64, (GROUPS * READOUTS) as f64);
    let bias_factor = BIAS_PER_LAYER * (depth - 1) as f64 / WIDTH as f64;
    DMatrix::from_fn(k.nrows(), k.ncols(), |i, j| {
        let iid = ((k[(i, i)] * k[(j, j)] + k[(i, j)].powi(2)) / m).sqrt();
        let se = (est.group_sd[(i, j)] / g.sqrt()).max(iid);
        Z * se + bias_factor * (k[(i, i)] * k[(j, j)]).sqrt()
    })
}

/// Largest `|Ĉ_ij − K_ij| / tol_ij`: < 1 means the kernel passes.
fn worst_ratio(est: &Estimate, k: &DMatrix<f64>, tol: &DMatrix<f64>) -> (f64, (usize, usize)) {
    let mut worst = (0.0, (0, 0));
    for i in 0..k.nrows() {
        for j in 0..k.ncols() {
            let r = (est.second_moment[(i, j)] - k[(i, j)]).abs() / tol[(i, j)];
            if r > worst.0 {
                worst = (r, (i, j));
            }
        }
    }
    worst
}

fn check_against_analytic_kernel(act: Activation, depth: usize, sw2: f64, sb2: f64) {
    let x = points();
    let arch = Architecture::new(depth, act, sw2, sb2, Parameterization::Ntk).unwrap();
    let k = kernels(&arch, &x, &x).unwrap().nngp;
    let est = monte_carlo(&arch, &x);
    let tol = tolerance(&est, &k, depth);

    let (ratio, (i, j)) = worst_ratio(&est, &k, &tol);
    assert!(
        ratio < 1.0,
        "{act} L={depth}: entry ({i},{j}) Monte Carlo {} vs analytic {} exceeds tolerance {}\n\
         Monte Carlo:{}analytic:{}tolerance:{}",
        est.second_moment[(i, j)],
        k[(i, j)],
        tol[(i, j)],
        est.second_moment,
        k,
        tol
    );

    // The nearly identical pair through its increment D (module docs).
    let (a, b) = NEAR;
    let d = k[(a, a)] + k[(b, b)] - 2.0 * k[(a, b)];
    assert!(d > 0.0 && d < 1e-2 * k[(a, a)], "{act}: the pair is nearly identical (D = {d})");
    let (g, m) = (GROUPS as f64, (GROUPS * READOUTS) as f64);
    let se = (est.increment_sd / g.sqrt()).max(d * (2.0 / m).sqrt());
    let tol_d = Z * se + BIAS_PER_LAYER * (depth - 1) as f64 / WIDTH as f64 * d;
    assert!(
        (est.increment - d).abs() < tol_d,
        "{act} L={depth}: E[(f(x{a}) − f(x{b}))²] Monte Carlo {} vs analytic {d} (tolerance {tol_d})",
        est.increment
    );

    // The test can fail: a kernel with σ_w² off by 20 % is rejected by the same tolerances.
    for factor in [0.8, 1.2] {
        let wrong_arch = Architecture::new(depth, act, factor * sw2, sb2, Parameterization::Ntk).unwrap();
        let wrong = kernels(&wrong_arch, &x, &x).unwrap().nngp;
        let (ratio, (i, j)) = worst_ratio(&est, &wrong, &tol);
        assert!(
            ratio > 1.0,
            "{act} L={depth}: σ_w² × {factor} should be detected; worst entry ({i},{j}) is at \
             {ratio:.2} tolerances"
        );
    }
}

#[test]
fn relu_network_outputs_have_the_nngp_covariance() {
    check_against_analytic_kernel(Activation::Relu, 3, 2.0, 0.05);
}

#[test]
fn erf_network_outputs_have_the_nngp_covariance() {
    check_against_analytic_kernel(Activation::Erf, 2, 1.8, 0.1);
}

#[test]
fn tanh_network_outputs_have_the_nngp_covariance() {
    check_against_analytic_kernel(Activation::Tanh, 2, 1.5, 0.1);
}

/// A custom φ: the finite networks evaluate the compiled expression, the kernel comes from the
/// Mehler series / quadrature path.
#[test]
fn custom_network_outputs_have_the_nngp_covariance() {
    check_against_analytic_kernel(Activation::custom("sin(3*x)+0.5*x").unwrap(), 2, 1.5, 0.1);
}
