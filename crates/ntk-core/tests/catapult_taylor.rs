//! The Taylor models trained beside the catapult's real network (`run_network_with`,
//! docs/MATH.md "Real networks" and "The quadratic model"): at 2 < ηλ₀ < 4 the quadratic model
//! catapults like the network while the linearization diverges; the linearization's trajectory
//! is the closed form of gradient descent on a linear model; the quadratic model's λ₀ is the
//! network's; the network's own trajectory is unchanged by the models beside it.

use std::ops::ControlFlow;

use nalgebra::{DMatrix, DVector};
use ntk_core::experiments::catapult::Phase;
use ntk_core::experiments::catapult_network::{
    default_data, run_network, run_network_ensemble, run_network_ensemble_with, run_network_with,
    CatapultNetworkSpec, ModelTrajectory, TaylorModels,
};
use ntk_core::nets::empirical_ntk::JacobianFactors;
use ntk_core::Activation;

fn go(_: u64) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

/// The view's default network: one ReLU layer (σ_w² = 2, σ_b² = 0.1) on 4 points of sin x.
fn spec(width: usize, eta_lambda0: f64, steps: u64) -> CatapultNetworkSpec {
    let (x_train, y_train) = default_data(4).unwrap();
    CatapultNetworkSpec {
        activation: Activation::Relu,
        width,
        sigma_w2: 2.0,
        sigma_b2: 0.1,
        x_train,
        y_train,
        eta: 1.0,
        steps,
        seed: 2,
    }
    .with_eta_lambda0(eta_lambda0)
    .unwrap()
}

fn models(spec: &CatapultNetworkSpec) -> (ModelTrajectory, ModelTrajectory) {
    let t = run_network_with(spec, TaylorModels::Both, go).unwrap();
    // The network beside the models is the network alone, bit for bit.
    let alone = run_network(spec, go).unwrap();
    assert_eq!(
        (&t.f, &t.lambda, &t.loss, t.diverged_at),
        (&alone.f, &alone.lambda, &alone.loss, alone.diverged_at)
    );
    assert!(alone.linearized.is_none() && alone.quadratic.is_none());
    (*t.linearized.unwrap(), *t.quadratic.unwrap())
}

fn peak(l: &[f64]) -> f64 {
    l.iter().copied().fold(0.0, f64::max)
}

/// ηλ₀ = 3: the quadratic model's loss rises by more than 10× and comes down below a tenth of
/// its start, with its λ below 2/η at the end (a finished catapult, Zhu et al. 2022); the
/// linearization's residual grows by |1 − ηλ₀| = 2 per step along the top mode and crosses the
/// divergence bound 10⁸·max(1, |f₀|, |y|) after about log₂(10⁸) ≈ 27 steps. ηλ₀ = 1: both lazy.
#[test]
fn the_quadratic_model_catapults_where_the_linearization_diverges() {
    let s = spec(512, 3.0, 120);
    let (lin, quad) = models(&s);
    let l0 = quad.loss[0];
    println!(
        "ηλ₀ = 3: quad {l0:.4} → peak {:.4} → {:.4} (ηλ end {:.3}); lin diverged at {:?}",
        peak(&quad.loss),
        quad.loss.last().unwrap(),
        s.eta * quad.lambda.last().unwrap(),
        lin.diverged_at
    );
    assert_eq!(quad.phase, Phase::Catapult);
    assert_eq!(quad.diverged_at, None);
    assert_eq!(quad.loss.len(), 121);
    assert!(peak(&quad.loss) > 10.0 * l0, "no catapult: {}", peak(&quad.loss));
    assert!(*quad.loss.last().unwrap() < 0.1 * l0, "did not come down: {:?}", quad.loss.last());
    assert!(s.eta * quad.lambda.last().unwrap() < 2.0, "λ did not fall below 2/η");
    assert_eq!(lin.phase, Phase::Divergent);
    let k = lin.diverged_at.expect("the linearization diverges");
    assert!((20..=40).contains(&k), "diverged at {k}");
    assert_eq!(lin.loss.len() as u64, k);
    // Its kernel is J₀J₀ᵀ at every step.
    assert!(lin.lambda.iter().all(|&l| l == lin.lambda[0]));

    let s = spec(512, 1.0, 60);
    let (lin, quad) = models(&s);
    for m in [&lin, &quad] {
        assert_eq!((m.phase, m.diverged_at), (Phase::Lazy, None));
        assert!(*m.loss.last().unwrap() < 0.5 * m.loss[0]);
    }
}

/// The linearization's outputs are `f₀ + (I − (I − ηΘ̂₀/N)^t) (y − f₀)` on the training points
/// (gradient descent on a linear model, docs/MATH.md "Thresholds of the linear model"), Θ̂₀
/// from `JacobianFactors` (not the model's own tangents). Both sides are O(1) sums of a few
/// hundred roundings over 10 steps of a contraction: measured ≤ 1e-14, asserted 1e-10.
/// The quadratic model starts on the network's kernel: its λ₀ from N Hessian–vector
/// gradients equals λ_max(Θ̂₀)/N (δ = 0), measured ≤ 1e-15 relative, asserted 1e-12.
#[test]
fn the_linearization_is_the_closed_form_and_the_quadratic_kernel_starts_at_the_networks() {
    let s = spec(64, 1.5, 10);
    let (lin, quad) = models(&s);
    let net = s.initial_network().unwrap();
    let x: Vec<f64> = s.x_train.iter().flatten().copied().collect();
    let n = s.points();
    let fac = JacobianFactors::new(&net, &x, n);
    let theta = fac.ntk(&fac);
    let f0 = DVector::from_vec(fac.outputs.clone());
    let y = DVector::from_vec(s.y_train.clone());
    let step = DMatrix::identity(n, n) - theta * (s.eta / n as f64);
    let mut r = &y - &f0;
    let mut worst = 0.0f64;
    for t in 0..=10 {
        let f = &y - &r;
        worst = worst.max((f[0] - lin.f[t]).abs());
        let loss = r.norm_squared() / (2.0 * n as f64);
        worst = worst.max((loss - lin.loss[t]).abs());
        r = &step * r;
    }
    println!("linearization against the closed form: {worst:.2e}");
    assert!(worst < 1e-10, "{worst}");
    let rel = (quad.lambda[0] - lin.lambda[0]).abs() / lin.lambda[0];
    assert!(rel < 1e-12, "quadratic λ₀ {} vs network λ₀ {}", quad.lambda[0], lin.lambda[0]);
    assert_eq!(quad.f[0], lin.f[0]);
}

#[test]
fn every_member_gets_its_models() {
    let s = spec(32, 3.0, 20);
    let runs =
        run_network_ensemble_with(&s, 2, TaylorModels::Both, |_, _| ControlFlow::Continue(())).unwrap();
    let alone = run_network_ensemble(&s, 2, |_, _| ControlFlow::Continue(())).unwrap();
    for (m, (a, b)) in runs.iter().zip(&alone).enumerate() {
        assert!(a.linearized.is_some() && a.quadratic.is_some(), "member {m}");
        assert_eq!(a.loss, b.loss);
        let single = run_network_with(
            &CatapultNetworkSpec { seed: s.seed + m as u64, ..s.clone() },
            TaylorModels::Both,
            go,
        )
        .unwrap();
        assert_eq!(*a, single);
    }
}
