//! The order-and-chaos view (Poole et al. 2016, Schoenholz et al. 2016; the talk behind the
//! project): the (σ_w², σ_b²) plane of one nonlinearity split by the critical line χ₁ = 1 into
//! an ordered and a chaotic phase, the depth scale ξ_c as a heatmap, and at the chosen point —
//! the explorer's σ's, set by clicking the diagram — how input correlations converge over depth
//! and how the Gram matrices' conditioning grows with it, against the trainable depth 6 ξ_c.
//! Every number comes from a worker ([`PhaseService`]); the page shows the `ntk` commands that
//! print the same.

use leptos::prelude::*;
use ntk_core::theory::phase::{Phase, PhaseGrid, PhasePoint, TRAINABLE_DEPTH_FACTOR};
use plotters::style::RGBColor;

use crate::components::arch::ArchControls;
use crate::components::field::FieldControl;
use crate::components::figure_export::{Figure, FigureExport};
use crate::components::notes::NoteList;
use crate::format::tidy;
use crate::params::notes::Note;
use crate::params::phase::PhaseParams;
use crate::params::url;
use crate::plot::function_plot::{Frame, NNGP_COLOR, NTK_COLOR};
use crate::plot::grid_heatmap::{draw_grid_heatmap, grid_heatmap_svg, ColorScale, GridHeatmap};
use crate::plot::legend::{Entry, Swatch};
use crate::plot::panel::Axis;
use crate::plot::series_plot::{draw_series_panel, series_panel_svg, Dash, Line, SeriesPanel};
use crate::plot::svg::{Provenance, Sheet};
use crate::route::View;
use crate::services::bridge::ExplorerBridge;
use crate::services::phase::{GridState, PhaseService, PointState, TrainState};
use crate::services::{restart_when_settled, sync_url, timed_draw, track_viewport, FrameSlot};
use crate::storage::BROWSER_TABLES;
use crate::views::single::figures::PALETTE;

/// The diagram of a grid state: ξ_c per cell (log colour; +∞ at the critical line, grey where
/// the variance is unbounded), the critical line, the point.
pub fn diagram(state: &GridState, p: &PhaseParams) -> GridHeatmap {
    let spec = p.grid_spec();
    let (xs, ys) = (spec.sw2.values(), spec.sb2.values());
    let pad = |v: &[f64]| {
        let step = if v.len() > 1 { v[1] - v[0] } else { 1.0 };
        (v[0] - 0.5 * step, v[v.len() - 1] + 0.5 * step)
    };
    let (x0, x1) = pad(&xs);
    let (y0, y1) = pad(&ys);
    let mut values = vec![vec![None; xs.len()]; ys.len()];
    for row in &state.rows {
        if let Some(r) = values.get_mut(row.index) {
            for (i, c) in row.cells.iter().enumerate() {
                if i < r.len() {
                    r[i] = cell_value(c);
                }
            }
        }
    }
    let finite: Vec<f64> =
        values.iter().flatten().flatten().copied().filter(|v| v.is_finite() && *v > 0.0).collect();
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(0.0f64, f64::max);
    let scale = if lo.is_finite() && hi > lo {
        ColorScale { lo: lo.max(hi * 1e-4), hi: hi.min(1e4), log: true }
    } else {
        ColorScale { lo: 0.1, hi: 100.0, log: true }
    };
    let critical: Vec<(f64, f64)> = state.grid.as_ref().map_or_else(Vec::new, |g: &PhaseGrid| {
        let mut pts: Vec<(f64, f64)> = g.critical_line.iter().map(|c| (c[0], c[1])).collect();
        pts.sort_by(|a, b| a.1.total_cmp(&b.1));
        pts
    });
    let note = match (&state.error, &state.grid) {
        (Some(e), _) => Some(format!("not computed: {e}")),
        (None, None) => Some(format!("computing… {} of {} rows", state.rows.len(), ys.len())),
        _ => None,
    };
    GridHeatmap {
        x: Axis::linear(x0, x1, "σ_w² (weight variance)"),
        y: Axis::linear(y0, y1, "σ_b² (bias variance)"),
        xs,
        ys,
        values,
        scale,
        color_label: "colour: depth scale ξ_c (log)".into(),
        lines: vec![Line { color: RGBColor(0, 0, 0), dash: Dash::Solid, width: 2.5, points: critical }],
        marker: Some((p.arch.sw2, p.arch.sb2)),
        legend: vec![
            Entry {
                text: "critical line χ₁ = 1 (ξ_c = ∞)".into(),
                swatch: Swatch::Line { color: RGBColor(0, 0, 0), width: 2.5, dashed: false },
            },
            Entry {
                text: "the point (explorer's σ's): click to move".into(),
                swatch: Swatch::Dot(RGBColor(200, 30, 30)),
            },
            Entry {
                text: "grey: variance unbounded".into(),
                swatch: Swatch::Dot(crate::plot::grid_heatmap::MISSING),
            },
        ],
        note,
    }
}

