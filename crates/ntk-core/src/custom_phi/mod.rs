//! Activations typed by the user: an expression in x such as `x*sigmoid(x)` or
//! `sin(3*x)+0.1*x`, parsed ([`parse()`]), differentiated symbolically ([`Expr::derivative`],
//! checked against central differences), compiled to slice programs ([`Program`]) and
//! interned: a [`CustomPhi`] is a small `Copy` handle, the same for every text with the same
//! canonical form, so that [`crate::Activation`] stays `Copy` and its `PartialEq` means "the
//! same φ".
//!
//! # Which expressions are accepted
//!
//! Besides parsing, an expression must give finite φ and φ' on a grid of `[−8, 8]` (step
//! 1/64), and grow at most exponentially: `|φ(x)| ≤ 10⁶·M·e^{|x|}` and likewise φ', where M
//! is the largest of 1 and `|φ|` on `[−1, 1]`, checked out to `|x| = 60` (geometric steps of
//! 5 %). Then `E[φ(u)²] ≤ 10¹²M²·2e^{2s}` is finite at every variance s and the Gaussian
//! integrals' mass sits within `2√s + 10` standard deviations, where the quadratures reach
//! (until `e^{2s}` itself overflows, which the kernels report as an error). Functions that
//! grow like `e^{x²}` are refused here; those below the bound but huge (`exp(x)` at variance
//! 400) make the kernels fail with [`crate::theory::kernels::KernelError::Divergent`].
//!
//! # The interner
//!
//! A handle names the canonical text of its expression; the texts are kept for the process's
//! life (a handle may be copied anywhere), at most [`MAX_CUSTOM`] of them and
//! [`MAX_CUSTOM_TEXT_BYTES`] bytes in all (the next distinct one is refused with
//! [`PhiError::TooMany`]). Their compiled programs, a few KiB each, are the memory that
//! matters: at most [`COMPILED_CACHE`] are held (least recently used dropped first), and an
//! expression whose program was dropped is compiled again from its text when next used —
//! the same program, so the same bits. Each thread also keeps the program it used last, so
//! evaluating one φ over and over takes no lock. Interning a text already present returns its
//! handle.

pub mod expr;
pub mod parse;
pub mod program;
pub mod taylor;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

pub use expr::{Expr, Func};
pub use parse::parse;
pub use program::Program;

/// Most distinct custom activations per process (their canonical texts are kept).
pub const MAX_CUSTOM: usize = 100_000;

/// Most bytes of canonical text kept for the custom activations of a process (40,000 texts of
/// the page's longest, 200 characters; a number typed as `1e99` is kept as its 100 digits).
pub const MAX_CUSTOM_TEXT_BYTES: usize = 8 << 20;

/// Most compiled programs held at a time (least recently used dropped first; compiled again
/// from the text when next used).
pub const COMPILED_CACHE: usize = 64;

