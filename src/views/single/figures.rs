//! The one-network view's figures as plain data (paper Figure 3's panes): outputs of chosen
//! points, individual weights, losses, accuracies and the network–model RMSEs against time
//! t = η·k, and the 2-D sets' heatmaps at the step shown; the quadratic model
//! `f₀ + J₀δ + ½ δᵀH₀δ` (long dashes, [`QUAD_COLOR`]) wherever its checkpoints have the
//! quantity (outputs, losses, RMSE to the network, heatmaps). Pure functions of the run; the
//! drawing is [`crate::plot::series_plot`]'s and [`crate::plot::heatmap`]'s.

use ntk_core::datasets::GRID_SIDE;
use ntk_core::experiments::single::{
    Outputs, QuadraticCheckpoint, SingleCheckpoint, SingleModel, Trio, WeightKind,
};
use ntk_core::nets::loss::Loss;
use plotters::style::RGBColor;

use crate::plot::function_plot::{LIN_COLOR, NET_COLOR, NTK_COLOR, QUAD_COLOR};
use crate::plot::heatmap::{FeatureLines, Heatmaps, Panel as HeatPanel};
use crate::plot::legend::{Entry, Swatch};
use crate::plot::panel::Axis;
use crate::plot::series_plot::{Dash, Line, SeriesPanel};
use crate::services::single::{Compare, SingleRun};

/// Colours of the points and weights followed (one each).
pub const PALETTE: [RGBColor; 12] = [
    RGBColor(31, 95, 191),
    RGBColor(214, 120, 0),
    RGBColor(39, 140, 80),
    RGBColor(192, 57, 43),
    RGBColor(142, 68, 173),
    RGBColor(0, 140, 150),
    RGBColor(150, 110, 20),
    RGBColor(200, 60, 140),
    RGBColor(90, 90, 200),
    RGBColor(110, 160, 30),
    RGBColor(220, 80, 60),
    RGBColor(60, 60, 60),
];

/// Colours of the compare-widths runs, narrowest first.
pub const WIDTH_COLORS: [RGBColor; 3] = [RGBColor(214, 120, 0), RGBColor(20, 20, 20), RGBColor(31, 95, 191)];

/// A point whose outputs are followed: training or test, its index and its label.
#[derive(Clone, Debug, PartialEq)]
pub struct Followed {
    /// a training point (else a test point)
    pub train: bool,
    /// its index in its set
    pub index: usize,
    /// the legend text
    pub label: String,
}

/// The points followed: up to four training points spread over the set, and two test points
/// (1-D: x = −π/2 and π/2; 2-D: two grid points off the axes).
pub fn followed(x_train: &[Vec<f64>], y_train: &[f64], x_test: &[Vec<f64>]) -> Vec<Followed> {
    let n = x_train.len();
    let mut train: Vec<usize> =
        (0..4.min(n)).map(|i| if n > 1 { i * (n - 1) / 3.min(n - 1) } else { 0 }).collect();
    train.dedup();
    let at = |x: &[f64]| x.iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>().join(", ");
    let mut out: Vec<Followed> = train
        .into_iter()
        .map(|i| Followed {
            train: true,
            index: i,
            label: format!("train ({}) y = {:.2}", at(&x_train[i]), y_train[i]),
        })
        .collect();
    let test: Vec<usize> =
        if x_test.first().is_some_and(|p| p.len() == 2) && x_test.len() == GRID_SIDE * GRID_SIDE {
            vec![5 * GRID_SIDE + 5, 14 * GRID_SIDE + 15]
        } else {
            let m = x_test.len();
            [m / 4, 3 * m / 4].into_iter().filter(|&i| i < m).collect()
        };
    out.extend(test.into_iter().map(|i| Followed {
        train: false,
        index: i,
        label: format!("test ({})", at(&x_test[i])),
    }));
    out
}

fn output(o: &Outputs, f: &Followed) -> f64 {
    if f.train {
        o.train[f.index]
    } else {
        o.test[f.index]
    }
}

/// The time axis of a run: t = η·k over k = 1 … K (log), fixed for the whole run so the curves
/// grow across it as checkpoints arrive.
pub fn time_axis(lr: f64, steps: u64) -> Axis {
    let (lo, hi) = (lr, lr * steps.max(2) as f64);
    Axis::log(lo, hi, "time t = η·k")
}

