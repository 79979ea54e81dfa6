//! The catapult in a real network: a one-hidden-layer network in NTK parameterization
//! (docs/MATH.md: `h = (σ_w/√d) W¹ x + σ_b b¹`, `f = (σ_w/√n) W² φ(h) + σ_b b²`, all of W, b ~ N(0, 1)),
//! trained by full-batch gradient descent on `L = 1/(2N) Σᵢ (f(xᵢ) − yᵢ)²` at learning rate η,
//! recording at every step the loss, the outputs on the training points and
//!
//! `λ_t = λ_max(Θ̂_t)/N`, `Θ̂_t(xᵢ, xⱼ) = ∇_θ f_t(xᵢ) · ∇_θ f_t(xⱼ)` (N × N),
//!
//! the normalisation that makes gradient descent on the linearized model stable exactly for
//! `ηλ < 2` (docs/MATH.md: `η_max = 2N/λ_max(Θ)`), so the phase markers of [`crate::experiments::catapult`] apply.
//! With φ = identity, d = 1, σ_w² = 1, σ_b² = 0 and the one sample (x = 1, y = 0) the network is
//! `f = vᵀu/√n` with u = W¹, v = W²ᵀ, and its (f_t, λ_t) follow the two-scalar map exactly.
//!
//! The network is [`Mlp`]`::<f64>::new` of depth 1 (seeded, platform-independent), Θ̂ comes from
//! [`JacobianFactors`] (per-layer factors, no P-column Jacobian) and λ_max from nalgebra's
//! symmetric eigen-solver.
//!
//! With [`TaylorModels::Both`] ([`run_network_with`]) the network's linearization
//! `f_lin = f₀ + J₀δ` and its quadratic model `f_quad = f₀ + J₀δ + ½ δᵀH₀δ` (δ = θ − θ₀,
//! docs/MATH.md "The quadratic model") train beside it at the same η from the same θ₀, each
//! recording its loss, its output on the first point and its own `λ_t = λ_max(K_t)/N` with
//! `K_t(xᵢ, xⱼ) = ∇_δ f_t(xᵢ) · ∇_δ f_t(xⱼ)`: constant `λ₀` for the linearization (its Jacobian
//! is J₀), `∇f₀(xᵢ) + H₀(xᵢ)δ` for the quadratic model.

use std::ops::ControlFlow;

use nalgebra::{DMatrix, SymmetricEigen};
use serde::{Deserialize, Serialize};

use crate::activation::Activation;
use crate::arch::{Architecture, Parameterization};
use crate::datasets::check_training;
use crate::experiments::catapult::{
    check_eta, check_eta_lambda0, check_steps, CatapultError, Phase, DIVERGENCE_FACTOR,
};
use crate::nets::empirical_ntk::JacobianFactors;
use crate::nets::linear_model::LinearModel;
use crate::nets::loss::mse_loss;
use crate::nets::mlp::{Mlp, MAX_WIDTH};
use crate::nets::quadratic::QuadraticModel;
use crate::nets::train::{Model, TrainOptions, Trainer};

/// Most training points accepted (Θ̂ is N × N and diagonalized at every step).
pub const MAX_POINTS: usize = 64;

/// Largest ensemble of [`run_network_ensemble`].
pub const MAX_MEMBERS: usize = 1000;

/// Iteration cap of the symmetric eigen-solver (it needs a few dozen sweeps for N ≤ 64).
const EIGEN_MAX_ITERATIONS: usize = 10_000;

/// A one-hidden-layer network trained at learning rate η; serializable for web workers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatapultNetworkSpec {
    /// nonlinearity φ (identity/linear, relu and tanh are the ones the page offers)
    pub activation: Activation,
    /// hidden width n, 1 … [`MAX_WIDTH`]
    pub width: usize,
    /// weight variance σ_w² > 0
    pub sigma_w2: f64,
    /// bias variance σ_b² ≥ 0
    pub sigma_b2: f64,
    /// training inputs, one point per entry (1 … [`MAX_POINTS`] points, one dimension d ≥ 1)
    pub x_train: Vec<Vec<f64>>,
    /// training targets
    pub y_train: Vec<f64>,
    /// learning rate η > 0 (see [`CatapultNetworkSpec::with_eta_lambda0`])
    pub eta: f64,
    /// gradient-descent steps, 1 … [`crate::experiments::catapult::MAX_STEPS`]
    pub steps: u64,
    /// initialisation seed ([`Mlp::new`])
    pub seed: u64,
}

