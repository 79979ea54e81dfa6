//! Gauss–Hermite quadrature for Gaussian expectations `E[f(z)]`, `z ~ N(0, 1)`, and
//! `E[f(u) g(v)]`, `(u, v) ~ N(0, Σ)` — the numerical route to the kernel maps `T` and `Ṫ`
//! (paper SM E) of activations without a closed form.
//!
//! Nodes and weights are computed here (Newton's method on orthonormal Hermite polynomials,
//! started from the classical asymptotic guesses) and cached per order.

use std::sync::OnceLock;

/// Orders of the cached rules. Gauss–Hermite converges slowly for functions that vary on a
/// scale much finer than the Gaussian's width (tanh(√s z) has poles at z = ±iπ/(2√s)), so the
/// order grows with the variance s: see [`GaussHermite::for_variance`].
pub const ORDERS: [usize; 10] = [64, 96, 128, 160, 200, 240, 300, 360, 450, 600];

/// Number of orthonormal Hermite polynomials tabulated per rule ([`hermite_table`]).
pub const HERMITE_TERMS: usize = 64;

struct CachedRule {
    rule: GaussHermite,
    /// `table[k · n + i] = wᵢ h_k(zᵢ)`, orthonormal probabilists' Hermite polynomials h_k
    table: Vec<f64>,
}

fn cached(index: usize) -> &'static CachedRule {
    static RULES: [OnceLock<CachedRule>; ORDERS.len()] = [const { OnceLock::new() }; ORDERS.len()];
    let index = index.min(ORDERS.len() - 1);
    RULES[index].get_or_init(|| {
        let rule = GaussHermite::new(ORDERS[index]);
        let n = rule.nodes.len();
        let mut table = vec![0.0; HERMITE_TERMS * n];
        for (i, (&z, &w)) in rule.nodes.iter().zip(&rule.weights).enumerate() {
            // h_0 = 1, h_{k+1} = (z h_k − √k h_{k−1}) / √(k+1)
            let (mut prev, mut cur) = (0.0, 1.0);
            for k in 0..HERMITE_TERMS {
                table[k * n + i] = w * cur;
                let kf = k as f64;
                let next = (z * cur - kf.sqrt() * prev) / (kf + 1.0).sqrt();
                prev = cur;
                cur = next;
            }
        }
        CachedRule { rule, table }
    })
}

/// The index into [`ORDERS`] of the rule used for variance s: `n ≈ 60 + 100·s` (measured
/// for tanh: relative error ≲ 1e-11 up to s ≈ 2.5, ≈ 1e-9 at s = 5), capped at 600 (≈ 1e-6
/// at s = 10).
pub fn order_index(s: f64) -> usize {
    let want = 60.0 + 100.0 * s.max(0.0);
    ORDERS.iter().position(|&n| n as f64 >= want).unwrap_or(ORDERS.len() - 1)
}

/// The cached rule of order `ORDERS[index]` (index clamped to the largest).
pub fn rule(index: usize) -> &'static GaussHermite {
    &cached(index).rule
}

/// `wᵢ h_k(zᵢ)` for the rule [`GaussHermite::for_variance`]`(s)` (k < [`HERMITE_TERMS`]),
/// laid out as `table[k · n + i]`, with that rule.
pub fn hermite_table(s: f64) -> (&'static GaussHermite, &'static [f64]) {
    let c = cached(order_index(s));
    (&c.rule, &c.table)
}

/// A Gauss–Hermite rule for the *standard normal* weight:
/// `E[f(z)] ≈ Σᵢ wᵢ f(zᵢ)`, `z ~ N(0, 1)`, with `Σᵢ wᵢ = 1`.
#[derive(Clone, Debug)]
pub struct GaussHermite {
    /// nodes zᵢ, ascending
    pub nodes: Vec<f64>,
    /// weights wᵢ (positive, summing to 1)
    pub weights: Vec<f64>,
}

