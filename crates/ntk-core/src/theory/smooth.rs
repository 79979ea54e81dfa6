//! NNGP and NTK of a network whose activation has no closed-form kernel maps (tanh, softplus,
//! sigmoid, a user's expression), layer by layer (SM E):
//!
//! 1. every point's variance `s = K^l(x, x)` gets its Hermite coefficients
//!    ([`SeriesSet`], one rule per point, matrix products per rule);
//! 2. every pair takes its Mehler series to the fewest terms whose error bound is below
//!    [`crate::theory::hermite_series::SERIES_TOL`] of the pair's scale, [`LANES`] rows at a
//!    time, columns in parallel;
//! 3. the pairs where no available number of terms meets the bound (large variances with
//!    `|ρ|` near 1) get, in this order: the series after recomputing the point with the
//!    smaller rule at its partner's; the complementary form near `ρ = ±1`
//!    ([`crate::theory::hermite_series::complementary_pair`]); the adaptive quadrature of
//!    [`crate::theory::adaptive::expect_2d`] at [`FALLBACK`] tolerance.
//!
//! Then `K ← σ_w² T + σ_b²`, `Θ ← K + σ_w² Ṫ Θ` as everywhere.

use nalgebra::DMatrix;

use crate::theory::adaptive::{self, Tolerance};
use crate::theory::hermite_series::{
    complementary_pair, compute_points, series_pair, terms_for_tolerance, terms_needed, PointSeries,
    PointView, RowCoefficients, SeriesSet, SERIES_TOL,
};
use crate::theory::kernel_maps::{KernelMap, SmoothActivation, TPair};
use crate::theory::kernels::{KernelError, KernelPair};
use crate::theory::lane_math::LANES;
use crate::theory::parallel::{map_columns, map_indices};
use crate::theory::quadrature::{correlation, order_index};

/// Tolerance of the adaptive quadrature for the pairs the series cannot serve: `1e-12`,
/// conditional variances up to 1 by the Gauss–Hermite rule for that variance (accurate to
/// ≈ 1e-11 for tanh, the activation of this crate with the narrowest analyticity strip).
pub const FALLBACK: Tolerance =
    Tolerance { rel: 1e-12, abs: 1e-300, max_pieces: 2000, hermite_inner_var: 1.0 };

/// Pairs with `1 − |ρ| ≤ NEAR_ONE` are held to [`CONSISTENT_TOL`] instead of the series
/// tolerance, and take the complementary form where the series cannot meet it (its error
/// bound `(1 − |ρ|^K)√(τ_a τ_b) ≤ K·NEAR_ONE·√(τ_a τ_b)` is then ~10⁻¹⁸ of the scale): so
/// nearly duplicated points give a kernel as nearly singular as their distance implies.
pub const NEAR_ONE: f64 = 1e-8;

/// The series tolerance for nearly identical points (rounding level).
pub const CONSISTENT_TOL: f64 = 1e-16;

/// How a layer's pairs were computed (for benchmarks and tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LayerStats {
    /// pairs summed as series
    pub series: usize,
    /// pairs computed by the complementary form near ρ = ±1
    pub complementary: usize,
    /// pairs computed by the adaptive fallback
    pub fallback: usize,
    /// largest number of series terms used for a block of rows
    pub max_terms: usize,
}

/// How a pair outside the blocked series pass was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// Mehler series (after recomputing a point at a larger rule)
    Series,
    /// the complementary form near ρ = ±1
    Complementary,
    /// the adaptive quadrature
    Fallback,
}

/// A pair the blocked pass could not serve: the series if the (possibly upgraded) points
/// allow it, else the complementary form near ρ = ±1, else the adaptive quadrature. Nearly
/// identical points (`1 − |ρ| ≤ NEAR_ONE`) need the series to [`CONSISTENT_TOL`].
fn pair_beyond_the_block<A: SmoothActivation + Sync>(
    act: &A,
    p: PointView,
    q: PointView,
    c: f64,
) -> ((f64, f64), Route) {
    let rho = correlation(p.point.var, q.point.var, c);
    let tol = if 1.0 - rho.abs() <= NEAR_ONE { CONSISTENT_TOL } else { SERIES_TOL };
    if let Some(terms) = terms_for_tolerance(p.point, q.point, rho, tol) {
        return (series_pair(p.coef, q.coef, rho, terms), Route::Series);
    }
    if let Some(t) = complementary_pair(p, q, rho) {
        return (t, Route::Complementary);
    }
    let (pp, qp) = (p.point, q.point);
    (fallback_pair(act, (pp.var, pp.norm2), (qp.var, qp.norm2), c, FALLBACK), Route::Fallback)
}

