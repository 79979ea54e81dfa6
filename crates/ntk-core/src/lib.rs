//! Numerics of wide neural networks (Lee et al. 2019, "Wide Neural Networks of Any Depth Evolve
//! as Linear Models Under Gradient Descent"), with the conventions of the project's MATH.md:
//! NTK parameterization, depth = number of hidden layers, mean-squared loss
//! `L = 1/(2N) Σ (f(xᵢ) − yᵢ)²`, time `t = η·k`.
//!
//! Pure Rust, no web dependency: the same code runs natively (CLI, tests, benches) and in the
//! browser's web workers.
#![forbid(unsafe_code)]

pub mod activation;
pub mod arch;
// Large learning rates: the catapult.
pub mod catapult;
pub mod catapult_network;
pub mod datasets;
// Infinite-width theory.
pub mod gp;
pub mod kernel_maps;
pub mod kernels;
pub mod landmarks;
pub mod quadrature;
// Finite networks.
pub mod empirical_ntk;
pub mod ensemble;
pub mod linearized;
pub mod mlp;
pub mod rng;
pub mod stats;
// The width-scaling lab.
pub mod widths;

pub use activation::Activation;
pub use arch::{ArchError, Architecture, Parameterization};
