//! A file from outside is checked before it is believed (`ntk_core::results::read_result`):
//! each refusal of the one reader, on a deliberately damaged copy of a valid file of each
//! kind (an ensemble report, a part, a width sweep and its part, a one-network run), with the
//! message it gets — naming the field, what the file has there and what its spec implies. The
//! undamaged files, and damage that keeps a file consistent, read back.

use std::ops::ControlFlow;

use ntk_core::datasets::{Dataset2d, ExplicitData, Target1d, Target2d};
use ntk_core::experiments::single::{run_single, SingleReport, SingleSpec};
use ntk_core::experiments::widths::{
    run_sweep, run_width_members, width_jobs, LearningRate, SweepAxis, SweepData, SweepResult,
    WidthSweepSpec, WidthsPartial, WidthsReport,
};
use ntk_core::nets::ensemble::{
    run_members, Advance, EnsemblePartial, EnsembleReport, EnsembleRunner, EnsembleSpec, MemberState,
};
use ntk_core::nets::loss::Loss;
use ntk_core::results::{merge_parts, read_result, spec_hash, ResultFile, ResultsError};
use ntk_core::{Activation, Architecture, Parameterization};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Valid files

fn ensemble_report(spec: &EnsembleSpec) -> Value {
    let stats = run_members(spec, 0..spec.members, |_| ControlFlow::Continue(())).unwrap();
    serde_json::to_value(EnsembleReport::new(spec, &stats).unwrap()).unwrap()
}

/// 4 members of width 8, 40 steps in 6 checkpoints (steps 0, 1, 3, 6, 16, 40), 50 test points.
fn ensemble() -> Value {
    ensemble_report(&EnsembleSpec::cookbook(4, 40, 8, 6))
}

/// η = 1.3 on the cookbook: some of the 6 members diverge (checked), others not.
fn diverging_spec() -> EnsembleSpec {
    let mut spec = EnsembleSpec::cookbook(6, 60, 8, 6);
    spec.learning_rate = 1.3;
    spec
}

fn part(spec: &EnsembleSpec, members: std::ops::Range<usize>) -> EnsemblePartial {
    let mut runner = EnsembleRunner::new(spec, members.clone()).unwrap();
    let mut batches = Vec::new();
    loop {
        match runner.advance(1e6).unwrap() {
            Advance::Checkpoint(b) => batches.push(b),
            Advance::Working { .. } => {}
            Advance::Done => break,
        }
    }
    EnsemblePartial::from_batches(spec, members, batches).unwrap()
}

fn sweep_spec() -> WidthSweepSpec {
    WidthSweepSpec {
        arch: Architecture::new(2, Activation::Erf, 2.25, 0.0025, Parameterization::Ntk).unwrap(),
        data: SweepData::Generated { target: Target1d::Sin, train_size: 5, noise: 0.1, seed: 1 },
        learning_rate: LearningRate::CriticalFraction(0.5),
        steps: 15,
        seed: 3,
        widths: vec![8, 16, 32],
        seeds: 3,
        axis: SweepAxis::Depth(vec![1, 2]),
        checkpoints: 4,
        alpha: None,
    }
}

fn widths() -> Value {
    let spec = sweep_spec();
    let result = run_sweep(&spec, |_| ControlFlow::Continue(())).unwrap();
    serde_json::to_value(WidthsReport::new(&spec, result).unwrap()).unwrap()
}

fn single_spec() -> SingleSpec {
    let classes = |n, seed| {
        let d = Dataset2d::generate(Target2d::Circles, n, 0.0, seed);
        (d.x_train.iter().map(|p| p.to_vec()).collect::<Vec<_>>(), d.y_train)
    };
    let ((x_train, y_train), (x_test, y_test)) = (classes(12, 3), classes(40, 4));
    SingleSpec {
        arch: Architecture::new(1, Activation::Erf, 1.5, 0.05, Parameterization::Ntk).unwrap(),
        width: 16,
        data: ExplicitData { x_train, y_train, x_test, y_test: Some(y_test) },
        loss: Loss::Mse,
        learning_rate: 0.5,
        momentum: 0.0,
        batch_size: None,
        steps: 200,
        seed: 1,
        checkpoints: 8,
        alpha: None,
        quadratic: false,
    }
}

