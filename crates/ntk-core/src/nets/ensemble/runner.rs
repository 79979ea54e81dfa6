//! [`EnsembleRunner`]: trains a range of members together, checkpoint by checkpoint, in
//! bounded pieces of work, so that a web worker can yield to its event loop between pieces and
//! the page can draw every checkpoint as soon as all members reach it.

use std::ops::Range;

use super::member::{Data, Member};
use super::record::{CheckpointBatch, MemberAtCheckpoint};
use super::spec::{EnsembleError, EnsembleSpec, QUADRATIC_STEP_FLOP};

/// What one call of [`EnsembleRunner::advance`] achieved.
#[derive(Clone, Debug, PartialEq)]
pub enum Advance {
    /// Every member of the range reached the next checkpoint: their records.
    Checkpoint(CheckpointBatch),
    /// Work done, checkpoint not reached yet.
    Working {
        /// gradient-descent steps applied in this call, summed over members
        steps_done: u64,
    },
    /// The last checkpoint has been returned already.
    Done,
}

/// Estimated work (FLOP) of the pieces of a run, for the budget of [`EnsembleRunner::advance`].
#[derive(Clone, Copy, Debug)]
struct Cost {
    /// one gradient-descent step, `6 N P_w`
    step: f64,
    /// one record: test forward `2 M P_w`, Jacobian factors on the training points `4 N P_w`,
    /// weight change `3 P_w`; with the quadratic model also its three dual passes on the test
    /// and training points, `0.6 · QUADRATIC_STEP_FLOP · (M + N) P_w` (three of a step's five)
    record: f64,
    /// starting a member: initialisation (about `10 P_w`) and the step-0 forward passes,
    /// `2 (M + 2N) P_w`
    start: f64,
    /// building its linearization: f32 Jacobian factors on the test points `4 M P_w`, f64 and
    /// f32 factors on the training points `8 N P_w`, copies (about `10 P_w`)
    build: f64,
}

impl Cost {
    fn of(spec: &EnsembleSpec) -> Self {
        let p = spec.weights() as f64;
        let (n, m) = (spec.data.x_train.len() as f64, spec.data.x_test.len() as f64);
        Cost {
            step: spec.flops_per_step(),
            record: (2.0 * m + 4.0 * n + 3.0) * p
                + if spec.quadratic { 0.6 * QUADRATIC_STEP_FLOP * (m + n) * p } else { 0.0 },
            start: (2.0 * m + 4.0 * n + 10.0) * p,
            build: (4.0 * m + 8.0 * n + 10.0) * p,
        }
    }
}

/// Trains the members `members` of a job together (each with seed
/// [`member_seed`](crate::rng::member_seed)`(spec.seed, m)`, as in [`super::run_members`]) and
/// returns their records checkpoint by checkpoint of [`EnsembleSpec::schedule`].
///
/// Each call of [`EnsembleRunner::advance`] does a bounded amount of work: members are built
/// (network, Θ̂₀, linearization) and trained in chunks of steps, interleaved, toward the next
/// checkpoint. Members are independent and their arithmetic does not depend on the chunking,
/// so the records are the same bits whatever the budgets of the calls and however a job's
/// members are split between runners.
pub struct EnsembleRunner {
    spec: EnsembleSpec,
    data: Data,
    schedule: Vec<u64>,
    range: Range<usize>,
    members: Vec<Member>,
    /// index of the next checkpoint to return
    next: usize,
    /// entries of the members that have reached checkpoint `next`
    reached: Vec<Option<MemberAtCheckpoint>>,
    cost: Cost,
    steps_done: u64,
    /// the member the next piece of work starts with (round robin)
    cursor: usize,
}

impl EnsembleRunner {
    /// A runner for members `members` (a sub-range of `0..spec.members`, possibly empty) of
    /// `spec`. Building the members' networks and linearizations is part of the work of the
    /// first [`EnsembleRunner::advance`] calls, so that no call blocks for long.
    ///
    /// # Errors
    /// [`EnsembleError`] for an invalid spec or member range.
    pub fn new(spec: &EnsembleSpec, members: Range<usize>) -> Result<Self, EnsembleError> {
        spec.validate_members(&members)?;
        Ok(EnsembleRunner {
            data: Data::new(spec),
            schedule: spec.schedule(),
            members: members.clone().map(Member::new).collect(),
            reached: vec![None; members.len()],
            range: members,
            next: 0,
            cost: Cost::of(spec),
            steps_done: 0,
            cursor: 0,
            spec: spec.clone(),
        })
    }