impl GaussHermite {
    /// The n-point rule for `N(0, 1)`: the roots of the (probabilists') Hermite polynomial
    /// `He_n` with Christoffel weights, found by Newton's method on the orthonormal
    /// physicists' recurrence `p_{j} = z √(2/j) p_{j−1} − √((j−1)/j) p_{j−2}` and rescaled by
    /// `z = √2 x`, `w = w_phys / √π`. `n = 0` gives the empty rule.
    pub fn new(n: usize) -> Self {
        const PI_M4: f64 = 0.751_125_544_464_942_5; // π^{-1/4}
        let mut x = vec![0.0; n];
        let mut w = vec![0.0; n];
        let m = n.div_ceil(2);
        let nf = n as f64;
        // Golub–Welsch: the roots are the eigenvalues of the Jacobi matrix of the physicists'
        // Hermite recurrence (zero diagonal, off-diagonal √(k/2)), located by Sturm-sequence
        // bisection (O(n²), where a dense eigensolver is O(n³)); Newton then polishes each.
        let guesses = jacobi_eigenvalues_descending(n, m);
        let coef: Vec<(f64, f64)> = (1..=n)
            .map(|j| {
                let jf = j as f64;
                ((2.0 / jf).sqrt(), ((jf - 1.0) / jf).sqrt())
            })
            .collect();
        for i in 0..m {
            let mut z = guesses[i];
            for _ in 0..30 {
                let (p1, p2) = orthonormal_hermite_pair(&coef, z, PI_M4 * (-0.5 * z * z).exp());
                let step = p1 / ((2.0 * nf).sqrt() * p2);
                if !step.is_finite() {
                    break;
                }
                z -= step;
                if step.abs() <= 1e-15 * z.abs().max(1.0) {
                    break;
                }
            }
            // Weight 2/(√(2n) p_{n−1})² computed with the Hermite *functions*
            // ψ_j = p_j e^{−z²/2}, which stay O(1) where the polynomials overflow:
            // w = 2 e^{−z²} / (√(2n) ψ_{n−1})².
            let (_, psi) = orthonormal_hermite_pair(&coef, z, PI_M4 * (-0.5 * z * z).exp());
            let pp = (2.0 * nf).sqrt() * psi;
            x[i] = z;
            w[i] = if pp.is_finite() && pp != 0.0 { 2.0 * (-z * z).exp() / (pp * pp) } else { 0.0 };
        }
        let sqrt2 = std::f64::consts::SQRT_2;
        let inv_sqrt_pi = 1.0 / std::f64::consts::PI.sqrt();
        let mut nodes = vec![0.0; n];
        let mut weights = vec![0.0; n];
        for i in 0..m {
            // x[i] is the i-th largest root: place it symmetrically.
            nodes[n - 1 - i] = sqrt2 * x[i];
            nodes[i] = -sqrt2 * x[i];
            weights[n - 1 - i] = w[i] * inv_sqrt_pi;
            weights[i] = w[i] * inv_sqrt_pi;
        }
        if n % 2 == 1 {
            nodes[m - 1] = 0.0;
        }
        GaussHermite { nodes, weights }
    }

    /// The cached rule for expectations under `N(0, s)` (order growing with s, see [`ORDERS`]).
    pub fn for_variance(s: f64) -> &'static GaussHermite {
        &cached(order_index(s)).rule
    }

    /// `E[f(√s · z)]`, `z ~ N(0, 1)`, i.e. the expectation of f under `N(0, s)`.
    pub fn expect(&self, s: f64, f: impl Fn(f64) -> f64) -> f64 {
        let sd = s.max(0.0).sqrt();
        self.nodes.iter().zip(&self.weights).map(|(&z, &w)| w * f(sd * z)).sum()
    }

    /// `E[f(u) g(v)]` for `(u, v) ~ N(0, [[s11, s12], [s12, s22]])` by the product rule on
    /// the Cholesky factorisation `u = √s11 z₁`, `v = √s22 (ρ z₁ + √(1−ρ²) z₂)` (outer rule
    /// chosen for s11, inner for the conditional variance s22(1−ρ²)), with ρ clamped to
    /// [−1, 1] and zero variances handled (no NaN).
    pub fn expect_2d(s11: f64, s22: f64, s12: f64, f: impl Fn(f64) -> f64, g: impl Fn(f64) -> f64) -> f64 {
        let (sd1, sd2) = (s11.max(0.0).sqrt(), s22.max(0.0).sqrt());
        let rho = correlation(s11, s22, s12);
        let rho_perp = (1.0 - rho * rho).max(0.0).sqrt();
        let sd_v = sd2 * rho_perp;
        let outer = GaussHermite::for_variance(s11);
        let inner = GaussHermite::for_variance(sd_v * sd_v);
        let mut total = 0.0;
        for (&z1, &w1) in outer.nodes.iter().zip(&outer.weights) {
            let fu = f(sd1 * z1);
            if fu == 0.0 {
                continue;
            }
            let mean_v = sd2 * rho * z1;
            let inner_sum: f64 = if sd_v == 0.0 {
                g(mean_v)
            } else {
                inner.nodes.iter().zip(&inner.weights).map(|(&z2, &w2)| w2 * g(mean_v + sd_v * z2)).sum()
            };
            total += w1 * fu * inner_sum;
        }
        total
    }
}

/// The number of eigenvalues below `x` of the n×n Jacobi matrix with zero diagonal and
/// off-diagonal `√(k/2)` (k = 1 … n−1), by Sylvester's law of inertia on the LDLᵀ
/// factorisation of `J − x I` (the Sturm sequence).
fn eigenvalues_below(n: usize, x: f64) -> usize {
    let mut count = 0;
    let mut d = -x;
    if d < 0.0 {
        count += 1;
    }
    for k in 1..n {
        let b2 = k as f64 / 2.0;
        // Guard an exact zero pivot by a tiny perturbation (standard for bisection).
        let prev = if d == 0.0 { f64::EPSILON } else { d };
        d = -x - b2 / prev;
        if d < 0.0 {
            count += 1;
        }
    }
    count
}

