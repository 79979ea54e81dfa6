//! The generated data sets the page's views train on, by name, for the commands that take them
//! instead of CSV files (`--data NAME --points N --noise S --data-seed S`).

use clap::Args;
use ntk_core::datasets::{named_set, NamedSet};

use std::path::Path;

use crate::input::{read_train_test, TrainTest};
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
    /// The generated set, if `--data` was given.
    ///
    /// # Errors
    /// [`CliError::BadInput`] for an unknown name or a bad noise level.
    pub fn generate(&self) -> Result<Option<NamedSet>, CliError> {
        let Some(name) = &self.data else { return Ok(None) };
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(CliError::BadInput(
                format!("--noise must be a finite number ≥ 0, got {}", self.noise).into(),
            ));
        }
        named_set(name, self.points, self.noise, self.data_seed).map(Some).map_err(CliError::bad_input)
    }

    /// The points a training command trains and tests on: the generated set of `--data`, or
    /// the `--train` and `--test` files (the one data reader of every training command).
    ///
    /// # Errors
    /// As [`DataArgs::generate`] and [`read_train_test`]; [`CliError::BadInput`] when neither
    /// `--data` nor both files are given.
    pub fn train_test(
        &self,
        train: Option<&Path>,
        test: Option<&Path>,
        test_has_y: bool,
    ) -> Result<TrainTest, CliError> {
        if let Some(d) = self.generate()? {
            return Ok(TrainTest {
                x_train: d.x_train,
                y_train: d.y_train,
                x_test: d.x_test,
                y_test: Some(d.y_test),
            });
        }
        let (Some(train), Some(test)) = (train, test) else {
            return Err(CliError::BadInput("give --train and --test files, or --data NAME".into()));
        };
        Ok(read_train_test(train, test, test_has_y)?)
    }
}
