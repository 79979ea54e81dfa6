//! Heatmaps of 2-D data sets: one panel per model (target, NTK-GP mean, NNGP mean, ensemble
//! mean) on the test grid, with the training points coloured by their target and the segment
//! x(α) of the line plot drawn between its two ends.

use plotters::coord::Shift;
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

use super::svg::{self, Provenance, Sheet};
use super::{on_canvas, PlotError};

/// Colour of negative outputs (blue) and positive outputs (orange).
pub const NEGATIVE: RGBColor = RGBColor(31, 100, 200);
/// Colour of positive outputs.
pub const POSITIVE: RGBColor = RGBColor(230, 120, 20);
/// Outputs at ± this value get the full colour; larger ones are clipped to it.
pub const COLOR_SCALE: f64 = 1.5;

/// One panel: a title and a value per grid point (`None`: no values yet).
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// what the values are
    pub title: String,
    /// one value per grid point, row-major (`side²` values), or `None`
    pub values: Option<Vec<f64>>,
}

/// What the heatmap canvas shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Heatmaps {
    /// grid points per side
    pub side: usize,
    /// the range of x₁ (horizontal) and of x₂ (vertical), [lo, hi] each: the grid's first and
    /// last points
    pub ranges: [(f64, f64); 2],
    /// panels, left to right
    pub panels: Vec<Panel>,
    /// training points (x₁, x₂, y)
    pub train: Vec<(f64, f64, f64)>,
    /// the segment's ends x₁ and x₂, if there is one
    pub segment: Option<((f64, f64), (f64, f64))>,
}

/// The diverging colour of an output v: white at 0, [`NEGATIVE`] / [`POSITIVE`] at
/// ∓[`COLOR_SCALE`] and beyond, grey for a value that is not finite.
pub fn diverging(v: f64) -> RGBColor {
    if !v.is_finite() {
        return RGBColor(160, 160, 160);
    }
    let s = (v / COLOR_SCALE).clamp(-1.0, 1.0);
    let end = if s < 0.0 { NEGATIVE } else { POSITIVE };
    let a = s.abs();
    let mix = |c: u8| (255.0 + (f64::from(c) - 255.0) * a).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

/// Draws the panels side by side on `canvas`.
///
/// # Errors
/// [`PlotError`] when the canvas cannot be drawn on.
pub fn draw_heatmaps(canvas: &HtmlCanvasElement, h: &Heatmaps) -> Result<(), PlotError> {
    on_canvas(canvas, |root, dpr| draw_heatmaps_on(root, dpr, h))
}

/// The panels as an SVG document on `sheet`, titled `title`, with `provenance`
/// inside ([`svg::document`]): the same drawing as [`draw_heatmaps`] (one rectangle per cell).
///
/// # Errors
/// [`PlotError`] from the backend.
pub fn heatmaps_svg(
    h: &Heatmaps,
    title: &str,
    sheet: &Sheet,
    provenance: &Provenance,
) -> Result<String, PlotError> {
    svg::document(sheet, title, provenance, |root| draw_heatmaps_on(root, 1.0, h))
}

/// Draws the panels on `root` at device pixel ratio `dpr` (see [`draw_heatmaps`]).
fn draw_heatmaps_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    dpr: f64,
    h: &Heatmaps,
) -> Result<(), PlotError> {
    let px = move |v: f64| (v * dpr).round() as u32;
    let areas = root.split_evenly((1, h.panels.len().max(1)));
    let [r1, r2] = h.ranges;
    let cell = |r: (f64, f64)| (r.1 - r.0) / (h.side.max(2) - 1) as f64;
    let (c1, c2) = (cell(r1), cell(r2));
    let (x_lo, x_hi) = (r1.0 - c1 / 2.0, r1.1 + c1 / 2.0);
    let (y_lo, y_hi) = (r2.0 - c2 / 2.0, r2.1 + c2 / 2.0);
    // Tick labels with as many decimals as the span needs (whole numbers on [−π, π]).
    let decimals =
        |lo: f64, hi: f64| ((1.0 - (hi - lo).abs().max(1e-12).log10()).ceil().max(0.0) as usize).min(6);
    let (dx, dy) = (decimals(x_lo, x_hi), decimals(y_lo, y_hi));
    let x_fmt = move |v: &f64| format!("{v:.dx$}");
    let y_fmt = move |v: &f64| format!("{v:.dy$}");
    for (area, panel) in areas.iter().zip(&h.panels) {
        let mut chart = ChartBuilder::on(area)
            .caption(&panel.title, ("sans-serif", px(13.0)))
            .margin(px(4.0))
            .x_label_area_size(px(22.0))
            .y_label_area_size(px(26.0))
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(3)
            .y_labels(3)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(("sans-serif", px(10.0)))
            .draw()?;
        match &panel.values {
            Some(values) => {
                chart.draw_series(values.iter().enumerate().map(|(i, &v)| {
                    let (r, c) = (i / h.side, i % h.side);
                    let (x, y) = (r1.0 + c as f64 * c1, r2.0 + r as f64 * c2);
                    Rectangle::new(
                        [(x - c1 / 2.0, y - c2 / 2.0), (x + c1 / 2.0, y + c2 / 2.0)],
                        diverging(v).filled(),
                    )
                }))?;
            }
            None => {
                chart.draw_series(std::iter::once(Text::new(
                    "waiting for the ensemble",
                    (r1.0, 0.5 * (r2.0 + r2.1)),
                    ("sans-serif", px(11.0)).into_font().color(&RGBColor(120, 120, 120)),
                )))?;
            }
        }
        if let Some((a, b)) = h.segment {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![a, b],
                RGBColor(20, 20, 20).stroke_width(px(1.5).max(1)),
            )))?;
        }
        chart.draw_series(h.train.iter().map(|&(x1, x2, y)| {
            EmptyElement::at((x1, x2))
                + Circle::new((0, 0), px(4.0), diverging(y).filled())
                + Circle::new((0, 0), px(4.0), RGBColor(20, 20, 20).stroke_width(px(1.0).max(1)))
        }))?;
    }
    Ok(())
}
