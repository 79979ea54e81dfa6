//! Cross-checks of the catapult code: the two-scalar map against gradient descent on explicit
//! vectors, the real network against the map, the phase boundaries at large width, the
//! network's λ_max against a dense eigen-solver on an explicit Jacobian, and error handling.

use std::ops::ControlFlow;

use nalgebra::{DMatrix, SymmetricEigen};
use ntk_core::experiments::catapult::{
    phase_diagram, two_scalar_map, CatapultError, Phase, PhaseDiagramSpec, TwoScalarSpec, TwoScalarTrajectory,
};
use ntk_core::experiments::catapult_network::{
    default_data, run_network, run_network_ensemble, CatapultNetworkSpec, NetworkTrajectory, MAX_POINTS,
};
use ntk_core::rng::Normal;
use ntk_core::Activation;

fn go(_: u64) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

/// Relative difference |a − b| / max(|a|, |b|) (0 for a = b = 0).
fn rel(a: f64, b: f64) -> f64 {
    let s = a.abs().max(b.abs());
    if s == 0.0 {
        0.0
    } else {
        (a - b).abs() / s
    }
}

/// Gradient descent on `f = vᵀu/√n` (one sample x = 1, y = 0, loss f²/2) with explicit
/// vectors: `∂f/∂u = v/√n`, `∂f/∂v = u/√n`, so `u ← u − ηf v/√n`, `v ← v − ηf u/√n`.
/// Returns (f_t, λ_t = (|u_t|² + |v_t|²)/n) for t = 0 … steps.
fn explicit_gd(u0: &[f64], v0: &[f64], eta: f64, steps: usize) -> Vec<(f64, f64)> {
    let n = u0.len() as f64;
    let sqrt_n = n.sqrt();
    let (mut u, mut v) = (u0.to_vec(), v0.to_vec());
    let mut out = Vec::new();
    for t in 0..=steps {
        let f = u.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>() / sqrt_n;
        let lambda = (u.iter().map(|a| a * a).sum::<f64>() + v.iter().map(|b| b * b).sum::<f64>()) / n;
        out.push((f, lambda));
        if t == steps {
            break;
        }
        let c = eta * f / sqrt_n;
        let (u_old, v_old) = (u.clone(), v.clone());
        for (ui, vi) in u.iter_mut().zip(&v_old) {
            *ui -= c * vi;
        }
        for (vi, ui) in v.iter_mut().zip(&u_old) {
            *vi -= c * ui;
        }
    }
    out
}

fn normals(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = Normal::new(seed);
    (0..n).map(|_| rng.sample()).collect()
}

/// Largest errors of a map trajectory against a reference (f_t, λ_t) at width n: λ relative,
/// f relative to `max(|f_t|, λ_t√n/2)`. The second scale is the size of the terms of the sum
/// `f = Σᵢ uᵢvᵢ/√n` (`Σ|uᵢvᵢ|/√n ≤ (|u|² + |v|²)/(2√n) = λ√n/2`): computed from vectors, f
/// carries an absolute rounding error ~ε·λ√n/2 however small it gets, and in the lazy phase
/// and after a catapult f decays geometrically to 10⁻¹⁵ and below.
fn max_err(map: &TwoScalarTrajectory, reference: &[(f64, f64)], n: f64) -> (f64, f64) {
    assert_eq!(map.f.len(), reference.len());
    let ef = map
        .f
        .iter()
        .zip(reference)
        .map(|(a, (b, l))| (a - b).abs() / b.abs().max(l * n.sqrt() / 2.0))
        .fold(0.0, f64::max);
    let el = map.lambda.iter().zip(reference).map(|(a, (_, b))| rel(*a, *b)).fold(0.0, f64::max);
    (ef, el)
}

/// Agreement of the map with explicit gradient descent (errors as in [`max_err`]). Both are f64
/// evaluations of the same exact recursion and differ by rounding only: ~10⁻¹⁶ per operation,
/// accumulated over 50 steps and amplified while the catapult grows. Measured: ≤ 3e-14 (at
/// ηλ₀ = 3.5); tolerance 1e-12. A wrong coefficient (e.g. η f²/n for η² f²/n) changes f₁ by
/// ~1e-3 of the scale.
const MAP_VS_GD_TOL: f64 = 1e-12;

