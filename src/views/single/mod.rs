//! The one-network view (paper Figure 3, S3, S4, S8): a single network beside its
//! linearization `f₀ + J₀(θ − θ₀)`, both trained by the same step, loss and optimizer, and
//! (NTK parameterization) beside the dynamics of the analytic NTK from the same f₀, and on
//! request beside its quadratic model `f₀ + J₀δ + ½ δᵀH₀δ` (δ = θ − θ₀). Its state
//! lives in the URL ([`SingleParams`]); the run comes from the [`SingleService`], streamed
//! checkpoint by checkpoint; the figures are assembled by [`figures`] and drawn by
//! [`crate::plot`].

pub mod export;
pub mod figures;

use leptos::prelude::*;
use ntk_core::experiments::single::analytic_skipped;
use ntk_core::nets::loss::Loss;
use ntk_core::nets::optimizer::OptimizerKind;

use crate::components::arch::ArchControls;
use crate::components::field::FieldControl;
use crate::components::figure_export::{Figure, FigureExport};
use crate::components::notes::NoteList;
use crate::download::download_text;
use crate::format::tidy;
use crate::params::notes::Note;
use crate::params::single::{presets, SingleParams};
use crate::params::url;
use crate::plot::heatmap::{draw_heatmaps, heatmaps_svg, COLOR_SCALE};
use crate::plot::series_plot::{draw_series_panel, series_panel_svg, SeriesPanel};
use crate::plot::svg::{Provenance, Sheet};
use crate::route::View;
use crate::services::single::{compare_widths, SingleRun, SingleService, CHECKPOINTS};
use crate::services::{restart_when_settled, sync_url, timed_draw, track_viewport, FrameSlot};
use crate::storage::BROWSER_TABLES;

/// A preset: its button's text, its test id, and the state it sets.
type Preset = (&'static str, &'static str, fn() -> SingleParams);

/// The presets.
const PRESETS: [Preset; 4] = [
    ("Figure 3: MSE, NTK parameterization", "preset-fig3", presets::figure3),
    ("Figure S8: standard parameterization", "preset-figs8", presets::figure_s8),
    ("Figure S4: cross-entropy, logit drift", "preset-figs4", presets::figure_s4),
    ("Figure 4: SGD with momentum", "preset-fig4", presets::figure4),
];

/// The figures of the view, in page order: (test id, caption, aria label).
const FIGURES: [(&str, &str, &str); 5] = [
    (
        "single-outputs",
        "Outputs of individual points",
        "network, linearization, analytic-Θ and (when on) quadratic-model outputs of a few training and test points against time",
    ),
    (
        "single-weights",
        "Individual weights: w_k − w₀",
        "the change of individual weights of every layer, network and linearization, against time",
    ),
    ("single-loss", "Losses", "train and test losses of the models against time"),
    ("single-accuracy", "Accuracies", "train and test accuracies of the three models against time"),
    (
        "single-rmse",
        "Network vs linearization: test RMSE",
        "test RMSE between the network and its linearization, the analytic-Θ dynamics and (when on) the quadratic model, against time",
    ),
];

/// The figure panels of a run at the time shown.
fn panels(
    run: &SingleRun,
    compare: &crate::services::single::Compare,
    p: &SingleParams,
    now: Option<f64>,
) -> [SeriesPanel; 5] {
    let (lr, steps) = (p.lr, p.steps);
    [
        figures::outputs_panel(run, lr, steps, now),
        figures::weights_panel(run, lr, steps, now),
        figures::loss_panel(run, lr, steps, now),
        figures::accuracy_panel(run, lr, steps, now),
        figures::rmse_panel(run, compare, lr, steps, now),
    ]
}

