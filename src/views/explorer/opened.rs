//! An ensemble report opened from a file (`ntk ensemble`, `ntk merge`) shown in the explorer
//! as a finished run: its spec's parameters set where the page can represent them (each value
//! it cannot, clamped with a note), its data as the `table` set with the run's own test
//! points, and its statistics as the run's checkpoints — the same plots as a run trained in
//! the page, next to the NTK-GP and NNGP of the same data.

use leptos::prelude::*;

use ntk_core::datasets::csv::Points;
use ntk_core::nets::ensemble::{
    CheckpointSummary, EnsembleReport, EnsembleSummary, MeanVar, QuadraticSummary,
};

use crate::components::data_input::keep_table;
use crate::components::open_results::OpenedResults;
use crate::params::arch::{activation_name, ACTIVATIONS};
use crate::params::explorer::ExplorerParams;
use crate::params::notes::Note;
use crate::params::table::{sort_test_points, TestPoints, UserTable};
use crate::params::url;
use crate::services::ensemble::EnsembleService;
use crate::storage::BROWSER_TABLES;

/// A report made ready for the explorer.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenedRun {
    /// the explorer's state showing it (the `table` set with the run's data)
    pub params: ExplorerParams,
    /// its statistics, per test point in the order of the table's test points
    pub summary: EnsembleSummary,
    /// members of the job
    pub members: usize,
    /// what the page could not take as given
    pub notes: Vec<Note>,
    /// where it came from, for the status line
    pub source: String,
}

/// Values given per test point, reordered: entry `i` of the result is entry `order[i]`.
fn reorder(v: &[f64], order: &[usize]) -> Vec<f64> {
    order.iter().map(|&i| v[i]).collect()
}

fn reorder_checkpoint(c: &CheckpointSummary, order: &[usize]) -> CheckpointSummary {
    let mv = |m: &MeanVar| MeanVar { mean: reorder(&m.mean, order), var: reorder(&m.var, order) };
    let quad = c.quad.as_ref().map(|q| QuadraticSummary { outputs: mv(&q.outputs), ..q.clone() });
    CheckpointSummary { nn: mv(&c.nn), lin: mv(&c.lin), quad, ..c.clone() }
}

/// The explorer's view of an ensemble report from the file `name`.
///
/// # Errors
/// A message when the page cannot show it: inputs of other than 1 or 2 dimensions, a
/// nonlinearity the page does not offer, more training or test points than the page takes,
/// statistics that do not fit the test points.
pub fn open_ensemble(report: &EnsembleReport, name: &str) -> Result<OpenedRun, String> {
    let spec = &report.spec;
    let d = spec.data.x_train.first().map_or(0, Vec::len);
    if !(1..=2).contains(&d) {
        return Err(format!(
            "{name}: the explorer shows runs on 1-D or 2-D inputs; this run's inputs have {d}"
        ));
    }
    let act = activation_name(spec.arch.activation);
    if !ACTIVATIONS.contains(&act) {
        return Err(format!("{name}: the explorer does not offer this run's nonlinearity '{act}'"));
    }
    let t = spec.data.x_test.len();
    let fits = |m: &MeanVar| m.mean.len() == t && m.var.len() == t;
    let fits_quad = |c: &CheckpointSummary| c.quad.as_ref().is_none_or(|q| fits(&q.outputs));
    if report.checkpoints.is_empty()
        || !report.checkpoints.iter().all(|c| fits(&c.nn) && fits(&c.lin) && fits_quad(c))
    {
        return Err(format!("{name}: its statistics do not match its {t} test points"));
    }
    let (test, order) =
        sort_test_points(TestPoints { x: spec.data.x_test.clone(), y: spec.data.y_test.clone() });
    let train = Points { x: spec.data.x_train.clone(), y: spec.data.y_train.clone(), header: None };
    let table = UserTable::with_test(train, Some(test)).map_err(|e| format!("{name}: {e}"))?;
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("depth", &spec.arch.depth.to_string())
        .append_pair("act", act)
        .append_pair("sw2", &spec.arch.sw2.to_string())
        .append_pair("sb2", &spec.arch.sb2.to_string())
        .append_pair("param", &spec.arch.param.to_string())
        .append_pair("width", &spec.width.to_string())
        .append_pair("lr", &spec.learning_rate.to_string())
        .append_pair("steps", &spec.steps.to_string())
        .append_pair("members", &spec.members.to_string())
        .append_pair("seed", &spec.seed.to_string())
        .finish();
    let (mut params, mut notes) = url::decode::<ExplorerParams>(&query, url::RESERVED, &BROWSER_TABLES);
    params.data.table = Some(table);
    params.data.set = crate::params::explorer::DataChoice::Table;
    params.training.quadratic = spec.quadratic;
    notes.iter_mut().for_each(|n| *n = n.clone().prefixed("the page's controls cannot show it as given: "));
    if spec.momentum != 0.0 {
        notes.push(Note::text(format!(
            "the run used momentum β = {} (the page trains plain gradient descent, and the NTK-GP and NNGP \
             bands assume it)",
            spec.momentum
        )));
    }
    if spec.readout_only {
        notes.push(Note::text(
            "the run trained the readout layer only: compare it with the NNGP band (the page's own runs train every layer)",
        ));
    }
    let checkpoints = report.checkpoints.iter().map(|c| reorder_checkpoint(c, &order)).collect();
    let summary = EnsembleSummary {
        members: report.members,
        diverged: report.diverged,
        diverged_steps: report.diverged_steps.clone(),
        diverged_members: report.diverged_members.clone(),
        checkpoints,
    };
    let source = format!(
        "{name} ({} members of width {}, {} steps, {})",
        spec.members, spec.width, spec.steps, report.header.producer
    );
    Ok(OpenedRun { params, summary, members: spec.members, notes, source })
}

/// Shows every ensemble report opened in the page in the explorer's `params` (and the
/// ensemble service's run), or the reason it cannot be shown in `refusal`.
pub fn follow_opened(params: RwSignal<ExplorerParams>, refusal: RwSignal<Option<String>>) {
    let (Some(inbox), Some(ensemble)) = (use_context::<OpenedResults>(), use_context::<EnsembleService>())
    else {
        return;
    };
    Effect::new(move |_| {
        let Some(opened) = inbox.ensemble.get() else { return };
        match open_ensemble(&opened.report, &opened.name) {
            Ok(run) => {
                refusal.set(None);
                let mut notes = run.notes;
                if let Some(t) = run.params.data.table.as_ref() {
                    if let Err(e) = keep_table(t) {
                        notes.push(Note::text(format!(
                            "the run's data could not be stored in this browser ({e}): the link will not show them"
                        )));
                    }
                }
                ensemble.show_opened(run.params.run_key(), run.summary, run.members, run.source, notes);
                params.set(run.params);
            }
            Err(message) => refusal.set(Some(message)),
        }
    });
}
