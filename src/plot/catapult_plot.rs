//! The catapult view's plots: trajectories against step (loss relative to its start, ηλ_t with
//! the stability bound ηλ = 2, and the output f_t) for the two-scalar model and real networks,
//! and the phase diagram (final ηλ and final loss against ηλ₀ with the lazy, catapult and
//! divergent regions).

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use super::function_plot::{NET_COLOR, NTK_COLOR};
use super::{fit_canvas, PlotError};

/// Lazy-region shade.
const LAZY: RGBColor = RGBColor(225, 240, 225);
/// Catapult-region shade.
const CATAPULT: RGBColor = RGBColor(253, 235, 210);
/// Divergent-region shade.
const DIVERGENT: RGBColor = RGBColor(250, 220, 220);
/// Colour of the bound ηλ = 2.
const BOUND: RGBColor = RGBColor(200, 60, 40);

/// How a trajectory is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// the two-scalar model (blue)
    Model,
    /// the wide real network (black)
    Network,
    /// one of the small-width networks (thin grey)
    Member,
}

/// One trajectory: values per step 0, 1, … (shorter when it diverged).
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    /// legend text (members: only the first one's is shown)
    pub label: String,
    /// how it is drawn
    pub role: Role,
    /// L_t / L_0
    pub loss_ratio: Vec<f64>,
    /// η λ_t
    pub eta_lambda: Vec<f64>,
    /// f_t (the model) or f_t(x₁) (networks)
    pub f: Vec<f64>,
}

fn style(role: Role, dpr: f64) -> ShapeStyle {
    let w = |v: f64| ((v * dpr).round() as u32).max(1);
    match role {
        Role::Model => NTK_COLOR.stroke_width(w(2.5)),
        Role::Network => NET_COLOR.stroke_width(w(1.5)),
        Role::Member => NET_COLOR.mix(0.3).stroke_width(w(1.0)),
    }
}

fn finite_range(values: impl Iterator<Item = f64>, positive: bool) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!positive || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    lo.is_finite().then_some((lo, hi))
}

/// The grid and axes of a linear panel against step (the ηλ_t and f_t panels).
fn step_mesh(
    chart: &mut ChartContext<'_, CanvasBackend, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    dpr: f64,
) -> Result<(), PlotError> {
    let font = |s: f64| ("sans-serif", (s * dpr).round() as u32);
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(235, 235, 235))
        .x_desc("step t")
        .x_labels(4)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .label_style(font(11.0))
        .axis_desc_style(font(12.0))
        .draw()?;
    Ok(())
}

