//! Order and chaos at initialisation (Poole et al. 2016, Schoenholz et al. 2016; the talk
//! `004_…` of docs/MATH.md's sources): how the infinite-width kernel recursion behaves over
//! many layers, and what that says about which (σ_w², σ_b², depth) can be trained.
//!
//! With one point's variance `q = K^l(x, x)` and two points' correlation
//! `c = K^l(x, x')/q` (equal variances), one layer of the NNGP recursion
//! `K^{l+1} = σ_w² T(K^l) + σ_b²` (paper SM E) is the pair of maps
//!
//! ```text
//! length map        q ↦ 𝒱(q)    = σ_w² T(q, q, q) + σ_b²                 (= σ_w² E[φ(√q z)²] + σ_b²)
//! correlation map   c ↦ F_q(c)  = (σ_w² T(q, q, c q) + σ_b²) / 𝒱(q)
//! ```
//!
//! Over depth, q converges to the stable fixed point `q* = 𝒱(q*)` at the rate
//! `χ_q = 𝒱'(q*)`, and c to a stable fixed point `c*` of `F_{q*}` at the rate
//! `χ_c = F'_{q*}(c*) = σ_w² Ṫ(q*, q*, c* q*)` (∂T/∂Σ₁₂ = Ṫ by Price's theorem):
//! `|c^l − c*| ∝ χ_c^l = e^{−l/ξ_c}`, the depth scales being `ξ_q = −1/ln χ_q`,
//! `ξ_c = −1/ln χ_c`. The slope at c = 1,
//!
//! ```text
//! χ₁ = σ_w² Ṫ(q*, q*, q*) = σ_w² E[φ'(√q* z)²],
//! ```
//!
//! is also the factor by which a backpropagated gradient's squared norm changes per layer
//! (the diagonal factor `σ_w² Ṫ(K^l)` of the NTK recursion `Θ^{l+1} = K^{l+1} + σ_w² Ṫ Θ^l`).
//! It splits the (σ_w², σ_b²) plane into [`Phase`]s:
//!
//! - **ordered** (χ₁ < 1): c* = 1 is stable, all inputs become perfectly correlated,
//!   `K^L → q* 1 1ᵀ` (rank one, the Gram matrix ill-conditioned), gradients vanish like χ₁^L;
//!   `ξ_c = −1/ln χ₁`.
//! - **chaotic** (χ₁ > 1): c = 1 is unstable, nearby inputs decorrelate to a c* < 1 (the stable
//!   fixed point in [0, 1), c* = 0 for odd φ and σ_b = 0), gradients explode like χ₁^L;
//!   `ξ_c = −1/ln χ_{c*}` with the slope at c*.
//! - **critical** (χ₁ = 1): ξ_c = ∞; signals and gradients propagate to any depth.
//! - **unbounded**: 𝒱 has no finite stable fixed point (relu for σ_w² ≥ 2 with σ_b > 0, or
//!   σ_w² > 2; identity for σ_w² ≥ 1 likewise): the variance grows without bound.
//!
//! Schoenholz et al. find networks trainable up to a depth of about
//! [`TRAINABLE_DEPTH_FACTOR`]` · ξ_c` = 6 ξ_c. In kernel terms: the non-constant part of K^L
//! decays like e^{−L/ξ_c}, so (ordered phase) the small eigenvalues of the train kernel shrink
//! like e^{−L/ξ_c} relative to the largest; with k steps at a stable learning rate only modes with
//! `λ/λ_max ≳ 1/k` are learned, i.e. depths `L ≲ ξ_c ln k` (≈ 6 ξ_c for k ≈ 400).
//!
//! Degenerate case: with σ_b = 0 and φ(0) = 0 (tanh, erf, sin, relu, …), q* = 0 may be the
//! stable fixed point (when χ₁ = σ_w² φ'(0)² ≤ 1 for smooth odd φ; relu for σ_w² < 2). The
//! signal then dies out (q^l ∝ χ₁^l) and the network acts on ever smaller pre-activations: the
//! correlation map tends to the identity and c does not converge, so c* is reported as `None`;
//! ξ_c = −1/ln χ₁ is then the depth scale of the vanishing signal and gradients.
//!
//! Everything here takes any [`KernelMap`] (closed forms or quadrature), and the
//! [`Activation`]-based entry points take their maps from the one dispatch
//! ([`crate::theory::dispatch::visit_kernel_map`]) that the kernels use, activations without a
//! closed form as their [`QuadratureMap`].
//! The cost is a few dozen evaluations of T, Ṫ per point of the plane ([`phase_point`]): a
//! 40 × 40 heatmap ([`phase_grid`]) takes ≈ 1 ms for erf or gelu and 0.1 ms for relu, but
//! seconds for quadrature activations (tanh), whose chaotic cells need the map near ρ = 1 where
//! the quadrature falls back to its 2-D rule — compute those in a worker, row by row
//! ([`phase_rows`]). (`ntk bench phase` measures it.)