#[test]
fn map_matches_explicit_gradient_descent() {
    let n = 256;
    let (u, v) = (normals(1, n), normals(2, n));
    let reference0 = explicit_gd(&u, &v, 0.0, 0)[0];
    let (f0, lambda0) = reference0;
    for eta_lambda0 in [0.5, 1.5, 2.5, 3.5] {
        let eta = eta_lambda0 / lambda0;
        let reference = explicit_gd(&u, &v, eta, 50);
        let map = two_scalar_map(&TwoScalarSpec { eta, width: n as f64, lambda0, f0, steps: 50 }).unwrap();
        assert_eq!(map.f.len(), 51);
        let (ef, el) = max_err(&map, &reference, n as f64);
        println!("ηλ₀ = {eta_lambda0}: max err f {ef:.2e}, λ {el:.2e}");
        assert!(ef < MAP_VS_GD_TOL && el < MAP_VS_GD_TOL, "ηλ₀ = {eta_lambda0}: f {ef:e}, λ {el:e}");
        let expected = if eta_lambda0 < 2.0 { Phase::Lazy } else { Phase::Catapult };
        assert_eq!(map.phase, expected, "ηλ₀ = {eta_lambda0}");
    }
}

fn linear_one_sample(width: usize, seed: u64) -> CatapultNetworkSpec {
    let (x_train, y_train) = default_data(1).unwrap();
    CatapultNetworkSpec {
        activation: Activation::Identity,
        width,
        sigma_w2: 1.0,
        sigma_b2: 0.0,
        x_train,
        y_train,
        eta: 1.0,
        steps: 60,
        seed,
    }
}

/// Agreement of the linear network with the map from its own (f₀, λ₀) (errors as in
/// [`max_err`]): rounding only (the network sums in another order and goes through
/// backpropagation and JacobianFactors). Measured: ≤ 5e-15; tolerance 1e-10.
const NET_VS_MAP_TOL: f64 = 1e-10;

#[test]
fn linear_network_follows_the_two_scalar_map() {
    for eta_lambda0 in [1.5, 2.6, 3.5] {
        let spec = linear_one_sample(512, 7).with_eta_lambda0(eta_lambda0).unwrap();
        let net = run_network(&spec, go).unwrap();
        assert_eq!(net.diverged_at, None);
        let map = two_scalar_map(&TwoScalarSpec {
            eta: spec.eta,
            width: 512.0,
            lambda0: net.lambda[0],
            f0: net.f[0],
            steps: spec.steps,
        })
        .unwrap();
        let reference: Vec<(f64, f64)> = net.f.iter().copied().zip(net.lambda.iter().copied()).collect();
        let (ef, el) = max_err(&map, &reference, 512.0);
        println!("network ηλ₀ = {eta_lambda0}: max err f {ef:.2e}, λ {el:.2e}");
        assert!(ef < NET_VS_MAP_TOL && el < NET_VS_MAP_TOL, "ηλ₀ = {eta_lambda0}: f {ef:e}, λ {el:e}");
        assert_eq!(net.phase, map.phase);
        assert_eq!(net.phase, Phase::predicted(eta_lambda0), "ηλ₀ = {eta_lambda0}");
        assert_eq!(net.predicted_phase, Phase::predicted(eta_lambda0));
        for (l, f) in net.loss.iter().zip(&net.f) {
            assert_eq!(*l, 0.5 * f * f);
        }
    }
}

#[test]
fn phase_boundaries_at_large_width() {
    // (f₀, λ₀) = (1, 2): the typical init of f = vᵀu/√n with u, v ~ N(0, I) (E λ₀ = 2).
    for width in [1e4, 1e5, 1e6] {
        let points = phase_diagram(&PhaseDiagramSpec {
            width,
            lambda0: 2.0,
            f0: 1.0,
            steps: 20_000,
            eta_lambda0: vec![1.9, 2.2, 3.8, 4.2],
        })
        .unwrap();
        let phases: Vec<Phase> = points.iter().map(|p| p.phase).collect();
        assert_eq!(phases, [Phase::Lazy, Phase::Catapult, Phase::Catapult, Phase::Divergent], "n = {width}");
        for p in &points {
            assert_eq!(p.phase, p.predicted_phase, "n = {width}, ηλ₀ = {}", p.eta_lambda0);
        }
        let lazy = &points[0];
        // Lazy: λ moves by O(η f²/n) summed over a geometric series, ~1/n relative.
        assert!(rel(lazy.final_lambda, 2.0) < 100.0 / width, "n = {width}: λ_T = {}", lazy.final_lambda);
        for p in &points[1..3] {
            // Catapult: λ ends below 2/η, and the loss has converged far below its start 1/2.
            assert!(
                p.eta * p.final_lambda < 2.0,
                "n = {width}, ηλ₀ = {}: ηλ_T = {}",
                p.eta_lambda0,
                p.eta * p.final_lambda
            );
            assert!(p.final_loss < 1e-12, "n = {width}, ηλ₀ = {}: L_T = {}", p.eta_lambda0, p.final_loss);
            assert_eq!(p.diverged_at, None);
        }
        let div = &points[3];
        assert!(div.diverged_at.is_some() && div.final_loss.is_finite() && div.final_lambda.is_finite());
    }
}

