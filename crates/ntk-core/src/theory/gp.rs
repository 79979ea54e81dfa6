//! Gaussian-process predictions of infinitely wide networks at any training time (paper
//! Eq. 13–16 and SM D, rewritten for the mean loss `L = 1/(2N) Σ (f(xᵢ) − yᵢ)²`; docs/MATH.md).
//!
//! NTK-GP (every layer trained), with `A(t) = Θ(*,X) Θ⁻¹ (I − e^{−Θt/N})`:
//! `mean = A Y`, `cov = K(*,*) + A K Aᵀ − A K(X,*) − K(*,X) Aᵀ` (Eq. 14–15).
//!
//! NNGP (readout trained): `mean = K(*,X) K⁻¹ (I − e^{−Kt/N}) Y`,
//! `cov = K(*,*) − K(*,X) K⁻¹ (I − e^{−2Kt/N}) K(X,*)` (Eq. 13, S22–S23).
//!
//! As in neural-tangents' `predict.py`, [`GpDynamics::new`] computes the kernels and
//! eigendecomposes the symmetric train kernels once; a time then enters only through scalar
//! functions of the eigenvalues, so predictions and loss curves at many times are cheap.

use std::sync::OnceLock;

use nalgebra::{DMatrix, DVector, SymmetricEigen};

use crate::arch::Architecture;
use crate::theory::kernels::{kernel_diagonal, kernels, KernelError, KernelPair};
use crate::theory::landmarks::LearningRateLandmarks;

/// When to read off the trained ensemble.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TrainingTime {
    /// Gradient flow for time t = η·k (`e^{−Θt/N}`); `+∞` is the same as [`TrainingTime::Infinite`].
    Continuous(f64),
    /// `steps` steps of full-batch gradient descent with learning rate η
    /// (`(I − ηΘ/N)^k` in place of `e^{−Θt/N}`).
    Steps {
        /// number of steps k
        steps: u64,
        /// learning rate η
        learning_rate: f64,
    },
    /// The end of training (`e^{−Θt/N} → 0`): for the NNGP the exact Bayesian posterior.
    Infinite,
}

impl TrainingTime {
    /// Checks that the time is ≥ 0 (or +∞) and a learning rate finite and > 0.
    ///
    /// # Errors
    /// [`GpError::BadTime`] with the offending value. (Unchecked times are still safe: the
    /// predictors treat a negative or NaN time as 0.)
    pub fn validate(&self) -> Result<(), GpError> {
        match *self {
            TrainingTime::Continuous(t) if t.is_nan() || t < 0.0 => {
                Err(GpError::BadTime(format!("time must be ≥ 0, got {t}")))
            }
            TrainingTime::Steps { learning_rate, .. }
                if !(learning_rate.is_finite() && learning_rate > 0.0) =>
            {
                Err(GpError::BadTime(format!("learning rate must be finite and > 0, got {learning_rate}")))
            }
            _ => Ok(()),
        }
    }

    /// The continuous time `t = η·k` this corresponds to (`None` for the end of training).
    pub fn time(&self) -> Option<f64> {
        match *self {
            TrainingTime::Continuous(t) if t == f64::INFINITY => None,
            TrainingTime::Continuous(t) => Some(t),
            TrainingTime::Steps { steps, learning_rate } => Some(steps as f64 * learning_rate),
            TrainingTime::Infinite => None,
        }
    }

    /// `(1 − d(λ)^p)/λ` where `d(λ) = e^{−λt/N}` (continuous) or `(1 − ηλ/N)^k` (steps) and
    /// `p` ∈ {1, 2}; computed with expm1/ln1p so that tiny λ lose no digits. λ > 0.
    pub(crate) fn filter(&self, lambda: f64, n: f64, p: u32) -> f64 {
        let pf = f64::from(p);
        match *self {
            TrainingTime::Infinite => 1.0 / lambda,
            TrainingTime::Continuous(t) if t == f64::INFINITY => 1.0 / lambda,
            TrainingTime::Continuous(t) => {
                if t.is_nan() || t <= 0.0 {
                    0.0
                } else {
                    -(-pf * lambda * t / n).exp_m1() / lambda
                }
            }
            TrainingTime::Steps { steps, learning_rate } => {
                if steps == 0 || learning_rate.is_nan() || learning_rate <= 0.0 {
                    return 0.0;
                }
                let r = learning_rate * lambda / n;
                let k = pf * steps as f64;
                if r < 1.0 {
                    -(k * (-r).ln_1p()).exp_m1() / lambda
                } else {
                    (1.0 - (1.0 - r).powf(k)) / lambda
                }
            }
        }
    }
}

