//! Heatmaps of 2-D data sets: one panel per model (target, NTK-GP mean, NNGP mean, ensemble
//! mean) on the test grid, with the training points coloured by their target and the segment
//! x(α) of the line plot drawn between its two ends; on one panel, optionally, the decision
//! lines of a few first-layer units at the start (dashed) and now (solid).

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
    /// first-layer units' decision lines drawn over one panel, if any
    pub features: Option<FeatureLines>,
}

/// Decision lines `a₁x₁ + a₂x₂ + c = 0` of a few first-layer units (the core's
/// `first_layer_features`) drawn over one panel: where they started, dashed, and where they
/// are now, solid. Lines that do not cross the panel are left out.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureLines {
    /// the panel they are drawn on
    pub panel: usize,
    /// `[a₁, a₂, c]` per unit at the start of training
    pub start: Vec<[f64; 3]>,
    /// the same units now (empty: only the start is drawn)
    pub now: Vec<[f64; 3]>,
}

/// Colour of the feature lines.
pub const FEATURE_COLOR: RGBColor = RGBColor(30, 30, 30);

/// The part of the line `a₁x₁ + a₂x₂ + c = 0` inside the box `[x.0, x.1] × [y.0, y.1]`, as its
/// two ends (`None` if the line misses the box or is degenerate).
pub fn clip_line(line: [f64; 3], x: (f64, f64), y: (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
    let [a, b, c] = line;
    if !(a.is_finite() && b.is_finite() && c.is_finite()) || (a == 0.0 && b == 0.0) {
        return None;
    }
    let mut ends: Vec<(f64, f64)> = Vec::with_capacity(4);
    let mut add = |p: (f64, f64)| {
        let inside = p.0 >= x.0 - 1e-12 && p.0 <= x.1 + 1e-12 && p.1 >= y.0 - 1e-12 && p.1 <= y.1 + 1e-12;
        if inside && !ends.iter().any(|q| (q.0 - p.0).abs() < 1e-12 && (q.1 - p.1).abs() < 1e-12) {
            ends.push(p);
        }
    };
    if b != 0.0 {
        for xv in [x.0, x.1] {
            add((xv, -(a * xv + c) / b));
        }
    }
    if a != 0.0 {
        for yv in [y.0, y.1] {
            add((-(b * yv + c) / a, yv));
        }
    }
    (ends.len() >= 2).then(|| (ends[0], ends[1]))
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
    for (i, (area, panel)) in areas.iter().zip(&h.panels).enumerate() {
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
        if let Some(f) = h.features.as_ref().filter(|f| f.panel == i) {
            let style = FEATURE_COLOR.stroke_width(px(1.4).max(1));
            for &line in &f.start {
                if let Some((a, b)) = clip_line(line, (x_lo, x_hi), (y_lo, y_hi)) {
                    svg::draw_dashed(
                        &mut chart,
                        vec![a, b],
                        FEATURE_COLOR.mix(0.6).stroke_width(px(1.2).max(1)),
                        px(5.0),
                        px(4.0),
                    )?;
                }
            }
            for &line in &f.now {
                if let Some((a, b)) = clip_line(line, (x_lo, x_hi), (y_lo, y_hi)) {
                    chart.draw_series(std::iter::once(PathElement::new(vec![a, b], style)))?;
                }
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

#[cfg(test)]
mod tests {
    use super::clip_line;

    /// A line through the box gives the two points where it crosses the box's edges; one that
    /// misses it, or a degenerate one, gives none.
    #[test]
    fn a_feature_line_is_clipped_to_the_panel() {
        let boxed = ((-1.0, 1.0), (-2.0, 2.0));
        // x₁ = 0.5 (vertical): crosses the bottom and top edges.
        let (a, b) = clip_line([2.0, 0.0, -1.0], boxed.0, boxed.1).unwrap();
        assert_eq!((a, b), ((0.5, -2.0), (0.5, 2.0)));
        // x₂ = x₁: enters at (−1, −1), leaves at (1, 1).
        let (a, b) = clip_line([1.0, -1.0, 0.0], boxed.0, boxed.1).unwrap();
        assert_eq!((a, b), ((-1.0, -1.0), (1.0, 1.0)));
        // A corner is one point, not two.
        assert_eq!(clip_line([1.0, 1.0, -3.0], boxed.0, boxed.1), None, "x₁ + x₂ = 3 touches (1, 2) only");
        assert_eq!(clip_line([0.0, 1.0, -5.0], boxed.0, boxed.1), None, "x₂ = 5 misses");
        assert_eq!(clip_line([0.0, 0.0, 1.0], boxed.0, boxed.1), None, "no line");
        assert_eq!(clip_line([f64::NAN, 1.0, 0.0], boxed.0, boxed.1), None);
    }
}
