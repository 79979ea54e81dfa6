//! The kernel maps of a smooth activation as Mehler series with a per-pair error bound.
//!
//! With the orthonormal (probabilists') Hermite polynomials `h_k` and standardized
//! `u = √s₁ z₁`, `v = √s₂ z₂`, `corr(z₁, z₂) = ρ`, Mehler's formula gives
//!
//! ```text
//! T(s₁, s₂, ρ) = E[φ(u)φ(v)] = Σ_k a_k(s₁) a_k(s₂) ρ^k,    a_k(s) = E[φ(√s z) h_k(z)]
//! ```
//!
//! (and likewise `Ṫ` with the coefficients `d_k(s)` of φ'). The coefficients depend on one
//! point only, so they are computed once per point and layer, and a pair costs one Horner
//! sum. Truncated after K terms, the remainder is bounded by Cauchy–Schwarz:
//!
//! ```text
//! |Σ_{k≥K} a_k b_k ρ^k| ≤ |ρ|^K √(τ_a(K) τ_b(K)),    τ(K) = E[φ(√s z)²] − Σ_{k<K} a_k²,
//! ```
//!
//! with the tails τ known exactly from Parseval. Each pair takes the fewest terms (a multiple
//! of [`CHECKPOINT`]) whose bound is below [`SERIES_TOL`] of the Cauchy–Schwarz scale
//! `√(E φ(u)² E φ(v)²)`; where no number of terms available suffices — large variances with
//! `|ρ|` near 1 — the pair is reported as not converged and computed otherwise.
//!
//! The coefficients come from an n-point Gauss–Hermite rule, n from [`ORDERS`] (growing with
//! the variance, raised until the function is resolved), as `a_k = Σᵢ (√wᵢ h_k(zᵢ))
//! (√wᵢ φ(√s zᵢ))` — one matrix product for all the points of a rule, with both factors
//! bounded so that nothing overflows. Only `K = 3n/4` coefficients are kept: the rule's
//! aliasing error on `a_k` comes from the modes `j ≥ 2n − k > K`, i.e. from beyond the kept
//! ones. A point is *resolved* when its tail after K terms is below [`RESOLVED_TOL`] of its
//! norm (then the series is exact to the bound at every ρ); *usable* when below
//! the series tolerance for some |ρ| < 1 (the series then serves the pairs whose `|ρ|^K` is small enough); beyond
//! that the rule cannot see the function (variance too large for 600 nodes) and every pair of
//! the point goes elsewhere.

use std::sync::OnceLock;

use nalgebra::DMatrix;

use crate::theory::adaptive;
use crate::theory::kernel_maps::SmoothActivation;
use crate::theory::lane_math::{Lanes, LANES};
use crate::theory::parallel::map_indices;
use crate::theory::quadrature::{order_index, rule, GaussHermite, ORDERS};

/// Terms are chosen in steps of this many (the tails are stored at these checkpoints).
pub const CHECKPOINT: usize = 8;

/// Largest truncation error accepted for a pair, relative to the Cauchy–Schwarz scale.
pub const SERIES_TOL: f64 = 1e-12;

/// A point is resolved when `τ(K) ≤ RESOLVED_TOL · E[φ²]` (for φ and φ'). The rule's
/// aliasing error on the kept coefficients comes from the modes `j ≥ 2n − K = 5n/4`, whose
/// energy `τ(5n/4)` is far below `τ(3n/4)`; its effect on a pair is at most of order
/// `√(τ(K) τ(5n/4))`, below the series tolerance when `τ(K)` is.
pub const RESOLVED_TOL: f64 = 1e-10;

/// The number of coefficients kept from an n-point rule: `3n/4` rounded down to a checkpoint.
pub fn terms_for_order(n: usize) -> usize {
    (3 * n / 4) / CHECKPOINT * CHECKPOINT
}

/// A rule with the matrix `H[k, i] = √wᵢ h_k(zᵢ)` (k < [`terms_for_order`]) and `√wᵢ`.
struct HermiteTable {
    rule: &'static GaussHermite,
    sqrt_w: Vec<f64>,
    h: DMatrix<f64>,
}

fn table(index: usize) -> &'static HermiteTable {
    static TABLES: [OnceLock<HermiteTable>; ORDERS.len()] = [const { OnceLock::new() }; ORDERS.len()];
    let index = index.min(ORDERS.len() - 1);
    TABLES[index].get_or_init(|| {
        let rule = rule(index);
        let n = rule.nodes.len();
        let terms = terms_for_order(n);
        let sqrt_w: Vec<f64> = rule.weights.iter().map(|w| w.sqrt()).collect();
        let mut h = DMatrix::zeros(terms, n);
        for (i, (&z, &sw)) in rule.nodes.iter().zip(&sqrt_w).enumerate() {
            // √w h_0 = √w, √w h_{k+1} = (z √w h_k − √k √w h_{k−1}) / √(k+1): the recurrence
            // is linear, so starting from √w keeps every value bounded (≈ Hermite functions).
            let (mut prev, mut cur) = (0.0, sw);
            for k in 0..terms {
                h[(k, i)] = cur;
                let kf = k as f64;
                let next = (z * cur - kf.sqrt() * prev) / (kf + 1.0).sqrt();
                prev = cur;
                cur = next;
            }
        }
        HermiteTable { rule, sqrt_w, h }
    })
}

