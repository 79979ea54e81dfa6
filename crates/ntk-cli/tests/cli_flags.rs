//! Every flag of `ntk kernel`, `ntk predict` and `ntk ensemble` changes the output the way it
//! should: the CLI's numbers are compared with an independent reference (the high-precision
//! kernels of `ntk-core/tests/data/reference_hp.json`) or with the core library run on the
//! very same specification, and each comparison comes with a negative control — the same
//! criterion applied to a different value of the flag must reject it, so a CLI that ignored
//! the flag could not pass.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use nalgebra::{DMatrix, DVector};
use ntk_core::datasets::ExplicitData;
use ntk_core::nets::ensemble::{run_members, EnsembleSpec, EnsembleSummary};
use ntk_core::theory::gp::{GpDynamics, TrainingTime};
use ntk_core::{Activation, Architecture, Parameterization};
use serde_json::Value;

fn ntk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ntk")).args(args).output().unwrap()
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ntk-cli-flags-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes points (one per row) as CSV; `{}` prints the shortest round-trip form of an f64, so
/// the CLI reads back exactly these numbers.
fn write_csv(path: &Path, rows: &[Vec<f64>]) -> String {
    let text: String =
        rows.iter().map(|r| r.iter().map(|v| format!("{v}")).collect::<Vec<_>>().join(",") + "\n").collect();
    std::fs::write(path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn reference() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ntk-core/tests/data/reference_hp.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn rows(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect())
        .collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn matrix(r: &[Vec<f64>]) -> DMatrix<f64> {
    DMatrix::from_fn(r.len(), r[0].len(), |i, j| r[i][j])
}

/// Largest |a − b| over two equally shaped tables, relative to the largest |b|.
fn max_rel_diff(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    let scale = b.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    a.iter().flatten().zip(b.iter().flatten()).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max) / scale
}

/// `ntk kernel` against the high-precision kernels: closed-form activations in float64 lose
/// only rounding through the depth-L recursion, a few ulps per layer and entry (measured
/// ≤ 2e-15 relative to the largest entry for every closed-form case of the reference file);
/// 1e-12 leaves a factor 500 for other summation orders.
const KERNEL_TOL: f64 = 1e-12;

fn kernel_via_cli(
    dir: &Path,
    act: &str,
    depth: u64,
    sw2: f64,
    sb2: f64,
    x1: &[Vec<f64>],
    x2: &[Vec<f64>],
) -> Value {
    let f1 = write_csv(&dir.join("x1.csv"), x1);
    let f2 = write_csv(&dir.join("x2.csv"), x2);
    let (depth, sw2, sb2) = (depth.to_string(), format!("{sw2}"), format!("{sb2}"));
    json(&ntk(&[
        "kernel", "--act", act, "--depth", &depth, "--sw2", &sw2, "--sb2", &sb2, "--x1", &f1, "--x2", &f2,
    ]))
}

/// `--act`, `--depth`, `--sw2`, `--sb2`, `--x1`, `--x2`: every closed-form kernel case of the
/// reference file reproduced through the CLI; and for each architecture flag, a changed value
/// (σ_w² × 1.2, σ_b² + 0.1, depth + 1, another activation) moves the kernels away from the
/// reference by far more than the tolerance, so a CLI that ignored the flag would fail.
#[test]
fn kernel_flags_reproduce_the_reference_kernels() {
    let dir = tmpdir("kernel");
    let reference = reference();
    let mut seen = 0;
    for case in reference["cases"].as_array().unwrap().iter().filter(|c| c["type"] == "kernel") {
        let act = case["act"].as_str().unwrap();
        if !act.parse::<Activation>().unwrap().has_closed_form() {
            continue; // quadrature kernels: their accuracy is tested in ntk-core
        }
        let (depth, sw2, sb2) =
            (case["depth"].as_u64().unwrap(), case["sw2"].as_f64().unwrap(), case["sb2"].as_f64().unwrap());
        let (x1, x2) = (rows(&case["x1"]), rows(&case["x2"]));
        let name = case["name"].as_str().unwrap();
        let v = kernel_via_cli(&dir, act, depth, sw2, sb2, &x1, &x2);
        for key in ["nngp", "ntk"] {
            let err = max_rel_diff(&rows(&v[key]), &rows(&case[key]));
            assert!(err <= KERNEL_TOL, "{name} {key}: CLI off the reference by {err:e}");
        }
        // Negative controls: each flag changed, the same criterion rejects the output.
        let other_act = if act == "erf" { "relu" } else { "erf" };
        for (what, out) in [
            ("sw2 × 1.2", kernel_via_cli(&dir, act, depth, 1.2 * sw2, sb2, &x1, &x2)),
            ("sb2 + 0.1", kernel_via_cli(&dir, act, depth, sw2, sb2 + 0.1, &x1, &x2)),
            ("depth + 1", kernel_via_cli(&dir, act, depth + 1, sw2, sb2, &x1, &x2)),
            ("other activation", kernel_via_cli(&dir, other_act, depth, sw2, sb2, &x1, &x2)),
        ] {
            let err = max_rel_diff(&rows(&out["ntk"]), &rows(&case["ntk"]));
            assert!(err > 1e3 * KERNEL_TOL, "{name}: {what} left the NTK within {err:e} of the reference");
        }
        seen += 1;
    }
    assert!(seen >= 8, "closed-form kernel cases checked: {seen}");
}

fn gp(arch: &Architecture, x: &[Vec<f64>], y: &[f64], xs: &[Vec<f64>], diag_reg: f64) -> GpDynamics {
    GpDynamics::new(arch, &matrix(x), &DVector::from_column_slice(y), &matrix(xs), diag_reg).unwrap()
}

/// The CLI and the core compute the same numbers by the same code; only the JSON round trip
/// (exact: shortest round-trip printing, `float_roundtrip` parsing) lies between them. 1e-13
/// of the scale allows for a different but equivalent evaluation order in either.
const SAME_CODE_TOL: f64 = 1e-13;

fn assert_close(got: &[f64], want: &[f64], scale: f64, tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * scale, "{what}[{i}]: {g} vs {w} (tol {tol:e} × {scale})");
    }
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// `--time` (and `--diag-reg`): `ntk predict` at times 0.37, 2.5, 40 and ∞ gives the core's
/// GP at exactly those times; the criterion rejects the core's GP at 1.2 t (a CLI reading
/// another time, or always ∞, fails) and at another regularizer.
#[test]
fn predict_time_flag_is_the_core_gp_at_that_time() {
    let dir = tmpdir("predict");
    let x = vec![vec![-1.2, 0.3], vec![-0.4, -0.8], vec![0.5, 0.9], vec![1.4, -0.2]];
    let y = vec![-0.7, 0.1, 0.8, 0.4];
    let xs = vec![vec![-2.0, 0.5], vec![0.0, 0.0], vec![0.9, 1.6]];
    let train: Vec<Vec<f64>> = x.iter().zip(&y).map(|(p, &t)| [p.clone(), vec![t]].concat()).collect();
    let (ftrain, ftest) = (write_csv(&dir.join("train.csv"), &train), write_csv(&dir.join("test.csv"), &xs));
    let arch = Architecture::new(2, Activation::Erf, 1.8, 0.1, Parameterization::Ntk).unwrap();
    for diag_reg in [0.0, 0.05] {
        let reg = format!("{diag_reg}");
        let v = json(&ntk(&[
            "predict",
            "--act",
            "erf",
            "--depth",
            "2",
            "--sw2",
            "1.8",
            "--sb2",
            "0.1",
            "--train",
            &ftrain,
            "--test",
            &ftest,
            "--time",
            "0.37,2.5,40,inf",
            "--diag-reg",
            &reg,
        ]));
        let core = gp(&arch, &x, &y, &xs, diag_reg);
        let other_reg = gp(&arch, &x, &y, &xs, diag_reg + 0.05);
        let times = v["times"].as_array().unwrap();
        assert_eq!(times.len(), 4);
        for (t, requested) in times.iter().zip([Some(0.37), Some(2.5), Some(40.0), None]) {
            assert_eq!(t["time"].as_f64(), requested);
            let time = requested.map_or(TrainingTime::Infinite, TrainingTime::Continuous);
            let what = format!("diag_reg {diag_reg} t {requested:?}");
            for (name, want, early) in [
                (
                    "ntk",
                    core.ntk_gp_marginal(time),
                    requested.map(|r| core.ntk_gp_marginal(TrainingTime::Continuous(1.2 * r))),
                ),
                (
                    "nngp",
                    core.nngp_marginal(time),
                    requested.map(|r| core.nngp_marginal(TrainingTime::Continuous(1.2 * r))),
                ),
            ] {
                let (mean, var) = (floats(&t[name]["mean"]), floats(&t[name]["var"]));
                let (y_scale, v_scale) = (want.mean.amax().max(1e-3), want.var.amax().max(1e-3));
                assert_close(
                    &mean,
                    want.mean.as_slice(),
                    y_scale,
                    SAME_CODE_TOL,
                    &format!("{what} {name} mean"),
                );
                assert_close(
                    &var,
                    want.var.as_slice(),
                    v_scale,
                    SAME_CODE_TOL,
                    &format!("{what} {name} var"),
                );
                // Negative control: the GP at 1.2 t is rejected by the same criterion.
                if let Some(e) = early {
                    let d = max_abs_diff(&mean, e.mean.as_slice()).max(max_abs_diff(&var, e.var.as_slice()));
                    assert!(
                        d > 1e6 * SAME_CODE_TOL * y_scale.max(v_scale),
                        "{what} {name}: 1.2 t within {d:e}"
                    );
                }
            }
            // Negative control: another regularizer is rejected too.
            let o = other_reg.ntk_gp_marginal(time);
            let d = max_abs_diff(&floats(&t["ntk"]["mean"]), o.mean.as_slice());
            assert!(d > 1e6 * SAME_CODE_TOL, "{what}: diag_reg + 0.05 within {d:e}");
        }
        assert_eq!(v["regularization"]["diag_reg"].as_f64(), Some(diag_reg));
    }
}

