//! The products of a Dense layer on a batch of points, the hot loops of training, written so
//! that LLVM compiles them to SIMD (AVX/AVX-512 natively, simd128 in the browser):
//!
//! - forward `h_s = c_w W a_s + c_b b` (dot products along the rows of W, two rows at a time);
//! - backward `back_s = Wᵀ (c_w δ_s)` and update `W ← W + Σ_s g_s a_sᵀ` in **one pass over W**
//!   for up to [`GROUP`] points: a block of [`LANES`] columns of W is walked down all rows with
//!   the points' inputs `a_s` and the backward sums of the block held in registers, so each
//!   weight is loaded and stored once per step (the backward product reads the weight before it
//!   is updated).
//!
//! Multiply-adds go through [`Real::madd`] (fused where the CPU has FMA). Lane sums are reduced
//! in a fixed order, so results do not depend on how points are grouped or on alignment — only
//! on the lane count and FMA of the build (native and browser builds agree to f32 rounding).

use crate::nets::real::Real;

/// One Dense layer `h = c_w · W x + c_b · b` (paper Eq. 1), `W` row-major `n_out × n_in`.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer<T> {
    /// input width n_in
    pub n_in: usize,
    /// output width n_out
    pub n_out: usize,
    /// trainable weights, `W[j, i]` at `j·n_in + i`
    pub w: Vec<T>,
    /// trainable biases
    pub b: Vec<T>,
    /// weight multiplier c_w (σ_w/√n_in in NTK parameterization, 1 in standard, √n times the
    /// mean-field multiplier in mean-field parameterization)
    pub cw: T,
    /// bias multiplier c_b (σ_b in NTK parameterization, 1 in standard; mean-field: σ_b √n in
    /// hidden layers, σ_b in the readout)
    pub cb: T,
}

/// Lanes of the vector loops: one simd128 register in wasm, one AVX register natively (LLVM
/// prefers 256-bit vectors even where AVX-512 exists). The inner loops keep up to 15 vectors
/// live, which fits the 16 registers of either.
pub const LANES: usize = if cfg!(target_arch = "wasm32") { 4 } else { 8 };

/// Most points whose inputs and backward sums stay in registers in one pass over W.
pub const GROUP: usize = 6;

/// A vector of [`LANES`] values, kept in a register by LLVM (plain array, element-wise loops).
#[derive(Clone, Copy)]
struct V<T>([T; LANES]);

#[allow(clippy::needless_range_loop)] // lane loops, written for SIMD
impl<T: Real> V<T> {
    #[inline(always)]
    fn zero() -> Self {
        V([T::ZERO; LANES])
    }

    #[inline(always)]
    fn splat(x: T) -> Self {
        V([x; LANES])
    }

    /// `self + b` per lane.
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        let mut r = self.0;
        for q in 0..LANES {
            r[q] += b.0[q];
        }
        V(r)
    }

    /// `self · b + c` per lane.
    #[inline(always)]
    fn madd(self, b: Self, c: Self) -> Self {
        #[cfg(target_arch = "wasm32")]
        {
            // LANES = 4 here: one (possibly relaxed) simd128 multiply-add.
            V(T::madd_x4(self.0, b.0, c.0))
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.madd_lanes(b, c)
        }
    }

    /// `self · b + c` lane by lane with [`Real::madd`].
    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    fn madd_lanes(self, b: Self, c: Self) -> Self {
        let mut r = c.0;
        for q in 0..LANES {
            r[q] = self.0[q].madd(b.0[q], r[q]);
        }
        V(r)
    }
}

/// The lane sums of B vectors, each pairwise in a fixed order. Kept out of line: inlined into
/// the loops whose accumulators it reduces, it leads LLVM's SLP vectorizer to lay those
/// accumulators out across points instead of lanes (scalar code, several times slower).
#[inline(never)]
fn lane_sums<T: Real, const B: usize>(acc: &[V<T>; B]) -> [T; B] {
    std::array::from_fn(|k| {
        let mut v = acc[k].0;
        let mut width = LANES;
        while width > 1 {
            width /= 2;
            for q in 0..width {
                v[q] += v[q + width];
            }
        }
        v[0]
    })
}

/// `out[s·n_out + j] = c_w Σᵢ W[j,i] a[s·n_in + i] + c_b b[j]` for n points (batch-major).
pub fn forward<T: Real>(layer: &Layer<T>, a: &[T], n: usize, out: &mut [T]) {
    let mut s0 = 0;
    while s0 < n {
        let chunk = (n - s0).min(GROUP);
        match chunk {
            1 => forward_group::<T, 1>(layer, a, s0, out),
            2 => forward_group::<T, 2>(layer, a, s0, out),
            3 => forward_group::<T, 3>(layer, a, s0, out),
            4 => forward_group::<T, 4>(layer, a, s0, out),
            5 => forward_group::<T, 5>(layer, a, s0, out),
            _ => forward_group::<T, 6>(layer, a, s0, out),
        }
        s0 += chunk;
    }
}

