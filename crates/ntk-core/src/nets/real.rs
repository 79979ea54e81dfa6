//! The scalar of a network ([`Real`]): `f32` for fast training, `f64` for gradient checks, and
//! dual numbers for the quadratic model ([`crate::nets::dual`]), with φ and φ' of a layer and
//! the multiply-add of the hot loops.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Mul, Neg, Sub};

use crate::activation::Activation;
use crate::scalar::FMA;

/// The scalar of a network: `f32` for fast training, `f64` for gradient checks.
pub trait Real:
    Copy
    + Default
    + Debug
    + Send
    + Sync
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + Into<f64>
    + 'static
{
    /// 0
    const ZERO: Self;
    /// Conversion from f64 (rounding to nearest).
    fn from_f64(x: f64) -> Self;
    /// Exact widening to f64.
    fn to_f64(self) -> f64;
    /// φ(x).
    fn phi(act: Activation, x: Self) -> Self;
    /// φ'(x).
    fn dphi(act: Activation, x: Self) -> Self;
    /// `self · b + c` with a single rounding (the type's `mul_add`).
    fn fused_mul_add(self, b: Self, c: Self) -> Self;
    /// `self · b + c`: one fused multiply-add (a single rounding) where the build target has
    /// FMA (native builds on FMA CPUs), otherwise a product and a sum.
    #[inline(always)]
    fn madd(self, b: Self, c: Self) -> Self {
        if FMA {
            self.fused_mul_add(b, c)
        } else {
            self * b + c
        }
    }
    /// Four multiply-adds `a[q]·b[q] + c[q]` ([`Real::madd`] per lane; one `f32x4.relaxed_madd`
    /// in f32 wasm builds with the `relaxed-simd` target feature, fused or not as the CPU does
    /// it: then results may differ between machines by f32 rounding, never between workers on
    /// one machine).
    #[inline(always)]
    fn madd_x4(a: [Self; 4], b: [Self; 4], c: [Self; 4]) -> [Self; 4] {
        std::array::from_fn(|q| a[q].madd(b[q], c[q]))
    }
    /// `out[i] = φ(x[i])` for a layer.
    fn phi_layer(act: Activation, x: &[Self], out: &mut [Self]) {
        out.iter_mut().zip(x).for_each(|(o, &v)| *o = Self::phi(act, v));
    }
    /// `out[i] = g[i] · φ'(x[i])` for a layer.
    fn dphi_times(act: Activation, x: &[Self], g: &[Self], out: &mut [Self]) {
        out.iter_mut().zip(x.iter().zip(g)).for_each(|(o, (&v, &gi))| *o = gi * Self::dphi(act, v));
    }
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn phi(act: Activation, x: Self) -> Self {
        act.apply_f32(x)
    }
    fn dphi(act: Activation, x: Self) -> Self {
        act.derivative_f32(x)
    }
    fn phi_layer(act: Activation, x: &[Self], out: &mut [Self]) {
        act.apply_slice_f32(x, out);
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
    #[inline(always)]
    fn madd_x4(a: [Self; 4], b: [Self; 4], c: [Self; 4]) -> [Self; 4] {
        use core::arch::wasm32::{f32x4, f32x4_extract_lane, f32x4_relaxed_madd};
        let v = f32x4_relaxed_madd(
            f32x4(a[0], a[1], a[2], a[3]),
            f32x4(b[0], b[1], b[2], b[3]),
            f32x4(c[0], c[1], c[2], c[3]),
        );
        [
            f32x4_extract_lane::<0>(v),
            f32x4_extract_lane::<1>(v),
            f32x4_extract_lane::<2>(v),
            f32x4_extract_lane::<3>(v),
        ]
    }
    fn dphi_times(act: Activation, x: &[Self], g: &[Self], out: &mut [Self]) {
        act.derivative_times_f32(x, g, out);
    }
    #[inline(always)]
    fn fused_mul_add(self, b: Self, c: Self) -> Self {
        self.mul_add(b, c)
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn phi(act: Activation, x: Self) -> Self {
        act.apply(x)
    }
    fn dphi(act: Activation, x: Self) -> Self {
        act.derivative(x)
    }
    fn phi_layer(act: Activation, x: &[Self], out: &mut [Self]) {
        act.apply_slice(x, out);
    }
    fn dphi_times(act: Activation, x: &[Self], g: &[Self], out: &mut [Self]) {
        act.derivative_slice(&x[..out.len()], out);
        out.iter_mut().zip(g).for_each(|(o, &gi)| *o *= gi);
    }
    #[inline(always)]
    fn fused_mul_add(self, b: Self, c: Self) -> Self {
        self.mul_add(b, c)
    }
}
