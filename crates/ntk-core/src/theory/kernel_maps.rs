//! The two Gaussian expectations through which a nonlinearity enters the infinite-width
//! kernels (paper SM E):
//!
//! ```text
//! T(Σ) = E[φ(u) φ(v)],   Ṫ(Σ) = E[φ'(u) φ'(v)],   (u, v) ~ N(0, Σ),  Σ = [[s₁, c], [c, s₂]].
//! ```
//!
//! Closed forms for relu, leaky_relu, erf, identity, sin and gelu ([`ReluMap`], …); any smooth
//! activation (tanh, softplus, sigmoid, or one of your own through [`SmoothActivation`]) by
//! Gauss–Hermite quadrature ([`QuadratureMap`]). Every map clamps the correlation to [−1, 1]
//! and handles zero variances, so degenerate inputs give finite values.
//!
//! A map is used in two steps so that the kernel recursion can share work across a row:
//! [`KernelMap::prepare`] digests one point's variance `s = K(x, x)` once per layer, and
//! [`KernelMap::pair`] combines two prepared points with their covariance `c = K(x, x')`.

use std::f64::consts::{FRAC_1_PI, PI};

use crate::activation::Activation;
use crate::theory::derivative_bounds::DerivativeBounds;
use crate::theory::lane_math;
use crate::theory::quadrature::{correlation, hermite_table, GaussHermite, HERMITE_TERMS};

/// The values `T(Σ)` and `Ṫ(Σ)` of one kernel map at one 2×2 covariance (paper SM E).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TPair {
    /// `T(Σ) = E[φ(u)φ(v)]`
    pub t: f64,
    /// `Ṫ(Σ) = E[φ'(u)φ'(v)]`
    pub t_dot: f64,
}

/// A nonlinearity's kernel maps `T` and `Ṫ` (paper SM E, SM C).
pub trait KernelMap {
    /// What the map keeps about one point at one layer (its variance and derived values).
    type Point;

    /// Digests the variance `s = K^l(x, x) ≥ 0` of one point.
    fn prepare(&self, var: f64) -> Self::Point;

    /// `T` and `Ṫ` at `Σ = [[s, s], [s, s]]` (the diagonal of the kernel).
    fn diag(&self, p: &Self::Point) -> TPair;

    /// `T` and `Ṫ` at `Σ = [[s₁, c], [c, s₂]]` for prepared points `p`, `q` and covariance `c`.
    fn pair(&self, p: &Self::Point, q: &Self::Point, cov: f64) -> TPair;

    /// `T` and `Ṫ` at `Σ = [[s11, s12], [s12, s22]]` (convenience: prepare both points).
    fn eval(&self, s11: f64, s22: f64, s12: f64) -> TPair {
        self.pair(&self.prepare(s11), &self.prepare(s22), s12)
    }
}

/// A point's variance `s` with its square root (shared by the closed forms).
#[derive(Clone, Copy, Debug)]
pub struct VarPoint {
    /// the variance s (clamped to ≥ 0)
    pub var: f64,
    /// √s
    pub sd: f64,
    /// a map-specific precomputed value (erf: 1 + 2s; sin: e^{−s/2}; gelu: 1 + s)
    pub aux: f64,
}

fn var_point(var: f64, aux: impl Fn(f64) -> f64) -> VarPoint {
    let var = if var.is_finite() { var.max(0.0) } else { var };
    VarPoint { var, sd: var.sqrt(), aux: aux(var) }
}

/// ReLU arc-cosine kernels (Cho & Saul; paper SM C, Eq. S14–S15), with
/// `ρ = c/√(s₁s₂) = cos θ`:
/// `T = √(s₁s₂)/(2π) (sin θ + (π − θ) cos θ)`, `Ṫ = (π − θ)/(2π)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReluMap;

