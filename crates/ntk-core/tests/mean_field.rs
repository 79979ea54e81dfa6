//! The mean-field / μP parameterization (`Parameterization::MeanField`, docs/MATH.md
//! "Mean-field / μP parameterization"): every parameterization computes at initialization
//! exactly the function its conventions state (recomputed here from the seed's normals); one
//! step of gradient descent at rate η on the stored parameters is descent at rate η n on the
//! mean-field parameters (η on the readout bias), against central differences; and the
//! mean-field network's kernel keeps moving at every width while NTK's freezes.

use std::ops::ControlFlow;

use ntk_core::datasets::Target1d;
use ntk_core::experiments::widths::{run_sweep, LearningRate, SweepAxis, SweepData, WidthSweepSpec};
use ntk_core::nets::empirical_ntk::JacobianFactors;
use ntk_core::nets::mlp::Mlp;
use ntk_core::nets::train::{TrainOptions, Trainer};
use ntk_core::rng::Normal;
use ntk_core::stats::fit_slope;
use ntk_core::{Activation, Architecture, Parameterization};

/// The network's parameters as its conventions write them: per layer (input first) the weight
/// matrix `n_out × n_in` row-major, the biases, and the multipliers the forward pass applies.
struct Stated {
    layers: Vec<StatedLayer>,
}

/// `(W, b, c_w, c_b, n_in, n_out)` of one layer.
type StatedLayer = (Vec<f64>, Vec<f64>, f64, f64, usize, usize);

/// The parameters a seed draws, layer by layer from the input, W row-major then b, each entry
/// one standard normal z of `Normal::new(seed)` (docs/MATH.md, random numbers), and the
/// multipliers of each parameterization's stated forward pass:
/// NTK `h = (σ_w/√n_in) W x + σ_b b`, W, b = z; standard `h = W x + b`, W = σ_w z/√n_in,
/// b = σ_b z; mean-field: as NTK in the hidden layers, readout `f = (σ_w/n) W x + σ_b b`.
fn stated(arch: &Architecture, d: usize, n: usize, seed: u64) -> Stated {
    let mut z = Normal::new(seed);
    let (sw, sb) = (arch.sw2.sqrt(), arch.sb2.sqrt());
    let layers = (0..=arch.depth)
        .map(|l| {
            let n_in = if l == 0 { d } else { n };
            let n_out = if l == arch.depth { 1 } else { n };
            let w: Vec<f64> = (0..n_in * n_out).map(|_| z.sample()).collect();
            let b: Vec<f64> = (0..n_out).map(|_| z.sample()).collect();
            let fan = (n_in as f64).sqrt();
            match arch.param {
                Parameterization::Ntk => (w, b, sw / fan, sb, n_in, n_out),
                Parameterization::Standard => (
                    w.iter().map(|v| sw * v / fan).collect(),
                    b.iter().map(|v| sb * v).collect(),
                    1.0,
                    1.0,
                    n_in,
                    n_out,
                ),
                Parameterization::MeanField => {
                    let cw = if l == arch.depth { sw / n as f64 } else { sw / fan };
                    (w, b, cw, sb, n_in, n_out)
                }
            }
        })
        .collect();
    Stated { layers }
}

/// The stated forward pass, written out with plain loops: `h = c_w W x + c_b b`, φ between.
fn stated_forward(s: &Stated, act: Activation, x: &[f64]) -> f64 {
    let mut a = x.to_vec();
    let last = s.layers.len() - 1;
    for (l, (w, b, cw, cb, n_in, n_out)) in s.layers.iter().enumerate() {
        let h: Vec<f64> = (0..*n_out)
            .map(|j| cw * (0..*n_in).map(|i| w[j * n_in + i] * a[i]).sum::<f64>() + cb * b[j])
            .collect();
        a = if l == last { h } else { h.iter().map(|&v| act.apply(v)).collect() };
    }
    a[0]
}

fn points(n: usize, d: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut r = Normal::new(seed);
    ((0..n * d).map(|_| r.sample()).collect(), (0..n).map(|_| r.sample()).collect())
}

