//! What the scheduler decides, apart from the browser: a state machine over worker slots and
//! the current run, driven by events (a run, a cancel, a worker's message, a worker's error, a
//! worker that could not be created, a watchdog tick) and answering each with the [`Action`]s
//! to take (create, message or terminate a worker, tell the owner). The
//! [`Scheduler`](super::scheduler::Scheduler) executes them on real web workers; tests drive
//! the policy directly.
//!
//! - A **run** is a list of tasks ([`Work`]); [`SchedulerPolicy::run`] starts one under a new
//!   generation and ends the previous one at once: its queue is dropped, its busy workers are
//!   told to stop ([`ToWorker::Cancel`]) if their task is cooperative (it reads messages between
//!   chunks) and are terminated and replaced otherwise (a synchronous computation cannot read
//!   messages), or if they do not answer within [`CANCEL_TIMEOUT_MS`]. Replies carry their
//!   [`JobId`]; those of older generations are dropped.
//! - Tasks are handed one at a time to idle workers (so the load balances), in order.
//! - A worker that panics (its `error` event) or falls silent for longer than
//!   [`SchedulerOptions::stall_timeout_ms`] is replaced and its task queued again, once
//!   ([`MAX_ATTEMPTS`]); the owner is told ([`Event::Lost`]) either way.
//! - Workers start with the first run (a service that is never used costs nothing) and are
//!   reused by later runs. A worker that fails to start [`MAX_START_FAILURES`] times in a row is
//!   given up until the next run; when every worker is, the run is
//!   [unavailable](Event::Unavailable).

use std::collections::VecDeque;

use super::protocol::{FromWorker, JobId, Output, Part, Progress, ToWorker, Work};

/// Most workers a scheduler starts, whatever the browser reports.
pub const MAX_WORKERS: usize = 8;
/// Attempts per task before the owner is told it failed for good.
pub const MAX_ATTEMPTS: u32 = 2;
/// A worker that cannot start this many times in a row is given up (until the next run).
pub const MAX_START_FAILURES: u32 = 3;
/// A worker told to stop a cooperative task that has not answered after this long (ms) is
/// terminated and replaced.
pub const CANCEL_TIMEOUT_MS: f64 = 1000.0;

/// How a scheduler is sized and supervised.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SchedulerOptions {
    /// number of workers (1 ..= [`MAX_WORKERS`])
    pub workers: usize,
    /// a busy worker silent for this long (ms) is declared dead and replaced
    pub stall_timeout_ms: f64,
}

impl SchedulerOptions {
    /// `workers` workers, a busy worker declared dead after 15 s of silence.
    pub fn with_workers(workers: usize) -> Self {
        SchedulerOptions { workers, stall_timeout_ms: 15_000.0 }
    }

    /// Workers for a reported core count: all cores, within 1 ..= `max` (a non-finite count
    /// counts as 1 core). The main thread only draws and handles input, idle most of the time.
    pub fn workers_for(cores: f64, max: usize) -> usize {
        if cores.is_finite() && cores >= 1.0 {
            (cores as usize).clamp(1, max.clamp(1, MAX_WORKERS))
        } else {
            1
        }
    }
}

/// What a scheduler reports to its owner.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Progress of a task of the current run.
    Progress {
        /// the task
        job: JobId,
        /// where it is
        progress: Progress,
    },
    /// A part of a task's result (an ensemble checkpoint's batch, a one-network checkpoint).
    Partial {
        /// the task
        job: JobId,
        /// the part
        part: Part,
    },
    /// A task of the current run ended, with its output or the core's message.
    Done {
        /// the task
        job: JobId,
        /// output or error
        result: Result<Output, String>,
    },
    /// A worker died or stalled while running a task of the current run; it has been replaced.
    Lost {
        /// the task
        job: JobId,
        /// slot index of the worker
        worker: usize,
        /// what happened
        message: String,
        /// whether the task runs again (otherwise it failed [`MAX_ATTEMPTS`] times)
        rerun: bool,
    },
    /// The current run cannot proceed: workers cannot start.
    Unavailable {
        /// the run's generation
        generation: u64,
        /// the browser's reason
        message: String,
    },
}

