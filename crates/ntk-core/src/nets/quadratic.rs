//! The quadratic model: the network's second-order Taylor expansion around θ₀ (docs/MATH.md,
//! "The quadratic model"),
//!
//! `f_quad(x) = f₀(x) + J₀(x) δ + ½ δᵀ H₀(x) δ`,   `δ = θ − θ₀`, `H₀(x) = ∇²_θ f(x)|_{θ₀}`,
//!
//! trained by the same step, loss and optimizer as the network and its linearization
//! ([`Trainer`](crate::nets::train::Trainer)): the update is `v ← β v − η ∇_δ L_B`, `δ ← δ + v`
//! with
//!
//! `∇_δ L_B = Σ_{i∈B} gᵢ ∇_δ f_quad(xᵢ) = Σ_{i∈B} gᵢ (∇f₀(xᵢ) + H₀(xᵢ) δ)`,  `gᵢ = ∂L_B/∂f(xᵢ)`.
//!
//! The Hessian is never formed. The network is evaluated in dual numbers ([`Dual`]) at
//! `θ₀ + ε δ`:
//!
//! - its forward pass gives `f₀(x) + ε J₀(x) δ`;
//! - its backpropagation of `Σᵢ gᵢ f(xᵢ)` gives `Σᵢ gᵢ ∇f₀(xᵢ) + ε Σᵢ gᵢ H₀(xᵢ) δ` — both parts
//!   of the update above, in one pass (a Hessian–vector product, [`hessian_vector_product`]);
//! - the Jacobian–vector product `J(θ) δ = Σ_l δ^l(x) · (c_w ΔW^l x^{l−1}(x) + c_b Δb^l)` (the
//!   linearization's forward pass, with `δ^l = ∂f/∂h^l` and the layer inputs `x^{l−1}` of the
//!   dual network) has the tangent `d/dt J(θ₀ + tδ) δ = δᵀ H₀(x) δ`, the quadratic term.
//!
//! So a step costs a forward pass, a backward pass and one Dense product per layer, in dual
//! f64 arithmetic (about four times an f64 network step). With `readout_only` only the
//! readout's δ trains; f is linear in the readout, so the model is then the linearization.
//! For the piecewise-linear activations (`relu`, `leaky_relu`) φ'' = 0 away from the kink:
//! H₀ has only the terms from products of weights of different layers.

use crate::nets::dual::Dual;
use crate::nets::linear_model::add_jvp;
use crate::nets::mlp::{Mlp, MlpError, Real, Trace};
use crate::nets::train::Model;

/// Per point: `f₀(x)`, the first-order term `J₀(x) δ` and the second-order one `δᵀ H₀(x) δ`,
/// so that `f_quad = f0 + first + ½ second`.
#[derive(Clone, Debug, PartialEq)]
pub struct TaylorTerms {
    /// f₀ on the points
    pub f0: Vec<f64>,
    /// `J₀ δ` on the points
    pub first: Vec<f64>,
    /// `δᵀ H₀ δ` on the points
    pub second: Vec<f64>,
}

impl TaylorTerms {
    /// `f_quad = f₀ + J₀δ + ½ δᵀH₀δ` per point.
    pub fn quadratic(&self) -> Vec<f64> {
        self.f0.iter().zip(&self.first).zip(&self.second).map(|((a, b), c)| a + b + 0.5 * c).collect()
    }
}

/// The network `net` with parameters `θ + ε v` (v in [`Mlp::params`] layout).
fn dual_network(net: &Mlp<f64>, v: &[f64]) -> Result<Mlp<Dual>, MlpError> {
    let mut dual: Mlp<Dual> = net.cast();
    set_tangent(&mut dual, v)?;
    Ok(dual)
}

/// Sets the tangent parts of the dual network's parameters to v ([`Mlp::params`] layout).
fn set_tangent(dual: &mut Mlp<Dual>, v: &[f64]) -> Result<(), MlpError> {
    if v.len() != dual.num_params() {
        return Err(MlpError::Shape(format!(
            "{} directions given, network has {} parameters",
            v.len(),
            dual.num_params()
        )));
    }
    let mut it = v.iter();
    for layer in &mut dual.layers {
        for p in layer.w.iter_mut().chain(layer.b.iter_mut()) {
            p.t = it.next().copied().unwrap_or(0.0);
        }
    }
    Ok(())
}

/// Checks points for the network: whole points, finite; returns their number.
fn check_points(net: &Mlp<f64>, x: &[f64]) -> Result<usize, MlpError> {
    if let Some(&v) = x.iter().find(|v| !v.is_finite()) {
        return Err(MlpError::NotFinite { what: "data", value: v });
    }
    net.points_in(x)
}

