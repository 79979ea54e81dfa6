//! The worker pool in a real browser: results equal the single-thread run whatever the number
//! of workers, cancelled jobs never report again, and dead workers are replaced with their
//! members rerun.

#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::rc::Rc;

use ntk_core::activation::Activation;
use ntk_core::arch::{Architecture, Parameterization};
use ntk_core::nets::ensemble::{run_members, EnsembleSpec, EnsembleStats};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use wide_explorer::runtime::pool::merge_in_member_order;
use wide_explorer::runtime::{PoolEvent, PoolOptions, WorkerPool};

wasm_bindgen_test_configure!(run_in_browser);

fn spec(members: usize, steps: u64, seed: u64) -> EnsembleSpec {
    let arch = Architecture::new(2, Activation::Erf, 2.25, 0.0025, Parameterization::Ntk).unwrap();
    let x_train: Vec<Vec<f64>> = (0..5).map(|i| vec![-3.0 + 1.5 * i as f64]).collect();
    let y_train = x_train.iter().map(|x| x[0].sin()).collect();
    let x_test: Vec<Vec<f64>> = (0..12).map(|i| vec![-3.0 + 6.0 * i as f64 / 11.0]).collect();
    EnsembleSpec {
        arch,
        width: 64,
        x_train,
        y_train,
        x_test,
        y_test: None,
        learning_rate: 0.1,
        steps,
        momentum: 0.0,
        readout_only: false,
        seed,
        members,
        checkpoints: 8,
    }
}

/// The single-thread reference: each member run alone, merged in member order.
fn reference(spec: &EnsembleSpec) -> EnsembleStats {
    let each: Vec<Option<EnsembleStats>> = (0..spec.members)
        .map(|m| Some(run_members(spec, m..m + 1, |_| ControlFlow::Continue(())).unwrap()))
        .collect();
    merge_in_member_order(spec, &each).unwrap()
}

