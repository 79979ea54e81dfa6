//! The closed-form kernels evaluated entry by entry through all layers at once.
//!
//! The recursion of SM E couples an entry `(x, x')` of K and Θ to nothing but itself and the
//! two points' variances `s^l(x) = K^l(x, x)`, which follow their own one-point recursion. So
//! the variances of every layer are computed first (O(L·n)), and then each entry runs through
//! the L layers in registers:
//!
//! ```text
//! k ← σ_w² x·x'/d + σ_b²,  θ ← k;   L times:  (t, ṫ) = (T, Ṫ)(s^l(x), s^l(x'), k),
//!                                            k ← σ_w² t + σ_b²,  θ ← k + σ_w² (θ ṫ)
//! ```
//!
//! (the same operations, in the same order, as [`crate::theory::kernels::KernelRecord`]'s
//! layer-by-layer pass: both are [`Layers::fold`], here on [`LaneEntries`] and [`Entry`]). Rows are processed [`LANES`] at a time with branch-free maps
//! ([`LaneMap`]), so the inner loops compile to SIMD; columns are independent and run in
//! parallel with the `parallel` feature. Memory traffic is one read of `x·x'ᵀ/d` and one
//! write of K and Θ, instead of 2L passes over both matrices.

use nalgebra::DMatrix;

use crate::theory::kernel_maps::{ErfMap, GeluMap, IdentityMap, KernelMap, LeakyReluMap, ReluMap, SinMap};
use crate::theory::kernel_types::KernelPair;
use crate::theory::lane_math::{self, Lanes, LANES};
use crate::theory::parallel::for_each_column;
use crate::theory::recursion::{Entry, LaneEntries, Layers};

use std::f64::consts::{FRAC_1_PI, PI};

/// What a [`LaneMap`] keeps about one point at one layer (up to four numbers).
pub type PointFields = [f64; 4];

/// The per-point fields of [`LANES`] consecutive rows, field-major.
pub struct RowBlock<'a> {
    /// `fields[f][r]` is field f of row r
    pub fields: [&'a Lanes; 4],
}

/// A closed-form kernel map evaluated on a block of rows against one column (paper SM C, E),
/// without branches so that the loop over lanes vectorizes.
pub trait LaneMap: KernelMap + Sync {
    /// The per-point fields of a point of variance `var` (e.g. √s, 1 + 2s).
    fn fields(&self, var: f64) -> PointFields;

    /// `T` and `Ṫ` for the rows of `rows` against the column point `col` with covariances
    /// `cov` (`Σ = [[s_row, c], [c, s_col]]`), written to `t` and `t_dot`.
    fn lanes(&self, rows: &RowBlock, col: &PointFields, cov: &Lanes, t: &mut Lanes, t_dot: &mut Lanes);
}

/// `ρ = c/√(s₁s₂)` clamped to [−1, 1], 0 if a variance vanishes, snapped to ±1 within 4 ulp
/// (as in the arc-cosine kernels of [`ReluMap`]).
#[inline(always)]
fn relu_correlation(scale: f64, cov: f64) -> f64 {
    const SNAP: f64 = 4.0 * f64::EPSILON;
    let rho = if scale > 0.0 { (cov / scale).clamp(-1.0, 1.0) } else { 0.0 };
    if rho >= 1.0 - SNAP {
        1.0
    } else if rho <= -1.0 + SNAP {
        -1.0
    } else {
        rho
    }
}

/// `(J₁(ρ)/(2π), J₀(ρ)/(2π))` of the arc-cosine kernels (as `arccos_j` in kernel_maps).
#[inline(always)]
fn arccos_j(rho: f64) -> (f64, f64) {
    let theta = lane_math::acos(rho);
    let sin = (1.0 - rho * rho).max(0.0).sqrt();
    ((sin + (PI - theta) * rho) * 0.5 * FRAC_1_PI, (PI - theta) * 0.5 * FRAC_1_PI)
}

