//! The worker scheduler in a real browser, streaming ensembles as the page does (one range of
//! members per worker, a batch per checkpoint): the merged statistics at every checkpoint equal
//! the single-thread native run bit for bit whatever the number of workers, checkpoints arrive
//! while the networks train, cancelled runs never report again (cooperatively, without losing
//! the workers), and dead workers are replaced with their members rerun from their seeds.

#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::rc::Rc;

use ntk_core::activation::Activation;
use ntk_core::arch::{Architecture, Parameterization};
use ntk_core::datasets::ExplicitData;
use ntk_core::nets::ensemble::{run_members, CheckpointMerger, EnsembleSpec, EnsembleStats};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use wide_explorer::runtime::protocol::{Part, Work};
use wide_explorer::runtime::scheduler::{worker_census, Event, Scheduler, SchedulerOptions};
use wide_explorer::services::ensemble::split_members;

wasm_bindgen_test_configure!(run_in_browser);

fn spec(members: usize, steps: u64, seed: u64) -> EnsembleSpec {
    let arch = Architecture::new(2, Activation::Erf, 2.25, 0.0025, Parameterization::Ntk).unwrap();
    let x_train: Vec<Vec<f64>> = (0..5).map(|i| vec![-3.0 + 1.5 * i as f64]).collect();
    let y_train = x_train.iter().map(|x| x[0].sin()).collect();
    let x_test: Vec<Vec<f64>> = (0..12).map(|i| vec![-3.0 + 6.0 * i as f64 / 11.0]).collect();
    EnsembleSpec {
        arch,
        width: 64,
        data: ExplicitData { x_train, y_train, x_test, y_test: None },
        learning_rate: 0.1,
        steps,
        momentum: 0.0,
        readout_only: false,
        loss: Default::default(),
        batch_size: None,
        seed,
        members,
        checkpoints: 8,
        alpha: None,
        quadratic: false,
    }
}

