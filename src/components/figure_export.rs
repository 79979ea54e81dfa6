//! "Export…" under a figure: the figure as a PNG at 1×, 2× or 3× its on-screen resolution, or as
//! an SVG drawn by the same drawing function (text as text, the link, the `ntk` command, the
//! step shown and the version inside), on a sheet of a chosen size (px or cm) and text and line
//! scale ("for slides": larger text and thicker lines). The options change nothing else on the
//! page and are not in the link.

use leptos::prelude::*;

use crate::download::{download, download_text, version};
use crate::plot::svg::{Provenance, Sheet, Unit, SCALE_RANGE};
use crate::plot::{at_scale, PlotError};

/// Text and line scale of the "for slides" option.
pub const SLIDES_SCALE: f64 = 1.6;

/// What a view gives to export one of its figures.
#[derive(Clone, Copy)]
pub struct Figure {
    /// the canvas it is drawn on
    pub canvas: NodeRef<leptos::html::Canvas>,
    /// draws it on its canvas again, as shown now; `false` when there is nothing to draw
    pub redraw: Callback<(), bool>,
    /// the figure as an SVG document on a sheet with a provenance; `None` when nothing is shown
    pub svg: Callback<(Sheet, Provenance), Option<Result<String, PlotError>>>,
    /// the `ntk` command that computes its numbers, if any
    pub command: Signal<Option<String>>,
    /// the training step it shows, if it shows one
    pub step: Signal<Option<u64>>,
}

/// Parses a positive size, else `None`.
fn positive(text: &str) -> Option<f64> {
    text.trim().replace(',', ".").parse::<f64>().ok().filter(|v| v.is_finite() && *v > 0.0 && *v <= 10_000.0)
}

/// The export menu of one figure; `id` names its files (`wide-explorer-{id}.svg`) and test ids
/// (`{id}-export`, `{id}-png-2`, `{id}-svg`).
#[component]
pub fn FigureExport(
    /// names the files and the test ids
    id: &'static str,
    /// the figure
    figure: Figure,
) -> impl IntoView {
    let width = RwSignal::new(String::new());
    let height = RwSignal::new(String::new());
    let unit = RwSignal::new(Unit::Px);
    let scale = RwSignal::new(1.0_f64);
    let error = RwSignal::new(None::<String>);
    // The sheet defaults to the canvas's size on screen, in the unit chosen.
    let screen_size = move || {
        figure
            .canvas
            .get_untracked()
            .map(|c| (c.client_width().max(200) as f64, c.client_height().max(150) as f64))
    };
    let fill_size = move || {
        if let Some((w, h)) = screen_size() {
            let per = if unit.get_untracked() == Unit::Cm { crate::plot::svg::PX_PER_CM } else { 1.0 };
            let show = |v: f64| {
                let v = v / per;
                if per == 1.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.1}")
                }
            };
            width.set(show(w));
            height.set(show(h));
        }
    };
    let png = move |factor: f64| {
        let Some(canvas) = figure.canvas.get_untracked() else { return };
        let url = at_scale(factor, || figure.redraw.run(()).then(|| canvas.to_data_url().ok()).flatten());
        figure.redraw.run(());
        match url {
            Some(url) => {
                error.set(None);
                download(&url, &format!("wide-explorer-{id}-{factor}x.png"));
            }
            None => error.set(Some("nothing is drawn yet".to_string())),
        }
    };
    let svg = move |_| {
        if width.get_untracked().is_empty() && height.get_untracked().is_empty() {
            fill_size();
        }
        let (w, h) = match (positive(&width.get_untracked()), positive(&height.get_untracked())) {
            (Some(w), Some(h)) => (w, h),
            _ => {
                error.set(Some("width and height must be positive numbers (at most 10,000)".to_string()));
                return;
            }
        };
        let sheet = Sheet { size: (w, h), unit: unit.get_untracked(), scale: scale.get_untracked() };
        let provenance = Provenance {
            link: crate::route::page_link(),
            command: figure.command.get_untracked(),
            step: figure.step.get_untracked(),
            version: version(),
        };
        match figure.svg.run((sheet, provenance)) {
            Some(Ok(text)) => {
                error.set(None);
                download_text(&text, "image/svg+xml", &format!("wide-explorer-{id}.svg"));
            }
            Some(Err(e)) => error.set(Some(e.to_string())),
            None => error.set(Some("nothing is drawn yet".to_string())),
        }
    };
    let scale_range = format!("text and line scale, {} to {}", SCALE_RANGE.0, SCALE_RANGE.1);
    view! {
        <details class="figure-export" data-testid=format!("{id}-export")
            on:toggle=move |_| if width.get_untracked().is_empty() { fill_size() }>
            <summary>"Export…"</summary>
            <div class="export-row">
                "PNG "
                <button data-testid=format!("{id}-png-1") on:click=move |_| png(1.0)>"1×"</button>
                <button data-testid=format!("{id}-png-2") on:click=move |_| png(2.0)>"2×"</button>
                <button data-testid=format!("{id}-png-3") on:click=move |_| png(3.0)>"3×"</button>
            </div>
            <div class="export-row">
                <label>"SVG " <input type="text" inputmode="decimal" class="number" aria-label="width"
                    data-testid=format!("{id}-svg-width") prop:value=move || width.get()
                    on:change=move |ev| width.set(event_target_value(&ev)) /></label>
                "×"
                <input type="text" inputmode="decimal" class="number" aria-label="height"
                    data-testid=format!("{id}-svg-height") prop:value=move || height.get()
                    on:change=move |ev| height.set(event_target_value(&ev)) />
                <select aria-label="unit" data-testid=format!("{id}-svg-unit")
                    on:change=move |ev| {
                        unit.set(if event_target_value(&ev) == "cm" { Unit::Cm } else { Unit::Px });
                        fill_size();
                    }>
                    <option value="px" selected>"px"</option>
                    <option value="cm">"cm"</option>
                </select>
                <label title=scale_range>"text × "
                    <select aria-label="text and line scale" data-testid=format!("{id}-svg-scale")
                        prop:value=move || scale.get().to_string()
                        on:change=move |ev| scale.set(event_target_value(&ev).parse().unwrap_or(1.0))>
                        <option value="0.75">"0.75"</option>
                        <option value="1" selected>"1"</option>
                        <option value="1.25">"1.25"</option>
                        <option value=SLIDES_SCALE.to_string()>{format!("{SLIDES_SCALE} (slides)")}</option>
                        <option value="2">"2"</option>
                    </select>
                </label>
                <button data-testid=format!("{id}-svg") on:click=svg>"Save SVG"</button>
            </div>
            {move || error.get().map(|e| view! { <p class="note" role="alert">{e}</p> })}
        </details>
    }
}