/// `T` and `Ṫ` of one pair by the adaptive quadrature, with absolute floors `tol.rel ×` the
/// pair's Cauchy–Schwarz scales from the norms `E φ²`, `E φ'²` of the two points.
pub fn fallback_pair<A: SmoothActivation + Sync>(
    act: &A,
    (s1, norm1): (f64, [f64; 2]),
    (s2, norm2): (f64, [f64; 2]),
    c: f64,
    tol: Tolerance,
) -> (f64, f64) {
    let mut f = |xs: &[f64], out: &mut [f64]| act.values(xs, out);
    let mut g = |xs: &[f64], out: &mut [f64]| act.values(xs, out);
    let t = adaptive::expect_2d(s1, s2, c, &mut f, &mut g, tol, (norm1[0].sqrt(), norm2[0].sqrt()));
    let mut f = |xs: &[f64], out: &mut [f64]| act.derivatives(xs, out);
    let mut g = |xs: &[f64], out: &mut [f64]| act.derivatives(xs, out);
    let t_dot = adaptive::expect_2d(s1, s2, c, &mut f, &mut g, tol, (norm1[1].sqrt(), norm2[1].sqrt()));
    (t, t_dot)
}

/// One nonlinearity: `K ← T(K)`, `Θ ← Ṫ(K) ⊙ Θ` on the entries. Only rows `0..=j` of
/// column j if `symmetric`, the diagonal from the norms.
fn nonlinearity<A: SmoothActivation + Sync>(
    act: &A,
    nngp: &mut DMatrix<f64>,
    ntk: &mut DMatrix<f64>,
    rows: &SeriesSet,
    cols: &SeriesSet,
    symmetric: bool,
) -> LayerStats {
    let n1 = nngp.nrows();
    let row_coef = RowCoefficients::new(rows);
    let per_column: Vec<(Vec<usize>, usize, usize, usize)> =
        map_columns(nngp.as_mut_slice(), ntk.as_mut_slice(), n1, |j, k_col, theta_col| {
            let q = &cols.points[j];
            let col = [cols.coef[0].column(j), cols.coef[1].column(j)];
            let col = [col[0].as_slice(), col[1].as_slice()];
            // Symmetric: rows above the diagonal; the diagonal itself is T(s, s, s) = E φ².
            let n_rows = if symmetric { j } else { n1 };
            let mut failed = Vec::new();
            let mut max_terms = 0;
            let mut complementary = 0;
            for i0 in (0..n_rows).step_by(LANES) {
                let len = LANES.min(n_rows - i0);
                let mut rho = [0.0; LANES];
                for r in 0..len {
                    rho[r] = correlation(rows.points[i0 + r].var, q.var, k_col[i0 + r]);
                }
                let (terms, mut ok) = row_coef.block_terms(i0, q, &rho);
                // A point paired with itself (same variance, ρ = 1 exactly) gets the diagonal
                // value E φ² exactly, as on the diagonal, so duplicated points give an exactly
                // singular kernel.
                // Nearly identical points (|ρ| within NEAR_ONE of 1) need the series to the
                // rounding level to stay consistent with the diagonal; failing that they go to
                // the complementary form.
                let mut same = [false; LANES];
                let mut near = [false; LANES];
                let mut terms = terms;
                for r in 0..len {
                    let p = &rows.points[i0 + r];
                    same[r] = rho[r] == 1.0 && p.var == q.var;
                    if !same[r] && 1.0 - rho[r].abs() <= NEAR_ONE {
                        match terms_for_tolerance(p, q, rho[r], CONSISTENT_TOL) {
                            Some(k) if ok[r] => terms = terms.max(k),
                            _ => {
                                ok[r] = false;
                                near[r] = true;
                            }
                        }
                    }
                    ok[r] |= same[r];
                }
                // Nearly identical pairs the series cannot hold to the rounding level: the
                // complementary form, in the block where both points share a rule.
                let (ct, ct_dot, served) = if near.iter().any(|&n| n) {
                    row_coef.complementary_block(i0, cols.view(j), &rho, near, CONSISTENT_TOL)
                } else {
                    ([0.0; LANES], [0.0; LANES], [false; LANES])
                };
                failed.extend((0..len).filter(|&r| !ok[r] && !served[r]).map(|r| i0 + r));
                max_terms = max_terms.max(terms);
                let (t, t_dot) = row_coef.horner(i0, col, &rho, terms);
                for r in 0..len {
                    let (t, t_dot) = if same[r] {
                        (q.norm2[0], q.norm2[1])
                    } else if served[r] {
                        (ct[r], ct_dot[r])
                    } else if ok[r] {
                        (t[r], t_dot[r])
                    } else {
                        continue;
                    };
                    k_col[i0 + r] = t;
                    theta_col[i0 + r] *= t_dot;
                }
                complementary += served.iter().filter(|&&s| s).count();
            }
            if symmetric {
                k_col[j] = q.norm2[0];
                theta_col[j] *= q.norm2[1];
            }
            let done = n_rows - failed.len() + usize::from(symmetric) - complementary;
            (failed, done, max_terms, complementary)
        });
    let mut stats = LayerStats::default();
    let mut todo = Vec::new();
    for (j, (failed, done, terms, complementary)) in per_column.into_iter().enumerate() {
        stats.series += done;
        stats.complementary += complementary;
        stats.max_terms = stats.max_terms.max(terms);
        todo.extend(failed.into_iter().map(|i| (i, j)));
    }
    // A pair whose two points were resolved by rules of different sizes may need more
    // terms of the smaller one than it kept: recompute that point at its partner's rule.
    let upgrade_rows = upgrades(&todo, rows, cols, |&(i, j)| (i, j));
    let upgrade_cols =
        if symmetric { upgrade_rows.clone() } else { upgrades(&todo, cols, rows, |&(i, j)| (j, i)) };
    let row_up = Upgraded::new(act, rows, &upgrade_rows);
    let col_up = if symmetric { None } else { Some(Upgraded::new(act, cols, &upgrade_cols)) };
    let col_up = col_up.as_ref().unwrap_or(&row_up);
    let nngp_ref = &*nngp;
    let fixed = map_indices(todo.len(), |f| {
        let (i, j) = todo[f];
        pair_beyond_the_block(act, row_up.get(rows, i), col_up.get(cols, j), nngp_ref[(i, j)])
    });
    for (_, route) in &fixed {
        match route {
            Route::Series => stats.series += 1,
            Route::Complementary => stats.complementary += 1,
            Route::Fallback => stats.fallback += 1,
        }
    }
    let fixed: Vec<(f64, f64)> = fixed.into_iter().map(|f| f.0).collect();
    for (&(i, j), (t, t_dot)) in todo.iter().zip(fixed) {
        nngp[(i, j)] = t;
        ntk[(i, j)] *= t_dot;
    }
    stats
}