use std::ops::Range;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::activation::Activation;
use crate::arch::{ArchError, MAX_DEPTH};
use crate::theory::dispatch::{visit_kernel_map, MapVisitor};
use crate::theory::fused::LaneMap;
pub use crate::theory::kernel_maps::DiagonalMap;
use crate::theory::kernel_maps::{KernelMap, QuadratureMap};
use crate::theory::kernels::{KernelError, KernelRecord};
use crate::theory::recursion::Layers;

/// Depth, in units of ξ_c, up to which Schoenholz et al. (2016) found networks trainable.
pub const TRAINABLE_DEPTH_FACTOR: f64 = 6.0;

/// The variance the fixed-point search starts from (a unit-norm input: `|x|²/d = 1`).
pub const DEFAULT_Q0: f64 = 1.0;

/// Variance above which the length map is declared unbounded (no finite stable q*).
pub const Q_UNBOUNDED: f64 = 1e12;

/// Most points per axis of a phase grid.
pub const MAX_GRID_SIDE: usize = 512;

/// Most layers of a correlation trajectory or a conditioning sweep.
pub const MAX_LAYERS: usize = 10_000;

/// |χ − 1| at or below which a point counts as critical (ξ = ∞). The fixed points are solved to
/// a few ulps, so χ₁ carries rounding of order 1e-14 for closed forms and ≈ 1e-11 for
/// quadrature; 1e-10 sits above both.
pub const CRITICAL_TOL: f64 = 1e-10;

/// The phase of a point (σ_w², σ_b²) of the plane (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// χ₁ < 1: inputs collapse to c* = 1, gradients vanish.
    Ordered,
    /// χ₁ = 1 (within [`CRITICAL_TOL`]): ξ_c = ∞.
    Critical,
    /// χ₁ > 1: inputs decorrelate to c* < 1, gradients explode.
    Chaotic,
    /// The length map has no finite stable fixed point: q^l → ∞.
    Unbounded,
}

/// Order/chaos quantities at one (σ_w², σ_b²) (Poole et al. 2016, Schoenholz et al. 2016).
/// `None` stands for "infinite" (ξ at the critical line) or "undefined" (no finite q*).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhasePoint {
    /// σ_w²
    pub sw2: f64,
    /// σ_b²
    pub sb2: f64,
    /// ordered, critical, chaotic or unbounded
    pub phase: Phase,
    /// the stable fixed point `q* = σ_w² E[φ(√q* z)²] + σ_b²` reached from the start variance
    /// (`None` when unbounded)
    pub q_star: Option<f64>,
    /// `χ₁ = σ_w² E[φ'(√q* z)²]`, the per-layer gradient factor and the correlation map's slope
    /// at c = 1; when unbounded, at the largest variance visited (exact for relu, leaky relu
    /// and identity, whose χ₁ does not depend on q)
    pub chi1: f64,
    /// `χ_q = d𝒱/dq` at q* (Richardson-extrapolated differences of the length map)
    pub chi_q: Option<f64>,
    /// `ξ_q = −1/ln|χ_q|`, the depth scale of the variance's convergence to q*
    pub xi_q: Option<f64>,
    /// the stable fixed point of the correlation map: 1 when ordered or critical, in [0, 1)
    /// when chaotic; `None` when q* = 0 (no signal left to correlate) or unbounded
    pub c_star: Option<f64>,
    /// `χ_c = σ_w² Ṫ(q*, q*, c* q*)`, the correlation map's slope at c* (χ₁ when ordered)
    pub chi_c: Option<f64>,
    /// `ξ_c = −1/ln χ_c`, the depth scale of `|c^l − c*| ∝ e^{−l/ξ_c}` (`None` = ∞ or undefined)
    pub xi_c: Option<f64>,
    /// [`TRAINABLE_DEPTH_FACTOR`]` · ξ_c`, Schoenholz et al.'s trainable depth
    pub trainable_depth: Option<f64>,
}

