//! UI pieces in the browser: the plots drawn on a real canvas and exported as SVG. (The slider
//! scales, the CSV exports and the sweep planner are tested natively, in their modules.)

#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use wide_explorer::plot::function_plot::{draw_function_plot, FunctionPlot, NTK_COLOR};
use wide_explorer::plot::heatmap::{diverging, draw_heatmaps, Heatmaps, Panel, NEGATIVE, POSITIVE};
use wide_explorer::plot::loss_plot::{draw_loss_plot, Curve, Model};
use wide_explorer::plot::Band;

wasm_bindgen_test_configure!(run_in_browser);

fn canvas(w: u32, h: u32) -> HtmlCanvasElement {
    let doc = web_sys::window().unwrap().document().unwrap();
    let c: HtmlCanvasElement = doc.create_element("canvas").unwrap().dyn_into().unwrap();
    c.set_attribute("style", &format!("width: {w}px; height: {h}px")).unwrap();
    doc.body().unwrap().append_child(&c).unwrap();
    c
}

fn pixel(c: &HtmlCanvasElement, x: f64, y: f64) -> [u8; 3] {
    let ctx: CanvasRenderingContext2d = c.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    let d = ctx.get_image_data(x, y, 1.0, 1.0).unwrap().data();
    [d[0], d[1], d[2]]
}

/// Rows (backing pixels) of column `x` between `rows.0` and `rows.1` whose colour is within
/// `tol` of `color` on every channel.
fn rows_of(c: &HtmlCanvasElement, x: f64, rows: (f64, f64), color: (u8, u8, u8), tol: i32) -> Vec<f64> {
    (rows.0.ceil() as u32..rows.1.floor() as u32)
        .filter(|&y| {
            let p = pixel(c, x, y as f64);
            (p[0] as i32 - color.0 as i32).abs() <= tol
                && (p[1] as i32 - color.1 as i32).abs() <= tol
                && (p[2] as i32 - color.2 as i32).abs() <= tol
        })
        .map(f64::from)
        .collect()
}

#[wasm_bindgen_test]
fn the_main_plot_draws_the_bands_at_mean_plus_minus_two_sigma() {
    let c = canvas(600, 400);
    let x: Vec<f64> = (0..50).map(|i| -3.0 + 6.0 * i as f64 / 49.0).collect();
    // NTK-GP band 0.3 ± 2·0.1 = [0.1, 0.5]; NNGP band −0.6 ± 2·0.05 = [−0.7, −0.5].
    let plot = FunctionPlot {
        x: x.clone(),
        ntk: Some(Band { mean: vec![0.3; 50], sd: vec![0.1; 50] }),
        nngp: Some(Band { mean: vec![-0.6; 50], sd: vec![0.05; 50] }),
        y_range: Some((-1.0, 1.0)),
        caption: "test".into(),
        ..FunctionPlot::default()
    };
    let (frame, geometry) = draw_function_plot(&c, &plot).unwrap();
    let dpr = web_sys::window().unwrap().device_pixel_ratio();
    assert_eq!(c.width() as f64, (600.0 * dpr).round(), "backing store follows devicePixelRatio");
    assert!(geometry.problems().is_empty(), "{:?}", geometry.problems());
    let column = frame.to_css(1.3, 0.0).0 * dpr;
    let row = |y: f64| frame.to_css(1.3, y).1 * dpr;
    // Each band's light fill spans exactly its mean ± 2σ (to a pixel of antialiasing), and its
    // mean line runs through the middle: a band drawn at ±σ, at the other GP's place or with the
    // wrong colour fails here.
    for (band_lo, band_hi, mean, color) in
        [(0.1, 0.5, 0.3, NTK_COLOR), (-0.7, -0.5, -0.6, wide_explorer::plot::function_plot::NNGP_COLOR)]
    {
        let fill = (
            (255.0 - 0.18 * (255.0 - f64::from(color.0))) as u8,
            (255.0 - 0.18 * (255.0 - f64::from(color.1))) as u8,
            (255.0 - 0.18 * (255.0 - f64::from(color.2))) as u8,
        );
        let area = geometry.areas[0];
        // The fill is pale (18 % of the colour on white): matched tightly, inside the plotting area.
        let filled = rows_of(&c, column, (area.y0, area.y1), fill, 8);
        let (top, bottom) = (row(band_hi), row(band_lo));
        assert!(!filled.is_empty(), "no band fill for {color:?}");
        let (first, last) = (filled[0], filled[filled.len() - 1]);
        assert!((first - top).abs() <= 2.0 * dpr + 1.0, "{color:?}: band top at {first}, expected {top}");
        assert!(
            (last - bottom).abs() <= 2.0 * dpr + 1.0,
            "{color:?}: band bottom at {last}, expected {bottom}"
        );
        let line = rows_of(&c, column, (area.y0, area.y1), (color.0, color.1, color.2), 40);
        let centre = line.iter().sum::<f64>() / line.len().max(1) as f64;
        assert!(
            (centre - row(mean)).abs() <= 2.0 * dpr,
            "{color:?}: mean line at {centre}, expected {}",
            row(mean)
        );
    }
    c.remove();
}

