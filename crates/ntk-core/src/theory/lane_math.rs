//! Elementary functions written without branches, so that a loop applying them to a block of
//! lanes (`[f64; LANES]`) compiles to SIMD instructions (the compiler turns the `if`s below
//! into selects). They are the closed-form kernel maps' `asin`, `acos` and `exp`.
//!
//! `asin` and `acos` use the reductions of FreeBSD msun's `e_asin.c` / `e_acos.c` (as in the
//! `libm` crate): `asin x = x + x·z·F(z)` with `z = x²` for `|x| < 1/2`, and
//! `asin |x| = π/2 − 2 asin √z` with `z = (1 − |x|)/2` otherwise, where
//! `F(z) = (asin √z − √z)/z^{3/2}`. Where msun approximates `z·F(z)` by a rational function
//! (one division per call), `F` here is its degree-12 Chebyshev interpolant on `[0, 1/4]`
//! (absolute error `1.5e-17`, computed with mpmath at 50 digits; the coefficients are below),
//! so that the only divider work left is one square root. Without msun's extra-precision
//! split of `√z` the results are within a few ulp of `libm`'s (tests below).

// The constants keep all the digits of their sources (msun, the mpmath fit).
#![allow(clippy::excessive_precision)]

/// Number of f64 lanes processed together (one AVX-512 register, two AVX2 ones, four wasm
/// SIMD ones).
pub const LANES: usize = 8;

/// A block of lanes.
pub type Lanes = [f64; LANES];

const PIO2_HI: f64 = std::f64::consts::FRAC_PI_2;
const PIO2_LO: f64 = 6.123_233_995_736_766_035_87e-17;

/// Coefficients of `F(z) = (asin √z − √z)/z^{3/2}` on `[0, 1/4]`, highest degree first
/// (`F(0) = 1/6`, `F'(0) = 3/40`).
const ASIN_F: [f64; 13] = [
    2.875_785_136_742_156_470_8e-2,
    -1.485_188_707_124_720_322_4e-2,
    1.740_087_944_269_402_244_3e-2,
    5.457_506_718_640_358_300_4e-3,
    1.032_281_435_018_577_928_7e-2,
    1.147_917_741_518_490_589_6e-2,
    1.397_121_297_355_293_330_4e-2,
    1.735_239_272_086_997_294_2e-2,
    2.237_217_294_214_988_787_5e-2,
    3.038_194_413_853_124_728_7e-2,
    4.464_285_714_635_542_978_3e-2,
    7.499_999_999_998_432_933_2e-2,
    1.666_666_666_666_666_782_7e-1,
];

/// `z·F(z) = (asin √z − √z)/√z` for `z ∈ [0, 1/4]`.
#[inline(always)]
fn asin_r(z: f64) -> f64 {
    let mut f = ASIN_F[0];
    for c in &ASIN_F[1..] {
        f = f * z + c;
    }
    z * f
}

/// `asin x` for `x ∈ [−1, 1]` (arguments outside are clamped), branch-free.
#[inline(always)]
pub fn asin(x: f64) -> f64 {
    let x = x.clamp(-1.0, 1.0);
    let a = x.abs();
    let small = a < 0.5;
    let z_big = (1.0 - a) * 0.5;
    let z = if small { a * a } else { z_big };
    let u = if small { a } else { z_big.sqrt() };
    let y = u + u * asin_r(z);
    let magnitude = if small { y } else { PIO2_HI - (2.0 * y - PIO2_LO) };
    magnitude.copysign(x)
}

/// `acos x` for `x ∈ [−1, 1]` (arguments outside are clamped), branch-free.
#[inline(always)]
pub fn acos(x: f64) -> f64 {
    let x = x.clamp(-1.0, 1.0);
    let a = x.abs();
    let small = a < 0.5;
    let z_big = (1.0 - a) * 0.5;
    let z = if small { x * x } else { z_big };
    let r = asin_r(z);
    let s = z_big.sqrt();
    // |x| < 1/2: π/2 − asin x.
    let small_value = PIO2_HI - (x - (PIO2_LO - x * r));
    // x ≤ −1/2: π − 2 asin √((1 + x)/2).
    let negative = 2.0 * (PIO2_HI - (s + (s * r - PIO2_LO)));
    // x ≥ 1/2: 2 asin √((1 − x)/2).
    let positive = 2.0 * (s + s * r);
    if small {
        small_value
    } else if x < 0.0 {
        negative
    } else {
        positive
    }
}

