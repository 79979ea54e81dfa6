//! Loss curves on log-log axes against training time t = η·k: the network ensemble, its
//! linearization, and the expected losses of the NTK-GP and NNGP, with the time shown marked.

use plotters::prelude::*;
use plotters::series::DashedLineSeries;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use super::function_plot::{LIN_COLOR, NET_COLOR, NNGP_COLOR, NTK_COLOR};
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
    let axis = draw_loss_curves(canvas, curves)?;
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

/// Draws the loss curves (no time marker) and returns where the time axis lies.
///
/// # Errors
/// [`PlotError`] when the canvas cannot be drawn on.
pub fn draw_loss_curves(canvas: &HtmlCanvasElement, curves: &[Curve]) -> Result<TimeAxis, PlotError> {
    let dpr = fit_canvas(canvas);
    let px = |v: f64| (v * dpr).round() as u32;
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or(PlotError::NoContext)?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE)?;
    let ok = |&(t, l): &(f64, f64)| t > 0.0 && l > 0.0 && t.is_finite() && l.is_finite();
    let pts: Vec<(f64, f64)> = curves.iter().flat_map(|c| c.points.iter().copied().filter(ok)).collect();
    let (t0, t1) = pts.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (l0, l1) = pts.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let (t0, t1) = if t0.is_finite() && t1 > t0 { (t0, t1) } else { (0.01, 100.0) };
    let (l0, l1) = if l0.is_finite() && l1 > l0 { (l0.max(l1 * 1e-12) / 2.0, l1 * 2.0) } else { (1e-4, 1.0) };
    let mut chart = ChartBuilder::on(&root)
        .margin(px(8.0))
        .x_label_area_size(px(32.0))
        .y_label_area_size(px(52.0))
        .build_cartesian_2d((t0..t1).log_scale(), (l0..l1).log_scale())?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(238, 238, 238))
        .max_light_lines(1)
        .x_desc("time t = η·k")
        .y_desc("loss ½·mean (f − y)²")
        .label_style(("sans-serif", px(11.0)))
        .axis_desc_style(("sans-serif", px(12.0)))
        .x_label_formatter(&|v| format!("{v:.0e}"))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()?;
    for c in curves {
        let col = color(c.model);
        let points: Vec<(f64, f64)> = c.points.iter().copied().filter(ok).collect();
        let w = px(if c.test { 1.0 } else { 2.0 }).max(1);
        let style = col.stroke_width(w);
        let legend_w = if c.test { 1 } else { 2 };
        if c.test || c.model == Model::Linearized {
            chart
                .draw_series(DashedLineSeries::new(points, px(5.0), px(3.0), style))?
                .label(c.name.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 7, y)], col.stroke_width(legend_w)));
        } else {
            chart
                .draw_series(LineSeries::new(points, style))?
                .label(c.name.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], col.stroke_width(legend_w)));
        }
    }
    let (area_x, area_y) = chart.plotting_area().get_pixel_range();
    let axis = TimeAxis {
        px_x: (f64::from(area_x.start), f64::from(area_x.end)),
        px_y: (f64::from(area_y.start), f64::from(area_y.end)),
        t: (t0, t1),
        dpr,
    };
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .label_font(("sans-serif", px(11.0)))
        .draw()?;
    root.present()?;
    Ok(axis)
}