/// A cell's ξ_c: ∞ at the critical line, `None` where the variance is unbounded.
fn cell_value(c: &PhasePoint) -> Option<f64> {
    match (c.phase, c.xi_c) {
        (Phase::Unbounded, _) => None,
        (Phase::Critical, _) | (_, None) if c.q_star.is_some_and(|q| q > 0.0) => Some(f64::INFINITY),
        (_, xi) => xi,
    }
}

/// The correlation map's panel: c^l against the layer for each starting correlation.
pub fn correlation_panel(state: &PointState) -> SeriesPanel {
    let mut lines = Vec::new();
    let mut legend = Vec::new();
    let mut note = None;
    let mut layers = 1.0;
    match &state.result {
        Some(Ok(r)) => {
            for (i, t) in r.report.trajectories.iter().enumerate() {
                let color = PALETTE[i % PALETTE.len()];
                layers = (t.c.len().saturating_sub(1)) as f64;
                lines.push(Line {
                    color,
                    dash: Dash::Solid,
                    width: 2.0,
                    points: t.c.iter().enumerate().map(|(l, &c)| (l as f64, c)).collect(),
                });
                legend.push(Entry {
                    text: format!("c⁰ = {}", t.c0),
                    swatch: Swatch::Line { color, width: 2.0, dashed: false },
                });
            }
            if let Some(c) = r.report.point.c_star {
                lines.push(Line {
                    color: RGBColor(90, 90, 90),
                    dash: Dash::Dashed,
                    width: 1.4,
                    points: vec![(0.0, c), (layers, c)],
                });
                legend.push(Entry {
                    text: format!("c* = {}", tidy(c)),
                    swatch: Swatch::Line { color: RGBColor(90, 90, 90), width: 1.4, dashed: true },
                });
            }
        }
        Some(Err(e)) => note = Some(format!("not computed: {e}")),
        None => note = Some("computing…".into()),
    }
    let lo = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::min);
    SeriesPanel {
        x: Axis::linear(0.0, layers.max(1.0), "layer l"),
        y: Axis::linear(lo.max(-1.0) - 0.05, 1.05, "correlation c^l"),
        lines,
        legend,
        marker: None,
        note,
    }
}

