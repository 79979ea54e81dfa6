//! The width-scaling plots (paper Figure 1, Figure S5): four log-log panels against the width
//! n — (a) the sup over training of the test RMSE between the network and its linearization,
//! (b) the relative weight change per layer, (c) the relative change of the empirical NTK during
//! training, (d) the distance of the initial empirical NTK from the analytic one. Each shows the
//! seed mean per width with a min–max bar, the fitted power law with its slope in the legend, and
//! dashed reference lines of slope −1/2 and −1 anchored at the first point.
//!
//! Against Chizat's output scale α (one width, [`WidthsPlot::from_laziness`]): panels (a)–(c)
//! against α and (d) the change of the kernel–target alignment during training, with the lazy
//! theory's reference slope −1.
//!
//! [`WidthsPlot::from_result`] turns a [`SweepResult`] into plain series; [`draw_widths_plot`]
//! only draws them.

use plotters::coord::Shift;
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

use ntk_core::experiments::laziness::LazinessResult;
use ntk_core::experiments::widths::{SweepResult, WidthPoint};
use ntk_core::stats::{fit_slope, PowerLawFit, Spread};

use super::axes::{Geometry, Rect};
pub use super::legend::Marker;
use super::legend::{self, Entry, Swatch};
use super::panel::{panel, Axis, Panel as Frame, Style};
use super::svg::{self, Provenance, Sheet};
use super::{on_canvas, PlotError};

/// Colours of the series of a second axis (in axis order), and of the single series.
pub const SERIES_COLORS: [RGBColor; 5] = [
    RGBColor(31, 95, 191),
    RGBColor(192, 57, 43),
    RGBColor(39, 140, 80),
    RGBColor(142, 68, 173),
    RGBColor(214, 120, 0),
];

/// Colours of the layers in panel (b): input, hidden, readout.
pub const LAYER_COLORS: [RGBColor; 3] = [RGBColor(31, 95, 191), RGBColor(192, 57, 43), RGBColor(39, 140, 80)];

/// Colour of the reference lines.
pub const REFERENCE_COLOR: RGBColor = RGBColor(120, 120, 120);

const MARKERS: [Marker; 4] = [Marker::Circle, Marker::Triangle, Marker::Square, Marker::Cross];

/// A point's (x: width n or output scale α, seed mean, smallest, largest value over seeds).
pub type BarPoint = (f64, f64, f64, f64);

/// One metric of one series: per width, the seed mean and its min–max range, and the fit.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSeries {
    /// legend name (empty for the single series of a sweep without an axis)
    pub name: String,
    /// its colour
    pub color: RGBColor,
    /// its mean markers
    pub marker: Marker,
    /// (width n, mean, smallest, largest) over seeds
    pub points: Vec<BarPoint>,
    /// the least-squares power law of the means ([`fit_slope`])
    pub fit: Option<PowerLawFit>,
}

/// One log-log panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// title above the panel
    pub title: String,
    /// y-axis description
    pub y_desc: String,
    /// its series
    pub series: Vec<MetricSeries>,
}

/// The panels and the reference slopes.
#[derive(Clone, Debug, PartialEq)]
pub struct WidthsPlot {
    /// (a), (b), (c), (d) against the width; (a), (b), (c) against α
    pub panels: Vec<Panel>,
    /// slopes of the dashed reference lines (−1/2, −1 against the width; −1 against α)
    pub reference_slopes: Vec<f64>,
    /// the x-axis description
    pub x_desc: String,
}

/// The lazy theory's slope of (a)–(c) against α (docs/MATH.md "From lazy to rich").
pub const LAZY_ALPHA_SLOPE: f64 = -1.0;

fn spread_point(x: impl Into<f64>, s: &Spread) -> BarPoint {
    (x.into(), s.mean, s.min, s.max)
}

/// The x of a width.
fn width_x(p: &WidthPoint) -> f64 {
    p.width as f64
}

/// Panels (a)–(c) with their titles and y descriptions, no series yet.
fn training_panels() -> Vec<Panel> {
    vec![
        Panel {
            title: "(a) network vs linearization: sup over training of test RMSE".into(),
            y_desc: "sup_k RMSE(f_k, f_k^lin)".into(),
            series: vec![],
        },
        Panel {
            title: "(b) relative weight change per layer".into(),
            y_desc: "‖W_T − W_0‖_F / ‖W_0‖_F".into(),
            series: vec![],
        },
        Panel {
            title: "(c) kernel change during training".into(),
            y_desc: "‖Θ̂_T − Θ̂_0‖_F / ‖Θ̂_0‖_F".into(),
            series: vec![],
        },
    ]
}