/// `(J₁(ρ)/(2π), J₀(ρ)/(2π))` of the arc-cosine kernels at correlation ρ ∈ [−1, 1].
///
/// `acos` has infinite slope at ±1: a correlation within a few ulps of ±1 (identical points,
/// whose `c/√(s₁s₂)` is rounded) is snapped to ±1 so that θ is exactly 0 or π there.
fn arccos_j(rho: f64) -> (f64, f64) {
    const SNAP: f64 = 4.0 * f64::EPSILON;
    let rho = if rho >= 1.0 - SNAP {
        1.0
    } else if rho <= -1.0 + SNAP {
        -1.0
    } else {
        rho
    };
    let theta = rho.acos();
    let sin = (1.0 - rho * rho).max(0.0).sqrt();
    ((sin + (PI - theta) * rho) * 0.5 * FRAC_1_PI, (PI - theta) * 0.5 * FRAC_1_PI)
}

impl KernelMap for ReluMap {
    type Point = VarPoint;
    fn prepare(&self, var: f64) -> VarPoint {
        var_point(var, |_| 0.0)
    }
    fn diag(&self, p: &VarPoint) -> TPair {
        TPair { t: 0.5 * p.var, t_dot: 0.5 }
    }
    fn pair(&self, p: &VarPoint, q: &VarPoint, cov: f64) -> TPair {
        let scale = p.sd * q.sd;
        let rho = if scale > 0.0 { (cov / scale).clamp(-1.0, 1.0) } else { 0.0 };
        let (j1, j0) = arccos_j(rho);
        TPair { t: scale * j1, t_dot: j0 }
    }
}

/// Leaky ReLU `φ(x) = max(x, 0) + a·min(x, 0)` as a combination of arc-cosine kernels:
/// since `φ(x) = r(x) − a r(−x)` with `r` = ReLU and `(−u, −v) ~ (u, v)`,
/// `T = √(s₁s₂)[(1 + a²) J₁(ρ) − 2a J₁(−ρ)]/(2π)`, `Ṫ = [(1 + a²) J₀(ρ) + 2a J₀(−ρ)]/(2π)`.
#[derive(Clone, Copy, Debug)]
pub struct LeakyReluMap {
    /// negative-side slope a
    pub slope: f64,
}

impl KernelMap for LeakyReluMap {
    type Point = VarPoint;
    fn prepare(&self, var: f64) -> VarPoint {
        var_point(var, |_| 0.0)
    }
    fn diag(&self, p: &VarPoint) -> TPair {
        let a2 = self.slope * self.slope;
        TPair { t: 0.5 * (1.0 + a2) * p.var, t_dot: 0.5 * (1.0 + a2) }
    }
    fn pair(&self, p: &VarPoint, q: &VarPoint, cov: f64) -> TPair {
        let a = self.slope;
        let scale = p.sd * q.sd;
        let rho = if scale > 0.0 { (cov / scale).clamp(-1.0, 1.0) } else { 0.0 };
        let (j1p, j0p) = arccos_j(rho);
        let (j1m, j0m) = arccos_j(-rho);
        TPair { t: scale * ((1.0 + a * a) * j1p - 2.0 * a * j1m), t_dot: (1.0 + a * a) * j0p + 2.0 * a * j0m }
    }
}

/// erf kernels (Williams 1997; paper SM C, Eq. S16–S17):
/// `T = (2/π) asin(2c/√((1+2s₁)(1+2s₂)))`, `Ṫ = (4/π) ((1+2s₁)(1+2s₂) − 4c²)^{−1/2}`.
/// Since `(1+2s₁)(1+2s₂) − 4c² ≥ 1 + 2s₁ + 2s₂` for any PSD Σ, the root is floored there.
#[derive(Clone, Copy, Debug, Default)]
pub struct ErfMap;

impl KernelMap for ErfMap {
    type Point = VarPoint;
    fn prepare(&self, var: f64) -> VarPoint {
        var_point(var, |s| 1.0 + 2.0 * s)
    }
    fn diag(&self, p: &VarPoint) -> TPair {
        self.pair(p, p, p.var)
    }
    #[inline]
    fn pair(&self, p: &VarPoint, q: &VarPoint, cov: f64) -> TPair {
        let prod = p.aux * q.aux;
        let x = (2.0 * cov / prod.sqrt()).clamp(-1.0, 1.0);
        let det = (prod - 4.0 * cov * cov).max(p.aux + q.aux - 1.0);
        TPair { t: 2.0 * FRAC_1_PI * x.asin(), t_dot: 4.0 * FRAC_1_PI / det.sqrt() }
    }
}

