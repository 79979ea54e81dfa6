//! Branch-free single-precision `erf` and `exp` for the training loops: polynomials and
//! selects only, so that loops applying them to a layer compile to SIMD (the `libm` functions
//! branch on the argument and run one value at a time). Accuracy: within 4 ulp of the exact
//! values (tests below); `libm`'s are within 1 ulp.
//!
//! The coefficients are least-squares/Chebyshev fits in double precision, rounded to f32:
//! `erf(x) = x·P(x²)` on |x| < 1 (P of degree 6, relative fit error 1.6e-9), a degree-14
//! polynomial in `t = (|x| − 2.5)/1.5` on 1 ≤ |x| ≤ 4 (absolute fit error 1.1e-8, a fifth of
//! an ulp of 1), and ±1 from |x| = 3.92 on (where erf rounds to ±1 in f32);
//! `exp(y) = 2ⁿ · Q(r)` with `n = round(y/ln 2)`, `r = y − n ln 2` (|r| ≤ ln 2/2, Cody–Waite
//! split of ln 2) and Q of degree 6 (relative fit error 2.5e-9).

// The coefficients keep the digits of the f64 fits; the compiler rounds them to f32.
#![allow(clippy::excessive_precision)]

use crate::scalar::madd_f32;

/// erf(x)/x as a polynomial in x², |x| < 1.
const ERF_SMALL: [f32; 7] = [
    std::f32::consts::FRAC_2_SQRT_PI,
    -0.376_126_3,
    0.112_836_26,
    -0.026_855_4,
    0.005_191_218,
    -0.000_803_484_3,
    7.933_479e-5,
];

/// erf(x) as a polynomial in t = (x − 2.5)/1.5, 1 ≤ x ≤ 4.
const ERF_LARGE: [f32; 15] = [
    0.999_593_03,
    0.003_267_270_3,
    -0.012_252_83,
    0.028_187_407,
    -0.043_651_48,
    0.046_389_584,
    -0.031_868_45,
    0.009_579_306,
    0.006_637_864,
    -0.010_411_846,
    0.004_667_029,
    0.001_542_911,
    -0.002_032_798_7,
    9.497_238e-5,
    0.000_258_006_1,
];

/// exp(r) for |r| ≤ ln 2 / 2.
const EXP_REDUCED: [f32; 7] = [1.0, 1.0, 0.5, 0.166_664_15, 0.041_666_35, 0.008_375_126, 0.001_394_110_8];

/// Σ c_k t^k by Horner's rule (fused multiply-adds where the target has them).
#[inline(always)]
fn horner(c: &[f32], t: f32) -> f32 {
    c.iter().rev().fold(0.0, |acc, &ck| madd_f32(acc, t, ck))
}

/// The error function `erf(x) = 2/√π ∫₀ˣ e^{−s²} ds` in single precision, within 4 ulp;
/// odd, |erf| ≤ 1, NaN for NaN.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let a = x.abs().min(4.0);
    let small = a * horner(&ERF_SMALL, a * a);
    let large = horner(&ERF_LARGE, (a - 2.5) * (1.0 / 1.5)).min(1.0);
    // From 3.92 on, 1 − erf(x) < 2.98e-8 (half the spacing of f32 below 1): erf rounds to 1.
    let r = if a < 1.0 {
        small
    } else if a < 3.92 {
        large
    } else {
        1.0
    }
    .copysign(x);
    if x.is_nan() {
        x
    } else {
        r
    }
}

/// eʸ in single precision, within 2 ulp for −87.3 ≤ y ≤ 88; 0 below −87.3 (where eʸ is
/// subnormal or 0 in f32), +∞ above 88, NaN for NaN.
#[inline(always)]
pub fn exp(y: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 = LN2_HI + LN2_LO with LN2_HI of 9 significant bits, so n·LN2_HI is exact.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5·2²³ rounds to the nearest integer (ties to even).
    const ROUND: f32 = 12_582_912.0;
    let yc = y.clamp(-87.3, 88.0);
    let n = (yc * LOG2E + ROUND) - ROUND;
    let r = (yc - n * LN2_HI) - n * LN2_LO;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    let v = horner(&EXP_REDUCED, r) * scale;
    if y < -87.3 {
        0.0
    } else if y > 88.0 {
        f32::INFINITY
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place of the f32 nearest to `exact`.
    fn ulps(got: f32, exact: f64) -> f64 {
        let nearest = exact as f32;
        let ulp = (f32::from_bits(nearest.abs().to_bits() + 1) - nearest.abs()) as f64;
        (got as f64 - exact).abs() / ulp
    }

    /// Every 64th f32 in [0, 4.5] (about 1.7e7 values, all binades from 1e-38 on), against
    /// libm's double-precision erf. Bound: fit error < 0.2 ulp plus the rounding of Horner's
    /// rule over 7 (15) terms; a float32 simulation of the evaluation without fused
    /// multiply-adds gave at most 2.7 ulp, so 4 ulp leaves a margin and still catches a wrong
    /// coefficient (a change in the 6th digit of one gives ≥ 10 ulp).
    #[test]
    fn erf_is_within_4_ulp() {
        let mut worst = (0.0, 0.0f32);
        let top = 4.5f32.to_bits();
        for bits in (0x0080_0000..top).step_by(64).chain([0, top]) {
            let x = f32::from_bits(bits);
            for x in [x, -x] {
                let e = ulps(erf(x), libm::erf(x as f64));
                if e > worst.0 {
                    worst = (e, x);
                }
            }
        }
        assert!(worst.0 <= 4.0, "erf off by {} ulp at {}", worst.0, worst.1);
        assert_eq!(erf(0.0), 0.0);
        assert_eq!(erf(f32::INFINITY), 1.0);
        assert_eq!(erf(-100.0), -1.0);
        assert!(erf(f32::NAN).is_nan());
        assert!((0..4000).map(|i| erf(i as f32 * 1e-3)).all(|v| v <= 1.0));
    }

    /// Every 16th f32 in [−87.3, 88] against libm's double-precision exp. Bound: fit error
    /// 0.04 ulp, reduction error (n·LN2_LO rounding, ≤ 88·2⁻²⁴·2⁻¹² relative to r) and Horner
    /// rounding of 7 terms, about 1.5 ulp; 2 ulp asserted.
    #[test]
    fn exp_is_within_2_ulp() {
        let mut worst = (0.0, 0.0f32);
        let check = |y: f32, worst: &mut (f64, f32)| {
            let e = ulps(exp(y), (y as f64).exp());
            if e > worst.0 {
                *worst = (e, y);
            }
        };
        for bits in (0..(-87.3f32).to_bits() - 0x8000_0000).step_by(16) {
            check(-f32::from_bits(bits), &mut worst);
        }
        for bits in (0..88.0f32.to_bits()).step_by(16) {
            check(f32::from_bits(bits), &mut worst);
        }
        assert!(worst.0 <= 2.0, "exp off by {} ulp at {}", worst.0, worst.1);
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-100.0), 0.0);
        assert_eq!(exp(100.0), f32::INFINITY);
        assert!(exp(f32::NAN).is_nan());
    }
}