/// For the failed pairs `(own, other)` (as picked by `key`), the points of `own` to recompute
/// and at which rule: the partner's, where the partner was resolved by a larger rule.
fn upgrades(
    todo: &[(usize, usize)],
    own: &SeriesSet,
    other: &SeriesSet,
    key: impl Fn(&(usize, usize)) -> (usize, usize),
) -> Vec<(usize, usize)> {
    let mut best: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    for pair in todo {
        let (p, q) = key(pair);
        let (mine, theirs) = (&own.points[p], &other.points[q]);
        if mine.resolved && theirs.resolved && theirs.rule > mine.rule {
            let e = best.entry(p).or_insert(theirs.rule);
            *e = (*e).max(theirs.rule);
        }
    }
    best.into_iter().collect()
}

/// Points of a set recomputed at larger rules.
struct Upgraded {
    points: std::collections::HashMap<usize, PointSeries>,
}

impl Upgraded {
    fn new<A: SmoothActivation + Sync>(act: &A, set: &SeriesSet, which: &[(usize, usize)]) -> Self {
        let vars: Vec<f64> = which.iter().map(|&(p, _)| set.points[p].var).collect();
        let start: Vec<usize> = which.iter().map(|&(_, r)| r).collect();
        let computed = compute_points(act, &vars, &start);
        Upgraded { points: which.iter().map(|&(p, _)| p).zip(computed).collect() }
    }

    /// The upgraded point p if there is one, else the set's.
    fn get<'a>(&'a self, set: &'a SeriesSet, p: usize) -> PointView<'a> {
        match self.points.get(&p) {
            Some(series) => series.view(),
            None => set.view(p),
        }
    }
}