/// Identity `φ(x) = x`: `T = c`, `Ṫ = 1` (the deep linear network).
#[derive(Clone, Copy, Debug, Default)]
pub struct IdentityMap;

impl KernelMap for IdentityMap {
    type Point = VarPoint;
    fn prepare(&self, var: f64) -> VarPoint {
        var_point(var, |_| 0.0)
    }
    fn diag(&self, p: &VarPoint) -> TPair {
        TPair { t: p.var, t_dot: 1.0 }
    }
    fn pair(&self, _p: &VarPoint, _q: &VarPoint, cov: f64) -> TPair {
        TPair { t: cov, t_dot: 1.0 }
    }
}

/// `φ(x) = sin x`: from `sin u sin v = ½[cos(u−v) − cos(u+v)]` and `E cos w = e^{−Var w/2}`,
/// `T = e^{−(s₁+s₂)/2} sinh(c)`, `Ṫ = E[cos u cos v] = e^{−(s₁+s₂)/2} cosh(c)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SinMap;

impl KernelMap for SinMap {
    type Point = VarPoint;
    fn prepare(&self, var: f64) -> VarPoint {
        var_point(var, |s| (-0.5 * s).exp())
    }
    fn diag(&self, p: &VarPoint) -> TPair {
        self.pair(p, p, p.var)
    }
    fn pair(&self, p: &VarPoint, q: &VarPoint, cov: f64) -> TPair {
        // Clamp |c| ≤ √(s₁s₂) (PSD) so rounding cannot push the result past the diagonal;
        // e^{−(s₁+s₂)/2} sinh c as one exponential, so that large variances do not overflow.
        let bound = p.sd * q.sd;
        let c = cov.max(-bound).min(bound);
        let (t, t_dot) = lane_math::damped_sinh_cosh(c, 0.5 * (p.var + q.var), p.aux * q.aux);
        TPair { t, t_dot }
    }
}

/// Exact GELU `φ(x) = x Φ(x)`. Derived by Gaussian integration by parts (Stein's lemma) and
/// re-weighting by the normal density, with `D = √((1+s₁)(1+s₂) − c²)` and
/// `P₀ = E[Φ(u)Φ(v)] = ¼ + asin(c/√((1+s₁)(1+s₂)))/(2π)`:
///
/// `T = c P₀ + (s₁s₂ − c² + c²/(1+s₁) + c²/(1+s₂)) / (2π D)`,
/// `Ṫ = P₀ + c (1/(1+s₁) + 1/(1+s₂)) / (2π D) + c/(2π D³)`.
///
/// (Checked against quadrature in the tests and against neural-tangents in the fixtures.)
#[derive(Clone, Copy, Debug, Default)]
pub struct GeluMap;

impl KernelMap for GeluMap {
    type Point = VarPoint;
    fn prepare(&self, var: f64) -> VarPoint {
        var_point(var, |s| 1.0 + s)
    }
    fn diag(&self, p: &VarPoint) -> TPair {
        self.pair(p, p, p.var)
    }
    fn pair(&self, p: &VarPoint, q: &VarPoint, cov: f64) -> TPair {
        let (s1, s2, a1, a2) = (p.var, q.var, p.aux, q.aux);
        let bound = p.sd * q.sd;
        let c = cov.clamp(-bound, bound);
        let prod = a1 * a2;
        let p0 = 0.25 + (c / prod.sqrt()).clamp(-1.0, 1.0).asin() * 0.5 * FRAC_1_PI;
        // D² ≥ 1 + s₁ + s₂ > 0 for PSD Σ.
        let d = (prod - c * c).max(a1 + a2 - 1.0).sqrt();
        let c2 = c * c;
        let t = c * p0 + (s1 * s2 - c2 + c2 / a1 + c2 / a2) * 0.5 * FRAC_1_PI / d;
        let t_dot = p0 + c * (1.0 / a1 + 1.0 / a2) * 0.5 * FRAC_1_PI / d + c * 0.5 * FRAC_1_PI / (d * d * d);
        TPair { t, t_dot }
    }
}