const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-01;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
const INV_LN2: f64 = std::f64::consts::LOG2_E;

/// `eˣ` for `x ≤ 709` (larger arguments give +∞, arguments below −708 give 0), branch-free,
/// to ≈ 1 ulp: `x = k ln 2 + r` with `|r| ≤ ln2/2` (Cody–Waite, two-part ln 2), `eʳ` by its
/// Taylor polynomial to degree 13 (remainder `< (ln2/2)^{14}/14! < 1.5e-17`), scaled by `2ᵏ`
/// through the exponent bits.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let underflow = x < -708.0;
    let x = x.clamp(-708.0, 709.8);
    let k = (x * INV_LN2).round_ties_even();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Horner from the top: Σ_{n≤13} rⁿ/n!.
    let mut p = 1.0 / 6_227_020_800.0; // 1/13!
    for inv_fact in [
        1.0 / 479_001_600.0, // 1/12!
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p * r + inv_fact;
    }
    // 2ᵏ for k ∈ [−1022, 1024] as two factors 2^{⌊k/2⌋}·2^{k−⌊k/2⌋}, each a normal number.
    // The integer k is read from the bits of k + 1.5·2⁵² (exact for |k| < 2⁵¹), which
    // vectorizes where a float-to-integer cast does not.
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    let k = (k + MAGIC).to_bits() as i64 - MAGIC.to_bits() as i64;
    let k1 = k >> 1;
    let k2 = k - k1;
    let two_k1 = f64::from_bits(((k1 + 1023) as u64) << 52);
    let two_k2 = f64::from_bits(((k2 + 1023) as u64) << 52);
    let value = p * two_k1 * two_k2;
    if underflow {
        0.0
    } else {
        value
    }
}