/// Invalid parameters of a phase computation, with the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PhaseError {
    /// σ_w² ≤ 0, σ_b² < 0, a non-finite value, or a bad leaky-relu slope.
    #[error(transparent)]
    Arch(#[from] ArchError),
    /// The starting variance q₀ is not finite and > 0.
    #[error("the starting variance q₀ must be a finite number > 0, got {0}")]
    StartVariance(f64),
    /// An input correlation outside [−1, 1].
    #[error("input correlations must lie in [−1, 1], got {0}")]
    Correlation(f64),
    /// A σ² range that is empty, reversed or outside the allowed values.
    #[error("the {what} range {min}:{max} is invalid ({expected})")]
    Range {
        /// σ_w² or σ_b²
        what: &'static str,
        /// lower end
        min: f64,
        /// upper end
        max: f64,
        /// what is accepted
        expected: &'static str,
    },
    /// A grid axis with no points or too many.
    #[error("a phase grid needs 1 ..= {MAX_GRID_SIDE} points per axis, got {0}")]
    GridSize(usize),
    /// A row index outside the grid.
    #[error("rows {start}..{end} requested, but the grid has {rows} σ_b² rows")]
    Rows {
        /// first requested row
        start: usize,
        /// one past the last
        end: usize,
        /// rows of the grid
        rows: usize,
    },
    /// Rows of a different grid, or missing rows.
    #[error("cannot assemble the phase grid: {0}")]
    Assemble(String),
    /// Zero layers, or more than [`MAX_LAYERS`].
    #[error("the number of layers must be between 1 and {MAX_LAYERS}, got {0}")]
    Layers(usize),
    /// A conditioning sweep deeper than [`MAX_DEPTH`].
    #[error("the conditioning sweep goes up to depth 1 ..= {MAX_DEPTH}, got {0}")]
    Depth(usize),
    /// Invalid data points.
    #[error(transparent)]
    Kernel(#[from] KernelError),
}

/// A computation over a kernel map, whatever the activation. Through [`with_map`], closed
/// forms come as themselves and the other activations as their [`QuadratureMap`].
trait MapTask {
    type Out;
    fn run<M: DiagonalMap>(self, map: &M) -> Self::Out;
}

/// A [`MapTask`] as a [`MapVisitor`].
struct AsVisitor<T>(T);

impl<T: MapTask> MapVisitor for AsVisitor<T> {
    type Output = T::Out;
    fn closed_form<M: LaneMap + DiagonalMap>(self, map: &M) -> T::Out {
        self.0.run(map)
    }
    fn smooth(self, act: Activation) -> T::Out {
        self.0.run(&QuadratureMap::new(act))
    }
}

fn with_map<T: MapTask>(act: Activation, task: T) -> T::Out {
    visit_kernel_map(act, AsVisitor(task))
}

fn check_variances(act: Activation, sw2: f64, sb2: f64) -> Result<(), PhaseError> {
    if !(sw2.is_finite() && sw2 > 0.0) {
        return Err(ArchError::WeightVariance(sw2).into());
    }
    if !(sb2.is_finite() && sb2 >= 0.0) {
        return Err(ArchError::BiasVariance(sb2).into());
    }
    if let Activation::LeakyRelu { slope } = act {
        if !slope.is_finite() {
            return Err(ArchError::LeakySlope(slope).into());
        }
    }
    Ok(())
}

fn check_q0(q0: f64) -> Result<(), PhaseError> {
    if q0.is_finite() && q0 > 0.0 {
        Ok(())
    } else {
        Err(PhaseError::StartVariance(q0))
    }
}

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

/// Brent's root finder on [a, b] with `f(a) f(b) ≤ 0` (scipy's `brentq`): inverse quadratic
/// interpolation guarded by bisection, to `|Δx| ≤ 2ε|x| + tiny`.
fn brent(mut f: impl FnMut(f64) -> f64, a: f64, b: f64, fa: f64, fb: f64) -> f64 {
    const XTOL: f64 = 1e-300;
    const RTOL: f64 = 4.0 * f64::EPSILON;
    let (mut xpre, mut xcur, mut fpre, mut fcur) = (a, b, fa, fb);
    if fpre == 0.0 {
        return xpre;
    }
    if fcur == 0.0 {
        return xcur;
    }
    let (mut xblk, mut fblk, mut spre, mut scur) = (0.0, 0.0, 0.0, 0.0);
    for _ in 0..200 {
        if fpre != 0.0 && fcur != 0.0 && (fpre < 0.0) != (fcur < 0.0) {
            xblk = xpre;
            fblk = fpre;
            spre = xcur - xpre;
            scur = spre;
        }
        if fblk.abs() < fcur.abs() {
            xpre = xcur;
            xcur = xblk;
            xblk = xpre;
            fpre = fcur;
            fcur = fblk;
            fblk = fpre;
        }
        let delta = (XTOL + RTOL * xcur.abs()) / 2.0;
        let sbis = (xblk - xcur) / 2.0;
        if fcur == 0.0 || sbis.abs() < delta {
            return xcur;
        }
        if spre.abs() > delta && fcur.abs() < fpre.abs() {
            let stry = if xpre == xblk {
                -fcur * (xcur - xpre) / (fcur - fpre)
            } else {
                let dpre = (fpre - fcur) / (xpre - xcur);
                let dblk = (fblk - fcur) / (xblk - xcur);
                -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            };
            if 2.0 * stry.abs() < spre.abs().min(3.0 * sbis.abs() - delta) {
                spre = scur;
                scur = stry;
            } else {
                spre = sbis;
                scur = sbis;
            }
        } else {
            spre = sbis;
            scur = sbis;
        }
        xpre = xcur;
        fpre = fcur;
        xcur += if scur.abs() > delta { scur } else { delta.copysign(sbis) };
        fcur = f(xcur);
    }
    xcur
}

/// Where iterating the length map from q₀ leads.
#[derive(Clone, Copy, Debug, PartialEq)]
enum LengthLimit {
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
fn chi1_at_fixed_point<M: DiagonalMap>(map: &M, sw2: f64, sb2: f64, q0: f64) -> (LengthLimit, f64) {
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
/// from q₀ (usually [`DEFAULT_Q0`]): q*, χ₁, χ_q, ξ_q, c*, χ_c, ξ_c and the phase (see the
/// module documentation and [`PhasePoint`]).
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

/// Two points of equal variance followed through the layers: `q^{l+1} = 𝒱(q^l)`,
/// `c^{l+1} = F_{q^l}(c^l)`; index 0 holds the starting values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorrelationTrajectory {
    /// the starting correlation c⁰
    pub c0: f64,
    /// `q^l`, l = 0 ..= layers
    pub q: Vec<f64>,
    /// `c^l`, l = 0 ..= layers
    pub c: Vec<f64>,
}

/// The correlation map iterated over `layers` layers for each starting correlation in `c0s`,
/// both points starting at variance q₀ (start at q₀ = q* to see the correlation alone move):
/// `|c^l − c*|` then decays like `e^{−l/ξ_c}` (Schoenholz et al. 2016 Eq. 9; the talk's
/// `K^L = K* + O(e^{−L/ξ_c})`).
///
/// # Errors
/// [`PhaseError`] for invalid σ², q₀ ≤ 0, a correlation outside [−1, 1], or layers outside
/// 1 ..= [`MAX_LAYERS`].
pub fn correlation_trajectories(
    act: Activation,
    sw2: f64,
    sb2: f64,
    q0: f64,
    c0s: &[f64],
    layers: usize,
) -> Result<Vec<CorrelationTrajectory>, PhaseError> {
    check_variances(act, sw2, sb2)?;
    check_q0(q0)?;
    if let Some(&c) = c0s.iter().find(|c| !(c.is_finite() && (-1.0..=1.0).contains(*c))) {
        return Err(PhaseError::Correlation(c));
    }
    if layers == 0 || layers > MAX_LAYERS {
        return Err(PhaseError::Layers(layers));
    }
    struct Task<'a>(f64, f64, f64, &'a [f64], usize);
    impl MapTask for Task<'_> {
        type Out = Vec<CorrelationTrajectory>;
        fn run<M: DiagonalMap>(self, map: &M) -> Self::Out {
            let Task(sw2, sb2, q0, c0s, layers) = self;
            let mut q = vec![q0];
            for l in 0..layers {
                q.push(length_map(map, sw2, sb2, q[l]));
            }
            c0s.iter()
                .map(|&c0| {
                    let mut c = vec![c0];
                    for l in 0..layers {
                        let next = correlation_map(map, sw2, sb2, q[l], c[l]);
                        c.push(if next.is_finite() { next.clamp(-1.0, 1.0) } else { next });
                    }
                    CorrelationTrajectory { c0, q: q.clone(), c }
                })
                .collect()
        }
    }
    Ok(with_map(act, Task(sw2, sb2, q0, c0s, layers)))
}

