//! Experiments built on the theory and the finite networks, each a spec, a run and a summary:
//! large learning rates ([`catapult`], [`catapult_network`]) and width scaling ([`widths`]).

pub mod catapult;
pub mod catapult_network;
pub mod widths;
