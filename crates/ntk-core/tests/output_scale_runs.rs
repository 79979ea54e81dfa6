//! Chizat's output scale α on ensembles and width sweeps (`EnsembleSpec::alpha`,
//! `WidthSweepSpec::alpha`; docs/MATH.md "Chizat's output scale α"): without α a run is the run
//! before α existed, bit for bit, with the same spec hash; with α both linearization paths
//! (closed form and trained step by step) agree and start at g = 0; and the network–linearization
//! gap of an ensemble falls like 1/α.

use std::ops::ControlFlow;

use ntk_core::experiments::widths::{run_sweep, WidthSweepSpec};
use ntk_core::nets::ensemble::{run_members, EnsembleError, EnsembleSpec, EnsembleStats};
use ntk_core::nets::loss::Loss;
use ntk_core::results::{fnv1a_128, spec_hash};
use ntk_core::stats::fit_slope;

fn closed() -> EnsembleSpec {
    EnsembleSpec::cookbook(3, 40, 32, 6)
}

/// The cookbook job on ±1 labels with cross-entropy and minibatches of 3: the linearization is
/// trained step by step beside the network.
fn direct() -> EnsembleSpec {
    let sign = |y: &f64| if *y < 0.0 { -1.0 } else { 1.0 };
    let mut s = EnsembleSpec::cookbook(3, 40, 32, 6);
    s.loss = Loss::Xent;
    s.data.y_train = s.data.y_train.iter().map(sign).collect();
    s.data.y_test = s.data.y_test.map(|v| v.iter().map(sign).collect());
    s.batch_size = Some(3);
    s
}

/// A sweep written as JSON without `alpha`, as files written before α existed.
fn sweep() -> WidthSweepSpec {
    serde_json::from_value(serde_json::json!({
        "arch": {"depth": 2, "activation": {"kind": "erf"}, "sw2": 2.25, "sb2": 0.0025, "param": "ntk"},
        "data": {"kind": "generated", "target": "sin", "train_size": 6, "noise": 0.1, "seed": 1},
        "learning_rate": {"critical_fraction": 0.5},
        "steps": 30, "seed": 4, "widths": [16, 32], "seeds": 2, "checkpoints": 5
    }))
    .unwrap()
}

/// The hash of `value`'s JSON without the kernel–target alignments recorded since (keys
/// `ntk_alignment`, `ntk_alignment_start`, `ntk_alignment_end`, each an object of numbers): the
/// JSON the code before them wrote, whose numbers must be the same bits.
fn hash_without_alignment<T: serde::Serialize>(value: &T) -> String {
    let mut json = serde_json::to_string(value).unwrap();
    while let Some(at) = json.find(",\"ntk_alignment") {
        let end = at + json[at..].find('}').expect("an object of numbers") + 1;
        json.replace_range(at..end, "");
    }
    format!("fnv1a128:{:032x}", fnv1a_128(json.as_bytes()))
}

fn run(s: &EnsembleSpec) -> EnsembleStats {
    run_members(s, 0..s.members, |_| ControlFlow::Continue(())).unwrap()
}

/// Without α, the statistics of an ensemble (closed-form and step-by-step linearization) and
/// the result of a width sweep hash to what the code before α computed (digests taken from
/// the commit before α reached the ensembles, on an FMA machine: the native build uses FMA
/// where the CPU has it, which changes f32 roundings, so the digests are checked there only),
/// and the specs' hashes are unchanged (no `alpha` key in their JSON). The kernel–target
/// alignments recorded since are left out of the results' hashes ([`hash_without_alignment`]).
#[test]
fn without_alpha_runs_and_spec_hashes_are_those_before_alpha() {
    let golden = [
        (closed(), "fnv1a128:0ae0dc27fe3ca4b78cd921c2ca3ccfa6", "fnv1a128:8169aa09083966d374b47daa056c5a16"),
        (direct(), "fnv1a128:4638359e1bbe32e7c34749bccc090b6d", "fnv1a128:2c22f803c629b2a66e7fdd0a4d589512"),
    ];
    for (spec, spec_digest, stats_digest) in golden {
        assert_eq!(spec.alpha, None);
        assert_eq!(spec_hash(&spec).unwrap(), spec_digest);
        assert!(!serde_json::to_string(&spec).unwrap().contains("alpha"));
        if cfg!(target_feature = "fma") {
            assert_eq!(hash_without_alignment(&run(&spec)), stats_digest, "{:?}", spec.loss);
        }
    }
    let w = sweep();
    assert_eq!(w.alpha, None);
    assert_eq!(spec_hash(&w).unwrap(), "fnv1a128:61a101f9c67903b0522763657f2c91e4");
    if cfg!(target_feature = "fma") {
        let r = run_sweep(&w, |_| ControlFlow::Continue(())).unwrap();
        assert!(serde_json::to_string(&r).unwrap().contains("\"ntk_alignment_start\""));
        assert_eq!(hash_without_alignment(&r), "fnv1a128:3764ddd8fcd5e7cca19dcbf143fca8f6");
    }
}

