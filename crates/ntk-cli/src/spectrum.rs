//! `ntk spectrum`: the train kernels' eigenmodes — eigenvalues of Θ(X, X) and K(X, X), the
//! targets' projections on the eigenvectors, the condition numbers and jitter, and the
//! per-mode residuals `−dᵢ(t) ỹᵢ` at training times (spectral bias; docs/MATH.md), optionally
//! with the Gram matrices' condition numbers against depth.

use std::path::PathBuf;

use nalgebra::DVector;
use ntk_core::theory::gp::{GpError, TrainingTime};
use ntk_core::theory::phase::gram_conditioning;
use ntk_core::theory::spectrum::{KernelSpectrum, TrainSpectra};
use ntk_core::Parameterization;
use serde_json::{json, Value};

use crate::arch_args::ArchArgs;
use crate::data_args::DataArgs;
use crate::input::read_train;
use crate::kernel::to_matrix;
use crate::predict::parse_time;
use crate::CliError;

/// Flags of `ntk spectrum`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub arch: ArchArgs,
    /// Training CSV: one point per row, no header; the last column is the target y.
    #[arg(long, value_name = "FILE", required_unless_present = "data", conflicts_with = "data")]
    pub train: Option<PathBuf>,
    #[command(flatten)]
    pub generated: DataArgs,
    /// Comma-separated gradient-flow times t = η·k (≥ 0, or inf) at which to report the modes.
    #[arg(long, value_name = "T1,T2,…", value_delimiter = ',', num_args = 1.., allow_negative_numbers = true,
          value_parser = parse_time, default_value = "0,1,10,100,inf")]
    pub time: Vec<TrainingTime>,
    /// Learning rate η for --steps (discrete gradient descent, (1 − ηλ/N)^k).
    #[arg(long = "lr", value_name = "ETA", allow_negative_numbers = true, requires = "steps")]
    pub learning_rate: Option<f64>,
    /// Comma-separated step counts k of gradient descent at --lr (instead of --time).
    #[arg(long, value_name = "K1,K2,…", value_delimiter = ',', num_args = 1.., requires = "learning_rate", conflicts_with = "time")]
    pub steps: Option<Vec<u64>>,
    /// Diagonal regularizer added to the train kernels (≥ 0), as in `ntk predict`.
    #[arg(long, value_name = "R", default_value_t = 0.0, allow_negative_numbers = true)]
    pub diag_reg: f64,
    /// Also print the eigenvectors (N × N numbers per kernel).
    #[arg(long)]
    pub vectors: bool,
    /// Also print the condition numbers of K(X, X) and Θ(X, X) for every depth 1 … D.
    #[arg(long, value_name = "D")]
    pub max_depth: Option<usize>,
}

fn gp_error(e: GpError) -> CliError {
    match e {
        GpError::NonFiniteKernel(_) | GpError::Decomposition(_) => CliError::failed(e),
        _ => CliError::bad_input(e),
    }
}

fn spectrum_json(s: &KernelSpectrum, vectors: bool) -> Result<Value, CliError> {
    let mut v = serde_json::to_value(s).map_err(CliError::failed)?;
    if let Some(obj) = v.as_object_mut() {
        if !vectors {
            obj.remove("eigenvectors");
        }
        obj.insert("timescales".into(), json!(s.timescales()));
    }
    Ok(v)
}

fn time_json(t: &TrainingTime) -> Value {
    match *t {
        TrainingTime::Steps { steps, learning_rate } => {
            json!({ "steps": steps, "learning_rate": learning_rate, "time": t.time() })
        }
        _ => json!({ "time": t.time() }),
    }
}

/// Runs `ntk spectrum`.
///
/// # Errors
/// [`CliError::BadInput`] for bad files, hyperparameters or times; [`CliError::Failed`] if a
/// kernel overflows or cannot be decomposed.
pub fn run(args: &Args) -> Result<Value, CliError> {
    let arch = args.arch.architecture(Parameterization::Ntk)?;
    let (train_x, train_y) = match (args.generated.generate()?, &args.train) {
        (Some(d), _) => (d.x_train, d.y_train),
        (None, Some(path)) => {
            let t = read_train(path)?;
            (t.x, t.y)
        }
        (None, None) => return Err(CliError::BadInput("give --train FILE or --data NAME".into())),
    };
    let x = to_matrix(&train_x);
    let y = DVector::from_vec(train_y.clone());
    let times: Vec<TrainingTime> = match (&args.steps, args.learning_rate) {
        (Some(ks), Some(eta)) => {
            ks.iter().map(|&steps| TrainingTime::Steps { steps, learning_rate: eta }).collect()
        }
        _ => args.time.clone(),
    };
    for t in &times {
        t.validate().map_err(CliError::bad_input)?;
    }
    let spectra = TrainSpectra::compute(&arch, &x, &y, args.diag_reg).map_err(gp_error)?;
    let at: Vec<Value> = times
        .iter()
        .map(|t| {
            let mut v = time_json(t);
            v["ntk"] = serde_json::to_value(spectra.ntk.at(*t)).unwrap_or(Value::Null);
            v["nngp"] = serde_json::to_value(spectra.nngp.at(*t)).unwrap_or(Value::Null);
            v
        })
        .collect();
    let mut out = json!({
        "train_points": train_y.len(),
        "ntk": spectrum_json(&spectra.ntk, args.vectors)?,
        "nngp": spectrum_json(&spectra.nngp, args.vectors)?,
        "times": at,
    });
    if let Some(d) = args.max_depth {
        let c = gram_conditioning(arch.activation, arch.sw2, arch.sb2, &x, d).map_err(CliError::bad_input)?;
        out["conditioning"] = serde_json::to_value(c).map_err(CliError::failed)?;
    }
    Ok(out)
}