/// The conditioning panel: condition numbers of K(X, X) and Θ(X, X) against depth, with the
/// trainable depth 6 ξ_c marked.
pub fn conditioning_panel(state: &PointState, max_depth: usize) -> SeriesPanel {
    let mut lines = Vec::new();
    let mut note = None;
    let mut marker = None;
    match &state.result {
        Some(Ok(r)) => {
            match &r.conditioning {
                Ok(c) => {
                    let pts = |v: &[ntk_core::theory::phase::Conditioning]| {
                        c.depths
                            .iter()
                            .zip(v)
                            .filter_map(|(&d, k)| k.condition.map(|x| (d as f64, x)))
                            .collect::<Vec<_>>()
                    };
                    lines.push(Line {
                        color: NNGP_COLOR,
                        dash: Dash::Solid,
                        width: 2.0,
                        points: pts(&c.nngp),
                    });
                    lines.push(Line { color: NTK_COLOR, dash: Dash::Solid, width: 2.0, points: pts(&c.ntk) });
                    if let Some(d) = c.stopped_at {
                        note = Some(format!("the kernels overflow or are singular from depth {d} on"));
                    }
                }
                Err(e) => note = Some(format!("not computed: {e}")),
            }
            marker = r.report.point.trainable_depth.filter(|d| d.is_finite());
        }
        Some(Err(e)) => note = Some(format!("not computed: {e}")),
        None => note = Some("computing…".into()),
    }
    let ys: Vec<f64> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    let lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ys.iter().copied().fold(0.0f64, f64::max);
    let (lo, hi) = if lo.is_finite() && hi > lo { (lo / 2.0, hi * 2.0) } else { (1.0, 1e6) };
    SeriesPanel {
        x: Axis::linear(0.0, max_depth as f64 + 1.0, "depth L (hidden layers)"),
        y: Axis::log(lo, hi, "condition number λ_max/λ_min"),
        lines,
        legend: vec![
            Entry {
                text: "NNGP K(X, X)".into(),
                swatch: Swatch::Line { color: NNGP_COLOR, width: 2.0, dashed: false },
            },
            Entry {
                text: "NTK Θ(X, X)".into(),
                swatch: Swatch::Line { color: NTK_COLOR, width: 2.0, dashed: false },
            },
            Entry {
                text: format!("trainable depth {TRAINABLE_DEPTH_FACTOR} ξ_c"),
                swatch: Swatch::Line {
                    color: crate::plot::series_plot::MARKER_COLOR,
                    width: 2.0,
                    dashed: false,
                },
            },
        ],
        marker,
        note,
    }
}

/// The trainability grid: the final training loss over the initial one per (σ_w², depth)
/// cell (log colour; grey: diverged), with the trainable depth 6 ξ_c(σ_w²) at the grid's σ_b²
/// drawn over it — from the diagram's row nearest that σ_b² when there is one, else from the
/// grid's own σ_w².
pub fn trainability_map(t: &TrainState, g: &GridState) -> GridHeatmap {
    let spec = t.spec.clone().unwrap_or_else(|| PhaseParams::default().trainability_spec());
    let xs = spec.sw2.clone();
    let ys: Vec<f64> = spec.depths.iter().map(|&d| d as f64).collect();
    let mut values = vec![vec![None; xs.len()]; ys.len()];
    for c in &t.cells {
        let ratio = match (&c.final_loss, &c.initial_loss) {
            (Some(f), Some(i)) if c.diverged == 0 && i.mean > 0.0 => Some((f.mean / i.mean).max(1e-12)),
            _ => None,
        };
        if let Some(row) = values.get_mut(c.depth_index) {
            if c.sw2_index < row.len() {
                row[c.sw2_index] = ratio;
            }
        }
    }
    let step = |v: &[f64]| if v.len() > 1 { v[1] - v[0] } else { 1.0 };
    let (x0, x1) = (xs[0] - 0.5 * step(&xs), xs[xs.len() - 1] + 0.5 * step(&xs));
    let y1 = ys[ys.len() - 1] * 1.2;
    // 6 ξ_c against σ_w²: the diagram's row nearest σ_b² (fine), or the grid's own points.
    let fine = g.grid.as_ref().and_then(|grid| {
        let j = (0..grid.sb2.len())
            .min_by(|&a, &b| (grid.sb2[a] - spec.sb2).abs().total_cmp(&(grid.sb2[b] - spec.sb2).abs()))?;
        ((grid.sb2[j] - spec.sb2).abs() <= 0.02).then(|| {
            grid.rows[j]
                .cells
                .iter()
                .filter_map(|c| c.trainable_depth.map(|d| (c.sw2, d.min(10.0 * y1))))
                .collect::<Vec<_>>()
        })
    });
    let curve = fine.unwrap_or_else(|| {
        t.result.as_ref().map_or_else(Vec::new, |r| {
            r.phase.iter().filter_map(|p| p.trainable_depth.map(|d| (p.sw2, d.min(10.0 * y1)))).collect()
        })
    });
    let note = match (&t.error, t.running, &t.result) {
        (Some(e), _, _) => Some(e.clone()),
        (None, true, _) => Some(format!("training… {:.0}%", 100.0 * t.fraction())),
        (None, false, None) => Some("press “Run the trainability grid”".into()),
        _ => None,
    };
    GridHeatmap {
        x: Axis::linear(x0, x1, "σ_w²"),
        y: Axis::linear(0.0, y1, "depth L"),
        xs,
        ys,
        values,
        scale: ColorScale { lo: 1e-6, hi: 1.0, log: true },
        color_label: format!("final / initial train loss after {} steps", spec.steps),
        lines: vec![Line { color: RGBColor(230, 30, 30), dash: Dash::Solid, width: 2.5, points: curve }],
        marker: None,
        legend: vec![
            Entry {
                text: format!("trainable depth {TRAINABLE_DEPTH_FACTOR} ξ_c at σ_b² = {}", spec.sb2),
                swatch: Swatch::Line { color: RGBColor(230, 30, 30), width: 2.5, dashed: false },
            },
            Entry {
                text: "grey: diverged or not run".into(),
                swatch: Swatch::Dot(crate::plot::grid_heatmap::MISSING),
            },
        ],
        note,
    }
}

