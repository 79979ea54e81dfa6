//! The one description of a fully connected network that the analytic kernels, the finite
//! network and the empirical NTK all read (conventions of docs/MATH.md).

use serde::{Deserialize, Serialize};

use crate::activation::Activation;

/// How weights and biases enter the pre-activations (docs/MATH.md, paper Eq. 1 and SM F).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Parameterization {
    /// `h^{l+1} = (σ_w/√n_l) W^{l+1} x^l + σ_b b^{l+1}`, W, b ~ N(0, 1) (paper Eq. 1).
    #[default]
    Ntk,
    /// `h^{l+1} = W^{l+1} x^l + b^{l+1}`, W ~ N(0, σ_w²/n_l), b ~ N(0, σ_b²) (paper SM F).
    Standard,
    /// Mean-field / μP (docs/MATH.md, "Mean-field / μP parameterization"): hidden layers as in
    /// NTK parameterization, the readout `f = (σ_w/n) W^{L+1} x^L + σ_b b^{L+1}` (1/n instead of
    /// 1/√n), W, b ~ N(0, 1), trained at rate `η n` (the readout bias at η). Not described by
    /// the analytic NNGP/NTK Gaussian processes: its features move O(1) at every width.
    #[serde(rename = "mf")]
    MeanField,
}

impl std::str::FromStr for Parameterization {
    type Err = ArchError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ntk" => Ok(Parameterization::Ntk),
            "standard" => Ok(Parameterization::Standard),
            "mf" | "mean_field" | "mean-field" | "mup" => Ok(Parameterization::MeanField),
            _ => Err(ArchError::UnknownParameterization(s.to_string())),
        }
    }
}

impl std::fmt::Display for Parameterization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Parameterization::Ntk => "ntk",
            Parameterization::Standard => "standard",
            Parameterization::MeanField => "mf",
        })
    }
}

/// Largest depth accepted (hidden layers); deeper kernels are numerically uninformative and
/// finite networks that deep do not fit in a browser tab.
pub const MAX_DEPTH: usize = 100;

/// A fully connected network: `depth` hidden layers `Dense → φ`, then a readout Dense to one
/// output (docs/MATH.md). Construct with [`Architecture::new`], which validates every field.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    /// Number of hidden layers L ≥ 1.
    pub depth: usize,
    /// Nonlinearity φ after each hidden Dense layer.
    pub activation: Activation,
    /// Weight variance σ_w² > 0.
    pub sw2: f64,
    /// Bias variance σ_b² ≥ 0.
    pub sb2: f64,
    /// NTK, standard or mean-field parameterization (the analytic kernels are those of NTK
    /// parameterization).
    pub param: Parameterization,
}

/// An invalid architecture, with the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArchError {
    /// depth = 0 or above [`MAX_DEPTH`].
    #[error("depth must be between 1 and {MAX_DEPTH} hidden layers, got {0}")]
    Depth(usize),
    /// σ_w² not finite or not positive.
    #[error("σ_w² (sw2) must be a finite number > 0, got {0}")]
    WeightVariance(f64),
    /// σ_b² not finite or negative.
    #[error("σ_b² (sb2) must be a finite number ≥ 0, got {0}")]
    BiasVariance(f64),
    /// Not `ntk`, `standard` or `mf`.
    #[error("unknown parameterization '{0}' (expected ntk, standard or mf)")]
    UnknownParameterization(String),
    /// leaky_relu slope not finite.
    #[error("leaky_relu slope must be finite, got {0}")]
    LeakySlope(f64),
}

impl Architecture {
    /// A validated architecture.
    ///
    /// # Errors
    /// [`ArchError`] for depth 0 (or > [`MAX_DEPTH`]), σ_w² ≤ 0, σ_b² < 0, or non-finite values.
    pub fn new(
        depth: usize,
        activation: Activation,
        sw2: f64,
        sb2: f64,
        param: Parameterization,
    ) -> Result<Self, ArchError> {
        let arch = Architecture { depth, activation, sw2, sb2, param };
        arch.validate()?;
        Ok(arch)
    }

    /// Re-checks every field (for values that arrived through serde).
    ///
    /// # Errors
    /// As [`Architecture::new`].
    pub fn validate(&self) -> Result<(), ArchError> {
        if self.depth == 0 || self.depth > MAX_DEPTH {
            return Err(ArchError::Depth(self.depth));
        }
        if !(self.sw2.is_finite() && self.sw2 > 0.0) {
            return Err(ArchError::WeightVariance(self.sw2));
        }
        if !(self.sb2.is_finite() && self.sb2 >= 0.0) {
            return Err(ArchError::BiasVariance(self.sb2));
        }
        if let Activation::LeakyRelu { slope } = self.activation {
            if !slope.is_finite() {
                return Err(ArchError::LeakySlope(slope));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_values_with_the_value_in_the_message() {
        let e = Architecture::new(0, Activation::Erf, 1.0, 0.0, Parameterization::Ntk).unwrap_err();
        assert!(e.to_string().contains("got 0"));
        assert!(Architecture::new(2, Activation::Erf, -1.0, 0.0, Parameterization::Ntk).is_err());
        assert!(Architecture::new(2, Activation::Erf, 1.0, -0.1, Parameterization::Ntk).is_err());
        assert!(Architecture::new(2, Activation::Erf, f64::NAN, 0.0, Parameterization::Ntk).is_err());
        assert!(Architecture::new(2, Activation::Erf, 1.0, 0.0, Parameterization::Ntk).is_ok());
    }
}