/// Adds one series' (a), (b) (input, hidden, readout) and (c) to `panels`, x given by `x`.
fn push_training_series(
    panels: &mut [Panel],
    points: &[(f64, &WidthPoint)],
    name: &str,
    color: RGBColor,
    marker: Marker,
) {
    let pts = |f: &dyn Fn(f64, &WidthPoint) -> Option<BarPoint>| {
        points.iter().filter_map(|&(x, p)| f(x, p)).collect::<Vec<_>>()
    };
    panels[0].series.push(metric(
        name.to_string(),
        color,
        Marker::Circle,
        pts(&|x, p| p.rmse_nn_lin_sup.as_ref().map(|v| spread_point(x, v))),
    ));
    panels[2].series.push(metric(
        name.to_string(),
        color,
        Marker::Circle,
        pts(&|x, p| p.ntk_change.as_ref().map(|v| spread_point(x, v))),
    ));
    let layer_name = |kind: &str| if name.is_empty() { kind.to_string() } else { format!("{kind}, {name}") };
    let input = pts(&|x, p| p.weight_change.first().map(|v| spread_point(x, v)));
    let hidden = pts(&|x, p| hidden_change(p).map(|(_, m, lo, hi)| (x, m, lo, hi)));
    let readout = pts(&|x, p| {
        (p.weight_change.len() >= 2).then(|| spread_point(x, &p.weight_change[p.weight_change.len() - 1]))
    });
    for (k, (kind, points)) in
        [("input", input), ("hidden", hidden), ("readout", readout)].into_iter().enumerate()
    {
        if !points.is_empty() {
            panels[1].series.push(metric(layer_name(kind), LAYER_COLORS[k], marker, points));
        }
    }
}

fn metric(name: String, color: RGBColor, marker: Marker, points: Vec<BarPoint>) -> MetricSeries {
    let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
    let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    let fit = fit_slope(&xs, &ys).ok();
    MetricSeries { name, color, marker, points, fit }
}

/// The hidden layers' relative weight change of a point: the mean of the hidden layers' means,
/// the smallest of their minima and the largest of their maxima (`None` for depth 1, or when
/// every seed diverged).
fn hidden_change(p: &WidthPoint) -> Option<BarPoint> {
    let w = &p.weight_change;
    if w.len() < 3 {
        return None;
    }
    let hidden = &w[1..w.len() - 1];
    let mean = hidden.iter().map(|s| s.mean).sum::<f64>() / hidden.len() as f64;
    let lo = hidden.iter().map(|s| s.min).fold(f64::INFINITY, f64::min);
    let hi = hidden.iter().map(|s| s.max).fold(f64::NEG_INFINITY, f64::max);
    Some((p.width as f64, mean, lo, hi))
}

impl WidthsPlot {
    /// The panels of a sweep result; `series_name` names a series by its axis value (the empty
    /// string for the single series of a sweep without an axis). Panel (b) colours the layers
    /// (input, hidden — the mean over hidden layers when there are several —, readout) and tells
    /// the series apart by marker; the other panels colour the series.
    pub fn from_result(result: &SweepResult, series_name: impl Fn(Option<usize>) -> String) -> WidthsPlot {
        let mut panels = training_panels();
        panels.push(Panel {
            title: "(d) initial kernel vs the analytic NTK".into(),
            y_desc: "‖Θ̂_0 − Θ‖_F / ‖Θ‖_F".into(),
            series: vec![],
        });
        for (i, s) in result.series.iter().enumerate() {
            let name = series_name(s.axis_value);
            let color = SERIES_COLORS[i % SERIES_COLORS.len()];
            let points: Vec<(f64, &WidthPoint)> = s.points.iter().map(|p| (width_x(p), p)).collect();
            push_training_series(&mut panels, &points, &name, color, MARKERS[i % MARKERS.len()]);
            panels[3].series.push(metric(
                name.clone(),
                color,
                Marker::Circle,
                s.points
                    .iter()
                    .filter(|p| p.ntk_init_error.count > 0)
                    .map(|p| spread_point(width_x(p), &p.ntk_init_error))
                    .collect(),
            ));
        }
        WidthsPlot {
            panels,
            reference_slopes: result.reference_slopes.clone(),
            x_desc: "hidden width n".into(),
        }
    }

