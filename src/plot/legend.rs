//! Legends outside the data: a strip of entries (a swatch and its text) laid out in rows across
//! the plot's width, above (or below) its plotting area, so a legend never hides a curve.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::Rect;
use super::PlotError;

/// How an entry's swatch is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Swatch {
    /// a line (dashed or not) of this width (CSS pixels)
    Line {
        /// colour
        color: RGBColor,
        /// width
        width: f64,
        /// dashed
        dashed: bool,
    },
    /// a dotted line of this width (CSS pixels)
    Dotted {
        /// colour
        color: RGBColor,
        /// width
        width: f64,
    },
    /// long dashes with short gaps of this width (CSS pixels)
    LongDashed {
        /// colour
        color: RGBColor,
        /// width
        width: f64,
    },
    /// a filled band
    Band(RGBAColor),
    /// a dot
    Dot(RGBColor),
    /// a line with a marker on it (series of points with a fit)
    Marker {
        /// the marker
        shape: Marker,
        /// colour
        color: RGBColor,
    },
}

/// A point marker (series are told apart by marker where colour has another meaning).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// a filled circle
    Circle,
    /// a filled triangle
    Triangle,
    /// a filled square
    Square,
    /// a cross
    Cross,
}

/// A marker of radius `r` (backing pixels) centred on `at`, as an element plotters draws.
pub fn marker_element<'b, C: Clone + 'b, DB: DrawingBackend + 'b>(
    at: C,
    shape: Marker,
    r: i32,
    color: RGBColor,
) -> DynElement<'b, DB, C> {
    let fill = color.filled();
    let e = EmptyElement::at(at);
    match shape {
        Marker::Circle => (e + Circle::new((0, 0), r, fill)).into_dyn(),
        Marker::Triangle => (e + TriangleMarker::new((0, 0), r + 1, fill)).into_dyn(),
        Marker::Square => (e + Rectangle::new([(-r, -r), (r, r)], fill)).into_dyn(),
        Marker::Cross => (e + Cross::new((0, 0), r, color.stroke_width(2))).into_dyn(),
    }
}

/// Draws a marker of `shape`, radius `r` (backing pixels) and `color` at each of `points` on
/// `chart` (the elements of [`marker_element`], as concrete types: any backend).
///
/// # Errors
/// [`PlotError`] from the backend.
pub fn draw_markers<DB, CT>(
    chart: &mut plotters::chart::ChartContext<'_, DB, CT>,
    points: &[CT::From],
    shape: Marker,
    r: i32,
    color: RGBColor,
) -> Result<(), super::PlotError>
where
    DB: DrawingBackend,
    CT: plotters::coord::CoordTranslate,
    CT::From: Clone + 'static,
{
    let fill = color.filled();
    let at = |p: &CT::From| EmptyElement::at(p.clone());
    match shape {
        Marker::Circle => chart.draw_series(points.iter().map(|p| at(p) + Circle::new((0, 0), r, fill)))?,
        Marker::Triangle => {
            chart.draw_series(points.iter().map(|p| at(p) + TriangleMarker::new((0, 0), r + 1, fill)))?
        }
        Marker::Square => {
            chart.draw_series(points.iter().map(|p| at(p) + Rectangle::new([(-r, -r), (r, r)], fill)))?
        }
        Marker::Cross => {
            chart.draw_series(points.iter().map(|p| at(p) + Cross::new((0, 0), r, color.stroke_width(2))))?
        }
    };
    Ok(())
}

/// One legend entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// the text
    pub text: String,
    /// its swatch
    pub swatch: Swatch,
}

/// Where each entry goes: (x, y) of its top-left corner relative to the strip, and the strip's
/// height (all in backing-store pixels).
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// top-left corner of each entry
    pub positions: Vec<(f64, f64)>,
    /// width of each entry
    pub widths: Vec<f64>,
    /// height of the strip
    pub height: f64,
    /// height of one row
    pub row: f64,
}

/// Lays out entries of the given text widths in rows across `width`: each entry is a swatch of
/// `swatch` pixels, a gap, its text, and a gap before the next; a row holds what fits.
pub fn layout(text_widths: &[f64], width: f64, font_px: f64) -> Layout {
    let swatch = 2.0 * font_px;
    let gap = 0.6 * font_px;
    let row = 1.5 * font_px;
    let (mut x, mut y) = (0.0, 0.0);
    let mut positions = Vec::with_capacity(text_widths.len());
    let mut widths = Vec::with_capacity(text_widths.len());
    for &tw in text_widths {
        let w = swatch + gap + tw + 2.0 * gap;
        if x > 0.0 && x + w > width {
            x = 0.0;
            y += row;
        }
        positions.push((x, y));
        widths.push(w);
        x += w;
    }
    let height = if text_widths.is_empty() { 0.0 } else { y + row };
    Layout { positions, widths, height, row }
}

/// The height a legend of `entries` needs across `area` at `font_px` (backing pixels).
pub fn height<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[Entry], font_px: f64) -> f64 {
    let texts = fitted_texts(area, entries, font_px);
    let widths: Vec<f64> = texts.iter().map(|(_, w)| *w).collect();
    layout(&widths, f64::from(area.dim_in_pixel().0), font_px).height
}

fn text_width(text: &str, font: &TextStyle) -> f64 {
    super::text::width(text, font).unwrap_or(text.chars().count() as f64 * 6.0)
}

