//! Independent jobs on a few threads: each thread takes the next job index until none are
//! left or one job fails (then the others are asked to stop).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The number of threads for `jobs` jobs: `requested` (default: all cores), at most one per job.
///
/// # Errors
/// A message for `--threads 0`.
pub fn thread_count(requested: Option<usize>, jobs: usize) -> Result<usize, crate::CliError> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    match requested {
        Some(0) => Err(crate::CliError::BadInput("--threads must be at least 1, got 0".into())),
        Some(t) => Ok(t.min(jobs).max(1)),
        None => Ok(cores.min(jobs).max(1)),
    }
}

/// Runs `job(i, stop)` for i in 0..jobs on `threads` threads and returns the results in job
/// order. `stop` turns true once any job has failed, so long jobs can cancel themselves.
pub fn run_jobs<T, E, F>(jobs: usize, threads: usize, job: F) -> Vec<Result<T, E>>
where
    T: Send,
    E: Send,
    F: Fn(usize, &AtomicBool) -> Result<T, E> + Sync,
{
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let mut out: Vec<(usize, Result<T, E>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= jobs || failed.load(Ordering::Relaxed) {
                            break;
                        }
                        let r = job(i, &failed);
                        if r.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        done.push((i, r));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// The results if all succeeded, else the first error that is not a cancellation (jobs stop
/// themselves once another has failed).
pub fn first_error<T, E: IsCancel>(results: Vec<Result<T, E>>) -> Result<Vec<T>, E> {
    let mut ok = Vec::with_capacity(results.len());
    let mut cancelled = None;
    for r in results {
        match r {
            Ok(v) => ok.push(v),
            Err(e) if e.is_cancel() => cancelled = cancelled.or(Some(e)),
            Err(e) => return Err(e),
        }
    }
    match cancelled {
        Some(e) => Err(e),
        None => Ok(ok),
    }
}

/// An error that may just mean "stopped because another job failed".
pub trait IsCancel {
    /// Whether this is a cancellation.
    fn is_cancel(&self) -> bool;
}

impl IsCancel for ntk_core::experiments::kernel_convergence::ConvergenceError {
    fn is_cancel(&self) -> bool {
        matches!(self, Self::Cancelled)
    }
}

impl IsCancel for ntk_core::experiments::trainability::TrainabilityError {
    fn is_cancel(&self) -> bool {
        matches!(self, Self::Cancelled)
    }
}
