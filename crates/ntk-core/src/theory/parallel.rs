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

/// As [`for_each_column`], collecting what `f` returns for each column, in column order.
pub(crate) fn map_columns<R, F>(a: &mut [f64], b: &mut [f64], n_rows: usize, f: F) -> Vec<R>
where
    R: Send,
    F: Fn(usize, &mut [f64], &mut [f64]) -> R + Send + Sync,
{
    debug_assert_eq!(a.len(), b.len());
    if n_rows == 0 {
        return Vec::new();
    }
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        a.par_chunks_mut(n_rows)
            .zip(b.par_chunks_mut(n_rows))
            .enumerate()
            .map(|(j, (ca, cb))| f(j, ca, cb))
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        a.chunks_mut(n_rows).zip(b.chunks_mut(n_rows)).enumerate().map(|(j, (ca, cb))| f(j, ca, cb)).collect()
    }
}

/// `f(i)` for i in `0..n`, collected in order (in parallel with the `parallel` feature).
pub(crate) fn map_indices<T, F>(n: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize) -> T + Send + Sync,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..n).map(f).collect()
    }
}
