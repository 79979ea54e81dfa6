//! The explorer web app: a Leptos (client-side rendered) page that shows finite-width
//! networks, their linearizations and the infinite-width Gaussian processes (NNGP, NTK-GP)
//! training side by side. Three layers, one direction of dependency:
//!
//! - the numerics live in the `ntk-core` crate;
//! - [`runtime`] runs core jobs in web workers ([`runtime::scheduler`]), and [`services`] offer
//!   the runs and the theory to the views through Leptos context;
//! - [`params`] describes every parameter once (URL, controls, notes); [`views`],
//!   [`components`] and [`plot`] only render state and send commands.

pub mod app;
#[cfg(feature = "test-hooks")]
pub mod bench;
pub mod components;
pub mod download;
pub mod format;
#[cfg(feature = "test-hooks")]
pub mod heap;
pub mod hooks;
pub mod params;
pub mod plot;
pub mod problem;
pub mod route;
pub mod runtime;
pub mod services;
pub mod storage;
pub mod views;

pub use app::App;