impl LaneMap for ReluMap {
    fn fields(&self, var: f64) -> PointFields {
        let p = self.prepare(var);
        [p.sd, 0.0, 0.0, 0.0]
    }
    #[inline(always)]
    fn lanes(&self, rows: &RowBlock, col: &PointFields, cov: &Lanes, t: &mut Lanes, t_dot: &mut Lanes) {
        for r in 0..LANES {
            let scale = rows.fields[0][r] * col[0];
            let (j1, j0) = arccos_j(relu_correlation(scale, cov[r]));
            t[r] = scale * j1;
            t_dot[r] = j0;
        }
    }
}

impl LaneMap for LeakyReluMap {
    fn fields(&self, var: f64) -> PointFields {
        let p = self.prepare(var);
        [p.sd, 0.0, 0.0, 0.0]
    }
    #[inline(always)]
    fn lanes(&self, rows: &RowBlock, col: &PointFields, cov: &Lanes, t: &mut Lanes, t_dot: &mut Lanes) {
        let a = self.slope;
        for r in 0..LANES {
            let scale = rows.fields[0][r] * col[0];
            let rho = relu_correlation(scale, cov[r]);
            let (j1p, j0p) = arccos_j(rho);
            let (j1m, j0m) = arccos_j(-rho);
            t[r] = scale * ((1.0 + a * a) * j1p - 2.0 * a * j1m);
            t_dot[r] = (1.0 + a * a) * j0p + 2.0 * a * j0m;
        }
    }
}

impl LaneMap for ErfMap {
    fn fields(&self, var: f64) -> PointFields {
        let p = self.prepare(var);
        [p.aux, 1.0 / p.aux.sqrt(), 0.0, 0.0]
    }
    /// `T = (2/π) asin(2c/√(a₁a₂))`, `Ṫ = (4/π)/√max(a₁a₂ − 4c², a₁ + a₂ − 1)`, `a = 1 + 2s`,
    /// with `1/√(a₁a₂)` as the product of the per-point `1/√a`.
    #[inline(always)]
    fn lanes(&self, rows: &RowBlock, col: &PointFields, cov: &Lanes, t: &mut Lanes, t_dot: &mut Lanes) {
        for r in 0..LANES {
            let (a1, a2) = (rows.fields[0][r], col[0]);
            let c = cov[r];
            let x = 2.0 * c * rows.fields[1][r] * col[1];
            let det = (a1 * a2 - 4.0 * c * c).max(a1 + a2 - 1.0);
            t[r] = 2.0 * FRAC_1_PI * lane_math::asin(x);
            t_dot[r] = 4.0 * FRAC_1_PI / det.sqrt();
        }
    }
}

impl LaneMap for IdentityMap {
    fn fields(&self, _var: f64) -> PointFields {
        [0.0; 4]
    }
    #[inline(always)]
    fn lanes(&self, _rows: &RowBlock, _col: &PointFields, cov: &Lanes, t: &mut Lanes, t_dot: &mut Lanes) {
        *t = *cov;
        *t_dot = [1.0; LANES];
    }
}

impl LaneMap for SinMap {
    fn fields(&self, var: f64) -> PointFields {
        let p = self.prepare(var);
        [p.aux, 0.5 * p.var, p.sd, 0.0]
    }
    /// `T = e^{−(s₁+s₂)/2} sinh c`, `Ṫ = e^{−(s₁+s₂)/2} cosh c`, `|c| ≤ √(s₁s₂)`.
    #[inline(always)]
    fn lanes(&self, rows: &RowBlock, col: &PointFields, cov: &Lanes, t: &mut Lanes, t_dot: &mut Lanes) {
        for r in 0..LANES {
            let bound = rows.fields[2][r] * col[2];
            let c = cov[r].max(-bound).min(bound); // (`clamp` would add a panic branch)
            let (s, k) =
                lane_math::damped_sinh_cosh(c, rows.fields[1][r] + col[1], rows.fields[0][r] * col[0]);
            t[r] = s;
            t_dot[r] = k;
        }
    }
}

