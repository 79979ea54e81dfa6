//! Taylor coefficients of an expression at a point (automatic differentiation in truncated
//! power series), and from them a sampled bound on its derivatives over the real line.
//!
//! Each node of the tree is a series `c_k = f^{(k)}(x₀)/k!`, k ≤ K. Sums are termwise,
//! products Cauchy products, quotients the usual back-substitution, and every function `F`
//! with `F' = R(F, a)·a'` the recurrence `k F_k = Σ_{j=1}^{k} j a_j R_{k−j}`
//! (`exp: R = F`, `tanh: R = 1 − F²`, `sigmoid: R = F(1 − F)`, `tan: R = 1 + F²`,
//! sin/cos and sinh/cosh in pairs, …). abs, relu, sign and step are not analytic at 0, and
//! a power, root or logarithm of a non-positive argument is not analytic there: the
//! expression then has no series (`None`).

use crate::custom_phi::expr::{Expr, Func};

/// A truncated Taylor series `c_0 … c_K`.
type Series = Vec<f64>;

fn constant(v: f64, n: usize) -> Series {
    let mut s = vec![0.0; n];
    s[0] = v;
    s
}

fn product(a: &[f64], b: &[f64]) -> Series {
    (0..a.len()).map(|k| (0..=k).map(|j| a[j] * b[k - j]).sum()).collect()
}

fn quotient(a: &[f64], b: &[f64]) -> Option<Series> {
    if b[0] == 0.0 {
        return None;
    }
    let mut c = vec![0.0; a.len()];
    for k in 0..a.len() {
        let known: f64 = (1..=k).map(|j| b[j] * c[k - j]).sum();
        c[k] = (a[k] - known) / b[0];
    }
    Some(c)
}

/// `F` with `F(a₀) = f0` and `F' = R·a'`, R's coefficient i given by `r(i, F so far)`:
/// `k F_k = Σ_{j=1}^{k} j a_j R_{k−j}`.
fn ode(a: &[f64], f0: f64, r: impl Fn(usize, &[f64]) -> f64) -> Series {
    let mut f = vec![0.0; a.len()];
    f[0] = f0;
    let mut rs = Vec::with_capacity(a.len());
    for k in 1..a.len() {
        rs.push(r(k - 1, &f[..k]));
        let sum: f64 = (1..=k).map(|j| j as f64 * a[j] * rs[k - j]).sum();
        f[k] = sum / k as f64;
    }
    f
}

/// Coefficient i of `F²` from the first coefficients of F (i < f.len()).
fn square_at(i: usize, f: &[f64]) -> f64 {
    (0..=i).map(|j| f[j] * f[i - j]).sum()
}

/// `exp(a)`.
fn exp(a: &[f64]) -> Series {
    ode(a, a[0].exp(), |i, f| f[i])
}

/// sin and cos of a, together.
fn sin_cos(a: &[f64], hyperbolic: bool) -> (Series, Series) {
    let n = a.len();
    let (mut s, mut c) = (vec![0.0; n], vec![0.0; n]);
    if hyperbolic {
        (s[0], c[0]) = (a[0].sinh(), a[0].cosh());
    } else {
        (s[0], c[0]) = (a[0].sin(), a[0].cos());
    }
    let sign = if hyperbolic { 1.0 } else { -1.0 };
    for k in 1..n {
        let (mut ds, mut dc) = (0.0, 0.0);
        for j in 1..=k {
            ds += j as f64 * a[j] * c[k - j];
            dc += j as f64 * a[j] * s[k - j];
        }
        s[k] = ds / k as f64;
        c[k] = sign * dc / k as f64;
    }
    (s, c)
}

