//! The envelope of every result file: its [`Header`] (kind, format version, producer, spec
//! hash), the hash itself, and [`ResultsError`], the refusals of the readers and merges.
//! Knows the experiments only through their error types, so that the experiments can write
//! and check their files with it (the reader of every kind is `results/file.rs`).

use serde::{Deserialize, Serialize};

use crate::experiments::single::spec::SingleError;
use crate::experiments::widths::spec::WidthError;
use crate::nets::ensemble::EnsembleError;

/// Version of the file layout; files of another version are refused.
pub const FORMAT_VERSION: u32 = 1;

/// The library that wrote a file: parts written by different releases are refused (their
/// arithmetic may differ).
pub const PRODUCER: &str = concat!("ntk-core ", env!("CARGO_PKG_VERSION"));

/// What a result file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// the statistics of a whole ensemble job ([`EnsembleReport`](crate::nets::ensemble::EnsembleReport))
    Ensemble,
    /// the per-member records of a range of an ensemble job ([`EnsemblePartial`](crate::nets::ensemble::EnsemblePartial))
    EnsemblePartial,
    /// a whole width sweep ([`WidthsReport`](crate::experiments::widths::WidthsReport))
    Widths,
    /// some (width, axis value, seed) runs of a width sweep ([`WidthsPartial`](crate::experiments::widths::WidthsPartial))
    WidthsPartial,
    /// one network beside its linearization
    /// ([`SingleReport`](crate::experiments::single::SingleReport))
    Single,
}

impl Kind {
    /// Its name in the files.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ensemble => "ensemble",
            Kind::EnsemblePartial => "ensemble_partial",
            Kind::Widths => "widths",
            Kind::WidthsPartial => "widths_partial",
            Kind::Single => "single",
        }
    }
}

/// FNV-1a, 128 bit: `h = offset; for each byte b: h = (h ⊕ b) · prime (mod 2¹²⁸)`, with the
/// offset basis 0x6c62272e07bb014262b821756295c58d and the prime 2⁸⁸ + 0x13b.
pub fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    bytes.iter().fold(OFFSET, |h, &b| (h ^ b as u128).wrapping_mul(PRIME))
}

/// The hash of a spec: `"fnv1a128:"` and 32 hex digits of [`fnv1a_128`] of its canonical JSON
/// (see the module documentation).
///
/// # Errors
/// [`ResultsError::Json`] if the spec cannot be serialized (it always can for the project's
/// specs, whose numbers are finite once validated).
pub fn spec_hash<T: Serialize>(spec: &T) -> Result<String, ResultsError> {
    let json = serde_json::to_vec(spec).map_err(|e| ResultsError::Json(e.to_string()))?;
    Ok(format!("fnv1a128:{:032x}", fnv1a_128(&json)))
}