/// The first `blocks` whole blocks of lanes of `s` (which must hold that many).
#[inline(always)]
fn blocks_of<T>(s: &[T], blocks: usize) -> &[[T; LANES]] {
    &s.as_chunks::<LANES>().0[..blocks]
}

/// Mutable [`blocks_of`].
#[inline(always)]
fn blocks_of_mut<T>(s: &mut [T], blocks: usize) -> &mut [[T; LANES]] {
    &mut s.as_chunks_mut::<LANES>().0[..blocks]
}

/// Forward of B points starting at s0, two rows of W at a time (2B dot products share every
/// load of the inputs).
#[allow(clippy::needless_range_loop)] // fixed-size register loops
fn forward_group<T: Real, const B: usize>(layer: &Layer<T>, a: &[T], s0: usize, out: &mut [T]) {
    let (n_in, n_out) = (layer.n_in, layer.n_out);
    let nb = n_in / LANES;
    let split = nb * LANES;
    let rows: [&[T]; B] = std::array::from_fn(|k| &a[(s0 + k) * n_in..(s0 + k + 1) * n_in]);
    let xb: [&[[T; LANES]]; B] = std::array::from_fn(|k| blocks_of(rows[k], nb));
    let finish = |j: usize, acc: &[V<T>; B], out: &mut [T]| {
        let w_row = &layer.w[j * n_in..(j + 1) * n_in];
        let sums = lane_sums(acc);
        for k in 0..B {
            let mut sum = sums[k];
            for i in split..n_in {
                sum = w_row[i].madd(rows[k][i], sum);
            }
            out[(s0 + k) * n_out + j] = layer.cw * sum + layer.cb * layer.b[j];
        }
    };
    let mut pairs = layer.w.chunks_exact(2 * n_in);
    let mut j = 0;
    for pair in &mut pairs {
        let (w0, w1) = (blocks_of(pair, nb), blocks_of(&pair[n_in..], nb));
        let mut acc0 = [V::zero(); B];
        let mut acc1 = [V::zero(); B];
        for (c, (u0, u1)) in w0.iter().zip(w1).enumerate() {
            let (u0, u1) = (V(*u0), V(*u1));
            for k in 0..B {
                let x = V(xb[k][c]);
                acc0[k] = u0.madd(x, acc0[k]);
                acc1[k] = u1.madd(x, acc1[k]);
            }
        }
        finish(j, &acc0, out);
        finish(j + 1, &acc1, out);
        j += 2;
    }
    if j < n_out {
        let mut acc0 = [V::zero(); B];
        for (c, u0) in blocks_of(pairs.remainder(), nb).iter().enumerate() {
            for k in 0..B {
                acc0[k] = V(*u0).madd(V(xb[k][c]), acc0[k]);
            }
        }
        finish(j, &acc0, out);
    }
}

/// Per row j of one group of B points: `(c_w δ_s[j], g_s[j])` for s in the group, packed
/// row-major so the inner loop reads them contiguously.
fn pack_rows<T: Real, const B: usize>(delta_cw: &[T], g: &[T], s0: usize, n_out: usize, packed: &mut Vec<T>) {
    packed.clear();
    for j in 0..n_out {
        packed.extend((0..B).map(|k| delta_cw[(s0 + k) * n_out + j]));
        packed.extend((0..B).map(|k| g[(s0 + k) * n_out + j]));
    }
}

/// Rows of W per tile of the fused pass: a tile's column blocks are walked one after the other
/// down its rows, so the tile (16 rows of at most a few KB) stays in L1 while both halves of
/// every cache line are used.
const TILE_ROWS: usize = 16;