/// A main plot with every series: both bands, the network and linearization bands, one member,
/// the target and three training points on the 101-point grid over [−π, π].
fn full_main_plot() -> FunctionPlot {
    let pi = std::f64::consts::PI;
    let x: Vec<f64> = (0..101).map(|i| -pi + 2.0 * pi * i as f64 / 100.0).collect();
    let band = |f: fn(f64) -> f64| Some(Band { mean: x.iter().map(|&v| f(v)).collect(), sd: vec![0.1; 101] });
    FunctionPlot {
        x: x.clone(),
        target: x.iter().map(|v| v.sin()).collect(),
        train: vec![(-2.0, -0.9), (0.5, 0.5), (2.5, 0.6)],
        ntk: band(f64::sin),
        nngp: band(|v| 0.9 * v.sin()),
        net: band(f64::sin),
        lin: band(f64::sin),
        members: vec![x.iter().map(|v| v.sin() + 0.1).collect()],
        caption: "after k = 300 steps (t = η·k = 30)".into(),
        ..FunctionPlot::default()
    }
}

#[wasm_bindgen_test]
fn plots_never_overlap_their_labels_or_hide_data_under_the_legend() {
    let plot = full_main_plot();
    let curves = vec![
        Curve::new("NTK-GP train", Model::NtkGp, false, vec![(0.1, 0.5), (1.0, 0.1), (30.0, 1e-3)]),
        Curve::new("network test", Model::Network, true, vec![(0.1, 0.6), (1.0, 0.2), (30.0, 0.05)]),
    ];
    // A desktop panel, a narrow side panel and a phone.
    for (w, h) in [(900, 520), (420, 300), (340, 280)] {
        let c = canvas(w, h);
        let (_, g) = draw_function_plot(&c, &plot).unwrap();
        assert!(g.problems().is_empty(), "main plot at {w}×{h}: {:?}", g.problems());
        assert!(!g.legends.is_empty() && g.axes.iter().all(|a| a.len() >= 2), "{g:?}");
        let g = wide_explorer::plot::loss_plot::draw_loss_curves(&c, &curves).unwrap().1;
        assert!(g.problems().is_empty(), "loss plot at {w}×{h}: {:?}", g.problems());
        let traj = wide_explorer::plot::catapult_plot::Trajectory {
            label: "two-scalar model".into(),
            role: wide_explorer::plot::catapult_plot::Role::Model,
            loss_ratio: vec![1.0, 40.0, 1609.0, 2.0, 1e-4],
            eta_lambda: vec![3.0, 2.9, 1.0, 0.5, 0.23],
            f: vec![1.0, -2.0, 4.0, 0.5, 0.01],
        };
        let g = wide_explorer::plot::catapult_plot::draw_trajectories(&c, &[traj], 100).unwrap();
        assert!(g.problems().is_empty(), "catapult trajectories at {w}×{h}: {:?}", g.problems());
        let dots: Vec<_> = (1..50)
            .map(|i| wide_explorer::plot::catapult_plot::PhaseDot {
                eta_lambda0: i as f64 * 0.1,
                final_eta_lambda: (i < 40).then_some(1.0),
                final_loss: (i < 40).then_some(1e-6),
            })
            .collect();
        let g = wide_explorer::plot::catapult_plot::draw_phase_diagram(&c, &dots, 3.0).unwrap();
        assert!(g.problems().is_empty(), "phase diagram at {w}×{h}: {:?}", g.problems());
        let widths =
            wide_explorer::plot::widths_plot::WidthsPlot::from_result(&power_law_result(), |_| String::new());
        // Below NARROW_PLOT_PX the width plot stacks its panels in a canvas 1120 px tall (the
        // style sheet's phone height).
        let tall = canvas(w, if f64::from(w) < wide_explorer::plot::NARROW_PLOT_PX { 1120 } else { h });
        let g = wide_explorer::plot::widths_plot::draw_widths_plot(&tall, &widths).unwrap();
        assert!(g.problems().is_empty(), "width plot at {w}×{h}: {:?}", g.problems());
        tall.remove();
        // The one-network view's panels, the order-and-chaos heatmaps (a long legend each).
        let series = wide_explorer::plot::series_plot::SeriesPanel {
            x: wide_explorer::plot::panel::Axis::log(0.05, 100.0, "time t = η·k"),
            y: wide_explorer::plot::panel::Axis::linear(-1.2, 5.3, "output f(x)"),
            lines: vec![wide_explorer::plot::series_plot::Line {
                color: plotters::style::RGBColor(31, 95, 191),
                dash: wide_explorer::plot::series_plot::Dash::Dotted,
                width: 2.0,
                points: vec![(0.05, 5.0), (1.0, -0.8), (100.0, -0.5)],
            }],
            legend: (0..9)
                .map(|i| wide_explorer::plot::legend::Entry {
                    text: format!("train ({:.2}) y = {:.2}", i as f64 - 2.76, 0.1 * i as f64),
                    swatch: wide_explorer::plot::legend::Swatch::Dot(plotters::style::RGBColor(200, 60, 60)),
                })
                .collect(),
            marker: Some(10.0),
            note: Some("the network diverged at k = 123 (η too large): curves end there".into()),
        };
        let g = wide_explorer::plot::series_plot::draw_series_panel(&c, &series).unwrap();
        assert!(g.problems().is_empty(), "series panel at {w}×{h}: {:?}", g.problems());
        let p = wide_explorer::params::phase::PhaseParams { grid: 8, ..Default::default() };
        let heat = wide_explorer::views::phase::diagram(&Default::default(), &p);
        let (g, frame) = wide_explorer::plot::grid_heatmap::draw_grid_heatmap(&c, &heat).unwrap();
        assert!(g.problems().is_empty(), "phase diagram heatmap at {w}×{h}: {:?}", g.problems());
        // The click mapping inverts the drawing: the corners of the plotting area are the axes' ends.
        let (x0, y1) = frame.to_data(frame.px_x.0, frame.px_y.0).unwrap();
        assert!((x0 - heat.x.lo).abs() < 1e-9 && (y1 - heat.y.hi).abs() < 1e-9, "{x0} {y1}");
        // Short time ranges (the report: "2e03e04e65e0"): still apart.
        let short = vec![Curve::new("x", Model::NtkGp, false, vec![(2.0, 0.5), (6.0, 0.4)])];
        let g = wide_explorer::plot::loss_plot::draw_loss_curves(&c, &short).unwrap().1;
        assert!(g.problems().is_empty(), "short loss plot at {w}×{h}: {:?}", g.problems());
        c.remove();
    }
}

