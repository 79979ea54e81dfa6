//! Self-describing result files: what `ntk ensemble` and `ntk widths` print, the partial
//! results of a sharded run (`--partial`), and how partials are refused or merged.
//!
//! Every file is a JSON object with a [`Kind`], the [`FORMAT_VERSION`], the producer
//! ([`PRODUCER`]), the job's spec and its [`spec_hash`], so that a reader (`ntk merge`, the
//! explorer's "Open results…") can tell what it holds and redraw it, and so that parts of
//! different jobs are never combined.
//!
//! A file from outside is checked before it is believed: [`read_result`] is the one reader of
//! every kind. It checks the kind and the format version, recomputes the spec hash, validates
//! the spec, and then checks every array and number of the file against what the spec implies
//! (the kind's own `check`: the number of checkpoints and their steps, the number of test
//! points, outputs and layers, member and seed counts, divergences, variances and losses ≥ 0,
//! every number finite, summaries equal to what their records give). A file cut short, edited
//! or corrupted is refused with one message naming the field, what the file has there and what
//! the spec implies ([`ResultsError::Field`]); nothing of it is used.
//!
//! The spec hash is FNV-1a (128 bit) of the spec's canonical JSON — `serde_json`'s compact
//! output of the spec struct: fields in declaration order, no white space, every f64 in its
//! shortest round-trip form. A change to any field of the job (data, hyperparameters, seed,
//! number of members, checkpoints) changes the hash. It guards against mixing files by
//! mistake, not against forgery.

pub(crate) mod envelope;
pub(crate) mod fields;
mod file;

pub use envelope::{fnv1a_128, spec_hash, Header, Kind, ResultsError, FORMAT_VERSION, PRODUCER};
pub use file::{merge_parts, read_result, ResultFile};