/// The first index whose value is not finite, with that value.
fn first_non_finite(values: &[f64]) -> Option<f64> {
    values.iter().copied().find(|v| !v.is_finite())
}

/// NNGP K and NTK Θ of `Dense, (φ, Dense) × depth` for a smooth φ (module docs), with the
/// per-layer statistics. Inputs must be validated (non-empty, same dimension, finite). If
/// `x1 == x2` only the upper triangle is computed and the result is exactly symmetric.
///
/// # Errors
/// [`KernelError::Divergent`] if φ's Gaussian expectations are not finite at some layer.
pub fn smooth_kernels<A: SmoothActivation + Sync>(
    act: &A,
    depth: usize,
    sw2: f64,
    sb2: f64,
    x1: &DMatrix<f64>,
    x2: &DMatrix<f64>,
) -> Result<(KernelPair, Vec<LayerStats>), KernelError> {
    let d = x1.ncols().max(1) as f64;
    let symmetric = x1 == x2;
    let row_var =
        |x: &DMatrix<f64>| -> Vec<f64> { x.row_iter().map(|r| sw2 * r.norm_squared() / d + sb2).collect() };
    let mut var1 = row_var(x1);
    let mut var2 = if symmetric { Vec::new() } else { row_var(x2) };
    let mut nngp = (x1 * x2.transpose()) / d;
    nngp.apply(|k| *k = sw2 * *k + sb2);
    if symmetric {
        for (i, &v) in var1.iter().enumerate() {
            nngp[(i, i)] = v;
        }
    }
    let mut ntk = nngp.clone();
    let mut stats = Vec::with_capacity(depth);
    for layer in 0..depth {
        let rows = SeriesSet::new(act, &var1);
        let cols_owned = if symmetric { None } else { Some(SeriesSet::new(act, &var2)) };
        let cols = cols_owned.as_ref().unwrap_or(&rows);
        for set in [&rows, cols] {
            for p in &set.points {
                if let Some(v) = first_non_finite(&p.norm2) {
                    return Err(KernelError::Divergent { layer: layer + 1, var: p.var, value: v });
                }
            }
        }
        stats.push(nonlinearity(act, &mut nngp, &mut ntk, &rows, cols, symmetric));
        // Dense: K ← σ_w² T + σ_b², Θ ← K + σ_w² Θ, and the variances likewise.
        nngp.apply(|k| *k = sw2 * *k + sb2);
        ntk.zip_apply(&nngp, |t, k| *t = k + sw2 * *t);
        var1 = rows.points.iter().map(|p| sw2 * p.norm2[0] + sb2).collect();
        if !symmetric {
            var2 = cols.points.iter().map(|p| sw2 * p.norm2[0] + sb2).collect();
        }
    }
    if symmetric {
        nngp.fill_lower_triangle_with_upper_triangle();
        ntk.fill_lower_triangle_with_upper_triangle();
    }
    Ok((KernelPair { nngp, ntk }, stats))
}

/// The diagonals `K(x, x)`, `Θ(x, x)` of the points with input variances `|x|²/d`, by the
/// one-point recursion with the norms of [`SeriesSet`] (the same numbers as the diagonal of
/// [`smooth_kernels`]).
///
/// # Errors
/// As [`smooth_kernels`].
pub fn smooth_diagonal<A: SmoothActivation + Sync>(
    act: &A,
    depth: usize,
    sw2: f64,
    sb2: f64,
    input_var: &[f64],
) -> Result<(Vec<f64>, Vec<f64>), KernelError> {
    let mut var: Vec<f64> = input_var.iter().map(|v| sw2 * v + sb2).collect();
    let mut theta = var.clone();
    for layer in 0..depth {
        let set = SeriesSet::new(act, &var);
        for (i, p) in set.points.iter().enumerate() {
            if let Some(v) = first_non_finite(&p.norm2) {
                return Err(KernelError::Divergent { layer: layer + 1, var: p.var, value: v });
            }
            let k = sw2 * p.norm2[0] + sb2;
            theta[i] = k + sw2 * (theta[i] * p.norm2[1]);
            var[i] = k;
        }
    }
    Ok((var, theta))
}

