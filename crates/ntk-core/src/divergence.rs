//! When a training run counts as diverged: every threshold in one place, one per meaning.
//!
//! - A **training loss** (ensembles, one-network runs) has diverged once it is non-finite or
//!   above [`LOSS_FACTOR`] × the run's initial loss ([`loss_diverged`]).
//! - A **trainability grid** seed ([`crate::experiments::trainability`]) stops at
//!   [`TRAINABILITY_LOSS_FACTOR`] × its initial loss instead: the grid asks only whether a seed
//!   trains, not how the statistics of the seeds that do evolve, so it gives up on a seed
//!   sooner (fewer wasted steps per cell in the chaotic corner of the grid), and the step at
//!   which it gave up is part of every result file it wrote.
//! - An **output** of the catapult's map and networks ([`crate::experiments::catapult`]) has
//!   diverged once `|f|` is non-finite or above [`OUTPUT_FACTOR`] × its scale: a bound on f,
//!   not on the loss `∝ f²`.

/// A training loss above this multiple of the run's initial loss counts as diverged
/// (ensemble members, one-network runs).
pub const LOSS_FACTOR: f64 = 1e8;

/// The initial loss [`loss_diverged`] measures against is at least this, so that a run that
/// starts at zero loss is not diverged at the first rounding error.
pub const INITIAL_LOSS_FLOOR: f64 = 1e-30;

/// A seed of a trainability grid whose training loss exceeds this multiple of its initial
/// loss counts as diverged (see the module's documentation for why it is not [`LOSS_FACTOR`]).
pub const TRAINABILITY_LOSS_FACTOR: f64 = 1e6;

/// A catapult run has diverged once `|f|` exceeds this factor times its scale (`max(1, |f₀|)`
/// for the map, `max(1, maxᵢ|f₀(xᵢ)|, maxᵢ|yᵢ|)` for the network), or once any value is
/// non-finite.
pub const OUTPUT_FACTOR: f64 = 1e8;

/// Whether a training loss counts as diverged: non-finite, or above [`LOSS_FACTOR`] ×
/// `max(initial_loss, `[`INITIAL_LOSS_FLOOR`]`)`.
pub fn loss_diverged(loss: f64, initial_loss: f64) -> bool {
    !loss.is_finite() || loss > LOSS_FACTOR * initial_loss.max(INITIAL_LOSS_FLOOR)
}