/// A smooth nonlinearity given by its value and derivative: implement this to get the NNGP
/// and NTK of your own activation through [`QuadratureMap`] (see also [`FnActivation`]).
pub trait SmoothActivation {
    /// φ(x)
    fn value(&self, x: f64) -> f64;
    /// φ'(x)
    fn derivative(&self, x: f64) -> f64;
    /// `out[i] = φ(xs[i])` (override where evaluating a whole batch is faster).
    fn values(&self, xs: &[f64], out: &mut [f64]) {
        for (o, &x) in out.iter_mut().zip(xs) {
            *o = self.value(x);
        }
    }
    /// `out[i] = φ'(xs[i])`.
    fn derivatives(&self, xs: &[f64], out: &mut [f64]) {
        for (o, &x) in out.iter_mut().zip(xs) {
            *o = self.derivative(x);
        }
    }
    /// `phi[i] = φ(xs[i])`, `dphi[i] = φ'(xs[i])` (override where one evaluation serves both).
    fn values_and_derivatives(&self, xs: &[f64], phi: &mut [f64], dphi: &mut [f64]) {
        self.values(xs, phi);
        self.derivatives(xs, dphi);
    }
    /// Bounds `D_k ≥ sup_x |φ^{(k)}(x)|` (override to enable the near-diagonal rule of
    /// [`crate::theory::near_diagonal`]; the default knows none).
    fn derivative_bounds(&self) -> DerivativeBounds {
        DerivativeBounds::unknown()
    }
}

impl SmoothActivation for Activation {
    fn value(&self, x: f64) -> f64 {
        self.apply(x)
    }
    fn derivative(&self, x: f64) -> f64 {
        Activation::derivative(*self, x)
    }
    fn values(&self, xs: &[f64], out: &mut [f64]) {
        self.apply_slice(xs, out);
    }
    fn derivatives(&self, xs: &[f64], out: &mut [f64]) {
        self.derivative_slice(xs, out);
    }
    fn values_and_derivatives(&self, xs: &[f64], phi: &mut [f64], dphi: &mut [f64]) {
        self.apply_and_derivative_slice(xs, phi, dphi);
    }
    fn derivative_bounds(&self) -> DerivativeBounds {
        match self {
            Activation::Tanh => DerivativeBounds::tanh(),
            Activation::Sigmoid => DerivativeBounds::sigmoid(),
            Activation::Softplus => DerivativeBounds::softplus(),
            Activation::Custom(c) => {
                DerivativeBounds::of_expression(&c.compiled().expr, c.compiled().derivative_sup())
            }
            _ => DerivativeBounds::unknown(),
        }
    }
}

/// An activation given as two closures `φ` and `φ'`, e.g.
/// `FnActivation::new(|x: f64| x.tanh(), |x: f64| 1.0 - x.tanh().powi(2))`.
#[derive(Clone, Copy, Debug)]
pub struct FnActivation<F, G> {
    phi: F,
    dphi: G,
}

impl<F: Fn(f64) -> f64, G: Fn(f64) -> f64> FnActivation<F, G> {
    /// Wraps `φ` and its derivative `φ'`.
    pub fn new(phi: F, dphi: G) -> Self {
        FnActivation { phi, dphi }
    }
}

impl<F: Fn(f64) -> f64, G: Fn(f64) -> f64> SmoothActivation for FnActivation<F, G> {
    fn value(&self, x: f64) -> f64 {
        (self.phi)(x)
    }
    fn derivative(&self, x: f64) -> f64 {
        (self.dphi)(x)
    }
}

/// Target accuracy of [`QuadratureMap`], relative to the Cauchy–Schwarz scale
/// `√(E[φ(u)²] E[φ(v)²])` of `T` (and likewise for `Ṫ`).
pub const QUADRATURE_TOL: f64 = 1e-12;