/// Bit-for-bit equality, reported briefly (the full statistics are long).
fn assert_same(got: &EnsembleStats, want: &EnsembleStats, what: &str) {
    if got == want {
        return;
    }
    assert_eq!(got.members_run, want.members_run, "{what}: members");
    assert_eq!(got.diverged, want.diverged, "{what}: divergences");
    for (a, b) in got.checkpoints.iter().zip(&want.checkpoints) {
        assert_eq!(a.nn, b.nn, "{what}: network outputs at step {}", b.step);
        assert_eq!(a, b, "{what}: checkpoint at step {}", b.step);
    }
    panic!("{what}: statistics differ");
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(resolve.unchecked_ref(), ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

type Log = Rc<RefCell<Vec<PoolEvent>>>;

fn pool(workers: usize, stall_timeout_ms: f64) -> (WorkerPool, Log) {
    let log: Log = Rc::default();
    let sink = Rc::clone(&log);
    let pool = WorkerPool::new(PoolOptions { workers, stall_timeout_ms }, move |e| sink.borrow_mut().push(e))
        .expect("workers start");
    (pool, log)
}

/// Waits (up to `timeout_ms`) until an event satisfies `pred`; returns it.
async fn wait_for(log: &Log, timeout_ms: i32, pred: impl Fn(&PoolEvent) -> bool) -> Option<PoolEvent> {
    let mut waited = 0;
    while waited < timeout_ms {
        if let Some(e) = log.borrow().iter().find(|e| pred(e)) {
            return Some(e.clone());
        }
        sleep(20).await;
        waited += 20;
    }
    None
}

async fn final_stats(log: &Log, generation: u64) -> EnsembleStats {
    let done = wait_for(log, 60_000, |e| {
        matches!(e, PoolEvent::Done { generation: g, .. } | PoolEvent::Failed { generation: g, .. } if *g == generation)
    })
    .await;
    match done {
        Some(PoolEvent::Done { stats, .. }) => stats,
        other => panic!("job {generation} did not finish: {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn one_and_two_workers_give_the_single_thread_statistics() {
    let job = spec(5, 300, 7);
    let want = reference(&job);
    // The per-member merge differs from one sequential run only by rounding.
    let sequential = run_members(&job, 0..job.members, |_| ControlFlow::Continue(())).unwrap();
    for (a, b) in want.checkpoints.iter().zip(&sequential.checkpoints) {
        for (x, y) in a.nn.mean().iter().zip(b.nn.mean()) {
            assert!((x - y).abs() <= 1e-12 * (1.0 + y.abs()), "{x} vs {y}");
        }
    }
    for workers in [1, 2] {
        let (pool, log) = pool(workers, 15_000.0);
        assert_eq!(pool.size(), workers);
        let generation = pool.start(job.clone());
        let got = final_stats(&log, generation).await;
        assert_same(&got, &want, &format!("{workers} worker(s)"));
        // Bands fill in as members finish: one partial result per member.
        let partials = log.borrow().iter().filter(|e| matches!(e, PoolEvent::Partial { .. })).count();
        assert_eq!(partials, job.members);
        assert!(!log.borrow().iter().any(|e| matches!(e, PoolEvent::WorkerLost { .. })));
        // Each member also arrives alone (the page draws a few individual networks): exactly
        // the statistics of that member run by itself.
        let mut seen: Vec<usize> = Vec::new();
        for e in log.borrow().iter() {
            if let PoolEvent::Member { member, stats, .. } = e {
                let alone = run_members(&job, *member..*member + 1, |_| ControlFlow::Continue(())).unwrap();
                assert_same(stats, &alone, &format!("member {member} alone"));
                seen.push(*member);
            }
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..job.members).collect::<Vec<_>>());
    }
}

#[wasm_bindgen_test]
async fn a_cancelled_job_never_reports_again() {
    let (pool, log) = pool(2, 15_000.0);
    let long = pool.start(spec(4, 200_000, 1));
    let first = wait_for(
        &log,
        30_000,
        |e| matches!(e, PoolEvent::Progress { generation, .. } if *generation == long),
    );
    assert!(first.await.is_some(), "the long job reported progress");
    let short_job = spec(2, 100, 2);
    let want = reference(&short_job);
    let short = pool.start(short_job);
    let cut = log.borrow().len();
    assert_same(&final_stats(&log, short).await, &want, "the job after a cancel");
    sleep(500).await;
    let late: Vec<PoolEvent> = log.borrow()[cut..]
        .iter()
        .filter(|e| match e {
            PoolEvent::Progress { generation, .. }
            | PoolEvent::Partial { generation, .. }
            | PoolEvent::Member { generation, .. }
            | PoolEvent::Done { generation, .. }
            | PoolEvent::Failed { generation, .. } => *generation == long,
            PoolEvent::WorkerLost { .. } => true,
        })
        .cloned()
        .collect();
    assert!(late.is_empty(), "events after cancellation: {late:?}");
    // cancel() with nothing running is harmless
    pool.cancel();
}

#[wasm_bindgen_test]
async fn a_crashed_worker_is_replaced_and_its_member_rerun() {
    let job = spec(3, 20_000, 3);
    let want = reference(&job);
    let (pool, log) = pool(2, 15_000.0);
    let generation = pool.start(job);
    wait_for(&log, 30_000, |e| matches!(e, PoolEvent::Progress { .. })).await.expect("progress");
    pool.crash_worker(pool.busy_worker().expect("a busy worker"));
    let lost = wait_for(&log, 30_000, |e| matches!(e, PoolEvent::WorkerLost { .. })).await;
    assert!(lost.is_some(), "the crash is reported");
    assert_same(&final_stats(&log, generation).await, &want, "after a crash");
}

#[wasm_bindgen_test]
async fn a_silently_killed_worker_is_noticed_by_the_watchdog() {
    let job = spec(3, 20_000, 4);
    let want = reference(&job);
    let (pool, log) = pool(2, 1_500.0);
    let generation = pool.start(job);
    wait_for(&log, 30_000, |e| matches!(e, PoolEvent::Progress { .. })).await.expect("progress");
    pool.kill_worker_silently(pool.busy_worker().expect("a busy worker"));
    let lost = wait_for(
        &log,
        30_000,
        |e| matches!(e, PoolEvent::WorkerLost { message, .. } if message.contains("stopped responding")),
    );
    assert!(lost.await.is_some(), "the stall is reported");
    assert_same(&final_stats(&log, generation).await, &want, "after a silent kill");
}

#[wasm_bindgen_test]
async fn an_invalid_job_fails_without_work() {
    let (pool, log) = pool(1, 15_000.0);
    let mut bad = spec(2, 10, 5);
    bad.learning_rate = f64::NAN;
    let generation = pool.start(bad);
    let failed = wait_for(&log, 1_000, |e| matches!(e, PoolEvent::Failed { .. })).await;
    match failed {
        Some(PoolEvent::Failed { generation: g, message }) => {
            assert_eq!(g, generation);
            assert!(message.contains("learning"), "{message}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}
