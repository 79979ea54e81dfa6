//! What the sharded runs share: the `--member-range A..B` and `--shard I/S` flags, and writing
//! a part file so that a killed process never leaves a truncated one.

use std::ops::Range;
use std::path::Path;

use crate::CliError;

/// Shard `index` of `count` (`--shard I/S`, 0 ≤ I < S).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// I
    pub index: usize,
    /// S
    pub count: usize,
}

impl Shard {
    /// Its members of a job of `members`: `⌊I·M/S⌋..⌊(I+1)·M/S⌋` (contiguous, the shards of
    /// one S cover 0..M once, sizes differ by at most one).
    pub fn members(self, members: usize) -> Range<usize> {
        (self.index * members / self.count)..((self.index + 1) * members / self.count)
    }
}

/// Parses `A..B` (0 ≤ A ≤ B).
pub fn parse_range(s: &str) -> Result<Range<usize>, String> {
    let (a, b) = s.split_once("..").ok_or_else(|| format!("'{s}' is not a range A..B (e.g. 0..25)"))?;
    let num =
        |t: &str| t.trim().parse::<usize>().map_err(|_| format!("'{t}' in '{s}' is not a whole number ≥ 0"));
    let (a, b) = (num(a)?, num(b)?);
    if a > b {
        return Err(format!("the range {a}..{b} is backwards (start after end)"));
    }
    Ok(a..b)
}

/// Parses `I/S` (0 ≤ I < S).
pub fn parse_shard(s: &str) -> Result<Shard, String> {
    let (i, n) = s.split_once('/').ok_or_else(|| format!("'{s}' is not a shard I/S (e.g. 0/4)"))?;
    let num =
        |t: &str| t.trim().parse::<usize>().map_err(|_| format!("'{t}' in '{s}' is not a whole number ≥ 0"));
    let (index, count) = (num(i)?, num(n)?);
    if count == 0 || index >= count {
        return Err(format!("shard {index}/{count}: need 0 ≤ I < S"));
    }
    Ok(Shard { index, count })
}

/// Writes `value` as JSON to `path`: to `path.tmp` first, then renamed, so the file is either
/// complete or absent.
///
/// # Errors
/// [`CliError::BadInput`] if the file cannot be written.
pub fn write_partial<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string(value).map_err(CliError::failed)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let io = |e: std::io::Error| CliError::BadInput(format!("cannot write {}: {e}", path.display()).into());
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_member_once() {
        for m in [0, 1, 7, 100] {
            for s in 1..=9 {
                let all: Vec<usize> = (0..s).flat_map(|i| Shard { index: i, count: s }.members(m)).collect();
                assert_eq!(all, (0..m).collect::<Vec<_>>(), "{m} members, {s} shards");
            }
        }
        assert_eq!(parse_range("3..7"), Ok(3..7));
        assert!(parse_range("7..3").is_err() && parse_range("3-7").is_err() && parse_range("a..3").is_err());
        assert_eq!(parse_shard("1/4"), Ok(Shard { index: 1, count: 4 }));
        assert!(parse_shard("4/4").is_err() && parse_shard("0/0").is_err() && parse_shard("1").is_err());
    }
}
