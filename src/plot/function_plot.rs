//! The main plot (the paper's Figure 2): network outputs along a line at one time — the 1-D
//! test grid, or the segment x(α) between two training points of a 2-D set — with NNGP (red)
//! and NTK-GP (blue) bands, the finite ensemble (black), a few of its members (thin grey, SM
//! Fig. S1), its linearization (dashed), the training points and the noiseless target.

use plotters::coord::Shift;
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

use super::axes::{Geometry, Rect};
use super::legend::{self, Entry, Swatch};
use super::panel::{caption_above, panel, text_width, Axis, Panel, Style};
use super::svg::{self, Provenance, Sheet};
use super::{context_2d, on_canvas, Band, PlotError};

/// NTK-GP colour (blue).
pub const NTK_COLOR: RGBColor = RGBColor(31, 100, 200);
/// NNGP colour (red).
pub const NNGP_COLOR: RGBColor = RGBColor(210, 50, 40);
/// Finite-network colour (black).
pub const NET_COLOR: RGBColor = RGBColor(20, 20, 20);
/// Linearized-network colour.
pub const LIN_COLOR: RGBColor = RGBColor(110, 110, 110);
/// The quadratic model `f₀ + J₀δ + ½ δᵀH₀δ` (one-network and catapult views, long dashes).
pub const QUAD_COLOR: RGBColor = RGBColor(150, 50, 170);

/// What the main plot shows; `None` curves are left out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FunctionPlot {
    /// test grid
    pub x: Vec<f64>,
    /// noiseless target on the grid
    pub target: Vec<f64>,
    /// training points
    pub train: Vec<(f64, f64)>,
    /// NNGP mean ± 2σ
    pub nngp: Option<Band>,
    /// NTK-GP mean ± 2σ
    pub ntk: Option<Band>,
    /// finite ensemble mean ± 2σ
    pub net: Option<Band>,
    /// linearized ensemble mean ± 2σ
    pub lin: Option<Band>,
    /// the members' quadratic models `f₀ + J₀δ + ½ δᵀH₀δ`, mean ± 2σ (runs with them)
    pub quad: Option<Band>,
    /// individual member functions
    pub members: Vec<Vec<f64>>,
    /// fixed y range (the user's data set, so that points stay where they are dragged)
    pub y_range: Option<(f64, f64)>,
    /// training point drawn highlighted (the one selected for the keyboard)
    pub selected: Option<usize>,
    /// x-axis description
    pub x_desc: String,
    /// y-axis description (empty: "output f(x)")
    pub y_desc: String,
    /// caption (the time shown)
    pub caption: String,
    /// what the plot cannot show as the other curves, written in the plotting area (a
    /// divergence: "all 20 networks diverged (first at k = 4)")
    pub note: Option<String>,
}

/// Where the plotting area of a drawn plot lies on its canvas, to map pointer positions to
/// data coordinates and back.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// left and right edges of the plotting area (CSS pixels from the canvas's left)
    pub px_x: (f64, f64),
    /// top and bottom edges (CSS pixels from the canvas's top)
    pub px_y: (f64, f64),
    /// data x at the left and right edges
    pub x: (f64, f64),
    /// data y at the bottom and top edges
    pub y: (f64, f64),
}

impl Frame {
    /// Data coordinates of a pointer position (CSS pixels relative to the canvas), or `None`
    /// outside the plotting area.
    pub fn to_data(&self, css_x: f64, css_y: f64) -> Option<(f64, f64)> {
        let u = (css_x - self.px_x.0) / (self.px_x.1 - self.px_x.0);
        let v = (self.px_y.1 - css_y) / (self.px_y.1 - self.px_y.0);
        ((0.0..=1.0).contains(&u) && (0.0..=1.0).contains(&v))
            .then_some((self.x.0 + u * (self.x.1 - self.x.0), self.y.0 + v * (self.y.1 - self.y.0)))
    }

    /// Data coordinates of a pointer position, moved onto the plotting area's edge if outside
    /// (for dragging past the edge).
    pub fn to_data_clamped(&self, css_x: f64, css_y: f64) -> (f64, f64) {
        let x = css_x.clamp(self.px_x.0.min(self.px_x.1), self.px_x.0.max(self.px_x.1));
        let y = css_y.clamp(self.px_y.0.min(self.px_y.1), self.px_y.0.max(self.px_y.1));
        self.to_data(x, y).unwrap_or((self.x.0, self.y.0))
    }

