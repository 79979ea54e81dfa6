//! The ensemble runner: split-and-merge, determinism, divergence handling, cancellation,
//! readout-only exactness and the serialized job.

use std::ops::ControlFlow;

use ntk_core::datasets::ExplicitData;
use ntk_core::nets::ensemble::{checkpoint_steps, run_members, EnsembleError, EnsembleSpec, EnsembleStats};
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

fn go(s: &EnsembleSpec, r: std::ops::Range<usize>) -> EnsembleStats {
    run_members(s, r, |_| ControlFlow::Continue(())).unwrap()
}

fn assert_close(a: &EnsembleStats, b: &EnsembleStats, rel: f64) {
    assert_eq!(a.members_run, b.members_run);
    assert_eq!(a.diverged, b.diverged);
    for (x, y) in a.checkpoints.iter().zip(&b.checkpoints) {
        assert_eq!(x.step, y.step);
        let pairs = x.nn.items.iter().zip(&y.nn.items).chain(x.lin.items.iter().zip(&y.lin.items));
        let pairs = pairs.chain(x.weight_change.items.iter().zip(&y.weight_change.items));
        let singles = [
            (&x.train_loss_nn, &y.train_loss_nn),
            (&x.train_loss_lin, &y.train_loss_lin),
            (&x.test_loss_nn, &y.test_loss_nn),
            (&x.rmse_nn_lin, &y.rmse_nn_lin),
            (&x.ntk_change, &y.ntk_change),
        ];
        for (p, q) in pairs.chain(singles) {
            assert_eq!(p.count, q.count);
            assert!((p.mean - q.mean).abs() <= rel * p.mean.abs().max(1e-3), "{p:?} vs {q:?}");
            assert!((p.m2 - q.m2).abs() <= rel * p.m2.abs().max(1e-6), "{p:?} vs {q:?}");
        }
    }
}

/// Members are independent and the merge is Chan's exact update: split runs merged in any
/// order equal the single run up to f64 rounding (1e-12 relative).
#[test]
fn split_runs_merge_to_the_full_run() {
    let mut s = spec(16, 7, 40, 0.5);
    s.momentum = 0.3;
    let full = go(&s, 0..7);
    let mut merged = go(&s, 0..3);
    merged.merge(&go(&s, 3..7)).unwrap();
    assert_close(&full, &merged, 1e-12);
    let mut reversed = go(&s, 5..7);
    reversed.merge(&go(&s, 0..1)).unwrap();
    reversed.merge(&go(&s, 1..5)).unwrap();
    assert_close(&full, &reversed, 1e-12);
    // Determinism: a second run is bit-identical.
    assert_eq!(full, go(&s, 0..7));
    // A different job cannot be merged.
    let mut other = go(&spec(16, 2, 41, 0.5), 0..1);
    assert!(matches!(other.merge(&full), Err(EnsembleError::Mismatch(_))));
}

#[test]
fn summary_has_the_documented_shape() {
    let s = spec(8, 3, 20, 0.5);
    let summary = go(&s, 0..3).summary();
    let steps: Vec<u64> = summary.checkpoints.iter().map(|c| c.step).collect();
    assert_eq!(steps, checkpoint_steps(20, 8));
    assert_eq!((steps[0], *steps.last().unwrap()), (0, 20));
    assert!(steps.windows(2).all(|w| w[0] < w[1]));
    let c0 = &summary.checkpoints[0];
    // At step 0 the network is its own linearization (up to the f32/f64 gap of f₀) and nothing
    // has moved yet.
    assert!(c0.rmse_nn_lin < 1e-5, "{}", c0.rmse_nn_lin);
    assert!(c0.weight_change.iter().all(|&w| w == 0.0) && c0.ntk_change == 0.0);
    assert_eq!(c0.nn.mean.len(), 7);
    assert!(c0.test_loss.is_some());
    let last = summary.checkpoints.last().unwrap();
    assert!(last.train_loss.nn < c0.train_loss.nn);
    assert!(last.weight_change.len() == 3 && last.weight_change.iter().all(|&w| w > 0.0));
    assert!((last.time - 0.5 * 20.0).abs() < 1e-12);
    let json = serde_json::to_value(&summary).unwrap();
    assert!(json["checkpoints"][0]["nn"]["var"].is_array());
}

/// A learning rate far above the stability bound 2N/λ_max makes every network blow up:
/// each divergence is reported with its step and the statistics stay finite (empty), never
/// NaN. With a mixed ensemble (bound straddled) the survivors' statistics are finite.
#[test]
fn divergence_is_reported_per_member_and_excluded() {
    let s = spec(8, 3, 200, 200.0);
    let stats = go(&s, 0..3);
    assert_eq!(stats.diverged.len(), 3);
    assert!(stats.diverged.iter().all(|d| d.step > 0 && d.step < 200), "{:?}", stats.diverged);
    let summary = stats.summary();
    assert_eq!(summary.diverged, 3);
    assert!(summary.checkpoints.iter().all(|c| c.nn.mean.iter().all(|v| v.is_finite())));
    // Width 4: Θ̂ fluctuates strongly between seeds, so η = 1 is stable for some members and
    // not for others (networks or their linearizations).
    let mixed = go(&spec(4, 12, 300, 1.0), 0..12);
    let k = mixed.diverged.len();
    assert!(k > 0 && k < 12, "expected a mixed ensemble, {k} of 12 diverged");
    for c in &mixed.summary().checkpoints {
        let all = c.nn.mean.iter().chain(&c.nn.var).chain(&c.lin.mean).chain(&c.lin.var);
        assert!(all.chain(&c.weight_change).all(|v| v.is_finite()) && c.train_loss.nn.is_finite());
    }
}

