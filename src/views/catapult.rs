//! The catapult view: where the lazy (linear) picture of the explorer stops. The two-scalar
//! model of a one-hidden-layer linear network on one sample (docs/MATH.md; lecture 002, "Dynamics at
//! large learning rates") runs on the main thread at every slider input (microseconds, in the
//! [`CatapultService`]: [`two_scalar_model`], [`phase_points`]), with its phase diagram; real
//! networks at the same ηλ₀ (λ = λ_max(Θ̂)/N) train in a worker of
//! their own, restarted (the old run abandoned) when a parameter they use changes. On request
//! (`quad=1`) the wide network's linearization `f₀ + J₀δ` and quadratic model
//! `f₀ + J₀δ + ½ δᵀH₀δ` (δ = θ − θ₀) train beside it at the same η: for 2 < ηλ₀ < 4 the
//! quadratic model catapults with the network while the linearization diverges.

use leptos::prelude::*;
use ntk_core::experiments::catapult_network::{ModelTrajectory, NetworkTrajectory};

use crate::components::arch::ArchControls;
use crate::components::field::FieldControl;
use crate::components::figure_export::{Figure, FigureExport};
use crate::components::notes::NoteList;
use crate::params::catapult::CatapultParams;
use crate::params::notes::Note;
use crate::params::url;
use crate::plot::catapult_plot::{
    draw_phase_diagram, draw_trajectories, phase_diagram_svg, trajectories_svg, PhaseDot, Role, Trajectory,
};
use crate::plot::svg::{Provenance, Sheet};
use crate::route::View;
use crate::services::catapult::{
    net_key, phase_points, two_scalar_model, CatapultService, DIAGRAM_POINTS, DIAGRAM_RANGE,
};
use crate::services::{restart_when_settled, sync_url, timed_draw, track_viewport};
use crate::storage::BROWSER_TABLES;

/// The phase diagram's dots: final ηλ and loss of the model over the ηλ₀ grid (none where it
/// diverged).
fn diagram(p: &CatapultParams) -> Result<Vec<PhaseDot>, String> {
    let points = phase_points(p)?;
    Ok(points
        .iter()
        .map(|q| PhaseDot {
            eta_lambda0: q.eta_lambda0,
            final_eta_lambda: q.diverged_at.is_none().then_some(q.eta * q.final_lambda),
            final_loss: q.diverged_at.is_none().then_some(q.final_loss),
        })
        .collect())
}

fn ratio(loss: &[f64]) -> Vec<f64> {
    let l0 = loss.first().copied().unwrap_or(1.0);
    loss.iter().map(|l| if l0 > 0.0 { l / l0 } else { *l }).collect()
}

fn network_trajectory(t: &NetworkTrajectory, label: String, role: Role) -> Trajectory {
    Trajectory {
        label,
        role,
        loss_ratio: ratio(&t.loss),
        eta_lambda: t.lambda.iter().map(|l| t.eta * l).collect(),
        f: t.f.clone(),
    }
}

fn model_trajectory(t: &ModelTrajectory, eta: f64, label: &str, role: Role) -> Trajectory {
    Trajectory {
        label: label.to_string(),
        role,
        loss_ratio: ratio(&t.loss),
        eta_lambda: t.lambda.iter().map(|l| eta * l).collect(),
        f: t.f.clone(),
    }
}

/// The legend texts of the wide network's Taylor models.
const LINEARIZED_LABEL: &str = "its linearization";
const QUADRATIC_LABEL: &str = "its quadratic model";

/// The trajectories as the canvas's `data-trajectories` (label, loss / initial loss, ηλ_t, f_t).
fn trajectories_json(trajs: &[Trajectory]) -> String {
    let v: Vec<serde_json::Value> = trajs
        .iter()
        .map(|t| {
            serde_json::json!({ "label": t.label, "loss_ratio": t.loss_ratio, "eta_lambda": t.eta_lambda, "f": t.f })
        })
        .collect();
    serde_json::to_string(&v).unwrap_or_default()
}

/// What happened to a run, in words: its phase and, if it diverged, the step.
fn describe(phase: &str, predicted: &str, diverged_at: Option<u64>) -> String {
    let mut s = format!("{phase} (predicted from ηλ₀: {predicted})");
    if let Some(k) = diverged_at {
        s.push_str(&format!(", diverged at step {k}"));
    }
    s
}

