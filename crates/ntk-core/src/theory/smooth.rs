//! NNGP and NTK of a network whose activation has no closed-form kernel maps (tanh, softplus,
//! sigmoid, a user's expression), layer by layer (SM E):
//!
//! 1. every point's variance `s = K^l(x, x)` gets its outer rule of the near-diagonal rule
//!    ([`OuterRule`], ~50–130 nodes); where the rule is verified its norms `E φ²`, `E φ'²`
//!    are the kernel's diagonal, else the norms of the point's Hermite series;
//! 2. the points of variance ≤ [`CHEAP_SERIES_VAR`], those with a pair that the
//!    near-diagonal rule cannot take (conditional variance beyond its inner rule's reach, see
//!    `needs_series`) and those whose rule is not verified get their Hermite coefficients
//!    ([`SeriesSet`], one rule per point, matrix products per rule);
//! 3. every pair of two such points takes its Mehler series to the fewest terms whose error
//!    bound is below [`crate::theory::hermite_series::SERIES_TOL`] of the pair's scale,
//!    [`LANES`] rows at a time, columns in parallel;
//! 4. the other pairs, and those where no available number of terms meets the bound (large
//!    variances with `|ρ|` near 1), get, in this order: the near-diagonal rule
//!    ([`near_pair`]) if its bound is within [`crate::theory::near_diagonal::PAIR_TOL`]; the
//!    series after recomputing the point with the smaller rule at its partner's (or computing
//!    a skipped point's series); the complementary form near `ρ = ±1`
//!    ([`crate::theory::hermite_series::complementary_pair`]); the adaptive quadrature of
//!    [`crate::theory::adaptive::expect_2d`] at [`FALLBACK`] tolerance.
//!
//! Values from a point's series are rescaled by `√(N / N_series)` (N the kernel's diagonal),
//! a congruence of the 2×2 block `[[N_p, T], [T, N_q]]` that keeps nearly identical points
//! nearly singular whichever rule gave the diagonal.
//!
//! Then `K ← σ_w² T + σ_b²`, `Θ ← K + σ_w² Ṫ Θ` as everywhere: the layers are the one
//! recursion [`Layers::try_fold`] on a [`KernelRecord`] (on [`Entry`]s for the diagonal).

use nalgebra::DMatrix;

use crate::theory::adaptive::{self, Tolerance};
use crate::theory::derivative_bounds::DerivativeBounds;
use crate::theory::hermite_series::{
    complementary_pair, compute_points, series_pair, start_rule, terms_for_tolerance, terms_needed,
    PointSeries, PointView, RowCoefficients, SeriesSet, SERIES_TOL,
};
use crate::theory::kernel_maps::{KernelMap, SmoothActivation, TPair};
use crate::theory::kernel_types::{KernelError, KernelPair};
use crate::theory::lane_math::LANES;
use crate::theory::near_diagonal::{
    estimated_reach, largest_inner_sd, near_pair, strip_half_width, OuterRule,
};
use crate::theory::parallel::{map_columns, map_indices};
use crate::theory::quadrature::correlation;
use crate::theory::recursion::{Entry, KernelRecord, Layers};

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
    /// pairs computed by the near-diagonal rule (with a bound or an estimate)
    pub near_diagonal: usize,
    /// of those, the pairs whose inner error is an estimate (σ beyond the bound's reach)
    pub near_diagonal_estimated: usize,
    /// pairs computed by the adaptive fallback
    pub fallback: usize,
    /// largest number of series terms used for a block of rows
    pub max_terms: usize,
    /// points whose Hermite coefficients were computed (of both sets)
    pub series_points: usize,
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

/// Points of variance up to this always get their Hermite series: it is cheap there (rules
/// of ≤ 600 nodes resolve tanh, the sharpest built-in, up to variance ≈ 5), and a pair of two
/// such points costs a few hundred multiply-adds by the series against thousands of φ
/// evaluations by the near-diagonal rule.
pub const CHEAP_SERIES_VAR: f64 = 4.0;

/// What a layer keeps about one set of points: the outer rules, the series (placeholders for
/// the points that need none) and the kernel's diagonal.
struct LayerPoints {
    /// per point, the near-diagonal rule's outer rule
    rules: Vec<OuterRule>,
    /// Hermite series
    series: SeriesSet,
    /// the kernel's diagonal `[E φ², E φ'²]`: the outer rule's norms where it is verified,
    /// else the series' (a function of the variance alone, as [`smooth_diagonal`] computes it)
    norms: Vec<[f64; 2]>,
}

