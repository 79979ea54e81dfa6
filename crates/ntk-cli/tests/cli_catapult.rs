//! `ntk catapult` end to end: the JSON of the map, network and sweep modes, exit code 2 with a
//! one-line message on bad input.

use std::process::Command;

fn ntk(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ntk")).args(args).output().unwrap()
}

fn json_of(args: &[&str]) -> serde_json::Value {
    let out = ntk(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn array_len(v: &serde_json::Value) -> usize {
    v.as_array().unwrap().len()
}

#[test]
fn map_prints_the_documented_json() {
    let v = json_of(&[
        "catapult",
        "--eta",
        "1.5",
        "--width",
        "1000",
        "--lambda0",
        "2",
        "--f0",
        "1",
        "--steps",
        "40",
    ]);
    for key in ["f", "lambda", "loss"] {
        assert_eq!(array_len(&v[key]), 41, "{key}");
    }
    assert_eq!(v["f"][0], 1.0);
    assert_eq!(v["lambda"][0], 2.0);
    assert_eq!(v["loss"][0], 0.5);
    // f₁ = (1 − ηλ₀ + η²f₀²/n) f₀ = −2 + 0.00225 (a few roundings of O(1) numbers).
    assert!((v["f"][1].as_f64().unwrap() + 1.99775).abs() < 1e-14);
    assert_eq!(v["phase"], "catapult");
    assert_eq!(v["predicted_phase"], "catapult");
    assert!(v["diverged_at"].is_null());
    assert_eq!(v["eta_lambda0"], 3.0);
}

#[test]
fn map_with_eta_lambda0_and_divergence() {
    let v = json_of(&[
        "catapult",
        "--eta-lambda0",
        "4.5",
        "--width",
        "1e4",
        "--lambda0",
        "2",
        "--f0",
        "-0.5",
        "--steps",
        "1000",
    ]);
    assert_eq!(v["eta"], 2.25);
    let k = v["diverged_at"].as_u64().expect("ηλ₀ = 4.5 diverges");
    assert_eq!(array_len(&v["f"]) as u64, k);
    assert_eq!(array_len(&v["lambda"]) as u64, k);
    assert_eq!(v["phase"], "divergent");
    assert_eq!(v["predicted_phase"], "divergent");
}

#[test]
fn network_mode_prints_the_same_keys_and_outputs() {
    let v = json_of(&[
        "catapult",
        "--network",
        "--activation",
        "tanh",
        "--points",
        "4",
        "--eta-lambda0",
        "2.5",
        "--width",
        "64",
        "--steps",
        "20",
        "--seed",
        "3",
        "--sb2",
        "0.1",
    ]);
    for key in ["f", "lambda", "loss", "outputs"] {
        assert_eq!(array_len(&v[key]), 21, "{key}");
    }
    assert_eq!(array_len(&v["outputs"][0]), 4);
    assert_eq!(v["f"][5], v["outputs"][5][0]);
    assert_eq!(array_len(&v["x_train"]), 4);
    assert_eq!(v["lambda0"], v["lambda"][0]);
    // η = 2.5/λ₀ and back: one rounding each way.
    assert!((v["eta_lambda0"].as_f64().unwrap() - 2.5).abs() < 1e-14);
    assert_eq!(v["predicted_phase"], "catapult");
    assert!(v["phase"].is_string());
}

#[test]
fn network_linear_one_sample_and_members() {
    let v = json_of(&[
        "catapult",
        "--network",
        "--eta",
        "0.3",
        "--width",
        "128",
        "--steps",
        "10",
        "--members",
        "3",
    ]);
    let members = v["members"].as_array().unwrap();
    assert_eq!(members.len(), 3);
    for m in members {
        assert_eq!(array_len(&m["f"]), 11);
        assert_eq!(m["eta"], 0.3);
    }
    assert_ne!(members[0]["f"][0], members[1]["f"][0]);
    assert_eq!(v["x_train"], serde_json::json!([[1.0]]));
    assert_eq!(v["y_train"], serde_json::json!([0.0]));
    // Member 1 is the single run with seed 1.
    let single =
        json_of(&["catapult", "--network", "--eta", "0.3", "--width", "128", "--steps", "10", "--seed", "1"]);
    assert_eq!(single["lambda"], members[1]["lambda"]);
}

#[test]
fn sweep_prints_one_point_per_grid_value() {
    let v = json_of(&[
        "catapult",
        "--sweep",
        "--width",
        "1e5",
        "--lambda0",
        "2",
        "--f0",
        "1",
        "--steps",
        "5000",
        "--grid-min",
        "1",
        "--grid-max",
        "5",
        "--grid-count",
        "5",
    ]);
    let pts = v["points"].as_array().unwrap();
    assert_eq!(pts.len(), 5);
    let phases: Vec<&str> = pts.iter().map(|p| p["phase"].as_str().unwrap()).collect();
    assert_eq!(phases, ["lazy", "lazy", "catapult", "divergent", "divergent"]);
    assert_eq!(pts[2]["eta_lambda0"], 3.0);
    assert_eq!(pts[2]["eta"], 1.5);
    for p in pts {
        assert!(p["final_lambda"].is_number() && p["final_loss"].is_number());
    }
    assert!(pts[4]["diverged_at"].is_u64());
    let log = json_of(&[
        "catapult",
        "--sweep",
        "--width",
        "100",
        "--lambda0",
        "2",
        "--f0",
        "1",
        "--steps",
        "10",
        "--grid-min",
        "0.1",
        "--grid-max",
        "10",
        "--grid-count",
        "3",
        "--log-grid",
    ]);
    assert_eq!(log["points"][2]["eta_lambda0"], 10.0);
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let map = |extra: &[&str]| {
        let mut a = vec!["catapult", "--width", "100", "--steps", "10"];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<String>>()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (map(&["--eta", "0", "--lambda0", "2", "--f0", "1"]), "learning rate"),
        (map(&["--eta", "-1", "--lambda0", "2", "--f0", "1"]), "learning rate"),
        (map(&["--eta", "1", "--lambda0", "0", "--f0", "1"]), "λ₀"),
        (map(&["--eta", "1", "--lambda0", "2", "--f0", "nan"]), "f₀"),
        (map(&["--eta", "1", "--lambda0", "2", "--f0", "11"]), "unreachable"),
        (map(&["--eta", "1", "--lambda0", "2"]), "--f0"),
        (map(&["--lambda0", "2", "--f0", "1"]), "--eta"),
        (map(&["--eta", "1", "--eta-lambda0", "2", "--lambda0", "2", "--f0", "1"]), "--eta"),
        (map(&["--eta-lambda0", "inf", "--lambda0", "2", "--f0", "1"]), "ηλ₀"),
        (map(&["--sweep", "--lambda0", "2", "--f0", "1", "--grid-count", "0"]), "grid"),
        (map(&["--sweep", "--lambda0", "2", "--f0", "1", "--eta", "1"]), "--sweep"),
        (map(&["--network", "--sweep", "--eta", "1"]), "--network"),
        (map(&["--network", "--eta", "1", "--points", "0"]), "points"),
        (map(&["--network", "--eta", "1", "--lambda0", "2"]), "--lambda0"),
        (map(&["--network", "--eta", "1", "--sw2", "0"]), "σ_w²"),
        (map(&["--quadratic", "--eta", "1", "--lambda0", "2", "--f0", "1"]), "--network"),
        (
            vec!["catapult", "--width", "0.5", "--steps", "10", "--eta", "1", "--lambda0", "2", "--f0", "0"]
                .into_iter()
                .map(String::from)
                .collect(),
            "width",
        ),
        (
            vec!["catapult", "--network", "--width", "10.5", "--steps", "10", "--eta", "1"]
                .into_iter()
                .map(String::from)
                .collect(),
            "integer",
        ),
        (
            vec!["catapult", "--width", "100", "--steps", "0", "--eta", "1", "--lambda0", "2", "--f0", "1"]
                .into_iter()
                .map(String::from)
                .collect(),
            "steps",
        ),
    ];
    for (args, needle) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_ntk")).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: '{err}' lacks '{needle}'");
        assert!(out.stdout.is_empty());
    }
    // clap's own parse errors also exit 2.
    let out = ntk(&[
        "catapult",
        "--network",
        "--activation",
        "swish",
        "--width",
        "8",
        "--steps",
        "3",
        "--eta",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// `--network --quadratic` at ηλ₀ = 3 (the page's default network, width 1024, 100 steps): the
/// network and its quadratic model catapult (loss up by > 10×, then below a tenth of its
/// start; measured 3.44 → 235 → 0.050 and 3.44 → 350 → 0.050), the linearization diverges
/// (measured at step 27: |1 − ηλ₀|ᵏ = 2ᵏ reaches the 10⁸ bound). Without the flag the keys are
/// absent and the rest of the JSON is the same.
#[test]
fn network_quadratic_adds_the_taylor_models() {
    let args = [
        "catapult",
        "--network",
        "--activation",
        "relu",
        "--sw2",
        "2",
        "--points",
        "4",
        "--eta-lambda0",
        "3",
        "--width",
        "1024",
        "--steps",
        "100",
    ];
    let mut with = args.to_vec();
    with.push("--quadratic");
    let mut v = json_of(&with);
    let losses = |m: &serde_json::Value| -> Vec<f64> {
        m["loss"].as_array().unwrap().iter().map(|l| l.as_f64().unwrap()).collect()
    };
    let (net, quad, lin) = (losses(&v), losses(&v["quadratic"]), losses(&v["linearized"]));
    let peak = |l: &[f64]| l.iter().copied().fold(0.0, f64::max);
    for (name, l) in [("network", &net), ("quadratic", &quad)] {
        assert!(peak(l) > 10.0 * l[0] && *l.last().unwrap() < 0.1 * l[0], "{name}: {l:?}");
    }
    assert_eq!(v["phase"], "catapult");
    assert_eq!(v["quadratic"]["phase"], "catapult");
    assert_eq!(v["quadratic"]["diverged_at"], serde_json::Value::Null);
    assert_eq!(array_len(&v["quadratic"]["lambda"]), 101);
    assert_eq!(v["linearized"]["phase"], "divergent");
    let k = v["linearized"]["diverged_at"].as_u64().expect("the linearization diverges");
    assert_eq!(lin.len() as u64, k);
    assert!((20..=40).contains(&k), "{k}");
    // The same f₀ by two evaluations of the same f64 network (dual and plain): a few roundings.
    assert!((quad[0] - net[0]).abs() <= 1e-12 * net[0], "{} vs {}", quad[0], net[0]);
    let plain = json_of(&args);
    let obj = v.as_object_mut().unwrap();
    obj.remove("quadratic").unwrap();
    obj.remove("linearized").unwrap();
    assert_eq!(v, plain, "the network's JSON is unchanged by the models beside it");

    let mut members: Vec<&str> = with.iter().map(|a| if *a == "1024" { "32" } else { a }).collect();
    members.extend(["--members", "2"]);
    let v = json_of(&members);
    for m in v["members"].as_array().unwrap() {
        assert!(m["quadratic"]["loss"].is_array() && m["linearized"]["loss"].is_array());
    }
}
