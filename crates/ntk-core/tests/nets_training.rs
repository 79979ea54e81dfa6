//! One training step for every model (network, linearization in parameter space, kernel model):
//! cross-entropy gradients against finite differences, the linearization against an
//! independent brute-force Jacobian and against the closed form of MSE training, minibatches
//! of size N against full-batch descent bit for bit, and the three models' agreement under
//! cross-entropy and SGD with momentum.

#![allow(clippy::needless_range_loop)] // index loops over parallel vectors read like the formulas

use nalgebra::{DMatrix, DVector};
use ntk_core::nets::empirical_ntk::JacobianFactors;
use ntk_core::nets::kernel_model::KernelModel;
use ntk_core::nets::linear_model::LinearModel;
use ntk_core::nets::linearized::Linearized;
use ntk_core::nets::loss::Loss;
use ntk_core::nets::mlp::Mlp;
use ntk_core::nets::train::{TrainOptions, Trainer};
use ntk_core::rng::Normal;
use ntk_core::{Activation, Architecture, Parameterization};

/// n points in d dimensions and their ±1 labels (the sign of a fixed linear function).
fn labelled(n: usize, d: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut r = Normal::new(seed);
    let x: Vec<f64> = (0..n * d).map(|_| r.sample()).collect();
    let y = x.chunks(d).map(|p| if p[0] - 0.5 * p[d - 1] + 0.1 >= 0.0 { 1.0 } else { -1.0 }).collect();
    (x, y)
}

fn arch(act: Activation, param: Parameterization) -> Architecture {
    Architecture::new(2, act, 1.7, 0.3, param).unwrap()
}

/// Central differences with h = 1e-6 (truncation ≈ 1e-12, rounding ≈ 1e-10): the same
/// tolerances as the MSE gradient test, 1e-7 absolute + 1e-6 relative.
const FD_STEP: f64 = 1e-6;
const FD_ABS: f64 = 1e-7;
const FD_REL: f64 = 1e-6;

/// The gradient a model's first step applies, recovered from the step itself:
/// `∇L = (θ₀ − θ₁)/η` (plain descent, η = 1e-3: the subtraction loses ~3 digits, 1e-13).
fn applied_gradient(before: &[f64], after: &[f64], eta: f64) -> Vec<f64> {
    before.iter().zip(after).map(|(a, b)| (a - b) / eta).collect()
}

#[test]
fn cross_entropy_gradients_of_network_and_linearization_match_finite_differences() {
    let (x, y) = labelled(4, 2, 3);
    let eta = 1e-3;
    let opts = TrainOptions { loss: Loss::Xent, ..TrainOptions::gd(eta) };
    for act in [Activation::Tanh, Activation::Erf, Activation::Relu] {
        for param in [Parameterization::Ntk, Parameterization::Standard] {
            let net = Mlp::<f64>::new(&arch(act, param), 2, 6, 9).unwrap();
            let theta = net.params();
            let loss_at = |t: &[f64]| {
                let mut m = net.clone();
                m.set_params(t).unwrap();
                Loss::Xent.mean(&m.forward(&x, 4), &y)
            };
            let mut trainer = Trainer::network(net.clone(), &x, &y, opts).unwrap();
            trainer.step();
            let grad = applied_gradient(&theta, &trainer.net().params(), eta);
            // The linearization's gradient at Δ = 0 is the network's (J₀ᵀ g at θ₀).
            let mut lin = Trainer::new(LinearModel::new(net.clone(), &x, false).unwrap(), &y, opts).unwrap();
            lin.step();
            let lin_grad = applied_gradient(&theta, &lin.model().params(), eta);
            for p in 0..theta.len() {
                let mut t = theta.clone();
                t[p] += FD_STEP;
                let up = loss_at(&t);
                t[p] -= 2.0 * FD_STEP;
                let fd = (up - loss_at(&t)) / (2.0 * FD_STEP);
                let tol = FD_ABS + FD_REL * fd.abs();
                assert!(
                    (fd - grad[p]).abs() <= tol,
                    "{act} {param} network p={p}: fd {fd}, step {}",
                    grad[p]
                );
                assert!(
                    (fd - lin_grad[p]).abs() <= tol,
                    "{act} {param} linear p={p}: fd {fd}, step {}",
                    lin_grad[p]
                );
            }
        }
    }
}

/// `∂f(x)/∂θ_p` of every point by central differences of the f64 network (h = 1e-5:
/// truncation ≈ 1e-10·f''', rounding ≈ 1e-11): P forward passes each way, no backpropagation.
fn brute_force_jacobian(net: &Mlp<f64>, x: &[f64], n: usize) -> DMatrix<f64> {
    let theta = net.params();
    let h = 1e-5;
    let mut jac = DMatrix::zeros(n, theta.len());
    let mut m = net.clone();
    for p in 0..theta.len() {
        let mut t = theta.clone();
        t[p] = theta[p] + h;
        m.set_params(&t).unwrap();
        let up = m.forward(x, n);
        t[p] = theta[p] - h;
        m.set_params(&t).unwrap();
        let down = m.forward(x, n);
        for i in 0..n {
            jac[(i, p)] = (up[i] - down[i]) / (2.0 * h);
        }
    }
    jac
}

