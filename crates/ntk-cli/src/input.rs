//! Reading point sets from CSV files: one point per row, comma-separated numbers, no header.

use std::path::{Path, PathBuf};

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
    /// A field is not a finite number.
    #[error("{path}:{line}: '{field}' is not a finite number")]
    NotANumber {
        /// the file
        path: PathBuf,
        /// 1-based line number
        line: usize,
        /// the offending text
        field: String,
    },
    /// A row has a different number of fields than the first row.
    #[error("{path}:{line}: ragged rows: {found} fields, but the first row has {expected}")]
    Ragged {
        /// the file
        path: PathBuf,
        /// 1-based line number
        line: usize,
        /// fields in the first row
        expected: usize,
        /// fields in this row
        found: usize,
    },
    /// No data rows.
    #[error("{0}: no points (the file is empty)")]
    Empty(PathBuf),
    /// A train file needs at least one input column plus the target column.
    #[error("{0}: a training file needs at least 2 columns (inputs, then the target y)")]
    NoTarget(PathBuf),
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

/// Reads a CSV of numbers into rows (every row the same length, at least one row).
///
/// # Errors
/// [`InputError`] for unreadable files, non-numeric fields, ragged rows or no rows.
pub fn read_rows(path: &Path) -> Result<Vec<Vec<f64>>, InputError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| InputError::Read { path: path.to_path_buf(), source })?;
    parse_rows(&text, path)
}

/// Parses CSV text (see [`read_rows`]); `path` is only used in messages.
///
/// # Errors
/// As [`read_rows`].
pub fn parse_rows(text: &str, path: &Path) -> Result<Vec<Vec<f64>>, InputError> {
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let row = line
            .split(',')
            .map(|field| {
                let field = field.trim();
                field.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| InputError::NotANumber {
                    path: path.to_path_buf(),
                    line: i + 1,
                    field: field.to_string(),
                })
            })
            .collect::<Result<Vec<f64>, _>>()?;
        if let Some(first) = rows.first() {
            if first.len() != row.len() {
                return Err(InputError::Ragged {
                    path: path.to_path_buf(),
                    line: i + 1,
                    expected: first.len(),
                    found: row.len(),
                });
            }
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(InputError::Empty(path.to_path_buf()));
    }
    Ok(rows)
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
/// As [`read_rows`], plus [`InputError::NoTarget`] for a single-column file.
pub fn read_train(path: &Path) -> Result<TrainSet, InputError> {
    let rows = read_rows(path)?;
    if rows[0].len() < 2 {
        return Err(InputError::NoTarget(path.to_path_buf()));
    }
    let (x, y) = rows
        .into_iter()
        .map(|mut r| {
            let y = r.pop().unwrap_or_default();
            (r, y)
        })
        .unzip();
    Ok(TrainSet { x, y })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let p = Path::new("t.csv");
        assert_eq!(parse_rows("1,2\n3, 4\n\n", p).unwrap(), vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
        assert!(matches!(parse_rows("1,2\n3\n", p), Err(InputError::Ragged { line: 2, .. })));
        assert!(matches!(parse_rows("1,x\n", p), Err(InputError::NotANumber { .. })));
        assert!(matches!(parse_rows("1,nan\n", p), Err(InputError::NotANumber { .. })));
        assert!(matches!(parse_rows("\n", p), Err(InputError::Empty(_))));
    }
}
