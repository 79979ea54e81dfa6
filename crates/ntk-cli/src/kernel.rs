//! `ntk kernel` (being written).

use crate::CliError;

/// Flags of `ntk kernel`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `ntk kernel`.
pub fn run(_args: &Args) -> Result<serde_json::Value, CliError> {
    Err(CliError::Failed("not available yet".into()))
}
