//! From the explorer's results to what its plots draw, as pure functions (tested on hand-made
//! inputs): the main plot's bands and curves at one step, the 2-D heatmaps, and the loss
//! curves of the four models.

use ntk_core::datasets::{GRID_SIDE, X_RANGE};
use ntk_core::nets::ensemble::{CheckpointSummary, EnsembleSummary};

use ntk_core::theory::gp::TrainingTime;
use ntk_core::theory::spectrum::{KernelSpectrum, TrainSpectra};
use plotters::style::RGBColor;

use crate::plot::function_plot::{FunctionPlot, NNGP_COLOR, NTK_COLOR};
use crate::plot::heatmap::{Heatmaps, Panel};
use crate::plot::legend::{Entry, Swatch};
use crate::plot::loss_plot::{Curve, Model};
use crate::plot::panel::Axis;
use crate::plot::series_plot::{Dash, Line, SeriesPanel};
use crate::plot::Band;
use crate::problem::{Layout, Problem};
use crate::services::theory::{Theory, TheoryAt};

/// The ensemble at one checkpoint: the statistics of all its members, and the first members
/// alone (member index, their outputs on the test points) for the individual curves.
pub struct EnsembleAt<'a> {
    /// merged statistics at the checkpoint
    pub checkpoint: &'a CheckpointSummary,
    /// individual members' network outputs on the test points
    pub members: Vec<&'a [f64]>,
}

/// The checkpoint of `summary` nearest to `step` (by step).
pub fn nearest_checkpoint(summary: &EnsembleSummary, step: u64) -> Option<usize> {
    summary.checkpoints.iter().enumerate().min_by_key(|(_, c)| c.step.abs_diff(step)).map(|(i, _)| i)
}