    /// Panels (a)–(c) of a sweep against Chizat's output scale α at one width, and (d) the
    /// change of the kernel–target alignment `A(Θ̂) = yᵀΘ̂y/(‖Θ̂‖_F ‖y‖²)` during training,
    /// `|A(Θ̂_T) − A(Θ̂_0)|` per seed; with the lazy theory's reference slope
    /// [`LAZY_ALPHA_SLOPE`] (each metric `∝ 1/α` as α → ∞: the kernel moves `O(1/α)`).
    pub fn from_laziness(result: &LazinessResult) -> WidthsPlot {
        let mut panels = training_panels();
        let points: Vec<(f64, &WidthPoint)> = result.points.iter().map(|p| (p.alpha, &p.point)).collect();
        push_training_series(&mut panels, &points, "", SERIES_COLORS[0], Marker::Circle);
        let alignment_change = points
            .iter()
            .filter_map(|&(x, p)| {
                let deltas: Vec<f64> = p
                    .seeds
                    .iter()
                    .filter_map(|s| s.training.as_ref()?.ntk_alignment)
                    .map(|a| (a.end - a.start).abs())
                    .collect();
                Spread::of(&deltas).map(|s| spread_point(x, &s))
            })
            .collect();
        panels.push(Panel {
            title: "(d) kernel–target alignment change during training".into(),
            y_desc: "|A(Θ̂_T) − A(Θ̂_0)|".into(),
            series: vec![metric(String::new(), SERIES_COLORS[0], Marker::Circle, alignment_change)],
        });
        WidthsPlot { panels, reference_slopes: vec![LAZY_ALPHA_SLOPE], x_desc: "output scale α".into() }
    }
}

/// The legend text of a series: its name and fitted slope (with the slope's standard error
/// when there are 3 or more points).
pub fn legend_text(s: &MetricSeries) -> String {
    let slope = match &s.fit {
        Some(f) => match f.slope_stderr {
            Some(e) => format!("slope {} ± {:.2}", signed(f.slope), e),
            None => format!("slope {}", signed(f.slope)),
        },
        None => "slope: needs 2 points".to_string(),
    };
    if s.name.is_empty() {
        format!("fit: {slope}")
    } else {
        format!("{}: {slope}", s.name)
    }
}

/// A slope with a true minus sign, two decimals.
pub fn signed(v: f64) -> String {
    if v < 0.0 {
        format!("−{:.2}", -v)
    } else {
        format!("{v:.2}")
    }
}

fn reference_name(slope: f64) -> String {
    if (slope + 0.5).abs() < 1e-12 {
        "slope −1/2 (reference)".to_string()
    } else {
        format!("slope {} (reference)", signed(slope))
    }
}

/// Draws the four panels in a 2 × 2 grid and returns what they occupy.
///
/// # Errors
/// [`PlotError`] when the canvas cannot be drawn on.
pub fn draw_widths_plot(canvas: &HtmlCanvasElement, plot: &WidthsPlot) -> Result<Geometry, PlotError> {
    on_canvas(canvas, |root, dpr| draw_widths_on(root, dpr, plot))
}

/// The four panels as an SVG document on `sheet`, with `provenance` inside
/// ([`svg::document`]): the same drawing as [`draw_widths_plot`].
///
/// # Errors
/// [`PlotError`] from the backend.
pub fn widths_plot_svg(
    plot: &WidthsPlot,
    sheet: &Sheet,
    provenance: &Provenance,
) -> Result<String, PlotError> {
    svg::document(sheet, "Width scaling", provenance, |root| draw_widths_on(root, 1.0, plot).map(|_| ()))
}

/// Draws the panels on `root` at device pixel ratio `dpr` (see [`draw_widths_plot`]).
fn draw_widths_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    dpr: f64,
    plot: &WidthsPlot,
) -> Result<Geometry, PlotError> {
    let (cw, ch) = root.dim_in_pixel();
    let mut geometry = Geometry {
        canvas: Some(Rect { x0: 0.0, y0: 0.0, x1: f64::from(cw), y1: f64::from(ch) }),
        ..Geometry::default()
    };
    // 2 × 2 on a wide canvas; one column where panels side by side would crowd their titles
    // and legends (a phone).
    let css_width = f64::from(cw) / dpr;
    let areas = if css_width >= super::NARROW_PLOT_PX {
        root.split_evenly((2, 2))
    } else {
        root.split_evenly((4, 1))
    };
    for (area, panel) in areas.iter().zip(&plot.panels) {
        draw_panel(area, panel, plot, dpr, &mut geometry)?;
    }
    Ok(geometry)
}

fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// The legend entries of a panel: its series (with their slopes) and the reference lines.
fn panel_legend(panel: &Panel, reference_slopes: &[f64], with_references: bool) -> Vec<Entry> {
    let mut entries: Vec<Entry> = panel
        .series
        .iter()
        .map(|s| Entry { text: legend_text(s), swatch: Swatch::Marker { shape: s.marker, color: s.color } })
        .collect();
    if with_references {
        entries.extend(reference_slopes.iter().map(|&slope| Entry {
            text: reference_name(slope),
            swatch: Swatch::Line { color: REFERENCE_COLOR, width: 1.2, dashed: true },
        }));
    }
    entries
}

/// Draws one panel: its title, its legend strip (series with slopes, references), the log-log
/// axes and the series; adds what it occupies to `geometry`.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    plot: &WidthsPlot,
    dpr: f64,
    geometry: &mut Geometry,
) -> Result<(), PlotError> {
    let reference_slopes = &plot.reference_slopes[..];
    let px = |v: f64| (v * dpr).round() as u32;
    let all: Vec<&BarPoint> = panel
        .series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|p| positive(p.0) && positive(p.1))
        .collect();
    let (x0, x1) = all.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (x0, x1) = if x0.is_finite() && x1 >= x0 { (x0 / 1.25, x1 * 1.25) } else { (24.0, 1400.0) };
    // The reference lines start at the first point of the first series with data.
    let anchor = panel
        .series
        .iter()
        .find_map(|s| s.points.iter().find(|p| positive(p.0) && positive(p.1)))
        .map(|p| (p.0, p.1));
    let right = all.iter().map(|p| p.0).fold(0.0f64, f64::max);
    let mut ys: Vec<f64> = all.iter().flat_map(|p| [p.1, p.2, p.3]).filter(|v| positive(*v)).collect();
    if let Some((ax, ay)) = anchor {
        ys.extend(reference_slopes.iter().map(|s| ay * (right / ax).powf(*s)));
    }
    for s in &panel.series {
        if let (Some(f), Some(a), Some(b)) = (s.fit, s.points.first(), s.points.last()) {
            ys.extend([f.at(a.0), f.at(b.0)].into_iter().filter(|v| positive(*v)));
        }
    }
    let (y0, y1) = ys.iter().fold((f64::INFINITY, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
    let (y0, y1) = if y0.is_finite() && y1 > y0 {
        (y0 / 1.6, y1 * 1.6)
    } else if y0.is_finite() {
        (y0 / 4.0, y0 * 4.0)
    } else {
        (1e-3, 1.0)
    };
    let body = area.titled(&panel.title, ("sans-serif", px(13.0)))?;
    let entries = panel_legend(panel, reference_slopes, anchor.is_some());
    let font = 11.0 * dpr;
    let legend_h = legend::height(&body.margin(0, 0, px(8.0), px(8.0)), &entries, font);
    let (legend_area, chart_area) = body.split_vertically(legend_h.ceil() as u32 + px(4.0));
    let legend_box = legend::draw(&legend_area.margin(0, 0, px(8.0), px(8.0)), &entries, font)?;
    let style = Style { x_area: 34.0, y_area: 58.0, ..Style::default() };
    let Frame { mut chart, area: plot_area, labels } =
        panel_frame(&chart_area, (x0, x1), (y0, y1), (&plot.x_desc, &panel.y_desc), style, dpr)?;
    geometry.areas.push(plot_area);
    geometry.legends.extend(legend_box);
    geometry.axes.extend(labels);
    if all.is_empty() {
        let style = TextStyle::from(("sans-serif", px(13.0)).into_font()).color(&RGBColor(110, 110, 110));
        let (w, h) = chart_area.dim_in_pixel();
        chart_area.draw_text("no results yet: press “Run sweep”", &style, (w as i32 / 5, h as i32 / 2))?;
        return Ok(());
    }
    if let Some((ax, ay)) = anchor {
        for (i, &slope) in reference_slopes.iter().enumerate() {
            let line = [(ax, ay), (right, ay * (right / ax).powf(slope))];
            let (dash, gap) = if i == 0 { (px(7.0), px(4.0)) } else { (px(3.0), px(3.0)) };
            svg::draw_dashed(
                &mut chart,
                line.to_vec(),
                REFERENCE_COLOR.stroke_width(px(1.2).max(1)),
                dash,
                gap,
            )?;
        }
    }
    let r = (3.5 * dpr).round() as i32;
    for s in &panel.series {
        let col = s.color;
        let pts: Vec<BarPoint> =
            s.points.iter().copied().filter(|p| positive(p.0) && positive(p.1)).collect();
        // Min–max bars over seeds (clipped to the positive axis).
        chart.draw_series(pts.iter().map(|&(x, m, lo, hi)| {
            let lo = if positive(lo) { lo.max(y0) } else { m };
            let hi = if positive(hi) { hi.min(y1) } else { m };
            PathElement::new([(x, lo), (x, hi)], col.mix(0.8).stroke_width(px(1.2).max(1)))
        }))?;
        let marker = s.marker;
        let centres: Vec<(f64, f64)> = pts.iter().map(|&(x, m, _, _)| (x, m)).collect();
        legend::draw_markers(&mut chart, &centres, marker, r, col)?;
        if let (Some(f), Some(a), Some(b)) = (s.fit, pts.first(), pts.last()) {
            chart.draw_series(LineSeries::new(
                [(a.0, f.at(a.0)), (b.0, f.at(b.0))],
                col.stroke_width(px(1.6).max(1)),
            ))?;
        }
    }
    Ok(())
}

/// The log-log frame of a panel over `x` (widths or α) and values `y`, described by `desc`
/// (x, y).
fn panel_frame<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: (f64, f64),
    y: (f64, f64),
    desc: (&str, &str),
    style: Style,
    dpr: f64,
) -> Result<Frame<'a, DB>, PlotError> {
    panel(area, None, &Axis::log(x.0, x.1, desc.0), &Axis::log(y.0, y.1, desc.1), style, dpr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ntk_core::experiments::laziness::LazinessPoint;
    use ntk_core::experiments::widths::{Alignment, SeedRecord, SeedTraining};

    /// A point at α whose metrics are `c/α` and whose two seeds' alignments move by `c/α` and
    /// `3c/α`.
    fn point(alpha: f64) -> LazinessPoint {
        let sp = |v: f64| Spread { count: 2, mean: v, sd: 0.0, min: v, max: v };
        let seed = |m: usize, moved: f64| SeedRecord {
            seed: m,
            ntk_init_error: 0.1,
            training: Some(SeedTraining {
                rmse_nn_lin_sup: 0.5 / alpha,
                weight_change: vec![1.0 / alpha; 3],
                ntk_change: 2.0 / alpha,
                ntk_alignment: Some(Alignment { start: 0.9, end: 0.9 - moved }),
            }),
            divergence: None,
        };
        LazinessPoint {
            alpha,
            point: WidthPoint {
                width: 64,
                axis_value: None,
                depth: 2,
                train_size: 8,
                learning_rate: 0.1,
                diverged: 0,
                rmse_nn_lin_sup: Some(sp(0.5 / alpha)),
                weight_change: vec![sp(1.0 / alpha); 3],
                ntk_change: Some(sp(2.0 / alpha)),
                ntk_init_error: sp(0.1),
                ntk_alignment_start: Some(sp(0.9)),
                ntk_alignment_end: Some(sp(0.9 - 0.02 / alpha)),
                seeds: vec![seed(0, 0.01 / alpha), seed(1, 0.03 / alpha)],
            },
        }
    }

    /// Against α: four panels over α with the lazy reference −1; every metric ∝ 1/α has slope
    /// −1, and panel (d) is the seeds' mean |A(Θ̂_T) − A(Θ̂₀)| with their range as the bar.
    #[test]
    fn the_laziness_plot_is_against_alpha_with_the_alignment_change() {
        let result = LazinessResult::assemble(vec![point(10.0), point(1.0), point(0.1)]);
        let plot = WidthsPlot::from_laziness(&result);
        assert_eq!(plot.panels.len(), 4);
        assert_eq!((plot.x_desc.as_str(), plot.reference_slopes.clone()), ("output scale α", vec![-1.0]));
        for (i, panel) in plot.panels.iter().enumerate() {
            for s in &panel.series {
                let fit = s.fit.expect("three points give a fit");
                assert!((fit.slope + 1.0).abs() < 1e-12, "panel {i}, {}: {}", s.name, fit.slope);
            }
        }
        let d = &plot.panels[3].series[0].points;
        let xs: Vec<f64> = d.iter().map(|p| p.0).collect();
        assert_eq!(xs, vec![0.1, 1.0, 10.0]);
        let (_, mean, lo, hi) = d[1];
        assert!(
            (mean - 0.02).abs() < 1e-15 && (lo - 0.01).abs() < 1e-15 && (hi - 0.03).abs() < 1e-15,
            "{:?}",
            d[1]
        );
        assert_eq!(plot.panels[1].series.len(), 3, "input, hidden, readout");
    }
}
