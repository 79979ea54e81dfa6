//! The training step of one Dense layer: the backward product `c_w Wᵀ δ` with the old weights
//! and the update of W and b (plain descent or momentum, paper Eq. S1) in one pass over the
//! weights ([`dense::backward_update`]) — the pass that the network's and the linearized
//! network's training steps ([`crate::nets::mlp_model`], [`crate::nets::linear_model`]) run on
//! every layer.

use crate::nets::dense::{self, Layer};
use crate::nets::real::Real;

/// Backward product and update of one layer: with the old weights, `back = c_w Wᵀ δ` (if
/// `back` is given; `delta_cw` is δ already scaled by c_w), then `W ← W + Σ_s g_s a_sᵀ` with
/// `g[s·n_out + j] = −η c_w δ_s[j]` (or, with momentum, `v ← β v + Σ_s g_s a_sᵀ`, `W ← W + v`,
/// paper Eq. S1), and likewise for b with `gb` ([`dense::backward_update`]).
#[allow(clippy::too_many_arguments)]
pub fn dense_backward_update<T: Real>(
    layer: &mut Layer<T>,
    delta_cw: &[T],
    g: &[T],
    a: &[T],
    n: usize,
    back: Option<&mut [T]>,
    momentum: Option<(T, &mut [T], &mut [T])>,
    gb: &[T],
) {
    layer_step(layer, delta_cw, g, a, n, back, momentum, gb, &mut Vec::new());
}

/// [`dense_backward_update`] with caller-owned scratch space.
#[allow(clippy::too_many_arguments)]
pub(crate) fn layer_step<T: Real>(
    layer: &mut Layer<T>,
    delta_cw: &[T],
    g: &[T],
    a: &[T],
    n: usize,
    back: Option<&mut [T]>,
    momentum: Option<(T, &mut [T], &mut [T])>,
    gb: &[T],
    scratch: &mut Vec<T>,
) {
    let momentum = match momentum {
        Some((beta, vw, vb)) => {
            for ((b, v), &g) in layer.b.iter_mut().zip(vb.iter_mut()).zip(gb) {
                *v = beta * *v + g;
                *b += *v;
            }
            Some((beta, vw))
        }
        None => {
            for (b, &g) in layer.b.iter_mut().zip(gb) {
                *b += g;
            }
            None
        }
    };
    dense::backward_update(layer, delta_cw, g, a, n, back, momentum, scratch);
}