/// (t, value) at every checkpoint past step 0.
fn curve(
    ckpts: &[SingleCheckpoint],
    lr: f64,
    value: impl Fn(&SingleCheckpoint) -> Option<f64>,
) -> Vec<(f64, f64)> {
    ckpts.iter().filter(|c| c.step > 0).filter_map(|c| value(c).map(|v| (lr * c.step as f64, v))).collect()
}

/// A linear range around `values` with 8 % padding (±1 when empty or flat).
fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    let pad = if hi > lo { 0.08 * (hi - lo) } else { lo.abs().max(1.0) * 0.5 };
    (lo - pad, hi + pad)
}

/// A log range around the positive `values` (a factor 2 on each side; 1e-4 … 1 when empty).
fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() || hi <= 0.0 {
        return (1e-4, 1.0);
    }
    // At most 12 decades: far smaller values are rounding residue, not dynamics.
    (lo.max(hi * 1e-12) / 2.0, hi * 2.0)
}

/// Whether the run has the quadratic model.
fn has_quad(run: &SingleRun) -> bool {
    run.spec.as_ref().is_some_and(|s| s.quadratic) || run.checkpoints.iter().any(|c| c.quad.is_some())
}

/// The quadratic model's legend entry (long dashes).
fn quad_entry(text: String, color: RGBColor) -> Entry {
    Entry { text, swatch: Swatch::LongDashed { color, width: 2.0 } }
}

/// The legend entries telling the models apart by line style.
fn style_entries(has_theta: bool) -> Vec<Entry> {
    let grey = RGBColor(70, 70, 70);
    let mut e = vec![
        Entry { text: "network".into(), swatch: Swatch::Line { color: grey, width: 2.0, dashed: false } },
        Entry {
            text: "linearization".into(),
            swatch: Swatch::Line { color: grey, width: 2.0, dashed: true },
        },
    ];
    if has_theta {
        e.push(Entry { text: "analytic Θ".into(), swatch: Swatch::Dotted { color: grey, width: 2.0 } });
    }
    e
}

/// What the plots write when the run stopped early: the step and which model.
pub fn divergence_note(run: &SingleRun) -> Option<String> {
    run.diverged.map(|d| {
        let who = match d.model {
            SingleModel::Network => "the network",
            SingleModel::Linearization => "the linearization",
            SingleModel::Analytic => "the analytic-Θ dynamics",
            SingleModel::Quadratic => "the quadratic model",
        };
        format!("{who} diverged at k = {} (η too large): curves end there", d.step)
    })
}

/// Figure 3's first pane: the outputs of the followed points against time.
pub fn outputs_panel(run: &SingleRun, lr: f64, steps: u64, now: Option<f64>) -> SeriesPanel {
    let pts = run
        .spec
        .as_ref()
        .map_or_else(Vec::new, |s| followed(&s.data.x_train, &s.data.y_train, &s.data.x_test));
    let has_theta = run.checkpoints.iter().any(|c| c.theta.is_some());
    let quad = has_quad(run);
    let mut lines = Vec::new();
    let mut legend: Vec<Entry> = Vec::new();
    for (i, f) in pts.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        lines.push(Line {
            color,
            dash: Dash::Solid,
            width: 2.0,
            points: curve(&run.checkpoints, lr, |c| Some(output(&c.nn, f))),
        });
        lines.push(Line {
            color,
            dash: Dash::Dashed,
            width: 1.6,
            points: curve(&run.checkpoints, lr, |c| Some(output(&c.lin, f))),
        });
        if has_theta {
            lines.push(Line {
                color,
                dash: Dash::Dotted,
                width: 1.6,
                points: curve(&run.checkpoints, lr, |c| c.theta.as_ref().map(|t| output(t, f))),
            });
        }
        if quad {
            lines.push(Line {
                color,
                dash: Dash::Long,
                width: 1.4,
                points: curve(&run.checkpoints, lr, |c| c.quad.as_ref().map(|q| output(&q.outputs, f))),
            });
        }
        legend.push(Entry { text: f.label.clone(), swatch: Swatch::Dot(color) });
    }
    legend.extend(style_entries(has_theta));
    if quad {
        legend.push(quad_entry("quadratic model".into(), RGBColor(70, 70, 70)));
    }
    let y = padded_range(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)));
    let desc =
        if run.spec.as_ref().is_some_and(|s| s.loss == Loss::Xent) { "logit f(x)" } else { "output f(x)" };
    SeriesPanel {
        x: time_axis(lr, steps),
        y: Axis::linear(y.0, y.1, desc),
        lines,
        legend,
        marker: now,
        note: divergence_note(run),
    }
}

