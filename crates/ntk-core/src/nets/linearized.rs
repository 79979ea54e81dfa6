//! The linearized network `f_lin(x) = f₀(x) + ∇_θ f₀(x)(θ − θ₀)` trained by gradient descent on
//! the mean loss, in closed form from Θ̂₀ and f₀ (paper Eq. 8–11, discrete steps):
//!
//! `f_lin(X, k) = Y + (I − ηΘ̂₀/N)^k (f₀(X) − Y)`,
//! `f_lin(*, k) = f₀(*) + Θ̂₀(*, X) Θ̂₀⁻¹ (I − (I − ηΘ̂₀/N)^k) (Y − f₀(X))`,
//!
//! evaluated in the eigenbasis `Θ̂₀ = V Λ Vᵀ` with `g_k(λ) = (1 − (1 − ηλ/N)^k)/λ`, which is
//! computed stably and tends to `kη/N` as λ → 0 (so no inverse of Θ̂₀ is ever formed). With
//! momentum the function-space recursion (paper SM B.1 Eq. S2),
//! `f_{i+1} = f_i − (η/N) Θ̂₀(·, X)(f_i(X) − Y) + β (f_i − f_{i−1})`, is iterated in the same
//! eigenbasis (O(N) work per step).

use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// A problem with the inputs of the linearized model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LinearizedError {
    /// Kernel, outputs and targets of inconsistent sizes.
    #[error("linearized model: {0}")]
    Shape(String),
    /// A non-finite kernel entry, output, target or hyperparameter.
    #[error("linearized model: {what} must be finite, got {value}")]
    NotFinite {
        /// which quantity
        what: &'static str,
        /// its value
        value: f64,
    },
}

/// Outputs of the linearized network at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearOutputs {
    /// f_lin on the training points
    pub train: DVector<f64>,
    /// f_lin on the test points
    pub test: DVector<f64>,
}

/// The linearized model of one network, factored once (eigendecomposition of Θ̂₀(X, X)).
#[derive(Clone, Debug)]
pub struct Linearized {
    eigvecs: DMatrix<f64>,
    eigvals: DVector<f64>,
    /// Vᵀ (f₀(X) − Y)
    r0: DVector<f64>,
    y: DVector<f64>,
    /// Θ̂₀(*, X) V
    test_basis: DMatrix<f64>,
    f0_test: DVector<f64>,
    learning_rate: f64,
    momentum: f64,
}

impl Linearized {
    /// Factors the linearized model from `Θ̂₀(X, X)` (N × N, symmetrized), `Θ̂₀(*, X)` (M × N),
    /// the initial outputs f₀(X), f₀(*), the targets Y, the learning rate η and momentum β.
    ///
    /// # Errors
    /// [`LinearizedError`] for inconsistent sizes or non-finite values.
    pub fn new(
        ntk_train: &DMatrix<f64>,
        ntk_test_train: &DMatrix<f64>,
        f0_train: &DVector<f64>,
        f0_test: &DVector<f64>,
        y_train: &DVector<f64>,
        learning_rate: f64,
        momentum: f64,
    ) -> Result<Self, LinearizedError> {
        let n = y_train.len();
        if ntk_train.shape() != (n, n)
            || f0_train.len() != n
            || ntk_test_train.ncols() != n
            || ntk_test_train.nrows() != f0_test.len()
        {
            return Err(LinearizedError::Shape(format!(
                "Θ̂(X,X) {:?}, Θ̂(*,X) {:?}, f₀(X) {}, f₀(*) {}, Y {}",
                ntk_train.shape(),
                ntk_test_train.shape(),
                f0_train.len(),
                f0_test.len(),
                n
            )));
        }
        let all = ntk_train.iter().chain(ntk_test_train.iter()).chain(f0_train.iter()).chain(f0_test.iter());
        if let Some(&v) = all.chain(y_train.iter()).find(|v| !v.is_finite()) {
            return Err(LinearizedError::NotFinite { what: "kernel, outputs and targets", value: v });
        }
        for (what, v) in [("learning rate", learning_rate), ("momentum", momentum)] {
            if !v.is_finite() {
                return Err(LinearizedError::NotFinite { what, value: v });
            }
        }
        let sym = (ntk_train + ntk_train.transpose()) * 0.5;
        let eig = SymmetricEigen::new(sym);
        let r0 = eig.eigenvectors.transpose() * (f0_train - y_train);
        let test_basis = ntk_test_train * &eig.eigenvectors;
        Ok(Linearized {
            eigvecs: eig.eigenvectors,
            eigvals: eig.eigenvalues,
            r0,
            y: y_train.clone(),
            test_basis,
            f0_test: f0_test.clone(),
            learning_rate,
            momentum,
        })
    }

    /// Number of training points N.
    pub fn n_train(&self) -> usize {
        self.y.len()
    }