/// `T` and `Ṫ` of any smooth activation by Gauss–Hermite quadrature (paper SM E).
///
/// Fast path (Mehler's formula): with orthonormal Hermite polynomials `h_k`,
/// `E[f(u) g(v)] = Σ_k a_k(s₁) b_k(s₂) ρ^k` where `a_k(s) = E[f(√s z) h_k(z)]` are computed once
/// per point by a 1-D rule ([`GaussHermite::for_variance`]). The truncation error after
/// `m` terms is bounded by `|ρ|^m √(τ₁(m) τ₂(m))` with the exactly known tails
/// `τ(m) = E[f²] − Σ_{k<m} a_k²` (Parseval), so every pair knows whether the series has
/// converged to [`QUADRATURE_TOL`]; where it has not (large variances with |ρ| near 1), the
/// pair falls back to the tensor-product rule on the Cholesky factor
/// ([`GaussHermite::expect_2d`]). The Gauss–Hermite orders grow with the variance; for
/// tanh the maps are accurate to ≈ 1e-11 relative up to variance ≈ 2.5, 1e-9 at 5 and
/// degrade to ≈ 1e-6 at variance 10 (the order is capped at 600 nodes).
pub struct QuadratureMap<A> {
    act: A,
}

/// What [`QuadratureMap`] keeps about one point at one layer.
#[derive(Clone, Debug)]
pub struct HermitePoint {
    /// the variance s
    pub var: f64,
    /// Hermite coefficients of `z ↦ φ(√s z)` (first [`HERMITE_TERMS`])
    pub phi: Vec<f64>,
    /// Hermite coefficients of `z ↦ φ'(√s z)`
    pub dphi: Vec<f64>,
    /// `E[φ(√s z)²]`, `E[φ'(√s z)²]`
    pub norm2: [f64; 2],
    /// tails `τ(m)` after [`HERMITE_TERMS`] terms, for φ and φ'
    pub tail: [f64; 2],
}

impl<A: SmoothActivation> QuadratureMap<A> {
    /// The quadrature kernel map of `act` (rules and Hermite tables are cached globally).
    pub fn new(act: A) -> Self {
        QuadratureMap { act }
    }

    /// The wrapped activation.
    pub fn activation(&self) -> &A {
        &self.act
    }

    fn coefficients(table: &[f64], values: &[f64]) -> (Vec<f64>, f64) {
        let n = values.len();
        let coeffs: Vec<f64> = (0..HERMITE_TERMS)
            .map(|k| table[k * n..(k + 1) * n].iter().zip(values).map(|(t, v)| t * v).sum())
            .collect();
        let captured: f64 = coeffs.iter().map(|a| a * a).sum();
        (coeffs, captured)
    }

    /// Mehler series `Σ_k a_k b_k ρ^k` with its convergence check, or the 2-D rule.
    fn series_or_tensor(&self, p: &HermitePoint, q: &HermitePoint, rho: f64, cov: f64, which: usize) -> f64 {
        let bound = rho.abs().powi(HERMITE_TERMS as i32) * (p.tail[which] * q.tail[which]).sqrt();
        let scale = (p.norm2[which] * q.norm2[which]).sqrt();
        if bound <= QUADRATURE_TOL * scale {
            let (a, b) = if which == 0 { (&p.phi, &q.phi) } else { (&p.dphi, &q.dphi) };
            // Horner in ρ from the highest term.
            a.iter().zip(b.iter()).rev().fold(0.0, |acc, (x, y)| acc * rho + x * y)
        } else {
            if which == 0 {
                GaussHermite::expect_2d(p.var, q.var, cov, |u| self.act.value(u), |v| self.act.value(v))
            } else {
                GaussHermite::expect_2d(
                    p.var,
                    q.var,
                    cov,
                    |u| self.act.derivative(u),
                    |v| self.act.derivative(v),
                )
            }
        }
    }
}

impl<A: SmoothActivation> KernelMap for QuadratureMap<A> {
    type Point = HermitePoint;