/// What the series keeps about one point at one layer.
#[derive(Clone, Debug)]
pub struct SeriesPoint {
    /// the variance s
    pub var: f64,
    /// coefficients kept (a multiple of [`CHECKPOINT`]; 0 if unusable)
    pub terms: usize,
    /// `E[φ(√s z)²]`, `E[φ'(√s z)²]` (the kernel's diagonal `T(s, s, s)`, `Ṫ(s, s, s)`)
    pub norm2: [f64; 2],
    /// `tails[w][c] = τ_w(CHECKPOINT·(c+1))` for φ (w = 0) and φ' (w = 1)
    pub tails: [Vec<f64>; 2],
    /// `√(max_w τ_w(CHECKPOINT·(c+1)) / E[φ_w²])` (0 where a map vanishes identically): the
    /// pair test in [`terms_needed`] is then one multiplication per checkpoint
    pub rel_tails: Vec<f64>,
    /// the rule resolves φ and φ' to [`RESOLVED_TOL`]
    pub resolved: bool,
    /// index into [`ORDERS`] of the rule the coefficients come from
    pub rule: usize,
}

impl SeriesPoint {
    /// Whether this point's series was not computed ([`PointSeries::placeholder`]).
    pub fn is_placeholder(&self) -> bool {
        self.rule == usize::MAX && self.terms == 0 && self.norm2[0].is_nan()
    }
}

/// The series data of a set of points: per-point summaries and the coefficient matrices.
#[derive(Clone, Debug)]
pub struct SeriesSet {
    /// per point
    pub points: Vec<SeriesPoint>,
    /// the largest `terms` over the points
    pub max_terms: usize,
    /// `coef[w][(k, p)]`: coefficient k of point p (zero beyond the point's `terms`)
    pub coef: [DMatrix<f64>; 2],
    /// per point, [`PointSeries::values`]
    pub values: Vec<[Vec<f64>; 2]>,
}

/// The rule, coefficients and norms of the points `group` (all at rule `index`).
fn project<A: SmoothActivation + Sync>(act: &A, vars: &[f64], index: usize) -> (DMatrix<f64>, DMatrix<f64>) {
    let t = table(index);
    let n = t.rule.nodes.len();
    let mut values = DMatrix::zeros(n, vars.len());
    let mut derivs = DMatrix::zeros(n, vars.len());
    let mut xs = vec![0.0; n];
    for (p, &s) in vars.iter().enumerate() {
        let sd = s.max(0.0).sqrt();
        for (x, z) in xs.iter_mut().zip(&t.rule.nodes) {
            *x = sd * z;
        }
        let (mut col, mut dcol) = (values.column_mut(p), derivs.column_mut(p));
        act.values_and_derivatives(&xs, col.as_mut_slice(), dcol.as_mut_slice());
        for ((v, d), w) in col.iter_mut().zip(dcol.iter_mut()).zip(&t.sqrt_w) {
            *v *= w;
            *d *= w;
        }
    }
    (values, derivs)
}

/// Column q of a column-major matrix as a slice.
fn column(m: &DMatrix<f64>, q: usize) -> &[f64] {
    let rows = m.nrows();
    &m.as_slice()[q * rows..(q + 1) * rows]
}

/// Per-point summary from the weighted values (`√w φ`, columns) and their coefficients.
fn summarize(var: f64, values: [&[f64]; 2], coefs: [&[f64]; 2]) -> SeriesPoint {
    let terms = coefs[0].len();
    let mut norm2 = [0.0; 2];
    let mut tails: [Vec<f64>; 2] = [vec![0.0; terms / CHECKPOINT], vec![0.0; terms / CHECKPOINT]];
    let mut resolved = true;
    for w in 0..2 {
        // Discrete Parseval: E φ² = Σᵢ wᵢ φ(zᵢ)² = Σ_{k<n} a_k² (rule's own coefficients).
        let norm: f64 = values[w].iter().map(|v| v * v).sum();
        let kept: f64 = coefs[w].iter().map(|a| a * a).sum();
        let tail_k = (norm - kept).max(0.0);
        // Tails from the top, so that only τ(K) carries the cancellation of norm − kept.
        let mut tail = tail_k;
        for c in (0..terms / CHECKPOINT).rev() {
            tails[w][c] = tail;
            tail += coefs[w][c * CHECKPOINT..(c + 1) * CHECKPOINT].iter().map(|a| a * a).sum::<f64>();
        }
        norm2[w] = norm;
        resolved &= tail_k <= RESOLVED_TOL * norm;
    }
    let rel_tails = rel_tails(&tails, norm2);
    SeriesPoint { var, terms, norm2, tails, rel_tails, resolved, rule: 0 }
}

