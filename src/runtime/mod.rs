//! The worker runtime: core jobs run in web workers, off the page's main thread. One
//! [`scheduler::Scheduler`] serves every kind of task: it carries out on real workers what the
//! browser-free [`policy::SchedulerPolicy`] decides (queue, generations, retries, stall
//! watchdog); [`protocol`] is the typed message set; [`worker_main`] is the worker side; [`spawn`]
//! starts a worker on the page's own wasm module.
//!
//! Layering: this module depends on `ntk-core` (the numerics) and on the browser (web-sys), never
//! on the views; the services send it tasks and turn its events into state the views render.

pub mod policy;
pub mod protocol;
pub mod scheduler;
pub mod spawn;
pub mod version;
pub mod worker_main;
