//! The empirical NTK against a brute-force Jacobian, its seed average against the analytic Θ,
//! and the closed-form linearized trajectory against explicitly trained linear models.

use nalgebra::{DMatrix, DVector};
use ntk_core::nets::empirical_ntk::{empirical_ntk, rows_to_batch, JacobianFactors};
use ntk_core::nets::linearized::Linearized;
use ntk_core::nets::mlp::Mlp;
use ntk_core::rng::Normal;
use ntk_core::theory::kernels::kernels;
use ntk_core::{Activation, Architecture, Parameterization};

fn points(n: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut r = Normal::new(seed);
    (0..n * d).map(|_| r.sample()).collect()
}

/// Jacobian `J[i, p] = ∂f(xᵢ)/∂θ_p` by central differences (h = 1e-6; error ≈ 1e-10).
fn jacobian_fd(net: &Mlp<f64>, x: &[f64], n: usize) -> DMatrix<f64> {
    let theta = net.params();
    let mut work = net.clone();
    let mut j = DMatrix::zeros(n, theta.len());
    let h = 1e-6;
    for p in 0..theta.len() {
        let mut t = theta.clone();
        t[p] += h;
        work.set_params(&t).unwrap();
        let up = work.forward(x, n);
        t[p] -= 2.0 * h;
        work.set_params(&t).unwrap();
        let down = work.forward(x, n);
        for i in 0..n {
            j[(i, p)] = (up[i] - down[i]) / (2.0 * h);
        }
    }
    j
}

#[test]
fn empirical_ntk_equals_jacobian_product() {
    let (x1, x2) = (points(3, 2, 1), points(4, 2, 2));
    let custom = Activation::custom("sin(3*x)+0.1*x").unwrap();
    for act in [Activation::Erf, Activation::Relu, Activation::Gelu, custom] {
        for param in [Parameterization::Ntk, Parameterization::Standard] {
            let arch = Architecture::new(2, act, 1.8, 0.4, param).unwrap();
            let net = Mlp::<f64>::new(&arch, 2, 6, 9).unwrap();
            let (j1, j2) = (jacobian_fd(&net, &x1, 3), jacobian_fd(&net, &x2, 4));
            let brute = &j1 * j2.transpose();
            let theta = empirical_ntk(&net, &x1, 3, &x2, 4);
            // FD Jacobian entries carry ~1e-10 error; Θ̂ sums P ≈ 70 products of O(1) terms.
            assert!((&theta - &brute).abs().max() < 1e-7, "{act} {param}:\n{theta}\n{brute}");
            // Readout part: the last n+1 parameters (readout W and b).
            let p = net.num_params();
            let r = net.layers.last().map_or(0, |l| l.w.len() + l.b.len());
            let brute_r = j1.columns(p - r, r) * j2.columns(p - r, r).transpose();
            let f1 = JacobianFactors::new(&net, &x1, 3);
            let f2 = JacobianFactors::new(&net, &x2, 4);
            assert!((f1.readout_ntk(&f2) - brute_r).abs().max() < 1e-7);
        }
    }
}

/// `E_θ₀[Θ̂] = Θ` up to an O(1/n) finite-width bias (depth 2). Over S seeds the standard error
/// of each entry's mean is sd/√S; we allow 5 standard errors plus 3/n relative bias.
#[test]
fn empirical_ntk_averages_to_the_analytic_ntk() {
    let x = DMatrix::from_row_slice(3, 2, &[1.0, 0.3, -0.5, 0.8, 0.2, -1.1]);
    let batch = rows_to_batch(&x);
    let (width, seeds) = (256, 24);
    // A custom φ (swish) too: its analytic NTK comes from the series/quadrature path, its
    // empirical NTK from backpropagation through the compiled expression and its derivative.
    let swish = Activation::custom("x*sigmoid(x)").unwrap();
    for act in [Activation::Erf, Activation::Relu, swish] {
        let arch = Architecture::new(2, act, 1.6, 0.1, Parameterization::Ntk).unwrap();
        let exact = kernels(&arch, &x, &x).unwrap().ntk;
        let samples: Vec<DMatrix<f64>> = (0..seeds)
            .map(|s| {
                let net = Mlp::<f32>::new(&arch, 2, width, 1000 + s).unwrap();
                let b32: Vec<f32> = batch.iter().map(|&v| v as f32).collect();
                empirical_ntk(&net, &b32, 3, &b32, 3)
            })
            .collect();
        let mean = samples.iter().fold(DMatrix::zeros(3, 3), |a, b| a + b) / seeds as f64;
        for i in 0..3 {
            for j in 0..3 {
                let var = samples.iter().map(|s| (s[(i, j)] - mean[(i, j)]).powi(2)).sum::<f64>()
                    / (seeds - 1) as f64;
                let tol = 5.0 * (var / seeds as f64).sqrt() + 3.0 / width as f64 * exact[(i, j)].abs();
                assert!(
                    (mean[(i, j)] - exact[(i, j)]).abs() < tol,
                    "{act} ({i},{j}): empirical {} analytic {} tolerance {tol}",
                    mean[(i, j)],
                    exact[(i, j)]
                );
            }
        }
    }
}

