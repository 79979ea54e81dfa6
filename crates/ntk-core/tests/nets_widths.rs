//! The width-scaling lab (paper Theorem 2.1, Figure 1, Figure S5) on small seeded problems:
//! fitted log-log slopes against theory, splitting and merging, the second axis, validation,
//! the memory guard, divergence and cancellation.
//!
//! The scaling tests use 8 inputs in [−1, 1] (Theorem 2.1 assumes ‖x‖ ≤ 1): erf (φ' Lipschitz,
//! as Theorem 2.1 assumes, SM Eq. S38), whose network–linearization distance falls as n^{−1},
//! and ReLU, whose distance falls as n^{−1/2}. With the default sine data on [−π, π] the erf
//! layer saturates and widths up to 2048 are not yet asymptotic (slopes within ±0.3 of the
//! noise).

use std::ops::ControlFlow;

use ntk_core::datasets::{ExplicitData, Target1d};
use ntk_core::experiments::widths::*;
use ntk_core::nets::ensemble::EnsembleSpec;
use ntk_core::stats::PowerLawFit;
use ntk_core::theory::kernels::kernels;
use ntk_core::theory::landmarks::learning_rate_landmarks;
use ntk_core::{Activation, ArchError, Architecture, Parameterization};

/// `depth` erf layers, σ_w² = 1, σ_b² = 0.1; 8 evenly spaced training inputs on [−1, 1] with
/// y = sin 2x, 21 test points; η = ½ η_critical; 12 checkpoints.
fn smooth(depth: usize, widths: Vec<usize>, seeds: usize, steps: u64) -> WidthSweepSpec {
    let x: Vec<Vec<f64>> = (0..8).map(|i| vec![-1.0 + 2.0 * i as f64 / 7.0]).collect();
    let y = x.iter().map(|v| (2.0 * v[0]).sin()).collect();
    let x_test = (0..21).map(|i| vec![-1.0 + i as f64 / 10.0]).collect();
    WidthSweepSpec {
        arch: Architecture::new(depth, Activation::Erf, 1.0, 0.1, Parameterization::Ntk).unwrap(),
        data: SweepData::Points(ExplicitData { x_train: x, y_train: y, x_test, y_test: None }),
        learning_rate: LearningRate::CriticalFraction(0.5),
        steps,
        seed: 3,
        widths,
        seeds,
        axis: SweepAxis::None,
        checkpoints: 12,
        alpha: None,
    }
}

/// The explorer's default network on the generated sine set (cheap sizes).
fn generated(widths: Vec<usize>, seeds: usize) -> WidthSweepSpec {
    WidthSweepSpec {
        arch: Architecture::new(2, Activation::Erf, 2.25, 0.0025, Parameterization::Ntk).unwrap(),
        data: SweepData::Generated { target: Target1d::Sin, train_size: 5, noise: 0.1, seed: 1 },
        learning_rate: LearningRate::Absolute(0.1),
        steps: 20,
        seed: 0,
        widths,
        seeds,
        axis: SweepAxis::None,
        checkpoints: 5,
        alpha: None,
    }
}

fn run(spec: &WidthSweepSpec) -> SweepResult {
    run_sweep(spec, |_| ControlFlow::Continue(())).unwrap()
}

fn slope(f: &Option<PowerLawFit>) -> f64 {
    f.expect("a fitted slope").slope
}

