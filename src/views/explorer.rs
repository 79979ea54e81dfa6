//! The explorer view (the paper's Figure 2, live): the shareable parameters (in the URL), the
//! analytic theory computed on every change, the ensemble run in the worker pool (restarted,
//! the old run cancelled, when a parameter it depends on changes), and the plots that render
//! both.

use std::cell::RefCell;

use leptos::prelude::*;
use ntk_core::nets::ensemble::EnsembleSummary;
use ntk_core::{Activation, Parameterization};

use crate::app::{write_url, View};
use crate::catapult_state::CatapultParams;
use crate::components::controls::{Scale, SelectControl, SliderControl, SLIDER_STEPS};
use crate::components::explain::Explain;
use crate::model::{self, nearest_checkpoint, Layout, Problem, Theory};
use crate::plot::function_plot::{draw_function_plot, Frame, FunctionPlot};
use crate::plot::heatmap::{draw_heatmaps, Heatmaps, Panel, COLOR_SCALE};
use crate::plot::loss_plot::{draw_loss_curves, draw_loss_plot, draw_time_marker, Curve, Model, TimeAxis};
use crate::plot::{context_2d, Band};
use crate::runtime::job_worker::{JobEvent, JobWorker};
use crate::runtime::protocol::{FromWorker, ToWorker};
use crate::runtime::{PoolEvent, PoolOptions, WorkerPool};
use crate::state::{
    activation_name, user_point, DataChoice, ExplorerParams, ACTIVATIONS, MAX_CURVES, MAX_MEMBERS, MAX_STEPS,
    MAX_TRAIN, MAX_WIDTH, PARAMETERIZATIONS, USER_Y_RANGE,
};

/// Milliseconds a parameter must stay unchanged before the ensemble restarts (dragging a slider
/// does not start and cancel a run per pixel; the theory follows every input event).
const RESTART_DELAY_MS: u64 = 250;

/// The state of the ensemble run shown on the page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunState {
    /// the parameters the run belongs to (`shown_step` ignored)
    pub key: Option<ExplorerParams>,
    /// pool generation of the run
    pub generation: u64,
    /// members finished / in the job
    pub members_done: usize,
    /// members in the job
    pub members_total: usize,
    /// fraction of all training steps done
    pub fraction: f64,
    /// statistics of the members finished so far
    pub summary: Option<EnsembleSummary>,
    /// each of the first [`MAX_CURVES`] members alone (for drawing individual functions), by
    /// member index
    pub members: Vec<(usize, EnsembleSummary)>,
    /// every member finished
    pub done: bool,
    /// why the run could not start or finish
    pub error: Option<String>,
    /// workers lost (and replaced) during the run
    pub incidents: Vec<String>,
}

/// The parameters an ensemble depends on (all but the time shown and the number of member
/// functions drawn).
pub fn run_key(p: &ExplorerParams) -> ExplorerParams {
    ExplorerParams { shown_step: 0, curves: 0, ..p.clone() }
}

/// The analytic theory of a view: computed, or waiting for the kernel worker.
enum TheoryEntry {
    /// kernels requested from the kernel worker (request id)
    Pending(u64),
    /// the theory, or why there is none
    Done(Box<Result<Theory, String>>),
}

/// What the page says while the kernel worker computes.
pub const THEORY_PENDING: &str = "computing the NNGP and NTK kernels by quadrature in a worker…";

thread_local! {
    static POOL: RefCell<Option<WorkerPool>> = const { RefCell::new(None) };
    static THEORY: RefCell<Option<(ExplorerParams, TheoryEntry)>> = const { RefCell::new(None) };
    static KERNELS: RefCell<Option<JobWorker>> = const { RefCell::new(None) };
    /// bumped when the kernel worker delivers: what depends on the theory redraws
    static THEORY_TICK: std::cell::Cell<Option<RwSignal<u64>>> = const { std::cell::Cell::new(None) };
    static NEXT_REQUEST: std::cell::Cell<u64> = const { std::cell::Cell::new(1) };
}

/// The parameters the theory depends on: the architecture and the data.
fn theory_key(p: &ExplorerParams) -> ExplorerParams {
    ExplorerParams { shown_step: 0, width: 0, members: 0, steps: 0, lr: 0.0, curves: 0, ..p.clone() }
}

/// The theory for `p`, recomputed only when a parameter it depends on changes. Activations
/// with closed-form kernel maps are computed here (about a millisecond); the others (tanh,
/// softplus, sigmoid: 2-D Gaussian quadrature, seconds) in the kernel worker, and until it
/// answers `f` sees `Err(THEORY_PENDING)`.
fn with_theory<R>(p: &ExplorerParams, f: impl FnOnce(&Result<Theory, String>) -> R) -> R {
    if let Some(tick) = THEORY_TICK.get() {
        tick.track();
    }
    let key = theory_key(p);
    let fresh = THEORY.with(|c| c.borrow().as_ref().is_some_and(|(k, _)| *k == key));
    if !fresh {
        let problem = model::problem(p);
        let arch = model::architecture(p);
        match (problem, arch) {
            (Ok(data), Ok(arch)) if !p.activation.has_closed_form() => {
                let id = NEXT_REQUEST.get();
                NEXT_REQUEST.set(id + 1);
                THEORY.with(|c| *c.borrow_mut() = Some((key, TheoryEntry::Pending(id))));
                let job = ToWorker::Kernels { request: id, arch, x_train: data.x_train, x_test: data.x_test };
                kernel_worker().request(id, &job);
            }
            (problem, _) => {
                let theory = problem.and_then(|data| model::theory(p, &data));
                THEORY.with(|c| *c.borrow_mut() = Some((key, TheoryEntry::Done(Box::new(theory)))));
            }
        }
    }
    THEORY.with(|cell| match &cell.borrow().as_ref().expect("just filled").1 {
        TheoryEntry::Done(theory) => f(theory),
        TheoryEntry::Pending(_) => f(&Err(THEORY_PENDING.to_string())),
    })
}

