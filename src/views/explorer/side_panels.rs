//! The explorer's side panels: the loss curves of the theory and of the run through training
//! time, and the spectrum of the train kernels with the residual left in each mode at the time
//! shown. Each is drawn at most once per frame, and only when what it shows changed.

use leptos::prelude::*;
use ntk_core::nets::ensemble::checkpoint_steps;

use super::figures::{self, ensemble_loss_curves, theory_loss_curves};
use super::state::ExplorerState;
use crate::components::explain::Explain;
use crate::components::figure_export::{Figure, FigureExport};
use crate::plot::loss_plot::{draw_loss_curves, draw_loss_plot, draw_time_marker, loss_plot_svg, TimeAxis};
use crate::plot::series_plot::{draw_series_panel, series_panel_svg};
use crate::plot::svg::{Provenance, Sheet};
use crate::plot::{context_2d, copy_canvas};
use crate::problem::problem;
use crate::services::{timed_draw, track_viewport, FrameSlot};

/// Points of the loss curves of the theory (log-spaced steps).
const LOSS_CURVE_POINTS: usize = 60;

/// The loss curves and their export (see the module doc).
#[component]
fn LossPanel(
    /// the explorer's state
    state: ExplorerState,
) -> impl IntoView {
    let ExplorerState {
        params,
        theory,
        run_key,
        theory_key,
        current,
        results,
        shown_step,
        active,
        plot_error,
        ..
    } = state;
    let loss_canvas = NodeRef::<leptos::html::Canvas>::new();
    // The theory's expected losses depend on the parameters alone (not on the run's results:
    // computed once per setting, not per checkpoint).
    let has_test = Memo::new(move |_| {
        let key = theory_key.get();
        problem(&key.data, key.seed).is_ok_and(|d| d.points.y_test.is_some())
    });
    let theory_curves = Memo::new(move |_| {
        let key = run_key.get();
        let y_test = problem(&key.theory.data, key.theory.seed).ok().and_then(|d| d.points.y_test);
        let mut steps = checkpoint_steps(key.training.steps, LOSS_CURVE_POINTS);
        steps.retain(|&k| k > 0);
        theory.with(&key.theory, |t| {
            t.as_ref().ok().map_or_else(Vec::new, |t| {
                theory_loss_curves(
                    t,
                    &steps,
                    key.training.lr,
                    y_test.as_deref(),
                    key.training.alpha.is_some(),
                )
            })
        })
    });
    let curves = Memo::new(move |_| {
        let mut curves = theory_curves.get();
        let (summary, _) = results.get();
        if let Some(s) = summary.as_ref().filter(|_| current.get()) {
            curves.extend(ensemble_loss_curves(s, has_test.get()));
        }
        curves
    });
    // The curves are drawn when they change and kept in an offscreen copy (with the version of
    // the curves it shows); moving the time shown only restores that copy and draws the marker
    // (dashed curves are costly to draw). Both at most once per frame.
    let loss_base = StoredValue::new_local(None::<(web_sys::HtmlCanvasElement, TimeAxis, u64)>);
    let loss_version = StoredValue::new(0u64);
    let loss_frame = FrameSlot::default();
    let shown_time = Memo::new(move |_| params.with(|p| p.training.lr) * shown_step.get() as f64);
    let draw_loss = move || {
        let Some(canvas) = loss_canvas.get_untracked() else { return };
        let (now, version) = (shown_time.get_untracked(), loss_version.get_value());
        timed_draw(&canvas, || {
            let restored = loss_base.with_value(|base| {
                let (copy, axis, _) = base.as_ref().filter(|b| b.2 == version)?;
                let same_size = copy.width() == canvas.width() && copy.height() == canvas.height();
                let ctx = context_2d(&canvas).filter(|_| same_size)?;
                ctx.draw_image_with_html_canvas_element(copy, 0.0, 0.0).ok()?;
                draw_time_marker(&canvas, axis, now).ok()
            });
            if restored.is_some() {
                return;
            }
            match draw_loss_curves(&canvas, &curves.get_untracked()) {
                Ok((axis, geometry)) => {
                    crate::hooks::record(&canvas, "data-geometry", || {
                        serde_json::to_string(&geometry).unwrap_or_default()
                    });
                    let reuse = loss_base.try_update_value(|b| b.take().map(|(copy, _, _)| copy)).flatten();
                    loss_base.set_value(copy_canvas(&canvas, reuse).map(|copy| (copy, axis, version)));
                    let _ = draw_time_marker(&canvas, &axis, now);
                }
                Err(e) => plot_error.set(Some(e.to_string())),
            }
        });
    };
    Effect::new(move |_| {
        curves.track();
        track_viewport();
        loss_version.update_value(|v| *v += 1);
        if active.get() {
            loss_frame.draw(draw_loss);
        }
    });
    Effect::new(move |_| {
        shown_time.track();
        if active.get() {
            loss_frame.draw(draw_loss);
        }
    });
    let loss_figure = Figure {
        canvas: loss_canvas,
        redraw: Callback::new(move |()| {
            loss_canvas.get_untracked().is_some_and(|c| {
                draw_loss_plot(&c, &curves.get_untracked(), shown_time.get_untracked()).is_ok()
            })
        }),
        svg: Callback::new(move |(sheet, provenance): (Sheet, Provenance)| {
            Some(loss_plot_svg(&curves.get_untracked(), shown_time.get_untracked(), &sheet, &provenance))
        }),
        command: state.ensemble_command(),
        step: Signal::derive(move || Some(shown_step.get())),
    };
    view! {
        <h2>"Loss curves"</h2>
        <canvas node_ref=loss_canvas class="plot loss" data-testid="loss-plot"
            role="img" aria-label="train and test loss against training time"></canvas>
        <FigureExport id="loss" figure=loss_figure />
    }
}

