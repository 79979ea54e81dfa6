//! Large-learning-rate dynamics: the catapult (Lewkowycz et al. 2020; lecture `002_…`,
//! "Dynamics at large learning rates"; docs/MATH.md "Learning-rate thresholds and the catapult").
//!
//! For the one-hidden-layer linear network `f = vᵀu x/√n` trained by gradient descent on one
//! sample (x = 1, y = 0, loss `f²/2`), with `λ = (|u|² + |v|²)/n` (its NTK, `Θ = |∂f/∂θ|²`),
//! the dynamics close on the two scalars (f, λ):
//!
//! ```text
//! f_{t+1} = (1 − ηλ_t + η² f_t²/n) f_t
//! λ_{t+1} = λ_t + (η f_t²/n)(η λ_t − 4)
//! ```
//!
//! (derivation: `u' = u − ηf v/√n`, `v' = v − ηf u/√n`, so `v'ᵀu' = vᵀu(1 + η²f²/n) − ηf(|u|² +
//! |v|²)/√n` and `|u'|² + |v'|² = (|u|² + |v|²)(1 + η²f²/n) − 4ηf vᵀu/√n`).
//!
//! Three phases by `ηλ₀`: lazy (≤ 2: the linear model converges, λ barely moves), catapult
//! (2 … 4: the loss first grows for ~log n steps, λ falls below 2/η, then the loss converges),
//! divergent (> 4: λ only grows). This module holds the map, the phase rules and the
//! phase-diagram sweep; [`crate::experiments::catapult_network`] trains a real network at the same η.

use serde::{Deserialize, Serialize};

use crate::arch::ArchError;
use crate::nets::mlp::{MlpError, MAX_WIDTH};

/// Largest number of steps accepted (for the map and the network).
pub const MAX_STEPS: u64 = 1_000_000;

/// The catapult's name for [`OUTPUT_FACTOR`](crate::divergence::OUTPUT_FACTOR): a run has
/// diverged once `|f|` exceeds it times its scale, or once any value is non-finite.
pub use crate::divergence::OUTPUT_FACTOR as DIVERGENCE_FACTOR;

/// Relative margin by which the loss must rise above its initial value for a run to count as
/// a catapult: `maxₜ Lₜ > (1 + margin)·L₀`. A catapult's loss grows by orders of magnitude
/// (up to ~n·L₀), while in the lazy phase it decreases monotonically, so 10⁻³ only guards
/// against rounding.
pub const CATAPULT_LOSS_MARGIN: f64 = 1e-3;

/// Largest |f₀| accepted by the map, so that `f₀²/2` and the divergence bound stay finite.
pub const MAX_ABS_F0: f64 = 1e100;

/// Most points of a phase-diagram sweep.
pub const MAX_GRID_POINTS: usize = 10_000;

/// The three regimes of gradient descent at learning rate η (docs/MATH.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// `ηλ₀ ≤ 2`: the kernel stays put and the loss decreases monotonically (linear model).
    Lazy,
    /// `2 < ηλ₀ < 4`: the loss grows, λ drops below 2/η, then the loss converges.
    Catapult,
    /// `ηλ₀ ≥ 4`: λ and the loss grow without bound.
    Divergent,
}

impl Phase {
    /// The phase predicted from `ηλ₀` alone (docs/MATH.md): lazy for `ηλ₀ ≤ 2`, catapult for
    /// `2 < ηλ₀ < 4`, divergent for `ηλ₀ ≥ 4` (or not a number). Above ηλ = 2 the linear model
    /// stops converging (`|1 − ηλ| > 1`); at exactly 2 the map's factor `|−1 + η²f²/n|` is
    /// still below 1, so the loss does not rise. From ηλ = 4 on the map's λ no longer falls
    /// (`λ_{t+1} − λ_t ∝ ηλ_t − 4`) and the loss never converges.
    pub fn predicted(eta_lambda0: f64) -> Phase {
        if eta_lambda0 <= 2.0 {
            Phase::Lazy
        } else if eta_lambda0 < 4.0 {
            Phase::Catapult
        } else {
            Phase::Divergent
        }
    }