    fn prepare(&self, var: f64) -> HermitePoint {
        let var = var.max(0.0);
        let (gh, table) = hermite_table(var);
        let sd = var.sqrt();
        let phi_v: Vec<f64> = gh.nodes.iter().map(|&z| self.act.value(sd * z)).collect();
        let dphi_v: Vec<f64> = gh.nodes.iter().map(|&z| self.act.derivative(sd * z)).collect();
        let norm_phi: f64 = gh.weights.iter().zip(&phi_v).map(|(w, v)| w * v * v).sum();
        let norm_dphi: f64 = gh.weights.iter().zip(&dphi_v).map(|(w, v)| w * v * v).sum();
        let (phi, cap_phi) = Self::coefficients(table, &phi_v);
        let (dphi, cap_dphi) = Self::coefficients(table, &dphi_v);
        HermitePoint {
            var,
            phi,
            dphi,
            norm2: [norm_phi, norm_dphi],
            tail: [(norm_phi - cap_phi).max(0.0), (norm_dphi - cap_dphi).max(0.0)],
        }
    }

    fn diag(&self, p: &HermitePoint) -> TPair {
        TPair { t: p.norm2[0], t_dot: p.norm2[1] }
    }

    fn pair(&self, p: &HermitePoint, q: &HermitePoint, cov: f64) -> TPair {
        let rho = correlation(p.var, q.var, cov);
        TPair { t: self.series_or_tensor(p, q, rho, cov, 0), t_dot: self.series_or_tensor(p, q, rho, cov, 1) }
    }
}

/// The diagonal of a kernel map at one variance, `T(q, q, q) = E[φ(√q z)²]` and
/// `Ṫ(q, q, q) = E[φ'(√q z)²]` — all that the length map and χ₁ need. By default through
/// [`KernelMap::prepare`] and [`KernelMap::diag`]; quadrature maps evaluate the same 1-D
/// Gauss–Hermite sums directly (identical numbers), skipping the Hermite coefficients that only
/// off-diagonal entries need (≈ 100× cheaper). Implement it (an empty `impl` will do) to use a
/// kernel map of your own here.
pub trait DiagonalMap: KernelMap {
    /// `T` and `Ṫ` at `Σ = [[q, q], [q, q]]`.
    fn diag_at(&self, q: f64) -> TPair {
        self.diag(&self.prepare(q))
    }
}

impl DiagonalMap for ReluMap {}
impl DiagonalMap for LeakyReluMap {}
impl DiagonalMap for ErfMap {}
impl DiagonalMap for IdentityMap {}
impl DiagonalMap for SinMap {}
impl DiagonalMap for GeluMap {}

