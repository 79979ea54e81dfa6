//! Sharded ensemble jobs: the per-member records of a range of members written to a file
//! ([`EnsemblePartial`], `ntk ensemble --member-range a..b --partial FILE`), and any set of
//! such files of disjoint ranges merged into exactly the report of the whole job
//! ([`merge_ensemble_partials`], `ntk merge`).
//!
//! A partial holds the [`CheckpointBatch`]es of its range — every member's record (or
//! divergence) at every checkpoint — not statistics: the [`CheckpointMerger`] folds records one
//! member at a time in member order, so merging the parts gives the same bits as the run of the
//! whole job in one process, whatever the ranges.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::merge::CheckpointMerger;
use super::record::{CheckpointBatch, Divergence, MemberAtCheckpoint};
use super::spec::{EnsembleError, EnsembleSpec};
use super::stats::{CheckpointSummary, EnsembleStats};
use crate::results::envelope::{label, ranges_text, Header, Kind, ResultsError};

/// The report of a whole ensemble job: what `ntk ensemble` prints (and `ntk merge` of its
/// parts), self-describing for the explorer's "Open results…": header, spec, and the
/// per-checkpoint statistics of [`super::EnsembleSummary`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnsembleReport {
    /// kind `ensemble`, format, producer, spec hash
    #[serde(flatten)]
    pub header: Header,
    /// the job
    pub spec: EnsembleSpec,
    /// members included in the statistics of the last checkpoint
    pub members: usize,
    /// number of diverged members (each left out from its divergence step on)
    pub diverged: usize,
    /// their divergence steps
    pub diverged_steps: Vec<u64>,
    /// details of the diverged members
    pub diverged_members: Vec<Divergence>,
    /// per checkpoint
    pub checkpoints: Vec<CheckpointSummary>,
}

impl EnsembleReport {
    /// The report of `spec` from the statistics of all its members.
    ///
    /// # Errors
    /// [`ResultsError::Inconsistent`] if `stats` is not of every member and every checkpoint.
    pub fn new(spec: &EnsembleSpec, stats: &EnsembleStats) -> Result<Self, ResultsError> {
        if stats.members_run != spec.members || stats.checkpoints.len() != spec.schedule().len() {
            return Err(ResultsError::Inconsistent(format!(
                "statistics of {} members at {} checkpoints, the job has {} members and {} checkpoints",
                stats.members_run,
                stats.checkpoints.len(),
                spec.members,
                spec.schedule().len()
            )));
        }
        let s = stats.summary();
        Ok(EnsembleReport {
            header: Header::new(Kind::Ensemble, spec)?,
            spec: spec.clone(),
            members: s.members,
            diverged: s.diverged,
            diverged_steps: s.diverged_steps,
            diverged_members: s.diverged_members,
            checkpoints: s.checkpoints,
        })
    }
}

/// The records of members `members` of a job at every checkpoint: one part of a sharded run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnsemblePartial {
    /// kind `ensemble_partial`, format, producer, spec hash
    #[serde(flatten)]
    pub header: Header,
    /// the whole job (all members)
    pub spec: EnsembleSpec,
    /// the members of this part
    pub members: Range<usize>,
    /// one batch per checkpoint of the schedule, in order, each with every member of the range
    /// in member order
    pub batches: Vec<CheckpointBatch>,
}

impl EnsemblePartial {
    /// The part of `spec` for members `members` from the batches of any runners covering
    /// exactly that range (in any order and split): regrouped into one batch per checkpoint,
    /// members sorted.
    ///
    /// # Errors
    /// [`ResultsError::Ensemble`] for an invalid spec or range, [`ResultsError::Inconsistent`]
    /// if the batches do not hold every member of the range exactly once at every checkpoint.
    pub fn from_batches(
        spec: &EnsembleSpec,
        members: Range<usize>,
        batches: Vec<CheckpointBatch>,
    ) -> Result<Self, ResultsError> {
        spec.validate_members(&members)?;
        let schedule = spec.schedule();
        let mut grouped: Vec<Vec<MemberAtCheckpoint>> = vec![Vec::new(); schedule.len()];
        for b in batches {
            if schedule.get(b.checkpoint) != Some(&b.step) {
                return Err(EnsembleError::NotInSchedule {
                    checkpoint: b.checkpoint,
                    step: b.step,
                    checkpoints: schedule.len(),
                }
                .into());
            }
            grouped[b.checkpoint].extend(b.members);
        }
        let batches = grouped
            .into_iter()
            .zip(schedule)
            .enumerate()
            .map(|(checkpoint, (mut entries, step))| {
                entries.sort_by_key(|e| e.member);
                CheckpointBatch { checkpoint, step, members: entries }
            })
            .collect();
        let part = EnsemblePartial {
            header: Header::new(Kind::EnsemblePartial, spec)?,
            spec: spec.clone(),
            members,
            batches,
        };
        part.check_batches()?;
        Ok(part)
    }

