//! One plotting panel, the way every plot of the page lays it out: an optional caption, axes
//! whose ticks are chosen to fit the space ([`super::axes`]) and written for people, light grid
//! lines, axis descriptions, and the geometry of what it drew (its plotting area and label
//! boxes) for the layout tests.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{labels_that_fit, tick_label, Rect, Ticked};
use super::PlotError;

/// One axis of a panel: its range, scale and description.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// smallest value shown
    pub lo: f64,
    /// largest value shown
    pub hi: f64,
    /// logarithmic (lo > 0)
    pub log: bool,
    /// what it is ("time t = η·k")
    pub desc: String,
}

impl Axis {
    /// A linear axis.
    pub fn linear(lo: f64, hi: f64, desc: &str) -> Axis {
        Axis { lo, hi, log: false, desc: desc.to_string() }
    }

    /// A logarithmic axis (lo > 0).
    pub fn log(lo: f64, hi: f64, desc: &str) -> Axis {
        Axis { lo, hi, log: true, desc: desc.to_string() }
    }

    fn ticked(&self, max: usize) -> Ticked {
        if self.log {
            Ticked::log(self.lo, self.hi, max)
        } else {
            Ticked::linear(self.lo, self.hi, max)
        }
    }
}

/// Sizes of a panel's text and margins, in CSS pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    /// caption font
    pub caption: f64,
    /// tick-label font
    pub labels: f64,
    /// axis-description font
    pub desc: f64,
    /// height of the x-label area
    pub x_area: f64,
    /// width of the y-label area
    pub y_area: f64,
    /// margin around the panel
    pub margin: f64,
}

impl Default for Style {
    fn default() -> Self {
        Style { caption: 13.0, labels: 11.0, desc: 12.0, x_area: 32.0, y_area: 50.0, margin: 6.0 }
    }
}

/// A panel drawn: its chart (to draw series on), its plotting area and its label boxes.
pub struct Panel<'a, DB: DrawingBackend> {
    /// the chart, in data coordinates
    pub chart: ChartContext<'a, DB, Cartesian2d<Ticked, Ticked>>,
    /// the plotting area (backing pixels)
    pub area: Rect,
    /// x-label boxes, then y-label boxes
    pub labels: [Vec<Rect>; 2],
}

/// The width of `text` at `font_px` (backing pixels) as the canvas measures it.
pub fn text_width(text: &str, font_px: f64) -> f64 {
    let style: TextStyle = ("sans-serif", font_px).into_font().into();
    super::text::width(text, &style).unwrap_or(0.6 * font_px * text.chars().count() as f64)
}

/// Draws `caption` centred at the top of `area` and returns the area below it. A caption
/// wider than the area goes on two lines (split at " — "), and in a smaller font (down to 0.6×)
/// if a line still does not fit: never clipped at the canvas edges.
///
/// # Errors
/// [`PlotError`] from the backend.
pub fn caption_above<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    font_px: f64,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    let width = f64::from(area.dim_in_pixel().0);
    let room = 0.96 * width;
    let lines: Vec<&str> = match caption.split_once(" — ") {
        Some((a, b)) if text_width(caption, font_px) > room => vec![a, b],
        _ => vec![caption],
    };
    let widest = lines.iter().map(|l| text_width(l, font_px)).fold(0.0, f64::max);
    let font = if widest > room { (font_px * room / widest).max(0.6 * font_px) } else { font_px };
    let style: TextStyle = ("sans-serif", font).into_font().into();
    let line_h = 1.3 * font;
    for (i, line) in lines.iter().enumerate() {
        let x = ((width - text_width(line, font)) / 2.0).max(0.0);
        area.draw_text(line, &style, (x as i32, (0.25 * font + i as f64 * line_h) as i32))?;
    }
    let used = 0.5 * font + lines.len() as f64 * line_h;
    Ok(area.split_vertically(used.ceil() as u32).1)
}

