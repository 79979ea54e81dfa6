//! `ntk kernel` and `ntk predict` end to end: JSON shapes on valid input; exit code 2 and a
//! message naming the problem on every class of bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

fn write(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("ntk-cli-theory-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

fn ntk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ntk")).args(args).output().unwrap()
}

const ARCH: [&str; 8] = ["--act", "erf", "--depth", "2", "--sw2", "1.5", "--sb2", "0.1"];

fn with_arch<'a>(cmd: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![cmd];
    v.extend_from_slice(&ARCH);
    v.extend_from_slice(rest);
    v
}

fn assert_bad_input(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    // Our own errors are exactly one line; clap's usage errors add a hint after the first.
    let first = err.lines().next().unwrap_or_default();
    assert!(first.contains(needle), "first stderr line {first:?} lacks {needle:?}");
}

#[test]
fn kernel_json_shape() {
    let x1 = write("k1.csv", "0.1,0.2\n0.3,-0.4\n1,2\n");
    let x2 = write("k2.csv", "0.5,0.5\n-1,0\n");
    let out = ntk(&with_arch("kernel", &["--x1", x1.to_str().unwrap(), "--x2", x2.to_str().unwrap()]));
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["nngp", "ntk"] {
        let rows = v[key].as_array().unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.as_array().unwrap().len() == 2 && r[0].is_f64()));
    }
    // x2 defaults to x1: square and symmetric.
    let out = ntk(&with_arch("kernel", &["--x1", x1.to_str().unwrap()]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ntk"].as_array().unwrap().len(), 3);
    assert_eq!(v["ntk"][0][2], v["ntk"][2][0]);
}

#[test]
fn predict_json_shape() {
    let train = write("p-train.csv", "0.1,0.5,1.0\n-0.3,0.8,-0.5\n0.9,-0.2,0.3\n");
    let test = write("p-test.csv", "0,0\n0.5,0.5\n");
    let out = ntk(&with_arch(
        "predict",
        &["--train", train.to_str().unwrap(), "--test", test.to_str().unwrap(), "--time", "0,1.5,inf"],
    ));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let times = v["times"].as_array().unwrap();
    assert_eq!(times.len(), 3);
    assert_eq!(times[0]["time"], 0.0);
    assert!(times[2]["time"].is_null());
    for t in times {
        for gp in ["nngp", "ntk"] {
            assert_eq!(t[gp]["mean"].as_array().unwrap().len(), 2);
            assert_eq!(t[gp]["var"].as_array().unwrap().len(), 2);
        }
    }
    // (A `var >= 0` check cannot fail: the variances are clamped at 0.) At t = 0 both GPs are
    // the prior, K(x*, x*) of `ntk kernel` on the test points; the NNGP variance
    // K − K(*,X) K⁻¹ (I − e^{−2Kt/N}) K(X,*) then decreases with t, strictly here.
    let k = ntk(&with_arch("kernel", &["--x1", test.to_str().unwrap()]));
    let k: serde_json::Value = serde_json::from_slice(&k.stdout).unwrap();
    let var = |t: usize, gp: &str, j: usize| times[t][gp]["var"][j].as_f64().unwrap();
    for j in 0..2 {
        let prior = k["nngp"][j][j].as_f64().unwrap();
        for gp in ["nngp", "ntk"] {
            // Same kernel code on both paths: rounding only.
            assert!((var(0, gp, j) - prior).abs() <= 1e-14 * prior, "{gp} var at t = 0 vs K(x*, x*)");
        }
        assert!(var(0, "nngp", j) > var(1, "nngp", j) && var(1, "nngp", j) > var(2, "nngp", j));
    }
    // t = 0: mean 0 (the prior).
    assert_eq!(times[0]["ntk"]["mean"][0], 0.0);
    assert!(v["eta_max"].as_f64().unwrap() > 0.0);
    assert!(v["eta_critical"].as_f64().unwrap() <= v["eta_max"].as_f64().unwrap());
    assert_eq!(v["regularization"]["applied"], false);
}

#[test]
fn bad_inputs_exit_2() {
    let good = write("b-good.csv", "0.1,0.2\n0.3,0.4\n");
    let g = good.to_str().unwrap();
    let nan = write("b-nan.csv", "0.1,abc\n");
    let ragged = write("b-ragged.csv", "0.1,0.2\n0.3\n");
    let empty = write("b-empty.csv", "\n");
    let dim3 = write("b-dim3.csv", "1,2,3\n");
    let train = write("b-train.csv", "0.1,0.2,1\n0.3,0.4,2\n");
    let t = train.to_str().unwrap();

    let arch_with = |act: &str, depth: &str, sw2: &str, sb2: &str| {
        ntk(&["kernel", "--act", act, "--depth", depth, "--sw2", sw2, "--sb2", sb2, "--x1", g])
    };
    assert_bad_input(&arch_with("swish", "2", "1", "0"), "unknown activation 'swish'");
    assert_bad_input(&arch_with("erf", "0", "1", "0"), "depth");
    assert_bad_input(&arch_with("erf", "2", "-1", "0"), "got -1");
    assert_bad_input(&arch_with("erf", "2", "1", "-0.5"), "got -0.5");
    assert_bad_input(
        &ntk(&with_arch("kernel", &["--x1", nan.to_str().unwrap()])),
        "'abc' is not a finite number",
    );
    assert_bad_input(&ntk(&with_arch("kernel", &["--x1", ragged.to_str().unwrap()])), "ragged");
    assert_bad_input(&ntk(&with_arch("kernel", &["--x1", empty.to_str().unwrap()])), "no points");
    assert_bad_input(
        &ntk(&with_arch("kernel", &["--x1", g, "--x2", dim3.to_str().unwrap()])),
        "dimension mismatch",
    );
    assert_bad_input(
        &ntk(&with_arch("predict", &["--train", t, "--test", dim3.to_str().unwrap()])),
        "dimension mismatch",
    );
    assert_bad_input(
        &ntk(&with_arch("predict", &["--train", t, "--test", empty.to_str().unwrap()])),
        "no points",
    );
    assert_bad_input(
        &ntk(&with_arch("predict", &["--train", t, "--test", g, "--time", "-1"])),
        "time must be ≥ 0",
    );
    assert_bad_input(
        &ntk(&with_arch("predict", &["--train", t, "--test", g, "--diag-reg", "-1"])),
        "regularizer",
    );
    // Our own messages (after argument parsing) are exactly one line.
    let out = ntk(&with_arch("kernel", &["--x1", ragged.to_str().unwrap()]));
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim_end().lines().count(), 1);
}