fn rel_tails(tails: &[Vec<f64>; 2], norm2: [f64; 2]) -> Vec<f64> {
    (0..tails[0].len())
        .map(|c| {
            (0..2).filter(|&w| norm2[w] > 0.0).map(|w| tails[w][c] / norm2[w]).fold(0.0, f64::max).sqrt()
        })
        .collect()
}

/// One point's series: summary, coefficients `[φ, φ']` (`point.terms` each) and, for a
/// Gauss–Hermite rule, the weighted values `√wᵢ φ(√s zᵢ)`, `√wᵢ φ'(√s zᵢ)` on its nodes (for
/// [`complementary_pair`]; empty for [`adapted_series`]).
#[derive(Clone, Debug)]
pub struct PointSeries {
    /// summary
    pub point: SeriesPoint,
    /// coefficients
    pub coef: [Vec<f64>; 2],
    /// weighted values on the rule's nodes
    pub values: [Vec<f64>; 2],
}

/// A borrowed [`PointSeries`].
#[derive(Clone, Copy, Debug)]
pub struct PointView<'a> {
    /// summary
    pub point: &'a SeriesPoint,
    /// coefficients (`point.terms` each)
    pub coef: [&'a [f64]; 2],
    /// weighted values on the rule's nodes
    pub values: [&'a [f64]; 2],
}

/// The rule a point's series starts from: a quarter of tanh's calibrated order for its
/// variance (softplus and sigmoid need far fewer nodes; [`compute_points`] goes up from there).
pub fn start_rule(var: f64) -> usize {
    order_index(0.25 * var.max(0.0))
}

impl PointSeries {
    /// A point without a series (not computed): no terms, not resolved, no rule, no norms.
    pub fn placeholder(var: f64) -> Self {
        let point = SeriesPoint {
            var,
            terms: 0,
            norm2: [f64::NAN; 2],
            tails: [Vec::new(), Vec::new()],
            rel_tails: Vec::new(),
            resolved: false,
            rule: usize::MAX,
        };
        PointSeries { point, coef: [Vec::new(), Vec::new()], values: [Vec::new(), Vec::new()] }
    }

    /// This point as a view.
    pub fn view(&self) -> PointView<'_> {
        let k = self.point.terms;
        PointView {
            point: &self.point,
            coef: [&self.coef[0][..k], &self.coef[1][..k]],
            values: [&self.values[0], &self.values[1]],
        }
    }
}

/// The series of points of variances `vars`, point p starting at rule `start[p]` of
/// [`ORDERS`] and going up two rungs at a time until its tails are below the series
/// tolerance (or the largest rule is reached: kept if resolved, else replaced by
/// [`adapted_series`]).
pub fn compute_points<A: SmoothActivation + Sync>(
    act: &A,
    vars: &[f64],
    start: &[usize],
) -> Vec<PointSeries> {
    let n_points = vars.len();
    let mut index: Vec<usize> = start.iter().map(|&r| r.min(ORDERS.len() - 1)).collect();
    let mut done: Vec<Option<PointSeries>> = vec![None; n_points];
    let mut pending: Vec<usize> = (0..n_points).collect();
    while !pending.is_empty() {
        // Group the pending points by rule; each group is one matrix product per map, split
        // into chunks that run in parallel.
        const CHUNK: usize = 32;
        let mut by_rule: Vec<Vec<usize>> = vec![Vec::new(); ORDERS.len()];
        for &p in &pending {
            by_rule[index[p]].push(p);
        }
        let jobs: Vec<(usize, &[usize])> = by_rule
            .iter()
            .enumerate()
            .flat_map(|(r, members)| members.chunks(CHUNK).map(move |chunk| (r, chunk)))
            .collect();
        let results = map_indices(jobs.len(), |j| {
            let (r, members) = jobs[j];
            let chunk_vars: Vec<f64> = members.iter().map(|&p| vars[p].max(0.0)).collect();
            let (values, derivs) = project(act, &chunk_vars, r);
            let h = &table(r).h;
            let (a, d) = (h * &values, h * &derivs);
            members
                .iter()
                .enumerate()
                .map(|(q, &p)| {
                    let v = [column(&values, q), column(&derivs, q)];
                    let c = [column(&a, q), column(&d, q)];
                    let mut point = summarize(chunk_vars[q], v, c);
                    point.rule = r;
                    let series =
                        PointSeries { point, coef: c.map(<[f64]>::to_vec), values: v.map(<[f64]>::to_vec) };
                    (p, series)
                })
                .collect::<Vec<_>>()
        });
        let mut next = Vec::new();
        for (p, series) in results.into_iter().flatten() {
            // Aim for tails below the series tolerance (so that even ρ = ±1 is served); at
            // the largest rule settle for resolved.
            let converged = series.point.rel_tails.last().is_some_and(|&e| e * e <= 0.25 * SERIES_TOL);
            if converged || index[p] + 1 >= ORDERS.len() {
                done[p] = Some(series);
            } else {
                index[p] = (index[p] + 2).min(ORDERS.len() - 1);
                next.push(p);
            }
        }
        pending = next;
    }
    let mut points: Vec<PointSeries> =
        done.into_iter().map(|d| d.expect("every point is finished")).collect();
    // Points the largest rule does not resolve: coefficients and norms from a rule adapted
    // to φ instead.
    let fixes = map_indices(n_points, |p| {
        (!points[p].point.resolved).then(|| adapted_series(act, points[p].point.var))
    });
    for (point, fix) in points.iter_mut().zip(fixes) {
        if let Some(series) = fix {
            *point = series;
        }
    }
    points
}