/// What the policy asks its executor to do, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Create a worker in slot `worker`, reporting its messages and errors with `incarnation`
    /// (the slot's previous worker, if any, was terminated by an earlier action). If it cannot
    /// be created, the executor calls [`SchedulerPolicy::spawn_failed`].
    Spawn {
        /// slot index
        worker: usize,
        /// the new worker's tag
        incarnation: u64,
    },
    /// Post `message` to the worker in slot `worker`.
    Post {
        /// slot index
        worker: usize,
        /// the message
        message: ToWorker,
    },
    /// Terminate the worker in slot `worker` and stop listening to it.
    Terminate {
        /// slot index
        worker: usize,
    },
    /// A worker died before it was ready: the site may have been redeployed under the page.
    StartFailed,
    /// Tell the owner, once the executor's state is released.
    Emit(Event),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum SlotState {
    Starting,
    Idle,
    /// running a task; `cooperative` if it can be stopped by message
    Busy {
        job: JobId,
        cooperative: bool,
    },
    /// told to stop a cooperative task at `since` (ms), waiting for its answer
    Cancelling {
        since: f64,
    },
    /// Failed to start [`MAX_START_FAILURES`] times; retried at the next run.
    Dead,
}

#[derive(Clone, Debug)]
struct Slot {
    incarnation: u64,
    state: SlotState,
    /// the panic message the worker posted before stopping, if it did
    panic: Option<String>,
    last_heard: f64,
    start_failures: u32,
}

#[derive(Clone, Debug)]
struct Run {
    generation: u64,
    tasks: Vec<Work>,
    queue: VecDeque<usize>,
    attempts: Vec<u32>,
}

/// The scheduler's state and decisions (see the module doc). Every event method takes the
/// time (ms, any fixed origin) and returns the actions it decided, in order.
#[derive(Clone, Debug)]
pub struct SchedulerPolicy {
    options: SchedulerOptions,
    slots: Vec<Slot>,
    incarnations: u64,
    generation: u64,
    run: Option<Run>,
    now: f64,
    actions: Vec<Action>,
}

impl SchedulerPolicy {
    /// A policy for `options.workers` workers (clamped to 1 ..= [`MAX_WORKERS`]), none started.
    pub fn new(options: SchedulerOptions) -> Self {
        let options = SchedulerOptions { workers: options.workers.clamp(1, MAX_WORKERS), ..options };
        SchedulerPolicy {
            options,
            slots: Vec::new(),
            incarnations: 0,
            generation: 0,
            run: None,
            now: 0.0,
            actions: Vec::new(),
        }
    }

    /// The options, with the number of workers clamped.
    pub fn options(&self) -> SchedulerOptions {
        self.options
    }

    /// Generation of the current (or last) run.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether a task of the current run is queued or running.
    pub fn is_busy(&self) -> bool {
        self.run.as_ref().is_some_and(|r| !r.queue.is_empty())
            || self.slots.iter().any(|slot| matches!(slot.state, SlotState::Busy { .. }))
    }

    /// Index of a worker running a task right now, if any.
    pub fn busy_worker(&self) -> Option<usize> {
        self.slots.iter().position(|s| matches!(s.state, SlotState::Busy { .. }))
    }

    /// (Tasks of the current run running or waiting for a worker, workers still running or
    /// stopping a task of an older run.)
    pub fn census(&self) -> (usize, usize) {
        let (current, stale) = self.slots.iter().fold((0, 0), |(c, o), slot| match slot.state {
            SlotState::Busy { job, .. } if job.generation == self.generation => (c + 1, o),
            SlotState::Busy { .. } | SlotState::Cancelling { .. } => (c, o + 1),
            _ => (c, o),
        });
        (current + self.run.as_ref().map_or(0, |r| r.queue.len()), stale)
    }

    /// Ends the current run and starts `tasks` as a new one (task ids `(generation, index in
    /// tasks)`), starting the workers on the first run and retrying those given up.
    pub fn run(&mut self, tasks: Vec<Work>, now: f64) -> Vec<Action> {
        self.now = now;
        self.stop_current();
        self.start_workers();
        let n = tasks.len();
        self.run =
            Some(Run { generation: self.generation, tasks, queue: (0..n).collect(), attempts: vec![0; n] });
        self.dispatch();
        self.take_actions()
    }

    /// Ends the current run (nothing of it is reported after this).
    pub fn cancel(&mut self, now: f64) -> Vec<Action> {
        self.now = now;
        self.stop_current();
        self.take_actions()
    }