/// The outer rules of points of variances `vars`.
fn outer_rules<A: SmoothActivation + Sync>(act: &A, vars: &[f64]) -> Vec<OuterRule> {
    map_indices(vars.len(), |p| OuterRule::new(act, vars[p].max(0.0)))
}

/// `√(N / N_series)` per map, the factor that rescales a series value of this point to the
/// kernel's diagonal N (1 where they coincide or the series has no norm).
fn factor(norms: [f64; 2], series_norm: [f64; 2]) -> [f64; 2] {
    let f = |w: usize| {
        let (n, s) = (norms[w], series_norm[w]);
        if n == s || s.is_nan() || s <= 0.0 || n.is_nan() || n <= 0.0 {
            1.0
        } else {
            (n / s).sqrt()
        }
    };
    [f(0), f(1)]
}

impl LayerPoints {
    /// The rules, the series of the points with `wanted`, of every point whose rule is not
    /// verified and of those of variance ≤ [`CHEAP_SERIES_VAR`], and the diagonal.
    fn new<A: SmoothActivation + Sync>(
        act: &A,
        vars: &[f64],
        rules: Vec<OuterRule>,
        wanted: &[bool],
    ) -> Self {
        let wanted: Vec<bool> =
            wanted.iter().zip(&rules).map(|(&w, r)| w || !r.verified || r.var <= CHEAP_SERIES_VAR).collect();
        let series = SeriesSet::some(act, vars, &wanted);
        let norms = rules
            .iter()
            .zip(&series.points)
            .map(|(r, p)| if r.verified { r.norm2 } else { p.norm2 })
            .collect();
        LayerPoints { rules, series, norms }
    }

    /// Point p's rescaling factors [`factor`] for its own series.
    fn factors(&self, p: usize) -> [f64; 2] {
        factor(self.norms[p], self.series.points[p].norm2)
    }
}

/// The conditional standard deviation of the point of smaller variance given the other,
/// `σ = √((s₁s₂ − c²)/max(s₁, s₂))`.
fn conditional_sd(s1: f64, s2: f64, c: f64) -> f64 {
    let big = s1.max(s2);
    if big > 0.0 {
        ((s1 * s2 - c * c) / big).max(0.0).sqrt()
    } else {
        0.0
    }
}

/// Which points need their Hermite series: those with a pair the near-diagonal rule cannot
/// take (the point of larger variance has no verified rule, or the conditional standard
/// deviation is beyond the inner rule's reach, [`estimated_reach`]), for rows and columns.
/// `cov` holds the pairs' covariances (upper triangle only if `symmetric`).
fn needs_series(
    bounds: &DerivativeBounds,
    (rows, row_norms): (&[OuterRule], &[[f64; 2]]),
    (cols, col_norms): (&[OuterRule], &[[f64; 2]]),
    cov: &DMatrix<f64>,
    symmetric: bool,
) -> (Vec<bool>, Vec<bool>) {
    let estimated = estimated_reach(strip_half_width(bounds));
    let reach = |n: &[f64; 2]| largest_inner_sd(bounds, *n).max(estimated);
    let row_sd: Vec<f64> = row_norms.iter().map(reach).collect();
    let col_sd: Vec<f64> = col_norms.iter().map(reach).collect();
    let (mut need_rows, mut need_cols) = (vec![false; rows.len()], vec![false; cols.len()]);
    for (j, q) in cols.iter().enumerate() {
        let n_rows = if symmetric { j } else { rows.len() };
        for (i, p) in rows.iter().enumerate().take(n_rows) {
            let (outer, inner_sd) = if p.var >= q.var { (p, col_sd[j]) } else { (q, row_sd[i]) };
            if !outer.verified || conditional_sd(p.var, q.var, cov[(i, j)]) > inner_sd {
                need_rows[i] = true;
                need_cols[j] = true;
            }
        }
    }
    if symmetric {
        for (r, c) in need_rows.iter_mut().zip(&need_cols) {
            *r |= *c;
        }
        need_cols.clone_from(&need_rows);
    }
    (need_rows, need_cols)
}