impl LaneMap for GeluMap {
    fn fields(&self, var: f64) -> PointFields {
        let p = self.prepare(var);
        [p.var, p.aux, 1.0 / p.aux, 1.0 / p.aux.sqrt()]
    }
    /// The exact GELU maps of [`GeluMap`] with the per-point `1/a`, `1/√a` (`a = 1 + s`).
    #[inline(always)]
    fn lanes(&self, rows: &RowBlock, col: &PointFields, cov: &Lanes, t: &mut Lanes, t_dot: &mut Lanes) {
        let inv_2pi = 0.5 * FRAC_1_PI;
        for r in 0..LANES {
            let (s1, a1, ia1, ra1) =
                (rows.fields[0][r], rows.fields[1][r], rows.fields[2][r], rows.fields[3][r]);
            let (s2, a2, ia2, ra2) = (col[0], col[1], col[2], col[3]);
            let bound = (s1 * s2).sqrt();
            let c = cov[r].max(-bound).min(bound); // (`clamp` would add a panic branch)
            let p0 = 0.25 + lane_math::asin(c * ra1 * ra2) * inv_2pi;
            let d = (a1 * a2 - c * c).max(a1 + a2 - 1.0).sqrt();
            let inv_d = 1.0 / d;
            let c2 = c * c;
            t[r] = c * p0 + (s1 * s2 - c2 + c2 * ia1 + c2 * ia2) * inv_2pi * inv_d;
            t_dot[r] = p0 + c * (ia1 + ia2) * inv_2pi * inv_d + c * inv_2pi * inv_d * inv_d * inv_d;
        }
    }
}

/// The per-layer fields of a set of points, and their diagonal `K(x, x)`, `Θ(x, x)` after the
/// readout.
struct PointTables {
    /// `fields[l][f]`, padded with points of input variance 1 to a multiple of [`LANES`]
    fields: Vec<[Vec<f64>; 4]>,
    /// `K^{L+1}(x, x)`
    diag_nngp: Vec<f64>,
    /// `Θ^{L+1}(x, x)`
    diag_ntk: Vec<f64>,
}

impl PointTables {
    /// The one-point recursion `s¹ = σ_w² v + σ_b²`, `s^{l+1} = σ_w² T(s^l) + σ_b²`,
    /// `θ^{l+1} = s^{l+1} + σ_w² (θ^l Ṫ(s^l))` from the input variances `v = |x|²/d`
    /// ([`Layers::fold`] on each point's [`Entry`]), with each layer's fields.
    fn new<M: LaneMap>(map: &M, input_var: &[f64], layers: Layers) -> Self {
        let n = input_var.len();
        let padded = n.div_ceil(LANES) * LANES;
        let mut fields: Vec<[Vec<f64>; 4]> =
            (0..layers.depth).map(|_| std::array::from_fn(|_| vec![0.0; padded])).collect();
        let (mut diag_nngp, mut diag_ntk) = (Vec::with_capacity(n), Vec::with_capacity(n));
        // The padding points (input variance 1) only need finite fields: their lanes are dropped.
        for i in 0..padded {
            let e = layers.fold(Entry::input(input_var.get(i).copied().unwrap_or(1.0)), |l, e| {
                for (column, value) in fields[l].iter_mut().zip(map.fields(e.nngp)) {
                    column[i] = value;
                }
                e.nonlinearity(map.diag(&map.prepare(e.nngp)))
            });
            if i < n {
                diag_nngp.push(e.nngp);
                diag_ntk.push(e.ntk);
            }
        }
        PointTables { fields, diag_nngp, diag_ntk }
    }

    fn block(&self, layer: usize, i0: usize) -> RowBlock<'_> {
        let f = &self.fields[layer];
        RowBlock { fields: std::array::from_fn(|i| lanes_at(&f[i], i0)) }
    }

    fn point(&self, layer: usize, j: usize) -> PointFields {
        let f = &self.fields[layer];
        [f[0][j], f[1][j], f[2][j], f[3][j]]
    }
}

