//! Ensembles of finite networks and their linearizations, trained by full-batch gradient descent
//! from independent seeded initialisations (paper Figure 2 / SM Figure S1 experiments), streamed
//! checkpoint by checkpoint.
//!
//! At each checkpoint of a log-spaced schedule every member records ([`MemberRecord`]) the
//! network and linearized outputs on the test points, train/test losses of both, the test RMSE
//! between them, the relative change of every weight matrix `‖W_k − W₀‖_F/‖W₀‖_F` and of the
//! empirical NTK `‖Θ̂_k − Θ̂₀‖_F/‖Θ̂₀‖_F` (train × train). With
//! [`EnsembleSpec::quadratic`] each member also trains its quadratic model
//! `f_quad = f₀ + J₀δ + ½ δᵀH₀δ` (docs/MATH.md, "The quadratic model") by the same step, and
//! records its test outputs, losses and test RMSE to the network ([`QuadraticRecord`]).
//!
//! - [`EnsembleSpec`] (`spec`): the job, its validation and its schedule.
//! - [`EnsembleRunner`] (`runner`): trains a range of members together in bounded pieces of
//!   work and returns a [`CheckpointBatch`] each time all of them reach the next checkpoint.
//! - [`CheckpointMerger`] (`merge`): merges batches of disjoint ranges, in any order, into
//!   per-checkpoint statistics folded in member order — bit-identical for any split of the
//!   members between threads or web workers.
//! - [`CheckpointStats`], [`EnsembleStats`], [`EnsembleSummary`] (`stats`): running moments
//!   (Welford / Chan) and their plain summary.
//! - [`run_members`] (`run`): runner + merger for one range, to the end.
//! - [`EnsemblePartial`], [`merge_ensemble_partials`], [`EnsembleReport`] (`partial`): the
//!   records of a member range as a file, parts merged into the whole job's report.
//! - `check`: a report or part from outside checked against its own spec before it is believed
//!   ([`EnsembleReport::check`], [`EnsemblePartial::check`]).
//!
//! Divergence: a member whose network loss becomes non-finite or exceeds
//! [`LOSS_FACTOR`](crate::divergence::LOSS_FACTOR) × its initial loss at step s (checked at every step), or whose
//! linearization does so at a checkpoint of step s, or whose quadratic model does so at step s
//! (its batch loss, checked at every step, or its outputs at a checkpoint), counts in the
//! statistics of the checkpoints before s and is left out of every checkpoint from s on.
//!
//! Networks train in f32; kernels, linearizations and statistics are f64; quadratic models are
//! dual f64 from the f32 network's θ₀ cast exactly to f64.

mod check;
mod member;
mod merge;
mod partial;
mod record;
mod run;
mod runner;
pub(crate) mod spec;
mod stats;

pub use merge::CheckpointMerger;
pub use partial::{merge_ensemble_partials, EnsemblePartial, EnsembleReport};
pub use record::{
    kernel_target_alignment, CheckpointBatch, DivergedModel, Divergence, MemberAtCheckpoint, MemberRecord,
    MemberState, NnLin, QuadraticRecord,
};
pub use run::{run_members, Progress, PROGRESS_FLOP};
pub use runner::{Advance, EnsembleRunner};
pub(crate) use spec::check_checkpoints;
pub use spec::{
    checkpoint_steps, EnsembleError, EnsembleSpec, DEFAULT_CHECKPOINTS, MAX_CHECKPOINTS, MAX_MEMBERS,
    MAX_STEPS, QUADRATIC_STEP_FLOP,
};
pub use stats::{
    CheckpointStats, CheckpointSummary, EnsembleStats, EnsembleSummary, MeanVar, QuadraticStats,
    QuadraticSummary,
};