/// The point's quantities in words.
fn point_text(state: &PointState) -> String {
    match &state.result {
        Some(Ok(r)) => {
            let p = &r.report.point;
            let phase = match p.phase {
                Phase::Ordered => "ordered (χ₁ < 1: inputs collapse to one direction, gradients vanish)",
                Phase::Critical => "critical (χ₁ = 1: signals and gradients reach any depth)",
                Phase::Chaotic => "chaotic (χ₁ > 1: nearby inputs decorrelate, gradients explode)",
                Phase::Unbounded => "unbounded variance",
            };
            let opt = |v: Option<f64>, inf: &str| v.map_or(inf.to_string(), tidy);
            format!(
                "{phase}; q* = {}, χ₁ = {}, c* = {}, ξ_c = {}, trainable depth {TRAINABLE_DEPTH_FACTOR} ξ_c = {}",
                opt(p.q_star, "—"),
                tidy(p.chi1),
                opt(p.c_star, "—"),
                opt(p.xi_c, "∞"),
                opt(p.trainable_depth, "∞")
            )
        }
        Some(Err(e)) => format!("not computed: {e}"),
        None => "computing…".to_string(),
    }
}

/// The order-and-chaos view.
/// The final training losses drawn, for the end-to-end tests: `{final_loss, initial_loss}`,
/// each [σ_w² index][depth index] (empty while the grid trains).
fn trainability_json(tr: &TrainState) -> String {
    tr.result.as_ref().map_or(String::new(), |r| {
        let cols = r.spec.depths.len();
        let per_cell = |f: &dyn Fn(&ntk_core::experiments::trainability::TrainabilityCell) -> Option<f64>| {
            r.cells.chunks(cols).map(|row| row.iter().map(f).collect()).collect::<Vec<Vec<Option<f64>>>>()
        };
        let loss = per_cell(&|c| c.final_loss.as_ref().map(|s| s.mean));
        let initial = per_cell(&|c| c.initial_loss.as_ref().map(|s| s.mean));
        serde_json::json!({ "final_loss": loss, "initial_loss": initial }).to_string()
    })
}

