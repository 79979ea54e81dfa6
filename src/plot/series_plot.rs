//! A panel of curves against one axis (time, for the one-network view's figures): solid,
//! dashed and dotted lines, a legend outside the data, a vertical marker at the time shown and
//! an optional note in the plotting area ("diverged at k = …", "waiting for …"). The figure
//! builders ([`crate::views::single::figures`]) decide ranges and styles; this only draws.

use plotters::coord::Shift;
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

use super::axes::{Geometry, Rect};
use super::legend::{self, Entry};
use super::panel::{panel, Axis, Panel, Style};
use super::svg::{self, Provenance, Sheet};
use super::{on_canvas, PlotError};

/// How a line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dash {
    /// solid
    Solid,
    /// long dashes
    Dashed,
    /// short dashes
    Dotted,
    /// long dashes with short gaps (the quadratic model)
    Long,
}

/// One curve.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// its colour
    pub color: RGBColor,
    /// its dash pattern
    pub dash: Dash,
    /// its width (CSS pixels)
    pub width: f64,
    /// (x, y) points in order; points outside a log axis's domain are skipped
    pub points: Vec<(f64, f64)>,
}

/// One panel: axes, curves, legend, the marker of the time shown and a note.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesPanel {
    /// horizontal axis
    pub x: Axis,
    /// vertical axis
    pub y: Axis,
    /// the curves
    pub lines: Vec<Line>,
    /// legend entries (drawn above the plotting area)
    pub legend: Vec<Entry>,
    /// the x of the time shown (a vertical orange line)
    pub marker: Option<f64>,
    /// a note written in the plotting area
    pub note: Option<String>,
}

/// Colour of the time-shown marker (as in the explorer's loss plot).
pub const MARKER_COLOR: RGBColor = RGBColor(250, 170, 0);

fn visible(axis: &Axis, v: f64) -> bool {
    v.is_finite() && (!axis.log || v > 0.0)
}

/// Draws `p` on `canvas` and returns what it occupies.
///
/// # Errors
/// [`PlotError`] when the canvas cannot be drawn on.
pub fn draw_series_panel(canvas: &HtmlCanvasElement, p: &SeriesPanel) -> Result<Geometry, PlotError> {
    on_canvas(canvas, |root, dpr| draw_series_panel_on(root, dpr, p))
}

/// The panel as an SVG document on `sheet`, titled `title`, with `provenance`
/// inside ([`svg::document`]): the same drawing as [`draw_series_panel`].
///
/// # Errors
/// [`PlotError`] from the backend.
pub fn series_panel_svg(
    p: &SeriesPanel,
    title: &str,
    sheet: &Sheet,
    provenance: &Provenance,
) -> Result<String, PlotError> {
    svg::document(sheet, title, provenance, |root| draw_series_panel_on(root, 1.0, p).map(|_| ()))
}

/// Draws `p` on `root` at device pixel ratio `dpr` (see [`draw_series_panel`]).
///
/// # Errors
/// [`PlotError`] from the backend.
pub fn draw_series_panel_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    dpr: f64,
    p: &SeriesPanel,
) -> Result<Geometry, PlotError> {
    let px = move |v: f64| (v * dpr).round() as u32;
    let (cw, ch) = root.dim_in_pixel();
    let font = 11.0 * dpr;
    // Measured on the strip the legend is drawn in (the root less its side margins).
    let legend_h = legend::height(&root.margin(0, 0, px(8.0), px(8.0)), &p.legend, font);
    let (legend_area, chart_area) = root.split_vertically(legend_h.ceil() as u32 + px(6.0));
    let legend_box = legend::draw(&legend_area.margin(px(4.0), 0, px(8.0), px(8.0)), &p.legend, font)?;
    let style = Style { x_area: 32.0, y_area: 56.0, margin: 8.0, ..Style::default() };
    let Panel { mut chart, area, labels } = panel(&chart_area, None, &p.x, &p.y, style, dpr)?;
    let clamp_y = |v: f64| v.clamp(p.y.lo, p.y.hi);
    for line in &p.lines {
        let pts: Vec<(f64, f64)> = line
            .points
            .iter()
            .copied()
            .filter(|&(x, y)| visible(&p.x, x) && visible(&p.y, y))
            .map(|(x, y)| (x, clamp_y(y)))
            .collect();
        let stroke = line.color.stroke_width(px(line.width).max(1));
        match line.dash {
            Dash::Solid => {
                chart.draw_series(LineSeries::new(pts, stroke))?;
            }
            Dash::Dashed => svg::draw_dashed(&mut chart, pts, stroke, px(6.0), px(3.5))?,
            Dash::Dotted => svg::draw_dashed(&mut chart, pts, stroke, px(1.8), px(2.6))?,
            Dash::Long => svg::draw_dashed(&mut chart, pts, stroke, px(12.0), px(3.0))?,
        }
    }
    if let Some(note) = &p.note {
        let style = TextStyle::from(("sans-serif", px(12.0)).into_font()).color(&RGBColor(150, 40, 30));
        root.draw_text(note, &style, ((area.x0 + 8.0 * dpr) as i32, (area.y0 + 6.0 * dpr) as i32))?;
    }
    if let Some(t) = p.marker.filter(|&t| visible(&p.x, t) && t >= p.x.lo && t <= p.x.hi) {
        let u = if p.x.log {
            (t.ln() - p.x.lo.ln()) / (p.x.hi.ln() - p.x.lo.ln())
        } else {
            (t - p.x.lo) / (p.x.hi - p.x.lo)
        };
        let x = (area.x0 + u * (area.x1 - area.x0)).round() as i32;
        root.draw(&PathElement::new(
            [(x, area.y0.round() as i32), (x, area.y1.round() as i32)],
            MARKER_COLOR.stroke_width(px(2.0).max(1)),
        ))?;
    }
    let [x_boxes, y_boxes] = labels;
    Ok(Geometry {
        canvas: Some(Rect { x0: 0.0, y0: 0.0, x1: f64::from(cw), y1: f64::from(ch) }),
        areas: vec![area],
        legends: legend_box.into_iter().collect(),
        axes: vec![x_boxes, y_boxes],
    })
}