/// The page's kernel worker (started on first use).
fn kernel_worker() -> JobWorker {
    KERNELS.with(|k| k.borrow_mut().get_or_insert_with(|| JobWorker::new(on_kernels)).clone())
}

/// Kernels from the worker: the theory of the request still pending is assembled (cheap:
/// eigendecompositions of N×N matrices); replies to older requests are dropped.
fn on_kernels(event: JobEvent) {
    let (request, result) = match event {
        JobEvent::Message(FromWorker::Kernels { request, result }) => (request, result),
        JobEvent::Lost { request, message } => (request, Err(message)),
        JobEvent::Message(_) => return,
    };
    let delivered = THEORY.with(|cell| {
        let mut cell = cell.borrow_mut();
        let Some((key, entry)) = cell.as_mut() else { return false };
        if !matches!(entry, TheoryEntry::Pending(id) if *id == request) {
            return false;
        }
        let theory = result
            .and_then(|k| model::problem(key).and_then(|data| model::theory_from_kernels(key, &data, &k)));
        *entry = TheoryEntry::Done(Box::new(theory));
        true
    });
    if delivered {
        if let Some(tick) = THEORY_TICK.get() {
            tick.update(|t| *t += 1);
        }
    }
}

/// Starts the ensemble of `p` in the pool (creating the pool on first use).
fn start_run(p: &ExplorerParams, run: RwSignal<RunState>) {
    let key = run_key(p);
    let fail = |message: String| {
        run.set(RunState { key: Some(key.clone()), error: Some(message), ..RunState::default() });
    };
    let spec = match model::problem(p)
        .and_then(|data| model::ensemble_spec(p, &data))
        .and_then(|s| model::check_workload(&s).map(|()| s))
    {
        Ok(spec) => spec,
        Err(message) => {
            POOL.with(|pool| pool.borrow().as_ref().map(WorkerPool::cancel));
            return fail(message);
        }
    };
    let created = POOL.with(|pool| {
        if pool.borrow().is_some() {
            return Ok(());
        }
        let made = WorkerPool::new(PoolOptions::for_this_browser(), move |event| on_pool_event(run, event))?;
        *pool.borrow_mut() = Some(made);
        Ok::<(), String>(())
    });
    if let Err(message) = created {
        return fail(message);
    }
    let members_total = spec.members;
    run.set(RunState { key: Some(key), members_total, ..RunState::default() });
    let generation = POOL.with(|pool| pool.borrow().as_ref().map(|pool| pool.start(spec)));
    if let Some(generation) = generation {
        run.update(|r| {
            if r.generation == 0 {
                r.generation = generation;
            }
        });
    }
}

fn on_pool_event(run: RwSignal<RunState>, event: PoolEvent) {
    run.update(|r| match event {
        PoolEvent::Progress { generation, members_done, members_total, fraction } => {
            if accept(r, generation) {
                r.members_done = members_done;
                r.members_total = members_total;
                r.fraction = fraction;
            }
        }
        PoolEvent::Partial { generation, stats } => {
            if accept(r, generation) {
                r.summary = Some(stats.summary());
            }
        }
        PoolEvent::Member { generation, member, stats } => {
            if accept(r, generation) && member < MAX_CURVES as usize {
                let at = r.members.partition_point(|(m, _)| *m < member);
                r.members.insert(at, (member, stats.summary()));
            }
        }
        PoolEvent::Done { generation, .. } => {
            if accept(r, generation) {
                r.done = true;
                r.fraction = 1.0;
            }
        }
        PoolEvent::Failed { generation, message } => {
            if accept(r, generation) {
                r.error = Some(message);
            }
        }
        PoolEvent::WorkerLost { worker, message } => {
            r.incidents
                .push(format!("worker {worker} stopped ({message}); it was replaced and its member rerun"));
        }
    });
}

/// Events of the current run only (the generation is set by the first event when the pool
/// reports synchronously from `start`).
fn accept(r: &mut RunState, generation: u64) -> bool {
    if r.generation == 0 {
        r.generation = generation;
    }
    r.generation == generation
}

/// The data of the plots at the shown step as CSV: one row per test point (the 1-D grid, or the
/// 2-D grid then the segment) with its input, the target (empty for the user's points), the
/// NTK-GP and NNGP means and standard deviations and (if the ensemble of these parameters has
/// results) the network and linearized ensemble means and standard deviations.
pub fn export_csv(p: &ExplorerParams, results: &(Option<ExplorerParams>, Option<EnsembleSummary>)) -> String {
    let Ok(data) = model::problem(p) else {
        return format!("# {}\n# no training points\n", p.to_query());
    };
    let inputs = if data.dim() == 1 { "x".to_string() } else { "x1,x2".to_string() };
    let mut out = format!(
        "# {}\n{inputs},target,ntk_mean,ntk_sd,nngp_mean,nngp_sd,net_mean,net_sd,lin_mean,lin_sd\n",
        p.to_query()
    );
    let theory = with_theory(p, |t| t.as_ref().ok().map(|t| t.at_step(p.shown_step, p.lr)));
    let ensemble = match results {
        (Some(key), Some(s)) if *key == run_key(p) && s.members > 0 => {
            nearest_checkpoint(s, p.shown_step).map(|i| s.checkpoints[i].clone())
        }
        _ => None,
    };
    let sd = |v: f64| v.max(0.0).sqrt();
    for (i, x) in data.x_test.iter().enumerate() {
        let x = x.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
        let y = data.y_test.as_ref().map_or(String::new(), |y| y[i].to_string());
        let th = theory.as_ref().map_or(",,,".to_string(), |t| {
            format!("{},{},{},{}", t.ntk.mean[i], sd(t.ntk.var[i]), t.nngp.mean[i], sd(t.nngp.var[i]))
        });
        let en = ensemble.as_ref().map_or(",,,".to_string(), |c| {
            format!("{},{},{},{}", c.nn.mean[i], sd(c.nn.var[i]), c.lin.mean[i], sd(c.lin.var[i]))
        });
        out.push_str(&format!("{x},{y},{th},{en}\n"));
    }
    out
}

