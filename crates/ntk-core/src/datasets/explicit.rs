//! Explicit training and test points ([`ExplicitData`]): the one type of the data every run on
//! given points carries (ensembles, one-network runs, width sweeps and trainability grids on
//! points, the CLI's files, the page's data sets), with its one validation ([`DataError`]).
//!
//! A leaf of the core: it uses no other module of the crate, so every spec can embed it.
//! Specs embed it with `#[serde(flatten)]` (or as a newtype variant of a tagged enum): its
//! four keys `x_train`, `y_train`, `x_test`, `y_test` stay where the specs had them, so their
//! JSON and spec hashes are those of the specs that defined the four fields themselves.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Training inputs with their targets, and test inputs with their targets when known.
///
/// Valid data ([`ExplicitData::validate`]) has at least one training point, every point (training
/// and test) of the same dimension d ≥ 1, one target per point, and finite values only. The
/// test set may be empty.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExplicitData {
    /// training inputs, one point per entry
    pub x_train: Vec<Vec<f64>>,
    /// training targets, one per training point (±1 labels for cross-entropy)
    pub y_train: Vec<f64>,
    /// test inputs, one point per entry
    pub x_test: Vec<Vec<f64>>,
    /// test targets, one per test point, when known (they enable test losses and accuracies);
    /// absent from a file: none
    #[serde(default)]
    pub y_test: Option<Vec<f64>>,
}

/// Which of the two point sets a [`DataError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointSet {
    /// the training points
    Training,
    /// the test points
    Test,
}

impl fmt::Display for PointSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PointSet::Training => "training",
            PointSet::Test => "test",
        })
    }
}

/// Explicit data that cannot be trained on: the first inconsistency found, with its values.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DataError {
    /// No training points.
    #[error("no training points")]
    NoTrainingPoints,
    /// The first training point has no coordinates.
    #[error("points need at least one coordinate, the first training point has none")]
    ZeroDimension,
    /// A point whose dimension is not the first training point's.
    #[error("{set} point {index} has dimension {dim}, the first training point {expected}")]
    Dimension {
        /// the set of the point
        set: PointSet,
        /// its index in the set
        index: usize,
        /// its dimension
        dim: usize,
        /// the first training point's dimension
        expected: usize,
    },
    /// Not one training target per training point.
    #[error("{points} training points but {targets} targets")]
    TrainTargets {
        /// number of training points
        points: usize,
        /// number of training targets
        targets: usize,
    },
    /// Not one test target per test point.
    #[error("{points} test points but {targets} test targets")]
    TestTargets {
        /// number of test points
        points: usize,
        /// number of test targets
        targets: usize,
    },
    /// A value that is not a finite number.
    #[error("{what} must be finite, got {value}")]
    NotFinite {
        /// `"training inputs"`, `"training targets"`, `"test inputs"` or `"test targets"`
        what: &'static str,
        /// the first such value
        value: f64,
    },
}

/// Checks training points and targets alone (what [`ExplicitData::validate`] checks of them):
/// at least one point, every point of the first one's dimension d ≥ 1, one target per point,
/// finite values. Returns d.
///
/// # Errors
/// The [`DataError`] of the first inconsistency.
pub fn check_training(x_train: &[Vec<f64>], y_train: &[f64]) -> Result<usize, DataError> {
    let first = x_train.first().ok_or(DataError::NoTrainingPoints)?;
    let d = first.len();
    if d == 0 {
        return Err(DataError::ZeroDimension);
    }
    if y_train.len() != x_train.len() {
        return Err(DataError::TrainTargets { points: x_train.len(), targets: y_train.len() });
    }
    check_dimension(PointSet::Training, x_train, d)?;
    check_finite("training inputs", x_train.iter().flatten())?;
    check_finite("training targets", y_train)?;
    Ok(d)
}