/// The order/chaos quantities at one point and the correlation map iterated from `c0s` over
/// `layers` layers — what `ntk phase --sw2 S --sb2 S` prints and the phase view's point panels
/// draw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointReport {
    /// q*, χ₁, ξ_c, … at the point
    pub point: PhasePoint,
    /// the correlation map from each starting correlation, both points at variance q* (q₀
    /// when q* is 0 or unbounded)
    pub trajectories: Vec<CorrelationTrajectory>,
}

/// [`phase_point`] and [`correlation_trajectories`] started at q* (q₀ when there is no positive
/// finite q*), so that the correlation alone moves: `|c^l − c*| ∝ e^{−l/ξ_c}`.
///
/// # Errors
/// As [`phase_point`] and [`correlation_trajectories`].
pub fn point_report(
    act: Activation,
    sw2: f64,
    sb2: f64,
    q0: f64,
    c0s: &[f64],
    layers: usize,
) -> Result<PointReport, PhaseError> {
    let point = phase_point(act, sw2, sb2, q0)?;
    let start = point.q_star.filter(|&q| q > 0.0).unwrap_or(q0);
    let trajectories = correlation_trajectories(act, sw2, sb2, start, c0s, layers)?;
    Ok(PointReport { point, trajectories })
}

/// One axis of a phase grid: `points` evenly spaced values from `min` to `max` inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AxisRange {
    /// first value
    pub min: f64,
    /// last value
    pub max: f64,
    /// number of values (1 gives just `min`)
    pub points: usize,
}

