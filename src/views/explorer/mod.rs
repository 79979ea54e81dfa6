//! The explorer view (the paper's Figure 2, live): its controls, its plots and what they say.
//! The state lives in the URL ([`ExplorerParams`]); the theory and the ensemble run come from
//! the services ([`TheoryService`], [`EnsembleService`]); the figures are assembled by
//! [`figures`] and drawn by [`crate::plot`].

pub mod export;
pub mod figures;
pub mod opened;
pub mod points;
pub mod presets;
pub mod quad;

use leptos::prelude::*;
use ntk_core::nets::ensemble::checkpoint_steps;

use crate::components::arch::ArchControls;
use crate::components::controls::SLIDER_STEPS;
use crate::components::data_input::{table_from_screen, TableInput};
use crate::components::explain::Explain;
use crate::components::field::FieldControl;
use crate::components::figure_export::{Figure, FigureExport};
use crate::components::notes::NoteList;
use crate::components::open_results::OpenResults;
use crate::download::download_text;
use crate::format::tidy;
use crate::params::catapult::CatapultParams;
use crate::params::explorer::{user_point, DataChoice, DataParams, ExplorerParams, MAX_TRAIN, USER_Y_RANGE};
use crate::params::notes::Note;
use crate::params::url;
use crate::plot::function_plot::{draw_function_plot, function_plot_svg, FunctionPlot};
use crate::plot::heatmap::{draw_heatmaps, heatmaps_svg, Heatmaps, COLOR_SCALE};
use crate::plot::loss_plot::{draw_loss_curves, draw_loss_plot, draw_time_marker, loss_plot_svg, TimeAxis};
use crate::plot::series_plot::{draw_series_panel, series_panel_svg};
use crate::plot::svg::{Provenance, Sheet};
use crate::plot::{backing_size, context_2d, copy_canvas};
use crate::problem::problem;
use crate::route::View;
use crate::services::bridge::ExplorerBridge;
use crate::services::ensemble::EnsembleService;
use crate::services::theory::{TheoryService, THEORY_PENDING};
use crate::services::{restart_when_settled, sync_url, timed_draw, track_viewport, FrameSlot};
use crate::storage::BROWSER_TABLES;
use figures::{
    ensemble_loss_curves, heatmaps, line_plot, nearest_checkpoint, theory_loss_curves, EnsembleAt,
};
use points::PointEditor;
use presets::PRESETS;

/// What the main canvas and the heatmaps show: the plot, the heatmaps, the canvases' backing
/// sizes, and the main canvas itself.
type MainShown =
    (FunctionPlot, Option<Heatmaps>, ((u32, u32), Option<(u32, u32)>), web_sys::HtmlCanvasElement);

/// Points of the loss curves of the theory (log-spaced steps).
const LOSS_CURVE_POINTS: usize = 60;

/// Slider position (0..=1000) of a step on a log scale over 0..=steps.
pub fn step_position(step: u64, steps: u64) -> f64 {
    ((step as f64 + 1.0).ln() / (steps as f64 + 1.0).ln() * SLIDER_STEPS).clamp(0.0, SLIDER_STEPS)
}

/// The step at a slider position (the inverse of [`step_position`], rounded).
pub fn step_at(pos: f64, steps: u64) -> u64 {
    let k = ((steps as f64 + 1.0).powf(pos / SLIDER_STEPS) - 1.0).round();
    (k as u64).min(steps)
}

/// The step after `k` when time moves forward by `delta` slider positions on the log scale:
/// at least one step later (near k = 0 a slider position is less than a step), at most `steps`.
pub fn step_forward(k: u64, steps: u64, delta: f64) -> u64 {
    step_at(step_position(k, steps) + delta, steps).max(k + 1).min(steps)
}

