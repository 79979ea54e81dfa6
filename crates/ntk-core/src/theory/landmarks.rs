//! Learning-rate landmarks of gradient descent on the linearized network, read off the
//! spectrum of the train NTK (docs/MATH.md; paper Theorem 2.1, mean-loss convention).

use nalgebra::{DMatrix, SymmetricEigen};

/// The learning rates at which gradient descent on the train NTK changes behaviour.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LearningRateLandmarks {
    /// smallest eigenvalue λ_min of Θ(X,X)
    pub lambda_min: f64,
    /// largest eigenvalue λ_max of Θ(X,X)
    pub lambda_max: f64,
    /// `η_max = 2N/λ_max`: above it GD on the linear model diverges along the top eigenvector
    pub eta_max: f64,
    /// `η_critical = 2N/(λ_min + λ_max)`: the fastest uniform contraction (paper Thm 2.1)
    pub eta_critical: f64,
}

/// Why landmarks could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LandmarkError {
    /// The kernel is not square or empty.
    #[error("the train NTK must be a non-empty square matrix, got {0}×{1}")]
    Shape(usize, usize),
    /// NaN or infinite entries.
    #[error("the train NTK has non-finite entries")]
    NonFinite,
    /// The eigensolver did not converge.
    #[error("the eigendecomposition of the train NTK did not converge")]
    Decomposition,
}

impl LearningRateLandmarks {
    /// Landmarks from the eigenvalues of Θ(X,X) for N training points:
    /// `η_max = 2N/λ_max`, `η_critical = 2N/(λ_min + λ_max)` (docs/MATH.md, paper Theorem 2.1).
    /// A non-positive denominator (a zero kernel) gives `f64::INFINITY`: every rate is stable.
    pub fn from_eigenvalues(eigenvalues: &[f64], n: usize) -> Self {
        let lambda_min = eigenvalues.iter().copied().fold(f64::INFINITY, f64::min);
        let lambda_max = eigenvalues.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let two_n = 2.0 * n as f64;
        let ratio = |den: f64| if den > 0.0 { two_n / den } else { f64::INFINITY };
        LearningRateLandmarks {
            lambda_min,
            lambda_max,
            eta_max: ratio(lambda_max),
            eta_critical: ratio(lambda_min + lambda_max),
        }
    }
}

/// Learning-rate landmarks of a train NTK Θ(X,X) (N×N, symmetric):
/// `η_max = 2N/λ_max`, `η_critical = 2N/(λ_min + λ_max)` (docs/MATH.md; paper Theorem 2.1).
///
/// # Errors
/// [`LandmarkError`] for a non-square, empty or non-finite matrix.
pub fn learning_rate_landmarks(train_ntk: &DMatrix<f64>) -> Result<LearningRateLandmarks, LandmarkError> {
    let (r, c) = train_ntk.shape();
    if r != c || r == 0 {
        return Err(LandmarkError::Shape(r, c));
    }
    if train_ntk.iter().any(|v| !v.is_finite()) {
        return Err(LandmarkError::NonFinite);
    }
    let eig = SymmetricEigen::try_new(train_ntk.clone(), f64::EPSILON, 100_000)
        .ok_or(LandmarkError::Decomposition)?;
    Ok(LearningRateLandmarks::from_eigenvalues(eig.eigenvalues.as_slice(), r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagonal_kernel_by_hand() {
        // Θ = diag(1, 3), N = 2: η_max = 4/3, η_critical = 4/4 = 1.
        let l =
            learning_rate_landmarks(&DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![1.0, 3.0])))
                .unwrap();
        assert!((l.eta_max - 4.0 / 3.0).abs() < 1e-15);
        assert!((l.eta_critical - 1.0).abs() < 1e-15);
        assert_eq!(learning_rate_landmarks(&DMatrix::zeros(2, 3)), Err(LandmarkError::Shape(2, 3)));
        assert_eq!(learning_rate_landmarks(&DMatrix::zeros(1, 1)).unwrap().eta_max, f64::INFINITY);
    }
}