impl AxisRange {
    /// The values `min + (max − min) i/(points − 1)`, i = 0 … points − 1.
    pub fn values(&self) -> Vec<f64> {
        if self.points <= 1 {
            return vec![self.min];
        }
        let step = (self.max - self.min) / (self.points - 1) as f64;
        (0..self.points)
            .map(|i| if i + 1 == self.points { self.max } else { self.min + step * i as f64 })
            .collect()
    }
}

/// A heatmap of the (σ_w², σ_b²) plane for one activation: serializable, so that a web
/// worker can compute rows of a quadrature activation ([`phase_rows`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseGridSpec {
    /// the nonlinearity φ
    pub activation: Activation,
    /// σ_w² axis (min > 0)
    pub sw2: AxisRange,
    /// σ_b² axis (min ≥ 0)
    pub sb2: AxisRange,
    /// starting variance of the fixed-point search
    #[serde(default = "default_q0")]
    pub q0: f64,
}

fn default_q0() -> f64 {
    DEFAULT_Q0
}

impl PhaseGridSpec {
    /// Checks both axes (finite, min ≤ max, σ_w² > 0, σ_b² ≥ 0, 1 ..= [`MAX_GRID_SIDE`] points),
    /// the activation and q₀.
    ///
    /// # Errors
    /// The [`PhaseError`] naming the offending value.
    pub fn validate(&self) -> Result<(), PhaseError> {
        for (what, r, lowest_ok, expected) in [
            ("σ_w²", self.sw2, self.sw2.min > 0.0, "finite, 0 < min ≤ max"),
            ("σ_b²", self.sb2, self.sb2.min >= 0.0, "finite, 0 ≤ min ≤ max"),
        ] {
            if !(r.min.is_finite() && r.max.is_finite() && lowest_ok && r.min <= r.max) {
                return Err(PhaseError::Range { what, min: r.min, max: r.max, expected });
            }
            if r.points == 0 || r.points > MAX_GRID_SIDE {
                return Err(PhaseError::GridSize(r.points));
            }
        }
        check_variances(self.activation, self.sw2.min, self.sb2.min)?;
        check_q0(self.q0)
    }
}

