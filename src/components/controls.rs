//! Input controls: a range slider with its value shown and editable (linear or log scale, with
//! optional landmark ticks), and a labelled select.

use leptos::prelude::*;

/// Slider positions run over 0..=[`SLIDER_STEPS`].
pub const SLIDER_STEPS: f64 = 1000.0;

/// Whether a slider is being dragged, and a count of slider releases: runs restart at once on
/// a release (or any change made without dragging) and only once a dragged value settles
/// (see [`crate::services::restart_when_settled`]). Provided by the app; optional for
/// components mounted alone (tests).
#[derive(Clone, Copy)]
pub struct Gestures {
    /// a pointer is down on a slider
    pub dragging: RwSignal<bool>,
    /// bumped when a slider is released
    pub released: RwSignal<u64>,
}

impl Gestures {
    /// Creates the gesture state and provides it to the component tree below.
    pub fn provide() -> Gestures {
        let g = Gestures { dragging: RwSignal::new(false), released: RwSignal::new(0) };
        provide_context(g);
        g
    }

    /// Whether a slider is being dragged (untracked; false without a provider).
    pub fn is_dragging() -> bool {
        use_context::<Gestures>().is_some_and(|g| g.dragging.get_untracked())
    }
}

/// The scale of a slider.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// smallest value
    pub min: f64,
    /// largest value
    pub max: f64,
    /// logarithmic (for quantities spanning decades; min > 0)
    pub log: bool,
    /// integer values
    pub integer: bool,
}

impl Scale {
    /// Slider position (0..=1000) of a value.
    pub fn position(&self, v: f64) -> f64 {
        let v = v.clamp(self.min, self.max);
        let f = if self.log {
            (v / self.min).ln() / (self.max / self.min).ln()
        } else {
            (v - self.min) / (self.max - self.min)
        };
        (f * SLIDER_STEPS).clamp(0.0, SLIDER_STEPS)
    }

    /// Value at a slider position.
    pub fn value(&self, pos: f64) -> f64 {
        let f = (pos / SLIDER_STEPS).clamp(0.0, 1.0);
        let v = if self.log {
            self.min * (self.max / self.min).powf(f)
        } else {
            self.min + f * (self.max - self.min)
        };
        self.tidy(v)
    }

    /// Rounds to an integer or to 3 significant digits, within range.
    pub fn tidy(&self, v: f64) -> f64 {
        let v = v.clamp(self.min, self.max);
        if self.integer {
            v.round()
        } else if v == 0.0 {
            0.0
        } else {
            let mag = 10f64.powf(v.abs().log10().floor() - 2.0);
            ((v / mag).round() * mag).clamp(self.min, self.max)
        }
    }
}

/// Slider positions a key moves: arrows 1 % of the track, Page Up / Down 10 %, Home / End to
/// the ends (`None` for other keys, which the browser handles).
pub fn key_step(key: &str) -> Option<f64> {
    match key {
        "ArrowRight" | "ArrowUp" => Some(10.0),
        "ArrowLeft" | "ArrowDown" => Some(-10.0),
        "PageUp" => Some(100.0),
        "PageDown" => Some(-100.0),
        "End" => Some(SLIDER_STEPS),
        "Home" => Some(-SLIDER_STEPS),
        _ => None,
    }
}

impl Scale {
    /// The value `delta` slider positions from `v` (a keyboard step), at least one unit of
    /// the shown value away where the range allows (a step of a small integer range still moves).
    pub fn step_by(&self, v: f64, delta: f64) -> f64 {
        let next = self.value(self.position(v) + delta);
        if next != v || delta == 0.0 {
            return next;
        }
        let unit =
            if self.integer { 1.0 } else { (v.abs().max(self.min.abs()) * 1e-3).max(f64::MIN_POSITIVE) };
        self.tidy(v + unit * delta.signum())
    }
}

/// Formats a value for the number box.
pub fn show(v: f64, integer: bool) -> String {
    if integer {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s.is_empty() || s == "-" {
            "0".into()
        } else {
            s.to_string()
        }
    }
}

/// The class of landmark tick `i` of `n` (sorted by value): one tick has its label centred on
/// it; of several, the lowest has its label to the left of its tick and the highest to the
/// right, so that two close landmarks (η_crit ≥ η_max / 2 always) never write over each other.
pub fn mark_class(i: usize, n: usize) -> &'static str {
    match (i, n) {
        (_, 0 | 1) => "mark",
        (0, _) => "mark before",
        (i, n) if i + 1 == n => "mark after",
        _ => "mark",
    }
}

