//! `ntk merge`: combines the part files of a sharded `ntk ensemble` or `ntk widths` run into
//! exactly what the whole run prints, refusing parts of different jobs or releases, parts that
//! overlap, and incomplete sets (naming the missing members or runs). Each part is read by the
//! core's one reader ([`read_result`]), which checks it against its own spec first: a part cut
//! short or edited is refused with its file name and the field that is wrong.

use std::path::PathBuf;

use ntk_core::results::{merge_parts, read_result, ResultFile};

use crate::CliError;

/// Flags of `ntk merge`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The part files (written by --partial), in any order.
    #[arg(value_name = "PART", required = true, num_args = 1..)]
    parts: Vec<PathBuf>,
}

/// Runs `ntk merge`.
///
/// # Errors
/// [`CliError::BadInput`] for unreadable files and every refusal of the merge.
pub fn run(args: &Args) -> Result<serde_json::Value, CliError> {
    let labels: Vec<String> = args.parts.iter().map(|p| p.display().to_string()).collect();
    let parts = args
        .parts
        .iter()
        .zip(&labels)
        .map(|(path, label)| {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::BadInput(format!("cannot read {label}: {e}").into()))?;
            read_result(&text).map_err(|e| CliError::BadInput(format!("{label}: {e}").into()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let merged = merge_parts(parts, &labels).map_err(CliError::bad_input)?;
    match merged {
        ResultFile::Ensemble(r) => serde_json::to_value(r),
        ResultFile::Widths(r) => serde_json::to_value(r),
        ResultFile::EnsemblePartial(p) => serde_json::to_value(p),
        ResultFile::WidthsPartial(p) => serde_json::to_value(p),
        ResultFile::Single(r) => serde_json::to_value(r),
    }
    .map_err(CliError::failed)
}