/// One σ_b² row of a phase grid, with the critical points found along it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseRow {
    /// row index (into the σ_b² axis)
    pub index: usize,
    /// σ_b² of the row
    pub sb2: f64,
    /// one point per σ_w² of the axis, in order
    pub cells: Vec<PhasePoint>,
    /// σ_w² where χ₁ crosses 1 between two cells of the row (Brent on χ₁(σ_w²) − 1), plus any
    /// cell that is itself critical
    pub critical_sw2: Vec<f64>,
}

/// The phase diagram over a grid: `rows[j].cells[i]` is at (σ_w² = `sw2[i]`, σ_b² = `sb2[j]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseGrid {
    /// the spec it was computed from
    pub spec: PhaseGridSpec,
    /// σ_w² values (columns)
    pub sw2: Vec<f64>,
    /// σ_b² values (rows)
    pub sb2: Vec<f64>,
    /// one row per σ_b²
    pub rows: Vec<PhaseRow>,
    /// the critical line χ₁ = 1 as (σ_w², σ_b²) points, row by row
    pub critical_line: Vec<[f64; 2]>,
}

impl PhaseGrid {
    /// Puts rows computed separately (e.g. by several workers) into one grid.
    ///
    /// # Errors
    /// [`PhaseError::Assemble`] if a row is missing, duplicated or of another grid.
    pub fn assemble(spec: &PhaseGridSpec, mut rows: Vec<PhaseRow>) -> Result<PhaseGrid, PhaseError> {
        spec.validate()?;
        let (sw2, sb2) = (spec.sw2.values(), spec.sb2.values());
        rows.sort_by_key(|r| r.index);
        let complete = rows.len() == sb2.len()
            && rows
                .iter()
                .enumerate()
                .all(|(j, r)| r.index == j && r.sb2 == sb2[j] && r.cells.len() == sw2.len());
        if !complete {
            return Err(PhaseError::Assemble(format!(
                "expected rows 0..{} of {} cells each, got indices {:?}",
                sb2.len(),
                sw2.len(),
                rows.iter().map(|r| r.index).collect::<Vec<_>>()
            )));
        }
        let critical_line =
            rows.iter().flat_map(|r| r.critical_sw2.iter().map(move |&w| [w, r.sb2])).collect();
        Ok(PhaseGrid { spec: spec.clone(), sw2, sb2, rows, critical_line })
    }

    /// The point at σ_w² index `i`, σ_b² index `j`.
    pub fn cell(&self, i: usize, j: usize) -> Option<&PhasePoint> {
        self.rows.get(j).and_then(|r| r.cells.get(i))
    }
}

fn row_with_map<M: DiagonalMap>(
    map: &M,
    spec: &PhaseGridSpec,
    sw2: &[f64],
    index: usize,
    sb2: f64,
) -> PhaseRow {
    let cells: Vec<PhasePoint> = sw2.iter().map(|&w| phase_point_with_map(map, w, sb2, spec.q0)).collect();
    let mut critical_sw2 = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        if cell.phase == Phase::Critical {
            critical_sw2.push(cell.sw2);
            continue;
        }
        let Some(next) = cells.get(i + 1) else { break };
        let (a, b) = (cell.chi1 - 1.0, next.chi1 - 1.0);
        if next.phase != Phase::Critical && a.is_finite() && b.is_finite() && (a < 0.0) != (b < 0.0) {
            let f = |w: f64| chi1_at_fixed_point(map, w, sb2, spec.q0).1 - 1.0;
            critical_sw2.push(brent(f, cell.sw2, next.sw2, a, b));
        }
    }
    PhaseRow { index, sb2, cells, critical_sw2 }
}

/// The σ_b² rows `rows` of a phase grid (for splitting a slow, quadrature grid over workers;
/// combine with [`PhaseGrid::assemble`]).
///
/// # Errors
/// [`PhaseError`] for an invalid spec or rows outside the grid.
pub fn phase_rows(spec: &PhaseGridSpec, rows: Range<usize>) -> Result<Vec<PhaseRow>, PhaseError> {
    spec.validate()?;
    let (sw2, sb2) = (spec.sw2.values(), spec.sb2.values());
    if rows.start > rows.end || rows.end > sb2.len() {
        return Err(PhaseError::Rows { start: rows.start, end: rows.end, rows: sb2.len() });
    }
    struct Task<'a>(&'a PhaseGridSpec, &'a [f64], &'a [f64], Range<usize>);
    impl MapTask for Task<'_> {
        type Out = Vec<PhaseRow>;
        fn run<M: DiagonalMap>(self, map: &M) -> Self::Out {
            let Task(spec, sw2, sb2, rows) = self;
            rows.map(|j| row_with_map(map, spec, sw2, j, sb2[j])).collect()
        }
    }
    Ok(with_map(spec.activation, Task(spec, &sw2, &sb2, rows)))
}