/// The main plot at one step: NTK-GP and NNGP bands (mean ± 2σ) from `theory`, the ensemble,
/// its linearization and (when the run has them) its quadratic models `f₀ + J₀δ + ½ δᵀH₀δ`
/// (mean ± 2σ over members) and individual members from `ensemble`, on the
/// problem's line (the 1-D grid, or the segment x(α) of a 2-D set).
pub fn line_plot(
    data: &Problem,
    theory: Option<&TheoryAt>,
    ensemble: Option<&EnsembleAt>,
    caption: String,
    y_range: Option<(f64, f64)>,
) -> FunctionPlot {
    let line = data.line_points();
    let cut = |v: &[f64]| v[line.clone()].to_vec();
    let band = |mean: &[f64], var: &[f64]| Band::from_mean_var(&cut(mean), &cut(var));
    let mut plot = FunctionPlot {
        x: data.line_abscissa(),
        target: data.points.y_test.as_deref().map(cut).unwrap_or_default(),
        train: data.line_train(),
        y_range,
        caption,
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
    if data.layout == Layout::Points {
        plot.caption =
            "the opened run's 2-D test points lie on no line or grid: its losses are in the loss plot"
                .to_string();
        return plot;
    }
    if let Some(at) = theory {
        plot.ntk = Some(band(at.ntk.mean.as_slice(), at.ntk.var.as_slice()));
        plot.nngp = Some(band(at.nngp.mean.as_slice(), at.nngp.var.as_slice()));
    }
    if let Some(e) = ensemble {
        let c = e.checkpoint;
        plot.net = Some(band(&c.nn.mean, &c.nn.var));
        plot.lin = Some(band(&c.lin.mean, &c.lin.var));
        plot.quad = c.quad.as_ref().map(|q| band(&q.outputs.mean, &q.outputs.var));
        plot.members = e.members.iter().map(|m| cut(m)).collect();
    }
    plot
}

/// The heatmaps of a 2-D set (`None` for 1-D sets and for test points on no grid): the target
/// (when the set has one), the NTK-GP and NNGP means and the network ensemble's mean over the
/// input grid, with the training points and the segment.
pub fn heatmaps(
    data: &Problem,
    theory: Option<&TheoryAt>,
    ensemble: Option<&EnsembleAt>,
) -> Option<Heatmaps> {
    let Layout::Plane { alphas, ends } = &data.layout else { return None };
    let side = GRID_SIDE;
    let grid = |v: &[f64]| v[..side * side].to_vec();
    let point = |i: usize| (data.points.x_train[i][0], data.points.x_train[i][1]);
    let bound = |j: usize| data.bounds.get(j).copied().unwrap_or(X_RANGE);
    let target =
        data.points.y_test.as_deref().map(|y| Panel { title: "target".to_string(), values: Some(grid(y)) });
    Some(Heatmaps {
        side,
        ranges: [bound(0), bound(1)],
        panels: target
            .into_iter()
            .chain([
                Panel {
                    title: "NTK-GP mean".to_string(),
                    values: theory.map(|a| grid(a.ntk.mean.as_slice())),
                },
                Panel {
                    title: "NNGP mean".to_string(),
                    values: theory.map(|a| grid(a.nngp.mean.as_slice())),
                },
                Panel {
                    title: "network ensemble mean".to_string(),
                    values: ensemble.map(|e| grid(&e.checkpoint.nn.mean)),
                },
            ])
            .collect(),
        train: data.points.x_train.iter().zip(&data.points.y_train).map(|(x, &y)| (x[0], x[1], y)).collect(),
        segment: (!alphas.is_empty()).then(|| (point(ends.0), point(ends.1))),
        features: None,
    })
}

/// The expected train (and test) losses of the NTK-GP and NNGP against time t = η·k at `steps`
/// (paper Eq. 14–15 through the theory's loss dynamics); `centred` for the output
/// α (f − f₀), which starts at 0 ([`Theory::at_step`]).
pub fn theory_loss_curves(
    theory: &Theory,
    steps: &[u64],
    learning_rate: f64,
    y_test: Option<&[f64]>,
    centred: bool,
) -> Vec<Curve> {
    let losses = theory.losses(steps, learning_rate, y_test, centred);
    let pick =
        |f: &dyn Fn(&(ntk_core::theory::gp::ExpectedLoss, ntk_core::theory::gp::ExpectedLoss)) -> f64| {
            steps.iter().zip(&losses).map(|(&k, l)| (learning_rate * k as f64, f(l))).collect::<Vec<_>>()
        };
    let mut curves = vec![
        Curve::new("NTK-GP train", Model::NtkGp, false, pick(&|l| l.0.train)),
        Curve::new("NNGP train", Model::Nngp, false, pick(&|l| l.1.train)),
    ];
    if y_test.is_some() {
        curves.push(Curve::new("NTK-GP test", Model::NtkGp, true, pick(&|l| l.0.test.unwrap_or(f64::NAN))));
        curves.push(Curve::new("NNGP test", Model::Nngp, true, pick(&|l| l.1.test.unwrap_or(f64::NAN))));
    }
    curves
}

/// The mean losses of the network ensemble, its linearization and (when the run has them) its
/// quadratic models against time at the checkpoints of `ensemble` (none if no member is left);
/// test losses if `has_test`.
pub fn ensemble_loss_curves(ensemble: &EnsembleSummary, has_test: bool) -> Vec<Curve> {
    if ensemble.members == 0 {
        return Vec::new();
    }
    let pts = |f: &dyn Fn(&CheckpointSummary) -> f64| {
        ensemble.checkpoints.iter().map(|c| (c.time, f(c))).collect::<Vec<_>>()
    };
    let mut curves = vec![Curve::new("network train", Model::Network, false, pts(&|c| c.train_loss.nn))];
    if has_test {
        curves.push(Curve::new(
            "network test",
            Model::Network,
            true,
            pts(&|c| c.test_loss.map_or(f64::NAN, |l| l.nn)),
        ));
    }
    curves.push(Curve::new("linearized train", Model::Linearized, false, pts(&|c| c.train_loss.lin)));
    if has_test {
        curves.push(Curve::new(
            "linearized test",
            Model::Linearized,
            true,
            pts(&|c| c.test_loss.map_or(f64::NAN, |l| l.lin)),
        ));
    }
    if ensemble.checkpoints.iter().any(|c| c.quad.is_some()) {
        let quad = |f: &dyn Fn(&ntk_core::nets::ensemble::QuadraticSummary) -> f64| {
            pts(&|c: &CheckpointSummary| c.quad.as_ref().map_or(f64::NAN, f))
        };
        curves.push(Curve::new("quadratic train", Model::Quadratic, false, quad(&|q| q.train_loss)));
        if has_test {
            curves.push(Curve::new(
                "quadratic test",
                Model::Quadratic,
                true,
                quad(&|q| q.test_loss.unwrap_or(f64::NAN)),
            ));
        }
    }
    curves
}

/// The spectrum panel: against the mode index i (largest eigenvalue first), the eigenvalues of
/// Θ(X, X) and K(X, X), the targets' projections |vᵢᵀY| on Θ's modes, and the residual left in
/// each mode after `step` steps at rate `lr`, |dᵢ(k) ỹᵢ| with dᵢ(k) = (1 − ηλᵢ/N)^k (paper Eq.
/// 14–15 mode by mode; NTK-GP blue, NNGP red).
pub fn spectrum_panel(spectra: &TrainSpectra, step: u64, lr: f64) -> SeriesPanel {
    let time = TrainingTime::Steps { steps: step, learning_rate: lr };
    let idx = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter().enumerate().map(|(i, &y)| ((i + 1) as f64, y.abs())).collect()
    };
    let (ntk_at, nngp_at) = (spectra.ntk.at(time), spectra.nngp.at(time));
    let grey = RGBColor(150, 150, 150);
    let lines = vec![
        Line { color: NTK_COLOR, dash: Dash::Solid, width: 2.2, points: idx(&spectra.ntk.eigenvalues) },
        Line { color: NNGP_COLOR, dash: Dash::Solid, width: 2.2, points: idx(&spectra.nngp.eigenvalues) },
        Line { color: grey, dash: Dash::Solid, width: 1.4, points: idx(&spectra.ntk.target_projection) },
        Line { color: NTK_COLOR, dash: Dash::Dashed, width: 1.6, points: idx(&ntk_at.residual) },
        Line { color: NNGP_COLOR, dash: Dash::Dashed, width: 1.6, points: idx(&nngp_at.residual) },
    ];
    let ys = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).filter(|v| v.is_finite() && *v > 0.0);
    let (lo, hi) = ys.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = if lo.is_finite() && hi > lo { (lo.max(hi * 1e-14) / 2.0, hi * 2.0) } else { (1e-6, 1.0) };
    let n = spectra.ntk.len();
    let entry = |text: &str, color, dashed| Entry {
        text: text.into(),
        swatch: Swatch::Line { color, width: 2.0, dashed },
    };
    SeriesPanel {
        x: Axis::linear(0.5, n as f64 + 0.5, "mode i (largest eigenvalue first)"),
        y: Axis::log(lo, hi, "eigenvalue, |projection|, |residual|"),
        lines,
        legend: vec![
            entry("λᵢ of Θ (NTK)", NTK_COLOR, false),
            entry("λᵢ of K (NNGP)", NNGP_COLOR, false),
            entry("|vᵢᵀY| target on Θ's modes", grey, false),
            entry("residual left at the time shown (Θ)", NTK_COLOR, true),
            entry("… (K)", NNGP_COLOR, true),
        ],
        marker: None,
        note: None,
    }
}