/// The catapult view.
#[component]
pub fn CatapultView(
    /// whether this view is the one shown
    #[prop(into)]
    active: Signal<bool>,
    /// the link's query string, if the link is for this view
    query: Option<String>,
    /// set by the explorer to open this view at its setting
    open_at: RwSignal<Option<CatapultParams>>,
) -> impl IntoView {
    let networks = expect_context::<CatapultService>();
    let (initial, notes) =
        url::decode::<CatapultParams>(query.as_deref().unwrap_or(""), url::RESERVED, &BROWSER_TABLES);
    let params = RwSignal::new(initial);
    let url_notes = RwSignal::new(notes);
    let run = networks.state;

    // The explorer hands over a setting.
    Effect::new(move |_| {
        if let Some(p) = open_at.get() {
            params.set(p);
            url_notes.set(vec![]);
        }
    });
    sync_url(View::Catapult, active, params);
    let key = Memo::new(move |_| params.with(net_key));
    restart_when_settled(key, active, move |k| networks.is_current(k), move |k| networks.start(k));

    let model_run = Memo::new(move |_| params.with(two_scalar_model));
    let dots = Memo::new(move |_| params.with(diagram));
    let traj_canvas = NodeRef::<leptos::html::Canvas>::new();
    let diagram_canvas = NodeRef::<leptos::html::Canvas>::new();
    let plot_error = RwSignal::new(None::<String>);

    // The networks' run as drawn: its key and result (its progress reports redraw nothing).
    let drawn_run = Memo::new(move |_| run.with(|r| (r.key.clone(), r.result.clone())));
    // The trajectories drawn: the model's and, when they belong to the setting, the networks'.
    let trajectories_now = move || {
        let p = params.get_untracked();
        let m = model_run.get_untracked();
        let (run_key, run_result) = drawn_run.get_untracked();
        let mut trajs = Vec::new();
        if let Ok(m) = &m {
            let eta = p.eta_lambda0 / p.lambda0;
            trajs.push(Trajectory {
                label: "two-scalar model".to_string(),
                role: Role::Model,
                loss_ratio: ratio(&m.loss),
                eta_lambda: m.lambda.iter().map(|l| eta * l).collect(),
                f: m.f.clone(),
            });
        }
        if let (true, Some(Ok(run))) = (run_key.as_ref() == Some(&net_key(&p)), &run_result) {
            let label = format!("{} networks of width {}", run.members.len(), p.member_width);
            trajs.extend(run.members.iter().map(|t| network_trajectory(t, label.clone(), Role::Member)));
            trajs.push(network_trajectory(
                &run.network,
                format!("network of width {}", p.width),
                Role::Network,
            ));
            let eta = run.network.eta;
            if let Some(m) = &run.network.linearized {
                trajs.push(model_trajectory(m, eta, LINEARIZED_LABEL, Role::Linearized));
            }
            if let Some(m) = &run.network.quadratic {
                trajs.push(model_trajectory(m, eta, QUADRATIC_LABEL, Role::Quadratic));
            }
        }
        (trajs, p.steps)
    };
    Effect::new(move |_| {
        track_viewport();
        params.track();
        model_run.track();
        drawn_run.track();
        if !active.get() {
            return;
        }
        let Some(canvas) = traj_canvas.get() else { return };
        let (trajs, steps) = trajectories_now();
        plot_error.set(
            timed_draw(&canvas, || draw_trajectories(&canvas, &trajs, steps)).err().map(|e| e.to_string()),
        );
        crate::hooks::record(&canvas, "data-trajectories", || trajectories_json(&trajs));
    });
    let traj_figure = Figure {
        canvas: traj_canvas,
        redraw: Callback::new(move |()| {
            let (trajs, steps) = trajectories_now();
            traj_canvas.get_untracked().is_some_and(|c| draw_trajectories(&c, &trajs, steps).is_ok())
        }),
        svg: Callback::new(move |(sheet, provenance): (Sheet, Provenance)| {
            let (trajs, steps) = trajectories_now();
            Some(trajectories_svg(&trajs, steps, &sheet, &provenance))
        }),
        command: Signal::derive(move || Some(params.with(CatapultParams::map_command))),
        step: Signal::derive(|| None),
    };
    let diagram_figure = Figure {
        canvas: diagram_canvas,
        redraw: Callback::new(move |()| {
            let (Some(c), Ok(d)) = (diagram_canvas.get_untracked(), dots.get_untracked()) else {
                return false;
            };
            draw_phase_diagram(&c, &d, params.with_untracked(|p| p.eta_lambda0)).is_ok()
        }),
        svg: Callback::new(move |(sheet, provenance): (Sheet, Provenance)| {
            let d = dots.get_untracked().ok()?;
            Some(phase_diagram_svg(&d, params.with_untracked(|p| p.eta_lambda0), &sheet, &provenance))
        }),
        command: Signal::derive(move || {
            Some(params.with(|p| p.sweep_command(DIAGRAM_RANGE.0, DIAGRAM_RANGE.1, DIAGRAM_POINTS)))
        }),
        step: Signal::derive(|| None),
    };
    Effect::new(move |_| {
        track_viewport();
        let p = params.get();
        let d = dots.get();
        if !active.get() {
            return;
        }
        let (Some(canvas), Ok(d)) = (diagram_canvas.get(), d) else { return };
        match draw_phase_diagram(&canvas, &d, p.eta_lambda0) {
            Ok(g) => {
                crate::hooks::record(&canvas, "data-geometry", || {
                    serde_json::to_string(&g).unwrap_or_default()
                });
            }
            Err(e) => plot_error.set(Some(e.to_string())),
        }
    });

    let model_phase = move || match model_run.get() {
        Ok(m) => {
            format!("Two-scalar model: {}", describe(m.phase.name(), m.predicted_phase.name(), m.diverged_at))
        }
        Err(e) => format!("Two-scalar model not run: {e}"),
    };
    let network_status = move || {
        let r = run.get();
        let p = params.get();
        if r.key.as_ref() != Some(&net_key(&p)) {
            return if r.key.is_none() {
                "Networks: starting…".to_string()
            } else {
                "Networks: starting a new run for the changed parameters…".to_string()
            };
        }
        match &r.result {
            None => format!("Networks: training… {:.0}%", r.fraction * 100.0),
            Some(Err(e)) => format!("Networks not run: {e}"),
            Some(Ok(run)) => {
                let t = &run.network;
                let spread = if run.members.is_empty() {
                    String::new()
                } else {
                    let diverged = run.members.iter().filter(|m| m.diverged_at.is_some()).count();
                    format!("; {} small networks, {diverged} diverged", run.members.len())
                };
                let model = |name: &str, m: &Option<Box<ModelTrajectory>>| {
                    m.as_ref().map_or(String::new(), |m| {
                        let mut s = format!("; {name}: {}", m.phase.name());
                        if let Some(k) = m.diverged_at {
                            s.push_str(&format!(", diverged at step {k}"));
                        }
                        s
                    })
                };
                format!(
                    "Network (width {}, λ₀ = {:.3}, η = {:.4}): {}{}{}{spread}",
                    p.width,
                    t.lambda0,
                    t.eta,
                    describe(t.phase.name(), t.predicted_phase.name(), t.diverged_at),
                    model("linearization", &t.linearized),
                    model("quadratic model", &t.quadratic),
                )
            }
        }
    };

    let preset = move |el0: f64| move |_| params.update(|p| p.eta_lambda0 = el0);
    let view_notes = Signal::derive(move || plot_error.get().map(Note::text).into_iter().collect::<Vec<_>>());
    view! {
        <div class="view catapult" data-testid="catapult">
            <div class="notes" role="status" data-testid="catapult-notes">
                <NoteList notes=url_notes prefix="Link: " />
                <NoteList notes=view_notes />
            </div>
            <div class="layout">
                <aside class="panel controls" aria-label="Catapult controls">
                    <h2>"Learning rate"</h2>
                    <div class="presets">
                        <button on:click=preset(1.5)>"lazy: ηλ₀ = 1.5"</button>
                        <button on:click=preset(3.0)>"catapult: ηλ₀ = 3"</button>
                        <button on:click=preset(4.4)>"divergent: ηλ₀ = 4.4"</button>
                    </div>
                    <FieldControl field=&CatapultParams::ETA_LAMBDA0 state=params prefix="c-"
                        marks=vec![(2.0, "2".to_string()), (4.0, "4".to_string())] />
                    <FieldControl field=&CatapultParams::STEPS state=params prefix="c-" />
                    <h2>"Two-scalar model"</h2>
                    <FieldControl field=&CatapultParams::N state=params prefix="c-" />
                    <FieldControl field=&CatapultParams::LAMBDA0 state=params prefix="c-" />
                    <FieldControl field=&CatapultParams::F0 state=params prefix="c-" />
                    <h2>"Real networks"</h2>
                    <ArchControls state=params prefix="c-" />
                    <FieldControl field=&CatapultParams::WIDTH state=params prefix="c-" />
                    <FieldControl field=&CatapultParams::POINTS state=params prefix="c-" />
                    <FieldControl field=&CatapultParams::MEMBERS state=params prefix="c-" />
                    <FieldControl field=&CatapultParams::MEMBER_WIDTH state=params prefix="c-" />
                    <FieldControl field=&CatapultParams::SEED state=params prefix="c-" />
                    <label class="follow" title="the wide network's Taylor models around θ₀, trained by the same gradient descent at the same η">
                        <input type="checkbox" data-testid="catapult-quad-on" prop:checked=move || params.with(|p| p.quadratic)
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                params.update(|p| p.quadratic = on);
                            } />
                        "its linearization f₀ + J₀δ and quadratic model f₀ + J₀δ + ½ δᵀH₀δ"
                    </label>
                </aside>
                <main class="panel main-plot" aria-label="Catapult trajectories">
                    <h2>"Training at η·λ₀ = " {move || params.with(|p| p.eta_lambda0.to_string())}</h2>
                    <p class="phase" data-testid="phase">{model_phase}</p>
                    <canvas node_ref=traj_canvas class="plot catapult" data-testid="catapult-plot" role="img"
                        aria-label="loss, η·λ and output against step for the two-scalar model and the real networks"></canvas>
                    <FigureExport id="catapult" figure=traj_figure />
                    <div class="progress">
                        <progress max="1" prop:value=move || run.with(|r| r.fraction)></progress>
                        <span data-testid="catapult-status">{network_status}</span>
                    </div>
                    <div class="reproduce">
                        <p class="hint">"The wide network natively:"</p>
                        <code class="cli" data-testid="catapult-network-cli">{move || params.with(CatapultParams::network_command)}</code>
                    </div>
                </main>
                <section class="panel side" aria-label="Phase diagram">
                    <h2>"Phase diagram (two-scalar model)"</h2>
                    <canvas node_ref=diagram_canvas class="plot diagram" data-testid="phase-diagram" role="img"
                        aria-label="final η·λ and final loss against η·λ₀, with the lazy, catapult and divergent regions"></canvas>
                    <FigureExport id="catapult-diagram" figure=diagram_figure />
                    <div class="explain">
                        <p>
                            "Gradient descent on a linear model is stable only for η < 2/λ (in the explorer: η_max = 2N/λ_max). \
                             A network is not linear: for 2 < ηλ₀ < 4 its loss first grows for about log n steps, \
                             the kernel's top eigenvalue λ falls until ηλ < 2 — the curve drops under the red line — \
                             and training then converges in a flatter place: the catapult. Above ηλ₀ = 4 it diverges."
                        </p>
                        <p>
                            "The model: a one-hidden-layer linear network f = vᵀu x/√n on one sample (x = 1, y = 0), \
                             λ = (|u|² + |v|²)/n; gradient descent is exactly "
                            <math><msub><mi>"f"</mi><mrow><mi>"t"</mi><mo>"+"</mo><mn>"1"</mn></mrow></msub><mo>"="</mo><mo>"("</mo><mn>"1"</mn><mo>"−"</mo><mi>"η"</mi><msub><mi>"λ"</mi><mi>"t"</mi></msub><mo>"+"</mo><msup><mi>"η"</mi><mn>"2"</mn></msup><msubsup><mi>"f"</mi><mi>"t"</mi><mn>"2"</mn></msubsup><mo>"/"</mo><mi>"n"</mi><mo>")"</mo><msub><mi>"f"</mi><mi>"t"</mi></msub></math>
                            ", "
                            <math><msub><mi>"λ"</mi><mrow><mi>"t"</mi><mo>"+"</mo><mn>"1"</mn></mrow></msub><mo>"="</mo><msub><mi>"λ"</mi><mi>"t"</mi></msub><mo>"+"</mo><mo>"("</mo><mi>"η"</mi><msubsup><mi>"f"</mi><mi>"t"</mi><mn>"2"</mn></msubsup><mo>"/"</mo><mi>"n"</mi><mo>")"</mo><mo>"("</mo><mi>"η"</mi><msub><mi>"λ"</mi><mi>"t"</mi></msub><mo>"−"</mo><mn>"4"</mn><mo>")"</mo></math>
                            ". Real networks use λ = λ_max(Θ̂)/N of their empirical NTK on the N training points, \
                             tracked every step, at the same ηλ₀."
                        </p>
                        <p>
                            "Ticked, the wide network's linearization (dashed) and its quadratic model f₀ + J₀δ + ½ δᵀH₀δ (long dashes, δ = θ − θ₀) train beside it at the same η, each with λ of its own tangent kernel. \
                             The linearization's kernel never moves, so above ηλ₀ = 2 it diverges; the quadratic model's λ can fall, and it catapults like the network (Zhu et al. 2022)."
                        </p>
                    </div>
                </section>
            </div>
        </div>
    }
}