impl<A: SmoothActivation> DiagonalMap for QuadratureMap<A> {
    fn diag_at(&self, q: f64) -> TPair {
        // The sums of `QuadratureMap::prepare`'s norms, on the same rule, in the same order.
        let var = q.max(0.0);
        let gh = GaussHermite::for_variance(var);
        let sd = var.sqrt();
        let act = self.activation();
        let phi: f64 = gh.weights.iter().zip(&gh.nodes).map(|(w, &z)| w * act.value(sd * z).powi(2)).sum();
        let dphi: f64 =
            gh.weights.iter().zip(&gh.nodes).map(|(w, &z)| w * act.derivative(sd * z).powi(2)).sum();
        TPair { t: phi, t_dot: dphi }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Closed forms vs quadrature of the same expectation: the quadrature is accurate to
    /// ≈ 1e-12 of the kernel scale for these smooth (or, for relu, piecewise-linear but
    /// well-sampled) integrands; 1e-8 relative is the accuracy the kernels promise.
    const CLOSED_VS_QUAD_TOL: f64 = 1e-8;

    fn check<M: KernelMap>(map: &M, act: Activation, tol: f64, tol_dot: f64) {
        let quad = QuadratureMap::new(act);
        for &(s1, s2, rho) in &[
            (1.0, 1.0, 0.3),
            (0.4, 2.5, -0.7),
            (3.0, 0.2, 0.95),
            (1.3, 1.3, 1.0),
            (2.0, 0.7, -1.0),
            (0.5, 0.8, 0.0),
        ] {
            let c = rho * f64::sqrt(s1 * s2);
            let exact = map.eval(s1, s2, c);
            let approx = quad.eval(s1, s2, c);
            let scale_t = (quad.prepare(s1).norm2[0] * quad.prepare(s2).norm2[0]).sqrt();
            let scale_d = (quad.prepare(s1).norm2[1] * quad.prepare(s2).norm2[1]).sqrt();
            assert!(
                (exact.t - approx.t).abs() <= tol * scale_t,
                "{act} T at {s1},{s2},{rho}: {exact:?} vs {approx:?}"
            );
            assert!(
                (exact.t_dot - approx.t_dot).abs() <= tol_dot * scale_d,
                "{act} Ṫ at {s1},{s2},{rho}: {exact:?} vs {approx:?}"
            );
        }
    }

    #[test]
    fn smooth_closed_forms_match_quadrature() {
        check(&ErfMap, Activation::Erf, CLOSED_VS_QUAD_TOL, CLOSED_VS_QUAD_TOL);
        check(&SinMap, Activation::Sin, CLOSED_VS_QUAD_TOL, CLOSED_VS_QUAD_TOL);
        check(&GeluMap, Activation::Gelu, CLOSED_VS_QUAD_TOL, CLOSED_VS_QUAD_TOL);
        check(&IdentityMap, Activation::Identity, CLOSED_VS_QUAD_TOL, CLOSED_VS_QUAD_TOL);
    }

    /// ReLU's kink (and Ṫ's jump) make Gauss–Hermite converge only algebraically, so the
    /// quadrature check is loose (5e-2 of the scale for T, 0.2 for the step-function Ṫ,
    /// whose tensor-rule error reaches ≈ 8%; a sign or factor error is still caught);
    /// exact algebraic identities of the leaky-relu combination carry the precise check.
    #[test]
    fn piecewise_linear_closed_forms() {
        check(&ReluMap, Activation::Relu, 5e-2, 0.2);
        check(&LeakyReluMap { slope: 0.2 }, Activation::LeakyRelu { slope: 0.2 }, 5e-2, 0.2);
        check(&LeakyReluMap { slope: -1.5 }, Activation::LeakyRelu { slope: -1.5 }, 5e-2, 0.2);
        for &(a, b, c) in &[(1.0, 2.0, 0.3), (0.5, 0.5, -0.49), (2.0, 1.0, 1.4)] {
            // slope 0 is relu, slope 1 is the identity (to rounding).
            let (l0, r) = (LeakyReluMap { slope: 0.0 }.eval(a, b, c), ReluMap.eval(a, b, c));
            assert!((l0.t - r.t).abs() < 1e-15 && (l0.t_dot - r.t_dot).abs() < 1e-15);
            let l1 = LeakyReluMap { slope: 1.0 }.eval(a, b, c);
            assert!((l1.t - c).abs() < 1e-14 && (l1.t_dot - 1.0).abs() < 1e-14, "{l1:?}");
        }
    }

    #[test]
    fn degenerate_inputs_are_finite() {
        let maps: [&dyn Fn(f64, f64, f64) -> TPair; 6] = [
            &|a, b, c| ReluMap.eval(a, b, c),
            &|a, b, c| LeakyReluMap { slope: 0.1 }.eval(a, b, c),
            &|a, b, c| ErfMap.eval(a, b, c),
            &|a, b, c| SinMap.eval(a, b, c),
            &|a, b, c| GeluMap.eval(a, b, c),
            &|a, b, c| QuadratureMap::new(Activation::Tanh).eval(a, b, c),
        ];
        for f in maps {
            for &(a, b, c) in
                &[(0.0, 0.0, 0.0), (0.0, 1.0, 0.0), (1.0, 1.0, 1.0 + 1e-15), (2.0, 2.0, -2.0 - 1e-15)]
            {
                let r = f(a, b, c);
                assert!(r.t.is_finite() && r.t_dot.is_finite(), "{a},{b},{c}: {r:?}");
            }
        }
    }
}
