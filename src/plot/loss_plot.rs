//! Loss curves on log-log axes against training time t = η·k: the network ensemble, its
//! linearization, and the expected losses of the NTK-GP and NNGP, with the time shown marked.

use plotters::prelude::*;
use plotters::series::DashedLineSeries;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use super::axes::{labels_that_fit, tick_label, Geometry, Rect, Ticked};
use super::function_plot::{LIN_COLOR, NET_COLOR, NNGP_COLOR, NTK_COLOR};
use super::legend::{self, Entry, Swatch};
use super::{context_2d, fit_canvas, PlotError};

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
}

fn color(m: Model) -> RGBColor {
    match m {
        Model::Network => NET_COLOR,
        Model::Linearized => LIN_COLOR,
        Model::NtkGp => NTK_COLOR,
        Model::Nngp => NNGP_COLOR,
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
    ctx.set_stroke_style_str("rgb(250, 170, 0)");
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
    let dpr = fit_canvas(canvas);
    let px = |v: f64| (v * dpr).round() as u32;
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or(PlotError::NoContext)?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE)?;
    let (cw, ch) = root.dim_in_pixel();
    let ok = |&(t, l): &(f64, f64)| t > 0.0 && l > 0.0 && t.is_finite() && l.is_finite();
    let pts: Vec<(f64, f64)> = curves.iter().flat_map(|c| c.points.iter().copied().filter(ok)).collect();
    let (t0, t1) = pts.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (l0, l1) = pts.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let (t0, t1) = if t0.is_finite() && t1 > t0 { (t0, t1) } else { (0.01, 100.0) };
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
        .collect();
    let font = 11.0 * dpr;
    let legend_h = legend::height(&root, &entries, font);
    let (chart_area, legend_area) =
        root.split_vertically(f64::from(ch) as u32 - legend_h.ceil() as u32 - px(4.0));
    let legend_box = legend::draw(&legend_area.margin(px(4.0), 0, px(6.0), px(6.0)), &entries, font)?;
    let label_font: TextStyle = ("sans-serif", px(11.0)).into_font().into();
    let text_w = |s: &str| chart_area.estimate_text_size(s, &label_font).map_or(30.0, |(w, _)| f64::from(w));
    let (x_label_h, y_label_w) = (px(32.0), px(52.0));
    let (aw, ah) = chart_area.dim_in_pixel();
    let x_room = f64::from(aw) - f64::from(y_label_w) - 2.0 * f64::from(px(8.0));
    let y_room = f64::from(ah) - f64::from(x_label_h) - 2.0 * f64::from(px(8.0));
    let widest = ["0.001", "1e-4", "1000"].iter().map(|s| text_w(s)).fold(0.0, f64::max);
    let x_axis = Ticked::log(t0, t1, labels_that_fit(x_room, widest));
    let y_axis = Ticked::log(l0, l1, labels_that_fit(y_room, 11.0 * dpr));
    let (x_ticks, y_ticks) = (x_axis.ticks().to_vec(), y_axis.ticks().to_vec());
    let mut chart = ChartBuilder::on(&chart_area)
        .margin(px(8.0))
        .x_label_area_size(x_label_h)
        .y_label_area_size(y_label_w)
        .build_cartesian_2d(x_axis, y_axis)?;
    chart
        .configure_mesh()
        .bold_line_style(RGBColor(232, 232, 232))
        .x_desc("time t = η·k")
        .y_desc("loss ½·mean (f − y)²")
        .label_style(("sans-serif", px(11.0)))
        .axis_desc_style(("sans-serif", px(12.0)))
        .x_label_formatter(&|v| tick_label(*v))
        .y_label_formatter(&|v| tick_label(*v))
        .draw()?;
    for c in curves {
        let col = color(c.model);
        let points: Vec<(f64, f64)> = c.points.iter().copied().filter(ok).collect();
        let style = col.stroke_width(px(if c.test { 1.0 } else { 2.0 }).max(1));
        if c.test || c.model == Model::Linearized {
            chart.draw_series(DashedLineSeries::new(points, px(5.0), px(3.0), style))?;
        } else {
            chart.draw_series(LineSeries::new(points, style))?;
        }
    }
    let (area_x, area_y) = chart.plotting_area().get_pixel_range();
    let area = Rect {
        x0: f64::from(area_x.start),
        y0: f64::from(area_y.start),
        x1: f64::from(area_x.end),
        y1: f64::from(area_y.end),
    };
    let label_h = 11.0 * dpr;
    let x_boxes = x_ticks
        .iter()
        .map(|&t| {
            let (cx, _) = chart.backend_coord(&(t, l0));
            Rect::centred(
                f64::from(cx),
                area.y1 + 0.25 * f64::from(x_label_h),
                text_w(&tick_label(t)),
                label_h,
            )
        })
        .collect();
    let y_boxes = y_ticks
        .iter()
        .map(|&v| {
            let (_, cy) = chart.backend_coord(&(t0, v));
            let w = text_w(&tick_label(v));
            let cy = f64::from(cy);
            Rect {
                x0: area.x0 - w - 6.0 * dpr,
                y0: cy - label_h / 2.0,
                x1: area.x0 - 6.0 * dpr,
                y1: cy + label_h / 2.0,
            }
        })
        .collect();
    let axis = TimeAxis { px_x: (area.x0, area.x1), px_y: (area.y0, area.y1), t: (t0, t1), dpr };
    let geometry = Geometry {
        canvas: Some(Rect { x0: 0.0, y0: 0.0, x1: f64::from(cw), y1: f64::from(ch) }),
        areas: vec![area],
        legends: legend_box.into_iter().collect(),
        axes: vec![x_boxes, y_boxes],
    };
    root.present()?;
    Ok((axis, geometry))
}
