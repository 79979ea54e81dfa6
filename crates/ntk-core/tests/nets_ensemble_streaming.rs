//! The streaming ensemble API: runners over any split of the members, batches merged in any
//! order, discarded and rerun ranges, tiny work budgets, JSON transport — all give the same
//! bits as one run; and the divergence semantics (a member counts before its divergence step
//! and not from it on), checked against an independent training loop.

use std::ops::{ControlFlow, Range};

use ntk_core::datasets::ExplicitData;
use ntk_core::divergence::LOSS_FACTOR;
use ntk_core::nets::ensemble::{
    run_members, Advance, CheckpointBatch, CheckpointMerger, DivergedModel, EnsembleError, EnsembleRunner,
    EnsembleSpec, EnsembleStats, MemberState,
};
use ntk_core::nets::mlp::Mlp;
use ntk_core::nets::train::{TrainOptions, Trainer};
use ntk_core::rng::{member_seed, Normal};
use ntk_core::{Activation, Architecture, Parameterization};

fn spec(width: usize, members: usize, steps: u64, lr: f64) -> EnsembleSpec {
    let arch = Architecture::new(2, Activation::Erf, 2.25, 0.0025, Parameterization::Ntk).unwrap();
    EnsembleSpec {
        arch,
        width,
        data: ExplicitData {
            x_train: vec![vec![-2.0], vec![-0.7], vec![0.4], vec![1.9]],
            y_train: vec![-0.9, -0.6, 0.4, 0.95],
            x_test: (0..7).map(|i| vec![-3.0 + i as f64]).collect(),
            y_test: Some((0..7).map(|i| (-3.0 + i as f64).sin()).collect()),
        },
        learning_rate: lr,
        steps,
        momentum: 0.0,
        readout_only: false,
        loss: Default::default(),
        batch_size: None,
        seed: 77,
        members,
        checkpoints: 8,
        alpha: None,
        quadratic: false,
    }
}

/// A job where some members diverge (network or linearization) and others do not: at width 4
/// Θ̂₀ fluctuates strongly between seeds, so η = 1.2 straddles the stability bound (with this
/// seed: 13 linearizations diverge at checkpoints, one network at step 24, two members never).
fn mixed_spec() -> EnsembleSpec {
    let mut s = spec(4, 16, 300, 1.2);
    s.checkpoints = 12;
    s
}

/// Every batch of one runner, each call with budget `max_flop`.
fn batches(spec: &EnsembleSpec, members: Range<usize>, max_flop: f64) -> Vec<CheckpointBatch> {
    let mut runner = EnsembleRunner::new(spec, members).unwrap();
    let mut out = Vec::new();
    loop {
        match runner.advance(max_flop).unwrap() {
            Advance::Checkpoint(b) => out.push(b),
            Advance::Working { .. } => {}
            Advance::Done => return out,
        }
    }
}

/// Bit-exact comparison: serde_json with `float_roundtrip` prints the shortest representation
/// that parses back to the same f64 (and distinguishes −0 from 0).
fn bits<T: serde::Serialize>(x: &T) -> String {
    serde_json::to_string(x).unwrap()
}

/// A seeded Fisher–Yates shuffle.
fn shuffle<T>(v: &mut [T], seed: u64) {
    let mut r = Normal::new(seed);
    for i in (1..v.len()).rev() {
        let j = ((r.uniform() * (i + 1) as f64) as usize).min(i);
        v.swap(i, j);
    }
}

/// The members split into `parts` contiguous ranges at seeded cut points (empty ranges allowed).
fn random_split(members: usize, parts: usize, seed: u64) -> Vec<Range<usize>> {
    let mut r = Normal::new(seed);
    let mut cuts: Vec<usize> = (1..parts).map(|_| (r.uniform() * (members + 1) as f64) as usize).collect();
    cuts.push(0);
    cuts.push(members);
    cuts.sort_unstable();
    cuts.windows(2).map(|w| w[0]..w[1]).collect()
}

/// Merges `batches` in the given order and checks every checkpoint against `want` as soon as it
/// is complete; returns the merger.
fn merge_checking(
    spec: &EnsembleSpec,
    batches: &[CheckpointBatch],
    want: &EnsembleStats,
) -> CheckpointMerger {
    let mut merger = CheckpointMerger::new(spec, 0).unwrap();
    for b in batches {
        merger.add(b).unwrap();
        if let Some(c) = merger.complete_through() {
            for i in 0..=c {
                assert_eq!(bits(merger.stats_at(i).unwrap()), bits(&want.checkpoints[i]), "checkpoint {i}");
            }
        }
    }
    merger
}