/// The whole phase diagram of `spec`: every cell's [`PhasePoint`] and the critical line
/// χ₁ = 1 (see the module documentation; Poole et al. 2016 Figure 2, Schoenholz et al. 2016
/// Figure 1).
///
/// # Errors
/// [`PhaseError`] for an invalid spec.
pub fn phase_grid(spec: &PhaseGridSpec) -> Result<PhaseGrid, PhaseError> {
    let rows = phase_rows(spec, 0..spec.sb2.points)?;
    PhaseGrid::assemble(spec, rows)
}

/// The extreme eigenvalues of a symmetric Gram matrix and its condition number.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conditioning {
    /// smallest eigenvalue (may be a rounding-level negative number)
    pub lambda_min: f64,
    /// largest eigenvalue
    pub lambda_max: f64,
    /// `λ_max/λ_min`, `None` when `λ_min ≤ N ε λ_max` (numerically singular, the cut-off of
    /// the GP predictions)
    pub condition: Option<f64>,
}

impl Conditioning {
    /// The conditioning of a symmetric matrix (`None` for non-finite entries or an empty
    /// matrix). Eigenvalues only (no eigenvectors).
    pub fn of(m: &DMatrix<f64>) -> Option<Conditioning> {
        if m.is_empty() || m.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let eig = m.symmetric_eigenvalues();
        let (lambda_min, lambda_max) = (eig.min(), eig.max());
        let floor = lambda_max.abs() * m.nrows() as f64 * f64::EPSILON;
        let condition = (lambda_min > floor).then(|| lambda_max / lambda_min);
        Some(Conditioning { lambda_min, lambda_max, condition })
    }
}

/// Condition numbers of the train Gram matrices K(X, X) and Θ(X, X) of networks of depth
/// 1, 2, …: in the ordered phase K^L → q* 1 1ᵀ and the condition number grows like e^{L/ξ_c}.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GramConditioning {
    /// depths L (hidden layers) 1 ..= the last one computed
    pub depths: Vec<usize>,
    /// conditioning of K(X, X) at each depth
    pub nngp: Vec<Conditioning>,
    /// conditioning of Θ(X, X) at each depth
    pub ntk: Vec<Conditioning>,
    /// the first depth whose kernels overflowed or could not be decomposed (the sweep stops
    /// there), if any
    pub stopped_at: Option<usize>,
}

