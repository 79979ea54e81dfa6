//! Finite networks: the MLP with its parameterizations and training ([`mlp`]), the empirical
//! NTK ([`empirical_ntk`]), the linearized network ([`linearized`]) and ensembles of both
//! with mergeable statistics ([`ensemble`]).

pub mod empirical_ntk;
pub mod ensemble;
pub mod linearized;
pub mod mlp;