/// At initialization the f64 network of one seed computes the stated function of its
/// parameterization, recomputed from the seed's normals: f64 sums of ≤ 7 products per unit, a
/// few units deep, agree to ~10⁻¹⁵ relative; 10⁻¹² leaves margin and fails on any factor (a
/// readout 1/√n in place of 1/n is an error of √7). Also: the mean-field output is the NTK
/// output divided by √n, and its (learning-rate weighted) empirical NTK equals NTK's.
#[test]
fn each_parameterization_computes_its_stated_function_at_initialization() {
    let (d, n, depth) = (3, 7, 2);
    let (x, _) = points(5, d, 8);
    for act in [Activation::Erf, Activation::Relu, Activation::Tanh] {
        let mut outputs = Vec::new();
        for param in [Parameterization::Ntk, Parameterization::Standard, Parameterization::MeanField] {
            let arch = Architecture::new(depth, act, 1.8, 0.2, param).unwrap();
            let net = Mlp::<f64>::new(&arch, d, n, 21).unwrap();
            let f = net.forward(&x, 5);
            let s = stated(&arch, d, n, 21);
            for (k, fk) in f.iter().enumerate() {
                let want = stated_forward(&s, act, &x[k * d..(k + 1) * d]);
                assert!(
                    (fk - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "{act} {param} point {k}: {fk} vs {want}"
                );
            }
            let fac = JacobianFactors::new(&net, &x, 5);
            outputs.push((f, fac.ntk(&fac)));
        }
        let (ntk, mf) = (&outputs[0], &outputs[2]);
        let root_n = (n as f64).sqrt();
        // The readout bias term σ_b b^{L+1} is common; the rest is divided by √n.
        let arch = Architecture::new(depth, act, 1.8, 0.2, Parameterization::Ntk).unwrap();
        let bias = 0.2f64.sqrt() * stated(&arch, d, n, 21).layers[depth].1[0];
        for (a, b) in ntk.0.iter().zip(&mf.0) {
            let want = (a - bias) / root_n + bias;
            assert!(
                (want - b).abs() <= 1e-12 * a.abs().max(1.0),
                "{act}: f_mf {b} vs (f_ntk − σ_b b)/√n + σ_b b {want}"
            );
        }
        let gap = (&ntk.1 - &mf.1).norm() / ntk.1.norm();
        assert!(gap <= 1e-12, "{act}: weighted Θ̂₀ of mean-field vs NTK: {gap:e}");
    }
}

/// The mean-field parameters θ_mf from the stored ones: `√n ·` stored for every parameter but
/// the readout bias, which is stored as itself (docs/MATH.md).
fn mean_field_params(net: &Mlp<f64>, n: usize) -> Vec<f64> {
    let depth = net.arch.depth;
    let root_n = (n as f64).sqrt();
    let mut out = Vec::new();
    for (l, layer) in net.layers.iter().enumerate() {
        out.extend(layer.w.iter().map(|v| root_n * v));
        let bias_scale = if l == depth { 1.0 } else { root_n };
        out.extend(layer.b.iter().map(|v| bias_scale * v));
    }
    out
}

/// The mean loss `1/(2N) Σ (f − y)²` of the stated mean-field network with parameters θ_mf.
fn mean_field_loss(arch: &Architecture, d: usize, n: usize, theta: &[f64], x: &[f64], y: &[f64]) -> f64 {
    let mut s = stated(arch, d, n, 0);
    let mut at = 0;
    for (w, b, ..) in &mut s.layers {
        let (nw, nb) = (w.len(), b.len());
        w.copy_from_slice(&theta[at..at + nw]);
        b.copy_from_slice(&theta[at + nw..at + nw + nb]);
        at += nw + nb;
    }
    let npts = y.len();
    (0..npts)
        .map(|k| (stated_forward(&s, arch.activation, &x[k * d..(k + 1) * d]) - y[k]).powi(2))
        .sum::<f64>()
        / (2.0 * npts as f64)
}

/// One step of plain gradient descent at rate η on the stored parameters moves the mean-field
/// parameters by `−η n ∂L/∂θ_mf` (every weight and hidden bias) and `−η ∂L/∂b^{L+1}` (the
/// readout bias), with ∂L/∂θ_mf by central differences of the stated network's loss. Step
/// h = 10⁻⁶: truncation h² |L'''|/6 ≈ 10⁻¹³, rounding ε |L|/h ≈ 10⁻¹⁰; relative to the
/// largest rate-weighted gradient entry, 10⁻⁶ is far above both and far below the factor n = 6
/// that a wrong per-layer rate makes.
#[test]
fn mean_field_step_is_descent_at_rate_eta_n_on_the_mean_field_parameters() {
    let (d, n, depth, eta) = (2, 6, 2, 0.3);
    let (x, y) = points(4, d, 3);
    for act in [Activation::Erf, Activation::Tanh] {
        let arch = Architecture::new(depth, act, 1.5, 0.3, Parameterization::MeanField).unwrap();
        let net = Mlp::<f64>::new(&arch, d, n, 5).unwrap();
        let before = mean_field_params(&net, n);
        let mut t = Trainer::network(net, &x, &y, TrainOptions::gd(eta)).unwrap();
        t.step();
        let after = mean_field_params(t.net(), n);
        let h = 1e-6;
        let readout_bias = before.len() - 1;
        let mut want = Vec::new();
        for p in 0..before.len() {
            let mut q = before.clone();
            q[p] = before[p] + h;
            let up = mean_field_loss(&arch, d, n, &q, &x, &y);
            q[p] = before[p] - h;
            let down = mean_field_loss(&arch, d, n, &q, &x, &y);
            let rate = if p == readout_bias { eta } else { eta * n as f64 };
            want.push(-rate * (up - down) / (2.0 * h));
        }
        let got: Vec<f64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (p, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= 1e-6 * scale, "{act} parameter {p}: moved {g}, η_p ∂L/∂θ gives {w}");
        }
    }
}

