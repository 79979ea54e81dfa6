//! (being written)

use crate::CliError;

/// Flags.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs it.
pub fn run(_args: &Args) -> Result<serde_json::Value, CliError> {
    Err(CliError::Failed("not available yet".into()))
}