#[test]
fn any_split_into_runners_and_any_order_of_batches_give_the_same_bits() {
    let mut smooth = spec(16, 7, 60, 0.5);
    smooth.momentum = 0.3;
    for s in [smooth, mixed_spec()] {
        let want = run_members(&s, 0..s.members, |_| ControlFlow::Continue(())).unwrap();
        assert!(want.checkpoints.len() > 5);
        let mut splits: Vec<Vec<Range<usize>>> = vec![vec![0..s.members], vec![0..3, 3..s.members]];
        splits.extend((0..6).map(|seed| random_split(s.members, 2 + seed as usize % 2, 100 + seed)));
        splits.push(vec![0..1, 1..1, 1..s.members - 1, s.members - 1..s.members]);
        for (k, split) in splits.iter().enumerate() {
            let mut all: Vec<CheckpointBatch> =
                split.iter().flat_map(|r| batches(&s, r.clone(), f64::INFINITY)).collect();
            // In runner order, then shuffled: a later checkpoint of one runner may arrive
            // before an earlier one of another (or of itself).
            let merger = merge_checking(&s, &all, &want);
            assert!(merger.is_complete());
            assert_eq!(bits(&merger.stats()), bits(&want), "split {split:?}");
            shuffle(&mut all, k as u64);
            let merger = merge_checking(&s, &all, &want);
            assert_eq!(bits(&merger.stats()), bits(&want), "split {split:?}, shuffled");
        }
        // The web page's former path, one-member statistics merged in member order
        // (EnsembleStats::merge), is the same fold.
        let mut by_member = EnsembleStats::empty(&s);
        for m in 0..s.members {
            by_member.merge(&run_members(&s, m..m + 1, |_| ControlFlow::Continue(())).unwrap()).unwrap();
        }
        assert_eq!(bits(&by_member), bits(&want));
    }
}

#[test]
fn tiny_work_budgets_give_the_same_batches_as_whole_checkpoints() {
    for s in [spec(16, 3, 40, 0.5), mixed_spec()] {
        let whole = batches(&s, 0..s.members, f64::INFINITY);
        let tiny = batches(&s, 0..s.members, 1.0);
        let some = batches(&s, 0..s.members, 7.0 * s.flops_per_step());
        assert_eq!(bits(&whole), bits(&tiny));
        assert_eq!(bits(&whole), bits(&some));
    }
    // The budget bounds the steps of a call: one step with a 1-FLOP budget, at most 10 with a
    // budget of 10 steps (the shares are rounded down, at least 1 per member).
    let s = spec(16, 3, 200, 0.1);
    for (budget, most) in [(1.0, 1), (10.0 * s.flops_per_step(), 10)] {
        let mut runner = EnsembleRunner::new(&s, 0..3).unwrap();
        let mut calls = 0;
        loop {
            match runner.advance(budget).unwrap() {
                Advance::Working { steps_done } => assert!(steps_done <= most, "{steps_done}"),
                Advance::Checkpoint(_) => {}
                Advance::Done => break,
            }
            calls += 1;
        }
        assert_eq!(runner.diverged(), 0);
        assert_eq!(runner.steps_done(), runner.steps_total());
        assert!(calls as u64 >= 3 * 200 / most, "{calls} calls with budget {budget}");
    }
}

#[test]
fn a_discarded_range_is_forgotten_and_its_rerun_gives_the_same_bits() {
    let s = spec(16, 7, 60, 0.5);
    let want = run_members(&s, 0..7, |_| ControlFlow::Continue(())).unwrap();
    let a = batches(&s, 0..3, f64::INFINITY);
    let b = batches(&s, 3..7, f64::INFINITY);
    let mut merger = CheckpointMerger::new(&s, 0).unwrap();
    // Runner B got to checkpoint 3, runner A to checkpoint 2, then B is lost.
    for batch in a[..3].iter().chain(&b[..4]) {
        merger.add(batch).unwrap();
    }
    assert_eq!(merger.complete_through(), Some(2));
    merger.discard(3..7).unwrap();
    assert_eq!(merger.complete_through(), Some(2), "complete checkpoints are not affected");
    // A reaches checkpoint 3: without B's forgotten entries it is not complete.
    merger.add(&a[3]).unwrap();
    assert_eq!(merger.complete_through(), Some(2), "discard must forget B's entries at checkpoint 3");
    for batch in &a[4..] {
        merger.add(batch).unwrap();
    }
    // B rerun from its seeds, from the start: checkpoints 0–2 are complete and ignored.
    for batch in &batches(&s, 3..7, 50.0 * s.flops_per_step()) {
        merger.add(batch).unwrap();
    }
    assert_eq!(bits(&merger.stats()), bits(&want));
    assert!(matches!(merger.discard(5..9), Err(EnsembleError::MemberRange { .. })));
}