/// The run's status in words.
fn status(run: &SingleRun, current: bool, steps: u64) -> String {
    if let Some(e) = run.error.as_ref().filter(|_| current) {
        return format!("Not run: {e}");
    }
    if !current {
        return if run.key.is_none() {
            "Starting…".into()
        } else {
            "Starting a new run for the changed parameters…".into()
        };
    }
    let k = run.checkpoints.last().map_or(0, |c| c.step);
    match (run.done, run.diverged) {
        (true, Some(d)) => {
            format!("Stopped: {} diverged at step {} — lower the learning rate", d.model, d.step)
        }
        (true, None) => format!("Done: {steps} steps, {} checkpoints", run.checkpoints.len()),
        (false, _) if run.checkpoints.is_empty() => "Building the network and its linearization…".into(),
        (false, _) => format!("Training… step {k} of {steps} ({:.0}%)", run.fraction * 100.0),
    }
}

/// The one-network view.
#[component]
pub fn SingleView(
    /// whether this view is the one shown
    #[prop(into)]
    active: Signal<bool>,
    /// the link's query string, if the link is for this view
    query: Option<String>,
) -> impl IntoView {
    let service = expect_context::<SingleService>();
    let (initial, notes) =
        url::decode::<SingleParams>(query.as_deref().unwrap_or(""), url::RESERVED, &BROWSER_TABLES);
    let params = RwSignal::new(initial);
    let url_notes = RwSignal::new(notes);
    let run = service.state;
    let compare = service.compare;
    sync_url(View::Single, active, params);

    let key = Memo::new(move |_| params.with(SingleParams::run_key));
    restart_when_settled(key, active, move |k| service.is_current(k), move |k| service.start(k));
    let current = Memo::new(move |_| run.with(|r| r.key.as_ref() == Some(&key.get())));
    // The checkpoint shown: the chosen step's (the newest at or before it) or the newest.
    let shown = Memo::new(move |_| {
        let k = params.with(|p| p.shown_step);
        run.with(|r| if current.get() { r.at(k).map(|c| c.step) } else { None })
    });
    let follow = Memo::new(move |_| params.with(|p| p.shown_step.is_none()));

    let canvases: [NodeRef<leptos::html::Canvas>; 5] = std::array::from_fn(|_| NodeRef::new());
    let heat_canvas = NodeRef::<leptos::html::Canvas>::new();
    let plot_error = RwSignal::new(None::<String>);
    let frame = FrameSlot::default();
    // What the figures draw of the run changes with its checkpoints (and its start, end or
    // failure), not with its progress reports: those redraw nothing.
    let drawn_state = Memo::new(move |_| {
        run.with(|r| {
            (r.id, r.checkpoints.len(), r.start.is_some(), r.done, r.diverged.is_some(), r.error.is_some())
        })
    });
    // The figures at the time shown: the panels and, for 2-D sets, the heatmaps (read untracked:
    // the effect below says what it follows; the exports read them when asked).
    let panels_now = move || {
        let p = params.get_untracked();
        let step = shown.get_untracked();
        let empty = SingleRun::default();
        run.with_untracked(|r| {
            let r = if current.get_untracked() { r } else { &empty };
            let now = step.map(|k| p.lr * k.max(1) as f64);
            (compare.with_untracked(|cmp| panels(r, cmp, &p, now)), figures::heatmaps(r, r.at(step)))
        })
    };
    Effect::new(move |_| {
        track_viewport();
        params.track();
        let step = shown.get();
        current.track();
        compare.track();
        drawn_state.track();
        if !active.get() {
            return;
        }
        let (panels, heat) = panels_now();
        let (run_id, drawn) = run.with_untracked(|r| (r.id, r.checkpoints.len()));
        let targets: Vec<_> = canvases.iter().map(|c| c.get()).collect();
        let heat_canvas = heat_canvas.get();
        frame.draw(move || {
            for (canvas, panel) in targets.into_iter().zip(panels.iter()) {
                let Some(canvas) = canvas else { continue };
                match timed_draw(&canvas, || draw_series_panel(&canvas, panel)) {
                    Ok(g) => {
                        plot_error.set(None);
                        crate::hooks::record(&canvas, "data-geometry", || {
                            serde_json::to_string(&g).unwrap_or_default()
                        });
                    }
                    Err(e) => plot_error.set(Some(e.to_string())),
                }
                crate::hooks::record(&canvas, "data-series", || {
                    let series: Vec<&Vec<(f64, f64)>> = panel.lines.iter().map(|l| &l.points).collect();
                    serde_json::to_string(&series).unwrap_or_default()
                });
                crate::hooks::record(&canvas, "data-run", || run_id.to_string());
                crate::hooks::record(&canvas, "data-checkpoints", || drawn.to_string());
            }
            if let (Some(h), Some(c)) = (heat, heat_canvas) {
                if let Err(e) = timed_draw(&c, || draw_heatmaps(&c, &h)) {
                    plot_error.set(Some(e.to_string()));
                }
                crate::hooks::record(&c, "data-step", || step.map_or(String::new(), |k| k.to_string()));
            }
        });
    });

    let status_line = move || run.with(|r| status(r, current.get(), params.with(|p| p.steps)));
    let lr_hint = Signal::derive(move || {
        run.with(|r| match r.start.as_ref().filter(|_| current.get()) {
            Some(s) => match (s.eta_max, s.eta_critical) {
                (Some(max), Some(crit)) => {
                    let lr = params.with(|p| p.lr);
                    format!(
                        "this network's Θ̂₀: η_max = 2N/λ_max = {}, η_crit = {} (MSE); η = {} η_max",
                        tidy(max),
                        tidy(crit),
                        tidy(lr / max)
                    )
                }
                _ => "Θ̂₀ could not be decomposed".to_string(),
            },
            None => "η_max of this network's Θ̂₀ is shown once the run starts".to_string(),
        })
    });
    let half_max = move |_| {
        let max = run.with_untracked(|r| r.start.as_ref().and_then(|s| s.eta_max));
        if let Some(max) = max.filter(|_| current.get_untracked()) {
            let lr = (0.5 * max * 1000.0).round() / 1000.0;
            params.update(|p| p.lr = lr.max(1e-6));
        }
    };
    let is_xent = move || params.with(|p| p.loss == Loss::Xent);
    let two_d = move || params.with(|p| p.set.dim() == 2);
    let classification = move || params.with(|p| p.set.is_classification());
    let optimizer = move || params.with(|p| p.optimizer);
    let checkpoints_len = move || run.with(|r| if current.get() { r.checkpoints.len() } else { 0 });
    let slider_value = move || {
        let k = shown.get();
        run.with(|r| k.and_then(|k| r.checkpoints.iter().position(|c| c.step == k)).unwrap_or(0))
    };
    let export_json = move |_| {
        if let Some(report) = run.with_untracked(|r| r.report()) {
            if let Ok(text) = serde_json::to_string(&report) {
                download_text(&text, "application/json", "single-network.json");
            }
        }
    };
    let export_csv = move |_| {
        let query = params.with_untracked(url::encode);
        let command = params.with_untracked(|p| p.cli_command(CHECKPOINTS));
        let csv = run.with_untracked(|r| export::export_csv(&query, &command, r));
        download_text(&csv, "text/csv", "single-network.csv");
    };
    let compare_status = move || {
        compare.with(|c| {
            if let Some(e) = &c.error {
                return format!("Compare widths not run: {e}");
            }
            if c.runs.is_empty() {
                return String::new();
            }
            let parts: Vec<String> = c
                .widths
                .iter()
                .zip(&c.runs)
                .map(|(w, r)| {
                    let state = if let Some(e) = &r.error {
                        format!("failed: {e}")
                    } else if let Some(d) = r.diverged {
                        format!("diverged at step {}", d.step)
                    } else if r.done {
                        "done".to_string()
                    } else {
                        format!("{:.0}%", r.fraction * 100.0)
                    };
                    format!("n = {w}: {state}")
                })
                .collect();
            format!("Compare widths — {}", parts.join(", "))
        })
    };
    let view_notes = Signal::derive(move || plot_error.get().map(Note::text).into_iter().collect::<Vec<_>>());

    // Each figure as a file (PNG at 1–3×, SVG on a sheet), drawn from the run at the time shown.
    let command = Signal::derive(move || Some(params.with(|p| p.cli_command(CHECKPOINTS))));
    let step = Signal::derive(move || shown.get());
    let panel_figures: [Figure; 5] = std::array::from_fn(|i| Figure {
        canvas: canvases[i],
        redraw: Callback::new(move |()| {
            canvases[i].get_untracked().is_some_and(|c| draw_series_panel(&c, &panels_now().0[i]).is_ok())
        }),
        svg: Callback::new(move |(sheet, provenance): (Sheet, Provenance)| {
            Some(series_panel_svg(&panels_now().0[i], FIGURES[i].1, &sheet, &provenance))
        }),
        command,
        step,
    });
    let heat_figure = Figure {
        canvas: heat_canvas,
        redraw: Callback::new(move |()| {
            let (Some(c), Some(h)) = (heat_canvas.get_untracked(), panels_now().1) else { return false };
            draw_heatmaps(&c, &h).is_ok()
        }),
        svg: Callback::new(move |(sheet, provenance): (Sheet, Provenance)| {
            panels_now()
                .1
                .map(|h| heatmaps_svg(&h, "Decision functions at the time shown", &sheet, &provenance))
        }),
        command,
        step,
    };

    // The time shown, as read under the slider and by a screen reader.
    let time_text = move || {
        let p = params.get();
        shown.get().map_or("k = 0".to_string(), |k| {
            format!("k = {k} of {} (t = {})", p.steps, tidy(p.lr * k as f64))
        })
    };
    view! {
        <div class="view single" data-testid="single">
            <div class="notes" role="status" data-testid="single-notes">
                <NoteList notes=url_notes prefix="Link: " />
                <NoteList notes=view_notes />
            </div>
            <div class="layout single-layout">
                <aside class="panel controls" aria-label="One-network controls">
                    <h2>"Presets"</h2>
                    <div class="presets">
                        {PRESETS.iter().map(|(name, id, state)| {
                            let state = *state;
                            view! { <button data-testid=*id on:click=move |_| params.set(state())>{*name}</button> }
                        }).collect_view()}
                    </div>
                    <h2>"Network"</h2>
                    <ArchControls state=params prefix="s-" />
                    <FieldControl field=&SingleParams::WIDTH state=params prefix="s-" />
                    <h2>"Data"</h2>
                    <FieldControl field=&SingleParams::DATA state=params prefix="s-" />
                    <FieldControl field=&SingleParams::N_TRAIN state=params prefix="s-" />
                    <Show when=move || !two_d()>
                        <FieldControl field=&SingleParams::NOISE state=params prefix="s-" />
                    </Show>
                    <FieldControl field=&SingleParams::SEED state=params prefix="s-" />
                    <h2>"Training"</h2>
                    <FieldControl field=&SingleParams::LOSS state=params prefix="s-" />
                    <FieldControl field=&SingleParams::OPTIMIZER state=params prefix="s-" />
                    <Show when=move || optimizer() != OptimizerKind::Gd>
                        <FieldControl field=&SingleParams::MOMENTUM state=params prefix="s-" />
                    </Show>
                    <Show when=move || optimizer() == OptimizerKind::Sgd>
                        <FieldControl field=&SingleParams::BATCH state=params prefix="s-" />
                    </Show>
                    <FieldControl field=&SingleParams::LR state=params prefix="s-" hint=lr_hint />
                    <button data-testid="single-half-max" on:click=half_max>"η = ½ η_max of this network"</button>
                    <FieldControl field=&SingleParams::STEPS state=params prefix="s-" />
                    <h2>"Laziness"</h2>
                    <label class="follow" title="Chizat, Oyallon & Bach: train g = α (f − f₀) on the loss scaled by 1/α²; time t = η·k means the same for every α">
                        <input type="checkbox" data-testid="single-alpha-on" prop:checked=move || params.with(|p| p.alpha.is_some())
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                params.update(|p| p.alpha = on.then_some(1.0));
                            } />
                        "scale the output: g = α (f − f₀)"
                    </label>
                    <Show when=move || params.with(|p| p.alpha.is_some())>
                        <FieldControl field=&SingleParams::ALPHA state=params prefix="s-" />
                        <p class="hint">"Large α: lazy — the network follows its linearization, the gap falls like 1/α. Small α: rich — the weights move far and the features change. The outputs shown are g, which starts at 0."</p>
                    </Show>
                    <h2>"Beyond the linearization"</h2>
                    <label class="follow" title="the network's second-order Taylor expansion around θ₀, trained by the same step (Hessian–vector products, never the Hessian)">
                        <input type="checkbox" data-testid="single-quad-on" prop:checked=move || params.with(|p| p.quadratic)
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                params.update(|p| p.quadratic = on);
                            } />
                        "quadratic model f₀ + J₀δ + ½ δᵀH₀δ"
                    </label>
                    <Show when=move || params.with(|p| p.quadratic)>
                        <p class="hint">"Drawn in long dashes (purple where the models have their own colours). A step costs about five network steps. It follows the network further than the linearization early on, not always late; at large learning rates it catapults where the linearization diverges (see the catapult view)."</p>
                    </Show>
                </aside>
                <main class="panel main-plot single-main" aria-label="One network beside its linearization">
                    <h2>"One network beside its linearization"</h2>
                    <div class="progress run-header">
                        <progress max="1" prop:value=move || run.with(|r| if current.get() { r.fraction } else { 0.0 })></progress>
                        <span data-testid="single-status">{status_line}</span>
                    </div>
                    <div class="time">
                        <label for="s-time">"time shown"</label>
                        <input type="range" id="s-time" min="0" step="1" data-testid="single-time"
                            prop:max=move || checkpoints_len().saturating_sub(1).to_string()
                            prop:value=move || slider_value().to_string()
                            aria-valuetext=time_text
                            on:input=move |ev| {
                                let Ok(i) = event_target_value(&ev).parse::<usize>() else { return };
                                let k = run.with_untracked(|r| r.checkpoints.get(i).map(|c| c.step));
                                if let Some(k) = k {
                                    params.update(|p| p.shown_step = Some(k));
                                }
                            } />
                        <span data-testid="single-time-value">{time_text}</span>
                        <label class="follow">
                            <input type="checkbox" data-testid="single-follow" prop:checked=follow
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    let k = if on { None } else { shown.get_untracked() };
                                    params.update(|p| p.shown_step = k);
                                } />
                            "follow training"
                        </label>
                    </div>
                    {move || params.with(|p| analytic_skipped(p.arch.param)).map(|why| view! {
                        <p class="note" data-testid="single-analytic-note">
                            {format!("No analytic-Θ curves: {why}.")}
                        </p>
                    })}
                    <Show when=is_xent>
                        <p class="note" data-testid="single-xent-note">
                            "Cross-entropy has no closed-form Gaussian process: the dotted “analytic Θ” curves integrate the kernel dynamics step by step from the network's f₀ (paper Eq. S10–S11). Its logits keep growing on separable data, so network and linearization drift apart late in training (Figure S4)."
                        </p>
                    </Show>
                    <div class="figures">
                        {FIGURES.iter().zip(canvases).zip(panel_figures).map(|(((id, caption, label), node), figure)| view! {
                            // Accuracy only means something for ±1 labels.
                            <figure class="figure" class:hidden=move || *id == "single-accuracy" && !classification()>
                                <figcaption>{*caption}</figcaption>
                                <canvas node_ref=node class="plot series" data-testid=*id role="img" aria-label=*label></canvas>
                                <FigureExport id=*id figure=figure />
                            </figure>
                        }).collect_view()}
                    </div>
                    <div class="run-row">
                        <button data-testid="single-compare" on:click=move |_| service.compare_widths(key.get_untracked())>
                            {move || {
                                let w: Vec<String> = compare_widths(params.with(|p| p.width)).iter().map(ToString::to_string).collect();
                                format!("Compare widths {} (logit gap, Figure S4)", w.join(", "))
                            }}
                        </button>
                        <span class="hint" data-testid="single-compare-status">{compare_status}</span>
                    </div>
                    <Show when=two_d>
                        <figure class="figure wide">
                            <figcaption>"Decision functions at the time shown"</figcaption>
                            <canvas node_ref=heat_canvas class="plot heat" data-testid="single-heatmaps" role="img"
                                aria-label="heatmaps of the target, the network, its linearization, the analytic-Θ dynamics and (when on) the quadratic model over the input plane"></canvas>
                            <p class="hint">{format!("Colour: output from −{COLOR_SCALE} (blue) through 0 (white) to +{COLOR_SCALE} (orange); dots are the training points. Over the network: the decision lines of its first six first-layer units (where each unit's pre-activation is 0), dashed where they started and solid at the time shown — they stay put when training is lazy (large width, large α) and move when the network learns features (try “scale the output” with α = 0.1).")}</p>
                            <FigureExport id="single-heatmaps" figure=heat_figure />
                        </figure>
                    </Show>
                    <div class="export">
                        <button data-testid="single-export-json" on:click=export_json>"Export JSON"</button>
                        <button data-testid="single-export-csv" on:click=export_csv>"Export CSV"</button>
                    </div>
                    <div class="reproduce">
                        <p class="hint">"The same run natively (same core code, the same JSON as “Export JSON”):"</p>
                        <code class="cli" data-testid="single-cli">{move || params.with(|p| p.cli_command(CHECKPOINTS))}</code>
                    </div>
                    <SingleExplain />
                </main>
            </div>
        </div>
    }
}