/// The [`LANES`] values of `v` from `i0` (tables are padded to whole blocks).
fn lanes_at(v: &[f64], i0: usize) -> &Lanes {
    v[i0..i0 + LANES].try_into().expect("tables are padded to whole blocks")
}

/// One column of the fused recursion: rows `0..rows` of column j, in place (`k` holds
/// `x·x'/d` on entry, K on exit; `theta` receives Θ).
fn column<M: LaneMap>(
    map: &M,
    layers: Layers,
    (row_tables, col_tables): (&PointTables, &PointTables),
    (j, rows): (usize, usize),
    k_col: &mut [f64],
    theta_col: &mut [f64],
) {
    let col_points: Vec<PointFields> = (0..layers.depth).map(|l| col_tables.point(l, j)).collect();
    for i0 in (0..rows).step_by(LANES) {
        let len = LANES.min(rows - i0);
        let mut dot = [0.0; LANES];
        dot[..len].copy_from_slice(&k_col[i0..i0 + len]);
        let e = layers.fold(LaneEntries::input(dot), |l, e| {
            let (mut t, mut t_dot) = ([0.0; LANES], [0.0; LANES]);
            map.lanes(&row_tables.block(l, i0), &col_points[l], &e.nngp, &mut t, &mut t_dot);
            e.nonlinearity(&t, &t_dot)
        });
        k_col[i0..i0 + len].copy_from_slice(&e.nngp[..len]);
        theta_col[i0..i0 + len].copy_from_slice(&e.ntk[..len]);
    }
}