/// Mean and full covariance of the ensemble's outputs on the test points.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// `E[f(x*)]`
    pub mean: DVector<f64>,
    /// `Cov[f(x*), f(x*')]`
    pub cov: DMatrix<f64>,
}

impl Prediction {
    /// The marginal variances (diagonal of `cov`), with rounding-level negatives set to 0.
    pub fn var(&self) -> DVector<f64> {
        self.cov.diagonal().map(|v| v.max(0.0))
    }
}

/// Mean and marginal variance only (O(M·N²) rather than O(M²·N) per time).
#[derive(Clone, Debug, PartialEq)]
pub struct MarginalPrediction {
    /// `E[f(x*)]`
    pub mean: DVector<f64>,
    /// `Var[f(x*)]` (rounding-level negatives set to 0)
    pub var: DVector<f64>,
}

/// Expected loss `E[L] = 1/(2M) Σ_m ((E f(x_m) − y_m)² + Var f(x_m))` of the ensemble.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExpectedLoss {
    /// on the training set (y = the training targets)
    pub train: f64,
    /// on the test set, if test targets were given
    pub test: Option<f64>,
}

/// Expected train and test loss of both GPs at many times.
#[derive(Clone, Debug, PartialEq)]
pub struct LossCurves {
    /// the times, as given
    pub times: Vec<TrainingTime>,
    /// NTK-GP losses, one per time
    pub ntk: Vec<ExpectedLoss>,
    /// NNGP losses, one per time
    pub nngp: Vec<ExpectedLoss>,
}

/// Where the model's function starts: a draw from the prior (the paper's networks), or zero
/// (the centred output `α (f − f₀)`), which drops every variance term of the expected losses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    Prior,
    Zero,
}

impl Start {
    /// The weight of the prior's variance in the losses.
    fn prior(self) -> f64 {
        match self {
            Start::Prior => 1.0,
            Start::Zero => 0.0,
        }
    }
}

/// What was added to the train kernels' diagonals before inverting them.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Regularization {
    /// the user's diagonal regularizer, added to both Θ(X,X) and K(X,X)
    pub diag_reg: f64,
    /// extra jitter added to Θ(X,X) because its smallest eigenvalue was ≤ N·ε·λ_max
    pub ntk_jitter: f64,
    /// extra jitter added to K(X,X) for the same reason
    pub nngp_jitter: f64,
}

impl Regularization {
    /// Whether anything was added at all.
    pub fn is_applied(&self) -> bool {
        self.diag_reg > 0.0 || self.ntk_jitter > 0.0 || self.nngp_jitter > 0.0
    }
}

