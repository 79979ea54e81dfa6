//! The linearized network trained directly in parameter space (paper §2.2, Eq. 8 and 11):
//!
//! `f_lin(x) = f₀(x) + J₀(x) (θ − θ₀)`, `J₀ = ∇_θ f(x)|_{θ₀}`,
//!
//! trained by the same step, loss and optimizer as the network ([`Trainer`](crate::nets::train::Trainer)),
//! so that cross-entropy and minibatch SGD apply to it as they do to the network (paper §2.3,
//! Figure 4, S2, S3), with no closed form needed.
//!
//! The Jacobian is never formed. With the network's layer structure, `∂f/∂W^l = c_w δ^l (x^{l−1})ᵀ`
//! and `∂f/∂b^l = c_b δ^l`, where `δ^l(x) = ∂f(x)/∂h^l` and `x^{l−1}(x)` are taken once at θ₀
//! ([`Tangents`]). Writing `Δ = θ − θ₀` layer by layer:
//!
//! - the forward pass (a Jacobian–vector product) is
//!   `f_lin(x) = f₀(x) + Σ_l δ^l(x) · (c_w ΔW^l x^{l−1}(x) + c_b Δb^l)`: one Dense product per
//!   layer with the Δ weights;
//! - the update (a vector–Jacobian product) is `ΔW^l ← ΔW^l − η c_w Σ_s g_s δ^l_s (x^{l−1}_s)ᵀ`,
//!   `Δb^l ← Δb^l − η c_b Σ_s g_s δ^l_s` — the network's update with its backpropagated vectors
//!   frozen at θ₀ (`layer_step`, the same pass).

use crate::nets::layer_step::layer_step;
use crate::nets::mlp::{dense_forward, Mlp, MlpError, Real};
use crate::nets::train::Model;

/// The factors of the Jacobian J₀ on a point set, taken at θ₀: per layer l (input first,
/// readout last) the layer's inputs `x^{l−1}(x_s)` and `δ^l(x_s) = ∂f(x_s)/∂h^l`, and f₀(x_s).
#[derive(Clone, Debug, PartialEq)]
pub struct Tangents<T> {
    /// number of points
    pub n: usize,
    /// per layer: inputs, n × n_in (batch-major)
    pub inputs: Vec<Vec<T>>,
    /// per layer: backpropagated vectors, n × n_out (the readout's are all 1)
    pub deltas: Vec<Vec<T>>,
    /// f₀ on the points
    pub f0: Vec<T>,
}

impl<T: Real> Tangents<T> {
    /// Forward and backward pass of `net` on the points `x` (batch-major, n × d).
    ///
    /// # Errors
    /// [`MlpError::Shape`] if `x` does not hold whole points.
    pub fn new(net: &Mlp<T>, x: &[T]) -> Result<Self, MlpError> {
        let n = net.points_in(x)?;
        let trace = net.forward_trace(x, n);
        let deltas = net.output_deltas(&trace);
        Ok(Tangents { n, inputs: trace.acts, deltas, f0: trace.out })
    }
}

/// The linearization of a network around its initial parameters, in training.
#[derive(Clone, Debug)]
pub struct LinearModel<T> {
    /// θ₀
    net0: Mlp<T>,
    /// Δ = θ − θ₀, as layers with θ₀'s multipliers c_w, c_b (zero at the start)
    delta: Mlp<T>,
    /// J₀ on the training points
    train: Tangents<T>,
    readout_only: bool,
    /// points in the last forward pass, and the batch (empty: all N)
    rows: usize,
    batch: Vec<usize>,
    /// per layer: the batch's inputs and δ's (gathered for minibatches)
    batch_inputs: Vec<Vec<T>>,
    batch_deltas: Vec<Vec<T>>,
    out: Vec<T>,
    /// per layer: `c_w ΔW x + c_b Δb` on the batch
    h: Vec<T>,
    d: Vec<T>,
    g: Vec<T>,
    gb: Vec<T>,
    velocity: Option<Vec<(Vec<T>, Vec<T>)>>,
    scratch: Vec<T>,
}

