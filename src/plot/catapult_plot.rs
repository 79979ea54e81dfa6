//! The catapult view's plots: trajectories against step (loss relative to its start, ηλ_t with
//! the stability bound ηλ = 2, and the output f_t) for the two-scalar model and real networks
//! (and the wide network's linearization, dashed, and quadratic model, long dashes),
//! and the phase diagram (final ηλ and final loss against ηλ₀ with the lazy, catapult and
//! divergent regions).

use plotters::coord::Shift;
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

use super::axes::{Geometry, Rect, Ticked};
use super::function_plot::{LIN_COLOR, NET_COLOR, NTK_COLOR, QUAD_COLOR};
use super::legend::{self, Entry, Swatch};
use super::panel::{panel, text_width, Axis, Panel, Style};
use super::svg::{self, Provenance, Sheet};
use super::{on_canvas, PlotError};

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
    /// the wide network's linearization `f₀ + J₀δ` (grey, dashed; its points end at the edge
    /// of the axes when it diverges, and it does not set their ranges)
    Linearized,
    /// the wide network's quadratic model `f₀ + J₀δ + ½ δᵀH₀δ` (purple, long dashes)
    Quadratic,
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
        Role::Linearized => LIN_COLOR.stroke_width(w(1.5)),
        Role::Quadratic => QUAD_COLOR.stroke_width(w(1.8)),
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

/// The legend entries of the trajectories shown (each role once) and of the bounds.
fn trajectory_legend(trajs: &[Trajectory]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for t in trajs {
        if entries.iter().any(|e| e.text == t.label) {
            continue;
        }
        let swatch = match t.role {
            Role::Model => Swatch::Line { color: NTK_COLOR, width: 2.5, dashed: false },
            Role::Network => Swatch::Line { color: NET_COLOR, width: 1.5, dashed: false },
            Role::Member => Swatch::Line { color: RGBColor(180, 180, 180), width: 1.0, dashed: false },
            Role::Linearized => Swatch::Line { color: LIN_COLOR, width: 1.5, dashed: true },
            Role::Quadratic => Swatch::LongDashed { color: QUAD_COLOR, width: 1.8 },
        };
        entries.push(Entry { text: t.label.clone(), swatch });
    }
    entries.push(Entry {
        text: "ηλ = 2 and 4".to_string(),
        swatch: Swatch::Line { color: BOUND, width: 1.0, dashed: false },
    });
    entries
}

/// Draws the three trajectory panels side by side (stacked on a narrow canvas) over steps `0..=steps` — loss / initial
/// loss (log), η·λ_t with the bounds 2 and 4, and the output f_t — under one legend strip, and
/// returns what they occupy.
///
/// # Errors
/// [`PlotError`] when the canvas cannot be drawn on.
pub fn draw_trajectories(
    canvas: &HtmlCanvasElement,
    trajs: &[Trajectory],
    steps: u64,
) -> Result<Geometry, PlotError> {
    on_canvas(canvas, |root, dpr| draw_trajectories_on(root, dpr, trajs, steps))
}

/// The trajectory panels as an SVG document on `sheet`, with `provenance` inside
/// ([`svg::document`]): the same drawing as [`draw_trajectories`].
///
/// # Errors
/// [`PlotError`] from the backend.
pub fn trajectories_svg(
    trajs: &[Trajectory],
    steps: u64,
    sheet: &Sheet,
    provenance: &Provenance,
) -> Result<String, PlotError> {
    svg::document(sheet, "Catapult dynamics: loss, sharpness and output against step", provenance, |root| {
        draw_trajectories_on(root, 1.0, trajs, steps).map(|_| ())
    })
}

