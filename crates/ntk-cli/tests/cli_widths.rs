//! `ntk widths` end to end: JSON shape of a sweep (with and without a second axis, generated or
//! CSV data), thread-count independence, exit code 2 with a one-line message on bad input;
//! `--alpha` reaches the spec and centres metric (a).

use std::process::{Command, Output};

fn ntk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ntk")).args(args).output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Small and fast: one erf layer, widths 8…32, 2 seeds, 20 steps.
const SMALL: [&str; 11] =
    ["widths", "--depth", "1", "--min-width", "8", "--max-width", "32", "--seeds", "2", "--steps", "20"];

fn small(extra: &[&str]) -> Output {
    let mut v = SMALL.to_vec();
    v.extend_from_slice(extra);
    v.extend_from_slice(&["--checkpoints", "4"]);
    ntk(&v)
}

#[test]
fn sweep_prints_points_and_slopes() {
    let v = json(&small(&["--threads", "2"]));
    assert_eq!(v["reference_slopes"], serde_json::json!([-0.5, -1.0]));
    let series = v["series"].as_array().unwrap();
    assert_eq!(series.len(), 1);
    let s = &series[0];
    assert!(s["axis_value"].is_null());
    assert_eq!((s["depth"].as_u64(), s["train_size"].as_u64()), (Some(1), Some(8)));
    let widths: Vec<u64> =
        s["points"].as_array().unwrap().iter().map(|p| p["width"].as_u64().unwrap()).collect();
    assert_eq!(widths, vec![8, 16, 32]);
    for p in s["points"].as_array().unwrap() {
        let seeds = p["seeds"].as_array().unwrap();
        assert_eq!(seeds.len(), 2);
        for key in ["rmse_nn_lin_sup", "ntk_change", "ntk_init_error"] {
            // The summary is the statistics of the per-seed values (recomputed here), and each
            // value is strictly positive: 20 steps move the network off its linearization and
            // its kernel, and a width-8 kernel differs from the analytic one.
            let per_seed: Vec<f64> = seeds
                .iter()
                .map(|s| if key == "ntk_init_error" { &s[key] } else { &s["training"][key] })
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert!(per_seed.iter().all(|&v| v > 0.0), "{key}: {per_seed:?}");
            assert_stats(&p[key], &per_seed, key);
        }
        assert_eq!(p["weight_change"].as_array().unwrap().len(), 2);
        for layer in 0..2 {
            let per_seed: Vec<f64> =
                seeds.iter().map(|s| s["training"]["weight_change"][layer].as_f64().unwrap()).collect();
            assert!(per_seed.iter().all(|&v| v > 0.0), "weight_change[{layer}]: {per_seed:?}");
            assert_stats(&p["weight_change"][layer], &per_seed, &format!("weight_change[{layer}]"));
        }
        // Default learning rate: ½ η_critical of the analytic NTK, the same at every width.
        assert_eq!(p["learning_rate"], s["points"][0]["learning_rate"]);
    }
    for key in ["rmse_nn_lin_sup", "ntk_change", "ntk_init_error"] {
        assert!(s["slopes"][key]["slope"].is_number(), "{key}");
        assert_eq!(s["slopes"][key]["points"], 3);
    }
    assert_eq!(s["slopes"]["weight_change"].as_array().unwrap().len(), 2);
    // Every (width, seed) is an independent job: one thread gives the very same JSON.
    assert_eq!(json(&small(&["--threads", "1"])), v);
    // An explicit grid and learning rate.
    let w = json(&ntk(&[
        "widths", "--depth", "1", "--widths", "8,32", "--seeds", "2", "--steps", "20", "--lr", "0.05",
    ]));
    assert_eq!(w["series"][0]["points"].as_array().unwrap().len(), 2);
    assert_eq!(w["series"][0]["points"][1]["learning_rate"], 0.05);
}

/// `stats` (`{count, mean, sd, min, max}`) is the sample summary of `values`: to rounding of a
/// two-term mean (relative 1e-12 of the values' scale; sd is the unbiased sample deviation).
fn assert_stats(stats: &serde_json::Value, values: &[f64], what: &str) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let tol = 1e-12 * max.abs();
    assert_eq!(stats["count"].as_u64(), Some(values.len() as u64), "{what}");
    for (stat, want) in [("mean", mean), ("sd", sd), ("min", min), ("max", max)] {
        let got = stats[stat].as_f64().unwrap();
        assert!((got - want).abs() <= tol, "{what}.{stat}: {got} vs {want} from {values:?}");
    }
}

/// Tinier still: widths 8 and 16, one seed, 10 steps, plus `extra`.
fn tiny(extra: &[&str]) -> Output {
    let mut v = vec!["widths", "--widths", "8,16", "--seeds", "1", "--steps", "10"];
    v.extend_from_slice(extra);
    ntk(&v)
}

