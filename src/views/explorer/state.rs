//! What the explorer's panels share: its parameters (the URL state), the run and the theory
//! of the services, and what follows from them — whether the run shown belongs to the
//! parameters, and the step shown.

use leptos::prelude::*;
use ntk_core::nets::ensemble::EnsembleSummary;

use crate::params::explorer::{DataChoice, ExplorerParams, RunKey, TheoryKey};
use crate::services::ensemble::{EnsembleService, RunState};
use crate::services::theory::TheoryService;

/// The curves of the individual networks a run streams: per member, per checkpoint.
pub type MemberCurves = Vec<Vec<Option<Vec<f64>>>>;

/// The explorer's shared state (see the module doc). Cheap to copy: every field is a signal or
/// a service handle.
#[derive(Clone, Copy)]
pub struct ExplorerState {
    /// the parameters, mirrored in the URL
    pub params: RwSignal<ExplorerParams>,
    /// whether the view is the one shown (hidden canvases have no size: draw when shown)
    pub active: Signal<bool>,
    /// the theory cache and its kernel worker
    pub theory: TheoryService,
    /// the ensemble run
    pub ensemble: EnsembleService,
    /// the ensemble service's run (of the current parameters or of earlier ones)
    pub run: RwSignal<RunState>,
    /// what the ensemble run depends on
    pub run_key: Memo<RunKey>,
    /// what the theory depends on
    pub theory_key: Memo<TheoryKey>,
    /// whether the run shown belongs to the current parameters
    pub current: Memo<bool>,
    /// the step shown: the one chosen, or (following training) the newest complete checkpoint
    pub shown_step: Memo<u64>,
    /// whether the time shown follows training
    pub follow: Memo<bool>,
    /// what the plots draw of the run: its statistics and its networks' curves (progress
    /// reports change neither, so they redraw nothing)
    pub results: Memo<(Option<EnsembleSummary>, MemberCurves)>,
    /// which run it is: its id and its number of networks
    pub run_ident: Memo<(u64, usize)>,
    /// why a figure could not be drawn
    pub plot_error: RwSignal<Option<String>>,
}

impl ExplorerState {
    /// The state of a view with parameters `params`, shown while `active`.
    pub fn new(params: RwSignal<ExplorerParams>, active: Signal<bool>) -> Self {
        let theory = expect_context::<TheoryService>();
        let ensemble = expect_context::<EnsembleService>();
        let run = ensemble.state;
        let run_key = Memo::new(move |_| params.with(ExplorerParams::run_key));
        let theory_key = Memo::new(move |_| params.with(ExplorerParams::theory_key));
        let current = Memo::new(move |_| run.with(|r| r.key.as_ref() == Some(&run_key.get())));
        let shown_step = Memo::new(move |_| {
            // Following a run that has not reached its first checkpoint: step 0 (the title says
            // what is drawn); a run that cannot train: its last step (the theory's end state).
            let (latest, in_progress) = run.with(|r| {
                (r.latest_step().filter(|_| current.get()), current.get() && r.error.is_none() && !r.done)
            });
            let fallback = if in_progress { 0 } else { params.with(|p| p.training.steps) };
            params.with(|p| p.display.shown_step.or(latest).unwrap_or(fallback))
        });
        ExplorerState {
            params,
            active,
            theory,
            ensemble,
            run,
            run_key,
            theory_key,
            current,
            shown_step,
            follow: Memo::new(move |_| params.with(|p| p.display.shown_step.is_none())),
            results: Memo::new(move |_| run.with(|r| (r.summary.clone(), r.curves.clone()))),
            run_ident: Memo::new(move |_| run.with(|r| (r.id, r.members_total))),
            plot_error: RwSignal::new(None),
        }
    }

    /// Whether the data set is the user's points (edited on the main plot).
    pub fn user_set(&self) -> bool {
        self.params.with(|p| p.data.set == DataChoice::User)
    }

    /// Whether the data set is a table.
    pub fn table_set(&self) -> bool {
        self.params.with(|p| p.data.set == DataChoice::Table)
    }

    /// Whether the data set is 2-D on the page's grid (not an opened run's own test points):
    /// then the main plot shows a segment and heatmaps show the plane.
    pub fn two_d(&self) -> bool {
        self.params.with(|p| {
            p.data.dim() == 2
                && !(p.data.set == DataChoice::Table
                    && p.data.table.as_ref().is_some_and(|t| t.test.is_some()))
        })
    }

    /// The `ntk ensemble` command that trains the same ensemble natively (generated sets).
    pub fn ensemble_command(&self) -> Signal<Option<String>> {
        let params = self.params;
        Signal::derive(move || params.with(ExplorerParams::ensemble_command))
    }
}
