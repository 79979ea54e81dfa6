//! The page: a header, tabs for its views (the explorer, the catapult view, the width-scaling
//! lab), and the views themselves. It provides the services every view uses; every view stays
//! mounted when another is shown (its runs and results are kept); the URL holds the shown view
//! and that view's state ([`crate::route`]).

use leptos::prelude::*;

use crate::components::controls::Gestures;
use crate::components::header::Header;
use crate::components::notes::NoteList;
use crate::components::open_results::OpenedResults;
use crate::params::catapult::CatapultParams;
use crate::route::{keep_hidden_in_url, location_query, Hidden, View};
use crate::services::bridge::ExplorerBridge;
use crate::services::catapult::CatapultService;
use crate::services::convergence::ConvergenceService;
use crate::services::ensemble::EnsembleService;
use crate::services::phase::PhaseService;
use crate::services::single::SingleService;
use crate::services::sweep::SweepService;
use crate::services::theory::TheoryService;
use crate::services::Viewport;
use crate::views::catapult::CatapultView;
use crate::views::explorer::Explorer;
use crate::views::phase::PhaseView;
use crate::views::single::SingleView;
use crate::views::widths::WidthsView;

/// The offer to reload when the site's files were replaced under this tab
/// ([`crate::runtime::version`]): the workers cannot load the old ones.
#[component]
fn UpdateOffer() -> impl IntoView {
    let stale = RwSignal::new(false);
    crate::runtime::version::on_stale(move || {
        let _ = stale.try_set(true);
    });
    let reload = |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    };
    move || {
        stale.get().then(|| {
            view! {
                <p class="note update" role="alert" data-testid="update-offer">
                    "This site was updated after the page was opened, and its workers cannot load the \
                     old files. Reload to get the new version: your settings are in the link and are \
                     kept. "
                    <button data-testid="reload" on:click=reload>"reload"</button>
                </p>
            }
        })
    }
}

/// The whole page. A link's `hide` key hides parts of it (an embed, [`Hidden`]).
#[component]
pub fn App() -> impl IntoView {
    Gestures::provide();
    Viewport::provide();
    TheoryService::provide();
    EnsembleService::provide();
    SingleService::provide();
    PhaseService::provide();
    ConvergenceService::provide();
    ExplorerBridge::provide();
    CatapultService::provide();
    SweepService::provide();
    let query = location_query();
    let linked = View::from_query(&query);
    let view = RwSignal::new(linked);
    OpenedResults::provide(view);
    let (hidden, hide_notes) = Hidden::from_query(&query);
    keep_hidden_in_url(hidden);
    let for_view = move |v: View| (linked == v).then(|| query.clone());
    let catapult_at = RwSignal::new(None::<CatapultParams>);
    let open_catapult = Callback::new(move |p: CatapultParams| {
        catapult_at.set(Some(p));
        view.set(View::Catapult);
    });
    let shown = move |v: View| Signal::derive(move || view.get() == v);
    let display = move |v: View| move || if view.get() == v { "" } else { "display: none" };
    view! {
        <div class=format!("app {}", hidden.classes()) data-testid="app">
            <Header />
            <div class="notes">
                <UpdateOffer />
                <NoteList notes=Signal::stored(hide_notes) prefix="Link: " />
            </div>
            <nav class="tabs" role="tablist" aria-label="Views">
                {View::ALL.into_iter().map(|v| view! {
                    <button role="tab" data-view=v.key() class:active=move || view.get() == v
                        aria-selected=move || (view.get() == v).to_string()
                        on:click=move |_| view.set(v)>{v.title()}</button>
                }).collect_view()}
            </nav>
            <div style=display(View::Explorer)>
                <Explorer active=shown(View::Explorer) query=for_view(View::Explorer) on_catapult=open_catapult />
            </div>
            <div style=display(View::Single)>
                <SingleView active=shown(View::Single) query=for_view(View::Single) />
            </div>
            <div style=display(View::Catapult)>
                <CatapultView active=shown(View::Catapult) query=for_view(View::Catapult) open_at=catapult_at />
            </div>
            <div style=display(View::Widths)>
                <WidthsView active=shown(View::Widths) query=for_view(View::Widths) />
            </div>
            <div style=display(View::Phase)>
                <PhaseView active=shown(View::Phase) query=for_view(View::Phase)
                    on_explorer=Callback::new(move |()| view.set(View::Explorer)) />
            </div>
        </div>
    }
}