/// After training with cross-entropy, SGD and momentum, the linearized model's outputs on
/// training and test points equal f₀ + J₀(θ − θ₀) with J₀ by brute-force finite differences
/// and θ its own parameters. Tolerance 1e-6: the Jacobian's error (≈ 1e-9 per entry) times
/// ‖θ − θ₀‖₁ (≈ 10² here).
#[test]
fn trained_linearization_is_f0_plus_jacobian_times_displacement() {
    let (x, y) = labelled(8, 2, 4);
    let (x_test, _) = labelled(5, 2, 5);
    let net = Mlp::<f64>::new(&arch(Activation::Tanh, Parameterization::Ntk), 2, 7, 2).unwrap();
    let opts = TrainOptions {
        loss: Loss::Xent,
        momentum: 0.8,
        batch_size: Some(3),
        batch_seed: 11,
        ..TrainOptions::gd(0.5)
    };
    let mut lin = Trainer::new(LinearModel::new(net.clone(), &x, false).unwrap(), &y, opts).unwrap();
    for _ in 0..60 {
        lin.step();
    }
    let theta0 = DVector::from_vec(net.params());
    let theta = DVector::from_vec(lin.model().params());
    let displacement = &theta - &theta0;
    assert!(displacement.norm() > 0.1, "the linearization barely moved: {}", displacement.norm());
    for (points, n) in [(&x, 8), (&x_test, 5)] {
        let expect =
            DVector::from_vec(net.forward(points, n)) + brute_force_jacobian(&net, points, n) * &displacement;
        let got = lin.model().outputs_on(&lin.model().tangents(points).unwrap());
        for i in 0..n {
            assert!((got[i] - expect[i]).abs() < 1e-6, "point {i}: {} vs {}", got[i], expect[i]);
        }
    }
}

/// For MSE under full-batch descent (with and without momentum) the linearization trained step
/// by step, and the kernel model with Θ̂₀, equal the closed form of paper Eq. 8–11 (and S2) —
/// three computations, one dynamics — to 1e-9 (f64 rounding over 200 steps).
#[test]
fn direct_linearization_equals_the_closed_form_for_mse() {
    let mut r = Normal::new(6);
    let x: Vec<f64> = (0..6).map(|_| r.sample()).collect();
    let y: Vec<f64> = x.iter().map(|v| v.sin()).collect();
    let x_test: Vec<f64> = (0..4).map(|i| -1.5 + i as f64).collect();
    let net = Mlp::<f64>::new(&arch(Activation::Erf, Parameterization::Ntk), 1, 16, 3).unwrap();
    let fac = JacobianFactors::new(&net, &x, 6);
    let fac_test = JacobianFactors::new(&net, &x_test, 4);
    let (k, k_test) = (fac.ntk(&fac), fac_test.ntk(&fac));
    for (eta, beta) in [(0.3, 0.0), (0.1, 0.9)] {
        let closed = Linearized::new(
            &k,
            &k_test,
            &DVector::from_vec(fac.outputs.clone()),
            &DVector::from_vec(fac_test.outputs.clone()),
            &DVector::from_vec(y.clone()),
            eta,
            beta,
        )
        .unwrap();
        let opts = TrainOptions { momentum: beta, ..TrainOptions::gd(eta) };
        let mut lin = Trainer::new(LinearModel::new(net.clone(), &x, false).unwrap(), &y, opts).unwrap();
        let kernel =
            KernelModel::new(k.clone(), k_test.clone(), fac.outputs.clone(), fac_test.outputs.clone())
                .unwrap();
        let mut kern = Trainer::new(kernel, &y, opts).unwrap();
        let test_tangents = lin.model().tangents(&x_test).unwrap();
        let steps = [0u64, 1, 7, 50, 200];
        let want = closed.trajectory(&steps);
        let mut k_done = 0;
        for (&step, w) in steps.iter().zip(&want) {
            while k_done < step {
                lin.step();
                kern.step();
                k_done += 1;
            }
            let lin_train = lin.model().train_outputs();
            let lin_test = lin.model().outputs_on(&test_tangents);
            for i in 0..6 {
                assert!(
                    (lin_train[i] - w.train[i]).abs() < 1e-9,
                    "β={beta} k={step} train {i}: {} vs {}",
                    lin_train[i],
                    w.train[i]
                );
                assert!(
                    (kern.model().train_outputs()[i] - w.train[i]).abs() < 1e-9,
                    "kernel model β={beta} k={step}"
                );
            }
            for i in 0..4 {
                assert!(
                    (lin_test[i] - w.test[i]).abs() < 1e-9,
                    "β={beta} k={step} test {i}: {} vs {}",
                    lin_test[i],
                    w.test[i]
                );
                assert!(
                    (kern.model().test_outputs()[i] - w.test[i]).abs() < 1e-9,
                    "kernel model β={beta} k={step}"
                );
            }
        }
    }
}

