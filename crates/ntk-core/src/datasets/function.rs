//! Regression data sampled from a target given as a function of the input (the explorer's
//! "target as a formula": the formula is compiled elsewhere into an `Fn(&[f64]) -> f64`).

use super::{ExplicitData, GRID_SIDE, TEST_POINTS, X_RANGE};
use crate::rng::Normal;

/// Most training points drawn from a function target.
pub const MAX_SAMPLED_POINTS: usize = 100_000;

/// A function target that cannot be sampled as asked.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SampleError {
    /// Only 1-D and 2-D inputs are sampled.
    #[error("inputs of dimension {0} cannot be sampled (1 or 2)")]
    Dimension(usize),
    /// No points, or more than [`MAX_SAMPLED_POINTS`].
    #[error("{0} training points requested (1 to {MAX_SAMPLED_POINTS})")]
    Points(usize),
    /// A negative or non-finite noise level.
    #[error("noise standard deviation {0} (a finite number ≥ 0)")]
    Noise(f64),
    /// The target is not a finite number at some input.
    #[error("the target is {value} at x = {x:?} (it must be finite on [−π, π])")]
    NotFinite {
        /// the input
        x: Vec<f64>,
        /// the target's value there
        value: f64,
    },
}

/// Samples `y = g(x) + noise·z` at `n` inputs uniform on [−π, π]^`dim` (seeded, sorted in 1-D):
/// the training points, with the plotting grid ([`TEST_POINTS`] points in 1-D, [`GRID_SIDE`]²
/// in 2-D, as [`super::Dataset1d::x_test`] and [`super::Dataset2d::x_grid`]) as the test points
/// and the noiseless `g` there as their targets. The draws are those of
/// [`super::Dataset1d::generate`] and [`super::Dataset2d::generate`] (inputs first, then the
/// noise), so `g = sin x` with the same seed gives exactly the built-in noisy sine.
///
/// # Errors
/// [`SampleError`] for a dimension other than 1 or 2, `n` = 0 or above
/// [`MAX_SAMPLED_POINTS`], a negative or non-finite noise, or a non-finite `g(x)`.
pub fn sample_function<G>(
    dim: usize,
    n: usize,
    noise: f64,
    seed: u64,
    g: G,
) -> Result<ExplicitData, SampleError>
where
    G: Fn(&[f64]) -> f64,
{
    if !(1..=2).contains(&dim) {
        return Err(SampleError::Dimension(dim));
    }
    if n == 0 || n > MAX_SAMPLED_POINTS {
        return Err(SampleError::Points(n));
    }
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(SampleError::Noise(noise));
    }
    let (lo, hi) = X_RANGE;
    let mut rng = Normal::new(seed);
    let mut x_train: Vec<Vec<f64>> =
        (0..n).map(|_| (0..dim).map(|_| lo + (hi - lo) * rng.uniform()).collect()).collect();
    if dim == 1 {
        x_train.sort_by(|a, b| a[0].total_cmp(&b[0]));
    }
    let x_test: Vec<Vec<f64>> = if dim == 1 {
        (0..TEST_POINTS).map(|i| vec![lo + (hi - lo) * i as f64 / (TEST_POINTS - 1) as f64]).collect()
    } else {
        let axis: Vec<f64> =
            (0..GRID_SIDE).map(|i| lo + (hi - lo) * i as f64 / (GRID_SIDE - 1) as f64).collect();
        axis.iter().flat_map(|&x2| axis.iter().map(move |&x1| vec![x1, x2])).collect()
    };
    let eval = |x: &Vec<f64>| {
        let value = g(x);
        if value.is_finite() {
            Ok(value)
        } else {
            Err(SampleError::NotFinite { x: x.clone(), value })
        }
    };
    let clean: Vec<f64> = x_train.iter().map(eval).collect::<Result<_, _>>()?;
    let y_train = clean.into_iter().map(|y| y + noise * rng.sample()).collect();
    let y_test = x_test.iter().map(eval).collect::<Result<_, _>>()?;
    Ok(ExplicitData { x_train, y_train, x_test, y_test: Some(y_test) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::{Dataset1d, Dataset2d, Target1d, Target2d};

    #[test]
    fn the_built_in_targets_are_reproduced_exactly() {
        let s = sample_function(1, 40, 0.3, 9, |x| libm::sin(x[0])).unwrap();
        let d = Dataset1d::generate(Target1d::Sin, 40, 0.3, 9);
        assert_eq!(s.x_train.iter().map(|x| x[0]).collect::<Vec<_>>(), d.x_train);
        assert_eq!(s.y_train, d.y_train);
        assert_eq!(s.x_test.iter().map(|x| x[0]).collect::<Vec<_>>(), d.x_test);
        assert_eq!(s.y_test, Some(d.y_test));
        let s = sample_function(2, 30, 0.2, 4, |x| Target2d::Surface.eval([x[0], x[1]])).unwrap();
        let d = Dataset2d::generate(Target2d::Surface, 30, 0.2, 4);
        assert_eq!(s.x_train, d.x_train.iter().map(|x| x.to_vec()).collect::<Vec<_>>());
        assert_eq!(s.y_train, d.y_train);
        assert_eq!(s.x_test, d.x_grid.iter().map(|x| x.to_vec()).collect::<Vec<_>>());
        assert_eq!(s.y_test, Some(d.y_grid));
    }

    #[test]
    fn bad_requests_are_refused_with_the_value() {
        let g = |x: &[f64]| x[0];
        assert_eq!(sample_function(3, 5, 0.0, 1, g), Err(SampleError::Dimension(3)));
        assert_eq!(sample_function(1, 0, 0.0, 1, g), Err(SampleError::Points(0)));
        assert!(matches!(sample_function(1, 5, -0.1, 1, g), Err(SampleError::Noise(_))));
        assert!(matches!(sample_function(1, 5, f64::NAN, 1, g), Err(SampleError::Noise(_))));
        let err = sample_function(1, 5, 0.0, 1, |x: &[f64]| 1.0 / x[0]).unwrap_err();
        // the test grid has an odd number of points, so x = 0 is on it
        assert!(matches!(err, SampleError::NotFinite { ref x, .. } if x == &vec![0.0]), "{err:?}");
    }
}