/// Why the GP dynamics could not be set up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GpError {
    /// The kernels could not be computed.
    #[error(transparent)]
    Kernel(#[from] KernelError),
    /// Targets and points differ in number.
    #[error("expected {expected} targets (one per point), got {got}")]
    TargetLength {
        /// number of points
        expected: usize,
        /// number of targets
        got: usize,
    },
    /// A target is NaN or infinite.
    #[error("target {index} is not a finite number ({value})")]
    NonFiniteTarget {
        /// 0-based index
        index: usize,
        /// the value
        value: f64,
    },
    /// Kernel matrices of inconsistent shapes were supplied.
    #[error("kernel shapes do not fit: {0}")]
    Shape(String),
    /// The diagonal regularizer is negative or not finite.
    #[error("the diagonal regularizer must be finite and ≥ 0, got {0}")]
    BadRegularization(f64),
    /// A train kernel has a NaN or infinite entry (e.g. overflow at extreme depth/σ_w²).
    #[error("the {0} train kernel has non-finite entries (overflow? try a smaller depth or σ_w²)")]
    NonFiniteKernel(&'static str),
    /// The symmetric eigensolver did not converge.
    #[error("the eigendecomposition of the {0} train kernel did not converge")]
    Decomposition(&'static str),
    /// An invalid training time.
    #[error("{0}")]
    BadTime(String),
}

/// A train kernel in its eigenbasis: `M = V diag(base) Vᵀ`; `vals = base + diag_reg + jitter`;
/// `cut[i]` marks the modes whose `base + diag_reg` lies below the pseudo-inverse cut-off
/// (shared with [`crate::theory::spectrum`], so that its per-mode dynamics are the GP's).
#[derive(Clone, Debug)]
pub(crate) struct Eigen {
    pub(crate) base: DVector<f64>,
    pub(crate) vals: DVector<f64>,
    pub(crate) vecs: DMatrix<f64>,
    pub(crate) jitter: f64,
    pub(crate) cut: Vec<bool>,
}

impl Eigen {
    pub(crate) fn new(m: &DMatrix<f64>, diag_reg: f64, which: &'static str) -> Result<Eigen, GpError> {
        if m.iter().any(|v| !v.is_finite()) {
            return Err(GpError::NonFiniteKernel(which));
        }
        let eig =
            SymmetricEigen::try_new(m.clone(), f64::EPSILON, 100_000).ok_or(GpError::Decomposition(which))?;
        let base = eig.eigenvalues;
        let n = base.len() as f64;
        let shifted = base.add_scalar(diag_reg);
        let (lmin, lmax) = (shifted.min(), shifted.max());
        // The pseudo-inverse cut-off (as numpy's pinv): below it an eigenvalue is rounding noise.
        let floor = (lmax.abs() * n * f64::EPSILON).max(f64::MIN_POSITIVE.sqrt());
        let jitter = if lmin < floor { floor - lmin } else { 0.0 };
        let cut = shifted.iter().map(|&l| l < floor).collect();
        Ok(Eigen { vals: shifted.add_scalar(jitter), base, vecs: eig.eigenvectors, jitter, cut })
    }

    /// [`TrainingTime::filter`] of every mode. At t = ∞ a cut mode contributes 0 instead of
    /// 1/(jitter): the pseudo-inverse (as numpy's pinv). Such a mode is a (numerical) null
    /// direction of the kernel, which gradient flow never moves, so this is also the limit of
    /// the finite-time dynamics; inverting it would multiply the rounding noise of the cross
    /// kernel's null column by 1/jitter.
    pub(crate) fn filter(&self, time: &TrainingTime, p: u32) -> DVector<f64> {
        let n = self.vals.len() as f64;
        let infinite = time.time().is_none();
        DVector::from_iterator(
            self.vals.len(),
            self.vals
                .iter()
                .zip(&self.cut)
                .map(|(&l, &cut)| if infinite && cut { 0.0 } else { time.filter(l, n, p) }),
        )
    }
}

/// The test prior K(*,*): its diagonal always, the full matrix on first use.
#[derive(Debug)]
enum TestPrior {
    Full(DMatrix<f64>),
    Lazy { arch: Architecture, x_test: DMatrix<f64>, full: OnceLock<DMatrix<f64>> },
}

/// NNGP and NTK-GP dynamics for one train set and one test set: kernels computed and train
/// kernels eigendecomposed once; then [`GpDynamics::ntk_gp`], [`GpDynamics::nngp`], their
/// marginal versions and [`GpDynamics::loss_curves`] cost O(M·N) to O(M·N²) per time.
#[derive(Debug)]
pub struct GpDynamics {
    pub(crate) y: DVector<f64>,
    pub(crate) reg: Regularization,
    pub(crate) ntk: Eigen,
    pub(crate) nngp: Eigen,
    /// `Θ(*,X) V` (M×N)
    ntk_cross: DMatrix<f64>,
    /// `K(*,X) V` (M×N)
    nngp_cross_in_ntk_basis: DMatrix<f64>,
    /// `Vᵀ K(X,X) V` (N×N)
    nngp_in_ntk_basis: DMatrix<f64>,
    /// `Vᵀ Y`
    y_ntk: DVector<f64>,
    /// `K(*,X) U` (M×N)
    nngp_cross: DMatrix<f64>,
    /// `Uᵀ Y`
    y_nngp: DVector<f64>,
    /// diagonal of K(*,*)
    prior_var: DVector<f64>,
    prior: TestPrior,
    // Loss-curve precomputations (test set): B = Θ(*,X)V, C = K(*,X)V, P = K(*,X)U.
    /// `(Vᵀ K V) ⊙ (BᵀB)`
    ntk_var_quad: DMatrix<f64>,
    /// `BᵀB`
    ntk_gram: DMatrix<f64>,
    /// `hᵢ = Σ_m C_mi B_mi`
    ntk_var_lin: DVector<f64>,
    /// `PᵀP`
    nngp_gram: DMatrix<f64>,
}

fn check_targets(y: &DVector<f64>, n: usize) -> Result<(), GpError> {
    if y.len() != n {
        return Err(GpError::TargetLength { expected: n, got: y.len() });
    }
    if let Some((index, &value)) = y.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(GpError::NonFiniteTarget { index, value });
    }
    Ok(())
}

/// The kernels GP dynamics are built from (the expensive part of [`GpDynamics::new`]):
/// K and Θ on train×train (paper Eq. 13–15's 𝒦 and Θ), on test×train, and the prior
/// variances K(x*, x*) of the test points.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GpKernels {
    /// K(X, X) and Θ(X, X)
    pub train: KernelPair,
    /// K(X*, X) and Θ(X*, X)
    pub cross: KernelPair,
    /// K(x*, x*) per test point
    pub prior_var: DVector<f64>,
}

