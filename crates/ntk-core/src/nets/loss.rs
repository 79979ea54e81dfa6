//! The training losses, as means over the points they are taken on (docs/MATH.md):
//!
//! - **MSE** `L = 1/(2N) Σᵢ (fᵢ − yᵢ)²`, per point `ℓ = ½ (f − y)²`, `∂ℓ/∂f = f − y`;
//! - **binary cross-entropy** on labels `y = ±1` with a logistic output σ(f) = 1/(1 + e^{−f}):
//!   `ℓ = −t log σ(f) − (1 − t) log(1 − σ(f))` with `t = (1 + y)/2`, which is
//!   `ℓ = log(1 + e^{−y f})` (softplus of −yf), `∂ℓ/∂f = −y σ(−y f)` (paper SM B.2, Eq. S5 for
//!   two classes with one logit).
//!
//! Cross-entropy has no fixed point: on separable data the logits of a trained model grow
//! without bound (paper Figure S4), and there is no closed-form Gaussian process for it.

use serde::{Deserialize, Serialize};

/// The loss a model is trained on (mean over the points of a batch).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// mean squared error `1/(2N) Σ (f − y)²`
    #[default]
    Mse,
    /// binary cross-entropy `1/N Σ log(1 + e^{−y f})` on labels y = ±1
    Xent,
}

/// A target that the loss cannot take (cross-entropy needs labels ±1).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "cross-entropy needs labels −1 or +1, but target {index} is {value} (use --loss mse, or a classification data set)"
)]
pub struct LabelError {
    /// index of the first bad target
    pub index: usize,
    /// its value
    pub value: f64,
}

impl Loss {
    /// Every loss by name, as the page's select and the URL have them.
    pub const NAMES: [&'static str; 2] = ["mse", "xent"];

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Loss::Mse => "mse",
            Loss::Xent => "xent",
        }
    }

    /// The loss of a name of [`Loss::NAMES`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "mse" => Some(Loss::Mse),
            "xent" => Some(Loss::Xent),
            _ => None,
        }
    }
}

impl std::str::FromStr for Loss {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mse" => Ok(Loss::Mse),
            "xent" | "cross-entropy" | "cross_entropy" => Ok(Loss::Xent),
            _ => Err(format!("unknown loss '{s}' (expected mse or xent)")),
        }
    }
}

impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `log(1 + eᶻ)` without overflow or loss of precision for large |z|.
pub fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// The logistic function `σ(z) = 1/(1 + e^{−z})`, without overflow.
pub fn logistic(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl Loss {
    /// The loss of one point, `ℓ(f, y)`: `½ (f − y)²` or `log(1 + e^{−y f})`.
    pub fn point(self, f: f64, y: f64) -> f64 {
        match self {
            Loss::Mse => 0.5 * (f - y).powi(2),
            Loss::Xent => softplus(-y * f),
        }
    }

    /// `∂ℓ/∂f` of one point: `f − y` (MSE) or `−y σ(−y f)` (cross-entropy).
    pub fn derivative(self, f: f64, y: f64) -> f64 {
        match self {
            Loss::Mse => f - y,
            Loss::Xent => -y * logistic(-y * f),
        }
    }

    /// The mean loss `L = 1/N Σᵢ ℓ(fᵢ, yᵢ)` over the points given, accumulated in f64 (for MSE
    /// exactly [`mse_loss`]).
    pub fn mean<T: Copy + Into<f64>>(self, f: &[T], y: &[f64]) -> f64 {
        match self {
            Loss::Mse => mse_loss(f, y),
            Loss::Xent => {
                let n = y.len().max(1) as f64;
                f.iter().zip(y).map(|(&fi, &yi)| softplus(-yi * fi.into())).sum::<f64>() / n
            }
        }
    }

    /// Checks that every target suits the loss (labels ±1 for cross-entropy).
    ///
    /// # Errors
    /// [`LabelError`] naming the first target that is not ±1.
    pub fn check_targets(self, y: &[f64]) -> Result<(), LabelError> {
        if self == Loss::Xent {
            if let Some((index, &value)) = y.iter().enumerate().find(|(_, &v)| v != 1.0 && v != -1.0) {
                return Err(LabelError { index, value });
            }
        }
        Ok(())
    }
}

/// Mean-squared loss `L = 1/(2N) Σᵢ (fᵢ − yᵢ)²` (docs/MATH.md), accumulated in f64.
pub fn mse_loss<T: Copy + Into<f64>>(f: &[T], y: &[f64]) -> f64 {
    let n = y.len().max(1) as f64;
    f.iter().zip(y).map(|(&fi, &yi)| (fi.into() - yi).powi(2)).sum::<f64>() / (2.0 * n)
}

/// Classification accuracy: the fraction of points whose output has the sign of the target
/// (`f·y > 0`; an output of exactly 0 counts as wrong). For ±1 labels under either loss.
pub fn accuracy<T: Copy + Into<f64>>(f: &[T], y: &[f64]) -> f64 {
    let n = y.len().max(1) as f64;
    f.iter().zip(y).filter(|(&fi, &yi)| fi.into() * yi > 0.0).count() as f64 / n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_entropy_is_the_logistic_loss_and_stable() {
        // log(1 + e^{−yf}) = −log σ(yf); at f = 0 it is log 2 for either label.
        assert!((Loss::Xent.point(0.0, 1.0) - std::f64::consts::LN_2).abs() < 1e-16);
        for &(f, y) in &[(0.3, 1.0), (-2.0, 1.0), (1.7, -1.0), (-0.4, -1.0)] {
            let direct = -(logistic(y * f)).ln();
            assert!((Loss::Xent.point(f, y) - direct).abs() < 1e-15, "{f} {y}");
        }
        // No overflow far out: ℓ ≈ −yf for yf ≪ 0, ≈ e^{−yf} for yf ≫ 0.
        assert!((Loss::Xent.point(-800.0, 1.0) - 800.0).abs() < 1e-12);
        assert!((Loss::Xent.point(40.0, 1.0) - (-40.0f64).exp()).abs() < 1e-30);
        assert_eq!(logistic(-800.0), 0.0f64.max(logistic(-800.0)));
        assert!(logistic(800.0) == 1.0 && logistic(-800.0) >= 0.0);
    }

    /// `∂ℓ/∂f` against a central difference of `ℓ` (step h = 1e-5: error O(h²·ℓ''') ≈ 1e-10,
    /// rounding O(ε/h) ≈ 1e-11; tolerance 1e-8).
    #[test]
    fn derivatives_match_finite_differences() {
        let h = 1e-5;
        for loss in [Loss::Mse, Loss::Xent] {
            for &(f, y) in &[(0.3, 1.0), (-2.0, 1.0), (1.7, -1.0), (-0.4, -1.0), (6.0, 1.0), (0.0, -1.0)] {
                let fd = (loss.point(f + h, y) - loss.point(f - h, y)) / (2.0 * h);
                let d = loss.derivative(f, y);
                assert!((fd - d).abs() < 1e-8, "{loss} at f = {f}, y = {y}: {d} vs {fd}");
            }
        }
    }

    #[test]
    fn labels_are_checked_and_accuracy_counts_signs() {
        assert!(Loss::Xent.check_targets(&[1.0, -1.0, 1.0]).is_ok());
        let e = Loss::Xent.check_targets(&[1.0, 0.5]).unwrap_err();
        assert_eq!((e.index, e.value), (1, 0.5));
        assert!(e.to_string().contains("target 1 is 0.5"), "{e}");
        assert!(Loss::Mse.check_targets(&[0.5]).is_ok());
        assert_eq!(accuracy(&[0.5f64, -0.1, 0.0, 2.0], &[1.0, 1.0, 1.0, -1.0]), 0.25);
        assert_eq!(Loss::Mse.mean(&[1.0f64, 3.0], &[0.0, 1.0]), mse_loss(&[1.0f64, 3.0], &[0.0, 1.0]));
        assert_eq!("xent".parse::<Loss>(), Ok(Loss::Xent));
        assert!("hinge".parse::<Loss>().is_err());
    }
}