/// A slider with its value in an editable number box; `on_change` receives in-range values
/// (typed values are clamped; unparsable text is ignored and shown as invalid).
#[component]
pub fn SliderControl(
    /// element id (for labels and tests)
    #[prop(into)]
    id: String,
    /// label text
    label: &'static str,
    /// value range and scale
    scale: Scale,
    /// current value
    #[prop(into)]
    value: Signal<f64>,
    /// receives new values
    on_change: Callback<f64>,
    /// landmark ticks drawn on the slider: (value, title)
    #[prop(into, default = Signal::stored(Vec::new()))]
    marks: Signal<Vec<(f64, String)>>,
    /// a short hint under the slider (none when empty)
    #[prop(into, default = Signal::stored(String::new()))]
    hint: Signal<String>,
) -> impl IntoView {
    let (invalid, set_invalid) = signal(false);
    let number_id = format!("{id}-value");
    let gestures = use_context::<Gestures>();
    let press = move |_| {
        if let Some(g) = gestures {
            g.dragging.set(true);
        }
    };
    let release = move |_| {
        if let Some(g) = gestures {
            g.dragging.set(false);
            g.released.update(|n| *n += 1);
        }
    };
    view! {
        <div class="control">
            <label for=id.clone()>{label}</label>
            <div class="slider-row">
                <div class="slider-wrap">
                    <input
                        type="range"
                        id=id
                        min="0"
                        max=SLIDER_STEPS.to_string()
                        step="1"
                        prop:value=move || scale.position(value.get()).round().to_string()
                        aria-valuetext=move || show(value.get(), scale.integer)
                        on:keydown=move |ev: web_sys::KeyboardEvent| {
                            let Some(delta) = key_step(&ev.key()) else { return };
                            ev.prevent_default();
                            set_invalid.try_set(false);
                            on_change.run(scale.step_by(value.get_untracked(), delta));
                        }
                        on:pointerdown=press
                        on:change=release
                        on:input=move |ev| {
                            if let Ok(pos) = event_target_value(&ev).parse::<f64>() {
                                set_invalid.try_set(false);
                                on_change.run(scale.value(pos));
                            }
                        }
                    />
                    {move || {
                        let mut shown: Vec<(f64, String)> = marks
                            .get()
                            .into_iter()
                            .filter(|(v, _)| v.is_finite() && *v >= scale.min && *v <= scale.max)
                            .collect();
                        shown.sort_by(|a, b| a.0.total_cmp(&b.0));
                        let n = shown.len();
                        shown
                            .into_iter()
                            .enumerate()
                            .map(|(i, (v, title))| {
                                // The thumb's centre travels from half a thumb in to half a
                                // thumb before the end (`--thumb` in the style sheet).
                                let f = scale.position(v) / SLIDER_STEPS;
                                let left = format!("left: calc(var(--thumb) / 2 + {f:.5} * (100% - var(--thumb)))");
                                let text = title.clone();
                                view! { <span class=mark_class(i, n) style=left title=title>{text}</span> }
                            })
                            .collect_view()
                    }}
                </div>
                <input
                    type="text"
                    inputmode="decimal"
                    class="number"
                    class:invalid=move || invalid.get()
                    id=number_id
                    aria-label=format!("{label} value")
                    prop:value=move || show(value.get(), scale.integer)
                    on:change=move |ev| {
                        match event_target_value(&ev).trim().parse::<f64>() {
                            Ok(v) if v.is_finite() => {
                                set_invalid.try_set(false);
                                on_change.run(scale.tidy(v));
                            }
                            _ => {
                                set_invalid.try_set(true);
                            }
                        }
                    }
                />
            </div>
            {move || {
                let h = hint.get();
                (!h.is_empty()).then(|| view! { <div class="hint">{h}</div> })
            }}
        </div>
    }
}

/// A number typed in a box (an integer too wide for a slider, such as a seed); `on_change`
/// receives in-range values, unparsable text is shown as invalid.
#[component]
pub fn NumberControl(
    /// element id
    #[prop(into)]
    id: String,
    /// label text
    label: &'static str,
    /// value range
    scale: Scale,
    /// current value
    #[prop(into)]
    value: Signal<f64>,
    /// receives new values
    on_change: Callback<f64>,
) -> impl IntoView {
    let (invalid, set_invalid) = signal(false);
    view! {
        <div class="control">
            <label for=id.clone()>{label}</label>
            <input type="text" inputmode="numeric" class="number wide" class:invalid=move || invalid.get() id=id
                prop:value=move || show(value.get(), scale.integer)
                on:change=move |ev| {
                    match event_target_value(&ev).trim().parse::<f64>() {
                        Ok(v) if v.is_finite() => {
                            set_invalid.try_set(false);
                            on_change.run(scale.tidy(v));
                        }
                        _ => {
                            set_invalid.try_set(true);
                        }
                    }
                } />
        </div>
    }
}

/// A labelled select over `options`.
#[component]
pub fn SelectControl(
    /// element id
    #[prop(into)]
    id: String,
    /// label text
    label: &'static str,
    /// option values (shown as they are)
    options: &'static [&'static str],
    /// current value
    #[prop(into)]
    value: Signal<&'static str>,
    /// receives the chosen value
    on_change: Callback<String>,
) -> impl IntoView {
    view! {
        <div class="control">
            <label for=id.clone()>{label}</label>
            <select id=id prop:value=move || value.get() on:change=move |ev| on_change.run(event_target_value(&ev))>
                {options.iter().map(|o| view! { <option value=*o>{*o}</option> }).collect_view()}
            </select>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::Scale;

    #[test]
    fn log_and_linear_scales_round_trip_through_slider_positions() {
        let log = Scale { min: 1e-4, max: 100.0, log: true, integer: false };
        assert_eq!(log.position(1e-4), 0.0);
        assert_eq!(log.position(100.0), 1000.0);
        assert!((log.value(500.0) - 0.1).abs() < 1e-3, "{}", log.value(500.0));
        let int = Scale { min: 8.0, max: 2048.0, log: true, integer: true };
        assert_eq!(int.value(500.0), 128.0);
        assert_eq!(int.tidy(1e9), 2048.0);
        let lin = Scale { min: 0.0, max: 4.0, log: false, integer: false };
        assert_eq!(lin.value(250.0), 1.0);
        assert_eq!(lin.tidy(-3.0), 0.0);
    }
}