/// The readout kernels K = K^{L+1} and Θ = Θ^{L+1} of the points `x` (rows) for every depth
/// L = 1 ..= `max_depth` in one pass of the recursion of paper SM E, with the condition number
/// of each ([`Conditioning`]). O(L N² + L N³).
///
/// # Errors
/// [`PhaseError`] for invalid σ², invalid points, or `max_depth` outside 1 ..= [`MAX_DEPTH`].
pub fn gram_conditioning(
    act: Activation,
    sw2: f64,
    sb2: f64,
    x: &DMatrix<f64>,
    max_depth: usize,
) -> Result<GramConditioning, PhaseError> {
    check_variances(act, sw2, sb2)?;
    if max_depth == 0 || max_depth > MAX_DEPTH {
        return Err(PhaseError::Depth(max_depth));
    }
    if x.nrows() == 0 {
        return Err(KernelError::Empty("x").into());
    }
    if x.ncols() == 0 {
        return Err(KernelError::ZeroDimension.into());
    }
    if let Some((row, value)) =
        x.row_iter().enumerate().find_map(|(i, r)| r.iter().find(|v| !v.is_finite()).map(|&v| (i, v)))
    {
        return Err(KernelError::NonFinite { set: "x", row, value }.into());
    }
    struct Task<'a>(f64, f64, &'a DMatrix<f64>, usize);
    impl MapTask for Task<'_> {
        type Out = GramConditioning;
        fn run<M: DiagonalMap>(self, map: &M) -> GramConditioning {
            let Task(sw2, sb2, x, max_depth) = self;
            let mut out = GramConditioning { depths: vec![], nngp: vec![], ntk: vec![], stopped_at: None };
            let layers = Layers { depth: max_depth, sw2, sb2 };
            let mut rec = layers.first(KernelRecord::input(x, x));
            for depth in 1..=max_depth {
                rec = layers.step(depth - 1, rec, |_, r| r.nonlinearity(map));
                let mut k = rec.nngp.clone();
                let mut t = rec.ntk.clone();
                k.fill_lower_triangle_with_upper_triangle();
                t.fill_lower_triangle_with_upper_triangle();
                let finite = k.iter().chain(t.iter()).all(|v| v.is_finite());
                match (finite, finite.then(|| (Conditioning::of(&k), Conditioning::of(&t)))) {
                    (true, Some((Some(ck), Some(ct)))) => {
                        out.depths.push(depth);
                        out.nngp.push(ck);
                        out.ntk.push(ct);
                    }
                    _ => {
                        out.stopped_at = Some(depth);
                        break;
                    }
                }
            }
            out
        }
    }
    Ok(with_map(act, Task(sw2, sb2, x, max_depth)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brent_finds_roots_to_rounding() {
        let f = |x: f64| x * x - 2.0;
        let r = brent(f, 0.0, 2.0, f(0.0), f(2.0));
        assert!((r - 2f64.sqrt()).abs() <= 4.0 * f64::EPSILON * 2f64.sqrt(), "{r}");
        let g = |x: f64| (x - 0.3).powi(3);
        let r = brent(g, -1.0, 1.0, g(-1.0), g(1.0));
        // A triple root is flat: |g| ≤ ε at |x − 0.3| ≲ ε^{1/3}; Brent still brackets it to ulps.
        assert!((r - 0.3).abs() < 1e-12, "{r}");
    }

    #[test]
    fn relu_is_linear_on_the_diagonal() {
        // 𝒱(q) = σ_w² q/2 + σ_b²: q* = σ_b²/(1 − σ_w²/2), χ₁ = χ_q = σ_w²/2 (exact).
        let p = phase_point(Activation::Relu, 1.5, 0.2, 1.0).unwrap();
        assert_eq!(p.phase, Phase::Ordered);
        assert!((p.q_star.unwrap() - 0.2 / 0.25).abs() < 1e-14);
        assert!((p.chi1 - 0.75).abs() < 1e-15);
        // Richardson on a linear map: rounding only (ε·q/h ≈ 1e-13).
        assert!((p.chi_q.unwrap() - 0.75).abs() < 1e-12);
        assert!((p.xi_c.unwrap() + 1.0 / 0.75f64.ln()).abs() < 1e-13);
        assert_eq!(p.c_star, Some(1.0));
        let u = phase_point(Activation::Relu, 2.5, 0.1, 1.0).unwrap();
        assert_eq!(u.phase, Phase::Unbounded);
        assert!((u.chi1 - 1.25).abs() < 1e-15);
        assert_eq!((u.q_star, u.xi_c), (None, None));
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        assert!(matches!(phase_point(Activation::Erf, 0.0, 0.1, 1.0), Err(PhaseError::Arch(_))));
        assert!(matches!(phase_point(Activation::Erf, 1.0, -0.1, 1.0), Err(PhaseError::Arch(_))));
        assert_eq!(phase_point(Activation::Erf, 1.0, 0.1, 0.0), Err(PhaseError::StartVariance(0.0)));
        assert_eq!(
            correlation_trajectories(Activation::Erf, 1.0, 0.1, 1.0, &[1.5], 3),
            Err(PhaseError::Correlation(1.5))
        );
        assert_eq!(
            correlation_trajectories(Activation::Erf, 1.0, 0.1, 1.0, &[0.5], 0),
            Err(PhaseError::Layers(0))
        );
        let spec = PhaseGridSpec {
            activation: Activation::Erf,
            sw2: AxisRange { min: 2.0, max: 1.0, points: 4 },
            sb2: AxisRange { min: 0.0, max: 1.0, points: 4 },
            q0: 1.0,
        };
        let e = phase_grid(&spec).unwrap_err();
        assert!(e.to_string().contains("2:1"), "{e}");
        let spec = PhaseGridSpec { sw2: AxisRange { min: 1.0, max: 2.0, points: 0 }, ..spec };
        assert_eq!(phase_grid(&spec), Err(PhaseError::GridSize(0)));
    }
}