/// The single-thread reference: every member in one native runner (what `ntk ensemble` does).
fn reference(spec: &EnsembleSpec) -> EnsembleStats {
    run_members(spec, 0..spec.members, |_| ControlFlow::Continue(())).unwrap()
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

/// One task per worker, each a contiguous range of members (as the page splits them).
fn start(scheduler: &Scheduler, spec: &EnsembleSpec) -> u64 {
    let ranges = split_members(spec.members, scheduler.size());
    scheduler.run(
        ranges.iter().map(|r| Work::Ensemble { spec: spec.clone(), members: (r.start, r.end) }).collect(),
    )
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

/// The statistics of run `generation`, merged from its batches as they were logged (a lost
/// task's members discarded at the loss, as the page does); returns them with the number of
/// times the complete prefix grew.
async fn final_stats(
    log: &Log,
    spec: &EnsembleSpec,
    generation: u64,
    workers: usize,
) -> (EnsembleStats, usize) {
    let ranges = split_members(spec.members, workers);
    let mut waited = 0;
    while waited < 60_000 {
        let mut merger = CheckpointMerger::new(spec, 0).unwrap();
        let mut growth = 0;
        for e in log.borrow().iter() {
            match e {
                Event::Partial { job, part: Part::Ensemble(batch) } if job.generation == generation => {
                    let before = merger.complete_through();
                    merger.add(batch).unwrap();
                    growth += usize::from(merger.complete_through() != before);
                }
                Event::Lost { job, rerun: true, .. } if job.generation == generation => {
                    merger.discard(ranges[job.task].clone()).unwrap();
                }
                Event::Done { job, result: Err(e) } if job.generation == generation => {
                    panic!("task failed: {e}")
                }
                _ => {}
            }
        }
        if merger.is_complete() {
            return (merger.stats(), growth);
        }
        sleep(20).await;
        waited += 20;
    }
    panic!("run {generation} did not finish: {:?}", log.borrow().last());
}

#[wasm_bindgen_test]
async fn one_and_two_workers_stream_the_single_thread_statistics() {
    let job = spec(5, 300, 7);
    let want = reference(&job);
    for workers in [1, 2] {
        let (pool, log) = pool(workers, 15_000.0);
        assert_eq!(pool.size(), workers);
        let generation = start(&pool, &job);
        let (got, growth) = final_stats(&log, &job, generation, pool.size()).await;
        assert_same(&got, &want, &format!("{workers} worker(s)"));
        // The statistics arrive checkpoint by checkpoint (here: every one of the 8).
        assert_eq!(growth, job.schedule().len(), "complete prefix grew once per checkpoint");
        let batches = log.borrow().iter().filter(|e| matches!(e, Event::Partial { .. })).count();
        assert_eq!(batches, job.schedule().len() * workers, "one batch per checkpoint and worker");
        assert!(!log.borrow().iter().any(|e| matches!(e, Event::Lost { .. })));
    }
}

#[wasm_bindgen_test]
async fn a_cancelled_run_never_reports_again_and_keeps_its_workers() {
    let (pool, log) = pool(2, 15_000.0);
    let long = start(&pool, &spec(4, 200_000, 1));
    let first = wait_for(&log, 30_000, |e| matches!(e, Event::Partial { job, .. } if job.generation == long));
    assert!(first.await.is_some(), "the long run streamed a checkpoint");
    let short_job = spec(2, 100, 2);
    let want = reference(&short_job);
    let short = start(&pool, &short_job);
    let cut = log.borrow().len();
    assert_same(&final_stats(&log, &short_job, short, pool.size()).await.0, &want, "the run after a cancel");
    // Every worker of the cancelled run has answered its cancellation (none still stopping a
    // task of the old generation): whatever it sent before is in the log by now.
    let mut settled = false;
    for _ in 0..1500 {
        if worker_census().1 == 0 {
            settled = true;
            break;
        }
        sleep(20).await;
    }
    assert!(settled, "the cancelled run's workers never answered");
    let late: Vec<Event> = log.borrow()[cut..]
        .iter()
        .filter(|e| match e {
            Event::Progress { job, .. } | Event::Partial { job, .. } | Event::Done { job, .. } => {
                job.generation == long
            }
            Event::Lost { .. } | Event::Unavailable { .. } => true,
        })
        .cloned()
        .collect();
    assert!(late.is_empty(), "events after cancellation (or workers lost): {late:?}");
    // cancel() with nothing running is harmless
    pool.cancel();
}

#[wasm_bindgen_test]
async fn a_crashed_worker_is_replaced_and_its_members_rerun() {
    let job = spec(3, 20_000, 3);
    let want = reference(&job);
    let (pool, log) = pool(2, 15_000.0);
    let generation = start(&pool, &job);
    wait_for(&log, 30_000, |e| matches!(e, Event::Partial { .. })).await.expect("a first checkpoint");
    pool.crash_worker(pool.busy_worker().expect("a busy worker"));
    let lost = wait_for(&log, 30_000, |e| matches!(e, Event::Lost { rerun: true, .. })).await;
    assert!(lost.is_some(), "the crash is reported");
    assert_same(&final_stats(&log, &job, generation, pool.size()).await.0, &want, "after a crash");
}

#[wasm_bindgen_test]
async fn a_silently_killed_worker_is_noticed_by_the_watchdog() {
    let job = spec(3, 20_000, 4);
    let want = reference(&job);
    let (pool, log) = pool(2, 1_500.0);
    let generation = start(&pool, &job);
    wait_for(&log, 30_000, |e| matches!(e, Event::Partial { .. })).await.expect("a first checkpoint");
    pool.kill_worker_silently(pool.busy_worker().expect("a busy worker"));
    let lost = wait_for(
        &log,
        30_000,
        |e| matches!(e, Event::Lost { message, .. } if message.contains("stopped responding")),
    );
    assert!(lost.await.is_some(), "the stall is reported");
    assert_same(&final_stats(&log, &job, generation, pool.size()).await.0, &want, "after a silent kill");
}

#[wasm_bindgen_test]
async fn an_invalid_task_fails_with_the_core_message() {
    let (pool, log) = pool(1, 15_000.0);
    let mut bad = spec(2, 10, 5);
    bad.learning_rate = -1.0;
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