/// Why an expression is not a usable activation, with the offending text or value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PhiError {
    /// Nothing but blanks.
    #[error("the custom activation is empty: type an expression in x, e.g. x*sigmoid(x)")]
    Empty,
    /// A syntax error.
    #[error("cannot parse '{expr}' at position {position}: {message}")]
    Parse {
        /// the text
        expr: String,
        /// 1-based character position
        position: usize,
        /// what was expected
        message: String,
    },
    /// A name followed by `(` that is no known function.
    #[error("unknown function '{name}' at position {position} of '{expr}' (known: {})", function_names())]
    UnknownFunction {
        /// the text
        expr: String,
        /// the name
        name: String,
        /// 1-based position
        position: usize,
    },
    /// A name that is neither x, a constant nor a function.
    #[error(
        "unknown variable '{name}' at position {position} of '{expr}': the variable is x (constants: pi, e)"
    )]
    UnknownVariable {
        /// the text
        expr: String,
        /// the name
        name: String,
        /// 1-based position
        position: usize,
    },
    /// φ(x) is NaN or infinite somewhere on the checked grid.
    #[error("φ(x) = {expr} is not finite at x = {x} (value {value})")]
    NotFinite {
        /// canonical text
        expr: String,
        /// where
        x: f64,
        /// the value there
        value: f64,
    },
    /// φ or φ' exceeds the growth bound (module docs).
    #[error("φ(x) = {expr} grows too fast for the Gaussian integrals: {which}({x}) = {value:e} exceeds 10⁶·M·e^|x| = {bound:e} (φ and φ' may grow at most exponentially)")]
    TooFast {
        /// canonical text
        expr: String,
        /// "φ" or "φ'"
        which: &'static str,
        /// where
        x: f64,
        /// the value there
        value: f64,
        /// the bound there
        bound: f64,
    },
    /// φ' is NaN or infinite where φ is finite (e.g. `sqrt(abs(x))` at 0).
    #[error(
        "the derivative of φ(x) = {expr}, φ'(x) = {derivative}, is not finite at x = {x} (value {value})"
    )]
    DerivativeNotFinite {
        /// canonical text
        expr: String,
        /// canonical text of φ'
        derivative: String,
        /// where
        x: f64,
        /// the value there
        value: f64,
    },
    /// The symbolic derivative disagrees with central differences (a kink exactly at a
    /// check point, or a bug).
    #[error("the derivative of φ(x) = {expr} does not match its finite differences at x = {x}: φ'(x) = {symbolic}, difference quotient {numeric}")]
    DerivativeMismatch {
        /// canonical text
        expr: String,
        /// where
        x: f64,
        /// the symbolic value
        symbolic: f64,
        /// the central difference
        numeric: f64,
    },
    /// The interner is full.
    #[error(
        "at most {limit} different custom activations ({bytes} bytes of their text) per process; restart to use more"
    )]
    TooMany {
        /// [`MAX_CUSTOM`]
        limit: usize,
        /// [`MAX_CUSTOM_TEXT_BYTES`]
        bytes: usize,
    },
}

fn function_names() -> String {
    Func::ALL.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", ")
}

/// A parsed, checked and compiled custom activation.
#[derive(Debug)]
pub struct Compiled {
    /// the canonical text (the key of the interner)
    pub source: String,
    /// φ
    pub expr: Expr,
    /// φ'
    pub derivative: Expr,
    /// φ compiled
    pub phi: Program,
    /// φ' compiled
    pub dphi: Program,
    /// sampled derivative bounds, computed on first use ([`Compiled::derivative_sup`])
    derivative_sup: OnceLock<Option<Vec<f64>>>,
}

impl Compiled {
    /// Sampled bounds `D_k ≈ sup_x |φ^{(k)}(x)|` for k ≤
    /// [`taylor::MAX_DERIVATIVE`] ([`taylor::derivative_sup`];
    /// computed once per expression), or `None` where φ is not analytic on the real line.
    pub fn derivative_sup(&self) -> Option<&[f64]> {
        self.derivative_sup
            .get_or_init(|| taylor::derivative_sup(&self.expr, taylor::MAX_DERIVATIVE))
            .as_deref()
    }
}

/// A handle to an interned custom activation (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CustomPhi(u32);

/// The texts of every handle and the compiled programs held.
#[derive(Default)]
struct Interner {
    /// canonical text of handle i
    texts: Vec<Arc<str>>,
    /// handle of a canonical text
    index: HashMap<Arc<str>, u32>,
    /// bytes of all texts
    bytes: usize,
    /// programs held: handle, program, last use (a tick of `clock`)
    compiled: Vec<(u32, Arc<Compiled>, u64)>,
    clock: u64,
}

impl Interner {
    /// The program of handle `i` if held (marked as just used).
    fn held(&mut self, i: u32) -> Option<Arc<Compiled>> {
        self.clock += 1;
        let now = self.clock;
        self.compiled.iter_mut().find(|e| e.0 == i).map(|e| {
            e.2 = now;
            e.1.clone()
        })
    }