fn single_report(spec: &SingleSpec) -> Value {
    let run = run_single(spec, |_| ControlFlow::Continue(())).unwrap();
    serde_json::to_value(SingleReport::new(spec, run.start, run.checkpoints, run.diverged).unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Damage

fn text(v: &Value) -> String {
    serde_json::to_string(v).unwrap()
}

/// What the reader says about `v` (which it must refuse).
fn refused(v: &Value) -> String {
    match read_result(&text(v)) {
        Ok(_) => panic!("read without a word: {}", &text(v)[..300.min(text(v).len())]),
        Err(e) => e.to_string(),
    }
}

fn assert_refused(v: &Value, message: &str) {
    assert_eq!(refused(v), message);
}

fn assert_refused_with(v: &Value, start: &str) {
    let m = refused(v);
    assert!(m.starts_with(start), "'{m}' does not start with '{start}'");
}

/// The spec hash recomputed after an edit of the spec (the file stays self-consistent in
/// its header: only the arrays can tell).
fn rehash(v: &mut Value) {
    let spec = v["spec"].clone();
    let hash = match v["kind"].as_str().unwrap() {
        "ensemble" | "ensemble_partial" => spec_hash(&serde_json::from_value::<EnsembleSpec>(spec).unwrap()),
        "widths" | "widths_partial" => spec_hash(&serde_json::from_value::<WidthSweepSpec>(spec).unwrap()),
        "single" => spec_hash(&serde_json::from_value::<SingleSpec>(spec).unwrap()),
        k => panic!("{k}"),
    };
    v["spec_hash"] = json!(hash.unwrap());
}

fn arr(v: &mut Value) -> &mut Vec<Value> {
    v.as_array_mut().unwrap()
}

fn halve(v: &mut Value) {
    let a = arr(v);
    a.truncate(a.len() / 2);
}

// ---------------------------------------------------------------------------------------------
// Ensemble reports

#[test]
fn an_ensemble_report_reads_back_and_its_halved_arrays_are_refused() {
    let good = ensemble();
    let ResultFile::Ensemble(r) = read_result(&text(&good)).unwrap() else { panic!("an ensemble report") };
    assert_eq!(serde_json::to_value(&r).unwrap(), good);
    // The file: half the checkpoints, half of each mean and variance, spec and hash
    // untouched.
    let mut cut = good.clone();
    halve(&mut cut["checkpoints"]);
    for c in arr(&mut cut["checkpoints"]) {
        for m in ["nn", "lin"] {
            halve(&mut c[m]["mean"]);
            halve(&mut c[m]["var"]);
        }
    }
    assert_refused(
        &cut,
        "checkpoints: 3 entries, but the spec's 40 steps in 6 log-spaced checkpoints imply 6",
    );
    // Every checkpoint, but the means and variances halved.
    let mut cut = good.clone();
    halve(&mut cut["checkpoints"][0]["nn"]["mean"]);
    assert_refused(&cut, "checkpoints[0].nn.mean: 25 entries, but the spec's 50 test points imply 50");
    let mut cut = good.clone();
    halve(&mut cut["checkpoints"][4]["lin"]["var"]);
    assert_refused(&cut, "checkpoints[4].lin.var: 25 entries, but the spec's 50 test points imply 50");
    // Extended.
    let mut long = good.clone();
    arr(&mut long["checkpoints"][2]["nn"]["var"]).push(json!(0.5));
    assert_refused(&long, "checkpoints[2].nn.var: 51 entries, but the spec's 50 test points imply 50");
    let mut long = good.clone();
    let last = long["checkpoints"][5].clone();
    arr(&mut long["checkpoints"]).push(last);
    assert_refused(
        &long,
        "checkpoints: 7 entries, but the spec's 40 steps in 6 log-spaced checkpoints imply 6",
    );
}

#[test]
fn checkpoints_out_of_order_or_of_other_steps_are_refused() {
    let good = ensemble();
    let mut swapped = good.clone();
    arr(&mut swapped["checkpoints"]).swap(1, 2);
    assert_refused(&swapped, "checkpoints[1].step: 3, but checkpoint 1 of the spec's schedule is at step 1");
    let mut duplicated = good.clone();
    let c = duplicated["checkpoints"][2].clone();
    arr(&mut duplicated["checkpoints"]).insert(3, c);
    arr(&mut duplicated["checkpoints"]).pop();
    assert_refused(
        &duplicated,
        "checkpoints[3].step: 3, but checkpoint 3 of the spec's schedule is at step 6",
    );
    let mut time = good.clone();
    time["checkpoints"][3]["time"] = json!(99.0);
    assert_refused_with(&time, "checkpoints[3].time: 99, but η·k = 0.1 × 6 gives 0.6");
    let mut members = good.clone();
    members["checkpoints"][1]["members"] = json!(3);
    assert_refused(
        &members,
        "checkpoints[1].members: 3, but the spec's 4 members less the 0 diverged by step 1 leave 4",
    );
}

#[test]
fn values_a_report_cannot_hold_are_refused() {
    let good = ensemble();
    let damaged = |edit: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        edit(&mut v);
        refused(&v)
    };
    assert_eq!(
        damaged(&|v| v["checkpoints"][1]["nn"]["var"][7] = json!(-0.5)),
        "checkpoints[1].nn.var[7]: -0.5, but a variance is a finite number ≥ 0"
    );
    assert_eq!(
        damaged(&|v| v["checkpoints"][0]["train_loss"]["lin"] = json!(-1.0)),
        "checkpoints[0].train_loss.lin: -1, but a loss is a finite number ≥ 0"
    );
    assert_eq!(
        damaged(&|v| v["checkpoints"][2]["test_loss"]["nn"] = json!(-1e-300)),
        "checkpoints[2].test_loss.nn: -1e-300, but a loss is a finite number ≥ 0"
    );
    assert_eq!(
        damaged(&|v| {
            v["checkpoints"][0].as_object_mut().unwrap().remove("test_loss");
        }),
        "checkpoints[0].test_loss: absent, but the spec's test targets imply a test loss"
    );
    assert_eq!(
        damaged(&|v| {
            arr(&mut v["checkpoints"][5]["weight_change"]).pop();
        }),
        "checkpoints[5].weight_change: 2 entries, but the spec's depth 2 (hidden layers and the readout) implies 3"
    );
    assert_eq!(
        damaged(&|v| v["checkpoints"][5]["weight_change"][1] = json!(-0.25)),
        "checkpoints[5].weight_change[1]: -0.25, but a relative change is a finite number ≥ 0"
    );
    assert_eq!(
        damaged(&|v| v["checkpoints"][4]["rmse_nn_lin"] = json!(-2.0)),
        "checkpoints[4].rmse_nn_lin: -2, but a distance is a finite number ≥ 0"
    );
    assert_eq!(
        damaged(&|v| v["checkpoints"][4]["ntk_change"] = json!(-2.0)),
        "checkpoints[4].ntk_change: -2, but a relative change is a finite number ≥ 0"
    );
    assert_eq!(
        damaged(&|v| v["diverged"] = json!(1)),
        "diverged: 1, but the members listed in diverged_members number 0"
    );
    assert_eq!(
        damaged(&|v| v["members"] = json!(3)),
        "members: 3, but the spec's 4 members less the 0 diverged leave 4"
    );
    assert_eq!(
        damaged(&|v| v["format"] = json!(2)),
        "file format version 2, but this program reads version 1"
    );
    // A number JSON cannot hold, and text cut short.
    let t = text(&good);
    let at = t.find("\"rmse_nn_lin\":").unwrap() + "\"rmse_nn_lin\":".len();
    let huge = format!("{}1e999{}", &t[..at], &t[at..].trim_start_matches(|c: char| c != ',' && c != '}'));
    assert!(read_result(&huge).unwrap_err().to_string().starts_with("not a result file of this program: "));
    let cut = &t[..t.len() / 2];
    let e = read_result(cut).unwrap_err();
    assert!(matches!(e, ResultsError::Json(ref m) if m.contains("EOF while parsing")), "{e}");
    // A variance of one member is 0.
    let one = ensemble_report(&EnsembleSpec::cookbook(1, 10, 8, 4));
    assert!(read_result(&text(&one)).is_ok());
    let mut v = one.clone();
    v["checkpoints"][2]["lin"]["var"][0] = json!(0.125);
    assert_refused(&v, "checkpoints[2].lin.var[0]: 0.125, but the variance of 1 member is 0");
}

#[test]
fn an_edited_spec_is_refused_by_its_hash_or_by_the_arrays() {
    let good = ensemble();
    // Edited, hash untouched.
    let mut seed = good.clone();
    seed["spec"]["seed"] = json!(7);
    assert_refused_with(&seed, "the spec hashes to fnv1a128:");
    assert!(refused(&seed).ends_with("(edited or corrupted)"));
    // Edited with the hash recomputed: the arrays no longer fit the spec.
    let mut fewer = good.clone();
    arr(&mut fewer["spec"]["x_test"]).pop();
    arr(&mut fewer["spec"]["y_test"]).pop();
    rehash(&mut fewer);
    assert_refused(&fewer, "checkpoints[0].nn.mean: 50 entries, but the spec's 49 test points imply 49");
    let mut steps = good.clone();
    steps["spec"]["steps"] = json!(80);
    rehash(&mut steps);
    assert_refused(&steps, "checkpoints[3].step: 6, but checkpoint 3 of the spec's schedule is at step 9");
    let mut members = good.clone();
    members["spec"]["members"] = json!(5);
    rehash(&mut members);
    assert_refused(&members, "members: 4, but the spec's 5 members less the 0 diverged leave 5");
    let mut depth = good.clone();
    depth["spec"]["arch"]["depth"] = json!(3);
    rehash(&mut depth);
    assert_refused(
        &depth,
        "checkpoints[0].weight_change: 3 entries, but the spec's depth 3 (hidden layers and the readout) implies 4",
    );
    // An invalid spec with a matching hash: the spec's own refusal.
    let mut lr = good.clone();
    lr["spec"]["learning_rate"] = json!(-1.0);
    rehash(&mut lr);
    assert_refused(&lr, "learning rate out of range: -1 (a finite number > 0)");
    // An edit that keeps the file consistent reads back as edited: the seed is not in the
    // numbers.
    let mut consistent = good.clone();
    consistent["spec"]["seed"] = json!(7);
    rehash(&mut consistent);
    let ResultFile::Ensemble(r) = read_result(&text(&consistent)).unwrap() else { panic!() };
    assert_eq!(serde_json::to_value(&r).unwrap(), consistent);
}

#[test]
fn divergences_must_agree_with_the_counts_and_the_run() {
    let spec = diverging_spec();
    let good = ensemble_report(&spec);
    let listed = good["diverged_members"].as_array().unwrap().len();
    assert!((2..6).contains(&listed), "{listed} of 6 diverged: pick another η");
    assert!(read_result(&text(&good)).is_ok());
    let (m0, s0) =
        (good["diverged_members"][0]["member"].clone(), good["diverged_members"][0]["step"].clone());
    let damaged = |edit: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        edit(&mut v);
        refused(&v)
    };
    assert_eq!(
        damaged(&|v| v["diverged_steps"][0] = json!(999)),
        format!("diverged_steps[0]: 999, but diverged_members[0].step is {s0}")
    );
    assert_eq!(
        damaged(&|v| v["diverged_members"][0]["member"] = json!(99)),
        "diverged_members[0].member: 99, but the spec's 6 members are numbered 0..6"
    );
    let m1 = good["diverged_members"][1]["member"].clone();
    assert_eq!(
        damaged(&|v| arr(&mut v["diverged_members"]).swap(0, 1)),
        format!("diverged_members[1].member: {m0} after {m1}, but each diverged member is listed once, in member order")
    );
    assert_eq!(
        damaged(&|v| v["diverged_members"][0]["step"] = json!(61)),
        "diverged_members[0].step: 61, but the spec's run has 60 steps"
    );
    assert_eq!(
        damaged(&|v| {
            arr(&mut v["diverged_members"]).pop();
        }),
        format!("diverged: {listed}, but the members listed in diverged_members number {}", listed - 1)
    );
    // A checkpoint after a divergence averages the members left.
    let last = good["checkpoints"].as_array().unwrap().len() - 1;
    let left = good["checkpoints"][last]["members"].as_u64().unwrap();
    assert_eq!(left as usize, 6 - listed);
    assert_eq!(
        damaged(&|v| v["checkpoints"][last]["members"] = json!(6)),
        format!(
            "checkpoints[{last}].members: 6, but the spec's 6 members less the {listed} diverged by step 60 leave {left}"
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Ensemble parts

#[test]
fn a_parts_records_are_checked_against_the_spec() {
    let spec = EnsembleSpec::cookbook(4, 40, 8, 6);
    let good = part(&spec, 1..3);
    assert!(read_result(&serde_json::to_string(&good).unwrap()).is_ok());
    let value = serde_json::to_value(&good).unwrap();
    // The part the issue quotes: half its batches.
    let mut cut = value.clone();
    halve(&mut cut["batches"]);
    assert_refused(&cut, "inconsistent part: 3 checkpoint batches, the job has 6 checkpoints");
    let mut short = value.clone();
    halve(&mut short["batches"][1]["members"][0]["state"]["record"]["nn"]);
    assert_refused(
        &short,
        "batches[1].members[0].state.record.nn: 25 entries, but the spec's 50 test points imply 50",
    );
    let mut negative = value.clone();
    negative["batches"][2]["members"][1]["state"]["record"]["train_loss"]["nn"] = json!(-3.0);
    assert_refused(
        &negative,
        "batches[2].members[1].state.record.train_loss.nn: -3, but a loss is a finite number ≥ 0",
    );
    // Numbers JSON cannot carry, in a part made in memory.
    let mut nan = good.clone();
    let MemberState::Record(r) = &mut nan.batches[3].members[0].state else { panic!() };
    r.lin[4] = f64::NAN;
    assert_eq!(
        nan.check().unwrap_err().to_string(),
        "batches[3].members[0].state.record.lin[4]: NaN, but every number of a result is finite"
    );
    // `ntk merge` names the part.
    let e = merge_parts(
        vec![
            ResultFile::EnsemblePartial(Box::new(part(&spec, 0..1))),
            ResultFile::EnsemblePartial(Box::new(nan)),
            ResultFile::EnsemblePartial(Box::new(part(&spec, 3..4))),
        ],
        &["a.json".into(), "b.json".into(), "c.json".into()],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "b.json: batches[3].members[0].state.record.lin[4]: NaN, but every number of a result is finite"
    );
}

#[test]
fn parts_whose_statistics_overflow_are_not_merged() {
    // Each part is valid (every number finite), but −1e300 squared overflows the variance:
    // `ntk merge` would print `null` there, so it refuses.
    let spec = EnsembleSpec::cookbook(4, 40, 8, 6);
    let (a, mut b) = (part(&spec, 0..2), part(&spec, 2..4));
    let MemberState::Record(r) = &mut b.batches[1].members[0].state else { panic!() };
    r.nn[3] = -1e300;
    b.check().unwrap();
    let e = merge_parts(
        vec![ResultFile::EnsemblePartial(Box::new(a)), ResultFile::EnsemblePartial(Box::new(b))],
        &[],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the parts' records do not make a valid report: checkpoints[1].nn.var[3]: inf, but a variance is a \
         finite number ≥ 0"
    );
}

#[test]
fn a_divergence_in_a_part_is_reported_once_and_then_repeated() {
    let spec = diverging_spec();
    let good = part(&spec, 0..6);
    good.check().unwrap();
    let schedule = spec.schedule();
    // The first diverged member, the checkpoint it is first reported at and its position.
    let (c0, i, m) = (0..schedule.len())
        .find_map(|c| {
            good.batches[c]
                .members
                .iter()
                .position(|e| e.divergence().is_some())
                .map(|i| (c, i, good.batches[c].members[i].member))
        })
        .unwrap();
    assert!(c0 > 0 && c0 + 1 < schedule.len(), "diverged at checkpoint {c0}: pick another η");
    let d = good.batches[c0].members[i].divergence().unwrap();
    // A record after the divergence.
    let mut revived = good.clone();
    revived.batches[c0 + 1].members[i].state = good.batches[0].members[i].state.clone();
    assert_eq!(
        revived.check().unwrap_err().to_string(),
        format!(
            "batches[{}].members[{i}].state.record: a record of member {m}, but member {m} diverged at step {} \
             (reported at checkpoint {c0}), so no record follows",
            c0 + 1,
            d.step
        )
    );
    // The divergence changed later on.
    let mut changed = good.clone();
    changed.batches[c0 + 1].members[i].state = MemberState::Diverged { step: d.step + 1, model: d.model };
    assert_eq!(
        changed.check().unwrap_err().to_string(),
        format!(
            "batches[{}].members[{i}].state.diverged: step {} ({:?}), but member {m} was reported diverged at step {} \
             ({:?}) at checkpoint {c0}, and is so at every later one",
            c0 + 1,
            d.step + 1,
            d.model,
            d.step,
            d.model
        )
    );
    // Reported at a later checkpoint than its step.
    let mut early = good.clone();
    for c in c0..schedule.len() {
        early.batches[c].members[i].state = MemberState::Diverged { step: schedule[c0 - 1], model: d.model };
    }
    assert_eq!(
        early.check().unwrap_err().to_string(),
        format!(
            "batches[{c0}].members[{i}].state.diverged.step: {}, but a divergence first reported at checkpoint {c0} \
             (step {}) happened after the previous checkpoint: steps {}..={}",
            schedule[c0 - 1],
            schedule[c0],
            schedule[c0 - 1] + 1,
            schedule[c0]
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Width sweeps

#[test]
fn a_width_sweep_is_checked_against_its_spec_and_its_seeds() {
    let good = widths();
    let ResultFile::Widths(r) = read_result(&text(&good)).unwrap() else { panic!("a widths report") };
    assert_eq!(r.runs(), (18, 18));
    let damaged = |edit: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        edit(&mut v);
        refused(&v)
    };
    assert_eq!(
        damaged(&|v| {
            arr(&mut v["series"]).pop();
        }),
        "series: 1 entry, but the spec's second axis (one series per value) implies 2"
    );
    assert_eq!(
        damaged(&|v| v["series"][0]["axis_value"] = json!(5)),
        "series[0].axis_value: 5, but value 0 of the spec's axis is 1"
    );
    assert_eq!(
        damaged(&|v| v["series"][1]["depth"] = json!(1)),
        "series[1].depth: 1, but the spec at this axis value implies 2"
    );
    assert_eq!(
        damaged(&|v| v["series"][0]["points"][1]["width"] = json!(64)),
        "series[0].points[1].width: 64, but the spec's widths are [8, 16, 32]"
    );
    assert_eq!(
        damaged(&|v| arr(&mut v["series"][0]["points"]).swap(0, 1)),
        "series[0].points[1].width: 8 after 16, but a series lists its widths once each, increasing"
    );
    assert_eq!(
        damaged(&|v| v["series"][0]["points"][0]["seeds"][2]["seed"] = json!(7)),
        "series[0].points[0].seeds[2].seed: 7, but the spec's 3 seeds are numbered 0..3"
    );
    assert_eq!(
        damaged(
            &|v| v["series"][0]["points"][0]["seeds"][1] = v["series"][0]["points"][0]["seeds"][0].clone()
        ),
        "series[0].points[0].seeds[1].seed: 0 after 0, but each seed is listed once, in increasing order"
    );
    assert_eq!(
        damaged(&|v| v["series"][1]["points"][2]["seeds"][0]["training"] = Value::Null),
        "series[1].points[2].seeds[0].training: absent without a divergence, but a seed that did not diverge has \
         training metrics"
    );
    assert_eq!(
        damaged(&|v| {
            arr(&mut v["series"][1]["points"][2]["seeds"][0]["training"]["weight_change"]).pop();
        }),
        "series[1].points[2].seeds[0].training.weight_change: 2 entries, but depth 2 (hidden layers and the \
         readout) implies 3"
    );
    let mean = good["series"][0]["points"][1]["ntk_init_error"]["mean"].as_f64().unwrap();
    assert_eq!(
        damaged(&|v| v["series"][0]["points"][1]["ntk_init_error"]["mean"] = json!(mean * 1.5)),
        format!("series[0].points[1].ntk_init_error.mean: {}, but its seeds give {mean}", mean * 1.5)
    );
    assert_eq!(
        damaged(&|v| v["series"][0]["points"][1]["diverged"] = json!(1)),
        "series[0].points[1].diverged: 1, but its seeds' divergences number 0"
    );
    let slope = good["series"][1]["slopes"]["ntk_init_error"]["slope"].as_f64().unwrap();
    assert_eq!(
        damaged(&|v| v["series"][1]["slopes"]["ntk_init_error"]["slope"] = json!(3.0)),
        format!("series[1].slopes.ntk_init_error.slope: 3, but its points give {slope}")
    );
    let eta = good["series"][0]["points"][0]["learning_rate"].as_f64().unwrap();
    assert_eq!(
        damaged(&|v| v["series"][0]["points"][1]["learning_rate"] = json!(0.5)),
        format!(
            "series[0].points[1].learning_rate: 0.5, but the series' other points (one η per axis value) have {eta}"
        )
    );
    assert_eq!(
        damaged(&|v| v["reference_slopes"] = json!([-0.5])),
        "reference_slopes: [-0.5], but the theory's slopes are [-0.5, -1.0]"
    );
    // A point dropped: the slopes no longer fit the points.
    let msg = damaged(&|v| {
        arr(&mut v["series"][0]["points"]).pop();
    });
    assert!(msg.starts_with("series[0].slopes."), "{msg}");
    // The spec edited with its hash recomputed.
    let mut grid = good.clone();
    grid["spec"]["widths"] = json!([8, 16, 64]);
    rehash(&mut grid);
    assert_refused(&grid, "series[0].points[2].width: 32, but the spec's widths are [8, 16, 64]");
}

#[test]
fn a_partial_sweep_reads_and_says_how_many_runs_it_holds() {
    // What the page writes when a sweep is cancelled: the points it has, slopes refitted.
    let spec = sweep_spec();
    let points = [(Some(1), 8, 0..3), (Some(1), 16, 0..2), (Some(2), 32, 1..2)]
        .into_iter()
        .map(|(v, w, seeds)| run_width_members(&spec, w, v, seeds, |_| ControlFlow::Continue(())).unwrap())
        .collect();
    let report = WidthsReport::new(&spec, SweepResult::assemble(&spec, points).unwrap()).unwrap();
    let ResultFile::Widths(r) = read_result(&serde_json::to_string(&report).unwrap()).unwrap() else {
        panic!()
    };
    assert_eq!(r.runs(), (6, width_jobs(&spec).len()));
    assert_eq!(*r, report);
    // No point at all: an empty sweep (every series present, no points).
    let empty = WidthsReport::new(&spec, SweepResult::assemble(&spec, vec![]).unwrap()).unwrap();
    let ResultFile::Widths(r) = read_result(&serde_json::to_string(&empty).unwrap()).unwrap() else {
        panic!()
    };
    assert_eq!(r.runs(), (0, 18));
}

#[test]
fn a_width_parts_points_are_checked_against_their_seeds() {
    let spec = sweep_spec();
    let point = run_width_members(&spec, 16, Some(2), 1..2, |_| ControlFlow::Continue(())).unwrap();
    let good = serde_json::to_value(WidthsPartial::new(&spec, vec![point]).unwrap()).unwrap();
    assert!(read_result(&text(&good)).is_ok());
    let mut v = good.clone();
    v["points"][0]["ntk_change"]["max"] = json!(42.0);
    assert_refused_with(&v, "points[0].ntk_change.max: 42, but its seeds give ");
    let mut v = good.clone();
    v["points"][0]["depth"] = json!(1);
    assert_refused(&v, "points[0].depth: 1, but the spec at this axis value implies 2");
}

// ---------------------------------------------------------------------------------------------
// One-network runs

#[test]
fn a_one_network_report_is_read_and_checked() {
    let spec = single_spec();
    let good = single_report(&spec);
    let ResultFile::Single(r) = read_result(&text(&good)).unwrap() else { panic!("a single report") };
    assert_eq!(serde_json::to_value(&r).unwrap(), good);
    let n = good["checkpoints"].as_array().unwrap().len();
    assert_eq!(n, spec.schedule().len());
    let damaged = |edit: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        edit(&mut v);
        refused(&v)
    };
    assert_eq!(
        damaged(&|v| halve(&mut v["checkpoints"])),
        format!(
            "checkpoints: {} entries, but the spec's 200 steps in 8 log-spaced checkpoints imply {n}",
            n / 2
        )
    );
    let steps: Vec<u64> = spec.schedule();
    assert_eq!(
        damaged(&|v| arr(&mut v["checkpoints"]).swap(2, 3)),
        format!(
            "checkpoints[2].step: {}, but checkpoint 2 of the spec's schedule is at step {}",
            steps[3], steps[2]
        )
    );
    assert_eq!(
        damaged(&|v| halve(&mut v["checkpoints"][1]["nn"]["test"])),
        "checkpoints[1].nn.test: 20 entries, but the spec's 40 test points imply 40"
    );
    assert_eq!(
        damaged(&|v| {
            v["checkpoints"][1].as_object_mut().unwrap().remove("theta");
        }),
        "checkpoints[1].theta: absent, but the spec's NTK parameterization implies the analytic-Θ model's"
    );
    assert_eq!(
        damaged(&|v| {
            arr(&mut v["checkpoints"][2]["features"]).pop();
        }),
        "checkpoints[2].features: 5 entries, but the spec's inputs and width imply (the first units of a 2-D \
         first layer) 6"
    );
    let mut old = good.clone();
    for c in arr(&mut old["checkpoints"]) {
        c.as_object_mut().unwrap().remove("features");
    }
    assert!(read_result(&text(&old)).is_ok(), "a report written before the features is read");
    assert_eq!(
        damaged(&|v| v["checkpoints"][3]["train_accuracy"]["lin"] = json!(1.5)),
        "checkpoints[3].train_accuracy.lin: 1.5, but an accuracy is at most 1"
    );
    assert_eq!(
        damaged(&|v| {
            arr(&mut v["checkpoints"][3]["weights_lin"]).pop();
        }),
        format!(
            "checkpoints[3].weights_lin: {} entries, but the report's {} followed weights imply {}",
            good["weights"].as_array().unwrap().len() - 1,
            good["weights"].as_array().unwrap().len(),
            good["weights"].as_array().unwrap().len()
        )
    );
    assert_eq!(
        damaged(&|v| v["optimizer"] = json!("sgd")),
        "optimizer: 'sgd', but the spec's training implies 'gd'"
    );
    assert_refused_with(
        &{
            let mut v = good.clone();
            v["weights"][0]["row"] = json!(5);
            v["weights"][0]["index"] = json!(11);
            v
        },
        "weights[0]: TrackedWeight { layer: 0, kind: W, row: 5",
    );
    assert_eq!(
        damaged(&|v| v["eta_max"] = json!(-1.0)),
        "eta_max: -1, but a learning rate is a finite number > 0"
    );
}

#[test]
fn a_diverged_one_network_run_holds_the_checkpoints_before_its_divergence() {
    let mut spec = single_spec();
    spec.learning_rate = 40.0;
    let good = single_report(&spec);
    let step = good["diverged"]["step"].as_u64().expect("η = 40 diverges");
    let n = good["checkpoints"].as_array().unwrap().len();
    assert!(n >= 2, "{n} checkpoints before step {step}");
    assert!(read_result(&text(&good)).is_ok());
    let mut v = good.clone();
    arr(&mut v["checkpoints"]).pop();
    assert_refused(
        &v,
        &format!(
            "checkpoints: {} entries, but the checkpoints of the spec's schedule before its divergence at step {step} \
             number {n}",
            n - 1
        ),
    );
    let mut v = good.clone();
    v["diverged"]["step"] = json!(201);
    assert_refused(&v, "diverged.step: 201, but the spec's run has 200 steps");
    // Without its divergence, the run is cut short.
    let mut v = good;
    v.as_object_mut().unwrap().remove("diverged");
    assert_refused(
        &v,
        &format!("checkpoints: {n} entries, but the spec's 200 steps in 8 log-spaced checkpoints imply 8"),
    );
}

// ---------------------------------------------------------------------------------------------
// The other refusals, one damaged file each

/// "1 entry", "3 entries", as the messages count.
fn entries(n: usize) -> String {
    if n == 1 {
        "1 entry".into()
    } else {
        format!("{n} entries")
    }
}

#[test]
fn the_other_refusals_of_an_ensemble_report() {
    let spec = diverging_spec();
    let good = ensemble_report(&spec);
    let listed = good["diverged_members"].as_array().unwrap().len();
    let mut v = good.clone();
    arr(&mut v["diverged_steps"]).pop();
    assert_refused(
        &v,
        &format!(
            "diverged_steps: {}, but the members listed in diverged_members number {listed}",
            entries(listed - 1)
        ),
    );
    // A test loss where the spec (edited, hash recomputed) has no test targets.
    let good = ensemble();
    let mut v = good.clone();
    v["spec"]["y_test"] = Value::Null;
    rehash(&mut v);
    assert_refused(
        &v,
        "checkpoints[0].test_loss: present, but the spec has no test targets, so no test loss",
    );
    // A number JSON cannot carry, in a report made in memory.
    let ResultFile::Ensemble(mut r) = read_result(&text(&good)).unwrap() else {
        panic!("an ensemble report")
    };
    r.checkpoints[2].nn.mean[5] = f64::NAN;
    assert_eq!(
        r.check().unwrap_err().to_string(),
        "checkpoints[2].nn.mean[5]: NaN, but every number of a result is finite"
    );
}

#[test]
fn the_other_refusals_of_an_ensemble_part() {
    let spec = EnsembleSpec::cookbook(4, 40, 8, 6);
    let good = serde_json::to_value(part(&spec, 1..3)).unwrap();
    let record = "batches[2].members[0].state.record";
    let damaged = |edit: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        edit(&mut v["batches"][2]["members"][0]["state"]["record"]);
        refused(&v)
    };
    assert_eq!(
        damaged(&|r| halve(&mut r["lin"])),
        format!("{record}.lin: 25 entries, but the spec's 50 test points imply 50")
    );
    assert_eq!(
        damaged(&|r| {
            r.as_object_mut().unwrap().remove("test_loss");
        }),
        format!("{record}.test_loss: absent, but the spec's test targets imply a test loss")
    );
    assert_eq!(
        damaged(&|r| r["test_loss"]["lin"] = json!(-1.0)),
        format!("{record}.test_loss.lin: -1, but a loss is a finite number ≥ 0")
    );
    assert_eq!(
        damaged(&|r| r["rmse_nn_lin"] = json!(-1.0)),
        format!("{record}.rmse_nn_lin: -1, but a distance is a finite number ≥ 0")
    );
    assert_eq!(
        damaged(&|r| {
            arr(&mut r["weight_change"]).pop();
        }),
        format!("{record}.weight_change: 2 entries, but the spec's depth 2 (hidden layers and the readout) implies 3")
    );
    assert_eq!(
        damaged(&|r| r["weight_change"][0] = json!(-0.5)),
        format!("{record}.weight_change[0]: -0.5, but a relative change is a finite number ≥ 0")
    );
    assert_eq!(
        damaged(&|r| r["ntk_change"] = json!(-1.0)),
        format!("{record}.ntk_change: -1, but a relative change is a finite number ≥ 0")
    );
    assert_eq!(
        damaged(&|r| r["ntk_alignment"] = json!(1.5)),
        format!("{record}.ntk_alignment: 1.5, but a kernel–target alignment is a finite number in [0, 1]")
    );
    // The part's own description: members outside the job.
    let mut v = good.clone();
    v["members"]["end"] = json!(9);
    assert_refused(&v, "inconsistent part: members 1..9 of a job of 4 members");
}

#[test]
fn the_other_refusals_of_a_width_sweep() {
    let good = widths();
    let damaged = |edit: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        edit(&mut v);
        refused(&v)
    };
    let p = "series[0].points[0]";
    assert_eq!(
        damaged(&|v| v["series"][0]["train_size"] = json!(9)),
        "series[0].train_size: 9, but the spec at this axis value implies 5"
    );
    assert_eq!(
        damaged(&|v| v["series"][0]["points"][0]["axis_value"] = json!(2)),
        format!("{p}.axis_value: 2, but its series is at axis value 1")
    );
    assert_eq!(
        damaged(&|v| v["series"][0]["points"][0]["train_size"] = json!(9)),
        format!("{p}.train_size: 9, but the spec at this axis value implies 5")
    );
    assert_eq!(
        damaged(&|v| v["series"][0]["points"][0]["learning_rate"] = json!(-1.0)),
        format!("{p}.learning_rate: -1, but a learning rate is a finite number > 0")
    );
    assert_eq!(
        damaged(&|v| v["series"][0]["points"][0]["seeds"] = json!([])),
        format!("{p}.seeds: 0 entries, but a point holds the runs of at least one seed")
    );
    assert_eq!(
        damaged(&|v| v["series"][0]["points"][0]["seeds"][0]["ntk_init_error"] = json!(-0.5)),
        format!("{p}.seeds[0].ntk_init_error: -0.5, but a relative distance is a finite number ≥ 0")
    );
    assert_eq!(
        damaged(&|v| v["series"][0]["points"][0]["seeds"][0]["training"]["ntk_change"] = json!(-1.0)),
        format!("{p}.seeds[0].training.ntk_change: -1, but a relative change is a finite number ≥ 0")
    );
    assert_eq!(
        damaged(&|v| v["series"][0]["points"][0]["seeds"][0]["training"]["ntk_alignment"]["end"] = json!(1.5)),
        format!("{p}.seeds[0].training.ntk_alignment.end: 1.5, but a kernel–target alignment is a finite number in [0, 1]")
    );
    let start = good["series"][0]["points"][0]["ntk_alignment_start"]["mean"].as_f64().unwrap();
    assert!(
        damaged(&|v| v["series"][0]["points"][0]["ntk_alignment_start"]["mean"] = json!(start / 2.0))
            .starts_with(&format!("{p}.ntk_alignment_start.mean: ")),
        "a point's alignment summary is its seeds'"
    );
    // A file written before the alignment was recorded still opens.
    let mut old = good.clone();
    for point in arr(&mut old["series"][0]["points"]) {
        point.as_object_mut().unwrap().remove("ntk_alignment_start");
        point.as_object_mut().unwrap().remove("ntk_alignment_end");
        for seed in arr(&mut point["seeds"]) {
            if let Some(t) = seed["training"].as_object_mut() {
                t.remove("ntk_alignment");
            }
        }
    }
    assert!(!old["series"][0].to_string().contains("ntk_alignment"), "every alignment removed from series 0");
    read_result(&text(&old)).expect("a sweep without alignments (an older file) is read");
    assert_eq!(
        damaged(&|v| {
            v["series"][0]["points"][0]["seeds"][0]["divergence"] =
                json!({"member": 0, "step": 3, "model": "network"})
        }),
        format!(
            "{p}.seeds[0].training: present with a divergence, but a diverged seed has no training metrics"
        )
    );
    let diverged = |member: usize, step: u64| {
        move |v: &mut Value| {
            let s = &mut v["series"][0]["points"][0]["seeds"][1];
            s["training"] = Value::Null;
            s["divergence"] = json!({"member": member, "step": step, "model": "network"});
        }
    };
    assert_eq!(
        damaged(&diverged(0, 3)),
        format!("{p}.seeds[1].divergence.member: 0, but the seed's index is 1")
    );
    assert_eq!(
        damaged(&diverged(1, 16)),
        format!("{p}.seeds[1].divergence.step: 16, but the spec's runs have 15 steps")
    );
    assert_eq!(
        damaged(&|v| v["series"][0]["points"][0]["rmse_nn_lin_sup"] = Value::Null),
        format!("{p}.rmse_nn_lin_sup: absent, but its seeds hold trained runs, so it is present")
    );
    assert_eq!(
        damaged(&|v| {
            arr(&mut v["series"][0]["points"][0]["weight_change"]).pop();
        }),
        format!("{p}.weight_change: 1 entry, but its seeds' layers number 2")
    );
    let slope = good["series"][1]["slopes"]["ntk_init_error"]["slope"].as_f64().unwrap();
    assert_eq!(
        damaged(&|v| v["series"][1]["slopes"]["ntk_init_error"] = Value::Null),
        format!("series[1].slopes.ntk_init_error: none, but its points give a fit of slope {slope}")
    );
    assert_eq!(
        damaged(&|v| v["series"][1]["slopes"]["ntk_init_error"]["points"] = json!(7)),
        "series[1].slopes.ntk_init_error.points: 7, but its points give 3"
    );
}

#[test]
fn the_other_refusals_of_a_width_part() {
    let spec = sweep_spec();
    let point = run_width_members(&spec, 16, Some(2), 1..2, |_| ControlFlow::Continue(())).unwrap();
    let good = serde_json::to_value(WidthsPartial::new(&spec, vec![point]).unwrap()).unwrap();
    let mut v = good.clone();
    let job = v["jobs"][0].clone();
    arr(&mut v["jobs"]).push(job);
    assert_refused(&v, "inconsistent part: 2 runs listed but 1 points");
    let mut v = good.clone();
    v["points"][0]["width"] = json!(8);
    assert_refused_with(&v, "inconsistent part: run 0 is ");
    assert!(
        refused(&v).contains("but its point is width 8 at axis value Some(2) with seeds [1]"),
        "{}",
        refused(&v)
    );
}