/// Figure 3's second pane: the change of individual weights, w_k − w₀, network and
/// linearization (at most 12: all of them, or without the biases for deep networks).
pub fn weights_panel(run: &SingleRun, lr: f64, steps: u64, now: Option<f64>) -> SeriesPanel {
    let weights = run.start.as_ref().map_or(&[][..], |s| &s.weights[..]);
    let shown: Vec<usize> = if weights.len() <= 12 {
        (0..weights.len()).collect()
    } else {
        (0..weights.len()).filter(|&i| weights[i].kind == WeightKind::W).take(12).collect()
    };
    let w0 = run.checkpoints.first();
    let mut lines = Vec::new();
    let mut legend = Vec::new();
    for (k, &i) in shown.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let Some(w0) = w0 else { break };
        let base = w0.weights_nn[i];
        lines.push(Line {
            color,
            dash: Dash::Solid,
            width: 1.8,
            points: curve(&run.checkpoints, lr, |c| Some(c.weights_nn[i] - base)),
        });
        lines.push(Line {
            color,
            dash: Dash::Dashed,
            width: 1.4,
            points: curve(&run.checkpoints, lr, |c| Some(c.weights_lin[i] - base)),
        });
        let w = &weights[i];
        let name = match w.kind {
            WeightKind::W => format!("W{}[{},{}]", w.layer + 1, w.row, w.col),
            WeightKind::B => format!("b{}[{}]", w.layer + 1, w.row),
        };
        legend.push(Entry { text: name, swatch: Swatch::Dot(color) });
    }
    legend.extend(style_entries(false));
    let y = padded_range(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).chain([0.0]));
    SeriesPanel {
        x: time_axis(lr, steps),
        y: Axis::linear(y.0, y.1, "w_k − w₀"),
        lines,
        legend,
        marker: now,
        note: divergence_note(run),
    }
}

/// Lines of a [`Trio`] quantity in the models' colours (network black solid, linearization
/// grey dashed, analytic Θ blue dotted), `width` wide.
fn trio_lines(
    ckpts: &[SingleCheckpoint],
    lr: f64,
    width: f64,
    pick: impl Fn(&SingleCheckpoint) -> Option<Trio>,
) -> Vec<Line> {
    let mut lines = vec![
        Line {
            color: NET_COLOR,
            dash: Dash::Solid,
            width,
            points: curve(ckpts, lr, |c| pick(c).map(|t| t.nn)),
        },
        Line {
            color: LIN_COLOR,
            dash: Dash::Dashed,
            width,
            points: curve(ckpts, lr, |c| pick(c).map(|t| t.lin)),
        },
    ];
    let theta = curve(ckpts, lr, |c| pick(c).and_then(|t| t.theta));
    if !theta.is_empty() {
        lines.push(Line { color: NTK_COLOR, dash: Dash::Dotted, width, points: theta });
    }
    lines
}

fn model_entries(has_theta: bool, what: &str) -> Vec<Entry> {
    let mut e = vec![
        Entry {
            text: format!("network {what}"),
            swatch: Swatch::Line { color: NET_COLOR, width: 2.0, dashed: false },
        },
        Entry {
            text: format!("linearization {what}"),
            swatch: Swatch::Line { color: LIN_COLOR, width: 2.0, dashed: true },
        },
    ];
    if has_theta {
        e.push(Entry {
            text: format!("analytic Θ {what}"),
            swatch: Swatch::Dotted { color: NTK_COLOR, width: 2.0 },
        });
    }
    e
}

