//! The loss and optimizer flags shared by `ntk ensemble` and `ntk single`.

use clap::Args;
use ntk_core::nets::loss::Loss;
use ntk_core::nets::optimizer::OptimizerKind;

use crate::CliError;

/// `--loss mse|xent --optimizer gd|momentum|sgd --batch-size B --momentum BETA`
#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
    /// Loss: mse (1/(2N) Σ (f − y)²) or xent (binary cross-entropy log(1 + e^{−y f}) on labels
    /// ±1).
    #[arg(long, default_value = "mse", value_name = "mse|xent")]
    pub loss: Loss,
    /// Optimizer: gd (full batch), momentum (full batch, β = --momentum, default 0.9) or sgd
    /// (minibatches of --batch-size points drawn without replacement each step, seeded; β =
    /// --momentum, default 0). Without it: sgd if --batch-size is given, momentum if
    /// --momentum > 0, else gd.
    #[arg(long, value_name = "gd|momentum|sgd")]
    pub optimizer: Option<OptimizerKind>,
    /// Minibatch size B of sgd (1 ≤ B ≤ number of training points).
    #[arg(long, value_name = "B")]
    pub batch_size: Option<usize>,
    /// Momentum β ∈ [0, 1) (paper SM B.1).
    #[arg(long, value_name = "BETA", allow_negative_numbers = true)]
    pub momentum: Option<f64>,
}

/// What the flags mean: momentum β and the minibatch size (None: full batch).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Optimizer {
    /// β
    pub momentum: f64,
    /// B
    pub batch_size: Option<usize>,
}

impl TrainArgs {
    /// The optimizer the flags describe.
    ///
    /// # Errors
    /// [`CliError::BadInput`] for a combination that says two things: `gd` with momentum, a
    /// full-batch optimizer with `--batch-size`, `sgd` without it.
    pub fn optimizer(&self) -> Result<Optimizer, CliError> {
        let bad = |m: &str| Err(CliError::BadInput(m.to_string().into()));
        let kind = self.optimizer.unwrap_or(match (self.batch_size, self.momentum) {
            (Some(_), _) => OptimizerKind::Sgd,
            (None, Some(b)) if b != 0.0 => OptimizerKind::Momentum,
            _ => OptimizerKind::Gd,
        });
        match kind {
            OptimizerKind::Gd => {
                if self.momentum.is_some_and(|b| b != 0.0) {
                    return bad(
                        "--optimizer gd has no momentum: use --optimizer momentum (or sgd) with --momentum",
                    );
                }
                if self.batch_size.is_some() {
                    return bad("--optimizer gd uses every point: use --optimizer sgd with --batch-size");
                }
                Ok(Optimizer { momentum: 0.0, batch_size: None })
            }
            OptimizerKind::Momentum => {
                if self.batch_size.is_some() {
                    return bad(
                        "--optimizer momentum uses every point: use --optimizer sgd with --batch-size",
                    );
                }
                Ok(Optimizer { momentum: self.momentum.unwrap_or(0.9), batch_size: None })
            }
            OptimizerKind::Sgd => match self.batch_size {
                None => bad("--optimizer sgd needs --batch-size B"),
                Some(b) => Ok(Optimizer { momentum: self.momentum.unwrap_or(0.0), batch_size: Some(b) }),
            },
        }
    }
}