/// `Σ_l δ^l_s · (c_w ΔW^l x^{l−1}_s + c_b Δb^l)` added to `out[s]` for the first `rows` points
/// of `inputs` and `deltas` (per layer, batch-major), layers `from..`.
pub(crate) fn add_jvp<T: Real>(
    delta: &Mlp<T>,
    from: usize,
    inputs: &[Vec<T>],
    deltas: &[Vec<T>],
    rows: usize,
    h: &mut Vec<T>,
    out: &mut [T],
) {
    for (l, layer) in delta.layers.iter().enumerate().skip(from) {
        let n_out = layer.n_out;
        h.resize(rows * n_out, T::ZERO);
        dense_forward(layer, &inputs[l], rows, h);
        for (s, o) in out[..rows].iter_mut().enumerate() {
            let mut sum = T::ZERO;
            for (&dj, &hj) in deltas[l][s * n_out..(s + 1) * n_out].iter().zip(&h[s * n_out..(s + 1) * n_out])
            {
                sum = dj.madd(hj, sum);
            }
            *o += sum;
        }
    }
}

impl<T: Real> LinearModel<T> {
    /// The linearization of `net0` around its parameters, on the training points `x`
    /// (batch-major N × d); with `readout_only` only the readout layer's Δ trains.
    ///
    /// # Errors
    /// [`MlpError`] for points that are not whole points, none, or non-finite.
    pub fn new(net0: Mlp<T>, x: &[f64], readout_only: bool) -> Result<Self, MlpError> {
        if let Some(&v) = x.iter().find(|v| !v.is_finite()) {
            return Err(MlpError::NotFinite { what: "data", value: v });
        }
        let x: Vec<T> = x.iter().map(|&v| T::from_f64(v)).collect();
        let train = Tangents::new(&net0, &x)?;
        if train.n == 0 {
            return Err(MlpError::Shape("no training points".into()));
        }
        let mut delta = net0.clone();
        for layer in &mut delta.layers {
            layer.w.iter_mut().for_each(|w| *w = T::ZERO);
            layer.b.iter_mut().for_each(|b| *b = T::ZERO);
        }
        let layers = net0.layers.len();
        let n = train.n;
        Ok(LinearModel {
            rows: n,
            batch: Vec::new(),
            batch_inputs: vec![Vec::new(); layers],
            batch_deltas: vec![Vec::new(); layers],
            out: vec![T::ZERO; n],
            h: Vec::new(),
            d: Vec::new(),
            g: Vec::new(),
            gb: Vec::new(),
            velocity: None,
            scratch: Vec::new(),
            net0,
            delta,
            train,
            readout_only,
        })
    }

    /// The network it linearizes (θ₀).
    pub fn initial(&self) -> &Mlp<T> {
        &self.net0
    }

    /// Δ = θ − θ₀ as a network's layers (weights and biases only are meaningful).
    pub fn displacement(&self) -> &Mlp<T> {
        &self.delta
    }

    /// θ = θ₀ + Δ, flattened as [`Mlp::params`].
    pub fn params(&self) -> Vec<T> {
        self.net0.params().iter().zip(self.delta.params()).map(|(&a, b)| a + b).collect()
    }

    /// The first trained layer.
    fn first_trained(&self) -> usize {
        if self.readout_only {
            self.net0.layers.len() - 1
        } else {
            0
        }
    }

    /// `f_lin` on a point set whose [`Tangents`] were taken from this model's θ₀ (paper Eq. 8).
    pub fn outputs_on(&self, points: &Tangents<T>) -> Vec<T> {
        let mut out = points.f0.clone();
        let mut h = Vec::new();
        add_jvp(
            &self.delta,
            self.first_trained(),
            &points.inputs,
            &points.deltas,
            points.n,
            &mut h,
            &mut out,
        );
        out
    }

    /// `f_lin` on the training points.
    pub fn train_outputs(&self) -> Vec<T> {
        self.outputs_on(&self.train)
    }

