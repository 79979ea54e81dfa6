//! The explorer's controls: presets, the architecture, width, learning rate (with its landmarks
//! and the catapult offer), steps, members, the quadratic models, the output scale α, the data set and its
//! parameters, the individual networks drawn and the seed. Each control is the control of a
//! described field ([`FieldControl`]) or a few lines around one.

use leptos::prelude::*;

use super::guide::LrGuide;
use super::points::PointEditor;
use super::presets::PRESETS;
use super::quad::QuadraticToggle;
use super::state::ExplorerState;
use crate::components::arch::ArchControls;
use crate::components::data_input::{table_from_screen, TableInput};
use crate::components::field::FieldControl;
use crate::format::tidy;
use crate::params::catapult::CatapultParams;
use crate::params::explorer::{user_point, DataChoice, DataParams, ExplorerParams, MAX_TRAIN};
use crate::problem::problem;

/// The training points on the screen, as the user's points (what a switch to `user` starts
/// from): those of the generated 1-D set shown, else of the sine set.
fn points_on_screen(p: &ExplorerParams) -> Vec<(f64, f64)> {
    let data = DataParams {
        set: if p.data.set.is_generated_1d() { p.data.set } else { DataChoice::Sin },
        ..p.data.clone()
    };
    problem(&data, p.seed)
        .map(|d| d.points.x_train.iter().zip(&d.points.y_train).map(|(x, &y)| user_point(x[0], y)).collect())
        .unwrap_or_default()
}

/// Past η_max: a button to the catapult view at this setting (its slider ends at ηλ₀ = 6; said
/// so when the explorer's ηλ₀ is larger).
fn catapult_offer(guide: LrGuide, on_catapult: Callback<CatapultParams>) -> impl IntoView {
    move || {
        guide.catapult_offer.get().map(|(c, wanted)| {
            let capped = (wanted > c.eta_lambda0 + 1e-9).then(|| {
                format!(
                    " (here ηλ₀ ≈ {}: past 4 the network diverges; the catapult view goes up to 6)",
                    tidy(wanted)
                )
            });
            view! {
                <p class="offer" data-testid="catapult-offer">
                    "Past η_max the linear picture stops. "
                    <button on:click=move |_| on_catapult.run(c.clone())>
                        {format!("See the catapult at ηλ₀ = {} →", c.eta_lambda0)}
                    </button>
                    {capped}
                </p>
            }
        })
    }
}

/// The output scale α (Chizat, Oyallon & Bach): its switch, its slider and what it does.
#[component]
fn LazinessControls(
    /// the explorer's parameters
    params: RwSignal<ExplorerParams>,
) -> impl IntoView {
    view! {
        <h2>"Laziness"</h2>
        <label class="follow" title="Chizat, Oyallon & Bach: train g = α (f − f₀) on the loss scaled by 1/α²; time t = η·k means the same for every α">
            <input type="checkbox" data-testid="alpha-on" prop:checked=move || params.with(|p| p.training.alpha.is_some())
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    params.update(|p| p.training.alpha = on.then_some(1.0));
                } />
            "scale the output: g = α (f − f₀)"
        </label>
        <Show when=move || params.with(|p| p.training.alpha.is_some())>
            <FieldControl field=&ExplorerParams::ALPHA state=params />
            <p class="hint" data-testid="alpha-hint">"Large α: lazy — every network stays on its linearization (the gap falls like 1/α) and the ensemble on the NTK-GP mean. Small α: rich — the weights move far and the networks leave their linearizations. Shown are the g's, which start at 0; the theory's g starts at 0 too, so the NTK-GP and NNGP are their means alone (no band)."</p>
        </Show>
    }
}

/// The data set: its select and the parameters of the set chosen.
#[component]
fn DataControls(
    /// the explorer's state
    state: ExplorerState,
    /// the editor of the user's points
    editor: PointEditor,
) -> impl IntoView {
    let params = state.params;
    let user_set = move || state.user_set();
    let table_set = move || state.table_set();
    view! {
        <h2>"Data"</h2>
        <div class="control">
            <label for="data">{ExplorerParams::DATA.label}</label>
            <select id="data" prop:value=move || params.with(|p| p.data.set.name())
                on:change=move |ev| {
                    if let Some(choice) = DataChoice::from_name(&event_target_value(&ev)) {
                        if choice == DataChoice::Table && params.with_untracked(|p| p.data.table.is_none()) {
                            let table = params.with_untracked(table_from_screen);
                            params.update(|p| p.data.table = table);
                        }
                        editor.choose(choice, points_on_screen);
                    }
                }>
                {DataChoice::NAMES.iter().map(|o| view! { <option value=*o>{*o}</option> }).collect_view()}
            </select>
        </div>
        <Show when=move || params.with(|p| p.data.set == DataChoice::Formula)>
            <FieldControl field=&ExplorerParams::FORMULA state=params />
        </Show>
        <Show when=user_set>
            <p class="hint" data-testid="user-hint">
                "Click the plot to add a training point, drag to move it, right-click to remove it (or select it, then Delete / arrow keys). "
                {move || params.with(|p| format!("{} of {MAX_TRAIN} points.", p.data.points.len()))}
            </p>
            <button data-testid="clear-points" on:click=move |_| editor.clear()>"Remove all points"</button>
        </Show>
        <Show when=table_set>
            <TableInput params=params />
        </Show>
        <Show when=move || !user_set() && !table_set()>
            <FieldControl field=&ExplorerParams::N_TRAIN state=params />
            <FieldControl field=&ExplorerParams::NOISE state=params />
        </Show>
        <Show when=move || state.two_d()>
            <FieldControl field=&ExplorerParams::SEG_A state=params />
            <FieldControl field=&ExplorerParams::SEG_B state=params />
        </Show>
    }
}

/// The controls panel (see the module doc).
#[component]
pub fn Controls(
    /// the explorer's state
    state: ExplorerState,
    /// the editor of the user's points
    editor: PointEditor,
    /// the learning rate against the theory's landmarks
    guide: LrGuide,
    /// opens the catapult view at a learning rate past η_max
    on_catapult: Callback<CatapultParams>,
) -> impl IntoView {
    let params = state.params;
    view! {
        <aside class="panel controls" data-testid="controls" aria-label="Controls">
            <h2>"Network and training"</h2>
            <div class="presets">
                {PRESETS.iter().map(|p| {
                    let preset = p.state;
                    view! { <button on:click=move |_| params.set(preset())>{p.name}</button> }
                }).collect_view()}
            </div>
            <ArchControls state=params />
            <FieldControl field=&ExplorerParams::WIDTH state=params />
            <FieldControl field=&ExplorerParams::LR state=params marks=guide.landmarks hint=guide.hint />
            <button data-testid="half-critical" on:click=move |_| guide.half_critical()
                title="set η to half the train NTK's η_crit = 2N/(λ_min + λ_max): inside the paper's Theorem 2.1">"η = ½ η_crit"</button>
            {catapult_offer(guide, on_catapult)}
            <FieldControl field=&ExplorerParams::STEPS state=params />
            <FieldControl field=&ExplorerParams::MEMBERS state=params />
            <QuadraticToggle params=params />
            <LazinessControls params=params />
            <DataControls state=state editor=editor />
            <FieldControl field=&ExplorerParams::CURVES state=params />
            <FieldControl field=&ExplorerParams::SEED state=params />
        </aside>
    }
}
