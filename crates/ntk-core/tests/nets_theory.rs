//! Finite ensembles against the infinite-width theory: NTK-GP (all layers trained), NNGP
//! (readout only), at depth 1 and at the explorer page's default (two erf layers, σ_w² = 2.25,
//! σ_b² = 0.0025, η = 0.1, the cookbook data, width 256), and the 1/√n approach of networks
//! to their linearizations.
//!
//! The ensemble comparisons are statistical tests with tolerances derived from the sample
//! size plus a stated finite-width bias, and each comes with negative controls — the theory at
//! the wrong time (learning rate 1.2η) and the other GP — that the same criterion must reject.
//! Everything is seeded, so a verdict is reproducible. They use only the public API
//! (`run_members`, `EnsembleSpec`, `summary()`), so a rewrite of the runner keeps them.
//!
//! Runtime (test build; ntk-core itself is optimised in test builds): 14 s of CPU, 23–52 s wall
//! for the whole file on the 2-core development machine while others compiled (2026-11-30).
//! Seed robustness: with 12 other seeds the correct GPs' worst ratio stayed in 0.2–0.65
//! (0.98 once, seed 99, depth 1 variance: a 3.9-SE deviation, within the stated ≲ 1e-2).

use std::ops::ControlFlow;

use nalgebra::{DMatrix, DVector};
use ntk_core::datasets::ExplicitData;
use ntk_core::nets::ensemble::{run_members, EnsembleSpec, EnsembleSummary};
use ntk_core::theory::gp::{GpDynamics, MarginalPrediction, TrainingTime};
use ntk_core::{Activation, Architecture, Parameterization};

/// Depth 1: one erf layer, three training points, four test points, 40 steps.
fn depth_one(width: usize, members: usize, readout_only: bool) -> EnsembleSpec {
    let arch = Architecture::new(1, Activation::Erf, 2.25, 0.05, Parameterization::Ntk).unwrap();
    EnsembleSpec {
        arch,
        width,
        data: ExplicitData {
            x_train: vec![vec![-1.5], vec![0.3], vec![1.2]],
            y_train: vec![-0.8, 0.3, 0.9],
            x_test: vec![vec![-2.5], vec![-0.6], vec![0.8], vec![2.0]],
            y_test: None,
        },
        learning_rate: 0.25,
        steps: 40,
        momentum: 0.0,
        readout_only,
        loss: Default::default(),
        batch_size: None,
        seed: 2024,
        members,
        checkpoints: 5,
        alpha: None,
        quadratic: false,
    }
}

/// The explorer page's default (depth 2, erf, σ_w² = 2.25, σ_b² = 0.0025, η = 0.1, 5 noisy sin
/// points): the cookbook spec, 200 steps (t = 20, past the fast modes, mid-way through the
/// slow ones), eight of its 50 test points.
fn page_default(width: usize, members: usize, readout_only: bool) -> EnsembleSpec {
    let mut s = EnsembleSpec::cookbook(members, 200, width, 5);
    s.data.x_test = s.data.x_test.iter().step_by(7).cloned().collect();
    s.data.y_test = None;
    s.readout_only = readout_only;
    s.seed = 7;
    s
}

fn matrix(rows: &[Vec<f64>]) -> DMatrix<f64> {
    DMatrix::from_row_iterator(rows.len(), rows[0].len(), rows.iter().flatten().copied())
}

fn gp_of(s: &EnsembleSpec) -> GpDynamics {
    let y = DVector::from_vec(s.data.y_train.clone());
    GpDynamics::new(&s.arch, &matrix(&s.data.x_train), &y, &matrix(&s.data.x_test), 0.0).unwrap()
}

fn run(s: &EnsembleSpec) -> EnsembleSummary {
    let stats = run_members(s, 0..s.members, |_| ControlFlow::Continue(())).unwrap();
    let summary = stats.summary();
    assert_eq!(summary.diverged, 0, "{:?}", summary.diverged_members);
    summary
}

