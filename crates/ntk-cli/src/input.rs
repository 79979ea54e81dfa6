//! Reading point sets from CSV files, in the format of [`ntk_core::datasets::csv`] (the same
//! files the explorer accepts): one point per line, optional header, `,` `;` tab or space
//! separated, `#` comment lines.

use std::path::{Path, PathBuf};

use ntk_core::datasets::csv::{parse_table_bytes, split_targets, CsvError, CsvLimits};
use ntk_core::datasets::ExplicitData;

/// A problem with an input file, with the file and the place in it.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// the file
        path: PathBuf,
        /// why
        source: std::io::Error,
    },
    /// The file is not a table of numbers (the line and column are in `source`).
    #[error("{path}: {source}")]
    Csv {
        /// the file
        path: PathBuf,
        /// what and where
        source: CsvError,
    },
    /// Two point sets of different input dimension.
    #[error("dimension mismatch: {a} has {da}-dimensional points, {b} has {db}-dimensional points")]
    DimensionMismatch {
        /// first file
        a: PathBuf,
        /// its dimension
        da: usize,
        /// second file
        b: PathBuf,
        /// its dimension
        db: usize,
    },
}

/// Reads a CSV of numbers into rows (every row the same length, at least one row), within
/// [`CsvLimits::DEFAULT`].
///
/// # Errors
/// [`InputError`] for unreadable or too large files, and for every [`CsvError`].
pub fn read_rows(path: &Path) -> Result<Vec<Vec<f64>>, InputError> {
    Ok(read_table(path)?.rows)
}

fn read_table(path: &Path) -> Result<ntk_core::datasets::csv::Table, InputError> {
    let limits = CsvLimits::DEFAULT;
    let csv = |source| InputError::Csv { path: path.to_path_buf(), source };
    let read = |source| InputError::Read { path: path.to_path_buf(), source };
    let size = std::fs::metadata(path).map_err(read)?.len();
    if size > limits.max_bytes as u64 {
        return Err(csv(CsvError::TooLarge { bytes: size as usize, max: limits.max_bytes }));
    }
    let bytes = std::fs::read(path).map_err(read)?;
    parse_table_bytes(&bytes, &limits).map_err(csv)
}

/// A training set: inputs (rows) and targets (the last column of the file).
pub struct TrainSet {
    /// input points, one per row
    pub x: Vec<Vec<f64>>,
    /// targets y
    pub y: Vec<f64>,
}

/// Reads a training CSV: inputs, then the target y in the last column.
///
/// # Errors
/// As [`read_rows`], plus [`CsvError::Columns`] for a single-column file.
pub fn read_train(path: &Path) -> Result<TrainSet, InputError> {
    let points = split_targets(read_table(path)?)
        .map_err(|source| InputError::Csv { path: path.to_path_buf(), source })?;
    Ok(TrainSet { x: points.x, y: points.y })
}

/// Checks that two point sets have the same input dimension.
///
/// # Errors
/// [`InputError::DimensionMismatch`] naming both files.
pub fn same_dimension(a: &[Vec<f64>], pa: &Path, b: &[Vec<f64>], pb: &Path) -> Result<(), InputError> {
    let (da, db) = (a[0].len(), b[0].len());
    if da != db {
        return Err(InputError::DimensionMismatch { a: pa.to_path_buf(), da, b: pb.to_path_buf(), db });
    }
    Ok(())
}

/// Reads the training and test points of a training command: the training CSV (targets in the
/// last column) and the test CSV (inputs only, or inputs then y when `test_has_y`, its targets),
/// checked to have the same input dimension.
///
/// # Errors
/// As [`read_train`] and [`read_rows`], and [`InputError::DimensionMismatch`].
pub fn read_train_test(train: &Path, test: &Path, test_has_y: bool) -> Result<ExplicitData, InputError> {
    let t = read_train(train)?;
    let (x_test, y_test) = if test_has_y {
        let s = read_train(test)?;
        (s.x, Some(s.y))
    } else {
        (read_rows(test)?, None)
    };
    same_dimension(&t.x, train, &x_test, test)?;
    Ok(ExplicitData { x_train: t.x, y_train: t.y, x_test, y_test })
}
