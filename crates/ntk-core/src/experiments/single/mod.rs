//! One network beside its linearization (paper §2.3, Figure 3, Figure S8), for MSE or
//! cross-entropy (Figures S3, S4) and gradient descent, momentum or minibatch SGD (Figure 4):
//!
//! - the network f_k (f32, [`MlpModel`](crate::nets::mlp_model::MlpModel));
//! - its linearization `f₀ + J₀(θ − θ₀)` trained directly by the same step
//!   ([`LinearModel`](crate::nets::linear_model::LinearModel), paper Eq. 8, 11);
//! - in NTK parameterization, the dynamics of the analytic NTK Θ from the network's own f₀
//!   ([`KernelModel`](crate::nets::kernel_model::KernelModel)): for MSE under full-batch descent
//!   this is Eq. 8–9 with Θ in place of Θ̂₀ (the infinite-width prediction of this network's
//!   trajectory); for other losses and optimizers the same function-space recursion, step by
//!   step (no closed form exists for cross-entropy).
//!
//! All three see the same batches, loss and learning rate; at each log-spaced checkpoint the
//! run records their outputs on the training and test points, a fixed set of individual weights
//! of network and linearization, losses, accuracies (±1 targets) and the RMSE between the
//! network and each model ([`SingleCheckpoint`]). A report from outside is checked against its
//! own spec before it is believed ([`SingleReport::check`], module `check`).
//!
//! With Chizat's output scale α ([`SingleSpec::alpha`]) all three are trained and reported as
//! `g = α (f − f₀)` on the loss scaled by `1/α²`
//! ([`ScaledModel`](crate::nets::output_scale::ScaledModel)): large α is lazy, small α rich.

mod check;
mod record;
mod run;
pub(crate) mod spec;

pub use record::*;
pub use run::*;
pub use spec::*;
