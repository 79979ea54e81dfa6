//! Finite networks and what they train as:
//!
//! - the MLP with its parameterizations ([`mlp`]), its scalar ([`real`]: f32, f64, dual
//!   numbers), its Dense layers with their SIMD loops ([`dense`]) and the training step of one
//!   layer ([`layer_step`]);
//! - one training step for every model ([`train`]): a loss ([`loss`]: MSE, cross-entropy), an
//!   optimizer ([`optimizer`]: gradient descent, momentum, minibatch SGD), and the models it
//!   trains — the network ([`mlp_model`]), its linearization in parameter space
//!   ([`linear_model`]) and a model in function space with a fixed kernel ([`kernel_model`]),
//!   any of them optionally as Chizat's `α (f − f₀)` ([`output_scale`]), and the network's
//!   second-order Taylor model ([`quadratic`], with dual numbers from [`dual`]);
//! - the empirical NTK ([`empirical_ntk`]), the closed-form linearization of MSE training
//!   ([`linearized`]), and ensembles of networks and linearizations with mergeable statistics
//!   ([`ensemble`]).

pub mod dense;
pub mod dual;
pub mod empirical_ntk;
pub mod ensemble;
pub mod kernel_model;
pub mod layer_step;
pub mod linear_model;
pub mod linearized;
pub mod loss;
pub mod mlp;
pub mod mlp_model;
pub mod optimizer;
pub mod output_scale;
pub mod quadratic;
pub mod real;
pub mod train;
