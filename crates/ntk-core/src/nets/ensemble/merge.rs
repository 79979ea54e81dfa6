//! [`CheckpointMerger`]: the statistics of a job assembled from the [`CheckpointBatch`]es of any
//! number of runners, checkpoint by checkpoint, the same bits whatever the split and the order
//! of arrival.

use std::ops::Range;

use super::record::{CheckpointBatch, Divergence, MemberAtCheckpoint, MemberState};
use super::spec::{EnsembleError, EnsembleSpec};
use super::stats::{CheckpointStats, EnsembleStats};

/// Merges checkpoint batches of disjoint member ranges of one job, delivered in any order.
///
/// A checkpoint is *complete* once every member of the job has reported it (its record or its
/// divergence) and every earlier checkpoint is complete; only complete checkpoints have
/// statistics, folded from the members' records one member at a time **in member order**
/// ([`CheckpointStats::add_record`]), so the result is bit-for-bit independent of how the
/// members were split between runners and of the order in which batches arrive.
#[derive(Clone, Debug)]
pub struct CheckpointMerger {
    schedule: Vec<u64>,
    learning_rate: f64,
    has_test_targets: bool,
    test_points: usize,
    layers: usize,
    /// whether records carry the quadratic model
    quadratic: bool,
    range: Range<usize>,
    /// statistics of the complete checkpoints (a prefix of the schedule)
    complete: Vec<CheckpointStats>,
    /// divergences reported at complete checkpoints, sorted by member
    diverged: Vec<Divergence>,
    /// per checkpoint not complete yet: the entries received, indexed by member − range.start
    /// (empty until the checkpoint's first entry arrives)
    pending: Vec<Vec<Option<MemberAtCheckpoint>>>,
    /// per checkpoint: number of members whose entry is in `pending`
    reported: Vec<usize>,
    /// entries of the first `kept.len()` members at the complete checkpoints
    kept: Vec<Vec<MemberAtCheckpoint>>,
}

impl CheckpointMerger {
    /// A merger for every member of `spec`, keeping the per-member entries of the first
    /// `keep_members` members (for drawing individual networks).
    ///
    /// # Errors
    /// [`EnsembleError`] for an invalid spec.
    pub fn new(spec: &EnsembleSpec, keep_members: usize) -> Result<Self, EnsembleError> {
        Self::for_members(spec, 0..spec.members, keep_members)
    }

    /// A merger for members `members` of `spec` only (complete when those have reported),
    /// keeping the entries of the first `keep_members` of them.
    ///
    /// # Errors
    /// [`EnsembleError`] for an invalid spec or member range.
    pub fn for_members(
        spec: &EnsembleSpec,
        members: Range<usize>,
        keep_members: usize,
    ) -> Result<Self, EnsembleError> {
        spec.validate_members(&members)?;
        let schedule = spec.schedule();
        let c = schedule.len();
        Ok(CheckpointMerger {
            learning_rate: spec.learning_rate,
            has_test_targets: spec.data.y_test.is_some(),
            test_points: spec.data.x_test.len(),
            layers: spec.arch.depth + 1,
            quadratic: spec.quadratic,
            complete: Vec::with_capacity(c),
            diverged: Vec::new(),
            pending: vec![Vec::new(); c],
            reported: vec![0; c],
            kept: vec![Vec::new(); keep_members.min(members.len())],
            range: members,
            schedule,
        })
    }

    /// The checkpoint steps of the job.
    pub fn schedule(&self) -> &[u64] {
        &self.schedule
    }

    /// The members this merger waits for.
    pub fn members(&self) -> Range<usize> {
        self.range.clone()
    }

    /// Adds a runner's batch. Entries for a checkpoint that is complete already are ignored
    /// (a member rerun from its seed reports the same records again), as are entries equal to
    /// one received before.
    ///
    /// # Errors
    /// [`EnsembleError::NotInSchedule`] for a checkpoint index or step not of this job,
    /// [`EnsembleError::MemberRange`] for a member outside the merger's range,
    /// [`EnsembleError::Mismatch`] for records of the wrong shape,
    /// [`EnsembleError::ConflictingReport`] for a member reporting a different entry for a
    /// checkpoint it has reported already. Nothing of a rejected batch is kept.
    pub fn add(&mut self, batch: &CheckpointBatch) -> Result<(), EnsembleError> {
        let c = batch.checkpoint;
        if self.schedule.get(c) != Some(&batch.step) {
            return Err(EnsembleError::NotInSchedule {
                checkpoint: c,
                step: batch.step,
                checkpoints: self.schedule.len(),
            });
        }
        if c < self.complete.len() {
            return Ok(());
        }
        if let Some(w) = batch.members.windows(2).find(|w| w[0].member >= w[1].member) {
            return Err(EnsembleError::Mismatch(format!(
                "checkpoint {c}: members must be listed once each in increasing order, got {} before {}",
                w[0].member, w[1].member
            )));
        }
        for entry in &batch.members {
            self.check_entry(c, entry)?;
        }
        let slots = &mut self.pending[c];
        if slots.is_empty() {
            slots.resize(self.range.len(), None);
        }
        for entry in &batch.members {
            let slot = &mut slots[entry.member - self.range.start];
            if slot.is_none() {
                *slot = Some(entry.clone());
                self.reported[c] += 1;
            }
        }
        while self.complete.len() < self.schedule.len()
            && self.reported[self.complete.len()] == self.range.len()
        {
            self.complete_next();
        }
        Ok(())
    }

