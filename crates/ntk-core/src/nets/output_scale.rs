//! Chizat's output scale α (Chizat, Oyallon & Bach 2019, "On lazy training in differentiable
//! programming"; docs/MATH.md, "Parameterizations beyond NTK"): instead of the model f, train
//!
//! `g(x) = α (f(x) − f₀(x))`,   `L_α(θ) = (1/α²) · 1/|B| Σ_{i∈B} ℓ(g(xᵢ), yᵢ)`,
//!
//! so that `∂L_α/∂f(xᵢ) = ℓ'(g(xᵢ), yᵢ)/(α |B|)` and `∇_θ L_α = (1/α) J_Bᵀ ℓ'(g, y)/|B|`. In
//! function space the α's cancel: `dg/dt = −Θ̂_t ℓ'(g, y)/N` under gradient flow, so time is
//! measured as without α, while the parameters move O(1/α): α → ∞ is the lazy regime (the model
//! follows its linearization, the gap falling like 1/α), small α the rich one. g starts at 0.
//!
//! [`ScaledModel`] wraps any [`Model`]: its forward pass reports g, its update hands the wrapped
//! model the loss gradient divided by α. Without an α it is the wrapped model itself, bit for
//! bit.

use crate::nets::mlp::Real;
use crate::nets::train::Model;

/// The accepted output scales: `[10⁻³, 10⁴]`. Below 10⁻³, fitting O(1) targets needs
/// `f − f₀ ~ 10³`; above 10⁴, the f32 rounding of f (≈ 6·10⁻⁸ |f|) times α reaches ~10⁻³ of the
/// targets.
pub const ALPHA_RANGE: (f64, f64) = (1e-3, 1e4);

/// An output scale α outside [`ALPHA_RANGE`] or not finite.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("output scale alpha must be a finite number in [0.001, 10000], got {0}")]
pub struct AlphaError(pub f64);

/// A validated output scale α: the model `g = α (f − f₀)` trained on the loss scaled by `1/α²`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OutputScale {
    alpha: f64,
}

impl OutputScale {
    /// The scale α.
    ///
    /// # Errors
    /// [`AlphaError`] unless α is finite and in [`ALPHA_RANGE`].
    pub fn new(alpha: f64) -> Result<Self, AlphaError> {
        if alpha.is_finite() && (ALPHA_RANGE.0..=ALPHA_RANGE.1).contains(&alpha) {
            Ok(OutputScale { alpha })
        } else {
            Err(AlphaError(alpha))
        }
    }

    /// α.
    pub fn alpha(self) -> f64 {
        self.alpha
    }

    /// `g = α (f − f₀)` element by element, in the type of f (the difference first: for f near
    /// f₀ it is exact).
    pub fn apply<T: Real>(self, f: &[T], f0: &[T]) -> Vec<T> {
        let a = T::from_f64(self.alpha);
        f.iter().zip(f0).map(|(&fi, &f0i)| a * (fi - f0i)).collect()
    }
}

/// The buffers of a model trained with an output scale.
#[derive(Clone, Debug)]
struct Centering<T> {
    alpha: T,
    inv_alpha: T,
    /// f₀ on all N training points
    f0: Vec<T>,
    /// g on the last batch
    out: Vec<T>,
    /// the wrapped model's loss gradient `ℓ'(g, y)/(α |B|)`
    dloss: Vec<T>,
}

/// A [`Model`] trained as `g = α (f − f₀)` on the loss scaled by `1/α²` (module documentation),
/// or, without an α, the wrapped model unchanged.
#[derive(Clone, Debug)]
pub struct ScaledModel<M: Model> {
    inner: M,
    centering: Option<Centering<M::Scalar>>,
}

impl<M: Model> ScaledModel<M> {
    /// `inner` trained as `α (f − f₀)`, with f₀ its outputs on all N training points now; with
    /// `None`, `inner` itself.
    pub fn new(mut inner: M, scale: Option<OutputScale>) -> Self {
        let centering = scale.map(|s| {
            let f0 = inner.forward(None).to_vec();
            Centering {
                alpha: M::Scalar::from_f64(s.alpha),
                inv_alpha: M::Scalar::from_f64(1.0 / s.alpha),
                out: f0.clone(),
                dloss: vec![M::Scalar::ZERO; f0.len()],
                f0,
            }
        });
        ScaledModel { inner, centering }
    }

    /// The wrapped model f.
    pub fn inner(&self) -> &M {
        &self.inner
    }
}

impl<M: Model> Model for ScaledModel<M> {
    type Scalar = M::Scalar;

    fn points(&self) -> usize {
        self.inner.points()
    }

    /// `g(xᵢ) = α (f(xᵢ) − f₀(xᵢ))` on the batch (f without an α).
    fn forward(&mut self, batch: Option<&[usize]>) -> &[M::Scalar] {
        let f = self.inner.forward(batch);
        let Some(c) = &mut self.centering else { return f };
        c.out.clear();
        match batch {
            None => c.out.extend(f.iter().zip(&c.f0).map(|(&fi, &f0i)| c.alpha * (fi - f0i))),
            Some(b) => c.out.extend(f.iter().zip(b).map(|(&fi, &i)| c.alpha * (fi - c.f0[i]))),
        }
        &c.out
    }

    fn outputs(&self) -> &[M::Scalar] {
        match &self.centering {
            Some(c) => &c.out,
            None => self.inner.outputs(),
        }
    }

    /// The wrapped model's update with `∂L_α/∂f = (1/α) ∂L/∂g`: with `dloss = ℓ'(g, y)/|B|`,
    /// `θ ← θ − η (1/α) J_Bᵀ dloss` (plain descent; momentum as in paper Eq. S1).
    fn update(&mut self, dloss: &[M::Scalar], learning_rate: M::Scalar, momentum: M::Scalar) {
        match &mut self.centering {
            None => self.inner.update(dloss, learning_rate, momentum),
            Some(c) => {
                c.dloss.clear();
                c.dloss.extend(dloss.iter().map(|&d| d * c.inv_alpha));
                self.inner.update(&c.dloss, learning_rate, momentum);
            }
        }
    }
}
