//! A model in function space with a fixed tangent kernel Θ, trained by the shared step: the
//! dynamics of any model that is linear in its parameters with `J(x) J(x′)ᵀ = Θ(x, x′)`.
//! From `v ← β v − η J_Bᵀ g`, `θ ← θ + v` and `f(x) = f₀(x) + J(x)(θ − θ₀)`:
//!
//! `u_{k+1}(x) = β u_k(x) − η Σ_{s∈B} Θ(x, x_s) g_s`, `f_{k+1}(x) = f_k(x) + u_{k+1}(x)`
//!
//! on the training and test points (paper Eq. S2; for full-batch gradient descent on MSE with
//! Θ̂₀ it is Eq. 8–11, whose closed form it reproduces step by step). With the analytic NTK Θ
//! and the network's own f₀ it is the infinite-width prediction of the network's trajectory
//! (paper Figure 3's "analytic" dynamics) — for any loss and optimizer, where only MSE with
//! full-batch descent has a closed form.

use nalgebra::DMatrix;

use crate::nets::mlp::MlpError;
use crate::nets::train::Model;

/// One point set of a [`KernelModel`]: Θ(·, X), its outputs f and their last change u.
#[derive(Clone, Debug)]
struct Side {
    /// Θ(points, X), one row per point
    k: DMatrix<f64>,
    f: Vec<f64>,
    u: Vec<f64>,
}

impl Side {
    fn new(k: DMatrix<f64>, f: Vec<f64>) -> Self {
        Side { k, u: vec![0.0; f.len()], f }
    }

    /// `u ← β u − η Θ(·, X_B) g`, `f ← f + u` (`batch` None: all training points in order).
    fn step(&mut self, batch: Option<&[usize]>, g: &[f64], eta: f64, beta: f64) {
        for (i, (ui, fi)) in self.u.iter_mut().zip(self.f.iter_mut()).enumerate() {
            let sum: f64 = match batch {
                None => g.iter().enumerate().map(|(s, &gs)| self.k[(i, s)] * gs).sum(),
                Some(b) => b.iter().zip(g).map(|(&s, &gs)| self.k[(i, s)] * gs).sum(),
            };
            *ui = beta * *ui - eta * sum;
            *fi += *ui;
        }
    }
}

/// Outputs on training and test points, moved by a fixed kernel.
#[derive(Clone, Debug)]
pub struct KernelModel {
    train: Side,
    test: Side,
    /// the batch of the last forward pass (empty: all N)
    batch: Vec<usize>,
    out: Vec<f64>,
}

impl KernelModel {
    /// The model with kernel `Θ(X, X)` (`k_train`, N × N), `Θ(*, X)` (`k_test`, M × N) and
    /// initial outputs f₀(X), f₀(*).
    ///
    /// # Errors
    /// [`MlpError::Shape`] for inconsistent sizes, [`MlpError::NotFinite`] for a non-finite
    /// entry.
    pub fn new(
        k_train: DMatrix<f64>,
        k_test: DMatrix<f64>,
        f0_train: Vec<f64>,
        f0_test: Vec<f64>,
    ) -> Result<Self, MlpError> {
        let n = f0_train.len();
        if n == 0 || k_train.shape() != (n, n) || k_test.shape() != (f0_test.len(), n) {
            return Err(MlpError::Shape(format!(
                "kernel model: Θ(X,X) {:?}, Θ(*,X) {:?}, f₀(X) {n}, f₀(*) {}",
                k_train.shape(),
                k_test.shape(),
                f0_test.len()
            )));
        }
        let all = k_train.iter().chain(k_test.iter()).chain(&f0_train).chain(&f0_test);
        if let Some(&v) = all.into_iter().find(|v| !v.is_finite()) {
            return Err(MlpError::NotFinite { what: "kernel and initial outputs", value: v });
        }
        Ok(KernelModel {
            train: Side::new(k_train, f0_train),
            test: Side::new(k_test, f0_test),
            batch: Vec::new(),
            out: vec![0.0; n],
        })
    }

    /// Outputs on the training points.
    pub fn train_outputs(&self) -> &[f64] {
        &self.train.f
    }

    /// Outputs on the test points.
    pub fn test_outputs(&self) -> &[f64] {
        &self.test.f
    }
}

impl Model for KernelModel {
    type Scalar = f64;

    fn points(&self) -> usize {
        self.train.f.len()
    }

    fn forward(&mut self, batch: Option<&[usize]>) -> &[f64] {
        self.batch.clear();
        self.out.clear();
        match batch {
            None => self.out.extend_from_slice(&self.train.f),
            Some(b) => {
                self.batch.extend_from_slice(b);
                self.out.extend(b.iter().map(|&i| self.train.f[i]));
            }
        }
        &self.out
    }

    fn outputs(&self) -> &[f64] {
        &self.out
    }

    /// `u ← β u − η Θ(·, X_B) g`, `f ← f + u` on training and test points (paper Eq. S2).
    fn update(&mut self, dloss: &[f64], eta: f64, beta: f64) {
        let batch = (!self.batch.is_empty()).then_some(self.batch.as_slice());
        self.train.step(batch, dloss, eta, beta);
        self.test.step(batch, dloss, eta, beta);
    }
}