/// Standard errors allowed, two-sided. Under the theory each mean z-score is ≈ N(0, 1) and each
/// variance z-score ≈ a standardized χ²_{M−1}; a run makes 2·J·C ≤ 80 comparisons (J test points,
/// C = 5 checkpoints), so P(some |z| > 4) ≲ 80 × 1e-4 < 1e-2 (the χ² upper tail at 4 sd with
/// 199 degrees of freedom is ≈ 1e-4, the normal's 6.3e-5).
const K_SE: f64 = 4.0;

/// A finite-width bias bound `c/n` on |E f − μ| and on |Var f − v| (absolute, in output units;
/// the outputs here are O(1)). Measured with `measure_finite_width_bias` (ignored test; 4000
/// members at n = 32…256; 2026-11-30): the largest deviation over test points and checkpoints,
/// less two standard errors, times n, stays roughly constant in n (a 1/n bias, not 1/√n); each
/// bound below is about twice the largest measured value.
#[derive(Clone, Copy, Debug)]
struct Bias {
    mean: f64,
    var: f64,
}

/// Depth 1, all layers trained: measured n·|bias| ≤ 3.0 (mean), ≤ 6.0 (variance).
const DEPTH_ONE_BIAS: Bias = Bias { mean: 6.0, var: 12.0 };
/// Page default, all layers trained: measured n·|bias| ≤ 4.9 (mean), ≤ 6.7 (variance).
const PAGE_DEFAULT_BIAS: Bias = Bias { mean: 10.0, var: 14.0 };
/// Readout only (depth 1 and page default): the features are fixed, so only their
/// non-Gaussianity biases the outputs; measured n·|bias| ≤ 0.16 (mean), ≤ 0.05 (variance).
const READOUT_ONLY_BIAS: Bias = Bias { mean: 0.5, var: 0.5 };

/// The worst ratio |deviation| / tolerance over every checkpoint and test point, for the mean
/// and the variance, of an ensemble against a GP prediction `theory(step)`:
/// mean tolerance `K_SE √(v/M) + c_mean/n`, variance tolerance `K_SE v √(2/(M−1)) + c_var/n`
/// (standard error of a mean of M draws of variance v, and of a Gaussian sample variance).
/// A ratio ≤ 1 accepts the theory.
fn worst_ratio(
    summary: &EnsembleSummary,
    width: usize,
    bias: Bias,
    theory: impl Fn(u64) -> MarginalPrediction,
) -> (f64, f64) {
    let m = summary.members as f64;
    let n = width as f64;
    let (mut mean_ratio, mut var_ratio) = (0.0f64, 0.0f64);
    for c in &summary.checkpoints {
        let p = theory(c.step);
        for j in 0..p.mean.len() {
            let (mu, v) = (p.mean[j], p.var[j]);
            let tol_mean = K_SE * (v / m).sqrt() + bias.mean / n;
            let tol_var = K_SE * v * (2.0 / (m - 1.0)).sqrt() + bias.var / n;
            mean_ratio = mean_ratio.max((c.nn.mean[j] - mu).abs() / tol_mean);
            var_ratio = var_ratio.max((c.nn.var[j] - v).abs() / tol_var);
        }
    }
    (mean_ratio, var_ratio)
}

/// The ensemble follows its GP (NTK-GP, or NNGP when only the readout trains) at every
/// checkpoint within the derived tolerance; the same criterion rejects the GP at learning rate
/// 1.2η (a time off by 20%) and the other GP.
fn follows_its_gp(s: &EnsembleSpec, bias: Bias) {
    let summary = run(s);
    let gp = gp_of(s);
    let eta = s.learning_rate;
    let at = |steps: u64, lr: f64| TrainingTime::Steps { steps, learning_rate: lr };
    // The GP this ensemble follows, and the other one (a negative control).
    let gp_at = |ntk: bool, t: TrainingTime| if ntk { gp.ntk_gp_marginal(t) } else { gp.nngp_marginal(t) };
    let right = |t| gp_at(!s.readout_only, t);
    let wrong = |t| gp_at(s.readout_only, t);
    let what =
        format!("depth {} readout_only={} n={} M={}", s.arch.depth, s.readout_only, s.width, s.members);
    let theory = worst_ratio(&summary, s.width, bias, |k| right(at(k, eta)));
    let late = worst_ratio(&summary, s.width, bias, |k| right(at(k, 1.2 * eta)));
    let other = worst_ratio(&summary, s.width, bias, |k| wrong(at(k, eta)));
    println!("{what}: worst |deviation|/tolerance (mean, variance): GP {theory:.2?}, 1.2η {late:.2?}, other GP {other:.2?}");
    assert!(theory.0 <= 1.0 && theory.1 <= 1.0, "{what}: the GP is rejected {theory:.2?}");
    assert!(late.0.max(late.1) > 1.0, "{what}: the GP at 1.2η is accepted {late:.2?}");
    assert!(other.0.max(other.1) > 1.0, "{what}: the other GP is accepted {other:.2?}");
    // Training moved the mean away from the prior (so the comparison is not vacuous).
    let last = summary.checkpoints.last().unwrap();
    assert!(last.train_loss.nn < 0.5 * summary.checkpoints[0].train_loss.nn, "{what}: no training");
}