#[wasm_bindgen_test]
fn the_loss_plot_draws_on_log_axes_and_skips_bad_points() {
    let c = canvas(400, 260);
    let curves = vec![Curve {
        name: "test".into(),
        points: vec![(0.0, 1.0), (0.1, 1.0), (1.0, 0.1), (10.0, f64::NAN), (100.0, 1e-3)],
        model: Model::NtkGp,
        test: false,
    }];
    draw_loss_plot(&c, &curves, 1.0).unwrap();
    draw_loss_plot(&c, &[], 0.0).unwrap();
    c.remove();
}

#[wasm_bindgen_test]
fn the_frame_maps_pointer_positions_onto_the_drawn_points() {
    let c = canvas(500, 300);
    let plot = FunctionPlot {
        x: vec![-3.0, 3.0],
        train: vec![(1.0, 0.5)],
        y_range: Some((-2.5, 2.5)),
        ..FunctionPlot::default()
    };
    let (frame, _) = draw_function_plot(&c, &plot).unwrap();
    assert_eq!(frame.y, (-2.5, 2.5), "a fixed y range is kept");
    let (px, py) = frame.to_css(1.0, 0.5);
    let (x, y) = frame.to_data(px, py).unwrap();
    assert!((x - 1.0).abs() < 1e-9 && (y - 0.5).abs() < 1e-9, "{x} {y}");
    // The training point (orange) is drawn where the frame says it is.
    let dpr = web_sys::window().unwrap().device_pixel_ratio();
    let p = pixel(&c, px * dpr, py * dpr);
    assert!(p[0] > 200 && p[1] > 130 && p[1] < 210 && p[2] < 60, "{p:?} at the point's position");
    assert_eq!(frame.to_data(1.0, 1.0), None, "the corner is outside the plotting area");
    let edge = frame.to_data_clamped(-100.0, -100.0);
    assert_eq!(edge, (-3.0, 2.5), "dragging past the top-left corner stops at it");
    c.remove();
}