/// The default data of the network mode.
///
/// `points = 1`: the one-sample problem of the two-scalar map, x = 1, y = 0.
/// `points = K ≥ 2`: K points of y = sin x at the midpoints `xᵢ = −π + 2π(i + ½)/K` of K equal
/// cells of [−π, π] (for K = 4: ±π/4, ±3π/4), which avoids x = 0, where a bias-free network's
/// gradient vanishes.
///
/// # Errors
/// [`CatapultError::Data`] for 0 or more than [`MAX_POINTS`] points.
pub fn default_data(points: usize) -> Result<(Vec<Vec<f64>>, Vec<f64>), CatapultError> {
    if points == 0 || points > MAX_POINTS {
        return Err(CatapultError::Data(format!("between 1 and {MAX_POINTS} points, got {points}")));
    }
    if points == 1 {
        return Ok((vec![vec![1.0]], vec![0.0]));
    }
    let pi = std::f64::consts::PI;
    let x: Vec<f64> = (0..points).map(|i| -pi + 2.0 * pi * (i as f64 + 0.5) / points as f64).collect();
    let y = x.iter().map(|x| x.sin()).collect();
    Ok((x.into_iter().map(|x| vec![x]).collect(), y))
}

impl CatapultNetworkSpec {
    /// Checks every field.
    ///
    /// # Errors
    /// [`CatapultError`]: width 0 or above [`MAX_WIDTH`], σ_w² ≤ 0, σ_b² < 0, no points or
    /// more than [`MAX_POINTS`], ragged or 0-dimensional points, targets not matching the
    /// points, non-finite data, η ≤ 0 or non-finite, steps 0 or too many.
    pub fn validate(&self) -> Result<(), CatapultError> {
        self.architecture()?;
        if self.width == 0 || self.width > MAX_WIDTH {
            return Err(CatapultError::NetworkWidth(self.width));
        }
        self.check_data()?;
        check_eta(self.eta)?;
        check_steps(self.steps)
    }

    /// At most [`MAX_POINTS`] training points, checked as every training set
    /// ([`check_training`]).
    fn check_data(&self) -> Result<(), CatapultError> {
        let n = self.x_train.len();
        if n == 0 || n > MAX_POINTS {
            return Err(CatapultError::Data(format!("between 1 and {MAX_POINTS} training points, got {n}")));
        }
        check_training(&self.x_train, &self.y_train).map_err(|e| CatapultError::Data(e.to_string()))?;
        Ok(())
    }

    /// The architecture: depth 1, φ, σ_w², σ_b², NTK parameterization.
    ///
    /// # Errors
    /// [`CatapultError::Arch`] for σ_w² ≤ 0, σ_b² < 0 or non-finite values.
    pub fn architecture(&self) -> Result<Architecture, CatapultError> {
        Ok(Architecture::new(1, self.activation, self.sigma_w2, self.sigma_b2, Parameterization::Ntk)?)
    }

    /// Number of training points N.
    pub fn points(&self) -> usize {
        self.x_train.len()
    }

    /// Training inputs in the network's batch-major layout (N × d).
    fn x_batch(&self) -> Vec<f64> {
        self.x_train.iter().flatten().copied().collect()
    }

    /// The network at initialisation, `Mlp::<f64>::new(&arch, d, width, seed)`.
    ///
    /// # Errors
    /// As [`CatapultNetworkSpec::validate`] (η and steps are not checked).
    pub fn initial_network(&self) -> Result<Mlp<f64>, CatapultError> {
        let arch = self.architecture()?;
        if self.width == 0 || self.width > MAX_WIDTH {
            return Err(CatapultError::NetworkWidth(self.width));
        }
        self.check_data()?;
        Ok(Mlp::new(&arch, self.x_train[0].len(), self.width, self.seed)?)
    }

    /// `λ₀ = λ_max(Θ̂₀)/N` at the spec's seed.
    ///
    /// # Errors
    /// As [`CatapultNetworkSpec::initial_network`], [`CatapultError::NotFiniteAtInit`] or
    /// [`CatapultError::Eigen`].
    pub fn initial_lambda(&self) -> Result<f64, CatapultError> {
        let net = self.initial_network()?;
        let fac = JacobianFactors::new(&net, &self.x_batch(), self.points());
        let theta = fac.ntk(&fac);
        if !theta.iter().all(|v| v.is_finite()) {
            return Err(CatapultError::NotFiniteAtInit);
        }
        Ok(top_eigenvalue(theta).ok_or(CatapultError::Eigen(0))? / self.points() as f64)
    }

