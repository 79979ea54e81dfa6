//! Trainability against depth and σ_w² (Schoenholz et al. 2016's trainability figure, small
//! scale): real networks of one width trained by full-batch gradient descent at every cell of a
//! (σ_w², depth) grid, for a few seeds, next to the order/chaos depth scale ξ_c of each σ_w²
//! ([`crate::theory::phase`]) and the infinite-width prediction of the same training run.
//!
//! Per cell the record holds each seed's initial and final training loss
//! `L = 1/(2N) Σ (f(xᵢ) − yᵢ)²` and final test loss, their spreads, the number of seeds that
//! diverged, the learning rate used, the condition number of the analytic Θ(X, X), and the
//! NTK-GP expected train and test loss after the same k steps at the same η (paper Eq. 14–15
//! with `(I − ηΘ/N)^k`; docs/MATH.md): where the measured loss stays high and the predicted one
//! too, the kernel's spectrum explains the failure (ordered phase: Θ's small eigenvalues
//! shrink like e^{−L/ξ_c}); where only the measured one does, finite width does.
//!
//! The default data ([`TrainabilityData::Teacher`]) are points with N(0, 1) coordinates and ±1
//! labels of a random linear teacher: nearly uncorrelated inputs, so that only depth makes the
//! kernel ill-conditioned. (Low-dimensional inputs are a poor choice: a smooth kernel's Gram
//! matrix on 1-D points is ill-conditioned at any depth.)
//!
//! The learning rate is [`LearningRate::Absolute`] (one η for the whole grid, as in
//! Schoenholz et al.) or [`LearningRate::CriticalFraction`] of each cell's analytic
//! `η_critical = 2N/(λ_min + λ_max)` (which removes the kernel's overall scale, so that only its
//! conditioning matters). Cells are independent jobs ([`run_cell`], e.g. one per web worker),
//! merged by [`TrainabilityResult::assemble`]. Everything is serde.
//!
//! [`LearningRate::Absolute`]: crate::experiments::widths::LearningRate::Absolute
//! [`LearningRate::CriticalFraction`]: crate::experiments::widths::LearningRate::CriticalFraction

use crate::arch::ArchError;
use crate::datasets::DataError;
use crate::nets::mlp::MlpError;
use crate::range::RangeError;
use crate::theory::phase::PhaseError;

mod cell;
mod result;
mod spec;

pub use cell::{run_cell, PredictedLoss, SeedOutcome, TrainabilityCell, TrainabilityProgress};
pub use result::{run_trainability, TrainabilityResult};
pub use spec::{TrainabilityData, TrainabilitySpec};

/// Most cells on either axis.
pub const MAX_AXIS: usize = 64;

/// Most input dimensions of the teacher data.
pub const MAX_DIM: usize = 4096;

/// An invalid grid or a run that could not finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainabilityError {
    /// Invalid activation, σ² or depth.
    #[error(transparent)]
    Arch(#[from] ArchError),
    /// A grid that is empty, too long or not strictly increasing.
    #[error("the {what} grid must hold 1 ..= {MAX_AXIS} strictly increasing values, got {values}")]
    Grid {
        /// which grid
        what: &'static str,
        /// its values, as text
        values: String,
    },
    /// A hyperparameter out of range.
    #[error(transparent)]
    OutOfRange(#[from] RangeError),
    /// Too few test points or too many training points (or, for a cell, no η_critical).
    #[error("data: {0}")]
    Data(String),
    /// Explicit points of inconsistent shape, or non-finite ([`crate::datasets::ExplicitData::validate`]).
    #[error("data: {0}")]
    Points(#[from] DataError),
    /// A cell index outside the grid.
    #[error("cell (σ_w² index {sw2_index}, depth index {depth_index}) is outside the {rows}×{cols} grid")]
    NotOnGrid {
        /// requested σ_w² index
        sw2_index: usize,
        /// requested depth index
        depth_index: usize,
        /// σ_w² values
        rows: usize,
        /// depth values
        cols: usize,
    },
    /// A seed range outside `0..seeds`.
    #[error("seeds {start}..{end} requested, but the grid has {seeds} seeds per cell")]
    SeedRange {
        /// first requested seed
        start: usize,
        /// one past the last
        end: usize,
        /// seeds per cell
        seeds: usize,
    },
    /// Cells of another grid, missing or duplicated cells.
    #[error("cannot assemble the trainability grid: {0}")]
    Mismatch(String),
    /// The network could not be built.
    #[error(transparent)]
    Mlp(#[from] MlpError),
    /// The phase quantities could not be computed.
    #[error(transparent)]
    Phase(#[from] PhaseError),
    /// The progress callback asked to stop.
    #[error("cancelled")]
    Cancelled,
}
