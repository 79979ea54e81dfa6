//! Drawing the explorer's plots on `<canvas>` elements with plotters (plotters-canvas). The
//! functions here only draw the data they are given; sizing the canvas backing store for
//! high-DPI screens is [`fit_canvas`]'s job.

pub mod axes;
pub mod catapult_plot;
pub mod function_plot;
pub mod grid_heatmap;
pub mod heatmap;
pub mod legend;
pub mod loss_plot;
pub mod panel;
pub mod series_plot;
pub mod svg;
pub mod text;
pub mod widths_plot;

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, IntoDrawingArea, WHITE};
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

/// Why a plot could not be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlotError {
    /// The canvas has no 2-D context.
    #[error("the canvas cannot be drawn on")]
    NoContext,
    /// plotters reported an error.
    #[error("drawing failed: {0}")]
    Draw(String),
}

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>> for PlotError {
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        PlotError::Draw(e.to_string())
    }
}

/// The 2-D context of a canvas, for drawing what plotters draws one piece at a time (a dashed
/// path, a marker) in one native call.
pub fn context_2d(canvas: &HtmlCanvasElement) -> Option<web_sys::CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten().and_then(|c| wasm_bindgen::JsCast::dyn_into(c).ok())
}

/// An offscreen copy of a canvas's pixels (to restore a drawing without redrawing it), made in
/// `reuse` (an earlier copy) when given: a new canvas and context per redraw cost more than the
/// copy itself.
pub fn copy_canvas(
    canvas: &HtmlCanvasElement,
    reuse: Option<HtmlCanvasElement>,
) -> Option<HtmlCanvasElement> {
    let copy = match reuse {
        Some(c) => c,
        None => {
            let doc = web_sys::window()?.document()?;
            wasm_bindgen::JsCast::dyn_into(doc.create_element("canvas").ok()?).ok()?
        }
    };
    if copy.width() != canvas.width() || copy.height() != canvas.height() {
        copy.set_width(canvas.width());
        copy.set_height(canvas.height());
    }
    let ctx = context_2d(&copy)?;
    ctx.clear_rect(0.0, 0.0, f64::from(copy.width()), f64::from(copy.height()));
    ctx.draw_image_with_html_canvas_element(canvas, 0.0, 0.0).ok()?;
    Some(copy)
}

thread_local! {
    static EXPORT_SCALE: std::cell::Cell<f64> = const { std::cell::Cell::new(1.0) };
}

/// Runs `draw` with every canvas drawn at `scale` × its screen resolution (a PNG export at 2× or
/// 3×: the same figure, same layout in CSS pixels, `scale` × the pixels), then back at 1×.
pub fn at_scale<R>(scale: f64, draw: impl FnOnce() -> R) -> R {
    let before = EXPORT_SCALE.with(|s| s.replace(scale.clamp(1.0, 4.0)));
    let out = draw();
    EXPORT_SCALE.with(|s| s.set(before));
    out
}

/// The ratio of backing pixels to CSS pixels a canvas is drawn at: `devicePixelRatio` (in
/// [1, 4]) times the export scale of [`at_scale`].
fn pixel_ratio() -> f64 {
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).clamp(1.0, 4.0);
    dpr * EXPORT_SCALE.with(std::cell::Cell::get)
}

/// The backing-store size [`fit_canvas`] gives `canvas` (what a drawing made now would cover).
pub fn backing_size(canvas: &HtmlCanvasElement) -> (u32, u32) {
    let dpr = pixel_ratio();
    let (w, h) = (canvas.client_width().max(200) as f64, canvas.client_height().max(150) as f64);
    ((w * dpr).round() as u32, (h * dpr).round() as u32)
}

/// Sizes the canvas backing store to its CSS size × `devicePixelRatio` (crisp lines on
/// high-DPI screens; × the export scale inside [`at_scale`]) and returns that ratio, by which
/// fonts and line widths are scaled.
pub fn fit_canvas(canvas: &HtmlCanvasElement) -> f64 {
    let dpr = pixel_ratio();
    let (bw, bh) = backing_size(canvas);
    if canvas.width() != bw || canvas.height() != bh {
        canvas.set_width(bw);
        canvas.set_height(bh);
    }
    dpr
}

/// A plotters drawing area on a canvas.
pub type CanvasArea = DrawingArea<CanvasBackend, Shift>;

/// Below this canvas width (CSS pixels) a figure of several panels stacks them in one column
/// (panels side by side would crowd their titles on a phone).
pub const NARROW_PLOT_PX: f64 = 640.0;

/// The canvas sized by [`fit_canvas`], cleared to white, as a plotters drawing area, with the
/// device pixel ratio and the pixel-scaling function `v ↦ round(v · ratio)` for fonts and
/// line widths.
///
/// # Errors
/// [`PlotError::NoContext`] when the canvas has no 2-D context; a drawing error of the fill.
pub fn open_canvas(
    canvas: &HtmlCanvasElement,
) -> Result<(CanvasArea, f64, impl Fn(f64) -> u32 + Copy), PlotError> {
    let dpr = fit_canvas(canvas);
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or(PlotError::NoContext)?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE)?;
    Ok((root, dpr, move |v: f64| (v * dpr).round() as u32))
}

/// Draws on `canvas` with a figure's backend-generic drawing function: the canvas opened by
/// [`open_canvas`], `draw` given its area and device pixel ratio, then presented (the canvas
/// counterpart of [`svg::document`]).
///
/// # Errors
/// [`PlotError`] from opening the canvas or from `draw`.
pub fn on_canvas<R>(
    canvas: &HtmlCanvasElement,
    draw: impl FnOnce(&CanvasArea, f64) -> Result<R, PlotError>,
) -> Result<R, PlotError> {
    let (root, dpr, _) = open_canvas(canvas)?;
    let drawn = draw(&root, dpr)?;
    root.present()?;
    Ok(drawn)
}

/// Mean ± 2σ of a Gaussian (or an ensemble) on a grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    /// mean per grid point
    pub mean: Vec<f64>,
    /// standard deviation per grid point
    pub sd: Vec<f64>,
}

impl Band {
    /// From means and variances (negative rounding residues count as 0).
    pub fn from_mean_var(mean: &[f64], var: &[f64]) -> Band {
        Band { mean: mean.to_vec(), sd: var.iter().map(|v| v.max(0.0).sqrt()).collect() }
    }

    /// Lower and upper edges, mean ∓ 2σ.
    pub fn edges(&self) -> (Vec<f64>, Vec<f64>) {
        let lo = self.mean.iter().zip(&self.sd).map(|(m, s)| m - 2.0 * s).collect();
        let hi = self.mean.iter().zip(&self.sd).map(|(m, s)| m + 2.0 * s).collect();
        (lo, hi)
    }
}
