//! Numerics of wide neural networks (Lee et al. 2019, "Wide Neural Networks of Any Depth Evolve
//! as Linear Models Under Gradient Descent"), with the conventions of the project's
//! `docs/MATH.md`: NTK parameterization, depth = number of hidden layers, mean-squared loss
//! `L = 1/(2N) Σ (f(xᵢ) − yᵢ)²`, time `t = η·k`.
//!
//! Pure Rust, no web dependency: the same code runs natively (CLI, tests, benches) and in the
//! browser's web workers. Grouped by idea:
//!
//! - [`theory`]: the infinite-width kernels and the Gaussian-process predictions through training;
//! - [`nets`]: finite networks, their empirical NTK, linearization and ensembles;
//! - [`experiments`]: the catapult and width-scaling studies built on both;
//! - [`results`]: self-describing result files, partial results of sharded runs and their merge;
//! - alongside: the one [`Architecture`] all of them read, [`activation`]s (with activations
//!   typed as expressions, [`custom_phi`]), [`datasets`], [`stats`] (mergeable moments, slope
//!   fits), the one error of a setting out of range ([`range`]), when a run counts as diverged
//!   ([`divergence`]), seeded random numbers ([`rng`]) and branch-free single-precision
//!   erf/exp for the training loops ([`fast_f32`]).
#![forbid(unsafe_code)]

pub mod activation;
pub mod arch;
pub mod custom_phi;
pub mod datasets;
pub mod divergence;
pub mod experiments;
pub mod fast_f32;
pub mod nets;
pub mod range;
pub mod results;
pub mod rng;
mod scalar;
pub mod stats;
pub mod theory;

pub use activation::Activation;
pub use arch::{ArchError, Architecture, Parameterization};
pub use custom_phi::{CustomPhi, PhiError};
