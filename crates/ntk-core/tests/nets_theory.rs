//! Finite ensembles against the infinite-width theory: NTK-GP (all layers trained), NNGP
//! (readout only), and the 1/√n approach of networks to their linearizations.
//! One hidden layer keeps the debug-mode suite fast at width ≥ 1024.

use std::ops::ControlFlow;

use nalgebra::{DMatrix, DVector};
use ntk_core::nets::ensemble::{run_members, EnsembleSpec};
use ntk_core::theory::gp::{GpDynamics, TrainingTime};
use ntk_core::{Activation, Architecture, Parameterization};

fn spec(width: usize, members: usize, readout_only: bool) -> EnsembleSpec {
    let arch = Architecture::new(1, Activation::Erf, 2.25, 0.05, Parameterization::Ntk).unwrap();
    EnsembleSpec {
        arch,
        width,
        x_train: vec![vec![-1.5], vec![0.3], vec![1.2]],
        y_train: vec![-0.8, 0.3, 0.9],
        x_test: vec![vec![-2.5], vec![-0.6], vec![0.8], vec![2.0]],
        y_test: None,
        learning_rate: 0.25,
        steps: 40,
        momentum: 0.0,
        readout_only,
        seed: 2024,
        members,
        checkpoints: 5,
    }
}

fn matrix(rows: &[Vec<f64>]) -> DMatrix<f64> {
    DMatrix::from_row_iterator(rows.len(), rows[0].len(), rows.iter().flatten().copied())
}

/// Ensemble mean and variance vs the GP at every checkpoint. The mean of M members has
/// standard error √(σ²/M): we allow 4 of those plus a finite-width bias of 3σ_scale/√n; the
/// sample variance has relative standard error √(2/(M−1)) (Gaussian outputs): we allow 4 of
/// those plus 4/√n.
fn compare_with_gp(readout_only: bool) {
    let (width, members) = (1024, 200);
    let s = spec(width, members, readout_only);
    let stats = run_members(&s, 0..members, |_| ControlFlow::Continue(())).unwrap();
    assert!(stats.diverged.is_empty(), "{:?}", stats.diverged);
    let summary = stats.summary();
    let gp = GpDynamics::new(
        &s.arch,
        &matrix(&s.x_train),
        &DVector::from_vec(s.y_train.clone()),
        &matrix(&s.x_test),
        0.0,
    )
    .unwrap();
    let m = members as f64;
    let sqrt_n = (width as f64).sqrt();
    for c in &summary.checkpoints {
        let t = TrainingTime::Steps { steps: c.step, learning_rate: s.learning_rate };
        let pred = if readout_only { gp.nngp(t) } else { gp.ntk_gp(t) };
        let var = pred.var();
        for j in 0..s.x_test.len() {
            let (mu, v) = (pred.mean[j], var[j]);
            let scale = v.sqrt() + mu.abs();
            let tol_mean = 4.0 * (v / m).sqrt() + 3.0 * scale / sqrt_n;
            assert!(
                (c.nn.mean[j] - mu).abs() < tol_mean,
                "readout_only={readout_only} step {} point {j}: ensemble mean {} theory {mu} (tol {tol_mean})",
                c.step,
                c.nn.mean[j]
            );
            let tol_var = v * (4.0 * (2.0 / (m - 1.0)).sqrt() + 4.0 / sqrt_n) + 1e-6;
            assert!(
                (c.nn.var[j] - v).abs() < tol_var,
                "readout_only={readout_only} step {} point {j}: ensemble var {} theory {v} (tol {tol_var})",
                c.step,
                c.nn.var[j]
            );
        }
    }
    // Training moved the mean away from the prior (so the comparison is not vacuous).
    let last = summary.checkpoints.last().unwrap();
    assert!(last.train_loss.nn < 0.5 * summary.checkpoints[0].train_loss.nn);
}

#[test]
fn ensemble_follows_the_ntk_gp() {
    compare_with_gp(false);
}

#[test]
fn readout_only_ensemble_follows_the_nngp() {
    compare_with_gp(true);
}

/// RMSE(network, linearization) on test points at the end of training vs width: least-squares
/// slope of log RMSE on log n over five widths. Theorem 2.1 bounds the gap by O(n^{-1/2});
/// the paper observes the kernel change — the driver of the gap — "closer to O(1/n)" (Figure 1
/// caption), and that is what one hidden layer shows here (slope ≈ −1). The interval
/// [−1.4, −0.4] accepts both rates and the 12-member averages' noise, and fails if the gap
/// does not shrink at least like the bound.
#[test]
fn network_approaches_its_linearization_as_width_grows() {
    let widths = [128usize, 256, 512, 1024, 2048];
    let mut pts = Vec::new();
    for &w in &widths {
        let mut s = spec(w, 12, false);
        s.checkpoints = 2;
        let stats = run_members(&s, 0..12, |_| ControlFlow::Continue(())).unwrap();
        assert!(stats.diverged.is_empty(), "{:?}", stats.diverged);
        let last = stats.summary().checkpoints.last().cloned().unwrap();
        pts.push(((w as f64).ln(), last.rmse_nn_lin.ln()));
    }
    let k = pts.len() as f64;
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / k, pts.iter().map(|p| p.1).sum::<f64>() / k);
    let slope = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
        / pts.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
    assert!((-1.4..=-0.4).contains(&slope), "slope {slope}, points {pts:?}");
}
