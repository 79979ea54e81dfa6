//! Backpropagation and the training step of the finite network against finite differences and
//! against the plain gradient formula.

use ntk_core::nets::loss::mse_loss;
use ntk_core::nets::mlp::Mlp;
use ntk_core::nets::train::{TrainOptions, Trainer};
use ntk_core::rng::Normal;
use ntk_core::{Activation, Architecture, Parameterization};

const ACTS: [Activation; 9] = [
    Activation::Relu,
    Activation::LeakyRelu { slope: 0.2 },
    Activation::Erf,
    Activation::Identity,
    Activation::Sin,
    Activation::Gelu,
    Activation::Tanh,
    Activation::Softplus,
    Activation::Sigmoid,
];

fn data(n: usize, d: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut r = Normal::new(seed);
    ((0..n * d).map(|_| r.sample()).collect(), (0..n).map(|_| r.sample()).collect())
}

fn loss_at(net: &Mlp<f64>, x: &[f64], y: &[f64]) -> f64 {
    mse_loss(&net.forward(x, y.len()), y)
}

/// Central differences of L with step h = 1e-6: truncation O(h² L''') ≈ 1e-12, rounding
/// O(ε L/h) ≈ 1e-10, so a 1e-7 absolute + 1e-6 relative tolerance only fails on real errors
/// (or if a ReLU kink lies within 1e-6 of a pre-activation, which these seeds avoid).
const FD_STEP: f64 = 1e-6;
const FD_ABS: f64 = 1e-7;
const FD_REL: f64 = 1e-6;

#[test]
fn gradients_match_central_differences_for_every_activation_and_parameterization() {
    let (x, y) = data(3, 2, 11);
    for act in ACTS {
        for param in [Parameterization::Ntk, Parameterization::Standard, Parameterization::MeanField] {
            let arch = Architecture::new(2, act, 1.7, 0.3, param).unwrap();
            let mut net = Mlp::<f64>::new(&arch, 2, 5, 42).unwrap();
            let trace = net.forward_trace(&x, 3);
            let g: Vec<f64> = trace.out.iter().zip(&y).map(|(f, y)| (f - y) / 3.0).collect();
            let grads = net.gradients(&trace, &g);
            let analytic: Vec<f64> =
                grads.layers.iter().flat_map(|(w, b)| w.iter().chain(b).copied()).collect();
            let theta = net.params();
            for p in 0..theta.len() {
                let mut t = theta.clone();
                t[p] = theta[p] + FD_STEP;
                net.set_params(&t).unwrap();
                let up = loss_at(&net, &x, &y);
                t[p] = theta[p] - FD_STEP;
                net.set_params(&t).unwrap();
                let down = loss_at(&net, &x, &y);
                let fd = (up - down) / (2.0 * FD_STEP);
                assert!(
                    (fd - analytic[p]).abs() <= FD_ABS + FD_REL * fd.abs(),
                    "{act} {param} parameter {p}: finite difference {fd}, backprop {}",
                    analytic[p]
                );
            }
            net.set_params(&theta).unwrap();
        }
    }
}

#[test]
fn parameterizations_agree_at_initialisation() {
    // Same seed, same standard normals: W_std = σ_w z/√n vs c_w = σ_w/√n — equal up to
    // rounding (a few ulps per product).
    let (x, _) = data(4, 3, 5);
    for act in [Activation::Erf, Activation::Relu] {
        let ntk = Architecture::new(3, act, 2.0, 0.1, Parameterization::Ntk).unwrap();
        let std = Architecture { param: Parameterization::Standard, ..ntk };
        let a = Mlp::<f64>::new(&ntk, 3, 9, 3).unwrap().forward(&x, 4);
        let b = Mlp::<f64>::new(&std, 3, 9, 3).unwrap().forward(&x, 4);
        for (u, v) in a.iter().zip(&b) {
            assert!((u - v).abs() < 1e-12, "{u} vs {v}");
        }
    }
}