fn sweep(param: Parameterization, widths: Vec<usize>) -> WidthSweepSpec {
    WidthSweepSpec {
        arch: Architecture::new(1, Activation::Erf, 2.25, 0.0025, param).unwrap(),
        data: SweepData::Generated { target: Target1d::Sin, train_size: 8, noise: 0.1, seed: 1 },
        learning_rate: LearningRate::CriticalFraction(0.5),
        steps: 300,
        seed: 0,
        widths,
        seeds: 8,
        axis: SweepAxis::None,
        checkpoints: 4,
        alpha: None,
    }
}

/// Relative kernel change `‖Θ̂_T − Θ̂₀‖_F/‖Θ̂₀‖_F` after 300 steps at ½ η_critical, widths
/// 32 … 512, 3 seeds, against width: NTK parameterization's falls (slope −1 for a smooth φ:
/// the kernel's change is second order in the O(n^{−1/2}) per-unit weight changes, docs/MATH.md
/// "The four metrics"; accepted in [−1.2, −0.6]), the mean-field network's does not (its
/// features move O(1) at every width: slope within ±0.15 of 0).
#[test]
fn mean_field_kernel_moves_at_every_width_while_ntk_freezes() {
    let widths = vec![128, 256, 512, 1024, 2048];
    let slope = |param| {
        let r = run_sweep(&sweep(param, widths.clone()), |_| ControlFlow::Continue(())).unwrap();
        let pts = &r.series[0].points;
        let ys: Vec<f64> = pts.iter().map(|p| p.ntk_change.as_ref().unwrap().mean).collect();
        let xs: Vec<f64> = pts.iter().map(|p| p.width as f64).collect();
        let fit = fit_slope(&xs, &ys).unwrap();
        eprintln!("{param}: kernel change {ys:?}, slope {:.3}", fit.slope);
        fit.slope
    };
    let ntk = slope(Parameterization::Ntk);
    let mf = slope(Parameterization::MeanField);
    assert!((-1.3..=-0.45).contains(&ntk), "NTK slope {ntk}");
    assert!(mf.abs() <= 0.15, "mean-field slope {mf}");
}