impl GpKernels {
    /// Computes the kernels of `arch` for training points `x_train` and test points `x_test`
    /// (one point per row).
    ///
    /// # Errors
    /// [`GpError`] for an invalid architecture or point sets, or non-finite kernels.
    pub fn compute(
        arch: &Architecture,
        x_train: &DMatrix<f64>,
        x_test: &DMatrix<f64>,
    ) -> Result<Self, GpError> {
        Ok(GpKernels {
            train: kernels(arch, x_train, x_train)?,
            cross: kernels(arch, x_test, x_train)?,
            prior_var: kernel_diagonal(arch, x_test)?.nngp,
        })
    }
}

impl GpDynamics {
    /// Computes K and Θ on train×train, test×train and the diagonal of test×test for `arch`
    /// (the full K(*,*) is computed on the first call that needs a full covariance), then
    /// eigendecomposes the train kernels. `diag_reg ≥ 0` is added to both train kernels'
    /// diagonals; if a train kernel is still numerically singular (smallest eigenvalue
    /// ≤ N·ε·λ_max), the minimal jitter that fixes it is added and reported by
    /// [`GpDynamics::regularization`]; at t = ∞ the modes below that cut-off are left out
    /// (pseudo-inverse), so a duplicated point with conflicting targets is predicted at their
    /// average and every other training point is still fitted.
    ///
    /// # Errors
    /// [`GpError`] for invalid architectures or point sets, a wrong number of targets,
    /// non-finite targets or kernels, or a negative regularizer.
    pub fn new(
        arch: &Architecture,
        x_train: &DMatrix<f64>,
        y_train: &DVector<f64>,
        x_test: &DMatrix<f64>,
        diag_reg: f64,
    ) -> Result<GpDynamics, GpError> {
        check_targets(y_train, x_train.nrows())?;
        let k = GpKernels::compute(arch, x_train, x_test)?;
        Self::from_gp_kernels(arch, x_test, &k, y_train, diag_reg)
    }

    /// As [`GpDynamics::new`] with the kernels already computed by [`GpKernels::compute`] for
    /// the same `arch`, training points and `x_test` (e.g. in a web worker: the kernels are
    /// the expensive part for activations evaluated by quadrature).
    ///
    /// # Errors
    /// As [`GpDynamics::new`], plus [`GpError::Shape`] when the kernels do not fit `x_test`
    /// and `y_train`.
    pub fn from_gp_kernels(
        arch: &Architecture,
        x_test: &DMatrix<f64>,
        k: &GpKernels,
        y_train: &DVector<f64>,
        diag_reg: f64,
    ) -> Result<GpDynamics, GpError> {
        let (n, m) = (k.train.nngp.nrows(), x_test.nrows());
        let shapes_ok = k.train.nngp.shape() == (n, n)
            && k.train.ntk.shape() == (n, n)
            && k.cross.nngp.shape() == (m, n)
            && k.cross.ntk.shape() == (m, n)
            && k.prior_var.len() == m;
        if !shapes_ok {
            return Err(GpError::Shape(format!(
                "train {:?}, test×train {:?}, {} prior variances for {m} test points",
                k.train.nngp.shape(),
                k.cross.nngp.shape(),
                k.prior_var.len()
            )));
        }
        check_targets(y_train, n)?;
        let prior = TestPrior::Lazy { arch: *arch, x_test: x_test.clone(), full: OnceLock::new() };
        Self::assemble(&k.train, &k.cross, k.prior_var.clone(), prior, y_train, diag_reg)
    }

