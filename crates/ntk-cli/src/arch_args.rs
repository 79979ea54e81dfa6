//! The architecture flags shared by every subcommand.

use clap::Args;
use ntk_core::{Activation, Architecture, Parameterization};

use crate::CliError;

/// `--act ACT --depth L --sw2 S --sb2 S [--param ntk|standard]`
#[derive(Args, Debug, Clone)]
pub struct ArchArgs {
    /// Nonlinearity: relu, leaky_relu (or leaky_relu:SLOPE), erf, identity, sin, gelu, tanh, softplus, sigmoid,
    /// or custom:EXPR with EXPR an expression in x (quote it in the shell), e.g.
    /// 'custom:x*sigmoid(x)' or 'custom:sin(3*x)+0.1*x'; functions: sin cos tan exp log sqrt
    /// abs tanh sinh cosh atan erf sigmoid softplus relu gelu sign step sech2 normcdf normpdf.
    #[arg(long = "act", value_name = "ACT")]
    pub activation: Activation,
    /// Number of hidden layers L (≥ 1).
    #[arg(long, value_name = "L")]
    pub depth: usize,
    /// Weight variance σ_w² (> 0); neural-tangents' W_std is σ_w.
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub sw2: f64,
    /// Bias variance σ_b² (≥ 0).
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub sb2: f64,
}

impl ArchArgs {
    /// The validated architecture with the given parameterization.
    ///
    /// # Errors
    /// [`CliError::BadInput`] for depth 0, negative σ², …
    pub fn architecture(&self, param: Parameterization) -> Result<Architecture, CliError> {
        Ok(Architecture::new(self.depth, self.activation, self.sw2, self.sb2, param)?)
    }
}