    /// CSS pixel position of data coordinates.
    pub fn to_css(&self, x: f64, y: f64) -> (f64, f64) {
        let u = (x - self.x.0) / (self.x.1 - self.x.0);
        let v = (y - self.y.0) / (self.y.1 - self.y.0);
        (self.px_x.0 + u * (self.px_x.1 - self.px_x.0), self.px_y.1 - v * (self.px_y.1 - self.px_y.0))
    }
}

fn y_range(p: &FunctionPlot) -> (f64, f64) {
    if let Some(r) = p.y_range {
        return r;
    }
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    let mut take = |v: f64| {
        if v.is_finite() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    };
    p.train.iter().for_each(|&(_, y)| take(y));
    p.target.iter().for_each(|&y| take(y));
    for band in [&p.nngp, &p.ntk, &p.net, &p.lin, &p.quad].into_iter().flatten() {
        let (l, h) = band.edges();
        l.into_iter().chain(h).for_each(&mut take);
    }
    if !lo.is_finite() {
        return (-2.0, 2.0);
    }
    // Diverging networks are cut off at 10 or at twice the data's largest |y|, whichever is
    // larger (a table's targets may be far from ±1).
    let data = p.train.iter().map(|&(_, y)| y).chain(p.target.iter().copied()).filter(|y| y.is_finite());
    let limit = data.fold(10.0_f64, |m, y| m.max(2.0 * y.abs()));
    let (lo, hi) = (lo.max(-limit), hi.min(limit));
    let pad = 0.08 * (hi - lo).max(0.5);
    (lo - pad, hi + pad)
}

fn band_polygon(x: &[f64], band: &Band) -> Vec<(f64, f64)> {
    let (lo, hi) = band.edges();
    let clip = |v: f64| v.clamp(-1e3, 1e3);
    x.iter()
        .zip(&hi)
        .map(|(&x, &y)| (x, clip(y)))
        .chain(x.iter().zip(&lo).rev().map(|(&x, &y)| (x, clip(y))))
        .collect()
}

/// Strokes a dashed polyline through `points` (CSS pixels) in the linearization's colour,
/// clipped to the plotting area of `frame`.
fn dashed_path(
    canvas: &HtmlCanvasElement,
    frame: &Frame,
    points: &[(f64, f64)],
    dpr: f64,
    width: f64,
    dash: (f64, f64),
) -> Result<(), PlotError> {
    let ctx = context_2d(canvas).ok_or(PlotError::NoContext)?;
    ctx.save();
    ctx.begin_path();
    ctx.rect(
        frame.px_x.0 * dpr,
        frame.px_y.0 * dpr,
        (frame.px_x.1 - frame.px_x.0) * dpr,
        (frame.px_y.1 - frame.px_y.0) * dpr,
    );
    ctx.clip();
    let pattern = js_sys::Array::of2(&(dash.0 * dpr).into(), &(dash.1 * dpr).into());
    let _ = ctx.set_line_dash(&pattern);
    ctx.set_stroke_style_str(&format!("rgb({}, {}, {})", LIN_COLOR.0, LIN_COLOR.1, LIN_COLOR.2));
    ctx.set_line_width(width);
    ctx.begin_path();
    for (i, &(x, y)) in points.iter().enumerate() {
        if i == 0 {
            ctx.move_to(x * dpr, y * dpr);
        } else {
            ctx.line_to(x * dpr, y * dpr);
        }
    }
    ctx.stroke();
    ctx.restore();
    Ok(())
}

/// The legend entries of what `p` shows.
fn legend_entries(p: &FunctionPlot) -> Vec<Entry> {
    let line = |color, width, dashed| Swatch::Line { color, width, dashed };
    let mut e = Vec::new();
    let mut add = |show: bool, text: &str, swatch| {
        if show {
            e.push(Entry { text: text.to_string(), swatch });
        }
    };
    add(p.nngp.is_some(), "NNGP (readout trained) mean ± 2σ", Swatch::Band(NNGP_COLOR.mix(0.5)));
    add(p.ntk.is_some(), "NTK-GP mean ± 2σ", Swatch::Band(NTK_COLOR.mix(0.5)));
    // Where both translucent bands lie on top of each other they mix to purple.
    let overlap = RGBColor(
        ((u16::from(NNGP_COLOR.0) + u16::from(NTK_COLOR.0)) / 2) as u8,
        ((u16::from(NNGP_COLOR.1) + u16::from(NTK_COLOR.1)) / 2) as u8,
        ((u16::from(NNGP_COLOR.2) + u16::from(NTK_COLOR.2)) / 2) as u8,
    );
    add(p.nngp.is_some() && p.ntk.is_some(), "both bands overlap", Swatch::Band(overlap.mix(0.4)));
    add(p.net.is_some(), "network ensemble mean ± 2σ", line(NET_COLOR, 2.0, false));
    add(!p.members.is_empty(), "individual networks", line(RGBColor(170, 170, 170), 1.0, false));
    add(p.lin.is_some(), "linearized networks mean ± 2σ", line(LIN_COLOR, 2.0, true));
    add(p.quad.is_some(), "quadratic models mean ± 2σ", line(QUAD_COLOR, 2.0, false));
    add(!p.target.is_empty(), "target (noiseless)", line(TARGET_COLOR, 1.0, false));
    add(!p.train.is_empty(), "training points", Swatch::Dot(POINT_COLOR));
    e
}