/// The near-diagonal rule for a pair if its bound is within tolerance, held to the diagonal
/// (rescaled) for nearly identical points: `(T, Ṫ)` and whether the inner part was estimated.
fn near_diagonal_pair<A: SmoothActivation + Sync>(
    act: &A,
    bounds: &DerivativeBounds,
    (p, p_norms): (&OuterRule, [f64; 2]),
    (q, q_norms): (&OuterRule, [f64; 2]),
    c: f64,
) -> Option<((f64, f64), bool)> {
    let rho = correlation(p.var, q.var, c);
    let pair = near_pair(act, bounds, (p, p_norms), (q, q_norms), c, 1.0 - rho.abs() <= NEAR_ONE)?;
    let scale = [(p_norms[0] * q_norms[0]).sqrt(), (p_norms[1] * q_norms[1]).sqrt()];
    pair.within(scale).then_some(((pair.t[0], pair.t[1]), pair.estimated))
}

/// A pair neither the blocked pass nor the near-diagonal rule served: the series if the
/// (possibly upgraded) points allow it, else the complementary form near ρ = ±1, else the
/// adaptive quadrature. Nearly identical points (`1 − |ρ| ≤ NEAR_ONE`) need the series to
/// [`CONSISTENT_TOL`]. Series values are rescaled to the diagonals `norms` ([`factor`]).
fn pair_beyond_the_block<A: SmoothActivation + Sync>(
    act: &A,
    (p, p_norms): (PointView, [f64; 2]),
    (q, q_norms): (PointView, [f64; 2]),
    c: f64,
) -> ((f64, f64), Route) {
    let rho = correlation(p.point.var, q.point.var, c);
    let tol = if 1.0 - rho.abs() <= NEAR_ONE { CONSISTENT_TOL } else { SERIES_TOL };
    let (fp, fq) = (factor(p_norms, p.point.norm2), factor(q_norms, q.point.norm2));
    let rescaled = |(t, t_dot): (f64, f64)| (t * fp[0] * fq[0], t_dot * fp[1] * fq[1]);
    if let Some(terms) = terms_for_tolerance(p.point, q.point, rho, tol) {
        return (rescaled(series_pair(p.coef, q.coef, rho, terms)), Route::Series);
    }
    if let Some(t) = complementary_pair(p, q, rho) {
        return (rescaled(t), Route::Complementary);
    }
    let (pp, qp) = (p.point, q.point);
    (fallback_pair(act, (pp.var, p_norms), (qp.var, q_norms), c, FALLBACK), Route::Fallback)
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
    bounds: &DerivativeBounds,
    nngp: &mut DMatrix<f64>,
    ntk: &mut DMatrix<f64>,
    rows: &LayerPoints,
    cols: &LayerPoints,
    symmetric: bool,
) -> LayerStats {
    let (failed, mut stats) = blocked_series(nngp, ntk, rows, cols, symmetric);
    // The near-diagonal rule first, then what remains.
    let nngp_ref = &*nngp;
    let near = map_indices(failed.len(), |f| {
        let (i, j) = failed[f];
        near_diagonal_pair(
            act,
            bounds,
            (&rows.rules[i], rows.norms[i]),
            (&cols.rules[j], cols.norms[j]),
            nngp_ref[(i, j)],
        )
    });
    let mut todo = Vec::new();
    for (&(i, j), value) in failed.iter().zip(near) {
        match value {
            Some(((t, t_dot), estimated)) => {
                nngp[(i, j)] = t;
                ntk[(i, j)] *= t_dot;
                stats.near_diagonal += 1;
                stats.near_diagonal_estimated += usize::from(estimated);
            }
            None => todo.push((i, j)),
        }
    }
    // A pair whose two points were resolved by rules of different sizes may need more
    // terms of the smaller one than it kept: recompute that point at its partner's rule; a
    // point without a series gets one now.
    let upgrade_rows = upgrades(&todo, &rows.series, &cols.series, |&(i, j)| (i, j));
    let upgrade_cols = if symmetric {
        upgrade_rows.clone()
    } else {
        upgrades(&todo, &cols.series, &rows.series, |&(i, j)| (j, i))
    };
    let row_up = Upgraded::new(act, &rows.series, &upgrade_rows);
    let col_up = if symmetric { None } else { Some(Upgraded::new(act, &cols.series, &upgrade_cols)) };
    let col_up = col_up.as_ref().unwrap_or(&row_up);
    let nngp_ref = &*nngp;
    let fixed = map_indices(todo.len(), |f| {
        let (i, j) = todo[f];
        pair_beyond_the_block(
            act,
            (row_up.get(&rows.series, i), rows.norms[i]),
            (col_up.get(&cols.series, j), cols.norms[j]),
            nngp_ref[(i, j)],
        )
    });
    for (&(i, j), ((t, t_dot), route)) in todo.iter().zip(fixed) {
        nngp[(i, j)] = t;
        ntk[(i, j)] *= t_dot;
        match route {
            Route::Series => stats.series += 1,
            Route::Complementary => stats.complementary += 1,
            Route::Fallback => stats.fallback += 1,
        }
    }
    stats
}