fn check_dimension(set: PointSet, points: &[Vec<f64>], expected: usize) -> Result<(), DataError> {
    match points.iter().enumerate().find(|(_, p)| p.len() != expected) {
        Some((index, p)) => Err(DataError::Dimension { set, index, dim: p.len(), expected }),
        None => Ok(()),
    }
}

fn check_finite<'a>(what: &'static str, values: impl IntoIterator<Item = &'a f64>) -> Result<(), DataError> {
    match values.into_iter().find(|v| !v.is_finite()) {
        Some(&value) => Err(DataError::NotFinite { what, value }),
        None => Ok(()),
    }
}

impl ExplicitData {
    /// Data of one-dimensional points: each input `x` becomes the point `[x]`.
    pub fn from_1d(x_train: &[f64], y_train: Vec<f64>, x_test: &[f64], y_test: Option<Vec<f64>>) -> Self {
        let points = |x: &[f64]| x.iter().map(|&x| vec![x]).collect();
        ExplicitData { x_train: points(x_train), y_train, x_test: points(x_test), y_test }
    }

    /// Checks the data: the training set as [`check_training`], then every test point of the
    /// training points' dimension, one test target per test point when there are test targets,
    /// and finite test values.
    ///
    /// # Errors
    /// The [`DataError`] of the first inconsistency.
    pub fn validate(&self) -> Result<(), DataError> {
        let d = check_training(&self.x_train, &self.y_train)?;
        check_dimension(PointSet::Test, &self.x_test, d)?;
        if let Some(y) = &self.y_test {
            if y.len() != self.x_test.len() {
                return Err(DataError::TestTargets { points: self.x_test.len(), targets: y.len() });
            }
        }
        check_finite("test inputs", self.x_test.iter().flatten())?;
        check_finite("test targets", self.y_test.iter().flatten())
    }

    /// Number of training points N.
    pub fn n_train(&self) -> usize {
        self.x_train.len()
    }

    /// Number of test points.
    pub fn n_test(&self) -> usize {
        self.x_test.len()
    }

    /// Input dimension d: that of the first training point (of the first test point when
    /// there are no training points; 1 when there are no points at all).
    pub fn input_dim(&self) -> usize {
        self.x_train.first().or(self.x_test.first()).map_or(1, Vec::len)
    }

    /// Whether the test targets are known.
    pub fn has_test_targets(&self) -> bool {
        self.y_test.is_some()
    }

    /// The training inputs, point after point, in one vector (N·d values).
    pub fn x_train_flat(&self) -> Vec<f64> {
        self.x_train.iter().flatten().copied().collect()
    }