    /// The phase observed in a trajectory, by this rule:
    /// 1. `Divergent` if the run diverged (see [`DIVERGENCE_FACTOR`]);
    /// 2. otherwise, if the loss rose, `maxₜ Lₜ > (1 + `[`CATAPULT_LOSS_MARGIN`]`)·L₀`:
    ///    `Divergent` if the final `ηλ_T ≥ 4` (λ no longer falls: the loss would keep growing),
    ///    else `Catapult` — whether λ already ended below 2/η (resolved catapult) or is still
    ///    falling between 2/η and 4/η (a catapult not finished within the steps);
    /// 3. otherwise `Lazy`.
    pub fn observed(loss: &[f64], final_eta_lambda: f64, diverged: bool) -> Phase {
        if diverged {
            return Phase::Divergent;
        }
        let l0 = loss.first().copied().unwrap_or(0.0);
        let rose = loss.iter().any(|&l| l > (1.0 + CATAPULT_LOSS_MARGIN) * l0);
        if !rose {
            Phase::Lazy
        } else if final_eta_lambda >= 4.0 {
            Phase::Divergent
        } else {
            Phase::Catapult
        }
    }

    /// Its name in JSON, the CLI and the UI.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Lazy => "lazy",
            Phase::Catapult => "catapult",
            Phase::Divergent => "divergent",
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An invalid catapult run (map, sweep or network), with the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CatapultError {
    /// η not finite or not positive.
    #[error("learning rate η must be a finite number > 0, got {0}")]
    LearningRate(f64),
    /// A target ηλ₀ not finite or not positive.
    #[error("ηλ₀ must be a finite number > 0, got {0}")]
    EtaLambda0(f64),
    /// Map width n not finite or below 1.
    #[error("width n must be a finite number ≥ 1, got {0}")]
    Width(f64),
    /// Network width 0 or above [`MAX_WIDTH`].
    #[error("width must be between 1 and {MAX_WIDTH}, got {0}")]
    NetworkWidth(usize),
    /// Steps 0 or above [`MAX_STEPS`].
    #[error("steps must be between 1 and {MAX_STEPS}, got {0}")]
    Steps(u64),
    /// λ₀ not finite or not positive.
    #[error("λ₀ (lambda0) must be a finite number > 0, got {0}")]
    Lambda0(f64),
    /// f₀ not finite or too large.
    #[error("f₀ (f0) must be a finite number with |f₀| ≤ {MAX_ABS_F0:e}, got {0}")]
    F0(f64),
    /// (f₀, λ₀) that no (u, v) realizes: `|vᵀu| ≤ (|u|² + |v|²)/2` forces `|f₀| ≤ λ₀√n/2`.
    #[error("f₀ = {f0} is unreachable with λ₀ = {lambda0} at width {width}: |f₀| ≤ λ₀√n/2 = {max} (since |vᵀu| ≤ (|u|²+|v|²)/2); raise λ₀ or the width")]
    Unrealizable {
        /// f₀
        f0: f64,
        /// λ₀
        lambda0: f64,
        /// n
        width: f64,
        /// λ₀√n/2
        max: f64,
    },
    /// A bad phase-diagram grid.
    #[error("grid: {0}")]
    Grid(String),
    /// Bad training data (shape, count, non-finite values).
    #[error("data: {0}")]
    Data(String),
    /// σ_w², σ_b² or the activation are invalid.
    #[error(transparent)]
    Arch(#[from] ArchError),
    /// The network could not be built or trained.
    #[error(transparent)]
    Mlp(#[from] MlpError),
    /// λ₀ = 0 for the network, so η cannot be set from a target ηλ₀.
    #[error("the network's kernel vanishes at initialisation (λ₀ = {0}), so η cannot be set from ηλ₀; use another seed, data or σ_b² > 0")]
    DegenerateKernel(f64),
    /// The network is not finite at initialisation (inputs or targets too large).
    #[error("the network's outputs, loss or kernel are not finite at initialisation; use smaller inputs or targets")]
    NotFiniteAtInit,
    /// The symmetric eigen-solver did not converge.
    #[error("the eigenvalue solver did not converge on Θ̂ at step {0}")]
    Eigen(u64),
    /// Ensemble size 0 or too large.
    #[error("members must be between 1 and {max}, got {got}")]
    Members {
        /// requested
        got: usize,
        /// accepted maximum
        max: usize,
    },
    /// The progress callback asked to stop.
    #[error("cancelled")]
    Cancelled,
}

/// Checks η > 0 finite.
pub(crate) fn check_eta(eta: f64) -> Result<(), CatapultError> {
    if eta.is_finite() && eta > 0.0 {
        Ok(())
    } else {
        Err(CatapultError::LearningRate(eta))
    }
}

/// Checks 1 ≤ steps ≤ [`MAX_STEPS`].
pub(crate) fn check_steps(steps: u64) -> Result<(), CatapultError> {
    if (1..=MAX_STEPS).contains(&steps) {
        Ok(())
    } else {
        Err(CatapultError::Steps(steps))
    }
}

/// Checks a target ηλ₀ > 0 finite.
pub(crate) fn check_eta_lambda0(target: f64) -> Result<(), CatapultError> {
    if target.is_finite() && target > 0.0 {
        Ok(())
    } else {
        Err(CatapultError::EtaLambda0(target))
    }
}

/// One run of the two-scalar map (lecture 002, "Dynamics at large learning rates").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TwoScalarSpec {
    /// learning rate η > 0
    pub eta: f64,
    /// width n ≥ 1 (a real number: the map only involves f²/n)
    pub width: f64,
    /// initial kernel λ₀ = (|u₀|² + |v₀|²)/n > 0
    pub lambda0: f64,
    /// initial output f₀ = v₀ᵀu₀/√n, with |f₀| ≤ λ₀√n/2
    pub f0: f64,
    /// number of gradient-descent steps, 1 ≤ steps ≤ [`MAX_STEPS`]
    pub steps: u64,
}

impl TwoScalarSpec {
    /// The spec with `η = target/λ₀`.
    ///
    /// # Errors
    /// [`CatapultError::EtaLambda0`] for a target ≤ 0 or non-finite, [`CatapultError::Lambda0`].
    pub fn with_eta_lambda0(mut self, target: f64) -> Result<Self, CatapultError> {
        check_eta_lambda0(target)?;
        check_lambda0(self.lambda0)?;
        self.eta = target / self.lambda0;
        Ok(self)
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`CatapultError`]: η ≤ 0, n < 1, λ₀ ≤ 0, |f₀| > [`MAX_ABS_F0`], any non-finite value,
    /// steps 0 or above [`MAX_STEPS`], or `|f₀| > λ₀√n/2` (no (u, v) has these f₀ and λ₀).
    pub fn validate(&self) -> Result<(), CatapultError> {
        check_eta(self.eta)?;
        if !(self.width.is_finite() && self.width >= 1.0) {
            return Err(CatapultError::Width(self.width));
        }
        check_lambda0(self.lambda0)?;
        if !(self.f0.is_finite() && self.f0.abs() <= MAX_ABS_F0) {
            return Err(CatapultError::F0(self.f0));
        }
        check_steps(self.steps)?;
        let max = self.lambda0 * self.width.sqrt() / 2.0;
        if self.f0.abs() > max {
            return Err(CatapultError::Unrealizable {
                f0: self.f0,
                lambda0: self.lambda0,
                width: self.width,
                max,
            });
        }
        Ok(())
    }

    /// `ηλ₀`, the one number that predicts the phase.
    pub fn eta_lambda0(&self) -> f64 {
        self.eta * self.lambda0
    }
}

fn check_lambda0(lambda0: f64) -> Result<(), CatapultError> {
    if lambda0.is_finite() && lambda0 > 0.0 {
        Ok(())
    } else {
        Err(CatapultError::Lambda0(lambda0))
    }
}

/// The trajectory of the two-scalar map: `f`, `lambda` and `loss = f²/2` at steps
/// `0, 1, …, steps`, or at steps `0 … diverged_at − 1` if the run diverged (every reported
/// value is finite and within the divergence bound).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TwoScalarTrajectory {
    /// f_t
    pub f: Vec<f64>,
    /// λ_t
    pub lambda: Vec<f64>,
    /// L_t = f_t²/2
    pub loss: Vec<f64>,
    /// observed phase ([`Phase::observed`])
    pub phase: Phase,
    /// phase predicted from ηλ₀ ([`Phase::predicted`])
    pub predicted_phase: Phase,
    /// first step at which f or λ was non-finite or `|f| > `[`DIVERGENCE_FACTOR`]`·max(1, |f₀|)`
    pub diverged_at: Option<u64>,
}

/// Iterates the two-scalar map
/// `f_{t+1} = (1 − ηλ_t + η² f_t²/n) f_t`, `λ_{t+1} = λ_t + (η f_t²/n)(η λ_t − 4)`
/// (lecture 002, "Dynamics at large learning rates"; docs/MATH.md) from (f₀, λ₀), stopping at
/// divergence.
///
/// # Errors
/// [`CatapultError`] for an invalid spec ([`TwoScalarSpec::validate`]).
pub fn two_scalar_map(spec: &TwoScalarSpec) -> Result<TwoScalarTrajectory, CatapultError> {
    spec.validate()?;
    let TwoScalarSpec { eta, width: n, lambda0, f0, steps } = *spec;
    let bound = DIVERGENCE_FACTOR * f0.abs().max(1.0);
    let cap = usize::try_from(steps).map_or(0, |s| s.saturating_add(1));
    let (mut f, mut lambda, mut loss) =
        (Vec::with_capacity(cap), Vec::with_capacity(cap), Vec::with_capacity(cap));
    let (mut ft, mut lt) = (f0, lambda0);
    let mut diverged_at = None;
    for t in 0..=steps {
        if !(ft.is_finite() && lt.is_finite() && ft.abs() <= bound) {
            diverged_at = Some(t);
            break;
        }
        f.push(ft);
        lambda.push(lt);
        loss.push(0.5 * ft * ft);
        if t == steps {
            break;
        }
        // q = η f²/n, so η² f²/n = η q.
        let q = eta * ft * ft / n;
        (ft, lt) = ((1.0 - eta * lt + eta * q) * ft, lt + q * (eta * lt - 4.0));
    }
    let final_eta_lambda = eta * lambda.last().copied().unwrap_or(lambda0);
    Ok(TwoScalarTrajectory {
        phase: Phase::observed(&loss, final_eta_lambda, diverged_at.is_some()),
        predicted_phase: Phase::predicted(spec.eta_lambda0()),
        f,
        lambda,
        loss,
        diverged_at,
    })
}

/// A phase-diagram sweep of the two-scalar map over ηλ₀ at fixed (n, λ₀, f₀, steps):
/// point i runs the map with `η = eta_lambda0[i]/λ₀`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseDiagramSpec {
    /// width n ≥ 1
    pub width: f64,
    /// λ₀ > 0
    pub lambda0: f64,
    /// f₀, |f₀| ≤ λ₀√n/2
    pub f0: f64,
    /// steps per point
    pub steps: u64,
    /// the ηλ₀ values, each > 0 (at most [`MAX_GRID_POINTS`]); see [`linear_grid`], [`log_grid`]
    pub eta_lambda0: Vec<f64>,
}

