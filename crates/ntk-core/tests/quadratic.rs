//! The quadratic model `f_quad = f₀ + J₀δ + ½ δᵀH₀δ` (nets/quadratic.rs): its Hessian–vector
//! products, its value and its loss gradient against finite differences, its catapult, and its
//! series in the one-network run.

use std::ops::ControlFlow;

use ntk_core::datasets::ExplicitData;
use ntk_core::experiments::catapult_network::{default_data, CatapultNetworkSpec};
use ntk_core::experiments::single::{run_single, SingleSpec};
use ntk_core::nets::linear_model::LinearModel;
use ntk_core::nets::loss::{mse_loss, Loss};
use ntk_core::nets::mlp::Mlp;
use ntk_core::nets::quadratic::{hessian_vector_product, QuadraticModel};
use ntk_core::nets::train::{Model, TrainOptions, Trainer};
use ntk_core::rng::Normal;
use ntk_core::{Activation, Architecture, Parameterization};

/// Smooth activations (φ'' ≠ 0) and the piecewise-linear ones (φ'' = 0 away from the kink).
const ACTS: [Activation; 7] = [
    Activation::Erf,
    Activation::Tanh,
    Activation::Sin,
    Activation::Gelu,
    Activation::Softplus,
    Activation::Sigmoid,
    Activation::Relu,
];

fn normals(n: usize, seed: u64) -> Vec<f64> {
    let mut r = Normal::new(seed);
    (0..n).map(|_| r.sample()).collect()
}

fn net(act: Activation, width: usize, seed: u64) -> Mlp<f64> {
    let arch = Architecture::new(2, act, 1.7, 0.3, Parameterization::Ntk).unwrap();
    Mlp::new(&arch, 2, width, seed).unwrap()
}

/// `Σᵢ gᵢ ∇f(xᵢ)` at the parameters p by backpropagation.
fn gradient_at(net: &Mlp<f64>, p: &[f64], x: &[f64], g: &[f64]) -> Vec<f64> {
    let mut net = net.clone();
    net.set_params(p).unwrap();
    let trace = net.forward_trace(x, g.len());
    net.gradients(&trace, g).layers.iter().flat_map(|(w, b)| w.iter().chain(b).copied()).collect()
}