fn call(f: Func, a: &[f64]) -> Option<Series> {
    let n = a.len();
    let two_over_sqrt_pi = std::f64::consts::FRAC_2_SQRT_PI;
    let inv_sqrt_2pi = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
    let positive = a[0] > 0.0;
    Some(match f {
        Func::Sin => sin_cos(a, false).0,
        Func::Cos => sin_cos(a, false).1,
        Func::Sinh => sin_cos(a, true).0,
        Func::Cosh => sin_cos(a, true).1,
        Func::Tan => ode(a, a[0].tan(), |i, t| if i == 0 { 1.0 + t[0] * t[0] } else { square_at(i, t) }),
        Func::Tanh => ode(a, a[0].tanh(), |i, t| if i == 0 { 1.0 - t[0] * t[0] } else { -square_at(i, t) }),
        Func::Exp => exp(a),
        Func::Log if positive => {
            let da: Series =
                (0..n).map(|k| if k + 1 < n { (k + 1) as f64 * a[k + 1] } else { 0.0 }).collect();
            let q = quotient(&da, a)?; // (log a)' = a'/a
            let mut l = vec![a[0].ln(); n];
            for k in 1..n {
                l[k] = q[k - 1] / k as f64;
            }
            l
        }
        Func::Sqrt if positive => {
            let mut s = vec![0.0; n];
            s[0] = a[0].sqrt();
            for k in 1..n {
                let inner: f64 = (1..k).map(|j| s[j] * s[k - j]).sum();
                s[k] = (a[k] - inner) / (2.0 * s[0]);
            }
            s
        }
        Func::Atan => {
            let q = quotient(&constant(1.0, n), &add(&constant(1.0, n), &product(a, a)))?;
            ode(a, a[0].atan(), |i, _| q[i])
        }
        Func::Erf => {
            let g = exp(&product(a, a).iter().map(|v| -v).collect::<Vec<_>>());
            ode(a, libm::erf(a[0]), |i, _| two_over_sqrt_pi * g[i])
        }
        Func::Sigmoid => sigmoid(a),
        Func::Softplus => {
            let s = sigmoid(a);
            ode(a, Func::Softplus.eval(a[0]), |i, _| s[i])
        }
        Func::Sech2 => {
            let t = call(Func::Tanh, a)?;
            let mut s: Series = product(&t, &t).iter().map(|v| -v).collect();
            s[0] = Func::Sech2.eval(a[0]);
            s
        }
        Func::NormPdf => normal_pdf(a, inv_sqrt_2pi),
        Func::NormCdf => {
            let p = normal_pdf(a, inv_sqrt_2pi);
            ode(a, Func::NormCdf.eval(a[0]), |i, _| p[i])
        }
        Func::Gelu => {
            let p = normal_pdf(a, inv_sqrt_2pi);
            let cdf = ode(a, Func::NormCdf.eval(a[0]), |i, _| p[i]);
            product(a, &cdf)
        }
        Func::Log | Func::Sqrt | Func::Abs | Func::Relu | Func::Sign | Func::Step => return None,
    })
}

fn sigmoid(a: &[f64]) -> Series {
    ode(a, Func::Sigmoid.eval(a[0]), |i, s| if i == 0 { s[0] - s[0] * s[0] } else { s[i] - square_at(i, s) })
}

fn normal_pdf(a: &[f64], norm: f64) -> Series {
    let half_square: Series = product(a, a).iter().map(|v| -0.5 * v).collect();
    exp(&half_square).iter().map(|v| norm * v).collect()
}

