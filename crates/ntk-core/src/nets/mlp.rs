//! The finite fully connected network of docs/MATH.md: `depth` hidden layers `Dense → φ` of width
//! n, then a readout Dense to one output, in NTK or standard parameterization (paper Eq. 1,
//! SM F), with seeded initialisation, forward pass and hand-written backpropagation. The fused
//! backward-and-update pass of one layer that every model's training step uses
//! ([`crate::nets::train`]) is in [`crate::nets::layer_step`].
//!
//! Both parameterizations are written as one affine map per layer,
//! `h = c_w · W x + c_b · b`:
//! NTK: W, b ~ N(0, 1), `c_w = σ_w/√n_in`, `c_b = σ_b`;
//! standard: W ~ N(0, σ_w²/n_in), b ~ N(0, σ_b²), `c_w = c_b = 1`.
//! The same seed draws the same standard normals z for both, so they compute the same function
//! at initialisation; `∂L/∂W = c_w δ xᵀ` and `∂L/∂b = c_b δ` make gradient descent differ.
//!
//! Mean-field / μP (docs/MATH.md, "Mean-field / μP parameterization") is NTK parameterization
//! with the readout `f = (σ_w/n) a·x^L + σ_b b` (a, b ~ N(0, 1)) trained at rate `η n` (the
//! readout bias at η). It is stored in the equivalent form that plain descent at rate η trains
//! exactly: a parameter p with multiplier c and rate `η n` is stored as `p/√n` with multiplier
//! `c √n` (then `η (c√n)² = η n c²`). So every weight and hidden bias is stored as `z/√n` with
//! multiplier `√n` times its mean-field one: input `c_w = σ_w √n/√d`, hidden `c_w = σ_w`,
//! readout `c_w = σ_w/√n`, hidden `c_b = σ_b √n`; the readout bias is z with `c_b = σ_b`.
//!
//! Activations are stored batch-major (one point's vector contiguous), weights row-major
//! (`W[j, i]` at `j·n_in + i`). The products of the Dense layers (the hot loops) are in
//! [`crate::nets::dense`].

use crate::arch::{ArchError, Architecture, Parameterization};
use crate::nets::dense;
pub use crate::nets::dense::Layer;
pub use crate::nets::layer_step::dense_backward_update;
pub use crate::nets::real::Real;
use crate::rng::Normal;