    /// Checks the header (kind, format, hash of the spec), that the batches hold every
    /// member of the range exactly once at every checkpoint of the schedule, and every record
    /// against the spec (`check_records`: shapes, finite values, losses and changes ≥ 0, a
    /// divergence repeated unchanged from the checkpoint it is first reported at).
    ///
    /// # Errors
    /// As [`Header::check`], [`ResultsError::Ensemble`] for an invalid spec,
    /// [`ResultsError::Inconsistent`], [`ResultsError::Field`].
    pub fn check(&self) -> Result<(), ResultsError> {
        self.header.check(Kind::EnsemblePartial, &self.spec)?;
        self.spec.validate()?;
        self.check_batches()?;
        self.check_records()
    }

    fn check_batches(&self) -> Result<(), ResultsError> {
        let (r, schedule) = (&self.members, self.spec.schedule());
        if r.start > r.end || r.end > self.spec.members {
            return Err(ResultsError::Inconsistent(format!(
                "members {}..{} of a job of {} members",
                r.start, r.end, self.spec.members
            )));
        }
        if self.batches.len() != schedule.len() {
            return Err(ResultsError::Inconsistent(format!(
                "{} checkpoint batches, the job has {} checkpoints",
                self.batches.len(),
                schedule.len()
            )));
        }
        for (c, (b, &step)) in self.batches.iter().zip(&schedule).enumerate() {
            let listed: Vec<usize> = b.members.iter().map(|e| e.member).collect();
            if b.checkpoint != c || b.step != step || !listed.iter().copied().eq(r.clone()) {
                return Err(ResultsError::Inconsistent(format!(
                    "checkpoint {c} (step {step}) should list members {}..{} once each in order, \
                     the file has checkpoint {} (step {}) with members [{}]",
                    r.start,
                    r.end,
                    b.checkpoint,
                    b.step,
                    ranges_text(&listed)
                )));
            }
        }
        Ok(())
    }
}

/// Merges parts of disjoint member ranges covering all members of one job into the job's
/// report: every batch of every part into one [`CheckpointMerger`], which folds the records in
/// member order — the same bits as the job run in one process. `labels` name the parts in
/// messages (file names).
///
/// # Errors
/// [`ResultsError::NoParts`]; a part failing [`EnsemblePartial::check`];
/// [`ResultsError::DifferentJobs`] / [`ResultsError::Producer`] for parts of another job or
/// release; [`ResultsError::Overlap`] naming two parts and the members both hold;
/// [`ResultsError::Missing`] naming the members no part holds; [`ResultsError::MergedInvalid`]
/// if the merged statistics fail [`EnsembleReport::check`] (records so large that their
/// variances overflow).
pub fn merge_ensemble_partials(
    parts: &[EnsemblePartial],
    labels: &[String],
) -> Result<EnsembleReport, ResultsError> {
    let first = parts.first().ok_or(ResultsError::NoParts)?;
    for (i, p) in parts.iter().enumerate() {
        p.check().map_err(|e| in_part(e, &label(labels, i)))?;
        first.header.check_same_job(&label(labels, 0), &p.header, &label(labels, i))?;
    }
    let spec = &first.spec;
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&i| (parts[i].members.start, parts[i].members.end));
    // The part reaching furthest so far, among those sorted before: any overlap shows there.
    let mut furthest: Option<usize> = None;
    for &i in &order {
        let b = &parts[i].members;
        if b.is_empty() {
            continue;
        }
        if let Some(j) = furthest {
            let a = &parts[j].members;
            if b.start < a.end {
                return Err(ResultsError::Overlap(format!(
                    "{} (members {}..{}) and {} (members {}..{}) both hold members {}..{}",
                    label(labels, j),
                    a.start,
                    a.end,
                    label(labels, i),
                    b.start,
                    b.end,
                    b.start,
                    a.end.min(b.end)
                )));
            }
        }
        if furthest.is_none_or(|j| b.end > parts[j].members.end) {
            furthest = Some(i);
        }
    }
    let mut held = vec![false; spec.members];
    for p in parts {
        held[p.members.clone()].iter_mut().for_each(|h| *h = true);
    }
    let missing: Vec<usize> = (0..spec.members).filter(|&m| !held[m]).collect();
    if !missing.is_empty() {
        return Err(ResultsError::Missing(format!(
            "members {} of {} are in no part",
            ranges_text(&missing),
            spec.members
        )));
    }
    let mut merger = CheckpointMerger::new(spec, 0)?;
    for &i in &order {
        for batch in &parts[i].batches {
            merger.add(batch)?;
        }
    }
    if !merger.is_complete() {
        return Err(ResultsError::Inconsistent("the parts do not complete every checkpoint".into()));
    }
    let report = EnsembleReport::new(spec, &merger.stats())?;
    report.check().map_err(|e| ResultsError::MergedInvalid(Box::new(e)))?;
    Ok(report)
}

/// Names the part an error of its own is about.
fn in_part(e: ResultsError, label: &str) -> ResultsError {
    ResultsError::InPart { part: label.to_string(), source: Box::new(e) }
}