    /// As [`GpDynamics::new`] from precomputed kernels: `train` on X×X, `test_train` on
    /// X*×X, and the NNGP kernel `test_test` K(X*, X*).
    ///
    /// # Errors
    /// As [`GpDynamics::new`], plus [`GpError::Shape`] for inconsistent shapes.
    pub fn from_kernels(
        train: &KernelPair,
        test_train: &KernelPair,
        test_test: DMatrix<f64>,
        y_train: &DVector<f64>,
        diag_reg: f64,
    ) -> Result<GpDynamics, GpError> {
        let n = train.nngp.nrows();
        let m = test_train.nngp.nrows();
        let shapes_ok = train.nngp.shape() == (n, n)
            && train.ntk.shape() == (n, n)
            && test_train.nngp.shape() == (m, n)
            && test_train.ntk.shape() == (m, n)
            && test_test.shape() == (m, m);
        if !shapes_ok {
            return Err(GpError::Shape(format!(
                "train {:?}/{:?}, test×train {:?}/{:?}, test×test {:?}",
                train.nngp.shape(),
                train.ntk.shape(),
                test_train.nngp.shape(),
                test_train.ntk.shape(),
                test_test.shape()
            )));
        }
        check_targets(y_train, n)?;
        let prior_var = test_test.diagonal();
        Self::assemble(train, test_train, prior_var, TestPrior::Full(test_test), y_train, diag_reg)
    }

    fn assemble(
        train: &KernelPair,
        cross: &KernelPair,
        prior_var: DVector<f64>,
        prior: TestPrior,
        y: &DVector<f64>,
        diag_reg: f64,
    ) -> Result<GpDynamics, GpError> {
        if !(diag_reg.is_finite() && diag_reg >= 0.0) {
            return Err(GpError::BadRegularization(diag_reg));
        }
        let ntk = Eigen::new(&train.ntk, diag_reg, "NTK")?;
        let nngp = Eigen::new(&train.nngp, diag_reg, "NNGP")?;
        let v = &ntk.vecs;
        let u = &nngp.vecs;
        let ntk_cross = &cross.ntk * v;
        let nngp_cross_in_ntk_basis = &cross.nngp * v;
        let nngp_in_ntk_basis = v.transpose() * &train.nngp * v;
        let nngp_cross = &cross.nngp * u;
        let ntk_gram = ntk_cross.transpose() * &ntk_cross;
        let ntk_var_quad = nngp_in_ntk_basis.component_mul(&ntk_gram);
        let ntk_var_lin = DVector::from_iterator(
            ntk_cross.ncols(),
            ntk_cross.column_iter().zip(nngp_cross_in_ntk_basis.column_iter()).map(|(b, c)| b.dot(&c)),
        );
        let nngp_gram = nngp_cross.transpose() * &nngp_cross;
        let reg = Regularization { diag_reg, ntk_jitter: ntk.jitter, nngp_jitter: nngp.jitter };
        Ok(GpDynamics {
            y_ntk: v.tr_mul(y),
            y_nngp: u.tr_mul(y),
            y: y.clone(),
            reg,
            ntk,
            nngp,
            ntk_cross,
            nngp_cross_in_ntk_basis,
            nngp_in_ntk_basis,
            nngp_cross,
            prior_var,
            prior,
            ntk_var_quad,
            ntk_gram,
            ntk_var_lin,
            nngp_gram,
        })
    }

    /// Number of training points N.
    pub fn n_train(&self) -> usize {
        self.y.len()
    }

