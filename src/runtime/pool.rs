//! The page side of the runtime: a pool of ensemble workers.
//!
//! - Members are handed out one at a time to idle workers (so the load balances), each with the
//!   full job spec; a member's statistics come back as soon as it finishes and are merged on the
//!   page **in member order** ([`merge_in_member_order`]), so the result is bit-for-bit the same
//!   whatever the number of workers and whichever finishes first.
//! - Every job has a generation; [`WorkerPool::start`] and [`WorkerPool::cancel`] end the
//!   previous one at once by terminating its busy workers (a synchronous training loop cannot
//!   read messages) and starting fresh ones; messages of older generations are dropped.
//! - A worker that panics (its `error` event) or falls silent for longer than
//!   [`PoolOptions::stall_timeout_ms`] is reported ([`PoolEvent::WorkerLost`]), replaced, and its
//!   member is run again (once; a member that kills two workers fails the job).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use ntk_core::nets::ensemble::{EnsembleError, EnsembleSpec, EnsembleStats};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use super::protocol::{FromWorker, ToWorker};
use super::spawn::spawn_worker;

/// Most workers a pool starts, whatever the browser reports.
pub const MAX_WORKERS: usize = 8;
/// A worker that cannot start this many times in a row makes the pool give up.
const MAX_START_FAILURES: u32 = 3;
/// Attempts per member before the job fails.
const MAX_ATTEMPTS: u32 = 2;
/// How often the stall watchdog looks at busy workers (ms).
const WATCHDOG_INTERVAL_MS: i32 = 500;

/// How the pool is sized and supervised.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolOptions {
    /// number of workers (1 ..= [`MAX_WORKERS`])
    pub workers: usize,
    /// a busy worker silent for this long (ms) is declared dead and replaced
    pub stall_timeout_ms: f64,
}

impl PoolOptions {
    /// One worker per logical core the browser reports (`navigator.hardwareConcurrency`) but
    /// one, which is left to the main thread (drawing and input), at least 1 and at most
    /// [`MAX_WORKERS`].
    pub fn for_this_browser() -> Self {
        let cores = web_sys::window().map_or(1.0, |w| w.navigator().hardware_concurrency());
        PoolOptions { workers: Self::workers_for(cores), stall_timeout_ms: 15_000.0 }
    }

    /// Workers for a reported core count: cores − 1, within 1 ..= [`MAX_WORKERS`] (a
    /// non-finite count counts as 1 core).
    pub fn workers_for(cores: f64) -> usize {
        if cores.is_finite() && cores >= 2.0 {
            (cores as usize - 1).clamp(1, MAX_WORKERS)
        } else {
            1
        }
    }
}