/// The gradient and the Hessian–vector product of `Σᵢ gᵢ f(xᵢ)` at the network's parameters θ:
/// `(Σᵢ gᵢ ∇f(xᵢ), Σᵢ gᵢ ∇²f(xᵢ) v)`, both in [`Mlp::params`] layout, from one backpropagation
/// in dual numbers at `θ + ε v`.
///
/// # Errors
/// [`MlpError`] for points that are not whole or not finite, or `g`, `v` of the wrong length.
pub fn hessian_vector_product(
    net: &Mlp<f64>,
    x: &[f64],
    g: &[f64],
    v: &[f64],
) -> Result<(Vec<f64>, Vec<f64>), MlpError> {
    let n = check_points(net, x)?;
    if g.len() != n {
        return Err(MlpError::Shape(format!("{} weights given for {n} points", g.len())));
    }
    let dual = dual_network(net, v)?;
    let xd: Vec<Dual> = x.iter().map(|&a| Dual::from_f64(a)).collect();
    let trace = dual.forward_trace(&xd, n);
    let gd: Vec<Dual> = g.iter().map(|&a| Dual::from_f64(a)).collect();
    Ok(split(&dual.gradients(&trace, &gd).layers))
}

/// Value and tangent parts of per-layer dual gradients, flattened in [`Mlp::params`] layout.
fn split(layers: &[(Vec<Dual>, Vec<Dual>)]) -> (Vec<f64>, Vec<f64>) {
    let all = || layers.iter().flat_map(|(w, b)| w.iter().chain(b));
    (all().map(|d| d.v).collect(), all().map(|d| d.t).collect())
}

/// `f₀`, `J₀δ` and `δᵀH₀δ` on the `rows` points of a dual trace at `θ₀ + ε δ`.
fn terms(dual: &Mlp<Dual>, trace: &Trace<Dual>, rows: usize) -> TaylorTerms {
    let deltas = dual.output_deltas(trace);
    let mut step = dual.clone();
    for layer in &mut step.layers {
        for p in layer.w.iter_mut().chain(layer.b.iter_mut()) {
            *p = Dual::new(p.t, 0.0);
        }
    }
    let mut jvp = vec![Dual::ZERO; rows];
    add_jvp(&step, 0, &trace.acts, &deltas, rows, &mut Vec::new(), &mut jvp);
    TaylorTerms {
        f0: trace.out.iter().map(|d| d.v).collect(),
        first: trace.out.iter().map(|d| d.t).collect(),
        second: jvp.iter().map(|d| d.t).collect(),
    }
}

/// The quadratic model of a network around its initial parameters θ₀, in training on its N
/// training points.
#[derive(Clone, Debug)]
pub struct QuadraticModel {
    /// the network at `θ₀ + ε δ`: values θ₀, tangents δ
    dual: Mlp<Dual>,
    /// training inputs, N × d
    x: Vec<Dual>,
    n: usize,
    readout_only: bool,
    /// the last forward pass: its trace and batch (empty: all N)
    trace: Option<Trace<Dual>>,
    batch: Vec<usize>,
    out: Vec<f64>,
    /// the velocity of the momentum update, [`Mlp::params`] layout
    velocity: Vec<f64>,
}

impl QuadraticModel {
    /// The quadratic model of `net0` around its parameters (taken in f64), on the training
    /// points `x` (batch-major N × d); with `readout_only` only the readout's δ trains.
    ///
    /// # Errors
    /// [`MlpError`] for points that are not whole points, none, or non-finite.
    pub fn new<T: Real>(net0: &Mlp<T>, x: &[f64], readout_only: bool) -> Result<Self, MlpError> {
        let net: Mlp<f64> = net0.cast();
        let n = check_points(&net, x)?;
        if n == 0 {
            return Err(MlpError::Shape("no training points".into()));
        }
        Ok(QuadraticModel {
            dual: net.cast(),
            x: x.iter().map(|&v| Dual::from_f64(v)).collect(),
            n,
            readout_only,
            trace: None,
            batch: Vec::new(),
            out: vec![0.0; n],
            velocity: Vec::new(),
        })
    }

    /// θ₀.
    pub fn initial_params(&self) -> Vec<f64> {
        self.dual.params().iter().map(|d| d.v).collect()
    }

    /// δ = θ − θ₀ ([`Mlp::params`] layout).
    pub fn delta(&self) -> Vec<f64> {
        self.dual.params().iter().map(|d| d.t).collect()
    }

    /// θ = θ₀ + δ.
    pub fn params(&self) -> Vec<f64> {
        self.dual.params().iter().map(|d| d.v + d.t).collect()
    }

    /// Sets δ (for checks; training moves it by [`Model::update`]).
    ///
    /// # Errors
    /// [`MlpError::Shape`] for a δ of the wrong length.
    pub fn set_delta(&mut self, delta: &[f64]) -> Result<(), MlpError> {
        set_tangent(&mut self.dual, delta)?;
        self.trace = None;
        Ok(())
    }

