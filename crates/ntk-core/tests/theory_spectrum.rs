//! Per-mode dynamics of the train kernels (`theory::spectrum`) against the GP predictions of
//! `theory::gp` and against brute-force gradient descent on the linear model in function space.

use nalgebra::{DMatrix, DVector};
use ntk_core::theory::gp::{GpDynamics, TrainingTime};
use ntk_core::theory::kernels::kernels;
use ntk_core::theory::spectrum::{KernelSpectrum, TrainSpectra};
use ntk_core::{Activation, Architecture, Parameterization};

fn problem() -> (Architecture, DMatrix<f64>, DVector<f64>) {
    let arch = Architecture::new(3, Activation::Erf, 2.0, 0.1, Parameterization::Ntk).unwrap();
    let x = DMatrix::from_fn(9, 2, |i, j| (1.3 * i as f64 + 0.7 * j as f64).sin() * 1.5);
    let y = DVector::from_fn(9, |i, _| (0.9 * i as f64).cos() + 0.1 * i as f64);
    (arch, x, y)
}

/// Times of both kinds; the step counts use fractions of `η_max = 2N/λ_max` (stable).
fn times(eta_max: f64) -> Vec<TrainingTime> {
    vec![
        TrainingTime::Continuous(0.0),
        TrainingTime::Continuous(0.3),
        TrainingTime::Continuous(7.0),
        TrainingTime::Continuous(500.0),
        TrainingTime::Steps { steps: 1, learning_rate: 0.5 * eta_max },
        TrainingTime::Steps { steps: 40, learning_rate: 0.9 * eta_max },
        TrainingTime::Infinite,
    ]
}

/// |a − b|∞ ≤ tol · |Y|∞: both sides are O(N) flops over an orthogonal basis from one
/// eigendecomposition, so they agree to ≈ 1e-14; 1e-11 leaves room for the eigensolver's
/// rounding of the modes.
fn assert_close(a: &DVector<f64>, b: &DVector<f64>, scale: f64, what: &str) {
    let err = (a - b).amax();
    assert!(err <= 1e-11 * scale, "{what}: max difference {err}");
}

#[test]
fn per_mode_residuals_reproduce_the_gp_mean_on_the_training_set() {
    let (arch, x, y) = problem();
    for diag_reg in [0.0, 1e-3] {
        let spectra = TrainSpectra::compute(&arch, &x, &y, diag_reg).unwrap();
        let gp = GpDynamics::new(&arch, &x, &y, &x, diag_reg).unwrap();
        let eta_max = 2.0 * y.len() as f64 / spectra.ntk.eigenvalues[0];
        for t in times(eta_max) {
            let ntk_res = spectra.ntk.residual(t);
            assert_close(
                &ntk_res,
                &(gp.ntk_gp_marginal(t).mean - &y),
                y.amax(),
                &format!("NTK {t:?} reg {diag_reg}"),
            );
            let nngp_res = spectra.nngp.residual(t);
            assert_close(
                &nngp_res,
                &(gp.nngp_marginal(t).mean - &y),
                y.amax(),
                &format!("NNGP {t:?} reg {diag_reg}"),
            );
            // The mean's loss is the squared residual.
            let loss = spectra.ntk.at(t).mean_loss;
            assert!((loss - ntk_res.norm_squared() / 18.0).abs() <= 1e-12 * y.norm_squared());
        }
    }
}

/// The spectra a `GpDynamics` reports (the explorer's spectrum panel) are those of its own
/// eigendecompositions: equal to computing them afresh, and their residuals are its means.
#[test]
fn the_dynamics_report_their_own_spectra() {
    let (arch, x, y) = problem();
    let gp = GpDynamics::new(&arch, &x, &y, &x, 0.0).unwrap();
    let own = gp.spectra();
    assert_eq!(own, TrainSpectra::compute(&arch, &x, &y, 0.0).unwrap());
    let t = TrainingTime::Steps { steps: 25, learning_rate: 0.5 };
    assert_close(&own.ntk.residual(t), &(gp.ntk_gp_marginal(t).mean - &y), y.amax(), "own NTK modes");
}

#[test]
fn discrete_modes_match_brute_force_gradient_descent_in_function_space() {
    // The linear model's outputs under k steps of GD on L = 1/(2N) Σ (f − y)², from f₀ = 0:
    // f_{k+1} = f_k − (η/N) Θ (f_k − Y). Iterated directly, no eigendecomposition.
    let (arch, x, y) = problem();
    let theta = kernels(&arch, &x, &x).unwrap().ntk;
    let spectrum = KernelSpectrum::new(&theta, &y, 0.0).unwrap();
    let n = y.len() as f64;
    let eta = 1.5 * n / spectrum.eigenvalues[0]; // below η_max = 2N/λ_max
    let mut f = DVector::zeros(y.len());
    for k in 1..=200u64 {
        f -= &theta * (&f - &y) * (eta / n);
        if k % 20 == 0 || k < 4 {
            let modes = spectrum.residual(TrainingTime::Steps { steps: k, learning_rate: eta });
            // 200 steps of a contraction accumulate ≈ k·ε relative rounding: 1e-11 is ample.
            assert_close(&modes, &(&f - &y), y.amax(), &format!("step {k}"));
        }
    }
    // Each mode decays by (1 − ηλᵢ/N) per step.
    let at = |k| spectrum.at(TrainingTime::Steps { steps: k, learning_rate: eta }).remaining;
    for (i, (&a, &b)) in at(11).iter().zip(&at(10)).enumerate() {
        let ratio = 1.0 - eta * spectrum.eigenvalues[i] / n;
        assert!((a - b * ratio).abs() < 1e-13, "mode {i}: {a} vs {b}·{ratio}");
    }
}