/// One hidden erf layer, widths 64…2048, 8 seeds, 300 steps (t = η·300 ≈ 600). Measured with
/// job seed 3 (standard errors of the fit in brackets): (a) −0.98 (0.12), (c) −0.96 (0.04),
/// (d) −0.49 (0.02), (b) input −0.47 (0.02), readout −0.49 (0.04).
///
/// Tolerances, from the seed noise: per-seed values spread by sd/mean ≈ 0.4–1 (heavy-tailed:
/// every metric scales with the seed's random initial residual f₀ − y), so the slope changes
/// with the job seed. Over job seeds 1…8 the fitted slopes ranged (a) −0.74…−1.12 (sd 0.11),
/// (c) −0.85…−1.03, (d) −0.38…−0.57 (sd 0.06), (b) −0.44…−0.54; the tolerances below are
/// about 2.5 of those standard deviations.
///
/// (a) is **not** −1/2: Theorem 2.1 (Eq. 17) only bounds `sup_t |f_t − f_t^lin|` by
/// `O(n^{−1/2})`; for smooth φ the gap is second order in the weight change
/// (`½ Δθᵀ ∇²f Δθ` with ‖Δθ‖ = O(1) and a Hessian of O(n^{−1/2}) that acts as O(n^{−1}) along
/// the training directions), so the slope is −1. We check −1 ± 0.3, and that the bound holds
/// (slope < −1/2). (c) lies in [−1, −1/2] as Figure 1 says ("upper bounded by O(1/√n) but
/// closer to O(1/n)"), margin 0.15; (d) is the CLT slope −1/2 ± 0.15.
#[test]
fn smooth_network_slopes_match_theory() {
    let spec = smooth(1, log2_grid(64, 2048, 1).unwrap(), 8, 300);
    let r = run(&spec);
    assert_eq!(r.series.len(), 1);
    let s = &r.series[0].slopes;
    for p in &r.series[0].points {
        assert_eq!(p.diverged, 0, "width {}", p.width);
    }
    let (a, c, d) = (slope(&s.rmse_nn_lin_sup), slope(&s.ntk_change), slope(&s.ntk_init_error));
    eprintln!("slopes (a) {a:.3} (c) {c:.3} (d) {d:.3}, fits {s:?}");
    assert!((a + 1.0).abs() < 0.3, "network–linearization slope {a}");
    assert!(a < -0.5, "Theorem 2.1 bound violated: slope {a}");
    assert!((-1.15..=-0.35).contains(&c), "kernel-change slope {c}");
    assert!((d + 0.5).abs() < 0.15, "Θ̂₀ − Θ slope {d}");
    assert_eq!(s.weight_change.len(), 2);
    for (l, f) in s.weight_change.iter().enumerate() {
        let b = slope(f);
        assert!((b + 0.5).abs() < 0.15, "layer {l} weight-change slope {b}");
    }
}

/// One hidden ReLU layer (σ_w² = 2, σ_b² = 1) on the same data, widths 64…4096, 8 seeds, 300
/// steps: here the network–linearization distance is the −1/2 of Theorem 2.1. ReLU's second
/// derivative is a point mass at 0, so the second-order cancellation of the smooth case does not
/// happen: the units whose pre-activation changes sign during training (a fraction O(n^{−1/2})
/// of them, each moving f by O(n^{−1})) add up to O(n^{−1/2}) with a definite sign.
///
/// Measured with job seed 3: (a) −0.56 (stderr 0.02), (c) −0.69, (d) −0.45. Over job seeds
/// 1…8: (a) −0.42…−0.60 (mean −0.51, sd 0.05), (c) −0.59…−0.69, (d) −0.45…−0.56. Tolerance
/// for (a): −1/2 ± 0.15 (3 sd); (c) strictly in [−1, −1/2] as Figure 1
/// reads (0.09 from the nearest end over those seeds); (d) −1/2 ± 0.15.
///
/// σ_b² matters: a unit's kink sits at x = −σ_b b/(σ_w w), Cauchy-distributed with scale
/// σ_b/σ_w. With σ_b² = 1 the kinks spread over the inputs; with a small σ_b² they crowd near
/// x = 0 and only a few units can represent the data's outer part, so much wider networks are
/// needed before the −1/2 shows (see the README's width-scaling section).
#[test]
fn relu_network_distance_scales_as_one_over_sqrt_n() {
    let mut spec = smooth(1, log2_grid(64, 4096, 1).unwrap(), 8, 300);
    spec.arch = Architecture::new(1, Activation::Relu, 2.0, 1.0, Parameterization::Ntk).unwrap();
    let r = run(&spec);
    let s = &r.series[0].slopes;
    for p in &r.series[0].points {
        assert_eq!(p.diverged, 0, "width {}", p.width);
    }
    let (a, c, d) = (slope(&s.rmse_nn_lin_sup), slope(&s.ntk_change), slope(&s.ntk_init_error));
    eprintln!("slopes (a) {a:.3} (c) {c:.3} (d) {d:.3}, fits {s:?}");
    assert!((a + 0.5).abs() < 0.15, "network–linearization slope {a}");
    assert!((-1.0..=-0.5).contains(&c), "kernel-change slope {c}");
    assert!((d + 0.5).abs() < 0.15, "Θ̂₀ − Θ slope {d}");
}

