//! What the analytic kernels return and why they can fail: the kernels K and Θ between two
//! point sets ([`KernelPair`]), their diagonals ([`KernelDiagonal`]) and [`KernelError`]. A leaf
//! of the theory: the kernels ([`crate::theory::kernels`]) and the paths that compute them
//! ([`crate::theory::fused`], [`crate::theory::smooth`], [`crate::theory::recursion`]) all
//! return these, and [`crate::theory::kernels`] re-exports them.

use nalgebra::{DMatrix, DVector};

use crate::arch::{ArchError, Parameterization};

/// NNGP kernel K and NTK Θ between two point sets (rows of `x1` × rows of `x2`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KernelPair {
    /// `K(x1, x2)`, the NNGP kernel of the readout layer (paper Eq. 13's 𝒦)
    pub nngp: DMatrix<f64>,
    /// `Θ(x1, x2)`, the NTK of the readout layer (paper Eq. 14's Θ)
    pub ntk: DMatrix<f64>,
}

/// The diagonals `K(x, x)` and `Θ(x, x)` of one point set.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelDiagonal {
    /// `K(x, x)` per point
    pub nngp: DVector<f64>,
    /// `Θ(x, x)` per point
    pub ntk: DVector<f64>,
}

/// Why kernels could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KernelError {
    /// A point set has no points.
    #[error("the {0} point set is empty")]
    Empty(&'static str),
    /// Points have no coordinates.
    #[error("points must have at least one coordinate, got dimension 0")]
    ZeroDimension,
    /// The two point sets differ in input dimension.
    #[error("dimension mismatch: x1 has {0}-dimensional points, x2 has {1}-dimensional points")]
    DimensionMismatch(usize, usize),
    /// An input coordinate is NaN or infinite.
    #[error("input point {row} of the {set} set has a non-finite coordinate ({value})")]
    NonFinite {
        /// which set
        set: &'static str,
        /// 0-based point index
        row: usize,
        /// the value
        value: f64,
    },
    /// The architecture is invalid.
    #[error(transparent)]
    Arch(#[from] ArchError),
    /// The activation's Gaussian expectations overflow (φ grows too fast for the variances
    /// these inputs and σ's produce).
    #[error("the kernel is not finite: E[φ(u)²] or E[φ'(u)²] = {value} at variance {var} in layer {layer}; the activation grows too fast for these inputs and σ's")]
    Divergent {
        /// hidden layer (1-based) whose nonlinearity diverged
        layer: usize,
        /// the pre-activation variance there
        var: f64,
        /// the non-finite expectation
        value: f64,
    },
    /// The analytic kernels are those of NTK parameterization.
    #[error("{}", parameterization_message(*.0))]
    Parameterization(Parameterization),
}

/// Why the analytic kernels refuse a parameterization, and what to do instead.
fn parameterization_message(p: Parameterization) -> String {
    match p {
        Parameterization::MeanField => {
            "analytic kernels are implemented for NTK parameterization; got mf: a \
             mean-field network's features and tangent kernel move O(1) at every width, so no NNGP/NTK \
             Gaussian process describes its training"
                .to_string()
        }
        other => format!(
            "analytic kernels are implemented for NTK parameterization; got {other} (convert learning \
             rates per SM F instead)"
        ),
    }
}
