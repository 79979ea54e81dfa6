//! Adaptive Gauss–Kronrod quadrature of Gaussian expectations, in the variable x itself rather
//! than in standard-normal units: `E[f(x)]`, `x ~ N(m, σ²)`, and
//! `E[f(u) g(v)]`, `(u, v) ~ N(0, [[s₁, c], [c, s₂]])`.
//!
//! Gauss–Hermite rules (module [`crate::theory::quadrature`]) converge slowly once `f(√s z)`
//! varies on a scale much finer than the Gaussian's width — `tanh` at variance 10⁴ is a step
//! of width 1/100 in z — and not at all for kinks. Here the line is cut at the Gaussian's
//! scale (`m ± σ·{½, 1, 2, 3, 4½, 6½, 9, 12}`) and, where the Gaussian covers the origin, at
//! `0, ±2⁻³, ±2⁻², …` (the scale on which the activations of this crate vary); each piece gets
//! the 15-point Kronrod rule with its embedded 7-point Gauss rule, and the pieces with the
//! largest error estimates are halved until their sum is below the tolerance. The estimate
//! is QUADPACK's (`qk15`): the disagreement `|K₁₅ − G₇|` (which bounds the error of G₇, far
//! larger than that of K₁₅) scaled as `asc·(200|K₁₅ − G₇|/asc)^{3/2}`, never below the
//! rounding level. Mass beyond 12 standard deviations (`< 4e-33` of the weight) is left out,
//! unless the integrand grows fast enough to move its mass out there (then up to 40).
//!
//! The 2-D expectation is computed through the conditional law of v given u:
//! `E[f(u) g(v)] = E_u[f(u) G(u)]`, `G(u) = E[g(λu + σw)]`, `λ = c/s₁`,
//! `σ² = s₂ − c²/s₁`, `w ~ N(0, 1)`, with an adaptive integral for G at every outer node.
//! This is slow (typically 10⁵ evaluations of g) but accurate for any variances, any
//! correlation up to ±1 and activations with kinks: it is the reference for the fast kernel
//! paths and the fallback where their error bounds fail; the fallback integrates small
//! conditional variances (where `G` is smooth on the scale of φ) by a fixed Gauss–Hermite rule
//! instead ([`Tolerance::hermite_inner_var`]), about 20× faster.

use crate::theory::quadrature::GaussHermite;

/// Kronrod nodes on `[−1, 1]` (positive half, descending; QUADPACK's `qk15`).
const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
/// Kronrod weights for [`XGK`].
const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
/// Gauss weights for the 7-point rule on `XGK[1], XGK[3], XGK[5], XGK[7]`.
const WG: [f64; 4] =
    [0.129_484_966_168_869_7, 0.279_705_391_489_276_7, 0.381_830_050_505_118_9, 0.417_959_183_673_469_4];

/// A function evaluated on a batch of points: `f(xs, out)` writes `f(xs[i])` to `out[i]`.
pub type BatchFn<'a> = dyn FnMut(&[f64], &mut [f64]) + 'a;

/// Nodes per piece.
const NODES: usize = 15;

/// Standard deviations covered on each side of the mean (more for integrands that grow
/// exponentially, see `reach`).
pub const REACH: f64 = 12.0;

/// The result of an adaptive integral.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Integral {
    /// the 15-point Kronrod estimate summed over the pieces
    pub value: f64,
    /// the estimated error: QUADPACK's estimate from `|K₁₅ − G₇|`, summed over the pieces
    pub error: f64,
    /// `∫|f|` by the same rule (the scale a relative tolerance refers to)
    pub abs: f64,
    /// integrand evaluations used
    pub evaluations: usize,
}

#[derive(Clone, Copy, Debug)]
struct Piece {
    a: f64,
    b: f64,
    kronrod: f64,
    error: f64,
    abs: f64,
    /// the error estimate is at the rounding level: halving cannot improve it
    settled: bool,
}

/// The 15 nodes of `[a, b]`, in the order of [`XGK`] mirrored: `x₀ … x₆` left of the centre
/// (descending distance), `x₇` the centre, `x₈ … x₁₄` right.
fn nodes(a: f64, b: f64, out: &mut [f64]) {
    let (c, h) = (0.5 * (a + b), 0.5 * (b - a));
    for k in 0..7 {
        out[k] = c - h * XGK[k];
        out[14 - k] = c + h * XGK[k];
    }
    out[7] = c;
}

