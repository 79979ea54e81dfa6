//! Sharded runs end to end: `ntk ensemble --member-range/--shard … --partial` and
//! `ntk widths --shard/--only-widths/--seed-range … --partial` in concurrent processes, merged
//! by `ntk merge` into exactly the bytes the single run prints; and every refusal of the merge
//! (overlapping, incomplete, other job, edited file, a part cut short, other format version,
//! other kind).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ntk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ntk")).args(args).output().unwrap()
}

fn ok(out: Output) -> Vec<u8> {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Runs every argument list as its own process, all at once, and waits for all.
fn spawn_all(runs: &[Vec<String>]) {
    let children: Vec<_> = runs
        .iter()
        .map(|a| {
            Command::new(env!("CARGO_BIN_EXE_ntk"))
                .args(a)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ntk-cli-sharded-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn examples(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name).to_str().unwrap().to_string()
}

/// The cookbook data at a small size (10 members, width 24, 60 steps, 8 checkpoints) with
/// momentum so that every code path of a record is exercised.
fn ensemble_args(seed: &str) -> Vec<String> {
    let (train, test) = (examples("cookbook_train.csv"), examples("cookbook_test.csv"));
    [
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
        "24",
        "--members",
        "10",
        "--lr",
        "0.1",
        "--steps",
        "60",
        "--checkpoints",
        "8",
        "--momentum",
        "0.3",
        "--train",
        &train,
        "--test",
        &test,
        "--test-has-y",
        "--seed",
        seed,
        "--threads",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn with(base: &[String], extra: &[&str]) -> Vec<String> {
    base.iter().cloned().chain(extra.iter().map(|s| s.to_string())).collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn merge(parts: &[&Path]) -> Output {
    let mut args = vec!["merge".to_string()];
    args.extend(parts.iter().map(|p| p.to_str().unwrap().to_string()));
    ntk(&strs(&args))
}

fn refused(out: &Output, phrases: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for p in phrases {
        assert!(err.contains(p), "'{err}' lacks '{p}'");
    }
}

#[test]
fn ensemble_parts_from_concurrent_processes_merge_to_the_single_run_bit_for_bit() {
    let dir = tmpdir("ensemble");
    let base = ensemble_args("4");
    let single = ok(ntk(&strs(&base)));
    let report: serde_json::Value = serde_json::from_slice(&single).unwrap();
    assert_eq!(report["kind"], "ensemble");
    assert_eq!(report["format"], 1);
    assert!(report["spec_hash"].as_str().unwrap().starts_with("fnv1a128:"));
    assert_eq!(report["spec"]["members"], 10);
    assert_eq!(report["spec"]["x_train"].as_array().unwrap().len(), 5);
    assert_eq!(report["checkpoints"].as_array().unwrap().len(), 8);

    // Four processes at once, uneven ranges, one of them on two threads.
    let ranges = ["0..3", "3..5", "5..9", "9..10"];
    let part = |i: usize| dir.join(format!("range-{i}.json"));
    let runs: Vec<Vec<String>> = ranges
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let p = part(i);
            let mut a = with(&base, &["--member-range", r, "--partial", p.to_str().unwrap()]);
            if i == 2 {
                let t = a.iter().position(|s| s == "--threads").unwrap();
                a[t + 1] = "2".into();
            }
            a
        })
        .collect();
    spawn_all(&runs);
    let merged = ok(merge(&[&part(2), &part(0), &part(3), &part(1)]));
    assert_eq!(merged, single, "merge of four member ranges");

    // The same with --shard i/4 (members ⌊10i/4⌋..⌊10(i+1)/4⌋).
    let shard = |i: usize| dir.join(format!("shard-{i}.json"));
    let runs: Vec<Vec<String>> = (0..4)
        .map(|i| with(&base, &["--shard", &format!("{i}/4"), "--partial", shard(i).to_str().unwrap()]))
        .collect();
    spawn_all(&runs);
    let summary = ok(ntk(&strs(&with(&base, &["--shard", "1/4", "--partial", shard(1).to_str().unwrap()]))));
    let summary: serde_json::Value = serde_json::from_slice(&summary).unwrap();
    assert_eq!(
        (summary["kind"].as_str(), &summary["members"]),
        (Some("ensemble_partial"), &serde_json::json!({"start": 2, "end": 5}))
    );
    assert_eq!(ok(merge(&[&shard(0), &shard(1), &shard(2), &shard(3)])), single, "merge of four shards");

    // Refusals. Incomplete: the missing members are named.
    refused(&merge(&[&part(0), &part(1), &part(3)]), &["incomplete", "members 5..9 of 10"]);
    // Overlapping: a range across two others.
    let across = dir.join("across.json");
    ok(ntk(&strs(&with(&base, &["--member-range", "2..4", "--partial", across.to_str().unwrap()]))));
    refused(
        &merge(&[&part(0), &across, &part(1), &part(2), &part(3)]),
        &[
            "overlapping",
            "range-0.json (members 0..3)",
            "across.json (members 2..4)",
            "both hold members 2..3",
        ],
    );
    // The same part twice.
    refused(&merge(&[&part(0), &part(0)]), &["overlapping"]);
    // Another job (another seed): the hashes differ.
    let other = dir.join("other.json");
    ok(ntk(&strs(&with(
        &ensemble_args("5"),
        &["--member-range", "5..9", "--partial", other.to_str().unwrap()],
    ))));
    refused(&merge(&[&part(0), &part(1), &other, &part(3)]), &["different jobs", "other.json has fnv1a128:"]);
    // A part whose spec was edited after it was written.
    let text = std::fs::read_to_string(part(1)).unwrap();
    let edited = dir.join("edited.json");
    assert!(text.contains("\"learning_rate\":0.1,"));
    std::fs::write(&edited, text.replacen("\"learning_rate\":0.1,", "\"learning_rate\":0.2,", 1)).unwrap();
    refused(&merge(&[&part(0), &edited, &part(2), &part(3)]), &["edited.json", "edited or corrupted"]);
    // Another format version.
    let future = dir.join("future.json");
    assert!(text.contains("\"format\":1,"));
    std::fs::write(&future, text.replacen("\"format\":1,", "\"format\":2,", 1)).unwrap();
    refused(&merge(&[&part(0), &future, &part(2), &part(3)]), &["future.json", "format version 2"]);
    // A part cut short (a crashed job, a full disk): the text, or half of its checkpoints, or
    // half of one record's outputs — each refused with the part's name and what is wrong.
    let cut = dir.join("cut.json");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    refused(
        &merge(&[&part(0), &cut, &part(2), &part(3)]),
        &["cut.json: not a result file", "EOF while parsing"],
    );
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["batches"].as_array_mut().unwrap().truncate(4);
    let halved = dir.join("halved.json");
    std::fs::write(&halved, serde_json::to_string(&value).unwrap()).unwrap();
    refused(
        &merge(&[&part(0), &halved, &part(2), &part(3)]),
        &["halved.json: inconsistent part: 4 checkpoint batches, the job has 8 checkpoints"],
    );
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["batches"][3]["members"][1]["state"]["record"]["lin"].as_array_mut().unwrap().truncate(25);
    std::fs::write(&halved, serde_json::to_string(&value).unwrap()).unwrap();
    refused(
        &merge(&[&part(0), &halved, &part(2), &part(3)]),
        &["halved.json: batches[3].members[1].state.record.lin: 25 entries, but the spec's 50 test points imply 50"],
    );
    // A whole report is not a part; nor is a file of another program.
    let whole = dir.join("whole.json");
    std::fs::write(&whole, &single).unwrap();
    refused(
        &merge(&[&whole]),
        &["a file of kind 'ensemble' where kind 'ensemble_partial or widths_partial' was expected"],
    );
    let junk = dir.join("junk.json");
    std::fs::write(&junk, "{\"checkpoints\": []}").unwrap();
    refused(&merge(&[&junk]), &["junk.json", "not a result file"]);
    // Flags: a range needs --partial, and must lie within the job.
    let bad = ntk(&strs(&with(&base, &["--member-range", "0..3"])));
    assert_eq!(bad.status.code(), Some(2));
    refused(
        &ntk(&strs(&with(
            &base,
            &["--member-range", "8..12", "--partial", dir.join("x.json").to_str().unwrap()],
        ))),
        &["members 8..12 requested, but the job has 10 members"],
    );
}

fn widths_args() -> Vec<String> {
    [
        "widths",
        "--min-width",
        "8",
        "--max-width",
        "32",
        "--seeds",
        "3",
        "--steps",
        "20",
        "--checkpoints",
        "4",
        "--train-size",
        "5",
        "--threads",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn width_parts_merge_to_the_single_sweep_bit_for_bit() {
    let dir = tmpdir("widths");
    let base = widths_args();
    let single = ok(ntk(&strs(&base)));
    let report: serde_json::Value = serde_json::from_slice(&single).unwrap();
    assert_eq!(report["kind"], "widths");
    assert_eq!(report["spec"]["widths"], serde_json::json!([8, 16, 32]));
    assert_eq!(report["series"][0]["points"].as_array().unwrap().len(), 3);

    // Three balanced shards in concurrent processes.
    let shard = |i: usize| dir.join(format!("shard-{i}.json"));
    let runs: Vec<Vec<String>> = (0..3)
        .map(|i| with(&base, &["--shard", &format!("{i}/3"), "--partial", shard(i).to_str().unwrap()]))
        .collect();
    spawn_all(&runs);
    let runs_in = |p: &Path| {
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        v["jobs"].as_array().unwrap().len()
    };
    assert_eq!((0..3).map(|i| runs_in(&shard(i))).sum::<usize>(), 9);
    assert_eq!(ok(merge(&[&shard(2), &shard(0), &shard(1)])), single, "merge of three shards");

    // Hand-cut parts: two widths whole, and the third split by seeds.
    let (x, y, z) = (dir.join("x.json"), dir.join("y.json"), dir.join("z.json"));
    let cut = |extra: &[&str]| with(&base, extra);
    spawn_all(&[
        cut(&["--only-widths", "8,16", "--partial", x.to_str().unwrap()]),
        cut(&["--only-widths", "32", "--seed-range", "0..1", "--partial", y.to_str().unwrap()]),
        cut(&["--only-widths", "32", "--seed-range", "1..3", "--partial", z.to_str().unwrap()]),
    ]);
    assert_eq!(ok(merge(&[&z, &x, &y])), single, "merge of hand-cut parts");

    refused(&merge(&[&x, &y]), &["incomplete", "2 of 9 runs", "width 32 seeds 1..3"]);
    refused(&merge(&[&x, &y, &z, &shard(0)]), &["overlapping", "both hold width"]);
    let other = dir.join("other.json");
    ok(ntk(&strs(&with(
        &base,
        &["--seed", "9", "--only-widths", "32", "--seed-range", "1..3", "--partial", other.to_str().unwrap()],
    ))));
    refused(&merge(&[&x, &y, &other]), &["different jobs"]);
    // Ensemble and width parts do not mix.
    let ens = dir.join("ens.json");
    ok(ntk(&strs(&with(&ensemble_args("4"), &["--partial", ens.to_str().unwrap()]))));
    refused(&merge(&[&x, &ens]), &["kind 'ensemble_partial' where kind 'widths_partial'"]);
    refused(
        &ntk(&strs(&with(&base, &["--only-widths", "12", "--partial", other.to_str().unwrap()]))),
        &["width 12"],
    );
}
