//! Streaming mean and variance (Welford's update) with exact merging of partial results (Chan,
//! Golub & LeVeque), so that ensemble members can run in any split — threads, web workers — and
//! be combined afterwards.

use serde::{Deserialize, Serialize};

/// Count, mean and sum of squared deviations `M₂ = Σ (xᵢ − x̄)²` of a stream of numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Running {
    /// number of values
    pub count: u64,
    /// their mean
    pub mean: f64,
    /// Σ (xᵢ − mean)²
    pub m2: f64,
}

impl Running {
    /// Adds one value (Welford: `δ = x − x̄`, `x̄ += δ/n`, `M₂ += δ (x − x̄)`).
    pub fn push(&mut self, x: f64) {
        self.count += 1;
        let d = x - self.mean;
        self.mean += d / self.count as f64;
        self.m2 += d * (x - self.mean);
    }

    /// The statistics of the single value x: count 1, mean x, M₂ = 0 (what [`Running::push`]
    /// gives on an empty stream).
    pub fn singleton(x: f64) -> Self {
        Running { count: 1, mean: x, m2: 0.0 }
    }

    /// Combines with the statistics of a disjoint set (Chan et al.:
    /// `x̄ = x̄_a + δ n_b/n`, `M₂ = M₂a + M₂b + δ² n_a n_b/n`, δ = x̄_b − x̄_a).
    pub fn merge(&mut self, other: &Running) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        let d = other.mean - self.mean;
        self.mean += d * nb / n;
        self.m2 += other.m2 + d * d * na * nb / n;
        self.count += other.count;
    }

    /// Unbiased sample variance `M₂/(n − 1)` (0 for fewer than two values).
    pub fn variance(&self) -> f64 {
        if self.count < 2 {
            0.0
        } else {
            self.m2 / (self.count - 1) as f64
        }
    }
}

/// Element-wise [`Running`] statistics of a stream of equal-length vectors.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunningVec {
    /// per-component statistics
    pub items: Vec<Running>,
}

impl RunningVec {
    /// Statistics of vectors of length `len`, no values yet.
    pub fn new(len: usize) -> Self {
        RunningVec { items: vec![Running::default(); len] }
    }

    /// Adds one vector (must have the length given at construction).
    pub fn push(&mut self, x: &[f64]) {
        for (r, &v) in self.items.iter_mut().zip(x) {
            r.push(v);
        }
    }

    /// Combines with the statistics of a disjoint set of vectors.
    pub fn merge(&mut self, other: &RunningVec) {
        for (r, o) in self.items.iter_mut().zip(&other.items) {
            r.merge(o);
        }
    }

    /// Merges the vector x as a set of one ([`Running::singleton`] per component, then
    /// [`Running::merge`]): folding members in a fixed order this way gives the same bits
    /// however the members were grouped before.
    pub fn merge_singletons(&mut self, x: &[f64]) {
        for (r, &v) in self.items.iter_mut().zip(x) {
            r.merge(&Running::singleton(v));
        }
    }

    /// Component means.
    pub fn mean(&self) -> Vec<f64> {
        self.items.iter().map(|r| r.mean).collect()
    }

    /// Component unbiased variances.
    pub fn variance(&self) -> Vec<f64> {
        self.items.iter().map(Running::variance).collect()
    }
}

/// Mean and spread over seeds of one metric.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// number of seeds
    pub count: usize,
    /// mean
    pub mean: f64,
    /// unbiased standard deviation (0 for one seed)
    pub sd: f64,
    /// smallest value
    pub min: f64,
    /// largest value
    pub max: f64,
}

impl Spread {
    /// The spread of `values`, `None` if there are none.
    pub fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        let mut r = Running::default();
        values.iter().for_each(|&v| r.push(v));
        Some(Spread {
            count: values.len(),
            mean: r.mean,
            sd: r.variance().sqrt(),
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }
}

/// A least-squares power law `y ≈ e^a x^s`: the fit of `log y = a + s log x`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PowerLawFit {
    /// slope s of log y against log x (compare with [`REFERENCE_SLOPES`](crate::experiments::widths::REFERENCE_SLOPES))
    pub slope: f64,
    /// intercept a (natural logarithms): `log y = a + s log x`
    pub intercept: f64,
    /// number of points used (finite and positive)
    pub points: usize,
    /// standard error of the slope, `√(Σ r²/(p − 2) / Σ (log x − mean)²)`; `None` for 2 points
    pub slope_stderr: Option<f64>,
}

impl PowerLawFit {
    /// The fitted `e^a x^s`.
    pub fn at(&self, x: f64) -> f64 {
        (self.intercept + self.slope * x.ln()).exp()
    }
}

/// Why a slope could not be fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    /// `xs` and `ys` differ in length.
    #[error("{xs} x values but {ys} y values")]
    LengthMismatch {
        /// number of x values
        xs: usize,
        /// number of y values
        ys: usize,
    },
    /// Fewer than 2 points with finite positive x and y.
    #[error("a slope needs at least 2 points with finite positive x and y, got {usable}")]
    TooFewPoints {
        /// usable points
        usable: usize,
    },
    /// Every usable point has the same x.
    #[error("all usable points have the same x: the slope is undefined")]
    SameX,
}