fn axpy(a: f64, x: &[f64], y: &[f64]) -> Vec<f64> {
    x.iter().zip(y).map(|(xi, yi)| a * xi + yi).collect()
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

/// H v by central differences of the gradient with step h: truncation `h²/6 ‖∇³(g·f)[v,v,v]‖`
/// (O(h²) relative to ‖Hv‖ for O(1) third derivatives), rounding `ε ‖∇(g·f)‖/h`. With h = 1e-4
/// both are ≈ 1e-9 … 1e-12 relative; the bound 1e-6 ‖Hv‖ + 1e-9 fails on any wrong term.
#[test]
fn hessian_vector_products_match_central_differences_of_gradients() {
    let h = 1e-4;
    let x = normals(3 * 2, 5);
    let g = [0.7, -1.1, 0.4];
    for act in ACTS {
        let net = net(act, 6, 42);
        let theta = net.params();
        let v = normals(theta.len(), 9);
        let (grad, hv) = hessian_vector_product(&net, &x, &g, &v).unwrap();
        let grad_bp = gradient_at(&net, &theta, &x, &g);
        assert!(norm(&axpy(-1.0, &grad, &grad_bp)) <= 1e-12 * norm(&grad_bp), "{act:?}: gradient part");
        let up = gradient_at(&net, &axpy(h, &v, &theta), &x, &g);
        let down = gradient_at(&net, &axpy(-h, &v, &theta), &x, &g);
        let fd: Vec<f64> = up.iter().zip(&down).map(|(u, d)| (u - d) / (2.0 * h)).collect();
        let err = norm(&axpy(-1.0, &fd, &hv));
        assert!(norm(&hv) > 1e-3, "{act:?}: H v vanishes ({})", norm(&hv));
        assert!(err <= 1e-6 * norm(&hv) + 1e-9, "{act:?}: |Hv − fd| = {err:e}, |Hv| = {:e}", norm(&hv));
    }
}

/// The independent Taylor evaluation: with `φ(t) = f(θ₀ + tδ)`, `J₀δ = φ'(0)` and
/// `δᵀH₀δ = φ''(0)` by central differences (h = 1e-3: truncation h²/12 φ'''' ≈ 1e-7 relative,
/// rounding 4ε|f|/h² ≈ 1e-9); then `f_quad(θ₀ + sδ)` for s = ½, 1, 2 against
/// `f₀ + s φ'(0) + ½ s² φ''(0)` — and against f itself up to O(s³): the gap to f shrinks by ~8
/// when s halves.
#[test]
fn quadratic_model_is_the_second_order_taylor_expansion() {
    let h = 1e-3;
    let x = normals(4 * 2, 7);
    for act in ACTS.into_iter().filter(|a| *a != Activation::Relu) {
        let net = net(act, 5, 3);
        let theta = net.params();
        let dir: Vec<f64> = normals(theta.len(), 13).iter().map(|v| 0.3 * v).collect();
        let f_at = |t: f64| {
            let mut n2 = net.clone();
            n2.set_params(&axpy(t, &dir, &theta)).unwrap();
            n2.forward(&x, 4)
        };
        let (fm, f0, fp) = (f_at(-h), f_at(0.0), f_at(h));
        let d1: Vec<f64> = (0..4).map(|i| (fp[i] - fm[i]) / (2.0 * h)).collect();
        let d2: Vec<f64> = (0..4).map(|i| (fp[i] - 2.0 * f0[i] + fm[i]) / (h * h)).collect();
        let mut model = QuadraticModel::new(&net, &x, false).unwrap();
        let mut gaps = Vec::new();
        for s in [0.5, 1.0, 2.0] {
            model.set_delta(&dir.iter().map(|v| s * v).collect::<Vec<_>>()).unwrap();
            let fq = model.outputs_on(&x).unwrap();
            let ft = f_at(s);
            for i in 0..4 {
                let expected = f0[i] + s * d1[i] + 0.5 * s * s * d2[i];
                let tol = 1e-6 * (d2[i].abs() * s * s + d1[i].abs() * s + f0[i].abs()) + 1e-9;
                assert!((fq[i] - expected).abs() <= tol, "{act:?} s={s} point {i}: {} vs {expected}", fq[i]);
            }
            gaps.push(norm(&axpy(-1.0, &fq, &ft)));
        }
        let ratio = gaps[1] / gaps[0];
        assert!((5.0..11.0).contains(&ratio), "{act:?}: |f − f_quad| ratio {ratio} for s 1 vs ½ (O(s³): 8)");
        let terms = model.terms_on(&x).unwrap();
        assert_eq!(model.train_outputs(), terms.quadratic());
    }
}

/// `L(δ) = mse(f_quad(δ), y)`: the update `δ ← δ − η ∇L` with η = 1 against central
/// differences of L (h = 1e-6; L is a quartic in δ, so truncation h² L''' ≈ 1e-12 and rounding
/// ε L/h ≈ 1e-10), at a δ away from 0 so that the Hessian term matters.
#[test]
fn quadratic_loss_gradient_matches_central_differences() {
    let h = 1e-6;
    let x = normals(3 * 2, 21);
    let y = normals(3, 22);
    for act in [Activation::Tanh, Activation::Relu, Activation::Gelu] {
        let net = net(act, 4, 8);
        let mut model = QuadraticModel::new(&net, &x, false).unwrap();
        let p = net.num_params();
        let delta: Vec<f64> = normals(p, 31).iter().map(|v| 0.5 * v).collect();
        let loss = |m: &mut QuadraticModel, d: &[f64]| {
            m.set_delta(d).unwrap();
            mse_loss(&m.train_outputs(), &y)
        };
        let fd: Vec<f64> = (0..p)
            .map(|k| {
                let mut d = delta.clone();
                d[k] += h;
                let up = loss(&mut model, &d);
                d[k] -= 2.0 * h;
                (up - loss(&mut model, &d)) / (2.0 * h)
            })
            .collect();
        model.set_delta(&delta).unwrap();
        let out = model.forward(None).to_vec();
        let dloss: Vec<f64> = out.iter().zip(&y).map(|(f, y)| (f - y) / 3.0).collect();
        model.update(&dloss, 1.0, 0.0);
        let analytic: Vec<f64> = delta.iter().zip(model.delta()).map(|(a, b)| a - b).collect();
        // the same gradient without the H₀δ term (the linearization's) is far off
        let lin_part = hessian_vector_product(&net, &x, &dloss, &vec![0.0; p]).unwrap().0;
        assert!(norm(&axpy(-1.0, &lin_part, &fd)) > 1e-2 * norm(&fd), "{act:?}: H₀δ term negligible");
        for k in 0..p {
            assert!(
                (analytic[k] - fd[k]).abs() <= 1e-7 + 1e-6 * fd[k].abs(),
                "{act:?} parameter {k}: {} vs {}",
                analytic[k],
                fd[k]
            );
        }
    }
}

fn catapult_spec(width: usize, eta_lambda0: f64) -> (CatapultNetworkSpec, Vec<f64>) {
    let (x_train, y_train) = default_data(8).unwrap();
    let spec = CatapultNetworkSpec {
        activation: Activation::Relu,
        width,
        sigma_w2: 2.0,
        sigma_b2: 0.1,
        x_train,
        y_train,
        eta: 1.0,
        steps: 300,
        seed: 4,
    }
    .with_eta_lambda0(eta_lambda0)
    .unwrap();
    let x: Vec<f64> = spec.x_train.iter().flatten().copied().collect();
    (spec, x)
}

/// Losses of the quadratic model and the linearization over `steps` of full-batch descent.
fn losses(spec: &CatapultNetworkSpec, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let net = spec.initial_network().unwrap();
    let opts = TrainOptions::gd(spec.eta);
    let mut quad = Trainer::new(QuadraticModel::new(&net, x, false).unwrap(), &spec.y_train, opts).unwrap();
    let mut lin = Trainer::new(LinearModel::new(net, x, false).unwrap(), &spec.y_train, opts).unwrap();
    let mut lq = Vec::new();
    let mut ll = Vec::new();
    for _ in 0..spec.steps {
        lq.push(mse_loss(&quad.model().train_outputs(), &spec.y_train));
        ll.push(mse_loss(&lin.model().train_outputs(), &spec.y_train));
        quad.step();
        lin.step();
    }
    (lq, ll)
}

/// ηλ₀ = 3 (λ₀ = λ_max(Θ̂₀)/N): the linearization's loss grows like (1 − ηλ₀)^{2k} = 4^k, the
/// quadratic model's rises (> 2× its start), then falls below it and settles (Zhu et al. 2022:
/// the quadratic model catapults). ηλ₀ = 1: both fall monotonically toward 0.
#[test]
fn quadratic_model_catapults_where_the_linearization_diverges() {
    let (spec, x) = catapult_spec(256, 3.0);
    let (lq, ll) = losses(&spec, &x);
    let l0 = lq[0];
    let peak = lq.iter().copied().fold(0.0, f64::max);
    let last = *lq.last().unwrap();
    println!(
        "ηλ₀ = 3: quad initial {l0:.4e} peak {peak:.4e} final {last:.4e}; lin final {:.4e}",
        ll.last().unwrap()
    );
    assert!(peak > 2.0 * l0, "no catapult: peak {peak} vs initial {l0}");
    assert!(last < l0, "quadratic model did not come down: {last} vs {l0}");
    assert!(
        last.is_finite() && (lq[lq.len() - 10] - last).abs() <= 0.1 * l0,
        "not settled: {:?}",
        &lq[lq.len() - 10..]
    );
    assert!(
        !ll.last().unwrap().is_finite() || *ll.last().unwrap() > 1e6 * l0,
        "linearization did not diverge"
    );

    let (spec, x) = catapult_spec(256, 1.0);
    let (lq, ll) = losses(&spec, &x);
    println!(
        "ηλ₀ = 1: quad {:.4e} → {:.4e}, lin {:.4e} → {:.4e}",
        lq[0],
        lq.last().unwrap(),
        ll[0],
        ll.last().unwrap()
    );
    for l in [&lq, &ll] {
        let peak = l.iter().copied().fold(0.0, f64::max);
        assert!(peak <= l[0] * (1.0 + 1e-9), "rose at ηλ₀ = 1: {peak} vs {}", l[0]);
        assert!(*l.last().unwrap() < 0.5 * l[0], "did not converge at ηλ₀ = 1");
    }
}

#[test]
fn bad_input_is_refused() {
    let net = net(Activation::Tanh, 3, 1);
    assert!(QuadraticModel::new(&net, &[1.0, 2.0, 3.0], false).is_err());
    assert!(QuadraticModel::new(&net, &[], false).is_err());
    assert!(QuadraticModel::new(&net, &[1.0, f64::NAN], false).is_err());
    let mut m = QuadraticModel::new(&net, &[1.0, 2.0], false).unwrap();
    assert!(m.set_delta(&[0.0; 2]).is_err());
    assert!(m.gradient(&[1.0, 2.0]).is_err());
    assert!(m.outputs_on(&[1.0]).is_err());
    assert!(hessian_vector_product(&net, &[1.0, 2.0], &[1.0], &[0.0]).is_err());
    assert!(hessian_vector_product(&net, &[1.0, 2.0], &[1.0, 1.0], &vec![0.0; net.num_params()]).is_err());
}

fn single_spec(width: usize, learning_rate: f64) -> SingleSpec {
    let (x_train, y_train) = default_data(8).unwrap();
    let (x_test, y_test) = default_data(5).unwrap();
    SingleSpec {
        arch: Architecture::new(1, Activation::Tanh, 1.5, 0.1, Parameterization::Ntk).unwrap(),
        width,
        data: ExplicitData { x_train, y_train, x_test, y_test: Some(y_test) },
        loss: Loss::Mse,
        learning_rate,
        momentum: 0.0,
        batch_size: None,
        steps: 200,
        seed: 5,
        checkpoints: 8,
        alpha: None,
        quadratic: true,
    }
}

/// `ntk single` with the quadratic model: its checkpoints are the model trained by hand with
/// the same trainer (1e-12: the same f64 arithmetic), it starts at the network's f₀ (f32
/// rounding), and it follows the network more closely than the linearization does; without
/// the flag, neither the spec's JSON nor the checkpoints mention it.
#[test]
fn single_run_reports_the_quadratic_model() {
    let spec = single_spec(128, 0.5);
    let run = run_single(&spec, |_| ControlFlow::Continue(())).unwrap();
    assert!(run.diverged.is_none());
    let net = spec.network().unwrap();
    let x: Vec<f64> = spec.data.x_train.iter().flatten().copied().collect();
    let xt: Vec<f64> = spec.data.x_test.iter().flatten().copied().collect();
    let mut quad =
        Trainer::new(QuadraticModel::new(&net, &x, false).unwrap(), &spec.data.y_train, spec.train_options())
            .unwrap();
    let mut step = 0;
    for c in &run.checkpoints {
        while step < c.step {
            quad.step();
            step += 1;
        }
        let q = c.quad.as_ref().expect("a quad record");
        let want = quad.model().outputs_on(&xt).unwrap();
        let gap = norm(&axpy(-1.0, &want, &q.outputs.test));
        assert!(gap <= 1e-12 * norm(&want), "step {}: {gap}", c.step);
        assert!((q.train_loss - mse_loss(&q.outputs.train, &spec.data.y_train)).abs() <= 1e-15);
        println!("step {}: rmse nn–lin {:.3e}, nn–quad {:.3e}", c.step, c.rmse_nn_lin, q.rmse_nn_quad);
        if c.step == 0 {
            assert!(q.rmse_nn_quad < 1e-6, "step 0: rmse {}", q.rmse_nn_quad);
        }
    }
    // Early on the gap to the network is third order for the quadratic model, second for the
    // linearization (measured 1.9e-3 vs 2.9e-3 after one step, 5.7e-3 vs 1.1e-2 after 14); at
    // this rate (first step moves f by ~0.5) it is not smaller for long: 4.2e-2 vs 2.8e-2 at 200.
    for c in run.checkpoints.iter().filter(|c| (1..=14).contains(&c.step)) {
        let q = c.quad.as_ref().unwrap();
        assert!(
            q.rmse_nn_quad < 0.8 * c.rmse_nn_lin,
            "step {}: quad {} vs lin {}",
            c.step,
            q.rmse_nn_quad,
            c.rmse_nn_lin
        );
    }

    // With an output scale α the record is α (f_quad − f₀): 0 at step 0, then moving.
    let mut scaled = spec.clone();
    scaled.alpha = Some(4.0);
    scaled.steps = 20;
    let run = run_single(&scaled, |_| ControlFlow::Continue(())).unwrap();
    let q0 = run.checkpoints[0].quad.as_ref().unwrap();
    assert!(q0.outputs.train.iter().chain(&q0.outputs.test).all(|&v| v == 0.0), "{q0:?}");
    let q_last = run.checkpoints.last().unwrap().quad.as_ref().unwrap();
    assert!(q_last.train_loss < 0.5 * q0.train_loss, "{} vs {}", q_last.train_loss, q0.train_loss);

    let mut plain = spec.clone();
    plain.quadratic = false;
    assert!(!serde_json::to_string(&plain).unwrap().contains("quadratic"));
    assert!(serde_json::to_string(&spec).unwrap().contains("\"quadratic\":true"));
    let run = run_single(&plain, |_| ControlFlow::Continue(())).unwrap();
    assert!(run.checkpoints.iter().all(|c| c.quad.is_none()));
    assert!(!serde_json::to_string(&run.checkpoints).unwrap().contains("quad"));
}
