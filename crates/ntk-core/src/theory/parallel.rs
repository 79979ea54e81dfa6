//! Work split over the columns of kernel matrices: in parallel (rayon) with the `parallel`
//! feature, in order without it (the browser build). Every column is computed by the same code
//! from the same inputs whichever thread runs it, so both give bit-identical results.

/// Calls `f(j, a_j, b_j)` for every column j of two column-major matrices with `n_rows` rows
/// (`a_j`, `b_j` the column slices), on all threads of the current rayon pool if the
/// `parallel` feature is on.
pub(crate) fn for_each_column<F>(a: &mut [f64], b: &mut [f64], n_rows: usize, f: F)
where
    F: Fn(usize, &mut [f64], &mut [f64]) + Send + Sync,
{
    debug_assert_eq!(a.len(), b.len());
    if n_rows == 0 {
        return;
    }
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        a.par_chunks_mut(n_rows)
            .zip(b.par_chunks_mut(n_rows))
            .enumerate()
            .for_each(|(j, (ca, cb))| f(j, ca, cb));
    }
    #[cfg(not(feature = "parallel"))]
    {
        for (j, (ca, cb)) in a.chunks_mut(n_rows).zip(b.chunks_mut(n_rows)).enumerate() {
            f(j, ca, cb);
        }
    }
}