    /// Outputs after k plain gradient-descent steps (paper Eq. 9–11, discrete GD, mean-loss
    /// convention): train `Y + V (1 − ηλ/N)^k Vᵀ(f₀ − Y)`, test `f₀(*) − Θ̂₀(*,X) V g_k(Λ) Vᵀ(f₀ − Y)`.
    /// Ignores the momentum (see [`Linearized::trajectory`]).
    pub fn at_step(&self, k: u64) -> LinearOutputs {
        let n = self.n_train() as f64;
        let decay = DVector::from_iterator(
            self.eigvals.len(),
            self.eigvals
                .iter()
                .zip(self.r0.iter())
                .map(|(&l, &r)| power_decay(self.learning_rate * l / n, k) * r),
        );
        let g = DVector::from_iterator(
            self.eigvals.len(),
            self.eigvals.iter().zip(self.r0.iter()).map(|(&l, &r)| growth(self.learning_rate, l, n, k) * r),
        );
        LinearOutputs { train: &self.y + &self.eigvecs * decay, test: &self.f0_test - &self.test_basis * g }
    }

    /// Outputs at each step of `steps` (ascending). Plain gradient descent uses the closed form
    /// [`Linearized::at_step`]; with momentum β ≠ 0 the recursion of paper Eq. S2 is iterated in
    /// the eigenbasis: residual `r_{i+1} = (1 + β − ηλ/N) r_i − β r_{i−1}` and test
    /// displacement `f(*) = f₀(*) + Θ̂₀(*,X) V q`, `q_{i+1} = q_i − (η/N) r_i + β (q_i − q_{i−1})`.
    pub fn trajectory(&self, steps: &[u64]) -> Vec<LinearOutputs> {
        if self.momentum == 0.0 {
            return steps.iter().map(|&k| self.at_step(k)).collect();
        }
        let n = self.n_train() as f64;
        let (eta, beta) = (self.learning_rate, self.momentum);
        let m = self.eigvals.len();
        let (mut r, mut r_prev) = (self.r0.clone(), self.r0.clone());
        let (mut q, mut q_prev) = (DVector::zeros(m), DVector::zeros(m));
        let mut out = Vec::with_capacity(steps.len());
        let mut i = 0u64;
        for &k in steps {
            while i < k {
                for c in 0..m {
                    let (ri, qi) = (r[c], q[c]);
                    r[c] = (1.0 + beta - eta * self.eigvals[c] / n) * ri - beta * r_prev[c];
                    q[c] = qi - eta / n * ri + beta * (qi - q_prev[c]);
                    r_prev[c] = ri;
                    q_prev[c] = qi;
                }
                i += 1;
            }
            out.push(LinearOutputs {
                train: &self.y + &self.eigvecs * &r,
                test: &self.f0_test + &self.test_basis * &q,
            });
        }
        out
    }
}

/// `(1 − u)^k` for any real u (sign of a negative base handled), via `exp(k ln(1 − u))` for
/// accuracy when u is tiny.
pub fn power_decay(u: f64, k: u64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let base = 1.0 - u;
    if base > 0.0 {
        (k as f64 * (-u).ln_1p()).exp()
    } else {
        let mag = (k as f64 * base.abs().ln()).exp();
        if k.is_multiple_of(2) {
            mag
        } else {
            -mag
        }
    }
}

/// `g_k(λ) = (1 − (1 − ηλ/N)^k)/λ`, evaluated stably (`−expm1(k ln1p(−u))/u · η/N` with
/// u = ηλ/N), and equal to its limit `kη/N` at λ = 0.
pub fn growth(eta: f64, lambda: f64, n: f64, k: u64) -> f64 {
    let u = eta * lambda / n;
    if u == 0.0 {
        return k as f64 * eta / n;
    }
    let one_minus_pow = if u < 1.0 { -(k as f64 * (-u).ln_1p()).exp_m1() } else { 1.0 - power_decay(u, k) };
    one_minus_pow / u * (eta / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_stable_and_has_the_right_limit() {
        // g_k(λ) → kη/N as λ → 0; for λ = 1e-14 the relative deviation is ~ kηλ/N ≈ 1e-11.
        let g = growth(0.1, 1e-14, 5.0, 1000);
        assert!((g - 1000.0 * 0.1 / 5.0).abs() < 1e-9 * g, "{g}");
        assert_eq!(growth(0.1, 0.0, 5.0, 7), 7.0 * 0.1 / 5.0);
        // Exact value for a moderate λ: (1 − (1 − 0.1)^3)/λ with u = ηλ/N = 0.1.
        let (eta, n, lambda) = (0.5, 2.0, 0.4);
        let expect = (1.0 - (0.9f64).powi(3)) / lambda;
        assert!((growth(eta, lambda, n, 3) - expect).abs() < 1e-14);
        // Negative base (u = 2.5): (1 − (−1.5)^3)/λ.
        let lambda = 10.0;
        let expect = (1.0 - (-1.5f64).powi(3)) / lambda;
        assert!((growth(eta, lambda, n, 3) - expect).abs() < 1e-12);
    }
}
