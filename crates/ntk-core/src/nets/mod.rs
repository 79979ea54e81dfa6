//! Finite networks: the MLP with its parameterizations and training ([`mlp`]) and the SIMD
//! loops of its Dense layers ([`dense`]), the empirical
//! NTK ([`empirical_ntk`]), the linearized network ([`linearized`]) and ensembles of both
//! with mergeable statistics ([`ensemble`]).

pub mod dense;
pub mod empirical_ntk;
pub mod ensemble;
pub mod linearized;
pub mod mlp;
