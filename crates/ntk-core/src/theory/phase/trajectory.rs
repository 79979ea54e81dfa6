//! Two points followed through the layers: the correlation map iterated from given starting
//! correlations, and the report of one point of the plane with its trajectories.

use serde::{Deserialize, Serialize};

use super::fixed_point::{correlation_map, length_map, phase_point};
use super::{check_q0, check_variances, with_map, MapTask, PhaseError, PhasePoint, MAX_LAYERS};
use crate::activation::Activation;
use crate::theory::kernel_maps::DiagonalMap;

/// Two points of equal variance followed through the layers: `q^{l+1} = 𝒱(q^l)`,
/// `c^{l+1} = F_{q^l}(c^l)`; index 0 holds the starting values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorrelationTrajectory {
    /// the starting correlation c⁰
    pub c0: f64,
    /// `q^l`, l = 0 ..= layers
    pub q: Vec<f64>,
    /// `c^l`, l = 0 ..= layers
    pub c: Vec<f64>,
}

/// The correlation map iterated over `layers` layers for each starting correlation in `c0s`,
/// both points starting at variance q₀ (start at q₀ = q* to see the correlation alone move):
/// `|c^l − c*|` then decays like `e^{−l/ξ_c}` (Schoenholz et al. 2016 Eq. 9; the talk's
/// `K^L = K* + O(e^{−L/ξ_c})`).
///
/// # Errors
/// [`PhaseError`] for invalid σ², q₀ ≤ 0, a correlation outside [−1, 1], or layers outside
/// 1 ..= [`MAX_LAYERS`].
pub fn correlation_trajectories(
    act: Activation,
    sw2: f64,
    sb2: f64,
    q0: f64,
    c0s: &[f64],
    layers: usize,
) -> Result<Vec<CorrelationTrajectory>, PhaseError> {
    check_variances(act, sw2, sb2)?;
    check_q0(q0)?;
    if let Some(&c) = c0s.iter().find(|c| !(c.is_finite() && (-1.0..=1.0).contains(*c))) {
        return Err(PhaseError::Correlation(c));
    }
    if layers == 0 || layers > MAX_LAYERS {
        return Err(PhaseError::Layers(layers));
    }
    struct Task<'a>(f64, f64, f64, &'a [f64], usize);
    impl MapTask for Task<'_> {
        type Out = Vec<CorrelationTrajectory>;
        fn run<M: DiagonalMap>(self, map: &M) -> Self::Out {
            let Task(sw2, sb2, q0, c0s, layers) = self;
            let mut q = vec![q0];
            for l in 0..layers {
                q.push(length_map(map, sw2, sb2, q[l]));
            }
            c0s.iter()
                .map(|&c0| {
                    let mut c = vec![c0];
                    for l in 0..layers {
                        let next = correlation_map(map, sw2, sb2, q[l], c[l]);
                        c.push(if next.is_finite() { next.clamp(-1.0, 1.0) } else { next });
                    }
                    CorrelationTrajectory { c0, q: q.clone(), c }
                })
                .collect()
        }
    }
    Ok(with_map(act, Task(sw2, sb2, q0, c0s, layers)))
}

/// The order/chaos quantities at one point and the correlation map iterated from `c0s` over
/// `layers` layers — what `ntk phase --sw2 S --sb2 S` prints and the phase view's point panels
/// draw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointReport {
    /// q*, χ₁, ξ_c, … at the point
    pub point: PhasePoint,
    /// the correlation map from each starting correlation, both points at variance q* (q₀
    /// when q* is 0 or unbounded)
    pub trajectories: Vec<CorrelationTrajectory>,
}

/// [`phase_point`] and [`correlation_trajectories`] started at q* (q₀ when there is no positive
/// finite q*), so that the correlation alone moves: `|c^l − c*| ∝ e^{−l/ξ_c}`.
///
/// # Errors
/// As [`phase_point`] and [`correlation_trajectories`].
pub fn point_report(
    act: Activation,
    sw2: f64,
    sb2: f64,
    q0: f64,
    c0s: &[f64],
    layers: usize,
) -> Result<PointReport, PhaseError> {
    let point = phase_point(act, sw2, sb2, q0)?;
    let start = point.q_star.filter(|&q| q > 0.0).unwrap_or(q0);
    let trajectories = correlation_trajectories(act, sw2, sb2, start, c0s, layers)?;
    Ok(PointReport { point, trajectories })
}