/// Target colour (green).
pub const TARGET_COLOR: RGBColor = RGBColor(60, 160, 60);
/// Training-point colour (orange).
pub const POINT_COLOR: RGBColor = RGBColor(250, 170, 0);

/// Draws the main plot on `canvas`: caption, legend (above the data, never over it), axes with
/// ticks that fit, and the series; returns where its plotting area lies and what it occupies.
///
/// # Errors
/// [`PlotError`] when the canvas cannot be drawn on.
pub fn draw_function_plot(
    canvas: &HtmlCanvasElement,
    p: &FunctionPlot,
) -> Result<(Frame, Geometry), PlotError> {
    on_canvas(canvas, |root, dpr| draw_on(root, dpr, p, DashedMean::Canvas(canvas)))
}

/// How the linearization's dashed mean is drawn.
enum DashedMean<'c> {
    /// as one native path on the canvas (plotters would draw every dash separately)
    Canvas(&'c HtmlCanvasElement),
    /// as a dashed series ([`svg::draw_dashed`]: one dashed polyline in an SVG)
    Series,
}

/// The main plot as an SVG document on `sheet`: the same drawing as on
/// the canvas (one function, two backends), text as text, the dashed mean as one dashed
/// polyline, and `provenance` inside ([`svg::document`]).
///
/// # Errors
/// [`PlotError`] from the backend.
pub fn function_plot_svg(
    p: &FunctionPlot,
    sheet: &Sheet,
    provenance: &Provenance,
) -> Result<String, PlotError> {
    svg::document(sheet, &p.caption, provenance, |root| draw_on(root, 1.0, p, DashedMean::Series).map(|_| ()))
}