    /// J₀ on the points `x` (batch-major) of this model's θ₀, for [`LinearModel::outputs_on`].
    ///
    /// # Errors
    /// [`MlpError::Shape`] if `x` does not hold whole points.
    pub fn tangents(&self, x: &[T]) -> Result<Tangents<T>, MlpError> {
        Tangents::new(&self.net0, x)
    }
}

impl<T: Real> Model for LinearModel<T> {
    type Scalar = T;

    fn points(&self) -> usize {
        self.train.n
    }

    /// `f_lin(x_s) = f₀(x_s) + Σ_l δ^l_s · (c_w ΔW^l x^{l−1}_s + c_b Δb^l)` on the batch.
    fn forward(&mut self, batch: Option<&[usize]>) -> &[T] {
        let from = self.first_trained();
        match batch {
            None => {
                self.rows = self.train.n;
                self.batch.clear();
                self.out.copy_from_slice(&self.train.f0);
                add_jvp(
                    &self.delta,
                    from,
                    &self.train.inputs,
                    &self.train.deltas,
                    self.rows,
                    &mut self.h,
                    &mut self.out,
                );
            }
            Some(batch) => {
                self.rows = batch.len();
                self.batch.clear();
                self.batch.extend_from_slice(batch);
                for l in from..self.delta.layers.len() {
                    let (n_in, n_out) = (self.delta.layers[l].n_in, self.delta.layers[l].n_out);
                    let (bi, bd) = (&mut self.batch_inputs[l], &mut self.batch_deltas[l]);
                    bi.clear();
                    bd.clear();
                    for &i in batch {
                        bi.extend_from_slice(&self.train.inputs[l][i * n_in..(i + 1) * n_in]);
                        bd.extend_from_slice(&self.train.deltas[l][i * n_out..(i + 1) * n_out]);
                    }
                }
                for (o, &i) in self.out.iter_mut().zip(batch) {
                    *o = self.train.f0[i];
                }
                add_jvp(
                    &self.delta,
                    from,
                    &self.batch_inputs,
                    &self.batch_deltas,
                    self.rows,
                    &mut self.h,
                    &mut self.out,
                );
            }
        }
        &self.out[..self.rows]
    }

    fn outputs(&self) -> &[T] {
        &self.out[..self.rows]
    }

    /// `v ← β v − η J₀_Bᵀ g`, `Δ ← Δ + v`, layer by layer: the network's update with the δ's and
    /// layer inputs of θ₀ (paper Eq. 11 / S1).
    fn update(&mut self, dloss: &[T], eta: T, beta: T) {
        let n = self.rows;
        if beta != T::ZERO && self.velocity.is_none() {
            self.velocity = Some(
                self.delta
                    .layers
                    .iter()
                    .map(|l| (vec![T::ZERO; l.w.len()], vec![T::ZERO; l.b.len()]))
                    .collect(),
            );
        }
        let full = self.batch.is_empty();
        for l in self.first_trained()..self.delta.layers.len() {
            let layer = &mut self.delta.layers[l];
            let n_out = layer.n_out;
            let (cw, cb) = (layer.cw, layer.cb);
            let (inputs, deltas) = if full {
                (&self.train.inputs[l], &self.train.deltas[l])
            } else {
                (&self.batch_inputs[l], &self.batch_deltas[l])
            };
            self.d.resize(n * n_out, T::ZERO);
            self.g.resize(n * n_out, T::ZERO);
            self.gb.resize(n_out, T::ZERO);
            for s in 0..n {
                for j in 0..n_out {
                    self.d[s * n_out + j] = dloss[s] * deltas[s * n_out + j];
                }
            }
            for (gv, &d) in self.g.iter_mut().zip(&self.d) {
                *gv = -(eta * cw * d);
            }
            for j in 0..n_out {
                let mut sum = T::ZERO;
                for s in 0..n {
                    sum += self.d[s * n_out + j];
                }
                self.gb[j] = -(eta * cb * sum);
            }
            let mom = self.velocity.as_mut().map(|v| {
                let (vw, vb) = &mut v[l];
                (beta, vw.as_mut_slice(), vb.as_mut_slice())
            });
            layer_step(layer, &self.d, &self.g, inputs, n, None, mom, &self.gb, &mut self.scratch);
        }
    }
}