/// Least-squares slope and intercept of `log y` against `log x` over the points with finite
/// positive x and y: `s = Σ (u − ū)(v − v̄) / Σ (u − ū)²`, `a = v̄ − s ū`, u = ln x, v = ln y
/// (the slopes of the log-log plots of Figure 1 and Figure S5).
///
/// # Errors
/// [`FitError`] for different lengths, fewer than 2 usable points, or all x equal.
pub fn fit_slope(xs: &[f64], ys: &[f64]) -> Result<PowerLawFit, FitError> {
    if xs.len() != ys.len() {
        return Err(FitError::LengthMismatch { xs: xs.len(), ys: ys.len() });
    }
    let ok = |v: f64| v.is_finite() && v > 0.0;
    let pts: Vec<(f64, f64)> =
        xs.iter().zip(ys).filter(|(&x, &y)| ok(x) && ok(y)).map(|(x, y)| (x.ln(), y.ln())).collect();
    let p = pts.len();
    if p < 2 {
        return Err(FitError::TooFewPoints { usable: p });
    }
    let (u_bar, v_bar) = {
        let (su, sv) = pts.iter().fold((0.0, 0.0), |(a, b), (u, v)| (a + u, b + v));
        (su / p as f64, sv / p as f64)
    };
    let suu: f64 = pts.iter().map(|(u, _)| (u - u_bar).powi(2)).sum();
    let suv: f64 = pts.iter().map(|(u, v)| (u - u_bar) * (v - v_bar)).sum();
    if suu <= 0.0 {
        return Err(FitError::SameX);
    }
    let slope = suv / suu;
    let intercept = v_bar - slope * u_bar;
    let slope_stderr = (p > 2).then(|| {
        let ssr: f64 = pts.iter().map(|(u, v)| (v - intercept - slope * u).powi(2)).sum();
        (ssr / (p - 2) as f64 / suu).sqrt()
    });
    Ok(PowerLawFit { slope, intercept, points: p, slope_stderr })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_equals_sequential() {
        let xs: Vec<f64> = (0..37).map(|i| ((i * 7919) % 101) as f64 * 0.37 - 3.0).collect();
        let mut all = Running::default();
        xs.iter().for_each(|&x| all.push(x));
        let (mut a, mut b) = (Running::default(), Running::default());
        xs[..11].iter().for_each(|&x| a.push(x));
        xs[11..].iter().for_each(|&x| b.push(x));
        b.merge(&a);
        // Both are exact-arithmetic identities; rounding differs by a few ulps.
        assert_eq!(all.count, b.count);
        assert!((all.mean - b.mean).abs() < 1e-13 * all.mean.abs().max(1.0));
        assert!((all.m2 - b.m2).abs() < 1e-12 * all.m2);
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64;
        assert!((all.variance() - var).abs() < 1e-12 * var);
    }

    #[test]
    fn fit_slope_recovers_an_exact_power_law() {
        // y = 3 x^{−0.5}: exact up to rounding of ln and exp (a few ulps of values ≈ 10).
        let xs: Vec<f64> = (5..12).map(|k| f64::from(1u32 << k)).collect();
        let ys: Vec<f64> = xs.iter().map(|x| 3.0 * x.powf(-0.5)).collect();
        let f = fit_slope(&xs, &ys).unwrap();
        assert!((f.slope + 0.5).abs() < 1e-13, "{f:?}");
        assert!((f.intercept - 3f64.ln()).abs() < 1e-12, "{f:?}");
        assert!(f.slope_stderr.unwrap() < 1e-12);
        assert!((f.at(100.0) - 0.3).abs() < 1e-13);
        assert_eq!(f.points, 7);
        // Non-finite and non-positive points are skipped, not propagated.
        let mut ys2 = ys.clone();
        ys2[1] = f64::NAN;
        ys2[2] = 0.0;
        ys2[3] = -1.0;
        let g = fit_slope(&xs, &ys2).unwrap();
        assert_eq!(g.points, 4);
        assert!((g.slope + 0.5).abs() < 1e-13);
        // Exactly two points: no standard error.
        assert_eq!(fit_slope(&[2.0, 8.0], &[1.0, 4.0]).unwrap().slope_stderr, None);
        assert!((fit_slope(&[2.0, 8.0], &[1.0, 4.0]).unwrap().slope - 1.0).abs() < 1e-15);
    }

    #[test]
    fn fit_slope_errors_are_typed() {
        assert_eq!(fit_slope(&[1.0], &[1.0, 2.0]), Err(FitError::LengthMismatch { xs: 1, ys: 2 }));
        assert_eq!(fit_slope(&[1.0, 2.0], &[1.0, f64::NAN]), Err(FitError::TooFewPoints { usable: 1 }));
        assert_eq!(fit_slope(&[], &[]), Err(FitError::TooFewPoints { usable: 0 }));
        assert_eq!(fit_slope(&[4.0, 4.0], &[1.0, 2.0]), Err(FitError::SameX));
    }

    #[test]
    fn spread_by_hand() {
        let s = Spread::of(&[1.0, 2.0, 6.0]).unwrap();
        assert_eq!((s.count, s.min, s.max), (3, 1.0, 6.0));
        assert!((s.mean - 3.0).abs() < 1e-15);
        // Σ (x − 3)² = 4 + 1 + 9 = 14, /2 → 7.
        assert!((s.sd - 7f64.sqrt()).abs() < 1e-15);
        assert_eq!(Spread::of(&[]), None);
    }
}
