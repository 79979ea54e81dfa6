//! Loss curves on log-log axes against training time t = η·k: the network ensemble, its
//! linearization, and the expected losses of the NTK-GP and NNGP, with the time shown marked.

use plotters::coord::Shift;
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

use super::axes::{Geometry, Rect};
use super::function_plot::{LIN_COLOR, NET_COLOR, NNGP_COLOR, NTK_COLOR, QUAD_COLOR};
use super::legend::{self, Entry, Swatch};
use super::panel::{panel, Axis, Panel, Style};
use super::svg::{self, Provenance, Sheet};
use super::{context_2d, on_canvas, PlotError};

/// One named curve: (time, loss) pairs.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// legend text
    pub name: String,
    /// points (t > 0, loss > 0; others are skipped)
    pub points: Vec<(f64, f64)>,
    /// which model (its colour)
    pub model: Model,
    /// test loss (dashed) or train loss (solid)
    pub test: bool,
}

impl Curve {
    /// A named curve of `model` (a test loss if `test`).
    pub fn new(name: &str, model: Model, test: bool, points: Vec<(f64, f64)>) -> Curve {
        Curve { name: name.to_string(), points, model, test }
    }
}

/// The model a curve belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// finite networks
    Network,
    /// linearized networks
    Linearized,
    /// NTK-GP
    NtkGp,
    /// NNGP
    Nngp,
    /// the networks' quadratic models
    Quadratic,
}

fn color(m: Model) -> RGBColor {
    match m {
        Model::Network => NET_COLOR,
        Model::Linearized => LIN_COLOR,
        Model::NtkGp => NTK_COLOR,
        Model::Nngp => NNGP_COLOR,
        Model::Quadratic => QUAD_COLOR,
    }
}

/// Where the time axis of a drawn loss plot lies (backing-store pixels), to place the marker of
/// the time shown without redrawing the curves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeAxis {
    /// left and right edges of the plotting area
    pub px_x: (f64, f64),
    /// top and bottom edges of the plotting area
    pub px_y: (f64, f64),
    /// the times at the left and right edges (log scale)
    pub t: (f64, f64),
    /// the device pixel ratio the plot was drawn at
    pub dpr: f64,
}

impl TimeAxis {
    /// The pixel column of time `t` (clamped to the axis).
    pub fn x_of(&self, t: f64) -> f64 {
        let u = ((t.max(self.t.0).min(self.t.1)).ln() - self.t.0.ln()) / (self.t.1.ln() - self.t.0.ln());
        self.px_x.0 + u * (self.px_x.1 - self.px_x.0)
    }
}

/// Colour of the line at the time shown.
pub const MARKER_COLOR: RGBColor = RGBColor(250, 170, 0);

/// Draws the loss curves and a vertical line at `now` (a time t).
///
/// # Errors
/// [`PlotError`] when the canvas cannot be drawn on.
pub fn draw_loss_plot(canvas: &HtmlCanvasElement, curves: &[Curve], now: f64) -> Result<(), PlotError> {
    let (axis, _) = draw_loss_curves(canvas, curves)?;
    draw_time_marker(canvas, &axis, now)
}

/// Draws the vertical line of the time shown, `now`, over a plot drawn by [`draw_loss_curves`].
///
/// # Errors
/// [`PlotError::NoContext`] when the canvas has no 2-D context.
pub fn draw_time_marker(canvas: &HtmlCanvasElement, axis: &TimeAxis, now: f64) -> Result<(), PlotError> {
    if !(now > 0.0 && now.is_finite()) {
        return Ok(());
    }
    let ctx = context_2d(canvas).ok_or(PlotError::NoContext)?;
    let x = axis.x_of(now);
    ctx.set_stroke_style_str(&format!("rgb({}, {}, {})", MARKER_COLOR.0, MARKER_COLOR.1, MARKER_COLOR.2));
    ctx.set_line_width((2.0 * axis.dpr).round().max(1.0));
    ctx.begin_path();
    ctx.move_to(x, axis.px_y.0);
    ctx.line_to(x, axis.px_y.1);
    ctx.stroke();
    Ok(())
}

/// Draws the loss curves (no time marker) on log-log axes with ticks that fit and the legend
/// below the plotting area; returns where the time axis lies and what the plot occupies.
///
/// # Errors
/// [`PlotError`] when the canvas cannot be drawn on.
pub fn draw_loss_curves(
    canvas: &HtmlCanvasElement,
    curves: &[Curve],
) -> Result<(TimeAxis, Geometry), PlotError> {
    on_canvas(canvas, |root, dpr| draw_loss_on(root, dpr, curves, None))
}

