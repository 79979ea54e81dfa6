//! One training step for every model: a network ([`MlpModel`](super::mlp_model::MlpModel)), its linearization trained in
//! parameter space ([`LinearModel`](crate::nets::linear_model::LinearModel)) and a model in
//! function space with a fixed kernel ([`KernelModel`](crate::nets::kernel_model::KernelModel))
//! all train through [`Trainer::step`]:
//!
//! 1. the batch `B_k` of step k (all N points, or [`Minibatches::batch`]);
//! 2. the model's outputs `f(x_i)`, `i ∈ B_k` ([`Model::forward`]);
//! 3. `g_i = ∂L_B/∂f(x_i) = ℓ'(f(x_i), y_i)/|B_k|` ([`Loss::derivative`]);
//! 4. the optimizer's update `v ← β v − η J_Bᵀ g`, `θ ← θ + v` ([`Model::update`], paper
//!    Eq. S1; β = 0 for plain descent).
//!
//! So a network and its linearization given the same options see the same batches, losses and
//! learning rate: their difference is the linearization alone (paper §2.3, Eq. 11).

use crate::nets::loss::Loss;
use crate::nets::mlp::{MlpError, Real};
use crate::nets::optimizer::{Minibatches, OptimizerError};

/// A model that the shared step can train: outputs on a batch of its training points, and the
/// optimizer's update from the loss gradient with respect to those outputs.
pub trait Model {
    /// The scalar its parameters and outputs are held in.
    type Scalar: Real;

    /// Number of training points N.
    fn points(&self) -> usize;

    /// Outputs on the training points `batch` (ascending indices; `None`: all N in order) at
    /// the current parameters, kept for the next [`Model::update`].
    fn forward(&mut self, batch: Option<&[usize]>) -> &[Self::Scalar];

    /// The outputs of the last [`Model::forward`] (as many as its batch had points).
    fn outputs(&self) -> &[Self::Scalar];

    /// The update `v ← β v − η J_Bᵀ g`, `θ ← θ + v` (paper Eq. S1), with `g = dloss` the
    /// gradient of the batch loss with respect to the outputs of the last forward pass and
    /// `J_B` the Jacobian of those outputs.
    fn update(&mut self, dloss: &[Self::Scalar], learning_rate: Self::Scalar, momentum: Self::Scalar);
}

/// Options of training: loss, optimizer and which layers train.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainOptions {
    /// learning rate η > 0
    pub learning_rate: f64,
    /// momentum β ∈ [0, 1) (0: plain gradient descent)
    pub momentum: f64,
    /// train only the readout layer (the hidden layers stay at initialisation; NNGP dynamics)
    pub readout_only: bool,
    /// the loss
    pub loss: Loss,
    /// minibatch size B (`None`: full batch)
    pub batch_size: Option<usize>,
    /// seed of the minibatch sequence ([`Minibatches`])
    pub batch_seed: u64,
}

impl TrainOptions {
    /// Full-batch gradient descent on the MSE loss, every layer trained.
    pub fn gd(learning_rate: f64) -> Self {
        TrainOptions {
            learning_rate,
            momentum: 0.0,
            readout_only: false,
            loss: Loss::Mse,
            batch_size: None,
            batch_seed: 0,
        }
    }

    /// Checks the options against the number of training points and the targets.
    ///
    /// # Errors
    /// [`MlpError`] for a non-finite or non-positive learning rate, β ∉ [0, 1), a batch size
    /// outside 1..=N, or targets the loss cannot take.
    pub fn validate(&self, y: &[f64]) -> Result<(), MlpError> {
        for (what, v) in [("learning rate", self.learning_rate), ("momentum", self.momentum)] {
            if !v.is_finite() {
                return Err(MlpError::NotFinite { what, value: v });
            }
        }
        if self.learning_rate <= 0.0 {
            return Err(OptimizerError::LearningRate(self.learning_rate).into());
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(OptimizerError::Momentum(self.momentum).into());
        }
        if let Some(b) = self.batch_size {
            Minibatches::new(y.len(), b, self.batch_seed)?;
        }
        self.loss.check_targets(y)?;
        Ok(())
    }

