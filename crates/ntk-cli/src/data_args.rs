//! The generated data sets the page's views train on, by name, for the commands that take them
//! instead of CSV files (`--data NAME --points N --noise S --data-seed S`).

use clap::Args;
use ntk_core::datasets::{named_set, ExplicitData};

use std::path::PathBuf;

use crate::input::read_train_test;
use crate::CliError;

/// `--data NAME --points N --noise S --data-seed S`
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// A generated set (the page's): sin, step, surface (with --noise), xor, circles, spirals
    /// (exact ±1 labels); its test points are the page's grid with their noiseless targets.
    #[arg(long, value_name = "NAME")]
    pub data: Option<String>,
    /// Training points of --data.
    #[arg(long, value_name = "N", default_value_t = 32, requires = "data")]
    pub points: usize,
    /// Target noise (standard deviation) of a regression --data set.
    #[arg(long, value_name = "S", default_value_t = 0.0, requires = "data")]
    pub noise: f64,
    /// Seed of the --data draws.
    #[arg(long, value_name = "S", default_value_t = 0, requires = "data")]
    pub data_seed: u64,
}

impl DataArgs {
    /// The generated set, if `--data` was given, with its test grid and the noiseless targets
    /// there.
    ///
    /// # Errors
    /// [`CliError::BadInput`] for an unknown name or a bad noise level.
    pub fn generate(&self) -> Result<Option<ExplicitData>, CliError> {
        let Some(name) = &self.data else { return Ok(None) };
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(CliError::BadInput(
                format!("--noise must be a finite number ≥ 0, got {}", self.noise).into(),
            ));
        }
        named_set(name, self.points, self.noise, self.data_seed).map(Some).map_err(CliError::bad_input)
    }
}

/// Where a training command's points come from: `--train FILE --test FILE [--test-has-y]`, or
/// a generated set (`--data NAME …`, [`DataArgs`]).
#[derive(Args, Debug, Clone)]
pub struct TrainTestArgs {
    /// Training CSV: inputs, then the target y in the last column (±1 labels for --loss xent).
    #[arg(
        long,
        value_name = "FILE",
        requires = "test",
        required_unless_present = "data",
        conflicts_with = "data"
    )]
    pub train: Option<PathBuf>,
    /// Test CSV: inputs only (or inputs then y with --test-has-y).
    #[arg(long, value_name = "FILE", requires = "train", conflicts_with = "data")]
    pub test: Option<PathBuf>,
    /// The last column of the test file is the target (enables test losses and accuracies).
    #[arg(long, conflicts_with = "data")]
    pub test_has_y: bool,
    /// Instead of the files: a generated set of the page's (its data seed is the page's seed).
    #[command(flatten)]
    pub generated: DataArgs,
}

impl TrainTestArgs {
    /// The points a training command trains and tests on: the generated set of `--data`, or
    /// the `--train` and `--test` files (the one data reader of every training command).
    ///
    /// # Errors
    /// As [`DataArgs::generate`] and [`read_train_test`]; [`CliError::BadInput`] when neither
    /// `--data` nor both files are given.
    pub fn read(&self) -> Result<ExplicitData, CliError> {
        if let Some(d) = self.generated.generate()? {
            return Ok(d);
        }
        let (Some(train), Some(test)) = (&self.train, &self.test) else {
            return Err(CliError::BadInput("give --train and --test files, or --data NAME".into()));
        };
        Ok(read_train_test(train, test, self.test_has_y)?)
    }
}
