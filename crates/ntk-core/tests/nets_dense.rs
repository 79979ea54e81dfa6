//! The SIMD Dense-layer kernels (forward; backward + update in one pass; separate passes with
//! momentum or more than GROUP points) against the plain formulas evaluated in f64 from the
//! same f32 inputs, for shapes that exercise every path: widths that are and are not whole
//! blocks of lanes, row counts across tile boundaries, 1 to 14 points.
//!
//! Tolerance: a sum of m f32 products accumulated in f32 (fused or not) is within
//! `m · 2⁻²³ · Σ|terms|` of the exact sum (each product and each addition rounds once,
//! relative 2⁻²⁴, at most 2m roundings touching any partial sum), so every output is checked
//! against `(m + 2) · 2⁻²³ · Σ|terms| + 1e-30`, computed from the terms themselves.

use ntk_core::nets::dense::{backward, backward_update, forward, update, GROUP, LANES};
use ntk_core::nets::mlp::Layer;
use ntk_core::rng::Normal;

fn layer(n_in: usize, n_out: usize, seed: u64) -> Layer<f32> {
    let mut r = Normal::new(seed);
    Layer {
        n_in,
        n_out,
        w: (0..n_in * n_out).map(|_| r.sample() as f32).collect(),
        b: (0..n_out).map(|_| r.sample() as f32).collect(),
        cw: 0.7,
        cb: 0.3,
    }
}

fn values(len: usize, seed: u64) -> Vec<f32> {
    let mut r = Normal::new(seed);
    (0..len).map(|_| r.sample() as f32).collect()
}

/// Checks `got` against terms whose exact sum is the expected value.
fn check(got: f32, terms: &[f64], what: &str) {
    let exact: f64 = terms.iter().sum();
    let scale: f64 = terms.iter().map(|t| t.abs()).sum();
    let tol = (terms.len() as f64 + 2.0) * f64::powi(2.0, -23) * scale + 1e-30;
    assert!((got as f64 - exact).abs() <= tol, "{what}: {got} vs {exact} (tolerance {tol:e})");
}

/// (n_in, n_out) pairs: whole blocks, ragged, narrower than a block, across the 16-row tiles.
fn shapes() -> Vec<(usize, usize)> {
    vec![(1, 7), (3, 1), (LANES, 16), (2 * LANES + 3, 17), (37, 33), (64, 5), (5 * LANES, 40)]
}

#[test]
fn forward_is_the_affine_map() {
    for (n_in, n_out) in shapes() {
        for n in [1, 2, 5, GROUP, GROUP + 1, 14] {
            let l = layer(n_in, n_out, 3);
            let a = values(n * n_in, 4);
            let mut out = vec![f32::NAN; n * n_out];
            forward(&l, &a, n, &mut out);
            for s in 0..n {
                for j in 0..n_out {
                    let mut terms: Vec<f64> = (0..n_in)
                        .map(|i| l.cw as f64 * l.w[j * n_in + i] as f64 * a[s * n_in + i] as f64)
                        .collect();
                    terms.push(l.cb as f64 * l.b[j] as f64);
                    check(
                        out[s * n_out + j],
                        &terms,
                        &format!("forward {n_in}x{n_out}, n={n}, s={s}, j={j}"),
                    );
                }
            }
        }
    }
}

#[test]
fn backward_is_the_transposed_product() {
    for (n_in, n_out) in shapes() {
        for n in [1, 4, GROUP, 14] {
            let l = layer(n_in, n_out, 5);
            let d = values(n * n_out, 6);
            let mut back = vec![f32::NAN; n * n_in];
            backward(&l, &d, n, &mut back);
            for s in 0..n {
                for i in 0..n_in {
                    let terms: Vec<f64> =
                        (0..n_out).map(|j| l.w[j * n_in + i] as f64 * d[s * n_out + j] as f64).collect();
                    check(
                        back[s * n_in + i],
                        &terms,
                        &format!("backward {n_in}x{n_out}, n={n}, s={s}, i={i}"),
                    );
                }
            }
        }
    }
}

/// One pass (≤ GROUP points, no momentum) and the separate passes (more points, momentum)
/// give `Wᵀδ` with the old weights and `W + Σ_s g_s a_sᵀ` (or the momentum update).
#[test]
fn backward_update_uses_the_old_weights_then_updates_them() {
    for (n_in, n_out) in shapes() {
        for n in [1, 2, 3, 5, GROUP, GROUP + 2, 14] {
            for with_back in [true, false] {
                for beta in [None, Some(0.6f32)] {
                    let mut l = layer(n_in, n_out, 7);
                    let old = l.clone();
                    let d = values(n * n_out, 8);
                    let g = values(n * n_out, 9);
                    let a = values(n * n_in, 10);
                    let v0 = values(n_in * n_out, 11);
                    let mut velocity = v0.clone();
                    let mut back = vec![f32::NAN; n * n_in];
                    let mut scratch = Vec::new();
                    backward_update(
                        &mut l,
                        &d,
                        &g,
                        &a,
                        n,
                        with_back.then_some(&mut back[..]),
                        beta.map(|b| (b, &mut velocity[..])),
                        &mut scratch,
                    );
                    let what = format!("{n_in}x{n_out}, n={n}, back={with_back}, momentum={beta:?}");
                    if with_back {
                        for s in 0..n {
                            for i in 0..n_in {
                                let terms: Vec<f64> = (0..n_out)
                                    .map(|j| old.w[j * n_in + i] as f64 * d[s * n_out + j] as f64)
                                    .collect();
                                check(back[s * n_in + i], &terms, &format!("back of {what}"));
                            }
                        }
                    } else {
                        assert!(back.iter().all(|v| v.is_nan()), "{what}: back written");
                    }
                    for j in 0..n_out {
                        for i in 0..n_in {
                            let k = j * n_in + i;
                            let step: Vec<f64> =
                                (0..n).map(|s| g[s * n_out + j] as f64 * a[s * n_in + i] as f64).collect();
                            match beta {
                                None => {
                                    let terms: Vec<f64> =
                                        std::iter::once(old.w[k] as f64).chain(step).collect();
                                    check(l.w[k], &terms, &format!("W of {what}"));
                                }
                                Some(b) => {
                                    let mut terms = vec![b as f64 * v0[k] as f64];
                                    terms.extend(step);
                                    check(velocity[k], &terms, &format!("v of {what}"));
                                    check(
                                        l.w[k],
                                        &[old.w[k] as f64, velocity[k] as f64],
                                        &format!("W of {what}"),
                                    );
                                }
                            }
                        }
                    }
                    assert_eq!(l.b, old.b, "{what}: biases are the caller's");
                }
            }
        }
    }
}

#[test]
fn update_alone_adds_every_point() {
    let mut l = layer(21, 9, 12);
    let old = l.clone();
    let (g, a) = (values(3 * 9, 13), values(3 * 21, 14));
    update(&mut l, &g, &a, 3, None);
    for j in 0..9 {
        for i in 0..21 {
            let mut terms = vec![old.w[j * 21 + i] as f64];
            terms.extend((0..3).map(|s| g[s * 9 + j] as f64 * a[s * 21 + i] as f64));
            check(l.w[j * 21 + i], &terms, "update");
        }
    }
}