/// Each entry's text and its width, shortened with "…" where an entry would not fit the
/// strip's width even alone on its row.
fn fitted_texts<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    font_px: f64,
) -> Vec<(String, f64)> {
    let font: TextStyle = ("sans-serif", font_px).into_font().into();
    // What an entry needs besides its text (see `layout`).
    let room = f64::from(area.dim_in_pixel().0) - (2.0 + 0.6 + 1.2) * font_px;
    entries
        .iter()
        .map(|e| {
            let mut text = e.text.clone();
            let mut w = text_width(&text, &font);
            let mut keep = text.chars().count();
            while w > room && keep > 1 {
                keep -= 1;
                text = e.text.chars().take(keep).collect::<String>() + "…";
                w = text_width(&text, &font);
            }
            (text, w)
        })
        .collect()
}

/// Draws `entries` in rows across `area` (a strip sized by [`height`]) and returns the box the
/// legend occupies (backing pixels, relative to the canvas).
///
/// # Errors
/// [`PlotError`] from the backend.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    font_px: f64,
) -> Result<Option<Rect>, PlotError> {
    if entries.is_empty() {
        return Ok(None);
    }
    let texts = fitted_texts(area, entries, font_px);
    let widths: Vec<f64> = texts.iter().map(|(_, w)| *w).collect();
    let l = layout(&widths, f64::from(area.dim_in_pixel().0), font_px);
    let font = ("sans-serif", font_px).into_font().color(&RGBColor(40, 40, 40));
    let swatch = 2.0 * font_px;
    for ((entry, &(x, y)), (text, _)) in entries.iter().zip(&l.positions).zip(&texts) {
        let mid = (y + l.row / 2.0) as i32;
        let (x0, x1) = (x as i32, (x + swatch) as i32);
        match entry.swatch {
            Swatch::Line { color, width, dashed } => {
                let w = (width * font_px / 12.0).round().max(1.0) as u32;
                if dashed {
                    let dash = (swatch / 4.0) as i32;
                    for s in (x0..x1).step_by((2 * dash).max(2) as usize) {
                        area.draw(&PathElement::new(
                            [(s, mid), ((s + dash).min(x1), mid)],
                            color.stroke_width(w),
                        ))?;
                    }
                } else {
                    area.draw(&PathElement::new([(x0, mid), (x1, mid)], color.stroke_width(w)))?;
                }
            }
            Swatch::Dotted { color, width } => {
                let w = (width * font_px / 12.0).round().max(1.0) as u32;
                let dot = (swatch / 10.0).max(1.0) as i32;
                for s in (x0..x1).step_by((2 * dot).max(2) as usize) {
                    area.draw(&PathElement::new(
                        [(s, mid), ((s + dot).min(x1), mid)],
                        color.stroke_width(w),
                    ))?;
                }
            }
            Swatch::LongDashed { color, width } => {
                let w = (width * font_px / 12.0).round().max(1.0) as u32;
                let gap = (swatch / 8.0).max(1.0) as i32;
                let mid_x = (x0 + x1) / 2;
                for (a, b) in [(x0, mid_x - gap / 2), (mid_x + gap / 2, x1)] {
                    area.draw(&PathElement::new([(a, mid), (b, mid)], color.stroke_width(w)))?;
                }
            }
            Swatch::Band(color) => {
                let h = (0.35 * font_px) as i32;
                area.draw(&Rectangle::new([(x0, mid - h), (x1, mid + h)], color.filled()))?;
            }
            Swatch::Dot(color) => {
                area.draw(&Circle::new(((x0 + x1) / 2, mid), (0.35 * font_px) as u32, color.filled()))?;
            }
            Swatch::Marker { shape, color } => {
                let w = (2.0 * font_px / 12.0).round().max(1.0) as u32;
                area.draw(&PathElement::new([(x0, mid), (x1, mid)], color.stroke_width(w)))?;
                area.draw(&marker_element(((x0 + x1) / 2, mid), shape, (0.3 * font_px) as i32, color))?;
            }
        }
        let tx = (x + swatch + 0.6 * font_px) as i32;
        area.draw(&Text::new(text.clone(), (tx, (y + 0.2 * font_px) as i32), font.clone()))?;
    }
    let (ox, oy) = area.get_base_pixel();
    let right = l.positions.iter().zip(&l.widths).map(|(p, w)| p.0 + w).fold(0.0, f64::max);
    Ok(Some(Rect {
        x0: f64::from(ox),
        y0: f64::from(oy),
        x1: f64::from(ox) + right,
        y1: f64::from(oy) + l.height,
    }))
}

#[cfg(test)]
mod tests {
    use super::layout;

    #[test]
    fn entries_wrap_into_rows_that_fit_the_width() {
        let l = layout(&[100.0, 100.0, 100.0], 300.0, 10.0);
        // Each entry: 20 swatch + 6 gap + 100 text + 12 = 138: two per row of 300.
        assert_eq!(l.positions, vec![(0.0, 0.0), (138.0, 0.0), (0.0, 15.0)]);
        assert_eq!(l.height, 30.0);
        let wide = layout(&[500.0], 300.0, 10.0);
        assert_eq!(
            (wide.positions[0], wide.height),
            ((0.0, 0.0), 15.0),
            "an entry wider than the strip gets its own row"
        );
        assert_eq!(layout(&[], 300.0, 10.0).height, 0.0);
    }
}
