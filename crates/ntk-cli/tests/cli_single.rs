//! `ntk single` end to end: the JSON of a cross-entropy SGD run equals the core's run of the
//! same spec number for number; bad flag combinations and labels exit 2 with one line saying
//! what to change; `ntk ensemble` takes the same loss and optimizer flags; `--alpha` reaches the
//! spec and the outputs (α (f − f₀), 0 at step 0), and an α out of range exits 2 naming it;
//! `--quadratic` adds the quadratic model to every checkpoint.

use std::ops::ControlFlow;
use std::process::Command;

use ntk_core::experiments::single::{run_single, SingleReport};

fn tmpdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ntk-cli-single-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn ntk(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ntk")).args(args).output().unwrap()
}

const TRAIN: &str = "x1,x2,y\n-1.2,0.3,1\n0.4,-2.0,-1\n1.5,1.1,1\n-0.3,-0.8,-1\n2.2,-0.4,1\n-2.5,1.9,-1\n";
const TEST: &str = "-1.0,0.0,1\n0.5,0.5,-1\n1.8,-1.2,1\n";

fn files(tag: &str) -> (String, String) {
    let dir = tmpdir(tag);
    let (train, test) = (dir.join("train.csv"), dir.join("test.csv"));
    std::fs::write(&train, TRAIN).unwrap();
    std::fs::write(&test, TEST).unwrap();
    (train.to_str().unwrap().to_string(), test.to_str().unwrap().to_string())
}

fn base<'a>(train: &'a str, test: &'a str) -> Vec<&'a str> {
    vec![
        "single",
        "--act",
        "tanh",
        "--depth",
        "2",
        "--sw2",
        "1.5",
        "--sb2",
        "0.05",
        "--width",
        "24",
        "--lr",
        "0.5",
        "--steps",
        "120",
        "--train",
        train,
        "--test",
        test,
        "--test-has-y",
        "--seed",
        "3",
        "--checkpoints",
        "9",
    ]
}

#[test]
fn cross_entropy_sgd_run_equals_the_core_run() {
    let (train, test) = files("ok");
    let mut args = base(&train, &test);
    args.extend(["--loss", "xent", "--optimizer", "sgd", "--batch-size", "3", "--momentum", "0.9"]);
    let out = ntk(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: SingleReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.header.kind.name(), "single");
    assert_eq!(report.optimizer, "sgd");
    assert_eq!((report.spec.batch_size, report.spec.momentum), (Some(3), 0.9));
    assert_eq!(report.spec.data.x_train.len(), 6);
    assert_eq!(report.checkpoints.len(), report.spec.schedule().len());
    let want = run_single(&report.spec, |_| ControlFlow::Continue(())).unwrap();
    assert_eq!(want.diverged, report.diverged);
    assert_eq!(want.start, report.start);
    assert_eq!(want.checkpoints, report.checkpoints, "the printed series are the core's");
    assert!(report.start.eta_max.is_some_and(|e| e > 0.0));
    let c = report.checkpoints.last().unwrap();
    assert!(
        c.test_accuracy.is_some() && c.theta.is_some() && c.weights_nn.len() == report.start.weights.len()
    );
}

#[test]
fn bad_combinations_and_labels_exit_2_with_one_line() {
    let (train, test) = files("bad");
    let cases: [(&[&str], &str); 4] = [
        (&["--optimizer", "sgd"], "--optimizer sgd needs --batch-size"),
        (&["--optimizer", "gd", "--momentum", "0.5"], "--optimizer gd has no momentum"),
        (&["--batch-size", "7"], "between 1 and the number of training points (6), got 7"),
        (&["--loss", "hinge"], "unknown loss 'hinge'"),
    ];
    for (extra, message) in cases {
        let mut args = base(&train, &test);
        args.extend(extra);
        let out = ntk(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(message), "{extra:?}: {err}");
    }
    // Regression targets with cross-entropy, through `ntk ensemble` too.
    let dir = tmpdir("labels");
    let reg = dir.join("reg.csv");
    std::fs::write(&reg, "-1.0,0.3\n0.5,-0.2\n").unwrap();
    let xs = dir.join("x.csv");
    std::fs::write(&xs, "0.0\n").unwrap();
    let (reg, xs) = (reg.to_str().unwrap(), xs.to_str().unwrap());
    let out = ntk(&[
        "ensemble",
        "--act",
        "erf",
        "--depth",
        "1",
        "--sw2",
        "1",
        "--sb2",
        "0",
        "--width",
        "4",
        "--members",
        "1",
        "--lr",
        "0.1",
        "--steps",
        "3",
        "--train",
        reg,
        "--test",
        xs,
        "--loss",
        "xent",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("cross-entropy needs labels −1 or +1, but target 0 is 0.3"));
}

/// `--param mf` trains the mean-field network without the analytic-Θ series, and the report
/// says why; NTK parameterization's report has the series and no such note.
#[test]
fn mean_field_has_no_analytic_series_and_says_why() {
    let (train, test) = files("mf");
    let mut args = base(&train, &test);
    args.extend(["--param", "mf"]);
    let out = ntk(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: SingleReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.spec.arch.param, ntk_core::Parameterization::MeanField);
    let why = report.analytic_skipped.as_deref().unwrap_or_default();
    assert!(why.contains("mean-field") && why.contains("do not describe"), "{why}");
    assert!(report.checkpoints.iter().all(|c| c.theta.is_none()), "an analytic series for mf");
    let plain: SingleReport = serde_json::from_slice(&ntk(&base(&train, &test)).stdout).unwrap();
    assert!(plain.analytic_skipped.is_none() && plain.checkpoints.iter().all(|c| c.theta.is_some()));
}

#[test]
fn alpha_reaches_the_spec_and_an_invalid_alpha_exits_2() {
    let (train, test) = files("alpha");
    let mut args = base(&train, &test);
    args.extend(["--alpha", "8"]);
    let out = ntk(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: SingleReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.spec.alpha, Some(8.0));
    let c0 = &report.checkpoints[0];
    assert!(c0.nn.train.iter().chain(&c0.lin.test).all(|&v| v == 0.0), "{c0:?}");
    let want = run_single(&report.spec, |_| ControlFlow::Continue(())).unwrap();
    assert_eq!(want.checkpoints, report.checkpoints, "the printed series are the core's");
    // Without --alpha the spec has none (and its JSON no `alpha`).
    let plain = ntk(&base(&train, &test));
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("alpha"));
    for bad in ["0", "-1", "20000"] {
        let mut args = base(&train, &test);
        args.extend(["--alpha", bad]);
        let out = ntk(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains(&format!("got {bad}")) && err.contains("[0.001, 10000]"), "{bad}: {err}");
    }
}

/// `--quadratic` reaches the spec and every checkpoint gains the quadratic model's record, the
/// core's run of the same spec number for number; without it the JSON never mentions it.
#[test]
fn quadratic_flag_adds_the_quadratic_model() {
    let (train, test) = files("quad");
    let mut args = base(&train, &test);
    args.push("--quadratic");
    let out = ntk(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: SingleReport = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report.spec.quadratic);
    assert!(report.checkpoints.iter().all(|c| c.quad.as_ref().is_some_and(|q| q.test_loss.is_some())));
    let want = run_single(&report.spec, |_| ControlFlow::Continue(())).unwrap();
    assert_eq!(want.checkpoints, report.checkpoints, "the printed series are the core's");
    let plain = ntk(&base(&train, &test));
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("quad"));
}