/// `--act custom:EXPR`: a typed activation runs through every kernel command; spelling tanh
/// as an expression gives the built-in's numbers exactly (same evaluations of tanh and sech²);
/// a bad expression is bad input (exit 2) with the parser's or checker's reason.
#[test]
fn custom_activations() {
    let x1 = write("c1.csv", "0.1,0.2\n0.3,-0.4\n1,2\n");
    let run = |act: &str| {
        ntk(&[
            "kernel",
            "--act",
            act,
            "--depth",
            "3",
            "--sw2",
            "1.5",
            "--sb2",
            "0.1",
            "--x1",
            x1.to_str().unwrap(),
        ])
    };
    let custom = run("custom:tanh(x)");
    assert!(custom.status.success(), "{}", String::from_utf8_lossy(&custom.stderr));
    assert_eq!(custom.stdout, run("tanh").stdout);
    let swish = run("custom: x * sigmoid(x)");
    assert!(swish.status.success());
    let v: serde_json::Value = serde_json::from_slice(&swish.stdout).unwrap();
    assert_eq!(v["ntk"][0][1], v["ntk"][1][0]);
    assert_bad_input(&run("custom:x*"), "position 3");
    assert_bad_input(&run("custom:exp(x^2)"), "grows too fast");
    assert_bad_input(&run("custom:swish(x)"), "unknown function 'swish'");
    let train = write("c-train.csv", "0.1,0.5,1.0\n-0.3,0.8,-0.5\n");
    let test = write("c-test.csv", "0,0\n");
    let predict = ntk(&[
        "predict",
        "--act",
        "custom:sin(3*x)+0.1*x",
        "--depth",
        "2",
        "--sw2",
        "1.5",
        "--sb2",
        "0.1",
        "--train",
        train.to_str().unwrap(),
        "--test",
        test.to_str().unwrap(),
        "--time",
        "1",
    ]);
    assert!(predict.status.success(), "{}", String::from_utf8_lossy(&predict.stderr));
}