/// The member's training loss at every step up to K, by an independent loop over the same
/// network and trainer: `Some(s)` for the first step whose loss is non-finite or above
/// LOSS_FACTOR × the initial loss.
fn network_divergence_step(s: &EnsembleSpec, member: usize) -> Option<u64> {
    let net = Mlp::<f32>::new(&s.arch, 1, s.width, member_seed(s.seed, member as u64)).unwrap();
    let x: Vec<f64> = s.data.x_train.iter().flatten().copied().collect();
    let opts = TrainOptions {
        momentum: s.momentum,
        readout_only: s.readout_only,
        ..TrainOptions::gd(s.learning_rate)
    };
    let mut trainer = Trainer::network(net, &x, &s.data.y_train, opts).unwrap();
    let mut initial = None;
    for k in 0..=s.steps {
        let loss = trainer.step();
        let l0 = *initial.get_or_insert(loss);
        if !loss.is_finite() || loss > LOSS_FACTOR * l0 {
            return Some(k);
        }
    }
    None
}

#[test]
fn a_diverged_member_counts_before_its_step_and_not_from_it_on() {
    let s = mixed_spec();
    let schedule = s.schedule();
    let mut merger = CheckpointMerger::new(&s, s.members).unwrap();
    for b in batches(&s, 0..s.members, f64::INFINITY) {
        merger.add(&b).unwrap();
    }
    let stats = merger.stats();
    let divergence_step: Vec<Option<u64>> =
        (0..s.members).map(|m| stats.diverged.iter().find(|d| d.member == m).map(|d| d.step)).collect();
    // The network's divergences are those of the independent loop, at the same step.
    let mut network_late = 0;
    for m in 0..s.members {
        let d = stats.diverged.iter().find(|d| d.member == m);
        match network_divergence_step(&s, m) {
            Some(k) => {
                // The network blows up at step k unless its linearization was caught first at a
                // checkpoint at or before k.
                let d = d.unwrap_or_else(|| panic!("member {m} diverges at step {k} but is not reported"));
                assert!(
                    (d.model == DivergedModel::Network && d.step == k)
                        || (d.model == DivergedModel::Linearization && d.step <= k),
                    "member {m}: {d:?}, network diverges at {k}"
                );
                if d.model == DivergedModel::Network && schedule.iter().any(|&c| c > 0 && c < k) {
                    network_late += 1;
                }
            }
            None => assert!(d.is_none_or(|d| d.model == DivergedModel::Linearization), "member {m}: {d:?}"),
        }
    }
    assert!(network_late > 0, "the job should have a network that diverges after a checkpoint");
    assert!(stats.diverged.len() < s.members && !stats.diverged.is_empty());
    for (c, &step) in schedule.iter().enumerate() {
        let counted = divergence_step.iter().filter(|d| d.is_none_or(|s| s > step)).count();
        let cs = merger.stats_at(c).unwrap();
        assert_eq!(cs.members(), counted, "checkpoint {c} (step {step})");
        assert_eq!(cs.summary(s.learning_rate, true).members, counted);
        // Each member's entry: a record before its divergence step, the divergence from it on.
        for (m, divergence) in divergence_step.iter().enumerate() {
            let entry = &merger.member_entries(m).unwrap()[c];
            match *divergence {
                Some(d) if d <= step => {
                    assert!(matches!(entry.state, MemberState::Diverged { step: s, .. } if s == d))
                }
                _ => assert!(entry.record().is_some(), "member {m} at checkpoint {c}"),
            }
        }
    }
    // Members that count are exactly those with records: the means are their plain averages
    // (independent of the running-moment code, within 1e-12 relative: 12 values).
    for (c, cs) in stats.checkpoints.iter().enumerate() {
        let losses: Vec<f64> = (0..s.members)
            .filter_map(|m| merger.member_entries(m).unwrap()[c].record().map(|r| r.train_loss.nn))
            .collect();
        let mean = losses.iter().sum::<f64>() / losses.len() as f64;
        assert!((cs.train_loss_nn.mean - mean).abs() <= 1e-12 * mean.abs(), "checkpoint {c}");
    }
}

