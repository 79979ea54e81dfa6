//! How ill-conditioned the train Gram matrices K(X, X) and Θ(X, X) become with depth: their
//! extreme eigenvalues and condition numbers for every depth in one pass of the recursion.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::{check_variances, with_map, MapTask, PhaseError};
use crate::activation::Activation;
use crate::arch::MAX_DEPTH;
use crate::theory::kernel_maps::DiagonalMap;
use crate::theory::kernels::{KernelError, KernelRecord};
use crate::theory::recursion::Layers;

/// The extreme eigenvalues of a symmetric Gram matrix and its condition number.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conditioning {
    /// smallest eigenvalue (may be a rounding-level negative number)
    pub lambda_min: f64,
    /// largest eigenvalue
    pub lambda_max: f64,
    /// `λ_max/λ_min`, `None` when `λ_min ≤ N ε λ_max` (numerically singular, the cut-off of
    /// the GP predictions)
    pub condition: Option<f64>,
}

impl Conditioning {
    /// The conditioning of a symmetric matrix (`None` for non-finite entries or an empty
    /// matrix). Eigenvalues only (no eigenvectors).
    pub fn of(m: &DMatrix<f64>) -> Option<Conditioning> {
        if m.is_empty() || m.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let eig = m.symmetric_eigenvalues();
        let (lambda_min, lambda_max) = (eig.min(), eig.max());
        let floor = lambda_max.abs() * m.nrows() as f64 * f64::EPSILON;
        let condition = (lambda_min > floor).then(|| lambda_max / lambda_min);
        Some(Conditioning { lambda_min, lambda_max, condition })
    }
}

/// Condition numbers of the train Gram matrices K(X, X) and Θ(X, X) of networks of depth
/// 1, 2, …: in the ordered phase K^L → q* 1 1ᵀ and the condition number grows like e^{L/ξ_c}.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GramConditioning {
    /// depths L (hidden layers) 1 ..= the last one computed
    pub depths: Vec<usize>,
    /// conditioning of K(X, X) at each depth
    pub nngp: Vec<Conditioning>,
    /// conditioning of Θ(X, X) at each depth
    pub ntk: Vec<Conditioning>,
    /// the first depth whose kernels overflowed or could not be decomposed (the sweep stops
    /// there), if any
    pub stopped_at: Option<usize>,
}

/// The readout kernels K = K^{L+1} and Θ = Θ^{L+1} of the points `x` (rows) for every depth
/// L = 1 ..= `max_depth` in one pass of the recursion of paper SM E, with the condition number
/// of each ([`Conditioning`]). O(L N² + L N³).
///
/// # Errors
/// [`PhaseError`] for invalid σ², invalid points, or `max_depth` outside 1 ..= [`MAX_DEPTH`].
pub fn gram_conditioning(
    act: Activation,
    sw2: f64,
    sb2: f64,
    x: &DMatrix<f64>,
    max_depth: usize,
) -> Result<GramConditioning, PhaseError> {
    check_variances(act, sw2, sb2)?;
    if max_depth == 0 || max_depth > MAX_DEPTH {
        return Err(PhaseError::Depth(max_depth));
    }
    if x.nrows() == 0 {
        return Err(KernelError::Empty("x").into());
    }
    if x.ncols() == 0 {
        return Err(KernelError::ZeroDimension.into());
    }
    if let Some((row, value)) =
        x.row_iter().enumerate().find_map(|(i, r)| r.iter().find(|v| !v.is_finite()).map(|&v| (i, v)))
    {
        return Err(KernelError::NonFinite { set: "x", row, value }.into());
    }
    struct Task<'a>(f64, f64, &'a DMatrix<f64>, usize);
    impl MapTask for Task<'_> {
        type Out = GramConditioning;
        fn run<M: DiagonalMap>(self, map: &M) -> GramConditioning {
            let Task(sw2, sb2, x, max_depth) = self;
            let mut out = GramConditioning { depths: vec![], nngp: vec![], ntk: vec![], stopped_at: None };
            let layers = Layers { depth: max_depth, sw2, sb2 };
            let mut rec = layers.first(KernelRecord::input(x, x));
            for depth in 1..=max_depth {
                rec = layers.step(depth - 1, rec, |_, r| r.nonlinearity(map));
                let mut k = rec.nngp.clone();
                let mut t = rec.ntk.clone();
                k.fill_lower_triangle_with_upper_triangle();
                t.fill_lower_triangle_with_upper_triangle();
                let finite = k.iter().chain(t.iter()).all(|v| v.is_finite());
                match (finite, finite.then(|| (Conditioning::of(&k), Conditioning::of(&t)))) {
                    (true, Some((Some(ck), Some(ct)))) => {
                        out.depths.push(depth);
                        out.nngp.push(ck);
                        out.ntk.push(ct);
                    }
                    _ => {
                        out.stopped_at = Some(depth);
                        break;
                    }
                }
            }
            out
        }
    }
    Ok(with_map(act, Task(sw2, sb2, x, max_depth)))
}