/// Draws the three trajectory panels side by side over steps `0..=steps`.
///
/// # Errors
/// [`PlotError`] when the canvas cannot be drawn on.
pub fn draw_trajectories(
    canvas: &HtmlCanvasElement,
    trajs: &[Trajectory],
    steps: u64,
) -> Result<(), PlotError> {
    let dpr = fit_canvas(canvas);
    let px = |v: f64| (v * dpr).round() as u32;
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or(PlotError::NoContext)?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((1, 3));
    let x_max = steps.max(1) as f64;
    let font = |s: f64| ("sans-serif", px(s));
    // Axis ranges follow the model and the wide network; the small networks (one of which may
    // blow up before diverging) are clipped to them.
    let ranged: Vec<&Trajectory> = trajs.iter().filter(|t| t.role != Role::Member).collect();

    // Loss / L₀ on a log scale.
    let (lo, hi) =
        finite_range(ranged.iter().flat_map(|t| t.loss_ratio.iter().copied()), true).unwrap_or((1e-3, 10.0));
    let (lo, hi) = ((lo.max(1e-12) / 2.0).min(0.5), (hi.min(1e12) * 2.0).max(2.0));
    let mut chart = ChartBuilder::on(&panels[0])
        .caption("loss / initial loss", font(13.0))
        .margin(px(6.0))
        .x_label_area_size(px(30.0))
        .y_label_area_size(px(46.0))
        .build_cartesian_2d(0.0..x_max, (lo..hi).log_scale())?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(235, 235, 235))
        .x_desc("step t")
        .x_labels(4)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .label_style(font(11.0))
        .axis_desc_style(font(12.0))
        .draw()?;
    for t in trajs {
        let pts = t.loss_ratio.iter().enumerate().filter(|(_, v)| v.is_finite() && **v > 0.0);
        chart.draw_series(LineSeries::new(
            pts.map(|(i, &v)| (i as f64, v.clamp(lo, hi))),
            style(t.role, dpr),
        ))?;
    }

    // ηλ_t with the bound ηλ = 2 and the divergence threshold 4.
    let hi = finite_range(ranged.iter().flat_map(|t| t.eta_lambda.iter().copied()), false)
        .map_or(4.5, |r| r.1.max(4.5));
    let hi = hi.min(50.0) * 1.05;
    let mut chart = ChartBuilder::on(&panels[1])
        .caption("η·λ_t (sharpness × learning rate)", font(13.0))
        .margin(px(6.0))
        .x_label_area_size(px(30.0))
        .y_label_area_size(px(40.0))
        .build_cartesian_2d(0.0..x_max, 0.0..hi)?;
    step_mesh(&mut chart, dpr)?;
    for (y, label) in [(2.0, "ηλ = 2 (λ = 2/η)"), (4.0, "ηλ = 4")] {
        chart.draw_series(LineSeries::new(
            [(0.0, y), (x_max, y)],
            BOUND.mix(0.8).stroke_width(px(1.0).max(1)),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            label,
            (x_max * 0.55, y + hi * 0.015),
            font(11.0).into_font().color(&BOUND),
        )))?;
    }
    for t in trajs {
        let pts = t.eta_lambda.iter().enumerate().filter(|(_, v)| v.is_finite());
        chart.draw_series(LineSeries::new(pts.map(|(i, &v)| (i as f64, v.min(hi))), style(t.role, dpr)))?;
    }

    // f_t.
    let (lo, hi) =
        finite_range(ranged.iter().flat_map(|t| t.f.iter().copied()), false).unwrap_or((-1.0, 1.0));
    let pad = 0.08 * (hi - lo).max(0.5);
    let (lo, hi) = ((lo - pad).max(-1e6), (hi + pad).min(1e6));
    let mut chart = ChartBuilder::on(&panels[2])
        .caption("output f_t (networks: at x₁)", font(13.0))
        .margin(px(6.0))
        .x_label_area_size(px(30.0))
        .y_label_area_size(px(46.0))
        .build_cartesian_2d(0.0..x_max, lo..hi)?;
    step_mesh(&mut chart, dpr)?;
    let mut member_labelled = false;
    for t in trajs {
        let pts = t.f.iter().enumerate().filter(|(_, v)| v.is_finite());
        let series = chart.draw_series(LineSeries::new(
            pts.map(|(i, &v)| (i as f64, v.clamp(lo, hi))),
            style(t.role, dpr),
        ))?;
        if t.role != Role::Member || !member_labelled {
            member_labelled |= t.role == Role::Member;
            let s = style(t.role, dpr);
            series.label(t.label.clone()).legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], s));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .label_font(font(11.0))
        .draw()?;
    root.present()?;
    Ok(())
}

/// One point of the phase diagram.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhaseDot {
    /// ηλ₀
    pub eta_lambda0: f64,
    /// final ηλ_T (`None` if it diverged)
    pub final_eta_lambda: Option<f64>,
    /// final loss (`None` if it diverged)
    pub final_loss: Option<f64>,
}

fn shade_regions(
    chart: &mut ChartContext<'_, CanvasBackend, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    x_max: f64,
    y: (f64, f64),
) -> Result<(), PlotError> {
    for (a, b, c) in [(0.0, 2.0, LAZY), (2.0, 4.0, CATAPULT), (4.0, x_max, DIVERGENT)] {
        chart.draw_series(std::iter::once(Rectangle::new([(a, y.0), (b, y.1)], c.filled())))?;
    }
    Ok(())
}