/// `a_k = Σ_j w_j φ_j h_k(z_j)`, `d_k = Σ_j w_j φ'_j h_k(z_j)` for k < `terms`, with
/// `h_{k+1}(z) = (z h_k − √k h_{k−1})/√(k+1)` ([`LANES`] nodes at a time, the factors
/// `√k`, `1/√(k+1)` computed once).
fn project_on_nodes(zs: &[f64], ws: &[f64], values: &[Vec<f64>; 2], terms: usize) -> [Vec<f64>; 2] {
    let root: Vec<f64> = (0..terms).map(|k| (k as f64).sqrt()).collect();
    let inv_next: Vec<f64> = (0..terms).map(|k| 1.0 / ((k + 1) as f64).sqrt()).collect();
    let mut coef = [vec![0.0; terms], vec![0.0; terms]];
    for j0 in (0..zs.len()).step_by(LANES) {
        let len = LANES.min(zs.len() - j0);
        let (mut z, mut f, mut g) = ([0.0; LANES], [0.0; LANES], [0.0; LANES]);
        for r in 0..len {
            z[r] = zs[j0 + r];
            f[r] = ws[j0 + r] * values[0][j0 + r];
            g[r] = ws[j0 + r] * values[1][j0 + r];
        }
        let (mut prev, mut cur) = ([0.0; LANES], [1.0; LANES]);
        for k in 0..terms {
            let (mut a, mut d) = (0.0, 0.0);
            for r in 0..LANES {
                a += f[r] * cur[r];
                d += g[r] * cur[r];
                let next = (z[r] * cur[r] - root[k] * prev[r]) * inv_next[k];
                prev[r] = cur[r];
                cur[r] = next;
            }
            coef[0][k] += a;
            coef[1][k] += d;
        }
    }
    coef
}

/// Coefficients kept for points the Gauss–Hermite rules do not resolve.
pub const ADAPTED_TERMS: usize = 256;

/// [`ADAPTED_TERMS`] Hermite coefficients of φ and φ' at variance `var` and their norms, by
/// the rule [`adaptive::adapted_rule`] (pieces at most 0.25 standard units wide: `h_k`,
/// k < 256, oscillates like `cos(√(2k) z)`, less than one period per piece, which the 15-node
/// Kronrod rule integrates to rounding). Accurate to ≈ 1e-13 of the norm at any variance;
/// the tails follow from the norms.
pub fn adapted_series<A: SmoothActivation>(act: &A, var: f64) -> PointSeries {
    let sd = var.max(0.0).sqrt();
    let terms = ADAPTED_TERMS;
    let mut f = |xs: &[f64], out: &mut [f64]| act.values(xs, out);
    let mut g = |xs: &[f64], out: &mut [f64]| act.derivatives(xs, out);
    let (xs, ws) = adaptive::adapted_rule(sd, &mut [&mut f, &mut g], adaptive::REFERENCE, 0.25);
    let mut values = [vec![0.0; xs.len()], vec![0.0; xs.len()]];
    act.values(&xs, &mut values[0]);
    act.derivatives(&xs, &mut values[1]);
    let zs: Vec<f64> = xs.iter().map(|&x| if sd > 0.0 { x / sd } else { 0.0 }).collect();
    let coef = project_on_nodes(&zs, &ws, &values, terms);
    // The norms E φ² = Σ wᵢ φ(xᵢ)², through the weighted values √wᵢ φ(xᵢ).
    let weighted = values.map(|v| v.iter().zip(&ws).map(|(v, w)| v * w.sqrt()).collect::<Vec<f64>>());
    let mut point = summarize(var, [&weighted[0], &weighted[1]], [&coef[0], &coef[1]]);
    point.resolved = false;
    point.rule = usize::MAX;
    PointSeries { point, coef, values: [Vec::new(), Vec::new()] }
}

impl SeriesSet {
    /// The series data of points of variances `vars` (≥ 0), each at the smallest rule that
    /// resolves φ and φ', starting from a quarter of tanh's calibrated order (softplus and
    /// sigmoid need far fewer nodes) — see [`compute_points`].
    pub fn new<A: SmoothActivation + Sync>(act: &A, vars: &[f64]) -> SeriesSet {
        Self::some(act, vars, &vec![true; vars.len()])
    }