/// `(K₁₅, G₇, ∫|f|, ∫|f − K₁₅/2|)` on `[−1, 1]` from the 15 values at [`nodes`].
fn rules(f: &[f64]) -> (f64, f64, f64, f64) {
    let mut kronrod = WGK[7] * f[7];
    let mut abs = WGK[7] * f[7].abs();
    let mut gauss = WG[3] * f[7];
    for k in 0..7 {
        let pair = f[k] + f[14 - k];
        kronrod += WGK[k] * pair;
        abs += WGK[k] * (f[k].abs() + f[14 - k].abs());
        if k % 2 == 1 {
            gauss += WG[k / 2] * pair;
        }
    }
    let mean = 0.5 * kronrod;
    let mut asc = WGK[7] * (f[7] - mean).abs();
    for k in 0..7 {
        asc += WGK[k] * ((f[k] - mean).abs() + (f[14 - k] - mean).abs());
    }
    (kronrod, gauss, abs, asc)
}

fn piece(a: f64, b: f64, f: &[f64]) -> Piece {
    let h = 0.5 * (b - a);
    let (kronrod, gauss, abs, asc) = rules(f);
    // QUADPACK's error estimate (qk15): the spread `asc = ∫|f − mean|` scales the raw
    // difference, `err = asc·min(1, (200|K − G|/asc)^{3/2})`, floored at the rounding level
    // `50 ε ∫|f|` (below which halving cannot help).
    let (raw, asc) = ((h * (kronrod - gauss)).abs(), h * asc);
    let mut error = raw;
    if asc > 0.0 && raw > 0.0 {
        error = asc * (200.0 * raw / asc).powf(1.5).min(1.0);
    }
    let floor = 50.0 * f64::EPSILON * h * abs;
    Piece { a, b, kronrod: h * kronrod, error: error.max(floor), abs: h * abs, settled: error <= floor }
}

/// `∫ f` over `[breakpoints[0], breakpoints[last]]` (breakpoints ascending), refining until
/// `Σ|K₁₅ − G₇| ≤ max(rel_tol·∫|f|, abs_floor)` or `max_pieces` pieces. `f` is called on
/// batches of points and writes the values to its second argument. Non-finite values make the
/// result non-finite.
pub fn integrate(
    f: &mut dyn FnMut(&[f64], &mut [f64]),
    breakpoints: &[f64],
    rel_tol: f64,
    abs_floor: f64,
    max_pieces: usize,
) -> Integral {
    integrate_pieces(f, breakpoints, rel_tol, abs_floor, max_pieces).0
}

/// As [`integrate`], also returning the final pieces `(a, b)`, in ascending order.
pub fn integrate_pieces(
    f: &mut dyn FnMut(&[f64], &mut [f64]),
    breakpoints: &[f64],
    rel_tol: f64,
    abs_floor: f64,
    max_pieces: usize,
) -> (Integral, Vec<(f64, f64)>) {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut evaluations = 0;
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    let mut evaluate = |spans: &[(f64, f64)], pieces: &mut Vec<Piece>, evaluations: &mut usize| {
        xs.resize(spans.len() * NODES, 0.0);
        ys.resize(spans.len() * NODES, 0.0);
        for (k, &(a, b)) in spans.iter().enumerate() {
            nodes(a, b, &mut xs[k * NODES..(k + 1) * NODES]);
        }
        f(&xs, &mut ys);
        *evaluations += xs.len();
        for (k, &(a, b)) in spans.iter().enumerate() {
            pieces.push(piece(a, b, &ys[k * NODES..(k + 1) * NODES]));
        }
    };
    let spans: Vec<(f64, f64)> =
        breakpoints.windows(2).filter(|w| w[1] > w[0]).map(|w| (w[0], w[1])).collect();
    evaluate(&spans, &mut pieces, &mut evaluations);
    loop {
        let (value, error, abs) =
            pieces.iter().fold((0.0, 0.0, 0.0), |acc, p| (acc.0 + p.kronrod, acc.1 + p.error, acc.2 + p.abs));
        let tol = (rel_tol * abs).max(abs_floor);
        let worst = pieces.iter().filter(|p| !p.settled).map(|p| p.error).fold(0.0, f64::max);
        let converged = error.partial_cmp(&tol) != Some(std::cmp::Ordering::Greater);
        if converged || worst == 0.0 || pieces.len() >= max_pieces || !value.is_finite() {
            let mut spans: Vec<(f64, f64)> = pieces.iter().map(|p| (p.a, p.b)).collect();
            spans.sort_by(|x, y| x.0.total_cmp(&y.0));
            return (Integral { value, error, abs, evaluations }, spans);
        }
        // Halve every piece carrying at least 1/8 of the largest error.
        let mut split = Vec::new();
        pieces.retain(|p| {
            let halve = !p.settled && p.error >= worst / 8.0 && split.len() < 64;
            if halve {
                let mid = 0.5 * (p.a + p.b);
                split.push((p.a, mid));
                split.push((mid, p.b));
            }
            !halve
        });
        evaluate(&split, &mut pieces, &mut evaluations);
    }
}