/// The diagram's ξ_c per cell and its critical line, for the end-to-end tests (empty while
/// the grid is computed).
fn grid_json(g: &GridState) -> String {
    g.grid.as_ref().map_or(String::new(), |grid| {
        let xi: Vec<Vec<Option<f64>>> =
            grid.rows.iter().map(|r| r.cells.iter().map(|c| c.xi_c).collect()).collect();
        serde_json::json!({ "xi_c": xi, "critical_line": grid.critical_line }).to_string()
    })
}

#[component]
pub fn PhaseView(
    /// whether this view is the one shown
    #[prop(into)]
    active: Signal<bool>,
    /// the link's query string, if the link is for this view
    query: Option<String>,
    /// shows the explorer
    on_explorer: Callback<()>,
) -> impl IntoView {
    let service = expect_context::<PhaseService>();
    let bridge = use_context::<ExplorerBridge>();
    let (initial, notes) =
        url::decode::<PhaseParams>(query.as_deref().unwrap_or(""), url::RESERVED, &BROWSER_TABLES);
    let params = RwSignal::new(initial);
    let url_notes = RwSignal::new(notes);
    sync_url(View::Phase, active, params);

    // The explorer's φ and σ's, followed when they change there (not at load: a link for this
    // view keeps its own point).
    if let Some(b) = bridge {
        Effect::new(move |previous: Option<()>| {
            let current = b.current.get();
            if let (Some(_), Some(a)) = (previous, current) {
                params.maybe_update(|p| {
                    let before = (p.arch.activation, p.arch.sw2, p.arch.sb2);
                    p.arch.activation = a.activation;
                    p.arch.sw2 = a.sw2;
                    p.arch.sb2 = a.sb2;
                    before != (a.activation, a.sw2, a.sb2)
                });
            }
        });
    }

    let grid_key = Memo::new(move |_| params.with(PhaseParams::grid_spec));
    let point_key = Memo::new(move |_| params.with(PhaseParams::point_key));
    restart_when_settled(grid_key, active, move |k| service.has_grid(k), move |k| service.start_grid(k));
    restart_when_settled(point_key, active, move |k| service.has_point(k), move |k| service.start_point(k));

    let diagram_canvas = NodeRef::<leptos::html::Canvas>::new();
    let corr_canvas = NodeRef::<leptos::html::Canvas>::new();
    let cond_canvas = NodeRef::<leptos::html::Canvas>::new();
    let train_canvas = NodeRef::<leptos::html::Canvas>::new();
    let frame = StoredValue::new(None::<Frame>);
    let plot_error = RwSignal::new(None::<String>);
    let slot = FrameSlot::default();
    Effect::new(move |_| {
        track_viewport();
        let p = params.get();
        let g = service.grid.get();
        let pt = service.point.get();
        let tr = service.train.get();
        if !active.get() {
            return;
        }
        let (Some(dc), Some(cc), Some(kc), Some(tc)) =
            (diagram_canvas.get(), corr_canvas.get(), cond_canvas.get(), train_canvas.get())
        else {
            return;
        };
        let train_map = trainability_map(&tr, &g);
        let heat = diagram(&g, &p);
        let corr = correlation_panel(&pt);
        let cond = conditioning_panel(&pt, p.max_depth);
        slot.draw(move || {
            match timed_draw(&dc, || draw_grid_heatmap(&dc, &heat)) {
                Ok((geometry, f)) => {
                    frame.set_value(Some(f));
                    crate::hooks::record(&dc, "data-geometry", || serde_json::to_string(&geometry).unwrap_or_default());
                    crate::hooks::record(&dc, "data-frame", || {
                        serde_json::json!({ "px_x": [f.px_x.0, f.px_x.1], "px_y": [f.px_y.0, f.px_y.1], "x": [f.x.0, f.x.1], "y": [f.y.0, f.y.1] }).to_string()
                    });
                    crate::hooks::record(&dc, "data-grid", || grid_json(&g));
                }
                Err(e) => plot_error.set(Some(e.to_string())),
            }
            match timed_draw(&tc, || draw_grid_heatmap(&tc, &train_map)) {
                Ok(_) => {
                    crate::hooks::record(&tc, "data-done", || tr.result.is_some().to_string());
                    crate::hooks::record(&tc, "data-result", || trainability_json(&tr));
                }
                Err(e) => plot_error.set(Some(e.to_string())),
            }
            for (c, panel) in [(&cc, &corr), (&kc, &cond)] {
                if let Err(e) = timed_draw(c, || draw_series_panel(c, panel)) {
                    plot_error.set(Some(e.to_string()));
                }
                crate::hooks::record(c, "data-series", || {
                    let series: Vec<&Vec<(f64, f64)>> = panel.lines.iter().map(|l| &l.points).collect();
                    serde_json::to_string(&series).unwrap_or_default()
                });
            }
        });
    });

    // Each figure as a file (PNG at 1–3×, SVG on a sheet), with the command of its numbers.
    let none = Signal::derive(|| None::<u64>);
    let heat_figure = |canvas: NodeRef<leptos::html::Canvas>,
                       title: &'static str,
                       heat: fn(&PhaseParams, &GridState, &TrainState) -> GridHeatmap,
                       command: Signal<Option<String>>| Figure {
        canvas,
        redraw: Callback::new(move |()| {
            let h = params
                .with_untracked(|p| heat(p, &service.grid.get_untracked(), &service.train.get_untracked()));
            canvas.get_untracked().is_some_and(|c| draw_grid_heatmap(&c, &h).is_ok())
        }),
        svg: Callback::new(move |(sheet, provenance): (Sheet, Provenance)| {
            let h = params
                .with_untracked(|p| heat(p, &service.grid.get_untracked(), &service.train.get_untracked()));
            Some(grid_heatmap_svg(&h, title, &sheet, &provenance))
        }),
        command,
        step: none,
    };
    let diagram_figure = heat_figure(
        diagram_canvas,
        "Phase diagram: depth scale over the weight and bias variances",
        |p, g, _| diagram(g, p),
        Signal::derive(move || Some(params.with(PhaseParams::grid_command))),
    );
    let train_figure = heat_figure(
        train_canvas,
        "Trainability: real networks over the weight variance and depth",
        |_, g, t| trainability_map(t, g),
        Signal::derive(move || Some(params.with(PhaseParams::trainability_command))),
    );
    let series_figure = |canvas: NodeRef<leptos::html::Canvas>,
                         title: &'static str,
                         panel: fn(&PhaseParams, &PointState) -> SeriesPanel,
                         command: Signal<Option<String>>| Figure {
        canvas,
        redraw: Callback::new(move |()| {
            let s = params.with_untracked(|p| panel(p, &service.point.get_untracked()));
            canvas.get_untracked().is_some_and(|c| draw_series_panel(&c, &s).is_ok())
        }),
        svg: Callback::new(move |(sheet, provenance): (Sheet, Provenance)| {
            let s = params.with_untracked(|p| panel(p, &service.point.get_untracked()));
            Some(series_panel_svg(&s, title, &sheet, &provenance))
        }),
        command,
        step: none,
    };
    let corr_figure = series_figure(
        corr_canvas,
        "Correlation map over depth",
        |_, pt| correlation_panel(pt),
        Signal::derive(move || Some(params.with(|p| p.point_commands()[0].clone()))),
    );
    let cond_figure = series_figure(
        cond_canvas,
        "Conditioning of the NNGP and NTK Gram matrices against depth",
        |p, pt| conditioning_panel(pt, p.max_depth),
        Signal::derive(move || Some(params.with(|p| p.point_commands()[1].clone()))),
    );

    // A click on the diagram moves the point there, and the explorer's σ's with it.
    let on_click = move |ev: web_sys::PointerEvent| {
        let Some(f) = frame.get_value() else { return };
        let Some((x, y)) = f.to_data(f64::from(ev.offset_x()), f64::from(ev.offset_y())) else { return };
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        let (sw2, sb2) = (round(x).max(0.01), round(y).max(0.0));
        params.update(|p| {
            p.arch.sw2 = sw2;
            p.arch.sb2 = sb2;
        });
        if let Some(b) = bridge {
            b.set_explorer(params.get_untracked().arch);
        }
    };
    let open_explorer = move |_| {
        if let Some(b) = bridge {
            b.set_explorer(params.get_untracked().arch);
        }
        on_explorer.run(());
    };
    let point = move || service.point.with(point_text);
    let running = move || service.train.with(|t| t.running);
    let train_status = move || {
        service.train.with(|t| match (&t.error, t.running, &t.result) {
            (Some(e), _, _) => format!("Trainability grid: {e}"),
            (None, true, _) => format!(
                "Trainability grid: training {:.0}% ({} of {} cells)",
                100.0 * t.fraction(),
                t.cells.len(),
                t.spec.as_ref().map_or(0, |s| s.sw2.len() * s.depths.len())
            ),
            (None, false, Some(r)) => format!("Trainability grid: done, {} cells", r.cells.len()),
            _ => String::new(),
        })
    };
    let commands = move || {
        params.with(|p| {
            let [point, spectrum] = p.point_commands();
            [p.grid_command(), point, spectrum, p.trainability_command()]
        })
    };
    let view_notes = Signal::derive(move || plot_error.get().map(Note::text).into_iter().collect::<Vec<_>>());

    view! {
        <div class="view phase" data-testid="phase-view">
            <div class="notes" role="status" data-testid="phase-notes">
                <NoteList notes=url_notes prefix="Link: " />
                <NoteList notes=view_notes />
            </div>
            <div class="layout single-layout">
                <aside class="panel controls" aria-label="Order and chaos controls">
                    <h2>"Nonlinearity and point"</h2>
                    <ArchControls state=params prefix="p-" />
                    <button data-testid="phase-open-explorer" on:click=open_explorer>"Open the explorer at this point →"</button>
                    <h2>"Diagram"</h2>
                    <FieldControl field=&PhaseParams::SW2_LO state=params prefix="p-" />
                    <FieldControl field=&PhaseParams::SW2_HI state=params prefix="p-" />
                    <FieldControl field=&PhaseParams::SB2_LO state=params prefix="p-" />
                    <FieldControl field=&PhaseParams::SB2_HI state=params prefix="p-" />
                    <FieldControl field=&PhaseParams::GRID state=params prefix="p-" />
                    <h2>"Depth"</h2>
                    <FieldControl field=&PhaseParams::LAYERS state=params prefix="p-" />
                    <FieldControl field=&PhaseParams::MAX_DEPTH state=params prefix="p-" />
                    <FieldControl field=&PhaseParams::DATA state=params prefix="p-" />
                    <FieldControl field=&PhaseParams::N_TRAIN state=params prefix="p-" />
                    <FieldControl field=&PhaseParams::DATA_SEED state=params prefix="p-" />
                </aside>
                <main class="panel main-plot" aria-label="Order and chaos">
                    <h2>"Order and chaos: which networks can be trained deep?"</h2>
                    <p class="phase-readout" data-testid="phase-point">{point}</p>
                    <div class="figures">
                        <figure class="figure">
                            <figcaption>"Phase diagram: depth scale ξ_c over (σ_w², σ_b²)"</figcaption>
                            <canvas node_ref=diagram_canvas class="plot series clickable" data-testid="phase-diagram-plot" role="img"
                                aria-label="heatmap of the depth scale over the weight and bias variances, with the critical line; click to choose a point"
                                on:pointerdown=on_click></canvas>
                            <FigureExport id="phase-diagram" figure=diagram_figure />
                        </figure>
                        <figure class="figure">
                            <figcaption>"Correlation map over depth: c^l → c*, like e^(−l/ξ_c)"</figcaption>
                            <canvas node_ref=corr_canvas class="plot series" data-testid="phase-correlation" role="img"
                                aria-label="the correlation of two inputs against the layer, from several starting correlations"></canvas>
                            <FigureExport id="phase-correlation" figure=corr_figure />
                        </figure>
                        <figure class="figure">
                            <figcaption>"Trainability: real networks over (σ_w², depth)"</figcaption>
                            <canvas node_ref=train_canvas class="plot series" data-testid="phase-trainability" role="img"
                                aria-label="final over initial training loss of real networks for each weight variance and depth, with the trainable depth six times the depth scale drawn over it"></canvas>
                            <div class="run-row">
                                <button class="primary" data-testid="phase-run-trainability"
                                    on:click=move |_| service.start_trainability(params.with_untracked(PhaseParams::trainability_spec))>
                                    "Run the trainability grid"
                                </button>
                                <button data-testid="phase-cancel-trainability" prop:disabled=move || !running()
                                    on:click=move |_| service.cancel_trainability()>"Cancel"</button>
                                <span class="hint" data-testid="phase-trainability-status">{train_status}</span>
                            </div>
                            <FigureExport id="phase-trainability" figure=train_figure />
                        </figure>
                        <figure class="figure">
                            <figcaption>"Gram matrices' conditioning against depth"</figcaption>
                            <canvas node_ref=cond_canvas class="plot series" data-testid="phase-conditioning" role="img"
                                aria-label="condition numbers of the NNGP and NTK Gram matrices of the data against depth, with the trainable depth marked"></canvas>
                            <FigureExport id="phase-conditioning" figure=cond_figure />
                        </figure>
                    </div>
                    <div class="reproduce" data-testid="phase-commands">
                        <p class="hint">"The same numbers natively:"</p>
                        {move || commands().into_iter().map(|c| view! { <code class="cli">{c}</code> }).collect_view()}
                    </div>
                    <PhaseExplain />
                </main>
            </div>
        </div>
    }
}