#[test]
fn depth_one_ensemble_follows_the_ntk_gp() {
    follows_its_gp(&depth_one(1024, 200, false), DEPTH_ONE_BIAS);
}

#[test]
fn depth_one_readout_only_ensemble_follows_the_nngp() {
    follows_its_gp(&depth_one(1024, 1000, true), READOUT_ONLY_BIAS);
}

#[test]
fn page_default_ensemble_follows_the_ntk_gp() {
    follows_its_gp(&page_default(256, 200, false), PAGE_DEFAULT_BIAS);
}

#[test]
fn page_default_readout_only_ensemble_follows_the_nngp() {
    follows_its_gp(&page_default(256, 600, true), READOUT_ONLY_BIAS);
}

/// Measures the finite-width bias constants quoted at [`DEPTH_ONE_BIAS`] and
/// [`PAGE_DEFAULT_BIAS`]: for n = 32, 64, 128 and 4000 members, the largest
/// `n·(|ensemble − GP| − 2 SE)` over test points and checkpoints, for the mean and the variance.
/// `cargo test -p ntk-core --test nets_theory -- --ignored --nocapture` (a few minutes).
#[test]
#[ignore]
fn measure_finite_width_bias() {
    let members = 4000;
    for (name, make) in [
        ("depth one", depth_one as fn(usize, usize, bool) -> EnsembleSpec),
        ("page default", page_default as fn(usize, usize, bool) -> EnsembleSpec),
    ] {
        for readout_only in [false, true] {
            for width in [32usize, 64, 128, 256] {
                let s = make(width, members, readout_only);
                let summary = run_members(&s, 0..s.members, |_| ControlFlow::Continue(())).unwrap().summary();
                if summary.diverged > 0 {
                    // Small widths: Θ̂₀ fluctuates, and a few members' λ_max exceed 2N/η.
                    println!(
                        "{name} readout_only={readout_only} n={width}: {} diverged, skipped",
                        summary.diverged
                    );
                    continue;
                }
                let gp = gp_of(&s);
                let m = summary.members as f64;
                let (mut b_mean, mut b_var) = (0.0f64, 0.0f64);
                for c in &summary.checkpoints {
                    let t = TrainingTime::Steps { steps: c.step, learning_rate: s.learning_rate };
                    let p = if readout_only { gp.nngp_marginal(t) } else { gp.ntk_gp_marginal(t) };
                    for j in 0..p.mean.len() {
                        let (mu, v) = (p.mean[j], p.var[j]);
                        let se_mean = (v / m).sqrt();
                        let se_var = v * (2.0 / (m - 1.0)).sqrt();
                        b_mean = b_mean.max((c.nn.mean[j] - mu).abs() - 2.0 * se_mean);
                        b_var = b_var.max((c.nn.var[j] - v).abs() - 2.0 * se_var);
                    }
                }
                let n = width as f64;
                println!(
                    "{name} readout_only={readout_only} n={width}: n·bias mean {:.3}, variance {:.3}",
                    n * b_mean.max(0.0),
                    n * b_var.max(0.0)
                );
            }
        }
    }
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
        let mut s = depth_one(w, 12, false);
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
