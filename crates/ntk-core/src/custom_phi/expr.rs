//! Expressions in one variable x: the syntax tree, its canonical text and its symbolic
//! derivative.

use std::fmt;

/// A function of one argument that expressions may call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    /// sin
    Sin,
    /// cos
    Cos,
    /// tan
    Tan,
    /// eˣ
    Exp,
    /// natural logarithm (also written `ln`)
    Log,
    /// √x
    Sqrt,
    /// |x|
    Abs,
    /// tanh
    Tanh,
    /// sinh
    Sinh,
    /// cosh
    Cosh,
    /// arctan
    Atan,
    /// the error function
    Erf,
    /// 1/(1 + e⁻ˣ)
    Sigmoid,
    /// ln(1 + eˣ)
    Softplus,
    /// max(x, 0)
    Relu,
    /// x Φ(x)
    Gelu,
    /// −1, 0 or 1
    Sign,
    /// 1 for x ≥ 0, else 0 (the derivative of relu, as for the built-in relu)
    Step,
    /// sech² x = tanh' x (evaluated without cancellation)
    Sech2,
    /// Φ(x), the standard normal distribution function
    NormCdf,
    /// φ(x) = e^{−x²/2}/√(2π), the standard normal density
    NormPdf,
}

impl Func {
    /// Every function with its name (`ln` is an alias of `log`).
    pub const ALL: [(Func, &'static str); 21] = [
        (Func::Sin, "sin"),
        (Func::Cos, "cos"),
        (Func::Tan, "tan"),
        (Func::Exp, "exp"),
        (Func::Log, "log"),
        (Func::Sqrt, "sqrt"),
        (Func::Abs, "abs"),
        (Func::Tanh, "tanh"),
        (Func::Sinh, "sinh"),
        (Func::Cosh, "cosh"),
        (Func::Atan, "atan"),
        (Func::Erf, "erf"),
        (Func::Sigmoid, "sigmoid"),
        (Func::Softplus, "softplus"),
        (Func::Relu, "relu"),
        (Func::Gelu, "gelu"),
        (Func::Sign, "sign"),
        (Func::Step, "step"),
        (Func::Sech2, "sech2"),
        (Func::NormCdf, "normcdf"),
        (Func::NormPdf, "normpdf"),
    ];

    /// The function of a (lower-case) name.
    pub fn from_name(name: &str) -> Option<Func> {
        if name == "ln" {
            return Some(Func::Log);
        }
        Func::ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    /// The function's name.
    pub fn name(self) -> &'static str {
        Func::ALL.iter().find(|(f, _)| *f == self).map_or("?", |(_, n)| n)
    }

    /// The function's value, written so that no tail loses its digits (sigmoid, softplus,
    /// sech², Φ through erfc). The elementary functions are `libm`'s pure-Rust ones, the same
    /// bits on every platform (a typed target draws the same data in the page and natively).
    pub fn eval(self, x: f64) -> f64 {
        match self {
            Func::Sin => libm::sin(x),
            Func::Cos => libm::cos(x),
            Func::Tan => libm::tan(x),
            Func::Exp => libm::exp(x),
            Func::Log => libm::log(x),
            Func::Sqrt => x.sqrt(),
            Func::Abs => x.abs(),
            Func::Tanh => libm::tanh(x),
            Func::Sinh => libm::sinh(x),
            Func::Cosh => libm::cosh(x),
            Func::Atan => libm::atan(x),
            Func::Erf => libm::erf(x),
            Func::Sigmoid => crate::scalar::sigmoid(x),
            Func::Softplus => crate::scalar::softplus(x),
            Func::Relu => x.max(0.0),
            Func::Gelu => x * normal_cdf(x),
            Func::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    x // ±0, or NaN
                }
            }
            Func::Step => {
                if x >= 0.0 {
                    1.0
                } else if x < 0.0 {
                    0.0
                } else {
                    x // NaN
                }
            }
            Func::Sech2 => crate::scalar::sech2(x),
            Func::NormCdf => normal_cdf(x),
            Func::NormPdf => (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt(),
        }
    }

    /// `F'(g)` as an expression in `g` (the chain rule multiplies by g').
    fn derivative_at(self, g: &Expr) -> Expr {
        let g = || g.clone();
        match self {
            Func::Sin => call(Func::Cos, g()),
            Func::Cos => neg(call(Func::Sin, g())),
            Func::Tan => add(num(1.0), pow(call(Func::Tan, g()), num(2.0))),
            Func::Exp => call(Func::Exp, g()),
            Func::Log => div(num(1.0), g()),
            Func::Sqrt => div(num(0.5), call(Func::Sqrt, g())),
            Func::Abs => call(Func::Sign, g()),
            Func::Tanh => call(Func::Sech2, g()),
            Func::Sinh => call(Func::Cosh, g()),
            Func::Cosh => call(Func::Sinh, g()),
            Func::Atan => div(num(1.0), add(num(1.0), pow(g(), num(2.0)))),
            Func::Erf => mul(num(std::f64::consts::FRAC_2_SQRT_PI), call(Func::Exp, neg(pow(g(), num(2.0))))),
            Func::Sigmoid => mul(call(Func::Sigmoid, g()), call(Func::Sigmoid, neg(g()))),
            Func::Softplus => call(Func::Sigmoid, g()),
            Func::Relu => call(Func::Step, g()),
            Func::Gelu => add(call(Func::NormCdf, g()), mul(g(), call(Func::NormPdf, g()))),
            Func::Sign | Func::Step => num(0.0),
            Func::Sech2 => mul(num(-2.0), mul(call(Func::Tanh, g()), call(Func::Sech2, g()))),
            Func::NormCdf => call(Func::NormPdf, g()),
            Func::NormPdf => neg(mul(g(), call(Func::NormPdf, g()))),
        }
    }
}

