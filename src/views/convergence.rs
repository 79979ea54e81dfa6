//! Kernel convergence (paper SM I, Figures S9–S10), a section of the width-scaling view: the
//! empirical NNGP kernel and NTK of M random networks of width n, averaged, against the analytic
//! kernels — relative Frobenius error against n for several M, with fitted slopes (−½ in n by
//! the central limit theorem; in M, −½ until the finite-width bias is reached). Run on demand
//! in workers ([`ConvergenceService`]).

use leptos::prelude::*;
use ntk_core::experiments::kernel_convergence::{ConvergenceData, ConvergenceResult, ConvergenceSpec};
use ntk_core::stats::PowerLawFit;
use ntk_core::Architecture;

use crate::components::figure_export::{Figure, FigureExport};
use crate::params::arch::activation_name;
use crate::plot::legend::{Entry, Swatch};
use crate::plot::panel::Axis;
use crate::plot::series_plot::{draw_series_panel, series_panel_svg, Dash, Line, SeriesPanel};
use crate::plot::svg::{Provenance, Sheet};
use crate::plot::widths_plot::{signed, REFERENCE_COLOR, SERIES_COLORS};
use crate::services::convergence::{ConvergenceService, ConvergenceState};
use crate::services::{timed_draw, track_viewport, FrameSlot};

/// Widths of the study (a doubling grid).
pub const WIDTHS: [usize; 6] = [16, 32, 64, 128, 256, 512];
/// Monte Carlo sample counts M.
pub const SAMPLES: [usize; 4] = [1, 4, 16, 64];

/// The study of an architecture (`ntk convergence`'s defaults: 8 N(0, 1) points in 16
/// dimensions).
pub fn study(arch: &Architecture) -> ConvergenceSpec {
    ConvergenceSpec {
        arch: Architecture { param: ntk_core::Parameterization::Ntk, ..*arch },
        data: ConvergenceData::Gaussian { points: 8, dim: 16, seed: 1 },
        widths: WIDTHS.to_vec(),
        samples: SAMPLES.to_vec(),
        seed: 0,
    }
}

/// The `ntk convergence` command of [`study`].
pub fn command(arch: &Architecture) -> String {
    let act = match arch.activation {
        ntk_core::Activation::Custom(c) => format!("'custom:{}'", c.source()),
        other => activation_name(other).to_string(),
    };
    let samples = SAMPLES.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
    format!(
        "ntk convergence --act {act} --depth {} --sw2 {} --sb2 {} --min-width {} --max-width {} --samples {samples}",
        arch.depth,
        arch.sw2,
        arch.sb2,
        WIDTHS[0],
        WIDTHS[WIDTHS.len() - 1]
    )
}

fn slope_text(fit: Option<&PowerLawFit>) -> String {
    fit.map_or("—".to_string(), |f| match f.slope_stderr {
        Some(e) => format!("{} ± {e:.2}", signed(f.slope)),
        None => signed(f.slope),
    })
}

/// One kernel's panel: mean error against width for each M, with its fitted slope, and the
/// −½ reference through the M = 1 curve's first point.
pub fn panel(result: Option<&ConvergenceResult>, ntk: bool) -> SeriesPanel {
    let mut lines = Vec::new();
    let mut legend = Vec::new();
    if let Some(r) = result {
        for (k, &m) in r.spec.samples.iter().enumerate() {
            let color = SERIES_COLORS[k % SERIES_COLORS.len()];
            let pts: Vec<(f64, f64)> = r
                .points
                .iter()
                .map(|p| (p.width as f64, if ntk { p.errors[k].ntk.mean } else { p.errors[k].nngp.mean }))
                .collect();
            let slopes = &r.width_slopes[k];
            let fit = if ntk { slopes.ntk.as_ref() } else { slopes.nngp.as_ref() };
            legend.push(Entry {
                text: format!("M = {m}: slope {}", slope_text(fit)),
                swatch: Swatch::Line { color, width: 2.0, dashed: false },
            });
            lines.push(Line { color, dash: Dash::Solid, width: 2.0, points: pts });
        }
        if let Some(&(w0, e0)) = lines.first().and_then(|l| l.points.first()) {
            let w1 = r.points.last().map_or(w0, |p| p.width as f64);
            lines.push(Line {
                color: REFERENCE_COLOR,
                dash: Dash::Dashed,
                width: 1.2,
                points: vec![(w0, e0), (w1, e0 * (w1 / w0).powf(-0.5))],
            });
            legend.push(Entry {
                text: "slope −1/2 (reference)".into(),
                swatch: Swatch::Line { color: REFERENCE_COLOR, width: 1.2, dashed: true },
            });
        }
    }
    let ys = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).filter(|v| v.is_finite() && *v > 0.0);
    let (lo, hi) = ys.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = if lo.is_finite() && hi > lo { (lo / 1.6, hi * 1.6) } else { (1e-3, 1.0) };
    let kernel = if ntk { "‖Θ̄_M − Θ‖_F / ‖Θ‖_F" } else { "‖K̄_M − K‖_F / ‖K‖_F" };
    SeriesPanel {
        x: Axis::log(WIDTHS[0] as f64 / 1.3, WIDTHS[WIDTHS.len() - 1] as f64 * 1.3, "hidden width n"),
        y: Axis::log(lo, hi, kernel),
        lines,
        legend,
        marker: None,
        note: result.is_none().then(|| "no results yet: press “Run the kernel study”".to_string()),
    }
}

