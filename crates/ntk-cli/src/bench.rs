//! `ntk bench` (being written).

use crate::CliError;

/// Flags of `ntk bench`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `ntk bench`.
pub fn run(_args: &Args) -> Result<serde_json::Value, CliError> {
    Err(CliError::Failed("not available yet".into()))
}
