//! `ntk kernel`: the analytic NNGP kernel K and NTK Θ between two point sets (paper SM E).

use std::path::PathBuf;

use nalgebra::DMatrix;
use ntk_core::theory::kernels::kernels;
use ntk_core::Parameterization;
use serde_json::json;

use crate::arch_args::ArchArgs;
use crate::input::{read_rows, same_dimension};
use crate::CliError;

/// Flags of `ntk kernel`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub arch: ArchArgs,
    /// CSV of points (one per row, no header): the rows of K and Θ.
    #[arg(long, value_name = "FILE")]
    pub x1: PathBuf,
    /// CSV of points: the columns of K and Θ (default: the points of --x1).
    #[arg(long, value_name = "FILE")]
    pub x2: Option<PathBuf>,
}

/// Rows of numbers into a matrix with one point per row.
pub fn to_matrix(rows: &[Vec<f64>]) -> DMatrix<f64> {
    let d = rows.first().map_or(0, Vec::len);
    DMatrix::from_fn(rows.len(), d, |i, j| rows[i][j])
}

/// A matrix as JSON rows.
pub fn rows_json(m: &DMatrix<f64>) -> serde_json::Value {
    json!(m.row_iter().map(|r| r.iter().copied().collect::<Vec<f64>>()).collect::<Vec<_>>())
}

/// Runs `ntk kernel`: `{"nngp": [[…]], "ntk": [[…]]}` with rows = points of x1.
///
/// # Errors
/// [`CliError::BadInput`] for bad files or hyperparameters.
pub fn run(args: &Args) -> Result<serde_json::Value, CliError> {
    let arch = args.arch.architecture(Parameterization::Ntk)?;
    let x1 = read_rows(&args.x1)?;
    let x2 = match &args.x2 {
        Some(p) => {
            let x2 = read_rows(p)?;
            same_dimension(&x1, &args.x1, &x2, p)?;
            x2
        }
        None => x1.clone(),
    };
    let k = kernels(&arch, &to_matrix(&x1), &to_matrix(&x2)).map_err(CliError::bad_input)?;
    Ok(json!({ "nngp": rows_json(&k.nngp), "ntk": rows_json(&k.ntk) }))
}