/// Breakpoints in standard units `z = (x − m)/sd` on `[−reach, reach]`: the Gaussian's own
/// scale, and a geometric grading `x = 0, ±2⁻³, ±2⁻², …` around the origin where the
/// Gaussian reaches it.
fn standard_breakpoints(m: f64, sd: f64, reach: f64) -> Vec<f64> {
    const SIGMAS: [f64; 10] = [0.5, 1.0, 2.0, 3.0, 4.5, 6.5, 9.0, 12.0, 18.0, 27.0];
    let mut pts = vec![0.0, reach, -reach];
    for z in SIGMAS {
        pts.push(z);
        pts.push(-z);
    }
    let origin = -m / sd;
    if origin.abs() < reach {
        pts.push(origin);
        let mut h = 0.125;
        while h / sd < 2.0 * reach {
            pts.push(origin + h / sd);
            pts.push(origin - h / sd);
            h *= 2.0;
        }
    }
    let mut pts: Vec<f64> = pts.into_iter().filter(|z| z.abs() <= reach).collect();
    pts.sort_by(f64::total_cmp);
    pts.dedup();
    pts
}

/// How far (in standard units) the weighted integrand `|f(m + sd z)| e^{−z²/2}` must be
/// followed: the first of 12, 16, …, 40 beyond which it stays below `10⁻¹⁸` of its largest
/// value on a probe grid of unit steps. 12 for anything growing slower than `e^{6|x|/sd}`;
/// more for exponential growth, whose mass moves out (`exp(x)` at sd = 10: the integrand of
/// `E[e^{2x}]` peaks at z = 20).
fn reach(m: f64, sd: f64, f: &mut dyn FnMut(&[f64], &mut [f64])) -> f64 {
    const CANDIDATES: [f64; 8] = [REACH, 16.0, 20.0, 24.0, 28.0, 32.0, 36.0, 40.0];
    let zs: Vec<f64> = (-40..=40).map(f64::from).collect();
    let xs: Vec<f64> = zs.iter().map(|z| m + sd * z).collect();
    let mut ys = vec![0.0; xs.len()];
    f(&xs, &mut ys);
    let g: Vec<f64> = ys.iter().zip(&zs).map(|(y, z)| y.abs().ln() - 0.5 * z * z).collect();
    // Only as far as f itself stays finite (beyond, nothing can be computed anyway).
    let finite_to =
        zs.iter().zip(&ys).filter(|(_, y)| !y.is_finite()).map(|(z, _)| z.abs() - 1.0).fold(40.0, f64::min);
    let top = g.iter().copied().filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    let mut chosen = REACH;
    for r in CANDIDATES.into_iter().filter(|&r| r <= finite_to.max(REACH)) {
        chosen = r;
        let beyond = g
            .iter()
            .zip(&zs)
            .filter(|(_, z)| z.abs() >= r && z.abs() <= finite_to)
            .map(|(v, _)| *v)
            .fold(f64::NEG_INFINITY, f64::max);
        // (NaN beyond: nothing measured there, so nothing to follow.)
        if beyond.is_nan() || beyond <= top - 41.4 {
            break;
        }
    }
    chosen
}

/// Tolerances of the adaptive expectations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// relative to `E|integrand|`
    pub rel: f64,
    /// absolute floor (for integrands that vanish)
    pub abs: f64,
    /// most pieces per 1-D integral
    pub max_pieces: usize,
    /// in [`expect_2d`], conditional variances `σ² ≤` this are integrated by the fixed
    /// Gauss–Hermite rule [`GaussHermite::for_variance`] instead of adaptively (0: never)
    pub hermite_inner_var: f64,
}