/// Φ(x) = erfc(−x/√2)/2 (accurate in the left tail, where 1 + erf would cancel).
fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

/// An expression in x.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// a number
    Num(f64),
    /// the variable x
    X,
    /// −a
    Neg(Box<Expr>),
    /// a + b
    Add(Box<Expr>, Box<Expr>),
    /// a − b
    Sub(Box<Expr>, Box<Expr>),
    /// a · b
    Mul(Box<Expr>, Box<Expr>),
    /// a / b
    Div(Box<Expr>, Box<Expr>),
    /// a ^ b
    Pow(Box<Expr>, Box<Expr>),
    /// f(a)
    Call(Func, Box<Expr>),
}

fn num(v: f64) -> Expr {
    Expr::Num(v)
}

fn call(f: Func, a: Expr) -> Expr {
    Expr::Call(f, Box::new(a))
}

/// −a, folding numbers and double negation.
fn neg(a: Expr) -> Expr {
    match a {
        Expr::Num(v) => Expr::Num(-v),
        Expr::Neg(b) => *b,
        a => Expr::Neg(Box::new(a)),
    }
}

/// a + b, dropping zeros and folding numbers.
fn add(a: Expr, b: Expr) -> Expr {
    match (a, b) {
        (Expr::Num(x), Expr::Num(y)) => Expr::Num(x + y),
        (Expr::Num(0.0), b) => b,
        (a, Expr::Num(0.0)) => a,
        (a, Expr::Neg(b)) => sub(a, *b),
        (a, b) => Expr::Add(Box::new(a), Box::new(b)),
    }
}

/// a − b, dropping zeros and folding numbers.
fn sub(a: Expr, b: Expr) -> Expr {
    match (a, b) {
        (Expr::Num(x), Expr::Num(y)) => Expr::Num(x - y),
        (Expr::Num(0.0), b) => neg(b),
        (a, Expr::Num(0.0)) => a,
        (a, b) => Expr::Sub(Box::new(a), Box::new(b)),
    }
}

/// a · b, dropping ones, zeroing zeros and folding numbers.
fn mul(a: Expr, b: Expr) -> Expr {
    match (a, b) {
        (Expr::Num(x), Expr::Num(y)) => Expr::Num(x * y),
        (Expr::Num(0.0), _) | (_, Expr::Num(0.0)) => Expr::Num(0.0),
        (Expr::Num(1.0), b) => b,
        (a, Expr::Num(1.0)) => a,
        (Expr::Num(-1.0), b) => neg(b),
        (a, Expr::Num(-1.0)) => neg(a),
        (a, b) => Expr::Mul(Box::new(a), Box::new(b)),
    }
}

/// a / b, dropping divisions by one and folding numbers.
fn div(a: Expr, b: Expr) -> Expr {
    match (a, b) {
        (Expr::Num(x), Expr::Num(y)) if y != 0.0 => Expr::Num(x / y),
        (Expr::Num(0.0), _) => Expr::Num(0.0),
        (a, Expr::Num(1.0)) => a,
        (a, b) => Expr::Div(Box::new(a), Box::new(b)),
    }
}

/// a ^ b, with a^1 = a and a^0 = 1.
fn pow(a: Expr, b: Expr) -> Expr {
    match (a, b) {
        (a, Expr::Num(1.0)) => a,
        (_, Expr::Num(0.0)) => Expr::Num(1.0),
        (a, b) => Expr::Pow(Box::new(a), Box::new(b)),
    }
}