/// The largest `m` eigenvalues (descending) of the Hermite Jacobi matrix of order n, each by
/// bisection to a width of 1e-4 — far below the spacing of the roots (≥ π/√(2n+1)·½), so
/// that Newton converges quadratically from there. Each search starts in the four gaps below
/// the previous (larger) root, widened to the Gershgorin bound `√(2n)` if that bracket
/// misses it.
fn jacobi_eigenvalues_descending(n: usize, m: usize) -> Vec<f64> {
    let bound = (2.0 * n as f64).sqrt() + 1.0;
    let mut roots: Vec<f64> = Vec::with_capacity(m);
    for i in 0..m {
        // The i-th largest eigenvalue: exactly n − 1 − i eigenvalues lie below it.
        let target = n - 1 - i;
        let hi0 = roots.last().copied().unwrap_or(bound);
        let gap = match roots.len() {
            0 => bound,
            1 => bound - roots[0],
            k => roots[k - 2] - roots[k - 1],
        };
        let mut lo = hi0 - 4.0 * gap;
        if lo < -bound || eigenvalues_below(n, lo) > target {
            lo = -bound;
        }
        let mut hi = hi0;
        while hi - lo > 1e-4 {
            let mid = 0.5 * (lo + hi);
            if eigenvalues_below(n, mid) > target {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        roots.push(0.5 * (lo + hi));
    }
    roots
}

/// `coef[j − 1] = (√(2/j), √((j−1)/j))` are the recurrence's coefficients, j = 1 … n.
fn orthonormal_hermite_pair(coef: &[(f64, f64)], z: f64, p0: f64) -> (f64, f64) {
    let mut p1 = p0;
    let mut p2 = 0.0;
    for &(a, b) in coef {
        let p3 = p2;
        p2 = p1;
        p1 = z * a * p2 - b * p3;
    }
    (p1, p2)
}

/// Correlation `s12 / √(s11 s22)` clamped to [−1, 1]; 0 when a variance vanishes.
pub fn correlation(s11: f64, s22: f64, s12: f64) -> f64 {
    let denom = (s11.max(0.0) * s22.max(0.0)).sqrt();
    if denom > 0.0 && s12.is_finite() {
        (s12 / denom).clamp(-1.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gaussian moments E[z^{2k}] = (2k−1)!! are integrated exactly up to degree 2n−1; the
    /// tolerance allows for rounding in the summation (≈ n ε times the largest term).
    const MOMENT_TOL: f64 = 1e-12;

    #[test]
    fn moments_are_exact() {
        for n in [1usize, 2, 5, 20, 64, 96, 160, 200, 300, 450, 600] {
            let gh = GaussHermite::new(n);
            // n distinct nodes (no root found twice or missed), positive weights.
            assert!(gh.nodes.windows(2).all(|w| w[1] - w[0] > 1e-3), "n = {n}: nodes not separated");
            assert!(gh.weights.iter().all(|&w| w >= 0.0));
            let sum: f64 = gh.weights.iter().sum();
            assert!((sum - 1.0).abs() < MOMENT_TOL, "n = {n}: Σw = {sum}");
            let mut double_fact = 1.0;
            for k in 1..=n.min(8) {
                double_fact *= (2 * k - 1) as f64;
                if 2 * k > 2 * n - 1 {
                    break;
                }
                let m = gh.expect(1.0, |z| z.powi(2 * k as i32));
                assert!((m / double_fact - 1.0).abs() < MOMENT_TOL, "n = {n}, E z^{}: {m}", 2 * k);
                let odd = gh.expect(1.0, |z| z.powi(2 * k as i32 - 1));
                assert!(odd.abs() < MOMENT_TOL * double_fact, "n = {n}: odd moment {odd}");
            }
        }
    }

    #[test]
    fn two_d_covariance_and_degenerate_cases() {
        // E[uv] = s12, E[u²v²] = s11 s22 + 2 s12² (polynomials: exact up to rounding).
        let (a, b, c) = (1.7, 0.6, -0.4);
        assert!((GaussHermite::expect_2d(a, b, c, |u| u, |v| v) - c).abs() < 1e-13);
        let m22 = GaussHermite::expect_2d(a, b, c, |u| u * u, |v| v * v);
        assert!((m22 - (a * b + 2.0 * c * c)).abs() < 1e-12);
        // Perfect correlation, anti-correlation, zero variance: finite.
        assert!((GaussHermite::expect_2d(2.0, 2.0, 2.0, |u| u, |v| v) - 2.0).abs() < 1e-12);
        assert!((GaussHermite::expect_2d(2.0, 2.0, -2.0000001, |u| u, |v| v) + 2.0).abs() < 1e-12);
        assert_eq!(GaussHermite::expect_2d(0.0, 1.0, 0.0, |u| u, |v| v), 0.0);
        assert_eq!(correlation(0.0, 0.0, 0.0), 0.0);
    }
}
