//! Analytic NNGP kernel K and NTK Θ of a fully connected network of any depth in NTK
//! parameterization (paper SM E, Eq. S26–S27 in docs/MATH.md's notation):
//!
//! ```text
//! K¹ = σ_w² x·x'/d + σ_b²,           Θ¹ = K¹
//! K^{l+1} = σ_w² T(K^l) + σ_b²,      Θ^{l+1} = K^{l+1} + σ_w² Ṫ(K^l) Θ^l
//! ```
//!
//! with the readout as layer L+1. As in neural-tangents, a small kernel record
//! ([`KernelRecord`]) flows through the layers of the one recursion
//! ([`crate::theory::recursion::Layers::fold`]): Dense is `K ← σ_w² K + σ_b², Θ ← K + σ_w² Θ`
//! and [`KernelRecord::nonlinearity`] is `K ← T(K), Θ ← Ṫ(K) ⊙ Θ`, so that
//! `Dense, (φ, Dense)×L` reads like SM E. Closed forms take the fused pass
//! ([`crate::theory::fused`]), the other activations the smooth kernels
//! ([`crate::theory::smooth`]); both fold the same layers.

use nalgebra::{DMatrix, DVector};

use crate::activation::Activation;
use crate::arch::{Architecture, Parameterization};
use crate::theory::dispatch::{visit_kernel_map, MapVisitor};
use crate::theory::fused::{fused_kernels, LaneMap};
use crate::theory::kernel_maps::{DiagonalMap, KernelMap, QuadratureMap, SmoothActivation};
pub use crate::theory::kernel_types::{KernelDiagonal, KernelError, KernelPair};
pub use crate::theory::recursion::KernelRecord;
use crate::theory::recursion::{Entry, Layers};
use crate::theory::smooth::{smooth_diagonal, smooth_kernels};

/// The full network `Dense, (φ, Dense) × L` applied to the input record (SM E).
fn network<M: KernelMap>(map: &M, layers: Layers, input: KernelRecord) -> KernelRecord {
    layers.fold(input, |_, rec| rec.nonlinearity(map))
}

fn check_sets(x1: &DMatrix<f64>, x2: &DMatrix<f64>) -> Result<(), KernelError> {
    if x1.nrows() == 0 {
        return Err(KernelError::Empty("x1"));
    }
    if x2.nrows() == 0 {
        return Err(KernelError::Empty("x2"));
    }
    if x1.ncols() != x2.ncols() {
        return Err(KernelError::DimensionMismatch(x1.ncols(), x2.ncols()));
    }
    if x1.ncols() == 0 {
        return Err(KernelError::ZeroDimension);
    }
    for (set, x) in [("x1", x1), ("x2", x2)] {
        for (row, r) in x.row_iter().enumerate() {
            if let Some(&value) = r.iter().find(|v| !v.is_finite()) {
                return Err(KernelError::NonFinite { set, row, value });
            }
        }
    }
    Ok(())
}

fn check_arch(arch: &Architecture) -> Result<(), KernelError> {
    arch.validate()?;
    if arch.param != Parameterization::Ntk {
        return Err(KernelError::Parameterization(arch.param));
    }
    Ok(())
}

/// NNGP kernel `K(x1, x2)` and NTK `Θ(x1, x2)` of the readout layer (layer L+1) of `arch`
/// (docs/MATH.md; paper SM E, Eq. S26–S27, with closed forms of SM C for relu/erf and exact forms
/// for leaky_relu, identity, sin, gelu; tanh, softplus and sigmoid by quadrature to ≈ 1e-12
/// of the kernel scale). Points are rows; if `x1 == x2` only one triangle is computed and the
/// result is exactly symmetric.
///
/// # Errors
/// [`KernelError`] for an empty set, a dimension mismatch, non-finite coordinates, an invalid
/// architecture, or standard parameterization.
pub fn kernels(arch: &Architecture, x1: &DMatrix<f64>, x2: &DMatrix<f64>) -> Result<KernelPair, KernelError> {
    check_arch(arch)?;
    check_sets(x1, x2)?;
    struct Kernels<'a>(&'a Architecture, &'a DMatrix<f64>, &'a DMatrix<f64>);
    impl MapVisitor for Kernels<'_> {
        type Output = Result<KernelPair, KernelError>;
        fn closed_form<M: LaneMap + DiagonalMap>(self, map: &M) -> Self::Output {
            let Kernels(a, x1, x2) = self;
            Ok(fused_kernels(map, a.depth, a.sw2, a.sb2, x1, x2))
        }
        fn smooth(self, act: Activation) -> Self::Output {
            let Kernels(a, x1, x2) = self;
            Ok(smooth_kernels(&act, a.depth, a.sw2, a.sb2, x1, x2)?.0)
        }
    }
    visit_kernel_map(arch.activation, Kernels(arch, x1, x2))
}

