//! The worker runtime: ensembles of finite networks train in a pool of web workers, off the
//! page's main thread, with progress, exact merging of partial results, cancellation by
//! generation, and replacement of workers that die; GP kernels evaluated by quadrature are
//! computed in a kernel worker of their own ([`job_worker::JobWorker`]).
//!
//! Layering: this module depends on `ntk-core` (the numerics) and on the browser (web-sys), never
//! on the UI; the UI sends it commands ([`WorkerPool::start`], [`WorkerPool::cancel`]) and renders
//! the [`PoolEvent`]s it reports.

pub mod bench;
pub mod job_worker;
pub mod pool;
pub mod protocol;
pub mod spawn;
pub mod worker_main;

pub use pool::{PoolEvent, PoolOptions, WorkerPool};
