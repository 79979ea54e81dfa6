//! The control of one described parameter ([`Field`]): a slider with its number box for
//! numbers (linear or log scale from the field's [`Kind`]), a select for names. Its element id
//! is the view's prefix and the field's key, its label the field's label; every change goes
//! through the field's `set` and the state's [`Described::normalize`].

use leptos::prelude::*;

use crate::components::controls::{NumberControl, Scale, SelectControl, SliderControl};

/// Widest integer range given a slider (wider ones, such as seeds, are typed).
pub const MAX_SLIDER_SPAN: f64 = 1e6;
use crate::components::notes::NoteList;
use crate::params::notes::Note;
use crate::params::{Described, Field, Kind, Value};
use crate::storage::BROWSER_TABLES;

/// The slider scale of a numeric kind (`None` for names and text).
pub fn scale_of(kind: Kind) -> Option<Scale> {
    match kind {
        Kind::Int { min, max, log } => Some(Scale { min: min as f64, max: max as f64, log, integer: true }),
        Kind::Real { min, max, log } => Some(Scale { min, max, log, integer: false }),
        Kind::Choice(_) | Kind::Text { .. } => None,
    }
}

/// Writes `value` into `state` through `field` and restores the state's constraints; returns
/// the field's notes about what it could not take (the state is then left as it was).
pub fn write<S: Described + Send + Sync>(
    state: RwSignal<S>,
    field: &'static Field<S>,
    value: Value,
) -> Vec<Note> {
    let mut notes = Vec::new();
    state.maybe_update(|s| {
        let before = s.clone();
        notes = (field.set)(s, value, &BROWSER_TABLES);
        s.normalize();
        *s != before
    });
    notes
}

/// The control of `field` of `state`: a slider (numbers), a select (names) or a text box.
#[component]
pub fn FieldControl<S: Described + Send + Sync>(
    /// the parameter
    field: &'static Field<S>,
    /// the view's state
    state: RwSignal<S>,
    /// the view's id prefix (ids are unique across the page's views)
    #[prop(default = "")]
    prefix: &'static str,
    /// landmark ticks on a slider: (value, title)
    #[prop(into, default = Signal::stored(Vec::new()))]
    marks: Signal<Vec<(f64, String)>>,
    /// a short hint under the control (none when empty)
    #[prop(into, default = Signal::stored(String::new()))]
    hint: Signal<String>,
) -> impl IntoView {
    let id = format!("{prefix}{}", field.key);
    match field.kind {
        Kind::Choice(names) => view! {
            <SelectControl id=id label=field.label options=names
                value=Signal::derive(move || match state.with(|s| (field.get)(s)) {
                    Value::Choice(name) => name,
                    _ => "",
                })
                on_change=Callback::new(move |name: String| {
                    if let Some(n) = names.iter().find(|n| **n == name) {
                        let _ = write(state, field, Value::Choice(n));
                    }
                }) />
        }
        .into_any(),
        Kind::Text { max_len } => {
            // What the field could not take (e.g. an expression that does not parse), shown
            // under it until the next change; the box keeps what was typed.
            let problems = RwSignal::new(Vec::<Note>::new());
            view! {
                <div class="control text-control">
                    <label for=id.clone()>{field.label}</label>
                    <input type="text" id=id.clone() maxlength=max_len.to_string() spellcheck="false"
                        aria-invalid=move || problems.with(|p| (!p.is_empty()).to_string())
                        prop:value=move || state.with(|s| (field.get)(s).to_url_text())
                        on:change=move |ev| problems.set(write(state, field, Value::Text(event_target_value(&ev)))) />
                    <div class="field-problems" id=format!("{id}-problems") role="alert">
                        <NoteList notes=problems />
                    </div>
                </div>
            }
            .into_any()
        }
        kind @ (Kind::Int { .. } | Kind::Real { .. }) => {
            let Some(scale) = scale_of(kind) else { return ().into_any() };
            let value = Signal::derive(move || state.with(|s| (field.get)(s).as_f64()));
            let on_change = Callback::new(move |v: f64| {
                if let Some(value) = kind.tidy(v) {
                    let _ = write(state, field, value);
                }
            });
            // An integer whose range no slider can resolve (a seed): typed only.
            if scale.integer && scale.max - scale.min > MAX_SLIDER_SPAN {
                return view! { <NumberControl id=id label=field.label scale=scale value=value on_change=on_change /> }
                    .into_any();
            }
            view! {
                <SliderControl id=id label=field.label scale=scale value=value on_change=on_change marks=marks hint=hint />
            }
            .into_any()
        }
    }
}
