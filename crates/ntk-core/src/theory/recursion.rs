//! The one layer recursion of the infinite-width kernels (paper SM E, Eq. S26–S29; docs/MATH.md
//! "The recursion"), written as neural-tangents writes it: a kernel record flows through the
//! layers, each layer a small function of it,
//!
//! ```text
//! input:          K ← x·x'/d,           Θ ← 0
//! Dense:          K ← σ_w² K + σ_b²,    Θ ← K + σ_w² Θ        (K the new K)
//! nonlinearity:   K ← T(Σ),             Θ ← Ṫ(Σ) ⊙ Θ
//! network:        Dense, (φ, Dense) × L
//! ```
//!
//! so that after the network `K = K^{L+1}` and `Θ = Θ^{L+1}` with
//! `K^{l+1} = σ_w² T(Σ^l) + σ_b²`, `Θ^{l+1} = K^{l+1} + σ_w² Ṫ(Σ^l) Θ^l`.
//!
//! [`Layers::fold`] is the network, once for every shape of record: the Dense layer is
//! [`KernelState::dense`], the same arithmetic whatever the shape, and the nonlinearity is the
//! caller's, since that is where the shapes differ — one entry ([`Entry`]: a point's own
//! variance, the kernels' diagonal), a block of [`LANES`] entries in registers
//! ([`LaneEntries`], the fused all-layers pass), or whole matrices with their points'
//! variances ([`KernelRecord`], the layered pass, the smooth kernels and the phase diagram's
//! Gram matrices).

use nalgebra::DMatrix;

use crate::theory::kernel_maps::{KernelMap, TPair};
use crate::theory::kernel_types::KernelPair;
use crate::theory::lane_math::{Lanes, LANES};

/// What flows through the layers: K and Θ on some set of entries (and whatever a nonlinearity
/// needs of the points, e.g. their variances).
pub trait KernelState: Sized {
    /// A Dense layer in NTK parameterization (SM E): `K ← σ_w² K + σ_b²`, `Θ ← K + σ_w² Θ`
    /// with the new K (the bias and weight gradients of this layer), the points' variances
    /// `K(x, x)` likewise.
    fn dense(self, sw2: f64, sb2: f64) -> Self;
}

/// The network `Dense, (φ, Dense) × depth` with weight and bias variances σ_w², σ_b² (SM E;
/// the readout is the last Dense, layer L+1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layers {
    /// L, the number of hidden layers (nonlinearities)
    pub depth: usize,
    /// σ_w²
    pub sw2: f64,
    /// σ_b²
    pub sb2: f64,
}

impl Layers {
    /// The first Dense layer on the input record: `K¹ = σ_w² x·x'/d + σ_b²`, `Θ¹ = K¹` (Eq. S27).
    #[inline(always)]
    pub fn first<S: KernelState>(&self, input: S) -> S {
        input.dense(self.sw2, self.sb2)
    }

    /// One hidden layer l (0-based) and the Dense after it: `state ← Dense(φ(state))`, i.e.
    /// `K^{l+2} = σ_w² T(Σ^{l+1}) + σ_b²`, `Θ^{l+2} = K^{l+2} + σ_w² Ṫ(Σ^{l+1}) Θ^{l+1}`
    /// (Eq. S26, S29), with `nonlinearity(l, state)` computing `K ← T(Σ)`, `Θ ← Ṫ ⊙ Θ`.
    #[inline(always)]
    pub fn step<S: KernelState>(
        &self,
        layer: usize,
        state: S,
        nonlinearity: impl FnOnce(usize, S) -> S,
    ) -> S {
        nonlinearity(layer, state).dense(self.sw2, self.sb2)
    }

    /// The network on the input record: [`Layers::first`], then [`Layers::step`] for
    /// l = 0 … L−1; returns `K^{L+1}`, `Θ^{L+1}`.
    #[inline(always)]
    pub fn fold<S: KernelState>(&self, input: S, mut nonlinearity: impl FnMut(usize, S) -> S) -> S {
        let mut state = self.first(input);
        for layer in 0..self.depth {
            state = self.step(layer, state, &mut nonlinearity);
        }
        state
    }

    /// As [`Layers::fold`] with a nonlinearity that can fail (e.g. an activation whose Gaussian
    /// expectations overflow): the first error stops the recursion.
    ///
    /// # Errors
    /// The nonlinearity's.
    #[inline(always)]
    pub fn try_fold<S: KernelState, E>(
        &self,
        input: S,
        mut nonlinearity: impl FnMut(usize, S) -> Result<S, E>,
    ) -> Result<S, E> {
        let mut state = self.first(input);
        for layer in 0..self.depth {
            state = nonlinearity(layer, state)?.dense(self.sw2, self.sb2);
        }
        Ok(state)
    }
}

