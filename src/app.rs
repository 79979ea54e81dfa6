//! The page: a header, tabs for its views (the explorer, the catapult view, the width-scaling
//! lab), and the views themselves. Every view stays mounted when another is shown (its runs and
//! results are kept); the URL holds the shown view (`view=`) and that view's state.

use leptos::prelude::*;

use crate::catapult_state::CatapultParams;
use crate::components::header::Header;
use crate::views::catapult::CatapultView;
use crate::views::explorer::Explorer;
use crate::views::widths::WidthsView;

/// The page's views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// NTK-GP, NNGP and finite ensembles through training (the paper's Figure 2)
    Explorer,
    /// large learning rates: the two-scalar model and real networks
    Catapult,
    /// how fast networks become linear as width grows (Figure 1, Theorem 2.1)
    Widths,
}

impl View {
    /// Every view, in tab order.
    pub const ALL: [View; 3] = [View::Explorer, View::Catapult, View::Widths];

    /// Its name in the URL (`view=`).
    pub fn key(self) -> &'static str {
        match self {
            View::Explorer => "explorer",
            View::Catapult => "catapult",
            View::Widths => "widths",
        }
    }

    /// Its tab title.
    pub fn title(self) -> &'static str {
        match self {
            View::Explorer => "Explorer: Figure 2, live",
            View::Catapult => "Large learning rates: catapult",
            View::Widths => "Width scaling",
        }
    }

    /// The view a query string names (the explorer when none or an unknown one).
    pub fn from_query(query: &str) -> View {
        let named = query
            .trim_start_matches('?')
            .split('&')
            .find_map(|kv| kv.strip_prefix("view="))
            .unwrap_or("explorer");
        View::ALL.into_iter().find(|v| v.key() == named).unwrap_or(View::Explorer)
    }
}

/// The page's query string.
pub fn location_query() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// Replaces the URL's query by `view` and that view's state (no history entry per change).
pub fn write_url(view: View, state_query: &str) {
    let query = match view {
        View::Explorer => format!("?{state_query}"),
        _ => format!("?view={}&{state_query}", view.key()),
    };
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&query));
    }
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let query = location_query();
    let linked = View::from_query(&query);
    let view = RwSignal::new(linked);
    let for_view = move |v: View| (linked == v).then(|| query.clone());
    let catapult_at = RwSignal::new(None::<CatapultParams>);
    let open_catapult = Callback::new(move |p: CatapultParams| {
        catapult_at.set(Some(p));
        view.set(View::Catapult);
    });
    let shown = move |v: View| Signal::derive(move || view.get() == v);
    let hidden = move |v: View| move || if view.get() == v { "" } else { "display: none" };
    view! {
        <div class="app" data-testid="app">
            <Header />
            <nav class="tabs" role="tablist" aria-label="Views">
                {View::ALL.into_iter().map(|v| view! {
                    <button role="tab" data-view=v.key() class:active=move || view.get() == v
                        aria-selected=move || (view.get() == v).to_string()
                        on:click=move |_| view.set(v)>{v.title()}</button>
                }).collect_view()}
            </nav>
            <div style=hidden(View::Explorer)>
                <Explorer active=shown(View::Explorer) query=for_view(View::Explorer) on_catapult=open_catapult />
            </div>
            <div style=hidden(View::Catapult)>
                <CatapultView active=shown(View::Catapult) query=for_view(View::Catapult) open_at=catapult_at />
            </div>
            <div style=hidden(View::Widths)>
                <WidthsView active=shown(View::Widths) query=for_view(View::Widths) />
            </div>
        </div>
    }
}
