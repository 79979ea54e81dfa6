//! The length and correlation maps of one layer, their fixed points q* and c* and slopes χ₁,
//! χ_q, χ_c, and the order/chaos quantities of one point of the (σ_w², σ_b²) plane.

use super::{
    check_q0, check_variances, with_map, MapTask, Phase, PhaseError, PhasePoint, CRITICAL_TOL, Q_UNBOUNDED,
    TRAINABLE_DEPTH_FACTOR,
};
use crate::activation::Activation;
use crate::theory::brent::brent;
use crate::theory::kernel_maps::{DiagonalMap, KernelMap};

/// The length map `𝒱(q) = σ_w² T(q, q, q) + σ_b²`: the variance of the next layer's
/// pre-activations given this layer's (SM E's recursion on the diagonal).
pub fn length_map<M: DiagonalMap>(map: &M, sw2: f64, sb2: f64, q: f64) -> f64 {
    sw2 * map.diag_at(q).t + sb2
}

/// The correlation map `F_q(c) = (σ_w² T(q, q, c q) + σ_b²) / 𝒱(q)`: the next layer's
/// correlation of two points of equal variance q and correlation c (SM E's recursion on one
/// off-diagonal entry, normalised). `F_q(1) = 1`.
pub fn correlation_map<M: KernelMap>(map: &M, sw2: f64, sb2: f64, q: f64, c: f64) -> f64 {
    let p = map.prepare(q);
    (sw2 * map.pair(&p, &p, c * q).t + sb2) / (sw2 * map.diag(&p).t + sb2)
}

/// Where iterating the length map from q₀ leads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum LengthLimit {
    /// the stable fixed point q* (possibly 0)
    Finite(f64),
    /// no fixed point below [`Q_UNBOUNDED`]; the largest variance visited
    Unbounded(f64),
}

/// The fixed point of `𝒱` that the iteration `q ← 𝒱(q)` from q₀ approaches: the nearest root
/// of `g(q) = 𝒱(q) − q` above q₀ if `g(q₀) > 0`, below it if `g(q₀) < 0` (bracketed by factors
/// of 4, then Brent). `g(0) = σ_w² φ(0)² + σ_b² ≥ 0`, so a root in [0, q₀] always exists below.
fn length_fixed_point<M: DiagonalMap>(map: &M, sw2: f64, sb2: f64, q0: f64) -> LengthLimit {
    let g = |q: f64| length_map(map, sw2, sb2, q) - q;
    let g0 = g(q0);
    if g0 == 0.0 {
        return LengthLimit::Finite(q0);
    }
    if g0 > 0.0 {
        let (mut lo, mut glo) = (q0, g0);
        loop {
            let hi = 4.0 * lo;
            let ghi = g(hi);
            if ghi <= 0.0 {
                return LengthLimit::Finite(brent(g, lo, hi, glo, ghi));
            }
            if hi >= Q_UNBOUNDED || !ghi.is_finite() {
                return LengthLimit::Unbounded(hi);
            }
            (lo, glo) = (hi, ghi);
        }
    }
    // Down to q₀·4^{−26} ≈ 2e-16 q₀, then the remaining interval [0, hi].
    let (mut hi, mut ghi) = (q0, g0);
    for _ in 0..26 {
        let lo = hi / 4.0;
        let glo = g(lo);
        if glo >= 0.0 {
            return LengthLimit::Finite(brent(g, lo, hi, glo, ghi));
        }
        (hi, ghi) = (lo, glo);
    }
    let g_zero = g(0.0);
    if g_zero > 0.0 {
        LengthLimit::Finite(brent(g, 0.0, hi, g_zero, ghi))
    } else {
        LengthLimit::Finite(0.0)
    }
}

