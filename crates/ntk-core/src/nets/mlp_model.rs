//! The network as a trainable [`Model`]: an [`Mlp`] with its training points and preallocated
//! buffers, so that a step allocates nothing. Backpropagation and the update of every layer are
//! one fused pass over its weights (`layer_step`): with `δ^{L+1}_s = g_s` (the loss gradient
//! of point s),
//!
//! `δ^l = φ'(h^l) ⊙ c_w (W^{l+1})ᵀ δ^{l+1}` (old weights), `W^l ← W^l − η c_w Σ_s δ^l_s (x^{l−1}_s)ᵀ`,
//! `b^l ← b^l − η c_b Σ_s δ^l_s` (paper Eq. 1, SM F), or the momentum update of Eq. S1.

use crate::nets::layer_step::layer_step;
use crate::nets::mlp::{dense_forward, Mlp, MlpError, Real};
use crate::nets::train::{Model, TrainOptions, Trainer};

/// A network in training on its N training points.
#[derive(Clone, Debug)]
pub struct MlpModel<T> {
    net: Mlp<T>,
    /// number of training points N
    n: usize,
    /// the training inputs (N × d, batch-major)
    x: Vec<T>,
    /// points in the last forward pass
    rows: usize,
    /// whether `acts[0]` holds all N inputs in order
    inputs_full: bool,
    readout_only: bool,
    /// `acts[l]` inputs of layer l (acts[0] = the batch's x), batch-major
    acts: Vec<Vec<T>>,
    /// `pre[l]` pre-activations of hidden layer l+1
    pre: Vec<Vec<T>>,
    out: Vec<T>,
    delta: Vec<T>,
    back: Vec<T>,
    g: Vec<T>,
    gb: Vec<T>,
    velocity: Option<Vec<(Vec<T>, Vec<T>)>>,
    /// readout-only, full batch: `acts[depth]` holds the (fixed) features of all N points
    features_ready: bool,
    /// readout-only with minibatches: the fixed features of all N points
    all_features: Option<Vec<T>>,
    /// scratch of the fused backward-update pass
    scratch: Vec<T>,
}

impl<T: Real> MlpModel<T> {
    /// `net` on the N points `x` (batch-major N × d); with `readout_only` only the readout layer
    /// trains (the hidden features are computed once).
    ///
    /// # Errors
    /// [`MlpError`] for points that are not whole d-dimensional points, none, or non-finite.
    pub fn new(net: Mlp<T>, x: &[f64], readout_only: bool) -> Result<Self, MlpError> {
        let d = net.input_dim();
        if x.is_empty() || !x.len().is_multiple_of(d) {
            return Err(MlpError::Shape(format!("{} inputs are not whole points of dimension {d}", x.len())));
        }
        if let Some(&v) = x.iter().find(|v| !v.is_finite()) {
            return Err(MlpError::NotFinite { what: "data", value: v });
        }
        let n = x.len() / d;
        let width = net.layers[0].n_out;
        let depth = net.arch.depth;
        let x: Vec<T> = x.iter().map(|&v| T::from_f64(v)).collect();
        let mut acts = vec![x.clone()];
        acts.extend((0..depth).map(|_| vec![T::ZERO; n * width]));
        Ok(MlpModel {
            n,
            x,
            rows: n,
            inputs_full: true,
            readout_only,
            acts,
            pre: (0..depth).map(|_| vec![T::ZERO; n * width]).collect(),
            out: vec![T::ZERO; n],
            delta: vec![T::ZERO; n * width.max(1)],
            back: vec![T::ZERO; n * width.max(d)],
            g: vec![T::ZERO; n * width.max(1)],
            gb: vec![T::ZERO; width.max(1)],
            velocity: None,
            features_ready: false,
            all_features: None,
            scratch: Vec::new(),
            net,
        })
    }

    /// The network at the current parameters.
    pub fn net(&self) -> &Mlp<T> {
        &self.net
    }

    /// Hidden layers on the points of `acts[0]` (`rows` of them).
    fn hidden_forward(&mut self, rows: usize) {
        let act = self.net.arch.activation;
        for l in 0..self.net.arch.depth {
            let (lo, hi) = self.acts.split_at_mut(l + 1);
            let len = rows * self.net.layers[l].n_out;
            dense_forward(&self.net.layers[l], &lo[l], rows, &mut self.pre[l]);
            T::phi_layer(act, &self.pre[l][..len], &mut hi[0][..len]);
        }
    }

    /// Copies the rows `batch` of `src` (rows of `len` values) to the start of `dst`.
    fn gather(src: &[T], len: usize, batch: &[usize], dst: &mut [T]) {
        for (k, &i) in batch.iter().enumerate() {
            dst[k * len..(k + 1) * len].copy_from_slice(&src[i * len..(i + 1) * len]);
        }
    }
}

impl<T: Real> Model for MlpModel<T> {
    type Scalar = T;

