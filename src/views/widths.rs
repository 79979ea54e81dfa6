//! The width-scaling lab (paper Theorem 2.1, Figure 1, Figure S5): how far networks of growing
//! width n are from their linearization and from the infinite-width kernel.
//!
//! A sweep is minutes of compute, so it runs when the user presses "Run sweep" (not on every
//! change), in the [`SweepService`]; results stay when another tab is shown (the view stays
//! mounted).
//!
//! "Sweep against: output scale α" turns it into the lazy ↔ rich panel: one width trained at
//! every α of a list as `g = α (f − f₀)` (Chizat's output scale), metrics (a)–(c) against α.

use leptos::prelude::*;
use ntk_core::experiments::laziness::LazinessResult;
use ntk_core::experiments::widths::{SweepResult, WidthsReport, REFERENCE_SLOPES};
use ntk_core::{Activation, Architecture};

use crate::components::arch::ArchControls;
use crate::components::field::FieldControl;
use crate::components::figure_export::{Figure, FigureExport};
use crate::components::notes::NoteList;
use crate::components::open_results::{OpenResults, OpenedResults};
use crate::download::object_url;
use crate::params::notes::Note;
use crate::params::url;
use crate::params::widths::{
    alpha_text, axis_text, Against, AxisChoice, WidthsParams, MAX_BROWSER_WIDTH, MIN_BROWSER_WIDTH,
};
use crate::params::Value;
use crate::plot::svg::{Provenance, Sheet};
use crate::plot::widths_plot::{draw_widths_plot, legend_text, signed, widths_plot_svg, WidthsPlot};
use crate::route::View;
use crate::services::sweep::{
    plan_sweep, sweep_workers, Phase, PointStatus, SweepService, SweepState, MAX_SWEEP_FLOP,
};
use crate::services::{sync_url, timed_draw, track_viewport};
use crate::storage::{NoTables, BROWSER_TABLES};
use crate::views::convergence::KernelConvergence;
use ntk_core::stats::PowerLawFit;

/// The name of a point's axis value: `L = 2, ` / `N = 16, ` (empty without an axis).
fn axis_prefix(axis: AxisChoice, value: Option<usize>) -> String {
    let name = axis.series_name(value);
    if name.is_empty() {
        name
    } else {
        format!("{name}, ")
    }
}

/// One status line of a point.
pub fn point_line(s: &PointStatus, axis: AxisChoice, steps: u64, phase: Phase) -> String {
    let head = match s.alpha {
        Some(a) => format!("α = {a}, n = {}: ", s.width),
        None => format!("{}n = {}: ", axis_prefix(axis, s.axis_value), s.width),
    };
    let diverged = match (s.diverged, s.first_divergence) {
        (0, _) => String::new(),
        (d, Some(step)) => format!(" — {d} seed(s) diverged (first at step {step}), left out of (a)–(c)"),
        (d, None) => format!(" — {d} seed(s) diverged, left out of (a)–(c)"),
    };
    if let Some(e) = &s.error {
        return format!("{head}failed: {e}");
    }
    if s.seeds_done >= s.seeds_total {
        return format!("{head}done, {} seed(s){diverged}", s.seeds_total);
    }
    let partial = if s.seeds_done > 0 {
        format!("{} of {} seeds done", s.seeds_done, s.seeds_total)
    } else {
        String::new()
    };
    match (phase, s.current) {
        (Phase::Running, Some((seed, step))) => format!(
            "{head}training… seed {}, step {step} of {steps} ({:.0}% of this width){}{diverged}",
            seed + 1,
            100.0 * (s.seeds_done as f64 + s.in_flight) / s.seeds_total as f64,
            if partial.is_empty() { String::new() } else { format!("; {partial}") }
        ),
        (Phase::Running, None) if s.seeds_done > 0 => format!("{head}{partial}{diverged}"),
        (Phase::Running, None) => format!("{head}waiting"),
        (_, _) if s.seeds_done > 0 => format!("{head}stopped, {partial}{diverged}"),
        _ => format!("{head}not run"),
    }
}