/// The conditioning of the train kernels in words: condition numbers and any jitter added.
pub fn spectrum_badge(spectra: &TrainSpectra) -> String {
    let cond = |s: &KernelSpectrum| {
        s.condition_number.map_or("∞ (numerically singular)".to_string(), |c| format!("{c:.3e}"))
    };
    let mut out = format!("cond Θ(X, X) = {}, cond K(X, X) = {}", cond(&spectra.ntk), cond(&spectra.nngp));
    for (name, s) in [("Θ", &spectra.ntk), ("K", &spectra.nngp)] {
        if s.jitter > 0.0 {
            out.push_str(&format!("; jitter {:.1e} added to {name}", s.jitter));
        }
    }
    out
}

/// Largest |mean| a band may reach and still be drawn: past it the model has diverged and its
/// band would only be a cut-off wall at the plot's edge.
pub const DIVERGED_BAND: f64 = 1e3;

/// Leaves out the theory bands whose mean left [−[`DIVERGED_BAND`], [`DIVERGED_BAND`]] (η past
/// that kernel's η_max: (1 − ηλ/N)^k grows without bound); returns the names of those removed.
pub fn drop_diverged_bands(plot: &mut FunctionPlot) -> Vec<&'static str> {
    let diverged = |b: &Option<Band>| {
        b.as_ref().is_some_and(|b| b.mean.iter().any(|m| !m.is_finite() || m.abs() > DIVERGED_BAND))
    };
    let mut out = Vec::new();
    if diverged(&plot.ntk) {
        plot.ntk = None;
        out.push("NTK-GP");
    }
    if diverged(&plot.nngp) {
        plot.nngp = None;
        out.push("NNGP");
    }
    out
}

/// What the main plot says about divergence, one line each: the theory bands left out (η at or
/// past η_max), and the networks that diverged, with the step of the first.
pub fn divergence_note(
    dropped: &[&str],
    lr: f64,
    eta_max: Option<f64>,
    summary: Option<&EnsembleSummary>,
    members: usize,
) -> Option<String> {
    let mut lines = Vec::new();
    if !dropped.is_empty() {
        let max = eta_max.map_or(String::new(), |m| format!(" ≥ η_max = {}", crate::format::tidy(m)));
        lines.push(format!("{} diverged: η = {}{max}", dropped.join(" and "), crate::format::tidy(lr)));
    }
    if let Some(s) = summary.filter(|s| s.diverged > 0) {
        let first = s.diverged_steps.iter().min().copied().unwrap_or(0);
        let who = if s.diverged >= members {
            format!("all {members} networks")
        } else {
            format!("{} of {members} networks", s.diverged)
        };
        lines.push(format!("{who} diverged (first at k = {first})"));
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}
