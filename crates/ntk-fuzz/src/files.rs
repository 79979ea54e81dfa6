//! The valid files the corpus damages: one small job of every kind of result file, run by the
//! core (a few hundred milliseconds in all), and CSV tables in the formats the readers take.

use std::ops::ControlFlow;

use ntk_core::datasets::{Dataset2d, ExplicitData, Target1d, Target2d};
use ntk_core::experiments::single::{run_single, SingleReport, SingleSpec};
use ntk_core::experiments::widths::{
    run_sweep, run_width_members, LearningRate, SweepAxis, SweepData, WidthSweepSpec, WidthsPartial,
    WidthsReport,
};
use ntk_core::nets::ensemble::{
    run_members, Advance, EnsemblePartial, EnsembleReport, EnsembleRunner, EnsembleSpec,
};
use ntk_core::nets::loss::Loss;
use ntk_core::{Activation, Architecture, Parameterization};
use serde_json::Value;

/// A valid file: a name for messages and its JSON.
#[derive(Clone, Debug)]
pub struct ValidFile {
    /// what it is, e.g. "ensemble report with divergences"
    pub name: &'static str,
    /// the file
    pub json: Value,
}

fn ensemble_spec(members: usize, learning_rate: f64) -> EnsembleSpec {
    let mut spec = EnsembleSpec::cookbook(members, 40, 8, 6);
    spec.learning_rate = learning_rate;
    spec.data.x_test.truncate(12);
    if let Some(y) = spec.data.y_test.as_mut() {
        y.truncate(12);
    }
    spec
}

fn report(spec: &EnsembleSpec) -> Value {
    let stats = run_members(spec, 0..spec.members, |_| ControlFlow::Continue(())).expect("the job runs");
    serde_json::to_value(EnsembleReport::new(spec, &stats).expect("a report")).expect("JSON")
}

fn part(spec: &EnsembleSpec, members: std::ops::Range<usize>) -> Value {
    let mut runner = EnsembleRunner::new(spec, members.clone()).expect("a runner");
    let mut batches = Vec::new();
    loop {
        match runner.advance(1e6).expect("the job runs") {
            Advance::Checkpoint(b) => batches.push(b),
            Advance::Working { .. } => {}
            Advance::Done => break,
        }
    }
    serde_json::to_value(EnsemblePartial::from_batches(spec, members, batches).expect("a part"))
        .expect("JSON")
}

fn sweep_spec() -> WidthSweepSpec {
    WidthSweepSpec {
        arch: Architecture {
            depth: 2,
            activation: Activation::Erf,
            sw2: 2.25,
            sb2: 0.0025,
            param: Parameterization::Ntk,
        },
        data: SweepData::Generated { target: Target1d::Sin, train_size: 5, noise: 0.1, seed: 1 },
        learning_rate: LearningRate::CriticalFraction(0.5),
        steps: 10,
        seed: 3,
        widths: vec![8, 16, 32],
        seeds: 2,
        axis: SweepAxis::Depth(vec![1, 2]),
        checkpoints: 4,
        alpha: None,
    }
}

fn single_spec(learning_rate: f64) -> SingleSpec {
    let classes = |n, seed| {
        let d = Dataset2d::generate(Target2d::Circles, n, 0.0, seed);
        (d.x_train.iter().map(|p| p.to_vec()).collect::<Vec<_>>(), d.y_train)
    };
    let ((x_train, y_train), (x_test, y_test)) = (classes(8, 3), classes(10, 4));
    SingleSpec {
        arch: Architecture {
            depth: 1,
            activation: Activation::Erf,
            sw2: 1.5,
            sb2: 0.05,
            param: Parameterization::Ntk,
        },
        width: 16,
        data: ExplicitData { x_train, y_train, x_test, y_test: Some(y_test) },
        loss: Loss::Mse,
        learning_rate,
        momentum: 0.0,
        batch_size: None,
        steps: 100,
        seed: 1,
        checkpoints: 8,
        alpha: None,
        quadratic: false,
    }
}

fn single(spec: &SingleSpec) -> Value {
    let run = run_single(spec, |_| ControlFlow::Continue(())).expect("the run");
    let report = SingleReport::new(spec, run.start, run.checkpoints, run.diverged).expect("a report");
    serde_json::to_value(report).expect("JSON")
}

/// One valid file of every kind, some with diverged members (which the format allows to
/// stop early or be left out): ensemble reports and parts (η = 0.1, and η = 1.3 where some
/// members diverge; and with the members' quadratic models), a width sweep over widths and depths, a part of it, and one-network runs
/// (one that diverges).
pub fn result_files() -> Vec<ValidFile> {
    let calm = ensemble_spec(4, 0.1);
    let wild = ensemble_spec(6, 1.3);
    let quad = EnsembleSpec { quadratic: true, ..ensemble_spec(3, 0.1) };
    let sweep = sweep_spec();
    let sweep_result = run_sweep(&sweep, |_| ControlFlow::Continue(())).expect("the sweep runs");
    let point = run_width_members(&sweep, 16, Some(2), 1..2, |_| ControlFlow::Continue(())).expect("a point");
    let file = |name, json| ValidFile { name, json };
    vec![
        file("ensemble report", report(&calm)),
        file("ensemble report with divergences", report(&wild)),
        file("ensemble part", part(&calm, 1..3)),
        file("ensemble part with divergences", part(&wild, 0..6)),
        file("ensemble report with quadratic models", report(&quad)),
        file("ensemble part with quadratic models", part(&quad, 1..3)),
        file(
            "widths report",
            serde_json::to_value(WidthsReport::new(&sweep, sweep_result).expect("a report")).expect("JSON"),
        ),
        file(
            "widths part",
            serde_json::to_value(WidthsPartial::new(&sweep, vec![point]).expect("a part")).expect("JSON"),
        ),
        file("single report", single(&single_spec(0.5))),
        file("single report that diverged", single(&single_spec(60.0))),
    ]
}

/// A valid CSV table: a name and its text.
#[derive(Clone, Debug)]
pub struct ValidTable {
    /// what it is
    pub name: &'static str,
    /// the text
    pub text: String,
}

/// Valid tables of the explorer's shapes (`x,y` and `x₁,x₂,y`) in the formats the reader takes:
/// a header or none, `,` `;` tab or space separated, `#` comments, blank lines, CRLF line ends,
/// Unicode minus signs, exponents.
pub fn csv_tables() -> Vec<ValidTable> {
    let one_d: String = (0..12)
        .map(|i| {
            let x = -3.0 + 0.5 * i as f64;
            format!("{x},{}\n", x.sin())
        })
        .collect();
    let table = |name, text: String| ValidTable { name, text };
    vec![
        table("1-D with a header", format!("x,y\n{one_d}")),
        table("1-D, comments and blank lines", format!("# sin x\n\n{one_d}\n# end\n")),
        table(
            "2-D, semicolons, CRLF",
            (0..9).map(|i| format!("{};{};{}\r\n", i % 3, i / 3, if i % 2 == 0 { 1 } else { -1 })).collect(),
        ),
        table(
            "2-D, tabs, a header",
            format!(
                "x1\tx2\ty\n{}",
                (0..8).map(|i| format!("{}\t{}\t{}e-1\n", i, 7 - i, i * 3)).collect::<String>()
            ),
        ),
        table("1-D, spaces, Unicode minus", (0..10).map(|i| format!("−{i}.25   {}\n", i * i)).collect()),
    ]
}
