//! `ntk phase`, `ntk spectrum`, `ntk convergence` and `ntk trainability` end to end: JSON
//! shapes and values on valid input (checked against closed forms where there is one); exit
//! code 2 and a one-line message naming the problem on bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn ntk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ntk")).args(args).output().unwrap()
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn write(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("ntk-cli-phase-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

fn assert_bad_input(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    // Our own errors are one line; clap's usage errors add a hint after the first.
    let first = err.lines().next().unwrap_or_default();
    assert!(first.contains(needle), "first stderr line {first:?} lacks {needle:?}");
}

#[test]
fn phase_grid_of_relu_has_chi1_half_sw2_and_the_critical_line_at_2() {
    let v = json(&ntk(&[
        "phase",
        "--act",
        "relu",
        "--sw2-range",
        "1:3",
        "--sb2-range",
        "0:0.5",
        "--grid",
        "5x3",
    ]));
    assert_eq!(v["sw2"].as_array().unwrap().len(), 5);
    assert_eq!(v["sb2"].as_array().unwrap().len(), 3);
    assert_eq!(v["trainable_depth_factor"], 6.0);
    for row in v["rows"].as_array().unwrap() {
        for cell in row["cells"].as_array().unwrap() {
            // relu: χ₁ = σ_w²/2 whatever q* (exact in the closed form).
            let (sw2, chi1) = (cell["sw2"].as_f64().unwrap(), cell["chi1"].as_f64().unwrap());
            assert!((chi1 - sw2 / 2.0).abs() < 1e-15, "{cell}");
            let phase = cell["phase"].as_str().unwrap();
            assert_eq!(phase == "ordered", sw2 < 2.0, "{cell}");
            if phase == "unbounded" {
                assert!(cell["q_star"].is_null() && cell["xi_c"].is_null());
            }
        }
    }
    // One crossing per row, at σ_w² = 2 (a cell sits exactly on it).
    let line = v["critical_line"].as_array().unwrap();
    assert_eq!(line.len(), 3);
    assert!(line.iter().all(|p| (p[0].as_f64().unwrap() - 2.0).abs() < 1e-12), "{line:?}");
}

#[test]
fn phase_point_with_trajectories() {
    let v = json(&ntk(&[
        "phase", "--act", "erf", "--sw2", "1.5", "--sb2", "0.1", "--c0", "0.2,0.9", "--layers", "30",
    ]));
    let p = &v["point"];
    assert_eq!(p["phase"], "ordered");
    // erf: χ₁ = σ_w² · 4/(π √(1 + 4q*)).
    let q = p["q_star"].as_f64().unwrap();
    let chi1 = 1.5 * 4.0 / (std::f64::consts::PI * (1.0 + 4.0 * q).sqrt());
    assert!((p["chi1"].as_f64().unwrap() - chi1).abs() < 1e-13);
    let t = v["trajectories"].as_array().unwrap();
    assert_eq!(t.len(), 2);
    let c = t[1]["c"].as_array().unwrap();
    assert_eq!(c.len(), 31);
    // Ordered: correlations increase towards c* = 1.
    assert!(c.windows(2).all(|w| w[1].as_f64().unwrap() > w[0].as_f64().unwrap()));
}

#[test]
fn phase_bad_input() {
    assert_bad_input(
        &ntk(&["phase", "--act", "erf", "--sw2-range", "0:1", "--sb2-range", "0:1"]),
        "σ_w² range 0:1",
    );
    assert_bad_input(
        &ntk(&["phase", "--act", "erf", "--sw2-range", "1:2", "--sb2-range", "0:1", "--grid", "0x4"]),
        "1 ..= 512",
    );
    assert_bad_input(
        &ntk(&["phase", "--act", "erf", "--sw2-range", "1:2", "--sb2-range", "0:1", "--grid", "4y4"]),
        "grid size",
    );
    assert_bad_input(&ntk(&["phase", "--act", "erf", "--sw2-range", "1-2", "--sb2-range", "0:1"]), "MIN:MAX");
    assert_bad_input(&ntk(&["phase", "--act", "erf"]), "give either a grid");
    assert_bad_input(&ntk(&["phase", "--act", "erf", "--sw2", "1", "--sb2", "-0.1"]), "σ_b²");
    assert_bad_input(
        &ntk(&["phase", "--act", "erf", "--sw2", "1", "--sb2", "0.1", "--c0", "1.5"]),
        "[−1, 1]",
    );
    assert_bad_input(&ntk(&["phase", "--act", "swish", "--sw2", "1", "--sb2", "0.1"]), "swish");
}

const ARCH: [&str; 8] = ["--act", "erf", "--depth", "2", "--sw2", "1.5", "--sb2", "0.1"];

fn spectrum(rest: &[&str]) -> Output {
    let mut args = vec!["spectrum"];
    args.extend_from_slice(&ARCH);
    args.extend_from_slice(rest);
    ntk(&args)
}

#[test]
fn spectrum_json_and_modes() {
    let train = write("s-train.csv", "0.1,0.5,1.0\n-0.3,0.8,-0.5\n0.9,-0.2,0.3\n1.2,0.4,0.2\n");
    let v = json(&spectrum(&["--train", train.to_str().unwrap(), "--time", "0,2,inf", "--max-depth", "4"]));
    assert_eq!(v["train_points"], 4);
    for k in ["ntk", "nngp"] {
        let ev: Vec<f64> =
            v[k]["eigenvalues"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        assert_eq!(ev.len(), 4);
        assert!(ev.windows(2).all(|w| w[0] >= w[1]));
        assert!(v[k].get("eigenvectors").is_none(), "vectors only with --vectors");
        // Parseval: the projections carry |y|² = 1 + 0.25 + 0.09 + 0.04.
        let e: f64 =
            v[k]["target_projection"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap().powi(2)).sum();
        assert!((e - 1.38).abs() < 1e-12);
    }
    let times = v["times"].as_array().unwrap();
    assert_eq!(times.len(), 3);
    // t = 0: nothing learned; t = ∞: everything (no null modes here).
    assert!(times[0]["ntk"]["remaining"].as_array().unwrap().iter().all(|d| d == 1.0));
    assert!(times[2]["time"].is_null());
    assert!(times[2]["ntk"]["mean_loss"].as_f64().unwrap() < 1e-20);
    assert_eq!(v["conditioning"]["depths"].as_array().unwrap().len(), 4);
    let v =
        json(&spectrum(&["--train", train.to_str().unwrap(), "--lr", "0.1", "--steps", "1,5", "--vectors"]));
    assert_eq!(v["times"][1]["steps"], 5);
    assert_eq!(v["ntk"]["eigenvectors"].as_array().unwrap().len(), 4);
}

#[test]
fn spectrum_bad_input() {
    let train = write("s-bad.csv", "0.1,0.5,1.0\n-0.3,0.8,-0.5\n");
    let t = train.to_str().unwrap();
    assert_bad_input(&spectrum(&["--train", t, "--diag-reg", "-1"]), "regularizer");
    assert_bad_input(&spectrum(&["--train", t, "--time", "-2"]), "time must be ≥ 0");
    assert_bad_input(&spectrum(&["--train", t, "--lr", "-0.1", "--steps", "3"]), "learning rate");
    assert_bad_input(&spectrum(&["--train", t, "--max-depth", "0"]), "depth");
    assert_bad_input(&spectrum(&["--train", "/nonexistent/x.csv"]), "cannot read");
}

#[test]
fn convergence_json_and_slopes() {
    let v = json(&ntk(&[
        "convergence",
        "--act",
        "relu",
        "--depth",
        "1",
        "--sw2",
        "2",
        "--sb2",
        "0",
        "--widths",
        "16,64,256",
        "--samples",
        "1,2,8",
        "--points",
        "4",
        "--dim",
        "8",
        "--threads",
        "2",
    ]));
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    assert_eq!(points[0]["errors"].as_array().unwrap().len(), 3);
    assert_eq!(points[2]["errors"][0]["groups"], 8);
    // M = 1 over 8 groups: the slope in n is near −½ (three widths: loose, see the core tests).
    let s = v["width_slopes"][0]["ntk"]["slope"].as_f64().unwrap();
    assert!((s + 0.5).abs() < 0.25, "slope {s}");
    // Same seed, one thread: same numbers (jobs are independent of scheduling).
    let w = json(&ntk(&[
        "convergence",
        "--act",
        "relu",
        "--depth",
        "1",
        "--sw2",
        "2",
        "--sb2",
        "0",
        "--widths",
        "16,64,256",
        "--samples",
        "1,2,8",
        "--points",
        "4",
        "--dim",
        "8",
        "--threads",
        "1",
    ]));
    assert_eq!(v, w);
}

#[test]
fn convergence_bad_input() {
    let base = ["convergence", "--act", "relu", "--depth", "1", "--sw2", "2", "--sb2", "0"];
    let run = |rest: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(rest);
        ntk(&a)
    };
    assert_bad_input(&run(&["--widths", "64,16"]), "strictly increasing");
    assert_bad_input(&run(&["--samples", "0,4"]), "sample count");
    assert_bad_input(&run(&["--points", "0"]), "number of points");
    assert_bad_input(&run(&["--threads", "0"]), "--threads");
}

#[test]
fn trainability_json() {
    let v = json(&ntk(&[
        "trainability",
        "--sw2",
        "0.5,2",
        "--depths",
        "1,3",
        "--width",
        "16",
        "--steps",
        "30",
        "--seeds",
        "2",
        "--train-size",
        "6",
        "--test-size",
        "5",
        "--dim",
        "4",
    ]));
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 4);
    assert_eq!(cells[1]["sw2"], 0.5);
    assert_eq!(cells[1]["depth"], 3);
    assert_eq!(cells[0]["seeds"].as_array().unwrap().len(), 2);
    assert!(cells.iter().all(|c| c["final_loss"]["mean"].as_f64().unwrap() >= 0.0));
    assert!(cells.iter().all(|c| c["predicted"]["train"].is_f64()));
    let phase = v["phase"].as_array().unwrap();
    assert_eq!(phase[0]["phase"], "ordered");
    assert_eq!(phase[1]["phase"], "chaotic");
}

#[test]
fn trainability_bad_input() {
    let run = |rest: &[&str]| {
        let mut a = vec!["trainability", "--width", "8", "--steps", "5"];
        a.extend_from_slice(rest);
        ntk(&a)
    };
    assert_bad_input(&run(&["--sw2", "2,1"]), "σ_w² grid");
    assert_bad_input(&run(&["--depths", "0,2"]), "depth");
    assert_bad_input(&run(&["--lr", "-1"]), "learning rate");
    assert_bad_input(&run(&["--dim", "0"]), "input dimension");
    let train = write("t-train.csv", "0.1,0.5,1.0\n-0.3,0.8,-0.5\n");
    let test = write("t-test.csv", "0.1\n");
    assert_bad_input(
        &run(&["--train", train.to_str().unwrap(), "--test", test.to_str().unwrap()]),
        "dimension mismatch",
    );
}