/// `(e^{−h} sinh c, e^{−h} cosh c)` for `|c| ≤ h`, given `damp = e^{−h}`, without overflow:
/// Taylor series for `|c| < 1/2` (remainder `< 0.5¹⁹/19! ≈ 2e-23` relative), exponentials
/// otherwise.
#[inline(always)]
pub fn damped_sinh_cosh(c: f64, h: f64, damp: f64) -> (f64, f64) {
    let c2 = c * c;
    // sinh c = c Σ c^{2n}/(2n+1)!, cosh c = Σ c^{2n}/(2n)!, n ≤ 8.
    let mut s = 1.0 / 121_645_100_408_832_000.0; // 1/19!
    let mut k = 1.0 / 6_402_373_705_728_000.0; // 1/18!
    for (odd, even) in [
        (1.0 / 355_687_428_096_000.0, 1.0 / 20_922_789_888_000.0), // 1/17!, 1/16!
        (1.0 / 1_307_674_368_000.0, 1.0 / 87_178_291_200.0),
        (1.0 / 6_227_020_800.0, 1.0 / 479_001_600.0),
        (1.0 / 39_916_800.0, 1.0 / 3_628_800.0),
        (1.0 / 362_880.0, 1.0 / 40_320.0),
        (1.0 / 5_040.0, 1.0 / 720.0),
        (1.0 / 120.0, 1.0 / 24.0),
        (1.0 / 6.0, 0.5),
        (1.0, 1.0),
    ] {
        s = s * c2 + odd;
        k = k * c2 + even;
    }
    let (sinh_small, cosh_small) = (damp * (c * s), damp * k);
    // |c| ≥ 1/2: e^{−h}(E ∓ 1/E)/2 with E = e^{|c|}; past |c| = 700 (where E alone would
    // overflow, and e^{−|c|} is negligible) e^{|c|−h}/2 for both.
    let a = c.abs();
    let huge = a > 700.0;
    let e = exp(if huge { a - h } else { a });
    let inv = 1.0 / e;
    let sinh_big = if huge { 0.5 * e } else { damp * (0.5 * (e - inv)) };
    let cosh_big = if huge { 0.5 * e } else { damp * (0.5 * (e + inv)) };
    if a < 0.5 {
        (sinh_small, cosh_small)
    } else {
        (sinh_big.copysign(c), cosh_big)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> f64 {
        ((a - b).abs() / (f64::EPSILON * b.abs().max(f64::MIN_POSITIVE))).max(0.0)
    }

    /// Dense arguments in [−1, 1], including the branch points ±1/2, ±0.975 and ±1.
    fn arguments() -> Vec<f64> {
        let mut xs: Vec<f64> = (0..=200_000).map(|i| -1.0 + 2.0 * i as f64 / 200_000.0).collect();
        for &v in &[0.5, 0.975, 1.0, 1.0 - 1e-16, 1e-300, 1e-20, 0.5 - 1e-17, 0.975 + 1e-16] {
            xs.push(v);
            xs.push(-v);
        }
        xs
    }

    /// Within 4 ulp of `libm` (itself < 1 ulp from the true value): the polynomial adds
    /// < 0.1 ulp; the unsplit `√z` and the final `π/2 − 2y` add at most ≈ 3 ulp near |x| = 1/2,
    /// where the subtraction cancels a factor 2.
    #[test]
    fn asin_and_acos_match_libm() {
        let (mut worst_asin, mut worst_acos) = (0.0f64, 0.0f64);
        for x in arguments() {
            worst_asin = worst_asin.max(ulps(asin(x), libm::asin(x)));
            worst_acos = worst_acos.max(ulps(acos(x), libm::acos(x)));
        }
        assert!(worst_asin <= 4.0, "asin: {worst_asin} ulp");
        assert!(worst_acos <= 4.0, "acos: {worst_acos} ulp");
        assert_eq!(asin(1.5), std::f64::consts::FRAC_PI_2);
        assert_eq!(acos(-2.0), std::f64::consts::PI);
        assert_eq!(acos(1.0), 0.0);
        assert_eq!(asin(0.0), 0.0);
    }

    /// Within 2 ulp of `libm::exp` on [−708, 709] (both are ≲ 1 ulp from the true value).
    #[test]
    fn exp_matches_libm() {
        for i in 0..=400_000 {
            let x = -708.0 + 1417.0 * i as f64 / 400_000.0;
            let (ours, theirs) = (exp(x), libm::exp(x));
            assert!(ulps(ours, theirs) <= 2.0, "exp({x}): {ours} vs {theirs}");
        }
        for &x in &[0.0, 1e-300, -1e-300, 1e-10, -0.5, 0.3465, -0.3466] {
            assert!(ulps(exp(x), libm::exp(x)) <= 1.0, "exp({x})");
        }
        assert_eq!(exp(1000.0), f64::INFINITY);
        assert_eq!(exp(-1000.0), 0.0);
    }

    /// Against `e^{−h}·sinh c` from libm where that does not overflow: within 1e-15 relative
    /// (≈ 4.5 ulp: Taylor branch, polynomial rounding; exponential branch, ≤ 2 ulp for `exp`,
    /// 1 ulp for `damp²`, 1 for the division, cancellation at most ×1.2 for |c| ≥ 1/2). Past
    /// overflow of `sinh` alone the result stays finite.
    #[test]
    fn damped_sinh_cosh_matches_libm() {
        for i in 0..=20_000 {
            let c = -12.0 + 24.0 * i as f64 / 20_000.0;
            for h in [c.abs(), c.abs() + 0.3, 15.0] {
                let damp = libm::exp(-h);
                let (s, k) = damped_sinh_cosh(c, h, damp);
                let (s_ref, k_ref) = (damp * libm::sinh(c), damp * libm::cosh(c));
                assert!((s - s_ref).abs() <= 1e-15 * s_ref.abs(), "sinh {c} {h}: {s} vs {s_ref}");
                assert!((k - k_ref).abs() <= 1e-15 * k_ref, "cosh {c} {h}: {k} vs {k_ref}");
            }
        }
        let (s, k) = damped_sinh_cosh(900.0, 950.0, 0.0);
        assert!((s - 0.5 * (-50f64).exp()).abs() < 1e-30 && (k - s).abs() < 1e-30, "{s} {k}");
    }
}
