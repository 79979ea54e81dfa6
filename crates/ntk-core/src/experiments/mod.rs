//! Experiments built on the theory and the finite networks, each a spec, a run and a summary:
//! large learning rates ([`catapult`], [`catapult_network`]), width scaling ([`widths`]),
//! the empirical kernels' convergence to the analytic ones ([`kernel_convergence`]),
//! trainability over the (σ_w², depth) plane ([`trainability`]), one network beside its
//! linearization ([`single`]) and the way from lazy to rich training ([`laziness`]).

pub mod catapult;
pub mod catapult_network;
pub mod kernel_convergence;
pub mod laziness;
pub mod single;
pub mod trainability;
pub mod widths;