#[test]
fn batches_travel_as_json_without_changing_a_bit() {
    let s = mixed_spec();
    let want = run_members(&s, 0..s.members, |_| ControlFlow::Continue(())).unwrap();
    let mut merger = CheckpointMerger::new(&s, 0).unwrap();
    for range in [0..5, 5..16] {
        for b in batches(&s, range, 1e5) {
            let text = serde_json::to_string(&b).unwrap();
            let back: CheckpointBatch = serde_json::from_str(&text).unwrap();
            assert_eq!(bits(&back), text);
            merger.add(&back).unwrap();
        }
    }
    assert_eq!(bits(&merger.stats()), bits(&want));
}

#[test]
fn the_merger_rejects_what_is_not_of_its_job_and_keeps_nothing_of_it() {
    let s = spec(8, 4, 20, 0.5);
    let good = batches(&s, 0..4, f64::INFINITY);
    let mut merger = CheckpointMerger::new(&s, 2).unwrap();
    let mut wrong_step = good[1].clone();
    wrong_step.step += 1;
    assert!(matches!(merger.add(&wrong_step), Err(EnsembleError::NotInSchedule { .. })));
    let mut past_end = good[0].clone();
    past_end.checkpoint = 99;
    assert!(matches!(merger.add(&past_end), Err(EnsembleError::NotInSchedule { .. })));
    let other_job = batches(&spec(8, 6, 20, 0.5), 4..6, f64::INFINITY);
    assert!(matches!(merger.add(&other_job[0]), Err(EnsembleError::MemberRange { .. })));
    // A bad entry after a good one: the good one is not kept either.
    let mut bad_shape = good[0].clone();
    if let MemberState::Record(r) = &mut bad_shape.members[3].state {
        r.nn.pop();
    }
    let e = merger.add(&bad_shape).unwrap_err();
    assert!(e.to_string().contains("member 3"), "{e}");
    let mut unsorted = good[0].clone();
    unsorted.members.swap(0, 1);
    assert!(matches!(merger.add(&unsorted), Err(EnsembleError::Mismatch(_))));
    assert_eq!(merger.complete_through(), None);
    // Members 0..3 of checkpoint 0, then a different entry for member 1: a conflict.
    let mut first_three = good[0].clone();
    first_three.members.truncate(3);
    merger.add(&first_three).unwrap();
    merger.add(&first_three).unwrap(); // the same entries again: ignored
    let mut conflict = first_three.clone();
    if let MemberState::Record(r) = &mut conflict.members[1].state {
        r.ntk_change += 1.0;
    }
    assert_eq!(merger.add(&conflict), Err(EnsembleError::ConflictingReport { member: 1, checkpoint: 0 }));
    for b in &good {
        merger.add(b).unwrap();
    }
    let want = run_members(&s, 0..4, |_| ControlFlow::Continue(())).unwrap();
    assert_eq!(bits(&merger.stats()), bits(&want));
    // A batch of a complete checkpoint is ignored, even a different one.
    merger.add(&conflict).unwrap();
    assert_eq!(bits(&merger.stats()), bits(&want));
    // The first 2 members' entries are kept, the others not.
    assert_eq!(merger.member_entries(1).unwrap().len(), s.schedule().len());
    assert_eq!(merger.member_entries(1).unwrap()[3], good[3].members[1]);
    assert!(merger.member_entries(2).is_none());
}

#[test]
fn runners_and_mergers_reject_bad_ranges() {
    let s = spec(8, 4, 20, 0.5);
    assert!(matches!(EnsembleRunner::new(&s, 3..5), Err(EnsembleError::MemberRange { .. })));
    assert!(matches!(CheckpointMerger::for_members(&s, 2..7, 0), Err(EnsembleError::MemberRange { .. })));
    let mut bad = s.clone();
    bad.width = 0;
    assert!(EnsembleRunner::new(&bad, 0..1).is_err());
    // An empty range reports every checkpoint with no member, then Done.
    let empty = batches(&s, 2..2, 1.0);
    assert_eq!(empty.len(), s.schedule().len());
    assert!(empty.iter().all(|b| b.members.is_empty()));
}