/// What the pool reports to its owner.
#[derive(Clone, Debug, PartialEq)]
pub enum PoolEvent {
    /// Training progress of the current job.
    Progress {
        /// job generation
        generation: u64,
        /// members finished
        members_done: usize,
        /// members in the job
        members_total: usize,
        /// fraction of all training steps done, in [0, 1]
        fraction: f64,
    },
    /// Statistics of the members finished so far (merged in member order); the last one of a
    /// job is followed by [`PoolEvent::Done`].
    Partial {
        /// job generation
        generation: u64,
        /// merged statistics (`members_run` = members finished)
        stats: EnsembleStats,
    },
    /// One member finished: its own statistics (for drawing individual member functions);
    /// followed by the merged [`PoolEvent::Partial`].
    Member {
        /// job generation
        generation: u64,
        /// member index
        member: usize,
        /// statistics of this member alone (empty checkpoints if it diverged)
        stats: EnsembleStats,
    },
    /// Every member finished: the job's final statistics.
    Done {
        /// job generation
        generation: u64,
        /// merged statistics of all members
        stats: EnsembleStats,
    },
    /// The job cannot run (invalid spec, workers cannot start, a member that crashes workers).
    Failed {
        /// job generation
        generation: u64,
        /// one-line reason
        message: String,
    },
    /// A worker died or stalled; it has been replaced and its member queued again.
    WorkerLost {
        /// slot index of the worker
        worker: usize,
        /// what happened
        message: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotState {
    Starting,
    Idle,
    Busy {
        generation: u64,
        member: usize,
    },
    /// Failed to start [`MAX_START_FAILURES`] times; retried at the next [`WorkerPool::start`].
    Dead,
}

struct Slot {
    worker: Worker,
    incarnation: u64,
    state: SlotState,
    last_heard: f64,
    start_failures: u32,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

struct Job {
    generation: u64,
    spec: EnsembleSpec,
    queue: VecDeque<usize>,
    results: Vec<Option<EnsembleStats>>,
    attempts: Vec<u32>,
    step_of: Vec<u64>,
    done: usize,
}

struct Inner {
    options: PoolOptions,
    slots: Vec<Slot>,
    incarnations: u64,
    generation: u64,
    job: Option<Job>,
    events: Vec<PoolEvent>,
    this: Weak<RefCell<Inner>>,
    watchdog: Option<(i32, Closure<dyn FnMut()>)>,
    on_event: Rc<dyn Fn(PoolEvent)>,
    /// Replaced workers, kept until the next watchdog tick: their callbacks may be running.
    graveyard: Vec<Slot>,
}

/// A pool of ensemble workers (see the module doc). Dropping it terminates its workers.
pub struct WorkerPool {
    inner: Rc<RefCell<Inner>>,
}

/// Merges per-member statistics in member order (skipping members not finished), so that the
/// result does not depend on which worker finished first.
///
/// # Errors
/// [`EnsembleError::Mismatch`] if the statistics belong to different jobs.
pub fn merge_in_member_order(
    spec: &EnsembleSpec,
    members: &[Option<EnsembleStats>],
) -> Result<EnsembleStats, EnsembleError> {
    let mut total = EnsembleStats::empty(spec);
    for stats in members.iter().flatten() {
        total.merge(stats)?;
    }
    Ok(total)
}

impl WorkerPool {
    /// Starts `options.workers` workers; `on_event` receives every [`PoolEvent`].
    ///
    /// # Errors
    /// The browser's message when a worker cannot be created.
    pub fn new(options: PoolOptions, on_event: impl Fn(PoolEvent) + 'static) -> Result<Self, String> {
        let options = PoolOptions { workers: options.workers.clamp(1, MAX_WORKERS), ..options };
        let inner = Rc::new_cyclic(|this| {
            RefCell::new(Inner {
                options,
                slots: Vec::new(),
                incarnations: 0,
                generation: 0,
                job: None,
                events: Vec::new(),
                this: this.clone(),
                watchdog: None,
                on_event: Rc::new(on_event),
                graveyard: Vec::new(),
            })
        });
        {
            let mut pool = inner.borrow_mut();
            for index in 0..options.workers {
                let slot = pool.new_slot(index, 0)?;
                pool.slots.push(slot);
            }
            pool.start_watchdog()?;
        }
        Ok(WorkerPool { inner })
    }

    /// Number of workers.
    pub fn size(&self) -> usize {
        self.inner.borrow().slots.len()
    }

    /// Generation of the current (or last) job.
    pub fn generation(&self) -> u64 {
        self.inner.borrow().generation
    }

    /// Cancels any running job and starts `spec`; returns its generation. An invalid spec is
    /// reported as [`PoolEvent::Failed`] without starting any work.
    pub fn start(&self, spec: EnsembleSpec) -> u64 {
        let generation = {
            let mut pool = self.inner.borrow_mut();
            pool.stop_current();
            let generation = pool.generation;
            for index in 0..pool.slots.len() {
                if pool.slots[index].state == SlotState::Dead {
                    pool.replace(index, 0);
                }
            }
            match spec.validate() {
                Err(e) => pool.events.push(PoolEvent::Failed { generation, message: e.to_string() }),
                Ok(()) => {
                    let m = spec.members;
                    pool.job = Some(Job {
                        generation,
                        queue: (0..m).collect(),
                        results: vec![None; m],
                        attempts: vec![0; m],
                        step_of: vec![0; m],
                        done: 0,
                        spec,
                    });
                    pool.dispatch();
                }
            }
            generation
        };
        self.flush();
        generation
    }

    /// Cancels the running job (its workers are replaced; nothing of it is reported after this).
    pub fn cancel(&self) {
        self.inner.borrow_mut().stop_current();
        self.flush();
    }

    /// Makes worker `index` panic, as a bug would (for tests of the recovery path).
    pub fn crash_worker(&self, index: usize) {
        let pool = self.inner.borrow();
        if let Some(slot) = pool.slots.get(index) {
            let _ = slot.worker.post_message(&JsValue::from_str(&ToWorker::Crash.to_json()));
        }
    }

    /// Terminates worker `index` without telling the pool, as the browser killing it would; the
    /// stall watchdog must notice (for tests of the recovery path).
    pub fn kill_worker_silently(&self, index: usize) {
        if let Some(slot) = self.inner.borrow().slots.get(index) {
            slot.worker.terminate();
        }
    }

    /// Index of a worker that is training a member right now, if any.
    pub fn busy_worker(&self) -> Option<usize> {
        self.inner.borrow().slots.iter().position(|s| matches!(s.state, SlotState::Busy { .. }))
    }

    fn flush(&self) {
        flush(&self.inner);
    }
}

/// Delivers pending events with the state released, so the handler may call the pool again.
fn flush(inner: &Rc<RefCell<Inner>>) {
    loop {
        let (events, on_event) = {
            let mut pool = inner.borrow_mut();
            (std::mem::take(&mut pool.events), Rc::clone(&pool.on_event))
        };
        if events.is_empty() {
            return;
        }
        for event in events {
            on_event(event);
        }
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        let mut pool = self.inner.borrow_mut();
        for slot in &pool.slots {
            slot.worker.terminate();
        }
        if let (Some(window), Some((handle, _))) = (web_sys::window(), pool.watchdog.as_ref()) {
            window.clear_interval_with_handle(*handle);
        }
        pool.watchdog = None;
        pool.slots.clear();
    }
}

impl Inner {
    fn new_slot(&mut self, index: usize, start_failures: u32) -> Result<Slot, String> {
        let worker = spawn_worker().map_err(|e| format!("cannot start a web worker: {e:?}"))?;
        self.incarnations += 1;
        let incarnation = self.incarnations;
        let this = self.this.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let text = ev.data().as_string().unwrap_or_default();
            with_pool(&this, |pool| pool.on_message(index, incarnation, &text));
        });
        let this = self.this.clone();
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
            ev.prevent_default();
            let message =
                if ev.message().is_empty() { "the worker crashed".to_string() } else { ev.message() };
            with_pool(&this, |pool| pool.lose_worker(index, incarnation, &message));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Slot {
            worker,
            incarnation,
            state: SlotState::Starting,
            last_heard: js_sys::Date::now(),
            start_failures,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    fn start_watchdog(&mut self) -> Result<(), String> {
        let Some(window) = web_sys::window() else { return Ok(()) };
        let this = self.this.clone();
        let tick = Closure::<dyn FnMut()>::new(move || with_pool(&this, Inner::check_stalls));
        let handle = window
            .set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                WATCHDOG_INTERVAL_MS,
            )
            .map_err(|e| format!("cannot start the watchdog timer: {e:?}"))?;
        self.watchdog = Some((handle, tick));
        Ok(())
    }

    /// Ends the current job: a new generation, busy workers replaced.
    fn stop_current(&mut self) {
        self.generation += 1;
        self.job = None;
        for index in 0..self.slots.len() {
            if matches!(self.slots[index].state, SlotState::Busy { .. }) {
                self.replace(index, 0);
            }
        }
    }

    /// Replaces worker `index` with a fresh one.
    fn replace(&mut self, index: usize, start_failures: u32) {
        let old = &self.slots[index];
        old.worker.terminate();
        old.worker.set_onmessage(None);
        old.worker.set_onerror(None);
        match self.new_slot(index, start_failures) {
            Ok(slot) => {
                let old = std::mem::replace(&mut self.slots[index], slot);
                self.graveyard.push(old);
            }
            Err(message) => self.fail_job(message),
        }
    }

    fn fail_job(&mut self, message: String) {
        if let Some(job) = self.job.take() {
            self.events.push(PoolEvent::Failed { generation: job.generation, message });
        }
    }

    fn on_message(&mut self, index: usize, incarnation: u64, text: &str) {
        let Some(slot) = self.slots.get_mut(index).filter(|s| s.incarnation == incarnation) else {
            return; // a replaced worker
        };
        slot.last_heard = js_sys::Date::now();
        let msg = match serde_json::from_str::<FromWorker>(text) {
            Ok(msg) => msg,
            Err(e) => {
                self.fail_job(format!("unreadable message from a worker: {e}"));
                return;
            }
        };
        let current = self.generation;
        match msg {
            FromWorker::Ready => {
                slot.state = SlotState::Idle;
                slot.start_failures = 0;
                self.dispatch();
            }
            FromWorker::Progress { generation, member, step } if generation == current => {
                if let Some(job) = self.job.as_mut() {
                    if let Some(s) = job.step_of.get_mut(member) {
                        *s = step;
                    }
                    let event = job.progress_event();
                    self.events.push(event);
                }
            }
            FromWorker::MemberDone { generation, member, stats } if generation == current => {
                slot.state = SlotState::Idle;
                self.member_done(member, stats);
                self.dispatch();
            }
            FromWorker::Failed { generation, message } if generation == current => {
                slot.state = SlotState::Idle;
                self.fail_job(message);
            }
            // Late messages of a cancelled job.
            FromWorker::Progress { .. } | FromWorker::MemberDone { .. } | FromWorker::Failed { .. } => {}
            // Not a pool message.
            FromWorker::Kernels { .. }
            | FromWorker::Catapult { .. }
            | FromWorker::CatapultProgress { .. }
            | FromWorker::WidthProgress { .. }
            | FromWorker::WidthDone { .. } => {}
        }
    }

    fn member_done(&mut self, member: usize, stats: EnsembleStats) {
        let Some(job) = self.job.as_mut() else { return };
        if member >= job.results.len() || job.results[member].is_some() {
            return;
        }
        self.events.push(PoolEvent::Member { generation: job.generation, member, stats: stats.clone() });
        job.results[member] = Some(stats);
        job.step_of[member] = job.spec.steps;
        job.done += 1;
        let generation = job.generation;
        let merged = merge_in_member_order(&job.spec, &job.results);
        let progress = job.progress_event();
        let finished = job.done == job.results.len();
        match merged {
            Err(e) => self.fail_job(e.to_string()),
            Ok(stats) => {
                self.events.push(progress);
                if finished {
                    self.events.push(PoolEvent::Partial { generation, stats: stats.clone() });
                    self.events.push(PoolEvent::Done { generation, stats });
                    self.job = None;
                } else {
                    self.events.push(PoolEvent::Partial { generation, stats });
                }
            }
        }
    }

    /// Hands queued members to idle workers.
    fn dispatch(&mut self) {
        let Some(job) = self.job.as_mut() else { return };
        for slot in self.slots.iter_mut().filter(|s| s.state == SlotState::Idle) {
            let Some(member) = job.queue.pop_front() else { break };
            job.attempts[member] += 1;
            let msg = ToWorker::RunMember { generation: job.generation, member, spec: job.spec.clone() };
            slot.state = SlotState::Busy { generation: job.generation, member };
            slot.last_heard = js_sys::Date::now();
            let _ = slot.worker.post_message(&JsValue::from_str(&msg.to_json()));
        }
    }

    /// Worker `index` died: report it, replace it and queue its member again.
    fn lose_worker(&mut self, index: usize, incarnation: u64, message: &str) {
        let Some(slot) = self.slots.get(index).filter(|s| s.incarnation == incarnation) else { return };
        let (state, failures) = (slot.state, slot.start_failures);
        self.events.push(PoolEvent::WorkerLost { worker: index, message: message.to_string() });
        if state == SlotState::Starting && failures + 1 >= MAX_START_FAILURES {
            let slot = &mut self.slots[index];
            slot.worker.terminate();
            slot.state = SlotState::Dead;
            if self.slots.iter().all(|s| s.state == SlotState::Dead) {
                self.fail_job(format!("web workers cannot start: {message}"));
            }
            return;
        }
        let failures = if state == SlotState::Starting { failures + 1 } else { 0 };
        if let SlotState::Busy { generation, member } = state {
            if let Some(job) = self.job.as_mut().filter(|j| j.generation == generation) {
                if job.attempts[member] >= MAX_ATTEMPTS {
                    let message = format!("member {member} stopped a worker twice ({message})");
                    self.fail_job(message);
                } else {
                    job.step_of[member] = 0;
                    job.queue.push_front(member);
                }
            }
        }
        self.replace(index, failures);
    }

    fn check_stalls(&mut self) {
        self.graveyard.clear();
        let now = js_sys::Date::now();
        let timeout = self.options.stall_timeout_ms;
        let stalled: Vec<(usize, u64)> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| !matches!(s.state, SlotState::Idle | SlotState::Dead))
            .filter(|(_, s)| now - s.last_heard > timeout)
            .map(|(i, s)| (i, s.incarnation))
            .collect();
        for (index, incarnation) in stalled {
            let message = format!("the worker stopped responding for {:.0} s", timeout / 1000.0);
            self.lose_worker(index, incarnation, &message);
        }
    }
}

impl Job {
    fn progress_event(&self) -> PoolEvent {
        let total_steps = (self.spec.steps.max(1) as f64) * self.results.len() as f64;
        let steps: f64 = self.step_of.iter().map(|&s| s as f64).sum();
        PoolEvent::Progress {
            generation: self.generation,
            members_done: self.done,
            members_total: self.results.len(),
            fraction: (steps / total_steps).clamp(0.0, 1.0),
        }
    }
}

/// Runs `f` on the pool state (if the pool is alive), then delivers the events it produced.
fn with_pool(this: &Weak<RefCell<Inner>>, f: impl FnOnce(&mut Inner)) {
    let Some(inner) = this.upgrade() else { return };
    f(&mut inner.borrow_mut());
    flush(&inner);
}
