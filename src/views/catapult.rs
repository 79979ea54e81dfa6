//! The catapult view.

use leptos::prelude::*;

use crate::catapult_state::CatapultParams;

/// The catapult view.
#[component]
pub fn CatapultView(
    /// whether this view is the one shown
    #[prop(into)]
    active: Signal<bool>,
    /// the link's query string, if the link is for this view
    query: Option<String>,
    /// set by the explorer to open this view at its setting
    open_at: RwSignal<Option<CatapultParams>>,
) -> impl IntoView {
    let _ = (active, query, open_at);
    view! { <div class="view catapult" data-testid="catapult"></div> }
}