/// Draws the trajectory panels on `root` at device pixel ratio `dpr` (see [`draw_trajectories`]).
fn draw_trajectories_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    dpr: f64,
    trajs: &[Trajectory],
    steps: u64,
) -> Result<Geometry, PlotError> {
    let px = move |v: f64| (v * dpr).round() as u32;
    let (cw, ch) = root.dim_in_pixel();
    let entries = trajectory_legend(trajs);
    let font = 11.0 * dpr;
    let legend_h = legend::height(&root.margin(0, 0, px(8.0), px(8.0)), &entries, font);
    let (legend_area, body) = root.split_vertically(legend_h.ceil() as u32 + px(6.0));
    let legend_box = legend::draw(&legend_area.margin(px(4.0), 0, px(8.0), px(8.0)), &entries, font)?;
    let panels = if f64::from(cw) / dpr >= super::NARROW_PLOT_PX {
        body.split_evenly((1, 3))
    } else {
        body.split_evenly((3, 1))
    };
    let x = Axis::linear(0.0, steps.max(1) as f64, "step t");
    let mut geometry = Geometry {
        canvas: Some(Rect { x0: 0.0, y0: 0.0, x1: f64::from(cw), y1: f64::from(ch) }),
        legends: legend_box.into_iter().collect(),
        ..Geometry::default()
    };
    // Axis ranges follow the model and the wide network; the small networks (one of which may
    // blow up before diverging) are clipped to them.
    let ranged: Vec<&Trajectory> =
        trajs.iter().filter(|t| !matches!(t.role, Role::Member | Role::Linearized)).collect();
    let (lo, hi) =
        finite_range(ranged.iter().flat_map(|t| t.loss_ratio.iter().copied()), true).unwrap_or((1e-3, 10.0));
    let loss = ((lo.max(1e-12) / 2.0).min(0.5), (hi.min(1e12) * 2.0).max(2.0));
    let top = finite_range(ranged.iter().flat_map(|t| t.eta_lambda.iter().copied()), false)
        .map_or(4.5, |r| r.1.max(4.5))
        .min(50.0)
        * 1.05;
    let (flo, fhi) =
        finite_range(ranged.iter().flat_map(|t| t.f.iter().copied()), false).unwrap_or((-1.0, 1.0));
    let pad = 0.08 * (fhi - flo).max(0.5);
    let f_range = ((flo - pad).max(-1e6), (fhi + pad).min(1e6));
    let axes = [
        ("loss / initial loss", Axis::log(loss.0, loss.1, "")),
        ("η·λ_t (sharpness × learning rate)", Axis::linear(0.0, top, "")),
        ("output f_t (networks: at x₁)", Axis::linear(f_range.0, f_range.1, "")),
    ];
    let value = |t: &Trajectory, k: usize| -> Vec<f64> {
        match k {
            0 => t.loss_ratio.clone(),
            1 => t.eta_lambda.clone(),
            _ => t.f.clone(),
        }
    };
    for (k, (area, (caption, y))) in panels.iter().zip(axes).enumerate() {
        let Panel { mut chart, area: plot_area, labels } =
            panel(area, Some(caption), &x, &y, Style::default(), dpr)?;
        if k == 1 {
            for bound in [2.0, 4.0] {
                chart.draw_series(LineSeries::new(
                    [(0.0, bound), (x.hi, bound)],
                    BOUND.mix(0.8).stroke_width(px(1.0).max(1)),
                ))?;
            }
        }
        for t in trajs {
            let pts: Vec<(f64, f64)> = value(t, k)
                .into_iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite() && (k != 0 || *v > 0.0))
                .map(|(i, v)| (i as f64, v))
                .collect();
            let pts: Vec<(f64, f64)> = if t.role == Role::Linearized {
                // Up to its first value off the axes, drawn at their edge: no flat line along it.
                let inside = pts.iter().take_while(|p| p.1 >= y.lo && p.1 <= y.hi).count();
                pts.into_iter().take(inside + 1).map(|(i, v)| (i, v.clamp(y.lo, y.hi))).collect()
            } else {
                pts.into_iter().map(|(i, v)| (i, v.clamp(y.lo, y.hi))).collect()
            };
            match t.role {
                Role::Linearized => svg::draw_dashed(&mut chart, pts, style(t.role, dpr), px(6.0), px(3.5))?,
                Role::Quadratic => svg::draw_dashed(&mut chart, pts, style(t.role, dpr), px(12.0), px(3.0))?,
                _ => {
                    chart.draw_series(LineSeries::new(pts, style(t.role, dpr)))?;
                }
            }
        }
        geometry.areas.push(plot_area);
        geometry.axes.extend(labels);
    }
    Ok(geometry)
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

/// Shades the lazy, catapult and divergent regions of a panel and names them (each name
/// centred in its region, and left out if it does not fit there).
fn shade_regions<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<Ticked, Ticked>>,
    area: &DrawingArea<DB, Shift>,
    x_max: f64,
    y: &Axis,
    names: bool,
    dpr: f64,
) -> Result<Vec<Rect>, PlotError> {
    let mut boxes = Vec::new();
    for (a, b, c, name) in
        [(0.0, 2.0, LAZY, "lazy"), (2.0, 4.0, CATAPULT, "catapult"), (4.0, x_max, DIVERGENT, "divergent")]
    {
        chart.draw_series(std::iter::once(Rectangle::new([(a, y.lo), (b, y.hi)], c.filled())))?;
        if !names {
            continue;
        }
        let font_px = 11.0 * dpr;
        let w = text_width(name, font_px);
        let (l, r) = (chart.backend_coord(&(a, y.hi)).0, chart.backend_coord(&(b, y.hi)).0);
        let top = chart.backend_coord(&(a, y.hi)).1;
        if f64::from(r - l) < w + 4.0 * dpr {
            continue;
        }
        let cx = 0.5 * f64::from(l + r);
        let b = Rect {
            x0: cx - w / 2.0,
            y0: f64::from(top) + 3.0 * dpr,
            x1: cx + w / 2.0,
            y1: f64::from(top) + 3.0 * dpr + font_px,
        };
        let (ox, oy) = area.get_base_pixel();
        area.draw(&Text::new(
            name,
            ((b.x0 - f64::from(ox)) as i32, (b.y0 - f64::from(oy)) as i32),
            ("sans-serif", font_px).into_font().color(&RGBColor(90, 90, 90)),
        ))?;
        boxes.push(b);
    }
    Ok(boxes)
}

