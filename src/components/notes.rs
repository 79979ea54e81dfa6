//! The notes a view shows above its controls: what it did with a link, workers lost, plots that
//! could not be drawn. Deduplicated and capped ([`crate::params::notes::shown`]); text the user
//! gave is shown in a direction-isolated `<bdi>`, so that a right-to-left override in a link
//! cannot reverse the note around it.

use leptos::prelude::*;

use crate::params::notes::{shown, Note, Part};

/// One note, user text isolated.
#[component]
pub fn NoteLine(
    /// the note
    note: Note,
    /// text before it (e.g. "Link: ")
    #[prop(default = "")]
    prefix: &'static str,
) -> impl IntoView {
    view! {
        <p class="note">
            {prefix}
            {note.parts.into_iter().map(|part| match part {
                Part::Text(t) => t.into_any(),
                Part::Quoted(q) => view! { "'"<bdi>{q}</bdi>"'" }.into_any(),
            }).collect_view()}
        </p>
    }
}

/// A list of notes: the first few distinct ones and "… and N more".
#[component]
pub fn NoteList(
    /// the notes
    #[prop(into)]
    notes: Signal<Vec<Note>>,
    /// text before each (e.g. "Link: ")
    #[prop(default = "")]
    prefix: &'static str,
) -> impl IntoView {
    move || {
        let (first, more) = notes.with(|n| shown(n));
        view! {
            {first.into_iter().map(|note| view! { <NoteLine note=note prefix=prefix /> }).collect_view()}
            {(more > 0).then(|| view! { <p class="note more">{format!("… and {more} more")}</p> })}
        }
    }
}