    /// The worker in slot `worker`, tagged `incarnation`, posted `text` (JSON of a
    /// [`FromWorker`]); messages of replaced workers are ignored.
    pub fn worker_message(&mut self, worker: usize, incarnation: u64, text: &str, now: f64) -> Vec<Action> {
        self.now = now;
        self.on_message(worker, incarnation, text);
        self.take_actions()
    }

    /// The worker in slot `worker`, tagged `incarnation`, died (`message`: the browser's
    /// reason): it is replaced and its task queued again once; errors of replaced workers are
    /// ignored.
    pub fn worker_died(&mut self, worker: usize, incarnation: u64, message: &str, now: f64) -> Vec<Action> {
        self.now = now;
        self.lose_worker(worker, incarnation, message);
        self.take_actions()
    }

    /// The worker an [`Action::Spawn`] asked for in slot `worker` could not be created
    /// (`message`: why): the slot is given up and the current run is unavailable.
    pub fn spawn_failed(&mut self, worker: usize, message: String) -> Vec<Action> {
        if let Some(slot) = self.slots.get_mut(worker) {
            slot.state = SlotState::Dead;
            if let Some(run) = self.run.take() {
                self.actions.push(Action::Emit(Event::Unavailable { generation: run.generation, message }));
            }
        }
        self.take_actions()
    }