/// One pass over W for B ≤ [`GROUP`] points starting at s0: with `BACK` (and `back` given),
/// `back_s[i] = Σ_j W[j,i] (c_w δ_s[j])` with the old weights, then `W[j,i] += Σ_s g_s[j] a_s[i]`.
/// Tile by tile of [`TILE_ROWS`] rows, column block by column block: the block's inputs `a_s`
/// and backward sums stay in registers while the block is walked down the tile's rows (each
/// weight loaded and stored once, 2B multiply-adds). `packed` is scratch space.
#[allow(clippy::needless_range_loop)] // fixed-size register loops
fn backward_update_group<T: Real, const B: usize, const BACK: bool>(
    layer: &mut Layer<T>,
    delta_cw: &[T],
    g: &[T],
    a: &[T],
    s0: usize,
    back: Option<&mut [T]>,
    packed: &mut Vec<T>,
) {
    let (n_in, n_out) = (layer.n_in, layer.n_out);
    pack_rows::<T, B>(delta_cw, g, s0, n_out, packed);
    let nb = n_in / LANES;
    let split = nb * LANES;
    let rows: [&[T]; B] = std::array::from_fn(|k| &a[(s0 + k) * n_in..(s0 + k + 1) * n_in]);
    let xb: [&[[T; LANES]]; B] = std::array::from_fn(|k| blocks_of(rows[k], nb));
    let mut scratch_back = Vec::new();
    let back: &mut [T] = match back {
        Some(b) => &mut b[s0 * n_in..(s0 + B) * n_in],
        None => &mut scratch_back,
    };
    let back_rows: [&mut [T]; B] = split_rows(back, if BACK { n_in } else { 0 });
    let tiles = layer.w.chunks_mut(TILE_ROWS * n_in).zip(packed.chunks(TILE_ROWS * 2 * B));
    for (t, (tile, dg_tile)) in tiles.enumerate() {
        for c in 0..nb {
            let x: [V<T>; B] = std::array::from_fn(|k| V(xb[k][c]));
            let mut acc = [V::zero(); B];
            if BACK && t > 0 {
                acc = std::array::from_fn(|k| V(blocks_of(back_rows[k], nb)[c]));
            }
            for (row, dg) in tile.chunks_exact_mut(n_in).zip(dg_tile.chunks_exact(2 * B)) {
                let cell = &mut blocks_of_mut(row, nb)[c];
                let w = V(*cell);
                if BACK {
                    for k in 0..B {
                        acc[k] = w.madd(V::splat(dg[k]), acc[k]);
                    }
                }
                // Two independent chains (points of even and odd index) halve the latency.
                let mut even = w;
                let mut odd = V::zero();
                for k in 0..B {
                    if k % 2 == 0 {
                        even = x[k].madd(V::splat(dg[B + k]), even);
                    } else {
                        odd = x[k].madd(V::splat(dg[B + k]), odd);
                    }
                }
                *cell = if B > 1 { even.add(odd) } else { even }.0;
            }
            if BACK {
                for k in 0..B {
                    blocks_of_mut(back_rows[k], nb)[c] = acc[k].0;
                }
            }
        }
    }
    // Columns past the last whole block, one at a time.
    for i in split..n_in {
        let mut acc = [T::ZERO; B];
        for (j, dg) in packed.chunks_exact(2 * B).enumerate() {
            let w = &mut layer.w[j * n_in + i];
            let old = *w;
            let mut updated = old;
            for k in 0..B {
                acc[k] = old.madd(dg[k], acc[k]);
                updated = rows[k][i].madd(dg[B + k], updated);
            }
            *w = updated;
        }
        if BACK {
            for k in 0..B {
                back_rows[k][i] = acc[k];
            }
        }
    }
}

/// The first B rows of length `len` of `buf` as separate mutable slices (empty rows if `buf`
/// is too short, which only happens with `len` = 0).
fn split_rows<T, const B: usize>(buf: &mut [T], len: usize) -> [&mut [T]; B] {
    let mut rest = buf;
    std::array::from_fn(|_| {
        let taken = std::mem::take(&mut rest);
        let (head, tail) = taken.split_at_mut(len.min(taken.len()));
        rest = tail;
        head
    })
}

/// `back[s·n_in + i] = Σ_j W[j,i] δc[s·n_out + j]` for n points (`δc` already scaled by c_w),
/// the weights read column block by column block with the sums in registers.
pub fn backward<T: Real>(layer: &Layer<T>, delta_cw: &[T], n: usize, back: &mut [T]) {
    let mut s0 = 0;
    while s0 < n {
        let chunk = (n - s0).min(GROUP);
        match chunk {
            1 => backward_group::<T, 1>(layer, delta_cw, s0, back),
            2 => backward_group::<T, 2>(layer, delta_cw, s0, back),
            3 => backward_group::<T, 3>(layer, delta_cw, s0, back),
            4 => backward_group::<T, 4>(layer, delta_cw, s0, back),
            5 => backward_group::<T, 5>(layer, delta_cw, s0, back),
            _ => backward_group::<T, 6>(layer, delta_cw, s0, back),
        }
        s0 += chunk;
    }
}