#[test]
fn continuous_modes_match_the_matrix_exponential() {
    // Gradient flow: μ_t − Y = −e^{−Θt/N} Y, with e^{·} by nalgebra's Padé scaling-and-squaring.
    let (arch, x, y) = problem();
    let theta = kernels(&arch, &x, &x).unwrap().ntk;
    let spectrum = KernelSpectrum::new(&theta, &y, 0.0).unwrap();
    let n = y.len() as f64;
    for t in [0.1, 2.0, 30.0] {
        let direct = -(&theta * (-t / n)).exp() * &y;
        assert_close(&spectrum.residual(TrainingTime::Continuous(t)), &direct, y.amax(), &format!("t = {t}"));
        let remaining = spectrum.at(TrainingTime::Continuous(t)).remaining;
        for (d, &l) in remaining.iter().zip(&spectrum.eigenvalues) {
            assert!((d - (-l * t / n).exp()).abs() < 1e-14, "{d} vs e^(−{l}·{t}/N)");
        }
    }
}

#[test]
fn modes_are_sorted_orthonormal_and_rebuild_the_kernel() {
    let (arch, x, y) = problem();
    let theta = kernels(&arch, &x, &x).unwrap().ntk;
    let s = KernelSpectrum::new(&theta, &y, 0.0).unwrap();
    assert!(s.eigenvalues.windows(2).all(|w| w[0] >= w[1]));
    let v = DMatrix::from_fn(9, 9, |i, j| s.eigenvectors[j][i]);
    let rebuilt = &v * DMatrix::from_diagonal(&DVector::from_vec(s.eigenvalues.clone())) * v.transpose();
    assert!((rebuilt - &theta).amax() < 1e-12 * theta.amax());
    assert!((v.transpose() * &v - DMatrix::identity(9, 9)).amax() < 1e-13);
    // Parseval: the projections carry the whole target.
    let energy: f64 = s.target_projection.iter().map(|p| p * p).sum();
    assert!((energy - y.norm_squared()).abs() < 1e-12 * y.norm_squared());
    assert_eq!(s.jitter, 0.0);
    let kappa = s.condition_number.unwrap();
    assert!((kappa - s.eigenvalues[0] / s.eigenvalues[8]).abs() <= 1e-15 * kappa);
    assert!(s
        .timescales()
        .iter()
        .zip(&s.eigenvalues)
        .all(|(t, l)| (t.unwrap() - 9.0 / l).abs() < 1e-12 * t.unwrap()));
}

#[test]
fn a_duplicated_point_is_a_null_mode_with_jitter_reported() {
    let (arch, mut x, mut y) = problem();
    let last = x.nrows() - 1;
    x.set_row(last, &x.row(0).clone_owned());
    y[last] = y[0] + 0.5; // conflicting targets
    let spectra = TrainSpectra::compute(&arch, &x, &y, 0.0).unwrap();
    let s = &spectra.ntk;
    assert_eq!(s.null_modes.iter().filter(|&&z| z).count(), 1);
    assert!(*s.null_modes.last().unwrap(), "the null mode is the smallest");
    assert!(s.jitter > 0.0);
    assert_eq!(s.condition_number, None);
    assert!(s.regularized_condition_number.is_finite());
    // The GP agrees at t = ∞ (pseudo-inverse): the duplicated pair is fitted at its average.
    let gp = GpDynamics::new(&arch, &x, &y, &x, 0.0).unwrap();
    let res = s.residual(TrainingTime::Infinite);
    assert_close(&res, &(gp.ntk_gp_marginal(TrainingTime::Infinite).mean - &y), y.amax(), "∞");
    assert!((res[0] - 0.25).abs() < 1e-9 && (res[last] + 0.25).abs() < 1e-9, "{res}");
}

#[test]
fn bad_inputs_are_typed_errors() {
    let k = DMatrix::identity(3, 3);
    assert!(KernelSpectrum::new(&k, &DVector::zeros(2), 0.0).is_err());
    assert!(KernelSpectrum::new(&k, &DVector::from_element(3, f64::NAN), 0.0).is_err());
    assert!(KernelSpectrum::new(&k, &DVector::zeros(3), -1.0).is_err());
    assert!(KernelSpectrum::new(&DMatrix::zeros(3, 2), &DVector::zeros(3), 0.0).is_err());
    let mut bad = k.clone();
    bad[(0, 1)] = f64::INFINITY;
    assert!(KernelSpectrum::new(&bad, &DVector::zeros(3), 0.0).is_err());
}