    fn points(&self) -> usize {
        self.n
    }

    /// The forward pass `h^{l+1} = c_w W^{l+1} x^l + c_b b^{l+1}`, `x^{l+1} = φ(h^{l+1})` on the
    /// batch (Eq. 1); read-out-only training computes the hidden features once.
    fn forward(&mut self, batch: Option<&[usize]>) -> &[T] {
        let depth = self.net.arch.depth;
        let d = self.net.input_dim();
        match batch {
            None => {
                self.rows = self.n;
                if !self.inputs_full {
                    self.acts[0].copy_from_slice(&self.x);
                    self.inputs_full = true;
                    self.features_ready = false;
                }
                if !(self.readout_only && self.features_ready) {
                    self.hidden_forward(self.n);
                }
                self.features_ready = true;
            }
            Some(batch) => {
                self.rows = batch.len();
                self.features_ready = false;
                if self.readout_only {
                    if self.all_features.is_none() {
                        let features = self.net.forward_trace(&self.x, self.n).acts.pop().unwrap_or_default();
                        self.all_features = Some(features);
                    }
                    let width = self.net.layers[depth].n_in;
                    if let Some(f) = &self.all_features {
                        Self::gather(f, width, batch, &mut self.acts[depth]);
                    }
                } else {
                    Self::gather(&self.x, d, batch, &mut self.acts[0]);
                    self.inputs_full = false;
                    self.hidden_forward(batch.len());
                }
            }
        }
        dense_forward(&self.net.layers[depth], &self.acts[depth], self.rows, &mut self.out);
        &self.out[..self.rows]
    }

    fn outputs(&self) -> &[T] {
        &self.out[..self.rows]
    }

    /// Backpropagation from `dloss` and the update of every trained layer, one fused pass over
    /// each weight matrix (`(c_w W)ᵀ δ` with the old weights, then `W ← W − η c_w Σ δ xᵀ`, or
    /// the momentum update of paper Eq. S1).
    fn update(&mut self, dloss: &[T], eta: T, beta: T) {
        let n = self.rows;
        let depth = self.net.arch.depth;
        let act = self.net.arch.activation;
        self.delta[..n].copy_from_slice(&dloss[..n]);
        if beta != T::ZERO && self.velocity.is_none() {
            self.velocity = Some(
                self.net
                    .layers
                    .iter()
                    .map(|l| (vec![T::ZERO; l.w.len()], vec![T::ZERO; l.b.len()]))
                    .collect(),
            );
        }
        let lowest = if self.readout_only { depth } else { 0 };
        for l in (lowest..=depth).rev() {
            let layer = &mut self.net.layers[l];
            let n_out = layer.n_out;
            let n_in = layer.n_in;
            let (cw, cb) = (layer.cw, layer.cb);
            for (gv, &d) in self.g[..n * n_out].iter_mut().zip(&self.delta[..n * n_out]) {
                *gv = -(eta * cw * d);
            }
            for j in 0..n_out {
                let mut sum = T::ZERO;
                for s in 0..n {
                    sum += self.delta[s * n_out + j];
                }
                self.gb[j] = -(eta * cb * sum);
            }
            for d in &mut self.delta[..n * n_out] {
                *d = cw * *d;
            }
            let need_back = l > lowest;
            let back = need_back.then_some(&mut self.back[..n * n_in]);
            let mom = self.velocity.as_mut().map(|v| {
                let (vw, vb) = &mut v[l];
                (beta, vw.as_mut_slice(), vb.as_mut_slice())
            });
            layer_step(layer, &self.delta, &self.g, &self.acts[l], n, back, mom, &self.gb, &mut self.scratch);
            if need_back {
                // δ^{l} = φ'(h^{l}) ⊙ c_w Wᵀ δ^{l+1}
                T::dphi_times(act, &self.pre[l - 1], &self.back[..n * n_in], &mut self.delta[..n * n_in]);
            }
        }
    }
}

impl<T: Real> Trainer<MlpModel<T>> {
    /// A trainer of `net` on the N points `x` (batch-major N × d) with targets `y`.
    ///
    /// # Errors
    /// [`MlpError`] for mismatched shapes, non-finite data or options that
    /// [`TrainOptions::validate`](crate::nets::train::TrainOptions::validate) refuses.
    pub fn network(net: Mlp<T>, x: &[f64], y: &[f64], opts: TrainOptions) -> Result<Self, MlpError> {
        let d = net.input_dim();
        if y.is_empty() || x.len() != y.len() * d {
            return Err(MlpError::Shape(format!(
                "{} inputs of dimension {d} for {} targets",
                x.len(),
                y.len()
            )));
        }
        Trainer::new(MlpModel::new(net, x, opts.readout_only)?, y, opts)
    }

    /// The network at the current parameters.
    pub fn net(&self) -> &Mlp<T> {
        self.model().net()
    }
}