/// A result file that cannot be read, or parts that cannot be merged.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ResultsError {
    /// Not JSON of the expected shape.
    #[error("not a result file of this program: {0}")]
    Json(String),
    /// A file of another kind than expected.
    #[error("a file of kind '{found}' where kind '{expected}' was expected")]
    Kind {
        /// the kind found
        found: &'static str,
        /// what was expected
        expected: &'static str,
    },
    /// A file of another layout version.
    #[error("file format version {found}, but this program reads version {FORMAT_VERSION}")]
    Format {
        /// its version
        found: u32,
    },
    /// Parts written by different releases.
    #[error("written by {found}, but the other parts by {expected}: run every part with the same release")]
    Producer {
        /// this part's producer
        found: String,
        /// the first part's producer
        expected: String,
    },
    /// A file whose spec does not have the hash it states (edited by hand, or corrupted).
    #[error("the spec hashes to {computed}, but the file states {stated} (edited or corrupted)")]
    HashMismatch {
        /// the hash in the file
        stated: String,
        /// the hash of its spec
        computed: String,
    },
    /// Parts of different jobs.
    #[error("parts of different jobs: {first} has spec hash {first_hash}, {other} has {other_hash}")]
    DifferentJobs {
        /// the first part
        first: String,
        /// its hash
        first_hash: String,
        /// the part of another job
        other: String,
        /// its hash
        other_hash: String,
    },
    /// Two parts with some of the same runs.
    #[error("overlapping parts: {0}")]
    Overlap(String),
    /// Runs that no part holds.
    #[error("incomplete: {0}")]
    Missing(String),
    /// A part whose content does not match its own description.
    #[error("inconsistent part: {0}")]
    Inconsistent(String),
    /// A field whose length or value is not what the file's own spec implies (a file cut
    /// short, edited or corrupted).
    #[error("{field}: {found}, but {expected}")]
    Field {
        /// where in the file, e.g. `checkpoints[3].nn.var`
        field: String,
        /// what the file has there: a length or a value
        found: String,
        /// what the spec implies instead
        expected: String,
    },
    /// A part's own problem, with the part's name.
    #[error("{part}: {source}")]
    InPart {
        /// the part (file name)
        part: String,
        /// its problem
        source: Box<ResultsError>,
    },
    /// Nothing to merge.
    #[error("no parts to merge")]
    NoParts,
    /// Parts each valid whose records do not merge into a valid report (numbers so large that
    /// their statistics overflow).
    #[error("the parts' records do not make a valid report: {0}")]
    MergedInvalid(Box<ResultsError>),
    /// The ensemble machinery refused the records.
    #[error(transparent)]
    Ensemble(#[from] EnsembleError),
    /// The width sweep refused the points.
    #[error(transparent)]
    Widths(#[from] WidthError),
    /// The spec of a one-network run is invalid.
    #[error(transparent)]
    Single(#[from] SingleError),
}

/// The header every result file starts with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// what the file holds
    pub kind: Kind,
    /// [`FORMAT_VERSION`] of its writer
    pub format: u32,
    /// [`PRODUCER`] of its writer
    pub producer: String,
    /// [`spec_hash`] of its spec
    pub spec_hash: String,
}

impl Header {
    /// The header of a new file of kind `kind` for `spec`.
    ///
    /// # Errors
    /// As [`spec_hash`].
    pub fn new<T: Serialize>(kind: Kind, spec: &T) -> Result<Header, ResultsError> {
        Ok(Header {
            kind,
            format: FORMAT_VERSION,
            producer: PRODUCER.to_string(),
            spec_hash: spec_hash(spec)?,
        })
    }

    /// Checks the kind, the format version and that `spec` has the stated hash.
    ///
    /// # Errors
    /// [`ResultsError::Kind`], [`ResultsError::Format`], [`ResultsError::HashMismatch`].
    pub fn check<T: Serialize>(&self, expected: Kind, spec: &T) -> Result<(), ResultsError> {
        if self.kind != expected {
            return Err(ResultsError::Kind { found: self.kind.name(), expected: expected.name() });
        }
        if self.format != FORMAT_VERSION {
            return Err(ResultsError::Format { found: self.format });
        }
        let computed = spec_hash(spec)?;
        if computed != self.spec_hash {
            return Err(ResultsError::HashMismatch { stated: self.spec_hash.clone(), computed });
        }
        Ok(())
    }

    /// Checks that `other` (labelled `other_label`) is a part of the same job, written by the same
    /// producer, as `self` (labelled `label`).
    ///
    /// # Errors
    /// [`ResultsError::DifferentJobs`], [`ResultsError::Producer`].
    pub fn check_same_job(&self, label: &str, other: &Header, other_label: &str) -> Result<(), ResultsError> {
        if other.spec_hash != self.spec_hash {
            return Err(ResultsError::DifferentJobs {
                first: label.to_string(),
                first_hash: self.spec_hash.clone(),
                other: other_label.to_string(),
                other_hash: other.spec_hash.clone(),
            });
        }
        if other.producer != self.producer {
            return Err(ResultsError::Producer {
                found: other.producer.clone(),
                expected: self.producer.clone(),
            });
        }
        Ok(())
    }
}

/// The label of part `i`: `labels[i]`, or "part i".
pub(crate) fn label(labels: &[String], i: usize) -> String {
    labels.get(i).cloned().unwrap_or_else(|| format!("part {i}"))
}

/// Consecutive integers as ranges: `[0, 1, 2, 5, 7, 8]` → `"0..3, 5, 7..9"`.
pub(crate) fn ranges_text(values: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i;
        while j + 1 < values.len() && values[j + 1] == values[j] + 1 {
            j += 1;
        }
        out.push(if i == j { values[i].to_string() } else { format!("{}..{}", values[i], values[j] + 1) });
        i = j + 1;
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_128_matches_the_published_test_vectors() {
        // The empty input hashes to the offset basis; "a" and "foobar" as in the reference
        // implementation's test suite (and recomputed with Python's arbitrary-precision
        // integers: h = (h ^ b) * (2**88 + 0x13b) % 2**128).
        assert_eq!(fnv1a_128(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(fnv1a_128(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
        assert_eq!(fnv1a_128(b"foobar"), 0x343e1662793c64bf6f0d3597ba446f18);
    }

    #[test]
    fn ranges_are_written_compactly() {
        assert_eq!(ranges_text(&[0, 1, 2, 5, 7, 8]), "0..3, 5, 7..9");
        assert_eq!(ranges_text(&[]), "");
    }
}