/// The tolerance of the reference computations: `1e-13` relative, adaptive throughout.
pub const REFERENCE: Tolerance =
    Tolerance { rel: 1e-13, abs: 1e-300, max_pieces: 4000, hermite_inner_var: 0.0 };

/// `E[f(x)]`, `x ~ N(m, sd²)` (`f(m)` if `sd = 0`), `f` evaluated in batches.
pub fn expect(m: f64, sd: f64, f: &mut dyn FnMut(&[f64], &mut [f64]), tol: Tolerance) -> Integral {
    if sd <= 0.0 || !sd.is_finite() {
        let mut y = [0.0];
        f(&[m], &mut y);
        return Integral { value: y[0], error: 0.0, abs: y[0].abs(), evaluations: 1 };
    }
    // In standard units z: E f(x) = ∫ f(m + sd·z) e^{−z²/2}/√(2π) dz (x-space nodes would
    // lose the offsets x − m to rounding when sd ≪ |m|).
    let norm = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
    let r = reach(m, sd, f);
    let mut xs = Vec::new();
    let mut weighted = |zs: &[f64], ys: &mut [f64]| {
        xs.clear();
        xs.extend(zs.iter().map(|z| m + sd * z));
        f(&xs, ys);
        for (y, &z) in ys.iter_mut().zip(zs) {
            let w = norm * (-0.5 * z * z).exp();
            // Where the density underflows, f may overflow: no mass there.
            *y = if w == 0.0 { 0.0 } else { *y * w };
        }
    };
    integrate(&mut weighted, &standard_breakpoints(m, sd, r), tol.rel, tol.abs, tol.max_pieces)
}

/// A quadrature rule for `E[·]` under `N(0, sd²)` adapted to the functions `fs`: the pieces
/// (in standard units) on which the adaptive rule integrates each `f²` to `tol`, merged and
/// halved down to width `max_width`, with the 15 Kronrod nodes of each piece. Returns the
/// nodes `x` and weights (density included, summing to ≈ 1).
pub fn adapted_rule(
    sd: f64,
    fs: &mut [&mut BatchFn],
    tol: Tolerance,
    max_width: f64,
) -> (Vec<f64>, Vec<f64>) {
    let norm = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
    let r = fs.iter_mut().map(|f| reach(0.0, sd, &mut **f)).fold(REACH, f64::max);
    let mut cuts: Vec<f64> = standard_breakpoints(0.0, sd, r);
    for f in fs.iter_mut() {
        let mut xs = Vec::new();
        let mut squared = |zs: &[f64], ys: &mut [f64]| {
            xs.clear();
            xs.extend(zs.iter().map(|z| sd * z));
            f(&xs, ys);
            for (y, &z) in ys.iter_mut().zip(zs) {
                *y = *y * *y * norm * (-0.5 * z * z).exp();
            }
        };
        let (_, pieces) = integrate_pieces(
            &mut squared,
            &standard_breakpoints(0.0, sd, r),
            tol.rel,
            tol.abs,
            tol.max_pieces,
        );
        cuts.extend(pieces.iter().flat_map(|&(a, b)| [a, b]));
    }
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    let (mut xs, mut ws) = (Vec::new(), Vec::new());
    let mut zs = [0.0; NODES];
    for w in cuts.windows(2) {
        let parts = ((w[1] - w[0]) / max_width).ceil().max(1.0) as usize;
        for k in 0..parts {
            let a = w[0] + (w[1] - w[0]) * k as f64 / parts as f64;
            let b = w[0] + (w[1] - w[0]) * (k + 1) as f64 / parts as f64;
            nodes(a, b, &mut zs);
            let h = 0.5 * (b - a);
            for (i, &z) in zs.iter().enumerate() {
                let weight = if i < 7 {
                    WGK[i]
                } else if i == 7 {
                    WGK[7]
                } else {
                    WGK[14 - i]
                };
                xs.push(sd * z);
                ws.push(h * weight * norm * (-0.5 * z * z).exp());
            }
        }
    }
    (xs, ws)
}

