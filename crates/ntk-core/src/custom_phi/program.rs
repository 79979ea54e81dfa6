//! An expression compiled to a straight-line program over registers, with equal
//! subexpressions computed once, evaluated over whole slices: each instruction runs as one
//! loop over a chunk of [`CHUNK`] points, so interpretation costs one dispatch per
//! instruction per chunk instead of per point.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::custom_phi::expr::{Expr, Func};

/// Points per chunk of slice evaluation (registers of 8 KiB… 64 KiB stay in L1/L2).
pub const CHUNK: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Num(f64),
    X,
    Neg(usize),
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    Div(usize, usize),
    Powi(usize, i32),
    Pow(usize, usize),
    Call(Func, usize),
}

/// Equality key of an instruction (numbers by their bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Num(u64),
    X,
    Neg(usize),
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    Div(usize, usize),
    Powi(usize, i32),
    Pow(usize, usize),
    Call(Func, usize),
}

fn key(op: Op) -> Key {
    match op {
        Op::Num(v) => Key::Num(v.to_bits()),
        Op::X => Key::X,
        Op::Neg(a) => Key::Neg(a),
        Op::Add(a, b) => Key::Add(a, b),
        Op::Sub(a, b) => Key::Sub(a, b),
        Op::Mul(a, b) => Key::Mul(a, b),
        Op::Div(a, b) => Key::Div(a, b),
        Op::Powi(a, k) => Key::Powi(a, k),
        Op::Pow(a, b) => Key::Pow(a, b),
        Op::Call(f, a) => Key::Call(f, a),
    }
}

/// A compiled expression: instruction i writes register i; the last one is the result.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    ops: Vec<Op>,
}

struct Builder {
    ops: Vec<Op>,
    seen: HashMap<Key, usize>,
}

impl Builder {
    fn push(&mut self, op: Op) -> usize {
        if let Some(&r) = self.seen.get(&key(op)) {
            return r;
        }
        self.ops.push(op);
        let r = self.ops.len() - 1;
        self.seen.insert(key(op), r);
        r
    }

    fn emit(&mut self, e: &Expr) -> usize {
        let op = match e {
            Expr::Num(v) => Op::Num(*v),
            Expr::X => Op::X,
            Expr::Neg(a) => Op::Neg(self.emit(a)),
            Expr::Add(a, b) => Op::Add(self.emit(a), self.emit(b)),
            Expr::Sub(a, b) => Op::Sub(self.emit(a), self.emit(b)),
            Expr::Mul(a, b) => Op::Mul(self.emit(a), self.emit(b)),
            Expr::Div(a, b) => Op::Div(self.emit(a), self.emit(b)),
            Expr::Pow(a, b) => match **b {
                // Small integer powers by multiplication (exact signs for negative bases),
                // as `Expr::eval` does.
                Expr::Num(k) if k.fract() == 0.0 && k.abs() <= 64.0 => Op::Powi(self.emit(a), k as i32),
                _ => Op::Pow(self.emit(a), self.emit(b)),
            },
            Expr::Call(f, a) => Op::Call(*f, self.emit(a)),
        };
        self.push(op)
    }
}