    /// As [`SeriesSet::new`] for the points with `wanted[p]`; the others get a
    /// [`PointSeries::placeholder`] (no terms: every pair of theirs goes elsewhere).
    pub fn some<A: SmoothActivation + Sync>(act: &A, vars: &[f64], wanted: &[bool]) -> SeriesSet {
        let which: Vec<usize> = (0..vars.len()).filter(|&p| wanted[p]).collect();
        let chosen: Vec<f64> = which.iter().map(|&p| vars[p]).collect();
        let start: Vec<usize> = chosen.iter().map(|&s| start_rule(s)).collect();
        let mut computed = compute_points(act, &chosen, &start).into_iter();
        let mut series: Vec<PointSeries> = vars.iter().map(|&v| PointSeries::placeholder(v)).collect();
        for &p in &which {
            series[p] = computed.next().expect("one series per wanted point");
        }
        let max_terms = series.iter().map(|p| p.point.terms).max().unwrap_or(0);
        let mut coef = [DMatrix::zeros(max_terms, vars.len()), DMatrix::zeros(max_terms, vars.len())];
        for (p, s) in series.iter().enumerate() {
            for (matrix, c) in coef.iter_mut().zip(&s.coef) {
                matrix.column_mut(p).as_mut_slice()[..s.point.terms].copy_from_slice(&c[..s.point.terms]);
            }
        }
        let (points, values) = series.into_iter().map(|s| (s.point, s.values)).unzip();
        SeriesSet { points, max_terms, coef, values }
    }

    /// Point p as a view.
    pub fn view(&self, p: usize) -> PointView<'_> {
        let (k, rows) = (self.points[p].terms, self.max_terms);
        let start = p * rows;
        PointView {
            point: &self.points[p],
            coef: [&self.coef[0].as_slice()[start..start + k], &self.coef[1].as_slice()[start..start + k]],
            values: [&self.values[p][0], &self.values[p][1]],
        }
    }
}

/// The number of terms (a multiple of [`CHECKPOINT`]) after which both series of the pair
/// `(p, q)` at correlation `ρ` are within [`SERIES_TOL`] of their scales, or `None`.
///
/// With `E(c) = √(max_w τ_w/E φ_w²)` per point, the test `|ρ|^k E_p(c) E_q(c) ≤ SERIES_TOL`,
/// k = CHECKPOINT·(c+1), implies `|ρ|^k √(τ_p τ_q) ≤ SERIES_TOL √(E φ_p² E φ_q²)` for both
/// φ and φ' (it may ask for a few terms more than needed, never fewer).
pub fn terms_needed(p: &SeriesPoint, q: &SeriesPoint, rho: f64) -> Option<usize> {
    terms_for_tolerance(p, q, rho, SERIES_TOL)
}

/// As [`terms_needed`] for a tolerance `tol` of the scale.
pub fn terms_for_tolerance(p: &SeriesPoint, q: &SeriesPoint, rho: f64, tol: f64) -> Option<usize> {
    let available = p.terms.min(q.terms) / CHECKPOINT;
    let step = rho.abs().powi(CHECKPOINT as i32);
    let mut power = 1.0;
    for c in 0..available {
        power *= step;
        if power * p.rel_tails[c] * q.rel_tails[c] <= tol {
            return Some((c + 1) * CHECKPOINT);
        }
    }
    None
}

/// `(Σ_{k<terms} a_k b_k ρ^k, Σ_{k<terms} d_k e_k ρ^k)` for one pair (Horner's rule).
pub fn series_pair(p: [&[f64]; 2], q: [&[f64]; 2], rho: f64, terms: usize) -> (f64, f64) {
    let mut out = [0.0; 2];
    for w in 0..2 {
        out[w] = (0..terms).rev().fold(0.0, |acc, k| acc * rho + p[w][k] * q[w][k]);
    }
    (out[0], out[1])
}