/// The overall status line.
pub fn run_line(s: &SweepState) -> String {
    let secs = s.elapsed_ms.map_or(0.0, |ms| ms / 1000.0);
    let widths = s.statuses.iter().filter(|p| p.seeds_done >= p.seeds_total).count();
    match s.phase {
        Phase::Idle => "No sweep run yet: set the grid, then press “Run sweep”.".to_string(),
        Phase::Refused => s.message.clone().unwrap_or_default(),
        Phase::Running => format!(
            "Sweep running in {} worker(s): {} of {} jobs done ({:.0}%)",
            s.workers,
            s.jobs_done,
            s.jobs_total,
            100.0 * s.fraction()
        ),
        Phase::Done => format!(
            "Sweep done in {secs:.1} s: {} points × {} seeds ({:.1e} FLOP estimated)",
            s.statuses.len(),
            s.spec.as_ref().map_or(0, |p| p.seeds),
            s.flop
        ),
        Phase::Cancelled => {
            format!(
                "Sweep cancelled after {secs:.1} s: {widths} of {} points complete, kept",
                s.statuses.len()
            )
        }
        Phase::Failed => format!("Sweep stopped: {}", s.message.clone().unwrap_or_default()),
        Phase::Opened => format!(
            "Opened from {}: {} points × {} seeds, as the file holds them (“Run sweep” runs the page's settings)",
            s.source.as_deref().unwrap_or("a file"),
            s.statuses.len(),
            s.spec.as_ref().map_or(0, |p| p.seeds)
        ),
    }
}

/// Human-readable bytes.
fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / f64::from(1 << 20))
}

/// What the plot shows: a width sweep's result and its axis, or a sweep against α.
#[derive(Clone, Debug, PartialEq)]
enum Shown {
    /// against the width
    Widths(Option<SweepResult>, AxisChoice),
    /// against α
    Alpha(Option<LazinessResult>),
}

impl Shown {
    /// What the sweep `s` shows: its own kind, or, before any sweep, the kind `params` would run.
    fn of(s: &SweepState, params: &WidthsParams) -> Shown {
        let against = s.params.as_ref().map_or(params.against, |p| p.against);
        match against {
            Against::Alpha => Shown::Alpha(s.lazy.clone()),
            Against::Width => {
                Shown::Widths(s.result.clone(), s.params.as_ref().map_or(AxisChoice::None, |p| p.axis))
            }
        }
    }
}

/// The plot of a state (empty panels before any result).
fn plot_of(shown: &Shown) -> WidthsPlot {
    match shown {
        Shown::Widths(result, axis) => {
            let empty = SweepResult { series: vec![], reference_slopes: REFERENCE_SLOPES.to_vec() };
            WidthsPlot::from_result(result.as_ref().unwrap_or(&empty), |v| axis.series_name(v))
        }
        Shown::Alpha(result) => {
            let empty = LazinessResult::assemble(Vec::new());
            WidthsPlot::from_laziness(result.as_ref().unwrap_or(&empty))
        }
    }
}