/// The spectrum of the train kernels, from the theory's own eigendecompositions, with the
/// residual left in each mode at the time shown, and its export.
#[component]
fn SpectrumPanel(
    /// the explorer's state
    state: ExplorerState,
) -> impl IntoView {
    let ExplorerState { params, theory, theory_key, shown_step, active, plot_error, .. } = state;
    let spectrum_canvas = NodeRef::<leptos::html::Canvas>::new();
    let spectra =
        Memo::new(move |_| theory.with(&theory_key.get(), |t| t.as_ref().ok().map(|t| t.dynamics.spectra())));
    let spectrum_frame = FrameSlot::default();
    Effect::new(move |_| {
        track_viewport();
        let (step, lr) = (shown_step.get(), params.with(|p| p.training.lr));
        let s = spectra.get();
        if !active.get() {
            return;
        }
        let (Some(canvas), Some(s)) = (spectrum_canvas.get(), s) else { return };
        let panel = figures::spectrum_panel(&s, step, lr);
        spectrum_frame.draw(move || {
            if let Err(e) = timed_draw(&canvas, || draw_series_panel(&canvas, &panel)) {
                plot_error.set(Some(e.to_string()));
            }
            crate::hooks::record(&canvas, "data-series", || {
                let series: Vec<&Vec<(f64, f64)>> = panel.lines.iter().map(|l| &l.points).collect();
                serde_json::to_string(&series).unwrap_or_default()
            });
            crate::hooks::record(&canvas, "data-step", || step.to_string());
        });
    });
    let spectrum_badge = move || spectra.with(|s| s.as_ref().map_or(String::new(), figures::spectrum_badge));
    let spectrum_now = move || {
        let s = spectra.get_untracked()?;
        Some(figures::spectrum_panel(
            &s,
            shown_step.get_untracked(),
            params.with_untracked(|p| p.training.lr),
        ))
    };
    let spectrum_figure = Figure {
        canvas: spectrum_canvas,
        redraw: Callback::new(move |()| {
            let (Some(c), Some(panel)) = (spectrum_canvas.get_untracked(), spectrum_now()) else {
                return false;
            };
            draw_series_panel(&c, &panel).is_ok()
        }),
        svg: Callback::new(move |(sheet, provenance): (Sheet, Provenance)| {
            let title = "Spectrum of the train kernels: eigenvalues, target projections and residuals";
            spectrum_now().map(|panel| series_panel_svg(&panel, title, &sheet, &provenance))
        }),
        command: Signal::derive(move || params.with(|p| p.spectrum_command(shown_step.get()))),
        step: Signal::derive(move || Some(shown_step.get())),
    };
    view! {
        <h2>"Spectrum of the train kernels"</h2>
        <canvas node_ref=spectrum_canvas class="plot loss" data-testid="spectrum-plot"
            role="img" aria-label="eigenvalues of the train NTK and NNGP kernels, the target's projection on each mode and the residual left in each mode at the time shown"></canvas>
        <FigureExport id="spectrum" figure=spectrum_figure />
        <p class="hint" data-testid="spectrum-badge">{spectrum_badge}</p>
        {move || params.with(|p| p.spectrum_command(shown_step.get())).map(|c| view! {
            <code class="cli" data-testid="spectrum-cli">{c}</code>
        })}
        <p class="hint">"Mode i of Θ is learned on the time scale N/λᵢ: its residual falls as (1 − ηλᵢ/N)^k. The large-eigenvalue directions are learned first (spectral bias)."</p>
    }
}

/// The side panels (see the module doc) and the explanations under them.
#[component]
pub fn SidePanels(
    /// the explorer's state
    state: ExplorerState,
) -> impl IntoView {
    view! {
        <section class="panel side" data-testid="side-panels" aria-label="Side panels">
            <LossPanel state=state />
            <SpectrumPanel state=state />
            <Explain />
        </section>
    }
}
