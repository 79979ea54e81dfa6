//! Pointwise nonlinearities φ and their derivatives φ', shared by the finite network and the
//! infinite-width kernels (one description, several interpreters): nine built in, and any
//! expression in x the user types ([`Activation::custom`], module [`crate::custom_phi`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::custom_phi::{CustomPhi, PhiError};
pub(crate) use crate::scalar::{sech2, sigmoid, sigmoid_pair, softplus};

/// A pointwise nonlinearity φ applied after every hidden Dense layer.
///
/// The kernel maps `T(Σ) = E[φ(u)φ(v)]` and `Ṫ(Σ) = E[φ'(u)φ'(v)]` (paper SM E) are closed
/// forms for `Relu`, `LeakyRelu`, `Erf`, `Identity`, `Sin` and `Gelu`, and Mehler series
/// with quadrature ([`crate::theory::smooth`]) for `Tanh`, `Softplus`, `Sigmoid` and `Custom`.
///
/// Text form ([`FromStr`], [`fmt::Display`]): the names of [`Activation::NAMES`],
/// `leaky_relu:SLOPE`, and `custom:EXPR` for an expression in x (`custom:x*sigmoid(x)`;
/// displayed in canonical form). JSON: `{"kind": "tanh"}`, `{"kind": "leaky_relu",
/// "slope": 0.1}`, `{"kind": "custom", "expr": "x*sigmoid(x)"}`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Activation {
    /// φ(x) = max(x, 0)
    Relu,
    /// φ(x) = x for x ≥ 0, `slope`·x otherwise
    LeakyRelu {
        /// slope on the negative half-line
        slope: f64,
    },
    /// φ(x) = erf(x)
    Erf,
    /// φ(x) = x
    Identity,
    /// φ(x) = sin(x)
    Sin,
    /// φ(x) = x Φ(x) = x (1 + erf(x/√2)) / 2 (exact GELU)
    Gelu,
    /// φ(x) = tanh(x)
    Tanh,
    /// φ(x) = ln(1 + eˣ)
    Softplus,
    /// φ(x) = 1 / (1 + e⁻ˣ)
    Sigmoid,
    /// φ given by an expression in x (a handle into the interner of [`crate::custom_phi`])
    Custom(CustomPhi),
}

/// Default slope of `leaky_relu` when the name carries none.
pub const DEFAULT_LEAKY_SLOPE: f64 = 0.01;

impl Activation {
    /// Prefix of the text form of a custom activation, `custom:EXPR`.
    pub const CUSTOM_PREFIX: &'static str = "custom:";

    /// The activation given by an expression in x, e.g. `x*sigmoid(x)` (module
    /// [`crate::custom_phi`] for the syntax, the checks and the interner).
    ///
    /// # Errors
    /// [`PhiError`] naming the problem (syntax with position, unknown name, not finite,
    /// growing too fast, derivative not finite, interner full).
    pub fn custom(expr: &str) -> Result<Activation, PhiError> {
        Ok(Activation::Custom(CustomPhi::new(expr)?))
    }