#[wasm_bindgen_test]
fn heatmap_panels_are_coloured_by_value() {
    assert_eq!(diverging(0.0), plotters::style::RGBColor(255, 255, 255));
    assert_eq!(diverging(9.0), POSITIVE);
    assert_eq!(diverging(-1.5), NEGATIVE);
    let c = canvas(600, 200);
    let side = 5;
    let h = Heatmaps {
        side,
        ranges: [(-1.0, 1.0), (-1.0, 1.0)],
        panels: vec![
            Panel { title: "plus".into(), values: Some(vec![2.0; side * side]) },
            Panel { title: "minus".into(), values: Some(vec![-2.0; side * side]) },
            Panel { title: "none".into(), values: None },
        ],
        train: vec![],
        segment: None,
        features: None,
    };
    draw_heatmaps(&c, &h).unwrap();
    let (w, hh) = (c.width() as f64, c.height() as f64);
    // Sample a little right of and below each panel's centre (away from the centre text).
    let at = |panel: f64| pixel(&c, w * (panel + 0.55) / 3.0, hh * 0.6);
    assert_eq!(at(0.0), [POSITIVE.0, POSITIVE.1, POSITIVE.2]);
    assert_eq!(at(1.0), [NEGATIVE.0, NEGATIVE.1, NEGATIVE.2]);
    assert_eq!(at(2.0), [255, 255, 255], "no values yet: left blank");
    c.remove();
}