/// Arguments of `ntk ensemble` for a small erf run at learning rate `lr`; `extra` adds flags.
fn ensemble_args(train: &str, test: &str, lr: &str, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "ensemble",
        "--act",
        "erf",
        "--depth",
        "2",
        "--sw2",
        "2.0",
        "--sb2",
        "0.05",
        "--width",
        "24",
        "--members",
        "6",
        "--lr",
        lr,
        "--steps",
        "60",
        "--train",
        train,
        "--test",
        test,
        "--test-has-y",
        "--checkpoints",
        "5",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn spec(x: &[Vec<f64>], y: &[f64], xs: &[Vec<f64>], ys: &[f64], param: Parameterization) -> EnsembleSpec {
    EnsembleSpec {
        arch: Architecture::new(2, Activation::Erf, 2.0, 0.05, param).unwrap(),
        width: 24,
        data: ExplicitData {
            x_train: x.to_vec(),
            y_train: y.to_vec(),
            x_test: xs.to_vec(),
            y_test: Some(ys.to_vec()),
        },
        learning_rate: 0.2,
        steps: 60,
        momentum: 0.0,
        readout_only: false,
        loss: Default::default(),
        batch_size: None,
        seed: 0, // the CLI's default
        members: 6,
        checkpoints: 5,
        alpha: None,
        quadratic: false,
    }
}

fn core_summary(s: &EnsembleSpec) -> EnsembleSummary {
    run_members(s, 0..s.members, |_| ControlFlow::Continue(())).unwrap().summary()
}

/// Largest difference between the CLI's and a core summary over every checkpoint's network
/// and linearization means and variances and the train loss, relative to their scale.
fn summary_gap(cli: &Value, core: &EnsembleSummary) -> f64 {
    let cps = cli["checkpoints"].as_array().unwrap();
    assert_eq!(cps.len(), core.checkpoints.len());
    let mut gap = 0.0f64;
    for (c, k) in cps.iter().zip(&core.checkpoints) {
        assert_eq!(c["step"].as_u64(), Some(k.step));
        for (key, mv) in [("nn", &k.nn), ("lin", &k.lin)] {
            let scale = mv.mean.iter().chain(&mv.var).fold(1e-3f64, |m, v| m.max(v.abs()));
            gap = gap.max(max_abs_diff(&floats(&c[key]["mean"]), &mv.mean) / scale);
            gap = gap.max(max_abs_diff(&floats(&c[key]["var"]), &mv.var) / scale);
        }
        let loss = c["train_loss"]["nn"].as_f64().unwrap();
        gap = gap.max((loss - k.train_loss.nn).abs() / k.train_loss.nn.abs().max(1e-3));
    }
    gap
}

/// The CLI splits members over threads and merges their statistics (Chan's update); the core
/// run here is one sequential Welford pass. Members are bit-identical (seeded, f32), so the
/// statistics differ by the rounding of the two summation orders: O(M ε) relative, ≈ 1e-15
/// for M = 6; 1e-12 leaves ample room and is still 1e6 below the negative controls' gaps.
const MERGE_TOL: f64 = 1e-12;

/// `--param standard`, `--momentum`, `--readout-only` (with `--width`, `--members`, `--lr`,
/// `--steps`, `--seed`, `--checkpoints`, `--test-has-y` in the same spec): the CLI's summary is
/// the core's run of the same specification, and the core run with the flag's other value
/// (NTK parameterization, no momentum, all layers trained, another seed) is rejected.
#[test]
fn ensemble_flags_match_the_core_run_of_the_same_spec() {
    let dir = tmpdir("ensemble");
    let x = vec![vec![-1.5], vec![-0.4], vec![0.6], vec![1.7]];
    let y = vec![-0.9, -0.3, 0.5, 0.8];
    let xs = vec![vec![-1.0], vec![0.1], vec![1.2]];
    let ys = vec![-0.7, 0.1, 0.8];
    let train: Vec<Vec<f64>> = x.iter().zip(&y).map(|(p, &t)| vec![p[0], t]).collect();
    let test: Vec<Vec<f64>> = xs.iter().zip(&ys).map(|(p, &t)| vec![p[0], t]).collect();
    let (ftrain, ftest) =
        (write_csv(&dir.join("train.csv"), &train), write_csv(&dir.join("test.csv"), &test));
    let base = spec(&x, &y, &xs, &ys, Parameterization::Ntk);
    let run = |lr: &str, extra: &[&str]| {
        let args = ensemble_args(&ftrain, &ftest, lr, extra);
        json(&ntk(&args.iter().map(String::as_str).collect::<Vec<_>>()))
    };

    // Standard parameterization: its gradient-descent dynamics differ (SM F); at width 24
    // the effective learning rate is about n times that of NTK parameterization, so a smaller
    // η keeps it stable.
    let standard = EnsembleSpec {
        arch: Architecture { param: Parameterization::Standard, ..base.arch },
        learning_rate: 0.005,
        ..base.clone()
    };
    let momentum = EnsembleSpec { momentum: 0.6, ..base.clone() };
    let readout = EnsembleSpec { readout_only: true, ..base.clone() };
    let alpha = EnsembleSpec { alpha: Some(4.0), ..base.clone() };
    let mf = EnsembleSpec {
        arch: Architecture { param: Parameterization::MeanField, ..base.arch },
        ..base.clone()
    };
    let cases: [(&str, &str, Vec<&str>, EnsembleSpec, EnsembleSpec); 6] = [
        (
            "--param standard",
            "0.005",
            vec!["--param", "standard"],
            standard.clone(),
            EnsembleSpec { learning_rate: 0.005, ..base.clone() },
        ),
        ("--momentum 0.6", "0.2", vec!["--momentum", "0.6"], momentum, base.clone()),
        ("--readout-only", "0.2", vec!["--readout-only"], readout, base.clone()),
        ("--alpha 4", "0.2", vec!["--alpha", "4"], alpha, base.clone()),
        ("--param mf", "0.2", vec!["--param", "mf"], mf, base.clone()),
        ("--seed 12", "0.2", vec!["--seed", "12"], EnsembleSpec { seed: 12, ..base.clone() }, base.clone()),
    ];
    for (what, lr, flags, same, other) in cases {
        let cli = run(lr, &flags);
        assert_eq!(cli["diverged"], 0, "{what}");
        let gap = summary_gap(&cli, &core_summary(&same));
        assert!(gap <= MERGE_TOL, "{what}: CLI differs from the core run of the same spec by {gap:e}");
        let control = summary_gap(&cli, &core_summary(&other));
        assert!(control > 1e6 * MERGE_TOL, "{what}: the flag's other value is within {control:e}");
    }
    // The defaults (ntk, no momentum, all layers) are the base spec.
    let defaults = run("0.2", &[]);
    assert_eq!(defaults["diverged"], 0, "defaults");
    let gap = summary_gap(&defaults, &core_summary(&base));
    assert!(gap <= MERGE_TOL, "defaults: {gap:e}");
}
