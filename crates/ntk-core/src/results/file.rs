//! The reader of every kind of result file ([`read_result`], [`ResultFile`]) and the merge of
//! the parts of a sharded run ([`merge_parts`]): the one place that knows every kind.

use serde::Deserialize;

use super::envelope::{Header, Kind, ResultsError};
use crate::experiments::single::SingleReport;
use crate::experiments::widths::{WidthsPartial, WidthsReport};
use crate::nets::ensemble::{EnsemblePartial, EnsembleReport};

/// Any result file, read by its kind.
#[derive(Clone, Debug, PartialEq)]
pub enum ResultFile {
    /// `ntk ensemble` / `ntk merge` of ensemble parts
    Ensemble(Box<EnsembleReport>),
    /// `ntk ensemble --partial`
    EnsemblePartial(Box<EnsemblePartial>),
    /// `ntk widths` / `ntk merge` of width parts
    Widths(Box<WidthsReport>),
    /// `ntk widths --partial`
    WidthsPartial(Box<WidthsPartial>),
    /// `ntk single` (and the one-network view's export)
    Single(Box<SingleReport>),
}

impl ResultFile {
    /// The file's header.
    pub fn header(&self) -> &Header {
        match self {
            ResultFile::Ensemble(r) => &r.header,
            ResultFile::EnsemblePartial(p) => &p.header,
            ResultFile::Widths(r) => &r.header,
            ResultFile::WidthsPartial(p) => &p.header,
            ResultFile::Single(r) => &r.header,
        }
    }

    /// Checks the file against its own spec (its kind's `check`: header, spec, every array
    /// and number; see the module documentation).
    ///
    /// # Errors
    /// As [`EnsembleReport::check`], [`EnsemblePartial::check`], [`WidthsReport::check`],
    /// [`WidthsPartial::check`], [`SingleReport::check`].
    pub fn check(&self) -> Result<(), ResultsError> {
        match self {
            ResultFile::Ensemble(r) => r.check(),
            ResultFile::EnsemblePartial(p) => p.check(),
            ResultFile::Widths(r) => r.check(),
            ResultFile::WidthsPartial(p) => p.check(),
            ResultFile::Single(r) => r.check(),
        }
    }
}

#[derive(Deserialize)]
struct KindOnly {
    kind: Kind,
}

/// Reads any result file, the one reader of every kind (`ntk merge`, the page's "Open
/// results…"): its `kind` first, then the whole file as that kind, then
/// [`ResultFile::check`] (format version, spec hash, the spec, every array and number against
/// what the spec implies).
///
/// # Errors
/// [`ResultsError::Json`] for text that is not a result file, and as [`ResultFile::check`].
pub fn read_result(json: &str) -> Result<ResultFile, ResultsError> {
    let bad = |e: serde_json::Error| ResultsError::Json(e.to_string());
    let KindOnly { kind } = serde_json::from_str(json).map_err(bad)?;
    let file = match kind {
        Kind::Ensemble => ResultFile::Ensemble(Box::new(serde_json::from_str(json).map_err(bad)?)),
        Kind::EnsemblePartial => {
            ResultFile::EnsemblePartial(Box::new(serde_json::from_str(json).map_err(bad)?))
        }
        Kind::Widths => ResultFile::Widths(Box::new(serde_json::from_str(json).map_err(bad)?)),
        Kind::WidthsPartial => ResultFile::WidthsPartial(Box::new(serde_json::from_str(json).map_err(bad)?)),
        Kind::Single => ResultFile::Single(Box::new(serde_json::from_str(json).map_err(bad)?)),
    };
    file.check()?;
    Ok(file)
}

/// Merges parts (all ensemble parts or all width parts) into the report of the whole job:
/// [`crate::nets::ensemble::merge_ensemble_partials`] or
/// [`crate::experiments::widths::merge_widths_partials`]. `labels` name the parts in messages
/// (file names); missing labels are replaced by "part i".
///
/// # Errors
/// [`ResultsError::NoParts`], [`ResultsError::Kind`] for a whole report or a mix of ensemble
/// and width parts, and the refusals of the merges.
pub fn merge_parts(parts: Vec<ResultFile>, labels: &[String]) -> Result<ResultFile, ResultsError> {
    let first = parts.first().ok_or(ResultsError::NoParts)?;
    match first {
        ResultFile::EnsemblePartial(_) => {
            let ens = parts
                .into_iter()
                .map(|p| match p {
                    ResultFile::EnsemblePartial(p) => Ok(*p),
                    other => Err(ResultsError::Kind {
                        found: other.header().kind.name(),
                        expected: "ensemble_partial",
                    }),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ResultFile::Ensemble(Box::new(crate::nets::ensemble::merge_ensemble_partials(&ens, labels)?)))
        }
        ResultFile::WidthsPartial(_) => {
            let w = parts
                .into_iter()
                .map(|p| match p {
                    ResultFile::WidthsPartial(p) => Ok(*p),
                    other => Err(ResultsError::Kind {
                        found: other.header().kind.name(),
                        expected: "widths_partial",
                    }),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ResultFile::Widths(Box::new(crate::experiments::widths::merge_widths_partials(&w, labels)?)))
        }
        other => Err(ResultsError::Kind {
            found: other.header().kind.name(),
            expected: "ensemble_partial or widths_partial",
        }),
    }
}