/// With α = 4, the closed-form linearization (MSE, full batch, started at g₀ = 0) and the
/// linearization trained step by step (minibatches of all N points: every point in order, the
/// same descent) give the same test outputs, and network and linearization start at exactly 0.
/// Tolerance: the step-by-step model trains in f32 (relative rounding 6·10⁻⁸ per operation,
/// a few hundred operations per output over 40 steps), the closed form in f64: 10⁻⁴ of the
/// output scale, while a missing centring or 1/α is an O(1) error.
#[test]
fn with_alpha_both_linearization_paths_agree_and_start_at_zero() {
    let mut a = closed();
    a.alpha = Some(4.0);
    let b = EnsembleSpec { batch_size: Some(a.data.x_train.len()), ..a.clone() };
    assert!(a.closed_form_linearization() && !b.closed_form_linearization());
    let (sa, sb) = (run(&a), run(&b));
    assert!(sa.diverged.is_empty() && sb.diverged.is_empty());
    for s in [&sa, &sb] {
        let c0 = &s.checkpoints[0];
        assert!(c0.nn.mean().iter().chain(&c0.lin.mean()).all(|&v| v == 0.0), "g₀ ≠ 0");
    }
    let (la, lb) = (sa.checkpoints.last().unwrap().lin.mean(), sb.checkpoints.last().unwrap().lin.mean());
    let scale = la.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(scale > 0.1, "the linearization hardly moved: {scale}");
    let err = la.iter().zip(&lb).fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(err <= 1e-4 * scale, "closed form vs step by step: {err} (scale {scale})");
    let na = sa.checkpoints.last().unwrap().nn.mean();
    let nb = sb.checkpoints.last().unwrap().nn.mean();
    assert!(na.iter().zip(&nb).all(|(x, y)| x.to_bits() == y.to_bits()), "the network's runs differ");
}

/// The ensemble's mean test RMSE between g and g_lin after 400 steps (width 128, 3 members,
/// the cookbook data, network and η = 0.1) against α = 1, 2, …, 32: `g − g_lin = α (f − f_lin)`
/// with `f − f_lin = O(1/α²)` (the weights move O(1/α)), so the fitted log-log slope is −1;
/// accepted within ±0.25 (the O(1/α²) corrections flatten the smallest α).
#[test]
fn ensemble_gap_to_the_linearization_falls_like_one_over_alpha() {
    let alphas = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0];
    let gaps: Vec<f64> = alphas
        .iter()
        .map(|&a| {
            let mut s = EnsembleSpec::cookbook(3, 400, 128, 4);
            s.alpha = Some(a);
            let stats = run(&s);
            assert!(stats.diverged.is_empty(), "α = {a}: {:?}", stats.diverged);
            stats.summary().checkpoints.last().unwrap().rmse_nn_lin
        })
        .collect();
    let fit = fit_slope(&alphas, &gaps).unwrap();
    eprintln!("gaps {gaps:?}, slope {:.3}", fit.slope);
    assert!((fit.slope + 1.0).abs() <= 0.25, "slope {} (gaps {gaps:?})", fit.slope);
}

/// An α outside [10⁻³, 10⁴] is refused with its value, by the ensemble and the sweep alike.
#[test]
fn alpha_out_of_range_is_refused() {
    for bad in [0.0, -1.0, 1e5, f64::NAN] {
        let mut s = closed();
        s.alpha = Some(bad);
        assert!(matches!(s.validate(), Err(EnsembleError::Alpha(_))), "α = {bad}");
        let mut w = sweep();
        w.alpha = Some(bad);
        let e = w.validate().unwrap_err();
        assert!(e.to_string().contains("alpha"), "{e}");
    }
}