#[test]
fn readout_only_network_is_its_own_linearization() {
    // The network is linear in the readout parameters, so network and closed form agree to
    // f32 rounding (1e-4 after 300 steps).
    let mut s = spec(32, 3, 300, 1.0);
    s.readout_only = true;
    let summary = go(&s, 0..3).summary();
    for c in &summary.checkpoints {
        assert!(c.rmse_nn_lin < 1e-4, "step {}: {}", c.step, c.rmse_nn_lin);
        // Hidden layers never move.
        assert_eq!(&c.weight_change[..2], &[0.0, 0.0]);
    }
}

#[test]
fn cancellation_and_bad_specs() {
    let s = spec(8, 4, 1000, 0.5);
    let mut calls = 0;
    let r = run_members(&s, 0..4, |p| {
        calls += 1;
        assert!(p.step <= 1000 && p.member < 4);
        if calls > 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert_eq!(r, Err(EnsembleError::Cancelled));
    assert!(matches!(
        run_members(&s, 2..5, |_| ControlFlow::Continue(())),
        Err(EnsembleError::MemberRange { .. })
    ));
    let mut bad = s.clone();
    bad.learning_rate = -1.0;
    let e = bad.validate().unwrap_err();
    assert!(e.to_string().contains("-1"), "{e}");
    let mut bad = s.clone();
    bad.data.x_test[2] = vec![1.0, 2.0];
    assert!(matches!(bad.validate(), Err(EnsembleError::Data(_))));
    let mut bad = s;
    bad.momentum = 1.0;
    assert!(bad.validate().is_err());
}

#[test]
fn spec_round_trips_through_json() {
    let mut s = spec(8, 2, 10, 0.5);
    // Short decimals: serde_json's default float parsing may differ from the shortest
    // representation by one ulp for computed values.
    s.data.y_test = Some(vec![0.5, -0.25, 1.0, 0.0, 2.0, 3.5, -1.0]);
    let text = serde_json::to_string(&s).unwrap();
    let back: EnsembleSpec = serde_json::from_str(&text).unwrap();
    assert_eq!(s, back);
    let stats = go(&s, 0..2);
    let back: EnsembleStats = serde_json::from_str(&serde_json::to_string(&stats).unwrap()).unwrap();
    // Partial statistics travel between workers as JSON: equal up to serde_json's 1-ulp parse.
    assert_close(&stats, &back, 1e-15);
}

/// The ensemble path with minibatches and cross-entropy. A batch of all N points is full-batch
/// descent: the networks' statistics are the same bits, and the linearization trained step by
/// step (f32) matches the closed form (f64) to 2e-4 relative — f32 rounding accumulated over 40
/// steps. With real minibatches (B = 2 of 4) and momentum the run differs from full batch, and
/// with cross-entropy the losses are the logistic loss of the outputs (labels ±1).
#[test]
fn minibatch_and_cross_entropy_ensembles() {
    let full = spec(32, 3, 40, 0.5);
    let batch_n = EnsembleSpec { batch_size: Some(4), ..full.clone() };
    let (a, b) = (go(&full, 0..3), go(&batch_n, 0..3));
    for (x, y) in a.checkpoints.iter().zip(&b.checkpoints) {
        let bits =
            |v: &ntk_core::stats::RunningVec| v.items.iter().map(|r| r.mean.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&x.nn), bits(&y.nn), "step {}", x.step);
        assert_eq!(x.train_loss_nn.mean.to_bits(), y.train_loss_nn.mean.to_bits());
    }
    assert_close(&a, &b, 2e-4);
    let sgd = EnsembleSpec { batch_size: Some(2), momentum: 0.5, ..full.clone() };
    let c = go(&sgd, 0..3);
    let last = |s: &EnsembleStats| s.checkpoints.last().unwrap().nn.items[3].mean;
    assert!((last(&a) - last(&c)).abs() > 1e-3, "minibatches changed nothing");
    let mut xent = EnsembleSpec { loss: ntk_core::nets::loss::Loss::Xent, ..full };
    xent.data.y_train = xent.data.y_train.iter().map(|y| y.signum()).collect();
    xent.data.y_test = None;
    let x = go(&xent, 0..1);
    let c0 = &x.checkpoints[0];
    assert!(c0.train_loss_nn.mean > 0.3 && c0.train_loss_nn.mean < 2.0, "{}", c0.train_loss_nn.mean);
    let end = x.checkpoints.last().unwrap();
    assert!(
        end.train_loss_nn.mean < c0.train_loss_nn.mean && end.train_loss_lin.mean < c0.train_loss_lin.mean
    );
    // Labels that are not ±1 are refused before anything runs.
    let mut bad = xent;
    bad.data.y_train = vec![0.5, 1.0, -1.0, 1.0];
    assert!(bad.validate().unwrap_err().to_string().contains("target 0 is 0.5"));
}
