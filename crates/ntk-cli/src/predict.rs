//! `ntk predict` (being written).

use crate::CliError;

/// Flags of `ntk predict`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `ntk predict`.
pub fn run(_args: &Args) -> Result<serde_json::Value, CliError> {
    Err(CliError::Failed("not available yet".into()))
}