    /// The spec with `η = target/λ₀`, λ₀ from [`CatapultNetworkSpec::initial_lambda`].
    ///
    /// # Errors
    /// [`CatapultError::EtaLambda0`] for a target ≤ 0 or non-finite,
    /// [`CatapultError::DegenerateKernel`] if λ₀ = 0, and those of
    /// [`CatapultNetworkSpec::initial_lambda`].
    pub fn with_eta_lambda0(mut self, target: f64) -> Result<Self, CatapultError> {
        check_eta_lambda0(target)?;
        let lambda0 = self.initial_lambda()?;
        if lambda0.is_nan() || lambda0 <= 0.0 {
            return Err(CatapultError::DegenerateKernel(lambda0));
        }
        self.eta = target / lambda0;
        Ok(self)
    }
}

/// The largest eigenvalue of a symmetric matrix (nalgebra's `SymmetricEigen`, capped
/// iterations); `None` if the matrix is empty or not finite or the solver fails.
pub fn top_eigenvalue(m: DMatrix<f64>) -> Option<f64> {
    if m.is_empty() || !m.iter().all(|v| v.is_finite()) {
        return None;
    }
    SymmetricEigen::try_new(m, f64::EPSILON, EIGEN_MAX_ITERATIONS)
        .map(|e| e.eigenvalues.iter().copied().fold(f64::NEG_INFINITY, f64::max))
}

/// `λ_max(Θ̂)` of `net` on n points `x` (batch-major), Θ̂ from [`JacobianFactors`]; `None` if
/// Θ̂ is not finite or the eigen-solver fails.
pub fn ntk_lambda_max(net: &Mlp<f64>, x: &[f64], n: usize) -> Option<f64> {
    let fac = JacobianFactors::new(net, x, n);
    top_eigenvalue(fac.ntk(&fac))
}

/// A training run of the network: per step t = 0 … steps (or 0 … diverged_at − 1), the loss,
/// the outputs and `λ_t = λ_max(Θ̂_t)/N`. Every reported value is finite.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkTrajectory {
    /// f_t(x₁), the output on the first training point
    pub f: Vec<f64>,
    /// λ_t = λ_max(Θ̂_t)/N
    pub lambda: Vec<f64>,
    /// L_t = 1/(2N) Σᵢ (f_t(xᵢ) − yᵢ)²
    pub loss: Vec<f64>,
    /// `outputs[t][i]` = f_t(xᵢ)
    pub outputs: Vec<Vec<f64>>,
    /// the learning rate η used
    pub eta: f64,
    /// λ₀ = λ_max(Θ̂₀)/N
    pub lambda0: f64,
    /// ηλ₀
    pub eta_lambda0: f64,
    /// observed phase ([`Phase::observed`])
    pub phase: Phase,
    /// phase predicted from ηλ₀ ([`Phase::predicted`])
    pub predicted_phase: Phase,
    /// first step at which an output or λ was non-finite, or some
    /// `|f_t(xᵢ)| > `[`DIVERGENCE_FACTOR`]`·max(1, maxᵢ|f₀(xᵢ)|, maxᵢ|yᵢ|)`
    pub diverged_at: Option<u64>,
    /// the linearization `f₀ + J₀δ` trained beside it ([`TaylorModels::Both`]; boxed, so a
    /// trajectory without the models stays small in the workers' messages)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linearized: Option<Box<ModelTrajectory>>,
    /// the quadratic model `f₀ + J₀δ + ½ δᵀH₀δ` trained beside it ([`TaylorModels::Both`])
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quadratic: Option<Box<ModelTrajectory>>,
}

/// Which Taylor models of the network [`run_network_with`] trains beside it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaylorModels {
    /// the network alone
    #[default]
    None,
    /// its linearization `f_lin = f₀ + J₀δ` and its quadratic model
    /// `f_quad = f₀ + J₀δ + ½ δᵀH₀δ` (δ = θ − θ₀), both from the network's θ₀ at the same η
    Both,
}