    /// `f₀`, `J₀δ` and `δᵀH₀δ` on the points `x` (batch-major).
    ///
    /// # Errors
    /// [`MlpError`] for points that are not whole or not finite.
    pub fn terms_on(&self, x: &[f64]) -> Result<TaylorTerms, MlpError> {
        let net0: Mlp<f64> = self.dual.cast();
        let n = check_points(&net0, x)?;
        let xd: Vec<Dual> = x.iter().map(|&a| Dual::from_f64(a)).collect();
        let trace = self.dual.forward_trace(&xd, n);
        Ok(terms(&self.dual, &trace, n))
    }

    /// `f_quad` on the points `x` (batch-major).
    ///
    /// # Errors
    /// [`MlpError`] for points that are not whole or not finite.
    pub fn outputs_on(&self, x: &[f64]) -> Result<Vec<f64>, MlpError> {
        Ok(self.terms_on(x)?.quadratic())
    }

    /// `f_quad` on the training points.
    pub fn train_outputs(&self) -> Vec<f64> {
        let trace = self.dual.forward_trace(&self.x, self.n);
        terms(&self.dual, &trace, self.n).quadratic()
    }

    /// `∇_δ Σᵢ gᵢ f_quad(xᵢ) = Σᵢ gᵢ (∇f₀(xᵢ) + H₀(xᵢ) δ)` over the training points
    /// ([`Mlp::params`] layout; every entry, also with `readout_only`).
    ///
    /// # Errors
    /// [`MlpError::Shape`] unless there is one gᵢ per training point.
    pub fn gradient(&self, g: &[f64]) -> Result<Vec<f64>, MlpError> {
        if g.len() != self.n {
            return Err(MlpError::Shape(format!("{} weights given for {} points", g.len(), self.n)));
        }
        let trace = self.dual.forward_trace(&self.x, self.n);
        Ok(self.gradient_at(&trace, g))
    }

    fn gradient_at(&self, trace: &Trace<Dual>, g: &[f64]) -> Vec<f64> {
        let gd: Vec<Dual> = g.iter().map(|&a| Dual::from_f64(a)).collect();
        let (value, tangent) = split(&self.dual.gradients(trace, &gd).layers);
        value.iter().zip(&tangent).map(|(a, b)| a + b).collect()
    }

    /// Number of parameters before the readout layer's (fixed with `readout_only`).
    fn hidden_params(&self) -> usize {
        let last = self.dual.layers.len() - 1;
        self.dual.layers[..last].iter().map(|l| l.w.len() + l.b.len()).sum()
    }
}

impl Model for QuadraticModel {
    type Scalar = f64;

    fn points(&self) -> usize {
        self.n
    }

    /// `f_quad(x_s) = f₀(x_s) + J₀(x_s) δ + ½ δᵀ H₀(x_s) δ` on the batch.
    fn forward(&mut self, batch: Option<&[usize]>) -> &[f64] {
        let d = self.dual.input_dim();
        let trace = match batch {
            None => {
                self.batch.clear();
                self.dual.forward_trace(&self.x, self.n)
            }
            Some(batch) => {
                self.batch.clear();
                self.batch.extend_from_slice(batch);
                let xb: Vec<Dual> =
                    batch.iter().flat_map(|&i| self.x[i * d..(i + 1) * d].iter().copied()).collect();
                self.dual.forward_trace(&xb, batch.len())
            }
        };
        let rows = trace.n;
        self.out = terms(&self.dual, &trace, rows).quadratic();
        self.trace = Some(trace);
        &self.out
    }

    fn outputs(&self) -> &[f64] {
        &self.out
    }

    /// `v ← β v − η Σ_s g_s (∇f₀(x_s) + H₀(x_s) δ)`, `δ ← δ + v` over the batch of the last
    /// forward pass (only the readout's entries with `readout_only`).
    fn update(&mut self, dloss: &[f64], eta: f64, beta: f64) {
        let trace = match self.trace.take() {
            Some(t) => t,
            None => self.dual.forward_trace(&self.x, self.n),
        };
        let rows = trace.n.min(dloss.len());
        let grad = self.gradient_at(&trace, &dloss[..rows]);
        if self.velocity.len() != grad.len() {
            self.velocity = vec![0.0; grad.len()];
        }
        let from = if self.readout_only { self.hidden_params() } else { 0 };
        let mut delta = self.delta();
        for ((d, v), &gr) in delta.iter_mut().zip(self.velocity.iter_mut()).zip(&grad).skip(from) {
            *v = beta * *v - eta * gr;
            *d += *v;
        }
        // δ has the network's length, so this cannot fail.
        let _ = set_tangent(&mut self.dual, &delta);
    }
}