/// What the diagram says.
#[component]
fn PhaseExplain() -> impl IntoView {
    view! {
        <section class="explain" data-testid="phase-explain">
            <h2>"What am I looking at?"</h2>
            <p>
                "At initialisation a wide network's kernel follows a fixed recursion over its layers. Two inputs' variance settles to a fixed point q*, and their correlation c to a fixed point c* at a rate χ per layer: "
                "|c" <sup>"l"</sup> " − c*| ∝ e" <sup>"−l/ξ_c"</sup> ". The slope at c = 1, χ₁ = σ_w² E[φ'(√q* z)²], is also the factor by which a gradient's squared norm changes per layer."
            </p>
            <p>
                "Ordered phase (χ₁ < 1): every input ends up perfectly correlated with every other, the Gram matrices K and Θ approach rank one — their condition number grows like e" <sup>"L/ξ_c"</sup> " — and gradients vanish. "
                "Chaotic phase (χ₁ > 1): nearby inputs decorrelate and gradients explode. On the critical line χ₁ = 1 the depth scale ξ_c is infinite: signals propagate to any depth. "
                "Schoenholz et al. found networks trainable only to a depth of about " {TRAINABLE_DEPTH_FACTOR} " ξ_c (the orange mark); beyond it the smallest modes of Θ are too small to learn in any reasonable time."
            </p>
            <p>"Click the diagram to move the point: the explorer takes the same σ's; its NTK-GP shows what such a kernel learns."</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_map_to_depth_scales_and_the_empty_diagram_says_it_is_computing() {
        let p = PhaseParams { grid: 4, ..PhaseParams::default() };
        let h = diagram(&GridState::default(), &p);
        assert_eq!((h.xs.len(), h.ys.len()), (4, 4));
        assert!(h.values.iter().flatten().all(Option::is_none));
        assert!(h.note.as_deref().is_some_and(|n| n.contains("0 of 4 rows")));
        assert_eq!(h.marker, Some((1.5, 0.05)));
        let c = correlation_panel(&PointState::default());
        assert_eq!(c.note.as_deref(), Some("computing…"));
        assert_eq!(crate::params::phase::C0S.len(), 4);
    }
}