/// Figure 3's third pane: train (thick) and test (thin) losses of the three models.
pub fn loss_panel(run: &SingleRun, lr: f64, steps: u64, now: Option<f64>) -> SeriesPanel {
    let ck = &run.checkpoints;
    let mut lines = trio_lines(ck, lr, 2.2, |c| Some(c.train_loss));
    lines.extend(trio_lines(ck, lr, 1.0, |c| c.test_loss));
    let has_theta = ck.iter().any(|c| c.train_loss.theta.is_some());
    let mut legend = model_entries(has_theta, "");
    if has_quad(run) {
        for (width, pick) in [
            (2.2, (|q: &QuadraticCheckpoint| Some(q.train_loss)) as fn(&QuadraticCheckpoint) -> Option<f64>),
            (1.0, |q| q.test_loss),
        ] {
            lines.push(Line {
                color: QUAD_COLOR,
                dash: Dash::Long,
                width,
                points: curve(ck, lr, |c| c.quad.as_ref().and_then(pick)),
            });
        }
        legend.push(quad_entry("quadratic model".into(), QUAD_COLOR));
    }
    legend.push(Entry {
        text: "thick: train, thin: test".into(),
        swatch: Swatch::Line { color: RGBColor(150, 150, 150), width: 1.0, dashed: false },
    });
    let y = log_range(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)));
    let desc = if run.spec.as_ref().is_some_and(|s| s.loss == Loss::Xent) {
        "cross-entropy"
    } else {
        "loss ½·mean (f − y)²"
    };
    SeriesPanel {
        x: time_axis(lr, steps),
        y: Axis::log(y.0, y.1, desc),
        lines,
        legend,
        marker: now,
        note: divergence_note(run),
    }
}

/// Accuracies (classification sets): train (thick) and test (thin).
pub fn accuracy_panel(run: &SingleRun, lr: f64, steps: u64, now: Option<f64>) -> SeriesPanel {
    let ck = &run.checkpoints;
    let mut lines = trio_lines(ck, lr, 2.2, |c| c.train_accuracy);
    lines.extend(trio_lines(ck, lr, 1.0, |c| c.test_accuracy));
    let has_theta = ck.iter().any(|c| c.train_accuracy.is_some_and(|t| t.theta.is_some()));
    let any = lines.iter().any(|l| !l.points.is_empty());
    let note = if any || ck.is_empty() {
        divergence_note(run)
    } else {
        Some("accuracy: for the classification sets (±1 labels)".to_string())
    };
    SeriesPanel {
        x: time_axis(lr, steps),
        y: Axis::linear(0.0, 1.05, "accuracy (f·y > 0)"),
        lines,
        legend: model_entries(has_theta, ""),
        marker: now,
        note,
    }
}

/// Figure 3's last pane: the test RMSE between the network and its linearization (and the
/// analytic-Θ dynamics), with the compare-widths runs' network–linearization RMSE (Figure S4).
pub fn rmse_panel(run: &SingleRun, compare: &Compare, lr: f64, steps: u64, now: Option<f64>) -> SeriesPanel {
    let ck = &run.checkpoints;
    let width = run.spec.as_ref().map_or(0, |s| s.width);
    let mut lines = vec![Line {
        color: NET_COLOR,
        dash: Dash::Solid,
        width: 2.2,
        points: curve(ck, lr, |c| Some(c.rmse_nn_lin)),
    }];
    let mut legend = vec![Entry {
        text: format!("network − linearization (n = {width})"),
        swatch: Swatch::Line { color: NET_COLOR, width: 2.0, dashed: false },
    }];
    let theta = curve(ck, lr, |c| c.rmse_nn_theta);
    if !theta.is_empty() {
        lines.push(Line { color: NTK_COLOR, dash: Dash::Dotted, width: 2.0, points: theta });
        legend.push(Entry {
            text: "network − analytic Θ".into(),
            swatch: Swatch::Dotted { color: NTK_COLOR, width: 2.0 },
        });
    }
    if has_quad(run) {
        lines.push(Line {
            color: QUAD_COLOR,
            dash: Dash::Long,
            width: 2.0,
            points: curve(ck, lr, |c| c.quad.as_ref().map(|q| q.rmse_nn_quad)),
        });
        legend.push(quad_entry("network − quadratic model".into(), QUAD_COLOR));
    }
    let same =
        compare.key.as_ref().is_some_and(|k| run.key.as_ref().is_some_and(|r| r.run_key() == k.run_key()));
    if same {
        for (i, (w, r)) in compare.widths.iter().zip(&compare.runs).enumerate() {
            let color = WIDTH_COLORS[i % WIDTH_COLORS.len()];
            lines.push(Line {
                color,
                dash: Dash::Dashed,
                width: 1.6,
                points: curve(&r.checkpoints, lr, |c| Some(c.rmse_nn_lin)),
            });
            legend.push(Entry {
                text: format!("n = {w} (compare)"),
                swatch: Swatch::Line { color, width: 1.6, dashed: true },
            });
        }
    }
    let y = log_range(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)));
    SeriesPanel {
        x: time_axis(lr, steps),
        y: Axis::log(y.0, y.1, "test RMSE"),
        lines,
        legend,
        marker: now,
        note: divergence_note(run),
    }
}

