//! Bounds on the derivatives of an activation over the whole real line,
//! `D_k ≥ sup_x |φ^{(k)}(x)|`, which bound the error of a Gauss–Hermite rule applied to
//! `w ↦ φ(y + σw)` ([`crate::theory::near_diagonal`]).
//!
//! For tanh they follow from its partial fractions (Mittag-Leffler),
//! `tanh z = Σ_{n∈ℤ} 1/(z − iπ(n + ½))`, whose k-th derivative (k ≥ 1) converges absolutely:
//!
//! ```text
//! tanh^{(k)}(x) = Σ_n (−1)^k k! / (x − iπ(n + ½))^{k+1},    |x − iπ(n + ½)| ≥ π|n + ½|
//! ⇒ |tanh^{(k)}(x)| ≤ k! Σ_n (π|n + ½|)^{−(k+1)} = 2 k! (2/π)^{k+1} λ(k+1),
//! λ(s) = Σ_{n≥0} (2n + 1)^{−s}
//! ```
//!
//! (attained at x = 0 for odd k: every term then has the same sign). The logistic sigmoid is
//! `σ(x) = ½ + ½ tanh(x/2)`, so `σ^{(k)}(x) = 2^{−k−1} tanh^{(k)}(x/2)`, and softplus' = σ,
//! so `softplus^{(k)} = σ^{(k−1)}` (k ≥ 1). A typed φ gets its bounds from
//! [`crate::custom_phi::taylor`] where it is analytic, none otherwise.

use crate::custom_phi::{Expr, Func};

/// Highest order of the inner Gauss–Hermite rule. Beyond it `m! σ^{2m}` grows faster than the
/// derivative bounds let `ε_m` fall, and the pair is left to the other routes.
pub const MAX_ORDER: usize = 16;

/// Highest derivative order bounded: `2·MAX_ORDER + 1` for the inner rules of
/// [`crate::theory::near_diagonal`] (the φ' map needs `D_{2m+1}`); the typed φ's sampled
/// bounds ([`crate::custom_phi::taylor::MAX_DERIVATIVE`]) go as far.
pub const MAX_DERIVATIVE: usize = 2 * MAX_ORDER + 1;
const _: () = assert!(MAX_DERIVATIVE == crate::custom_phi::taylor::MAX_DERIVATIVE);

/// `D_k ≥ sup_x |φ^{(k)}(x)|` for `k = 0..=MAX_DERIVATIVE` (`+∞` where unknown or unbounded).
#[derive(Clone, Debug, PartialEq)]
pub struct DerivativeBounds {
    /// `sup[k] ≥ sup_x |φ^{(k)}(x)|`
    pub sup: Vec<f64>,
}

/// An upper bound on `λ(s) = Σ_{n≥0} (2n + 1)^{−s}` for s > 1: the first N terms plus
/// `Σ_{n≥N} (2n+1)^{−s} ≤ ∫_{N−1}^∞ (2x+1)^{−s} dx = (2N − 1)^{1−s} / (2(s − 1))`
/// (the terms decrease, so each is below the integral over the unit interval before it).
pub fn odd_zeta_bound(s: f64) -> f64 {
    const N: usize = 64;
    let head: f64 = (0..N).map(|n| (2.0 * n as f64 + 1.0).powf(-s)).sum();
    head + (2.0 * N as f64 - 1.0).powf(1.0 - s) / (2.0 * (s - 1.0))
}

impl DerivativeBounds {
    /// tanh: `D_0 = 1`, `D_k = 2 k! (2/π)^{k+1} λ(k+1)` (module docs; computed once).
    pub fn tanh() -> Self {
        static TANH: std::sync::OnceLock<DerivativeBounds> = std::sync::OnceLock::new();
        TANH.get_or_init(Self::tanh_uncached).clone()
    }

    fn tanh_uncached() -> Self {
        let mut sup = vec![1.0; MAX_DERIVATIVE + 1];
        let mut factorial = 1.0;
        for (k, d) in sup.iter_mut().enumerate().skip(1) {
            factorial *= k as f64;
            let s = (k + 1) as f64;
            *d = 2.0 * factorial * std::f64::consts::FRAC_2_PI.powi(k as i32 + 1) * odd_zeta_bound(s);
        }
        DerivativeBounds { sup }
    }

    /// The logistic sigmoid: `D_0 = 1`, `D_k = 2^{−k−1} D_k(tanh)` (module docs).
    pub fn sigmoid() -> Self {
        let tanh = Self::tanh();
        let sup = (0..=MAX_DERIVATIVE)
            .map(|k| if k == 0 { 1.0 } else { tanh.sup[k] * 0.5f64.powi(k as i32 + 1) })
            .collect();
        DerivativeBounds { sup }
    }

    /// softplus `ln(1 + eˣ)`: unbounded itself (`D_0 = ∞`), `D_k = D_{k−1}(σ)` for k ≥ 1.
    pub fn softplus() -> Self {
        let sigmoid = Self::sigmoid();
        let sup =
            (0..=MAX_DERIVATIVE).map(|k| if k == 0 { f64::INFINITY } else { sigmoid.sup[k - 1] }).collect();
        DerivativeBounds { sup }
    }