/// Trains `f_lin(x) = f₀(x) + J(x)(θ − θ₀)` explicitly by (momentum) gradient descent on the
/// mean loss and compares with [`Linearized`]: the two are the same linear recursion, so they
/// agree to rounding (1e-9 after ≤ 60 steps).
#[test]
fn closed_form_linearization_matches_explicit_linear_training() {
    let (n, m) = (4, 3);
    let (x, xt) = (points(n, 2, 3), points(m, 2, 4));
    let mut r = Normal::new(5);
    let y: Vec<f64> = (0..n).map(|_| r.sample()).collect();
    for (beta, readout_only) in [(0.0, false), (0.6, false), (0.0, true)] {
        let arch = Architecture::new(2, Activation::Tanh, 2.0, 0.2, Parameterization::Ntk).unwrap();
        let net = Mlp::<f64>::new(&arch, 2, 5, 13).unwrap();
        let (mut j, mut jt) = (jacobian_fd(&net, &x, n), jacobian_fd(&net, &xt, m));
        if readout_only {
            let p = net.num_params();
            let r = 6;
            j = j.columns(p - r, r).into_owned();
            jt = jt.columns(p - r, r).into_owned();
        }
        let (f0, f0t) = (DVector::from_vec(net.forward(&x, n)), DVector::from_vec(net.forward(&xt, m)));
        let (fa, fb) = (JacobianFactors::new(&net, &x, n), JacobianFactors::new(&net, &xt, m));
        let (k, kt) = if readout_only {
            (fa.readout_ntk(&fa), fb.readout_ntk(&fa))
        } else {
            (fa.ntk(&fa), fb.ntk(&fa))
        };
        let eta = 0.7;
        let yv = DVector::from_vec(y.clone());
        let lin = Linearized::new(&k, &kt, &f0, &f0t, &yv, eta, beta).unwrap();
        let steps = [0u64, 1, 2, 7, 60];
        let closed = lin.trajectory(&steps);
        let mut dtheta = DVector::zeros(j.ncols());
        let mut vel = DVector::zeros(j.ncols());
        let mut k_done = 0;
        for (s, want) in steps.iter().zip(&closed) {
            while k_done < *s {
                let resid = &f0 + &j * &dtheta - &yv;
                vel = &vel * beta - j.transpose() * resid * (eta / n as f64);
                dtheta += &vel;
                k_done += 1;
            }
            let train = &f0 + &j * &dtheta;
            let test = &f0t + &jt * &dtheta;
            // J from finite differences carries ~1e-10 relative error.
            assert!(
                (&train - &want.train).abs().max() < 1e-8,
                "β={beta} step {s}: {train} vs {}",
                want.train
            );
            assert!((&test - &want.test).abs().max() < 1e-8, "β={beta} step {s}: {test} vs {}", want.test);
        }
        if beta == 0.0 {
            // The closed form of one step count equals the trajectory entry.
            assert!((lin.at_step(7).test - &closed[3].test).abs().max() < 1e-12);
        }
    }
}

/// A kernel with an exactly zero eigenvalue: the closed form stays finite (g_k(0) = kη/N).
#[test]
fn singular_kernel_is_handled() {
    let k = DMatrix::from_row_slice(2, 2, &[1.0, 1.0, 1.0, 1.0]);
    let kt = DMatrix::from_row_slice(1, 2, &[0.5, 0.5]);
    let lin = Linearized::new(
        &k,
        &kt,
        &DVector::from_vec(vec![0.0, 0.0]),
        &DVector::from_vec(vec![0.0]),
        &DVector::from_vec(vec![1.0, -1.0]),
        0.1,
        0.0,
    )
    .unwrap();
    let out = lin.at_step(1000);
    // Y is orthogonal to the range of K: train outputs never move, test outputs stay 0.
    assert!(out.train.iter().all(|v| v.abs() < 1e-12) && out.test[0].abs() < 1e-12, "{out:?}");
}
