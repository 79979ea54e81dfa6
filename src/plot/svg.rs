//! Figures as SVG documents for papers and slides: the same drawing function as on the canvas
//! (each figure's `draw_…_on` is generic over the plotters backend), drawn through plotters'
//! SVG backend at 1 CSS pixel per unit, with
//! - text as text, at the font sizes the canvas draws and the layout measured;
//! - each dashed or dotted series as **one** polyline with a `stroke-dasharray` (plotters
//!   would write every dash as a line of its own): [`draw_dashed`] draws it in a marker colour
//!   while [`document`] records, and the document restyles the marker afterwards;
//! - where the figure came from ([`Provenance`]: the page link, the `ntk` command, the step,
//!   the version) in its `<title>`, `<desc>` and `<metadata>`.

use std::cell::RefCell;

use plotters::chart::ChartContext;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::series::DashedLineSeries;

use super::PlotError;

/// What the file of a figure says about where it came from: the page link that reproduces
/// it, the equivalent `ntk` command where there is one, the training step shown (if the figure
/// shows one step) and the program's version.
#[derive(Clone, Debug, PartialEq)]
pub struct Provenance {
    /// the page link (absolute URL) that reproduces the figure
    pub link: String,
    /// the `ntk` command that computes the same numbers, if any
    pub command: Option<String>,
    /// the training step shown, if the figure shows one
    pub step: Option<u64>,
    /// the program's version
    pub version: String,
}

/// A length unit of a figure's file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// CSS pixels (1/96 inch)
    Px,
    /// centimetres
    Cm,
}

/// CSS pixels per centimetre (96 per inch).
pub const PX_PER_CM: f64 = 96.0 / 2.54;

/// The page a figure is drawn on: its size in a unit, and the scale of its text and lines
/// (2: twice as large against the figure, as on a slide).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sheet {
    /// width and height in `unit`
    pub size: (f64, f64),
    /// the unit of `size`
    pub unit: Unit,
    /// text and line scale (1: as on screen)
    pub scale: f64,
}

/// Text and line scales accepted: [0.5, 4].
pub const SCALE_RANGE: (f64, f64) = (0.5, 4.0);

impl Sheet {
    /// A sheet of `width` × `height` CSS pixels at scale 1 (the figure as on screen).
    pub fn px((width, height): (u32, u32)) -> Sheet {
        Sheet { size: (f64::from(width), f64::from(height)), unit: Unit::Px, scale: 1.0 }
    }

    /// The size the figure is laid out at (CSS pixels): the sheet's size divided by the scale,
    /// each side at least 100 px.
    pub fn layout_px(&self) -> (u32, u32) {
        let per_unit = match self.unit {
            Unit::Px => 1.0,
            Unit::Cm => PX_PER_CM,
        };
        let scale = self.scale.clamp(SCALE_RANGE.0, SCALE_RANGE.1);
        let side = |v: f64| ((v * per_unit / scale).round().max(100.0)) as u32;
        (side(self.size.0), side(self.size.1))
    }

    /// The root element's `width` and `height` attributes.
    fn attributes(&self) -> (String, String) {
        let unit = match self.unit {
            Unit::Px => "",
            Unit::Cm => "cm",
        };
        let (w, h) = self.size;
        (format!("{}{unit}", tidy(w)), format!("{}{unit}", tidy(h)))
    }
}