#[test]
fn catapult_loss_grows_for_about_log_n_steps() {
    // At ηλ₀ = 3 the loss grows by (ηλ₀ − 1)² = 4 per step until η²f²/n ~ 1, i.e. for about
    // log₂(√n/(η f₀)) steps; the peak must sit near there (± a few steps) and grow with n.
    let mut peaks = Vec::new();
    for width in [1e4, 1e6] {
        let t =
            two_scalar_map(&TwoScalarSpec { eta: 1.5, width, lambda0: 2.0, f0: 1.0, steps: 2000 }).unwrap();
        let peak = t.loss.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0 as f64;
        let predicted = (width.sqrt() / 1.5).log2();
        assert!((peak - predicted).abs() <= 4.0, "n = {width}: peak at {peak}, log₂(√n/η) = {predicted}");
        peaks.push(peak);
    }
    assert!(peaks[1] > peaks[0]);
}

/// The parameters of a one-hidden-layer network in the `Mlp::params` layout:
/// W¹ (n × d row-major), b¹ (n), W² (1 × n), b² (1).
struct Explicit {
    act: Activation,
    d: usize,
    n: usize,
    sw: f64,
    sb: f64,
}

impl Explicit {
    /// f(x) = (σ_w/√n) Σⱼ W²ⱼ φ(hⱼ) + σ_b b², hⱼ = (σ_w/√d) Σᵢ W¹ⱼᵢ xᵢ + σ_b b¹ⱼ (docs/MATH.md).
    fn hidden(&self, p: &[f64], x: &[f64]) -> Vec<f64> {
        (0..self.n)
            .map(|j| {
                let w = &p[j * self.d..(j + 1) * self.d];
                self.sw / (self.d as f64).sqrt() * w.iter().zip(x).map(|(a, b)| a * b).sum::<f64>()
                    + self.sb * p[self.n * self.d + j]
            })
            .collect()
    }

    fn output(&self, p: &[f64], x: &[f64]) -> f64 {
        let h = self.hidden(p, x);
        let w2 = &p[self.n * (self.d + 1)..self.n * (self.d + 2)];
        let cw = self.sw / (self.n as f64).sqrt();
        cw * w2.iter().zip(&h).map(|(v, h)| v * self.act.apply(*h)).sum::<f64>() + self.sb * p[p.len() - 1]
    }

    /// The row ∂f(x)/∂θ, parameter by parameter:
    /// ∂f/∂W¹ⱼᵢ = c₂ W²ⱼ φ'(hⱼ) c₁ xᵢ, ∂f/∂b¹ⱼ = c₂ W²ⱼ φ'(hⱼ) σ_b, ∂f/∂W²ⱼ = c₂ φ(hⱼ),
    /// ∂f/∂b² = σ_b, with c₁ = σ_w/√d, c₂ = σ_w/√n.
    fn gradient(&self, p: &[f64], x: &[f64]) -> Vec<f64> {
        let (n, d) = (self.n, self.d);
        let h = self.hidden(p, x);
        let w2 = &p[n * (d + 1)..n * (d + 2)];
        let (c1, c2) = (self.sw / (d as f64).sqrt(), self.sw / (n as f64).sqrt());
        let mut g = vec![0.0; p.len()];
        for j in 0..n {
            let back = c2 * w2[j] * self.act.derivative(h[j]);
            for i in 0..d {
                g[j * d + i] = back * c1 * x[i];
            }
            g[n * d + j] = back * self.sb;
            g[n * (d + 1) + j] = c2 * self.act.apply(h[j]);
        }
        g[p.len() - 1] = self.sb;
        g
    }

    fn jacobian(&self, p: &[f64], xs: &[Vec<f64>]) -> DMatrix<f64> {
        let rows: Vec<Vec<f64>> = xs.iter().map(|x| self.gradient(p, x)).collect();
        DMatrix::from_fn(xs.len(), p.len(), |i, k| rows[i][k])
    }
}