/// Near `ρ = ±1` the truncated series loses `Σ_{k≥K} a_k b_k ρ^k`, nearly the whole tail.
/// The complementary form starts from the full sum at `|ρ| = 1`,
/// `D = E[φ(√s₁ z) φ(±√s₂ z)] = Σ_k a_k b_k (±1)^k` (one sum over the common rule's nodes),
/// and subtracts the series of the difference:
///
/// ```text
/// T = D − Σ_{k<K} a_k b_k (±1)^k (1 − |ρ|^k),   error ≤ (1 − |ρ|^K) √(τ_a(K) τ_b(K)),
/// ```
///
/// which vanishes as `|ρ| → 1`: nearly identical points get nearly the diagonal's value, to
/// rounding (the rule computes D for identical points exactly as it computes the norm). For
/// two resolved points of the same rule; `None` otherwise or if the bound is not met.
pub fn complementary_pair(p: PointView, q: PointView, rho: f64) -> Option<(f64, f64)> {
    let (pp, qp) = (p.point, q.point);
    if !(pp.resolved && qp.resolved && pp.rule == qp.rule && pp.rule < ORDERS.len()) {
        return None;
    }
    let terms = pp.terms.min(qp.terms);
    let c = terms / CHECKPOINT;
    if c == 0 {
        return None;
    }
    // m_k = 1 − |ρ|^k by m_{k+1} = m_k + (1 − m_k)(1 − |ρ|): relative accuracy ≈ kε as
    // |ρ| → 1 (1 − |ρ| is exact for |ρ| ≥ 1/2). The bound first, from m_K.
    let delta = 1.0 - rho.abs();
    let miss_terms = -(terms as f64 * (-delta).ln_1p()).exp_m1();
    if miss_terms * pp.rel_tails[c - 1] * qp.rel_tails[c - 1] > SERIES_TOL {
        return None;
    }
    let mut out = [0.0; 2];
    for (w, o) in out.iter_mut().enumerate() {
        let (x, y) = (p.values[w], q.values[w]);
        let n = x.len();
        // φ(−√s₂ zᵢ) = φ(√s₂ z_{n−1−i}): the rule is symmetric.
        let d: f64 = if rho >= 0.0 {
            x.iter().zip(y).map(|(u, v)| u * v).sum()
        } else {
            (0..n).map(|i| x[i] * y[n - 1 - i]).sum()
        };
        let (mut miss, mut lost) = (0.0, 0.0);
        for k in 0..terms {
            let sign = if rho < 0.0 && k % 2 == 1 { -1.0 } else { 1.0 };
            lost += p.coef[w][k] * q.coef[w][k] * sign * miss;
            miss += (1.0 - miss) * delta;
        }
        *o = d - lost;
    }
    Some((out[0], out[1]))
}

/// The row side of the pair loop: each block of [`LANES`] rows has its coefficients stored
/// together, term-major (`coef[w][(block · terms + k) · LANES + r]`), so that a block's Horner
/// sum reads one contiguous stretch.
pub struct RowCoefficients {
    /// terms stored per row
    pub terms: usize,
    /// `[φ, φ']` coefficients
    pub coef: [Vec<f64>; 2],
    /// the rows' [`SeriesPoint::rel_tails`], `(block · checkpoints + c) · LANES + r`, +∞ past
    /// a row's own terms
    pub rel_tails: Vec<f64>,
    /// nodes of the largest rule among the rows
    pub nodes: usize,
    /// the rows' weighted values [`PointSeries::values`], `(block · nodes + i) · LANES + r`
    pub values: [Vec<f64>; 2],
    /// per row: its rule if resolved by a Gauss–Hermite rule, else `usize::MAX`
    pub rule: Vec<usize>,
    /// per row: its number of terms
    pub terms_of: Vec<usize>,
}

impl RowCoefficients {
    /// The blocked layout of a set's coefficients (rows padded with zeros to whole blocks).
    pub fn new(set: &SeriesSet) -> Self {
        let n = set.points.len();
        let blocks = n.div_ceil(LANES);
        let terms = set.max_terms;
        let mut coef = [vec![0.0; blocks * terms * LANES], vec![0.0; blocks * terms * LANES]];
        for (blocked, matrix) in coef.iter_mut().zip(&set.coef) {
            for p in 0..n {
                let (b, r) = (p / LANES, p % LANES);
                for (k, &a) in matrix.column(p).iter().enumerate() {
                    blocked[(b * terms + k) * LANES + r] = a;
                }
            }
        }
        let checkpoints = terms / CHECKPOINT;
        let mut rel_tails = vec![f64::INFINITY; blocks * checkpoints * LANES];
        for (p, point) in set.points.iter().enumerate() {
            let (b, r) = (p / LANES, p % LANES);
            for (c, &e) in point.rel_tails.iter().enumerate() {
                rel_tails[(b * checkpoints + c) * LANES + r] = e;
            }
        }
        let nodes = set.values.iter().map(|v| v[0].len()).max().unwrap_or(0);
        let mut values = [vec![0.0; blocks * nodes * LANES], vec![0.0; blocks * nodes * LANES]];
        for (p, v) in set.values.iter().enumerate() {
            let (b, r) = (p / LANES, p % LANES);
            for w in 0..2 {
                for (i, &x) in v[w].iter().enumerate() {
                    values[w][(b * nodes + i) * LANES + r] = x;
                }
            }
        }
        let rule = set
            .points
            .iter()
            .map(|p| if p.resolved && p.rule < ORDERS.len() { p.rule } else { usize::MAX })
            .collect();
        let terms_of = set.points.iter().map(|p| p.terms).collect();
        RowCoefficients { terms, coef, rel_tails, nodes, values, rule, terms_of }
    }

