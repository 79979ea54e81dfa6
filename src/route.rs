//! Which view the page shows and the URL that says so: `?view=catapult&…` (no `view` key for
//! the explorer), followed by the shown view's state. The URL is replaced, not pushed, on every
//! change (no history entry per slider step).

use std::borrow::Cow;

/// The URL key of the view shown.
pub const VIEW_KEY: &str = "view";

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

    /// Its name in the URL.
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

    /// The view a query string names (the explorer when none or an unknown one; the last
    /// `view` key wins).
    pub fn from_query(query: &str) -> View {
        let named: Option<Cow<str>> = form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
            .filter(|(k, _)| k == VIEW_KEY)
            .map(|(_, v)| v)
            .last();
        View::ALL.into_iter().find(|v| Some(v.key()) == named.as_deref()).unwrap_or(View::Explorer)
    }
}

/// The page's query string.
pub fn location_query() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// The query string of `view` showing a state whose own query is `state_query`.
pub fn view_query(view: View, state_query: &str) -> String {
    let sep = if state_query.is_empty() { "" } else { "&" };
    match view {
        View::Explorer => format!("?{state_query}"),
        _ => format!("?{VIEW_KEY}={}{sep}{state_query}", view.key()),
    }
}

/// Replaces the URL's query by `view` and that view's state (no history entry per change).
pub fn write_url(view: View, state_query: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let query = view_query(view, state_query);
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&query));
    }
}
