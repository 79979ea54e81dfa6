//! `ntk ensemble` end to end: JSON shape of a valid run, exit code 2 with a one-line message on
//! bad input.

use std::process::Command;

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn tmpdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ntk-cli-ensemble-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn ntk(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ntk")).args(args).output().unwrap()
}

#[test]
fn valid_run_prints_the_documented_json() {
    let dir = tmpdir("ok");
    let train = write(&dir, "train.csv", "-2.0,-0.9\n-0.5,-0.5\n0.7,0.6\n2.1,0.9\n");
    let test = write(&dir, "test.csv", "-1.0,-0.84\n0.0,0.0\n1.0,0.84\n");
    let (train, test) = (train.to_str().unwrap(), test.to_str().unwrap());
    let args = vec![
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
        "0.2",
        "--steps",
        "50",
        "--train",
        train,
        "--test",
        test,
        "--test-has-y",
        "--seed",
        "4",
        "--checkpoints",
        "6",
        "--momentum",
        "0.2",
    ];
    let out = ntk(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cps = v["checkpoints"].as_array().unwrap();
    assert_eq!(cps[0]["step"], 0);
    assert_eq!(cps.last().unwrap()["step"], 50);
    assert!((cps.last().unwrap()["time"].as_f64().unwrap() - 10.0).abs() < 1e-12);
    for c in cps {
        for key in ["nn", "lin"] {
            assert_eq!(c[key]["mean"].as_array().unwrap().len(), 3);
            assert_eq!(c[key]["var"].as_array().unwrap().len(), 3);
        }
        assert!(c["train_loss"]["nn"].is_number() && c["train_loss"]["lin"].is_number());
        assert!(c["test_loss"]["nn"].is_number() && c["test_loss"]["lin"].is_number());
        assert!(c["rmse_nn_lin"].is_number() && c["ntk_change"].is_number());
        assert_eq!(c["weight_change"].as_array().unwrap().len(), 3);
    }
    assert_eq!(v["diverged"], 0);
    assert!(v["diverged_steps"].as_array().unwrap().is_empty());
    assert!(cps.iter().all(|c| c["members"] == 3));
    // The same run on one, two and three threads prints the same bytes: the checkpoint batches
    // are merged in member order whatever the split.
    for threads in ["1", "2", "3"] {
        let mut split = args.clone();
        split.extend(["--threads", threads]);
        let other = ntk(&split);
        assert!(other.status.success(), "{}", String::from_utf8_lossy(&other.stderr));
        assert_eq!(out.stdout, other.stdout, "{threads} thread(s)");
    }
    // Without targets in the test file there is no test loss.
    let test_x = write(&dir, "testx.csv", "-1.0\n0.5\n");
    let out = ntk(&[
        "ensemble",
        "--act",
        "relu",
        "--depth",
        "1",
        "--sw2",
        "2",
        "--sb2",
        "0.1",
        "--width",
        "8",
        "--members",
        "2",
        "--lr",
        "0.1",
        "--steps",
        "5",
        "--train",
        train,
        "--test",
        test_x.to_str().unwrap(),
        "--readout-only",
        "--param",
        "standard",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["checkpoints"][0].get("test_loss").is_none());
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let dir = tmpdir("bad");
    let train = write(&dir, "train.csv", "-2.0,-0.9\n0.7,0.6\n");
    let test = write(&dir, "test.csv", "-1.0\n0.0\n");
    let test2d = write(&dir, "test2.csv", "-1.0,1.0\n");
    let base = |lr: &str, width: &str, test: &std::path::Path| {
        ntk(&[
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
            width,
            "--members",
            "2",
            "--lr",
            lr,
            "--steps",
            "5",
            "--train",
            train.to_str().unwrap(),
            "--test",
            test.to_str().unwrap(),
        ])
    };
    for (out, needle) in [
        (base("-0.5", "8", &test), "-0.5"),
        (base("0.1", "0", &test), "width"),
        (base("0.1", "8", &test2d), "dimension"),
        (base("0.1", "8", &dir.join("missing.csv")), "missing.csv"),
    ] {
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
}

/// `--data` generates the page's set (the explorer's link with seed S is `--data-seed S --seed
/// S`): the same report, byte for byte, as the same points written to files, so the command the
/// page shows prints the page's run.
#[test]
fn generated_data_is_the_same_run_as_its_points_in_files() {
    let dir = tmpdir("data");
    let set = ntk_core::datasets::named_set("sin", 5, 0.1, 3).unwrap();
    let rows = |x: &[Vec<f64>], y: &[f64]| -> String {
        x.iter().zip(y).map(|(x, y)| format!("{},{y}\n", x[0])).collect()
    };
    let train = write(&dir, "train.csv", &rows(&set.x_train, &set.y_train));
    let test = write(&dir, "test.csv", &rows(&set.x_test, set.y_test.as_deref().unwrap()));
    let common = [
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
        "40",
        "--seed",
        "3",
        "--checkpoints",
        "5",
    ];
    let generated =
        ntk(&[&common[..], &["--data", "sin", "--points", "5", "--noise", "0.1", "--data-seed", "3"]]
            .concat());
    assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));
    let files = ntk(&[
        &common[..],
        &["--train", train.to_str().unwrap(), "--test", test.to_str().unwrap(), "--test-has-y"],
    ]
    .concat());
    assert!(files.status.success(), "{}", String::from_utf8_lossy(&files.stderr));
    assert_eq!(String::from_utf8_lossy(&generated.stdout), String::from_utf8_lossy(&files.stdout));
    let v: serde_json::Value = serde_json::from_slice(&generated.stdout).unwrap();
    assert_eq!(v["checkpoints"][0]["nn"]["mean"].as_array().unwrap().len(), set.x_test.len());
    // Files and a generated set together are refused before any work.
    let both = ntk(&[&common[..], &["--data", "sin", "--train", train.to_str().unwrap()]].concat());
    assert_eq!(both.status.code(), Some(2));
    let neither = ntk(&common);
    assert_eq!(neither.status.code(), Some(2));
}