    /// Holds the program of handle `i`, dropping the least recently used beyond
    /// [`COMPILED_CACHE`].
    fn hold(&mut self, i: u32, c: Arc<Compiled>) {
        if self.compiled.iter().any(|e| e.0 == i) {
            return;
        }
        if self.compiled.len() >= COMPILED_CACHE {
            if let Some(oldest) = (0..self.compiled.len()).min_by_key(|&k| self.compiled[k].2) {
                self.compiled.swap_remove(oldest);
            }
        }
        self.clock += 1;
        self.compiled.push((i, c, self.clock));
    }
}

fn interner() -> MutexGuard<'static, Interner> {
    static INTERNER: OnceLock<Mutex<Interner>> = OnceLock::new();
    INTERNER.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner())
}

thread_local! {
    /// The program this thread used last, and its handle.
    static LAST: RefCell<Option<(u32, Arc<Compiled>)>> = const { RefCell::new(None) };
}

impl CustomPhi {
    /// Parses, checks, compiles and interns `text` (module docs).
    ///
    /// # Errors
    /// [`PhiError`] naming the problem: syntax (with position), unknown name, not finite,
    /// growing too fast, a derivative that is not finite, or a full interner.
    pub fn new(text: &str) -> Result<CustomPhi, PhiError> {
        let expr = parse(text)?;
        let source = expr.to_string();
        if let Some(&i) = interner().index.get(source.as_str()) {
            return Ok(CustomPhi(i));
        }
        let compiled = Arc::new(compile(source, expr)?);
        let mut table = interner();
        if let Some(&i) = table.index.get(compiled.source.as_str()) {
            return Ok(CustomPhi(i));
        }
        let len = compiled.source.len();
        admit(table.texts.len(), table.bytes, len)?;
        let i = table.texts.len() as u32;
        let key: Arc<str> = Arc::from(compiled.source.as_str());
        table.texts.push(key.clone());
        table.index.insert(key, i);
        table.bytes += len;
        table.hold(i, compiled);
        Ok(CustomPhi(i))
    }

    /// The compiled activation: this thread's last one, else the interner's, else compiled
    /// again from its text (the same program: the text was checked when it was interned).
    pub fn compiled(self) -> Arc<Compiled> {
        let last = LAST.with(|l| l.borrow().as_ref().filter(|(i, _)| *i == self.0).map(|(_, c)| c.clone()));
        if let Some(c) = last {
            return c;
        }
        let held = interner().held(self.0);
        let c = held.unwrap_or_else(|| {
            let text = interner().texts[self.0 as usize].clone();
            let c = Arc::new(Compiled::of_checked(&text));
            interner().hold(self.0, c.clone());
            c
        });
        LAST.with(|l| *l.borrow_mut() = Some((self.0, c.clone())));
        c
    }

    /// The canonical text.
    pub fn source(self) -> String {
        interner().texts[self.0 as usize].to_string()
    }

    /// How many distinct custom activations this process has interned, and how many compiled
    /// programs it holds (at most [`COMPILED_CACHE`]).
    pub fn interned() -> (usize, usize) {
        let t = interner();
        (t.texts.len(), t.compiled.len())
    }
}

/// Whether one more text of `len` bytes fits in an interner holding `count` texts of `bytes`
/// bytes in all: at most [`MAX_CUSTOM`] texts and [`MAX_CUSTOM_TEXT_BYTES`] bytes.
fn admit(count: usize, bytes: usize, len: usize) -> Result<(), PhiError> {
    if count >= MAX_CUSTOM || bytes.saturating_add(len) > MAX_CUSTOM_TEXT_BYTES {
        return Err(PhiError::TooMany { limit: MAX_CUSTOM, bytes: MAX_CUSTOM_TEXT_BYTES });
    }
    Ok(())
}

impl Compiled {
    /// The program of a canonical text that was checked when it was interned (parsed, its
    /// derivative taken and both compiled, without the checks).
    fn of_checked(text: &str) -> Compiled {
        // A canonical text parses back to the tree it was printed from (tested with the
        // canonical forms below), so the fallback is never taken.
        let expr = parse(text).unwrap_or(Expr::Num(f64::NAN));
        let derivative = expr.derivative();
        let (phi, dphi) = (Program::new(&expr), Program::new(&derivative));
        Compiled { source: text.to_string(), expr, derivative, phi, dphi, derivative_sup: OnceLock::new() }
    }
}