    /// The complementary form ([`complementary_pair`]) for the lanes in `want` of the rows from
    /// `i0` against `col` — written as `T = S(ρ) + (D − S(±1))` with S the series to
    /// `K = min(terms)` terms, i.e. the series plus its discrete tail at `|ρ| = 1` — and which
    /// lanes it serves: same resolved rule as the column, and its bound
    /// `(1 − |ρ|^K) E_p E_q ≤ tol`.
    pub fn complementary_block(
        &self,
        i0: usize,
        col: PointView,
        rho: &Lanes,
        want: [bool; LANES],
        tol: f64,
    ) -> (Lanes, Lanes, [bool; LANES]) {
        let mut ok = [false; LANES];
        let cp = col.point;
        let col_rule = if cp.resolved && cp.rule < ORDERS.len() {
            cp.rule
        } else {
            return ([0.0; LANES], [0.0; LANES], ok);
        };
        let mut terms = 0;
        for r in 0..LANES {
            let p = i0 + r;
            if !want[r] || p >= self.rule.len() || self.rule[p] != col_rule {
                continue;
            }
            let k = self.terms_of[p].min(cp.terms);
            let c = k / CHECKPOINT;
            if c == 0 {
                continue;
            }
            let row_tail = self.rel_tails[((i0 / LANES) * (self.terms / CHECKPOINT) + c - 1) * LANES + r];
            let miss = -(k as f64 * (-(1.0 - rho[r].abs())).ln_1p()).exp_m1();
            if miss * row_tail * cp.rel_tails[c - 1] <= tol {
                ok[r] = true;
                terms = terms.max(k);
            }
        }
        if !ok.iter().any(|&o| o) {
            return ([0.0; LANES], [0.0; LANES], ok);
        }
        let mut sign = [1.0; LANES];
        for r in 0..LANES {
            sign[r] = if rho[r] < 0.0 { -1.0 } else { 1.0 };
        }
        let (s_rho, d_rho) = self.horner(i0, col.coef, rho, terms);
        let (s_one, d_one) = self.horner(i0, col.coef, &sign, terms);
        let n = col.values[0].len();
        let base = (i0 / LANES) * self.nodes * LANES;
        let (mut dt, mut dd) = ([0.0; LANES], [0.0; LANES]);
        for i in 0..n {
            let a: &Lanes = self.values[0][base + i * LANES..][..LANES].try_into().expect("whole block");
            let b: &Lanes = self.values[1][base + i * LANES..][..LANES].try_into().expect("whole block");
            // φ(−√s₂ zᵢ) = φ(√s₂ z_{n−1−i}): the rule is symmetric.
            let (up, down) =
                ((col.values[0][i], col.values[1][i]), (col.values[0][n - 1 - i], col.values[1][n - 1 - i]));
            for r in 0..LANES {
                let (v, e) = if rho[r] < 0.0 { down } else { up };
                dt[r] += a[r] * v;
                dd[r] += b[r] * e;
            }
        }
        let (mut t, mut t_dot) = ([0.0; LANES], [0.0; LANES]);
        for r in 0..LANES {
            t[r] = s_rho[r] + (dt[r] - s_one[r]);
            t_dot[r] = d_rho[r] + (dd[r] - d_one[r]);
        }
        (t, t_dot, ok)
    }

    /// For the [`LANES`] rows from `i0` against the column point `col` at correlations `rho`:
    /// the terms that serve every lane in `ok` ([`terms_needed`]'s test, lane by lane), and
    /// which lanes cannot be served by any available number of terms.
    pub fn block_terms(&self, i0: usize, col: &SeriesPoint, rho: &Lanes) -> (usize, [bool; LANES]) {
        let checkpoints = (self.terms / CHECKPOINT).min(col.rel_tails.len());
        let base = (i0 / LANES) * (self.terms / CHECKPOINT) * LANES;
        let mut step = [0.0; LANES];
        for r in 0..LANES {
            step[r] = rho[r].abs().powi(CHECKPOINT as i32);
        }
        let mut power = [1.0; LANES];
        let mut done = [false; LANES];
        let mut used = 0;
        for c in 0..checkpoints {
            let e: &Lanes = self.rel_tails[base + c * LANES..][..LANES].try_into().expect("whole block");
            let mut all = true;
            for r in 0..LANES {
                power[r] *= step[r];
                done[r] |= power[r] * e[r] * col.rel_tails[c] <= SERIES_TOL;
                all &= done[r];
            }
            used = c + 1;
            if all {
                break;
            }
        }
        (used * CHECKPOINT, done)
    }

