//! Scalar functions shared by the built-in activations ([`crate::activation`]) and the typed
//! φ's functions ([`crate::custom_phi`]), so that `sigmoid(x)` typed is the built-in sigmoid bit
//! for bit: the logistic sigmoid `σ(x) = 1/(1 + e^{−x})`, softplus `ln(1 + eˣ)` and
//! `sech² x = tanh'(x)`, each evaluated without overflow or cancellation; and the f32
//! multiply-add of the networks' scalar and of [`crate::fast_f32`]'s polynomials, fused where
//! the build target has FMA.

/// The logistic sigmoid `σ(x) = 1/(1 + e^{−x})`, as `eˣ/(1 + eˣ)` for x < 0 (no overflow).
pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `(σ(x), σ(−x))` from one exponential `e = e^{−|x|}`: `σ(|x|) = 1/(1 + e)`,
/// `σ(−|x|) = e/(1 + e)` (no cancellation anywhere), the same bits as [`sigmoid`] at x and −x
/// (so `σ(x)σ(−x)` is `Activation::derivative`'s σ').
#[inline(always)]
pub(crate) fn sigmoid_pair(x: f64) -> (f64, f64) {
    let e = (-x.abs()).exp();
    let (at_abs, at_neg_abs) = (1.0 / (1.0 + e), e / (1.0 + e));
    if x >= 0.0 {
        (at_abs, at_neg_abs)
    } else {
        (at_neg_abs, at_abs)
    }
}

/// `tanh'(x) = sech² x = 4e^{−2|x|}/(1 + e^{−2|x|})²`, accurate to a few ulp everywhere
/// (`1 − tanh² x` loses all digits for |x| ≳ 18, which an accurate quadrature then sees as noise).
pub(crate) fn sech2(x: f64) -> f64 {
    let e = (-2.0 * x.abs()).exp();
    4.0 * e / ((1.0 + e) * (1.0 + e))
}

/// Softplus `ln(1 + eˣ) = max(x, 0) + ln(1 + e^{−|x|})`.
pub(crate) fn softplus(x: f64) -> f64 {
    // ln(1 + eˣ) without overflow for large x or loss of precision for very negative x.
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Whether the build target has fused multiply-add (native builds on FMA CPUs): then
/// [`madd_f32`] and `Real::madd` round once.
pub(crate) const FMA: bool = cfg!(target_feature = "fma");

/// `a · b + c`: one fused multiply-add (a single rounding) where the build target has FMA
/// ([`FMA`]), otherwise a product and a sum — `Real::madd` of f32, for the polynomials of
/// [`crate::fast_f32`].
#[inline(always)]
pub(crate) fn madd_f32(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}