/// The loss curves with the line at `now` as an SVG document on `sheet`, with
/// `provenance` inside ([`svg::document`]): the same drawing as [`draw_loss_plot`].
///
/// # Errors
/// [`PlotError`] from the backend.
pub fn loss_plot_svg(
    curves: &[Curve],
    now: f64,
    sheet: &Sheet,
    provenance: &Provenance,
) -> Result<String, PlotError> {
    svg::document(sheet, "Train and test loss against training time", provenance, |root| {
        draw_loss_on(root, 1.0, curves, Some(now)).map(|_| ())
    })
}

/// Draws the loss curves on `root` at device pixel ratio `dpr`, and the line of the time shown
/// when `now` is given (see [`draw_loss_curves`]).
fn draw_loss_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    dpr: f64,
    curves: &[Curve],
    now: Option<f64>,
) -> Result<(TimeAxis, Geometry), PlotError> {
    let px = move |v: f64| (v * dpr).round() as u32;
    let (cw, ch) = root.dim_in_pixel();
    let ok = |&(t, l): &(f64, f64)| t > 0.0 && l > 0.0 && t.is_finite() && l.is_finite();
    let pts: Vec<(f64, f64)> = curves.iter().flat_map(|c| c.points.iter().copied().filter(ok)).collect();
    let (t0, t1) = pts.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (l0, l1) = pts.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let (t0, t1) = if t0.is_finite() && t1 > t0 { (t0, t1) } else { (0.01, 100.0) };
    // Diverging losses (1e285 past η_max) would crush every other curve: the axis stops at
    // 10⁴ × the largest starting loss, and curves above it run along the top edge.
    let start =
        curves.iter().filter_map(|c| c.points.iter().copied().find(ok).map(|p| p.1)).fold(0.0f64, f64::max);
    let l1 = if start > 0.0 { l1.min(1e4 * start) } else { l1 };
    let (l0, l1) = if l0.is_finite() && l1 > l0 { (l0.max(l1 * 1e-12) / 2.0, l1 * 2.0) } else { (1e-4, 1.0) };
    let entries: Vec<Entry> = curves
        .iter()
        .map(|c| Entry {
            text: c.name.clone(),
            swatch: Swatch::Line {
                color: color(c.model),
                width: if c.test { 1.0 } else { 2.0 },
                dashed: c.test || c.model == Model::Linearized,
            },
        })
        .chain(std::iter::once(Entry {
            text: "time shown".to_string(),
            swatch: Swatch::Line { color: MARKER_COLOR, width: 2.0, dashed: false },
        }))
        .collect();
    let font = 11.0 * dpr;
    let legend_h = legend::height(&root.margin(0, 0, px(6.0), px(6.0)), &entries, font);
    let (chart_area, legend_area) =
        root.split_vertically(f64::from(ch) as u32 - legend_h.ceil() as u32 - px(4.0));
    let legend_box = legend::draw(&legend_area.margin(px(4.0), 0, px(6.0), px(6.0)), &entries, font)?;
    let style = Style { x_area: 32.0, y_area: 52.0, margin: 8.0, ..Style::default() };
    let Panel { mut chart, area, labels } = panel(
        &chart_area,
        None,
        &Axis::log(t0, t1, "time t = η·k"),
        &Axis::log(l0, l1, "loss ½·mean (f − y)²"),
        style,
        dpr,
    )?;
    for c in curves {
        let col = color(c.model);
        let points: Vec<(f64, f64)> =
            c.points.iter().copied().filter(ok).map(|(t, l)| (t, l.min(l1))).collect();
        let style = col.stroke_width(px(if c.test { 1.0 } else { 2.0 }).max(1));
        if c.test || c.model == Model::Linearized {
            svg::draw_dashed(&mut chart, points, style, px(5.0), px(3.0))?;
        } else {
            chart.draw_series(LineSeries::new(points, style))?;
        }
    }
    let [x_boxes, y_boxes] = labels;
    let axis = TimeAxis { px_x: (area.x0, area.x1), px_y: (area.y0, area.y1), t: (t0, t1), dpr };
    if let Some(now) = now.filter(|t| *t > 0.0 && t.is_finite()) {
        let x = axis.x_of(now).round() as i32;
        root.draw(&PathElement::new(
            [(x, area.y0.round() as i32), (x, area.y1.round() as i32)],
            MARKER_COLOR.stroke_width(px(2.0).max(1)),
        ))?;
    }
    let geometry = Geometry {
        canvas: Some(Rect { x0: 0.0, y0: 0.0, x1: f64::from(cw), y1: f64::from(ch) }),
        areas: vec![area],
        legends: legend_box.into_iter().collect(),
        axes: vec![x_boxes, y_boxes],
    };
    Ok((axis, geometry))
}