/// A batch of all N points is full-batch descent, bit for bit, for the network and its
/// linearization (f32, momentum, cross-entropy; and read-out-only for the network).
#[test]
fn sgd_with_batch_size_n_is_full_batch_descent_bit_for_bit() {
    let (x, y) = labelled(9, 2, 8);
    let a = arch(Activation::Erf, Parameterization::Ntk);
    for (loss, momentum, readout_only) in
        [(Loss::Mse, 0.0, false), (Loss::Xent, 0.9, false), (Loss::Mse, 0.5, true)]
    {
        let full = TrainOptions { loss, momentum, readout_only, ..TrainOptions::gd(0.4) };
        let sgd = TrainOptions { batch_size: Some(9), batch_seed: 77, ..full };
        let net = Mlp::<f32>::new(&a, 2, 33, 5).unwrap();
        let mut t_full = Trainer::network(net.clone(), &x, &y, full).unwrap();
        let mut t_sgd = Trainer::network(net.clone(), &x, &y, sgd).unwrap();
        let mut l_full =
            Trainer::new(LinearModel::new(net.clone(), &x, readout_only).unwrap(), &y, full).unwrap();
        let mut l_sgd = Trainer::new(LinearModel::new(net, &x, readout_only).unwrap(), &y, sgd).unwrap();
        for _ in 0..40 {
            assert_eq!(t_full.step().to_bits(), t_sgd.step().to_bits());
            assert_eq!(l_full.step().to_bits(), l_sgd.step().to_bits());
        }
        let bits = |v: Vec<f32>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(t_full.net().params()), bits(t_sgd.net().params()), "{loss} β={momentum}");
        assert_eq!(bits(l_full.model().params()), bits(l_sgd.model().params()), "{loss} β={momentum}");
    }
}

/// Under cross-entropy and SGD with momentum, the linearization in parameter space and the
/// kernel model with Θ̂₀ (function space) follow one trajectory — which needs the same
/// minibatch sequence — to 1e-9 (f64), on training and test points.
#[test]
fn parameter_and_function_space_linearizations_agree_under_sgd() {
    let (x, y) = labelled(10, 3, 12);
    let (x_test, _) = labelled(6, 3, 13);
    let net = Mlp::<f64>::new(&arch(Activation::Relu, Parameterization::Standard), 3, 12, 4).unwrap();
    let fac = JacobianFactors::new(&net, &x, 10);
    let fac_test = JacobianFactors::new(&net, &x_test, 6);
    let opts = TrainOptions {
        loss: Loss::Xent,
        momentum: 0.9,
        batch_size: Some(4),
        batch_seed: 5,
        ..TrainOptions::gd(0.05)
    };
    let mut lin = Trainer::new(LinearModel::new(net.clone(), &x, false).unwrap(), &y, opts).unwrap();
    let kernel =
        KernelModel::new(fac.ntk(&fac), fac_test.ntk(&fac), fac.outputs.clone(), fac_test.outputs.clone())
            .unwrap();
    let mut kern = Trainer::new(kernel, &y, opts).unwrap();
    let test_tangents = lin.model().tangents(&x_test).unwrap();
    for _ in 0..150 {
        let (a, b) = (lin.step(), kern.step());
        assert!((a - b).abs() < 1e-9, "batch losses {a} vs {b}");
        assert_eq!(lin.batch(), kern.batch());
    }
    let (lt, kt) = (lin.model().outputs_on(&test_tangents), kern.model().test_outputs().to_vec());
    for i in 0..6 {
        assert!((lt[i] - kt[i]).abs() < 1e-9, "test {i}: {} vs {}", lt[i], kt[i]);
    }
    // The run moved far from f₀ (a negative control for the comparison above).
    assert!((kt[0] - fac_test.outputs[0]).abs() > 0.1);
}

#[test]
fn bad_options_are_refused_with_the_value() {
    let (x, y) = labelled(5, 2, 1);
    let net = Mlp::<f32>::new(&arch(Activation::Erf, Parameterization::Ntk), 2, 4, 0).unwrap();
    let err =
        |opts: TrainOptions, y: &[f64]| Trainer::network(net.clone(), &x, y, opts).unwrap_err().to_string();
    assert!(err(TrainOptions { batch_size: Some(6), ..TrainOptions::gd(0.1) }, &y)
        .contains("between 1 and the number of training points (5), got 6"));
    assert!(err(TrainOptions { momentum: 1.0, ..TrainOptions::gd(0.1) }, &y)
        .contains("momentum must be in [0, 1), got 1"));
    assert!(err(TrainOptions::gd(-0.1), &y).contains("got -0.1"));
    let real_targets = [0.5, 1.0, -1.0, 1.0, 1.0];
    assert!(err(TrainOptions { loss: Loss::Xent, ..TrainOptions::gd(0.1) }, &real_targets)
        .contains("target 0 is 0.5"));
}
