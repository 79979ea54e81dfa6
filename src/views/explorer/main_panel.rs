//! The explorer's main panel: the function-space figure (NNGP and NTK-GP bands, the ensemble
//! and its linearization at the step shown, paper Figure 2) and, for 2-D sets, the heatmaps
//! over the plane; the run's status above them, the time controls, the exports and the
//! equivalent command under them.

use leptos::prelude::*;

use super::export;
use super::figures::{self, heatmaps, line_plot, nearest_checkpoint, EnsembleAt};
use super::guide::LrGuide;
use super::points::PointEditor;
use super::state::ExplorerState;
use super::status::{run_status, theory_status};
use super::time::TimeControls;
use crate::components::figure_export::{Figure, FigureExport};
use crate::components::open_results::OpenResults;
use crate::download::download_text;
use crate::format::tidy;
use crate::params::explorer::{DataChoice, USER_Y_RANGE};
use crate::params::url;
use crate::plot::backing_size;
use crate::plot::function_plot::{draw_function_plot, function_plot_svg, FunctionPlot};
use crate::plot::heatmap::{draw_heatmaps, heatmaps_svg, Heatmaps, COLOR_SCALE};
use crate::plot::svg::{Provenance, Sheet};
use crate::problem::problem;
use crate::services::{timed_draw, track_viewport, FrameSlot};

/// What the main canvas and the heatmaps show: the plot, the heatmaps, the canvases' backing
/// sizes, and the main canvas itself.
type MainShown =
    (FunctionPlot, Option<Heatmaps>, ((u32, u32), Option<(u32, u32)>), web_sys::HtmlCanvasElement);

/// The canvases of the main panel.
#[derive(Clone, Copy)]
struct Canvases {
    main: NodeRef<leptos::html::Canvas>,
    heat: NodeRef<leptos::html::Canvas>,
}

