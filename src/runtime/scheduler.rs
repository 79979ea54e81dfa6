//! The one scheduler of the page's workers: ensembles, width sweeps, kernels and catapult
//! networks all run through it (each service owns a scheduler with its own workers, so a
//! training run never delays the kernels).
//!
//! What it decides (generations, the queue, a lost task rerun once, stalls, which events the
//! owner gets) is the browser-free [`SchedulerPolicy`] (see [`super::policy`]); this module
//! is its executor on real web workers: it creates, messages and terminates them as the policy
//! asks, feeds it their messages and errors and a watchdog tick every
//! [`WATCHDOG_INTERVAL_MS`], and delivers its events to the owner with its state released
//! (so the owner may call the scheduler again).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use super::policy::{Action, SchedulerPolicy};
pub use super::policy::{Event, SchedulerOptions, CANCEL_TIMEOUT_MS, MAX_ATTEMPTS, MAX_WORKERS};
use super::protocol::Work;
use super::spawn::spawn_worker;

/// How often the stall watchdog looks at busy workers (ms).
pub const WATCHDOG_INTERVAL_MS: i32 = 250;

impl SchedulerOptions {
    /// The logical cores the browser reports (`navigator.hardwareConcurrency`, 1 if unknown).
    pub fn browser_cores() -> f64 {
        web_sys::window().map_or(1.0, |w| w.navigator().hardware_concurrency())
    }
}

/// A live worker and the callbacks that feed its messages and errors to the policy.
struct Handle {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl Handle {
    /// Terminates the worker and stops listening to it (its callbacks stay alive: one may be
    /// running).
    fn terminate(&self) {
        self.worker.terminate();
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
    }
}

struct Inner {
    policy: SchedulerPolicy,
    /// the worker of each slot of the policy (`None` before it is first created)
    workers: Vec<Option<Handle>>,
    events: Vec<Event>,
    this: Weak<RefCell<Inner>>,
    watchdog: Option<(i32, Closure<dyn FnMut()>)>,
    on_event: Rc<dyn Fn(Event)>,
    /// Replaced workers, kept until the next watchdog tick: their callbacks may be running.
    graveyard: Vec<Handle>,
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
            let (c, o) = inner.borrow().policy.census();
            (current + c, stale + o)
        })
    })
}