#[wasm_bindgen_test]
fn the_phase_diagram_shades_its_three_regions_and_the_trajectories_draw() {
    use wide_explorer::plot::catapult_plot::{
        draw_phase_diagram, draw_trajectories, PhaseDot, Role, Trajectory,
    };
    let c = canvas(400, 400);
    let dots: Vec<PhaseDot> = (1..50)
        .map(|i| {
            let x = i as f64 * 0.1;
            PhaseDot {
                eta_lambda0: x,
                final_eta_lambda: (x < 4.0).then_some(if x < 2.0 { x } else { 1.0 }),
                final_loss: (x < 4.0).then_some(1e-6),
            }
        })
        .collect();
    draw_phase_diagram(&c, &dots, 3.0).unwrap();
    let (w, h) = (c.width() as f64, c.height() as f64);
    // Sample the top panel's background in each region, between the dots (near the top edge).
    let row = 0.2 * h;
    let region = |x: f64| pixel(&c, 36.0 * w / 400.0 + (w - 48.0 * w / 400.0) * x / 5.0, row);
    assert_eq!(region(0.5), [225, 240, 225], "lazy region");
    assert_eq!(region(2.9), [253, 235, 210], "catapult region");
    assert_eq!(region(4.7), [250, 220, 220], "divergent region");
    let t = Trajectory {
        label: "model".into(),
        role: Role::Model,
        loss_ratio: vec![1.0, 4.0, 0.5, 1e-3],
        eta_lambda: vec![3.0, 2.5, 1.0, 1.0],
        f: vec![1.0, -2.0, 0.5, 0.01],
    };
    draw_trajectories(&c, &[t], 3).unwrap();
    let blue = (0..c.width()).step_by(2).flat_map(|x| (0..c.height()).step_by(2).map(move |y| (x, y))).any(
        |(x, y)| {
            let p = pixel(&c, x as f64, y as f64);
            p[2] > 150 && p[0] < 80
        },
    );
    assert!(blue, "the model's trajectory is drawn in blue");
    c.remove();
}

/// A sweep result with exact power laws: (a) 0.5/n, (b) input 2/√n, hidden 1/n, readout 1/√n,
/// (c) 1/n, (d) 1/√n; bars ±10 %.
fn power_law_result() -> ntk_core::experiments::widths::SweepResult {
    use ntk_core::experiments::widths::{SweepResult, WidthPoint};
    use ntk_core::stats::Spread;
    let params =
        wide_explorer::params::widths::WidthsParams { min_width: 32, max_width: 256, ..Default::default() };
    let spec = params.to_spec().unwrap();
    let sp = |v: f64| Spread { count: 2, mean: v, sd: 0.1 * v, min: 0.9 * v, max: 1.1 * v };
    let points = spec
        .widths
        .iter()
        .map(|&w| {
            let n = w as f64;
            WidthPoint {
                width: w,
                axis_value: None,
                depth: 2,
                train_size: 8,
                learning_rate: 0.1,
                diverged: 0,
                rmse_nn_lin_sup: Some(sp(0.5 / n)),
                weight_change: vec![sp(2.0 / n.sqrt()), sp(1.0 / n), sp(1.0 / n.sqrt())],
                ntk_change: Some(sp(1.0 / n)),
                ntk_init_error: sp(1.0 / n.sqrt()),
                ntk_alignment_start: None,
                ntk_alignment_end: None,
                seeds: vec![],
            }
        })
        .collect();
    SweepResult::assemble(&spec, points).unwrap()
}