fn add(a: &[f64], b: &[f64]) -> Series {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// The Taylor coefficients `e^{(k)}(x₀)/k!`, k = 0..=order, of `e` at `x₀`, or `None` where
/// the expression is not analytic at `x₀` (module docs).
pub fn taylor(e: &Expr, x0: f64, order: usize) -> Option<Vec<f64>> {
    let n = order + 1;
    let s = match e {
        Expr::Num(v) => constant(*v, n),
        Expr::X => {
            let mut s = constant(x0, n);
            if n > 1 {
                s[1] = 1.0;
            }
            s
        }
        Expr::Neg(a) => taylor(a, x0, order)?.iter().map(|v| -v).collect(),
        Expr::Add(a, b) => add(&taylor(a, x0, order)?, &taylor(b, x0, order)?),
        Expr::Sub(a, b) => {
            let (a, b) = (taylor(a, x0, order)?, taylor(b, x0, order)?);
            a.iter().zip(&b).map(|(x, y)| x - y).collect()
        }
        Expr::Mul(a, b) => product(&taylor(a, x0, order)?, &taylor(b, x0, order)?),
        Expr::Div(a, b) => quotient(&taylor(a, x0, order)?, &taylor(b, x0, order)?)?,
        Expr::Pow(a, b) => {
            let base = taylor(a, x0, order)?;
            match **b {
                // Integer powers by multiplication, as the compiled program evaluates them.
                Expr::Num(k) if k.fract() == 0.0 && k.abs() <= 64.0 => {
                    let mut p = constant(1.0, n);
                    for _ in 0..k.abs() as usize {
                        p = product(&p, &base);
                    }
                    if k < 0.0 {
                        quotient(&constant(1.0, n), &p)?
                    } else {
                        p
                    }
                }
                _ => {
                    // a^b = exp(b log a), analytic where a > 0.
                    let log_a = call(Func::Log, &base)?;
                    exp(&product(&taylor(b, x0, order)?, &log_a))
                }
            }
        }
        Expr::Call(f, a) => call(*f, &taylor(a, x0, order)?)?,
    };
    s.iter().all(|v| v.is_finite()).then_some(s)
}

/// Points where [`derivative_sup`] samples: steps of 1/32 on [−8, 8], then 3 % apart out to
/// |x| = 100 (the activations' derivatives live near the origin; beyond, they vary on the
/// scale of |x|).
fn sample_points() -> Vec<f64> {
    let mut xs: Vec<f64> = (-256..=256).map(|i| i as f64 / 32.0).collect();
    let mut x = 8.0f64;
    while x < 100.0 {
        x *= 1.03;
        xs.push(x);
        xs.push(-x);
    }
    xs.sort_by(f64::total_cmp);
    xs
}

/// Extra Taylor orders used to cover the gaps between sample points (below).
const COVER: usize = 16;

/// The highest derivative order of the sampled bounds kept for a typed φ
/// ([`crate::custom_phi::Compiled::derivative_sup`]): that of the near-diagonal rule's inner
/// rules, `2·16 + 1` (the theory checks at compile time that its own bound is the same).
pub const MAX_DERIVATIVE: usize = 33;

/// Sampled bounds `D_k ≈ sup_x |e^{(k)}(x)|`, k = 0..=max_order: at each sample point
/// `x_j`, with `δ` the distance to the farther neighbour, the Taylor expansion bounds the
/// derivative on the gap, `|e^{(k)}(x_j + t)| ≤ Σ_{i≤COVER} |e^{(k+i)}(x_j)| δ^i / i!` for
/// `|t| ≤ δ` (up to the truncated terms); the largest over the points is taken. `None` if
/// the expression is not analytic at some sample point. Beyond |x| = 100 nothing is sampled:
/// a typed φ is assumed to vary no faster there (every built-in activation is then flat or
/// linear to rounding).
pub fn derivative_sup(e: &Expr, max_order: usize) -> Option<Vec<f64>> {
    let xs = sample_points();
    let order = max_order + COVER;
    let mut factorial = vec![1.0f64; order + 1];
    for k in 1..=order {
        factorial[k] = factorial[k - 1] * k as f64;
    }
    let mut sup = vec![0.0f64; max_order + 1];
    for (j, &x) in xs.iter().enumerate() {
        let c = taylor(e, x, order)?;
        let left = if j > 0 { x - xs[j - 1] } else { 0.0 };
        let right = if j + 1 < xs.len() { xs[j + 1] - x } else { 0.0 };
        let delta = left.max(right);
        for (k, s) in sup.iter_mut().enumerate() {
            // e^{(k+i)}(x)/i! · δ^i = c_{k+i} (k+i)!/i! · δ^i
            let cover: f64 = (0..=COVER)
                .map(|i| c[k + i].abs() * factorial[k + i] / factorial[i] * delta.powi(i as i32))
                .sum();
            *s = s.max(cover);
        }
    }
    Some(sup)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custom_phi::parse::parse;

    /// Coefficients against closed forms: e^x at 0.3 (`e^{0.3}/k!`), 1/(1−x) at 0 (all ones),
    /// tanh at 0 (0, 1, 0, −1/3, 0, 2/15), and each function's first coefficient against its
    /// symbolic derivative at 0.7.
    #[test]
    fn coefficients_match_closed_forms() {
        let e = taylor(&parse("exp(x)").unwrap(), 0.3, 10).unwrap();
        let mut f = 1.0;
        for (k, c) in e.iter().enumerate() {
            if k > 0 {
                f *= k as f64;
            }
            assert!((c - 0.3f64.exp() / f).abs() < 1e-15, "exp {k}: {c}");
        }
        let g = taylor(&parse("1/(1-x)").unwrap(), 0.0, 12).unwrap();
        assert!(g.iter().all(|c| (c - 1.0).abs() < 1e-14), "{g:?}");
        let t = taylor(&parse("tanh(x)").unwrap(), 0.0, 5).unwrap();
        for (c, want) in t.iter().zip([0.0, 1.0, 0.0, -1.0 / 3.0, 0.0, 2.0 / 15.0]) {
            assert!((c - want).abs() < 1e-15, "{t:?}");
        }
        for (_, name) in Func::ALL {
            if matches!(name, "abs" | "relu" | "sign" | "step") {
                continue;
            }
            let e = parse(&format!("{name}(x)")).unwrap();
            let series = taylor(&e, 0.7, 3).unwrap();
            let symbolic = e.derivative().eval(0.7);
            assert!((series[0] - e.eval(0.7)).abs() < 1e-14, "{name}: value");
            assert!(
                (series[1] - symbolic).abs() < 1e-12 * (1.0 + symbolic.abs()),
                "{name}: {} vs {symbolic}",
                series[1]
            );
        }
        for kink in ["abs(x)", "relu(x)+x", "x^0.5", "log(x)"] {
            assert_eq!(taylor(&parse(kink).unwrap(), 0.0, 4), None, "{kink}");
        }
    }

    /// The sampled bounds of tanh against the exact ones (derivative_bounds.rs): within them,
    /// and at least 0.9 of them for odd orders (attained at 0, a sample point).
    #[test]
    fn sampled_bounds_of_tanh() {
        let exact = crate::theory::derivative_bounds::DerivativeBounds::tanh();
        let sampled = derivative_sup(&parse("tanh(x)").unwrap(), 21).unwrap();
        for (k, &got) in sampled.iter().enumerate().skip(1) {
            let want = exact.sup[k];
            assert!(got >= 0.9 * want || k % 2 == 0, "k = {k}: {got} vs {want}");
            assert!(got <= 3.0 * want, "k = {k}: {got} vs {want}");
        }
    }
}
