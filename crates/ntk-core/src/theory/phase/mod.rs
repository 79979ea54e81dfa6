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
//!
//! [`KernelMap`]: crate::theory::kernel_maps::KernelMap

use serde::{Deserialize, Serialize};

use crate::activation::Activation;
use crate::arch::{ArchError, MAX_DEPTH};
use crate::theory::dispatch::{visit_kernel_map, MapVisitor};
use crate::theory::fused::LaneMap;
pub use crate::theory::kernel_maps::DiagonalMap;
use crate::theory::kernel_maps::QuadratureMap;
use crate::theory::kernels::KernelError;

mod conditioning;
mod fixed_point;
mod grid;
mod trajectory;

pub use conditioning::{gram_conditioning, Conditioning, GramConditioning};
pub use fixed_point::{correlation_map, length_map, phase_point, phase_point_with_map};
pub use grid::{phase_grid, phase_rows, AxisRange, PhaseGrid, PhaseGridSpec, PhaseRow};
pub use trajectory::{correlation_trajectories, point_report, CorrelationTrajectory, PointReport};

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

#[cfg(test)]
mod tests {
    use super::*;

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
