//! The worker scheduler in a real browser, running ensemble members: results merged in member
//! order equal the single-thread run whatever the number of workers, cancelled runs never
//! report again, and dead workers are replaced with their tasks rerun.

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
use wide_explorer::runtime::protocol::{Output, Work};
use wide_explorer::runtime::scheduler::{Event, Scheduler, SchedulerOptions};
use wide_explorer::services::ensemble::merge_in_member_order;

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

type Log = Rc<RefCell<Vec<Event>>>;

fn pool(workers: usize, stall_timeout_ms: f64) -> (Scheduler, Log) {
    let log: Log = Rc::default();
    let sink = Rc::clone(&log);
    let scheduler =
        Scheduler::new(SchedulerOptions { workers, stall_timeout_ms }, move |e| sink.borrow_mut().push(e));
    (scheduler, log)
}

/// One task per member.
fn start(scheduler: &Scheduler, spec: &EnsembleSpec) -> u64 {
    scheduler
        .run((0..spec.members).map(|m| Work::Ensemble { spec: spec.clone(), members: (m, m + 1) }).collect())
}

/// Waits (up to `timeout_ms`) until an event satisfies `pred`; returns it.
async fn wait_for(log: &Log, timeout_ms: i32, pred: impl Fn(&Event) -> bool) -> Option<Event> {
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

/// The members' statistics of run `generation` (each member's own), once all have arrived.
async fn member_stats(log: &Log, generation: u64, members: usize) -> Vec<EnsembleStats> {
    let mut waited = 0;
    while waited < 60_000 {
        let mut got: Vec<Option<EnsembleStats>> = vec![None; members];
        for e in log.borrow().iter() {
            match e {
                Event::Done { job, result: Ok(Output::Ensemble(stats)) } if job.generation == generation => {
                    got[job.task] = Some(stats.clone());
                }
                Event::Done { job, result: Err(e), .. } if job.generation == generation => {
                    panic!("task failed: {e}")
                }
                _ => {}
            }
        }
        if got.iter().all(Option::is_some) {
            return got.into_iter().flatten().collect();
        }
        sleep(20).await;
        waited += 20;
    }
    panic!("run {generation} did not finish: {:?}", log.borrow().last());
}

async fn final_stats(log: &Log, spec: &EnsembleSpec, generation: u64) -> EnsembleStats {
    let each: Vec<Option<EnsembleStats>> =
        member_stats(log, generation, spec.members).await.into_iter().map(Some).collect();
    merge_in_member_order(spec, &each).unwrap()
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
        let generation = start(&pool, &job);
        let got = final_stats(&log, &job, generation).await;
        assert_same(&got, &want, &format!("{workers} worker(s)"));
        assert!(!log.borrow().iter().any(|e| matches!(e, Event::Lost { .. })));
        // Each member arrives alone (the page draws a few individual networks): exactly the
        // statistics of that member run by itself.
        for (member, stats) in member_stats(&log, generation, job.members).await.iter().enumerate() {
            let alone = run_members(&job, member..member + 1, |_| ControlFlow::Continue(())).unwrap();
            assert_same(stats, &alone, &format!("member {member} alone"));
        }
    }
}

#[wasm_bindgen_test]
async fn a_cancelled_run_never_reports_again() {
    let (pool, log) = pool(2, 15_000.0);
    let long = start(&pool, &spec(4, 200_000, 1));
    let first =
        wait_for(&log, 30_000, |e| matches!(e, Event::Progress { job, .. } if job.generation == long));
    assert!(first.await.is_some(), "the long run reported progress");
    let short_job = spec(2, 100, 2);
    let want = reference(&short_job);
    let short = start(&pool, &short_job);
    let cut = log.borrow().len();
    assert_same(&final_stats(&log, &short_job, short).await, &want, "the run after a cancel");
    sleep(500).await;
    let late: Vec<Event> = log.borrow()[cut..]
        .iter()
        .filter(|e| match e {
            Event::Progress { job, .. } | Event::Done { job, .. } | Event::Lost { job, .. } => {
                job.generation == long
            }
            Event::Unavailable { .. } => true,
        })
        .cloned()
        .collect();
    assert!(late.is_empty(), "events after cancellation: {late:?}");
    // cancel() with nothing running is harmless
    pool.cancel();
}

#[wasm_bindgen_test]
async fn a_crashed_worker_is_replaced_and_its_task_rerun() {
    let job = spec(3, 20_000, 3);
    let want = reference(&job);
    let (pool, log) = pool(2, 15_000.0);
    let generation = start(&pool, &job);
    wait_for(&log, 30_000, |e| matches!(e, Event::Progress { .. })).await.expect("progress");
    pool.crash_worker(pool.busy_worker().expect("a busy worker"));
    let lost = wait_for(&log, 30_000, |e| matches!(e, Event::Lost { rerun: true, .. })).await;
    assert!(lost.is_some(), "the crash is reported");
    assert_same(&final_stats(&log, &job, generation).await, &want, "after a crash");
}

#[wasm_bindgen_test]
async fn a_silently_killed_worker_is_noticed_by_the_watchdog() {
    let job = spec(3, 20_000, 4);
    let want = reference(&job);
    let (pool, log) = pool(2, 1_500.0);
    let generation = start(&pool, &job);
    wait_for(&log, 30_000, |e| matches!(e, Event::Progress { .. })).await.expect("progress");
    pool.kill_worker_silently(pool.busy_worker().expect("a busy worker"));
    let lost = wait_for(
        &log,
        30_000,
        |e| matches!(e, Event::Lost { message, .. } if message.contains("stopped responding")),
    );
    assert!(lost.await.is_some(), "the stall is reported");
    assert_same(&final_stats(&log, &job, generation).await, &want, "after a silent kill");
}

#[wasm_bindgen_test]
async fn an_invalid_task_fails_with_the_core_message() {
    let (pool, log) = pool(1, 15_000.0);
    let mut bad = spec(2, 10, 5);
    bad.learning_rate = f64::NAN;
    let generation = start(&pool, &bad);
    let failed = wait_for(&log, 10_000, |e| matches!(e, Event::Done { result: Err(_), .. })).await;
    match failed {
        Some(Event::Done { job, result: Err(message) }) => {
            assert_eq!(job.generation, generation);
            assert!(message.contains("learning"), "{message}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}
