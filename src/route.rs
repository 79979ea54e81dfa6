//! Which view the page shows and the URL that says so: `?view=catapult&…` (no `view` key for
//! the explorer), followed by the shown view's state. The URL is replaced, not pushed, on every
//! change (no history entry per slider step).

use std::borrow::Cow;
use std::cell::RefCell;

use crate::params::notes::Note;

/// The URL key of the view shown.
pub const VIEW_KEY: &str = "view";
/// The URL key of the parts of the page hidden (embeds): `hide=header,tabs,controls,explain`.
pub const HIDE_KEY: &str = "hide";

/// Parts of the page a link can hide, for embedding a figure in another page
/// (`hide=header,tabs,controls,explain`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hidden {
    /// the title and the tagline (and the embed and share menu in it)
    pub header: bool,
    /// the tabs of the other views
    pub tabs: bool,
    /// the control panels
    pub controls: bool,
    /// the explanation panels ("What am I looking at?")
    pub explain: bool,
}

impl Hidden {
    /// The names of the parts, in URL order.
    pub const PARTS: [&'static str; 4] = ["header", "tabs", "controls", "explain"];
    /// Every part hidden: the figure alone.
    pub const ALL: Hidden = Hidden { header: true, tabs: true, controls: true, explain: true };

    fn flag(&mut self, part: &str) -> Option<&mut bool> {
        match part {
            "header" => Some(&mut self.header),
            "tabs" => Some(&mut self.tabs),
            "controls" => Some(&mut self.controls),
            "explain" => Some(&mut self.explain),
            _ => None,
        }
    }

    /// Whether `part` (one of [`Hidden::PARTS`]) is hidden.
    pub fn hides(&self, part: &str) -> bool {
        let mut copy = *self;
        copy.flag(part).is_some_and(|f| *f)
    }

    /// The same with `part` hidden or shown.
    pub fn with(mut self, part: &str, hidden: bool) -> Hidden {
        if let Some(f) = self.flag(part) {
            *f = hidden;
        }
        self
    }

    /// The parts a query string hides (the last `hide` key wins), with a note for each name
    /// that is no part.
    pub fn from_query(query: &str) -> (Hidden, Vec<Note>) {
        let value: Option<Cow<str>> = form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
            .filter(|(k, _)| k == HIDE_KEY)
            .map(|(_, v)| v)
            .last();
        let mut hidden = Hidden::default();
        let mut notes = Vec::new();
        for part in value.as_deref().unwrap_or("").split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match hidden.flag(&part.to_lowercase()) {
                Some(f) => *f = true,
                None => notes.push(
                    Note::text("hide: ")
                        .quote(part)
                        .then(format!(" is not a part of the page ({})", Hidden::PARTS.join(", "))),
                ),
            }
        }
        (hidden, notes)
    }

    /// The `hide` value: the hidden parts' names, comma-separated (empty when none is hidden).
    pub fn value(&self) -> String {
        Hidden::PARTS.iter().filter(|p| self.hides(p)).copied().collect::<Vec<_>>().join(",")
    }

    /// Whether any part is hidden (the page is embedded).
    pub fn any(&self) -> bool {
        *self != Hidden::default()
    }

    /// The CSS classes of the app root that hide the parts: `embed hide-header hide-tabs …`.
    pub fn classes(&self) -> String {
        let mut c: Vec<String> =
            Hidden::PARTS.iter().filter(|p| self.hides(p)).map(|p| format!("hide-{p}")).collect();
        if self.any() {
            c.insert(0, "embed".to_string());
        }
        c.join(" ")
    }
}

thread_local! {
    /// The page's own keys after the view's state (the `hide` of an embed), kept in the URL.
    static PAGE_KEYS: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Keeps the parts `hidden` hides in every URL the page writes.
pub fn keep_hidden_in_url(hidden: Hidden) {
    let value = hidden.value();
    let keys = if value.is_empty() {
        String::new()
    } else {
        form_urlencoded::Serializer::new(String::new()).append_pair(HIDE_KEY, &value).finish()
    };
    PAGE_KEYS.with(|k| *k.borrow_mut() = keys);
}

/// The page's views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// NTK-GP, NNGP and finite ensembles through training (the paper's Figure 2)
    Explorer,
    /// one network beside its linearization (the paper's Figure 3)
    Single,
    /// large learning rates: the two-scalar model and real networks
    Catapult,
    /// how fast networks become linear as width grows (Figure 1, Theorem 2.1)
    Widths,
    /// order and chaos: the phase diagram, correlations and conditioning over depth
    Phase,
}

impl View {
    /// Every view, in tab order.
    pub const ALL: [View; 5] = [View::Explorer, View::Single, View::Catapult, View::Widths, View::Phase];

