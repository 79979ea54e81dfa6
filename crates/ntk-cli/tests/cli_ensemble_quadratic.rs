//! `ntk ensemble --quadratic`: each checkpoint gains the members' quadratic models (`quad`), the
//! same numbers as the core's run of the spec the report carries; parts written with
//! `--partial` carry them and `ntk merge` gives the whole run's report bit for bit; without the
//! flag nothing of it appears.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ntk_core::nets::ensemble::{run_members, EnsembleReport, EnsembleSpec};

fn ntk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ntk")).args(args).output().unwrap()
}

fn ok(out: Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ntk-cli-quad-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn examples(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name).to_str().unwrap().to_string()
}

/// The cookbook data, 3 members of width 16, 20 steps, 5 checkpoints.
fn args(extra: &[&str]) -> Vec<String> {
    let (train, test) = (examples("cookbook_train.csv"), examples("cookbook_test.csv"));
    let base = [
        "ensemble",
        "--act",
        "erf",
        "--depth",
        "2",
        "--sw2",
        "2.25",
        "--sb2",
        "0.0025",
        "--width",
        "16",
        "--members",
        "3",
        "--lr",
        "0.1",
        "--steps",
        "20",
        "--checkpoints",
        "5",
        "--train",
        &train,
        "--test",
        &test,
        "--test-has-y",
        "--seed",
        "5",
    ];
    base.iter().chain(extra).map(|s| s.to_string()).collect()
}

fn run(a: &[String]) -> serde_json::Value {
    ok(ntk(&a.iter().map(String::as_str).collect::<Vec<_>>()))
}

#[test]
fn the_quadratic_flag_adds_the_cores_quadratic_statistics() {
    let report = run(&args(&["--quadratic", "--threads", "2"]));
    assert_eq!(report["spec"]["quadratic"], true);
    let spec: EnsembleSpec = serde_json::from_value(report["spec"].clone()).unwrap();
    let stats = run_members(&spec, 0..spec.members, |_| ControlFlow::Continue(())).unwrap();
    let core = serde_json::to_value(EnsembleReport::new(&spec, &stats).unwrap()).unwrap();
    assert_eq!(report, core);
    let m = spec.data.x_test.len();
    for c in report["checkpoints"].as_array().unwrap() {
        let q = &c["quad"];
        assert_eq!(q["outputs"]["mean"].as_array().unwrap().len(), m);
        assert_eq!(q["outputs"]["var"].as_array().unwrap().len(), m);
        for key in ["train_loss", "test_loss", "rmse_nn_quad"] {
            assert!(q[key].as_f64().is_some_and(|v| v.is_finite() && v >= 0.0), "{key}: {q}");
        }
    }
    // Without the flag: the same network and linearization statistics, no quadratic model.
    let plain = run(&args(&["--threads", "2"]));
    assert!(plain["spec"].get("quadratic").is_none());
    for (a, b) in
        plain["checkpoints"].as_array().unwrap().iter().zip(report["checkpoints"].as_array().unwrap())
    {
        assert!(a.get("quad").is_none());
        assert_eq!((&a["nn"], &a["lin"], &a["rmse_nn_lin"]), (&b["nn"], &b["lin"], &b["rmse_nn_lin"]));
    }
}

#[test]
fn quadratic_parts_merge_to_the_whole_run() {
    let dir = tmpdir("parts");
    let whole = run(&args(&["--quadratic", "--threads", "1"]));
    let parts: Vec<PathBuf> = ["0..1", "1..3"]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let p = dir.join(format!("part-{i}.json"));
            let a = args(&["--quadratic", "--member-range", r, "--partial", p.to_str().unwrap()]);
            run(&a);
            p
        })
        .collect();
    let part: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&parts[1]).unwrap()).unwrap();
    let record = &part["batches"][1]["members"][0]["state"]["record"];
    assert!(record["quad"]["outputs"].is_array(), "a part's record carries the quadratic model: {record}");
    let mut merge = vec!["merge".to_string()];
    merge.extend(parts.iter().rev().map(|p| p.to_str().unwrap().to_string()));
    assert_eq!(run(&merge), whole);
    let _ = std::fs::remove_dir_all(&dir);
}
