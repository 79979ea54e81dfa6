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
    /// Unbounded near a point of the training range (a pole between the check points).
    #[error("y = {expr} has a pole near x = {x:.4} (|y| grows without bound there); a target must be finite on [−π, π]")]
    Pole {
        /// the formula
        expr: String,
        /// where
        x: f64,
    },
}

/// Rounds of zooming into a peak of |f| (each narrows the interval 10-fold).
const ZOOM_ROUNDS: usize = 40;
/// Growth of |f| within a zoom, relative to the peak's value on the check grid, beyond which
/// the peak is a pole: a bounded peak between two check points rises by a modest factor (its
/// curvature over half a grid step), a pole by as much as double precision allows.
const POLE_GROWTH: f64 = 1e6;

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
        let grid: Vec<f64> =
            (0..CHECK_POINTS).map(|i| lo + (hi - lo) * i as f64 / (CHECK_POINTS - 1) as f64).collect();
        formula.check_finite(grid.iter().copied())?;
        formula.check_poles(&grid)?;
        Ok(formula)
    }

    /// Refuses a pole: a local peak of |f| on the grid [`POLE_GROWTH`] times its neighbours, or,
    /// between the check points, every local peak that stands out (10× the median |f|) zoomed into ([`ZOOM_ROUNDS`] rounds of 21 points around the
    /// largest value); a growth past [`POLE_GROWTH`] (or a value that is not finite) is a pole.
    fn check_poles(&self, grid: &[f64]) -> Result<(), FormulaError> {
        let values: Vec<f64> = grid.iter().map(|&x| self.eval(x).abs()).collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let threshold = 10.0 * sorted[sorted.len() / 2];
        let n = grid.len();
        for i in 0..n {
            let peak = values[i];
            let left = if i > 0 { values[i - 1] } else { 0.0 };
            let right = if i + 1 < n { values[i + 1] } else { 0.0 };
            if peak <= threshold || peak < left || peak < right {
                continue;
            }
            // A pole hit (nearly) on a check point: a spike no bounded target makes.
            if peak > POLE_GROWTH * left.max(right).max(1.0) {
                return Err(FormulaError::Pole { expr: self.source.clone(), x: grid[i] });
            }
            let (mut a, mut b) = (grid[i.saturating_sub(1)], grid[(i + 1).min(n - 1)]);
            let mut best = (grid[i], peak);
            for _ in 0..ZOOM_ROUNDS {
                let step = (b - a) / 20.0;
                if step <= f64::EPSILON * best.0.abs().max(1.0) {
                    break;
                }
                for k in 0..=20 {
                    let x = a + step * k as f64;
                    let v = self.eval(x).abs();
                    if !v.is_finite() || v > POLE_GROWTH * peak.max(1.0) {
                        return Err(FormulaError::Pole { expr: self.source.clone(), x });
                    }
                    if v > best.1 {
                        best = (x, v);
                    }
                }
                (a, b) = (best.0 - step, best.0 + step);
            }
        }
        Ok(())
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
        // Poles between the check points are found and placed; steep but bounded targets pass.
        for (pole, at) in [
            ("1/(x-1)", 1.0),
            ("1/(x-0.5)", 0.5),
            ("1/(x+1.2345)^2", -1.2345),
            ("tan(x)", -std::f64::consts::FRAC_PI_2),
        ] {
            let e = Formula::new(pole).unwrap_err();
            assert!(matches!(e, FormulaError::Pole { x, .. } if (x - at).abs() < 1e-3), "{pole}: {e}");
            assert!(e.to_string().contains("pole near x ="), "{e}");
        }
        for fine in ["exp(3*x)", "1/(x^2+0.01)", "x*sin(2*x)/2", "sin(x)/(x+4)", "100*sin(x)"] {
            assert!(Formula::new(fine).is_ok(), "{fine}");
        }
    }
}