/// As [`kernels`] for any kernel map — e.g. `QuadratureMap::new(FnActivation::new(φ, φ'))`
/// for an activation of your own — with depth L, σ_w², σ_b² given directly (SM E).
///
/// # Errors
/// [`KernelError`] for empty sets, dimension mismatch, non-finite inputs, or invalid
/// depth/variances.
pub fn kernels_with_map<M: KernelMap>(
    map: &M,
    depth: usize,
    sw2: f64,
    sb2: f64,
    x1: &DMatrix<f64>,
    x2: &DMatrix<f64>,
) -> Result<KernelPair, KernelError> {
    // Validate the hyperparameters through the one Architecture type (activation unused).
    Architecture::new(depth, Activation::Identity, sw2, sb2, Parameterization::Ntk)?;
    check_sets(x1, x2)?;
    Ok(network(map, Layers { depth, sw2, sb2 }, KernelRecord::input(x1, x2)).finish())
}

/// As [`kernels_with_map`] for a smooth activation given by value and derivative, by
/// quadrature ([`QuadratureMap`]).
///
/// # Errors
/// As [`kernels_with_map`].
pub fn kernels_smooth<A: SmoothActivation>(
    act: A,
    depth: usize,
    sw2: f64,
    sb2: f64,
    x1: &DMatrix<f64>,
    x2: &DMatrix<f64>,
) -> Result<KernelPair, KernelError> {
    kernels_with_map(&QuadratureMap::new(act), depth, sw2, sb2, x1, x2)
}