/// Draws a panel's frame on `area` (caption, grid, ticks that fit, descriptions) at device
/// pixel ratio `dpr`.
///
/// # Errors
/// [`PlotError`] from the backend.
pub fn panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: Option<&str>,
    x: &Axis,
    y: &Axis,
    style: Style,
    dpr: f64,
) -> Result<Panel<'a, DB>, PlotError> {
    let px = |v: f64| (v * dpr).round() as u32;
    let (label_px, desc_px) = (style.labels * dpr, style.desc * dpr);
    let (aw, ah) = area.dim_in_pixel();
    let caption_h = caption.map_or(0.0, |_| 1.6 * style.caption * dpr);
    let y_room = f64::from(ah) - caption_h - style.x_area * dpr - 2.0 * style.margin * dpr;
    let y_axis = y.ticked(labels_that_fit(y_room, label_px));
    // The y-label area holds the widest tick label, the tick and the rotated description side
    // by side: at least the style's width, wider for long labels ("−0.25", "1e-3").
    let widest_y = y_axis.ticks().iter().map(|&v| text_width(&tick_label(v), label_px)).fold(0.0, f64::max);
    let y_area = (style.y_area * dpr).max(widest_y + 1.3 * desc_px + 12.0 * dpr);
    let x_room = f64::from(aw) - y_area - 2.0 * style.margin * dpr;
    // The widest label an axis can get decides how many fit.
    let widest = |a: &Axis| {
        [a.lo, a.hi, 0.5 * (a.lo + a.hi), a.hi * 0.37]
            .iter()
            .chain(a.ticked(12).ticks())
            .map(|&v| text_width(&tick_label(v), label_px))
            .fold(0.0, f64::max)
    };
    let x_axis = x.ticked(labels_that_fit(x_room, widest(x)));
    let (x_ticks, y_ticks) = (x_axis.ticks().to_vec(), y_axis.ticks().to_vec());
    // An axis description longer than its axis is drawn smaller (down to 0.6×), not past the
    // axis's ends into the legend or the caption.
    let fit = |desc: &str, room: f64| {
        let w = text_width(desc, desc_px);
        if w > 0.98 * room && w > 0.0 {
            (0.98 * room / w).max(0.6)
        } else {
            1.0
        }
    };
    let desc_px = desc_px * fit(&x.desc, x_room).min(fit(&y.desc, y_room));
    // Room on the right for half of the last x label (it is centred on its tick).
    let last_half = x_ticks.last().map_or(0.0, |&t| 0.5 * text_width(&tick_label(t), label_px));
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(px(style.margin))
        .margin_right((style.margin * dpr).max(last_half + 2.0 * dpr).round() as u32)
        .x_label_area_size(px(style.x_area))
        .y_label_area_size(y_area.round() as u32);
    if let Some(c) = caption {
        builder.caption(c, ("sans-serif", px(style.caption)));
    }
    let mut chart = builder.build_cartesian_2d(x_axis, y_axis)?;
    chart
        .configure_mesh()
        .bold_line_style(RGBColor(232, 232, 232))
        .x_desc(x.desc.as_str())
        .y_desc(y.desc.as_str())
        .label_style(("sans-serif", label_px))
        .axis_desc_style(("sans-serif", desc_px))
        .x_label_formatter(&|v| tick_label(*v))
        .y_label_formatter(&|v| tick_label(*v))
        .draw()?;
    let (px_x, px_y) = chart.plotting_area().get_pixel_range();
    let plot_area = Rect {
        x0: f64::from(px_x.start),
        y0: f64::from(px_y.start),
        x1: f64::from(px_x.end),
        y1: f64::from(px_y.end),
    };
    let x_boxes = x_ticks
        .iter()
        .map(|&t| {
            let (cx, _) = chart.backend_coord(&(t, y.lo));
            let w = text_width(&tick_label(t), label_px);
            Rect::centred(f64::from(cx), plot_area.y1 + 0.3 * style.x_area * dpr, w, label_px)
        })
        .collect();
    let y_boxes = y_ticks
        .iter()
        .map(|&v| {
            let (_, cy) = chart.backend_coord(&(x.lo, v));
            let (w, cy) = (text_width(&tick_label(v), label_px), f64::from(cy));
            let right = plot_area.x0 - 5.0 * dpr;
            Rect { x0: right - w, y0: cy - label_px / 2.0, x1: right, y1: cy + label_px / 2.0 }
        })
        .collect();
    Ok(Panel { chart, area: plot_area, labels: [x_boxes, y_boxes] })
}