#[test]
fn second_axis_and_csv_data() {
    let v = json(&tiny(&["--checkpoints", "3", "--depths", "1,2"]));
    let depths: Vec<u64> =
        v["series"].as_array().unwrap().iter().map(|s| s["depth"].as_u64().unwrap()).collect();
    assert_eq!(depths, vec![1, 2]);
    assert_eq!(v["series"][1]["axis_value"], 2);
    assert_eq!(v["series"][1]["points"][0]["weight_change"].as_array().unwrap().len(), 3);
    let v = json(&tiny(&["--depth", "1", "--train-sizes", "3,5"]));
    let sizes: Vec<u64> =
        v["series"].as_array().unwrap().iter().map(|s| s["train_size"].as_u64().unwrap()).collect();
    assert_eq!(sizes, vec![3, 5]);

    let dir = std::env::temp_dir().join(format!("ntk-cli-widths-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let train = dir.join("train.csv");
    let test = dir.join("test.csv");
    std::fs::write(&train, "-0.9,0.1,-0.8\n-0.3,0.5,-0.3\n0.2,-0.4,0.2\n0.8,0.2,0.7\n").unwrap();
    std::fs::write(&test, "0.0,0.0\n0.5,0.5\n").unwrap();
    let v =
        json(&tiny(&["--depth", "1", "--train", train.to_str().unwrap(), "--test", test.to_str().unwrap()]));
    assert_eq!(v["series"][0]["train_size"], 4);
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
fn bad_input_exits_2_with_one_line() {
    let cases: [(&[&str], &str); 12] = [
        (&["--widths", "16,8"], "strictly increasing: entry 1 is 8, after 16"),
        (&["--alpha", "0", "--widths", "8"], "alpha must be a finite number in [0.001, 10000], got 0"),
        (&["--widths", "0,8"], "got 0"),
        (&["--min-width", "64", "--max-width", "32"], "largest width"),
        (&["--seeds", "0"], "seeds out of range: 0"),
        (&["--lr", "-1"], "learning rate out of range: -1"),
        (&["--lr-critical", "0"], "fraction of η_critical"),
        (&["--depths", "2,0"], "strictly increasing"),
        (&["--max-width", "16384"], "MiB"),
        (&["--memory-cap-mib", "1", "--widths", "8"], "above the cap of 1 MiB"),
        (&["--target", "cosine"], "unknown target 'cosine'"),
        (&["--threads", "0", "--widths", "8"], "--threads"),
    ];
    for (args, needle) in cases {
        let mut v = vec!["widths", "--steps", "5", "--seeds", "1"];
        // --seeds given twice is a clap error: only add the default when not under test.
        if args.contains(&"--seeds") {
            v.truncate(3);
        }
        v.extend_from_slice(args);
        let out = ntk(&v);
        assert_bad_input(&out, needle);
        // Ours (not clap's) are exactly one line.
        if !needle.starts_with("unknown target") {
            assert_eq!(String::from_utf8_lossy(&out.stderr).trim_end().lines().count(), 1, "{args:?}");
        }
    }
    // Conflicting flags are clap usage errors (exit 2).
    assert_bad_input(&ntk(&["widths", "--depth", "2", "--depths", "1,2"]), "cannot be used with");
    assert_bad_input(&ntk(&["widths", "--lr", "0.1", "--lr-critical", "0.5"]), "cannot be used with");
}

/// `--alpha 16` is in the printed spec and makes the network follow its linearization more
/// closely: metric (a), the sup of the test RMSE between g and g_lin, is below that of the
/// same sweep without α at every width (lazier by a factor ~α; checked with a factor 4).
#[test]
fn alpha_reaches_the_spec_and_shrinks_the_gap() {
    let plain = json(&small(&[]));
    let lazy = json(&small(&["--alpha", "16"]));
    assert_eq!(lazy["spec"]["alpha"], 16.0);
    assert!(plain["spec"].get("alpha").is_none());
    let gaps = |v: &serde_json::Value| -> Vec<f64> {
        v["series"][0]["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["rmse_nn_lin_sup"]["mean"].as_f64().unwrap())
            .collect()
    };
    for (g, p) in gaps(&lazy).iter().zip(gaps(&plain)) {
        assert!(*g > 0.0 && g * 4.0 < p, "gap with α = 16: {g}, without: {p}");
    }
}

/// `--alphas`: the one width at every output scale, with the metrics per α and their slopes;
/// with `--alpha`, or more than one width, it is refused with exit code 2.
#[test]
fn alphas_sweep_the_output_scale_at_one_width() {
    let base = ["widths", "--seeds", "1", "--steps", "40", "--act", "erf"];
    let out = ntk(&[&base[..], &["--widths", "32", "--alphas", "1,4,16"]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.iter().map(|p| p["alpha"].as_f64().unwrap()).collect::<Vec<_>>(), [1.0, 4.0, 16.0]);
    assert!(points.iter().all(|p| p["point"]["rmse_nn_lin_sup"]["mean"].is_number()));
    let slope = v["slopes"]["rmse_nn_lin_sup"]["slope"].as_f64().unwrap();
    assert!(slope < -0.3, "the gap falls with α: slope {slope}");
    for bad in [
        &["--widths", "32", "--alphas", "1,4", "--alpha", "2"][..],
        &["--widths", "32", "--alphas", "4,1"],
        &["--widths", "32,64", "--alphas", "1,4"],
    ] {
        let out = ntk(&[&base[..], bad].concat());
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
