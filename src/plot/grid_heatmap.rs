//! A heatmap of values on a grid of two parameters (the phase diagram's ξ_c over (σ_w², σ_b²),
//! the trainability grid's final loss over (σ_w², depth)), on real axes, with curves drawn over
//! it (the critical line, the trainable depth), a marker, a colour bar, and the mapping from
//! pointer positions to the parameters (clicking the diagram chooses a point).

use plotters::coord::Shift;
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

use super::axes::{Geometry, Rect};
use super::function_plot::Frame;
use super::legend::{self, Entry};
use super::panel::{panel, Axis, Panel, Style};
use super::series_plot::{Dash, Line};
use super::svg::{self, Provenance, Sheet};
use super::{on_canvas, PlotError};

/// How values map to colours: `lo` → dark blue, `hi` → yellow (a viridis-like ramp), on a log
/// scale if `log`; +∞ is `hi`'s colour, `None` grey.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColorScale {
    /// the value of the darkest colour
    pub lo: f64,
    /// the value of the brightest colour
    pub hi: f64,
    /// logarithmic
    pub log: bool,
}

/// The colour ramp's anchors (viridis, 5 stops).
const RAMP: [(f64, f64, f64); 5] =
    [(68.0, 1.0, 84.0), (59.0, 82.0, 139.0), (33.0, 145.0, 140.0), (94.0, 201.0, 98.0), (253.0, 231.0, 37.0)];

/// Colour of cells without a value.
pub const MISSING: RGBColor = RGBColor(190, 190, 190);

impl ColorScale {
    /// The position of `v` on the ramp, in [0, 1] (clamped; +∞ is 1).
    pub fn fraction(&self, v: f64) -> f64 {
        if v == f64::INFINITY {
            return 1.0;
        }
        let (a, b, x) = if self.log {
            (self.lo.ln(), self.hi.ln(), v.max(f64::MIN_POSITIVE).ln())
        } else {
            (self.lo, self.hi, v)
        };
        if b > a {
            ((x - a) / (b - a)).clamp(0.0, 1.0)
        } else {
            0.5
        }
    }

    /// The colour of a value.
    pub fn color(&self, v: Option<f64>) -> RGBColor {
        let Some(v) = v.filter(|v| !v.is_nan()) else { return MISSING };
        let u = self.fraction(v) * (RAMP.len() - 1) as f64;
        let i = (u.floor() as usize).min(RAMP.len() - 2);
        let t = u - i as f64;
        let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
        let (p, q) = (RAMP[i], RAMP[i + 1]);
        RGBColor(mix(p.0, q.0), mix(p.1, q.1), mix(p.2, q.2))
    }
}

/// A heatmap over a grid of parameter values.
#[derive(Clone, Debug, PartialEq)]
pub struct GridHeatmap {
    /// horizontal axis (its range covers the cells)
    pub x: Axis,
    /// vertical axis
    pub y: Axis,
    /// cell centres along x
    pub xs: Vec<f64>,
    /// cell centres along y
    pub ys: Vec<f64>,
    /// `values[j][i]` at (`xs[i]`, `ys[j]`); `None` grey, +∞ the top colour
    pub values: Vec<Vec<Option<f64>>>,
    /// the colour scale
    pub scale: ColorScale,
    /// what the colours mean (the colour bar's label)
    pub color_label: String,
    /// curves drawn over the cells
    pub lines: Vec<Line>,
    /// a point marked (a ring)
    pub marker: Option<(f64, f64)>,
    /// legend entries (above the plot, beside the colour bar)
    pub legend: Vec<Entry>,
    /// a note written in the plotting area
    pub note: Option<String>,
}

/// The edges of the cells around centres `c` (midpoints; the outer ones half a cell out).
fn edges(c: &[f64]) -> Vec<f64> {
    match c.len() {
        0 => vec![],
        1 => vec![c[0] - 0.5, c[0] + 0.5],
        n => {
            let mut e = vec![c[0] - 0.5 * (c[1] - c[0])];
            e.extend(c.windows(2).map(|w| 0.5 * (w[0] + w[1])));
            e.push(c[n - 1] + 0.5 * (c[n - 1] - c[n - 2]));
            e
        }
    }
}

/// Draws `h` and returns what it occupies and the mapping of pointer positions (CSS pixels)
/// to the axes' values.
///
/// # Errors
/// [`PlotError`] when the canvas cannot be drawn on.
pub fn draw_grid_heatmap(
    canvas: &HtmlCanvasElement,
    h: &GridHeatmap,
) -> Result<(Geometry, Frame), PlotError> {
    on_canvas(canvas, |root, dpr| draw_grid_heatmap_on(root, dpr, h))
}

/// The heatmap as an SVG document on `sheet`, titled `title`, with `provenance`
/// inside ([`svg::document`]): the same drawing as [`draw_grid_heatmap`] (one rectangle per
/// cell).
///
/// # Errors
/// [`PlotError`] from the backend.
pub fn grid_heatmap_svg(
    h: &GridHeatmap,
    title: &str,
    sheet: &Sheet,
    provenance: &Provenance,
) -> Result<String, PlotError> {
    svg::document(sheet, title, provenance, |root| draw_grid_heatmap_on(root, 1.0, h).map(|_| ()))
}