/// The width-scaling view. `query` is the link it was opened with (`None` when the link is for
/// another view); while `active`, the URL follows its state.
#[component]
pub fn WidthsView(
    /// whether this view is the one shown
    #[prop(into)]
    active: Signal<bool>,
    /// the link's query string, if the link is for this view
    query: Option<String>,
) -> impl IntoView {
    let sweep = expect_context::<SweepService>();
    let (initial, notes) =
        url::decode::<WidthsParams>(query.as_deref().unwrap_or(""), url::RESERVED, &BROWSER_TABLES);
    let params = RwSignal::new(initial);
    let url_notes = RwSignal::new(notes);
    let state = sweep.state;
    let workers = sweep_workers();
    sync_url(View::Widths, active, params);

    // A widths report opened from a file: shown as the sweep, its settings in the controls.
    if let Some(inbox) = use_context::<OpenedResults>() {
        Effect::new(move |_| {
            let Some(opened) = inbox.widths.get() else { return };
            let (p, mut notes) = WidthsParams::from_spec(&opened.report.spec);
            let (held, runs) = opened.report.runs();
            if held < runs {
                notes.push(Note::text(format!(
                    "the file holds {held} of the sweep's {runs} runs (written before the sweep finished): \
                     the widths and seeds it lacks are not shown"
                )));
            }
            sweep.show_opened(&opened.name, &opened.report, p.clone(), notes);
            params.set(p);
        });
    }

    let plan = Memo::new(move |_| {
        params.with(|p| plan_sweep(p, workers).map(|pl| (pl.flop, pl.bytes, pl.jobs.len())))
    });
    let estimate = move || match plan.get() {
        Ok((flop, bytes, jobs)) => {
            let p = params.get();
            if p.against == Against::Alpha {
                return format!(
                    "width {} × {} output scales × {} seeds: about {flop:.1e} FLOP (limit {MAX_SWEEP_FLOP:.0e}), {} per worker, {jobs} jobs on {workers} worker(s)",
                    p.width,
                    p.alphas.len(),
                    p.seeds,
                    mib(bytes)
                );
            }
            let widths = p.widths().map_or(0, |w| w.len());
            let axis = if p.axis == AxisChoice::None {
                String::new()
            } else {
                format!(" × {} {} values", p.axis_values.len(), p.axis.name())
            };
            format!(
                "{widths} widths{axis} × {} seeds: about {flop:.1e} FLOP (limit {MAX_SWEEP_FLOP:.0e}), {} per worker, {jobs} jobs on {workers} worker(s)",
                p.seeds,
                mib(bytes)
            )
        }
        Err(e) => e,
    };
    let too_large = move || plan.with(Result::is_err);

    let result = Memo::new(move |_| state.with(|s| params.with(|p| Shown::of(s, p))));
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let plot_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        track_viewport();
        let shown = result.get();
        if !active.get() {
            return;
        }
        let Some(c) = canvas.get() else { return };
        let plot = plot_of(&shown);
        match timed_draw(&c, || draw_widths_plot(&c, &plot)) {
            Ok(geometry) => {
                plot_error.set(None);
                crate::hooks::record(&c, "data-geometry", || {
                    serde_json::to_string(&geometry).unwrap_or_default()
                });
            }
            Err(e) => plot_error.set(Some(e.to_string())),
        }
    });

    let widths_figure = Figure {
        canvas,
        redraw: Callback::new(move |()| {
            let shown = result.get_untracked();
            canvas.get_untracked().is_some_and(|c| draw_widths_plot(&c, &plot_of(&shown)).is_ok())
        }),
        svg: Callback::new(move |(sheet, provenance): (Sheet, Provenance)| {
            Some(widths_plot_svg(&plot_of(&result.get_untracked()), &sheet, &provenance))
        }),
        // The command of the sweep shown (none before the first sweep).
        command: Signal::derive(move || state.with(|s| s.params.as_ref().map(WidthsParams::cli_command))),
        step: Signal::derive(|| None),
    };

    let running = move || state.with(|s| s.phase == Phase::Running);
    let stale = move || {
        state.with(|s| (s.result.is_some() || s.lazy.is_some()) && s.params.as_ref() != Some(&params.get()))
    };
    let against_alpha = move || result.with(|r| matches!(r, Shown::Alpha(_)));
    let slopes = move || slope_rows(&plot_of(&result.get()));

    // The last result as a JSON file in the form `ntk widths` prints (a self-describing
    // report, which "Open results…" reads back; against α, the laziness result `ntk widths
    // --alphas` prints), as an object URL released when replaced.
    let json_url = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let spec = state.with(|s| s.spec.clone());
        let text = result.with(|shown| match shown {
            Shown::Widths(r, _) => r
                .as_ref()
                .zip(spec.as_ref())
                .and_then(|(r, spec)| WidthsReport::new(spec, r.clone()).ok())
                .and_then(|report| serde_json::to_string(&report).ok()),
            Shown::Alpha(r) => r.as_ref().and_then(|r| serde_json::to_string(r).ok()),
        });
        let url = text.and_then(|t| object_url(&t, "application/json").ok());
        if let Some(old) = json_url.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&old);
        }
        json_url.set(url);
    });
    let axis_note = RwSignal::new(Vec::<Note>::new());
    let incidents = Signal::derive(move || state.with(|s| s.incidents.clone()));
    let view_notes = Signal::derive(move || plot_error.get().map(Note::text).into_iter().collect::<Vec<_>>());

    view! {
        <div class="view widths" data-testid="widths">
            <div class="notes" role="status" data-testid="widths-notes">
                <NoteList notes=url_notes prefix="Link: " />
                <NoteList notes=axis_note />
                <NoteList notes=incidents />
                <NoteList notes=view_notes />
            </div>
            <div class="layout widths-layout">
                <aside class="panel controls" aria-label="Sweep controls">
                    <h2>"Network"</h2>
                    <ArchControls state=params prefix="w-" />
                    <h2>"Data and training"</h2>
                    <FieldControl field=&WidthsParams::TARGET state=params prefix="w-" />
                    <FieldControl field=&WidthsParams::N_TRAIN state=params prefix="w-" />
                    <FieldControl field=&WidthsParams::NOISE state=params prefix="w-" />
                    <FieldControl field=&WidthsParams::DATA_SEED state=params prefix="w-" />
                    <FieldControl field=&WidthsParams::LR_FRACTION state=params prefix="w-"
                        hint=Signal::derive(move || params.with(|p| if p.lr_fraction < 1.0 {
                            "below η_critical = 2N/(λ_min + λ_max) of the analytic NTK: Theorem 2.1 applies".to_string()
                        } else {
                            "at or above η_critical: outside Theorem 2.1; narrow networks may diverge".to_string()
                        })) />
                    <FieldControl field=&WidthsParams::STEPS state=params prefix="w-" />
                    <h2>"Sweep"</h2>
                    <div class="control">
                        <label for="w-x">{WidthsParams::AGAINST.label}</label>
                        <select id="w-x" data-testid="widths-against" prop:value=move || params.with(|p| p.against.name())
                            on:change=move |ev| {
                                let against = Against::from_name(&event_target_value(&ev)).unwrap_or(Against::Width);
                                let mut notes = Vec::new();
                                params.update(|p| {
                                    p.against = against;
                                    notes = crate::params::Described::normalize(p);
                                });
                                axis_note.set(notes);
                            }>
                            <option value="width">"hidden width n (lazy as n grows)"</option>
                            <option value="alpha">"output scale α at one width (lazy ↔ rich)"</option>
                        </select>
                    </div>
                    <Show when=move || params.with(|p| p.against == Against::Width)
                        fallback=move || view! {
                            <FieldControl field=&WidthsParams::WIDTH state=params prefix="w-" />
                            <div class="control">
                                <label for="w-alphas">{WidthsParams::ALPHAS.label}</label>
                                <input type="text" id="w-alphas" data-testid="widths-alphas" prop:value=move || params.with(|p| alpha_text(&p.alphas))
                                    on:change=move |ev| {
                                        let mut notes = Vec::new();
                                        params.update(|p| {
                                            notes = (WidthsParams::ALPHAS.set)(p, Value::Text(event_target_value(&ev)), &NoTables);
                                            notes.extend(crate::params::Described::normalize(p));
                                        });
                                        axis_note.set(notes);
                                    } />
                            </div>
                        }>
                        <FieldControl field=&WidthsParams::MIN_WIDTH state=params prefix="w-" />
                        <FieldControl field=&WidthsParams::MAX_WIDTH state=params prefix="w-" />
                    </Show>
                    <FieldControl field=&WidthsParams::SEEDS state=params prefix="w-" />
                    <FieldControl field=&WidthsParams::SEED state=params prefix="w-" />
                    <Show when=move || params.with(|p| p.against == Against::Width)>
                    <div class="control">
                        <label for="w-axis">{WidthsParams::AXIS.label}</label>
                        <select id="w-axis" prop:value=move || params.with(|p| p.axis.name())
                            on:change=move |ev| {
                                let axis = AxisChoice::from_name(&event_target_value(&ev)).unwrap_or(AxisChoice::None);
                                params.update(|p| *p = p.with_axis(axis));
                                axis_note.set(Vec::new());
                            }>
                            {AxisChoice::NAMES.iter().map(|o| view! { <option value=*o>{*o}</option> }).collect_view()}
                        </select>
                    </div>
                    <Show when=move || params.with(|p| p.axis != AxisChoice::None)>
                        <div class="control">
                            <label for="w-axv">{move || params.with(|p| if p.axis == AxisChoice::Depth { "depths L (comma-separated, up to 5)" } else { "training-set sizes N (comma-separated, up to 5)" })}</label>
                            <input type="text" id="w-axv" class="axis-values" prop:value=move || params.with(|p| axis_text(&p.axis_values))
                                on:change=move |ev| {
                                    let mut notes = Vec::new();
                                    params.update(|p| {
                                        notes = (WidthsParams::AXIS_VALUES.set)(p, Value::Text(event_target_value(&ev)), &NoTables);
                                        notes.extend(crate::params::Described::normalize(p));
                                    });
                                    axis_note.set(notes);
                                } />
                        </div>
                    </Show>
                    </Show>
                </aside>
                <main class="panel main-plot" aria-label="Width-scaling plots">
                    <h2>"How fast does a network become linear as it widens?"</h2>
                    <p class="hint">
                        "A sweep trains seeds × widths networks and their linearizations: seconds to minutes of compute, so it runs when you press "
                        <b>"Run sweep"</b>", not on every change."
                    </p>
                    <div class="run-row">
                        <button data-testid="run-sweep" class="primary" on:click=move |_| sweep.start(&params.get_untracked())>"Run sweep"</button>
                        <button data-testid="cancel-sweep" prop:disabled=move || !running() on:click=move |_| sweep.cancel()>"Cancel"</button>
                        <span class="hint" class:refused=too_large data-testid="widths-estimate">{estimate}</span>
                    </div>
                    <div class="progress">
                        <progress max="1" prop:value=move || state.with(SweepState::fraction)></progress>
                        <span data-testid="widths-run-status" class:refused=move || state.with(|s| matches!(s.phase, Phase::Refused | Phase::Failed))>
                            {move || state.with(run_line)}
                        </span>
                    </div>
                    <ul class="point-status" data-testid="widths-status">
                        {move || state.with(|s| {
                            let axis = s.params.as_ref().map_or(AxisChoice::None, |p| p.axis);
                            let steps = s.spec.as_ref().map_or(0, |p| p.steps);
                            s.statuses.iter().map(|p| view! { <li>{point_line(p, axis, steps, s.phase)}</li> }).collect_view()
                        })}
                    </ul>
                    <Show when=stale>
                        <p class="note" data-testid="widths-stale">"The plots show the last sweep; the settings have changed since — press “Run sweep” to update."</p>
                    </Show>
                    <canvas node_ref=canvas class="plot widths-plot" data-testid="widths-plot" role="img"
                        aria-label=move || if against_alpha() {
                            "four log-log panels against the output scale α: network–linearization distance, relative weight change per layer, kernel change, kernel–target alignment change"
                        } else {
                            "four log-log panels against the width: network–linearization distance, relative weight change per layer, kernel change, initial kernel error"
                        }></canvas>
                    <FigureExport id="widths" figure=widths_figure />
                    <p class="hint">{move || if against_alpha() {
                        "Dots: mean over seeds; bars: smallest to largest seed; solid lines: least-squares fit of log(mean) against log α (slope in the legend); dashed grey: the lazy theory's slope −1 through the first point."
                    } else {
                        "Dots: mean over seeds; bars: smallest to largest seed; solid lines: least-squares fit of log(mean) against log n (slope in the legend); dashed grey: slopes −1/2 and −1 through the first point."
                    }}</p>
                    <div class="table-scroll">
                    <table class="slopes" data-testid="widths-slopes">
                        <thead><tr><th>"fitted slope"</th><th>"(a) f − f_lin"</th><th>"(b) input"</th><th>"(b) hidden"</th><th>"(b) readout"</th><th>"(c) Θ̂_T − Θ̂_0"</th><th>{move || if against_alpha() { "(d) alignment change" } else { "(d) Θ̂_0 − Θ" }}</th></tr></thead>
                        <tbody>
                            {slopes}
                            <tr class="theory">
                                {(0..7).map(|i| view! { <td>{move || theory_row(against_alpha())[i]}</td> }).collect_view()}
                            </tr>
                        </tbody>
                    </table>
                    </div>
                    <Show when=move || !against_alpha() && any_unresolved(&plot_of(&result.get()))>
                        <p class="note" data-testid="widths-unresolved">
                            "* not resolved at these widths: ±2 standard errors of the slope cover both −1/2 and −1, so this sweep cannot tell them apart. "
                            <button data-testid="extend-sweep" on:click=move |_| {
                                params.update(|p| *p = p.extended());
                                sweep.start(&params.get_untracked());
                            }>{move || params.with(|p| p.extension_text())}</button>
                        </p>
                    </Show>
                    <div class="run-row">
                        <OpenResults prefix="w-" />
                    </div>
                    <div class="reproduce" data-testid="widths-reproduce">
                        <p class="hint">"The same sweep natively (same core code, the same JSON on standard output):"</p>
                        <code class="cli" data-testid="widths-cli">{move || params.with(WidthsParams::cli_command)}</code>
                        <p class="hint">
                            {move || json_url.get().map(|url| view! {
                                <a href=url download=if against_alpha() { "laziness-sweep.json" } else { "widths-sweep.json" } data-testid="widths-json">"Download the last sweep's results (JSON)"</a>
                            })}
                        </p>
                    </div>
                    <div class="run-row presets" data-testid="widths-presets">
                        <span class="hint">"Try:"</span>
                        <button data-testid="preset-smooth" on:click=move |_| params.set(preset(Activation::Erf, 1.0, 0.1))>
                            "erf (smooth), one layer: (a) steeper than −1/2, toward −1"
                        </button>
                        <button data-testid="preset-relu" on:click=move |_| params.set(preset(Activation::Relu, 2.0, 4.0))>
                            "ReLU, one layer, σ_b² = 4: slope of (a) ≈ −1/2"
                        </button>
                    </div>
                    <LazinessExplain />
                    <WidthsExplain />
                    <KernelConvergence arch=Signal::derive(move || params.with(|p| p.arch)) active=active />
                </main>
            </div>
        </div>
    }
}