impl fmt::Debug for CustomPhi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CustomPhi({:?})", self.source())
    }
}

impl fmt::Display for CustomPhi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source())
    }
}

/// Serialized as `{"expr": "<canonical text>"}` (inside [`crate::Activation`]:
/// `{"kind": "custom", "expr": "x*sigmoid(x)"}`); deserializing interns the text.
impl serde::Serialize for CustomPhi {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("CustomPhi", 1)?;
        st.serialize_field("expr", &self.source())?;
        st.end()
    }
}

impl<'de> serde::Deserialize<'de> for CustomPhi {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Repr {
            expr: String,
        }
        let repr = Repr::deserialize(d)?;
        CustomPhi::new(&repr.expr).map_err(serde::de::Error::custom)
    }
}

/// Points where φ and φ' must be finite: `[−8, 8]` in steps of 1/64.
fn dense_grid() -> impl Iterator<Item = f64> {
    (-512..=512).map(|k| k as f64 / 64.0)
}

/// Points of the growth check: `±8·1.05^m` up to 60.
fn wide_grid() -> Vec<f64> {
    let mut xs = Vec::new();
    let mut x: f64 = 8.0;
    while x <= 60.0 {
        xs.push(x);
        xs.push(-x);
        x *= 1.05;
    }
    xs.push(60.0);
    xs.push(-60.0);
    xs
}

/// Points where the derivative is compared with central differences: away from the
/// integers and simple fractions where users put kinks.
const DERIVATIVE_CHECKS: [f64; 8] = [-3.717, -1.309, -0.6127, -0.0713, 0.2893, 0.7731, 1.9049, 4.3181];