/// The diagonals `K(x, x)` and `Θ(x, x)` for each point (rows of `x`) in O(L) per point:
/// `s¹ = σ_w²|x|²/d + σ_b²`, `s^{l+1} = σ_w² T(s^l) + σ_b²`, `θ^{l+1} = s^{l+1} + σ_w² Ṫ(s^l) θ^l`.
///
/// # Errors
/// As [`kernels`].
pub fn kernel_diagonal(arch: &Architecture, x: &DMatrix<f64>) -> Result<KernelDiagonal, KernelError> {
    check_arch(arch)?;
    check_sets(x, x)?;
    struct Diagonal<'a>(&'a Architecture, &'a DMatrix<f64>);
    impl MapVisitor for Diagonal<'_> {
        type Output = Result<KernelDiagonal, KernelError>;
        fn closed_form<M: LaneMap + DiagonalMap>(self, map: &M) -> Self::Output {
            let Diagonal(arch, x) = self;
            let d = x.ncols() as f64;
            let layers = Layers { depth: arch.depth, sw2: arch.sw2, sb2: arch.sb2 };
            let (mut nngp, mut ntk) = (DVector::zeros(x.nrows()), DVector::zeros(x.nrows()));
            for (i, r) in x.row_iter().enumerate() {
                // On the diagonal the entry's K is the point's variance, the map's argument.
                let e = layers
                    .fold(Entry::input(r.norm_squared() / d), |_, e| e.nonlinearity(map.diag_at(e.nngp)));
                nngp[i] = e.nngp;
                ntk[i] = e.ntk;
            }
            Ok(KernelDiagonal { nngp, ntk })
        }
        fn smooth(self, act: Activation) -> Self::Output {
            let Diagonal(arch, x) = self;
            let input_var: Vec<f64> = x.row_iter().map(|r| r.norm_squared() / x.ncols() as f64).collect();
            let (nngp, ntk) = smooth_diagonal(&act, arch.depth, arch.sw2, arch.sb2, &input_var)?;
            Ok(KernelDiagonal { nngp: DVector::from_vec(nngp), ntk: DVector::from_vec(ntk) })
        }
    }
    visit_kernel_map(arch.activation, Diagonal(arch, x))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arch(act: Activation, depth: usize) -> Architecture {
        Architecture::new(depth, act, 1.7, 0.2, Parameterization::Ntk).unwrap()
    }

    #[test]
    fn depth_one_identity_by_hand() {
        // K¹ = σ_w² x·x'/d + σ_b²; identity: K² = σ_w² K¹ + σ_b², Θ² = K² + σ_w² Θ¹.
        let x1 = DMatrix::from_row_slice(1, 2, &[1.0, 2.0]);
        let x2 = DMatrix::from_row_slice(1, 2, &[-0.5, 3.0]);
        let k = kernels(&arch(Activation::Identity, 1), &x1, &x2).unwrap();
        let k1 = 1.7 * (1.0 * -0.5 + 2.0 * 3.0) / 2.0 + 0.2;
        let k2 = 1.7 * k1 + 0.2;
        assert!((k.nngp[(0, 0)] - k2).abs() < 1e-14);
        assert!((k.ntk[(0, 0)] - (k2 + 1.7 * k1)).abs() < 1e-14);
    }

    #[test]
    fn symmetric_path_matches_general_path_and_diagonal() {
        let x = DMatrix::from_fn(5, 3, |i, j| ((i * 3 + j) as f64 * 0.37).sin());
        let mut x2 = x.clone();
        x2[(0, 0)] += 0.0; // same values: symmetric path
        for act in [Activation::Erf, Activation::Relu, Activation::Tanh, Activation::Gelu] {
            let a = arch(act, 3);
            let sym = kernels(&a, &x, &x).unwrap();
            assert_eq!(sym.nngp, sym.nngp.transpose());
            let top = x.rows(0, 2).into_owned();
            let general = kernels(&a, &top, &x).unwrap();
            for i in 0..2 {
                for j in 0..5 {
                    // Closed forms: rounding only. Quadrature: the general path uses the 2-D
                    // product rule where the symmetric one uses the 1-D rule on the
                    // diagonal; both are accurate to ≈ 1e-11 at these variances (≤ 3).
                    let rel = if act.has_closed_form() { 1e-12 } else { 1e-10 };
                    let tol = rel * sym.ntk[(i, i)];
                    assert!(
                        (general.nngp[(i, j)] - sym.nngp[(i, j)]).abs() <= tol,
                        "{act} {i} {j} {} {}",
                        general.nngp[(i, j)],
                        sym.nngp[(i, j)]
                    );
                    assert!(
                        (general.ntk[(i, j)] - sym.ntk[(i, j)]).abs() <= tol,
                        "{act} {i} {j} {} {}",
                        general.ntk[(i, j)],
                        sym.ntk[(i, j)]
                    );
                }
            }
            let diag = kernel_diagonal(&a, &x).unwrap();
            for i in 0..5 {
                assert!((diag.nngp[i] - sym.nngp[(i, i)]).abs() <= 1e-13 * diag.nngp[i]);
                assert!((diag.ntk[i] - sym.ntk[(i, i)]).abs() <= 1e-13 * diag.ntk[i]);
            }
        }
    }

    #[test]
    fn bad_sets_are_errors() {
        let a = arch(Activation::Erf, 2);
        let x = DMatrix::from_element(2, 3, 1.0);
        assert_eq!(kernels(&a, &x, &DMatrix::zeros(2, 2)), Err(KernelError::DimensionMismatch(3, 2)));
        assert_eq!(kernels(&a, &DMatrix::zeros(0, 3), &x), Err(KernelError::Empty("x1")));
        let mut bad = x.clone();
        bad[(1, 2)] = f64::NAN;
        assert!(matches!(kernels(&a, &x, &bad), Err(KernelError::NonFinite { row: 1, .. })));
    }
}