/// One point of the phase diagram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhasePoint {
    /// ηλ₀
    pub eta_lambda0: f64,
    /// η = ηλ₀/λ₀
    pub eta: f64,
    /// λ at the last reported step (the last finite one if the run diverged)
    pub final_lambda: f64,
    /// loss f²/2 at the last reported step
    pub final_loss: f64,
    /// observed phase ([`Phase::observed`])
    pub phase: Phase,
    /// predicted phase ([`Phase::predicted`])
    pub predicted_phase: Phase,
    /// step of divergence, if any
    pub diverged_at: Option<u64>,
}

/// Runs [`two_scalar_map`] at every ηλ₀ of the grid and keeps its end state and phases.
///
/// # Errors
/// [`CatapultError::Grid`] for an empty or too long grid, or a value ≤ 0 / non-finite; the
/// errors of [`TwoScalarSpec::validate`] otherwise.
pub fn phase_diagram(spec: &PhaseDiagramSpec) -> Result<Vec<PhasePoint>, CatapultError> {
    if spec.eta_lambda0.is_empty() || spec.eta_lambda0.len() > MAX_GRID_POINTS {
        return Err(CatapultError::Grid(format!(
            "between 1 and {MAX_GRID_POINTS} values of ηλ₀ needed, got {}",
            spec.eta_lambda0.len()
        )));
    }
    if let Some(&bad) = spec.eta_lambda0.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(CatapultError::Grid(format!("every ηλ₀ must be a finite number > 0, got {bad}")));
    }
    check_lambda0(spec.lambda0)?;
    spec.eta_lambda0
        .iter()
        .map(|&target| {
            let run = TwoScalarSpec {
                eta: target / spec.lambda0,
                width: spec.width,
                lambda0: spec.lambda0,
                f0: spec.f0,
                steps: spec.steps,
            };
            let traj = two_scalar_map(&run)?;
            Ok(PhasePoint {
                eta_lambda0: target,
                eta: run.eta,
                final_lambda: traj.lambda.last().copied().unwrap_or(spec.lambda0),
                final_loss: traj.loss.last().copied().unwrap_or(0.0),
                phase: traj.phase,
                predicted_phase: traj.predicted_phase,
                diverged_at: traj.diverged_at,
            })
        })
        .collect()
}