/// A Taylor model of the network trained beside it by full-batch gradient descent
/// `δ_{t+1} = δ_t − η ∇_δ L(δ_t)` on the same loss: per step t = 0 … (the network's last step,
/// or diverged_at − 1) its loss, its output on the first point and
/// `λ_t = λ_max(K_t)/N`, `K_t(xᵢ, xⱼ) = ∇_δ f_t(xᵢ) · ∇_δ f_t(xⱼ)`. Every value is finite.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelTrajectory {
    /// f_t(x₁)
    pub f: Vec<f64>,
    /// λ_t = λ_max(K_t)/N (the linearization's is λ₀ at every step)
    pub lambda: Vec<f64>,
    /// L_t = 1/(2N) Σᵢ (f_t(xᵢ) − yᵢ)²
    pub loss: Vec<f64>,
    /// observed phase ([`Phase::observed`], with its final ηλ_t)
    pub phase: Phase,
    /// first step at which its loss or an output was non-finite or an output exceeded the
    /// network's bound `DIVERGENCE_FACTOR·max(1, maxᵢ|f₀(xᵢ)|, maxᵢ|yᵢ|)` (or λ_t was not
    /// finite)
    pub diverged_at: Option<u64>,
}

/// A Taylor model in training and what it has recorded.
struct Beside<M: Model<Scalar = f64>> {
    trainer: Trainer<M>,
    f: Vec<f64>,
    lambda: Vec<f64>,
    loss: Vec<f64>,
    diverged_at: Option<u64>,
}

impl<M: Model<Scalar = f64>> Beside<M> {
    fn new(model: M, y: &[f64], eta: f64) -> Result<Self, CatapultError> {
        Ok(Beside {
            trainer: Trainer::new(model, y, TrainOptions::gd(eta))?,
            f: Vec::new(),
            lambda: Vec::new(),
            loss: Vec::new(),
            diverged_at: None,
        })
    }

    /// Step k: records the model (λ_t from `lambda`) and, unless `last`, applies the update;
    /// at divergence records nothing and stops.
    fn record(&mut self, k: u64, y: &[f64], bound: f64, last: bool, lambda: impl FnOnce(&M) -> Option<f64>) {
        if self.diverged_at.is_some() {
            return;
        }
        self.trainer.forward();
        let out = self.trainer.outputs();
        let l = mse_loss(out, y);
        let finite = l.is_finite() && out.iter().all(|v| v.is_finite() && v.abs() <= bound);
        let lam = if finite { lambda(self.trainer.model()).filter(|v| v.is_finite()) } else { None };
        let Some(lam) = lam else {
            self.diverged_at = Some(k);
            return;
        };
        self.f.push(out[0]);
        self.lambda.push(lam);
        self.loss.push(l);
        if !last {
            self.trainer.backward_update();
        }
    }

    fn finish(self, eta: f64) -> ModelTrajectory {
        let final_eta_lambda = eta * self.lambda.last().copied().unwrap_or(0.0);
        ModelTrajectory {
            phase: Phase::observed(&self.loss, final_eta_lambda, self.diverged_at.is_some()),
            f: self.f,
            lambda: self.lambda,
            loss: self.loss,
            diverged_at: self.diverged_at,
        }
    }
}

/// `λ_max(K)/N` of the quadratic model's tangent kernel `K(xᵢ, xⱼ) = ∇_δ f_quad(xᵢ) · ∇_δ f_quad(xⱼ)`,
/// `∇_δ f_quad(xᵢ) = ∇f₀(xᵢ) + H₀(xᵢ)δ` ([`QuadraticModel::gradient`] with `g = eᵢ`).
fn quadratic_lambda(model: &QuadraticModel) -> Option<f64> {
    let n = model.points();
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let mut e = vec![0.0; n];
            e[i] = 1.0;
            model.gradient(&e).ok()
        })
        .collect::<Option<_>>()?;
    let k = DMatrix::from_fn(n, n, |i, j| rows[i].iter().zip(&rows[j]).map(|(a, b)| a * b).sum());
    top_eigenvalue(k).map(|l| l / n as f64)
}

/// Trains the network of `spec` by full-batch gradient descent `θ_{k+1} = θ_k − η∇L(θ_k)`
/// (docs/MATH.md) for `spec.steps` steps, recording the loss, the outputs and λ_t = λ_max(Θ̂_t)/N
/// at every step; stops at divergence. `progress(k)` is called before every step k = 0 …
/// steps; returning `ControlFlow::Break(())` cancels the run.
///
/// # Errors
/// [`CatapultError`] for an invalid spec ([`CatapultNetworkSpec::validate`]),
/// [`CatapultError::NotFiniteAtInit`], [`CatapultError::Eigen`] or
/// [`CatapultError::Cancelled`].
pub fn run_network<F>(spec: &CatapultNetworkSpec, progress: F) -> Result<NetworkTrajectory, CatapultError>
where
    F: FnMut(u64) -> ControlFlow<()>,
{
    run_network_with(spec, TaylorModels::None, progress)
}

