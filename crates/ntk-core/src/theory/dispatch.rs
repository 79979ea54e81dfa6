//! The one place where an [`Activation`] becomes its kernel maps `T(Σ) = E[φ(u)φ(v)]` and
//! `Ṫ(Σ) = E[φ'(u)φ'(v)]` (paper SM E, docs/MATH.md "The kernel maps T and Ṫ").
//!
//! relu, leaky_relu, erf, identity, sin and gelu have closed forms ([`ReluMap`], …, paper
//! SM C), which every computation over layers can use alike: the layered record, the fused
//! all-layers pass ([`LaneMap`]) and the one-variance diagonal ([`DiagonalMap`]). tanh,
//! softplus, sigmoid and a typed φ have none; each computation then chooses its own way of
//! integrating (the smooth kernels' series and near-diagonal rule, or Gauss–Hermite
//! quadrature). A computation that depends on the activation is written once as a
//! [`MapVisitor`], and [`visit_kernel_map`] calls it with the activation's map.

use crate::activation::Activation;
use crate::theory::fused::LaneMap;
use crate::theory::kernel_maps::{DiagonalMap, ErfMap, GeluMap, IdentityMap, LeakyReluMap, ReluMap, SinMap};

/// A computation over the kernel maps of an activation, whichever it is.
pub trait MapVisitor {
    /// What the computation returns.
    type Output;

    /// The computation for an activation with closed-form maps `T`, `Ṫ` (paper SM C).
    fn closed_form<M: LaneMap + DiagonalMap>(self, map: &M) -> Self::Output;

    /// The computation for an activation without closed-form maps (tanh, softplus, sigmoid,
    /// a typed φ), given as itself: `T` and `Ṫ` are Gaussian integrals of `act` and its
    /// derivative.
    fn smooth(self, act: Activation) -> Self::Output;
}

/// Calls `visitor` with the kernel map of `act`: [`MapVisitor::closed_form`] with
/// [`ReluMap`], [`LeakyReluMap`], [`ErfMap`], [`IdentityMap`], [`SinMap`] or [`GeluMap`], else
/// [`MapVisitor::smooth`] with `act` itself.
pub fn visit_kernel_map<V: MapVisitor>(act: Activation, visitor: V) -> V::Output {
    match act {
        Activation::Relu => visitor.closed_form(&ReluMap),
        Activation::LeakyRelu { slope } => visitor.closed_form(&LeakyReluMap { slope }),
        Activation::Erf => visitor.closed_form(&ErfMap),
        Activation::Identity => visitor.closed_form(&IdentityMap),
        Activation::Sin => visitor.closed_form(&SinMap),
        Activation::Gelu => visitor.closed_form(&GeluMap),
        Activation::Tanh | Activation::Softplus | Activation::Sigmoid | Activation::Custom(_) => {
            visitor.smooth(act)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which way each activation goes (a new variant must be added here and to the match).
    #[test]
    fn closed_forms_are_those_of_has_closed_form() {
        struct Closed;
        impl MapVisitor for Closed {
            type Output = bool;
            fn closed_form<M: LaneMap + DiagonalMap>(self, _map: &M) -> bool {
                true
            }
            fn smooth(self, _act: Activation) -> bool {
                false
            }
        }
        for act in [
            Activation::Relu,
            Activation::LeakyRelu { slope: 0.1 },
            Activation::Erf,
            Activation::Identity,
            Activation::Sin,
            Activation::Gelu,
            Activation::Tanh,
            Activation::Softplus,
            Activation::Sigmoid,
            Activation::custom("x*sigmoid(x)").unwrap(),
        ] {
            assert_eq!(visit_kernel_map(act, Closed), act.has_closed_form(), "{act}");
        }
    }
}
