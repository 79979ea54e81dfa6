//! Dual numbers `a + ε ȧ` (ε² = 0) in f64, a network scalar ([`Real`]) for forward-mode
//! derivatives: a network whose parameters are `θ + ε v` computes `f(θ) + ε ∇f(θ)·v`, and its
//! backpropagation (the same code as in f64) computes `∇f(θ) + ε ∇²f(θ) v` — a Hessian–vector
//! product without the Hessian (Pearlmutter 1994). The quadratic model
//! ([`crate::nets::quadratic`]) is built on it.
//!
//! Arithmetic: `(a + εȧ)(b + εḃ) = ab + ε(aḃ + ȧb)`, `φ(a + εȧ) = φ(a) + ε φ'(a) ȧ`,
//! `φ'(a + εȧ) = φ'(a) + ε φ''(a) ȧ` ([`Activation::second_derivative`]). Comparisons and the
//! conversion to f64 use the value part.

use std::ops::{Add, AddAssign, Mul, Neg, Sub};

use crate::activation::Activation;
use crate::nets::mlp::Real;

/// A dual number `v + ε t`, ε² = 0.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Dual {
    /// value part
    pub v: f64,
    /// tangent part (the coefficient of ε)
    pub t: f64,
}

impl Dual {
    /// `v + ε t`.
    pub const fn new(v: f64, t: f64) -> Self {
        Dual { v, t }
    }
}

impl PartialOrd for Dual {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.v.partial_cmp(&other.v)
    }
}

impl Add for Dual {
    type Output = Dual;
    #[inline(always)]
    fn add(self, o: Dual) -> Dual {
        Dual::new(self.v + o.v, self.t + o.t)
    }
}

impl Sub for Dual {
    type Output = Dual;
    #[inline(always)]
    fn sub(self, o: Dual) -> Dual {
        Dual::new(self.v - o.v, self.t - o.t)
    }
}

impl Mul for Dual {
    type Output = Dual;
    #[inline(always)]
    fn mul(self, o: Dual) -> Dual {
        Dual::new(self.v * o.v, self.v * o.t + self.t * o.v)
    }
}

impl Neg for Dual {
    type Output = Dual;
    #[inline(always)]
    fn neg(self) -> Dual {
        Dual::new(-self.v, -self.t)
    }
}

impl AddAssign for Dual {
    #[inline(always)]
    fn add_assign(&mut self, o: Dual) {
        self.v += o.v;
        self.t += o.t;
    }
}

impl From<Dual> for f64 {
    fn from(d: Dual) -> f64 {
        d.v
    }
}

impl Real for Dual {
    const ZERO: Self = Dual::new(0.0, 0.0);
    fn from_f64(x: f64) -> Self {
        Dual::new(x, 0.0)
    }
    fn to_f64(self) -> f64 {
        self.v
    }
    fn phi(act: Activation, x: Self) -> Self {
        Dual::new(act.apply(x.v), act.derivative(x.v) * x.t)
    }
    fn dphi(act: Activation, x: Self) -> Self {
        Dual::new(act.derivative(x.v), act.second_derivative(x.v) * x.t)
    }
    #[inline(always)]
    fn fused_mul_add(self, b: Self, c: Self) -> Self {
        self * b + c
    }
    #[inline(always)]
    fn madd(self, b: Self, c: Self) -> Self {
        self * b + c
    }
}