/// A one-layer preset of the "Try" row: `activation` with the given σ_w², σ_b², widths 32…4096,
/// everything else at its default (the slopes its button names were measured so). With ReLU a
/// large σ_b² spreads the units' kinks (x = −σ_b b/(σ_w w)) over the data, where the −1/2 of
/// Theorem 2.1 shows within these widths.
fn preset(activation: Activation, sw2: f64, sb2: f64) -> WidthsParams {
    let d = WidthsParams::default();
    WidthsParams {
        arch: Architecture { depth: 1, activation, sw2, sb2, ..d.arch },
        min_width: MIN_BROWSER_WIDTH,
        max_width: MAX_BROWSER_WIDTH,
        ..WidthsParams::default()
    }
}

/// The rows of the slope table: one per series, the slopes of the plot's legends.
/// Whether a fitted slope tells the reference slopes apart: its ±2 standard-error interval
/// leaves out at least one of them (and there is a standard error: 3 widths or more).
pub fn resolved(fit: &PowerLawFit, references: &[f64]) -> bool {
    let Some(e) = fit.slope_stderr else { return false };
    references.iter().any(|r| (fit.slope - r).abs() > 2.0 * e)
}

/// The rows of the slope table: one per series, the slopes of the plot's legends; a slope that
/// does not tell −1/2 from −1 ([`resolved`]) is marked. Against α (one reference slope) each
/// slope is shown with its standard error.
fn slope_rows(plot: &WidthsPlot) -> impl IntoView {
    let references = plot.reference_slopes.clone();
    let slope = move |s: Option<&crate::plot::widths_plot::MetricSeries>| match s.and_then(|s| s.fit) {
        None => view! { <td>"—"</td> }.into_any(),
        Some(f) if references.len() < 2 => {
            let text = match f.slope_stderr {
                Some(e) => format!("{} ± {e:.2}", signed(f.slope)),
                None => signed(f.slope),
            };
            view! { <td>{text}</td> }.into_any()
        }
        Some(f) if resolved(&f, &references) => view! { <td>{signed(f.slope)}</td> }.into_any(),
        Some(f) => {
            let why = match f.slope_stderr {
                Some(e) => format!(
                    "{} ± {e:.2}: not resolved at these widths (±2 standard errors cover both −1/2 and −1) — add widths or seeds",
                    signed(f.slope)
                ),
                None => "two widths give no standard error: not resolved — add widths".to_string(),
            };
            view! { <td class="unresolved" title=why>{format!("{} *", signed(f.slope))}</td> }.into_any()
        }
    };
    let series = plot.panels.first().map_or(0, |p| p.series.len());
    (0..series)
        .map(|i| {
            let a = &plot.panels[0].series[i];
            let name = if a.name.is_empty() { "this sweep".to_string() } else { a.name.clone() };
            // Panel (b) holds up to three layer series per sweep series, named "kind[, series]".
            let layer = |kind: &str| {
                plot.panels[1].series.iter().find(|s| {
                    s.name == kind || (!a.name.is_empty() && s.name == format!("{kind}, {}", a.name))
                })
            };
            let title = legend_text(a);
            view! {
                <tr>
                    <td title=title>{name}</td>
                    {slope(Some(a))}
                    {slope(layer("input"))}
                    {slope(layer("hidden"))}
                    {slope(layer("readout"))}
                    {slope(plot.panels[2].series.get(i))}
                    {slope(plot.panels.get(3).and_then(|p| p.series.get(i)))}
                </tr>
            }
        })
        .collect_view()
}