#[wasm_bindgen_test]
fn the_width_plot_fits_slopes_and_draws_four_decreasing_panels() {
    use wide_explorer::plot::widths_plot::{
        draw_widths_plot, legend_text, WidthsPlot, LAYER_COLORS, SERIES_COLORS,
    };
    let result = power_law_result();
    let plot = WidthsPlot::from_result(&result, |_| String::new());
    assert_eq!(plot.panels.len(), 4);
    let slope = |panel: usize, i: usize| plot.panels[panel].series[i].fit.unwrap().slope;
    // Exact power laws: slopes to rounding.
    assert!((slope(0, 0) + 1.0).abs() < 1e-9, "{}", slope(0, 0));
    let layers: Vec<&str> = plot.panels[1].series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(layers, ["input", "hidden", "readout"]);
    assert!(
        (slope(1, 0) + 0.5).abs() < 1e-9
            && (slope(1, 1) + 1.0).abs() < 1e-9
            && (slope(1, 2) + 0.5).abs() < 1e-9
    );
    assert!((slope(2, 0) + 1.0).abs() < 1e-9 && (slope(3, 0) + 0.5).abs() < 1e-9);
    assert!(
        legend_text(&plot.panels[0].series[0]).starts_with("fit: slope −1.00"),
        "{}",
        legend_text(&plot.panels[0].series[0])
    );

    let c = canvas(900, 640);
    draw_widths_plot(&c, &plot).unwrap();
    let (w, h) = (c.width() as f64, c.height() as f64);
    let is = |p: [u8; 3], c: plotters::style::RGBColor| {
        (p[0] as i32 - c.0 as i32).abs() < 30
            && (p[1] as i32 - c.1 as i32).abs() < 30
            && (p[2] as i32 - c.2 as i32).abs() < 30
    };
    let ctx: CanvasRenderingContext2d = c.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    // Panel (b) is checked on its hidden layer (red, 1/n: the steepest of its series).
    let colours = [SERIES_COLORS[0], LAYER_COLORS[1], SERIES_COLORS[0], SERIES_COLORS[0]];
    for ((qx, qy), colour) in [(0.0, 0.0), (0.5, 0.0), (0.0, 0.5), (0.5, 0.5)].into_iter().zip(colours) {
        // The lowest pixel of the series colour in the quadrant's left and right halves (the
        // legend sits in the upper right): the data fall with n, so the right one is lower.
        let (x0, y0, qw, qh) = (qx * w, qy * h, w / 2.0, h / 2.0);
        let data = ctx.get_image_data(x0, y0, qw, qh).unwrap().data();
        let (mut low_left, mut low_right, mut count) = (0usize, 0usize, 0usize);
        let (iw, ih) = (qw as usize, qh as usize);
        for y in 0..ih {
            for x in 0..iw {
                let i = 4 * (y * iw + x);
                if is([data[i], data[i + 1], data[i + 2]], colour) {
                    count += 1;
                    if x < iw / 2 {
                        low_left = low_left.max(y);
                    } else {
                        low_right = low_right.max(y);
                    }
                }
            }
        }
        assert!(count > 100, "quadrant ({qx}, {qy}): only {count} series pixels");
        assert!(
            low_right > low_left + ih / 20,
            "quadrant ({qx}, {qy}): lowest blue left {low_left}, right {low_right}"
        );
    }
    // Before any result: empty panels with a hint, no error.
    let empty =
        ntk_core::experiments::widths::SweepResult { series: vec![], reference_slopes: vec![-0.5, -1.0] };
    draw_widths_plot(&c, &WidthsPlot::from_result(&empty, |_| String::new())).unwrap();
    c.remove();
}