/// [`run_network`], with the Taylor models `models` of the network trained beside it at the
/// same η from the same θ₀ ([`NetworkTrajectory::linearized`], [`NetworkTrajectory::quadratic`]):
/// `δ_{t+1} = δ_t − η ∇_δ L` for `f_lin = f₀ + J₀δ` and `f_quad = f₀ + J₀δ + ½ δᵀH₀δ`. A model
/// that diverges stops there (its trajectory ends) while the network trains on; every
/// trajectory ends where the network's does.
///
/// # Errors
/// As [`run_network`].
pub fn run_network_with<F>(
    spec: &CatapultNetworkSpec,
    models: TaylorModels,
    mut progress: F,
) -> Result<NetworkTrajectory, CatapultError>
where
    F: FnMut(u64) -> ControlFlow<()>,
{
    spec.validate()?;
    let n = spec.points();
    let x = spec.x_batch();
    let net = spec.initial_network()?;
    let (mut lin, mut quad) = match models {
        TaylorModels::None => (None, None),
        TaylorModels::Both => (
            Some(Beside::new(LinearModel::new(net.clone(), &x, false)?, &spec.y_train, spec.eta)?),
            Some(Beside::new(QuadraticModel::new(&net, &x, false)?, &spec.y_train, spec.eta)?),
        ),
    };
    let mut trainer = Trainer::network(net, &x, &spec.y_train, TrainOptions::gd(spec.eta))?;
    let cap = usize::try_from(spec.steps).map_or(0, |s| s.saturating_add(1));
    let mut outputs: Vec<Vec<f64>> = Vec::with_capacity(cap);
    let mut lambda = Vec::with_capacity(cap);
    let mut loss = Vec::with_capacity(cap);
    let mut bound = f64::INFINITY;
    let mut diverged_at = None;
    for k in 0..=spec.steps {
        if progress(k).is_break() {
            return Err(CatapultError::Cancelled);
        }
        let fac = JacobianFactors::new(trainer.net(), &x, n);
        let out = fac.outputs.clone();
        let l = mse_loss(&out, &spec.y_train);
        let theta = fac.ntk(&fac);
        if k == 0 {
            let scale = out.iter().chain(&spec.y_train).fold(1.0f64, |m, v| m.max(v.abs()));
            bound = DIVERGENCE_FACTOR * scale;
        }
        let finite = l.is_finite() && out.iter().all(|v| v.is_finite() && v.abs() <= bound);
        let lam = if finite && theta.iter().all(|v| v.is_finite()) {
            Some(top_eigenvalue(theta).ok_or(CatapultError::Eigen(k))? / n as f64)
        } else {
            None
        };
        let Some(lam) = lam.filter(|v| v.is_finite()) else {
            if k == 0 {
                return Err(CatapultError::NotFiniteAtInit);
            }
            diverged_at = Some(k);
            break;
        };
        outputs.push(out);
        lambda.push(lam);
        loss.push(l);
        let last = k == spec.steps;
        let lambda0 = lambda[0];
        if let Some(m) = lin.as_mut() {
            m.record(k, &spec.y_train, bound, last, |_| Some(lambda0));
        }
        if let Some(m) = quad.as_mut() {
            m.record(k, &spec.y_train, bound, last, quadratic_lambda);
        }
        if last {
            break;
        }
        trainer.forward();
        trainer.backward_update();
    }
    let lambda0 = lambda[0];
    let eta_lambda0 = spec.eta * lambda0;
    let final_eta_lambda = spec.eta * lambda.last().copied().unwrap_or(lambda0);
    Ok(NetworkTrajectory {
        f: outputs.iter().map(|o| o[0]).collect(),
        phase: Phase::observed(&loss, final_eta_lambda, diverged_at.is_some()),
        predicted_phase: Phase::predicted(eta_lambda0),
        lambda,
        loss,
        outputs,
        eta: spec.eta,
        lambda0,
        eta_lambda0,
        diverged_at,
        linearized: lin.map(|m| Box::new(m.finish(spec.eta))),
        quadratic: quad.map(|m| Box::new(m.finish(spec.eta))),
    })
}