/// What the figures show, and the paper's claim they test.
#[component]
fn SingleExplain() -> impl IntoView {
    view! {
        <section class="explain" data-testid="single-explain">
            <h2>"What am I looking at?"</h2>
            <p>
                "One network (solid lines) and its linearization around initialisation, f" <sub>"lin"</sub> "(x) = f" <sub>"0"</sub> "(x) + J" <sub>"0"</sub> "(x)(θ − θ" <sub>"0"</sub> ") (dashed), trained side by side by the same optimizer on the same loss and, for SGD, the same minibatches: their difference is the linearization alone. "
                "The paper's claim (Figure 3): for a wide network the two agree through the whole of training — on the outputs, and even on individual weights, which barely move (their change is of order 1/√n)."
            </p>
            <p>
                "Dotted: the dynamics of the infinite-width NTK Θ started from the same f" <sub>"0"</sub> " (NTK parameterization). For MSE and full-batch descent this is the paper's Eq. 8–9 with Θ in place of the network's own Θ̂" <sub>"0"</sub> "; the network follows its own kernel more closely than the limit (Figure 3's last pane)."
            </p>
            <p>
                "The quadratic model f" <sub>"quad"</sub> " = f" <sub>"lin"</sub> " + ½ δ" <sup>"T"</sup> "H" <sub>"0"</sub> "δ (δ = θ − θ" <sub>"0"</sub> ", H" <sub>"0"</sub> " the Hessian of f at θ" <sub>"0"</sub> "; long dashes, when ticked) is the next term of the Taylor series, trained by the same step: the curves show how much of the network's departure from its linearization the second-order term explains. "
                "Narrow networks leave their linearization sooner; with cross-entropy the logits keep growing and small early differences grow late in training (Figure S4): “Compare widths” overlays the test RMSE at a quarter and four times the width. Past η_max = 2N/λ_max of Θ̂" <sub>"0"</sub> " the linearization diverges under MSE: the plots then say where."
            </p>
        </section>
    }
}