    /// The minibatch sequence, if the options ask for minibatches.
    fn minibatches(&self, points: usize) -> Option<Minibatches> {
        self.batch_size.and_then(|b| Minibatches::new(points, b, self.batch_seed).ok())
    }
}

/// Trains a [`Model`] on targets y with [`TrainOptions`], one step at a time.
#[derive(Clone, Debug)]
pub struct Trainer<M: Model> {
    model: M,
    y: Vec<f64>,
    opts: TrainOptions,
    batches: Option<Minibatches>,
    /// steps applied so far (k)
    step: u64,
    /// the batch of the last forward pass (empty: full batch)
    batch: Vec<usize>,
    /// targets of that batch
    batch_y: Vec<f64>,
    dloss: Vec<M::Scalar>,
}

impl<M: Model> Trainer<M> {
    /// A trainer for `model` on targets `y` (one per training point).
    ///
    /// # Errors
    /// [`MlpError`] for a target count that is not the model's, non-finite targets or options
    /// that [`TrainOptions::validate`] refuses.
    pub fn new(model: M, y: &[f64], opts: TrainOptions) -> Result<Self, MlpError> {
        if y.is_empty() || y.len() != model.points() {
            return Err(MlpError::Shape(format!(
                "{} targets for {} training points",
                y.len(),
                model.points()
            )));
        }
        if let Some(&v) = y.iter().find(|v| !v.is_finite()) {
            return Err(MlpError::NotFinite { what: "data", value: v });
        }
        opts.validate(y)?;
        let n = y.len();
        Ok(Trainer {
            batches: opts.minibatches(n),
            model,
            y: y.to_vec(),
            opts,
            step: 0,
            batch: Vec::with_capacity(n),
            batch_y: Vec::with_capacity(n),
            dloss: vec![M::Scalar::ZERO; n],
        })
    }

    /// The model at its current parameters.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The outputs of the last [`Trainer::forward`] (on its batch).
    pub fn outputs(&self) -> &[M::Scalar] {
        self.model.outputs()
    }

    /// The options it trains with.
    pub fn options(&self) -> &TrainOptions {
        &self.opts
    }

    /// Steps applied so far.
    pub fn steps_done(&self) -> u64 {
        self.step
    }

    /// Indices of the points of the last forward pass (all N in order for full batches).
    pub fn batch(&self) -> Vec<usize> {
        if self.batches.is_none() {
            (0..self.y.len()).collect()
        } else {
            self.batch.clone()
        }
    }

    /// Forward pass on the batch of the current step; returns the batch loss `L_B`.
    pub fn forward(&mut self) -> f64 {
        let loss = self.opts.loss;
        match self.batches {
            None => loss.mean(self.model.forward(None), &self.y),
            Some(mb) => {
                mb.batch(self.step, &mut self.batch);
                self.batch_y.clear();
                self.batch_y.extend(self.batch.iter().map(|&i| self.y[i]));
                loss.mean(self.model.forward(Some(&self.batch)), &self.batch_y)
            }
        }
    }

    /// The update from the outputs of the last [`Trainer::forward`]:
    /// `g_i = ℓ'(f(x_i), y_i)/|B|`, then [`Model::update`]; counts the step.
    pub fn backward_update(&mut self) {
        let loss = self.opts.loss;
        let (n, y) = match self.batches {
            None => (self.y.len(), &self.y),
            Some(_) => (self.batch.len(), &self.batch_y),
        };
        let out = self.model.outputs();
        let inv_n = 1.0 / n as f64;
        for s in 0..n {
            self.dloss[s] = M::Scalar::from_f64(loss.derivative(out[s].to_f64(), y[s]) * inv_n);
        }
        let eta = M::Scalar::from_f64(self.opts.learning_rate);
        let beta = M::Scalar::from_f64(self.opts.momentum);
        self.model.update(&self.dloss[..n], eta, beta);
        self.step += 1;
    }

    /// One step: forward pass on the step's batch, then the update; returns the batch loss
    /// before the step.
    pub fn step(&mut self) -> f64 {
        let loss = self.forward();
        self.backward_update();
        loss
    }
}