/// K and Θ at one entry. On the diagonal (x = x') `nngp` is also the point's variance
/// `s^l = K^l(x, x)`, which is all the map needs: `s^{l+1} = σ_w² T(s^l) + σ_b²`,
/// `θ^{l+1} = s^{l+1} + σ_w² Ṫ(s^l) θ^l`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry {
    /// `K^l` at the entry
    pub nngp: f64,
    /// `Θ^l` at the entry
    pub ntk: f64,
}

impl Entry {
    /// The input record of one entry: `K = x·x'/d`, `Θ = 0`.
    #[inline(always)]
    pub fn input(dot: f64) -> Self {
        Entry { nngp: dot, ntk: 0.0 }
    }

    /// The nonlinearity with the map's values `m` at this entry: `K ← T`, `Θ ← Ṫ Θ`.
    #[inline(always)]
    pub fn nonlinearity(self, m: TPair) -> Self {
        Entry { nngp: m.t, ntk: self.ntk * m.t_dot }
    }
}

impl KernelState for Entry {
    #[inline(always)]
    fn dense(self, sw2: f64, sb2: f64) -> Self {
        let nngp = sw2 * self.nngp + sb2;
        Entry { nngp, ntk: nngp + sw2 * self.ntk }
    }
}

/// K and Θ at [`LANES`] entries at once (rows of one column), in registers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LaneEntries {
    /// `K^l` at each entry
    pub nngp: Lanes,
    /// `Θ^l` at each entry
    pub ntk: Lanes,
}

impl LaneEntries {
    /// The input record of the entries: `K = x·x'/d`, `Θ = 0`.
    #[inline(always)]
    pub fn input(dot: Lanes) -> Self {
        LaneEntries { nngp: dot, ntk: [0.0; LANES] }
    }

    /// The nonlinearity with the map's values `t`, `t_dot` at each entry: `K ← T`, `Θ ← Ṫ ⊙ Θ`.
    #[inline(always)]
    pub fn nonlinearity(self, t: &Lanes, t_dot: &Lanes) -> Self {
        let mut ntk = self.ntk;
        for r in 0..LANES {
            ntk[r] *= t_dot[r];
        }
        LaneEntries { nngp: *t, ntk }
    }
}

impl KernelState for LaneEntries {
    #[inline(always)]
    fn dense(self, sw2: f64, sb2: f64) -> Self {
        let (mut nngp, mut ntk) = (self.nngp, self.ntk);
        for r in 0..LANES {
            nngp[r] = sw2 * nngp[r] + sb2;
            ntk[r] = nngp[r] + sw2 * ntk[r];
        }
        LaneEntries { nngp, ntk }
    }
}

/// The kernel record between two point sets (neural-tangents' `Kernel`): covariance `nngp`
/// and tangent kernel `ntk`, plus the variances of each set's points.
#[derive(Clone, Debug)]
pub struct KernelRecord {
    /// `K^l(x1, x2)`
    pub nngp: DMatrix<f64>,
    /// `Θ^l(x1, x2)`
    pub ntk: DMatrix<f64>,
    /// `K^l(x, x)` for the points of x1
    pub var1: Vec<f64>,
    /// `K^l(x, x)` for the points of x2
    pub var2: Vec<f64>,
    /// `x1` and `x2` are the same set (only the upper triangle is computed, then mirrored)
    pub symmetric: bool,
}

impl KernelRecord {
    /// The input layer: `nngp = x·x'/d`, `ntk = 0`, the variances `|x|²/d`.
    pub fn input(x1: &DMatrix<f64>, x2: &DMatrix<f64>) -> Self {
        let d = x1.ncols().max(1) as f64;
        let symmetric = x1 == x2;
        let nngp = (x1 * x2.transpose()) / d;
        let row_var = |x: &DMatrix<f64>| -> Vec<f64> { x.row_iter().map(|r| r.norm_squared() / d).collect() };
        let var1 = row_var(x1);
        let var2 = if symmetric { var1.clone() } else { row_var(x2) };
        let ntk = DMatrix::zeros(x1.nrows(), x2.nrows());
        let mut rec = KernelRecord { nngp, ntk, var1, var2, symmetric };
        if symmetric {
            // Use the exact same numbers on the diagonal as in the variances.
            for (i, &v) in rec.var1.iter().enumerate() {
                rec.nngp[(i, i)] = v;
            }
        }
        rec
    }