/// Draws `h` on `root` at device pixel ratio `dpr` (see [`draw_grid_heatmap`]).
fn draw_grid_heatmap_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    dpr: f64,
    h: &GridHeatmap,
) -> Result<(Geometry, Frame), PlotError> {
    let px = move |v: f64| (v * dpr).round() as u32;
    let (cw, ch) = root.dim_in_pixel();
    let font = 11.0 * dpr;
    let bar_h = 28.0 * dpr;
    // Measured on the strip the legend is drawn in (the root less its side margins).
    let legend_h = legend::height(&root.margin(0, 0, px(8.0), px(8.0)), &h.legend, font);
    let top = legend_h + bar_h + 18.0 * dpr;
    let (head, chart_area) = root.split_vertically(top.ceil() as u32);
    let (legend_area, bar_area) = head.split_vertically(legend_h.ceil() as u32 + px(2.0));
    let legend_box = legend::draw(&legend_area.margin(px(2.0), 0, px(8.0), px(8.0)), &h.legend, font)?;
    draw_color_bar(&bar_area, h, dpr)?;
    let style = Style { x_area: 34.0, y_area: 56.0, margin: 8.0, ..Style::default() };
    let Panel { mut chart, area, labels } = panel(&chart_area, None, &h.x, &h.y, style, dpr)?;
    let (ex, ey) = (edges(&h.xs), edges(&h.ys));
    for (j, row) in h.values.iter().enumerate() {
        chart.draw_series(row.iter().enumerate().map(|(i, &v)| {
            let clip = |v: f64, a: &Axis| v.clamp(a.lo, a.hi);
            Rectangle::new(
                [(clip(ex[i], &h.x), clip(ey[j], &h.y)), (clip(ex[i + 1], &h.x), clip(ey[j + 1], &h.y))],
                h.scale.color(v).filled(),
            )
        }))?;
    }
    for line in &h.lines {
        let stroke = line.color.stroke_width(px(line.width).max(1));
        let pts: Vec<(f64, f64)> =
            line.points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
        match line.dash {
            Dash::Solid => {
                chart.draw_series(LineSeries::new(pts, stroke))?;
            }
            Dash::Dashed | Dash::Dotted | Dash::Long => {
                svg::draw_dashed(&mut chart, pts, stroke, px(6.0), px(4.0))?
            }
        }
    }
    if let Some(m) = h.marker {
        let r = (7.0 * dpr).round() as i32;
        chart.draw_series(std::iter::once(
            EmptyElement::at(m)
                + Circle::new((0, 0), r, WHITE.stroke_width(px(4.0)))
                + Circle::new((0, 0), r, RGBColor(200, 30, 30).stroke_width(px(2.0))),
        ))?;
    }
    if let Some(note) = &h.note {
        let style = TextStyle::from(("sans-serif", px(12.0)).into_font()).color(&RGBColor(20, 20, 20));
        root.draw_text(note, &style, ((area.x0 + 8.0 * dpr) as i32, (area.y0 + 6.0 * dpr) as i32))?;
    }
    let frame = Frame {
        px_x: (area.x0 / dpr, area.x1 / dpr),
        px_y: (area.y0 / dpr, area.y1 / dpr),
        x: (h.x.lo, h.x.hi),
        y: (h.y.lo, h.y.hi),
    };
    let [x_boxes, y_boxes] = labels;
    let geometry = Geometry {
        canvas: Some(Rect { x0: 0.0, y0: 0.0, x1: f64::from(cw), y1: f64::from(ch) }),
        areas: vec![area],
        legends: legend_box.into_iter().collect(),
        axes: vec![x_boxes, y_boxes],
    };
    Ok((geometry, frame))
}

/// The colour bar: its label on one line, and below it the ramp from `lo` to `hi` between
/// both values.
fn draw_color_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    h: &GridHeatmap,
    dpr: f64,
) -> Result<(), PlotError> {
    let (w, _) = area.dim_in_pixel();
    let font_px = 11.0 * dpr;
    let font =
        TextStyle::from(("sans-serif", font_px.round() as u32).into_font()).color(&RGBColor(40, 40, 40));
    let lo = crate::plot::axes::tick_label(h.scale.lo);
    let hi = crate::plot::axes::tick_label(h.scale.hi);
    let x0 = (8.0 * dpr) as i32;
    area.draw(&Text::new(h.color_label.clone(), (x0, 0), font.clone()))?;
    let width = |t: &str| super::panel::text_width(t, font_px) as i32;
    let gap = (6.0 * dpr) as i32;
    let bar0 = x0 + width(&lo) + gap;
    let bar1 = (f64::from(w) - 8.0 * dpr) as i32 - width(&hi) - gap;
    let (y0, y1) = ((15.0 * dpr) as i32, (25.0 * dpr) as i32);
    let steps = 48;
    for k in 0..steps {
        let a = bar0 + (bar1 - bar0) * k / steps;
        let b = bar0 + (bar1 - bar0) * (k + 1) / steps;
        let u = (k as f64 + 0.5) / steps as f64;
        let v = if h.scale.log {
            (h.scale.lo.ln() + u * (h.scale.hi.ln() - h.scale.lo.ln())).exp()
        } else {
            h.scale.lo + u * (h.scale.hi - h.scale.lo)
        };
        area.draw(&Rectangle::new([(a, y0), (b, y1)], h.scale.color(Some(v)).filled()))?;
    }
    area.draw(&Text::new(lo, (x0, y0 - (1.0 * dpr) as i32), font.clone()))?;
    area.draw(&Text::new(hi, (bar1 + gap, y0 - (1.0 * dpr) as i32), font))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_follow_the_scale_and_cells_tile_the_axis() {
        let s = ColorScale { lo: 1.0, hi: 100.0, log: true };
        assert_eq!(s.fraction(10.0), 0.5);
        assert_eq!(s.color(Some(1.0)), RGBColor(68, 1, 84));
        assert_eq!(s.color(Some(f64::INFINITY)), RGBColor(253, 231, 37));
        assert_eq!(s.color(None), MISSING);
        assert_eq!(edges(&[1.0, 2.0, 4.0]), vec![0.5, 1.5, 3.0, 5.0]);
    }
}
