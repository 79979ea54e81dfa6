//! The explorer web app: a Leptos (client-side rendered) page that shows finite-width
//! networks, their linearizations and the infinite-width Gaussian processes (NNGP, NTK-GP)
//! training side by side. Numerics live in the `ntk-core` crate; this crate only renders state
//! and sends commands.

pub mod app;
pub mod catapult_state;
pub mod components;
pub mod state;
pub mod views;
pub mod widths_state;

pub use app::App;
pub mod model;
pub mod plot;
pub mod runtime;