/// The blocked Mehler series over all pairs (and the complementary form for nearly identical
/// points sharing a rule); returns the pairs it could not serve, with the statistics.
fn blocked_series(
    nngp: &mut DMatrix<f64>,
    ntk: &mut DMatrix<f64>,
    rows: &LayerPoints,
    cols: &LayerPoints,
    symmetric: bool,
) -> (Vec<(usize, usize)>, LayerStats) {
    let n1 = nngp.nrows();
    let row_coef = RowCoefficients::new(&rows.series);
    let row_factors: Vec<[f64; 2]> = (0..n1).map(|i| rows.factors(i)).collect();
    let per_column: Vec<(Vec<usize>, usize, usize, usize)> =
        map_columns(nngp.as_mut_slice(), ntk.as_mut_slice(), n1, |j, k_col, theta_col| {
            let q = &cols.series.points[j];
            let q_norm = cols.norms[j];
            let q_factor = cols.factors(j);
            let col = [cols.series.coef[0].column(j), cols.series.coef[1].column(j)];
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
                    rho[r] = correlation(rows.series.points[i0 + r].var, q.var, k_col[i0 + r]);
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
                    let p = &rows.series.points[i0 + r];
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
                    row_coef.complementary_block(i0, cols.series.view(j), &rho, near, CONSISTENT_TOL)
                } else {
                    ([0.0; LANES], [0.0; LANES], [false; LANES])
                };
                failed.extend((0..len).filter(|&r| !ok[r] && !served[r]).map(|r| i0 + r));
                max_terms = max_terms.max(terms);
                let (t, t_dot) = row_coef.horner(i0, col, &rho, terms);
                for r in 0..len {
                    let f = &row_factors[i0 + r];
                    let (t, t_dot) = if same[r] {
                        (q_norm[0], q_norm[1])
                    } else if served[r] {
                        (ct[r] * f[0] * q_factor[0], ct_dot[r] * f[1] * q_factor[1])
                    } else if ok[r] {
                        (t[r] * f[0] * q_factor[0], t_dot[r] * f[1] * q_factor[1])
                    } else {
                        continue;
                    };
                    k_col[i0 + r] = t;
                    theta_col[i0 + r] *= t_dot;
                }
                complementary += served.iter().filter(|&&s| s).count();
            }
            if symmetric {
                k_col[j] = q_norm[0];
                theta_col[j] *= q_norm[1];
            }
            let done = n_rows - failed.len() + usize::from(symmetric) - complementary;
            (failed, done, max_terms, complementary)
        });
    let mut stats = LayerStats::default();
    let mut failed = Vec::new();
    for (j, (column_failed, done, terms, complementary)) in per_column.into_iter().enumerate() {
        stats.series += done;
        stats.complementary += complementary;
        stats.max_terms = stats.max_terms.max(terms);
        failed.extend(column_failed.into_iter().map(|i| (i, j)));
    }
    (failed, stats)
}