/// `χ_q = 𝒱'(q)` by Richardson-extrapolated differences: central with step `h = 10⁻³ q`
/// (`D = (4 D(h/2) − D(h))/3`, error O(h⁴) ≈ 1e-12 relative, rounding ≈ 1e-13) for q > 0,
/// forward from 0 with `h = 10⁻⁴` (`D = 2 D(h/2) − D(h)`, error O(h²)) at q = 0. For
/// quadrature maps the Gauss–Hermite order changes at a few variances, which can add ≈ 1e-8.
fn length_map_slope<M: DiagonalMap>(map: &M, sw2: f64, sb2: f64, q: f64) -> f64 {
    let v = |q: f64| length_map(map, sw2, sb2, q);
    if q > 0.0 {
        let central = |h: f64| (v(q + h) - v(q - h)) / (2.0 * h);
        let h = 1e-3 * q;
        (4.0 * central(h / 2.0) - central(h)) / 3.0
    } else {
        let v0 = v(0.0);
        let forward = |h: f64| (v(h) - v0) / h;
        let h = 1e-4;
        2.0 * forward(h / 2.0) - forward(h)
    }
}

/// `−1/ln|χ|` for |χ| < 1 (a contraction's depth scale); `None` for |χ| ≥ 1 (no decay).
fn depth_scale(chi: f64) -> Option<f64> {
    let a = chi.abs();
    if a < 1.0 && a > 0.0 {
        Some(-1.0 / a.ln())
    } else if a == 0.0 {
        Some(0.0)
    } else {
        None
    }
}

/// The stable fixed point c* in [0, 1) of the correlation map at q* > 0 when χ₁ > 1.
///
/// With equal variances, Mehler's expansion `T(q, q, ρq) = Σ_k a_k² ρ^k` has non-negative
/// coefficients, so F is increasing and convex on [0, 1]; `F(1) = 1` with slope χ₁ > 1, and
/// `F(0) = (σ_w² E[φ]² + σ_b²)/q* ≥ 0`. Hence `g(c) = F(c) − c` is convex with one root c* in
/// [0, 1) and `g' < 0` on [0, c*], and Newton's method from c = 0 (using `F' = σ_w² Ṫ q*/𝒱(q*)`,
/// which every map returns alongside T) climbs monotonically to c*, quadratically at the end,
/// evaluating the map only below c* (quadrature maps fall back to the slow 2-D rule near
/// ρ = 1). Should rounding break the monotonicity, Brent on a bracket whose upper end walks up
/// `1 − 2^{−k}` takes over. Returns 1 if `F(c) ≥ c` up to `1 − 2^{−40}` (numerically critical).
fn chaotic_fixed_point<M: KernelMap>(map: &M, sw2: f64, sb2: f64, q: f64) -> f64 {
    let p = map.prepare(q);
    let vq = sw2 * map.diag(&p).t + sb2;
    let eval = |c: f64| {
        let m = map.pair(&p, &p, c * q);
        ((sw2 * m.t + sb2) / vq - c, sw2 * m.t_dot * q / vq - 1.0)
    };
    let (mut c, mut last_step) = (0.0, f64::INFINITY);
    for _ in 0..100 {
        let (g, dg) = eval(c);
        if !(g.is_finite() && dg < 0.0) {
            break;
        }
        let step = -g / dg;
        if !(c + step < 1.0 && step >= -1e-12) {
            break;
        }
        // Converged: a step at rounding level (c ≤ 1), or steps that stopped shrinking
        // quadratically once below the maps' own accuracy (≈ 1e-11 for quadrature).
        let stalled = step.abs() < 1e-10 && step.abs() > 0.5 * last_step;
        if step.abs() <= 4.0 * f64::EPSILON || stalled {
            return c + step;
        }
        c += step;
        last_step = step.abs();
    }
    let g = |c: f64| eval(c).0;
    let (mut lo, mut glo) = (0.0, g(0.0));
    if glo < 0.0 {
        // Only rounding can make F(0) < 0; F(−1) ≥ −1 always holds.
        (lo, glo) = (-1.0, g(-1.0).max(0.0));
    }
    let mut gap = 0.5;
    loop {
        let hi = 1.0 - gap;
        let ghi = g(hi);
        if ghi < 0.0 {
            return brent(g, lo, hi, glo, ghi);
        }
        if gap < 1e-12 {
            return 1.0;
        }
        (lo, glo) = (hi, ghi);
        gap /= 2.0;
    }
}