/// Draws the main plot on `root` at device pixel ratio `dpr` (see [`draw_function_plot`]).
fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    dpr: f64,
    p: &FunctionPlot,
    dashed: DashedMean<'_>,
) -> Result<(Frame, Geometry), PlotError> {
    let px = move |v: f64| (v * dpr).round() as u32;
    let (x0, x1) = (p.x.first().copied().unwrap_or(-3.2), p.x.last().copied().unwrap_or(3.2));
    let (y0, y1) = y_range(p);
    let (cw, ch) = root.dim_in_pixel();
    let body = caption_above(root, &p.caption, 14.0 * dpr)?;
    let entries = legend_entries(p);
    let font = 12.0 * dpr;
    // Measured on the strip the legend is drawn in (the body less its side margins).
    let legend_h = legend::height(&body.margin(0, 0, px(8.0), px(8.0)), &entries, font);
    let (legend_area, chart_area) = body.split_vertically(legend_h.ceil() as u32 + px(6.0));
    let legend_box = legend::draw(&legend_area.margin(0, 0, px(8.0), px(8.0)), &entries, font)?;
    let x_desc = if p.x_desc.is_empty() { "input x" } else { &p.x_desc };
    let style =
        Style { labels: 12.0, desc: 13.0, x_area: 34.0, y_area: 44.0, margin: 8.0, ..Style::default() };
    let Panel { mut chart, area, labels } = panel(
        &chart_area,
        None,
        &Axis::linear(x0, x1, x_desc),
        &Axis::linear(y0, y1, if p.y_desc.is_empty() { "output f(x)" } else { &p.y_desc }),
        style,
        dpr,
    )?;
    let thin = px(1.0).max(1);
    let thick = px(2.0).max(1);
    let frame = Frame {
        px_x: (area.x0 / dpr, area.x1 / dpr),
        px_y: (area.y0 / dpr, area.y1 / dpr),
        x: (x0, x1),
        y: (y0, y1),
    };
    let [x_boxes, y_boxes] = labels;
    let geometry = Geometry {
        canvas: Some(Rect { x0: 0.0, y0: 0.0, x1: f64::from(cw), y1: f64::from(ch) }),
        areas: vec![area],
        legends: legend_box.into_iter().collect(),
        axes: vec![x_boxes, y_boxes],
    };
    for (band, color) in [(&p.nngp, NNGP_COLOR), (&p.ntk, NTK_COLOR)] {
        if let Some(b) = band {
            chart.draw_series(std::iter::once(Polygon::new(band_polygon(&p.x, b), color.mix(0.18))))?;
            chart.draw_series(LineSeries::new(
                p.x.iter().copied().zip(b.mean.iter().copied()),
                color.stroke_width(thick),
            ))?;
        }
    }
    for member in &p.members {
        chart.draw_series(LineSeries::new(
            p.x.iter().copied().zip(member.iter().map(|v| v.clamp(-1e3, 1e3))),
            NET_COLOR.mix(0.35).stroke_width(thin),
        ))?;
    }
    if let Some(b) = &p.net {
        let (lo, hi) = b.edges();
        chart.draw_series(LineSeries::new(
            p.x.iter().copied().zip(b.mean.iter().copied()),
            NET_COLOR.stroke_width(thick),
        ))?;
        for edge in [lo, hi] {
            chart
                .draw_series(LineSeries::new(p.x.iter().copied().zip(edge), NET_COLOR.stroke_width(thin)))?;
        }
    }
    if let Some(b) = &p.lin {
        // The dashed mean as one native canvas path (plotters draws every dash separately);
        // the ±2σ edges as thin solid lines.
        let (lo, hi) = b.edges();
        match dashed {
            DashedMean::Canvas(canvas) => {
                let points: Vec<(f64, f64)> =
                    p.x.iter().zip(&b.mean).map(|(&x, &y)| frame.to_css(x, y.clamp(-1e3, 1e3))).collect();
                dashed_path(canvas, &frame, &points, dpr, f64::from(thick), (6.0, 4.0))?;
            }
            DashedMean::Series => {
                let points = p.x.iter().copied().zip(b.mean.iter().map(|v| v.clamp(-1e3, 1e3))).collect();
                svg::draw_dashed(&mut chart, points, LIN_COLOR.stroke_width(thick), px(6.0), px(4.0))?;
            }
        }
        for edge in [lo, hi] {
            chart.draw_series(LineSeries::new(
                p.x.iter().copied().zip(edge),
                LIN_COLOR.mix(0.6).stroke_width(thin),
            ))?;
        }
    }
    if let Some(b) = &p.quad {
        // Its own colour, solid: the mean thick, the ±2σ edges thin and lighter.
        let (lo, hi) = b.edges();
        let clip = |v: &f64| v.clamp(-1e3, 1e3);
        chart.draw_series(LineSeries::new(
            p.x.iter().copied().zip(b.mean.iter().map(clip)),
            QUAD_COLOR.stroke_width(thick),
        ))?;
        for edge in [lo, hi] {
            chart.draw_series(LineSeries::new(
                p.x.iter().copied().zip(edge.iter().map(clip)),
                QUAD_COLOR.mix(0.5).stroke_width(thin),
            ))?;
        }
    }
    if !p.target.is_empty() {
        chart.draw_series(LineSeries::new(
            p.x.iter().copied().zip(p.target.iter().copied()),
            TARGET_COLOR.stroke_width(thin),
        ))?;
    }
    chart.draw_series(p.train.iter().map(|&(x, y)| Circle::new((x, y), px(4.5), POINT_COLOR.filled())))?;
    if let Some(&(x, y)) = p.selected.and_then(|i| p.train.get(i)) {
        chart.draw_series(std::iter::once(Circle::new((x, y), px(8.0), NET_COLOR.stroke_width(thick))))?;
    }
    if let Some(note) = &p.note {
        let style = TextStyle::from(("sans-serif", px(13.0)).into_font()).color(&RGBColor(160, 30, 20));
        let mut y = area.y0 + 8.0 * dpr;
        for line in note.split('\n') {
            root.draw(&Rectangle::new(
                [
                    ((area.x0 + 4.0 * dpr) as i32, (y - 2.0 * dpr) as i32),
                    ((area.x0 + 10.0 * dpr + text_width(line, 13.0 * dpr)) as i32, (y + 15.0 * dpr) as i32),
                ],
                RGBColor(255, 255, 255).mix(0.85).filled(),
            ))?;
            root.draw_text(line, &style, ((area.x0 + 7.0 * dpr) as i32, y as i32))?;
            y += 17.0 * dpr;
        }
    }
    Ok((frame, geometry))
}