/// `E[f(u) g(v)]` for `(u, v) ~ N(0, [[s11, s12], [s12, s22]])` through the conditional law
/// `v | u ~ N(λu, σ²)`, `λ = s12/s11`, `σ² = s22 − s12²/s11` (module docs). The covariance is
/// clamped to `|s12| ≤ √(s11 s22)`; zero variances are handled exactly.
///
/// `scales = (√E f(u)², √E g(v)²)` (0 if unknown) set absolute error floors `tol.rel ×`
/// the Cauchy–Schwarz scale `√(E f² E g²)` for the result and `tol.rel/100 × √E g²` for each
/// inner integral: below those, rounding noise in evaluating f and g in the tails (where they
/// are far smaller than their scale) would otherwise keep the refinement going.
pub fn expect_2d(
    s11: f64,
    s22: f64,
    s12: f64,
    f: &mut dyn FnMut(&[f64], &mut [f64]),
    g: &mut dyn FnMut(&[f64], &mut [f64]),
    tol: Tolerance,
    scales: (f64, f64),
) -> f64 {
    let (s11, s22) = (s11.max(0.0), s22.max(0.0));
    let bound = (s11 * s22).sqrt();
    let c = s12.max(-bound).min(bound);
    if s11 == 0.0 {
        let mut y = [0.0];
        f(&[0.0], &mut y);
        return y[0] * expect(0.0, s22.sqrt(), g, tol).value;
    }
    let lambda = c / s11;
    let var_v = (s22 - c * c / s11).max(0.0);
    let sigma = var_v.sqrt();
    // The inner integrals' errors enter the outer integrand as noise, which the outer error
    // estimate cannot tell from structure: hold them 100× tighter (down to the rounding level).
    let inner_tol = Tolerance { rel: 0.01 * tol.rel, abs: tol.abs.max(0.01 * tol.rel * scales.1), ..tol };
    let outer_tol = Tolerance { abs: tol.abs.max(tol.rel * scales.0 * scales.1), ..tol };
    let hermite = (sigma > 0.0 && var_v <= tol.hermite_inner_var).then(|| GaussHermite::for_variance(var_v));
    let mut fu = Vec::new();
    let (mut vs, mut gv) = (Vec::new(), Vec::new());
    let mut conditional = |us: &[f64], out: &mut [f64]| {
        fu.resize(us.len(), 0.0);
        f(us, &mut fu);
        match hermite {
            Some(rule) => {
                // All inner nodes of all outer nodes in one batch.
                let m = rule.nodes.len();
                vs.clear();
                for &u in us {
                    vs.extend(rule.nodes.iter().map(|z| lambda * u + sigma * z));
                }
                gv.resize(vs.len(), 0.0);
                g(&vs, &mut gv);
                for (k, (o, &fv)) in out.iter_mut().zip(&fu).enumerate() {
                    let inner: f64 =
                        rule.weights.iter().zip(&gv[k * m..(k + 1) * m]).map(|(w, v)| w * v).sum();
                    *o = if fv == 0.0 { 0.0 } else { fv * inner };
                }
            }
            None => {
                for ((o, &u), &fv) in out.iter_mut().zip(us).zip(&fu) {
                    *o = if fv == 0.0 { 0.0 } else { fv * expect(lambda * u, sigma, g, inner_tol).value };
                }
            }
        }
    };
    expect(0.0, s11.sqrt(), &mut conditional, outer_tol).value
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules themselves: G₇ integrates polynomials of degree ≤ 13 exactly, K₁₅ degree ≤ 22
    /// (rounding: a few ulp of the weights' sum 2).
    #[test]
    fn rules_are_exact_on_polynomials() {
        let mut xs = [0.0; NODES];
        nodes(-1.0, 1.0, &mut xs);
        for degree in 0..=22 {
            let ys: Vec<f64> = xs.iter().map(|x| x.powi(degree)).collect();
            let (kronrod, gauss, _, _) = rules(&ys);
            let exact = if degree % 2 == 1 { 0.0 } else { 2.0 / (degree + 1) as f64 };
            assert!((kronrod - exact).abs() < 1e-15, "K15 degree {degree}: {kronrod}");
            if degree <= 13 {
                assert!((gauss - exact).abs() < 1e-15, "G7 degree {degree}: {gauss}");
            } else if degree % 2 == 0 {
                assert!((gauss - exact).abs() > 1e-6, "G7 is not exact at degree {degree}");
            }
        }
    }

    /// Gaussian moments and closed forms, including a kink far out in the tail of a wide
    /// Gaussian and a step of width 10⁻² against variance 10⁴.
    #[test]
    fn gaussian_expectations() {
        let moment = |k: i32, m: f64, sd: f64| {
            let mut f = |xs: &[f64], ys: &mut [f64]| {
                for (y, x) in ys.iter_mut().zip(xs) {
                    *y = x.powi(k);
                }
            };
            expect(m, sd, &mut f, REFERENCE).value
        };
        assert!((moment(0, 0.3, 2.0) - 1.0).abs() < 1e-14);
        assert!((moment(2, 0.0, 3.0) - 9.0).abs() < 1e-12);
        assert!((moment(4, 1.0, 1e-3) - 1.000_006_000_003).abs() < 1e-13);
        // E[max(x, 0)] = sd/√(2π) for m = 0.
        let mut relu = |xs: &[f64], ys: &mut [f64]| {
            for (y, x) in ys.iter_mut().zip(xs) {
                *y = x.max(0.0);
            }
        };
        for sd in [1e-3, 1.0, 100.0] {
            let v = expect(0.0, sd, &mut relu, REFERENCE).value;
            assert!(
                (v / (sd / (2.0 * std::f64::consts::PI).sqrt()) - 1.0).abs() < 1e-12,
                "relu sd {sd}: {v}"
            );
        }
        // E[erf(x)²] = (2/π) asin(2s/(1+2s)) at s = 10⁴.
        let mut erf2 = |xs: &[f64], ys: &mut [f64]| {
            for (y, x) in ys.iter_mut().zip(xs) {
                *y = libm::erf(*x).powi(2);
            }
        };
        let s: f64 = 1e4;
        let exact = 2.0 / std::f64::consts::PI * (2.0 * s / (1.0 + 2.0 * s)).asin();
        let v = expect(0.0, s.sqrt(), &mut erf2, REFERENCE).value;
        assert!((v - exact).abs() < 1e-13, "{v} vs {exact}");
    }

    /// The 2-D expectation against the arcsine kernel of erf (paper SM C) over variances
    /// 10⁻⁶ … 10⁴ and correlations up to ±(1 − 10⁻¹²), and against E[uv] = c.
    #[test]
    fn two_d_expectations_match_closed_forms() {
        let mut erf = |xs: &[f64], ys: &mut [f64]| {
            for (y, x) in ys.iter_mut().zip(xs) {
                *y = libm::erf(*x);
            }
        };
        let mut erf2 = |xs: &[f64], ys: &mut [f64]| {
            for (y, x) in ys.iter_mut().zip(xs) {
                *y = libm::erf(*x);
            }
        };
        for &(s1, s2) in &[(1e-6, 1e-6), (1.0, 1e4), (1e4, 1e4), (0.3, 2.0), (1e-6, 1.0)] {
            for rho in [-1.0 + 1e-12, -0.7, 0.0, 0.5, 0.99, 1.0 - 1e-12, 1.0] {
                let c = rho * f64::sqrt(s1 * s2);
                let t = expect_2d(s1, s2, c, &mut erf, &mut erf2, REFERENCE, (0.0, 0.0));
                let exact = 2.0 / std::f64::consts::PI
                    * (2.0 * c / ((1.0 + 2.0 * s1) * (1.0 + 2.0 * s2)).sqrt()).asin();
                let scale = 2.0 / std::f64::consts::PI
                    * ((2.0 * s1 / (1.0 + 2.0 * s1)).asin() * (2.0 * s2 / (1.0 + 2.0 * s2)).asin()).sqrt();
                assert!((t - exact).abs() <= 1e-11 * scale, "s = {s1}, {s2}, ρ = {rho}: {t} vs {exact}");
            }
        }
    }

    /// Exponential growth moves the mass of `E[e^{2x}]` to z = 2 sd: the reach follows it (as
    /// long as f itself does not overflow there).
    #[test]
    fn exponential_growth_is_followed() {
        for sd in [1.0, 5.0, 10.0] {
            let mut f = |xs: &[f64], ys: &mut [f64]| {
                for (y, x) in ys.iter_mut().zip(xs) {
                    *y = (2.0 * x).exp();
                }
            };
            let v = expect(0.0, sd, &mut f, REFERENCE).value;
            let exact = (2.0 * sd * sd).exp();
            assert!((v / exact - 1.0).abs() < 1e-12, "sd {sd}: {v} vs {exact}");
        }
    }
}