thread_local! {
    static REGISTERS: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

impl Program {
    /// Compiles `e`.
    pub fn new(e: &Expr) -> Self {
        let mut b = Builder { ops: Vec::new(), seen: HashMap::new() };
        let out = b.emit(e);
        debug_assert_eq!(out, b.ops.len() - 1);
        Program { ops: b.ops }
    }

    /// Number of instructions.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether the program is empty (never: every expression has a value).
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Runs the program on `xs` (at most [`CHUNK`] points) with `regs` (`len · CHUNK`).
    fn run_chunk(&self, xs: &[f64], regs: &mut [f64]) {
        let n = xs.len();
        for (i, op) in self.ops.iter().enumerate() {
            let (done, rest) = regs.split_at_mut(i * CHUNK);
            let out = &mut rest[..n];
            let reg = |r: usize| &done[r * CHUNK..r * CHUNK + n];
            match *op {
                Op::Num(v) => out.fill(v),
                Op::X => out.copy_from_slice(xs),
                Op::Neg(a) => out.iter_mut().zip(reg(a)).for_each(|(o, a)| *o = -a),
                Op::Add(a, b) => {
                    out.iter_mut().zip(reg(a).iter().zip(reg(b))).for_each(|(o, (a, b))| *o = a + b)
                }
                Op::Sub(a, b) => {
                    out.iter_mut().zip(reg(a).iter().zip(reg(b))).for_each(|(o, (a, b))| *o = a - b)
                }
                Op::Mul(a, b) => {
                    out.iter_mut().zip(reg(a).iter().zip(reg(b))).for_each(|(o, (a, b))| *o = a * b)
                }
                Op::Div(a, b) => {
                    out.iter_mut().zip(reg(a).iter().zip(reg(b))).for_each(|(o, (a, b))| *o = a / b)
                }
                Op::Powi(a, k) => out.iter_mut().zip(reg(a)).for_each(|(o, a)| *o = a.powi(k)),
                Op::Pow(a, b) => {
                    out.iter_mut().zip(reg(a).iter().zip(reg(b))).for_each(|(o, (a, b))| *o = a.powf(*b))
                }
                Op::Call(f, a) => out.iter_mut().zip(reg(a)).for_each(|(o, a)| *o = f.eval(*a)),
            }
        }
    }

    /// `out[i] = e(xs[i])` for every point.
    pub fn eval_slice(&self, xs: &[f64], out: &mut [f64]) {
        let last = self.ops.len() - 1;
        REGISTERS.with(|cell| {
            let mut regs = cell.borrow_mut();
            regs.resize(self.ops.len() * CHUNK, 0.0);
            for (x, o) in xs.chunks(CHUNK).zip(out.chunks_mut(CHUNK)) {
                self.run_chunk(x, &mut regs);
                o.copy_from_slice(&regs[last * CHUNK..last * CHUNK + x.len()]);
            }
        });
    }

    /// As [`Program::eval_slice`] in single precision (evaluated in double, rounded once).
    pub fn eval_slice_f32(&self, xs: &[f32], out: &mut [f32]) {
        let mut wide = [0.0f64; CHUNK];
        let mut result = [0.0f64; CHUNK];
        for (x, o) in xs.chunks(CHUNK).zip(out.chunks_mut(CHUNK)) {
            for (w, &v) in wide.iter_mut().zip(x) {
                *w = v as f64;
            }
            self.eval_slice(&wide[..x.len()], &mut result[..x.len()]);
            for (o, &r) in o.iter_mut().zip(&result) {
                *o = r as f32;
            }
        }
    }

    /// `e(x)` at one point.
    pub fn eval(&self, x: f64) -> f64 {
        let mut out = [0.0];
        self.eval_slice(&[x], &mut out);
        out[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custom_phi::parse::parse;

    /// The compiled program equals the tree, node by node, bit for bit (the same operations
    /// in the same order), on chunk boundaries too; shared subexpressions are computed once.
    #[test]
    fn program_equals_tree() {
        for text in
            ["x*sigmoid(x)", "sin(3*x)+0.1*x", "(x^2-1)/(1+abs(x))^0.5", "gelu(x)-x^3/6", "exp(-x^2)*cos(x)"]
        {
            let e = parse(text).unwrap();
            let p = Program::new(&e);
            let xs: Vec<f64> =
                (0..2 * CHUNK + 3).map(|i| -7.0 + 14.0 * i as f64 / (2 * CHUNK) as f64).collect();
            let mut out = vec![0.0; xs.len()];
            p.eval_slice(&xs, &mut out);
            for (&x, &y) in xs.iter().zip(&out) {
                let reference = e.eval(x);
                assert!(
                    y.to_bits() == reference.to_bits() || (y.is_nan() && reference.is_nan()),
                    "{text} at {x}: {y} vs {reference}"
                );
            }
        }
        let p = Program::new(&parse("sigmoid(x)*x+sigmoid(x)").unwrap());
        assert_eq!(p.len(), 4, "x, sigmoid(x), the product and the sum, nothing twice: {p:?}");
    }
}
