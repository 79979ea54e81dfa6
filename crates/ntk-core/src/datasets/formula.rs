//! A 1-D target typed as a formula in x, `y = f(x)`, in the expression language of typed
//! activations ([`crate::custom_phi`]: numbers, x, + − × / ^, and the functions it names). The
//! formula must be finite on the training range [`X_RANGE`]; the data set's points are drawn
//! as for the built-in targets ([`Dataset1d::generate_with`]).

use std::fmt;

use super::{Dataset1d, X_RANGE};
use crate::custom_phi::parse::parse;
use crate::custom_phi::program::Program;
use crate::custom_phi::PhiError;

/// Points of [`X_RANGE`] at which a formula is checked to be finite (and every training and
/// test point is checked again when a data set is drawn).
pub const CHECK_POINTS: usize = 2001;

/// A parsed and compiled target formula.
#[derive(Clone)]
pub struct Formula {
    source: String,
    program: Program,
}

/// Why a formula cannot be a target.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormulaError {
    /// Not an expression in x (syntax, unknown name, empty).
    #[error(transparent)]
    Parse(#[from] PhiError),
    /// Not finite somewhere on the training range.
    #[error("y = {expr} is not finite at x = {x} (value {value}); a target must be finite on [−π, π]")]
    NotFinite {
        /// the formula
        expr: String,
        /// where
        x: f64,
        /// its value there
        value: f64,
    },
}

impl Formula {
    /// Parses and compiles `text`, and checks it is finite at [`CHECK_POINTS`] points of
    /// [`X_RANGE`].
    ///
    /// # Errors
    /// [`FormulaError`] naming the problem.
    pub fn new(text: &str) -> Result<Formula, FormulaError> {
        let expr = parse(text)?;
        let formula = Formula { source: expr.to_string(), program: Program::new(&expr) };
        let (lo, hi) = X_RANGE;
        let grid = (0..CHECK_POINTS).map(|i| lo + (hi - lo) * i as f64 / (CHECK_POINTS - 1) as f64);
        formula.check_finite(grid)?;
        Ok(formula)
    }

    /// The formula as written canonically (no blanks).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// `f(x)`.
    pub fn eval(&self, x: f64) -> f64 {
        self.program.eval(x)
    }

    /// The first of `xs` where the formula is not finite, as an error.
    fn check_finite(&self, xs: impl IntoIterator<Item = f64>) -> Result<(), FormulaError> {
        for x in xs {
            let value = self.eval(x);
            if !value.is_finite() {
                return Err(FormulaError::NotFinite { expr: self.source.clone(), x, value });
            }
        }
        Ok(())
    }

    /// The data set of this target: `n_train` points uniform on [−π, π] (seeded), targets
    /// `f(x) + noise·z`, and the test grid with `f` (as [`Dataset1d::generate`] for the
    /// built-in targets).
    ///
    /// # Errors
    /// [`FormulaError::NotFinite`] if the formula is not finite at a drawn point.
    pub fn dataset(&self, n_train: usize, noise: f64, seed: u64) -> Result<Dataset1d, FormulaError> {
        let d = Dataset1d::generate_with(|x| self.eval(x), n_train, noise, seed);
        self.check_finite(d.x_train.iter().chain(&d.x_test).copied())?;
        Ok(d)
    }
}

impl fmt::Debug for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Formula({})", self.source)
    }
}

impl PartialEq for Formula {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::Target1d;

    #[test]
    fn a_formula_target_is_its_direct_evaluation() {
        let f = Formula::new("sin(3*x) + 0.1 * x^2").unwrap();
        assert_eq!(f.source(), "sin(3*x)+0.1*x^2");
        let d = f.dataset(12, 0.0, 7).unwrap();
        for (&x, &y) in d.x_train.iter().zip(&d.y_train).chain(d.x_test.iter().zip(&d.y_test)) {
            let direct = (3.0 * x).sin() + 0.1 * x * x;
            assert!((y - direct).abs() <= 1e-15 * (1.0 + direct.abs()), "x = {x}: {y} vs {direct}");
        }
        // The same draws as a built-in target: `sin(x)` reproduces the sine set bit for bit.
        let typed = Formula::new("sin(x)").unwrap().dataset(9, 0.1, 3).unwrap();
        assert_eq!(typed, Dataset1d::generate(Target1d::Sin, 9, 0.1, 3));
    }

    #[test]
    fn bad_formulas_are_refused_with_their_reason() {
        assert!(matches!(Formula::new("x*("), Err(FormulaError::Parse(PhiError::Parse { .. }))));
        assert!(matches!(Formula::new("foo(x)"), Err(FormulaError::Parse(PhiError::UnknownFunction { .. }))));
        assert!(matches!(Formula::new("  "), Err(FormulaError::Parse(PhiError::Empty))));
        let e = Formula::new("1/x").unwrap_err();
        assert!(matches!(e, FormulaError::NotFinite { x, .. } if x == 0.0), "{e}");
        assert!(e.to_string().contains("not finite at x = 0"), "{e}");
        let e = Formula::new("log(x)").unwrap_err();
        assert!(matches!(e, FormulaError::NotFinite { .. }), "{e}");
        // Finite on [−π, π] although not on the whole line: a target may be.
        assert!(Formula::new("log(x + 4)").is_ok());
    }
}