fn tidy(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A dashed series drawn while a document records: its marker colour, its real colour and
/// its dash pattern (CSS pixels on, off).
#[derive(Clone, Copy, Debug)]
struct Dash {
    marker: RGBColor,
    color: RGBColor,
    on: u32,
    off: u32,
}

thread_local! {
    /// The dashed series of the SVG being drawn (`None` outside [`document`]).
    static DASHES: RefCell<Option<Vec<Dash>>> = const { RefCell::new(None) };
}

/// The marker colour of the `n`-th dashed series of a document: `#01FEnn`, a colour no figure
/// draws (at most 256 dashed series per figure; more share the last marker's style).
fn marker(n: usize) -> RGBColor {
    RGBColor(1, 254, n.min(255) as u8)
}

fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// Draws `points` as a dashed line (`on` pixels drawn, `off` skipped, in the backend's pixels)
/// on `chart`: plotters' dashes on a canvas; inside [`document`], one polyline that the
/// document gives a `stroke-dasharray`.
///
/// # Errors
/// [`PlotError`] from the backend.
pub fn draw_dashed<DB, CT>(
    chart: &mut ChartContext<'_, DB, CT>,
    points: Vec<CT::From>,
    style: ShapeStyle,
    on: u32,
    off: u32,
) -> Result<(), PlotError>
where
    DB: DrawingBackend,
    CT: CoordTranslate,
    CT::From: Clone + 'static,
{
    let recorded = DASHES.with(|d| {
        d.borrow_mut().as_mut().map(|dashes| {
            let m = marker(dashes.len());
            let c = style.color;
            dashes.push(Dash { marker: m, color: RGBColor(c.0, c.1, c.2), on, off });
            m
        })
    });
    match recorded {
        Some(m) => {
            let marked = ShapeStyle { color: m.mix(style.color.3), ..style };
            chart.draw_series(std::iter::once(PathElement::new(points, marked)))?;
        }
        None => {
            chart.draw_series(DashedLineSeries::new(points, on, off, style))?;
        }
    }
    Ok(())
}

/// Ends the recording of dashed series when dropped (also when the drawing fails).
struct Recording;

impl Recording {
    fn start() -> Recording {
        DASHES.with(|d| *d.borrow_mut() = Some(Vec::new()));
        Recording
    }

    fn dashes(&self) -> Vec<Dash> {
        DASHES.with(|d| d.borrow().clone().unwrap_or_default())
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        DASHES.with(|d| *d.borrow_mut() = None);
    }
}

/// Escapes text for an XML attribute or element.
pub fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An SVG document of the size of `sheet`, white, with what `draw` draws on it (laid out at
/// [`Sheet::layout_px`], device pixel ratio 1, and scaled to the sheet by its `viewBox`),
/// dashed series as dashed polylines ([`draw_dashed`]), fonts at their drawn sizes, and
/// `title` and `provenance` in its `<title>`, `<desc>` and `<metadata>`.
///
/// # Errors
/// [`PlotError`] from the backend or from `draw`.
pub fn document(
    sheet: &Sheet,
    title: &str,
    provenance: &Provenance,
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<(), PlotError>,
) -> Result<String, PlotError> {
    let (width, height) = sheet.layout_px();
    let mut svg = String::new();
    let dashes = {
        let recording = Recording::start();
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
        recording.dashes()
    };
    let mut svg = restore_font_sizes(&svg);
    for d in dashes {
        svg = svg.replace(
            &format!("stroke=\"{}\"", hex(d.marker)),
            &format!("stroke=\"{}\" stroke-dasharray=\"{} {}\"", hex(d.color), d.on, d.off),
        );
    }
    let command = provenance.command.as_deref().unwrap_or("");
    let step = provenance.step.map_or(String::new(), |s| format!(" step=\"{s}\""));
    let head = format!(
        "<title>{}</title><desc>{}</desc><metadata><wide-explorer xmlns=\"https://wide-explorer.invalid/provenance\" link=\"{}\" command=\"{}\"{} version=\"{}\"/></metadata>",
        xml_escape(title),
        xml_escape(&format!(
            "Drawn by {}{}. Reproduce: {}{}",
            provenance.version,
            provenance.step.map_or(String::new(), |s| format!(", step {s}")),
            provenance.link,
            if command.is_empty() { String::new() } else { format!(" or: {command}") }
        )),
        xml_escape(&provenance.link),
        xml_escape(command),
        step,
        xml_escape(&provenance.version),
    );
    // The opening <svg …> tag with the sheet's size, then the head.
    let Some((open, close)) = svg.find("<svg").and_then(|i| svg[i..].find('>').map(|j| (i, i + j + 1)))
    else {
        return Ok(svg);
    };
    let (w, h) = sheet.attributes();
    let tag = format!(
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    Ok(format!("{}{tag}\n{head}{}", &svg[..open], &svg[close..]))
}

/// plotters' SVG backend writes a font of size s as `font-size="s/1.24"` (points read as
/// pixels); the canvas draws it at s pixels, and the layout measured it so. Back to s.
fn restore_font_sizes(svg: &str) -> String {
    const KEY: &str = "font-size=\"";
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(i) = rest.find(KEY) {
        let start = i + KEY.len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find('"').unwrap_or(rest.len());
        match rest[..end].parse::<f64>() {
            Ok(v) => out.push_str(&format!("{:.2}", v * 1.24)),
            Err(_) => out.push_str(&rest[..end]),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}