/// The theory row of the slope table: against the width (paper Theorem 2.1, Figure 1) or
/// against α (the lazy theory, every metric ∝ 1/α).
fn theory_row(against_alpha: bool) -> [&'static str; 7] {
    if against_alpha {
        [
            "lazy theory (α → ∞)",
            "−1 (ReLU: flatter, units switching)",
            "−1",
            "−1",
            "−1",
            "−1",
            "−1 (Θ̂ moves O(1/α))",
        ]
    } else {
        [
            "theory",
            "≤ −1/2 (ReLU: −1/2; smooth φ: → −1)",
            "−1/2",
            "−1",
            "−1/2",
            "−1/2 … −1 (mean-field: 0)",
            "−1/2",
        ]
    }
}

/// Whether any slope of the plot is not resolved ([`resolved`]).
fn any_unresolved(plot: &WidthsPlot) -> bool {
    plot.panels
        .iter()
        .flat_map(|p| &p.series)
        .filter_map(|s| s.fit)
        .any(|f| !resolved(&f, &plot.reference_slopes))
}

/// What a sweep against α shows, and why.
#[component]
fn LazinessExplain() -> impl IntoView {
    view! {
        <section class="explain widths-explain" data-testid="laziness-explain">
            <h2>"Lazy or rich: the output scale α"</h2>
            <p>
                "Chizat, Oyallon and Bach showed that laziness is a matter of scale. Train g = α (f − f" <sub>"0"</sub> ") on the loss divided by α" <sup>"2"</sup> " (choose “output scale α” above): to fit targets of size 1, the parameters only need to move by O(1/α). "
                "So as α grows, (b) every layer's relative weight change and (c) the kernel's change fall like 1/α, and (a) the gap g − g" <sub>"lin"</sub> " = α (f − f" <sub>"lin"</sub> "), second order in the move, also falls like 1/α: slope −1 against α, the lazy regime where the paper's linear model is exact. "
                "Small α is the rich regime: the weights travel far, the kernel changes by O(1) and the slopes flatten — the network learns features its initial kernel does not have."
            </p>
            <p>
                <b>"(d) Kernel–target alignment. "</b>
                "A(Θ̂) = yᵀΘ̂y / (‖Θ̂‖" <sub>"F"</sub> " ‖y‖²) measures how much of the kernel points along the training targets (1: Θ̂ ∝ y yᵀ). A lazy network keeps its initial kernel, so A barely moves (falling like 1/α); a rich one reshapes its kernel as it trains. "
                "On the page's 8 sine points A(Θ̂" <sub>"0"</sub> ") is already 0.91 (width 64, erf): at α = 0.1 it moves by 0.02 in 200 steps, at α = 30 by 0.0003. Both start and end values are in the JSON download."
            </p>
            <p>
                "Measured with erf at width 128: slopes −0.99 for (a), −0.97 … −1.04 for (b), −1.20 for (c). ReLU's gap barely falls with α (slope ≈ −0.15): it leaves its linearization through units whose kinks cross the data, not through curvature. "
                "Beyond α ≈ 30 the gap meets a floor that grows like α: the f32 rounding of the parameters' tiny updates, multiplied by α. "
                "With the mean-field parameterization (f = (1/n) Σ a" <sub>"i"</sub> " φ(·)) the network stays rich at every width: against the width its kernel change does not fall (slope 0)."
            </p>
        </section>
    }
}