    /// `Σ_{k<terms} a_k(row) b_k ρ^k` for the [`LANES`] rows from `i0` (a multiple of
    /// [`LANES`]), by Horner's rule, for φ and φ'.
    pub fn horner(&self, i0: usize, col: [&[f64]; 2], rho: &Lanes, terms: usize) -> (Lanes, Lanes) {
        let terms = terms.min(self.terms);
        let base = (i0 / LANES) * self.terms * LANES;
        let a_block = &self.coef[0][base..base + terms * LANES];
        let d_block = &self.coef[1][base..base + terms * LANES];
        // Even and odd powers as two Horner chains in ρ² (twice the independent work per
        // step of the dependency chain): Σ = E(ρ²) + ρ·O(ρ²). `terms` is even.
        let mut rho2 = [0.0; LANES];
        for r in 0..LANES {
            rho2[r] = rho[r] * rho[r];
        }
        let (mut te, mut to, mut de, mut dd) = ([0.0; LANES], [0.0; LANES], [0.0; LANES], [0.0; LANES]);
        for m in (0..terms / 2).rev() {
            let (k0, k1) = (2 * m, 2 * m + 1);
            let a0: &Lanes = a_block[k0 * LANES..][..LANES].try_into().expect("whole block");
            let a1: &Lanes = a_block[k1 * LANES..][..LANES].try_into().expect("whole block");
            let d0: &Lanes = d_block[k0 * LANES..][..LANES].try_into().expect("whole block");
            let d1: &Lanes = d_block[k1 * LANES..][..LANES].try_into().expect("whole block");
            let (b0, b1, e0, e1) = (col[0][k0], col[0][k1], col[1][k0], col[1][k1]);
            for r in 0..LANES {
                te[r] = te[r] * rho2[r] + a0[r] * b0;
                to[r] = to[r] * rho2[r] + a1[r] * b1;
                de[r] = de[r] * rho2[r] + d0[r] * e0;
                dd[r] = dd[r] * rho2[r] + d1[r] * e1;
            }
        }
        let (mut t, mut t_dot) = ([0.0; LANES], [0.0; LANES]);
        for r in 0..LANES {
            t[r] = te[r] + rho[r] * to[r];
            t_dot[r] = de[r] + rho[r] * dd[r];
        }
        (t, t_dot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Activation;

    /// For the identity, `a_1 = √s` and every other coefficient vanishes; for tanh the
    /// coefficients reproduce the norm (Parseval) and the series at ρ = 0.3 agrees with the
    /// tensor-product rule to 1e-13.
    #[test]
    fn coefficients_and_series() {
        let set = SeriesSet::new(&Activation::Identity, &[2.0, 0.0]);
        let p = &set.points[0];
        assert!(p.resolved);
        assert!((set.coef[0][(1, 0)] - 2f64.sqrt()).abs() < 1e-14);
        assert!(set.coef[0].column(0).iter().enumerate().all(|(k, a)| k == 1 || a.abs() < 1e-14));
        assert!((p.norm2[0] - 2.0).abs() < 1e-14 && (p.norm2[1] - 1.0).abs() < 1e-14);
        assert_eq!(set.points[1].norm2[0], 0.0);

        let set = SeriesSet::new(&Activation::Tanh, &[0.7, 1.9]);
        let (p, q) = (&set.points[0], &set.points[1]);
        assert!(p.resolved && q.resolved);
        let rho = 0.3;
        let k = terms_needed(p, q, rho).unwrap();
        let series: f64 =
            (0..k).map(|j| set.coef[0][(j, 0)] * set.coef[0][(j, 1)] * rho.powi(j as i32)).sum();
        let c = rho * (0.7f64 * 1.9).sqrt();
        let tensor = GaussHermite::expect_2d(0.7, 1.9, c, f64::tanh, f64::tanh);
        assert!((series - tensor).abs() < 1e-13, "{series} vs {tensor}");
    }

    /// The complementary form near ρ = ±1 against the plain series with all its (converged)
    /// terms: both are exact to their bounds (≤ 1e-12 of the scale here), so they agree to
    /// 1e-12; for a point with itself at ρ = 1 it returns the norm to rounding.
    #[test]
    fn complementary_form_near_plus_and_minus_one() {
        let set = SeriesSet::new(&Activation::Tanh, &[1.3, 1.25]);
        let (p, q) = (set.view(0), set.view(1));
        assert_eq!(p.point.rule, q.point.rule, "same rule for the complementary form");
        let scale =
            [(p.point.norm2[0] * q.point.norm2[0]).sqrt(), (p.point.norm2[1] * q.point.norm2[1]).sqrt()];
        for rho in [0.9999, 1.0 - 1e-9, -0.9999, -(1.0 - 1e-9), 0.97, -0.97] {
            let direct = series_pair(p.coef, q.coef, rho, p.point.terms.min(q.point.terms));
            let comp = complementary_pair(p, q, rho).expect("bound met near ±1");
            assert!((direct.0 - comp.0).abs() <= 1e-12 * scale[0], "ρ = {rho}: {direct:?} vs {comp:?}");
            assert!((direct.1 - comp.1).abs() <= 1e-12 * scale[1], "ρ = {rho}: {direct:?} vs {comp:?}");
        }
        let same = complementary_pair(p, p, 1.0).unwrap();
        assert!((same.0 - p.point.norm2[0]).abs() <= 4.0 * f64::EPSILON * p.point.norm2[0]);
        assert!((same.1 - p.point.norm2[1]).abs() <= 4.0 * f64::EPSILON * p.point.norm2[1]);
    }
}