/// The kernel maps of a smooth activation pair by pair, by the same rules as
/// [`smooth_kernels`]: Mehler series where its bound holds (after recomputing the point with
/// the smaller rule at the other's, if needed), the adaptive fallback elsewhere. For the
/// layered API ([`crate::theory::kernels::kernels_with_map`]) and for tests.
#[derive(Clone, Copy, Debug)]
pub struct SmoothMap<A> {
    act: A,
}

impl<A: SmoothActivation + Sync> SmoothMap<A> {
    /// The series-or-fallback map of `act`.
    pub fn new(act: A) -> Self {
        SmoothMap { act }
    }
}

/// A point of [`SmoothMap`]: its series.
#[derive(Clone, Debug)]
pub struct SmoothPoint(pub PointSeries);

fn series_point<A: SmoothActivation + Sync>(act: &A, var: f64, rule: usize) -> PointSeries {
    compute_points(act, &[var.max(0.0)], &[rule]).pop().expect("one point")
}

impl<A: SmoothActivation + Sync> KernelMap for SmoothMap<A> {
    type Point = SmoothPoint;

    fn prepare(&self, var: f64) -> SmoothPoint {
        let var = if var.is_finite() { var.max(0.0) } else { var };
        SmoothPoint(series_point(&self.act, var, order_index(0.25 * var.max(0.0))))
    }

    fn diag(&self, p: &SmoothPoint) -> TPair {
        TPair { t: p.0.point.norm2[0], t_dot: p.0.point.norm2[1] }
    }

    fn pair(&self, p: &SmoothPoint, q: &SmoothPoint, cov: f64) -> TPair {
        let (pp, qp) = (&p.0.point, &q.0.point);
        let rho = correlation(pp.var, qp.var, cov);
        if rho == 1.0 && pp.var == qp.var {
            return self.diag(p);
        }
        // As in the engine: the point with the smaller rule at its partner's if the series
        // falls short.
        let mut upgraded = None;
        if terms_needed(pp, qp, rho).is_none() && pp.resolved && qp.resolved && pp.rule != qp.rule {
            upgraded = Some(if pp.rule < qp.rule {
                (series_point(&self.act, pp.var, qp.rule), true)
            } else {
                (series_point(&self.act, qp.var, pp.rule), false)
            });
        }
        let (a, b) = match &upgraded {
            Some((s, true)) => (s.view(), q.0.view()),
            Some((s, false)) => (p.0.view(), s.view()),
            None => (p.0.view(), q.0.view()),
        };
        let ((t, t_dot), _) = pair_beyond_the_block(&self.act, a, b, cov);
        TPair { t, t_dot }
    }
}

/// The reference kernel maps of a smooth activation: every expectation by the adaptive
/// quadrature at [`adaptive::REFERENCE`] tolerance (`1e-13`). Slow (milliseconds per pair);
/// the yardstick the fast paths are tested and benchmarked against.
#[derive(Clone, Copy, Debug)]
pub struct AdaptiveMap<A> {
    act: A,
}

impl<A: SmoothActivation + Sync> AdaptiveMap<A> {
    /// The reference map of `act`.
    pub fn new(act: A) -> Self {
        AdaptiveMap { act }
    }
}

impl<A: SmoothActivation + Sync> KernelMap for AdaptiveMap<A> {
    /// the variance and `[E φ², E φ'²]`
    type Point = (f64, [f64; 2]);

    fn prepare(&self, var: f64) -> (f64, [f64; 2]) {
        let var = var.max(0.0);
        let sd = var.sqrt();
        let mut sq = |xs: &[f64], out: &mut [f64]| {
            self.act.values(xs, out);
            out.iter_mut().for_each(|v| *v *= *v);
        };
        let mut dsq = |xs: &[f64], out: &mut [f64]| {
            self.act.derivatives(xs, out);
            out.iter_mut().for_each(|v| *v *= *v);
        };
        let norms = [
            adaptive::expect(0.0, sd, &mut sq, adaptive::REFERENCE).value,
            adaptive::expect(0.0, sd, &mut dsq, adaptive::REFERENCE).value,
        ];
        (var, norms)
    }

    fn diag(&self, p: &(f64, [f64; 2])) -> TPair {
        TPair { t: p.1[0], t_dot: p.1[1] }
    }

    fn pair(&self, p: &(f64, [f64; 2]), q: &(f64, [f64; 2]), cov: f64) -> TPair {
        let (t, t_dot) = fallback_pair(&self.act, *p, *q, cov, adaptive::REFERENCE);
        TPair { t, t_dot }
    }
}