fn compile(source: String, expr: Expr) -> Result<Compiled, PhiError> {
    let derivative = expr.derivative();
    let (phi, dphi) = (Program::new(&expr), Program::new(&derivative));
    let dense: Vec<f64> = dense_grid().collect();
    let (mut v, mut d) = (vec![0.0; dense.len()], vec![0.0; dense.len()]);
    phi.eval_slice(&dense, &mut v);
    dphi.eval_slice(&dense, &mut d);
    if let Some(i) = v.iter().position(|y| !y.is_finite()) {
        return Err(PhiError::NotFinite { expr: source, x: dense[i], value: v[i] });
    }
    if let Some(i) = d.iter().position(|y| !y.is_finite()) {
        return Err(PhiError::DerivativeNotFinite {
            expr: source,
            derivative: derivative.to_string(),
            x: dense[i],
            value: d[i],
        });
    }
    // Growth: 10⁶·M·e^{|x|}, M = max(1, max_{|x|≤1} |f|), for φ and φ'.
    let near = |values: &[f64]| -> f64 {
        dense.iter().zip(values).filter(|(x, _)| x.abs() <= 1.0).map(|(_, y)| y.abs()).fold(1.0, f64::max)
    };
    let (m_phi, m_dphi) = (near(&v), near(&d));
    let mut wide: Vec<f64> = wide_grid();
    wide.extend_from_slice(&dense);
    let (mut wv, mut wd) = (vec![0.0; wide.len()], vec![0.0; wide.len()]);
    phi.eval_slice(&wide, &mut wv);
    dphi.eval_slice(&wide, &mut wd);
    for (which, values, m) in [("φ", &wv, m_phi), ("φ'", &wd, m_dphi)] {
        for (&x, &y) in wide.iter().zip(values.iter()) {
            let bound = 1e6 * m * x.abs().exp();
            if y.is_nan() || y.abs() > bound {
                return Err(PhiError::TooFast { expr: source, which, x, value: y, bound });
            }
        }
    }
    // The symbolic derivative against central differences: step h = 1e-5·max(1, |x|);
    // truncation h²|φ'''|/6 and rounding ε|φ|/h stay below 1e-6 of the scale for any φ
    // that passed the checks above, while a wrong rule is off by O(1).
    for &x in &DERIVATIVE_CHECKS {
        let h = 1e-5 * x.abs().max(1.0);
        let numeric = (phi.eval(x + h) - phi.eval(x - h)) / (2.0 * h);
        let symbolic = dphi.eval(x);
        let scale = 1.0 + symbolic.abs() + phi.eval(x).abs();
        let gap = (numeric - symbolic).abs();
        if gap.is_nan() || gap > 1e-6 * scale {
            return Err(PhiError::DerivativeMismatch { expr: source, x, symbolic, numeric });
        }
    }
    Ok(Compiled { source, expr, derivative, phi, dphi, derivative_sup: OnceLock::new() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_text_round_trips_and_interns_once() {
        for (typed, canonical) in [
            ("x * sigmoid( x )", "x*sigmoid(x)"),
            ("SIN(3*X) + 0.1*x", "sin(3*x)+0.1*x"),
            ("-x^2", "-x^2"),
            ("(-x)^2", "(-x)^2"),
            ("2^-1*x", "2^-1*x"),
            ("x^2^3", "x^2^3"),
            ("(x^2)^3", "(x^2)^3"),
            ("a", ""),
            ("x - (y)", ""),
            ("x-(1-x)", "x-(1-x)"),
            ("x/(2*x+1)", "x/(2*x+1)"),
            ("x*(-x)", "x*(-x)"),
            ("x - -x", "x-(-x)"),
            ("1e-7*x + 2.5E3", "1e-7*x+2500"),
            ("tanh(x)**2", "tanh(x)^2"),
            ("ln(1+x^2)", "log(1+x^2)"),
        ] {
            match parse(typed) {
                Ok(e) => {
                    assert_eq!(e.to_string(), canonical, "{typed}");
                    assert_eq!(parse(canonical).unwrap(), e, "{canonical} parses back to the same tree");
                }
                Err(_) => assert!(canonical.is_empty(), "{typed} should parse"),
            }
        }
        let a = CustomPhi::new("x*sigmoid(x)").unwrap();
        let b = CustomPhi::new(" x *  sigmoid(x) ").unwrap();
        let c = CustomPhi::new("sigmoid(x)*x").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c, "different text, different handle (the interner does not do algebra)");
        assert_eq!(a.source(), "x*sigmoid(x)");
    }

    #[test]
    fn errors_name_the_problem() {
        let err = |t: &str| CustomPhi::new(t).unwrap_err();
        assert!(matches!(err("x*"), PhiError::Parse { position: 3, .. }), "{:?}", err("x*"));
        assert!(matches!(err("2*(x+1"), PhiError::Parse { position: 7, .. }), "{:?}", err("2*(x+1"));
        assert!(matches!(err("x $ 2"), PhiError::Parse { position: 3, .. }));
        assert!(matches!(err("swish(x)"), PhiError::UnknownFunction { position: 1, .. }));
        assert!(matches!(err("x + y"), PhiError::UnknownVariable { position: 5, .. }));
        assert!(matches!(err("   "), PhiError::Empty));
        assert!(matches!(err("sin"), PhiError::Parse { .. }));
        assert!(matches!(err("1/x"), PhiError::NotFinite { x, .. } if x == 0.0));
        assert!(matches!(err("log(x)"), PhiError::NotFinite { .. }));
        assert!(matches!(err("sqrt(x)"), PhiError::NotFinite { .. }));
        assert!(matches!(err("sqrt(abs(x))"), PhiError::DerivativeNotFinite { x, .. } if x == 0.0));
        assert!(matches!(err("exp(x^2)"), PhiError::TooFast { .. }));
        assert!(matches!(err("exp(2*x)"), PhiError::TooFast { .. }));
        assert!(matches!(err("x^0.5"), PhiError::NotFinite { .. }));
        for e in [err("x*"), err("swish(x)"), err("x + y"), err("exp(x^2)"), err("1/x")] {
            let message = e.to_string();
            assert!(message.len() > 20 && !message.contains("{"), "{message}");
        }
        assert!(err("swish(x)").to_string().contains("sigmoid"), "lists the known functions");
        // Accepted: polynomial and exponential growth, kinks.
        for ok in
            ["x^3", "exp(x)", "cosh(x)", "abs(x)", "relu(x)-0.1*relu(-x)", "sign(x)*x^2", "x*normcdf(x)"]
        {
            assert!(CustomPhi::new(ok).is_ok(), "{ok}: {:?}", CustomPhi::new(ok));
        }
    }

    /// A long visit: 2,000 different expressions typed one after another are all taken; the
    /// interner holds at most [`COMPILED_CACHE`] programs, and the first expressions, whose
    /// programs were dropped long ago, evaluate to the same bits as when they were typed.
    #[test]
    fn thousands_of_expressions_are_taken_with_bounded_programs() {
        let text = |i: usize| format!("x*sigmoid(x)+sin({}*x)/{}", 1 + i % 7, i + 1);
        let at = [-2.5, -0.3, 0.0, 0.7, 3.1];
        let mut first = Vec::new();
        let mut handles = Vec::new();
        for i in 0..2000 {
            let h = CustomPhi::new(&text(i)).unwrap_or_else(|e| panic!("expression {i}: {e}"));
            if i < 10 {
                let c = h.compiled();
                first.push(at.map(|x| (c.phi.eval(x).to_bits(), c.dphi.eval(x).to_bits())));
            }
            handles.push(h);
            assert!(CustomPhi::interned().1 <= COMPILED_CACHE);
        }
        assert_eq!(CustomPhi::new(&text(3)).unwrap(), handles[3], "a text typed again is the same φ");
        for (i, bits) in first.iter().enumerate() {
            let c = handles[i].compiled();
            assert_eq!(*bits, at.map(|x| (c.phi.eval(x).to_bits(), c.dphi.eval(x).to_bits())), "φ {i}");
            assert_eq!(handles[i].source(), parse(&text(i)).unwrap().to_string());
        }
        let (texts, programs) = CustomPhi::interned();
        assert!(texts >= 2000 && programs <= COMPILED_CACHE, "{texts} texts, {programs} programs");
    }

    /// The interner's limits: the 100,000th text is taken, the next refused; a text that would
    /// pass the byte cap is refused; the message names both limits.
    #[test]
    fn the_interner_refuses_past_its_limits() {
        assert_eq!(admit(MAX_CUSTOM - 1, 0, 20), Ok(()));
        assert_eq!(admit(0, MAX_CUSTOM_TEXT_BYTES - 20, 20), Ok(()));
        for (count, bytes, len) in
            [(MAX_CUSTOM, 0, 20), (5, MAX_CUSTOM_TEXT_BYTES - 19, 20), (5, 0, usize::MAX)]
        {
            let e = admit(count, bytes, len).unwrap_err();
            assert_eq!(
                e.to_string(),
                "at most 100000 different custom activations (8388608 bytes of their text) per process; \
                 restart to use more",
                "{count} texts, {bytes} bytes, one of {len}"
            );
        }
    }

    /// Derivatives of every function against central differences (the same check
    /// `CustomPhi::new` runs), at points away from kinks.
    #[test]
    fn derivatives_of_every_function() {
        for (f, name) in Func::ALL {
            let text = format!("{name}(0.8*x+0.3)");
            let e = parse(&text).unwrap();
            let d = e.derivative();
            for x in [-2.1, -0.9, 0.17, 1.3] {
                let arg: f64 = 0.8 * x + 0.3;
                if matches!(f, Func::Log | Func::Sqrt) && arg <= 0.0 {
                    continue;
                }
                let h = 1e-6;
                let numeric = (e.eval(x + h) - e.eval(x - h)) / (2.0 * h);
                assert!(
                    (numeric - d.eval(x)).abs() <= 1e-7 * (1.0 + numeric.abs()),
                    "{text} at {x}: {} vs {numeric} ({d})",
                    d.eval(x)
                );
            }
        }
    }
}