    /// The members this runner trains.
    pub fn members(&self) -> Range<usize> {
        self.range.clone()
    }

    /// Index of the next checkpoint [`EnsembleRunner::advance`] will return (`None` when done).
    pub fn next_checkpoint(&self) -> Option<usize> {
        (self.next < self.schedule.len()).then_some(self.next)
    }

    /// Gradient-descent steps applied so far, summed over members (diverged members stop).
    pub fn steps_done(&self) -> u64 {
        self.steps_done
    }

    /// Steps of the whole range if no member diverges, `members · K`.
    pub fn steps_total(&self) -> u64 {
        self.range.len() as u64 * self.spec.steps
    }

    /// The lowest step among members still training (`spec.steps` when none is).
    pub fn min_step(&self) -> u64 {
        self.members
            .iter()
            .filter(|m| m.divergence().is_none())
            .map(Member::step)
            .min()
            .unwrap_or(self.spec.steps)
    }

    /// Members that diverged so far.
    pub fn diverged(&self) -> usize {
        self.members.iter().filter(|m| m.divergence().is_some()).count()
    }

    /// Members trained to the final step K or diverged.
    pub fn members_done(&self) -> usize {
        self.members.iter().filter(|m| self.is_finished(m)).count()
    }

    /// The lowest-indexed member neither trained to the final step nor diverged.
    pub fn first_unfinished(&self) -> Option<usize> {
        self.range.clone().zip(&self.members).find(|(_, m)| !self.is_finished(m)).map(|(i, _)| i)
    }

    fn is_finished(&self, m: &Member) -> bool {
        m.divergence().is_some() || (!m.is_unbuilt() && m.step() == self.spec.steps)
    }

    /// Trains every live member toward the next checkpoint, doing about `max_flop` of work
    /// (at least one piece: a step, a record or building one member; `f64::INFINITY` runs to the
    /// checkpoint), members interleaved in chunks of steps. Returns the checkpoint's records
    /// once every member of the range is there (or diverged), otherwise how many steps it did.
    /// The work is estimated as `6 N P_w` per step plus the records and the building of
    /// members.
    ///
    /// # Errors
    /// [`EnsembleError`] if a member's network or linearization cannot be built.
    pub fn advance(&mut self, max_flop: f64) -> Result<Advance, EnsembleError> {
        let Some(&target) = self.schedule.get(self.next) else { return Ok(Advance::Done) };
        let budget = if max_flop.is_nan() { 0.0 } else { max_flop };
        let mut work = 0.0;
        let mut steps = 0u64;
        loop {
            let waiting = self.reached.iter().filter(|r| r.is_none()).count();
            if waiting == 0 {
                return Ok(Advance::Checkpoint(self.take_batch(target)));
            }
            if work > 0.0 && work >= budget {
                return Ok(Advance::Working { steps_done: steps });
            }
            // Share the rest of the budget between the members still on their way.
            let chunk = ((budget - work) / self.cost.step / waiting as f64).floor();
            let chunk = if chunk >= 1.0 { chunk.min(u64::MAX as f64) as u64 } else { 1 };
            // Round robin from where the previous call stopped.
            let count = self.members.len();
            for i in (self.cursor..count).chain(0..self.cursor) {
                let (member, slot) = (&mut self.members[i], &mut self.reached[i]);
                self.cursor = (i + 1) % count;
                if slot.is_some() {
                    continue;
                }
                // The step-0 record needs only the network; the linearization is built before
                // the first step.
                if member.is_unbuilt() {
                    member.start(&self.spec, &self.data)?;
                    work += self.cost.start;
                }
                if target > 0 && member.is_started() {
                    member.build(&self.spec, &self.data, &self.schedule)?;
                    work += self.cost.build;
                }
                let taken = member.run_toward(target, chunk);
                steps += taken;
                self.steps_done += taken;
                work += taken as f64 * self.cost.step;
                if let Some(entry) = member.report(&self.spec, &self.data, self.next, target) {
                    if entry.record().is_some() {
                        work += self.cost.record;
                    }
                    *slot = Some(entry);
                }
                if work >= budget {
                    break;
                }
            }
        }
    }

    /// The batch of checkpoint `next` (every member reached it), and on to the next one.
    fn take_batch(&mut self, step: u64) -> CheckpointBatch {
        let members = self.reached.iter_mut().filter_map(Option::take).collect();
        let batch = CheckpointBatch { checkpoint: self.next, step, members };
        self.next += 1;
        batch
    }
}