/// Two hidden erf layers, widths 32…512, 3 seeds, 100 steps: the hidden (n × n) layer's
/// relative change scales as n^{−1}, the input and readout layers' as n^{−1/2} (Figure 1).
/// Measured with job seed 3: −0.64 (input), −1.13 (hidden), −0.56 (readout); over job seeds
/// 1…8: input −0.41…−0.64, hidden −0.91…−1.13, readout −0.37…−0.57 (sd ≈ 0.08 each).
/// Tolerance ±0.2 (2.5 sd) for all three.
#[test]
fn hidden_weights_move_as_one_over_n() {
    let mut spec = smooth(2, log2_grid(32, 512, 1).unwrap(), 3, 100);
    spec.checkpoints = 2;
    let r = run(&spec);
    let b: Vec<f64> = r.series[0].slopes.weight_change.iter().map(slope).collect();
    eprintln!("weight-change slopes {b:?}");
    assert_eq!(b.len(), 3);
    assert!((b[0] + 0.5).abs() < 0.2, "input layer {b:?}");
    assert!((b[1] + 1.0).abs() < 0.2, "hidden layer {b:?}");
    assert!((b[2] + 0.5).abs() < 0.2, "readout layer {b:?}");
}

/// Seeds split across calls (workers) merge to exactly the single run: every seed's metrics
/// depend only on (spec, width, seed), and means are recomputed from the sorted seeds.
#[test]
fn split_seeds_merge_to_the_full_run() {
    let spec = generated(vec![8, 16], 3);
    let full = run(&spec);
    let go = |w: usize, r: std::ops::Range<usize>| {
        run_width_members(&spec, w, None, r, |_| ControlFlow::Continue(())).unwrap()
    };
    let parts = vec![go(16, 2..3), go(8, 0..1), go(16, 0..2), go(8, 1..3)];
    let merged = SweepResult::assemble(&spec, parts).unwrap();
    assert_eq!(merged, full);
    let p = &full.series[0].points[1];
    assert_eq!((p.width, p.depth, p.train_size, p.seeds.len()), (16, 2, 5, 3));
    assert_eq!(p.weight_change.len(), 3);
    // A seed run twice is refused.
    let mut twice = go(8, 0..2);
    assert!(matches!(twice.merge(&go(8, 1..2)), Err(WidthError::Mismatch(_))));
    assert!(matches!(twice.merge(&go(16, 2..3)), Err(WidthError::Mismatch(_))));
    // The spec and the result survive JSON (they are posted to web workers).
    let back: WidthSweepSpec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
    assert_eq!(back, spec);
    let back: SweepResult = serde_json::from_str(&serde_json::to_string(&full).unwrap()).unwrap();
    assert_eq!(back, full);
}

