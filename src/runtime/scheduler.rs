//! The one scheduler of the page's workers: ensembles, width sweeps, kernels and catapult
//! networks all run through it (each service owns a scheduler with its own workers, so a
//! training run never delays the kernels).
//!
//! - A **run** is a list of tasks ([`Work`]); [`Scheduler::run`] starts one under a new
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
//!   reused by later runs.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use super::protocol::{FromWorker, JobId, Output, Part, Progress, ToWorker, Work};
use super::spawn::spawn_worker;

/// Most workers a scheduler starts, whatever the browser reports.
pub const MAX_WORKERS: usize = 8;
/// Attempts per task before the owner is told it failed for good.
pub const MAX_ATTEMPTS: u32 = 2;
/// A worker that cannot start this many times in a row is given up (until the next run).
const MAX_START_FAILURES: u32 = 3;
/// How often the stall watchdog looks at busy workers (ms).
const WATCHDOG_INTERVAL_MS: i32 = 250;
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

    /// The logical cores the browser reports (`navigator.hardwareConcurrency`, 1 if unknown).
    pub fn browser_cores() -> f64 {
        web_sys::window().map_or(1.0, |w| w.navigator().hardware_concurrency())
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

struct Slot {
    worker: Worker,
    incarnation: u64,
    state: SlotState,
    /// the panic message the worker posted before stopping, if it did
    panic: Option<String>,
    last_heard: f64,
    start_failures: u32,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

struct Run {
    generation: u64,
    tasks: Vec<Work>,
    queue: VecDeque<usize>,
    attempts: Vec<u32>,
}

struct Inner {
    options: SchedulerOptions,
    slots: Vec<Slot>,
    incarnations: u64,
    generation: u64,
    run: Option<Run>,
    events: Vec<Event>,
    this: Weak<RefCell<Inner>>,
    watchdog: Option<(i32, Closure<dyn FnMut()>)>,
    on_event: Rc<dyn Fn(Event)>,
    /// Replaced workers, kept until the next watchdog tick: their callbacks may be running.
    graveyard: Vec<Slot>,
}

/// A scheduler over a set of workers (see the module doc). Dropping it terminates them.
pub struct Scheduler {
    inner: Rc<RefCell<Inner>>,
}

thread_local! {
    /// Every scheduler of the page, for [`worker_census`].
    static SCHEDULERS: RefCell<Vec<Weak<RefCell<Inner>>>> = const { RefCell::new(Vec::new()) };
}

/// The page's work right now, over every scheduler: (tasks of current runs running or waiting
/// for a worker, workers still running or stopping a task of an older run). The second must
/// fall to 0 shortly after any run is replaced or cancelled (the end-to-end stress test checks
/// it).
pub fn worker_census() -> (usize, usize) {
    SCHEDULERS.with(|all| {
        let mut all = all.borrow_mut();
        all.retain(|w| w.strong_count() > 0);
        all.iter().filter_map(Weak::upgrade).fold((0, 0), |(current, stale), inner| {
            let s = inner.borrow();
            let (c, o) = s.slots.iter().fold((0, 0), |(c, o), slot| match slot.state {
                SlotState::Busy { job, .. } if job.generation == s.generation => (c + 1, o),
                SlotState::Busy { .. } | SlotState::Cancelling { .. } => (c, o + 1),
                _ => (c, o),
            });
            let queued = s.run.as_ref().map_or(0, |r| r.queue.len());
            (current + c + queued, stale + o)
        })
    })
}

impl Scheduler {
    /// A scheduler of `options.workers` workers reporting to `on_event`; the workers start with
    /// the first run.
    pub fn new(options: SchedulerOptions, on_event: impl Fn(Event) + 'static) -> Self {
        let options = SchedulerOptions { workers: options.workers.clamp(1, MAX_WORKERS), ..options };
        let inner = Rc::new_cyclic(|this| {
            RefCell::new(Inner {
                options,
                slots: Vec::new(),
                incarnations: 0,
                generation: 0,
                run: None,
                events: Vec::new(),
                this: this.clone(),
                watchdog: None,
                on_event: Rc::new(on_event),
                graveyard: Vec::new(),
            })
        });
        SCHEDULERS.with(|all| all.borrow_mut().push(Rc::downgrade(&inner)));
        Scheduler { inner }
    }

    /// Number of workers.
    pub fn size(&self) -> usize {
        self.inner.borrow().options.workers
    }

    /// Generation of the current (or last) run.
    pub fn generation(&self) -> u64 {
        self.inner.borrow().generation
    }

    /// Ends the current run and starts `tasks` as a new one; returns its generation (the task
    /// ids are `(generation, index in tasks)`).
    pub fn run(&self, tasks: Vec<Work>) -> u64 {
        let generation = {
            let mut s = self.inner.borrow_mut();
            s.stop_current();
            s.start_workers();
            let generation = s.generation;
            let n = tasks.len();
            s.run = Some(Run { generation, tasks, queue: (0..n).collect(), attempts: vec![0; n] });
            s.dispatch();
            generation
        };
        flush(&self.inner);
        generation
    }

    /// Ends the current run (its workers are replaced; nothing of it is reported after this).
    pub fn cancel(&self) {
        self.inner.borrow_mut().stop_current();
        flush(&self.inner);
    }

    /// Whether a task of the current run is queued or running.
    pub fn is_busy(&self) -> bool {
        let s = self.inner.borrow();
        s.run.as_ref().is_some_and(|r| !r.queue.is_empty())
            || s.slots.iter().any(|slot| matches!(slot.state, SlotState::Busy { .. }))
    }

    /// Makes worker `index` panic, as a bug would (for tests of the recovery path).
    pub fn crash_worker(&self, index: usize) {
        if let Some(slot) = self.inner.borrow().slots.get(index) {
            let _ = slot.worker.post_message(&JsValue::from_str(&ToWorker::Crash.to_json()));
        }
    }

    /// Terminates worker `index` without telling the scheduler, as the browser killing it
    /// would; the stall watchdog must notice (for tests of the recovery path).
    pub fn kill_worker_silently(&self, index: usize) {
        if let Some(slot) = self.inner.borrow().slots.get(index) {
            slot.worker.terminate();
        }
    }

    /// Index of a worker running a task right now, if any.
    pub fn busy_worker(&self) -> Option<usize> {
        self.inner.borrow().slots.iter().position(|s| matches!(s.state, SlotState::Busy { .. }))
    }
}

/// Delivers pending events with the state released, so the owner may call the scheduler again.
fn flush(inner: &Rc<RefCell<Inner>>) {
    loop {
        let (events, on_event) = {
            let mut s = inner.borrow_mut();
            (std::mem::take(&mut s.events), Rc::clone(&s.on_event))
        };
        if events.is_empty() {
            return;
        }
        for event in events {
            on_event(event);
        }
    }
}

/// Runs `f` on the scheduler state (if it is alive), then delivers the events it produced.
fn with_state(this: &Weak<RefCell<Inner>>, f: impl FnOnce(&mut Inner)) {
    let Some(inner) = this.upgrade() else { return };
    f(&mut inner.borrow_mut());
    flush(&inner);
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        let mut s = self.inner.borrow_mut();
        for slot in &s.slots {
            slot.worker.terminate();
        }
        if let (Some(window), Some((handle, _))) = (web_sys::window(), s.watchdog.as_ref()) {
            window.clear_interval_with_handle(*handle);
        }
        s.watchdog = None;
        s.slots.clear();
    }
}

impl Inner {
    /// Starts the workers (first run) and retries those given up.
    fn start_workers(&mut self) {
        while self.slots.len() < self.options.workers {
            let index = self.slots.len();
            match self.new_slot(index, 0) {
                Ok(slot) => self.slots.push(slot),
                Err(message) => {
                    self.events.push(Event::Unavailable { generation: self.generation, message });
                    return;
                }
            }
        }
        for index in 0..self.slots.len() {
            if self.slots[index].state == SlotState::Dead {
                self.replace(index, 0);
            }
        }
        if self.watchdog.is_none() {
            if let Err(message) = self.start_watchdog() {
                self.events.push(Event::Unavailable { generation: self.generation, message });
            }
        }
    }

    fn new_slot(&mut self, index: usize, start_failures: u32) -> Result<Slot, String> {
        let worker = spawn_worker().map_err(|e| format!("cannot start a web worker: {e:?}"))?;
        self.incarnations += 1;
        let incarnation = self.incarnations;
        let this = self.this.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let text = ev.data().as_string().unwrap_or_default();
            with_state(&this, |s| s.on_message(index, incarnation, &text));
        });
        let this = self.this.clone();
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
            ev.prevent_default();
            let message =
                if ev.message().is_empty() { "the worker crashed".to_string() } else { ev.message() };
            with_state(&this, |s| s.lose_worker(index, incarnation, &message));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Slot {
            worker,
            incarnation,
            state: SlotState::Starting,
            panic: None,
            last_heard: js_sys::Date::now(),
            start_failures,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    fn start_watchdog(&mut self) -> Result<(), String> {
        let Some(window) = web_sys::window() else { return Ok(()) };
        let this = self.this.clone();
        let tick = Closure::<dyn FnMut()>::new(move || with_state(&this, Inner::check_stalls));
        let handle = window
            .set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                WATCHDOG_INTERVAL_MS,
            )
            .map_err(|e| format!("cannot start the watchdog timer: {e:?}"))?;
        self.watchdog = Some((handle, tick));
        Ok(())
    }

    /// Ends the current run: a new generation; busy workers told to stop (cooperative tasks)
    /// or replaced.
    fn stop_current(&mut self) {
        let old = self.generation;
        self.generation += 1;
        self.run = None;
        let now = js_sys::Date::now();
        for index in 0..self.slots.len() {
            match self.slots[index].state {
                SlotState::Busy { cooperative: true, .. } => {
                    let msg = ToWorker::Cancel { generation: old };
                    let slot = &mut self.slots[index];
                    let _ = slot.worker.post_message(&JsValue::from_str(&msg.to_json()));
                    slot.state = SlotState::Cancelling { since: now };
                }
                SlotState::Busy { .. } => self.replace(index, 0),
                _ => {}
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
            Err(message) => {
                self.slots[index].state = SlotState::Dead;
                if let Some(run) = self.run.take() {
                    self.events.push(Event::Unavailable { generation: run.generation, message });
                }
            }
        }
    }

    fn on_message(&mut self, index: usize, incarnation: u64, text: &str) {
        let Some(slot) = self.slots.get_mut(index).filter(|s| s.incarnation == incarnation) else {
            return; // a replaced worker
        };
        slot.last_heard = js_sys::Date::now();
        let current = self.generation;
        match serde_json::from_str::<FromWorker>(text) {
            Ok(FromWorker::Ready) => {
                slot.state = SlotState::Idle;
                slot.start_failures = 0;
                self.dispatch();
            }
            Ok(FromWorker::Progress { job, progress }) if job.generation == current => {
                self.events.push(Event::Progress { job, progress });
            }
            Ok(FromWorker::Partial { job, part }) if job.generation == current => {
                self.events.push(Event::Partial { job, part });
            }
            Ok(FromWorker::Cancelled { .. }) => {
                slot.state = SlotState::Idle;
                self.dispatch();
            }
            Ok(FromWorker::Done { job, result }) => {
                slot.state = SlotState::Idle;
                if job.generation == current {
                    self.events.push(Event::Done { job, result });
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
                self.events.push(Event::Done { job, result: Err(message) });
            }
            self.dispatch();
        }
    }

    /// Hands queued tasks to idle workers.
    fn dispatch(&mut self) {
        let Some(run) = self.run.as_mut() else { return };
        for slot in self.slots.iter_mut().filter(|s| s.state == SlotState::Idle) {
            let Some(task) = run.queue.pop_front() else { break };
            run.attempts[task] += 1;
            let job = JobId { generation: run.generation, task };
            let work = run.tasks[task].clone();
            slot.state = SlotState::Busy { job, cooperative: work.is_cooperative() };
            let msg = ToWorker::Run { job, work };
            slot.last_heard = js_sys::Date::now();
            let _ = slot.worker.post_message(&JsValue::from_str(&msg.to_json()));
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
        let message = message.as_str();
        if state == SlotState::Starting {
            // The usual cause of a worker that cannot load: the site was redeployed under this tab.
            super::version::suspect_stale();
        }
        if state == SlotState::Starting && failures + 1 >= MAX_START_FAILURES {
            let slot = &mut self.slots[index];
            slot.worker.terminate();
            slot.state = SlotState::Dead;
            if self.slots.iter().all(|s| s.state == SlotState::Dead) {
                if let Some(run) = self.run.take() {
                    let message = format!("web workers cannot start: {message}");
                    self.events.push(Event::Unavailable { generation: run.generation, message });
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
                self.events.push(Event::Lost { job, worker: index, message: message.to_string(), rerun });
            }
        }
        self.replace(index, failures);
        self.dispatch();
    }

    fn check_stalls(&mut self) {
        self.graveyard.clear();
        let now = js_sys::Date::now();
        let timeout = self.options.stall_timeout_ms;
        let unanswered: Vec<usize> = (0..self.slots.len())
            .filter(|&i| matches!(self.slots[i].state, SlotState::Cancelling { since } if now - since > CANCEL_TIMEOUT_MS))
            .collect();
        for index in unanswered {
            self.replace(index, 0);
        }
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
    }
}