fn check_grid(lo: f64, hi: f64, count: usize, positive: bool) -> Result<(), CatapultError> {
    if count == 0 || count > MAX_GRID_POINTS {
        return Err(CatapultError::Grid(format!(
            "count must be between 1 and {MAX_GRID_POINTS}, got {count}"
        )));
    }
    let ok = |v: f64| v.is_finite() && (!positive || v > 0.0);
    if !(ok(lo) && ok(hi)) {
        let what = if positive { "finite numbers > 0" } else { "finite numbers" };
        return Err(CatapultError::Grid(format!("bounds must be {what}, got {lo} and {hi}")));
    }
    if lo > hi {
        return Err(CatapultError::Grid(format!("lower bound {lo} above upper bound {hi}")));
    }
    Ok(())
}

/// `count` evenly spaced values `lo + (hi − lo)·i/(count − 1)`, i = 0 … count − 1 (just `lo`
/// for count = 1).
///
/// # Errors
/// [`CatapultError::Grid`] for count 0 or above [`MAX_GRID_POINTS`], non-finite bounds or
/// `lo > hi`.
pub fn linear_grid(lo: f64, hi: f64, count: usize) -> Result<Vec<f64>, CatapultError> {
    check_grid(lo, hi, count, false)?;
    if count == 1 {
        return Ok(vec![lo]);
    }
    let last = (count - 1) as f64;
    Ok((0..count).map(|i| if i + 1 == count { hi } else { lo + (hi - lo) * i as f64 / last }).collect())
}