impl Scheduler {
    /// A scheduler of `options.workers` workers reporting to `on_event`; the workers start with
    /// the first run.
    pub fn new(options: SchedulerOptions, on_event: impl Fn(Event) + 'static) -> Self {
        let inner = Rc::new_cyclic(|this| {
            RefCell::new(Inner {
                policy: SchedulerPolicy::new(options),
                workers: Vec::new(),
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
        self.inner.borrow().policy.options().workers
    }

    /// Generation of the current (or last) run.
    pub fn generation(&self) -> u64 {
        self.inner.borrow().policy.generation()
    }

    /// Ends the current run and starts `tasks` as a new one; returns its generation (the task
    /// ids are `(generation, index in tasks)`).
    pub fn run(&self, tasks: Vec<Work>) -> u64 {
        let generation = {
            let mut s = self.inner.borrow_mut();
            let actions = s.policy.run(tasks, js_sys::Date::now());
            s.execute(actions);
            if s.watchdog.is_none() {
                if let Err(message) = s.start_watchdog() {
                    let generation = s.policy.generation();
                    s.events.push(Event::Unavailable { generation, message });
                }
            }
            s.policy.generation()
        };
        flush(&self.inner);
        generation
    }

    /// Ends the current run (its workers are replaced; nothing of it is reported after this).
    pub fn cancel(&self) {
        {
            let mut s = self.inner.borrow_mut();
            let actions = s.policy.cancel(js_sys::Date::now());
            s.execute(actions);
        }
        flush(&self.inner);
    }

    /// Whether a task of the current run is queued or running.
    pub fn is_busy(&self) -> bool {
        self.inner.borrow().policy.is_busy()
    }

    /// Makes worker `index` panic, as a bug would (for tests of the recovery path; feature
    /// `test-hooks`).
    #[cfg(feature = "test-hooks")]
    pub fn crash_worker(&self, index: usize) {
        if let Some(Some(handle)) = self.inner.borrow().workers.get(index) {
            let _ =
                handle.worker.post_message(&JsValue::from_str(&super::protocol::ToWorker::Crash.to_json()));
        }
    }

    /// Terminates worker `index` without telling the scheduler, as the browser killing it
    /// would; the stall watchdog must notice (for tests of the recovery path; feature
    /// `test-hooks`).
    #[cfg(feature = "test-hooks")]
    pub fn kill_worker_silently(&self, index: usize) {
        if let Some(Some(handle)) = self.inner.borrow().workers.get(index) {
            handle.worker.terminate();
        }
    }

    /// Index of a worker running a task right now, if any.
    pub fn busy_worker(&self) -> Option<usize> {
        self.inner.borrow().policy.busy_worker()
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
        for handle in s.workers.iter().flatten() {
            handle.worker.terminate();
        }
        if let (Some(window), Some((handle, _))) = (web_sys::window(), s.watchdog.as_ref()) {
            window.clear_interval_with_handle(*handle);
        }
        s.watchdog = None;
        s.workers.clear();
    }
}

impl Inner {
    /// Carries out the policy's actions in order (a worker that cannot be created is reported
    /// back to the policy, whose answer is carried out too); events wait for [`flush`].
    fn execute(&mut self, actions: Vec<Action>) {
        let mut pending = std::collections::VecDeque::from(actions);
        while let Some(action) = pending.pop_front() {
            match action {
                Action::Spawn { worker, incarnation } => match self.new_worker(worker, incarnation) {
                    Ok(handle) => {
                        if self.workers.len() <= worker {
                            self.workers.resize_with(worker + 1, || None);
                        }
                        if let Some(old) = self.workers[worker].replace(handle) {
                            self.graveyard.push(old);
                        }
                    }
                    Err(message) => {
                        let more = self.policy.spawn_failed(worker, message);
                        for (i, action) in more.into_iter().enumerate() {
                            pending.insert(i, action);
                        }
                    }
                },
                Action::Post { worker, message } => {
                    if let Some(Some(handle)) = self.workers.get(worker) {
                        let _ = handle.worker.post_message(&JsValue::from_str(&message.to_json()));
                    }
                }
                Action::Terminate { worker } => {
                    if let Some(Some(handle)) = self.workers.get(worker) {
                        handle.terminate();
                    }
                }
                Action::StartFailed => super::version::suspect_stale(),
                Action::Emit(event) => self.events.push(event),
            }
        }
    }

    fn new_worker(&self, index: usize, incarnation: u64) -> Result<Handle, String> {
        let worker = spawn_worker().map_err(|e| format!("cannot start a web worker: {e:?}"))?;
        let this = self.this.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let text = ev.data().as_string().unwrap_or_default();
            with_state(&this, |s| {
                let actions = s.policy.worker_message(index, incarnation, &text, js_sys::Date::now());
                s.execute(actions);
            });
        });
        let this = self.this.clone();
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
            ev.prevent_default();
            let message =
                if ev.message().is_empty() { "the worker crashed".to_string() } else { ev.message() };
            with_state(&this, |s| {
                let actions = s.policy.worker_died(index, incarnation, &message, js_sys::Date::now());
                s.execute(actions);
            });
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Handle { worker, _on_message: on_message, _on_error: on_error })
    }

    fn start_watchdog(&mut self) -> Result<(), String> {
        let Some(window) = web_sys::window() else { return Ok(()) };
        let this = self.this.clone();
        let tick = Closure::<dyn FnMut()>::new(move || {
            with_state(&this, |s| {
                s.graveyard.clear();
                let actions = s.policy.tick(js_sys::Date::now());
                s.execute(actions);
            })
        });
        let handle = window
            .set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                WATCHDOG_INTERVAL_MS,
            )
            .map_err(|e| format!("cannot start the watchdog timer: {e:?}"))?;
        self.watchdog = Some((handle, tick));
        Ok(())
    }
}