/// Runs [`run_network`] for the seeds `spec.seed + m`, m = 0 … members − 1 (wrapping), all at
/// the same η, and returns every member's trajectory (the page draws their spread). With the
/// default seed 0 these are seeds 0 … M − 1, and member m equals a single run with seed m.
/// `progress(m, k)` is called before step k of member m; `Break` cancels.
///
/// # Errors
/// [`CatapultError::Members`] for 0 or more than [`MAX_MEMBERS`] members, and those of
/// [`run_network`].
pub fn run_network_ensemble<F>(
    spec: &CatapultNetworkSpec,
    members: usize,
    progress: F,
) -> Result<Vec<NetworkTrajectory>, CatapultError>
where
    F: FnMut(usize, u64) -> ControlFlow<()>,
{
    run_network_ensemble_with(spec, members, TaylorModels::None, progress)
}

/// [`run_network_ensemble`] with the Taylor models `models` beside every member
/// ([`run_network_with`]).
///
/// # Errors
/// As [`run_network_ensemble`].
pub fn run_network_ensemble_with<F>(
    spec: &CatapultNetworkSpec,
    members: usize,
    models: TaylorModels,
    mut progress: F,
) -> Result<Vec<NetworkTrajectory>, CatapultError>
where
    F: FnMut(usize, u64) -> ControlFlow<()>,
{
    if members == 0 || members > MAX_MEMBERS {
        return Err(CatapultError::Members { got: members, max: MAX_MEMBERS });
    }
    spec.validate()?;
    (0..members)
        .map(|m| {
            let member = CatapultNetworkSpec { seed: spec.seed.wrapping_add(m as u64), ..spec.clone() };
            run_network_with(&member, models, |k| progress(m, k))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_sample(width: usize, eta: f64, steps: u64) -> CatapultNetworkSpec {
        let (x_train, y_train) = default_data(1).unwrap();
        CatapultNetworkSpec {
            activation: Activation::Identity,
            width,
            sigma_w2: 1.0,
            sigma_b2: 0.0,
            x_train,
            y_train,
            eta,
            steps,
            seed: 3,
        }
    }

    #[test]
    fn default_data_shapes() {
        let (x, y) = default_data(1).unwrap();
        assert_eq!((x, y), (vec![vec![1.0]], vec![0.0]));
        let (x, y) = default_data(4).unwrap();
        let pi = std::f64::consts::PI;
        let expect = [-0.75 * pi, -0.25 * pi, 0.25 * pi, 0.75 * pi];
        for ((xi, yi), e) in x.iter().zip(&y).zip(expect) {
            // Two roundings of numbers of order π.
            assert!((xi[0] - e).abs() < 1e-15 && (yi - e.sin()).abs() < 1e-15);
        }
        assert!(default_data(0).is_err() && default_data(MAX_POINTS + 1).is_err());
    }

    #[test]
    fn eta_from_target_hits_the_target() {
        let spec = one_sample(64, 1.0, 10).with_eta_lambda0(3.0).unwrap();
        let t = run_network(&spec, |_| ControlFlow::Continue(())).unwrap();
        // η = 3/λ₀ then ηλ₀ recomputed from the same λ₀: one rounding each way.
        assert!((t.eta_lambda0 - 3.0).abs() < 1e-14, "{}", t.eta_lambda0);
        assert_eq!(t.predicted_phase, Phase::Catapult);
    }

    #[test]
    fn cancellation_and_member_count() {
        let spec = one_sample(16, 0.5, 20);
        let r =
            run_network(&spec, |k| if k == 5 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) });
        assert_eq!(r.unwrap_err(), CatapultError::Cancelled);
        assert!(matches!(
            run_network_ensemble(&spec, 0, |_, _| ControlFlow::Continue(())),
            Err(CatapultError::Members { got: 0, .. })
        ));
        let runs = run_network_ensemble(&spec, 3, |_, _| ControlFlow::Continue(())).unwrap();
        assert_eq!(runs.len(), 3);
        let single =
            run_network(&CatapultNetworkSpec { seed: 4, ..spec }, |_| ControlFlow::Continue(())).unwrap();
        assert_eq!(runs[1], single);
        assert_ne!(runs[0].f[0], runs[1].f[0]);
    }
}