/// The main plot at the step shown (the theory there, the ensemble at its nearest checkpoint if
/// the run belongs to the current parameters) and, for 2-D sets, the heatmaps: assembled when
/// what they depend on changes, drawn at most once per frame and only if that differs from what
/// the canvases show. Returns what they show.
fn draw_main_figures(
    state: ExplorerState,
    editor: PointEditor,
    canvases: Canvases,
) -> StoredValue<Option<MainShown>, LocalStorage> {
    let ExplorerState {
        params,
        theory,
        theory_key,
        shown_step,
        results,
        current,
        run_ident,
        active,
        plot_error,
        ..
    } = state;
    let main_frame = FrameSlot::default();
    let main_drawn = StoredValue::new_local(None::<MainShown>);
    Effect::new(move |_| {
        track_viewport();
        let key = theory_key.get();
        let (step, lr, curves) =
            (shown_step.get(), params.with(|p| p.training.lr), params.with(|p| p.display.curves));
        let centred = params.with(|p| p.training.alpha.is_some());
        let (summary, member_curves) = results.get();
        let current = current.get();
        let (run_id, members_total) = run_ident.get();
        let selected = editor.selected.get();
        // Hidden canvases have no size: draw when shown.
        if !active.get() {
            return;
        }
        let Some(canvas) = canvases.main.get() else { return };
        let y_range = (key.data.set == DataChoice::User).then_some(USER_Y_RANGE);
        let (plot, heat, ensemble_step, theory_sw2) = match problem(&key.data, key.seed) {
            Ok(data) => theory.with(&key, |t| {
                let at = t.as_ref().ok().map(|t| t.at_step(step, lr, centred));
                let theory_sw2 = at.as_ref().map(|_| key.arch.sw2);
                let summary = summary.as_ref().filter(|_| current);
                let index = summary.and_then(|s| nearest_checkpoint(s, step));
                let at_checkpoint =
                    summary.zip(index).filter(|(s, i)| s.checkpoints[*i].members > 0).map(|(s, i)| {
                        EnsembleAt {
                            checkpoint: &s.checkpoints[i],
                            members: member_curves
                                .iter()
                                .take(curves)
                                .filter_map(|c| c.get(i).and_then(Option::as_deref))
                                .collect(),
                        }
                    });
                let mut caption = format!("after k = {step} steps (t = η·k = {})", tidy(lr * step as f64));
                if let Some(e) = &at_checkpoint {
                    caption.push_str(&format!(" — ensemble at checkpoint k = {}", e.checkpoint.step));
                }
                let mut plot = line_plot(&data, at.as_ref(), at_checkpoint.as_ref(), caption, y_range);
                plot.selected = selected.filter(|_| key.data.set == DataChoice::User);
                if centred {
                    plot.y_desc = "output g(x) = α (f(x) − f₀(x))".to_string();
                }
                let dropped = figures::drop_diverged_bands(&mut plot);
                let eta_max = t.as_ref().ok().map(|t| t.landmarks.eta_max);
                plot.note = figures::divergence_note(&dropped, lr, eta_max, summary, members_total);
                let ensemble_step = at_checkpoint.as_ref().map(|e| e.checkpoint.step);
                (plot, heatmaps(&data, at.as_ref(), at_checkpoint.as_ref()), ensemble_step, theory_sw2)
            }),
            Err(message) => (
                FunctionPlot { caption: message, y_range: Some(USER_Y_RANGE), ..FunctionPlot::default() },
                None,
                None,
                None,
            ),
        };
        let heat_canvas = canvases.heat.get();
        main_frame.draw(move || {
            // What the canvases would show now: drawn again only if it differs from what they
            // show (a checkpoint past the time shown changes nothing drawn).
            let sizes = (backing_size(&canvas), heat_canvas.as_ref().map(backing_size));
            let shown = (plot, heat, sizes, web_sys::HtmlCanvasElement::clone(&canvas));
            if main_drawn.with_value(|d| d.as_ref() == Some(&shown)) {
                crate::hooks::record(&canvas, "data-run", || run_id.to_string());
                return;
            }
            let (plot, heat, _, _) = &shown;
            let mut drawn = true;
            match timed_draw(&canvas, || draw_function_plot(&canvas, plot)) {
                Ok((f, geometry)) => {
                    editor.frame.set_value(Some(f));
                    plot_error.set(None);
                    crate::hooks::record(&canvas, "data-geometry", || {
                        serde_json::to_string(&geometry).unwrap_or_default()
                    });
                }
                Err(e) => {
                    drawn = false;
                    plot_error.set(Some(e.to_string()));
                }
            }
            // What was drawn, for the end-to-end tests: the run and the ensemble's checkpoint,
            // the σ_w² of the theory bands drawn (none while they are computed), the training
            // points and the ensemble mean.
            crate::hooks::record(&canvas, "data-run", || run_id.to_string());
            crate::hooks::record(&canvas, "data-ensemble-step", || {
                ensemble_step.map_or(String::new(), |k| k.to_string())
            });
            crate::hooks::record(&canvas, "data-theory-sw2", || {
                theory_sw2.map_or(String::new(), |v| v.to_string())
            });
            crate::hooks::record(&canvas, "data-train", || {
                serde_json::to_string(&plot.train).unwrap_or_default()
            });
            crate::hooks::record(&canvas, "data-net-mean", || {
                plot.net
                    .as_ref()
                    .map_or(String::new(), |b| serde_json::to_string(&b.mean).unwrap_or_default())
            });
            if let (Some(h), Some(c)) = (heat, &heat_canvas) {
                if let Err(e) = timed_draw(c, || draw_heatmaps(c, h)) {
                    drawn = false;
                    plot_error.set(Some(e.to_string()));
                }
            }
            main_drawn.set_value(drawn.then_some(shown));
        });
    });
    main_drawn
}

/// Saves the numbers at the step shown as CSV (theory, ensemble at the nearest checkpoint, with
/// the link and the command).
fn export_csv(state: ExplorerState) {
    let p = state.params.get_untracked();
    let step = state.shown_step.get_untracked();
    let key = p.theory_key();
    let csv = match problem(&key.data, key.seed) {
        Ok(data) => state.theory.with(&key, |t| {
            let at = t.as_ref().ok().map(|t| t.at_step(step, p.training.lr, p.training.alpha.is_some()));
            let (summary, _) = state.results.get_untracked();
            let summary = summary.filter(|s| state.current.get_untracked() && s.members > 0);
            let checkpoint =
                summary.as_ref().and_then(|s| nearest_checkpoint(s, step).map(|i| &s.checkpoints[i]));
            export::export_csv(
                &url::encode(&p),
                step,
                p.ensemble_command().as_deref(),
                &data,
                at.as_ref(),
                checkpoint,
            )
        }),
        Err(e) => format!("# {}\n# {e}\n", url::encode(&p)),
    };
    download_text(&csv, "text/csv", "wide-explorer.csv");
}

