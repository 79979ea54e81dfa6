//! From lazy to rich: one width, trained at every output scale α of a grid (Chizat's α,
//! docs/MATH.md "Chizat's output scale α"), with the width sweep's training metrics at each α
//! and their fitted log-log slopes against α.
//!
//! | metric | lazy theory (α → ∞) |
//! |---|---|
//! | (a) `sup_k RMSE(g_k, g_k^lin)` | `∝ 1/α` (slope −1): `g − g_lin = α (f − f_lin) = O(1/α)` |
//! | (b) `‖W_K^l − W_0^l‖_F/‖W_0^l‖_F` per layer | `∝ 1/α`: the parameters move `O(1/α)` |
//! | (c) `‖Θ̂_K − Θ̂_0‖_F/‖Θ̂_0‖_F` | `∝ 1/α`: first order in the parameters' move |
//!
//! Small α is the rich regime: the weights must move `O(1/α)` to fit O(1) targets, the kernel
//! changes O(1), and the slopes flatten. Each α is a point of the width sweep's machinery
//! ([`run_width`] with the spec's `alpha` set), so the metrics mean exactly what they mean
//! there.

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use crate::nets::output_scale::{AlphaError, OutputScale};
use crate::stats::{fit_slope, PowerLawFit};

use super::widths::{run_width, SweepAxis, SweepProgress, WidthError, WidthPoint, WidthSweepSpec};

/// Most output scales in one sweep.
pub const MAX_ALPHAS: usize = 32;

/// An invalid laziness sweep, or a run that could not finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LazinessError {
    /// Not exactly one width.
    #[error("a laziness sweep trains one width, got {0} widths")]
    Widths(usize),
    /// A second axis was given.
    #[error("a laziness sweep has no second axis (α is its axis)")]
    Axis,
    /// The sweep has an α of its own.
    #[error("a laziness sweep's α values are its grid: leave the sweep's own alpha unset")]
    OwnAlpha,
    /// Too few or too many output scales.
    #[error("give 2 to {MAX_ALPHAS} output scales α, got {0}")]
    AlphaCount(usize),
    /// An α out of range.
    #[error(transparent)]
    Alpha(#[from] AlphaError),
    /// The α grid does not increase.
    #[error("the output scales α must be strictly increasing: entry {index} is {value}, after {previous}")]
    NotIncreasing {
        /// position of the offending entry
        index: usize,
        /// its value
        value: f64,
        /// the entry before it
        previous: f64,
    },
    /// The width sweep's own check or run failed (including cancellation).
    #[error(transparent)]
    Sweep(#[from] WidthError),
}

/// A laziness sweep: the width sweep's setting at its one width (`sweep.widths == [n]`, no
/// second axis, no α of its own), trained at every α of `alphas`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LazinessSpec {
    /// architecture, data, learning rate, steps, seeds and the one width
    pub sweep: WidthSweepSpec,
    /// output scales α, strictly increasing, each within [`crate::nets::output_scale::ALPHA_RANGE`]
    pub alphas: Vec<f64>,
}

/// One α: the width sweep's metrics of the networks trained as `g = α (f − f₀)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LazinessPoint {
    /// the output scale α
    pub alpha: f64,
    /// (a)–(d) at this α (mean and spread over seeds)
    pub point: WidthPoint,
}

/// Fitted slopes of the seed means against α (log-log), `None` with fewer than 2 usable points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LazinessSlopes {
    /// (a) network–linearization distance (lazy theory −1)
    pub rmse_nn_lin_sup: Option<PowerLawFit>,
    /// (b) per layer, input first (lazy theory −1)
    pub weight_change: Vec<Option<PowerLawFit>>,
    /// (c) relative kernel change (lazy theory −1)
    pub ntk_change: Option<PowerLawFit>,
}