fn download(url: &str, name: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    if let Ok(a) = doc.create_element("a") {
        let _ = a.set_attribute("href", url);
        let _ = a.set_attribute("download", name);
        if let Ok(a) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(a) {
            a.click();
        }
    }
}

fn download_text(text: &str, name: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let props = web_sys::BlobPropertyBag::new();
    props.set_type("text/csv");
    if let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &props) {
        if let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) {
            download(&url, name);
        }
    }
}

/// The line plot of `data` at the shown step: the 1-D grid, or the segment x(α) of a 2-D set.
fn line_plot(
    p: &ExplorerParams,
    data: &Problem,
    at: Option<&model::TheoryAt>,
    checkpoint: Option<(&EnsembleSummary, usize)>,
    members: &[(usize, EnsembleSummary)],
) -> FunctionPlot {
    let line = data.line_points();
    let cut = |v: &[f64]| v[line.clone()].to_vec();
    let band = |mean: &[f64], var: &[f64]| Band::from_mean_var(&cut(mean), &cut(var));
    let mut plot = FunctionPlot {
        x: data.line_abscissa(),
        target: data.y_test.as_deref().map(cut).unwrap_or_default(),
        train: data.line_train(),
        y_range: (p.data == DataChoice::User).then_some(USER_Y_RANGE),
        caption: format!("after k = {} steps (t = η·k = {:.3})", p.shown_step, p.lr * p.shown_step as f64),
        ..FunctionPlot::default()
    };
    if let Layout::Plane { alphas, ends } = &data.layout {
        plot.x_desc = format!(
            "α along x(α) = α·x₁ + (1 − α)·x₂ (x₁ = training point {}, x₂ = training point {})",
            ends.0, ends.1
        );
        if alphas.is_empty() {
            plot.caption = "choose two different training points for the segment".to_string();
            return plot;
        }
    }
    if let Some(at) = at {
        plot.ntk = Some(band(at.ntk.mean.as_slice(), at.ntk.var.as_slice()));
        plot.nngp = Some(band(at.nngp.mean.as_slice(), at.nngp.var.as_slice()));
    }
    if let Some((s, i)) = checkpoint {
        let c = &s.checkpoints[i];
        if s.members > 0 {
            plot.net = Some(band(&c.nn.mean, &c.nn.var));
            plot.lin = Some(band(&c.lin.mean, &c.lin.var));
        }
        plot.members = members
            .iter()
            .filter(|(m, one)| *m < p.curves && one.members > 0)
            .filter_map(|(_, one)| one.checkpoints.get(i).map(|c| cut(&c.nn.mean)))
            .collect();
        plot.caption.push_str(&format!(" — ensemble at checkpoint k = {}", c.step));
    }
    plot
}

/// The heatmaps of a 2-D set at the shown step (`None` for 1-D sets).
fn heatmaps(
    data: &Problem,
    at: Option<&model::TheoryAt>,
    checkpoint: Option<(&EnsembleSummary, usize)>,
) -> Option<Heatmaps> {
    let Layout::Plane { alphas, ends } = &data.layout else { return None };
    let side = ntk_core::datasets::GRID_SIDE;
    let grid = |v: &[f64]| v[..side * side].to_vec();
    let point = |i: usize| (data.x_train[i][0], data.x_train[i][1]);
    let ensemble = checkpoint.filter(|(s, _)| s.members > 0).map(|(s, i)| grid(&s.checkpoints[i].nn.mean));
    Some(Heatmaps {
        side,
        range: ntk_core::datasets::X_RANGE,
        panels: vec![
            Panel { title: "target".to_string(), values: data.y_test.as_deref().map(grid) },
            Panel { title: "NTK-GP mean".to_string(), values: at.map(|a| grid(a.ntk.mean.as_slice())) },
            Panel { title: "NNGP mean".to_string(), values: at.map(|a| grid(a.nngp.mean.as_slice())) },
            Panel { title: "network ensemble mean".to_string(), values: ensemble },
        ],
        train: data.x_train.iter().zip(&data.y_train).map(|(x, &y)| (x[0], x[1], y)).collect(),
        segment: (!alphas.is_empty()).then(|| (point(ends.0), point(ends.1))),
    })
}

/// Index of the user's point drawn within `radius` CSS pixels of (css_x, css_y), the nearest.
fn point_near(points: &[(f64, f64)], frame: &Frame, css: (f64, f64), radius: f64) -> Option<usize> {
    points
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| {
            let (px, py) = frame.to_css(x, y);
            (i, (px - css.0).hypot(py - css.1))
        })
        .filter(|(_, d)| *d <= radius)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// An offscreen copy of a canvas's pixels.
fn copy_canvas(canvas: &web_sys::HtmlCanvasElement) -> Option<web_sys::HtmlCanvasElement> {
    let doc = web_sys::window()?.document()?;
    let copy: web_sys::HtmlCanvasElement =
        wasm_bindgen::JsCast::dyn_into(doc.create_element("canvas").ok()?).ok()?;
    copy.set_width(canvas.width());
    copy.set_height(canvas.height());
    context_2d(&copy)?.draw_image_with_html_canvas_element(canvas, 0.0, 0.0).ok()?;
    Some(copy)
}