/// The main panel (see the module doc).
#[component]
pub fn MainPanel(
    /// the explorer's state
    state: ExplorerState,
    /// the editor of the user's points (on the main plot)
    editor: PointEditor,
    /// the learning rate against the theory's landmarks
    guide: LrGuide,
) -> impl IntoView {
    let (run, shown_step) = (state.run, state.shown_step);
    let canvases = Canvases { main: NodeRef::new(), heat: NodeRef::new() };
    let main_drawn = draw_main_figures(state, editor, canvases);
    let ensemble_command = state.ensemble_command();
    let step_shown = Signal::derive(move || Some(shown_step.get()));
    // The figures as files (PNG at 1–3×, SVG on a sheet), drawn from what they show now.
    let main_now = move || main_drawn.with_value(|d| d.as_ref().map(|shown| shown.0.clone()));
    let main_figure = Figure {
        canvas: canvases.main,
        redraw: Callback::new(move |()| {
            let (Some(c), Some(plot)) = (canvases.main.get_untracked(), main_now()) else { return false };
            draw_function_plot(&c, &plot).is_ok()
        }),
        svg: Callback::new(move |(sheet, provenance): (Sheet, Provenance)| {
            main_now().map(|plot| function_plot_svg(&plot, &sheet, &provenance))
        }),
        command: ensemble_command,
        step: step_shown,
    };
    let heat_now = move || main_drawn.with_value(|d| d.as_ref().and_then(|shown| shown.1.clone()));
    let heat_figure = Figure {
        canvas: canvases.heat,
        redraw: Callback::new(move |()| {
            let (Some(c), Some(h)) = (canvases.heat.get_untracked(), heat_now()) else { return false };
            draw_heatmaps(&c, &h).is_ok()
        }),
        svg: Callback::new(move |(sheet, provenance): (Sheet, Provenance)| {
            let title = "Target, NTK-GP mean, NNGP mean and ensemble mean over the input plane";
            heat_now().map(|h| heatmaps_svg(&h, title, &sheet, &provenance))
        }),
        command: ensemble_command,
        step: step_shown,
    };
    let user_set = move || state.user_set();
    let main_canvas = canvases.main;
    view! {
        <main class="panel main-plot" data-testid="main-plot" aria-label="Main plot">
            <h2>"Function space through training"</h2>
            // The run's status and any warning sit above the plot, in view with it.
            <div class="progress run-header" role="status">
                <progress max="1" prop:value=move || run.with(|r| r.fraction)></progress>
                <span data-testid="run-status" class:refused=move || run.with(|r| r.error.is_some())>{move || run_status(state)}</span>
            </div>
            {move || guide.warning.get().map(|w| view! {
                <p class="note eta-warning" data-testid="eta-warning">
                    {w}" "
                    <button on:click=move |_| guide.half_critical()>"η = ½ η_crit"</button>
                </p>
            })}
            <canvas node_ref=main_canvas class="plot main" data-testid="function-plot" tabindex="0"
                class:editable=user_set
                role="img" aria-label="NNGP and NTK-GP bands, network ensemble and linearization along the test line"
                on:pointerdown=move |ev| editor.pointer_down(&ev, main_canvas.get_untracked())
                on:pointermove=move |ev| editor.pointer_move(&ev)
                on:pointerup=move |_| editor.pointer_up() on:pointercancel=move |_| editor.pointer_up()
                on:contextmenu=move |ev| editor.context_menu(&ev) on:keydown=move |ev| editor.key(&ev)></canvas>
            <Show when=move || state.two_d()>
                <canvas node_ref=canvases.heat class="plot heat" data-testid="heatmaps"
                    role="img" aria-label="heatmaps of the target, the NTK-GP and NNGP means and the network ensemble mean over the input plane"></canvas>
                <p class="hint">{format!("Colour: output from −{COLOR_SCALE} (blue) through 0 (white) to +{COLOR_SCALE} (orange); dots are the training points, the line is the segment of the plot above.")}</p>
                <FigureExport id="heatmaps" figure=heat_figure />
            </Show>
            <TimeControls state=state />
            <div class="export">
                <FigureExport id="main" figure=main_figure />
                <button data-testid="export-csv" on:click=move |_| export_csv(state)>"Export CSV"</button>
                <OpenResults />
            </div>
            <p class="hint" data-testid="theory-status">{move || theory_status(state)}</p>
            {move || ensemble_command.get().map(|c| view! {
                <p class="hint">"The same ensemble natively: "<code class="cli" data-testid="ensemble-cli">{c}</code></p>
            })}
        </main>
    }
}