#[wasm_bindgen_test]
fn the_main_plot_exports_as_svg_with_its_series_text_and_provenance() {
    use wide_explorer::plot::function_plot::function_plot_svg;
    use wide_explorer::plot::svg::{Provenance, Sheet};
    let plot = full_main_plot();
    let provenance = Provenance {
        link: "https://example.org/?sw2=2.25&t=300&a=1&b=2".into(),
        command: Some("ntk ensemble --act erf".into()),
        step: Some(300),
        version: "wide-explorer 0.1.0".into(),
    };
    let svg = function_plot_svg(&plot, &Sheet::px((800, 500)), &provenance).expect("an SVG");
    let doc = roxmltree::Document::parse(&svg).expect("the SVG parses as XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    // One polyline per curve drawn, each with a point per grid point: the NNGP and NTK means,
    // the network mean and its two ±2σ edges, the linearization mean (dashed) and its edges,
    // the member and the target.
    let lines: Vec<roxmltree::Node> = doc.descendants().filter(|n| n.has_tag_name("polyline")).collect();
    let full: Vec<&roxmltree::Node> = lines
        .iter()
        .filter(|n| n.attribute("points").is_some_and(|p| p.split_whitespace().count() == 101))
        .collect();
    assert_eq!(full.len(), 10, "{} polylines, {} with 101 points", lines.len(), full.len());
    let dashed: Vec<_> = full.iter().filter(|n| n.attribute("stroke-dasharray").is_some()).collect();
    assert_eq!(dashed.len(), 1, "the linearization's mean is the one dashed line");
    // Two bands (NNGP, NTK) as polygons of 2 × 101 corners.
    let bands = doc
        .descendants()
        .filter(|n| n.has_tag_name("polygon"))
        .filter(|n| n.attribute("points").is_some_and(|p| p.split_whitespace().count() == 202))
        .count();
    assert_eq!(bands, 2);
    // Text as text: the caption, the axis descriptions and the legend.
    let text: String =
        doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).collect();
    for needle in ["after k = 300 steps", "input x", "output f(x)", "NTK-GP mean ± 2σ", "training points"] {
        assert!(text.contains(needle), "no '{needle}' in the SVG's text");
    }
    // Fonts at the sizes the canvas draws and the layout measured (caption 14 px, legend 12 px).
    let size_of = |needle: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("text") && n.text().is_some_and(|t| t.contains(needle)))
            .and_then(|n| n.attribute("font-size"))
            .and_then(|v| v.parse::<f64>().ok())
    };
    assert_eq!(size_of("after k = 300 steps"), Some(14.0));
    assert_eq!(size_of("training points"), Some(12.0));
    // The provenance, unescaped by the parser: the link (with its &), the command, step, version.
    let meta = doc
        .descendants()
        .find(|n| n.tag_name().name() == "wide-explorer")
        .expect("the provenance element in <metadata>");
    assert_eq!(meta.attribute("link"), Some(provenance.link.as_str()));
    assert_eq!(meta.attribute("command"), Some("ntk ensemble --act erf"));
    assert_eq!(meta.attribute("step"), Some("300"));
    let desc = doc.descendants().find(|n| n.has_tag_name("desc")).and_then(|n| n.text()).unwrap_or("");
    assert!(desc.contains(&provenance.link) && desc.contains("step 300"), "{desc}");
}

