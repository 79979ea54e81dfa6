//! The one error for a setting outside its accepted range ([`RangeError`]), shared by every
//! spec's error enum. The accepted range is data ([`Expected`]), built from the limits'
//! constants, so a message never repeats a limit by hand.

use std::fmt;

/// What a setting must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// an integer in `min ..= max`
    Integers {
        /// smallest accepted value
        min: u64,
        /// largest accepted value
        max: u64,
    },
    /// an integer at most this
    AtMost(u64),
    /// a finite number > 0
    Positive,
    /// a finite number ≥ 0
    NonNegative,
    /// a condition in words, for a range that is not one of the above (`0 ≤ β < 1`, or
    /// one that depends on another setting)
    Words(&'static str),
}

/// `n` in digits, with thousands separators from five digits up (`1000`, `65,536`).
fn digits(n: u64) -> String {
    let s = n.to_string();
    if s.len() < 5 {
        return s;
    }
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Expected {
    /// `1 ..= 65,536`, `at most 10,000,000`, `a finite number > 0`, …
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Expected::Integers { min, max } => write!(f, "{} ..= {}", digits(min), digits(max)),
            Expected::AtMost(max) => write!(f, "at most {}", digits(max)),
            Expected::Positive => f.write_str("a finite number > 0"),
            Expected::NonNegative => f.write_str("a finite number ≥ 0"),
            Expected::Words(w) => f.write_str(w),
        }
    }
}

/// A setting outside its accepted range: `steps out of range: 0 (1 ..= 10,000,000)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RangeError {
    /// which setting
    pub what: &'static str,
    /// its value
    pub value: f64,
    /// what it must be
    pub expected: Expected,
    /// what the range counts, if it needs saying (`step 0 and the final step included`)
    pub note: Option<&'static str>,
}

impl fmt::Display for RangeError {
    /// `{what} out of range: {value} ({expected})`, or `… ({expected} ({note}))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} out of range: {} ({}", self.what, self.value, self.expected)?;
        match self.note {
            Some(note) => write!(f, " ({note}))"),
            None => f.write_str(")"),
        }
    }
}

impl std::error::Error for RangeError {}

impl RangeError {
    /// `Err` naming `what` unless `ok`.
    ///
    /// # Errors
    /// The [`RangeError`] of `what`, `value` and `expected` when `ok` is false.
    pub fn check(what: &'static str, value: f64, ok: bool, expected: Expected) -> Result<(), RangeError> {
        if ok {
            Ok(())
        } else {
            Err(RangeError { what, value, expected, note: None })
        }
    }

    /// `Ok` for an integer `value` in `min ..= max`.
    ///
    /// # Errors
    /// [`Expected::Integers`] naming `what` otherwise.
    pub fn integers(what: &'static str, value: u64, min: u64, max: u64) -> Result<(), RangeError> {
        Self::check(what, value as f64, (min..=max).contains(&value), Expected::Integers { min, max })
    }

    /// `Ok` for a count in `1 ..= max` (points, seeds, widths).
    ///
    /// # Errors
    /// [`Expected::Integers`] naming `what` otherwise.
    pub fn count(what: &'static str, value: usize, max: usize) -> Result<(), RangeError> {
        Self::integers(what, value as u64, 1, max as u64)
    }

    /// `Ok` for an integer `value` at most `max`.
    ///
    /// # Errors
    /// [`Expected::AtMost`] naming `what` otherwise.
    pub fn at_most(what: &'static str, value: u64, max: u64) -> Result<(), RangeError> {
        Self::check(what, value as f64, value <= max, Expected::AtMost(max))
    }

    /// `Ok` for a finite `value` > 0.
    ///
    /// # Errors
    /// [`Expected::Positive`] naming `what` otherwise.
    pub fn positive(what: &'static str, value: f64) -> Result<(), RangeError> {
        Self::check(what, value, value.is_finite() && value > 0.0, Expected::Positive)
    }

    /// `Ok` for a finite `value` ≥ 0.
    ///
    /// # Errors
    /// [`Expected::NonNegative`] naming `what` otherwise.
    pub fn non_negative(what: &'static str, value: f64) -> Result<(), RangeError> {
        Self::check(what, value, value.is_finite() && value >= 0.0, Expected::NonNegative)
    }

    /// The same error with a note on what the range counts.
    pub fn with_note(self, note: &'static str) -> RangeError {
        RangeError { note: Some(note), ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_built_from_the_limits() {
        let e = |r: Result<(), RangeError>| r.unwrap_err().to_string();
        assert_eq!(e(RangeError::count("seeds", 0, 1000)), "seeds out of range: 0 (1 ..= 1000)");
        assert_eq!(e(RangeError::count("width", 70_000, 65536)), "width out of range: 70000 (1 ..= 65,536)");
        assert_eq!(
            e(RangeError::at_most("steps", 10_000_001, 10_000_000)),
            "steps out of range: 10000001 (at most 10,000,000)"
        );
        assert_eq!(
            e(RangeError::positive("learning rate", -1.0)),
            "learning rate out of range: -1 (a finite number > 0)"
        );
        assert_eq!(
            e(RangeError::non_negative("noise", f64::NAN)),
            "noise out of range: NaN (a finite number ≥ 0)"
        );
        assert_eq!(
            e(RangeError::integers("checkpoints", 1, 2, 10_000)
                .map_err(|r| r.with_note("step 0 and the final step included"))),
            "checkpoints out of range: 1 (2 ..= 10,000 (step 0 and the final step included))"
        );
        assert!(RangeError::count("seeds", 1000, 1000).is_ok());
    }
}