/// An invalid network shape or data set, with the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MlpError {
    /// The architecture itself is invalid.
    #[error(transparent)]
    Arch(#[from] ArchError),
    /// Width 0 (or absurdly large).
    #[error("width must be between 1 and {MAX_WIDTH}, got {0}")]
    Width(usize),
    /// Input dimension 0.
    #[error("input dimension must be at least 1, got {0}")]
    InputDim(usize),
    /// A point set whose length is not a multiple of the input dimension, or targets that do
    /// not match the points.
    #[error("data shape mismatch: {0}")]
    Shape(String),
    /// A non-finite input, target or hyperparameter.
    #[error("{what} must be finite, got {value}")]
    NotFinite {
        /// which quantity
        what: &'static str,
        /// its value
        value: f64,
    },
    /// An optimizer setting that cannot be used (batch size, momentum).
    #[error(transparent)]
    Optimizer(#[from] crate::nets::optimizer::OptimizerError),
    /// Targets the loss cannot take (cross-entropy needs labels ±1).
    #[error(transparent)]
    Labels(#[from] crate::nets::loss::LabelError),
}

/// Largest hidden width accepted.
pub const MAX_WIDTH: usize = 1 << 16;

/// A fully connected network: `depth` hidden layers then the readout (`layers.len() = depth + 1`).
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp<T> {
    /// the architecture it was built from
    pub arch: Architecture,
    /// Dense layers, input first, readout last
    pub layers: Vec<Layer<T>>,
}

/// Pre-activations and activations of a batch (batch-major), kept for backpropagation.
#[derive(Clone, Debug)]
pub struct Trace<T> {
    /// number of points
    pub n: usize,
    /// `acts[l]` = input of layer l (`acts[0]` = x, then φ(h¹), …, φ(h^L)), n × n_l
    pub acts: Vec<Vec<T>>,
    /// `pre[l]` = pre-activation of hidden layer l+1 (h^{l+1}), n × width; depth entries
    pub pre: Vec<Vec<T>>,
    /// network outputs f(xᵢ)
    pub out: Vec<T>,
}

/// Gradients of a scalar objective with respect to every layer's W and b.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients<T> {
    /// `(∂/∂W, ∂/∂b)` per layer, same layout as the layer
    pub layers: Vec<(Vec<T>, Vec<T>)>,
}

impl<T: Real> Mlp<T> {
    /// A network with seeded initialisation: layer by layer, W row-major then b, each entry a
    /// standard normal z from [`Normal`]`::new(seed)`; NTK: (W, b) = z, standard:
    /// W = σ_w z/√n_in, b = σ_b z (paper Eq. 1 and SM F). The f64 draws are rounded to `T`, so
    /// the f32 and f64 networks of one seed agree up to rounding.
    ///
    /// # Errors
    /// [`MlpError`] for an invalid architecture, width 0 or input dimension 0.
    pub fn new(arch: &Architecture, input_dim: usize, width: usize, seed: u64) -> Result<Self, MlpError> {
        arch.validate()?;
        if width == 0 || width > MAX_WIDTH {
            return Err(MlpError::Width(width));
        }
        if input_dim == 0 {
            return Err(MlpError::InputDim(input_dim));
        }
        let mut normal = Normal::new(seed);
        let (sw, sb) = (arch.sw2.sqrt(), arch.sb2.sqrt());
        let mut layers = Vec::with_capacity(arch.depth + 1);
        for l in 0..=arch.depth {
            let n_in = if l == 0 { input_dim } else { width };
            let n_out = if l == arch.depth { 1 } else { width };
            let scale_in = sw / (n_in as f64).sqrt();
            let (w_std, b_std, cw, cb) = match arch.param {
                Parameterization::Ntk => (1.0, 1.0, scale_in, sb),
                Parameterization::Standard => (scale_in, sb, 1.0, 1.0),
                Parameterization::MeanField => mean_field_layer(scale_in, sb, width, l == arch.depth),
            };
            let w = (0..n_in * n_out).map(|_| T::from_f64(w_std * normal.sample())).collect();
            let b = (0..n_out).map(|_| T::from_f64(b_std * normal.sample())).collect();
            layers.push(Layer { n_in, n_out, w, b, cw: T::from_f64(cw), cb: T::from_f64(cb) });
        }
        Ok(Mlp { arch: *arch, layers })
    }

    /// Input dimension d.
    pub fn input_dim(&self) -> usize {
        self.layers[0].n_in
    }

    /// Number of trainable parameters P = Σ_l (n_in n_out + n_out).
    pub fn num_params(&self) -> usize {
        self.layers.iter().map(|l| l.w.len() + l.b.len()).sum()
    }

    /// Number of weights (no biases), the FLOP-count base of the benchmarks.
    pub fn num_weights(&self) -> usize {
        self.layers.iter().map(|l| l.w.len()).sum()
    }

    /// The same network in another precision.
    pub fn cast<U: Real>(&self) -> Mlp<U> {
        let conv = |v: &[T]| v.iter().map(|x| U::from_f64(x.to_f64())).collect::<Vec<U>>();
        Mlp {
            arch: self.arch,
            layers: self
                .layers
                .iter()
                .map(|l| Layer {
                    n_in: l.n_in,
                    n_out: l.n_out,
                    w: conv(&l.w),
                    b: conv(&l.b),
                    cw: U::from_f64(l.cw.to_f64()),
                    cb: U::from_f64(l.cb.to_f64()),
                })
                .collect(),
        }
    }

    /// All parameters flattened (layer by layer, W row-major then b).
    pub fn params(&self) -> Vec<T> {
        let mut p = Vec::with_capacity(self.num_params());
        for l in &self.layers {
            p.extend_from_slice(&l.w);
            p.extend_from_slice(&l.b);
        }
        p
    }

    /// Overwrites all parameters from the layout of [`Mlp::params`].
    ///
    /// # Errors
    /// [`MlpError::Shape`] if `p` has the wrong length.
    pub fn set_params(&mut self, p: &[T]) -> Result<(), MlpError> {
        if p.len() != self.num_params() {
            return Err(MlpError::Shape(format!(
                "{} parameters given, network has {}",
                p.len(),
                self.num_params()
            )));
        }
        let mut at = 0;
        for l in &mut self.layers {
            let (nw, nb) = (l.w.len(), l.b.len());
            l.w.copy_from_slice(&p[at..at + nw]);
            l.b.copy_from_slice(&p[at + nw..at + nw + nb]);
            at += nw + nb;
        }
        Ok(())
    }

    /// Checks that `x` holds whole points of the network's input dimension; returns n.
    ///
    /// # Errors
    /// [`MlpError::Shape`].
    pub fn points_in(&self, x: &[T]) -> Result<usize, MlpError> {
        let d = self.input_dim();
        if !x.len().is_multiple_of(d) {
            return Err(MlpError::Shape(format!("{} numbers are not whole {d}-dimensional points", x.len())));
        }
        Ok(x.len() / d)
    }

    /// The forward pass on n points (batch-major `x`, n × d), keeping every layer:
    /// `h^{l+1} = c_w W^{l+1} x^l + c_b b^{l+1}`, `x^{l+1} = φ(h^{l+1})`, `f = h^{L+1}` (Eq. 1).
    pub fn forward_trace(&self, x: &[T], n: usize) -> Trace<T> {
        let act = self.arch.activation;
        let mut acts = vec![x[..n * self.input_dim()].to_vec()];
        let mut pre = Vec::with_capacity(self.arch.depth);
        let mut out = Vec::new();
        for (l, layer) in self.layers.iter().enumerate() {
            let mut h = vec![T::ZERO; n * layer.n_out];
            dense_forward(layer, &acts[l], n, &mut h);
            if l == self.arch.depth {
                out = h;
            } else {
                let mut a = vec![T::ZERO; h.len()];
                T::phi_layer(act, &h, &mut a);
                acts.push(a);
                pre.push(h);
            }
        }
        Trace { n, acts, pre, out }
    }

    /// Network outputs f(xᵢ) on n points (batch-major).
    pub fn forward(&self, x: &[T], n: usize) -> Vec<T> {
        self.forward_trace(x, n).out
    }

    /// Backpropagated vectors `δ^l(xᵢ) = ∂f(xᵢ)/∂h^l` for every layer (readout δ = 1),
    /// `δ^l = φ'(h^l) ⊙ (c_w W^{l+1})ᵀ δ^{l+1}`; entry l is n × n_out(l), batch-major.
    pub fn output_deltas(&self, trace: &Trace<T>) -> Vec<Vec<T>> {
        let n = trace.n;
        let depth = self.arch.depth;
        let mut deltas = vec![Vec::new(); depth + 1];
        deltas[depth] = vec![T::from_f64(1.0); n];
        for l in (1..=depth).rev() {
            let layer = &self.layers[l];
            let mut back = vec![T::ZERO; n * layer.n_in];
            dense_backward(layer, &deltas[l], n, &mut back);
            let mut delta = vec![T::ZERO; back.len()];
            T::dphi_times(self.arch.activation, &trace.pre[l - 1], &back, &mut delta);
            deltas[l - 1] = delta;
        }
        deltas
    }

    /// Gradients of `Σᵢ gᵢ f(xᵢ)` (g = ∂L/∂f; for the mean loss gᵢ = (f(xᵢ) − yᵢ)/N):
    /// `∂/∂W^l = c_w Σᵢ δ^l(xᵢ) x^{l−1}(xᵢ)ᵀ gᵢ`, `∂/∂b^l = c_b Σᵢ δ^l(xᵢ) gᵢ`.
    pub fn gradients(&self, trace: &Trace<T>, g: &[T]) -> Gradients<T> {
        let deltas = self.output_deltas(trace);
        let n = trace.n;
        let layers = self
            .layers
            .iter()
            .enumerate()
            .map(|(l, layer)| {
                let mut dw = vec![T::ZERO; layer.w.len()];
                let mut db = vec![T::ZERO; layer.n_out];
                for s in 0..n {
                    let a = &trace.acts[l][s * layer.n_in..(s + 1) * layer.n_in];
                    for j in 0..layer.n_out {
                        let d = deltas[l][s * layer.n_out + j] * g[s];
                        db[j] += layer.cb * d;
                        let cd = layer.cw * d;
                        for (w, &ai) in dw[j * layer.n_in..(j + 1) * layer.n_in].iter_mut().zip(a) {
                            *w += cd * ai;
                        }
                    }
                }
                (dw, db)
            })
            .collect();
        Gradients { layers }
    }
}

/// The stored form of a mean-field layer (module documentation): `(w_std, b_std, c_w, c_b)`
/// for a layer whose NTK weight multiplier is `scale_in = σ_w/√n_in`, at hidden width n.
///
/// The mean-field layer is `h = c W x + c_b b` with W, b ~ N(0, 1), `c = σ_w/√n_in` (hidden
/// layers) or `σ_w/n` (readout), trained at rate `η n` (the readout bias at η); stored as
/// `W/√n` with multiplier `c √n`, and likewise for the hidden biases, so that descent at rate η
/// on the stored values is descent at rate `η n` on W, b.
fn mean_field_layer(scale_in: f64, sb: f64, width: usize, readout: bool) -> (f64, f64, f64, f64) {
    let root_n = (width as f64).sqrt();
    if readout {
        // c = σ_w/n = scale_in/√n, stored multiplier c √n = scale_in; bias at rate η as is.
        (1.0 / root_n, 1.0, scale_in, sb)
    } else {
        (1.0 / root_n, 1.0 / root_n, scale_in * root_n, sb * root_n)
    }
}

/// `out[s·n_out + j] = c_w Σᵢ W[j,i] a[s·n_in + i] + c_b b[j]` for n points
/// ([`dense::forward`]).
pub fn dense_forward<T: Real>(layer: &Layer<T>, a: &[T], n: usize, out: &mut [T]) {
    dense::forward(layer, a, n, out);
}

/// `back[s·n_in + i] = c_w Σ_j W[j,i] δ[s·n_out + j]` (the backward product Wᵀδ).
pub fn dense_backward<T: Real>(layer: &Layer<T>, delta: &[T], n: usize, back: &mut [T]) {
    let delta_cw: Vec<T> = delta[..n * layer.n_out].iter().map(|&d| layer.cw * d).collect();
    dense::backward(layer, &delta_cw, n, back);
}