fn status(s: &ConvergenceState) -> String {
    match (&s.error, s.running, &s.result) {
        (Some(e), _, _) => format!("Kernel study: {e}"),
        (None, true, _) => format!("Kernel study: sampling networks… {:.0}%", 100.0 * s.fraction()),
        (None, false, Some(r)) => {
            format!("Kernel study: done, {} widths × {} networks", r.points.len(), r.spec.max_samples())
        }
        _ => String::new(),
    }
}

/// The kernel-convergence section for the architecture `arch` (the width view's).
#[component]
pub fn KernelConvergence(
    /// the architecture studied
    #[prop(into)]
    arch: Signal<Architecture>,
    /// whether the view is shown
    #[prop(into)]
    active: Signal<bool>,
) -> impl IntoView {
    let service = expect_context::<ConvergenceService>();
    let state = service.state;
    let canvases: [NodeRef<leptos::html::Canvas>; 2] = std::array::from_fn(|_| NodeRef::new());
    let frame = FrameSlot::default();
    Effect::new(move |_| {
        track_viewport();
        let result = state.with(|s| s.result.clone());
        if !active.get() {
            return;
        }
        let targets: Vec<_> = canvases.iter().map(|c| c.get()).collect();
        let panels = [panel(result.as_ref(), false), panel(result.as_ref(), true)];
        frame.draw(move || {
            for (c, p) in targets.into_iter().zip(panels.iter()) {
                let Some(c) = c else { continue };
                let _ = timed_draw(&c, || draw_series_panel(&c, p));
                crate::hooks::record(&c, "data-slopes", || {
                    result.as_ref().map_or(String::new(), |r| {
                        let w: Vec<[Option<f64>; 2]> = r
                            .width_slopes
                            .iter()
                            .map(|s| [s.nngp.map(|f| f.slope), s.ntk.map(|f| f.slope)])
                            .collect();
                        serde_json::to_string(&w).unwrap_or_default()
                    })
                });
            }
        });
    });
    let running = move || state.with(|s| s.running);
    // Each figure as a file (PNG at 1–3×, SVG on a sheet), with the study's command.
    let figure = |i: usize, title: &'static str| Figure {
        canvas: canvases[i],
        redraw: Callback::new(move |()| {
            let p = state.with_untracked(|s| panel(s.result.as_ref(), i == 1));
            canvases[i].get_untracked().is_some_and(|c| draw_series_panel(&c, &p).is_ok())
        }),
        svg: Callback::new(move |(sheet, provenance): (Sheet, Provenance)| {
            let p = state.with_untracked(|s| panel(s.result.as_ref(), i == 1));
            Some(series_panel_svg(&p, title, &sheet, &provenance))
        }),
        command: Signal::derive(move || Some(command(&arch.get()))),
        step: Signal::derive(|| None),
    };
    let nngp_figure = figure(0, "Relative error of the averaged empirical NNGP kernel against width");
    let ntk_figure = figure(1, "Relative error of the averaged empirical NTK against width");
    view! {
        <section class="convergence" data-testid="convergence">
            <h2>"Kernel convergence: how fast do the empirical kernels reach the analytic ones? (Figures S9, S10)"</h2>
            <p class="hint">
                "The NNGP kernel K̂ and NTK Θ̂ of one random network of width n fluctuate around the analytic K and Θ by O(n^−1/2) (a central limit theorem over the n hidden units); an average over M networks shrinks the fluctuation by M^−1/2, down to the finite-width bias (O(1/n) beyond one hidden layer). Here: 8 N(0, 1) points in 16 dimensions, this view's architecture."
            </p>
            <div class="run-row">
                <button class="primary" data-testid="run-convergence" on:click=move |_| service.start(study(&arch.get_untracked()))>"Run the kernel study"</button>
                <button data-testid="cancel-convergence" prop:disabled=move || !running() on:click=move |_| service.cancel()>"Cancel"</button>
                <span class="hint" data-testid="convergence-status">{move || state.with(status)}</span>
            </div>
            <div class="figures">
                <figure class="figure">
                    <figcaption>"NNGP kernel"</figcaption>
                    <canvas node_ref=canvases[0] class="plot series" data-testid="convergence-nngp" role="img"
                        aria-label="relative error of the averaged empirical NNGP kernel against width, one curve per number of networks averaged"></canvas>
                    <FigureExport id="convergence-nngp" figure=nngp_figure />
                </figure>
                <figure class="figure">
                    <figcaption>"NTK"</figcaption>
                    <canvas node_ref=canvases[1] class="plot series" data-testid="convergence-ntk" role="img"
                        aria-label="relative error of the averaged empirical NTK against width, one curve per number of networks averaged"></canvas>
                    <FigureExport id="convergence-ntk" figure=ntk_figure />
                </figure>
            </div>
            <div class="reproduce">
                <p class="hint">"The same study natively:"</p>
                <code class="cli" data-testid="convergence-cli">{move || command(&arch.get())}</code>
            </div>
        </section>
    }
}
