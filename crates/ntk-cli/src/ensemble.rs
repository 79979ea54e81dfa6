//! `ntk ensemble` (being written).

use crate::CliError;

/// Flags of `ntk ensemble`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `ntk ensemble`.
pub fn run(_args: &Args) -> Result<serde_json::Value, CliError> {
    Err(CliError::Failed("not available yet".into()))
}
