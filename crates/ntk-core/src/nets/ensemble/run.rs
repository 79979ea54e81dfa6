//! [`run_members`]: a range of members trained to the end in one call (a runner and a merger,
//! with a progress callback that can cancel).

use std::ops::{ControlFlow, Range};

use super::merge::CheckpointMerger;
use super::runner::{Advance, EnsembleRunner};
use super::spec::{EnsembleError, EnsembleSpec};
use super::stats::EnsembleStats;

/// Work between two progress callbacks of [`run_members`] (FLOP; a few tens of ms).
pub const PROGRESS_FLOP: f64 = 5e7;

/// Where a run is, passed to the progress callback. Members train together, so `member` and
/// `step` describe the slowest of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// the lowest-indexed member still short of the final step (one past the range when none)
    pub member: usize,
    /// the lowest step among the members still training (K when none is)
    pub step: u64,
    /// steps per member K
    pub steps: u64,
    /// members of this call finished (trained to K) or diverged
    pub members_done: usize,
    /// members in this call
    pub members_total: usize,
}

/// Runs members `members` (a sub-range of `0..spec.members`) to the end and returns their
/// statistics: an [`EnsembleRunner`] over the range, its batches merged by a
/// [`CheckpointMerger`] (so the result is the same bits as any split of the members into
/// runners). `progress` is called before the first piece of work, about every
/// [`PROGRESS_FLOP`] of work, and at the end; returning `ControlFlow::Break(())` cancels.
///
/// # Errors
/// [`EnsembleError`] for an invalid spec or member range, or [`EnsembleError::Cancelled`].
pub fn run_members<F>(
    spec: &EnsembleSpec,
    members: Range<usize>,
    mut progress: F,
) -> Result<EnsembleStats, EnsembleError>
where
    F: FnMut(&Progress) -> ControlFlow<()>,
{
    let mut runner = EnsembleRunner::new(spec, members.clone())?;
    let mut merger = CheckpointMerger::for_members(spec, members, 0)?;
    loop {
        if progress(&position(&runner, spec)).is_break() {
            return Err(EnsembleError::Cancelled);
        }
        match runner.advance(PROGRESS_FLOP)? {
            Advance::Checkpoint(batch) => merger.add(&batch)?,
            Advance::Working { .. } => {}
            Advance::Done => break,
        }
    }
    if !merger.is_complete() {
        return Err(EnsembleError::Mismatch("the runner ended before every checkpoint was merged".into()));
    }
    Ok(merger.stats())
}

fn position(runner: &EnsembleRunner, spec: &EnsembleSpec) -> Progress {
    let range = runner.members();
    Progress {
        member: runner.first_unfinished().unwrap_or(range.end),
        step: runner.min_step(),
        steps: spec.steps,
        members_done: runner.members_done(),
        members_total: range.len(),
    }
}