    /// Its name in the URL.
    pub fn key(self) -> &'static str {
        match self {
            View::Explorer => "explorer",
            View::Single => "single",
            View::Catapult => "catapult",
            View::Widths => "widths",
            View::Phase => "phase",
        }
    }

    /// Its tab title.
    pub fn title(self) -> &'static str {
        match self {
            View::Explorer => "Explorer: Figure 2, live",
            View::Single => "One network: Figure 3",
            View::Catapult => "Large learning rates: catapult",
            View::Widths => "Width scaling",
            View::Phase => "Order and chaos",
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

/// The page's query string (a write still waiting for its turn included: see [`write_url`]).
pub fn location_query() -> String {
    if let Some(query) = URL_WRITE.with(|w| w.borrow().pending.clone()) {
        return query;
    }
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// The page's link (absolute), with its query as [`location_query`] gives it.
pub fn page_link() -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else { return String::new() };
    format!(
        "{}{}{}",
        location.origin().unwrap_or_default(),
        location.pathname().unwrap_or_default(),
        location_query()
    )
}

/// Most writes of the URL in any [`URL_WINDOW_MS`]: browsers ignore history calls made too
/// often (Chromium: more than 200 in 10 s), and an ignored write would leave the link behind
/// the page for good. Up to this many, a change is written at once; beyond, the latest is
/// written when the window allows.
pub const URL_WRITES_PER_WINDOW: usize = 10;

/// The window of [`URL_WRITES_PER_WINDOW`] (ms).
pub const URL_WINDOW_MS: f64 = 1_000.0;

/// After a write the browser refused, the next try waits this long (ms).
const URL_RETRY_MS: u64 = 1_000;

/// The URL writes: the query waiting to be written, whether a write is scheduled, and when
/// the writes of the last [`URL_WINDOW_MS`] were made.
#[derive(Default)]
struct UrlWrite {
    pending: Option<String>,
    scheduled: bool,
    recent: std::collections::VecDeque<f64>,
}

thread_local! {
    static URL_WRITE: RefCell<UrlWrite> = RefCell::new(UrlWrite::default());
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Writes the waiting query now; when the browser refuses, tries again in [`URL_RETRY_MS`].
fn flush_url() {
    let Some(query) = URL_WRITE.with(|w| {
        let mut w = w.borrow_mut();
        w.scheduled = false;
        w.recent.push_back(now_ms());
        w.pending.take()
    }) else {
        return;
    };
    let written = web_sys::window()
        .and_then(|w| w.history().ok())
        .is_some_and(|h| h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&query)).is_ok());
    if !written {
        URL_WRITE.with(|w| {
            let mut w = w.borrow_mut();
            // A newer query may have come meanwhile: it wins.
            w.pending.get_or_insert(query);
            w.scheduled = true;
        });
        leptos::prelude::set_timeout(flush_url, std::time::Duration::from_millis(URL_RETRY_MS));
    }
}

/// The query string of `view` showing a state whose own query is `state_query`.
pub fn view_query(view: View, state_query: &str) -> String {
    let sep = if state_query.is_empty() { "" } else { "&" };
    match view {
        View::Explorer => format!("?{state_query}"),
        _ => format!("?{VIEW_KEY}={}{sep}{state_query}", view.key()),
    }
}

/// Replaces the URL's query by `view` and that view's state, and the page's own keys (no
/// history entry per change): at once, unless [`URL_WRITES_PER_WINDOW`] writes were made in the
/// last [`URL_WINDOW_MS`] — then as soon as the window allows, with the latest query (a burst
/// of changes writes its first ones and its last).
pub fn write_url(view: View, state_query: &str) {
    let mut query = view_query(view, state_query);
    PAGE_KEYS.with(|k| {
        let k = k.borrow();
        if !k.is_empty() {
            if query.len() > 1 {
                query.push('&');
            }
            query.push_str(&k);
        }
    });
    let wait = URL_WRITE.with(|w| {
        let mut w = w.borrow_mut();
        w.pending = Some(query);
        if w.scheduled {
            return None;
        }
        let now = now_ms();
        while w.recent.front().is_some_and(|&t| t + URL_WINDOW_MS <= now) {
            w.recent.pop_front();
        }
        if w.recent.len() < URL_WRITES_PER_WINDOW {
            return Some(0.0);
        }
        w.scheduled = true;
        Some(w.recent.front().map_or(0.0, |&t| t + URL_WINDOW_MS - now).max(1.0))
    });
    match wait {
        Some(wait) if wait > 0.0 => {
            leptos::prelude::set_timeout(flush_url, std::time::Duration::from_millis(wait.ceil() as u64));
        }
        Some(_) => flush_url(),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::explorer::ExplorerParams;
    use crate::params::url::{decode, RESERVED};
    use crate::storage::NoTables;

    #[test]
    fn the_hide_key_names_parts_and_is_the_pages_own() {
        let (h, notes) =
            Hidden::from_query("?width=64&hide=header,Tabs,%20controls&hide=controls,explain,logo");
        assert_eq!(
            h,
            Hidden { header: false, tabs: false, controls: true, explain: true },
            "the last key wins"
        );
        assert_eq!(notes.len(), 1);
        assert!(notes[0].to_string().contains("'logo' is not a part"), "{}", notes[0]);
        assert_eq!(Hidden::ALL.value(), "header,tabs,controls,explain");
        assert_eq!(Hidden::default().classes(), "");
        assert_eq!(Hidden::ALL.with("tabs", false).classes(), "embed hide-header hide-controls hide-explain");
        // The views' states never read it.
        let (_, notes) = decode::<ExplorerParams>("hide=header&width=64", RESERVED, &NoTables);
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(View::from_query("?hide=tabs&view=widths"), View::Widths);
    }

    #[test]
    fn each_view_is_named_in_its_query_and_the_explorer_needs_no_key() {
        for view in View::ALL {
            assert_eq!(View::from_query(&view_query(view, "width=64")), view, "{view:?}");
            assert_eq!(View::from_query(&view_query(view, "")), view, "{view:?}");
        }
        assert_eq!(view_query(View::Explorer, "width=64"), "?width=64");
        assert_eq!(view_query(View::Widths, "wmax=512"), "?view=widths&wmax=512");
        assert_eq!(view_query(View::Phase, ""), "?view=phase");
        assert_eq!(View::from_query("?view=nope"), View::Explorer);
        assert_eq!(View::from_query("view=catapult&view=single"), View::Single, "the last key wins");
    }
}
