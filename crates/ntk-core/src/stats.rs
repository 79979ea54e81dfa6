//! Streaming mean and variance (Welford's update) with exact merging of partial results (Chan,
//! Golub & LeVeque), so that ensemble members can run in any split — threads, web workers — and
//! be combined afterwards.

use serde::{Deserialize, Serialize};

/// Count, mean and sum of squared deviations `M₂ = Σ (xᵢ − x̄)²` of a stream of numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Running {
    /// number of values
    pub count: u64,
    /// their mean
    pub mean: f64,
    /// Σ (xᵢ − mean)²
    pub m2: f64,
}

impl Running {
    /// Adds one value (Welford: `δ = x − x̄`, `x̄ += δ/n`, `M₂ += δ (x − x̄)`).
    pub fn push(&mut self, x: f64) {
        self.count += 1;
        let d = x - self.mean;
        self.mean += d / self.count as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Combines with the statistics of a disjoint set (Chan et al.:
    /// `x̄ = x̄_a + δ n_b/n`, `M₂ = M₂a + M₂b + δ² n_a n_b/n`, δ = x̄_b − x̄_a).
    pub fn merge(&mut self, other: &Running) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        let d = other.mean - self.mean;
        self.mean += d * nb / n;
        self.m2 += other.m2 + d * d * na * nb / n;
        self.count += other.count;
    }

    /// Unbiased sample variance `M₂/(n − 1)` (0 for fewer than two values).
    pub fn variance(&self) -> f64 {
        if self.count < 2 {
            0.0
        } else {
            self.m2 / (self.count - 1) as f64
        }
    }
}

/// Element-wise [`Running`] statistics of a stream of equal-length vectors.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunningVec {
    /// per-component statistics
    pub items: Vec<Running>,
}

impl RunningVec {
    /// Statistics of vectors of length `len`, no values yet.
    pub fn new(len: usize) -> Self {
        RunningVec { items: vec![Running::default(); len] }
    }

    /// Adds one vector (must have the length given at construction).
    pub fn push(&mut self, x: &[f64]) {
        for (r, &v) in self.items.iter_mut().zip(x) {
            r.push(v);
        }
    }

    /// Combines with the statistics of a disjoint set of vectors.
    pub fn merge(&mut self, other: &RunningVec) {
        for (r, o) in self.items.iter_mut().zip(&other.items) {
            r.merge(o);
        }
    }

    /// Component means.
    pub fn mean(&self) -> Vec<f64> {
        self.items.iter().map(|r| r.mean).collect()
    }

    /// Component unbiased variances.
    pub fn variance(&self) -> Vec<f64> {
        self.items.iter().map(Running::variance).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_equals_sequential() {
        let xs: Vec<f64> = (0..37).map(|i| ((i * 7919) % 101) as f64 * 0.37 - 3.0).collect();
        let mut all = Running::default();
        xs.iter().for_each(|&x| all.push(x));
        let (mut a, mut b) = (Running::default(), Running::default());
        xs[..11].iter().for_each(|&x| a.push(x));
        xs[11..].iter().for_each(|&x| b.push(x));
        b.merge(&a);
        // Both are exact-arithmetic identities; rounding differs by a few ulps.
        assert_eq!(all.count, b.count);
        assert!((all.mean - b.mean).abs() < 1e-13 * all.mean.abs().max(1.0));
        assert!((all.m2 - b.m2).abs() < 1e-12 * all.m2);
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64;
        assert!((all.variance() - var).abs() < 1e-12 * var);
    }
}