    /// Every built-in activation name accepted by [`FromStr`], for help texts and UI selects
    /// (plus `custom:EXPR`, see [`Activation::CUSTOM_PREFIX`]).
    pub const NAMES: [&'static str; 9] =
        ["relu", "leaky_relu", "erf", "identity", "sin", "gelu", "tanh", "softplus", "sigmoid"];

    /// φ(x).
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Activation::Relu => x.max(0.0),
            Activation::LeakyRelu { slope } => {
                if x >= 0.0 {
                    x
                } else {
                    slope * x
                }
            }
            Activation::Erf => libm::erf(x),
            Activation::Identity => x,
            // libm's sin and tanh: the same bits as a typed `sin(x)` or `tanh(x)`, on every platform.
            Activation::Sin => libm::sin(x),
            Activation::Gelu => 0.5 * x * (1.0 + libm::erf(x * std::f64::consts::FRAC_1_SQRT_2)),
            Activation::Tanh => libm::tanh(x),
            Activation::Softplus => softplus(x),
            Activation::Sigmoid => sigmoid(x),
            Activation::Custom(c) => c.compiled().phi.eval(x),
        }
    }

    /// φ'(x) (the right derivative at the kink of `relu` / `leaky_relu`, i.e. 1 at x = 0),
    /// accurate relative to its own value also in the tails (no `1 − tanh²`).
    pub fn derivative(self, x: f64) -> f64 {
        match self {
            Activation::Relu => {
                if x >= 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu { slope } => {
                if x >= 0.0 {
                    1.0
                } else {
                    slope
                }
            }
            Activation::Erf => std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp(),
            Activation::Identity => 1.0,
            Activation::Sin => x.cos(),
            Activation::Gelu => {
                let cdf = 0.5 * (1.0 + libm::erf(x * std::f64::consts::FRAC_1_SQRT_2));
                let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
                cdf + x * pdf
            }
            Activation::Tanh => sech2(x),
            Activation::Softplus => sigmoid(x),
            Activation::Sigmoid => sigmoid(x) * sigmoid(-x),
            Activation::Custom(c) => c.compiled().dphi.eval(x),
        }
    }

    /// φ''(x), for the Hessian–vector products of the quadratic model
    /// ([`crate::nets::quadratic`]): 0 for the piecewise-linear `relu`, `leaky_relu` (their
    /// second derivative away from the kink) and `identity`; a custom φ's from the Taylor
    /// series of its expression (NaN where it is not analytic).
    pub fn second_derivative(self, x: f64) -> f64 {
        match self {
            Activation::Relu | Activation::LeakyRelu { .. } | Activation::Identity => 0.0,
            Activation::Erf => -2.0 * x * std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp(),
            Activation::Sin => -libm::sin(x),
            Activation::Gelu => (2.0 - x * x) * (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt(),
            Activation::Tanh => -2.0 * libm::tanh(x) * sech2(x),
            Activation::Softplus => sigmoid(x) * sigmoid(-x),
            Activation::Sigmoid => sigmoid(x) * sigmoid(-x) * (sigmoid(-x) - sigmoid(x)),
            Activation::Custom(c) => {
                crate::custom_phi::taylor::taylor(&c.compiled().expr, x, 2).map_or(f64::NAN, |t| 2.0 * t[2])
            }
        }
    }

    /// φ(x) in single precision (the finite-network training path).
    #[inline]
    pub fn apply_f32(self, x: f32) -> f32 {
        match self {
            Activation::Relu => x.max(0.0),
            Activation::Identity => x,
            Activation::LeakyRelu { slope } => {
                if x >= 0.0 {
                    x
                } else {
                    slope as f32 * x
                }
            }
            Activation::Erf => crate::fast_f32::erf(x),
            Activation::Sin => x.sin(),
            Activation::Tanh => x.tanh(),
            _ => self.apply(x as f64) as f32,
        }
    }

    /// φ'(x) in single precision.
    #[inline]
    pub fn derivative_f32(self, x: f32) -> f32 {
        match self {
            Activation::Relu => {
                if x >= 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Identity => 1.0,
            Activation::Erf => std::f32::consts::FRAC_2_SQRT_PI * crate::fast_f32::exp(-x * x),
            Activation::Tanh => {
                let t = x.tanh();
                1.0 - t * t
            }
            _ => self.derivative(x as f64) as f32,
        }
    }

    /// `out[i] = φ(xs[i])` in double precision (one call per layer vector: a custom φ's
    /// program runs instruction by instruction over the whole slice).
    pub fn apply_slice(self, xs: &[f64], out: &mut [f64]) {
        if let Activation::Custom(c) = self {
            return c.compiled().phi.eval_slice(xs, out);
        }
        for (o, &x) in out.iter_mut().zip(xs) {
            *o = self.apply(x);
        }
    }

    /// `out[i] = φ'(xs[i])` in double precision.
    pub fn derivative_slice(self, xs: &[f64], out: &mut [f64]) {
        if let Activation::Custom(c) = self {
            return c.compiled().dphi.eval_slice(xs, out);
        }
        for (o, &x) in out.iter_mut().zip(xs) {
            *o = self.derivative(x);
        }
    }

    /// `phi[i] = φ(xs[i])`, `dphi[i] = φ'(xs[i])` in double precision; sigmoid and softplus
    /// from one exponential (`sigmoid_pair`), the others as [`Activation::apply_slice`] and
    /// [`Activation::derivative_slice`]. Every value is the same bits as [`Activation::apply`]
    /// and [`Activation::derivative`], so a typed `tanh(x)`, `sigmoid(x)` or `softplus(x)`
    /// (which evaluates those scalar functions) gives the built-in's kernels bit for bit.
    pub fn apply_and_derivative_slice(self, xs: &[f64], phi: &mut [f64], dphi: &mut [f64]) {
        let pairs = phi.iter_mut().zip(dphi.iter_mut()).zip(xs);
        match self {
            Activation::Sigmoid => pairs.for_each(|((f, d), &x)| {
                let (s, s_neg) = sigmoid_pair(x);
                (*f, *d) = (s, s * s_neg);
            }),
            Activation::Softplus => pairs.for_each(|((f, d), &x)| {
                let e = (-x.abs()).exp();
                *f = x.max(0.0) + e.ln_1p();
                *d = if x >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
            }),
            _ => {
                self.apply_slice(xs, phi);
                self.derivative_slice(xs, dphi);
            }
        }
    }

    /// `out[i] = φ(x[i])` in single precision for a whole layer: one loop per activation, so
    /// that branch-free ones (erf) compile to SIMD (a custom φ is evaluated in double precision
    /// and rounded once).
    pub fn apply_slice_f32(self, x: &[f32], out: &mut [f32]) {
        match self {
            Activation::Custom(c) => c.compiled().phi.eval_slice_f32(x, out),
            Activation::Erf => out.iter_mut().zip(x).for_each(|(o, &v)| *o = crate::fast_f32::erf(v)),
            _ => out.iter_mut().zip(x).for_each(|(o, &v)| *o = self.apply_f32(v)),
        }
    }

    /// `out[i] = φ'(xs[i])` in single precision.
    pub fn derivative_slice_f32(self, xs: &[f32], out: &mut [f32]) {
        if let Activation::Custom(c) = self {
            return c.compiled().dphi.eval_slice_f32(xs, out);
        }
        for (o, &x) in out.iter_mut().zip(xs) {
            *o = self.derivative_f32(x);
        }
    }

    /// `out[i] = g[i] · φ'(x[i])` in single precision for a whole layer (the backpropagation
    /// step `δ = φ'(h) ⊙ Wᵀδ'`), SIMD for erf like [`Activation::apply_slice_f32`].
    pub fn derivative_times_f32(self, x: &[f32], g: &[f32], out: &mut [f32]) {
        if let Activation::Custom(_) = self {
            self.derivative_slice_f32(&x[..out.len()], out);
            out.iter_mut().zip(g).for_each(|(o, &gi)| *o *= gi);
            return;
        }
        let pairs = out.iter_mut().zip(x.iter().zip(g));
        match self {
            Activation::Erf => pairs.for_each(|(o, (&v, &gi))| {
                *o = gi * (std::f32::consts::FRAC_2_SQRT_PI * crate::fast_f32::exp(-v * v))
            }),
            _ => pairs.for_each(|(o, (&v, &gi))| *o = gi * self.derivative_f32(v)),
        }
    }

    /// Whether the kernel maps of this activation have a closed form (otherwise quadrature).
    pub fn has_closed_form(self) -> bool {
        !matches!(self, Activation::Tanh | Activation::Softplus | Activation::Sigmoid | Activation::Custom(_))
    }
}

/// A text that is not an activation: an unknown name, or a custom expression that is not
/// usable (with the reason).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActivationError {
    /// Not one of the names.
    #[error("unknown activation '{0}' (expected one of: relu, leaky_relu[:SLOPE], erf, identity, sin, gelu, tanh, softplus, sigmoid, or custom:EXPR with EXPR an expression in x such as custom:x*sigmoid(x))")]
    Unknown(String),
    /// `custom:EXPR` with an unusable expression.
    #[error(transparent)]
    Custom(#[from] PhiError),
}

/// The former name of [`ActivationError`].
pub type UnknownActivation = ActivationError;

impl FromStr for Activation {
    type Err = ActivationError;

    /// Parses `relu`, `leaky_relu` (slope 0.01) or `leaky_relu:0.2`, `erf`, …
    /// (case-insensitive), or `custom:EXPR`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if let Some((name, expr)) = trimmed.split_once(':') {
            if name.trim().eq_ignore_ascii_case("custom") {
                return Ok(Activation::custom(expr)?);
            }
        }
        let lower = trimmed.to_ascii_lowercase();
        let (name, arg) = match lower.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (lower.as_str(), None),
        };
        let bad = || ActivationError::Unknown(s.to_string());
        let act = match name {
            "relu" => Activation::Relu,
            "leaky_relu" => {
                let slope = match arg {
                    Some(a) => a.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(bad)?,
                    None => DEFAULT_LEAKY_SLOPE,
                };
                return Ok(Activation::LeakyRelu { slope });
            }
            "erf" => Activation::Erf,
            "identity" | "linear" => Activation::Identity,
            "sin" => Activation::Sin,
            "gelu" => Activation::Gelu,
            "tanh" => Activation::Tanh,
            "softplus" => Activation::Softplus,
            "sigmoid" => Activation::Sigmoid,
            _ => return Err(bad()),
        };
        if arg.is_some() {
            return Err(bad());
        }
        Ok(act)
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Activation::Relu => f.write_str("relu"),
            Activation::LeakyRelu { slope } => write!(f, "leaky_relu:{slope}"),
            Activation::Erf => f.write_str("erf"),
            Activation::Identity => f.write_str("identity"),
            Activation::Sin => f.write_str("sin"),
            Activation::Gelu => f.write_str("gelu"),
            Activation::Tanh => f.write_str("tanh"),
            Activation::Softplus => f.write_str("softplus"),
            Activation::Sigmoid => f.write_str("sigmoid"),
            Activation::Custom(c) => write!(f, "{}{c}", Activation::CUSTOM_PREFIX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-exponential evaluations of sigmoid and softplus with their derivatives are the
    /// scalar ones bit for bit (including the far tails, e^{−700}, and ±0), as is every other
    /// activation's pair.
    #[test]
    fn paired_evaluations_match_the_scalar_ones() {
        let xs: Vec<f64> =
            (-1400..=1400).map(|i| i as f64 * 0.5).chain([-1e-300, 0.0, -0.0, 1e-12, 3e-5]).collect();
        let (mut f, mut d) = (vec![0.0; xs.len()], vec![0.0; xs.len()]);
        for act in [Activation::Sigmoid, Activation::Softplus, Activation::Tanh, Activation::Erf] {
            act.apply_and_derivative_slice(&xs, &mut f, &mut d);
            for (i, &x) in xs.iter().enumerate() {
                for (ours, theirs) in [(f[i], act.apply(x)), (d[i], act.derivative(x))] {
                    assert_eq!(ours.to_bits(), theirs.to_bits(), "{act} at {x}: {ours} vs {theirs}");
                }
            }
        }
    }

    /// Central-difference step and tolerance for φ' checks in f64: truncation error is
    /// O(h²·φ''') ≈ 1e-10 and rounding O(ε/h) ≈ 1e-11 for these smooth functions.
    const FD_STEP: f64 = 1e-5;
    const FD_TOL: f64 = 1e-8;

    #[test]
    fn derivatives_match_central_differences() {
        let acts = [
            Activation::Erf,
            Activation::Identity,
            Activation::Sin,
            Activation::Gelu,
            Activation::Tanh,
            Activation::Softplus,
            Activation::Sigmoid,
            Activation::Relu,
            Activation::LeakyRelu { slope: 0.2 },
        ];
        for act in acts {
            for &x in &[-2.3, -0.7, 0.4, 1.9] {
                let fd = (act.apply(x + FD_STEP) - act.apply(x - FD_STEP)) / (2.0 * FD_STEP);
                assert!(
                    (fd - act.derivative(x)).abs() < FD_TOL,
                    "{act} at {x}: {fd} vs {}",
                    act.derivative(x)
                );
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for name in Activation::NAMES {
            let act: Activation = name.parse().unwrap();
            let again: Activation = act.to_string().parse().unwrap();
            assert_eq!(act, again);
        }
        assert_eq!("leaky_relu:0.2".parse::<Activation>(), Ok(Activation::LeakyRelu { slope: 0.2 }));
        assert!("swish".parse::<Activation>().is_err());
        assert!("relu:3".parse::<Activation>().is_err());
    }
}