/// Slider position (0..=1000) of a step on a log scale over 0..=steps.
fn step_position(step: u64, steps: u64) -> f64 {
    ((step as f64 + 1.0).ln() / (steps as f64 + 1.0).ln() * SLIDER_STEPS).clamp(0.0, SLIDER_STEPS)
}

fn step_at(pos: f64, steps: u64) -> u64 {
    let k = ((steps as f64 + 1.0).powf(pos / SLIDER_STEPS) - 1.0).round();
    (k as u64).min(steps)
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
    THEORY_TICK.set(Some(RwSignal::new(0)));
    let (initial, notes) = ExplorerParams::from_query(query.as_deref().unwrap_or(""));
    let params = RwSignal::new(initial);
    let url_notes = RwSignal::new(notes);
    let run = RwSignal::new(RunState::default());
    let playing = RwSignal::new(false);

    // URL follows the state while this view is shown.
    Effect::new(move |_| {
        if active.get() {
            params.with(|p| write_url(View::Explorer, &p.to_query()));
        }
    });

    // The ensemble restarts RESTART_DELAY_MS after the last change of a parameter it uses.
    let key = Memo::new(move |_| params.with(run_key));
    let pending = StoredValue::new(0u64);
    Effect::new(move |_| {
        let k = key.get();
        // A change cancels any start still pending (also when it returns to the parameters
        // of the run shown). Nothing trains while another view is shown, and showing this
        // view again does not restart a run of the same parameters.
        pending.update_value(|n| *n += 1);
        if !active.get() {
            return;
        }
        if run.with_untracked(|r| r.key.as_ref() == Some(&k) && r.error.is_none()) {
            return;
        }
        let ticket = pending.get_value();
        set_timeout(
            move || {
                if pending.get_value() == ticket {
                    start_run(&k, run);
                }
            },
            std::time::Duration::from_millis(RESTART_DELAY_MS),
        );
    });

    // Play: advance the time shown along the log scale.
    let _ = set_interval_with_handle(
        move || {
            if playing.get_untracked() {
                let p = params.get_untracked();
                let pos = step_position(p.shown_step, p.steps) + 8.0;
                if pos >= SLIDER_STEPS {
                    playing.set(false);
                }
                params.update(|p| p.shown_step = step_at(pos.min(SLIDER_STEPS), p.steps));
            }
        },
        std::time::Duration::from_millis(40),
    );

    // What the plots show of the run: its parameters and results (progress ticks do not redraw).
    let results = Memo::new(move |_| run.with(|r| (r.key.clone(), r.summary.clone())));
    let member_results = Memo::new(move |_| run.with(|r| r.members.clone()));

    let main_canvas = NodeRef::<leptos::html::Canvas>::new();
    let heat_canvas = NodeRef::<leptos::html::Canvas>::new();
    let loss_canvas = NodeRef::<leptos::html::Canvas>::new();
    let plot_error = RwSignal::new(None::<String>);
    // The user's points: where the main plot's area lies, the point being dragged, the point
    // selected for the keyboard.
    let frame = StoredValue::new(None::<Frame>);
    let dragging = StoredValue::new(None::<usize>);
    let selected = RwSignal::new(None::<usize>);

    // Main plot (theory at the shown step, the ensemble at its nearest checkpoint if the run
    // belongs to the current parameters) and, for 2-D sets, the heatmaps.
    Effect::new(move |_| {
        let p = params.get();
        let (key, summary) = results.get();
        let members = member_results.get();
        let sel = selected.get();
        // Hidden canvases have no size: draw when shown.
        if !active.get() {
            return;
        }
        let Some(canvas) = main_canvas.get() else { return };
        let current = key.as_ref() == Some(&run_key(&p));
        let views = model::problem(&p).map(|data| {
            let at = with_theory(&p, |t| t.as_ref().ok().map(|t| t.at_step(p.shown_step, p.lr)));
            let checkpoint = match (current, summary.as_ref()) {
                (true, Some(s)) => nearest_checkpoint(s, p.shown_step).map(|i| (s, i)),
                _ => None,
            };
            let mut plot = line_plot(&p, &data, at.as_ref(), checkpoint, &members);
            plot.selected = sel.filter(|_| p.data == DataChoice::User);
            let heat = heatmaps(&data, at.as_ref(), checkpoint);
            (plot, heat)
        });
        let (plot, heat) = match views {
            Ok(v) => v,
            Err(message) => (
                FunctionPlot { caption: message, y_range: Some(USER_Y_RANGE), ..FunctionPlot::default() },
                None,
            ),
        };
        let start = js_sys::Date::now();
        match draw_function_plot(&canvas, &plot) {
            Ok(f) => {
                frame.set_value(Some(f));
                plot_error.set(None);
            }
            Err(e) => plot_error.set(Some(e.to_string())),
        }
        let _ = canvas.set_attribute("data-draw-ms", &format!("{:.1}", js_sys::Date::now() - start));
        if let (Some(h), Some(c)) = (heat, heat_canvas.get()) {
            let start = js_sys::Date::now();
            if let Err(e) = draw_heatmaps(&c, &h) {
                plot_error.set(Some(e.to_string()));
            }
            let _ = c.set_attribute("data-draw-ms", &format!("{:.1}", js_sys::Date::now() - start));
        }
    });

    // Editing the user's points with the pointer: press on empty space adds a point, press on
    // a point selects it, dragging moves it, right-click removes it; with the canvas focused,
    // Delete removes the selected point and the arrow keys move it.
    let point_note = RwSignal::new(None::<String>);
    let editing = move || params.with_untracked(|p| p.data == DataChoice::User);
    let on_pointer_down = move |ev: web_sys::PointerEvent| {
        let Some(f) = frame.get_value() else { return };
        if !editing() || ev.button() != 0 {
            return;
        }
        let css = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
        let count = params.with_untracked(|p| p.points.len());
        let index = match params.with_untracked(|p| point_near(&p.points, &f, css, 12.0)) {
            Some(i) => i,
            None if count >= MAX_TRAIN => {
                point_note.set(Some(format!("at most {MAX_TRAIN} training points: remove one first")));
                return;
            }
            None => {
                let Some((x, y)) = f.to_data(css.0, css.1) else { return };
                params.update(|p| p.points.push(user_point(x, y)));
                count
            }
        };
        point_note.set(None);
        selected.set(Some(index));
        dragging.set_value(Some(index));
        if let Some(c) = main_canvas.get_untracked() {
            let _ = c.set_pointer_capture(ev.pointer_id());
            let _ = c.focus();
        }
        ev.prevent_default();
    };
    let on_pointer_move = move |ev: web_sys::PointerEvent| {
        let (Some(i), Some(f)) = (dragging.get_value(), frame.get_value()) else { return };
        let (x, y) = f.to_data_clamped(f64::from(ev.offset_x()), f64::from(ev.offset_y()));
        let moved = user_point(x, y);
        if params.with_untracked(|p| p.points.get(i) != Some(&moved)) {
            params.update(|p| {
                if let Some(pt) = p.points.get_mut(i) {
                    *pt = moved;
                }
            });
        }
    };
    let on_pointer_up = move |_: web_sys::PointerEvent| dragging.set_value(None);
    let remove_point = move |i: usize| {
        params.update(|p| {
            if i < p.points.len() {
                p.points.remove(i);
            }
        });
        selected.set(None);
        point_note.set(None);
    };
    let on_context_menu = move |ev: web_sys::MouseEvent| {
        let Some(f) = frame.get_value() else { return };
        if !editing() {
            return;
        }
        ev.prevent_default();
        let css = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
        if let Some(i) = params.with_untracked(|p| point_near(&p.points, &f, css, 12.0)) {
            remove_point(i);
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let Some(i) = selected.get_untracked() else { return };
        if !editing() {
            return;
        }
        let (dx, dy) = match ev.key().as_str() {
            "Delete" | "Backspace" => {
                ev.prevent_default();
                return remove_point(i);
            }
            "Escape" => return selected.set(None),
            "ArrowLeft" => (-0.05, 0.0),
            "ArrowRight" => (0.05, 0.0),
            "ArrowUp" => (0.0, 0.05),
            "ArrowDown" => (0.0, -0.05),
            _ => return,
        };
        ev.prevent_default();
        params.update(|p| {
            if let Some(pt) = p.points.get_mut(i) {
                *pt = user_point(pt.0 + dx, pt.1 + dy);
            }
        });
    };
    // Choosing the user's set with no points starts from the points on screen.
    let choose_data = move |name: String| {
        let Some(choice) = DataChoice::from_name(&name) else { return };
        params.update(|p| {
            if choice == DataChoice::User && p.points.is_empty() {
                let from = ExplorerParams {
                    data: p.data.target_1d().map_or(DataChoice::Sin, |_| p.data),
                    ..p.clone()
                };
                if let Ok(d) = model::problem(&from) {
                    p.points = d.x_train.iter().zip(&d.y_train).map(|(x, &y)| user_point(x[0], y)).collect();
                }
            }
            p.data = choice;
        });
        selected.set(None);
    };

    // Loss curves: computed when the parameters (but the time shown) or the results change,
    // redrawn with the time marker on every change.
    let run_params = Memo::new(move |_| params.with(run_key));
    let loss_curves = Memo::new(move |_| {
        let p = run_params.get();
        let (key, summary) = results.get();
        let y_test = model::problem(&p).ok().and_then(|d| d.y_test);
        let has_test = y_test.is_some();
        let current = key.as_ref() == Some(&run_key(&p));
        let mut steps: Vec<u64> = ntk_core::nets::ensemble::checkpoint_steps(p.steps, 60);
        steps.retain(|&k| k > 0);
        let t = |k: u64| p.lr * k as f64;
        let mut curves = Vec::new();
        with_theory(&p, |th| {
            if let Ok(th) = th {
                let losses = th.losses(&steps, p.lr, y_test.as_deref());
                let pick = |f: &dyn Fn(
                    &(ntk_core::theory::gp::ExpectedLoss, ntk_core::theory::gp::ExpectedLoss),
                ) -> f64| {
                    steps.iter().zip(&losses).map(|(&k, l)| (t(k), f(l))).collect::<Vec<_>>()
                };
                curves.push(Curve::new("NTK-GP train", Model::NtkGp, false, pick(&|l| l.0.train)));
                curves.push(Curve::new("NNGP train", Model::Nngp, false, pick(&|l| l.1.train)));
                if has_test {
                    curves.push(Curve::new(
                        "NTK-GP test",
                        Model::NtkGp,
                        true,
                        pick(&|l| l.0.test.unwrap_or(f64::NAN)),
                    ));
                    curves.push(Curve::new(
                        "NNGP test",
                        Model::Nngp,
                        true,
                        pick(&|l| l.1.test.unwrap_or(f64::NAN)),
                    ));
                }
            }
        });
        if let (true, Some(s)) = (current, summary.as_ref()) {
            if s.members > 0 {
                let pts = |f: &dyn Fn(&ntk_core::nets::ensemble::CheckpointSummary) -> f64| {
                    s.checkpoints.iter().map(|c| (c.time, f(c))).collect::<Vec<_>>()
                };
                curves.push(Curve::new("network train", Model::Network, false, pts(&|c| c.train_loss.nn)));
                if has_test {
                    curves.push(Curve::new(
                        "network test",
                        Model::Network,
                        true,
                        pts(&|c| c.test_loss.map_or(f64::NAN, |l| l.nn)),
                    ));
                }
                curves.push(Curve::new(
                    "linearized train",
                    Model::Linearized,
                    false,
                    pts(&|c| c.train_loss.lin),
                ));
                if has_test {
                    curves.push(Curve::new(
                        "linearized test",
                        Model::Linearized,
                        true,
                        pts(&|c| c.test_loss.map_or(f64::NAN, |l| l.lin)),
                    ));
                }
            }
        }
        curves
    });
    // The curves are drawn when they change and kept in an offscreen copy; moving the time
    // shown only restores that copy and draws the marker (dashed curves are costly to draw).
    let loss_base = StoredValue::new_local(None::<(web_sys::HtmlCanvasElement, TimeAxis)>);
    Effect::new(move |_| {
        let curves = loss_curves.get();
        if !active.get() {
            return;
        }
        let Some(canvas) = loss_canvas.get() else { return };
        let shown = params.with_untracked(|p| p.lr * p.shown_step as f64);
        let start = js_sys::Date::now();
        match draw_loss_curves(&canvas, &curves) {
            Ok(axis) => {
                loss_base.set_value(copy_canvas(&canvas).map(|copy| (copy, axis)));
                let _ = draw_time_marker(&canvas, &axis, shown);
            }
            Err(e) => plot_error.set(Some(e.to_string())),
        }
        let _ = canvas.set_attribute("data-draw-ms", &format!("{:.1}", js_sys::Date::now() - start));
    });
    Effect::new(move |_| {
        let shown = params.with(|p| p.lr * p.shown_step as f64);
        if !active.get() {
            return;
        }
        let Some(canvas) = loss_canvas.get() else { return };
        let start = js_sys::Date::now();
        let restored = loss_base.with_value(|base| {
            let (copy, axis) = base.as_ref()?;
            let same_size = copy.width() == canvas.width() && copy.height() == canvas.height();
            let ctx = context_2d(&canvas).filter(|_| same_size)?;
            ctx.draw_image_with_html_canvas_element(copy, 0.0, 0.0).ok()?;
            draw_time_marker(&canvas, axis, shown).ok()
        });
        if restored.is_none() {
            // No copy yet, or the canvas was resized: draw everything.
            if let Err(e) = draw_loss_plot(&canvas, &loss_curves.get_untracked(), shown) {
                plot_error.set(Some(e.to_string()));
            }
        }
        let _ = canvas.set_attribute("data-draw-ms", &format!("{:.1}", js_sys::Date::now() - start));
    });

    let set = move |f: fn(&mut ExplorerParams, f64)| Callback::new(move |v: f64| params.update(|p| f(p, v)));
    let get = move |f: fn(&ExplorerParams) -> f64| Signal::derive(move || params.with(f));
    let landmarks = Signal::derive(move || {
        let p = params.get();
        with_theory(&p, |t| match t {
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
        let p = params.get();
        with_theory(&p, |t| match t {
            Ok(t) => {
                let l = &t.landmarks;
                let where_ = if p.lr >= l.eta_max {
                    "above η_max: the linearized model diverges (catapult or divergence for the network)"
                } else if p.lr > l.eta_critical {
                    "between η_crit and η_max: converges, but past the paper's Theorem 2.1 threshold"
                } else {
                    "below η_crit: the lazy regime of the paper"
                };
                let n = model::problem(&p).map_or(0, |d| d.y_train.len());
                format!(
                    "η_crit = {:.3}, η_max = {:.3} (train NTK, N = {n}); {where_}",
                    l.eta_critical, l.eta_max
                )
            }
            Err(e) => format!("theory unavailable: {e}"),
        })
    });
    // Past η_max: the catapult view at this setting.
    let catapult_offer = Memo::new(move |_| {
        let p = params.get();
        with_theory(&p, |t| match t {
            Ok(t) if p.lr >= t.landmarks.eta_max => {
                Some(CatapultParams::from_explorer(p.activation, p.sw2, p.sb2, p.lr, t.landmarks.eta_max))
            }
            _ => None,
        })
    });
    let theory_status = move || {
        let p = params.get();
        with_theory(&p, |t| match t {
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
        let r = run.get();
        let p = params.get();
        if let Some(e) = r.error {
            return format!("Ensemble not run: {e}");
        }
        if r.key.as_ref() != Some(&run_key(&p)) {
            return "Ensemble: starting a new run for the changed parameters…".to_string();
        }
        let diverged = r.summary.as_ref().map_or(0, |s| s.diverged);
        let div = match r.summary.as_ref().and_then(|s| s.diverged_steps.iter().min().copied()) {
            Some(step) => format!(" — {diverged} member(s) diverged (first at step {step}) and are left out"),
            None => String::new(),
        };
        if r.done {
            format!("Ensemble: {} of {} members trained{div}", r.members_done, r.members_total)
        } else {
            format!(
                "Ensemble: training… {} of {} members done ({:.0}%){div}",
                r.members_done,
                r.members_total,
                r.fraction * 100.0
            )
        }
    };

    view! {
        <div class="view explorer" data-testid="explorer">
            <div class="notes" role="status" data-testid="notes">
                {move || url_notes.get().into_iter().map(|n| view! { <p class="note">"Link: " {n}</p> }).collect_view()}
                {move || run.get().incidents.into_iter().map(|n| view! { <p class="note">{n}</p> }).collect_view()}
                {move || plot_error.get().map(|e| view! { <p class="note">{e}</p> })}
                {move || point_note.get().map(|e| view! { <p class="note">{e}</p> })}
            </div>
            <div class="layout">
                <aside class="panel controls" data-testid="controls" aria-label="Controls">
                    <h2>"Network and training"</h2>
                    <div class="presets">
                        <button on:click=move |_| params.set(ExplorerParams::default())>"Default"</button>
                        <button on:click=move |_| params.set(paper_figure_2())>"Paper Figure 2"</button>
                        <button on:click=move |_| params.set(cookbook())>"neural-tangents cookbook"</button>
                        <button on:click=move |_| params.set(lazy_vs_not())>"Lazy vs not lazy"</button>
                        <button on:click=move |_| params.set(xor_segment())>"2-D XOR, Figure 2 segment"</button>
                    </div>
                    <SliderControl id="depth" label="depth L (hidden layers)" scale=Scale { min: 1.0, max: 10.0, log: false, integer: true }
                        value=get(|p| p.depth as f64) on_change=set(|p, v| p.depth = v as usize) />
                    <SliderControl id="width" label="width n" scale=Scale { min: 8.0, max: MAX_WIDTH as f64, log: true, integer: true }
                        value=get(|p| p.width as f64) on_change=set(|p, v| p.width = v as usize) />
                    <SelectControl id="act" label="nonlinearity φ" options=&ACTIVATIONS
                        value=Signal::derive(move || params.with(|p| activation_name(p.activation)))
                        on_change=Callback::new(move |v: String| params.update(|p| p.activation = v.parse::<Activation>().unwrap_or(Activation::Erf))) />
                    <SliderControl id="sw2" label="σ_w² (weight variance)" scale=Scale { min: 0.01, max: 10.0, log: true, integer: false }
                        value=get(|p| p.sw2) on_change=set(|p, v| p.sw2 = v) />
                    <SliderControl id="sb2" label="σ_b² (bias variance)" scale=Scale { min: 0.0, max: 4.0, log: false, integer: false }
                        value=get(|p| p.sb2) on_change=set(|p, v| p.sb2 = v) />
                    <SelectControl id="param" label="parameterization" options=&PARAMETERIZATIONS
                        value=Signal::derive(move || params.with(|p| if p.param == Parameterization::Ntk { "ntk" } else { "standard" }))
                        on_change=Callback::new(move |v: String| params.update(|p| p.param = v.parse().unwrap_or_default())) />
                    <SliderControl id="lr" label="learning rate η" scale=Scale { min: 1e-4, max: 100.0, log: true, integer: false }
                        value=get(|p| p.lr) on_change=set(|p, v| p.lr = v) marks=landmarks hint=lr_hint />
                    {move || catapult_offer.get().map(|c| view! {
                        <p class="offer" data-testid="catapult-offer">
                            "Past η_max the linear picture stops. "
                            <button on:click=move |_| on_catapult.run(c.clone())>
                                {format!("See the catapult at ηλ₀ = {} →", c.eta_lambda0)}
                            </button>
                        </p>
                    })}
                    <SliderControl id="steps" label="training steps K" scale=Scale { min: 1.0, max: MAX_STEPS as f64, log: true, integer: true }
                        value=get(|p| p.steps as f64) on_change=set(|p, v| { p.steps = v as u64; p.shown_step = p.steps; }) />
                    <SliderControl id="members" label="ensemble size M" scale=Scale { min: 1.0, max: MAX_MEMBERS as f64, log: true, integer: true }
                        value=get(|p| p.members as f64) on_change=set(|p, v| p.members = v as usize) />
                    <h2>"Data"</h2>
                    <SelectControl id="data" label="data set" options=&DataChoice::NAMES
                        value=Signal::derive(move || params.with(|p| p.data.name()))
                        on_change=Callback::new(choose_data) />
                    <Show when=move || params.with(|p| p.data == DataChoice::User)>
                        <p class="hint" data-testid="user-hint">
                            "Click the plot to add a training point, drag to move it, right-click to remove it (or select it, then Delete / arrow keys). "
                            {move || params.with(|p| format!("{} of {MAX_TRAIN} points.", p.points.len()))}
                        </p>
                        <button data-testid="clear-points" on:click=move |_| { params.update(|p| p.points.clear()); selected.set(None); }>"Remove all points"</button>
                    </Show>
                    <Show when=move || params.with(|p| p.data != DataChoice::User)>
                        <SliderControl id="n" label="training points N" scale=Scale { min: 1.0, max: MAX_TRAIN as f64, log: false, integer: true }
                            value=get(|p| p.n_train as f64) on_change=set(|p, v| p.n_train = v as usize) />
                        <SliderControl id="noise" label="target noise (std)" scale=Scale { min: 0.0, max: 1.0, log: false, integer: false }
                            value=get(|p| p.noise) on_change=set(|p, v| p.noise = v) />
                    </Show>
                    <Show when=move || params.with(|p| p.data.target_2d().is_some())>
                        <SliderControl id="sa" label="segment end x₁ (training point #)" scale=Scale { min: 0.0, max: (MAX_TRAIN - 1) as f64, log: false, integer: true }
                            value=get(|p| p.seg.0 as f64) on_change=set(|p, v| p.seg.0 = v as usize) />
                        <SliderControl id="sb" label="segment end x₂ (training point #)" scale=Scale { min: 0.0, max: (MAX_TRAIN - 1) as f64, log: false, integer: true }
                            value=get(|p| p.seg.1 as f64) on_change=set(|p, v| p.seg.1 = v as usize) />
                    </Show>
                    <SliderControl id="curves" label="individual networks drawn" scale=Scale { min: 0.0, max: MAX_CURVES as f64, log: false, integer: true }
                        value=get(|p| p.curves as f64) on_change=set(|p, v| p.curves = v as usize) />
                    <SliderControl id="seed" label="seed" scale=Scale { min: 0.0, max: 1000.0, log: false, integer: true }
                        value=get(|p| p.seed as f64) on_change=set(|p, v| p.seed = v as u64) />
                </aside>
                <main class="panel main-plot" data-testid="main-plot" aria-label="Main plot">
                    <h2>"Function space through training"</h2>
                    <canvas node_ref=main_canvas class="plot main" data-testid="function-plot" tabindex="0"
                        class:editable=move || params.with(|p| p.data == DataChoice::User)
                        role="img" aria-label="NNGP and NTK-GP bands, network ensemble and linearization along the test line"
                        on:pointerdown=on_pointer_down on:pointermove=on_pointer_move
                        on:pointerup=on_pointer_up on:pointercancel=on_pointer_up
                        on:contextmenu=on_context_menu on:keydown=on_key></canvas>
                    <Show when=move || params.with(|p| p.data.target_2d().is_some())>
                        <canvas node_ref=heat_canvas class="plot heat" data-testid="heatmaps"
                            role="img" aria-label="heatmaps of the target, the NTK-GP and NNGP means and the network ensemble mean over the input plane"></canvas>
                        <p class="hint">{format!("Colour: output from −{COLOR_SCALE} (blue) through 0 (white) to +{COLOR_SCALE} (orange); dots are the training points, the line is the segment of the plot above.")}</p>
                    </Show>
                    <div class="time">
                        <button on:click=move |_| playing.update(|p| *p = !*p) aria-label="play or pause">
                            {move || if playing.get() { "pause" } else { "play" }}
                        </button>
                        <button on:click=move |_| params.update(|p| p.shown_step = step_at(step_position(p.shown_step, p.steps) + 25.0, p.steps))>"step ›"</button>
                        <button on:click=move |_| { playing.set(false); params.update(|p| p.shown_step = 0) }>"reset"</button>
                        <label for="time">"time shown"</label>
                        <input type="range" id="time" min="0" max=SLIDER_STEPS.to_string() step="1"
                            prop:value=move || params.with(|p| step_position(p.shown_step, p.steps).round().to_string())
                            on:input=move |ev| {
                                if let Ok(pos) = event_target_value(&ev).parse::<f64>() {
                                    params.update(|p| p.shown_step = step_at(pos, p.steps));
                                }
                            } />
                        <span data-testid="time-value">{move || params.with(|p| format!("k = {} of {}", p.shown_step, p.steps))}</span>
                    </div>
                    <div class="export">
                        <button data-testid="export-png" on:click=move |_| {
                            if let Some(c) = main_canvas.get() {
                                if let Ok(url) = c.to_data_url() {
                                    download(&url, "wide-explorer.png");
                                }
                            }
                        }>"Export PNG"</button>
                        <button data-testid="export-csv" on:click=move |_| {
                            let csv = export_csv(&params.get_untracked(), &results.get_untracked());
                            download_text(&csv, "wide-explorer.csv");
                        }>"Export CSV"</button>
                    </div>
                    <div class="progress">
                        <progress max="1" prop:value=move || run.get().fraction></progress>
                        <span data-testid="run-status">{status}</span>
                    </div>
                    <p class="hint" data-testid="theory-status">{theory_status}</p>
                </main>
                <section class="panel side" data-testid="side-panels" aria-label="Side panels">
                    <h2>"Loss curves"</h2>
                    <canvas node_ref=loss_canvas class="plot loss" data-testid="loss-plot"
                        role="img" aria-label="train and test loss against training time"></canvas>
                    <Explain />
                </section>
            </div>
        </div>
    }
}

/// The architecture of the paper's Figure 2 (3 tanh layers, σ_w² = 1.5, no bias, η = 0.5) on
/// the 1-D sine data, at a width and ensemble size a browser tab trains in about a minute (the
/// paper: width 8192, 100 networks, 128 CIFAR-10 points).
pub fn paper_figure_2() -> ExplorerParams {
    ExplorerParams {
        depth: 3,
        activation: Activation::Tanh,
        sw2: 1.5,
        sb2: 0.0,
        lr: 0.5,
        width: 512,
        members: 10,
        steps: 1000,
        shown_step: 1000,
        n_train: 8,
        ..ExplorerParams::default()
    }
}

/// The neural-tangents cookbook: 5 noisy sine points, two erf layers of width 512,
/// σ_w = 1.5, σ_b = 0.05, η = 0.1, 10,000 steps, 100 members.
pub fn cookbook() -> ExplorerParams {
    ExplorerParams {
        width: 512,
        steps: 10_000,
        members: 100,
        shown_step: 10_000,
        ..ExplorerParams::default()
    }
}

/// The paper's Figure 2 view on a 2-D set: outputs along the segment between two training
/// points of the XOR labels, with the heatmaps of every model over the plane.
pub fn xor_segment() -> ExplorerParams {
    ExplorerParams {
        data: DataChoice::Xor,
        n_train: 16,
        noise: 0.0,
        seg: (0, 1),
        lr: 0.5,
        steps: 2000,
        shown_step: 2000,
        members: 16,
        ..ExplorerParams::default()
    }
}

/// A narrow network (width 16) with a larger learning rate: the finite ensemble leaves its
/// linearization and the NTK-GP band.
pub fn lazy_vs_not() -> ExplorerParams {
    ExplorerParams {
        width: 16,
        lr: 0.3,
        steps: 3000,
        members: 30,
        shown_step: 3000,
        ..ExplorerParams::default()
    }
}
