//! The time shown: its log-scale slider, play / step / reset, and "follow training".

use leptos::prelude::*;

use super::state::ExplorerState;
use crate::components::controls::SLIDER_STEPS;

/// Slider position (0..=1000) of a step on a log scale over 0..=steps.
pub fn step_position(step: u64, steps: u64) -> f64 {
    ((step as f64 + 1.0).ln() / (steps as f64 + 1.0).ln() * SLIDER_STEPS).clamp(0.0, SLIDER_STEPS)
}

/// The step at a slider position (the inverse of [`step_position`], rounded).
pub fn step_at(pos: f64, steps: u64) -> u64 {
    let k = ((steps as f64 + 1.0).powf(pos / SLIDER_STEPS) - 1.0).round();
    (k as u64).min(steps)
}

/// The step after `k` when time moves forward by `delta` slider positions on the log scale:
/// at least one step later (near k = 0 a slider position is less than a step), at most `steps`.
pub fn step_forward(k: u64, steps: u64, delta: f64) -> u64 {
    step_at(step_position(k, steps) + delta, steps).max(k + 1).min(steps)
}

/// Slider positions the time moves per tick while playing.
const PLAY_DELTA: f64 = 8.0;
/// Milliseconds between two ticks while playing.
const PLAY_TICK_MS: u64 = 40;
/// Slider positions of the "step ›" button.
const STEP_DELTA: f64 = 25.0;

/// Play: while `playing`, advance the time shown along the log scale from wherever it is (also
/// k = 0) until the last step; the timer runs only while playing and is cleared with the view.
fn play_timer(state: ExplorerState, playing: RwSignal<bool>) {
    let (params, shown_step) = (state.params, state.shown_step);
    let timer = StoredValue::new_local(None::<IntervalHandle>);
    let stop = move || {
        if let Some(h) = timer.try_update_value(Option::take).flatten() {
            h.clear();
        }
    };
    Effect::new(move |_| {
        stop();
        if !playing.get() {
            return;
        }
        let tick = move || {
            let (k, steps) = (shown_step.get_untracked(), params.with_untracked(|p| p.training.steps));
            let next = step_forward(k, steps, PLAY_DELTA);
            if next >= steps {
                playing.set(false);
            }
            params.update(|p| p.display.shown_step = Some(next));
        };
        if let Ok(h) = set_interval_with_handle(tick, std::time::Duration::from_millis(PLAY_TICK_MS)) {
            timer.set_value(Some(h));
        }
    });
    on_cleanup(stop);
}

/// The time controls under the main plot (see the module doc).
#[component]
pub fn TimeControls(
    /// the explorer's state
    state: ExplorerState,
) -> impl IntoView {
    let (params, shown_step, follow) = (state.params, state.shown_step, state.follow);
    let playing = RwSignal::new(false);
    play_timer(state, playing);
    // The time shown, as read beside the slider and by a screen reader.
    let time_text = move || params.with(|p| format!("k = {} of {}", shown_step.get(), p.training.steps));
    view! {
        <div class="time">
            <button on:click=move |_| playing.update(|p| *p = !*p) aria-label="play or pause">
                {move || if playing.get() { "pause" } else { "play" }}
            </button>
            <button on:click=move |_| {
                let steps = params.with_untracked(|p| p.training.steps);
                let k = step_forward(shown_step.get_untracked(), steps, STEP_DELTA);
                params.update(|p| p.display.shown_step = Some(k));
            }>"step ›"</button>
            <button on:click=move |_| { playing.set(false); params.update(|p| p.display.shown_step = Some(0)) }>"reset"</button>
            <label for="time">"time shown"</label>
            <input type="range" id="time" min="0" max=SLIDER_STEPS.to_string() step="1"
                prop:value=move || params.with(|p| step_position(shown_step.get(), p.training.steps).round().to_string())
                aria-valuetext=time_text
                on:input=move |ev| {
                    if let Ok(pos) = event_target_value(&ev).parse::<f64>() {
                        params.update(|p| p.display.shown_step = Some(step_at(pos, p.training.steps)));
                    }
                } />
            <span data-testid="time-value">{time_text}</span>
            <label class="follow">
                <input type="checkbox" id="follow" data-testid="follow" prop:checked=follow
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        // Read before the update: the step shown is computed from `params`.
                        let step = if on { None } else { Some(shown_step.get_untracked()) };
                        params.update(|p| p.display.shown_step = step);
                    } />
                "follow training"
            </label>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slider_positions_and_steps_are_inverse_on_the_log_scale() {
        for steps in [1u64, 10, 3000, 1_000_000] {
            assert_eq!(step_position(0, steps), 0.0);
            assert_eq!(step_position(steps, steps), SLIDER_STEPS);
            for k in [0, steps / 3, steps / 2, steps] {
                assert_eq!(step_at(step_position(k, steps), steps), k, "k = {k} of {steps}");
            }
        }
    }

    #[test]
    fn stepping_forward_moves_at_least_one_step_and_stops_at_the_end() {
        assert_eq!(step_forward(0, 3000, 0.1), 1);
        assert_eq!(step_forward(2999, 3000, 500.0), 3000);
        assert_eq!(step_forward(3000, 3000, 8.0), 3000);
        // 25 positions on, to the nearest whole step.
        let (k, target) = (step_forward(10, 3000, 25.0), step_position(10, 3000) + 25.0);
        assert!(k > 10, "{k}");
        assert!(step_position(k - 1, 3000) < target && target < step_position(k + 1, 3000), "{k}");
    }
}