/// The fixed point of the length map and `χ₁ = σ_w² Ṫ(q*, q*, q*)` there (at the largest
/// variance visited when unbounded): the part of [`phase_point_with_map`] that the critical
/// line needs.
pub(super) fn chi1_at_fixed_point<M: DiagonalMap>(
    map: &M,
    sw2: f64,
    sb2: f64,
    q0: f64,
) -> (LengthLimit, f64) {
    let limit = length_fixed_point(map, sw2, sb2, q0);
    let q = match limit {
        LengthLimit::Finite(q) | LengthLimit::Unbounded(q) => q,
    };
    (limit, sw2 * map.diag_at(q).t_dot)
}

/// Order/chaos quantities at (σ_w², σ_b²) for any kernel map, starting the fixed-point search
/// from the variance q₀ (see [`PhasePoint`]; Poole et al. 2016 Eq. 3–5, Schoenholz et al. 2016
/// Eq. 5–9, in the NTK-parameterization recursion of paper SM E, whose forward kernels are
/// those of standard parameterization). Inputs are not validated (see [`phase_point`]).
pub fn phase_point_with_map<M: DiagonalMap>(map: &M, sw2: f64, sb2: f64, q0: f64) -> PhasePoint {
    let unbounded = |q_last: f64| PhasePoint {
        sw2,
        sb2,
        phase: Phase::Unbounded,
        q_star: None,
        chi1: sw2 * map.diag_at(q_last).t_dot,
        chi_q: None,
        xi_q: None,
        c_star: None,
        chi_c: None,
        xi_c: None,
        trainable_depth: None,
    };
    let (q, chi1) = match chi1_at_fixed_point(map, sw2, sb2, q0) {
        (LengthLimit::Unbounded(q_last), _) => return unbounded(q_last),
        (LengthLimit::Finite(q), chi1) => (q, chi1),
    };
    let chi_q = length_map_slope(map, sw2, sb2, q);
    let phase = if (chi1 - 1.0).abs() <= CRITICAL_TOL {
        Phase::Critical
    } else if chi1 < 1.0 {
        Phase::Ordered
    } else {
        Phase::Chaotic
    };
    let (c_star, chi_c) = match phase {
        _ if q == 0.0 => (None, chi1),
        Phase::Chaotic => {
            let c = chaotic_fixed_point(map, sw2, sb2, q);
            let p = map.prepare(q);
            let vq = sw2 * map.diag(&p).t + sb2;
            (Some(c), sw2 * map.pair(&p, &p, c * q).t_dot * q / vq)
        }
        _ => (Some(1.0), chi1),
    };
    let xi_c = if phase == Phase::Critical { None } else { depth_scale(chi_c) };
    PhasePoint {
        sw2,
        sb2,
        phase,
        q_star: Some(q),
        chi1,
        chi_q: Some(chi_q),
        xi_q: depth_scale(chi_q),
        c_star,
        chi_c: Some(chi_c),
        xi_c,
        trainable_depth: xi_c.map(|x| TRAINABLE_DEPTH_FACTOR * x),
    }
}

/// Order/chaos quantities of activation `act` at (σ_w², σ_b²), the fixed-point search started
/// from q₀ (usually [`DEFAULT_Q0`](super::DEFAULT_Q0)): q*, χ₁, χ_q, ξ_q, c*, χ_c, ξ_c and the
/// phase (see the module documentation and [`PhasePoint`]).
///
/// # Errors
/// [`PhaseError`] for σ_w² ≤ 0, σ_b² < 0, q₀ ≤ 0 or non-finite values.
pub fn phase_point(act: Activation, sw2: f64, sb2: f64, q0: f64) -> Result<PhasePoint, PhaseError> {
    check_variances(act, sw2, sb2)?;
    check_q0(q0)?;
    struct Task(f64, f64, f64);
    impl MapTask for Task {
        type Out = PhasePoint;
        fn run<M: DiagonalMap>(self, map: &M) -> PhasePoint {
            phase_point_with_map(map, self.0, self.1, self.2)
        }
    }
    Ok(with_map(act, Task(sw2, sb2, q0)))
}
