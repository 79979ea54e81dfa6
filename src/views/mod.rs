//! The page's views; each owns its state (in the URL while it is shown), its runs and its
//! plots, and only sends commands to the runtime.

pub mod catapult;
pub mod convergence;
pub mod explorer;
pub mod phase;
pub mod single;
pub mod widths;
