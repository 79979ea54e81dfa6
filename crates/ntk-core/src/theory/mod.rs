//! The infinite-width theory: the kernel record and its recursion through the layers
//! ([`kernels`]), the Gaussian expectations through which φ enters ([`kernel_maps`], computed by
//! [`quadrature`] where no closed form exists), the Gaussian-process predictions through
//! training ([`gp`]), the learning-rate landmarks of a kernel ([`landmarks`]), order and chaos
//! over depth ([`phase`]) and the train kernels' eigenmodes through training ([`spectrum`]).

pub mod adaptive;
pub(crate) mod brent;
pub mod derivative_bounds;
pub mod dispatch;
pub mod fused;
pub mod gp;
pub mod hermite_series;
pub mod kernel_maps;
pub mod kernel_types;
pub mod kernels;
pub mod landmarks;
pub mod lane_math;
pub mod near_diagonal;
pub(crate) mod parallel;
pub mod phase;
pub mod quadrature;
pub mod recursion;
pub mod smooth;
pub mod spectrum;
