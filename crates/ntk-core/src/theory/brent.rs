//! Brent's method for a bracketed root of a scalar function (scipy's `brentq`), used by the
//! phase diagram for fixed points of the length and correlation maps and for the critical line.

/// Brent's root finder on [a, b] with `f(a) f(b) ≤ 0` (scipy's `brentq`): inverse quadratic
/// interpolation guarded by bisection, to `|Δx| ≤ 2ε|x| + tiny`.
pub(crate) fn brent(mut f: impl FnMut(f64) -> f64, a: f64, b: f64, fa: f64, fb: f64) -> f64 {
    const XTOL: f64 = 1e-300;
    const RTOL: f64 = 4.0 * f64::EPSILON;
    let (mut xpre, mut xcur, mut fpre, mut fcur) = (a, b, fa, fb);
    if fpre == 0.0 {
        return xpre;
    }
    if fcur == 0.0 {
        return xcur;
    }
    let (mut xblk, mut fblk, mut spre, mut scur) = (0.0, 0.0, 0.0, 0.0);
    for _ in 0..200 {
        if fpre != 0.0 && fcur != 0.0 && (fpre < 0.0) != (fcur < 0.0) {
            xblk = xpre;
            fblk = fpre;
            spre = xcur - xpre;
            scur = spre;
        }
        if fblk.abs() < fcur.abs() {
            xpre = xcur;
            xcur = xblk;
            xblk = xpre;
            fpre = fcur;
            fcur = fblk;
            fblk = fpre;
        }
        let delta = (XTOL + RTOL * xcur.abs()) / 2.0;
        let sbis = (xblk - xcur) / 2.0;
        if fcur == 0.0 || sbis.abs() < delta {
            return xcur;
        }
        if spre.abs() > delta && fcur.abs() < fpre.abs() {
            let stry = if xpre == xblk {
                -fcur * (xcur - xpre) / (fcur - fpre)
            } else {
                let dpre = (fpre - fcur) / (xpre - xcur);
                let dblk = (fblk - fcur) / (xblk - xcur);
                -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            };
            if 2.0 * stry.abs() < spre.abs().min(3.0 * sbis.abs() - delta) {
                spre = scur;
                scur = stry;
            } else {
                spre = sbis;
                scur = sbis;
            }
        } else {
            spre = sbis;
            scur = sbis;
        }
        xpre = xcur;
        fpre = fcur;
        xcur += if scur.abs() > delta { scur } else { delta.copysign(sbis) };
        fcur = f(xcur);
    }
    xcur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brent_finds_roots_to_rounding() {
        let f = |x: f64| x * x - 2.0;
        let r = brent(f, 0.0, 2.0, f(0.0), f(2.0));
        assert!((r - 2f64.sqrt()).abs() <= 4.0 * f64::EPSILON * 2f64.sqrt(), "{r}");
        let g = |x: f64| (x - 0.3).powi(3);
        let r = brent(g, -1.0, 1.0, g(-1.0), g(1.0));
        // A triple root is flat: |g| ≤ ε at |x − 0.3| ≲ ε^{1/3}; Brent still brackets it to ulps.
        assert!((r - 0.3).abs() < 1e-12, "{r}");
    }
}
