//! The empirical neural tangent kernel `Θ̂(x, x') = ∇_θ f(x) · ∇_θ f(x')` of a finite network
//! (paper Eq. 7 with Θ̂ in place of Θ), computed from the per-layer structure of the gradient
//! instead of a P-column Jacobian: with `∂f/∂W^l = c_w δ^l (x^{l−1})ᵀ` and `∂f/∂b^l = c_b δ^l`,
//!
//! `Θ̂(x, x') = Σ_l (δ^l(x)·δ^l(x')) (c_w² x^{l−1}(x)·x^{l−1}(x') + c_b²)`.

use nalgebra::DMatrix;

use crate::nets::mlp::{Mlp, Real};

/// The per-layer factors of the Jacobian of f on a point set: backpropagated vectors
/// `δ^l(xᵢ) = ∂f(xᵢ)/∂h^l` and layer inputs `x^{l−1}(xᵢ)`, in f64.
#[derive(Clone, Debug)]
pub struct JacobianFactors {
    /// number of points
    pub n: usize,
    /// per layer: (δ^l, n × n_out), (x^{l−1}, n × n_in), c_w², c_b²
    layers: Vec<LayerFactors>,
    /// f(xᵢ) at the parameters the factors were taken at
    pub outputs: Vec<f64>,
}

#[derive(Clone, Debug)]
struct LayerFactors {
    n_in: usize,
    n_out: usize,
    delta: Vec<f64>,
    input: Vec<f64>,
    cw2: f64,
    cb2: f64,
}

impl JacobianFactors {
    /// Forward and backward pass of `net` on the points `x` (batch-major, n × d).
    pub fn new<T: Real>(net: &Mlp<T>, x: &[T], n: usize) -> Self {
        let trace = net.forward_trace(x, n);
        let deltas = net.output_deltas(&trace);
        let to64 = |v: &[T]| v.iter().map(|x| x.to_f64()).collect::<Vec<f64>>();
        let layers = net
            .layers
            .iter()
            .enumerate()
            .map(|(l, layer)| LayerFactors {
                n_in: layer.n_in,
                n_out: layer.n_out,
                delta: to64(&deltas[l]),
                input: to64(&trace.acts[l]),
                cw2: layer.cw.to_f64().powi(2),
                cb2: layer.cb.to_f64().powi(2),
            })
            .collect();
        JacobianFactors { n, layers, outputs: to64(&trace.out) }
    }

    /// Θ̂ between these points (rows) and `other`'s (columns), all layers (paper Eq. 7).
    pub fn ntk(&self, other: &JacobianFactors) -> DMatrix<f64> {
        self.kernel(other, 0)
    }

    /// The readout-layer part of Θ̂ only, `c_w² x^L(x)·x^L(x') + c_b²` (the kernel of
    /// readout-only training, whose infinite-width limit is the NNGP kernel K, paper SM D).
    pub fn readout_ntk(&self, other: &JacobianFactors) -> DMatrix<f64> {
        self.kernel(other, self.layers.len() - 1)
    }

    fn kernel(&self, other: &JacobianFactors, from_layer: usize) -> DMatrix<f64> {
        let mut k = DMatrix::zeros(self.n, other.n);
        for (a, b) in self.layers.iter().zip(&other.layers).skip(from_layer) {
            for i in 0..self.n {
                let da = &a.delta[i * a.n_out..(i + 1) * a.n_out];
                let xa = &a.input[i * a.n_in..(i + 1) * a.n_in];
                for j in 0..other.n {
                    let db = &b.delta[j * b.n_out..(j + 1) * b.n_out];
                    let xb = &b.input[j * b.n_in..(j + 1) * b.n_in];
                    k[(i, j)] += dot(da, db) * (a.cw2 * dot(xa, xb) + a.cb2);
                }
            }
        }
        k
    }
}

/// `a · b` in four interleaved partial sums (SIMD; whole blocks of four, then the tail).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let (a4, a_tail) = a.as_chunks::<4>();
    let (b4, b_tail) = b.as_chunks::<4>();
    let mut acc = [0.0f64; 4];
    for (x, y) in a4.iter().zip(b4) {
        for q in 0..4 {
            acc[q] += x[q] * y[q];
        }
    }
    let mut s = acc[0] + acc[1] + acc[2] + acc[3];
    for (x, y) in a_tail.iter().zip(b_tail) {
        s += x * y;
    }
    s
}

/// Θ̂(x1, x2) of `net` for two point sets (batch-major, n1 × d and n2 × d).
pub fn empirical_ntk<T: Real>(net: &Mlp<T>, x1: &[T], n1: usize, x2: &[T], n2: usize) -> DMatrix<f64> {
    JacobianFactors::new(net, x1, n1).ntk(&JacobianFactors::new(net, x2, n2))
}

/// Points of a matrix (one per row) as a batch-major vector, the network's input layout.
pub fn rows_to_batch(x: &DMatrix<f64>) -> Vec<f64> {
    let mut v = Vec::with_capacity(x.len());
    for i in 0..x.nrows() {
        v.extend(x.row(i).iter());
    }
    v
}
