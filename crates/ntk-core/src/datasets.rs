//! Synthetic 1-D regression data sets (the neural-tangents cookbook's noisy sine, and a step),
//! seeded so that a link with the same seed shows the same points.

use serde::{Deserialize, Serialize};

use crate::rng::Normal;

/// Number of test points on the plotting grid.
pub const TEST_POINTS: usize = 101;
/// Inputs are drawn from, and tested on, [−π, π] (as in the cookbook).
pub const X_RANGE: (f64, f64) = (-std::f64::consts::PI, std::f64::consts::PI);

/// Which target function the training points sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target1d {
    /// y = sin x (the neural-tangents cookbook)
    Sin,
    /// y = sign x (a discontinuity the kernels must smooth over)
    Step,
}

impl Target1d {
    /// Every target name, for selects and the URL.
    pub const NAMES: [&'static str; 2] = ["sin", "step"];

    /// The noiseless target y(x).
    pub fn eval(self, x: f64) -> f64 {
        match self {
            Target1d::Sin => x.sin(),
            Target1d::Step => {
                if x < 0.0 {
                    -1.0
                } else {
                    1.0
                }
            }
        }
    }

    /// Its name in the URL and the UI.
    pub fn name(self) -> &'static str {
        match self {
            Target1d::Sin => "sin",
            Target1d::Step => "step",
        }
    }

    /// Parses a name of [`Target1d::NAMES`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sin" => Some(Target1d::Sin),
            "step" => Some(Target1d::Step),
            _ => None,
        }
    }
}

/// A 1-D regression problem: training points with noisy targets, and a test grid with the
/// noiseless targets.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset1d {
    /// training inputs (sorted)
    pub x_train: Vec<f64>,
    /// training targets y = target(x) + noise·z, z ~ N(0, 1)
    pub y_train: Vec<f64>,
    /// test grid: [`TEST_POINTS`] evenly spaced points of [`X_RANGE`]
    pub x_test: Vec<f64>,
    /// noiseless targets on the test grid
    pub y_test: Vec<f64>,
}

impl Dataset1d {
    /// `n_train` inputs uniform on [−π, π] (seeded), targets with Gaussian noise of standard
    /// deviation `noise`.
    pub fn generate(target: Target1d, n_train: usize, noise: f64, seed: u64) -> Self {
        let (lo, hi) = X_RANGE;
        let mut rng = Normal::new(seed);
        let mut x_train: Vec<f64> = (0..n_train).map(|_| lo + (hi - lo) * rng.uniform()).collect();
        x_train.sort_by(f64::total_cmp);
        let y_train = x_train.iter().map(|&x| target.eval(x) + noise * rng.sample()).collect();
        let x_test: Vec<f64> =
            (0..TEST_POINTS).map(|i| lo + (hi - lo) * i as f64 / (TEST_POINTS - 1) as f64).collect();
        let y_test = x_test.iter().map(|&x| target.eval(x)).collect();
        Dataset1d { x_train, y_train, x_test, y_test }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_points_in_range_with_noise_of_the_right_size() {
        let a = Dataset1d::generate(Target1d::Sin, 400, 0.1, 3);
        assert_eq!(a, Dataset1d::generate(Target1d::Sin, 400, 0.1, 3));
        assert_ne!(a, Dataset1d::generate(Target1d::Sin, 400, 0.1, 4));
        assert!(a.x_train.iter().all(|x| (-std::f64::consts::PI..std::f64::consts::PI).contains(x)));
        assert!(a.x_train.windows(2).all(|w| w[0] <= w[1]));
        let resid: Vec<f64> = a.x_train.iter().zip(&a.y_train).map(|(x, y)| y - x.sin()).collect();
        let sd = (resid.iter().map(|r| r * r).sum::<f64>() / resid.len() as f64).sqrt();
        // 400 draws: the sample sd of N(0, 0.1²) is within 0.1·(1 ± 4/√800) w.p. > 0.9999.
        assert!((sd - 0.1).abs() < 0.1 * 4.0 / 800f64.sqrt(), "noise sd {sd}");
        assert_eq!(a.x_test.len(), TEST_POINTS);
        assert_eq!(a.x_test[0], -std::f64::consts::PI);
        assert!((a.x_test[TEST_POINTS - 1] - std::f64::consts::PI).abs() < 1e-15);
        let step = Dataset1d::generate(Target1d::Step, 5, 0.0, 1);
        assert!(step.x_train.iter().zip(&step.y_train).all(|(x, y)| *y == if *x < 0.0 { -1.0 } else { 1.0 }));
    }
}