    /// Number of test points M.
    pub fn n_test(&self) -> usize {
        self.prior_var.len()
    }

    /// The regularization added to the train kernels (user `diag_reg` plus any jitter).
    pub fn regularization(&self) -> Regularization {
        self.reg
    }

    /// Eigenvalues of the (regularized) train NTK Θ(X,X), ascending order not guaranteed.
    pub fn ntk_eigenvalues(&self) -> &DVector<f64> {
        &self.ntk.vals
    }

    /// Eigenvalues of the (regularized) train NNGP kernel K(X,X).
    pub fn nngp_eigenvalues(&self) -> &DVector<f64> {
        &self.nngp.vals
    }

    /// Learning-rate landmarks `η_max = 2N/λ_max`, `η_critical = 2N/(λ_min + λ_max)` of the
    /// train NTK used by the dynamics (docs/MATH.md; paper Theorem 2.1).
    pub fn landmarks(&self) -> LearningRateLandmarks {
        LearningRateLandmarks::from_eigenvalues(self.ntk.vals.as_slice(), self.n_train())
    }

    /// The full test prior covariance K(*,*) (computed on first use for [`GpDynamics::new`]).
    pub fn prior_cov(&self) -> &DMatrix<f64> {
        match &self.prior {
            TestPrior::Full(m) => m,
            TestPrior::Lazy { arch, x_test, full } => full.get_or_init(|| {
                // The same inputs already passed validation in `new`, so this cannot fail;
                // fall back to the diagonal rather than panic if it somehow did.
                kernels(arch, x_test, x_test)
                    .map(|k| k.nngp)
                    .unwrap_or_else(|_| DMatrix::from_diagonal(&self.prior_var))
            }),
        }
    }

    /// `E = B diag(g)` with `B = Θ(*,X)V` and the NTK filter g — so that `A(t) = E Vᵀ`.
    fn ntk_factor(&self, time: &TrainingTime) -> (DVector<f64>, DMatrix<f64>) {
        let g = self.ntk.filter(time, 1);
        let mut e = self.ntk_cross.clone();
        for (mut col, gi) in e.column_iter_mut().zip(g.iter()) {
            col *= *gi;
        }
        (g, e)
    }

    /// NTK-GP mean and full covariance at `time` (paper Eq. 14–15, mean-loss convention):
    /// `mean = A Y`, `cov = K(*,*) + A K Aᵀ − A K(X,*) − K(*,X) Aᵀ`,
    /// `A(t) = Θ(*,X) Θ⁻¹ (I − e^{−Θt/N})`, evaluated as `A = Θ(*,X) V diag(g) Vᵀ`.
    pub fn ntk_gp(&self, time: TrainingTime) -> Prediction {
        let (_, e) = self.ntk_factor(&time);
        let mean = &e * &self.y_ntk;
        let ek = &e * &self.nngp_in_ntk_basis;
        let cross = &e * self.nngp_cross_in_ntk_basis.transpose();
        let cov = self.prior_cov() + &ek * e.transpose() - &cross - cross.transpose();
        Prediction { mean, cov }
    }

    /// NTK-GP mean and marginal variances at `time` (paper Eq. 14–15; see [`GpDynamics::ntk_gp`]):
    /// `var_m = K(m,m) + (E K̃ Eᵀ)_mm − 2 (E Cᵀ)_mm`, `E = Θ(*,X)V diag(g)`, `K̃ = VᵀKV`,
    /// `C = K(*,X)V`.
    pub fn ntk_gp_marginal(&self, time: TrainingTime) -> MarginalPrediction {
        let (_, e) = self.ntk_factor(&time);
        let mean = &e * &self.y_ntk;
        let ek = &e * &self.nngp_in_ntk_basis;
        let var = DVector::from_iterator(
            e.nrows(),
            (0..e.nrows()).map(|m| {
                let quad = ek.row(m).dot(&e.row(m));
                let lin = e.row(m).dot(&self.nngp_cross_in_ntk_basis.row(m));
                (self.prior_var[m] + quad - 2.0 * lin).max(0.0)
            }),
        );
        MarginalPrediction { mean, var }
    }

