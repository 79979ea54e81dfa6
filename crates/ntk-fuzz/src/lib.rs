//! The fuzz corpus of the project's readers: valid files of every kind the readers take
//! ([`files`]: ensemble reports and parts, width sweeps and their parts, one-network runs; CSV
//! tables), damaged by a seeded generator the way a crashed job, a full disk or an editor
//! damages them ([`damage`] for JSON, [`tables`] for CSV), and the property every reader must
//! have ([`verdict`]): each damaged file is either refused with a message or, where the damage
//! keeps it consistent, read back with nothing of it dropped or changed — never a panic,
//! never a silent partial read.
//!
//! The generator ([`rng::SplitMix64`]) is the same on every platform, so the same seed gives the
//! same corpus natively (`crates/ntk-fuzz/tests/`) and in the browser (the page's readers, in
//! `tests/data_in.rs`). [`cases_from_env`] reads the number of cases and the seed from
//! `NTK_FUZZ_CASES` and `NTK_FUZZ_SEED` (defaults [`DEFAULT_CASES`], [`DEFAULT_SEED`]).

pub mod damage;
pub mod files;
pub mod rng;
pub mod tables;
pub mod verdict;

/// Damaged copies made of each valid file by default (the test command's run: a few seconds).
pub const DEFAULT_CASES: usize = 150;

/// The default seed of the corpus.
pub const DEFAULT_SEED: u64 = 2019;

/// `(cases per file, seed)`: `NTK_FUZZ_CASES` and `NTK_FUZZ_SEED` when set (a longer run), else
/// the defaults. In the browser, where there is no environment, the defaults.
pub fn cases_from_env() -> (usize, u64) {
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.trim().parse::<u64>().ok());
    let cases = var("NTK_FUZZ_CASES").map_or(DEFAULT_CASES, |c| c as usize);
    (cases, var("NTK_FUZZ_SEED").unwrap_or(DEFAULT_SEED))
}