/// NNGP K and NTK Θ of `Dense, (φ, Dense) × depth` between the rows of `x1` and `x2` for a
/// closed-form map (SM E with the maps of SM C), fused over the layers. Inputs must be
/// validated (non-empty, same dimension, finite). If `x1 == x2` only the upper triangle is
/// computed, the diagonal comes from the one-point recursion and the result is exactly
/// symmetric.
pub fn fused_kernels<M: LaneMap>(
    map: &M,
    depth: usize,
    sw2: f64,
    sb2: f64,
    x1: &DMatrix<f64>,
    x2: &DMatrix<f64>,
) -> KernelPair {
    let d = x1.ncols().max(1) as f64;
    let symmetric = x1 == x2;
    let (n1, n2) = (x1.nrows(), x2.nrows());
    let row_var = |x: &DMatrix<f64>| -> Vec<f64> { x.row_iter().map(|r| r.norm_squared() / d).collect() };
    let var1 = row_var(x1);
    let layers = Layers { depth, sw2, sb2 };
    let rows_tab = PointTables::new(map, &var1, layers);
    let cols_tab = if symmetric { None } else { Some(PointTables::new(map, &row_var(x2), layers)) };
    let cols = cols_tab.as_ref().unwrap_or(&rows_tab);
    let mut nngp = (x1 * x2.transpose()) / d;
    let mut ntk = DMatrix::zeros(n1, n2);
    for_each_column(nngp.as_mut_slice(), ntk.as_mut_slice(), n1, |j, k_col, theta_col| {
        let rows = if symmetric { j + 1 } else { n1 };
        column(map, layers, (&rows_tab, cols), (j, rows), k_col, theta_col);
        if symmetric {
            k_col[j] = rows_tab.diag_nngp[j];
            theta_col[j] = rows_tab.diag_ntk[j];
        }
    });
    if symmetric {
        nngp.fill_lower_triangle_with_upper_triangle();
        ntk.fill_lower_triangle_with_upper_triangle();
    }
    KernelPair { nngp, ntk }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::kernels::kernels_with_map;

    /// Points with input variances |x|²/d spread over [1e-4, 30], some repeated and some
    /// nearly repeated (correlations at and near ±1).
    fn points(n: usize, d: usize, phase: f64) -> DMatrix<f64> {
        let mut x = DMatrix::from_fn(n, d, |i, j| {
            let scale = 10f64.powf(-2.0 + 2.7 * ((i * 7) % n) as f64 / n as f64);
            scale * ((i as f64 + 1.0) * (0.618_034 + j as f64 * 0.414_214) + phase).sin()
        });
        if n > 4 {
            let (r0, r1) = (x.row(0).into_owned(), x.row(1).into_owned());
            x.set_row(2, &r0);
            x.set_row(3, &(-r1 * (1.0 + 1e-9)));
        }
        x
    }

    /// The fused pass performs the layered pass's operations in the same order, except for
    /// the maps' own arithmetic (`asin`/`acos` within 4 ulp of libm's, reciprocals multiplied
    /// instead of divided): differences are rounding, amplified by at most the layer count
    /// and by `asin`'s slope near ±1. 1e-12 of the Cauchy–Schwarz scale `√(K(x,x)K(x',x'))`
    /// leaves room for that at depth 5 while any formula error is O(1).
    const FUSED_VS_LAYERED_TOL: f64 = 1e-12;

    fn check<M: LaneMap>(map: &M, name: &str) {
        for (n1, n2, depth) in [(13, 9, 1), (8, 17, 3), (21, 21, 5)] {
            let x1 = points(n1, 3, 0.0);
            let x2 = if n1 == n2 { x1.clone() } else { points(n2, 3, 0.4) };
            let (sw2, sb2) = (1.6, 0.05);
            let fused = fused_kernels(map, depth, sw2, sb2, &x1, &x2);
            let layered = kernels_with_map(map, depth, sw2, sb2, &x1, &x2).unwrap();
            let d1 = fused_kernels(map, depth, sw2, sb2, &x1, &x1);
            let d2 = fused_kernels(map, depth, sw2, sb2, &x2, &x2);
            for j in 0..n2 {
                for i in 0..n1 {
                    for (what, f, l, di, dj) in [
                        ("nngp", &fused.nngp, &layered.nngp, d1.nngp[(i, i)], d2.nngp[(j, j)]),
                        ("ntk", &fused.ntk, &layered.ntk, d1.ntk[(i, i)], d2.ntk[(j, j)]),
                    ] {
                        let scale = (di * dj).sqrt().max(1e-300);
                        let err = (f[(i, j)] - l[(i, j)]).abs() / scale;
                        assert!(
                            err <= FUSED_VS_LAYERED_TOL,
                            "{name} {what} depth {depth} ({i}, {j}): fused {} layered {} ({err:e})",
                            f[(i, j)],
                            l[(i, j)]
                        );
                    }
                }
            }
            if n1 == n2 {
                assert_eq!(fused.nngp, fused.nngp.transpose(), "{name}: exactly symmetric");
                assert_eq!(fused.ntk, fused.ntk.transpose(), "{name}: exactly symmetric");
            }
        }
    }

    #[test]
    fn fused_equals_layered_for_every_closed_form() {
        check(&ReluMap, "relu");
        check(&LeakyReluMap { slope: 0.2 }, "leaky_relu 0.2");
        check(&LeakyReluMap { slope: -1.5 }, "leaky_relu -1.5");
        check(&ErfMap, "erf");
        check(&IdentityMap, "identity");
        check(&SinMap, "sin");
        check(&GeluMap, "gelu");
    }

    /// sin at variances where `sinh c` alone overflows (s ≈ 2000): the damped form stays
    /// finite and within the Cauchy–Schwarz bound `|T| ≤ √(T(s₁)T(s₂))`, `T(s) ≈ 1/2`.
    #[test]
    fn sin_at_huge_variances_is_finite() {
        let x = DMatrix::from_row_slice(3, 1, &[40.0, -45.0, 44.999]);
        let k = fused_kernels(&SinMap, 2, 1.2, 0.0, &x, &x);
        for v in k.nngp.iter().chain(k.ntk.iter()) {
            assert!(v.is_finite(), "{k:?}");
        }
        for i in 0..3 {
            for j in 0..3 {
                let bound = (k.nngp[(i, i)] * k.nngp[(j, j)]).sqrt();
                assert!(k.nngp[(i, j)].abs() <= bound * (1.0 + 1e-12));
            }
        }
    }
}