    /// Checks one entry of a batch for checkpoint `c` before anything is stored.
    fn check_entry(&self, c: usize, entry: &MemberAtCheckpoint) -> Result<(), EnsembleError> {
        let m = entry.member;
        if !self.range.contains(&m) {
            return Err(EnsembleError::MemberRange { start: m, end: m + 1, members: self.range.end });
        }
        match &entry.state {
            MemberState::Record(r) => {
                let shape = (r.nn.len(), r.lin.len(), r.weight_change.len(), r.test_loss.is_some());
                let expected = (self.test_points, self.test_points, self.layers, self.has_test_targets);
                if shape != expected {
                    return Err(EnsembleError::Mismatch(format!(
                        "member {m} at checkpoint {c}: (test outputs, linearized outputs, layers, \
                         test losses) = {shape:?}, the job has {expected:?}"
                    )));
                }
                let quad = r.quad.as_ref().map(|q| (q.outputs.len(), q.test_loss.is_some()));
                let expected = self.quadratic.then_some((self.test_points, self.has_test_targets));
                if quad != expected {
                    return Err(EnsembleError::Mismatch(format!(
                        "member {m} at checkpoint {c}: quadratic model (test outputs, test loss) = \
                         {quad:?}, the job has {expected:?}"
                    )));
                }
            }
            MemberState::Diverged { step, .. } => {
                if *step > self.schedule[c] {
                    return Err(EnsembleError::Mismatch(format!(
                        "member {m} reported at checkpoint {c} (step {}) a divergence at the later step {step}",
                        self.schedule[c]
                    )));
                }
            }
        }
        let earlier = self.pending[c].get(m - self.range.start).and_then(Option::as_ref);
        if earlier.is_some_and(|e| e != entry) {
            return Err(EnsembleError::ConflictingReport { member: m, checkpoint: c });
        }
        Ok(())
    }

    /// Folds the first incomplete checkpoint (all members reported) in member order.
    fn complete_next(&mut self) {
        let c = self.complete.len();
        let mut stats =
            CheckpointStats::empty(self.schedule[c], self.test_points, self.layers, self.quadratic);
        let entries = std::mem::take(&mut self.pending[c]);
        for (i, entry) in entries.into_iter().flatten().enumerate() {
            match &entry.state {
                MemberState::Record(r) => stats.add_record(r),
                MemberState::Diverged { .. } => {
                    if let Some(d) =
                        entry.divergence().filter(|d| !self.diverged.iter().any(|e| e.member == d.member))
                    {
                        self.diverged.push(d);
                    }
                }
            }
            if let Some(kept) = self.kept.get_mut(i) {
                kept.push(entry);
            }
        }
        self.diverged.sort_by_key(|d| d.member);
        self.complete.push(stats);
    }

    /// Forgets the entries of members `members` at the checkpoints that are not complete (a
    /// lost runner's partial work, before its members are rerun from their seeds). Complete
    /// checkpoints are not affected.
    ///
    /// # Errors
    /// [`EnsembleError::MemberRange`] if `members` is not within the merger's range.
    pub fn discard(&mut self, members: Range<usize>) -> Result<(), EnsembleError> {
        if members.start > members.end || members.start < self.range.start || members.end > self.range.end {
            return Err(EnsembleError::MemberRange {
                start: members.start,
                end: members.end,
                members: self.range.end,
            });
        }
        for c in self.complete.len()..self.schedule.len() {
            let slots = &mut self.pending[c];
            if slots.is_empty() {
                continue;
            }
            for m in members.clone() {
                if slots[m - self.range.start].take().is_some() {
                    self.reported[c] -= 1;
                }
            }
        }
        Ok(())
    }

    /// The last checkpoint index for which every member has reported (and every earlier one),
    /// `None` before the first.
    pub fn complete_through(&self) -> Option<usize> {
        self.complete.len().checked_sub(1)
    }

    /// Whether every checkpoint of the schedule is complete.
    pub fn is_complete(&self) -> bool {
        self.complete.len() == self.schedule.len()
    }

    /// The merged statistics of checkpoint `c`, if it is complete.
    pub fn stats_at(&self, c: usize) -> Option<&CheckpointStats> {
        self.complete.get(c)
    }

    /// The statistics of the complete checkpoints (a prefix of the schedule), with the
    /// divergences reported there.
    pub fn stats(&self) -> EnsembleStats {
        EnsembleStats {
            learning_rate: self.learning_rate,
            has_test_targets: self.has_test_targets,
            members_run: self.range.len(),
            diverged: self.diverged.clone(),
            checkpoints: self.complete.clone(),
        }
    }

    /// The entries of member `member` at the complete checkpoints, if it is among the first
    /// `keep_members` members of the range.
    pub fn member_entries(&self, member: usize) -> Option<&[MemberAtCheckpoint]> {
        member.checked_sub(self.range.start).and_then(|i| self.kept.get(i)).map(Vec::as_slice)
    }
}