/// Draws the phase diagram: final ηλ_T (top) and final loss (bottom, log scale) against ηλ₀,
/// with the lazy (ηλ₀ < 2), catapult (2 < ηλ₀ < 4) and divergent (ηλ₀ > 4) regions shaded and
/// named, the bound ηλ = 2, the line ηλ_T = ηλ₀ (λ unchanged: lazy), and the current setting
/// ringed; returns what it occupies.
///
/// # Errors
/// [`PlotError`] when the canvas cannot be drawn on.
pub fn draw_phase_diagram(
    canvas: &HtmlCanvasElement,
    dots: &[PhaseDot],
    current: f64,
) -> Result<Geometry, PlotError> {
    on_canvas(canvas, |root, dpr| draw_phase_diagram_on(root, dpr, dots, current))
}

/// The phase diagram as an SVG document on `sheet`, with `provenance` inside
/// ([`svg::document`]): the same drawing as [`draw_phase_diagram`].
///
/// # Errors
/// [`PlotError`] from the backend.
pub fn phase_diagram_svg(
    dots: &[PhaseDot],
    current: f64,
    sheet: &Sheet,
    provenance: &Provenance,
) -> Result<String, PlotError> {
    svg::document(
        sheet,
        "Catapult phase diagram: final η·λ and final loss against η·λ₀",
        provenance,
        |root| draw_phase_diagram_on(root, 1.0, dots, current).map(|_| ()),
    )
}

/// Draws the phase diagram on `root` at device pixel ratio `dpr` (see [`draw_phase_diagram`]).
fn draw_phase_diagram_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    dpr: f64,
    dots: &[PhaseDot],
    current: f64,
) -> Result<Geometry, PlotError> {
    let px = move |v: f64| (v * dpr).round() as u32;
    let (cw, ch) = root.dim_in_pixel();
    let (top, bottom) = root.split_vertically(ch * 6 / 10);
    let x_max = dots.iter().map(|d| d.eta_lambda0).fold(4.5, f64::max);
    let mut geometry = Geometry {
        canvas: Some(Rect { x0: 0.0, y0: 0.0, x1: f64::from(cw), y1: f64::from(ch) }),
        ..Geometry::default()
    };
    let style = Style { x_area: 28.0, y_area: 40.0, ..Style::default() };
    let x = Axis::linear(0.0, x_max, "η·λ₀");
    let y = Axis::linear(0.0, 4.5, "");
    let Panel { mut chart, area, labels } = panel(&top, Some("final η·λ against η·λ₀"), &x, &y, style, dpr)?;
    let names = shade_regions(&mut chart, &top, x_max, &y, true, dpr)?;
    chart.draw_series(LineSeries::new([(0.0, 2.0), (x_max, 2.0)], BOUND.stroke_width(px(1.0).max(1))))?;
    svg::draw_dashed(
        &mut chart,
        vec![(0.0, 0.0), (y.hi, y.hi)],
        RGBColor(120, 120, 120).stroke_width(px(1.0).max(1)),
        px(4.0),
        px(3.0),
    )?;
    chart.draw_series(dots.iter().filter_map(|d| {
        d.final_eta_lambda.map(|v| Circle::new((d.eta_lambda0, v.min(y.hi)), px(2.5), NTK_COLOR.filled()))
    }))?;
    chart.draw_series(
        dots.iter()
            .filter(|d| d.final_eta_lambda.is_none())
            .map(|d| Cross::new((d.eta_lambda0, y.hi * 0.8), px(3.0), BOUND.stroke_width(px(1.0).max(1)))),
    )?;
    if let Some(d) =
        dots.iter().min_by(|a, b| (a.eta_lambda0 - current).abs().total_cmp(&(b.eta_lambda0 - current).abs()))
    {
        let v = d.final_eta_lambda.map_or(y.hi * 0.8, |v| v.min(y.hi));
        chart.draw_series(std::iter::once(Circle::new(
            (current, v),
            px(6.0),
            NET_COLOR.stroke_width(px(2.0).max(1)),
        )))?;
    }
    geometry.areas.push(area);
    geometry.axes.extend(labels);
    geometry.axes.push(names);

    let (lo, hi) = finite_range(dots.iter().filter_map(|d| d.final_loss), true).unwrap_or((1e-12, 1.0));
    let y = Axis::log((lo.max(1e-30) / 3.0).min(1e-3), (hi * 3.0).max(1.0), "");
    let Panel { mut chart, area, labels } = panel(&bottom, Some("final loss"), &x, &y, style, dpr)?;
    shade_regions(&mut chart, &bottom, x_max, &y, false, dpr)?;
    chart.draw_series(dots.iter().filter_map(|d| {
        d.final_loss.map(|v| Circle::new((d.eta_lambda0, v.clamp(y.lo, y.hi)), px(2.5), NTK_COLOR.filled()))
    }))?;
    chart.draw_series(LineSeries::new(
        [(current, y.lo), (current, y.hi)],
        NET_COLOR.stroke_width(px(1.0).max(1)),
    ))?;
    geometry.areas.push(area);
    geometry.axes.extend(labels);
    Ok(geometry)
}