    /// NNGP mean and full covariance at `time` (paper Eq. 13, S22–S23, mean-loss convention):
    /// `mean = K(*,X) K⁻¹ (I − e^{−Kt/N}) Y`, `cov = K(*,*) − K(*,X) K⁻¹ (I − e^{−2Kt/N}) K(X,*)`;
    /// at [`TrainingTime::Infinite`] the exact GP posterior.
    pub fn nngp(&self, time: TrainingTime) -> Prediction {
        let g1 = self.nngp.filter(&time, 1);
        let g2 = self.nngp.filter(&time, 2);
        let mean = &self.nngp_cross * g1.component_mul(&self.y_nngp);
        let mut scaled = self.nngp_cross.clone();
        for (mut col, gi) in scaled.column_iter_mut().zip(g2.iter()) {
            col *= *gi;
        }
        let cov = self.prior_cov() - scaled * self.nngp_cross.transpose();
        Prediction { mean, cov }
    }

    /// NNGP mean and marginal variances at `time` (see [`GpDynamics::nngp`]):
    /// `var_m = K(m,m) − Σᵢ P_mi² g2ᵢ` with `P = K(*,X)U`, `g2 = (1 − e^{−2μt/N})/μ`.
    pub fn nngp_marginal(&self, time: TrainingTime) -> MarginalPrediction {
        let g1 = self.nngp.filter(&time, 1);
        let g2 = self.nngp.filter(&time, 2);
        let mean = &self.nngp_cross * g1.component_mul(&self.y_nngp);
        let var = DVector::from_iterator(
            self.n_test(),
            self.nngp_cross.row_iter().enumerate().map(|(m, row)| {
                let explained: f64 = row.iter().zip(g2.iter()).map(|(p, g)| p * p * g).sum();
                (self.prior_var[m] - explained).max(0.0)
            }),
        );
        MarginalPrediction { mean, var }
    }

    /// Expected NTK-GP loss at `time` (O(N²), independent of M): on the train set
    /// `1/(2N) Σᵢ (1 − aᵢ)² (Ỹᵢ² + K̃ᵢᵢ)` with `aᵢ = λᵢ gᵢ`, `Ỹ = VᵀY`, `K̃ = VᵀKV`; on the test
    /// set `1/(2M) [|B v − y|² + Σ_m Var_m]` from precomputed Gram matrices.
    ///
    /// # Errors
    /// [`GpError::TargetLength`] / [`GpError::NonFiniteTarget`] for bad test targets.
    pub fn ntk_loss(
        &self,
        time: TrainingTime,
        y_test: Option<&DVector<f64>>,
    ) -> Result<ExpectedLoss, GpError> {
        if let Some(y) = y_test {
            check_targets(y, self.n_test())?;
        }
        Ok(self.ntk_loss_unchecked(&time, y_test, y_test.map(|y| self.ntk_cross.tr_mul(y)), Start::Prior))
    }

    fn ntk_loss_unchecked(
        &self,
        time: &TrainingTime,
        y_test: Option<&DVector<f64>>,
        bty: Option<DVector<f64>>,
        start: Start,
    ) -> ExpectedLoss {
        let prior = start.prior();
        let g = self.ntk.filter(time, 1);
        let n = self.n_train() as f64;
        let train: f64 = (0..g.len())
            .map(|i| {
                let one_minus_a = 1.0 - self.ntk.base[i] * g[i];
                one_minus_a
                    * one_minus_a
                    * (self.y_ntk[i].powi(2) + prior * self.nngp_in_ntk_basis[(i, i)].max(0.0))
            })
            .sum::<f64>()
            / (2.0 * n);
        let test = y_test.zip(bty).map(|(y, bty)| {
            let v = g.component_mul(&self.y_ntk);
            let sq = v.dot(&(&self.ntk_gram * &v)) - 2.0 * bty.dot(&v) + y.norm_squared();
            let var =
                self.prior_var.sum() + g.dot(&(&self.ntk_var_quad * &g)) - 2.0 * g.dot(&self.ntk_var_lin);
            (sq.max(0.0) + prior * var.max(0.0)) / (2.0 * self.n_test() as f64)
        });
        ExpectedLoss { train, test }
    }