/// A panel of three curves — solid, dashed, dotted — as an SVG: one polyline per curve with the
/// curve's point count (a dashed or dotted curve one polyline with its dash pattern, not a line
/// per dash), the marker of the time shown, the legend's text; on a sheet of 12 × 8 cm at text
/// scale 2 the root is that size and the drawing is laid out at half of it in CSS pixels.
#[wasm_bindgen_test]
fn a_series_panel_exports_as_svg_with_one_dashed_polyline_per_dashed_curve() {
    use plotters::style::RGBColor;
    use wide_explorer::plot::legend::{Entry, Swatch};
    use wide_explorer::plot::panel::Axis;
    use wide_explorer::plot::series_plot::{series_panel_svg, Dash, Line, SeriesPanel};
    use wide_explorer::plot::svg::{Provenance, Sheet, Unit, PX_PER_CM};
    let curve = |k: f64| (0..40).map(|i| (1.0 + i as f64, k / (1.0 + i as f64))).collect::<Vec<_>>();
    let colors = [RGBColor(200, 30, 30), RGBColor(30, 30, 200), RGBColor(30, 150, 30)];
    let panel = SeriesPanel {
        x: Axis::log(1.0, 40.0, "time t"),
        y: Axis::log(0.01, 10.0, "loss"),
        lines: vec![
            Line { color: colors[0], dash: Dash::Solid, width: 2.0, points: curve(1.0) },
            Line { color: colors[1], dash: Dash::Dashed, width: 1.5, points: curve(2.0) },
            Line { color: colors[2], dash: Dash::Dotted, width: 1.5, points: curve(4.0) },
        ],
        legend: ["network", "linearization", "analytic"]
            .iter()
            .zip(colors)
            .map(|(t, color)| Entry {
                text: t.to_string(),
                swatch: Swatch::Line { color, width: 2.0, dashed: false },
            })
            .collect(),
        marker: Some(10.0),
        note: None,
    };
    let provenance = Provenance {
        link: "https://example.org/?a=1".into(),
        command: None,
        step: None,
        version: "v".into(),
    };
    let sheet = Sheet { size: (12.0, 8.0), unit: Unit::Cm, scale: 2.0 };
    let svg = series_panel_svg(&panel, "Losses", &sheet, &provenance).expect("an SVG");
    let doc = roxmltree::Document::parse(&svg).expect("the SVG parses as XML");
    let root = doc.root_element();
    assert_eq!((root.attribute("width"), root.attribute("height")), (Some("12cm"), Some("8cm")));
    let layout = |cm: f64| (cm * PX_PER_CM / 2.0).round();
    assert_eq!(root.attribute("viewBox"), Some(format!("0 0 {} {}", layout(12.0), layout(8.0)).as_str()));
    let lines: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter(|n| n.attribute("points").is_some_and(|p| p.split_whitespace().count() == 40))
        .collect();
    assert_eq!(lines.len(), 3, "one polyline of 40 points per curve");
    let hex = |c: RGBColor| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
    let dash_of = |c: RGBColor| {
        lines
            .iter()
            .find(|n| n.attribute("stroke") == Some(hex(c).as_str()))
            .map(|n| n.attribute("stroke-dasharray"))
    };
    assert_eq!(dash_of(colors[0]), Some(None), "the solid curve in its colour, not dashed");
    assert_eq!(dash_of(colors[1]), Some(Some("6 4")), "the dashed curve: 6 on, 4 off (rounded 6 and 3.5)");
    assert_eq!(dash_of(colors[2]), Some(Some("2 3")), "the dotted curve: 2 on, 3 off (rounded 1.8 and 2.6)");
    // No marker colour is left in the file.
    assert!(!svg.contains("#01FE"), "a marker colour left in the SVG");
    let text: String =
        doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).collect();
    for needle in ["network", "linearization", "analytic", "time t", "loss"] {
        assert!(text.contains(needle), "no '{needle}' in the SVG's text");
    }
    let desc = doc.descendants().find(|n| n.has_tag_name("desc")).and_then(|n| n.text()).unwrap_or("");
    assert!(desc.contains("https://example.org/?a=1") && !desc.contains("step"), "{desc}");
}

/// 2-D heatmaps as an SVG: one rectangle per grid cell of each panel with values.
#[wasm_bindgen_test]
fn heatmaps_export_as_svg_with_a_rectangle_per_cell() {
    use wide_explorer::plot::heatmap::heatmaps_svg;
    use wide_explorer::plot::svg::{Provenance, Sheet};
    let side = 7;
    let h = Heatmaps {
        side,
        ranges: [(-1.0, 1.0), (-1.0, 1.0)],
        panels: vec![
            Panel { title: "target".into(), values: Some(vec![0.5; side * side]) },
            Panel { title: "NTK-GP".into(), values: Some(vec![-0.5; side * side]) },
        ],
        train: vec![(0.0, 0.0, 1.0)],
        segment: None,
        features: None,
    };
    let provenance = Provenance { link: "l".into(), command: None, step: Some(3), version: "v".into() };
    let svg = heatmaps_svg(&h, "heat", &Sheet::px((600, 300)), &provenance).expect("an SVG");
    let doc = roxmltree::Document::parse(&svg).expect("the SVG parses as XML");
    let cells = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect"))
        .filter(|n| {
            let fill = n.attribute("fill").unwrap_or("");
            fill == format!("#{:02X}{:02X}{:02X}", diverging(0.5).0, diverging(0.5).1, diverging(0.5).2)
                || fill
                    == format!("#{:02X}{:02X}{:02X}", diverging(-0.5).0, diverging(-0.5).1, diverging(-0.5).2)
        })
        .count();
    assert_eq!(cells, 2 * side * side);
}