/// λ_max(JJᵀ) as the top eigenvalue of the P × P matrix JᵀJ (same non-zero spectrum), dense.
fn dense_lambda_max(j: &DMatrix<f64>) -> f64 {
    let jtj = j.transpose() * j;
    SymmetricEigen::new(jtj).eigenvalues.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// Relative agreement of λ_t from `run_network` (JacobianFactors + N × N eigen-solver) with the
/// dense P × P eigen-solver on the explicit Jacobian, along gradient descent done with the
/// explicit gradient `θ ← θ − η Jᵀ(f − y)/N`. Rounding only (ε·P·steps·growth ≪ 1e-9);
/// measured ≤ 2e-15; tolerance 1e-6 (also for the outputs f_t(xᵢ)).
const LAMBDA_TOL: f64 = 1e-6;

/// Central-difference check of the explicit Jacobian against the network's own forward pass:
/// truncation h²f'''/6 ~ 1e-12 and rounding ε|f|/h ~ 1e-10 for h = 1e-6.
const FD_STEP: f64 = 1e-6;
const FD_TOL: f64 = 1e-7;

#[test]
fn network_lambda_max_matches_a_dense_solver_on_an_explicit_jacobian() {
    let xs = vec![vec![-1.0, 0.5], vec![-0.3, 1.2], vec![0.4, -0.8], vec![1.1, 0.9]];
    let ys = vec![0.3, -0.5, 0.2, 0.8];
    for act in [Activation::Tanh, Activation::Relu] {
        let spec = CatapultNetworkSpec {
            activation: act,
            width: 30,
            sigma_w2: 1.5,
            sigma_b2: 0.2,
            x_train: xs.clone(),
            y_train: ys.clone(),
            eta: 1.0,
            steps: 8,
            seed: 11,
        }
        .with_eta_lambda0(3.0)
        .unwrap();
        let ex = Explicit { act, d: 2, n: 30, sw: 1.5f64.sqrt(), sb: 0.2f64.sqrt() };
        let net = spec.initial_network().unwrap();
        let mut p = net.params();
        // The explicit formula is the network's derivative (checked on its own forward pass).
        if act == Activation::Tanh {
            let j = ex.jacobian(&p, &xs);
            for k in 0..p.len() {
                let (mut plus, mut minus) = (p.clone(), p.clone());
                plus[k] += FD_STEP;
                minus[k] -= FD_STEP;
                let (mut np, mut nm) = (net.clone(), net.clone());
                np.set_params(&plus).unwrap();
                nm.set_params(&minus).unwrap();
                let x: Vec<f64> = xs.iter().flatten().copied().collect();
                let (fp, fm) = (np.forward(&x, 4), nm.forward(&x, 4));
                for i in 0..4 {
                    let fd = (fp[i] - fm[i]) / (2.0 * FD_STEP);
                    assert!(
                        (fd - j[(i, k)]).abs() < FD_TOL * (1.0 + fd.abs()),
                        "∂f({i})/∂θ{k}: {fd} vs {}",
                        j[(i, k)]
                    );
                }
            }
        }
        let traj = run_network(&spec, go).unwrap();
        assert_eq!(traj.diverged_at, None);
        let mut worst = 0.0f64;
        for t in 0..=spec.steps as usize {
            let j = ex.jacobian(&p, &xs);
            let f: Vec<f64> = xs.iter().map(|x| ex.output(&p, x)).collect();
            let lambda = dense_lambda_max(&j) / 4.0;
            worst = worst.max(rel(traj.lambda[t], lambda));
            assert!(
                rel(traj.lambda[t], lambda) < LAMBDA_TOL,
                "{act} step {t}: {} vs {lambda}",
                traj.lambda[t]
            );
            for (i, (a, b)) in traj.outputs[t].iter().zip(&f).enumerate() {
                assert!(rel(*a, *b) < LAMBDA_TOL, "{act} step {t} output {i}: {a} vs {b}");
            }
            let resid: Vec<f64> = f.iter().zip(&ys).map(|(a, b)| (a - b) / 4.0).collect();
            for (k, pk) in p.iter_mut().enumerate() {
                *pk -= spec.eta * (0..4).map(|i| j[(i, k)] * resid[i]).sum::<f64>();
            }
        }
        println!("{act}: worst relative λ error {worst:.2e}");
        // The kernel really moved (otherwise the check would only test initialisation).
        assert!(rel(traj.lambda[0], *traj.lambda.last().unwrap()) > 1e-3, "{act}: λ did not move");
    }
}

#[test]
fn diverging_network_reports_the_step_and_no_nan() {
    let (x_train, y_train) = default_data(4).unwrap();
    let spec = CatapultNetworkSpec {
        activation: Activation::Tanh,
        width: 64,
        sigma_w2: 1.0,
        sigma_b2: 0.1,
        x_train,
        y_train,
        eta: 1.0,
        steps: 500,
        seed: 1,
    }
    .with_eta_lambda0(40.0)
    .unwrap();
    let t = run_network(&spec, go).unwrap();
    let k = t.diverged_at.expect("ηλ₀ = 40 diverges");
    assert!(k > 0 && k <= 500);
    assert_eq!(t.phase, Phase::Divergent);
    for series in [&t.f, &t.lambda, &t.loss] {
        assert_eq!(series.len() as u64, k);
        assert!(series.iter().all(|v| v.is_finite()));
    }
    assert!(t.outputs.iter().flatten().all(|v| v.is_finite()));
    // JSON has numbers only (serde_json writes NaN as null, which would fail to parse back).
    let back: NetworkTrajectory = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
    assert_eq!(back, t);
}

#[test]
fn ensemble_members_differ_and_match_single_runs() {
    let mut spec = linear_one_sample(32, 0);
    spec.steps = 30;
    spec.eta = 1.2;
    let runs = run_network_ensemble(&spec, 4, |_, _| ControlFlow::Continue(())).unwrap();
    assert_eq!(runs.len(), 4);
    for (m, r) in runs.iter().enumerate() {
        let single = run_network(&CatapultNetworkSpec { seed: m as u64, ..spec.clone() }, go).unwrap();
        assert_eq!(*r, single);
        assert_eq!(r.eta, 1.2);
    }
    assert!(runs.windows(2).all(|w| w[0].lambda[0] != w[1].lambda[0]));
}

#[test]
fn bad_network_specs_are_typed_errors() {
    let ok = linear_one_sample(16, 0);
    assert!(run_network(&ok, go).is_ok());
    let err = |s: CatapultNetworkSpec| run_network(&s, go).unwrap_err();
    assert_eq!(err(CatapultNetworkSpec { width: 0, ..ok.clone() }), CatapultError::NetworkWidth(0));
    assert_eq!(err(CatapultNetworkSpec { eta: 0.0, ..ok.clone() }), CatapultError::LearningRate(0.0));
    assert!(err(CatapultNetworkSpec { eta: f64::NAN, ..ok.clone() }).to_string().contains("NaN"));
    assert_eq!(err(CatapultNetworkSpec { steps: 0, ..ok.clone() }), CatapultError::Steps(0));
    assert!(matches!(err(CatapultNetworkSpec { sigma_w2: 0.0, ..ok.clone() }), CatapultError::Arch(_)));
    assert!(matches!(err(CatapultNetworkSpec { sigma_b2: -1.0, ..ok.clone() }), CatapultError::Arch(_)));
    assert!(matches!(
        err(CatapultNetworkSpec { y_train: vec![0.0, 1.0], ..ok.clone() }),
        CatapultError::Data(_)
    ));
    assert!(matches!(
        err(CatapultNetworkSpec { y_train: vec![f64::NAN], ..ok.clone() }),
        CatapultError::Data(_)
    ));
    assert!(matches!(
        err(CatapultNetworkSpec {
            x_train: vec![vec![1.0], vec![1.0, 2.0]],
            y_train: vec![0.0, 0.0],
            ..ok.clone()
        }),
        CatapultError::Data(_)
    ));
    assert!(matches!(
        err(CatapultNetworkSpec { x_train: vec![], y_train: vec![], ..ok.clone() }),
        CatapultError::Data(_)
    ));
    let many = MAX_POINTS + 1;
    assert!(matches!(
        err(CatapultNetworkSpec { x_train: vec![vec![1.0]; many], y_train: vec![0.0; many], ..ok.clone() }),
        CatapultError::Data(_)
    ));
    assert!(matches!(ok.clone().with_eta_lambda0(0.0), Err(CatapultError::EtaLambda0(_))));
    // x = 0 with no biases: Θ̂₀ = 0, so η cannot be set from ηλ₀.
    let dead = CatapultNetworkSpec { x_train: vec![vec![0.0]], ..ok.clone() };
    assert!(matches!(dead.with_eta_lambda0(2.0), Err(CatapultError::DegenerateKernel(_))));
}

#[test]
fn specs_and_results_round_trip_through_json() {
    let spec = linear_one_sample(8, 2);
    let back: CatapultNetworkSpec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
    assert_eq!(back, spec);
    let map_spec = TwoScalarSpec { eta: 1.0, width: 100.0, lambda0: 2.0, f0: 0.5, steps: 5 };
    let traj = two_scalar_map(&map_spec).unwrap();
    let json = serde_json::to_value(&traj).unwrap();
    assert_eq!(json["phase"], "lazy");
    assert!(json["diverged_at"].is_null());
    let back: TwoScalarTrajectory = serde_json::from_value(json).unwrap();
    assert_eq!(back, traj);
}