/// For the failed pairs `(own, other)` (as picked by `key`), the points of `own` to recompute
/// and at which rule: the partner's, where the partner was resolved by a larger rule; a point
/// without a series at its own starting rule (or the partner's, if larger).
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
        let partner = if theirs.resolved { theirs.rule } else { 0 };
        let want = if mine.is_placeholder() {
            Some(start_rule(mine.var).max(partner))
        } else if mine.resolved && theirs.resolved && theirs.rule > mine.rule {
            Some(theirs.rule)
        } else {
            None
        };
        if let Some(rule) = want {
            let e = best.entry(p).or_insert(rule);
            *e = (*e).max(rule);
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

/// The diagonal `[E φ², E φ'²]` of points of variances `vars` with their outer rules `rules`:
/// the rule's norms where verified, else those of the point's Hermite series (as
/// [`LayerPoints`] has them).
fn diagonal_norms<A: SmoothActivation + Sync>(act: &A, vars: &[f64], rules: &[OuterRule]) -> Vec<[f64; 2]> {
    let unverified: Vec<usize> = (0..vars.len()).filter(|&p| !rules[p].verified).collect();
    let chosen: Vec<f64> = unverified.iter().map(|&p| vars[p]).collect();
    let start: Vec<usize> = chosen.iter().map(|&s| start_rule(s)).collect();
    let mut series = compute_points(act, &chosen, &start).into_iter();
    let mut norms: Vec<[f64; 2]> = rules.iter().map(|r| r.norm2).collect();
    for p in unverified {
        norms[p] = series.next().expect("one series per unverified point").point.norm2;
    }
    norms
}

/// A layer's points: outer rules, the series of the points that need one, the diagonal.
fn layer_points<A: SmoothActivation + Sync>(
    act: &A,
    bounds: &DerivativeBounds,
    (var1, var2): (&[f64], &[f64]),
    cov: &DMatrix<f64>,
    symmetric: bool,
) -> (LayerPoints, Option<LayerPoints>) {
    let rules1 = outer_rules(act, var1);
    let rules2 = if symmetric { Vec::new() } else { outer_rules(act, var2) };
    let (r2, v2) = if symmetric { (&rules1, var1) } else { (&rules2, var2) };
    // For the decision only: the rule's norms (the series' where the rule is not verified
    // differ by its error, far below what moves the decision).
    let n1: Vec<[f64; 2]> = rules1.iter().map(|r| r.norm2).collect();
    let n2: Vec<[f64; 2]> = r2.iter().map(|r| r.norm2).collect();
    let (need1, need2) = needs_series(bounds, (&rules1, &n1), (r2, &n2), cov, symmetric);
    let cols = if symmetric { None } else { Some(LayerPoints::new(act, v2, rules2, &need2)) };
    (LayerPoints::new(act, var1, rules1, &need1), cols)
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
    let bounds = act.derivative_bounds();
    let mut stats = Vec::with_capacity(depth);
    let record = Layers { depth, sw2, sb2 }.try_fold(KernelRecord::input(x1, x2), |layer, mut rec| {
        let symmetric = rec.symmetric;
        let (rows, cols_owned) = layer_points(act, &bounds, (&rec.var1, &rec.var2), &rec.nngp, symmetric);
        let cols = cols_owned.as_ref().unwrap_or(&rows);
        for set in [&rows, cols] {
            for (p, norms) in set.norms.iter().enumerate() {
                if let Some(v) = first_non_finite(norms) {
                    return Err(KernelError::Divergent { layer: layer + 1, var: set.rules[p].var, value: v });
                }
            }
        }
        let mut layer_stats = nonlinearity(act, &bounds, &mut rec.nngp, &mut rec.ntk, &rows, cols, symmetric);
        layer_stats.series_points = [&rows, cols]
            .iter()
            .take(if symmetric { 1 } else { 2 })
            .map(|set| set.series.points.iter().filter(|p| !p.is_placeholder()).count())
            .sum();
        stats.push(layer_stats);
        // The points' variances after the nonlinearity, T on the diagonal.
        rec.var1 = rows.norms.iter().map(|n| n[0]).collect();
        rec.var2 = if symmetric { rec.var1.clone() } else { cols.norms.iter().map(|n| n[0]).collect() };
        Ok(rec)
    })?;
    Ok((record.finish(), stats))
}

/// The diagonals `K(x, x)`, `Θ(x, x)` of the points with input variances `|x|²/d`, by the
/// one-point recursion with the diagonal norms of `LayerPoints` (the same numbers as the
/// diagonal of [`smooth_kernels`]).
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
    let input: Vec<Entry> = input_var.iter().map(|&v| Entry::input(v)).collect();
    let diagonal = Layers { depth, sw2, sb2 }.try_fold(input, |layer, entries| {
        // On the diagonal each entry's K is its point's variance.
        let var: Vec<f64> = entries.iter().map(|e| e.nngp).collect();
        let rules = outer_rules(act, &var);
        let norms = diagonal_norms(act, &var, &rules);
        entries
            .iter()
            .zip(&norms)
            .enumerate()
            .map(|(i, (e, n))| match first_non_finite(n) {
                Some(v) => Err(KernelError::Divergent { layer: layer + 1, var: var[i], value: v }),
                None => Ok(e.nonlinearity(TPair { t: n[0], t_dot: n[1] })),
            })
            .collect()
    })?;
    Ok(diagonal.iter().map(|e| (e.nngp, e.ntk)).unzip())
}

