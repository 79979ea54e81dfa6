//! The explorer view (the paper's Figure 2, live): its controls, its plots and what they say.
//! The state lives in the URL ([`ExplorerParams`]); the theory and the ensemble run come from
//! the services ([`TheoryService`](crate::services::theory::TheoryService),
//! [`EnsembleService`](crate::services::ensemble::EnsembleService)), shared by the panels
//! through [`ExplorerState`]; the figures are assembled by [`figures`] and drawn by
//! [`crate::plot`].
//!
//! - [`controls`]: the controls panel; [`guide`]: the learning rate against η_crit and η_max;
//! - [`main_panel`]: the function-space figure and heatmaps, with [`time`] (the time shown),
//!   [`status`] (what is said of the run and the theory), [`export`] (CSV) and [`points`] (the
//!   user's points edited on the plot);
//! - [`side_panels`]: the loss curves and the spectrum;
//! - [`quad`]: the quadratic models' overlay switch; [`presets`]; [`opened`] (a result file
//!   opened in the view).

pub mod controls;
pub mod export;
pub mod figures;
pub mod guide;
pub mod main_panel;
pub mod opened;
pub mod points;
pub mod presets;
pub mod quad;
pub mod side_panels;
pub mod state;
pub mod status;
pub mod time;

use leptos::prelude::*;

use crate::components::notes::NoteList;
use crate::params::catapult::CatapultParams;
use crate::params::explorer::ExplorerParams;
use crate::params::notes::Note;
use crate::params::url;
use crate::route::View;
use crate::services::bridge::ExplorerBridge;
use crate::services::{restart_when_settled, sync_url};
use crate::storage::BROWSER_TABLES;
use controls::Controls;
use guide::LrGuide;
use main_panel::MainPanel;
use points::PointEditor;
use side_panels::SidePanels;
use state::ExplorerState;

/// Other views read the explorer's architecture and may ask it to take φ and σ's.
fn serve_bridge(params: RwSignal<ExplorerParams>) {
    let Some(bridge) = use_context::<ExplorerBridge>() else { return };
    let arch = Memo::new(move |_| params.with(|p| p.arch));
    Effect::new(move |_| bridge.current.set(Some(arch.get())));
    Effect::new(move |_| {
        if let Some(a) = bridge.request.get() {
            params.update(|p| {
                p.arch.activation = a.activation;
                p.arch.sw2 = a.sw2;
                p.arch.sb2 = a.sb2;
            });
            bridge.request.set(None);
        }
    });
}

/// The explorer view. `query` is the link it was opened with (`None` when the link is for
/// another view); while `active`, the URL follows its state. `on_catapult` opens the catapult
/// view at the current setting.
#[component]
pub fn Explorer(
    /// whether this view is the one shown
    #[prop(into)]
    active: Signal<bool>,
    /// the link's query string, if the link is for this view
    query: Option<String>,
    /// opens the catapult view at a learning rate past η_max
    on_catapult: Callback<CatapultParams>,
) -> impl IntoView {
    let (initial, notes) =
        url::decode::<ExplorerParams>(query.as_deref().unwrap_or(""), url::RESERVED, &BROWSER_TABLES);
    let params = RwSignal::new(initial);
    let url_notes = RwSignal::new(notes);
    let open_refusal = RwSignal::new(None::<String>);
    opened::follow_opened(params, open_refusal);
    sync_url(View::Explorer, active, params);
    serve_bridge(params);

    let state = ExplorerState::new(params, active);
    let ensemble = state.ensemble;
    restart_when_settled(state.run_key, active, move |k| ensemble.is_current(k), move |k| ensemble.start(k));
    let editor = PointEditor::new(params);
    let guide = LrGuide::new(state);

    let incidents = Signal::derive(move || state.run.with(|r| r.incidents.clone()));
    let plot_error = state.plot_error;
    let view_notes = Signal::derive(move || {
        let mut n: Vec<Note> = Vec::new();
        n.extend(open_refusal.get().map(Note::text));
        n.extend(plot_error.get().map(Note::text));
        n.extend(editor.note.get().map(Note::text));
        n
    });
    view! {
        <div class="view explorer" data-testid="explorer">
            <div class="notes" role="status" data-testid="notes">
                <NoteList notes=url_notes prefix="Link: " />
                <NoteList notes=incidents />
                <NoteList notes=view_notes />
            </div>
            <div class="layout">
                <Controls state=state editor=editor guide=guide on_catapult=on_catapult />
                <MainPanel state=state editor=editor guide=guide />
                <SidePanels state=state />
            </div>
        </div>
    }
}