/// The second axis (Figure S5): one series per depth or training-set size, in axis order,
/// each with its own learning rate when η is a fraction of η_critical.
#[test]
fn second_axis_gives_one_series_per_value() {
    let mut spec = generated(vec![32, 64], 2);
    spec.axis = SweepAxis::Depth(vec![1, 3]);
    spec.learning_rate = LearningRate::CriticalFraction(0.5);
    let r = run(&spec);
    let depths: Vec<(Option<usize>, usize)> = r.series.iter().map(|s| (s.axis_value, s.depth)).collect();
    assert_eq!(depths, vec![(Some(1), 1), (Some(3), 3)]);
    for s in &r.series {
        assert_eq!(s.points.len(), 2);
        assert_eq!(s.points[0].diverged, 0, "{:?}", s.points[0].seeds);
        assert_eq!(s.points[0].weight_change.len(), s.depth + 1);
        // η = ½ · 2N/(λ_min + λ_max) of the analytic Θ at this depth (paper Theorem 2.1).
        let x_train = ntk_core::datasets::Dataset1d::generate(Target1d::Sin, 5, 0.1, 1).x_train;
        let x = nalgebra::DMatrix::from_row_slice(5, 1, &x_train);
        let arch = Architecture { depth: s.depth, ..spec.arch };
        let theta = kernels(&arch, &x, &x).unwrap().ntk;
        let eta = 0.5 * learning_rate_landmarks(&theta).unwrap().eta_critical;
        assert!((s.points[0].learning_rate - eta).abs() < 1e-12 * eta, "{} {eta}", s.points[0].learning_rate);
    }
    assert!(r.series[0].points[0].learning_rate != r.series[1].points[0].learning_rate);

    spec.axis = SweepAxis::TrainSize(vec![3, 6]);
    let r = run(&spec);
    let sizes: Vec<usize> = r.series.iter().map(|s| s.points[1].train_size).collect();
    assert_eq!(sizes, vec![3, 6]);
    // A point of another axis value is refused.
    assert_eq!(
        run_width(&spec, 32, Some(4), |_| ControlFlow::Continue(())).unwrap_err(),
        WidthError::NotOnAxis(Some(4))
    );
    assert_eq!(
        run_width(&spec, 32, None, |_| ControlFlow::Continue(())).unwrap_err(),
        WidthError::NotOnAxis(None)
    );
    assert_eq!(
        run_width(&spec, 12, Some(3), |_| ControlFlow::Continue(())).unwrap_err(),
        WidthError::NotOnGrid(12)
    );
}

#[test]
fn invalid_sweeps_are_refused_with_the_value() {
    let ok = generated(vec![8, 16], 2);
    ok.validate().unwrap();
    let check = |f: &dyn Fn(&mut WidthSweepSpec), expected: WidthError| {
        let mut s = ok.clone();
        f(&mut s);
        assert_eq!(s.validate(), Err(expected));
    };
    check(&|s| s.widths.clear(), WidthError::EmptyGrid("width"));
    check(
        &|s| s.widths = vec![8, 32, 16],
        WidthError::NotIncreasing { what: "width", index: 2, previous: 32, value: 16 },
    );
    check(
        &|s| s.widths = vec![8, 8],
        WidthError::NotIncreasing { what: "width", index: 1, previous: 8, value: 8 },
    );
    check(&|s| s.widths = vec![0, 8], WidthError::Width(0));
    check(
        &|s| s.arch.param = Parameterization::Standard,
        WidthError::Parameterization(Parameterization::Standard),
    );
    check(&|s| s.arch.sw2 = -1.0, WidthError::Arch(ArchError::WeightVariance(-1.0)));
    check(
        &|s| s.axis = SweepAxis::Depth(vec![2, 0]),
        WidthError::NotIncreasing { what: "depth", index: 1, previous: 2, value: 0 },
    );
    check(&|s| s.axis = SweepAxis::Depth(vec![0, 2]), WidthError::Arch(ArchError::Depth(0)));
    check(&|s| s.axis = SweepAxis::TrainSize(vec![]), WidthError::EmptyGrid("training-set size"));
    let e = |s: &WidthSweepSpec| s.validate().unwrap_err().to_string();
    let mut s = ok.clone();
    s.seeds = 0;
    assert!(e(&s).contains("seeds out of range: 0"), "{}", e(&s));
    let mut s = ok.clone();
    s.learning_rate = LearningRate::Absolute(-0.5);
    assert!(e(&s).contains("-0.5"), "{}", e(&s));
    let mut s = ok.clone();
    s.steps = 0;
    assert!(e(&s).contains("steps"), "{}", e(&s));
    // Explicit points: shapes are checked, and they cannot be resized by a train-size axis.
    let mut s = smooth(1, vec![8], 1, 1);
    s.validate().unwrap();
    if let SweepData::Points(data) = &mut s.data {
        data.y_train.pop();
    }
    assert!(matches!(s.validate(), Err(WidthError::Data(m)) if m.to_string().contains("7 targets")));
    let mut s = smooth(1, vec![8], 1, 1);
    s.axis = SweepAxis::TrainSize(vec![4, 8]);
    assert_eq!(s.validate(), Err(WidthError::TrainSizeNeedsGeneratedData));
    // Seed ranges.
    assert!(matches!(
        run_width_members(&ok, 8, None, 1..3, |_| ControlFlow::Continue(())),
        Err(WidthError::SeedRange { start: 1, end: 3, seeds: 2 })
    ));
}