/// The 2-D sets' heatmaps at checkpoint `c`: target, network, linearization and (NTK
/// parameterization) the analytic-Θ dynamics, on the test grid; over the network's, a few
/// first-layer units' decision lines at the start (dashed) and at `c` (solid).
pub fn heatmaps(run: &SingleRun, c: Option<&SingleCheckpoint>) -> Option<Heatmaps> {
    let spec = run.spec.as_ref()?;
    if spec.input_dim() != 2 || spec.data.x_test.len() != GRID_SIDE * GRID_SIDE {
        return None;
    }
    let at = |what: &str, o: Option<&Outputs>| HeatPanel {
        title: what.to_string(),
        values: o.map(|o| o.test.clone()),
    };
    let mut panels = vec![
        HeatPanel { title: "target".into(), values: spec.data.y_test.clone() },
        at("network", c.map(|c| &c.nn)),
        at("linearization", c.map(|c| &c.lin)),
    ];
    if spec.has_analytic() {
        panels.push(at("analytic Θ", c.and_then(|c| c.theta.as_ref())));
    }
    if spec.quadratic {
        panels.push(at("quadratic model", c.and_then(|c| c.quad.as_ref().map(|q| &q.outputs))));
    }
    let first = &spec.data.x_test[0];
    let last = &spec.data.x_test[spec.data.x_test.len() - 1];
    Some(Heatmaps {
        side: GRID_SIDE,
        ranges: [(first[0], last[0]), (first[1], last[1])],
        panels,
        train: spec.data.x_train.iter().zip(&spec.data.y_train).map(|(x, &y)| (x[0], x[1], y)).collect(),
        segment: None,
        features: feature_lines(run, c),
    })
}

/// The network's first-layer decision lines over its heatmap (panel 1): at step 0 and at
/// checkpoint `c` (none before the first checkpoint, or for inputs that are not 2-D).
fn feature_lines(run: &SingleRun, c: Option<&SingleCheckpoint>) -> Option<FeatureLines> {
    let first = run.checkpoints.first()?;
    let start = first.features.clone()?;
    let now = c.filter(|c| c.step > first.step).and_then(|c| c.features.clone()).unwrap_or_default();
    Some(FeatureLines { panel: 1, start, now })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn followed_points_spread_over_the_set() {
        let x: Vec<Vec<f64>> = (0..16).map(|i| vec![i as f64]).collect();
        let y = vec![0.0; 16];
        let t: Vec<Vec<f64>> = (0..101).map(|i| vec![i as f64]).collect();
        let f = followed(&x, &y, &t);
        let idx: Vec<(bool, usize)> = f.iter().map(|p| (p.train, p.index)).collect();
        assert_eq!(idx, vec![(true, 0), (true, 5), (true, 10), (true, 15), (false, 25), (false, 75)]);
        let two = followed(&x[..2], &y[..2], &t);
        assert_eq!(two.iter().filter(|p| p.train).count(), 2);
    }

    #[test]
    fn ranges_pad_and_skip_what_a_log_axis_cannot_show() {
        assert_eq!(padded_range([1.0, 3.0].into_iter()), (1.0 - 0.16, 3.0 + 0.16));
        assert_eq!(padded_range(std::iter::empty()), (-1.0, 1.0));
        assert_eq!(log_range([0.0, -1.0, 0.5, 2.0, f64::NAN].into_iter()), (0.25, 4.0));
        assert_eq!(log_range([1e-30, 1.0].into_iter()), (0.5e-12, 2.0));
    }
}
