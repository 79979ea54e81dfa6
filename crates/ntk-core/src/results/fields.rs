//! Checks of a result file's arrays and numbers against what its own spec implies, each
//! refusal a [`ResultsError::Field`] naming the field (as a path into the file, e.g.
//! `checkpoints[3].nn.var[7]`), what the file has there and what the spec implies.
//!
//! Field paths are built only when a check fails (a closure), so checking a large file costs
//! one pass over its numbers.

use super::envelope::ResultsError;

/// The refusal of `field`: the file has `found`, the spec implies `expected`.
pub(crate) fn refuse(
    field: impl Into<String>,
    found: impl Into<String>,
    expected: impl Into<String>,
) -> ResultsError {
    ResultsError::Field { field: field.into(), found: found.into(), expected: expected.into() }
}

/// `len` entries where the spec implies `expected` (`why`: what in the spec implies it, with
/// its verb, e.g. "the spec's 50 test points imply"; the message ends with `expected`).
pub(crate) fn len(
    field: impl FnOnce() -> String,
    len: usize,
    expected: usize,
    why: impl FnOnce() -> String,
) -> Result<(), ResultsError> {
    if len == expected {
        return Ok(());
    }
    Err(refuse(field(), entries(len), format!("{} {expected}", why())))
}

/// A number as a message shows it: shortest round-trip decimal, with an exponent when very
/// small or large (`-1e-300`, not three hundred zeros).
pub(crate) fn num(v: f64) -> String {
    let a = v.abs();
    if !v.is_finite() || v == 0.0 || (1e-5..1e16).contains(&a) {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

/// "1 entry", "25 entries".
pub(crate) fn entries(n: usize) -> String {
    if n == 1 {
        "1 entry".to_string()
    } else {
        format!("{n} entries")
    }
}

/// A count, step or index that must equal what the spec implies (`why` as for [`len`]).
pub(crate) fn equal<T: PartialEq + std::fmt::Display>(
    field: impl FnOnce() -> String,
    found: T,
    expected: T,
    why: impl FnOnce() -> String,
) -> Result<(), ResultsError> {
    if found == expected {
        return Ok(());
    }
    Err(refuse(field(), found.to_string(), format!("{} {expected}", why())))
}

/// Every value finite.
pub(crate) fn finite(field: impl FnOnce() -> String, values: &[f64]) -> Result<(), ResultsError> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => {
            Err(refuse(format!("{}[{i}]", field()), num(values[i]), "every number of a result is finite"))
        }
    }
}

/// Every value finite and ≥ 0 (`what`: "a variance", "a loss", …).
pub(crate) fn non_negative(
    field: impl FnOnce() -> String,
    values: &[f64],
    what: &str,
) -> Result<(), ResultsError> {
    match values.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
        None => Ok(()),
        Some(i) => {
            Err(refuse(format!("{}[{i}]", field()), num(values[i]), format!("{what} is a finite number ≥ 0")))
        }
    }
}

/// One finite value ≥ 0.
pub(crate) fn non_negative_one(
    field: impl FnOnce() -> String,
    value: f64,
    what: &str,
) -> Result<(), ResultsError> {
    if value.is_finite() && value >= 0.0 {
        return Ok(());
    }
    Err(refuse(field(), num(value), format!("{what} is a finite number ≥ 0")))
}

/// A kernel–target alignment of a positive semi-definite kernel: finite, in [0, 1] (up to
/// rounding, 1e-9).
pub(crate) fn alignment(field: impl FnOnce() -> String, value: f64) -> Result<(), ResultsError> {
    if value.is_finite() && (-1e-9..=1.0 + 1e-9).contains(&value) {
        return Ok(());
    }
    Err(refuse(field(), num(value), "a kernel–target alignment is a finite number in [0, 1]"))
}

/// Relative tolerance of [`close`]: recomputed summaries may differ from the file's in the last
/// bits (a logarithm of another platform's library), an edited or damaged one by far more.
pub(crate) const RECOMPUTED_TOLERANCE: f64 = 1e-9;

/// Whether `a` and `b` agree within [`RECOMPUTED_TOLERANCE`] (relative).
pub(crate) fn agree(a: f64, b: f64) -> bool {
    agree_above(a, b, 0.0)
}

/// Whether `a` and `b` agree within [`RECOMPUTED_TOLERANCE`] relative to the larger of `|a|`,
/// `|b|` and `unit` (for numbers that are rounding noise when near 0, such as the standard
/// error of a perfect fit).
pub(crate) fn agree_above(a: f64, b: f64, unit: f64) -> bool {
    a == b || (a - b).abs() <= RECOMPUTED_TOLERANCE * a.abs().max(b.abs()).max(unit)
}

/// A number the file states and the spec (or its other numbers) give as `expected`, within
/// [`RECOMPUTED_TOLERANCE`] (`why` as for [`len`], e.g. "its seeds give").
pub(crate) fn close(
    field: impl FnOnce() -> String,
    found: f64,
    expected: f64,
    why: impl FnOnce() -> String,
) -> Result<(), ResultsError> {
    if agree(found, expected) {
        return Ok(());
    }
    Err(refuse(field(), num(found), format!("{} {}", why(), num(expected))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_field_the_value_and_the_expectation() {
        let e =
            len(|| "checkpoints".into(), 11, 22, || "the spec's 200 steps in 22 checkpoints imply".into());
        assert_eq!(
            e.unwrap_err().to_string(),
            "checkpoints: 11 entries, but the spec's 200 steps in 22 checkpoints imply 22"
        );
        let e = non_negative(|| "checkpoints[2].nn.var".into(), &[0.0, 1.0, -0.5], "a variance");
        assert_eq!(
            e.unwrap_err().to_string(),
            "checkpoints[2].nn.var[2]: -0.5, but a variance is a finite number ≥ 0"
        );
        assert!(finite(|| "x".into(), &[1.0, f64::NAN]).unwrap_err().to_string().starts_with("x[1]: NaN"));
        assert!(len(|| unreachable!(), 3, 3, || unreachable!()).is_ok(), "paths are built only on failure");
        assert!(agree(1.0, 1.0 + 1e-12) && !agree(1.0, 1.0 + 1e-6) && agree(-0.0, 0.0));
    }
}