/// `count` log-spaced values `lo·(hi/lo)^{i/(count − 1)}`, i = 0 … count − 1 (just `lo` for
/// count = 1).
///
/// # Errors
/// [`CatapultError::Grid`] for count 0 or above [`MAX_GRID_POINTS`], bounds ≤ 0 or
/// non-finite, or `lo > hi`.
pub fn log_grid(lo: f64, hi: f64, count: usize) -> Result<Vec<f64>, CatapultError> {
    check_grid(lo, hi, count, true)?;
    let (a, b) = (lo.ln(), hi.ln());
    Ok(linear_grid(a, b, count)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            if i == 0 {
                lo
            } else if i + 1 == count {
                hi
            } else {
                v.exp()
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(eta_lambda0: f64, width: f64, steps: u64) -> TwoScalarSpec {
        TwoScalarSpec { eta: 1.0, width, lambda0: 2.0, f0: 1.0, steps }.with_eta_lambda0(eta_lambda0).unwrap()
    }

    #[test]
    fn predicted_phase_boundaries() {
        assert_eq!(Phase::predicted(1.999), Phase::Lazy);
        assert_eq!(Phase::predicted(2.0), Phase::Lazy);
        assert_eq!(Phase::predicted(2.001), Phase::Catapult);
        assert_eq!(Phase::predicted(3.999), Phase::Catapult);
        assert_eq!(Phase::predicted(4.0), Phase::Divergent);
        assert_eq!(Phase::predicted(f64::NAN), Phase::Divergent);
    }

    #[test]
    fn phase_serializes_lowercase_and_displays() {
        assert_eq!(serde_json::to_string(&Phase::Catapult).unwrap(), "\"catapult\"");
        assert_eq!(serde_json::from_str::<Phase>("\"divergent\"").unwrap(), Phase::Divergent);
        assert_eq!(Phase::Lazy.to_string(), "lazy");
    }

    #[test]
    fn observed_rule() {
        assert_eq!(Phase::observed(&[1.0, 0.5, 0.2], 1.5, false), Phase::Lazy);
        // A rise within the margin is not a catapult.
        assert_eq!(Phase::observed(&[1.0, 1.0005, 0.2], 1.5, false), Phase::Lazy);
        assert_eq!(Phase::observed(&[1.0, 3.0, 0.2], 1.5, false), Phase::Catapult);
        assert_eq!(Phase::observed(&[1.0, 3.0, 9.0], 3.0, false), Phase::Catapult);
        assert_eq!(Phase::observed(&[1.0, 3.0, 9.0], 4.1, false), Phase::Divergent);
        assert_eq!(Phase::observed(&[1.0], 1.0, true), Phase::Divergent);
    }

    #[test]
    fn first_step_is_the_formula() {
        // One step by hand: η = 1.5, n = 100, λ₀ = 2, f₀ = 1:
        // f₁ = (1 − 3 + 2.25/100)·1 = −1.9775, λ₁ = 2 + (1.5/100)(3 − 4) = 1.985.
        let t = two_scalar_map(&TwoScalarSpec { eta: 1.5, width: 100.0, lambda0: 2.0, f0: 1.0, steps: 1 })
            .unwrap();
        assert_eq!(t.f.len(), 2);
        // Tolerance: a few roundings of numbers of order 1.
        assert!((t.f[1] + 1.9775).abs() < 1e-15, "{}", t.f[1]);
        assert!((t.lambda[1] - 1.985).abs() < 1e-15, "{}", t.lambda[1]);
        assert!((t.loss[1] - 0.5 * 1.9775f64.powi(2)).abs() < 1e-15);
    }

    #[test]
    fn divergent_run_is_truncated_and_finite() {
        let t = two_scalar_map(&spec(4.5, 1e4, 10_000)).unwrap();
        let k = t.diverged_at.expect("ηλ₀ = 4.5 diverges");
        assert_eq!(t.f.len() as u64, k);
        assert_eq!(t.lambda.len() as u64, k);
        assert_eq!(t.loss.len() as u64, k);
        assert!(t.f.iter().chain(&t.lambda).chain(&t.loss).all(|v| v.is_finite()));
        assert!(t.f.iter().all(|f| f.abs() <= DIVERGENCE_FACTOR));
        assert_eq!(t.phase, Phase::Divergent);
        assert_eq!(t.predicted_phase, Phase::Divergent);
    }

    #[test]
    fn bad_specs_are_typed_errors() {
        let ok = TwoScalarSpec { eta: 1.0, width: 100.0, lambda0: 2.0, f0: 1.0, steps: 10 };
        assert!(two_scalar_map(&ok).is_ok());
        let cases = [
            (TwoScalarSpec { eta: 0.0, ..ok.clone() }, CatapultError::LearningRate(0.0)),
            (TwoScalarSpec { eta: -1.0, ..ok.clone() }, CatapultError::LearningRate(-1.0)),
            (TwoScalarSpec { width: 0.5, ..ok.clone() }, CatapultError::Width(0.5)),
            (TwoScalarSpec { lambda0: 0.0, ..ok.clone() }, CatapultError::Lambda0(0.0)),
            (TwoScalarSpec { steps: 0, ..ok.clone() }, CatapultError::Steps(0)),
            (TwoScalarSpec { steps: MAX_STEPS + 1, ..ok.clone() }, CatapultError::Steps(MAX_STEPS + 1)),
        ];
        for (s, e) in cases {
            assert_eq!(two_scalar_map(&s).unwrap_err(), e);
        }
        assert!(matches!(
            two_scalar_map(&TwoScalarSpec { f0: f64::NAN, ..ok.clone() }),
            Err(CatapultError::F0(_))
        ));
        assert!(matches!(
            two_scalar_map(&TwoScalarSpec { eta: f64::INFINITY, ..ok.clone() }),
            Err(CatapultError::LearningRate(_))
        ));
        // |f₀| ≤ λ₀√n/2 = 10.
        assert!(matches!(
            two_scalar_map(&TwoScalarSpec { f0: 10.5, ..ok.clone() }),
            Err(CatapultError::Unrealizable { .. })
        ));
        assert!(matches!(ok.clone().with_eta_lambda0(-2.0), Err(CatapultError::EtaLambda0(_))));
    }

    #[test]
    fn grids() {
        assert_eq!(linear_grid(1.0, 3.0, 5).unwrap(), vec![1.0, 1.5, 2.0, 2.5, 3.0]);
        assert_eq!(linear_grid(2.0, 2.0, 1).unwrap(), vec![2.0]);
        let g = log_grid(0.1, 10.0, 3).unwrap();
        assert_eq!((g[0], g[2]), (0.1, 10.0));
        // exp(ln 0.1 + (ln 10 − ln 0.1)/2) = 1 up to a few ulps.
        assert!((g[1] - 1.0).abs() < 1e-14);
        assert!(log_grid(0.0, 1.0, 3).is_err());
        assert!(linear_grid(2.0, 1.0, 3).is_err());
        assert!(linear_grid(1.0, 2.0, 0).is_err());
        assert!(linear_grid(1.0, f64::NAN, 3).is_err());
    }

    #[test]
    fn sweep_reports_every_point() {
        let grid = vec![1.0, 2.0, 3.0, 5.0];
        let pts = phase_diagram(&PhaseDiagramSpec {
            width: 1e4,
            lambda0: 2.0,
            f0: 1.0,
            steps: 2000,
            eta_lambda0: grid.clone(),
        })
        .unwrap();
        let phases: Vec<Phase> = pts.iter().map(|p| p.phase).collect();
        // At exactly ηλ₀ = 2 the loss does not rise (|−1 + η²f²/n| < 1): lazy, as predicted.
        assert_eq!(phases, vec![Phase::Lazy, Phase::Lazy, Phase::Catapult, Phase::Divergent]);
        for (p, g) in pts.iter().zip(&grid) {
            assert_eq!(p.eta_lambda0, *g);
            assert_eq!(p.eta, g / 2.0);
            assert!(p.final_lambda.is_finite() && p.final_loss.is_finite());
        }
        assert!(pts.iter().all(|p| p.phase == p.predicted_phase));
        assert!(pts[3].diverged_at.is_some());
        assert!(phase_diagram(&PhaseDiagramSpec {
            width: 1e4,
            lambda0: 2.0,
            f0: 1.0,
            steps: 10,
            eta_lambda0: vec![]
        })
        .is_err());
        assert!(phase_diagram(&PhaseDiagramSpec {
            width: 1e4,
            lambda0: 2.0,
            f0: 1.0,
            steps: 10,
            eta_lambda0: vec![1.0, -1.0]
        })
        .is_err());
    }
}