/// What slopes to expect, and why.
#[component]
fn WidthsExplain() -> impl IntoView {
    view! {
        <section class="explain widths-explain" data-testid="widths-explain">
            <h2>"What slopes to expect, and why"</h2>
            <p>
                <b>"(a) Network vs linearization. "</b>
                "Theorem 2.1 of the paper bounds the distance between a network trained by gradient descent (η below η_critical) and its linearization around initialisation by O(n" <sup>"−1/2"</sup> ") for the whole of training: the slope should be −1/2 or steeper. "
                "For smooth nonlinearities (erf, tanh, gelu, …) it is steeper, tending to −1 as n grows: f − f_lin is the second-order Taylor remainder, quadratic in the weight change, and the weights move less and less as n grows (b), so the gap shrinks faster than the bound (slopes of −0.7 to −0.9 over widths 32…4096 on this data). "
                "ReLU breaks the smoothness this argument needs: its derivative jumps at 0, so the units that switch on or off during training (a fraction of order n" <sup>"−1/2"</sup> ") add up to a gap of order n" <sup>"−1/2"</sup> ", the slope of the bound. "
                "Where the units switch matters: a first-layer unit's kink sits at x = −σ_b b/(σ_w w), spread over a width of about σ_b/σ_w around 0. With a small σ_b² the kinks crowd near x = 0, few units shape the outer data, and the widths a tab can train are not yet in the asymptotic regime (slopes near 0); with σ_b² = 4 the −1/2 shows by n = 4096."
            </p>
            <p>
                <b>"(b) Weights (Figure 1). "</b>
                "In NTK parameterization every trained weight matrix moves by O(1) in Frobenius norm during training. The hidden n×n matrices start with norm of order n, so their relative change falls as 1/n; the input (n×d) and readout (1×n) matrices start with norm of order √n, so theirs falls as 1/√n. "
                "Each weight barely moves: the lazy regime in which the linearization is exact in the limit."
            </p>
            <p>
                <b>"(c) Kernel change. "</b>
                "The empirical NTK Θ̂ depends on the weights through the hidden activations and their derivatives; it changes during training by at most O(n" <sup>"−1/2"</sup> ") (paper Eq. S50), in practice closer to 1/n as in Figure 1: Θ̂ is constant in the limit, which is why the network follows its linearization."
            </p>
            <p>
                <b>"(d) Initial kernel. "</b>
                "At initialisation Θ̂₀ is an average over n random hidden units: it fluctuates around the analytic NTK Θ by the central limit theorem, relative error ∝ 1/√n (slope −1/2)."
            </p>
            <p>
                "Seeds whose training diverges (possible for narrow networks above η_critical) are left out of (a)–(c) and reported with the step at which they diverged. Second axis: depth or training-set size, one series each (Figure S5); deeper networks and more data move the curves up but keep their slopes."
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::resolved;
    use ntk_core::stats::PowerLawFit;
    fn fit(slope: f64, e: Option<f64>) -> PowerLawFit {
        PowerLawFit { slope, intercept: 0.0, points: 4, slope_stderr: e }
    }

    #[test]
    fn a_slope_is_resolved_when_its_interval_leaves_out_a_reference() {
        let refs = [-0.5, -1.0];
        assert!(resolved(&fit(-0.49, Some(0.02)), &refs), "clearly −1/2");
        assert!(resolved(&fit(-0.97, Some(0.13)), &refs), "clearly not −1/2");
        // The report's small sweep: +0.17 ± 1.46 says nothing.
        assert!(!resolved(&fit(0.17, Some(1.46)), &refs));
        assert!(!resolved(&fit(-0.75, Some(0.2)), &refs), "covers both");
        assert!(!resolved(&fit(-0.5, None), &refs), "two widths: no standard error");
    }
}