/// The explorer view. `query` is the link it was opened with (`None` when the link is for
/// another view); while `active`, the URL follows its state. `on_catapult` opens the catapult
/// view at the current setting.
#[component]
pub fn Explorer(
    /// whether this view is the one shown
    #[prop(into)]
    active: Signal<bool>,
    /// the link's query string, if the link is for this view
    query: Option<String>,
    /// opens the catapult view at a learning rate past η_max
    on_catapult: Callback<CatapultParams>,
) -> impl IntoView {
    let theory = expect_context::<TheoryService>();
    let ensemble = expect_context::<EnsembleService>();
    let (initial, notes) =
        url::decode::<ExplorerParams>(query.as_deref().unwrap_or(""), url::RESERVED, &BROWSER_TABLES);
    let params = RwSignal::new(initial);
    let url_notes = RwSignal::new(notes);
    let playing = RwSignal::new(false);
    let run = ensemble.state;
    let open_refusal = RwSignal::new(None::<String>);
    opened::follow_opened(params, open_refusal);
    sync_url(View::Explorer, active, params);
    // Other views read the explorer's architecture and may ask it to take φ and σ's.
    if let Some(bridge) = use_context::<ExplorerBridge>() {
        let arch = Memo::new(move |_| params.with(|p| p.arch));
        Effect::new(move |_| bridge.current.set(Some(arch.get())));
        Effect::new(move |_| {
            if let Some(a) = bridge.request.get() {
                params.update(|p| {
                    p.arch.activation = a.activation;
                    p.arch.sw2 = a.sw2;
                    p.arch.sb2 = a.sb2;
                });
                bridge.request.set(None);
            }
        });
    }

    let run_key = Memo::new(move |_| params.with(ExplorerParams::run_key));
    let theory_key = Memo::new(move |_| params.with(ExplorerParams::theory_key));
    restart_when_settled(run_key, active, move |k| ensemble.is_current(k), move |k| ensemble.start(k));

    // The run shown belongs to the current parameters.
    let current = Memo::new(move |_| run.with(|r| r.key.as_ref() == Some(&run_key.get())));
    // The step shown: the one chosen, or (following training) the newest complete checkpoint
    // of the current run, the last step when there is none.
    let shown_step = Memo::new(move |_| {
        // Following a run that has not reached its first checkpoint: step 0 (the title says
        // what is drawn); a run that cannot train: its last step (the theory's end state).
        let (latest, in_progress) = run.with(|r| {
            (r.latest_step().filter(|_| current.get()), current.get() && r.error.is_none() && !r.done)
        });
        let fallback = if in_progress { 0 } else { params.with(|p| p.training.steps) };
        params.with(|p| p.display.shown_step.or(latest).unwrap_or(fallback))
    });
    let follow = Memo::new(move |_| params.with(|p| p.display.shown_step.is_none()));

    // Play: advance the time shown along the log scale, from wherever it is (also k = 0), until
    // the last step; the timer runs only while playing.
    let timer = StoredValue::new_local(None::<IntervalHandle>);
    Effect::new(move |_| {
        if let Some(h) = timer.try_update_value(Option::take).flatten() {
            h.clear();
        }
        if !playing.get() {
            return;
        }
        let tick = move || {
            let (k, steps) = (shown_step.get_untracked(), params.with_untracked(|p| p.training.steps));
            let next = step_forward(k, steps, 8.0);
            if next >= steps {
                playing.set(false);
            }
            params.update(|p| p.display.shown_step = Some(next));
        };
        if let Ok(h) = set_interval_with_handle(tick, std::time::Duration::from_millis(40)) {
            timer.set_value(Some(h));
        }
    });
    on_cleanup(move || {
        if let Some(h) = timer.try_update_value(Option::take).flatten() {
            h.clear();
        }
    });

    // What the plots draw of the run: its results, and which run it is. Progress reports
    // change neither, so they redraw nothing.
    let results = Memo::new(move |_| run.with(|r| (r.summary.clone(), r.curves.clone())));
    let run_ident = Memo::new(move |_| run.with(|r| (r.id, r.members_total)));
    let main_canvas = NodeRef::<leptos::html::Canvas>::new();
    let heat_canvas = NodeRef::<leptos::html::Canvas>::new();
    let loss_canvas = NodeRef::<leptos::html::Canvas>::new();
    let spectrum_canvas = NodeRef::<leptos::html::Canvas>::new();
    let plot_error = RwSignal::new(None::<String>);
    let editor = PointEditor::new(params);
    let main_frame = FrameSlot::default();
    let main_drawn = StoredValue::new_local(None::<MainShown>);

    // Main plot (theory at the step shown, the ensemble at its nearest checkpoint if the run
    // belongs to the current parameters) and, for 2-D sets, the heatmaps.
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
        let Some(canvas) = main_canvas.get() else { return };
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
        let heat_canvas = heat_canvas.get();
        // What is drawn, for the end-to-end tests: the training points and the ensemble mean.
        let train_drawn = serde_json::to_string(&plot.train).unwrap_or_default();
        let net_drawn =
            plot.net.as_ref().map_or(String::new(), |b| serde_json::to_string(&b.mean).unwrap_or_default());
        main_frame.draw(move || {
            // What the canvases would show now: drawn again only if it differs from what they
            // show (a checkpoint past the time shown changes nothing drawn).
            let sizes = (backing_size(&canvas), heat_canvas.as_ref().map(backing_size));
            let shown = (plot, heat, sizes, web_sys::HtmlCanvasElement::clone(&canvas));
            if main_drawn.with_value(|d| d.as_ref() == Some(&shown)) {
                let _ = canvas.set_attribute("data-run", &run_id.to_string());
                return;
            }
            let (plot, heat, _, _) = &shown;
            let mut drawn = true;
            match timed_draw(&canvas, || draw_function_plot(&canvas, plot)) {
                Ok((f, geometry)) => {
                    editor.frame.set_value(Some(f));
                    plot_error.set(None);
                    let _ = canvas.set_attribute(
                        "data-geometry",
                        &serde_json::to_string(&geometry).unwrap_or_default(),
                    );
                }
                Err(e) => {
                    drawn = false;
                    plot_error.set(Some(e.to_string()));
                }
            }
            // What was drawn, for the end-to-end tests: the run and the ensemble's checkpoint.
            let _ = canvas.set_attribute("data-run", &run_id.to_string());
            let step = ensemble_step.map_or(String::new(), |k| k.to_string());
            let _ = canvas.set_attribute("data-ensemble-step", &step);
            // ... and the σ_w² of the theory bands drawn (none while they are computed).
            let _ =
                canvas.set_attribute("data-theory-sw2", &theory_sw2.map_or(String::new(), |v| v.to_string()));
            let _ = canvas.set_attribute("data-train", &train_drawn);
            let _ = canvas.set_attribute("data-net-mean", &net_drawn);
            if let (Some(h), Some(c)) = (heat, &heat_canvas) {
                if let Err(e) = timed_draw(c, || draw_heatmaps(c, h)) {
                    drawn = false;
                    plot_error.set(Some(e.to_string()));
                }
            }
            main_drawn.set_value(drawn.then_some(shown));
        });
    });

    // Loss curves: computed when the run's parameters or results change; the time marker is
    // redrawn alone on an offscreen copy of the curves when only the time shown moves.
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
                    let _ = canvas.set_attribute(
                        "data-geometry",
                        &serde_json::to_string(&geometry).unwrap_or_default(),
                    );
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

    // The spectrum of the train kernels, from the theory's own eigendecompositions, with the
    // residual left in each mode at the time shown.
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
            let series: Vec<&Vec<(f64, f64)>> = panel.lines.iter().map(|l| &l.points).collect();
            let _ = canvas.set_attribute("data-series", &serde_json::to_string(&series).unwrap_or_default());
            let _ = canvas.set_attribute("data-step", &step.to_string());
        });
    });
    let spectrum_badge = move || spectra.with(|s| s.as_ref().map_or(String::new(), figures::spectrum_badge));

    // The side figures and the heatmaps as files (PNG at 1–3×, SVG on a sheet), drawn from
    // what they show now.
    let step_shown = Signal::derive(move || Some(shown_step.get()));
    // The networks' numbers of these figures: `ntk ensemble` on the same data, seed and run.
    let ensemble_command = Signal::derive(move || params.with(ExplorerParams::ensemble_command));
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
        command: ensemble_command,
        step: step_shown,
    };
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
        step: step_shown,
    };
    let heat_now = move || main_drawn.with_value(|d| d.as_ref().and_then(|shown| shown.1.clone()));
    let heat_figure = Figure {
        canvas: heat_canvas,
        redraw: Callback::new(move |()| {
            let (Some(c), Some(h)) = (heat_canvas.get_untracked(), heat_now()) else { return false };
            draw_heatmaps(&c, &h).is_ok()
        }),
        svg: Callback::new(move |(sheet, provenance): (Sheet, Provenance)| {
            let title = "Target, NTK-GP mean, NNGP mean and ensemble mean over the input plane";
            heat_now().map(|h| heatmaps_svg(&h, title, &sheet, &provenance))
        }),
        command: ensemble_command,
        step: step_shown,
    };

    let landmarks = Signal::derive(move || {
        theory.with(&theory_key.get(), |t| match t {
            // One tick when the two coincide (λ_min ≪ λ_max, as for 1-D inputs).
            Ok(t) if t.landmarks.eta_critical > 0.97 * t.landmarks.eta_max => {
                vec![(t.landmarks.eta_max, "η_crit ≈ η_max".to_string())]
            }
            Ok(t) => vec![
                (t.landmarks.eta_critical, "η_crit".to_string()),
                (t.landmarks.eta_max, "η_max".to_string()),
            ],
            Err(_) => vec![],
        })
    });
    let lr_hint = Signal::derive(move || {
        let key = theory_key.get();
        let lr = params.with(|p| p.training.lr);
        theory.with(&key, |t| match t {
            Ok(t) => {
                let l = &t.landmarks;
                let where_ = if lr >= l.eta_max {
                    "above η_max: the linearized model diverges (catapult or divergence for the network)"
                } else if lr > l.eta_critical {
                    "between η_crit and η_max: converges, but past the paper's Theorem 2.1 threshold"
                } else {
                    "below η_crit: the lazy regime of the paper"
                };
                let n = problem(&key.data, key.seed).map_or(0, |d| d.points.y_train.len());
                // η_crit = 2N/(λ_min + λ_max) and η_max = 2N/λ_max coincide when λ_min ≪ λ_max.
                let close =
                    if l.eta_critical > 0.97 * l.eta_max { " (equal: λ_min ≪ λ_max)" } else { "" };
                format!(
                    "η_crit = {:.3}, η_max = {:.3}{close} (train NTK, N = {n}); {where_}",
                    l.eta_critical, l.eta_max
                )
            }
            Err(e) => format!("theory unavailable: {e}"),
        })
    });
    // Past η_max: the catapult view at this setting.
    let catapult_offer = Memo::new(move |_| {
        let (arch, lr) = params.with(|p| (p.arch, p.training.lr));
        theory.with(&theory_key.get(), |t| match t {
            Ok(t) if lr >= t.landmarks.eta_max => {
                let wanted = 2.0 * lr / t.landmarks.eta_max;
                Some((CatapultParams::from_explorer(&arch, lr, t.landmarks.eta_max), wanted))
            }
            _ => None,
        })
    });
    // The theory's landmarks, for the learning-rate actions and warnings.
    let eta_landmarks = Memo::new(move |_| {
        theory.with(&theory_key.get(), |t| {
            t.as_ref().ok().map(|t| (t.landmarks.eta_critical, t.landmarks.eta_max))
        })
    });
    // A change other than η itself that moved η past the new kernel's η_max is said so, in the
    // plot's header, until η is below η_max again.
    let eta_warning = RwSignal::new(None::<String>);
    Effect::new(move |previous: Option<Option<(f64, f64)>>| {
        let lr = params.with(|p| p.training.lr);
        let now = eta_landmarks.get().map(|(_, max)| (lr, max));
        if let (Some(Some((lr0, max0))), Some((lr1, max1))) = (previous, now) {
            if lr1 >= max1 && lr0 < max0 && lr0 == lr1 {
                eta_warning.set(Some(format!(
                    "This change moved η = {} past the new kernel's η_max = {}: the networks and the NTK-GP diverge.",
                    tidy(lr1),
                    tidy(max1)
                )));
            }
        }
        if now.is_some_and(|(lr, max)| lr < max) {
            eta_warning.set(None);
        }
        now
    });
    let half_critical = move |_| {
        if let Some((crit, _)) = eta_landmarks.get_untracked() {
            let lr = crate::components::controls::Scale { min: 1e-4, max: 100.0, log: true, integer: false }
                .tidy(0.5 * crit);
            params.update(|p| p.training.lr = lr);
        }
    };
    let theory_status = move || {
        theory.with(&theory_key.get(), |t| match t {
            Ok(t)
                if t.dynamics.regularization().ntk_jitter > 0.0
                    || t.dynamics.regularization().nngp_jitter > 0.0 =>
            {
                "NNGP / NTK-GP: the training kernel is numerically singular (repeated inputs?): a small \
                 diagonal jitter was added, and at t = ∞ its null directions are left out (pseudo-inverse)"
                    .to_string()
            }
            Ok(_) => String::new(),
            Err(e) if e == THEORY_PENDING => format!("NNGP / NTK-GP: {e}"),
            Err(e) => format!("NNGP / NTK-GP not shown: {e}"),
        })
    };
    let status = move || {
        run.with(|r| {
        if let Some(e) = r.error.as_ref().filter(|_| current.get()) {
            return format!("Ensemble not run: {e}");
        }
        if !current.get() {
            return if r.key.is_none() {
                "Ensemble: starting…".to_string()
            } else {
                "Ensemble: starting a new run for the changed parameters…".to_string()
            };
        }
        let diverged = r.summary.as_ref().map_or(0, |s| s.diverged);
        let div = match r.summary.as_ref().and_then(|s| s.diverged_steps.iter().min().copied()) {
            Some(step) if diverged >= r.members_total => {
                format!(" — all {diverged} diverged (first at step {step}): lower η (η = ½ η_crit)")
            }
            Some(step) => format!(
                " — {diverged} of {} diverged (first at step {step}) and are left out from then on",
                r.members_total
            ),
            None => String::new(),
        };
        let steps = params.with(|p| p.training.steps);
        if let Some(source) = &r.source {
            return format!("Ensemble opened from {source}: a finished run, not trained in the page{div}");
        }
        match (r.done, r.latest_step()) {
            (true, _) => format!("Ensemble: {} networks trained for {steps} steps{div}", r.members_total),
            (false, Some(k)) => format!(
                "Ensemble: training {} networks… every one past step {k} of {steps} ({:.0}% of the training){div}",
                r.members_total,
                r.fraction * 100.0
            ),
            (false, None) => format!("Ensemble: training {} networks… starting", r.members_total),
        }
    })
    };
    // The main figure as a PNG at `scale` × the screen's pixels: drawn again at that scale,
    // saved, and drawn back at the screen's (all in one task: nothing flickers).
    // The main figure as a file: PNG at 1–3× or SVG on a sheet, drawn from what it shows.
    let main_now = move || main_drawn.with_value(|d| d.as_ref().map(|shown| shown.0.clone()));
    let main_figure = Figure {
        canvas: main_canvas,
        redraw: Callback::new(move |()| {
            let (Some(c), Some(plot)) = (main_canvas.get_untracked(), main_now()) else { return false };
            draw_function_plot(&c, &plot).is_ok()
        }),
        svg: Callback::new(move |(sheet, provenance): (Sheet, Provenance)| {
            main_now().map(|plot| function_plot_svg(&plot, &sheet, &provenance))
        }),
        command: ensemble_command,
        step: Signal::derive(move || Some(shown_step.get())),
    };
    let export = move |_| {
        let p = params.get_untracked();
        let step = shown_step.get_untracked();
        let key = p.theory_key();
        let csv = match problem(&key.data, key.seed) {
            Ok(data) => theory.with(&key, |t| {
                let at = t.as_ref().ok().map(|t| t.at_step(step, p.training.lr, p.training.alpha.is_some()));
                let (summary, _) = results.get_untracked();
                let summary = summary.filter(|s| current.get_untracked() && s.members > 0);
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
    };
    let on_screen = |p: &ExplorerParams| {
        let data = DataParams {
            set: if p.data.set.is_generated_1d() { p.data.set } else { DataChoice::Sin },
            ..p.data.clone()
        };
        problem(&data, p.seed)
            .map(|d| {
                d.points.x_train.iter().zip(&d.points.y_train).map(|(x, &y)| user_point(x[0], y)).collect()
            })
            .unwrap_or_default()
    };
    // 2-D sets on the page's grid (not an opened run's own test points) have a segment.
    let two_d = move || {
        params.with(|p| {
            p.data.dim() == 2
                && !(p.data.set == DataChoice::Table
                    && p.data.table.as_ref().is_some_and(|t| t.test.is_some()))
        })
    };
    let user_set = move || params.with(|p| p.data.set == DataChoice::User);
    let table_set = move || params.with(|p| p.data.set == DataChoice::Table);
    let incidents = Signal::derive(move || run.with(|r| r.incidents.clone()));
    let view_notes = Signal::derive(move || {
        let mut n: Vec<Note> = Vec::new();
        n.extend(open_refusal.get().map(Note::text));
        n.extend(plot_error.get().map(Note::text));
        n.extend(editor.note.get().map(Note::text));
        n
    });

    // The time shown, as read beside the slider and by a screen reader.
    let time_text = move || params.with(|p| format!("k = {} of {}", shown_step.get(), p.training.steps));
    view! {
        <div class="view explorer" data-testid="explorer">
            <div class="notes" role="status" data-testid="notes">
                <NoteList notes=url_notes prefix="Link: " />
                <NoteList notes=incidents />
                <NoteList notes=view_notes />
            </div>
            <div class="layout">
                <aside class="panel controls" data-testid="controls" aria-label="Controls">
                    <h2>"Network and training"</h2>
                    <div class="presets">
                        {PRESETS.iter().map(|p| {
                            let state = p.state;
                            view! { <button on:click=move |_| params.set(state())>{p.name}</button> }
                        }).collect_view()}
                    </div>
                    <ArchControls state=params />
                    <FieldControl field=&ExplorerParams::WIDTH state=params />
                    <FieldControl field=&ExplorerParams::LR state=params marks=landmarks hint=lr_hint />
                    <button data-testid="half-critical" on:click=half_critical
                        title="set η to half the train NTK's η_crit = 2N/(λ_min + λ_max): inside the paper's Theorem 2.1">"η = ½ η_crit"</button>
                    {move || catapult_offer.get().map(|(c, wanted)| {
                        // The catapult view's slider ends at ηλ₀ = 6; say so when the explorer's is larger.
                        let capped = (wanted > c.eta_lambda0 + 1e-9)
                            .then(|| format!(" (here ηλ₀ ≈ {}: past 4 the network diverges; the catapult view goes up to 6)", tidy(wanted)));
                        view! {
                            <p class="offer" data-testid="catapult-offer">
                                "Past η_max the linear picture stops. "
                                <button on:click=move |_| on_catapult.run(c.clone())>
                                    {format!("See the catapult at ηλ₀ = {} →", c.eta_lambda0)}
                                </button>
                                {capped}
                            </p>
                        }
                    })}
                    <FieldControl field=&ExplorerParams::STEPS state=params />
                    <FieldControl field=&ExplorerParams::MEMBERS state=params />
                    <quad::QuadraticToggle params=params />
                    <h2>"Laziness"</h2>
                    <label class="follow" title="Chizat, Oyallon & Bach: train g = α (f − f₀) on the loss scaled by 1/α²; time t = η·k means the same for every α">
                        <input type="checkbox" data-testid="alpha-on" prop:checked=move || params.with(|p| p.training.alpha.is_some())
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                params.update(|p| p.training.alpha = on.then_some(1.0));
                            } />
                        "scale the output: g = α (f − f₀)"
                    </label>
                    <Show when=move || params.with(|p| p.training.alpha.is_some())>
                        <FieldControl field=&ExplorerParams::ALPHA state=params />
                        <p class="hint" data-testid="alpha-hint">"Large α: lazy — every network stays on its linearization (the gap falls like 1/α) and the ensemble on the NTK-GP mean. Small α: rich — the weights move far and the networks leave their linearizations. Shown are the g's, which start at 0; the theory's g starts at 0 too, so the NTK-GP and NNGP are their means alone (no band)."</p>
                    </Show>
                    <h2>"Data"</h2>
                    <div class="control">
                        <label for="data">{ExplorerParams::DATA.label}</label>
                        <select id="data" prop:value=move || params.with(|p| p.data.set.name())
                            on:change=move |ev| {
                                if let Some(choice) = DataChoice::from_name(&event_target_value(&ev)) {
                                    if choice == DataChoice::Table && params.with_untracked(|p| p.data.table.is_none()) {
                                        let table = params.with_untracked(table_from_screen);
                                        params.update(|p| p.data.table = table);
                                    }
                                    editor.choose(choice, on_screen);
                                }
                            }>
                            {DataChoice::NAMES.iter().map(|o| view! { <option value=*o>{*o}</option> }).collect_view()}
                        </select>
                    </div>
                    <Show when=move || params.with(|p| p.data.set == DataChoice::Formula)>
                        <FieldControl field=&ExplorerParams::FORMULA state=params />
                    </Show>
                    <Show when=user_set>
                        <p class="hint" data-testid="user-hint">
                            "Click the plot to add a training point, drag to move it, right-click to remove it (or select it, then Delete / arrow keys). "
                            {move || params.with(|p| format!("{} of {MAX_TRAIN} points.", p.data.points.len()))}
                        </p>
                        <button data-testid="clear-points" on:click=move |_| editor.clear()>"Remove all points"</button>
                    </Show>
                    <Show when=table_set>
                        <TableInput params=params />
                    </Show>
                    <Show when=move || !user_set() && !table_set()>
                        <FieldControl field=&ExplorerParams::N_TRAIN state=params />
                        <FieldControl field=&ExplorerParams::NOISE state=params />
                    </Show>
                    <Show when=two_d>
                        <FieldControl field=&ExplorerParams::SEG_A state=params />
                        <FieldControl field=&ExplorerParams::SEG_B state=params />
                    </Show>
                    <FieldControl field=&ExplorerParams::CURVES state=params />
                    <FieldControl field=&ExplorerParams::SEED state=params />
                </aside>
                <main class="panel main-plot" data-testid="main-plot" aria-label="Main plot">
                    <h2>"Function space through training"</h2>
                    // The run's status and any warning sit above the plot, in view with it.
                    <div class="progress run-header" role="status">
                        <progress max="1" prop:value=move || run.with(|r| r.fraction)></progress>
                        <span data-testid="run-status" class:refused=move || run.with(|r| r.error.is_some())>{status}</span>
                    </div>
                    {move || eta_warning.get().map(|w| view! {
                        <p class="note eta-warning" data-testid="eta-warning">
                            {w}" "
                            <button on:click=half_critical>"η = ½ η_crit"</button>
                        </p>
                    })}
                    <canvas node_ref=main_canvas class="plot main" data-testid="function-plot" tabindex="0"
                        class:editable=user_set
                        role="img" aria-label="NNGP and NTK-GP bands, network ensemble and linearization along the test line"
                        on:pointerdown=move |ev| editor.pointer_down(&ev, main_canvas.get_untracked())
                        on:pointermove=move |ev| editor.pointer_move(&ev)
                        on:pointerup=move |_| editor.pointer_up() on:pointercancel=move |_| editor.pointer_up()
                        on:contextmenu=move |ev| editor.context_menu(&ev) on:keydown=move |ev| editor.key(&ev)></canvas>
                    <Show when=two_d>
                        <canvas node_ref=heat_canvas class="plot heat" data-testid="heatmaps"
                            role="img" aria-label="heatmaps of the target, the NTK-GP and NNGP means and the network ensemble mean over the input plane"></canvas>
                        <p class="hint">{format!("Colour: output from −{COLOR_SCALE} (blue) through 0 (white) to +{COLOR_SCALE} (orange); dots are the training points, the line is the segment of the plot above.")}</p>
                        <FigureExport id="heatmaps" figure=heat_figure />
                    </Show>
                    <div class="time">
                        <button on:click=move |_| playing.update(|p| *p = !*p) aria-label="play or pause">
                            {move || if playing.get() { "pause" } else { "play" }}
                        </button>
                        <button on:click=move |_| {
                            let steps = params.with_untracked(|p| p.training.steps);
                            let k = step_forward(shown_step.get_untracked(), steps, 25.0);
                            params.update(|p| p.display.shown_step = Some(k));
                        }>"step ›"</button>
                        <button on:click=move |_| { playing.set(false); params.update(|p| p.display.shown_step = Some(0)) }>"reset"</button>
                        <label for="time">"time shown"</label>
                        <input type="range" id="time" min="0" max=SLIDER_STEPS.to_string() step="1"
                            prop:value=move || params.with(|p| step_position(shown_step.get(), p.training.steps).round().to_string())
                            aria-valuetext=time_text
                            on:input=move |ev| {
                                if let Ok(pos) = event_target_value(&ev).parse::<f64>() {
                                    params.update(|p| p.display.shown_step = Some(step_at(pos, p.training.steps)));
                                }
                            } />
                        <span data-testid="time-value">{time_text}</span>
                        <label class="follow">
                            <input type="checkbox" id="follow" data-testid="follow" prop:checked=follow
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    // Read before the update: the step shown is computed from `params`.
                                    let step = if on { None } else { Some(shown_step.get_untracked()) };
                                    params.update(|p| p.display.shown_step = step);
                                } />
                            "follow training"
                        </label>
                    </div>
                    <div class="export">
                        <FigureExport id="main" figure=main_figure />
                        <button data-testid="export-csv" on:click=export>"Export CSV"</button>
                        <OpenResults />
                    </div>
                    <p class="hint" data-testid="theory-status">{theory_status}</p>
                    {move || ensemble_command.get().map(|c| view! {
                        <p class="hint">"The same ensemble natively: "<code class="cli" data-testid="ensemble-cli">{c}</code></p>
                    })}
                </main>
                <section class="panel side" data-testid="side-panels" aria-label="Side panels">
                    <h2>"Loss curves"</h2>
                    <canvas node_ref=loss_canvas class="plot loss" data-testid="loss-plot"
                        role="img" aria-label="train and test loss against training time"></canvas>
                    <FigureExport id="loss" figure=loss_figure />
                    <h2>"Spectrum of the train kernels"</h2>
                    <canvas node_ref=spectrum_canvas class="plot loss" data-testid="spectrum-plot"
                        role="img" aria-label="eigenvalues of the train NTK and NNGP kernels, the target's projection on each mode and the residual left in each mode at the time shown"></canvas>
                    <FigureExport id="spectrum" figure=spectrum_figure />
                    <p class="hint" data-testid="spectrum-badge">{spectrum_badge}</p>
                    {move || params.with(|p| p.spectrum_command(shown_step.get())).map(|c| view! {
                        <code class="cli" data-testid="spectrum-cli">{c}</code>
                    })}
                    <p class="hint">"Mode i of Θ is learned on the time scale N/λᵢ: its residual falls as (1 − ηλᵢ/N)^k. The large-eigenvalue directions are learned first (spectral bias)."</p>
                    <Explain />
                </section>
            </div>
        </div>
    }
}