/// The fused training step (`Wᵀδ` and the update in one pass, points in groups of ≤ 6) equals
/// θ − η∇L from [`Mlp::gradients`], and momentum follows Eq. S1, to f64 rounding (1e-12).
#[test]
fn training_step_is_gradient_descent_with_and_without_momentum() {
    for (n, readout_only) in [(3, false), (8, false), (14, true), (14, false)] {
        let (x, y) = data(n, 2, 17);
        for param in [Parameterization::Ntk, Parameterization::Standard] {
            let arch = Architecture::new(2, Activation::Tanh, 1.5, 0.2, param).unwrap();
            let net = Mlp::<f64>::new(&arch, 2, 11, 8).unwrap();
            let (eta, beta) = (0.3, 0.7);
            // Reference: explicit parameter vectors.
            let mut reference = net.clone();
            let mut theta = net.params();
            let readout_start = theta.len() - net.layers.last().map_or(0, |l| l.w.len() + l.b.len());
            let mut velocity = vec![0.0; theta.len()];
            let mut trainer = Trainer::network(
                net,
                &x,
                &y,
                TrainOptions { momentum: beta, readout_only, ..TrainOptions::gd(eta) },
            )
            .unwrap();
            for _ in 0..4 {
                reference.set_params(&theta).unwrap();
                let trace = reference.forward_trace(&x, n);
                let g: Vec<f64> = trace.out.iter().zip(&y).map(|(f, y)| (f - y) / n as f64).collect();
                let grad: Vec<f64> = reference
                    .gradients(&trace, &g)
                    .layers
                    .iter()
                    .flat_map(|(w, b)| w.iter().chain(b).copied())
                    .collect();
                for p in 0..theta.len() {
                    if readout_only && p < readout_start {
                        continue;
                    }
                    velocity[p] = beta * velocity[p] - eta * grad[p];
                    theta[p] += velocity[p];
                }
                let loss = trainer.step();
                assert!((loss - mse_loss(&trace.out, &y)).abs() < 1e-12);
                let got = trainer.net().params();
                for p in 0..theta.len() {
                    assert!(
                        (got[p] - theta[p]).abs() < 1e-12 * (1.0 + theta[p].abs()),
                        "n={n} {param} readout_only={readout_only} parameter {p}: {} vs {}",
                        got[p],
                        theta[p]
                    );
                }
            }
        }
    }
}

/// The f32 network trains like the f64 one: after 20 steps outputs agree to 1e-4 (f32 rounding
/// ~6e-8 per operation, amplified by at most a few hundred operations per output).
#[test]
fn f32_training_tracks_f64_training() {
    let (x, y) = data(5, 1, 23);
    let arch = Architecture::new(2, Activation::Erf, 2.25, 0.0025, Parameterization::Ntk).unwrap();
    let net64 = Mlp::<f64>::new(&arch, 1, 64, 1).unwrap();
    let net32 = Mlp::<f32>::new(&arch, 1, 64, 1).unwrap();
    let opts = TrainOptions::gd(0.5);
    let mut t64 = Trainer::network(net64, &x, &y, opts).unwrap();
    let mut t32 = Trainer::network(net32, &x, &y, opts).unwrap();
    for _ in 0..20 {
        t64.step();
        t32.step();
    }
    t64.forward();
    t32.forward();
    for (a, b) in t64.outputs().iter().zip(t32.outputs()) {
        assert!((a - *b as f64).abs() < 1e-4, "{a} vs {b}");
    }
}

#[test]
fn bad_shapes_and_values_are_errors() {
    let arch = Architecture::new(1, Activation::Relu, 1.0, 0.0, Parameterization::Ntk).unwrap();
    assert!(Mlp::<f32>::new(&arch, 1, 0, 0).is_err());
    assert!(Mlp::<f32>::new(&arch, 0, 4, 0).is_err());
    let net = Mlp::<f32>::new(&arch, 2, 4, 0).unwrap();
    let opts = TrainOptions::gd(0.1);
    assert!(Trainer::network(net.clone(), &[1.0, 2.0, 3.0], &[1.0], opts).is_err());
    assert!(Trainer::network(net.clone(), &[1.0, f64::NAN], &[1.0], opts).is_err());
    assert!(Trainer::network(
        net,
        &[1.0, 2.0],
        &[1.0],
        TrainOptions { learning_rate: f64::INFINITY, ..opts }
    )
    .is_err());
}