/// The memory guard: peak ≈ 16 bytes per parameter. Width 16384 at depth 2 has 2.7·10⁸
/// parameters (≈ 4.3 GB), above the 2 GiB default cap; width 4096 (≈ 0.3 GB) is not.
#[test]
fn memory_guard_and_workload_estimates() {
    let mut s = generated(vec![1024, 4096], 1);
    let small = estimate_bytes(&s);
    assert!((250e6..400e6).contains(&(small as f64)), "{small}");
    s.validate().unwrap();
    s.widths.push(16384);
    let e = s.validate().unwrap_err();
    assert!(matches!(e, WidthError::Memory { width: 16384, depth: 2, .. }), "{e}");
    assert!(e.to_string().contains("MiB") && e.to_string().contains("16384"), "{e}");
    // A raised cap lets it through.
    s.validate_with_cap(8 << 30).unwrap();
    // The depth axis's largest depth sets the peak.
    let mut d = generated(vec![1024], 1);
    d.axis = SweepAxis::Depth(vec![1, 8]);
    assert!(estimate_bytes(&d) > 4 * estimate_bytes(&generated(vec![1024], 1)));

    // FLOP: the training term dominates and equals the ensemble's 6 N W per step.
    let mut f = generated(vec![256, 512], 2);
    f.steps = 10_000;
    let ens = EnsembleSpec {
        arch: f.arch,
        width: 512,
        data: ExplicitData {
            x_train: vec![vec![0.0]; 5],
            y_train: vec![0.0; 5],
            x_test: vec![],
            y_test: None,
        },
        learning_rate: 0.1,
        steps: 10_000,
        momentum: 0.0,
        readout_only: false,
        loss: Default::default(),
        batch_size: None,
        seed: 0,
        members: 1,
        checkpoints: 2,
        alpha: None,
        quadratic: false,
    };
    let train = ens.flops_per_step() * 10_000.0;
    let point = estimate_point_flop(&f, 512, None);
    assert!(point > train && point < 1.05 * train, "{point} vs {train}");
    let total = estimate_flop(&f);
    let expected = 2.0 * (estimate_point_flop(&f, 256, None) + point);
    assert!((total - expected).abs() < 1e-9 * total);
}

/// A learning rate far above η_max: every seed diverges; (a)–(c) are absent (and unfitted),
/// (d) is still measured.
#[test]
fn diverged_seeds_are_reported_not_averaged() {
    let mut s = generated(vec![8, 16], 2);
    s.learning_rate = LearningRate::Absolute(50.0);
    s.steps = 200;
    let r = run(&s);
    for p in &r.series[0].points {
        assert_eq!(p.diverged, 2);
        assert!(p.rmse_nn_lin_sup.is_none() && p.ntk_change.is_none() && p.weight_change.is_empty());
        assert!(p.seeds.iter().all(|x| x.training.is_none() && x.divergence.is_some()));
        assert_eq!(p.ntk_init_error.count, 2);
    }
    let sl = &r.series[0].slopes;
    assert!(sl.rmse_nn_lin_sup.is_none() && sl.ntk_change.is_none() && sl.weight_change.is_empty());
    assert!(sl.ntk_init_error.is_some());
}

#[test]
fn cancellation_stops_a_width_and_a_sweep() {
    let s = generated(vec![8, 16, 32], 2);
    let mut calls = 0;
    let r = run_width(&s, 16, None, |_| {
        calls += 1;
        if calls > 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert_eq!(r, Err(WidthError::Cancelled));
    let mut seen = Vec::new();
    let r = run_sweep(&s, |p| {
        seen.push((p.width, p.points_done, p.fraction));
        if p.width == 32 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert_eq!(r, Err(WidthError::Cancelled));
    assert_eq!(seen.first().map(|x| (x.0, x.1)), Some((8, 0)));
    assert_eq!(seen.last().map(|x| (x.0, x.1)), Some((32, 2)));
    // The FLOP-weighted fraction never decreases and stays in [0, 1].
    assert!(seen.windows(2).all(|w| w[0].2 <= w[1].2 + 1e-12));
    assert!(seen.iter().all(|x| (0.0..=1.0).contains(&x.2)));
}