impl Expr {
    /// Whether x occurs in the expression.
    pub fn has_x(&self) -> bool {
        match self {
            Expr::Num(_) => false,
            Expr::X => true,
            Expr::Neg(a) | Expr::Call(_, a) => a.has_x(),
            Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) | Expr::Div(a, b) | Expr::Pow(a, b) => {
                a.has_x() || b.has_x()
            }
        }
    }

    /// The value at x, node by node (the reference the compiled program is tested against).
    pub fn eval(&self, x: f64) -> f64 {
        match self {
            Expr::Num(v) => *v,
            Expr::X => x,
            Expr::Neg(a) => -a.eval(x),
            Expr::Add(a, b) => a.eval(x) + b.eval(x),
            Expr::Sub(a, b) => a.eval(x) - b.eval(x),
            Expr::Mul(a, b) => a.eval(x) * b.eval(x),
            Expr::Div(a, b) => a.eval(x) / b.eval(x),
            Expr::Pow(a, b) => match **b {
                // Small integer powers by multiplication (exact signs for negative bases).
                Expr::Num(k) if k.fract() == 0.0 && k.abs() <= 64.0 => a.eval(x).powi(k as i32),
                _ => a.eval(x).powf(b.eval(x)),
            },
            Expr::Call(f, a) => f.eval(a.eval(x)),
        }
    }

    /// d/dx by the rules of differentiation, simplified (numbers folded, zeros and ones
    /// dropped). Kinks get the one-sided conventions of the built-in activations
    /// (`abs' = sign`, `relu' = step` with `step(0) = 1`).
    pub fn derivative(&self) -> Expr {
        match self {
            Expr::Num(_) => num(0.0),
            Expr::X => num(1.0),
            Expr::Neg(a) => neg(a.derivative()),
            Expr::Add(a, b) => add(a.derivative(), b.derivative()),
            Expr::Sub(a, b) => sub(a.derivative(), b.derivative()),
            Expr::Mul(a, b) => add(mul(a.derivative(), (**b).clone()), mul((**a).clone(), b.derivative())),
            Expr::Div(a, b) => {
                // (a/b)' = a'/b − a b'/b²
                let first = div(a.derivative(), (**b).clone());
                let second = div(mul((**a).clone(), b.derivative()), pow((**b).clone(), num(2.0)));
                sub(first, second)
            }
            Expr::Pow(a, b) => {
                if !b.has_x() {
                    // (a^c)' = c a^{c−1} a'
                    let c = (**b).clone();
                    let lowered = match &c {
                        Expr::Num(v) => num(v - 1.0),
                        _ => sub(c.clone(), num(1.0)),
                    };
                    mul(mul(c, pow((**a).clone(), lowered)), a.derivative())
                } else if !a.has_x() {
                    // (c^b)' = c^b ln c b'
                    mul(mul(self.clone(), call(Func::Log, (**a).clone())), b.derivative())
                } else {
                    // (a^b)' = a^b (b' ln a + b a'/a)
                    let inner = add(
                        mul(b.derivative(), call(Func::Log, (**a).clone())),
                        div(mul((**b).clone(), a.derivative()), (**a).clone()),
                    );
                    mul(self.clone(), inner)
                }
            }
            Expr::Call(f, a) => mul(f.derivative_at(a), a.derivative()),
        }
    }

    /// Binding strength for printing: sums 1, products 2, negation 3, powers 4, atoms 5.
    fn precedence(&self) -> u8 {
        match self {
            Expr::Add(..) | Expr::Sub(..) => 1,
            Expr::Mul(..) | Expr::Div(..) => 2,
            Expr::Neg(_) => 3,
            Expr::Num(v) if *v < 0.0 => 3,
            Expr::Pow(..) => 4,
            _ => 5,
        }
    }
}

/// Writes `e`, in parentheses if it binds less tightly than `min`.
fn write_operand(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if e.precedence() < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

/// The canonical text: no spaces, the fewest parentheses that keep the tree, numbers in
/// Rust's shortest round-trip form (scientific outside [10⁻⁴, 10¹⁶)). Parsing it gives the
/// same tree back.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Num(v) => {
                let a = v.abs();
                if a != 0.0 && !(1e-4..1e16).contains(&a) {
                    write!(f, "{v:e}")
                } else {
                    write!(f, "{v}")
                }
            }
            Expr::X => f.write_str("x"),
            Expr::Neg(a) => {
                f.write_str("-")?;
                write_operand(f, a, 3)
            }
            Expr::Add(a, b) | Expr::Sub(a, b) => {
                write_operand(f, a, 1)?;
                f.write_str(if matches!(self, Expr::Add(..)) { "+" } else { "-" })?;
                // The right operand of − (and, to keep the tree, of +) is a product or tighter;
                // a negation there is bracketed (`a-(-b)`, not `a--b`).
                write_operand(f, b, if b.precedence() == 3 { 4 } else { 2 })
            }
            Expr::Mul(a, b) | Expr::Div(a, b) => {
                write_operand(f, a, 2)?;
                f.write_str(if matches!(self, Expr::Mul(..)) { "*" } else { "/" })?;
                // A negation on the right is bracketed (`a*(-b)`), a product too (`a/(b*c)`).
                write_operand(f, b, 4)
            }
            Expr::Pow(a, b) => {
                write_operand(f, a, 5)?;
                f.write_str("^")?;
                // `^` is right-associative and its exponent may be negated: `x^-2`, `x^2^3`.
                write_operand(f, b, 3)
            }
            Expr::Call(func, a) => write!(f, "{}({a})", func.name()),
        }
    }
}
