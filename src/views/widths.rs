//! The width-scaling lab (paper Figure 1, Theorem 2.1, Fig. S5).

use leptos::prelude::*;

/// The width-scaling view.
#[component]
pub fn WidthsView(
    /// whether this view is the one shown
    #[prop(into)]
    active: Signal<bool>,
    /// the link's query string, if the link is for this view
    query: Option<String>,
) -> impl IntoView {
    let _ = (active, query);
    view! { <div class="view widths" data-testid="widths"></div> }
}