#[allow(clippy::needless_range_loop)] // fixed-size register loops
fn backward_group<T: Real, const B: usize>(layer: &Layer<T>, delta_cw: &[T], s0: usize, back: &mut [T]) {
    let (n_in, n_out) = (layer.n_in, layer.n_out);
    let d = |k: usize, j: usize| delta_cw[(s0 + k) * n_out + j];
    let nb = n_in / LANES;
    let split = nb * LANES;
    let back_rows: [&mut [T]; B] = split_rows(&mut back[s0 * n_in..(s0 + B) * n_in], n_in);
    // Tiles of rows as in the fused pass: the sums of a column block are carried from tile to
    // tile through `back`, rows in increasing order.
    for (t, tile) in layer.w.chunks(TILE_ROWS * n_in).enumerate() {
        let j0 = t * TILE_ROWS;
        for c in 0..nb {
            let mut acc = [V::zero(); B];
            if t > 0 {
                acc = std::array::from_fn(|k| V(blocks_of(back_rows[k], nb)[c]));
            }
            for (r, row) in tile.chunks_exact(n_in).enumerate() {
                let w = V(blocks_of(row, nb)[c]);
                for k in 0..B {
                    acc[k] = w.madd(V::splat(d(k, j0 + r)), acc[k]);
                }
            }
            for k in 0..B {
                blocks_of_mut(back_rows[k], nb)[c] = acc[k].0;
            }
        }
    }
    for i in split..n_in {
        for k in 0..B {
            let mut sum = T::ZERO;
            for j in 0..n_out {
                sum = layer.w[j * n_in + i].madd(d(k, j), sum);
            }
            back_rows[k][i] = sum;
        }
    }
}

/// The weight update of all n points in one pass: `W[j,i] += Σ_s g[s·n_out + j] a[s·n_in + i]`,
/// or with momentum `v ← β v + Σ_s g_s a_sᵀ`, `W ← W + v` (paper Eq. S1).
pub fn update<T: Real>(layer: &mut Layer<T>, g: &[T], a: &[T], n: usize, momentum: Option<(T, &mut [T])>) {
    let (n_in, n_out) = (layer.n_in, layer.n_out);
    match momentum {
        None => {
            for (j, w_row) in layer.w.chunks_exact_mut(n_in).enumerate() {
                for s in 0..n {
                    let gs = g[s * n_out + j];
                    let x = &a[s * n_in..(s + 1) * n_in];
                    for (w, &xi) in w_row.iter_mut().zip(x) {
                        *w = xi.madd(gs, *w);
                    }
                }
            }
        }
        Some((beta, vw)) => {
            for (j, (w_row, v_row)) in
                layer.w.chunks_exact_mut(n_in).zip(vw.chunks_exact_mut(n_in)).enumerate()
            {
                for v in v_row.iter_mut() {
                    *v = beta * *v;
                }
                for s in 0..n {
                    let gs = g[s * n_out + j];
                    let x = &a[s * n_in..(s + 1) * n_in];
                    for (v, &xi) in v_row.iter_mut().zip(x) {
                        *v = xi.madd(gs, *v);
                    }
                }
                for (w, &v) in w_row.iter_mut().zip(v_row.iter()) {
                    *w += v;
                }
            }
        }
    }
}

/// Backward product and weight update of one layer for n points: `back = Wᵀ(c_w δ)` with the
/// weights before the step (if `back` is given), then the plain update
/// `W ← W + Σ_s g_s a_sᵀ` or the momentum update of paper Eq. S1. Up to [`GROUP`] points
/// without momentum take one pass over W; otherwise the backward product and the update are
/// separate passes.
#[allow(clippy::too_many_arguments)]
pub fn backward_update<T: Real>(
    layer: &mut Layer<T>,
    delta_cw: &[T],
    g: &[T],
    a: &[T],
    n: usize,
    back: Option<&mut [T]>,
    momentum: Option<(T, &mut [T])>,
    packed: &mut Vec<T>,
) {
    if n <= GROUP && momentum.is_none() {
        macro_rules! group {
            ($b:literal) => {
                if back.is_some() {
                    backward_update_group::<T, $b, true>(layer, delta_cw, g, a, 0, back, packed)
                } else {
                    backward_update_group::<T, $b, false>(layer, delta_cw, g, a, 0, back, packed)
                }
            };
        }
        match n {
            0 => {}
            1 => group!(1),
            2 => group!(2),
            3 => group!(3),
            4 => group!(4),
            5 => group!(5),
            _ => group!(6),
        }
        return;
    }
    if let Some(back) = back {
        backward(layer, delta_cw, n, back);
    }
    update(layer, g, a, n, momentum);
}