    /// A nonlinearity: `K ← T(K)`, `Θ ← Ṫ(K) ⊙ Θ` (SM E), with `T`, `Ṫ` from `map`.
    pub fn nonlinearity<M: KernelMap>(mut self, map: &M) -> Self {
        let p1: Vec<M::Point> = self.var1.iter().map(|&v| map.prepare(v)).collect();
        let p2: Vec<M::Point> =
            if self.symmetric { Vec::new() } else { self.var2.iter().map(|&v| map.prepare(v)).collect() };
        let cols: &[M::Point] = if self.symmetric { &p1 } else { &p2 };
        let n1 = self.nngp.nrows();
        // Column-major storage: column j holds K(·, x2_j); walk it contiguously.
        for (j, q) in cols.iter().enumerate() {
            let rows = if self.symmetric { j + 1 } else { n1 };
            let k = &mut self.nngp.as_mut_slice()[j * n1..(j + 1) * n1];
            let t = &mut self.ntk.as_mut_slice()[j * n1..(j + 1) * n1];
            for i in 0..rows {
                let m = if self.symmetric && i == j { map.diag(q) } else { map.pair(&p1[i], q, k[i]) };
                k[i] = m.t;
                t[i] *= m.t_dot;
            }
        }
        let mut new_var1: Vec<f64> = p1.iter().map(|p| map.diag(p).t).collect();
        if self.symmetric {
            self.var2.clone_from(&new_var1);
        } else {
            self.var2 = p2.iter().map(|p| map.diag(p).t).collect();
        }
        std::mem::swap(&mut self.var1, &mut new_var1);
        self
    }

    /// Mirrors the computed upper triangle of a symmetric record into the lower one.
    pub fn finish(mut self) -> KernelPair {
        if self.symmetric {
            self.nngp.fill_lower_triangle_with_upper_triangle();
            self.ntk.fill_lower_triangle_with_upper_triangle();
        }
        KernelPair { nngp: self.nngp, ntk: self.ntk }
    }
}

impl KernelState for KernelRecord {
    /// `K ← σ_w² K + σ_b²`, `Θ ← K + σ_w² Θ` on every entry (only the upper triangle matters if
    /// `symmetric`), the variances likewise.
    fn dense(mut self, sw2: f64, sb2: f64) -> Self {
        self.nngp.apply(|k| *k = sw2 * *k + sb2);
        self.ntk.zip_apply(&self.nngp, |t, k| *t = k + sw2 * *t);
        for v in self.var1.iter_mut().chain(self.var2.iter_mut()) {
            *v = sw2 * *v + sb2;
        }
        self
    }
}

/// The diagonal entries of a set of points, each its own [`Entry`] (the smooth kernels'
/// diagonal, whose nonlinearity treats all points of a layer at once).
impl KernelState for Vec<Entry> {
    fn dense(self, sw2: f64, sb2: f64) -> Self {
        self.into_iter().map(|e| e.dense(sw2, sb2)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shape of record gives the same numbers through the same fold (identity φ, whose
    /// map is `T = c`, `Ṫ = 1`): `K^{L+1} = σ_w² K^L + σ_b²`, `Θ^{L+1} = Σ_j σ_w^{2j} K^{L+1−j}`.
    #[test]
    fn shapes_agree_with_the_unrolled_identity_network() {
        let layers = Layers { depth: 3, sw2: 1.7, sb2: 0.2 };
        let dot = 0.35;
        let mut k = vec![1.7 * dot + 0.2];
        for _ in 0..3 {
            k.push(1.7 * k[k.len() - 1] + 0.2);
        }
        let theta: f64 = (0..=3).map(|j| 1.7f64.powi(j as i32) * k[3 - j]).sum();
        let entry = layers.fold(Entry::input(dot), |_, e| e.nonlinearity(TPair { t: e.nngp, t_dot: 1.0 }));
        assert!((entry.nngp - k[3]).abs() < 1e-14 && (entry.ntk - theta).abs() < 1e-13, "{entry:?}");
        let lanes = layers
            .fold(LaneEntries::input([dot; LANES]), |_, e| e.nonlinearity(&e.nngp.clone(), &[1.0; LANES]));
        assert_eq!((lanes.nngp[LANES - 1], lanes.ntk[0]), (entry.nngp, entry.ntk));
    }
}