    /// The watchdog's look at the workers at `now`: workers that did not answer a cancel
    /// within [`CANCEL_TIMEOUT_MS`] are replaced, busy or starting workers silent for longer
    /// than the stall timeout are lost ([`SchedulerPolicy::worker_died`]).
    pub fn tick(&mut self, now: f64) -> Vec<Action> {
        self.now = now;
        let unanswered: Vec<usize> = (0..self.slots.len())
            .filter(|&i| {
                matches!(self.slots[i].state, SlotState::Cancelling { since } if now - since > CANCEL_TIMEOUT_MS)
            })
            .collect();
        for index in unanswered {
            self.replace(index, 0);
        }
        let timeout = self.options.stall_timeout_ms;
        let stalled: Vec<(usize, u64)> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.state, SlotState::Busy { .. } | SlotState::Starting))
            .filter(|(_, s)| now - s.last_heard > timeout)
            .map(|(i, s)| (i, s.incarnation))
            .collect();
        for (index, incarnation) in stalled {
            let message = format!("the worker stopped responding for {:.0} s", timeout / 1000.0);
            self.lose_worker(index, incarnation, &message);
        }
        self.take_actions()
    }

    fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    fn emit(&mut self, event: Event) {
        self.actions.push(Action::Emit(event));
    }

    /// A new worker in a new slot, or in slot `index` (replacing its worker).
    fn spawn(&mut self, index: usize, start_failures: u32) -> Slot {
        self.incarnations += 1;
        let incarnation = self.incarnations;
        self.actions.push(Action::Spawn { worker: index, incarnation });
        Slot { incarnation, state: SlotState::Starting, panic: None, last_heard: self.now, start_failures }
    }

    /// Starts the workers (first run) and retries those given up.
    fn start_workers(&mut self) {
        while self.slots.len() < self.options.workers {
            let slot = self.spawn(self.slots.len(), 0);
            self.slots.push(slot);
        }
        for index in 0..self.slots.len() {
            if self.slots[index].state == SlotState::Dead {
                self.replace(index, 0);
            }
        }
    }

    /// Ends the current run: a new generation; busy workers told to stop (cooperative tasks)
    /// or replaced.
    fn stop_current(&mut self) {
        let old = self.generation;
        self.generation += 1;
        self.run = None;
        for index in 0..self.slots.len() {
            match self.slots[index].state {
                SlotState::Busy { cooperative: true, .. } => {
                    let message = ToWorker::Cancel { generation: old };
                    self.actions.push(Action::Post { worker: index, message });
                    self.slots[index].state = SlotState::Cancelling { since: self.now };
                }
                SlotState::Busy { .. } => self.replace(index, 0),
                _ => {}
            }
        }
    }

    /// Replaces worker `index` with a fresh one.
    fn replace(&mut self, index: usize, start_failures: u32) {
        self.actions.push(Action::Terminate { worker: index });
        self.slots[index] = self.spawn(index, start_failures);
    }

    fn on_message(&mut self, index: usize, incarnation: u64, text: &str) {
        let now = self.now;
        let Some(slot) = self.slots.get_mut(index).filter(|s| s.incarnation == incarnation) else {
            return; // a replaced worker
        };
        slot.last_heard = now;
        let current = self.generation;
        match serde_json::from_str::<FromWorker>(text) {
            Ok(FromWorker::Ready) => {
                slot.state = SlotState::Idle;
                slot.start_failures = 0;
                self.dispatch();
            }
            Ok(FromWorker::Progress { job, progress }) if job.generation == current => {
                self.emit(Event::Progress { job, progress });
            }
            Ok(FromWorker::Partial { job, part }) if job.generation == current => {
                self.emit(Event::Partial { job, part });
            }
            Ok(FromWorker::Cancelled { .. }) => {
                slot.state = SlotState::Idle;
                self.dispatch();
            }
            Ok(FromWorker::Done { job, result }) => {
                slot.state = SlotState::Idle;
                if job.generation == current {
                    self.emit(Event::Done { job, result });
                }
                self.dispatch();
            }
            // Progress and parts of a cancelled run.
            Ok(FromWorker::Progress { .. } | FromWorker::Partial { .. }) => {}
            Ok(FromWorker::Panicked { message }) => slot.panic = Some(message),
            Ok(FromWorker::Unreadable { message }) => self.fail_busy_task(index, message),
            Err(e) => self.fail_busy_task(index, format!("unreadable message from a worker: {e}")),
        }
    }

    /// A worker's message could not be understood: its task ends with that error.
    fn fail_busy_task(&mut self, index: usize, message: String) {
        if let SlotState::Busy { job, .. } = self.slots[index].state {
            self.slots[index].state = SlotState::Idle;
            if job.generation == self.generation {
                self.emit(Event::Done { job, result: Err(message) });
            }
            self.dispatch();
        }
    }

    /// Hands queued tasks to idle workers.
    fn dispatch(&mut self) {
        let Some(run) = self.run.as_mut() else { return };
        for (index, slot) in self.slots.iter_mut().enumerate().filter(|(_, s)| s.state == SlotState::Idle) {
            let Some(task) = run.queue.pop_front() else { break };
            run.attempts[task] += 1;
            let job = JobId { generation: run.generation, task };
            let work = run.tasks[task].clone();
            slot.state = SlotState::Busy { job, cooperative: work.is_cooperative() };
            slot.last_heard = self.now;
            self.actions.push(Action::Post { worker: index, message: ToWorker::Run { job, work } });
        }
    }

    /// Worker `index` died: replace it, queue its task again (once) and tell the owner.
    fn lose_worker(&mut self, index: usize, incarnation: u64, message: &str) {
        let Some(slot) = self.slots.get(index).filter(|s| s.incarnation == incarnation) else { return };
        let (state, failures) = (slot.state, slot.start_failures);
        let message = match &slot.panic {
            Some(panic) => format!("{message}: {panic}"),
            None => message.to_string(),
        };
        if state == SlotState::Starting {
            self.actions.push(Action::StartFailed);
        }
        if state == SlotState::Starting && failures + 1 >= MAX_START_FAILURES {
            self.actions.push(Action::Terminate { worker: index });
            self.slots[index].state = SlotState::Dead;
            if self.slots.iter().all(|s| s.state == SlotState::Dead) {
                if let Some(run) = self.run.take() {
                    let message = format!("web workers cannot start: {message}");
                    self.emit(Event::Unavailable { generation: run.generation, message });
                }
            }
            return;
        }
        let failures = if state == SlotState::Starting { failures + 1 } else { 0 };
        if let SlotState::Busy { job, .. } = state {
            if let Some(run) = self.run.as_mut().filter(|r| r.generation == job.generation) {
                let rerun = run.attempts[job.task] < MAX_ATTEMPTS;
                if rerun {
                    run.queue.push_front(job.task);
                }
                self.emit(Event::Lost { job, worker: index, message, rerun });
            }
        }
        self.replace(index, failures);
        self.dispatch();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ntk_core::activation::Activation;
    use ntk_core::arch::{Architecture, Parameterization};
    use ntk_core::nets::ensemble::EnsembleSpec;

    const STALL_MS: f64 = 5_000.0;

    fn arch() -> Architecture {
        Architecture::new(2, Activation::Erf, 2.25, 0.0025, Parameterization::Ntk).unwrap()
    }

    /// A task a worker cannot be told to stop (computed in one go).
    fn kernels(points: usize) -> Work {
        Work::Kernels { arch: arch(), x_train: vec![vec![0.5]; points], x_test: Vec::new() }
    }

    /// A cooperative task.
    fn ensemble() -> Work {
        let spec = EnsembleSpec {
            arch: arch(),
            width: 8,
            data: ntk_core::datasets::ExplicitData {
                x_train: vec![vec![0.0]],
                y_train: vec![0.0],
                x_test: vec![vec![0.0]],
                y_test: None,
            },
            learning_rate: 0.1,
            steps: 10,
            momentum: 0.0,
            readout_only: false,
            loss: Default::default(),
            batch_size: None,
            seed: 0,
            members: 2,
            checkpoints: 2,
            alpha: None,
            quadratic: false,
        };
        Work::Ensemble { spec, members: (0, 2) }
    }

    fn policy(workers: usize) -> SchedulerPolicy {
        SchedulerPolicy::new(SchedulerOptions { workers, stall_timeout_ms: STALL_MS })
    }

    fn said(
        p: &mut SchedulerPolicy,
        worker: usize,
        incarnation: u64,
        msg: FromWorker,
        now: f64,
    ) -> Vec<Action> {
        p.worker_message(worker, incarnation, &msg.to_json(), now)
    }

    fn spawns(actions: &[Action]) -> Vec<(usize, u64)> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Spawn { worker, incarnation } => Some((*worker, *incarnation)),
                _ => None,
            })
            .collect()
    }

    /// The tasks posted, as (worker, job).
    fn runs(actions: &[Action]) -> Vec<(usize, JobId)> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Post { worker, message: ToWorker::Run { job, .. } } => Some((*worker, *job)),
                _ => None,
            })
            .collect()
    }

    fn events(actions: &[Action]) -> Vec<Event> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Emit(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }

    fn done(job: JobId) -> FromWorker {
        FromWorker::Done { job, result: Ok(Output::Ensemble) }
    }

    fn job(generation: u64, task: usize) -> JobId {
        JobId { generation, task }
    }

    #[test]
    fn tasks_wait_for_ready_workers_and_are_handed_out_one_at_a_time_in_order() {
        let mut p = policy(2);
        assert_eq!(p.cancel(0.0), vec![], "no workers before the first run");
        let a = p.run(vec![kernels(1), kernels(2), kernels(3)], 0.0);
        let g = p.generation();
        assert_eq!(spawns(&a), vec![(0, 1), (1, 2)]);
        assert!(runs(&a).is_empty(), "nothing is posted before a worker is ready");
        assert_eq!(p.census(), (3, 0));
        assert_eq!(runs(&said(&mut p, 0, 1, FromWorker::Ready, 1.0)), vec![(0, job(g, 0))]);
        assert_eq!(runs(&said(&mut p, 1, 2, FromWorker::Ready, 1.0)), vec![(1, job(g, 1))]);
        assert_eq!(p.census(), (3, 0));
        // Worker 1 finishes first: it gets the last task.
        let a = said(&mut p, 1, 2, done(job(g, 1)), 2.0);
        assert_eq!(events(&a), vec![Event::Done { job: job(g, 1), result: Ok(Output::Ensemble) }]);
        assert_eq!(runs(&a), vec![(1, job(g, 2))]);
        let a = said(&mut p, 0, 1, done(job(g, 0)), 3.0);
        assert_eq!((runs(&a), events(&a).len()), (vec![], 1));
        assert!(p.is_busy());
        assert_eq!(p.busy_worker(), Some(1));
        said(&mut p, 1, 2, done(job(g, 2)), 4.0);
        assert!(!p.is_busy());
        assert_eq!(p.census(), (0, 0));
        // A later run reuses the workers.
        let a = p.run(vec![kernels(1)], 5.0);
        assert_eq!(spawns(&a), vec![]);
        assert_eq!(runs(&a), vec![(0, job(g + 1, 0))]);
    }

    #[test]
    fn a_lost_task_runs_once_more_then_fails_and_the_worker_is_replaced() {
        let mut p = policy(1);
        p.run(vec![kernels(1)], 0.0);
        let g = p.generation();
        said(&mut p, 0, 1, FromWorker::Ready, 0.0);
        // The worker posts its panic, then dies: replaced, the task queued again.
        said(&mut p, 0, 1, FromWorker::Panicked { message: "index out of bounds".into() }, 1.0);
        let a = p.worker_died(0, 1, "RuntimeError: unreachable", 1.0);
        let message = "RuntimeError: unreachable: index out of bounds".to_string();
        assert_eq!(events(&a), vec![Event::Lost { job: job(g, 0), worker: 0, message, rerun: true }]);
        assert_eq!(a[1..], [Action::Terminate { worker: 0 }, Action::Spawn { worker: 0, incarnation: 2 }]);
        assert!(p.is_busy(), "queued again");
        // The old worker's last words are ignored; the new one reruns the task.
        assert_eq!(said(&mut p, 0, 1, done(job(g, 0)), 1.5), vec![]);
        assert_eq!(p.worker_died(0, 1, "late", 1.5), vec![]);
        assert_eq!(runs(&said(&mut p, 0, 2, FromWorker::Ready, 2.0)), vec![(0, job(g, 0))]);
        // Lost a second time: failed for good, the worker still replaced.
        let a = p.worker_died(0, 2, "the worker crashed", 3.0);
        let message = "the worker crashed".to_string();
        assert_eq!(events(&a), vec![Event::Lost { job: job(g, 0), worker: 0, message, rerun: false }]);
        assert_eq!(spawns(&a), vec![(0, 3)]);
        assert_eq!(runs(&said(&mut p, 0, 3, FromWorker::Ready, 4.0)), vec![], "not run a third time");
        assert!(!p.is_busy());
    }

    #[test]
    fn nothing_of_an_ended_run_is_reported_and_its_workers_stop_or_are_replaced() {
        let mut p = policy(2);
        p.run(vec![ensemble(), kernels(1)], 0.0);
        let old = p.generation();
        said(&mut p, 0, 1, FromWorker::Ready, 0.0);
        said(&mut p, 1, 2, FromWorker::Ready, 0.0);
        // A new run: the cooperative task is told to stop, the other worker is replaced.
        let a = p.run(vec![kernels(1)], 10.0);
        let g = p.generation();
        assert!(g > old);
        assert_eq!(
            a,
            vec![
                Action::Post { worker: 0, message: ToWorker::Cancel { generation: old } },
                Action::Terminate { worker: 1 },
                Action::Spawn { worker: 1, incarnation: 3 },
            ]
        );
        assert_eq!(p.census(), (1, 1), "the new task waits; worker 0 is stopping");
        // The old run's progress, parts and results are dropped.
        let progress = Progress { fraction: 0.5, unit: None, step: None };
        assert_eq!(said(&mut p, 0, 1, FromWorker::Progress { job: job(old, 0), progress }, 11.0), vec![]);
        assert_eq!(said(&mut p, 1, 2, done(job(old, 1)), 11.0), vec![], "a replaced worker");
        // Worker 0 stops: it takes the new task, whose progress is reported.
        assert_eq!(
            runs(&said(&mut p, 0, 1, FromWorker::Cancelled { job: job(old, 0) }, 12.0)),
            vec![(0, job(g, 0))]
        );
        assert_eq!(p.census(), (1, 0));
        let a = said(&mut p, 0, 1, FromWorker::Progress { job: job(g, 0), progress }, 13.0);
        assert_eq!(events(&a), vec![Event::Progress { job: job(g, 0), progress }]);
        // Cancelled: the kernels worker is replaced, its result never reported.
        let a = p.cancel(14.0);
        assert_eq!(a, vec![Action::Terminate { worker: 0 }, Action::Spawn { worker: 0, incarnation: 4 }]);
        assert_eq!(said(&mut p, 0, 1, done(job(g, 0)), 15.0), vec![]);
        assert!(!p.is_busy());
        // A result of an older generation from a worker still running it is dropped too, and
        // the worker freed for the current run.
        let mut p = policy(1);
        p.run(vec![ensemble()], 0.0);
        said(&mut p, 0, 1, FromWorker::Ready, 0.0);
        let old = p.generation();
        p.run(vec![kernels(1)], 1.0);
        let a = said(&mut p, 0, 1, done(job(old, 0)), 2.0);
        assert_eq!((events(&a), runs(&a)), (vec![], vec![(0, job(old + 1, 0))]));
    }

    #[test]
    fn stalled_and_unanswering_workers_are_replaced_at_the_watchdog_tick() {
        let mut p = policy(2);
        p.run(vec![kernels(1), ensemble()], 0.0);
        let g = p.generation();
        said(&mut p, 0, 1, FromWorker::Ready, 0.0);
        said(&mut p, 1, 2, FromWorker::Ready, 0.0);
        // Worker 1 reports progress, worker 0 stays silent.
        let progress = Progress { fraction: 0.1, unit: Some(0), step: Some(1) };
        said(&mut p, 1, 2, FromWorker::Progress { job: job(g, 1), progress }, STALL_MS - 1.0);
        assert_eq!(p.tick(STALL_MS), vec![], "silent for exactly the timeout: not yet");
        let a = p.tick(STALL_MS + 1.0);
        let message = "the worker stopped responding for 5 s".to_string();
        assert_eq!(events(&a), vec![Event::Lost { job: job(g, 0), worker: 0, message, rerun: true }]);
        assert_eq!(spawns(&a), vec![(0, 3)]);
        // Worker 1, cancelled, never answers: replaced once the cancel timeout has passed.
        let t = STALL_MS + 2.0;
        let a = p.cancel(t);
        assert_eq!(a, vec![Action::Post { worker: 1, message: ToWorker::Cancel { generation: g } }]);
        said(&mut p, 0, 3, FromWorker::Ready, t);
        assert_eq!(p.tick(t + CANCEL_TIMEOUT_MS), vec![]);
        let a = p.tick(t + CANCEL_TIMEOUT_MS + 1.0);
        assert_eq!(a, vec![Action::Terminate { worker: 1 }, Action::Spawn { worker: 1, incarnation: 4 }]);
        assert_eq!(p.census(), (0, 0));
    }

    #[test]
    fn workers_that_cannot_start_are_given_up_and_the_run_is_unavailable() {
        let mut p = policy(1);
        p.run(vec![kernels(1)], 0.0);
        let g = p.generation();
        // A worker that dies before it is ready (a stale script): replaced, the site suspected.
        let mut now = 0.0;
        for incarnation in 1..MAX_START_FAILURES as u64 {
            now += 1.0;
            let a = p.worker_died(0, incarnation, "404", now);
            assert_eq!(a[0], Action::StartFailed);
            assert_eq!(spawns(&a), vec![(0, incarnation + 1)]);
        }
        let a = p.worker_died(0, MAX_START_FAILURES as u64, "404", now + 1.0);
        let message = "web workers cannot start: 404".to_string();
        assert_eq!(
            a,
            vec![
                Action::StartFailed,
                Action::Terminate { worker: 0 },
                Action::Emit(Event::Unavailable { generation: g, message })
            ]
        );
        assert!(!p.is_busy());
        // The next run tries again; a worker silent while starting counts as a failure too.
        let a = p.run(vec![kernels(1)], 10.0);
        assert_eq!(spawns(&a), vec![(0, MAX_START_FAILURES as u64 + 1)]);
        let a = p.tick(10.0 + STALL_MS + 1.0);
        assert_eq!(a[0], Action::StartFailed);
        assert_eq!(spawns(&a).len(), 1);
        // A worker the browser cannot create: the run is unavailable at once.
        let mut p = policy(2);
        p.run(vec![kernels(1)], 0.0);
        let g = p.generation();
        let a = p.spawn_failed(0, "SecurityError".into());
        assert_eq!(
            a,
            vec![Action::Emit(Event::Unavailable { generation: g, message: "SecurityError".into() })]
        );
        assert_eq!(p.spawn_failed(1, "SecurityError".into()), vec![], "said once per run");
    }

    #[test]
    fn an_unreadable_message_ends_the_task_with_an_error() {
        let mut p = policy(1);
        p.run(vec![kernels(1), kernels(2)], 0.0);
        let g = p.generation();
        said(&mut p, 0, 1, FromWorker::Ready, 0.0);
        let a = p.worker_message(0, 1, "{not json", 1.0);
        let [Event::Done { job: j, result: Err(e) }] = &events(&a)[..] else { panic!("{a:?}") };
        assert_eq!(*j, job(g, 0));
        assert!(e.starts_with("unreadable message from a worker"), "{e}");
        assert_eq!(runs(&a), vec![(0, job(g, 1))], "the worker goes on with the queue");
        let a = said(&mut p, 0, 1, FromWorker::Unreadable { message: "bad task".into() }, 2.0);
        assert_eq!(events(&a), vec![Event::Done { job: job(g, 1), result: Err("bad task".into()) }]);
    }
}