    /// The test inputs, point after point, in one vector.
    pub fn x_test_flat(&self) -> Vec<f64> {
        self.x_test.iter().flatten().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> ExplicitData {
        ExplicitData {
            x_train: vec![vec![0.0, 1.0], vec![2.0, 3.0], vec![-1.0, 0.5]],
            y_train: vec![1.0, -1.0, 0.5],
            x_test: vec![vec![0.25, 0.25]],
            y_test: Some(vec![0.0]),
        }
    }

    #[test]
    fn valid_data_passes_and_its_accessors_count_it() {
        let d = ok();
        d.validate().unwrap();
        assert_eq!((d.n_train(), d.n_test(), d.input_dim()), (3, 1, 2));
        assert!(d.has_test_targets());
        assert_eq!(d.x_train_flat(), vec![0.0, 1.0, 2.0, 3.0, -1.0, 0.5]);
        assert_eq!(d.x_test_flat(), vec![0.25, 0.25]);
        // No test targets, and no test points at all, are valid.
        ExplicitData { y_test: None, ..ok() }.validate().unwrap();
        ExplicitData { x_test: vec![], y_test: Some(vec![]), ..ok() }.validate().unwrap();
        let one = ExplicitData::from_1d(&[1.0, 2.0], vec![3.0, 4.0], &[0.5], None);
        assert_eq!(one.x_train, vec![vec![1.0], vec![2.0]]);
        assert_eq!(one.x_test, vec![vec![0.5]]);
        assert_eq!(one.input_dim(), 1);
        one.validate().unwrap();
    }

    #[test]
    fn every_inconsistency_is_refused_with_its_values() {
        let err = |d: ExplicitData| d.validate().unwrap_err();
        assert_eq!(
            err(ExplicitData { x_train: vec![], y_train: vec![], ..ok() }),
            DataError::NoTrainingPoints
        );
        assert_eq!(err(ExplicitData { x_train: vec![vec![]; 3], ..ok() }), DataError::ZeroDimension);
        // One target too many, and one too few.
        let e = err(ExplicitData { y_train: vec![1.0; 4], ..ok() });
        assert_eq!(e, DataError::TrainTargets { points: 3, targets: 4 });
        assert_eq!(e.to_string(), "3 training points but 4 targets");
        assert_eq!(
            err(ExplicitData { y_train: vec![1.0; 2], ..ok() }),
            DataError::TrainTargets { points: 3, targets: 2 }
        );
        let mut d = ok();
        d.x_train[2] = vec![1.0];
        assert_eq!(err(d), DataError::Dimension { set: PointSet::Training, index: 2, dim: 1, expected: 2 });
        let mut d = ok();
        d.x_test[0] = vec![1.0, 2.0, 3.0];
        let e = err(d);
        assert_eq!(e, DataError::Dimension { set: PointSet::Test, index: 0, dim: 3, expected: 2 });
        assert_eq!(e.to_string(), "test point 0 has dimension 3, the first training point 2");
        let e = err(ExplicitData { y_test: Some(vec![0.0, 1.0]), ..ok() });
        assert_eq!(e, DataError::TestTargets { points: 1, targets: 2 });
        assert_eq!(e.to_string(), "1 test points but 2 test targets");
        assert_eq!(
            err(ExplicitData { y_test: Some(vec![]), ..ok() }),
            DataError::TestTargets { points: 1, targets: 0 }
        );
        // Non-finite values, wherever they are.
        let mut d = ok();
        d.x_train[1][0] = f64::NAN;
        assert!(matches!(err(d), DataError::NotFinite { what: "training inputs", value } if value.is_nan()));
        let mut d = ok();
        d.y_train[0] = f64::INFINITY;
        let e = err(d);
        assert_eq!(e, DataError::NotFinite { what: "training targets", value: f64::INFINITY });
        assert_eq!(e.to_string(), "training targets must be finite, got inf");
        let mut d = ok();
        d.x_test[0][1] = f64::NEG_INFINITY;
        assert_eq!(err(d), DataError::NotFinite { what: "test inputs", value: f64::NEG_INFINITY });
        let e = err(ExplicitData { y_test: Some(vec![f64::INFINITY]), ..ok() });
        assert_eq!(e, DataError::NotFinite { what: "test targets", value: f64::INFINITY });
        // The training set alone.
        assert_eq!(check_training(&[vec![1.0], vec![2.0]], &[0.0, 0.0]), Ok(1));
        assert_eq!(
            check_training(&[vec![1.0]], &[0.0, 0.0]),
            Err(DataError::TrainTargets { points: 1, targets: 2 })
        );
    }

    #[test]
    fn its_json_has_the_four_keys_in_order() {
        let json = serde_json::to_string(&ok()).unwrap();
        assert_eq!(
            json,
            r#"{"x_train":[[0.0,1.0],[2.0,3.0],[-1.0,0.5]],"y_train":[1.0,-1.0,0.5],"x_test":[[0.25,0.25]],"y_test":[0.0]}"#
        );
        let absent: ExplicitData =
            serde_json::from_str(r#"{"x_train":[[1.0]],"y_train":[2.0],"x_test":[]}"#).unwrap();
        assert_eq!(absent.y_test, None);
    }
}