    /// The bounds of a typed φ: a built-in spelled as an expression (`tanh(x)`, `sigmoid(x)`,
    /// `softplus(x)`) gets the built-in's (so that it gives the built-in's kernels exactly),
    /// any other its sampled bounds `sampled` ([`crate::custom_phi::taylor::derivative_sup`]),
    /// or none if φ is not analytic.
    pub fn of_expression(e: &Expr, sampled: Option<&[f64]>) -> Self {
        if let Expr::Call(f, arg) = e {
            if **arg == Expr::X {
                match f {
                    Func::Tanh => return Self::tanh(),
                    Func::Sigmoid => return Self::sigmoid(),
                    Func::Softplus => return Self::softplus(),
                    _ => {}
                }
            }
        }
        match sampled {
            Some(sup) => DerivativeBounds { sup: sup.to_vec() },
            None => Self::unknown(),
        }
    }

    /// No bound known: every `D_k = ∞` (the near-diagonal rule is then never used).
    pub fn unknown() -> Self {
        DerivativeBounds { sup: vec![f64::INFINITY; MAX_DERIVATIVE + 1] }
    }

    /// The bounds of φ' (`D_k(φ') = D_{k+1}(φ)`; the last one unknown).
    pub fn of_derivative(&self) -> Self {
        let mut sup: Vec<f64> = self.sup[1..].to_vec();
        sup.push(f64::INFINITY);
        DerivativeBounds { sup }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// λ(2) = π²/8 and λ(4) = π⁴/96 exactly; the bound is above and within 0.5 % (s = 2, the
    /// slowest tail) resp. 1e-8.
    #[test]
    fn odd_zeta_bound_is_above_and_close() {
        let pi = std::f64::consts::PI;
        let (l2, l4) = (pi * pi / 8.0, pi.powi(4) / 96.0);
        assert!(odd_zeta_bound(2.0) >= l2 && odd_zeta_bound(2.0) <= 1.005 * l2);
        assert!(odd_zeta_bound(4.0) >= l4 && odd_zeta_bound(4.0) <= (1.0 + 1e-8) * l4);
    }

    /// Against derivatives of tanh computed independently (its Taylor coefficients at 0 from
    /// the recurrence of `t' = 1 − t²`, and central differences of sech² on a grid): every
    /// bound holds, and the odd ones are attained at 0 (within the 0.5 % by which the bound on
    /// λ(2) exceeds π²/8).
    #[test]
    fn tanh_bounds_hold_and_are_attained() {
        let d = DerivativeBounds::tanh();
        // Taylor coefficients t_k of tanh at 0: t' = 1 − t², so (k+1) t_{k+1} = [1 − t²]_k.
        let n = MAX_DERIVATIVE + 1;
        let mut t = vec![0.0f64; n + 1];
        for k in 0..n {
            let square: f64 = (0..=k).map(|j| t[j] * t[k - j]).sum();
            let rhs = if k == 0 { 1.0 - square } else { -square };
            t[k + 1] = rhs / (k + 1) as f64;
        }
        let mut factorial = 1.0f64;
        for (k, &tk) in t.iter().enumerate().take(MAX_DERIVATIVE + 1).skip(1) {
            factorial *= k as f64;
            let at_zero = (tk * factorial).abs();
            assert!(at_zero <= d.sup[k] * (1.0 + 1e-12), "k = {k}: {at_zero} > {}", d.sup[k]);
            if k % 2 == 1 {
                assert!(at_zero >= d.sup[k] * 0.995, "odd k = {k} attained at 0: {at_zero} vs {}", d.sup[k]);
            }
        }
        // tanh'' = −2 tanh sech², largest 4/(3√3) at tanh x = 1/√3.
        let second = (0..=4000).map(|i| {
            let x = -5.0 + i as f64 * 0.0025;
            (2.0 * x.tanh() / x.cosh().powi(2)).abs()
        });
        let top = second.fold(0.0, f64::max);
        assert!(top <= d.sup[2] && top >= 4.0 / (3.0 * 3f64.sqrt()) - 1e-5, "{top} vs {}", d.sup[2]);
    }

    /// The sigmoid's and softplus' bounds are tanh's rescaled: σ' ≤ ¼ at 0 (to the 0.1 % of
    /// the λ(2) bound), softplus'' = σ'.
    #[test]
    fn sigmoid_and_softplus_follow_from_tanh() {
        let (s, p) = (DerivativeBounds::sigmoid(), DerivativeBounds::softplus());
        assert!(s.sup[1] >= 0.25 && s.sup[1] <= 0.25 * 1.001, "{}", s.sup[1]);
        assert_eq!(p.sup[2], s.sup[1]);
        assert_eq!(p.sup[1], 1.0);
        assert!(p.sup[0].is_infinite());
        assert_eq!(DerivativeBounds::tanh().of_derivative().sup[0], DerivativeBounds::tanh().sup[1]);
    }
}
