//! Seeded, platform-independent random numbers for network initialisation.
//!
//! Every draw goes through ChaCha8 (a portable stream cipher, identical on x86-64 and
//! wasm32) and a Box–Muller transform written with `libm` (pure-Rust `log`, `sin`, `cos`) and
//! IEEE-exact `sqrt`, so the same seed gives bit-identical networks on every platform. No
//! entropy source is ever touched.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The seed of ensemble member `member` of a job with seed `job_seed`: a SplitMix64 hash of
/// both, so member streams are unrelated and do not depend on how members are split into runs.
pub fn member_seed(job_seed: u64, member: u64) -> u64 {
    let mut z = job_seed ^ member.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = splitmix64(z);
    splitmix64(z ^ 0xD1B5_4A32_D192_ED03)
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Standard normal draws z ~ N(0, 1) from a seeded ChaCha8 stream (Box–Muller:
/// `z₁ = √(−2 ln u₁) cos 2πu₂`, `z₂ = √(−2 ln u₁) sin 2πu₂`, u₁ ∈ (0, 1], u₂ ∈ [0, 1)).
#[derive(Clone, Debug)]
pub struct Normal {
    rng: ChaCha8Rng,
    spare: Option<f64>,
}

impl Normal {
    /// A generator seeded from a u64 (ChaCha8 `seed_from_u64`, which is platform-independent).
    pub fn new(seed: u64) -> Self {
        Normal { rng: ChaCha8Rng::seed_from_u64(seed), spare: None }
    }

    /// A uniform draw in [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// The next N(0, 1) draw.
    pub fn sample(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        // u1 in (0, 1] so that ln u1 is finite.
        let u1 = ((self.rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64);
        let u2 = self.uniform();
        let r = (-2.0 * libm::log(u1)).sqrt();
        let angle = 2.0 * std::f64::consts::PI * u2;
        // One argument reduction for both (the same bits as libm::sin and libm::cos: tested).
        let (sin, cos) = libm::sincos(angle);
        self.spare = Some(r * sin);
        r * cos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `libm::sincos` gives the bits of `libm::sin` and `libm::cos` (the draws must not change):
    /// on the Box–Muller angles 2πu of 10⁶ uniforms, tiny angles around the kernels' small-angle
    /// thresholds (2⁻²⁷√2, 2⁻²⁶), and near every multiple of π/4 below 2π.
    #[test]
    fn sincos_is_sin_and_cos() {
        let mut r = Normal::new(3);
        let tiny =
            (0..2000).map(|i| f64::from_bits(0x3e3f_0000_0000_0000 + (i as u64) * 0x0000_0800_0000_0000));
        let quarters = (0..=8).flat_map(|k| {
            let q = k as f64 * std::f64::consts::FRAC_PI_4;
            (-20i64..=20).map(move |d| f64::from_bits((q.to_bits() as i64 + d).max(0) as u64))
        });
        let uniforms: Vec<f64> = (0..1_000_000).map(|_| 2.0 * std::f64::consts::PI * r.uniform()).collect();
        for x in uniforms.into_iter().chain(tiny).chain(quarters) {
            let (s, c) = libm::sincos(x);
            assert_eq!(
                (s.to_bits(), c.to_bits()),
                (libm::sin(x).to_bits(), libm::cos(x).to_bits()),
                "at {x:e}"
            );
        }
    }

    #[test]
    fn reproducible_and_standard() {
        let mut a = Normal::new(7);
        let mut b = Normal::new(7);
        let n = 20_000;
        let (mut s1, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let z = a.sample();
            assert_eq!(z.to_bits(), b.sample().to_bits());
            s1 += z;
            s2 += z * z;
        }
        let mean = s1 / n as f64;
        let var = s2 / n as f64 - mean * mean;
        // Standard errors: mean 1/√n ≈ 0.007, variance √(2/n) ≈ 0.01; 5 σ bounds.
        assert!(mean.abs() < 0.035, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
        assert_ne!(member_seed(1, 0), member_seed(1, 1));
        assert_ne!(member_seed(1, 0), member_seed(2, 0));
    }
}