    /// Expected NNGP loss at `time` (O(N²)): train `1/(2N) Σᵢ [(1 − μᵢg1ᵢ)² Ỹᵢ² + μᵢ(1 − μᵢ g2ᵢ)]`
    /// (μ the unregularized eigenvalues), test from `PᵀP` as for [`GpDynamics::ntk_loss`].
    ///
    /// # Errors
    /// As [`GpDynamics::ntk_loss`].
    pub fn nngp_loss(
        &self,
        time: TrainingTime,
        y_test: Option<&DVector<f64>>,
    ) -> Result<ExpectedLoss, GpError> {
        if let Some(y) = y_test {
            check_targets(y, self.n_test())?;
        }
        Ok(self.nngp_loss_unchecked(&time, y_test, y_test.map(|y| self.nngp_cross.tr_mul(y)), Start::Prior))
    }

    fn nngp_loss_unchecked(
        &self,
        time: &TrainingTime,
        y_test: Option<&DVector<f64>>,
        pty: Option<DVector<f64>>,
        start: Start,
    ) -> ExpectedLoss {
        let prior = start.prior();
        let g1 = self.nngp.filter(time, 1);
        let g2 = self.nngp.filter(time, 2);
        let n = self.n_train() as f64;
        let train: f64 = (0..g1.len())
            .map(|i| {
                let mu = self.nngp.base[i];
                let r = 1.0 - mu * g1[i];
                r * r * self.y_nngp[i].powi(2) + prior * (mu * (1.0 - mu * g2[i])).max(0.0)
            })
            .sum::<f64>()
            / (2.0 * n);
        let test = y_test.zip(pty).map(|(y, pty)| {
            let v = g1.component_mul(&self.y_nngp);
            let sq = v.dot(&(&self.nngp_gram * &v)) - 2.0 * pty.dot(&v) + y.norm_squared();
            let explained: f64 = (0..g2.len()).map(|i| g2[i] * self.nngp_gram[(i, i)]).sum();
            let var = self.prior_var.sum() - explained;
            (sq.max(0.0) + prior * var.max(0.0)) / (2.0 * self.n_test() as f64)
        });
        ExpectedLoss { train, test }
    }

    /// Expected train (and, with targets, test) losses of both GPs at every time in `times`,
    /// O(N²) per time after O(M·N) for the targets.
    ///
    /// # Errors
    /// As [`GpDynamics::ntk_loss`].
    pub fn loss_curves(
        &self,
        times: &[TrainingTime],
        y_test: Option<&DVector<f64>>,
    ) -> Result<LossCurves, GpError> {
        self.loss_curves_from(times, y_test, Start::Prior)
    }

    /// The losses of [`GpDynamics::loss_curves`] for a model started from `g₀ = 0` instead of
    /// a prior draw: Chizat's centred output `g = α (f − f₀)` (docs/MATH.md, "Chizat's output
    /// scale α"), whose infinite-width dynamics are deterministic — the GP means of Eq. 14 and
    /// Eq. 13 (`E f₀ = 0`, so the means are the same) with no variance. Train
    /// `1/(2N) Σᵢ (1 − aᵢ)² Ỹᵢ²`, test `1/(2M) |B v − y|²`: the losses above without their
    /// variance terms.
    ///
    /// # Errors
    /// As [`GpDynamics::ntk_loss`].
    pub fn loss_curves_from_zero(
        &self,
        times: &[TrainingTime],
        y_test: Option<&DVector<f64>>,
    ) -> Result<LossCurves, GpError> {
        self.loss_curves_from(times, y_test, Start::Zero)
    }

    fn loss_curves_from(
        &self,
        times: &[TrainingTime],
        y_test: Option<&DVector<f64>>,
        start: Start,
    ) -> Result<LossCurves, GpError> {
        if let Some(y) = y_test {
            check_targets(y, self.n_test())?;
        }
        let bty = y_test.map(|y| self.ntk_cross.tr_mul(y));
        let pty = y_test.map(|y| self.nngp_cross.tr_mul(y));
        Ok(LossCurves {
            times: times.to_vec(),
            ntk: times.iter().map(|t| self.ntk_loss_unchecked(t, y_test, bty.clone(), start)).collect(),
            nngp: times.iter().map(|t| self.nngp_loss_unchecked(t, y_test, pty.clone(), start)).collect(),
        })
    }
}