/// The kernel maps of a smooth activation pair by pair, by the same rules as
/// [`smooth_kernels`]: Mehler series where its bound holds, the near-diagonal rule where
/// its bound holds, the series after recomputing the point with the smaller rule at the
/// other's, the complementary form, the adaptive fallback. For the layered API
/// ([`crate::theory::kernels::kernels_with_map`]) and for tests.
#[derive(Clone, Debug)]
pub struct SmoothMap<A> {
    act: A,
    bounds: DerivativeBounds,
}

impl<A: SmoothActivation + Sync> SmoothMap<A> {
    /// The map of `act`.
    pub fn new(act: A) -> Self {
        let bounds = act.derivative_bounds();
        SmoothMap { act, bounds }
    }
}

/// A point of [`SmoothMap`]: its series, its outer rule and the kernel's diagonal there.
#[derive(Clone, Debug)]
pub struct SmoothPoint {
    /// the Hermite series
    pub series: PointSeries,
    /// the near-diagonal rule's outer rule
    pub rule: OuterRule,
    /// `[E φ², E φ'²]` as the engine has them (`LayerPoints::norms`)
    pub norms: [f64; 2],
}

fn series_point<A: SmoothActivation + Sync>(act: &A, var: f64, rule: usize) -> PointSeries {
    compute_points(act, &[var.max(0.0)], &[rule]).pop().expect("one point")
}

impl<A: SmoothActivation + Sync> KernelMap for SmoothMap<A> {
    type Point = SmoothPoint;

    fn prepare(&self, var: f64) -> SmoothPoint {
        let var = if var.is_finite() { var.max(0.0) } else { var };
        let series = series_point(&self.act, var, start_rule(var));
        let rule = OuterRule::new(&self.act, var.max(0.0));
        let norms = if rule.verified { rule.norm2 } else { series.point.norm2 };
        SmoothPoint { series, rule, norms }
    }

    fn diag(&self, p: &SmoothPoint) -> TPair {
        TPair { t: p.norms[0], t_dot: p.norms[1] }
    }

    fn pair(&self, p: &SmoothPoint, q: &SmoothPoint, cov: f64) -> TPair {
        let (pp, qp) = (&p.series.point, &q.series.point);
        let rho = correlation(pp.var, qp.var, cov);
        if rho == 1.0 && pp.var == qp.var {
            return self.diag(p);
        }
        let near_one = 1.0 - rho.abs() <= NEAR_ONE;
        let tol = if near_one { CONSISTENT_TOL } else { SERIES_TOL };
        if let Some(terms) = terms_for_tolerance(pp, qp, rho, tol) {
            let (fp, fq) = (factor(p.norms, pp.norm2), factor(q.norms, qp.norm2));
            let (t, t_dot) = series_pair(p.series.view().coef, q.series.view().coef, rho, terms);
            return TPair { t: t * fp[0] * fq[0], t_dot: t_dot * fp[1] * fq[1] };
        }
        let near = near_diagonal_pair(&self.act, &self.bounds, (&p.rule, p.norms), (&q.rule, q.norms), cov);
        if let Some(((t, t_dot), _)) = near {
            return TPair { t, t_dot };
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
            Some((s, true)) => (s.view(), q.series.view()),
            Some((s, false)) => (p.series.view(), s.view()),
            None => (p.series.view(), q.series.view()),
        };
        let ((t, t_dot), _) = pair_beyond_the_block(&self.act, (a, p.norms), (b, q.norms), cov);
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
