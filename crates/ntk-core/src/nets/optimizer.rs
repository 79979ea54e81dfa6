//! The optimizers every model trains with (network, linearization, kernel model, ensemble
//! members): gradient descent, heavy-ball momentum (paper SM B.1, Eq. S1) and minibatch SGD
//! with momentum (paper Figure 4, S3),
//!
//! `v_{k+1} = β v_k − η ∇_θ L_{B_k}(θ_k)`, `θ_{k+1} = θ_k + v_{k+1}`,
//!
//! where `L_B = 1/|B| Σ_{i∈B} ℓ(f(xᵢ), yᵢ)` is the mean loss on the batch `B_k` of step k (all N
//! points for full-batch descent; β = 0 without momentum). With `v₀ = 0` this is Eq. S1,
//! `θ_{k+1} = θ_k + β(θ_k − θ_{k−1}) − η∇L(θ_k)`.
//!
//! The batch of step k is a function of (seed, k) alone ([`Minibatches::batch`]): B distinct
//! points drawn uniformly without replacement (a partial Fisher–Yates shuffle of a ChaCha8
//! stream seeded by [`member_seed`]`(seed, k)`), sorted ascending. A network and its
//! linearization given the same seed therefore see the same sequence of batches, and a batch
//! size of N gives every point in order: full-batch gradient descent, bit for bit.

use serde::{Deserialize, Serialize};

use crate::rng::{member_seed, Normal};

/// The optimizer by name, as the command line and the page offer it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// full-batch gradient descent (β = 0)
    #[default]
    Gd,
    /// full-batch gradient descent with heavy-ball momentum β (paper Eq. S1)
    Momentum,
    /// minibatch stochastic gradient descent, with momentum β ≥ 0
    Sgd,
}

impl OptimizerKind {
    /// Every optimizer by name, as the page's select and the URL have them.
    pub const NAMES: [&'static str; 3] = ["gd", "momentum", "sgd"];

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Gd => "gd",
            OptimizerKind::Momentum => "momentum",
            OptimizerKind::Sgd => "sgd",
        }
    }

    /// The optimizer of a name of [`OptimizerKind::NAMES`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMES.iter().position(|n| *n == name).map(|i| [Self::Gd, Self::Momentum, Self::Sgd][i])
    }
}

impl std::str::FromStr for OptimizerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "gd" => Ok(OptimizerKind::Gd),
            "momentum" => Ok(OptimizerKind::Momentum),
            "sgd" => Ok(OptimizerKind::Sgd),
            _ => Err(format!("unknown optimizer '{s}' (expected gd, momentum or sgd)")),
        }
    }
}

impl std::fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An optimizer setting that cannot be used, with the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimizerError {
    /// η not finite or not positive.
    #[error("learning rate must be a positive finite number, got {0}")]
    LearningRate(f64),
    /// β outside [0, 1).
    #[error("momentum must be in [0, 1), got {0}")]
    Momentum(f64),
    /// A batch size of 0 or above the number of training points.
    #[error("batch size must be between 1 and the number of training points ({points}), got {batch}")]
    BatchSize {
        /// the batch size asked for
        batch: usize,
        /// number of training points N
        points: usize,
    },
    /// Momentum given to plain gradient descent, or a batch size to a full-batch optimizer.
    #[error("{0}")]
    Combination(String),
}

/// The seeded sequence of minibatches of a run: the batch of step k depends on (seed, k) only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Minibatches {
    /// number of training points N
    pub points: usize,
    /// batch size B (1 ≤ B ≤ N)
    pub size: usize,
    /// the run's batch seed
    pub seed: u64,
}

impl Minibatches {
    /// The sequence of batches of size `size` from `points` points.
    ///
    /// # Errors
    /// [`OptimizerError::BatchSize`] unless 1 ≤ size ≤ points.
    pub fn new(points: usize, size: usize, seed: u64) -> Result<Self, OptimizerError> {
        if size == 0 || size > points {
            return Err(OptimizerError::BatchSize { batch: size, points });
        }
        Ok(Minibatches { points, size, seed })
    }

    /// The batch of step `step` into `out`: B distinct indices in 0..N, ascending. For B = N,
    /// `0, 1, …, N − 1` without drawing anything.
    pub fn batch(&self, step: u64, out: &mut Vec<usize>) {
        out.clear();
        out.extend(0..self.points);
        if self.size == self.points {
            return;
        }
        let mut rng = Normal::new(member_seed(self.seed, step));
        for i in 0..self.size {
            // j uniform in i..N (53-bit uniform; the bias for N < 2¹⁶ is below 1e-11).
            let j = i + ((rng.uniform() * (self.points - i) as f64) as usize).min(self.points - i - 1);
            out.swap(i, j);
        }
        out.truncate(self.size);
        out.sort_unstable();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_distinct_sorted_seeded_and_full_batch_is_the_identity() {
        let mb = Minibatches::new(10, 4, 7).unwrap();
        let mut a = Vec::new();
        let mut b = Vec::new();
        mb.batch(3, &mut a);
        mb.batch(3, &mut b);
        assert_eq!(a, b, "a batch depends on (seed, step) only");
        assert_eq!(a.len(), 4);
        assert!(a.windows(2).all(|w| w[0] < w[1]) && a.iter().all(|&i| i < 10), "{a:?}");
        mb.batch(4, &mut b);
        assert_ne!(a, b, "steps 3 and 4 drew the same batch");
        Minibatches::new(10, 4, 8).unwrap().batch(3, &mut b);
        assert_ne!(a, b, "seeds 7 and 8 drew the same batch");
        Minibatches::new(10, 10, 7).unwrap().batch(123, &mut a);
        assert_eq!(a, (0..10).collect::<Vec<_>>());
        assert!(Minibatches::new(10, 11, 0).is_err() && Minibatches::new(10, 0, 0).is_err());
    }

    /// Every point is equally likely to be in a batch: over 20,000 steps of B = 3 from N = 8,
    /// each point's count is Binomial(20,000, 3/8), standard deviation ≈ 68; 5σ = 342.
    #[test]
    fn batches_are_uniform() {
        let mb = Minibatches::new(8, 3, 1).unwrap();
        let mut counts = [0usize; 8];
        let mut b = Vec::new();
        for step in 0..20_000 {
            mb.batch(step, &mut b);
            for &i in &b {
                counts[i] += 1;
            }
        }
        let expect = 20_000.0 * 3.0 / 8.0;
        for (i, &c) in counts.iter().enumerate() {
            assert!((c as f64 - expect).abs() < 342.0, "point {i}: {c} vs {expect}");
        }
    }
}