/// The sweep's result: one point per α (increasing) and the fitted slopes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LazinessResult {
    /// per α, in the spec's order
    pub points: Vec<LazinessPoint>,
    /// slopes against α over all points
    pub slopes: LazinessSlopes,
}

impl LazinessSpec {
    /// Checks the α grid and that the sweep is one width without an axis or an α of its own.
    ///
    /// # Errors
    /// [`LazinessError`] naming what is wrong; the sweep's own checks as
    /// [`WidthSweepSpec::validate`].
    pub fn validate(&self) -> Result<(), LazinessError> {
        if self.sweep.widths.len() != 1 {
            return Err(LazinessError::Widths(self.sweep.widths.len()));
        }
        if self.sweep.axis != SweepAxis::None {
            return Err(LazinessError::Axis);
        }
        if self.sweep.alpha.is_some() {
            return Err(LazinessError::OwnAlpha);
        }
        if self.alphas.len() < 2 || self.alphas.len() > MAX_ALPHAS {
            return Err(LazinessError::AlphaCount(self.alphas.len()));
        }
        for &a in &self.alphas {
            OutputScale::new(a)?;
        }
        if let Some(i) = (1..self.alphas.len()).find(|&i| self.alphas[i] <= self.alphas[i - 1]) {
            return Err(LazinessError::NotIncreasing {
                index: i,
                value: self.alphas[i],
                previous: self.alphas[i - 1],
            });
        }
        Ok(self.sweep.validate()?)
    }
}

/// Trains the width at every α (all seeds), in the spec's order, and fits the slopes.
/// `progress` sees the current α's index and the width sweep's progress of that α;
/// `ControlFlow::Break(())` cancels.
///
/// # Errors
/// As [`LazinessSpec::validate`] and [`run_width`] (including [`WidthError::Cancelled`]).
pub fn run_laziness<F>(spec: &LazinessSpec, mut progress: F) -> Result<LazinessResult, LazinessError>
where
    F: FnMut(usize, &SweepProgress) -> ControlFlow<()>,
{
    spec.validate()?;
    let width = spec.sweep.widths[0];
    let mut points = Vec::with_capacity(spec.alphas.len());
    for (i, &alpha) in spec.alphas.iter().enumerate() {
        let at = WidthSweepSpec { alpha: Some(alpha), ..spec.sweep.clone() };
        let point = run_width(&at, width, None, |p| progress(i, p))?;
        points.push(LazinessPoint { alpha, point });
    }
    Ok(LazinessResult::assemble(points))
}

impl LazinessResult {
    /// The result of finished points (in any order, e.g. as workers return them): sorted by α,
    /// with the slopes of (a)–(c) against α fitted over them (what [`run_laziness`] returns
    /// when the points are all of the spec's α values).
    pub fn assemble(mut points: Vec<LazinessPoint>) -> LazinessResult {
        points.sort_by(|a, b| a.alpha.total_cmp(&b.alpha));
        let slopes = slopes(&points);
        LazinessResult { points, slopes }
    }
}

/// The log-log slopes of the seed means of (a)–(c) against α.
fn slopes(points: &[LazinessPoint]) -> LazinessSlopes {
    let fit = |f: &dyn Fn(&WidthPoint) -> Option<f64>| {
        let (xs, ys): (Vec<f64>, Vec<f64>) =
            points.iter().filter_map(|p| f(&p.point).map(|y| (p.alpha, y))).unzip();
        fit_slope(&xs, &ys).ok()
    };
    let layers = points.iter().map(|p| p.point.weight_change.len()).max().unwrap_or(0);
    LazinessSlopes {
        rmse_nn_lin_sup: fit(&|p| p.rmse_nn_lin_sup.as_ref().map(|s| s.mean)),
        weight_change: (0..layers).map(|l| fit(&|p| p.weight_change.get(l).map(|s| s.mean))).collect(),
        ntk_change: fit(&|p| p.ntk_change.as_ref().map(|s| s.mean)),
    }
}
