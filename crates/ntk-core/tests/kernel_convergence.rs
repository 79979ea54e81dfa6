//! Kernel convergence (paper SM I, Figures S9–S10): the Monte Carlo error of empirical
//! kernels averaged over M networks of width n falls like (nM)^{−1/2}.
//!
//! # Tolerance of the slopes
//!
//! Each point is the mean over G groups of a relative Frobenius error whose spread over groups
//! is typically 20–30 % (10–60 % measured: the error of one kernel is dominated by a few large
//! entries). With G = 16 groups (M = 1) or G = 4 (M = 4), the mean has ≈ 7 % / 15 % relative
//! noise, i.e. ≈ 0.07 / 0.15 in log; the log-width grid 16 … 512 has Σ(u − ū)² = (ln 2)² · 17.5
//! ≈ 8.4, so the fitted slope has a standard error ≈ 0.07/2.9 ≈ 0.025 (M = 1) and ≈ 0.05
//! (M = 4) — the fits' own residual standard errors are 0.01–0.05. ±0.1 is 2–4 standard
//! errors, and the seeds below are fixed (deterministic). The finite-width bias (O(1/n), zero
//! with one hidden layer) is ≪ the spread at these M and n (the decomposition measures it).

use std::ops::ControlFlow;

use ntk_core::experiments::kernel_convergence::{
    run_convergence, run_convergence_width, ConvergenceData, ConvergenceError, ConvergenceResult,
    ConvergenceSpec,
};
use ntk_core::{Activation, Architecture, Parameterization};

fn spec(act: Activation, depth: usize, sw2: f64, sb2: f64) -> ConvergenceSpec {
    ConvergenceSpec {
        arch: Architecture::new(depth, act, sw2, sb2, Parameterization::Ntk).unwrap(),
        data: ConvergenceData::Gaussian { points: 8, dim: 16, seed: 1 },
        widths: vec![16, 32, 64, 128, 256, 512],
        samples: vec![1, 4, 16],
        seed: 20_190_602,
    }
}

fn go(_: &ntk_core::experiments::kernel_convergence::ConvergenceProgress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

#[test]
fn error_falls_like_n_to_the_minus_half() {
    for (act, depth, sw2, sb2) in
        [(Activation::Relu, 1, 2.0, 0.0), (Activation::Relu, 3, 2.0, 0.0), (Activation::Erf, 2, 2.0, 0.1)]
    {
        let r = run_convergence(&spec(act, depth, sw2, sb2), go).unwrap();
        for (k, m) in [(0, 1), (1, 4)] {
            let s = r.width_slopes[k];
            for (which, fit) in [("NNGP", s.nngp.unwrap()), ("NTK", s.ntk.unwrap())] {
                assert!(
                    (fit.slope + 0.5).abs() < 0.1,
                    "{act} L={depth} M={m} {which}: slope {} (±{:?})",
                    fit.slope,
                    fit.slope_stderr
                );
            }
        }
    }
}

#[test]
fn error_falls_like_m_to_the_minus_half_without_bias() {
    // One hidden layer: E[K̂] = K exactly, so the M-average's error is pure Monte Carlo noise,
    // ∝ M^{−1/2} at every width. The slope per width over M = 1, 4, 16 rests on 16, 4 and 1
    // groups (noisier than the width fits), so the mean slope over the six widths is tested:
    // its standard error is ≈ 0.1/√6 ≈ 0.04.
    let r = run_convergence(&spec(Activation::Relu, 1, 2.0, 0.0), go).unwrap();
    for which in ["NNGP", "NTK"] {
        let slopes: Vec<f64> = r
            .sample_slopes
            .iter()
            .map(|s| if which == "NNGP" { s.nngp } else { s.ntk }.unwrap().slope)
            .collect();
        let mean = slopes.iter().sum::<f64>() / slopes.len() as f64;
        assert!((mean + 0.5).abs() < 0.1, "{which}: slopes in M {slopes:?}");
    }
    // The decomposition: no bias beyond noise, and error(M) ≈ spread/√M.
    for p in &r.points {
        for e in &p.errors {
            let predicted = p.nngp_parts.spread / (e.samples as f64).sqrt();
            // A mean over G ≥ 1 groups of errors whose relative spread is 10–60 %, and the
            // Jensen gap E‖X‖ ≤ √(E‖X‖²) of the norm: measured ratios 0.74–1.25; allow 0.6–1.6.
            let ratio = e.nngp.mean / predicted;
            assert!(
                (0.6..1.6).contains(&ratio),
                "n={} M={}: {} vs {predicted}",
                p.width,
                e.samples,
                e.nngp.mean
            );
        }
        // Debiased bias estimate ≪ spread (it is 0 in expectation here).
        assert!(p.nngp_parts.bias < 0.3 * p.nngp_parts.spread, "n={}: {:?}", p.width, p.nngp_parts);
    }
}

#[test]
fn widths_are_independent_jobs_and_bad_specs_are_typed_errors() {
    let s =
        ConvergenceSpec { widths: vec![8, 16], samples: vec![1, 2], ..spec(Activation::Erf, 2, 1.5, 0.1) };
    let whole = run_convergence(&s, go).unwrap();
    let parts = vec![run_convergence_width(&s, 16, go).unwrap(), run_convergence_width(&s, 8, go).unwrap()];
    assert_eq!(ConvergenceResult::assemble(&s, parts).unwrap(), whole);
    assert!(ConvergenceResult::assemble(&s, vec![whole.points[0].clone()]).is_err());
    assert_eq!(run_convergence_width(&s, 12, go), Err(ConvergenceError::NotOnGrid(12)));
    let json = serde_json::to_string(&whole).unwrap();
    assert_eq!(serde_json::from_str::<ConvergenceResult>(&json).unwrap(), whole);
    let bad = ConvergenceSpec { widths: vec![16, 8], ..s.clone() };
    assert!(matches!(bad.validate(), Err(ConvergenceError::Grid { .. })));
    let bad = ConvergenceSpec { samples: vec![], ..s.clone() };
    assert!(matches!(bad.validate(), Err(ConvergenceError::Grid { .. })));
    let bad =
        ConvergenceSpec { data: ConvergenceData::Points { x: vec![vec![1.0], vec![1.0, 2.0]] }, ..s.clone() };
    assert!(matches!(bad.validate(), Err(ConvergenceError::Data(_))));
    let mut std_arch = s.clone();
    std_arch.arch.param = Parameterization::Standard;
    assert!(matches!(std_arch.validate(), Err(ConvergenceError::Parameterization(_))));
    // Cancellation.
    let r = run_convergence_width(&s, 8, |_| ControlFlow::Break(()));
    assert_eq!(r, Err(ConvergenceError::Cancelled));
}