/// Draws the phase diagram: final ηλ_T (top) and final loss (bottom, log scale) against ηλ₀,
/// with the lazy (ηλ₀ < 2), catapult (2 < ηλ₀ < 4) and divergent (ηλ₀ > 4) regions shaded, the
/// bound ηλ = 2, the line ηλ_T = ηλ₀ (λ unchanged: lazy), and the current setting ringed.
///
/// # Errors
/// [`PlotError`] when the canvas cannot be drawn on.
pub fn draw_phase_diagram(
    canvas: &HtmlCanvasElement,
    dots: &[PhaseDot],
    current: f64,
) -> Result<(), PlotError> {
    let dpr = fit_canvas(canvas);
    let px = |v: f64| (v * dpr).round() as u32;
    let font = |s: f64| ("sans-serif", px(s));
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or(PlotError::NoContext)?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(root.dim_in_pixel().1 * 6 / 10);
    let x_max = dots.iter().map(|d| d.eta_lambda0).fold(4.5, f64::max);
    let y_max = 4.5;
    let mut chart = ChartBuilder::on(&top)
        .caption("final η·λ against η·λ₀", font(13.0))
        .margin(px(6.0))
        .x_label_area_size(px(26.0))
        .y_label_area_size(px(36.0))
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
    shade_regions(&mut chart, x_max, (0.0, y_max))?;
    chart.configure_mesh().disable_mesh().label_style(font(11.0)).draw()?;
    for (x, name) in [(1.0, "lazy"), (3.0, "catapult"), ((4.0 + x_max) / 2.0, "divergent")] {
        chart.draw_series(std::iter::once(Text::new(name, (x - 0.3, y_max * 0.95), font(11.0))))?;
    }
    chart.draw_series(LineSeries::new([(0.0, 2.0), (x_max, 2.0)], BOUND.stroke_width(px(1.0).max(1))))?;
    chart.draw_series(DashedLineSeries::new(
        [(0.0, 0.0), (y_max, y_max)],
        px(4.0),
        px(3.0),
        RGBColor(120, 120, 120).stroke_width(px(1.0).max(1)),
    ))?;
    chart.draw_series(dots.iter().filter_map(|d| {
        d.final_eta_lambda.map(|v| Circle::new((d.eta_lambda0, v.min(y_max)), px(2.5), NTK_COLOR.filled()))
    }))?;
    chart.draw_series(
        dots.iter()
            .filter(|d| d.final_eta_lambda.is_none())
            .map(|d| Cross::new((d.eta_lambda0, y_max * 0.85), px(3.0), BOUND.stroke_width(px(1.0).max(1)))),
    )?;
    if let Some(d) =
        dots.iter().min_by(|a, b| (a.eta_lambda0 - current).abs().total_cmp(&(b.eta_lambda0 - current).abs()))
    {
        let y = d.final_eta_lambda.map_or(y_max * 0.85, |v| v.min(y_max));
        chart.draw_series(std::iter::once(Circle::new(
            (current, y),
            px(6.0),
            NET_COLOR.stroke_width(px(2.0).max(1)),
        )))?;
    }

    let (lo, hi) = finite_range(dots.iter().filter_map(|d| d.final_loss), true).unwrap_or((1e-12, 1.0));
    let (lo, hi) = ((lo.max(1e-30) / 3.0).min(1e-3), (hi * 3.0).max(1.0));
    let mut chart = ChartBuilder::on(&bottom)
        .caption("final loss", font(13.0))
        .margin(px(6.0))
        .x_label_area_size(px(28.0))
        .y_label_area_size(px(36.0))
        .build_cartesian_2d(0.0..x_max, (lo..hi).log_scale())?;
    for (a, b, c) in [(0.0, 2.0, LAZY), (2.0, 4.0, CATAPULT), (4.0, x_max, DIVERGENT)] {
        chart.draw_series(std::iter::once(Rectangle::new([(a, lo), (b, hi)], c.filled())))?;
    }
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("η·λ₀")
        .y_labels(4)
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .label_style(font(11.0))
        .axis_desc_style(font(12.0))
        .draw()?;
    chart.draw_series(dots.iter().filter_map(|d| {
        d.final_loss.map(|v| Circle::new((d.eta_lambda0, v.clamp(lo, hi)), px(2.5), NTK_COLOR.filled()))
    }))?;
    chart.draw_series(LineSeries::new(
        [(current, lo), (current, hi)],
        NET_COLOR.stroke_width(px(1.0).max(1)),
    ))?;
    root.present()?;
    Ok(())
}
